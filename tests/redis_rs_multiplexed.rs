//! redis-rs's own `MultiplexedConnection`, served in process over an in-memory stream
//! (`embedis::redis_rs::multiplexed_connection`): the same async program gives the same values
//! as over TCP to redis-server — commands, pipelines, transactions, scripts, RESP3 Pub/Sub with
//! push messages, client-side caching's invalidations, and a blocking pop served by another
//! connection.
#![cfg(feature = "redis-rs")]

mod common;

use std::sync::mpsc;
use std::time::Duration;

use common::RedisServer;
use embedis::Store;
use redis::aio::MultiplexedConnection;
use redis::{AsyncCommands, AsyncConnectionConfig, ProtocolVersion, PushInfo, RedisConnectionInfo, RedisResult};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Two connections (RESP3, the first with a push sender) to redis-server.
async fn to_redis(
    port: u16,
    pushes: mpsc::Sender<PushInfo>,
) -> RedisResult<(MultiplexedConnection, MultiplexedConnection)> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/?protocol=resp3"))?;
    let first = client
        .get_multiplexed_async_connection_with_config(&AsyncConnectionConfig::new().set_push_sender(pushes))
        .await?;
    let second = client.get_multiplexed_async_connection().await?;
    Ok((first, second))
}

/// The same two connections to an in-process store.
async fn to_embedis(
    store: &Store,
    pushes: mpsc::Sender<PushInfo>,
) -> RedisResult<(MultiplexedConnection, MultiplexedConnection)> {
    let info = RedisConnectionInfo::default().set_protocol(ProtocolVersion::RESP3);
    let config = AsyncConnectionConfig::new().set_push_sender(pushes);
    let first = embedis::redis_rs::multiplexed_connection(store, &info, config).await?;
    let second = embedis::redis_rs::multiplexed_connection(store, &info, AsyncConnectionConfig::new()).await?;
    Ok((first, second))
}

/// What the program saw, as text.
async fn program(
    (mut con, mut other): (MultiplexedConnection, MultiplexedConnection),
    pushes: &mpsc::Receiver<PushInfo>,
) -> RedisResult<Vec<String>> {
    let mut seen = Vec::new();
    let _: () = redis::cmd("FLUSHALL").query_async(&mut con).await?;
    let _: () = con.set("k", 10).await?;
    let n: i64 = con.incr("k", 5).await?;
    seen.push(format!("incr {n}"));
    let (a, b): (i64, i64) = redis::pipe().incr("k", 1).incr("k", 1).query_async(&mut con).await?;
    seen.push(format!("pipeline {a} {b}"));
    let (c, d): (i64, String) = redis::pipe()
        .atomic()
        .incr("k", 1)
        .get("k")
        .query_async(&mut con)
        .await?;
    seen.push(format!("transaction {c} {d}"));
    let failed: RedisResult<()> = redis::pipe()
        .atomic()
        .incr("k", 1)
        .lpush("k", "x")
        .query_async(&mut con)
        .await;
    seen.push(format!(
        "run-time error {:?}",
        failed.map_err(|e| e.code().map(str::to_string))
    ));
    let script: i64 = redis::Script::new("return redis.call('GET', KEYS[1]) * 2")
        .key("k")
        .invoke_async(&mut con)
        .await?;
    seen.push(format!("script {script}"));
    let map: redis::Value = redis::cmd("HGETALL").arg("nohash").query_async(&mut con).await?;
    seen.push(format!("resp3 {map:?}"));
    // RESP3 Pub/Sub on the same connection as commands.
    con.subscribe("news").await?;
    let received: i64 = other.publish("news", "hello").await?;
    seen.push(format!("published to {received}"));
    let still: i64 = con.incr("k", 1).await?;
    seen.push(format!("commands while subscribed {still}"));
    for _ in 0..2 {
        let push = pushes.recv_timeout(Duration::from_secs(5)).expect("a push");
        seen.push(format!("push {:?} {:?}", push.kind, push.data));
    }
    con.unsubscribe("news").await?;
    // Client-side caching: CLIENT TRACKING, and the invalidation of a key read as a push.
    let _: () = redis::cmd("CLIENT")
        .arg("TRACKING")
        .arg("ON")
        .query_async(&mut con)
        .await?;
    let cached: i64 = con.get("k").await?;
    let _: () = other.set("k", cached + 1).await?;
    let push = pushes.recv_timeout(Duration::from_secs(5)).expect("an invalidation");
    seen.push(format!("push {:?} {:?}", push.kind, push.data));
    let _: () = redis::cmd("CLIENT")
        .arg("TRACKING")
        .arg("OFF")
        .query_async(&mut con)
        .await?;
    // A blocking pop, served by the other connection.
    let mut blocked = con.clone();
    let pop = tokio::spawn(async move { blocked.blpop::<_, Option<(String, String)>>("queue", 5.0).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _: i64 = other.rpush("queue", "job").await?;
    let popped = pop.await.expect("the pop task")?;
    seen.push(format!("popped {popped:?}"));
    Ok(seen)
}

#[test]
fn a_multiplexed_connection_in_process_sees_what_it_sees_on_redis() {
    let Some(redis) = RedisServer::start() else { return };
    let runtime = runtime();
    let (tx, rx) = mpsc::channel();
    let theirs = runtime
        .block_on(async { program(to_redis(redis.port, tx).await?, &rx).await })
        .expect("the program on redis-server");
    let store = Store::new();
    let (tx, rx) = mpsc::channel();
    let ours = runtime
        .block_on(async { program(to_embedis(&store, tx).await?, &rx).await })
        .expect("the program in process");
    assert_eq!(ours, theirs);
}

#[test]
fn dropping_the_connection_ends_its_client_in_the_store() {
    let runtime = runtime();
    let store = Store::new();
    // The connection is kept past `block_on`: dropped inside, it could leave before the check.
    let con = runtime.block_on(async {
        let info = RedisConnectionInfo::default().set_protocol(ProtocolVersion::RESP3);
        let mut con = embedis::redis_rs::multiplexed_connection(&store, &info, AsyncConnectionConfig::new())
            .await
            .expect("a connection");
        con.subscribe("x").await.expect("SUBSCRIBE");
        con
    });
    let subscribers = |store: &Store| store.connect().call(["PUBSUB", "NUMSUB", "x"]).to_resp();
    assert_eq!(subscribers(&store), b"*2\r\n$1\r\nx\r\n:1\r\n");
    // Dropping the connection and its runtime: its client leaves, and its subscription.
    drop(con);
    drop(runtime);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while subscribers(&store) != b"*2\r\n$1\r\nx\r\n:0\r\n" {
        assert!(std::time::Instant::now() < deadline, "the client did not leave");
        std::thread::sleep(Duration::from_millis(10));
    }
}
