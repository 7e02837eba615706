//! INFO's commandstats and errorstats against redis-server: the same commands give the same
//! calls, rejected and failed calls, and error counts (times differ by nature and are masked).
#![cfg(all(feature = "server", feature = "lua"))]

mod common;

use common::{RawClient, RedisServer, Resp, words};
use embedis::server::Server;
use embedis::{Commands, Store};

/// A redis-server and an embedis-server side by side, or `None` (said loudly) without
/// redis-server.
fn both() -> Option<(RedisServer, Server)> {
    let redis = RedisServer::start()?;
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    Some((redis, server))
}

/// Sends `lines` on a fresh client of the server at `port`: each line with its reply's bytes.
fn replies(port: u16, lines: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut client = RawClient::connect(port);
    lines
        .iter()
        .map(|line| (line.to_string(), client.call(&words(line))))
        .collect()
}

/// Asserts that two transcripts of the same lines agree byte for byte, line by line.
fn assert_same_replies(ours: &[(String, Vec<u8>)], theirs: &[(String, Vec<u8>)]) {
    assert_eq!(ours.len(), theirs.len());
    for ((line, ours), (_, theirs)) in ours.iter().zip(theirs) {
        common::assert_same_bytes(ours, theirs, line);
    }
}

/// Runs the commands on a fresh client of the server at `port`, then answers the lines of INFO
/// `section`, sorted, with the times masked.
fn counted(port: u16, commands: &[&str], section: &str) -> Vec<String> {
    let mut client = RawClient::connect(port);
    client.call(&words("CONFIG RESETSTAT"));
    for line in commands {
        client.call(&words(line));
    }
    let info = client.call(&words(&format!("INFO {section}")));
    let text = String::from_utf8_lossy(&info).into_owned();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("cmdstat_") || l.starts_with("errorstat_") || l.starts_with("total_error_replies"))
        .filter(|l| !l.starts_with("cmdstat_config|resetstat") && !l.starts_with("cmdstat_info"))
        .map(|l| {
            l.split(',')
                .map(|field| match field.split_once('=') {
                    Some((name, _)) if name.ends_with("usec") || name == "usec_per_call" => format!("{name}=*"),
                    _ => field.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    lines.sort();
    lines
}

const COMMANDS: &[&str] = &[
    "SET a b",
    "INCR a",
    "GET",
    "GET a",
    "LPUSH a x",
    "NOSUCHCOMMAND",
    "MULTI",
    "SET n 1",
    "INCR a",
    "EXEC",
    "MULTI",
    "GET",
    "EXEC",
    "EXEC",
    "CONFIG SET busy-reply-threshold 5000",
    "EVAL \"return redis.call('GET', 'a')\" 0",
    "EVAL \"return redis.pcall('INCR', 'a')\" 0",
    "EVAL \"return redis.call('INCR', 'a')\" 0",
    "EVAL \"local r = redis.pcall('INCR', 'a') return 1\" 0",
    "EVAL \"return redis.error_reply('mine')\" 0",
    "EVAL \"error('boom')\" 0",
    "EVAL \"local t = redis.pcall('NOSUCH') local n = 0 for k in pairs(t) do n = n + 1 end return n\" 0",
    "MULTI",
    "EVAL \"return redis.call('INCR', 'a')\" 0",
    "EXEC",
    "WATCH a",
    "UNWATCH",
    "DISCARD",
    "HELLO 2",
    "SCRIPT KILL",
];

#[test]
fn commandstats_and_errorstats_count_as_redis_does() {
    let Some((redis, server)) = both() else { return };
    for section in ["commandstats", "errorstats", "stats"] {
        let theirs = counted(redis.port, COMMANDS, section);
        let ours = counted(server.addr().port(), COMMANDS, section);
        assert_eq!(ours, theirs, "INFO {section}");
    }
}

/// SLOWLOG against redis-server: the same entries (arguments as trimmed and redacted, client
/// names, the script's own client), newest first; ids, times and ports differ by nature.
#[test]
fn slowlog_logs_as_redis_does() {
    let Some((redis, server)) = both() else { return };
    let long = "A".repeat(130);
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let commands = [
        "CONFIG SET slowlog-max-len 50".to_string(),
        "CONFIG SET slowlog-log-slower-than 0".into(),
        "SLOWLOG RESET".into(),
        "CLIENT SETNAME logged".into(),
        "SET a 1".into(),
        "GET".into(),
        "AUTH secret".into(),
        "HELLO 2 AUTH default secret".into(),
        "CONFIG SET requirepass \"\"".into(),
        "MULTI".into(),
        "INCR a".into(),
        "EXEC".into(),
        "EVAL \"redis.call('SET', 'b', 1) return 1\" 0".into(),
        format!("SADD s {long}"),
        format!("SADD s {}", many.join(" ")),
        "ACL SETUSER \"slowlog test user\" +get".into(),
        "ACL SETUSER slowlog-user on >secret +get +set".into(),
        "ACL DELUSER slowlog-user".into(),
        "CONFIG SET slowlog-log-slower-than -1".into(),
    ];
    let entries = |port: u16| {
        let mut client = RawClient::connect(port);
        for line in &commands {
            client.call(&words(line));
        }
        let log = client.call(&words("SLOWLOG GET -1"));
        let len = client.call(&words("SLOWLOG LEN"));
        let Resp::Array(Some(entries)) = common::parse(&log) else {
            panic!("SLOWLOG GET answers an array");
        };
        let shown: Vec<String> = entries
            .into_iter()
            .map(|entry| {
                let Resp::Array(Some(fields)) = entry else {
                    panic!("an entry is an array")
                };
                let client = match &fields[4] {
                    Resp::Bulk(Some(addr)) if addr == b"?:0" => "script".to_string(),
                    _ => "client".to_string(),
                };
                format!("{:?} {client} {:?}", fields[3], fields[5])
            })
            .collect();
        (shown, len)
    };
    let (theirs, their_len) = entries(redis.port);
    let (ours, our_len) = entries(server.addr().port());
    assert_eq!(ours, theirs);
    common::assert_same_bytes(&our_len, &their_len, "SLOWLOG LEN");
}

/// A blocked command against redis-server: SLOWLOG logs it when it is served (after the command
/// that served it) or ended by CLIENT UNBLOCK (before it, without its arguments), not when it
/// blocks nor when it times out; commandstats counts it once, failed when CLIENT UNBLOCK ended
/// it, and CLIENT UNBLOCK … ERROR as failed too (its error went to the blocked client).
#[test]
fn slowlog_logs_a_blocked_command_when_it_is_served() {
    let Some((redis, server)) = both() else { return };
    let run = |port: u16| {
        let mut admin = RawClient::connect(port);
        admin.call(&words("CONFIG SET slowlog-log-slower-than 0"));
        admin.call(&words("CONFIG RESETSTAT"));
        let mut blocked: Vec<RawClient> = (0..4).map(|_| RawClient::connect(port)).collect();
        let ids: Vec<String> = blocked
            .iter_mut()
            .map(|c| {
                String::from_utf8_lossy(&c.call(&words("CLIENT ID"))[1..])
                    .trim()
                    .to_string()
            })
            .collect();
        admin.call(&words("SLOWLOG RESET"));
        let wait_blocked = |admin: &mut RawClient, n: usize| {
            for _ in 0..200 {
                let info = String::from_utf8_lossy(&admin.call(&words("INFO clients"))).into_owned();
                if info.contains(&format!("blocked_clients:{n}\r\n")) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            panic!("the clients did not block");
        };
        blocked[0].send(&words("BLPOP served 0"));
        blocked[1].send(&words("BLPOP timesout 0.05"));
        blocked[2].send(&words("BLPOP errored 0"));
        blocked[3].send(&words("BLPOP unblocked 0"));
        wait_blocked(&mut admin, 4);
        let mut replies = vec![admin.call(&words("RPUSH served x"))];
        replies.push(blocked[0].read());
        replies.push(blocked[1].read());
        replies.push(admin.call(&words(&format!("CLIENT UNBLOCK {} ERROR", ids[2]))));
        replies.push(blocked[2].read());
        replies.push(admin.call(&words(&format!("CLIENT UNBLOCK {}", ids[3]))));
        replies.push(blocked[3].read());
        admin.call(&words("CONFIG SET slowlog-log-slower-than 10000"));
        let Resp::Array(Some(entries)) = common::parse(&admin.call(&words("SLOWLOG GET -1"))) else {
            panic!("SLOWLOG GET answers an array");
        };
        let logged: Vec<String> = entries
            .into_iter()
            .map(|entry| match entry {
                // The arguments, client ids (which differ between the servers) masked.
                Resp::Array(Some(mut fields)) => match fields.swap_remove(3) {
                    Resp::Array(Some(args)) => args
                        .into_iter()
                        .map(|arg| match arg {
                            Resp::Bulk(Some(arg)) if ids.iter().any(|id| id.as_bytes() == arg) => "<id>".into(),
                            Resp::Bulk(Some(arg)) => String::from_utf8_lossy(&arg).into_owned(),
                            other => panic!("an argument is a bulk string: {other:?}"),
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    other => panic!("an entry's arguments are an array: {other:?}"),
                },
                other => panic!("an entry is an array: {other:?}"),
            })
            // How often the wait above looked is timing.
            .filter(|args| args != "INFO clients")
            .collect();
        let counted = common::stat_counts(&mut admin, |line| {
            ["cmdstat_blpop", "cmdstat_client|unblock", "errorstat_"]
                .iter()
                .any(|p| line.starts_with(p))
        });
        (replies, logged, counted)
    };
    let theirs = run(redis.port);
    let ours = run(server.addr().port());
    assert_eq!(ours, theirs);
}

/// LATENCY against redis-server where its answers do not depend on timing: the disabled
/// report, the errors, empty histories, resets, HELP, and which commands a histogram lists
/// with how many calls.
#[test]
fn latency_answers_as_redis_does() {
    let Some((redis, server)) = both() else { return };
    const LINES: &[&str] = &[
        "LATENCY DOCTOR",
        "LATENCY GRAPH command",
        "LATENCY HISTORY command",
        "LATENCY LATEST",
        "LATENCY RESET",
        "LATENCY RESET blabla",
        "LATENCY HELP",
        "LATENCY HELP x",
        "LATENCY NOSUCH",
        "CONFIG SET latency-monitor-threshold 200",
        "LATENCY DOCTOR",
        "CONFIG RESETSTAT",
        "SET a b",
        "SET c d",
        "CLIENT GETNAME",
        "GET a",
    ];
    let run = |port: u16| {
        let mut replies = replies(port, LINES);
        let mut client = RawClient::connect(port);
        for line in [
            "LATENCY HISTOGRAM",
            "LATENCY HISTOGRAM set client blabla",
            "LATENCY HISTOGRAM blabla",
        ] {
            let Resp::Array(Some(flat)) = common::parse(&client.call(&words(line))) else {
                panic!("{line}: an array");
            };
            // Each command with its calls; the histogram's buckets depend on timing.
            let mut shown: Vec<String> = flat
                .chunks(2)
                .map(|pair| {
                    let Resp::Array(Some(fields)) = &pair[1] else {
                        panic!("{line}: fields")
                    };
                    format!("{:?} {:?}={:?}", pair[0], fields[0], fields[1])
                })
                .collect();
            shown.sort();
            replies.push((line.to_string(), format!("{shown:?}").into_bytes()));
        }
        replies
    };
    assert_same_replies(&run(server.addr().port()), &run(redis.port));
}

/// CLIENT LIST and CLIENT INFO against redis-server: the same fields in the same order, and the
/// same values where they do not depend on the process (the query buffer holding the command
/// itself, 26 bytes, among them).
#[test]
fn client_list_fields_as_redis_gives_them() {
    let Some((redis, server)) = both() else { return };
    // Fields whose values belong to the process: ids, addresses, times, allocations.
    const VARYING: &[&str] = &[
        "id",
        "addr",
        "laddr",
        "fd",
        "age",
        "idle",
        "qbuf-free",
        "argv-mem",
        "rbs",
        "rbp",
        "tot-mem",
    ];
    let line = |port: u16, command: &str| {
        let mut client = RawClient::connect(port);
        client.call(&words("CLIENT SETNAME probe"));
        let reply = client.call(&words(command));
        let text = String::from_utf8_lossy(&reply).into_owned();
        let line = text
            .lines()
            .find(|l| l.contains("name=probe"))
            .unwrap_or_default()
            .to_string();
        line.split(' ')
            .map(|field| match field.split_once('=') {
                Some((name, _)) if VARYING.contains(&name) => format!("{name}=*"),
                _ => field.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    // The probe's line from each server, after each of `commands`.
    let same_lines = |commands: &[&str], of: &str| {
        for command in commands {
            assert_eq!(
                line(server.addr().port(), command),
                line(redis.port, command),
                "{command}{of}"
            );
        }
    };
    same_lines(&["CLIENT LIST", "CLIENT INFO"], "");
    // A subscriber's line, as another client sees it: its counts and the pubsub flag; its
    // type is pubsub, no longer normal.
    let subscriber = |port: u16| {
        let mut client = RawClient::connect(port);
        client.call(&words("CLIENT SETNAME probe"));
        client.call(&words("HELLO 3"));
        client.call(&words("SUBSCRIBE a b"));
        client.read();
        client.call(&words("PSUBSCRIBE p*"));
        client.call(&words("SSUBSCRIBE s"));
        client.call(&words("PING"));
        client
    };
    let (_theirs, _ours) = (subscriber(redis.port), subscriber(server.addr().port()));
    same_lines(
        &["CLIENT LIST", "CLIENT LIST TYPE pubsub", "CLIENT LIST TYPE normal"],
        "",
    );
    let killed = |port: u16| RawClient::connect(port).call(&words("CLIENT KILL TYPE pubsub"));
    assert_eq!(killed(server.addr().port()), killed(redis.port));
    // A client inside MULTI (flag x, its queued count), then one in MONITOR (flag O, a normal
    // client by type), as another client sees them.
    let in_multi = |port: u16| {
        let mut client = RawClient::connect(port);
        client.call(&words("CLIENT SETNAME probe"));
        client.call(&words("MULTI"));
        client.call(&words("SET a 1"));
        client.call(&words("INCR a"));
        client
    };
    let (theirs, ours) = (in_multi(redis.port), in_multi(server.addr().port()));
    same_lines(&["CLIENT LIST", "CLIENT LIST TYPE normal"], " of a client in MULTI");
    drop((theirs, ours));
    let monitor = |port: u16| {
        let mut client = RawClient::connect(port);
        client.call(&words("CLIENT SETNAME probe"));
        client.call(&words("MONITOR"));
        client
    };
    let (_theirs, _ours) = (monitor(redis.port), monitor(server.addr().port()));
    same_lines(
        &["CLIENT LIST", "CLIENT LIST TYPE normal", "CLIENT LIST TYPE replica"],
        " of a monitor",
    );
}

/// OBJECT FREQ and IDLETIME under an LFU policy and without one, against redis-server: a new
/// key's counter, its first certain step up, the policy changing under it, and the two errors.
#[test]
fn object_freq_follows_the_lfu_policy_as_redis_does() {
    let Some((redis, server)) = both() else { return };
    const LINES: &[&str] = &[
        "SET k v",
        "OBJECT FREQ k",
        "OBJECT FREQ missing",
        "CONFIG SET maxmemory-policy allkeys-lfu",
        "SET n v",
        "OBJECT FREQ n",
        // 5 -> 6 for sure (below 5 past the initial value, every access counts); from 6 on an
        // access counts with a probability of 1 in 11, in Redis as in embedis, so no further
        // access is compared.
        "GET n",
        "OBJECT FREQ n",
        "OBJECT IDLETIME n",
        "OBJECT IDLETIME missing",
        "CONFIG SET maxmemory-policy volatile-lfu",
        "OBJECT FREQ n",
        "CONFIG SET maxmemory-policy noeviction",
        "OBJECT FREQ n",
    ];
    assert_same_replies(&replies(server.addr().port(), LINES), &replies(redis.port, LINES));
}

/// CLIENT PAUSE against redis-server: the errors, reads that go on under WRITE (queued in MULTI
/// too), a write held until CLIENT UNPAUSE (counted in `blocked_clients` meanwhile), a
/// `no-writes` script let through, and keys past their TTL kept (but missing) until the pause
/// ends.
#[test]
fn client_pause_holds_what_redis_holds() {
    let Some((redis, server)) = both() else { return };
    let run = |port: u16| {
        let mut out = replies(
            port,
            &[
                "CLIENT PAUSE",
                "CLIENT PAUSE x",
                "CLIENT PAUSE -1",
                "CLIENT PAUSE 10 foo",
                "CLIENT PAUSE 10 write x",
                "SET ttl v PX 30",
                "SET x 1",
            ],
        );
        let mut pauser = RawClient::connect(port);
        let mut writer = RawClient::connect(port);
        let mut reader = RawClient::connect(port);
        out.push(("pause".into(), pauser.call(&words("CLIENT PAUSE 60000 WRITE"))));
        writer.send(&words("SET x 2"));
        let mut queuer = RawClient::connect(port);
        out.push(("MULTI".into(), queuer.call(&words("MULTI"))));
        queuer.send(&words("SET x 4"));
        std::thread::sleep(std::time::Duration::from_millis(100));
        for line in [
            "GET x",
            "GET ttl",
            "DBSIZE",
            "MULTI",
            "GET x",
            "DISCARD",
            "EVAL \"#!lua flags=no-writes\nreturn 1\" 0",
        ] {
            out.push((line.into(), reader.call(&words(line))));
        }
        let info = String::from_utf8_lossy(&reader.call(&words("INFO clients"))).into_owned();
        let blocked = info
            .lines()
            .find(|l| l.starts_with("blocked_clients"))
            .unwrap_or_default()
            .to_string();
        out.push(("blocked_clients".into(), blocked.into_bytes()));
        out.push(("unpause".into(), pauser.call(&words("CLIENT UNPAUSE"))));
        out.push(("the held write".into(), writer.read()));
        out.push(("the held queuing".into(), queuer.read()));
        out.push(("EXEC".into(), queuer.call(&words("EXEC"))));
        for line in ["GET x", "GET ttl", "DBSIZE"] {
            out.push((line.into(), reader.call(&words(line))));
        }
        out
    };
    assert_same_replies(&run(server.addr().port()), &run(redis.port));
}

/// In process, a write waits for a CLIENT PAUSE WRITE to end (typed calls and connections
/// alike) while reads go on.
#[test]
fn a_paused_store_holds_writes_in_process() {
    let store = Store::new();
    let server = Server::start(store.clone(), "127.0.0.1:0").expect("start embedis server");
    let mut pauser = RawClient::connect(server.addr().port());
    store.set("k", 1).unwrap();
    pauser.call(&words("CLIENT PAUSE 60000 WRITE"));
    let writer = store.clone();
    let held = std::thread::spawn(move || writer.incr("k"));
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(!held.is_finished(), "the write waits");
    assert_eq!(store.get_as::<i64>("k").unwrap(), 1, "reads go on");
    let mut conn = store.connect();
    let held_call = std::thread::spawn(move || conn.call(["INCRBY", "k", "10"]));
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(!held_call.is_finished(), "a connection's write waits too");
    assert_eq!(store.connect().call(["GET", "k"]), embedis::Reply::Bulk(b"1".to_vec()));
    pauser.call(&words("CLIENT UNPAUSE"));
    let (first, second) = (held.join().unwrap(), held_call.join().unwrap());
    let mut results = [
        first.unwrap(),
        match second {
            embedis::Reply::Integer(n) => n,
            other => panic!("INCRBY answered {other:?}"),
        },
    ];
    results.sort();
    assert!(
        results == [2, 12] || results == [11, 12],
        "both writes ran: {results:?}"
    );
}

/// In process, the typed transactions obey a CLIENT PAUSE as EXEC does in Redis: under WRITE, a
/// transaction that writes waits (with or without a WATCH, whether its commands take the
/// direct way or the command line's) while one that only reads runs; under ALL every one waits.
#[test]
fn a_paused_store_holds_typed_transactions_that_write() {
    let store = Store::new();
    let server = Server::start(store.clone(), "127.0.0.1:0").expect("start embedis server");
    let mut pauser = RawClient::connect(server.addr().port());
    store.set("k", 1).unwrap();
    // Under ALL the pausing client is held too (CLIENT UNPAUSE would wait, as in Redis): that
    // pause is short and ends by itself.
    let mut waits = |pause: &str, run: Box<dyn FnOnce(Store) -> i64 + Send>| {
        let millis = if pause == "ALL" { 400 } else { 60_000 };
        pauser.call(&words(&format!("CLIENT PAUSE {millis} {pause}")));
        let worker = store.clone();
        let held = std::thread::spawn(move || run(worker));
        std::thread::sleep(std::time::Duration::from_millis(100));
        let waited = !held.is_finished();
        if pause != "ALL" {
            pauser.call(&words("CLIENT UNPAUSE"));
        }
        (waited, held.join().unwrap())
    };
    let direct_incr: Box<dyn FnOnce(Store) -> i64 + Send> =
        Box::new(|s| s.multi().incr("k").exec_as::<(i64,)>().unwrap().unwrap().0);
    assert_eq!(waits("WRITE", direct_incr), (true, 2), "a direct INCR waits");
    let line_set: Box<dyn FnOnce(Store) -> i64 + Send> = Box::new(|s| {
        s.multi()
            .set("other", "x")
            .incr("k")
            .exec_as::<((), i64)>()
            .unwrap()
            .unwrap()
            .1
    });
    assert_eq!(
        waits("WRITE", line_set),
        (true, 3),
        "SET and INCR by command lines wait"
    );
    let watched: Box<dyn FnOnce(Store) -> i64 + Send> = Box::new(|s| {
        let watch = s.watch("k").unwrap();
        let k: i64 = watch.get_as("k").unwrap();
        watch.multi().incrby("k", k).exec_as::<(i64,)>().unwrap().unwrap().0
    });
    assert_eq!(waits("WRITE", watched), (true, 6), "a checked write waits");
    let read: Box<dyn FnOnce(Store) -> i64 + Send> =
        Box::new(|s| s.multi().get("k").exec_as::<(i64,)>().unwrap().unwrap().0);
    assert_eq!(waits("WRITE", read), (false, 6), "a read-only transaction runs");
    let read: Box<dyn FnOnce(Store) -> i64 + Send> =
        Box::new(|s| s.multi().get("k").exec_as::<(i64,)>().unwrap().unwrap().0);
    assert_eq!(waits("ALL", read), (true, 6), "every transaction waits under ALL");
}

/// The DEBUG subcommands embedis has, against redis-server: their arguments and errors, and
/// SET-ACTIVE-EXPIRE 0 leaving a key past its TTL in place (DBSIZE counts it) until a command
/// meets it.
#[test]
fn debug_answers_as_redis_does() {
    let Some((redis, server)) = both() else { return };
    let lines = [
        "DEBUG",
        "DEBUG NOSUCH",
        "DEBUG JMAP",
        "DEBUG SLEEP",
        "DEBUG SLEEP x",
        "DEBUG SLEEP 0.01abc",
        "DEBUG SLEEP 0 1",
        "DEBUG SET-ACTIVE-EXPIRE",
        "DEBUG SET-ACTIVE-EXPIRE 0 1",
        "DEBUG QUICKLIST-PACKED-THRESHOLD",
        "DEBUG QUICKLIST-PACKED-THRESHOLD x",
        "DEBUG QUICKLIST-PACKED-THRESHOLD -1",
        "DEBUG QUICKLIST-PACKED-THRESHOLD 4gb",
        "DEBUG QUICKLIST-PACKED-THRESHOLD 4293918720",
        "DEBUG QUICKLIST-PACKED-THRESHOLD 4293918721",
        "DEBUG QUICKLIST-PACKED-THRESHOLD 0",
        "DEBUG QUICKLIST-PACKED-THRESHOLD 1k",
        "DEBUG CHANGE-REPL-ID x",
        "DEBUG CHANGE-REPL-ID",
        "DEBUG SET-ACTIVE-EXPIRE 0x",
        "SET k v PX 1",
        "DEBUG SLEEP 0.02",
        "DBSIZE",
        "SET other v",
        "DBSIZE",
        "GET k",
        "DBSIZE",
        "DEBUG SET-ACTIVE-EXPIRE 1",
    ];
    let theirs = replies(redis.port, &lines);
    let ours = replies(server.addr().port(), &lines);
    assert_same_replies(&ours, &theirs);
}

/// INFO's replication IDs: 40 hex digits, the second all zeros, a new first after DEBUG
/// CHANGE-REPL-ID; the run ID stays for the server's life.
#[test]
fn replication_and_run_ids_are_redis_shaped() {
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    let mut client = RawClient::connect(server.addr().port());
    let field = |client: &mut RawClient, name: &str| {
        let info = client.call(&words("INFO"));
        let text = String::from_utf8_lossy(&info).into_owned();
        let value = text
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no {name} in INFO"))
            .to_string();
        assert_eq!(value.len(), 40, "{name}");
        assert!(value.bytes().all(|b| b.is_ascii_hexdigit()), "{name}: {value}");
        value
    };
    let c = &mut client;
    let (run_id, replid) = (field(c, "run_id"), field(c, "master_replid"));
    assert_eq!(field(c, "master_replid2"), "0".repeat(40));
    assert_eq!(field(c, "run_id"), run_id);
    assert_eq!(field(c, "master_replid"), replid);
    assert_eq!(c.call(&words("DEBUG CHANGE-REPL-ID")), b"+OK\r\n");
    assert_ne!(field(c, "master_replid"), replid);
    assert_eq!(field(c, "run_id"), run_id);
}
