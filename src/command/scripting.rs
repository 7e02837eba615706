//! EVAL, EVALSHA and SCRIPT (Redis's `eval.c`), FCALL and FUNCTION (`functions.c`), over the
//! engines in `crate::script`.

use super::args::int;
use super::{Ctx, Engines};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::reply::Reply;
use crate::script::ScriptEngine;
use crate::script::functions::{FunctionEngine, RestorePolicy};
use crate::script::payload;

/// How many keys and arguments of a script call are gathered on the stack (more are gathered in
/// a vector).
const KEYS_AND_ARGS_ON_STACK: usize = 16;

/// Calls `f` with the keys and the arguments after EVAL's numkeys (a KEYS and an ARGV), once
/// numkeys has passed Redis's checks in Redis's order.
fn with_keys_and_args<T>(
    argv: &Argv,
    f: impl FnOnce(&[&[u8]], &[&[u8]]) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let numkeys = int(argv.arg(2))?;
    with_numkeys_split(argv, numkeys, f)
}

/// Calls `f` with the `numkeys` keys after a script call's third word and the arguments after
/// them: the first when numkeys is out of range, Redis's errors instead.
fn with_numkeys_split<T>(
    argv: &Argv,
    numkeys: i64,
    f: impl FnOnce(&[&[u8]], &[&[u8]]) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let available = argv.len() - 3;
    if numkeys > available as i64 {
        return Err(CommandError::other(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(CommandError::other("ERR Number of keys can't be negative"));
    }
    let split = numkeys as usize;
    if available <= KEYS_AND_ARGS_ON_STACK {
        let mut words: [&[u8]; KEYS_AND_ARGS_ON_STACK] = [&[]; KEYS_AND_ARGS_ON_STACK];
        for (word, i) in words.iter_mut().zip(3..argv.len()) {
            *word = argv.arg(i);
        }
        f(&words[..split], &words[split..available])
    } else {
        let words: Vec<&[u8]> = argv.iter().skip(3).collect();
        f(&words[..split], &words[split..])
    }
}

/// A Lua engine kept beside the keyspace: EVAL's or the functions'.
trait Engine: Sized {
    fn create(engines: &Engines) -> Result<Self, CommandError>;
    fn slot(engines: &mut Engines) -> &mut Option<Box<Self>>;
}

impl Engine for ScriptEngine {
    fn create(engines: &Engines) -> Result<Self, CommandError> {
        ScriptEngine::new(
            std::sync::Arc::clone(&engines.random),
            std::sync::Arc::clone(&engines.watchdog),
        )
    }
    fn slot(engines: &mut Engines) -> &mut Option<Box<Self>> {
        &mut engines.scripts
    }
}

impl Engine for FunctionEngine {
    fn create(engines: &Engines) -> Result<Self, CommandError> {
        FunctionEngine::new(
            std::sync::Arc::clone(&engines.random),
            std::sync::Arc::clone(&engines.watchdog),
        )
    }
    fn slot(engines: &mut Engines) -> &mut Option<Box<Self>> {
        &mut engines.functions
    }
}

/// Runs `f` with one of the Lua engines taken out of its slot (so a script can borrow the context),
/// creating the engine on first use.
fn with_engine<E: Engine, T>(ctx: &mut Ctx<'_>, f: impl FnOnce(&mut E, &mut Ctx<'_>) -> T) -> Result<T, CommandError> {
    // Nothing blocks inside a script: blocking commands answer as if timed out.
    ctx.may_block = false;
    let outer_script = std::mem::replace(&mut ctx.in_script, true);
    let mut engine = match E::slot(ctx.engines).take() {
        Some(engine) => engine,
        None => Box::new(E::create(ctx.engines)?),
    };
    // SELECT inside a script does not change the caller's database.
    let db = ctx.db;
    let result = f(&mut engine, ctx);
    ctx.db = db;
    ctx.in_script = outer_script;
    *E::slot(ctx.engines) = Some(engine);
    Ok(result)
}

/// EVAL and EVAL_RO: compiles (or finds) the script, then runs it.
fn eval_generic(ctx: &mut Ctx<'_>, argv: &Argv, read_only: bool) -> Result<Reply, CommandError> {
    with_keys_and_args(argv, |keys, args| {
        with_engine(ctx, |engine: &mut ScriptEngine, ctx| {
            let sha = engine.load(argv.arg(1))?;
            Ok(engine.run(ctx, argv, &sha, keys, args, read_only))
        })?
    })
}

/// EVALSHA and EVALSHA_RO: runs a cached script by SHA1 (any case).
fn evalsha_generic(ctx: &mut Ctx<'_>, argv: &Argv, read_only: bool) -> Result<Reply, CommandError> {
    with_keys_and_args(argv, |keys, args| {
        with_engine(ctx, |engine: &mut ScriptEngine, ctx| match engine.find(argv.arg(1)) {
            Some(sha) => Ok(engine.run(ctx, argv, sha, keys, args, read_only)),
            None => Err(CommandError::other("NOSCRIPT No matching script. Please use EVAL.")),
        })?
    })
}

/// EVAL script numkeys [key ...] [arg ...]
pub(crate) fn eval(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    eval_generic(ctx, argv, false)
}

/// EVAL_RO script numkeys [key ...] [arg ...]: write commands are refused.
pub(crate) fn eval_ro(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    eval_generic(ctx, argv, true)
}

/// EVALSHA sha1 numkeys [key ...] [arg ...]
pub(crate) fn evalsha(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    evalsha_generic(ctx, argv, false)
}

/// EVALSHA_RO sha1 numkeys [key ...] [arg ...]
pub(crate) fn evalsha_ro(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    evalsha_generic(ctx, argv, true)
}

/// SCRIPT LOAD script
pub(crate) fn script_load(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    with_engine(ctx, |engine: &mut ScriptEngine, _| {
        engine.load(argv.arg(2)).map(Reply::bulk)
    })?
}

/// SCRIPT EXISTS sha1 [sha1 ...]
pub(crate) fn script_exists(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    with_engine(ctx, |engine: &mut ScriptEngine, _| {
        Reply::Array(
            argv.iter()
                .skip(2)
                .map(|sha| Reply::Integer(engine.find(sha).is_some() as i64))
                .collect(),
        )
    })
}

/// Whether SCRIPT FLUSH's or FUNCTION FLUSH's optional mode is SYNC or ASYNC.
fn flush_mode_ok(argv: &Argv) -> bool {
    match argv.get(2) {
        None => argv.len() == 2,
        Some(mode) => {
            argv.len() == 3 && (super::args::is_option(mode, "sync") || super::args::is_option(mode, "async"))
        }
    }
}

/// SCRIPT FLUSH [ASYNC|SYNC]: drops every script, and the Lua VM with them.
pub(crate) fn script_flush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if !flush_mode_ok(argv) {
        return Err(CommandError::other("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    ctx.engines.scripts = None;
    Ok(Reply::ok())
}

/// SCRIPT HELP
pub(crate) fn script_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}

/// Redis's `addReplySubcommandSyntaxError` for FUNCTION's subcommands.
fn function_syntax_error(argv: &Argv) -> CommandError {
    super::args::subcommand_syntax_error(argv, "FUNCTION")
}

/// FCALL and FCALL_RO: the function is looked up before numkeys is read, as in Redis.
fn fcall_generic(ctx: &mut Ctx<'_>, argv: &Argv, read_only: bool) -> Result<Reply, CommandError> {
    with_engine(ctx, |engine: &mut FunctionEngine, ctx| {
        if !engine.exists(argv.arg(1)) {
            return Err(CommandError::other("ERR Function not found"));
        }
        let numkeys = crate::number::parse_i64(argv.arg(2))
            .ok_or_else(|| CommandError::other("ERR Bad number of keys provided"))?;
        with_numkeys_split(argv, numkeys, |keys, args| {
            engine.call(ctx, argv, argv.arg(1), keys, args, read_only)
        })
    })?
}

/// FCALL function numkeys [key ...] [arg ...]
pub(crate) fn fcall(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    fcall_generic(ctx, argv, false)
}

/// FCALL_RO function numkeys [key ...] [arg ...]: only functions flagged `no-writes`.
pub(crate) fn fcall_ro(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    fcall_generic(ctx, argv, true)
}

/// FUNCTION LOAD [REPLACE] code
pub(crate) fn function_load(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let mut replace = false;
    let mut pos = 2;
    while pos < argv.len() - 1 {
        let option = argv.arg(pos);
        pos += 1;
        if super::args::is_option(option, "replace") {
            replace = true;
            continue;
        }
        return Err(CommandError::Other(
            format!("ERR Unknown option given: {}", super::args::error_text(option)).into(),
        ));
    }
    if pos >= argv.len() {
        return Err(CommandError::other("ERR Function code is missing"));
    }
    let name = with_engine(ctx, |engine: &mut FunctionEngine, _| {
        engine.load(argv.arg(pos), replace)
    })??;
    ctx.dirty(1);
    Ok(Reply::bulk(name))
}

/// FUNCTION DELETE library-name
pub(crate) fn function_delete(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if !with_engine(ctx, |engine: &mut FunctionEngine, _| engine.delete(argv.arg(2)))? {
        return Err(CommandError::other("ERR Library not found"));
    }
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// FUNCTION FLUSH [ASYNC|SYNC]: drops every library, and their VM with them.
pub(crate) fn function_flush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        return Err(function_syntax_error(argv));
    }
    if !flush_mode_ok(argv) {
        return Err(CommandError::other(
            "ERR FUNCTION FLUSH only supports SYNC|ASYNC option",
        ));
    }
    ctx.engines.functions = None;
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]: libraries in load order (Redis lists them in
/// its hash table's order, which differs from run to run).
pub(crate) fn function_list(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (mut with_code, mut pattern) = (false, None);
    let mut pos = 2;
    while pos < argv.len() {
        let arg = argv.arg(pos);
        pos += 1;
        if !with_code && super::args::is_option(arg, "withcode") {
            with_code = true;
        } else if pattern.is_none() && super::args::is_option(arg, "libraryname") {
            if pos >= argv.len() {
                return Err(CommandError::other("ERR library name argument was not given"));
            }
            pattern = Some(argv.arg(pos).to_ascii_lowercase());
            pos += 1;
        } else {
            return Err(CommandError::Other(
                format!("ERR Unknown argument {}", super::args::error_text(arg)).into(),
            ));
        }
    }
    with_engine(ctx, |engine: &mut FunctionEngine, _| {
        let libraries = engine
            .libraries()
            .filter(|library| {
                pattern
                    .as_ref()
                    .is_none_or(|pattern| super::glob::matches(pattern, library.name.to_ascii_lowercase().as_bytes()))
            })
            .map(|library| {
                let functions = library.functions.iter().map(|f| {
                    Reply::map([
                        ("name", Reply::bulk(f.name.as_str())),
                        ("description", f.description.clone().map_or(Reply::Nil, Reply::Bulk)),
                        ("flags", Reply::Set(f.flag_names().map(Reply::status).collect())),
                    ])
                });
                let mut fields = vec![
                    ("library_name", Reply::bulk(library.name.as_str())),
                    ("engine", Reply::bulk("LUA")),
                    ("functions", Reply::Array(functions.collect())),
                ];
                if with_code {
                    fields.push(("library_code", Reply::bulk(library.code.as_slice())));
                }
                Reply::map(fields)
            });
        Reply::Array(libraries.collect())
    })
}

/// FUNCTION DUMP: the libraries as a payload for FUNCTION RESTORE (Redis's format).
pub(crate) fn function_dump(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    with_engine(ctx, |engine: &mut FunctionEngine, _| {
        Reply::Bulk(payload::dump(engine.libraries().map(|l| l.code.as_slice())))
    })
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]
pub(crate) fn function_restore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.len() > 4 {
        return Err(function_syntax_error(argv));
    }
    let policy = match argv.get(3) {
        None => RestorePolicy::Append,
        Some(p) if super::args::is_option(p, "append") => RestorePolicy::Append,
        Some(p) if super::args::is_option(p, "replace") => RestorePolicy::Replace,
        Some(p) if super::args::is_option(p, "flush") => RestorePolicy::Flush,
        Some(_) => {
            return Err(CommandError::other(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ));
        }
    };
    let codes = payload::libraries(argv.arg(2))?;
    with_engine(ctx, |engine: &mut FunctionEngine, _| engine.restore(&codes, policy))??;
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// FUNCTION STATS with the lock: no function is running (while one is timed out, the
/// connection answers from the store's watchdog instead).
pub(crate) fn function_stats(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    with_engine(ctx, |engine: &mut FunctionEngine, _| {
        let counts = Reply::map([
            ("libraries_count", Reply::Integer(engine.libraries().count() as i64)),
            ("functions_count", Reply::Integer(engine.function_count() as i64)),
        ]);
        Reply::map([
            ("running_script", Reply::Nil),
            ("engines", Reply::map([("LUA", counts)])),
        ])
    })
}

/// FUNCTION HELP
pub(crate) fn function_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "STATS",
        "    Return information about the current function running:",
        "    * Function name",
        "    * Command used to run the function",
        "    * Duration in MS that the function is running",
        "    If no function is running, return nil",
        "    In addition, returns a list of available engines.",
        "KILL",
        "    Kill the current running function.",
        "FLUSH [ASYNC|SYNC]",
        "    Delete all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "DUMP",
        "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
        "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
        "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
        "    control how to handle existing libraries (default APPEND):",
        "    * FLUSH: delete all existing libraries.",
        "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
        "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
        "      libraries with the new libraries (notice that even on this option there is a chance of failure",
        "      in case of functions name collision with another library).",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}
