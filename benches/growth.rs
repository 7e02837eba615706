//! How a `Store` behaves as it grows from 10^4 to 10^7 small keys (issue 11): bytes per key, time
//! per SET while loading (and the slowest one: the index doubling) and per GET of a random key
//! afterwards, the time active expiry takes to
//! remove a million volatile keys through ordinary traffic, and what FLUSHALL and UNLINK of a large
//! key cost — the whole call, and the longest any other client waits for the store meanwhile.
//!
//! Run: `cargo bench --bench growth` (largest size: `EMBEDIS_GROWTH_MAX`, default 10 000 000).
//! A plain program, not criterion: each figure is one pass over a large store.

use std::fmt::Write as _;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use embedis::server::CountingAllocator;
use embedis::{Clock, Commands, Store};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocated() -> usize {
    CountingAllocator::allocated().unwrap_or(0)
}

/// A xorshift generator, so every run draws the same keys.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Runs `work` on this thread while another thread does GETs on `store` in a loop; answers the
/// time `work` took and the longest the other thread waited for one GET meanwhile.
fn with_a_reader(store: &Store, work: impl FnOnce()) -> (Duration, Duration) {
    let done = AtomicBool::new(false);
    let started = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut longest = Duration::ZERO;
            while !done.load(Ordering::Relaxed) {
                let t = Instant::now();
                black_box(store.get("probe").unwrap());
                longest = longest.max(t.elapsed());
                started.store(true, Ordering::Relaxed);
            }
            longest
        });
        while !started.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
        let t = Instant::now();
        work();
        let took = t.elapsed();
        done.store(true, Ordering::Relaxed);
        (took, reader.join().unwrap())
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported and not needed.
    let max: usize = std::env::var("EMBEDIS_GROWTH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    println!("growth of a Store from 10^4 keys (SET key:N value:N), one row per size");
    println!(
        "| keys | bytes/key | ns/SET (loading) | slowest SET | ns/GET (random key) | FLUSHALL | longest wait of another client during FLUSHALL |"
    );
    println!("|---|---|---|---|---|---|---|");
    let mut n = 10_000;
    while n <= max {
        let store = Store::new();
        let before = allocated();
        let mut key = String::new();
        let load = Instant::now();
        let mut slowest = Duration::ZERO;
        for i in 0..n {
            key.clear();
            write!(key, "key:{i}").unwrap();
            let one = Instant::now();
            store.set(key.as_str(), i as i64 + 1_000_000_000).unwrap();
            slowest = slowest.max(one.elapsed());
        }
        let per_set = load.elapsed().as_nanos() as f64 / n as f64;
        let bytes = (allocated() - before) as f64 / n as f64;
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let gets = 200_000;
        let keys: Vec<String> = (0..gets).map(|_| format!("key:{}", rng.below(n))).collect();
        let read = Instant::now();
        for k in &keys {
            black_box(store.get_as::<i64>(k.as_str()).unwrap());
        }
        let per_get = read.elapsed().as_nanos() as f64 / gets as f64;
        let (flush, stall) = with_a_reader(&store, || store.flushall().unwrap());
        println!(
            "| {n} | {bytes:.0} | {per_set:.0} | {:.1} ms | {per_get:.0} | {:.1} ms | {:.1} ms |",
            slowest.as_secs_f64() * 1e3,
            flush.as_secs_f64() * 1e3,
            stall.as_secs_f64() * 1e3
        );
        drop(store);
        n *= 10;
    }

    let volatile = 1_000_000.min(max);
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    for i in 0..volatile {
        store.cmd::<()>(("SET", format!("v:{i}"), "x", "PX", 1000)).unwrap();
    }
    clock.advance(Duration::from_secs(2));
    let t = Instant::now();
    let mut commands = 0u64;
    let mut slowest = Duration::ZERO;
    while store.dbsize().unwrap() > 0 {
        let c = Instant::now();
        black_box(store.get("probe").unwrap());
        slowest = slowest.max(c.elapsed());
        commands += 1;
    }
    println!();
    println!(
        "active expiry of {volatile} volatile keys through ordinary commands: {:.0} ms in {commands} commands ({:.0} ns a command, the slowest {:.1} µs)",
        t.elapsed().as_secs_f64() * 1e3,
        t.elapsed().as_nanos() as f64 / commands as f64,
        slowest.as_secs_f64() * 1e6,
    );

    for (name, fill) in [
        ("a list", "RPUSH"),
        ("a set", "SADD"),
        ("a hash", "HSET"),
        ("a sorted set", "ZADD"),
    ] {
        let store = Store::new();
        let elements = 1_000_000.min(max);
        let batch = 1000;
        for start in (0..elements).step_by(batch) {
            let mut argv: Vec<String> = vec![fill.into(), "big".into()];
            for i in start..start + batch {
                match fill {
                    "HSET" => argv.extend([format!("field:{i}"), format!("value:{i}")]),
                    "ZADD" => argv.extend([i.to_string(), format!("member:{i}")]),
                    _ => argv.push(format!("element:{i}")),
                }
            }
            store.cmd::<i64>(argv).unwrap();
        }
        let (took, stall) = with_a_reader(&store, || {
            store.cmd::<i64>(("UNLINK", "big")).unwrap();
        });
        println!(
            "UNLINK of {name} of {elements} elements: {:.1} ms, the longest wait of another client {:.1} ms",
            took.as_secs_f64() * 1e3,
            stall.as_secs_f64() * 1e3
        );
    }
}
