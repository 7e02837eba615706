//! The typed transactions: [`Store::watch`] and [`Watch`], [`Store::multi`] and [`Transaction`]
//! (WATCH/MULTI/EXEC), and [`Store::transaction`], the check-and-set loop with its [`RetryPolicy`].

use std::cell::{Cell, OnceCell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use crate::argv::{Argv, ToArgs};
use crate::command::table;
use crate::connection::{Connection, MultiState};
use crate::direct::{Direct, DirectQueue, QueuedDirect};
use crate::error::CommandError;
use crate::reply::{FromReply, Reply};
use crate::runner::Shared;
use crate::store::Store;
use crate::typed::{Commands, Request};

impl Store {
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
    /// store.set("balance", 100)?;
    /// let watch = store.watch("balance")?;
    /// let balance: i64 = watch.get_as("balance")?;
    /// store.set("balance", 90)?; // someone else writes first
    /// let outcome = watch.multi().set("balance", balance - 10).exec()?;
    /// assert!(outcome.is_none(), "the write lost the race and was not applied");
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn watch(&self, keys: impl ToArgs) -> Result<Watch, CommandError> {
        let mut conn = Connection::of_application(self);
        let mut argv = Argv::from_args("WATCH");
        keys.write_args(&mut argv);
        crate::reply::into_result(conn.watch_keys(argv)).map(|_| Watch {
            conn: RefCell::new(conn),
        })
    }

    /// A MULTI transaction with nothing watched: queue commands with the builder methods, then
    /// [`Transaction::exec`] runs them all with nothing interleaved. It borrows the store, and
    /// becomes a client of its own only when it needs one (a transaction of GET, INCR, DECR,
    /// INCRBY and DECRBY calls alone runs without one).
    ///
    /// ```
    /// use embedis::{Commands, Reply, Store};
    ///
    /// let store = Store::new();
    /// let replies = store.multi().incr("hits").incr("hits").get("hits").exec()?.unwrap();
    /// assert_eq!(replies, [Ok(Reply::Integer(1)), Ok(Reply::Integer(2)), Ok(Reply::Bulk(b"2".to_vec()))]);
    /// # Ok::<(), embedis::CommandError>(())
    /// ```
    pub fn multi(&self) -> Transaction<'_> {
        Transaction::new(Slot::Store(self, OnceCell::new()))
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
    /// store.set("from", 100)?;
    /// let moved = store.transaction(["from", "to"], RetryPolicy::default(), |tx| {
    ///     let from: i64 = tx.get_as("from")?;
    ///     if from < 30 {
    ///         return Ok::<_, CommandError>(Some(false)); // the error type, named once
    ///     }
    ///     Ok(tx.multi().decrby("from", 30).incrby("to", 30).exec()?.map(|_| true))
    /// });
    /// assert_eq!(moved, Ok(true));
    /// assert_eq!(store.get_as::<i64>("to")?, 30);
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
/// let a: Option<i64> = watch.get_as("a")?;
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
    fn run_request(&self, request: &Request) -> Reply {
        self.conn.borrow_mut().execute_request(request)
    }

    fn run_direct(&self, call: Direct<'_>) -> Reply {
        self.conn.borrow_mut().execute_direct(call)
    }

    fn run_direct_as<T: FromReply>(&self, call: Direct<'_>) -> Result<T, CommandError> {
        self.conn.borrow_mut().execute_direct_as(call)
    }
}

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch").field("conn", &self.conn).finish()
    }
}

/// The client a [`Transaction`] runs as.
enum Slot<'a> {
    /// [`Store::multi`]'s: the store, and a connection of its own made only if the transaction
    /// needs one (not for one of [`Direct`] calls only, see `direct.rs`).
    Store(&'a Store, OnceCell<Box<RefCell<Connection>>>),
    /// [`Watch::multi`]'s: the watching connection.
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
    /// Calls queued without command lines (see `direct.rs`): only while `queue` is empty; the
    /// first command queued otherwise moves them into it, in order.
    direct: RefCell<DirectQueue>,
}

impl<'a> Transaction<'a> {
    fn new(conn: Slot<'a>) -> Transaction<'a> {
        Transaction {
            conn,
            queue: RefCell::new(MultiState::default()),
            direct: RefCell::new(DirectQueue::new()),
        }
    }

    /// Queues a call without its command line, if nothing is queued otherwise (and the store
    /// is not a cluster node, which routes each command as it is queued): false if not.
    fn queue_direct(&self, call: Direct<'_>) -> bool {
        if !self.queue.borrow().is_clean() || self.cluster().is_some() {
            return false;
        }
        QueuedDirect::push(&mut self.direct.borrow_mut(), call);
        true
    }

    /// Moves the calls queued without command lines into the queue, as their command lines,
    /// before a command that has to be queued as one.
    fn queue_pending_direct(&self) {
        let pending = std::mem::take(&mut *self.direct.borrow_mut());
        for call in &pending {
            self.queue_line(call.call().request());
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
        self.queue(Request::from(Argv::from_args(args)))
    }

    pub(crate) fn queue(&self, request: Request) -> &Self {
        self.queue_pending_direct();
        self.queue_line(request)
    }

    /// Queues one command line.
    fn queue_line(&self, request: Request) -> &Self {
        let cluster = self.cluster();
        let resolved = table::resolve_for(&request.argv, request.known, false).and_then(|spec| match &cluster {
            Some(cluster) => {
                let mut exists = |key: &[u8]| self.key_exists(key);
                cluster.route([(spec, &request.argv)], false, &mut exists).map(|_| spec)
            }
            None => Ok(spec),
        });
        self.queue.borrow_mut().queue(resolved, request.argv);
        self
    }

    /// Whether `key` exists in database 0 (how a cluster node routes a key of a slot it moves).
    fn key_exists(&self, key: &[u8]) -> bool {
        self.with_shared(|shared| shared.lock().keyspace.has_live(0, key))
    }

    /// In cluster mode, the store's view of its cluster, by which commands are routed as they
    /// are queued.
    fn cluster(&self) -> Option<Arc<crate::cluster::Cluster>> {
        self.with_shared(|shared| shared.cluster.clone())
    }

    /// `f` of what the store's clients share.
    fn with_shared<T>(&self, f: impl FnOnce(&Shared) -> T) -> T {
        match &self.conn {
            Slot::Store(store, _) => f(&store.shared),
            Slot::Borrowed(cell) => f(cell.borrow().shared()),
        }
    }

    /// Runs the queue as EXEC, handing each command's reply (an error reply as `Err`) to
    /// `each` (see [`Connection::exec_queue_with`]). A CLIENT PAUSE holds it first if it may
    /// write (every pause, if the pause is of ALL commands).
    fn run_exec<R>(
        &self,
        mut each: impl FnMut(Result<Reply, CommandError>) -> R,
    ) -> Result<Option<Vec<R>>, CommandError> {
        let mut direct = self.direct.borrow_mut();
        let queue = std::mem::take(&mut *self.queue.borrow_mut());
        self.with_shared(|shared| {
            shared.hold_while_paused(|| {
                direct.iter().any(QueuedDirect::writes)
                    || queue.commands().any(|(spec, argv)| shared.may_write(spec, argv))
            })
        });
        if direct.is_empty() {
            let each = |reply| each(crate::reply::into_result(reply));
            return self.connection().borrow_mut().exec_queue_with(queue, None, each);
        }
        let replies = match &self.conn {
            Slot::Store(store, conn) if conn.get().is_none() => {
                match crate::connection::exec_direct_unconnected(&store.shared, &direct, &mut each) {
                    Ok(None) => self.connection().borrow_mut().exec_direct_with(&direct, each),
                    replies => replies,
                }
            }
            _ => self.connection().borrow_mut().exec_direct_with(&direct, each),
        };
        direct.clear();
        replies
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
    /// store.set("text", "abc")?;
    /// let slots = store.multi().incr("text").append("text", "d").exec()?.unwrap();
    /// assert_eq!(slots, [Err(CommandError::NotInteger), Ok(Reply::Integer(4))]);
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn exec(&self) -> Result<Option<Vec<Result<Reply, CommandError>>>, CommandError> {
        self.run_exec(|slot| slot)
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
        crate::connection::exec_reply(self.run_exec(Reply::from))
    }

    /// The connection the transaction runs on: [`Store::multi`]'s is made here when first
    /// needed.
    fn connection(&self) -> &RefCell<Connection> {
        match &self.conn {
            Slot::Store(store, cell) => cell.get_or_init(|| Box::new(RefCell::new(Connection::of_application(store)))),
            Slot::Borrowed(cell) => cell,
        }
    }
}

impl std::fmt::Debug for Transaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction").finish_non_exhaustive()
    }
}

/// The [`Commands`] methods on [`Transaction`], queuing instead of running.
macro_rules! transaction_methods {
    ($(
        $(#[$doc:meta])*
        fn $name:ident, $name_as:ident($($arg:ident),*) -> $natural:ty => [$($part:tt)+] $(direct $direct:ident($($direct_arg:ident),*))?;
    )*) => {
        impl Transaction<'_> {
            $(
                $(#[$doc])*
                pub fn $name(&self, $($arg: impl ToArgs),*) -> &Self {
                    $(
                        if let Some(call) = crate::direct::$direct($(&$direct_arg),*)
                            && self.queue_direct(call)
                        {
                            return self;
                        }
                    )?
                    self.queue_pending_direct();
                    let spec = crate::typed::request!(@spec $($part)+);
                    let cluster = self.cluster();
                    // Consulted only for a slot being moved between nodes.
                    let mut exists = |key: &[u8]| self.key_exists(key);
                    let routing = cluster.as_deref().map(|cluster| (cluster, &mut exists as crate::cluster::KeyExists<'_>));
                    self.queue.borrow_mut().queue_in_place(routing, spec, |line| crate::typed::request!(@fill line $($part)+));
                    self
                }
            )*
        }
    };
}

crate::typed::typed_commands!(transaction_methods);
