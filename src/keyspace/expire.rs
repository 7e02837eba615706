//! Expiry: lazy on access, plus a slice of active expiry at the start of every command, so keys whose
//! TTL passed never pile up in memory while the store is in use.
//!
//! Redis's active cycle samples random keys ten times a second; with the TTL index sorted by deadline
//! we take the due keys from its front instead, exactly and in order, a bounded number per command.
//! A store nobody calls does no work: its expired keys are already invisible to every read and go
//! the moment the next command runs.

use super::Keyspace;
use super::effects::EventClass;
use crate::argv::Argv;

/// The most keys one command's slice of active expiry removes (Redis's keys-per-loop).
const ACTIVE_EXPIRE_KEYS_PER_COMMAND: usize = 20;

impl Keyspace {
    /// Deletes `key` if its TTL has passed, as a read or write of it would in Redis. Returns whether
    /// it did.
    pub(crate) fn expire_if_due(&mut self, db: usize, key: &[u8]) -> bool {
        if self.dbs[db].data.volatile_len() == 0 {
            return false;
        }
        let due = self.dbs[db].data.is_expired(key, || self.now());
        if due && !self.expiry_suspended {
            self.delete_expired(db, key);
        }
        due
    }

    /// Deletes a key whose TTL passed: it touches its watchers, raises the `expired` event and is
    /// replayed as a DEL, as Redis's `deleteExpiredKeyAndPropagate` does.
    pub(super) fn delete_expired(&mut self, db: usize, key: &[u8]) {
        if let Some(old) = self.remove_entry(db, key) {
            self.discard(old.entry.value);
        }
        self.modified(db, key);
        self.expired_keys += 1;
        self.effects.notify(db, EventClass::Expired, "expired", key);
        self.effects.replay(db, || Argv::from_args(("DEL", key)));
    }

    /// Removes up to [`ACTIVE_EXPIRE_KEYS_PER_COMMAND`] keys whose TTL has passed, soonest first.
    /// Only the databases in `volatile_dbs` are visited; one found without TTLs leaves the set.
    pub(super) fn expire_some(&mut self) {
        debug_assert!(
            (0..self.dbs.len()).all(|db| self.dbs[db].data.volatile_len() == 0 || self.volatile_dbs & (1 << db) != 0),
            "a database with TTLs is missing from volatile_dbs"
        );
        let mut budget = ACTIVE_EXPIRE_KEYS_PER_COMMAND;
        let mut dbs = self.volatile_dbs;
        while dbs != 0 && budget > 0 {
            let db = dbs.trailing_zeros() as usize;
            dbs &= dbs - 1;
            if self.dbs[db].data.volatile_len() == 0 {
                self.volatile_dbs &= !(1 << db);
                continue;
            }
            while budget > 0 {
                let due = match self.dbs[db].data.soonest() {
                    Some((at, key)) if self.now() > at => key.to_vec(),
                    _ => break,
                };
                self.delete_expired(db, &due);
                budget -= 1;
            }
        }
    }

    /// Notes that `db` may now hold keys with a TTL, for [`Keyspace::expire_some`]: called
    /// wherever a TTL enters a database (a write with a TTL, EXPIRE, SWAPDB, an `atomic` rollback).
    pub(super) fn may_have_ttls(&mut self, db: usize) {
        self.volatile_dbs |= 1 << db;
    }
}
