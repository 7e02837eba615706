//! A work queue on a stream, with a consumer group: two workers share the jobs, one crashes
//! holding a job, and XAUTOCLAIM hands that job to a survivor.
//!
//! A consumer group remembers, for each job it delivered, which worker has it until the worker
//! acknowledges it (XACK). A job whose worker dies stays pending — not lost, not done — and
//! anyone may claim it once it has been idle long enough. That is what makes a stream a safe
//! queue where a list (RPOPLPUSH and friends) needs hand-made bookkeeping.
//!
//! Run it: `cargo run --example work_queue`

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Duration;

use embedis::{CommandError, Commands, Store};

const JOBS: usize = 10;
/// How long a pending job must have been idle before a survivor may take it over.
const CLAIM_AFTER_MS: u64 = 200;

fn main() -> Result<(), CommandError> {
    let store = Store::new();
    // The group starts at `$`: it delivers the jobs added from now on.
    store.xgroup_create_mkstream("jobs", "workers", "$")?;
    for n in 1..=JOBS {
        store.xadd(
            "jobs",
            "*",
            [("task", "resize-image"), ("image", &format!("photo-{n}.jpg"))],
        )?;
    }
    println!("queued {JOBS} jobs on the stream `jobs`, for the group `workers`");

    let done = Mutex::new(BTreeSet::new());
    std::thread::scope(|scope| {
        for worker in ["alice", "bob"] {
            let (store, done) = (store.clone(), &done);
            scope.spawn(move || work(&store, worker, done));
        }
    });

    // Bob died holding a job: the group still lists it as his.
    let pending = store.xpending("jobs", "workers")?;
    println!(
        "after both workers stopped: {} job(s) done, {} pending, held by {:?}",
        done.lock().unwrap().len(),
        pending.count,
        pending.consumers
    );

    // Once the job has been idle long enough, alice claims everything idle (a real worker would
    // run this now and then, in a loop until `next` comes back as 0-0).
    std::thread::sleep(Duration::from_millis(CLAIM_AFTER_MS));
    let claim = store.xautoclaim("jobs", "workers", "alice", CLAIM_AFTER_MS, "0-0", 10)?;
    for job in &claim.claimed {
        println!(
            "alice recovers {} ({}) from bob",
            job.id,
            job.get("image").unwrap_or("?")
        );
        finish(&store, "alice", &job.id, &done)?;
    }

    let pending = store.xpending("jobs", "workers")?;
    let done = done.into_inner().unwrap();
    println!(
        "in the end: {} of {JOBS} jobs done, {} pending",
        done.len(),
        pending.count
    );
    assert_eq!((done.len(), pending.count), (JOBS, 0), "every job done exactly once");
    Ok(())
}

/// A worker: reads one new job at a time (waiting up to 100 ms for one), does it, acknowledges
/// it. Bob crashes while working on his third job, before acknowledging it.
fn work(store: &Store, worker: &str, done: &Mutex<BTreeSet<String>>) {
    let mut taken = 0;
    loop {
        let read = store
            .xreadgroup_options("workers", worker, ("COUNT", 1, "BLOCK", 100), "jobs", ">")
            .expect("read the group");
        let Some((_, jobs)) = read.into_iter().next() else {
            println!("{worker}: no more jobs, stopping");
            return;
        };
        for job in jobs {
            taken += 1;
            println!("{worker} takes {} ({})", job.id, job.get("image").unwrap_or("?"));
            if worker == "bob" && taken == 3 {
                println!("bob crashes while working on {}: it stays pending, as his", job.id);
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
            finish(store, worker, &job.id, done).expect("acknowledge");
        }
    }
}

/// Records a job as done and acknowledges it, so that the group forgets it.
fn finish(store: &Store, worker: &str, id: &str, done: &Mutex<BTreeSet<String>>) -> Result<(), CommandError> {
    let first_time = done.lock().unwrap().insert(id.to_string());
    assert!(first_time, "{worker} finished {id}, which was already done");
    store.xack("jobs", "workers", id)?;
    Ok(())
}
