//! SORT and SORT_RO (Redis's `sort.c`): sorting lists, sets and sorted sets by their elements or by
//! external keys, with GET patterns, LIMIT and STORE.

use std::cmp::Ordering;

use super::Ctx;
use super::args::{Args, is_option};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::effects::EventClass;
use crate::keyspace::{List, Ttl, Value};
use crate::number::parse_sort_weight;
use crate::reply::Reply;

/// The parsed options.
struct SortOptions<'a> {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    by: Option<&'a [u8]>,
    gets: Vec<&'a [u8]>,
    store: Option<&'a [u8]>,
}

/// In cluster mode (`cluster`) BY with a pattern and GET are refused: the keys they name may be
/// on other nodes; so are they when the user may not read every key (`full_key_access`, Redis's
/// `ACLUserCheckCmdWithUnrestrictedKeyAccess`).
fn parse<'a>(
    argv: &'a Argv,
    read_only: bool,
    cluster: bool,
    full_key_access: &dyn Fn() -> bool,
) -> Result<SortOptions<'a>, CommandError> {
    let mut o = SortOptions {
        desc: false,
        alpha: false,
        limit: None,
        by: None,
        gets: Vec::new(),
        store: None,
    };
    let mut args = Args::new(argv, 2);
    while let Some(opt) = args.next() {
        let left = args.remaining();
        if is_option(opt, "asc") {
            o.desc = false;
        } else if is_option(opt, "desc") {
            o.desc = true;
        } else if is_option(opt, "alpha") {
            o.alpha = true;
        } else if is_option(opt, "limit") && left >= 2 {
            o.limit = Some((args.i64()?, args.i64()?));
        } else if is_option(opt, "store") && left >= 1 && !read_only {
            o.store = Some(args.bytes()?);
        } else if is_option(opt, "by") && left >= 1 {
            let pattern = args.bytes()?;
            if cluster && pattern.contains(&b'*') {
                return Err(CommandError::other("ERR BY option of SORT denied in Cluster mode."));
            }
            if pattern.contains(&b'*') && !full_key_access() {
                return Err(CommandError::other(
                    "ERR BY option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            o.by = Some(pattern);
        } else if is_option(opt, "get") && left >= 1 {
            if cluster {
                return Err(CommandError::other("ERR GET option of SORT denied in Cluster mode."));
            }
            if !full_key_access() {
                return Err(CommandError::other(
                    "ERR GET option of SORT denied due to insufficient ACL permissions.",
                ));
            }
            o.gets.push(args.bytes()?);
        } else {
            return Err(CommandError::Syntax);
        }
    }
    Ok(o)
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the first `*` is replaced by
/// the element, and `->field` after it reads a hash field. Only strings (or hash fields) count.
fn lookup_by_pattern(ctx: &mut Ctx<'_>, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    let field = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&at| at + 2 < after.len());
    let (postfix, field) = match field {
        Some(at) => (&after[..at], Some(&after[at + 2..])),
        None => (after, None),
    };
    let mut key = pattern[..star].to_vec();
    key.extend_from_slice(element);
    key.extend_from_slice(postfix);
    ctx.read_lookup(&key);
    match (ctx.entry(&key).map(|e| &e.value), field) {
        (Some(Value::Str(s)), None) => Some(s.as_bytes().into_owned()),
        (Some(Value::Hash(h)), Some(field)) => h.get(field).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]
pub(crate) fn sort(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    sort_generic(ctx, argv, false)
}

/// SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]
pub(crate) fn sort_ro(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    sort_generic(ctx, argv, true)
}

fn sort_generic(ctx: &mut Ctx<'_>, argv: &Argv, read_only: bool) -> Result<Reply, CommandError> {
    let (users, user) = (std::sync::Arc::clone(&ctx.ks.acl), ctx.user);
    let full_key_access = || super::acl::may_read_any_key(&users, user, argv);
    let mut o = parse(argv, read_only, ctx.ks.cluster.is_some(), &full_key_access)?;
    let key = argv.arg(1);
    let mut dont_sort = o.by.is_some_and(|p| !p.contains(&b'*'));
    // Redis converts a sorted set it sorts to a skiplist (visible in OBJECT ENCODING).
    if let Ok(Some(zset)) = ctx.write::<crate::keyspace::ZSet>(key) {
        zset.mark_large();
    }
    // Elements in the value's own order; a sorted set by ascending score.
    ctx.read_lookup(key);
    let (mut elements, is_set) = match ctx.entry(key).map(|e| &e.value) {
        None => (Vec::new(), false),
        Some(Value::List(l)) => (l.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(), false),
        Some(Value::Set(s)) => (s.members().into_iter().cloned().collect(), true),
        Some(Value::ZSet(z)) => (z.iter().map(|e| e.member.to_vec()).collect(), false),
        Some(_) => return Err(CommandError::WrongType),
    };
    // A set sorted to be stored, or for a script, must come out the same everywhere: sort it
    // alphabetically.
    if is_set && dont_sort && (o.store.is_some() || ctx.in_script) {
        dont_sort = false;
        o.alpha = true;
        o.by = None;
    }
    if dont_sort {
        if o.desc {
            elements.reverse();
        }
    } else {
        let mut keyed = Vec::with_capacity(elements.len());
        for element in elements {
            let by_value = match o.by {
                Some(pattern) => lookup_by_pattern(ctx, pattern, &element),
                None => Some(element.clone()),
            };
            keyed.push((element, by_value));
        }
        if o.alpha {
            let by_pattern = o.by.is_some();
            keyed.sort_by(|(a, wa), (b, wb)| {
                let cmp = if by_pattern {
                    match (wa, wb) {
                        (None, None) => Ordering::Equal,
                        (None, Some(_)) => Ordering::Less,
                        (Some(_), None) => Ordering::Greater,
                        (Some(x), Some(y)) => x.cmp(y),
                    }
                } else {
                    a.cmp(b)
                };
                if o.desc { cmp.reverse() } else { cmp }
            });
        } else {
            let mut scored = Vec::with_capacity(keyed.len());
            for (element, by_value) in keyed {
                let score = match by_value {
                    Some(v) => parse_sort_weight(&v).ok_or(CommandError::other(
                        "ERR One or more scores can't be converted into double",
                    ))?,
                    None => 0.0,
                };
                scored.push((element, score));
            }
            scored.sort_by(|(a, x), (b, y)| {
                let cmp = x.partial_cmp(y).unwrap_or(Ordering::Equal).then_with(|| a.cmp(b));
                if o.desc { cmp.reverse() } else { cmp }
            });
            keyed = scored.into_iter().map(|(e, _)| (e, None)).collect();
        }
        elements = keyed.into_iter().map(|(e, _)| e).collect();
    }
    // LIMIT, as Redis clamps it.
    let len = elements.len() as i64;
    let (start, end) = match o.limit {
        None => (0, len - 1),
        Some((offset, count)) => {
            let start = offset.max(0);
            let end = if count < 0 {
                len - 1
            } else {
                start.saturating_add(count) - 1
            };
            if start >= len {
                (len - 1, len - 2)
            } else {
                (start, end.min(len - 1))
            }
        }
    };
    let chosen: Vec<Vec<u8>> = if start > end || len == 0 {
        Vec::new()
    } else {
        elements[start as usize..=end as usize].to_vec()
    };
    let mut out: Vec<Option<Vec<u8>>> = Vec::new();
    for element in &chosen {
        if o.gets.is_empty() {
            out.push(Some(element.clone()));
        }
        for pattern in &o.gets {
            out.push(lookup_by_pattern(ctx, pattern, element));
        }
    }
    match o.store {
        Some(dst) => {
            let n = out.len();
            if n == 0 {
                if ctx.remove(dst).is_some() {
                    ctx.notify(EventClass::Generic, "del", dst);
                    ctx.dirty(1);
                }
            } else {
                let list: List = out.into_iter().map(Option::unwrap_or_default).collect();
                ctx.insert(dst, Value::List(Box::new(list)), Ttl::Clear);
                ctx.notify(EventClass::List, "sortstore", dst);
                ctx.dirty(n);
            }
            Ok(Reply::Integer(n as i64))
        }
        None => Ok(Reply::Array(
            out.into_iter().map(|v| v.map_or(Reply::Nil, Reply::Bulk)).collect(),
        )),
    }
}
