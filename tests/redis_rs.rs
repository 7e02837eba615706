//! One redis-rs program run three ways — the in-process adapter, redis-rs over TCP to
//! `embedis::server`, and redis-rs to a real redis-server — with identical results.
#![cfg(feature = "redis-rs")]

mod common;

use embedis::Store;
use embedis::redis_rs::RedisConnection;
use redis::{Commands, ConnectionLike, RedisResult};

/// The program: typed commands, a `redis::transaction` transfer, `pipe().atomic()` with a
/// WRONGTYPE in the middle, a queue-time error, and `redis::Script` with its EVALSHA fallback. It
/// answers a transcript of every outcome.
fn program(con: &mut impl ConnectionLike) -> Vec<String> {
    let mut log = Vec::new();
    let mut note = |what: &str, value: String| log.push(format!("{what}: {value}"));
    let _: RedisResult<()> = redis::cmd("FLUSHALL").query(con);
    let _: RedisResult<()> = redis::cmd("SCRIPT").arg("FLUSH").query(con);

    let r: RedisResult<()> = con.set("alice", 100);
    note("set", format!("{r:?}"));
    let r: RedisResult<()> = con.set("bob", 50);
    note("set", format!("{r:?}"));
    let r: RedisResult<i64> = con.incr("counter", 5);
    note("incr", format!("{r:?}"));
    let r: RedisResult<Option<String>> = con.get("missing");
    note("get missing", format!("{r:?}"));
    let r: RedisResult<Vec<String>> = con.lrange("alice", 0, -1);
    note("wrongtype", format!("{:?}", r.map_err(|e| e.to_string())));
    let r: RedisResult<()> = con.hset_multiple("h", &[("f1", "v1"), ("f2", "v2")]);
    note("hset", format!("{r:?}"));
    let r: RedisResult<std::collections::BTreeMap<String, String>> = con.hgetall("h");
    note("hgetall", format!("{r:?}"));
    let r: RedisResult<Vec<(String, f64)>> = {
        let _: RedisResult<()> = con.zadd_multiple("z", &[(1.5, "a"), (2.5, "b")]);
        con.zrange_withscores("z", 0, -1)
    };
    note("zrange withscores", format!("{r:?}"));

    // A check-and-set transfer with WATCH, retried by redis-rs on conflict.
    let r: RedisResult<(i64, i64)> = redis::transaction(con, &["alice", "bob"], |con, pipe| {
        let balance: i64 = con.get("alice")?;
        let amount = balance.min(30);
        pipe.decr("alice", amount)
            .ignore()
            .incr("bob", amount)
            .ignore()
            .get("alice")
            .get("bob")
            .query(con)
    });
    note("transfer", format!("{r:?}"));

    // MULTI/EXEC with a run-time error in the middle: the other commands still run.
    let r: RedisResult<(i64, i64)> = redis::pipe()
        .atomic()
        .incr("counter", 1)
        .lpush("alice", "x")
        .ignore()
        .incr("counter", 1)
        .query(con);
    note("atomic with wrongtype", format!("{:?}", r.map_err(|e| e.to_string())));
    let r: RedisResult<Vec<redis::Value>> = redis::pipe().atomic().incr("counter", 1).lpush("alice", "x").query(con);
    note("atomic values", format!("{:?}", r.map_err(|e| e.to_string())));
    let r: RedisResult<i64> = con.get("counter");
    note("counter after", format!("{r:?}"));

    // A queue-time error aborts the transaction.
    let r: RedisResult<Vec<redis::Value>> = redis::pipe().atomic().incr("counter", 1).cmd("NOSUCH").query(con);
    // redis-rs over a socket words it differently (the adapter cannot build that error, whose
    // constructor is private to redis-rs): the kind and the code are the same.
    note(
        "execabort",
        format!("{:?}", r.map_err(|e| (e.kind(), e.code().map(str::to_string)))),
    );
    let r: RedisResult<i64> = con.get("counter");
    note("counter after abort", format!("{r:?}"));

    // A plain pipeline.
    let r: RedisResult<(i64, String, Option<String>)> = redis::pipe()
        .incr("p", 2)
        .set("s", "v")
        .ignore()
        .get("s")
        .get("nothing")
        .query(con);
    note("pipeline", format!("{r:?}"));

    // Script: EVALSHA fails with NOSCRIPT the first time, redis-rs loads it and retries.
    let script = redis::Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
    let r: RedisResult<i64> = script.key("scripted").arg(7).invoke(con);
    note("script first", format!("{r:?}"));
    let r: RedisResult<i64> = script.key("scripted").arg(7).invoke(con);
    note("script cached", format!("{r:?}"));
    let r: RedisResult<i64> = redis::Script::new("return redis.call('GET', KEYS[1]) + 1")
        .key("alice")
        .invoke(con);
    note("script reading", format!("{r:?}"));
    let r: RedisResult<i64> = redis::Script::new("return redis.call('LPUSH', KEYS[1], 'x')")
        .key("bob")
        .invoke(con);
    note("script error", format!("{:?}", r.map_err(|e| e.to_string())));
    log
}

#[test]
fn the_same_program_gives_the_same_results_in_process_over_tcp_and_on_redis() {
    let in_process = program(&mut RedisConnection::new(&Store::new()));

    let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let client = redis::Client::open(server.url()).unwrap();
    let over_tcp = program(&mut client.get_connection().unwrap());
    assert_eq!(
        over_tcp, in_process,
        "embedis-server differs from the in-process adapter"
    );

    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let client = redis::Client::open(format!("redis://127.0.0.1:{}", redis.port)).unwrap();
    let on_redis = program(&mut client.get_connection().unwrap());
    assert_eq!(in_process, on_redis, "embedis differs from redis-server");
}

#[test]
fn the_async_adapter_answers_like_the_sync_one() {
    let store = Store::new();
    let mut con = RedisConnection::new(&store);
    let outcome = block_on(async {
        let _: () = redis::AsyncCommands::set(&mut con, "k", 10).await?;
        let n: i64 = redis::AsyncCommands::incr(&mut con, "k", 5).await?;
        let (a, b): (i64, i64) = redis::pipe()
            .atomic()
            .incr("k", 1)
            .incr("k", 1)
            .query_async(&mut con)
            .await?;
        let script: i64 = redis::Script::new("return redis.call('GET', KEYS[1]) * 2")
            .key("k")
            .invoke_async(&mut con)
            .await?;
        RedisResult::Ok((n, a, b, script))
    });
    assert_eq!(outcome.unwrap(), (15, 16, 17, 34));
}

#[test]
fn resp3_values_reach_redis_rs_after_hello_3() {
    let store = Store::new();
    let mut con = RedisConnection::new(&store);
    let _: () = redis::cmd("HELLO").arg(3).query(&mut con).unwrap();
    let _: () = con.hset("h", "f", "v").unwrap();
    let value: redis::Value = redis::cmd("HGETALL").arg("h").query(&mut con).unwrap();
    assert!(matches!(value, redis::Value::Map(_)), "{value:?}");
    let _: () = con.zadd("z", "m", 1.5).unwrap();
    let score: redis::Value = redis::cmd("ZSCORE").arg("z").arg("m").query(&mut con).unwrap();
    assert_eq!(score, redis::Value::Double(1.5));
}

/// Polls a future to completion on this thread (the adapter's futures are ready at once).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::yield_now();
    }
}

#[test]
fn clones_are_clients_of_the_same_store_that_transfer_concurrently() {
    let store = Store::new();
    let mut con = RedisConnection::new(&store);
    redis::cmd("SELECT").arg(3).exec(&mut con).unwrap();
    let _: () = con.set("a", 1000).unwrap();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let mut con = con.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    let _: (i64, i64) = redis::transaction(&mut con, &["a", "b"], |con, pipe| {
                        let a: i64 = con.get("a")?;
                        pipe.set("a", a - 1).ignore().incr("b", 1).get("a").query(con)
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    // Every clone worked in database 3, and WATCH kept every one of the 200 transfers whole.
    let (a, b): (i64, i64) = (con.get("a").unwrap(), con.get("b").unwrap());
    assert_eq!((a, b), (800, 200));
}
