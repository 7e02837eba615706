//! Hash commands (Redis's `t_hash.c`).

use super::args::int;
use super::{Ctx, Pick, scan};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::Hash;
use crate::keyspace::effects::EventClass;
use crate::number::{FloatAddError, check_long_double_increment, long_double_add, parse_i64};
use crate::reply::Reply;

/// Sets every field/value pair; answers how many fields are new. An odd pair count is an arity error.
fn set_fields(ctx: &mut Ctx<'_>, argv: &Argv, command: &str) -> Result<usize, CommandError> {
    if argv.len() % 2 == 1 {
        return Err(CommandError::WrongArity(command.into()));
    }
    let key = argv.arg(1);
    let limits = ctx.ks.encodings();
    let hash = ctx.write_or_create::<Hash>(key)?;
    let mut created = 0;
    for i in (2..argv.len()).step_by(2) {
        if hash.insert(argv.arg(i), argv.arg(i + 1).to_vec(), &limits) {
            created += 1;
        }
    }
    ctx.changed(EventClass::Hash, "hset", key);
    ctx.dirty((argv.len() - 2) / 2);
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
    Ok(value.map_or(Reply::Nil, Reply::bulk))
}

/// HGETALL key
pub(crate) fn hgetall(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let Some(hash) = ctx.read::<Hash>(argv.arg(1))? else {
        return Ok(Reply::Map(Vec::new()));
    };
    Ok(Reply::Map(
        hash.iter().map(|(f, v)| (Reply::bulk(f), Reply::bulk(v))).collect(),
    ))
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
    let limits = ctx.ks.encodings();
    let hash = ctx.write_or_create::<Hash>(key)?;
    hash.insert(field, value.to_string().into_bytes(), &limits);
    ctx.changed(EventClass::Hash, "hincrby", key);
    ctx.dirty(1);
    Ok(Reply::Integer(value))
}

/// HDEL key field [field ...]
pub(crate) fn hdel(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let Some(hash) = ctx.write::<Hash>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let removed = argv.iter().skip(2).filter(|f| hash.remove(f)).count();
    if removed > 0 {
        ctx.changed(EventClass::Hash, "hdel", key);
        ctx.dirty(removed);
    }
    Ok(Reply::Integer(removed as i64))
}

/// HSETNX key field value
pub(crate) fn hsetnx(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, field) = (argv.arg(1), argv.arg(2));
    if ctx.read::<Hash>(key)?.is_some_and(|h| h.get(field).is_some()) {
        return Ok(Reply::Integer(0));
    }
    let limits = ctx.ks.encodings();
    ctx.write_or_create::<Hash>(key)?
        .insert(field, argv.arg(3).to_vec(), &limits);
    ctx.changed(EventClass::Hash, "hset", key);
    ctx.dirty(1);
    Ok(Reply::Integer(1))
}

/// HMGET key field [field ...]
pub(crate) fn hmget(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let hash = ctx.read::<Hash>(argv.arg(1))?;
    let values = argv
        .iter()
        .skip(2)
        .map(|f| hash.and_then(|h| h.get(f)).map_or(Reply::Nil, Reply::bulk))
        .collect();
    Ok(Reply::Array(values))
}

/// HLEN key
pub(crate) fn hlen(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(
        ctx.read::<Hash>(argv.arg(1))?.map_or(0, |h| h.len()) as i64
    ))
}

/// HSTRLEN key field
pub(crate) fn hstrlen(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let len = ctx
        .read::<Hash>(argv.arg(1))?
        .and_then(|h| h.get(argv.arg(2)))
        .map_or(0, |v| v.len());
    Ok(Reply::Integer(len as i64))
}

/// HEXISTS key field
pub(crate) fn hexists(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let found = ctx
        .read::<Hash>(argv.arg(1))?
        .is_some_and(|h| h.get(argv.arg(2)).is_some());
    Ok(Reply::Integer(found as i64))
}

/// HKEYS key
pub(crate) fn hkeys(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let hash = ctx.read::<Hash>(argv.arg(1))?;
    Ok(Reply::bulks(
        hash.into_iter().flat_map(|h| h.iter().map(|(f, _)| f.to_vec())),
    ))
}

/// HVALS key
pub(crate) fn hvals(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let hash = ctx.read::<Hash>(argv.arg(1))?;
    Ok(Reply::bulks(
        hash.into_iter().flat_map(|h| h.iter().map(|(_, v)| v.to_vec())),
    ))
}

/// HINCRBYFLOAT key field increment: `long double` arithmetic, Redis's digits.
pub(crate) fn hincrbyfloat(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, field, increment) = (argv.arg(1), argv.arg(2), argv.arg(3));
    check_long_double_increment(increment).map_err(|e| match e {
        FloatAddError::NotFinite => CommandError::other("ERR value is NaN or Infinity"),
        _ => CommandError::NotFloat,
    })?;
    let base = match ctx.read::<Hash>(key)?.and_then(|h| h.get(field)) {
        Some(v) => v.to_vec(),
        None => b"0".to_vec(),
    };
    let sum = long_double_add(&base, increment).map_err(|e| match e {
        FloatAddError::NotFinite => CommandError::NanOrInfinity,
        _ => CommandError::other("ERR hash value is not a float"),
    })?;
    let limits = ctx.ks.encodings();
    ctx.write_or_create::<Hash>(key)?.insert(field, sum.clone(), &limits);
    ctx.changed(EventClass::Hash, "hincrbyfloat", key);
    ctx.dirty(1);
    ctx.replay_as(|| Argv::from_args(("HSET", key, field, &sum[..])));
    Ok(Reply::Bulk(sum))
}

/// HRANDFIELD key [count [WITHVALUES]]
pub(crate) fn hrandfield(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let Some(count) = argv.get(2) else {
        let Some(len) = ctx.read::<Hash>(key)?.map(|h| h.len()) else {
            return Ok(Reply::Nil);
        };
        let at = (ctx.ks.random() % len as u64) as usize;
        let field = ctx
            .read::<Hash>(key)?
            .and_then(|h| h.get_index(at))
            .map(|(f, _)| f.to_vec());
        return Ok(field.map_or(Reply::Nil, Reply::Bulk));
    };
    let (count, with_values) = super::random_count(count, argv, "withvalues")?;
    let Some(len) = ctx.read::<Hash>(key)?.map(|h| h.len()) else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let pick = ctx.pick(len, count);
    // RESP3 callers get [field, value] pairs.
    let pairs = ctx.resp == 3;
    let hash = ctx.read::<Hash>(key)?.ok_or(CommandError::NoSuchKey)?;
    let chosen: Vec<(&[u8], &[u8])> = match pick {
        Pick::All => hash.iter().collect(),
        Pick::Positions(at) => at.into_iter().filter_map(|i| hash.get_index(i)).collect(),
    };
    let mut out = Vec::with_capacity(chosen.len() * if with_values { 2 } else { 1 });
    for (field, value) in chosen {
        let field = Reply::bulk(field);
        match (with_values, pairs) {
            (false, _) => out.push(field),
            (true, false) => out.extend([field, Reply::bulk(value)]),
            (true, true) => out.push(Reply::Array(vec![field, Reply::bulk(value)])),
        }
    }
    Ok(Reply::Array(out))
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn hscan(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cursor = scan::parse_cursor(argv.arg(2))?;
    let Some(hash) = ctx.read::<Hash>(argv.arg(1))? else {
        return Ok(scan::empty());
    };
    let fields = hash.iter();
    scan::collection(cursor, argv, fields, !hash.is_large(), |field, value, out| {
        out.push(Reply::bulk(field));
        out.push(Reply::bulk(value));
    })
}
