//! Crash tests (issue 17): a child process writing through the library — MULTI transfers
//! between accounts, each also counting itself — is killed with SIGKILL at random moments, and
//! the store opened again on its directory must hold every write the child saw acknowledged (at
//! most the one in flight besides), no transaction half applied (the balances always sum to
//! the same total), for `appendfsync always` and, within about a second, `everysec`. The same
//! for embedis-server, killed while clients send it transfers.
//!
//! The child is this test binary run again with `EMBEDIS_CRASH_CHILD` set: its `child` test then
//! writes until it is killed, printing `ack <count>` after each acknowledged transaction.
#![cfg(feature = "server")]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{RawClient, words};
use embedis::{Commands, Fsync, Store};

const ACCOUNTS: usize = 10;
const OPENING_BALANCE: i64 = 1000;

/// The accounts' total and the count of transactions the store holds.
fn totals(store: &Store) -> (i64, i64) {
    let total = (0..ACCOUNTS)
        .map(|n| {
            store
                .get_as::<Option<i64>>(format!("account:{n}"))
                .unwrap()
                .unwrap_or(0)
        })
        .sum();
    let acks = store.get_as::<Option<i64>>("acks").unwrap().unwrap_or(0);
    (total, acks)
}

fn fsync_named(name: &str) -> Fsync {
    Fsync::parse(name).expect("a policy name")
}

/// The child: transfers until it is killed (run by the tests below, never on its own).
#[test]
#[ignore = "the crash tests' child process, run by them"]
fn child() {
    let (Ok(dir), Ok(policy)) = (
        std::env::var("EMBEDIS_CRASH_CHILD"),
        std::env::var("EMBEDIS_CRASH_FSYNC"),
    ) else {
        return;
    };
    let store = Store::builder()
        .append_only(fsync_named(&policy))
        .open(&dir)
        .expect("the child opens the store");
    let mut seed = u64::from(std::process::id()) | 1;
    loop {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let from = format!("account:{}", seed % ACCOUNTS as u64);
        let to = format!("account:{}", (seed >> 8) % ACCOUNTS as u64);
        let amount = ((seed >> 16) % 50).to_string();
        let replies = store
            .multi()
            .cmd(["DECRBY", from.as_str(), amount.as_str()])
            .cmd(["INCRBY", to.as_str(), amount.as_str()])
            .cmd(["INCR", "acks"])
            .exec_as::<(i64, i64, i64)>()
            .expect("the transfer runs")
            .expect("nothing is watched");
        println!("ack {}", replies.2);
    }
}

/// Runs the child on `dir` with `policy` until it acknowledged `acks` transactions, kills it,
/// and answers every count it printed with when it was read.
fn run_child_and_kill(dir: &std::path::Path, policy: &str, acks: i64) -> Vec<(i64, Instant)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("EMBEDIS_CRASH_CHILD", dir)
        .env("EMBEDIS_CRASH_FSYNC", policy)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    // Read to the end: what the child printed before it died (after the count that decided the
    // kill) was acknowledged too.
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if let Some(count) = line.strip_prefix("ack ").and_then(|n| n.parse::<i64>().ok()) {
            seen.push((count, Instant::now()));
            if seen.len() as i64 == acks {
                child.kill().unwrap();
            }
        }
    }
    child.wait().unwrap();
    seen
}

/// Opens a fresh directory with the accounts' opening balances written durably.
fn opened_accounts(dir: &std::path::Path) {
    let store = Store::builder().append_only(Fsync::Always).open(dir).unwrap();
    for n in 0..ACCOUNTS {
        store.set(format!("account:{n}"), OPENING_BALANCE).unwrap();
    }
    store.close().unwrap();
}

#[test]
fn a_killed_process_keeps_every_acknowledged_transaction() {
    let dir = common::fresh_dir(0);
    std::fs::create_dir_all(&dir).unwrap();
    opened_accounts(&dir);
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut last = 0;
    for round in 0..100 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let seen = run_child_and_kill(&dir, "always", 1 + (seed % 40) as i64);
        let acknowledged = seen.last().map_or(last, |(count, _)| *count);
        let store = Store::builder().append_only(Fsync::Always).open(&dir).unwrap();
        let (total, kept) = totals(&store);
        assert_eq!(
            total,
            ACCOUNTS as i64 * OPENING_BALANCE,
            "round {round}: no half transfer"
        );
        assert!(
            (acknowledged..=acknowledged + 1).contains(&kept),
            "round {round}: {acknowledged} acknowledged, {kept} kept"
        );
        last = kept;
        drop(store);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `appendfsync everysec` at most about a second of acknowledged writes may be lost (a
/// SIGKILL loses none of what was written, the system still holding it; a power cut would).
#[test]
fn a_killed_process_with_everysec_loses_at_most_a_second() {
    let dir = common::fresh_dir(1);
    std::fs::create_dir_all(&dir).unwrap();
    opened_accounts(&dir);
    for round in 0..10 {
        let seen = run_child_and_kill(&dir, "everysec", 200 + round * 37);
        let killed_at = Instant::now();
        let surely_synced = seen
            .iter()
            .rev()
            .find(|(_, at)| killed_at.duration_since(*at) > Duration::from_secs(2))
            .map_or(0, |(count, _)| *count);
        let store = Store::builder().append_only(Fsync::EverySec).open(&dir).unwrap();
        let (total, kept) = totals(&store);
        assert_eq!(
            total,
            ACCOUNTS as i64 * OPENING_BALANCE,
            "round {round}: no half transfer"
        );
        let acknowledged = seen.last().map_or(0, |(count, _)| *count);
        assert!(
            kept >= surely_synced && kept <= acknowledged + 1,
            "round {round}: {kept} kept, {surely_synced} acknowledged over a second before, {acknowledged} in all"
        );
        drop(store);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The server: clients send MULTI transfers, each counted, with `appendfsync always`; killed at
/// random moments and started again, it holds every acknowledged one and no half of any.
#[test]
fn a_killed_server_keeps_every_acknowledged_transaction() {
    let dir = common::fresh_dir(2);
    let port = common::free_port();
    let start = || common::spawn_embedis_server_with_aof(env!("CARGO_BIN_EXE_embedis-server"), port, &dir);
    let mut server = start();
    let mut client = RawClient::connect(port);
    for n in 0..ACCOUNTS {
        client.call(&words(&format!("SET account:{n} {OPENING_BALANCE}")));
    }
    let mut acknowledged = 0i64;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..20 {
        let transfers = 1 + seed % 30;
        for _ in 0..transfers {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let (from, to, amount) = (seed % 10, (seed >> 8) % 10, (seed >> 16) % 50);
            client.call(&words("MULTI"));
            client.call(&words(&format!("DECRBY account:{from} {amount}")));
            client.call(&words(&format!("INCRBY account:{to} {amount}")));
            client.call(&words("INCR acks"));
            let reply = client.call(&words("EXEC"));
            assert!(reply.starts_with(b"*3\r\n"), "round {round}: {reply:?}");
            acknowledged += 1;
        }
        // A transfer in flight when the server dies: sent, its reply never read.
        client.send(&words("MULTI"));
        client.send(&words("DECRBY account:0 1"));
        client.send(&words("INCRBY account:1 1"));
        client.send(&words("INCR acks"));
        client.send(&words("EXEC"));
        server.kill().unwrap();
        server.wait().unwrap();
        server = start();
        client = RawClient::connect(port);
        let balances: i64 = (0..ACCOUNTS)
            .map(|n| {
                let reply = client.call(&words(&format!("GET account:{n}")));
                String::from_utf8_lossy(&reply)
                    .lines()
                    .nth(1)
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0)
            })
            .sum();
        assert_eq!(
            balances,
            ACCOUNTS as i64 * OPENING_BALANCE,
            "round {round}: no half transfer"
        );
        let reply = client.call(&words("GET acks"));
        let kept: i64 = String::from_utf8_lossy(&reply)
            .lines()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(
            (acknowledged..=acknowledged + 1).contains(&kept),
            "round {round}: {acknowledged} acknowledged, {kept} kept"
        );
        acknowledged = kept;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
