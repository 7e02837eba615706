//! Transactions through embedis beside a baseline doing the same work on a bare
//! `parking_lot::Mutex<ahash::HashMap<Vec<u8>, Vec<u8>>>`: lock, read and parse the string, add,
//! format and store it back, unlock. The baseline has none of embedis's features (no command parsing,
//! no replies, no types, no expiry, no watches): the ratio is what those cost.
//!
//! Run: `cargo bench --bench transaction`

use std::hint::black_box;

use ahash::HashMap;
use criterion::{Criterion, criterion_group, criterion_main};
use embedis::{CommandError, Commands, Script, Store};
use parking_lot::Mutex;

/// The baseline: a string map behind a mutex, as a hand-rolled store would be.
#[derive(Default)]
struct Baseline {
    map: Mutex<HashMap<Vec<u8>, Vec<u8>>>,
}

fn incr_in(map: &mut HashMap<Vec<u8>, Vec<u8>>, key: &[u8], by: i64) -> i64 {
    let current = map
        .get(key)
        .map_or(0, |v| std::str::from_utf8(v).unwrap().parse::<i64>().unwrap());
    let next = current + by;
    map.insert(key.to_vec(), next.to_string().into_bytes());
    next
}

fn multi_incr_incr_get(c: &mut Criterion) {
    let mut group = c.benchmark_group("MULTI INCR INCR GET EXEC");

    let baseline = Baseline::default();
    group.bench_function("baseline: Mutex<HashMap>", |b| {
        b.iter(|| {
            let mut map = baseline.map.lock();
            let a = incr_in(&mut map, b"counter", 1);
            let b = incr_in(&mut map, b"counter", 1);
            let v = map.get(&b"counter"[..]).cloned();
            black_box((a, b, v))
        })
    });

    let store = Store::new();
    group.bench_function("embedis typed: multi().incr().incr().get().exec()", |b| {
        b.iter(|| {
            black_box(
                store
                    .multi()
                    .incr("counter")
                    .incr("counter")
                    .get("counter")
                    .exec()
                    .unwrap(),
            )
        })
    });

    let mut conn = store.connect();
    group.bench_function("embedis raw: Connection::call", |b| {
        b.iter(|| {
            conn.call(["MULTI"]);
            conn.call(["INCR", "counter"]);
            conn.call(["INCR", "counter"]);
            conn.call(["GET", "counter"]);
            black_box(conn.call(["EXEC"]))
        })
    });
    group.finish();
}

fn check_and_set(c: &mut Criterion) {
    let mut group = c.benchmark_group("read balance, DECRBY one, INCRBY other");

    let baseline = Baseline::default();
    baseline.map.lock().insert(b"from".to_vec(), b"1000000000".to_vec());
    group.bench_function("baseline: Mutex<HashMap>", |b| {
        b.iter(|| {
            let mut map = baseline.map.lock();
            let balance = map
                .get(&b"from"[..])
                .map(|v| std::str::from_utf8(v).unwrap().parse::<i64>().unwrap());
            if balance.unwrap_or(0) >= 1 {
                incr_in(&mut map, b"from", -1);
                incr_in(&mut map, b"to", 1);
            }
            black_box(balance)
        })
    });

    let store = Store::new();
    store.set("from", 1_000_000_000).unwrap();
    group.bench_function("embedis typed: WATCH GET MULTI DECRBY INCRBY EXEC", |b| {
        b.iter(|| {
            let watch = store.watch(["from", "to"]).unwrap();
            let balance: i64 = watch.get_as("from").unwrap();
            if balance >= 1 {
                black_box(watch.multi().decrby("from", 1).incrby("to", 1).exec().unwrap());
            }
        })
    });

    group.bench_function("embedis atomic: GET DECRBY INCRBY under the lock", |b| {
        b.iter(|| {
            store
                .atomic(|db| {
                    let balance: i64 = db.get_as("from")?;
                    if balance >= 1 {
                        db.decrby("from", 1)?;
                        db.incrby("to", 1)?;
                    }
                    Ok::<_, CommandError>(black_box(balance))
                })
                .unwrap()
        })
    });
    group.finish();
}

/// The seeds' stock decrement: take `n` if at least `n` are left.
const TAKE: &str = "local s = tonumber(redis.call('GET', KEYS[1]) or '0') \
                    if s >= tonumber(ARGV[1]) then return redis.call('DECRBY', KEYS[1], ARGV[1]) end return -1";

/// The same check-and-decrement in one thread: the baseline by hand, `Store::atomic`, and the
/// Lua script run in process (EVALSHA through `Script::invoke`), whose target is 3x `atomic`.
fn stock_decrement(c: &mut Criterion) {
    let mut group = c.benchmark_group("stock decrement, one thread");

    let baseline = Baseline::default();
    baseline
        .map
        .lock()
        .insert(b"stock".to_vec(), (i64::MAX / 2).to_string().into_bytes());
    group.bench_function("baseline: Mutex<HashMap>", |b| {
        b.iter(|| {
            let mut map = baseline.map.lock();
            let stock = map
                .get(&b"stock"[..])
                .map(|v| std::str::from_utf8(v).unwrap().parse::<i64>().unwrap());
            if stock.unwrap_or(0) >= 1 {
                black_box(incr_in(&mut map, b"stock", -1));
            }
        })
    });

    let store = Store::new();
    store.set("stock", i64::MAX / 2).unwrap();
    group.bench_function("embedis atomic: GET, DECRBY", |b| {
        b.iter(|| {
            store
                .atomic(|db| {
                    let stock: i64 = db.get_as("stock")?;
                    if stock >= 1 {
                        black_box(db.decrby("stock", 1)?);
                    }
                    Ok::<_, CommandError>(())
                })
                .unwrap()
        })
    });

    let script = Script::new(TAKE);
    group.bench_function("embedis EVALSHA in process (Script::invoke)", |b| {
        b.iter(|| black_box(script.invoke::<i64>(&store, "stock", 1).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, multi_incr_incr_get, check_and_set, stock_decrement);
criterion_main!(benches);
