//! Connection and server commands that act on the keyspace (Redis's `server.c` and `db.c`).

use super::Ctx;
use super::args::int32;
use super::table::CommandSpec;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::{DATABASES, Keyspace};
use crate::reply::Reply;

/// PING [message]
pub(crate) fn ping(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    // A RESP2 client in subscribed mode gets `["pong", message]`, a shape its reader of
    // messages expects.
    if ctx.resp == 2 && !ctx.in_script && argv.len() <= 2 && ctx.ks.pubsub.subscriptions(ctx.client) != (0, 0) {
        return Ok(Reply::Array(vec![
            Reply::bulk("pong"),
            Reply::bulk(argv.get(1).unwrap_or_default()),
        ]));
    }
    match argv.len() {
        1 => Ok(Reply::status("PONG")),
        2 => Ok(Reply::bulk(argv.arg(1))),
        _ => Err(CommandError::WrongArity("ping".into())),
    }
}

/// ECHO message
pub(crate) fn echo(_ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::bulk(argv.arg(1)))
}

/// SELECT index: changes the calling client's database.
pub(crate) fn select(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let index = int32(argv.arg(1))?;
    if ctx.ks.cluster.is_some() && index != 0 {
        return Err(CommandError::other("ERR SELECT is not allowed in cluster mode"));
    }
    ctx.db = Keyspace::valid_db(i64::from(index)).ok_or(CommandError::DbIndexOutOfRange)?;
    Ok(Reply::ok())
}

/// SWAPDB index1 index2
pub(crate) fn swapdb(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if ctx.ks.cluster.is_some() {
        return Err(CommandError::other("ERR SWAPDB is not allowed in cluster mode"));
    }
    let first = int32(argv.arg(1)).map_err(|_| CommandError::other("ERR invalid first DB index"))?;
    let second = int32(argv.arg(2)).map_err(|_| CommandError::other("ERR invalid second DB index"))?;
    let (Some(a), Some(b)) = (Keyspace::valid_db(first as i64), Keyspace::valid_db(second as i64)) else {
        return Err(CommandError::DbIndexOutOfRange);
    };
    ctx.ks.swap_db(a, b);
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// DBSIZE
pub(crate) fn dbsize(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(ctx.ks.len(ctx.db) as i64))
}

/// The optional ASYNC|SYNC of FLUSHDB and FLUSHALL: accepted; flushing is always immediate here.
fn flush_mode(argv: &Argv) -> Result<(), CommandError> {
    match argv.len() {
        1 => Ok(()),
        2 if super::args::is_option(argv.arg(1), "async") || super::args::is_option(argv.arg(1), "sync") => Ok(()),
        _ => Err(CommandError::Syntax),
    }
}

/// FLUSHDB [ASYNC|SYNC]
pub(crate) fn flushdb(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    flush_mode(argv)?;
    let removed = ctx.ks.flush_db(ctx.db);
    ctx.dirty(removed);
    ctx.replay_always();
    ctx.ks.tracking.flushed();
    Ok(Reply::ok())
}

/// FLUSHALL [ASYNC|SYNC]. With `save` points set, the empty store is saved at once, as Redis
/// does (a background save in progress is abandoned: its file would be older).
pub(crate) fn flushall(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    flush_mode(argv)?;
    for db in 0..DATABASES {
        let removed = ctx.ks.flush_db(db);
        ctx.dirty(removed);
    }
    ctx.replay_always();
    ctx.ks.tracking.flushed();
    if ctx.ks.saving.has_points() {
        // Redis's reply does not tell a failed save: its log does.
        let _ = write_rdb_file(ctx);
    }
    Ok(Reply::ok())
}

/// TIME: seconds and microseconds of the store's clock.
pub(crate) fn time(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let micros = ctx.ks.now_micros();
    Ok(Reply::bulks([
        micros.div_euclid(1_000_000).to_string(),
        micros.rem_euclid(1_000_000).to_string(),
    ]))
}

/// Writes the RDB file where the store persists (its `dir` and `dbfilename`); a store that does
/// not persist has nothing to write. Either way the save counts for LASTSAVE.
fn save_now(ctx: &mut Ctx<'_>) -> Result<(), CommandError> {
    if ctx.ks.saving.background.in_progress() {
        return Err(CommandError::other("ERR Background save already in progress"));
    }
    write_rdb_file(ctx)
}

/// Writes the RDB file now (Redis's `rdbSave`): nothing is left to save after.
fn write_rdb_file(ctx: &mut Ctx<'_>) -> Result<(), CommandError> {
    // Redis answers a failed save with a bare `ERR` (its log says why).
    crate::persistence::save_now(ctx.ks, ctx.engines).map_err(|_| CommandError::other("ERR"))
}

/// SAVE: writes the RDB file (when the store persists: see [`save_now`]).
pub(crate) fn save(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    save_now(ctx)?;
    Ok(Reply::ok())
}

/// BGSAVE [SCHEDULE]: a thread of its own takes a snapshot of the data as it is now, in steps of
/// about a millisecond under the store's lock while clients go on between them
/// (`keyspace/snapshot.rs`), then writes and syncs the file; one at a time, with Redis's error
/// for a second. Inside MULTI Redis only schedules it (its cron starts it soon after):
/// embedis starts it at once and answers as Redis does.
pub(crate) fn bgsave(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    match argv.get(1) {
        None => {}
        Some(opt) if argv.len() == 2 && super::args::is_option(opt, "schedule") => {}
        Some(_) => return Err(CommandError::Syntax),
    }
    let schedule = argv.len() == 2 || !ctx.may_block;
    if ctx.ks.saving.background.in_progress() {
        return Err(CommandError::other("ERR Background save already in progress"));
    }
    // While the AOF is rewritten, only SCHEDULE (or MULTI) waits for it.
    if crate::persistence::background_work(ctx.ks) {
        if !schedule {
            return Err(CommandError::other(
                "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
            ));
        }
        ctx.ks.saving.save_scheduled = true;
        return Ok(Reply::status("Background saving scheduled"));
    }
    crate::persistence::start_background_save(ctx.ks, ctx.engines);
    let reply = if ctx.may_block {
        "Background saving started"
    } else {
        "Background saving scheduled"
    };
    Ok(Reply::status(reply))
}

/// BGREWRITEAOF: the append-only file starts again from a snapshot of the data as it is now,
/// taken in steps while clients go on (`persistence::start_background_rewrite`); while a
/// background save is in progress it is scheduled to follow it, as Redis does. With no AOF kept,
/// the new base file alone is written (in steps too).
pub(crate) fn bgrewriteaof(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    if ctx.ks.saving.rewriting.is_some() {
        return Err(CommandError::other(
            "ERR Background append only file rewriting already in progress",
        ));
    }
    let scheduled = crate::persistence::background_work(ctx.ks);
    crate::persistence::start_background_rewrite(ctx.ks, ctx.engines).map_err(|_| {
        CommandError::other(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.",
        )
    })?;
    Ok(Reply::status(if scheduled || !ctx.may_block {
        "Background append only file rewriting scheduled"
    } else {
        "Background append only file rewriting started"
    }))
}

/// LASTSAVE: the Unix time of the last SAVE or BGSAVE, or of the store's creation.
pub(crate) fn lastsave(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(ctx.ks.last_save()))
}

/// ROLE: a primary, its replication offset, and each replica it feeds (where it listens and the
/// offset it acknowledged); or a replica, its primary's address, the link's state and the offset
/// it processed.
pub(crate) fn role(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    if let Some(role) = ctx.ks.following.role() {
        return Ok(role);
    }
    let replicas = &ctx.ks.replicas;
    let listed = replicas.listed().map(|(at, offset, _)| {
        Reply::Array(vec![
            Reply::bulk(at.ip.as_str()),
            Reply::bulk(at.port.to_string()),
            Reply::bulk(offset.to_string()),
        ])
    });
    Ok(Reply::Array(vec![
        Reply::bulk("master"),
        Reply::Integer(replicas.offset() as i64),
        Reply::Array(listed.collect()),
    ]))
}

/// WAIT numreplicas timeout: how many replicas acknowledged the client's writes (the
/// replication offset after its last command that sent them anything). At once when that many
/// already did (and inside MULTI, where nothing blocks); else it waits, asking the replicas to
/// acknowledge (REPLCONF GETACK), until enough did, the timeout (milliseconds, 0 for ever)
/// passes or CLIENT UNBLOCK ends the wait, and answers how many did then.
pub(crate) fn wait(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if ctx.ks.following.is_following() {
        return Err(CommandError::other(
            "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.",
        ));
    }
    let wanted = super::args::int(argv.arg(1))?;
    let deadline = super::blocking::parse_timeout_millis(ctx.ks, argv.arg(2))?;
    let offset = ctx.write_offset;
    let acknowledged = ctx.ks.replicas.acked_at_least(offset);
    let op = crate::keyspace::blocking::BlockedOp::WaitReplicas { offset, wanted };
    if acknowledged as i64 >= wanted {
        return Ok(Reply::Integer(acknowledged as i64));
    }
    let answer = Reply::Integer(acknowledged as i64);
    let reply = ctx.block(&[], op, deadline, answer);
    if ctx.blocked.is_some() {
        ctx.ks.replicas.request_acks();
    }
    Ok(reply)
}

/// COMMAND [COUNT | LIST [FILTERBY PATTERN p|ACLCAT c|MODULE m] | INFO [name…] | DOCS [name…] |
/// GETKEYS command args… | HELP], from the command table.
pub(crate) fn command(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    use super::args::is_option;
    use super::table;
    let hosted = ctx.hosted;
    let Some(sub) = argv.get(1) else {
        return Ok(Reply::Array(
            table::all(hosted).map(|spec| command_info(spec, None)).collect(),
        ));
    };
    let arity = |name: &str| CommandError::WrongArity(format!("command|{name}"));
    if is_option(sub, "count") {
        if argv.len() != 2 {
            return Err(arity("count"));
        }
        return Ok(Reply::Integer(table::all(hosted).count() as i64));
    }
    if is_option(sub, "list") {
        let names = table::all(hosted)
            .flat_map(|spec| std::iter::once(spec.name).chain(table::subcommands(spec).map(|s| s.name)));
        return match argv.len() {
            2 => Ok(Reply::bulks(names)),
            5 if is_option(argv.arg(2), "filterby") => {
                let (kind, value) = (argv.arg(3), argv.arg(4).to_ascii_lowercase());
                if is_option(kind, "pattern") {
                    Ok(Reply::bulks(
                        names.filter(|n| super::glob::matches(&value, n.as_bytes())),
                    ))
                } else if is_option(kind, "aclcat") {
                    // The categories Redis's COMMAND INFO gives each command.
                    let in_category = table::all(hosted).flat_map(|spec| {
                        let subs = table::subcommands(spec)
                            .filter(|sub| super::reference::in_category(sub, Some(spec), &value));
                        let top = super::reference::in_category(spec, None, &value).then_some(spec);
                        top.into_iter().chain(subs).map(|s| s.name)
                    });
                    Ok(Reply::bulks(in_category))
                } else if is_option(kind, "module") {
                    // embedis loads no modules.
                    Ok(Reply::Array(Vec::new()))
                } else {
                    Err(CommandError::Syntax)
                }
            }
            _ => Err(CommandError::Syntax),
        };
    }
    if is_option(sub, "info") {
        if argv.len() == 2 {
            return Ok(Reply::Array(
                table::all(hosted).map(|spec| command_info(spec, None)).collect(),
            ));
        }
        return Ok(Reply::Array(
            argv.iter()
                .skip(2)
                .map(|name| {
                    find_command(name, hosted).map_or(Reply::Nil, |(spec, container)| command_info(spec, container))
                })
                .collect(),
        ));
    }
    if is_option(sub, "docs") {
        let found: Vec<Found> = if argv.len() == 2 {
            table::all(hosted).map(|spec| (spec, None)).collect()
        } else {
            argv.iter().skip(2).filter_map(|n| find_command(n, hosted)).collect()
        };
        return Ok(Reply::Map(
            found
                .into_iter()
                .map(|(spec, container)| {
                    let docs = super::reference::docs(spec, container).unwrap_or(Reply::Map(Vec::new()));
                    (Reply::bulk(spec.name), docs)
                })
                .collect(),
        ));
    }
    let with_flags = is_option(sub, "getkeysandflags");
    if with_flags || is_option(sub, "getkeys") {
        if argv.len() < 4 {
            return Err(arity(if with_flags { "getkeysandflags" } else { "getkeys" }));
        }
        let target = Argv::from_args(argv.iter().skip(2).collect::<Vec<_>>());
        let spec = match table::resolve_for(&target, None, hosted) {
            Ok(spec) => spec,
            Err(CommandError::WrongArity(_)) => {
                return Err(CommandError::other(
                    "ERR Invalid number of arguments specified for command",
                ));
            }
            Err(_) => return Err(CommandError::other("ERR Invalid command specified")),
        };
        return match table::key_positions(spec, &target) {
            Ok(positions) if with_flags => Ok(keys_and_flags(spec, &target, &positions)),
            Ok(positions) => Ok(Reply::bulks(positions.into_iter().map(|i| target.arg(i).to_vec()))),
            Err(table::KeysError::NoKeys) => Err(CommandError::other("ERR The command has no key arguments")),
            Err(table::KeysError::InvalidArguments) => {
                Err(CommandError::other("ERR Invalid arguments specified for command"))
            }
        };
    }
    if is_option(sub, "help") && argv.len() == 2 {
        const HELP: &[&str] = &[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Prints this help.",
        ];
        return Ok(Reply::help(HELP));
    }
    Err(CommandError::Other(
        format!(
            "ERR unknown subcommand '{}'. Try COMMAND HELP.",
            super::args::error_text(sub)
        )
        .into(),
    ))
}

/// COMMAND GETKEYSANDFLAGS: each key at `positions` of `target` with its access flags, those
/// of the key spec of Redis's that finds it; a key the specs cannot reach (SORT's STORE
/// destination) has what Redis's own key finder gives it — SORT's the flags of its last spec,
/// the destination's — and any other none, as Redis's generic finder gives none. SET's spec
/// says its flags vary: as Redis's finder for it, the key is read and written with GET among
/// the options, else overwritten.
fn keys_and_flags(spec: &CommandSpec, target: &Argv, positions: &[usize]) -> Reply {
    Reply::Array(
        key_flags(spec, target, positions)
            .into_iter()
            .map(|(at, flags)| Reply::Array(vec![Reply::bulk(target.arg(at)), flags]))
            .collect(),
    )
}

/// Each key at `positions` of `target` with its access flags (a set of statuses), as
/// [`keys_and_flags`] says: what COMMAND GETKEYSANDFLAGS answers and ACL checks.
pub(crate) fn key_flags(spec: &CommandSpec, target: &Argv, positions: &[usize]) -> Vec<(usize, Reply)> {
    let statuses = |names: &[&'static str]| Reply::Set(names.iter().map(|n| Reply::status(n)).collect());
    if spec.name == "set" {
        let get = target.iter().skip(3).any(|arg| super::args::is_option(arg, "get"));
        let flags = if get {
            statuses(&["RW", "access", "update"])
        } else {
            statuses(&["OW", "update"])
        };
        return vec![(1, flags)];
    }
    // BITFIELD's spec says its flags vary too: read-only when it only GETs (Redis's
    // `bitfieldGetKeys`, which takes a malformed option for a write).
    if spec.name == "bitfield" {
        let mut read_only = true;
        let mut at = 2;
        while at < target.len() {
            let left = target.len() - at - 1;
            let arg = target.arg(at);
            let is = |name| super::args::is_option(arg, name);
            if is("get") && left >= 2 {
                at += 3;
            } else if (is("set") || is("incrby")) && left >= 3 {
                read_only = false;
                break;
            } else if is("overflow") && left >= 1 {
                at += 2;
            } else {
                read_only = false;
                break;
            }
        }
        let flags = if read_only {
            statuses(&["RO", "access"])
        } else {
            statuses(&["RW", "access", "update"])
        };
        return vec![(1, flags)];
    }
    let by_spec = super::reference::keys_by_spec(spec.name, target);
    let fallback = match spec.keys {
        super::table::Keys::Sort => super::reference::last_key_spec_flags(spec.name),
        _ => None,
    };
    positions
        .iter()
        .map(|&at| {
            let flags = by_spec
                .iter()
                .find(|(found, _)| *found == at)
                .map(|(_, flags)| *flags)
                .or(fallback)
                .cloned()
                .unwrap_or(Reply::Set(Vec::new()));
            (at, flags)
        })
        .collect()
}

/// A command found by name: its row, and its container's for a subcommand.
type Found = (&'static CommandSpec, Option<&'static CommandSpec>);

/// A command or `container|sub` by name, among those a (`hosted`) connection knows.
fn find_command(name: &[u8], hosted: bool) -> Option<Found> {
    use super::table::{flags, lookup};
    let lower = String::from_utf8_lossy(name).to_lowercase();
    let known = |spec: &&'static CommandSpec| hosted || !spec.has(flags::SERVER);
    match lower.split_once('|') {
        None => lookup(lower.as_bytes()).filter(known).map(|spec| (spec, None)),
        Some((container, _)) => {
            let container = lookup(container.as_bytes()).filter(known)?;
            super::table::subcommands(container)
                .find(|s| s.name == lower)
                .map(|s| (s, Some(container)))
        }
    }
}

/// COMMAND INFO's entry for a command (a subcommand: with its container): Redis's own. Every
/// row of the table has one (a unit test of `reference` says so).
fn command_info(spec: &'static CommandSpec, container: Option<&'static CommandSpec>) -> Reply {
    super::reference::info(spec, container).unwrap_or(Reply::Nil)
}

/// MEMORY USAGE key [SAMPLES count]: the estimated bytes the key takes in embedis's layout (see
/// `Keyspace::memory_usage`), nil for a missing key. As Redis's, it neither expires the key nor
/// counts as an access. SAMPLES 0 measures every element of a collection.
pub(crate) fn memory_usage(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let mut samples = crate::keyspace::DEFAULT_SAMPLES;
    let mut args = super::args::Args::new(argv, 3);
    while let Some(opt) = args.next() {
        if !super::args::is_option(opt, "samples") || args.remaining() == 0 {
            return Err(CommandError::Syntax);
        }
        samples = usize::try_from(args.i64()?).map_err(|_| CommandError::Syntax)?;
    }
    Ok(ctx
        .ks
        .memory_usage(ctx.db, argv.arg(2), samples)
        .map_or(Reply::Nil, |bytes| Reply::Integer(bytes as i64)))
}

/// Redis's memory overhead figures (`getMemoryOverheadData`) from embedis's: where Redis reads
/// jemalloc's statistics, embedis answers as Redis built on libc's allocator does (the
/// allocator's figures are the used bytes and the resident set), and the memory of client
/// buffers, the replication backlog, the AOF buffer and the Lua caches, which embedis does not
/// count, is 0.
struct Overhead {
    figures: crate::keyspace::MemoryFigures,
    /// Redis's ratios and differences, in its order: fragmentation (total), allocator
    /// fragmentation, allocator RSS, RSS overhead.
    ratios: [(f32, i64); 4],
}

impl Overhead {
    fn of(ks: &crate::keyspace::Keyspace) -> Overhead {
        let figures = ks.memory_figures();
        let (used, rss) = (figures.used, figures.rss);
        // libc's allocator: allocated is the used bytes, active and resident the process's RSS.
        let (allocated, active, resident) = (used, rss, rss);
        let ratio = |a: u64, b: u64| (a as f32 / b as f32, a as i64 - b as i64);
        Overhead {
            ratios: [
                ratio(rss, used),
                ratio(active, allocated),
                ratio(resident, active),
                ratio(rss, resident),
            ],
            figures,
        }
    }
}

/// MEMORY STATS: Redis's fields, in Redis's order, from [`Overhead`].
pub(crate) fn memory_stats(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let Overhead { figures: f, ratios } = Overhead::of(ctx.ks);
    let int = |n: u64| Reply::Integer(n as i64);
    let float = |x: f32| Reply::Double(f64::from(x));
    let net = if f.used > f.startup { f.used - f.startup } else { 1 };
    let mut fields: Vec<(String, Reply)> = vec![
        ("peak.allocated".into(), int(f.peak)),
        ("total.allocated".into(), int(f.used)),
        ("startup.allocated".into(), int(f.startup)),
        ("replication.backlog".into(), int(0)),
        ("clients.slaves".into(), int(0)),
        ("clients.normal".into(), int(0)),
        ("cluster.links".into(), int(0)),
        ("aof.buffer".into(), int(0)),
        ("lua.caches".into(), int(0)),
        ("functions.caches".into(), int(0)),
    ];
    for &(db, main, expires) in &f.dbs {
        let overhead = Reply::map([
            ("overhead.hashtable.main", int(main as u64)),
            ("overhead.hashtable.expires", int(expires as u64)),
            ("overhead.hashtable.slot-to-keys", int(0)),
        ]);
        fields.push((format!("db.{db}"), overhead));
    }
    let [total, allocator_frag, allocator_rss, rss_overhead] = ratios;
    fields.extend([
        ("overhead.total".into(), int(f.overhead)),
        ("keys.count".into(), int(f.keys as u64)),
        (
            "keys.bytes-per-key".into(),
            int(if f.keys == 0 { 0 } else { net / f.keys as u64 }),
        ),
        ("dataset.bytes".into(), int(f.dataset)),
        (
            "dataset.percentage".into(),
            float(f.dataset as f32 * 100.0 / net as f32),
        ),
        (
            "peak.percentage".into(),
            float(f.used as f32 * 100.0 / f.peak.max(1) as f32),
        ),
        ("allocator.allocated".into(), int(f.used)),
        ("allocator.active".into(), int(f.rss)),
        ("allocator.resident".into(), int(f.rss)),
        ("allocator-fragmentation.ratio".into(), float(allocator_frag.0)),
        ("allocator-fragmentation.bytes".into(), Reply::Integer(allocator_frag.1)),
        ("allocator-rss.ratio".into(), float(allocator_rss.0)),
        ("allocator-rss.bytes".into(), Reply::Integer(allocator_rss.1)),
        ("rss-overhead.ratio".into(), float(rss_overhead.0)),
        ("rss-overhead.bytes".into(), Reply::Integer(rss_overhead.1)),
        ("fragmentation".into(), float(total.0)),
        ("fragmentation.bytes".into(), Reply::Integer(total.1)),
    ]);
    Ok(Reply::map(fields))
}

/// MEMORY DOCTOR: Redis's report (`getMemoryDoctorReport`) on [`Overhead`]'s figures: too
/// little data to judge, or each issue found — a past peak, fragmentation, too many cached
/// scripts — or none.
pub(crate) fn memory_doctor(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let Overhead { figures: f, ratios } = Overhead::of(ctx.ks);
    let [total, allocator_frag, allocator_rss, rss_overhead] = ratios;
    let large = |(ratio, bytes): (f32, i64), over: f32| ratio > over && bytes > 10 << 20;
    #[cfg(feature = "lua")]
    let scripts = ctx.engines.cached_scripts();
    #[cfg(not(feature = "lua"))]
    let scripts = 0;
    let text = if f.used < 5 << 20 {
        DOCTOR_EMPTY.to_string()
    } else {
        let issues: Vec<&str> = [
            (f.peak as f32 / f.used as f32 > 1.5, DOCTOR_PEAK),
            (large(total, 1.4), DOCTOR_FRAGMENTATION),
            (large(allocator_frag, 1.1), DOCTOR_ALLOCATOR_FRAGMENTATION),
            (large(allocator_rss, 1.1), DOCTOR_ALLOCATOR_RSS),
            (large(rss_overhead, 1.1), DOCTOR_PROCESS_RSS),
            (scripts > 1000, DOCTOR_SCRIPTS),
        ]
        .into_iter()
        .filter_map(|(found, text)| found.then_some(text))
        .collect();
        if issues.is_empty() {
            "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
                .to_string()
        } else {
            format!(
                "Sam, I detected a few issues in this Redis instance memory implants:\n\n{}I'm here to keep you safe, Sam. I want to help you.\n",
                issues.concat()
            )
        }
    };
    Ok(Reply::Verbatim(*b"txt", text.into_bytes()))
}

const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
const DOCTOR_PEAK: &str = " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n";
const DOCTOR_FRAGMENTATION: &str = " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"libc\".\n\n";
const DOCTOR_ALLOCATOR_FRAGMENTATION: &str = " * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1. This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. You can try enabling 'activedefrag' config option.\n\n";
const DOCTOR_ALLOCATOR_RSS: &str = " * High allocator RSS overhead: This instance has an RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the allocator is much larger than the sum what the allocator actually holds). This problem is usually due to a large peak memory (check if there is a peak memory entry above in the report), you can try the MEMORY PURGE command to reclaim it.\n\n";
const DOCTOR_PROCESS_RSS: &str = " * High process RSS overhead: This instance has non-allocator RSS memory overhead is greater than 1.1 (this means that the Resident Set Size of the Redis process is much larger than the RSS the allocator holds). This problem may be due to Lua scripts or Modules.\n\n";
const DOCTOR_SCRIPTS: &str = " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n";

/// MEMORY MALLOC-STATS: what Redis answers when it is not built with jemalloc, which is true of
/// embedis (the process's allocator is the system's).
pub(crate) fn memory_malloc_stats(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::bulk("Stats not supported for the current allocator"))
}

/// MEMORY PURGE: OK, as Redis without jemalloc answers (there are no allocator pages to purge).
pub(crate) fn memory_purge(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::ok())
}

/// MEMORY HELP
pub(crate) fn memory_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for all). A store no
/// server serves keeps no slow log: it is empty.
pub(crate) fn slowlog_get(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let count = match argv.get(2) {
        None => Some(10),
        Some(_) if argv.len() > 3 => return Err(super::args::subcommand_syntax_error(argv, "SLOWLOG")),
        Some(arg) => match crate::number::parse_i64(arg) {
            Some(-1) => None,
            Some(n) if n >= 0 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => return Err(CommandError::other("ERR count should be greater than or equal to -1")),
        },
    };
    Ok(with_stats(ctx, Reply::Array(Vec::new()), |stats| {
        stats.slowlog_get(count)
    }))
}

/// SLOWLOG LEN
pub(crate) fn slowlog_len(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(with_stats(ctx, 0, |stats| stats.slowlog_len()) as i64))
}

/// SLOWLOG RESET
pub(crate) fn slowlog_reset(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    with_stats(ctx, (), |stats| stats.slowlog_reset());
    Ok(Reply::ok())
}

/// SLOWLOG HELP
pub(crate) fn slowlog_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET [<count>]",
        "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        "    Entries are made of:",
        "    id, timestamp, time in microseconds, arguments array, client IP and port,",
        "    client name",
        "LEN",
        "    Return the length of the slowlog.",
        "RESET",
        "    Reset the slowlog.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}

/// Runs `f` on the store's command statistics (kept once a server serves the store), or
/// answers `otherwise`.
fn with_stats<T>(ctx: &Ctx<'_>, otherwise: T, f: impl FnOnce(&mut super::stats::CommandStats) -> T) -> T {
    match &ctx.ks.command_stats {
        Some(stats) => f(&mut stats.lock()),
        None => otherwise,
    }
}

/// LATENCY LATEST
pub(crate) fn latency_latest(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(with_stats(ctx, Reply::Array(Vec::new()), |stats| {
        stats.latency.latest()
    }))
}

/// LATENCY HISTORY event
pub(crate) fn latency_history(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(with_stats(ctx, Reply::Array(Vec::new()), |stats| {
        stats.latency.history(argv.arg(2))
    }))
}

/// LATENCY RESET [event ...]
pub(crate) fn latency_reset(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let events: Vec<&[u8]> = argv.iter().skip(2).collect();
    Ok(Reply::Integer(with_stats(ctx, 0, |stats| stats.latency.reset(&events))))
}

/// LATENCY GRAPH event
pub(crate) fn latency_graph(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let event = argv.arg(2);
    match with_stats(ctx, None, |stats| stats.latency.graph(event)) {
        Some(graph) => Ok(Reply::Verbatim(*b"txt", graph.into_bytes())),
        None => Err(CommandError::Other(
            format!(
                "ERR No samples available for event '{}'",
                String::from_utf8_lossy(event)
            )
            .into(),
        )),
    }
}

/// LATENCY DOCTOR
pub(crate) fn latency_doctor(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let disabled = super::latency::LatencyMonitor::default().doctor(10_000);
    let report = with_stats(ctx, disabled, |stats| {
        let slower_than = stats.slowlog_slower_than();
        stats.latency.doctor(slower_than)
    });
    Ok(Reply::Verbatim(*b"txt", report.into_bytes()))
}

/// LATENCY HISTOGRAM [command ...]
pub(crate) fn latency_histogram(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let names: Vec<&[u8]> = argv.iter().skip(2).collect();
    Ok(with_stats(ctx, Reply::Map(Vec::new()), |stats| {
        stats.latency_histogram(&names)
    }))
}

/// LATENCY HELP
pub(crate) fn latency_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
        "    If no commands are specified then all histograms are replied.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}
