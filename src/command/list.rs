//! List commands (Redis's `t_list.c`).

use super::Ctx;
use super::args::{Args, int, is_option, keyword, ranged};
use super::blocking::parse_timeout;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::List;
use crate::keyspace::effects::EventClass;
use crate::reply::Reply;

use crate::keyspace::blocking::{BlockedOp, ListEnd as End};

/// LPUSH/RPUSH (`create`) and LPUSHX/RPUSHX: pushes every element in order; answers the new
/// length, or 0 when the list is missing and may not be created.
fn push(ctx: &mut Ctx<'_>, argv: &Argv, end: End, create: bool) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let list = if create {
        ctx.write_or_create::<List>(key)?
    } else {
        match ctx.write::<List>(key)? {
            Some(list) => list,
            None => return Ok(Reply::Integer(0)),
        }
    };
    for element in argv.iter().skip(2) {
        list.push(end, element);
    }
    let len = list.len();
    ctx.changed(EventClass::List, push_event(end), key);
    ctx.dirty(argv.len() - 2);
    Ok(Reply::Integer(len as i64))
}

/// The event of a push at `end`.
fn push_event(end: End) -> &'static str {
    if end == End::Head { "lpush" } else { "rpush" }
}

/// The event of a pop at `end`.
fn pop_event(end: End) -> &'static str {
    if end == End::Head { "lpop" } else { "rpop" }
}

/// LPUSH key element [element ...]
pub(crate) fn lpush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    push(ctx, argv, End::Head, true)
}

/// RPUSH key element [element ...]
pub(crate) fn rpush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    push(ctx, argv, End::Tail, true)
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
    let (reply, popped) = match count {
        Some(0) => return Ok(Reply::Array(Vec::new())),
        None => (list.pop(end).map_or(Reply::Nil, Reply::Bulk), 1),
        Some(n) => {
            let popped = list.pop_many(end, n as usize);
            let n = popped.len();
            (Reply::bulks(popped), n)
        }
    };
    ctx.changed(EventClass::List, pop_event(end), key);
    ctx.dirty(popped);
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
    Ok(Reply::bulks(
        list.range(*range.start(), *range.end()).map(<[u8]>::to_vec),
    ))
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

/// LPUSHX key element [element ...]
pub(crate) fn lpushx(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    push(ctx, argv, End::Head, false)
}

/// RPUSHX key element [element ...]
pub(crate) fn rpushx(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    push(ctx, argv, End::Tail, false)
}

/// A list index (negative counts from the end) as a position, if it is inside the list.
fn position(index: i64, len: usize) -> Option<usize> {
    let index = if index < 0 { index + len as i64 } else { index };
    (0..len as i64).contains(&index).then_some(index as usize)
}

/// LINDEX key index
pub(crate) fn lindex(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    // Redis 7.0 looks the key up before it reads the index.
    let Some(list) = ctx.read::<List>(argv.arg(1))? else {
        return Ok(Reply::Nil);
    };
    let index = int(argv.arg(2))?;
    Ok(position(index, list.len())
        .and_then(|i| list.get(i))
        .map_or(Reply::Nil, Reply::bulk))
}

/// LSET key index element
pub(crate) fn lset(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let list = ctx.write::<List>(key)?.ok_or(CommandError::NoSuchKey)?;
    let index = int(argv.arg(2))?;
    let i = position(index, list.len()).ok_or(CommandError::other("ERR index out of range"))?;
    list.set(i, argv.arg(3));
    ctx.changed(EventClass::List, "lset", key);
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// LINSERT key BEFORE|AFTER pivot element: the new length, -1 if the pivot is missing.
pub(crate) fn linsert(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let after = keyword(argv.arg(2), &[("after", true), ("before", false)]).ok_or(CommandError::Syntax)?;
    let key = argv.arg(1);
    let Some(list) = ctx.write::<List>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let Some(at) = list.iter().position(|e| e == argv.arg(3)) else {
        return Ok(Reply::Integer(-1));
    };
    list.insert(at + usize::from(after), argv.arg(4));
    let len = list.len();
    ctx.changed(EventClass::List, "linsert", key);
    ctx.dirty(1);
    Ok(Reply::Integer(len as i64))
}

/// LREM key count element: removes up to |count| matches from the head (count > 0), the tail
/// (count < 0) or all of them (0).
pub(crate) fn lrem(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let count = int(argv.arg(2))?;
    let (key, element) = (argv.arg(1), argv.arg(3));
    let Some(list) = ctx.write::<List>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    let len = list.len();
    let mut doomed: Vec<usize> = if count < 0 {
        let from_tail = list.iter().rev().enumerate().filter(|(_, e)| *e == element);
        from_tail.map(|(i, _)| len - 1 - i).take(limit).collect()
    } else {
        let from_head = list.iter().enumerate().filter(|(_, e)| *e == element);
        from_head.map(|(i, _)| i).take(limit).collect()
    };
    doomed.sort_unstable();
    let removed = doomed.len();
    list.remove_positions(&doomed);
    if removed > 0 {
        ctx.changed(EventClass::List, "lrem", key);
        ctx.dirty(removed);
    }
    Ok(Reply::Integer(removed as i64))
}

/// LTRIM key start stop
pub(crate) fn ltrim(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (start, stop) = (int(argv.arg(2))?, int(argv.arg(3))?);
    let key = argv.arg(1);
    let Some(list) = ctx.write::<List>(key)? else {
        return Ok(Reply::ok());
    };
    let before = list.len();
    match clamp_range(start, stop, before) {
        Some(range) => list.keep_range(*range.start(), *range.end()),
        None => list.clear(),
    }
    let removed = before - list.len();
    ctx.changed(EventClass::List, "ltrim", key);
    ctx.dirty(removed);
    Ok(Reply::ok())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
pub(crate) fn lpos(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0i64);
    let mut args = Args::new(argv, 3);
    while let Some(opt) = args.next() {
        if is_option(opt, "rank") && args.remaining() > 0 {
            rank = args.i64()?;
            if rank == 0 {
                return Err(CommandError::other(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use \
                     negative to start from the end of the list",
                ));
            }
        } else if is_option(opt, "count") && args.remaining() > 0 {
            count = Some(ranged(args.bytes()?, 0, i64::MAX, Some("ERR COUNT can't be negative"))?);
        } else if is_option(opt, "maxlen") && args.remaining() > 0 {
            maxlen = ranged(args.bytes()?, 0, i64::MAX, Some("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let Some(list) = ctx.read::<List>(argv.arg(1))? else {
        return Ok(if count.is_some() {
            Reply::Array(Vec::new())
        } else {
            Reply::Nil
        });
    };
    let element = argv.arg(2);
    let len = list.len();
    let backwards = rank < 0;
    // Redis negates a negative rank in C: -(LONG_MIN) stays negative, so every match counts.
    let skip = if rank == i64::MIN {
        0
    } else {
        rank.unsigned_abs() as usize - 1
    };
    let scanned = if maxlen == 0 { len } else { (maxlen as usize).min(len) };
    let walk: Box<dyn Iterator<Item = &[u8]>> = if backwards {
        Box::new(list.iter().rev())
    } else {
        Box::new(list.iter())
    };
    let positions = walk
        .take(scanned)
        .enumerate()
        .filter(|(_, e)| *e == element)
        .map(|(i, _)| if backwards { len - 1 - i } else { i })
        .skip(skip);
    match count {
        None => Ok(positions.map(|i| Reply::Integer(i as i64)).next().unwrap_or(Reply::Nil)),
        Some(0) => Ok(Reply::Array(positions.map(|i| Reply::Integer(i as i64)).collect())),
        Some(n) => Ok(Reply::Array(
            positions.take(n as usize).map(|i| Reply::Integer(i as i64)).collect(),
        )),
    }
}

/// LEFT or RIGHT.
fn parse_end(arg: &[u8]) -> Result<End, CommandError> {
    keyword(arg, &[("left", End::Head), ("right", End::Tail)]).ok_or(CommandError::Syntax)
}

/// Redis's `lmoveGenericCommand`: pops from `src` at `from`, pushes onto `dst` at `to`, answers the
/// element (nil if `src` is missing).
fn lmove_generic(ctx: &mut Ctx<'_>, src: &[u8], dst: &[u8], from: End, to: End) -> Result<Reply, CommandError> {
    if ctx.read::<List>(src)?.is_none() {
        return Ok(Reply::Nil);
    }
    ctx.read::<List>(dst)?;
    let Some(list) = ctx.write::<List>(src)? else {
        return Ok(Reply::Nil);
    };
    let Some(element) = list.pop(from) else {
        return Ok(Reply::Nil);
    };
    ctx.write_or_create::<List>(dst)?.push(to, &element);
    ctx.changed(EventClass::List, push_event(to), dst);
    ctx.changed(EventClass::List, pop_event(from), src);
    ctx.dirty(1);
    Ok(Reply::Bulk(element))
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT
pub(crate) fn lmove(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (from, to) = (parse_end(argv.arg(3))?, parse_end(argv.arg(4))?);
    lmove_generic(ctx, argv.arg(1), argv.arg(2), from, to)
}

/// RPOPLPUSH source destination
pub(crate) fn rpoplpush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    lmove_generic(ctx, argv.arg(1), argv.arg(2), End::Tail, End::Head)
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(crate) fn lmpop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (keys, end, count) = parse_mpop(argv, 1, parse_end)?;
    for key in keys {
        let Some(list) = ctx.write::<List>(key)? else {
            continue;
        };
        let popped = list.pop_many(end, count);
        ctx.changed(EventClass::List, pop_event(end), key);
        ctx.dirty(popped.len());
        replay_as_pop(ctx, key, end, Some(popped.len()));
        return Ok(Reply::Array(vec![Reply::bulk(key), Reply::bulks(popped)]));
    }
    Ok(Reply::NilArray)
}

/// The arguments of LMPOP, BLMPOP, ZMPOP and BZMPOP from the numkeys at `numkeys_at`: the keys, the
/// end (read by `parse_end`: LEFT|RIGHT or MIN|MAX), the count.
pub(crate) fn parse_mpop(
    argv: &Argv,
    numkeys_at: usize,
    parse_end: fn(&[u8]) -> Result<End, CommandError>,
) -> Result<(Vec<&[u8]>, End, usize), CommandError> {
    let numkeys = ranged(
        argv.arg(numkeys_at),
        1,
        i64::MAX,
        Some("ERR numkeys should be greater than 0"),
    )? as usize;
    let end_at = numkeys_at.saturating_add(numkeys).saturating_add(1);
    if end_at >= argv.len() {
        return Err(CommandError::Syntax);
    }
    let end = parse_end(argv.arg(end_at))?;
    let mut count = None;
    let mut args = Args::new(argv, end_at + 1);
    while let Some(opt) = args.next() {
        if count.is_none() && is_option(opt, "count") && args.remaining() > 0 {
            count = Some(ranged(
                args.bytes()?,
                1,
                i64::MAX,
                Some("ERR count should be greater than 0"),
            )?);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let keys = (numkeys_at + 1..end_at).map(|i| argv.arg(i)).collect();
    Ok((keys, end, count.unwrap_or(1) as usize))
}

/// Pops from the first of `keys` holding a non-empty list, as `op` says; `None` if none does.
fn pop_first(ctx: &mut Ctx<'_>, keys: &[&[u8]], op: &BlockedOp) -> Result<Option<Reply>, CommandError> {
    for key in keys {
        if ctx.read::<List>(key)?.is_some_and(|l| !l.is_empty()) {
            return pop_for(ctx, key, op).map(Some);
        }
    }
    Ok(None)
}

/// A pop of LMPOP or a blocking pop is replayed as LPOP or RPOP, with the count popped if
/// `count` (Redis's forms).
fn replay_as_pop(ctx: &mut Ctx<'_>, key: &[u8], end: End, count: Option<usize>) {
    let name = if end == End::Head { "LPOP" } else { "RPOP" };
    ctx.replay_as(|| match count {
        Some(n) => Argv::from_args((name, key, n.to_string())),
        None => Argv::from_args((name, key)),
    });
}

/// The side names a blocked move is replayed with.
fn end_name(end: End) -> &'static str {
    if end == End::Head { "LEFT" } else { "RIGHT" }
}

/// Runs a blocked (or blocking) client's pop on `key`, which holds a non-empty list.
pub(crate) fn pop_for(ctx: &mut Ctx<'_>, key: &[u8], op: &BlockedOp) -> Result<Reply, CommandError> {
    let (end, count) = match op {
        BlockedOp::Move {
            from,
            to,
            dst,
            rpoplpush,
        } => {
            let reply = lmove_generic(ctx, key, dst, *from, *to)?;
            if matches!(reply, Reply::Bulk(_)) {
                ctx.replay_as(|| match rpoplpush {
                    true => Argv::from_args(("RPOPLPUSH", key, &dst[..])),
                    false => Argv::from_args(("LMOVE", key, &dst[..], end_name(*from), end_name(*to))),
                });
            }
            return Ok(reply);
        }
        BlockedOp::ZPop(_) | BlockedOp::ZPopMany(..) => return super::zset::pop_for(ctx, key, op),
        BlockedOp::Pop(end) => (*end, None),
        BlockedOp::PopMany(end, count) => (*end, Some(*count)),
        // WAIT waits on no key, so no key's data serves it; stream reads are served by
        // `stream::serve_readers`.
        BlockedOp::WaitReplicas { .. } | BlockedOp::ReadStreams(_) => return Ok(op.timeout_reply(ctx.ks)),
    };
    let list = ctx.write::<List>(key)?.ok_or(CommandError::NoSuchKey)?;
    let popped = list.pop_many(end, count.unwrap_or(1));
    ctx.changed(EventClass::List, pop_event(end), key);
    ctx.dirty(popped.len());
    replay_as_pop(ctx, key, end, count.map(|_| popped.len()));
    let key = Reply::bulk(key);
    Ok(match count {
        Some(_) => Reply::Array(vec![key, Reply::bulks(popped)]),
        None => Reply::Array(
            std::iter::once(key)
                .chain(popped.into_iter().map(Reply::Bulk))
                .collect(),
        ),
    })
}

/// BLPOP/BRPOP key [key ...] timeout
fn blocking_pop(ctx: &mut Ctx<'_>, argv: &Argv, end: End) -> Result<Reply, CommandError> {
    let deadline = parse_timeout(ctx.ks, argv.arg(argv.len() - 1))?;
    let keys: Vec<&[u8]> = (1..argv.len() - 1).map(|i| argv.arg(i)).collect();
    let op = BlockedOp::Pop(end);
    match pop_first(ctx, &keys, &op)? {
        Some(reply) => Ok(reply),
        None => Ok(ctx.block(&keys, op, deadline, Reply::NilArray)),
    }
}

/// BLPOP key [key ...] timeout
pub(crate) fn blpop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    blocking_pop(ctx, argv, End::Head)
}

/// BRPOP key [key ...] timeout
pub(crate) fn brpop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    blocking_pop(ctx, argv, End::Tail)
}

/// BLMOVE/BRPOPLPUSH: moves at once if `src` has elements (replayed as LMOVE or RPOPLPUSH with
/// the arguments given), else blocks on it.
fn blocking_move(ctx: &mut Ctx<'_>, argv: &Argv, from: End, to: End, timeout: &[u8]) -> Result<Reply, CommandError> {
    let deadline = parse_timeout(ctx.ks, timeout)?;
    let (src, dst) = (argv.arg(1), argv.arg(2));
    let rpoplpush = argv.len() == 4;
    if ctx.read::<List>(src)?.is_some() {
        let reply = lmove_generic(ctx, src, dst, from, to)?;
        if matches!(reply, Reply::Bulk(_)) {
            ctx.replay_as(|| match rpoplpush {
                true => Argv::from_args(("RPOPLPUSH", src, dst)),
                false => Argv::from_args(("LMOVE", src, dst, argv.arg(3), argv.arg(4))),
            });
        }
        return Ok(reply);
    }
    let op = BlockedOp::Move {
        from,
        to,
        dst: dst.to_vec(),
        rpoplpush,
    };
    Ok(ctx.block(&[src], op, deadline, Reply::Nil))
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
pub(crate) fn blmove(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (from, to) = (parse_end(argv.arg(3))?, parse_end(argv.arg(4))?);
    blocking_move(ctx, argv, from, to, argv.arg(5))
}

/// BRPOPLPUSH source destination timeout
pub(crate) fn brpoplpush(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    blocking_move(ctx, argv, End::Tail, End::Head, argv.arg(3))
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]
pub(crate) fn blmpop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (keys, end, count) = parse_mpop(argv, 2, parse_end)?;
    let deadline = parse_timeout(ctx.ks, argv.arg(1))?;
    let op = BlockedOp::PopMany(end, count);
    match pop_first(ctx, &keys, &op)? {
        Some(reply) => Ok(reply),
        None => Ok(ctx.block(&keys, op, deadline, Reply::NilArray)),
    }
}
