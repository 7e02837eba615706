//! Lists, hashes and sets against a real redis-server, command by command, with their edges.
//! Replies whose order Redis leaves unspecified are compared as sets.

mod common;

use common::Order;

#[test]
fn lists_push_index_set_insert() {
    let mut d = differential!(1);
    d.script(
        r#"
        LPUSHX l a
        RPUSHX l a
        EXISTS l
        RPUSH l a b c
        LPUSHX l z
        RPUSHX l y x
        LRANGE l 0 -1
        LINDEX l 0
        LINDEX l -1
        LINDEX l 100
        LINDEX l -100
        LINDEX l abc
        LINDEX missing 0
        LSET l 1 B
        LSET l -1 X
        LSET l 100 v
        LSET l abc v
        LSET missing 0 v
        LRANGE l 0 -1
        LINSERT l BEFORE B new
        LINSERT l after X end
        LINSERT l before nothere v
        LINSERT l middle B v
        LINSERT missing before a b
        LRANGE l 0 -1
        SET s v
        LPUSHX s a
        LINDEX s 0
        LINDEX s abc
        LINDEX missing abc
        LSET s 0 v
        LSET s abc v
        LSET missing abc v
        LINSERT s before a b
        "#,
    );
}

#[test]
fn lists_rem_trim_pos() {
    let mut d = differential!(1);
    d.script(
        r#"
        RPUSH l a b a c a d a
        LREM l 2 a
        LRANGE l 0 -1
        LREM l -1 a
        LRANGE l 0 -1
        LREM l 0 a
        LRANGE l 0 -1
        LREM l 0 zz
        LREM l abc a
        LREM missing 0 a
        RPUSH t 1 2 3 4 5 6
        LTRIM t 1 -2
        LRANGE t 0 -1
        LTRIM t 10 20
        EXISTS t
        LTRIM missing 0 1
        RPUSH t 1 2 3
        LTRIM t -2 -1
        LRANGE t 0 -1
        LTRIM t 0 abc
        RPUSH p a b c 1 2 3 c c
        LPOS p c
        LPOS p c RANK 2
        LPOS p c RANK -1
        LPOS p c RANK -3
        LPOS p c COUNT 2
        LPOS p c COUNT 0
        LPOS p c COUNT 0 RANK 2
        LPOS p c COUNT 0 MAXLEN 4
        LPOS p c RANK -1 MAXLEN 2
        LPOS p zz
        LPOS p zz COUNT 1
        LPOS p c RANK 0
        LPOS p c RANK abc
        LPOS p c RANK -9223372036854775808
        LPOS p c COUNT -1
        LPOS p c COUNT abc
        LPOS p c MAXLEN -1
        LPOS p c foo
        LPOS p c RANK
        LPOS missing a
        LPOS missing a COUNT 1
        SET s v
        LPOS s a
        LREM s 0 a
        LTRIM s 0 1
        "#,
    );
}

#[test]
fn lists_move_and_mpop() {
    let mut d = differential!(1);
    d.script(
        r#"
        RPUSH src a b c
        LMOVE src dst LEFT RIGHT
        LMOVE src dst RIGHT LEFT
        LRANGE src 0 -1
        LRANGE dst 0 -1
        LMOVE src src LEFT RIGHT
        RPUSH one x
        LMOVE one one LEFT LEFT
        LRANGE one 0 -1
        LMOVE src dst UP DOWN
        LMOVE missing dst LEFT LEFT
        RPOPLPUSH src dst
        EXISTS src
        RPOPLPUSH missing dst
        SET s v
        RPOPLPUSH s dst
        RPOPLPUSH dst s
        LRANGE dst 0 -1
        RPUSH a 1 2 3
        RPUSH b 4 5
        LMPOP 2 missing a LEFT
        LMPOP 2 missing a RIGHT COUNT 5
        LMPOP 2 a b LEFT COUNT 1
        LMPOP 1 missing LEFT
        LMPOP 0 a LEFT
        LMPOP -1 a LEFT
        LMPOP abc a LEFT
        LMPOP 3 a b LEFT
        LMPOP 2 a b UP
        LMPOP 2 a b LEFT COUNT 0
        LMPOP 2 a b LEFT COUNT -1
        LMPOP 2 a b LEFT COUNT 1 COUNT 2
        LMPOP 2 a b LEFT foo
        LMPOP 2 s b LEFT
        LMPOP 2 b s LEFT
        "#,
    );
}

#[test]
fn hashes_more() {
    let mut d = differential!(1);
    d.script(
        r#"
        HSETNX h a 1
        HSETNX h a 2
        HSET h b 2 c 3
        HGETALL h
        HKEYS h
        HVALS h
        HDEL h b
        HSET h d 4
        HGETALL h
        HMGET h a b c missing
        HMGET missing a b
        HLEN h
        HLEN missing
        HSTRLEN h a
        HSTRLEN h missing
        HEXISTS h a
        HEXISTS h missing
        HEXISTS missing a
        HINCRBYFLOAT h f 1.5
        HINCRBYFLOAT h f 0.1
        HINCRBYFLOAT h f inf
        HINCRBYFLOAT h f abc
        HRANDFIELD h 100
        HRANDFIELD h 100 WITHVALUES
        HSCAN h 0
        HSET h text abc
        HINCRBYFLOAT h text 1
        HINCRBYFLOAT new f 10
        HGETALL new
        HRANDFIELD missing
        HRANDFIELD missing 5
        HRANDFIELD h 0
        HRANDFIELD h abc
        HRANDFIELD h 1 foo
        HRANDFIELD h 1 withvalues extra
        HRANDFIELD h -9223372036854775807 withvalues
        HSCAN missing 0
        HSCAN missing abc
        HSCAN h abc
        HSCAN h 0
        HSCAN h 0 MATCH a*
        HSCAN h 0 COUNT 1
        HSCAN h 0 COUNT 0
        HSCAN h 0 TYPE string
        SET s v
        HSETNX s a 1
        HMGET s a
        HLEN s
        HSTRLEN s a
        HEXISTS s a
        HKEYS s
        HVALS s
        HINCRBYFLOAT s a 1
        HRANDFIELD s
        HSCAN s 0
        HSCAN s abc
        "#,
    );
    // A value longer than 64 bytes turns a hash into a hashtable: its order becomes unspecified.
    d.check(0, "HINCRBYFLOAT h a 1e300");
    d.check_pairs(0, "HGETALL h");
    d.check(0, "HLEN h");
}

#[test]
fn hashes_large_compare_as_sets() {
    let mut d = differential!(1);
    d.script(&common::generated("HSET big", 0..200, |i| format!("f{i} v{i}")));
    d.check_pairs(0, "HGETALL big");
    d.check_unordered(0, "HKEYS big");
    d.check_unordered(0, "HVALS big");
    d.check(0, "HLEN big");
    d.check(
        0,
        "HSET long f 0123456789012345678901234567890123456789012345678901234567890123456789",
    );
    d.check(0, "HSET long g 1");
    d.check_pairs(0, "HGETALL long");
}

#[test]
fn hash_random_fields_are_members_of_the_hash() {
    let Some(mut d) = common::Differential::new(1) else {
        return;
    };
    d.script("HSET h a 1 b 2 c 3 d 4");
    for (command, len, with_values) in [
        ("HRANDFIELD h 2", 2, false),
        ("HRANDFIELD h -7", 7, false),
        ("HRANDFIELD h 3 WITHVALUES", 6, true),
        ("HRANDFIELD h -5 WITHVALUES", 10, true),
    ] {
        let (redis, embedis) = d.both(0, &common::words(command));
        for raw in [redis, embedis] {
            let common::Resp::Array(Some(items)) = common::parse(&raw) else {
                panic!("{command}: not an array");
            };
            assert_eq!(items.len(), len, "{command}");
            for (i, item) in items.iter().enumerate() {
                let common::Resp::Bulk(Some(b)) = item else {
                    panic!("{command}: {item:?}")
                };
                let allowed: &[&[u8]] = if with_values && i % 2 == 1 {
                    &[b"1", b"2", b"3", b"4"]
                } else {
                    &[b"a", b"b", b"c", b"d"]
                };
                assert!(allowed.contains(&b.as_slice()), "{command}: {b:?}");
            }
        }
    }
}

#[test]
fn sets_basics() {
    let mut d = differential!(1);
    d.script(
        r#"
        SADD s 3 1 2
        SADD s 2 4
        SMEMBERS s
        SCARD s
        SISMEMBER s 1
        SISMEMBER s 9
        SISMEMBER missing 1
        SMISMEMBER s 1 9 2
        SMISMEMBER missing 1
        SREM s 1 9
        SREM s 9
        SREM missing 1
        SMEMBERS s
        SADD s -5 100 0
        SMEMBERS s
        SSCAN s 0
        SSCAN s 0 MATCH 1*
        SSCAN missing 0
        SSCAN s abc
        SSCAN s 0 COUNT 0
        SREM s 2 3 4 -5 100 0
        EXISTS s
        SPOP missing
        SPOP missing 3
        SADD one x
        SPOP one
        EXISTS one
        SADD two a b
        SPOP two 0
        SPOP two -1
        SPOP two abc
        SPOP two 1 2
        SRANDMEMBER missing
        SRANDMEMBER missing 3
        SRANDMEMBER two 0
        SRANDMEMBER two abc
        SRANDMEMBER two 1 2
        SADD ints 5 1 3
        SRANDMEMBER ints 10
        SPOP ints 10
        EXISTS ints
        SET str v
        SADD str a
        SREM str a
        SMEMBERS str
        SISMEMBER str a
        SMISMEMBER str a
        SCARD str
        SPOP str
        SRANDMEMBER str
        SSCAN str 0
        "#,
    );
}

#[test]
fn sets_move_and_algebra() {
    let mut d = differential!(1);
    d.script(
        r#"
        SADD a 1 2 3 4
        SADD b 3 4 5
        SADD c 4 5 6
        SMOVE a b 1
        SMOVE a b 3
        SMOVE a b 99
        SMOVE missing b 1
        SMOVE a a 2
        SMOVE a a 99
        SET str v
        SMOVE a str 2
        SMOVE str a v
        SMOVE a newset 2
        SMEMBERS newset
        SADD solo x
        SMOVE solo other x
        EXISTS solo
        SINTERCARD 2 b c
        SINTERCARD 2 b c LIMIT 1
        SINTERCARD 2 b c LIMIT 0
        SINTERCARD 2 b missing
        SINTERCARD 0 b
        SINTERCARD 3 b c
        SINTERCARD 2 b c LIMIT -1
        SINTERCARD 2 b c foo
        SINTERCARD 2 b str
        SINTER b missing
        SINTER missing str
        SINTER str missing
        SINTERSTORE dest b c
        SMEMBERS dest
        SINTERSTORE dest b missing
        EXISTS dest
        SUNIONSTORE dest a b c
        SDIFFSTORE dest2 b c
        SMEMBERS dest2
        SDIFFSTORE dest2 missing b
        EXISTS dest2
        SUNION missing str
        SDIFF str missing
        SDIFF missing str
        SUNIONSTORE str2 str
        SDIFF a a
        "#,
    );
    for line in [
        "SINTER a b c",
        "SINTER b c",
        "SUNION a b c",
        "SUNION a missing",
        "SDIFF b c",
        "SDIFF c a b",
        "SMEMBERS dest",
    ] {
        // Sets of small integers are intsets: Redis answers them in numeric order, byte for byte.
        d.check_argv(0, &common::words(line), Order::Exact);
    }
    d.script("SADD words apple banana cherry\nSADD words2 banana date");
    for line in [
        "SMEMBERS words",
        "SUNION words words2",
        "SINTER words words2",
        "SDIFF words words2",
    ] {
        d.check_argv(0, &common::words(line), Order::Unordered);
    }
}

#[test]
fn tx_touch_rules_for_lists_hashes_and_sets() {
    let mut d = differential!(2);
    let cases = [
        ("SADD k a", "SADD k a"), // SADD of an existing member
        ("SADD k a", "SADD k b"),
        ("SADD k a", "SREM k b"), // SREM of an absent member
        ("SADD k a", "SREM k a"),
        ("HSET k f v", "HDEL k g"),
        ("HSET k f v", "HSETNX k f w"),
        ("HSET k f v", "HSETNX k g w"),
        ("HSET k f 1", "HINCRBYFLOAT k f 0"),
        ("RPUSH k a", "LREM k 0 b"),
        ("RPUSH k a", "LREM k 0 a"),
        ("RPUSH k a", "LTRIM k 0 -1"), // LTRIM of an existing key always touches
        ("RPUSH k a", "LSET k 0 a"),
        ("RPUSH k a", "LINSERT k BEFORE zz b"),
        ("RPUSH k a", "LPUSHX k b"),
        ("", "LPUSHX k b"),
        ("RPUSH k a", "LMOVE k other LEFT LEFT"),
        ("RPUSH other a", "LMOVE other k LEFT LEFT"),
        ("SADD other a", "SMOVE other k a"),
        ("SADD k a", "SMOVE k other b"),
        ("SADD a 1\nSADD k 9", "SINTERSTORE k a missing"), // empty result deletes an existing dst
        ("SADD a 1", "SINTERSTORE k a missing"),           // empty result, dst missing: no touch
        ("SADD a 1", "SUNIONSTORE k a"),
        ("SADD k 1", "SPOP k 0"),
    ];
    d.check_touch_rules(&cases);
}

#[test]
fn blocking_lists_answer_like_redis_when_they_need_not_block() {
    let mut d = differential!(1);
    d.script(
        r#"
        RPUSH a 1 2 3
        RPUSH b x
        BLPOP missing a 0
        BRPOP a b 0
        BLPOP b a 0.5
        EXISTS b
        BLPOP a -1
        BLPOP a abc
        BLPOP a 1e30
        BLPOP a inf
        BLPOP a nan
        BLPOP a ""
        BLPOP a 0x1
        BLPOP missing 0.001
        BLPOP missing 0.0001
        BLPOP missing -0.9
        BLPOP missing 0.01
        BRPOP missing 0.01
        SET s v
        BLPOP missing s 0
        BLPOP s missing 0
        RPUSH src p q
        BLMOVE src dst LEFT RIGHT 0
        BLMOVE src dst UP RIGHT 0
        BLMOVE src dst LEFT RIGHT -1
        BLMOVE s dst LEFT RIGHT 0
        BLMOVE src s LEFT RIGHT 0
        BLMOVE missing dst LEFT RIGHT 0.01
        BRPOPLPUSH src dst 0
        BRPOPLPUSH missing dst 0.01
        BRPOPLPUSH src dst abc
        LRANGE dst 0 -1
        RPUSH m 1 2 3 4
        BLMPOP 0 2 missing m LEFT COUNT 3
        BLMPOP 0 1 m RIGHT
        BLMPOP 0.01 1 missing LEFT
        BLMPOP abc 1 m LEFT
        BLMPOP 0 0 m LEFT
        BLMPOP 0 1 m UP
        BLMPOP -1 1 m LEFT
        BLMPOP -1 1 m UP
        BLMPOP 0 1 m LEFT COUNT 0
        BLMPOP 0 2 s m LEFT
        MULTI
        BLPOP missing 0
        BRPOP missing 0
        BLMOVE missing dst LEFT LEFT 0
        BRPOPLPUSH missing dst 0
        BLMPOP 0 1 missing LEFT
        BLPOP a 0
        EXEC
        "#,
    );
}

#[test]
fn argument_errors_and_missing_or_wrong_keys_come_in_redis_order() {
    let mut d = differential!(1);
    d.script("SET s v\nHSET h f v");
    for command in [
        "LSET {} abc v",
        "LINDEX {} abc",
        "LREM {} abc x",
        "LTRIM {} abc 1",
        "LRANGE {} abc 1",
        "GETRANGE {} abc 1",
        "LPOS {} a RANK abc",
        "LINSERT {} middle a b",
        "LPOP {} abc",
        "RPOP {} -1",
        "HINCRBY {} f abc",
        "HINCRBYFLOAT {} f abc",
        "INCRBY {} abc",
        "DECRBY {} abc",
        "INCRBYFLOAT {} abc",
        "SETRANGE {} -1 x",
        "SETRANGE {} abc x",
        "LMOVE {} b up down",
        "SPOP {} abc",
        "SRANDMEMBER {} abc",
        "HRANDFIELD {} abc",
        "EXPIRE {} abc",
        "GETEX {} EX abc",
        "SET {} v EX abc",
        "HSCAN {} abc",
        "SSCAN {} abc",
        "HSCAN {} 0 COUNT 0",
        "SSCAN {} 0 COUNT 0",
        "LMPOP 1 {} UP",
        "BLPOP {} -1",
        "SINTERCARD 1 {} LIMIT -1",
    ] {
        for key in ["missing", "s", "h"] {
            d.check(0, &command.replace("{}", key));
        }
    }
}

#[test]
fn sort_and_sort_ro() {
    let mut d = differential!(1);
    d.script(
        r#"
        RPUSH l 3 1 2 10 -5
        SORT l
        SORT l DESC
        SORT l LIMIT 1 2
        SORT l LIMIT 0 -1
        SORT l LIMIT 5 2
        SORT l LIMIT -3 2
        SORT l LIMIT 1
        SORT l ALPHA
        SORT l BY nosort
        SORT l BY nosort DESC
        SORT l BY nosort LIMIT 1 2
        MSET w_3 30 w_1 10 w_2 5 w_10 1 w_-5 100
        SORT l BY w_*
        SORT l BY w_* DESC
        SORT l BY w_* GET # GET w_*
        SORT l BY missing_* 
        SORT l GET w_* GET missing_* GET #
        SORT l GET nostar
        HSET h_3 f a
        HSET h_1 f b
        SORT l BY h_*->f ALPHA
        SORT l GET h_*->f
        SORT l GET h_*->
        SORT l STORE dst
        LRANGE dst 0 -1
        SORT l GET w_* STORE dst2
        LRANGE dst2 0 -1
        SORT l LIMIT 10 10 STORE dst
        EXISTS dst
        SORT_RO l DESC
        SORT_RO l STORE x
        SORT l foo
        SORT l BY
        SORT l GET
        RPUSH words banana apple cherry
        SORT words
        SORT words ALPHA
        SORT words ALPHA DESC LIMIT 0 2
        SADD s 5 3 9
        SORT s
        SORT s BY nosort
        SADD sw b a c
        SORT sw ALPHA
        SORT sw BY nosort STORE sdst
        LRANGE sdst 0 -1
        ZADD z 3 a 1 b 2 c
        SORT z BY nosort
        SORT z BY nosort DESC
        SORT z BY nosort LIMIT 1 1 DESC
        SORT z ALPHA
        SET str v
        SORT str
        SORT missing
        SORT missing STORE dst
        RPUSH f 1.5 "" 1e400
        SORT f
        "#,
    );
}

#[test]
fn object_subcommands_and_encodings() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET n 123
        SET neg -5
        SET big 12345678901
        SET e ""
        SET s hello
        SET long 0123456789012345678901234567890123456789012345
        SET f 1.5
        INCRBYFLOAT f 1.5
        INCR cnt
        APPEND app x
        APPEND s2 x
        SET s3 abc
        APPEND s3 d
        SETRANGE sr 0 5
        RPUSH l a
        HSET h f v
        SADD si 1 2
        SADD ss a
        ZADD z 1 a
        OBJECT ENCODING n
        OBJECT ENCODING neg
        OBJECT ENCODING big
        OBJECT ENCODING e
        OBJECT ENCODING s
        OBJECT ENCODING long
        OBJECT ENCODING f
        OBJECT ENCODING cnt
        OBJECT ENCODING app
        OBJECT ENCODING s3
        OBJECT ENCODING sr
        OBJECT ENCODING l
        OBJECT ENCODING h
        OBJECT ENCODING si
        OBJECT ENCODING ss
        OBJECT ENCODING z
        OBJECT ENCODING missing
        OBJECT REFCOUNT n
        OBJECT REFCOUNT cnt
        OBJECT REFCOUNT big
        OBJECT REFCOUNT neg
        OBJECT REFCOUNT l
        OBJECT REFCOUNT missing
        OBJECT FREQ n
        OBJECT FREQ missing
        OBJECT IDLETIME missing
        OBJECT HELP
        OBJECT
        OBJECT ENCODING
        OBJECT ENCODING a b
        OBJECT HELP x
        OBJECT FOO
        OBJECT foo bar
        MULTI
        OBJECT NOPE
        SET inmulti 1
        EXEC
        EXISTS inmulti
        HSET h long 01234567890123456789012345678901234567890123456789012345678901234
        OBJECT ENCODING h
        SORT z BY nosort
        OBJECT ENCODING z
        "#,
    );
    d.script(&common::generated("SADD ints", 0..513, |i| i.to_string()));
    d.check(0, "OBJECT ENCODING ints");
    d.script(&common::generated("ZADD manyz", 0..128, |i| format!("{i} m{i}")));
    d.check(0, "OBJECT ENCODING manyz");
    d.check(0, "ZADD manyz 5 m0");
    d.check(0, "OBJECT ENCODING manyz");
    d.check(0, "ZADD manyz 500 m500");
    d.check(0, "OBJECT ENCODING manyz");
    // Idle seconds: Redis reads a clock of whole seconds, so even a short pause between SET and
    // OBJECT IDLETIME can read 1 there; both sides answer an integer of a second or two.
    let (redis, embedis) = d.both(0, &common::words("OBJECT IDLETIME n"));
    for (side, raw) in [("redis", redis), ("embedis", embedis)] {
        let idle = common::parse(&raw);
        assert!(
            matches!(idle, common::Resp::Int(0..=2)),
            "{side}: OBJECT IDLETIME n answered {idle:?}"
        );
    }
}

#[test]
fn memory_subcommands_answer_like_redis() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET k v
        MEMORY USAGE missing
        MEMORY USAGE missing SAMPLES 0
        MEMORY USAGE k SAMPLES -1
        MEMORY USAGE k SAMPLES x
        MEMORY USAGE k SAMPLES
        MEMORY USAGE k foo
        MEMORY USAGE k SAMPLES 0 extra
        MEMORY USAGE
        MEMORY
        MEMORY FOO
        MEMORY PURGE
        MEMORY PURGE x
        MEMORY HELP
        MEMORY HELP x
        MULTI
        MEMORY USAGE missing
        EXEC
        "#,
    );
    // The sizes are each server's own layout: both answer an integer, larger for a larger value.
    d.script("SET big 0123456789012345678901234567890123456789012345678901234567890123456789");
    d.script(&common::generated("RPUSH list", 0..1000, |i| format!("element:{i}")));
    for key in ["k", "big", "list"] {
        let (redis, embedis) = d.both(0, &common::words(&format!("MEMORY USAGE {key} SAMPLES 0")));
        for (side, raw) in [("redis", redis), ("embedis", embedis)] {
            assert!(
                matches!(common::parse(&raw), common::Resp::Int(1..)),
                "{side}: {key}: {raw:?}"
            );
        }
    }
    let usage = |d: &mut common::Differential, key: &str| {
        let (_, embedis) = d.both(0, &common::words(&format!("MEMORY USAGE {key}")));
        match common::parse(&embedis) {
            common::Resp::Int(n) => n,
            other => panic!("MEMORY USAGE {key}: {other:?}"),
        }
    };
    let (small, big, list) = (usage(&mut d, "k"), usage(&mut d, "big"), usage(&mut d, "list"));
    assert!(small < big && big < list && list > 10_000, "{small} {big} {list}");
}

#[test]
fn hash_encoding_follows_redis_thresholds() {
    let mut d = differential!(1);
    d.script(&common::generated("HSET h", 0..512, |i| format!("f{i} v")));
    d.check(0, "OBJECT ENCODING h");
    d.check(0, "HSET h f512 v");
    d.check(0, "OBJECT ENCODING h");
    d.check(
        0,
        "HSET small f 0123456789012345678901234567890123456789012345678901234567890123",
    );
    d.check(0, "OBJECT ENCODING small");
    d.check(
        0,
        "HSET small g 01234567890123456789012345678901234567890123456789012345678901234",
    );
    d.check(0, "OBJECT ENCODING small");
    d.check(0, "HLEN small");
}

/// The payload of a DUMP reply (`$n\r\n<bytes>\r\n`).
fn bulk_payload(raw: &[u8]) -> Vec<u8> {
    match common::parse(raw) {
        common::Resp::Bulk(Some(bytes)) => bytes,
        other => panic!("DUMP answered {other:?}"),
    }
}

#[test]
fn dump_and_restore_round_trip_like_redis() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET s hello
        SET n 42
        APPEND grown x
        RPUSH l a b c
        HSET h f1 v1 f2 v2
        SADD st 3 1 2
        ZADD z 1.5 a -inf b 3 c
        SET ttl v PX 100000
        DUMP missing
        RESTORE s 0 xxx
        RESTORE new 0 xxx
        RESTORE new -1 xxx
        RESTORE new abc xxx
        RESTORE new 0 xxx IDLETIME -1
        RESTORE new 0 xxx FREQ 300
        RESTORE new 0 xxx foo
        RESTORE new 0 xxx IDLETIME 1 FREQ 1
        RESTORE new 0 ""
        "#,
    );
    for key in ["s", "n", "grown", "l", "h", "st", "z", "ttl"] {
        let argv = common::words(&format!("DUMP {key}"));
        let (redis, embedis) = d.both(0, &argv);
        let restore = |payload: Vec<u8>, extra: &[&str]| {
            let mut argv = common::words(&format!("RESTORE {key}:copy 0"));
            argv.push(payload);
            argv.extend(extra.iter().map(|s| s.as_bytes().to_vec()));
            argv
        };
        let (r, e) = d.each(
            0,
            &restore(bulk_payload(&redis), &[]),
            &restore(bulk_payload(&embedis), &[]),
        );
        assert_eq!(r, e, "RESTORE {key}:copy");
        let (r, e) = d.each(
            0,
            &restore(bulk_payload(&redis), &[]),
            &restore(bulk_payload(&embedis), &[]),
        );
        assert_eq!(r, e, "RESTORE onto an existing key");
        let (r, e) = d.each(
            0,
            &restore(bulk_payload(&redis), &["REPLACE", "IDLETIME", "100"]),
            &restore(bulk_payload(&embedis), &["REPLACE", "IDLETIME", "100"]),
        );
        assert_eq!(r, e, "RESTORE REPLACE");
        for check in ["TYPE {}:copy", "OBJECT ENCODING {}:copy", "TTL {}:copy"] {
            d.check(0, &check.replace("{}", key));
        }
        // RESTORE … IDLETIME 100 sets the idle time; a second boundary between RESTORE and OBJECT
        // IDLETIME makes either side read 101 (both count whole seconds).
        let (redis, embedis) = d.both(0, &common::words(&format!("OBJECT IDLETIME {key}:copy")));
        for (side, raw) in [("redis", redis), ("embedis", embedis)] {
            let idle = common::parse(&raw);
            assert!(
                matches!(idle, common::Resp::Int(100..=101)),
                "{side}: OBJECT IDLETIME {key}:copy answered {idle:?}"
            );
        }
    }
    d.check(0, "LRANGE l:copy 0 -1");
    d.check(0, "HGETALL h:copy");
    d.check(0, "SMEMBERS st:copy");
    d.check(0, "ZRANGE z:copy 0 -1 WITHSCORES");
    d.check(0, "GET grown:copy");
    d.check(0, "GET s:copy");
    d.check(0, "GET n:copy");
    d.check(0, "OBJECT ENCODING n:copy");
    d.check(0, "GET ttl:copy");
    // TTLs: relative, absolute, and already expired.
    let (redis, embedis) = d.both(0, &common::words("DUMP s"));
    for (extra, name) in [
        (vec!["5000"], "rel"),
        (vec!["4000000000000", "ABSTTL"], "abs"),
        (vec!["1", "ABSTTL"], "past"),
    ] {
        let build = |payload: Vec<u8>| {
            let mut argv = common::words(&format!("RESTORE t:{name} {}", extra[0]));
            argv.push(payload);
            argv.extend(extra[1..].iter().map(|s| s.as_bytes().to_vec()));
            argv
        };
        let (r, e) = d.each(0, &build(bulk_payload(&redis)), &build(bulk_payload(&embedis)));
        assert_eq!(r, e, "RESTORE {name}");
        d.check(0, &format!("EXISTS t:{name}"));
        d.check(0, &format!("GET t:{name}"));
        // TTL rounds to whole seconds, so the two servers' clocks need not agree to the millisecond.
        d.check(0, &format!("TTL t:{name}"));
    }
}

/// DUMP writes Redis's payloads and RESTORE reads them: each side's payload restores on both
/// sides to the same value, and where Redis's layout is fixed (strings, small hashes, sorted sets
/// and lists, integer sets, streams without groups) the bytes are Redis's own.
#[test]
fn dump_payloads_are_redis_payloads_both_ways() {
    let mut d = differential!(1);
    let long = "x".repeat(100);
    let varied: String = (0..200).map(|i| char::from(b'a' + (i * 7 % 26) as u8)).collect();
    d.script(&format!(
        r#"
        SET s hello
        SET n 42
        SET big 12345678901
        SET neg -7
        SET long {long}
        SET varied {varied}
        RPUSH l a b c 1 2 300 -5
        HSET h f1 v1 f2 2
        SADD ints 3 1 2 70000 -5
        SADD strs a b c
        ZADD z 1.5 a -inf b 3 c 2 d
        XADD x 1-1 a 1 b 2
        XADD x 2-1 a 3 b 4
        XADD x 3-5 c 5
        XDEL x 2-1
        "#
    ));
    d.script(&common::generated("RPUSH biglist", 0..3000, |i| format!("element-{i}")));
    d.script(&common::generated("HSET bighash", 0..600, |i| format!("f{i} v{i}")));
    d.script(&common::generated("SADD bigset", 0..600, |i| format!("m{i}")));
    d.script(&common::generated("ZADD bigz", 0..300, |i| {
        format!("{} m{i}", i as f64 / 7.0)
    }));
    d.script("XGROUP CREATE x g 0\nXREADGROUP GROUP g alice COUNT 1 STREAMS x >");
    let same_bytes = ["s", "n", "big", "neg", "long", "varied", "l", "h", "ints", "z"];
    let reads: &[(&str, &str)] = &[
        ("s", "GET"),
        ("n", "GET"),
        ("big", "GET"),
        ("neg", "GET"),
        ("long", "GET"),
        ("varied", "GET"),
        ("l", "LRANGE {} 0 -1"),
        ("biglist", "LRANGE {} 0 -1"),
        ("h", "HGETALL"),
        ("bighash", "HLEN"),
        ("ints", "SMEMBERS"),
        ("strs", "SCARD"),
        ("bigset", "SCARD"),
        ("z", "ZRANGE {} 0 -1 WITHSCORES"),
        ("bigz", "ZRANGE {} 0 -1 WITHSCORES"),
        ("x", "XRANGE {} - +"),
    ];
    for &(key, read) in reads {
        let (redis, embedis) = d.both(0, &common::words(&format!("DUMP {key}")));
        if same_bytes.contains(&key) {
            common::assert_same_bytes(&embedis, &redis, format!("DUMP {key}"));
        }
        for (side, payload) in [("r", bulk_payload(&redis)), ("e", bulk_payload(&embedis))] {
            let copy = format!("{key}:{side}");
            let mut argv = common::words(&format!("RESTORE {copy} 0"));
            argv.push(payload);
            d.check_argv(0, &argv, common::Order::Exact);
            let read = if read.contains("{}") {
                read.replace("{}", &copy)
            } else {
                format!("{read} {copy}")
            };
            let order = if key.starts_with("big") && !key.ends_with('z') && key != "biglist" {
                common::Order::Unordered
            } else {
                common::Order::Exact
            };
            d.check_argv(0, &common::words(&read), order);
            d.check(0, &format!("OBJECT ENCODING {copy}"));
        }
    }
    // The stream's group, its pending entry and its consumer came across too.
    for side in ["r", "e"] {
        d.check(0, &format!("XINFO GROUPS x:{side}"));
        d.check(0, &format!("XPENDING x:{side} g"));
    }
}
