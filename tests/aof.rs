//! The append-only file against redis-server's: the same commands leave the same lines in both
//! files (times and generated IDs aside), redis-server loads embedis's AOF and embedis loads
//! redis-server's with the same data (DEBUG DIGEST), and a cut-off file loads as Redis loads it.
#![cfg(feature = "server")]

mod common;

use std::path::Path;

use common::{RawClient, RedisServer, words};
use embedis::server::{Config, Server};
use embedis::{Fsync, Store};

/// The commands of an AOF file, as text, with what differs between two runs made alike:
/// millisecond times near now (PXAT, PEXPIREAT, …) and the times in stream IDs.
fn commands_of(file: &Path) -> Vec<String> {
    let bytes = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let near_now = |word: &str| {
        let millis = word.split('-').next().unwrap_or(word);
        millis.len() == 13 && millis.parse::<i64>().is_ok_and(|ms| (ms - now).abs() < 3_600_000 * 24)
    };
    let mut commands = Vec::new();
    let mut at = 0;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let lines: Vec<&str> = text.split("\r\n").collect();
    while at < lines.len() && !lines[at].is_empty() {
        let count: usize = lines[at][1..].parse().unwrap();
        at += 1;
        let mut words = Vec::new();
        for _ in 0..count {
            let word = lines[at + 1];
            words.push(if near_now(word) {
                "<time>".to_string()
            } else {
                word.to_string()
            });
            at += 2;
        }
        commands.push(words.join(" "));
    }
    commands
}

/// Every kind of write, the writes Redis replays in another form among them.
const SCRIPT: &[&str] = &[
    "SET s v",
    "SET s v NX",
    "GET s",
    "SET e v EX 100",
    "SET e v PX 100000 GET",
    "SETEX se 100 v",
    "PSETEX pe 100000 v",
    "SET kt v KEEPTTL",
    "GETEX e EX 200",
    "GETEX e PERSIST",
    "GETDEL kt",
    "EXPIRE s 100",
    "PEXPIRE s 1000000 GT",
    "EXPIREAT s 1",
    "PERSIST e",
    "MSET a 1 b 2",
    "INCR n",
    "INCRBYFLOAT f 1.5",
    "APPEND a x",
    "DEL a b nothere",
    "SELECT 2",
    "SET in2 v",
    "SELECT 0",
    "RPUSH l a b c d",
    "LPOP l",
    "RPOP l 2",
    "BLPOP l 1",
    "RPUSH l2 x y",
    "BLMOVE l2 l3 LEFT RIGHT 1",
    "BRPOPLPUSH l2 l3 1",
    "LMPOP 1 l3 LEFT COUNT 2",
    "HSET h a 1 b 2",
    "HINCRBYFLOAT h a 0.5",
    "HDEL h b",
    "SADD st a b c",
    "SMOVE st st2 a",
    "ZADD z 1 a 2 b 3 c",
    "ZINCRBY z 2 a",
    "ZPOPMIN z",
    "BZPOPMAX z 1",
    "ZMPOP 1 z MIN",
    "XADD x 1-1 f v",
    "XADD x MAXLEN 5 2-1 f v",
    "XGROUP CREATE x g 0",
    "XREADGROUP GROUP g alice COUNT 1 STREAMS x >",
    "XACK x g 1-1",
    "XDEL x 2-1",
    "PFADD hll a b c",
    "PFCOUNT hll",
    "SETBIT bits 3 1",
    "GEOADD g 13.361389 38.115556 Palermo",
    "MULTI",
    "SET m1 v",
    "INCR m2",
    "EXEC",
    "MULTI",
    "INCR m2",
    "EXEC",
    "EVAL \"redis.call('SET', KEYS[1], 'v'); return redis.call('INCR', KEYS[2])\" 2 ev1 ev2",
    "EVAL \"return redis.call('INCR', KEYS[1])\" 1 ev2",
    "FUNCTION LOAD \"#!lua name=aoflib\\nredis.register_function('f', function(keys) return redis.call('INCR', keys[1]) end)\"",
    "FCALL f 1 fc",
    "RENAME ev1 ev3",
    "COPY ev3 ev4",
    "SWAPDB 0 1",
    "SWAPDB 0 1",
    "SADD sp1 a",
    "SPOP sp1",
    "SADD sp2 1 2",
    "SPOP sp2 5",
    "RESTORE rs 100000 \"\\x00\\x01v\\n\\x00\\x91\\x08\\xce\\xb2\\x198\\x8a\\xce\"",
    "RESTORE rs2 0 \"\\x00\\x01v\\n\\x00\\x91\\x08\\xce\\xb2\\x198\\x8a\\xce\"",
    "SET lz v PX 1",
    "DEBUG SLEEP 0.01",
    "GET lz",
    "EXPIRE rs2 -1",
    "DEBUG SET-ACTIVE-EXPIRE 0",
    "SET sc1 v PX 1",
    "DEBUG SLEEP 0.01",
    "SCAN 0 MATCH sc* COUNT 1000",
    "SET after-scan 1",
    "DEBUG SET-ACTIVE-EXPIRE 1",
    "SORT l3 ALPHA STORE sorted",
    "SINTERSTORE inter st2 st2",
    "PUBLISH channel message",
    "XADD y 1-1 a 1",
    "XADD y 2-1 a 2",
    "XADD y 3-1 a 3",
    "XGROUP CREATE y g 0",
    "XREADGROUP GROUP g alice COUNT 2 STREAMS y >",
    "XDEL y 1-1",
    "XCLAIM y g bob 0 1-1 2-1",
    "XAUTOCLAIM y g carol 0 0 COUNT 10",
    "XCLAIM y g bob 0 9-9 LASTID 3-1",
    "XADD y 4-1 a 4",
    "XREADGROUP GROUP g dave NOACK STREAMS y >",
    "XADD y 5-* a 5",
    "XADD y MAXLEN ~ 2 6-* a 6",
    "XTRIM y MAXLEN ~ 1",
    "XTRIM y MAXLEN 1",
    "FLUSHDB",
    "FLUSHALL",
];

fn embedis_with_aof(dir: &Path) -> Server {
    let config = Config::default().dir(dir).save("").appendonly(Fsync::Always);
    Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap()
}

#[cfg(feature = "lua")]
#[test]
fn the_same_writes_leave_the_same_lines_in_both_files() {
    let Some(redis) = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]) else {
        return;
    };
    let dir = common::fresh_dir(0);
    let embedis = embedis_with_aof(&dir);
    let mut theirs = redis.client();
    let mut ours = RawClient::connect(embedis.addr().port());
    for line in SCRIPT {
        let argv = words(line);
        let (a, b) = (theirs.call(&argv), ours.call(&argv));
        assert_eq!(
            String::from_utf8_lossy(&b),
            String::from_utf8_lossy(&a),
            "the replies to {line} differ"
        );
    }
    let incr = "appendonlydir/appendonly.aof.1.incr.aof";
    let (theirs, ours) = (commands_of(&redis.dir().join(incr)), commands_of(&dir.join(incr)));
    embedis.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let width = theirs.len().max(ours.len());
    let mismatch = (0..width).find(|&i| theirs.get(i) != ours.get(i));
    if let Some(i) = mismatch {
        let around = |lines: &[String]| lines[i.saturating_sub(3)..(i + 4).min(lines.len())].join("\n    ");
        panic!(
            "the files differ at command {i}:\n  redis-server:\n    {}\n  embedis:\n    {}",
            around(&theirs),
            around(&ours)
        );
    }
}

/// Writes of every type, with TTLs, in two databases, and a function library.
fn write_a_little_of_everything(client: &mut RawClient) {
    for line in [
        "SET s hello",
        "SET ttl v EX 1000",
        "INCRBYFLOAT f 2.5",
        "RPUSH l a b c 1 2 3",
        "LPOP l",
        "HSET h a 1 b 2",
        "SADD ints 1 2 3",
        "SADD words a b c",
        "SPOP words",
        "ZADD z 1 a 2.5 b -3 c",
        "XADD x 1-1 f v g w",
        "XADD x 2-5 f2 v2",
        "XGROUP CREATE x grp 0",
        "XREADGROUP GROUP grp alice COUNT 1 STREAMS x >",
        "PFADD hll a b c d",
        "SETBIT bits 100 1",
        "GEOADD g 13.361389 38.115556 Palermo",
        "SELECT 7",
        "SET other 1",
        "MULTI",
        "INCR counter",
        "INCR counter",
        "EXEC",
        "SELECT 0",
        "EVAL \"redis.call('SET', KEYS[1], 'x'); return redis.call('RPUSH', KEYS[2], 'y')\" 2 ev evl",
        "FUNCTION LOAD \"#!lua name=lib\\nredis.register_function('hello', function() return 'hi' end)\"",
    ] {
        let reply = client.call(&words(line));
        assert!(!reply.starts_with(b"-"), "{line}: {}", String::from_utf8_lossy(&reply));
    }
}

/// What both servers must agree on after loading an AOF.
fn describe(client: &mut RawClient) -> Vec<Vec<u8>> {
    [
        "DEBUG DIGEST",
        "DBSIZE",
        "FUNCTION LIST WITHCODE",
        "XINFO GROUPS x",
        "TTL ttl",
    ]
    .iter()
    .map(|line| client.call(&words(line)))
    .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

/// What redis-server has after loading the AOF in `dir` (a copy: it may rewrite the files).
fn redis_loading(dir: &Path) -> Vec<Vec<u8>> {
    let copy = common::fresh_dir(0);
    copy_dir(&dir.join("appendonlydir"), &copy.join("appendonlydir"));
    let dir_arg = copy.display().to_string();
    let loader = RedisServer::start_loading(&["--dir", &dir_arg, "--appendonly", "yes"]).unwrap();
    let loaded = describe(&mut loader.client());
    drop(loader);
    let _ = std::fs::remove_dir_all(&copy);
    loaded
}

/// What embedis-server has after loading the AOF in `dir` (a copy).
fn embedis_loading(dir: &Path) -> Vec<Vec<u8>> {
    let copy = common::fresh_dir(0);
    copy_dir(&dir.join("appendonlydir"), &copy.join("appendonlydir"));
    let loader = embedis_with_aof(&copy);
    let loaded = describe(&mut RawClient::connect(loader.addr().port()));
    loader.stop();
    let _ = std::fs::remove_dir_all(&copy);
    loaded
}

/// Both servers load either's AOF to the same data: compared loaded with loaded (an AOF does not
/// keep everything: a group's entries-read is not replayed, by Redis either), and the data's
/// digest with the writer's.
#[cfg(feature = "lua")]
#[test]
fn redis_loads_embedis_aof_and_embedis_loads_redis_aof() {
    let Some(source) = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]) else {
        return;
    };
    // redis-server writes; both load.
    write_a_little_of_everything(&mut source.client());
    let written = describe(&mut source.client());
    let by_redis = redis_loading(source.dir());
    assert_eq!(
        embedis_loading(source.dir()),
        by_redis,
        "embedis loaded redis-server's AOF"
    );
    assert_eq!(by_redis[0], written[0], "the digest of what was written");

    // embedis-server writes; both load.
    let dir = common::fresh_dir(0);
    let embedis = embedis_with_aof(&dir);
    let mut client = RawClient::connect(embedis.addr().port());
    write_a_little_of_everything(&mut client);
    let written_by_embedis = describe(&mut client);
    embedis.stop();
    let by_redis = redis_loading(&dir);
    assert_eq!(
        embedis_loading(&dir),
        by_redis,
        "embedis loaded its own AOF as redis-server does"
    );
    assert_eq!(by_redis[0], written_by_embedis[0], "redis-server loaded embedis's AOF");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The commands of a base file made comparable between two servers: each database's commands
/// sorted (keys come in each server's own order) and a hash table set's members sorted (Redis
/// keeps them in no order).
fn base_commands(file: &Path) -> Vec<Vec<String>> {
    let mut sections: Vec<Vec<String>> = vec![Vec::new()];
    for command in commands_of(file) {
        if command.starts_with("SELECT ") {
            sections.push(Vec::new());
        }
        let command = match command.strip_prefix("SADD ") {
            Some(args) => {
                let mut args: Vec<&str> = args.split(' ').collect();
                args[1..].sort_unstable();
                format!("SADD {}", args.join(" "))
            }
            None => command,
        };
        sections.last_mut().unwrap().push(command);
    }
    sections.iter_mut().for_each(|section| section.sort());
    sections
}

/// With `aof-use-rdb-preamble no` a rewrite's base is the commands that rebuild the data, as
/// redis-server writes it: the same files and manifest, the same commands (a stream's entries,
/// counters, groups, pending entries and idle consumers; collections in batches of 64; TTLs as
/// PEXPIREAT; function libraries), and each server loads the other's to the same data. CONFIG
/// SET aof-use-rdb-preamble yes brings the RDB base back, and `aof-timestamp-enabled` annotates
/// a base of commands.
#[cfg(feature = "lua")]
#[test]
fn a_base_of_commands_is_written_and_loaded_as_redis_writes_it() {
    let Some(redis) = RedisServer::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--aof-use-rdb-preamble",
        "no",
    ]) else {
        return;
    };
    let dir = common::fresh_dir(0);
    let mut config = Config::default().dir(&dir).save("").appendonly(Fsync::Always);
    config.aof_use_rdb_preamble = false;
    let embedis = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let mut theirs = redis.client();
    let mut ours = RawClient::connect(embedis.addr().port());
    let both = |theirs: &mut RawClient, ours: &mut RawClient, line: &str| {
        let argv = words(line);
        let (a, b) = (theirs.call(&argv), ours.call(&argv));
        assert_eq!(String::from_utf8_lossy(&b), String::from_utf8_lossy(&a), "{line}");
    };
    write_a_little_of_everything(&mut theirs);
    write_a_little_of_everything(&mut ours);
    let long_list: String = (0..150).map(|n| format!(" e{n}")).collect();
    for line in [
        // SPOP left each its own random two.
        "DEL words",
        "SADD words b a c",
        "SADD unordered 3 1 2",
        &format!("RPUSH long{long_list}"),
        "ZADD z inf top 0.1 tenth",
        "XADD x 3-0 f3 v3",
        "XDEL x 2-5",
        "XGROUP CREATECONSUMER x grp bob",
        "XREADGROUP GROUP grp carol STREAMS x >",
        "XGROUP CREATE x late $",
        "XADD empty 5-5 a b",
        "XDEL empty 5-5",
        "PEXPIREAT empty 99999999999999",
        "CONFIG GET aof-use-rdb-preamble",
        "BGREWRITEAOF",
    ] {
        both(&mut theirs, &mut ours, line);
    }
    wait_for_rewrites(&mut theirs);
    wait_for_rewrites(&mut ours);
    let aof_dir = |dir: &Path| dir.join("appendonlydir");
    assert_eq!(layout(&aof_dir(&dir)), layout(&aof_dir(redis.dir())));
    let base = "appendonly.aof.2.base.aof";
    assert_eq!(
        base_commands(&aof_dir(&dir).join(base)),
        base_commands(&aof_dir(redis.dir()).join(base))
    );
    let written = describe(&mut ours);
    assert_eq!(written, describe(&mut theirs), "both wrote the same data");
    let by_redis = redis_loading(&dir);
    assert_eq!(
        by_redis[0], written[0],
        "redis-server loaded embedis's base of commands"
    );
    assert_eq!(
        embedis_loading(&dir),
        by_redis,
        "embedis loaded its own as redis-server does"
    );
    assert_eq!(embedis_loading(redis.dir()), by_redis, "embedis loaded redis-server's");

    // Annotated with the time; then an RDB base again.
    both(&mut theirs, &mut ours, "CONFIG SET aof-timestamp-enabled yes");
    both(&mut theirs, &mut ours, "BGREWRITEAOF");
    wait_for_rewrites(&mut theirs);
    wait_for_rewrites(&mut ours);
    for dir in [&dir, redis.dir()] {
        let base = std::fs::read(aof_dir(dir).join("appendonly.aof.3.base.aof")).unwrap();
        assert!(base.starts_with(b"#TS:"), "{}", String::from_utf8_lossy(&base[..20]));
    }
    both(&mut theirs, &mut ours, "CONFIG SET aof-use-rdb-preamble yes");
    both(&mut theirs, &mut ours, "BGREWRITEAOF");
    wait_for_rewrites(&mut theirs);
    wait_for_rewrites(&mut ours);
    assert_eq!(layout(&aof_dir(&dir)), layout(&aof_dir(redis.dir())));
    assert!(layout(&aof_dir(&dir)).1.contains("appendonly.aof.4.base.rdb"));
    both(&mut theirs, &mut ours, "DEBUG LOADAOF");
    assert_eq!(describe(&mut ours), written, "the RDB base loads back");
    embedis.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// What a background save or rewrite in progress answers, with `rdb-key-save-delay` making them
/// last (a tenth of a second per key, as Redis's child waits): BGREWRITEAOF during a BGSAVE is
/// scheduled, then runs once the save ended — with no AOF kept as well, its base alone; during
/// it BGREWRITEAOF is refused and BGSAVE refused unless SCHEDULE'd; INFO says what is in
/// progress at each step; the files left are the same as redis-server's.
#[test]
fn a_slow_background_save_and_rewrite_answer_as_redis_does() {
    let Some((redis, dir, embedis, mut theirs, mut ours)) = beside_redis(&[]) else {
        return;
    };
    let in_progress = |client: &mut RawClient| -> Vec<String> {
        let info = String::from_utf8(client.call(&words("INFO persistence"))).unwrap();
        info.lines()
            .filter(|line| {
                [
                    "rdb_bgsave_in_progress:",
                    "aof_rewrite_in_progress:",
                    "aof_rewrite_scheduled:",
                ]
                .iter()
                .any(|field| line.starts_with(field))
            })
            .map(str::to_owned)
            .collect()
    };
    let both = |theirs: &mut RawClient, ours: &mut RawClient, line: &str| {
        let argv = words(line);
        let (a, b) = (theirs.call(&argv), ours.call(&argv));
        assert_eq!(String::from_utf8_lossy(&b), String::from_utf8_lossy(&a), "{line}");
        assert_eq!(in_progress(ours), in_progress(theirs), "after {line}");
    };
    let wait_idle = |client: &mut RawClient| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while in_progress(client).iter().any(|line| line.ends_with(":1")) {
            assert!(std::time::Instant::now() < deadline, "still in progress");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    for line in [
        "MSET a 1 b 2 c 3 d 4 e 5",
        "CONFIG SET rdb-key-save-delay 100000",
        "BGSAVE",
        "BGSAVE",
        "BGREWRITEAOF",
        "BGREWRITEAOF",
    ] {
        both(&mut theirs, &mut ours, line);
    }
    // The save ends and the rewrite (the base alone: no AOF is kept) starts after it.
    let started = |client: &mut RawClient| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !in_progress(client).contains(&"aof_rewrite_in_progress:1".to_owned()) {
            assert!(std::time::Instant::now() < deadline, "the rewrite never started");
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    started(&mut theirs);
    started(&mut ours);
    for line in ["BGREWRITEAOF", "BGSAVE", "BGSAVE SCHEDULE"] {
        both(&mut theirs, &mut ours, line);
    }
    wait_idle(&mut theirs);
    wait_idle(&mut ours);
    both(&mut theirs, &mut ours, "CONFIG SET rdb-key-save-delay 0");
    assert_eq!(
        layout(&dir.join("appendonlydir")),
        layout(&redis.dir().join("appendonlydir"))
    );
    assert!(dir.join("dump.rdb").exists());
    embedis.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A last command cut off is dropped (and the file cut back) with `aof-load-truncated yes`, as
/// Redis does; a MULTI without its EXEC at the end is reverted; a damaged middle stops the start.
#[test]
fn a_cut_off_aof_loads_as_redis_loads_it() {
    let dir = common::fresh_dir(0);
    let server = embedis_with_aof(&dir);
    let mut client = RawClient::connect(server.addr().port());
    client.call(&words("SET a 1"));
    client.call(&words("SET b 2"));
    server.stop();
    let incr = dir.join("appendonlydir/appendonly.aof.1.incr.aof");
    let whole = std::fs::read(&incr).unwrap();
    // Half of a third command, then a MULTI left open.
    let mut cut = whole.clone();
    cut.extend_from_slice(b"*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1");
    std::fs::write(&incr, &cut).unwrap();
    let server = embedis_with_aof(&dir);
    let mut client = RawClient::connect(server.addr().port());
    assert_eq!(
        client.call(&words("MGET a b c")),
        b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n"
    );
    server.stop();
    assert_eq!(std::fs::read(&incr).unwrap(), whole, "the cut-off end was cut away");

    let mut open_multi = whole.clone();
    open_multi.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n");
    std::fs::write(&incr, &open_multi).unwrap();
    let server = embedis_with_aof(&dir);
    assert_eq!(
        RawClient::connect(server.addr().port()).call(&words("EXISTS c")),
        b":0\r\n"
    );
    server.stop();
    assert_eq!(std::fs::read(&incr).unwrap(), whole, "the open MULTI was cut away");

    // Without aof-load-truncated, a cut-off end stops the start.
    std::fs::write(&incr, &cut).unwrap();
    let mut config = Config::default().dir(&dir).save("").appendonly(Fsync::Always);
    config.aof_load_truncated = false;
    let refused = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap_err();
    assert!(refused.to_string().contains("Unexpected end of file"), "{refused}");

    // A damaged command in the middle stops it whatever the setting.
    let mut damaged = b"*2\r\n+OK\r\n".to_vec();
    damaged.extend_from_slice(&whole);
    std::fs::write(&incr, &damaged).unwrap();
    let refused = Server::start_with(
        Store::new(),
        "127.0.0.1:0",
        Config::default().dir(&dir).appendonly(Fsync::No),
    )
    .unwrap_err();
    assert!(
        refused
            .to_string()
            .starts_with("Bad file format reading the append only file"),
        "{refused}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A redis-server (started with `extra`) and an embedis-server persisting in a fresh directory
/// (no save points), each with a client: (redis-server, the directory, embedis-server, its
/// client, embedis's client).
fn beside_redis(extra: &[&str]) -> Option<(RedisServer, std::path::PathBuf, Server, RawClient, RawClient)> {
    let redis = RedisServer::start_with(extra)?;
    let dir = common::fresh_dir(0);
    let config = Config::default().dir(&dir).save("");
    let embedis = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let theirs = redis.client();
    let ours = RawClient::connect(embedis.addr().port());
    Some((redis, dir, embedis, theirs, ours))
}

/// Waits until the server has no AOF rewrite running or scheduled (redis-server's run in a
/// child process; embedis's are done when the command answers).
fn wait_for_rewrites(client: &mut RawClient) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let info = String::from_utf8(client.call(&words("INFO persistence"))).unwrap();
        if info.contains("aof_rewrite_in_progress:0") && info.contains("aof_rewrite_scheduled:0") {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the rewrite never ended");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// The files of an AOF directory and its manifest.
fn layout(dir: &Path) -> (Vec<String>, String) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let manifest = std::fs::read_to_string(dir.join("appendonly.aof.manifest")).unwrap_or_default();
    (names, manifest)
}

/// BGREWRITEAOF, CONFIG SET appendonly yes/no and appendfsync leave the directory as
/// redis-server's: the same files and manifests, step by step; DEBUG LOADAOF loads it back.
#[test]
fn rewrites_and_switching_the_aof_on_and_off_leave_redis_files() {
    let Some((redis, dir, embedis, mut theirs, mut ours)) = beside_redis(&["--appendfsync", "always"]) else {
        return;
    };
    let steps = [
        "SET a 1",
        "BGREWRITEAOF",
        "CONFIG SET appendonly yes",
        "SET b 2",
        "CONFIG SET appendfsync everysec",
        "BGREWRITEAOF",
        "SET c 3",
        "CONFIG SET appendfsync always",
        "DEBUG LOADAOF",
        "MGET a b c",
        "CONFIG SET appendonly no",
        "SET d 4",
        "CONFIG GET appendonly",
        "CONFIG GET appendfsync",
    ];
    for step in steps {
        let argv = words(step);
        assert_eq!(
            String::from_utf8_lossy(&ours.call(&argv)),
            String::from_utf8_lossy(&theirs.call(&argv)),
            "{step}"
        );
        wait_for_rewrites(&mut theirs);
        wait_for_rewrites(&mut ours);
        assert_eq!(
            layout(&dir.join("appendonlydir")),
            layout(&redis.dir().join("appendonlydir")),
            "after {step}"
        );
    }
    let info = String::from_utf8(ours.call(&words("INFO persistence"))).unwrap();
    assert!(
        info.contains("aof_enabled:0") && info.contains("aof_rewrites:3"),
        "{info}"
    );
    embedis.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `appendfsync always`: a write acknowledged is on disk. The server process is killed (SIGKILL)
/// in the middle of a stream of acknowledged INCRs from several clients; started again on its
/// directory, it has every acknowledged increment (and at most the in-flight ones besides).
#[test]
fn a_killed_server_keeps_every_acknowledged_write() {
    let dir = common::fresh_dir(0);
    let port = common::free_port();
    let start = || common::spawn_embedis_server_with_aof(env!("CARGO_BIN_EXE_embedis-server"), port, &dir);
    let mut server = start();
    let acknowledged = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let writers: Vec<_> = (0..4)
        .map(|_| {
            let acknowledged = std::sync::Arc::clone(&acknowledged);
            std::thread::spawn(move || {
                let Ok(stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
                    return;
                };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut writer = stream;
                loop {
                    use std::io::{BufRead, Write};
                    if writer.write_all(b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n").is_err() {
                        return;
                    }
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(n) if n > 0 && line.starts_with(':') => {
                            acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    while acknowledged.load(std::sync::atomic::Ordering::SeqCst) < 300 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.kill().unwrap();
    server.wait().unwrap();
    for writer in writers {
        writer.join().unwrap();
    }
    let acknowledged = acknowledged.load(std::sync::atomic::Ordering::SeqCst);
    let mut server = start();
    let reply = RawClient::connect(port).call(&words("GET n"));
    let kept: u64 = String::from_utf8_lossy(&reply)
        .lines()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        (acknowledged..=acknowledged + 4).contains(&kept),
        "{acknowledged} increments acknowledged, {kept} kept"
    );
}

/// `auto-aof-rewrite-percentage` and `auto-aof-rewrite-min-size`: once the AOF is past the
/// minimum size and has grown by the percentage since it was opened or last rewritten, the
/// store rewrites it by itself (INFO's `aof_rewrites`, a new base file in the manifest); a
/// percentage of 0 never does.
#[test]
fn the_aof_is_rewritten_by_itself_once_it_grew_enough() {
    let dir = common::fresh_dir(1);
    let embedis = embedis_with_aof(&dir);
    let mut ours = RawClient::connect(embedis.addr().port());
    let rewrites = |client: &mut RawClient| {
        String::from_utf8(client.call(&words("INFO persistence")))
            .unwrap()
            .lines()
            .find_map(|line| line.strip_prefix("aof_rewrites:").map(str::to_owned))
            .unwrap_or_default()
    };
    let write_a_lot = |client: &mut RawClient, round: usize| {
        let lines: Vec<Vec<Vec<u8>>> = (0..2000)
            .map(|n| words(&format!("SET key:{round}:{n} some-value-{n}")))
            .collect();
        client.pipeline(&lines);
    };
    assert_eq!(
        ours.call(&words("CONFIG SET auto-aof-rewrite-percentage 0")),
        b"+OK\r\n"
    );
    assert_eq!(ours.call(&words("CONFIG SET auto-aof-rewrite-min-size 0")), b"+OK\r\n");
    write_a_lot(&mut ours, 1);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(rewrites(&mut ours), "0", "a percentage of 0 never rewrites");
    assert_eq!(
        ours.call(&words("CONFIG SET auto-aof-rewrite-percentage 100")),
        b"+OK\r\n"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while rewrites(&mut ours) != "1" {
        assert!(std::time::Instant::now() < deadline, "the AOF was never rewritten");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (_, manifest) = layout(&dir.join("appendonlydir"));
    assert!(manifest.contains("appendonly.aof.2.base"), "{manifest}");
    // Just rewritten, it has not grown since: no second rewrite.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(rewrites(&mut ours), "1");
    embedis.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `aof-timestamp-enabled yes`: a `#TS:<unix time>` annotation goes before the first write of
/// each second, as redis-server writes it (its files compared line by line, the times masked),
/// and the annotated file loads back.
#[test]
fn timestamp_annotations_as_redis_writes_them() {
    let Some(redis) = RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", "always"]) else {
        return;
    };
    let dir = common::fresh_dir(2);
    let embedis = embedis_with_aof(&dir);
    let mut theirs = redis.client();
    let mut ours = RawClient::connect(embedis.addr().port());
    let both = |theirs: &mut RawClient, ours: &mut RawClient, line: &str| {
        assert_eq!(theirs.call(&words(line)), ours.call(&words(line)), "{line}");
    };
    // Just past a second's start, so that the writes meant for one second fall in it.
    let next_second = || {
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(
            1050 - u64::from(since.subsec_millis()),
        ));
    };
    both(&mut theirs, &mut ours, "CONFIG SET aof-timestamp-enabled yes");
    next_second();
    both(&mut theirs, &mut ours, "SET a 1");
    next_second();
    both(&mut theirs, &mut ours, "SET b 2");
    both(&mut theirs, &mut ours, "SET c 3");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let shape = |file: &Path| -> Vec<String> {
        let text = String::from_utf8(std::fs::read(file).unwrap()).unwrap();
        text.split("\r\n")
            .filter(|line| !line.is_empty())
            .map(|line| match line.strip_prefix("#TS:") {
                Some(time) => {
                    let time: u64 = time.parse().unwrap();
                    assert!(now.abs_diff(time) < 10, "{time} is not now");
                    "#TS".to_owned()
                }
                None => line.to_owned(),
            })
            .collect()
    };
    let incr = "appendonlydir/appendonly.aof.1.incr.aof";
    let (theirs_lines, ours_lines) = (shape(&redis.dir().join(incr)), shape(&dir.join(incr)));
    assert_eq!(ours_lines, theirs_lines);
    assert_eq!(
        ours_lines.iter().filter(|line| *line == "#TS").count(),
        2,
        "{ours_lines:?}"
    );
    // It loads back, annotations skipped.
    assert_eq!(ours.call(&words("DEBUG LOADAOF")), b"+OK\r\n");
    assert_eq!(
        ours.call(&words("MGET a b c")),
        b"*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    embedis.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// An AOF of the single-file layout of Redis before 7.0 (`<dir>/appendonly.aof`, no AOF
/// directory) is moved into the directory as its base, with a manifest naming it, loaded, and
/// appended to: the same files, manifest and data as redis-server makes of it.
#[test]
fn an_old_single_file_aof_is_upgraded_as_redis_upgrades_it() {
    let old: &[u8] = b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\nx\r\n$1\r\ny\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n";
    let (theirs_dir, ours_dir) = (common::fresh_dir(3), common::fresh_dir(4));
    for dir in [&theirs_dir, &ours_dir] {
        std::fs::write(dir.join("appendonly.aof"), old).unwrap();
    }
    let dir_arg = theirs_dir.display().to_string();
    let Some(redis) = RedisServer::start_loading(&["--dir", &dir_arg, "--appendonly", "yes"]) else {
        return;
    };
    let embedis = embedis_with_aof(&ours_dir);
    let mut theirs = redis.client();
    let mut ours = RawClient::connect(embedis.addr().port());
    assert_eq!(describe(&mut ours), describe(&mut theirs));
    for client in [&mut theirs, &mut ours] {
        assert_eq!(client.call(&words("SET after-upgrade 1")), b"+OK\r\n");
    }
    let (their_files, ours_files) = (
        layout(&theirs_dir.join("appendonlydir")),
        layout(&ours_dir.join("appendonlydir")),
    );
    assert_eq!(ours_files, their_files);
    assert!(
        !ours_dir.join("appendonly.aof").exists(),
        "moved into the AOF directory"
    );
    let incr = "appendonlydir/appendonly.aof.1.incr.aof";
    assert_eq!(commands_of(&ours_dir.join(incr)), commands_of(&theirs_dir.join(incr)));
    embedis.stop();
    drop(redis);
    for dir in [theirs_dir, ours_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// BGREWRITEAOF takes its base in steps while clients write: what they write meanwhile goes to
/// the new incremental file, so the AOF loads back (in redis-server too) to the data as it is
/// after all of it. A BGREWRITEAOF during a background save waits for it (scheduled), and a
/// BGSAVE during a rewrite is refused unless scheduled, with Redis's replies.
#[test]
fn a_background_rewrite_keeps_what_clients_write_meanwhile() {
    let dir = common::fresh_dir(0);
    let config = Config::default()
        .dir(&dir)
        .save("")
        .appendonly(embedis::Fsync::EverySec);
    let embedis = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let mut ours = RawClient::connect(embedis.addr().port());
    let fill: Vec<Vec<Vec<u8>>> = (0..100_000).map(|n| words(&format!("SET key:{n} {n}"))).collect();
    for batch in fill.chunks(1000) {
        ours.pipeline(batch);
    }
    let reply = ours.call(&words("BGREWRITEAOF"));
    assert_eq!(reply, b"+Background append only file rewriting started\r\n");
    // Setting appendonly to what it is changes nothing (the rewrite goes on).
    assert_eq!(ours.call(&words("CONFIG SET appendonly yes")), b"+OK\r\n");
    let writes: Vec<Vec<Vec<u8>>> = (0..10_000)
        .map(|n| words(&format!("INCRBY key:{} 1000000", n * 9 % 100_000)))
        .chain((0..1000).map(|n| words(&format!("DEL key:{n}"))))
        .collect();
    for batch in writes.chunks(500) {
        ours.pipeline(batch);
    }
    wait_for_rewrites(&mut ours);
    let info = String::from_utf8(ours.call(&words("INFO persistence"))).unwrap();
    assert!(
        info.contains("aof_rewrites:1") && info.contains("aof_last_bgrewrite_status:ok"),
        "{info}"
    );
    let digest = ours.call(&words("DEBUG DIGEST"));
    let manifest = std::fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap();
    assert!(manifest.contains("appendonly.aof.2.base.rdb"), "{manifest}");
    assert!(
        !manifest.contains(".1.incr.aof"),
        "the old incremental file went: {manifest}"
    );
    assert_eq!(ours.call(&words("DEBUG LOADAOF")), b"+OK\r\n");
    assert_eq!(
        ours.call(&words("DEBUG DIGEST")),
        digest,
        "the AOF loads back to the same data"
    );

    // A rewrite waits for a background save; a save waits for a rewrite only when scheduled.
    assert_eq!(ours.call(&words("BGSAVE")), b"+Background saving started\r\n");
    let info = ours.call(&words("INFO persistence"));
    if String::from_utf8_lossy(&info).contains("rdb_bgsave_in_progress:1") {
        assert_eq!(
            ours.call(&words("BGREWRITEAOF")),
            b"+Background append only file rewriting scheduled\r\n"
        );
    }
    wait_for_rewrites(&mut ours);
    embedis.stop();

    let dir_arg = dir.display().to_string();
    let Some(redis) = RedisServer::start_loading(&["--dir", &dir_arg, "--appendonly", "yes"]) else {
        return;
    };
    assert_eq!(
        redis.client().call(&words("DEBUG DIGEST")),
        digest,
        "redis-server loads it"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// CONFIG SET appendonly yes takes the AOF's first base in steps as BGREWRITEAOF does: writes
/// made meanwhile are in the new incremental file, and the AOF loads back to the data after
/// all of them.
#[test]
fn turning_the_aof_on_keeps_what_clients_write_meanwhile() {
    let dir = common::fresh_dir(0);
    let config = Config::default().dir(&dir).save("");
    let embedis = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let mut ours = RawClient::connect(embedis.addr().port());
    let fill: Vec<Vec<Vec<u8>>> = (0..100_000).map(|n| words(&format!("SET key:{n} {n}"))).collect();
    for batch in fill.chunks(1000) {
        ours.pipeline(batch);
    }
    assert_eq!(ours.call(&words("CONFIG SET appendonly yes")), b"+OK\r\n");
    let writes: Vec<Vec<Vec<u8>>> = (0..10_000)
        .map(|n| words(&format!("INCRBY key:{} 5", n * 7 % 100_000)))
        .collect();
    for batch in writes.chunks(500) {
        ours.pipeline(batch);
    }
    wait_for_rewrites(&mut ours);
    let digest = ours.call(&words("DEBUG DIGEST"));
    assert_eq!(ours.call(&words("DEBUG LOADAOF")), b"+OK\r\n");
    assert_eq!(ours.call(&words("DEBUG DIGEST")), digest);
    let (files, manifest) = layout(&dir.join("appendonlydir"));
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(manifest.contains("appendonly.aof.1.base.rdb") && manifest.contains("appendonly.aof.1.incr.aof"));
    embedis.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
