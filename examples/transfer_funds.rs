//! Moving money between accounts safely, two ways.
//!
//! A transfer reads a balance, decides, then writes two keys. If another client changes the balance
//! between the read and the writes, the decision was made on stale data: money can be created or an
//! account can go negative. Redis offers two cures, and so does embedis:
//!
//! 1. **WATCH + MULTI/EXEC (optimistic locking).** WATCH the accounts, read, queue the writes in
//!    MULTI, EXEC. If any watched key changed since WATCH, EXEC runs nothing and answers nil; you
//!    retry. `Store::transaction` is that retry loop, with backoff.
//! 2. **Run the whole check-and-act under the lock.** In Redis that is a Lua script; in embedis it is
//!    `Store::atomic`, a Rust closure that sees no other client. Nothing to retry.
//!
//! Run it: `cargo run --example transfer_funds`

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use embedis::{CommandError, Commands, RetryPolicy, Store};

const ACCOUNTS: usize = 5;
const OPENING_BALANCE: i64 = 1_000;
const THREADS: usize = 4;
const TRANSFERS_PER_THREAD: usize = 500;

fn account(i: usize) -> String {
    format!("account:{i}")
}

fn main() -> Result<(), Box<dyn Error>> {
    let store = Store::new();
    open_accounts(&store)?;

    println!("== 1. A lost race, step by step ==");
    a_conflict_step_by_step(&store)?;

    println!("\n== 2. {THREADS} threads, {TRANSFERS_PER_THREAD} transfers each, with WATCH and retries ==");
    let stats = Stats::default();
    run_threads(&store, |store, from, to, amount| {
        transfer_with_watch(store, from, to, amount, &stats)
    });
    println!(
        "   {} transfers done, {} refused for lack of funds; {} attempts in all, {} of them lost a race and were retried",
        stats.done.load(Ordering::Relaxed),
        stats.refused.load(Ordering::Relaxed),
        stats.attempts.load(Ordering::Relaxed),
        stats.conflicts.load(Ordering::Relaxed),
    );
    check_total(&store)?;

    println!("\n== 3. The same load with Store::atomic ==");
    let refused = AtomicU64::new(0);
    run_threads(&store, |store, from, to, amount| {
        let moved = transfer_atomically(store, from, to, amount).expect("atomic transfer");
        if !moved {
            refused.fetch_add(1, Ordering::Relaxed);
        }
    });
    println!(
        "   every transfer ran exactly once: no conflicts, no retries ({} refused for lack of funds)",
        refused.load(Ordering::Relaxed)
    );
    check_total(&store)?;
    Ok(())
}

fn open_accounts(store: &Store) -> Result<(), CommandError> {
    for i in 0..ACCOUNTS {
        store.set(account(i), OPENING_BALANCE)?;
    }
    println!("Opened {ACCOUNTS} accounts with {OPENING_BALANCE} each.\n");
    Ok(())
}

/// Two clients, one account: the second write makes the first client's EXEC answer nil.
fn a_conflict_step_by_step(store: &Store) -> Result<(), CommandError> {
    let alice = store.watch(account(0))?;
    let balance: i64 = alice.get_as(account(0))?;
    println!("   Alice WATCHes account:0 and reads its balance: {balance}");

    let paid: i64 = store.decrby(account(0), 100)?;
    println!("   Meanwhile Bob pays 100 out of account:0; it now holds {paid}");

    let outcome = alice.multi().set(account(0), balance - 50).exec()?;
    match outcome {
        None => println!("   Alice's EXEC answers nil: account:0 changed after her WATCH, so her SET did not run"),
        Some(_) => println!("   Alice's EXEC ran (this would have overwritten Bob's payment!)"),
    }
    let now: i64 = store.get_as(account(0))?;
    println!("   account:0 holds {now}: Bob's payment was not lost. Alice would now read again and retry.");
    store.incrby(account(0), 100)?; // put the money back for the next parts
    Ok(())
}

#[derive(Default)]
struct Stats {
    attempts: AtomicU64,
    conflicts: AtomicU64,
    done: AtomicU64,
    refused: AtomicU64,
}

/// WATCH both accounts, check the balance, queue the two writes; `Store::transaction` retries
/// when EXEC reports a conflict.
fn transfer_with_watch(store: &Store, from: usize, to: usize, amount: i64, stats: &Stats) {
    let policy = RetryPolicy {
        max_attempts: 100,
        ..RetryPolicy::default()
    };
    let result = store.transaction([account(from), account(to)], policy, |tx| {
        stats.attempts.fetch_add(1, Ordering::Relaxed);
        let balance: i64 = tx.get_as(account(from))?;
        if balance < amount {
            return Ok::<_, CommandError>(Some(false));
        }
        let outcome = tx
            .multi()
            .decrby(account(from), amount)
            .incrby(account(to), amount)
            .exec()?;
        if outcome.is_none() {
            stats.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        Ok(outcome.map(|_| true))
    });
    match result {
        Ok(true) => stats.done.fetch_add(1, Ordering::Relaxed),
        Ok(false) => stats.refused.fetch_add(1, Ordering::Relaxed),
        Err(e) => panic!("transfer failed: {e}"),
    };
}

/// The same check-and-act under the store's lock: no other client can run in between.
fn transfer_atomically(store: &Store, from: usize, to: usize, amount: i64) -> Result<bool, CommandError> {
    store.atomic(|db| {
        let balance: i64 = db.get_as(account(from))?;
        if balance < amount {
            return Ok(false);
        }
        db.decrby(account(from), amount)?;
        db.incrby(account(to), amount)?;
        Ok(true)
    })
}

/// Runs `transfer` from several threads at once, each with its own pseudo-random transfers.
fn run_threads(store: &Store, transfer: impl Fn(&Store, usize, usize, i64) + Sync) {
    let transfer = Arc::new(&transfer);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let (store, transfer) = (store.clone(), Arc::clone(&transfer));
            scope.spawn(move || {
                let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ (t as u64 + 1);
                for _ in 0..TRANSFERS_PER_THREAD {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let from = (seed % ACCOUNTS as u64) as usize;
                    let to = (from + 1 + (seed >> 16) as usize % (ACCOUNTS - 1)) % ACCOUNTS;
                    let amount = (seed >> 32) as i64 % 300 + 1;
                    transfer(&store, from, to, amount);
                }
            });
        }
    });
}

fn check_total(store: &Store) -> Result<(), CommandError> {
    let balances: Vec<i64> = store.mget_as((0..ACCOUNTS).map(account).collect::<Vec<_>>())?;
    let total: i64 = balances.iter().sum();
    println!("   balances {balances:?}, total {total}");
    assert_eq!(
        total,
        OPENING_BALANCE * ACCOUNTS as i64,
        "money was created or destroyed"
    );
    assert!(balances.iter().all(|b| *b >= 0), "an account went negative");
    println!("   the total is unchanged and no account is negative");
    Ok(())
}
