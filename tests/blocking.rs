//! Blocking list commands on `Connection`s in separate threads: a push wakes the blocked client,
//! timeouts answer nil, waiters are served first come first served, and nothing blocks in MULTI.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use embedis::{Clock, Reply, Store};

fn bulk(s: &str) -> Reply {
    Reply::Bulk(s.as_bytes().to_vec())
}

fn call(store: &Store, line: &str) -> Reply {
    store.connect().call(common::words(line))
}

/// Starts `line` on its own connection in a thread, and waits until it has blocked.
fn blocked(store: &Store, line: &str) -> thread::JoinHandle<Reply> {
    let (store2, line) = (store.clone(), line.to_string());
    let handle = thread::spawn(move || store2.connect().call(common::words(&line)));
    thread::sleep(Duration::from_millis(50));
    handle
}

#[test]
fn a_push_wakes_a_blocked_pop() {
    let store = Store::new();
    let waiter = blocked(&store, "BLPOP queue 5");
    assert_eq!(call(&store, "RPUSH queue job"), Reply::Integer(1));
    assert_eq!(waiter.join().unwrap(), Reply::Array(vec![bulk("queue"), bulk("job")]));
    assert_eq!(
        call(&store, "EXISTS queue"),
        Reply::Integer(0),
        "the served element was taken"
    );
}

/// A key that expires while the command that filled it still runs (time stands still inside a
/// command, an `atomic` call or EXEC) is expired when waiters are served after it, as Redis
/// reads the clock afresh then: the waiter stays blocked and the key is gone.
#[test]
fn a_key_expired_by_the_time_waiters_are_served_serves_nobody() {
    use embedis::{CommandError, Commands};
    let store = Store::new();
    let waiter = blocked(&store, "BRPOP k 0.5");
    store
        .atomic(|db| {
            db.rpush("k", "hello")?;
            db.pexpire("k", 100)?;
            thread::sleep(Duration::from_millis(200));
            Ok::<_, CommandError>(())
        })
        .unwrap();
    thread::sleep(Duration::from_millis(50));
    assert!(!waiter.is_finished(), "the expired key served nobody");
    assert_eq!(call(&store, "EXISTS k"), Reply::Integer(0));
    assert_eq!(waiter.join().unwrap(), Reply::NilArray, "it timed out");
}

/// CLIENT LIST flags a client waiting in a blocking command with `b`, as Redis does.
#[test]
#[cfg(feature = "server")]
fn client_list_flags_a_blocked_client() {
    use std::io::Write;
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").unwrap();
    for port in [redis.port, server.addr().port()] {
        let mut waiter = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        waiter
            .write_all(b"CLIENT SETNAME waiter\r\nBLPOP nosuch 5\r\n")
            .unwrap();
        let mut other = common::RawClient::connect(port);
        let mut line = String::new();
        for _ in 0..100 {
            line = String::from_utf8_lossy(&other.call(&common::words("CLIENT LIST"))).into_owned();
            if line.contains("cmd=blpop") {
                break;
            }
            thread::sleep(Duration::from_millis(10));
        }
        let waiting = line
            .lines()
            .find(|l| l.contains("name=waiter"))
            .unwrap_or_default()
            .to_string();
        assert!(
            waiting.contains(" flags=b ") && waiting.contains("cmd=blpop"),
            "port {port}: {line}"
        );
        other.call(&common::words("RPUSH nosuch x"));
    }
}

#[test]
fn a_blocked_pop_times_out_with_a_nil_array() {
    let store = Store::new();
    let started = Instant::now();
    assert_eq!(call(&store, "BLPOP queue 0.05"), Reply::NilArray);
    assert!(started.elapsed() >= Duration::from_millis(50));
}

#[test]
fn a_blocking_timeout_follows_a_manual_clock() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    // An hour on the manual clock: only moving the clock can end the wait.
    let waiter = blocked(&store, "BRPOP queue 3600");
    thread::sleep(Duration::from_millis(50));
    assert!(!waiter.is_finished(), "wall time alone does not time it out");
    clock.advance(Duration::from_secs(3599));
    thread::sleep(Duration::from_millis(50));
    assert!(!waiter.is_finished(), "the deadline has not come on the store's clock");
    clock.advance(Duration::from_secs(2));
    assert_eq!(waiter.join().unwrap(), Reply::NilArray);
}

#[test]
fn wait_for_a_replica_blocks_until_its_timeout_and_answers_none_acknowledged() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    assert_eq!(
        call(&store, "WAIT 0 0"),
        Reply::Integer(0),
        "no replica wanted: at once"
    );
    let waiter = blocked(&store, "WAIT 1 1000");
    assert!(!waiter.is_finished(), "waits for a replica that never acknowledges");
    assert_eq!(call(&store, "SET k v"), Reply::ok(), "others run meanwhile");
    clock.advance(Duration::from_millis(1001));
    assert_eq!(waiter.join().unwrap(), Reply::Integer(0));
}

#[test]
#[cfg(feature = "server")]
fn client_unblock_ends_a_wait_with_its_count() {
    use std::io::{Read, Write};
    let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut waiter = std::net::TcpStream::connect(server.addr()).unwrap();
    waiter.write_all(b"CLIENT ID\r\nWAIT 3 0\r\n").unwrap();
    let mut id = [0u8; 32];
    let n = waiter.read(&mut id).unwrap();
    let id = String::from_utf8_lossy(&id[1..n - 2]).into_owned();
    thread::sleep(Duration::from_millis(50));
    let mut other = common::RawClient::connect(server.addr().port());
    let info = other.call(&common::words("INFO clients"));
    assert!(
        String::from_utf8_lossy(&info).contains("blocked_clients:1"),
        "a waiting WAIT is a blocked client"
    );
    assert_eq!(other.call(&common::words(&format!("CLIENT UNBLOCK {id}"))), b":1\r\n");
    let mut reply = [0u8; 4];
    waiter.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b":0\r\n", "unblocked as timed out: no replica acknowledged");
}

#[test]
#[cfg(feature = "server")]
fn a_blocking_timeout_over_the_wire_follows_a_manual_clock() {
    use std::io::{Read, Write};
    let clock = Clock::manual();
    let server = embedis::server::Server::start(Store::with_clock(clock.clone()), "127.0.0.1:0").unwrap();
    let mut client = std::net::TcpStream::connect(server.addr()).unwrap();
    client.write_all(b"BZPOPMIN board 60\r\n").unwrap();
    client.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut reply = [0u8; 5];
    assert!(client.read(&mut reply).is_err(), "no reply before the clock moves");
    clock.advance(Duration::from_secs(61));
    client.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    client.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"*-1\r\n");
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let store = Store::new();
    let first = blocked(&store, "BRPOP q 5");
    let second = blocked(&store, "BRPOP q 5");
    let third = blocked(&store, "BRPOP q 5");
    call(&store, "LPUSH q a b c");
    // RPOP order is a, b, c: the first waiter gets the first element popped.
    assert_eq!(first.join().unwrap(), Reply::Array(vec![bulk("q"), bulk("a")]));
    assert_eq!(second.join().unwrap(), Reply::Array(vec![bulk("q"), bulk("b")]));
    assert_eq!(third.join().unwrap(), Reply::Array(vec![bulk("q"), bulk("c")]));
}

#[test]
fn a_client_blocked_on_several_keys_is_served_by_whichever_is_pushed() {
    let store = Store::new();
    let waiter = blocked(&store, "BLPOP a b c 5");
    call(&store, "RPUSH c x");
    assert_eq!(waiter.join().unwrap(), Reply::Array(vec![bulk("c"), bulk("x")]));
}

#[test]
fn served_elements_cannot_be_stolen_by_another_client() {
    let store = Store::new();
    let waiter = blocked(&store, "BLPOP q 5");
    // The pusher serves the waiter under its own lock: a pop right after finds nothing.
    let mut pusher = store.connect();
    pusher.call(["RPUSH", "q", "only"]);
    assert_eq!(pusher.call(["LPOP", "q"]), Reply::Nil);
    assert_eq!(waiter.join().unwrap(), Reply::Array(vec![bulk("q"), bulk("only")]));
}

#[test]
fn blmove_moves_when_its_source_is_pushed() {
    let store = Store::new();
    let waiter = blocked(&store, "BLMOVE src dst RIGHT LEFT 5");
    call(&store, "RPUSH src a b");
    assert_eq!(waiter.join().unwrap(), bulk("b"));
    assert_eq!(call(&store, "LRANGE dst 0 -1"), Reply::Array(vec![bulk("b")]));
    assert_eq!(call(&store, "LRANGE src 0 -1"), Reply::Array(vec![bulk("a")]));
}

#[test]
fn a_served_blmove_can_serve_the_next_waiter_in_a_chain() {
    let store = Store::new();
    let mover = blocked(&store, "BRPOPLPUSH first second 5");
    let popper = blocked(&store, "BLPOP second 5");
    call(&store, "RPUSH first item");
    assert_eq!(mover.join().unwrap(), bulk("item"));
    assert_eq!(popper.join().unwrap(), Reply::Array(vec![bulk("second"), bulk("item")]));
}

#[test]
fn blmpop_takes_up_to_count_elements() {
    let store = Store::new();
    let waiter = blocked(&store, "BLMPOP 5 2 a b LEFT COUNT 2");
    call(&store, "RPUSH b 1 2 3");
    assert_eq!(
        waiter.join().unwrap(),
        Reply::Array(vec![bulk("b"), Reply::Array(vec![bulk("1"), bulk("2")])])
    );
}

#[test]
fn a_push_inside_exec_serves_waiters_after_the_transaction() {
    let store = Store::new();
    let waiter = blocked(&store, "BLPOP q 5");
    let mut c = store.connect();
    c.call(["MULTI"]);
    c.call(["RPUSH", "q", "a"]);
    c.call(["LPOP", "q"]);
    c.call(["RPUSH", "q", "b"]);
    c.call(["EXEC"]);
    assert_eq!(waiter.join().unwrap(), Reply::Array(vec![bulk("q"), bulk("b")]));
}

#[test]
fn blocking_commands_inside_multi_answer_at_once() {
    let store = Store::new();
    let mut c = store.connect();
    c.call(["MULTI"]);
    for line in [
        "BLPOP a 0",
        "BRPOP a 0",
        "BLMOVE a b LEFT LEFT 0",
        "BRPOPLPUSH a b 0",
        "BLMPOP 0 1 a LEFT",
    ] {
        c.call(common::words(line));
    }
    assert_eq!(
        c.call(["EXEC"]),
        Reply::Array(vec![
            Reply::NilArray,
            Reply::NilArray,
            Reply::Nil,
            Reply::Nil,
            Reply::NilArray
        ])
    );
}

#[test]
fn blocking_commands_inside_atomic_answer_at_once() {
    let store = Store::new();
    let reply: Reply = store
        .atomic(|db| embedis::Commands::cmd(db, ["BLPOP", "q", "0"]))
        .unwrap();
    assert_eq!(reply, Reply::NilArray);
}

#[test]
fn bzpopmin_is_woken_by_zadd() {
    let store = Store::new();
    let waiter = blocked(&store, "BZPOPMIN board 5");
    call(&store, "ZADD board 7 seven 3 three");
    assert_eq!(
        waiter.join().unwrap(),
        Reply::Array(vec![bulk("board"), bulk("three"), bulk("3")])
    );
}

#[test]
fn bzmpop_takes_the_highest_scores() {
    let store = Store::new();
    let waiter = blocked(&store, "BZMPOP 5 1 board MAX COUNT 2");
    call(&store, "ZADD board 1 a 2 b 3 c");
    assert_eq!(
        waiter.join().unwrap(),
        Reply::Array(vec![
            bulk("board"),
            Reply::Array(vec![
                Reply::Array(vec![bulk("c"), bulk("3")]),
                Reply::Array(vec![bulk("b"), bulk("2")])
            ])
        ])
    );
}

#[test]
fn list_and_sorted_set_waiters_are_served_by_their_own_type() {
    let store = Store::new();
    let list_waiter = blocked(&store, "BLPOP k 5");
    call(&store, "RPUSH k x");
    assert_eq!(list_waiter.join().unwrap(), Reply::Array(vec![bulk("k"), bulk("x")]));
    let zset_waiter = blocked(&store, "BZPOPMAX k 5");
    call(&store, "ZADD k 1 m");
    assert_eq!(
        zset_waiter.join().unwrap(),
        Reply::Array(vec![bulk("k"), bulk("m"), bulk("1")])
    );
}

/// Keys are served in the order they became ready, each to its waiters first come first served
/// while it has elements (what redis-server answers to this very sequence).
#[test]
fn ready_keys_are_served_in_the_order_they_became_ready() {
    let store = Store::new();
    let waiters: Vec<_> = [
        "BLMPOP 0 2 blist blist2 LEFT COUNT 1",
        "BLMPOP 0 2 blist blist2 RIGHT COUNT 10",
        "BLMPOP 0 2 blist blist2 LEFT COUNT 10",
        "BLMPOP 0 2 blist blist2 RIGHT COUNT 1",
    ]
    .iter()
    .map(|line| blocked(&store, line))
    .collect();
    let mut conn = store.connect();
    conn.call(["MULTI"]);
    conn.call(common::words("LPUSH blist a b c d e"));
    conn.call(common::words("LPUSH blist2 1 2 3 4 5"));
    conn.call(["EXEC"]);
    let popped = |key: &str, items: &[&str]| {
        Reply::Array(vec![bulk(key), Reply::Array(items.iter().map(|i| bulk(i)).collect())])
    };
    let mut waiters = waiters.into_iter();
    let mut next = || waiters.next().unwrap().join().unwrap();
    assert_eq!(next(), popped("blist", &["e"]));
    assert_eq!(next(), popped("blist", &["a", "b", "c", "d"]));
    assert_eq!(next(), popped("blist2", &["5", "4", "3", "2", "1"]));
    call(&store, "LPUSH blist2 1 2 3");
    assert_eq!(next(), popped("blist2", &["1"]));
}

/// SWAPDB brings a key into a database where a client waits on it: the client is served.
#[test]
fn swapdb_wakes_a_client_waiting_on_a_key_it_brings() {
    let store = Store::new();
    let mut conn = store.connect();
    conn.call(["SELECT", "1"]);
    conn.call(["RPUSH", "k", "hello"]);
    let mut waiter = store.connect();
    let handle = thread::spawn(move || {
        waiter.call(["SELECT", "9"]);
        waiter.call(["BRPOP", "k", "5"])
    });
    thread::sleep(Duration::from_millis(50));
    assert_eq!(conn.call(["SWAPDB", "1", "9"]), Reply::ok());
    assert_eq!(handle.join().unwrap(), Reply::Array(vec![bulk("k"), bulk("hello")]));
}
