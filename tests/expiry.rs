//! TTLs, the manual clock, lazy and active expiry.

mod common;

use std::time::{Duration, UNIX_EPOCH};

use embedis::{Clock, Commands, Reply, Store};

#[test]
fn key_expires_when_the_manual_clock_passes_its_ttl() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    store.set_ex("k", "v", 10).unwrap();
    clock.advance(Duration::from_secs(10));
    assert_eq!(
        store.get("k").unwrap(),
        Some("v".into()),
        "expiry is strictly after the deadline"
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(store.get("k").unwrap(), None);
}

#[test]
fn ttl_and_pttl_read_the_manual_clock_exactly() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    store.set_px("k", "v", 10_000).unwrap();
    clock.advance(Duration::from_millis(2_400));
    assert_eq!(store.pttl("k").unwrap(), 7_600);
    assert_eq!(store.ttl("k").unwrap(), 8, "TTL rounds to the nearest second");
}

#[test]
fn setting_the_clock_backwards_extends_ttls() {
    let clock = Clock::manual();
    clock.set(UNIX_EPOCH + Duration::from_secs(2_000_000_000));
    let store = Store::with_clock(clock.clone());
    store.set_ex("k", "v", 10).unwrap();
    clock.set(UNIX_EPOCH + Duration::from_secs(1_999_999_990));
    assert_eq!(store.ttl("k").unwrap(), 20);
    assert_eq!(store.expiretime("k").unwrap(), 2_000_000_010);
}

#[test]
fn time_follows_the_manual_clock() {
    let clock = Clock::manual();
    clock.set(UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456));
    let store = Store::with_clock(clock);
    assert_eq!(store.time().unwrap(), (1_700_000_000, 123_456));
}

#[test]
fn expired_keys_are_removed_without_being_read() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    for i in 0..1000 {
        store.set_ex(format!("k{i}"), "v", 1).unwrap();
    }
    store.set("forever", "v").unwrap();
    clock.advance(Duration::from_secs(2));
    // Each command removes a slice of due keys; none of the expired keys is ever read.
    let mut commands = 0;
    while store.dbsize().unwrap() > 1 {
        commands += 1;
        assert!(commands < 100, "expired keys piled up");
    }
    assert_eq!(store.exists("forever").unwrap(), 1);
}

#[test]
fn expired_keys_are_removed_from_every_database() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    let mut c = store.connect();
    c.call(["SELECT", "7"]);
    c.call(["SET", "k", "v", "PX", "10"]);
    clock.advance(Duration::from_millis(11));
    store.ping().unwrap(); // a command on database 0
    assert_eq!(c.call(["DBSIZE"]), Reply::Integer(0));
}

#[test]
fn keys_expire_by_themselves_on_the_system_clock() {
    let store = Store::new();
    store.set_px("k", "v", 30).unwrap();
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(store.exists("k").unwrap(), 0);
}

#[test]
fn set_without_keepttl_clears_the_ttl_and_with_keepttl_keeps_it() {
    let store = Store::with_clock(Clock::manual());
    store.set_ex("k", "v", 100).unwrap();
    store.set_options("k", "w", "KEEPTTL").unwrap();
    assert_eq!(store.ttl("k").unwrap(), 100);
    store.set("k", "x").unwrap();
    assert_eq!(store.ttl("k").unwrap(), -1);
}

#[test]
fn incr_append_and_setrange_keep_the_ttl() {
    let store = Store::with_clock(Clock::manual());
    store.set_ex("n", 1, 100).unwrap();
    store.incr("n").unwrap();
    store.append("n", "0").unwrap();
    store.setrange("n", 0, "3").unwrap();
    store.incrbyfloat_as::<String>("n", "0.5").unwrap();
    assert_eq!(store.get_as::<String>("n").unwrap(), "30.5");
    assert_eq!(store.ttl("n").unwrap(), 100);
}

#[test]
fn expire_in_the_past_deletes_the_key() {
    let store = Store::new();
    store.set("k", "v").unwrap();
    assert!(store.expire("k", -1).unwrap());
    assert_eq!(store.exists("k").unwrap(), 0);
}

#[test]
#[should_panic(expected = "needs a manual clock")]
fn moving_the_system_clock_is_refused() {
    Clock::system().advance(Duration::from_secs(1));
}

#[test]
fn object_idletime_counts_seconds_since_the_last_access() {
    let clock = Clock::manual();
    clock.set(UNIX_EPOCH + Duration::from_secs(1_000));
    let store = Store::with_clock(clock.clone());
    store.set("k", "v").unwrap();
    clock.advance(Duration::from_secs(5));
    assert_eq!(store.cmd::<i64>(("OBJECT", "IDLETIME", "k")).unwrap(), 5);
    assert_eq!(
        store.key_type("k").unwrap(),
        "string",
        "TYPE does not count as an access"
    );
    assert_eq!(store.cmd::<i64>(("OBJECT", "IDLETIME", "k")).unwrap(), 5);
    // Nor do TTL and EXISTS (Redis looks them up without touching); TOUCH does.
    store.ttl("k").unwrap();
    assert_eq!(store.exists("k").unwrap(), 1);
    assert_eq!(store.cmd::<i64>(("OBJECT", "IDLETIME", "k")).unwrap(), 5);
    assert_eq!(store.touch("k").unwrap(), 1);
    assert_eq!(store.cmd::<i64>(("OBJECT", "IDLETIME", "k")).unwrap(), 0);
    clock.advance(Duration::from_secs(2));
    store.get_as::<String>("k").unwrap();
    assert_eq!(store.cmd::<i64>(("OBJECT", "IDLETIME", "k")).unwrap(), 0);
}
