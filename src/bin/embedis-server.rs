//! `embedis-server`: an embedis store behind a Redis server, for tests in any language.
//!
//! Takes Redis's flag spelling: `embedis-server --port 6379 --bind 127.0.0.1 --requirepass secret
//! --maxclients 10000 --cluster-enabled yes --dir /var/lib/embedis --dbfilename dump.rdb`
//! --save "3600 1 300 100 60 10000" --appendonly yes --appendfsync everysec` (with `--dir`, the
//! RDB file there is loaded at start, and SAVE, BGSAVE and the `--save` points write it; with
//! `--appendonly yes` too, the append-only file in `DIR/appendonlydir` is loaded instead and every
//! write appended to it). `--cluster-nodes N`
//! (embedis's own) serves N nodes of one cluster, on `--port` and the ports after it, the slots
//! split among them. Stops on SIGINT, SIGTERM or a client's SHUTDOWN.

use std::process::ExitCode;

use embedis::server::{Config, CountingAllocator, LocalCluster, Server, Stopper};

/// Counts the process's allocations for INFO's `used_memory`, as Redis's allocator wrapper does.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn usage() -> ExitCode {
    eprintln!(
        "usage: embedis-server [--port PORT] [--bind ADDRESS] [--requirepass PASSWORD] [--maxclients N] [--proto-max-bulk-len BYTES] [--cluster-enabled yes|no] [--cluster-nodes N] [--dir DIR] [--dbfilename NAME] [--save \"SECONDS CHANGES ...\"] [--appendonly yes|no] [--appendfsync always|everysec|no] [--appenddirname NAME] [--appendfilename NAME] [--aof-load-truncated yes|no] [--aof-use-rdb-preamble yes|no] [--rdbchecksum yes|no] [--protected-mode yes|no] [--aclfile PATH] [--replicaof \"HOST PORT\"]"
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let (mut port, mut bind) = (6379u16, "127.0.0.1".to_string());
    let mut config = Config::default();
    let mut cluster_enabled = false;
    let mut cluster_nodes = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let Some(value) = args.next() else {
            return usage();
        };
        let parsed = match flag.trim_start_matches('-') {
            "port" => value.parse().map(|p| port = p).is_ok(),
            "bind" => {
                bind = value;
                true
            }
            "requirepass" => {
                config.requirepass = Some(value);
                true
            }
            "maxclients" => value.parse().map(|n| config.maxclients = n).is_ok(),
            "proto-max-bulk-len" => value.parse().map(|n| config.proto_max_bulk_len = n).is_ok(),
            "dir" => {
                config = config.dir(&value);
                true
            }
            "dbfilename" => {
                config.dbfilename = value;
                true
            }
            "save" => {
                config.save = value;
                true
            }
            "appendonly" => yes_or_no(&value).map(|on| config.appendonly = on).is_some(),
            "appendfsync" => embedis::Fsync::parse(&value).map(|f| config.appendfsync = f).is_some(),
            "appenddirname" => {
                config.appenddirname = value;
                true
            }
            "appendfilename" => {
                config.appendfilename = value;
                true
            }
            "aof-load-truncated" => yes_or_no(&value).map(|on| config.aof_load_truncated = on).is_some(),
            "aof-use-rdb-preamble" => yes_or_no(&value).map(|on| config.aof_use_rdb_preamble = on).is_some(),
            "rdbchecksum" => yes_or_no(&value).map(|on| config.rdbchecksum = on).is_some(),
            "protected-mode" => yes_or_no(&value).map(|on| config.protected_mode = on).is_some(),
            "aclfile" => {
                config.aclfile = Some(value.into());
                true
            }
            // `--replicaof "<host> <port>"`, or the two as separate arguments (redis-server takes
            // either).
            "replicaof" | "slaveof" => {
                let (host, port) = match value.split_once(' ') {
                    Some((host, port)) => (host.to_string(), port.to_string()),
                    None => (value, args.next().unwrap_or_default()),
                };
                port.trim()
                    .parse()
                    .map(|port| config = std::mem::take(&mut config).replicaof(host, port))
                    .is_ok()
            }
            "cluster-nodes" => value.parse().map(|n: usize| cluster_nodes = n.max(1)).is_ok(),
            "cluster-enabled" => yes_or_no(&value).map(|on| cluster_enabled = on).is_some(),
            _ => false,
        };
        if !parsed {
            eprintln!(
                "embedis-server: bad argument: {flag} {}",
                args.next().unwrap_or_default()
            );
            return usage();
        }
    }
    if cluster_nodes > 1 {
        return serve_local_cluster(cluster_nodes, &bind, port, config);
    }
    let server = match Server::start_with(
        embedis::Store::builder().cluster_enabled(cluster_enabled).build(),
        (bind.as_str(), port),
        config,
    ) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("embedis-server: cannot start on {bind}:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    eprintln!(
        "embedis-server {} (Redis 7.0.15 semantics) ready to accept connections on {}",
        env!("CARGO_PKG_VERSION"),
        server.addr()
    );
    stop_on_signals(vec![server.stopper()]);
    server.wait();
    server.stop();
    eprintln!("embedis-server: stopped");
    ExitCode::SUCCESS
}

/// A `yes` or `no` flag value, any case.
fn yes_or_no(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// `--cluster-nodes N`: N nodes of one cluster on ports `port`, `port + 1`, … until every one
/// stops.
fn serve_local_cluster(nodes: usize, bind: &str, port: u16, config: Config) -> ExitCode {
    let cluster = match LocalCluster::start_with(nodes, bind, port, config) {
        Ok(cluster) => cluster,
        Err(e) => {
            eprintln!("embedis-server: cannot start {nodes} cluster nodes on {bind}:{port}…: {e}");
            return ExitCode::FAILURE;
        }
    };
    for server in cluster.servers() {
        eprintln!(
            "embedis-server {} (Redis 7.0.15 semantics) cluster node ready to accept connections on {}",
            env!("CARGO_PKG_VERSION"),
            server.addr()
        );
    }
    stop_on_signals(cluster.stoppers());
    cluster.wait();
    cluster.stop();
    eprintln!("embedis-server: stopped");
    ExitCode::SUCCESS
}

/// SIGINT and SIGTERM stop the servers: a thread polls a flag the signal handler sets.
fn stop_on_signals(stoppers: Vec<Stopper>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static SIGNALLED: AtomicBool = AtomicBool::new(false);
    extern "C" fn on_signal(_: i32) {
        SIGNALLED.store(true, Ordering::SeqCst);
    }
    unsafe extern "C" {
        fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    }
    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;
    // SAFETY: `on_signal` only stores to an atomic, which is async-signal-safe.
    unsafe {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    std::thread::spawn(move || {
        while !SIGNALLED.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        eprintln!("embedis-server: received a signal, shutting down");
        stoppers.iter().for_each(Stopper::stop);
    });
}
