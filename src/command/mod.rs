//! The commands, one file per group as Redis splits `t_string.c`, `t_list.c`, …, and the shared
//! helpers their handlers use to read and write typed values.

pub(crate) mod acl;
pub(crate) mod args;
mod bitops;
pub(crate) mod blocking;
pub(crate) mod client;
mod cluster;
mod geo;
pub(crate) mod glob;
#[cfg(feature = "server")]
pub(crate) use glob::matches as glob_matches;
mod hash;
mod hyperloglog;
mod keys;
mod latency;
pub(crate) mod list;
mod lolwut;
mod migrate;
mod pubsub;
pub(crate) mod reference;
mod scan;
#[cfg(feature = "lua")]
mod scripting;
mod server;
mod set;
mod sort;
pub(crate) mod stats;
mod stream;
pub(crate) mod string;
pub(crate) mod table;
mod zset;

use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::ClientId;
use crate::keyspace::blocking::BlockedRequest;
use crate::keyspace::effects::EventClass;
use crate::keyspace::{Detached, Entry, Keyspace, Ttl, Value, ValueKind};
use crate::reply::Reply;

/// The `count [WITHVALUES|WITHSCORES]` of HRANDFIELD and ZRANDMEMBER (argument 2 on), with Redis's
/// checks: a count within ±LONG_MAX, only `option` after it, and with it a count within ±LONG_MAX/2.
pub(crate) fn random_count(count: &[u8], argv: &Argv, option: &str) -> Result<(i64, bool), CommandError> {
    let count = args::ranged(count, -i64::MAX, i64::MAX, None)?;
    let with = match argv.get(3) {
        None => false,
        Some(opt) if argv.len() == 4 && args::is_option(opt, option) => true,
        Some(_) => return Err(CommandError::Syntax),
    };
    if with && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
        return Err(CommandError::other("ERR value is out of range"));
    }
    Ok((count, with))
}

/// The unit and reference of a time argument: SET's EX/PX/EXAT/PXAT, the EXPIRE family, the TTL
/// family.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExpireArg {
    /// EX: seconds from now.
    Seconds,
    /// PX: milliseconds from now.
    Millis,
    /// EXAT: a Unix time in seconds.
    UnixSeconds,
    /// PXAT: a Unix time in milliseconds.
    UnixMillis,
}

impl ExpireArg {
    pub(crate) fn in_seconds(self) -> bool {
        matches!(self, ExpireArg::Seconds | ExpireArg::UnixSeconds)
    }

    pub(crate) fn is_absolute(self) -> bool {
        matches!(self, ExpireArg::UnixSeconds | ExpireArg::UnixMillis)
    }
}

/// What [`Ctx::pick`] chose.
pub(crate) enum Pick {
    /// The whole collection, in its reply order.
    All,
    /// These positions (0..len), in this order.
    Positions(Vec<usize>),
}

/// What INFO memory reports of the scripting engines (Redis's `used_memory_lua`,
/// `number_of_cached_scripts`, … fields): the Lua VMs' bytes as their allocators count them
/// (a VM is made on first use: 0 before), and the caches' own bytes, estimated as the sources
/// plus a record each.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScriptsMemory {
    /// EVAL's VM (`used_memory_lua`, `used_memory_vm_eval`).
    pub(crate) eval_vm: usize,
    /// The script cache (`used_memory_scripts_eval`).
    pub(crate) eval_scripts: usize,
    pub(crate) cached_scripts: usize,
    pub(crate) functions: usize,
    pub(crate) libraries: usize,
    /// The functions' VM (`used_memory_vm_functions`).
    pub(crate) functions_vm: usize,
    /// The libraries and their functions (`used_memory_functions`).
    pub(crate) functions_overhead: usize,
}

/// Who runs a command, and how: the one value a command runner takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The client's id (CLIENT ID), unique within its store.
    pub(crate) client: ClientId,
    /// The client's selected database; SELECT changes it.
    pub(crate) db: usize,
    /// The protocol the client speaks: 2, or 3 after `HELLO 3`.
    pub(crate) protocol: u8,
    /// Whether the client is a client of the server (which knows the server's own commands).
    pub(crate) hosted: bool,
    /// Whether the command runs inside EXEC, or another unit of commands run together under one
    /// lock (`atomic`, serving blocked clients): a blocking command answers at once there, as if
    /// it had timed out.
    pub(crate) in_exec: bool,
    /// In cluster mode, whether the client sent ASKING: a script it runs may reach the keys of
    /// a slot this node is importing.
    pub(crate) asking: bool,
    /// The replication offset right after the client's last command that sent replicas
    /// anything (Redis's `woff`): what WAIT waits for replicas to acknowledge. Set by the
    /// runner after each command.
    pub(crate) write_offset: u64,
    /// The user it authenticated as ([`crate::acl::UserId`]), if not `default`: what scripts it
    /// runs may do.
    pub(crate) user: Option<crate::acl::UserId>,
}

impl Caller {
    /// An in-process caller in database `db`, speaking RESP2, running commands as one unit that
    /// never blocks: what `atomic` and serving blocked clients run as.
    pub(crate) fn internal(client: ClientId, db: usize) -> Caller {
        Caller {
            client,
            db,
            protocol: 2,
            hosted: false,
            in_exec: true,
            asking: false,
            write_offset: 0,
            user: Some(crate::acl::APPLICATION),
        }
    }
}

/// The Lua engines commands run scripts on (feature `lua`): EVAL's script cache and the function
/// libraries, kept under the store's lock beside the keyspace.
#[cfg(feature = "lua")]
pub(crate) type Engines = crate::script::Engines;

/// Without the `lua` feature there are no scripts, so no engines.
#[cfg(not(feature = "lua"))]
pub(crate) struct Engines(());

#[cfg(not(feature = "lua"))]
impl Engines {
    pub(crate) fn new(_watchdog: &std::sync::Arc<crate::watchdog::Watchdog>) -> Engines {
        Engines(())
    }

    /// No function libraries without Lua.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn library_codes(&self) -> Vec<Vec<u8>> {
        Vec::new()
    }

    /// No scripts without Lua: nothing to report.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn memory(&self) -> ScriptsMemory {
        ScriptsMemory::default()
    }

    /// Function libraries cannot be loaded without Lua.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn load_libraries(
        &mut self,
        codes: &[Vec<u8>],
        _mode: crate::persistence::LoadMode,
    ) -> Result<(), CommandError> {
        if codes.is_empty() {
            Ok(())
        } else {
            Err(CommandError::other(
                "ERR the data holds function libraries, which need embedis's `lua` feature",
            ))
        }
    }
}

/// What a handler runs against: the locked keyspace (and the script engines beside it) and the
/// calling client's selected database and protocol.
pub(crate) struct Ctx<'a> {
    /// The caller's user ([`Caller::user`]).
    pub(crate) user: Option<crate::acl::UserId>,
    pub(crate) ks: &'a mut Keyspace,
    /// The calling client's id.
    pub(crate) client: ClientId,
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    pub(crate) engines: &'a mut Engines,
    /// The client's database; SELECT changes it for the client.
    pub(crate) db: usize,
    /// Whether a blocking command may block (not inside MULTI, a script or `atomic`).
    pub(crate) may_block: bool,
    /// Set by a blocking command that found no data and blocks: the caller waits on it.
    pub(crate) blocked: Option<BlockedRequest>,
    /// The protocol the caller speaks (2 or 3; a script's after `redis.setresp`). Handlers build
    /// RESP3 replies; [`Ctx::run`] turns them into RESP2 ones for RESP2 callers, and the few
    /// commands whose shapes differ beyond that (pairs of WITHSCORES, …) read it.
    pub(crate) resp: u8,
    /// Whether the caller is a client of the server, which knows the server's own commands
    /// (COMMAND lists them then).
    pub(crate) hosted: bool,
    /// Whether a script runs the commands (SLOWLOG shows them as the script's own client).
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    pub(crate) in_script: bool,
    /// Whether the running command only reads (no `write` flag): its lookups of missing keys
    /// raise `keymiss`, as Redis's `lookupKeyRead` does.
    pub(crate) read_only: bool,
    /// Whether each command's keyspace events are published as it ends (as Redis publishes them
    /// while it runs: before the next command of EXEC or a script, and before a PUBLISH after
    /// them); `Store::atomic` holds them until it commits, since an undone write raised none.
    pub(crate) publish_events: bool,
    /// The keys a running script declared, while its caller tracks keys for client-side
    /// caching: remembered once the script runs a read-only command (Redis remembers a
    /// script's declared keys, not those it reads).
    script_keys: Option<Vec<Vec<u8>>>,
    /// In cluster mode, whether the caller sent ASKING ([`Caller::asking`]).
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    pub(crate) asking: bool,
    /// [`Caller::write_offset`].
    pub(crate) write_offset: u64,
    /// The running command said how it replays ([`Ctx::replay_as`]): it is not replayed as sent.
    replayed_instead: bool,
    /// The running command is replayed even if it changed nothing ([`Ctx::replay_always`]).
    replay_always: bool,
    /// The server the caller is a client of, for the server's own commands a script it runs
    /// calls (INFO; DEBUG, CONFIG, CLIENT… once DEBUG SET-DISABLE-DENY-SCRIPTS allows them):
    /// set for a client's command run on its own (not for those EXEC runs).
    #[cfg_attr(not(feature = "lua"), allow(dead_code))]
    pub(crate) host: Option<&'a mut (dyn crate::connection::Host + 'a)>,
}

/// Whether `spec` runs a script or a function (EVAL, EVALSHA, FCALL and their `_RO` forms).
fn runs_script(spec: &table::CommandSpec) -> bool {
    matches!(
        spec.name,
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    )
}

impl<'a> Ctx<'a> {
    /// A context for running commands as `caller` (see [`State::ctx`](crate::runner::State::ctx)).
    pub(crate) fn new(ks: &'a mut Keyspace, engines: &'a mut Engines, caller: &Caller) -> Ctx<'a> {
        ks.tracking.set_current(caller.client);
        Ctx {
            ks,
            client: caller.client,
            engines,
            db: caller.db,
            may_block: !caller.in_exec,
            blocked: None,
            hosted: caller.hosted,
            resp: caller.protocol,
            in_script: false,
            read_only: false,
            publish_events: true,
            script_keys: None,
            asking: caller.asking,
            write_offset: caller.write_offset,
            user: caller.user,
            replayed_instead: false,
            replay_always: false,
            host: None,
        }
    }
}

/// Whether MONITOR shows `spec` at this point of its run, as Redis does: after the command ran
/// (`before` false), unless Redis keeps it from monitors (administrative commands); EVAL,
/// EVALSHA and FCALL instead before they run (`before` true), so that the script's own
/// commands follow them.
pub(crate) fn monitor_shows(spec: &table::CommandSpec, before: bool) -> bool {
    before == reference::flagged(spec.name, "skip_monitor") && !reference::flagged(spec.name, "admin")
}

/// Sends MONITOR's line for `spec`'s run of `argv` by `client` in database `db`, with secrets
/// redacted, if [`monitor_shows`] it at this point (`before` it runs or after).
pub(crate) fn monitor_line(
    ks: &mut Keyspace,
    db: usize,
    client: &str,
    spec: &table::CommandSpec,
    argv: &Argv,
    before: bool,
) {
    if !monitor_shows(spec, before) {
        return;
    }
    let shown = Argv::from_args(stats::redacted(argv));
    ks.pubsub.feed_monitors(db, client, &shown);
}

impl Ctx<'_> {
    /// Runs a resolved command.
    pub(crate) fn run(&mut self, spec: &table::CommandSpec, argv: &Argv) -> Reply {
        match spec.run {
            table::Run::Keyspace(handler) if self.observed() => {
                let reply = self.run_observed(spec, handler, argv);
                self.for_protocol(reply)
            }
            table::Run::Keyspace(handler) => self.run_unobserved(spec, |ctx| handler(ctx, argv)),
            // The connection handles these, and resolving picks a container's subcommand.
            table::Run::Transaction(_)
            | table::Run::Session(_)
            | table::Run::Container(_)
            | table::Run::Kill(_)
            | table::Run::PubSub(_)
            | table::Run::Host(_) => Reply::Error(CommandError::other("ERR command out of place")),
        }
    }

    /// Runs `spec`'s work (`run`: its handler, or a [`Direct`](crate::direct::Direct) call's core)
    /// where nothing observes commands ([`Ctx::observed`] is false).
    #[inline(always)]
    pub(crate) fn run_unobserved(
        &mut self,
        spec: &table::CommandSpec,
        run: impl FnOnce(&mut Self) -> Result<Reply, CommandError>,
    ) -> Reply {
        self.run_unobserved_result(spec.has(table::flags::WRITE), run).into()
    }

    /// [`Ctx::run_unobserved`] of a command that `writes` or not (its table row's WRITE flag),
    /// its error left apart from the reply (as a typed transaction's slot holds it).
    #[inline(always)]
    pub(crate) fn run_unobserved_result(
        &mut self,
        writes: bool,
        run: impl FnOnce(&mut Self) -> Result<Reply, CommandError>,
    ) -> Result<Reply, CommandError> {
        self.run_unobserved_value(writes, run)
            .map(|reply| self.for_protocol(reply))
    }

    /// [`Ctx::run_unobserved_result`] of a handler's core that answers a plain value (INCR's
    /// integer), for the caller to make its reply where the reply goes: a reply built here and
    /// moved out piece by piece would be read back whole, which stalls the processor. The
    /// value is the caller's to put in its protocol.
    #[inline(always)]
    pub(crate) fn run_unobserved_value<T>(
        &mut self,
        writes: bool,
        run: impl FnOnce(&mut Self) -> Result<T, CommandError>,
    ) -> Result<T, CommandError> {
        self.read_only = !writes;
        let result = run(self);
        self.publish_unless_held();
        result
    }

    /// `reply` as the caller's protocol has it: RESP3's types turned into RESP2's for a RESP2
    /// caller.
    fn for_protocol(&self, reply: Reply) -> Reply {
        if self.resp == 2 && reply.has_resp3() {
            reply.into_resp2()
        } else {
            reply
        }
    }

    /// Publishes the running command's keyspace events, unless they are held
    /// ([`Ctx::publish_events`]).
    fn publish_unless_held(&mut self) {
        if self.publish_events {
            self.ks.publish_events();
        }
    }

    /// Whether anything looks at the commands run beyond their effects on the keyspace: a
    /// client tracking keys, command statistics, a reader of the replay form (an append-only
    /// file, a replica), or monitors of a script's commands. Most stores have none of these,
    /// and their commands skip [`Ctx::run_observed`]'s bookkeeping.
    pub(crate) fn observed(&self) -> bool {
        self.ks.commands_observed(self.in_script)
    }

    /// Runs `handler` with what [`Ctx::observed`] found someone looking at: the keys a
    /// tracking client may now cache, the command's statistics, its replay form, its MONITOR
    /// line when a script runs it.
    fn run_observed(&mut self, spec: &table::CommandSpec, handler: table::Handler, argv: &Argv) -> Reply {
        self.read_only = !spec.has(table::flags::WRITE);
        let tracked = self.ks.tracking.is_active() && self.ks.tracking.remembers(self.client);
        let outer_script_keys = if tracked && !self.in_script && runs_script(spec) {
            let keys = table::key_positions(spec, argv).unwrap_or_default();
            self.script_keys
                .replace(keys.into_iter().map(|i| argv.arg(i).to_vec()).collect())
        } else {
            None
        };
        // A command run by EXEC, a script or `atomic` counts here (a client's own
        // commands count where the connection runs them).
        let started = (!self.may_block && self.ks.command_stats.is_some()).then(std::time::Instant::now);
        // The replay form: a command that changed something is replayed as sent unless
        // it said otherwise; a script is replayed by its own commands' forms.
        let replay = self.ks.effects.replay_wanted().then(|| {
            // Keys SCAN and RANDOMKEY find expired are replayed each alone (Redis's
            // `CMD_TOUCHES_ARBITRARY_KEYS`), when the command runs on its own.
            if matches!(spec.name, "scan" | "randomkey") && self.may_block && !self.in_script {
                self.ks.effects.replay_unwrapped();
            }
            let outer = (self.replayed_instead, self.replay_always);
            (self.replayed_instead, self.replay_always) = (false, false);
            (outer, self.ks.saving.changes_made())
        });
        let reply: Reply = handler(self, argv).into();
        if let Some((outer, changes_before)) = replay {
            let changed = self.ks.saving.changes_made() != changes_before;
            if (changed || self.replay_always) && !self.replayed_instead && !runs_script(spec) {
                self.ks.effects.replay(self.db, || argv.clone());
            }
            (self.replayed_instead, self.replay_always) = outer;
        }
        if let (Some(started), Some(stats)) = (started, &self.ks.command_stats) {
            let took = started.elapsed();
            let mut stats = stats.lock();
            stats.ran(spec.name, took, &reply);
            // EXEC logs its commands itself, with its client; a script's are its own.
            if self.in_script {
                stats.slow(took, argv, || stats::SlowClient {
                    addr: "?:0".into(),
                    name: Vec::new(),
                });
            }
        }
        if tracked {
            self.remember_read_keys(spec, argv);
            if !self.in_script && runs_script(spec) {
                self.script_keys = outer_script_keys;
            }
        }
        self.publish_unless_held();
        // A script's commands show in MONITOR as the script's own.
        if self.in_script && self.ks.pubsub.monitored() {
            monitor_line(self.ks, self.db, "lua", spec, argv, false);
        }
        reply
    }

    /// Client-side caching: after a read-only command of a tracking client, remembers the
    /// keys it may now cache (Redis's `trackingRememberKeys`): the command's own, or inside a
    /// script the keys the script declared (once). EVAL_RO, EVALSHA_RO and FCALL_RO count only
    /// through the commands their scripts run.
    fn remember_read_keys(&mut self, spec: &table::CommandSpec, argv: &Argv) {
        if runs_script(spec) || !reference::flagged(spec.name, "readonly") {
            return;
        }
        if self.in_script {
            if let Some(keys) = self.script_keys.take() {
                self.ks.tracking.remember(self.client, keys.iter().map(Vec::as_slice));
            }
        } else if let Ok(positions) = table::key_positions(spec, argv) {
            self.ks
                .tracking
                .remember(self.client, positions.into_iter().map(|i| argv.arg(i)));
        }
    }

    /// Raises `keymiss` for `key` if it is missing and the running command only reads (Redis's
    /// `lookupKeyRead`), while someone listens for key misses.
    fn note_miss(&mut self, key: &[u8]) {
        if self.read_only {
            self.keymiss(key);
        }
    }

    /// A write command's lookup that Redis makes as a read (GET's family, a SORT's or a
    /// *STORE's sources, COPY's source): raises `keymiss` if `key` is missing, as a read-only
    /// command's lookups do by themselves.
    pub(crate) fn read_lookup(&mut self, key: &[u8]) {
        if !self.read_only {
            self.keymiss(key);
        }
    }

    fn keymiss(&mut self, key: &[u8]) {
        if self.ks.effects.wants(EventClass::KeyMiss) && self.ks.peek(self.db, key).is_none() {
            self.notify(EventClass::KeyMiss, "keymiss", key);
        }
    }

    /// The value of kind `T` at `key`, or `None` if missing; WRONGTYPE if it holds another type.
    pub(crate) fn read<T: ValueKind>(&mut self, key: &[u8]) -> Result<Option<&T>, CommandError> {
        self.note_miss(key);
        match self.ks.get(self.db, key) {
            None => Ok(None),
            Some(entry) => T::of(&entry.value).map(Some).ok_or(CommandError::WrongType),
        }
    }

    /// The value of kind `T` at `key` for writing; WRONGTYPE if it holds another type. The caller
    /// marks the key modified if it changes anything.
    pub(crate) fn write<T: ValueKind>(&mut self, key: &[u8]) -> Result<Option<&mut T>, CommandError> {
        match self.ks.get_mut(self.db, key) {
            None => Ok(None),
            Some(entry) => T::of_mut(&mut entry.value).map(Some).ok_or(CommandError::WrongType),
        }
    }

    /// The value of kind `T` at `key` for writing, created empty if missing; WRONGTYPE if it holds
    /// another type. The caller fills it and marks the key modified.
    pub(crate) fn write_or_create<T: ValueKind>(&mut self, key: &[u8]) -> Result<&mut T, CommandError> {
        match self.ks.get(self.db, key) {
            Some(entry) if T::of(&entry.value).is_none() => return Err(CommandError::WrongType),
            Some(_) => {}
            None => self.ks.insert_silently(self.db, key, T::empty()),
        }
        match self.ks.get_mut(self.db, key).and_then(|e| T::of_mut(&mut e.value)) {
            Some(value) => Ok(value),
            None => Err(CommandError::NoSuchKey),
        }
    }

    /// Which elements HRANDFIELD, SRANDMEMBER and SPOP take from a collection of `len` with `count`:
    /// all of them when a positive count covers the collection, else `count` distinct positions, or
    /// for a negative count |count| positions that may repeat.
    pub(crate) fn pick(&mut self, len: usize, count: i64) -> Pick {
        if count >= 0 && count as u64 >= len as u64 {
            return Pick::All;
        }
        let wanted = count.unsigned_abs() as usize;
        if count < 0 {
            return Pick::Positions((0..wanted).map(|_| (self.ks.random() % len as u64) as usize).collect());
        }
        // A partial Fisher-Yates shuffle: the first `wanted` positions of a random permutation.
        let mut positions: Vec<usize> = (0..len).collect();
        for i in 0..wanted {
            let j = i + (self.ks.random() % (len - i) as u64) as usize;
            positions.swap(i, j);
        }
        positions.truncate(wanted);
        Pick::Positions(positions)
    }

    /// Stores a string at `key` with the given TTL rule; touches.
    pub(crate) fn set_string(&mut self, key: &[u8], value: Vec<u8>, ttl: Ttl) {
        self.insert(key, Value::string(value), ttl);
    }

    // The keyspace's key operations, in the client's database. Every write reports what it did
    // through these and `Keyspace`'s own methods, so WATCH (and later keyspace events and
    // replay) hear of it once.

    /// Marks `key` modified in the client's database (Redis's `signalModifiedKey`).
    pub(crate) fn modified(&mut self, key: &[u8]) {
        self.ks.modified(self.db, key);
    }

    /// The entry of `key`, expiring it if due and counting as an access.
    pub(crate) fn entry(&mut self, key: &[u8]) -> Option<&Entry> {
        self.note_miss(key);
        self.ks.get(self.db, key)
    }

    /// The entry of `key` without counting as an access (TYPE, TTL, OBJECT).
    pub(crate) fn peek(&mut self, key: &[u8]) -> Option<&Entry> {
        self.note_miss(key);
        self.ks.peek(self.db, key)
    }

    /// The expiry time of `key` in Unix milliseconds, if it has a TTL: no expiry check, for a
    /// key the command has just looked up.
    pub(crate) fn expire_at(&self, key: &[u8]) -> Option<i64> {
        self.ks.expire_at(self.db, key)
    }

    /// Whether `key` exists (and has not expired).
    pub(crate) fn exists(&mut self, key: &[u8]) -> bool {
        self.ks.contains(self.db, key)
    }

    /// Stores `value` at `key`, replacing what was there, with `ttl` deciding its TTL; touches.
    pub(crate) fn insert(&mut self, key: &[u8], value: Value, ttl: Ttl) {
        self.ks.insert(self.db, key, value, ttl);
    }

    /// Removes `key`, touching it if it existed.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Detached> {
        self.ks.remove(self.db, key)
    }

    /// Removes `key` if a command emptied its container, as Redis deletes empty collections,
    /// raising the `del` event then.
    pub(crate) fn remove_if_empty(&mut self, key: &[u8]) {
        if self.ks.remove_if_empty(self.db, key) {
            self.notify(EventClass::Generic, "del", key);
        }
    }

    /// A write command changed `key`: touches it, raises its event (`event` of `class`), and
    /// removes the key if it emptied its container (raising `del`) — Redis's order.
    pub(crate) fn changed(&mut self, class: EventClass, event: &'static str, key: &[u8]) {
        self.modified(key);
        self.notify(class, event, key);
        self.remove_if_empty(key);
    }

    /// Reports keyspace event `name` of `class` on `key` (Redis's `notifyKeyspaceEvent`), for
    /// keyspace notifications; recorded only while someone reads events.
    pub(crate) fn notify(&mut self, class: EventClass, name: &'static str, key: &[u8]) {
        self.ks.effects.notify(self.db, class, name, key);
    }

    /// Reports a command line that replays the running command's effect where sending the
    /// command again would not reproduce it (EXPIRE as PEXPIREAT, SPOP as SREM): the command is
    /// then replayed by the lines it reports, in order, instead of as sent (Redis's
    /// `alsoPropagate` with `preventCommandPropagation`, or its argv rewriting). Built only
    /// while someone reads the replay form.
    pub(crate) fn replay_as(&mut self, argv: impl FnOnce() -> Argv) {
        self.replayed_instead = true;
        self.ks.effects.replay(self.db, argv);
    }

    /// The running command goes to replicas as sent, but not to the append-only file (Redis's
    /// `forceCommandPropagation(c, PROPAGATE_REPL)`: PUBLISH, SPUBLISH).
    pub(crate) fn replicate_only(&mut self, argv: &Argv) {
        self.replayed_instead = true;
        self.ks.effects.replicate_only(self.db, || argv.clone());
    }

    /// The running command is replayed only by the lines it reports with [`Ctx::replay_as`],
    /// perhaps none (Redis's `preventCommandPropagation`: XREADGROUP, XCLAIM).
    pub(crate) fn replay_by_parts(&mut self) {
        self.replayed_instead = true;
    }

    /// The running command is replayed as sent even if it changed nothing (Redis's
    /// `forceCommandPropagation`: FLUSHALL and FLUSHDB of empty databases).
    pub(crate) fn replay_always(&mut self) {
        self.replay_always = true;
    }

    /// Counts `n` changes toward the `save` points and INFO's `rdb_changes_since_last_save`,
    /// where Redis's command counts them (its `server.dirty`).
    pub(crate) fn dirty(&mut self, n: usize) {
        self.ks.saving.changed(n as u64);
    }

    /// Sets or clears the TTL of an existing key; touches. False if the key does not exist.
    pub(crate) fn set_expire(&mut self, key: &[u8], expire_at: Option<i64>) -> bool {
        self.ks.set_expire(self.db, key, expire_at)
    }
}
