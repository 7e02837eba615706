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
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

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

/// The server's own commands (only a client of the server knows them), with their subcommands,
/// options and values mixed at random. Left out: what ends the connection or the server (QUIT,
/// SHUTDOWN) or silences replies (CLIENT REPLY), which the client below could not tell from a
/// hang, and DEBUG SLEEP.
#[cfg(feature = "server")]
fn server_argv() -> impl Strategy<Value = Vec<Vec<u8>>> {
    const NAMES: &[&str] = &[
        "CONFIG", "CLIENT", "DEBUG", "INFO", "HELLO", "AUTH", "COMMAND", "RESET", "PING",
    ];
    const WORDS: &[&str] = &[
        "GET",
        "SET",
        "RESETSTAT",
        "REWRITE",
        "HELP",
        "ID",
        "GETNAME",
        "SETNAME",
        "INFO",
        "LIST",
        "UNBLOCK",
        "NO-EVICT",
        "KILL",
        "TYPE",
        "normal",
        "ADDR",
        "LADDR",
        "SKIPME",
        "yes",
        "on",
        "ERROR",
        "TIMEOUT",
        "maxmemory",
        "hz",
        "timeout",
        "maxclients",
        "lua-time-limit",
        "notify-keyspace-events",
        "maxmemory-policy",
        "allkeys-lru",
        "1mb",
        "*",
        "max*",
        "3",
        "2",
        "0",
        "-1",
        "1",
        "99999999999999999999",
        "",
        "x y",
        "\0",
        "JMAP",
        "SET-ACTIVE-EXPIRE",
        "QUICKLIST-PACKED-THRESHOLD",
        "OBJECT",
        "COUNT",
        "DOCS",
        "GETKEYS",
        "FILTERBY",
        "PATTERN",
        "ACLCAT",
        "MODULE",
        "everything",
        "server",
        "keyspace",
        "default",
        "SETNAME",
        "127.0.0.1:1",
    ];
    let name = prop::sample::select(NAMES).prop_map(|s| s.as_bytes().to_vec());
    let arg = prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..6),
    ];
    (name, prop::collection::vec(arg, 0..5)).prop_map(|(name, args)| [vec![name], args].concat())
}

#[cfg(feature = "server")]
mod common;

#[cfg(feature = "server")]
proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// The server's own commands, at random, always get one reply each and leave the server
    /// answering a new client.
    #[test]
    fn random_server_commands_always_get_a_reply(commands in prop::collection::vec(server_argv(), 1..15)) {
        let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").unwrap();
        let mut client = common::RawClient::connect(server.addr().port());
        for argv in &commands {
            let reply = client.call(argv);
            prop_assert!(!reply.is_empty());
        }
        let mut fresh = common::RawClient::connect(server.addr().port());
        let pong = fresh.call(&[b"PING".to_vec()]);
        prop_assert!(pong == b"+PONG\r\n" || pong.starts_with(b"-NOAUTH"), "{:?}", String::from_utf8_lossy(&pong));
    }
}

/// A rule of ACL SETUSER: one of the forms, with random names, patterns and bytes.
fn acl_rule() -> impl Strategy<Value = Vec<u8>> {
    const FORMS: &[&str] = &[
        "on",
        "off",
        "nopass",
        "resetpass",
        "reset",
        "allkeys",
        "resetkeys",
        "allchannels",
        "resetchannels",
        "allcommands",
        "nocommands",
        "clearselectors",
        "sanitize-payload",
        "+@all",
        "-@all",
        "+@read",
        "-@write",
        "+get",
        "-set",
        "+config|get",
        "+select|0",
        "~*",
        "&*",
    ];
    const PREFIXES: &[&str] = &[
        ">", "<", "#", "!", "~", "%R~", "%W~", "%RW~", "%", "&", "+", "-", "+@", "-@", "(", "(+get ~", "",
    ];
    prop_oneof![
        prop::sample::select(FORMS).prop_map(|s| s.as_bytes().to_vec()),
        (
            prop::sample::select(PREFIXES),
            prop::collection::vec(any::<u8>(), 0..10)
        )
            .prop_map(|(prefix, tail)| [prefix.as_bytes(), &tail].concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    /// Random ACL rules never panic: ACL SETUSER answers OK or an error, the user it leaves (if
    /// any) reads back, and DRYRUN answers for it.
    #[test]
    fn random_acl_rules_always_get_a_reply(rules in prop::collection::vec(acl_rule(), 0..8)) {
        let store = Store::new();
        let mut conn = store.connect();
        let mut argv: Vec<Vec<u8>> = vec![b"ACL".to_vec(), b"SETUSER".to_vec(), b"u".to_vec()];
        argv.extend(rules);
        let set = conn.call(argv);
        prop_assert!(matches!(set, Reply::Status(_) | Reply::Error(_)), "{set:?}");
        prop_assert!(!conn.call(["ACL", "GETUSER", "u"]).is_error());
        prop_assert!(!conn.call(["ACL", "LIST"]).is_error());
        let dryrun = conn.call(["ACL", "DRYRUN", "u", "GET", "k"]);
        prop_assert!(set.is_error() || !dryrun.is_error(), "{dryrun:?}");
    }
}
