//! Threads transferring money between accounts, with the WATCH retry helper and with `atomic`: the
//! total never changes and no balance goes negative.

use embedis::{CommandError, Commands, RetryPolicy, Store};

const ACCOUNTS: usize = 8;
const INITIAL: i64 = 1_000;
const THREADS: usize = 4;
const TRANSFERS: usize = 300;

fn account(i: usize) -> String {
    format!("account:{i}")
}

fn seeded_store() -> Store {
    let store = Store::new();
    for i in 0..ACCOUNTS {
        store.set(account(i), INITIAL).unwrap();
    }
    store
}

fn assert_money_kept(store: &Store) {
    let balances: Vec<i64> = store.mget_as((0..ACCOUNTS).map(account).collect::<Vec<_>>()).unwrap();
    assert!(
        balances.iter().all(|b| *b >= 0),
        "a balance went negative: {balances:?}"
    );
    assert_eq!(
        balances.iter().sum::<i64>(),
        INITIAL * ACCOUNTS as i64,
        "money was created or lost"
    );
}

/// A deterministic sequence of (from, to, amount) per thread.
fn plan(thread: usize) -> impl Iterator<Item = (usize, usize, i64)> {
    let mut x = 0x2545_f491_4f6c_dd1d_u64 ^ (thread as u64 + 1);
    (0..TRANSFERS).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let from = (x % ACCOUNTS as u64) as usize;
        let to = (from + 1 + (x >> 8) as usize % (ACCOUNTS - 1)) % ACCOUNTS;
        (from, to, (x >> 20) as i64 % 400 + 1)
    })
}

/// Check-and-set with WATCH, retried on conflict.
fn transfer_with_watch(store: &Store, from: usize, to: usize, amount: i64) {
    let policy = RetryPolicy {
        max_attempts: 1_000,
        ..RetryPolicy::default()
    };
    store
        .transaction([account(from), account(to)], policy, |tx| {
            let balance: i64 = tx.get_as(account(from))?;
            if balance < amount {
                return Ok::<_, CommandError>(Some(()));
            }
            let done = tx
                .multi()
                .decrby(account(from), amount)
                .incrby(account(to), amount)
                .exec()?;
            Ok(done.map(|_| ()))
        })
        .unwrap();
}

/// Check-then-act under the lock.
fn transfer_atomically(store: &Store, from: usize, to: usize, amount: i64) {
    store
        .atomic(|db| {
            let balance: i64 = db.get_as(account(from))?;
            if balance >= amount {
                db.decrby(account(from), amount)?;
                db.incrby(account(to), amount)?;
            }
            Ok::<_, CommandError>(())
        })
        .unwrap();
}

/// Runs every thread's plan with the transfer function that thread gets.
fn run(store: &Store, transfer_for: impl Fn(usize) -> fn(&Store, usize, usize, i64)) {
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (store, transfer) = (store.clone(), transfer_for(t));
            scope.spawn(move || plan(t).for_each(|(from, to, amount)| transfer(&store, from, to, amount)));
        }
    });
}

#[test]
fn concurrent_transfers_with_the_watch_retry_loop_keep_the_total() {
    let store = seeded_store();
    run(&store, |_| transfer_with_watch);
    assert_money_kept(&store);
}

#[test]
fn concurrent_transfers_with_atomic_keep_the_total() {
    let store = seeded_store();
    run(&store, |_| transfer_atomically);
    assert_money_kept(&store);
}

#[test]
fn watch_transfers_and_atomic_transfers_mix_safely() {
    let store = seeded_store();
    run(&store, |t| {
        if t % 2 == 0 {
            transfer_atomically
        } else {
            transfer_with_watch
        }
    });
    assert_money_kept(&store);
}
