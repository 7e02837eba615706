//! redis-rs's cluster clients (`redis::cluster::ClusterClient`, sync and async) against
//! embedis-server in cluster mode give what they give against a one-node redis-server cluster:
//! the topology from CLUSTER SLOTS, commands routed by slot, hash-tagged multi-key commands and
//! scripts served, a cross-slot RENAME refused with CROSSSLOT (MSET and MGET the client splits by
//! slot itself).
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
