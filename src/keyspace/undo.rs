//! The undo log of [`Store::atomic`](crate::Store::atomic): the state of every key before the closure
//! first changed it, so a failed closure leaves the keyspace, watchers included, as it found it.
//!
//! The cost is one copy of each key's value the first time the closure writes it (a push onto a long
//! list copies the list once), and FLUSHDB keeps the flushed data until the closure ends.

use std::collections::HashSet;

use super::inline_bytes::InlineBytes;
use super::watch::WatchedKeys;
use super::{Detached, Key, Keyspace, Table, WatchedKey};

#[derive(Debug, Default)]
pub(super) struct UndoLog {
    /// An `atomic` closure is running: writes are recorded.
    recording: bool,
    steps: Vec<UndoStep>,
    /// Key steps since the last whole-database step: a short scan finds a key already recorded…
    since_db_step: usize,
    /// … and past [`SCAN_LIMIT`] of them, a set does.
    recorded: Option<HashSet<(usize, Key), ahash::RandomState>>,
}

/// How many recorded keys are looked up by scanning before a set is built.
const SCAN_LIMIT: usize = 16;

#[derive(Debug)]
enum UndoStep {
    Key {
        db: usize,
        /// Inline when short, as the table holds keys: most records allocate nothing for it.
        key: InlineBytes,
        entry: Option<Detached>,
        /// Boxed, as the whole-database steps' parts: a step is pushed for every key an
        /// `atomic` call writes, and what it moves should be the key's step alone.
        watched: Option<Box<WatchedKey>>,
    },
    Flush {
        db: usize,
        data: Box<Table>,
        watched: Box<WatchedKeys>,
    },
    Swap {
        a: usize,
        b: usize,
        watched: Box<(WatchedKeys, WatchedKeys)>,
    },
}

impl UndoLog {
    /// The log, while an `atomic` closure runs.
    pub(super) fn recording(&mut self) -> Option<&mut UndoLog> {
        self.recording.then_some(self)
    }

    pub(super) fn is_recording(&self) -> bool {
        self.recording
    }

    /// Stops recording and forgets what was recorded (its allocation stays for the next call).
    fn reset(&mut self) {
        self.recording = false;
        self.steps.clear();
        self.since_db_step = 0;
        self.recorded = None;
    }

    /// Records the state of `key` before its first change in this call: its entry and TTL (or
    /// that it is missing) and its watchers. With `only_if_present`, a missing key is not recorded
    /// (a write that finds no key changes nothing).
    pub(super) fn record_key(
        &mut self,
        db: usize,
        key: &[u8],
        entry: impl FnOnce() -> Option<Detached>,
        watched: &WatchedKeys,
        only_if_present: bool,
    ) {
        if self.is_recorded(db, key) {
            return;
        }
        let entry = entry();
        if entry.is_none() && only_if_present {
            return;
        }
        self.since_db_step += 1;
        if let Some(set) = &mut self.recorded {
            set.insert((db, key.to_vec()));
        } else if self.since_db_step > SCAN_LIMIT {
            let recent = self.steps.iter().rev().take(self.since_db_step - 1);
            let mut set: HashSet<_, _> = recent
                .filter_map(|step| match step {
                    UndoStep::Key { db, key, .. } => Some((*db, key.to_vec())),
                    _ => None,
                })
                .collect();
            set.insert((db, key.to_vec()));
            self.recorded = Some(set);
        }
        self.steps.push(UndoStep::Key {
            db,
            key: InlineBytes::new(key),
            entry,
            watched: if watched.is_empty() {
                None
            } else {
                watched.get(key).cloned().map(Box::new)
            },
        });
    }

    fn is_recorded(&self, db: usize, key: &[u8]) -> bool {
        if let Some(set) = &self.recorded {
            return set.contains(&(db, key.to_vec()));
        }
        self.steps
            .iter()
            .rev()
            .take(self.since_db_step)
            .any(|step| matches!(step, UndoStep::Key { db: d, key: k, .. } if *d == db && &**k == key))
    }

    /// A whole-database step: keys must be recorded again after it.
    fn db_step(&mut self) {
        self.since_db_step = 0;
        self.recorded = None;
    }

    pub(super) fn flushed(&mut self, db: usize, data: Table, watched: WatchedKeys) {
        self.db_step();
        self.steps.push(UndoStep::Flush {
            db,
            data: Box::new(data),
            watched: Box::new(watched),
        });
    }

    pub(super) fn swapped(&mut self, a: usize, b: usize, watched_a: WatchedKeys, watched_b: WatchedKeys) {
        self.db_step();
        self.steps.push(UndoStep::Swap {
            a,
            b,
            watched: Box::new((watched_a, watched_b)),
        });
    }
}

impl Keyspace {
    /// Starts recording writes for `atomic`.
    pub(crate) fn start_undo(&mut self) {
        self.undo.reset();
        self.undo.recording = true;
    }

    /// Keeps every write since [`Keyspace::start_undo`].
    pub(crate) fn commit_undo(&mut self) {
        self.undo.reset();
    }

    /// Undoes every write since [`Keyspace::start_undo`], newest first, watch versions included.
    pub(crate) fn rollback_undo(&mut self) {
        if !self.undo.recording {
            return;
        }
        let steps = std::mem::take(&mut self.undo.steps);
        self.undo.reset();
        // Writes that were undone raise no keyspace events and are not replayed.
        drop(self.effects.take());
        for step in steps.into_iter().rev() {
            match step {
                UndoStep::Key {
                    db,
                    key,
                    entry,
                    watched,
                } => {
                    let data = &mut self.dbs[db].data;
                    match entry {
                        Some(old) => {
                            data.insert(&key, old.entry, old.expire_at);
                            if old.expire_at.is_some() {
                                self.may_have_ttls(db);
                            }
                        }
                        None => {
                            data.remove(&key);
                        }
                    }
                    if let Some(watched) = watched {
                        self.dbs[db].watched.restore(*watched);
                    }
                }
                UndoStep::Flush { db, data, watched } => {
                    self.dbs[db].data = *data;
                    self.dbs[db].watched = *watched;
                    self.may_have_ttls(db);
                }
                UndoStep::Swap { a, b, watched } => {
                    let (watched_a, watched_b) = *watched;
                    let (lo, hi) = (a.min(b), a.max(b));
                    let (left, right) = self.dbs.split_at_mut(hi);
                    std::mem::swap(&mut left[lo].data, &mut right[0].data);
                    self.may_have_ttls(a);
                    self.may_have_ttls(b);
                    self.dbs[a].watched = watched_a;
                    self.dbs[b].watched = watched_b;
                }
            }
        }
    }
}
