//! The command table: every command's name, arity, flags, key positions and handler, as data.
//!
//! Queue-time checks (existence, arity, refused in MULTI), key extraction and dispatch all read it, so
//! a command's shape is written down once.

use std::sync::OnceLock;

#[cfg(feature = "lua")]
use super::scripting;
use super::{
    Ctx, acl, bitops, cluster, geo, hash, hyperloglog, keys, list, lolwut, migrate, pubsub, server, set, sort, stream,
    string, zset,
};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::value::Map;
use crate::reply::Reply;
use crate::watchdog::ScriptKind;

/// A command handler: runs on the locked keyspace and answers a reply or an error reply.
pub(crate) type Handler = fn(&mut Ctx<'_>, &Argv) -> Result<Reply, CommandError>;

/// What runs a command: the kind of its row.
#[derive(Clone, Copy)]
pub(crate) enum Run {
    /// A handler over the keyspace.
    Keyspace(Handler),
    /// MULTI, EXEC, DISCARD, WATCH, UNWATCH: run by the connection's transaction state.
    Transaction(TransactionOp),
    /// HELLO, RESET: run by the connection, whose own state (protocol, name) they read and change.
    Session(SessionOp),
    /// A container (OBJECT, …): the second argument names a subcommand from this table.
    Container(&'static [CommandSpec]),
    /// SCRIPT KILL, FUNCTION KILL: answered by the store's [`Watchdog`](crate::watchdog::Watchdog)
    /// without the lock, which the script to kill holds.
    Kill(ScriptKind),
    /// SUBSCRIBE and the other subscription commands: run by the connection, whose mailbox
    /// the subscriptions deliver to (`pubsub.rs`).
    PubSub(Subscription),
    /// AUTH, CLIENT …, CONFIG …, INFO, DEBUG, SHUTDOWN, QUIT: answered by the server the
    /// connection is a client of (its [`Host`](crate::connection::Host)); rows flagged
    /// [`SERVER`](flags::SERVER).
    Host(HostOp),
}

/// The transaction commands (Redis's `multi.c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TransactionOp {
    Multi,
    Exec,
    Discard,
    Watch,
    Unwatch,
}

/// A subscription command: of which kind, and whether it subscribes or unsubscribes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Subscription {
    pub(crate) kind: crate::pubsub::Kind,
    pub(crate) subscribe: bool,
}

/// The commands that concern the connection's own session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SessionOp {
    Hello,
    Reset,
    Monitor,
}

/// The server's own commands; a container's subcommands share its operation and are told apart
/// by their row's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) enum HostOp {
    Auth,
    Quit,
    Client,
    Config,
    Info,
    Debug,
    Shutdown,
    Module,
    Sync,
    Replconf,
    /// REPLICAOF, SLAVEOF: follow a primary, or stop following (NO ONE).
    ReplicaOf,
}

impl HostOp {
    /// Whether the command reads or changes the keyspace, and so runs under the lock (the
    /// others run without it, even while a script holds it).
    pub(crate) fn reads_keyspace(self) -> bool {
        matches!(
            self,
            HostOp::Client | HostOp::Config | HostOp::Info | HostOp::Debug | HostOp::ReplicaOf
        )
    }
}

/// Whether `spec` is FUNCTION STATS, which the watchdog answers while a function is timed out.
pub(crate) fn is_function_stats(spec: &CommandSpec) -> bool {
    spec.name == "function|stats"
}

/// Flags of a command, as Redis's command table has them.
pub(crate) mod flags {
    /// May modify the keyspace.
    pub(crate) const WRITE: u16 = 1;
    /// Refused inside MULTI (`ERR Command not allowed inside a transaction`).
    pub(crate) const NO_MULTI: u16 = 1 << 1;
    /// Refused inside a script.
    pub(crate) const NO_SCRIPT: u16 = 1 << 2;
    /// May block the client (BLPOP, …); where a script may run one (BLMPOP, BZMPOP in Redis 7.0),
    /// it answers at once.
    pub(crate) const BLOCKING: u16 = 1 << 3;
    /// Concerns the server rather than the store: only a connection served by one knows it
    /// (unknown in process, to scripts and to COMMAND there).
    pub(crate) const SERVER: u16 = 1 << 4;
    /// Runs at once even inside MULTI, instead of being queued (EXEC, DISCARD, MULTI, WATCH,
    /// QUIT, RESET; Redis's `processCommand` names them).
    pub(crate) const IMMEDIATE: u16 = 1 << 5;
    /// Allowed before a client has authenticated (Redis's `no-auth`).
    pub(crate) const NO_AUTH: u16 = 1 << 6;
    /// Allowed while a script is timed out (Redis's `allow-busy`); every other command is
    /// refused with BUSY then.
    pub(crate) const ALLOW_BUSY: u16 = 1 << 7;
    /// May write through what it runs (a script, a function): CLIENT PAUSE WRITE holds it
    /// unless what it runs is declared read-only (Redis's `may-replicate`).
    pub(crate) const MAY_REPLICATE: u16 = 1 << 8;
    /// In cluster mode, served on a node importing the slot of its keys as if the client had
    /// sent ASKING (Redis's `asking`: RESTORE-ASKING).
    pub(crate) const ASKING: u16 = 1 << 9;
    /// A [`SERVER`] command that an in-process connection runs too: CLIENT, for the
    /// subcommands that concern the connection alone (`command/client.rs`).
    pub(crate) const IN_PROCESS: u16 = 1 << 10;
}

/// Where a command's keys are in its arguments, as Redis's key specs say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keys {
    /// From `first` to `last` (negative counts from the end) every `step`; `0, 0, 0` for none.
    Range(i32, i32, i32),
    /// A count at `at`, then that many keys (ZUNION, LMPOP, …); with `optional`, a count of 0
    /// or less means no keys rather than an error (EVAL, FCALL).
    Counted { at: usize, optional: bool },
    /// The destination first, then a count and that many keys (ZUNIONSTORE, …).
    DestinationAndCounted,
    /// The sorted key, and the destination of a STORE among its options (SORT).
    Sort,
    /// Shard channel names from `first` to `last` every `step` (SSUBSCRIBE, SPUBLISH): COMMAND
    /// INFO reports their range, which a cluster routes by, but they are not keys (Redis's
    /// `not_key` spec), so COMMAND GETKEYS finds none.
    Channels(i32, i32, i32),
    /// The source, and the destination of a STORE or STOREDIST among its options (GEORADIUS,
    /// GEORADIUSBYMEMBER).
    GeoRadius,
    /// The keys after STREAMS, half of what follows it (the IDs are the other half): XREAD,
    /// XREADGROUP.
    Streams,
    /// MIGRATE's key, or the keys after its KEYS option (when the key is empty).
    Migrate,
}

impl Keys {
    /// The first, last and step COMMAND INFO reports (Redis's "legacy" key range, which
    /// describes the keys it can without reading the arguments).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn legacy_range(self) -> (i32, i32, i32) {
        match self {
            Keys::Range(first, last, step) | Keys::Channels(first, last, step) => (first, last, step),
            Keys::Counted { .. } | Keys::Streams => (0, 0, 0),
            Keys::Migrate => (3, 3, 1),
            Keys::DestinationAndCounted | Keys::Sort | Keys::GeoRadius => (1, 1, 1),
        }
    }
}

/// One row of the command table.
pub(crate) struct CommandSpec {
    /// The lowercase name, as arity errors print it.
    pub(crate) name: &'static str,
    /// Exact argument count (command name included) when positive, minimum when negative.
    pub(crate) arity: i32,
    pub(crate) flags: u16,
    /// Where its keys are: what COMMAND GETKEYS answers (and cluster routing will read).
    pub(crate) keys: Keys,
    pub(crate) run: Run,
}

impl CommandSpec {
    /// Whether `argc` arguments (command name included) fit the arity.
    pub(crate) fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity > 0 { argc == arity } else { argc >= -arity }
    }

    pub(crate) fn has(&self, flag: u16) -> bool {
        self.flags & flag != 0
    }
}

use flags::*;

macro_rules! table {
    ($($name:literal, $arity:expr, $flags:expr, $keys:expr, $run:expr;)*) => {
        &[$(CommandSpec { name: $name, arity: $arity, flags: $flags, keys: $keys, run: $run },)*]
    };
}

const NO_KEYS: Keys = Keys::Range(0, 0, 0);

const fn keys(first: i32, last: i32, step: i32) -> Keys {
    Keys::Range(first, last, step)
}

const fn counted(at: usize) -> Keys {
    Keys::Counted { at, optional: false }
}

const fn k(handler: Handler) -> Run {
    Run::Keyspace(handler)
}

const fn tx(op: TransactionOp) -> Run {
    Run::Transaction(op)
}
const R: u16 = 0;
const W: u16 = WRITE;

/// COMMAND's subcommands, and its bare call (the row named like the container): one handler
/// for all, which reads the subcommand itself.
const COMMAND: &[CommandSpec] = table! {
    "command", -1, R, NO_KEYS, k(server::command);
    "command|count", 2, R, NO_KEYS, k(server::command);
    "command|docs", -2, R, NO_KEYS, k(server::command);
    "command|getkeys", -4, R, NO_KEYS, k(server::command);
    "command|getkeysandflags", -4, R, NO_KEYS, k(server::command);
    "command|help", 2, R, NO_KEYS, k(server::command);
    "command|info", -2, R, NO_KEYS, k(server::command);
    "command|list", -2, R, NO_KEYS, k(server::command);
};

/// ACL's subcommands.
const ACL: &[CommandSpec] = table! {
    "acl|cat", -2, NO_SCRIPT, NO_KEYS, k(acl::cat);
    "acl|deluser", -3, NO_SCRIPT, NO_KEYS, k(acl::deluser);
    "acl|dryrun", -4, NO_SCRIPT, NO_KEYS, k(acl::dryrun);
    "acl|genpass", -2, NO_SCRIPT, NO_KEYS, k(acl::genpass);
    "acl|getuser", 3, NO_SCRIPT, NO_KEYS, k(acl::getuser);
    "acl|help", 2, R, NO_KEYS, k(acl::help);
    "acl|list", 2, NO_SCRIPT, NO_KEYS, k(acl::list);
    "acl|load", 2, NO_SCRIPT, NO_KEYS, k(acl::load_or_save);
    "acl|save", 2, NO_SCRIPT, NO_KEYS, k(acl::load_or_save);
    "acl|log", -2, NO_SCRIPT, NO_KEYS, k(acl::log);
    "acl|setuser", -3, NO_SCRIPT, NO_KEYS, k(acl::setuser);
    "acl|users", 2, NO_SCRIPT, NO_KEYS, k(acl::users);
    "acl|whoami", 2, NO_SCRIPT, NO_KEYS, k(acl::whoami);
};

/// SLOWLOG's subcommands.
const SLOWLOG: &[CommandSpec] = table! {
    "slowlog|get", -2, R, NO_KEYS, k(server::slowlog_get);
    "slowlog|len", 2, R, NO_KEYS, k(server::slowlog_len);
    "slowlog|reset", 2, R, NO_KEYS, k(server::slowlog_reset);
    "slowlog|help", 2, R, NO_KEYS, k(server::slowlog_help);
};

/// LATENCY's subcommands.
const LATENCY: &[CommandSpec] = table! {
    "latency|latest", 2, NO_SCRIPT, NO_KEYS, k(server::latency_latest);
    "latency|history", 3, NO_SCRIPT, NO_KEYS, k(server::latency_history);
    "latency|reset", -2, NO_SCRIPT, NO_KEYS, k(server::latency_reset);
    "latency|graph", 3, NO_SCRIPT, NO_KEYS, k(server::latency_graph);
    "latency|doctor", 2, NO_SCRIPT, NO_KEYS, k(server::latency_doctor);
    "latency|histogram", -2, NO_SCRIPT, NO_KEYS, k(server::latency_histogram);
    "latency|help", 2, R, NO_KEYS, k(server::latency_help);
};

/// CLUSTER's subcommands (`command/cluster.rs`); MEET and SAVECONFIG are not among them.
const CLUSTER: &[CommandSpec] = table! {
    "cluster|addslots", -3, R, NO_KEYS, k(cluster::addslots);
    "cluster|addslotsrange", -4, R, NO_KEYS, k(cluster::addslotsrange);
    "cluster|bumpepoch", 2, R, NO_KEYS, k(cluster::bumpepoch);
    "cluster|count-failure-reports", 3, R, NO_KEYS, k(cluster::count_failure_reports);
    "cluster|countkeysinslot", 3, R, NO_KEYS, k(cluster::countkeysinslot);
    "cluster|delslots", -3, R, NO_KEYS, k(cluster::addslots);
    "cluster|delslotsrange", -4, R, NO_KEYS, k(cluster::addslotsrange);
    "cluster|failover", -2, R, NO_KEYS, k(cluster::failover);
    "cluster|flushslots", 2, R, NO_KEYS, k(cluster::flushslots);
    "cluster|forget", 3, R, NO_KEYS, k(cluster::forget);
    "cluster|getkeysinslot", 4, R, NO_KEYS, k(cluster::getkeysinslot);
    "cluster|help", 2, R, NO_KEYS, k(cluster::help);
    "cluster|info", 2, R, NO_KEYS, k(cluster::info);
    "cluster|keyslot", 3, R, NO_KEYS, k(cluster::keyslot);
    "cluster|links", 2, R, NO_KEYS, k(cluster::links);
    "cluster|myid", 2, R, NO_KEYS, k(cluster::myid);
    "cluster|nodes", 2, R, NO_KEYS, k(cluster::nodes);
    "cluster|replicas", 3, R, NO_KEYS, k(cluster::replicas);
    "cluster|replicate", 3, R, NO_KEYS, k(cluster::replicate);
    "cluster|reset", -2, NO_SCRIPT, NO_KEYS, k(cluster::reset);
    "cluster|set-config-epoch", 3, R, NO_KEYS, k(cluster::set_config_epoch);
    "cluster|setslot", -4, R, NO_KEYS, k(cluster::setslot);
    "cluster|shards", 2, R, NO_KEYS, k(cluster::shards);
    "cluster|slaves", 3, R, NO_KEYS, k(cluster::replicas);
    "cluster|slots", 2, R, NO_KEYS, k(cluster::slots);
};

/// OBJECT's subcommands.
const OBJECT: &[CommandSpec] = table! {
    "object|encoding", 3, R, keys(2, 2, 1), k(keys::object_encoding);
    "object|freq", 3, R, keys(2, 2, 1), k(keys::object_freq);
    "object|idletime", 3, R, keys(2, 2, 1), k(keys::object_idletime);
    "object|refcount", 3, R, keys(2, 2, 1), k(keys::object_refcount);
    "object|help", 2, R, NO_KEYS, k(keys::object_help);
};

/// MEMORY's subcommands.
const MEMORY: &[CommandSpec] = table! {
    "memory|doctor", 2, R, NO_KEYS, k(server::memory_doctor);
    "memory|stats", 2, R, NO_KEYS, k(server::memory_stats);
    "memory|usage", -3, R, keys(2, 2, 1), k(server::memory_usage);
    "memory|malloc-stats", 2, R, NO_KEYS, k(server::memory_malloc_stats);
    "memory|purge", 2, R, NO_KEYS, k(server::memory_purge);
    "memory|help", 2, R, NO_KEYS, k(server::memory_help);
};

/// XGROUP's subcommands.
const XGROUP: &[CommandSpec] = table! {
    "xgroup|create", -5, W, keys(2, 2, 1), k(stream::xgroup_create);
    "xgroup|createconsumer", 5, W, keys(2, 2, 1), k(stream::xgroup_createconsumer);
    "xgroup|delconsumer", 5, W, keys(2, 2, 1), k(stream::xgroup_delconsumer);
    "xgroup|destroy", 4, W, keys(2, 2, 1), k(stream::xgroup_destroy);
    "xgroup|help", 2, R, NO_KEYS, k(stream::xgroup_help);
    "xgroup|setid", -5, W, keys(2, 2, 1), k(stream::xgroup_setid);
};

/// XINFO's subcommands.
const XINFO: &[CommandSpec] = table! {
    "xinfo|consumers", 4, R, keys(2, 2, 1), k(stream::xinfo_consumers);
    "xinfo|groups", 3, R, keys(2, 2, 1), k(stream::xinfo_groups);
    "xinfo|help", 2, R, NO_KEYS, k(stream::xinfo_help);
    "xinfo|stream", -3, R, keys(2, 2, 1), k(stream::xinfo_stream);
};

/// PUBSUB's subcommands.
const PUBSUB: &[CommandSpec] = table! {
    "pubsub|channels", -2, R, NO_KEYS, k(pubsub::pubsub_channels);
    "pubsub|numpat", 2, R, NO_KEYS, k(pubsub::pubsub_numpat);
    "pubsub|numsub", -2, R, NO_KEYS, k(pubsub::pubsub_numsub);
    "pubsub|shardchannels", -2, R, NO_KEYS, k(pubsub::pubsub_shardchannels);
    "pubsub|shardnumsub", -2, R, NO_KEYS, k(pubsub::pubsub_shardnumsub);
    "pubsub|help", 2, R, NO_KEYS, k(pubsub::pubsub_help);
};

const fn subscription(kind: crate::pubsub::Kind, subscribe: bool) -> Run {
    Run::PubSub(Subscription { kind, subscribe })
}

/// SCRIPT's subcommands.
#[cfg(feature = "lua")]
const SCRIPT: &[CommandSpec] = table! {
    "script|load", 3, NO_SCRIPT, NO_KEYS, k(scripting::script_load);
    "script|exists", -3, NO_SCRIPT, NO_KEYS, k(scripting::script_exists);
    "script|flush", -2, NO_SCRIPT, NO_KEYS, k(scripting::script_flush);
    "script|kill", 2, NO_SCRIPT | ALLOW_BUSY, NO_KEYS, Run::Kill(ScriptKind::Eval);
    "script|help", 2, R, NO_KEYS, k(scripting::script_help);
};

/// FUNCTION's subcommands.
#[cfg(feature = "lua")]
const FUNCTION: &[CommandSpec] = table! {
    "function|delete", 3, W | NO_SCRIPT, NO_KEYS, k(scripting::function_delete);
    "function|dump", 2, NO_SCRIPT, NO_KEYS, k(scripting::function_dump);
    "function|flush", -2, W | NO_SCRIPT, NO_KEYS, k(scripting::function_flush);
    "function|help", 2, R, NO_KEYS, k(scripting::function_help);
    "function|kill", 2, NO_SCRIPT | ALLOW_BUSY, NO_KEYS, Run::Kill(ScriptKind::Function);
    "function|list", -2, NO_SCRIPT, NO_KEYS, k(scripting::function_list);
    "function|load", -3, W | NO_SCRIPT, NO_KEYS, k(scripting::function_load);
    "function|restore", -3, W | NO_SCRIPT, NO_KEYS, k(scripting::function_restore);
    "function|stats", 2, NO_SCRIPT | ALLOW_BUSY, NO_KEYS, k(scripting::function_stats);
};

/// Scripting commands, when the `lua` feature is on.
#[cfg(feature = "lua")]
static SCRIPTING: &[CommandSpec] = table! {
    "eval", -3, NO_SCRIPT | MAY_REPLICATE, Keys::Counted { at: 2, optional: true }, k(scripting::eval);
    "evalsha", -3, NO_SCRIPT | MAY_REPLICATE, Keys::Counted { at: 2, optional: true }, k(scripting::evalsha);
    "eval_ro", -3, NO_SCRIPT, Keys::Counted { at: 2, optional: true }, k(scripting::eval_ro);
    "evalsha_ro", -3, NO_SCRIPT, Keys::Counted { at: 2, optional: true }, k(scripting::evalsha_ro);
    "script", -2, R, NO_KEYS, Run::Container(SCRIPT);
    "fcall", -3, NO_SCRIPT | MAY_REPLICATE, Keys::Counted { at: 2, optional: true }, k(scripting::fcall);
    "fcall_ro", -3, NO_SCRIPT, Keys::Counted { at: 2, optional: true }, k(scripting::fcall_ro);
    "function", -2, R, NO_KEYS, Run::Container(FUNCTION);
};
#[cfg(not(feature = "lua"))]
static SCRIPTING: &[CommandSpec] = &[];

const fn host(op: HostOp) -> Run {
    Run::Host(op)
}
/// The server's commands: refused in scripts, as Redis flags them `noscript`.
const S: u16 = SERVER | NO_SCRIPT;

/// CLIENT's subcommands.
const CLIENT: &[CommandSpec] = table! {
    "client|getname", 2, S | IN_PROCESS, NO_KEYS, host(HostOp::Client);
    "client|help", 2, SERVER, NO_KEYS, host(HostOp::Client);
    "client|id", 2, S | IN_PROCESS, NO_KEYS, host(HostOp::Client);
    "client|info", 2, S, NO_KEYS, host(HostOp::Client);
    "client|kill", -3, S, NO_KEYS, host(HostOp::Client);
    "client|list", -2, S, NO_KEYS, host(HostOp::Client);
    "client|no-evict", 3, S, NO_KEYS, host(HostOp::Client);
    "client|pause", -3, S, NO_KEYS, host(HostOp::Client);
    "client|reply", 3, S, NO_KEYS, host(HostOp::Client);
    "client|setname", 3, S | IN_PROCESS, NO_KEYS, host(HostOp::Client);
    "client|unblock", -3, S, NO_KEYS, host(HostOp::Client);
    "client|unpause", 2, S, NO_KEYS, host(HostOp::Client);
    "client|tracking", -3, S | IN_PROCESS, NO_KEYS, host(HostOp::Client);
    "client|caching", 3, S | IN_PROCESS, NO_KEYS, host(HostOp::Client);
    "client|getredir", 2, S | IN_PROCESS, NO_KEYS, host(HostOp::Client);
    "client|trackinginfo", 2, S | IN_PROCESS, NO_KEYS, host(HostOp::Client);
};

/// CONFIG's subcommands.
const CONFIG: &[CommandSpec] = table! {
    "config|get", -3, S, NO_KEYS, host(HostOp::Config);
    "config|help", 2, SERVER, NO_KEYS, host(HostOp::Config);
    "config|resetstat", 2, S, NO_KEYS, host(HostOp::Config);
    "config|rewrite", 2, S, NO_KEYS, host(HostOp::Config);
    "config|set", -4, S, NO_KEYS, host(HostOp::Config);
};

/// MODULE's subcommands (no module can be loaded into embedis: it cannot run Redis's C modules).
const MODULE: &[CommandSpec] = table! {
    "module|help", 2, SERVER, NO_KEYS, host(HostOp::Module);
    "module|list", 2, S, NO_KEYS, host(HostOp::Module);
    "module|load", -3, S, NO_KEYS, host(HostOp::Module);
    "module|loadex", -3, S, NO_KEYS, host(HostOp::Module);
    "module|unload", 3, S, NO_KEYS, host(HostOp::Module);
};

/// Every command embedis knows.
static COMMANDS: &[CommandSpec] = table! {
    // transactions (multi.c)
    "multi", 1, NO_SCRIPT | IMMEDIATE | ALLOW_BUSY, NO_KEYS, tx(TransactionOp::Multi);
    "exec", 1, NO_SCRIPT | IMMEDIATE, NO_KEYS, tx(TransactionOp::Exec);
    "discard", 1, NO_SCRIPT | IMMEDIATE | ALLOW_BUSY, NO_KEYS, tx(TransactionOp::Discard);
    "watch", -2, NO_SCRIPT | IMMEDIATE | ALLOW_BUSY, keys(1, -1, 1), tx(TransactionOp::Watch);
    "unwatch", 1, NO_SCRIPT | ALLOW_BUSY, NO_KEYS, tx(TransactionOp::Unwatch);
    // connection state (networking.c)
    "hello", -1, NO_SCRIPT | NO_AUTH | ALLOW_BUSY, NO_KEYS, Run::Session(SessionOp::Hello);
    "reset", 1, NO_SCRIPT | IMMEDIATE | NO_AUTH | ALLOW_BUSY, NO_KEYS, Run::Session(SessionOp::Reset);
    "monitor", 1, NO_SCRIPT, NO_KEYS, Run::Session(SessionOp::Monitor);
    // connection and server
    "ping", -1, R, NO_KEYS, k(server::ping);
    "echo", 2, R, NO_KEYS, k(server::echo);
    "select", 2, R, NO_KEYS, k(server::select);
    "swapdb", 3, W, NO_KEYS, k(server::swapdb);
    "dbsize", 1, R, NO_KEYS, k(server::dbsize);
    "flushdb", -1, W, NO_KEYS, k(server::flushdb);
    "flushall", -1, W, NO_KEYS, k(server::flushall);
    "time", 1, R, NO_KEYS, k(server::time);
    "save", 1, NO_MULTI | NO_SCRIPT, NO_KEYS, k(server::save);
    "command", -1, R, NO_KEYS, Run::Container(COMMAND);
    "bgsave", -1, NO_SCRIPT, NO_KEYS, k(server::bgsave);
    "bgrewriteaof", 1, NO_SCRIPT, NO_KEYS, k(server::bgrewriteaof);
    "lastsave", 1, R, NO_KEYS, k(server::lastsave);
    "memory", -2, R, NO_KEYS, Run::Container(MEMORY);
    "slowlog", -2, R, NO_KEYS, Run::Container(SLOWLOG);
    "acl", -2, R, NO_KEYS, Run::Container(ACL);
    "latency", -2, R, NO_KEYS, Run::Container(LATENCY);
    "role", 1, NO_SCRIPT, NO_KEYS, k(server::role);
    // cluster (cluster.c)
    "cluster", -2, R, NO_KEYS, Run::Container(CLUSTER);
    "readonly", 1, R, NO_KEYS, k(cluster::connection_flag);
    "readwrite", 1, R, NO_KEYS, k(cluster::connection_flag);
    "asking", 1, R, NO_KEYS, k(cluster::connection_flag);
    // pub/sub (pubsub.c)
    "subscribe", -2, NO_SCRIPT, NO_KEYS, subscription(crate::pubsub::Kind::Channel, true);
    "unsubscribe", -1, NO_SCRIPT, NO_KEYS, subscription(crate::pubsub::Kind::Channel, false);
    "psubscribe", -2, NO_SCRIPT, NO_KEYS, subscription(crate::pubsub::Kind::Pattern, true);
    "punsubscribe", -1, NO_SCRIPT, NO_KEYS, subscription(crate::pubsub::Kind::Pattern, false);
    "ssubscribe", -2, NO_SCRIPT, Keys::Channels(1, -1, 1), subscription(crate::pubsub::Kind::Shard, true);
    "sunsubscribe", -1, NO_SCRIPT, Keys::Channels(1, -1, 1), subscription(crate::pubsub::Kind::Shard, false);
    "publish", 3, MAY_REPLICATE, NO_KEYS, k(pubsub::publish);
    "spublish", 3, MAY_REPLICATE, Keys::Channels(1, 1, 1), k(pubsub::spublish);
    "pubsub", -2, R, NO_KEYS, Run::Container(PUBSUB);
    "lolwut", -1, R, NO_KEYS, k(lolwut::lolwut);
    "wait", 3, NO_SCRIPT, NO_KEYS, k(server::wait);
    // the server's own (answered by the server a connection is a client of)
    "auth", -2, S | NO_AUTH | ALLOW_BUSY, NO_KEYS, host(HostOp::Auth);
    "quit", -1, S | IMMEDIATE | NO_AUTH | ALLOW_BUSY, NO_KEYS, host(HostOp::Quit);
    "client", -2, SERVER | IN_PROCESS, NO_KEYS, Run::Container(CLIENT);
    "config", -2, SERVER, NO_KEYS, Run::Container(CONFIG);
    "info", -1, SERVER, NO_KEYS, host(HostOp::Info);
    "debug", -2, S, NO_KEYS, host(HostOp::Debug);
    "module", -2, SERVER, NO_KEYS, Run::Container(MODULE);
    "shutdown", -1, S | NO_MULTI | ALLOW_BUSY, NO_KEYS, host(HostOp::Shutdown);
    "sync", 1, S | NO_MULTI | NO_SCRIPT, NO_KEYS, host(HostOp::Sync);
    "psync", -3, S | NO_MULTI | NO_SCRIPT, NO_KEYS, host(HostOp::Sync);
    "replconf", -1, S | NO_SCRIPT | ALLOW_BUSY, NO_KEYS, host(HostOp::Replconf);
    "replicaof", 3, S, NO_KEYS, host(HostOp::ReplicaOf);
    "slaveof", 3, S, NO_KEYS, host(HostOp::ReplicaOf);
    // keys (db.c, expire.c)
    "del", -2, W, keys(1, -1, 1), k(keys::del);
    "unlink", -2, W, keys(1, -1, 1), k(keys::del);
    "exists", -2, R, keys(1, -1, 1), k(keys::exists);
    "type", 2, R, keys(1, 1, 1), k(keys::type_);
    "expire", -3, W, keys(1, 1, 1), k(keys::expire);
    "pexpire", -3, W, keys(1, 1, 1), k(keys::pexpire);
    "expireat", -3, W, keys(1, 1, 1), k(keys::expireat);
    "pexpireat", -3, W, keys(1, 1, 1), k(keys::pexpireat);
    "ttl", 2, R, keys(1, 1, 1), k(keys::ttl);
    "pttl", 2, R, keys(1, 1, 1), k(keys::pttl);
    "expiretime", 2, R, keys(1, 1, 1), k(keys::expiretime);
    "pexpiretime", 2, R, keys(1, 1, 1), k(keys::pexpiretime);
    "persist", 2, W, keys(1, 1, 1), k(keys::persist);
    "rename", 3, W, keys(1, 2, 1), k(keys::rename);
    "renamenx", 3, W, keys(1, 2, 1), k(keys::renamenx);
    "move", 3, W, keys(1, 1, 1), k(keys::move_);
    "copy", -3, W, keys(1, 2, 1), k(keys::copy);
    "keys", 2, R, NO_KEYS, k(keys::keys);
    "scan", -2, R, NO_KEYS, k(keys::scan);
    "randomkey", 1, R, NO_KEYS, k(keys::randomkey);
    "touch", -2, R, keys(1, -1, 1), k(keys::touch);
    "object", -2, R, NO_KEYS, Run::Container(OBJECT);
    "dump", 2, R, keys(1, 1, 1), k(keys::dump);
    "restore", -4, W, keys(1, 1, 1), k(keys::restore);
    "restore-asking", -4, W | ASKING, keys(1, 1, 1), k(keys::restore);
    "migrate", -6, W, Keys::Migrate, k(migrate::migrate);
    // strings (t_string.c)
    "get", 2, R, keys(1, 1, 1), k(string::get);
    "set", -3, W, keys(1, 1, 1), k(string::set);
    "setnx", 3, W, keys(1, 1, 1), k(string::setnx);
    "setex", 4, W, keys(1, 1, 1), k(string::setex);
    "psetex", 4, W, keys(1, 1, 1), k(string::psetex);
    "getset", 3, W, keys(1, 1, 1), k(string::getset);
    "getdel", 2, W, keys(1, 1, 1), k(string::getdel);
    "getex", -2, W, keys(1, 1, 1), k(string::getex);
    "mget", -2, R, keys(1, -1, 1), k(string::mget);
    "mset", -3, W, keys(1, -1, 2), k(string::mset);
    "msetnx", -3, W, keys(1, -1, 2), k(string::msetnx);
    "incr", 2, W, keys(1, 1, 1), k(string::incr);
    "decr", 2, W, keys(1, 1, 1), k(string::decr);
    "incrby", 3, W, keys(1, 1, 1), k(string::incrby);
    "decrby", 3, W, keys(1, 1, 1), k(string::decrby);
    "incrbyfloat", 3, W, keys(1, 1, 1), k(string::incrbyfloat);
    "append", 3, W, keys(1, 1, 1), k(string::append);
    "strlen", 2, R, keys(1, 1, 1), k(string::strlen);
    "getrange", 4, R, keys(1, 1, 1), k(string::getrange);
    "substr", 4, R, keys(1, 1, 1), k(string::getrange);
    "setrange", 4, W, keys(1, 1, 1), k(string::setrange);
    "lcs", -3, R, keys(1, 2, 1), k(string::lcs);
    // bitmaps (bitops.c)
    "setbit", 4, W, keys(1, 1, 1), k(bitops::setbit);
    "getbit", 3, R, keys(1, 1, 1), k(bitops::getbit);
    "bitcount", -2, R, keys(1, 1, 1), k(bitops::bitcount);
    "bitpos", -3, R, keys(1, 1, 1), k(bitops::bitpos);
    "bitop", -4, W, keys(2, -1, 1), k(bitops::bitop);
    "bitfield", -2, W, keys(1, 1, 1), k(bitops::bitfield);
    "bitfield_ro", -2, R, keys(1, 1, 1), k(bitops::bitfield_ro);
    // HyperLogLog (hyperloglog.c)
    "pfadd", -2, W, keys(1, 1, 1), k(hyperloglog::pfadd);
    "pfcount", -2, MAY_REPLICATE, keys(1, -1, 1), k(hyperloglog::pfcount);
    "pfmerge", -2, W, keys(1, -1, 1), k(hyperloglog::pfmerge);
    "pfdebug", 3, W, keys(2, 2, 1), k(hyperloglog::pfdebug);
    "pfselftest", 1, R, NO_KEYS, k(hyperloglog::pfselftest);
    // lists (t_list.c)
    "lpush", -3, W, keys(1, 1, 1), k(list::lpush);
    "rpush", -3, W, keys(1, 1, 1), k(list::rpush);
    "lpop", -2, W, keys(1, 1, 1), k(list::lpop);
    "rpop", -2, W, keys(1, 1, 1), k(list::rpop);
    "lrange", 4, R, keys(1, 1, 1), k(list::lrange);
    "llen", 2, R, keys(1, 1, 1), k(list::llen);
    "lpushx", -3, W, keys(1, 1, 1), k(list::lpushx);
    "rpushx", -3, W, keys(1, 1, 1), k(list::rpushx);
    "lindex", 3, R, keys(1, 1, 1), k(list::lindex);
    "lset", 4, W, keys(1, 1, 1), k(list::lset);
    "linsert", 5, W, keys(1, 1, 1), k(list::linsert);
    "lrem", 4, W, keys(1, 1, 1), k(list::lrem);
    "ltrim", 4, W, keys(1, 1, 1), k(list::ltrim);
    "lpos", -3, R, keys(1, 1, 1), k(list::lpos);
    "lmove", 5, W, keys(1, 2, 1), k(list::lmove);
    "rpoplpush", 3, W, keys(1, 2, 1), k(list::rpoplpush);
    "lmpop", -4, W, counted(1), k(list::lmpop);
    "blpop", -3, W | NO_SCRIPT | BLOCKING, keys(1, -2, 1), k(list::blpop);
    "brpop", -3, W | NO_SCRIPT | BLOCKING, keys(1, -2, 1), k(list::brpop);
    "blmove", 6, W | NO_SCRIPT | BLOCKING, keys(1, 2, 1), k(list::blmove);
    "brpoplpush", 4, W | NO_SCRIPT | BLOCKING, keys(1, 2, 1), k(list::brpoplpush);
    "blmpop", -5, W | BLOCKING, counted(2), k(list::blmpop);
    // hashes (t_hash.c)
    "hset", -4, W, keys(1, 1, 1), k(hash::hset);
    "hmset", -4, W, keys(1, 1, 1), k(hash::hmset);
    "hget", 3, R, keys(1, 1, 1), k(hash::hget);
    "hgetall", 2, R, keys(1, 1, 1), k(hash::hgetall);
    "hincrby", 4, W, keys(1, 1, 1), k(hash::hincrby);
    "hdel", -3, W, keys(1, 1, 1), k(hash::hdel);
    "hsetnx", 4, W, keys(1, 1, 1), k(hash::hsetnx);
    "hmget", -3, R, keys(1, 1, 1), k(hash::hmget);
    "hlen", 2, R, keys(1, 1, 1), k(hash::hlen);
    "hstrlen", 3, R, keys(1, 1, 1), k(hash::hstrlen);
    "hexists", 3, R, keys(1, 1, 1), k(hash::hexists);
    "hkeys", 2, R, keys(1, 1, 1), k(hash::hkeys);
    "hvals", 2, R, keys(1, 1, 1), k(hash::hvals);
    "hincrbyfloat", 4, W, keys(1, 1, 1), k(hash::hincrbyfloat);
    "hrandfield", -2, R, keys(1, 1, 1), k(hash::hrandfield);
    "hscan", -3, R, keys(1, 1, 1), k(hash::hscan);
    // sets (t_set.c)
    "sadd", -3, W, keys(1, 1, 1), k(set::sadd);
    "srem", -3, W, keys(1, 1, 1), k(set::srem);
    "smembers", 2, R, keys(1, 1, 1), k(set::smembers);
    "sismember", 3, R, keys(1, 1, 1), k(set::sismember);
    "smismember", -3, R, keys(1, 1, 1), k(set::smismember);
    "scard", 2, R, keys(1, 1, 1), k(set::scard);
    "spop", -2, W, keys(1, 1, 1), k(set::spop);
    "srandmember", -2, R, keys(1, 1, 1), k(set::srandmember);
    "smove", 4, W, keys(1, 2, 1), k(set::smove);
    "sinter", -2, R, keys(1, -1, 1), k(set::sinter);
    "sintercard", -3, R, counted(1), k(set::sintercard);
    "sinterstore", -3, W, keys(1, -1, 1), k(set::sinterstore);
    "sunion", -2, R, keys(1, -1, 1), k(set::sunion);
    "sunionstore", -3, W, keys(1, -1, 1), k(set::sunionstore);
    "sdiff", -2, R, keys(1, -1, 1), k(set::sdiff);
    "sdiffstore", -3, W, keys(1, -1, 1), k(set::sdiffstore);
    "sscan", -3, R, keys(1, 1, 1), k(set::sscan);
    // sorted sets (t_zset.c)
    "zadd", -4, W, keys(1, 1, 1), k(zset::zadd);
    "zincrby", 4, W, keys(1, 1, 1), k(zset::zincrby);
    "zcard", 2, R, keys(1, 1, 1), k(zset::zcard);
    "zscore", 3, R, keys(1, 1, 1), k(zset::zscore);
    "zmscore", -3, R, keys(1, 1, 1), k(zset::zmscore);
    "zrank", 3, R, keys(1, 1, 1), k(zset::zrank);
    "zrevrank", 3, R, keys(1, 1, 1), k(zset::zrevrank);
    "zrange", -4, R, keys(1, 1, 1), k(zset::zrange);
    "zrevrange", -4, R, keys(1, 1, 1), k(zset::zrevrange);
    "zrangebyscore", -4, R, keys(1, 1, 1), k(zset::zrangebyscore);
    "zrevrangebyscore", -4, R, keys(1, 1, 1), k(zset::zrevrangebyscore);
    "zrangebylex", -4, R, keys(1, 1, 1), k(zset::zrangebylex);
    "zrevrangebylex", -4, R, keys(1, 1, 1), k(zset::zrevrangebylex);
    "zrangestore", -5, W, keys(1, 2, 1), k(zset::zrangestore);
    "zcount", 4, R, keys(1, 1, 1), k(zset::zcount);
    "zlexcount", 4, R, keys(1, 1, 1), k(zset::zlexcount);
    "zrem", -3, W, keys(1, 1, 1), k(zset::zrem);
    "zremrangebyrank", 4, W, keys(1, 1, 1), k(zset::zremrangebyrank);
    "zremrangebyscore", 4, W, keys(1, 1, 1), k(zset::zremrangebyscore);
    "zremrangebylex", 4, W, keys(1, 1, 1), k(zset::zremrangebylex);
    "zpopmin", -2, W, keys(1, 1, 1), k(zset::zpopmin);
    "zpopmax", -2, W, keys(1, 1, 1), k(zset::zpopmax);
    "zmpop", -4, W, counted(1), k(zset::zmpop);
    "bzpopmin", -3, W | NO_SCRIPT | BLOCKING, keys(1, -2, 1), k(zset::bzpopmin);
    "bzpopmax", -3, W | NO_SCRIPT | BLOCKING, keys(1, -2, 1), k(zset::bzpopmax);
    "bzmpop", -5, W | BLOCKING, counted(2), k(zset::bzmpop);
    "zrandmember", -2, R, keys(1, 1, 1), k(zset::zrandmember);
    "zscan", -3, R, keys(1, 1, 1), k(zset::zscan);
    "zunion", -3, R, counted(1), k(zset::zunion);
    "zinter", -3, R, counted(1), k(zset::zinter);
    "zdiff", -3, R, counted(1), k(zset::zdiff);
    "zunionstore", -4, W, Keys::DestinationAndCounted, k(zset::zunionstore);
    "zinterstore", -4, W, Keys::DestinationAndCounted, k(zset::zinterstore);
    "zdiffstore", -4, W, Keys::DestinationAndCounted, k(zset::zdiffstore);
    "zintercard", -3, R, counted(1), k(zset::zintercard);
    // streams (t_stream.c)
    "xadd", -5, W, keys(1, 1, 1), k(stream::xadd);
    "xrange", -4, R, keys(1, 1, 1), k(stream::xrange);
    "xrevrange", -4, R, keys(1, 1, 1), k(stream::xrevrange);
    "xlen", 2, R, keys(1, 1, 1), k(stream::xlen);
    "xread", -4, R | BLOCKING, Keys::Streams, k(stream::xread);
    "xreadgroup", -7, W | BLOCKING, Keys::Streams, k(stream::xreadgroup);
    "xgroup", -2, R, NO_KEYS, Run::Container(XGROUP);
    "xsetid", -3, W, keys(1, 1, 1), k(stream::xsetid);
    "xack", -4, W, keys(1, 1, 1), k(stream::xack);
    "xpending", -3, R, keys(1, 1, 1), k(stream::xpending);
    "xclaim", -6, W, keys(1, 1, 1), k(stream::xclaim);
    "xautoclaim", -6, W, keys(1, 1, 1), k(stream::xautoclaim);
    "xinfo", -2, R, NO_KEYS, Run::Container(XINFO);
    "xdel", -3, W, keys(1, 1, 1), k(stream::xdel);
    "xtrim", -4, W, keys(1, 1, 1), k(stream::xtrim);
    // geo (geo.c)
    "geoadd", -5, W, keys(1, 1, 1), k(geo::geoadd);
    "geodist", -4, R, keys(1, 1, 1), k(geo::geodist);
    "geohash", -2, R, keys(1, 1, 1), k(geo::geohash);
    "geopos", -2, R, keys(1, 1, 1), k(geo::geopos);
    "georadius", -6, W, Keys::GeoRadius, k(geo::georadius);
    "georadius_ro", -6, R, keys(1, 1, 1), k(geo::georadius_ro);
    "georadiusbymember", -5, W, Keys::GeoRadius, k(geo::georadiusbymember);
    "georadiusbymember_ro", -5, R, keys(1, 1, 1), k(geo::georadiusbymember_ro);
    "geosearch", -7, R, keys(1, 1, 1), k(geo::geosearch);
    "geosearchstore", -8, W, keys(1, 2, 1), k(geo::geosearchstore);
    // sorting (sort.c)
    "sort", -2, W, Keys::Sort, k(sort::sort);
    "sort_ro", -2, R, keys(1, 1, 1), k(sort::sort_ro);
};

/// The longest command name, so lookups lowercase into a stack buffer.
const MAX_NAME: usize = 32;

/// The row of a command the typed API names, found once per call site and remembered.
pub(crate) fn known(name: &'static str, cell: &'static OnceLock<&'static CommandSpec>) -> &'static CommandSpec {
    cell.get_or_init(|| lookup(name.as_bytes()).unwrap_or_else(|| panic!("{name} is missing from the command table")))
}

/// Finds a command by name, case-insensitively, without allocating.
pub(crate) fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    static BY_NAME: OnceLock<Map<&'static [u8], &'static CommandSpec>> = OnceLock::new();
    let table = BY_NAME.get_or_init(|| {
        COMMANDS
            .iter()
            .chain(SCRIPTING)
            .map(|c| (c.name.as_bytes(), c))
            .collect()
    });
    if name.len() > MAX_NAME {
        return None;
    }
    let mut lower = [0u8; MAX_NAME];
    for (dst, src) in lower.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    table.get(&lower[..name.len()]).copied()
}

/// `argv`'s command or subcommand, without checking its arity (Redis's `lookupCommand`): a
/// container called bare is the container.
pub(crate) fn lookup_full(argv: &Argv) -> Option<&'static CommandSpec> {
    let spec = lookup(argv.get(0)?)?;
    let (Run::Container(subcommands), Some(name)) = (spec.run, argv.get(1)) else {
        return Some(spec);
    };
    subcommands.iter().find(|sub| {
        sub.name
            .split_once('|')
            .is_some_and(|(_, s)| s.as_bytes().eq_ignore_ascii_case(name))
    })
}

/// Looks up `argv`'s command and checks its arity: Redis's queue-time checks, with its error texts.
/// The server's own commands are known only to a connection that is `hosted` (a client of the
/// server). `known` is the command's row when the caller already has it (the typed API finds it
/// once per method).
pub(crate) fn resolve_for(
    argv: &Argv,
    known: Option<&'static CommandSpec>,
    hosted: bool,
) -> Result<&'static CommandSpec, CommandError> {
    let found = known.or_else(|| lookup(argv.get(0).unwrap_or_default()));
    let Some(spec) = found.filter(|spec| hosted || !spec.has(SERVER) || spec.has(IN_PROCESS)) else {
        return Err(unknown_command(argv));
    };
    if !spec.arity_ok(argv.len()) {
        return Err(CommandError::WrongArity(spec.name.to_string()));
    }
    let Run::Container(subcommands) = spec.run else {
        return Ok(spec);
    };
    let Some(name) = argv.get(1) else {
        // A container that may be called bare (COMMAND) has a row named like itself.
        return subcommands
            .iter()
            .find(|sub| sub.name == spec.name)
            .ok_or_else(|| CommandError::WrongArity(spec.name.to_string()));
    };
    let sub = subcommands.iter().find(|sub| {
        sub.name
            .split_once('|')
            .is_some_and(|(_, s)| s.as_bytes().eq_ignore_ascii_case(name))
    });
    let Some(sub) = sub else {
        let shown = super::args::c_str(name);
        let shown = String::from_utf8_lossy(&shown[..shown.len().min(128)]);
        let line = format!(
            "ERR unknown subcommand '{shown}'. Try {} HELP.",
            spec.name.to_uppercase()
        );
        return Err(CommandError::Other(line.replace(['\r', '\n'], " ").into()));
    };
    if !hosted && sub.has(SERVER) && !sub.has(IN_PROCESS) {
        return Err(CommandError::Other(format!(
            "ERR {} needs embedis-server: an in-process connection runs only CLIENT ID, GETNAME, SETNAME, TRACKING, CACHING, GETREDIR and TRACKINGINFO",
            sub.name.replace('|', " ").to_uppercase()
        )
        .into()));
    }
    if !sub.arity_ok(argv.len()) {
        return Err(CommandError::WrongArity(sub.name.to_string()));
    }
    Ok(sub)
}

/// `ERR unknown command 'foo', with args beginning with: 'a' 'b' `, as Redis words it: the name cut at
/// 128 bytes, then arguments until the list reaches 128 characters.
pub(crate) fn unknown_command(argv: &Argv) -> CommandError {
    use super::args::c_str;
    let name = argv.get(0).unwrap_or_default();
    let name = c_str(name);
    let name = String::from_utf8_lossy(&name[..name.len().min(128)]).into_owned();
    let mut args = String::new();
    for arg in argv.iter().skip(1) {
        if args.len() >= 128 {
            break;
        }
        let arg = c_str(arg);
        let room = 128 - args.len();
        args.push('\'');
        args.push_str(&String::from_utf8_lossy(&arg[..arg.len().min(room)]));
        args.push_str("' ");
    }
    let line = format!("ERR unknown command '{name}', with args beginning with: {args}");
    CommandError::UnknownCommand(line.replace(['\r', '\n'], " "))
}

/// The subcommands of `spec`, when it is a container (without the row of its bare call).
pub(crate) fn subcommands(spec: &CommandSpec) -> impl Iterator<Item = &'static CommandSpec> {
    let subs: &'static [CommandSpec] = match spec.run {
        Run::Container(subs) => subs,
        _ => &[],
    };
    subs.iter().filter(|sub| sub.name.contains('|'))
}

/// Every top-level command a connection knows, in table order (COMMAND, COMMAND COUNT/LIST):
/// the server's own too when it is `hosted`.
pub(crate) fn all(hosted: bool) -> impl Iterator<Item = &'static CommandSpec> {
    COMMANDS
        .iter()
        .chain(SCRIPTING)
        .filter(move |spec| hosted || !spec.has(SERVER))
}

/// Why COMMAND GETKEYS finds no keys.
pub(crate) enum KeysError {
    /// The command takes no keys at all.
    NoKeys,
    /// The arguments do not say where the keys are (a bad numkeys).
    InvalidArguments,
}

/// Redis's `numkeys` key lists: the count at `at`, the keys right after it.
fn numkeys_keys(argv: &Argv, at: usize, mandatory: bool) -> Result<Vec<usize>, KeysError> {
    let count = argv.get(at).and_then(crate::number::parse_i64);
    match count {
        Some(n) if n > 0 && (n as usize) < argv.len() - at => Ok((at + 1..at + 1 + n as usize).collect()),
        // EVAL and FCALL may have no keys (Redis's `no-mandatory-keys`).
        _ if !mandatory => Ok(Vec::new()),
        _ => Err(KeysError::InvalidArguments),
    }
}

/// The positions of `argv`'s keys, as COMMAND GETKEYS (and Redis's cluster routing) finds them,
/// from the row's [`Keys`].
pub(crate) fn key_positions(spec: &CommandSpec, argv: &Argv) -> Result<Vec<usize>, KeysError> {
    match spec.keys {
        Keys::Counted { at, optional } => numkeys_keys(argv, at, !optional),
        Keys::DestinationAndCounted => {
            let mut keys = vec![1];
            keys.extend(numkeys_keys(argv, 2, true)?);
            Ok(keys)
        }
        Keys::Sort => {
            // Redis's `sortGetKeys`: LIMIT, GET and BY skip their arguments; the last STORE's
            // destination is the one key after the source (SORT itself stores there).
            let mut store = None;
            let mut i = 2;
            while i < argv.len() {
                let arg = argv.arg(i);
                if super::args::is_option(arg, "limit") {
                    i += 2;
                } else if super::args::is_option(arg, "by") || super::args::is_option(arg, "get") {
                    i += 1;
                } else if super::args::is_option(arg, "store") && i + 1 < argv.len() {
                    store = Some(i + 1);
                }
                i += 1;
            }
            Ok(std::iter::once(1).chain(store).collect())
        }
        Keys::GeoRadius => {
            // Redis's key specs: the source, then the argument after the first STORE and after
            // the first STOREDIST from the options on (neither may be the last argument).
            let options = if spec.name.starts_with("georadiusbymember") {
                5
            } else {
                6
            };
            let after = |keyword: &str| {
                (options..argv.len().saturating_sub(1))
                    .find(|&i| super::args::is_option(argv.arg(i), keyword))
                    .map(|i| i + 1)
            };
            Ok(std::iter::once(1)
                .chain(after("store"))
                .chain(after("storedist"))
                .collect())
        }
        Keys::Streams => {
            // Redis's `xreadGetKeys`: options up to STREAMS, then as many keys as IDs.
            let mut streams = None;
            let mut i = 1;
            while i < argv.len() {
                let arg = argv.arg(i);
                if super::args::is_option(arg, "block") || super::args::is_option(arg, "count") {
                    i += 1;
                } else if super::args::is_option(arg, "group") {
                    i += 2;
                } else if super::args::is_option(arg, "streams") {
                    streams = Some(i);
                    break;
                } else if !super::args::is_option(arg, "noack") {
                    break;
                }
                i += 1;
            }
            let at = streams.ok_or(KeysError::InvalidArguments)?;
            let rest = argv.len() - at - 1;
            if rest == 0 || !rest.is_multiple_of(2) {
                return Err(KeysError::InvalidArguments);
            }
            Ok((at + 1..at + 1 + rest / 2).collect())
        }
        Keys::Migrate => {
            // Redis's `migrateGetKeys`: the key, or what follows KEYS when the key is empty
            // (none when it is not: MIGRATE answers that error); AUTH and AUTH2 skip their
            // arguments on the way.
            let mut i = 6;
            while i < argv.len() {
                let arg = argv.arg(i);
                if super::args::is_option(arg, "keys") {
                    if !argv.arg(3).is_empty() {
                        return Err(KeysError::InvalidArguments);
                    }
                    return Ok((i + 1..argv.len()).collect());
                }
                if super::args::is_option(arg, "auth") {
                    i += 1;
                } else if super::args::is_option(arg, "auth2") {
                    i += 2;
                }
                i += 1;
            }
            Ok(vec![3])
        }
        Keys::Range(0, _, _) | Keys::Channels(..) => Err(KeysError::NoKeys),
        Keys::Range(first, last, step) => {
            let argc = argv.len() as i32;
            let last = if last < 0 { argc + last } else { last };
            Ok((first..=last.min(argc - 1))
                .step_by(step.max(1) as usize)
                .map(|i| i as usize)
                .collect())
        }
    }
}
