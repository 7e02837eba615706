//! String commands (Redis's `t_string.c`).

use super::args::{Args, int, is_option};
use super::{Ctx, ExpireArg};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::effects::EventClass;
use crate::keyspace::{Str, Ttl, Value};
use crate::number::{FloatAddError, long_double_add};
use crate::reply::Reply;

/// proto-max-bulk-len: the longest string a command may build.
const MAX_STRING: i64 = 512 * 1024 * 1024;

/// Redis's `getExpireMillisecondsOrReply`: the absolute expiry in milliseconds, or
/// `ERR invalid expire time in '<command>' command`.
fn expire_at(ctx: &Ctx<'_>, arg: &[u8], unit: ExpireArg, command: &'static str) -> Result<i64, CommandError> {
    let value = int(arg)?;
    let invalid = CommandError::InvalidExpireTime(command);
    let seconds = unit.in_seconds();
    if value <= 0 || (seconds && value > i64::MAX / 1000) {
        return Err(invalid);
    }
    let millis = if seconds { value * 1000 } else { value };
    let at = match unit {
        ExpireArg::Seconds | ExpireArg::Millis => millis.checked_add(ctx.ks.now()).ok_or(invalid.clone())?,
        _ => millis,
    };
    if at <= 0 { Err(invalid) } else { Ok(at) }
}

/// The options SET and GETEX read (Redis's `parseExtendedStringArgumentsOrReply`).
#[derive(Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireArg, &'a [u8])>,
}

/// Which command's options are parsed: SET's or GETEX's.
#[derive(PartialEq, Eq)]
enum OptionsOf {
    Set,
    Getex,
}

fn parse_string_options(argv: &Argv, of: OptionsOf) -> Result<StringOptions<'_>, CommandError> {
    let mut o = StringOptions::default();
    let mut args = Args::new(argv, if of == OptionsOf::Set { 3 } else { 2 });
    let set = of == OptionsOf::Set;
    while let Some(opt) = args.next() {
        let has_next = args.remaining() > 0;
        let no_expire = o.expire.is_none();
        let expire_unit = |o: &StringOptions<'_>, unit| o.expire.is_none_or(|(u, _)| u == unit);
        if is_option(opt, "nx") && !o.xx && set {
            o.nx = true;
        } else if is_option(opt, "xx") && !o.nx && set {
            o.xx = true;
        } else if is_option(opt, "get") && set {
            o.get = true;
        } else if is_option(opt, "keepttl") && !o.persist && no_expire && set {
            o.keepttl = true;
        } else if is_option(opt, "persist") && !set && no_expire && !o.keepttl {
            o.persist = true;
        } else if let Some(unit) = expire_option(opt)
            && !o.keepttl
            && !o.persist
            && expire_unit(&o, unit)
            && has_next
        {
            o.expire = Some((unit, args.bytes()?));
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(o)
}

fn expire_option(opt: &[u8]) -> Option<ExpireArg> {
    [
        ("ex", ExpireArg::Seconds),
        ("px", ExpireArg::Millis),
        ("exat", ExpireArg::UnixSeconds),
        ("pxat", ExpireArg::UnixMillis),
    ]
    .into_iter()
    .find(|(name, _)| is_option(opt, name))
    .map(|(_, unit)| unit)
}

/// GET key
pub(crate) fn get(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    get_key(ctx, argv.arg(1))
}

/// GET's work on `key`.
pub(crate) fn get_key(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<Reply, CommandError> {
    Ok(bulk_or_nil(ctx.read::<Str>(key)?))
}

/// GET's work for a typed caller that wants a `T`: [`get_key`]'s reply converted, except that a
/// string kept as an integer goes to `T` as the integer where `T` takes one
/// ([`FromReply::from_integer_bulk`](crate::FromReply::from_integer_bulk)).
pub(crate) fn get_key_as<T: crate::FromReply>(ctx: &mut Ctx<'_>, key: &[u8]) -> Result<T, CommandError> {
    let value = match ctx.read::<Str>(key) {
        Ok(value) => value,
        Err(e) => return T::from_reply(Reply::Error(e)),
    };
    if let Some(Str::Int(n)) = value
        && let Some(converted) = T::from_integer_bulk(*n)
    {
        return Ok(converted);
    }
    T::from_reply(bulk_or_nil(value))
}

fn bulk_or_nil(s: Option<&Str>) -> Reply {
    s.map_or(Reply::Nil, |s| Reply::bulk(s.as_bytes().into_owned()))
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]
pub(crate) fn set(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let o = parse_string_options(argv, OptionsOf::Set)?;
    let expire = match o.expire {
        Some((unit, arg)) => Some(expire_at(ctx, arg, unit, "set")?),
        None => None,
    };
    let ttl = match (expire, o.keepttl) {
        (Some(at), _) => Ttl::At(at),
        (None, true) => Ttl::Keep,
        (None, false) => Ttl::Clear,
    };
    let condition = if o.nx {
        SetIf::Missing
    } else if o.xx {
        SetIf::Exists
    } else {
        SetIf::Always
    };
    let old = if o.get { Old::Read } else { Old::Ignore };
    let (applied, old) = set_generic(ctx, argv.arg(1), argv.arg(2), ttl, condition, old)?;
    // Replayed as Redis propagates SET: with an expiry, as `SET key value PXAT <ms>`; with GET,
    // without it (any GET after the value).
    if applied && o.expire.is_some() {
        replay_as_set_pxat(ctx, argv.arg(1), argv.arg(2), ttl);
    } else if applied && o.get {
        ctx.replay_as(|| {
            let mut replayed = Argv::new();
            for (i, arg) in argv.iter().enumerate() {
                if i < 3 || !arg.eq_ignore_ascii_case(b"get") {
                    replayed.push(arg);
                }
            }
            replayed
        });
    }
    Ok(match (o.get, applied) {
        (true, _) => old,
        (false, true) => Reply::ok(),
        (false, false) => Reply::Nil,
    })
}

/// A SET with a relative expiry (or SETEX, PSETEX) is replayed as `SET key value PXAT <ms>`,
/// so that the key expires at the same moment whenever it is replayed.
fn replay_as_set_pxat(ctx: &mut Ctx<'_>, key: &[u8], value: &[u8], ttl: Ttl) {
    if let Ttl::At(at) = ttl {
        ctx.replay_as(|| Argv::from_args(("SET", key, value, "PXAT", at.to_string())));
    }
}

/// When SET sets: its NX and XX options.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetIf {
    Always,
    /// NX: only if the key does not exist.
    Missing,
    /// XX: only if the key exists.
    Exists,
}

/// Whether SET answers the value it replaces (its GET option, GETSET).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Old {
    Read,
    Ignore,
}

/// Redis's `setGenericCommand`: sets unless `condition` fails; with [`Old::Read`], also reads the
/// old value first (WRONGTYPE if it is not a string). Returns whether it set, and the old value.
fn set_generic(
    ctx: &mut Ctx<'_>,
    key: &[u8],
    value: &[u8],
    ttl: Ttl,
    condition: SetIf,
    old: Old,
) -> Result<(bool, Reply), CommandError> {
    let old = match old {
        Old::Read => {
            ctx.read_lookup(key);
            bulk_or_nil(ctx.read::<Str>(key)?)
        }
        Old::Ignore => Reply::Nil,
    };
    let found = ctx.exists(key);
    let applies = match condition {
        SetIf::Always => true,
        SetIf::Missing => !found,
        SetIf::Exists => found,
    };
    if !applies {
        return Ok((false, old));
    }
    ctx.set_string(key, value.to_vec(), ttl);
    ctx.dirty(1);
    ctx.notify(EventClass::String, "set", key);
    if matches!(ttl, Ttl::At(_)) {
        ctx.notify(EventClass::Generic, "expire", key);
    }
    Ok((true, old))
}

/// SETNX key value
pub(crate) fn setnx(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (applied, _) = set_generic(ctx, argv.arg(1), argv.arg(2), Ttl::Clear, SetIf::Missing, Old::Ignore)?;
    Ok(Reply::Integer(applied as i64))
}

/// SETEX key seconds value
pub(crate) fn setex(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let at = expire_at(ctx, argv.arg(2), ExpireArg::Seconds, "setex")?;
    set_generic(ctx, argv.arg(1), argv.arg(3), Ttl::At(at), SetIf::Always, Old::Ignore)?;
    replay_as_set_pxat(ctx, argv.arg(1), argv.arg(3), Ttl::At(at));
    Ok(Reply::ok())
}

/// PSETEX key milliseconds value
pub(crate) fn psetex(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let at = expire_at(ctx, argv.arg(2), ExpireArg::Millis, "psetex")?;
    set_generic(ctx, argv.arg(1), argv.arg(3), Ttl::At(at), SetIf::Always, Old::Ignore)?;
    replay_as_set_pxat(ctx, argv.arg(1), argv.arg(3), Ttl::At(at));
    Ok(Reply::ok())
}

/// GETSET key value
pub(crate) fn getset(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (_, old) = set_generic(ctx, argv.arg(1), argv.arg(2), Ttl::Clear, SetIf::Always, Old::Read)?;
    Ok(old)
}

/// GETDEL key
pub(crate) fn getdel(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    ctx.read_lookup(key);
    let reply = bulk_or_nil(ctx.read::<Str>(key)?);
    if reply != Reply::Nil {
        ctx.remove(key);
        ctx.dirty(1);
        ctx.notify(EventClass::Generic, "del", key);
        ctx.replay_as(|| Argv::from_args(("DEL", key)));
    }
    Ok(reply)
}

/// GETEX key [EX s|PX ms|EXAT t|PXAT t|PERSIST]
pub(crate) fn getex(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let o = parse_string_options(argv, OptionsOf::Getex)?;
    let key = argv.arg(1);
    ctx.read_lookup(key);
    let reply = bulk_or_nil(ctx.read::<Str>(key)?);
    if reply == Reply::Nil {
        return Ok(reply);
    }
    match o.expire {
        Some((unit, arg)) => {
            let at = expire_at(ctx, arg, unit, "getex")?;
            let absolute = unit.is_absolute();
            if absolute && at <= ctx.ks.now() {
                ctx.remove(key);
                ctx.notify(EventClass::Generic, "del", key);
                ctx.replay_as(|| Argv::from_args(("DEL", key)));
            } else {
                ctx.set_expire(key, Some(at));
                ctx.notify(EventClass::Generic, "expire", key);
                ctx.replay_as(|| Argv::from_args(("PEXPIREAT", key, at.to_string())));
            }
            ctx.dirty(1);
        }
        None if o.persist && ctx.entry(key).is_some() && ctx.expire_at(key).is_some() => {
            ctx.set_expire(key, None);
            ctx.dirty(1);
            ctx.notify(EventClass::Generic, "persist", key);
            ctx.replay_as(|| Argv::from_args(("PERSIST", key)));
        }
        None => {}
    }
    Ok(reply)
}

/// MGET key [key ...]
pub(crate) fn mget(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let values = argv
        .iter()
        .skip(1)
        .map(|key| match ctx.read::<Str>(key) {
            Ok(s) => bulk_or_nil(s),
            Err(_) => Reply::Nil,
        })
        .collect();
    Ok(Reply::Array(values))
}

/// The key/value pairs of MSET and MSETNX (an odd count is an arity error, as in Redis).
type Pair<'a> = (&'a [u8], &'a [u8]);

fn pairs<'a>(argv: &'a Argv, command: &str) -> Result<Vec<Pair<'a>>, CommandError> {
    if argv.len().is_multiple_of(2) {
        return Err(CommandError::WrongArity(command.into()));
    }
    Ok((1..argv.len())
        .step_by(2)
        .map(|i| (argv.arg(i), argv.arg(i + 1)))
        .collect())
}

/// MSET key value [key value ...]
pub(crate) fn mset(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    for (key, value) in pairs(argv, "mset")? {
        ctx.set_string(key, value.to_vec(), Ttl::Clear);
        ctx.dirty(1);
        ctx.notify(EventClass::String, "set", key);
    }
    Ok(Reply::ok())
}

/// MSETNX key value [key value ...]
pub(crate) fn msetnx(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let pairs = pairs(argv, "msetnx")?;
    if pairs.iter().any(|(key, _)| ctx.exists(key)) {
        return Ok(Reply::Integer(0));
    }
    for (key, value) in pairs {
        ctx.set_string(key, value.to_vec(), Ttl::Clear);
        ctx.dirty(1);
        ctx.notify(EventClass::String, "set", key);
    }
    Ok(Reply::Integer(1))
}

/// Redis's `incrDecrCommand`: adds `by` to the integer at `key` (0 if missing), keeping its TTL.
pub(crate) fn incr_by(ctx: &mut Ctx<'_>, key: &[u8], by: i64) -> Result<i64, CommandError> {
    let value = match ctx.write::<Str>(key)? {
        Some(s) => {
            let current = s.as_i64().ok_or(CommandError::NotInteger)?;
            let value = current.checked_add(by).ok_or(CommandError::IncrementOverflow)?;
            *s = Str::Int(value);
            ctx.modified(key);
            value
        }
        None => {
            ctx.insert(key, Value::Str(Str::Int(by)), Ttl::Clear);
            by
        }
    };
    ctx.dirty(1);
    ctx.notify(EventClass::String, "incrby", key);
    Ok(value)
}

/// INCR key
pub(crate) fn incr(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    incr_by(ctx, argv.arg(1), 1).map(Reply::Integer)
}

/// DECR key
pub(crate) fn decr(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    incr_by(ctx, argv.arg(1), -1).map(Reply::Integer)
}

/// INCRBY key increment
pub(crate) fn incrby(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let by = int(argv.arg(2))?;
    incr_by(ctx, argv.arg(1), by).map(Reply::Integer)
}

/// DECRBY key decrement
pub(crate) fn decrby(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    decr_by(ctx, argv.arg(1), int(argv.arg(2))?).map(Reply::Integer)
}

/// DECRBY's work once its decrement is read: a decrement with no negation refused.
pub(crate) fn decr_by(ctx: &mut Ctx<'_>, key: &[u8], by: i64) -> Result<i64, CommandError> {
    let by = by.checked_neg().ok_or(CommandError::DecrementOverflow)?;
    incr_by(ctx, key, by)
}

/// INCRBYFLOAT key increment: `long double` arithmetic, Redis's digits.
pub(crate) fn incrbyfloat(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let base = match ctx.read::<Str>(key)? {
        Some(s) => s.as_bytes().into_owned(),
        None => b"0".to_vec(),
    };
    let sum = long_double_add(&base, argv.arg(2)).map_err(|e| match e {
        FloatAddError::BadBase | FloatAddError::BadIncrement => CommandError::NotFloat,
        FloatAddError::NotFinite => CommandError::NanOrInfinity,
    })?;
    // Redis stores the result as a plain string, never int-encoded.
    ctx.insert(key, Value::Str(Str::Raw(sum.clone().into_boxed_slice())), Ttl::Keep);
    ctx.dirty(1);
    ctx.notify(EventClass::String, "incrbyfloat", key);
    // The sum, not the increment: float arithmetic replayed could round otherwise.
    ctx.replay_as(|| Argv::from_args(("SET", key, &sum[..], "KEEPTTL")));
    Ok(Reply::Bulk(sum))
}

/// Redis's `checkStringLength`: a string may not grow beyond proto-max-bulk-len.
fn check_string_length(size: i64, append: usize) -> Result<(), CommandError> {
    if size.saturating_add(append as i64) > MAX_STRING {
        return Err(CommandError::other(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        ));
    }
    Ok(())
}

/// APPEND key value
pub(crate) fn append(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (key, suffix) = (argv.arg(1), argv.arg(2));
    let len = match ctx.write::<Str>(key)? {
        Some(s) => {
            check_string_length(s.len() as i64, suffix.len())?;
            let raw = s.make_raw();
            raw.extend_from_slice(suffix);
            let len = raw.len();
            ctx.modified(key);
            len
        }
        None => {
            ctx.set_string(key, suffix.to_vec(), Ttl::Clear);
            suffix.len()
        }
    };
    ctx.dirty(1);
    ctx.notify(EventClass::String, "append", key);
    Ok(Reply::Integer(len as i64))
}

/// STRLEN key
pub(crate) fn strlen(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(Reply::Integer(
        ctx.read::<Str>(argv.arg(1))?.map_or(0, |s| s.len()) as i64
    ))
}

/// GETRANGE key start end (and its old name SUBSTR)
pub(crate) fn getrange(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let mut start = int(argv.arg(2))?;
    let mut end = int(argv.arg(3))?;
    let Some(s) = ctx.read::<Str>(argv.arg(1))? else {
        return Ok(Reply::bulk(Vec::new()));
    };
    let bytes = s.as_bytes();
    let len = bytes.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Ok(Reply::bulk(Vec::new()));
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Ok(Reply::bulk(Vec::new()));
    }
    Ok(Reply::bulk(&bytes[start as usize..=end as usize]))
}

/// SETRANGE key offset value
pub(crate) fn setrange(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let offset = int(argv.arg(2))?;
    let value = argv.arg(3);
    if offset < 0 {
        return Err(CommandError::other("ERR offset is out of range"));
    }
    let len = match ctx.write::<Str>(key)? {
        None => {
            if value.is_empty() {
                return Ok(Reply::Integer(0));
            }
            check_string_length(offset, value.len())?;
            let mut bytes = vec![0u8; offset as usize];
            bytes.extend_from_slice(value);
            let len = bytes.len();
            // Redis builds it in place: a raw string, never int-encoded.
            ctx.insert(key, Value::Str(Str::grown(bytes)), Ttl::Clear);
            len
        }
        Some(s) => {
            if value.is_empty() {
                return Ok(Reply::Integer(s.len() as i64));
            }
            check_string_length(offset, value.len())?;
            let raw = s.make_raw();
            let offset = offset as usize;
            if raw.len() < offset + value.len() {
                raw.resize(offset + value.len(), 0);
            }
            raw[offset..offset + value.len()].copy_from_slice(value);
            let len = raw.len();
            ctx.modified(key);
            len
        }
    };
    ctx.dirty(1);
    ctx.notify(EventClass::String, "setrange", key);
    Ok(Reply::Integer(len as i64))
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN], ported from Redis 7.0's `lcsCommand`.
pub(crate) fn lcs(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let wrong_type = || CommandError::other("ERR The specified keys must contain string values");
    let a = ctx
        .read::<Str>(argv.arg(1))
        .map_err(|_| wrong_type())?
        .map(|s| s.as_bytes().into_owned());
    let b = ctx
        .read::<Str>(argv.arg(2))
        .map_err(|_| wrong_type())?
        .map(|s| s.as_bytes().into_owned());
    let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());

    let (mut get_len, mut get_idx, mut with_match_len, mut min_match_len) = (false, false, false, 0i64);
    let mut args = Args::new(argv, 3);
    while let Some(opt) = args.next() {
        if is_option(opt, "idx") {
            get_idx = true;
        } else if is_option(opt, "len") {
            get_len = true;
        } else if is_option(opt, "withmatchlen") {
            with_match_len = true;
        } else if is_option(opt, "minmatchlen") && args.remaining() > 0 {
            min_match_len = args.i64()?.max(0);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if get_idx && get_len {
        return Err(CommandError::other(
            "ERR If you want both the length and indexes, please just use IDX.",
        ));
    }
    let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
    if cells.saturating_mul(4) > MAX_STRING as u64 {
        return Err(CommandError::other(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
        ));
    }

    // table[i][j] = LCS length of a[..i] and b[..j].
    let width = b.len() + 1;
    let mut table = vec![0u32; (a.len() + 1) * width];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * width + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * width + j - 1] + 1
            } else {
                table[(i - 1) * width + j].max(table[i * width + j - 1])
            };
        }
    }
    let total = table[a.len() * width + b.len()];
    if get_len {
        return Ok(Reply::Integer(total as i64));
    }

    // Walk back from the end, collecting the LCS and the matching ranges.
    let mut result = vec![0u8; total as usize];
    let mut idx = total as usize;
    let mut matches = Vec::new();
    let (mut i, mut j) = (a.len(), b.len());
    let no_range = a.len();
    let (mut a_start, mut a_end, mut b_start, mut b_end) = (no_range, 0, 0, 0);
    while i > 0 && j > 0 {
        let mut emit = false;
        if a[i - 1] == b[j - 1] {
            result[idx - 1] = a[i - 1];
            if a_start == no_range {
                (a_start, a_end, b_start, b_end) = (i - 1, i - 1, j - 1, j - 1);
            } else if a_start == i && b_start == j {
                a_start -= 1;
                b_start -= 1;
            } else {
                emit = true;
            }
            if a_start == 0 || b_start == 0 {
                emit = true;
            }
            idx -= 1;
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if a_start != no_range {
                emit = true;
            }
        }
        if emit {
            let match_len = (a_end - a_start + 1) as i64;
            if min_match_len == 0 || match_len >= min_match_len {
                let mut m = vec![
                    Reply::Array(vec![Reply::Integer(a_start as i64), Reply::Integer(a_end as i64)]),
                    Reply::Array(vec![Reply::Integer(b_start as i64), Reply::Integer(b_end as i64)]),
                ];
                if with_match_len {
                    m.push(Reply::Integer(match_len));
                }
                matches.push(Reply::Array(m));
            }
            a_start = no_range;
        }
    }
    if get_idx {
        return Ok(Reply::map([
            ("matches", Reply::Array(matches)),
            ("len", Reply::Integer(total as i64)),
        ]));
    }
    Ok(Reply::Bulk(result))
}
