//! The same redis-rs transaction (`MULTI INCR INCR GET EXEC` through `redis::pipe().atomic()`)
//! on the in-process adapter, on redis-rs over loopback to embedis-server, and on redis-rs over
//! loopback to a redis-server (the baseline; skipped when none is installed): the speedup of
//! skipping the network.
//!
//! Run: `cargo bench --features redis-rs --bench redis_rs`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use embedis::Store;
use embedis::redis_rs::RedisConnection;

#[path = "../tests/common/mod.rs"]
mod common;

fn transaction(con: &mut impl redis::ConnectionLike) -> i64 {
    let (_, _, n): (i64, i64, i64) = redis::pipe()
        .atomic()
        .incr("n", 1)
        .incr("n", 1)
        .get("n")
        .query(con)
        .expect("transaction");
    n
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("redis-rs MULTI INCR INCR GET EXEC");
    let redis = common::RedisServer::start();
    if let Some(redis) = &redis {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}", redis.port)).unwrap();
        let mut con = client.get_connection().unwrap();
        group.bench_function("baseline: redis-rs to redis-server over loopback", |b| {
            b.iter(|| black_box(transaction(&mut con)))
        });
    }
    let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut con = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
    group.bench_function("redis-rs to embedis-server over loopback", |b| {
        b.iter(|| black_box(transaction(&mut con)))
    });
    let mut con = RedisConnection::new(&Store::new());
    group.bench_function("redis-rs in process (embedis::redis_rs)", |b| {
        b.iter(|| black_box(transaction(&mut con)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
