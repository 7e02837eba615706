//! The values a key holds.

use std::borrow::Cow;

use super::list::List;
use super::memory;
use super::packed::{Element, Packed};
use crate::number::{format_i64, parse_i64};

/// A hash map with ahash, the map type of the whole keyspace.
pub(crate) type Map<K, V> = std::collections::HashMap<K, V, ahash::RandomState>;

/// An insertion-ordered map with O(1) lookup, removal and access by position.
type OrderedMap<K, V> = indexmap::IndexMap<K, V, ahash::RandomState>;

/// An insertion-ordered set with O(1) lookup, removal and access by position.
type OrderedSet<T> = indexmap::IndexSet<T, ahash::RandomState>;

/// Redis's thresholds for the compact encodings (`hash-max-listpack-entries`/`-value`,
/// `set-max-intset-entries`, `zset-max-listpack-entries`/`-value`): a collection stays compact
/// while it has at most that many elements of at most that many bytes. CONFIG SET changes them;
/// as in Redis, they apply to values as they are created and as they grow, and a collection that
/// became large stays large.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Encodings {
    pub(crate) hash_max_entries: usize,
    pub(crate) hash_max_value: usize,
    pub(crate) set_max_intset_entries: usize,
    pub(crate) zset_max_entries: usize,
    pub(crate) zset_max_value: usize,
    /// `stream-node-max-bytes` and `stream-node-max-entries`: where a stream's nodes end.
    pub(crate) stream_node: super::stream::NodeLimits,
    /// `hll-sparse-max-bytes`: a sparse HyperLogLog that would grow past it turns dense.
    pub(crate) hll_sparse_max_bytes: usize,
}

impl Default for Encodings {
    /// Redis 7.0's defaults.
    fn default() -> Encodings {
        Encodings {
            hash_max_entries: 512,
            hash_max_value: 64,
            set_max_intset_entries: 512,
            zset_max_entries: 128,
            zset_max_value: 64,
            stream_node: super::stream::NodeLimits {
                max_bytes: 4096,
                max_entries: 100,
            },
            hll_sparse_max_bytes: 3000,
        }
    }
}

/// A hash value: field to value.
///
/// A small hash is packed, fields and values in insertion order in one block, as Redis's listpack
/// encoding holds it, and answers in that order (HGETALL, HKEYS, …; deletions keep the order).
/// Past Redis's thresholds it becomes a table, whose order is unspecified as that of Redis's
/// hashtable encoding, and it never goes back, as in Redis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Hash {
    /// Field, value, field, value, … (Redis's `listpack` encoding).
    Packed(Packed),
    /// Redis's `hashtable` encoding.
    Table(Box<HashTable>),
}

/// A large hash's fields and values.
type HashTable = OrderedMap<Box<[u8]>, Box<[u8]>>;

impl Default for Hash {
    fn default() -> Hash {
        Hash::Packed(Packed::default())
    }
}

/// A packed hash's field at its place: the field's and its value's elements.
struct PackedField<'a> {
    field: Element<'a>,
    value: Element<'a>,
    index: usize,
}

/// The fields of a packed hash with their places, in order.
fn packed_fields(packed: &Packed) -> impl Iterator<Item = PackedField<'_>> + '_ {
    let mut elements = packed.elements();
    let mut index = 0;
    std::iter::from_fn(move || {
        let field = elements.next()?;
        let value = elements.next()?;
        index += 1;
        Some(PackedField {
            field,
            value,
            index: index - 1,
        })
    })
}

impl Hash {
    /// Sets a field; answers whether it is new. `limits` decide whether the hash stays packed.
    pub(crate) fn insert(&mut self, field: &[u8], value: Vec<u8>, limits: &Encodings) -> bool {
        if let Hash::Packed(packed) = self {
            let too_long = field.len() > limits.hash_max_value || value.len() > limits.hash_max_value;
            let found = packed_fields(packed).find(|f| f.field.bytes == field);
            match found {
                _ if too_long => self.convert_to_table(),
                Some(f) => {
                    let (start, end) = (f.value.start, f.value.end);
                    packed.splice(start, end, 1, &[&value]);
                    return false;
                }
                None if packed.len() / 2 < limits.hash_max_entries => {
                    packed.push_back(&[field, &value]);
                    return true;
                }
                None => self.convert_to_table(),
            }
        }
        let Hash::Table(table) = self else {
            unreachable!("converted just above")
        };
        match table.get_mut(field) {
            Some(old) => {
                *old = value.into_boxed_slice();
                false
            }
            None => {
                table.insert(field.into(), value.into_boxed_slice());
                true
            }
        }
    }

    /// Turns a packed hash into a table (Redis's `hashTypeConvert`).
    fn convert_to_table(&mut self) {
        if let Hash::Packed(packed) = self {
            let mut table = OrderedMap::with_capacity_and_hasher(packed.len() / 2 + 1, Default::default());
            for f in packed_fields(packed) {
                table.insert(f.field.bytes.into(), f.value.bytes.into());
            }
            *self = Hash::Table(Box::new(table));
        }
    }

    pub(crate) fn get(&self, field: &[u8]) -> Option<&[u8]> {
        match self {
            Hash::Packed(packed) => packed_fields(packed)
                .find(|f| f.field.bytes == field)
                .map(|f| f.value.bytes),
            Hash::Table(table) => table.get(field).map(|v| &**v),
        }
    }

    /// Removes a field; answers whether it was there.
    pub(crate) fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Packed(packed) => {
                let Some((start, end)) = packed_fields(packed)
                    .find(|f| f.field.bytes == field)
                    .map(|f| (f.field.start, f.value.end))
                else {
                    return false;
                };
                packed.splice(start, end, 2, &[]);
                true
            }
            Hash::Table(table) => table.swap_remove(field).is_some(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Hash::Packed(packed) => packed.len() / 2,
            Hash::Table(table) => table.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fields and values in the order Redis answers them.
    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = (&[u8], &[u8])> + '_> {
        match self {
            Hash::Packed(packed) => Box::new(packed_fields(packed).map(|f| (f.field.bytes, f.value.bytes))),
            Hash::Table(table) => Box::new(table.iter().map(|(f, v)| (&**f, &**v))),
        }
    }

    /// The field and value at `index` (0..len), for random picks.
    pub(crate) fn get_index(&self, index: usize) -> Option<(&[u8], &[u8])> {
        match self {
            Hash::Packed(packed) => packed_fields(packed)
                .find(|f| f.index == index)
                .map(|f| (f.field.bytes, f.value.bytes)),
            Hash::Table(table) => table.get_index(index).map(|(f, v)| (&**f, &**v)),
        }
    }

    /// Whether Redis would have converted this hash to a hashtable.
    pub(crate) fn is_large(&self) -> bool {
        matches!(self, Hash::Table(_))
    }

    /// The heap bytes, measured from the first `samples` fields (0: all), for MEMORY USAGE.
    pub(crate) fn heap_bytes(&self, samples: usize) -> usize {
        match self {
            Hash::Packed(packed) => packed.byte_len(),
            Hash::Table(table) => {
                let fields = table.iter().map(|(f, v)| f.len() + v.len());
                std::mem::size_of::<HashTable>()
                    + memory::table_bytes(table.capacity(), 8 + 2 * std::mem::size_of::<Box<[u8]>>())
                    + memory::sampled(table.len(), samples, fields)
            }
        }
    }
}

/// A set value.
///
/// A set of integers answers in numeric order, as Redis's intset encoding does; other sets answer
/// in an unspecified order, as Redis's hashtable does. Once a set stops being an intset (a
/// non-integer member, or more than 512 members) it never becomes one again, as in Redis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Set {
    members: OrderedSet<Vec<u8>>,
    intset: bool,
}

impl Default for Set {
    fn default() -> Set {
        Set {
            members: OrderedSet::default(),
            intset: true,
        }
    }
}

impl Set {
    /// Adds a member; answers whether it is new. `limits` decide whether it stays an intset.
    pub(crate) fn insert(&mut self, member: &[u8], limits: &Encodings) -> bool {
        if self.members.contains(member) {
            return false;
        }
        if self.intset && (parse_i64(member).is_none() || self.members.len() >= limits.set_max_intset_entries) {
            self.intset = false;
        }
        self.members.insert(member.to_vec())
    }

    /// Removes a member; answers whether it was there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        self.members.swap_remove(member)
    }

    pub(crate) fn contains(&self, member: &[u8]) -> bool {
        self.members.contains(member)
    }

    pub(crate) fn len(&self) -> usize {
        self.members.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The member at `index` (0..len), for random picks.
    pub(crate) fn get_index(&self, index: usize) -> Option<&Vec<u8>> {
        self.members.get_index(index)
    }

    /// Removes and answers the member at `index` (0..len).
    pub(crate) fn take_index(&mut self, index: usize) -> Option<Vec<u8>> {
        self.members.swap_remove_index(index)
    }

    /// Members in the order Redis answers them (numeric for an intset).
    pub(crate) fn members(&self) -> Vec<&Vec<u8>> {
        let mut members: Vec<&Vec<u8>> = self.members.iter().collect();
        if self.intset {
            members.sort_by_key(|m| parse_i64(m));
        }
        members
    }

    /// Members in storage order, for set algebra whose output order Redis leaves unspecified.
    pub(crate) fn iter(&self) -> impl ExactSizeIterator<Item = &Vec<u8>> {
        self.members.iter()
    }

    /// Whether Redis would hold this set as an intset.
    pub(crate) fn is_intset(&self) -> bool {
        self.intset
    }

    /// How many members the set's table holds without growing.
    pub(crate) fn capacity(&self) -> usize {
        self.members.capacity()
    }

    /// The heap bytes, measured from the first `samples` members (0: all), for MEMORY USAGE.
    pub(crate) fn heap_bytes(&self, samples: usize) -> usize {
        let members = self.members.iter().map(Vec::capacity);
        std::mem::size_of::<Set>()
            + memory::table_bytes(self.members.capacity(), 8 + std::mem::size_of::<Vec<u8>>())
            + memory::sampled(self.members.len(), samples, members)
    }
}

/// A key's value. Every type Redis has gets a variant as it is implemented. The collections are
/// boxed, so that every entry — most of them strings — does not pay for their size: a `Value` is
/// 24 bytes, the size of a [`Str`] (the other variants fit around its tag).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Str(Str),
    List(Box<List>),
    Hash(Hash),
    Set(Box<Set>),
    ZSet(Box<super::zset::ZSet>),
    Stream(Box<super::stream::Stream>),
}

impl Value {
    /// The name TYPE reports.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }

    /// OBJECT ENCODING's name for how Redis 7.0 would hold this value.
    pub(crate) fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::List(_) => "quicklist",
            Value::Hash(h) if h.is_large() => "hashtable",
            Value::Hash(_) => "listpack",
            Value::Set(s) if s.is_intset() => "intset",
            Value::Set(_) => "hashtable",
            Value::ZSet(z) if z.is_large() => "skiplist",
            Value::ZSet(_) => "listpack",
            Value::Stream(_) => "stream",
        }
    }

    /// The hash table of a value Redis keeps in one (its `hashtable` and `skiplist` encodings):
    /// how many elements the table holds without growing, and how many it holds.
    pub(crate) fn hash_table_room(&self) -> Option<(usize, usize)> {
        match self {
            Value::Hash(Hash::Table(table)) => Some((table.capacity(), table.len())),
            Value::Set(set) if !set.is_intset() => Some((set.capacity(), set.len())),
            Value::ZSet(zset) if zset.is_large() => Some((zset.index_capacity(), zset.len())),
            _ => None,
        }
    }

    /// OBJECT REFCOUNT: Redis shares the integers 0 to 9999 (with a refcount of INT_MAX).
    pub(crate) fn refcount(&self) -> i64 {
        match self {
            Value::Str(Str::Int(n)) if (0..10_000).contains(n) => i32::MAX as i64,
            _ => 1,
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

value_kind!(Str, Str, Str::Short(0, [0; SHORT_MAX]));
value_kind!(List, List, Box::default());
value_kind!(Hash, Hash, Hash::default());
value_kind!(Set, Set, Box::default());
value_kind!(super::zset::ZSet, ZSet, Box::default());
value_kind!(super::stream::Stream, Stream, Box::default());

/// A string value: kept as an integer when it is the canonical decimal form of one, as Redis's int
/// encoding does, so INCR never parses or formats.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Str {
    Int(i64),
    /// Bytes set whole, short enough to live in the value itself (no heap block of their own):
    /// the length, then the bytes. Redis's `embstr`.
    Short(u8, [u8; SHORT_MAX]),
    /// Bytes set whole (SET, GETSET, …): Redis's `embstr` up to 44 bytes, `raw` beyond.
    Raw(Box<[u8]>),
    /// Bytes edited in place (APPEND, SETRANGE), with room to grow: always Redis's `raw`. The
    /// vector is boxed so that a `Str` stays 24 bytes; only strings that grew pay the indirection.
    #[allow(clippy::box_collection)]
    Grown(Box<Vec<u8>>),
}

/// Redis embeds strings of up to this many bytes in their object (OBJ_ENCODING_EMBSTR_SIZE_LIMIT).
const EMBSTR_LIMIT: usize = 44;

/// The longest string kept inline in [`Str::Short`]: what fits beside the tag and the length in
/// the 24 bytes a `Str` takes anyway (the size of `Raw`'s boxed slice and the tag).
const SHORT_MAX: usize = 22;

impl Str {
    /// Int-encodes bytes that read back to themselves as an i64 (no `+`, no leading zeros, ≤ 20 chars).
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> Str {
        if bytes.len() <= 20
            && let Some(n) = parse_i64(&bytes)
        {
            return Str::Int(n);
        }
        if bytes.len() <= SHORT_MAX {
            let mut inline = [0; SHORT_MAX];
            inline[..bytes.len()].copy_from_slice(&bytes);
            return Str::Short(bytes.len() as u8, inline);
        }
        Str::Raw(bytes.into_boxed_slice())
    }

    /// Bytes edited in place (APPEND, SETRANGE): Redis's `raw` encoding.
    pub(crate) fn grown(bytes: Vec<u8>) -> Str {
        Str::Grown(Box::new(bytes))
    }

    /// The bytes of the string.
    pub(crate) fn as_bytes(&self) -> Cow<'_, [u8]> {
        match self {
            Str::Int(n) => Cow::Owned(format_i64(*n)),
            Str::Short(len, bytes) => Cow::Borrowed(&bytes[..*len as usize]),
            Str::Raw(b) => Cow::Borrowed(b),
            Str::Grown(b) => Cow::Borrowed(b),
        }
    }

    /// The length in bytes (STRLEN).
    pub(crate) fn len(&self) -> usize {
        match self {
            Str::Int(n) => decimal_len(*n),
            Str::Short(len, _) => *len as usize,
            Str::Raw(b) => b.len(),
            Str::Grown(b) => b.len(),
        }
    }

    /// The integer the string holds, by Redis's strict rules.
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            Str::Int(n) => Some(*n),
            Str::Short(len, bytes) => parse_i64(&bytes[..*len as usize]),
            Str::Raw(b) => parse_i64(b),
            Str::Grown(b) => parse_i64(b),
        }
    }

    /// The raw bytes for in-place editing (APPEND, SETRANGE): the string becomes Redis's `raw`.
    pub(crate) fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Grown(_)) {
            let bytes = match std::mem::replace(self, Str::Int(0)) {
                Str::Int(n) => format_i64(n),
                Str::Short(len, bytes) => bytes[..len as usize].to_vec(),
                Str::Raw(b) => b.into_vec(),
                Str::Grown(b) => *b,
            };
            *self = Str::grown(bytes);
        }
        match self {
            Str::Grown(b) => b,
            _ => unreachable!("set just above"),
        }
    }

    /// OBJECT ENCODING's name for this string.
    pub(crate) fn encoding(&self) -> &'static str {
        match self {
            Str::Int(_) => "int",
            Str::Short(..) => "embstr",
            Str::Raw(b) if b.len() <= EMBSTR_LIMIT => "embstr",
            _ => "raw",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_strings_live_inline_and_read_back_whole() {
        for len in [0, 1, SHORT_MAX - 1, SHORT_MAX, SHORT_MAX + 1, 44, 45] {
            let bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let mut s = Str::from_bytes(bytes.clone());
            assert_eq!(matches!(s, Str::Short(..)), len <= SHORT_MAX, "length {len}");
            assert_eq!((s.as_bytes().as_ref(), s.len()), (&bytes[..], len));
            assert_eq!(s.encoding(), if len <= EMBSTR_LIMIT { "embstr" } else { "raw" });
            s.make_raw().push(b'!');
            assert_eq!(s.as_bytes().as_ref(), [&bytes[..], b"!"].concat());
            assert_eq!(s.encoding(), "raw");
        }
        assert_eq!(Str::from_bytes(b"-42".to_vec()), Str::Int(-42));
        assert_eq!(Str::from_bytes(b"042".to_vec()).as_i64(), None);
        assert_eq!(std::mem::size_of::<Str>(), 24, "the inline variant costs no room");
        assert_eq!(
            std::mem::size_of::<Value>(),
            24,
            "the other variants fit around the tag"
        );
    }
}
