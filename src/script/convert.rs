//! Conversions between Lua values and Redis replies, and the Rust side of the `redis` API.

use std::sync::atomic::Ordering;

use mlua::{Lua, MultiValue, Table, Value as LuaValue};

use super::Running;

use crate::argv::Argv;
use crate::command::table::{self, flags};
use crate::command::{Ctx, args};
use crate::error::CommandError;
use crate::number::format_g17;
use crate::reply::Reply;

/// How deep a returned table may nest before the reply is refused (Redis's Lua stack limit).
const MAX_DEPTH: usize = 1000;

/// Marks a Lua error raised by `redis.call` with a Redis error table's text.
const RAISED: &str = "\u{1}redis-error\u{1}";

/// The Lua error `redis.call` raises for an error reply: Rust can raise only errors, so the reply's
/// text travels in a marked message that the error handler and `pcall` turn back into the table.
pub(super) fn raise(reply: &LuaValue) -> mlua::Error {
    let text = match reply {
        LuaValue::Table(t) => match t.raw_get::<LuaValue>("err") {
            Ok(LuaValue::String(s)) => s.to_string_lossy(),
            _ => "ERR unknown error".into(),
        },
        _ => "ERR unknown error".into(),
    };
    raised(&text)
}

/// The Lua error `redis.call` raises for an error reply whose table's text is `text`.
pub(super) fn raised(text: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!("{RAISED}{text}"))
}

/// The error a killed script fails with (SCRIPT KILL and FUNCTION KILL alike, as in Redis).
pub(super) fn killed() -> mlua::Error {
    mlua::Error::RuntimeError(format!("{RAISED}ERR Script killed by user with SCRIPT KILL..."))
}

/// The field Redis sets on the error table of a failed `redis.call`: already counted in INFO
/// errorstats.
pub(super) const COUNTED: &str = "ignore_error_stats_update";

/// Whether `value` is an error table whose error was already counted (see [`COUNTED`]).
pub(super) fn already_counted(value: &LuaValue) -> bool {
    matches!(value, LuaValue::Table(t) if matches!(t.raw_get::<LuaValue>(COUNTED), Ok(LuaValue::Boolean(true))))
}

/// The Redis error text a `redis.call` error carries, if `value` is one.
pub(super) fn raised_text(value: &LuaValue) -> Option<String> {
    match value {
        LuaValue::Error(e) => lua_message(e).strip_prefix(RAISED).map(str::to_string),
        _ => None,
    }
}

/// `__embedis_error_text(e)` for the prelude's `pcall`: the text of a `redis.call` error, or nil.
pub(super) fn error_text(_lua: &Lua, value: LuaValue) -> mlua::Result<Option<String>> {
    Ok(raised_text(&value))
}

/// The message of a Lua error, without mlua's decorations.
pub(super) fn lua_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        mlua::Error::RuntimeError(message) => message.clone(),
        mlua::Error::CallbackError { cause, .. } => lua_message(cause),
        other => other.to_string(),
    }
}

/// The text of Redis's error table for `line` (`luaPushErrorBuff`): a line starting with `-`
/// gives its own code; otherwise the code is ERR. Trailing CR/LF are trimmed.
pub(super) fn error_text_of(line: &str) -> String {
    match line.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, message)) => format!("{code} {}", message.trim_end_matches(['\r', '\n'])),
            None => format!("ERR {}", rest.trim_end_matches(['\r', '\n'])),
        },
        None => format!("ERR {}", line.trim_end_matches(['\r', '\n'])),
    }
}

/// Redis's error table `{err = "CODE message"}` for `line`, as [`error_text_of`] reads it.
pub(super) fn error_table(lua: &Lua, line: &str) -> mlua::Result<Table> {
    let table = lua.create_table()?;
    table.raw_set("err", error_text_of(line))?;
    Ok(table)
}

/// `redis.error_reply(message)`.
pub(super) fn error_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Table> {
    match args.iter().collect::<Vec<_>>().as_slice() {
        [LuaValue::String(s)] => {
            let text = s.to_string_lossy();
            let line = if text.starts_with('-') {
                text
            } else {
                format!("-{text}")
            };
            error_table(lua, &line)
        }
        _ => error_table(lua, "wrong number or type of arguments"),
    }
}

/// `redis.status_reply(message)`.
pub(super) fn status_reply(lua: &Lua, args: MultiValue) -> mlua::Result<Table> {
    match args.iter().collect::<Vec<_>>().as_slice() {
        [LuaValue::String(s)] => {
            let table = lua.create_table()?;
            table.raw_set("ok", s.clone())?;
            Ok(table)
        }
        _ => error_table(lua, "wrong number or type of arguments"),
    }
}

/// `redis.sha1hex(string)`.
pub(super) fn sha1hex(lua: &Lua, args: MultiValue) -> mlua::Result<String> {
    if args.len() != 1 {
        return Err(raise(&LuaValue::Table(error_table(lua, "wrong number of arguments")?)));
    }
    let bytes = match &args[0] {
        LuaValue::String(s) => s.as_bytes().to_vec(),
        LuaValue::Integer(n) => format_g17(*n as f64),
        LuaValue::Number(n) => format_g17(*n),
        _ => Vec::new(),
    };
    Ok(super::sha1_hex(&bytes))
}

/// `redis.log(level, message…)`: to the `log` facade under the target `embedis::script`, at the level
/// Redis's constant names (LOG_DEBUG → debug, LOG_VERBOSE and LOG_NOTICE → info, LOG_WARNING →
/// warn). The arguments are joined with spaces, as Redis does.
pub(super) fn log(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(mlua::Error::RuntimeError(
            "redis.log() requires two arguments or more.".into(),
        ));
    }
    let level = match &args[0] {
        LuaValue::Integer(n) => *n,
        LuaValue::Number(n) => *n as i64,
        _ => {
            return Err(mlua::Error::RuntimeError(
                "First argument must be a number (log level).".into(),
            ));
        }
    };
    let level = match level {
        0 => log::Level::Debug,
        1 | 2 => log::Level::Info,
        3 => log::Level::Warn,
        _ => return Err(mlua::Error::RuntimeError("Invalid debug level.".into())),
    };
    let tostring: mlua::Function = lua.globals().get("tostring")?;
    let mut parts = Vec::with_capacity(args.len() - 1);
    for arg in args.into_iter().skip(1) {
        parts.push(tostring.call::<String>(arg)?);
    }
    log::log!(target: "embedis::script", level, "{}", parts.join(" "));
    Ok(())
}

/// `redis.setresp(2|3)`: the protocol of the script's `redis.call` replies and of its own
/// booleans.
pub(super) fn setresp(running: &Running, args: MultiValue) -> mlua::Result<()> {
    if !running.is_running() {
        return Err(mlua::Error::RuntimeError(
            "redis.setresp can only be called inside a script invocation".into(),
        ));
    }
    if args.len() != 1 {
        return Err(mlua::Error::RuntimeError(
            "redis.setresp() requires one argument.".into(),
        ));
    }
    // lua_tonumber, then C's cast to int.
    let resp = match &args[0] {
        LuaValue::Integer(n) => *n as f64,
        LuaValue::Number(n) => *n,
        LuaValue::String(s) => s
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .unwrap_or(0.0),
        _ => 0.0,
    };
    match resp.trunc() {
        2.0 => running.resp.store(2, Ordering::Relaxed),
        3.0 => running.resp.store(3, Ordering::Relaxed),
        _ => return Err(mlua::Error::RuntimeError("RESP version must be 2 or 3.".into())),
    }
    Ok(())
}

/// The argument vector of a `redis.call`, or Redis's error text.
fn argv_from(args: &MultiValue) -> Result<Argv, &'static str> {
    if args.is_empty() {
        return Err(NO_ARGUMENTS);
    }
    let mut argv = Argv::new();
    for arg in args.iter() {
        match arg {
            LuaValue::String(s) => argv.push(&*s.as_bytes()),
            // Lua 5.1 has only doubles (mlua hands integral ones over as integers): Redis prints
            // every number with %.17g.
            LuaValue::Integer(n) => argv.push(format_g17(*n as f64)),
            LuaValue::Number(n) => argv.push(format_g17(*n)),
            _ => return Err(BAD_ARGUMENT),
        }
    }
    Ok(argv)
}

/// Redis's error for a `redis.call` without arguments.
pub(super) const NO_ARGUMENTS: &str = "Please specify at least one argument for this redis lib call";

/// Redis's error for a `redis.call` argument that is neither a string nor a number.
pub(super) const BAD_ARGUMENT: &str = "Lua redis lib command arguments must be strings or integers";

/// Redis's error for `redis.call` between runs.
pub(super) const NOT_RUNNING: &str = "redis.call is only available while a script runs";

/// `redis.call` and `redis.pcall`: runs the command on the running invocation, answering the reply
/// and whether it is an error; between runs, the error that no script is running.
pub(super) fn call_running(lua: &Lua, running: &Running, args: MultiValue) -> mlua::Result<(LuaValue, bool)> {
    let outcome = running.with_ctx(|ctx, read_only| run_call(ctx, argv_from(&args), read_only, running));
    match outcome {
        Some(Ok(reply)) => Ok((to_lua(lua, reply, running.resp.load(Ordering::Relaxed) == 3)?, false)),
        Some(Err(line)) => {
            let table = error_table(lua, &line)?;
            // As Redis marks it: the error was counted when the command failed (INFO errorstats),
            // so the script returning or raising it counts it no more.
            table.raw_set(COUNTED, true)?;
            Ok((LuaValue::Table(table), true))
        }
        None => Ok((LuaValue::Table(error_table(lua, NOT_RUNNING)?), true)),
    }
}

/// What `redis.call` and `redis.pcall` do with a command line (`argv`, or the error text of
/// arguments that make none), Redis's checks first (`scriptCall`): no arguments, unknown
/// command, arity, commands not allowed in scripts, writes in a read-only script. Answers the
/// reply, or the error line for [`error_table`] (a refusal or the command's own error), already
/// counted in the statistics.
pub(super) fn run_call(
    ctx: &mut Ctx<'_>,
    argv: Result<Argv, &'static str>,
    read_only: bool,
    running: &Running,
) -> Result<Reply, String> {
    // A command refused before it runs counts as rejected (INFO commandstats, errorstats).
    let refused = |ctx: &Ctx<'_>, name: Option<&'static str>, text: &str| {
        if let Some(stats) = &ctx.ks.command_stats {
            stats
                .lock()
                .rejected(name, &CommandError::Other(format!("ERR {text}").into()));
        }
        Err(text.to_string())
    };
    let argv = match argv {
        Ok(argv) => argv,
        Err(text) => return refused(ctx, None, text),
    };
    // A script a server's client runs knows the server's own commands.
    let spec = match table::resolve_for(&argv, None, ctx.host.is_some()) {
        Ok(spec) => spec,
        Err(CommandError::WrongArity(_)) => {
            let name = table::lookup(argv.arg(0)).map(|spec| spec.name);
            return refused(ctx, name, "Wrong number of args calling Redis command from script");
        }
        Err(_) => return refused(ctx, None, "Unknown Redis command called from script"),
    };
    // The server's commands Redis keeps from scripts (all but INFO) run once DEBUG
    // SET-DISABLE-DENY-SCRIPTS allows them; never those that act on the connection itself
    // (QUIT, SYNC, REPLCONF, and MULTI, SUBSCRIBE, … of the others).
    let denied = match spec.run {
        table::Run::Host(table::HostOp::Quit | table::HostOp::Sync | table::HostOp::Replconf) => true,
        table::Run::Host(_) => {
            crate::command::reference::flagged(spec.name, "noscript") && !ctx.ks.scripts_call_server_commands
        }
        _ => spec.has(flags::NO_SCRIPT),
    };
    if denied {
        return refused(ctx, Some(spec.name), "This Redis command is not allowed from script");
    }
    // The permissions of the user running the script (Redis's `scriptVerifyACL`).
    if let Err(denied) = crate::command::acl::user_permits(&ctx.ks.acl, ctx.user, spec, &argv) {
        let info = match ctx.host.as_deref() {
            Some(host) => host.client_info(ctx.client),
            None => format!("id={} addr= laddr= db={}", ctx.client, ctx.db),
        };
        let context = crate::acl::LogContext::Lua;
        ctx.ks
            .acl
            .log_denied((denied, context), ctx.user, (spec.name, &argv), info);
        let text = format!(
            "The user executing the script can't {}",
            crate::acl::denial_reason(denied)
        );
        return refused(ctx, Some(spec.name), &text);
    }
    // A read-only script may not run what may write to the replication stream either
    // (PUBLISH, SPUBLISH, PFCOUNT): Redis's rule, which lets CLIENT PAUSE WRITE run them.
    if read_only && (spec.has(flags::WRITE) || spec.has(flags::MAY_REPLICATE)) {
        return refused(
            ctx,
            Some(spec.name),
            "Write commands are not allowed from read-only scripts.",
        );
    }
    // A script may not write on a read-only replica.
    if spec.has(flags::WRITE) && ctx.ks.following.refuses_writes() {
        if let Some(stats) = &ctx.ks.command_stats {
            stats.lock().rejected(Some(spec.name), &CommandError::ReadOnlyReplica);
        }
        return Err(format!("-{}", CommandError::ReadOnlyReplica));
    }
    // Until it has written, a script may not write while there are not enough good replicas
    // (Redis's `scriptVerifyWriteCommandAllow`; a script with flags that may write was refused
    // before it started).
    if spec.has(flags::WRITE) && !running.watchdog.has_written() && ctx.ks.not_enough_replicas() {
        if let Some(stats) = &ctx.ks.command_stats {
            stats.lock().rejected(Some(spec.name), &CommandError::NoReplicas);
        }
        return Err(format!("-{}", CommandError::NoReplicas));
    }
    // Out of memory when the script started: until it has written, it may not run what could
    // grow the store (Redis's `scriptVerifyOOM`).
    if running.checks_memory.load(Ordering::Relaxed)
        && ctx.ks.out_of_memory()
        && !running.watchdog.has_written()
        && crate::command::reference::denied_out_of_memory(spec.name)
    {
        if let Some(stats) = &ctx.ks.command_stats {
            stats.lock().rejected(Some(spec.name), &CommandError::OutOfMemory);
        }
        return Err(format!("-{}", CommandError::OutOfMemory));
    }
    // In cluster mode its commands keep to this node's slots, and (unless it may cross slots)
    // to one slot (Redis's `scriptVerifyClusterState`).
    if let Some(cluster) = ctx.ks.cluster.clone() {
        let keyspace = &*ctx.ks;
        let mut exists = |key: &[u8]| keyspace.has_live(0, key);
        let refusal = match cluster.route([(spec, &argv)], ctx.asking, &mut exists) {
            Ok(None) => None,
            Ok(Some(slot)) => {
                let pinned = running.slot.load(Ordering::Relaxed);
                if pinned == super::NO_SLOT {
                    running.slot.store(u32::from(slot), Ordering::Relaxed);
                    None
                } else if pinned != u32::from(slot) && !running.cross_slot.load(Ordering::Relaxed) {
                    Some("Script attempted to access keys that do not hash to the same slot")
                } else {
                    None
                }
            }
            Err(CommandError::ClusterDown("The cluster is down")) => {
                Some("Script attempted to execute a command while the cluster is down")
            }
            Err(CommandError::ClusterDown("The cluster is down and only accepts read commands")) => {
                Some("Script attempted to execute a write command while the cluster is down and readonly")
            }
            Err(_) => Some("Script attempted to access a non local key in a cluster node"),
        };
        if let Some(text) = refusal {
            return refused(ctx, Some(spec.name), text);
        }
    }
    // On a stale replica (one an `allow-stale` script runs on) only what Redis flags `stale`
    // runs (Redis's `scriptVerifyAllowStale`).
    if ctx.ks.following.is_stale() && !crate::replica::runs_when_stale(spec) {
        return refused(ctx, Some(spec.name), "Can not execute the command on a stale replica");
    }
    if spec.has(flags::WRITE) {
        // From here on the script cannot be killed: its writes would stay.
        running.watchdog.wrote();
    }
    // The script's commands speak the script's protocol, not its caller's.
    let resp = running.resp.load(Ordering::Relaxed);
    let reply = match spec.run {
        table::Run::Host(op) => run_server_command(ctx, op, spec, &argv, resp),
        _ => {
            let caller_resp = std::mem::replace(&mut ctx.resp, resp);
            let reply = ctx.run(spec, &argv);
            ctx.resp = caller_resp;
            reply
        }
    };
    match reply {
        Reply::Error(e) => Err(format!("-{e}")),
        reply => Ok(reply),
    }
}

/// One of the server's own commands, called by a script a server's client runs: the server
/// answers it as it would the client, in the script's protocol (`resp`), on the locked keyspace.
fn run_server_command(
    ctx: &mut Ctx<'_>,
    op: table::HostOp,
    spec: &'static table::CommandSpec,
    argv: &Argv,
    resp: u8,
) -> Reply {
    let Some(host) = ctx.host.as_deref_mut() else {
        // Not reached: without a server, resolving refuses its commands.
        return Reply::Error(table::unknown_command(argv));
    };
    let caller = crate::command::Caller {
        client: ctx.client,
        db: ctx.db,
        protocol: resp,
        hosted: true,
        in_exec: true,
        asking: ctx.asking,
        write_offset: ctx.write_offset,
        user: ctx.user,
    };
    let mut session = crate::connection::Session {
        protocol: resp,
        name: None,
        tracking: false,
        user: ctx.user,
    };
    let reply = host.run(crate::connection::HostCall {
        op,
        spec,
        argv,
        caller,
        ks: Some(&mut *ctx.ks),
        engines: Some(&mut *ctx.engines),
        session: &mut session,
    });
    if resp == 2 { reply.into_resp2() } else { reply }
}

/// `{<field> = value}`.
fn tagged(lua: &Lua, field: &str, value: impl mlua::IntoLua) -> mlua::Result<LuaValue> {
    let table = lua.create_table()?;
    table.raw_set(field, value)?;
    Ok(LuaValue::Table(table))
}

/// A reply as Lua sees it (`docs/behaviour.md` §3; after `redis.setresp(3)`, RESP3's types as
/// Redis 7.0 converts them: nil, `{map=…}`, `{set=…}`, `{double=…}`, booleans, `{big_number=…}`,
/// `{verbatim_string={format=…, string=…}}`).
pub(super) fn to_lua(lua: &Lua, reply: Reply, resp3: bool) -> mlua::Result<LuaValue> {
    Ok(match reply {
        Reply::Integer(n) => LuaValue::Number(n as f64),
        Reply::Bulk(b) => LuaValue::String(lua.create_string(&b)?),
        Reply::Nil | Reply::NilArray if resp3 => LuaValue::Nil,
        Reply::Nil | Reply::NilArray => LuaValue::Boolean(false),
        Reply::Status(s) => tagged(lua, "ok", s.as_ref())?,
        Reply::Error(e) => LuaValue::Table(error_table(lua, &format!("-{e}"))?),
        // A push never answers a script's call (the subscription commands are refused there);
        // were one to, it reads as the array it is in RESP2.
        Reply::Array(items) | Reply::Push(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                table.raw_set(i + 1, to_lua(lua, item, resp3)?)?;
            }
            LuaValue::Table(table)
        }
        // Maps and sets are filled as Redis fills them, into a table made empty (no room set
        // aside), so that the table grows as Redis's does and a script walks it in Redis's order.
        Reply::Map(pairs) => {
            let map = lua.create_table()?;
            for (key, value) in pairs {
                map.raw_set(to_lua(lua, key, resp3)?, to_lua(lua, value, resp3)?)?;
            }
            tagged(lua, "map", map)?
        }
        Reply::Set(items) => {
            let set = lua.create_table()?;
            for item in items {
                set.raw_set(to_lua(lua, item, resp3)?, true)?;
            }
            tagged(lua, "set", set)?
        }
        Reply::Double(d) | Reply::LongDouble(d) => tagged(lua, "double", d)?,
        Reply::Boolean(b) => LuaValue::Boolean(b),
        Reply::BigNumber(n) => tagged(lua, "big_number", n)?,
        Reply::Verbatim(format, text) => {
            let verbatim = lua.create_table()?;
            verbatim.raw_set("format", lua.create_string(format)?)?;
            verbatim.raw_set("string", lua.create_string(&text)?)?;
            tagged(lua, "verbatim_string", verbatim)?
        }
        // Redis reads attributes past and hands a script the reply alone.
        Reply::Attributed(_, reply) => to_lua(lua, *reply, resp3)?,
    })
}

/// C's conversion of a double to `long long` on the machines Redis runs on: NaN and out of range
/// become the smallest integer.
fn c_cast(n: f64) -> i64 {
    if n.is_nan() || !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        i64::MIN
    } else {
        n.trunc() as i64
    }
}

/// A script's return value as a reply (`docs/behaviour.md` §3, Redis's `luaReplyToRedisReply`):
/// `resp3` is the script's protocol, which decides how booleans reply.
///
/// Tables nest as deep as a script likes (even into themselves), so the walk keeps its own stack
/// instead of recursing, and a table nested deeper than Redis's Lua stack allows becomes
/// `ERR reached lua stack limit` in its place.
pub(super) fn to_reply(value: &LuaValue, resp3: bool) -> Reply {
    let mut stack: Vec<Nested> = Vec::new();
    let mut step = begin(value, 0, resp3);
    loop {
        let reply = match step {
            Step::Done(reply) => reply,
            Step::Open(nested) => {
                stack.push(nested);
                let top = stack.last_mut().map(Nested::next_child);
                match top {
                    Some(Some(child)) => {
                        step = begin(&child, stack.len(), resp3);
                        continue;
                    }
                    _ => match stack.pop() {
                        Some(done) => done.finish(),
                        None => return Reply::Nil,
                    },
                }
            }
        };
        // A value is complete: hand it to the table it belongs to, then move to that table's next.
        let mut reply = reply;
        loop {
            let Some(parent) = stack.last_mut() else {
                return reply;
            };
            parent.results.push(reply);
            match parent.next_child() {
                Some(child) => {
                    step = begin(&child, stack.len(), resp3);
                    break;
                }
                None => match stack.pop() {
                    Some(done) => reply = done.finish(),
                    None => return Reply::Nil,
                },
            }
        }
    }
}

/// What a table nests: an array, a `{map=…}` or a `{set=…}`.
#[derive(Clone, Copy)]
enum Shape {
    Array,
    Map,
    Set,
}

/// A table being converted: the values to convert in order (a map's keys and values
/// alternately) and the replies made of them so far.
struct Nested {
    shape: Shape,
    children: std::vec::IntoIter<LuaValue>,
    results: Vec<Reply>,
}

impl Nested {
    fn next_child(&mut self) -> Option<LuaValue> {
        self.children.next()
    }

    fn finish(self) -> Reply {
        match self.shape {
            Shape::Array => Reply::Array(self.results),
            Shape::Set => Reply::Set(self.results),
            Shape::Map => {
                let mut pairs = Vec::with_capacity(self.results.len() / 2);
                let mut it = self.results.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Reply::Map(pairs)
            }
        }
    }
}

/// The first step of converting one value at `depth`.
enum Step {
    Done(Reply),
    Open(Nested),
}

fn begin(value: &LuaValue, depth: usize, resp3: bool) -> Step {
    if depth > MAX_DEPTH {
        return Step::Done(Reply::Error(CommandError::other("ERR reached lua stack limit")));
    }
    Step::Done(match value {
        LuaValue::Boolean(b) if resp3 => Reply::Boolean(*b),
        LuaValue::Boolean(true) => Reply::Integer(1),
        LuaValue::Integer(n) => Reply::Integer(*n),
        LuaValue::Number(n) => Reply::Integer(c_cast(*n)),
        LuaValue::String(s) => Reply::Bulk(s.as_bytes().to_vec()),
        LuaValue::Table(t) => return table_step(t),
        _ => Reply::Nil,
    })
}

/// A field of a returned table, read raw as Redis reads it.
fn field(t: &Table, name: &str) -> LuaValue {
    t.raw_get::<LuaValue>(name).unwrap_or(LuaValue::Nil)
}

/// A returned table: an error, a status, a RESP3 type by its field, or else an array up to the
/// first nil — checked in Redis's order.
fn table_step(t: &Table) -> Step {
    let one_line = |s: &mlua::LuaString| s.to_string_lossy().replace(['\r', '\n'], " ");
    // Redis copies an error or status as a C string: it ends at the first NUL.
    if let LuaValue::String(err) = field(t, "err") {
        return Step::Done(Reply::Error(CommandError::Other(
            args::error_text(&err.as_bytes()).into(),
        )));
    }
    if let LuaValue::String(ok) = field(t, "ok") {
        return Step::Done(Reply::Status(args::error_text(&ok.as_bytes()).into()));
    }
    match field(t, "double") {
        LuaValue::Integer(n) => return Step::Done(Reply::Double(n as f64)),
        LuaValue::Number(n) => return Step::Done(Reply::Double(n)),
        _ => {}
    }
    if let LuaValue::String(n) = field(t, "big_number") {
        return Step::Done(Reply::BigNumber(one_line(&n)));
    }
    if let LuaValue::Table(verbatim) = field(t, "verbatim_string")
        && let (LuaValue::String(format), LuaValue::String(text)) =
            (field(&verbatim, "format"), field(&verbatim, "string"))
    {
        // Three bytes of format, padded with spaces (`addReplyVerbatim`).
        let mut ext = [b' '; 3];
        for (slot, byte) in ext.iter_mut().zip(format.as_bytes().iter().take_while(|&&b| b != 0)) {
            *slot = *byte;
        }
        return Step::Done(Reply::Verbatim(ext, text.as_bytes().to_vec()));
    }
    let (shape, children): (Shape, Vec<LuaValue>) = if let LuaValue::Table(map) = field(t, "map") {
        let pairs = map.pairs::<LuaValue, LuaValue>().filter_map(Result::ok);
        (Shape::Map, pairs.flat_map(|(k, v)| [k, v]).collect())
    } else if let LuaValue::Table(set) = field(t, "set") {
        let members = set.pairs::<LuaValue, LuaValue>().filter_map(Result::ok);
        (Shape::Set, members.map(|(k, _)| k).collect())
    } else {
        let items = (1..).map_while(|i| match t.raw_get::<LuaValue>(i) {
            Ok(LuaValue::Nil) | Err(_) => None,
            Ok(item) => Some(item),
        });
        (Shape::Array, items.collect())
    };
    Step::Open(Nested {
        results: Vec::with_capacity(children.len()),
        shape,
        children: children.into_iter(),
    })
}

/// The message handler scripts run under: any error becomes `{err = …}` with the position of the
/// user's code that raised it (Redis's `__redis__err__handler`).
pub(super) fn error_handler(lua: &Lua, err: LuaValue) -> mlua::Result<Table> {
    let table = match &err {
        LuaValue::Table(t) if matches!(t.raw_get::<LuaValue>("err"), Ok(LuaValue::String(_))) => t.clone(),
        LuaValue::Error(_) if raised_text(&err).is_some() => {
            let table = lua.create_table()?;
            table.raw_set("err", raised_text(&err))?;
            table.raw_set(COUNTED, true)?;
            table
        }
        LuaValue::String(s) => error_table(lua, &s.to_string_lossy())?,
        LuaValue::Error(e) => error_table(lua, &lua_message(e))?,
        other => {
            let text: String = lua.globals().get::<mlua::Function>("tostring")?.call(other.clone())?;
            error_table(lua, &text)?
        }
    };
    if matches!(table.raw_get::<LuaValue>("source"), Ok(LuaValue::Nil)) {
        for level in 1..64 {
            let frame = lua.inspect_stack(level, |frame| {
                let source = frame.source();
                let user = source.what != "C" && source.source.as_deref().is_some_and(|s| s.starts_with("@user_"));
                (user, source.source.map(|s| s.into_owned()), frame.current_line())
            });
            match frame {
                None => break,
                Some((true, Some(source), line)) => {
                    table.raw_set("source", source)?;
                    table.raw_set("line", line.unwrap_or(0))?;
                    break;
                }
                Some(_) => {}
            }
        }
    }
    Ok(table)
}

/// An uncaught error as the reply of EVAL: `<err> script: <sha>, on <source>:<line>.`
pub(super) fn raised_error(value: &LuaValue, sha: &str) -> Reply {
    let LuaValue::Table(t) = value else {
        return Reply::Error(CommandError::Other(format!("ERR unknown error script: {sha}").into()));
    };
    let err = match t.raw_get::<LuaValue>("err") {
        Ok(LuaValue::String(s)) => args::error_text(&s.as_bytes()),
        _ => "ERR unknown error".into(),
    };
    let line = match (t.raw_get::<LuaValue>("source"), t.raw_get::<LuaValue>("line")) {
        (Ok(LuaValue::String(source)), Ok(line)) => {
            let line = match line {
                LuaValue::Integer(n) => n.to_string(),
                LuaValue::Number(n) => (n as i64).to_string(),
                _ => "0".into(),
            };
            format!("{err} script: {sha}, on {}:{line}.", source.to_string_lossy())
        }
        _ => format!("{err} script: {sha}"),
    };
    Reply::Error(CommandError::Other(line.replace(['\r', '\n'], " ").into()))
}

/// `redis.acl_check_cmd(command, arg, ...)`: whether the user running the script may run the
/// command line (Redis's `luaRedisAclCheckCmdPermissionsCommand`; an unknown command is an
/// error, a wrong arity is not checked).
pub(super) fn acl_check_cmd(running: &Running, args: MultiValue) -> mlua::Result<bool> {
    if !running.is_running() {
        return Err(mlua::Error::RuntimeError(
            "redis.acl_check_cmd can only be called inside a script invocation".into(),
        ));
    }
    let argv = argv_from(&args).map_err(|text| mlua::Error::RuntimeError(text.into()))?;
    let checked = running.with_ctx(|ctx, _| {
        let spec = table::lookup_full(&argv)?;
        Some(crate::command::acl::user_permits(&ctx.ks.acl, ctx.user, spec, &argv).is_ok())
    });
    match checked.flatten() {
        Some(allowed) => Ok(allowed),
        None => Err(mlua::Error::RuntimeError(
            "Invalid command passed to redis.acl_check_cmd()".into(),
        )),
    }
}
