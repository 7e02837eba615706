//! Transactions through embedis beside a baseline doing the same work on a bare
//! `parking_lot::Mutex<ahash::HashMap<Vec<u8>, Vec<u8>>>`: lock, read and parse the string, add,
//! format and store it back, unlock. The baseline has none of embedis's features (no command parsing,
//! no replies, no types, no expiry, no watches): the ratio is what those cost.
//!
//! Run: `cargo bench --bench transaction`
//!
//! The group "issue 11 targets, fastest slices" times the same bodies as the first two groups,
//! each sample the fastest of several slices of its iterations (see [`fastest_slice`]), for a
//! shared machine whose other tenants' bursts move criterion's means by tens of percent.

use std::hint::black_box;
use std::time::{Duration, Instant};

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

/// The baseline's MULTI INCR INCR GET EXEC.
fn baseline_incr_incr_get(baseline: &Baseline) {
    let mut map = baseline.map.lock();
    let a = incr_in(&mut map, b"counter", 1);
    let b = incr_in(&mut map, b"counter", 1);
    let v = map.get(&b"counter"[..]).cloned();
    black_box((a, b, v));
}

/// The typed MULTI INCR INCR GET EXEC.
fn typed_incr_incr_get(store: &Store) {
    black_box(
        store
            .multi()
            .incr("counter")
            .incr("counter")
            .get("counter")
            .exec()
            .unwrap(),
    );
}

/// The baseline's transfer: read a balance, and if it allows, move one unit.
fn baseline_transfer(baseline: &Baseline) {
    let mut map = baseline.map.lock();
    let balance = map
        .get(&b"from"[..])
        .map(|v| std::str::from_utf8(v).unwrap().parse::<i64>().unwrap());
    if balance.unwrap_or(0) >= 1 {
        incr_in(&mut map, b"from", -1);
        incr_in(&mut map, b"to", 1);
    }
    black_box(balance);
}

/// The transfer as a check-and-set: WATCH, GET, MULTI, DECRBY, INCRBY, EXEC.
fn watched_transfer(store: &Store) {
    let watch = store.watch(["from", "to"]).unwrap();
    let balance: i64 = watch.get_as("from").unwrap();
    if balance >= 1 {
        black_box(watch.multi().decrby("from", 1).incrby("to", 1).exec().unwrap());
    }
}

/// The transfer in `Store::atomic`.
fn atomic_transfer(store: &Store) {
    store
        .atomic(|db| {
            let balance: i64 = db.get_as("from")?;
            if balance >= 1 {
                db.decrby("from", 1)?;
                db.incrby("to", 1)?;
            }
            Ok::<_, CommandError>(black_box(balance))
        })
        .unwrap();
}

/// A baseline and a store holding the transfer's balance.
fn transfer_stores() -> (Baseline, Store) {
    let baseline = Baseline::default();
    baseline.map.lock().insert(b"from".to_vec(), b"1000000000".to_vec());
    let store = Store::new();
    store.set("from", 1_000_000_000).unwrap();
    (baseline, store)
}

/// `iters` runs of `body` timed as the fastest of up to eight equal slices, scaled to `iters`:
/// a slice that another tenant of the machine slowed down does not count.
fn fastest_slice(iters: u64, mut body: impl FnMut()) -> Duration {
    let slices = iters.clamp(1, 8);
    let per_slice = iters / slices;
    let mut fastest = Duration::MAX;
    for _ in 0..slices {
        let started = Instant::now();
        for _ in 0..per_slice {
            body();
        }
        fastest = fastest.min(started.elapsed());
    }
    fastest.mul_f64(iters as f64 / per_slice as f64)
}

fn multi_incr_incr_get(c: &mut Criterion) {
    let mut group = c.benchmark_group("MULTI INCR INCR GET EXEC");

    let baseline = Baseline::default();
    group.bench_function("baseline: Mutex<HashMap>", |b| {
        b.iter(|| baseline_incr_incr_get(&baseline))
    });

    let store = Store::new();
    group.bench_function("embedis typed: multi().incr().incr().get().exec()", |b| {
        b.iter(|| typed_incr_incr_get(&store))
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

    let (baseline, store) = transfer_stores();
    group.bench_function("baseline: Mutex<HashMap>", |b| b.iter(|| baseline_transfer(&baseline)));
    group.bench_function("embedis typed: WATCH GET MULTI DECRBY INCRBY EXEC", |b| {
        b.iter(|| watched_transfer(&store))
    });
    group.bench_function("embedis atomic: GET DECRBY INCRBY under the lock", |b| {
        b.iter(|| atomic_transfer(&store))
    });
    group.finish();
}

/// The bodies of the first two groups, each sample the fastest of its slices.
fn fastest_slices(c: &mut Criterion) {
    let mut group = c.benchmark_group("issue 11 targets, fastest slices");
    let multi_baseline = Baseline::default();
    let multi_store = Store::new();
    let (baseline, store) = transfer_stores();
    group.bench_function("MULTI INCR INCR GET EXEC: baseline", |b| {
        b.iter_custom(|iters| fastest_slice(iters, || baseline_incr_incr_get(&multi_baseline)))
    });
    group.bench_function("MULTI INCR INCR GET EXEC: typed", |b| {
        b.iter_custom(|iters| fastest_slice(iters, || typed_incr_incr_get(&multi_store)))
    });
    group.bench_function("transfer: baseline", |b| {
        b.iter_custom(|iters| fastest_slice(iters, || baseline_transfer(&baseline)))
    });
    group.bench_function("transfer: typed WATCH", |b| {
        b.iter_custom(|iters| fastest_slice(iters, || watched_transfer(&store)))
    });
    group.bench_function("transfer: atomic", |b| {
        b.iter_custom(|iters| fastest_slice(iters, || atomic_transfer(&store)))
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

    let lua = BareLua::new(TAKE);
    group.bench_function("floor: the script in bare Lua 5.1, redis.call a stub", |b| {
        b.iter(|| black_box(lua.run(b"stock", b"1")))
    });
    group.finish();
}

/// The least any engine running [`TAKE`] on Lua 5.1 pays: the script compiled once in a bare
/// Lua state (its standard libraries only), run per call with fresh KEYS and ARGV tables as
/// Redis makes them, under `pcall`, with a `redis.call` that runs no command: a C function that
/// answers GET with the stock as a string and DECRBY with a number, as the real replies are
/// converted. No store, no lock, no error handler, no sandbox: the Lua interpreter's own cost.
struct BareLua {
    state: *mut lua::lua_State,
    script: std::ffi::c_int,
}

use mlua_sys as lua;

impl BareLua {
    fn new(source: &str) -> BareLua {
        // SAFETY: a fresh state used by this value only; every call below is on it.
        unsafe {
            let state = lua::luaL_newstate();
            lua::luaL_openlibs(state);
            lua::lua_createtable(state, 0, 1);
            lua::lua_pushcfunction(state, stub_call);
            lua::lua_setfield(state, -2, c"call".as_ptr());
            lua::lua_setglobal(state, c"redis".as_ptr());
            let loaded = lua::luaL_loadbuffer(state, source.as_ptr().cast(), source.len(), c"@user_script".as_ptr());
            assert_eq!(loaded, 0, "the script compiles");
            let script = lua::luaL_ref(state, lua::LUA_REGISTRYINDEX);
            BareLua { state, script }
        }
    }

    /// Runs the script with KEYS = {key}, ARGV = {arg}; answers its number.
    fn run(&self, key: &[u8], arg: &[u8]) -> f64 {
        // SAFETY: the state is this value's; the stack is left as it was found.
        unsafe {
            let state = self.state;
            for (name, value) in [(c"KEYS", key), (c"ARGV", arg)] {
                lua::lua_createtable(state, 1, 0);
                lua::lua_pushlstring(state, value.as_ptr().cast(), value.len());
                lua::lua_rawseti(state, -2, 1);
                lua::lua_setglobal(state, name.as_ptr());
            }
            lua::lua_rawgeti(state, lua::LUA_REGISTRYINDEX, self.script.into());
            assert_eq!(lua::lua_pcall(state, 0, 1, 0), 0, "the script runs");
            let answer = lua::lua_tonumber(state, -1);
            lua::lua_settop(state, 0);
            answer
        }
    }
}

/// `redis.call` of [`BareLua`]: GET answers the stock as a string, anything else a number.
unsafe extern "C-unwind" fn stub_call(state: *mut lua::lua_State) -> std::ffi::c_int {
    const STOCK: &[u8] = b"4611686018427387903";
    // SAFETY: called by Lua with its arguments on the stack.
    unsafe {
        let mut len = 0;
        let name = lua::lua_tolstring(state, 1, &mut len);
        if std::slice::from_raw_parts(name.cast::<u8>(), len) == b"GET" {
            lua::lua_pushlstring(state, STOCK.as_ptr().cast(), STOCK.len());
        } else {
            lua::lua_pushnumber(state, (i64::MAX / 2 - 1) as f64);
        }
        1
    }
}

criterion_group!(
    benches,
    multi_incr_incr_get,
    check_and_set,
    stock_decrement,
    fastest_slices
);
criterion_main!(benches);
