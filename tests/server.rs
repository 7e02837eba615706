//! The RESP server: protocol edges byte for byte against redis-server, AUTH, maxclients, blocking,
//! disconnects, random input, and redis-cli as an outside client.
#![cfg(feature = "server")]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use embedis::Store;
use embedis::server::{Config, Server};
use proptest::prelude::*;

/// Sends `input` on a fresh connection and answers everything the server writes back: it waits up
/// to a second for the first byte, then until the server falls silent for 50 ms, and appends
/// `<EOF>` when the server closed the connection.
fn exchange(addr: SocketAddr, input: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    stream.write_all(input).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let read = stream.read(&mut buf);
        let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
        match read {
            Ok(0) => {
                out.extend_from_slice(b"<EOF>");
                return out;
            }
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => return out,
        }
    }
}

/// Sends `input` and reads exactly `reply_len` bytes of replies: for loads whose every reply
/// must have come before the next step.
fn send_all(addr: SocketAddr, input: &[u8], reply_len: usize) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(input).unwrap();
    let mut out = vec![0; reply_len];
    stream.read_exact(&mut out).expect("every reply");
    out
}

fn start() -> Server {
    Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server")
}

/// Inputs whose replies (and whether the connection closes) must match Redis byte for byte.
const PROTOCOL_CASES: &[&[u8]] = &[
    b"PING\r\n",
    b"PING\n",
    b"  \r\n\r\nPING\r\n",
    b"set a 'b c'\r\nget a\r\n",
    b"set \"x\\x41\\n\" v\r\nget \"x\\x41\\n\"\r\n",
    b"get \"a\r\n",
    b"get 'a\r\n",
    b"get \"a\"b\r\n",
    b"*-1\r\nPING\r\n",
    b"*0\r\nPING\r\n",
    b"*x\r\n",
    b"*2147483648\r\n",
    b"*1\r\n+PING\r\n",
    b"*1\r\n$-1\r\n",
    b"*1\r\n$x\r\n",
    b"*1\r\n$536870913\r\n",
    b"*1\r\n$4\r\nPINGxx",
    b"*1\r\n$4\r\nPING\r\nPING\r\n",
    b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nvXYGET k\r\n",
    b"*1\r\n$ 4\r\n",
    b"*+1\r\n$4\r\nPING\r\n",
    b"*01\r\n$4\r\nPING\r\n",
    b"*1 \r\n$4\r\nPING\r\n",
    b"*1\r\n\r\n",
    b"\r\n",
    b"QUIT\r\nPING\r\n",
    b"ping\x00x\r\n",
    b"NOSUCH a b\r\nPING\r\n",
    b"MULTI\r\nINCR n\r\nGET n\r\nEXEC\r\n",
    b"CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nPING\r\n",
    b"CLIENT REPLY SKIP\r\nPING\r\nPING\r\n",
    b"CLIENT NOSUCH\r\nCLIENT\r\nCLIENT ID x\r\nCLIENT SETNAME \"a b\"\r\nCLIENT SETNAME ok\r\nCLIENT GETNAME\r\n",
    b"AUTH x\r\nAUTH a b\r\nAUTH\r\nAUTH a b c\r\n",
    b"HELLO 4\r\nHELLO x\r\nHELLO 3 SETNAME\r\n",
    b"CLIENT UNBLOCK 999999\r\nCLIENT UNBLOCK x\r\nCLIENT UNBLOCK 1 FOO\r\n",
    b"CONFIG GET maxmemory\r\nCONFIG GET maxmemory-policy\r\nCONFIG GET nosuch\r\nCONFIG GET\r\n",
    b"CONFIG SET nosuch 1\r\nCONFIG SET maxclients abc\r\nCONFIG SET proto-max-bulk-len 1x\r\nCONFIG SET a\r\n",
    b"CONFIG SET maxmemory-policy noeviction\r\nCONFIG REWRITE\r\nCONFIG RESETSTAT\r\nCONFIG FOO\r\nCONFIG\r\n",
    b"CONFIG HELP\r\nCONFIG HELP x\r\nCLIENT HELP x\r\nDEBUG HELP x\r\nDEBUG nosuch\r\nDEBUG sleep\r\n",
    b"MULTI\r\nSET a 1\r\nRESET\r\nEXEC\r\nGET a\r\nSELECT 2\r\nRESET\r\nDBSIZE\r\n",
    b"BGSAVE x\r\nLASTSAVE x\r\n",
    b"COMMAND GETKEYS get\r\nCOMMAND GETKEYS ping x\r\nCOMMAND GETKEYS get a b\r\nCOMMAND GETKEYS nosuch a\r\n",
    b"COMMAND GETKEYS object encoding k\r\nCOMMAND GETKEYS object nosub k\r\nCOMMAND GETKEYS mset a 1 b\r\n",
    b"COMMAND GETKEYS eval x -1\r\nCOMMAND GETKEYS eval x 0\r\nCOMMAND GETKEYS eval x 2 a b c\r\n",
    b"COMMAND GETKEYS zunionstore d x a\r\nCOMMAND GETKEYS zunionstore d 2 a b\r\nCOMMAND GETKEYS sort k store d by w\r\n",
    b"COMMAND GETKEYS sort_ro k\r\nCOMMAND GETKEYS lmpop 2 a b left\r\nCOMMAND GETKEYS blmpop 0 2 a b left\r\n",
    b"COMMAND GETKEYS sort abc store invalid store stillbad store def\r\nCOMMAND GETKEYS sort k store limit 0 1\r\n",
    b"COMMAND GETKEYS zinter 2 a b\r\nCOMMAND GETKEYS fcall f 1 k a\r\nCOMMAND GETKEYS rename a b\r\nCOMMAND GETKEYS blpop a b 0\r\n",
    b"COMMAND COUNT x\r\nCOMMAND LIST x\r\nCOMMAND NOSUCH\r\nCOMMAND INFO nosuch\r\n",
    b"COMMAND GETKEYSANDFLAGS set k1 v1\r\nCOMMAND GETKEYSANDFLAGS mset k1 v1 k2 v2\r\nCOMMAND GETKEYSANDFLAGS get\r\n",
    b"COMMAND GETKEYSANDFLAGS LMOVE k1 k2 left right\r\nCOMMAND GETKEYSANDFLAGS sort k1 store k2\r\nCOMMAND GETKEYSANDFLAGS ping x\r\n",
    b"COMMAND GETKEYSANDFLAGS sort k by x get y store d limit 0 1\r\nCOMMAND GETKEYSANDFLAGS sort_ro k by x\r\n",
    b"COMMAND GETKEYSANDFLAGS eval s 2 a b c\r\nCOMMAND GETKEYSANDFLAGS eval s 0\r\nCOMMAND GETKEYSANDFLAGS eval s x\r\n",
    b"COMMAND GETKEYSANDFLAGS zunionstore d 2 a b\r\nCOMMAND GETKEYSANDFLAGS zunionstore d x a\r\nCOMMAND GETKEYSANDFLAGS nosuch a\r\n",
    b"COMMAND GETKEYSANDFLAGS lmpop 2 a b left\r\nCOMMAND GETKEYSANDFLAGS blmpop 0 2 a b left\r\nCOMMAND GETKEYSANDFLAGS del a b c\r\n",
    b"COMMAND GETKEYSANDFLAGS object encoding k\r\nCOMMAND GETKEYSANDFLAGS memory usage k\r\nCOMMAND GETKEYSANDFLAGS getex k\r\n",
    b"COMMAND GETKEYSANDFLAGS blpop a b 0\r\nCOMMAND GETKEYSANDFLAGS rename a b\r\nCOMMAND GETKEYSANDFLAGS copy a b db 1\r\n",
    b"COMMAND GETKEYSANDFLAGS fcall f 1 k a\r\nCOMMAND GETKEYSANDFLAGS zrangestore d s 0 1\r\nCOMMAND GETKEYSANDFLAGS smove a b m\r\n",
    b"COMMAND GETKEYSANDFLAGS lcs a b\r\nCOMMAND GETKEYSANDFLAGS zinter 2 a b\r\nCOMMAND GETKEYSANDFLAGS sintercard 2 a b\r\n",
    b"COMMAND GETKEYSANDFLAGS\r\nCOMMAND GETKEYSANDFLAGS get a b\r\nCOMMAND GETKEYSANDFLAGS set k v get\r\nCOMMAND HELP\r\n",
    // The server's own commands queue in MULTI and run in their place in EXEC, as Redis's do.
    b"MULTI\r\nCONFIG GET maxclients\r\nDEBUG SLEEP 0\r\nINFO nosuch\r\nCLIENT GETNAME\r\nPING\r\nEXEC\r\n",
    b"MULTI\r\nAUTH x\r\nEXEC\r\nMULTI\r\nSHUTDOWN\r\nEXEC\r\nMULTI\r\nCLIENT NOSUCH\r\nEXEC\r\n",
    b"MULTI\r\nCLIENT\r\nCONFIG GET\r\nEXEC\r\nMULTI\r\nCLIENT REPLY x\r\nEXEC\r\n",
    b"MULTI\r\nCLIENT SETNAME a\r\nCLIENT GETNAME\r\nEXEC\r\nCLIENT GETNAME\r\nMULTI\r\nQUIT x\r\nPING\r\n",
    b"CLIENT NO-TOUCH on\r\nCLIENT NO-EVICT on\r\nCLIENT NO-EVICT x\r\nCLIENT SETINFO lib-name x\r\n",
    b"CLIENT KILL TYPE foo\r\nCLIENT KILL TYPE master\r\nCLIENT KILL USER nosuch\r\nCLIENT KILL MAXAGE 10\r\n",
    b"CLIENT KILL USER default SKIPME yes\r\nCLIENT KILL TYPE NORMAL SKIPME yes\r\nCLIENT LIST TYPE foo\r\nCLIENT LIST TYPE pubsub\r\n",
    b"SLOWLOG GET -2\r\nSLOWLOG GET x\r\nSLOWLOG GET 1 2\r\nSLOWLOG LEN x\r\nSLOWLOG NOSUCH\r\nSLOWLOG HELP\r\n",
];

/// CONFIG SET checks every value by its parameter's type (yes/no, named values, integers and
/// memory values within bounds), refuses what cannot change at run time, treats old names as
/// aliases and changes nothing unless all of it is valid; CONFIG GET then shows values as Redis
/// does (`1mb` as bytes, `YES` as `yes`).
const CONFIG_CASES: &[&[u8]] = &[
    b"CONFIG SET client-output-buffer-limit \"pubsub 1mb 0 0\"\r\nCONFIG GET client-output-buffer-limit\r\n",
    b"CONFIG SET client-output-buffer-limit \"pubsub 1mb 0\"\r\nCONFIG SET client-output-buffer-limit \"foo 1 1 1\"\r\n",
    b"CONFIG SET client-output-buffer-limit \"pubsub x 0 0\"\r\nCONFIG SET client-output-buffer-limit \"pubsub 1 2 -3\"\r\n",
    b"CONFIG SET client-output-buffer-limit \"master 1 2 3\"\r\nCONFIG SET client-output-buffer-limit \"pubsub -1 0 0\"\r\n",
    b"CONFIG SET client-output-buffer-limit \"normal 1 2 3 PUBSUB 1K 2kb 5\"\r\nCONFIG GET client-output-buffer-limit\r\n",
    b"CONFIG SET client-output-buffer-limit \"replica 1 2 3\"\r\nCONFIG SET client-output-buffer-limit \"\"\r\nCONFIG GET client-output-buffer-limit\r\n",
    b"CONFIG SET client-output-buffer-limit \"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60\"\r\n",
    b"CONFIG SET timeout x\r\nCONFIG SET TIMEOUT -1\r\nCONFIG SET timeout 2147483648\r\nCONFIG SET timeout 010\r\n",
    b"CONFIG SET timeout 1k\r\nCONFIG SET timeout ''\r\nCONFIG SET timeout 99999999999999999999\r\n",
    b"CONFIG SET timeout 30\r\nCONFIG GET timeout\r\nCONFIG SET timeout 0\r\n",
    b"CONFIG SET maxmemory x\r\nCONFIG SET maxmemory -1\r\nCONFIG SET maxmemory 1.5mb\r\nCONFIG SET maxmemory 1kB\r\n",
    b"CONFIG GET maxmemory\r\nCONFIG SET maxmemory 0\r\nCONFIG SET proto-max-bulk-len 1\r\nCONFIG SET proto-max-bulk-len 2gb\r\n",
    b"CONFIG GET proto-max-bulk-len\r\nCONFIG SET proto-max-bulk-len 512mb\r\n",
    b"CONFIG SET maxmemory-clients 10%\r\nCONFIG GET maxmemory-clients\r\nCONFIG SET maxmemory-clients 101%\r\n",
    b"CONFIG SET maxmemory-clients x%\r\nCONFIG SET maxmemory-clients -5\r\nCONFIG SET maxmemory-clients 1mb\r\n",
    b"CONFIG GET maxmemory-clients\r\nCONFIG SET maxmemory-clients 0\r\n",
    b"CONFIG SET activerehashing maybe\r\nCONFIG SET activerehashing NO\r\nCONFIG GET activerehashing\r\n",
    b"CONFIG SET activerehashing yes\r\nCONFIG SET appendonly x\r\n",
    b"CONFIG SET loglevel LOUD\r\nCONFIG SET loglevel WARNING\r\nCONFIG GET loglevel\r\nCONFIG SET loglevel notice\r\n",
    b"CONFIG SET maxmemory-policy lru\r\nCONFIG SET maxmemory-policy ALLKEYS-LRU\r\nCONFIG GET maxmemory-policy\r\n",
    b"CONFIG SET databases 5\r\nCONFIG SET DATABASES 5\r\nCONFIG SET daemonize yes\r\nCONFIG SET unixsocketperm 8\r\n",
    b"CONFIG SET dir /nonexistent\r\nCONFIG SET dbfilename x.rdb\r\nCONFIG SET enable-debug-command yes\r\n",
    b"CONFIG SET timeout 5 timeout 6\r\nCONFIG SET TIMEOUT 5 timeout 6\r\nCONFIG SET timeout x databases 5\r\n",
    b"CONFIG SET timeout x nosuch 5\r\nCONFIG SET hz x timeout x\r\nCONFIG SET timeout 7 hz x\r\nCONFIG GET timeout\r\n",
    b"CONFIG SET lua-time-limit 7000\r\nCONFIG GET busy-reply-threshold\r\nCONFIG GET lua-time-limit\r\n",
    b"CONFIG SET busy-reply-threshold 5000 lua-time-limit 6000\r\nCONFIG GET busy-reply-threshold\r\n",
    b"CONFIG SET slave-priority x\r\nCONFIG SET slave-priority 50\r\nCONFIG GET replica-priority\r\n",
    b"CONFIG SET maxclients 0\r\nCONFIG SET maxclients 4294967296\r\nCONFIG SET hz 0\r\nCONFIG GET hz\r\n",
    b"CONFIG SET hz 100000\r\nCONFIG GET hz\r\nCONFIG SET hz 10\r\nCONFIG SET slowlog-log-slower-than -2\r\n",
    b"CONFIG SET list-max-listpack-size -2147483649\r\nCONFIG SET list-max-ziplist-size -3\r\n",
    b"CONFIG GET list-max-listpack-size\r\nCONFIG SET hash-max-listpack-value 1k\r\nCONFIG GET hash-max-ziplist-value\r\n",
];

#[test]
fn config_set_checks_values_like_redis() {
    if let Some(redis) = common::RedisServer::start() {
        assert_exchanges_match_redis(&redis, &start(), CONFIG_CASES);
    }
}

/// CONFIG SET of the compact encodings' thresholds takes effect on values created and grown
/// afterwards, as OBJECT ENCODING shows on both servers; a collection that became large stays so.
#[test]
fn encoding_thresholds_follow_config_set_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let case: &[u8] = b"CONFIG SET hash-max-listpack-entries 2 hash-max-listpack-value 4\r\n\
        HSET h a 1 b 2\r\nOBJECT ENCODING h\r\nHSET h c 3\r\nOBJECT ENCODING h\r\n\
        HSET v a 12345\r\nOBJECT ENCODING v\r\n\
        CONFIG SET hash-max-listpack-entries 512 hash-max-listpack-value 64\r\n\
        HDEL h a b\r\nOBJECT ENCODING h\r\nHSET fresh a 12345\r\nOBJECT ENCODING fresh\r\n\
        CONFIG SET set-max-intset-entries 3\r\nSADD s 1 2 3\r\nOBJECT ENCODING s\r\n\
        SADD s 4\r\nOBJECT ENCODING s\r\n\
        CONFIG SET zset-max-listpack-entries 1 zset-max-listpack-value 3\r\n\
        ZADD z 1 a\r\nOBJECT ENCODING z\r\nZADD z 2 b\r\nOBJECT ENCODING z\r\n\
        ZADD w 1 abcd\r\nOBJECT ENCODING w\r\n\
        CONFIG SET zset-max-listpack-entries 0\r\nZADD zero 1 a\r\nOBJECT ENCODING zero\r\n\
        CONFIG SET hash-max-listpack-entries 0\r\nHSET hz a b\r\nOBJECT ENCODING hz\r\n\
        CONFIG SET zset-max-listpack-entries 128 zset-max-listpack-value 64\r\n\
        ZADD src 1 a 2 b\r\nZUNIONSTORE dst 1 src\r\nOBJECT ENCODING dst\r\n\
        CONFIG SET zset-max-listpack-entries 1\r\nZUNIONSTORE dst2 1 src\r\nOBJECT ENCODING dst2\r\n";
    let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
    let server = start();
    let expected = exchange(redis_addr, case);
    let got = exchange(server.addr(), case);
    common::assert_same_bytes(&got, &expected, "encoding thresholds after CONFIG SET");
}

/// DEBUG OBJECT describes a value as Redis does — its encoding, the length of its RDB
/// serialization, and a list's quicklist nodes — apart from the address and the idle clock.
#[test]
fn debug_object_describes_values_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let long = "abc".repeat(40);
    let items: String = (0..2000).map(|i| format!(" item-{i}")).collect();
    let case = format!(
        "SET s hello\r\nSET n 12345\r\nSET long {long}\r\nRPUSH l a b 1 2\r\nRPUSH big{items}\r\n\
         HSET h a 1\r\nSADD i 1 2\r\nSADD s2 a\r\nZADD z 1 a\r\nXADD x 1-1 f v\r\n\
         DEBUG OBJECT s\r\nDEBUG OBJECT n\r\nDEBUG OBJECT long\r\nDEBUG OBJECT l\r\nDEBUG OBJECT big\r\n\
         DEBUG OBJECT h\r\nDEBUG OBJECT i\r\nDEBUG OBJECT s2\r\nDEBUG OBJECT z\r\nDEBUG OBJECT x\r\n\
         DEBUG OBJECT nosuch\r\nDEBUG OBJECT\r\n"
    );
    // The address and the idle clock are the process's own.
    let masked = |reply: Vec<u8>| -> String {
        let text = String::from_utf8(reply).unwrap();
        text.split(' ')
            .map(|word| match word.split_once(':') {
                Some(("at" | "lru" | "lru_seconds_idle", _)) => "_",
                _ => word,
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
    let expected = masked(exchange(redis_addr, case.as_bytes()));
    let got = masked(exchange(start().addr(), case.as_bytes()));
    assert!(expected.contains("ql_nodes:"), "{expected}");
    assert_eq!(got, expected);
}

/// DEBUG PROTOCOL answers each of RESP3's types as Redis does, byte for byte: in RESP2, in
/// RESP3 (an attribute before its reply, a push ahead of the reply that follows it), and inside
/// MULTI; with Redis's errors for an unknown type, a push in RESP2 and a wrong arity.
#[test]
fn debug_protocol_answers_every_type_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let kinds = [
        "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push", "verbatim", "true",
        "false", "ATTRIB", "nosuch",
    ];
    let all: String = kinds.iter().map(|kind| format!("DEBUG PROTOCOL {kind}\r\n")).collect();
    let resp2 = format!("{all}DEBUG PROTOCOL\r\nDEBUG PROTOCOL string x\r\n");
    let resp3 = format!("HELLO 3\r\n{all}MULTI\r\nDEBUG PROTOCOL attrib\r\nDEBUG PROTOCOL map\r\nEXEC\r\n");
    let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
    for case in [resp2, resp3] {
        let expected = exchange(redis_addr, case.as_bytes());
        let got = exchange(server.addr(), case.as_bytes());
        // HELLO's reply names the server's own id and version: compare from after it.
        let after_hello = |reply: &[u8]| -> Vec<u8> {
            match reply.windows(7).position(|w| w == b"modules") {
                Some(at) => reply[at + 7..].to_vec(),
                None => reply.to_vec(),
            }
        };
        assert!(
            expected.windows(2).any(|w| w == b"|1") || !case.starts_with("HELLO"),
            "{expected:?}"
        );
        common::assert_same_bytes(&after_hello(&got), &after_hello(&expected), format!("input {case:?}"));
    }
}

/// DEBUG LISTPACK, QUICKLIST and STRINGMATCH-TEST answer as Redis does (their descriptions go to
/// the server's standard output, as Redis's do): the status of each, and Redis's errors for a
/// missing key, a value of another encoding and a wrong arity.
#[test]
fn debug_listpack_quicklist_and_stringmatch_answer_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let case = b"HSET h f v n 12\r\nZADD z 1.5 a\r\nRPUSH l a b 3\r\nSET s x\r\nSADD big x\r\n\
        DEBUG LISTPACK h\r\nDEBUG LISTPACK z\r\nDEBUG LISTPACK l\r\nDEBUG LISTPACK big\r\nDEBUG LISTPACK nosuch\r\n\
        DEBUG LISTPACK\r\nDEBUG QUICKLIST l\r\nDEBUG QUICKLIST l 1\r\nDEBUG QUICKLIST h\r\nDEBUG QUICKLIST s 1\r\n\
        DEBUG QUICKLIST nosuch\r\nDEBUG QUICKLIST l 1 2\r\nDEBUG STRINGMATCH-TEST x\r\n";
    assert_exchanges_match_redis(&redis, &server, &[case]);
    // Redis's fuzz test runs for seconds: a client that waits for its reply.
    for port in [redis.port, server.addr().port()] {
        let reply = common::RawClient::connect(port).call(&common::words("DEBUG STRINGMATCH-TEST"));
        assert_eq!(reply, b"+Apparently Redis did not crash: test passed\r\n");
    }
}

/// DEBUG HTSTATS-KEY: Redis's errors for a missing key and for a value kept in no hash table
/// (a listpack, an intset, a string), byte for byte; for a hash table, Redis's format with the
/// element count Redis reports (the table's own shape is embedis's: open-addressed, no chains,
/// no rehashing).
#[test]
fn debug_htstats_key_answers_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let members: String = (0..600).map(|i| format!(" m{i}")).collect();
    let fields: String = (0..600).map(|i| format!(" m{i} v")).collect();
    let scored: String = (0..600).map(|i| format!(" 1 m{i}")).collect();
    let setup = format!(
        "SET str x\r\nHSET small f v\r\nSADD ints 1 2\r\nSADD big{members}\r\nZADD z 1 a\r\n\
         DEBUG HTSTATS-KEY nosuch\r\nDEBUG HTSTATS-KEY str\r\nDEBUG HTSTATS-KEY small\r\n\
         DEBUG HTSTATS-KEY ints\r\nDEBUG HTSTATS-KEY z\r\nDEBUG HTSTATS-KEY\r\n"
    );
    assert_exchanges_match_redis(&redis, &server, &[setup.as_bytes()]);
    for (kind, fill) in [
        ("set", format!("SADD k{members}")),
        ("hash", format!("HSET k{fields}")),
        ("zset", format!("ZADD k{scored}")),
    ] {
        let case = format!("DEL k\r\n{fill}\r\nDEBUG HTSTATS-KEY k\r\n");
        let ours = String::from_utf8(exchange(server.addr(), case.as_bytes())).unwrap();
        let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
        let theirs = String::from_utf8(exchange(redis_addr, case.as_bytes())).unwrap();
        // Redis may be halfway through a rehash, its elements split between two tables.
        let header = ":600\r\n$";
        assert!(theirs.contains(header), "{kind}: redis {theirs:?}");
        assert!(ours.contains(header), "{kind}: embedis {ours:?}");
        let table = "\r\nHash table 0 stats (main hash table):\n table size: ";
        assert!(
            theirs.contains(table) && ours.contains(table),
            "{kind}: {theirs:?} {ours:?}"
        );
        for line in [" number of elements: 600\n", " max chain length: 1\n", "   1: 600 ("] {
            assert!(ours.contains(line), "{kind}: embedis {ours:?}");
        }
        assert!(!ours.contains("rehashing target"), "{ours:?}");
    }
}

/// RESTORE's FREQ sets the access counter under an LFU policy and IDLETIME the idle time under
/// any other, each ignored under the other kind, as in Redis (OBJECT FREQ, OBJECT IDLETIME).
#[test]
fn restore_sets_frequency_or_idle_time_by_policy_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let transcript = |port: u16| -> Vec<Vec<u8>> {
        let mut client = common::RawClient::connect(port);
        let mut call = |line: &str| client.call(&common::words(line));
        call("SET foo bar");
        let dumped = call("DUMP foo");
        let payload = dumped[dumped.iter().position(|&b| b == b'\n').unwrap() + 1..dumped.len() - 2].to_vec();
        let mut seen = Vec::new();
        for (policy, option, read) in [
            ("allkeys-lfu", "FREQ 100", "OBJECT FREQ foo"),
            ("allkeys-lfu", "IDLETIME 1000", "OBJECT FREQ foo"),
            ("allkeys-lru", "IDLETIME 1000", "OBJECT IDLETIME foo"),
            ("allkeys-lru", "FREQ 100", "OBJECT IDLETIME foo"),
        ] {
            let mut restore = common::words("RESTORE foo 0");
            restore.push(payload.clone());
            restore.extend(common::words(&format!("REPLACE {option}")));
            seen.push(client.call(&common::words(&format!("CONFIG SET maxmemory-policy {policy}"))));
            seen.push(client.call(&restore));
            seen.push(client.call(&common::words(read)));
            seen.push(client.call(&common::words("GET foo")));
        }
        seen.push(client.call(&common::words("CONFIG SET maxmemory-policy noeviction")));
        // A second boundary between RESTORE and OBJECT IDLETIME makes 1000 read 1001.
        seen.into_iter()
            .map(|reply| {
                if reply == b":1001\r\n" {
                    b":1000\r\n".to_vec()
                } else {
                    reply
                }
            })
            .collect()
    };
    let theirs = transcript(redis.port);
    assert!(
        theirs.contains(&b":100\r\n".to_vec()) && theirs.contains(&b":1000\r\n".to_vec()),
        "{theirs:?}"
    );
    assert_eq!(transcript(server.addr().port()), theirs);
}

/// Sends each input on a fresh connection to Redis and to embedis-server and asserts the same
/// bytes back (and the same close).
fn assert_exchanges_match_redis(redis: &common::RedisServer, server: &Server, cases: &[&[u8]]) {
    let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
    for input in cases {
        // Both sides at once: inputs that get no reply cost the full wait.
        let (expected, got) = std::thread::scope(|scope| {
            let from_redis = scope.spawn(|| exchange(redis_addr, input));
            let from_embedis = exchange(server.addr(), input);
            (from_redis.join().unwrap(), from_embedis)
        });
        common::assert_same_bytes(&got, &expected, format!("input {:?}", String::from_utf8_lossy(input)));
    }
}

#[test]
fn protocol_edges_match_redis_byte_for_byte() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
    assert_exchanges_match_redis(&redis, &server, PROTOCOL_CASES);
    for (input, expected) in [
        (
            vec![b'x'; 70_000],
            &b"-ERR Protocol error: too big inline request\r\n<EOF>"[..],
        ),
        (
            [b"*".as_slice(), &[b'1'; 70_000]].concat(),
            b"-ERR Protocol error: too big mbulk count string\r\n<EOF>",
        ),
        (
            [b"*1\r\n$".as_slice(), &[b'1'; 70_000]].concat(),
            b"-ERR Protocol error: too big bulk count string\r\n<EOF>",
        ),
    ] {
        assert_eq!(exchange(redis_addr, &input), expected);
        assert_eq!(exchange(server.addr(), &input), expected);
    }
}

#[test]
fn lastsave_and_bgsave_answer_like_a_server_without_persistence() {
    let server = start();
    let reply = exchange(server.addr(), b"LASTSAVE\r\nBGSAVE\r\n");
    let text = String::from_utf8_lossy(&reply);
    assert!(
        text.starts_with(':') && text.ends_with("+Background saving started\r\n"),
        "{text}"
    );
    // They write no file yet, and INFO says so where a user looks.
    let dir = exchange(server.addr(), b"CONFIG GET dir\r\n");
    let dir = String::from_utf8(dir).unwrap();
    let dump = std::path::Path::new(dir.split("\r\n").nth(4).unwrap()).join("dump.rdb");
    let existed = dump.exists();
    assert_eq!(exchange(server.addr(), b"SAVE\r\n"), b"+OK\r\n");
    assert_eq!(dump.exists(), existed, "SAVE wrote {}", dump.display());
    let info = exchange(server.addr(), b"INFO persistence\r\n");
    assert!(info.windows(26).any(|w| w == b"embedis_persistence:none\r\n"));
}

#[test]
fn info_reflects_the_servers_state() {
    let clock = embedis::Clock::manual();
    let server = embedis::server::Server::start(Store::with_clock(clock.clone()), "127.0.0.1:0").unwrap();
    let field = |section: &str, name: &str| -> String {
        let info = exchange(server.addr(), format!("INFO {section}\r\n").as_bytes());
        let info = String::from_utf8(info).unwrap();
        let start = info
            .find(&format!("\r\n{name}:"))
            .unwrap_or_else(|| panic!("no {name} in {info}"));
        info[start + name.len() + 3..].split("\r\n").next().unwrap().to_string()
    };
    assert_eq!(
        (field("server", "hz"), field("server", "configured_hz")),
        ("10".into(), "10".into())
    );
    exchange(
        server.addr(),
        b"CONFIG SET hz 50 maxmemory 1536kb maxmemory-policy allkeys-lru\r\n",
    );
    assert_eq!(field("server", "hz"), "50");
    assert_eq!(field("memory", "maxmemory"), "1572864");
    assert_eq!(field("memory", "maxmemory_human"), "1.50M");
    assert_eq!(field("memory", "maxmemory_policy"), "allkeys-lru");
    // expired_keys counts lazy and active expiry; CONFIG RESETSTAT zeroes it.
    exchange(server.addr(), b"SET a 1 PX 100\r\nSET b 1 PX 100\r\nSET c 1 EX 100\r\n");
    assert_eq!(field("keyspace", "db0"), "keys=3,expires=3,avg_ttl=33400");
    clock.advance(Duration::from_millis(101));
    assert_eq!(exchange(server.addr(), b"GET a\r\n"), b"$-1\r\n");
    assert_eq!(field("stats", "expired_keys"), "2");
    exchange(server.addr(), b"CONFIG RESETSTAT\r\n");
    assert_eq!(field("stats", "expired_keys"), "0");
    // used_memory follows the data: in this test binary, which counts no allocations, it is
    // the keyspace's estimate; the dataset part grows with the values and FLUSHALL gives it back.
    assert_eq!(field("memory", "embedis_used_memory_source"), "estimate");
    let used = |field: &dyn Fn(&str, &str) -> String| field("memory", "used_memory").parse::<u64>().unwrap();
    let before = used(&field);
    let load: String = (0..2000)
        .map(|i| format!("SET key:{i} {}\r\n", "x".repeat(100)))
        .collect();
    send_all(server.addr(), load.as_bytes(), 2000 * b"+OK\r\n".len());
    let loaded = used(&field);
    assert!(loaded >= before + 2000 * 150, "{before} -> {loaded}");
    let dataset: u64 = field("memory", "used_memory_dataset").parse().unwrap();
    assert!(dataset >= 2000 * 100 && dataset <= loaded, "{dataset} of {loaded}");
    exchange(server.addr(), b"FLUSHALL\r\n");
    assert!(used(&field) < loaded / 10);
    // Large values and databases removed are freed in the background; INFO counts them (Redis's
    // lazyfree fields: the FLUSHALL above counts its 2001 keys, an UNLINKed set one object).
    let settled = |field: &dyn Fn(&str, &str) -> String| {
        (0..200).find_map(|_| {
            std::thread::sleep(Duration::from_millis(10));
            (field("memory", "lazyfree_pending_objects") == "0").then(|| field("memory", "lazyfreed_objects"))
        })
    };
    assert_eq!(settled(&field).as_deref(), Some("2001"));
    let members: String = (0..1000).map(|i| format!(" m{i}")).collect();
    exchange(server.addr(), format!("SADD big{members}\r\nUNLINK big\r\n").as_bytes());
    assert_eq!(settled(&field).as_deref(), Some("2002"));
    // rdb_last_save_time is LASTSAVE's answer.
    let lastsave = exchange(server.addr(), b"LASTSAVE\r\n");
    let lastsave = String::from_utf8(lastsave).unwrap();
    assert_eq!(
        field("persistence", "rdb_last_save_time"),
        lastsave.trim_start_matches(':').trim_end()
    );
}

/// A script run by a server's client calls the server's own commands as Redis's do: INFO at
/// any time, the others (DEBUG, CONFIG, CLIENT, …) refused until DEBUG SET-DISABLE-DENY-SCRIPTS
/// allows them — then DEBUG PROTOCOL's every type converts into the script and back out in each
/// protocol of the script and the client, byte for byte. And SORT BY a constant of a set sorts
/// alphabetically inside a script, as Redis makes it deterministic there.
#[test]
fn scripts_call_the_servers_commands_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let eval = |script: &str| format!("EVAL \"{script}\" 0\r\n");
    let mut case = String::from("SADD myset c a b aa\r\n");
    case += &eval("return type(redis.call('info', 'server'))");
    case += &eval("return redis.call('debug', 'protocol', 'string')");
    case += &eval("return redis.call('config', 'get', 'maxmemory')");
    case += &eval("return redis.call('sort', 'myset', 'by', 'nosort')");
    case += "DEBUG SET-DISABLE-DENY-SCRIPTS 1\r\n";
    for client in ["2", "3"] {
        case += &format!("HELLO {client}\r\n");
        for script in ["2", "3"] {
            for kind in [
                "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "verbatim", "true",
                "false",
            ] {
                case += &eval(&format!(
                    "redis.setresp({script}) return redis.call('debug', 'protocol', '{kind}')"
                ));
            }
        }
    }
    case += &eval("return redis.call('config', 'get', 'maxmemory')");
    case += &eval("return redis.call('client', 'getname')");
    case += "HELLO 2\r\nDEBUG SET-DISABLE-DENY-SCRIPTS 0\r\n";
    case += &eval("return redis.call('debug', 'protocol', 'string')");
    let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
    // HELLO's replies name each server's own id and version: compare what comes after them.
    let without_hello = |reply: Vec<u8>| -> Vec<u8> {
        let mut text = reply;
        let find = |text: &[u8], what: &[u8], from: usize| {
            text[from..]
                .windows(what.len())
                .position(|w| w == what)
                .map(|at| at + from)
        };
        while let Some(server) = find(&text, b"$6\r\nserver\r\n", 0) {
            let start = text[..server].iter().rposition(|&b| b == b'*' || b == b'%').unwrap();
            let end = find(&text, b"modules\r\n*0\r\n", server).unwrap() + b"modules\r\n*0\r\n".len();
            text.splice(start..end, b"<hello>".iter().copied());
        }
        text
    };
    let expected = without_hello(exchange(redis_addr, case.as_bytes()));
    let got = without_hello(exchange(server.addr(), case.as_bytes()));
    assert!(
        expected.windows(5).any(|w| w == b"(1234"),
        "{:?}",
        String::from_utf8_lossy(&expected)
    );
    common::assert_same_bytes(&got, &expected, "scripts calling the server's commands");
}

/// INFO memory's scripting fields, in Redis's order and places, count what Redis counts: the
/// cached scripts (SCRIPT FLUSH empties them), the functions and libraries; the Lua VMs' and the
/// caches' bytes are embedis's own, growing with what is loaded.
#[test]
fn info_memory_counts_scripts_and_functions_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let names = |info: &str| -> Vec<String> {
        info.lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(name, _)| name.to_string())
            .collect()
    };
    let setup: String = (0..20)
        .map(|i| format!("SCRIPT LOAD \"return {i}\"\r\n"))
        .collect::<String>()
        + "FUNCTION LOAD \"#!lua name=lib\\nredis.register_function('f1', function() return 1 end)\\n\
           redis.register_function('f2', function() return 2 end)\"\r\n";
    let mut seen = Vec::new();
    for port in [redis.port, server.addr().port()] {
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        exchange(addr, setup.as_bytes());
        let loaded = String::from_utf8(exchange(addr, b"INFO memory\r\n")).unwrap();
        exchange(addr, b"SCRIPT FLUSH\r\n");
        let flushed = String::from_utf8(exchange(addr, b"INFO memory\r\n")).unwrap();
        let field = |info: &str, name: &str| -> u64 {
            let start = info
                .find(&format!("\n{name}:"))
                .unwrap_or_else(|| panic!("no {name} in {info}"));
            info[start + name.len() + 2..]
                .split("\r\n")
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let counts = ["number_of_cached_scripts", "number_of_functions", "number_of_libraries"]
            .map(|name| (field(&loaded, name), field(&flushed, name)));
        for name in [
            "used_memory_lua",
            "used_memory_scripts_eval",
            "used_memory_vm_functions",
            "used_memory_functions",
        ] {
            assert!(field(&loaded, name) > 0, "port {port}: {name} in {loaded}");
        }
        assert!(field(&flushed, "used_memory_scripts_eval") < field(&loaded, "used_memory_scripts_eval"));
        let scripting: Vec<String> = names(&loaded)
            .into_iter()
            .filter(|name| {
                name.contains("lua") || name.contains("script") || name.contains("functions") || name.contains("_vm_")
            })
            .collect();
        seen.push((counts, scripting));
    }
    assert_eq!(seen[0].0, [(20, 0), (2, 2), (1, 1)]);
    assert_eq!(seen[1], seen[0]);
}

#[test]
fn config_set_applies_to_the_server() {
    let server = start();
    assert_eq!(
        exchange(
            server.addr(),
            b"CONFIG SET maxclients 1 requirepass pw\r\nCONFIG GET maxclients\r\n"
        ),
        b"+OK\r\n*2\r\n$10\r\nmaxclients\r\n$1\r\n1\r\n"
    );
    // Let the configuring client's thread leave the client list.
    std::thread::sleep(Duration::from_millis(100));
    let mut first = TcpStream::connect(server.addr()).unwrap();
    first.write_all(b"PING\r\n").unwrap();
    let mut reply = [0u8; 34];
    first.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"-NOAUTH Authentication required.\r\n");
    let refused = exchange(server.addr(), b"AUTH pw\r\n");
    assert!(
        refused.starts_with(b"-ERR max number of clients reached"),
        "{refused:?}"
    );
}

#[test]
fn pipelined_frames_split_at_every_byte_give_the_same_replies() {
    let server = start();
    let input = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nv\r\nxy\r\nGET k\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
    let expected = b"+OK\r\n$5\r\nv\r\nxy\r\n:1\r\n".to_vec();
    for split in 1..input.len() {
        server.store().connect().call(["DEL", "n"]);
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        stream.set_nodelay(true).unwrap();
        stream.write_all(&input[..split]).unwrap();
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(2));
        stream.write_all(&input[split..]).unwrap();
        let mut got = vec![0u8; expected.len()];
        stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        stream.read_exact(&mut got).unwrap();
        assert_eq!(got, expected, "split at {split}");
    }
}

#[test]
fn requirepass_gates_every_command_like_redis() {
    let Some(redis) = common::RedisServer::start_with(&["--requirepass", "secret"]) else {
        return;
    };
    let config = Config::default().requirepass("secret");
    let server = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
    for input in [
        &b"PING\r\n"[..],
        b"AUTH wrong\r\nPING\r\n",
        b"AUTH secret\r\nPING\r\n",
        b"AUTH default secret\r\nPING\r\n",
        b"AUTH someone secret\r\n",
        b"HELLO 2\r\n",
        b"*11\r\n",
        b"*1\r\n$16385\r\n",
        b"QUIT\r\n",
        // An unknown command or a wrong arity is answered as such before NOAUTH, as Redis checks.
        b"NOSUCH a\r\nGET\r\nGET a\r\nAUTH\r\nHELLO 3 x\r\n",
        b"MULTI\r\nEXEC\r\nRESET\r\nPING\r\n",
    ] {
        let (ours, theirs) = (exchange(server.addr(), input), exchange(redis_addr, input));
        common::assert_same_bytes(&ours, &theirs, format!("input {:?}", String::from_utf8_lossy(input)));
    }
    // HELLO with AUTH authenticates and switches protocol at once (the id differs, so check
    // the parts that do not).
    let reply = exchange(server.addr(), b"HELLO 3 AUTH default secret\r\nGET nosuch\r\n");
    assert!(reply.starts_with(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"), "{reply:?}");
    assert!(reply.ends_with(b"_\r\n"));
}

#[test]
fn maxclients_refuses_with_redis_error() {
    let config = Config::default().maxclients(2);
    let server = Server::start_with(Store::new(), "127.0.0.1:0", config).unwrap();
    let mut first = TcpStream::connect(server.addr()).unwrap();
    let mut second = TcpStream::connect(server.addr()).unwrap();
    for stream in [&mut first, &mut second] {
        stream.write_all(b"PING\r\n").unwrap();
        let mut pong = [0u8; 7];
        stream.read_exact(&mut pong).unwrap();
        assert_eq!(&pong, b"+PONG\r\n");
    }
    // The connection closes right after (with unread input, the close may come as a reset).
    let refused = exchange(server.addr(), b"PING\r\n");
    assert!(
        refused.starts_with(b"-ERR max number of clients reached\r\n"),
        "{refused:?}"
    );
}

#[test]
fn a_blocked_client_blocks_only_itself_and_stop_ends_it() {
    let server = start();
    let mut blocked = TcpStream::connect(server.addr()).unwrap();
    blocked.write_all(b"BLPOP queue 0\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        exchange(server.addr(), b"PING\r\nRPUSH other x\r\n"),
        b"+PONG\r\n:1\r\n"
    );
    assert_eq!(
        exchange(server.addr(), b"INFO clients\r\n")
            .windows(17)
            .filter(|w| w == b"blocked_clients:1")
            .count(),
        1
    );
    let started = std::time::Instant::now();
    server.stop();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stop waited for the blocked client"
    );
}

#[test]
fn client_kill_and_unblock_reach_other_clients() {
    let server = start();
    let mut waiter = TcpStream::connect(server.addr()).unwrap();
    waiter.write_all(b"CLIENT ID\r\n").unwrap();
    let mut id = [0u8; 64];
    let n = waiter.read(&mut id).unwrap();
    let id = String::from_utf8_lossy(&id[1..n - 2]).into_owned();
    waiter.write_all(b"BLPOP q 0\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    let unblock = format!("CLIENT UNBLOCK {id} ERROR\r\n");
    assert_eq!(exchange(server.addr(), unblock.as_bytes()), b":1\r\n");
    let mut reply = [0u8; 48];
    waiter.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    let kill = format!("CLIENT KILL ID {id}\r\nCLIENT KILL ID {id}\r\n");
    assert_eq!(exchange(server.addr(), kill.as_bytes()), b":1\r\n:0\r\n");
}

#[test]
fn a_client_gone_mid_multi_leaves_nothing_behind() {
    let server = start();
    let mut quitter = TcpStream::connect(server.addr()).unwrap();
    quitter
        .write_all(b"WATCH k\r\nMULTI\r\nSET k from-the-dead\r\n")
        .unwrap();
    let mut replies = [0u8; 19];
    quitter.read_exact(&mut replies).unwrap();
    drop(quitter);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(exchange(server.addr(), b"GET k\r\nSET k v\r\n"), b"$-1\r\n+OK\r\n");
}

#[test]
fn redis_cli_talks_to_embedis_server() {
    if !common::on_path("redis-cli") {
        common::skip("redis-cli is not on PATH (apt-get install redis-tools)");
        return;
    }
    let server = start();
    let cli = |args: &[&str]| {
        let output = std::process::Command::new("redis-cli")
            .args(["-p", &server.addr().port().to_string()])
            .args(args)
            .output()
            .expect("run redis-cli");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(cli(&["SET", "greeting", "hello world"]), "OK\n");
    assert_eq!(cli(&["GET", "greeting"]), "hello world\n");
    assert_eq!(cli(&["RPUSH", "l", "a", "b"]), "2\n");
    assert_eq!(cli(&["LRANGE", "l", "0", "-1"]), "a\nb\n");
    assert!(cli(&["-3", "HELLO", "3"]).starts_with("server"));
    assert_eq!(
        cli(&["EVAL", "return redis.call('incrby', KEYS[1], ARGV[1])", "1", "n", "5"]),
        "5\n"
    );
    assert!(cli(&["INFO", "server"]).contains("redis_version:7.0.15"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Random bytes never take the server down: another client is served right after.
    #[test]
    fn random_bytes_never_stop_the_server(
        chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 1..6),
    ) {
        let server = start();
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
        for chunk in &chunks {
            if stream.write_all(chunk).is_err() {
                break;
            }
            let mut sink = [0u8; 4096];
            let _ = stream.read(&mut sink);
        }
        prop_assert_eq!(exchange(server.addr(), b"PING\r\n"), b"+PONG\r\n".to_vec());
        drop(stream);
        server.stop();
    }
}

#[test]
fn command_introspection_comes_from_the_command_table() {
    use embedis::Reply;
    let mut conn = Store::new().connect();
    let Reply::Integer(count) = conn.call(["COMMAND", "COUNT"]) else {
        panic!()
    };
    assert!(count > 150, "{count}");
    let Reply::Array(names) = conn.call(["COMMAND", "LIST"]) else {
        panic!()
    };
    assert!(names.contains(&Reply::Bulk(b"object|encoding".to_vec())));
    assert!(names.len() as i64 > count, "subcommands are listed too");
    let Reply::Array(zr) = conn.call(["COMMAND", "LIST", "FILTERBY", "PATTERN", "ZR*"]) else {
        panic!()
    };
    assert!(zr.contains(&Reply::Bulk(b"zrange".to_vec())) && !zr.contains(&Reply::Bulk(b"get".to_vec())));
    let info = conn.call(["COMMAND", "INFO", "get", "nosuch", "object|encoding"]);
    let Reply::Array(entries) = info else { panic!() };
    assert_eq!(entries[1], Reply::Nil);
    let Reply::Array(get) = &entries[0] else { panic!() };
    assert_eq!(get[..2], [Reply::Bulk(b"get".to_vec()), Reply::Integer(2)]);
    assert_eq!(get[3..6], [Reply::Integer(1), Reply::Integer(1), Reply::Integer(1)]);
    let Reply::Array(all) = conn.call(["COMMAND"]) else {
        panic!()
    };
    assert_eq!(all.len() as i64, count);
    // The server's own commands are unknown in process, and COMMAND does not list them (nor
    // CLIENT, of which only the connection's own subcommands run in process); a client of the
    // server sees them.
    assert!(conn.call(["CONFIG", "GET", "port"]).is_error());
    assert!(!conn.call(["CLIENT", "ID"]).is_error());
    assert_eq!(conn.call(["COMMAND", "INFO", "client"]), Reply::Array(vec![Reply::Nil]));
    let server = start();
    let reply = exchange(server.addr(), b"COMMAND INFO client|id\r\nCOMMAND COUNT\r\n");
    assert!(
        reply.starts_with(b"*1\r\n*10\r\n$9\r\nclient|id\r\n:2\r\n"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    // The server counts exactly the commands only a server runs on top of the in-process ones.
    let server_only = [
        "auth",
        "quit",
        "client",
        "config",
        "info",
        "debug",
        "module",
        "shutdown",
        "sync",
        "psync",
        "replconf",
        "replicaof",
        "slaveof",
    ];
    for name in server_only {
        assert!(
            !names.contains(&Reply::Bulk(name.as_bytes().to_vec())),
            "{name} in process"
        );
    }
    let served = format!(":{}\r\n", count + server_only.len() as i64);
    assert!(
        reply.ends_with(served.as_bytes()),
        "{}",
        String::from_utf8_lossy(&reply)
    );
}

#[test]
fn a_client_blocked_over_tcp_is_served_by_an_in_process_push() {
    let server = start();
    let mut waiter = TcpStream::connect(server.addr()).unwrap();
    waiter.write_all(b"BLPOP jobs 5\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    server.store().connect().call(["RPUSH", "jobs", "build"]);
    waiter.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let mut reply = [0u8; 25];
    waiter.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"*2\r\n$4\r\njobs\r\n$5\r\nbuild\r\n");
}

#[test]
fn a_blocked_client_that_leaves_is_unregistered() {
    let server = start();
    let mut waiter = TcpStream::connect(server.addr()).unwrap();
    waiter.write_all(b"BLPOP q 0\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(50));
    drop(waiter);
    std::thread::sleep(Duration::from_millis(50));
    // Nobody waits any more: the push stays in the list.
    assert_eq!(exchange(server.addr(), b"RPUSH q x\r\nLLEN q\r\n"), b":1\r\n:1\r\n");
}

#[test]
fn client_help_is_redis_help_for_the_subcommands_embedis_has() {
    let listed = String::from_utf8(exchange(start().addr(), b"COMMAND LIST FILTERBY PATTERN client|*\r\n")).unwrap();
    let subs: Vec<String> = listed
        .split("\r\n")
        .filter_map(|l| l.strip_prefix("client|"))
        .map(str::to_uppercase)
        .collect();
    assert!(subs.len() > 5, "COMMAND LIST knows CLIENT's subcommands: {subs:?}");
    help_is_redis_help_for(b"CLIENT HELP\r\n", &subs);
}

#[test]
fn debug_help_is_redis_help_for_the_subcommands_embedis_has() {
    let subs = [
        "CHANGE-REPL-ID",
        "DIGEST",
        "DIGEST-VALUE",
        "HTSTATS-KEY",
        "LISTPACK",
        "OBJECT",
        "PROTOCOL",
        "RELOAD",
        "SLEEP",
        "STRINGMATCH-TEST",
        "QUICKLIST",
        "SET-ACTIVE-EXPIRE",
        "QUICKLIST-PACKED-THRESHOLD",
        "HELP",
    ]
    .map(String::from);
    help_is_redis_help_for(b"DEBUG HELP\r\n", &subs);
}

/// The HELP `request` answers Redis's own lines, in Redis's order, less those of the subcommands
/// embedis does not have; and it describes each of `subs`.
fn help_is_redis_help_for(request: &[u8], subs: &[String]) {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let lines = |addr| -> Vec<Vec<u8>> {
        let reply = exchange(addr, request);
        reply
            .split(|&b| b == b'\n')
            .filter_map(|l| l.strip_prefix(b"+"))
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            .collect()
    };
    let ours = lines(server.addr());
    let theirs = lines(([127, 0, 0, 1], redis.port).into());
    assert!(ours.len() > 2, "a help of several lines: {ours:?}");
    let mut rest = theirs.iter();
    for line in &ours {
        assert!(
            rest.any(|l| l == line),
            "{:?} is not in Redis's help (in order)",
            String::from_utf8_lossy(line)
        );
    }
    for sub in subs {
        assert!(
            ours.iter().any(|l| l.starts_with(sub.as_bytes())),
            "the help does not describe {sub}"
        );
    }
}

/// embedis-server installs the counting allocator: INFO's `used_memory` is the process's own
/// count of its allocations, growing with the data as Redis's does.
#[test]
fn embedis_server_counts_its_own_allocations() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_embedis-server"))
        .args(["--port", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let ready = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        TcpStream::connect(addr).is_ok()
    });
    let field = |name: &str| -> String {
        let info = String::from_utf8(exchange(addr, b"INFO memory\r\n")).unwrap();
        let start = info
            .find(&format!("\r\n{name}:"))
            .unwrap_or_else(|| panic!("no {name} in {info}"));
        info[start + name.len() + 3..].split("\r\n").next().unwrap().to_string()
    };
    let outcome = std::panic::catch_unwind(|| {
        assert!(ready, "embedis-server did not start");
        assert_eq!(field("embedis_used_memory_source"), "allocator");
        let before: u64 = field("used_memory").parse().unwrap();
        let load: String = (0..2000)
            .map(|i| format!("SET key:{i} {}\r\n", "x".repeat(100)))
            .collect();
        send_all(addr, load.as_bytes(), 2000 * b"+OK\r\n".len());
        let loaded: u64 = field("used_memory").parse().unwrap();
        assert!(loaded >= before + 2000 * 150, "{before} -> {loaded}");
        let peak: u64 = field("used_memory_peak").parse().unwrap();
        assert!(peak >= loaded);
    });
    child.kill().ok();
    child.wait().ok();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// CONFIG SET port moves the listener: new clients connect on the new port, connected ones stay;
/// a port already taken is refused with Redis's error and nothing of the call changes.
#[test]
fn config_set_port_moves_the_listener() {
    let server = start();
    let mut admin = common::RawClient::connect(server.addr().port());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let refused = admin.call(&common::words(&format!(
        "CONFIG SET maxmemory 10000001 port {taken_port}"
    )));
    let refused = String::from_utf8_lossy(&refused).into_owned();
    assert!(
        refused.starts_with(
            "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port: "
        ),
        "{refused}"
    );
    assert_eq!(
        admin.call(&common::words("CONFIG GET maxmemory")),
        b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    drop(taken);
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert_eq!(
        admin.call(&common::words(&format!("CONFIG SET port {free}"))),
        b"+OK\r\n"
    );
    let mut moved = common::RawClient::connect(free);
    assert_eq!(moved.call(&common::words("PING")), b"+PONG\r\n");
    assert_eq!(
        admin.call(&common::words("PING")),
        b"+PONG\r\n",
        "connected clients stay"
    );
    let info = String::from_utf8_lossy(&moved.call(&common::words("INFO server"))).into_owned();
    assert!(info.contains(&format!("tcp_port:{free}")));
}

/// MODULE against redis-server: no module is ever loaded into embedis, so LIST is empty, and
/// LOAD, LOADEX and UNLOAD are refused as Redis refuses them with its default (and here
/// unchangeable) `enable-module-command no`.
#[test]
fn module_answers_as_redis_with_no_module_loaded() {
    const LINES: &[&str] = &[
        "MODULE LIST",
        "MODULE HELP",
        "MODULE LOAD /no/such/module.so",
        "MODULE LOADEX /no/such/module.so CONFIG a b ARGS c",
        "MODULE UNLOAD nosuch",
        "MODULE",
        "MODULE LOAD",
        "MODULE LIST x",
        "MODULE UNLOAD a b",
        "MODULE NOSUCH",
        "CONFIG SET enable-module-command yes",
        "CONFIG GET enable-module-command",
    ];
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    let transcript = |port: u16| {
        let mut client = common::RawClient::connect(port);
        LINES
            .iter()
            .map(|line| client.call(&common::words(line)))
            .collect::<Vec<_>>()
    };
    for ((line, ours), theirs) in LINES
        .iter()
        .zip(transcript(server.addr().port()))
        .zip(transcript(redis.port))
    {
        common::assert_same_bytes(&ours, &theirs, line);
    }
}

/// MEMORY STATS answers Redis's fields in Redis's order with Redis's types (integers, doubles,
/// a map a database with keys), whose values describe the server: keys counted, bytes growing
/// with the data. MEMORY DOCTOR gives Redis's report of an instance holding little.
#[test]
fn memory_stats_and_doctor_answer_like_redis() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let server = start();
    // The field names, each with the kind of its value.
    let shape = |port: u16| -> Vec<(String, &'static str)> {
        let mut client = common::RawClient::connect(port);
        client.call(&common::words("HELLO 3"));
        client.call(&common::words("SET a b"));
        client.call(&common::words("SET c d EX 100"));
        let common::Resp::Map(fields) = common::parse(&client.call(&common::words("MEMORY STATS"))) else {
            panic!("MEMORY STATS answers a map");
        };
        fields
            .into_iter()
            .map(|(name, value)| {
                let common::Resp::Bulk(Some(name)) = name else {
                    panic!("a field name");
                };
                let kind = match value {
                    common::Resp::Int(_) => "integer",
                    common::Resp::Double(_) => "double",
                    common::Resp::Map(_) => "map",
                    _ => "other",
                };
                (String::from_utf8(name).unwrap(), kind)
            })
            .collect()
    };
    assert_eq!(shape(server.addr().port()), shape(redis.port));

    let stats = |client: &mut common::RawClient| -> std::collections::HashMap<String, i64> {
        let reply = String::from_utf8(client.call(&common::words("MEMORY STATS"))).unwrap();
        let lines: Vec<&str> = reply.split("\r\n").collect();
        // RESP2: a flat array of names (bulk) and integers.
        let mut fields = std::collections::HashMap::new();
        for pair in lines.windows(3) {
            if pair[0].starts_with('$') && pair[2].starts_with(':') {
                fields.insert(pair[1].to_string(), pair[2][1..].parse().unwrap());
            }
        }
        fields
    };
    let mut client = common::RawClient::connect(server.addr().port());
    let before = stats(&mut client);
    assert_eq!(before["keys.count"], 2);
    for i in 0..2000 {
        client.call(&common::words(&format!("SET key:{i} {}", "v".repeat(100))));
    }
    let after = stats(&mut client);
    assert_eq!(after["keys.count"], 2002);
    assert!(after["total.allocated"] > before["total.allocated"] + 2000 * 100);
    assert!(after["dataset.bytes"] > before["dataset.bytes"]);
    assert!(after["peak.allocated"] >= after["total.allocated"]);

    // Little memory in use: both say so in the same words.
    let doctor = |port: u16| common::RawClient::connect(port).call(&common::words("MEMORY DOCTOR"));
    let fresh = start();
    assert_eq!(doctor(fresh.addr().port()), doctor(redis.port));
}

/// DEBUG DIGEST and DIGEST-VALUE give Redis's fingerprints, byte for byte, for every type —
/// compact and large encodings, TTLs, several databases — so two servers' data can be compared
/// with one command.
#[test]
fn debug_digest_is_redis_digest() {
    let Some(redis) = common::RedisServer::start() else {
        return;
    };
    let fields: String = (0..200).map(|i| format!(" f{i} {i}")).collect();
    let members: String = (0..200).map(|i| format!(" {}.5 m{i}", i * 3)).collect();
    let case = format!(
        "DEBUG DIGEST\r\nDEBUG DIGEST-VALUE nosuch\r\nSET s hello\r\nSET n 12345\r\n\
         RPUSH l a b c 1 2 3\r\nHSET h a 1 b 2\r\nHSET bigh{fields}\r\nSADD st 1 2 3\r\nSADD ss a b c\r\n\
         ZADD z 1 a 2.5 b -3 c 1e200 d\r\nZADD bigz{members}\r\nXADD x 1-1 f v g w\r\nXADD x 2-5 f2 v2\r\n\
         SET ttl v EX 100\r\nSELECT 3\r\nSET other 1\r\nSELECT 0\r\n\
         DEBUG DIGEST-VALUE s n l h bigh st ss z bigz x ttl nosuch\r\nDEBUG DIGEST\r\n"
    );
    let redis_addr: SocketAddr = ([127, 0, 0, 1], redis.port).into();
    common::assert_same_bytes(
        &exchange(start().addr(), case.as_bytes()),
        &exchange(redis_addr, case.as_bytes()),
        "DEBUG DIGEST",
    );
}
