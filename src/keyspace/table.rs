//! [`Table`]: one database's keys, values and TTLs, laid out for memory.
//!
//! Entries sit densely in fixed-size chunks (a key inline when short, its value, an idle stamp): 56
//! bytes an entry, with no empty slots between them. The hash index beside them holds only a 4-byte
//! position per bucket, so its spare capacity costs little. A removal moves the last entry into the
//! hole, which keeps the entries dense and makes a random key (RANDOMKEY) one index away.
//!
//! The index grows and shrinks incrementally, as Redis's dicts rehash: a resize allocates the new
//! index and moves a few records from the old one on every write after it, so no single command
//! pays for rehashing the whole table (a table of 10^7 keys stalled 0.6 s on a one-shot resize);
//! lookups meanwhile try both.
//!
//! TTLs are not in the entries: most keys have none. An entry carries a flag, and the expiry times
//! of the keys that have one live in two side tables keyed by position: a map for lookups and an
//! ordered set, soonest first, for active expiry (as Redis keeps its `expires` dict apart).
//!
//! A scan walks positions from the top down. A removal only ever moves the top entry down into a
//! hole, and new entries go on top, so an entry present for a whole walk is met at least once —
//! Redis's SCAN guarantee — while the walk costs only the entries it returns.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use hashbrown::HashTable;

use super::inline_bytes::{InlineBytes, same_bytes};
use super::value::{Map, Value};

/// Entries a chunk holds: a chunk is allocated whole (about 56 KiB) and never moved, so the table
/// grows without copying what it holds.
const CHUNK: usize = 1 << 10;

/// How many index records each write moves from the old index to the new one while a resize is
/// under way. The new index is sized so that the move is over long before it could fill.
const MOVES_PER_WRITE: usize = 16;

/// One key's value and its idle stamp, as the table holds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub(crate) value: Value,
    /// When the key was last read or written, in whole seconds of the idle clock (wrapping).
    stamp: u32,
    /// Whether the key has a TTL in the table's side tables.
    volatile: bool,
    /// The number of the last snapshot that saved it (`snapshot.rs`): a snapshot in progress
    /// skips the entries that carry its own.
    saved_in: u16,
}

impl Entry {
    /// An entry for `value`, stamped as accessed at `lru_millis` (the idle clock).
    pub(crate) fn new(value: Value, lru_millis: i64) -> Entry {
        Entry {
            value,
            stamp: stamp_of(lru_millis),
            volatile: false,
            saved_in: 0,
        }
    }

    /// The number of the last snapshot that saved the entry (or that it was created during).
    pub(crate) fn saved_in(&self) -> u16 {
        self.saved_in
    }

    /// Marks the entry as saved by snapshot `number`.
    pub(crate) fn set_saved_in(&mut self, number: u16) {
        self.saved_in = number;
    }

    /// Whether the key has a TTL (kept in the table's side tables).
    pub(crate) fn has_ttl(&self) -> bool {
        self.volatile
    }

    /// Stamps the entry as accessed at `lru_millis`: its idle time starts again, or under an LFU
    /// policy (`lfu`) its access counter counts the access (`chance`, uniform in [0, 1), decides
    /// the counter's logarithmic steps).
    pub(crate) fn touch(&mut self, lru_millis: i64, lfu: Option<Lfu>, chance: f64) {
        self.stamp = match lfu {
            None => stamp_of(lru_millis),
            Some(lfu) => lfu.touched(self.stamp, lru_millis, chance),
        };
    }

    /// Under an LFU policy: the access counter, decayed for the minutes since the last access
    /// (OBJECT FREQ, Redis's `LFUDecrAndReturn`).
    pub(crate) fn frequency(&self, lru_millis: i64, lfu: Lfu) -> u8 {
        lfu.decayed(self.stamp, lru_millis)
    }

    /// Under an LFU policy: starts the entry's counter as a new key's (or keeps `old`'s, the
    /// stamp of the value it replaced, as Redis does when a write overwrites a key).
    pub(crate) fn start_frequency(&mut self, lru_millis: i64, old: Option<&Entry>) {
        self.stamp = match old {
            Some(old) => old.stamp,
            None => Lfu::fresh(lru_millis),
        };
    }

    /// Under an LFU policy: sets the access counter to `counter`, as of the minute of
    /// `lru_millis` (RESTORE … FREQ).
    pub(crate) fn set_frequency(&mut self, lru_millis: i64, counter: u8) {
        self.stamp = Lfu::with_counter(lru_millis, counter);
    }

    /// The stamp as Redis's 24-bit `lru` object field holds it (DEBUG OBJECT's `lru:`).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn lru_field(&self) -> u32 {
        self.stamp & 0xFF_FFFF
    }

    /// Whole seconds since the last access, as seen at `lru_millis` (OBJECT IDLETIME).
    pub(crate) fn idle_seconds(&self, lru_millis: i64) -> i64 {
        i64::from(stamp_of(lru_millis).wrapping_sub(self.stamp))
    }

    /// Stamps the entry as last accessed `seconds` before `lru_millis` (RESTORE … IDLETIME).
    pub(crate) fn set_idle_seconds(&mut self, lru_millis: i64, seconds: i64) {
        let seconds = seconds.clamp(0, i64::from(u32::MAX)) as u32;
        self.stamp = stamp_of(lru_millis).wrapping_sub(seconds);
    }
}

/// An LFU `maxmemory-policy`'s settings (Redis's `lfu-log-factor`, `lfu-decay-time`). Under it
/// an entry's stamp holds, as Redis's 24-bit `lru` field does, the minute of the last decay
/// (16 bits) and a logarithmic access counter (8 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lfu {
    pub(crate) log_factor: u32,
    pub(crate) decay_minutes: u32,
}

impl Default for Lfu {
    /// Redis's defaults: `lfu-log-factor 10`, `lfu-decay-time 1`.
    fn default() -> Lfu {
        Lfu {
            log_factor: 10,
            decay_minutes: 1,
        }
    }
}

/// A new key's counter (Redis's `LFU_INIT_VAL`), so that it is not evicted before it is used.
const LFU_INIT: u8 = 5;

impl Lfu {
    /// The idle clock's minute, wrapping at 16 bits (Redis's `LFUGetTimeInMinutes`).
    fn minutes(lru_millis: i64) -> u32 {
        (lru_millis.div_euclid(60_000) & 0xFFFF) as u32
    }

    fn fresh(lru_millis: i64) -> u32 {
        Self::with_counter(lru_millis, LFU_INIT)
    }

    /// The stamp of `counter` as of the minute of `lru_millis`.
    fn with_counter(lru_millis: i64, counter: u8) -> u32 {
        (Self::minutes(lru_millis) << 8) | u32::from(counter)
    }

    /// The counter of `stamp` less one for each `decay_minutes` since its minute.
    fn decayed(self, stamp: u32, lru_millis: i64) -> u8 {
        // A stamp written as an idle time (before an LFU policy was chosen) reads as some
        // minute, as Redis reads its 24-bit field: masked, never out of range.
        let (then, counter) = ((stamp >> 8) & 0xFFFF, (stamp & 0xFF) as u8);
        let now = Self::minutes(lru_millis);
        let elapsed = if now >= then { now - then } else { 0xFFFF - then + now };
        let periods = elapsed.checked_div(self.decay_minutes).unwrap_or(0);
        counter.saturating_sub(periods.min(255) as u8)
    }

    /// Redis's `updateLFU`: decay, then one logarithmic step up with probability
    /// 1 / ((counter - 5) × log_factor + 1).
    fn touched(self, stamp: u32, lru_millis: i64, chance: f64) -> u32 {
        let mut counter = self.decayed(stamp, lru_millis);
        if counter < 255 {
            let base = f64::from(counter.saturating_sub(LFU_INIT));
            if chance < 1.0 / (base * f64::from(self.log_factor) + 1.0) {
                counter += 1;
            }
        }
        (Self::minutes(lru_millis) << 8) | u32::from(counter)
    }
}

/// The idle clock in whole seconds, wrapping every 136 years (differences stay right).
fn stamp_of(lru_millis: i64) -> u32 {
    lru_millis.div_euclid(1000) as u32
}

/// Where a key is, as [`Table::find_live`] found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Found {
    Missing,
    /// Present, but its TTL has passed: lazy expiry deletes it.
    Expired,
    Live(u32),
}

/// An entry taken out of the table, with the TTL it had.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Detached {
    pub(crate) entry: Entry,
    pub(crate) expire_at: Option<i64>,
}

/// A key and its entry, at one position.
#[derive(Debug, Clone)]
struct Slot {
    key: InlineBytes,
    entry: Entry,
}

/// The TTLs of the volatile entries, by position.
#[derive(Debug, Clone, Default)]
struct Ttls {
    at: Map<u32, i64>,
    /// (expiry time, position), soonest first: active expiry reads the front.
    order: BTreeSet<(i64, u32)>,
    /// The sum of the expiry times, kept with them, so INFO's average TTL costs no scan.
    sum: i128,
}

impl Ttls {
    fn insert(&mut self, pos: u32, at: i64) {
        if let Some(old) = self.at.insert(pos, at) {
            self.order.remove(&(old, pos));
            self.sum -= i128::from(old);
        }
        self.order.insert((at, pos));
        self.sum += i128::from(at);
    }

    fn remove(&mut self, pos: u32) -> Option<i64> {
        let at = self.at.remove(&pos)?;
        self.order.remove(&(at, pos));
        self.sum -= i128::from(at);
        Some(at)
    }
}

/// One database's entries: see the module documentation for the layout.
#[derive(Clone, Default)]
pub(crate) struct Table {
    /// Positions in `chunks`, found by their key's hash.
    index: HashTable<u32>,
    /// While a resize is under way: the old index, whose records move to `index`.
    resizing: Option<Resizing>,
    /// The entries, densely: position `p` is `chunks[p / CHUNK][p % CHUNK]`.
    chunks: Vec<Vec<Slot>>,
    len: usize,
    ttls: Ttls,
    hasher: ahash::RandomState,
    /// The position of the key found last: a command, and a transaction's next command, often
    /// come back to the key just used (INCR after GET, a read-modify-write), which is then
    /// found without hashing it or probing the index. Only a hint: it is checked against the
    /// key at that position (keys are unique, positions dense), so an entry that moved or went
    /// since costs that one comparison.
    last_found: Hint,
}

/// [`Table::last_found`]: a position kept across `&self` lookups (atomic, so that a table
/// stays `Sync`; relaxed loads and stores are plain moves).
#[derive(Default)]
struct Hint(AtomicU32);

impl Clone for Hint {
    fn clone(&self) -> Hint {
        Hint(AtomicU32::new(self.0.load(Ordering::Relaxed)))
    }
}

/// An index being emptied into a new one, by position: the records of positions below `next`
/// have moved.
#[derive(Clone)]
struct Resizing {
    old: HashTable<u32>,
    next: u32,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(key, entry)| (String::from_utf8_lossy(key), entry)))
            .finish()
    }
}

impl Table {
    /// How many keys the table holds, expired ones included.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&Entry> {
        self.find(key).map(|pos| &self.slot(pos).entry)
    }

    pub(crate) fn contains_key(&self, key: &[u8]) -> bool {
        self.find(key).is_some()
    }

    /// The entry of `key` and its TTL, copied out (one lookup), if it exists.
    pub(crate) fn get_detached(&self, key: &[u8]) -> Option<Detached> {
        self.find(key).map(|pos| self.detached_at(pos))
    }

    /// Where `key` is and whether its TTL has passed at the time `now` answers (read only for a
    /// key with a TTL): one lookup for a command's read or write.
    pub(crate) fn find_live(&self, key: &[u8], now: impl FnOnce() -> i64) -> Found {
        match self.find(key) {
            None => Found::Missing,
            Some(pos) => match self.expiry_of(pos) {
                Some(at) if now() > at => Found::Expired,
                _ => Found::Live(pos),
            },
        }
    }

    /// The entry at a position [`Table::find_live`] gave.
    pub(crate) fn entry_at(&self, pos: u32) -> &Entry {
        &self.slot(pos).entry
    }

    /// The entry at a position [`Table::find_live`] gave, for a write.
    pub(crate) fn entry_at_mut(&mut self, pos: u32) -> &mut Entry {
        &mut self.slot_mut(pos).entry
    }

    /// The key, the entry and the TTL at a position (0..len), for a snapshot's walk.
    pub(crate) fn slot_at(&mut self, pos: u32) -> (&[u8], &mut Entry, Option<i64>) {
        let expire_at = self.expiry_of(pos);
        let slot = self.slot_mut(pos);
        (slot.key.as_bytes(), &mut slot.entry, expire_at)
    }

    /// The position of `key`, expired or not.
    pub(crate) fn position(&self, key: &[u8]) -> Option<u32> {
        self.find(key)
    }

    /// The entry at a position and its TTL, copied out.
    pub(crate) fn detached_at(&self, pos: u32) -> Detached {
        Detached {
            entry: self.slot(pos).entry.clone(),
            expire_at: self.expiry_of(pos),
        }
    }

    /// The key's expiry time, if it exists and has a TTL.
    pub(crate) fn expire_at(&self, key: &[u8]) -> Option<i64> {
        let pos = self.find(key)?;
        self.expiry_of(pos)
    }

    /// Whether the key exists and its TTL has passed at the time `now` answers (Redis's
    /// `keyIsExpired`: strictly after the deadline). `now` is asked only for a key with a TTL.
    pub(crate) fn is_expired(&self, key: &[u8], now: impl FnOnce() -> i64) -> bool {
        // A table without TTLs answers without looking the key up.
        self.volatile_len() != 0 && self.expire_at(key).is_some_and(|at| now() > at)
    }

    /// Stores `entry` under `key` with the TTL `expire_at`, answering what it replaced.
    pub(crate) fn insert(&mut self, key: &[u8], mut entry: Entry, expire_at: Option<i64>) -> Option<Detached> {
        entry.volatile = expire_at.is_some();
        match self.find(key) {
            Some(pos) => {
                let old_at = self.set_ttl(pos, expire_at);
                let old = std::mem::replace(&mut self.slot_mut(pos).entry, entry);
                Some(Detached {
                    entry: old,
                    expire_at: old_at,
                })
            }
            None => {
                let pos = self.push(Slot {
                    key: InlineBytes::new(key),
                    entry,
                });
                self.grow_index_if_full();
                let hash = self.hash(key);
                let (chunks, hasher) = (&self.chunks, &self.hasher);
                self.index
                    .insert_unique(hash, pos, |&p| hasher.hash_one(slot_in(chunks, p).key.as_bytes()));
                if let Some(at) = expire_at {
                    self.ttls.insert(pos, at);
                }
                self.move_some_records();
                None
            }
        }
    }

    /// Sets or clears the TTL of an existing key; answers the TTL it had, or `None` (outer) when
    /// the key does not exist.
    pub(crate) fn set_expire(&mut self, key: &[u8], expire_at: Option<i64>) -> Option<Option<i64>> {
        let pos = self.find(key)?;
        Some(self.set_ttl(pos, expire_at))
    }

    /// Takes the key out, with its TTL; the last entry moves into its place.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Detached> {
        let hash = self.hash(key);
        let chunks = &self.chunks;
        let same_key = |&p: &u32| same_bytes(slot_in(chunks, p).key.as_bytes(), key);
        let pos = match self.index.find_entry(hash, same_key) {
            Ok(found) => found.remove().0,
            Err(_) => {
                let old = &mut self.resizing.as_mut()?.old;
                old.find_entry(hash, same_key).ok()?.remove().0
            }
        };
        let expire_at = self.set_ttl(pos, None);
        let last = (self.len - 1) as u32;
        if pos != last {
            // The last entry moves down into the hole: its index record and TTL follow it.
            self.repoint(last, pos);
            if let Some(at) = self.ttls.remove(last) {
                self.ttls.insert(pos, at);
            }
        }
        let mut taken = self.pop();
        if pos != last {
            taken = std::mem::replace(self.slot_mut(pos), taken);
        }
        self.shrink_index_if_sparse();
        self.move_some_records();
        Some(Detached {
            entry: taken.entry,
            expire_at,
        })
    }

    /// Every key and entry, expired ones included, top position first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> + '_ {
        (0..self.len as u32).rev().map(|p| self.key_entry(p))
    }

    /// The keys and entries whose TTL has not passed at `now`, top position first.
    pub(crate) fn iter_live(&self, now: i64) -> impl Iterator<Item = (&[u8], &Entry)> + '_ {
        (0..self.len as u32)
            .rev()
            .filter(move |&p| self.is_live(p, now))
            .map(|p| self.key_entry(p))
    }

    /// Up to `count` distinct keys (only those with a TTL if `volatile`) from consecutive
    /// positions after one chosen by the random number `r`, as Redis's `dictGetSomeKeys` walks
    /// consecutive buckets: eviction's sample. When the walk meets no volatile key (few keys
    /// have a TTL), one of the TTL records, counted from `r`, stands in.
    pub(crate) fn sample_keys(&self, r: u64, count: usize, volatile: bool) -> Vec<&[u8]> {
        if self.len == 0 {
            return Vec::new();
        }
        let start = r % self.len as u64;
        // A volatile sample walks at most ten positions a key, as Redis's walk gives up.
        let steps = if volatile { count.saturating_mul(10) } else { count }.min(self.len);
        let mut sample: Vec<&[u8]> = (0..steps as u64)
            .map(|i| self.slot(((start + i) % self.len as u64) as u32))
            .filter(|slot| !volatile || slot.entry.has_ttl())
            .take(count)
            .map(|slot| slot.key.as_bytes())
            .collect();
        if sample.is_empty()
            && volatile
            && !self.ttls.at.is_empty()
            && let Some(&pos) = self.ttls.at.keys().nth((r % self.ttls.at.len() as u64) as usize)
        {
            sample.push(self.slot(pos).key.as_bytes());
        }
        sample
    }

    /// The key at position `n` (0..len), for random picks.
    pub(crate) fn key_at(&self, n: usize) -> Option<&[u8]> {
        (n < self.len).then(|| self.slot(n as u32).key.as_bytes())
    }

    /// One step of a scan: the positions just below `cursor` (0 starts from the top), `count` of
    /// them, with the cursor of the next step (0 when the walk has reached the bottom). Answers
    /// the keys there whose TTL has not passed at `now`.
    pub(crate) fn scan(
        &self,
        cursor: u64,
        count: usize,
        now: i64,
    ) -> (u64, impl Iterator<Item = (&[u8], &Entry)> + '_) {
        let top = match cursor {
            0 => self.len,
            c => usize::try_from(c).map_or(self.len, |c| c.min(self.len)),
        };
        let bottom = top.saturating_sub(count.max(1));
        let page = (bottom as u32..top as u32)
            .rev()
            .filter(move |&p| self.is_live(p, now))
            .map(|p| self.key_entry(p));
        (bottom as u64, page)
    }

    /// The soonest TTL and its key, for active expiry.
    pub(crate) fn soonest(&self) -> Option<(i64, &[u8])> {
        let &(at, pos) = self.ttls.order.first()?;
        Some((at, self.slot(pos).key.as_bytes()))
    }

    /// The bytes of the table's own structure — the index, the TTL side tables, the slots not
    /// yet used — without the slots holding keys (the data itself) and what values hold on the
    /// heap.
    pub(crate) fn structure_bytes(&self) -> usize {
        let (main, ttls) = self.structure_bytes_split();
        main + ttls
    }

    /// [`Table::structure_bytes`] in two: the keys' table (index, slots not used yet) and the
    /// TTL side tables (Redis's `overhead.hashtable.main` and `.expires`).
    pub(crate) fn structure_bytes_split(&self) -> (usize, usize) {
        let main = (self.chunks.len() * CHUNK - self.len) * std::mem::size_of::<Slot>()
            + self.chunks.capacity() * std::mem::size_of::<Vec<Slot>>()
            + self.index.allocation_size()
            + self.resizing.as_ref().map_or(0, |r| r.old.allocation_size());
        let ttls = self.ttls.at.capacity() * (std::mem::size_of::<(u32, i64)>() + 1)
            + self.ttls.order.len() * std::mem::size_of::<(i64, u32)>();
        (main, ttls)
    }

    /// How many keys have a TTL.
    pub(crate) fn volatile_len(&self) -> usize {
        self.ttls.at.len()
    }

    /// The sum of every TTL's expiry time.
    pub(crate) fn expiry_sum(&self) -> i128 {
        self.ttls.sum
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    fn find(&self, key: &[u8]) -> Option<u32> {
        let chunks = &self.chunks;
        let hint = self.last_found.0.load(Ordering::Relaxed);
        if (hint as usize) < self.len && same_bytes(slot_in(chunks, hint).key.as_bytes(), key) {
            return Some(hint);
        }
        let hash = self.hash(key);
        let same_key = |&p: &u32| same_bytes(slot_in(chunks, p).key.as_bytes(), key);
        let found = match self.index.find(hash, same_key) {
            Some(&p) => Some(p),
            None => self.resizing.as_ref()?.old.find(hash, same_key).copied(),
        };
        if let Some(p) = found {
            self.last_found.0.store(p, Ordering::Relaxed);
        }
        found
    }

    /// The entry at position `from` moved to `to`: its index record follows, wherever it is. A
    /// record left in the old index below the resize's progress moves to the new one now (the
    /// resize would not come back for it).
    fn repoint(&mut self, from: u32, to: u32) {
        let hash = self.hash(self.slot(from).key.as_bytes());
        if let Some(p) = self.index.find_mut(hash, |&p| p == from) {
            *p = to;
            return;
        }
        let Some(resizing) = &mut self.resizing else {
            return;
        };
        let Ok(found) = resizing.old.find_entry(hash, |&p| p == from) else {
            return;
        };
        if to < resizing.next {
            found.remove();
            let (chunks, hasher) = (&self.chunks, &self.hasher);
            self.index
                .insert_unique(hash, to, |&p| hasher.hash_one(slot_in(chunks, p).key.as_bytes()));
        } else {
            *found.into_mut() = to;
        }
    }

    /// Starts a resize when the index is full: a new index twice the size, filled by the writes
    /// that follow ([`Table::move_some_records`]).
    fn grow_index_if_full(&mut self) {
        if self.resizing.is_none() && self.index.len() >= self.index.capacity() && self.index.capacity() >= 64 {
            self.start_resize(self.index.capacity() * 2);
        }
    }

    /// Starts moving the index's records into a new index with room for `capacity`.
    fn start_resize(&mut self, capacity: usize) {
        let old = std::mem::replace(&mut self.index, HashTable::with_capacity(capacity));
        self.resizing = Some(Resizing { old, next: 0 });
    }

    /// One step of a resize under way: moves the records of the next [`MOVES_PER_WRITE`]
    /// positions from the old index to the new one, and ends the resize once every position has
    /// been seen.
    fn move_some_records(&mut self) {
        let Some(resizing) = &mut self.resizing else {
            return;
        };
        let (chunks, hasher) = (&self.chunks, &self.hasher);
        let key_hash = |p: u32| hasher.hash_one(slot_in(chunks, p).key.as_bytes());
        for _ in 0..MOVES_PER_WRITE {
            if resizing.next as usize >= self.len || resizing.old.is_empty() {
                debug_assert!(resizing.old.is_empty(), "every record left the old index");
                self.resizing = None;
                return;
            }
            let p = resizing.next;
            let hash = key_hash(p);
            if let Ok(found) = resizing.old.find_entry(hash, |&q| q == p) {
                found.remove();
                self.index.insert_unique(hash, p, |&q| key_hash(q));
            }
            resizing.next += 1;
        }
    }

    fn key_entry(&self, pos: u32) -> (&[u8], &Entry) {
        let slot = self.slot(pos);
        (slot.key.as_bytes(), &slot.entry)
    }

    fn is_live(&self, pos: u32, now: i64) -> bool {
        self.expiry_of(pos).is_none_or(|at| now <= at)
    }

    fn expiry_of(&self, pos: u32) -> Option<i64> {
        if !self.slot(pos).entry.volatile {
            return None;
        }
        self.ttls.at.get(&pos).copied()
    }

    /// Sets the TTL of the entry at `pos`; answers the one it had.
    fn set_ttl(&mut self, pos: u32, expire_at: Option<i64>) -> Option<i64> {
        let old = if self.slot(pos).entry.volatile {
            self.ttls.remove(pos)
        } else {
            None
        };
        if let Some(at) = expire_at {
            self.ttls.insert(pos, at);
        }
        self.slot_mut(pos).entry.volatile = expire_at.is_some();
        old
    }

    fn slot(&self, pos: u32) -> &Slot {
        slot_in(&self.chunks, pos)
    }

    fn slot_mut(&mut self, pos: u32) -> &mut Slot {
        let pos = pos as usize;
        &mut self.chunks[pos / CHUNK][pos % CHUNK]
    }

    /// Puts a slot on top; answers its position.
    fn push(&mut self, slot: Slot) -> u32 {
        let pos = u32::try_from(self.len).expect("a database holds at most 2^32 - 1 keys");
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(slot),
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(slot);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
        pos
    }

    /// Takes the top slot (the table is not empty).
    fn pop(&mut self) -> Slot {
        let chunk = self.chunks.last_mut().expect("pop from a non-empty table");
        let slot = chunk.pop().expect("chunks are never left empty");
        if chunk.is_empty() {
            self.chunks.pop();
        }
        self.len -= 1;
        slot
    }

    /// Gives back most of the index when the table has shrunk to a small part of it (Redis
    /// resizes its dicts below 10% full), as a resize like growth's.
    fn shrink_index_if_sparse(&mut self) {
        let capacity = self.index.capacity();
        if self.resizing.is_none() && capacity > 64 && self.len * 10 < capacity {
            self.start_resize(self.len * 2);
        }
    }
}

fn slot_in(chunks: &[Vec<Slot>], pos: u32) -> &Slot {
    let pos = pos as usize;
    &chunks[pos / CHUNK][pos % CHUNK]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(n: usize) -> Value {
        Value::string(format!("v{n}").into_bytes())
    }

    fn key(n: usize) -> Vec<u8> {
        format!("key:{n}").into_bytes()
    }

    /// The last found position is only a hint: after the key found last is removed (the top
    /// entry moving into its place) or the table emptied, lookups still find what is there.
    #[test]
    fn the_last_found_hint_never_finds_what_moved_or_went() {
        let mut table = Table::default();
        for n in 0..4 {
            table.insert(&key(n), Entry::new(value(n), 0), None);
        }
        assert!(table.get(&key(1)).is_some(), "the hint now points at key 1");
        assert!(table.remove(&key(1)).is_some(), "key 3 moves into its place");
        assert!(table.get(&key(1)).is_none());
        assert_eq!(table.get(&key(3)).map(|e| &e.value), Some(&value(3)));
        assert!(table.remove(&key(3)).is_some());
        assert!(table.get(&key(3)).is_none());
        assert_eq!(table.get(&key(2)).map(|e| &e.value), Some(&value(2)));
        for n in [0, 2] {
            table.remove(&key(n));
        }
        assert!(table.get(&key(2)).is_none(), "a hint past the end is not looked at");
        assert_eq!(table.len(), 0);
    }

    /// Inserts, replacements, TTLs and removals (every one moving the top entry) agree with a
    /// plain map, across chunk boundaries.
    #[test]
    fn the_table_agrees_with_a_map() {
        let mut table = Table::default();
        let mut model: std::collections::HashMap<Vec<u8>, (Value, Option<i64>)> = Default::default();
        let mut steps_resizing = 0;
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = || crate::keyspace::xorshift(&mut rng);
        for step in 0..20_000 {
            let k = key((next() % 3000) as usize);
            match next() % 5 {
                0 | 1 => {
                    let ttl = (next() % 3 == 0).then_some((next() % 1000) as i64);
                    let old = table.insert(&k, Entry::new(value(step), 0), ttl);
                    let expected = model.insert(k.clone(), (value(step), ttl));
                    assert_eq!(old.map(|d| (d.entry.value, d.expire_at)), expected);
                }
                2 => {
                    let ttl = (next() % 2 == 0).then_some((next() % 1000) as i64);
                    let old = table.set_expire(&k, ttl);
                    let expected = model.get_mut(&k).map(|e| std::mem::replace(&mut e.1, ttl));
                    assert_eq!(old, expected);
                }
                _ => {
                    let old = table.remove(&k);
                    assert_eq!(old.map(|d| (d.entry.value, d.expire_at)), model.remove(&k));
                }
            }
            assert_eq!(table.len(), model.len());
            steps_resizing += usize::from(table.resizing.is_some());
            if step % 97 == 0 {
                for (k, (v, ttl)) in &model {
                    assert_eq!(table.get(k).map(|e| &e.value), Some(v), "step {step}");
                    assert_eq!(table.expire_at(k), *ttl, "step {step}");
                }
            }
            if step == 12_000 {
                // Most keys go, which shrinks the index while writes go on.
                for k in model.keys().take(model.len() * 9 / 10).cloned().collect::<Vec<_>>() {
                    table.remove(&k);
                    model.remove(&k);
                }
            }
        }
        assert!(
            steps_resizing > 100,
            "resizes were under way for {steps_resizing} steps"
        );
        for (k, (v, ttl)) in &model {
            assert_eq!(table.get(k).map(|e| &e.value), Some(v));
            assert_eq!(table.expire_at(k), *ttl);
        }
        let volatile: Vec<i64> = model.values().filter_map(|(_, ttl)| *ttl).collect();
        assert_eq!(table.volatile_len(), volatile.len());
        assert_eq!(
            table.expiry_sum(),
            volatile.iter().map(|&t| i128::from(t)).sum::<i128>()
        );
        assert_eq!(table.soonest().map(|(at, _)| at), volatile.iter().min().copied());
        assert_eq!(table.iter().count(), model.len());
    }

    /// A walk meets every key present from its start to its end at least once, however many
    /// keys are removed and added between its steps.
    #[test]
    fn a_scan_meets_every_key_that_stays() {
        let mut table = Table::default();
        for n in 0..5000 {
            table.insert(&key(n), Entry::new(value(n), 0), None);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut added = 5000;
        loop {
            let (next, page) = table.scan(cursor, 37, 0);
            seen.extend(page.map(|(k, _)| k.to_vec()));
            // Remove some keys (multiples of 7 are the ones that go) and add new ones.
            for _ in 0..5 {
                let victim = (added * 7919) % 5000 / 7 * 7;
                table.remove(&key(victim));
                table.insert(&key(added), Entry::new(value(added), 0), None);
                added += 1;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        for n in (0..5000).filter(|n| n % 7 != 0) {
            assert!(seen.contains(&key(n)), "key {n} was never returned");
        }
    }

    #[test]
    fn idle_stamps_count_whole_seconds() {
        let mut entry = Entry::new(value(0), 10_500);
        assert_eq!(entry.idle_seconds(12_400), 2);
        entry.set_idle_seconds(12_400, 100);
        assert_eq!(entry.idle_seconds(12_400), 100);
        assert_eq!(std::mem::size_of::<Slot>(), 56);
    }

    #[test]
    fn lfu_counters_start_at_five_climb_logarithmically_and_decay_by_the_minute() {
        let lfu = Lfu {
            log_factor: 10,
            decay_minutes: 1,
        };
        let minute = 60_000;
        let mut entry = Entry::new(value(0), 0);
        entry.start_frequency(0, None);
        assert_eq!(entry.frequency(0, lfu), 5);
        // At or below five every access counts; above, with probability 1 / ((n - 5) * 10 + 1).
        entry.touch(0, Some(lfu), 0.99);
        assert_eq!(entry.frequency(0, lfu), 6);
        entry.touch(0, Some(lfu), 0.5);
        assert_eq!(entry.frequency(0, lfu), 6, "a draw of 0.5 is above 1/11");
        entry.touch(0, Some(lfu), 0.05);
        assert_eq!(entry.frequency(0, lfu), 7, "a draw of 0.05 is below 1/11");
        assert_eq!(entry.frequency(3 * minute, lfu), 4, "one less a minute");
        assert_eq!(entry.frequency(30 * minute, lfu), 0);
        let never = Lfu {
            decay_minutes: 0,
            ..lfu
        };
        assert_eq!(entry.frequency(30 * minute, never), 7, "a decay time of 0 never decays");
        let mut overwrite = Entry::new(value(1), 0);
        overwrite.start_frequency(0, Some(&entry));
        assert_eq!(overwrite.frequency(0, lfu), 7, "an overwrite keeps the counter");
    }
}
