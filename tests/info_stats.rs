//! INFO's commandstats and errorstats against redis-server: the same commands give the same
//! calls, rejected and failed calls, and error counts (times differ by nature and are masked).
#![cfg(all(feature = "server", feature = "lua"))]

mod common;

use common::{RawClient, RedisServer, words};
use embedis::Store;
use embedis::server::Server;

/// Runs the commands on a fresh client of the server at `port`, then answers the lines of INFO
/// `section`, sorted, with the times masked.
fn counted(port: u16, commands: &[&str], section: &str) -> Vec<String> {
    let mut client = RawClient::connect(port);
    client.call(&words("CONFIG RESETSTAT"));
    for line in commands {
        client.call(&words(line));
    }
    let info = client.call(&words(&format!("INFO {section}")));
    let text = String::from_utf8_lossy(&info).into_owned();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("cmdstat_") || l.starts_with("errorstat_") || l.starts_with("total_error_replies"))
        .filter(|l| !l.starts_with("cmdstat_config|resetstat") && !l.starts_with("cmdstat_info"))
        .map(|l| {
            l.split(',')
                .map(|field| match field.split_once('=') {
                    Some((name, _)) if name.ends_with("usec") || name == "usec_per_call" => format!("{name}=*"),
                    _ => field.to_string(),
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    lines.sort();
    lines
}

const COMMANDS: &[&str] = &[
    "SET a b",
    "INCR a",
    "GET",
    "GET a",
    "LPUSH a x",
    "NOSUCHCOMMAND",
    "MULTI",
    "SET n 1",
    "INCR a",
    "EXEC",
    "MULTI",
    "GET",
    "EXEC",
    "EXEC",
    "CONFIG SET busy-reply-threshold 5000",
    "EVAL \"return redis.call('GET', 'a')\" 0",
    "EVAL \"return redis.pcall('INCR', 'a')\" 0",
    "EVAL \"return redis.call('INCR', 'a')\" 0",
    "EVAL \"local r = redis.pcall('INCR', 'a') return 1\" 0",
    "EVAL \"return redis.error_reply('mine')\" 0",
    "EVAL \"error('boom')\" 0",
    "EVAL \"local t = redis.pcall('NOSUCH') local n = 0 for k in pairs(t) do n = n + 1 end return n\" 0",
    "MULTI",
    "EVAL \"return redis.call('INCR', 'a')\" 0",
    "EXEC",
    "WATCH a",
    "UNWATCH",
    "DISCARD",
    "HELLO 2",
    "SCRIPT KILL",
];

#[test]
fn commandstats_and_errorstats_count_as_redis_does() {
    let Some(redis) = RedisServer::start() else { return };
    let server = Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    for section in ["commandstats", "errorstats", "stats"] {
        let theirs = counted(redis.port, COMMANDS, section);
        let ours = counted(server.addr().port(), COMMANDS, section);
        assert_eq!(ours, theirs, "INFO {section}");
    }
}
