//! Generic key commands (Redis's `db.c` and `expire.c`).

use super::args::{Args, error_text, int, int32, is_option};
use super::{Ctx, ExpireArg};
use super::{glob, scan};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::effects::EventClass;
use crate::keyspace::{Keyspace, Ttl};
use crate::reply::Reply;

/// DEL key [key ...] and UNLINK key [key ...]
pub(crate) fn del(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let mut removed = 0;
    for key in argv.iter().skip(1) {
        if ctx.ks.delete(ctx.db, key) {
            ctx.notify(EventClass::Generic, "del", key);
            ctx.dirty(1);
            removed += 1;
        }
    }
    Ok(Reply::Integer(removed))
}

/// EXISTS key [key ...]: a key named twice counts twice.
pub(crate) fn exists(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    // Without counting as an access, as in Redis (OBJECT IDLETIME goes on).
    let found = argv.iter().skip(1).filter(|key| ctx.peek(key).is_some()).count();
    Ok(Reply::Integer(found as i64))
}

/// TOUCH key [key ...]: EXISTS that counts as an access.
pub(crate) fn touch(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let found = argv.iter().skip(1).filter(|key| ctx.entry(key).is_some()).count();
    Ok(Reply::Integer(found as i64))
}

/// TYPE key
pub(crate) fn type_(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let name = ctx.peek(argv.arg(1)).map_or("none", |e| e.value.type_name());
    Ok(Reply::status(name))
}

/// The NX/XX/GT/LT conditions of the EXPIRE family.
#[derive(Default)]
struct ExpireConditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_conditions(argv: &Argv) -> Result<ExpireConditions, CommandError> {
    let mut c = ExpireConditions::default();
    for opt in Args::new(argv, 3).rest() {
        let flag = if is_option(opt, "nx") {
            &mut c.nx
        } else if is_option(opt, "xx") {
            &mut c.xx
        } else if is_option(opt, "gt") {
            &mut c.gt
        } else if is_option(opt, "lt") {
            &mut c.lt
        } else {
            return Err(CommandError::Other(
                format!("ERR Unsupported option {}", error_text(opt)).into(),
            ));
        };
        *flag = true;
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CommandError::other(
            "ERR NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if c.gt && c.lt {
        return Err(CommandError::other(
            "ERR GT and LT options at the same time are not compatible",
        ));
    }
    Ok(c)
}

/// Redis's `expireGenericCommand`: `basetime` is now for relative forms, 0 for the *AT forms.
fn expire_generic(
    ctx: &mut Ctx<'_>,
    argv: &Argv,
    unit: ExpireArg,
    command: &'static str,
) -> Result<Reply, CommandError> {
    let conditions = parse_expire_conditions(argv)?;
    let mut when = int(argv.arg(2))?;
    let invalid = CommandError::InvalidExpireTime(command);
    if unit.in_seconds() {
        when = when.checked_mul(1000).ok_or(invalid.clone())?;
    }
    if !unit.is_absolute() {
        when = when.checked_add(ctx.ks.now()).ok_or(invalid)?;
    }
    let key = argv.arg(1);
    if ctx.entry(key).is_none() {
        return Ok(Reply::Integer(0));
    }
    let current = ctx.expire_at(key);
    let refused = (conditions.nx && current.is_some())
        || (conditions.xx && current.is_none())
        || (conditions.gt && current.is_none_or(|at| when <= at))
        || (conditions.lt && current.is_some_and(|at| when >= at));
    if refused {
        return Ok(Reply::Integer(0));
    }
    if when <= ctx.ks.now() {
        ctx.remove(key);
        ctx.notify(EventClass::Generic, "del", key);
        ctx.replay_as(|| Argv::from_args(("DEL", key)));
    } else {
        ctx.set_expire(key, Some(when));
        ctx.notify(EventClass::Generic, "expire", key);
        // Replayed at the same moment whenever it is replayed: PEXPIREAT, options kept.
        if unit != ExpireArg::UnixMillis {
            ctx.replay_as(|| {
                let mut replayed = Argv::from_args(("PEXPIREAT", key, when.to_string()));
                for option in argv.iter().skip(3) {
                    replayed.push(option);
                }
                replayed
            });
        }
    }
    ctx.dirty(1);
    Ok(Reply::Integer(1))
}

/// EXPIRE key seconds [NX|XX|GT|LT]
pub(crate) fn expire(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    expire_generic(ctx, argv, ExpireArg::Seconds, "expire")
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT]
pub(crate) fn pexpire(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    expire_generic(ctx, argv, ExpireArg::Millis, "pexpire")
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT]
pub(crate) fn expireat(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    expire_generic(ctx, argv, ExpireArg::UnixSeconds, "expireat")
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]
pub(crate) fn pexpireat(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    expire_generic(ctx, argv, ExpireArg::UnixMillis, "pexpireat")
}

/// Redis's `ttlGenericCommand`: -2 for a missing key, -1 without TTL, else the TTL (relative or
/// absolute, in seconds rounded or milliseconds).
fn ttl_generic(ctx: &mut Ctx<'_>, argv: &Argv, unit: ExpireArg) -> Result<Reply, CommandError> {
    let now = ctx.ks.now();
    if ctx.peek(argv.arg(1)).is_none() {
        return Ok(Reply::Integer(-2));
    }
    let Some(at) = ctx.expire_at(argv.arg(1)) else {
        return Ok(Reply::Integer(-1));
    };
    let ttl = if unit.is_absolute() { at } else { (at - now).max(0) };
    Ok(Reply::Integer(if unit.in_seconds() { (ttl + 500) / 1000 } else { ttl }))
}

/// TTL key
pub(crate) fn ttl(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    ttl_generic(ctx, argv, ExpireArg::Seconds)
}

/// PTTL key
pub(crate) fn pttl(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    ttl_generic(ctx, argv, ExpireArg::Millis)
}

/// EXPIRETIME key
pub(crate) fn expiretime(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    ttl_generic(ctx, argv, ExpireArg::UnixSeconds)
}

/// PEXPIRETIME key
pub(crate) fn pexpiretime(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    ttl_generic(ctx, argv, ExpireArg::UnixMillis)
}

/// PERSIST key
pub(crate) fn persist(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let has_ttl = ctx.entry(key).is_some() && ctx.expire_at(key).is_some();
    if has_ttl {
        ctx.set_expire(key, None);
        ctx.dirty(1);
        ctx.notify(EventClass::Generic, "persist", key);
    }
    Ok(Reply::Integer(has_ttl as i64))
}

/// Redis's `renameGenericCommand`.
fn rename_generic(ctx: &mut Ctx<'_>, argv: &Argv, nx: bool) -> Result<Reply, CommandError> {
    let (src, dst) = (argv.arg(1), argv.arg(2));
    if !ctx.exists(src) {
        return Err(CommandError::NoSuchKey);
    }
    let done = if nx { Reply::Integer(1) } else { Reply::ok() };
    if src == dst {
        return Ok(if nx { Reply::Integer(0) } else { Reply::ok() });
    }
    if nx && ctx.exists(dst) {
        return Ok(Reply::Integer(0));
    }
    if let Some(taken) = ctx.remove(src) {
        let ttl = taken.expire_at.map_or(Ttl::Clear, Ttl::At);
        // Redis deletes the destination and adds the value anew: a new key as far as events go.
        ctx.remove(dst);
        ctx.insert(dst, taken.entry.value, ttl);
        ctx.notify(EventClass::Generic, "rename_from", src);
        ctx.notify(EventClass::Generic, "rename_to", dst);
        ctx.dirty(1);
    }
    Ok(done)
}

/// RENAME key newkey
pub(crate) fn rename(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    rename_generic(ctx, argv, false)
}

/// RENAMENX key newkey
pub(crate) fn renamenx(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    rename_generic(ctx, argv, true)
}

/// A database index argument: `ERR value is not an integer…`, then `ERR DB index is out of range`.
pub(crate) fn db_index(arg: &[u8]) -> Result<usize, CommandError> {
    Keyspace::valid_db(int32(arg)? as i64).ok_or(CommandError::DbIndexOutOfRange)
}

/// MOVE key db
pub(crate) fn move_(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if ctx.ks.cluster.is_some() {
        return Err(CommandError::other("ERR MOVE is not allowed in cluster mode"));
    }
    let key = argv.arg(1);
    let dst = db_index(argv.arg(2))?;
    if dst == ctx.db {
        return Err(CommandError::SameObject);
    }
    if !ctx.exists(key) || ctx.ks.contains(dst, key) {
        return Ok(Reply::Integer(0));
    }
    if let Some(taken) = ctx.remove(key) {
        let ttl = taken.expire_at.map_or(Ttl::Clear, Ttl::At);
        ctx.ks.insert(dst, key, taken.entry.value, ttl);
        ctx.notify(EventClass::Generic, "move_from", key);
        ctx.ks.effects.notify(dst, EventClass::Generic, "move_to", key);
        ctx.dirty(1);
    }
    Ok(Reply::Integer(1))
}

/// COPY source destination [DB destination-db] [REPLACE]
pub(crate) fn copy(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (src, dst) = (argv.arg(1), argv.arg(2));
    let (mut dst_db, mut replace) = (ctx.db, false);
    let mut args = Args::new(argv, 3);
    while let Some(opt) = args.next() {
        if is_option(opt, "replace") {
            replace = true;
        } else if is_option(opt, "db") && args.remaining() >= 1 {
            dst_db = db_index(args.bytes()?)?;
        } else {
            return Err(CommandError::Syntax);
        }
    }
    if ctx.ks.cluster.is_some() && (ctx.db != 0 || dst_db != 0) {
        return Err(CommandError::other(
            "ERR Copying to another database is not allowed in cluster mode",
        ));
    }
    if dst_db == ctx.db && src == dst {
        return Err(CommandError::SameObject);
    }
    ctx.read_lookup(src);
    let Some(value) = ctx.entry(src).map(|e| e.value.clone()) else {
        return Ok(Reply::Integer(0));
    };
    if ctx.ks.contains(dst_db, dst) && !replace {
        return Ok(Reply::Integer(0));
    }
    let ttl = ctx.expire_at(src).map_or(Ttl::Clear, Ttl::At);
    if replace {
        // Redis deletes the old value and adds the copy: a new key as far as events go.
        ctx.ks.delete(dst_db, dst);
    }
    ctx.ks.insert(dst_db, dst, value, ttl);
    ctx.ks.effects.notify(dst_db, EventClass::Generic, "copy_to", dst);
    ctx.dirty(1);
    Ok(Reply::Integer(1))
}

/// KEYS pattern
pub(crate) fn keys(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let pattern = argv.arg(1);
    let all = pattern == b"*";
    let found: Vec<Vec<u8>> = ctx
        .ks
        .live_keys(ctx.db)
        .filter(|(key, _)| all || glob::matches(pattern, key))
        .map(|(key, _)| key.to_vec())
        .collect();
    Ok(Reply::bulks(found))
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
pub(crate) fn scan(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let cursor = scan::parse_cursor(argv.arg(1))?;
    let options = scan::ScanOptions::parse(argv, 2, true)?;
    // The step costs only the keys it visits: see `Keyspace::scan_keys`.
    let (next, page) = ctx.ks.scan_keys(ctx.db, cursor, options.count);
    let page: Vec<Vec<u8>> = page.into_iter().map(<[u8]>::to_vec).collect();
    let mut found = Vec::with_capacity(page.len());
    for key in page {
        if !options.matches(&key) {
            continue;
        }
        // A key met past its TTL goes now (Redis's SCAN calls `expireIfNeeded` on the keys that
        // match): its `expired` event, its DEL replayed — and no `keymiss`.
        if ctx.ks.expire_if_due(ctx.db, &key) {
            continue;
        }
        let Some(entry) = ctx.entry(&key) else {
            continue;
        };
        if options
            .type_name
            .is_some_and(|t| !is_option(t, entry.value.type_name()))
        {
            continue;
        }
        found.push(Reply::Bulk(key));
    }
    Ok(scan::reply(next, found))
}

/// RANDOMKEY
pub(crate) fn randomkey(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    loop {
        let len = ctx.ks.len(ctx.db);
        if len == 0 {
            return Ok(Reply::Nil);
        }
        let n = (ctx.ks.random() % len as u64) as usize;
        let Some(key) = ctx.ks.nth_key(ctx.db, n).map(<[u8]>::to_vec) else {
            return Ok(Reply::Nil);
        };
        if !ctx.ks.expire_if_due(ctx.db, &key) {
            return Ok(Reply::Bulk(key));
        }
    }
}

/// OBJECT ENCODING key
pub(crate) fn object_encoding(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(ctx
        .ks
        .peek(ctx.db, argv.arg(2))
        .map_or(Reply::Nil, |e| Reply::bulk(e.value.encoding())))
}

/// OBJECT REFCOUNT key
pub(crate) fn object_refcount(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    Ok(ctx
        .ks
        .peek(ctx.db, argv.arg(2))
        .map_or(Reply::Nil, |e| Reply::Integer(e.value.refcount())))
}

/// OBJECT IDLETIME key: whole seconds since the key was last read or written (Redis's LRU clock
/// counts seconds, so this is the difference of two second counts).
pub(crate) fn object_idletime(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (now, lfu) = (ctx.ks.lru(), ctx.ks.lfu());
    let Some(entry) = ctx.ks.peek(ctx.db, argv.arg(2)) else {
        return Ok(Reply::Nil);
    };
    if lfu.is_some() {
        return Err(CommandError::other(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        ));
    }
    Ok(Reply::Integer(entry.idle_seconds(now)))
}

/// OBJECT FREQ key: the key's access counter under an LFU `maxmemory-policy` (decayed for the
/// minutes since its last access); Redis's error under any other policy.
pub(crate) fn object_freq(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (now, lfu) = (ctx.ks.lru(), ctx.ks.lfu());
    let Some(entry) = ctx.ks.peek(ctx.db, argv.arg(2)) else {
        return Ok(Reply::Nil);
    };
    match lfu {
        Some(lfu) => Ok(Reply::Integer(i64::from(entry.frequency(now, lfu)))),
        None => Err(CommandError::other(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        )),
    }
}

/// OBJECT HELP
pub(crate) fn object_help(_ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    const HELP: &[&str] = &[
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    ];
    Ok(Reply::help(HELP))
}

/// DUMP key: the value serialized in embedis's format (see `keyspace::dump`), or nil.
pub(crate) fn dump(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let compress = ctx.ks.rdb_compression;
    Ok(ctx.entry(argv.arg(1)).map_or(Reply::Nil, |e| {
        Reply::Bulk(crate::keyspace::dump::dump(&e.value, compress))
    }))
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]
pub(crate) fn restore(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    use crate::keyspace::dump::{RestoreError, restore};
    let (mut replace, mut absolute, mut idle, mut freq) = (false, false, None, None);
    let mut args = Args::new(argv, 4);
    while let Some(opt) = args.next() {
        if is_option(opt, "replace") {
            replace = true;
        } else if is_option(opt, "absttl") {
            absolute = true;
        } else if is_option(opt, "idletime") && args.remaining() >= 1 && freq.is_none() {
            let seconds = args.i64()?;
            if seconds < 0 {
                return Err(CommandError::other("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = Some(seconds);
        } else if is_option(opt, "freq") && args.remaining() >= 1 && idle.is_none() {
            let f = args.i64()?;
            if !(0..=255).contains(&f) {
                return Err(CommandError::other("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = Some(f);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    let key = argv.arg(1);
    if !replace && ctx.exists(key) {
        return Err(CommandError::other("BUSYKEY Target key name already exists."));
    }
    let mut ttl = int(argv.arg(2))?;
    if ttl < 0 {
        return Err(CommandError::other("ERR Invalid TTL value, must be >= 0"));
    }
    let value = restore(argv.arg(3), &ctx.ks.encodings()).map_err(|e| match e {
        RestoreError::Checksum => CommandError::other("ERR DUMP payload version or checksum are wrong"),
        RestoreError::Format => CommandError::other("ERR Bad data format"),
    })?;
    let deleted = replace && ctx.remove(key).is_some();
    if ttl > 0 && !absolute {
        ttl = ttl.saturating_add(ctx.ks.now());
    }
    if ttl > 0 && ttl <= ctx.ks.now() {
        if deleted {
            ctx.notify(EventClass::Generic, "del", key);
            ctx.dirty(1);
        }
        return Ok(Reply::ok());
    }
    let expiry = if ttl > 0 { Ttl::At(ttl) } else { Ttl::Clear };
    ctx.insert(key, value, expiry);
    ctx.notify(EventClass::Generic, "restore", key);
    ctx.dirty(1);
    // A relative TTL is replayed as the moment it ends (Redis appends ABSTTL).
    if ttl > 0 && !absolute {
        ctx.replay_as(|| {
            let mut replayed = Argv::new();
            for (i, arg) in argv.iter().enumerate() {
                if i == 2 {
                    replayed.push(ttl.to_string().as_bytes());
                } else {
                    replayed.push(arg);
                }
            }
            replayed.push(b"ABSTTL");
            replayed
        });
    }
    // FREQ sets the access counter under an LFU policy, IDLETIME the idle time under any other;
    // each is ignored under the other kind of policy (Redis's `objectSetLRUOrLFU`).
    let (lfu, lru) = (ctx.ks.lfu().is_some(), ctx.ks.lru());
    match (lfu, freq, idle) {
        (true, Some(counter), _) => {
            if let Some(entry) = ctx.ks.get_mut(ctx.db, key) {
                entry.set_frequency(lru, counter as u8);
            }
        }
        (false, _, Some(seconds)) => {
            if let Some(entry) = ctx.ks.get_mut(ctx.db, key) {
                entry.set_idle_seconds(lru, seconds);
            }
        }
        _ => {}
    }
    Ok(Reply::ok())
}
