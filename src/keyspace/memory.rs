//! How many bytes a key takes in embedis's own layout: the estimate behind `MEMORY USAGE`.
//!
//! Like Redis's, it is an estimate: it counts what the structures ask of the allocator (entries,
//! blocks, tables at their capacity), not the allocator's own rounding and bookkeeping. A key
//! costs its slot in the table (key inline up to 22 bytes, value, idle stamp: 56 bytes), its share
//! of the hash index, a longer key's heap block, its TTL records if it has a TTL, and what its
//! value holds on the heap. Collections are measured from their first `samples` elements and
//! scaled to their size, as Redis's `objectComputeSize` does (0 measures every element).

use super::inline_bytes::InlineBytes;
use super::table::Entry;
use super::value::{Str, Value};

/// How many elements of a collection MEMORY USAGE measures unless told (Redis's default).
pub(crate) const DEFAULT_SAMPLES: usize = 5;

/// A table slot (key, value, stamp) and its index bucket (a 4-byte position and a control byte).
const KEY_OVERHEAD: usize = 56 + 5;
/// A TTL's records: a map bucket (position, time and a control byte) and an ordered-set element.
const TTL_OVERHEAD: usize = 17 + 16;
/// An `IndexMap`'s or `IndexSet`'s index bucket: a position and a control byte.
const INDEX_BUCKET: usize = 8 + 1;

/// What the process's memory comes to, measured once for INFO's memory section, MEMORY STATS
/// and MEMORY DOCTOR: the allocator's count where a [`crate::CountingAllocator`] is installed
/// (embedis-server), else the keys' estimate.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) struct MemoryFigures {
    /// Bytes in use (Redis's `used_memory`).
    pub(crate) used: u64,
    /// Whether `used` is the allocator's count (else an estimate).
    pub(crate) counted: bool,
    /// Bytes in use when the server started (0 without an allocator's count).
    pub(crate) startup: u64,
    /// The most bytes ever in use.
    pub(crate) peak: u64,
    /// The process's resident set size.
    pub(crate) rss: u64,
    /// What is not the data: the start-up memory and the databases' own structures.
    pub(crate) overhead: u64,
    /// `used` less the overhead.
    pub(crate) dataset: u64,
    /// Keys in every database.
    pub(crate) keys: usize,
    /// For each database with keys: its index, and the bytes of its table's own structure
    /// (index, unused slots) and of its TTL records.
    pub(crate) dbs: Vec<(usize, usize, usize)>,
}

/// The process's resident set size in bytes, as the operating system reports it (Linux's
/// `/proc/self/status`), or 0 where it cannot be read.
pub(crate) fn resident_bytes() -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The estimated bytes of `key` holding `entry`.
pub(crate) fn key_usage(key: &[u8], entry: &Entry, samples: usize) -> usize {
    let key_heap = if key.len() > InlineBytes::INLINE_MAX {
        key.len()
    } else {
        0
    };
    let ttl = if entry.has_ttl() { TTL_OVERHEAD } else { 0 };
    KEY_OVERHEAD + key_heap + ttl + value_heap(&entry.value, samples)
}

/// What a value holds on the heap, beyond the 24 bytes inside its entry.
pub(crate) fn value_heap(value: &Value, samples: usize) -> usize {
    match value {
        Value::Str(s) => match s {
            Str::Int(_) | Str::Short(..) => 0,
            Str::Raw(bytes) => bytes.len(),
            Str::Grown(bytes) => std::mem::size_of::<Vec<u8>>() + bytes.capacity(),
        },
        Value::List(list) => list.heap_bytes(samples),
        Value::Hash(hash) => hash.heap_bytes(samples),
        Value::Set(set) => set.heap_bytes(samples),
        Value::ZSet(zset) => zset.heap_bytes(samples),
        Value::Stream(stream) => stream.heap_bytes(),
    }
}

/// The bytes of `count` elements of which `sizes` yields the first ones: all of them summed when
/// `samples` is 0 or covers them, else the average of the first `samples` times `count`.
pub(crate) fn sampled(count: usize, samples: usize, sizes: impl Iterator<Item = usize>) -> usize {
    if samples == 0 || samples >= count {
        return sizes.sum();
    }
    let seen: usize = sizes.take(samples).sum();
    // Scaled before dividing: an average of 5.9 bytes must not count as 5.
    seen.saturating_mul(count) / samples
}

/// The heap bytes of an `IndexMap` or `IndexSet` with room for `capacity` entries of `entry` bytes
/// each (its stored hash included): the entries and their index buckets.
pub(crate) fn table_bytes(capacity: usize, entry: usize) -> usize {
    capacity * (entry + INDEX_BUCKET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::table::Table;
    use crate::keyspace::{Encodings, Hash, List};

    #[test]
    fn estimates_grow_with_what_a_value_holds() {
        let short = Entry::new(Value::string(b"value".to_vec()), 0);
        let long = Entry::new(Value::string(vec![b'x'; 100]), 0);
        assert_eq!(key_usage(b"key", &short, 5), KEY_OVERHEAD);
        assert_eq!(key_usage(b"key", &long, 5), KEY_OVERHEAD + 100);
        let mut table = Table::default();
        table.insert(&[b'k'; 30], short, Some(1_000));
        let volatile = table.get(&[b'k'; 30]).expect("inserted");
        assert_eq!(key_usage(&[b'k'; 30], volatile, 5), KEY_OVERHEAD + 30 + TTL_OVERHEAD);

        let list: List = (0..1000).map(|i| format!("item:{i}").into_bytes()).collect();
        let all = value_heap(&Value::List(Box::new(list.clone())), 0);
        let some = value_heap(&Value::List(Box::new(list)), 5);
        assert!(all > 8_000 && all < 16_000, "{all}");
        assert!(some.abs_diff(all) < all / 4, "{some} vs {all}");

        let mut hash = Hash::default();
        hash.insert(b"field", b"value".to_vec(), &Encodings::default());
        let small = value_heap(&Value::Hash(hash.clone()), 5);
        for i in 0..600 {
            hash.insert(
                format!("field:{i}").as_bytes(),
                b"value".to_vec(),
                &Encodings::default(),
            );
        }
        let large = value_heap(&Value::Hash(hash), 5);
        assert!(small < 32 && large > 600 * 20, "{small} {large}");
    }

    #[test]
    fn sampling_scales_the_first_elements_to_all() {
        assert_eq!(sampled(10, 0, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].into_iter()), 55);
        assert_eq!(sampled(10, 2, [4, 6, 100].into_iter()), 50);
        assert_eq!(sampled(3, 5, [1, 2, 3].into_iter()), 6);
        assert_eq!(sampled(1000, 3, [5, 6, 7, 100].into_iter()), 6000);
        assert_eq!(sampled(1000, 2, [5, 6, 100].into_iter()), 5500);
    }
}
