//! Will the transfer survive a move to Redis Cluster?
//!
//! On one Redis server a transaction can touch any keys. In Redis Cluster the keys are spread over
//! 16384 hash slots, each served by one node, and a transaction — or a script, or a multi-key
//! command — may only touch keys of one slot: anything else is refused with `CROSSSLOT`. An
//! application that moves money between `{user:1001}:balance` and `{user:1002}:balance` in one
//! MULTI works on a single server and breaks on the cluster.
//!
//! A store built with `cluster_enabled(true)` behaves as a cluster node does, so the break shows
//! up in a unit test, not in production. The cure is a hash tag: the part of a key between `{`
//! and `}` is all that is hashed, so keys sharing a tag share a slot (and a node).
//!
//! Run it: `cargo run --example cluster_transfer`

use std::error::Error;

use embedis::{CommandError, Commands, RetryPolicy, Store, key_slot};

fn main() -> Result<(), Box<dyn Error>> {
    let store = Store::builder().cluster_enabled(true).build();

    println!("== 1. One account per user: the keys live in different slots ==");
    let (alice, bob) = ("{user:1001}:balance", "{user:1002}:balance");
    store.set(alice, 100)?;
    store.set(bob, 50)?;
    println!(
        "   {alice} is in slot {}, {bob} in slot {}",
        key_slot(alice),
        key_slot(bob)
    );
    let refused = store.multi().decrby(alice, 30).incrby(bob, 30).exec();
    println!("   MULTI DECRBY/INCRBY EXEC -> {}", describe(&refused));
    assert_eq!(refused, Err(CommandError::CrossSlot));
    // Nothing ran: a cluster refuses the whole transaction before it starts.
    assert_eq!(store.get_as::<i64>(alice)?, 100);
    assert_eq!(store.get_as::<i64>(bob)?, 50);
    // A single multi-key command is refused the same way.
    println!(
        "   MGET of both -> {:?}",
        store.mget([alice, bob]).unwrap_err().to_string()
    );

    println!("\n== 2. Accounts that move money between them share a hash tag ==");
    // The tag `{bank:eu}` is all that is hashed: both keys land in one slot, on one node.
    let (alice, bob) = ("{bank:eu}:user:1001:balance", "{bank:eu}:user:1002:balance");
    store.set(alice, 100)?;
    store.set(bob, 50)?;
    println!("   {alice} and {bob} are both in slot {}", key_slot(alice));
    let moved = store.transaction([alice, bob], RetryPolicy::default(), |tx| {
        let balance: i64 = tx.get_as(alice)?;
        if balance < 30 {
            return Ok::<_, CommandError>(Some(false));
        }
        Ok(tx.multi().decrby(alice, 30).incrby(bob, 30).exec()?.map(|_| true))
    })?;
    println!("   WATCH + MULTI transfer of 30 -> moved: {moved}");
    let (a, b): (i64, i64) = (store.get_as(alice)?, store.get_as(bob)?);
    println!("   balances now {a} and {b}, total {}", a + b);
    assert_eq!((a, b), (70, 80));

    println!("\n== 3. The trade-off, and Store::atomic ==");
    // Every key with the same tag lives on one node: a tag per group of accounts that trade with
    // each other, not one tag for everything, or the cluster stops spreading the load.
    // `atomic` keeps to the slot of the first key it reaches, like a transaction on a node.
    let strayed = store.atomic(|db| {
        db.decrby(alice, 10)?;
        db.incrby("{bank:us}:user:2001:balance", 10)
    });
    println!("   atomic across two tags -> {}", describe(&strayed));
    assert_eq!(strayed, Err(CommandError::CrossSlot));
    assert_eq!(
        store.get_as::<i64>(alice)?,
        70,
        "the refused call undid its first write"
    );
    Ok(())
}

fn describe<T: std::fmt::Debug>(outcome: &Result<T, CommandError>) -> String {
    match outcome {
        Ok(value) => format!("{value:?}"),
        Err(e) => format!("error: {e}"),
    }
}
