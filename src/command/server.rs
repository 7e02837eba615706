//! Connection and server commands that act on the keyspace (Redis's `server.c` and `db.c`).

use super::Ctx;
use super::args::int32;
use super::keys::db_index;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::{DATABASES, Keyspace};
use crate::reply::Reply;

/// PING [message]
pub(crate) fn ping(_ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
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
    ctx.db = db_index(argv.arg(1))?;
    Ok(Reply::ok())
}

/// SWAPDB index1 index2
pub(crate) fn swapdb(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let first = int32(argv.arg(1)).map_err(|_| CommandError::other("ERR invalid first DB index"))?;
    let second = int32(argv.arg(2)).map_err(|_| CommandError::other("ERR invalid second DB index"))?;
    let (Some(a), Some(b)) = (Keyspace::valid_db(first as i64), Keyspace::valid_db(second as i64)) else {
        return Err(CommandError::DbIndexOutOfRange);
    };
    ctx.ks.swap_db(a, b);
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
    ctx.ks.flush_db(ctx.db);
    Ok(Reply::ok())
}

/// FLUSHALL [ASYNC|SYNC]
pub(crate) fn flushall(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    flush_mode(argv)?;
    for db in 0..DATABASES {
        ctx.ks.flush_db(db);
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

/// SAVE: there is nothing to persist in memory; answers OK as a server with nothing to write would.
pub(crate) fn save(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    ctx.ks.saved_now();
    Ok(Reply::ok())
}

/// BGSAVE [SCHEDULE]: a store without persistence "saves" at once, as SAVE does.
pub(crate) fn bgsave(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    match argv.get(1) {
        None => {}
        Some(opt) if argv.len() == 2 && super::args::is_option(opt, "schedule") => {}
        Some(_) => return Err(CommandError::Syntax),
    }
    ctx.ks.saved_now();
    Ok(Reply::status("Background saving started"))
}

/// LASTSAVE: the Unix time of the last SAVE or BGSAVE, or of the store's creation.
pub(crate) fn lastsave(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(ctx.ks.last_save()))
}
