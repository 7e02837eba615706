//! EVAL, EVALSHA and SCRIPT (Redis's `eval.c`), over the engine in `crate::script`.

use super::Ctx;
use super::args::int;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::reply::Reply;
use crate::script::ScriptEngine;

/// A script's KEYS and ARGV.
type KeysAndArgs<'a> = (Vec<&'a [u8]>, Vec<&'a [u8]>);

/// The keys and arguments after EVAL's numkeys, with Redis's checks in Redis's order.
fn keys_and_args(argv: &Argv) -> Result<KeysAndArgs<'_>, CommandError> {
    let numkeys = int(argv.arg(2))?;
    let available = (argv.len() - 3) as i64;
    if numkeys > available {
        return Err(CommandError::other(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    if numkeys < 0 {
        return Err(CommandError::other("ERR Number of keys can't be negative"));
    }
    let split = 3 + numkeys as usize;
    Ok((
        (3..split).map(|i| argv.arg(i)).collect(),
        (split..argv.len()).map(|i| argv.arg(i)).collect(),
    ))
}

/// Runs `f` with the keyspace's script engine taken out of it (so the script can borrow the
/// keyspace), creating the engine on first use.
fn with_engine<T>(ctx: &mut Ctx<'_>, f: impl FnOnce(&mut ScriptEngine, &mut Ctx<'_>) -> T) -> Result<T, CommandError> {
    // Nothing blocks inside a script: blocking commands answer as if timed out.
    ctx.may_block = false;
    let mut engine = match ctx.ks.take_scripts() {
        Some(engine) => engine,
        None => Box::new(ScriptEngine::new(std::sync::Arc::clone(&ctx.ks.script_random))?),
    };
    // SELECT inside a script does not change the caller's database.
    let db = ctx.db;
    let result = f(&mut engine, ctx);
    ctx.db = db;
    ctx.ks.put_scripts(engine);
    Ok(result)
}

/// EVAL and EVAL_RO: compiles (or finds) the script, then runs it.
fn eval_generic(ctx: &mut Ctx<'_>, argv: &Argv, read_only: bool) -> Result<Reply, CommandError> {
    let (keys, args) = keys_and_args(argv)?;
    with_engine(ctx, |engine, ctx| {
        let sha = engine.load(argv.arg(1))?;
        Ok(engine.run(ctx, &sha, &keys, &args, read_only))
    })?
}

/// EVALSHA and EVALSHA_RO: runs a cached script by SHA1 (any case).
fn evalsha_generic(ctx: &mut Ctx<'_>, argv: &Argv, read_only: bool) -> Result<Reply, CommandError> {
    let (keys, args) = keys_and_args(argv)?;
    with_engine(ctx, |engine, ctx| match engine.find(argv.arg(1)) {
        Some(sha) => Ok(engine.run(ctx, &sha, &keys, &args, read_only)),
        None => Err(CommandError::other("NOSCRIPT No matching script. Please use EVAL.")),
    })?
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
    with_engine(ctx, |engine, _| engine.load(argv.arg(2)).map(Reply::bulk))?
}

/// SCRIPT EXISTS sha1 [sha1 ...]
pub(crate) fn script_exists(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    with_engine(ctx, |engine, _| {
        Reply::Array(
            argv.iter()
                .skip(2)
                .map(|sha| Reply::Integer(engine.find(sha).is_some() as i64))
                .collect(),
        )
    })
}

/// SCRIPT FLUSH [ASYNC|SYNC]: drops every script, and the Lua VM with them.
pub(crate) fn script_flush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let mode_ok = match argv.get(2) {
        None => argv.len() == 2,
        Some(mode) => {
            argv.len() == 3 && (super::args::is_option(mode, "sync") || super::args::is_option(mode, "async"))
        }
    };
    if !mode_ok {
        return Err(CommandError::other("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    ctx.ks.take_scripts();
    Ok(Reply::ok())
}

/// SCRIPT KILL: nothing can run while this command holds the lock.
pub(crate) fn script_kill(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Err(CommandError::other("NOTBUSY No scripts in execution right now."))
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
    Ok(Reply::Array(HELP.iter().map(|line| Reply::status(line)).collect()))
}
