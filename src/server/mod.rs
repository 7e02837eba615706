//! A Redis server over a [`Store`] (feature `server`): any Redis client, in any language, can talk
//! to an embedis store over TCP.
//!
//! Each client gets its own thread and its own [`Connection`](crate::Connection) (database, MULTI
//! queue, watches, protocol, name), so a blocking command blocks only its client. Requests are
//! read as Redis reads them ([`protocol`]): RESP2/RESP3 frames, inline commands, pipelining, and
//! Redis's protocol errors, after which the connection closes as in Redis.
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
pub mod protocol;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use parking_lot::{Condvar, Mutex};

use crate::Store;

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
}

impl Config {
    /// Requires clients to AUTH with `password`.
    pub fn requirepass(mut self, password: impl Into<String>) -> Config {
        self.requirepass = Some(password.into());
        self
    }

    /// Refuses clients beyond `n` connected at once.
    pub fn maxclients(mut self, n: usize) -> Config {
        self.maxclients = n;
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
        }
    }
}

/// A running server: accepting clients on its address until [`Server::stop`] (or drop), or a
/// client's SHUTDOWN.
pub struct Server {
    addr: SocketAddr,
    inner: Arc<Inner>,
    acceptor: Option<JoinHandle<()>>,
}

/// What the acceptor, every client thread and the [`Server`] handle share.
pub(crate) struct Inner {
    store: Store,
    config: Mutex<Config>,
    addr: SocketAddr,
    stopping: AtomicBool,
    /// Connected clients by id, for CLIENT LIST/KILL and INFO.
    clients: Mutex<BTreeMap<u64, ClientEntry>>,
    /// Client threads, joined on stop.
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Signalled once the server has stopped.
    stopped: (Mutex<bool>, Condvar),
    started: Instant,
    stats: Stats,
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
    /// A handle on the socket, to close it (CLIENT KILL, stop).
    stream: TcpStream,
    name: Option<Vec<u8>>,
    db: usize,
    resp: u8,
    created: Instant,
    last_command: String,
}

impl Server {
    /// Starts serving `store` on `addr` (port 0 picks a free port) with the default [`Config`].
    pub fn start(store: Store, addr: impl ToSocketAddrs) -> io::Result<Server> {
        Self::start_with(store, addr, Config::default())
    }

    /// Starts serving `store` on `addr` with `config`.
    pub fn start_with(store: Store, addr: impl ToSocketAddrs, config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            store,
            config: Mutex::new(config),
            addr,
            stopping: AtomicBool::new(false),
            clients: Mutex::new(BTreeMap::new()),
            threads: Mutex::new(Vec::new()),
            stopped: (Mutex::new(false), Condvar::new()),
            started: Instant::now(),
            stats: Stats::default(),
        });
        let acceptor = {
            let inner = Arc::clone(&inner);
            std::thread::Builder::new()
                .name("embedis-accept".into())
                .spawn(move || accept(&inner, listener))?
        };
        Ok(Server {
            addr,
            inner,
            acceptor: Some(acceptor),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `redis://<host>:<port>`, for clients that take a URL.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// The store the server serves.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// A handle that stops the server from anywhere (a signal-watching thread, another test),
    /// as a client's SHUTDOWN does.
    pub fn stopper(&self) -> Stopper {
        Stopper(Arc::clone(&self.inner))
    }

    /// Blocks until the server stops (a client's SHUTDOWN, or [`Server::stop`] from elsewhere).
    pub fn wait(&self) {
        let (lock, signal) = &self.inner.stopped;
        let mut stopped = lock.lock();
        while !*stopped {
            signal.wait(&mut stopped);
        }
    }

    /// Stops accepting, closes every client connection and waits for their threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.inner.begin_stop();
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
        let threads = std::mem::take(&mut *self.inner.threads.lock());
        for thread in threads {
            let _ = thread.join();
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
#[derive(Clone)]
pub struct Stopper(Arc<Inner>);

impl Stopper {
    /// Stops accepting and disconnects every client.
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
    /// Stops accepting and disconnects every client (idempotent): the acceptor is woken by a
    /// connection to itself, clients by their sockets closing or their blocking command ending.
    pub(crate) fn begin_stop(&self) {
        if self.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        let wake = match self.addr {
            SocketAddr::V4(a) if a.ip().is_unspecified() => SocketAddr::from(([127, 0, 0, 1], a.port())),
            SocketAddr::V6(a) if a.ip().is_unspecified() => SocketAddr::from(([0u16, 0, 0, 0, 0, 0, 0, 1], a.port())),
            other => other,
        };
        let _ = TcpStream::connect(wake);
        let ids: Vec<u64> = self.clients.lock().keys().copied().collect();
        for id in ids {
            self.disconnect(id);
        }
        let (lock, signal) = &self.stopped;
        *lock.lock() = true;
        signal.notify_all();
    }

    /// Closes a client's socket and ends any blocking command it waits in.
    pub(crate) fn disconnect(&self, id: u64) -> bool {
        // Gone from the registry at once, as a killed client is gone from Redis's client list.
        let found = match self.clients.lock().remove(&id) {
            Some(entry) => {
                let _ = entry.stream.shutdown(Shutdown::Both);
                true
            }
            None => false,
        };
        if found {
            self.store.shared().interrupt_blocked(id, crate::Reply::NilArray);
        }
        found
    }

    fn unix_time(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }
}

/// The accept loop: one thread per client, refused beyond `maxclients` with Redis's error.
fn accept(inner: &Arc<Inner>, listener: TcpListener) {
    for stream in listener.incoming() {
        if inner.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else { continue };
        inner.stats.connections_received.fetch_add(1, Ordering::Relaxed);
        let maxclients = inner.config.lock().maxclients;
        if inner.clients.lock().len() >= maxclients {
            inner.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
            let _ = stream.write_all(b"-ERR max number of clients reached\r\n");
            continue;
        }
        let _ = stream.set_nodelay(true);
        let worker = Arc::clone(inner);
        let spawned = std::thread::Builder::new()
            .name("embedis-client".into())
            .spawn(move || client::serve(&worker, stream));
        let mut threads = inner.threads.lock();
        threads.retain(|t| !t.is_finished());
        if let Ok(handle) = spawned {
            threads.push(handle);
        }
    }
    let (lock, signal) = &inner.stopped;
    *lock.lock() = true;
    signal.notify_all();
}
