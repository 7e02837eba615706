//! `maxmemory`: eviction by each policy and the OOM refusals, against redis-server over the wire
//! (in process: tests/maxmemory_in_process.rs).
//!
//! This test binary counts its allocations, as embedis-server does: a server it starts measures
//! the process, as Redis measures its own, so a limit of one byte is out of memory even with no
//! key left.

#[global_allocator]
static ALLOCATOR: embedis::CountingAllocator = embedis::CountingAllocator;

mod common;
mod wire;

use wire::check_servers;

/// With `noeviction` past the limit: what could grow the store is refused with Redis's OOM
/// error (commands, a script's first write in EVAL's compatibility mode, a script or function
/// whose flags allow neither, anything queued in MULTI, EXEC of a transaction queued before),
/// while reads, deletes, `no-writes` and `allow-oom` scripts run.
#[test]
fn out_of_memory_refuses_what_could_grow_the_store_as_redis() {
    check_servers(
        2,
        &[
            (0, "SET k v", 1),
            (
                0,
                "FUNCTION LOAD \"#!lua name=lib\nredis.register_function('f', function() return redis.call('set', 'x', 'y') end)\nredis.register_function{function_name='g', callback=function() return redis.call('set', 'x', 'y') end, flags={'allow-oom'}}\"",
                1,
            ),
            (1, "MULTI", 1),
            (1, "SET queued 1", 1),
            (0, "CONFIG SET maxmemory 1", 1),
            (1, "EXEC", 1),
            (0, "SET a b", 1),
            (0, "INCR n", 1),
            (0, "GET k", 1),
            (0, "EXISTS k a", 1),
            (0, "DEL nothing", 1),
            (0, "PUBLISH channel message", 1),
            (0, "EVAL \"return redis.call('get', 'k')\" 0", 1),
            (0, "EVAL \"return redis.call('set', 'x', 'y')\" 0", 1),
            (0, "EVAL \"return redis.pcall('incr', 'x')\" 0", 1),
            (0, "EVAL \"#!lua\nreturn 1\" 0", 1),
            (0, "EVAL \"#!lua flags=no-writes\nreturn redis.call('get', 'k')\" 0", 1),
            (
                0,
                "EVAL \"#!lua flags=allow-oom\nreturn redis.call('set', 'x', 'y')\" 0",
                1,
            ),
            (0, "FCALL f 0", 1),
            (0, "FCALL g 0", 1),
            (0, "MULTI", 1),
            (0, "GET k", 1),
            (0, "SET a b", 1),
            (0, "EXEC", 1),
            (0, "CONFIG SET maxmemory 0", 1),
            (0, "SET a b", 1),
            (0, "MGET a x", 1),
        ],
    );
}

/// Each policy evicts what Redis's evicts where the choice is determined (one candidate, or
/// all of them): the `evicted` events, the watchers and trackers of an evicted key, and OOM once the policy finds nothing more to evict.
#[test]
fn eviction_policies_evict_as_redis() {
    check_servers(
        3,
        &[
            (2, "CONFIG SET notify-keyspace-events KEA", 1),
            (2, "PSUBSCRIBE __key*__:*", 1),
            (0, "CONFIG RESETSTAT", 1),
            (0, "SET plain 1", 1),
            (0, "SET volatile 2 EX 100", 1),
            (2, "", 4),
            (1, "HELLO 3", 1),
            (1, "CLIENT TRACKING on", 1),
            (1, "GET plain", 1),
            (1, "WATCH volatile", 1),
            (0, "CONFIG SET maxmemory-policy volatile-ttl", 1),
            (0, "CONFIG SET maxmemory 1", 1),
            // Only the volatile key may go; then nothing can, and writes are refused.
            (0, "DBSIZE", 1),
            (2, "", 2),
            (0, "GET plain", 1),
            (0, "SET other 3", 1),
            (0, "CONFIG SET maxmemory 0", 1),
            (1, "MULTI", 1),
            (1, "GET plain", 1),
            (1, "EXEC", 1),
            // allkeys-random takes the last key, LFU and LRU every one, database by database.
            (0, "CONFIG SET maxmemory-policy allkeys-random", 1),
            (0, "CONFIG SET maxmemory 1", 1),
            (0, "DBSIZE", 1),
            (2, "", 2),
            // The client that read it, tracking, is told.
            (1, "", 1),
            (0, "CONFIG SET maxmemory 0", 1),
            (0, "SELECT 3", 1),
            (0, "SET lfu 1", 1),
            (2, "", 2),
            (0, "CONFIG SET maxmemory-policy allkeys-lfu", 1),
            (0, "CONFIG SET maxmemory 1", 1),
            (0, "DBSIZE", 1),
            (2, "", 2),
            (0, "SET lfu 1", 1),
            (0, "CONFIG SET maxmemory 0", 1),
            (0, "SET lru 1", 1),
            (2, "", 2),
            (0, "CONFIG SET maxmemory-policy volatile-lru", 1),
            (0, "CONFIG SET maxmemory 1", 1),
            (0, "DBSIZE", 1),
            (0, "SET still 1", 1),
            (0, "CONFIG SET maxmemory 0", 1),
            (0, "CONFIG SET maxmemory-policy noeviction", 1),
        ],
    );
}

/// Refusals count as Redis counts them: a command refused for memory is a rejected call (and an
/// `OOM` error), so is EXEC refused for memory (an `EXECABORT`), and a script's refused first
/// write rejects the command inside it and fails the script.
#[test]
fn refusals_for_memory_count_as_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0").expect("start embedis server");
    let steps: &[wire::Step<'_>] = &[
        (0, "SET k v", 1),
        (1, "MULTI", 1),
        (1, "SET queued 1", 1),
        (0, "CONFIG SET maxmemory 1", 1),
        (1, "EXEC", 1),
        (0, "SET a b", 1),
        (0, "EVAL \"return redis.call('set', 'x', 'y')\" 0", 1),
        (1, "MULTI", 1),
        (1, "GET k", 1),
        (1, "EXEC", 1),
        (0, "CONFIG SET maxmemory 0", 1),
    ];
    let counts = |port: u16| {
        wire::transcript(port, 2, steps);
        let mut client = common::RawClient::connect(port);
        // The harness's own commands are not the test's.
        common::stat_counts(&mut client, |line| {
            !["cmdstat_config", "cmdstat_client", "cmdstat_info"]
                .iter()
                .any(|c| line.starts_with(c))
        })
    };
    assert_eq!(counts(server.addr().port()), counts(redis.port));
}
