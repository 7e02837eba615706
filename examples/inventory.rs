//! Selling stock without overselling.
//!
//! Buyers on several threads each want a few items. "Check the stock, then decrement it" is a
//! check-then-act: two buyers can both see 3 left and both take 2. WATCH makes the decrement
//! conditional on nobody having changed the stock since the check; `Store::transaction` retries
//! the loser.
//!
//! Run it: `cargo run --example inventory`

use std::sync::atomic::{AtomicI64, Ordering};

use embedis::{CommandError, Commands, RetryPolicy, Store};

const STOCK: i64 = 100;
const BUYERS: usize = 8;

fn main() -> Result<(), CommandError> {
    let store = Store::new();
    store.set("stock:widget", STOCK)?;
    println!("{STOCK} widgets in stock, {BUYERS} buyers each trying to buy 3 at a time until sold out.");

    let sold = AtomicI64::new(0);
    let retries = AtomicI64::new(0);
    std::thread::scope(|scope| {
        for buyer in 0..BUYERS {
            let (store, sold, retries) = (store.clone(), &sold, &retries);
            scope.spawn(move || {
                let policy = RetryPolicy {
                    max_attempts: 1_000,
                    ..RetryPolicy::default()
                };
                loop {
                    let mut attempt = 0;
                    let bought = store
                        .transaction("stock:widget", policy, |tx| {
                            attempt += 1;
                            let stock: i64 = tx.get_as("stock:widget")?;
                            let want = 3.min(stock);
                            if want == 0 {
                                return Ok::<_, CommandError>(Some(0));
                            }
                            let done = tx.multi().decrby("stock:widget", want).rpush("sales", buyer).exec()?;
                            Ok(done.map(|_| want))
                        })
                        .expect("transaction");
                    retries.fetch_add(attempt - 1, Ordering::Relaxed);
                    if bought == 0 {
                        break;
                    }
                    sold.fetch_add(bought, Ordering::Relaxed);
                }
            });
        }
    });

    let left: i64 = store.get_as("stock:widget")?;
    let sales: i64 = store.llen("sales")?;
    println!(
        "sold {} widgets in {sales} sales; {left} left; {} purchases had to retry after losing a race",
        sold.load(Ordering::Relaxed),
        retries.load(Ordering::Relaxed)
    );
    assert_eq!(left, 0);
    assert_eq!(sold.load(Ordering::Relaxed), STOCK, "nothing oversold, nothing lost");
    println!("Stock never went below zero: every sale was checked against the stock it changed.");
    Ok(())
}
