//! [`Store::atomic`]: check-then-act under the lock, all or nothing, with [`AtomicDb`].

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use crate::command::Caller;
use crate::command::Ctx;
use crate::command::table::{self, flags};
use crate::direct::Direct;
use crate::error::CommandError;
use crate::reply::Reply;
use crate::store::Store;
use crate::typed::{Commands, Request};

impl Store {
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
    /// deadlock by calling back into it. While a script that has run past the busy-reply
    /// threshold holds the lock, the call fails at once with its BUSY error
    /// ([`CommandError::BusyScript`], converted into `E`) and `body` does not run; while a
    /// server's CLIENT PAUSE is in force (of either kind: `body` may write) the call waits for
    /// it to end.
    ///
    /// In cluster mode ([`StoreBuilder::cluster_enabled`](crate::StoreBuilder::cluster_enabled))
    /// its commands keep to the hash slot of the first key it reaches, as a transaction's must
    /// on a cluster node: a command on a key of another slot fails with
    /// [`CommandError::CrossSlot`].
    ///
    /// ```
    /// use embedis::{Commands, CommandError, Store};
    ///
    /// let store = Store::new();
    /// store.set("stock", 3)?;
    /// let sold = store.atomic(|db| {
    ///     let stock: i64 = db.get_as("stock")?;
    ///     if stock < 2 {
    ///         return Ok::<_, CommandError>(false);
    ///     }
    ///     db.decrby("stock", 2)?;
    ///     Ok(true)
    /// })?;
    /// assert!(sold);
    ///
    /// // An error undoes the writes made before it.
    /// let failed = store.atomic(|db| {
    ///     db.decrby("stock", 1)?;
    ///     db.lpush("stock", "oops") // WRONGTYPE
    /// });
    /// assert_eq!(failed, Err(CommandError::WrongType));
    /// assert_eq!(store.get_as::<i64>("stock")?, 1);
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn atomic<T, E, F>(&self, body: F) -> Result<T, E>
    where
        F: FnOnce(&AtomicDb<'_>) -> Result<T, E>,
        E: From<CommandError>,
    {
        // It may write: a CLIENT PAUSE of either kind holds it.
        self.shared.hold_while_paused(|| true);
        let mut state = self.shared.begin()?;
        state.keyspace.start_undo();
        let caller = Caller::internal(self.shared.next_client_id(), 0);
        let outcome = {
            let mut ctx = state.ctx(&caller);
            // Its keyspace events wait for the commit (`Shared::after_command`): an undone
            // write raises none.
            ctx.publish_events = false;
            let db = AtomicDb {
                ctx: RefCell::new(ctx),
                slot: Cell::new(None),
            };
            catch_unwind(AssertUnwindSafe(|| body(&db)))
        };
        match outcome {
            Ok(Ok(value)) => {
                state.keyspace.commit_undo();
                self.shared.after_command(&mut state);
                Ok(value)
            }
            Ok(Err(e)) => {
                state.keyspace.rollback_undo();
                Err(e)
            }
            Err(panic) => {
                state.keyspace.rollback_undo();
                drop(state);
                resume_unwind(panic)
            }
        }
    }
}

/// The keyspace inside [`Store::atomic`]: its [`Commands`] methods run at once, under the lock the
/// call holds, in database 0.
///
/// ```
/// use embedis::{Commands, Store};
/// let store = Store::new();
/// let len = store.atomic(|db| {
///     db.rpush("queue", ["a", "b"])?;
///     db.llen("queue")
/// })?;
/// assert_eq!(len, 2);
/// # Ok::<(), embedis::CommandError>(())
/// ```
pub struct AtomicDb<'a> {
    ctx: RefCell<Ctx<'a>>,
    /// In cluster mode, the slot of the first key the call reached: its other commands keep to
    /// it, as a transaction's or a script's do on a cluster node.
    slot: Cell<Option<u16>>,
}

impl Commands for AtomicDb<'_> {
    fn run_request(&self, request: &Request) -> Reply {
        let Request { argv, known } = request;
        let spec = match table::resolve_for(argv, *known, false) {
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
        // A read-only replica's data is its primary's (READONLY), as for a client's command.
        if let Some(refusal) = ctx.ks.replication_refusal(spec, spec.has(flags::WRITE)) {
            return Reply::Error(refusal);
        }
        if let Some(cluster) = ctx.ks.cluster.clone() {
            let keyspace = &*ctx.ks;
            let mut exists = |key: &[u8]| keyspace.has_live(0, key);
            match cluster.route([(spec, argv)], false, &mut exists) {
                Ok(Some(slot)) if self.slot.get().is_some_and(|pinned| pinned != slot) => {
                    return Reply::Error(CommandError::CrossSlot);
                }
                Ok(Some(slot)) => self.slot.set(Some(slot)),
                Ok(None) => {}
                Err(e) => return Reply::Error(e),
            }
        }
        ctx.run(spec, argv)
    }

    fn run_direct(&self, call: Direct<'_>) -> Reply {
        let mut ctx = self.ctx.borrow_mut();
        if ctx.ks.cluster.is_some() || ctx.observed() || ctx.ks.following.is_following() {
            drop(ctx);
            return self.run_request(&call.request());
        }
        call.run(&mut ctx)
    }

    fn run_direct_as<T: crate::FromReply>(&self, call: Direct<'_>) -> Result<T, CommandError> {
        let mut ctx = self.ctx.borrow_mut();
        if ctx.ks.cluster.is_some() || ctx.observed() || ctx.ks.following.is_following() {
            drop(ctx);
            return T::from_reply(self.run_request(&call.request()));
        }
        call.run_as(&mut ctx)
    }
}

impl std::fmt::Debug for AtomicDb<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtomicDb").finish_non_exhaustive()
    }
}
