//! Stream commands (Redis's `t_stream.c`): entries, ranges, trimming, reads that may block,
//! and consumer groups with their pending entries.

use super::args::{c_str, error_text, int, is_option, ranged, subcommand_syntax_error};
use super::{Caller, Ctx, Engines};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::Keyspace;
use crate::keyspace::blocking::{BlockedOp, StreamRead, WaitEnd};
use crate::keyspace::effects::EventClass;
use crate::keyspace::stream::Stream;
use crate::keyspace::stream::{AddError, Consumer, Group, IdRequest, Nack, StreamEntry, StreamId, Trim, TrimBy};
use crate::number::parse_i64;
use crate::reply::Reply;

/// Redis's error for an argument that is not a stream ID.
const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

/// How many entries a blocked XREAD without COUNT gets at most.
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// Redis's `string2ull`: a strict integer, or else what C's `strtoull` reads in base 10 over the
/// whole argument (leading blanks, a sign, leading zeros; a minus wraps around).
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(n) = parse_i64(s) {
        return u64::try_from(n).ok();
    }
    let mut i = s
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits
        .iter()
        .try_fold(0u64, |v, d| v.checked_mul(10)?.checked_add((d - b'0') as u64))?;
    Some(if negative { value.wrapping_neg() } else { value })
}

/// An ID argument as Redis reads it (`streamGenericParseIDOrReply`): `ms-seq`, or `ms` with
/// `missing_seq`; `-` and `+` for the smallest and largest unless `strict`; with `seq_star`,
/// `ms-*` (answered with `false`: no sequence given).
fn parse_id_generic(arg: &[u8], missing_seq: u64, strict: bool, seq_star: bool) -> Option<(StreamId, bool)> {
    if arg.len() > 127 {
        return None;
    }
    let buf = c_str(arg);
    match buf {
        b"-" | b"+" if strict => None,
        b"-" => Some((StreamId::MIN, true)),
        b"+" => Some((StreamId::MAX, true)),
        _ => match buf.iter().position(|&b| b == b'-') {
            Some(dash) => {
                let ms = string2ull(&buf[..dash])?;
                match &buf[dash + 1..] {
                    b"*" if seq_star => Some((StreamId::new(ms, 0), false)),
                    seq => Some((StreamId::new(ms, string2ull(seq)?), true)),
                }
            }
            None => Some((StreamId::new(string2ull(buf)?, missing_seq), true)),
        },
    }
}

/// An ID argument, `-` and `+` allowed.
fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CommandError> {
    parse_id_generic(arg, missing_seq, false, false)
        .map(|(id, _)| id)
        .ok_or(CommandError::other(INVALID_ID))
}

/// An ID argument that must be an ID (`-` and `+` refused).
fn parse_strict_id(arg: &[u8]) -> Result<StreamId, CommandError> {
    parse_id_generic(arg, 0, true, false)
        .map(|(id, _)| id)
        .ok_or(CommandError::other(INVALID_ID))
}

/// A range bound: an ID, `-`/`+`, or `(ID` for an exclusive one (answered with `true`).
fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), CommandError> {
    let exclusive = arg.len() > 1 && arg[0] == b'(';
    let parsed = if exclusive {
        parse_id_generic(&arg[1..], missing_seq, true, false)
    } else {
        parse_id_generic(arg, missing_seq, false, false)
    };
    parsed
        .map(|(id, _)| (id, exclusive))
        .ok_or(CommandError::other(INVALID_ID))
}

/// A range's start: inclusive, `(` moving it up one.
fn parse_start(arg: &[u8]) -> Result<StreamId, CommandError> {
    match parse_interval(arg, 0)? {
        (id, true) => id
            .incr()
            .ok_or(CommandError::other("ERR invalid start ID for the interval")),
        (id, false) => Ok(id),
    }
}

/// A range's end: inclusive, `(` moving it down one.
fn parse_end(arg: &[u8]) -> Result<StreamId, CommandError> {
    match parse_interval(arg, u64::MAX)? {
        (id, true) => id
            .decr()
            .ok_or(CommandError::other("ERR invalid end ID for the interval")),
        (id, false) => Ok(id),
    }
}

/// An entry as Redis answers it: `[id, [field, value, …]]`.
fn entry_reply(entry: StreamEntry) -> Reply {
    Reply::Array(vec![
        Reply::bulk(entry.id.to_bytes()),
        Reply::Array(entry.fields.into_iter().map(Reply::Bulk).collect()),
    ])
}

fn entries_reply(entries: Vec<StreamEntry>) -> Reply {
    Reply::Array(entries.into_iter().map(entry_reply).collect())
}

fn id_reply(id: StreamId) -> Reply {
    Reply::bulk(id.to_bytes())
}

/// Redis's NOGROUP error for a key and group.
fn no_group(key: &[u8], group: &[u8]) -> CommandError {
    CommandError::Other(
        format!(
            "NOGROUP No such key '{}' or consumer group '{}'",
            error_text(key),
            error_text(group)
        )
        .into(),
    )
}

/// XADD's and XTRIM's arguments (Redis's `streamParseAddOrTrimArgsOrReply`).
struct AddOrTrim {
    /// XADD's ID and where it is in the arguments.
    id: IdRequest,
    id_pos: usize,
    no_mkstream: bool,
    trim: Option<Trim>,
    /// Where an approximate (`~`) threshold is in the arguments.
    approx_at: Option<usize>,
}

fn parse_add_or_trim(ctx: &Ctx<'_>, argv: &Argv, xadd: bool) -> Result<AddOrTrim, CommandError> {
    let mut parsed = AddOrTrim {
        id: IdRequest::Auto,
        id_pos: argv.len(),
        no_mkstream: false,
        trim: None,
        approx_at: None,
    };
    let mut by = None;
    let mut approx = false;
    let mut limit: Option<i64> = None;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv.arg(i);
        if xadd && c_str(opt) == b"*" {
            parsed.id_pos = i;
            break;
        } else if (is_option(opt, "maxlen") || is_option(opt, "minid")) && more > 0 {
            if by.is_some() {
                return Err(CommandError::other(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            approx = false;
            let next = c_str(argv.arg(i + 1));
            parsed.approx_at = None;
            if more >= 2 && (next == b"~" || next == b"=") {
                approx = next == b"~";
                i += 1;
                if approx {
                    parsed.approx_at = Some(i + 1);
                }
            }
            let value = argv.arg(i + 1);
            by = Some(if is_option(opt, "maxlen") {
                let max = int(value)?;
                if max < 0 {
                    return Err(CommandError::other("ERR The MAXLEN argument must be >= 0."));
                }
                TrimBy::MaxLen(max as u64)
            } else {
                TrimBy::MinId(parse_strict_id(value)?)
            });
            i += 1;
        } else if is_option(opt, "limit") && more > 0 {
            let n = int(argv.arg(i + 1))?;
            if n < 0 {
                return Err(CommandError::other("ERR The LIMIT argument must be >= 0."));
            }
            limit = Some(n);
            i += 1;
        } else if xadd && is_option(opt, "nomkstream") {
            parsed.no_mkstream = true;
        } else if xadd {
            let (id, seq_given) = parse_id_generic(opt, 0, true, true).ok_or(CommandError::other(INVALID_ID))?;
            parsed.id = if seq_given {
                IdRequest::Exact(id)
            } else {
                IdRequest::Millis(id.ms)
            };
            parsed.id_pos = i;
            break;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if limit.is_some_and(|n| n != 0) && by.is_none() {
        return Err(CommandError::other(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    let Some(by) = by else {
        if xadd {
            return Ok(parsed);
        }
        return Err(CommandError::other(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    };
    let limit = match limit {
        // Replayed from an append-only file, the threshold was made exact: no LIMIT applies.
        _ if ctx.ks.loading => 0,
        Some(_) if !approx => {
            return Err(CommandError::other(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
        Some(n) => n as u64,
        // At most a hundred nodes' worth at a time.
        None if approx => {
            let n = 100u64.saturating_mul(ctx.ks.encodings().stream_node.max_entries as u64);
            if n == 0 { 10_000 } else { n.min(1_000_000) }
        }
        None => 0,
    };
    parsed.trim = Some(Trim { by, approx, limit });
    Ok(parsed)
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]
pub(crate) fn xadd(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let parsed = parse_add_or_trim(ctx, argv, true)?;
    let pairs = argv.len().saturating_sub(parsed.id_pos + 1);
    if pairs < 2 || !pairs.is_multiple_of(2) {
        return Err(CommandError::WrongArity("xadd".into()));
    }
    if parsed.id == IdRequest::Exact(StreamId::MIN) {
        return Err(CommandError::other(
            "ERR The ID specified in XADD must be greater than 0-0",
        ));
    }
    let key = argv.arg(1);
    if parsed.no_mkstream && ctx.read::<Stream>(key)?.is_none() {
        return Ok(Reply::Nil);
    }
    let limits = ctx.ks.encodings().stream_node;
    let now = ctx.ks.now().max(0) as u64;
    let stream = ctx.write_or_create::<Stream>(key)?;
    if stream.last_id == StreamId::MAX {
        return Err(CommandError::other(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        ));
    }
    let fields: Vec<&[u8]> = argv.iter().skip(parsed.id_pos + 1).collect();
    let id = stream.add(parsed.id, now, &fields, limits).map_err(|e| match e {
        AddError::NotGreater => {
            CommandError::other("ERR The ID specified in XADD is equal or smaller than the target stream top item")
        }
        AddError::TooLarge => CommandError::other("ERR Elements are too large to be stored"),
    })?;
    let trimmed = parsed.trim.is_some_and(|trim| stream.trim(trim) > 0);
    let threshold = parsed.approx_at.map(|at| (at, exact_threshold(stream, parsed.trim)));
    ctx.modified(key);
    ctx.notify(EventClass::Stream, "xadd", key);
    ctx.dirty(1);
    // Replayed with the ID it got and the trim it did, as Redis rewrites them.
    let generated = !matches!(parsed.id, IdRequest::Exact(_));
    if generated || threshold.is_some() {
        ctx.replay_as(|| {
            let mut replayed = with_exact_trim(argv, threshold);
            if generated {
                replayed = replaced(&replayed, parsed.id_pos, &id.to_bytes());
            }
            replayed
        });
    }
    if trimmed {
        ctx.notify(EventClass::Stream, "xtrim", key);
    }
    ctx.ks.signal_ready(ctx.db, key);
    Ok(id_reply(id))
}

/// What an approximate trim left, as an exact threshold: the length for MAXLEN, the first ID
/// for MINID (Redis's `streamRewriteTrimArgument`).
fn exact_threshold(stream: &Stream, trim: Option<Trim>) -> Vec<u8> {
    match trim.map(|t| t.by) {
        Some(TrimBy::MinId(_)) => stream.edge_id(false).unwrap_or(StreamId::MIN).to_bytes(),
        _ => stream.len().to_string().into_bytes(),
    }
}

/// `argv` with `~ threshold` at `threshold.0` replaced by `= threshold.1`, so that replaying it
/// trims exactly what was trimmed.
fn with_exact_trim(argv: &Argv, threshold: Option<(usize, Vec<u8>)>) -> Argv {
    match threshold {
        Some((at, value)) => replaced(&replaced(argv, at - 1, b"="), at, &value),
        None => argv.clone(),
    }
}

/// `argv` with the argument at `at` replaced by `value`.
fn replaced(argv: &Argv, at: usize, value: &[u8]) -> Argv {
    let mut out = Argv::new();
    for (i, arg) in argv.iter().enumerate() {
        out.push(if i == at { value } else { arg });
    }
    out
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]
pub(crate) fn xtrim(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let parsed = parse_add_or_trim(ctx, argv, false)?;
    let key = argv.arg(1);
    let Some(stream) = ctx.write::<Stream>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let trim = parsed.trim.ok_or(CommandError::Syntax)?;
    let deleted = stream.trim(trim);
    if deleted > 0
        && let Some(at) = parsed.approx_at
    {
        let threshold = Some((at, exact_threshold(stream, Some(trim))));
        ctx.replay_as(|| with_exact_trim(argv, threshold));
    }
    if deleted > 0 {
        ctx.notify(EventClass::Stream, "xtrim", key);
        ctx.modified(key);
    }
    ctx.dirty(deleted as usize);
    Ok(Reply::Integer(deleted as i64))
}

/// XLEN key
pub(crate) fn xlen(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let len = ctx.read::<Stream>(argv.arg(1))?.map_or(0, Stream::len);
    Ok(Reply::Integer(len as i64))
}

/// XRANGE and XREVRANGE: the range, then COUNT.
fn range(ctx: &mut Ctx<'_>, argv: &Argv, rev: bool) -> Result<Reply, CommandError> {
    let (start_arg, end_arg) = if rev {
        (argv.arg(3), argv.arg(2))
    } else {
        (argv.arg(2), argv.arg(3))
    };
    let start = parse_start(start_arg)?;
    let end = parse_end(end_arg)?;
    let mut count: i64 = -1;
    let mut i = 4;
    while i < argv.len() {
        if is_option(argv.arg(i), "count") && i + 1 < argv.len() {
            count = int(argv.arg(i + 1))?.max(0);
            i += 2;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let Some(stream) = ctx.read::<Stream>(argv.arg(1))? else {
        return Ok(Reply::Array(Vec::new()));
    };
    if count == 0 {
        return Ok(Reply::NilArray);
    }
    let count = if count < 0 { 0 } else { count as usize };
    Ok(entries_reply(stream.range(start, end, count, rev)))
}

/// XRANGE key start end [COUNT count]
pub(crate) fn xrange(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    range(ctx, argv, false)
}

/// XREVRANGE key end start [COUNT count]
pub(crate) fn xrevrange(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    range(ctx, argv, true)
}

/// XDEL key id [id ...]
pub(crate) fn xdel(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let Some(stream) = ctx.write::<Stream>(key)? else {
        return Ok(Reply::Integer(0));
    };
    let ids = argv
        .iter()
        .skip(2)
        .map(parse_strict_id)
        .collect::<Result<Vec<_>, _>>()?;
    let mut deleted = 0;
    let mut first_entry = false;
    for id in ids {
        if stream.delete(id) {
            first_entry |= id == stream.first_id;
            stream.max_deleted_id = stream.max_deleted_id.max(id);
            deleted += 1;
        }
    }
    if deleted > 0 {
        if stream.len() == 0 {
            stream.first_id = StreamId::MIN;
        } else if first_entry {
            stream.refresh_first_id();
        }
        ctx.modified(key);
        ctx.notify(EventClass::Stream, "xdel", key);
    }
    ctx.dirty(deleted as usize);
    Ok(Reply::Integer(deleted))
}

/// XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]
pub(crate) fn xsetid(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let id = parse_strict_id(argv.arg(2))?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv.arg(i);
        if is_option(opt, "entriesadded") && more > 0 {
            let n = int(argv.arg(i + 1))?;
            if n < 0 {
                return Err(CommandError::other("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if is_option(opt, "maxdeletedid") && more > 0 {
            max_deleted = parse_strict_id(argv.arg(i + 1))?;
            if id < max_deleted {
                return Err(CommandError::other(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CommandError::Syntax);
        }
        i += 2;
    }
    let key = argv.arg(1);
    let stream = ctx.write::<Stream>(key)?.ok_or(CommandError::NoSuchKey)?;
    if stream.len() > 0 {
        if stream.edge_id(true).is_some_and(|last| id < last) {
            return Err(CommandError::other(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            ));
        }
        if entries_added.is_some_and(|n| stream.len() > n) {
            return Err(CommandError::other(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            ));
        }
    }
    stream.last_id = id;
    if let Some(n) = entries_added {
        stream.entries_added = n;
    }
    if !max_deleted.is_zero() {
        stream.max_deleted_id = max_deleted;
    }
    ctx.notify(EventClass::Stream, "xsetid", key);
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// How XREAD and XREADGROUP were called.
struct ReadArgs {
    /// BLOCK's deadline: `None` without BLOCK, `Some(None)` for ever.
    block: Option<Option<crate::keyspace::blocking::Deadline>>,
    count: usize,
    /// GROUP's group and consumer.
    group: Option<(Vec<u8>, Vec<u8>)>,
    noack: bool,
    /// Where the keys start; as many IDs follow them.
    streams_at: usize,
    streams: usize,
}

fn parse_read(ctx: &Ctx<'_>, argv: &Argv, group_read: bool) -> Result<ReadArgs, CommandError> {
    let mut args = ReadArgs {
        block: None,
        count: 0,
        group: None,
        noack: false,
        streams_at: 0,
        streams: 0,
    };
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv.arg(i);
        if is_option(opt, "block") && more > 0 {
            if ctx.in_script {
                return Err(CommandError::Other(
                    format!(
                        "ERR {} command is not allowed with BLOCK option from scripts",
                        error_text(argv.arg(0))
                    )
                    .into(),
                ));
            }
            i += 1;
            args.block = Some(super::blocking::parse_timeout_millis(ctx.ks, argv.arg(i))?);
        } else if is_option(opt, "count") && more > 0 {
            i += 1;
            args.count = int(argv.arg(i))?.max(0) as usize;
        } else if is_option(opt, "streams") && more > 0 {
            args.streams_at = i + 1;
            let rest = argv.len() - args.streams_at;
            if !rest.is_multiple_of(2) {
                return Err(CommandError::other(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            args.streams = rest / 2;
            break;
        } else if is_option(opt, "group") && more >= 2 {
            if !group_read {
                return Err(CommandError::other(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            args.group = Some((argv.arg(i + 1).to_vec(), argv.arg(i + 2).to_vec()));
            i += 2;
        } else if is_option(opt, "noack") {
            if !group_read {
                return Err(CommandError::other(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            args.noack = true;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    if args.streams_at == 0 {
        return Err(CommandError::Syntax);
    }
    if group_read && args.group.is_none() {
        return Err(CommandError::other("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(args)
}

/// XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]
pub(crate) fn xread(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    read(ctx, argv, false)
}

/// XREADGROUP GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]
pub(crate) fn xreadgroup(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    read(ctx, argv, true)
}

/// The ID `>` stands for (new entries for the group): the largest.
const NEW_FOR_GROUP: StreamId = StreamId::MAX;

fn read(ctx: &mut Ctx<'_>, argv: &Argv, group_read: bool) -> Result<Reply, CommandError> {
    let args = parse_read(ctx, argv, group_read)?;
    // What a group read changes is replayed as XCLAIMs (see `deliver`), never as itself.
    ctx.replay_by_parts();
    let keys: Vec<&[u8]> = (0..args.streams).map(|i| argv.arg(args.streams_at + i)).collect();
    let mut ids = Vec::with_capacity(args.streams);
    for (i, key) in keys.iter().enumerate() {
        let id_arg = argv.arg(args.streams_at + args.streams + i);
        // XREADGROUP writes, but looks its keys up as reads.
        ctx.read_lookup(key);
        let stream = ctx.read::<Stream>(key)?;
        if let Some((group, _)) = &args.group
            && !stream.is_some_and(|s| s.groups.contains_key(group))
        {
            return Err(CommandError::Other(
                format!(
                    "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                    error_text(key),
                    error_text(group)
                )
                .into(),
            ));
        }
        let id = match id_arg {
            b"$" if group_read => {
                return Err(CommandError::other(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            b"$" => stream.map_or(StreamId::MIN, |s| s.last_id),
            b">" if !group_read => {
                return Err(CommandError::other(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            b">" => NEW_FOR_GROUP,
            _ => parse_strict_id(id_arg)?,
        };
        ids.push(id);
    }
    let mut served = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let Some(stream) = ctx.read::<Stream>(key)? else {
            continue;
        };
        let newest = (stream.len() > 0).then(|| stream.edge_id(true)).flatten();
        let mut after = ids[i];
        let (serve, history) = match &args.group {
            Some(_) if after != NEW_FOR_GROUP => (true, true),
            Some((group, _)) => {
                let last = stream.groups.get(group).map_or(StreamId::MAX, |g| g.last_id);
                let newer = newest.is_some_and(|max| max > last);
                if newer {
                    after = last;
                }
                (newer, false)
            }
            None => (newest.is_some_and(|max| max > after), false),
        };
        if !serve {
            continue;
        }
        let start = after.incr().unwrap_or(StreamId::MIN);
        let entries = match &args.group {
            None => entries_reply(stream.range(start, StreamId::MAX, args.count, false)),
            Some((group, consumer)) => {
                let reader = GroupReader {
                    group,
                    consumer,
                    noack: args.noack,
                };
                let entries = deliver(ctx, key, &reader, start, args.count, history);
                // A group read changes the group (its pending entries, its consumer's time).
                ctx.dirty(1);
                entries
            }
        };
        served.push((Reply::bulk(*key), entries));
    }
    if !served.is_empty() {
        return Ok(streams_reply(served, ctx.resp));
    }
    let Some(deadline) = args.block else {
        return Ok(Reply::NilArray);
    };
    let read = StreamRead {
        ids,
        count: if args.count == 0 {
            BLOCKED_DEFAULT_COUNT
        } else {
            args.count
        },
        group: args.group.map(|(group, consumer)| (group, consumer, args.noack)),
        resp: ctx.resp,
    };
    Ok(ctx.block(&keys, BlockedOp::ReadStreams(Box::new(read)), deadline, Reply::NilArray))
}

/// XREAD's reply: per stream its key and entries, as pairs in RESP2 and a map in RESP3.
fn streams_reply(served: Vec<(Reply, Reply)>, resp: u8) -> Reply {
    if resp >= 3 {
        Reply::Map(served)
    } else {
        Reply::Array(
            served
                .into_iter()
                .map(|(key, entries)| Reply::Array(vec![key, entries]))
                .collect(),
        )
    }
}

/// The consumer `name` of `group` (which exists) on the stream at `key`, created if it is
/// missing (with its event); its seen time refreshed unless `refresh` is false. Answers whether
/// it was created.
fn ensure_consumer(ctx: &mut Ctx<'_>, key: &[u8], group: &[u8], name: &[u8], refresh: bool) -> bool {
    let now = ctx.ks.now();
    let Ok(Some(stream)) = ctx.write::<Stream>(key) else {
        return false;
    };
    let Some(g) = stream.groups.get_mut(group) else {
        return false;
    };
    match g.consumers.get_mut(name) {
        Some(c) => {
            if refresh {
                c.seen_time = now;
            }
            false
        }
        None => {
            g.consumers.insert(
                name.to_vec(),
                Consumer {
                    seen_time: now,
                    pel: Default::default(),
                },
            );
            ctx.notify(EventClass::Stream, "xgroup-createconsumer", key);
            ctx.dirty(1);
            true
        }
    }
}

/// Who reads for a group: the group, its consumer, and whether what it reads skips the
/// pending entries list (NOACK).
struct GroupReader<'a> {
    group: &'a [u8],
    consumer: &'a [u8],
    noack: bool,
}

/// Reads for a consumer of a group from `start`, at most `count`: its own pending entries
/// (`history`), or new entries, which become pending unless NOACK.
fn deliver(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    reader: &GroupReader<'_>,
    start: StreamId,
    count: usize,
    history: bool,
) -> Reply {
    let GroupReader {
        group,
        consumer: name,
        noack,
    } = *reader;
    let created = ensure_consumer(ctx, key, group, name, true);
    let now = ctx.ks.now();
    let Ok(Some(stream)) = ctx.write::<Stream>(key) else {
        return Reply::Array(Vec::new());
    };
    if history {
        let entries = stream.read_history(group, name, start, count, now);
        return Reply::Array(
            entries
                .into_iter()
                .map(|(id, entry)| match entry {
                    Some(entry) => entry_reply(entry),
                    None => Reply::Array(vec![id_reply(id), Reply::NilArray]),
                })
                .collect(),
        );
    }
    let last_before = stream.groups.get(group).map(|g| g.last_id);
    let entries = stream.read_group(group, name, start, count, noack, now);
    let last_id = stream.groups.get(group).map_or(StreamId::MIN, |g| g.last_id);
    // Replayed as Redis propagates a group read: each entry delivered as an XCLAIM that gives
    // it to the consumer as it now is; with NOACK, the consumer's creation and the group's
    // new last ID.
    if noack {
        if created {
            ctx.replay_as(|| Argv::from_args(("XGROUP", "CREATECONSUMER", key, group, name)));
        }
        if last_before != Some(last_id) {
            let _ = replay_as_setid(ctx, key, group);
        }
    } else {
        for entry in &entries {
            let nack = Nack {
                delivery_time: now,
                delivery_count: 1,
                consumer: name.to_vec(),
            };
            replay_as_xclaim(ctx, key, group, entry.id, &nack, entry.id);
        }
    }
    entries_reply(entries)
}

/// Replays a group's last ID as Redis's `streamPropagateGroupID`: `XGROUP SETID key group <id>
/// ENTRIESREAD <n>`.
fn replay_as_setid(ctx: &mut Ctx<'_>, key: &[u8], group: &[u8]) -> Result<(), CommandError> {
    let g = stream_and_group(ctx, key, group)?.groups.get(group);
    let (last_id, entries_read) = g.map_or((StreamId::MIN, 0), |g| (g.last_id, g.entries_read));
    ctx.replay_as(|| {
        Argv::from_args((
            ("XGROUP", "SETID", key, group),
            (last_id.to_bytes(), "ENTRIESREAD", entries_read.to_string()),
        ))
    });
    Ok(())
}

/// Replays a pending entry's state as Redis's `streamPropagateXCLAIM`: `XCLAIM key group
/// consumer 0 id TIME <delivery time> RETRYCOUNT <count> FORCE JUSTID LASTID <group's last ID>`,
/// which gives the entry to its consumer exactly as it is, however often it is replayed.
fn replay_as_xclaim(ctx: &mut Ctx<'_>, key: &[u8], group: &[u8], id: StreamId, nack: &Nack, last_id: StreamId) {
    ctx.replay_as(|| {
        Argv::from_args((
            ("XCLAIM", key, group, &nack.consumer[..], "0", id.to_bytes()),
            (
                "TIME",
                nack.delivery_time.to_string(),
                "RETRYCOUNT",
                nack.delivery_count.to_string(),
            ),
            ("FORCE", "JUSTID", "LASTID", last_id.to_bytes()),
        ))
    });
}

/// Serves the clients blocked in XREAD/XREADGROUP on the stream at `key`, in arrival order:
/// each one whose ID is now below the stream's last gets the entries past it; a client whose
/// group is gone gets Redis's NOGROUP error (Redis's `serveClientsBlockedOnStreamKey`).
pub(crate) fn serve_readers(ks: &mut Keyspace, engines: &mut Engines, db: usize, key: &[u8]) -> bool {
    let mut served = false;
    for client in ks.waiters(db, key) {
        let Some(request) = ks.blocked_request(client) else {
            continue;
        };
        let BlockedOp::ReadStreams(read) = &request.op else {
            continue;
        };
        let Some(at) = request.keys.iter().position(|k| k == key) else {
            continue;
        };
        let (mut after, read) = (read.ids[at], read.clone());
        let mut ctx = Ctx::new(ks, engines, &Caller::internal(client, db));
        let Ok(Some(stream)) = ctx.read::<Stream>(key) else {
            break;
        };
        let last_id = stream.last_id;
        if let Some((group, _, _)) = &read.group {
            match stream.groups.get(group) {
                Some(g) => after = g.last_id,
                None => {
                    ctx.ks.unblock(client);
                    let error =
                        CommandError::other("NOGROUP the consumer group this client was blocked on no longer exists");
                    ctx.ks.deliver(client, Reply::Error(error), WaitEnd::Served);
                    served = true;
                    continue;
                }
            }
        }
        if last_id <= after {
            continue;
        }
        let start = after.incr().unwrap_or(StreamId::MIN);
        ctx.ks.unblock(client);
        let entries = match &read.group {
            None => match ctx.read::<Stream>(key) {
                Ok(Some(stream)) => entries_reply(stream.range(start, StreamId::MAX, read.count, false)),
                _ => Reply::Array(Vec::new()),
            },
            Some((group, consumer, noack)) => {
                ctx.resp = read.resp;
                let reader = GroupReader {
                    group,
                    consumer,
                    noack: *noack,
                };
                deliver(&mut ctx, key, &reader, start, read.count, false)
            }
        };
        let reply = streams_reply(vec![(Reply::bulk(key), entries)], read.resp);
        ctx.ks.deliver(client, reply, WaitEnd::Served);
        served = true;
    }
    served
}

/// The key someone waits on no longer holds a stream: clients blocked on it in XREADGROUP
/// get Redis's UNBLOCKED error (XREAD's wait on).
pub(crate) fn stream_gone(ks: &mut Keyspace, db: usize, key: &[u8]) -> bool {
    let mut served = false;
    for client in ks.waiters(db, key) {
        let in_group = ks
            .blocked_request(client)
            .is_some_and(|r| matches!(&r.op, BlockedOp::ReadStreams(read) if read.group.is_some()));
        if in_group {
            ks.unblock(client);
            let error = CommandError::other("UNBLOCKED the stream key no longer exists");
            ks.deliver(client, Reply::Error(error), WaitEnd::Served);
            served = true;
        }
    }
    served
}

/// XACK key group id [id ...]
pub(crate) fn xack(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, group) = (argv.arg(1), argv.arg(2));
    ctx.read_lookup(key);
    let exists = ctx.read::<Stream>(key)?.is_some_and(|s| s.groups.contains_key(group));
    if !exists {
        return Ok(Reply::Integer(0));
    }
    let ids = argv
        .iter()
        .skip(3)
        .map(parse_strict_id)
        .collect::<Result<Vec<_>, _>>()?;
    let Some(g) = ctx.write::<Stream>(key)?.and_then(|s| s.groups.get_mut(group)) else {
        return Ok(Reply::Integer(0));
    };
    let acknowledged = ids.into_iter().filter(|id| g.ack(*id)).count();
    ctx.dirty(acknowledged);
    Ok(Reply::Integer(acknowledged as i64))
}

/// XPENDING key group [[IDLE min-idle-time] start end count [consumer]]
pub(crate) fn xpending(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let argc = argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CommandError::Syntax);
    }
    let (key, group_name) = (argv.arg(1), argv.arg(2));
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is_option(argv.arg(3), "idle") {
            min_idle = int(argv.arg(4))?;
            if argc < 8 {
                return Err(CommandError::Syntax);
            }
            at += 2;
        }
        let count = int(argv.arg(at + 2))?.max(0) as usize;
        let start = parse_start(argv.arg(at))?;
        let end = parse_end(argv.arg(at + 1))?;
        let consumer = argv.get(at + 3);
        range = Some((min_idle, start, end, count, consumer));
    }
    let now = ctx.ks.now();
    let stream = ctx.read::<Stream>(key)?;
    let Some(group) = stream.and_then(|s| s.groups.get(group_name)) else {
        return Err(no_group(key, group_name));
    };
    let Some((min_idle, start, end, count, consumer)) = range else {
        let (Some(first), Some(last)) = (group.pel.keys().next(), group.pel.keys().next_back()) else {
            return Ok(Reply::Array(vec![
                Reply::Integer(0),
                Reply::Nil,
                Reply::Nil,
                Reply::NilArray,
            ]));
        };
        let consumers = group
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .map(|(name, c)| Reply::Array(vec![Reply::bulk(name.as_slice()), Reply::bulk(c.pel.len().to_string())]))
            .collect();
        return Ok(Reply::Array(vec![
            Reply::Integer(group.pel.len() as i64),
            id_reply(*first),
            id_reply(*last),
            Reply::Array(consumers),
        ]));
    };
    let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
        Some(name) => match group.consumers.get(name) {
            Some(c) => Box::new(c.pel.range(start..).copied()),
            None => return Ok(Reply::Array(Vec::new())),
        },
        None => Box::new(group.pel.range(start..).map(|(id, _)| *id)),
    };
    let mut out = Vec::new();
    for id in ids.take_while(|id| *id <= end) {
        if out.len() == count {
            break;
        }
        let Some(nack) = group.pel.get(&id) else {
            continue;
        };
        if min_idle != 0 && now - nack.delivery_time < min_idle {
            continue;
        }
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::bulk(nack.consumer.as_slice()),
            Reply::Integer((now - nack.delivery_time).max(0)),
            Reply::Integer(nack.delivery_count as i64),
        ]));
    }
    Ok(Reply::Array(out))
}

/// The stream at `key` and its group `name`, for a command that needs both (XCLAIM,
/// XAUTOCLAIM): NOGROUP when either is missing.
fn stream_and_group<'s>(ctx: &'s mut Ctx<'_>, key: &[u8], name: &[u8]) -> Result<&'s mut Stream, CommandError> {
    match ctx.read::<Stream>(key)? {
        Some(s) if s.groups.contains_key(name) => {}
        _ => return Err(no_group(key, name)),
    }
    ctx.write::<Stream>(key)?.ok_or_else(|| no_group(key, name))
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds]
/// [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
pub(crate) fn xclaim(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, group, name) = (argv.arg(1), argv.arg(2), argv.arg(3));
    ctx.read_lookup(key);
    stream_and_group(ctx, key, group)?;
    let min_idle = parse_i64(argv.arg(4))
        .ok_or(CommandError::other("ERR Invalid min-idle-time argument for XCLAIM"))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match parse_id_generic(argv.arg(j), 0, true, false) {
            Some((id, _)) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = ctx.ks.now();
    let (mut force, mut justid) = (false, false);
    let mut delivery_time: Option<i64> = None;
    let mut retry_count: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = argv.arg(j);
        let number = |at: usize, what: &str| {
            parse_i64(argv.arg(at))
                .ok_or_else(|| CommandError::Other(format!("ERR Invalid {what} option argument for XCLAIM").into()))
        };
        if is_option(opt, "force") {
            force = true;
        } else if is_option(opt, "justid") {
            justid = true;
        } else if is_option(opt, "idle") && more > 0 {
            j += 1;
            delivery_time = Some(now - number(j, "IDLE")?);
        } else if is_option(opt, "time") && more > 0 {
            j += 1;
            delivery_time = Some(number(j, "TIME")?);
        } else if is_option(opt, "retrycount") && more > 0 {
            j += 1;
            retry_count = Some(number(j, "RETRYCOUNT")?);
        } else if is_option(opt, "lastid") && more > 0 {
            j += 1;
            last_id = parse_strict_id(argv.arg(j))?;
        } else {
            return Err(CommandError::Other(
                format!("ERR Unrecognized XCLAIM option '{}'", error_text(opt)).into(),
            ));
        }
        j += 1;
    }
    let delivery_time = match delivery_time {
        Some(t) if (0..=now).contains(&t) => t,
        _ => now,
    };
    let mut last_id_moved = false;
    {
        let stream = stream_and_group(ctx, key, group)?;
        if let Some(g) = stream.groups.get_mut(group)
            && last_id > g.last_id
        {
            g.last_id = last_id;
            last_id_moved = true;
        }
    }
    let mut out = Vec::new();
    // Entries claimed, and pending entries dropped because the stream lost them.
    let mut changes = 0;
    let mut consumer_ready = false;
    for id in ids {
        let stream = stream_and_group(ctx, key, group)?;
        let exists = stream.contains(id);
        let Some(g) = stream.groups.get_mut(group) else {
            break;
        };
        if !exists {
            let dropped = g.pel.get(&id).cloned().map(|nack| (nack, g.last_id));
            if g.ack(id) {
                changes += 1;
            }
            if let Some((nack, last_id)) = dropped {
                replay_as_xclaim(ctx, key, group, id, &nack, last_id);
            }
            continue;
        }
        let created = match g.pel.get(&id) {
            Some(nack) => {
                if min_idle != 0 && now - nack.delivery_time < min_idle {
                    continue;
                }
                false
            }
            None if force => true,
            None => continue,
        };
        if !consumer_ready {
            ensure_consumer(ctx, key, group, name, true);
            consumer_ready = true;
        }
        let stream = stream_and_group(ctx, key, group)?;
        let entry = if justid { None } else { stream.get(id) };
        let Some(g) = stream.groups.get_mut(group) else {
            break;
        };
        if created {
            g.pel.insert(
                id,
                Nack {
                    delivery_time: now,
                    delivery_count: 1,
                    consumer: name.to_vec(),
                },
            );
        }
        g.reassign(id, name);
        let mut claimed = None;
        if let Some(nack) = g.pel.get_mut(&id) {
            nack.delivery_time = delivery_time;
            match retry_count {
                Some(n) if n >= 0 => nack.delivery_count = n as u64,
                _ if !justid => nack.delivery_count += 1,
                _ => {}
            }
            claimed = Some((nack.clone(), g.last_id));
        }
        if let Some((nack, last_id)) = claimed {
            replay_as_xclaim(ctx, key, group, id, &nack, last_id);
        }
        out.push(match entry {
            Some(entry) => entry_reply(entry),
            None => id_reply(id),
        });
        changes += 1;
    }
    // A new LASTID alone is one change (Redis propagates it then, else with the claims).
    ctx.dirty(changes + usize::from(last_id_moved && changes == 0));
    ctx.replay_by_parts();
    if last_id_moved && changes == 0 {
        replay_as_setid(ctx, key, group)?;
    }
    Ok(Reply::Array(out))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]
pub(crate) fn xautoclaim(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, group, name) = (argv.arg(1), argv.arg(2), argv.arg(3));
    let min_idle = parse_i64(argv.arg(4))
        .ok_or(CommandError::other("ERR Invalid min-idle-time argument for XAUTOCLAIM"))?
        .max(0);
    let start = parse_start(argv.arg(5))?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = argv.arg(j);
        if is_option(opt, "count") && more > 0 {
            count = ranged(argv.arg(j + 1), 1, i64::MAX / 16, Some("ERR COUNT must be > 0"))?;
            j += 1;
        } else if is_option(opt, "justid") {
            justid = true;
        } else {
            return Err(CommandError::Syntax);
        }
        j += 1;
    }
    ctx.read_lookup(key);
    stream_and_group(ctx, key, group)?;
    let now = ctx.ks.now();
    let mut attempts = count.saturating_mul(10);
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut cursor = start;
    let mut next = StreamId::MIN;
    let mut consumer_ready = false;
    loop {
        let stream = stream_and_group(ctx, key, group)?;
        let candidate = stream
            .groups
            .get(group)
            .and_then(|g| g.pel.range(cursor..).next().map(|(id, nack)| (*id, nack.delivery_time)));
        if attempts == 0 || count == 0 {
            next = candidate.map_or(StreamId::MIN, |(id, _)| id);
            break;
        }
        attempts -= 1;
        let Some((id, delivered)) = candidate else {
            break;
        };
        cursor = match id.incr() {
            Some(after) => after,
            None => StreamId::MAX,
        };
        if !stream.contains(id) {
            let mut dropped = None;
            if let Some(g) = stream.groups.get_mut(group) {
                dropped = g.pel.get(&id).cloned().map(|nack| (nack, g.last_id));
                g.ack(id);
            }
            if let Some((nack, last_id)) = dropped {
                replay_as_xclaim(ctx, key, group, id, &nack, last_id);
            }
            deleted.push(id_reply(id));
            count -= 1;
            if id == StreamId::MAX {
                break;
            }
            continue;
        }
        if min_idle != 0 && now - delivered < min_idle {
            if id == StreamId::MAX {
                break;
            }
            continue;
        }
        if !consumer_ready {
            ensure_consumer(ctx, key, group, name, true);
            consumer_ready = true;
        }
        let stream = stream_and_group(ctx, key, group)?;
        let entry = if justid { None } else { stream.get(id) };
        let mut claimed_nack = None;
        if let Some(g) = stream.groups.get_mut(group) {
            g.reassign(id, name);
            if let Some(nack) = g.pel.get_mut(&id) {
                nack.delivery_time = now;
                if !justid {
                    nack.delivery_count += 1;
                }
                claimed_nack = Some((nack.clone(), g.last_id));
            }
        }
        if let Some((nack, last_id)) = claimed_nack {
            replay_as_xclaim(ctx, key, group, id, &nack, last_id);
        }
        claimed.push(match entry {
            Some(entry) => entry_reply(entry),
            None => id_reply(id),
        });
        count -= 1;
        if id == StreamId::MAX {
            break;
        }
    }
    ctx.dirty(claimed.len() + deleted.len());
    ctx.replay_by_parts();
    Ok(Reply::Array(vec![
        id_reply(next),
        Reply::Array(claimed),
        Reply::Array(deleted),
    ]))
}

/// XGROUP's options after the group (CREATE's MKSTREAM, CREATE's and SETID's ENTRIESREAD).
fn parse_group_options(argv: &Argv, create: bool, setid: bool) -> Result<(bool, i64), CommandError> {
    let (mut mkstream, mut entries_read) = (false, -1);
    let mut i = 5;
    while i < argv.len() {
        let opt = argv.arg(i);
        if create && is_option(opt, "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && is_option(opt, "entriesread") && i + 1 < argv.len() {
            entries_read = int(argv.arg(i + 1))?;
            if entries_read < 0 && entries_read != -1 {
                return Err(CommandError::other("ERR value for ENTRIESREAD must be positive or -1"));
            }
            i += 2;
        } else {
            return Err(subcommand_syntax_error(argv, "XGROUP"));
        }
    }
    Ok((mkstream, entries_read))
}

/// XGROUP's error for a missing key.
const KEY_REQUIRED: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// The stream an XGROUP subcommand works on, which must exist.
fn group_stream<'s>(ctx: &'s mut Ctx<'_>, key: &[u8]) -> Result<&'s mut Stream, CommandError> {
    ctx.write::<Stream>(key)?.ok_or(CommandError::other(KEY_REQUIRED))
}

/// XGROUP's NOGROUP error for a group of a key.
fn no_such_group(key: &[u8], group: &[u8]) -> CommandError {
    CommandError::Other(
        format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            error_text(group),
            error_text(key)
        )
        .into(),
    )
}

/// The group an XGROUP subcommand (SETID, CREATECONSUMER, DELCONSUMER) works on.
fn existing_group<'g>(ctx: &'g mut Ctx<'_>, key: &[u8], group: &[u8]) -> Result<&'g mut Group, CommandError> {
    group_stream(ctx, key)?
        .groups
        .get_mut(group)
        .ok_or_else(|| no_such_group(key, group))
}

/// XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD entries-read]
pub(crate) fn xgroup_create(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (mkstream, entries_read) = parse_group_options(argv, true, false)?;
    let (key, group) = (argv.arg(2), argv.arg(3));
    let exists = ctx.write::<Stream>(key)?.is_some();
    if !exists && !mkstream {
        return Err(CommandError::other(KEY_REQUIRED));
    }
    if argv.len() > 8 {
        return Err(subcommand_syntax_error(argv, "XGROUP"));
    }
    let id = match argv.arg(4) {
        b"$" => ctx.write::<Stream>(key)?.map_or(StreamId::MIN, |s| s.last_id),
        arg => parse_strict_id(arg)?,
    };
    if !exists {
        ctx.write_or_create::<Stream>(key)?;
        ctx.modified(key);
    }
    let stream = group_stream(ctx, key)?;
    if stream.groups.contains_key(group) {
        return Err(CommandError::other("BUSYGROUP Consumer Group name already exists"));
    }
    stream.groups.insert(group.to_vec(), Group::new(id, entries_read));
    ctx.notify(EventClass::Stream, "xgroup-create", key);
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// XGROUP SETID key group id|$ [ENTRIESREAD entries-read]
pub(crate) fn xgroup_setid(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (_, entries_read) = parse_group_options(argv, false, true)?;
    let (key, group) = (argv.arg(2), argv.arg(3));
    existing_group(ctx, key, group)?;
    if argv.len() != 5 && argv.len() != 7 {
        return Err(subcommand_syntax_error(argv, "XGROUP"));
    }
    let last = group_stream(ctx, key)?.last_id;
    let id = match argv.arg(4) {
        b"$" => last,
        arg => parse_id(arg, 0)?,
    };
    let g = existing_group(ctx, key, group)?;
    g.last_id = id;
    g.entries_read = entries_read;
    ctx.notify(EventClass::Stream, "xgroup-setid", key);
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// XGROUP DESTROY key group
pub(crate) fn xgroup_destroy(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, group) = (argv.arg(2), argv.arg(3));
    if group_stream(ctx, key)?.groups.remove(group).is_none() {
        return Ok(Reply::Integer(0));
    }
    ctx.notify(EventClass::Stream, "xgroup-destroy", key);
    ctx.dirty(1);
    ctx.ks.signal_ready(ctx.db, key);
    Ok(Reply::Integer(1))
}

/// XGROUP CREATECONSUMER key group consumer
pub(crate) fn xgroup_createconsumer(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, group, name) = (argv.arg(2), argv.arg(3), argv.arg(4));
    existing_group(ctx, key, group)?;
    Ok(Reply::Integer(ensure_consumer(ctx, key, group, name, false) as i64))
}

/// XGROUP DELCONSUMER key group consumer
pub(crate) fn xgroup_delconsumer(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, group, name) = (argv.arg(2), argv.arg(3), argv.arg(4));
    let Some(pending) = existing_group(ctx, key, group)?.remove_consumer(name) else {
        return Ok(Reply::Integer(0));
    };
    ctx.notify(EventClass::Stream, "xgroup-delconsumer", key);
    ctx.dirty(1);
    Ok(Reply::Integer(pending as i64))
}

/// XGROUP HELP
pub(crate) fn xgroup_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CREATE <key> <groupname> <id|$> [option]",
        "    Create a new consumer group. Options are:",
        "    * MKSTREAM",
        "      Create the empty stream if it does not exist.",
        "    * ENTRIESREAD entries_read",
        "      Set the group's entries_read counter (internal use).",
        "CREATECONSUMER <key> <groupname> <consumer>",
        "    Create a new consumer in the specified group.",
        "DELCONSUMER <key> <groupname> <consumer>",
        "    Remove the specified consumer.",
        "DESTROY <key> <groupname>",
        "    Remove the specified group.",
        "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
        "    Set the current group ID and entries_read counter.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}

/// The stream an XINFO subcommand reads, which must exist.
fn info_stream<'s>(ctx: &'s mut Ctx<'_>, key: &[u8]) -> Result<&'s Stream, CommandError> {
    ctx.read::<Stream>(key)?.ok_or(CommandError::NoSuchKey)
}

fn field(name: &str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

fn optional_int(value: Option<i64>) -> Reply {
    value.map_or(Reply::Nil, Reply::Integer)
}

/// A group's entries-read, nil when not known.
fn entries_read(group: &Group) -> Reply {
    optional_int((group.entries_read != -1).then_some(group.entries_read))
}

/// XINFO CONSUMERS key group
pub(crate) fn xinfo_consumers(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, group) = (argv.arg(2), argv.arg(3));
    let now = ctx.ks.now();
    let stream = info_stream(ctx, key)?;
    let g = stream.groups.get(group).ok_or_else(|| no_such_group(key, group))?;
    Ok(Reply::Array(
        g.consumers
            .iter()
            .map(|(name, c)| {
                Reply::Map(vec![
                    field("name", Reply::bulk(name.as_slice())),
                    field("pending", Reply::Integer(c.pel.len() as i64)),
                    field("idle", Reply::Integer((now - c.seen_time).max(0))),
                ])
            })
            .collect(),
    ))
}

/// XINFO GROUPS key
pub(crate) fn xinfo_groups(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let stream = info_stream(ctx, argv.arg(2))?;
    Ok(Reply::Array(
        stream
            .groups
            .iter()
            .map(|(name, g)| {
                Reply::Map(vec![
                    field("name", Reply::bulk(name.as_slice())),
                    field("consumers", Reply::Integer(g.consumers.len() as i64)),
                    field("pending", Reply::Integer(g.pel.len() as i64)),
                    field("last-delivered-id", id_reply(g.last_id)),
                    field("entries-read", entries_read(g)),
                    field("lag", optional_int(stream.lag(g))),
                ])
            })
            .collect(),
    ))
}

/// XINFO STREAM key [FULL [COUNT count]]
pub(crate) fn xinfo_stream(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let options = argv.len() - 3;
    let mut full = None;
    if options > 0 {
        if (options != 1 && options != 3) || !is_option(argv.arg(3), "full") {
            return Err(subcommand_syntax_error(argv, "XINFO"));
        }
        let mut count = 10;
        if options == 3 {
            if !is_option(argv.arg(4), "count") {
                return Err(subcommand_syntax_error(argv, "XINFO"));
            }
            count = int(argv.arg(5))?;
            if count < 0 {
                count = 10;
            }
        }
        full = Some(count as usize);
    }
    let stream = info_stream(ctx, argv.arg(2))?;
    let mut map = vec![
        field("length", Reply::Integer(stream.len() as i64)),
        field("radix-tree-keys", Reply::Integer(stream.node_count() as i64)),
        field("radix-tree-nodes", Reply::Integer(stream.radix_tree_nodes() as i64)),
        field("last-generated-id", id_reply(stream.last_id)),
        field("max-deleted-entry-id", id_reply(stream.max_deleted_id)),
        field("entries-added", Reply::Integer(stream.entries_added as i64)),
        field("recorded-first-entry-id", id_reply(stream.first_id)),
    ];
    let Some(count) = full else {
        let edge = |last: bool| {
            stream
                .range(StreamId::MIN, StreamId::MAX, 1, last)
                .pop()
                .map_or(Reply::Nil, entry_reply)
        };
        map.push(field("groups", Reply::Integer(stream.groups.len() as i64)));
        map.push(field("first-entry", edge(false)));
        map.push(field("last-entry", edge(true)));
        return Ok(Reply::Map(map));
    };
    let limit = if count == 0 { usize::MAX } else { count };
    map.push(field(
        "entries",
        entries_reply(stream.range(StreamId::MIN, StreamId::MAX, count, false)),
    ));
    let groups = stream
        .groups
        .iter()
        .map(|(name, g)| {
            let pending = g
                .pel
                .iter()
                .take(limit)
                .map(|(id, nack)| {
                    Reply::Array(vec![
                        id_reply(*id),
                        Reply::bulk(nack.consumer.as_slice()),
                        Reply::Integer(nack.delivery_time),
                        Reply::Integer(nack.delivery_count as i64),
                    ])
                })
                .collect();
            let consumers = g
                .consumers
                .iter()
                .map(|(cname, c)| {
                    let pending = c
                        .pel
                        .iter()
                        .take(limit)
                        .filter_map(|id| g.pel.get(id).map(|nack| (id, nack)))
                        .map(|(id, nack)| {
                            Reply::Array(vec![
                                id_reply(*id),
                                Reply::Integer(nack.delivery_time),
                                Reply::Integer(nack.delivery_count as i64),
                            ])
                        })
                        .collect();
                    Reply::Map(vec![
                        field("name", Reply::bulk(cname.as_slice())),
                        field("seen-time", Reply::Integer(c.seen_time)),
                        field("pel-count", Reply::Integer(c.pel.len() as i64)),
                        field("pending", Reply::Array(pending)),
                    ])
                })
                .collect();
            Reply::Map(vec![
                field("name", Reply::bulk(name.as_slice())),
                field("last-delivered-id", id_reply(g.last_id)),
                field("entries-read", entries_read(g)),
                field("lag", optional_int(stream.lag(g))),
                field("pel-count", Reply::Integer(g.pel.len() as i64)),
                field("pending", Reply::Array(pending)),
                field("consumers", Reply::Array(consumers)),
            ])
        })
        .collect();
    map.push(field("groups", Reply::Array(groups)));
    Ok(Reply::Map(map))
}

/// XINFO HELP
pub(crate) fn xinfo_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CONSUMERS <key> <groupname>",
        "    Show consumers of <groupname>.",
        "GROUPS <key>",
        "    Show the stream consumer groups.",
        "STREAM <key> [FULL [COUNT <count>]",
        "    Show information about the stream.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_redis_reads_them() {
        assert_eq!(
            parse_id_generic(b"5", 7, false, false),
            Some((StreamId::new(5, 7), true))
        );
        assert_eq!(
            parse_id_generic(b"5-3", 0, false, false),
            Some((StreamId::new(5, 3), true))
        );
        assert_eq!(
            parse_id_generic(b"5-*", 0, true, true),
            Some((StreamId::new(5, 0), false))
        );
        assert_eq!(parse_id_generic(b"-", 0, true, false), None);
        assert_eq!(parse_id_generic(b"+", 0, false, false), Some((StreamId::MAX, true)));
        // strtoull's leniency: leading blanks, '+', leading zeros, a wrapping minus.
        assert_eq!(string2ull(b" +007"), Some(7));
        assert_eq!(string2ull(b"-05"), Some(u64::MAX - 4));
        assert_eq!(string2ull(b"-5"), None);
        assert_eq!(string2ull(b""), None);
        assert_eq!(string2ull(b"18446744073709551616"), None);
        assert_eq!(parse_id_generic(b"1-2-3", 0, false, false), None);
        assert_eq!(parse_id_generic(&[b'1'; 128], 0, false, false), None);
    }
}
