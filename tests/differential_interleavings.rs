//! Proptest-generated interleavings of three clients mixing WATCH/MULTI/EXEC/DISCARD/UNWATCH with
//! the core commands, wrong types, bad arguments, unknown commands and wrong arities, run on
//! redis-server and on embedis; every reply must be the same bytes.

mod common;

use common::Order;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

const CLIENTS: usize = 3;

fn key() -> impl Strategy<Value = String> {
    prop_oneof![Just("a"), Just("b"), Just("c")].prop_map(String::from)
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1".to_string()),
        Just("-7".to_string()),
        Just("x".to_string()),
        Just("9223372036854775807".to_string()),
        Just("1.5".to_string()),
        Just("".to_string()),
        (0i64..100).prop_map(|n| n.to_string()),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..5).prop_map(|n| n.to_string()),
        Just("abc".to_string()),
        Just("9223372036854775807".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("100".to_string()),
    ]
}

fn command() -> impl Strategy<Value = Vec<String>> {
    let k = key;
    let v = value;
    let n = number;
    let tx = prop_oneof![
        prop::collection::vec(k(), 1..3).prop_map(|keys| [vec!["WATCH".to_string()], keys].concat()),
        Just(vec!["UNWATCH".to_string()]),
        Just(vec!["MULTI".to_string()]),
        Just(vec!["EXEC".to_string()]),
        Just(vec!["DISCARD".to_string()]),
        Just(vec!["EXEC".to_string(), "x".to_string()]),
    ];
    let strings = prop_oneof![
        (k(), v()).prop_map(|(k, v)| vec!["SET".into(), k, v]),
        (
            k(),
            v(),
            prop_oneof![Just("NX"), Just("XX"), Just("GET"), Just("KEEPTTL")]
        )
            .prop_map(|(k, v, o)| vec!["SET".into(), k, v, o.into()]),
        (k(), v(), n()).prop_map(|(k, v, n)| vec!["SET".into(), k, v, "EX".into(), n]),
        k().prop_map(|k| vec!["GET".into(), k]),
        k().prop_map(|k| vec!["INCR".into(), k]),
        (k(), n()).prop_map(|(k, n)| vec!["INCRBY".into(), k, n]),
        (k(), n()).prop_map(|(k, n)| vec!["DECRBY".into(), k, n]),
        (k(), v()).prop_map(|(k, v)| vec!["INCRBYFLOAT".into(), k, v]),
        (k(), v()).prop_map(|(k, v)| vec!["APPEND".into(), k, v]),
        (k(), v()).prop_map(|(k, v)| vec!["GETSET".into(), k, v]),
        k().prop_map(|k| vec!["GETDEL".into(), k]),
        k().prop_map(|k| vec!["STRLEN".into(), k]),
        (k(), n(), v()).prop_map(|(k, n, v)| vec!["SETRANGE".into(), k, n, v]),
        (k(), v(), k(), v()).prop_map(|(a, x, b, y)| vec!["MSET".into(), a, x, b, y]),
        (k(), v(), k(), v()).prop_map(|(a, x, b, y)| vec!["MSETNX".into(), a, x, b, y]),
        (k(), k()).prop_map(|(a, b)| vec!["MGET".into(), a, b]),
    ];
    let keys = prop_oneof![
        prop::collection::vec(k(), 1..3).prop_map(|keys| [vec!["DEL".to_string()], keys].concat()),
        prop::collection::vec(k(), 1..3).prop_map(|keys| [vec!["EXISTS".to_string()], keys].concat()),
        k().prop_map(|k| vec!["TYPE".into(), k]),
        (k(), n()).prop_map(|(k, n)| vec!["EXPIRE".into(), k, n]),
        (k(), n(), prop_oneof![Just("NX"), Just("XX"), Just("GT"), Just("LT")]).prop_map(|(k, n, o)| vec![
            "EXPIRE".into(),
            k,
            n,
            o.into()
        ]),
        k().prop_map(|k| vec!["PERSIST".into(), k]),
        k().prop_map(|k| vec!["TTL".into(), k]),
        (k(), k()).prop_map(|(a, b)| vec!["RENAME".into(), a, b]),
        (k(), k()).prop_map(|(a, b)| vec!["RENAMENX".into(), a, b]),
        (k(), k()).prop_map(|(a, b)| vec!["COPY".into(), a, b]),
        k().prop_map(|k| vec!["MOVE".into(), k, "1".into()]),
        prop_oneof![Just("0"), Just("1")].prop_map(|db| vec!["SELECT".into(), db.into()]),
        Just(vec!["SWAPDB".to_string(), "0".into(), "1".into()]),
        Just(vec!["FLUSHDB".to_string()]),
        Just(vec!["DBSIZE".to_string()]),
    ];
    let collections = prop_oneof![
        (k(), v()).prop_map(|(k, v)| vec!["LPUSH".into(), k, v]),
        (k(), v()).prop_map(|(k, v)| vec!["RPUSH".into(), k, v]),
        k().prop_map(|k| vec!["RPOP".into(), k]),
        (k(), n()).prop_map(|(k, n)| vec!["LPOP".into(), k, n]),
        k().prop_map(|k| vec!["LRANGE".into(), k, "0".into(), "-1".into()]),
        k().prop_map(|k| vec!["LLEN".into(), k]),
        (k(), v(), v()).prop_map(|(k, f, v)| vec!["HSET".into(), k, f, v]),
        (k(), v()).prop_map(|(k, f)| vec!["HGET".into(), k, f]),
        (k(), v(), n()).prop_map(|(k, f, n)| vec!["HINCRBY".into(), k, f, n]),
        (k(), v()).prop_map(|(k, f)| vec!["HDEL".into(), k, f]),
        (k(), v(), v()).prop_map(|(k, f, v)| vec!["HSETNX".into(), k, f, v]),
        k().prop_map(|k| vec!["HGETALL".into(), k]),
        k().prop_map(|k| vec!["HKEYS".into(), k]),
        (k(), v()).prop_map(|(k, m)| vec!["SADD".into(), k, m]),
        (k(), v()).prop_map(|(k, m)| vec!["SREM".into(), k, m]),
        k().prop_map(|k| vec!["SMEMBERS".into(), k]),
        k().prop_map(|k| vec!["SCARD".into(), k]),
        (k(), k()).prop_map(|(a, b)| vec!["SINTER".into(), a, b]),
        (k(), k(), k()).prop_map(|(d, a, b)| vec!["SUNIONSTORE".into(), d, a, b]),
        (k(), k(), v()).prop_map(|(a, b, m)| vec!["SMOVE".into(), a, b, m]),
        (k(), k()).prop_map(|(a, b)| vec!["LMOVE".into(), a, b, "LEFT".into(), "RIGHT".into()]),
        (k(), n(), v()).prop_map(|(k, n, v)| vec!["LREM".into(), k, n, v]),
        (k(), n(), n()).prop_map(|(k, a, b)| vec!["LTRIM".into(), k, a, b]),
        (k(), n()).prop_map(|(k, i)| vec!["LINDEX".into(), k, i]),
        (k(), v()).prop_map(|(k, e)| vec!["LPOS".into(), k, e]),
        k().prop_map(|k| vec!["BLPOP".into(), k, "0.01".into()]),
        (k(), n(), v()).prop_map(|(k, s, m)| vec!["ZADD".into(), k, s, m]),
        (k(), n(), v()).prop_map(|(k, s, m)| vec!["ZADD".into(), k, "GT".into(), "CH".into(), s, m]),
        (k(), n(), v()).prop_map(|(k, s, m)| vec!["ZINCRBY".into(), k, s, m]),
        (k(), v()).prop_map(|(k, m)| vec!["ZREM".into(), k, m]),
        (k(), v()).prop_map(|(k, m)| vec!["ZRANK".into(), k, m]),
        (k(), v()).prop_map(|(k, m)| vec!["ZSCORE".into(), k, m]),
        k().prop_map(|k| vec!["ZRANGE".into(), k, "0".into(), "-1".into(), "WITHSCORES".into()]),
        (k(), n(), n()).prop_map(|(k, a, b)| vec!["ZRANGEBYSCORE".into(), k, a, b]),
        k().prop_map(|k| vec!["ZPOPMIN".into(), k]),
        (k(), k(), k()).prop_map(|(d, a, b)| vec!["ZUNIONSTORE".into(), d, "2".into(), a, b]),
        (k(), k()).prop_map(|(a, b)| vec!["ZINTER".into(), "2".into(), a, b, "WITHSCORES".into()]),
    ];
    let bad = prop_oneof![
        Just(vec!["NOPE".to_string(), "x".into()]),
        Just(vec!["GET".to_string()]),
        k().prop_map(|k| vec!["SET".into(), k]),
        k().prop_map(|k| vec!["INCR".into(), k, "extra".into()]),
        Just(vec!["SAVE".to_string()]),
        Just(vec!["PING".to_string()]),
    ];
    prop_oneof![3 => tx, 3 => strings, 2 => keys, 2 => collections, 1 => bad]
}

fn interleaving() -> impl Strategy<Value = Vec<(usize, Vec<String>)>> {
    prop::collection::vec((0..CLIENTS, command()), 1..40)
}

/// Replies whose order Redis leaves unspecified are compared as sets: SMEMBERS and SINTER of a
/// set with a non-integer member (a hashtable, whose order is per process). Everything else,
/// integer sets (intsets, in numeric order) and small hashes (listpacks) included, compares byte
/// for byte.
fn order_of(name: &[u8]) -> Order {
    match name {
        b"SMEMBERS" | b"SINTER" => Order::Unordered,
        _ => Order::Exact,
    }
}

/// An EXEC reply with each slot put in the canonical order its command's `slots` entry asks for
/// (an EXEC that did not run its queue — nil, EXECABORT — as it is).
fn exec_replies(raw: &[u8], slots: &[Order]) -> common::Resp {
    match common::parse(raw) {
        common::Resp::Array(Some(items)) if items.len() == slots.len() => common::Resp::Array(Some(
            items
                .into_iter()
                .zip(slots)
                .map(|(item, order)| common::normalized(item, *order))
                .collect(),
        )),
        other => other,
    }
}

#[test]
fn interleaved_clients_match_redis() {
    let Some(diff) = common::Differential::new(CLIENTS) else {
        return;
    };
    let diff = std::cell::RefCell::new(diff);
    let cases = std::env::var("EMBEDIS_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new(Config {
        cases,
        // A failing case is saved beside this file (proptest-regressions/) and replayed first
        // on the next run, as the proptest! macro's tests do.
        source_file: Some(file!()),
        ..Config::default()
    });
    runner
        .run(&interleaving(), |steps| {
            let mut diff = diff.borrow_mut();
            diff.reset(CLIENTS);
            // Per client inside MULTI, how each queued command's slot of EXEC's reply compares.
            let mut queued: Vec<Option<Vec<Order>>> = vec![None; CLIENTS];
            for (client, argv) in &steps {
                let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.clone().into_bytes()).collect();
                let name = argv[0].to_ascii_uppercase();
                let (from_redis, from_embedis) = diff.both(*client, &argv);
                let same = match name.as_slice() {
                    b"EXEC" | b"DISCARD" | b"RESET" => match queued[*client].take() {
                        Some(slots) if name == b"EXEC" => {
                            exec_replies(&from_redis, &slots) == exec_replies(&from_embedis, &slots)
                        }
                        _ => from_redis == from_embedis,
                    },
                    _ => {
                        if name == b"MULTI" && from_redis == b"+OK\r\n" {
                            queued[*client] = Some(Vec::new());
                        } else if let Some(slots) = &mut queued[*client]
                            && from_redis == b"+QUEUED\r\n"
                        {
                            slots.push(order_of(&name));
                        }
                        match order_of(&name) {
                            Order::Exact => from_redis == from_embedis,
                            order => {
                                common::normalized(common::parse(&from_redis), order)
                                    == common::normalized(common::parse(&from_embedis), order)
                            }
                        }
                    }
                };
                if !same {
                    return Err(TestCaseError::fail(format!(
                        "replies differ\n  redis:   {:?}\n  embedis: {:?}\ntranscript:\n{}",
                        String::from_utf8_lossy(&from_redis),
                        String::from_utf8_lossy(&from_embedis),
                        diff.transcript.join("\n")
                    )));
                }
            }
            Ok(())
        })
        .unwrap();
}
