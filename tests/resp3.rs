//! RESP3 in process: typed conversions on a RESP3 connection, and replies shaped for each
//! client's own protocol.

use std::collections::HashMap;

use embedis::{Reply, Store};

#[test]
fn typed_conversions_read_resp3_replies() {
    let store = Store::new();
    let mut conn = store.connect();
    conn.call(["HELLO", "3"]);
    conn.call(["HSET", "h", "a", "1", "b", "2"]);
    conn.call(["ZADD", "z", "1.5", "m"]);
    let map: HashMap<String, i64> = embedis::FromReply::from_reply(conn.call(["HGETALL", "h"])).unwrap();
    assert_eq!(map, HashMap::from([("a".to_string(), 1), ("b".to_string(), 2)]));
    let score: f64 = embedis::FromReply::from_reply(conn.call(["ZSCORE", "z", "m"])).unwrap();
    assert_eq!(score, 1.5);
    assert_eq!(conn.call(["ZSCORE", "z", "m"]), Reply::Double(1.5));
    assert_eq!(conn.call(["GET", "nosuch"]).to_resp3(), b"_\r\n");
}

#[test]
fn a_blocked_resp2_client_served_by_a_resp3_client_gets_resp2() {
    let store = Store::new();
    let waiter = {
        let store = store.clone();
        std::thread::spawn(move || store.connect().call(["BZPOPMIN", "z", "5"]))
    };
    let mut pusher = store.connect();
    pusher.call(["HELLO", "3"]);
    // Give the waiter time to block (as tests/blocking.rs does), then feed it.
    std::thread::sleep(std::time::Duration::from_millis(50));
    pusher.call(["ZADD", "z", "2.5", "m"]);
    let reply = waiter.join().unwrap();
    assert_eq!(
        reply,
        Reply::Array(vec![
            Reply::Bulk(b"z".to_vec()),
            Reply::Bulk(b"m".to_vec()),
            Reply::Bulk(b"2.5".to_vec())
        ])
    );
}

#[test]
fn exec_replies_follow_the_protocol_of_the_connection() {
    let store = Store::new();
    let mut conn = store.connect();
    conn.call(["HELLO", "3"]);
    conn.call(["MULTI"]);
    conn.call(["HSET", "h", "f", "v"]);
    conn.call(["HGETALL", "h"]);
    conn.call(["HELLO", "2"]);
    conn.call(["HGETALL", "h"]);
    let reply = conn.call(["EXEC"]);
    let Reply::Array(slots) = reply else {
        panic!("{reply:?}")
    };
    assert!(matches!(slots[1], Reply::Map(_)));
    assert!(matches!(slots[3], Reply::Array(_)));
    assert_eq!(conn.protocol(), 2);
}
