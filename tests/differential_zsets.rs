//! Sorted sets against a real redis-server: scores printed as Redis prints doubles, ranges by rank,
//! score and lex with every bound form, algebra, pops.

mod common;

#[test]
fn zadd_flags_and_scores() {
    let mut d = differential!(1);
    d.script(
        r#"
        ZADD z 1 a 2 b 3 c
        ZADD z 1 a
        ZADD z CH 5 a 2 b
        ZADD z NX 10 a 10 d
        ZADD z XX 20 a 20 e
        ZADD z GT 1 a
        ZADD z GT CH 30 a
        ZADD z LT CH 40 a 0 b
        ZADD z XX GT CH 50 a
        ZADD z INCR 5 a
        ZADD z INCR NX 5 a
        ZADD z INCR XX 5 nothere
        ZADD z INCR GT -100 a
        ZINCRBY z 1.5 b
        ZINCRBY z 1 new
        ZINCRBY z abc a
        ZINCRBY z -inf a
        ZINCRBY z inf a
        ZADD z 0.1 f 1e300 g -0 h 1.5e-7 i 123456789012345678 j inf k -inf l
        ZRANGE z 0 -1 WITHSCORES
        ZADD z nx xx 1 a
        ZADD z gt lt 1 a
        ZADD z nx gt 1 a
        ZADD z incr 1 a 2 b
        ZADD z 1
        ZADD z 1 a 2
        ZADD z abc a
        ZADD z nan a
        ZADD z " 1" a
        ZADD z 1 a foo
        ZADD z CH
        ZADD xx XX 1 a
        EXISTS xx
        ZADD xx XX INCR 1 a
        ZSCORE z a
        ZSCORE z missing
        ZSCORE missing a
        ZMSCORE z a missing b
        ZMSCORE missing a
        ZCARD z
        ZCARD missing
        ZRANK z a
        ZREVRANK z a
        ZRANK z missing
        ZRANK missing a
        SET s v
        ZADD s 1 a
        ZSCORE s a
        ZCARD s
        ZRANK s a
        ZRANGE s 0 -1
        ZINCRBY s 1 a
        "#,
    );
}

#[test]
fn zrange_by_rank_score_and_lex() {
    let mut d = differential!(1);
    d.script("ZADD z 1 a 2 b 3 c 4 d 5 e 5 f 5 g");
    for line in [
        "ZRANGE z 0 -1",
        "ZRANGE z 0 -1 WITHSCORES",
        "ZRANGE z 2 4",
        "ZRANGE z -3 -1",
        "ZRANGE z 5 1",
        "ZRANGE z 0 100",
        "ZRANGE z -100 1",
        "ZRANGE z 0 -1 REV",
        "ZRANGE z 1 2 REV WITHSCORES",
        "ZREVRANGE z 0 2",
        "ZREVRANGE z 0 -1 WITHSCORES",
        "ZRANGE z 2 4 BYSCORE",
        "ZRANGE z (2 4 BYSCORE WITHSCORES",
        "ZRANGE z 2 (4 BYSCORE",
        "ZRANGE z -inf +inf BYSCORE",
        "ZRANGE z 4 2 BYSCORE REV",
        "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2",
        "ZRANGE z -inf +inf BYSCORE LIMIT 2 3",
        "ZRANGE z -inf +inf BYSCORE LIMIT 2 -1",
        "ZRANGE z -inf +inf BYSCORE LIMIT -1 2",
        "ZRANGE z -inf +inf BYSCORE LIMIT 100 2",
        "ZRANGE z -inf +inf BYSCORE LIMIT 0 0",
        "ZRANGEBYSCORE z 2 4",
        "ZRANGEBYSCORE z (1 (5 WITHSCORES",
        "ZRANGEBYSCORE z -inf +inf LIMIT 1 2",
        "ZREVRANGEBYSCORE z 4 2",
        "ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 1 3",
        "ZRANGEBYSCORE z 5 1",
        "ZRANGEBYSCORE z \"\" 3",
        "ZRANGEBYSCORE z \" 2\" 3",
        "ZRANGEBYSCORE z a b",
        "ZRANGEBYSCORE z ( 3",
        "ZRANGEBYSCORE z nan 3",
        "ZRANGE z 0 -1 LIMIT 0 1",
        "ZRANGE z a b BYLEX WITHSCORES",
        "ZRANGE z 0 1 BYSCORE BYLEX",
        "ZRANGE z 0 1 REV REV",
        "ZRANGE z 0 1 foo",
        "ZRANGE z a b",
        "ZRANGEBYSCORE z 1 2 REV",
        "ZRANGEBYSCORE z 1 2 BYSCORE",
        "ZREVRANGE z 0 1 LIMIT 0 1",
        "ZRANGE missing 0 -1",
        "ZRANGE missing 0 -1 BYSCORE",
        "ZCOUNT z 2 4",
        "ZCOUNT z (2 (4",
        "ZCOUNT z -inf +inf",
        "ZCOUNT z 10 20",
        "ZCOUNT z a b",
        "ZCOUNT missing 0 1",
    ] {
        d.check(0, line);
    }
    d.script("ZADD lex 0 a 0 b 0 c 0 d 0 e 0 f 0 g");
    for line in [
        "ZRANGEBYLEX lex - +",
        "ZRANGEBYLEX lex [b [d",
        "ZRANGEBYLEX lex (b (d",
        "ZRANGEBYLEX lex [b (d",
        "ZRANGEBYLEX lex - [c",
        "ZRANGEBYLEX lex (c +",
        "ZRANGEBYLEX lex + -",
        "ZRANGEBYLEX lex - + LIMIT 2 3",
        "ZRANGEBYLEX lex - + LIMIT -1 3",
        "ZREVRANGEBYLEX lex + -",
        "ZREVRANGEBYLEX lex [d [b",
        "ZREVRANGEBYLEX lex + - LIMIT 1 2",
        "ZRANGE lex [b [d BYLEX",
        "ZRANGE lex [d [b BYLEX REV",
        "ZRANGEBYLEX lex a b",
        "ZRANGEBYLEX lex [a b",
        "ZRANGEBYLEX lex +a -",
        "ZRANGEBYLEX lex [ +",
        "ZRANGEBYLEX lex - + WITHSCORES",
        "ZLEXCOUNT lex - +",
        "ZLEXCOUNT lex [b (e",
        "ZLEXCOUNT lex a b",
        "ZLEXCOUNT missing - +",
    ] {
        d.check(0, line);
    }
}

#[test]
fn zrem_ranges_and_pops() {
    let mut d = differential!(1);
    d.script(
        r#"
        ZADD z 1 a 2 b 3 c 4 d 5 e 6 f
        ZREM z a missing
        ZREM z missing
        ZREM missing a
        ZREMRANGEBYRANK z 0 0
        ZREMRANGEBYRANK z -1 -1
        ZRANGE z 0 -1
        ZREMRANGEBYSCORE z (3 4
        ZREMRANGEBYSCORE z 10 20
        ZREMRANGEBYSCORE z a b
        ZREMRANGEBYRANK z abc 1
        ZRANGE z 0 -1 WITHSCORES
        ZADD lex 0 a 0 b 0 c 0 d
        ZREMRANGEBYLEX lex [b (d
        ZREMRANGEBYLEX lex a b
        ZRANGE lex 0 -1
        ZREMRANGEBYLEX lex - +
        EXISTS lex
        ZADD p 1 a 2 b 3 c 4 d
        ZPOPMIN p
        ZPOPMAX p
        ZPOPMIN p 0
        ZPOPMIN p 5
        EXISTS p
        ZPOPMIN missing
        ZPOPMIN missing 2
        ZPOPMIN p abc
        ZPOPMIN p -1
        ZPOPMIN p 1 2
        ZADD m1 1 a 2 b
        ZADD m2 3 c
        ZMPOP 2 missing m1 MIN
        ZMPOP 2 m1 m2 MAX COUNT 5
        ZMPOP 1 missing MIN
        ZMPOP 0 m2 MIN
        ZMPOP 1 m2 foo
        ZMPOP 1 m2 MIN COUNT 0
        ZMPOP 1 m2 MIN COUNT 1 COUNT 1
        ZMPOP 2 m2 MIN
        BZPOPMIN m2 0
        BZPOPMAX missing 0.01
        BZMPOP 0.01 1 missing MIN
        ZADD b 1 x 2 y
        BZMPOP 0 1 b MAX COUNT 2
        BZPOPMIN b -1
        BZPOPMIN b abc
        MULTI
        BZPOPMIN missing 0
        BZMPOP 0 1 missing MIN
        EXEC
        SET s v
        ZREM s a
        ZPOPMIN s
        ZMPOP 1 s MIN
        BZPOPMIN s 0
        ZREMRANGEBYRANK s 0 1
        "#,
    );
}

#[test]
fn zset_algebra() {
    let mut d = differential!(1);
    d.script(
        r#"
        ZADD a 1 x 2 y 3 z
        ZADD b 10 y 20 z 30 w
        SADD s y w q
        ZUNION 2 a b
        ZUNION 2 a b WITHSCORES
        ZUNION 2 a b WEIGHTS 2 3 WITHSCORES
        ZUNION 2 a b AGGREGATE MIN WITHSCORES
        ZUNION 2 a b AGGREGATE MAX WITHSCORES
        ZUNION 3 a b s WITHSCORES
        ZUNION 2 a missing WITHSCORES
        ZINTER 2 a b WITHSCORES
        ZINTER 2 a b WEIGHTS 1 -1 WITHSCORES
        ZINTER 3 a b s WITHSCORES
        ZINTER 2 a missing
        ZDIFF 2 a b WITHSCORES
        ZDIFF 2 b s WITHSCORES
        ZDIFF 1 missing
        ZUNIONSTORE dst 2 a b WEIGHTS 1 2
        ZRANGE dst 0 -1 WITHSCORES
        ZINTERSTORE dst 2 a b AGGREGATE MAX
        ZRANGE dst 0 -1 WITHSCORES
        ZDIFFSTORE dst 2 a b
        ZRANGE dst 0 -1 WITHSCORES
        ZINTERSTORE dst 2 a missing
        EXISTS dst
        ZINTERCARD 2 a b
        ZINTERCARD 2 a b LIMIT 1
        ZINTERCARD 2 a b LIMIT 0
        ZINTERCARD 2 a b LIMIT -1
        ZINTERCARD 0 a
        ZINTERCARD 2 a
        ZINTERCARD abc a
        ZUNION 0 a
        ZUNION abc a
        ZUNION 3 a b
        ZINTER 1 a WEIGHTS abc
        ZUNION 1 a AGGREGATE foo
        ZDIFF 1 a WEIGHTS 2
        ZUNIONSTORE dst 0 a
        ZUNIONSTORE dst 1 a WITHSCORES
        ZUNION 2 a b WEIGHTS 1
        SET str v
        ZUNION 2 a str
        ZINTERSTORE dst 1 str
        ZADD inf 1 x
        ZUNION 2 inf inf WEIGHTS inf -inf WITHSCORES
        ZADD zero 0 x
        ZUNION 1 zero WEIGHTS inf WITHSCORES
        ZRANGESTORE rs a 0 1
        ZRANGE rs 0 -1 WITHSCORES
        ZRANGESTORE rs a (1 +inf BYSCORE LIMIT 0 1
        ZRANGE rs 0 -1 WITHSCORES
        ZRANGESTORE rs a 0 -1 WITHSCORES
        ZRANGESTORE rs missing 0 -1
        EXISTS rs
        "#,
    );
}

#[test]
fn zset_random_and_scan() {
    let mut d = differential!(1);
    d.script(
        r#"
        ZADD z 1 a 2 b 3 c
        ZRANDMEMBER missing
        ZRANDMEMBER missing 3
        ZRANDMEMBER z 0
        ZRANDMEMBER z 10
        ZRANDMEMBER z 10 WITHSCORES
        ZRANDMEMBER z abc
        ZRANDMEMBER z 1 foo
        ZRANDMEMBER z -9223372036854775807 WITHSCORES
        ZSCAN z 0
        ZSCAN z 0 MATCH b*
        ZSCAN missing 0
        ZSCAN z abc
        ZSCAN z 0 COUNT 0
        "#,
    );
}

#[test]
fn tx_touch_rules_for_sorted_sets() {
    let mut d = differential!(2);
    let cases = [
        ("ZADD k 1 a", "ZADD k 1 a"), // no change: no touch
        ("ZADD k 1 a", "ZADD k 2 a"),
        ("ZADD k 1 a", "ZADD k NX 2 a"),
        ("ZADD k 1 a", "ZADD k GT 0 a"),
        ("ZADD k 1 a", "ZINCRBY k 0 a"), // same score: no touch
        ("ZADD k 1 a", "ZREM k b"),
        ("ZADD k 1 a", "ZREM k a"),
        ("ZADD k 1 a", "ZREMRANGEBYSCORE k 5 10"),
        ("ZADD k 1 a", "ZPOPMIN k 0"),
        ("ZADD a 1 x", "ZINTERSTORE k 2 a missing"),
        ("ZADD a 1 x\nZADD k 1 y", "ZINTERSTORE k 2 a missing"),
        ("ZADD a 1 x", "ZRANGESTORE k a 0 -1"),
    ];
    d.check_touch_rules(&cases);
}

#[test]
fn large_sorted_sets_match_redis() {
    let mut d = differential!(1);
    let line = common::generated("ZADD big", 0..1000, |i| {
        format!("{} m{:04}", (i * 37) % 101, (i * 7919) % 1000)
    });
    d.check(0, &line);
    for command in [
        "ZCARD big",
        "ZRANGE big 0 20 WITHSCORES",
        "ZRANGE big 500 530",
        "ZRANGE big -10 -1 WITHSCORES",
        "ZREVRANGE big 100 110 WITHSCORES",
        "ZRANK big m0500",
        "ZREVRANK big m0500",
        "ZCOUNT big 10 20",
        "ZRANGEBYSCORE big (50 60 LIMIT 5 10",
        "ZREVRANGEBYSCORE big 60 (50 WITHSCORES LIMIT 3 7",
        "ZREMRANGEBYRANK big 0 99",
        "ZREMRANGEBYSCORE big 90 100",
        "ZCARD big",
        "ZRANGE big 0 5 WITHSCORES",
        "ZPOPMAX big 3",
        "ZPOPMIN big 3",
        "ZUNIONSTORE copy 1 big WEIGHTS 2",
        "ZRANGE copy 0 4 WITHSCORES",
    ] {
        d.check(0, command);
    }
    // A large sorted set is scanned page by page; the whole iteration finds every member once.
    let store = d.store().clone();
    let mut conn = store.connect();
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    loop {
        let (next, items): (String, Vec<String>) =
            embedis::FromReply::from_reply(conn.call(["ZSCAN", "big", cursor.as_str(), "COUNT", "50"])).unwrap();
        seen.extend(items.chunks(2).map(|pair| pair[0].clone()));
        if next == "0" {
            break;
        }
        cursor = next;
    }
    let card: i64 = embedis::FromReply::from_reply(conn.call(["ZCARD", "big"])).unwrap();
    assert_eq!(seen.len() as i64, card);
}

/// Lex ranges are meant for members of one score; with mixed scores Redis still answers
/// deterministically for a small (listpack) sorted set, by its walk: the first and last members
/// gate the range, LIMIT's offset skips members whether in range or not, and a forward walk stops
/// at the first member above max (a backward one at the first below min).
#[test]
fn lex_ranges_over_mixed_scores_walk_as_redis_walks_a_listpack() {
    let mut d = differential!(1);
    d.script(
        r#"
        ZADD k 1 c 2 z 3 d 4 b
        OBJECT ENCODING k
        ZRANGE k [b [d BYLEX
        ZRANGE k [c [d BYLEX
        ZRANGE k [d [b BYLEX REV
        ZRANGE k [d [c BYLEX REV
        ZRANGEBYLEX k [b [d LIMIT 1 5
        ZRANGEBYLEX k - + LIMIT 1 2
        ZREVRANGEBYLEX k + - LIMIT 1 2
        ZREVRANGEBYLEX k [z [c
        ZLEXCOUNT k [b [d
        ZLEXCOUNT k [c [d
        ZLEXCOUNT k - +
        ZRANGESTORE dst k [b [z BYLEX
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst k [z [b BYLEX REV LIMIT 1 2
        ZRANGE dst 0 -1 WITHSCORES
        ZADD w 1 c 2 z 3 d 4 e
        ZRANGE w [c [d BYLEX
        ZRANGE w [c [d BYLEX LIMIT 2 1
        ZRANGE w [c [d BYLEX LIMIT 1 1
        ZRANGE w [e [d BYLEX REV LIMIT 2 2
        ZRANGE w [e [d BYLEX REV LIMIT 1 2
        ZREMRANGEBYLEX w [c [d
        ZRANGE w 0 -1 WITHSCORES
        ZADD v 1 m 2 a 3 x 4 b
        ZREMRANGEBYLEX v [b [n
        ZRANGE v 0 -1 WITHSCORES
        ZREMRANGEBYLEX v (a +
        ZRANGE v 0 -1 WITHSCORES
        "#,
    );
}

/// A large sorted set of one score (an autocomplete index) answers lex ranges by binary search,
/// as Redis's skiplist does.
#[test]
fn lex_ranges_over_a_large_one_score_set() {
    let mut d = differential!(1);
    d.check(
        0,
        &common::generated("ZADD idx", 0..600, |i| format!("0 w{:03}", (i * 7) % 600)),
    );
    d.script(
        r#"
        OBJECT ENCODING idx
        ZRANGEBYLEX idx [w100 (w110
        ZRANGEBYLEX idx (w5 + LIMIT 10 5
        ZREVRANGEBYLEX idx [w300 - LIMIT 3 4
        ZRANGE idx [w599 [w999 BYLEX
        ZRANGE idx [x + BYLEX
        ZRANGE idx - (w000 BYLEX
        ZLEXCOUNT idx [w2 (w3
        ZREMRANGEBYLEX idx [w250 (w260
        ZLEXCOUNT idx - +
        ZADD idx 1 a
        ZRANGE idx - [a BYLEX
        "#,
    );
}

/// A score of -0: a small sorted set (a listpack) stores it as 0, a large one (a skiplist) keeps
/// -0; ZINCRBY and ZADD INCR answer the score they computed, and ZUNION/ZINTER answer from a
/// skiplist, so -0 shows there too, while a small stored result is a listpack again.
#[test]
fn negative_zero_scores_as_redis_stores_and_answers_them() {
    let mut d = differential!(1);
    d.check(0, &common::generated("ZADD big", 1..201, |i| format!("{i} m{i}")));
    d.script(
        r#"
        ZINCRBY small -0 a
        ZSCORE small a
        ZINCRBY small -0 a
        ZADD small INCR -0.0 b
        ZADD small -0 c
        ZRANGE small 0 -1 WITHSCORES
        ZADD big -0 n
        ZSCORE big n
        ZINCRBY big -0 q
        ZINCRBY big -0 q
        ZINCRBY big 0 q
        ZINCRBY big -0 q
        ZRANGE big 0 3 WITHSCORES
        ZUNION 1 small WEIGHTS -1 WITHSCORES
        ZINTER 1 small WEIGHTS -1 WITHSCORES
        ZUNIONSTORE dst 1 small WEIGHTS -1
        ZRANGE dst 0 -1 WITHSCORES
        OBJECT ENCODING dst
        ZUNIONSTORE dst 2 big small WEIGHTS -1 -1
        ZRANGE dst -4 -1 WITHSCORES
        OBJECT ENCODING dst
        ZDIFF 1 big WITHSCORES
        ZDIFFSTORE small2 2 big big
        ZRANGESTORE small2 big 0 1
        ZRANGE small2 0 -1 WITHSCORES
        ZRANGESTORE big2 big 0 -1
        ZRANGE big2 0 1 WITHSCORES
        OBJECT ENCODING big2
        ZRANGESTORE big3 big -inf +inf BYSCORE
        ZRANGE big3 0 1 WITHSCORES
        OBJECT ENCODING big3
        ZRANGESTORE big4 big 0 -1 REV
        ZRANGE big4 0 1 WITHSCORES
        "#,
    );
}
