//! [`Store`], the shared handle: what its clones share, new connections, and its typed calls. Its
//! transactions live in `transaction` ([`Store::watch`], [`Store::multi`],
//! [`Store::transaction`]) and `atomic` ([`Store::atomic`]).

use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::command::Caller;
use crate::command::table::{self, Run};
use crate::connection::Connection;
use crate::direct::Direct;
use crate::error::CommandError;
use crate::keyspace::{EvictionPolicy, Keyspace};
use crate::reply::Reply;
use crate::runner::Shared;
use crate::subscription::Subscription;
use crate::typed::{Commands, Request};
use crate::watchdog::ScriptKind;

/// An in-process Redis keyspace: sixteen databases of strings, lists and hashes with Redis's
/// commands, transactions and expiry.
///
/// `Store` is cheap to clone and `Send + Sync`; clones share one keyspace behind one
/// `parking_lot::Mutex`. Every typed call on the store is atomic on its own and runs in database 0;
/// [`Store::connect`] gives a [`Connection`] with its own selected database and raw Redis replies.
///
/// ```
/// use embedis::{Commands, Store};
///
/// let store = Store::new();
/// let worker = store.clone();
/// std::thread::spawn(move || worker.incr("jobs")).join().unwrap()?;
/// assert_eq!(store.get_as::<Option<i64>>("jobs")?, Some(1));
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Clone)]
pub struct Store {
    /// Held by this store's handles (its clones) alone: the last to go saves a store opened in a
    /// directory before its drop returns (declared first, so dropped before `shared`).
    handles: Arc<LastHandle>,
    pub(crate) shared: Arc<Shared>,
}

/// A handle of a store held by what serves it without being a [`Store`] (a [`Connection`] and
/// what is built on one): the store is not let go, nor saved as let go, while one is held.
#[derive(Clone)]
pub(crate) struct Handle(#[allow(dead_code)] Arc<LastHandle>);

/// What the last handle of a store does as it goes: stops the store's listener, if it has one
/// ([`StoreBuilder::replication_listener`]), and saves the store, if it was opened in a
/// directory, on the application's thread and at once. Without it, the save would be left to
/// whoever lets go of the data last — maybe a background save's thread that holds it a moment
/// longer, which a process ending right after the drop would not wait for.
struct LastHandle {
    shared: std::sync::Weak<Shared>,
    /// The server the builder started over the store, serving it through handles of its own
    /// (which do not count: they would keep the store alive for ever).
    #[cfg(feature = "server")]
    listener: parking_lot::Mutex<Option<crate::server::Server>>,
}

impl LastHandle {
    fn of(shared: &Arc<Shared>) -> LastHandle {
        LastHandle {
            shared: Arc::downgrade(shared),
            #[cfg(feature = "server")]
            listener: parking_lot::Mutex::new(None),
        }
    }

    /// For handles that do not count (the listener's own).
    #[cfg(feature = "server")]
    fn none() -> LastHandle {
        LastHandle {
            shared: std::sync::Weak::new(),
            listener: parking_lot::Mutex::new(None),
        }
    }
}

impl Drop for LastHandle {
    fn drop(&mut self) {
        #[cfg(feature = "server")]
        if let Some(server) = self.listener.get_mut().take() {
            server.stop_without_saving();
        }
        if let Some(shared) = self.shared.upgrade() {
            shared.save_on_last_drop();
        }
    }
}

impl Default for Store {
    fn default() -> Store {
        Store::new()
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("clock", &self.shared.clock)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// An empty store on the system clock.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// assert_eq!(store.dbsize()?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn new() -> Store {
        Store::with_clock(Clock::system())
    }

    /// An empty store reading time from `clock`: [`Clock::manual`] lets tests move time by hand.
    ///
    /// ```
    /// use std::time::Duration;
    /// use embedis::{Clock, Commands, Store};
    ///
    /// let clock = Clock::manual();
    /// let store = Store::with_clock(clock.clone());
    /// store.set_px("lock", "me", 500)?;
    /// clock.advance(Duration::from_millis(501));
    /// assert_eq!(store.exists("lock")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn with_clock(clock: Clock) -> Store {
        Store::builder().clock(clock).build()
    }

    /// A store persisting in the directory `dir` (which must exist), as a Redis server with
    /// `dir` set: its `dump.rdb` is loaded now if it is there — an RDB file redis-server wrote, or
    /// embedis — [`Store::save`] (and SAVE, BGSAVE) write it, and dropping the store's last
    /// handle saves it too ([`Store::close`] says whether that save worked). A file Redis would
    /// refuse is an error with Redis's reason.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let dir = std::env::temp_dir().join(format!("embedis-open-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let store = Store::open(&dir)?;
    /// store.set("greeting", "hello").unwrap();
    /// drop(store); // saved
    /// let store = Store::open(&dir)?;
    /// assert_eq!(store.get("greeting").unwrap(), Some("hello".to_string()));
    /// # store.close()?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open(dir: impl AsRef<std::path::Path>) -> std::io::Result<Store> {
        Store::builder().open(dir)
    }

    /// Writes the store's RDB file where it persists (SAVE); a store that does not persist has
    /// nothing to write.
    ///
    /// ```
    /// let store = embedis::Store::new();
    /// store.save()?; // nothing to write: a store made with `new` keeps nothing on disk
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn save(&self) -> Result<(), CommandError> {
        self.cmd(["SAVE"])
    }

    /// Starts a background save (BGSAVE) of the data as it is now, where the store persists: a
    /// thread takes its snapshot in steps of about a millisecond, copying on write what is
    /// changed meanwhile, so other callers hardly wait, then writes the file.
    /// [`Store::saving_in_background`] tells when it is done. One at a time: a second answers
    /// Redis's `ERR Background save already in progress`.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    ///
    /// let dir = std::env::temp_dir().join(format!("embedis-bgsave-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let store = Store::open(&dir)?;
    /// store.set("greeting", "hello").unwrap();
    /// store.bgsave().unwrap();
    /// store.set("greeting", "changed meanwhile").unwrap();
    /// while store.saving_in_background() {
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    /// }
    /// assert!(dir.join("dump.rdb").exists());
    /// # drop(store);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bgsave(&self) -> Result<(), CommandError> {
        self.cmd::<String>(["BGSAVE"]).map(drop)
    }

    /// Whether a background save or AOF rewrite is in progress (INFO's
    /// `rdb_bgsave_in_progress`, `aof_rewrite_in_progress`).
    ///
    /// ```
    /// assert!(!embedis::Store::new().saving_in_background());
    /// ```
    pub fn saving_in_background(&self) -> bool {
        crate::persistence::background_work(&self.shared.lock().keyspace)
    }

    /// Saves a store opened in a directory and lets it go, reporting what a drop cannot: whether
    /// the save worked. Other handles (clones, connections) keep the store alive; the save
    /// happens all the same.
    ///
    /// ```
    /// let store = embedis::Store::new();
    /// store.close()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn close(self) -> std::io::Result<()> {
        let mut state = self.shared.lock();
        let state = &mut *state;
        if state.keyspace.saving.rdb_path.is_none() {
            return Ok(());
        }
        // Saved now: the last handle's drop need not save it again.
        if Arc::strong_count(&self.handles) == 1 {
            state.keyspace.saving.save_on_drop = false;
        }
        crate::persistence::save_now(&mut state.keyspace, &state.engines)
    }

    /// A builder for a store with options: its clock, cluster mode.
    ///
    /// ```
    /// use embedis::{Clock, Commands, CommandError, Store};
    ///
    /// let store = Store::builder().clock(Clock::manual()).cluster_enabled(true).build();
    /// assert_eq!(store.mset([("a", "1"), ("b", "2")]), Err(CommandError::CrossSlot));
    /// store.mset([("{user:1}:a", "1"), ("{user:1}:b", "2")])?;
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn builder() -> StoreBuilder {
        StoreBuilder {
            clock: Clock::system(),
            cluster_enabled: false,
            cluster_node: None,
            save_points: Vec::new(),
            append_only: None,
            aof_rdb_preamble: true,
            replica_of: None,
            #[cfg(feature = "server")]
            listen_on: None,
        }
    }

    /// Makes this store a replica of the Redis primary at `host`:`port`, as REPLICAOF does: a
    /// thread connects to it, loads its data (a full synchronisation, replacing all data here)
    /// and then applies every write the primary makes, so the store stays a current copy of it
    /// inside this process. Reads are answered here; writes are refused with
    /// [`CommandError::ReadOnlyReplica`] from now on. A lost link is retried every second and
    /// continues where it was when the primary's backlog still holds what was missed.
    /// Transactions see the primary's writes as any other: a WATCHed key the primary changes
    /// makes EXEC answer nil. Answers false, changing nothing, when the store already follows
    /// that primary; another primary replaces the one followed.
    ///
    /// ```
    /// use embedis::{CommandError, Commands, Store};
    ///
    /// let store = Store::new();
    /// // Nothing listens on port 1: the link stays down, retried every second.
    /// assert!(store.replicate_from("127.0.0.1", 1));
    /// assert_eq!(store.set("k", "v"), Err(CommandError::ReadOnlyReplica));
    /// let status = store.replica_status().unwrap();
    /// assert!(!status.link_up);
    /// assert_eq!((status.host.as_str(), status.port), ("127.0.0.1", 1));
    ///
    /// store.stop_replicating();
    /// store.set("k", "v")?;
    /// assert_eq!(store.replica_status(), None);
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn replicate_from(&self, host: &str, port: u16) -> bool {
        let mut state = self.shared.lock();
        state.keyspace.following.auth = None;
        let followed = crate::replica::follow(&self.shared, &mut state.keyspace, host, port, None);
        matches!(followed, crate::replica::Followed::Started)
    }

    /// [`Store::replicate_from`] a primary that wants a password (`AUTH [user] password`, as
    /// Redis's `masteruser` and `masterauth` give it): `user` `None` for the default user.
    ///
    /// ```
    /// use embedis::{CommandError, Commands, Store};
    /// let store = Store::new();
    /// store.replicate_from_with_auth("127.0.0.1", 1, None, "secret");
    /// assert_eq!(store.set("k", "v"), Err(CommandError::ReadOnlyReplica));
    /// ```
    pub fn replicate_from_with_auth(&self, host: &str, port: u16, user: Option<&str>, password: &str) -> bool {
        let mut state = self.shared.lock();
        state.keyspace.following.auth = Some((user.map(str::to_owned), password.to_owned()));
        let followed = crate::replica::follow(&self.shared, &mut state.keyspace, host, port, None);
        matches!(followed, crate::replica::Followed::Started)
    }

    /// Stops following the primary (REPLICAOF NO ONE): the store keeps the data it has and
    /// takes writes again. Nothing happens to a store that follows no primary.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// store.replicate_from("127.0.0.1", 1);
    /// store.stop_replicating();
    /// store.set("k", 1)?;
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn stop_replicating(&self) {
        let mut state = self.shared.lock();
        state.keyspace.following.promote();
        self.shared.update_write_refusals(&state.keyspace);
    }

    /// The link with the primary this store follows ([`Store::replicate_from`]): where it is,
    /// whether it is up and the offset reached in the primary's stream; `None` when it follows
    /// no primary.
    ///
    /// ```
    /// let store = embedis::Store::new();
    /// assert_eq!(store.replica_status(), None);
    /// ```
    pub fn replica_status(&self) -> Option<crate::replica::ReplicaStatus> {
        self.shared.lock().keyspace.following.status()
    }

    /// The clock this store reads.
    ///
    /// ```
    /// let store = embedis::Store::with_clock(embedis::Clock::manual());
    /// assert!(store.clock().is_manual());
    /// ```
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// How long a Lua script or function may run before other callers stop waiting for it and
    /// get [`CommandError::BusyScript`] (or [`CommandError::BusyFunction`]) instead: Redis's
    /// `busy-reply-threshold` (formerly `lua-time-limit`), 5 seconds unless changed.
    ///
    /// ```
    /// use std::time::Duration;
    /// let store = embedis::Store::new();
    /// assert_eq!(store.busy_reply_threshold(), Duration::from_secs(5));
    /// store.set_busy_reply_threshold(Duration::from_millis(100));
    /// assert_eq!(store.busy_reply_threshold(), Duration::from_millis(100));
    /// ```
    pub fn busy_reply_threshold(&self) -> Duration {
        self.shared.watchdog.threshold()
    }

    /// Sets [`Store::busy_reply_threshold`] (CONFIG SET busy-reply-threshold does the same over
    /// the wire). Takes effect on the running script too.
    ///
    /// ```
    /// use std::time::Duration;
    /// embedis::Store::new().set_busy_reply_threshold(Duration::from_millis(250));
    /// ```
    pub fn set_busy_reply_threshold(&self, threshold: Duration) {
        self.shared.watchdog.set_threshold(threshold);
    }

    /// SCRIPT KILL, from any thread: stops the EVAL script running on this store at its next
    /// line, unless it already wrote ([`CommandError::Unkillable`]: its writes would stay). A
    /// running function answers [`CommandError::BusyFunction`] (use [`Store::function_kill`]),
    /// and with nothing running it is [`CommandError::NotBusy`]. The killed script's caller gets
    /// `ERR Script killed by user with SCRIPT KILL...`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use embedis::{CommandError, Commands, Store};
    ///
    /// let store = Store::new();
    /// assert_eq!(store.script_kill(), Err(CommandError::NotBusy));
    ///
    /// store.set_busy_reply_threshold(Duration::from_millis(50));
    /// let runner = store.clone();
    /// let spinning = std::thread::spawn(move || runner.eval::<()>("while true do end", (), ()));
    /// // Once the script is past the threshold, other calls are refused rather than kept waiting.
    /// while store.ping() != Err(CommandError::BusyScript) {
    ///     std::thread::sleep(Duration::from_millis(10));
    /// }
    /// store.script_kill()?;
    /// let ended = spinning.join().unwrap().unwrap_err();
    /// assert!(ended.to_string().starts_with("ERR Script killed by user with SCRIPT KILL..."));
    /// assert_eq!(store.ping()?, "PONG");
    /// # Ok::<(), CommandError>(())
    /// ```
    #[cfg(feature = "lua")]
    pub fn script_kill(&self) -> Result<(), CommandError> {
        self.shared.watchdog.kill(ScriptKind::Eval)
    }

    /// FUNCTION KILL, from any thread: as [`Store::script_kill`], for a running function (FCALL);
    /// a running EVAL script answers [`CommandError::BusyScript`].
    ///
    /// ```
    /// use embedis::{CommandError, Store};
    /// assert_eq!(Store::new().function_kill(), Err(CommandError::NotBusy));
    /// ```
    #[cfg(feature = "lua")]
    pub fn function_kill(&self) -> Result<(), CommandError> {
        self.shared.watchdog.kill(ScriptKind::Function)
    }

    /// A new client: raw commands in, Redis's replies out, with its own database, MULTI state and
    /// watches.
    ///
    /// ```
    /// use embedis::{Reply, Store};
    /// let store = Store::new();
    /// let mut conn = store.connect();
    /// assert_eq!(conn.call(["PING"]), Reply::Status("PONG".into()));
    /// ```
    pub fn connect(&self) -> Connection {
        Connection::new(self)
    }

    /// Subscribes to `channels`: what is published to them from now on (by any clone of the
    /// store, a connection, a script, or a client of a server serving it) arrives in the
    /// returned [`Subscription`], in the order it was published.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let mut alerts = store.subscribe(["alerts"]);
    /// store.publish("alerts", "disk full")?;
    /// let message = alerts.recv()?;
    /// assert_eq!((message.channel_str(), message.payload_str()), ("alerts".into(), "disk full".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn subscribe<I, N>(&self, channels: I) -> Subscription
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        let mut subscription = Subscription::new(self);
        subscription.subscribe(channels);
        subscription
    }

    /// Subscribes to the channels matching `patterns` (Redis's glob patterns), as
    /// [`Store::subscribe`] to channels; each [`Message`](crate::Message) says which pattern
    /// matched.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let mut users = store.psubscribe(["user:*"]);
    /// store.publish("user:42", "logged in")?;
    /// assert_eq!(users.recv()?.channel_str(), "user:42");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn psubscribe<I, N>(&self, patterns: I) -> Subscription
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        let mut subscription = Subscription::new(self);
        subscription.psubscribe(patterns);
        subscription
    }

    /// Subscribes to shard `channels` (those SPUBLISH publishes to), as [`Store::subscribe`].
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let mut orders = store.ssubscribe(["orders"]);
    /// assert_eq!(store.publish("orders", "not this way")?, 0);
    /// assert_eq!(store.spublish("orders", "#1")?, 1);
    /// assert_eq!(orders.recv()?.payload_str(), "#1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ssubscribe<I, N>(&self, channels: I) -> Subscription
    where
        I: IntoIterator<Item = N>,
        N: AsRef<[u8]>,
    {
        let mut subscription = Subscription::new(self);
        subscription.ssubscribe(channels);
        subscription
    }

    /// Sets `notify-keyspace-events` (Redis's letters: `K` and `E` for the channels, `g$lshzxetd`
    /// or `A` for the classes, `m` key misses, `n` new keys): the events of writes and expiry
    /// are then published on `__keyspace@<db>__:<key>` and `__keyevent@<db>__:<event>`, where
    /// a [`Subscription`] (or a server's subscriber) receives them. An empty string turns them
    /// off, as by default; a letter Redis does not know is refused with its error.
    ///
    /// ```
    /// use std::time::Duration;
    /// use embedis::{Clock, Commands, Store};
    ///
    /// let clock = Clock::manual();
    /// let store = Store::with_clock(clock.clone());
    /// store.set_notify_keyspace_events("Ex")?;
    /// let mut expired = store.subscribe(["__keyevent@0__:expired"]);
    /// store.set_ex("session:1", "data", 30)?;
    /// clock.advance(Duration::from_secs(31));
    /// assert_eq!(store.get("session:1")?, None::<String>);
    /// assert_eq!(expired.try_recv()?.map(|m| m.payload), Some(b"session:1".to_vec()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_notify_keyspace_events(&self, letters: &str) -> Result<(), CommandError> {
        let flags = crate::keyspace::NotifyFlags::parse(letters).ok_or(CommandError::other(
            "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ))?;
        self.shared.lock().keyspace.set_notify(flags);
        // Expired events come even when no command runs to find the keys.
        if letters.contains(['x', 'A']) {
            self.shared.expire_in_background();
        }
        Ok(())
    }

    /// Sets `maxmemory` (0: no limit, the default) and its `maxmemory-policy`: before each
    /// command, while the memory in use is above `bytes`, keys the policy chooses are evicted
    /// (each raising the `evicted` keyspace event and touching its watchers); when the policy
    /// allows nothing more, commands that could grow the store fail with
    /// [`CommandError::OutOfMemory`] while reads and deletes still run — Redis's behaviour.
    ///
    /// The memory in use is the process's, counted by [`CountingAllocator`](crate::CountingAllocator)
    /// when the program installs it; otherwise the keyspace's own estimate (the `MEMORY USAGE`
    /// of every key), which takes time in proportion to the keys at every command while a
    /// limit is set. A server's `CONFIG SET maxmemory` sets the same limit.
    ///
    /// ```
    /// use embedis::{CommandError, Commands, EvictionPolicy, Store};
    ///
    /// let cache = Store::new();
    /// cache.set_maxmemory(32 * 1024, EvictionPolicy::AllKeysLru);
    /// for i in 0..1000 {
    ///     cache.set(format!("page:{i}"), "x".repeat(100))?;
    /// }
    /// let kept: i64 = cache.dbsize()?;
    /// assert!(kept > 0 && kept < 1000, "the least recently used pages went: {kept} kept");
    ///
    /// let full = Store::new();
    /// full.set("a", "x".repeat(1000))?;
    /// full.set_maxmemory(1, EvictionPolicy::NoEviction);
    /// assert_eq!(full.set("b", 1), Err(CommandError::OutOfMemory));
    /// assert_eq!(full.get("a")?, Some("x".repeat(1000)), "reads still run");
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn set_maxmemory(&self, bytes: u64, policy: EvictionPolicy) {
        let mut state = self.shared.lock();
        let ks = &mut state.keyspace;
        // LFU counters (Redis's default log factor and decay) come with an LFU policy.
        let lfu = policy.is_lfu().then(|| ks.lfu().unwrap_or_default());
        ks.set_lfu(lfu);
        self.shared.set_eviction(ks, |eviction| {
            eviction.maxmemory = bytes;
            eviction.policy = policy;
        });
    }

    /// Bounds what a subscriber may hold unread (Redis's `client-output-buffer-limit pubsub`;
    /// by default 32 MB at once, or 8 MB for 60 seconds; 0 turns a bound off): a
    /// [`Subscription`] past it is cut off ([`CutOff`](crate::CutOff)), a server's client
    /// disconnected. A server's `CONFIG SET client-output-buffer-limit` sets the same bound.
    ///
    /// ```
    /// use std::time::Duration;
    /// use embedis::{Commands, CutOff, Store};
    ///
    /// let store = Store::new();
    /// store.set_subscriber_limit(64 * 1024, 0, Duration::ZERO);
    /// let mut slow = store.subscribe(["firehose"]);
    /// for _ in 0..100 {
    ///     store.publish("firehose", vec![b'x'; 1024])?;
    /// }
    /// assert_eq!(slow.try_recv(), Err(CutOff));
    /// assert_eq!(store.publish("firehose", "more")?, 0, "it no longer subscribes");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn set_subscriber_limit(&self, hard_bytes: usize, soft_bytes: usize, soft_for: Duration) {
        let limit = crate::pubsub::OutputLimit {
            hard: hard_bytes,
            soft: soft_bytes,
            soft_seconds: soft_for.as_secs(),
        };
        self.shared.lock().keyspace.pubsub.set_limit(limit);
    }

    /// A handle of the store for what serves it (see [`Handle`]).
    pub(crate) fn handle(&self) -> Handle {
        Handle(Arc::clone(&self.handles))
    }

    /// Starts the store's listener on `addr`, if given ([`StoreBuilder::replication_listener`]).
    #[cfg(feature = "server")]
    fn listen(&self, addr: Option<std::net::SocketAddr>) -> std::io::Result<()> {
        if let Some(addr) = addr {
            // The server's handles do not count (see `LastHandle`).
            let unhandled = Store {
                handles: Arc::new(LastHandle::none()),
                shared: Arc::clone(&self.shared),
            };
            let server = crate::server::Server::start(unhandled, addr)?;
            *self.handles.listener.lock() = Some(server);
        }
        Ok(())
    }

    /// Where the store's listener listens ([`StoreBuilder::replication_listener`]), if it has
    /// one.
    ///
    /// ```
    /// let store = embedis::Store::builder().replication_listener("127.0.0.1:0".parse().unwrap()).try_build()?;
    /// assert!(store.listener_addr().unwrap().port() > 0);
    /// assert_eq!(embedis::Store::new().listener_addr(), None);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "server")]
    pub fn listener_addr(&self) -> Option<std::net::SocketAddr> {
        self.handles.listener.lock().as_ref().map(crate::server::Server::addr)
    }

    /// What every clone shares (for connections and the server).
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Runs one command in database 0 as a typed call does.
    fn run_in_db0(&self, request: &Request) -> Reply {
        let Request { argv, known } = request;
        let spec = match table::resolve_for(argv, *known, false) {
            Ok(spec) => spec,
            Err(e) => return Reply::Error(e),
        };
        if let Run::Transaction(_) = spec.run {
            return Reply::Error(CommandError::other(
                "ERR use Store::watch, Store::multi or a Connection for transaction commands",
            ));
        }
        if let Some(cluster) = &self.shared.cluster
            && let Err(e) = {
                let mut exists = |key: &[u8]| self.shared.lock().keyspace.has_live(0, key);
                cluster.route([(spec, argv)], false, &mut exists)
            }
        {
            return Reply::Error(e);
        }
        self.shared.hold_while_paused(|| self.shared.may_write(spec, argv));
        // A client of its own for each call: a blocking command waits like any other client.
        let mut caller = Caller {
            in_exec: false,
            ..Caller::internal(self.shared.next_client_id(), 0)
        };
        self.shared.run(&mut caller, spec, argv)
    }
}

/// How a [`Store`] is made: [`Store::builder`], then options, then [`StoreBuilder::build`] (or
/// [`StoreBuilder::open`] to persist in a directory).
///
/// ```
/// use embedis::{Clock, Commands, Store};
/// let store = Store::builder().clock(Clock::manual()).cluster_enabled(true).build();
/// store.set("{tag}:a", 1)?;
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build` is called"]
pub struct StoreBuilder {
    clock: Clock,
    cluster_enabled: bool,
    /// A node of a cluster of several (`server::LocalCluster`), instead of a node alone.
    cluster_node: Option<Arc<crate::cluster::Cluster>>,
    /// Save points for [`StoreBuilder::open`]: (seconds, changes).
    save_points: Vec<(i64, i64)>,
    /// The append-only file's `appendfsync`, if [`StoreBuilder::open`] keeps one.
    append_only: Option<crate::aof::Fsync>,
    /// Whether the append-only file's bases are RDB files
    /// ([`StoreBuilder::aof_use_rdb_preamble`]).
    aof_rdb_preamble: bool,
    /// The primary to follow from the start ([`StoreBuilder::replica_of`]).
    replica_of: Option<(String, u16)>,
    /// Where the store listens for replicas and clients
    /// ([`StoreBuilder::replication_listener`]).
    #[cfg(feature = "server")]
    listen_on: Option<std::net::SocketAddr>,
}

impl StoreBuilder {
    /// The clock the store reads ([`Clock::system`] unless set): [`Clock::manual`] lets tests
    /// move time by hand.
    ///
    /// ```
    /// let store = embedis::Store::builder().clock(embedis::Clock::manual()).build();
    /// assert!(store.clock().is_manual());
    /// ```
    pub fn clock(mut self, clock: Clock) -> StoreBuilder {
        self.clock = clock;
        self
    }

    /// Cluster mode (Redis's `cluster-enabled yes`): the store answers as a node of a Redis
    /// Cluster that serves all 16384 hash slots. A request whose keys hash to different slots
    /// fails with [`CommandError::CrossSlot`] — a single command, a transaction at EXEC, a
    /// script's command outside the slot of its keys — so code written against the store finds
    /// out what would break on a real cluster; keys sharing a `{hash tag}` share a slot
    /// ([`key_slot`](crate::key_slot)). Only database 0 exists (SELECT, MOVE, SWAPDB and COPY
    /// … DB refuse others), and CLUSTER answers as Redis's does.
    ///
    /// ```
    /// use embedis::{CommandError, Commands, Store};
    ///
    /// let store = Store::builder().cluster_enabled(true).build();
    /// let transfer = store.multi()
    ///     .cmd(["DECRBY", "{user:1001}:balance", "30"])
    ///     .cmd(["INCRBY", "{user:1002}:balance", "30"])
    ///     .exec();
    /// assert_eq!(transfer.unwrap_err().to_string(), "CROSSSLOT Keys in request don't hash to the same slot");
    /// assert_eq!(store.cmd::<i64>(["CLUSTER", "KEYSLOT", "{user:1001}:balance"])?, 5712);
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn cluster_enabled(mut self, enabled: bool) -> StoreBuilder {
        self.cluster_enabled = enabled;
        self
    }

    /// In cluster mode, as `node` of a cluster of several.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn cluster_node(mut self, node: Arc<crate::cluster::Cluster>) -> StoreBuilder {
        self.cluster_enabled = true;
        self.cluster_node = Some(node);
        self
    }

    /// Adds a save point to a store opened in a directory ([`StoreBuilder::open`]): a background
    /// save starts by itself once at least `changes` changes were made and more than `after`
    /// (in whole seconds, at least one) passed since the last save, as Redis's `save` setting
    /// does (`embedis-server --save`). Changes count as Redis counts them (SET one, MSET one per
    /// key, HSET one per field, …). Without a save point the store saves when told
    /// ([`Store::save`], SAVE, BGSAVE) and when it is closed or dropped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use embedis::{Commands, Store};
    ///
    /// let dir = std::env::temp_dir().join(format!("embedis-save-point-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let store = Store::builder().save_point(Duration::from_secs(1), 1).open(&dir)?;
    /// store.set("k", "v").unwrap();
    /// // A second later the file is written, with no call to save.
    /// let deadline = std::time::Instant::now() + Duration::from_secs(10);
    /// while !dir.join("dump.rdb").exists() {
    ///     assert!(std::time::Instant::now() < deadline);
    ///     std::thread::sleep(Duration::from_millis(50));
    /// }
    /// # store.close()?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn save_point(mut self, after: std::time::Duration, changes: u64) -> StoreBuilder {
        let seconds = i64::try_from(after.as_secs()).unwrap_or(i64::MAX).max(1);
        self.save_points
            .push((seconds, i64::try_from(changes).unwrap_or(i64::MAX)));
        self
    }

    /// Keeps an append-only file for a store opened in a directory ([`StoreBuilder::open`]), as
    /// Redis's `appendonly yes`: every write is appended to `dir/appendonlydir` (Redis 7.0's
    /// multi-part format, which redis-server loads) in the form that replays it exactly, synced
    /// to the disk as `fsync` says — [`Fsync::Always`](crate::Fsync::Always) before the write's
    /// call returns. When the store is opened again the file is loaded (not `dump.rdb`), so a
    /// crash loses at most what `fsync` allows.
    ///
    /// ```
    /// use embedis::{Commands, Fsync, Store};
    ///
    /// let dir = std::env::temp_dir().join(format!("embedis-append-only-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let store = Store::builder().append_only(Fsync::Always).open(&dir)?;
    /// store.rpush("jobs", ["a", "b"]).unwrap();
    /// assert!(dir.join("appendonlydir/appendonly.aof.manifest").exists());
    /// drop(store);
    /// let store = Store::builder().append_only(Fsync::Always).open(&dir)?;
    /// assert_eq!(store.lrange("jobs", 0, -1).unwrap(), ["a", "b"]);
    /// # drop(store);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn append_only(mut self, fsync: crate::aof::Fsync) -> StoreBuilder {
        self.append_only = Some(fsync);
        self
    }

    /// Whether the append-only file's base — written when the AOF begins and by each rewrite
    /// (BGREWRITEAOF, through [`Store::connect`]) — is an RDB file (the default, as Redis's
    /// `aof-use-rdb-preamble yes`) or, with `false`, the commands that rebuild the data
    /// (`appendonly.aof.N.base.aof`: `SET`, `RPUSH`, … and `PEXPIREAT`), as Redis writes it with
    /// `aof-use-rdb-preamble no`. Either loads in embedis and in redis-server.
    ///
    /// ```
    /// use embedis::{Commands, Fsync, Store};
    ///
    /// let dir = std::env::temp_dir().join(format!("embedis-aof-commands-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let open = || Store::builder().append_only(Fsync::Always).aof_use_rdb_preamble(false).open(&dir);
    /// let store = open()?;
    /// store.rpush("jobs", ["a", "b"]).unwrap();
    /// drop(store);
    /// let base = std::fs::read(dir.join("appendonlydir/appendonly.aof.1.base.aof"))?;
    /// assert!(base.is_empty(), "the store was empty when its AOF began");
    /// let store = open()?;
    /// assert_eq!(store.lrange("jobs", 0, -1).unwrap(), ["a", "b"]);
    /// # drop(store);
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn aof_use_rdb_preamble(mut self, rdb: bool) -> StoreBuilder {
        self.aof_rdb_preamble = rdb;
        self
    }

    /// A replica of the Redis primary at `host`:`port` from the start (see
    /// [`Store::replicate_from`]); with [`StoreBuilder::open`], the data on disk is loaded first
    /// and then replaced by the primary's.
    ///
    /// ```
    /// use embedis::{CommandError, Commands, Store};
    /// let store = Store::builder().replica_of("127.0.0.1", 1).build();
    /// assert_eq!(store.set("k", "v"), Err(CommandError::ReadOnlyReplica));
    /// ```
    pub fn replica_of(mut self, host: impl Into<String>, port: u16) -> StoreBuilder {
        self.replica_of = Some((host.into(), port));
        self
    }

    /// Serves the store on `addr` (feature `server`), so that a Redis replica can follow it —
    /// `redis-server --replicaof <host> <port>`, or REPLICAOF sent to a running one: it syncs,
    /// then gets every write the application makes, through any API. The listener is a whole
    /// Redis server over the store (as [`Server::start`](crate::server::Server::start) with a
    /// clone of it), so any Redis client may connect too; it stops when the store's last handle
    /// goes. Port 0 picks a free one: [`Store::listener_addr`] tells which. Built by
    /// [`StoreBuilder::try_build`] or [`StoreBuilder::open`], which answer the error of an
    /// address that cannot be listened on.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use embedis::{Commands, Store};
    ///
    /// let store = Store::builder().replication_listener("127.0.0.1:0".parse().unwrap()).try_build()?;
    /// store.set("greeting", "hello").unwrap();
    /// let mut client = std::net::TcpStream::connect(store.listener_addr().unwrap())?;
    /// client.write_all(b"GET greeting\r\n")?;
    /// let mut reply = [0u8; 11];
    /// client.read_exact(&mut reply)?;
    /// assert_eq!(&reply, b"$5\r\nhello\r\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(feature = "server")]
    pub fn replication_listener(mut self, addr: std::net::SocketAddr) -> StoreBuilder {
        self.listen_on = Some(addr);
        self
    }

    /// The store, its listener started ([`StoreBuilder::replication_listener`]); the error is
    /// why the listener could not start. Without a listener, the same as
    /// [`StoreBuilder::build`].
    ///
    /// ```
    /// let store = embedis::Store::builder().try_build()?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_build(self) -> std::io::Result<Store> {
        #[cfg(feature = "server")]
        let listen_on = self.listen_on;
        let store = self.build_store();
        #[cfg(feature = "server")]
        store.listen(listen_on)?;
        Ok(store)
    }

    /// The store, persisting in `dir` (see [`Store::open`]).
    ///
    /// ```
    /// use embedis::{Clock, Store};
    /// let dir = std::env::temp_dir().join(format!("embedis-builder-open-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let store = Store::builder().clock(Clock::manual()).open(&dir)?;
    /// # store.close()?;
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn open(mut self, dir: impl AsRef<std::path::Path>) -> std::io::Result<Store> {
        let save_points = self.save_points.clone();
        let append_only = self.append_only;
        let replica_of = self.replica_of.take();
        let rdb_preamble = self.aof_rdb_preamble;
        #[cfg(feature = "server")]
        let listen_on = self.listen_on;
        let store = self.build_store();
        {
            let mut state = store.shared.lock();
            let mut settings = crate::persistence::AppendOnly {
                rdb_preamble,
                ..Default::default()
            };
            let dir = match append_only {
                Some(fsync) => {
                    settings.fsync = fsync;
                    crate::persistence::open_append_only(&mut state, dir.as_ref(), "dump.rdb", &settings)?
                }
                None => crate::persistence::open(&mut state, dir.as_ref(), "dump.rdb")?,
            };
            // Where BGREWRITEAOF and CONFIG SET appendonly keep the AOF.
            state.keyspace.saving.append_only = Some((dir, settings));
            state.keyspace.saving.save_on_drop = true;
            state.keyspace.saving.set_points(save_points.clone());
        }
        // The store's cron checks the points.
        if !save_points.is_empty() {
            store.shared.expire_in_background();
        }
        if let Some((host, port)) = replica_of {
            store.replicate_from(&host, port);
        }
        // Replicas attach to the data loaded.
        #[cfg(feature = "server")]
        store.listen(listen_on)?;
        Ok(store)
    }

    /// The store.
    ///
    /// # Panics
    ///
    /// With a [`StoreBuilder::replication_listener`] that cannot start (its address taken);
    /// [`StoreBuilder::try_build`] answers the error instead.
    ///
    /// ```
    /// let store = embedis::Store::builder().build();
    /// ```
    pub fn build(self) -> Store {
        match self.try_build() {
            Ok(store) => store,
            Err(e) => panic!("the store's listener cannot start: {e}"),
        }
    }

    /// The store, without its listener.
    fn build_store(self) -> Store {
        let mut keyspace = Keyspace::new(self.clock.clone());
        if self.cluster_enabled {
            let node = self
                .cluster_node
                .unwrap_or_else(|| Arc::new(crate::cluster::Cluster::new()));
            keyspace.cluster = Some(node);
        }
        let shared = Arc::new(Shared::new(keyspace, self.clock));
        let store = Store {
            handles: Arc::new(LastHandle::of(&shared)),
            shared,
        };
        // The keyspace hands work to threads of its own (a background save's steps).
        store.shared.lock().keyspace.store = Arc::downgrade(&store.shared);
        if let Some((host, port)) = &self.replica_of {
            store.replicate_from(host, *port);
        }
        store
    }
}

impl Commands for Store {
    fn run_request(&self, request: &Request) -> Reply {
        self.run_in_db0(request)
    }

    fn run_direct(&self, call: Direct<'_>) -> Reply {
        self.run_direct_as(call).unwrap_or_else(Reply::Error)
    }

    fn run_direct_as<T: crate::FromReply>(&self, call: Direct<'_>) -> Result<T, CommandError> {
        if self.shared.cluster.is_none() && self.shared.paused().is_none() {
            let caller = Caller {
                in_exec: false,
                ..Caller::internal(self.shared.next_client_id(), 0)
            };
            if let Some(answer) = self.shared.run_direct_with(&caller, |ctx| call.run_as::<T>(ctx)) {
                return answer;
            }
        }
        T::from_reply(self.run_request(&call.request()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last handle saves the store as it goes, even while another thread (a background
    /// save's) still holds the data; and that thread does not save it again when it lets go.
    #[test]
    fn the_last_handle_saves_while_another_thread_holds_the_data() {
        let dir = std::env::temp_dir().join(format!("embedis-last-handle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir).unwrap();
        store.set("k", "v").unwrap();
        let held = Arc::clone(&store.shared);
        drop(store);
        assert!(dir.join("dump.rdb").exists(), "saved before the drop returned");
        std::fs::remove_file(dir.join("dump.rdb")).unwrap();
        drop(held);
        assert!(!dir.join("dump.rdb").exists(), "saved once");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
