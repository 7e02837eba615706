//! Streams: XADD, and a consumer's XREADGROUP of one entry followed by its XACK, on
//! redis-server over loopback (the baseline; skipped when none is installed), on embedis-server
//! over loopback, and in process; then XRANGE of 10 entries in the middle of streams of 10^3 to
//! 10^7 entries, in process, to show that a range read stays flat as the stream grows.
//!
//! Run: `cargo bench --bench streams` (the largest XRANGE size with `EMBEDIS_STREAM_MAX`,
//! default 10 000 000).

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use embedis::{Commands, Store};

#[path = "../tests/common/mod.rs"]
mod common;

/// XADD with an automatic ID, over a redis-rs connection.
fn xadd_wire(con: &mut redis::Connection) -> String {
    redis::cmd("XADD")
        .arg("events")
        .arg("*")
        .arg("kind")
        .arg("click")
        .arg("user")
        .arg("42")
        .query(con)
        .expect("xadd")
}

/// One entry read for the group and acknowledged, over a redis-rs connection; a new entry is
/// added first so that there is always one to read.
fn consume_wire(con: &mut redis::Connection) {
    let id = xadd_wire(con);
    let _: redis::Value = redis::cmd("XREADGROUP")
        .arg("GROUP")
        .arg("workers")
        .arg("alice")
        .arg("COUNT")
        .arg(1)
        .arg("STREAMS")
        .arg("events")
        .arg(">")
        .query(con)
        .expect("xreadgroup");
    let _: i64 = redis::cmd("XACK")
        .arg("events")
        .arg("workers")
        .arg(&id)
        .query(con)
        .expect("xack");
}

fn wire_connection(url: &str) -> redis::Connection {
    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
    let _: () = redis::cmd("FLUSHALL").query(&mut con).unwrap();
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg("events")
        .arg("workers")
        .arg("$")
        .arg("MKSTREAM")
        .query(&mut con)
        .unwrap();
    con
}

fn throughput(c: &mut Criterion) {
    let redis = common::RedisServer::start();
    let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let mut urls = Vec::new();
    if let Some(redis) = &redis {
        urls.push((
            "baseline: redis-server over loopback",
            format!("redis://127.0.0.1:{}", redis.port),
        ));
    }
    urls.push(("embedis-server over loopback", server.url()));

    let mut group = c.benchmark_group("XADD * kind click user 42");
    for (name, url) in &urls {
        let mut con = wire_connection(url);
        group.bench_function(*name, |b| b.iter(|| black_box(xadd_wire(&mut con))));
    }
    let store = Store::new();
    group.bench_function("in process: Commands::xadd", |b| {
        b.iter(|| black_box(store.xadd("events", "*", [("kind", "click"), ("user", "42")]).unwrap()))
    });
    group.finish();

    let mut group = c.benchmark_group("XADD, then XREADGROUP COUNT 1 and XACK of that entry");
    for (name, url) in &urls {
        let mut con = wire_connection(url);
        group.bench_function(*name, |b| b.iter(|| consume_wire(&mut con)));
    }
    let store = Store::new();
    store.xgroup_create_mkstream("events", "workers", "$").unwrap();
    group.bench_function("in process: xadd, xreadgroup_options, xack", |b| {
        b.iter(|| {
            let id = store.xadd("events", "*", [("kind", "click"), ("user", "42")]).unwrap();
            let read = store
                .xreadgroup_options("workers", "alice", ("COUNT", 1), "events", ">")
                .unwrap();
            black_box(read);
            store.xack("events", "workers", &id).unwrap()
        })
    });
    group.finish();
}

fn range_as_it_grows(c: &mut Criterion) {
    let max: usize = std::env::var("EMBEDIS_STREAM_MAX")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000_000);
    let mut group = c.benchmark_group("XRANGE of 10 entries from the middle, in process");
    let store = Store::new();
    let mut size = 0usize;
    for target in [1_000usize, 10_000, 100_000, 1_000_000, 10_000_000] {
        if target > max {
            break;
        }
        while size < target {
            let id = format!("{}-1", size + 1);
            store
                .xadd(
                    "s",
                    id.as_str(),
                    [("n", size.to_string().as_str()), ("payload", "value")],
                )
                .unwrap();
            size += 1;
        }
        let middle = format!("{}", size / 2);
        group.bench_with_input(BenchmarkId::from_parameter(size), &middle, |b, middle| {
            b.iter(|| black_box(store.xrange_count("s", middle.as_str(), "+", 10).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(benches, throughput, range_as_it_grows);
criterion_main!(benches);
