//! Pub/Sub over the wire against redis-server: the same steps, from several clients, give the same
//! bytes — confirmations, messages and pattern messages in order, RESP2's subscribed mode, RESP3
//! pushes between replies, shard channels, PUBSUB's introspection, PUBLISH inside MULTI and
//! scripts.
#![cfg(all(feature = "server", feature = "lua"))]

mod common;
mod wire;

use common::{RawClient, RedisServer, words};
use embedis::Store;
use embedis::server::Server;
use wire::check_servers as check;

#[test]
fn channels_deliver_in_order_and_resp2_subscribed_mode_limits_commands() {
    check(
        2,
        &[
            (0, "SUBSCRIBE a b", 2),
            (1, "PUBLISH a hello", 1),
            (0, "", 1),
            (1, "PUBLISH b world", 1),
            (1, "PUBLISH a again", 1),
            (0, "", 2),
            (1, "PUBLISH nobody x", 1),
            (1, "PUBSUB NUMSUB a b zz", 1),
            (1, "PUBSUB CHANNELS a", 1),
            (1, "PUBSUB CHANNELS z*", 1),
            (0, "PING", 1),
            (0, "PING hi", 1),
            (0, "PING a b", 1),
            (0, "GET a", 1),
            (0, "CLIENT LIST", 1),
            (0, "MULTI", 1),
            (0, "SUBSCRIBE a", 1),
            (0, "UNSUBSCRIBE a zz", 2),
            (0, "UNSUBSCRIBE", 1),
            (0, "UNSUBSCRIBE", 1),
            (0, "PUNSUBSCRIBE", 1),
            (0, "SUNSUBSCRIBE", 1),
            (0, "GET a", 1),
            (0, "PING", 1),
            (1, "PUBLISH a gone", 1),
            (1, "PUBSUB NUMSUB a", 1),
        ],
    );
}

#[test]
fn patterns_match_as_redis_globs_and_a_client_gets_each_match() {
    check(
        2,
        &[
            (0, "PSUBSCRIBE news.* h?llo [xy]z", 3),
            (1, "PUBLISH news.tech rust", 1),
            (0, "", 1),
            (1, "PUBLISH hallo x", 1),
            (1, "PUBLISH yz y", 1),
            (0, "", 2),
            (1, "PUBLISH news nothing", 1),
            (1, "PUBSUB NUMPAT", 1),
            (0, "SUBSCRIBE news.tech", 1),
            (1, "PUBLISH news.tech both", 1),
            (0, "", 2),
            (0, "PSUBSCRIBE news.*", 1),
            (0, "PUNSUBSCRIBE news.* nomatch", 2),
            (1, "PUBSUB NUMPAT", 1),
            (0, "PUNSUBSCRIBE h?llo", 1),
            (0, "PUNSUBSCRIBE", 1),
            (0, "UNSUBSCRIBE", 1),
            (1, "PUBSUB NUMPAT", 1),
        ],
    );
}

#[test]
fn resp3_pushes_come_between_replies() {
    check(
        2,
        &[
            (0, "HELLO 3", 1),
            (0, "SUBSCRIBE a", 1),
            (0, "SET k v", 1),
            (0, "GET k", 1),
            (1, "PUBLISH a one", 1),
            (0, "", 1),
            (0, "PING", 1),
            (0, "PUBLISH a self", 2),
            (0, "PSUBSCRIBE *", 1),
            (0, "PUBLISH a both", 3),
            (0, "MULTI", 1),
            (0, "PUBLISH a queued", 1),
            (0, "GET k", 1),
            (0, "EXEC", 3),
            (0, "UNSUBSCRIBE", 1),
            (0, "PUNSUBSCRIBE", 1),
            (0, "UNSUBSCRIBE", 1),
        ],
    );
}

#[test]
fn shard_channels_are_apart_from_channels_and_patterns() {
    check(
        2,
        &[
            (0, "SSUBSCRIBE s1 s2", 2),
            (0, "PSUBSCRIBE *", 1),
            (1, "SPUBLISH s1 m", 1),
            (0, "", 1),
            (1, "PUBLISH s1 plain", 1),
            (0, "", 1),
            (1, "PUBSUB SHARDCHANNELS s1", 1),
            (1, "PUBSUB SHARDNUMSUB s1 s2 s3", 1),
            (1, "PUBSUB CHANNELS", 1),
            (0, "SUNSUBSCRIBE s1", 1),
            (0, "SUNSUBSCRIBE", 1),
            (0, "SUNSUBSCRIBE", 1),
            (0, "PUNSUBSCRIBE", 1),
            (1, "COMMAND GETKEYS spublish s1 m", 1),
            (1, "COMMAND GETKEYS ssubscribe s1", 1),
        ],
    );
}

#[test]
fn publish_in_transactions_and_scripts_and_the_errors() {
    check(
        3,
        &[
            (0, "SUBSCRIBE a", 1),
            (1, "MULTI", 1),
            (1, "PUBLISH a first", 1),
            (1, "PUBLISH a second", 1),
            (1, "EXEC", 1),
            (0, "", 2),
            (1, "EVAL \"return redis.call('publish', 'a', 'from lua')\" 0", 1),
            (0, "", 1),
            (1, "EVAL \"return redis.call('subscribe', 'a')\" 0", 1),
            (1, "MULTI", 1),
            (1, "SUBSCRIBE q r", 1),
            (1, "EXEC", 2),
            (1, "PUBLISH q x", 1),
            (1, "PING", 1),
            (1, "RESET", 1),
            (2, "MULTI", 1),
            (2, "SSUBSCRIBE s", 1),
            (2, "EXEC", 1),
            (2, "PUBLISH a", 1),
            (2, "SUBSCRIBE", 1),
            (2, "PUBSUB", 1),
            (2, "PUBSUB FOO", 1),
            (2, "PUBSUB CHANNELS a b", 1),
            (2, "PUBSUB NUMPAT x", 1),
            (2, "PUBSUB HELP", 1),
            (2, "PUBSUB NUMSUB", 1),
            (2, "PUBLISH q after-reset", 1),
        ],
    );
}

/// A subscriber that never reads is cut off once its unread messages pass the `pubsub` class of
/// `client-output-buffer-limit`, as Redis cuts it off; the publisher and the other subscribers
/// go on.
#[test]
fn a_subscriber_that_stops_reading_is_disconnected_by_the_output_limit() {
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    let port = server.addr().port();
    let mut admin = RawClient::connect(port);
    assert_eq!(
        admin.call(&words("CONFIG SET client-output-buffer-limit \"pubsub 1mb 0 0\"")),
        b"+OK\r\n"
    );
    let mut stalled = RawClient::connect(port);
    stalled.call(&words("SUBSCRIBE feed"));
    let mut reader = RawClient::connect(port);
    reader.call(&words("SUBSCRIBE feed"));
    let payload = "x".repeat(64 * 1024);
    let mut publisher = RawClient::connect(port);
    let mut received = 0;
    for _ in 0..100 {
        publisher.call(&[b"PUBLISH".to_vec(), b"feed".to_vec(), payload.clone().into_bytes()]);
        reader.read();
        received += 1;
    }
    assert_eq!(received, 100, "the reading subscriber got every message");
    // 6.4 MB went to the stalled subscriber, which read none of it: the socket's buffers hold
    // some, and past 1 MB more it is disconnected.
    let numsub = admin.call(&words("PUBSUB NUMSUB feed"));
    assert_eq!(numsub, b"*2\r\n$4\r\nfeed\r\n:1\r\n", "only the reader is left");
    let clients = admin.call(&words("CLIENT LIST TYPE pubsub"));
    let listed = String::from_utf8_lossy(&clients).matches("id=").count();
    assert_eq!(
        listed,
        1,
        "one pubsub client is left: {}",
        String::from_utf8_lossy(&clients)
    );
}

/// The same steps on an in-process store through `Connection`: confirmations after the first
/// and messages wait for `try_recv_push`, in order; RESP2's subscribed mode holds there too.
#[test]
fn in_process_connections_subscribe_and_receive() {
    use embedis::Reply;
    let store = Store::new();
    let mut subscriber = store.connect();
    let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
    assert_eq!(
        subscriber.call(["SUBSCRIBE", "a", "b"]),
        Reply::Array(vec![bulk("subscribe"), bulk("a"), Reply::Integer(1)])
    );
    assert!(subscriber.call(["GET", "k"]).is_error(), "RESP2 subscribed mode");
    let mut publisher = store.connect();
    assert_eq!(publisher.call(["PUBLISH", "b", "x"]), Reply::Integer(1));
    assert_eq!(
        subscriber.try_recv_push(),
        Some(Reply::Array(vec![bulk("subscribe"), bulk("b"), Reply::Integer(2)]))
    );
    assert_eq!(
        subscriber.try_recv_push(),
        Some(Reply::Array(vec![bulk("message"), bulk("b"), bulk("x")]))
    );
    assert_eq!(subscriber.try_recv_push(), None);
    drop(subscriber);
    assert_eq!(
        publisher.call(["PUBLISH", "b", "y"]),
        Reply::Integer(0),
        "a dropped connection unsubscribes"
    );
}

/// MONITOR against redis-server: the same lines for the same commands — after each command,
/// EVAL before the script's own commands (shown as `lua`), MULTI/EXEC around their commands,
/// EXEC after a refused transaction, the secrets of AUTH, HELLO and MIGRATE redacted where Redis
/// redacts them (and failed commands shown too), administrative commands not shown, the
/// database after SELECT — times and client ports masked.
#[test]
fn monitor_shows_what_redis_shows() {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    let commands = [
        "SET foo \"bar baz\"",
        "GET foo",
        "EVAL \"redis.call('set', KEYS[1], ARGV[1])\" 1 k \"q\\\"uote\"",
        "MULTI",
        "SET a 1",
        "INCR a",
        "EXEC",
        "MULTI",
        "NOSUCH",
        "EXEC",
        "AUTH secret",
        "CONFIG GET port",
        "DEBUG SLEEP 0",
        "SET bin \"\\x00\\x01\\n\"",
        "SELECT 3",
        "SET in3 x",
        "BLPOP empty 0.01",
        "MIGRATE 127.0.0.1 1 key 9 50",
        "MIGRATE 127.0.0.1 1 key 9 50 AUTH user",
        "MIGRATE 127.0.0.1 1 key 9 50 COPY AUTH2 user password",
        "MIGRATE 127.0.0.1 1 key 9 50 REPLACE AUTH",
        "MIGRATE 127.0.0.1 1 key 9 50 AUTH pw NOSUCH AUTH pw2",
        "AUTH a b",
        "AUTH a b c",
        "HELLO 2 AUTH default x",
        "HELLO 2 AUTH not-real not-a-password",
        "HELLO 2 AUTH default",
        "HELLO 4 AUTH a b",
        "HELLO 3 SETNAME n AUTH u p AUTH",
        "PING",
    ];
    let lines = |port: u16| {
        let mut monitor = RawClient::connect(port);
        assert_eq!(monitor.call(&words("MONITOR")), b"+OK\r\n");
        let mut client = RawClient::connect(port);
        for line in commands {
            client.call(&words(line));
        }
        // The monitor's own commands are not shown; PING ends the transcript.
        let mut seen = Vec::new();
        loop {
            let raw = String::from_utf8(monitor.read()).unwrap();
            let (_, rest) = raw.split_once(' ').unwrap();
            let (client, args) = rest.split_once("] ").unwrap();
            let db = client.trim_start_matches('[').split(' ').next().unwrap().to_string();
            let who = if client.ends_with("lua") { "lua" } else { "client" };
            let done = args.starts_with("\"PING\"");
            seen.push(format!("{db} {who} {args}"));
            if done {
                return seen;
            }
        }
    };
    assert_eq!(lines(server.addr().port()), lines(redis.port));
}
