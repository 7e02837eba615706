//! The conditional decrement (`if stock >= n then DECRBY`) run by 2 threads at once on one key:
//! as a WATCH retry loop, as EVALSHA of a Lua script, and as `Store::atomic`, beside EVALSHA of the
//! same script on a redis-server over loopback (when one is installed). Each criterion iteration is
//! one completed decrement; retries per decrement are printed for the WATCH loop.
//!
//! Run: `cargo bench --bench contention`

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use embedis::{CommandError, Commands, RetryPolicy, Script, Store};

#[path = "../tests/common/mod.rs"]
mod common;

const THREADS: u64 = 2;
const TAKE: &str = "local s = tonumber(redis.call('GET', KEYS[1]) or '0') \
                    if s >= tonumber(ARGV[1]) then return redis.call('DECRBY', KEYS[1], ARGV[1]) end return -1";

/// Runs `op` `iters` times in total, split over two threads, and answers the wall time.
fn two_threads(iters: u64, op: impl Fn() + Sync) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                for _ in 0..iters / THREADS {
                    op();
                }
            });
        }
    });
    start.elapsed()
}

fn stocked() -> Store {
    let store = Store::new();
    store.set("stock", i64::MAX / 2).unwrap();
    store
}

fn embedis_variants(c: &mut Criterion) {
    let mut group = c.benchmark_group("conditional decrement, 2 threads, one key");

    let store = stocked();
    let attempts = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let policy = RetryPolicy {
        max_attempts: 10_000,
        initial_backoff: Duration::from_micros(1),
        max_backoff: Duration::from_micros(50),
    };
    group.bench_function("WATCH retry loop (Store::transaction)", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, || {
                store
                    .transaction("stock", policy, |tx| {
                        attempts.fetch_add(1, Ordering::Relaxed);
                        let stock: i64 = tx.get_as("stock")?;
                        if stock < 1 {
                            return Ok::<_, CommandError>(Some(()));
                        }
                        Ok(tx.multi().decrby("stock", 1).exec()?.map(|_| ()))
                    })
                    .unwrap();
                done.fetch_add(1, Ordering::Relaxed);
            })
        })
    });
    let (a, d) = (attempts.load(Ordering::Relaxed), done.load(Ordering::Relaxed).max(1));
    println!(
        "WATCH retry loop: {:.3} retries per decrement ({a} attempts for {d} decrements)",
        (a - d) as f64 / d as f64
    );

    let store = stocked();
    let script = Script::new(TAKE);
    group.bench_function("EVALSHA (Script::invoke)", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, || {
                black_box(script.invoke::<i64>(&store, "stock", 1).unwrap());
            })
        })
    });

    let store = stocked();
    group.bench_function("Store::atomic", |b| {
        b.iter_custom(|iters| {
            two_threads(iters, || {
                store
                    .atomic(|db| {
                        let stock: i64 = db.get_as("stock")?;
                        if stock >= 1 {
                            db.decrby("stock", 1)?;
                        }
                        Ok::<_, CommandError>(())
                    })
                    .unwrap()
            })
        })
    });
    group.finish();
}

fn redis_over_loopback(c: &mut Criterion) {
    // The differential tests' harness: a redis-server on a free loopback port (skipped if missing).
    let Some(server) = common::RedisServer::start() else {
        return;
    };
    let argv = |words: &[&str]| words.iter().map(|w| w.as_bytes().to_vec()).collect::<Vec<_>>();
    let mut setup = server.client();
    setup.call(&argv(&["SET", "stock", "4611686018427387903"]));
    let loaded = setup.call(&argv(&["SCRIPT", "LOAD", TAKE]));
    let sha = String::from_utf8_lossy(&loaded[5..45]).into_owned();
    let mut group = c.benchmark_group("conditional decrement, 2 threads, one key");
    group.bench_function("EVALSHA on redis-server over loopback", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..THREADS {
                    let mut conn = server.client();
                    let line = argv(&["EVALSHA", &sha, "1", "stock", "1"]);
                    scope.spawn(move || {
                        for _ in 0..iters / THREADS {
                            black_box(conn.call(&line));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    group.finish();
}

criterion_group!(benches, embedis_variants, redis_over_loopback);
criterion_main!(benches);
