//! RDB files (issue 17): SAVE of 10^5 keys (strings, small hashes, a list, a sorted set), and
//! DEBUG RELOAD (save, empty, load back) of the same, on redis-server over loopback (the
//! baseline; skipped when none is installed) and on embedis-server over loopback, each writing
//! to a directory of its own with fsync.
//!
//! And BGSAVE of 10^6 keys: the longest another client waits for a GET while it runs (Redis's
//! is its fork), and how long it takes until INFO says it is done; SAVE and DEBUG RELOAD of the
//! same 10^6 keys. And SET with an append-only file, `appendfsync always` and `everysec`: one
//! client's SETs, each acknowledged (with `always`, after its fsync).
//!
//! Run: `cargo bench --bench persistence`

use std::hint::black_box;
use std::time::{Duration, Instant};

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

/// The keys of the BGSAVE measures.
const BGSAVE_KEYS: usize = 1_000_000;

/// Runs one BGSAVE through `control` while `reader` GETs a key again and again; answers the
/// longest GET and the time until INFO persistence says the save is done.
fn bgsave_once(control: &mut RawClient, reader: &mut RawClient) -> (Duration, Duration) {
    let get = words("GET key:1");
    let info = words("INFO persistence");
    let started = Instant::now();
    // BGSAVE's reply is read after the first GET: a GET sent meanwhile waits for whatever
    // BGSAVE holds the store for before it answers.
    control.send(&words("BGSAVE"));
    let mut longest = Duration::ZERO;
    let mut round = 0u32;
    loop {
        let asked = Instant::now();
        black_box(reader.call(&get));
        longest = longest.max(asked.elapsed());
        if round == 0 {
            assert_eq!(control.read(), b"+Background saving started\r\n");
        }
        round += 1;
        if round.is_multiple_of(64)
            && String::from_utf8_lossy(&control.call(&info)).contains("rdb_bgsave_in_progress:0")
        {
            return (longest, started.elapsed());
        }
    }
}

fn bgsave(c: &mut Criterion) {
    let redis = common::RedisServer::start();
    let dir = common::fresh_dir(0);
    let server = Server::start_with(Store::new(), "127.0.0.1:0", Config::default().dir(&dir)).unwrap();
    let mut pairs: Vec<(&str, RawClient, RawClient)> = Vec::new();
    if let Some(redis) = &redis {
        pairs.push(("baseline: redis-server", redis.client(), redis.client()));
    }
    let port = server.addr().port();
    pairs.push(("embedis-server", RawClient::connect(port), RawClient::connect(port)));
    let load: Vec<Vec<Vec<u8>>> = (0..BGSAVE_KEYS)
        .map(|n| words(&format!("SET key:{n} value:{n}")))
        .collect();
    for (_, control, _) in &mut pairs {
        control.call(&words("FLUSHALL"));
        for batch in load.chunks(1000) {
            control.pipeline(batch);
        }
    }
    for (measure, pick) in [
        ("BGSAVE of 10^6 keys: the longest GET of another client meanwhile", 0),
        ("BGSAVE of 10^6 keys: until INFO says it is done", 1),
    ] {
        let mut group = c.benchmark_group(measure);
        group.sample_size(10);
        for (name, control, reader) in &mut pairs {
            group.bench_function(*name, |b| {
                b.iter_custom(|iters| {
                    (0..iters)
                        .map(|_| {
                            let (longest, whole) = bgsave_once(control, reader);
                            if pick == 0 { longest } else { whole }
                        })
                        .sum()
                })
            });
        }
        group.finish();
    }
    for (measure, command) in [
        ("SAVE of 10^6 keys", "SAVE"),
        ("DEBUG RELOAD of 10^6 keys (save, empty, load)", "DEBUG RELOAD"),
    ] {
        let mut group = c.benchmark_group(measure);
        group.sample_size(10);
        let argv = words(command);
        for (name, control, _) in &mut pairs {
            group.bench_function(*name, |b| b.iter(|| black_box(control.call(&argv))));
        }
        group.finish();
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

fn aof_writes(c: &mut Criterion) {
    for fsync in [embedis::Fsync::Always, embedis::Fsync::EverySec] {
        let policy = fsync.name();
        let redis = common::RedisServer::start_with(&["--appendonly", "yes", "--appendfsync", policy]);
        let dir = common::fresh_dir(0);
        let config = Config::default().dir(&dir).save("").appendonly(fsync);
        let server = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
        let mut clients: Vec<(&str, RawClient)> = Vec::new();
        if let Some(redis) = &redis {
            clients.push(("baseline: redis-server", redis.client()));
        }
        clients.push(("embedis-server", RawClient::connect(server.addr().port())));
        let mut group = c.benchmark_group(format!("SET with appendonly yes, appendfsync {policy}"));
        for (name, client) in &mut clients {
            let mut n = 0u64;
            group.bench_function(*name, |b| {
                b.iter(|| {
                    n += 1;
                    black_box(client.call(&words(&format!("SET key:{n} value:{n}"))))
                })
            });
        }
        group.finish();
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

criterion_group!(benches, bench, bgsave, aof_writes);
criterion_main!(benches);
