//! [`Subscription`]: Pub/Sub in process — subscribe to channels and patterns of a [`Store`] and
//! receive what is published to them, from any thread, with no server.

use std::time::{Duration, Instant};

use crate::connection::Connection;
use crate::reply::Reply;
use crate::store::Store;

/// A message published to a channel a [`Subscription`] listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The pattern that matched the channel, for a pattern subscription.
    pub pattern: Option<Vec<u8>>,
    /// The channel it was published to.
    pub channel: Vec<u8>,
    /// What was published.
    pub payload: Vec<u8>,
    /// Whether it came through a shard channel (SPUBLISH).
    pub sharded: bool,
}

impl Message {
    /// The payload as text (lossily, if it is not UTF-8).
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut news = store.subscribe(["news"]);
    /// store.publish("news", "hello")?;
    /// assert_eq!(news.recv()?.payload_str(), "hello");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn payload_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.payload)
    }

    /// The channel as text (lossily, if it is not UTF-8).
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sessions = store.psubscribe(["session:*"]);
    /// store.publish("session:42", "expired")?;
    /// assert_eq!(sessions.recv()?.channel_str(), "session:42");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn channel_str(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.channel)
    }

    /// A message from a push reply of the mailbox; `None` for a subscription confirmation.
    fn from_push(push: Reply) -> Option<Message> {
        let (Reply::Array(items) | Reply::Push(items)) = push else {
            return None;
        };
        let mut parts = items.into_iter().map(|item| match item {
            Reply::Bulk(bytes) => bytes,
            _ => Vec::new(),
        });
        let kind = parts.next()?;
        let (pattern, sharded) = match kind.as_slice() {
            b"message" => (None, false),
            b"smessage" => (None, true),
            b"pmessage" => (Some(parts.next()?), false),
            _ => return None,
        };
        Some(Message {
            pattern,
            channel: parts.next()?,
            payload: parts.next()?,
            sharded,
        })
    }
}

/// The subscription held more unread messages than a subscriber may (Redis's
/// `client-output-buffer-limit pubsub`: 32 MB at once, or 8 MB for 60 seconds) and was cut off:
/// its messages were dropped and it receives nothing more, as Redis disconnects such a client.
///
/// ```
/// use std::time::Duration;
/// use embedis::{Commands, CutOff, Store};
///
/// let store = Store::new();
/// store.set_subscriber_limit(4096, 0, Duration::ZERO);
/// let mut unread = store.subscribe(["news"]);
/// store.publish("news", vec![b'x'; 8192])?;
/// assert_eq!(unread.recv(), Err(CutOff));
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the subscription fell too far behind and was cut off (client-output-buffer-limit pubsub)")]
pub struct CutOff;

/// Subscriptions to channels, patterns and shard channels of a [`Store`], and the messages
/// published to them since, in the order they were published. Made by [`Store::subscribe`] or
/// [`Store::psubscribe`]; dropping it unsubscribes. It can be moved to another thread, and
/// receiving never holds the store's lock, so a slow reader costs publishers nothing; what it has
/// not read is bounded (see [`CutOff`]).
///
/// ```
/// use std::time::Duration;
/// use embedis::{Commands, Store};
///
/// let store = Store::new();
/// let mut orders = store.psubscribe(["orders.*"]);
/// let publisher = store.clone();
/// std::thread::spawn(move || publisher.publish("orders.eu", "#1001"));
/// let message = orders.recv_timeout(Duration::from_secs(5))?.expect("a message in time");
/// assert_eq!(message.channel_str(), "orders.eu");
/// assert_eq!(message.pattern.as_deref(), Some(&b"orders.*"[..]));
/// assert_eq!(message.payload_str(), "#1001");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Subscription {
    conn: Connection,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("client", &self.conn.id())
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// A subscription with nothing subscribed yet.
    pub(crate) fn new(store: &Store) -> Subscription {
        Subscription { conn: store.connect() }
    }

    /// Runs a subscription command with `names`.
    fn command<I, N>(&mut self, command: &str, names: I)
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        let mut argv: Vec<Vec<u8>> = vec![command.as_bytes().to_vec()];
        argv.extend(names.into_iter().map(|n| n.as_ref().to_vec()));
        // Without names SUBSCRIBE would answer an arity error: nothing to do.
        if argv.len() > 1 || command.ends_with("UNSUBSCRIBE") {
            self.conn.call(argv);
        }
    }

    /// Subscribes to more channels too.
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sub = store.subscribe(["a"]);
    /// sub.subscribe(["b", "c"]);
    /// assert_eq!(store.publish("c", "hi")?, 1);
    /// assert_eq!(sub.try_recv()?.map(|m| m.channel), Some(b"c".to_vec()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe<I, N>(&mut self, channels: I)
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        self.command("SUBSCRIBE", channels);
    }

    /// Subscribes to more patterns too (Redis's glob patterns: `*`, `?`, `[a-z]`, `\`).
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sub = store.subscribe(["exact"]);
    /// sub.psubscribe(["h?llo", "user:[0-9]*"]);
    /// assert_eq!(store.publish("hallo", "x")?, 1);
    /// assert_eq!(store.publish("user:7", "x")?, 1);
    /// assert_eq!(store.publish("user:x", "x")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn psubscribe<I, N>(&mut self, patterns: I)
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        self.command("PSUBSCRIBE", patterns);
    }

    /// Subscribes to shard channels (SPUBLISH's).
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sub = store.subscribe(["plain"]);
    /// sub.ssubscribe(["orders"]);
    /// assert_eq!(store.spublish("orders", "#1")?, 1);
    /// assert!(sub.try_recv()?.is_some_and(|m| m.sharded));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ssubscribe<I, N>(&mut self, channels: I)
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        self.command("SSUBSCRIBE", channels);
    }

    /// Unsubscribes from these channels (from every channel if none is given).
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sub = store.subscribe(["a", "b"]);
    /// sub.unsubscribe(["a"]);
    /// assert_eq!(store.publish("a", "x")?, 0);
    /// assert_eq!(store.publish("b", "x")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn unsubscribe<I, N>(&mut self, channels: I)
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        self.command("UNSUBSCRIBE", channels);
    }

    /// Unsubscribes from these patterns (from every pattern if none is given).
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sub = store.psubscribe(["a*", "b*"]);
    /// sub.punsubscribe(["a*"]);
    /// assert_eq!(store.publish("apple", "x")?, 0);
    /// assert_eq!(store.publish("banana", "x")?, 1);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn punsubscribe<I, N>(&mut self, patterns: I)
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        self.command("PUNSUBSCRIBE", patterns);
    }

    /// The next message, waiting for it as long as it takes.
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sub = store.subscribe(["jobs"]);
    /// let publisher = store.clone();
    /// std::thread::spawn(move || publisher.publish("jobs", "build"));
    /// assert_eq!(sub.recv()?.payload_str(), "build");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv(&mut self) -> Result<Message, CutOff> {
        loop {
            if let Some(message) = self.next_until(None)? {
                return Ok(message);
            }
        }
    }

    /// The next message, waiting up to `timeout`; `Ok(None)` if none came in time.
    ///
    /// ```
    /// use std::time::Duration;
    /// let store = embedis::Store::new();
    /// let mut quiet = store.subscribe(["nobody-publishes-here"]);
    /// assert_eq!(quiet.recv_timeout(Duration::from_millis(10))?, None);
    /// # Ok::<(), embedis::CutOff>(())
    /// ```
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Message>, CutOff> {
        self.next_until(Some(Instant::now() + timeout))
    }

    /// The next message if one is waiting, without waiting.
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sub = store.subscribe(["jobs"]);
    /// assert_eq!(sub.try_recv()?, None);
    /// store.publish("jobs", "build")?;
    /// assert_eq!(sub.try_recv()?.map(|m| m.payload), Some(b"build".to_vec()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&mut self) -> Result<Option<Message>, CutOff> {
        self.next_until(Some(Instant::now()))
    }

    /// The messages as they come, waiting for each; the iteration ends if the subscription is
    /// cut off.
    ///
    /// ```
    /// use embedis::Commands;
    /// let store = embedis::Store::new();
    /// let mut sub = store.subscribe(["ticks"]);
    /// for n in 0..3 {
    ///     store.publish("ticks", n.to_string())?;
    /// }
    /// let ticks: Vec<String> = sub.iter().take(3).map(|m| m.payload_str().into_owned()).collect();
    /// assert_eq!(ticks, ["0", "1", "2"]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn iter(&mut self) -> impl Iterator<Item = Message> + '_ {
        std::iter::from_fn(move || self.recv().ok())
    }

    /// The messages as a [`futures_core::Stream`] for async code (feature `async`; any executor,
    /// no runtime pulled in): each arrives as soon as it is published; the stream ends if the
    /// subscription is cut off. Dropping the stream unsubscribes.
    ///
    /// ```
    /// use std::future::{Future, poll_fn};
    /// use std::pin::Pin;
    /// use std::sync::Arc;
    /// use std::task::{Context, Poll, Wake, Waker};
    /// use embedis::{Commands, Store};
    /// use futures_core::Stream;
    ///
    /// // A tiny executor for the example; tokio's or any other runs the stream the same way.
    /// struct Unpark(std::thread::Thread);
    /// impl Wake for Unpark {
    ///     fn wake(self: Arc<Self>) {
    ///         self.0.unpark();
    ///     }
    /// }
    /// fn block_on<F: Future>(future: F) -> F::Output {
    ///     let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    ///     let mut cx = Context::from_waker(&waker);
    ///     let mut future = std::pin::pin!(future);
    ///     loop {
    ///         if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
    ///             return out;
    ///         }
    ///         std::thread::park();
    ///     }
    /// }
    ///
    /// let store = Store::new();
    /// let mut stream = store.subscribe(["jobs"]).into_stream();
    /// let publisher = store.clone();
    /// std::thread::spawn(move || publisher.publish("jobs", "build"));
    /// let message = block_on(poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)));
    /// assert_eq!(message.map(|m| m.payload), Some(b"build".to_vec()));
    /// ```
    #[cfg(feature = "async")]
    pub fn into_stream(self) -> MessageStream {
        MessageStream { subscription: self }
    }

    /// The next message until `deadline` (for ever with `None`), skipping subscription
    /// confirmations.
    fn next_until(&mut self, deadline: Option<Instant>) -> Result<Option<Message>, CutOff> {
        loop {
            match self.conn.recv_push_until(deadline) {
                Some(push) => {
                    if let Some(message) = Message::from_push(push) {
                        return Ok(Some(message));
                    }
                }
                None if self.conn.push_overflowed() => return Err(CutOff),
                None => return Ok(None),
            }
        }
    }
}

/// A [`Subscription`]'s messages as a [`futures_core::Stream`] (see
/// [`Subscription::into_stream`]).
///
/// ```
/// use std::pin::Pin;
/// use std::task::{Context, Poll, Waker};
/// use embedis::{Commands, Store};
/// use futures_core::Stream;
///
/// let store = Store::new();
/// let mut stream = store.subscribe(["ticks"]).into_stream();
/// let mut cx = Context::from_waker(Waker::noop());
/// assert!(Pin::new(&mut stream).poll_next(&mut cx).is_pending());
/// store.publish("ticks", "1")?;
/// assert!(matches!(Pin::new(&mut stream).poll_next(&mut cx), Poll::Ready(Some(_))));
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[cfg(feature = "async")]
#[derive(Debug)]
pub struct MessageStream {
    subscription: Subscription,
}

#[cfg(feature = "async")]
impl futures_core::Stream for MessageStream {
    type Item = Message;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Message>> {
        use std::task::Poll;
        let Some(mailbox) = self.subscription.conn.existing_mailbox() else {
            return Poll::Ready(None);
        };
        loop {
            match mailbox.poll_next(cx) {
                Poll::Ready(Some(push)) => {
                    if let Some(message) = Message::from_push(push) {
                        return Poll::Ready(Some(message));
                    }
                }
                other => return other.map(|_| None),
            }
        }
    }
}
