//! The in-process Pub/Sub API (`Store::subscribe`, `Subscription`): every subscriber receives
//! every message of its channels and patterns, each publisher's in its order, across threads;
//! dropping a subscription unsubscribes; a subscriber that falls too far behind is cut off and
//! the others go on.

use std::collections::HashMap;
use std::thread;
use std::time::Duration;

use embedis::{Commands, CutOff, Store};

#[test]
fn every_subscriber_gets_every_message_in_each_publishers_order() {
    const PUBLISHERS: usize = 8;
    const MESSAGES: usize = 2_000;
    let store = Store::new();
    let subscribers: Vec<_> = (0..4)
        .map(|i| {
            let mut subscription = if i % 2 == 0 {
                store.subscribe(["events"])
            } else {
                store.psubscribe(["ev*"])
            };
            thread::spawn(move || {
                let mut next = HashMap::new();
                for _ in 0..PUBLISHERS * MESSAGES {
                    let message = subscription
                        .recv_timeout(Duration::from_secs(30))
                        .expect("not cut off")
                        .expect("a message in time");
                    let text = message.payload_str().into_owned();
                    let (publisher, n) = text.split_once(':').unwrap();
                    let expected = next.entry(publisher.to_string()).or_insert(0usize);
                    assert_eq!(n.parse::<usize>().unwrap(), *expected, "publisher {publisher}'s order");
                    *expected += 1;
                }
                assert_eq!(subscription.try_recv(), Ok(None), "nothing more");
            })
        })
        .collect();
    let publishers: Vec<_> = (0..PUBLISHERS)
        .map(|p| {
            let store = store.clone();
            thread::spawn(move || {
                for n in 0..MESSAGES {
                    assert_eq!(store.publish("events", format!("{p}:{n}")).unwrap(), 4);
                }
            })
        })
        .collect();
    for handle in publishers.into_iter().chain(subscribers) {
        handle.join().unwrap();
    }
}

#[test]
fn dropping_a_subscription_unsubscribes_it() {
    let store = Store::new();
    let first = store.subscribe(["c"]);
    let mut second = store.subscribe(["c"]);
    assert_eq!(store.publish("c", "both").unwrap(), 2);
    drop(first);
    assert_eq!(store.publish("c", "one").unwrap(), 1);
    let payloads: Vec<String> = second.iter().take(2).map(|m| m.payload_str().into_owned()).collect();
    assert_eq!(payloads, ["both", "one"]);
    second.unsubscribe::<[&str; 0], &str>([]);
    assert_eq!(store.publish("c", "none").unwrap(), 0);
}

#[test]
fn a_subscriber_that_falls_behind_is_cut_off_and_the_others_go_on() {
    let store = Store::new();
    store.set_subscriber_limit(100_000, 0, Duration::ZERO);
    let mut stalled = store.subscribe(["feed"]);
    let mut reader = store.subscribe(["feed"]);
    let payload = vec![b'x'; 10_000];
    for _ in 0..50 {
        store.publish("feed", &payload).unwrap();
        assert_eq!(reader.try_recv().unwrap().map(|m| m.payload.len()), Some(10_000));
    }
    assert_eq!(stalled.try_recv(), Err(CutOff));
    assert_eq!(stalled.recv(), Err(CutOff), "cut off for good");
    assert_eq!(store.publish("feed", "small").unwrap(), 1, "only the reader is left");
}

#[test]
fn patterns_channels_and_shard_channels_say_what_they_are() {
    let store = Store::new();
    let mut all = store.psubscribe(["news.*"]);
    all.subscribe(["news.tech"]);
    let mut shards = store.ssubscribe(["orders"]);
    assert_eq!(store.publish("news.tech", "rust").unwrap(), 2);
    let direct = all.try_recv().unwrap().unwrap();
    let matched = all.try_recv().unwrap().unwrap();
    assert_eq!((direct.pattern, direct.sharded), (None, false));
    assert_eq!(matched.pattern.as_deref(), Some(&b"news.*"[..]));
    assert_eq!(store.publish("orders", "plain").unwrap(), 0, "shard channels are apart");
    assert_eq!(store.spublish("orders", "#1").unwrap(), 1);
    let order = shards.try_recv().unwrap().unwrap();
    assert!(order.sharded);
    assert_eq!(order.payload, b"#1");
    all.punsubscribe(["news.*"]);
    assert_eq!(store.publish("news.tech", "again").unwrap(), 1);
}

#[test]
fn publishing_inside_multi_and_atomic_reaches_subscribers() {
    let store = Store::new();
    let mut sub = store.subscribe(["tx"]);
    store.multi().publish("tx", "one").publish("tx", "two").exec().unwrap();
    store.atomic(|db| db.publish("tx", "three")).unwrap();
    let payloads: Vec<String> = sub.iter().take(3).map(|m| m.payload_str().into_owned()).collect();
    assert_eq!(payloads, ["one", "two", "three"]);
}

#[test]
fn expired_events_come_with_no_command_running() {
    use embedis::Clock;
    let clock = Clock::manual();
    let store = Store::with_clock(clock.clone());
    store.set_notify_keyspace_events("Ex").unwrap();
    let mut expired = store.subscribe(["__keyevent@0__:expired"]);
    store.set_ex("job:1", "running", 30).unwrap();
    clock.advance(Duration::from_secs(31));
    // No command runs: the background expiry finds the key.
    let message = expired
        .recv_timeout(Duration::from_secs(5))
        .unwrap()
        .expect("an expired event");
    assert_eq!(message.payload, b"job:1");
}

#[test]
fn notify_keyspace_events_refuses_unknown_letters() {
    let store = Store::new();
    let error = store.set_notify_keyspace_events("KQ").unwrap_err();
    assert_eq!(
        error.to_string(),
        "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
    );
}

/// `Subscription::into_stream`: the messages as a `Stream` for async code, in order, woken as
/// they are published from other threads; the stream ends when the subscription is cut off.
#[cfg(feature = "async")]
mod stream {
    use std::future::{Future, poll_fn};
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use embedis::{Commands, Store};
    use futures_core::Stream;

    /// A minimal executor: polls, and parks the thread until woken.
    fn block_on<F: Future>(future: F) -> F::Output {
        struct Unpark(std::thread::Thread);
        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        let mut future = std::pin::pin!(future);
        loop {
            if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
                return out;
            }
            std::thread::park();
        }
    }

    #[test]
    fn a_stream_yields_every_message_in_order() {
        let store = Store::new();
        let mut stream = store.psubscribe(["jobs.*"]).into_stream();
        let publisher = store.clone();
        std::thread::spawn(move || {
            for n in 0..1000 {
                publisher.publish(format!("jobs.{}", n % 3), n.to_string()).unwrap();
            }
        });
        for n in 0..1000 {
            let message = block_on(poll_fn(|cx| Pin::new(&mut stream).poll_next(cx))).expect("a message");
            assert_eq!(message.payload_str(), n.to_string());
        }
    }

    #[test]
    fn a_cut_off_stream_ends() {
        let store = Store::new();
        store.set_subscriber_limit(10_000, 0, std::time::Duration::ZERO);
        let mut stream = store.subscribe(["feed"]).into_stream();
        for _ in 0..20 {
            store.publish("feed", vec![b'x'; 1000]).unwrap();
        }
        assert!(block_on(poll_fn(|cx| Pin::new(&mut stream).poll_next(cx))).is_none());
    }
}
