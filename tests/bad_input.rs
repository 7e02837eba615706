//! Random argument vectors never panic: every one gets a reply, and the store stays usable.

use proptest::prelude::*;

use embedis::{Reply, Store};

/// Command names to fuzz. Blocking commands are left out: with a timeout of 0 they rightly wait for
/// ever.
const NAMES: &[&str] = &[
    "GET",
    "SET",
    "SETNX",
    "SETEX",
    "PSETEX",
    "GETSET",
    "GETDEL",
    "GETEX",
    "MGET",
    "MSET",
    "MSETNX",
    "INCR",
    "DECR",
    "INCRBY",
    "DECRBY",
    "INCRBYFLOAT",
    "APPEND",
    "STRLEN",
    "GETRANGE",
    "SETRANGE",
    "LCS",
    "DEL",
    "UNLINK",
    "EXISTS",
    "TYPE",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "TTL",
    "PTTL",
    "EXPIRETIME",
    "PEXPIRETIME",
    "PERSIST",
    "RENAME",
    "RENAMENX",
    "MOVE",
    "COPY",
    "KEYS",
    "SCAN",
    "RANDOMKEY",
    "TOUCH",
    "LPUSH",
    "RPUSH",
    "LPOP",
    "RPOP",
    "LRANGE",
    "LLEN",
    "HSET",
    "HMSET",
    "HGET",
    "HGETALL",
    "HINCRBY",
    "HDEL",
    "PING",
    "ECHO",
    "SELECT",
    "SWAPDB",
    "DBSIZE",
    "FLUSHDB",
    "FLUSHALL",
    "TIME",
    "SAVE",
    "MULTI",
    "EXEC",
    "DISCARD",
    "WATCH",
    "UNWATCH",
    "NOPE",
    // Sorted sets, sets, SORT, introspection, serialization.
    "ZADD",
    "ZINCRBY",
    "ZRANGE",
    "ZRANGESTORE",
    "ZRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZREM",
    "ZSCORE",
    "ZRANK",
    "ZPOPMIN",
    "ZUNIONSTORE",
    "ZINTER",
    "ZRANDMEMBER",
    "ZSCAN",
    "SADD",
    "SINTERCARD",
    "SRANDMEMBER",
    "SPOP",
    "LPOS",
    "LMPOP",
    "SORT",
    "SORT_RO",
    "OBJECT",
    "DUMP",
    "RESTORE",
    // Scripting and functions.
    "EVAL",
    "EVALSHA",
    "EVAL_RO",
    "SCRIPT",
    "FUNCTION",
    "FCALL",
    "FCALL_RO",
];

fn arg() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..12),
        prop_oneof![Just("k"), Just("l"), Just("h")].prop_map(|s| s.as_bytes().to_vec()),
        prop_oneof![
            Just(i64::MIN),
            Just(i64::MAX),
            Just(-1i64),
            Just(0),
            Just(1),
            Just(i64::MAX / 1000 + 1),
            any::<i64>()
        ]
        .prop_map(|n| n.to_string().into_bytes()),
        prop_oneof![
            Just("NX"),
            Just("XX"),
            Just("GT"),
            Just("LT"),
            Just("EX"),
            Just("PX"),
            Just("EXAT"),
            Just("PXAT"),
            Just("KEEPTTL"),
            Just("GET"),
            Just("PERSIST"),
            Just("IDX"),
            Just("LEN"),
            Just("MINMATCHLEN"),
            Just("WITHMATCHLEN"),
            Just("MATCH"),
            Just("COUNT"),
            Just("TYPE"),
            Just("DB"),
            Just("REPLACE"),
            Just("inf"),
            Just("-inf"),
            Just("nan"),
            Just("1e400"),
            Just("*"),
            Just("["),
            Just("LOAD"),
            Just("FLUSH"),
            Just("LIST"),
            Just("DELETE"),
            Just("STATS"),
            Just("ENCODING"),
            Just("WITHSCORES"),
            Just("BY"),
            Just("LIMIT"),
            Just("return redis.call('get', KEYS[1])"),
            Just("return redis.call(ARGV[1], KEYS[1])"),
            Just("#!lua name=fz\nredis.register_function('fz', function(k, a) return redis.pcall(a[1] or 'ping', k[1]) end)"),
            Just("fz")
        ]
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let name = prop_oneof![
        prop::sample::select(NAMES).prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ];
    (name, prop::collection::vec(arg(), 0..7)).prop_map(|(name, args)| [vec![name], args].concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_argv_always_gets_a_reply(commands in prop::collection::vec(argv(), 1..20)) {
        let store = Store::new();
        let mut conn = store.connect();
        conn.call(["RPUSH", "l", "a", "b"]);
        conn.call(["HSET", "h", "f", "1"]);
        conn.call(["SET", "k", "10"]);
        for argv in commands {
            let reply = conn.call(argv);
            let bytes = reply.to_resp();
            prop_assert!(!bytes.is_empty());
        }
        // Whatever happened, the store still answers.
        let mut fresh = store.connect();
        prop_assert_eq!(fresh.call(["PING"]), Reply::Status("PONG".into()));
    }
}

#[test]
fn empty_argv_is_an_unknown_command() {
    let mut conn = Store::new().connect();
    assert!(conn.call(embedis::Argv::new()).is_error());
}
