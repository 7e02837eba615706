//! `Store::set_maxmemory` in a program without the counting allocator: the keyspace's own
//! estimate (the MEMORY USAGE of every key) is what the limit bounds.

use embedis::{Clock, CommandError, Commands, EvictionPolicy, Reply, Store};

/// The MEMORY USAGE of every key of database 0.
fn usage(store: &Store) -> u64 {
    let mut conn = store.connect();
    let keys = store.keys("*").unwrap();
    keys.iter()
        .map(|key| match conn.call(["MEMORY", "USAGE", key.as_str()]) {
            Reply::Integer(n) => n as u64,
            other => panic!("MEMORY USAGE answered {other:?}"),
        })
        .sum()
}

/// In process: the least recently used keys go first under `allkeys-lru` (every key sampled, so
/// the choice is exact), keys with a TTL only under `volatile-lru`, the soonest to expire first
/// under `volatile-ttl`; `noeviction` refuses writes.
#[test]
fn set_maxmemory_evicts_in_process() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    for i in 0..4 {
        store.set(format!("old:{i}"), "x".repeat(200)).unwrap();
    }
    clock.advance(std::time::Duration::from_secs(60));
    for i in 0..4 {
        store.set(format!("new:{i}"), "x".repeat(200)).unwrap();
    }
    let used = usage(&store);
    // Room for six of the eight keys.
    store.set_maxmemory(used * 6 / 8 + 1, EvictionPolicy::AllKeysLru);
    let left = store.keys("*").unwrap();
    assert!(left.iter().all(|k| k.starts_with("new:") || k.starts_with("old:")));
    assert_eq!(left.iter().filter(|k| k.starts_with("new:")).count(), 4, "{left:?}");
    assert!(left.len() < 8, "{left:?}");

    let store = Store::with_clock(clock.clone());
    store.set("keep", "x".repeat(200)).unwrap();
    store.set_ex("later", "x".repeat(200), 1000).unwrap();
    store.set_ex("sooner", "x".repeat(200), 10).unwrap();
    let used = usage(&store);
    store.set_maxmemory(used - 1, EvictionPolicy::VolatileTtl);
    assert_eq!(store.exists(["keep", "later", "sooner"]).unwrap(), 2);
    assert_eq!(store.exists("sooner").unwrap(), 0, "the soonest to expire went");

    store.set_maxmemory(1, EvictionPolicy::VolatileLru);
    assert_eq!(store.keys("*").unwrap(), ["keep"]);
    assert_eq!(store.set("more", 1), Err(CommandError::OutOfMemory));
    assert_eq!(store.get("keep").unwrap().map(|v| v.len()), Some(200));
    store.set_maxmemory(0, EvictionPolicy::NoEviction);
    assert_eq!(store.set("more", 1), Ok(()));
}
