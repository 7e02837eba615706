//! The data under the lock: sixteen databases of entries, their TTLs, and the versions of watched keys.
//!
//! Every read and write of a key goes through the few methods here, so the invariants live in one
//! place: lazy expiry on access, the TTL index, touching watchers on every real modification (Redis's
//! `signalModifiedKey`), and the undo log of [`Store::atomic`](crate::Store::atomic).

pub(crate) mod blocking;
mod commands_file;
#[cfg(feature = "server")]
mod digest;
pub(crate) mod dump;
pub(crate) mod effects;
mod evict;
mod expire;
mod inline_bytes;
pub(crate) use effects::NotifyFlags;
pub(crate) use evict::Eviction;
pub use evict::{EvictionPolicy, UnknownPolicy};
pub(crate) use inline_bytes::{InlineBytes, copy_bytes};
mod lazy_free;
mod list;
mod listpack;
mod memory;
mod packed;
pub(crate) mod rdb;
pub(crate) mod rdb_file;
mod snapshot;
pub(crate) mod stream;
mod table;
mod undo;
pub(crate) mod value;
mod watch;
pub(crate) mod zset;

use std::cell::Cell;

use crate::clock::Clock;

pub(crate) use lazy_free::Garbage;
pub(crate) use list::List;
pub(crate) use memory::{DEFAULT_SAMPLES, MemoryFigures};
pub(crate) use snapshot::FileFormat;
pub(crate) use value::{Encodings, Hash, Map, Set, Str, Value, ValueKind};
use watch::WatchedKey;
pub(crate) use watch::{ClientId, WatchList};
pub(crate) use zset::ZSet;

pub(crate) use table::{Detached, Entry, Lfu};
use table::{Found, Table};
use undo::UndoLog;

/// A key: binary-safe bytes.
pub(crate) type Key = Vec<u8>;

/// How many databases a store has (SELECT 0 to 15), as Redis's default.
///
/// ```
/// let mut conn = embedis::Store::new().connect();
/// assert!(!conn.call(("SELECT", embedis::DATABASES - 1)).is_error());
/// assert!(conn.call(("SELECT", embedis::DATABASES)).is_error());
/// ```
pub const DATABASES: usize = 16;

/// What a write does to the key's TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ttl {
    /// The key keeps the TTL it had (SET KEEPTTL, in-place edits).
    Keep,
    /// The key has no TTL afterwards (a plain SET).
    Clear,
    /// The key expires at this Unix time in milliseconds.
    At(i64),
}

/// One database: its data, and the keys clients watch in it (which stay with the database index
/// when SWAPDB swaps the data, as in Redis).
#[derive(Debug, Default)]
struct Db {
    data: Table,
    watched: watch::WatchedKeys,
}

/// All sixteen databases, the version counter and the clock reading of the running command.
#[derive(Debug)]
pub(crate) struct Keyspace {
    dbs: Vec<Db>,
    /// The last version stamped on a watched key; one counter for the whole keyspace.
    version: u64,
    /// Where time comes from.
    clock: Clock,
    /// The databases that may hold keys with a TTL (a superset: one bit per database), so that
    /// active expiry visits only those.
    volatile_dbs: u32,
    /// The time of the running command (or EXEC, or `atomic` call) in Unix microseconds, read from
    /// the clock the first time the command needs it and frozen until the next one.
    now: Cell<Option<i64>>,
    /// The coarse time of the running command, stamped on the keys it touches: read on first use,
    /// like `now`, so commands that touch no key never read a clock.
    lru: Cell<Option<i64>>,
    /// State of the generator behind RANDOMKEY.
    rng: u64,
    /// The writes of the running `atomic` closure, to undo if it fails; kept between calls (not
    /// recording) so that a run of small calls reuses one allocation.
    undo: UndoLog,
    /// Clients blocked on lists.
    blocked: blocking::Blocked,
    /// Who subscribes to which channels and patterns (kept under the lock with the data, so
    /// that publishing is ordered with every other command).
    pub(crate) pubsub: crate::pubsub::Hub,
    /// Client-side caching: who may cache which keys, and the invalidations to send.
    pub(crate) tracking: crate::tracking::Tracking,
    /// What the running command did besides its reply and touches (keyspace events, replay).
    pub(crate) effects: effects::Effects,
    /// `notify-keyspace-events`: which events are published, and where.
    notify: effects::NotifyFlags,
    /// Keys removed by expiry, lazy or active (INFO's `expired_keys`).
    expired_keys: u64,
    /// What commands did, when a server keeps count (`command::stats`); shared with the
    /// connections, which count their own commands outside the lock.
    pub(crate) command_stats: Option<std::sync::Arc<parking_lot::Mutex<crate::command::stats::CommandStats>>>,
    /// `latency-monitor-threshold` in milliseconds (0: off): a slice of active expiry that
    /// takes as long is a LATENCY `expire-cycle` event.
    pub(crate) latency_threshold_ms: u64,
    /// An LFU `maxmemory-policy`'s settings, if one is selected: entries count accesses instead
    /// of stamping idle time (OBJECT FREQ).
    lfu: Option<Lfu>,
    /// A CLIENT PAUSE is in force: nothing expires (see [`Keyspace::suspend_expiry`]).
    expiry_suspended: bool,
    /// Whether keys past their TTL are removed before they are looked up (DEBUG
    /// SET-ACTIVE-EXPIRE turns it off: they go when a command meets them).
    active_expiry: bool,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS 1: scripts may call the server's own commands Redis
    /// keeps from scripts (DEBUG, CONFIG, CLIENT, …), as Redis's suite has them do.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) scripts_call_server_commands: bool,
    /// The thresholds of the compact encodings, as CONFIG SET left them.
    encodings: Encodings,
    /// Large values and databases removed, to free away from the lock.
    garbage: Garbage,
    /// `maxmemory` and its policy (`evict.rs`).
    pub(crate) eviction: evict::Eviction,
    /// Where and when the store saves, and the changes since it last did.
    pub(crate) saving: crate::persistence::Saving,
    /// The append-only file every write is appended to, when the store keeps one.
    pub(crate) aof: Option<crate::aof::Aof>,
    /// The replicas fed the replay form of every write (SYNC).
    pub(crate) replicas: crate::replication::Replicas,
    /// The primary this store follows, if it is a replica (REPLICAOF).
    pub(crate) following: crate::replica::Following,
    /// `rdbcompression`: strings in RDB files and DUMP payloads are LZF-compressed.
    pub(crate) rdb_compression: bool,
    /// `rdbchecksum`: an RDB file ends with its CRC-64 (else with 0), and a file loaded has its
    /// checked.
    pub(crate) rdb_checksum: bool,
    /// The users and their permissions (ACL SETUSER, …).
    pub(crate) acl: std::sync::Arc<crate::acl::Users>,
    /// The snapshot being taken in steps (a background save), if one is (`snapshot.rs`).
    snapshot: Option<Box<snapshot::SnapshotInProgress>>,
    /// The number of the last snapshot begun.
    snapshot_number: u16,
    /// The store this keyspace belongs to, for work it hands to a thread of its own (a
    /// background save's steps).
    pub(crate) store: std::sync::Weak<crate::runner::Shared>,
    /// An append-only file is being loaded: its commands are obeyed as written (Redis's
    /// `mustObeyClient`: a stream trim's LIMIT is not enforced).
    pub(crate) loading: bool,
    /// The bytes the allocator counted when the server started (INFO's `used_memory_startup`).
    pub(crate) startup_memory: usize,
    /// In cluster mode, the node's view of its cluster (shared with the store, which routes
    /// requests by it without this lock).
    pub(crate) cluster: Option<std::sync::Arc<crate::cluster::Cluster>>,
}

impl Keyspace {
    pub(crate) fn new(clock: Clock) -> Keyspace {
        Keyspace {
            dbs: (0..DATABASES).map(|_| Db::default()).collect(),
            version: 0,
            volatile_dbs: 0,
            clock,
            now: Cell::new(None),
            lru: Cell::new(None),
            rng: 0x9e37_79b9_7f4a_7c15,
            undo: UndoLog::default(),
            blocked: blocking::Blocked::default(),
            pubsub: crate::pubsub::Hub::default(),
            tracking: crate::tracking::Tracking::default(),
            effects: effects::Effects::default(),
            notify: effects::NotifyFlags::default(),
            expired_keys: 0,
            command_stats: None,
            latency_threshold_ms: 0,
            lfu: None,
            expiry_suspended: false,
            active_expiry: true,
            scripts_call_server_commands: false,
            encodings: Encodings::default(),
            garbage: Garbage::default(),
            startup_memory: 0,
            saving: crate::persistence::Saving::default(),
            aof: None,
            loading: false,
            replicas: crate::replication::Replicas::default(),
            following: crate::replica::Following::default(),
            rdb_compression: true,
            rdb_checksum: true,
            acl: std::sync::Arc::default(),
            snapshot: None,
            snapshot_number: 0,
            store: std::sync::Weak::new(),
            cluster: None,
            eviction: evict::Eviction::new(),
        }
    }

    /// Starts a command (or a transaction, or an `atomic` call): time will be read afresh (once) and
    /// frozen until the next call, and a slice of active expiry runs.
    pub(crate) fn begin(&mut self) {
        self.now.set(None);
        self.lru.set(None);
        // Keys active expiry removes now are no client's change (NOLOOP keeps their
        // invalidations); the command's client is noted when it runs.
        self.tracking.set_current(0);
        if self.expiry_suspended || !self.active_expiry {
            return;
        }
        if self.latency_threshold_ms == 0 || self.volatile_dbs == 0 {
            self.expire_some();
            return;
        }
        let started = std::time::Instant::now();
        self.expire_some();
        let ms = started.elapsed().as_millis() as u64;
        if let Some(stats) = &self.command_stats {
            stats.lock().latency.sample("expire-cycle", ms);
        }
    }

    /// The thresholds of the compact encodings, for commands that fill collections.
    pub(crate) fn encodings(&self) -> Encodings {
        self.encodings
    }

    /// CONFIG SET of an encoding threshold: applies to values as they are created and grow.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set_encodings(&mut self, encodings: Encodings) {
        self.encodings = encodings;
    }

    /// The clock this keyspace reads.
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Records a save that finished now: nothing is left to save.
    pub(crate) fn saved_now(&mut self) {
        let now = self.clock.now_micros() / 1_000_000;
        self.saving.saved(now);
    }

    /// LASTSAVE: the last save (a background one once it finished), or the first time anyone
    /// asked (the store has never saved).
    pub(crate) fn last_save(&mut self) -> i64 {
        let now = self.clock.now_micros() / 1_000_000;
        self.saving.last_save(now)
    }

    /// Lets go of the running command's frozen time: the clock is read afresh at the next need
    /// (serving blocked clients after a command, as Redis does outside one).
    pub(crate) fn thaw_time(&mut self) {
        self.now.set(None);
    }

    /// The frozen time of the running command in Unix microseconds. Most commands never need it,
    /// so the clock is read only on first use.
    pub(crate) fn now_micros(&self) -> i64 {
        match self.now.get() {
            Some(t) => t,
            None => {
                let t = self.clock.now_micros();
                self.now.set(Some(t));
                t
            }
        }
    }

    /// A pseudo-random number (xorshift), for RANDOMKEY.
    pub(crate) fn random(&mut self) -> u64 {
        xorshift(&mut self.rng)
    }

    /// The frozen time of the running command, in Unix milliseconds.
    pub(crate) fn now(&self) -> i64 {
        self.now_micros().div_euclid(1000)
    }

    /// Whether `index` names a database.
    pub(crate) fn valid_db(index: i64) -> Option<usize> {
        usize::try_from(index).ok().filter(|&i| i < DATABASES)
    }

    /// The entry of `key`, after expiring it if its time has passed (which touches its watchers, as
    /// Redis's lazy expiry does).
    pub(crate) fn get(&mut self, db: usize, key: &[u8]) -> Option<&Entry> {
        let pos = self.locate(db, key)?;
        let (lru, chance) = (self.lru(), self.lfu_chance());
        let entry = self.dbs[db].data.entry_at_mut(pos);
        entry.touch(lru, self.lfu, chance);
        Some(entry)
    }

    /// A uniform draw in [0, 1) for an LFU counter's step, drawn only under an LFU policy.
    fn lfu_chance(&mut self) -> f64 {
        match self.lfu {
            Some(_) => (self.random() >> 11) as f64 / (1u64 << 53) as f64,
            None => 0.0,
        }
    }

    /// CLIENT PAUSE is in force (or no longer): keys past their TTL read as missing but stay,
    /// neither lazy nor active expiry removes them, and `expired_keys` does not move.
    pub(crate) fn suspend_expiry(&mut self, suspended: bool) {
        self.expiry_suspended = suspended;
    }

    /// DEBUG SET-ACTIVE-EXPIRE: whether keys past their TTL are removed without being looked up
    /// (on by default); off, they go when a command meets them.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set_active_expiry(&mut self, on: bool) {
        self.active_expiry = on;
    }

    /// `notify-keyspace-events`: from now on, the events of the classes it enables are published
    /// on the channels it names.
    pub(crate) fn set_notify(&mut self, flags: effects::NotifyFlags) {
        self.notify = flags;
        self.effects.want_events(flags.classes());
    }

    /// Whether anything looks at commands beyond their effects on the keyspace: a client
    /// tracking keys, command statistics, a reader of the replay form (an append-only file, a
    /// replica), or — when `monitors_see_them` (a script's commands, EXEC's) — a monitor.
    pub(crate) fn commands_observed(&self, monitors_see_them: bool) -> bool {
        self.tracking.is_active()
            || self.command_stats.is_some()
            || self.effects.replay_wanted()
            || (monitors_see_them && self.pubsub.monitored())
    }

    /// Whether a typed call may run without its command line (`direct.rs`): nothing observes
    /// commands ([`Keyspace::commands_observed`]), memory is not exhausted,
    /// `min-replicas-to-write` is not in force and the store follows no primary (the command
    /// line's way answers those errors).
    pub(crate) fn takes_direct_calls(&self, monitors_see_them: bool) -> bool {
        !self.out_of_memory()
            && !self.replicas.counts_good_replicas()
            && !self.following.is_following()
            && !self.commands_observed(monitors_see_them)
    }

    /// Whether a write is refused now for want of replicas (`min-replicas-to-write`).
    pub(crate) fn not_enough_replicas(&self) -> bool {
        self.replicas.refuse_writes()
    }

    /// The error refusing a client's command `spec` (`writes`: whether it may write) by the
    /// replication rules, as Redis checks them before running it: NOREPLICAS
    /// (`min-replicas-to-write`), READONLY (a read-only replica), MASTERDOWN (a stale replica).
    #[inline]
    pub(crate) fn replication_refusal(
        &self,
        spec: &crate::command::table::CommandSpec,
        writes: bool,
    ) -> Option<crate::error::CommandError> {
        self.replication_refusal_with(|| writes, || crate::replica::runs_when_stale(spec))
    }

    /// [`Keyspace::replication_refusal`] of commands that, as `writes` and `runs_when_stale`
    /// answer (asked only when a rule is in force), may write and may all run on a stale
    /// replica (EXEC's queue).
    #[inline]
    pub(crate) fn replication_refusal_with(
        &self,
        writes: impl FnOnce() -> bool,
        runs_when_stale: impl FnOnce() -> bool,
    ) -> Option<crate::error::CommandError> {
        if !self.replicas.counts_good_replicas() && !self.following.is_following() {
            return None;
        }
        let writes = writes();
        if writes && self.not_enough_replicas() {
            return Some(crate::error::CommandError::NoReplicas);
        }
        crate::replica::refusal(&self.following, writes, runs_when_stale)
    }

    /// Publishes the keyspace events recorded so far (Redis's `notifyKeyspaceEvent`): each to
    /// `__keyspace@<db>__:<key>` (the event's name as the message) and to
    /// `__keyevent@<db>__:<event>` (the key as the message), as the flags say, in the order they
    /// happened.
    #[inline]
    pub(crate) fn publish_events(&mut self) {
        if self.effects.has_events() {
            self.publish_recorded_events();
        }
    }

    /// [`Keyspace::publish_events`] once there are some.
    #[cold]
    fn publish_recorded_events(&mut self) {
        for event in self.effects.take_events() {
            if self.notify.keyspace() {
                let mut channel = format!("__keyspace@{}__:", event.db).into_bytes();
                channel.extend_from_slice(&event.key);
                self.pubsub.publish(&channel, event.name.as_bytes(), false);
            }
            if self.notify.keyevent() {
                let channel = format!("__keyevent@{}__:{}", event.db, event.name);
                self.pubsub.publish(channel.as_bytes(), &event.key, false);
            }
        }
    }

    /// Appends what the last unit wrote, in its replay form, to the append-only file (see
    /// `aof.rs`): with `wrap`, a unit of several commands goes inside MULTI … EXEC.
    #[inline]
    pub(crate) fn append_replay(&mut self, wrap: bool) {
        let wrap = self.effects.take_wrap(wrap);
        if self.effects.has_replay() {
            self.append_recorded_replay(wrap);
        }
    }

    /// [`Keyspace::append_replay`] once there is something to append.
    #[cold]
    fn append_recorded_replay(&mut self, wrap: bool) {
        let unit = self.effects.take_replay();
        if let Some(aof) = &mut self.aof {
            if unit.iter().all(|line| line.aof) {
                aof.append(&unit, wrap);
            } else {
                let logged: Vec<_> = unit.iter().filter(|line| line.aof).cloned().collect();
                aof.append(&logged, wrap);
            }
        }
        // Once a replica attached, the stream goes on (into the backlog) whether or not one is
        // connected, as Redis's does; a replica's own is only its primary's.
        if self.replicas.streams() && self.following.feeds_replicas() {
            self.replicas.feed(&unit, wrap);
        }
    }

    /// Feeds the replay form of every write to `client` from now on (SYNC), through `mailbox`.
    pub(crate) fn attach_replica(
        &mut self,
        client: ClientId,
        listening: crate::replication::ReplicaAddress,
        mailbox: &std::sync::Arc<crate::pubsub::Mailbox>,
    ) {
        self.replicas.attach(client, listening, mailbox);
        self.effects.want_replay(true);
    }

    /// `appendfsync` from now on, for the append-only file kept now or later.
    pub(crate) fn set_append_fsync(&mut self, fsync: crate::aof::Fsync) {
        if let Some(aof) = &mut self.aof {
            aof.set_fsync(fsync);
        }
        if let Some((_, settings)) = &mut self.saving.append_only {
            settings.fsync = fsync;
        }
    }

    /// Keeps `aof` from now on: every write is appended to it.
    pub(crate) fn attach_aof(&mut self, mut aof: crate::aof::Aof) {
        if let Some((_, settings)) = &self.saving.append_only {
            aof.timestamps = settings.timestamps;
        }
        self.aof = Some(aof);
        self.effects.want_replay(true);
    }

    /// `aof-timestamp-enabled` from now on, for the append-only file kept now or later.
    pub(crate) fn set_aof_timestamps(&mut self, on: bool) {
        if let Some(aof) = &mut self.aof {
            aof.timestamps = on;
        }
        if let Some((_, settings)) = &mut self.saving.append_only {
            settings.timestamps = on;
        }
    }

    /// `aof-use-rdb-preamble` from now on: whether the append-only file's next base is an RDB
    /// file (else the commands that rebuild the data).
    pub(crate) fn set_aof_rdb_preamble(&mut self, on: bool) {
        if let Some((_, settings)) = &mut self.saving.append_only {
            settings.rdb_preamble = on;
        }
    }

    /// The LFU policy's settings, if one is selected (CONFIG SET maxmemory-policy *-lfu).
    pub(crate) fn lfu(&self) -> Option<Lfu> {
        self.lfu
    }

    /// CONFIG SET of maxmemory-policy, lfu-log-factor or lfu-decay-time; `Store::set_maxmemory`.
    pub(crate) fn set_lfu(&mut self, lfu: Option<Lfu>) {
        self.lfu = lfu;
    }

    /// Where `key` is in `db`, after expiring it if its time has passed: one lookup.
    fn locate(&mut self, db: usize, key: &[u8]) -> Option<u32> {
        match self.dbs[db].data.find_live(key, || self.now()) {
            Found::Live(pos) => Some(pos),
            Found::Missing => None,
            Found::Expired => {
                if !self.expiry_suspended {
                    self.delete_expired(db, key);
                }
                None
            }
        }
    }

    /// The entry of `key` without counting as an access (Redis's LOOKUP_NOTOUCH: TYPE, TTL,
    /// EXISTS, OBJECT).
    pub(crate) fn peek(&mut self, db: usize, key: &[u8]) -> Option<&Entry> {
        let pos = self.locate(db, key)?;
        Some(self.dbs[db].data.entry_at(pos))
    }

    /// The entry of `key` as it stands, with no expiry check and no access stamp: for a command's
    /// second look at keys it has already read (and so expired) through [`Keyspace::get`], when it
    /// needs several of them borrowed at once.
    pub(crate) fn entry(&self, db: usize, key: &[u8]) -> Option<&Entry> {
        self.dbs[db].data.get(key)
    }

    /// The keys of database 0 that hash to `slot`, the last stored first (as Redis lists them);
    /// expired keys not yet removed included, as Redis counts them (CLUSTER COUNTKEYSINSLOT,
    /// GETKEYSINSLOT). O(keys): embedis keeps no index by slot.
    pub(crate) fn keys_in_slot(&self, slot: u16) -> impl Iterator<Item = &[u8]> + '_ {
        self.dbs[0]
            .data
            .iter()
            .map(|(key, _)| key)
            .filter(move |key| crate::cluster::key_slot(key) == slot)
    }

    /// DEBUG OBJECT: Redis's one-line description of `key`'s value (address, refcount,
    /// encoding, the length of its RDB serialization, idle clock, and for lists the quicklist
    /// nodes Redis would have), with no expiry check; `None` for a missing key.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn debug_object(&self, db: usize, key: &[u8]) -> Option<String> {
        let entry = self.dbs[db].data.get(key)?;
        let value = &entry.value;
        let mut line = format!(
            "Value at:{:p} refcount:{} encoding:{} serializedlength:{} lru:{} lru_seconds_idle:{}",
            value,
            value.refcount(),
            value.encoding(),
            dump::serialized_len(value),
            entry.lru_field(),
            entry.idle_seconds(self.lru()),
        );
        if let Value::List(list) = value {
            let (nodes, bytes) = dump::quicklist_shape(list);
            line.push_str(&format!(
                " ql_nodes:{nodes} ql_avg_node:{:.2} ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:{bytes}",
                list.len() as f64 / nodes as f64
            ));
        }
        Some(line)
    }

    /// DEBUG LISTPACK's description of the listpack holding `key`'s value: `None` for a missing
    /// key, `Some(None)` for a value of another encoding.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn describe_listpack(&self, db: usize, key: &[u8]) -> Option<Option<String>> {
        let entry = self.dbs[db].data.get(key)?;
        Some(dump::listpack_of(&entry.value).map(|lp| lp.describe()))
    }

    /// DEBUG QUICKLIST's description of the list at `key` (`full`: with every node's elements):
    /// `None` for a missing key, `Some(None)` for a value that is no list.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn describe_quicklist(&self, db: usize, key: &[u8], full: bool) -> Option<Option<String>> {
        let entry = self.dbs[db].data.get(key)?;
        Some(match &entry.value {
            Value::List(list) => Some(dump::describe_quicklist(list, full)),
            _ => None,
        })
    }

    /// DEBUG HTSTATS-KEY's facts of the value at `key`: `None` for a missing key, `Some(None)`
    /// for a value kept in no hash table (see [`Value::hash_table_room`]).
    pub(crate) fn hash_table_room(&self, db: usize, key: &[u8]) -> Option<Option<(usize, usize)>> {
        let entry = self.dbs[db].data.get(key)?;
        Some(entry.value.hash_table_room())
    }

    /// MEMORY USAGE: the estimated bytes `key` takes (see the `memory` module), measuring
    /// collections from their first `samples` elements (0: all); `None` for a missing key.
    pub(crate) fn memory_usage(&self, db: usize, key: &[u8], samples: usize) -> Option<usize> {
        let entry = self.dbs[db].data.get(key)?;
        Some(memory::key_usage(key, entry, samples))
    }

    /// The bytes of the databases' own structures (indexes, TTL records, unused slots), without
    /// the keys' slots and the values' heap blocks: INFO's part of `used_memory_overhead`. O(1).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn structure_bytes(&self) -> usize {
        self.dbs.iter().map(|db| db.data.structure_bytes()).sum()
    }

    /// The process's memory as INFO, MEMORY STATS and MEMORY DOCTOR report it.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn memory_figures(&self) -> memory::MemoryFigures {
        let (used, counted) = self.used_memory();
        let startup = if counted { self.startup_memory as u64 } else { 0 };
        let peak = crate::CountingAllocator::peak().map_or(used, |p| p as u64).max(used);
        let overhead = (startup + self.structure_bytes() as u64).min(used);
        let dbs = (0..DATABASES)
            .filter(|&db| self.dbs[db].data.len() > 0)
            .map(|db| {
                let (main, ttls) = self.dbs[db].data.structure_bytes_split();
                (db, main, ttls)
            })
            .collect();
        memory::MemoryFigures {
            used,
            counted,
            startup,
            peak,
            rss: memory::resident_bytes(),
            overhead,
            dataset: used - overhead,
            keys: self.dbs.iter().map(|db| db.data.len()).sum(),
            dbs,
        }
    }

    /// The MEMORY USAGE estimate of every key, summed: the memory `maxmemory` and INFO's
    /// `used_memory` measure where the process does not count its allocations. O(keys).
    pub(crate) fn estimated_bytes(&self) -> usize {
        let every = self.dbs.iter().flat_map(|db| db.data.iter());
        every
            .map(|(key, entry)| memory::key_usage(key, entry, memory::DEFAULT_SAMPLES))
            .sum()
    }

    /// Whether `key` exists and has not expired, removing nothing and stamping nothing (how a
    /// cluster node checks the keys of a slot being moved: Redis's lookup with NOTOUCH,
    /// NOEXPIRE, NONOTIFY).
    pub(crate) fn has_live(&self, db: usize, key: &[u8]) -> bool {
        // Outside a command (a request routed before it runs) the clock is read, not frozen.
        let now = self
            .now
            .get()
            .unwrap_or_else(|| self.clock.now_micros())
            .div_euclid(1000);
        self.dbs[db].data.get(key).is_some() && self.expire_at(db, key).is_none_or(|at| at > now)
    }

    /// The expiry time of `key` as it stands (no expiry check), if it exists and has a TTL.
    pub(crate) fn expire_at(&self, db: usize, key: &[u8]) -> Option<i64> {
        self.dbs[db].data.expire_at(key)
    }

    /// The coarse time of the running command, in milliseconds.
    pub(crate) fn lru(&self) -> i64 {
        match self.lru.get() {
            Some(t) => t,
            None => {
                let t = self.clock.lru_millis();
                self.lru.set(Some(t));
                t
            }
        }
    }

    /// The entry of `key` for a write. The caller calls [`Keyspace::modified`] if it changes anything.
    pub(crate) fn get_mut(&mut self, db: usize, key: &[u8]) -> Option<&mut Entry> {
        let pos = self.locate(db, key)?;
        self.save_position_before_change(db, pos);
        if let Some(undo) = self.undo.recording() {
            let db_ref = &self.dbs[db];
            undo.record_key(db, key, || Some(db_ref.data.detached_at(pos)), &db_ref.watched, true);
        }
        let (lru, chance) = (self.lru(), self.lfu_chance());
        let entry = self.dbs[db].data.entry_at_mut(pos);
        entry.touch(lru, self.lfu, chance);
        Some(entry)
    }

    /// Whether `key` exists (and has not expired), expiring it if due.
    pub(crate) fn contains(&mut self, db: usize, key: &[u8]) -> bool {
        self.get(db, key).is_some()
    }

    /// Stores `value` under `key`, replacing what was there, with `ttl` deciding its TTL; touches.
    pub(crate) fn insert(&mut self, db: usize, key: &[u8], value: Value, ttl: Ttl) {
        self.expire_if_due(db, key);
        self.record(db, key);
        let mut entry = Entry::new(value, self.lru());
        entry.set_saved_in(self.new_entry_number());
        if self.lfu.is_some() {
            let old = self.dbs[db].data.get(key);
            entry.start_frequency(self.lru(), old);
        }
        let data = &mut self.dbs[db].data;
        let expire_at = match ttl {
            Ttl::Keep => data.expire_at(key),
            Ttl::Clear => None,
            Ttl::At(at) => Some(at),
        };
        let replaced = data.insert(key, entry, expire_at);
        if expire_at.is_some() {
            self.may_have_ttls(db);
        }
        match replaced {
            None => {
                self.effects.notify(db, effects::EventClass::New, "new", key);
                self.key_created(db, key);
            }
            Some(old) => {
                self.stream_replaced(db, key, &old.entry.value);
                self.discard(old.entry.value);
            }
        }
        self.modified(db, key);
    }

    /// Adds a loaded key to a database emptied for the load (a file's keys are distinct; a
    /// duplicate replaces the first).
    pub(crate) fn insert_loaded(&mut self, db: usize, key: &[u8], value: Value, expire_at: Option<i64>) {
        let mut entry = Entry::new(value, self.lru());
        entry.set_saved_in(self.new_entry_number());
        if self.lfu.is_some() {
            entry.start_frequency(self.lru(), None);
        }
        if let Some(old) = self.dbs[db].data.insert(key, entry, expire_at) {
            self.discard(old.entry.value);
        }
        if expire_at.is_some() {
            self.may_have_ttls(db);
        }
    }

    /// Creates `key` with `value` and no TTL, without touching: for a command that creates a container
    /// and then fills it, marking the key modified itself once it has.
    pub(crate) fn insert_silently(&mut self, db: usize, key: &[u8], value: Value) {
        self.record(db, key);
        let mut entry = Entry::new(value, self.lru());
        entry.set_saved_in(self.new_entry_number());
        if self.lfu.is_some() {
            entry.start_frequency(self.lru(), None);
        }
        match self.dbs[db].data.insert(key, entry, None) {
            None => {
                self.effects.notify(db, effects::EventClass::New, "new", key);
                self.key_created(db, key);
            }
            Some(old) => {
                self.stream_replaced(db, key, &old.entry.value);
                self.discard(old.entry.value);
            }
        }
    }

    /// A stream at `key` was deleted or overwritten: clients blocked on it in XREADGROUP must
    /// learn of it.
    fn stream_replaced(&mut self, db: usize, key: &[u8], old: &Value) {
        if matches!(old, Value::Stream(_)) {
            self.key_created(db, key);
        }
    }

    /// Removes `key`, touching its watchers if it existed. An expired key counts as missing.
    pub(crate) fn remove(&mut self, db: usize, key: &[u8]) -> Option<Detached> {
        if self.expire_if_due(db, key) && self.expiry_suspended {
            // Past its TTL, so missing; kept while a pause holds expiry.
            return None;
        }
        let entry = self.remove_entry(db, key)?;
        self.modified(db, key);
        Some(entry)
    }

    /// Deletes `key` (DEL, UNLINK), touching its watchers if it existed; answers whether it did.
    /// A large value is freed after the command, away from the lock.
    pub(crate) fn delete(&mut self, db: usize, key: &[u8]) -> bool {
        match self.remove(db, key) {
            Some(old) => {
                self.discard(old.entry.value);
                true
            }
            None => false,
        }
    }

    /// Removes a key whose container a command emptied (the last element popped): Redis deletes it.
    pub(crate) fn remove_if_empty(&mut self, db: usize, key: &[u8]) -> bool {
        let empty = match self.dbs[db].data.get(key).map(|e| &e.value) {
            Some(Value::List(l)) => l.is_empty(),
            Some(Value::Hash(h)) => h.is_empty(),
            Some(Value::Set(s)) => s.is_empty(),
            Some(Value::ZSet(z)) => z.is_empty(),
            // A stream stays when its last entry goes (XDEL, XTRIM), as in Redis.
            _ => false,
        };
        if empty {
            self.remove_entry(db, key);
        }
        empty
    }

    /// Sets or clears the TTL of an existing key; touches. Returns false if the key does not exist.
    pub(crate) fn set_expire(&mut self, db: usize, key: &[u8], expire_at: Option<i64>) -> bool {
        if self.get_mut(db, key).is_none() {
            return false;
        }
        self.dbs[db].data.set_expire(key, expire_at);
        if expire_at.is_some() {
            self.may_have_ttls(db);
        }
        self.modified(db, key);
        true
    }

    /// The number of keys in `db`, counting keys whose TTL passed but that were not yet removed, as
    /// Redis's DBSIZE does.
    pub(crate) fn len(&self, db: usize) -> usize {
        self.dbs[db].data.len()
    }

    /// For INFO's keyspace section: (keys, keys with a TTL, their average TTL in milliseconds
    /// from now, 0 without any) of every database. Redis estimates the average from samples;
    /// this is the exact one, from the sum of expiry times kept beside the TTL index (keys past
    /// their time but not yet removed count with their negative TTL; the average stops at 0).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn db_stats(&self) -> Vec<(usize, usize, i64)> {
        let now = self.now();
        self.dbs
            .iter()
            .map(|db| {
                let volatile = db.data.volatile_len() as i128;
                let average = match volatile {
                    0 => 0,
                    n => ((db.data.expiry_sum() - now as i128 * n) / n).max(0) as i64,
                };
                (db.data.len(), volatile as usize, average)
            })
            .collect()
    }

    /// How many keys expiry has removed (INFO's `expired_keys`), since the store started or the
    /// last [`Keyspace::reset_stats`].
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn expired_keys(&self) -> u64 {
        self.expired_keys
    }

    /// CONFIG RESETSTAT: the keyspace's counters start again from zero.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn reset_stats(&mut self) {
        self.expired_keys = 0;
    }

    /// The keys of `db` that have not expired, in no particular order.
    pub(crate) fn live_keys(&self, db: usize) -> impl Iterator<Item = (&[u8], &Entry)> + '_ {
        self.dbs[db].data.iter_live(self.now())
    }

    /// One step of SCAN over `db`: about `count` keys below `cursor`, expired or not (SCAN
    /// expires those it meets, as Redis's does), and the next cursor (0 at the end). See
    /// [`Table::scan`] for why no key that stays is missed.
    pub(crate) fn scan_keys(&self, db: usize, cursor: u64, count: usize) -> (u64, Vec<&[u8]>) {
        let (next, page) = self.dbs[db].data.scan(cursor, count, i64::MIN);
        (next, page.map(|(key, _)| key).collect())
    }

    /// The n-th key of `db` (for RANDOMKEY), expired or not.
    pub(crate) fn nth_key(&self, db: usize, n: usize) -> Option<&[u8]> {
        self.dbs[db].data.key_at(n)
    }

    /// Empties `db` (FLUSHDB), touching the watched keys that existed; answers how many keys
    /// it held.
    pub(crate) fn flush_db(&mut self, db: usize) -> usize {
        self.save_db_before_change(db);
        let removed = self.len(db);
        let watched_before = self.undo.is_recording().then(|| self.dbs[db].watched.clone());
        self.touch_all_watched(db, None);
        let streams = self.waited_streams(db);
        let data = std::mem::take(&mut self.dbs[db].data);
        self.streams_gone(db, streams);
        match (self.undo.recording(), watched_before) {
            (Some(undo), Some(watched)) => undo.flushed(db, data, watched),
            _ => self.discard_table(data),
        }
        removed
    }

    /// Swaps the data of two databases (SWAPDB); watchers stay with the database index.
    pub(crate) fn swap_db(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        self.save_db_before_change(a);
        self.save_db_before_change(b);
        let watched_before = self
            .undo
            .is_recording()
            .then(|| (self.dbs[a].watched.clone(), self.dbs[b].watched.clone()));
        self.touch_all_watched(a, Some(b));
        self.touch_all_watched(b, Some(a));
        let (streams_a, streams_b) = (self.waited_streams(a), self.waited_streams(b));
        let (lo, hi) = (a.min(b), a.max(b));
        let (left, right) = self.dbs.split_at_mut(hi);
        std::mem::swap(&mut left[lo].data, &mut right[0].data);
        self.streams_gone(a, streams_a);
        self.streams_gone(b, streams_b);
        self.may_have_ttls(a);
        self.may_have_ttls(b);
        self.waiting_keys_swapped_in(a);
        self.waiting_keys_swapped_in(b);
        if let (Some(undo), Some((watched_a, watched_b))) = (self.undo.recording(), watched_before) {
            undo.swapped(a, b, watched_a, watched_b);
        }
    }

    /// Redis's `signalModifiedKey`: a real modification of `key`, which dirties its watchers.
    #[inline]
    pub(crate) fn modified(&mut self, db: usize, key: &[u8]) {
        if self.tracking.is_active() {
            self.tracking.invalidate(key);
        }
        if self.dbs[db].watched.is_empty() {
            return;
        }
        self.touch_watched(db, key);
    }

    /// Marks where the reply of `client`'s running command falls among the pushes of its
    /// mailbox: what its subscriptions and its tracking queued so far comes before the reply.
    pub(crate) fn mark_reply(&self, client: ClientId) {
        if !self.pubsub.mark_reply(client) && self.tracking.is_active() {
            self.tracking.mark_reply(client);
        }
    }

    /// At the end of a command: the invalidation messages of client-side caching go out.
    pub(crate) fn send_invalidations(&mut self) {
        if self.tracking.is_active() {
            self.tracking.flush(&self.pubsub);
        }
    }

    /// Removes the entry and its TTL index record, with no touch.
    fn remove_entry(&mut self, db: usize, key: &[u8]) -> Option<Detached> {
        self.record(db, key);
        let removed = self.dbs[db].data.remove(key)?;
        self.stream_replaced(db, key, &removed.entry.value);
        Some(removed)
    }

    /// Whether the key is physically present and its TTL has passed (Redis's `keyIsExpired`).
    fn is_expired_now(&self, db: usize, key: &[u8]) -> bool {
        self.dbs[db].data.is_expired(key, || self.now())
    }

    /// Whether the key is physically present, expired or not.
    fn exists_physically(&self, db: usize, key: &[u8]) -> bool {
        self.dbs[db].data.contains_key(key)
    }

    /// Before `key` changes or goes: saves it as it is in a snapshot in progress, and remembers
    /// its state before the running `atomic` closure first changes it.
    fn record(&mut self, db: usize, key: &[u8]) {
        self.save_before_change(db, key);
        if let Some(undo) = self.undo.recording() {
            let db_ref = &self.dbs[db];
            undo.record_key(db, key, || db_ref.data.get_detached(key), &db_ref.watched, false);
        }
    }
}

/// One step of the xorshift64 generator (13, 7, 17) on `state`, which must not be 0: RANDOMKEY's
/// and the random picks' source, and the tests' reproducible draws.
pub(crate) fn xorshift(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The running sum behind INFO's average TTL follows every change of a TTL.
    #[test]
    fn the_average_ttl_follows_every_ttl_change() {
        let mut ks = Keyspace::new(Clock::manual());
        ks.begin();
        let now = ks.now();
        let value = || Value::string(b"v".to_vec());
        ks.insert(0, b"a", value(), Ttl::At(now + 1_000));
        ks.insert(0, b"b", value(), Ttl::At(now + 3_000));
        ks.insert(0, b"c", value(), Ttl::Clear);
        assert_eq!(ks.db_stats()[0], (3, 2, 2_000));
        ks.set_expire(0, b"a", Some(now + 5_000));
        assert_eq!(ks.db_stats()[0], (3, 2, 4_000));
        ks.insert(0, b"b", value(), Ttl::Keep);
        ks.set_expire(0, b"c", Some(now + 9_000));
        assert_eq!(ks.db_stats()[0], (3, 3, 17_000 / 3));
        ks.remove(0, b"a");
        ks.set_expire(0, b"b", None);
        assert_eq!(ks.db_stats()[0], (2, 1, 9_000));
        ks.swap_db(0, 1);
        assert_eq!((ks.db_stats()[0], ks.db_stats()[1]), ((0, 0, 0), (2, 1, 9_000)));
        ks.flush_db(1);
        assert_eq!(ks.db_stats()[1], (0, 0, 0));
    }
}
