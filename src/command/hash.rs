//! Hash commands (Redis's `t_hash.c`).

use super::Ctx;
use super::args::int;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::Hash;
use crate::number::parse_i64;
use crate::reply::Reply;

/// Sets every field/value pair; answers how many fields are new. An odd pair count is an arity error.
fn set_fields(ctx: &mut Ctx<'_>, argv: &Argv, command: &str) -> Result<usize, CommandError> {
    if argv.len() % 2 == 1 {
        return Err(CommandError::WrongArity(command.into()));
    }
    let key = argv.arg(1);
    let hash = ctx.write_or_create::<Hash>(key)?;
    let mut created = 0;
    for i in (2..argv.len()).step_by(2) {
        if hash.insert(argv.arg(i).to_vec(), argv.arg(i + 1).to_vec()).is_none() {
            created += 1;
        }
    }
    ctx.modified(key);
    Ok(created)
}

/// HSET key field value [field value ...]
pub(crate) fn hset(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(set_fields(ctx, argv, "hset")? as i64))
}

/// HMSET key field value [field value ...]
pub(crate) fn hmset(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    set_fields(ctx, argv, "hmset")?;
    Ok(Reply::ok())
}

/// HGET key field
pub(crate) fn hget(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let value = ctx.read::<Hash>(argv.arg(1))?.and_then(|h| h.get(argv.arg(2)));
    Ok(value.map_or(Reply::Nil, |v| Reply::Bulk(v.clone())))
}

/// HGETALL key
pub(crate) fn hgetall(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let Some(hash) = ctx.read::<Hash>(argv.arg(1))? else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(Reply::bulks(hash.iter().flat_map(|(f, v)| [f.clone(), v.clone()])))
}

/// HINCRBY key field increment
pub(crate) fn hincrby(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let by = int(argv.arg(3))?;
    let (key, field) = (argv.arg(1), argv.arg(2));
    let current = match ctx.read::<Hash>(key)?.and_then(|h| h.get(field)) {
        Some(v) => parse_i64(v).ok_or(CommandError::HashValueNotInteger)?,
        None => 0,
    };
    let value = current.checked_add(by).ok_or(CommandError::IncrementOverflow)?;
    let hash = ctx.write_or_create::<Hash>(key)?;
    hash.insert(field.to_vec(), value.to_string().into_bytes());
    ctx.modified(key);
    Ok(Reply::Integer(value))
}

/// HDEL key field [field ...]
pub(crate) fn hdel(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let Some(hash) = ctx.write::<Hash>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let removed = argv.iter().skip(2).filter(|f| hash.remove(*f).is_some()).count();
    if removed > 0 {
        ctx.modified(key);
        ctx.ks.remove_if_empty(ctx.db, key);
    }
    Ok(Reply::Integer(removed as i64))
}
