//! Streams against redis-server: every command's replies and errors compared byte for byte, in
//! process (RESP2 and RESP3) and over the wire (node sizes set by CONFIG SET, blocking reads);
//! then a model test of a stream with a consumer group against a plain in-test model.
#![cfg(all(feature = "server", feature = "lua"))]

mod common;
mod wire;

use common::{RawClient, RedisServer, assert_same_bytes, words};
use embedis::server::Server;
use embedis::{Commands, Reply, Store};
use proptest::prelude::*;

#[test]
fn entries_ranges_and_their_errors() {
    let mut d = differential!(1);
    d.script(
        r#"
        XADD s 1-1 a 1
        XADD s 1-2 a 2 b 3
        XADD s 1-* a 3
        XADD s 2 f v
        XADD s 2 f v
        XADD s 0-0 f v
        XADD s 0-* f v
        XADD s 3-18446744073709551615 f v
        XADD s 3-* f v
        XADD s 3 f
        XADD s NOMKSTREAM 5 f
        XADD nos NOMKSTREAM 5 f v
        EXISTS nos
        XLEN s
        XRANGE s - +
        XRANGE s - + COUNT 2
        XRANGE s - + COUNT 0
        XRANGE s - + COUNT -1
        XRANGE s (1-1 +
        XRANGE s 1 1
        XRANGE s 1 1-2
        XREVRANGE s + -
        XREVRANGE s + - COUNT 1
        XREVRANGE s (2-0 -
        XRANGE s (18446744073709551615-18446744073709551615 +
        XRANGE s - (0-0
        XRANGE s (- +
        XRANGE s 1-a +
        XRANGE s " 1" "+1-2"
        XRANGE s - + foo
        XRANGE s - + COUNT
        XRANGE nokey - +
        SET str x
        XRANGE str - +
        XADD str * a b
        XLEN str
        XDEL s 1-2 99
        XDEL s 1-2 x
        XDEL nokey x
        XRANGE s - +
        XINFO STREAM s
        XTRIM s MAXLEN 2
        XTRIM s MAXLEN ~ 2
        XTRIM s MINID 3
        XTRIM s MAXLEN ~ 2 LIMIT 5
        XTRIM s MAXLEN 2 LIMIT 5
        XTRIM s LIMIT 5
        XTRIM s
        XTRIM s MAXLEN -1
        XTRIM s MAXLEN 1 MINID 2
        XTRIM s MINID -
        XTRIM nokey MAXLEN 1
        XADD s MAXLEN 1 MINID 2 * a b
        XADD s LIMIT 1 * a b
        XADD s MAXLEN = 3 9-0 a b
        XSETID s 1
        XSETID s 100
        XSETID s 200 ENTRIESADDED 1
        XSETID s 200 ENTRIESADDED -1
        XSETID s 200 ENTRIESADDED 10 MAXDELETEDID 300
        XSETID s 200 ENTRIESADDED 10 MAXDELETEDID 100
        XSETID s 200 foo
        XINFO STREAM s
        XSETID nokey 1
        TYPE s
        OBJECT ENCODING s
        XLEN nokey
        XADD s 18446744073709551615-18446744073709551615 a b
        XADD s * a b
        XADD s + a b
        XADD s - a b
        XADD s " 5" a b
        XADD t 0-* a b
        XADD t 5-* a b
        XADD t 5-* a b
        XADD t 4-* a b
        XADD t 5-18446744073709551615 a b
        XADD t 5-* a b
        XRANGE t - +
        "#,
    );
}

#[test]
fn consumer_groups_pending_entries_and_claims() {
    let mut d = differential!(1);
    d.script(
        r#"
        XGROUP CREATE s g $
        XGROUP CREATE s g $ MKSTREAM
        XGROUP CREATE s g $ MKSTREAM
        XGROUP CREATE s g2 0 ENTRIESREAD 5
        XGROUP CREATE s g3 0 ENTRIESREAD -2
        XGROUP CREATE s g3 0 foo
        XGROUP CREATE s g3 +
        XGROUP CREATE s g3 0 MKSTREAM MKSTREAM MKSTREAM MKSTREAM
        XGROUP CREATE s g3 0 ENTRIESREAD 1 ENTRIESREAD 2
        XADD s 1-1 a 1
        XADD s 2-1 b 2
        XADD s 3-1 c 3
        XADD s 4-1 d 4
        XINFO GROUPS s
        XREADGROUP GROUP g alice STREAMS s >
        XREADGROUP GROUP g alice COUNT 1 STREAMS s 0
        XREADGROUP GROUP g2 bob COUNT 2 STREAMS s >
        XREADGROUP GROUP g2 bob NOACK STREAMS s >
        XINFO GROUPS s
        XINFO STREAM s
        XPENDING s g
        XPENDING s g2
        XPENDING s g - + 10 nobody
        XPENDING s g idle x - + 10
        XPENDING s g - + x
        XPENDING s g - +
        XPENDING s nog
        XPENDING nokey g
        XACK s g 1-1 1-1 9-9
        XACK s g x
        XACK s nog x
        XACK nokey g x
        XPENDING s g
        XREADGROUP GROUP g alice STREAMS s 0
        XDEL s 2-1
        XREADGROUP GROUP g alice STREAMS s 0
        XREADGROUP GROUP g alice STREAMS s (3
        XINFO STREAM s
        XINFO GROUPS s
        XINFO CONSUMERS s nog
        XCLAIM s g carol 0 2-1 3-1 4-1 JUSTID
        XCLAIM s g carol 0 3-1
        XCLAIM s g carol 0 1-1 FORCE JUSTID
        XCLAIM s g carol 0 9-1 FORCE
        XCLAIM s g carol 0 3-1 RETRYCOUNT 7 JUSTID
        XCLAIM s g carol x 3-1
        XCLAIM s g carol 0 3-1 bogus
        XCLAIM s g carol 0 3-1 IDLE x
        XCLAIM s g carol 0 3-1 TIME x
        XCLAIM s g carol 0 3-1 RETRYCOUNT x
        XCLAIM s g carol 0 3-1 LASTID x
        XCLAIM s g carol 0 3-1 LASTID 10-0 JUSTID
        XCLAIM s g carol 0 3-1 IDLE
        XCLAIM s nog carol 0 3-1
        XINFO GROUPS s
        XAUTOCLAIM s g dave 0 0
        XAUTOCLAIM s g dave 0 0 COUNT 1
        XAUTOCLAIM s g dave 0 0 COUNT 1 JUSTID
        XAUTOCLAIM s g dave 0 0 COUNT 0
        XAUTOCLAIM s g dave 0 0 COUNT x
        XAUTOCLAIM s g dave x 0
        XAUTOCLAIM s g dave 0 x
        XAUTOCLAIM s g dave 0 0 foo
        XAUTOCLAIM s nog dave 0 0
        XAUTOCLAIM s g dave 100000 0
        XADD s 5-1 e 5
        XADD s 6-1 f 6
        XREADGROUP GROUP g erin STREAMS s >
        XDEL s 5-1
        XAUTOCLAIM s g frank 0 0 COUNT 10
        XGROUP CREATECONSUMER s g zed
        XGROUP CREATECONSUMER s g zed
        XGROUP CREATECONSUMER s nog zed
        XGROUP DELCONSUMER s g frank
        XGROUP DELCONSUMER s g nobody
        XGROUP SETID s g 0
        XGROUP SETID s g $ ENTRIESREAD 3
        XGROUP SETID s g -
        XGROUP SETID s nog 0
        XGROUP SETID s g 0 foo
        XGROUP SETID nokey g 0
        XINFO GROUPS s
        XGROUP DESTROY s g2
        XGROUP DESTROY s g2
        XGROUP HELP
        XINFO HELP
        XGROUP foo
        XINFO foo s
        XINFO STREAM s foo
        XINFO STREAM s FULL COUNT
        XINFO STREAM nokey
        SET str v
        XREADGROUP GROUP g a STREAMS str 0
        XGROUP CREATE str g 0
        XINFO STREAM str
        XPENDING str g
        "#,
    );
}

#[test]
fn reads_answer_as_redis_in_both_protocols() {
    let mut d = differential!(1);
    for resp3 in [false, true] {
        if resp3 {
            d.reset(1);
            d.use_resp3();
        }
        d.script(
            r#"
            XADD s 1-1 a 1
            XADD s 2-1 b 2
            XADD s2 3-1 c 3
            XREAD STREAMS s 0
            XREAD COUNT 1 STREAMS s 0
            XREAD STREAMS s s2 0 0
            XREAD STREAMS s s2 $ 0
            XREAD STREAMS s $
            XREAD STREAMS s
            XREAD STREAMS s 0 0
            XREAD GROUP g a STREAMS s 0
            XREAD NOACK STREAMS s 0
            XREAD STREAMS s >
            XREAD COUNT x STREAMS s 0
            XREAD BLOCK x STREAMS s 0
            XREAD BLOCK -1 STREAMS s 0
            XREAD foo STREAMS s 0
            XREADGROUP STREAMS s 0
            XGROUP CREATE s g 0
            XREADGROUP GROUP g a STREAMS s $
            XREADGROUP GROUP nog a STREAMS s >
            XREADGROUP GROUP g a STREAMS nokey >
            XREADGROUP GROUP g a STREAMS s >
            XREADGROUP GROUP g a STREAMS s 0
            XREADGROUP GROUP g a STREAMS s 1
            XINFO STREAM s
            XINFO GROUPS s
            XINFO STREAM s2 FULL
            MULTI
            XREAD BLOCK 0 STREAMS s $
            XREADGROUP GROUP g a BLOCK 0 STREAMS s >
            EXEC
            EVAL "return redis.call('xread','block',0,'streams','x','$')" 0
            EVAL "return redis.pcall('xread','streams','s2','0')" 0
            EVAL "return redis.call('xrange','s','-','+')" 0
            COMMAND GETKEYS XREAD COUNT 1 STREAMS a b 0 0
            COMMAND GETKEYS XREADGROUP GROUP g c NOACK BLOCK 1 STREAMS a 0
            COMMAND GETKEYS XREAD STREAMS a
            "#,
        );
    }
}

#[test]
fn watch_sees_the_stream_commands_redis_signals() {
    let mut d = differential!(2);
    d.check_touch_rules(&[
        ("", "XADD k 1-1 a b"),
        ("XADD k 1-1 a b", "XADD k 1-1 a b"),
        ("XADD k 1-1 a b", "XDEL k 1-1"),
        ("XADD k 1-1 a b", "XDEL k 9-9"),
        ("XADD k 1-1 a b", "XTRIM k MAXLEN 0"),
        ("XADD k 1-1 a b", "XTRIM k MAXLEN 5"),
        ("XADD k 1-1 a b", "XSETID k 5-5"),
        ("XADD k 1-1 a b", "XGROUP CREATE k g 0"),
        ("", "XGROUP CREATE k g 0 MKSTREAM"),
        (
            "XADD k 1-1 a b\nXGROUP CREATE k g 0",
            "XREADGROUP GROUP g c STREAMS k >",
        ),
        (
            "XADD k 1-1 a b\nXGROUP CREATE k g 0\nXREADGROUP GROUP g c STREAMS k >",
            "XACK k g 1-1",
        ),
        (
            "XADD k 1-1 a b\nXGROUP CREATE k g 0\nXREADGROUP GROUP g c STREAMS k >",
            "XCLAIM k g d 0 1-1",
        ),
        ("XADD k 1-1 a b\nXGROUP CREATE k g 0", "XGROUP DESTROY k g"),
    ]);
}

#[test]
fn generic_commands_treat_streams_as_redis_does() {
    let mut d = differential!(1);
    d.script(
        r#"
        XADD s 1-1 a 1
        XGROUP CREATE s g 0
        XREADGROUP GROUP g c STREAMS s >
        TYPE s
        OBJECT ENCODING s
        EXISTS s
        COPY s t
        XINFO STREAM t
        XINFO GROUPS t
        XPENDING t g
        RENAME t u
        XLEN u
        SORT s
        LPUSH s x
        GET s
        MOVE u 1
        SELECT 1
        XRANGE u - +
        SELECT 0
        DEL s
        XLEN s
        XADD e 1-1 a 1
        XDEL e 1-1
        EXISTS e
        XLEN e
        XINFO STREAM e
        XTRIM e MAXLEN 0
        EXISTS e
        "#,
    );
    // SCAN's order is each side's own: one key matches.
    d.check(0, "SCAN 0 TYPE stream MATCH e");
    // DUMP's payload is embedis's own, so it goes back into embedis only.
    let store = Store::new();
    let mut conn = store.connect();
    conn.call(("XADD", "s", "1-1", "a", "1"));
    conn.call(("XGROUP", "CREATE", "s", "g", "0"));
    conn.call(["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"]);
    let Reply::Bulk(payload) = conn.call(("DUMP", "s")) else {
        panic!("DUMP answers a payload")
    };
    assert_eq!(conn.call(("RESTORE", "t", 0, payload)), Reply::ok());
    assert_eq!(
        conn.call(("XINFO", "STREAM", "s", "FULL")),
        conn.call(("XINFO", "STREAM", "t", "FULL"))
    );
}

#[test]
fn automatic_ids_follow_the_store_clock_and_never_go_back() {
    let clock = embedis::Clock::manual();
    clock.set(std::time::UNIX_EPOCH + std::time::Duration::from_millis(5_000));
    let store = Store::with_clock(clock.clone());
    assert_eq!(store.xadd("s", "*", ("a", "1")).unwrap(), "5000-0");
    assert_eq!(store.xadd("s", "*", ("a", "2")).unwrap(), "5000-1");
    clock.advance(std::time::Duration::from_millis(3));
    assert_eq!(store.xadd("s", "*", ("a", "3")).unwrap(), "5003-0");
    clock.set(std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_000));
    assert_eq!(store.xadd("s", "*", ("a", "4")).unwrap(), "5003-1");
    // A group's pending entries age with the same clock.
    store.xgroup_create("s", "g", "0").unwrap();
    store.xreadgroup("g", "alice", "s", ">").unwrap();
    clock.advance(std::time::Duration::from_millis(60_000));
    let pending = store.xpending_range("s", "g", "-", "+", 10).unwrap();
    assert_eq!(pending[0].idle_ms, 60_000);
    let claim = store.xautoclaim("s", "g", "bob", 59_000, "0", 10).unwrap();
    assert_eq!(claim.claimed.len(), 4);
}

/// Loads `lines` into both servers, comparing every reply.
fn check_lines(lines: &[String]) {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    let mut theirs = redis.client();
    let mut ours = RawClient::connect(server.addr().port());
    for line in lines {
        let argv = words(line);
        assert_same_bytes(&ours.call(&argv), &theirs.call(&argv), line);
    }
}

#[test]
fn nodes_fill_and_trims_cut_where_redis_does() {
    let mut lines = Vec::new();
    for i in 1..1200 {
        let value = "v".repeat(i % 50);
        lines.push(format!("XADD big {i}-0 field{} {value} f2 {i}", i % 3));
    }
    for line in [
        "XINFO STREAM big",
        "XADD big MAXLEN ~ 1000 5000-0 a b",
        "XLEN big",
        "XTRIM big MAXLEN ~ 500",
        "XTRIM big MINID ~ 900",
        "XINFO STREAM big",
        "XTRIM big MINID 950",
        "XTRIM big MAXLEN ~ 10 LIMIT 30",
        "XTRIM big MAXLEN = 10",
        "XINFO STREAM big",
    ] {
        lines.push(line.into());
    }
    for i in (0..200).step_by(7) {
        lines.push(format!("XDEL big {}-0", 1000 + i));
    }
    lines.push("XINFO STREAM big".into());
    lines.push("XREVRANGE big + - COUNT 5".into());
    // Smaller nodes by entries, by bytes, and unbounded ones.
    lines.push("CONFIG SET stream-node-max-entries 10".into());
    for i in 1..300 {
        lines.push(format!("XADD small {i}-1 f {i}"));
    }
    lines.push("XINFO STREAM small".into());
    lines.push("XADD small MAXLEN ~ 55 999-1 f v".into());
    lines.push("XLEN small".into());
    lines.push("CONFIG SET stream-node-max-bytes 100".into());
    for i in 1..100 {
        lines.push(format!("XADD tiny {i}-1 f {i} g {}", "x".repeat(i)));
    }
    lines.push("XINFO STREAM tiny".into());
    lines.push("XADD tiny MAXLEN ~ 20 999-1 f v".into());
    lines.push("XLEN tiny".into());
    lines.push("CONFIG SET stream-node-max-entries 0".into());
    lines.push("CONFIG SET stream-node-max-bytes 0".into());
    for i in 1..300 {
        lines.push(format!("XADD huge {i}-1 f {i}"));
    }
    lines.push("XADD huge MAXLEN ~ 20 999-1 f v".into());
    lines.push("XINFO STREAM huge".into());
    check_lines(&lines);
}

#[test]
fn blocked_reads_are_served_woken_and_timed_out_as_redis() {
    wire::check_servers(
        5,
        &[
            (1, "XREAD BLOCK 0 STREAMS s $", 0),
            (0, "blocked 1", 0),
            (2, "XREAD BLOCK 0 STREAMS s 0", 0),
            (0, "blocked 2", 0),
            (3, "XADD s 1-1 a 1", 1),
            (1, "", 1),
            (2, "", 1),
            (1, "XREAD BLOCK 0 STREAMS s s2 $ $", 0),
            (0, "blocked 1", 0),
            (2, "HELLO 3", 1),
            (2, "XREAD BLOCK 0 STREAMS s2 s $ $", 0),
            (0, "blocked 2", 0),
            (3, "XADD s2 3-1 c 3", 1),
            (1, "", 1),
            (2, "", 1),
            (0, "XGROUP CREATE s g $", 1),
            (1, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >", 0),
            (0, "blocked 1", 0),
            (2, "XREADGROUP GROUP g c2 BLOCK 0 STREAMS s >", 0),
            (0, "blocked 2", 0),
            (3, "XADD s 4-1 d 4", 1),
            (1, "", 1),
            (3, "XADD s 5-1 d 5", 1),
            (2, "", 1),
            (1, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >", 0),
            (0, "blocked 1", 0),
            (2, "XREADGROUP GROUP g c2 NOACK BLOCK 0 STREAMS s >", 0),
            (0, "blocked 2", 0),
            (0, "XGROUP DESTROY s g", 1),
            (1, "", 1),
            (2, "", 1),
            (0, "XGROUP CREATE s g $", 1),
            (1, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >", 0),
            (0, "blocked 1", 0),
            (4, "XREAD BLOCK 0 STREAMS s $", 0),
            (0, "blocked 2", 0),
            (0, "DEL s", 1),
            (1, "", 1),
            (0, "XADD s 7-1 x y", 1),
            (4, "", 1),
            (0, "XGROUP CREATE s g $", 1),
            (2, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS s >", 0),
            (0, "blocked 1", 0),
            (0, "SET s foo", 1),
            (2, "", 1),
            (0, "XGROUP CREATE t g $ MKSTREAM", 1),
            (1, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS t >", 0),
            (0, "blocked 1", 0),
            (0, "SWAPDB 0 1", 1),
            (1, "", 1),
            (0, "SWAPDB 0 1", 1),
            (1, "XREADGROUP GROUP g c1 BLOCK 0 STREAMS t >", 0),
            (0, "blocked 1", 0),
            (0, "FLUSHDB", 1),
            (1, "", 1),
            (1, "XREAD BLOCK 100 STREAMS s $", 1),
            (1, "XREAD COUNT 2 BLOCK 0 STREAMS q $", 0),
            (0, "blocked 1", 0),
            (0, "MULTI", 1),
            (0, "XADD q 1-1 a 1", 1),
            (0, "XADD q 2-1 a 2", 1),
            (0, "XADD q 3-1 a 3", 1),
            (0, "EXEC", 1),
            (1, "", 1),
            (1, "XREAD BLOCK 0 STREAMS q $", 0),
            (0, "blocked 1", 0),
            (0, "CLIENT UNBLOCK {1}", 1),
            (1, "", 1),
        ],
    );
}

/// What the model keeps of a stream with one group: the entries, the group's last delivered ID
/// and each pending entry's consumer.
#[derive(Debug, Default)]
struct Model {
    entries: Vec<(u64, String)>,
    last_delivered: u64,
    pending: std::collections::BTreeMap<u64, String>,
    next: u64,
}

#[derive(Debug, Clone)]
enum Op {
    Add(String),
    Read(usize, usize),
    Ack(usize),
    Delete(usize),
    Trim(usize),
    Claim(usize, usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        "[a-c]{1,3}".prop_map(Op::Add),
        (0usize..3, 1usize..4).prop_map(|(c, n)| Op::Read(c, n)),
        (0usize..8).prop_map(Op::Ack),
        (0usize..8).prop_map(Op::Delete),
        (0usize..8).prop_map(Op::Trim),
        (0usize..3, 0usize..8).prop_map(|(c, i)| Op::Claim(c, i)),
    ]
}

const CONSUMERS: [&str; 3] = ["alice", "bob", "carol"];

fn int(reply: &Reply) -> Option<i64> {
    match reply {
        Reply::Integer(n) => Some(*n),
        _ => None,
    }
}

fn items(reply: &Reply) -> &[Reply] {
    match reply {
        Reply::Array(items) => items,
        _ => &[],
    }
}

fn text(reply: &Reply) -> String {
    match reply {
        Reply::Bulk(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => format!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// A stream with a consumer group, driven by random adds, group reads, acknowledgements,
    /// deletions, trims and claims, agrees with a plain model on its entries, its length, the
    /// group's last delivered ID and who holds which pending entry.
    #[test]
    fn a_stream_with_a_group_agrees_with_a_model(ops in proptest::collection::vec(op(), 1..60)) {
        let store = Store::new();
        let mut conn = store.connect();
        let mut model = Model { next: 1, ..Model::default() };
        conn.call(("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"));
        for op in ops {
            match op {
                Op::Add(value) => {
                    let id = format!("{}-1", model.next);
                    let reply = conn.call(("XADD", "s", id.as_str(), "f", value.as_str()));
                    prop_assert_eq!(text(&reply), id);
                    model.entries.push((model.next, value));
                    model.next += 1;
                }
                Op::Read(c, n) => {
                    let count = n.to_string();
                    conn.call(["XREADGROUP", "GROUP", "g", CONSUMERS[c], "COUNT", count.as_str(), "STREAMS", "s", ">"]);
                    let fresh: Vec<u64> = model.entries.iter().map(|e| e.0).filter(|id| *id > model.last_delivered).take(n).collect();
                    for id in fresh {
                        model.pending.insert(id, CONSUMERS[c].to_string());
                        model.last_delivered = id;
                    }
                }
                Op::Ack(i) => {
                    let id = format!("{}-1", i + 1);
                    let reply = conn.call(("XACK", "s", "g", id.as_str()));
                    let was = model.pending.remove(&(i as u64 + 1)).is_some();
                    prop_assert_eq!(int(&reply), Some(was as i64));
                }
                Op::Delete(i) => {
                    let id = format!("{}-1", i + 1);
                    let reply = conn.call(("XDEL", "s", id.as_str()));
                    let before = model.entries.len();
                    model.entries.retain(|e| e.0 != i as u64 + 1);
                    prop_assert_eq!(int(&reply), Some((before - model.entries.len()) as i64));
                }
                Op::Trim(n) => {
                    let max = n.to_string();
                    conn.call(("XTRIM", "s", "MAXLEN", max.as_str()));
                    let drop = model.entries.len().saturating_sub(n);
                    model.entries.drain(..drop);
                }
                Op::Claim(c, i) => {
                    let id = i as u64 + 1;
                    let id_text = format!("{id}-1");
                    conn.call(["XCLAIM", "s", "g", CONSUMERS[c], "0", id_text.as_str(), "JUSTID"]);
                    let exists = model.entries.iter().any(|e| e.0 == id);
                    if !exists {
                        model.pending.remove(&id);
                    } else if let Some(holder) = model.pending.get_mut(&id) {
                        *holder = CONSUMERS[c].to_string();
                    }
                }
            }
            let len = int(&conn.call(("XLEN", "s")));
            prop_assert_eq!(len, Some(model.entries.len() as i64));
            let range = conn.call(("XRANGE", "s", "-", "+"));
            let ids: Vec<String> = items(&range).iter().map(|e| text(&items(e)[0])).collect();
            let expected: Vec<String> = model.entries.iter().map(|e| format!("{}-1", e.0)).collect();
            prop_assert_eq!(ids, expected);
            let pending = conn.call(("XPENDING", "s", "g", "-", "+", "1000"));
            let holders: Vec<(String, String)> = items(&pending)
                .iter()
                .map(|p| (text(&items(p)[0]), text(&items(p)[1])))
                .collect();
            let expected: Vec<(String, String)> = model.pending.iter().map(|(id, c)| (format!("{id}-1"), c.clone())).collect();
            prop_assert_eq!(holders, expected);
            let groups = conn.call(("XINFO", "GROUPS", "s"));
            let last = format!("{}-{}", model.last_delivered, u64::from(model.last_delivered != 0));
            // name, consumers, pending, last-delivered-id: the eighth element.
            prop_assert_eq!(text(&items(&items(&groups)[0])[7]), last);
        }
    }
}
