//! [`Reply`], the RESP-shaped answer of every command, and [`FromReply`], its conversions into Rust types.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use crate::error::CommandError;

/// A command's reply, shaped as Redis's protocol (RESP2) shapes it.
///
/// `Connection::call` answers with exactly what Redis would send: [`Reply::to_resp`] writes the same
/// bytes a Redis server writes for that command.
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

    /// A map reply (`HELLO`, `FUNCTION LIST`, …): RESP2 sends it as a flat array of keys and values.
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    pub(crate) fn map<K: Into<Vec<u8>>>(pairs: impl IntoIterator<Item = (K, Reply)>) -> Reply {
        Reply::Array(
            pairs
                .into_iter()
                .flat_map(|(key, value)| [Reply::Bulk(key.into()), value])
                .collect(),
        )
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

    /// The reply encoded in RESP2, byte for byte what Redis sends.
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
            Reply::Bulk(b) => {
                let _ = write!(out, "${}\r\n", b.len());
                out.extend_from_slice(b);
            }
            Reply::Nil => out.extend_from_slice(b"$-1"),
            Reply::NilArray => out.extend_from_slice(b"*-1"),
            Reply::Array(items) => {
                let _ = write!(out, "*{}\r\n", items.len());
                for item in items {
                    item.write_resp(out);
                }
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
        }
    }
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
}

fn mismatch<T>(reply: &Reply) -> Result<T, CommandError> {
    Err(CommandError::Conversion {
        reply: reply.describe(),
        target: std::any::type_name::<T>(),
    })
}

/// Pulls an error reply out first, so every conversion fails with the command's own error.
fn check(reply: Reply) -> Result<Reply, CommandError> {
    match reply {
        Reply::Error(e) => Err(e),
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
}

impl<T: FromReply> FromReply for Option<T> {
    fn from_reply(reply: Reply) -> Result<Option<T>, CommandError> {
        match check(reply)? {
            Reply::Nil | Reply::NilArray => Ok(None),
            other => T::from_reply(other).map(Some),
        }
    }
}

impl<T: FromReply> FromReply for Vec<T> {
    fn from_reply(reply: Reply) -> Result<Vec<T>, CommandError> {
        match check(reply)? {
            Reply::Array(items) => items.into_iter().map(T::from_reply).collect(),
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
        Reply::Array(items) if items.len() % 2 == 0 => {
            let mut out = Vec::with_capacity(items.len() / 2);
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                out.push((K::from_reply(k)?, V::from_reply(v)?));
            }
            Ok(out)
        }
        Reply::Nil | Reply::NilArray => Ok(Vec::new()),
        other => mismatch(&other),
    }
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
tuple_from_reply!(2; A, B);
tuple_from_reply!(3; A, B, C);
tuple_from_reply!(4; A, B, C, D);
tuple_from_reply!(5; A, B, C, D, E);
tuple_from_reply!(6; A, B, C, D, E, F);
