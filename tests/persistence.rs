//! RDB files between embedis-server and redis-server: a file either writes, the other loads,
//! with the same data (DEBUG DIGEST) and function libraries; DEBUG RELOAD keeps the data; a
//! damaged file stops the server from starting, with Redis's reason.
#![cfg(feature = "server")]

mod common;

use common::{RawClient, RedisServer, words};
use embedis::Store;
use embedis::server::{Config, Server};

/// Data of every type and encoding, with TTLs, in two databases, and a function library.
fn fill(client: &mut RawClient) {
    let fields: String = (0..200).map(|i| format!(" f{i} {i}")).collect();
    let members: String = (0..200).map(|i| format!(" {}.5 m{i}", i * 3)).collect();
    let items: String = (0..3000).map(|i| format!(" item-{i}")).collect();
    let mut lines = vec![
        "SET s hello".to_string(),
        "SET n 12345".into(),
        format!("SET long {}", "abc".repeat(100)),
        "RPUSH l a b c 1 2 3".into(),
        format!("RPUSH biglist{items}"),
        "HSET h a 1 b 2".into(),
        format!("HSET bigh{fields}"),
        "SADD ints 1 2 3".into(),
        "SADD words a b c".into(),
        "ZADD z 1 a 2.5 b -3 c".into(),
        format!("ZADD bigz{members}"),
        "XADD x 1-1 f v g w".into(),
        "XADD x 2-5 f2 v2".into(),
        "XGROUP CREATE x grp 0".into(),
        "XREADGROUP GROUP grp alice COUNT 1 STREAMS x >".into(),
        "PFADD hll a b c d".into(),
        "SET ttl v EX 1000".into(),
        "HSET ttlh f v".into(),
        "PEXPIRE ttlh 5000000".into(),
        "SELECT 7".into(),
        "SET other 1".into(),
        "SELECT 0".into(),
    ];
    lines.retain(|l| !l.is_empty());
    for line in lines {
        let reply = client.call(&words(&line));
        assert!(!reply.starts_with(b"-"), "{line}: {}", String::from_utf8_lossy(&reply));
    }
    let code = "#!lua name=lib\nredis.register_function('hello', function() return 'hi' end)";
    let reply = client.call(&[b"FUNCTION".to_vec(), b"LOAD".to_vec(), code.as_bytes().to_vec()]);
    assert_eq!(reply, b"$3\r\nlib\r\n");
}

/// What both servers must agree on after a load.
fn describe(client: &mut RawClient) -> Vec<Vec<u8>> {
    [
        "DEBUG DIGEST",
        "DBSIZE",
        "FUNCTION LIST WITHCODE",
        "XINFO GROUPS x",
        "OBJECT ENCODING bigz",
        "TTL ttl",
    ]
    .iter()
    .map(|line| client.call(&words(line)))
    .collect()
}

fn embedis_on(dir: &std::path::Path) -> std::io::Result<Server> {
    Server::start_with(Store::new(), "127.0.0.1:0", Config::default().dir(dir))
}

#[cfg(feature = "lua")]
#[test]
fn redis_loads_embedis_files_and_embedis_loads_redis_files() {
    let Some(source) = RedisServer::start() else {
        return;
    };
    // Redis writes, embedis loads.
    let mut redis = source.client();
    fill(&mut redis);
    assert_eq!(redis.call(&words("SAVE")), b"+OK\r\n");
    let redis_dir = String::from_utf8(redis.call(&words("CONFIG GET dir"))).unwrap();
    let redis_dir = redis_dir.split("\r\n").nth(4).unwrap().to_string();
    let ours = embedis_on(std::path::Path::new(&redis_dir)).unwrap();
    let mut embedis = RawClient::connect(ours.addr().port());
    let expected = describe(&mut redis);
    assert_eq!(
        describe(&mut embedis),
        expected,
        "embedis loaded redis-server's dump.rdb"
    );

    // embedis writes, Redis loads.
    let dir = common::fresh_dir(0);
    let writer = embedis_on(&dir).unwrap();
    let mut embedis = RawClient::connect(writer.addr().port());
    fill(&mut embedis);
    assert_eq!(embedis.call(&words("SAVE")), b"+OK\r\n");
    let written = describe(&mut embedis);
    let dir_arg = dir.display().to_string();
    let loader = RedisServer::start_loading(&["--dir", &dir_arg, "--dbfilename", "dump.rdb"]).unwrap();
    assert_eq!(
        describe(&mut loader.client()),
        written,
        "redis-server loaded embedis's dump.rdb"
    );
    // And the digests are those of the same data on both sides.
    assert_eq!(written[0], expected[0]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// DEBUG RELOAD saves, empties and loads back: the same data after; BGSAVE and SAVE write the
/// file a new server starts from; without a directory nothing is written.
#[test]
fn reload_save_and_restart_keep_the_data() {
    let dir = common::fresh_dir(0);
    let server = embedis_on(&dir).unwrap();
    let mut client = RawClient::connect(server.addr().port());
    for line in [
        "SET a 1",
        "RPUSH l x y z",
        "HSET h f v",
        "SET t v EX 1000",
        "SELECT 2",
        "SET b 2",
        "SELECT 0",
    ] {
        client.call(&words(line));
    }
    let digest = client.call(&words("DEBUG DIGEST"));
    assert_eq!(client.call(&words("DEBUG RELOAD")), b"+OK\r\n");
    assert_eq!(client.call(&words("DEBUG DIGEST")), digest);
    assert!(dir.join("dump.rdb").exists());
    client.call(&words("SET later 1"));
    assert_eq!(client.call(&words("BGSAVE")), b"+Background saving started\r\n");
    let digest = client.call(&words("DEBUG DIGEST"));
    // The file is written while clients go on: wait for it, as Redis's tests do.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let info = String::from_utf8(client.call(&words("INFO persistence"))).unwrap();
        assert!(info.contains("embedis_persistence:rdb"));
        if info.contains("rdb_bgsave_in_progress:0") {
            assert!(info.contains("rdb_last_bgsave_status:ok"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the background save never ended");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // In MULTI, Redis only schedules it (embedis starts it): the same reply.
    let queued = client.call(&words("MULTI"));
    assert_eq!(queued, b"+OK\r\n");
    client.call(&words("BGSAVE"));
    assert_eq!(client.call(&words("EXEC")), b"*1\r\n+Background saving scheduled\r\n");
    while String::from_utf8(client.call(&words("INFO persistence")))
        .unwrap()
        .contains("rdb_bgsave_in_progress:1")
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    server.stop();
    let again = embedis_on(&dir).unwrap();
    let mut client = RawClient::connect(again.addr().port());
    assert_eq!(client.call(&words("DEBUG DIGEST")), digest);
    // NOSAVE loads the file as it is: what came after it is gone.
    client.call(&words("SET after 1"));
    assert_eq!(client.call(&words("DEBUG RELOAD NOSAVE")), b"+OK\r\n");
    assert_eq!(client.call(&words("EXISTS after")), b":0\r\n");
    // NOFLUSH without MERGE meets keys the file has too: refused, nothing changed.
    assert_eq!(
        client.call(&words("DEBUG RELOAD NOSAVE NOFLUSH")),
        b"-ERR Error trying to load the RDB dump\r\n"
    );
    assert_eq!(client.call(&words("DEBUG DIGEST")), digest);
    // NOFLUSH MERGE keeps keys the file does not have.
    client.call(&words("SET extra 1"));
    assert_eq!(client.call(&words("DEBUG RELOAD NOSAVE NOFLUSH MERGE")), b"+OK\r\n");
    assert_eq!(client.call(&words("EXISTS extra a")), b":2\r\n");
    assert_eq!(
        client.call(&words("DEBUG RELOAD BADOPT")),
        b"-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n"
    );
    again.stop();

    // Without a directory: DEBUG RELOAD goes through an RDB image in memory; SAVE writes nothing.
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut client = RawClient::connect(server.addr().port());
    client.call(&words("ZADD z 1 a 2 b"));
    let digest = client.call(&words("DEBUG DIGEST"));
    assert_eq!(client.call(&words("DEBUG RELOAD")), b"+OK\r\n");
    assert_eq!(client.call(&words("DEBUG DIGEST")), digest);
    assert_eq!(client.call(&words("SAVE")), b"+OK\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A file Redis would refuse stops the server from starting, with Redis's reason.
#[test]
fn a_damaged_file_stops_the_start() {
    let dir = common::fresh_dir(0);
    let server = embedis_on(&dir).unwrap();
    let mut client = RawClient::connect(server.addr().port());
    client.call(&words("SET a 1"));
    client.call(&words("SAVE"));
    server.stop();
    let path = dir.join("dump.rdb");
    let mut file = std::fs::read(&path).unwrap();
    let middle = file.len() / 2;
    file[middle] ^= 0x01;
    std::fs::write(&path, &file).unwrap();
    let refused = embedis_on(&dir).unwrap_err().to_string();
    assert!(
        refused.contains("Wrong RDB checksum") || refused.contains("Short read"),
        "{refused}"
    );
    std::fs::write(&path, b"not an rdb file").unwrap();
    assert_eq!(
        embedis_on(&dir).unwrap_err().to_string(),
        "Wrong signature trying to load DB from file"
    );
    let missing = dir.join("nosuch");
    assert!(
        embedis_on(&missing)
            .unwrap_err()
            .to_string()
            .starts_with("Can't chdir to")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether redis-server, started with `extra` flags, starts on `dir`'s dump.rdb (it exits when
/// it refuses the file).
fn redis_accepts(dir: &std::path::Path, extra: &[&str]) -> bool {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dbfilename",
            "dump.rdb",
        ])
        .arg("--dir")
        .arg(dir)
        .args(extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn redis-server");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let started = loop {
        if let Ok(Some(_)) = child.try_wait() {
            break false;
        }
        // It listens before it loads: ready once a PING is answered PONG (not LOADING).
        if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let mut reply = [0u8; 7];
            if stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut reply).is_ok() && &reply == b"+PONG\r\n"
            {
                break true;
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "redis-server neither started nor stopped"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let _ = child.kill();
    let _ = child.wait();
    started
}

/// Damaged files — cut at many places, a byte changed in the checksum, the data or the header
/// — are refused by embedis exactly when redis-server refuses them (and loaded when it loads
/// them: a file written without a checksum).
#[test]
fn damaged_files_are_refused_where_redis_refuses_them() {
    if !common::on_path("redis-server") {
        common::skip("redis-server is not on PATH");
        return;
    }
    let dir = common::fresh_dir(0);
    let server = embedis_on(&dir).unwrap();
    let mut client = RawClient::connect(server.addr().port());
    for line in [
        "SET a 1",
        "RPUSH l x y z",
        "HSET h f v",
        "ZADD z 1 m",
        "SET t v EX 1000",
    ] {
        client.call(&words(line));
    }
    client.call(&words("SAVE"));
    server.stop();
    let good = std::fs::read(dir.join("dump.rdb")).unwrap();
    let mut variants: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [5, 9, 20, good.len() / 2, good.len() - 9, good.len() - 1] {
        variants.push((format!("cut at {cut}"), good[..cut].to_vec()));
    }
    for at in [3, 7, 12, good.len() / 2, good.len() - 3] {
        let mut changed = good.clone();
        changed[at] ^= 0x10;
        variants.push((format!("byte {at} changed"), changed));
    }
    let mut unchecked = good.clone();
    let len = unchecked.len();
    unchecked[len - 8..].fill(0);
    variants.push(("no checksum".into(), unchecked));
    // With `rdbchecksum no`, a checksum is not checked.
    let checks = [(true, &[][..]), (false, &["--rdbchecksum", "no"][..])];
    for (what, file) in variants {
        for (checksum, flags) in checks {
            std::fs::write(dir.join("dump.rdb"), &file).unwrap();
            let theirs = redis_accepts(&dir, flags);
            std::fs::write(dir.join("dump.rdb"), &file).unwrap();
            let mut config = Config::default().dir(&dir);
            config.rdbchecksum = checksum;
            let ours = Server::start_with(Store::new(), "127.0.0.1:0", config)
                .map(Server::stop)
                .is_ok();
            assert_eq!(
                ours,
                theirs,
                "{what} (rdbchecksum {checksum}): embedis {} where redis-server {}",
                verb(ours),
                verb(theirs)
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `rdbchecksum no` an RDB file ends with 0 where its CRC-64 would be, as redis-server's
/// does then; redis-server (checking) loads it.
#[test]
fn rdbchecksum_no_writes_no_checksum() {
    let Some(redis) = RedisServer::start_with(&["--rdbchecksum", "no"]) else {
        return;
    };
    let dir = common::fresh_dir(0);
    let mut config = Config::default().dir(&dir);
    config.rdbchecksum = false;
    let server = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let mut ours = RawClient::connect(server.addr().port());
    let mut theirs = redis.client();
    for line in ["SET a 1", "RPUSH l x y", "CONFIG GET rdbchecksum", "SAVE"] {
        assert_eq!(ours.call(&words(line)), theirs.call(&words(line)), "{line}");
    }
    server.stop();
    let ends = |file: std::path::PathBuf| {
        let file = std::fs::read(file).unwrap();
        file[file.len() - 9..].to_vec()
    };
    assert_eq!(ends(dir.join("dump.rdb")), [255, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(ends(dir.join("dump.rdb")), ends(redis.dir().join("dump.rdb")));
    assert!(redis_accepts(&dir, &[]));
    let _ = std::fs::remove_dir_all(&dir);
}

fn verb(accepted: bool) -> &'static str {
    if accepted { "loads it" } else { "refuses it" }
}

/// Every kind of write, each with the cases where Redis counts differently (nothing changed, one
/// per element, one per command), then the counter's resets.
const DIRTY_SCRIPT: &str = r##"
SET s v
SET s v NX
SET s w XX GET
SETNX s x
SETNX s2 x
SETEX se 100 v
PSETEX pe 100000 v
MSET a 1 b 2 c 3
MSETNX a 1 d 4
MSETNX d 4 e 5
INCR n
INCRBY n 5
DECR n
DECRBY n 2
INCRBYFLOAT f 1.5
INCR s
APPEND s more
APPEND s ""
SETRANGE s 0 ab
SETRANGE s 0 ""
SETRANGE missing 0 ""
GETSET s g
GETDEL s
GETDEL s
GETEX a
GETEX a EX 100
GETEX a PERSIST
GETEX a PERSIST
GETEX nokey EX 100
GET a
STRLEN a
DEL a b nokey
UNLINK c nokey2
EXISTS d e
EXPIRE d 100
EXPIRE d 100 NX
EXPIRE nokey 100
PEXPIRE d 100000 GT
EXPIREAT d 1
EXPIRE e -1
PERSIST e
PERSIST e
SET r1 v
RENAME r1 r2
RENAMENX r2 se
RENAMENX r2 r3
MOVE r3 5
MOVE nokey 5
COPY se se2
COPY se se2
SWAPDB 0 5
SWAPDB 0 5
TOUCH se pe
RPUSH l a b c d e f
LPUSH l x y
LPUSHX nol a b
RPUSHX l z
LINSERT l BEFORE a q
LINSERT l BEFORE nothere q
LSET l 0 w
LPOP l
LPOP l 2
RPOP l 3
LPOP nol 2
LTRIM l 0 1
LTRIM l 0 -1
RPUSH l a a b a
LREM l 0 a
LREM l 0 nothere
LMOVE l l2 LEFT RIGHT
RPOPLPUSH l2 l3
BLPOP l3 0
LMPOP 2 l l2 LEFT COUNT 5
RPUSH bl a
BRPOP bl 1
HSET h a 1 b 2 c 3
HSET h a 1
HMSET h d 4 e 5
HSETNX h a 1
HSETNX h z 1
HINCRBY h a 2
HINCRBYFLOAT h a 0.5
HDEL h a b nothere
HDEL h nothere
SADD st a b c d e f
SADD st a g
SREM st a b nothere
SREM st nothere
SMOVE st st2 c
SMOVE st st2 nothere
SMOVE st2 st c
SADD inter1 a b c
SADD inter2 b c d
SINTERSTORE dst inter1 inter2
SINTERSTORE dst inter1 nokey
SINTERSTORE dst inter1 nokey
SUNIONSTORE dst inter1 inter2
SDIFFSTORE dst inter1 inter2
SDIFFSTORE dst inter1 inter1
SDIFFSTORE dst inter1 inter1
SADD pop a b c d e f g
SPOP pop
SPOP pop 2
SPOP pop 0
SPOP pop 10
SPOP nokey
SRANDMEMBER st
ZADD z 1 a 2 b 3 c
ZADD z 1 a 5 b
ZADD z XX 7 nothere
ZADD z CH 9 a
ZADD z INCR 1 a
ZINCRBY z 2 b
ZREM z a nothere
ZREM z nothere
ZADD z 1 a 2 b 3 c 4 d 5 e 6 f 7 g
ZREMRANGEBYRANK z 0 1
ZREMRANGEBYSCORE z 3 4
ZREMRANGEBYSCORE z 100 200
ZREMRANGEBYLEX z - +
ZADD z 1 a 2 b 3 c 4 d
ZPOPMIN z
ZPOPMAX z 2
ZPOPMIN nokey
BZPOPMIN z 1
ZMPOP 1 z MIN COUNT 3
ZADD z1 1 a 2 b
ZADD z2 1 b 2 c
ZUNIONSTORE zd 2 z1 z2
ZINTERSTORE zd 2 z1 z2
ZINTERSTORE zd 2 z1 nokey
ZINTERSTORE zd 2 z1 nokey
ZDIFFSTORE zd 2 z1 z2
ZDIFFSTORE zd 2 z1 z1
ZRANGESTORE zd z1 0 -1
ZRANGESTORE zd z1 5 6
ZRANGESTORE zd z1 5 6
SETBIT bits 7 1
SETBIT bits 7 1
SETBIT bits 100 0
BITOP OR bo bits bits
BITOP AND bo nokey
BITOP AND bo nokey
BITFIELD bf SET u8 0 255 SET u8 0 255 INCRBY u8 8 1
BITFIELD bf GET u8 0
BITFIELD bf OVERFLOW FAIL INCRBY u8 0 1
BITFIELD_RO bf GET u8 0
PFADD hll a b c
PFADD hll a
PFADD hll2
PFADD hll2
PFCOUNT hll
PFCOUNT hll
PFCOUNT hll hll2
PFMERGE hll3 hll hll2
PFDEBUG TODENSE hll
PFDEBUG TODENSE hll
GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD g 13.361389 38.115556 Palermo
GEOSEARCHSTORE gd g FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE gd g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
GEOSEARCHSTORE gd g FROMLONLAT 0 0 BYRADIUS 1 km
GEOSEARCHSTORE gd g FROMLONLAT 0 0 BYRADIUS 1 km
GEORADIUS g 15 37 200 km STORE gd
SORT l3 ALPHA STORE sorted
RPUSH tosort 3 1 2
SORT tosort STORE sorted
SORT nokey STORE sorted
SORT nokey STORE sorted
XADD x 1-1 f v
XADD x 2-1 f v
XADD x MAXLEN 1 3-1 f v
XADD x 4-1 f v
XADD x 5-1 f v
XLEN x
XDEL x 4-1 99-1
XDEL x 99-1
XTRIM x MAXLEN 1
XTRIM x MAXLEN 1
XGROUP CREATE x g 0
XGROUP CREATECONSUMER x g alice
XGROUP CREATECONSUMER x g alice
XGROUP SETID x g 0
XADD x 6-1 f v
XREADGROUP GROUP g bob COUNT 10 STREAMS x >
XREADGROUP GROUP g bob COUNT 10 STREAMS x >
XREADGROUP GROUP g carol COUNT 10 STREAMS x 0
XREADGROUP GROUP g bob COUNT 10 STREAMS x 0
XACK x g 5-1 6-1 99-1
XACK x g 5-1
XADD x 7-1 f v
XREADGROUP GROUP g bob STREAMS x >
XCLAIM x g alice 0 7-1
XCLAIM x g alice 0 99-1
XAUTOCLAIM x g carol 0 0
XAUTOCLAIM x g carol 0 0 JUSTID
XINFO STREAM x
XGROUP DELCONSUMER x g bob
XGROUP DESTROY x g
XGROUP DESTROY x g
XSETID x 100-1
MULTI
SET m1 v
INCR m2
HSET mh a 1 b 2
EXEC
EVAL "redis.call('SET', KEYS[1], 'v'); return redis.call('SADD', KEYS[2], 'a', 'b', 'c')" 2 ev1 ev2
EVAL "return redis.call('GET', KEYS[1])" 1 ev1
FUNCTION LOAD "#!lua name=dirtylib\nredis.register_function('f', function(keys) return redis.call('INCR', keys[1]) end)"
FCALL f 1 fc
FUNCTION DELETE dirtylib
FUNCTION DELETE dirtylib
FUNCTION FLUSH
SET dumped v
DUMP dumped
RESTORE restored 0 "\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"
RESTORE restored 0 "\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce" REPLACE
RESTORE restored 0 "\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce"
SELECT 3
SET k v
FLUSHDB
FLUSHDB
SELECT 0
SET k v
FLUSHALL
FLUSHALL
SET k v
SAVE
SET k v
CONFIG SET save "3600 1"
SET k v
FLUSHALL
CONFIG SET save ""
"##;

/// The changes a server counted since its last save (INFO's `rdb_changes_since_last_save`).
fn changes_since_save(client: &mut RawClient) -> i64 {
    let info = client.call(&words("INFO persistence"));
    let info = String::from_utf8_lossy(&info);
    info.lines()
        .find_map(|line| line.strip_prefix("rdb_changes_since_last_save:"))
        .unwrap_or_else(|| panic!("no rdb_changes_since_last_save in {info}"))
        .trim()
        .parse()
        .unwrap()
}

#[cfg(feature = "lua")]
#[test]
fn writes_count_changes_as_redis_counts_them() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let dir = common::fresh_dir(0);
    let embedis = Server::start_with(Store::new(), "127.0.0.1:0", Config::default().dir(&dir).save("")).unwrap();
    let mut theirs = redis.client();
    let mut ours = RawClient::connect(embedis.addr().port());
    // Other clients read the counters (the script's clients may be inside MULTI).
    let (mut their_info, mut our_info) = (redis.client(), RawClient::connect(embedis.addr().port()));
    let mut mismatches = Vec::new();
    for line in DIRTY_SCRIPT.lines().filter(|l| !l.trim().is_empty()) {
        let argv = words(line);
        let before = (changes_since_save(&mut their_info), changes_since_save(&mut our_info));
        let replies = (theirs.call(&argv), ours.call(&argv));
        let after = (changes_since_save(&mut their_info), changes_since_save(&mut our_info));
        let counted = (after.0 - before.0, after.1 - before.1);
        if counted.0 != counted.1 || (after.0 == 0) != (after.1 == 0) {
            mismatches.push(format!(
                "{line}: redis counted {} (now {}), embedis {} (now {}); replies {:?} / {:?}",
                counted.0,
                after.0,
                counted.1,
                after.1,
                String::from_utf8_lossy(&replies.0),
                String::from_utf8_lossy(&replies.1)
            ));
        }
    }
    embedis.stop();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// INFO persistence's counter and LASTSAVE, read on one connection.
fn changes_and_last_save(client: &mut RawClient) -> (i64, Vec<u8>) {
    (changes_since_save(client), client.call(&words("LASTSAVE")))
}

/// A save point starts a background save by itself once enough changes and time passed.
#[test]
fn a_save_point_saves_in_the_background() {
    let dir = common::fresh_dir(0);
    let config = Config::default().dir(&dir).save("1 2");
    let server = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let mut client = RawClient::connect(server.addr().port());
    assert_eq!(
        client.call(&words("CONFIG GET save")),
        b"*2\r\n$4\r\nsave\r\n$3\r\n1 2\r\n"
    );
    client.call(&words("SET a 1"));
    // One change is below the point: nothing is saved however long it waits.
    std::thread::sleep(std::time::Duration::from_millis(2200));
    assert_eq!(changes_since_save(&mut client), 1);
    assert!(!dir.join("dump.rdb").exists());
    client.call(&words("SET b 2"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while changes_and_last_save(&mut client).0 != 0 {
        assert!(std::time::Instant::now() < deadline, "the save point never saved");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // CONFIG SET save "" turns the points off.
    assert_eq!(client.call(&words("CONFIG SET save \"\"")), b"+OK\r\n");
    server.stop();
    let again = Server::start_with(Store::new(), "127.0.0.1:0", Config::default().dir(&dir).save("")).unwrap();
    let mut client = RawClient::connect(again.addr().port());
    assert_eq!(client.call(&words("MGET a b")), b"*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    again.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// SHUTDOWN saves first when save points are set (or with SAVE), not with NOSAVE; a stop by
/// the application (or a signal) saves as a plain SHUTDOWN does; its bad forms answer as Redis's.
#[test]
fn shutdown_saves_as_redis_does() {
    let dir = common::fresh_dir(0);
    let start =
        |save: &str| Server::start_with(Store::new(), "127.0.0.1:0", Config::default().dir(&dir).save(save)).unwrap();
    let value_after_restart = |key: &str| {
        let server = start("");
        let value = RawClient::connect(server.addr().port()).call(&words(&format!("GET {key}")));
        server.stop();
        value
    };
    let shut = |server: &Server, line: &str| {
        let mut client = RawClient::connect(server.addr().port());
        client.send(&words(line));
        server.wait();
    };

    // Redis's defaults: points set, so a plain SHUTDOWN saves.
    let server = start("3600 1 300 100 60 10000");
    RawClient::connect(server.addr().port()).call(&words("SET k 1"));
    shut(&server, "SHUTDOWN");
    server.stop();
    assert_eq!(value_after_restart("k"), b"$1\r\n1\r\n");

    let server = start("3600 1");
    RawClient::connect(server.addr().port()).call(&words("SET k 2"));
    shut(&server, "SHUTDOWN NOSAVE");
    server.stop();
    assert_eq!(value_after_restart("k"), b"$1\r\n1\r\n", "NOSAVE: the change is lost");

    let server = start("");
    RawClient::connect(server.addr().port()).call(&words("SET k 3"));
    shut(&server, "SHUTDOWN");
    server.stop();
    assert_eq!(
        value_after_restart("k"),
        b"$1\r\n1\r\n",
        "no save points: nothing saved"
    );

    let server = start("");
    RawClient::connect(server.addr().port()).call(&words("SET k 4"));
    shut(&server, "SHUTDOWN SAVE NOW FORCE");
    server.stop();
    assert_eq!(value_after_restart("k"), b"$1\r\n4\r\n", "SAVE saves without points");

    let server = start("3600 1");
    RawClient::connect(server.addr().port()).call(&words("SET k 5"));
    server.stop();
    assert_eq!(
        value_after_restart("k"),
        b"$1\r\n5\r\n",
        "a stop saves as SHUTDOWN does"
    );

    // What does not shut down, compared with redis-server's answers.
    if let Some(redis) = RedisServer::start() {
        let server = start("");
        let mut ours = RawClient::connect(server.addr().port());
        let mut theirs = redis.client();
        for line in [
            "SHUTDOWN ABORT",
            "SHUTDOWN SAVE NOSAVE",
            "SHUTDOWN ABORT NOW",
            "SHUTDOWN BOGUS",
            "MULTI",
            "SHUTDOWN",
            "EXEC",
        ] {
            assert_eq!(ours.call(&words(line)), theirs.call(&words(line)), "{line}");
        }
        server.stop();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// BGSAVE saves the data as it was when it began, though clients write while it takes its
/// snapshot in steps: overwrites, deletes, new keys, TTLs and FLUSHDB of another database after
/// it began are not in the file, which redis-server loads to the digest taken at BGSAVE.
#[test]
fn a_background_save_is_the_data_as_it_began_while_clients_write() {
    let dir = common::fresh_dir(0);
    let server = embedis_on(&dir).unwrap();
    let mut client = RawClient::connect(server.addr().port());
    let lines: Vec<Vec<Vec<u8>>> = (0..200_000).map(|n| words(&format!("SET key:{n} value:{n}"))).collect();
    for batch in lines.chunks(1000) {
        client.pipeline(batch);
    }
    client.call(&words("SELECT 1"));
    client.call(&words("RPUSH other a b c"));
    client.call(&words("SELECT 0"));
    let digest = client.call(&words("DEBUG DIGEST"));
    assert_eq!(client.call(&words("BGSAVE")), b"+Background saving started\r\n");
    // Pipelined, so that they reach the store while the snapshot is taken (which steps each
    // met is up to the scheduler: `keyspace/snapshot.rs` tests every interleaving's kind).
    let writes: Vec<Vec<Vec<u8>>> = (0..20_000)
        .map(|n| {
            let key = n * 7 % 200_000;
            words(&match n % 5 {
                0 => format!("SET key:{key} changed"),
                1 => format!("DEL key:{key}"),
                2 => format!("SET new:{n} v"),
                3 => format!("EXPIRE key:{key} 1000"),
                _ => format!("APPEND key:{key} !"),
            })
        })
        .chain(["SELECT 1", "FLUSHDB", "SELECT 0"].map(words))
        .collect();
    for batch in writes.chunks(500) {
        client.pipeline(batch);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !String::from_utf8(client.call(&words("INFO persistence")))
        .unwrap()
        .contains("rdb_bgsave_in_progress:0")
    {
        assert!(std::time::Instant::now() < deadline, "BGSAVE never ended");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let info = String::from_utf8(client.call(&words("INFO persistence"))).unwrap();
    assert!(info.contains("rdb_last_bgsave_status:ok"), "{info}");
    let dir_arg = dir.display().to_string();
    let Some(loader) = RedisServer::start_loading(&["--dir", &dir_arg, "--dbfilename", "dump.rdb"]) else {
        return;
    };
    assert_eq!(loader.client().call(&words("DEBUG DIGEST")), digest);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `rdbcompression no`: strings go into DUMP payloads and RDB files uncompressed, as Redis writes
/// them then (the payloads byte for byte), and the file still loads in redis-server.
#[test]
fn rdbcompression_no_writes_strings_plain() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let dir = common::fresh_dir(0);
    let server = embedis_on(&dir).unwrap();
    let mut ours = RawClient::connect(server.addr().port());
    let mut theirs = redis.client();
    let long = "abc".repeat(40);
    for line in [
        format!("SET long {long}"),
        format!("RPUSH list {long} x"),
        format!("HSET hash {long} {long}"),
        "DUMP long".to_string(),
        "DUMP list".to_string(),
        "DUMP hash".to_string(),
        "CONFIG SET rdbcompression no".to_string(),
        "DUMP long".to_string(),
        "DUMP list".to_string(),
        "DUMP hash".to_string(),
        "CONFIG GET rdbcompression".to_string(),
    ] {
        let argv = words(&line);
        common::assert_same_bytes(&ours.call(&argv), &theirs.call(&argv), &line);
    }
    assert_eq!(ours.call(&words("SAVE")), b"+OK\r\n");
    let file = std::fs::read(dir.join("dump.rdb")).unwrap();
    assert!(
        file.windows(long.len()).any(|w| w == long.as_bytes()),
        "the string is in the file as it is"
    );
    let digest = ours.call(&words("DEBUG DIGEST"));
    server.stop();
    let dir_arg = dir.display().to_string();
    let loader = RedisServer::start_loading(&["--dir", &dir_arg, "--dbfilename", "dump.rdb"]).unwrap();
    assert_eq!(loader.client().call(&words("DEBUG DIGEST")), digest);
    let _ = std::fs::remove_dir_all(&dir);
}
