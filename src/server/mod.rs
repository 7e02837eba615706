//! A Redis server over a [`Store`] (feature `server`): any Redis client, in any language, can talk
//! to an embedis store over TCP.
//!
//! One event-loop thread serves every client, as Redis does; each client has its own
//! [`Connection`](crate::Connection) (database, MULTI queue, watches, protocol, name), and a
//! blocking command parks only its client. Requests are read as Redis reads them ([`protocol`]):
//! RESP2/RESP3 frames, inline commands, pipelining, and Redis's protocol errors, after which the
//! connection closes as in Redis.
//!
//! ```
//! use std::io::{Read, Write};
//!
//! let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
//! let mut stream = std::net::TcpStream::connect(server.addr())?;
//! stream.write_all(b"SET greeting hello\r\nGET greeting\r\n")?;
//! let mut reply = [0u8; 16];
//! stream.read_exact(&mut reply)?;
//! assert_eq!(&reply, b"+OK\r\n$5\r\nhello\r\n");
//! assert!(server.url().starts_with("redis://127.0.0.1:"));
//! server.stop();
//! # Ok::<(), std::io::Error>(())
//! ```

mod client;
mod config_defaults;
mod event_loop;
mod local_cluster;
mod params;
pub mod protocol;

pub use crate::allocator::CountingAllocator;
pub use local_cluster::LocalCluster;

use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use crate::Store;
use crate::keyspace::Encodings;

/// Settings of a [`Server`], as `redis.conf` names them.
///
/// ```
/// use embedis::server::{Config, Server};
///
/// let config = Config::default().requirepass("secret").maxclients(100);
/// let server = Server::start_with(embedis::Store::new(), "127.0.0.1:0", config)?;
/// # server.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Clients must AUTH with this password first (`requirepass`); `None`: no password.
    pub requirepass: Option<String>,
    /// The most clients connected at once (`maxclients`, default 10000).
    pub maxclients: usize,
    /// The longest bulk string a client may send (`proto-max-bulk-len`, default 512 MB).
    pub proto_max_bulk_len: usize,
    /// The most unparsed input a client may have pending (`client-query-buffer-limit`, 1 GB).
    pub client_query_buffer_limit: usize,
    /// Where the store persists (`dir`): SAVE and BGSAVE write `dbfilename` there, and the server
    /// loads that file when it starts. `None` (the default): nothing is written or loaded.
    pub dir: Option<std::path::PathBuf>,
    /// The RDB file's name in `dir` (`dbfilename`, default `dump.rdb`).
    pub dbfilename: String,
    /// When a background save starts by itself (`save`, in Redis's syntax: pairs of seconds and
    /// changes; `""` for never). The default is Redis's: `3600 1 300 100 60 10000` — after an
    /// hour if anything changed, 5 minutes if 100 keys did, a minute if 10000 did.
    pub save: String,
    /// Keep an append-only file in `dir` (`appendonly`, default off): every write is appended
    /// to it, and at start it is loaded instead of the RDB file.
    pub appendonly: bool,
    /// When the append-only file reaches the disk (`appendfsync`, default `everysec`).
    pub appendfsync: crate::Fsync,
    /// The append-only file's directory in `dir` (`appenddirname`, default `appendonlydir`).
    pub appenddirname: String,
    /// The name its files are named after (`appendfilename`, default `appendonly.aof`).
    pub appendfilename: String,
    /// Whether a last command cut off at the file's end is dropped at load (`aof-load-truncated`,
    /// default yes) rather than refusing to start.
    pub aof_load_truncated: bool,
    /// Whether, while the `default` user has no password, only the loopback interface may
    /// connect (`protected-mode`, default yes, as Redis).
    pub protected_mode: bool,
    /// Whether a new base of the append-only file is an RDB file (`aof-use-rdb-preamble`,
    /// default yes) rather than the commands that rebuild the data.
    pub aof_use_rdb_preamble: bool,
    /// The file of users ACL LOAD reads and ACL SAVE writes (`aclfile`), loaded at the start:
    /// a server does not start on one that does not load.
    pub aclfile: Option<std::path::PathBuf>,
    /// Whether RDB files end with a CRC-64 and a loaded file's is checked (`rdbchecksum`,
    /// default yes; set at start only, as in Redis).
    pub rdbchecksum: bool,
    /// The primary (host, port) the server follows from its start, as a replica
    /// (`--replicaof`; REPLICAOF changes it later).
    pub replicaof: Option<(String, u16)>,
}

impl Config {
    /// Requires clients to AUTH with `password`.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use embedis::server::{Config, Server};
    ///
    /// let server = Server::start_with(embedis::Store::new(), "127.0.0.1:0", Config::default().requirepass("pw"))?;
    /// let mut client = std::net::TcpStream::connect(server.addr())?;
    /// client.write_all(b"PING\r\nAUTH pw\r\nPING\r\n")?;
    /// let mut reply = [0u8; 46];
    /// client.read_exact(&mut reply)?;
    /// assert_eq!(&reply, b"-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn requirepass(mut self, password: impl Into<String>) -> Config {
        self.requirepass = Some(password.into());
        self
    }

    /// Refuses clients beyond `n` connected at once, with Redis's `-ERR max number of clients
    /// reached`.
    ///
    /// ```
    /// let config = embedis::server::Config::default().maxclients(2);
    /// assert_eq!(config.maxclients, 2);
    /// ```
    pub fn maxclients(mut self, n: usize) -> Config {
        self.maxclients = n;
        self
    }

    /// Persists the store in `dir` (an existing directory): the server loads `dir/dbfilename`
    /// (an RDB file, Redis's or embedis's) when it starts, and SAVE and BGSAVE write it.
    ///
    /// ```
    /// use embedis::server::{Config, Server};
    /// let dir = std::env::temp_dir().join(format!("embedis-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let server = Server::start_with(embedis::Store::new(), "127.0.0.1:0", Config::default().dir(&dir))?;
    /// embedis::Commands::set(server.store(), "k", "v").unwrap();
    /// embedis::Commands::cmd::<()>(server.store(), ["SAVE"]).unwrap();
    /// server.stop();
    /// // A new server on the same directory starts with the saved data.
    /// let again = Server::start_with(embedis::Store::new(), "127.0.0.1:0", Config::default().dir(&dir))?;
    /// assert_eq!(embedis::Commands::get(again.store(), "k").unwrap(), Some("v".to_string()));
    /// # again.stop();
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn dir(mut self, dir: impl Into<std::path::PathBuf>) -> Config {
        self.dir = Some(dir.into());
        self
    }

    /// Sets the save points (`save`, in Redis's syntax): a background save starts when, for one
    /// of the pairs, more than `seconds` have passed since the last save and at least `changes`
    /// changes were made. `""`: only SAVE, BGSAVE and a stop save. A value Redis refuses makes
    /// [`Server::start_with`] fail.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use embedis::server::{Config, Server};
    ///
    /// let server = Server::start_with(embedis::Store::new(), "127.0.0.1:0", Config::default().save("900 1"))?;
    /// let mut client = std::net::TcpStream::connect(server.addr())?;
    /// client.write_all(b"CONFIG GET save\r\n")?;
    /// let mut reply = [0u8; 25];
    /// client.read_exact(&mut reply)?;
    /// assert_eq!(&reply, b"*2\r\n$4\r\nsave\r\n$5\r\n900 1\r\n");
    /// # server.stop();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn save(mut self, points: impl Into<String>) -> Config {
        self.save = points.into();
        self
    }

    /// Keeps an append-only file in `dir` ([`Config::dir`], which it needs), as Redis's
    /// `appendonly yes`: every write is appended to `dir/appendonlydir` in Redis 7.0's
    /// multi-part format (files redis-server loads), synced as `fsync` says; at start the file
    /// is loaded (not the RDB file), or created.
    ///
    /// ```
    /// use embedis::{Commands, Fsync};
    /// use embedis::server::{Config, Server};
    ///
    /// let dir = std::env::temp_dir().join(format!("embedis-doc-aof-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let config = || Config::default().dir(&dir).save("").appendonly(Fsync::Always);
    /// let server = Server::start_with(embedis::Store::new(), "127.0.0.1:0", config())?;
    /// server.store().incr("visits").unwrap();
    /// server.stop(); // no save points: only the append-only file has the write
    /// let again = Server::start_with(embedis::Store::new(), "127.0.0.1:0", config())?;
    /// assert_eq!(again.store().get("visits").unwrap(), Some("1".to_string()));
    /// # again.stop();
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn appendonly(mut self, fsync: crate::Fsync) -> Config {
        self.appendonly = true;
        self.appendfsync = fsync;
        self
    }

    /// Makes the server a replica of the Redis primary at `host`:`port` from its start, as
    /// `redis-server --replicaof host port`: it loads the primary's data, then follows its
    /// writes, and refuses its own clients' writes (READONLY).
    ///
    /// ```
    /// use embedis::Commands;
    /// use embedis::server::{Config, Server};
    ///
    /// let primary = Server::start(embedis::Store::new(), "127.0.0.1:0")?;
    /// primary.store().set("greeting", "hello").unwrap();
    /// let port = primary.addr().port();
    /// let replica = Server::start_with(embedis::Store::new(), "127.0.0.1:0", Config::default().replicaof("127.0.0.1", port))?;
    /// let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    /// while replica.store().get("greeting").unwrap().is_none() {
    ///     assert!(std::time::Instant::now() < deadline, "the replica synchronised");
    ///     std::thread::sleep(std::time::Duration::from_millis(20));
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn replicaof(mut self, host: impl Into<String>, port: u16) -> Config {
        self.replicaof = Some((host.into(), port));
        self
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            requirepass: None,
            maxclients: 10_000,
            proto_max_bulk_len: protocol::MAX_BULK_LEN,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            dir: None,
            dbfilename: "dump.rdb".to_string(),
            save: "3600 1 300 100 60 10000".to_string(),
            appendonly: false,
            appendfsync: crate::Fsync::EverySec,
            appenddirname: "appendonlydir".to_string(),
            appendfilename: "appendonly.aof".to_string(),
            aof_load_truncated: true,
            aof_use_rdb_preamble: true,
            protected_mode: true,
            aclfile: None,
            rdbchecksum: true,
            replicaof: None,
        }
    }
}

/// `masteruser` and `masterauth` of `params`: how a replica authenticates with its primary
/// (none without `masterauth`).
fn primary_auth(params: &BTreeMap<String, String>) -> Option<(Option<String>, String)> {
    let password = params.get("masterauth").filter(|p| !p.is_empty())?;
    let user = params.get("masteruser").filter(|u| !u.is_empty()).cloned();
    Some((user, password.clone()))
}

/// A running server: accepting clients on its address until [`Server::stop`] (or drop), or a
/// client's SHUTDOWN.
///
/// ```
/// use std::io::{Read, Write};
///
/// let store = embedis::Store::new();
/// let server = embedis::server::Server::start(store.clone(), "127.0.0.1:0")?;
/// let mut client = std::net::TcpStream::connect(server.addr())?;
/// client.write_all(b"SET greeting hello\r\n")?;
/// let mut reply = [0u8; 5];
/// client.read_exact(&mut reply)?;
/// assert_eq!(&reply, b"+OK\r\n");
/// // The server serves the store it was given: in-process callers see the same keys.
/// assert_eq!(store.connect().call(["GET", "greeting"]), embedis::Reply::Bulk(b"hello".to_vec()));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Server {
    addr: SocketAddr,
    inner: Arc<Inner>,
    event_loop: Option<JoinHandle<()>>,
}

/// What the acceptor, every client thread and the [`Server`] handle share.
pub(crate) struct Inner {
    store: Store,
    config: Mutex<Config>,
    /// Every parameter `CONFIG GET` lists, by name.
    params: Mutex<BTreeMap<String, String>>,
    addr: SocketAddr,
    stopping: AtomicBool,
    /// SHUTDOWN decided about saving (it saved, or NOSAVE): the stop does not save again.
    save_at_stop_done: AtomicBool,
    /// Connected clients by id, for CLIENT LIST/KILL and INFO.
    clients: Mutex<BTreeMap<u64, ClientEntry>>,
    /// Clients CLIENT KILL closed, for the event loop to disconnect.
    doomed: Mutex<Vec<u64>>,
    /// Wakes the event loop (stop, kills from other threads).
    waker: Arc<mio::Waker>,
    /// Clients whose mailbox got something while idle: the event loop writes it to them.
    mail: Arc<Mutex<Vec<u64>>>,
    /// CONFIG SET port's new listener (`None` inside for port 0), for the event loop to take.
    moved_listener: Mutex<Option<Option<std::net::TcpListener>>>,
    /// Signalled once the server has stopped.
    stopped: (Mutex<bool>, Condvar),
    started: Instant,
    /// INFO's `run_id`: 40 random hex digits, fixed for the server's life.
    run_id: String,
    /// The replication ID (INFO's `master_replid`), 40 random hex digits; DEBUG CHANGE-REPL-ID
    /// draws a new one.
    replication_id: Mutex<String>,
    stats: Stats,
    /// What commands did (INFO commandstats, errorstats, latencystats), counted by the store.
    command_stats: Arc<Mutex<crate::command::stats::CommandStats>>,
    /// The event loop's thread, as `/proc/thread-self` names it (`<pid>/task/<tid>`): INFO's
    /// main-thread CPU times.
    loop_thread: Mutex<Option<std::path::PathBuf>>,
}

/// Counters INFO reports.
#[derive(Default)]
pub(crate) struct Stats {
    connections_received: AtomicU64,
    commands_processed: AtomicU64,
    rejected_connections: AtomicU64,
}

/// A connected client as the registry sees it.
pub(crate) struct ClientEntry {
    addr: SocketAddr,
    local: SocketAddr,
    created: Instant,
    /// What changes with each command: the client updates it under its own lock, not the
    /// registry's, so clients do not contend on every command.
    state: Arc<Mutex<ClientState>>,
    /// Its mailbox: where invalidation messages redirected to it go (CLIENT TRACKING REDIRECT).
    mailbox: Arc<crate::pubsub::Mailbox>,
}

/// The parts of a client CLIENT LIST shows that change as it runs commands.
#[derive(Default)]
pub(crate) struct ClientState {
    name: Option<Vec<u8>>,
    db: usize,
    resp: u8,
    /// The user it authenticated as, if not `default`.
    user: Option<crate::acl::UserId>,
    last_command: String,
    /// When the client last sent a command (CLIENT LIST's `idle`); `None` before its first.
    last_active: Option<Instant>,
    /// Its input buffer: bytes received and not yet consumed, and room left (`qbuf`,
    /// `qbuf-free`).
    qbuf: usize,
    qbuf_free: usize,
    /// How many channels, patterns and shard channels it subscribes to.
    subscriptions: (usize, usize, usize),
    /// It is a replica (it sent SYNC or PSYNC).
    replica: bool,
    /// It is in MONITOR.
    monitoring: bool,
    /// Inside MULTI, how many commands it queued and what their arguments take.
    multi: Option<(usize, usize)>,
}

impl Server {
    /// Starts serving `store` on `addr` (port 0 picks a free port) with the default [`Config`].
    ///
    /// ```
    /// let store = embedis::Store::new();
    /// let server = embedis::server::Server::start(store.clone(), "127.0.0.1:0")?;
    /// assert_ne!(server.addr().port(), 0);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start(store: Store, addr: impl ToSocketAddrs) -> io::Result<Server> {
        Self::start_with(store, addr, Config::default())
    }

    /// Starts serving `store` on `addr` with `config`.
    ///
    /// ```
    /// use embedis::server::{Config, Server};
    /// let server = Server::start_with(embedis::Store::new(), "127.0.0.1:0", Config::default().maxclients(100))?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn start_with(store: Store, addr: impl ToSocketAddrs, config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        // As Redis's cron: keys past their TTL go even when no command comes.
        store.shared().expire_in_background();
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let mut listener = mio::net::TcpListener::from_std(listener);
        let poll = mio::Poll::new()?;
        poll.registry()
            .register(&mut listener, event_loop::LISTENER, mio::Interest::READABLE)?;
        let waker = mio::Waker::new(poll.registry(), event_loop::WAKER)?;
        let mut params: BTreeMap<String, String> = config_defaults::DEFAULTS
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        params.insert("port".into(), addr.port().to_string());
        let append_only = crate::persistence::AppendOnly {
            dirname: config.appenddirname.clone(),
            filename: config.appendfilename.clone(),
            fsync: config.appendfsync,
            load_truncated: config.aof_load_truncated,
            timestamps: false,
            rdb_preamble: config.aof_use_rdb_preamble,
        };
        store.shared().lock().keyspace.rdb_checksum = config.rdbchecksum;
        store.shared().users.served.store(true, Ordering::Release);
        if let Some(path) = &config.aclfile {
            let users = &store.shared().users;
            *users.file.lock() = Some(path.clone());
            crate::command::acl::load_file(users, path).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("Aborting Redis startup because of ACL errors: {e}"),
                )
            })?;
        }
        if let Some(password) = &config.requirepass {
            let users = &store.shared().users;
            users.update(|acl| acl.set_default_password(Some(password.as_bytes())));
        }
        match &config.dir {
            Some(dir) if config.appendonly => {
                let dir = crate::persistence::open_append_only(
                    &mut store.shared().lock(),
                    dir,
                    &config.dbfilename,
                    &append_only,
                )?;
                params.insert("dir".into(), dir.display().to_string());
            }
            Some(dir) => {
                let mut state = store.shared().lock();
                let dir = crate::persistence::open(&mut state, dir, &config.dbfilename)?;
                // Where CONFIG SET appendonly yes and BGREWRITEAOF would keep the AOF.
                state.keyspace.saving.append_only = Some((dir.clone(), append_only.clone()));
                params.insert("dir".into(), dir.display().to_string());
            }
            None if config.appendonly => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "appendonly needs a directory (Config::dir, --dir)",
                ));
            }
            None => {}
        }
        params.insert("dbfilename".into(), config.dbfilename.clone());
        params.insert("appendfsync".into(), config.appendfsync.name().into());
        params.insert("appenddirname".into(), config.appenddirname.clone());
        params.insert("appendfilename".into(), config.appendfilename.clone());
        for (name, on) in [
            ("appendonly", config.appendonly),
            ("aof-load-truncated", config.aof_load_truncated),
            ("rdbchecksum", config.rdbchecksum),
            ("protected-mode", config.protected_mode),
            ("aof-use-rdb-preamble", config.aof_use_rdb_preamble),
        ] {
            params.insert(name.into(), if on { "yes" } else { "no" }.into());
        }
        if let Some(path) = &config.aclfile {
            params.insert("aclfile".into(), path.display().to_string());
        }
        if store.shared().cluster.is_some() {
            params.insert("cluster-enabled".into(), "yes".into());
        }
        let points = crate::persistence::save_points(&config.save)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "Invalid save parameters"))?;
        params.insert("save".into(), crate::persistence::show_save_points(&points));
        store.shared().lock().keyspace.saving.set_points(points);
        params.insert("bind".into(), addr.ip().to_string());
        params.insert("requirepass".into(), config.requirepass.clone().unwrap_or_default());
        params.insert("maxclients".into(), config.maxclients.to_string());
        params.insert("proto-max-bulk-len".into(), config.proto_max_bulk_len.to_string());
        params.insert(
            "client-query-buffer-limit".into(),
            config.client_query_buffer_limit.to_string(),
        );
        let threshold = store.busy_reply_threshold().as_millis().to_string();
        for name in params::names_of("busy-reply-threshold") {
            params.insert(name.to_string(), threshold.clone());
        }
        // What the process holds before any client: INFO's `used_memory_startup`.
        store.shared().lock().keyspace.startup_memory = CountingAllocator::allocated().unwrap_or(0);
        let command_stats = store.shared().count_commands();
        let inner = Arc::new(Inner {
            store,
            command_stats,
            loop_thread: Mutex::new(None),
            config: Mutex::new(config),
            params: Mutex::new(params),
            addr,
            stopping: AtomicBool::new(false),
            save_at_stop_done: AtomicBool::new(false),
            clients: Mutex::new(BTreeMap::new()),
            doomed: Mutex::new(Vec::new()),
            waker: Arc::new(waker),
            mail: Arc::default(),
            moved_listener: Mutex::new(None),
            stopped: (Mutex::new(false), Condvar::new()),
            started: Instant::now(),
            run_id: crate::ids::random_id(),
            replication_id: Mutex::new(crate::ids::random_id()),
            stats: Stats::default(),
        });
        inner.apply_cluster();
        if let Some((host, port)) = inner.config.lock().replicaof.clone() {
            let shared = inner.store.shared();
            let mut state = shared.lock();
            state.keyspace.following.auth = primary_auth(&inner.params.lock());
            crate::replica::follow(shared, &mut state.keyspace, &host, port, Some(addr.port()));
        }
        let event_loop = {
            let inner = Arc::clone(&inner);
            std::thread::Builder::new()
                .name("embedis-server".into())
                .spawn(move || {
                    event_loop::run(&inner, poll, listener);
                    // As Redis on SIGTERM: with save points set, the data is saved before it
                    // exits (SHUTDOWN decided for itself).
                    if !inner.save_at_stop_done.load(Ordering::Acquire) {
                        let _ = inner.save_for_stop(false);
                    }
                    let (lock, signal) = &inner.stopped;
                    *lock.lock() = true;
                    signal.notify_all();
                })?
        };
        Ok(Server {
            addr,
            inner,
            event_loop: Some(event_loop),
        })
    }

    /// The address the server listens on.
    ///
    /// ```
    /// let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
    /// assert!(server.addr().ip().is_loopback());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `redis://<host>:<port>`, for clients that take a URL.
    ///
    /// ```
    /// let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
    /// assert_eq!(server.url(), format!("redis://127.0.0.1:{}", server.addr().port()));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// The store the server serves: what clients write, the test reads in process.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use embedis::Commands;
    ///
    /// let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
    /// let mut client = std::net::TcpStream::connect(server.addr())?;
    /// client.write_all(b"SET k v\r\n")?;
    /// client.read_exact(&mut [0u8; 5])?;
    /// assert_eq!(server.store().get_as::<String>("k").unwrap(), "v");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// A handle that stops the server from anywhere (a signal-watching thread, another test),
    /// as a client's SHUTDOWN does.
    ///
    /// ```
    /// let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
    /// let stopper = server.stopper();
    /// std::thread::spawn(move || stopper.stop());
    /// server.wait(); // returns once the other thread stopped it
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stopper(&self) -> Stopper {
        Stopper(Arc::clone(&self.inner))
    }

    /// Blocks until the server stops (a client's SHUTDOWN, or a [`Stopper`]).
    ///
    /// ```
    /// use std::io::Write;
    /// let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
    /// std::net::TcpStream::connect(server.addr())?.write_all(b"SHUTDOWN\r\n")?;
    /// server.wait();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait(&self) {
        let (lock, signal) = &self.inner.stopped;
        let mut stopped = lock.lock();
        while !*stopped {
            signal.wait(&mut stopped);
        }
    }

    /// Stops accepting, closes every client connection and waits for the event loop to end.
    ///
    /// ```
    /// let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
    /// let addr = server.addr();
    /// server.stop();
    /// assert!(std::net::TcpStream::connect(addr).is_err());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Stops as [`Server::stop`] does, without the save a stop makes with `save` points (the
    /// store's owner saves it).
    pub(crate) fn stop_without_saving(self) {
        self.inner.save_at_stop_done();
        self.stop();
    }

    fn shutdown(&mut self) {
        self.inner.begin_stop();
        if let Some(event_loop) = self.event_loop.take() {
            let _ = event_loop.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Stops a [`Server`] from another thread: [`Server::wait`] then returns.
///
/// ```
/// let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
/// let stopper = server.stopper();
/// stopper.stop();
/// server.wait(); // returns at once: the server has stopped
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Stopper(Arc<Inner>);

impl Stopper {
    /// Stops accepting and disconnects every client.
    ///
    /// ```
    /// let server = embedis::server::Server::start(embedis::Store::new(), "127.0.0.1:0")?;
    /// server.stopper().stop();
    /// server.wait();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(&self) {
        self.0.begin_stop();
    }
}

impl std::fmt::Debug for Stopper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stopper").field("addr", &self.0.addr).finish()
    }
}

impl Inner {
    /// Saves the RDB file before the server stops, as Redis's shutdown does: when the server
    /// persists (`dir`) and either save points are set or `forced` (SHUTDOWN SAVE). The error
    /// is why the file could not be written.
    pub(crate) fn save_for_stop(&self, forced: bool) -> io::Result<()> {
        let mut state = self.store.shared().lock();
        let state = &mut *state;
        let ks = &mut state.keyspace;
        if ks.saving.rdb_path.is_none() || (!forced && !ks.saving.has_points()) {
            return Ok(());
        }
        crate::persistence::save_now(ks, &state.engines)
    }

    /// SHUTDOWN saved (or was told not to): the stop does not save.
    pub(crate) fn save_at_stop_done(&self) {
        self.save_at_stop_done.store(true, Ordering::Release);
    }

    /// Stops accepting and disconnects every client (idempotent): the event loop wakes, closes
    /// every connection and ends.
    pub(crate) fn begin_stop(&self) {
        if !self.stopping.swap(true, Ordering::SeqCst) {
            // A script running now would keep the loop from ever seeing the stop.
            self.store.shared().watchdog.abort();
            let _ = self.waker.wake();
        }
    }

    /// Closes a client's connection (CLIENT KILL): gone from the client list at once, its socket
    /// closed by the event loop.
    pub(crate) fn disconnect(&self, id: u64) -> bool {
        if self.clients.lock().remove(&id).is_none() {
            return false;
        }
        self.doomed.lock().push(id);
        let _ = self.waker.wake();
        true
    }

    /// Whether protected mode refuses other hosts' connections: `protected-mode yes` while the
    /// `default` user has no password.
    pub(crate) fn protected(&self) -> bool {
        self.params.lock().get("protected-mode").is_none_or(|v| v == "yes")
            && self
                .store
                .shared()
                .users
                .read()
                .user(b"default")
                .is_some_and(|u| u.nopass)
    }

    /// Closes the connections `kills` name (Redis's `ACLFreeUserAndKillClients`,
    /// `ACLKillPubsubClientsIfNeeded`); answers whether `current`, the client that ran the
    /// change, is among them (it closes after its reply).
    pub(crate) fn close_for_acl(&self, kills: &[crate::acl::Kill], current: u64) -> bool {
        use crate::acl::Kill;
        let of_user = |user: u64| -> Vec<u64> {
            let clients = self.clients.lock();
            clients
                .iter()
                .filter(|(_, entry)| entry.state.lock().user == Some(user))
                .map(|(id, _)| *id)
                .collect()
        };
        let mut doomed = Vec::new();
        for kill in kills {
            match *kill {
                Kill::Connections(user) => doomed.extend(of_user(user)),
                Kill::Subscribers(user) => {
                    let candidates = of_user(user);
                    let shared = self.store.shared();
                    let acl = shared.users.read();
                    let Some(user) = acl.user_by_id(user) else {
                        continue;
                    };
                    let state = shared.lock();
                    doomed.extend(candidates.into_iter().filter(|&client| {
                        state
                            .keyspace
                            .pubsub
                            .subscribes_beyond(client, |name, pattern| user.may_subscribe(name, pattern))
                    }));
                }
            }
        }
        let mut close_current = false;
        for client in doomed {
            if client == current {
                close_current = true;
            } else {
                self.disconnect(client);
            }
        }
        close_current
    }

    /// Applies a checked CONFIG SET (`name` canonical, `shown` as `params::check` gave it).
    pub(crate) fn set_param(&self, name: &str, shown: String) {
        {
            let mut config = self.config.lock();
            match name {
                "requirepass" => {
                    config.requirepass = (!shown.is_empty()).then(|| shown.clone());
                    // The `default` user's password (Redis's `ACLUpdateDefaultUserPassword`).
                    let password = config.requirepass.as_deref().map(str::as_bytes);
                    self.store
                        .shared()
                        .users
                        .update(|acl| acl.set_default_password(password));
                }
                "maxclients" => config.maxclients = shown.parse().unwrap_or(config.maxclients),
                "proto-max-bulk-len" => config.proto_max_bulk_len = shown.parse().unwrap_or(config.proto_max_bulk_len),
                "client-query-buffer-limit" => {
                    config.client_query_buffer_limit = shown.parse().unwrap_or(config.client_query_buffer_limit)
                }
                "busy-reply-threshold" => {
                    if let Ok(ms) = shown.parse::<u64>() {
                        self.store
                            .set_busy_reply_threshold(std::time::Duration::from_millis(ms));
                    }
                }
                _ => {}
            }
        }
        let mut table = self.params.lock();
        // Each class given replaces that class's limits; the others stay.
        let shown = if name == "client-output-buffer-limit" {
            let current = table.get(name).cloned().unwrap_or_default();
            let mut classes = params::output_buffer_limits(&current).unwrap_or_default();
            for (class, limits) in params::output_buffer_limits(&shown).unwrap_or_default() {
                match classes.iter_mut().find(|(c, _)| *c == class) {
                    Some((_, old)) => *old = limits,
                    None => classes.push((class, limits)),
                }
            }
            classes
                .iter()
                .map(|(class, [hard, soft, seconds])| format!("{class} {hard} {soft} {seconds}"))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            shown
        };
        for shown_as in params::names_of(name) {
            table.insert(shown_as.to_string(), shown.clone());
        }
        if name == "latency-monitor-threshold" {
            drop(table);
            let ms = shown.parse().unwrap_or(0);
            self.command_stats.lock().latency.set_threshold(ms);
            return;
        }
        if name.starts_with("slowlog-") {
            let slower_than = number(&table, "slowlog-log-slower-than", 10_000i64);
            let max_len = number(&table, "slowlog-max-len", 128u64);
            drop(table);
            self.command_stats
                .lock()
                .set_slowlog(slower_than, usize::try_from(max_len).unwrap_or(usize::MAX));
        }
    }

    /// `client-output-buffer-limit`'s pubsub class as it stands.
    pub(crate) fn pubsub_limit(&self) -> crate::pubsub::OutputLimit {
        let params = self.params.lock();
        let classes = params
            .get("client-output-buffer-limit")
            .and_then(|value| params::output_buffer_limits(value).ok())
            .unwrap_or_default();
        classes.iter().find(|(class, _)| *class == "pubsub").map_or_else(
            crate::pubsub::OutputLimit::default,
            |(_, [hard, soft, seconds])| crate::pubsub::OutputLimit {
                hard: *hard as usize,
                soft: *soft as usize,
                soft_seconds: *seconds,
            },
        )
    }

    /// The LFU settings, if `maxmemory-policy` is an LFU one (OBJECT FREQ counts then).
    pub(crate) fn lfu(&self) -> Option<crate::keyspace::Lfu> {
        let params = self.params.lock();
        params
            .get("maxmemory-policy")
            .is_some_and(|policy| policy.ends_with("-lfu"))
            .then(|| crate::keyspace::Lfu {
                log_factor: number(&params, "lfu-log-factor", 10),
                decay_minutes: number(&params, "lfu-decay-time", 1),
            })
    }

    /// `maxmemory`, `maxmemory-policy`, `maxmemory-samples` and `maxmemory-eviction-tenacity`
    /// as they stand, applied to `ks`: keys are evicted from the next command on (or the
    /// background expiry's next round, as Redis's eviction timer).
    pub(crate) fn apply_eviction(&self, ks: &mut crate::keyspace::Keyspace) {
        let params = self.params.lock();
        self.store.shared().set_eviction(ks, |eviction| {
            eviction.maxmemory = number(&params, "maxmemory", 0);
            eviction.policy = params
                .get("maxmemory-policy")
                .and_then(|policy| policy.parse().ok())
                .unwrap_or_default();
            eviction.samples = number(&params, "maxmemory-samples", 5);
            eviction.tenacity = number(&params, "maxmemory-eviction-tenacity", 10);
        });
    }

    /// `latency-monitor-threshold` as it stands, in milliseconds.
    /// In cluster mode, hands the cluster the port it is reached on and the settings CONFIG SET
    /// changes (`cluster-require-full-coverage`, `cluster-allow-reads-when-down`,
    /// `cluster-allow-pubsubshard-when-down`).
    pub(crate) fn apply_cluster(&self) {
        let Some(cluster) = &self.store.shared().cluster else {
            return;
        };
        let params = self.params.lock();
        cluster.set_port(number(&params, "port", 0) as u16);
        for (name, setting) in [
            (
                "cluster-require-full-coverage",
                crate::cluster::Setting::RequireFullCoverage,
            ),
            (
                "cluster-allow-reads-when-down",
                crate::cluster::Setting::AllowReadsWhenDown,
            ),
            (
                "cluster-allow-pubsubshard-when-down",
                crate::cluster::Setting::AllowPubsubshardWhenDown,
            ),
        ] {
            cluster.set(setting, params.get(name).is_some_and(|value| value == "yes"));
        }
    }

    pub(crate) fn latency_threshold_ms(&self) -> u64 {
        number(&self.params.lock(), "latency-monitor-threshold", 0)
    }

    /// The compact encodings' thresholds as the parameters stand (Redis's defaults at start).
    pub(crate) fn encodings(&self) -> Encodings {
        let params = self.params.lock();
        // Parameters checked as 64-bit counts; a count past usize (32-bit targets) saturates.
        let size =
            |name: &str, default: usize| usize::try_from(number(&params, name, default as u64)).unwrap_or(usize::MAX);
        let defaults = Encodings::default();
        Encodings {
            hash_max_entries: size("hash-max-listpack-entries", defaults.hash_max_entries),
            hash_max_value: size("hash-max-listpack-value", defaults.hash_max_value),
            set_max_intset_entries: size("set-max-intset-entries", defaults.set_max_intset_entries),
            zset_max_entries: size("zset-max-listpack-entries", defaults.zset_max_entries),
            zset_max_value: size("zset-max-listpack-value", defaults.zset_max_value),
            stream_node: crate::keyspace::stream::NodeLimits {
                max_bytes: size("stream-node-max-bytes", defaults.stream_node.max_bytes),
                max_entries: size("stream-node-max-entries", defaults.stream_node.max_entries),
            },
            hll_sparse_max_bytes: size("hll-sparse-max-bytes", defaults.hll_sparse_max_bytes),
        }
    }

    fn unix_time(&self) -> u64 {
        crate::clock::system_micros().div_euclid(1_000_000).max(0) as u64
    }
}

/// A numeric parameter as it stands in the `params` table (which holds only checked values),
/// or `default`.
fn number<T: std::str::FromStr>(params: &BTreeMap<String, String>, name: &str, default: T) -> T {
    params.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}
