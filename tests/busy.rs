//! A script that runs long: others wait until `busy-reply-threshold`, then get BUSY; SCRIPT KILL
//! and FUNCTION KILL end a script that has not written; in process from other threads, and over
//! the wire byte for byte against redis-server.
#![cfg(feature = "lua")]

mod common;

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use embedis::{CommandError, Commands, Reply, Store};

/// A script that never returns on its own.
const SPIN: &str = "local a = 1 while true do a = a + 1 end";

/// A store whose scripts are timed out after 50 ms.
fn quick_store() -> Store {
    let store = Store::new();
    store.set_busy_reply_threshold(Duration::from_millis(50));
    store
}

/// Runs `script` on another thread of `store`.
fn spawn_eval(store: &Store, script: &str) -> JoinHandle<Result<Reply, CommandError>> {
    let runner = store.clone();
    let script = script.to_string();
    std::thread::spawn(move || runner.eval::<Reply>(script, (), ()))
}

/// Waits until `store` refuses a call with `busy`.
fn wait_busy(store: &Store, busy: CommandError) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match store.ping() {
            Err(e) if e == busy => return,
            other => assert!(Instant::now() < deadline, "never busy: {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The error a killed script's caller got (a [`Reply`] keeps an error reply as one).
fn killed_message(ended: Result<Reply, CommandError>) -> String {
    match ended {
        Ok(Reply::Error(e)) | Err(e) => e.to_string(),
        Ok(other) => panic!("the killed script answered {other:?}"),
    }
}

#[test]
fn others_wait_below_the_threshold_and_get_busy_past_it() {
    let store = Store::new();
    store.set_busy_reply_threshold(Duration::from_secs(60));
    let short = spawn_eval(&store, "for i = 1, 3000000 do end return 1");
    // Below the threshold a caller waits for the script, however long it takes.
    std::thread::sleep(Duration::from_millis(5));
    assert_eq!(store.incr("n"), Ok(1));
    assert_eq!(short.join().unwrap(), Ok(Reply::Integer(1)));

    let store = quick_store();
    let spinning = spawn_eval(&store, SPIN);
    wait_busy(&store, CommandError::BusyScript);
    assert_eq!(store.get("n"), Err(CommandError::BusyScript));
    let mut conn = store.connect();
    assert_eq!(conn.call(["GET", "n"]), Reply::Error(CommandError::BusyScript));
    assert_eq!(
        store.atomic(|db| db.incr("n")),
        Err(CommandError::BusyScript),
        "atomic does not wait either"
    );
    assert_eq!(conn.call(["FUNCTION", "KILL"]), Reply::Error(CommandError::BusyScript));
    assert_eq!(conn.call(["SCRIPT", "KILL"]), Reply::ok());
    let message = killed_message(spinning.join().unwrap());
    assert!(
        message.starts_with("ERR Script killed by user with SCRIPT KILL... script: "),
        "{message}"
    );
    assert!(message.ends_with(", on @user_script:1."), "{message}");
    assert_eq!(store.incr("n"), Ok(1));
    assert_eq!(store.script_kill(), Err(CommandError::NotBusy));
}

#[test]
fn pcall_cannot_swallow_the_kill() {
    let store = quick_store();
    let spinning = spawn_eval(
        &store,
        "local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
    );
    wait_busy(&store, CommandError::BusyScript);
    store.script_kill().unwrap();
    assert!(killed_message(spinning.join().unwrap()).contains("killed by user"));
    assert_eq!(store.ping().as_deref(), Ok("PONG"));
}

#[test]
fn a_script_that_wrote_cannot_be_killed() {
    let store = quick_store();
    let writer = spawn_eval(
        &store,
        "redis.call('SET', 'k', 'v') for i = 1, 100000000 do end return 'done'",
    );
    wait_busy(&store, CommandError::BusyScript);
    assert_eq!(store.script_kill(), Err(CommandError::Unkillable));
    assert_eq!(store.function_kill(), Err(CommandError::Unkillable));
    assert_eq!(writer.join().unwrap(), Ok(Reply::Bulk(b"done".to_vec())));
    assert_eq!(store.get("k").unwrap().as_deref(), Some("v"));
}

#[test]
fn functions_are_killed_by_function_kill_and_shown_by_function_stats() {
    let store = quick_store();
    store
        .function_load(format!(
            "#!lua name=lib\nredis.register_function('spin', function() {SPIN} end)"
        ))
        .unwrap();
    let runner = store.clone();
    let spinning = std::thread::spawn(move || runner.fcall::<Reply>("spin", (), ()));
    wait_busy(&store, CommandError::BusyFunction);
    let mut conn = store.connect();
    let Reply::Array(stats) = conn.call(["FUNCTION", "STATS"]).into_resp2() else {
        panic!("FUNCTION STATS answers an array");
    };
    assert_eq!(stats[0], Reply::Bulk(b"running_script".to_vec()));
    let Reply::Array(running) = &stats[1] else {
        panic!("the running function is shown: {stats:?}");
    };
    assert_eq!(running[1], Reply::Bulk(b"spin".to_vec()));
    assert_eq!(
        running[3],
        Reply::Array(vec![
            Reply::Bulk(b"FCALL".to_vec()),
            Reply::Bulk(b"spin".to_vec()),
            Reply::Bulk(b"0".to_vec())
        ])
    );
    assert_eq!(store.script_kill(), Err(CommandError::BusyFunction));
    store.function_kill().unwrap();
    let message = killed_message(spinning.join().unwrap());
    assert!(
        message.starts_with("ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2."),
        "{message}"
    );
}

#[test]
fn transactions_during_a_timed_out_script() {
    let store = quick_store();
    store.set("xx", 1).unwrap();
    let mut queued = store.connect();
    assert_eq!(queued.call(["MULTI"]), Reply::ok());
    assert_eq!(queued.call(["INCR", "xx"]), Reply::Status("QUEUED".into()));
    let mut watching = store.connect();
    assert_eq!(watching.call(["WATCH", "xx"]), Reply::ok());

    let spinning = spawn_eval(&store, SPIN);
    wait_busy(&store, CommandError::BusyScript);
    // A refused command dooms the transaction being queued; MULTI itself is allowed.
    let mut doomed = store.connect();
    assert_eq!(doomed.call(["MULTI"]), Reply::ok());
    assert_eq!(doomed.call(["INCR", "xx"]), Reply::Error(CommandError::BusyScript));
    // EXEC is refused and discards the transaction.
    assert_eq!(
        queued.call(["EXEC"]),
        Reply::Error(CommandError::ExecAbortBecause(
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.".into()
        ))
    );
    // UNWATCH is allowed: its bookkeeping under the lock waits for the script.
    assert_eq!(watching.call(["UNWATCH"]), Reply::ok());
    store.script_kill().unwrap();
    killed_message(spinning.join().unwrap());

    assert_eq!(doomed.call(["INCR", "xx"]), Reply::Status("QUEUED".into()));
    assert_eq!(doomed.call(["EXEC"]), Reply::Error(CommandError::ExecAbort));
    assert_eq!(
        queued.call(["PING"]),
        Reply::Status("PONG".into()),
        "no longer in MULTI"
    );
    assert_eq!(
        store.get_as::<i64>("xx").unwrap(),
        1,
        "nothing of either transaction ran"
    );
    // The unwatched key no longer dooms the client's next transaction.
    store.set("xx", 5).unwrap();
    assert_eq!(watching.call(["MULTI"]), Reply::ok());
    watching.call(["INCR", "xx"]);
    assert_eq!(watching.call(["EXEC"]), Reply::Array(vec![Reply::Integer(6)]));
}

#[test]
fn a_client_leaving_during_a_timed_out_script_leaves_nothing_behind() {
    let store = quick_store();
    let mut watching = store.connect();
    watching.call(["WATCH", "k"]);
    let spinning = spawn_eval(&store, SPIN);
    wait_busy(&store, CommandError::BusyScript);
    drop(watching); // its watch is released once the lock is free again
    store.script_kill().unwrap();
    killed_message(spinning.join().unwrap());
    let mut again = store.connect();
    assert_eq!(again.call(["WATCH", "k"]), Reply::ok());
    assert_eq!(again.call(["MULTI"]), Reply::ok());
    again.call(["SET", "k", "v"]);
    assert_eq!(again.call(["EXEC"]), Reply::Array(vec![Reply::ok()]));
}

#[cfg(feature = "server")]
mod over_the_wire {
    use super::*;
    use common::{RawClient, RedisServer, words};
    use embedis::server::Server;

    /// The same sequence of clients against one server: the transcript of every reply, with
    /// FUNCTION STATS's running time blanked (it differs by nature).
    fn scenario(port: u16) -> Vec<(String, Vec<u8>)> {
        let mut transcript = Vec::new();
        let mut other = RawClient::connect(port);
        let mut runner = RawClient::connect(port);
        let step = |client: &mut RawClient, line: &str, transcript: &mut Vec<(String, Vec<u8>)>| {
            let reply = client.call(&words(line));
            transcript.push((line.to_string(), reply));
        };
        let wait_busy = |client: &mut RawClient| {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !client.call(&words("PING")).starts_with(b"-BUSY") {
                assert!(Instant::now() < deadline, "never busy");
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        step(&mut other, "CONFIG SET lua-time-limit 50", &mut transcript);
        step(&mut other, "CONFIG GET busy-reply-threshold", &mut transcript);
        step(&mut other, "SET xx 1", &mut transcript);

        // An EVAL script, with a PING pipelined behind it on the same connection.
        runner.send(&words(&format!("EVAL \"{SPIN}\" 0")));
        runner.send(&words("PING"));
        wait_busy(&mut other);
        for line in [
            "GET xx",
            "FUNCTION KILL",
            "FUNCTION STATS",
            "SHUTDOWN",
            "MULTI",
            "INCR xx",
            "EXEC",
            "EXEC",
            "SCRIPT KILL",
        ] {
            step(&mut other, line, &mut transcript);
        }
        transcript.push(("killed EVAL".into(), runner.read()));
        transcript.push(("PING behind it".into(), runner.read()));
        step(&mut other, "SCRIPT KILL", &mut transcript);
        step(&mut other, "GET xx", &mut transcript);

        // A function.
        step(
            &mut other,
            &format!("FUNCTION LOAD \"#!lua name=lib\nredis.register_function('spin', function() {SPIN} end)\""),
            &mut transcript,
        );
        runner.send(&words("FCALL spin 0"));
        wait_busy(&mut other);
        step(&mut other, "SCRIPT KILL", &mut transcript);
        let stats = other.call(&words("FUNCTION STATS"));
        let text = String::from_utf8_lossy(&stats).into_owned();
        let blanked = match text.split_once("duration_ms\r\n:") {
            Some((head, tail)) => format!("{head}duration_ms\r\n:<ms>{}", &tail[tail.find('\r').unwrap_or(0)..]),
            None => text,
        };
        transcript.push(("FUNCTION STATS".into(), blanked.into_bytes()));
        step(&mut other, "FUNCTION KILL", &mut transcript);
        transcript.push(("killed FCALL".into(), runner.read()));

        // A script that wrote.
        runner.send(&words(
            "EVAL \"redis.call('SET', KEYS[1], 'v') for i = 1, 100000000 do end return 'done'\" 1 written",
        ));
        wait_busy(&mut other);
        step(&mut other, "SCRIPT KILL", &mut transcript);
        step(&mut other, "FUNCTION KILL", &mut transcript);
        transcript.push(("script that wrote".into(), runner.read()));
        step(&mut other, "GET written", &mut transcript);
        transcript
    }

    #[test]
    fn busy_replies_match_redis_byte_for_byte() {
        let Some(redis) = RedisServer::start() else { return };
        let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
        let ours = scenario(server.addr().port());
        let theirs = scenario(redis.port);
        assert_eq!(ours.len(), theirs.len());
        for ((line, ours), (_, theirs)) in ours.iter().zip(&theirs) {
            common::assert_same_bytes(ours, theirs, line);
        }
    }

    #[test]
    fn shutdown_nosave_ends_a_script_that_wrote_and_the_server() {
        let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
        let port = server.addr().port();
        let mut other = RawClient::connect(port);
        other.call(&words("CONFIG SET busy-reply-threshold 50"));
        let mut runner = RawClient::connect(port);
        runner.send(&words("EVAL \"redis.call('SET', 'k', 'v') while true do end\" 0"));
        while !other.call(&words("PING")).starts_with(b"-BUSY") {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            other.call(&words("SCRIPT KILL")),
            b"-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n"
        );
        other.send(&words("SHUTDOWN NOSAVE"));
        server.wait();
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
    }

    #[test]
    fn stopping_the_server_ends_a_running_script() {
        let store = Store::new();
        let server = Server::start(store.clone(), "127.0.0.1:0").expect("start embedis server");
        let mut runner = RawClient::connect(server.addr().port());
        runner.send(&words(&format!("EVAL \"{SPIN}\" 0")));
        std::thread::sleep(Duration::from_millis(50));
        // Below the threshold (5 s): the stop alone must end the script.
        let started = Instant::now();
        server.stop();
        assert!(started.elapsed() < Duration::from_secs(4), "the script kept the server");
        assert_eq!(store.ping().as_deref(), Ok("PONG"), "the store outlives its server");
    }
}
