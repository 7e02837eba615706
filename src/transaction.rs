//! [`Connection`]: one client's state — its database, its MULTI queue, its watched keys — and the
//! transaction commands MULTI, EXEC, DISCARD, WATCH and UNWATCH, as Redis's `multi.c` runs them.

use std::sync::Arc;

use crate::argv::{Argv, ToArgs};
use crate::command::Ctx;
use crate::command::table::{self, CommandSpec, Run, flags};
use crate::error::CommandError;
use crate::keyspace::ClientId;
use crate::reply::Reply;
use crate::store::Shared;

/// A client of a [`Store`](crate::Store), speaking Redis's commands as argument vectors and
/// answering [`Reply`] values byte-identical to Redis's.
///
/// Each connection has its own selected database, MULTI queue and watched keys, as each client of
/// a Redis server does. Dropping it releases its watches and drops any queued transaction.
///
/// ```
/// use embedis::{Reply, Store};
///
/// let store = Store::new();
/// let mut conn = store.connect();
/// assert_eq!(conn.call(["MULTI"]), Reply::ok());
/// assert_eq!(conn.call(["INCR", "visits"]), Reply::Status("QUEUED".into()));
/// assert_eq!(conn.call(["INCR", "visits"]), Reply::Status("QUEUED".into()));
/// assert_eq!(conn.call(["EXEC"]), Reply::Array(vec![Reply::Integer(1), Reply::Integer(2)]));
/// ```
///
/// Locking: each [`call`](Connection::call) takes the store's lock once (EXEC included, which runs
/// its whole queue under that one acquisition); queuing inside MULTI takes no lock.
pub struct Connection {
    shared: Arc<Shared>,
    id: ClientId,
    db: usize,
    multi: Option<MultiState>,
    /// The (database, key) pairs this client watches.
    watched: Vec<(usize, Vec<u8>)>,
}

/// A transaction being queued.
#[derive(Default)]
struct MultiState {
    queue: Vec<(&'static CommandSpec, Argv)>,
    /// A command was refused while queuing: EXEC answers EXECABORT.
    aborted: bool,
}

impl Connection {
    pub(crate) fn new(shared: Arc<Shared>) -> Connection {
        let id = shared.next_client_id();
        Connection {
            shared,
            id,
            db: 0,
            multi: None,
            watched: Vec::new(),
        }
    }

    /// Runs one command, given as anything that turns into arguments, and answers Redis's reply.
    ///
    /// ```
    /// use embedis::{Reply, Store};
    /// let mut conn = Store::new().connect();
    /// assert_eq!(conn.call(("SET", "n", 41)), Reply::ok());
    /// assert_eq!(conn.call(["INCR", "n"]), Reply::Integer(42));
    /// assert_eq!(
    ///     conn.call(["NOPE"]).to_resp(),
    ///     b"-ERR unknown command 'NOPE', with args beginning with: \r\n"
    /// );
    /// ```
    pub fn call(&mut self, args: impl ToArgs) -> Reply {
        self.execute(Argv::from_args(args))
    }

    /// Runs one command given as an [`Argv`].
    ///
    /// ```
    /// use embedis::{Argv, Reply, Store};
    /// let mut conn = Store::new().connect();
    /// assert_eq!(conn.execute(Argv::from_args(["PING"])), Reply::Status("PONG".into()));
    /// ```
    pub fn execute(&mut self, argv: Argv) -> Reply {
        let spec = match table::resolve(&argv) {
            Ok(spec) => spec,
            Err(e) => return self.reject(e),
        };
        if let Some(multi) = &mut self.multi {
            if spec.has(flags::NO_MULTI) {
                multi.aborted = true;
                return Reply::Error(CommandError::NotAllowedInMulti);
            }
            if !matches!(spec.name, "exec" | "discard" | "multi" | "watch") {
                if !multi.aborted {
                    multi.queue.push((spec, argv));
                }
                return Reply::status("QUEUED");
            }
        }
        match (spec.run, spec.name) {
            (Run::Transaction, "multi") => self.multi(),
            (Run::Transaction, "exec") => self.exec(),
            (Run::Transaction, "discard") => self.discard(),
            (Run::Transaction, "watch") => self.watch(&argv),
            (Run::Transaction, _) => {
                self.unwatch_all();
                Reply::ok()
            }
            _ => self.run_now(spec, &argv),
        }
    }

    /// The database this connection has selected.
    ///
    /// ```
    /// let mut conn = embedis::Store::new().connect();
    /// conn.call(["SELECT", "3"]);
    /// assert_eq!(conn.database(), 3);
    /// ```
    pub fn database(&self) -> usize {
        self.db
    }

    /// Whether the connection is inside MULTI, queuing commands.
    ///
    /// ```
    /// let mut conn = embedis::Store::new().connect();
    /// conn.call(["MULTI"]);
    /// assert!(conn.in_multi());
    /// conn.call(["DISCARD"]);
    /// assert!(!conn.in_multi());
    /// ```
    pub fn in_multi(&self) -> bool {
        self.multi.is_some()
    }

    /// A command refused before it ran (unknown, wrong arity): inside MULTI it dooms the transaction;
    /// a refused EXEC discards it (Redis's `rejectCommand`).
    fn reject(&mut self, e: CommandError) -> Reply {
        if e == CommandError::WrongArity("exec".into()) {
            self.discard_transaction();
            return Reply::Error(CommandError::ExecAbortBecause(e.without_err_code()));
        }
        if let Some(multi) = &mut self.multi {
            multi.aborted = true;
        }
        Reply::Error(e)
    }

    /// Runs a command at once, under the lock.
    fn run_now(&mut self, spec: &CommandSpec, argv: &Argv) -> Reply {
        let now = self.shared.clock.now_micros();
        let mut ks = self.shared.keyspace.lock();
        ks.begin(now);
        let mut ctx = Ctx { ks: &mut ks, db: self.db };
        let reply = ctx.run(spec, argv);
        self.db = ctx.db;
        reply
    }

    fn multi(&mut self) -> Reply {
        if self.multi.is_some() {
            return Reply::Error(CommandError::NestedMulti);
        }
        self.multi = Some(MultiState::default());
        Reply::ok()
    }

    fn discard(&mut self) -> Reply {
        if self.multi.is_none() {
            return Reply::Error(CommandError::DiscardWithoutMulti);
        }
        self.discard_transaction();
        Reply::ok()
    }

    /// Leaves MULTI and unwatches everything, as after any EXEC or DISCARD.
    fn discard_transaction(&mut self) {
        self.multi = None;
        self.unwatch_all();
    }

    fn watch(&mut self, argv: &Argv) -> Reply {
        if self.multi.is_some() {
            return Reply::Error(CommandError::WatchInMulti);
        }
        let now = self.shared.clock.now_micros();
        let mut ks = self.shared.keyspace.lock();
        ks.begin(now);
        for key in argv.iter().skip(1) {
            if !self.watched.iter().any(|(db, k)| *db == self.db && k == key) {
                ks.watch(self.db, key, self.id);
                self.watched.push((self.db, key.to_vec()));
            }
        }
        Reply::ok()
    }

    fn unwatch_all(&mut self) {
        if self.watched.is_empty() {
            return;
        }
        let mut ks = self.shared.keyspace.lock();
        for (db, key) in self.watched.drain(..) {
            ks.unwatch(db, &key, self.id);
        }
    }

    /// EXEC: under one lock and one clock reading, checks the watches, then runs the queue.
    fn exec(&mut self) -> Reply {
        let Some(multi) = self.multi.take() else {
            return Reply::Error(CommandError::ExecWithoutMulti);
        };
        let now = self.shared.clock.now_micros();
        let mut ks = self.shared.keyspace.lock();
        ks.begin(now);
        let dirty = self.watched.iter().any(|(db, key)| ks.watch_is_dirty(*db, key, self.id));
        for (db, key) in self.watched.drain(..) {
            ks.unwatch(db, &key, self.id);
        }
        if multi.aborted {
            return Reply::Error(CommandError::ExecAbort);
        }
        if dirty {
            return Reply::NilArray;
        }
        let mut ctx = Ctx { ks: &mut ks, db: self.db };
        let replies = multi
            .queue
            .iter()
            .map(|(spec, argv)| match spec.run {
                // UNWATCH is queued like any command; EXEC has already unwatched everything.
                Run::Transaction => Reply::ok(),
                Run::Keyspace(_) => ctx.run(spec, argv),
            })
            .collect();
        self.db = ctx.db;
        Reply::Array(replies)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.unwatch_all();
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("id", &self.id)
            .field("db", &self.db)
            .field("in_multi", &self.multi.is_some())
            .field("watched", &self.watched.len())
            .finish()
    }
}
