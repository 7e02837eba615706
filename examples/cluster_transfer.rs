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
//! With the `redis-rs` feature, part 4 runs the same transfer through redis-rs's `ClusterClient`
//! against three embedis-server nodes of one cluster in this process (`server::LocalCluster`),
//! the client following the MOVED redirections as it would on a real cluster.
//!
//! Run it: `cargo run --example cluster_transfer` (`--all-features` for part 4)

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

    #[cfg(feature = "redis-rs")]
    through_a_cluster_client()?;
    Ok(())
}

/// The transfer as a Lua script (its keys declared, so the cluster routes it to their node),
/// sent by redis-rs's `ClusterClient` to a three-node cluster.
#[cfg(feature = "redis-rs")]
fn through_a_cluster_client() -> Result<(), Box<dyn Error>> {
    use redis::Commands;

    println!("\n== 4. The same through redis-rs's ClusterClient, on three nodes ==");
    let cluster = embedis::server::LocalCluster::start(3)?;
    let client = redis::cluster::ClusterClient::new(cluster.urls())?;
    let mut con = client.get_connection()?;
    let transfer = redis::Script::new(
        "if tonumber(redis.call('GET', KEYS[1])) < tonumber(ARGV[1]) then return 0 end
         redis.call('DECRBY', KEYS[1], ARGV[1])
         redis.call('INCRBY', KEYS[2], ARGV[1])
         return 1",
    );
    // Each account on its own: different slots, most likely different nodes.
    let (alice, bob) = ("{user:1001}:balance", "{user:1002}:balance");
    let _: () = con.set(alice, 100)?;
    let _: () = con.set(bob, 50)?;
    let refused = transfer.key(alice).key(bob).arg(30).invoke::<i64>(&mut con);
    let refused = refused.expect_err("a script across two slots is refused");
    println!("   the script across two slots -> {refused}");
    assert_eq!(refused.code(), Some("CROSSSLOT"));
    // With a shared tag, the client sends it to the node of that slot.
    let (alice, bob) = ("{bank:eu}:user:1001:balance", "{bank:eu}:user:1002:balance");
    let _: () = con.set(alice, 100)?;
    let _: () = con.set(bob, 50)?;
    let moved: i64 = transfer.key(alice).key(bob).arg(30).invoke(&mut con)?;
    let (a, b): (i64, i64) = (con.get(alice)?, con.get(bob)?);
    println!(
        "   the script with a shared tag -> moved: {}, balances {a} and {b}",
        moved == 1
    );
    assert_eq!((a, b), (70, 80));
    Ok(())
}

fn describe<T: std::fmt::Debug>(outcome: &Result<T, CommandError>) -> String {
    match outcome {
        Ok(value) => format!("{value:?}"),
        Err(e) => format!("error: {e}"),
    }
}
