//! The commands, one file per group as Redis splits `t_string.c`, `t_list.c`, …, and the shared
//! helpers their handlers use to read and write typed values.

pub(crate) mod args;
mod glob;
mod hash;
mod keys;
mod list;
mod server;
mod string;
pub(crate) mod table;

use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::{Hash, Keyspace, List, Str, Ttl, Value};
use crate::reply::Reply;

/// What a handler runs against: the locked keyspace and the calling client's selected database.
pub(crate) struct Ctx<'a> {
    pub(crate) ks: &'a mut Keyspace,
    /// The client's database; SELECT changes it for the client.
    pub(crate) db: usize,
}

impl Ctx<'_> {
    /// Runs a resolved command.
    pub(crate) fn run(&mut self, spec: &table::CommandSpec, argv: &Argv) -> Reply {
        match spec.run {
            table::Run::Keyspace(handler) => handler(self, argv).into(),
            // The connection handles these before they reach the keyspace.
            table::Run::Transaction => Reply::Error(CommandError::other("ERR transaction command out of place")),
        }
    }

    /// The string at `key`, or `None` if missing; WRONGTYPE if it holds another type.
    pub(crate) fn get_str(&mut self, key: &[u8]) -> Result<Option<&Str>, CommandError> {
        match self.ks.get(self.db, key).map(|e| &e.value) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(CommandError::WrongType),
        }
    }

    /// The string at `key` for writing; WRONGTYPE if it holds another type.
    pub(crate) fn get_str_mut(&mut self, key: &[u8]) -> Result<Option<&mut Str>, CommandError> {
        match self.ks.get_mut(self.db, key).map(|e| &mut e.value) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s)),
            Some(_) => Err(CommandError::WrongType),
        }
    }

    /// The list at `key`; WRONGTYPE if it holds another type.
    pub(crate) fn get_list(&mut self, key: &[u8]) -> Result<Option<&List>, CommandError> {
        match self.ks.get(self.db, key).map(|e| &e.value) {
            None => Ok(None),
            Some(Value::List(l)) => Ok(Some(l)),
            Some(_) => Err(CommandError::WrongType),
        }
    }

    /// The list at `key` for writing; WRONGTYPE if it holds another type.
    pub(crate) fn get_list_mut(&mut self, key: &[u8]) -> Result<Option<&mut List>, CommandError> {
        match self.ks.get_mut(self.db, key).map(|e| &mut e.value) {
            None => Ok(None),
            Some(Value::List(l)) => Ok(Some(l)),
            Some(_) => Err(CommandError::WrongType),
        }
    }

    /// The hash at `key`; WRONGTYPE if it holds another type.
    pub(crate) fn get_hash(&mut self, key: &[u8]) -> Result<Option<&Hash>, CommandError> {
        match self.ks.get(self.db, key).map(|e| &e.value) {
            None => Ok(None),
            Some(Value::Hash(h)) => Ok(Some(h)),
            Some(_) => Err(CommandError::WrongType),
        }
    }

    /// The hash at `key` for writing; WRONGTYPE if it holds another type.
    pub(crate) fn get_hash_mut(&mut self, key: &[u8]) -> Result<Option<&mut Hash>, CommandError> {
        match self.ks.get_mut(self.db, key).map(|e| &mut e.value) {
            None => Ok(None),
            Some(Value::Hash(h)) => Ok(Some(h)),
            Some(_) => Err(CommandError::WrongType),
        }
    }

    /// The value at `key` for writing, created empty by `create` if missing; WRONGTYPE if the stored
    /// value is not what `create` makes. The caller marks the key modified once it has written.
    pub(crate) fn get_or_create(&mut self, key: &[u8], create: fn() -> Value) -> Result<&mut Value, CommandError> {
        let wanted = create();
        match self.ks.get(self.db, key) {
            Some(e) if std::mem::discriminant(&e.value) != std::mem::discriminant(&wanted) => {
                return Err(CommandError::WrongType);
            }
            Some(_) => {}
            None => self.ks.insert_silently(self.db, key, wanted),
        }
        match self.ks.get_mut(self.db, key) {
            Some(entry) => Ok(&mut entry.value),
            None => Err(CommandError::NoSuchKey),
        }
    }

    /// Stores a string at `key` with the given TTL rule; touches.
    pub(crate) fn set_string(&mut self, key: &[u8], value: Vec<u8>, ttl: Ttl) {
        self.ks.insert(self.db, key, Value::string(value), ttl);
    }

    /// Marks `key` modified in the client's database.
    pub(crate) fn modified(&mut self, key: &[u8]) {
        self.ks.modified(self.db, key);
    }
}
