//! The values a key holds.

use std::borrow::Cow;
use std::collections::VecDeque;

use crate::number::{format_i64, parse_i64};

/// A hash map with ahash, the map type of the whole keyspace.
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// A list value: elements in order, O(1) at both ends.
pub(crate) type List = VecDeque<Vec<u8>>;

/// A hash value: field to value.
pub(crate) type Hash = Map<Vec<u8>, Vec<u8>>;

/// A key's value. Every type Redis has gets a variant as it is implemented.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Str(Str),
    List(List),
    Hash(Hash),
}

impl Value {
    /// The name TYPE reports.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
        }
    }

    /// A string value from bytes, int-encoded when they are an integer.
    pub(crate) fn string(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Str(Str::from_bytes(bytes.into()))
    }
}

/// A type a value can have: how to find it inside a [`Value`] and how to make an empty one, so
/// command handlers ask for "the list at this key" once, with WRONGTYPE handled in one place.
pub(crate) trait ValueKind: Sized {
    fn of(value: &Value) -> Option<&Self>;
    fn of_mut(value: &mut Value) -> Option<&mut Self>;
    /// An empty value of this kind, for commands that create the key (LPUSH, HSET, …).
    fn empty() -> Value;
}

macro_rules! value_kind {
    ($ty:ty, $variant:ident, $empty:expr) => {
        impl ValueKind for $ty {
            fn of(value: &Value) -> Option<&Self> {
                match value {
                    Value::$variant(v) => Some(v),
                    _ => None,
                }
            }

            fn of_mut(value: &mut Value) -> Option<&mut Self> {
                match value {
                    Value::$variant(v) => Some(v),
                    _ => None,
                }
            }

            fn empty() -> Value {
                Value::$variant($empty)
            }
        }
    };
}

value_kind!(Str, Str, Str::Raw(Vec::new()));
value_kind!(List, List, List::new());
value_kind!(Hash, Hash, Hash::default());

/// A string value: kept as an integer when it is the canonical decimal form of one, as Redis's int
/// encoding does, so INCR never parses or formats.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Str {
    Int(i64),
    Raw(Vec<u8>),
}

impl Str {
    /// Int-encodes bytes that read back to themselves as an i64 (no `+`, no leading zeros, ≤ 20 chars).
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> Str {
        if bytes.len() <= 20
            && let Some(n) = parse_i64(&bytes)
        {
            return Str::Int(n);
        }
        Str::Raw(bytes)
    }

    /// The bytes of the string.
    pub(crate) fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Str::Int(n) => Cow::Owned(format_i64(*n)),
            Str::Raw(b) => Cow::Borrowed(b),
        }
    }

    /// The length in bytes (STRLEN).
    pub(crate) fn len(&self) -> usize {
        match self {
            Str::Int(n) => decimal_len(*n),
            Str::Raw(b) => b.len(),
        }
    }

    /// The integer the string holds, by Redis's strict rules.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Str::Int(n) => Some(*n),
            Str::Raw(b) => parse_i64(b),
        }
    }

    /// The raw bytes for in-place editing (APPEND, SETRANGE): an int-encoded string becomes raw.
    pub(crate) fn make_raw(&mut self) -> &mut Vec<u8> {
        if let Str::Int(n) = *self {
            *self = Str::Raw(format_i64(n));
        }
        match self {
            Str::Raw(b) => b,
            Str::Int(_) => unreachable!("made raw above"),
        }
    }
}

/// How many bytes `n` takes in decimal.
fn decimal_len(n: i64) -> usize {
    let sign = usize::from(n < 0);
    let mut m = n.unsigned_abs();
    let mut digits = 1;
    while m >= 10 {
        m /= 10;
        digits += 1;
    }
    sign + digits
}
