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

/// Whether redis-server starts on `dir`'s dump.rdb (it exits when it refuses the file).
fn redis_accepts(dir: &std::path::Path) -> bool {
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
    for (what, file) in variants {
        std::fs::write(dir.join("dump.rdb"), &file).unwrap();
        let theirs = redis_accepts(&dir);
        std::fs::write(dir.join("dump.rdb"), &file).unwrap();
        let ours = embedis_on(&dir).map(Server::stop).is_ok();
        assert_eq!(
            ours,
            theirs,
            "{what}: embedis {} where redis-server {}",
            verb(ours),
            verb(theirs)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn verb(accepted: bool) -> &'static str {
    if accepted { "loads it" } else { "refuses it" }
}
