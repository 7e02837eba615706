//! Harvesting a counter without losing a single increment.
//!
//! Workers INCR a page-view counter. An auditor periodically takes the count and resets it, and
//! records that it did. Done as separate commands, an increment landing between "read" and
//! "reset" would vanish. Done as one MULTI/EXEC — GETDEL (read and delete) plus LPUSH of an audit
//! entry — nothing can land in between, and every harvest is recorded with the reset it made.
//!
//! This example speaks raw commands through a `Connection`, to show the replies Redis gives.
//!
//! Run it: `cargo run --example counter_audit`

use std::sync::atomic::{AtomicUsize, Ordering};

use embedis::{Connection, Reply, Store};

const WORKERS: usize = 4;
const VIEWS_PER_WORKER: i64 = 5_000;

fn main() {
    let store = Store::new();

    println!("One harvest, reply by reply:");
    let mut auditor = store.connect();
    auditor.call(["INCRBY", "views", "42"]);
    for command in [
        vec!["MULTI"],
        vec!["GETDEL", "views"],
        vec!["LPUSH", "audit:harvests", "harvest #0"],
        vec!["EXEC"],
    ] {
        let reply = auditor.call(command.clone());
        println!("   {:<36} -> {}", command.join(" "), show(&reply));
    }
    auditor.call(["DEL", "audit:harvests"]);
    println!("   (the two commands ran together: their replies arrive as one array)\n");

    println!("Now {WORKERS} workers count views while the auditor harvests as they go.");
    let finished_workers = AtomicUsize::new(0);
    let (mut harvested, mut harvests) = (0i64, 0i64);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            let (store, finished_workers) = (store.clone(), &finished_workers);
            scope.spawn(move || {
                let mut conn = store.connect();
                for _ in 0..VIEWS_PER_WORKER {
                    conn.call(["INCR", "views"]);
                }
                finished_workers.fetch_add(1, Ordering::SeqCst);
            });
        }
        loop {
            // Read before harvesting: if every worker had finished, this harvest is the last.
            let last = finished_workers.load(Ordering::SeqCst) == WORKERS;
            harvested += harvest(&mut auditor, harvests + 1);
            harvests += 1;
            if last {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
    });

    let total = WORKERS as i64 * VIEWS_PER_WORKER;
    let entries = match auditor.call(["LLEN", "audit:harvests"]) {
        Reply::Integer(n) => n,
        other => panic!("LLEN answered {other:?}"),
    };
    println!("{WORKERS} workers counted {total} views; the auditor harvested {harvested} in {harvests} harvests.");
    println!("The audit log holds {entries} entries: one per harvest.");
    assert_eq!(harvested, total, "an increment was lost between read and reset");
    assert_eq!(entries, harvests);
    println!("Every view was harvested exactly once.");
}

/// MULTI, GETDEL views, LPUSH an audit entry, EXEC: answers the views taken.
fn harvest(auditor: &mut Connection, number: i64) -> i64 {
    auditor.call(["MULTI"]);
    auditor.call(["GETDEL", "views"]);
    auditor.call(("LPUSH", "audit:harvests", format!("harvest #{number}")));
    match auditor.call(["EXEC"]) {
        Reply::Array(replies) => match &replies[0] {
            Reply::Bulk(count) => String::from_utf8_lossy(count).parse().expect("views is an integer"),
            _ => 0, // nil: nothing counted since the last harvest
        },
        other => panic!("EXEC answered {other:?}"),
    }
}

fn show(reply: &Reply) -> String {
    match reply {
        Reply::Status(s) => s.to_string(),
        Reply::Integer(n) => format!("(integer) {n}"),
        Reply::Bulk(b) => format!("\"{}\"", String::from_utf8_lossy(b)),
        Reply::Nil => "(nil)".into(),
        Reply::NilArray => "(nil array)".into(),
        Reply::Error(e) => format!("(error) {e}"),
        Reply::Array(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", ")),
        _ => format!("{reply:?}"),
    }
}
