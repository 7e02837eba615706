//! Replication (issue 18), with redis-server replicas: how long a write on the primary takes to
//! be readable on its replica (SET on the primary, then GET on the replica until it answers the
//! new value), and how long a new replica takes to synchronise fully with a primary of 10^5
//! keys (REPLICAOF until its INFO says the link is up and DBSIZE counts every key) — with
//! embedis-server as the primary and, as the baseline in the same run, redis-server. Skipped
//! without redis-server on PATH.
//!
//! Run: `cargo bench --bench replication`

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use embedis::Store;
use embedis::server::Server;

#[path = "../tests/common/mod.rs"]
mod common;

use common::{RawClient, RedisServer, words};

/// The keys a full synchronisation carries.
const KEYS: usize = 100_000;

/// Makes `replica` a replica of the primary on `port` and waits until it holds `keys` keys.
fn follow(replica: &mut RawClient, port: u16, keys: usize) {
    let reply = replica.call(&words(&format!("REPLICAOF 127.0.0.1 {port}")));
    assert_eq!(reply, b"+OK\r\n", "REPLICAOF");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let info = String::from_utf8(replica.call(&words("INFO replication"))).unwrap_or_default();
        if info.contains("master_link_status:up")
            && replica.call(&words("DBSIZE")) == format!(":{keys}\r\n").into_bytes()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the replica never synchronised:\n{info}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Fills the primary on `port` with `KEYS` keys.
fn fill(port: u16) {
    let mut client = RawClient::connect(port);
    let lines: Vec<Vec<Vec<u8>>> = (0..KEYS).map(|n| words(&format!("SET key:{n} value:{n}"))).collect();
    for batch in lines.chunks(1000) {
        client.pipeline(batch);
    }
}

fn replication(c: &mut Criterion) {
    // Redis 7.0 waits 5 s by default before a diskless sync starts, for more replicas to join
    // it (`repl-diskless-sync-delay`): the baseline starts at once, as embedis does.
    let Some(redis_primary) = RedisServer::start_with(&["--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    let embedis_primary = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis-server");
    let primaries = [
        ("baseline: redis-server primary", redis_primary.port),
        ("embedis-server primary", embedis_primary.addr().port()),
    ];
    for (_, port) in primaries {
        fill(port);
    }

    let mut group = c.benchmark_group("replication lag: SET on the primary, until GET on the replica sees it");
    for (name, port) in primaries {
        let Some(replica) = RedisServer::start() else {
            return;
        };
        let mut link = replica.client();
        follow(&mut link, port, KEYS);
        let mut primary = RawClient::connect(port);
        let mut n = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                let value = n.to_string();
                primary.call(&words(&format!("SET lag {value}")));
                let expected = format!("${}\r\n{value}\r\n", value.len()).into_bytes();
                while link.call(&words("GET lag")) != expected {}
            })
        });
        // The replica now holds the lag key too.
        link.call(&words("REPLICAOF NO ONE"));
        primary.call(&words("DEL lag"));
    }
    group.finish();

    let mut group = c.benchmark_group("full synchronisation of a new replica, 10^5 keys");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (name, port) in primaries {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let Some(replica) = RedisServer::start() else {
                        return total;
                    };
                    let mut link = replica.client();
                    let started = Instant::now();
                    follow(&mut link, port, KEYS);
                    total += started.elapsed();
                }
                total
            })
        });
    }
    group.finish();
    embedis_primary.stop();
}

criterion_group!(benches, replication);
criterion_main!(benches);
