//! List commands (Redis's `t_list.c`).

use super::Ctx;
use super::args::int;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::List;
use crate::reply::Reply;

/// Which end of a list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Head,
    Tail,
}

/// LPUSH/RPUSH: pushes every element in order, creating the list; answers the new length.
fn push(ctx: &mut Ctx<'_>, argv: &Argv, end: End) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let list = ctx.write_or_create::<List>(key)?;
    for element in argv.iter().skip(2) {
        match end {
            End::Head => list.push_front(element.to_vec()),
            End::Tail => list.push_back(element.to_vec()),
        }
    }
    let len = list.len();
    ctx.modified(key);
    Ok(Reply::Integer(len as i64))
}

/// LPUSH key element [element ...]
pub(crate) fn lpush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    push(ctx, argv, End::Head)
}

/// RPUSH key element [element ...]
pub(crate) fn rpush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    push(ctx, argv, End::Tail)
}

/// Redis's `popGenericCommand`: one element as a bulk string, or with a count an array.
fn pop(ctx: &mut Ctx<'_>, argv: &Argv, end: End) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        let name = if end == End::Head { "lpop" } else { "rpop" };
        return Err(CommandError::WrongArity(name.into()));
    }
    let count = match argv.get(2) {
        Some(arg) => Some(
            int(arg)
                .ok()
                .filter(|n| *n >= 0)
                .ok_or(CommandError::other("ERR value is out of range, must be positive"))?,
        ),
        None => None,
    };
    let key = argv.arg(1);
    let Some(list) = ctx.write::<List>(key)? else {
        return Ok(if count.is_some() { Reply::NilArray } else { Reply::Nil });
    };
    let reply = match count {
        Some(0) => return Ok(Reply::Array(Vec::new())),
        None => {
            let element = match end {
                End::Head => list.pop_front(),
                End::Tail => list.pop_back(),
            };
            element.map_or(Reply::Nil, Reply::Bulk)
        }
        Some(n) => {
            let n = (n as usize).min(list.len());
            let popped = match end {
                End::Head => list.drain(..n).collect::<Vec<_>>(),
                End::Tail => list.drain(list.len() - n..).rev().collect(),
            };
            Reply::bulks(popped)
        }
    };
    ctx.modified(key);
    ctx.ks.remove_if_empty(ctx.db, key);
    Ok(reply)
}

/// LPOP key [count]
pub(crate) fn lpop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    pop(ctx, argv, End::Head)
}

/// RPOP key [count]
pub(crate) fn rpop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    pop(ctx, argv, End::Tail)
}

/// LRANGE key start stop
pub(crate) fn lrange(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (start, stop) = (int(argv.arg(2))?, int(argv.arg(3))?);
    let Some(list) = ctx.read::<List>(argv.arg(1))? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let Some(range) = clamp_range(start, stop, list.len()) else {
        return Ok(Reply::Array(Vec::new()));
    };
    Ok(Reply::bulks(list.range(range).cloned()))
}

/// Redis's index arithmetic for LRANGE, LTRIM, ZRANGE…: negative indexes count from the end; `None`
/// for an empty range.
pub(crate) fn clamp_range(start: i64, stop: i64, len: usize) -> Option<std::ops::RangeInclusive<usize>> {
    let len = len as i64;
    let start = if start < 0 { (len + start).max(0) } else { start };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some(start as usize..=stop.min(len - 1) as usize)
}

/// LLEN key
pub(crate) fn llen(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(
        ctx.read::<List>(argv.arg(1))?.map_or(0, |l| l.len()) as i64
    ))
}
