//! Scripts that misbehave get Redis error replies; the store stays usable.
#![cfg(feature = "lua")]

use embedis::{Reply, Store};

fn eval(store: &Store, script: &str) -> Reply {
    store.connect().call(["EVAL", script, "0"])
}

fn is_error_containing(reply: &Reply, text: &str) -> bool {
    matches!(reply, Reply::Error(e) if e.to_string().contains(text))
}

#[test]
fn deep_recursion_is_an_error_reply() {
    let store = Store::new();
    let reply = eval(&store, "local function f(n) return 1 + f(n + 1) end return f(1)");
    assert!(is_error_containing(&reply, "stack overflow"), "{reply:?}");
    assert_eq!(eval(&store, "return 1"), Reply::Integer(1));
}

#[test]
fn a_table_containing_itself_is_refused_not_followed_for_ever() {
    let store = Store::new();
    let reply = eval(&store, "local t = {} t[1] = t return t");
    let mut depth = 0;
    let mut current = &reply;
    while let Reply::Array(items) = current {
        depth += 1;
        current = &items[0];
    }
    assert!(depth > 100, "the nesting is cut off deep down");
    assert!(is_error_containing(current, "reached lua stack limit"), "{current:?}");
}

#[test]
fn large_return_values_come_back_whole() {
    let store = Store::new();
    let reply = eval(&store, "local t = {} for i = 1, 100000 do t[i] = i end return t");
    match reply {
        Reply::Array(items) => {
            assert_eq!(items.len(), 100_000);
            assert_eq!(items[99_999], Reply::Integer(100_000));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn error_objects_of_any_type_become_error_replies() {
    let store = Store::new();
    for script in [
        "error(true)",
        "error(function() end)",
        "error({})",
        "error({err = 5})",
        "error(setmetatable({}, {__tostring = function() return 'custom' end}))",
        "error(coroutine.create(function() end))",
        "local x = nil; return x.field",
        "return #nil",
        "return ('x'):rep(-1) .. nil",
    ] {
        let reply = eval(&store, script);
        assert!(reply.is_error(), "{script} gave {reply:?}");
    }
    assert_eq!(eval(&store, "return redis.call('ping')"), Reply::Status("PONG".into()));
}

#[test]
fn writes_before_an_error_are_kept() {
    let store = Store::new();
    let reply = eval(&store, "redis.call('set', 'a', 1); redis.call('lpush', 'a', 'x')");
    assert!(reply.is_error());
    assert_eq!(store.connect().call(["GET", "a"]), Reply::Bulk(b"1".to_vec()));
}

#[test]
fn scripts_see_time_frozen_and_keys_expiring_with_the_manual_clock() {
    use std::time::Duration;
    let clock = embedis::Clock::manual();
    let store = Store::with_clock(clock.clone());
    let mut conn = store.connect();
    conn.call(["SET", "k", "v", "PX", "100"]);
    clock.advance(Duration::from_millis(101));
    assert_eq!(
        conn.call(["EVAL", "return redis.call('exists', 'k')", "0"]),
        Reply::Integer(0)
    );
    let reply = conn.call([
        "EVAL",
        "local a = redis.call('time') local b = redis.call('time') return a[2] == b[2]",
        "0",
    ]);
    assert_eq!(reply, Reply::Integer(1));
}

#[test]
fn script_flush_resets_the_vm() {
    let store = Store::new();
    let mut conn = store.connect();
    let sha = match conn.call(["SCRIPT", "LOAD", "return 1"]) {
        Reply::Bulk(sha) => sha,
        other => panic!("{other:?}"),
    };
    conn.call(["SCRIPT", "FLUSH"]);
    assert!(is_error_containing(&conn.call(("EVALSHA", sha, 0)), "NOSCRIPT"));
    assert_eq!(eval(&store, "return 2"), Reply::Integer(2));
}

fn load(store: &Store, code: &str) -> Reply {
    store.connect().call(["FUNCTION", "LOAD", "REPLACE", code])
}

#[test]
fn misbehaving_functions_get_error_replies() {
    let store = Store::new();
    let code = "#!lua name=bad
        redis.register_function('deep', function() local function f(n) return 1 + f(n + 1) end return f(1) end)
        redis.register_function('cycle', function() local t = {} t[1] = t return t end)
        redis.register_function('big', function() local t = {} for i = 1, 100000 do t[i] = i end return t end)
        redis.register_function('odd', function(keys, args) error(setmetatable({}, {__tostring = function() return 'odd' end})) end)
        redis.register_function('write_then_fail', function(keys) redis.call('set', keys[1], 'kept') error('late') end)";
    assert_eq!(load(&store, code), Reply::Bulk(b"bad".to_vec()));
    let mut conn = store.connect();
    assert!(is_error_containing(
        &conn.call(["FCALL", "deep", "0"]),
        "stack overflow"
    ));
    assert!(matches!(conn.call(["FCALL", "cycle", "0"]), Reply::Array(_)));
    match conn.call(["FCALL", "big", "0"]) {
        Reply::Array(items) => assert_eq!(items.len(), 100_000),
        other => panic!("{other:?}"),
    }
    assert!(conn.call(["FCALL", "odd", "0"]).is_error());
    assert!(is_error_containing(
        &conn.call(["FCALL", "write_then_fail", "1", "k"]),
        "late"
    ));
    assert_eq!(conn.call(["GET", "k"]), Reply::Bulk(b"kept".to_vec()));
    assert_eq!(conn.call(["PING"]), Reply::Status("PONG".into()));
}

#[test]
fn a_library_cannot_register_the_same_name_in_two_cases() {
    // Redis 7.0 accepts `f` and `F` in one library, then crashes on FUNCTION DELETE of that
    // library; embedis refuses the second name, as FCALL could never tell them apart.
    let store = Store::new();
    let reply = load(
        &store,
        "#!lua name=twice\nredis.register_function('f', function() return 1 end)\nredis.register_function('F', function() return 2 end)",
    );
    assert_eq!(
        reply.to_resp(),
        b"-ERR Error registering functions: ERR Function already exists in the library\r\n"
    );
}

#[test]
fn functions_survive_script_flush_and_libraries_keep_their_state() {
    let store = Store::new();
    load(
        &store,
        "#!lua name=count\nlocal n = 0\nredis.register_function('next', function() n = n + 1 return n end)",
    );
    let mut conn = store.connect();
    assert_eq!(conn.call(["FCALL", "next", "0"]), Reply::Integer(1));
    conn.call(["SCRIPT", "FLUSH"]);
    assert_eq!(conn.call(["FCALL", "next", "0"]), Reply::Integer(2));
    // Reloading the library starts its state afresh.
    load(
        &store,
        "#!lua name=count\nlocal n = 10\nredis.register_function('next', function() n = n + 1 return n end)",
    );
    assert_eq!(conn.call(["FCALL", "next", "0"]), Reply::Integer(11));
}

#[test]
fn tables_nesting_through_map_and_set_fields_are_cut_off_too() {
    let store = Store::new();
    for script in [
        "local t = {} t.map = {x = t} return t",
        "local t = {} t.set = {} t.set[t] = true return t",
        "local t = {} t[1] = {map = {a = t}} return t",
    ] {
        // Walk down without recursing: the reply nests a thousand levels deep.
        let reply = eval(&store, script);
        let mut current = &reply;
        loop {
            current = match current {
                Reply::Array(items) | Reply::Set(items) if !items.is_empty() => &items[items.len() - 1],
                Reply::Map(pairs) if !pairs.is_empty() => &pairs[pairs.len() - 1].1,
                _ => break,
            };
        }
        assert!(
            matches!(current, Reply::Error(e) if e.to_string() == "ERR reached lua stack limit"),
            "{script}"
        );
    }
    assert_eq!(eval(&store, "return 1"), Reply::Integer(1));
}
