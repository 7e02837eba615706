//! Cluster mode against a real redis-server started with `--cluster-enabled yes` and owning every
//! slot: routing (CROSSSLOT in every family, in MULTI, in scripts; CLUSTERDOWN for slots nobody
//! serves), the commands refused in cluster mode, CLUSTER's subcommands; the typed API's errors.

mod common;

use embedis::{CommandError, Commands, Reply, Store, key_slot};

macro_rules! cluster_differential {
    ($clients:expr) => {
        match common::Differential::new_cluster($clients) {
            Some(d) => d,
            None => return,
        }
    };
}

/// Multi-key commands of every family: refused when their keys span slots, served when a hash
/// tag puts them in one.
#[test]
fn multi_key_commands_answer_crossslot_like_redis() {
    let mut d = cluster_differential!(1);
    d.script(
        r#"
        MSET a 1 b 2
        MSET {t}a 1 {t}b 2
        MGET a b
        MGET {t}a {t}b
        MGET a a
        MSETNX x 1 y 2
        DEL a b
        DEL {t}a {t}b
        EXISTS a b
        UNLINK a b
        TOUCH a b
        SET a 1
        RENAME a b
        RENAME a {a}b
        RENAMENX a b
        COPY {a}b c
        COPY {a}b {a}c
        RPUSH l1 x
        LMOVE l1 l2 LEFT RIGHT
        RPOPLPUSH l1 l2
        LMPOP 2 l1 l2 LEFT
        BLMPOP 0 2 l1 l2 LEFT
        BLPOP l1 l2 0
        BRPOPLPUSH l1 l2 0
        SADD s1 a
        SINTER s1 s2
        SUNIONSTORE d s1 s2
        SMOVE s1 s2 a
        SINTERCARD 2 s1 s2
        ZADD z1 1 a
        ZUNIONSTORE d 2 z1 z2
        ZINTER 2 z1 z2
        ZRANGESTORE d z1 0 -1
        ZDIFF 2 z1 z2
        BZPOPMIN z1 z2 0
        XREAD STREAMS s1 s2 0 0
        PFCOUNT h1 h2
        PFMERGE h1 h2
        BITOP AND d a b
        GEORADIUS g 0 0 1 km STORE d
        SORT l1 STORE d
        LCS a b
        SMISMEMBER s1 a b
        HSET h a 1 b 2
        HMGET h a b
        DEL x y {t}a {t}b l1 s1 z1 h
        "#,
    );
}

/// A command refused for its slots inside MULTI dooms the transaction (EXECABORT at EXEC); a
/// queue whose commands each keep to one slot but not to the same one is refused at EXEC.
#[test]
fn transactions_keep_to_one_slot_like_redis() {
    let mut d = cluster_differential!(2);
    d.script(
        r#"
        MULTI
        SET a 1
        SET b 2
        EXEC
        GET a
        MULTI
        MSET a 1 b 2
        SET a 1
        EXEC
        MULTI
        SET {u}a 1
        INCR {u}b
        GET {u}a
        EXEC
        MULTI
        PING
        EXEC
        WATCH a b
        WATCH {u}a
        MULTI
        SET {u}a 2
        EXEC
        WATCH {u}a
        1> SET {u}a 3
        MULTI
        SET b 1
        SET {u}a 4
        EXEC
        GET {u}a
        MULTI
        SET a 1
        NOSUCH
        SET b 1
        EXEC
        "#,
    );
}

/// SELECT of another database, MOVE, SWAPDB, COPY … DB and SORT's BY and GET are refused in
/// cluster mode, with Redis's errors and in Redis's order of checks.
#[test]
fn commands_refused_in_cluster_mode_like_redis() {
    let mut d = cluster_differential!(1);
    d.script(
        r#"
        SELECT 0
        SELECT 1
        SELECT 99
        SELECT -1
        SELECT x
        SET a 1
        MOVE a 1
        MOVE a x
        SWAPDB 0 1
        SWAPDB x y
        COPY a {a}b DB 1
        COPY a {a}b DB 99
        COPY a {a}b DB 0
        COPY a {a}c DB x
        RPUSH l 3 1 2
        SORT l
        SORT l BY nosort
        SORT l BY w_*
        SORT l GET #
        SORT l LIMIT 0 1 GET x BY w_*
        SORT_RO l BY w_*
        "#,
    );
}

/// CLUSTER's subcommands that read the keyspace or check arguments, and what happens when a
/// slot is left unserved (and served again), compared with Redis's replies.
#[test]
fn cluster_subcommands_and_unserved_slots_like_redis() {
    let mut d = cluster_differential!(1);
    d.script(
        r#"
        CLUSTER KEYSLOT foo
        CLUSTER KEYSLOT {user1000}.following
        CLUSTER KEYSLOT foo{}{bar}
        CLUSTER KEYSLOT
        SET foo 1
        SET {foo}bar 2
        SET other 3
        CLUSTER COUNTKEYSINSLOT 12182
        CLUSTER COUNTKEYSINSLOT 0
        CLUSTER COUNTKEYSINSLOT 16384
        CLUSTER COUNTKEYSINSLOT -1
        CLUSTER COUNTKEYSINSLOT x
        CLUSTER GETKEYSINSLOT 12182 0
        CLUSTER GETKEYSINSLOT 12182 -1
        CLUSTER GETKEYSINSLOT 16384 1
        CLUSTER GETKEYSINSLOT x 1
        CLUSTER GETKEYSINSLOT 1 x
        CLUSTER FLUSHSLOTS
        CLUSTER ADDSLOTS 1
        CLUSTER ADDSLOTS x
        CLUSTER ADDSLOTS 16384
        CLUSTER ADDSLOTSRANGE 1 2 3
        CLUSTER ADDSLOTSRANGE 2 1
        CLUSTER DELSLOTS 12182 12182
        CLUSTER DELSLOTS 12182
        CLUSTER DELSLOTS 12182
        GET foo
        MGET foo {foo}bar
        GET other
        PING
        CLUSTER ADDSLOTS 12182 12182
        CLUSTER ADDSLOTSRANGE 12182 12182
        GET foo
        CLUSTER DELSLOTSRANGE 5 7 9 9
        CLUSTER DELSLOTSRANGE 5 7
        CLUSTER ADDSLOTSRANGE 5 7 9 9
        CLUSTER ADDSLOTSRANGE 5 7 7 8
        CLUSTER ADDSLOTSRANGE 5 7
        GET foo
        CLUSTER SET-CONFIG-EPOCH -1
        CLUSTER SET-CONFIG-EPOCH x
        CLUSTER COUNT-FAILURE-REPORTS nosuch
        CLUSTER REPLICAS nosuch
        CLUSTER SLAVES nosuch
        CLUSTER FORGET nosuch
        CLUSTER REPLICATE nosuch
        CLUSTER FAILOVER
        CLUSTER FAILOVER FORCE
        CLUSTER FAILOVER TAKEOVER
        CLUSTER FAILOVER x
        CLUSTER FAILOVER a b
        CLUSTER SETSLOT 1 STABLE
        CLUSTER SETSLOT 1 NODE nosuch
        CLUSTER SETSLOT x STABLE
        CLUSTER SETSLOT 1 MIGRATING nosuch
        CLUSTER SETSLOT 1 IMPORTING nosuch
        CLUSTER SETSLOT 1 foo
        CLUSTER SETSLOT 1 STABLE x
        CLUSTER RESET x
        CLUSTER RESET a b
        CLUSTER RESET
        CLUSTER NOSUCH
        CLUSTER LINKS
        READONLY
        READWRITE
        ASKING
        READONLY x
        SSUBSCRIBE a b
        SPUBLISH a hello
        SPUBLISH {a}b hello
        "#,
    );
}

/// A node's id, port and epochs are its own: CLUSTER MYID, NODES, SLOTS, SHARDS and INFO of
/// embedis-server are compared with Redis's after each side's id and port are swapped for
/// placeholders, in RESP2 and RESP3, as slots are given up and epochs bumped.
#[cfg(feature = "server")]
#[test]
fn cluster_describes_the_node_like_redis() {
    let Some(redis) = common::RedisServer::start_cluster() else {
        return;
    };
    let server = embedis::server::Server::start(Store::builder().cluster_enabled(true).build(), "127.0.0.1:0").unwrap();
    let mut sides = [
        (redis.client(), redis.port),
        (common::RawClient::connect(server.addr().port()), server.addr().port()),
    ];
    let id_of = common::node_id;
    let ids = [id_of(&mut sides[0].0), id_of(&mut sides[1].0)];
    type Sides = [(common::RawClient, u16); 2];
    fn run(sides: &mut Sides, line: &str, ids: &[String; 2]) -> [String; 2] {
        let mut out = [String::new(), String::new()];
        for (i, (client, port)) in sides.iter_mut().enumerate() {
            let reply = String::from_utf8_lossy(&client.call(&common::words(line))).into_owned();
            out[i] = reply
                .replace(&ids[i], "<id>")
                .replace(&(u32::from(*port) + 10000).to_string(), "<bus port>")
                .replace(&port.to_string(), "<port>");
        }
        out
    }
    fn same(sides: &mut Sides, line: &str, ids: &[String; 2]) {
        let [theirs, ours] = run(sides, line, ids);
        assert_eq!(ours, theirs, "{line}");
    }
    for protocol in ["2", "3"] {
        run(&mut sides, &format!("HELLO {protocol}"), &ids);
        for line in [
            "CLUSTER INFO",
            "CLUSTER NODES",
            "CLUSTER SLOTS",
            "CLUSTER SHARDS",
            "CLUSTER LINKS",
        ] {
            same(&mut sides, line, &ids);
        }
    }
    run(&mut sides, "HELLO 2", &ids);
    same(&mut sides, "CLUSTER DELSLOTS 0 5 6 7 16383", &ids);
    for line in ["CLUSTER INFO", "CLUSTER NODES", "CLUSTER SLOTS", "CLUSTER SHARDS"] {
        same(&mut sides, line, &ids);
    }
    for line in [
        "CLUSTER BUMPEPOCH",
        "CLUSTER BUMPEPOCH",
        "CLUSTER SET-CONFIG-EPOCH 5",
        "CLUSTER INFO",
        "CLUSTER NODES",
    ] {
        same(&mut sides, line, &ids);
    }
    // Naming the node itself.
    for sub in [
        "COUNT-FAILURE-REPORTS",
        "REPLICAS",
        "SLAVES",
        "FORGET",
        "REPLICATE",
        "SETSLOT 0 NODE",
    ] {
        let mut replies = [0, 1].into_iter().map(|i| {
            let line = format!("CLUSTER {sub} {}", ids[i]);
            String::from_utf8_lossy(&sides[i].0.call(&common::words(&line))).into_owned()
        });
        let (theirs, ours) = (replies.next().unwrap(), replies.next().unwrap());
        assert_eq!(ours, theirs, "{sub}");
    }
    same(&mut sides, "CLUSTER SLOTS", &ids);
    // With full coverage not required, a node missing slots is up; CONFIG SET applies at once.
    same(&mut sides, "CLUSTER INFO", &ids);
    same(&mut sides, "CONFIG SET cluster-require-full-coverage no", &ids);
    // Redis updates its cluster state on its next cron tick (embedis at once).
    let tick = || std::thread::sleep(std::time::Duration::from_millis(500));
    tick();
    same(&mut sides, "GET foo", &ids);
    same(&mut sides, "CONFIG SET cluster-require-full-coverage yes", &ids);
    tick();
    same(&mut sides, "GET foo", &ids);
    same(&mut sides, "CONFIG SET cluster-allow-reads-when-down yes", &ids);
    tick();
    same(&mut sides, "GET foo", &ids);
    same(&mut sides, "SET foo 1", &ids);
    same(&mut sides, "CONFIG SET cluster-allow-reads-when-down no", &ids);
    // A reset empties the slots; a hard one also zeroes the epochs and draws a new id.
    same(&mut sides, "FLUSHALL", &ids);
    same(&mut sides, "CLUSTER RESET HARD", &ids);
    let new_ids = [id_of(&mut sides[0].0), id_of(&mut sides[1].0)];
    assert_ne!(new_ids, ids);
    for line in ["CLUSTER INFO", "CLUSTER NODES", "CLUSTER SLOTS", "INFO cluster"] {
        same(&mut sides, line, &new_ids);
    }
    same(&mut sides, "CONFIG GET cluster-enabled", &new_ids);
}

/// Outside cluster mode CLUSTER, READONLY, READWRITE and ASKING answer Redis's error (after the
/// arity check of the subcommand).
#[test]
fn cluster_commands_outside_cluster_mode_like_redis() {
    let mut d = differential!(1);
    d.script(
        r#"
        CLUSTER INFO
        CLUSTER KEYSLOT a
        CLUSTER KEYSLOT
        CLUSTER HELP
        CLUSTER NOSUCH
        CLUSTER
        READONLY
        READWRITE
        ASKING
        MSET a 1 b 2
        "#,
    );
}

/// Scripts: declared keys in different slots are refused before the script runs; a script with
/// a shebang (and every function) keeps to one slot unless it declares `allow-cross-slot-keys`;
/// `no-cluster` scripts do not run.
#[cfg(feature = "lua")]
#[test]
fn scripts_keep_to_one_slot_like_redis() {
    let mut d = cluster_differential!(1);
    let eval = |d: &mut common::Differential, body: &str, keys: &[&str]| {
        let mut argv = vec![
            b"EVAL".to_vec(),
            body.as_bytes().to_vec(),
            keys.len().to_string().into_bytes(),
        ];
        argv.extend(keys.iter().map(|k| k.as_bytes().to_vec()));
        d.check_argv(0, &argv, common::Order::Exact);
    };
    eval(&mut d, "return 1", &["a", "b"]);
    eval(&mut d, "return 1", &["{a}x", "{a}y"]);
    eval(
        &mut d,
        "redis.call('set','a','1'); return redis.call('set','b','1')",
        &[],
    );
    eval(
        &mut d,
        "#!lua\nredis.call('set','a','1'); return redis.call('set','b','1')",
        &[],
    );
    eval(&mut d, "#!lua\nreturn redis.call('set','b','1')", &["a"]);
    eval(&mut d, "#!lua\nreturn redis.call('set','{a}b','1')", &["a"]);
    eval(&mut d, "#!lua\nreturn redis.call('mset','a','1','b','2')", &[]);
    eval(&mut d, "#!lua\nreturn redis.pcall('mset','a','1','b','2')", &[]);
    eval(
        &mut d,
        "#!lua flags=allow-cross-slot-keys\nredis.call('set','a','1'); return redis.call('set','b','1')",
        &[],
    );
    eval(&mut d, "#!lua flags=no-cluster\nreturn 1", &[]);
    eval(&mut d, "#!lua flags=no-cluster,no-writes\nreturn 1", &[]);
    d.check_argv(
        0,
        &[
            b"FUNCTION".to_vec(),
            b"LOAD".to_vec(),
            b"#!lua name=lib\nredis.register_function('cross', function() redis.call('set','a','1'); return redis.call('set','b','1') end)\n\
              redis.register_function{function_name='allowed', callback=function() redis.call('set','a','1'); return redis.call('set','b','1') end, flags={'allow-cross-slot-keys'}}\n\
              redis.register_function{function_name='nocluster', callback=function() return 1 end, flags={'no-cluster'}}"
                .to_vec(),
        ],
        common::Order::Exact,
    );
    d.script("FCALL cross 0\nFCALL allowed 0\nFCALL nocluster 0\nFCALL cross 2 a b");
}

#[test]
fn key_slot_is_redis_cluster_keyslot() {
    let Some(redis) = common::RedisServer::start_cluster() else {
        return;
    };
    let mut client = redis.client();
    for key in [
        "",
        "a",
        "foo",
        "{",
        "}",
        "{}",
        "a{b}c",
        "{a}{b}",
        "a{}b{c}",
        "user:{1001}:x",
        "\u{e9}t\u{e9}",
    ] {
        let reply = client.call(&[b"CLUSTER".to_vec(), b"KEYSLOT".to_vec(), key.as_bytes().to_vec()]);
        assert_eq!(reply, format!(":{}\r\n", key_slot(key)).into_bytes(), "{key:?}");
    }
}

/// The typed API: a cross-slot request is [`CommandError::CrossSlot`] — a command, a
/// transaction, an `atomic` call that strays from its first key's slot.
#[test]
fn the_typed_api_reports_cross_slot_requests() {
    let store = Store::builder().cluster_enabled(true).build();
    assert_eq!(store.mset([("a", "1"), ("b", "2")]), Err(CommandError::CrossSlot));
    store.mset([("{u}a", "1"), ("{u}b", "2")]).unwrap();
    assert_eq!(store.mget(["{u}a", "{u}b"]).unwrap().len(), 2);

    // A transaction: refused at EXEC when its commands' slots differ, nothing run.
    let replies = store.multi().set("a", "x").set("b", "y").exec();
    assert_eq!(replies, Err(CommandError::CrossSlot));
    assert_eq!(store.get("a").unwrap(), None);
    // A command that spans slots by itself dooms it while queuing.
    let replies = store.multi().cmd(["MSET", "a", "1", "b", "2"]).set("a", "x").exec();
    assert_eq!(replies, Err(CommandError::ExecAbort));
    let replies = store.multi().incr("{u}n").incr("{u}n").exec().unwrap().unwrap();
    assert_eq!(replies, [Ok(Reply::Integer(1)), Ok(Reply::Integer(2))]);

    // `atomic` keeps to the slot of the first key it reaches, and rolls back on the error.
    let outcome = store.atomic(|db| {
        db.set("{u}c", "1")?;
        db.set("elsewhere", "1")
    });
    assert_eq!(outcome, Err(CommandError::CrossSlot));
    assert_eq!(store.exists(["{u}c"]).unwrap(), 0);
    store
        .atomic(|db| db.incr("{u}c").and_then(|_| db.incr("{u}d")))
        .unwrap();

    // Only database 0.
    let mut conn = store.connect();
    let Reply::Error(refused) = conn.call(["SELECT", "1"]) else {
        panic!("SELECT 1 refused in cluster mode");
    };
    assert_eq!(refused.to_string(), "ERR SELECT is not allowed in cluster mode");
    assert_eq!(
        store.cmd::<i64>(["CLUSTER", "KEYSLOT", "{u}"]).unwrap(),
        i64::from(key_slot("u"))
    );
}

/// A three-node cluster in this process against three redis-servers joined by `redis-cli
/// --cluster create`: the same requests to the same nodes get the same replies once node
/// addresses and ids are named by their index — MOVED for a slot another node serves, then, while
/// a slot moves (SETSLOT IMPORTING / MIGRATING, MIGRATE, SETSLOT NODE), ASK for keys already
/// gone, TRYAGAIN for a request whose keys are split, ASKING on the importing node for one
/// request, and MOVED again once the move is done.
#[cfg(feature = "server")]
#[test]
fn a_resharding_redirects_like_a_redis_cluster() {
    let Some(redis) = common::RedisServer::start_cluster_of_three() else {
        return;
    };
    let ours = embedis::server::LocalCluster::start(3).unwrap();
    let ports = [
        redis.iter().map(|node| node.port).collect::<Vec<_>>(),
        ours.servers()
            .iter()
            .map(|server| server.addr().port())
            .collect::<Vec<_>>(),
    ];
    let mut clients: Vec<Vec<common::RawClient>> = ports
        .iter()
        .map(|ports| ports.iter().map(|&port| common::RawClient::connect(port)).collect())
        .collect();
    let ids: Vec<Vec<String>> = clients
        .iter_mut()
        .map(|nodes| nodes.iter_mut().map(common::node_id).collect())
        .collect();
    // Runs `line` on node `node` of both clusters ("{idN}" and "{portN}" in it are node N's)
    // and compares the replies with ids and addresses named by node.
    let mut step = |node: usize, line: &str| {
        let replies: Vec<String> = (0..2)
            .map(|side| {
                let mut line = line.to_string();
                for n in 0..3 {
                    line = line.replace(&format!("{{id{n}}}"), &ids[side][n]);
                    line = line.replace(&format!("{{port{n}}}"), &ports[side][n].to_string());
                }
                let reply = clients[side][node].call(&common::words(&line));
                let mut reply = String::from_utf8_lossy(&reply).into_owned();
                for n in 0..3 {
                    reply = reply.replace(&ids[side][n], &format!("<id{n}>"));
                    reply = reply.replace(&format!("127.0.0.1:{}", ports[side][n]), &format!("<node{n}>"));
                    reply = reply.replace(&format!("\r\n:{}\r\n", ports[side][n]), &format!("\r\n:<port{n}>\r\n"));
                }
                if line == "CLUSTER SHARDS" {
                    // Redis lists the shards in the order of its node table's hashing.
                    let mut shards: Vec<&str> = reply.split("*4\r\n$5\r\nslots\r\n").collect();
                    shards.sort_unstable();
                    reply = shards.join("|");
                }
                reply
            })
            .collect();
        assert_eq!(replies[1], replies[0], "node {node}: {line}");
    };
    // "foo" and "{foo}x" are in slot 12182, which the third node serves.
    step(0, "SET foo bar");
    step(0, "GET foo");
    step(2, "SET foo bar");
    step(2, "SET {foo}x 1");
    step(1, "MGET foo {foo}x");
    step(2, "MGET foo {foo}x");
    step(2, "CLUSTER COUNTKEYSINSLOT 12182");
    // Errors of SETSLOT against the real nodes.
    step(0, "CLUSTER SETSLOT 12182 MIGRATING {id2}");
    step(2, "CLUSTER SETSLOT 12182 IMPORTING {id0}");
    step(2, "CLUSTER SETSLOT 12182 MIGRATING nosuch");
    step(2, "CLUSTER SETSLOT 12182 NODE {id0}");
    // The move starts: node 0 imports, node 2 migrates.
    step(0, "CLUSTER SETSLOT 12182 IMPORTING {id2}");
    step(2, "CLUSTER SETSLOT 12182 MIGRATING {id0}");
    step(2, "GET foo");
    step(2, "GET {foo}gone");
    step(2, "MGET foo {foo}gone");
    step(2, "MIGRATE 127.0.0.1 {port0} foo 0 5000");
    step(2, "MIGRATE 127.0.0.1 {port0} foo 0 5000");
    step(2, "GET foo");
    step(2, "MGET foo {foo}x");
    step(0, "GET foo");
    step(0, "ASKING");
    step(0, "GET foo");
    step(0, "GET foo");
    step(0, "ASKING");
    step(0, "MGET foo {foo}x");
    step(0, "ASKING");
    step(0, "MGET foo {foo}gone");
    step(2, "MIGRATE 127.0.0.1 {port0} \"\" 0 5000 KEYS {foo}x");
    step(2, "CLUSTER COUNTKEYSINSLOT 12182");
    step(0, "ASKING");
    step(0, "MGET foo {foo}x");
    // Done: the slot is node 0's.
    step(2, "CLUSTER SETSLOT 12182 NODE {id0}");
    step(0, "CLUSTER SETSLOT 12182 NODE {id0}");
    step(2, "GET foo");
    step(0, "GET foo");
    step(0, "MGET foo {foo}x");
    step(0, "CLUSTER SLOTS");
    step(1, "CLUSTER SHARDS");
    step(0, "CLUSTER COUNTKEYSINSLOT 12182");
    // MIGRATE's own errors.
    step(0, "MIGRATE 127.0.0.1 {port1} foo 0 5000 KEYS a");
    step(0, "MIGRATE 127.0.0.1 {port1} \"\" 0 5000 KEYS");
    step(0, "MIGRATE 127.0.0.1 {port1} foo x 5000");
    step(0, "MIGRATE 127.0.0.1 {port1} foo 0 5000 BADOPT");
    step(0, "MIGRATE 127.0.0.1 {port1} nosuch{foo} 0 5000");
}

/// Redis's own resharding tool works on a `LocalCluster`: `redis-cli --cluster reshard` moves
/// 200 slots and their keys from one node to another (SETSLOT, GETKEYSINSLOT, MIGRATE … KEYS,
/// SETSLOT NODE), `redis-cli --cluster check` finds every slot covered and every node agreeing,
/// and no key is lost.
#[cfg(feature = "server")]
#[test]
fn redis_cli_reshards_a_local_cluster() {
    if !common::on_path("redis-cli") {
        common::skip("redis-cli is not on PATH (apt-get install redis-tools)");
        return;
    }
    let cluster = embedis::server::LocalCluster::start(3).unwrap();
    let ports: Vec<u16> = cluster.servers().iter().map(|s| s.addr().port()).collect();
    let mut nodes: Vec<common::RawClient> = ports.iter().map(|&p| common::RawClient::connect(p)).collect();
    let ids: Vec<String> = nodes.iter_mut().map(common::node_id).collect();
    // Each key written on the node serving its slot (the slots split as `--cluster create`).
    let owner = |slot: u16| match slot {
        0..=5460 => 0,
        5461..=10922 => 1,
        _ => 2,
    };
    for i in 0..1000 {
        let key = format!("key:{i}");
        let reply = nodes[owner(key_slot(&key))].call(&common::words(&format!("SET {key} {i}")));
        assert_eq!(reply, b"+OK\r\n");
    }
    let on_node0 = (0..1000).filter(|i| key_slot(format!("key:{i}")) < 200).count();
    let reshard = std::process::Command::new("redis-cli")
        .args(["--cluster", "reshard", &format!("127.0.0.1:{}", ports[0])])
        .args([
            "--cluster-from",
            &ids[0],
            "--cluster-to",
            &ids[1],
            "--cluster-slots",
            "200",
            "--cluster-yes",
        ])
        .output()
        .unwrap();
    assert!(reshard.status.success(), "{}", String::from_utf8_lossy(&reshard.stderr));
    let check = std::process::Command::new("redis-cli")
        .args(["--cluster", "check", &format!("127.0.0.1:{}", ports[2])])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(report.contains("All nodes agree about slots configuration"), "{report}");
    assert!(report.contains("All 16384 slots covered"), "{report}");
    assert!(
        report.contains("slots:[0-199],[5461-10922] (5662 slots) master"),
        "{report}"
    );
    let count = |client: &mut common::RawClient, line: &str| -> usize {
        let reply = String::from_utf8(client.call(&common::words(line))).unwrap();
        reply.trim_start_matches(':').trim().parse().unwrap()
    };
    let total: usize = nodes.iter_mut().map(|node| count(node, "DBSIZE")).sum();
    assert_eq!(total, 1000, "no key lost");
    let moved: usize = (0..200)
        .map(|slot| count(&mut nodes[1], &format!("CLUSTER COUNTKEYSINSLOT {slot}")))
        .sum();
    assert_eq!(moved, on_node0, "the keys of the moved slots are on their new node");
}

/// `embedis-server --cluster-nodes 3` serves three nodes of one cluster on the given port and
/// the two after it: any language's cluster client meets their redirections.
#[cfg(feature = "server")]
#[test]
fn the_binary_serves_several_cluster_nodes() {
    // Three free ports in a row, as the binary takes them.
    let first = (20000..60000)
        .step_by(7)
        .find(|&port| (port..port + 3).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok()))
        .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_embedis-server"))
        .args(["--port", &first.to_string(), "--cluster-nodes", "3"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let outcome = std::panic::catch_unwind(|| {
        let ready = (0..200).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            (first..first + 3).all(|p| std::net::TcpStream::connect(("127.0.0.1", p)).is_ok())
        });
        assert!(ready, "embedis-server did not start three nodes");
        let mut node0 = common::RawClient::connect(first);
        assert_eq!(
            node0.call(&common::words("GET foo")),
            format!("-MOVED 12182 127.0.0.1:{}\r\n", first + 2).into_bytes()
        );
        let info = String::from_utf8(node0.call(&common::words("CLUSTER INFO"))).unwrap();
        assert!(
            info.contains("cluster_known_nodes:3") && info.contains("cluster_size:3"),
            "{info}"
        );
        let mut node2 = common::RawClient::connect(first + 2);
        assert_eq!(node2.call(&common::words("SET foo bar")), b"+OK\r\n");
    });
    child.kill().ok();
    child.wait().ok();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
