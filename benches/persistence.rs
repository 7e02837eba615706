//! RDB files (issue 17): SAVE of 10^5 keys (strings, small hashes, a list, a sorted set), and
//! DEBUG RELOAD (save, empty, load back) of the same, on redis-server over loopback (the
//! baseline; skipped when none is installed) and on embedis-server over loopback, each writing
//! to a directory of its own with fsync.
//!
//! Run: `cargo bench --bench persistence`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use embedis::Store;
use embedis::server::{Config, Server};

#[path = "../tests/common/mod.rs"]
mod common;

use common::{RawClient, words};

const KEYS: usize = 100_000;

/// 10^5 strings, 10^3 hashes of 10 fields, a list and a sorted set of 10^4 elements each.
fn load_commands() -> Vec<Vec<Vec<u8>>> {
    let mut commands = vec![words("FLUSHALL")];
    for i in 0..KEYS {
        commands.push(words(&format!("SET key:{i} value:{i}")));
    }
    for i in 0..1000 {
        let fields: String = (0..10).map(|f| format!(" field{f} v{i}-{f}")).collect();
        commands.push(words(&format!("HSET user:{i}{fields}")));
    }
    for chunk in (0..10_000).collect::<Vec<_>>().chunks(1000) {
        let items: String = chunk.iter().map(|i| format!(" item:{i}")).collect();
        let members: String = chunk.iter().map(|i| format!(" {i} member:{i}")).collect();
        commands.push(words(&format!("RPUSH queue{items}")));
        commands.push(words(&format!("ZADD board{members}")));
    }
    commands
}

fn bench(c: &mut Criterion) {
    let redis = common::RedisServer::start();
    let dir = common::fresh_dir(0);
    let server = Server::start_with(Store::new(), "127.0.0.1:0", Config::default().dir(&dir)).unwrap();
    let mut clients: Vec<(&str, RawClient)> = Vec::new();
    if let Some(redis) = &redis {
        clients.push(("baseline: redis-server over loopback", redis.client()));
    }
    clients.push(("embedis-server over loopback", RawClient::connect(server.addr().port())));
    let load = load_commands();
    for (_, client) in &mut clients {
        for batch in load.chunks(1000) {
            client.pipeline(batch);
        }
        assert_eq!(
            client.call(&words("DBSIZE")),
            format!(":{}\r\n", KEYS + 1002).into_bytes()
        );
    }

    let mut group = c.benchmark_group("SAVE of 10^5 keys");
    group.sample_size(10);
    let save = words("SAVE");
    for (name, client) in &mut clients {
        group.bench_function(*name, |b| b.iter(|| black_box(client.call(&save))));
    }
    group.finish();

    let mut group = c.benchmark_group("DEBUG RELOAD of 10^5 keys (save, empty, load)");
    group.sample_size(10);
    let reload = words("DEBUG RELOAD");
    for (name, client) in &mut clients {
        group.bench_function(*name, |b| b.iter(|| black_box(client.call(&reload))));
    }
    group.finish();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
