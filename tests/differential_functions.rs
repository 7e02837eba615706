//! Redis Functions against a real redis-server: FUNCTION LOAD's every error, the load-time
//! environment, FCALL/FCALL_RO, FUNCTION LIST/DELETE/FLUSH/STATS/DUMP/RESTORE.
#![cfg(feature = "lua")]

mod common;

use common::{Differential, Order, Resp};

fn argv(parts: &[&[u8]]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.to_vec()).collect()
}

/// `FUNCTION LOAD [REPLACE] <code>` on both sides.
fn load(d: &mut Differential, code: &str) {
    d.check_argv(0, &argv(&[b"FUNCTION", b"LOAD", code.as_bytes()]), Order::Exact);
}

fn load_replace(d: &mut Differential, code: &str) {
    d.check_argv(
        0,
        &argv(&[b"FUNCTION", b"LOAD", b"REPLACE", code.as_bytes()]),
        Order::Exact,
    );
}

/// FUNCTION LIST's reply with its libraries and each library's functions sorted: Redis lists both
/// in its hash tables' order, which changes from run to run.
fn canonical_list(raw: &[u8]) -> Resp {
    let Resp::Array(Some(mut libraries)) = common::parse(raw) else {
        return common::parse(raw);
    };
    for library in &mut libraries {
        if let Resp::Array(Some(fields)) = library {
            for pair in fields.chunks_mut(2) {
                if let [Resp::Bulk(Some(key)), Resp::Array(Some(functions))] = pair
                    && key == b"functions"
                {
                    functions.sort();
                }
            }
        }
    }
    libraries.sort();
    Resp::Array(Some(libraries))
}

/// Runs a FUNCTION LIST line on both sides and compares the replies as [`canonical_list`] does.
fn check_list(d: &mut Differential, line: &str) {
    let (r, e) = d.both(0, &common::words(line));
    assert_eq!(
        canonical_list(&r),
        canonical_list(&e),
        "{line}\n{}",
        d.transcript.join("\n")
    );
}

/// A library `lib` with one function `f` whose body is `body`.
fn library(body: &str) -> String {
    format!("#!lua name=lib\nredis.register_function('f', function(keys, args)\n{body}\nend)")
}

#[test]
fn function_load_errors_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    load(
        &mut d,
        "#!lua name=mylib\nredis.register_function('myfunc', function() return 1 end)",
    );
    for code in [
        "return 1",
        "",
        "#!lua",
        "#!lua name=x",
        "#!lua name=a name=b\n",
        "#!lua\n",
        "#!lua foo=bar\n",
        "#!lua name=a foo\n",
        "#!js name=x\n",
        "#!LUA name=xx\nreturn 1",
        "#!lua name=a-b\n",
        "#!lua name=\n",
        "#!lua name=\"quoted lib\"\n",
        "#!lua name=\"unbalanced\n",
        "#!lua name=\"a\"b\n",
        "#!lua name=mylib\nredis.register_function('other', function() return 1 end)",
        "#!lua name=zz\nredis.register_function('myfunc', function() return 1 end)",
        "#!lua name=zz\nredis.register_function('MYFUNC', function() return 1 end)",
        "#!lua name=zz\nreturn 1",
        "#!lua name=zz\nlocal x = ",
        "#!lua name=zz\nredis.register_function('a-b', function() return 1 end)",
        "#!lua name=zz\nredis.register_function('', function() return 1 end)",
        "#!lua name=zz\nredis.register_function('q', 1)",
        "#!lua name=zz\nredis.register_function()",
        "#!lua name=zz\nredis.register_function('a', function() end, 3)",
        "#!lua name=zz\nredis.register_function('a')",
        "#!lua name=zz\nredis.register_function({})",
        "#!lua name=zz\nredis.register_function({function_name='a'})",
        "#!lua name=zz\nredis.register_function({callback=function() end})",
        "#!lua name=zz\nredis.register_function({function_name='a', callback=function() end, flags='x'})",
        "#!lua name=zz\nredis.register_function({function_name='a', callback=function() end, flags={'bad'}})",
        "#!lua name=zz\nredis.register_function({function_name='a', callback=function() end, flags={1}})",
        "#!lua name=zz\nredis.register_function({function_name='a', callback=function() end, foo=1})",
        "#!lua name=zz\nredis.register_function({function_name='a', callback=function() end, [1]=1})",
        "#!lua name=zz\nredis.register_function({function_name='a', callback=function() end, [true]=1})",
        "#!lua name=zz\nredis.register_function({function_name={}, callback=function() end})",
        "#!lua name=zz\nredis.register_function({function_name='a', callback=1})",
        "#!lua name=zz\nredis.register_function({function_name='a', description={}, callback=function() end})",
        "#!lua name=zz\nredis.register_function('a', function() end)\nredis.register_function('a', function() end)",
        "#!lua name=zz\nerror('x')",
        "#!lua name=zz\nlocal t = nil\nt.x = 1",
        "#!lua name=zz\nredis.register_function('a', function() end)\nredis.call('ping')",
        "#!lua name=zz\nreturn redis.LOG_WARNING, redis.REDIS_VERSION, redis.foo",
        "#!lua name=zz\nlocal s = string.len('a')",
        "#!lua name=zz\nlocal s = cjson.encode({})",
        "#!lua name=zz\nlocal r = redis.setresp",
        "#!lua name=zz\nredis.foo = 1",
        "#!lua name=zz\nx = 1",
        "#!lua name=zz\nlocal r = redis\nr.register_function = 1",
        "#!lua name=zz\nredis.register_function('a', function() end)\nredis.log(1)",
        "#!lua name=zz\nredis.register_function('a', function() end)\nredis.log(redis.LOG_DEBUG, 'loading')",
        "#!lua name=zz\nredis.register_function('a', function() end)\nlocal t = {} t.x = 1 return t",
    ] {
        load(&mut d, code);
        d.script("FUNCTION DELETE zz");
    }
    // Options and arity.
    d.script(
        "FUNCTION LOAD
         FUNCTION LOAD foo bar
         FUNCTION LOAD replace
         FUNCTION DELETE
         FUNCTION DELETE a b
         FUNCTION DELETE MYLIB
         FUNCTION DELETE nosuch",
    );
}

#[test]
fn registered_functions_load_in_every_form_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    for code in [
        "#!lua name=zz\nredis.register_function(1, function() return 1 end)",
        "#!lua name=zz\nredis.register_function({function_name=1, callback=function() return 1 end})",
        "#!lua name=zz\nredis.register_function({function_name='a', description=1, callback=function() return 1 end})",
        "#!lua name=zz\nredis.register_function{function_name='a', callback=function() return 1 end, \
         flags={'allow-cross-slot-keys','NO-WRITES','allow-oom','no-cluster','allow-stale'}}",
        "#!lua name=zz\nredis.register_function{function_name='a', description='says hi', callback=function() return 1 end}",
        "#!LUA   NAME=zz   \nredis.register_function('a', function() return 1 end)",
    ] {
        load(&mut d, code);
        check_list(&mut d, "FUNCTION LIST");
        check_list(&mut d, "FUNCTION LIST WITHCODE");
        d.script("FUNCTION STATS\nFUNCTION DELETE zz");
    }
}

#[test]
fn a_library_that_loops_at_load_time_is_stopped_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    load(
        &mut d,
        "#!lua name=zz\nredis.register_function('a', function() end)\nwhile true do end",
    );
    d.script("FUNCTION LIST\nFCALL a 0");
}

#[test]
fn fcall_runs_functions_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH\nSET n 5");
    for (body, calls) in [
        (
            "return {keys[1], args[1], #keys, #args}",
            &["FCALL f 1 k v w", "FCALL f 0", "fcall F 2 a b"][..],
        ),
        ("return KEYS", &["FCALL f 0"]),
        ("return ARGV", &["FCALL f 0"]),
        ("return redis.register_function", &["FCALL f 0"]),
        ("error('boom')", &["FCALL f 0"]),
        ("error({err='MY own'})", &["FCALL f 0"]),
        ("return redis.call('nosuch')", &["FCALL f 0"]),
        (
            "return redis.pcall('incr', keys[1])",
            &["FCALL f 1 n", "FCALL f 1 missing"],
        ),
        (
            "redis.call('set', keys[1], 'x')\nreturn redis.call('incr', keys[1])",
            &["FCALL f 1 w", "GET w"],
        ),
        ("return redis.call('fcall', 'f', 0)", &["FCALL f 0"]),
        ("return redis.call('function', 'list')", &["FCALL f 0"]),
        ("return redis.call('eval', 'return 1', 0)", &["FCALL f 0"]),
        ("return redis.setresp(2)", &["FCALL f 0"]),
        (
            "return {math.floor(3.7), string.rep('a', 3), table.concat({1,2}, ',')}",
            &["FCALL f 0"],
        ),
        ("return redis.sha1hex('')", &["FCALL f 0"]),
        ("return redis.status_reply('FINE')", &["FCALL f 0"]),
        ("x = 1", &["FCALL f 0"]),
        ("local t = redis\nt.call = 1", &["FCALL f 0"]),
        ("return tostring(redis.foo)", &["FCALL f 0"]),
        ("return {pcall(error, 'e')}", &["FCALL f 0"]),
        ("return {select('#', ...)}", &["FCALL f 0", "FCALL f 1 k a b"]),
        (
            "return {cjson.encode(args), cmsgpack.pack(keys), bit.bor(1, 2), struct.pack('>I2', 258)}",
            &["FCALL f 1 k a b"],
        ),
    ] {
        load_replace(&mut d, &library(body));
        for call in calls {
            d.check(0, call);
        }
    }
    // numkeys and lookup errors, in Redis's order.
    d.script(
        "FCALL f x
         FCALL f -1
         FCALL f 3 a b
         FCALL nosuch x
         FCALL nosuch 0
         FCALL f
         FCALL",
    );
}

#[test]
fn library_state_and_flags_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    load(
        &mut d,
        "#!lua name=counter
         local calls = 0
         local function bump(keys, args)
           calls = calls + 1
           return calls
         end
         redis.register_function('bump', bump)
         redis.register_function{function_name='peek', callback=function() return calls end, flags={'no-writes'}}
         redis.register_function{function_name='setter', callback=function(keys) return redis.call('set', keys[1], 'v') end, flags={'no-writes'}}
         redis.register_function('writer', function(keys) return redis.call('set', keys[1], 'v') end)",
    );
    d.script(
        "FCALL bump 0
         FCALL bump 0
         FCALL_RO peek 0
         FCALL_RO bump 0
         FCALL setter 1 k
         FCALL_RO setter 1 k
         FCALL_RO writer 1 k
         FCALL writer 1 k
         GET k",
    );
    check_list(&mut d, "FUNCTION LIST");
}

#[test]
fn register_function_outside_function_load_fails_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    load(
        &mut d,
        "#!lua name=sneaky
         local register = redis.register_function
         register('late', function() return register('later', function() end) end)
         register('plog', function() return redis.pcall('nosuch') end)",
    );
    d.script("FCALL late 0\nFCALL later 0\nFCALL plog 0");
}

#[test]
fn function_list_filters_and_errors_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    for name in ["alpha", "Beta", "gamma_1"] {
        load(
            &mut d,
            &format!("#!lua name={name}\nredis.register_function('f_{name}', function() return 1 end)"),
        );
    }
    for line in [
        "FUNCTION LIST",
        "FUNCTION LIST WITHCODE",
        "FUNCTION LIST LIBRARYNAME *a*",
        "FUNCTION LIST libraryname BETA withcode",
        "FUNCTION LIST WITHCODE LIBRARYNAME g*",
        "FUNCTION LIST LIBRARYNAME [ab]*",
    ] {
        check_list(&mut d, line);
    }
    d.script(
        "FUNCTION LIST LIBRARYNAME
         FUNCTION LIST LIBRARYNAME a LIBRARYNAME b
         FUNCTION LIST WITHCODE WITHCODE
         FUNCTION LIST foo
         FUNCTION STATS
         FUNCTION DELETE Beta
         FUNCTION STATS
         FUNCTION KILL
         FUNCTION KILL x
         FUNCTION STATS x
         FUNCTION HELP
         FUNCTION NOSUCH
         FUNCTION
         FUNCTION FLUSH foo
         FUNCTION FLUSH async x
         FUNCTION FLUSH ASYNC
         FUNCTION LIST
         FUNCTION STATS
         FUNCTION FLUSH SYNC
         FUNCTION FLUSH",
    );
}

#[test]
fn function_load_replace_keeps_the_old_library_on_failure_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    load(
        &mut d,
        "#!lua name=lib\nredis.register_function('f', function() return 'old' end)",
    );
    load(
        &mut d,
        "#!lua name=other\nredis.register_function('g', function() return 'g' end)",
    );
    load_replace(&mut d, "#!lua name=lib\nreturn 1");
    d.script("FCALL f 0");
    load_replace(
        &mut d,
        "#!lua name=lib\nredis.register_function('g', function() return 'new' end)",
    );
    d.script("FCALL f 0\nFCALL g 0");
    load_replace(
        &mut d,
        "#!lua name=lib\nredis.register_function('h', function() return 'new' end)",
    );
    d.script("FCALL f 0\nFCALL h 0");
    d.check_argv(
        0,
        &argv(&[
            b"FUNCTION",
            b"LOAD",
            b"replace",
            b"REPLACE",
            b"#!lua name=lib\nredis.register_function('h', function() return 2 end)",
        ]),
        Order::Exact,
    );
    d.script("FCALL h 0");
}

#[test]
fn functions_in_transactions_and_scripts_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    d.script("MULTI");
    d.check_argv(
        0,
        &argv(&[
            b"FUNCTION",
            b"LOAD",
            b"#!lua name=m\nredis.register_function('mm', function(k) return redis.call('incr', k[1]) end)",
        ]),
        Order::Exact,
    );
    d.script(
        "FCALL mm 1 n
         FCALL mm 1 n
         FUNCTION LIST LIBRARYNAME m
         EXEC
         SET s x
         MULTI
         FCALL mm 1 s
         FCALL mm 1 n
         EXEC
         MULTI
         FCALL mm
         EXEC",
    );
    for script in [
        "return redis.call('fcall', 'mm', 1, 'n')",
        "return redis.pcall('function', 'list')",
        "return redis.pcall('function', 'flush')",
    ] {
        d.check_argv(0, &argv(&[b"EVAL", script.as_bytes(), b"0"]), Order::Exact);
    }
    // SCRIPT FLUSH does not touch functions; FUNCTION FLUSH does not touch scripts.
    d.script(
        "SCRIPT LOAD \"return 7\"
         SCRIPT FLUSH
         FCALL mm 1 n
         SCRIPT LOAD \"return 7\"
         FUNCTION FLUSH
         EVALSHA 1b936e3fe509bcbc9cd0664897bbe8fd0cac101b 0",
    );
}

#[test]
fn function_dump_and_restore_like_redis() {
    let mut d = differential!(1);
    d.script("FUNCTION FLUSH");
    let libs = [
        "#!lua name=one\nredis.register_function('f1', function() return 'one one one one one one one' end)",
        "#!lua name=two\nredis.register_function{function_name='f2', description='second', callback=function() return 2 end, flags={'no-writes'}}",
    ];
    for lib in libs {
        load(&mut d, lib);
    }
    let dump = argv(&[b"FUNCTION", b"DUMP"]);
    let (from_redis, from_embedis) = d.both(0, &dump);
    let bulk = |raw: &[u8]| match common::parse(raw) {
        common::Resp::Bulk(Some(b)) => b,
        other => panic!("FUNCTION DUMP answered {other:?}"),
    };
    let (from_redis, from_embedis) = (bulk(&from_redis), bulk(&from_embedis));
    // Each side restores the other's payload (Redis's is LZF-compressed, embedis's is not).
    let restore = |payload: &[u8], policy: &[u8]| {
        let mut a = argv(&[b"FUNCTION", b"RESTORE", payload]);
        if !policy.is_empty() {
            a.push(policy.to_vec());
        }
        a
    };
    for policy in [&b""[..], b"APPEND", b"replace", b"FLUSH", b"bogus"] {
        let (r, e) = d.each(0, &restore(&from_embedis, policy), &restore(&from_redis, policy));
        common::assert_same_bytes(&e, &r, format!("policy {policy:?}"));
        check_list(&mut d, "FUNCTION LIST WITHCODE");
    }
    d.script("FUNCTION FLUSH");
    let (r, e) = d.each(0, &restore(&from_embedis, b""), &restore(&from_redis, b""));
    assert_eq!(r, e);
    check_list(&mut d, "FUNCTION LIST WITHCODE");
    d.script("FCALL f1 0\nFCALL_RO f2 0");
    // A function of another library collides.
    d.script("FUNCTION DELETE one");
    load(
        &mut d,
        "#!lua name=third\nredis.register_function('f1', function() return 3 end)",
    );
    let (r, e) = d.each(
        0,
        &restore(&from_embedis, b"REPLACE"),
        &restore(&from_redis, b"REPLACE"),
    );
    common::assert_same_bytes(&e, &r, "RESTORE REPLACE onto a colliding function");
    check_list(&mut d, "FUNCTION LIST WITHCODE");
    // Damaged payloads and bad arguments.
    for payload in [
        &from_redis[..from_redis.len() - 1],
        &from_redis[..9],
        b"",
        b"\n\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    ] {
        d.check_argv(0, &restore(payload, b""), Order::Exact);
    }
    let doubled = [from_redis.clone(), from_redis.clone()].concat();
    let (r, e) = d.each(0, &restore(&doubled, b""), &restore(&doubled, b""));
    common::assert_same_bytes(&e, &r, "RESTORE of a doubled payload");
    d.script(
        "FUNCTION RESTORE
         FUNCTION RESTORE x
         FUNCTION RESTORE x foo
         FUNCTION RESTORE x append y
         FUNCTION RESTORE x flush",
    );
    // An empty payload with FLUSH empties the libraries.
    d.script("FUNCTION FLUSH");
    let (r, e) = d.both(0, &dump);
    assert_eq!(r, e, "the empty payload is the same bytes");
    let empty = bulk(&r);
    load(&mut d, libs[0]);
    d.check_argv(0, &restore(&empty, b"FLUSH"), Order::Exact);
    d.script("FUNCTION LIST");
}
