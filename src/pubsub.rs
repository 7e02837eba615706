//! Pub/Sub (Redis's `pubsub.c`): who subscribes to which channels, patterns and shard channels,
//! and the mailboxes their messages wait in.
//!
//! The [`Hub`] lives under the store's lock beside the keyspace, so a PUBLISH — from a client,
//! inside EXEC or a script — reaches subscribers in the order the lock orders the publishers.
//! Messages leave the lock as data: a publisher only appends a push reply to each subscriber's
//! [`Mailbox`]; whoever reads the mailbox (the server's event loop, an in-process
//! [`Subscription`](crate::Subscription), a [`Connection`](crate::Connection)'s
//! [`recv_push`](crate::Connection::recv_push)) takes it from there without the lock. A mailbox
//! that holds more than `client-output-buffer-limit pubsub` allows (32 MB at once, or 8 MB for 60
//! seconds, by default) is closed and its subscriber unsubscribed from everything, as Redis
//! disconnects such a client: a slow subscriber costs its own memory, bounded, never the
//! publisher's time.

use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use indexmap::{IndexMap, IndexSet};
use parking_lot::{Condvar, Mutex};

use crate::command::glob;
use crate::keyspace::{ClientId, Map};
use crate::reply::Reply;

/// The three kinds of subscription, each with its own commands and reply names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// SUBSCRIBE / UNSUBSCRIBE, messages `message`.
    Channel,
    /// PSUBSCRIBE / PUNSUBSCRIBE, messages `pmessage`.
    Pattern,
    /// SSUBSCRIBE / SUNSUBSCRIBE, messages `smessage`.
    Shard,
}

impl Kind {
    fn subscribed(self) -> &'static str {
        match self {
            Kind::Channel => "subscribe",
            Kind::Pattern => "psubscribe",
            Kind::Shard => "ssubscribe",
        }
    }

    fn unsubscribed(self) -> &'static str {
        match self {
            Kind::Channel => "unsubscribe",
            Kind::Pattern => "punsubscribe",
            Kind::Shard => "sunsubscribe",
        }
    }
}

/// `client-output-buffer-limit pubsub`: a subscriber whose unread messages reach `hard` bytes, or
/// stay above `soft` bytes for `soft_seconds`, is cut off (0 turns a bound off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutputLimit {
    pub(crate) hard: usize,
    pub(crate) soft: usize,
    pub(crate) soft_seconds: u64,
}

impl Default for OutputLimit {
    /// Redis's default: `pubsub 32mb 8mb 60`.
    fn default() -> OutputLimit {
        OutputLimit {
            hard: 32 << 20,
            soft: 8 << 20,
            soft_seconds: 60,
        }
    }
}

/// Where a subscriber's confirmations and messages wait, in order, as push replies.
#[derive(Default)]
pub(crate) struct Mailbox {
    /// Whether anything may be queued: read without the queue's lock after every command.
    pending: std::sync::atomic::AtomicBool,
    queue: Mutex<Queue>,
    arrived: Condvar,
    /// The task an async reader parked (`Subscription::into_stream`), woken on arrival.
    #[cfg(feature = "async")]
    waker: Mutex<Option<std::task::Waker>>,
    /// Called when something arrives in an empty mailbox (a server wakes its event loop).
    on_arrival: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// The protocol its reader speaks now, 2 or 3 (0 until told: RESP2), for invalidation
    /// messages, whose form depends on it (tracking.rs).
    protocol: std::sync::atomic::AtomicU8,
    /// Its reader has gone: a client redirecting invalidations here learns that its
    /// redirection is broken.
    gone: std::sync::atomic::AtomicBool,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Reply>,
    /// What the items would take on the wire, roughly: the bound applies to it.
    bytes: usize,
    /// Where the replies of the running command fall among the items: for each, how many items
    /// come before it (see [`Mailbox::mark_reply`]).
    marks: Vec<usize>,
    /// Bytes the reader took and has not written yet (a server's output buffer), counted
    /// against the bound with the queue's.
    unsent: usize,
    /// Since when the queue has been above the soft bound.
    soft_since: Option<Instant>,
    /// Cut off for holding too much: nothing more arrives.
    overflowed: bool,
}

impl Queue {
    /// Drops what it holds and takes nothing more.
    fn cut_off(&mut self) {
        self.overflowed = true;
        self.items.clear();
        self.bytes = 0;
    }
}

impl Mailbox {
    /// An empty mailbox.
    pub(crate) fn new() -> Arc<Mailbox> {
        Arc::new(Mailbox::default())
    }

    /// Calls `wake` whenever something arrives in the empty mailbox (set once).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn on_arrival(&self, wake: impl Fn() + Send + Sync + 'static) {
        let _ = self.on_arrival.set(Box::new(wake));
    }

    /// Appends `item`, and answers whether it was taken and whether the mailbox is now over its
    /// bound (it then drops what it held and takes nothing more).
    /// Delivers `item` within `limit`; false once the mailbox is cut off (its client is to go).
    pub(crate) fn deliver_within(&self, item: Reply, limit: OutputLimit) -> bool {
        self.deliver(item, limit) == Delivery::Taken
    }

    fn deliver(&self, item: Reply, limit: OutputLimit) -> Delivery {
        let mut queue = self.queue.lock();
        if queue.overflowed {
            return Delivery::Closed;
        }
        let was_empty = queue.items.is_empty();
        queue.bytes += wire_size(&item);
        queue.items.push_back(item);
        self.pending.store(true, std::sync::atomic::Ordering::Release);
        let held = queue.bytes + queue.unsent;
        let now = Instant::now();
        let over_soft = limit.soft > 0 && held > limit.soft;
        if !over_soft {
            queue.soft_since = None;
        }
        let soft_for = match (over_soft, queue.soft_since) {
            (true, Some(since)) => now.duration_since(since),
            (true, None) => {
                queue.soft_since = Some(now);
                Duration::ZERO
            }
            (false, _) => Duration::ZERO,
        };
        let overflowed =
            (limit.hard > 0 && held > limit.hard) || (over_soft && soft_for >= Duration::from_secs(limit.soft_seconds));
        if overflowed {
            queue.cut_off();
        }
        drop(queue);
        self.signal(was_empty || overflowed);
        if overflowed {
            Delivery::Overflowed
        } else {
            Delivery::Taken
        }
    }

    /// Appends `item` with no bound (an invalidation message: Redis bounds a normal client's
    /// output by `client-output-buffer-limit normal`, unbounded by default).
    pub(crate) fn push(&self, item: Reply) {
        self.deliver(
            item,
            OutputLimit {
                hard: 0,
                soft: 0,
                soft_seconds: 0,
            },
        );
    }

    /// Tells the mailbox its reader's protocol (2 or 3).
    pub(crate) fn set_protocol(&self, protocol: u8) {
        self.protocol.store(protocol, std::sync::atomic::Ordering::Relaxed);
    }

    /// Its reader's protocol: 2 or 3.
    pub(crate) fn protocol(&self) -> u8 {
        self.protocol.load(std::sync::atomic::Ordering::Relaxed).max(2)
    }

    /// Its reader has gone.
    pub(crate) fn mark_gone(&self) {
        self.gone.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether its reader has gone.
    pub(crate) fn is_gone(&self) -> bool {
        self.gone.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Appends confirmations, which the bound does not refuse (they answer the subscriber's own
    /// command: those beyond the first, which is the command's reply).
    pub(crate) fn confirm(&self, items: impl IntoIterator<Item = Reply>) {
        let mut queue = self.queue.lock();
        let was_empty = queue.items.is_empty();
        for item in items {
            queue.bytes += wire_size(&item);
            queue.items.push_back(item);
        }
        let arrived = !queue.items.is_empty();
        if arrived {
            self.pending.store(true, std::sync::atomic::Ordering::Release);
        }
        drop(queue);
        if arrived {
            self.arrived.notify_all();
            self.wake_task();
            if was_empty && let Some(wake) = self.on_arrival.get() {
                wake();
            }
        }
    }

    /// Notes, under the store's lock, that what is queued now comes before the reply being
    /// made and what arrives later after it: once as a command ends, and for EXEC once as it
    /// starts (its array's header) and once after each command it runs (each element). Only a
    /// mailbox whose reader writes replies and pushes into one stream (a server's client, which
    /// set [`Mailbox::on_arrival`]) keeps marks.
    pub(crate) fn mark_reply(&self) {
        if self.on_arrival.get().is_none() {
            return;
        }
        let mut queue = self.queue.lock();
        let at = queue.items.len();
        queue.marks.push(at);
        self.pending.store(true, std::sync::atomic::Ordering::Release);
    }

    /// The items that go before each reply marked by [`Mailbox::mark_reply`], one group per
    /// mark, in order; what came after the last mark stays.
    pub(crate) fn take_marked(&self) -> Vec<Vec<Reply>> {
        let mut queue = self.queue.lock();
        let marks = std::mem::take(&mut queue.marks);
        let mut taken = 0;
        let mut groups = Vec::with_capacity(marks.len());
        for mark in marks {
            let count = mark.saturating_sub(taken).min(queue.items.len());
            let group: Vec<Reply> = queue.items.drain(..count).collect();
            queue.bytes -= group.iter().map(wire_size).sum::<usize>();
            taken += count;
            groups.push(group);
        }
        groups
    }

    /// Whether anything may be queued (cheap: no lock).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn pending(&self) -> bool {
        self.pending.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Everything queued, without waiting.
    pub(crate) fn take_all(&self) -> Vec<Reply> {
        self.pending.store(false, std::sync::atomic::Ordering::Release);
        let mut queue = self.queue.lock();
        queue.bytes = 0;
        queue.marks.clear();
        queue.items.drain(..).collect()
    }

    /// The next item, waiting until `deadline` (for ever with `None`); `None` when the time
    /// passed, or at once when the mailbox overflowed and is empty.
    pub(crate) fn next(&self, deadline: Option<Instant>) -> Option<Reply> {
        let mut queue = self.queue.lock();
        loop {
            if let Some(item) = queue.items.pop_front() {
                queue.bytes -= wire_size(&item);
                return Some(item);
            }
            if queue.overflowed {
                return None;
            }
            match deadline {
                Some(deadline) => {
                    if self.arrived.wait_until(&mut queue, deadline).timed_out() && queue.items.is_empty() {
                        return None;
                    }
                }
                None => self.arrived.wait(&mut queue),
            }
        }
    }

    /// Wakes the async reader's task, if one waits.
    fn wake_task(&self) {
        #[cfg(feature = "async")]
        if let Some(waker) = self.waker.lock().take() {
            waker.wake();
        }
    }

    /// The next item for an async reader: ready if one waits (or `None` once cut off and
    /// empty), else the task is parked until something arrives.
    #[cfg(feature = "async")]
    pub(crate) fn poll_next(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Reply>> {
        use std::task::Poll;
        // The waker is set before looking, so that an arrival in between wakes the task.
        *self.waker.lock() = Some(cx.waker().clone());
        let mut queue = self.queue.lock();
        if let Some(item) = queue.items.pop_front() {
            queue.bytes -= wire_size(&item);
            return Poll::Ready(Some(item));
        }
        if queue.overflowed {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    /// Cuts the mailbox off as an overflow does: it takes nothing more, and its client is to be
    /// closed.
    pub(crate) fn cut_off(&self) {
        self.queue.lock().cut_off();
        self.signal(true);
    }

    /// Wakes whoever reads the mailbox, with nothing new in it: a replica's held stream can go
    /// (its full sync's payload is ready).
    pub(crate) fn wake(&self) {
        self.signal(true);
    }

    /// Wakes whoever reads the mailbox: a blocked `recv`, an async task and, when `the_loop`,
    /// the server's event loop (which needs telling only when the mailbox turns non-empty or is
    /// cut off).
    fn signal(&self, the_loop: bool) {
        self.arrived.notify_all();
        self.wake_task();
        if the_loop && let Some(wake) = self.on_arrival.get() {
            wake();
        }
    }

    /// Whether the mailbox was cut off for holding more than its bound.
    pub(crate) fn overflowed(&self) -> bool {
        self.queue.lock().overflowed
    }

    /// Tells the mailbox how many bytes its reader holds unwritten (a server client's output
    /// buffer), which count against the bound.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn set_unsent(&self, bytes: usize) {
        self.queue.lock().unsent = bytes;
    }
}

/// What became of a message handed to a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delivery {
    Taken,
    /// Taken, and the mailbox is now over its bound: its subscriber is cut off (the message
    /// still counts as received, as Redis counts it before closing the client).
    Overflowed,
    /// The mailbox was already cut off.
    Closed,
}

impl Delivery {
    /// 1 if the message counts as received; notes `client` among the `overflowed` to cut off.
    fn count(self, client: ClientId, overflowed: &mut Vec<ClientId>) -> i64 {
        if self != Delivery::Taken {
            overflowed.push(client);
        }
        i64::from(self != Delivery::Closed)
    }
}

/// Roughly what a push reply takes on the wire: its bulk strings and a few bytes of framing each.
fn wire_size(reply: &Reply) -> usize {
    match reply {
        Reply::Push(items) | Reply::Array(items) => 4 + items.iter().map(wire_size).sum::<usize>(),
        Reply::Bulk(bytes) => 8 + bytes.len(),
        _ => 8,
    }
}

/// One subscriber: its mailbox and what it subscribes to, each in the order it subscribed.
struct Subscriber {
    mailbox: Arc<Mailbox>,
    channels: IndexSet<Vec<u8>>,
    patterns: IndexSet<Vec<u8>>,
    shard: IndexSet<Vec<u8>>,
}

impl Subscriber {
    fn names(&mut self, kind: Kind) -> &mut IndexSet<Vec<u8>> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// The count a confirmation reports: channels and patterns together; shard channels apart.
    fn count(&self, kind: Kind) -> i64 {
        match kind {
            Kind::Shard => self.shard.len() as i64,
            _ => (self.channels.len() + self.patterns.len()) as i64,
        }
    }

    fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.patterns.is_empty() && self.shard.is_empty()
    }
}

/// Every subscription of a store.
#[derive(Default)]
pub(crate) struct Hub {
    /// Subscribers of each channel, pattern and shard channel, in the order they subscribed
    /// (patterns themselves in the order they were first subscribed to).
    channels: Registry,
    patterns: Registry,
    shard: Registry,
    subscribers: Map<ClientId, Subscriber>,
    limit: OutputLimit,
    /// MONITOR's clients, in the order they started monitoring, and their mailboxes.
    monitors: Vec<(ClientId, Arc<Mailbox>)>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("channels", &self.channels.len())
            .field("patterns", &self.patterns.len())
            .field("subscribers", &self.subscribers.len())
            .finish_non_exhaustive()
    }
}

impl Hub {
    fn registry(&mut self, kind: Kind) -> &mut Registry {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    /// SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE: subscribes `client` (whose messages go to `mailbox`)
    /// to each of `names`; answers a confirmation for each, with the count after it.
    pub(crate) fn subscribe(
        &mut self,
        client: ClientId,
        mailbox: &Arc<Mailbox>,
        kind: Kind,
        names: &[&[u8]],
    ) -> Vec<Reply> {
        let mut replies = Vec::with_capacity(names.len());
        for name in names {
            let subscriber = self.subscribers.entry(client).or_insert_with(|| Subscriber {
                mailbox: Arc::clone(mailbox),
                channels: IndexSet::new(),
                patterns: IndexSet::new(),
                shard: IndexSet::new(),
            });
            let added = subscriber.names(kind).insert(name.to_vec());
            let count = subscriber.count(kind);
            if added {
                add_subscriber(self.registry(kind), name, client);
            }
            replies.push(confirmation(kind.subscribed(), Some(name), count));
        }
        replies
    }

    /// UNSUBSCRIBE, PUNSUBSCRIBE, SUNSUBSCRIBE: from each of `names`, or from every one of the
    /// kind (in the order subscribed) when `names` is empty; a confirmation each, and one with
    /// a nil name when there was nothing to leave.
    pub(crate) fn unsubscribe(&mut self, client: ClientId, kind: Kind, names: &[&[u8]]) -> Vec<Reply> {
        let names: Vec<Vec<u8>> = if names.is_empty() {
            self.subscribers
                .get_mut(&client)
                .map(|s| s.names(kind).iter().cloned().collect())
                .unwrap_or_default()
        } else {
            names.iter().map(|n| n.to_vec()).collect()
        };
        let mut replies = Vec::with_capacity(names.len().max(1));
        for name in &names {
            let count = match self.subscribers.get_mut(&client) {
                Some(subscriber) => {
                    if subscriber.names(kind).shift_remove(name) {
                        remove_subscriber(self.registry(kind), name, client);
                    }
                    self.subscribers[&client].count(kind)
                }
                None => 0,
            };
            replies.push(confirmation(kind.unsubscribed(), Some(name), count));
        }
        if names.is_empty() {
            let count = self.subscribers.get(&client).map_or(0, |s| s.count(kind));
            replies.push(confirmation(kind.unsubscribed(), None, count));
        }
        if self.subscribers.get(&client).is_some_and(Subscriber::is_empty) {
            self.subscribers.remove(&client);
        }
        replies
    }

    /// MONITOR: from now on `client` receives a line for every command run (see
    /// [`Hub::feed_monitors`]).
    pub(crate) fn monitor(&mut self, client: ClientId, mailbox: &Arc<Mailbox>) {
        if !self.monitors.iter().any(|(c, _)| *c == client) {
            self.monitors.push((client, Arc::clone(mailbox)));
        }
    }

    /// Whether anyone monitors.
    pub(crate) fn monitored(&self) -> bool {
        !self.monitors.is_empty()
    }

    /// Sends MONITOR's line for one command — `+<seconds>.<micros> [<db> <client>] "arg" …` —
    /// to every monitor. A monitor is bound as Redis bounds replicas' output (256 MB at once,
    /// 64 MB for 60 seconds), and cut off past it.
    pub(crate) fn feed_monitors(&mut self, db: usize, client: &str, argv: &crate::argv::Argv) {
        if self.monitors.is_empty() {
            return;
        }
        // The wall clock's time, as Redis's `gettimeofday` (not the store's clock).
        let unix_micros = crate::clock::system_micros();
        let mut line = format!(
            "{}.{:06} [{db} {client}]",
            unix_micros.div_euclid(1_000_000),
            unix_micros.rem_euclid(1_000_000)
        );
        for arg in argv.iter() {
            line.push(' ');
            quote_into(&mut line, arg);
        }
        let limit = OutputLimit {
            hard: 256 << 20,
            soft: 64 << 20,
            soft_seconds: 60,
        };
        let item = Reply::Status(line.into());
        self.monitors
            .retain(|(_, mailbox)| mailbox.deliver(item.clone(), limit) == Delivery::Taken);
    }

    /// Drops every subscription of `client`, telling it nothing (RESET, a client leaving, an
    /// overflowed mailbox).
    pub(crate) fn leave(&mut self, client: ClientId) {
        self.monitors.retain(|(c, _)| *c != client);
        let Some(subscriber) = self.subscribers.remove(&client) else {
            return;
        };
        for name in &subscriber.channels {
            remove_subscriber(&mut self.channels, name, client);
        }
        for name in &subscriber.patterns {
            remove_subscriber(&mut self.patterns, name, client);
        }
        for name in &subscriber.shard {
            remove_subscriber(&mut self.shard, name, client);
        }
    }

    /// Whether `client` subscribes to a channel (or shard channel) or pattern `allowed` refuses:
    /// `allowed(name, is_pattern)`.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn subscribes_beyond(&self, client: ClientId, allowed: impl Fn(&[u8], bool) -> bool) -> bool {
        self.subscribers.get(&client).is_some_and(|s| {
            s.channels.iter().chain(&s.shard).any(|c| !allowed(c, false))
                || s.patterns.iter().any(|p| !allowed(p, true))
        })
    }

    /// How many subscriptions `client` has: (channels and patterns, shard channels).
    /// The mailbox of `client` if it subscribes to something or monitors.
    pub(crate) fn mailbox_of(&self, client: ClientId) -> Option<Arc<Mailbox>> {
        let subscriber = self.subscribers.get(&client).map(|s| &s.mailbox);
        let monitor = || self.monitors.iter().find(|(c, _)| *c == client).map(|(_, m)| m);
        subscriber.or_else(monitor).map(Arc::clone)
    }

    pub(crate) fn subscriptions(&self, client: ClientId) -> (usize, usize) {
        self.subscribers
            .get(&client)
            .map_or((0, 0), |s| (s.channels.len() + s.patterns.len(), s.shard.len()))
    }

    /// How many of each kind `client` has: (channels, patterns, shard channels), for CLIENT LIST.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn counts(&self, client: ClientId) -> (usize, usize, usize) {
        self.subscribers
            .get(&client)
            .map_or((0, 0, 0), |s| (s.channels.len(), s.patterns.len(), s.shard.len()))
    }

    /// Marks where the reply of `client`'s running command falls among its messages (see
    /// [`Mailbox::mark_reply`]), if it subscribes to anything; answers whether it did.
    pub(crate) fn mark_reply(&self, client: ClientId) -> bool {
        if self.subscribers.is_empty() {
            return false;
        }
        match self.subscribers.get(&client) {
            Some(subscriber) => {
                subscriber.mailbox.mark_reply();
                true
            }
            None => false,
        }
    }

    /// PUBLISH (or SPUBLISH, `shard`): queues the message for the channel's subscribers, then
    /// (not for shard channels) for each subscriber of each matching pattern; answers how many
    /// received it. A subscriber whose mailbox overflows is unsubscribed from everything.
    pub(crate) fn publish(&mut self, channel: &[u8], payload: &[u8], shard: bool) -> i64 {
        if self.subscribers.is_empty() {
            return 0;
        }
        let limit = self.limit;
        let mut receivers = 0;
        let mut overflowed = Vec::new();
        let name = if shard { "smessage" } else { "message" };
        let direct = if shard {
            self.shard.get(channel)
        } else {
            self.channels.get(channel)
        };
        for client in direct.into_iter().flatten() {
            let item = Reply::Push(vec![Reply::bulk(name), Reply::bulk(channel), Reply::bulk(payload)]);
            receivers += self.subscribers[client]
                .mailbox
                .deliver(item, limit)
                .count(*client, &mut overflowed);
        }
        if !shard {
            for (pattern, clients) in &self.patterns {
                if !glob::matches(pattern, channel) {
                    continue;
                }
                for client in clients {
                    let item = Reply::Push(vec![
                        Reply::bulk("pmessage"),
                        Reply::bulk(pattern.as_slice()),
                        Reply::bulk(channel),
                        Reply::bulk(payload),
                    ]);
                    receivers += self.subscribers[client]
                        .mailbox
                        .deliver(item, limit)
                        .count(*client, &mut overflowed);
                }
            }
        }
        for client in overflowed {
            self.leave(client);
        }
        receivers
    }

    /// PUBSUB CHANNELS / SHARDCHANNELS: the channels with subscribers, those matching `pattern`
    /// if given.
    pub(crate) fn active(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let registry = if shard { &self.shard } else { &self.channels };
        registry
            .keys()
            .filter(|name| pattern.is_none_or(|p| glob::matches(p, name)))
            .cloned()
            .collect()
    }

    /// PUBSUB NUMSUB / SHARDNUMSUB: how many subscribe to `channel` (patterns aside).
    pub(crate) fn numsub(&self, shard: bool, channel: &[u8]) -> usize {
        let registry = if shard { &self.shard } else { &self.channels };
        registry.get(channel).map_or(0, Vec::len)
    }

    /// How many channels, patterns and shard channels have subscribers (INFO's
    /// `pubsub_channels`, `pubsub_patterns`, `pubsubshard_channels`).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn sizes(&self) -> (usize, usize, usize) {
        (self.channels.len(), self.patterns.len(), self.shard.len())
    }

    /// PUBSUB NUMPAT: how many patterns have subscribers.
    pub(crate) fn numpat(&self) -> usize {
        self.patterns.len()
    }

    /// The `client-output-buffer-limit pubsub` bound.
    pub(crate) fn set_limit(&mut self, limit: OutputLimit) {
        self.limit = limit;
    }
}

/// `arg` quoted as Redis's `sdscatrepr` quotes it: in double quotes, with `\\`, `\"`, `\n`,
/// `\r`, `\t`, `\a`, `\b` escaped and other unprintable bytes as `\xHH`.
fn quote_into(out: &mut String, arg: &[u8]) {
    out.push('"');
    for &byte in arg {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            b => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

/// A subscription confirmation: `[kind, name or nil, count]`.
fn confirmation(kind: &'static str, name: Option<&[u8]>, count: i64) -> Reply {
    Reply::Push(vec![
        Reply::bulk(kind),
        name.map_or(Reply::Nil, Reply::bulk),
        Reply::Integer(count),
    ])
}

/// Each channel's (or pattern's) subscribers, in the order they subscribed; names in the order
/// they were first subscribed to.
type Registry = IndexMap<Vec<u8>, Vec<ClientId>>;

fn add_subscriber(registry: &mut Registry, name: &[u8], client: ClientId) {
    registry.entry(name.to_vec()).or_default().push(client);
}

fn remove_subscriber(registry: &mut Registry, name: &[u8], client: ClientId) {
    if let Some(clients) = registry.get_mut(name) {
        clients.retain(|c| *c != client);
        if clients.is_empty() {
            registry.shift_remove(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(replies: &[Reply]) -> Vec<String> {
        replies.iter().map(|r| format!("{r:?}")).collect()
    }

    #[test]
    fn subscribers_receive_in_order_and_counts_follow() {
        let mut hub = Hub::default();
        let (a, b) = (Mailbox::new(), Mailbox::new());
        hub.subscribe(1, &a, Kind::Channel, &[b"news", b"news"]);
        hub.subscribe(2, &b, Kind::Pattern, &[b"n*"]);
        a.take_all();
        b.take_all();
        assert_eq!(hub.publish(b"news", b"one", false), 2);
        assert_eq!(hub.publish(b"other", b"two", false), 0);
        assert_eq!(hub.numsub(false, b"news"), 1, "subscribing twice counts once");
        assert_eq!(hub.numpat(), 1);
        assert_eq!(a.take_all().len(), 1);
        assert_eq!(
            b.take_all(),
            [Reply::Push(vec![
                Reply::bulk("pmessage"),
                Reply::bulk("n*"),
                Reply::bulk("news"),
                Reply::bulk("one")
            ])]
        );
        let left = hub.unsubscribe(1, Kind::Channel, &[]);
        assert_eq!(names(&left).len(), 1);
        assert_eq!(hub.subscriptions(1), (0, 0));
        assert_eq!(hub.active(false, None), Vec::<Vec<u8>>::new());
    }

    #[test]
    fn an_overflowing_mailbox_is_cut_off_and_unsubscribed() {
        let mut hub = Hub::default();
        hub.set_limit(OutputLimit {
            hard: 1000,
            soft: 0,
            soft_seconds: 0,
        });
        let slow = Mailbox::new();
        hub.subscribe(7, &slow, Kind::Channel, &[b"c"]);
        let mut delivered = 0;
        while hub.publish(b"c", &[b'x'; 100], false) == 1 {
            delivered += 1;
        }
        assert!(delivered < 10);
        assert!(slow.overflowed());
        assert_eq!(hub.subscriptions(7), (0, 0));
        assert_eq!(slow.next(Some(Instant::now())), None, "what it held is dropped");
    }
}
