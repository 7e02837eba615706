//! Lua scripting against a real redis-server: conversions, errors with their script positions,
//! read-only globals, the script cache.
#![cfg(feature = "lua")]

mod common;

/// Runs `EVAL <script> 0` on both sides.
fn eval(d: &mut common::Differential, script: &str) {
    d.check_argv(
        0,
        &[b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()],
        common::Order::Exact,
    );
}

#[test]
fn return_values_convert_like_redis() {
    let mut d = differential!(1);
    for script in [
        "return 1",
        "return 100.5",
        "return -3.7",
        "return true",
        "return false",
        "return nil",
        "return 'hi'",
        "return {1,2,3,'ciao',{1,2}}",
        "return {1,nil,3}",
        "return {ok='fine'}",
        "return {err='My Error'}",
        "return {err='x\\ny'}",
        "return {ok='a\\r\\nb'}",
        "return 9007199254740991",
        "return 1e30",
        "return math.huge",
        "return -math.huge",
        "return 0/0",
        "return {1.5, 2.9}",
        "return _G",
        "return {}",
        "return {err=1}",
        "return {ok=1}",
        "return function() end",
        "return coroutine.create(function() end)",
        "return {1, {2, {3, {4}}}}",
        "return 'a\\0b'",
        "return #KEYS",
        "return ARGV",
        "return KEYS[1]",
        "return type(loadstring)",
        "return _VERSION",
    ] {
        eval(&mut d, script);
    }
}

#[test]
fn redis_call_and_pcall_like_redis() {
    let mut d = differential!(1);
    d.script("SET k v\nRPUSH l a b");
    for script in [
        "return redis.call('set','k','v')",
        "return redis.call('get','k')",
        "return redis.call('get','missing')",
        "return redis.pcall('incr','k')",
        "return redis.call('incr','k')",
        "return redis.call('nosuch')",
        "return redis.call()",
        "return redis.pcall()",
        "return redis.call('set','a')",
        "return redis.pcall('get','k','x')",
        "return redis.call('multi')",
        "return redis.call('eval', 'return 1', 0)",
        "return redis.call('get', {})",
        "return redis.call('echo', true)",
        "return redis.call('echo', 1.5)",
        "return redis.call('echo', 100)",
        "return redis.call('echo', 1e20)",
        "return redis.call('echo', 3e-7)",
        "return redis.call('echo', 1e17)",
        "return redis.call('echo', -0.0)",
        "local t = redis.pcall('incr','k'); return t['err']",
        "return type(redis.pcall('nosuch'))",
        "return redis.call('ping')",
        "return redis.call('lrange','l',0,-1)",
        "return redis.call('llen','l')",
        "return redis.call('lpush','k','x')",
        "return redis.pcall('lpush','k','x')",
        "return pcall(function() redis.call('nosuch') end)",
        "return {pcall(function() redis.call('nosuch') end)}",
        "return {pcall(function() error('plain') end)}",
        "return redis.call('get', 'k') == 'v'",
        "return redis.call('exists', 'missing') == 0",
        "return redis.call('get', 'missing') == false",
        "redis.call('set','written','1'); return redis.call('incr','k')",
        "return redis.call('get','written')",
        "return redis.call('blpop','nolist',0)",
        // Redis 7.0 flags BLMPOP and BZMPOP neither `noscript` nor refuses them: they answer at once.
        "return redis.call('blmpop', 0, 1, 'nolist', 'left')",
        "return redis.call('blmpop', 0, 1, 'l', 'right', 'count', 5)",
        "return redis.call('bzmpop', 0, 1, 'nozset', 'min')",
        "return redis.call('lastsave') > 0",
        "return redis.call('script', 'help')[1]",
        "return redis.call('script', 'flush')",
        "return redis.call('bzpopmin', 'nozset', 0)",
        "return redis.call('select', 3)",
        "redis.call('select', 3); return redis.call('set', 'in3', 1)",
        // Deeply nested replies, and a status and an error inside an array.
        "return redis.call('command', 'docs', 'set')",
        "return redis.call('command', 'info', 'set')",
        "local t = redis.call('eval', 'return 1', 0) return t",
        "return {redis.pcall('set', 'k', 'v'), redis.pcall('nosuch')}",
        "return redis.pcall('set', 'k', 'v')['ok']",
        "return redis.call('exec')",
        // Arguments that fill Lua's stack leave room for the reply.
        "local a = {} for i=1,7999 do a[i] = 1 end return redis.call('lpush', 'massive', unpack(a))",
    ] {
        eval(&mut d, script);
    }
    d.check(0, "EXISTS in3");
    d.check(0, "EVAL \"return {KEYS[1],ARGV[1],#KEYS,#ARGV}\" 1 k1 a1 a2");
}

#[test]
fn errors_and_readonly_globals_like_redis() {
    let mut d = differential!(1);
    for script in [
        "return a",
        "a = 1",
        "redis.call = nil",
        "redis.x = 1",
        "string.foo = 1",
        "math = 1",
        "_G.x = 1",
        "error('boom')",
        "error({err='CUSTOM x'})",
        "error({err='CUSTOM x'}, 2)",
        "error()",
        "error(nil)",
        "error(42)",
        "return 1 +",
        "return redis.error_reply('MY_ERR custom msg')",
        "return redis.error_reply('oops')",
        "return redis.error_reply('-FOO bar')",
        "return redis.error_reply(1)",
        "return redis.error_reply()",
        "return redis.status_reply('FINE')",
        "return redis.status_reply()",
        "return redis.sha1hex('')",
        "return redis.sha1hex('abc')",
        "return redis.sha1hex()",
        "return redis.REDIS_VERSION",
        "return print",
        "return os",
        "return dofile",
        "return setfenv",
        "return require",
        "return type(pcall)",
        "local x = 1\nlocal y = 2\nreturn redis.call('nosuch')",
        "local x = 1\n\nerror('line three')",
        "return redis.status_reply('a\\nb')",
        // Redis copies an error or status text as a C string: it ends at a NUL.
        "return redis.status_reply('ok\\0z')",
        "return {ok='x\\ny\\0q'}",
        "return {err='E\\0z'}",
        "return redis.error_reply('\\0z')",
        "error({err='a\\0z'})",
        "error('a\\0z')",
        "return 'bulk\\0kept'",
        "return tostring(nil)",
        "return string.rep('x', 3)",
        "return table.concat({1,2,3}, ',')",
        "return math.floor(3.7)",
        "return select('#', 1, 2)",
        "return unpack({1,2})",
        "return tonumber('0x10')",
        "return string.format('%d', 5)",
    ] {
        eval(&mut d, script);
    }
}

/// What Redis's own Lua enforces: read-only globals, libraries and string metatable through
/// every way in (`rawset`, `setmetatable`, `getmetatable`, `rawget`, `next`, `pairs`), and no
/// bytecode (`loadstring` and `load` read source text only) — with Redis's errors, and nothing
/// a script tried left behind for the next.
#[test]
fn the_sandbox_holds_like_redis() {
    let mut d = differential!(1);
    for script in [
        "rawset(_G, 'x', 1)",
        "return x",
        "rawset(redis, 'x', 1)",
        "return redis.x",
        "setmetatable(_G, {})",
        "setmetatable(redis, {})",
        "setmetatable(string, nil)",
        "local g = getmetatable(_G); g.__index = {}",
        "return type(rawget(getmetatable(_G), '__index'))",
        "return type(getmetatable(getmetatable(_G)))",
        "return getmetatable(redis)",
        "return getmetatable(cjson)",
        "getmetatable('').__index = function() return 1 end",
        "getmetatable('').__index.upper = function() return 'changed' end",
        "local s = getmetatable('') rawset(s, 'x', 1)",
        "return getmetatable('').__index == string",
        "return ('abc'):upper()",
        "return getmetatable(nil)",
        "return getmetatable(1)",
        "return rawget(_G, 'redis') == redis",
        "return rawget(_G, 'nosuch')",
        "return rawget(string, 'rep') ~= nil",
        "local n = 0 for _ in pairs(redis) do n = n + 1 end return n > 5",
        "local n = 0 for _ in pairs(string) do n = n + 1 end return n",
        "return next(math) ~= nil",
        "local out = {} for k, v in pairs({a = 1, b = 2, c = 3, 7, 8}) do out[#out + 1] = k end return out",
        "local t = {x = 1} local f, s, k = pairs(t) return {type(f), s == t, k == nil, f(t)}",
        "local t = {} rawset(t, 'a', 1) return rawget(t, 'a')",
        "local t = setmetatable({}, {__metatable = 'locked'}) return getmetatable(t)",
        "local t = setmetatable({}, {__metatable = 'locked'}) setmetatable(t, {})",
        "setmetatable(1, {})",
        "setmetatable({}, 1)",
        "rawget(1)",
        "rawset({}, 1)",
        "getmetatable()",
        "next(1)",
        "pairs(nil)",
        "return loadstring(string.dump(function() return 1 end))()",
        "return select(2, loadstring(string.dump(function() return 1 end)))",
        "return select(2, loadstring('\\27abc'))",
        "return loadstring('return 7')()",
        "return select(2, loadstring('return +', 'chunk'))",
        "loadstring()",
        "local parts = {'return ', '9'} local i = 0 return load(function() i = i + 1 return parts[i] end)()",
        "local dumped = string.dump(function() return 1 end) local done = false \
         return select(2, load(function() if done then return nil end done = true return dumped end))",
        "return type(load(function() return nil end))",
        "return select(2, load(function() return {} end))",
        "load('x')",
    ] {
        eval(&mut d, script);
    }
}

#[test]
fn script_cache_like_redis() {
    let mut d = differential!(1);
    d.script(
        r#"
        SET k v
        EVAL "return 1" -1
        EVAL "return 1" abc
        EVAL "return 1" 2 k
        EVAL "return 1"
        EVALSHA fd758d1589d044dd850a6f05d52f2eefd27f033f 1 k
        SCRIPT LOAD "return redis.call('get',KEYS[1])"
        EVALSHA fd758d1589d044dd850a6f05d52f2eefd27f033f 1 k
        EVALSHA FD758D1589D044DD850A6F05D52F2EEFD27F033F 1 k
        EVALSHA abc 0
        EVALSHA fd758d1589d044dd850a6f05d52f2eefd27f033f -1
        SCRIPT EXISTS fd758d1589d044dd850a6f05d52f2eefd27f033f FD758D1589D044DD850A6F05D52F2EEFD27F033F 0000
        SCRIPT LOAD "return 'loaded'"
        SCRIPT LOAD "return 1 +"
        SCRIPT FLUSH foo
        SCRIPT FLUSH
        SCRIPT EXISTS fd758d1589d044dd850a6f05d52f2eefd27f033f
        EVALSHA fd758d1589d044dd850a6f05d52f2eefd27f033f 1 k
        SCRIPT FLUSH ASYNC
        SCRIPT FLUSH SYNC
        SCRIPT KILL
        SCRIPT FOO
        SCRIPT
        SCRIPT LOAD
        SCRIPT HELP
        MULTI
        EVAL "return redis.call('incr', KEYS[1])" 1 counter
        EVAL "return redis.call('incr', KEYS[1])" 1 counter
        SCRIPT LOAD "return 2"
        EXEC
        EVAL "redis.call('set', 'a', 1); redis.call('incr', 'k'); redis.call('set', 'b', 2)" 0
        MGET a b
        "#,
    );
}

#[test]
fn read_only_scripts_and_shebangs_like_redis() {
    let mut d = differential!(1);
    d.script("SET x 1");
    for script in [
        "#!lua\nreturn 1",
        "#!lua flags=no-writes\nreturn redis.call('set','x','1')",
        "#!lua flags=no-writes\nreturn redis.pcall('set','x','1')",
        "#!lua flags=no-writes\nreturn redis.call('get','x')",
        "#!js\nreturn 1",
        "#!lua foo=bar\nreturn 1",
        "#!lua flags=bad\nreturn 1",
        "#!lua",
        "#!LUA\nreturn 2",
        "#!lua flags=no-writes,allow-oom\nreturn 3",
        "#!lua name=x\nreturn 1",
        "#!lua  flags=no-writes\nreturn 4",
        "#!lua flags=\nreturn 5",
        "#!lua\n\nerror('on line three')",
    ] {
        eval(&mut d, script);
    }
    for (command, script) in [
        ("EVAL_RO", "return redis.call('set','x','1')"),
        ("EVAL_RO", "return redis.pcall('set','x','1')"),
        ("EVAL_RO", "return redis.call('get','x')"),
        ("EVAL_RO", "#!lua\nreturn 1"),
        ("EVAL_RO", "#!lua flags=no-writes\nreturn 1"),
        ("EVAL", "return redis.pcall('eval_ro','return 1',0)"),
    ] {
        d.check_argv(
            0,
            &[command.as_bytes().to_vec(), script.as_bytes().to_vec(), b"0".to_vec()],
            common::Order::Exact,
        );
    }
    d.script(
        r#"
        EVALSHA_RO abc 0
        SCRIPT LOAD "return redis.call('incr', KEYS[1])"
        EVALSHA_RO 2bab3b661081db58bd2341920e0ba7cf5dc77b25 1 x
        EVALSHA 2bab3b661081db58bd2341920e0ba7cf5dc77b25 1 x
        "#,
    );
}

#[test]
fn math_random_draws_what_a_fresh_redis_draws() {
    let mut d = differential!(1);
    for script in [
        "return {math.random(1000), math.random(1000), tostring(math.random())}",
        "return {math.random(5, 10), math.random(-3, 3), math.random(1, 1)}",
        "math.randomseed(42); return {math.random(1000), math.random(1000)}",
        "return math.random(0)",
        "return math.random(3, 1)",
        "return math.random(1, 2, 3)",
        "return math.random('x')",
        "return math.random('7') <= 7",
        "math.randomseed(-1); return math.random(100)",
    ] {
        eval(&mut d, script);
    }
    d.script("SCRIPT FLUSH");
    eval(&mut d, "return math.random(1000000)");
}

#[test]
fn redis_log_checks_its_arguments_like_redis() {
    let mut d = differential!(1);
    for script in [
        "redis.log(redis.LOG_WARNING, 'hello', 1) return 1",
        "redis.log(redis.LOG_DEBUG, 'x') return redis.LOG_DEBUG",
        "redis.log(9, 'x')",
        "redis.log('x')",
        "redis.log(redis.LOG_NOTICE)",
        "redis.log('level', 'x')",
        "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
    ] {
        eval(&mut d, script);
    }
}

#[test]
fn redis_lua_libraries_like_redis() {
    let mut d = differential!(1);
    for script in [
        // cjson
        "return cjson.encode({1, 2, 3, 'four', {a = 1}})",
        "return cjson.encode({a = {b = {c = true}}, n = cjson.null})",
        "return cjson.encode({1.5, -0.1, 1e300, 3.14159265358979})",
        "return cjson.encode('quote\" backslash\\\\ slash/ \\n\\t\\1')",
        "return cjson.encode({[1] = 'a', [3] = 'c'})",
        "return cjson.encode({[1] = 'a', [100] = 'c'})",
        "return cjson.encode({})",
        "return cjson.encode(function() end)",
        "return cjson.encode(0/0)",
        "return cjson.encode(math.huge)",
        "local t = {} t[1] = t return cjson.encode(t)",
        "return cjson.decode('[1, 2.5, \"x\", true, null, {\"a\": [false]}]')[6].a[1] == false",
        "local v = cjson.decode('{\"a\": 1, \"b\": [1, 2, 3]}') return {v.a, v.b[3]}",
        "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')",
        "return cjson.decode('1e400')",
        "return cjson.decode('{\"a\": }')",
        "return cjson.decode('[1, 2')",
        "return cjson.decode('')",
        "return cjson.decode(string.rep('[', 2000) .. string.rep(']', 2000))",
        "return cjson.decode('nan')",
        "return cjson.decode('0x10')",
        "return type(cjson.decode('null'))",
        "return cjson.decode('null') == cjson.null",
        "return cjson.encode(cjson.decode('{\"k\": [1, {\"z\": null}]}'))",
        "return cjson.encode_max_depth()",
        "return {cjson.encode_sparse_array()}",
        "return cjson.encode_number_precision()",
        "return cjson.decode_invalid_numbers()",
        "cjson.encode = nil",
        "return cjson._NAME",
        "return cjson._VERSION",
        // cmsgpack
        "return cmsgpack.pack({1, 2, 3})",
        "return cmsgpack.pack({a = 1})",
        "return cmsgpack.pack(1, 'two', 3.5, true, nil)",
        "return cmsgpack.pack(-1, -200, 65536, 4294967296, -4294967296, 2^53)",
        "return cmsgpack.pack(string.rep('x', 40), string.rep('y', 300), string.rep('z', 70000))",
        "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}, {k = 'v'}))}",
        "return cmsgpack.unpack(cmsgpack.pack({k = 'v'})).k",
        "return {cmsgpack.unpack('\\147\\1\\2\\3')}",
        "return {cmsgpack.unpack('\\193')}",
        "return {cmsgpack.unpack('\\147\\1')}",
        "return {cmsgpack.unpack('')}",
        "return cmsgpack.unpack()",
        "return cmsgpack.pack()",
        "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2))}",
        "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}",
        "return cmsgpack.pack(function() end)",
        "local t = {} t[1] = t return cmsgpack.pack(t)",
        // bit
        "return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.bnot(0)}",
        "return {bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4)}",
        "return {bit.rol(1, 33), bit.ror(1, 1), bit.bswap(0x12345678)}",
        "return {bit.tobit(2^32 + 5), bit.tobit(-1), bit.tobit(1.5)}",
        "return {bit.tohex(255), bit.tohex(-1), bit.tohex(255, -4), bit.tohex(255, 2)}",
        "return bit.band()",
        "return bit.band('x')",
        "return bit.tobit('12')",
        // struct
        "return struct.pack('>I2', 258)",
        "return struct.pack('<i4', -2)",
        "return struct.pack('bBhHlL', 1, 2, 3, 4, 5, 6)",
        "return struct.pack('s', 'abc')",
        "return struct.pack('c5', 'ab')",
        "return {struct.unpack('>I2', '\\1\\2')}",
        "return {struct.unpack('<d', struct.pack('<d', 1.5))}",
        "return {struct.unpack('s', 'hi\\0rest')}",
        "return {struct.unpack('c0', struct.pack('B', 2) .. 'xyz')}",
        "return struct.size('>iIhd')",
        "return struct.pack('q', 1)",
        "return {struct.unpack('>I4', 'ab')}",
        "return struct.pack('i17', 1)",
        "return struct.pack('!3 b i', 1, 2)",
        "return {struct.unpack('>I2', '\\1\\2\\3\\4', 3)}",
        "return {struct.unpack('>I2', '\\1\\2', 10)}",
        "return struct.pack('i', 'x')",
        "struct.pack = nil",
    ] {
        eval(&mut d, script);
    }
}

/// `unpack` with Redis's range check: huge ranges are refused instead of crashing the VM.
#[test]
fn unpack_checks_its_range_like_redis() {
    let mut d = differential!(1);
    for script in [
        "return {unpack({1,2,3}, -2, 2147483647)}",
        "return {unpack({1,2,3}, 0, 2147483647)}",
        "return {unpack({1,2,3}, -2147483648, -2)}",
        "return {unpack({1,2,3}, 2147483646, 2147483647)}",
        "return {unpack({1,2,3}, -1, -2)}",
        "return {unpack({1,2,3}, 1, -1)}",
        "return {unpack({1,2,3})}",
        "return {unpack({1,2,3}, 2)}",
        "return {unpack({1,2,3}, 2, 5)}",
        "return unpack()",
        "return unpack('x')",
        "return select('#', unpack({1,2,3}, -1, 5))",
    ] {
        eval(&mut d, script);
    }
}
