//! The argument cursor: reads typed arguments off an [`Argv`] with Redis's errors.

use crate::argv::Argv;
use crate::error::CommandError;
use crate::number::parse_i64;

/// Reads a command's arguments in order.
pub(crate) struct Args<'a> {
    argv: &'a Argv,
    pos: usize,
}

impl<'a> Args<'a> {
    /// A cursor at argument `pos` (1 is the first argument after the command name).
    pub(crate) fn new(argv: &'a Argv, pos: usize) -> Args<'a> {
        Args { argv, pos }
    }

    /// The next argument, if any.
    pub(crate) fn next(&mut self) -> Option<&'a [u8]> {
        let arg = self.argv.get(self.pos)?;
        self.pos += 1;
        Some(arg)
    }

    /// The next argument, or a syntax error if there is none.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], CommandError> {
        self.next().ok_or(CommandError::Syntax)
    }

    /// The next argument as an integer (`ERR value is not an integer or out of range`).
    pub(crate) fn i64(&mut self) -> Result<i64, CommandError> {
        int(self.bytes()?)
    }

    /// How many arguments are left.
    pub(crate) fn remaining(&self) -> usize {
        self.argv.len().saturating_sub(self.pos)
    }

    /// The arguments left, in order.
    pub(crate) fn rest(&mut self) -> impl Iterator<Item = &'a [u8]> + '_ {
        std::iter::from_fn(|| self.next())
    }
}

/// An argument as a 64-bit integer, by Redis's strict rules.
pub(crate) fn int(arg: &[u8]) -> Result<i64, CommandError> {
    parse_i64(arg).ok_or(CommandError::NotInteger)
}

/// An argument as a C `int` (Redis's `getIntFromObjectOrReply`): integers beyond 32 bits are
/// `ERR value is out of range, value must between …`.
pub(crate) fn int32(arg: &[u8]) -> Result<i32, CommandError> {
    i32::try_from(int(arg)?)
        .map_err(|_| CommandError::other("ERR value is out of range, value must between -2147483648 and 2147483647"))
}

/// Redis's `getRangeLongFromObjectOrReply`: an integer within `min..=max`. Out of range (or not an
/// integer, when `message` is given) answers `message`, else Redis's generic texts.
pub(crate) fn ranged(arg: &[u8], min: i64, max: i64, message: Option<&'static str>) -> Result<i64, CommandError> {
    let out_of_range = || match message {
        Some(line) => CommandError::other(line),
        None => CommandError::Other(format!("ERR value is out of range, must be between {min} and {max}").into()),
    };
    let n = match int(arg) {
        Ok(n) => n,
        Err(e) => return Err(message.map_or(e, CommandError::other)),
    };
    if n < min || n > max {
        return Err(out_of_range());
    }
    Ok(n)
}

/// Whether `arg` is the option `name`, compared as Redis's `strcasecmp` does (up to a NUL byte).
pub(crate) fn is_option(arg: &[u8], name: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// The argument as C reads it: up to the first NUL byte.
/// Which of `choices` the argument names (case-insensitively), as an option that takes one of a
/// few keywords (LEFT|RIGHT, SUM|MIN|MAX, ON|OFF|SKIP, …); `None` if it names none.
pub(crate) fn keyword<T: Copy>(arg: &[u8], choices: &[(&str, T)]) -> Option<T> {
    choices
        .iter()
        .find(|(name, _)| is_option(arg, name))
        .map(|&(_, value)| value)
}

/// `arg` read as a C string, as Redis's `%s` formats read it: up to its first NUL.
pub(crate) fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(nul) => &arg[..nul],
        None => arg,
    }
}

/// An argument quoted inside an error line, as Redis's `addReplyErrorFormat` prints it: as a C string,
/// with CR and LF turned into spaces.
pub(crate) fn error_text(arg: &[u8]) -> String {
    String::from_utf8_lossy(c_str(arg)).replace(['\r', '\n'], " ")
}

/// Redis's `addReplySubcommandSyntaxError`: the subcommand `argv` names (as typed) is unknown or
/// has the wrong number of arguments; `container` is the command's name in capitals.
pub(crate) fn subcommand_syntax_error(argv: &crate::argv::Argv, container: &str) -> CommandError {
    let sub = error_text(argv.get(1).unwrap_or_default());
    let sub: String = sub.chars().take(128).collect();
    CommandError::Other(
        format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {container} HELP.").into(),
    )
}

/// Redis's `sdssplitargs`: splits a line into arguments as `redis-cli` and inline commands do.
/// Blanks separate arguments; `"…"` quotes take `\n`, `\r`, `\t`, `\b`, `\a`, `\xHH` and `\<char>`
/// escapes, `'…'` quotes take only `\'`; a closing quote must be followed by a blank or the end.
/// The line ends at its first NUL, as in C. None for unbalanced quotes.
#[cfg_attr(not(any(feature = "lua", feature = "server")), allow(dead_code))]
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let line = c_str(line);
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    // C's isspace.
    let blank = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && blank(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(args);
        }
        // The quote character while inside quotes.
        let mut quote: Option<u8> = None;
        let mut current = Vec::new();
        loop {
            let c = at(p);
            if let Some(q) = quote {
                let hex = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                if q == b'"'
                    && c == b'\\'
                    && at(p + 1) == b'x'
                    && at(p + 2).is_ascii_hexdigit()
                    && at(p + 3).is_ascii_hexdigit()
                {
                    current.push(hex(at(p + 2)) * 16 + hex(at(p + 3)));
                    p += 3;
                } else if q == b'"' && c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if q == b'\'' && c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == q {
                    // A closing quote must be followed by a blank or the end.
                    if at(p + 1) != 0 && !blank(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        if c != 0 {
                            p += 1;
                        }
                        break;
                    }
                    b'"' | b'\'' => quote = Some(c),
                    _ => current.push(c),
                }
            }
            p += 1;
        }
        args.push(current);
    }
}

#[cfg(test)]
mod tests {
    use super::split_args;

    fn split(line: &str) -> Option<Vec<String>> {
        split_args(line.as_bytes()).map(|args| args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect())
    }

    #[test]
    fn splits_like_sdssplitargs() {
        assert_eq!(split("  set  a   b "), Some(vec!["set".into(), "a".into(), "b".into()]));
        assert_eq!(
            split(r#"set "a b" 'c d'"#),
            Some(vec!["set".into(), "a b".into(), "c d".into()])
        );
        assert_eq!(split(r#""\x41\n\q""#), Some(vec!["A\nq".into()]));
        assert_eq!(split(r"'it\'s'"), Some(vec!["it's".into()]));
        assert_eq!(split(r#"a"b c""#), Some(vec!["ab c".into()]));
        assert_eq!(split(r#""ab"c"#), None);
        assert_eq!(split(r#""unterminated"#), None);
        assert_eq!(split("'unterminated"), None);
        assert_eq!(split(""), Some(vec![]));
        assert_eq!(split("a\0b"), Some(vec!["a".into()]));
    }
}
