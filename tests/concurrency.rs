//! Threads transferring money between accounts, with the WATCH retry helper and with `atomic`: the
//! total never changes and no balance goes negative.

use embedis::{CommandError, Commands, RetryPolicy, Store, TransactionError};

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
        store.set::<()>(account(i), INITIAL).unwrap();
    }
    store
}

fn total(store: &Store) -> i64 {
    let balances: Vec<i64> = store.mget((0..ACCOUNTS).map(account).collect::<Vec<_>>()).unwrap();
    assert!(
        balances.iter().all(|b| *b >= 0),
        "a balance went negative: {balances:?}"
    );
    balances.iter().sum()
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

#[test]
fn concurrent_transfers_with_the_watch_retry_loop_keep_the_total() {
    let store = seeded_store();
    let policy = RetryPolicy {
        max_attempts: 1_000,
        ..RetryPolicy::default()
    };
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for (from, to, amount) in plan(t) {
                    let result: Result<bool, TransactionError<CommandError>> =
                        store.transaction([account(from), account(to)], policy, |tx| {
                            let balance: i64 = tx.get(account(from))?;
                            if balance < amount {
                                return Ok(Some(false));
                            }
                            let done = tx
                                .multi()
                                .decrby(account(from), amount)
                                .incrby(account(to), amount)
                                .exec()?;
                            Ok(done.map(|_| true))
                        });
                    result.unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(total(&store), INITIAL * ACCOUNTS as i64);
}

#[test]
fn concurrent_transfers_with_atomic_keep_the_total() {
    let store = seeded_store();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for (from, to, amount) in plan(t) {
                    store
                        .atomic(|db| {
                            let balance: i64 = db.get(account(from))?;
                            if balance >= amount {
                                db.decrby::<i64>(account(from), amount)?;
                                db.incrby::<i64>(account(to), amount)?;
                            }
                            Ok::<_, CommandError>(())
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(total(&store), INITIAL * ACCOUNTS as i64);
}

#[test]
fn watch_transfers_and_atomic_transfers_mix_safely() {
    let store = seeded_store();
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let policy = RetryPolicy {
                    max_attempts: 1_000,
                    ..RetryPolicy::default()
                };
                for (from, to, amount) in plan(t) {
                    if t % 2 == 0 {
                        store
                            .atomic(|db| {
                                let balance: i64 = db.get(account(from))?;
                                if balance >= amount {
                                    db.decrby::<i64>(account(from), amount)?;
                                    db.incrby::<i64>(account(to), amount)?;
                                }
                                Ok::<_, CommandError>(())
                            })
                            .unwrap();
                    } else {
                        store
                            .transaction([account(from), account(to)], policy, |tx| {
                                let balance: i64 = tx.get(account(from))?;
                                if balance < amount {
                                    return Ok::<_, CommandError>(Some(()));
                                }
                                Ok(tx
                                    .multi()
                                    .decrby(account(from), amount)
                                    .incrby(account(to), amount)
                                    .exec()?
                                    .map(|_| ()))
                            })
                            .unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(total(&store), INITIAL * ACCOUNTS as i64);
}
