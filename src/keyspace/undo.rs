//! The undo log of [`Store::atomic`](crate::Store::atomic): the state of every key before the closure
//! first changed it, so a failed closure leaves the keyspace, watchers included, as it found it.
//!
//! The cost is one copy of each key's value the first time the closure writes it (a push onto a long
//! list copies the list once), and FLUSHDB keeps the flushed data until the closure ends.

use std::collections::HashSet;

use super::{DbData, Entry, Key, Keyspace, Map, WatchedKey};

#[derive(Debug, Default)]
pub(super) struct UndoLog {
    steps: Vec<UndoStep>,
    /// Keys already recorded since the last whole-database step.
    recorded: HashSet<(usize, Key), ahash::RandomState>,
}

#[derive(Debug)]
enum UndoStep {
    Key {
        db: usize,
        key: Key,
        entry: Option<Entry>,
        watched: Option<WatchedKey>,
    },
    Flush {
        db: usize,
        data: DbData,
        watched: Map<Key, WatchedKey>,
    },
    Swap {
        a: usize,
        b: usize,
        watched_a: Map<Key, WatchedKey>,
        watched_b: Map<Key, WatchedKey>,
    },
}

impl UndoLog {
    pub(super) fn record_key(
        &mut self,
        db: usize,
        key: &[u8],
        entries: &Map<Key, Entry>,
        watched: &Map<Key, WatchedKey>,
    ) {
        if !self.recorded.insert((db, key.to_vec())) {
            return;
        }
        self.steps.push(UndoStep::Key {
            db,
            key: key.to_vec(),
            entry: entries.get(key).cloned(),
            watched: watched.get(key).cloned(),
        });
    }

    pub(super) fn flushed(&mut self, db: usize, data: DbData, watched: Map<Key, WatchedKey>) {
        self.recorded.clear();
        self.steps.push(UndoStep::Flush { db, data, watched });
    }

    pub(super) fn swapped(&mut self, a: usize, b: usize, watched_a: Map<Key, WatchedKey>, watched_b: Map<Key, WatchedKey>) {
        self.recorded.clear();
        self.steps.push(UndoStep::Swap {
            a,
            b,
            watched_a,
            watched_b,
        });
    }
}

impl Keyspace {
    /// Starts recording writes for `atomic`.
    pub(crate) fn start_undo(&mut self) {
        self.undo = Some(UndoLog::default());
    }

    /// Keeps every write since [`Keyspace::start_undo`].
    pub(crate) fn commit_undo(&mut self) {
        self.undo = None;
    }

    /// Undoes every write since [`Keyspace::start_undo`], newest first, watch versions included.
    pub(crate) fn rollback_undo(&mut self) {
        let Some(log) = self.undo.take() else {
            return;
        };
        for step in log.steps.into_iter().rev() {
            match step {
                UndoStep::Key {
                    db,
                    key,
                    entry,
                    watched,
                } => {
                    let data = &mut self.dbs[db].data;
                    let old = data.entries.remove(&key);
                    data.reindex(&key, old.and_then(|e| e.expire_at), entry.as_ref().and_then(|e| e.expire_at));
                    if let Some(entry) = entry {
                        data.entries.insert(key.clone(), entry);
                    }
                    if let Some(watched) = watched {
                        self.dbs[db].watched.insert(key, watched);
                    }
                }
                UndoStep::Flush { db, data, watched } => {
                    self.dbs[db].data = data;
                    self.dbs[db].watched = watched;
                }
                UndoStep::Swap {
                    a,
                    b,
                    watched_a,
                    watched_b,
                } => {
                    let (lo, hi) = (a.min(b), a.max(b));
                    let (left, right) = self.dbs.split_at_mut(hi);
                    std::mem::swap(&mut left[lo].data, &mut right[0].data);
                    self.dbs[a].watched = watched_a;
                    self.dbs[b].watched = watched_b;
                }
            }
        }
    }
}
