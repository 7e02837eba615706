//! WATCH as optimistic locking, every touch rule of `docs/behaviour.md` §2.

mod common;

use std::time::Duration;

use embedis::{Clock, Commands, Connection, Reply, Store};

fn call(conn: &mut Connection, line: &str) -> Reply {
    conn.call(common::words(line))
}

/// WATCH k on `watcher`, then `action` on `actor`; answers whether EXEC found a conflict.
fn conflicts(setup: &str, action: &str, same_client: bool) -> bool {
    let store = Store::new();
    let mut watcher = store.connect();
    let mut actor = store.connect();
    for line in setup.lines().filter(|l| !l.trim().is_empty()) {
        call(&mut actor, line.trim());
    }
    call(&mut watcher, "WATCH k");
    let who = if same_client { &mut watcher } else { &mut actor };
    for line in action.lines().filter(|l| !l.trim().is_empty()) {
        call(who, line.trim());
    }
    call(&mut watcher, "MULTI");
    call(&mut watcher, "PING");
    match call(&mut watcher, "EXEC") {
        Reply::NilArray => true,
        Reply::Array(_) => false,
        other => panic!("unexpected EXEC reply {other:?}"),
    }
}

#[test]
fn exec_returns_nil_when_another_client_modifies_a_watched_key() {
    assert!(conflicts("SET k 1", "SET k 2", false));
}

#[test]
fn exec_returns_nil_when_the_watching_client_modifies_its_own_watched_key() {
    assert!(conflicts("SET k 1", "SET k 2", true));
}

#[test]
fn exec_runs_when_watched_keys_are_untouched() {
    assert!(!conflicts("SET k 1", "SET other 2\nGET k", false));
}

#[test]
fn same_value_set_touches() {
    assert!(conflicts("SET k v", "SET k v", false));
}

#[test]
fn del_of_a_missing_key_does_not_touch() {
    assert!(!conflicts("", "DEL k", false));
}

#[test]
fn failed_commands_do_not_touch() {
    assert!(!conflicts("RPUSH k a", "INCR k", false));
    assert!(!conflicts("SET k abc", "INCR k", false));
    assert!(!conflicts("SET k 9223372036854775807", "INCR k", false));
    assert!(!conflicts("SET k v", "SET k v EX abc", false));
}

#[test]
fn set_nx_or_xx_that_does_not_apply_does_not_touch() {
    assert!(!conflicts("SET k v", "SET k w NX", false));
    assert!(!conflicts("", "SET k w XX", false));
    assert!(!conflicts("SET k v", "SETNX k w", false));
    assert!(!conflicts("SET k 1", "MSETNX k 2 j 3", false));
}

#[test]
fn writes_that_change_nothing_visible_still_touch_where_redis_says_so() {
    assert!(conflicts("SET k 1", "INCRBY k 0", false));
    assert!(conflicts("SET k v", "APPEND k \"\"", false));
    assert!(conflicts("HSET k f v", "HSET k f v", false));
}

#[test]
fn no_op_writes_do_not_touch() {
    assert!(!conflicts("SET k v", "SETRANGE k 0 \"\"", false));
    assert!(!conflicts("SET k v", "PERSIST k", false));
    assert!(!conflicts("SET k v EX 100", "EXPIRE k 10 GT", false));
    assert!(!conflicts("HSET k f v", "HDEL k nofield", false));
    assert!(!conflicts("RPUSH k a", "LPOP k 0", false));
    assert!(!conflicts("SET k v", "RENAME k k", false));
    assert!(!conflicts("SET k v\nSET k2 v", "RENAMENX k2 k", false));
}

#[test]
fn expire_rename_move_copy_and_deletes_touch() {
    assert!(conflicts("SET k v", "EXPIRE k 100", false));
    assert!(conflicts("SET k v EX 100", "PERSIST k", false));
    assert!(conflicts("SET k v", "GETEX k EX 100", false));
    assert!(conflicts("SET k v", "GETDEL k", false));
    assert!(conflicts("SET k v", "RENAME k k2", false));
    assert!(conflicts("SET k2 v", "RENAME k2 k", false));
    assert!(conflicts("SET k v", "MOVE k 1", false));
    assert!(conflicts("SET k2 v", "COPY k2 k", false));
    assert!(conflicts("SET k v", "DEL k", false));
    assert!(conflicts("RPUSH k a", "LPOP k", false));
}

#[test]
fn flushdb_and_flushall_touch_watched_keys_that_exist() {
    assert!(conflicts("SET k v", "FLUSHDB", false));
    assert!(conflicts("SET k v", "FLUSHALL", false));
}

#[test]
fn flushdb_and_flushall_do_not_touch_watched_keys_that_do_not_exist() {
    assert!(!conflicts("SET other v", "FLUSHDB", false));
    assert!(!conflicts("SET other v", "FLUSHALL", false));
}

#[test]
fn swapdb_touches_watched_keys_present_on_either_side() {
    assert!(conflicts("SET k v", "SWAPDB 0 1", false));
    assert!(conflicts("SELECT 1\nSET k v\nSELECT 0", "SWAPDB 0 1", false));
    assert!(!conflicts("", "SWAPDB 0 1", false));
}

#[test]
fn watches_belong_to_the_database_they_were_made_in() {
    let store = Store::new();
    let mut c = store.connect();
    call(&mut c, "SELECT 5");
    call(&mut c, "WATCH x");
    call(&mut c, "SELECT 1");
    call(&mut c, "SET x 1");
    call(&mut c, "SELECT 5");
    call(&mut c, "MULTI");
    call(&mut c, "PING");
    assert!(matches!(call(&mut c, "EXEC"), Reply::Array(_)));
}

#[test]
fn exec_and_discard_unwatch_everything() {
    let store = Store::new();
    let mut c = store.connect();
    call(&mut c, "WATCH x");
    call(&mut c, "MULTI");
    call(&mut c, "EXEC");
    call(&mut c, "SET x 1");
    call(&mut c, "MULTI");
    assert!(matches!(call(&mut c, "EXEC"), Reply::Array(_)), "EXEC unwatched x");
    call(&mut c, "WATCH x");
    call(&mut c, "MULTI");
    call(&mut c, "DISCARD");
    call(&mut c, "SET x 2");
    call(&mut c, "MULTI");
    assert!(matches!(call(&mut c, "EXEC"), Reply::Array(_)), "DISCARD unwatched x");
}

#[test]
fn unwatch_forgets_a_conflict_already_seen() {
    let store = Store::new();
    let mut c = store.connect();
    call(&mut c, "WATCH x");
    call(&mut c, "SET x 1");
    assert_eq!(call(&mut c, "UNWATCH"), Reply::ok());
    call(&mut c, "MULTI");
    assert!(matches!(call(&mut c, "EXEC"), Reply::Array(_)));
}

#[test]
fn exec_returns_nil_when_a_watched_key_expires() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    let mut c = store.connect();
    call(&mut c, "SET k v PX 100");
    call(&mut c, "WATCH k");
    clock.advance(Duration::from_millis(101));
    call(&mut c, "MULTI");
    call(&mut c, "PING");
    assert_eq!(call(&mut c, "EXEC"), Reply::NilArray);
}

#[test]
fn exec_returns_nil_when_a_watched_key_expires_and_is_read() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    let mut c = store.connect();
    call(&mut c, "SET k 1 PX 100");
    call(&mut c, "WATCH k");
    clock.advance(Duration::from_millis(101));
    assert_eq!(call(&mut c, "GET k"), Reply::Nil);
    call(&mut c, "MULTI");
    call(&mut c, "INCR k");
    assert_eq!(call(&mut c, "EXEC"), Reply::NilArray);
}

/// Puts `x` in the store already expired but still stored: active expiry takes only twenty keys per
/// command, soonest first, so twenty keys expiring earlier keep `x` in place for one command.
fn store_with_stale_key() -> (Store, Clock) {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    let mut c = store.connect();
    for i in 0..40 {
        call(&mut c, &format!("SET filler{i} v PX {}", 10 + i));
    }
    call(&mut c, "SET x v PX 500");
    clock.advance(Duration::from_millis(1000));
    (store, clock)
}

#[test]
fn a_key_already_expired_when_watched_does_not_fail_exec() {
    let (store, _clock) = store_with_stale_key();
    let mut c = store.connect();
    call(&mut c, "WATCH x");
    call(&mut c, "MULTI");
    call(&mut c, "PING");
    assert!(matches!(call(&mut c, "EXEC"), Reply::Array(_)));
}

#[test]
fn a_stale_watched_key_deleted_later_does_not_fail_exec() {
    let (store, _clock) = store_with_stale_key();
    let mut c = store.connect();
    call(&mut c, "WATCH x");
    assert_eq!(call(&mut c, "EXISTS x"), Reply::Integer(0));
    call(&mut c, "FLUSHDB");
    call(&mut c, "MULTI");
    call(&mut c, "PING");
    assert!(matches!(call(&mut c, "EXEC"), Reply::Array(_)));
}

#[test]
fn a_stale_watched_key_created_again_fails_exec() {
    let (store, _clock) = store_with_stale_key();
    let mut c = store.connect();
    call(&mut c, "WATCH x");
    call(&mut c, "SET x new");
    call(&mut c, "MULTI");
    call(&mut c, "PING");
    assert_eq!(call(&mut c, "EXEC"), Reply::NilArray);
}

#[test]
fn typed_watch_returns_none_on_conflict_and_some_otherwise() {
    let store = Store::new();
    store.set("balance", 100).unwrap();
    let watch = store.watch("balance").unwrap();
    let balance: i64 = watch.get_as("balance").unwrap();
    store.set("balance", 90).unwrap();
    assert_eq!(watch.multi().set("balance", balance - 10).exec(), Ok(None));
    assert_eq!(store.get_as::<i64>("balance"), Ok(90));

    let watch = store.watch("balance").unwrap();
    let balance: i64 = watch.get_as("balance").unwrap();
    assert_eq!(
        watch.multi().set("balance", balance - 10).exec(),
        Ok(Some(vec![Ok(Reply::ok())]))
    );
    assert_eq!(store.get_as::<i64>("balance"), Ok(80));
}
