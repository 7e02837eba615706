//! Client-side caching (CLIENT TRACKING) over the wire against redis-server: the same steps,
//! from several clients, give the same bytes — invalidations to the client itself in RESP3 and
//! redirected ones (RESP3 pushes, RESP2 Pub/Sub messages), BCAST prefixes, NOLOOP, OPTIN and
//! OPTOUT with CLIENT CACHING, scripts, FLUSHALL and FLUSHDB, a broken redirection, and the introspection
//! commands and their errors. (The table's bound evicts random keys: `src/tracking.rs` and
//! Redis's own suite test it.)
#![cfg(all(feature = "server", feature = "lua"))]

mod common;
mod wire;

use common::{RawClient, RedisServer, words};
use embedis::Store;
use embedis::server::Server;
use wire::{Step, check_in_process, check_servers as check};

const REDIRECTED_TO_A_RESP2_SUBSCRIBER: &[Step<'_>] = &[
    (1, "SUBSCRIBE __redis__:invalidate", 1),
    (0, "CLIENT TRACKING on REDIRECT {1}", 1),
    (2, "MSET a 1 b 1", 1),
    (0, "GET a", 1),
    (0, "MGET c d", 1),
    // b was not read: no message for it.
    (2, "INCR b", 1),
    (2, "INCR a", 1),
    (1, "", 1),
    // Told once: a is forgotten until read again.
    (2, "INCR a", 1),
    (2, "MSET c 1 d 1", 1),
    (1, "", 2),
    (0, "EXISTS a", 1),
    (0, "TYPE b", 1),
    (2, "DEL a b", 1),
    (1, "", 2),
    // The client's own change is reported too, unless NOLOOP.
    (0, "GET a", 1),
    (0, "SET a 2", 1),
    (1, "", 1),
    (0, "CLIENT TRACKING on REDIRECT {1} NOLOOP", 1),
    (0, "GET a", 1),
    (0, "SET a 3", 1),
    (1, "PING", 1),
    (0, "CLIENT GETREDIR", 1),
    (0, "CLIENT TRACKINGINFO", 1),
    (0, "CLIENT TRACKING off", 1),
    (0, "CLIENT GETREDIR", 1),
    (0, "CLIENT TRACKINGINFO", 1),
];

#[test]
fn default_mode_redirected_to_a_resp2_subscriber() {
    check(3, REDIRECTED_TO_A_RESP2_SUBSCRIBER);
}

const RESP3_INVALIDATIONS: &[Step<'_>] = &[
    (0, "HELLO 3", 1),
    (0, "CLIENT TRACKING on", 1),
    (0, "HSET h f 1", 1),
    (0, "HGET h f", 1),
    // Its own change: the reply first, then the push.
    (0, "HDEL h f", 2),
    (0, "MSET x 1 y 2", 1),
    (0, "GET x", 1),
    (0, "MULTI", 1),
    (0, "INCR x", 1),
    (0, "GET y", 1),
    (0, "EXEC", 2),
    (1, "SET y 3", 1),
    (0, "", 1),
    (0, "GET x", 1),
    (1, "FLUSHALL", 1),
    (0, "", 1),
    (0, "MULTI", 1),
    (0, "FLUSHDB", 1),
    (0, "EXEC", 2),
    (0, "CLIENT TRACKINGINFO", 1),
];

#[test]
fn resp3_invalidations_follow_the_reply_and_flushes_invalidate_everything() {
    check(2, RESP3_INVALIDATIONS);
}

/// A lowered `tracking-table-max-keys` takes effect before the next command, even one queued
/// in MULTI: its client reads the invalidation of the key evicted from the table ahead of
/// QUEUED (Redis's regression test for #11715), and ahead of the reply of a command that runs at
/// once. Which of the two keys goes is random on both
/// sides, so the key's name is masked.
#[test]
fn a_lowered_table_bound_invalidates_before_the_next_command() {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    let steps = [
        (1, "CONFIG SET tracking-table-max-keys 2", 1),
        (1, "DEBUG PAUSE-CRON 1", 1),
        (0, "HELLO 3", 1),
        (0, "CLIENT TRACKING on", 1),
        (0, "MGET 1{tag} 2{tag}", 1),
        (0, "MULTI", 1),
        (1, "CONFIG SET tracking-table-max-keys 1", 1),
        (0, "PING", 2),
        (0, "EXEC", 1),
        // And before a command that runs at once.
        (1, "CONFIG SET tracking-table-max-keys 2", 1),
        (0, "MGET 1{tag} 2{tag}", 1),
        (1, "CONFIG SET tracking-table-max-keys 1", 1),
        (0, "PING", 2),
        (1, "DEBUG PAUSE-CRON 0", 1),
    ];
    let masked = |port: u16| -> Vec<(String, String)> {
        wire::transcript(port, 2, &steps)
            .into_iter()
            .filter(|(step, _)| !step.contains("HELLO"))
            .map(|(step, bytes)| {
                (
                    step,
                    String::from_utf8_lossy(&bytes)
                        .replace("1{tag}", "K")
                        .replace("2{tag}", "K"),
                )
            })
            .collect()
    };
    let theirs = masked(redis.port);
    assert!(
        theirs
            .iter()
            .any(|(_, text)| text.starts_with(">2\r\n$10\r\ninvalidate\r\n*1\r\n$6\r\nK\r\n+QUEUED")),
        "{theirs:?}"
    );
    assert_eq!(masked(server.addr().port()), theirs);
}

const BCAST_PREFIXES_AND_NOLOOP: &[Step<'_>] = &[
    (1, "SUBSCRIBE __redis__:invalidate", 1),
    (0, "CLIENT TRACKING on BCAST REDIRECT {1} PREFIX a: PREFIX b:", 1),
    (2, "SET a:1 1", 1),
    (1, "", 1),
    (2, "MSET b:2 2 c:3 3 a:4 4 a:1 5", 1),
    (1, "", 2),
    (0, "CLIENT TRACKING on BCAST REDIRECT {1} PREFIX c:", 1),
    (2, "SET c:9 1", 1),
    (1, "", 1),
    (0, "CLIENT TRACKINGINFO", 1),
    (0, "CLIENT TRACKING on BCAST PREFIX a:x", 1),
    (0, "CLIENT TRACKING on BCAST PREFIX d PREFIX dd", 1),
    (0, "CLIENT TRACKING on", 1),
    (0, "CLIENT TRACKING off", 1),
    (0, "CLIENT TRACKING on BCAST REDIRECT {1} NOLOOP", 1),
    (2, "SET other 1", 1),
    (0, "SET mine 1", 1),
    (0, "MSET mine 2 other 2", 1),
    (1, "", 1),
    (2, "SET other 3", 1),
    (1, "", 1),
];

#[test]
fn bcast_prefixes_and_noloop() {
    check(3, BCAST_PREFIXES_AND_NOLOOP);
}

const OPTIN_OPTOUT_AND_CACHING: &[Step<'_>] = &[
    (1, "SUBSCRIBE __redis__:invalidate", 1),
    (0, "CLIENT CACHING yes", 1),
    (0, "CLIENT TRACKING on REDIRECT {1} OPTIN", 1),
    (0, "CLIENT CACHING no", 1),
    (0, "CLIENT CACHING maybe", 1),
    (0, "GET a", 1),
    (2, "SET a 1", 1),
    (0, "CLIENT CACHING yes", 1),
    (0, "CLIENT TRACKINGINFO", 1),
    (0, "GET b", 1),
    (0, "CLIENT TRACKINGINFO", 1),
    (2, "SET b 1", 1),
    (1, "", 1),
    (0, "CLIENT CACHING yes", 1),
    (0, "MULTI", 1),
    (0, "GET c", 1),
    (0, "EXEC", 1),
    (2, "SET c 1", 1),
    (1, "", 1),
    (0, "CLIENT TRACKING on OPTOUT", 1),
    (0, "CLIENT TRACKING off", 1),
    (0, "CLIENT TRACKING on REDIRECT {1} OPTOUT", 1),
    (0, "CLIENT CACHING no", 1),
    (0, "GET d", 1),
    (0, "GET e", 1),
    (2, "MSET d 1 e 1", 1),
    (1, "", 1),
    (0, "CLIENT TRACKING on OPTIN OPTOUT", 1),
    (0, "CLIENT TRACKING on BCAST OPTIN", 1),
];

#[test]
fn optin_optout_and_client_caching() {
    check(3, OPTIN_OPTOUT_AND_CACHING);
}

const SCRIPTS_TRACK_DECLARED_KEYS: &[Step<'_>] = &[
    (1, "SUBSCRIBE __redis__:invalidate", 1),
    (0, "CLIENT TRACKING on REDIRECT {1}", 1),
    (0, "EVAL \"redis.call('set', 'k3', 'bar')\" 2 k1 k2", 1),
    (2, "MSET k1 1 k2 1 k3 1", 1),
    (0, "EVAL \"redis.call('get', 'k3')\" 2 k1 k2", 1),
    (2, "MSET k2 2 k1 2 k3 2", 1),
    (1, "", 2),
    (0, "EVAL_RO \"redis.call('ping')\" 2 k1 k2", 1),
    (2, "MSET k2 3 k1 3", 1),
    (0, "EVAL_RO \"return redis.call('get', 'k3')\" 2 k1 k2", 1),
    (2, "MSET k2 4 k1 4", 1),
    (1, "", 2),
    (1, "PING", 1),
];

#[test]
fn scripts_track_their_declared_keys_once_they_read() {
    check(3, SCRIPTS_TRACK_DECLARED_KEYS);
}

#[test]
fn option_errors_and_help() {
    check(
        2,
        &[
            (0, "CLIENT TRACKING maybe", 1),
            (0, "CLIENT TRACKING on REDIRECT", 1),
            (0, "CLIENT TRACKING on REDIRECT x", 1),
            (0, "CLIENT TRACKING on REDIRECT 999999", 1),
            (0, "CLIENT TRACKING on REDIRECT {1} REDIRECT {1}", 1),
            (0, "CLIENT TRACKING on PREFIX a", 1),
            (0, "CLIENT TRACKING on NOSUCH", 1),
            (0, "CLIENT TRACKING", 1),
            (0, "CLIENT CACHING", 1),
            (0, "CLIENT GETREDIR x", 1),
            (0, "CLIENT TRACKINGINFO x", 1),
            (0, "CLIENT HELP", 1),
            (0, "CLIENT TRACKING off", 1),
        ],
    );
}

#[test]
fn a_resp3_client_learns_its_redirection_broke() {
    check(
        3,
        &[
            (1, "SUBSCRIBE __redis__:invalidate", 1),
            (0, "HELLO 3", 1),
            (0, "CLIENT TRACKING on REDIRECT {1}", 1),
            (0, "GET k", 1),
            (1, "QUIT", 1),
            (2, "SET k 1", 1),
            (0, "", 1),
            (0, "CLIENT TRACKINGINFO", 1),
        ],
    );
}

#[test]
fn info_counts_tracking_clients_keys_items_and_prefixes() {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    let counts = |port: u16| {
        let mut a = RawClient::connect(port);
        let mut b = RawClient::connect(port);
        a.call(&words("CLIENT TRACKING on"));
        a.call(&words("MGET k1 k2 k3"));
        b.call(&words("CLIENT TRACKING on"));
        b.call(&words("GET k1"));
        b.call(&words("CLIENT TRACKING off"));
        b.call(&words("CLIENT TRACKING on BCAST PREFIX p: PREFIX q:"));
        let info = String::from_utf8_lossy(&a.call(&words("INFO"))).into_owned();
        info.lines()
            .filter(|line| line.starts_with("tracking_"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let (theirs, ours) = (counts(redis.port), counts(server.addr().port()));
    assert_eq!(theirs.len(), 4, "{theirs:?}");
    assert_eq!(ours, theirs);
}

/// Keys evicted while a command runs (CONFIG SET maxmemory evicts at once) are invalidated after
/// its reply; keys evicted before a command (Redis's suite checks it with SETBIT filling
/// memory) before its reply.
#[test]
fn evicted_keys_are_invalidated_where_redis_sends_it() {
    check(
        1,
        &[
            (0, "HELLO 3", 1),
            (0, "CLIENT TRACKING on", 1),
            (0, "SETEX volatile 10000 x", 1),
            (0, "GET volatile", 1),
            (0, "CONFIG SET maxmemory-policy volatile-random", 1),
            (0, "CONFIG SET maxmemory 1", 2),
            (0, "PING", 1),
            (0, "INFO keyspace", 1),
            (0, "CONFIG SET maxmemory 0", 1),
            (0, "CONFIG SET maxmemory-policy noeviction", 1),
        ],
    );
}

/// In process (no server): connections of a store turn tracking on with CLIENT TRACKING and
/// read their invalidations as pushes — RESP3's `invalidate`, or a RESP2 subscriber's message
/// when redirected — exactly as redis-server sends them over the wire.
#[test]
fn in_process_connections_track_as_redis_clients_do() {
    check_in_process(3, REDIRECTED_TO_A_RESP2_SUBSCRIBER);
    check_in_process(2, RESP3_INVALIDATIONS);
    check_in_process(3, BCAST_PREFIXES_AND_NOLOOP);
    check_in_process(3, OPTIN_OPTOUT_AND_CACHING);
    check_in_process(3, SCRIPTS_TRACK_DECLARED_KEYS);
    check_in_process(
        2,
        &[
            (0, "CLIENT TRACKING maybe", 1),
            (0, "CLIENT TRACKING on REDIRECT x", 1),
            (0, "CLIENT TRACKING on REDIRECT 999999", 1),
            (0, "CLIENT TRACKING on PREFIX a", 1),
            (0, "CLIENT CACHING", 1),
            (0, "CLIENT GETREDIR", 1),
            (0, "CLIENT SETNAME worker", 1),
            (0, "CLIENT GETNAME", 1),
            (0, "CLIENT SETNAME", 1),
            (0, "CLIENT SETNAME \"a b\"", 1),
        ],
    );
}

/// What an in-process connection cannot run of CLIENT says so (a server's clients are not its
/// business); scripts refuse CLIENT as Redis does.
#[test]
fn in_process_connections_refuse_the_servers_client_subcommands() {
    let store = Store::new();
    let mut conn = store.connect();
    let reply = conn.call(["CLIENT", "LIST"]);
    assert_eq!(
        reply.to_resp(),
        b"-ERR CLIENT LIST needs embedis-server: an in-process connection runs only CLIENT ID, GETNAME, SETNAME, TRACKING, CACHING, GETREDIR and TRACKINGINFO\r\n"
    );
    assert_eq!(
        conn.call(["CLIENT", "NOSUCH"]).to_resp(),
        b"-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n"
    );
    let id = conn.id() as i64;
    assert_eq!(conn.call(["CLIENT", "ID"]), embedis::Reply::Integer(id));
    let script = conn.call(["EVAL", "return redis.call('client', 'id')", "0"]);
    assert!(script.is_error(), "{script:?}");
}
