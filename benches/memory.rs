//! Memory per item: the workloads of issue 11 loaded into an in-process `Store` (bytes counted by
//! a counting global allocator) and into redis-server (the growth of its `used_memory`, Redis's
//! own count of what its allocator holds), printed as bytes per item and their ratio.
//!
//! Run: `cargo bench --bench memory` (items per workload: `EMBEDIS_MEMORY_ITEMS`, default
//! 200 000). Without redis-server on PATH the Redis column is skipped, and the output says so.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use embedis::{Commands, Store};

#[path = "../tests/common/mod.rs"]
mod common;

/// The system allocator, counting the bytes it holds.
struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One workload: its name and the command line that loads item `i`.
struct Workload {
    name: &'static str,
    line: fn(usize) -> Vec<String>,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "SET key:N value:N",
        line: |i| vec!["SET".into(), format!("key:{i}"), format!("value:{i}")],
    },
    Workload {
        name: "SET counter:N N (integers)",
        line: |i| vec!["SET".into(), format!("counter:{i}"), i.to_string()],
    },
    Workload {
        name: "HSET user:(N/10) fieldK vN (10 fields a hash)",
        line: |i| {
            vec![
                "HSET".into(),
                format!("user:{}", i / 10),
                format!("field{}", i % 10),
                format!("v{i}"),
            ]
        },
    },
    Workload {
        name: "ZADD board N member:N (one big set)",
        line: |i| vec!["ZADD".into(), "board".into(), i.to_string(), format!("member:{i}")],
    },
    Workload {
        name: "RPUSH queue item:N (one big list)",
        line: |i| vec!["RPUSH".into(), "queue".into(), format!("item:{i}")],
    },
    Workload {
        name: "SET sess:N <20 bytes> EX 3600",
        line: |i| {
            vec![
                "SET".into(),
                format!("sess:{i}"),
                format!("{i:020}"),
                "EX".into(),
                "3600".into(),
            ]
        },
    },
];

fn embedis_bytes_per_item(workload: &Workload, items: usize) -> f64 {
    let store = Store::new();
    // The first command makes the databases' tables; count from there.
    store.ping().unwrap();
    let before = HELD.load(Ordering::Relaxed);
    for i in 0..items {
        let reply: embedis::Reply = store.cmd((workload.line)(i)).unwrap();
        std::hint::black_box(reply);
    }
    let after = HELD.load(Ordering::Relaxed);
    drop(store);
    (after - before) as f64 / items as f64
}

fn used_memory(client: &mut common::RawClient) -> i64 {
    let info = client.call(&common::words("INFO memory"));
    let info = String::from_utf8_lossy(&info);
    info.split("\r\n")
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|n| n.parse().ok())
        .expect("INFO memory has used_memory")
}

fn redis_bytes_per_item(redis: &common::RedisServer, workload: &Workload, items: usize) -> f64 {
    let mut client = redis.client();
    client.call(&common::words("FLUSHALL"));
    let before = used_memory(&mut client);
    for i in 0..items {
        let argv: Vec<Vec<u8>> = (workload.line)(i).into_iter().map(String::into_bytes).collect();
        client.call(&argv);
    }
    let after = used_memory(&mut client);
    (after - before) as f64 / items as f64
}

fn main() {
    let items: usize = std::env::var("EMBEDIS_MEMORY_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let redis = common::RedisServer::start();
    println!("bytes per item, {items} items per workload");
    println!("| workload | embedis (allocator) | redis-server (used_memory) | embedis / redis |");
    println!("|---|---|---|---|");
    for workload in WORKLOADS {
        let ours = embedis_bytes_per_item(workload, items);
        match &redis {
            Some(redis) => {
                let theirs = redis_bytes_per_item(redis, workload, items);
                println!(
                    "| `{}` | {ours:.0} | {theirs:.0} | {:.2}x |",
                    workload.name,
                    ours / theirs
                );
            }
            None => println!("| `{}` | {ours:.0} | (skipped) | |", workload.name),
        }
    }
}
