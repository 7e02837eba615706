//! Replication with real Redis (issue 18). embedis-server as a primary that a real redis-server
//! replicates: the replica, told `REPLICAOF` embedis, gets the data (SYNC: an RDB payload) and
//! then follows every write in its replay form, until both hold the same data (DEBUG DIGEST).
//! And embedis — a server, or a `Store` in process — as a replica of a real redis-server.
#![cfg(feature = "server")]

mod common;

use std::time::{Duration, Instant};

use common::{RawClient, RedisServer, words};
use embedis::Store;
use embedis::server::Server;

/// Makes the redis-server `replica` (its client) a replica of the embedis-server `primary`.
fn replicate(replica: &mut RawClient, primary: &Server) {
    let port = primary.addr().port();
    assert_eq!(replica.call(&words(&format!("REPLICAOF 127.0.0.1 {port}"))), b"+OK\r\n");
}

/// A client of the redis-server `replica`, made a replica of the embedis-server `primary`.
fn follow(replica: &RedisServer, primary: &Server) -> RawClient {
    let mut client = replica.client();
    replicate(&mut client, primary);
    client
}

/// Waits until `replica` has the same data as `primary`, comparing DEBUG DIGEST.
fn wait_for_the_same_data(primary: &mut RawClient, replica: &mut RawClient) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (ours, theirs) = (
            primary.call(&words("DEBUG DIGEST")),
            replica.call(&words("DEBUG DIGEST")),
        );
        if ours == theirs {
            return;
        }
        let link = String::from_utf8_lossy(&replica.call(&words("INFO replication"))).into_owned();
        assert!(
            Instant::now() < deadline,
            "the replica never caught up: {} against {}\n{link}",
            String::from_utf8_lossy(&theirs),
            String::from_utf8_lossy(&ours)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes made before a replica synchronises: a few types, and another database.
const BEFORE_SYNC: &[&str] = &[
    "SET before-sync 1",
    "RPUSH list a b c",
    "HSET h f v",
    "SELECT 3",
    "SET in-db-3 x",
    "SELECT 0",
];

/// Every kind of write, the ones replicated in a rewritten form among them; it leaves the client
/// in database 0.
#[cfg(feature = "lua")]
const EVERY_KIND_OF_WRITE: &[&str] = &[
    "SET s v",
    "SET e v EX 1000",
    "EXPIRE s 500",
    "INCRBYFLOAT f 1.25",
    "SADD set a b c d",
    "SPOP set",
    "SPOP set 2",
    "ZADD z 1 a 2 b 3 c",
    "ZPOPMIN z",
    "BLPOP list 1",
    "LMPOP 1 list RIGHT COUNT 1",
    "XADD x * f v",
    "XGROUP CREATE x g 0",
    "XREADGROUP GROUP g c STREAMS x >",
    "MULTI",
    "INCR counter",
    "SELECT 5",
    "INCR counter",
    "EXEC",
    // SELECT inside MULTI moved the client to database 5.
    "SELECT 0",
    "EVAL \"redis.call('SET', KEYS[1], 'x'); return redis.call('INCR', KEYS[2])\" 2 ev1 ev2",
    "FUNCTION LOAD \"#!lua name=lib\\nredis.register_function('f', function(keys) return redis.call('INCR', keys[1]) end)\"",
    "FCALL f 1 fc",
    "PFADD hll a b c",
    "GEOADD g 13.361389 38.115556 Palermo",
    "SWAPDB 0 7",
    "SWAPDB 0 7",
    "FLUSHDB",
    "SET after-flush 1",
];

#[cfg(feature = "lua")]
#[test]
fn redis_server_replicates_embedis_server() {
    let Some(replica) = RedisServer::start() else {
        return;
    };
    let primary = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut ours = RawClient::connect(primary.addr().port());
    for line in BEFORE_SYNC {
        ours.call(&words(line));
    }
    let mut theirs = follow(&replica, &primary);
    wait_for_the_same_data(&mut ours, &mut theirs);

    // Every kind of write after the sync.
    for line in EVERY_KIND_OF_WRITE {
        let reply = ours.call(&words(line));
        assert!(!reply.starts_with(b"-"), "{line}: {}", String::from_utf8_lossy(&reply));
    }
    wait_for_the_same_data(&mut ours, &mut theirs);
    assert_eq!(theirs.call(&words("GET after-flush")), b"$1\r\n1\r\n");
    assert_eq!(theirs.call(&words("SELECT 5")), b"+OK\r\n");
    assert_eq!(theirs.call(&words("GET counter")), b"$1\r\n1\r\n");
    assert_eq!(
        theirs.call(&words("FUNCTION LIST")),
        ours.call(&words("FUNCTION LIST")),
        "the function library went down the stream"
    );
    let info = String::from_utf8(ours.call(&words("INFO replication"))).unwrap();
    assert!(info.contains("connected_slaves:1"), "{info}");
    // The offsets: the stream's bytes as the primary counts them, as the replica counts what it
    // processed, and as the replica acknowledged (REPLCONF ACK, once a second); ROLE lists it.
    let field = |info: &str, name: &str| {
        info.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|rest| rest.trim().to_owned())
            .unwrap_or_default()
    };
    let port = replica.port.to_string();
    let deadline = Instant::now() + Duration::from_secs(20);
    let offset = loop {
        let primary = String::from_utf8(ours.call(&words("INFO replication"))).unwrap();
        let follower = String::from_utf8(theirs.call(&words("INFO replication"))).unwrap();
        let offset = field(&primary, "master_repl_offset:");
        let listed = format!("ip=127.0.0.1,port={port},state=online,offset={offset},lag=");
        if offset != "0"
            && field(&follower, "slave_repl_offset:") == offset
            && field(&primary, "slave0:").starts_with(&listed)
        {
            break offset;
        }
        assert!(Instant::now() < deadline, "offsets never met:\n{primary}\n{follower}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let role = format!(
        "*3\r\n$6\r\nmaster\r\n:{offset}\r\n*1\r\n*3\r\n$9\r\n127.0.0.1\r\n${}\r\n{port}\r\n${}\r\n{offset}\r\n",
        port.len(),
        offset.len()
    );
    assert_eq!(String::from_utf8_lossy(&ours.call(&words("ROLE"))), role);
    // PUBLISH goes down the stream too (not to the append-only file): the replica's own
    // subscribers get what was published on embedis.
    let mut subscriber = replica.client();
    assert!(
        subscriber
            .call(&words("SUBSCRIBE news"))
            .starts_with(b"*3\r\n$9\r\nsubscribe")
    );
    assert_eq!(ours.call(&words("PUBLISH news hello")), b":0\r\n");
    assert_eq!(
        String::from_utf8_lossy(&subscriber.read()),
        "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n"
    );
    // The replica refuses writes of its own, as a replica of any Redis does.
    assert!(theirs.call(&words("SET x 1")).starts_with(b"-READONLY"));
    primary.stop();
}

/// REPLCONF's options and errors, as Redis answers them.
#[test]
fn replconf_answers_as_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut ours = RawClient::connect(server.addr().port());
    let mut theirs = redis.client();
    for line in [
        "REPLCONF",
        "REPLCONF listening-port",
        "REPLCONF listening-port 6380",
        "REPLCONF listening-port x",
        "REPLCONF capa eof capa psync2",
        "REPLCONF ip-address 10.0.0.1",
        "REPLCONF rdb-only 1",
        "REPLCONF rdb-only 5",
        "REPLCONF rdb-filter-only functions",
        "REPLCONF rdb-filter-only keys",
        "REPLCONF nosuch 1",
    ] {
        assert_eq!(
            String::from_utf8_lossy(&ours.call(&words(line))),
            String::from_utf8_lossy(&theirs.call(&words(line))),
            "{line}"
        );
    }
    server.stop();
}

/// `min-replicas-to-write` as Redis applies it, with no replica to count: writes refused with
/// NOREPLICAS (a write queued in MULTI dooms it; EXEC of a write refused when the rule came
/// after queuing), reads served, scripts with flags that may write refused before they start,
/// other scripts at their first write, FUNCTION LOAD refused; INFO's `min_slaves_good_slaves`;
/// `min-replicas-max-lag 0` turning the rule off. Compared byte for byte with redis-server.
#[cfg(feature = "lua")]
#[test]
fn min_replicas_to_write_refuses_writes_as_redis() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut ours = [
        RawClient::connect(server.addr().port()),
        RawClient::connect(server.addr().port()),
    ];
    let mut theirs = [redis.client(), redis.client()];
    let steps = [
        (0, "SET a 1"),
        (0, "MULTI"),
        (0, "SET a 2"),
        (0, "GET a"),
        (1, "CONFIG SET min-replicas-to-write 1"),
        (0, "EXEC"),
        (0, "SET a 3"),
        (0, "SETNX b 1"),
        (0, "DEL a"),
        (0, "GET a"),
        (0, "PUBLISH c m"),
        (0, "EVAL \"return redis.call('set','a','1')\" 0"),
        (0, "EVAL \"return redis.pcall('incr','n')\" 0"),
        (0, "EVAL \"return redis.call('get','a')\" 0"),
        (0, "EVAL_RO \"return redis.call('get','a')\" 0"),
        (0, "EVAL \"#!lua\nreturn redis.call('get','a')\" 0"),
        (0, "EVAL \"#!lua flags=no-writes\nreturn redis.call('get','a')\" 0"),
        (
            0,
            "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', function() return 1 end)\"",
        ),
        (0, "MULTI"),
        (0, "SET a 4"),
        (0, "GET a"),
        (0, "EXEC"),
        (0, "MULTI"),
        (0, "GET a"),
        (0, "EXEC"),
        (0, "FLUSHALL"),
        (1, "CONFIG SET min-replicas-max-lag 0"),
        (0, "SET a 5"),
        (1, "CONFIG SET min-replicas-max-lag 10"),
        (0, "SET a 6"),
        (1, "CONFIG SET min-replicas-to-write 0"),
        (0, "SET a 7"),
    ];
    for (client, line) in steps {
        assert_eq!(
            String::from_utf8_lossy(&ours[client].call(&words(line))),
            String::from_utf8_lossy(&theirs[client].call(&words(line))),
            "{line}"
        );
    }
    let good_line = |client: &mut RawClient| {
        String::from_utf8_lossy(&client.call(&words("INFO replication")))
            .lines()
            .find(|line| line.starts_with("min_slaves"))
            .map(str::to_owned)
    };
    assert_eq!(good_line(&mut ours[0]), None);
    let line = words("CONFIG SET min-replicas-to-write 1");
    ours[1].call(&line);
    theirs[1].call(&line);
    assert_eq!(good_line(&mut ours[0]), Some("min_slaves_good_slaves:0".into()));
    assert_eq!(good_line(&mut ours[0]), good_line(&mut theirs[0]));
    server.stop();
}

/// A real redis-server replicating embedis-server acknowledges its stream (REPLCONF ACK), which
/// makes it a good replica: with `min-replicas-to-write 1` writes go through while it follows,
/// and are refused once it has gone.
#[test]
fn an_acknowledging_replica_lets_writes_through() {
    let Some(replica) = RedisServer::start() else {
        return;
    };
    let primary = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut ours = RawClient::connect(primary.addr().port());
    assert_eq!(ours.call(&words("CONFIG SET min-replicas-to-write 1")), b"+OK\r\n");
    assert!(ours.call(&words("SET k 1")).starts_with(b"-NOREPLICAS"));
    let mut theirs = follow(&replica, &primary);
    let deadline = Instant::now() + Duration::from_secs(20);
    while ours.call(&words("SET k 2")) != b"+OK\r\n" {
        assert!(Instant::now() < deadline, "the replica never counted as good");
        std::thread::sleep(Duration::from_millis(50));
    }
    let info = String::from_utf8(ours.call(&words("INFO replication"))).unwrap();
    assert!(info.contains("min_slaves_good_slaves:1"), "{info}");
    // Past the lag allowed since it attached, its ACKs (one a second) keep it good.
    assert_eq!(ours.call(&words("CONFIG SET min-replicas-max-lag 1")), b"+OK\r\n");
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(ours.call(&words("SET k 3")), b"+OK\r\n", "the replica's ACKs count");
    wait_for_the_same_data(&mut ours, &mut theirs);
    // The replica leaves: the primary's stream to it breaks, and it no longer counts.
    assert_eq!(theirs.call(&words("REPLICAOF NO ONE")), b"+OK\r\n");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ours.call(&words("SET k 4")).starts_with(b"-NOREPLICAS") {
        assert!(Instant::now() < deadline, "writes went on without the replica");
        std::thread::sleep(Duration::from_millis(50));
    }
    primary.stop();
}

/// WAIT counts the replicas that acknowledged the client's last write: a real redis-server
/// replica, asked by REPLCONF GETACK, acknowledges at once; wanting more replicas than there are
/// waits out the timeout and answers how many did; inside MULTI it answers at once. In process
/// too, through a `Connection` of the served store.
#[test]
fn wait_counts_the_replicas_that_acknowledged() {
    let Some(replica) = RedisServer::start() else {
        return;
    };
    let store = Store::new();
    let primary = Server::start(store.clone(), "127.0.0.1:0").unwrap();
    let mut ours = RawClient::connect(primary.addr().port());
    assert_eq!(ours.call(&words("WAIT 0 0")), b":0\r\n", "no replica yet");
    let mut theirs = follow(&replica, &primary);
    wait_for_the_same_data(&mut ours, &mut theirs);
    for n in 0..3 {
        assert_eq!(ours.call(&words(&format!("SET k{n} v"))), b"+OK\r\n");
        let started = Instant::now();
        assert_eq!(ours.call(&words("WAIT 1 5000")), b":1\r\n");
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "the replica acknowledged when asked"
        );
    }
    let started = Instant::now();
    assert_eq!(ours.call(&words("WAIT 2 300")), b":1\r\n", "one of the two wanted");
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(ours.call(&words("MULTI")), b"+OK\r\n");
    assert_eq!(ours.call(&words("SET in-multi v")), b"+QUEUED\r\n");
    assert_eq!(ours.call(&words("WAIT 2 0")), b"+QUEUED\r\n");
    // Inside MULTI it answers at once, for the client's last write sent before (the queued SET
    // goes to the replica with the whole EXEC): the replica acknowledged that one.
    assert_eq!(ours.call(&words("EXEC")), b"*2\r\n+OK\r\n:1\r\n");
    let mut conn = store.connect();
    assert_eq!(conn.call(["SET", "in-process", "v"]), embedis::Reply::ok());
    assert_eq!(conn.call(["WAIT", "1", "5000"]), embedis::Reply::Integer(1));
    wait_for_the_same_data(&mut ours, &mut theirs);
    primary.stop();
}

/// A replica whose link to embedis broke continues from the backlog (PSYNC of this stream's id
/// answered `+CONTINUE`, the writes made meanwhile sent from the backlog) and ends with the same
/// data; with a backlog too small for what it missed, it synchronises fully again. INFO stats
/// counts each kind, as Redis's `sync_full`, `sync_partial_ok` and `sync_partial_err`.
#[test]
fn a_replica_that_lost_its_link_continues_from_the_backlog() {
    let Some(replica) = RedisServer::start() else {
        return;
    };
    let primary = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut ours = RawClient::connect(primary.addr().port());
    let mut theirs = replica.client();
    assert_eq!(theirs.call(&words("SET stale 1")), b"+OK\r\n");
    replicate(&mut theirs, &primary);
    assert_eq!(ours.call(&words("SET first 1")), b"+OK\r\n");
    wait_for_the_same_data(&mut ours, &mut theirs);
    let syncs = |client: &mut RawClient| {
        String::from_utf8_lossy(&client.call(&words("INFO stats")))
            .lines()
            .filter(|line| line.starts_with("sync_"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let cut_and_write = |ours: &mut RawClient, theirs: &mut RawClient, round: usize| {
        // The replica drops its link; it comes back by itself within a second or so.
        assert_eq!(theirs.call(&words("CLIENT KILL TYPE master")), b":1\r\n");
        for n in 0..20 {
            let reply = ours.call(&words(&format!("RPUSH list-{round} {n}")));
            assert!(reply.starts_with(b":"), "{}", String::from_utf8_lossy(&reply));
        }
        wait_for_the_same_data(ours, theirs);
    };
    // Its first PSYNC named its own history as a primary: a failed continuation, then full.
    assert_eq!(syncs(&mut ours), "sync_full:1,sync_partial_ok:0,sync_partial_err:1");
    // The replica is a client of type replica (flag S), as on a Redis primary.
    let listed = |ours: &mut RawClient, kind: &str| {
        String::from_utf8_lossy(&ours.call(&words(&format!("CLIENT LIST TYPE {kind}")))).into_owned()
    };
    let replicas = listed(&mut ours, "replica");
    assert_eq!(replicas.matches("flags=S ").count(), 1, "{replicas}");
    assert!(!listed(&mut ours, "normal").contains("flags=S "));
    assert_eq!(listed(&mut ours, "slave").matches("flags=S ").count(), 1);
    cut_and_write(&mut ours, &mut theirs, 1);
    assert_eq!(syncs(&mut ours), "sync_full:1,sync_partial_ok:1,sync_partial_err:1");
    assert_eq!(ours.call(&words("CONFIG SET repl-backlog-size 16")), b"+OK\r\n");
    // With a 16-byte backlog the replica, missing the writes, syncs fully. (Redis's replica
    // may reconnect before the writes come, within its cron's second, and then continues with
    // nothing missed: another round then.)
    let mut rounds = 2;
    loop {
        cut_and_write(&mut ours, &mut theirs, rounds);
        let partial_ok = rounds - 1;
        if syncs(&mut ours) == format!("sync_full:2,sync_partial_ok:{partial_ok},sync_partial_err:2") {
            break;
        }
        assert_eq!(
            syncs(&mut ours),
            format!("sync_full:1,sync_partial_ok:{rounds},sync_partial_err:1"),
            "a reconnection before the writes continues"
        );
        rounds += 1;
        assert!(rounds < 10, "the replica never fell behind the backlog");
    }
    let info = String::from_utf8(ours.call(&words("INFO replication"))).unwrap();
    assert!(info.contains("repl_backlog_active:1\r\n"), "{info}");
    assert!(info.contains("repl_backlog_histlen:16\r\n"), "{info}");
    primary.stop();
}

/// Turning the append-only file off (CONFIG SET appendonly no) leaves the replicas' stream
/// going: the replica still gets every write.
#[test]
fn turning_the_aof_off_keeps_feeding_replicas() {
    let Some(replica) = RedisServer::start() else {
        return;
    };
    let dir = common::fresh_dir(replica.port);
    let config = embedis::server::Config::default()
        .dir(&dir)
        .save("")
        .appendonly(embedis::Fsync::No);
    let primary = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let mut ours = RawClient::connect(primary.addr().port());
    let mut theirs = follow(&replica, &primary);
    assert_eq!(ours.call(&words("SET before 1")), b"+OK\r\n");
    wait_for_the_same_data(&mut ours, &mut theirs);
    assert_eq!(ours.call(&words("CONFIG SET appendonly no")), b"+OK\r\n");
    assert_eq!(ours.call(&words("SET after 1")), b"+OK\r\n");
    wait_for_the_same_data(&mut ours, &mut theirs);
    assert_eq!(theirs.call(&words("GET after")), b"$1\r\n1\r\n");
    primary.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A redis-server primary that starts a full synchronisation at once (no diskless delay).
fn redis_primary() -> Option<RedisServer> {
    RedisServer::start_with(&["--repl-diskless-sync-delay", "0"])
}

/// [`redis_primary`] and another redis-server.
fn redis_primary_and_another() -> Option<(RedisServer, RedisServer)> {
    Some((redis_primary()?, RedisServer::start()?))
}

/// An embedis-server told REPLICAOF the redis-server `primary`, and a client of it.
fn embedis_replica_of(primary: &RedisServer) -> (Server, RawClient) {
    let replica = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut client = RawClient::connect(replica.addr().port());
    let line = format!("REPLICAOF 127.0.0.1 {}", primary.port);
    assert_eq!(client.call(&words(&line)), b"+OK\r\n");
    (replica, client)
}

/// The value of INFO's field `name` (with its colon) in `info`.
fn info_field(info: &[u8], name: &str) -> String {
    String::from_utf8_lossy(info)
        .lines()
        .find_map(|line| line.strip_prefix(name).map(str::to_owned))
        .unwrap_or_default()
}

/// Waits until `replica` (a client of a replica) says its link with its primary is up.
fn wait_for_the_link(replica: &mut RawClient) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = replica.call(&words("INFO replication"));
        if info_field(&info, "master_link_status:") == "up" {
            return;
        }
        assert!(Instant::now() < deadline, "{}", String::from_utf8_lossy(&info));
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(feature = "lua")]
#[test]
fn embedis_server_replicates_redis_server() {
    let Some(primary) = redis_primary() else {
        return;
    };
    let mut theirs = primary.client();
    let early = "FUNCTION LOAD \"#!lua name=early\\nredis.register_function('early', function() return 1 end)\"";
    for line in BEFORE_SYNC.iter().chain([&early]) {
        theirs.call(&words(line));
    }
    let (_replica, mut ours) = embedis_replica_of(&primary);
    wait_for_the_same_data(&mut theirs, &mut ours);
    assert_eq!(ours.call(&words("FUNCTION LIST")), theirs.call(&words("FUNCTION LIST")));

    for line in EVERY_KIND_OF_WRITE {
        let reply = theirs.call(&words(line));
        assert!(!reply.starts_with(b"-"), "{line}: {}", String::from_utf8_lossy(&reply));
    }
    // A key that expires on the primary goes on the replica too (the primary's DEL).
    theirs.call(&words("SET short v PX 50"));
    std::thread::sleep(Duration::from_millis(100));
    theirs.call(&words("GET short"));
    wait_for_the_same_data(&mut theirs, &mut ours);
    assert_eq!(ours.call(&words("EXISTS short")), b":0\r\n");
    assert_eq!(ours.call(&words("SELECT 5")), b"+OK\r\n");
    assert_eq!(ours.call(&words("GET counter")), b"$1\r\n1\r\n");
    assert_eq!(ours.call(&words("SELECT 0")), b"+OK\r\n");

    // The replica acknowledges what it processed: WAIT on the primary counts it, and the
    // offsets agree on both sides (the primary's stream bytes, as the replica counted them).
    assert_eq!(theirs.call(&words("WAIT 1 5000")), b":1\r\n");
    let primary_info = theirs.call(&words("INFO replication"));
    let offset = info_field(&primary_info, "master_repl_offset:");
    let replica_info = ours.call(&words("INFO replication"));
    assert_eq!(info_field(&replica_info, "role:"), "slave");
    assert_eq!(info_field(&replica_info, "slave_repl_offset:"), offset);
    assert_eq!(info_field(&replica_info, "master_repl_offset:"), offset);
    assert_eq!(
        info_field(&replica_info, "master_replid:"),
        info_field(&primary_info, "master_replid:")
    );
    let port = primary.port.to_string();
    assert_eq!(
        String::from_utf8_lossy(&ours.call(&words("ROLE"))),
        format!("*5\r\n$5\r\nslave\r\n$9\r\n127.0.0.1\r\n:{port}\r\n$9\r\nconnected\r\n:{offset}\r\n")
    );
    // Writes of its own are refused; reads are answered.
    assert_eq!(
        ours.call(&words("SET x 1")),
        b"-READONLY You can't write against a read only replica.\r\n"
    );
    assert_eq!(ours.call(&words("GET after-flush")), b"$1\r\n1\r\n");
}

/// What a replica refuses and answers, byte for byte as a redis-server replica of the same
/// primary: writes (READONLY, in MULTI, in scripts), WAIT, REPLICAOF's errors, a writable
/// replica, and a stale one (`replica-serve-stale-data no`, MASTERDOWN).
#[cfg(feature = "lua")]
#[test]
fn a_replica_refuses_what_a_redis_replica_refuses() {
    let Some((primary, redis_replica)) = redis_primary_and_another() else {
        return;
    };
    let mut setup = primary.client();
    setup.call(&words("SET k v"));
    // Functions, some that may run on a stale replica (`allow-stale`).
    let load = setup.call(&words("FUNCTION LOAD \"#!lua name=stale\nredis.register_function{function_name='f1', callback=function() return 'hello' end, flags={'no-writes'}}\nredis.register_function{function_name='f2', callback=function() return 'hello' end, flags={'allow-stale', 'no-writes'}}\nredis.register_function{function_name='f3', callback=function() return redis.call('get', 'x') end, flags={'allow-stale', 'no-writes'}}\""));
    assert_eq!(load, b"$5\r\nstale\r\n");
    let mut theirs = redis_replica.client();
    let follow = format!("REPLICAOF 127.0.0.1 {}", primary.port);
    assert_eq!(theirs.call(&words(&follow)), b"+OK\r\n");
    let (_replica, mut ours) = embedis_replica_of(&primary);
    wait_for_the_link(&mut theirs);
    wait_for_the_link(&mut ours);
    let lines = [
        follow.as_str(),
        "REPLICAOF 127.0.0.1 abc",
        "REPLICAOF 127.0.0.1 65536",
        "REPLICAOF 127.0.0.1 -1",
        "REPLICAOF no two",
        "REPLICAOF a",
        "SET x 1",
        "INCR n",
        "DEL k",
        "GET k",
        "PING",
        "WAIT 0 0",
        "MULTI",
        "SET x 1",
        "GET k",
        "EXEC",
        "MULTI",
        "GET k",
        "EXEC",
        "EVAL \"return redis.call('set','a','b')\" 0",
        "EVAL \"return redis.pcall('set','a','b')\" 0",
        "EVAL \"return redis.call('get','k')\" 0",
        "EVAL \"#!lua\nreturn redis.call('set','a','b')\" 0",
        "EVAL \"#!lua flags=no-writes\nreturn redis.call('get','k')\" 0",
        "EVAL_RO \"return redis.call('get','k')\" 0",
        "CONFIG SET replica-read-only no",
        "SET local 1",
        "GET local",
        "CONFIG SET replica-read-only yes",
        "SET local 2",
        // Stale: the link is down (nothing listens on port 1) and stale data is not served.
        "CONFIG SET replica-serve-stale-data no",
        "REPLICAOF 127.0.0.1 1",
        "GET k",
        "PING",
        "EVAL \"#!lua flags=no-writes\nreturn 1\" 0",
        "EVAL \"#!lua flags=no-writes,allow-stale\nreturn 1\" 0",
        "EVAL \"#!lua flags=no-writes,allow-stale\nreturn redis.call('get','k')\" 0",
        "EVAL \"#!lua flags=no-writes,allow-stale\nreturn redis.pcall('get','k')\" 0",
        "EVAL \"#!lua flags=no-writes,allow-stale\nreturn redis.call('echo','hi')\" 0",
        "FCALL f1 0",
        "FCALL f2 0",
        "FCALL f3 0",
        "CONFIG GET replica-serve-stale-data",
        "MULTI",
        "GET k",
        "EXEC",
        "CONFIG SET replica-serve-stale-data yes",
        "GET k",
        "REPLICAOF NO ONE",
        "SET x 1",
        "GET k",
    ];
    for line in lines {
        let argv = words(line);
        common::assert_same_bytes(&ours.call(&argv), &theirs.call(&argv), line);
    }
}

#[test]
fn a_replica_continues_after_its_link_is_cut_and_keeps_its_data_when_promoted() {
    let Some(primary) = redis_primary() else {
        return;
    };
    let mut theirs = primary.client();
    theirs.call(&words("SET a 1"));
    let (_replica, mut ours) = embedis_replica_of(&primary);
    wait_for_the_same_data(&mut theirs, &mut ours);
    assert_eq!(theirs.call(&words("WAIT 1 5000")), b":1\r\n");
    // The primary drops the link; what it writes meanwhile comes from its backlog.
    theirs.call(&words("CLIENT KILL TYPE replica"));
    theirs.call(&words("SET b 2"));
    theirs.call(&words("RPUSH l x y"));
    wait_for_the_same_data(&mut theirs, &mut ours);
    assert_eq!(ours.call(&words("GET b")), b"$1\r\n2\r\n");
    let stats = theirs.call(&words("INFO stats"));
    assert_eq!(info_field(&stats, "sync_full:"), "1", "one full sync only");
    assert_eq!(info_field(&stats, "sync_partial_ok:"), "1", "the second continued");

    // Promoted, it keeps the data and takes writes; the primary's later writes do not reach it.
    assert_eq!(ours.call(&words("REPLICAOF NO ONE")), b"+OK\r\n");
    assert_eq!(info_field(&ours.call(&words("INFO replication")), "role:"), "master");
    assert_eq!(ours.call(&words("SET c 3")), b"+OK\r\n");
    theirs.call(&words("SET after-promotion 1"));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(ours.call(&words("EXISTS after-promotion")), b":0\r\n");
    assert_eq!(
        ours.call(&words("MGET a b c")),
        b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
}

/// Waits until `store` (a replica) processed the primary's stream up to `offset`.
fn wait_for_offset(store: &Store, offset: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while store
        .replica_status()
        .is_none_or(|status| !status.link_up || status.offset < offset)
    {
        assert!(Instant::now() < deadline, "{:?}", store.replica_status());
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The primary's replication offset now.
fn primary_offset(primary: &mut RawClient) -> u64 {
    info_field(&primary.call(&words("INFO replication")), "master_repl_offset:")
        .parse()
        .unwrap()
}

#[test]
fn an_in_process_store_replicates_redis_server() {
    use embedis::{CommandError, Commands};

    let Some(primary) = redis_primary() else {
        return;
    };
    let mut theirs = primary.client();
    theirs.call(&words("SET balance 100"));
    theirs.call(&words("HSET user:1 name ada"));
    let store = Store::builder().replica_of("127.0.0.1", primary.port).build();
    wait_for_offset(&store, 0);
    assert_eq!(store.get("balance").unwrap(), Some("100".to_string()));
    assert_eq!(store.hget("user:1", "name").unwrap(), Some("ada".to_string()));

    // The primary's writes arrive; the store's own are refused, typed, raw and atomic alike.
    theirs.call(&words("INCRBY balance 5"));
    wait_for_offset(&store, primary_offset(&mut theirs));
    assert_eq!(store.get("balance").unwrap(), Some("105".to_string()));
    assert_eq!(store.set("balance", 0), Err(CommandError::ReadOnlyReplica));
    assert_eq!(store.incr("balance"), Err(CommandError::ReadOnlyReplica));
    assert_eq!(
        store.atomic(|db| db.decr("balance")),
        Err(CommandError::ReadOnlyReplica)
    );
    assert_eq!(
        store.multi().cmd(["INCR", "balance"]).exec().unwrap_err().to_string(),
        "EXECABORT Transaction discarded because of: READONLY You can't write against a read only replica."
    );

    // A WATCHed key the primary changes aborts the transaction.
    let mut conn = store.connect();
    assert_eq!(conn.call(["WATCH", "balance"]), embedis::Reply::ok());
    theirs.call(&words("INCRBY balance 1"));
    wait_for_offset(&store, primary_offset(&mut theirs));
    assert_eq!(conn.call(["MULTI"]), embedis::Reply::ok());
    conn.call(["GET", "balance"]);
    assert_eq!(conn.call(["EXEC"]), embedis::Reply::NilArray);

    // What the primary publishes reaches the store's subscribers.
    let mut news = store.subscribe(["news"]);
    theirs.call(&words("PUBLISH news hello"));
    let message = news.recv_timeout(Duration::from_secs(10)).unwrap().unwrap();
    assert_eq!(message.payload, b"hello");

    // Promoted, it takes writes again and keeps the primary's data.
    store.stop_replicating();
    assert_eq!(store.replica_status(), None);
    assert_eq!(store.incr("balance").unwrap(), 107);
}

#[test]
fn a_replica_too_far_behind_for_the_backlog_synchronises_fully() {
    let Some(primary) = RedisServer::start_with(&["--repl-diskless-sync-delay", "0", "--repl-backlog-size", "16384"])
    else {
        return;
    };
    let mut theirs = primary.client();
    theirs.call(&words("SET a 1"));
    let (_replica, mut ours) = embedis_replica_of(&primary);
    wait_for_the_same_data(&mut theirs, &mut ours);
    // Cut off, it misses more than the backlog holds (it retries a second later).
    theirs.call(&words("CLIENT KILL TYPE replica"));
    let big = "x".repeat(64 * 1024);
    theirs.call(&[b"SET".to_vec(), b"big".to_vec(), big.into_bytes()]);
    wait_for_the_same_data(&mut theirs, &mut ours);
    let stats = theirs.call(&words("INFO stats"));
    assert_eq!(info_field(&stats, "sync_full:"), "2", "synchronised fully again");
    assert_eq!(info_field(&stats, "sync_partial_err:"), "1", "after asking to continue");
}

/// redis-server → embedis-server → redis-server: the replica in the middle feeds its own
/// replica what its primary writes, and a full sync of its own makes its replica sync again.
#[test]
fn an_embedis_replica_feeds_replicas_of_its_own() {
    let Some((primary, last)) = redis_primary_and_another() else {
        return;
    };
    let mut theirs = primary.client();
    theirs.call(&words("SET before 1"));
    let (middle, mut ours) = embedis_replica_of(&primary);
    wait_for_the_same_data(&mut theirs, &mut ours);
    let mut end = follow(&last, &middle);
    for line in [
        "SET after 2",
        "MULTI",
        "INCR n",
        "RPUSH l a",
        "EXEC",
        "SELECT 2",
        "SET two 2",
    ] {
        theirs.call(&words(line));
    }
    wait_for_the_same_data(&mut theirs, &mut end);
    // The middle replica's own writes (it is writable) stay its own.
    assert_eq!(ours.call(&words("CONFIG SET replica-read-only no")), b"+OK\r\n");
    assert_eq!(ours.call(&words("SET mine 1")), b"+OK\r\n");
    theirs.call(&words("SET later 3"));
    wait_for_the_same_data(&mut theirs, &mut end);
    assert_eq!(end.call(&words("EXISTS mine")), b":0\r\n");
    // Following another primary replaces its data: its replica synchronises again.
    let Some(other) = redis_primary() else {
        return;
    };
    let mut others = other.client();
    others.call(&words("SET elsewhere 1"));
    let line = format!("REPLICAOF 127.0.0.1 {}", other.port);
    assert_eq!(ours.call(&words(&line)), b"+OK\r\n");
    wait_for_the_same_data(&mut others, &mut end);
}

/// An application's in-process store as the primary of a redis-server replica: the store is
/// built with a replication listener (`StoreBuilder::replication_listener`) and the replica
/// follows what the application does through the typed API — commands, transactions, `atomic`,
/// scripts and expiries — to the same DEBUG DIGEST; the listener goes with the store's last
/// handle.
#[cfg(feature = "lua")]
#[test]
fn redis_server_replicates_an_in_process_store() {
    use embedis::{Commands, Script};

    let Some(replica) = RedisServer::start() else {
        return;
    };
    let store = Store::builder()
        .replication_listener("127.0.0.1:0".parse().unwrap())
        .try_build()
        .unwrap();
    store.set("before", 1).unwrap();
    let port = store.listener_addr().unwrap().port();
    let mut theirs = replica.client();
    assert_eq!(theirs.call(&words(&format!("REPLICAOF 127.0.0.1 {port}"))), b"+OK\r\n");
    let mut ours = RawClient::connect(port);
    wait_for_the_same_data(&mut ours, &mut theirs);

    store.set("balance:a", 100).unwrap();
    store.set("balance:b", 0).unwrap();
    store.incr("counter").unwrap();
    store.rpush("queue", ["x", "y"]).unwrap();
    store.hset("user:1", "name", "ada").unwrap();
    store.zadd("board", [(10, "ada")]).unwrap();
    let transfer = store
        .multi()
        .cmd(["DECRBY", "balance:a", "30"])
        .cmd(["INCRBY", "balance:b", "30"])
        .exec()
        .unwrap()
        .expect("nothing watched");
    assert_eq!(transfer.len(), 2);
    store
        .atomic(|db| {
            db.decr("balance:a")?;
            db.incr("balance:b")
        })
        .unwrap();
    let script = Script::new("redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])");
    let _: i64 = script.invoke(&store, ("scripted", "counter"), "v").unwrap();
    store.cmd::<()>(["SET", "short", "v", "PX", "50"]).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(store.get("short").unwrap(), None);
    assert_eq!(ours.call(&words("WAIT 1 5000")), b":1\r\n");
    wait_for_the_same_data(&mut ours, &mut theirs);
    assert_eq!(theirs.call(&words("GET balance:b")), b"$2\r\n31\r\n");
    assert_eq!(theirs.call(&words("EXISTS short")), b":0\r\n");
    // REPLICAOF NO ONE on the replica: the data now lives in Redis.
    assert_eq!(theirs.call(&words("REPLICAOF NO ONE")), b"+OK\r\n");
    assert_eq!(theirs.call(&words("GET scripted")), b"$1\r\nv\r\n");
    // The listener goes with the store's last handle.
    let clone = store.clone();
    drop(store);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(clone);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// A full sync's payload is taken in steps while the primary goes on: writes made meanwhile
/// reach the replica after the payload, in order, and it ends with the primary's data.
#[test]
fn a_full_sync_does_not_stop_the_primary_and_misses_nothing() {
    let Some(replica) = RedisServer::start() else {
        return;
    };
    let primary = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut ours = RawClient::connect(primary.addr().port());
    let fill: Vec<Vec<Vec<u8>>> = (0..200_000).map(|n| words(&format!("SET key:{n} {n}"))).collect();
    for batch in fill.chunks(1000) {
        ours.pipeline(batch);
    }
    let mut theirs = follow(&replica, &primary);
    let writes: Vec<Vec<Vec<u8>>> = (0..20_000)
        .map(|n| match n % 3 {
            0 => words(&format!("INCRBY key:{} 7", n * 13 % 200_000)),
            1 => words(&format!("DEL key:{}", n * 17 % 200_000)),
            _ => words(&format!("RPUSH log {n}")),
        })
        .collect();
    for batch in writes.chunks(500) {
        ours.pipeline(batch);
    }
    wait_for_the_same_data(&mut ours, &mut theirs);
    primary.stop();
}

/// A primary that wants a password: the replica gives it (`masterauth`, or in process
/// `Store::replicate_from_with_auth`) after its first PING, as Redis's replica does.
#[test]
fn a_replica_authenticates_with_its_primary() {
    let Some(primary) = RedisServer::start_with(&["--requirepass", "secret", "--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    let mut theirs = primary.client();
    assert_eq!(theirs.call(&words("AUTH secret")), b"+OK\r\n");
    theirs.call(&words("SET guarded 1"));
    let replica = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut ours = RawClient::connect(replica.addr().port());
    assert_eq!(ours.call(&words("CONFIG SET masterauth secret")), b"+OK\r\n");
    let line = format!("REPLICAOF 127.0.0.1 {}", primary.port);
    assert_eq!(ours.call(&words(&line)), b"+OK\r\n");
    wait_for_the_link(&mut ours);
    assert_eq!(ours.call(&words("GET guarded")), b"$1\r\n1\r\n");

    let store = Store::new();
    store.replicate_from_with_auth("127.0.0.1", primary.port, None, "secret");
    wait_for_offset(&store, 0);
    use embedis::Commands;
    assert_eq!(store.get("guarded").unwrap(), Some("1".to_string()));
    // With a user name too (the default user's).
    let store = Store::new();
    store.replicate_from_with_auth("127.0.0.1", primary.port, Some("default"), "secret");
    wait_for_offset(&store, 0);
    assert_eq!(store.get("guarded").unwrap(), Some("1".to_string()));
}

/// A store opened in a directory with a replication listener: a replica that attaches gets the
/// data loaded from the directory; the last handle stops the listener and saves the store.
#[test]
fn a_store_opened_with_a_listener_serves_the_data_it_loaded() {
    use embedis::Commands;

    let Some(replica) = RedisServer::start() else {
        return;
    };
    let dir = common::fresh_dir(0);
    let store = Store::open(&dir).unwrap();
    store.set("kept", "from disk").unwrap();
    drop(store);
    let store = Store::builder()
        .replication_listener("127.0.0.1:0".parse().unwrap())
        .open(&dir)
        .unwrap();
    let port = store.listener_addr().unwrap().port();
    let mut theirs = replica.client();
    assert_eq!(theirs.call(&words(&format!("REPLICAOF 127.0.0.1 {port}"))), b"+OK\r\n");
    let mut ours = RawClient::connect(port);
    wait_for_the_same_data(&mut ours, &mut theirs);
    assert_eq!(theirs.call(&words("GET kept")), b"$9\r\nfrom disk\r\n");
    store.set("later", 1).unwrap();
    drop(store);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.get("later").unwrap(), Some("1".to_string()));
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
