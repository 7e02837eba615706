//! Threads transferring money between accounts, with the WATCH retry helper and with `atomic`: the
//! total never changes, no balance goes negative, and every transfer that a thread saw succeed
//! happened exactly once (each one also counts itself in the same transaction).

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

/// The total is kept, and the transfers the threads saw succeed (`moved`) are the ones the store
/// counted — many of them, so money really moved.
fn assert_money_kept(store: &Store, moved: usize) {
    let counted: i64 = store.get_as("transfers").unwrap_or(0);
    assert_eq!(counted, moved as i64, "the store counted another number of transfers");
    assert!(
        moved > THREADS * TRANSFERS / 4,
        "only {moved} of {} transfers happened",
        THREADS * TRANSFERS
    );
    let balances: Vec<i64> = store.mget_as((0..ACCOUNTS).map(account).collect::<Vec<_>>()).unwrap();
    assert!(
        balances.iter().any(|b| *b != INITIAL),
        "no balance changed: {balances:?}"
    );
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

/// Check-and-set with WATCH, retried on conflict. Answers whether money moved.
fn transfer_with_watch(store: &Store, from: usize, to: usize, amount: i64) -> bool {
    let policy = RetryPolicy {
        max_attempts: 1_000,
        ..RetryPolicy::default()
    };
    store
        .transaction([account(from), account(to)], policy, |tx| {
            let balance: i64 = tx.get_as(account(from))?;
            if balance < amount {
                return Ok::<_, CommandError>(Some(false));
            }
            let done = tx
                .multi()
                .decrby(account(from), amount)
                .incrby(account(to), amount)
                .incr("transfers")
                .exec()?;
            Ok(done.map(|_| true))
        })
        .unwrap()
}

/// Check-then-act under the lock. Answers whether money moved.
fn transfer_atomically(store: &Store, from: usize, to: usize, amount: i64) -> bool {
    store
        .atomic(|db| {
            let balance: i64 = db.get_as(account(from))?;
            if balance < amount {
                return Ok::<_, CommandError>(false);
            }
            db.decrby(account(from), amount)?;
            db.incrby(account(to), amount)?;
            db.incr("transfers")?;
            Ok(true)
        })
        .unwrap()
}

/// Runs every thread's plan with the transfer function that thread gets; answers how many
/// transfers moved money.
fn run(store: &Store, transfer_for: impl Fn(usize) -> fn(&Store, usize, usize, i64) -> bool) -> usize {
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, transfer) = (store.clone(), transfer_for(t));
                scope.spawn(move || {
                    plan(t)
                        .filter(|&(from, to, amount)| transfer(&store, from, to, amount))
                        .count()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).sum()
    })
}

#[test]
fn concurrent_transfers_with_the_watch_retry_loop_keep_the_total() {
    let store = seeded_store();
    let moved = run(&store, |_| transfer_with_watch);
    assert_money_kept(&store, moved);
}

#[test]
fn concurrent_transfers_with_atomic_keep_the_total() {
    let store = seeded_store();
    let moved = run(&store, |_| transfer_atomically);
    assert_money_kept(&store, moved);
}

#[test]
fn watch_transfers_and_atomic_transfers_mix_safely() {
    let store = seeded_store();
    let moved = run(&store, |t| {
        if t % 2 == 0 {
            transfer_atomically
        } else {
            transfer_with_watch
        }
    });
    assert_money_kept(&store, moved);
}
