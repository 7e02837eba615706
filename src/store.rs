//! [`Store`], the shared handle, and the typed ways to run transactions on it: [`Watch`] and
//! [`Transaction`] (WATCH/MULTI/EXEC), [`Store::transaction`] (the check-and-set retry loop) and
//! [`Store::atomic`] (check-then-act under the lock).

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::argv::{Argv, ToArgs};
use crate::clock::Clock;
use crate::command::Ctx;
use crate::command::table::{self, Run, flags};
use crate::error::CommandError;
use crate::keyspace::{ClientId, Keyspace};
use crate::reply::{FromReply, Reply};
use crate::transaction::{Connection, MultiState, run_command, serve_blocked};
use crate::typed::Commands;

/// What every clone of a [`Store`] shares.
pub(crate) struct Shared {
    pub(crate) keyspace: Mutex<Keyspace>,
    pub(crate) clock: Clock,
    /// Wakes clients blocked on lists when they have been served.
    pub(crate) unblocked: Condvar,
    next_client: AtomicU64,
}

impl Shared {
    pub(crate) fn next_client_id(&self) -> ClientId {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }

    /// Ends the blocking command `client` waits in (if any) with `reply`, as CLIENT UNBLOCK does;
    /// `ks` is this store's keyspace, locked. Answers whether the client was blocked.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn interrupt_blocked(&self, ks: &mut Keyspace, client: ClientId, reply: Reply) -> bool {
        if ks.unblock(client).is_none() {
            return false;
        }
        ks.deliver(client, reply);
        self.unblocked.notify_all();
        true
    }
}

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
/// std::thread::spawn(move || worker.incr::<i64>("jobs")).join().unwrap()?;
/// assert_eq!(store.get::<Option<i64>>("jobs")?, Some(1));
/// # Ok::<(), embedis::CommandError>(())
/// ```
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
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
    /// assert_eq!(store.dbsize::<i64>()?, 0);
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
    /// store.set_px::<()>("lock", "me", 500)?;
    /// clock.advance(Duration::from_millis(501));
    /// assert_eq!(store.exists::<i64>("lock")?, 0);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn with_clock(clock: Clock) -> Store {
        Store {
            shared: Arc::new(Shared {
                keyspace: Mutex::new(Keyspace::new(clock.clone())),
                clock,
                unblocked: Condvar::new(),
                next_client: AtomicU64::new(1),
            }),
        }
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
        Connection::new(Arc::clone(&self.shared))
    }

    /// What every clone shares (for the server, which reaches past connections).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// WATCH `keys` on a new client: the start of a check-and-set. Read with the [`Commands`]
    /// methods of the returned [`Watch`], then queue writes with [`Watch::multi`]; `exec` answers
    /// `None` if any watched key was modified (by anyone, this client included) or expired since.
    ///
    /// Locking: takes the store's lock once to record the watches.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    ///
    /// let store = Store::new();
    /// store.set::<()>("balance", 100)?;
    /// let watch = store.watch("balance")?;
    /// let balance: i64 = watch.get("balance")?;
    /// store.set::<()>("balance", 90)?; // someone else writes first
    /// let outcome = watch.multi().set("balance", balance - 10).exec()?;
    /// assert!(outcome.is_none(), "the write lost the race and was not applied");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn watch(&self, keys: impl ToArgs) -> Result<Watch, CommandError> {
        let mut conn = self.connect();
        let mut argv = Argv::from_args("WATCH");
        keys.write_args(&mut argv);
        match conn.execute(argv) {
            Reply::Error(e) => Err(e),
            _ => Ok(Watch {
                conn: RefCell::new(conn),
            }),
        }
    }

    /// A MULTI transaction with nothing watched: queue commands with the builder methods, then
    /// [`Transaction::exec`] runs them all with nothing interleaved.
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    ///
    /// let store = Store::new();
    /// let replies = store.multi().incr("hits").incr("hits").get("hits").exec()?.unwrap();
    /// assert_eq!(replies, [Ok(Reply::Integer(1)), Ok(Reply::Integer(2)), Ok(Reply::Bulk(b"2".to_vec()))]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn multi(&self) -> Transaction<'static> {
        Transaction::new(Slot::Owned(RefCell::new(self.connect())))
    }

    /// The check-and-set loop, written once: WATCH `keys`, run `body`, and run it again when its
    /// EXEC answers `None` because a watched key changed, waiting a little longer each time
    /// (exponential backoff with jitter) up to `policy.max_attempts`.
    ///
    /// `body` reads through the [`Watch`] and returns the result of its `exec` (or `exec_as`):
    /// `Ok(Some(value))` ends the loop, `Ok(None)` (a conflict) retries, `Err` stops at once. To
    /// give up without writing, return `Ok(Some(...))` without calling `exec`.
    ///
    /// ```
    /// use embedis::{CommandError, Commands, RetryPolicy, Store};
    ///
    /// let store = Store::new();
    /// store.set::<()>("from", 100)?;
    /// let moved = store.transaction(["from", "to"], RetryPolicy::default(), |tx| {
    ///     let from: i64 = tx.get("from")?;
    ///     if from < 30 {
    ///         return Ok::<_, CommandError>(Some(false)); // the error type, named once
    ///     }
    ///     Ok(tx.multi().decrby("from", 30).incrby("to", 30).exec()?.map(|_| true))
    /// });
    /// assert_eq!(moved, Ok(true));
    /// assert_eq!(store.get::<i64>("to")?, 30);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn transaction<T, E, F>(
        &self,
        keys: impl ToArgs,
        policy: RetryPolicy,
        mut body: F,
    ) -> Result<T, TransactionError<E>>
    where
        F: FnMut(&Watch) -> Result<Option<T>, E>,
    {
        let mut backoff = policy.initial_backoff;
        for attempt in 1..=policy.max_attempts.max(1) {
            let watch = self.watch(&keys).map_err(TransactionError::Watch)?;
            match body(&watch) {
                Ok(Some(value)) => return Ok(value),
                Ok(None) if attempt < policy.max_attempts => {
                    drop(watch);
                    std::thread::sleep(jitter(backoff));
                    backoff = (backoff * 2).min(policy.max_backoff);
                }
                Ok(None) => {}
                Err(e) => return Err(TransactionError::Body(e)),
            }
        }
        Err(TransactionError::TooManyConflicts {
            attempts: policy.max_attempts.max(1),
        })
    }

    /// Runs `body` under the store's lock: reads and writes through the [`AtomicDb`] it receives see
    /// no other client, as in a Lua script, so check-then-act needs no WATCH and never retries.
    ///
    /// Beyond what Redis offers, it is all or nothing: when `body` returns `Err` or panics, every
    /// write it made is undone, and clients watching those keys see no change. Time is frozen for
    /// the whole call.
    ///
    /// Cost: the first write to each key copies that key's value for the undo log (a push onto a
    /// long list copies the list once), and every other client waits while `body` runs, so keep it
    /// short and free of I/O.
    ///
    /// Locking: holds the store's lock for the whole call. `body` gets no `Store`, so it cannot
    /// deadlock by calling back into it.
    ///
    /// ```
    /// use embedis::{Commands, CommandError, Store};
    ///
    /// let store = Store::new();
    /// store.set::<()>("stock", 3)?;
    /// let sold = store.atomic(|db| {
    ///     let stock: i64 = db.get("stock")?;
    ///     if stock < 2 {
    ///         return Ok::<_, CommandError>(false);
    ///     }
    ///     db.decrby::<i64>("stock", 2)?;
    ///     Ok(true)
    /// })?;
    /// assert!(sold);
    ///
    /// // An error undoes the writes made before it.
    /// let failed = store.atomic(|db| {
    ///     db.decrby::<i64>("stock", 1)?;
    ///     db.lpush::<i64>("stock", "oops") // WRONGTYPE
    /// });
    /// assert_eq!(failed, Err(CommandError::WrongType));
    /// assert_eq!(store.get::<i64>("stock")?, 1);
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn atomic<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce(&AtomicDb<'_>) -> Result<T, E>,
    {
        let mut ks = self.shared.keyspace.lock();
        ks.begin();
        ks.start_undo();
        let outcome = {
            let db = AtomicDb {
                ctx: RefCell::new(Ctx::new(&mut ks, 0)),
            };
            catch_unwind(AssertUnwindSafe(|| body(&db)))
        };
        match outcome {
            Ok(Ok(value)) => {
                ks.commit_undo();
                serve_blocked(&self.shared, &mut ks);
                Ok(value)
            }
            Ok(Err(e)) => {
                ks.rollback_undo();
                Err(e)
            }
            Err(panic) => {
                ks.rollback_undo();
                drop(ks);
                resume_unwind(panic)
            }
        }
    }

    /// Runs one command in database 0 as a typed call does.
    fn run_in_db0(&self, argv: Argv) -> Reply {
        let spec = match table::resolve(&argv) {
            Ok(spec) => spec,
            Err(e) => return Reply::Error(e),
        };
        if let Run::Transaction = spec.run {
            return Reply::Error(CommandError::other(
                "ERR use Store::watch, Store::multi or a Connection for transaction commands",
            ));
        }
        let mut db = 0;
        run_command(
            &self.shared,
            self.shared.next_client_id(),
            &mut db,
            2,
            false,
            spec,
            &argv,
        )
    }
}

impl Commands for Store {
    fn run_argv(&self, argv: Argv) -> Reply {
        self.run_in_db0(argv)
    }
}

/// Waits between `delay / 2` and `delay`: equal jitter, so clients that collided spread out.
fn jitter(delay: Duration) -> Duration {
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            ahash::RandomState::new().hash_one(std::thread::current().id()) | 1
        });
    }
    let r = STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    });
    let half = delay / 2;
    half + Duration::from_nanos(r % (half.as_nanos() as u64 + 1))
}

/// How [`Store::transaction`] retries after a conflict.
///
/// ```
/// use std::time::Duration;
/// let policy = embedis::RetryPolicy {
///     max_attempts: 50,
///     ..embedis::RetryPolicy::default()
/// };
/// assert_eq!(policy.initial_backoff, Duration::from_micros(50));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times the body runs at most (1 means no retry).
    pub max_attempts: u32,
    /// The wait after the first conflict; it doubles after each further one.
    pub initial_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 16 attempts, waiting from 50 µs up to 10 ms.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 16,
            initial_backoff: Duration::from_micros(50),
            max_backoff: Duration::from_millis(10),
        }
    }
}

/// Why [`Store::transaction`] gave up.
///
/// ```
/// use embedis::{RetryPolicy, Store, TransactionError};
///
/// let store = Store::new();
/// let policy = RetryPolicy { max_attempts: 2, ..RetryPolicy::default() };
/// // A body that always conflicts (as if another client always wrote first).
/// let result = store.transaction::<(), embedis::CommandError, _>("k", policy, |_tx| Ok(None));
/// assert_eq!(result, Err(TransactionError::TooManyConflicts { attempts: 2 }));
/// assert_eq!(
///     result.unwrap_err().to_string(),
///     "transaction conflicted on every one of its 2 attempts"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError<E> {
    /// Every attempt's EXEC found a watched key changed.
    #[error("transaction conflicted on every one of its {attempts} attempts")]
    TooManyConflicts {
        /// How many attempts ran.
        attempts: u32,
    },
    /// WATCH itself failed (no keys given).
    #[error("{0}")]
    Watch(CommandError),
    /// The body returned an error; the loop stopped there.
    #[error("{0}")]
    Body(E),
}

/// A client watching keys: read through its [`Commands`] methods, then queue writes with
/// [`Watch::multi`]. Dropping it unwatches.
///
/// ```
/// use embedis::{Commands, Store};
///
/// let store = Store::new();
/// let watch = store.watch(["a", "b"])?;
/// let a: Option<i64> = watch.get("a")?;
/// assert_eq!(a, None);
/// let replies = watch.multi().set("a", 1).exec()?;
/// assert!(replies.is_some(), "nobody touched a or b");
/// # Ok::<(), embedis::CommandError>(())
/// ```
pub struct Watch {
    conn: RefCell<Connection>,
}

impl Watch {
    /// Starts the transaction that the watches guard.
    ///
    /// ```
    /// use embedis::{Commands, Store};
    /// let store = Store::new();
    /// let watch = store.watch("k")?;
    /// assert!(watch.multi().incr("k").exec()?.is_some());
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn multi(&self) -> Transaction<'_> {
        Transaction::new(Slot::Borrowed(&self.conn))
    }

    /// Watches more keys (Redis allows several WATCH calls before MULTI).
    ///
    /// ```
    /// let store = embedis::Store::new();
    /// let watch = store.watch("a")?;
    /// watch.watch_more("b")?;
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn watch_more(&self, keys: impl ToArgs) -> Result<(), CommandError> {
        let mut argv = Argv::from_args("WATCH");
        keys.write_args(&mut argv);
        <()>::from_reply(self.conn.borrow_mut().execute(argv))
    }
}

impl Commands for Watch {
    fn run_argv(&self, argv: Argv) -> Reply {
        self.conn.borrow_mut().execute(argv)
    }
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").field("conn", &self.conn).finish()
    }
}

enum Slot<'a> {
    Owned(RefCell<Connection>),
    Borrowed(&'a RefCell<Connection>),
}

/// A MULTI transaction being built: each command method queues a command and returns the
/// transaction, so calls chain; [`Transaction::exec`] runs the queue.
///
/// ```
/// use embedis::{Commands, Store};
///
/// let store = Store::new();
/// let tx = store.multi();
/// tx.set("a", 1).set("b", 2);
/// tx.mget(["a", "b"]);
/// let (ok_a, ok_b, values): ((), (), Vec<i64>) = tx.exec_as()?.unwrap();
/// assert_eq!(values, [1, 2]);
/// # let _ = (ok_a, ok_b);
/// # Ok::<(), embedis::CommandError>(())
/// ```
pub struct Transaction<'a> {
    conn: Slot<'a>,
    queue: RefCell<MultiState>,
}

impl<'a> Transaction<'a> {
    fn new(conn: Slot<'a>) -> Transaction<'a> {
        Transaction {
            conn,
            queue: RefCell::new(MultiState::default()),
        }
    }

    /// Queues any command, given as arguments: the escape hatch for commands without a method.
    ///
    /// ```
    /// use embedis::{Reply, Store};
    /// let store = embedis::Store::new();
    /// let replies = store.multi().cmd(["ECHO", "hi"]).exec()?.unwrap();
    /// assert_eq!(replies, [Ok(Reply::Bulk(b"hi".to_vec()))]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn cmd(&self, args: impl ToArgs) -> &Self {
        self.queue(Argv::from_args(args))
    }

    pub(crate) fn queue(&self, argv: Argv) -> &Self {
        self.queue.borrow_mut().queue(table::resolve(&argv), argv);
        self
    }

    /// Sends MULTI, the queued commands and EXEC, and answers EXEC's reply: `Ok(None)` when a watched
    /// key changed (nothing ran), `Ok(Some(slots))` with each command's own result otherwise — a
    /// command's error takes its slot and the others still ran — or `Err(EXECABORT …)` when a command
    /// was refused while queuing (unknown, wrong arity) and nothing ran.
    ///
    /// Locking: takes the store's lock once; the whole queue runs under it.
    ///
    /// ```
    /// use embedis::{Commands, CommandError, Reply, Store};
    ///
    /// let store = Store::new();
    /// store.set::<()>("text", "abc")?;
    /// let slots = store.multi().incr("text").append("text", "d").exec()?.unwrap();
    /// assert_eq!(slots, [Err(CommandError::NotInteger), Ok(Reply::Integer(4))]);
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn exec(&self) -> Result<Option<Vec<Result<Reply, CommandError>>>, CommandError> {
        let queue = std::mem::take(&mut *self.queue.borrow_mut());
        self.connection()
            .borrow_mut()
            .exec_queue_with(queue, None, |reply| match reply {
                Reply::Error(e) => Err(e),
                other => Ok(other),
            })
    }

    /// As [`Transaction::exec`], with the replies converted into `T` (a tuple, a `Vec`, …). A
    /// command's error makes the conversion fail with that error, though the other commands ran.
    ///
    /// ```
    /// use embedis::Store;
    /// let store = Store::new();
    /// let (a, b): (i64, i64) = store.multi().incr("n").incr("n").exec_as()?.unwrap();
    /// assert_eq!((a, b), (1, 2));
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn exec_as<T: FromReply>(&self) -> Result<Option<T>, CommandError> {
        match self.exec_reply() {
            Reply::NilArray => Ok(None),
            reply => T::from_reply(reply).map(Some),
        }
    }

    fn exec_reply(&self) -> Reply {
        let queue = std::mem::take(&mut *self.queue.borrow_mut());
        self.connection().borrow_mut().exec_queue(queue, None)
    }

    fn connection(&self) -> &RefCell<Connection> {
        match &self.conn {
            Slot::Owned(cell) => cell,
            Slot::Borrowed(cell) => cell,
        }
    }
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction").finish_non_exhaustive()
    }
}

/// The keyspace inside [`Store::atomic`]: its [`Commands`] methods run at once, under the lock the
/// call holds, in database 0.
///
/// ```
/// use embedis::{Commands, Store};
/// let store = Store::new();
/// let len = store.atomic(|db| {
///     db.rpush::<i64>("queue", ["a", "b"])?;
///     db.llen::<i64>("queue")
/// })?;
/// assert_eq!(len, 2);
/// # Ok::<(), embedis::CommandError>(())
/// ```
pub struct AtomicDb<'a> {
    ctx: RefCell<Ctx<'a>>,
}

impl Commands for AtomicDb<'_> {
    fn run_argv(&self, argv: Argv) -> Reply {
        let spec = match table::resolve(&argv) {
            Ok(spec) => spec,
            Err(e) => return Reply::Error(e),
        };
        // Transaction and script commands make no sense here; blocking ones answer at once.
        if spec.has(flags::NO_SCRIPT) && !spec.has(flags::BLOCKING) {
            return Reply::Error(CommandError::other(
                "ERR This command is not allowed inside Store::atomic",
            ));
        }
        let mut ctx = self.ctx.borrow_mut();
        ctx.run(spec, &argv)
    }
}

impl std::fmt::Debug for AtomicDb<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicDb").finish_non_exhaustive()
    }
}
