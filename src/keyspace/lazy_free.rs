//! Lazy freeing, as Redis's `lazyfree.c`: a large value or database a command removes (DEL,
//! UNLINK, an overwrite, expiry, FLUSHDB, FLUSHALL) is not freed under the store's lock, where
//! every other client would wait for it, but handed out after the command ([`Keyspace::take_garbage`])
//! and dropped on a background thread. Freeing is invisible to every command, so this changes
//! only who waits: a million-element hash takes tens of milliseconds to free.

use super::Keyspace;
use super::table::Table;
use super::value::{Hash, Value};

/// Values that take more than this many frees are freed in the background (Redis's
/// `LAZYFREE_THRESHOLD`); smaller ones are freed at once, which costs less than handing them over.
const LAZYFREE_THRESHOLD: usize = 64;

/// What commands removed and left to free away from the lock.
#[derive(Debug, Default)]
pub(crate) struct Garbage {
    values: Vec<Value>,
    tables: Vec<Table>,
}

impl Garbage {
    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty() && self.tables.is_empty()
    }

    /// How many objects it holds, as INFO counts them: a value, or each key of a database.
    pub(crate) fn objects(&self) -> usize {
        self.values.len() + self.tables.iter().map(Table::len).sum::<usize>()
    }
}

/// Roughly how many frees dropping `value` takes (Redis's `lazyfreeGetFreeEffort`).
fn free_effort(value: &Value) -> usize {
    match value {
        Value::Str(_) => 1,
        Value::List(list) => list.node_count(),
        Value::Hash(Hash::Packed(_)) => 1,
        Value::Hash(hash) => hash.len(),
        Value::Set(set) => set.len(),
        Value::ZSet(zset) => zset.len(),
        Value::Stream(stream) => stream.free_effort(),
    }
}

impl Keyspace {
    /// Frees a value a command removed: now if it is small, else after the command, away from
    /// the lock.
    pub(crate) fn discard(&mut self, value: Value) {
        if free_effort(&value) > LAZYFREE_THRESHOLD {
            self.garbage.values.push(value);
        }
    }

    /// Frees a whole database's former contents (FLUSHDB, FLUSHALL): as [`Keyspace::discard`].
    pub(super) fn discard_table(&mut self, table: Table) {
        if table.len() > LAZYFREE_THRESHOLD {
            self.garbage.tables.push(table);
        }
    }

    /// What the commands since the last call left to free, for the caller to drop after it has
    /// released the lock (`None` when there is nothing).
    pub(crate) fn take_garbage(&mut self) -> Option<Garbage> {
        (!self.garbage.is_empty()).then(|| std::mem::take(&mut self.garbage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::keyspace::{Encodings, Set, Ttl};

    fn big_set() -> Value {
        let mut set = Set::default();
        for i in 0..1000 {
            set.insert(format!("m{i}").as_bytes(), &Encodings::default());
        }
        Value::Set(Box::new(set))
    }

    /// Large values and databases a command removes wait for the caller to free them away from
    /// the lock; small ones are freed at once.
    #[test]
    fn large_removals_are_left_to_free_later() {
        let mut ks = Keyspace::new(Clock::manual());
        ks.begin();
        ks.insert(0, b"small", Value::string(b"v".to_vec()), Ttl::Clear);
        ks.insert(0, b"big", big_set(), Ttl::Clear);
        assert!(ks.delete(0, b"small") && ks.take_garbage().is_none());
        assert!(ks.delete(0, b"big"));
        assert!(ks.take_garbage().is_some_and(|g| g.values.len() == 1));
        // Overwriting a large value, and flushing a large database, leave garbage too.
        ks.insert(0, b"big", big_set(), Ttl::Clear);
        ks.insert(0, b"big", Value::string(b"v".to_vec()), Ttl::Clear);
        assert!(ks.take_garbage().is_some_and(|g| g.values.len() == 1));
        for i in 0..100 {
            ks.insert(1, format!("k{i}").as_bytes(), Value::string(b"v".to_vec()), Ttl::Clear);
        }
        ks.flush_db(1);
        assert!(ks.take_garbage().is_some_and(|g| g.tables.len() == 1));
        assert!(ks.take_garbage().is_none());
    }
}
