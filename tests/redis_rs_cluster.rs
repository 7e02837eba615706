//! redis-rs's cluster clients (`redis::cluster::ClusterClient`, sync and async) against
//! embedis-server in cluster mode give what they give against a one-node redis-server cluster:
//! the topology from CLUSTER SLOTS, commands routed by slot, hash-tagged multi-key commands and
//! scripts served, a cross-slot RENAME refused with CROSSSLOT (MSET and MGET the client splits by
//! slot itself). And against a three-node `LocalCluster` resharded under a workload of
//! transfers: the client follows MOVED and ASK, and no transfer is lost or done twice.
#![cfg(feature = "redis-rs")]

mod common;

use common::RedisServer;
use embedis::Store;
use embedis::server::Server;
use redis::cluster::ClusterClient;
use redis::{AsyncCommands, Commands, ErrorKind, RedisResult, ServerErrorKind};

/// What a workload of transfers between hash-tagged accounts saw, to compare between servers.
#[derive(Debug, PartialEq)]
struct Seen {
    balances: Vec<i64>,
    moved_by_script: i64,
    cross_slot_kind: Option<ErrorKind>,
    tagged_mget: Vec<Option<i64>>,
}

const TRANSFER: &str = "local from = tonumber(redis.call('GET', KEYS[1]))
if from < tonumber(ARGV[1]) then return 0 end
redis.call('DECRBY', KEYS[1], ARGV[1])
redis.call('INCRBY', KEYS[2], ARGV[1])
return 1";

fn sync_workload(port: u16) -> RedisResult<Seen> {
    let client = ClusterClient::new(vec![format!("redis://127.0.0.1:{port}")])?;
    let mut conn = client.get_connection()?;
    let accounts = ["{bank}:alice", "{bank}:bob", "{bank}:carol"];
    for account in accounts {
        let _: () = conn.set(account, 100)?;
    }
    let script = redis::Script::new(TRANSFER);
    let mut moved_by_script = 0;
    for (i, amount) in [30, 50, 80, 10, 5].into_iter().enumerate() {
        let (from, to) = (accounts[i % 3], accounts[(i + 1) % 3]);
        moved_by_script += script.key(from).key(to).arg(amount).invoke::<i64>(&mut conn)?;
    }
    let balances = accounts
        .iter()
        .map(|a| conn.get(*a))
        .collect::<RedisResult<Vec<i64>>>()?;
    // MSET and MGET the client splits by slot itself; RENAME it sends whole.
    let _: () = conn.set("alice", 1)?;
    let cross: RedisResult<()> = conn.rename("alice", "bob");
    let tagged_mget: Vec<Option<i64>> = conn.mget(&accounts[..2])?;
    Ok(Seen {
        balances,
        moved_by_script,
        cross_slot_kind: cross.err().map(|e| e.kind()),
        tagged_mget,
    })
}

async fn async_workload(port: u16) -> RedisResult<Seen> {
    let client = ClusterClient::new(vec![format!("redis://127.0.0.1:{port}")])?;
    let mut conn = client.get_async_connection().await?;
    let accounts = ["{shop}:a", "{shop}:b"];
    for account in accounts {
        let _: () = conn.set(account, 10).await?;
    }
    let script = redis::Script::new(TRANSFER);
    let mut moved_by_script = 0;
    for amount in [4, 4, 4] {
        moved_by_script += script
            .key(accounts[0])
            .key(accounts[1])
            .arg(amount)
            .invoke_async::<i64>(&mut conn)
            .await?;
    }
    let a: i64 = conn.get(accounts[0]).await?;
    let b: i64 = conn.get(accounts[1]).await?;
    let _: () = conn.set("x", 1).await?;
    let cross: RedisResult<()> = conn.rename("x", "y").await;
    let tagged_mget: Vec<Option<i64>> = conn.mget(&accounts).await?;
    Ok(Seen {
        balances: vec![a, b],
        moved_by_script,
        cross_slot_kind: cross.err().map(|e| e.kind()),
        tagged_mget,
    })
}

#[test]
fn cluster_clients_work_against_embedis_server_as_against_redis() {
    let Some(redis) = RedisServer::start_cluster() else {
        return;
    };
    let server = Server::start(Store::builder().cluster_enabled(true).build(), "127.0.0.1:0").unwrap();
    let port = server.addr().port();

    let theirs = sync_workload(redis.port).unwrap();
    let ours = sync_workload(port).unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(
        ours.balances.iter().sum::<i64>(),
        300,
        "transfers move money, never make it"
    );
    assert_eq!(
        ours.cross_slot_kind,
        Some(ErrorKind::Server(ServerErrorKind::CrossSlot))
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let theirs = runtime.block_on(async_workload(redis.port)).unwrap();
    let ours = runtime.block_on(async_workload(port)).unwrap();
    assert_eq!(ours, theirs);
    assert_eq!(ours.balances, [2, 18]);
    assert_eq!(
        ours.cross_slot_kind,
        Some(ErrorKind::Server(ServerErrorKind::CrossSlot))
    );
}

/// The admin side of a resharding of a three-node `LocalCluster`: moves slots from node to node
/// as `redis-cli --cluster reshard` does (SETSLOT IMPORTING and MIGRATING, MIGRATE of the slot's
/// keys, SETSLOT NODE), pausing where a real resharding takes its time so that a workload
/// meets every stage: the slot open on both sides, then its keys gone from the source (ASK).
struct Resharder {
    admin: Vec<common::RawClient>,
    ids: Vec<String>,
    ports: Vec<u16>,
}

impl Resharder {
    fn new(cluster: &embedis::server::LocalCluster) -> Resharder {
        let ports: Vec<u16> = cluster.servers().iter().map(|s| s.addr().port()).collect();
        let mut admin: Vec<common::RawClient> = ports.iter().map(|&p| common::RawClient::connect(p)).collect();
        let ids = admin.iter_mut().map(common::node_id).collect();
        Resharder { admin, ids, ports }
    }

    /// The node serving `slot` at the start (the slots split as `--cluster create` splits them).
    fn first_owner(slot: u16) -> usize {
        match slot {
            0..=5460 => 0,
            5461..=10922 => 1,
            _ => 2,
        }
    }

    fn call(&mut self, node: usize, line: String) -> Vec<u8> {
        let reply = self.admin[node].call(&common::words(&line));
        assert!(!reply.starts_with(b"-"), "{line}: {}", String::from_utf8_lossy(&reply));
        reply
    }

    fn move_slot(&mut self, slot: u16, source: usize, target: usize) {
        let pause = || std::thread::sleep(std::time::Duration::from_millis(10));
        let (source_id, target_id) = (self.ids[source].clone(), self.ids[target].clone());
        self.call(target, format!("CLUSTER SETSLOT {slot} IMPORTING {source_id}"));
        self.call(source, format!("CLUSTER SETSLOT {slot} MIGRATING {target_id}"));
        pause();
        loop {
            let reply = self.call(source, format!("CLUSTER GETKEYSINSLOT {slot} 10"));
            let keys: Vec<String> = String::from_utf8_lossy(&reply)
                .split("\r\n")
                .filter(|line| !line.is_empty() && !line.starts_with(['*', '$']))
                .map(str::to_string)
                .collect();
            if keys.is_empty() {
                break;
            }
            let port = self.ports[target];
            self.call(
                source,
                format!("MIGRATE 127.0.0.1 {port} \"\" 0 5000 KEYS {}", keys.join(" ")),
            );
        }
        pause();
        self.call(source, format!("CLUSTER SETSLOT {slot} NODE {target_id}"));
        self.call(target, format!("CLUSTER SETSLOT {slot} NODE {target_id}"));
    }

    /// Moves the slot of each account one node on; then checks that each is there.
    fn move_accounts(&mut self) {
        for i in 0..ACCOUNTS {
            let slot = embedis::key_slot(account(i, "a"));
            let source = Self::first_owner(slot);
            self.move_slot(slot, source, (source + 1) % 3);
        }
    }

    fn check_accounts_moved(&mut self) {
        for i in 0..ACCOUNTS {
            let slot = embedis::key_slot(account(i, "a"));
            let node = (Self::first_owner(slot) + 1) % 3;
            let reply = self.call(node, format!("CLUSTER COUNTKEYSINSLOT {slot}"));
            assert_eq!(reply, b":2\r\n", "account {i} moved to node {node}");
        }
    }
}

const ACCOUNTS: usize = 12;

fn account(i: usize, side: &str) -> String {
    format!("{{acct:{i}}}:{side}")
}

/// The `n`th transfer of the workload: one unit between an account's two sides, back and forth
/// so that the money never runs out.
fn transfer_of(n: usize) -> (String, String) {
    let i = n % ACCOUNTS;
    let (from, to) = if (n / ACCOUNTS).is_multiple_of(2) {
        ("a", "b")
    } else {
        ("b", "a")
    };
    (account(i, from), account(i, to))
}

/// A workload of transfers between hash-tagged accounts, run by redis-rs's synchronous
/// `ClusterClient` against a three-node `LocalCluster` while the test reshards: the client
/// follows the MOVED and ASK redirections, every transfer happens once, and no money is made
/// or lost.
#[test]
fn cluster_client_transfers_survive_a_resharding() {
    let cluster = embedis::server::LocalCluster::start(3).unwrap();
    let mut resharder = Resharder::new(&cluster);
    let client = ClusterClient::new(cluster.urls()).unwrap();
    let mut conn = client.get_connection().unwrap();
    for i in 0..ACCOUNTS {
        let _: () = conn.set(account(i, "a"), 100).unwrap();
        let _: () = conn.set(account(i, "b"), 100).unwrap();
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = std::sync::Arc::clone(&stop);
    let worker = std::thread::spawn(move || {
        let script = redis::Script::new(TRANSFER);
        let (mut moved, mut n) = (0, 0);
        // Until the resharding is over, and a round of every account after it.
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) || n % ACCOUNTS != 0 {
            let (from, to) = transfer_of(n);
            let done: i64 = script
                .key(from)
                .key(to)
                .arg(1)
                .invoke(&mut conn)
                .expect("a transfer: the client follows every redirection");
            moved += done;
            n += 1;
        }
        (moved, n, conn)
    });
    resharder.move_accounts();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (moved, transfers, mut conn) = worker.join().unwrap();
    assert!(
        transfers >= 10 * ACCOUNTS,
        "the transfers ran during the resharding: {transfers}"
    );
    assert_eq!(moved, transfers as i64, "every transfer had the money to move");
    let total: i64 = (0..ACCOUNTS)
        .map(|i| conn.get::<_, i64>(account(i, "a")).unwrap() + conn.get::<_, i64>(account(i, "b")).unwrap())
        .sum();
    assert_eq!(total, 200 * ACCOUNTS as i64, "no money made or lost");
    resharder.check_accounts_moved();
}

/// The same with redis-rs's asynchronous cluster connection.
#[test]
fn async_cluster_client_transfers_survive_a_resharding() {
    let cluster = embedis::server::LocalCluster::start(3).unwrap();
    let mut resharder = Resharder::new(&cluster);
    let client = ClusterClient::new(cluster.urls()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut conn = runtime.block_on(client.get_async_connection()).unwrap();
    runtime.block_on(async {
        for i in 0..ACCOUNTS {
            let _: () = conn.set(account(i, "a"), 100).await.unwrap();
            let _: () = conn.set(account(i, "b"), 100).await.unwrap();
        }
    });
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = std::sync::Arc::clone(&stop);
    let mut workload = conn.clone();
    let worker = runtime.spawn(async move {
        let script = redis::Script::new(TRANSFER);
        let (mut moved, mut n) = (0, 0);
        while !stopped.load(std::sync::atomic::Ordering::Relaxed) || n % ACCOUNTS != 0 {
            let (from, to) = transfer_of(n);
            let done: i64 = script
                .key(from)
                .key(to)
                .arg(1)
                .invoke_async(&mut workload)
                .await
                .expect("a transfer: the client follows every redirection");
            moved += done;
            n += 1;
        }
        (moved, n)
    });
    resharder.move_accounts();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (moved, transfers) = runtime.block_on(worker).unwrap();
    assert!(
        transfers >= 10 * ACCOUNTS,
        "the transfers ran during the resharding: {transfers}"
    );
    assert_eq!(moved, transfers as i64, "every transfer had the money to move");
    let total: i64 = runtime.block_on(async {
        let mut total = 0;
        for i in 0..ACCOUNTS {
            total += conn.get::<_, i64>(account(i, "a")).await.unwrap();
            total += conn.get::<_, i64>(account(i, "b")).await.unwrap();
        }
        total
    });
    assert_eq!(total, 200 * ACCOUNTS as i64, "no money made or lost");
    resharder.check_accounts_moved();
}
