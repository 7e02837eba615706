//! WATCH bookkeeping: a version per watched key, bumped by every real modification.
//!
//! A key someone watches has a [`WatchedKey`] in its database's table with the version of its last
//! modification; each watcher remembers the version it saw. A watcher whose version differs at EXEC
//! is dirty. Keeping versions only for watched keys costs nothing for the rest of the keyspace, and a
//! deleted key's deletion is remembered for as long as anyone watches it.
//!
//! A key that had already expired when it was watched (`stale`) follows Redis's rule (PR #10256):
//! removing it is no logical change, so its watcher is carried over to the new version; creating it
//! again is one.

use std::sync::OnceLock;

use hashbrown::HashTable;

use super::Keyspace;
use super::inline_bytes::{InlineBytes, same_bytes};

/// The watched keys of a database, each with its version and watchers (keys inline when short,
/// as the data table holds them: watching a key allocates nothing for its name). A new key's
/// record is written in its slot and its bytes copied there, not built apart and moved in.
///
/// A record whose last watcher leaves stays, idle, for the next watch of its key (a
/// check-and-set loop watches the same keys again and again), until the idle records outnumber
/// both [`IDLE_KEPT`] and the watched ones; then they all go. Nobody watches an idle record's
/// key, so while only idle records are left the table counts as empty and writes skip it.
#[derive(Debug, Clone, Default)]
pub(crate) struct WatchedKeys {
    table: HashTable<WatchedKey>,
    /// How many records have a watcher.
    watched: usize,
}

/// How many idle records a table keeps at least before it drops them.
const IDLE_KEPT: usize = 64;

/// The hasher of every database's watched keys, seeded at random once per process.
fn hash(key: &[u8]) -> u64 {
    static HASHER: OnceLock<ahash::RandomState> = OnceLock::new();
    HASHER.get_or_init(ahash::RandomState::new).hash_one(key)
}

impl WatchedKeys {
    /// Whether nobody watches a key here.
    pub(crate) fn is_empty(&self) -> bool {
        self.watched == 0
    }

    /// The record of `key`, if someone watches it.
    pub(super) fn get(&self, key: &[u8]) -> Option<&WatchedKey> {
        self.table.find(hash(key), |w| same_bytes(&w.key, key))
    }

    fn get_mut(&mut self, key: &[u8]) -> Option<&mut WatchedKey> {
        self.table.find_mut(hash(key), |w| same_bytes(&w.key, key))
    }

    /// `client` watches `key` (a no-op if it does already), `stale` if the key had expired.
    fn add(&mut self, key: &[u8], client: ClientId, stale: bool) {
        let record = self.get_or_insert(key);
        if record.watchers.iter().any(|w| w.client == client) {
            return;
        }
        let first = record.watchers.is_empty();
        record.watchers.push(Watcher {
            client,
            seen: record.version,
            stale,
        });
        if first {
            self.watched += 1;
        }
    }

    /// `client` stops watching `key`; answers (when `check`) whether its watch was dirty, asking
    /// `expired` whether the key has expired since only if that matters.
    fn remove(&mut self, key: &[u8], client: ClientId, check: bool, expired: impl FnOnce() -> bool) -> bool {
        let Some(record) = self.get_mut(key) else {
            return false;
        };
        let dirty = check && record.dirty_for(client, expired);
        let had_watchers = !record.watchers.is_empty();
        record.watchers.remove(client);
        if had_watchers && record.watchers.is_empty() {
            self.watched -= 1;
            let idle = self.table.len() - self.watched;
            if idle > IDLE_KEPT.max(self.watched) {
                self.table.retain(|w| !w.watchers.is_empty());
            }
        }
        dirty
    }

    /// The record of `key`, made (version 0, no watchers) if nobody watched it.
    fn get_or_insert(&mut self, key: &[u8]) -> &mut WatchedKey {
        let hash = hash(key);
        let entry = self
            .table
            .entry(hash, |w| same_bytes(&w.key, key), |w| self::hash(&w.key));
        match entry {
            hashbrown::hash_table::Entry::Occupied(entry) => entry.into_mut(),
            hashbrown::hash_table::Entry::Vacant(entry) => {
                let record = entry
                    .insert(WatchedKey {
                        key: InlineBytes::EMPTY,
                        version: 0,
                        watchers: Watchers::default(),
                    })
                    .into_mut();
                record.key.assign(key);
                record
            }
        }
    }

    /// Puts `record` back as it was (an `atomic` closure's rollback), replacing its key's.
    pub(super) fn restore(&mut self, record: WatchedKey) {
        let watched = usize::from(!record.watchers.is_empty());
        match self.get_mut(&record.key) {
            Some(slot) => {
                let replaced = usize::from(!slot.watchers.is_empty());
                *slot = record;
                self.watched = self.watched + watched - replaced;
            }
            None => {
                self.table.insert_unique(hash(&record.key), record, |w| hash(&w.key));
                self.watched += watched;
            }
        }
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut WatchedKey> {
        self.table.iter_mut()
    }
}

/// Identifies a client (a [`Connection`](crate::Connection)) in the watch tables.
pub(crate) type ClientId = u64;

/// The keys a client watches, each with its database: the first two inside the client (a
/// check-and-set usually watches one or two keys, and then allocates nothing for the list).
pub(crate) type WatchList = smallvec::SmallVec<[(usize, InlineBytes); 2]>;

#[derive(Debug, Clone)]
pub(super) struct WatchedKey {
    key: InlineBytes,
    /// The version stamped by the last modification while watched.
    version: u64,
    watchers: Watchers,
}

/// A watched key's watchers: the first kept inline (a key usually has one, and watching it then
/// allocates nothing), any others in a vector.
#[derive(Debug, Clone, Default)]
struct Watchers {
    first: Option<Watcher>,
    rest: Vec<Watcher>,
}

impl Watchers {
    fn iter(&self) -> impl Iterator<Item = &Watcher> {
        self.first.iter().chain(&self.rest)
    }

    fn iter_mut(&mut self) -> impl Iterator<Item = &mut Watcher> {
        self.first.iter_mut().chain(&mut self.rest)
    }

    fn push(&mut self, watcher: Watcher) {
        match self.first {
            None => self.first = Some(watcher),
            Some(_) => self.rest.push(watcher),
        }
    }

    /// Drops `client`'s watch.
    fn remove(&mut self, client: ClientId) {
        if self.first.as_ref().is_some_and(|w| w.client == client) {
            self.first = None;
        }
        self.rest.retain(|w| w.client != client);
    }

    fn is_empty(&self) -> bool {
        self.first.is_none() && self.rest.is_empty()
    }
}

impl WatchedKey {
    /// Whether `client`'s watch is dirty: the key was modified since it watched it, or (asked
    /// only then) it has `expired` since, unless it had already when watched.
    fn dirty_for(&self, client: ClientId, expired: impl FnOnce() -> bool) -> bool {
        self.watchers
            .iter()
            .find(|w| w.client == client)
            .is_some_and(|w| w.seen != self.version || (!w.stale && expired()))
    }
}

#[derive(Debug, Clone)]
struct Watcher {
    client: ClientId,
    /// The version this watcher saw; it is dirty once the key's version moves on.
    seen: u64,
    /// The key had expired (but was still stored) when watched: EXEC ignores its expiry.
    stale: bool,
}

impl Watcher {
    /// Marks a change as no logical change for this watcher, unless it was already dirty.
    fn carry_over(&mut self, old: u64, new: u64) {
        if self.seen == old {
            self.seen = new;
        }
    }
}

impl Keyspace {
    /// WATCH: `client` starts watching `key` in `db` (again watching a key is a no-op).
    pub(crate) fn watch(&mut self, db: usize, key: &[u8], client: ClientId) {
        let stale = self.is_expired_now(db, key);
        self.dbs[db].watched.add(key, client, stale);
    }

    /// `client` stops watching `key` in `db`.
    pub(crate) fn unwatch(&mut self, db: usize, key: &[u8], client: ClientId) {
        self.unwatch_checking(db, key, client, false);
    }

    /// EXEC's end of `client`'s watch of `key` in `db`: the watch goes, answering whether it
    /// was dirty ([`Keyspace::watch_is_dirty`]). One lookup of the key in the watch table.
    pub(crate) fn end_watch(&mut self, db: usize, key: &[u8], client: ClientId) -> bool {
        self.unwatch_checking(db, key, client, true)
    }

    /// Drops `client`'s watch of `key`, answering (when `check`) whether it was dirty.
    fn unwatch_checking(&mut self, db: usize, key: &[u8], client: ClientId, check: bool) -> bool {
        let expired = check && self.is_expired_now(db, key);
        self.dbs[db].watched.remove(key, client, check, || expired)
    }

    /// Whether `client`'s watch of `key` is dirty: the key was modified since, or it expired since
    /// (Redis's `isWatchedKeyExpired`).
    pub(crate) fn watch_is_dirty(&self, db: usize, key: &[u8], client: ClientId) -> bool {
        self.dbs[db]
            .watched
            .get(key)
            .is_some_and(|entry| entry.dirty_for(client, || self.is_expired_now(db, key)))
    }

    /// Redis's `touchWatchedKey`: stamps a new version on a watched key.
    pub(super) fn touch_watched(&mut self, db: usize, key: &[u8]) {
        let db_ref = &mut self.dbs[db];
        let Some(entry) = db_ref.watched.get_mut(key) else {
            return;
        };
        let old = entry.version;
        self.version += 1;
        entry.version = self.version;
        // Whether the key is still stored matters only to a watcher that found it expired.
        let exists = !entry.watchers.iter().any(|w| w.stale) || db_ref.data.contains_key(key);
        for w in entry.watchers.iter_mut() {
            if w.stale && !exists {
                // The stale key is gone: no logical change. From now on it is watched as missing.
                w.stale = false;
                w.carry_over(old, entry.version);
            }
        }
    }

    /// Redis's `touchAllWatchedKeysInDb`: FLUSHDB/FLUSHALL (`replaced_with` = None) or SWAPDB
    /// (`replaced_with` = the other database) replaces the contents of `emptied`.
    pub(super) fn touch_all_watched(&mut self, emptied: usize, replaced_with: Option<usize>) {
        if self.dbs[emptied].watched.is_empty() {
            return;
        }
        let now = self.now();
        let mut watched = std::mem::take(&mut self.dbs[emptied].watched);
        for entry in watched.iter_mut() {
            let key = &entry.key;
            let in_emptied = self.exists_physically(emptied, key);
            let replacement = replaced_with.filter(|&db| self.dbs[db].data.contains_key(key));
            let replaced = replacement.is_some();
            let replacement_expired = replacement.is_some_and(|db| self.dbs[db].data.is_expired(key, || now));
            if !in_emptied && !replaced {
                continue;
            }
            let old = entry.version;
            self.version += 1;
            entry.version = self.version;
            for w in entry.watchers.iter_mut() {
                let unchanged = if w.stale {
                    // An expired key deleted, or replaced by another expired key: no logical change.
                    if !replaced {
                        w.stale = false;
                    }
                    !replaced || replacement_expired
                } else if !in_emptied && replacement_expired {
                    // A missing key replaced by an expired one: still missing, and now stale.
                    w.stale = true;
                    true
                } else {
                    false
                };
                if unchanged {
                    w.carry_over(old, entry.version);
                }
            }
        }
        self.dbs[emptied].watched = watched;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    /// A check-and-set loop watches the same key again and again: its record stays idle between
    /// the watches, and a change while it is idle (nobody watching) dirties no later watch,
    /// while a change during a watch still does.
    #[test]
    fn an_idle_record_is_watched_again_with_its_changes_counted_from_then() {
        let mut ks = Keyspace::new(Clock::manual());
        ks.watch(0, b"k", 1);
        assert!(!ks.end_watch(0, b"k", 1));
        assert!(ks.dbs[0].watched.is_empty(), "only an idle record left");
        assert_eq!(ks.dbs[0].watched.table.len(), 1);
        ks.modified(0, b"k");
        ks.watch(0, b"k", 2);
        assert!(!ks.watch_is_dirty(0, b"k", 2), "the change came before the watch");
        ks.modified(0, b"k");
        assert!(ks.end_watch(0, b"k", 2), "the change came during the watch");
        ks.watch(0, b"k", 3);
        ks.watch(0, b"k", 4);
        ks.unwatch(0, b"k", 3);
        assert!(!ks.dbs[0].watched.is_empty(), "client 4 still watches");
        ks.modified(0, b"k");
        assert!(ks.end_watch(0, b"k", 4));
        assert!(ks.dbs[0].watched.is_empty());
    }

    /// Idle records go once they outnumber both the floor kept and the watched keys, so a
    /// client watching ever new keys leaves a bounded table behind.
    #[test]
    fn idle_records_are_dropped_once_they_outnumber_the_watched() {
        let mut ks = Keyspace::new(Clock::manual());
        for i in 0..1_000 {
            let key = format!("key:{i}");
            ks.watch(0, key.as_bytes(), 1);
            ks.unwatch(0, key.as_bytes(), 1);
            assert!(ks.dbs[0].watched.table.len() <= IDLE_KEPT + 1);
        }
        for i in 0..200 {
            ks.watch(0, format!("held:{i}").as_bytes(), 2);
        }
        for i in 0..1_000 {
            let key = format!("key:{i}");
            ks.watch(0, key.as_bytes(), 1);
            ks.unwatch(0, key.as_bytes(), 1);
            assert!(ks.dbs[0].watched.table.len() <= 2 * 200 + 1);
        }
        assert_eq!(ks.dbs[0].watched.watched, 200);
        for i in 0..200 {
            assert!(ks.dbs[0].watched.get(format!("held:{i}").as_bytes()).is_some());
        }
    }
}
