//! Memory per item, the workloads of issue 11, two ways:
//!
//! - in process: a `Store`'s bytes counted by a counting global allocator, beside redis-server's
//!   own count (the growth of its `used_memory`);
//! - as servers: the growth of the resident memory (VmRSS) of an embedis-server process and of a
//!   redis-server process, each fresh for each workload, loaded over loopback in pipelines — what
//!   the operating system sees, allocator overheads included.
//!
//! Run: `cargo bench --bench memory` (items per workload: `EMBEDIS_MEMORY_ITEMS`, default
//! 200 000; Linux, for /proc). Without redis-server on PATH the Redis columns are skipped, and
//! the output says so.

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
        name: "XADD events * n N payload vN (one stream)",
        line: |i| {
            vec![
                "XADD".into(),
                "events".into(),
                "*".into(),
                "n".into(),
                i.to_string(),
                "payload".into(),
                format!("v{i}"),
            ]
        },
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

/// The resident memory of process `pid`, in bytes.
fn rss(pid: u32) -> i64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    let kb: i64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kb * 1024
}

/// Loads `items` of `workload` through `client` in pipelines of a thousand commands, and answers
/// the growth of `pid`'s resident memory per item.
fn rss_per_item(client: &mut common::RawClient, pid: u32, workload: &Workload, items: usize) -> f64 {
    let before = rss(pid);
    let lines: Vec<Vec<Vec<u8>>> = (0..items)
        .map(|i| (workload.line)(i).into_iter().map(String::into_bytes).collect())
        .collect();
    for batch in lines.chunks(1000) {
        client.pipeline(batch);
    }
    (rss(pid) - before) as f64 / items as f64
}

/// An embedis-server in a process of its own: this bench binary, run again with
/// `EMBEDIS_MEMORY_SERVE` set, which serves a fresh store and prints its port.
struct EmbedisServer {
    child: std::process::Child,
    port: u16,
}

impl EmbedisServer {
    fn start() -> EmbedisServer {
        use std::io::BufRead;
        let mut child = std::process::Command::new(std::env::current_exe().expect("this bench's path"))
            .env("EMBEDIS_MEMORY_SERVE", "1")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start embedis-server");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("the server's stdout");
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's port");
        let port = line.trim().parse().expect("a port");
        EmbedisServer { child, port }
    }
}

impl Drop for EmbedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Redis's process id, from INFO.
fn redis_pid(client: &mut common::RawClient) -> u32 {
    let info = client.call(&common::words("INFO server"));
    String::from_utf8_lossy(&info)
        .split("\r\n")
        .find_map(|line| line.strip_prefix("process_id:"))
        .and_then(|n| n.parse().ok())
        .expect("INFO server has process_id")
}

fn main() {
    if std::env::var_os("EMBEDIS_MEMORY_SERVE").is_some() {
        let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").expect("serve");
        println!("{}", server.addr().port());
        server.wait();
        return;
    }
    let items: usize = std::env::var("EMBEDIS_MEMORY_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    servers(items);
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

/// The servers' resident memory per item, each server fresh for each workload.
fn servers(items: usize) {
    println!("resident memory growth per item (bytes), {items} items per workload, fresh servers");
    println!("| workload | embedis-server | redis-server | embedis / redis |");
    println!("|---|---|---|---|");
    for workload in WORKLOADS {
        let embedis = EmbedisServer::start();
        let mut client = common::RawClient::connect(embedis.port);
        client.call(&common::words("PING"));
        let ours = rss_per_item(&mut client, embedis.child.id(), workload, items);
        drop(embedis);
        match common::RedisServer::start() {
            Some(redis) => {
                let mut client = redis.client();
                let pid = redis_pid(&mut client);
                let theirs = rss_per_item(&mut client, pid, workload, items);
                println!(
                    "| `{}` | {ours:.0} | {theirs:.0} | {:.2}x |",
                    workload.name,
                    ours / theirs
                );
            }
            None => println!("| `{}` | {ours:.0} | (skipped) | |", workload.name),
        }
    }
    println!();
}
