//! The one way in: what every clone of a [`Store`](crate::Store) shares ([`Shared`]: the lock and
//! the [`State`] it guards, the clock, client ids) and the runner
//! every path into the store goes through — a [`Connection`](crate::Connection), the typed API, the
//! server, EXEC — to run one command under the lock and hand out what it did.
//!
//! The path of a command: [`Shared::begin`] takes the lock and starts a command (time read afresh
//! and frozen, a slice of active expiry); [`Ctx::run`] runs the resolved table row's handler for
//! the [`Caller`] (who runs it: client, database, protocol, in EXEC or not); then
//! [`Shared::after_command`] hands out what the command did (serving the clients blocked on keys
//! it filled), and a command that must wait itself (BLPOP on empty lists) is registered as
//! blocked.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::{Condvar, Mutex, MutexGuard};

use crate::argv::Argv;
use crate::clock::Clock;
use crate::command::stats::CommandStats;
use crate::command::table::{CommandSpec, flags};
use crate::command::{Caller, Ctx, Engines};
use crate::direct::Direct;
use crate::error::CommandError;
use crate::keyspace::blocking::{Deadline, WaitEnd};
use crate::keyspace::{ClientId, Garbage, Keyspace};
use crate::reply::Reply;
use crate::watchdog::Watchdog;

/// Everything under the store's one lock: the keyspace, and the Lua engines that run scripts
/// against it (kept beside the keyspace, not in it, so the keyspace holds only data).
pub(crate) struct State {
    pub(crate) keyspace: Keyspace,
    pub(crate) engines: Engines,
}

impl State {
    /// A context for running commands as `caller`.
    pub(crate) fn ctx(&mut self, caller: &Caller) -> Ctx<'_> {
        Ctx::new(&mut self.keyspace, &mut self.engines, caller)
    }

    /// Whether a client's command is refused while the store is out of memory: one Redis flags
    /// `denyoom`, or a script whose flags make it so.
    pub(crate) fn denied_out_of_memory(&self, spec: &CommandSpec, argv: &Argv) -> bool {
        if crate::command::reference::denied_out_of_memory(spec.name) {
            return true;
        }
        #[cfg(feature = "lua")]
        {
            self.engines.denied_out_of_memory(argv)
        }
        #[cfg(not(feature = "lua"))]
        {
            let _ = argv;
            false
        }
    }
}

/// What every clone of a [`Store`](crate::Store) shares.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// The users (the keyspace's, shared): connections check their commands against them
    /// without the lock.
    pub(crate) users: Arc<crate::acl::Users>,
    pub(crate) clock: Clock,
    /// Wakes clients blocked on lists when they have been served.
    pub(crate) unblocked: Condvar,
    next_client: AtomicU64,
    /// Hands large removed values to the lazy-free thread, started on first use; the thread ends
    /// when the store does.
    lazy_free: parking_lot::Mutex<Option<std::sync::mpsc::Sender<Garbage>>>,
    /// Objects handed to the lazy-free thread and not yet freed, and those it has freed (INFO's
    /// `lazyfree_pending_objects` and `lazyfreed_objects`).
    lazy_free_counts: Arc<LazyFreeCounts>,
    /// What is known of the running script without the lock it holds (watchdog.rs).
    pub(crate) watchdog: Arc<Watchdog>,
    /// Clean-ups of clients that unwatched or left while a timed-out script held the lock, done
    /// by the next taker of the lock.
    deferred: Mutex<Vec<Deferred>>,
    /// Whether `deferred` may hold anything (read on every taking of the lock).
    has_deferred: AtomicBool,
    /// What commands did, once a server keeps count ([`Shared::count_commands`]).
    command_stats: std::sync::OnceLock<Arc<Mutex<CommandStats>>>,
    /// CLIENT PAUSE: until when (store clock, µs) and whether every command waits (ALL) or
    /// only those that may write (WRITE).
    pause: Mutex<Option<Pause>>,
    /// Whether a pause may be on (read on every command; [`Shared::paused`] decides).
    pause_set: AtomicBool,
    /// Wakes in-process callers waiting for a pause to end.
    unpaused: Condvar,
    /// Clients whose command waits for a pause to end (INFO's `blocked_clients` counts them).
    postponed: AtomicUsize,
    /// Whether the background expiry thread runs ([`Shared::expire_in_background`]).
    expiring_in_background: AtomicBool,
    /// DEBUG PAUSE-CRON: the background cron does nothing while set.
    pub(crate) cron_paused: AtomicBool,
    /// Whether `maxmemory` is set (read without the lock where a command is queued in MULTI).
    memory_limited: AtomicBool,
    /// Whether a command may be refused by the replication rules: `min-replicas-to-write` is in
    /// force, or the store follows a primary (read before a command is queued in MULTI).
    replication_refuses: AtomicBool,
    /// Whether a client may be in MONITOR (read before every command; the hub knows).
    pub(crate) monitoring: AtomicBool,
    /// In cluster mode, the node's view of its cluster, by which requests are routed before
    /// they run (the keyspace holds it too, for the commands that read and change it).
    pub(crate) cluster: Option<Arc<crate::cluster::Cluster>>,
}

impl Shared {
    /// A store opened in a directory ([`crate::Store::open`]) saves itself when its last handle
    /// goes, as Redis saves on a clean shutdown, once. A failure cannot be reported here:
    /// [`crate::Store::close`] reports it.
    pub(crate) fn save_on_last_drop(&self) {
        let mut state = self.lock();
        let state = &mut *state;
        if std::mem::take(&mut state.keyspace.saving.save_on_drop) {
            let _ = crate::persistence::save_now(&mut state.keyspace, &state.engines);
        }
    }
}

/// A CLIENT PAUSE in force.
#[derive(Debug, Clone, Copy)]
struct Pause {
    until: Deadline,
    all: bool,
}

/// A client's bookkeeping under the lock, left for later because a script held it.
struct Deferred {
    client: ClientId,
    /// Its watches, to remove.
    watched: crate::keyspace::WatchList,
    /// Whether it left: its blocked command and its subscriptions are dropped.
    left: bool,
}

/// How long a command waits for the lock before it looks again whether the script holding it
/// has timed out.
const BUSY_POLL: Duration = Duration::from_millis(2);

/// See [`Shared::lazy_free_counts`].
#[derive(Debug, Default)]
struct LazyFreeCounts {
    pending: AtomicUsize,
    freed: AtomicUsize,
}

impl LazyFreeCounts {
    fn freed(&self, objects: usize) {
        self.pending.fetch_sub(objects, Ordering::Relaxed);
        self.freed.fetch_add(objects, Ordering::Relaxed);
    }
}

/// What starting a command gave: its reply, or that it blocks until the deadline (if any).
pub(crate) enum Started {
    /// The command's reply.
    Done(Reply),
    /// Registered as blocked, until this deadline if any.
    Blocked(Option<Deadline>),
}

/// How often a client blocked with a deadline on a manual clock looks at the clock again: the clock
/// moves by hand, not by the passing of time a condition variable could wait for.
const MANUAL_CLOCK_CHECK: Duration = Duration::from_millis(2);

impl Shared {
    pub(crate) fn new(keyspace: Keyspace, clock: Clock) -> Shared {
        let watchdog = Arc::new(Watchdog::default());
        let cluster = keyspace.cluster.clone();
        let users = Arc::clone(&keyspace.acl);
        Shared {
            users,
            state: Mutex::new(State {
                keyspace,
                engines: Engines::new(&watchdog),
            }),
            clock,
            unblocked: Condvar::new(),
            next_client: AtomicU64::new(1),
            lazy_free: parking_lot::Mutex::new(None),
            lazy_free_counts: Arc::default(),
            watchdog,
            deferred: Mutex::new(Vec::new()),
            has_deferred: AtomicBool::new(false),
            command_stats: std::sync::OnceLock::new(),
            expiring_in_background: AtomicBool::new(false),
            cron_paused: AtomicBool::new(false),
            memory_limited: AtomicBool::new(false),
            replication_refuses: AtomicBool::new(false),
            monitoring: AtomicBool::new(false),
            pause: Mutex::new(None),
            pause_set: AtomicBool::new(false),
            unpaused: Condvar::new(),
            postponed: AtomicUsize::new(0),
            cluster,
        }
    }

    /// (objects waiting to be freed in the background, objects freed so far) — INFO memory's
    /// `lazyfree_pending_objects` and `lazyfreed_objects`.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn lazy_free_counts(&self) -> (usize, usize) {
        let counts = &self.lazy_free_counts;
        (
            counts.pending.load(Ordering::Relaxed),
            counts.freed.load(Ordering::Relaxed),
        )
    }

    /// CONFIG RESETSTAT: `lazyfreed_objects` starts again from zero (Redis's
    /// `lazyfreeResetStats`).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn reset_lazy_free_stats(&self) {
        self.lazy_free_counts.freed.store(0, Ordering::Relaxed);
    }

    /// Frees `garbage` on the lazy-free thread (or here, if the thread cannot start).
    fn free_later(&self, garbage: Garbage) {
        let objects = garbage.objects();
        self.lazy_free_counts.pending.fetch_add(objects, Ordering::Relaxed);
        let mut sender = self.lazy_free.lock();
        if sender.is_none() {
            let (tx, rx) = std::sync::mpsc::channel::<Garbage>();
            let counts = Arc::clone(&self.lazy_free_counts);
            let started = std::thread::Builder::new()
                .name("embedis-lazy-free".into())
                .spawn(move || {
                    for garbage in rx {
                        let objects = garbage.objects();
                        drop(garbage);
                        counts.freed(objects);
                    }
                });
            if started.is_ok() {
                *sender = Some(tx);
            }
        }
        let unsent = match sender.as_ref() {
            Some(tx) => tx.send(garbage).err().map(|returned| returned.0),
            None => Some(garbage),
        };
        if let Some(garbage) = unsent {
            drop(garbage);
            self.lazy_free_counts.freed(objects);
        }
    }

    /// Starts counting what commands do (INFO commandstats, errorstats, latencystats), for a
    /// server; answers the counts.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn count_commands(&self) -> Arc<Mutex<CommandStats>> {
        let stats = self.command_stats.get_or_init(|| {
            let stats = Arc::default();
            self.lock().keyspace.command_stats = Some(Arc::clone(&stats));
            stats
        });
        Arc::clone(stats)
    }

    /// The command counts, if a server keeps them.
    pub(crate) fn command_stats(&self) -> Option<&Arc<Mutex<CommandStats>>> {
        self.command_stats.get()
    }

    pub(crate) fn next_client_id(&self) -> ClientId {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }

    /// Takes the lock and starts a command (or a transaction, or an `atomic` call) on the state it
    /// guards: time will be read afresh (once) and frozen until the next one, and a slice of
    /// active expiry runs.
    ///
    /// Locking: takes the store's lock; release it by dropping the guard. While a script holding
    /// it is timed out, answers its BUSY error instead of waiting.
    pub(crate) fn begin(&self) -> Result<MutexGuard<'_, State>, CommandError> {
        let mut state = self.lock_unless_busy()?;
        // While clients are paused no key expires, lazily or actively (Redis's rule: the data
        // set stays as the pause found it).
        let paused = self.paused().is_some();
        state.keyspace.suspend_expiry(paused);
        state.keyspace.begin();
        // Keys active expiry removed are replayed each alone, apart from the command's writes.
        state.keyspace.append_replay(false);
        if state.keyspace.eviction.maxmemory != 0 {
            state.keyspace.perform_evictions();
            // Keys evicted before the command are invalidated at once, as Redis does: a
            // tracking client reads their invalidation before the reply of its command.
            state.keyspace.send_invalidations();
        }
        Ok(state)
    }

    /// Sets `maxmemory` (0: none) and its policy, samples and tenacity on `ks`; a limit makes
    /// the background expiry evict too, as Redis's eviction timer does when no command comes.
    pub(crate) fn set_eviction(
        self: &Arc<Self>,
        ks: &mut Keyspace,
        eviction: impl FnOnce(&mut crate::keyspace::Eviction),
    ) {
        eviction(&mut ks.eviction);
        let limited = ks.eviction.maxmemory != 0;
        self.memory_limited.store(limited, Ordering::Relaxed);
        if limited {
            self.expire_in_background();
        }
    }

    /// Sets `min-replicas-to-write` and `min-replicas-max-lag` (seconds) on `ks`: while fewer
    /// replicas than the first acknowledged within the second, writes are refused.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set_min_replicas(&self, ks: &mut Keyspace, to_write: usize, max_lag: u64) {
        ks.replicas.set_min_replicas(to_write, max_lag);
        self.update_write_refusals(ks);
    }

    /// Notes whether the replication rules may refuse commands of `ks` (this store's keyspace),
    /// after they changed.
    pub(crate) fn update_write_refusals(&self, ks: &Keyspace) {
        self.replication_refuses.store(
            ks.replicas.counts_good_replicas() || ks.following.is_following(),
            Ordering::Relaxed,
        );
    }

    /// The error refusing `spec` now by the replication rules
    /// ([`Keyspace::replication_refusal`]), for a command about to be queued in MULTI.
    pub(crate) fn replication_refusal_now(&self, spec: &CommandSpec) -> Option<CommandError> {
        if !self.replication_refuses.load(Ordering::Relaxed) {
            return None;
        }
        let state = self.lock_unless_busy().ok()?;
        state.keyspace.replication_refusal(spec, spec.has(flags::WRITE))
    }

    /// Whether `maxmemory` is set.
    pub(crate) fn memory_limited(&self) -> bool {
        self.memory_limited.load(Ordering::Relaxed)
    }

    /// Evicts what the policy allows, as before any command, and answers whether the store is
    /// out of memory (for a command about to be queued in MULTI).
    pub(crate) fn out_of_memory_now(&self) -> bool {
        match self.begin() {
            Ok(mut state) => {
                let oom = state.keyspace.out_of_memory();
                self.after_command(&mut state);
                oom
            }
            Err(_) => false,
        }
    }

    /// Starts (once) a thread that runs a slice of active expiry ten times a second, and starts
    /// a background save when a `save` point is reached, as Redis's cron does, so that keys past
    /// their TTL go — and their `expired` events are published —
    /// when no command comes to do it: for a served store, and for one whose keyspace events
    /// someone may wait for. It ends with the store.
    pub(crate) fn expire_in_background(self: &Arc<Self>) {
        if self.expiring_in_background.swap(true, Ordering::AcqRel) {
            return;
        }
        let store = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("embedis-expiry".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(100));
                    let Some(shared) = store.upgrade() else { return };
                    if shared.cron_paused.load(Ordering::Acquire) {
                        continue;
                    }
                    // A script running past its threshold holds the lock: try again later.
                    if let Ok(mut state) = shared.begin() {
                        let state = &mut *state;
                        crate::persistence::save_if_due(&mut state.keyspace, &state.engines);
                        state.keyspace.replicas.ping_if_due();
                        shared.after_command(state);
                    }
                }
            });
        if spawned.is_err() {
            self.expiring_in_background.store(false, Ordering::Release);
        }
    }

    /// CLIENT PAUSE: for `millis` from now, every command (`all`) or those that may write wait;
    /// a pause already in force keeps the later end and the stricter kind (Redis's
    /// `pauseClients`).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn pause(&self, millis: i64, all: bool) {
        let until = self.clock.now_micros().saturating_add(millis.saturating_mul(1000));
        let mut pause = self.pause.lock();
        *pause = Some(match *pause {
            Some(p) => Pause {
                until: p.until.max(until),
                all: p.all || all,
            },
            None => Pause { until, all },
        });
        self.pause_set.store(true, Ordering::Release);
    }

    /// CLIENT UNPAUSE.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn unpause(&self) {
        *self.pause.lock() = None;
        self.pause_set.store(false, Ordering::Release);
        self.unpaused.notify_all();
    }

    /// The pause in force, if any: `Some(true)` when every command waits, `Some(false)` when
    /// those that may write do. A pause past its end is lifted here.
    pub(crate) fn paused(&self) -> Option<bool> {
        if !self.pause_set.load(Ordering::Acquire) {
            return None;
        }
        let mut pause = self.pause.lock();
        match *pause {
            Some(p) if self.clock.now_micros() < p.until => Some(p.all),
            _ => {
                *pause = None;
                self.pause_set.store(false, Ordering::Release);
                self.unpaused.notify_all();
                None
            }
        }
    }

    /// The end of the pause in force, if any (a postponed client's deadline).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn pause_end(&self) -> Option<Deadline> {
        self.paused()?;
        self.pause.lock().map(|p| p.until)
    }

    /// Waits until no pause holds a command that may write (`writes`) or not: an ALL pause
    /// holds every command, a WRITE one only those that may write. For in-process callers,
    /// whose thread may wait.
    pub(crate) fn wait_unpaused(&self, writes: bool) {
        self.postponed.fetch_add(1, Ordering::Relaxed);
        while let Some(all) = self.paused() {
            if !(all || writes) {
                break;
            }
            let mut pause = self.pause.lock();
            let wait = match *pause {
                Some(_) if self.clock.is_manual() => MANUAL_CLOCK_CHECK,
                Some(p) => Duration::from_micros(p.until.saturating_sub(self.clock.now_micros()).max(0) as u64),
                None => break,
            };
            self.unpaused.wait_for(&mut pause, wait);
        }
        self.postponed.fetch_sub(1, Ordering::Relaxed);
    }

    /// Whether a command (not EXEC) may write, for CLIENT PAUSE WRITE (Redis's
    /// `may-replicate`): a write command, or EVAL, EVALSHA or FCALL unless what it runs is
    /// `no-writes`.
    pub(crate) fn may_write(&self, spec: &CommandSpec, argv: &Argv) -> bool {
        if spec.has(flags::WRITE) {
            return true;
        }
        if !spec.has(flags::MAY_REPLICATE) {
            return false;
        }
        #[cfg(feature = "lua")]
        {
            match self.lock_unless_busy() {
                Ok(state) => state.engines.may_write(argv),
                Err(_) => true,
            }
        }
        #[cfg(not(feature = "lua"))]
        {
            let _ = argv;
            true
        }
    }

    /// For an in-process caller: waits while a CLIENT PAUSE holds the command (`writes` says
    /// whether it may write; asked only while a pause is in force).
    pub(crate) fn hold_while_paused(&self, writes: impl FnOnce() -> bool) {
        if self.paused().is_some() {
            self.wait_unpaused(writes());
        }
    }

    /// How many clients wait for a pause to end (INFO's `blocked_clients` adds them).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn postponed_count(&self) -> usize {
        self.postponed.load(Ordering::Relaxed)
    }

    /// A server client starts or stops waiting for a pause to end.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn count_postponed(&self, waiting: bool) {
        if waiting {
            self.postponed.fetch_add(1, Ordering::Relaxed);
        } else {
            self.postponed.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Takes the lock without starting a command, waiting however long it takes: for
    /// bookkeeping (blocked clients).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock();
        self.run_deferred(&mut state);
        state
    }

    /// Takes the lock, or answers the BUSY error of the timed-out script holding it. Never waits
    /// on a timed-out script, so the thread running it can call this too (the server does,
    /// answering its other clients from inside the script).
    pub(crate) fn lock_unless_busy(&self) -> Result<MutexGuard<'_, State>, CommandError> {
        loop {
            if let Some(busy) = self.watchdog.busy() {
                return Err(busy);
            }
            if let Some(mut state) = self.state.try_lock_for(BUSY_POLL) {
                self.run_deferred(&mut state);
                return Ok(state);
            }
        }
    }

    /// Leaves `client`'s unwatching (and, if `unblock`, dropping its blocked command) to the
    /// next taker of the lock, which a timed-out script holds now.
    pub(crate) fn defer_cleanup(&self, client: ClientId, watched: crate::keyspace::WatchList, left: bool) {
        self.deferred.lock().push(Deferred { client, watched, left });
        self.has_deferred.store(true, Ordering::Release);
    }

    fn run_deferred(&self, state: &mut State) {
        // Read before it is swapped: a load costs less than the swap on every taking of the lock.
        if !self.has_deferred.load(Ordering::Relaxed) || !self.has_deferred.swap(false, Ordering::Acquire) {
            return;
        }
        let mut deferred = self.deferred.lock();
        for cleanup in deferred.drain(..) {
            let ks = &mut state.keyspace;
            for (db, key) in cleanup.watched {
                ks.unwatch(db, &key, cleanup.client);
            }
            if cleanup.left {
                ks.unblock(cleanup.client);
                ks.pubsub.leave(cleanup.client);
                ks.tracking.disable(cleanup.client);
            }
        }
    }

    /// Runs one command for `caller` outside MULTI: under the lock, then serves the clients
    /// blocked on keys the command filled (Redis's `handleClientsBlockedOnKeys`), then, if the
    /// command itself blocks (BLPOP on empty lists, …), waits for its reply or its timeout.
    pub(crate) fn run(&self, caller: &mut Caller, spec: &'static CommandSpec, argv: &Argv) -> Reply {
        match self.start(caller, spec, argv, None) {
            Started::Done(reply) => reply,
            Started::Blocked(deadline) => self.wait_blocked(caller, deadline),
        }
    }

    /// [`Shared::run`] up to the point where a blocking command would wait: it is then
    /// registered as blocked, and its reply comes from [`Shared::wait_blocked`] or
    /// [`Shared::poll_blocked`]. SELECT's change of database is written back to `caller`.
    /// `host`, the server a client's command comes from, answers the server's own commands a
    /// script the command runs calls.
    pub(crate) fn start(
        &self,
        caller: &mut Caller,
        spec: &'static CommandSpec,
        argv: &Argv,
        host: Option<&mut dyn crate::connection::Host>,
    ) -> Started {
        let mut state = match self.begin() {
            Ok(state) => state,
            Err(busy) => return Started::Done(Reply::Error(busy)),
        };
        if state.keyspace.out_of_memory() && state.denied_out_of_memory(spec, argv) {
            self.after_command(&mut state);
            return Started::Done(Reply::Error(CommandError::OutOfMemory));
        }
        if let Some(refusal) = state.keyspace.replication_refusal(spec, spec.has(flags::WRITE)) {
            self.after_command(&mut state);
            return Started::Done(Reply::Error(refusal));
        }
        // The tracking table is kept within its bound before a command, as Redis keeps it: the
        // invalidations a lowered `tracking-table-max-keys` causes come before the reply.
        state.keyspace.send_invalidations();
        let mut ctx = state.ctx(caller);
        ctx.host = match host {
            Some(host) => Some(&mut *host),
            None => None,
        };
        let reply = ctx.run(spec, argv);
        caller.db = ctx.db;
        let blocked = ctx.blocked.take();
        // What the command wrote goes to replicas below (a WAIT's request for acknowledgements
        // went during its run, and is none of its writes).
        let offset_before = state.keyspace.replicas.offset();
        if state.keyspace.tracking.is_active() {
            state.keyspace.tracking.command_ended(caller.client);
        }
        self.after_command_of(&mut state, Some(caller.client));
        let offset = state.keyspace.replicas.offset();
        if offset != offset_before {
            caller.write_offset = offset;
        }
        match blocked {
            None => Started::Done(reply),
            Some(request) => {
                let deadline = request.deadline;
                state.keyspace.block(caller.client, request);
                Started::Blocked(deadline)
            }
        }
    }

    /// Before a command of `client`, a client tracking keys, is queued in MULTI: the tracking
    /// table kept within `tracking-table-max-keys`, as Redis keeps it before every command, so
    /// the invalidations this sends reach the client ahead of its QUEUED. (The commands of
    /// other clients are queued without the lock: the table is kept within bound at the next
    /// command that runs.)
    pub(crate) fn bound_tracking_before_queuing(&self, client: ClientId) {
        if let Ok(mut state) = self.begin() {
            state.keyspace.send_invalidations();
            self.after_command_of(&mut state, Some(client));
        }
    }

    /// Runs a typed call without its command line (see `direct.rs`) for `caller`, as
    /// [`Shared::start`] runs its command: `None` when something observes commands, memory is
    /// exhausted or a script holds the store past its time limit — the caller then sends the
    /// command line, which deals with all of those.
    pub(crate) fn run_direct(&self, caller: &Caller, call: Direct<'_>) -> Option<Reply> {
        self.run_direct_with(caller, |ctx| call.run(ctx))
    }

    /// [`Shared::run_direct`], answering what `run` makes of the call in its context (a
    /// typed method's converted answer).
    #[inline(always)]
    pub(crate) fn run_direct_with<R>(&self, caller: &Caller, run: impl FnOnce(&mut Ctx<'_>) -> R) -> Option<R> {
        let mut state = self.begin().ok()?;
        if !state.keyspace.takes_direct_calls(false) {
            return None;
        }
        let mut ctx = state.ctx(caller);
        let answer = run(&mut ctx);
        self.after_command_of(&mut state, Some(caller.client));
        Some(answer)
    }

    /// Runs a transaction's [`Direct`] calls as its EXEC (watches checked, nothing observing
    /// commands), handing each reply to `each`, then what follows every EXEC.
    pub(crate) fn run_direct_calls<R>(
        &self,
        state: &mut State,
        caller: &Caller,
        calls: &[crate::direct::QueuedDirect],
        mut each: impl FnMut(Result<Reply, CommandError>) -> R,
    ) -> Vec<R> {
        let mut ctx = state.ctx(caller);
        let replies = calls
            .iter()
            .map(|call| each(call.call().run_result(&mut ctx)))
            .collect();
        self.after_command(state);
        replies
    }

    /// What follows every command, EXEC and `atomic` call, still under the lock: the one place
    /// where what a command did is handed out after it ran (see ARCHITECTURE.md, "Write
    /// effects"): the clients blocked on keys the command filled are served (Redis's
    /// `handleClientsBlockedOnKeys`) and woken, and the effects record is taken.
    pub(crate) fn after_command(&self, state: &mut State) {
        self.after_command_of(state, None);
    }

    /// [`Shared::after_command`] for the command of `caller`, whose reply goes after what was
    /// published to it so far (its subscriptions' messages, the invalidations of keys evicted
    /// before the command) and before the invalidations the command itself caused, as Redis
    /// holds those until the command's reply is written.
    fn after_command_of(&self, state: &mut State, caller: Option<ClientId>) {
        // What the unit wrote is appended as one (Redis's `propagatePendingCommands`), then what
        // each client it served wrote, each alone.
        state.keyspace.append_replay(true);
        if state.keyspace.has_ready()
            && crate::command::blocking::serve_blocked(&mut state.keyspace, &mut state.engines)
        {
            self.unblocked.notify_all();
        }
        state.keyspace.append_replay(false);
        // The keyspace events (the command's and the served pops') go to subscribers.
        state.keyspace.publish_events();
        if let Some(client) = caller {
            state.keyspace.mark_reply(client);
        }
        state.keyspace.send_invalidations();
        // Large values the command removed are freed away from the lock (keyspace/lazy_free.rs).
        if let Some(garbage) = state.keyspace.take_garbage() {
            self.free_later(garbage);
        }
    }

    /// Waits on the store's condition variable until the blocked `caller` is served or times out.
    pub(crate) fn wait_blocked(&self, caller: &Caller, deadline: Option<Deadline>) -> Reply {
        let mut state = self.lock();
        loop {
            if let Some((reply, _)) = served_or_expired(&mut state.keyspace, caller, deadline) {
                return reply;
            }
            match deadline {
                None => self.unblocked.wait(&mut state),
                Some(_) if self.clock.is_manual() => {
                    self.unblocked.wait_for(&mut state, MANUAL_CLOCK_CHECK);
                }
                Some(deadline) => {
                    let left = deadline.saturating_sub(self.clock.now_micros()).max(0);
                    self.unblocked.wait_for(&mut state, Duration::from_micros(left as u64));
                }
            }
        }
    }

    /// Without waiting: the reply of the blocked `caller` if it was served or timed out, for an
    /// event loop, with how its wait ended.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn poll_blocked(&self, caller: &Caller, deadline: Option<Deadline>) -> Option<(Reply, WaitEnd)> {
        served_or_expired(&mut self.lock().keyspace, caller, deadline)
    }

    /// Ends the blocking command `client` waits in (if any) with `error`, or as if it timed out,
    /// as CLIENT UNBLOCK does; `ks` is this store's keyspace, locked. Answers whether the client
    /// was blocked.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn interrupt_blocked(&self, ks: &mut Keyspace, client: ClientId, error: Option<CommandError>) -> bool {
        let Some(request) = ks.unblock(client) else {
            return false;
        };
        let reply = error.map_or_else(|| request.op.timeout_reply(ks), Reply::Error);
        ks.deliver(client, reply, WaitEnd::Interrupted);
        self.unblocked.notify_all();
        true
    }
}

/// The reply of the blocked `caller` if it was served (shaped for its protocol: the client that
/// served it built it), or the timeout reply (after unregistering it) if its deadline has passed;
/// `None` while it still waits. With it, how the wait ended.
fn served_or_expired(ks: &mut Keyspace, caller: &Caller, deadline: Option<Deadline>) -> Option<(Reply, WaitEnd)> {
    if let Some((reply, end)) = ks.take_served(caller.client) {
        let reply = if caller.protocol == 2 {
            reply.into_resp2()
        } else {
            reply
        };
        return Some((reply, end));
    }
    if deadline.is_some_and(|d| ks.clock().now_micros() >= d) {
        let reply = ks
            .unblock(caller.client)
            .map_or(Reply::NilArray, |request| request.op.timeout_reply(ks));
        return Some((reply, WaitEnd::TimedOut));
    }
    None
}
