//! Load: 200 subscribers and 10 publishers over TCP, 10^5 messages — every subscriber receives
//! every message of its channel, in each publisher's order, none lost — while a subscriber that
//! stops reading is disconnected by the output-buffer limit and the others go on.
#![cfg(feature = "server")]

mod common;

use std::thread;

use common::{RawClient, Resp, words};
use embedis::Store;
use embedis::server::Server;

const SUBSCRIBERS: usize = 200;
const PUBLISHERS: usize = 10;
const MESSAGES_EACH: usize = 10_000;

/// The message a subscriber received: its channel and payload.
fn message(raw: &[u8]) -> (String, String) {
    match common::parse(raw) {
        Resp::Array(Some(items)) => {
            let text = |item: &Resp| match item {
                Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("not a bulk string: {other:?}"),
            };
            assert_eq!(text(&items[0]), "message");
            (text(&items[1]), text(&items[2]))
        }
        other => panic!("not a message: {other:?}"),
    }
}

#[test]
fn two_hundred_subscribers_get_every_message_in_order() {
    let server = Server::start(Store::new(), "127.0.0.1:0").unwrap();
    let port = server.addr().port();
    let mut admin = RawClient::connect(port);
    admin.call(&words("CONFIG SET client-output-buffer-limit \"pubsub 256kb 0 0\""));
    let resident_before = common::resident_bytes();
    // The stalled subscriber listens to every publisher and never reads: past the 256 KB the
    // socket's buffers do not absorb, the server cuts it off.
    let mut stalled = RawClient::connect(port);
    let all: Vec<String> = (0..PUBLISHERS).map(|p| format!("ch{p}")).collect();
    stalled.call(&words(&format!("SUBSCRIBE firehose {}", all.join(" "))));
    for _ in 0..PUBLISHERS {
        stalled.read();
    }
    // Subscriber i listens to publisher i % 10's channel: 20 subscribers a channel.
    let subscribers: Vec<RawClient> = (0..SUBSCRIBERS)
        .map(|i| {
            let mut client = RawClient::connect(port);
            client.call(&words(&format!("SUBSCRIBE ch{}", i % PUBLISHERS)));
            client
        })
        .collect();
    let readers: Vec<_> = subscribers
        .into_iter()
        .enumerate()
        .map(|(i, mut client)| {
            thread::spawn(move || {
                let channel = format!("ch{}", i % PUBLISHERS);
                for n in 0..MESSAGES_EACH {
                    let (got_channel, payload) = message(&client.read());
                    assert_eq!(got_channel, channel);
                    assert_eq!(payload, n.to_string(), "subscriber {i}: in order, none lost");
                }
                client
            })
        })
        .collect();
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            thread::spawn(move || {
                let mut client = RawClient::connect(port);
                let batch: Vec<Vec<Vec<u8>>> = (0..MESSAGES_EACH)
                    .map(|n| {
                        vec![
                            b"PUBLISH".to_vec(),
                            format!("ch{p}").into_bytes(),
                            n.to_string().into_bytes(),
                        ]
                    })
                    .collect();
                for chunk in batch.chunks(500) {
                    client.pipeline(chunk);
                }
            })
        })
        .collect();
    for handle in publishers {
        handle.join().unwrap();
    }
    // The readers stay connected (and subscribed) until the count below.
    let _readers: Vec<RawClient> = readers.into_iter().map(|h| h.join().unwrap()).collect();
    // More than the socket's buffers hold, to the stalled subscriber alone.
    let big = vec![b'x'; 64 * 1024];
    for _ in 0..200 {
        admin.call(&[b"PUBLISH".to_vec(), b"firehose".to_vec(), big.clone()]);
    }
    let numsub = admin.call(&words(&format!("PUBSUB NUMSUB {}", all.join(" "))));
    let counts = match common::parse(&numsub) {
        Resp::Array(Some(items)) => items
            .chunks(2)
            .map(|pair| match pair[1] {
                Resp::Int(n) => n,
                _ => panic!(),
            })
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        counts,
        vec![(SUBSCRIBERS / PUBLISHERS) as i64; PUBLISHERS],
        "the stalled subscriber was cut off, the others stay"
    );
    eprintln!(
        "pubsub load: {} messages to {SUBSCRIBERS} subscribers; resident memory grew by {} KB",
        PUBLISHERS * MESSAGES_EACH,
        common::resident_bytes().saturating_sub(resident_before) / 1024
    );
}
