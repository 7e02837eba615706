//! The same command sequences on a real redis-server and on embedis, every reply compared byte for
//! byte (or as sets where Redis leaves the order unspecified). Without redis-server on PATH each test
//! says so loudly and passes; with EMBEDIS_REQUIRE_REDIS=1 (as CI runs) it fails instead.

mod common;

#[test]
fn strings_get_set_and_options() {
    let mut d = differential!(1);
    d.script(
        r#"
        GET missing
        SET a 1
        GET a
        SET a 2 NX
        SET a 3 XX
        GET a
        SET new 1 XX
        SET new 1 NX
        SET a 4 GET
        SET fresh 1 GET
        SET a 5 nx xx
        SET a 5 ex 10 px 100
        SET a 5 keepttl ex 10
        SET a 5 ex 0
        SET a 5 ex -1
        SET a 5 ex abc
        SET a 5 px 9223372036854775807
        SET a 5 ex 9223372036854775807
        SET a 5 exat 0
        SET a 5 ex
        SET a 5 foo
        SET a 5 ex 100 ex 100
        TTL a
        SET a 6 KEEPTTL
        TTL a
        SET a 7
        TTL a
        SET a 8 GET NX
        SET a 9 GET XX
        GET a
        SET "a\x00nx" 1
        SET k v "nx\x00junk"
        SETNX a x
        SETNX b x
        SETEX c 100 v
        TTL c
        SETEX c 0 v
        SETEX c abc v
        PSETEX d 100000 v
        PSETEX d -5 v
        GETSET a 10
        GETSET nothere 1
        GETDEL a
        GETDEL a
        GET a
        "#,
    );
}

#[test]
fn strings_wrong_types_and_numbers() {
    let mut d = differential!(1);
    d.script(
        r#"
        RPUSH list x
        GET list
        SET list 1 GET
        GETSET list 1
        GETDEL list
        INCR list
        APPEND list x
        STRLEN list
        GETRANGE list 0 1
        SETRANGE list 0 x
        INCRBYFLOAT list 1
        MGET list nothing
        SET s "+1"
        INCR s
        SET s " 1"
        INCR s
        SET s 01
        INCR s
        SET s 9223372036854775807
        INCR s
        INCRBY s -1
        SET s -9223372036854775808
        DECR s
        DECRBY s 1
        DECRBY s -9223372036854775808
        INCRBY s 9223372036854775808
        INCRBY s abc
        INCRBY s 1.5
        SET f 10.5
        INCRBYFLOAT f 0.1
        SET f 0.1
        INCRBYFLOAT f 0.2
        SET f 1000
        INCRBYFLOAT f 0.1
        SET f 1e300
        INCRBYFLOAT f 1
        SET f 3
        INCRBYFLOAT f 1.0e1
        INCRBYFLOAT f 0x10
        INCRBYFLOAT f inf
        INCRBYFLOAT f -inf
        INCRBYFLOAT f nan
        INCRBYFLOAT f " 1"
        INCRBYFLOAT f "1 "
        INCRBYFLOAT f abc
        INCRBYFLOAT newf 1.5
        INCRBYFLOAT newf -1.5
        GET newf
        SET f abc
        INCRBYFLOAT f 1
        SET f 5.0e3
        INCR f
        INCRBYFLOAT f 1.23456789012345678901
        "#,
    );
}

#[test]
fn strings_ranges_append_mset() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET s "Hello World"
        GETRANGE s 0 4
        GETRANGE s -5 -1
        GETRANGE s 5 2
        GETRANGE s -1 -5
        GETRANGE s 0 100
        GETRANGE s 100 200
        GETRANGE s -100 2
        GETRANGE missing 0 -1
        GETRANGE s abc 1
        SUBSTR s 0 2
        SET n 12345
        GETRANGE n 1 2
        STRLEN n
        APPEND n 6
        GET n
        SETRANGE s 6 Redis
        GET s
        SETRANGE s -1 x
        SETRANGE s 536870912 x
        SETRANGE s 0 ""
        SETRANGE empty 5 ""
        EXISTS empty
        SETRANGE pad 3 x
        GET pad
        SETRANGE n 0 9
        GET n
        APPEND newkey abc
        MSET a 1 b 2 c 3
        MGET a b c d
        MSET a 1 b
        MSETNX a 1 x 2
        MSETNX x 1 y 2
        MGET x y
        MSETNX z 1 z
        STRLEN missing
        "#,
    );
}

#[test]
fn strings_getex() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET k v
        GETEX k
        TTL k
        GETEX k EX 100
        TTL k
        GETEX k PERSIST
        TTL k
        GETEX k PX 100000
        TTL k
        GETEX k EXAT 1
        EXISTS k
        SET k v
        GETEX k PXAT 1
        EXISTS k
        GETEX missing EX 0
        SET k v
        GETEX k EX 0
        GETEX k EX abc
        GETEX k persist ex 10
        GETEX k foo
        GETEX k EX 10 PX 10
        GETEX k NX
        RPUSH l x
        GETEX l EX 10
        GETEX l EX abc
        "#,
    );
}

#[test]
fn strings_lcs() {
    let mut d = differential!(1);
    d.script(
        r#"
        MSET key1 ohmytext key2 mynewtext
        LCS key1 key2
        LCS key1 key2 LEN
        LCS key1 key2 IDX
        LCS key1 key2 IDX MINMATCHLEN 4
        LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN
        LCS key1 key2 IDX WITHMATCHLEN
        LCS key1 key2 IDX LEN
        LCS key1 key2 foo
        LCS key1 key2 MINMATCHLEN abc
        LCS key1 key2 MINMATCHLEN
        LCS key1 missing
        LCS missing1 missing2 IDX
        MSET a ABCBDAB b BDCABA
        LCS a b
        LCS a b IDX WITHMATCHLEN
        RPUSH l x
        LCS key1 l
        "#,
    );
}

#[test]
fn keys_del_exists_type_rename() {
    let mut d = differential!(1);
    d.script(
        r#"
        MSET a 1 b 2 c 3
        DEL a missing
        DEL a
        EXISTS a b b c
        UNLINK b c
        EXISTS b
        TYPE missing
        SET s 1
        TYPE s
        RPUSH l x
        TYPE l
        HSET h f v
        TYPE h
        TOUCH s l h missing
        RENAME missing x
        RENAME s s
        RENAME s t
        GET t
        EXISTS s
        RENAMENX t l
        RENAMENX t u
        RENAMENX u u
        RENAMENX missing u
        SET e 1 EX 100
        RENAME e e2
        TTL e2
        RENAME u e2
        TTL e2
        GET e2
        "#,
    );
}

#[test]
fn keys_expire_family() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET a 1
        EXPIRE a 100
        TTL a
        EXPIRE a 100 NX
        EXPIRE a 200 XX
        TTL a
        EXPIRE a 50 GT
        EXPIRE a 300 GT
        TTL a
        EXPIRE a 400 LT
        EXPIRE a 10 LT
        TTL a
        EXPIRE a 10 nx xx
        EXPIRE a 10 gt lt
        EXPIRE a 10 nx gt
        EXPIRE a 10 foo
        EXPIRE a abc foo
        EXPIRE a abc
        EXPIRE a 9223372036854775807
        PEXPIRE a 9223372036854775807
        EXPIRE a -9223372036854775808
        EXPIREAT a 9223372036854775807
        PEXPIREAT a 9223372036854775807
        PERSIST a
        PERSIST a
        TTL a
        EXPIRE a 10 XX
        EXPIRE a 10 GT
        EXPIRE a 10 LT
        TTL a
        PERSIST a
        EXPIRE missing 10
        TTL missing
        PTTL missing
        EXPIRETIME missing
        PEXPIRETIME missing
        EXPIRETIME a
        PEXPIRETIME a
        EXPIREAT a 4000000000
        EXPIRETIME a
        PEXPIRETIME a
        PEXPIREAT a 4000000000123
        PEXPIRETIME a
        EXPIRETIME a
        EXPIRE a -1
        EXISTS a
        SET b 1
        PEXPIRE b 0
        EXISTS b
        SET c 1
        EXPIREAT c 100
        EXISTS c
        EXPIRE
        EXPIRE a
        "#,
    );
}

#[test]
fn keys_move_copy_select_swapdb() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET a 1
        MOVE a 0
        MOVE a 16
        MOVE a -1
        MOVE a abc
        MOVE a 99999999999
        MOVE missing 1
        MOVE a 1
        EXISTS a
        SELECT 1
        GET a
        SET a other
        SELECT 0
        SET a 2
        MOVE a 1
        SELECT 16
        SELECT -1
        SELECT abc
        SELECT 1
        GET a
        COPY a b
        GET b
        COPY a b
        COPY a b REPLACE
        COPY a a
        COPY a a DB 2
        COPY a b DB 16
        COPY a b DB abc
        COPY a b DB
        COPY a b foo
        COPY missing x
        SELECT 2
        GET a
        SELECT 0
        SWAPDB 0 1
        GET a
        SWAPDB 0 abc
        SWAPDB abc 0
        SWAPDB 0 16
        SWAPDB -1 0
        SWAPDB 0 99999999999
        SWAPDB 3 3
        DBSIZE
        SELECT 1
        DBSIZE
        FLUSHDB
        DBSIZE
        FLUSHDB ASYNC
        FLUSHDB SYNC
        FLUSHDB foo
        FLUSHDB a b
        FLUSHALL sync
        FLUSHALL foo
        SELECT 0
        DBSIZE
        "#,
    );
}

#[test]
fn keys_keys_and_scan() {
    let mut d = differential!(1);
    d.script("MSET user:1 a user:2 b user:10 c order:1 d hello e hallo e hillo e hxllo e h*llo e");
    for pattern in [
        "*",
        "user:*",
        "user:?",
        "h?llo",
        "h[ae]llo",
        "h[^e]llo",
        "h[a-e]llo",
        "h[e-a]llo",
        "h\\*llo",
        "*1*",
        "nomatch",
        "[",
        "user:[0-9]",
        "*:*",
        "h[",
        "h[\\]",
        "\\",
        "[]",
        "[^]*",
    ] {
        d.check_unordered(0, &format!("KEYS \"{}\"", pattern.replace('\\', "\\\\")));
    }
    // Cursor parsing: errors must agree; the keys behind a non-zero cursor are each store's own.
    for cursor in [
        "abc",
        "-1",
        "\"\"",
        "\" 1\"",
        "+5",
        "-",
        "18446744073709551615",
        "18446744073709551616",
        "1x",
    ] {
        let (redis, embedis) = d.both(0, &common::words(&format!("SCAN {cursor}")));
        if redis.starts_with(b"-") || embedis.starts_with(b"-") {
            assert_eq!(redis, embedis, "SCAN {cursor}");
        }
    }
    d.check(0, "SCAN 0 COUNT 0");
    d.check(0, "SCAN 0 COUNT -1");
    d.check(0, "SCAN 0 COUNT abc");
    d.check(0, "SCAN 0 MATCH");
    d.check(0, "SCAN 0 foo bar");
    // A whole SCAN iteration finds exactly the keys KEYS finds (cursor values differ by design).
    let store = d.store().clone();
    let mut conn = store.connect();
    for (args, want) in [
        (vec!["MATCH", "user:*"], 3usize),
        (vec!["COUNT", "2"], 9),
        (vec!["TYPE", "string"], 9),
        (vec!["TYPE", "list"], 0),
        (vec!["MATCH", "h*", "COUNT", "1"], 5),
    ] {
        let mut cursor = "0".to_string();
        let mut found = std::collections::BTreeSet::new();
        loop {
            let mut argv = vec!["SCAN".to_string(), cursor.clone()];
            argv.extend(args.iter().map(|s| s.to_string()));
            let (next, keys): (String, Vec<String>) = embedis::FromReply::from_reply(conn.call(argv)).unwrap();
            found.extend(keys);
            if next == "0" {
                break;
            }
            cursor = next;
        }
        assert_eq!(found.len(), want, "SCAN 0 {args:?} found {found:?}");
    }
}

#[test]
fn lists_basics() {
    let mut d = differential!(1);
    d.script(
        r#"
        LPUSH l a b c
        RPUSH l d e
        LRANGE l 0 -1
        LRANGE l 1 2
        LRANGE l -2 -1
        LRANGE l -100 100
        LRANGE l 5 10
        LRANGE l 3 1
        LRANGE l abc 1
        LRANGE missing 0 -1
        LLEN l
        LLEN missing
        LPOP l
        RPOP l
        LPOP l 2
        RPOP l 0
        LPOP l -1
        LPOP l abc
        LPOP l 1 2
        LPOP missing
        LPOP missing 2
        RPOP missing 0
        RPOP l 10
        EXISTS l
        LPOP l
        SET s x
        LPUSH s a
        RPUSH s a
        LPOP s
        LRANGE s 0 1
        LLEN s
        LPUSH l
        "#,
    );
}

#[test]
fn hashes_basics() {
    let mut d = differential!(1);
    d.script(
        r#"
        HSET h a 1 b 2
        HSET h a 10 c 3
        HSET h a
        HSET h a 1 b
        HMSET h d 4
        HGET h a
        HGET h missing
        HGET missing a
        HINCRBY h a 5
        HINCRBY h new 5
        HINCRBY h a abc
        HSET h text abc
        HINCRBY h text 1
        HSET h big 9223372036854775807
        HINCRBY h big 1
        HDEL h a missing
        HDEL h missing
        HDEL missing a
        HDEL h b c d new text big
        EXISTS h
        SET s x
        HSET s a 1
        HGET s a
        HGETALL s
        HINCRBY s a 1
        HDEL s a
        HGETALL missing
        "#,
    );
    // A small hash is a listpack: Redis answers it in insertion order, byte for byte.
    d.script("HSET h2 f1 v1 f2 v2 f3 v3");
    d.check(0, "HGETALL h2");
}

#[test]
fn server_commands_and_errors() {
    let mut d = differential!(1);
    d.script(
        r#"
        PING
        PING hello
        PING a b
        ECHO hi
        ECHO
        DBSIZE
        DBSIZE x
        foo bar baz
        FOO
        "unknown cmd" "with\r\nnewline"
        GET
        GET a b
        SET a
        get a
        GeT a
        MULTI x
        EXEC x
        DISCARD x
        UNWATCH x
        WATCH
        SAVE
        TIME x
        RANDOMKEY x
        "#,
    );
    let long_arg = "x".repeat(200);
    d.check(0, &format!("nosuchcommand {long_arg} second"));
    d.check(0, &format!("{long_arg} a"));
    d.check(0, "nosuchcommand a b c d e f g h i j k l m n o p q r s t u v w x y z aa bb cc dd ee ff gg hh ii jj kk ll mm nn oo pp qq rr ss tt uu vv ww");
}

/// ROLE and WAIT on a primary with no replicas: WAIT answers 0 at once when no replica is
/// wanted or inside MULTI, else after its timeout; the argument errors in Redis's order.
#[test]
fn role_and_wait_without_replicas() {
    let mut d = differential!(1);
    d.script(
        r#"
        ROLE
        ROLE x
        WAIT 0 0
        WAIT -1 0
        WAIT 1 10
        WAIT 2 1
        WAIT 0 9223372036854775807
        WAIT a 0
        WAIT 99999999999999999999 0
        WAIT 0 -1
        WAIT 0 1.5
        WAIT 1 a
        WAIT 0
        MULTI
        WAIT 5 0
        ROLE
        EXEC
        EVAL "return redis.call('wait', 0, 0)" 0
        EVAL "return redis.call('role')" 0
        "#,
    );
}

/// LOLWUT: the version line, and Redis's drawings wherever they hold no randomness (the first
/// two rows of squares stand straight; a one-row skyline is all sky), byte for byte.
#[test]
fn lolwut_draws_as_redis_does() {
    let mut d = differential!(1);
    d.script(
        r#"
        LOLWUT
        LOLWUT 10 20
        LOLWUT VERSION
        LOLWUT VERSION 7
        LOLWUT VERSION 4
        LOLWUT VERSION x
        LOLWUT VERSION -4294967291 1 1 1
        LOLWUT VERSION 5 1 1 1
        LOLWUT VERSION 5 66 8 2
        LOLWUT VERSION 5 40 3 1
        LOLWUT VERSION 5 7 5 2
        LOLWUT VERSION 5 2 1 1
        LOLWUT VERSION 5 -5 0 0
        LOLWUT VERSION 5 5000 300 2
        LOLWUT VERSION 5 x
        LOLWUT VERSION 5 10 x
        LOLWUT VERSION 5 10 3 x
        LOLWUT VERSION 6 20 1
        LOLWUT VERSION 6 1 1
        LOLWUT VERSION 6 0 0
        LOLWUT VERSION 6 x
        LOLWUT VERSION 6 10 x
        "#,
    );
}

// ---- transactions: every rule of docs/behaviour.md §1–2 ----

#[test]
fn tx_multi_exec_discard_basics() {
    let mut d = differential!(1);
    d.script(
        r#"
        RPUSH mylist a b c
        MULTI
        LRANGE mylist 0 -1
        PING
        EXEC
        MULTI
        DEL mylist
        DISCARD
        LRANGE mylist 0 -1
        EXEC
        DISCARD
        MULTI
        EXEC
        MULTI
        SET a 1
        INCR a
        GET a
        EXEC
        "#,
    );
}

#[test]
fn tx_nested_multi_and_watch_inside_multi_do_not_abort() {
    let mut d = differential!(1);
    d.script(
        r#"
        MULTI
        MULTI
        SET a 1
        WATCH a
        EXEC
        GET a
        MULTI
        WATCH
        EXEC
        "#,
    );
}

#[test]
fn tx_queue_time_errors_abort_exec() {
    let mut d = differential!(1);
    d.script(
        r#"
        MULTI
        SET foo1 bar
        nosuchcommand
        SET foo2 bar
        EXEC
        EXISTS foo1 foo2
        PING
        MULTI
        SET foo1
        SET foo2 bar
        EXEC
        EXISTS foo1 foo2
        MULTI
        SAVE
        EXEC
        MULTI
        SET x 1
        EXEC extra
        EXISTS x
        EXEC
        EXEC extra
        "#,
    );
}

#[test]
fn tx_runtime_errors_take_their_slot_and_nothing_rolls_back() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET s text
        RPUSH l a
        MULTI
        INCR s
        SET a 1
        LPUSH s x
        INCR l
        SET b 2 EX abc
        INCRBY a 5
        GET l
        PING a b
        EXEC
        MGET a b
        MULTI
        SELECT 3
        SET in3 yes
        SELECT 99
        EXEC
        GET in3
        SELECT 3
        GET in3
        "#,
    );
}

#[test]
fn tx_execabort_wins_over_watch_conflict() {
    let mut d = differential!(2);
    d.script(
        r#"
        WATCH k
        1> SET k changed
        MULTI
        nosuchcommand
        EXEC
        MULTI
        PING
        EXEC
        "#,
    );
}

#[test]
fn tx_watch_basics() {
    let mut d = differential!(2);
    d.script(
        r#"
        # not modified
        WATCH x y z
        WATCH k
        MULTI
        PING
        EXEC
        # modified by the watching client itself
        SET x 30
        WATCH x
        SET x 40
        MULTI
        PING
        EXEC
        # 1 of 5 watched keys modified by another client
        WATCH a b x c d
        1> SET x 50
        MULTI
        PING
        EXEC
        # after EXEC nothing is watched
        WATCH x
        MULTI
        PING
        EXEC
        SET x 40
        MULTI
        PING
        EXEC
        # after a failed EXEC nothing is watched
        WATCH x
        SET x 41
        MULTI
        PING
        EXEC
        SET x 42
        MULTI
        PING
        EXEC
        # UNWATCH
        WATCH x
        SET x 43
        UNWATCH
        MULTI
        PING
        EXEC
        UNWATCH
        # DISCARD clears the dirty flag and unwatches
        WATCH x
        SET x 10
        MULTI
        DISCARD
        MULTI
        INCR x
        EXEC
        WATCH x
        MULTI
        DISCARD
        1> SET x 10
        MULTI
        INCR x
        EXEC
        # UNWATCH is queued inside MULTI; EXEC has already unwatched
        WATCH x
        MULTI
        UNWATCH
        1> SET x 1
        EXEC
        "#,
    );
}

#[test]
fn tx_watch_touch_rules() {
    let mut d = differential!(2);
    // Each block: watch, another client does something, EXEC reports whether it touched.
    let cases = [
        ("SET k v", "SET k v"),               // same-value SET touches
        ("SET k v", "DEL missing"),           // unrelated
        ("", "DEL k"),                        // DEL of a missing key does not touch
        ("SET k v", "SET k other NX"),        // SET NX that does not apply
        ("", "SET k v XX"),                   // SET XX that does not apply
        ("RPUSH k a", "INCR k"),              // failed command (WRONGTYPE)
        ("SET k abc", "INCR k"),              // failed command (not an integer)
        ("SET k 1", "INCRBY k 0"),            // INCRBY 0 touches
        ("SET k v", "APPEND k \"\""),         // APPEND "" touches
        ("SET k v", "SETRANGE k 0 \"\""),     // SETRANGE with empty value does not
        ("SET k v", "EXPIRE k 100"),          // EXPIRE touches
        ("", "EXPIRE k 100"),                 // EXPIRE of a missing key
        ("SET k v EX 100", "EXPIRE k 10 GT"), // condition fails
        ("SET k v", "PERSIST k"),             // nothing to persist
        ("SET k v EX 100", "PERSIST k"),      // persist touches
        ("SET k v", "GETEX k"),               // GETEX without options
        ("SET k v", "GETEX k PERSIST"),       // nothing to persist
        ("SET k v", "GETEX k EX 100"),
        ("SET k v", "GETDEL k"),
        ("", "GETDEL k"),
        ("SET k v", "RENAME k k"),              // same key: no touch
        ("SET k v", "RENAME k k2"),             // source touched
        ("SET k2 v", "RENAME k2 k"),            // destination touched
        ("SET k v\nSET k2 v", "RENAMENX k2 k"), // RENAMENX onto an existing key
        ("SET k v", "MOVE k 1"),
        ("SET k v", "COPY k k3"),  // reading a watched key does not touch
        ("SET k2 v", "COPY k2 k"), // COPY touches the destination
        ("SET k v", "GET k"),
        ("RPUSH k a", "LPOP k"),
        ("", "LPOP k"),
        ("RPUSH k a", "LPOP k 0"),
        ("HSET k f v", "HDEL k nofield"), // HDEL of an absent field
        ("HSET k f v", "HDEL k f"),
        ("HSET k f v", "HSET k f v"),  // HSET always touches
        ("SET k 1", "MSETNX k 2 j 3"), // MSETNX that does not apply
        ("", "MSET k 1"),
        ("SET k v", "FLUSHDB"),
        ("", "FLUSHDB"), // watched key missing: not touched
        ("SET k v", "FLUSHALL"),
        ("", "FLUSHALL"),
        ("SET k v", "SWAPDB 0 1"),                     // exists in the emptied db
        ("SELECT 1\nSET k v\nSELECT 0", "SWAPDB 0 1"), // exists only in the other db
        ("", "SWAPDB 0 1"),
        ("SET k v", "SELECT 1\nSET k other\nSELECT 0"), // same key, other db: not touched
    ];
    d.check_touch_rules(&cases);
}

#[test]
fn tx_watch_remembers_the_database() {
    let mut d = differential!(1);
    d.script(
        r#"
        SELECT 5
        WATCH x
        SELECT 1
        SET x 1
        SELECT 5
        MULTI
        PING
        EXEC
        SELECT 0
        "#,
    );
}

#[test]
fn tx_watched_key_that_expires_fails_exec() {
    let mut d = differential!(1);
    d.script("SET x 1 PX 100\nWATCH x");
    std::thread::sleep(std::time::Duration::from_millis(250));
    d.script("MULTI\nPING\nEXEC");
}

#[test]
fn tx_watched_stale_key_is_ignored() {
    // A key already expired (but still stored) when watched does not fail EXEC. Redis's active
    // expiry is turned off so the key is still physically there at WATCH.
    let mut d = differential!(1);
    d.both(0, &common::words("DEBUG SET-ACTIVE-EXPIRE 0"));
    d.script("SET x foo PX 1");
    std::thread::sleep(std::time::Duration::from_millis(20));
    d.script("WATCH x\nMULTI\nPING\nEXEC");
    d.script("SET x foo PX 1");
    std::thread::sleep(std::time::Duration::from_millis(20));
    d.script("WATCH x\nEXISTS x\nMULTI\nPING\nEXEC");
    d.script("SET x foo PX 1");
    std::thread::sleep(std::time::Duration::from_millis(20));
    d.script("WATCH x\nFLUSHDB\nMULTI\nPING\nEXEC");
    // A stale watched key re-created afterwards is a change.
    d.script("SET x foo PX 1");
    std::thread::sleep(std::time::Duration::from_millis(20));
    d.script("WATCH x\nSET x bar\nMULTI\nPING\nEXEC");
}

#[test]
fn tx_flushall_while_watching_several_keys() {
    let mut d = differential!(1);
    d.script("MSET a b c d\nWATCH b a\nFLUSHALL\nPING\nMULTI\nPING\nEXEC");
}

#[test]
fn tx_commands_inside_exec_see_writes_before_them() {
    let mut d = differential!(2);
    d.script(
        r#"
        SET counter 10
        MULTI
        1> SET counter 100
        INCR counter
        GET counter
        DEL counter
        GET counter
        EXEC
        "#,
    );
}
