//! Conversions between Lua values and Redis replies, and the Rust side of the `redis` API.

use mlua::{Lua, MultiValue, Table, Value as LuaValue};

use crate::argv::Argv;
use crate::command::Ctx;
use crate::command::table::{self, flags};
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
    mlua::Error::RuntimeError(format!("{RAISED}{text}"))
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

/// Redis's error table `{err = "CODE message"}` (`luaPushErrorBuff`): a line starting with `-`
/// gives its own code; otherwise the code is ERR. Trailing CR/LF are trimmed.
pub(super) fn error_table(lua: &Lua, line: &str) -> mlua::Result<Table> {
    let text = match line.strip_prefix('-') {
        Some(rest) => match rest.split_once(' ') {
            Some((code, message)) => format!("{code} {}", message.trim_end_matches(['\r', '\n'])),
            None => format!("ERR {}", rest.trim_end_matches(['\r', '\n'])),
        },
        None => format!("ERR {}", line.trim_end_matches(['\r', '\n'])),
    };
    let table = lua.create_table()?;
    table.raw_set("err", text)?;
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

/// What `redis.call` does when no script runs (it cannot be reached from a script).
pub(super) fn call_outside_script(lua: &Lua, _args: MultiValue) -> mlua::Result<(Table, bool)> {
    Ok((
        error_table(lua, "redis.call is only available while a script runs")?,
        true,
    ))
}

/// KEYS or ARGV: a 1-based table of strings.
pub(super) fn string_array(lua: &Lua, items: &[&[u8]]) -> mlua::Result<Table> {
    let table = lua.create_table_with_capacity(items.len(), 0)?;
    for (i, item) in items.iter().enumerate() {
        table.raw_set(i + 1, lua.create_string(item)?)?;
    }
    Ok(table)
}

/// The argument vector of a `redis.call`, or Redis's error text.
fn argv_from(args: &MultiValue) -> Result<Argv, &'static str> {
    if args.is_empty() {
        return Err("Please specify at least one argument for this redis lib call");
    }
    let mut argv = Argv::new();
    for arg in args.iter() {
        match arg {
            LuaValue::String(s) => argv.push(&*s.as_bytes()),
            // Lua 5.1 has only doubles (mlua hands integral ones over as integers): Redis prints
            // every number with %.17g.
            LuaValue::Integer(n) => argv.push(format_g17(*n as f64)),
            LuaValue::Number(n) => argv.push(format_g17(*n)),
            _ => return Err("Lua redis lib command arguments must be strings or integers"),
        }
    }
    Ok(argv)
}

/// `redis.call` / `redis.pcall`: runs the command and answers (reply, failed), Redis's checks first
/// (`scriptCall`): no arguments, unknown command, arity, commands not allowed in scripts, writes in
/// a read-only script.
pub(super) fn redis_call(
    lua: &Lua,
    ctx: &mut Ctx<'_>,
    args: MultiValue,
    read_only: bool,
) -> mlua::Result<(LuaValue, bool)> {
    let failed =
        |text: &str| -> mlua::Result<(LuaValue, bool)> { Ok((LuaValue::Table(error_table(lua, text)?), true)) };
    let argv = match argv_from(&args) {
        Ok(argv) => argv,
        Err(text) => return failed(text),
    };
    let spec = match table::resolve(&argv) {
        Ok(spec) => spec,
        Err(CommandError::WrongArity(_)) => return failed("Wrong number of args calling Redis command from script"),
        Err(_) => return failed("Unknown Redis command called from script"),
    };
    if spec.has(flags::NO_SCRIPT) {
        return failed("This Redis command is not allowed from script");
    }
    if read_only && spec.has(flags::WRITE) {
        return failed("Write commands are not allowed from read-only scripts.");
    }
    match ctx.run(spec, &argv) {
        Reply::Error(e) => failed(&format!("-{e}")),
        reply => Ok((to_lua(lua, reply)?, false)),
    }
}

/// A reply as Lua sees it (REDIS-SEMANTICS.md §3.3).
fn to_lua(lua: &Lua, reply: Reply) -> mlua::Result<LuaValue> {
    Ok(match reply {
        Reply::Integer(n) => LuaValue::Number(n as f64),
        Reply::Bulk(b) => LuaValue::String(lua.create_string(&b)?),
        Reply::Nil | Reply::NilArray => LuaValue::Boolean(false),
        Reply::Status(s) => {
            let table = lua.create_table()?;
            table.raw_set("ok", s.as_ref())?;
            LuaValue::Table(table)
        }
        Reply::Error(e) => LuaValue::Table(error_table(lua, &format!("-{e}"))?),
        Reply::Array(items) => {
            let table = lua.create_table_with_capacity(items.len(), 0)?;
            for (i, item) in items.into_iter().enumerate() {
                table.raw_set(i + 1, to_lua(lua, item)?)?;
            }
            LuaValue::Table(table)
        }
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

/// A script's return value as a reply (REDIS-SEMANTICS.md §3.2).
pub(super) fn to_reply(value: &LuaValue) -> Reply {
    to_reply_at(value, 0)
}

fn to_reply_at(value: &LuaValue, depth: usize) -> Reply {
    if depth > MAX_DEPTH {
        return Reply::Error(CommandError::other("ERR reached lua stack limit"));
    }
    match value {
        LuaValue::Boolean(true) => Reply::Integer(1),
        LuaValue::Integer(n) => Reply::Integer(*n),
        LuaValue::Number(n) => Reply::Integer(c_cast(*n)),
        LuaValue::String(s) => Reply::Bulk(s.as_bytes().to_vec()),
        LuaValue::Table(t) => {
            if let Ok(LuaValue::String(err)) = t.raw_get::<LuaValue>("err") {
                let line = err.to_string_lossy().replace(['\r', '\n'], " ");
                return Reply::Error(CommandError::Other(line.into()));
            }
            if let Ok(LuaValue::String(ok)) = t.raw_get::<LuaValue>("ok") {
                return Reply::Status(ok.to_string_lossy().replace(['\r', '\n'], " ").into());
            }
            let mut items = Vec::new();
            for i in 1.. {
                match t.raw_get::<LuaValue>(i) {
                    Ok(LuaValue::Nil) | Err(_) => break,
                    Ok(item) => items.push(to_reply_at(&item, depth + 1)),
                }
            }
            Reply::Array(items)
        }
        _ => Reply::Nil,
    }
}

/// The message handler scripts run under: any error becomes `{err = …}` with the position of the
/// user's code that raised it (Redis's `__redis__err__handler`).
pub(super) fn error_handler(lua: &Lua, err: LuaValue) -> mlua::Result<Table> {
    let table = match &err {
        LuaValue::Table(t) if matches!(t.raw_get::<LuaValue>("err"), Ok(LuaValue::String(_))) => t.clone(),
        LuaValue::Error(_) if raised_text(&err).is_some() => {
            let table = lua.create_table()?;
            table.raw_set("err", raised_text(&err))?;
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
        Ok(LuaValue::String(s)) => s.to_string_lossy(),
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
