//! Replication (issue 18), against redis-server in every role: how long a write on the primary
//! takes to be readable on its replica (SET on the primary, then GET on the replica until it
//! answers the new value), and how long a new replica takes to synchronise fully with a primary
//! of 10^5 keys (REPLICAOF until the replica says its link is up and DBSIZE counts every key).
//! The baseline, in the same run, is a redis-server replica of a redis-server primary; then
//! embedis-server as the primary, embedis-server as the replica, and an in-process `Store` as
//! the replica (its reads are calls, not round trips). Skipped without redis-server on PATH.
//!
//! Run: `cargo bench --bench replication`; `EMBEDIS_REPLICATION_KEYS=1000000` for another size.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use embedis::server::Server;
use embedis::{Commands, Store};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{RawClient, RedisServer, words};

/// The keys a full synchronisation carries (`EMBEDIS_REPLICATION_KEYS`, default 10^5).
fn keys() -> usize {
    std::env::var("EMBEDIS_REPLICATION_KEYS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000)
}

/// What follows a primary.
#[derive(Clone, Copy)]
enum ReplicaKind {
    RedisServer,
    EmbedisServer,
    InProcess,
}

/// A running replica of one of those kinds: the server (kept running) and a client of it, or the
/// store.
enum Replica {
    Redis(#[allow(dead_code)] RedisServer, RawClient),
    Embedis(#[allow(dead_code)] Server, RawClient),
    InProcess(Store),
}

impl Replica {
    fn start(kind: ReplicaKind) -> Option<Replica> {
        Some(match kind {
            ReplicaKind::RedisServer => {
                let server = RedisServer::start()?;
                let client = server.client();
                Replica::Redis(server, client)
            }
            ReplicaKind::EmbedisServer => {
                let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis-server");
                let client = RawClient::connect(server.addr().port());
                Replica::Embedis(server, client)
            }
            ReplicaKind::InProcess => Replica::InProcess(Store::new()),
        })
    }

    /// Follows the primary on `port`, and waits until it holds `keys` keys.
    fn follow(&mut self, port: u16, keys: usize) {
        let deadline = Instant::now() + Duration::from_secs(120);
        match self {
            Replica::Redis(_, client) | Replica::Embedis(_, client) => {
                let reply = client.call(&words(&format!("REPLICAOF 127.0.0.1 {port}")));
                assert_eq!(reply, b"+OK\r\n", "REPLICAOF");
                loop {
                    let info = String::from_utf8(client.call(&words("INFO replication"))).unwrap_or_default();
                    if info.contains("master_link_status:up")
                        && client.call(&words("DBSIZE")) == format!(":{keys}\r\n").into_bytes()
                    {
                        return;
                    }
                    assert!(Instant::now() < deadline, "the replica never synchronised:\n{info}");
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            Replica::InProcess(store) => {
                store.replicate_from("127.0.0.1", port);
                while !store.replica_status().is_some_and(|status| status.link_up)
                    || store.dbsize().unwrap_or_default() != keys as i64
                {
                    assert!(Instant::now() < deadline, "the store never synchronised");
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    }

    /// GET `key`, as the replica's client reads it.
    fn get(&mut self, key: &str) -> Option<String> {
        match self {
            Replica::Redis(_, client) | Replica::Embedis(_, client) => {
                let reply = client.call(&words(&format!("GET {key}")));
                let text = String::from_utf8(reply).ok()?;
                let (_, value) = text.strip_prefix('$')?.split_once("\r\n")?;
                Some(value.strip_suffix("\r\n")?.to_owned())
            }
            Replica::InProcess(store) => store.get(key).ok().flatten(),
        }
    }
}

/// Fills the primary on `port` with `keys` keys.
fn fill(port: u16, keys: usize) {
    let mut client = RawClient::connect(port);
    let lines: Vec<Vec<Vec<u8>>> = (0..keys).map(|n| words(&format!("SET key:{n} value:{n}"))).collect();
    for batch in lines.chunks(1000) {
        client.pipeline(batch);
    }
}

fn replication(c: &mut Criterion) {
    let keys = keys();
    // Redis 7.0 waits 5 s by default before a diskless sync starts, for more replicas to join
    // it (`repl-diskless-sync-delay`): the baseline starts at once, as embedis does.
    let Some(redis_primary) = RedisServer::start_with(&["--repl-diskless-sync-delay", "0"]) else {
        return;
    };
    let embedis_primary = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis-server");
    let pairs = [
        (
            "baseline: redis-server → redis-server",
            redis_primary.port,
            ReplicaKind::RedisServer,
        ),
        (
            "embedis-server → redis-server",
            embedis_primary.addr().port(),
            ReplicaKind::RedisServer,
        ),
        (
            "redis-server → embedis-server",
            redis_primary.port,
            ReplicaKind::EmbedisServer,
        ),
        (
            "redis-server → in-process Store",
            redis_primary.port,
            ReplicaKind::InProcess,
        ),
    ];
    fill(redis_primary.port, keys);
    fill(embedis_primary.addr().port(), keys);

    let mut group = c.benchmark_group("replication lag: SET on the primary, until GET on the replica sees it");
    for (name, port, kind) in pairs {
        let Some(mut replica) = Replica::start(kind) else {
            return;
        };
        replica.follow(port, keys);
        let mut primary = RawClient::connect(port);
        let mut n = 0u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                n += 1;
                let value = n.to_string();
                primary.call(&words(&format!("SET lag {value}")));
                while replica.get("lag").as_deref() != Some(value.as_str()) {}
            })
        });
        // The next replica must count the same keys.
        primary.call(&words("DEL lag"));
    }
    group.finish();

    let mut group = c.benchmark_group(format!("full synchronisation of a new replica, {keys} keys"));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (name, port, kind) in pairs {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let Some(mut replica) = Replica::start(kind) else {
                        return total;
                    };
                    let started = Instant::now();
                    replica.follow(port, keys);
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
