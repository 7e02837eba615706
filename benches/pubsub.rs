//! PUBLISH to 1 and to 50 subscribers, each iteration timed until the first subscriber has the
//! message (publish-to-receive), the others draining theirs on threads: on redis-server over
//! loopback (the baseline; skipped when none is installed), on embedis-server over loopback, and
//! in process (`Store::publish` and a `Subscription`).
//!
//! Run: `cargo bench --bench pubsub`

use std::hint::black_box;
use std::thread;

use criterion::{Criterion, criterion_group, criterion_main};
use embedis::{Commands, Store};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{RawClient, words};

/// Subscribes `count` clients of the server at `port` to `channel`: the first is returned to
/// be read by the benchmark, the others drain on threads until their connection closes.
fn subscribers(port: u16, count: usize) -> RawClient {
    let mut first = None;
    for i in 0..count {
        let mut client = RawClient::connect(port);
        client.call(&words("SUBSCRIBE bench"));
        if i == 0 {
            first = Some(client);
        } else {
            thread::spawn(
                move || {
                    while std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| client.read())).is_ok() {}
                },
            );
        }
    }
    first.expect("at least one subscriber")
}

/// One publish over the wire, timed until `reader` has the message.
fn over_the_wire(publisher: &mut redis::Connection, reader: &mut RawClient) -> Vec<u8> {
    let _: i64 = redis::cmd("PUBLISH")
        .arg("bench")
        .arg("payload")
        .query(publisher)
        .expect("publish");
    reader.read()
}

fn bench(c: &mut Criterion) {
    let redis = common::RedisServer::start();
    for count in [1usize, 50] {
        let mut group = c.benchmark_group(format!("PUBLISH to {count} subscriber(s), until the first has it"));
        if let Some(redis) = &redis {
            let mut reader = subscribers(redis.port, count);
            let client = redis::Client::open(format!("redis://127.0.0.1:{}", redis.port)).unwrap();
            let mut publisher = client.get_connection().unwrap();
            group.bench_function("baseline: redis-server over loopback", |b| {
                b.iter(|| black_box(over_the_wire(&mut publisher, &mut reader)))
            });
        }
        let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").unwrap();
        let mut reader = subscribers(server.addr().port(), count);
        let mut publisher = redis::Client::open(server.url()).unwrap().get_connection().unwrap();
        group.bench_function("embedis-server over loopback", |b| {
            b.iter(|| black_box(over_the_wire(&mut publisher, &mut reader)))
        });
        let store = Store::new();
        let mut first = store.subscribe(["bench"]);
        for _ in 1..count {
            let mut other = store.subscribe(["bench"]);
            thread::spawn(move || while other.recv().is_ok() {});
        }
        group.bench_function("in process: Store::publish, Subscription::recv", |b| {
            b.iter(|| {
                store.publish("bench", "payload").expect("publish");
                black_box(first.recv().expect("a message"))
            })
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
