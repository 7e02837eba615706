//! Load: 200 TCP clients move money between accounts with WATCH/MULTI/EXEC at once; every
//! transfer either commits whole or retries, so the total never changes.
#![cfg(feature = "server")]

mod common;

use common::{RawClient, Resp};
use embedis::Store;
use embedis::server::Server;

const CLIENTS: usize = 200;
const TRANSFERS: usize = 10;
const ACCOUNTS: usize = 10;
const START: i64 = 1_000;

fn words(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

fn int(raw: &[u8]) -> i64 {
    match common::parse(raw) {
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).parse().unwrap(),
        Resp::Int(n) => n,
        other => panic!("not a number: {other:?}"),
    }
}

#[test]
fn two_hundred_clients_transferring_keep_the_total() {
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let port = server.addr().port();
    let mut setup = RawClient::connect(port);
    for a in 0..ACCOUNTS {
        setup.call(&words(&format!("SET account:{a} {START}")));
    }
    let retries: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..CLIENTS)
            .map(|c| {
                scope.spawn(move || {
                    let mut client = RawClient::connect(port);
                    let mut retries = 0;
                    for t in 0..TRANSFERS {
                        let from = format!("account:{}", (c + t) % ACCOUNTS);
                        let to = format!("account:{}", (c + t + 1 + c % 3) % ACCOUNTS);
                        loop {
                            client.call(&words(&format!("WATCH {from} {to}")));
                            let balance = int(&client.call(&words(&format!("GET {from}"))));
                            let amount = (c as i64 % 7 + 1).min(balance);
                            client.call(&words("MULTI"));
                            client.call(&words(&format!("DECRBY {from} {amount}")));
                            client.call(&words(&format!("INCRBY {to} {amount}")));
                            match common::parse(&client.call(&words("EXEC"))) {
                                Resp::Array(Some(_)) => break,
                                Resp::Array(None) => retries += 1,
                                other => panic!("EXEC answered {other:?}"),
                            }
                        }
                    }
                    retries
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    let total: i64 = (0..ACCOUNTS)
        .map(|a| int(&setup.call(&words(&format!("GET account:{a}")))))
        .sum();
    assert_eq!(
        total,
        START * ACCOUNTS as i64,
        "money was created or lost ({retries} retries)"
    );
    for a in 0..ACCOUNTS {
        assert!(int(&setup.call(&words(&format!("GET account:{a}")))) >= 0);
    }
}
