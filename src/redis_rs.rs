//! redis-rs adapters (feature `redis-rs`): unchanged redis-rs code runs against an in-process
//! store, with no socket at all.
//!
//! [`RedisConnection`] implements `redis::ConnectionLike` and `redis::aio::ConnectionLike`. Commands
//! redis-rs packs are read back with the server's request parser, run on an embedis
//! [`Connection`], and each reply is encoded in RESP and decoded by redis-rs's own parser — so
//! redis-rs sees exactly the values it would read from a server, RESP3 types included after
//! `HELLO 3`.
//!
//! ```
//! use redis::Commands;
//!
//! let store = embedis::Store::new();
//! let mut con = embedis::redis_rs::RedisConnection::new(&store);
//! let _: () = con.set("visits", 41)?;
//! let visits: i64 = con.incr("visits", 1)?;
//! assert_eq!(visits, 42);
//!
//! // MULTI/EXEC through redis-rs's pipeline.
//! let (a, b): (i64, i64) = redis::pipe().atomic().incr("n", 1).incr("n", 1).query(&mut con)?;
//! assert_eq!((a, b), (1, 2));
//! # Ok::<(), redis::RedisError>(())
//! ```
//!
//! [`multiplexed_connection`] hands out redis-rs's own `MultiplexedConnection`, served in process
//! over an in-memory stream, for code that needs one (RESP3 Pub/Sub with push messages, a
//! connection shared by tasks).
//!
//! The async side of [`RedisConnection`] runs each command at once when polled: a blocking command (BLPOP with a
//! timeout) blocks the thread that polls it, as a synchronous call would.
//!
//! Two differences from a connection to a server: an atomic pipeline with a queue-time error
//! (an unknown command, a wrong arity) fails with EXEC's own `EXECABORT` error — the kind
//! (`ErrorKind::Server(ServerErrorKind::ExecAbort)`) and code redis-rs gives over a socket, but
//! not its list of the queued commands' errors, which only redis-rs can build; and the server's
//! own commands (CONFIG, INFO, AUTH, …, and CLIENT but for its ID, GETNAME, SETNAME and
//! client-side caching subcommands) are unknown in process, as on any [`Connection`].

use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use crate::server::protocol::{RequestParser, Step};
use crate::{Connection, Reply, Store};

/// An in-process redis-rs connection to a [`Store`]: its own client, with its own database,
/// MULTI queue, watches and protocol, like a TCP connection to a Redis server.
///
/// ```
/// use redis::Commands;
///
/// let store = embedis::Store::new();
/// let mut con = embedis::redis_rs::RedisConnection::new(&store);
/// // A check-and-set transfer with redis-rs's WATCH/MULTI/EXEC helper.
/// let _: () = con.set("alice", 100)?;
/// let (alice, bob): (i64, i64) = redis::transaction(&mut con, &["alice"], |con, pipe| {
///     let balance: i64 = con.get("alice")?;
///     pipe.decr("alice", balance.min(30)).incr("bob", balance.min(30)).query(con)
/// })?;
/// assert_eq!((alice, bob), (70, 30));
/// # Ok::<(), redis::RedisError>(())
/// ```
pub struct RedisConnection {
    conn: Connection,
}

/// A clone is a new client of the same store, in the same database and speaking the same
/// protocol: it can go to another thread or task and run commands, atomic pipelines and
/// WATCH/MULTI/EXEC of its own, as a pool of connections to one server would. It does not share
/// the original's MULTI queue, watches or later SELECTs.
///
/// ```
/// use redis::Commands;
///
/// let store = embedis::Store::new();
/// let mut con = embedis::redis_rs::RedisConnection::new(&store);
/// redis::cmd("SELECT").arg(2).exec(&mut con)?;
/// let mut other = con.clone();
/// std::thread::spawn(move || other.set::<_, _, ()>("k", "from a clone")).join().unwrap()?;
/// let k: String = con.get("k")?;
/// assert_eq!(k, "from a clone", "the clone works in the same database");
/// # Ok::<(), redis::RedisError>(())
/// ```
impl Clone for RedisConnection {
    fn clone(&self) -> RedisConnection {
        RedisConnection {
            conn: self.conn.sibling(),
        }
    }
}

impl std::fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisConnection")
            .field("id", &self.conn.id())
            .field("db", &self.conn.database())
            .finish()
    }
}

impl RedisConnection {
    /// A new client of `store`, in database 0, speaking RESP2.
    ///
    /// ```
    /// let store = embedis::Store::new();
    /// let con = embedis::redis_rs::RedisConnection::new(&store);
    /// assert_eq!(redis::ConnectionLike::get_db(&con), 0);
    /// ```
    pub fn new(store: &Store) -> RedisConnection {
        RedisConnection { conn: store.connect() }
    }

    /// The embedis connection underneath (its database, protocol, raw calls).
    ///
    /// ```
    /// let mut con = embedis::redis_rs::RedisConnection::new(&embedis::Store::new());
    /// let _: () = redis::cmd("SELECT").arg(3).query(&mut con).unwrap();
    /// assert_eq!(con.connection().database(), 3);
    /// ```
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// Runs every command packed in `bytes` and answers their replies as redis-rs values.
    fn run_packed(&mut self, bytes: &[u8]) -> RedisResult<Vec<Value>> {
        let mut parser = RequestParser::new();
        let mut pos = 0;
        let mut values = Vec::new();
        loop {
            match parser.next(bytes, &mut pos) {
                Ok(Step::Command(argv)) => {
                    let reply = self.conn.execute(argv);
                    values.push(self.value(&reply)?);
                }
                Ok(Step::Empty) => {}
                Ok(Step::NeedMore) if pos == bytes.len() && !parser.in_frame() => return Ok(values),
                Ok(Step::NeedMore) => {
                    return Err(RedisError::from((ErrorKind::Parse, "incomplete packed command")));
                }
                Err(_) => return Err(RedisError::from((ErrorKind::Parse, "malformed packed command"))),
            }
        }
    }

    /// A reply as redis-rs reads it off the wire.
    fn value(&self, reply: &Reply) -> RedisResult<Value> {
        let bytes = if self.conn.protocol() == 3 {
            reply.to_resp3()
        } else {
            reply.to_resp()
        };
        redis::parse_redis_value(&bytes)
    }

    /// redis-rs's reading of a pipeline's replies (`Connection::req_packed_commands`): skip
    /// `offset` replies (a transaction's MULTI and QUEUED), keep `count`; errors while queuing
    /// fail the whole call.
    fn pipeline_replies(&mut self, bytes: &[u8], offset: usize, count: usize) -> RedisResult<Vec<Value>> {
        let values = self.run_packed(bytes)?;
        let mut kept = Vec::with_capacity(count);
        let mut queue_error = None;
        for (idx, value) in values.into_iter().enumerate().take(offset + count) {
            match value {
                // An atomic pipeline's MULTI and queued commands come before `offset`: an error
                // there is a queue-time error, and EXEC (kept) answers EXECABORT.
                Value::ServerError(err) if idx < offset => queue_error = queue_error.or(Some(err)),
                value if idx >= offset => kept.push(value),
                _ => {}
            }
        }
        let Some(queue_error) = queue_error else {
            return Ok(kept);
        };
        // Over a socket redis-rs reports this as an `ExecAbort` error listing the queue-time
        // errors; its constructor for that is private, so the adapter reports EXEC's own
        // EXECABORT error: the same kind (`ErrorKind::Server(ServerErrorKind::ExecAbort)`) and
        // code, a shorter message.
        Err(match kept.pop() {
            Some(Value::ServerError(exec_abort)) => RedisError::from(exec_abort),
            _ => RedisError::from(queue_error),
        })
    }
}

impl redis::ConnectionLike for RedisConnection {
    fn req_packed_command(&mut self, cmd: &[u8]) -> RedisResult<Value> {
        let mut values = self.run_packed(cmd)?;
        match values.len() {
            0 => Err(RedisError::from((ErrorKind::Client, "no command to run"))),
            _ => Ok(values.swap_remove(values.len() - 1)),
        }
    }

    fn req_packed_commands(&mut self, cmd: &[u8], offset: usize, count: usize) -> RedisResult<Vec<Value>> {
        self.pipeline_replies(cmd, offset, count)
    }

    fn get_db(&self) -> i64 {
        self.conn.database() as i64
    }

    fn check_connection(&mut self) -> bool {
        true
    }

    fn is_open(&self) -> bool {
        true
    }
}

impl redis::aio::ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let result = redis::ConnectionLike::req_packed_command(self, &cmd.get_packed_command());
        Box::pin(std::future::ready(result))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let result = self.pipeline_replies(&pipeline.get_packed_pipeline(), offset, count);
        Box::pin(std::future::ready(result))
    }

    fn get_db(&self) -> i64 {
        self.conn.database() as i64
    }
}

/// A real redis-rs [`MultiplexedConnection`](redis::aio::MultiplexedConnection) to `store`,
/// served in process over an in-memory stream: no socket, no port. Everything a redis-rs user
/// does on a multiplexed connection works as against a server — pipelines, transactions, and
/// with [`ProtocolVersion::RESP3`](redis::ProtocolVersion::RESP3) Pub/Sub with push messages
/// (give a push sender in `config`) — including the connection's own setup (HELLO, SELECT of
/// `info`'s database).
///
/// Call it inside a tokio runtime with its time driver on (redis-rs times its requests): the
/// connection's driver runs as a task of it. The store's
/// side runs on a thread of its own, one per connection, so a blocking command (BLPOP) waits
/// there, not on the runtime. The server's own commands (CONFIG, INFO, AUTH, …) are unknown in
/// process, and of CLIENT only the connection's own subcommands run (ID, GETNAME, SETNAME,
/// TRACKING, CACHING, GETREDIR, TRACKINGINFO: client-side caching works); redis-rs ignores the
/// failure of its `CLIENT SETINFO`, a subcommand Redis 7.0 does not have either.
///
/// ```
/// use redis::AsyncCommands;
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// runtime.block_on(async {
///     let store = embedis::Store::new();
///     let info = redis::RedisConnectionInfo::default();
///     let config = redis::AsyncConnectionConfig::new();
///     let mut con = embedis::redis_rs::multiplexed_connection(&store, &info, config).await?;
///     let _: () = con.set("visits", 41).await?;
///     let visits: i64 = con.incr("visits", 1).await?;
///     assert_eq!(visits, 42);
///     Ok::<(), redis::RedisError>(())
/// })?;
/// # Ok::<(), redis::RedisError>(())
/// ```
pub async fn multiplexed_connection(
    store: &Store,
    info: &redis::RedisConnectionInfo,
    config: redis::AsyncConnectionConfig,
) -> RedisResult<redis::aio::MultiplexedConnection> {
    let (ours, theirs) = tokio::io::duplex(64 * 1024);
    let conn = store.connect();
    std::thread::Builder::new()
        .name("embedis-redis-rs".into())
        .spawn(move || duplex::serve(conn, theirs))
        .map_err(|e| RedisError::from((ErrorKind::Io, "cannot start the connection's thread", e.to_string())))?;
    let (connection, driver) = redis::aio::MultiplexedConnection::new_with_config(info, ours, config).await?;
    tokio::spawn(driver);
    Ok(connection)
}

/// The store's side of [`multiplexed_connection`]: RESP in, replies and pushes out, on a thread
/// that sleeps until the stream or the connection's mailbox has something for it.
mod duplex {
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};

    use crate::server::protocol::{RequestParser, Step};
    use crate::{Connection, Reply};

    /// Wakes the serving thread.
    struct Unpark(std::thread::Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    /// Serves `conn` over `stream` until the other side closes it.
    pub(super) fn serve(mut conn: Connection, mut stream: DuplexStream) {
        let thread = std::thread::current();
        let mailbox = Arc::clone(conn.mailbox());
        let for_arrivals = thread.clone();
        mailbox.on_arrival(move || for_arrivals.unpark());
        let waker = Waker::from(Arc::new(Unpark(thread)));
        let mut cx = Context::from_waker(&waker);
        let mut parser = RequestParser::new();
        let mut input: Vec<u8> = Vec::new();
        let mut out = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            // What was published while the connection was idle.
            for push in mailbox.take_all() {
                encode(&conn, push, &mut out);
            }
            if !write_all(&mut stream, &mut out, &mut cx) {
                return;
            }
            let mut read = ReadBuf::new(&mut chunk);
            match Pin::new(&mut stream).poll_read(&mut cx, &mut read) {
                Poll::Ready(Ok(())) if read.filled().is_empty() => return,
                Poll::Ready(Ok(())) => input.extend_from_slice(read.filled()),
                Poll::Ready(Err(_)) => return,
                Poll::Pending => {
                    if !mailbox.pending() {
                        std::thread::park();
                    }
                    continue;
                }
            }
            let mut pos = 0;
            loop {
                match parser.next(&input, &mut pos) {
                    Ok(Step::Command(argv)) => {
                        let reply = conn.execute(argv);
                        // Pushes made during the command come where a server writes them.
                        for group in mailbox.take_marked() {
                            for push in group {
                                encode(&conn, push, &mut out);
                            }
                        }
                        encode(&conn, reply, &mut out);
                        for push in mailbox.take_all() {
                            encode(&conn, push, &mut out);
                        }
                    }
                    Ok(Step::Empty) => {}
                    Ok(Step::NeedMore) => break,
                    Err(e) => {
                        Reply::Error(crate::CommandError::Other(e.to_string().into())).write_resp(&mut out);
                        let _ = write_all(&mut stream, &mut out, &mut cx);
                        return;
                    }
                }
            }
            input.drain(..pos);
        }
    }

    /// Appends `reply` in the connection's protocol.
    fn encode(conn: &Connection, reply: Reply, out: &mut Vec<u8>) {
        if conn.protocol() == 3 {
            reply.write_resp3(out);
        } else {
            reply.write_resp(out);
        }
    }

    /// Writes all of `out` (emptying it), sleeping while the stream is full; false once the
    /// other side has gone.
    fn write_all(stream: &mut DuplexStream, out: &mut Vec<u8>, cx: &mut Context<'_>) -> bool {
        let mut written = 0;
        while written < out.len() {
            match Pin::new(&mut *stream).poll_write(cx, &out[written..]) {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return false,
                Poll::Ready(Ok(n)) => written += n,
                Poll::Pending => std::thread::park(),
            }
        }
        out.clear();
        true
    }
}
