//! [`Reply`], the RESP-shaped answer of every command, and [`FromReply`], its conversions into Rust types.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use crate::error::CommandError;

/// A command's reply, shaped as Redis's protocol shapes it.
///
/// `Connection::call` answers with exactly what Redis would send: [`Reply::to_resp`] writes the same
/// bytes a Redis server writes for that command. A connection speaks RESP2 unless `HELLO 3` switched
/// it to RESP3; only then do replies hold the RESP3 types ([`Reply::Map`], [`Reply::Set`],
/// [`Reply::Double`], [`Reply::Boolean`], [`Reply::Verbatim`], [`Reply::BigNumber`]), which
/// [`Reply::to_resp3`] encodes. [`Reply::into_resp2`] turns them into what a RESP2 client gets.
///
/// ```
/// use embedis::{Reply, Store};
///
/// let store = Store::new();
/// let mut conn = store.connect();
/// assert_eq!(conn.call(["SET", "k", "1"]), Reply::ok());
/// assert_eq!(conn.call(["INCR", "k"]), Reply::Integer(2));
/// assert_eq!(conn.call(["GET", "k"]), Reply::Bulk(b"2".to_vec()));
/// assert_eq!(conn.call(["GET", "missing"]), Reply::Nil);
/// assert_eq!(conn.call(["GET", "k"]).to_resp(), b"$1\r\n2\r\n");
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// A simple string (`+OK`, `+QUEUED`, `+PONG`, type names).
    Status(Cow<'static, str>),
    /// An error reply (`-ERR …`): a run-time error takes its own slot of an EXEC reply.
    Error(CommandError),
    /// An integer (`:1`).
    Integer(i64),
    /// A bulk string (`$3 foo`): binary-safe bytes.
    Bulk(Vec<u8>),
    /// The null bulk string (`$-1`): a missing value.
    Nil,
    /// An array of replies (`*2 …`).
    Array(Vec<Reply>),
    /// The null array (`*-1`): what EXEC answers when a watched key changed.
    NilArray,
    /// RESP3 map (`%`): HGETALL, CONFIG GET, FUNCTION LIST, … RESP2 sends a flat array of keys and
    /// values.
    Map(Vec<(Reply, Reply)>),
    /// RESP3 set (`~`): SMEMBERS, SINTER, … RESP2 sends an array.
    Set(Vec<Reply>),
    /// RESP3 double (`,`): ZSCORE, ZINCRBY, … RESP2 sends a bulk string (`%.17g`).
    Double(f64),
    /// RESP3 double printed as Redis prints a `long double` (17 decimals, trailing zeros
    /// removed): the coordinates of GEOPOS and WITHCOORD. RESP2 sends a bulk string of the same
    /// text.
    ///
    /// ```
    /// use embedis::Reply;
    /// assert_eq!(Reply::LongDouble(13.5).to_resp3(), b",13.5\r\n");
    /// assert_eq!(Reply::LongDouble(0.1).to_resp(), b"$19\r\n0.10000000000000001\r\n");
    /// ```
    LongDouble(f64),
    /// RESP3 boolean (`#t`/`#f`), from scripts after `redis.setresp(3)`. RESP2 sends 1 or 0.
    Boolean(bool),
    /// RESP3 verbatim string (`=`) with its three-letter format (`txt`). RESP2 sends a bulk string.
    Verbatim([u8; 3], Vec<u8>),
    /// RESP3 big number (`(`), from scripts. RESP2 sends a bulk string.
    BigNumber(String),
    /// RESP3 push (`>`): a Pub/Sub message or subscription confirmation, which a client may
    /// receive between the replies to its commands. RESP2 sends an array.
    Push(Vec<Reply>),
    /// A reply preceded by RESP3 attributes (`|`): pairs of out-of-band information about the
    /// reply (DEBUG PROTOCOL ATTRIB answers one). RESP2 sends the reply alone.
    ///
    /// ```
    /// use embedis::Reply;
    /// let pairs = vec![(Reply::Bulk(b"ttl".to_vec()), Reply::Integer(5))];
    /// let reply = Reply::Attributed(pairs, Box::new(Reply::Integer(1)));
    /// assert_eq!(reply.to_resp3(), b"|1\r\n$3\r\nttl\r\n:5\r\n:1\r\n");
    /// assert_eq!(reply.to_resp(), b":1\r\n");
    /// ```
    Attributed(Vec<(Reply, Reply)>, Box<Reply>),
}

impl Reply {
    /// The `+OK` status.
    ///
    /// ```
    /// assert_eq!(embedis::Reply::ok().to_resp(), b"+OK\r\n");
    /// ```
    pub fn ok() -> Reply {
        Reply::Status(Cow::Borrowed("OK"))
    }

    /// A status reply with static text.
    pub(crate) fn status(text: &'static str) -> Reply {
        Reply::Status(Cow::Borrowed(text))
    }

    /// A HELP subcommand's reply: its lines as status replies.
    pub(crate) fn help(lines: &'static [&'static str]) -> Reply {
        Reply::Array(lines.iter().map(|line| Reply::status(line)).collect())
    }

    /// A bulk reply from anything byte-like.
    pub(crate) fn bulk(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply::Bulk(bytes.into())
    }

    /// An array of bulk strings.
    pub(crate) fn bulks<I, B>(items: I) -> Reply
    where
        I: IntoIterator<Item = B>,
        B: Into<Vec<u8>>,
    {
        Reply::Array(items.into_iter().map(|b| Reply::Bulk(b.into())).collect())
    }

    /// A map reply with bulk-string keys (`HELLO`, `FUNCTION LIST`, …).
    pub(crate) fn map<K: Into<Vec<u8>>>(pairs: impl IntoIterator<Item = (K, Reply)>) -> Reply {
        Reply::Map(
            pairs
                .into_iter()
                .map(|(key, value)| (Reply::Bulk(key.into()), value))
                .collect(),
        )
    }

    /// The reply a RESP2 client gets: maps flatten into arrays of keys and values, sets become
    /// arrays, doubles bulk strings (`%.17g`), booleans 1 or 0, verbatim strings and big numbers
    /// bulk strings — what Redis's reply functions write for a RESP2 client.
    ///
    /// ```
    /// use embedis::Reply;
    /// let map = Reply::Map(vec![(Reply::Bulk(b"f".to_vec()), Reply::Double(1.5))]);
    /// assert_eq!(
    ///     map.into_resp2(),
    ///     Reply::Array(vec![Reply::Bulk(b"f".to_vec()), Reply::Bulk(b"1.5".to_vec())])
    /// );
    /// ```
    pub fn into_resp2(mut self) -> Reply {
        self.downgrade();
        self
    }

    /// [`Reply::into_resp2`] in place. Plain loops keep each level's frame small: script replies
    /// may nest a thousand levels deep.
    fn downgrade(&mut self) {
        match self {
            Reply::Array(items) => {
                for item in items.iter_mut() {
                    item.downgrade();
                }
            }
            Reply::Map(pairs) => {
                let pairs = std::mem::take(pairs);
                let mut flat = Vec::with_capacity(pairs.len() * 2);
                for (mut key, mut value) in pairs {
                    key.downgrade();
                    value.downgrade();
                    flat.push(key);
                    flat.push(value);
                }
                *self = Reply::Array(flat);
            }
            Reply::Set(items) | Reply::Push(items) => {
                let mut items = std::mem::take(items);
                for item in items.iter_mut() {
                    item.downgrade();
                }
                *self = Reply::Array(items);
            }
            Reply::Double(d) => *self = Reply::Bulk(crate::number::format_g17(*d)),
            Reply::LongDouble(d) => *self = Reply::Bulk(crate::number::format_human_long_double(*d)),
            Reply::Boolean(b) => *self = Reply::Integer(*b as i64),
            Reply::Verbatim(_, text) => *self = Reply::Bulk(std::mem::take(text)),
            Reply::BigNumber(n) => *self = Reply::Bulk(std::mem::take(n).into_bytes()),
            Reply::Attributed(_, reply) => {
                let mut reply = std::mem::replace(&mut **reply, Reply::Nil);
                reply.downgrade();
                *self = reply;
            }
            _ => {}
        }
    }

    /// Whether this reply (or anything inside it) is of a RESP3-only type. Inlined, so that
    /// the common replies are answered without a call.
    #[inline]
    pub(crate) fn has_resp3(&self) -> bool {
        match self {
            Reply::Status(_) | Reply::Error(_) | Reply::Integer(_) | Reply::Bulk(_) | Reply::Nil | Reply::NilArray => {
                false
            }
            _ => self.has_resp3_inside(),
        }
    }

    /// [`Reply::has_resp3`] for the replies that need a look.
    fn has_resp3_inside(&self) -> bool {
        match self {
            Reply::Array(items) => {
                for item in items {
                    if item.has_resp3() {
                        return true;
                    }
                }
                false
            }
            Reply::Map(_)
            | Reply::Set(_)
            | Reply::Push(_)
            | Reply::Double(_)
            | Reply::LongDouble(_)
            | Reply::Boolean(_)
            | Reply::Verbatim(..)
            | Reply::BigNumber(_)
            | Reply::Attributed(..) => true,
            _ => false,
        }
    }

    /// Whether this is an error reply.
    ///
    /// ```
    /// use embedis::{Reply, CommandError};
    /// assert!(Reply::Error(CommandError::Syntax).is_error());
    /// assert!(!Reply::ok().is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    /// The reply encoded in RESP2, byte for byte what Redis sends a RESP2 client (RESP3 types are
    /// written as [`Reply::into_resp2`] turns them).
    ///
    /// ```
    /// use embedis::Reply;
    /// let reply = Reply::Array(vec![Reply::Integer(1), Reply::Nil, Reply::ok()]);
    /// assert_eq!(reply.to_resp(), b"*3\r\n:1\r\n$-1\r\n+OK\r\n");
    /// ```
    pub fn to_resp(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_resp(&mut out);
        out
    }

    /// Appends the RESP2 encoding of this reply to `out`.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// embedis::Reply::Integer(-7).write_resp(&mut out);
    /// assert_eq!(out, b":-7\r\n");
    /// ```
    pub fn write_resp(&self, out: &mut Vec<u8>) {
        self.write(out, false);
    }

    /// The reply encoded in RESP3, byte for byte what Redis sends a client after `HELLO 3`.
    ///
    /// ```
    /// use embedis::Reply;
    /// assert_eq!(Reply::Nil.to_resp3(), b"_\r\n");
    /// assert_eq!(Reply::Double(1.5).to_resp3(), b",1.5\r\n");
    /// let map = Reply::Map(vec![(Reply::Bulk(b"a".to_vec()), Reply::Integer(1))]);
    /// assert_eq!(map.to_resp3(), b"%1\r\n$1\r\na\r\n:1\r\n");
    /// ```
    pub fn to_resp3(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_resp3(&mut out);
        out
    }

    /// Appends the RESP3 encoding of this reply to `out`.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// embedis::Reply::Boolean(true).write_resp3(&mut out);
    /// assert_eq!(out, b"#t\r\n");
    /// ```
    pub fn write_resp3(&self, out: &mut Vec<u8>) {
        self.write(out, true);
    }

    fn write(&self, out: &mut Vec<u8>, resp3: bool) {
        use std::io::Write;
        match self {
            Reply::Status(s) => {
                out.push(b'+');
                out.extend_from_slice(s.as_bytes());
            }
            Reply::Error(e) => {
                let _ = write!(out, "-{e}");
            }
            Reply::Integer(n) => {
                let _ = write!(out, ":{n}");
            }
            Reply::Bulk(b) => write_bulk(out, b'$', b),
            Reply::Nil | Reply::NilArray if resp3 => out.push(b'_'),
            Reply::Nil => out.extend_from_slice(b"$-1"),
            Reply::NilArray => out.extend_from_slice(b"*-1"),
            Reply::Array(items) => {
                let _ = write!(out, "*{}\r\n", items.len());
                for item in items {
                    item.write(out, resp3);
                }
                return;
            }
            Reply::Map(pairs) => {
                if resp3 {
                    let _ = write!(out, "%{}\r\n", pairs.len());
                } else {
                    let _ = write!(out, "*{}\r\n", pairs.len() * 2);
                }
                for (key, value) in pairs {
                    key.write(out, resp3);
                    value.write(out, resp3);
                }
                return;
            }
            Reply::Set(items) => {
                let _ = write!(out, "{}{}\r\n", if resp3 { '~' } else { '*' }, items.len());
                for item in items {
                    item.write(out, resp3);
                }
                return;
            }
            Reply::Push(items) => {
                let _ = write!(out, "{}{}\r\n", if resp3 { '>' } else { '*' }, items.len());
                for item in items {
                    item.write(out, resp3);
                }
                return;
            }
            Reply::Double(d) if resp3 => {
                out.push(b',');
                out.extend_from_slice(&crate::number::format_g17(*d));
            }
            Reply::Double(d) => write_bulk(out, b'$', &crate::number::format_g17(*d)),
            Reply::LongDouble(d) if resp3 => {
                out.push(b',');
                out.extend_from_slice(&crate::number::format_human_long_double(*d));
            }
            Reply::LongDouble(d) => write_bulk(out, b'$', &crate::number::format_human_long_double(*d)),
            Reply::Boolean(b) if resp3 => out.extend_from_slice(if *b { b"#t" } else { b"#f" }),
            Reply::Boolean(b) => out.extend_from_slice(if *b { b":1" } else { b":0" }),
            Reply::Verbatim(format, text) if resp3 => {
                let _ = write!(out, "={}\r\n", text.len() + 4);
                out.extend_from_slice(format);
                out.push(b':');
                out.extend_from_slice(text);
            }
            Reply::Verbatim(_, text) => write_bulk(out, b'$', text),
            Reply::BigNumber(n) if resp3 => {
                out.push(b'(');
                out.extend_from_slice(n.as_bytes());
            }
            Reply::BigNumber(n) => write_bulk(out, b'$', n.as_bytes()),
            Reply::Attributed(pairs, reply) => {
                if resp3 {
                    let _ = write!(out, "|{}\r\n", pairs.len());
                    for (key, value) in pairs {
                        key.write(out, resp3);
                        value.write(out, resp3);
                    }
                }
                reply.write(out, resp3);
                return;
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// A short description for conversion errors.
    fn describe(&self) -> String {
        match self {
            Reply::Status(s) => format!("status {s:?}"),
            Reply::Error(e) => format!("error {e:?}"),
            Reply::Integer(n) => format!("integer {n}"),
            Reply::Bulk(b) => format!("bulk {:?}", String::from_utf8_lossy(b)),
            Reply::Nil => "nil".into(),
            Reply::NilArray => "nil array".into(),
            Reply::Array(items) => format!("array of {}", items.len()),
            Reply::Map(pairs) => format!("map of {}", pairs.len()),
            Reply::Push(items) => format!("push of {}", items.len()),
            Reply::Set(items) => format!("set of {}", items.len()),
            Reply::Double(d) | Reply::LongDouble(d) => format!("double {d}"),
            Reply::Boolean(b) => format!("boolean {b}"),
            Reply::Verbatim(_, text) => format!("verbatim {:?}", String::from_utf8_lossy(text)),
            Reply::BigNumber(n) => format!("big number {n}"),
            Reply::Attributed(_, reply) => format!("{} with attributes", reply.describe()),
        }
    }
}

/// `<kind><len>\r\n<bytes>` (the caller adds the final CRLF).
fn write_bulk(out: &mut Vec<u8>, kind: u8, bytes: &[u8]) {
    use std::io::Write;
    out.push(kind);
    let _ = write!(out, "{}\r\n", bytes.len());
    out.extend_from_slice(bytes);
}

impl From<CommandError> for Reply {
    fn from(e: CommandError) -> Reply {
        Reply::Error(e)
    }
}

impl From<Result<Reply, CommandError>> for Reply {
    fn from(result: Result<Reply, CommandError>) -> Reply {
        result.unwrap_or_else(Reply::Error)
    }
}

/// Conversion of a [`Reply`] into a Rust type, as redis-rs's `FromRedisValue`.
///
/// An error reply converts into `Err` with that error, whatever the target type. Integers read from
/// integer replies and from bulk strings holding an integer; `Option<T>` is `None` for nil; `Vec<u8>`
/// and `String` take bulk strings and statuses; `Vec<T>`, tuples, maps and sets take arrays; `()`
/// takes anything that is not an error.
///
/// ```
/// use embedis::{FromReply, Reply};
///
/// let n: i64 = i64::from_reply(Reply::Bulk(b"42".to_vec()))?;
/// assert_eq!(n, 42);
/// let none: Option<String> = FromReply::from_reply(Reply::Nil)?;
/// assert_eq!(none, None);
/// let pair: (i64, String) = FromReply::from_reply(Reply::Array(vec![
///     Reply::Integer(1),
///     Reply::Bulk(b"one".to_vec()),
/// ]))?;
/// assert_eq!(pair, (1, "one".to_string()));
/// # Ok::<(), embedis::CommandError>(())
/// ```
pub trait FromReply: Sized {
    /// Converts the reply, or says why it does not fit.
    fn from_reply(reply: Reply) -> Result<Self, CommandError>;

    /// For `Vec<u8>`: a bulk string is the vector itself. Other element types say `None`.
    #[doc(hidden)]
    fn vec_from_bulk(_bytes: Vec<u8>) -> Option<Vec<Self>> {
        None
    }

    /// The elements of an array reply as a `Vec<Self>`: each element converted, except that pairs
    /// take a flat array two elements at a time (a WITHSCORES reply as `Vec<(String, f64)>`).
    #[doc(hidden)]
    fn vec_from_items(items: Vec<Reply>) -> Result<Vec<Self>, CommandError> {
        items.into_iter().map(Self::from_reply).collect()
    }

    /// What a bulk string of `n`'s decimal digits converts into, made from `n` itself (a typed
    /// GET of a string the store keeps as an integer need not write the digits out and read
    /// them back): `Some` only where it is exactly what [`FromReply::from_reply`] would answer,
    /// `None` to take that way.
    #[doc(hidden)]
    fn from_integer_bulk(_n: i64) -> Option<Self> {
        None
    }
}

pub(crate) fn mismatch<T>(reply: &Reply) -> Result<T, CommandError> {
    Err(CommandError::Conversion {
        reply: reply.describe(),
        target: std::any::type_name::<T>(),
    })
}

/// An error reply as `Err`, any other as `Ok`: a typed transaction's slot.
pub(crate) fn into_result(reply: Reply) -> Result<Reply, CommandError> {
    match reply {
        Reply::Error(e) => Err(e),
        other => Ok(other),
    }
}

/// Pulls an error reply out first, so every conversion fails with the command's own error; RESP3
/// types convert as their RESP2 forms do.
pub(crate) fn check(reply: Reply) -> Result<Reply, CommandError> {
    match reply {
        Reply::Error(e) => Err(e),
        other if other.has_resp3() => Ok(other.into_resp2()),
        other => Ok(other),
    }
}

impl FromReply for Reply {
    fn from_reply(reply: Reply) -> Result<Reply, CommandError> {
        Ok(reply)
    }
}

impl FromReply for () {
    fn from_reply(reply: Reply) -> Result<(), CommandError> {
        check(reply).map(|_| ())
    }
}

macro_rules! int_from_reply {
    ($($ty:ty),*) => {$(
        impl FromReply for $ty {
            fn from_reply(reply: Reply) -> Result<$ty, CommandError> {
                let reply = check(reply)?;
                let parsed = match &reply {
                    Reply::Integer(n) => <$ty>::try_from(*n).ok(),
                    Reply::Bulk(b) => std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()),
                    Reply::Status(s) => s.parse().ok(),
                    _ => None,
                };
                parsed.map_or_else(|| mismatch(&reply), Ok)
            }

            fn from_integer_bulk(n: i64) -> Option<$ty> {
                <$ty>::try_from(n).ok()
            }
        }
    )*};
}
int_from_reply!(i8, i16, i32, i64, i128, isize, u16, u32, u64, u128, usize);

impl FromReply for u8 {
    fn from_reply(reply: Reply) -> Result<u8, CommandError> {
        let n = i64::from_reply(reply)?;
        u8::try_from(n).or_else(|_| mismatch(&Reply::Integer(n)))
    }

    fn vec_from_bulk(bytes: Vec<u8>) -> Option<Vec<u8>> {
        Some(bytes)
    }
}

impl FromReply for f64 {
    fn from_reply(reply: Reply) -> Result<f64, CommandError> {
        let reply = check(reply)?;
        let parsed = match &reply {
            Reply::Integer(n) => Some(*n as f64),
            Reply::Bulk(b) => std::str::from_utf8(b).ok().and_then(|s| s.parse().ok()),
            _ => None,
        };
        parsed.map_or_else(|| mismatch(&reply), Ok)
    }
}

impl FromReply for bool {
    fn from_reply(reply: Reply) -> Result<bool, CommandError> {
        match check(reply)? {
            Reply::Integer(n) => Ok(n != 0),
            Reply::Status(_) => Ok(true),
            Reply::Nil | Reply::NilArray => Ok(false),
            Reply::Bulk(b) if b == b"1" => Ok(true),
            Reply::Bulk(b) if b == b"0" => Ok(false),
            other => mismatch(&other),
        }
    }
}

impl FromReply for String {
    fn from_reply(reply: Reply) -> Result<String, CommandError> {
        match check(reply)? {
            Reply::Bulk(b) => String::from_utf8(b).or_else(|e| mismatch(&Reply::Bulk(e.into_bytes()))),
            Reply::Status(s) => Ok(s.into_owned()),
            Reply::Integer(n) => Ok(n.to_string()),
            other => mismatch(&other),
        }
    }

    fn from_integer_bulk(n: i64) -> Option<String> {
        Some(n.to_string())
    }
}

impl<T: FromReply> FromReply for Option<T> {
    fn from_reply(reply: Reply) -> Result<Option<T>, CommandError> {
        match check(reply)? {
            Reply::Nil | Reply::NilArray => Ok(None),
            other => T::from_reply(other).map(Some),
        }
    }

    fn from_integer_bulk(n: i64) -> Option<Option<T>> {
        T::from_integer_bulk(n).map(Some)
    }
}

impl<T: FromReply> FromReply for Vec<T> {
    fn from_reply(reply: Reply) -> Result<Vec<T>, CommandError> {
        match check(reply)? {
            Reply::Array(items) => T::vec_from_items(items),
            Reply::Bulk(b) => match T::vec_from_bulk(b) {
                Some(v) => Ok(v),
                None => mismatch::<Vec<T>>(&Reply::Bulk(Vec::new())),
            },
            Reply::Status(s) => match T::vec_from_bulk(s.as_bytes().to_vec()) {
                Some(v) => Ok(v),
                None => mismatch(&Reply::Status(s)),
            },
            Reply::Nil | Reply::NilArray => Ok(Vec::new()),
            other => mismatch(&other),
        }
    }
}

/// Arrays of alternating fields and values (HGETALL) convert into maps.
fn pairs<K: FromReply, V: FromReply>(reply: Reply) -> Result<Vec<(K, V)>, CommandError> {
    match check(reply)? {
        Reply::Array(items) if items.len() % 2 == 0 => flat_pairs(items),
        Reply::Nil | Reply::NilArray => Ok(Vec::new()),
        other => mismatch(&other),
    }
}

/// `[k1, v1, k2, v2, …]` as `[(k1, v1), (k2, v2), …]`; the caller has checked the length is even.
fn flat_pairs<K: FromReply, V: FromReply>(items: Vec<Reply>) -> Result<Vec<(K, V)>, CommandError> {
    let mut out = Vec::with_capacity(items.len() / 2);
    let mut it = items.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        out.push((K::from_reply(k)?, V::from_reply(v)?));
    }
    Ok(out)
}

impl<K: FromReply + Eq + Hash, V: FromReply, S: BuildHasher + Default> FromReply for HashMap<K, V, S> {
    fn from_reply(reply: Reply) -> Result<Self, CommandError> {
        Ok(pairs(reply)?.into_iter().collect())
    }
}

impl<K: FromReply + Ord, V: FromReply> FromReply for BTreeMap<K, V> {
    fn from_reply(reply: Reply) -> Result<Self, CommandError> {
        Ok(pairs(reply)?.into_iter().collect())
    }
}

impl<T: FromReply + Eq + Hash, S: BuildHasher + Default> FromReply for HashSet<T, S> {
    fn from_reply(reply: Reply) -> Result<Self, CommandError> {
        Ok(Vec::<T>::from_reply(reply)?.into_iter().collect())
    }
}

/// A pair takes a two-element array; a vector of pairs also takes a flat array of alternating
/// elements, as redis-rs pairs them (ZRANGE … WITHSCORES, HGETALL as `Vec<(String, String)>`).
impl<A: FromReply, B: FromReply> FromReply for (A, B) {
    fn from_reply(reply: Reply) -> Result<Self, CommandError> {
        match check(reply)? {
            Reply::Array(items) if items.len() == 2 => {
                let mut it = items.into_iter();
                Ok((
                    A::from_reply(it.next().unwrap_or(Reply::Nil))?,
                    B::from_reply(it.next().unwrap_or(Reply::Nil))?,
                ))
            }
            other => mismatch(&other),
        }
    }

    fn vec_from_items(items: Vec<Reply>) -> Result<Vec<Self>, CommandError> {
        let flat = items
            .iter()
            .all(|item| !matches!(item, Reply::Array(_) | Reply::NilArray));
        if flat && items.len().is_multiple_of(2) {
            flat_pairs(items)
        } else {
            items.into_iter().map(Self::from_reply).collect()
        }
    }
}

macro_rules! tuple_from_reply {
    ($len:expr; $($name:ident),+) => {
        impl<$($name: FromReply),+> FromReply for ($($name,)+) {
            fn from_reply(reply: Reply) -> Result<Self, CommandError> {
                match check(reply)? {
                    Reply::Array(items) if items.len() == $len => {
                        let mut it = items.into_iter();
                        Ok(($($name::from_reply(it.next().unwrap_or(Reply::Nil))?,)+))
                    }
                    other => mismatch(&other),
                }
            }
        }
    };
}
tuple_from_reply!(1; A);
tuple_from_reply!(3; A, B, C);
tuple_from_reply!(4; A, B, C, D);
tuple_from_reply!(5; A, B, C, D, E);
tuple_from_reply!(6; A, B, C, D, E, F);
