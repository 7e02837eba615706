//! `Store::atomic`: check-then-act under the lock, all or nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};

use embedis::{Clock, CommandError, Commands, Reply, Store};

#[test]
fn atomic_commits_its_writes_when_the_closure_succeeds() {
    let store = Store::new();
    store.set("stock", 5).unwrap();
    let left = store
        .atomic(|db| {
            let stock: i64 = db.get_as("stock")?;
            db.set("stock", stock - 2)?;
            db.get_as::<i64>("stock")
        })
        .unwrap();
    assert_eq!(left, 3);
    assert_eq!(store.get_as::<i64>("stock").unwrap(), 3);
}

#[test]
fn atomic_undoes_every_write_when_the_closure_returns_err() {
    let clock = Clock::manual();
    let store = Store::with_clock(clock);
    store.set_ex("ttl", "v", 100).unwrap();
    store.rpush("list", ["a", "b"]).unwrap();
    store.hset("hash", "f", "v").unwrap();
    let result: Result<(), CommandError> = store
        .atomic(|db| {
            db.set("ttl", "changed")?;
            db.rpush("list", "c")?;
            db.lpop("list")?;
            db.del("hash")?;
            db.set("created", 1)?;
            db.rename("created", "renamed")?;
            db.incr("list") // WRONGTYPE: the closure fails here
        })
        .map(|_| ());
    assert_eq!(result, Err(CommandError::WrongType));
    assert_eq!(store.get_as::<String>("ttl").unwrap(), "v");
    assert_eq!(store.ttl("ttl").unwrap(), 100);
    assert_eq!(store.lrange("list", 0, -1).unwrap(), ["a", "b"]);
    assert_eq!(store.hget_as::<String>("hash", "f").unwrap(), "v");
    assert_eq!(store.exists(["created", "renamed"]).unwrap(), 0);
}

#[test]
fn atomic_undoes_flushes_and_swaps() {
    let store = Store::new();
    let mut c = store.connect();
    c.call(["SET", "zero", "0"]);
    c.call(["SELECT", "1"]);
    c.call(["SET", "one", "1"]);
    let result: Result<(), CommandError> = store.atomic(|db| {
        db.swapdb(0, 1)?;
        db.flushall()?;
        db.set("after", 1)?;
        Err(CommandError::Other("ERR changed my mind".into()))
    });
    assert_eq!(result, Err(CommandError::Other("ERR changed my mind".into())));
    assert_eq!(c.call(["GET", "one"]), Reply::Bulk(b"1".to_vec()));
    assert_eq!(store.get_as::<String>("zero").unwrap(), "0");
    assert_eq!(store.exists("after").unwrap(), 0);
}

#[test]
fn atomic_undoes_writes_when_the_closure_panics_and_the_store_stays_usable() {
    let store = Store::new();
    store.set("k", 1).unwrap();
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let _: Result<(), CommandError> = store.atomic(|db| {
            db.set("k", 2)?;
            panic!("bug in the closure");
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(store.get_as::<i64>("k").unwrap(), 1);
    assert_eq!(store.incr("k").unwrap(), 2, "the lock was released");
}

#[test]
fn a_rolled_back_atomic_call_does_not_disturb_watchers() {
    let store = Store::new();
    store.set("k", 1).unwrap();
    let watch = store.watch("k").unwrap();
    let _: Result<(), CommandError> = store.atomic(|db| {
        db.set("k", 2)?;
        db.del("k")?;
        Err(CommandError::Syntax)
    });
    assert!(
        watch.multi().ping().exec().unwrap().is_some(),
        "no logical change happened"
    );
}

#[test]
fn a_committed_atomic_call_disturbs_watchers() {
    let store = Store::new();
    store.set("k", 1).unwrap();
    let watch = store.watch("k").unwrap();
    store.atomic(|db| db.set("k", 1)).unwrap();
    assert_eq!(watch.multi().ping().exec(), Ok(None));
}

#[test]
fn atomic_sees_no_other_client() {
    let store = Store::new();
    store.set("n", 0).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            std::thread::spawn(move || {
                for _ in 0..500 {
                    store
                        .atomic(|db| {
                            let n: i64 = db.get_as("n")?;
                            std::hint::spin_loop();
                            db.set("n", n + 1)
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(store.get_as::<i64>("n").unwrap(), 2000, "no read-modify-write was lost");
}

#[test]
fn transaction_commands_are_refused_inside_atomic() {
    let store = Store::new();
    let reply: Reply = store.atomic(|db| db.ping_as::<Reply>()).unwrap();
    assert_eq!(reply, Reply::Status("PONG".into()));
    for command in ["SAVE", "MULTI", "EXEC", "WATCH k", "EVAL return 0"] {
        let words: Vec<&str> = command.split(' ').collect();
        let outcome: Result<(), CommandError> = store.atomic(|db| db.cmd(words.as_slice()));
        assert_eq!(
            outcome.map_err(|e| e.to_string()),
            Err("ERR This command is not allowed inside Store::atomic".to_string()),
            "{command}"
        );
    }
}
