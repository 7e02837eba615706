//! MIGRATE against real redis-servers: keys of every type moved (or copied) from redis-server
//! and from an embedis store to two target redis-servers, with the same replies on both sides
//! and the same values (DUMP payloads) and TTLs arriving; the errors of a refusing target, of an
//! unreachable one and of bad arguments.

mod common;

use common::{RawClient, RedisServer, words};

/// Runs `line` on both sides of `d`, each naming its own target's port for `{port}`, and
/// compares the replies.
fn both_to_targets(d: &mut common::Differential, targets: &[u16; 2], line: &str) {
    let [redis_line, embedis_line] = targets.map(|port| words(&line.replace("{port}", &port.to_string())));
    let (redis, embedis) = d.each(0, &redis_line, &embedis_line);
    assert_eq!(
        String::from_utf8_lossy(&embedis),
        String::from_utf8_lossy(&redis),
        "{line}"
    );
}

#[test]
fn migrate_moves_keys_like_redis() {
    let mut d = differential!(1);
    let (Some(target_a), Some(target_b)) = (RedisServer::start(), RedisServer::start()) else {
        return;
    };
    let targets = [target_a.port, target_b.port];
    d.script(
        r#"
        SET s hello
        SET n 12345
        SET big aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
        RPUSH l a b c 1 2 3
        HSET h f1 v1 f2 v2
        SADD set 1 2 3
        SADD tags x y z
        ZADD z 1 a 2 b 3 c
        XADD x 1-1 f v
        XGROUP CREATE x g 0
        PFADD hll a b c
        SET ttl v PX 100000
        SET kept v
        "#,
    );
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} s 0 5000");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} s 0 5000");
    both_to_targets(
        &mut d,
        &targets,
        "MIGRATE 127.0.0.1 {port} \"\" 0 5000 KEYS n big l h set tags z x hll nosuch",
    );
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} ttl 3 5000");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} kept 0 5000 COPY");
    // The target already has it: its error, and nothing moves.
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} kept 0 5000 COPY");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} kept 0 5000 REPLACE");
    d.script("EXISTS s n big l h set tags z x hll ttl kept");
    // Argument errors.
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} kept 0 5000 KEYS a");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} \"\" 0 5000 KEYS");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} kept x 5000");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} kept 0 x");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} kept 0 5000 AUTH");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} kept 0 5000 NOSUCH");
    d.script("SET again v");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} again 0 5000 AUTH secret");
    both_to_targets(&mut d, &targets, "MIGRATE 127.0.0.1 {port} again 99 5000");
    d.script("EXISTS again");
    // Nobody listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    d.script(&format!("MIGRATE 127.0.0.1 {closed} again 0 500"));
    d.script("EXISTS again");

    // What arrived is the same on both targets: values, encodings and TTLs.
    let (mut a, mut b) = (RawClient::connect(targets[0]), RawClient::connect(targets[1]));
    for key in ["s", "n", "big", "l", "h", "set", "tags", "z", "x", "hll", "kept"] {
        // A set of strings is a hash table, whose order (and so payload) is each server's own.
        let value = if key == "tags" { "SORT tags ALPHA" } else { "DUMP {key}" };
        for command in [value, "OBJECT ENCODING {key}", "TYPE {key}"] {
            let line = words(&command.replace("{key}", key));
            assert_eq!(b.call(&line), a.call(&line), "{command} {key}");
        }
    }
    for client in [&mut a, &mut b] {
        // `ttl` went to database 3, with what was left of its TTL.
        client.call(&words("SELECT 3"));
        assert_eq!(client.call(&words("DBSIZE")), b":1\r\n");
        let ttl = String::from_utf8_lossy(&client.call(&words("PTTL ttl"))).into_owned();
        let ttl: i64 = ttl.trim_start_matches(':').trim().parse().unwrap();
        assert!((90_000..=100_000).contains(&ttl), "{ttl}");
    }
}
