//! Model-based tests: random command sequences on embedis and on a plain Rust model (VecDeque,
//! BTreeMap, BTreeSet) give the same answers.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use embedis::{Connection, Reply, Store};
use proptest::prelude::*;

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn bulks<'a>(items: impl IntoIterator<Item = &'a String>) -> Reply {
    Reply::Array(items.into_iter().map(|s| bulk(s)).collect())
}

/// Sorts an array reply, for commands whose order Redis leaves unspecified.
fn sorted(reply: Reply) -> Reply {
    match reply {
        Reply::Array(mut items) => {
            items.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
            Reply::Array(items)
        }
        other => other,
    }
}

/// An index into a list of `len` as Redis reads it (negative from the end), if inside.
fn at(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { index + len as i64 } else { index };
    (i >= 0 && (i as usize) < len).then_some(i as usize)
}

/// The inclusive range LRANGE/LTRIM select, as a plain start..end.
fn range(start: i64, stop: i64, len: usize) -> std::ops::Range<usize> {
    let len = len as i64;
    let start = if start < 0 { (start + len).max(0) } else { start };
    let stop = if stop < 0 { stop + len } else { stop }.min(len - 1);
    if start > stop || start >= len {
        0..0
    } else {
        start as usize..stop as usize + 1
    }
}

#[derive(Debug, Clone)]
enum ListOp {
    Push(bool, String),
    Pop(bool),
    Index(i64),
    Set(i64, String),
    Insert(bool, String, String),
    Rem(i64, String),
    Trim(i64, i64),
    Range(i64, i64),
    Len,
}

fn element() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["a", "b", "c", "d"]).prop_map(String::from)
}

fn list_op() -> impl Strategy<Value = ListOp> {
    prop_oneof![
        3 => (any::<bool>(), element()).prop_map(|(l, e)| ListOp::Push(l, e)),
        1 => any::<bool>().prop_map(ListOp::Pop),
        1 => (-6i64..6).prop_map(ListOp::Index),
        1 => (-6i64..6, element()).prop_map(|(i, e)| ListOp::Set(i, e)),
        1 => (any::<bool>(), element(), element()).prop_map(|(a, p, e)| ListOp::Insert(a, p, e)),
        1 => (-3i64..3, element()).prop_map(|(c, e)| ListOp::Rem(c, e)),
        1 => (-6i64..6, -6i64..6).prop_map(|(a, b)| ListOp::Trim(a, b)),
        1 => (-6i64..6, -6i64..6).prop_map(|(a, b)| ListOp::Range(a, b)),
        1 => Just(ListOp::Len),
    ]
}

fn list_step(conn: &mut Connection, model: &mut VecDeque<String>, op: &ListOp) -> (Reply, Reply) {
    let len = model.len();
    let (argv, expected): (Vec<String>, Reply) = match op {
        ListOp::Push(left, e) => {
            if *left {
                model.push_front(e.clone())
            } else {
                model.push_back(e.clone())
            }
            let name = if *left { "LPUSH" } else { "RPUSH" };
            (
                vec![name.into(), "l".into(), e.clone()],
                Reply::Integer(model.len() as i64),
            )
        }
        ListOp::Pop(left) => {
            let popped = if *left { model.pop_front() } else { model.pop_back() };
            let name = if *left { "LPOP" } else { "RPOP" };
            (vec![name.into(), "l".into()], popped.map_or(Reply::Nil, |e| bulk(&e)))
        }
        ListOp::Index(i) => (
            vec!["LINDEX".into(), "l".into(), i.to_string()],
            at(*i, len).map_or(Reply::Nil, |i| bulk(&model[i])),
        ),
        ListOp::Set(i, e) => {
            let expected = match (len, at(*i, len)) {
                (0, _) => Reply::Error(embedis::CommandError::NoSuchKey),
                (_, None) => Reply::Error(embedis::CommandError::Other("ERR index out of range".into())),
                (_, Some(i)) => {
                    model[i] = e.clone();
                    Reply::ok()
                }
            };
            (vec!["LSET".into(), "l".into(), i.to_string(), e.clone()], expected)
        }
        ListOp::Insert(after, pivot, e) => {
            let expected = match model.iter().position(|x| x == pivot) {
                _ if len == 0 => Reply::Integer(0),
                None => Reply::Integer(-1),
                Some(p) => {
                    model.insert(p + usize::from(*after), e.clone());
                    Reply::Integer(model.len() as i64)
                }
            };
            let place = if *after { "AFTER" } else { "BEFORE" };
            (
                vec!["LINSERT".into(), "l".into(), place.into(), pivot.clone(), e.clone()],
                expected,
            )
        }
        ListOp::Rem(count, e) => {
            let limit = if *count == 0 {
                usize::MAX
            } else {
                count.unsigned_abs() as usize
            };
            let mut positions: Vec<usize> = (0..len).filter(|&i| model[i] == *e).collect();
            if *count < 0 {
                positions.reverse();
            }
            positions.truncate(limit);
            positions.sort_unstable();
            for p in positions.iter().rev() {
                model.remove(*p);
            }
            (
                vec!["LREM".into(), "l".into(), count.to_string(), e.clone()],
                Reply::Integer(positions.len() as i64),
            )
        }
        ListOp::Trim(a, b) => {
            let keep = if len == 0 { 0..0 } else { range(*a, *b, len) };
            *model = model.iter().skip(keep.start).take(keep.len()).cloned().collect();
            (
                vec!["LTRIM".into(), "l".into(), a.to_string(), b.to_string()],
                Reply::ok(),
            )
        }
        ListOp::Range(a, b) => {
            let r = if len == 0 { 0..0 } else { range(*a, *b, len) };
            (
                vec!["LRANGE".into(), "l".into(), a.to_string(), b.to_string()],
                bulks(model.iter().skip(r.start).take(r.len())),
            )
        }
        ListOp::Len => (vec!["LLEN".into(), "l".into()], Reply::Integer(len as i64)),
    };
    (conn.call(argv), expected)
}

#[derive(Debug, Clone)]
enum HashOp {
    Set(String, String),
    SetNx(String, String),
    Del(String),
    Get(String),
    IncrBy(String, i64),
    Exists(String),
    Len,
    GetAll,
}

fn hash_op() -> impl Strategy<Value = HashOp> {
    let value = prop::sample::select(vec!["1", "2", "x", "10"]).prop_map(String::from);
    prop_oneof![
        3 => (element(), value.clone()).prop_map(|(f, v)| HashOp::Set(f, v)),
        1 => (element(), value).prop_map(|(f, v)| HashOp::SetNx(f, v)),
        2 => element().prop_map(HashOp::Del),
        1 => element().prop_map(HashOp::Get),
        1 => (element(), -3i64..3).prop_map(|(f, n)| HashOp::IncrBy(f, n)),
        1 => element().prop_map(HashOp::Exists),
        1 => Just(HashOp::Len),
        1 => Just(HashOp::GetAll),
    ]
}

fn hash_step(conn: &mut Connection, model: &mut BTreeMap<String, String>, op: &HashOp) -> (Reply, Reply) {
    let (argv, expected): (Vec<String>, Reply) = match op {
        HashOp::Set(f, v) => {
            let new = model.insert(f.clone(), v.clone()).is_none();
            (
                vec!["HSET".into(), "h".into(), f.clone(), v.clone()],
                Reply::Integer(new as i64),
            )
        }
        HashOp::SetNx(f, v) => {
            let new = !model.contains_key(f);
            if new {
                model.insert(f.clone(), v.clone());
            }
            (
                vec!["HSETNX".into(), "h".into(), f.clone(), v.clone()],
                Reply::Integer(new as i64),
            )
        }
        HashOp::Del(f) => (
            vec!["HDEL".into(), "h".into(), f.clone()],
            Reply::Integer(model.remove(f).is_some() as i64),
        ),
        HashOp::Get(f) => (
            vec!["HGET".into(), "h".into(), f.clone()],
            model.get(f).map_or(Reply::Nil, |v| bulk(v)),
        ),
        HashOp::IncrBy(f, n) => {
            let expected = match model.get(f).map(|v| v.parse::<i64>()) {
                Some(Err(_)) => Reply::Error(embedis::CommandError::HashValueNotInteger),
                current => {
                    let next = current.map_or(0, |c| c.unwrap_or(0)) + n;
                    model.insert(f.clone(), next.to_string());
                    Reply::Integer(next)
                }
            };
            (vec!["HINCRBY".into(), "h".into(), f.clone(), n.to_string()], expected)
        }
        HashOp::Exists(f) => (
            vec!["HEXISTS".into(), "h".into(), f.clone()],
            Reply::Integer(model.contains_key(f) as i64),
        ),
        HashOp::Len => (vec!["HLEN".into(), "h".into()], Reply::Integer(model.len() as i64)),
        HashOp::GetAll => {
            let pairs: Vec<Reply> = model
                .iter()
                .map(|(f, v)| Reply::Array(vec![bulk(f), bulk(v)]))
                .collect();
            let reply = conn.call(["HGETALL", "h"]);
            let got = match reply {
                Reply::Array(items) => {
                    Reply::Array(items.chunks(2).map(|c| Reply::Array(c.to_vec())).collect::<Vec<_>>())
                }
                other => other,
            };
            return (sorted(got), sorted(Reply::Array(pairs)));
        }
    };
    (conn.call(argv), expected)
}

#[derive(Debug, Clone)]
enum SetOp {
    Add(bool, String),
    Rem(bool, String),
    IsMember(bool, String),
    Card(bool),
    Members(bool),
    Inter,
    Union,
    Diff,
    Move(String),
}

fn set_op() -> impl Strategy<Value = SetOp> {
    prop_oneof![
        3 => (any::<bool>(), element()).prop_map(|(k, m)| SetOp::Add(k, m)),
        2 => (any::<bool>(), element()).prop_map(|(k, m)| SetOp::Rem(k, m)),
        1 => (any::<bool>(), element()).prop_map(|(k, m)| SetOp::IsMember(k, m)),
        1 => any::<bool>().prop_map(SetOp::Card),
        1 => any::<bool>().prop_map(SetOp::Members),
        1 => Just(SetOp::Inter),
        1 => Just(SetOp::Union),
        1 => Just(SetOp::Diff),
        1 => element().prop_map(SetOp::Move),
    ]
}

fn set_step(conn: &mut Connection, models: &mut [BTreeSet<String>; 2], op: &SetOp) -> (Reply, Reply) {
    let name = |k: bool| if k { "t".to_string() } else { "s".to_string() };
    let pick = |k: bool| usize::from(k);
    let (argv, expected, unordered): (Vec<String>, Reply, bool) = match op {
        SetOp::Add(k, m) => {
            let new = models[pick(*k)].insert(m.clone());
            (
                vec!["SADD".into(), name(*k), m.clone()],
                Reply::Integer(new as i64),
                false,
            )
        }
        SetOp::Rem(k, m) => {
            let gone = models[pick(*k)].remove(m);
            (
                vec!["SREM".into(), name(*k), m.clone()],
                Reply::Integer(gone as i64),
                false,
            )
        }
        SetOp::IsMember(k, m) => {
            let found = models[pick(*k)].contains(m);
            (
                vec!["SISMEMBER".into(), name(*k), m.clone()],
                Reply::Integer(found as i64),
                false,
            )
        }
        SetOp::Card(k) => (
            vec!["SCARD".into(), name(*k)],
            Reply::Integer(models[pick(*k)].len() as i64),
            false,
        ),
        SetOp::Members(k) => (vec!["SMEMBERS".into(), name(*k)], bulks(&models[pick(*k)]), true),
        SetOp::Inter => (
            vec!["SINTER".into(), "s".into(), "t".into()],
            bulks(models[0].intersection(&models[1])),
            true,
        ),
        SetOp::Union => (
            vec!["SUNION".into(), "s".into(), "t".into()],
            bulks(models[0].union(&models[1])),
            true,
        ),
        SetOp::Diff => (
            vec!["SDIFF".into(), "s".into(), "t".into()],
            bulks(models[0].difference(&models[1])),
            true,
        ),
        SetOp::Move(m) => {
            let moved = models[0].remove(m);
            if moved {
                models[1].insert(m.clone());
            }
            (
                vec!["SMOVE".into(), "s".into(), "t".into(), m.clone()],
                Reply::Integer(moved as i64),
                false,
            )
        }
    };
    let got = conn.call(argv);
    if unordered {
        (sorted(got), sorted(expected))
    } else {
        (got, expected)
    }
}

#[derive(Debug, Clone)]
enum ZOp {
    Add(i64, String),
    Rem(String),
    IncrBy(i64, String),
    Rank(String),
    RangeByRank(i64, i64),
    RangeByScore(i64, i64),
    Count(i64, i64),
    PopMin,
    RemRangeByRank(i64, i64),
}

fn zset_op() -> impl Strategy<Value = ZOp> {
    let member = prop::sample::select(vec!["a", "b", "c", "d", "e", "f"]).prop_map(String::from);
    prop_oneof![
        4 => (-5i64..5, member.clone()).prop_map(|(s, m)| ZOp::Add(s, m)),
        2 => member.clone().prop_map(ZOp::Rem),
        1 => (-3i64..3, member.clone()).prop_map(|(s, m)| ZOp::IncrBy(s, m)),
        2 => member.prop_map(ZOp::Rank),
        2 => (-7i64..7, -7i64..7).prop_map(|(a, b)| ZOp::RangeByRank(a, b)),
        2 => (-6i64..6, -6i64..6).prop_map(|(a, b)| ZOp::RangeByScore(a, b)),
        1 => (-6i64..6, -6i64..6).prop_map(|(a, b)| ZOp::Count(a, b)),
        1 => Just(ZOp::PopMin),
        1 => (-7i64..7, -7i64..7).prop_map(|(a, b)| ZOp::RemRangeByRank(a, b)),
    ]
}

/// The model's members in Redis's order: by score, then by member.
fn zorder(model: &BTreeMap<String, i64>) -> Vec<(String, i64)> {
    let mut entries: Vec<(String, i64)> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
    entries.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    entries
}

fn zset_step(conn: &mut Connection, model: &mut BTreeMap<String, i64>, op: &ZOp) -> (Reply, Reply) {
    let ordered = zorder(model);
    let names = |entries: &[(String, i64)]| Reply::Array(entries.iter().map(|(m, _)| bulk(m)).collect());
    let (argv, expected): (Vec<String>, Reply) = match op {
        ZOp::Add(score, m) => {
            let new = model.insert(m.clone(), *score).is_none();
            (
                vec!["ZADD".into(), "z".into(), score.to_string(), m.clone()],
                Reply::Integer(new as i64),
            )
        }
        ZOp::Rem(m) => (
            vec!["ZREM".into(), "z".into(), m.clone()],
            Reply::Integer(model.remove(m).is_some() as i64),
        ),
        ZOp::IncrBy(by, m) => {
            let score = model.get(m).copied().unwrap_or(0) + by;
            model.insert(m.clone(), score);
            (
                vec!["ZINCRBY".into(), "z".into(), by.to_string(), m.clone()],
                bulk(&score.to_string()),
            )
        }
        ZOp::Rank(m) => {
            let rank = ordered.iter().position(|(x, _)| x == m);
            (
                vec!["ZRANK".into(), "z".into(), m.clone()],
                rank.map_or(Reply::Nil, |r| Reply::Integer(r as i64)),
            )
        }
        ZOp::RangeByRank(a, b) => {
            let r = if ordered.is_empty() {
                0..0
            } else {
                range(*a, *b, ordered.len())
            };
            (
                vec!["ZRANGE".into(), "z".into(), a.to_string(), b.to_string()],
                names(&ordered[r]),
            )
        }
        ZOp::RangeByScore(lo, hi) => {
            let chosen: Vec<(String, i64)> = ordered.iter().filter(|(_, s)| lo <= s && s <= hi).cloned().collect();
            (
                vec!["ZRANGEBYSCORE".into(), "z".into(), lo.to_string(), hi.to_string()],
                names(&chosen),
            )
        }
        ZOp::Count(lo, hi) => {
            let n = ordered.iter().filter(|(_, s)| lo <= s && s <= hi).count();
            (
                vec!["ZCOUNT".into(), "z".into(), lo.to_string(), hi.to_string()],
                Reply::Integer(n as i64),
            )
        }
        ZOp::PopMin => {
            let expected = match ordered.first() {
                Some((m, s)) => {
                    model.remove(m);
                    Reply::Array(vec![bulk(m), bulk(&s.to_string())])
                }
                None => Reply::Array(vec![]),
            };
            (vec!["ZPOPMIN".into(), "z".into()], expected)
        }
        ZOp::RemRangeByRank(a, b) => {
            let r = if ordered.is_empty() {
                0..0
            } else {
                range(*a, *b, ordered.len())
            };
            for (m, _) in &ordered[r.clone()] {
                model.remove(m);
            }
            (
                vec!["ZREMRANGEBYRANK".into(), "z".into(), a.to_string(), b.to_string()],
                Reply::Integer(r.len() as i64),
            )
        }
    };
    (conn.call(argv), expected)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn sorted_sets_behave_like_a_sorted_btreemap(ops in prop::collection::vec(zset_op(), 1..80)) {
        let store = Store::new();
        let mut conn = store.connect();
        let mut model = BTreeMap::new();
        for op in &ops {
            let (got, expected) = zset_step(&mut conn, &mut model, op);
            prop_assert_eq!(got, expected, "after {:?}", op);
        }
    }

    #[test]
    fn lists_behave_like_a_vecdeque(ops in prop::collection::vec(list_op(), 1..60)) {
        let store = Store::new();
        let mut conn = store.connect();
        let mut model = VecDeque::new();
        for op in &ops {
            let (got, expected) = list_step(&mut conn, &mut model, op);
            prop_assert_eq!(got, expected, "after {:?}", op);
        }
    }

    #[test]
    fn hashes_behave_like_a_btreemap(ops in prop::collection::vec(hash_op(), 1..60)) {
        let store = Store::new();
        let mut conn = store.connect();
        let mut model = BTreeMap::new();
        for op in &ops {
            let (got, expected) = hash_step(&mut conn, &mut model, op);
            prop_assert_eq!(got, expected, "after {:?}", op);
        }
    }

    #[test]
    fn sets_behave_like_btreesets(ops in prop::collection::vec(set_op(), 1..60)) {
        let store = Store::new();
        let mut conn = store.connect();
        let mut models = [BTreeSet::new(), BTreeSet::new()];
        for op in &ops {
            let (got, expected) = set_step(&mut conn, &mut models, op);
            prop_assert_eq!(got, expected, "after {:?}", op);
        }
    }
}
