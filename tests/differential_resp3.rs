//! RESP3 against a real redis-server: HELLO, the RESP3 types commands reply with (maps, sets,
//! doubles, nulls, pairs), and scripts' conversions after `redis.setresp(3)`.

mod common;

use common::{Differential, Resp};

/// HELLO's reply with the client id blanked (each side numbers its clients its own way).
fn without_id(raw: &[u8]) -> Resp {
    let blank = |pairs: &mut Vec<(Resp, Resp)>| {
        for (key, value) in pairs.iter_mut() {
            if *key == Resp::Bulk(Some(b"id".to_vec())) {
                *value = Resp::Int(0);
            }
        }
    };
    match common::parse(raw) {
        Resp::Map(mut pairs) => {
            blank(&mut pairs);
            Resp::Map(pairs)
        }
        Resp::Array(Some(items)) => {
            let mut pairs: Vec<(Resp, Resp)> = items.chunks(2).map(|c| (c[0].clone(), c[1].clone())).collect();
            blank(&mut pairs);
            Resp::Array(Some(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()))
        }
        other => other,
    }
}

fn check_hello(d: &mut Differential, line: &str) {
    let (r, e) = d.both(0, &common::words(line));
    assert_eq!(without_id(&r), without_id(&e), "{line}");
}

#[test]
fn hello_switches_protocols_like_redis() {
    let mut d = differential!(1);
    for line in [
        "HELLO",
        "HELLO 2",
        "HELLO 4",
        "HELLO 1",
        "HELLO x",
        "HELLO 3 FOO",
        "HELLO 3 AUTH",
        "HELLO 3 AUTH default",
        "HELLO 3 AUTH someone secret",
        "HELLO 3 SETNAME",
        "HELLO 3 SETNAME \"bad name\"",
        "HELLO 2 SETNAME good AUTH default whatever",
        "HELLO 3",
        "HELLO",
        "HELLO 2",
    ] {
        check_hello(&mut d, line);
    }
}

#[test]
fn commands_reply_with_resp3_types_like_redis() {
    let mut d = differential!(2);
    d.use_resp3();
    d.script(
        "HSET h a 1 b 2
         SADD s x y 3
         ZADD z 1.5 a 2 b 3 c
         RPUSH l 1 2
         SET k v
         HGETALL h
         HGETALL nosuch
         HRANDFIELD h 5 WITHVALUES
         HRANDFIELD h 5
         ZSCORE z a
         ZSCORE z q
         ZMSCORE z a q
         ZINCRBY z 1 a
         ZADD z INCR 1 a
         ZADD z XX INCR 1 nosuch
         ZRANGE z 0 -1 WITHSCORES
         ZRANGE z 0 -1
         ZRANGEBYSCORE z -inf inf WITHSCORES LIMIT 0 2
         ZREVRANGE z 0 -1 WITHSCORES
         ZRANGE z (1 +inf BYSCORE REV WITHSCORES
         ZRANDMEMBER z 5 WITHSCORES
         ZRANDMEMBER z 5
         ZUNION 1 z WITHSCORES
         ZINTER 2 z z WITHSCORES
         ZDIFF 1 z WITHSCORES
         ZSCAN z 0
         HSCAN h 0
         ZPOPMIN z
         ZPOPMAX z 1
         ZPOPMIN z 5
         ZPOPMIN z 1
         ZADD z 1 a 2 b
         ZMPOP 1 z MIN COUNT 2
         ZADD z 1 a
         BZPOPMIN z 0
         BZPOPMIN z 0.01
         GET nosuch
         LPOP nosuch
         LPOP nosuch 2
         BLPOP nosuch 0.01
         LPOS l 9
         LMPOP 1 nosuch LEFT
         ZRANK z nosuch
         OBJECT ENCODING nosuch
         INCRBYFLOAT f 1.5
         HINCRBYFLOAT h c 1.5
         LCS k k IDX
         LCS k k IDX WITHMATCHLEN
         SORT l
         SISMEMBER s x
         SMISMEMBER s x q
         SINTERCARD 1 s
         SPOP nosuch 2
         SPOP s 0
         SRANDMEMBER s 0
         SRANDMEMBER nosuch 3
         MULTI
         HGETALL h
         ZSCORE z a
         GET nosuch
         EXEC
         WATCH k
         1> SET k changed
         MULTI
         PING
         EXEC",
    );
    for line in [
        "SMEMBERS s",
        "SMEMBERS nosuch",
        "SINTER s",
        "SUNION s nosuch",
        "SDIFF s nosuch",
        "KEYS *",
    ] {
        d.check_unordered(0, line);
    }
    d.script("SADD big 1 2 3 4 5\nSPOP big 5\nEXISTS big");
}

/// `EVAL <script> 0` on client 0 of both sides.
fn eval(d: &mut Differential, script: &str) {
    d.check_argv(
        0,
        &[b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()],
        common::Order::Exact,
    );
}

const SCRIPTS: &[&str] = &[
    "return redis.call('hgetall','h')",
    "redis.setresp(3) return redis.call('hgetall','h')",
    "redis.setresp(3) local t = redis.call('hgetall','h') return {type(t.map), t.map.a}",
    "redis.setresp(3) return redis.call('zscore','z','a')",
    "redis.setresp(3) local t = redis.call('zscore','z','a') return {type(t), t.double}",
    "redis.setresp(3) return redis.call('smembers','one')",
    "redis.setresp(3) local t = redis.call('smembers','one') return t.set.x",
    "redis.setresp(3) return redis.call('get','nosuch')",
    "redis.setresp(3) return {redis.call('get','nosuch') == nil}",
    "return {redis.call('get','nosuch') == false}",
    "redis.setresp(3) return redis.call('zmscore','z','a','q')",
    "redis.setresp(3) return redis.call('zrange','z',0,-1,'withscores')",
    "redis.setresp(2) return redis.call('zrange','z',0,-1,'withscores')",
    "redis.setresp(3) return true",
    "redis.setresp(3) return false",
    "redis.setresp(3) return {true, false}",
    "return {true, false}",
    "return true",
    "return false",
    "redis.setresp(3) return {big_number='123'}",
    "return {big_number='1\\r\\n2'}",
    "return {verbatim_string={format='txt', string='hi'}}",
    "return {verbatim_string={format='t', string='hi'}}",
    "return {verbatim_string={format='markdown', string='x'}}",
    "return {verbatim_string={format=1, string='x'}}",
    "redis.setresp(3) return {map={a=1}}",
    "return {map={a=1}}",
    "return {map={}}",
    "return {set={a=true}}",
    "return {set={}}",
    "return {double=1.5}",
    "return {double=1/0}",
    "return {double=-1/0}",
    "return {double=0/0}",
    "return {double='1.5'}",
    "return {double=3, err='wins'}",
    "return {ok='first', double=3}",
    "return {map={x={double=2.5}}}",
    "redis.setresp(4)",
    "redis.setresp()",
    "redis.setresp('3') return redis.call('get','nosuch')",
    "redis.setresp(2.9) return redis.call('get','nosuch')",
    "redis.setresp(3, 4)",
    "redis.setresp(3) return redis.pcall('incr','h')",
    "redis.setresp(3) return redis.call('ping')",
    "redis.setresp(3) return redis.call('lcs','k','k','idx')",
    "redis.setresp(3) redis.setresp(2) return redis.call('hgetall','h')",
];

#[test]
fn script_conversions_after_setresp_like_redis_for_resp2_clients() {
    let mut d = differential!(1);
    d.script("HSET h a 1\nSADD one x\nZADD z 1.5 a 2 b\nSET k v");
    for script in SCRIPTS {
        eval(&mut d, script);
    }
}

#[test]
fn script_conversions_after_setresp_like_redis_for_resp3_clients() {
    let mut d = differential!(1);
    d.use_resp3();
    d.script("HSET h a 1\nSADD one x\nZADD z 1.5 a 2 b\nSET k v");
    for script in SCRIPTS {
        eval(&mut d, script);
    }
}

#[cfg(feature = "lua")]
#[test]
fn functions_reply_in_resp3_like_redis() {
    let mut d = differential!(1);
    d.use_resp3();
    d.script("FUNCTION FLUSH");
    d.check_argv(
        0,
        &[
            b"FUNCTION".to_vec(),
            b"LOAD".to_vec(),
            b"#!lua name=r3\nredis.register_function{function_name='f', callback=function(keys) redis.setresp(3) return redis.call('hgetall', keys[1]) end, flags={'no-writes'}}".to_vec(),
        ],
        common::Order::Exact,
    );
    d.script("HSET h a 1\nFCALL f 1 h\nFCALL_RO f 1 h\nFUNCTION LIST\nFUNCTION STATS\nFUNCTION LIST WITHCODE");
}
