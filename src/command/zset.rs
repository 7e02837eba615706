//! Sorted-set commands (Redis's `t_zset.c`).

use std::cmp::Ordering;

use super::args::{Args, int, is_option, keyword, ranged};
use super::blocking::parse_timeout;
use super::list::{clamp_range, parse_mpop};
use super::{Ctx, Pick, scan};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::blocking::{BlockedOp, ListEnd};
use crate::keyspace::effects::EventClass;
use crate::keyspace::zset::Scored;
use crate::keyspace::{Set, Ttl, Value, ZSet};
use crate::number::{format_f64, parse_f64, parse_range_f64};
use crate::reply::Reply;

/// A score: a double (RESP2 callers get it as a bulk string).
fn score_reply(score: f64) -> Reply {
    Reply::Double(score)
}

fn not_float() -> CommandError {
    CommandError::NotFloat
}

/// Members (and scores) as Redis replies them: flat `member, score, …` with scores, or with
/// `pairs` (RESP3 callers) `[member, score]` pairs.
fn entries_reply<'a>(entries: impl Iterator<Item = &'a Scored>, with_scores: bool, pairs: bool) -> Reply {
    let mut out = Vec::new();
    for e in entries {
        let member = Reply::bulk(&*e.member);
        match (with_scores, pairs) {
            (false, _) => out.push(member),
            (true, false) => out.extend([member, score_reply(e.score)]),
            (true, true) => out.push(Reply::Array(vec![member, score_reply(e.score)])),
        }
    }
    Reply::Array(out)
}

// ---- ZADD / ZINCRBY ----

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
pub(crate) fn zadd(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    zadd_generic(ctx, argv, false)
}

/// ZINCRBY key increment member
pub(crate) fn zincrby(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    zadd_generic(ctx, argv, true)
}

/// Redis's `zaddGenericCommand`.
fn zadd_generic(ctx: &mut Ctx<'_>, argv: &Argv, mut incr: bool) -> Result<Reply, CommandError> {
    let (mut nx, mut xx, mut gt, mut lt, mut ch) = (false, false, false, false, false);
    let mut at = 2;
    while at < argv.len() {
        let opt = argv.arg(at);
        let flag = if is_option(opt, "nx") {
            &mut nx
        } else if is_option(opt, "xx") {
            &mut xx
        } else if is_option(opt, "ch") {
            &mut ch
        } else if is_option(opt, "incr") {
            &mut incr
        } else if is_option(opt, "gt") {
            &mut gt
        } else if is_option(opt, "lt") {
            &mut lt
        } else {
            break;
        };
        *flag = true;
        at += 1;
    }
    let pairs = argv.len() - at;
    if pairs == 0 || pairs % 2 == 1 {
        return Err(CommandError::Syntax);
    }
    if nx && xx {
        return Err(CommandError::other(
            "ERR XX and NX options at the same time are not compatible",
        ));
    }
    if (nx && (gt || lt)) || (gt && lt) {
        return Err(CommandError::other(
            "ERR GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if incr && pairs > 2 {
        return Err(CommandError::other(
            "ERR INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(pairs / 2);
    for i in (at..argv.len()).step_by(2) {
        scores.push(parse_f64(argv.arg(i)).ok_or_else(not_float)?);
    }
    let key = argv.arg(1);
    let exists = ctx.read::<ZSet>(key)?.is_some();
    let (mut added, mut updated, mut processed, mut last) = (0, 0, 0, 0.0);
    let mut outcome = Ok(());
    if exists || !xx {
        let limits = ctx.ks.encodings();
        let zset = ctx.write_or_create::<ZSet>(key)?;
        for (i, &score) in scores.iter().enumerate() {
            let member = argv.arg(at + 1 + 2 * i);
            let nan = || CommandError::other("ERR resulting score is not a number (NaN)");
            match zset.score(member) {
                Some(_) if nx => {}
                Some(current) => {
                    let new = if incr { score + current } else { score };
                    if new.is_nan() {
                        outcome = Err(nan());
                        break;
                    }
                    if (lt && new >= current) || (gt && new <= current) {
                        continue;
                    }
                    processed += 1;
                    last = new;
                    if new != current {
                        zset.insert(member, new, &limits);
                        updated += 1;
                    }
                }
                None if xx => {}
                None => {
                    processed += 1;
                    // The reply is the score given, -0 included, whatever the set stores.
                    last = score;
                    zset.insert(member, score, &limits);
                    added += 1;
                }
            }
        }
        if added + updated > 0 {
            ctx.modified(key);
            ctx.notify(EventClass::SortedSet, if incr { "zincr" } else { "zadd" }, key);
        }
        ctx.dirty((added + updated) as usize);
        // A set created for nothing (every member refused) goes again, unannounced.
        ctx.ks.remove_if_empty(ctx.db, key);
    }
    outcome?;
    Ok(if incr {
        if processed > 0 { score_reply(last) } else { Reply::Nil }
    } else {
        Reply::Integer(if ch { added + updated } else { added })
    })
}

// ---- reads ----

/// ZCARD key
pub(crate) fn zcard(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(
        ctx.read::<ZSet>(argv.arg(1))?.map_or(0, |z| z.len()) as i64
    ))
}

/// ZSCORE key member
pub(crate) fn zscore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let score = ctx.read::<ZSet>(argv.arg(1))?.and_then(|z| z.score(argv.arg(2)));
    Ok(score.map_or(Reply::Nil, score_reply))
}

/// ZMSCORE key member [member ...]
pub(crate) fn zmscore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let zset = ctx.read::<ZSet>(argv.arg(1))?;
    let scores = argv
        .iter()
        .skip(2)
        .map(|m| zset.and_then(|z| z.score(m)).map_or(Reply::Nil, score_reply));
    Ok(Reply::Array(scores.collect()))
}

fn rank_generic(ctx: &mut Ctx<'_>, argv: &Argv, reverse: bool) -> Result<Reply, CommandError> {
    let Some(zset) = ctx.read::<ZSet>(argv.arg(1))? else {
        return Ok(Reply::Nil);
    };
    let rank = zset
        .rank(argv.arg(2))
        .map(|r| if reverse { zset.len() - 1 - r } else { r });
    Ok(rank.map_or(Reply::Nil, |r| Reply::Integer(r as i64)))
}

/// ZRANK key member
pub(crate) fn zrank(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    rank_generic(ctx, argv, false)
}

/// ZREVRANK key member
pub(crate) fn zrevrank(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    rank_generic(ctx, argv, true)
}

// ---- ranges ----

/// A score range: `min`..`max`, each end inclusive or exclusive.
#[derive(Clone, Copy)]
struct ScoreRange {
    min: f64,
    min_ex: bool,
    max: f64,
    max_ex: bool,
}

impl ScoreRange {
    /// Redis's `zslParseRange`: `(` makes an end exclusive.
    fn parse(min: &[u8], max: &[u8]) -> Result<ScoreRange, CommandError> {
        let bound = |arg: &[u8]| match arg.first() {
            Some(b'(') => parse_range_f64(&arg[1..]).map(|v| (v, true)),
            _ => parse_range_f64(arg).map(|v| (v, false)),
        };
        let error = || CommandError::other("ERR min or max is not a float");
        let (min, min_ex) = bound(min).ok_or_else(error)?;
        let (max, max_ex) = bound(max).ok_or_else(error)?;
        Ok(ScoreRange {
            min,
            min_ex,
            max,
            max_ex,
        })
    }

    fn above_min(&self, score: f64) -> bool {
        if self.min_ex {
            score > self.min
        } else {
            score >= self.min
        }
    }

    fn below_max(&self, score: f64) -> bool {
        if self.max_ex {
            score < self.max
        } else {
            score <= self.max
        }
    }

    /// The ranks `start..end` of the entries inside the range.
    fn ranks(&self, zset: &ZSet) -> std::ops::Range<usize> {
        let start = zset.count_before(|e| {
            if self.above_min(e.score) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        });
        let end = zset.count_before(|e| {
            if self.below_max(e.score) {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        });
        start..end.max(start)
    }
}

/// A lexicographic bound.
#[derive(Clone)]
enum LexBound {
    Min,
    Max,
    Inclusive(Vec<u8>),
    Exclusive(Vec<u8>),
}

/// A lexicographic range (for members of equal score).
#[derive(Clone)]
struct LexRange {
    min: LexBound,
    max: LexBound,
}

impl LexRange {
    /// Redis's `zslParseLexRange`: `[x`, `(x`, `-`, `+`.
    fn parse(min: &[u8], max: &[u8]) -> Result<LexRange, CommandError> {
        let bound = |arg: &[u8]| match arg.first() {
            Some(b'+') if arg.get(1).is_none_or(|b| *b == 0) => Some(LexBound::Max),
            Some(b'-') if arg.get(1).is_none_or(|b| *b == 0) => Some(LexBound::Min),
            Some(b'[') => Some(LexBound::Inclusive(arg[1..].to_vec())),
            Some(b'(') => Some(LexBound::Exclusive(arg[1..].to_vec())),
            _ => None,
        };
        let error = || CommandError::other("ERR min or max not valid string range item");
        Ok(LexRange {
            min: bound(min).ok_or_else(error)?,
            max: bound(max).ok_or_else(error)?,
        })
    }

    fn above_min(&self, member: &[u8]) -> bool {
        match &self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Inclusive(m) => member >= m.as_slice(),
            LexBound::Exclusive(m) => member > m.as_slice(),
        }
    }

    fn below_max(&self, member: &[u8]) -> bool {
        match &self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Inclusive(m) => member <= m.as_slice(),
            LexBound::Exclusive(m) => member < m.as_slice(),
        }
    }

    /// Redis's `zslIsInLexRange`/`zzlIsInLexRange`, the check before either walk: the last member
    /// is at least `min` and the first at most `max` (always so when the range selects anything
    /// from members of one score; with mixed scores it can empty a range that holds members).
    fn may_overlap(&self, zset: &ZSet) -> bool {
        let last = zset.len().checked_sub(1).and_then(|r| zset.at(r));
        match (zset.at(0), last) {
            (Some(first), Some(last)) => self.above_min(&last.member) && self.below_max(&first.member),
            _ => false,
        }
    }

    /// The members in range of a sorted set Redis holds as a skiplist, found by binary search:
    /// exact when the members in range share a score, the case the command is made for (with
    /// mixed scores Redis's answer there depends on the skiplist's random levels).
    fn ranks(&self, zset: &ZSet) -> std::ops::Range<usize> {
        if !self.may_overlap(zset) {
            return 0..0;
        }
        let start = zset.count_before(|e| {
            if self.above_min(&e.member) {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        });
        let end = zset.count_before(|e| {
            if self.below_max(&e.member) {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        });
        start..end.max(start)
    }

    /// The members a ZRANGE BYLEX walk selects from a sorted set Redis holds as a listpack, walked
    /// as Redis walks it (`zzlFirstInLexRange`/`zzlLastInLexRange`, then `genericZrangebylexCommand`),
    /// so members of mixed scores come out as Redis answers them: nothing unless the range may
    /// overlap the set ([`LexRange::may_overlap`]); forward from the first member at least `min`
    /// (empty if it is above `max`), skipping `offset` members whatever they are, then taking members
    /// up to `limit` until one is above `max`; backward likewise from the last member at most `max`,
    /// until one is below `min`.
    fn listpack_walk<'z>(&self, zset: &'z ZSet, reverse: bool, offset: usize, limit: usize) -> Vec<&'z Scored> {
        if !self.may_overlap(zset) {
            return Vec::new();
        }
        let entries: Vec<&Scored> = zset.iter().collect();
        let walk: Box<dyn Iterator<Item = &&Scored>> = if reverse {
            match entries.iter().rposition(|e| self.below_max(&e.member)) {
                Some(at) if self.above_min(&entries[at].member) => Box::new(entries[..=at].iter().rev()),
                _ => return Vec::new(),
            }
        } else {
            match entries.iter().position(|e| self.above_min(&e.member)) {
                Some(at) if self.below_max(&entries[at].member) => Box::new(entries[at..].iter()),
                _ => return Vec::new(),
            }
        };
        walk.skip(offset)
            .take(limit)
            .take_while(|e| {
                if reverse {
                    self.above_min(&e.member)
                } else {
                    self.below_max(&e.member)
                }
            })
            .copied()
            .collect()
    }

    /// How many members ZLEXCOUNT counts (the forward walk, for a listpack).
    fn count(&self, zset: &ZSet) -> usize {
        if zset.is_large() {
            self.ranks(zset).len()
        } else {
            self.listpack_walk(zset, false, 0, usize::MAX).len()
        }
    }
}

/// What a ZRANGE-family command selects.
enum RangeBy {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// The entries a range selects, in reply order, after LIMIT.
fn select<'z>(zset: &'z ZSet, by: &RangeBy, reverse: bool, offset: i64, limit: i64) -> Vec<&'z Scored> {
    let len = zset.len();
    if offset < 0 || (offset > 0 && offset as usize >= len) {
        return Vec::new();
    }
    let take = if limit < 0 { usize::MAX } else { limit as usize };
    let ranks = match by {
        RangeBy::Rank(start, stop) => {
            let Some(range) = clamp_range(*start, *stop, len) else {
                return Vec::new();
            };
            let (a, b) = (*range.start(), *range.end());
            if reverse { len - 1 - b..len - a } else { a..b + 1 }
        }
        RangeBy::Score(range) => range.ranks(zset),
        RangeBy::Lex(range) if zset.is_large() => range.ranks(zset),
        RangeBy::Lex(range) => return range.listpack_walk(zset, reverse, offset as usize, take),
    };
    let count = ranks.len().saturating_sub(offset as usize).min(take);
    let by_rank = matches!(by, RangeBy::Rank(..));
    if reverse {
        // Descending: rank ranges are already mirrored; score and lex ranges walk back from the end.
        let positions: Box<dyn Iterator<Item = usize>> = if by_rank {
            Box::new(ranks.rev())
        } else {
            Box::new(ranks.rev().skip(offset as usize))
        };
        positions.take(count).filter_map(|r| zset.at(r)).collect()
    } else {
        let skip = if by_rank { 0 } else { offset as usize };
        zset.iter_from(ranks.start + skip).take(count).collect()
    }
}

/// The parsed form of ZRANGE and its older spellings.
struct RangeRequest {
    by: RangeBy,
    reverse: bool,
    offset: i64,
    limit: i64,
    with_scores: bool,
}

/// Which ZRANGE spelling: the range kind and direction fixed by the command name, if any.
#[derive(Clone, Copy)]
struct Spelling {
    kind: Option<Kind>,
    reverse: Option<bool>,
    store: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rank,
    Score,
    Lex,
}

/// Redis's `zrangeGenericCommand` steps 1 and 2: options, then the range (`first` is the index of
/// the source key).
fn parse_range(argv: &Argv, first: usize, spelling: Spelling) -> Result<RangeRequest, CommandError> {
    let (mut kind, mut reverse) = (spelling.kind, spelling.reverse);
    let (mut offset, mut limit, mut with_scores) = (0, -1, false);
    let mut args = Args::new(argv, first + 3);
    while let Some(opt) = args.next() {
        if !spelling.store && is_option(opt, "withscores") {
            with_scores = true;
        } else if is_option(opt, "limit") && args.remaining() >= 2 {
            offset = args.i64()?;
            limit = args.i64()?;
        } else if spelling.reverse.is_none() && reverse.is_none() && is_option(opt, "rev") {
            reverse = Some(true);
        } else if spelling.kind.is_none() && kind.is_none() && is_option(opt, "bylex") {
            kind = Some(Kind::Lex);
        } else if spelling.kind.is_none() && kind.is_none() && is_option(opt, "byscore") {
            kind = Some(Kind::Score);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let kind = kind.unwrap_or(Kind::Rank);
    let reverse = reverse.unwrap_or(false);
    if limit != -1 && kind == Kind::Rank {
        return Err(CommandError::other(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && kind == Kind::Lex {
        return Err(CommandError::other(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (mut lo, mut hi) = (argv.arg(first + 1), argv.arg(first + 2));
    if reverse && kind != Kind::Rank {
        std::mem::swap(&mut lo, &mut hi);
    }
    let by = match kind {
        Kind::Rank => RangeBy::Rank(int(lo)?, int(hi)?),
        Kind::Score => RangeBy::Score(ScoreRange::parse(lo, hi)?),
        Kind::Lex => RangeBy::Lex(LexRange::parse(lo, hi)?),
    };
    Ok(RangeRequest {
        by,
        reverse,
        offset,
        limit,
        with_scores,
    })
}

fn range_generic(ctx: &mut Ctx<'_>, argv: &Argv, spelling: Spelling) -> Result<Reply, CommandError> {
    let request = parse_range(argv, 1, spelling)?;
    let resp3 = ctx.resp == 3;
    let Some(zset) = ctx.read::<ZSet>(argv.arg(1))? else {
        return Ok(Reply::Array(Vec::new()));
    };
    let chosen = select(zset, &request.by, request.reverse, request.offset, request.limit);
    Ok(entries_reply(chosen.into_iter(), request.with_scores, resp3))
}

const fn spelling(kind: Option<Kind>, reverse: Option<bool>) -> Spelling {
    Spelling {
        kind,
        reverse,
        store: false,
    }
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
pub(crate) fn zrange(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    range_generic(ctx, argv, spelling(None, None))
}

/// ZREVRANGE key start stop [WITHSCORES]
pub(crate) fn zrevrange(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    range_generic(ctx, argv, spelling(Some(Kind::Rank), Some(true)))
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
pub(crate) fn zrangebyscore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    range_generic(ctx, argv, spelling(Some(Kind::Score), Some(false)))
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]
pub(crate) fn zrevrangebyscore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    range_generic(ctx, argv, spelling(Some(Kind::Score), Some(true)))
}

/// ZRANGEBYLEX key min max [LIMIT offset count]
pub(crate) fn zrangebylex(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    range_generic(ctx, argv, spelling(Some(Kind::Lex), Some(false)))
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count]
pub(crate) fn zrevrangebylex(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    range_generic(ctx, argv, spelling(Some(Kind::Lex), Some(true)))
}

/// Stores `zset` at `dst` (deleting `dst` when empty, touching it only if it existed, and
/// raising `del` then, else `event`); answers its size. A store counts as `changes` changes
/// (Redis's *STORE commands count one, GEO…STORE one per member), a deletion as one.
pub(crate) fn store_result(ctx: &mut Ctx<'_>, dst: &[u8], zset: ZSet, event: &'static str, changes: usize) -> Reply {
    let len = zset.len();
    if len == 0 {
        if ctx.remove(dst).is_some() {
            ctx.notify(EventClass::Generic, "del", dst);
            ctx.dirty(1);
        }
    } else {
        ctx.insert(dst, Value::ZSet(Box::new(zset)), Ttl::Clear);
        ctx.notify(EventClass::SortedSet, event, dst);
        ctx.dirty(changes);
    }
    Reply::Integer(len as i64)
}

/// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
pub(crate) fn zrangestore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let request = parse_range(
        argv,
        2,
        Spelling {
            kind: None,
            reverse: None,
            store: true,
        },
    )?;
    let mut result = ZSet::default();
    let limits = ctx.ks.encodings();
    ctx.read_lookup(argv.arg(2));
    if let Some(zset) = ctx.read::<ZSet>(argv.arg(2))? {
        let selected = select(zset, &request.by, request.reverse, request.offset, request.limit);
        // Redis knows the size of a rank range before storing it (not of a score or lex range).
        let size_hint = if let RangeBy::Rank(..) = request.by {
            selected.len()
        } else {
            0
        };
        result = ZSet::with_size_hint(size_hint, &limits);
        for e in selected {
            result.insert(&e.member, e.score, &limits);
        }
    }
    Ok(store_result(ctx, argv.arg(1), result, "zrangestore", 1))
}

/// ZCOUNT key min max
pub(crate) fn zcount(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let range = ScoreRange::parse(argv.arg(2), argv.arg(3))?;
    Ok(Reply::Integer(
        ctx.read::<ZSet>(argv.arg(1))?.map_or(0, |z| range.ranks(z).len()) as i64,
    ))
}

/// ZLEXCOUNT key min max
pub(crate) fn zlexcount(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let range = LexRange::parse(argv.arg(2), argv.arg(3))?;
    Ok(Reply::Integer(
        ctx.read::<ZSet>(argv.arg(1))?.map_or(0, |z| range.count(z)) as i64,
    ))
}

// ---- removal ----

/// ZREM key member [member ...]
pub(crate) fn zrem(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let Some(zset) = ctx.write::<ZSet>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let removed = argv.iter().skip(2).filter(|m| zset.remove(m)).count();
    if removed > 0 {
        ctx.changed(EventClass::SortedSet, "zrem", key);
    }
    ctx.dirty(removed);
    Ok(Reply::Integer(removed as i64))
}

/// Removes the entries of a range (ZREMRANGEBYRANK/SCORE/LEX).
fn remove_range(ctx: &mut Ctx<'_>, key: &[u8], by: RangeBy) -> Result<Reply, CommandError> {
    let event = match by {
        RangeBy::Rank(..) => "zremrangebyrank",
        RangeBy::Score(_) => "zremrangebyscore",
        RangeBy::Lex(_) => "zremrangebylex",
    };
    let Some(zset) = ctx.write::<ZSet>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let doomed: Vec<Vec<u8>> = select(zset, &by, false, 0, -1)
        .iter()
        .map(|e| e.member.to_vec())
        .collect();
    for member in &doomed {
        zset.remove(member);
    }
    if !doomed.is_empty() {
        ctx.changed(EventClass::SortedSet, event, key);
    }
    ctx.dirty(doomed.len());
    Ok(Reply::Integer(doomed.len() as i64))
}

/// ZREMRANGEBYRANK key start stop
pub(crate) fn zremrangebyrank(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let by = RangeBy::Rank(int(argv.arg(2))?, int(argv.arg(3))?);
    remove_range(ctx, argv.arg(1), by)
}

/// ZREMRANGEBYSCORE key min max
pub(crate) fn zremrangebyscore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let by = RangeBy::Score(ScoreRange::parse(argv.arg(2), argv.arg(3))?);
    remove_range(ctx, argv.arg(1), by)
}

/// ZREMRANGEBYLEX key min max
pub(crate) fn zremrangebylex(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let by = RangeBy::Lex(LexRange::parse(argv.arg(2), argv.arg(3))?);
    remove_range(ctx, argv.arg(1), by)
}

// ---- pops ----

/// Pops up to `count` entries from the low (`ListEnd::Head`) or high end of the sorted set at `key`.
pub(crate) fn pop_entries(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    end: ListEnd,
    count: usize,
) -> Result<Vec<Scored>, CommandError> {
    let Some(zset) = ctx.write::<ZSet>(key)? else {
        return Ok(Vec::new());
    };
    let len = zset.len();
    let n = count.min(len);
    let chosen: Vec<Scored> = match end {
        ListEnd::Head => zset.iter().take(n).cloned().collect(),
        ListEnd::Tail => (0..n).filter_map(|i| zset.at(len - 1 - i).cloned()).collect(),
    };
    for e in &chosen {
        zset.remove(&e.member);
    }
    if n > 0 {
        let event = if end == ListEnd::Head { "zpopmin" } else { "zpopmax" };
        ctx.changed(EventClass::SortedSet, event, key);
    }
    ctx.dirty(n);
    Ok(chosen)
}

fn pop_generic(ctx: &mut Ctx<'_>, argv: &Argv, end: ListEnd) -> Result<Reply, CommandError> {
    if argv.len() > 3 {
        return Err(CommandError::Syntax);
    }
    let count = match argv.get(2) {
        Some(arg) => ranged(arg, 0, i64::MAX, Some("ERR value is out of range, must be positive"))? as usize,
        None => 1,
    };
    let popped = pop_entries(ctx, argv.arg(1), end, count)?;
    // RESP3 callers get pairs when they gave a count (Redis's `use_nested_array`).
    Ok(entries_reply(popped.iter(), true, ctx.resp == 3 && argv.len() == 3))
}

/// ZPOPMIN key [count]
pub(crate) fn zpopmin(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    pop_generic(ctx, argv, ListEnd::Head)
}

/// ZPOPMAX key [count]
pub(crate) fn zpopmax(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    pop_generic(ctx, argv, ListEnd::Tail)
}

/// MIN or MAX.
fn parse_min_max(arg: &[u8]) -> Result<ListEnd, CommandError> {
    if is_option(arg, "min") {
        Ok(ListEnd::Head)
    } else if is_option(arg, "max") {
        Ok(ListEnd::Tail)
    } else {
        Err(CommandError::Syntax)
    }
}

/// `[key, [[member, score], ...]]`, the reply of ZMPOP and BZMPOP.
pub(crate) fn mpop_reply(key: &[u8], popped: &[Scored]) -> Reply {
    let pairs = popped
        .iter()
        .map(|e| Reply::Array(vec![Reply::bulk(&*e.member), score_reply(e.score)]));
    Reply::Array(vec![Reply::bulk(key), Reply::Array(pairs.collect())])
}

/// `[key, member, score]`, the reply of BZPOPMIN and BZPOPMAX.
pub(crate) fn bzpop_reply(key: &[u8], popped: &[Scored]) -> Reply {
    let mut out = vec![Reply::bulk(key)];
    for e in popped {
        out.push(Reply::bulk(&*e.member));
        out.push(score_reply(e.score));
    }
    Reply::Array(out)
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
pub(crate) fn zmpop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (keys, end, count) = parse_mpop(argv, 1, parse_min_max)?;
    for key in keys {
        if ctx.read::<ZSet>(key)?.is_some() {
            let popped = pop_entries(ctx, key, end, count)?;
            replay_as_zpop(ctx, key, end, Some(popped.len()));
            return Ok(mpop_reply(key, &popped));
        }
    }
    Ok(Reply::NilArray)
}

/// Pops for a blocking sorted-set command from the first non-empty key, if any.
pub(crate) fn pop_first(ctx: &mut Ctx<'_>, keys: &[&[u8]], op: &BlockedOp) -> Result<Option<Reply>, CommandError> {
    for key in keys {
        if ctx.read::<ZSet>(key)?.is_some() {
            return pop_for(ctx, key, op).map(Some);
        }
    }
    Ok(None)
}

/// Runs a blocked (or blocking) sorted-set pop on `key`.
pub(crate) fn pop_for(ctx: &mut Ctx<'_>, key: &[u8], op: &BlockedOp) -> Result<Reply, CommandError> {
    match op {
        BlockedOp::ZPop(end) => {
            let popped = pop_entries(ctx, key, *end, 1)?;
            replay_as_zpop(ctx, key, *end, None);
            Ok(bzpop_reply(key, &popped))
        }
        BlockedOp::ZPopMany(end, count) => {
            let popped = pop_entries(ctx, key, *end, *count)?;
            replay_as_zpop(ctx, key, *end, Some(popped.len()));
            Ok(mpop_reply(key, &popped))
        }
        _ => Err(CommandError::WrongType),
    }
}

/// ZMPOP and the blocking pops are replayed as ZPOPMIN or ZPOPMAX, with the count popped if
/// `count` (Redis's forms).
fn replay_as_zpop(ctx: &mut Ctx<'_>, key: &[u8], end: ListEnd, count: Option<usize>) {
    let name = if end == ListEnd::Head { "ZPOPMIN" } else { "ZPOPMAX" };
    ctx.replay_as(|| match count {
        Some(n) => Argv::from_args((name, key, n.to_string())),
        None => Argv::from_args((name, key)),
    });
}

// ---- random and scan ----

/// ZRANDMEMBER key [count [WITHSCORES]]
pub(crate) fn zrandmember(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let Some(count) = argv.get(2) else {
        let Some(len) = ctx.read::<ZSet>(key)?.map(|z| z.len()) else {
            return Ok(Reply::Nil);
        };
        let at = (ctx.ks.random() % len as u64) as usize;
        let member = ctx.read::<ZSet>(key)?.and_then(|z| z.at(at)).map(|e| e.member.to_vec());
        return Ok(member.map_or(Reply::Nil, Reply::Bulk));
    };
    let (count, with_scores) = super::random_count(count, argv, "withscores")?;
    let Some(len) = ctx.read::<ZSet>(key)?.map(|z| z.len()) else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == 0 {
        return Ok(Reply::Array(Vec::new()));
    }
    let pick = ctx.pick(len, count);
    let pairs = ctx.resp == 3;
    let zset = ctx.read::<ZSet>(key)?.ok_or(CommandError::NoSuchKey)?;
    Ok(match pick {
        // Redis's set-operation iterator walks a sorted set from the highest score down.
        Pick::All => entries_reply((0..zset.len()).rev().filter_map(|r| zset.at(r)), with_scores, pairs),
        Pick::Positions(at) => entries_reply(at.into_iter().filter_map(|r| zset.at(r)), with_scores, pairs),
    })
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]
pub(crate) fn zscan(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cursor = scan::parse_cursor(argv.arg(2))?;
    let Some(zset) = ctx.read::<ZSet>(argv.arg(1))? else {
        return Ok(scan::empty());
    };
    let entries = zset.iter().map(|e| (&*e.member, e.score));
    // SCAN replies are strings whatever the protocol: scores as bulk strings.
    scan::collection(cursor, argv, entries, !zset.is_large(), |member, score, out| {
        out.push(Reply::bulk(member));
        out.push(Reply::Bulk(format_f64(score)));
    })
}

// ---- algebra ----

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

impl Aggregate {
    fn apply(self, acc: f64, value: f64) -> f64 {
        match self {
            Aggregate::Sum => {
                let sum = acc + value;
                if sum.is_nan() { 0.0 } else { sum }
            }
            Aggregate::Min => acc.min(value),
            Aggregate::Max => acc.max(value),
        }
    }
}

/// An input of ZUNION/ZINTER/ZDIFF: a sorted set, or a set whose members score 1.
fn input_entries(value: Option<&Value>) -> Result<Vec<(Vec<u8>, f64)>, CommandError> {
    match value {
        None => Ok(Vec::new()),
        Some(Value::ZSet(z)) => Ok(z.iter().map(|e| (e.member.to_vec(), e.score)).collect()),
        Some(Value::Set(s)) => Ok(Set::iter(s).map(|m| (m.clone(), 1.0)).collect()),
        Some(_) => Err(CommandError::WrongType),
    }
}

/// What ZUNION/ZINTER/ZDIFF's family makes of its result, which decides the options it takes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    /// ZUNION, ZINTER, ZDIFF: the members (WITHSCORES allowed).
    Reply,
    /// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: stored at a destination.
    Store,
    /// ZINTERCARD: only its size (LIMIT allowed; no WEIGHTS, AGGREGATE).
    Cardinality,
}

/// Redis's `zunionInterDiffGenericCommand`: the inputs from `numkeys_at`, options, and the result.
fn combine(
    ctx: &mut Ctx<'_>,
    argv: &Argv,
    numkeys_at: usize,
    op: Op,
    output: Output,
) -> Result<(ZSet, bool, usize), CommandError> {
    let store = output == Output::Store;
    let cardinality = output == Output::Cardinality;
    let numkeys = int(argv.arg(numkeys_at))?;
    if numkeys < 1 {
        let name = String::from_utf8_lossy(argv.arg(0)).to_lowercase();
        return Err(CommandError::Other(
            format!("ERR at least 1 input key is needed for '{name}' command").into(),
        ));
    }
    if numkeys as u64 > (argv.len() - numkeys_at - 1) as u64 {
        return Err(CommandError::Syntax);
    }
    let numkeys = numkeys as usize;
    let mut inputs = Vec::with_capacity(numkeys);
    for i in 0..numkeys {
        let key = argv.arg(numkeys_at + 1 + i);
        ctx.read_lookup(key);
        let value = ctx.entry(key).map(|e| &e.value);
        inputs.push(input_entries(value)?);
    }
    let mut weights = vec![1.0; numkeys];
    let (mut aggregate, mut with_scores, mut limit) = (Aggregate::Sum, false, 0usize);
    let mut at = numkeys_at + 1 + numkeys;
    while at < argv.len() {
        let opt = argv.arg(at);
        let remaining = argv.len() - at;
        if op != Op::Diff && !cardinality && remaining > numkeys && is_option(opt, "weights") {
            for (i, w) in weights.iter_mut().enumerate() {
                *w = parse_f64(argv.arg(at + 1 + i)).ok_or(CommandError::other("ERR weight value is not a float"))?;
            }
            at += 1 + numkeys;
        } else if op != Op::Diff && !cardinality && remaining >= 2 && is_option(opt, "aggregate") {
            let which = argv.arg(at + 1);
            let choices = [
                ("sum", Aggregate::Sum),
                ("min", Aggregate::Min),
                ("max", Aggregate::Max),
            ];
            aggregate = keyword(which, &choices).ok_or(CommandError::Syntax)?;
            at += 2;
        } else if !store && !cardinality && is_option(opt, "withscores") {
            with_scores = true;
            at += 1;
        } else if cardinality && remaining >= 2 && is_option(opt, "limit") {
            limit = ranged(argv.arg(at + 1), 0, i64::MAX, Some("ERR LIMIT can't be negative"))? as usize;
            at += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let weighted = |score: f64, w: f64| {
        let v = score * w;
        if v.is_nan() { 0.0 } else { v }
    };
    // Redis builds the result as a skiplist, which keeps a score of -0 (a store then makes a
    // small result a listpack).
    let limits = ctx.ks.encodings();
    let mut result = ZSet::default();
    result.mark_large();
    match op {
        Op::Union => {
            let mut acc: crate::keyspace::Map<Vec<u8>, f64> = Default::default();
            for (input, w) in inputs.iter().zip(&weights) {
                for (member, score) in input {
                    let v = weighted(*score, *w);
                    acc.entry(member.clone())
                        .and_modify(|a| *a = aggregate.apply(*a, v))
                        .or_insert(v);
                }
            }
            for (member, score) in acc {
                result.insert(&member, score, &limits);
            }
        }
        Op::Inter => {
            if inputs.iter().all(|i| !i.is_empty()) {
                let lookups: Vec<crate::keyspace::Map<&[u8], f64>> = inputs
                    .iter()
                    .map(|i| i.iter().map(|(m, s)| (m.as_slice(), *s)).collect())
                    .collect();
                let smallest = (0..numkeys).min_by_key(|&i| inputs[i].len()).unwrap_or(0);
                'members: for (member, _) in &inputs[smallest] {
                    let mut acc: Option<f64> = None;
                    for (lookup, w) in lookups.iter().zip(&weights) {
                        let Some(score) = lookup.get(member.as_slice()) else {
                            continue 'members;
                        };
                        let v = weighted(*score, *w);
                        acc = Some(acc.map_or(v, |a| aggregate.apply(a, v)));
                    }
                    result.insert(member, acc.unwrap_or(0.0), &limits);
                    if cardinality && limit > 0 && result.len() >= limit {
                        break;
                    }
                }
            }
        }
        Op::Diff => {
            let others: Vec<crate::keyspace::Map<&[u8], ()>> = inputs[1..]
                .iter()
                .map(|i| i.iter().map(|(m, _)| (m.as_slice(), ())).collect())
                .collect();
            for (member, score) in &inputs[0] {
                if !others.iter().any(|o| o.contains_key(member.as_slice())) {
                    result.insert(member, *score, &limits);
                }
            }
        }
    }
    Ok((result, with_scores, limit))
}

fn algebra(ctx: &mut Ctx<'_>, argv: &Argv, op: Op) -> Result<Reply, CommandError> {
    let (result, with_scores, _) = combine(ctx, argv, 1, op, Output::Reply)?;
    Ok(entries_reply(result.iter(), with_scores, ctx.resp == 3))
}

fn algebra_store(ctx: &mut Ctx<'_>, argv: &Argv, op: Op) -> Result<Reply, CommandError> {
    let (mut result, _, _) = combine(ctx, argv, 2, op, Output::Store)?;
    result.shrink_if_small(&ctx.ks.encodings());
    let event = match op {
        Op::Union => "zunionstore",
        Op::Inter => "zinterstore",
        Op::Diff => "zdiffstore",
    };
    Ok(store_result(ctx, argv.arg(1), result, event, 1))
}

/// ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(crate) fn zunion(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra(ctx, argv, Op::Union)
}

/// ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]
pub(crate) fn zinter(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra(ctx, argv, Op::Inter)
}

/// ZDIFF numkeys key [key ...] [WITHSCORES]
pub(crate) fn zdiff(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra(ctx, argv, Op::Diff)
}

/// ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub(crate) fn zunionstore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra_store(ctx, argv, Op::Union)
}

/// ZINTERSTORE destination numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
pub(crate) fn zinterstore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra_store(ctx, argv, Op::Inter)
}

/// ZDIFFSTORE destination numkeys key [key ...]
pub(crate) fn zdiffstore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    algebra_store(ctx, argv, Op::Diff)
}

/// ZINTERCARD numkeys key [key ...] [LIMIT limit]
pub(crate) fn zintercard(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (result, _, limit) = combine(ctx, argv, 1, Op::Inter, Output::Cardinality)?;
    let len = result.len();
    Ok(Reply::Integer(if limit == 0 { len } else { len.min(limit) } as i64))
}

/// BZPOPMIN/BZPOPMAX key [key ...] timeout
fn blocking_pop(ctx: &mut Ctx<'_>, argv: &Argv, end: ListEnd) -> Result<Reply, CommandError> {
    let deadline = parse_timeout(ctx.ks, argv.arg(argv.len() - 1))?;
    let keys: Vec<&[u8]> = (1..argv.len() - 1).map(|i| argv.arg(i)).collect();
    let op = BlockedOp::ZPop(end);
    match pop_first(ctx, &keys, &op)? {
        Some(reply) => Ok(reply),
        None => Ok(ctx.block(&keys, op, deadline, Reply::NilArray)),
    }
}

/// BZPOPMIN key [key ...] timeout
pub(crate) fn bzpopmin(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    blocking_pop(ctx, argv, ListEnd::Head)
}

/// BZPOPMAX key [key ...] timeout
pub(crate) fn bzpopmax(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    blocking_pop(ctx, argv, ListEnd::Tail)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
pub(crate) fn bzmpop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (keys, end, count) = parse_mpop(argv, 2, parse_min_max)?;
    let deadline = parse_timeout(ctx.ks, argv.arg(1))?;
    let op = BlockedOp::ZPopMany(end, count);
    match pop_first(ctx, &keys, &op)? {
        Some(reply) => Ok(reply),
        None => Ok(ctx.block(&keys, op, deadline, Reply::NilArray)),
    }
}
