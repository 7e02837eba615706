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

#[test]
fn list_commands_raise_redis_events() {
    check(
        &["KEA", "KEAn", "El", "Kgl"],
        &[
            "LPUSH l a b c",
            "RPUSH l d",
            "LPUSHX missing x",
            "RPUSHX l e",
            "LPOP l",
            "RPOP l 2",
            "LPOP l 0",
            "LPOP nosuch",
            "LSET l 0 z",
            "LINSERT l BEFORE z y",
            "LINSERT l BEFORE nothere y",
            "LREM l 0 nothere",
            "RPUSH l y y",
            "LREM l 1 y",
            "LTRIM l 0 -1",
            "LTRIM l 5 10",
            "RPUSH src 1 2",
            "LMOVE src dst LEFT RIGHT",
            "RPOPLPUSH src dst",
            "RPOPLPUSH dst dst",
            "RPUSH m1 1 2 3",
            "LMPOP 2 nosuch m1 LEFT COUNT 5",
            "RPUSH b1 x",
            "BLPOP b1 0",
            "RPUSH b2 x",
            "BLMOVE b2 b3 LEFT LEFT 0",
            "BRPOPLPUSH b3 b4 0",
            "BLMPOP 0 1 b4 RIGHT",
            "RPUSH s 3 1 2",
            "SORT s STORE sorted",
            "SORT nosuch STORE sorted",
            "SORT nosuch STORE sorted",
        ],
    );
}

#[test]
fn hash_and_set_commands_raise_redis_events() {
    check(
        &["KEA", "KEAn", "Ehs"],
        &[
            "HSET h a 1 b 2",
            "HSET h a 1",
            "HMSET h c 3",
            "HSETNX h a 9",
            "HSETNX h d 4",
            "HINCRBY h n 1",
            "HINCRBYFLOAT h f 1.5",
            "HDEL h nosuch",
            "HDEL h a b c d n",
            "HDEL h f",
            "SADD s a b",
            "SADD s a",
            "SREM s nosuch",
            "SREM s a",
            "SADD s c d e",
            "SPOP s",
            "SPOP s 1",
            "SPOP s 10",
            "SADD t 1 2 3",
            "SPOP t 0",
            "SADD u 1 2",
            "SMOVE u v 1",
            "SMOVE u v 9",
            "SMOVE u v 2",
            "SADD w 1 2",
            "SADD x 2 3",
            "SINTERSTORE i w x",
            "SUNIONSTORE un w x",
            "SDIFFSTORE d w x",
            "SDIFFSTORE d w w",
            "SDIFFSTORE d w w",
        ],
    );
}

#[test]
fn sorted_set_commands_raise_redis_events() {
    check(
        &["KEA", "KEAn", "Ez"],
        &[
            "ZADD z 1 a 2 b 3 c",
            "ZADD z 1 a",
            "ZADD z XX 5 nosuch",
            "ZADD z CH 9 a",
            "ZINCRBY z 1 b",
            "ZADD z INCR 1 c",
            "ZADD z NX INCR 1 c",
            "ZREM z nosuch",
            "ZREM z a",
            "ZADD r 1 a 2 b 3 c 4 d 5 e 6 f",
            "ZREMRANGEBYRANK r 0 0",
            "ZREMRANGEBYSCORE r 2 2",
            "ZREMRANGEBYLEX r [c [c",
            "ZREMRANGEBYLEX r [x [y",
            "ZPOPMIN r",
            "ZPOPMAX r 5",
            "ZADD p 1 a 2 b",
            "ZMPOP 1 p MIN COUNT 1",
            "BZPOPMAX p 0",
            "ZADD q 1 a",
            "BZMPOP 0 1 q MAX",
            "ZADD x 1 a 2 b",
            "ZADD y 2 b 3 c",
            "ZUNIONSTORE u 2 x y",
            "ZINTERSTORE i 2 x y",
            "ZDIFFSTORE d 2 x y",
            "ZDIFFSTORE d 2 x x",
            "ZRANGESTORE rs x 0 -1",
            "ZRANGESTORE rs x 5 10",
        ],
    );
}

#[test]
fn bit_hyperloglog_and_geo_commands_raise_redis_events() {
    check(
        &["KEA", "KEAn", "E$", "Kg", "KEm"],
        &[
            "SETBIT b 7 1",
            "SETBIT b 7 1",
            "SETBIT b 100 0",
            "BITFIELD b SET u8 0 1",
            "BITFIELD b SET u8 0 1",
            "BITFIELD nb OVERFLOW FAIL INCRBY u2 0 10",
            "BITFIELD b GET u8 0",
            "SET x abc",
            "BITOP NOT d x",
            "BITOP AND d nokey",
            "BITOP AND d nokey",
            "BITCOUNT b",
            "GETBIT b 7",
            "BITCOUNT missing",
            "BITFIELD_RO missing GET u8 0",
            "BITFIELD missing GET u8 0",
            "BITOP OR d2 missing x",
            "PFADD h a b",
            "PFADD h a",
            "PFADD h2",
            "PFCOUNT h",
            "PFCOUNT h h2 missing",
            "PFMERGE h3 h missing",
            "PFDEBUG TODENSE h",
            "GEOADD g 13.36 38.11 Palermo 15.08 37.50 Catania",
            "GEOADD g 13.36 38.11 Palermo",
            "GEORADIUS g 15 37 200 km STORE gs",
            "GEORADIUS g 15 37 1 km STORE gs",
            "GEOSEARCHSTORE gs2 g FROMLONLAT 15 37 BYRADIUS 200 km",
            "GEOSEARCHSTORE gs2 g FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST",
            "GEOSEARCH nogeo FROMLONLAT 15 37 BYRADIUS 1 km",
            "GEOSEARCHSTORE gs3 nogeo FROMLONLAT 15 37 BYRADIUS 1 km",
            "GEOPOS nogeo a",
        ],
    );
}

#[test]
fn stream_commands_raise_redis_events() {
    check(
        &["KEA", "KEAn", "Et", "Kt"],
        &[
            "XADD s 1-1 a 1",
            "XADD s 2-1 b 2",
            "XADD s 1-1 a 1",
            "XADD s NOMKSTREAM 3-1 c 3",
            "XADD missing NOMKSTREAM 1-1 a 1",
            "XADD s MAXLEN 2 4-1 d 4",
            "XADD s MAXLEN 5 5-1 e 5",
            "XTRIM s MAXLEN 1",
            "XTRIM s MAXLEN 10",
            "XDEL s 5-1",
            "XDEL s 5-1",
            "XSETID s 10-0",
            "XGROUP CREATE s g $",
            "XGROUP CREATE s g $",
            "XGROUP CREATE t g $ MKSTREAM",
            "XGROUP CREATECONSUMER s g c1",
            "XGROUP CREATECONSUMER s g c1",
            "XADD s 11-1 f 6",
            "XREADGROUP GROUP g c2 STREAMS s >",
            "XREADGROUP GROUP g c2 STREAMS s 0",
            "XCLAIM s g c3 0 11-1",
            "XAUTOCLAIM s g c4 0 0",
            "XACK s g 11-1",
            "XGROUP SETID s g 0",
            "XGROUP DELCONSUMER s g c1",
            "XGROUP DELCONSUMER s g nobody",
            "XGROUP DESTROY s g",
            "XGROUP DESTROY s g",
            "XREAD STREAMS s nosuch 0 0",
        ],
    );
}

#[test]
fn events_inside_multi_and_scripts_come_in_order() {
    check(
        &["KEA"],
        &[
            "MULTI",
            "SET a 1",
            "INCR a",
            "LPUSH l x",
            "DEL a l",
            "EXEC",
            "EVAL \"redis.call('set', 'k', 'v'); redis.call('publish', 'mine', 'between'); redis.call('del', 'k')\" 0",
        ],
    );
}

#[test]
fn key_misses_raise_keymiss_where_redis_raises_it() {
    check(
        &["KEm", "Em"],
        &[
            "SET present v",
            "GET x",
            "GET present",
            "MGET a present b",
            "EXISTS x present",
            "TYPE x",
            "TTL x",
            "PTTL x",
            "EXPIRETIME x",
            "STRLEN x",
            "GETRANGE x 0 1",
            "LRANGE x 0 -1",
            "LLEN x",
            "LINDEX x 0",
            "LPOS x a",
            "HGET x f",
            "HGETALL x",
            "HEXISTS x f",
            "HMGET x a b",
            "SMEMBERS x",
            "SISMEMBER x m",
            "SCARD x",
            "SRANDMEMBER x",
            "SUNION x present2",
            "ZSCORE x m",
            "ZRANGE x 0 -1",
            "ZRANK x m",
            "ZCARD x",
            "ZUNION 1 x",
            "OBJECT ENCODING x",
            "DUMP x",
            "TOUCH x",
            "SCAN 0",
            "HSCAN x 0",
            "LCS x y",
            "SORT_RO x",
            "RPUSH sl 1 2",
            "SORT sl BY w_* GET o_*",
            "SORT_RO sl BY w_* GET o_*",
            "SORT sl BY w_* GET o_* STORE sorted",
            "GETDEL x",
            "GETEX x",
            "GETSET x v",
            "SET y v GET",
            "INCR z",
            "LPOP nolist",
            "RENAME nokey other",
            "EXPIRE nokey 10",
            "SORT nosort STORE dst",
            "SINTERSTORE dst s1 s2",
            "ZUNIONSTORE dst 2 z1 z2",
            "ZRANGESTORE dst zsrc 0 -1",
            "COPY nosrc dst",
            "SMOVE nosrc dst m",
            "LMOVE nosrc dst LEFT LEFT",
            "EVAL \"return redis.call('get', 'inscript')\" 0",
            "XLEN nostream",
            "XRANGE nostream - +",
            "XREAD STREAMS nostream 0",
            "XREADGROUP GROUP g c STREAMS nostream >",
            "XACK nostream g 1-1",
            "XPENDING nostream g",
            "XCLAIM nostream g c 0 1-1",
            "XAUTOCLAIM nostream g c 0 0",
            "XINFO STREAM nostream",
            "XADD nostream NOMKSTREAM * a b",
            "XDEL nostream 1-1",
            "XTRIM nostream MAXLEN 0",
            "XSETID nostream 1-1",
            "XGROUP CREATE nostream g $",
        ],
    );
}
