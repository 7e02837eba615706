//! Withdrawing with a fee, all or nothing.
//!
//! A withdrawal takes the amount and a fee from the account and books the fee to the bank. With
//! MULTI/EXEC a failure in the middle leaves the earlier writes in place (Redis never rolls back).
//! `Store::atomic` goes further: when the closure returns an error — here "insufficient funds",
//! found only after the first write — every write it made is undone.
//!
//! Run it: `cargo run --example atomic_withdraw`

use embedis::{CommandError, Commands, Store};

const FEE: i64 = 2;

#[derive(Debug)]
enum WithdrawError {
    InsufficientFunds { balance: i64, wanted: i64 },
    Store(CommandError),
}

impl std::fmt::Display for WithdrawError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WithdrawError::InsufficientFunds { balance, wanted } => {
                write!(f, "insufficient funds: {balance} available, {wanted} needed")
            }
            WithdrawError::Store(e) => write!(f, "store error: {e}"),
        }
    }
}

impl From<CommandError> for WithdrawError {
    fn from(e: CommandError) -> Self {
        WithdrawError::Store(e)
    }
}

/// Takes `amount + FEE` from `account`, books the fee, and answers the new balance.
fn withdraw(store: &Store, account: &str, amount: i64) -> Result<i64, WithdrawError> {
    store.atomic(|db| {
        // Write first, check after: the undo log makes that safe.
        let balance: i64 = db.decrby(account, amount + FEE)?;
        db.incrby("bank:fees", FEE)?;
        db.rpush(format!("{account}:history"), format!("-{amount} (fee {FEE})"))?;
        if balance < 0 {
            return Err(WithdrawError::InsufficientFunds {
                balance: balance + amount + FEE,
                wanted: amount + FEE,
            });
        }
        Ok(balance)
    })
}

fn main() -> Result<(), CommandError> {
    let store = Store::new();
    store.set("alice", 50)?;
    println!("alice has 50; each withdrawal costs a fee of {FEE}.");

    match withdraw(&store, "alice", 30) {
        Ok(left) => println!("withdraw 30: done, alice has {left} left"),
        Err(e) => println!("withdraw 30 failed: {e}"),
    }
    match withdraw(&store, "alice", 30) {
        Ok(left) => println!("withdraw 30 again: done, alice has {left} left"),
        Err(e) => println!("withdraw 30 again: refused ({e}); the writes made before the check were undone"),
    }

    let balance: i64 = store.get_as("alice")?;
    let fees: i64 = store.get_as("bank:fees")?;
    let history: Vec<String> = store.lrange("alice:history", 0, -1)?;
    println!("alice: {balance}, fees booked: {fees}, history: {history:?}");
    assert_eq!((balance, fees, history.len()), (18, FEE, 1));
    println!("Only the first withdrawal left a trace: balance, fee and history agree.");
    Ok(())
}
