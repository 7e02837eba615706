//! Keyspace notifications against redis-server: the same commands raise the same events, on the
//! same channels, in the same order — collected by a pattern subscriber on each server and
//! compared message by message — for each `notify-keyspace-events` setting tried.
#![cfg(all(feature = "server", feature = "lua"))]

mod common;

use common::{RawClient, RedisServer, words};
use embedis::Store;
use embedis::server::Server;

/// Sets `flags`, runs `commands` on one client while another subscribes to every channel, and
/// answers each message the subscriber received (raw bytes), up to a closing one.
fn events(port: u16, flags: &str, commands: &[&str]) -> Vec<Vec<u8>> {
    let mut admin = RawClient::connect(port);
    admin.call(&words("FLUSHALL"));
    admin.call(&words(&format!("CONFIG SET notify-keyspace-events {flags}")));
    let mut subscriber = RawClient::connect(port);
    subscriber.call(&words("PSUBSCRIBE *"));
    let mut client = RawClient::connect(port);
    for line in commands {
        client.call(&words(line));
    }
    client.call(&words("PUBLISH end-of-test done"));
    let mut messages = Vec::new();
    loop {
        let message = subscriber.read();
        if message.windows(11).any(|w| w == b"end-of-test") {
            break;
        }
        messages.push(message);
    }
    admin.call(&words("CONFIG SET notify-keyspace-events \"\""));
    messages
}

/// Compares the events of `commands` under each of `flags` on both servers.
fn check(flags: &[&str], commands: &[&str]) {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    for flags in flags {
        let theirs = events(redis.port, flags, commands);
        let ours = events(server.addr().port(), flags, commands);
        let show = |list: &[Vec<u8>]| {
            list.iter()
                .map(|m| String::from_utf8_lossy(m).replace("\r\n", " "))
                .collect::<Vec<_>>()
        };
        assert_eq!(show(&ours), show(&theirs), "events under {flags}");
    }
}

#[test]
fn generic_and_string_commands_raise_redis_events() {
    check(
        &["KEA", "KEAn", "E$", "Kg", "Ex"],
        &[
            "SET a 1",
            "SET a 2",
            "SET b v EX 100",
            "SET b v NX",
            "SET c v XX",
            "SET c v GET",
            "SETNX d 1",
            "SETNX d 2",
            "SETEX e 100 v",
            "PSETEX f 100000 v",
            "GETSET a 3",
            "GETDEL a",
            "GETDEL missing",
            "GETEX b PERSIST",
            "GETEX b EX 50",
            "GETEX b PXAT 1",
            "MSET m1 1 m2 2",
            "MSETNX m1 x n1 y",
            "MSETNX n1 x n2 y",
            "INCR counter",
            "DECR counter",
            "INCRBY counter 5",
            "DECRBY counter 2",
            "INCRBYFLOAT counter 1.5",
            "INCR notanumber",
            "APPEND s hello",
            "APPEND s world",
            "SETRANGE s 0 J",
            "SETRANGE s 0 \"\"",
            "SETRANGE t 3 x",
            "DEL m1 m2 nosuch",
            "UNLINK n1",
            "EXPIRE n2 100",
            "EXPIRE n2 100 NX",
            "PEXPIRE n2 0",
            "SET p 1",
            "EXPIREAT p 1",
            "SET q 1 EX 100",
            "PERSIST q",
            "PERSIST q",
            "RENAME q r",
            "SET s2 x",
            "RENAME r s2",
            "RENAMENX s2 s",
            "RENAMENX s2 fresh",
            "MOVE fresh 1",
            "COPY s copied",
            "COPY s copied REPLACE",
            "COPY s copied DB 2",
            "SELECT 2",
            "SET in2 x",
            "DEL in2",
        ],
    );
}

#[test]
fn expiry_raises_expired_events() {
    check(
        &["KEA", "Ex"],
        &[
            "SET lazy v PX 1",
            "DEBUG SLEEP 0.01",
            "GET lazy",
            "SET gone v PX 1",
            "DEBUG SLEEP 0.01",
            "EXISTS gone",
        ],
    );
}
