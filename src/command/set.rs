//! Set commands (Redis's `t_set.c`).

use super::args::{is_option, ranged};
use super::{Ctx, Pick, scan};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::effects::EventClass;
use crate::keyspace::{Set, Ttl, Value, ValueKind};
use crate::reply::Reply;

/// Replies with members in the order Redis would.
fn members_reply(set: &Set) -> Reply {
    Reply::Set(set.members().into_iter().map(|m| Reply::Bulk(m.clone())).collect())
}

/// The empty set reply (RESP2 callers get an empty array).
fn empty_set() -> Reply {
    Reply::Set(Vec::new())
}

/// SADD key member [member ...]
pub(crate) fn sadd(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let limits = ctx.ks.encodings();
    let set = ctx.write_or_create::<Set>(key)?;
    let added = argv.iter().skip(2).filter(|m| set.insert(m, &limits)).count();
    if added > 0 {
        ctx.changed(EventClass::Set, "sadd", key);
    }
    ctx.dirty(added);
    Ok(Reply::Integer(added as i64))
}

/// SREM key member [member ...]
pub(crate) fn srem(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let Some(set) = ctx.write::<Set>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let removed = argv.iter().skip(2).filter(|m| set.remove(m)).count();
    if removed > 0 {
        ctx.changed(EventClass::Set, "srem", key);
    }
    ctx.dirty(removed);
    Ok(Reply::Integer(removed as i64))
}

/// SMEMBERS key
pub(crate) fn smembers(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(ctx.read::<Set>(argv.arg(1))?.map_or_else(empty_set, members_reply))
}

/// SISMEMBER key member
pub(crate) fn sismember(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let found = ctx.read::<Set>(argv.arg(1))?.is_some_and(|s| s.contains(argv.arg(2)));
    Ok(Reply::Integer(found as i64))
}

/// SMISMEMBER key member [member ...]
pub(crate) fn smismember(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let set = ctx.read::<Set>(argv.arg(1))?;
    let found = argv
        .iter()
        .skip(2)
        .map(|m| Reply::Integer(set.is_some_and(|s| s.contains(m)) as i64));
    Ok(Reply::Array(found.collect()))
}

/// SCARD key
pub(crate) fn scard(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(
        ctx.read::<Set>(argv.arg(1))?.map_or(0, |s| s.len()) as i64
    ))
}

/// SPOP key [count]
pub(crate) fn spop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        return Err(CommandError::Syntax);
    }
    let key = argv.arg(1);
    let count = match argv.get(2) {
        Some(arg) => Some(ranged(
            arg,
            0,
            i64::MAX,
            Some("ERR value is out of range, must be positive"),
        )?),
        None => None,
    };
    let Some(len) = ctx.read::<Set>(key)?.map(|s| s.len()) else {
        return Ok(if count.is_some() { empty_set() } else { Reply::Nil });
    };
    ctx.dirty(count.map_or(1, |n| len.min(usize::try_from(n).unwrap_or(usize::MAX))));
    let reply = match count {
        Some(0) => return Ok(empty_set()),
        None => {
            let at = (ctx.ks.random() % len as u64) as usize;
            let set = ctx.write::<Set>(key)?.ok_or(CommandError::NoSuchKey)?;
            let popped = set.take_index(at);
            // Replayed as the SREM of what it drew.
            if let Some(member) = &popped {
                ctx.replay_as(|| Argv::from_args(("SREM", key, &member[..])));
            }
            popped.map_or(Reply::Nil, Reply::Bulk)
        }
        Some(n) => match ctx.pick(len, n) {
            Pick::All => {
                let entry = ctx.remove(key);
                ctx.notify(EventClass::Set, "spop", key);
                ctx.notify(EventClass::Generic, "del", key);
                ctx.replay_as(|| Argv::from_args(("DEL", key)));
                let set = entry.and_then(|e| match e.entry.value {
                    Value::Set(s) => Some(s),
                    _ => None,
                });
                return Ok(set.as_deref().map_or_else(empty_set, members_reply));
            }
            Pick::Positions(at) => {
                let set = ctx.write::<Set>(key)?.ok_or(CommandError::NoSuchKey)?;
                let chosen: Vec<Vec<u8>> = at.iter().filter_map(|&i| set.get_index(i).cloned()).collect();
                for member in &chosen {
                    set.remove(member);
                }
                for member in &chosen {
                    ctx.replay_as(|| Argv::from_args(("SREM", key, &member[..])));
                }
                Reply::Set(chosen.into_iter().map(Reply::Bulk).collect())
            }
        },
    };
    ctx.changed(EventClass::Set, "spop", key);
    Ok(reply)
}

/// SRANDMEMBER key [count]
pub(crate) fn srandmember(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        return Err(CommandError::Syntax);
    }
    let key = argv.arg(1);
    let count = match argv.get(2) {
        Some(arg) => Some(ranged(arg, -i64::MAX, i64::MAX, None)?),
        None => None,
    };
    let Some(len) = ctx.read::<Set>(key)?.map(|s| s.len()) else {
        return Ok(if count.is_some() {
            Reply::Array(Vec::new())
        } else {
            Reply::Nil
        });
    };
    let Some(count) = count else {
        let at = (ctx.ks.random() % len as u64) as usize;
        let member = ctx.read::<Set>(key)?.and_then(|s| s.get_index(at).cloned());
        return Ok(member.map_or(Reply::Nil, Reply::Bulk));
    };
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let pick = ctx.pick(len, count);
    let set = ctx.read::<Set>(key)?.ok_or(CommandError::NoSuchKey)?;
    Ok(match pick {
        Pick::All => members_reply(set),
        Pick::Positions(at) => Reply::bulks(at.into_iter().filter_map(|i| set.get_index(i).cloned())),
    })
}

/// SMOVE source destination member
pub(crate) fn smove(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (src, dst, member) = (argv.arg(1), argv.arg(2), argv.arg(3));
    let Some(found) = ctx.read::<Set>(src)?.map(|s| s.contains(member)) else {
        return Ok(Reply::Integer(0));
    };
    ctx.read::<Set>(dst)?;
    if src == dst || !found {
        return Ok(Reply::Integer(found as i64));
    }
    if let Some(set) = ctx.write::<Set>(src)? {
        set.remove(member);
    }
    ctx.changed(EventClass::Set, "srem", src);
    ctx.dirty(1);
    let limits = ctx.ks.encodings();
    if ctx.write_or_create::<Set>(dst)?.insert(member, &limits) {
        ctx.changed(EventClass::Set, "sadd", dst);
        ctx.dirty(1);
    }
    Ok(Reply::Integer(1))
}

/// Set algebra.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Inter,
    Union,
    Diff,
}

/// The sets at `keys` (missing keys are empty sets), WRONGTYPE if any key holds another type, then
/// the result of `op` over them.
fn combine(ctx: &mut Ctx<'_>, keys: &[&[u8]], op: Op) -> Result<Set, CommandError> {
    // First every key is read once (expiry, WRONGTYPE), then all are borrowed together.
    for key in keys {
        ctx.read_lookup(key);
        ctx.read::<Set>(key)?;
    }
    let sets: Vec<Option<&Set>> = keys
        .iter()
        .map(|key| ctx.ks.entry(ctx.db, key).and_then(|e| <Set as ValueKind>::of(&e.value)))
        .collect();
    let limits = ctx.ks.encodings();
    let mut result = Set::default();
    match op {
        Op::Inter => {
            let Some(mut sets) = sets.into_iter().collect::<Option<Vec<&Set>>>() else {
                return Ok(result);
            };
            sets.sort_by_key(|s| s.len());
            if let Some((smallest, rest)) = sets.split_first() {
                for member in smallest.iter() {
                    if rest.iter().all(|s| s.contains(member)) {
                        result.insert(member, &limits);
                    }
                }
            }
        }
        Op::Union => {
            for member in sets.iter().flatten().flat_map(|s| s.iter()) {
                result.insert(member, &limits);
            }
        }
        Op::Diff => {
            if let Some((Some(first), rest)) = sets.split_first() {
                for member in first.iter() {
                    if !rest.iter().flatten().any(|s| s.contains(member)) {
                        result.insert(member, &limits);
                    }
                }
            }
        }
    }
    Ok(result)
}

fn keys_from(argv: &Argv, first: usize) -> Vec<&[u8]> {
    argv.iter().skip(first).collect()
}

/// SINTER/SUNION/SDIFF key [key ...]
fn algebra(ctx: &mut Ctx<'_>, argv: &Argv, op: Op) -> Result<Reply, CommandError> {
    Ok(members_reply(&combine(ctx, &keys_from(argv, 1), op)?))
}

/// SINTERSTORE/SUNIONSTORE/SDIFFSTORE destination key [key ...]: an empty result deletes the
/// destination (touching it only if it existed).
fn algebra_store(ctx: &mut Ctx<'_>, argv: &Argv, op: Op) -> Result<Reply, CommandError> {
    let result = combine(ctx, &keys_from(argv, 2), op)?;
    let dst = argv.arg(1);
    let len = result.len();
    if len == 0 {
        if ctx.remove(dst).is_some() {
            ctx.notify(EventClass::Generic, "del", dst);
            ctx.dirty(1);
        }
    } else {
        ctx.insert(dst, Value::Set(Box::new(result)), Ttl::Clear);
        ctx.dirty(1);
        let event = match op {
            Op::Inter => "sinterstore",
            Op::Union => "sunionstore",
            Op::Diff => "sdiffstore",
        };
        ctx.notify(EventClass::Set, event, dst);
    }
    Ok(Reply::Integer(len as i64))
}

/// SINTER key [key ...]
pub(crate) fn sinter(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra(ctx, argv, Op::Inter)
}

/// SUNION key [key ...]
pub(crate) fn sunion(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra(ctx, argv, Op::Union)
}

/// SDIFF key [key ...]
pub(crate) fn sdiff(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra(ctx, argv, Op::Diff)
}

/// SINTERSTORE destination key [key ...]
pub(crate) fn sinterstore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra_store(ctx, argv, Op::Inter)
}

/// SUNIONSTORE destination key [key ...]
pub(crate) fn sunionstore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra_store(ctx, argv, Op::Union)
}

/// SDIFFSTORE destination key [key ...]
pub(crate) fn sdiffstore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra_store(ctx, argv, Op::Diff)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
pub(crate) fn sintercard(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let numkeys = ranged(argv.arg(1), 1, i64::MAX, Some("ERR numkeys should be greater than 0"))? as usize;
    if numkeys > argv.len() - 2 {
        return Err(CommandError::other(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    let mut limit = 0usize;
    let mut at = 2 + numkeys;
    while at < argv.len() {
        if is_option(argv.arg(at), "limit") && at + 1 < argv.len() {
            limit = ranged(argv.arg(at + 1), 0, i64::MAX, Some("ERR LIMIT can't be negative"))? as usize;
            at += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| argv.arg(i)).collect();
    let len = combine(ctx, &keys, Op::Inter)?.len();
    Ok(Reply::Integer(if limit == 0 { len } else { len.min(limit) } as i64))
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn sscan(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cursor = scan::parse_cursor(argv.arg(2))?;
    let Some(set) = ctx.read::<Set>(argv.arg(1))? else {
        return Ok(scan::empty());
    };
    let members = set.members().into_iter().map(|m| (m.as_slice(), ()));
    scan::collection(cursor, argv, members, set.is_intset(), |member, (), out| {
        out.push(Reply::bulk(member))
    })
}
