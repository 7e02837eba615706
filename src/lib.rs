//! # embedis
//!
//! An embeddable, in-process, transactional key-value store with Redis's semantics: Redis's data
//! model (strings, lists, hashes, sets, sorted sets), commands, MULTI/EXEC/WATCH transactions,
//! blocking pops and expiry, with no server and no network. Use it
//! as the store of a Rust application, or as a fake Redis in tests that behaves exactly like the
//! real one — the replies are Redis 7.0's, byte for byte.
//!
//! ## Quick start
//!
//! ```
//! use embedis::{Commands, RetryPolicy, Store};
//!
//! let store = Store::new(); // Clone + Send + Sync; clones share one keyspace
//! store.set("account:1", 100)?;
//!
//! // MULTI/EXEC: queued, then run with nothing interleaved.
//! let (a, b): (i64, i64) = store.multi().incr("visits").incr("visits").exec_as()?.unwrap();
//! assert_eq!((a, b), (1, 2));
//!
//! // WATCH: optimistic check-and-set, retried for you on conflict.
//! store.transaction(["account:1", "account:2"], RetryPolicy::default(), |tx| {
//!     let balance: i64 = tx.get_as("account:1")?;
//!     if balance < 30 {
//!         return Ok::<_, embedis::CommandError>(Some(()));
//!     }
//!     Ok(tx.multi().decrby("account:1", 30).incrby("account:2", 30).exec()?.map(|_| ()))
//! })?;
//! assert_eq!(store.get("account:2")?.as_deref(), Some("30"));
//!
//! // Check-then-act under the lock: no retries, and all or nothing.
//! store.atomic(|db| {
//!     let balance: i64 = db.get_as("account:1")?;
//!     db.set("account:1", balance - 10)
//! })?;
//!
//! // Redis's wire semantics, for fakes and adapters.
//! let mut conn = store.connect();
//! assert_eq!(conn.call(["GET", "account:1"]).to_resp(), b"$2\r\n60\r\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## The guarantees
//!
//! | | what you get |
//! |---|---|
//! | one command | atomic: it runs under the store's one lock |
//! | MULTI/EXEC | isolation: the queue runs under one lock acquisition, nothing interleaved, time frozen |
//! | no rollback in MULTI | a command that fails at run time (WRONGTYPE, not an integer, …) answers its error in its own slot; the others still run and their writes stay, as in Redis |
//! | queue-time errors | an unknown command or a wrong number of arguments while queuing makes EXEC answer `EXECABORT` and nothing runs |
//! | WATCH | EXEC answers nil (`None`) when a watched key was modified — by anyone, the watching client included — or expired since WATCH; a write that changes nothing (DEL of a missing key, a failed command) does not count |
//! | [`Store::atomic`] | beyond Redis: the closure sees no other client, and if it fails or panics every write it made is undone |
//!
//! ## Time
//!
//! A [`Store`] reads a [`Clock`]: the system clock, or a manual one that tests move with
//! [`Clock::advance`], so TTL tests run instantly. Expired keys vanish on access and a slice of
//! active expiry runs with every command, so they never pile up in a store in use.
//!
//! ## Layout
//!
//! `ARCHITECTURE.md` in the repository follows a command from a caller to its handler and back.
//!
//! - `store` — [`Store`]; `transaction` — [`Watch`], [`Transaction`], [`Store::transaction`];
//!   `atomic` — [`Store::atomic`], [`AtomicDb`]
//! - `connection` — [`Connection`]: a client's database, MULTI queue, watches and session;
//!   MULTI/EXEC/WATCH
//! - `runner` — the one lock and what it guards, and the one way a command runs under it
//! - `typed` — [`Commands`], the typed command methods, generated from one list
//! - `command` — the command table and one file per command group (strings, keys, lists, hashes,
//!   sets, sorted sets, sort, scripting, server), the SCAN family and what blocking commands share
//! - `keyspace` — the data under the lock: databases, entries, expiry, watched-key versions, undo log
//! - `cluster` — cluster mode: [`key_slot`], routing by slot ([`StoreBuilder::cluster_enabled`]);
//!   `persistence` — RDB files ([`Store::open`], SAVE, BGSAVE)
//! - [`reply`] — [`Reply`] and [`FromReply`]; [`error`] — [`CommandError`]; [`argv`] — [`Argv`], [`ToArgs`]

#![warn(missing_docs)]

/// The Redis version embedis behaves as (HELLO, INFO, scripts' `redis.REDIS_VERSION`).
pub(crate) const REDIS_VERSION: &str = "7.0.15";

mod acl;
mod allocator;
mod aof;
pub use aof::Fsync;
pub mod argv;
mod clock;
mod cluster;
mod command;
mod direct;
pub mod error;
mod ids;
mod keyspace;
mod number;
mod persistence;
pub mod reply;
#[cfg(feature = "lua")]
mod script;
#[cfg(feature = "lua")]
pub use script::Script;
mod atomic;
mod connection;
mod pubsub;
#[cfg(feature = "redis-rs")]
pub mod redis_rs;
mod replica;
mod replication;
mod runner;
#[cfg(feature = "server")]
pub mod server;
mod store;
mod streams;
mod subscription;
mod tracking;
mod transaction;
mod typed;
mod watchdog;

pub use allocator::CountingAllocator;
pub use argv::{Argv, ToArgs};
pub use atomic::AtomicDb;
pub use clock::Clock;
pub use cluster::{SLOT_COUNT, key_slot};
pub use connection::Connection;
pub use error::CommandError;
pub use keyspace::{DATABASES, EvictionPolicy, UnknownPolicy};
pub use replica::ReplicaStatus;
pub use reply::{FromReply, Reply};
pub use store::{Store, StoreBuilder};
pub use streams::{AutoClaim, PendingEntry, PendingSummary, StreamEntry};
#[cfg(feature = "async")]
pub use subscription::MessageStream;
pub use subscription::{CutOff, Message, Subscription};
pub use transaction::{RetryPolicy, Transaction, TransactionError, Watch};
pub use typed::Commands;

/// The names most programs need: `use embedis::prelude::*;`.
///
/// ```
/// use embedis::prelude::*;
/// let store = Store::new();
/// store.set("k", 1)?;
/// # Ok::<(), CommandError>(())
/// ```
pub mod prelude {
    pub use crate::{
        Clock, CommandError, Commands, Connection, FromReply, Reply, RetryPolicy, Store, TransactionError,
    };
}

/// The README's examples, compiled and run as doctests so they never go stale (they use every
/// feature: `cargo test --all-features`, the README's test command, runs them).
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "lua", feature = "server", feature = "redis-rs"))]
pub struct ReadmeDoctests;
