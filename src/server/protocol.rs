//! Reading requests off the wire as Redis 7.0 does (`processMultibulkBuffer` and
//! `processInlineBuffer` in networking.c): RESP multibulk frames and inline commands, with Redis's
//! limits and its exact protocol errors.
//!
//! The parser is incremental: it keeps where it is inside a frame, so a frame arriving a byte at
//! a time costs no re-parsing, and it never allocates for a length it was told, only for bytes
//! that arrived.

use crate::argv::Argv;
use crate::command::args::split_args;
use crate::number::parse_i64;

/// The longest inline request, or count line, Redis waits for (`PROTO_INLINE_MAX_SIZE`).
///
/// ```
/// use embedis::server::protocol::{INLINE_MAX, ProtocolError, RequestParser};
/// let line = vec![b'x'; INLINE_MAX + 1];
/// let err = RequestParser::new().next(&line, &mut 0).unwrap_err();
/// assert_eq!(err, ProtocolError::TooBigInlineRequest);
/// ```
pub const INLINE_MAX: usize = 64 * 1024;

/// The longest bulk string Redis accepts by default (`proto-max-bulk-len`, 512 MB).
///
/// ```
/// use embedis::server::protocol::{MAX_BULK_LEN, ProtocolError, RequestParser, Step};
/// let at_limit = format!("*1\r\n${MAX_BULK_LEN}\r\n");
/// assert_eq!(RequestParser::new().next(at_limit.as_bytes(), &mut 0), Ok(Step::NeedMore));
/// let over = format!("*1\r\n${}\r\n", MAX_BULK_LEN + 1);
/// assert_eq!(RequestParser::new().next(over.as_bytes(), &mut 0), Err(ProtocolError::InvalidBulkLength));
/// ```
pub const MAX_BULK_LEN: usize = 512 * 1024 * 1024;

/// A malformed request: the server answers `-{self}` and closes the connection, as Redis does.
///
/// ```
/// use embedis::server::protocol::{ProtocolError, RequestParser, Step};
///
/// let mut parser = RequestParser::new();
/// let mut pos = 0;
/// let err = parser.next(b"*x\r\n", &mut pos).unwrap_err();
/// assert_eq!(err, ProtocolError::InvalidMultibulkLength);
/// assert_eq!(err.to_string(), "ERR Protocol error: invalid multibulk length");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An inline request longer than 64 KB without a newline.
    #[error("ERR Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// An inline request with a quote that does not close.
    #[error("ERR Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A `*` count line longer than 64 KB.
    #[error("ERR Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// A `*` count that is not an integer or exceeds `INT_MAX`.
    #[error("ERR Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// A `*` count above 10 from a client that has not authenticated.
    #[error("ERR Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A `$` length line longer than 64 KB.
    #[error("ERR Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// An argument that does not start with `$`.
    #[error("ERR Protocol error: expected '$', got '{}'", shown(*.0))]
    ExpectedDollar(u8),
    /// A `$` length that is not an integer, negative, or above `proto-max-bulk-len`.
    #[error("ERR Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A `$` length above 16384 from a client that has not authenticated.
    #[error("ERR Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
}

/// A byte inside an error line as Redis's `addReplyErrorFormat` shows it: CR and LF as spaces.
fn shown(byte: u8) -> char {
    match byte {
        b'\r' | b'\n' => ' ',
        other => char::from(other),
    }
}

/// What [`RequestParser::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// A whole command.
    Command(Argv),
    /// A frame with no command in it (an empty line, `*0`, `*-1`): nothing to run or answer.
    Empty,
    /// The buffer ends inside a frame: read more and call again with the bytes appended.
    NeedMore,
}

/// Where the parser is inside a multibulk frame.
#[derive(Debug, Default)]
struct Multibulk {
    /// Arguments still to read.
    remaining: usize,
    /// The length of the argument being read, once its `$` line was read.
    bulk_len: Option<usize>,
    argv: Argv,
}

/// An incremental parser of client requests, one per connection.
///
/// Feed it the connection's buffered input and a position; it answers the next command (or that
/// more bytes are needed) and moves the position past what it consumed. The caller may drop the
/// consumed bytes and must keep the rest.
///
/// ```
/// use embedis::server::protocol::{RequestParser, Step};
///
/// let mut parser = RequestParser::new();
/// let input = b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n";
/// let mut pos = 0;
/// let Step::Command(echo) = parser.next(input, &mut pos)? else { panic!() };
/// assert_eq!(echo.get(1), Some(&b"hi"[..]));
/// let Step::Command(ping) = parser.next(input, &mut pos)? else { panic!() };
/// assert_eq!(ping.get(0), Some(&b"PING"[..]));
/// assert_eq!(parser.next(input, &mut pos)?, Step::NeedMore);
/// # Ok::<(), embedis::server::protocol::ProtocolError>(())
/// ```
#[derive(Debug)]
pub struct RequestParser {
    multibulk: Option<Multibulk>,
    max_bulk_len: usize,
    /// Whether the client still has to authenticate (Redis then caps counts and lengths).
    auth_required: bool,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

/// The position of the first `byte` in `buf`, as C's `strchr` finds it: the search stops at a NUL.
fn find_before_nul(buf: &[u8], byte: u8) -> Option<usize> {
    buf.iter()
        .position(|&b| b == byte || b == 0)
        .filter(|&i| buf[i] == byte)
}

impl RequestParser {
    /// A parser with Redis's default limits.
    ///
    /// ```
    /// use embedis::server::protocol::{RequestParser, Step};
    /// assert_eq!(RequestParser::new().next(b"", &mut 0), Ok(Step::NeedMore));
    /// ```
    pub fn new() -> RequestParser {
        RequestParser {
            multibulk: None,
            max_bulk_len: MAX_BULK_LEN,
            auth_required: false,
        }
    }

    /// Sets the longest bulk string accepted (`proto-max-bulk-len`).
    ///
    /// ```
    /// use embedis::server::protocol::{ProtocolError, RequestParser};
    /// let mut parser = RequestParser::new();
    /// parser.set_max_bulk_len(3);
    /// assert_eq!(parser.next(b"*1\r\n$4\r\nPING\r\n", &mut 0), Err(ProtocolError::InvalidBulkLength));
    /// ```
    pub fn set_max_bulk_len(&mut self, max: usize) {
        self.max_bulk_len = max;
    }

    /// Whether the client has yet to authenticate: Redis then refuses counts above 10 and bulk
    /// strings above 16384 bytes.
    ///
    /// ```
    /// use embedis::server::protocol::{ProtocolError, RequestParser};
    /// let mut parser = RequestParser::new();
    /// parser.set_auth_required(true);
    /// assert_eq!(parser.next(b"*11\r\n", &mut 0), Err(ProtocolError::UnauthenticatedMultibulkLength));
    /// ```
    pub fn set_auth_required(&mut self, required: bool) {
        self.auth_required = required;
    }

    /// Whether the parser is inside a frame (some of the next command has been read).
    ///
    /// ```
    /// use embedis::server::protocol::RequestParser;
    /// let mut parser = RequestParser::new();
    /// parser.next(b"*2\r\n$4\r\nECHO\r\n", &mut 0).unwrap();
    /// assert!(parser.in_frame());
    /// ```
    pub fn in_frame(&self) -> bool {
        self.multibulk.is_some()
    }

    /// Reads the next request from `buf[*pos..]`, moving `*pos` past the bytes consumed.
    ///
    /// ```
    /// use embedis::server::protocol::{RequestParser, Step};
    /// let mut pos = 0;
    /// let step = RequestParser::new().next(b"SET k 'a b'\r\n", &mut pos).unwrap();
    /// let Step::Command(argv) = step else { panic!() };
    /// assert_eq!(argv.get(2), Some(&b"a b"[..]));
    /// assert_eq!(pos, 13);
    /// ```
    pub fn next(&mut self, buf: &[u8], pos: &mut usize) -> Result<Step, ProtocolError> {
        if self.multibulk.is_none() {
            let Some(&first) = buf.get(*pos) else {
                return Ok(Step::NeedMore);
            };
            if first != b'*' {
                return Self::inline(buf, pos);
            }
            match self.count_line(buf, pos)? {
                None => return Ok(Step::NeedMore),
                Some(0) => return Ok(Step::Empty),
                Some(n) => {
                    self.multibulk = Some(Multibulk {
                        remaining: n,
                        bulk_len: None,
                        argv: Argv::new(),
                    })
                }
            }
        }
        self.arguments(buf, pos)
    }

    /// An inline command: a line split as `redis-cli` splits it.
    fn inline(buf: &[u8], pos: &mut usize) -> Result<Step, ProtocolError> {
        let rest = &buf[*pos..];
        let Some(newline) = find_before_nul(rest, b'\n') else {
            if rest.len() > INLINE_MAX {
                return Err(ProtocolError::TooBigInlineRequest);
            }
            return Ok(Step::NeedMore);
        };
        let line_end = if newline > 0 && rest[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        let args = split_args(&rest[..line_end]).ok_or(ProtocolError::UnbalancedQuotes)?;
        *pos += newline + 1;
        if args.is_empty() {
            return Ok(Step::Empty);
        }
        let mut argv = Argv::new();
        for arg in &args {
            argv.push(arg);
        }
        Ok(Step::Command(argv))
    }

    /// The line ending at the next `\r` (found as `strchr` finds it), once its `\n` has arrived
    /// too: `Ok(None)` while incomplete, `Err(too_big)` when over 64 KB without one.
    fn line(buf: &[u8], pos: usize, too_big: ProtocolError) -> Result<Option<&[u8]>, ProtocolError> {
        let rest = &buf[pos..];
        match find_before_nul(rest, b'\r') {
            None if rest.len() > INLINE_MAX => Err(too_big),
            None => Ok(None),
            // Redis checks that one more byte (the `\n`) has arrived, not what it is.
            Some(cr) if cr + 2 > rest.len() => Ok(None),
            Some(cr) => Ok(Some(&rest[..cr])),
        }
    }

    /// The `*<count>` line: the count, 0 for `*0` and negative counts, or None while incomplete.
    fn count_line(&self, buf: &[u8], pos: &mut usize) -> Result<Option<usize>, ProtocolError> {
        let Some(line) = Self::line(buf, *pos, ProtocolError::TooBigMultibulkCount)? else {
            return Ok(None);
        };
        let count = parse_i64(&line[1..]).ok_or(ProtocolError::InvalidMultibulkLength)?;
        if count > i32::MAX as i64 {
            return Err(ProtocolError::InvalidMultibulkLength);
        }
        if count > 10 && self.auth_required {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        *pos += line.len() + 2;
        Ok(Some(count.max(0) as usize))
    }

    /// Reads `$<len>` lines and their bytes until the command is whole or the buffer ends.
    fn arguments(&mut self, buf: &[u8], pos: &mut usize) -> Result<Step, ProtocolError> {
        let (max_bulk_len, auth_required) = (self.max_bulk_len, self.auth_required);
        let Some(frame) = self.multibulk.as_mut() else {
            return Ok(Step::NeedMore);
        };
        while frame.remaining > 0 {
            let len = match frame.bulk_len {
                Some(len) => len,
                None => {
                    let Some(line) = Self::line(buf, *pos, ProtocolError::TooBigBulkCount)? else {
                        return Ok(Step::NeedMore);
                    };
                    if buf[*pos] != b'$' {
                        return Err(ProtocolError::ExpectedDollar(buf[*pos]));
                    }
                    let len = parse_i64(&line[1..])
                        .filter(|&n| n >= 0 && n as u64 <= max_bulk_len as u64)
                        .ok_or(ProtocolError::InvalidBulkLength)? as usize;
                    if len > 16384 && auth_required {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    *pos += line.len() + 2;
                    frame.bulk_len = Some(len);
                    len
                }
            };
            // The two bytes after the data are skipped unread, as Redis does.
            if buf.len() - *pos < len + 2 {
                return Ok(Step::NeedMore);
            }
            frame.argv.push(&buf[*pos..*pos + len]);
            *pos += len + 2;
            frame.bulk_len = None;
            frame.remaining -= 1;
        }
        let frame = self.multibulk.take().unwrap_or_default();
        Ok(Step::Command(frame.argv))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and error in `input`, fed whole.
    fn parse_all(input: &[u8]) -> Vec<Result<Vec<String>, ProtocolError>> {
        let mut parser = RequestParser::new();
        let mut pos = 0;
        let mut out = Vec::new();
        loop {
            match parser.next(input, &mut pos) {
                Ok(Step::Command(argv)) => out.push(Ok(argv
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect())),
                Ok(Step::Empty) => {}
                Ok(Step::NeedMore) => return out,
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }

    fn words(items: &[&str]) -> Result<Vec<String>, ProtocolError> {
        Ok(items.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn frames_and_inline_commands() {
        assert_eq!(
            parse_all(b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\nPING\nset a 'b c'\r\n  \r\n*0\r\n*-1\r\n"),
            vec![words(&["ECHO", ""]), words(&["PING"]), words(&["set", "a", "b c"])]
        );
        // Redis skips the two bytes after a bulk string without looking at them.
        assert_eq!(parse_all(b"*1\r\n$4\r\nPINGxx"), vec![words(&["PING"])]);
        // A NUL ends the line search, as strchr does: the request waits for ever.
        assert_eq!(parse_all(b"ping\0x\r\n"), vec![]);
    }

    #[test]
    fn redis_protocol_errors() {
        use ProtocolError::*;
        for (input, error) in [
            (&b"get \"a\r\n"[..], UnbalancedQuotes),
            (b"*x\r\n", InvalidMultibulkLength),
            (b"*2147483648\r\n", InvalidMultibulkLength),
            (b"*+1\r\n", InvalidMultibulkLength),
            (b"*01\r\n", InvalidMultibulkLength),
            (b"*1 \r\n", InvalidMultibulkLength),
            (b"*1\r\n+PING\r\n", ExpectedDollar(b'+')),
            (b"*1\r\n$-1\r\n", InvalidBulkLength),
            (b"*1\r\n$x\r\n", InvalidBulkLength),
            (b"*1\r\n$ 4\r\n", InvalidBulkLength),
            (b"*1\r\n$536870913\r\n", InvalidBulkLength),
            (b"*1\r\n\r\n", ExpectedDollar(b'\r')),
        ] {
            assert_eq!(parse_all(input).pop(), Some(Err(error)), "{input:?}");
        }
        assert_eq!(parse_all(&[b'x'; 70_000]), vec![Err(TooBigInlineRequest)]);
        assert_eq!(
            parse_all(&[b"*".as_slice(), &[b'1'; 70_000]].concat()),
            vec![Err(TooBigMultibulkCount)]
        );
        assert_eq!(
            parse_all(&[b"*1\r\n$".as_slice(), &[b'1'; 70_000]].concat()),
            vec![Err(TooBigBulkCount)]
        );
        // Lengths at the limits wait for their bytes instead of failing (or allocating them).
        assert_eq!(parse_all(b"*2147483647\r\n"), vec![]);
        assert_eq!(parse_all(b"*1\r\n$536870912\r\n"), vec![]);
    }

    #[test]
    fn a_frame_split_at_every_byte_parses_the_same() {
        let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nxy\r\nPING\r\n";
        for split in 0..input.len() {
            let mut parser = RequestParser::new();
            let mut buf = input[..split].to_vec();
            let mut pos = 0;
            let mut commands = Vec::new();
            while let Ok(Step::Command(argv)) = parser.next(&buf, &mut pos) {
                commands.push(argv);
            }
            buf.extend_from_slice(&input[split..]);
            loop {
                match parser.next(&buf, &mut pos) {
                    Ok(Step::Command(argv)) => commands.push(argv),
                    Ok(Step::Empty) => {}
                    _ => break,
                }
            }
            assert_eq!(commands.len(), 2, "split at {split}");
            assert_eq!(commands[0].get(2), Some(&b"v\r\nxy"[..]));
        }
    }

    #[test]
    fn unauthenticated_clients_get_smaller_limits() {
        let mut parser = RequestParser::new();
        parser.set_auth_required(true);
        let mut pos = 0;
        assert_eq!(
            parser.next(b"*11\r\n", &mut pos),
            Err(ProtocolError::UnauthenticatedMultibulkLength)
        );
        let mut parser = RequestParser::new();
        parser.set_auth_required(true);
        let mut pos = 0;
        assert_eq!(
            parser.next(b"*1\r\n$16385\r\n", &mut pos),
            Err(ProtocolError::UnauthenticatedBulkLength)
        );
    }
}
