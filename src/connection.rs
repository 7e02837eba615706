//! [`Connection`]: one client's state — its database, its MULTI queue, its watched keys, its
//! session (protocol and name) — and the commands that run on that state rather than on the
//! keyspace: MULTI, EXEC, DISCARD, WATCH and UNWATCH as Redis's `multi.c` runs them, HELLO and
//! RESET. A connection served by the server hands the server's own commands to its [`Host`].

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Instant;

use crate::argv::{Argv, ToArgs};
use crate::cluster::{Cluster, KeyExists};
use crate::command::Caller;
use crate::command::stats::{CommandStats, SlowClient};
use crate::command::table::{self, CommandSpec, HostOp, Run, SessionOp, Subscription, TransactionOp, flags};
use crate::direct::{Direct, QueuedDirect};
use crate::error::CommandError;
use crate::keyspace::blocking::{Deadline, WaitEnd};
use crate::keyspace::{ClientId, InlineBytes, Keyspace, WatchList};
use crate::pubsub::Mailbox;
use crate::reply::Reply;
use crate::runner::{Shared, Started, State};
use crate::typed::Request;
use crate::watchdog::ScriptKind;
use parking_lot::MutexGuard;

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
    /// Counts as a handle of the store: a store opened in a directory saves itself when the
    /// last of its handles and connections goes, with what the connection wrote (declared
    /// first, so dropped before `shared`).
    _handle: crate::store::Handle,
    shared: Arc<Shared>,
    id: ClientId,
    db: usize,
    multi: Option<MultiState>,
    /// The (database, key) pairs this client watches.
    watched: WatchList,
    /// [`Caller::write_offset`]: kept from command to command.
    write_offset: u64,
    /// What HELLO reads and sets.
    session: Session,
    /// Set by a blocking command started without waiting ([`Connection::start`]): its deadline.
    blocked: Option<Option<Deadline>>,
    /// A command of this connection may be registered as blocked (so dropping it unregisters).
    may_be_blocked: bool,
    /// The store's command statistics, once a server keeps them (held here so that counting a
    /// command costs no reference count).
    stats: Option<Arc<parking_lot::Mutex<CommandStats>>>,
    /// A server client's command that waits for a CLIENT PAUSE to end ([`Connection::resume`]).
    postponed: Option<Box<Request>>,
    /// Its Pub/Sub side.
    pubsub: Subscriber,
    /// Cluster mode: the client sent ASKING ([`Connection::note_asking`]).
    asking: bool,
}

/// A connection's Pub/Sub side.
#[derive(Default)]
struct Subscriber {
    /// Where its confirmations and messages wait, made on first use.
    mailbox: Option<Arc<Mailbox>>,
    /// Whether it subscribes to anything (Redis's `CLIENT_PUBSUB`): a RESP2 client then runs only
    /// the subscription commands, PING, QUIT and RESET.
    subscribed: bool,
    /// How many channels, patterns and shard channels (CLIENT LIST's `sub`, `psub`, `ssub`).
    counts: (usize, usize, usize),
    /// Whether it is in MONITOR.
    monitoring: bool,
}

impl Subscriber {
    fn mailbox(&mut self) -> &Arc<Mailbox> {
        self.mailbox.get_or_insert_with(Mailbox::new)
    }

    /// MONITOR: `client` receives a line for every command from now on (`monitoring` is the
    /// store's flag that someone does).
    fn monitor(&mut self, client: ClientId, ks: &mut Keyspace, monitoring: &std::sync::atomic::AtomicBool) -> Reply {
        let mailbox = Arc::clone(self.mailbox());
        ks.pubsub.monitor(client, &mailbox);
        self.monitoring = true;
        monitoring.store(true, std::sync::atomic::Ordering::Release);
        Reply::ok()
    }

    /// SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE for `client`
    /// on the locked keyspace's hub: the first confirmation is the reply;
    /// the others, answered too, are for the caller to hand to the mailbox once the reply's place
    /// is marked (they follow it, before any message: Redis writes them one after the other).
    fn run(
        &mut self,
        client: ClientId,
        ks: &mut Keyspace,
        subscription: Subscription,
        argv: &Argv,
        in_exec: bool,
    ) -> (Reply, Vec<Reply>) {
        let Subscription { kind, subscribe } = subscription;
        // Redis refuses SSUBSCRIBE to a client that may not block, which a client running EXEC
        // is (SUBSCRIBE and PSUBSCRIBE make an exception for EXEC).
        if in_exec && subscribe && kind == crate::pubsub::Kind::Shard {
            let refused = CommandError::other("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
            return (Reply::Error(refused), Vec::new());
        }
        let names: Vec<&[u8]> = argv.iter().skip(1).collect();
        let mailbox = Arc::clone(self.mailbox());
        let mut confirmations = if subscribe {
            ks.pubsub.subscribe(client, &mailbox, kind, &names)
        } else {
            ks.pubsub.unsubscribe(client, kind, &names)
        };
        self.counts = ks.pubsub.counts(client);
        self.subscribed = self.counts != (0, 0, 0);
        let reply = confirmations.remove(0);
        (reply, confirmations)
    }
}

/// A connection's protocol and name: what HELLO (and, over the wire, CLIENT) reads and sets.
pub(crate) struct Session {
    /// The protocol this client speaks: 2, or 3 after `HELLO 3`.
    pub(crate) protocol: u8,
    /// The name given with `HELLO … SETNAME`.
    pub(crate) name: Option<Vec<u8>>,
    /// Whether CLIENT TRACKING is on: leaving, or RESET, turns it off.
    pub(crate) tracking: bool,
    /// The user it authenticated as, if not `default` (AUTH, HELLO AUTH).
    pub(crate) user: Option<crate::acl::UserId>,
}

/// What answers the table's [`Run::Host`] rows (AUTH, CLIENT, CONFIG, INFO, DEBUG, SHUTDOWN,
/// QUIT) for a connection: the server it is a client of, which runs the connection's commands
/// with itself as the host ([`Connection::start_hosted`]). They go through the connection like
/// any command, so MULTI queues them and EXEC runs them in their place, as Redis does. A
/// connection used in process has no host, and those commands are unknown to it but for CLIENT's
/// subcommands that concern the connection alone (`command/client.rs`), which it runs itself.
pub(crate) trait Host {
    /// Whether the client may run the command it sent (known, with the right arity): the
    /// server refuses every command but AUTH, HELLO, QUIT and RESET before a client with a
    /// password to give has authenticated. A refusal counts as a queue-time error inside MULTI.
    fn admit(&mut self, spec: &'static CommandSpec) -> Result<(), CommandError>;

    /// The client's address, `ip:port` (SLOWLOG shows it).
    fn client_addr(&self) -> String;

    /// The client's CLIENT LIST line, without its newline (ACL LOG shows it).
    fn client_info(&self, client: ClientId) -> String;

    /// Runs one of the server's commands, under the store's lock.
    fn run(&mut self, call: HostCall<'_>) -> Reply;
}

/// One command for a [`Host`], with the connection's state it reads or changes.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) struct HostCall<'a> {
    pub(crate) op: HostOp,
    pub(crate) spec: &'static CommandSpec,
    pub(crate) argv: &'a Argv,
    /// Who runs it (its client id and database; whether inside EXEC).
    pub(crate) caller: Caller,
    /// The locked keyspace, for the commands that read it (INFO, CONFIG, CLIENT: see
    /// [`HostOp::reads_keyspace`]); the others run without the lock.
    pub(crate) ks: Option<&'a mut Keyspace>,
    /// The script engines beside it (DEBUG RELOAD saves and loads function libraries).
    pub(crate) engines: Option<&'a mut crate::command::Engines>,
    /// The connection's protocol and name (CLIENT SETNAME changes it).
    pub(crate) session: &'a mut Session,
}

/// A transaction being queued: by a connection inside MULTI, or by the typed
/// [`Transaction`](crate::Transaction) builder. Both queue through [`MultiState::queue`].
#[derive(Default)]
pub(crate) struct MultiState {
    queue: Vec<(&'static CommandSpec, Argv)>,
    /// A command was refused while queuing: EXEC answers EXECABORT.
    aborted: bool,
    /// What the kept commands' arguments take, as Redis counts it (CLIENT LIST's `multi-mem`:
    /// their bytes and a pointer each).
    queued_mem: usize,
}

impl MultiState {
    /// Whether nothing is queued and nothing was refused.
    pub(crate) fn is_clean(&self) -> bool {
        self.queue.is_empty() && !self.aborted
    }

    /// The commands queued, in order.
    pub(crate) fn commands(&self) -> impl Iterator<Item = (&'static CommandSpec, &Argv)> {
        self.queue.iter().map(|(spec, argv)| (*spec, argv))
    }

    /// Queues a command as Redis does inside MULTI (Redis's `processCommand` queue-time checks):
    /// unknown commands, wrong arities and commands refused in MULTI doom the transaction.
    pub(crate) fn queue(&mut self, spec: Result<&'static CommandSpec, CommandError>, argv: Argv) -> Reply {
        match spec.and_then(Self::allowed) {
            Ok(spec) => {
                // Once doomed, nothing more needs keeping; the reply is QUEUED all the same.
                if !self.aborted {
                    self.queued_mem += argv.bytes_len() + 8 * argv.len();
                    self.queue.push((spec, argv));
                }
                Reply::status("QUEUED")
            }
            Err(e) => {
                self.aborted = true;
                Reply::Error(e)
            }
        }
    }

    /// As [`MultiState::queue`] for a typed method of a known command (`spec`), whose command line
    /// `fill` writes straight into its place in the queue instead of being built and moved there.
    /// In cluster mode (`cluster`), a command whose keys span slots dooms the transaction too.
    pub(crate) fn queue_in_place(
        &mut self,
        cluster: Option<(&Cluster, KeyExists<'_>)>,
        spec: &'static CommandSpec,
        fill: impl FnOnce(&mut Argv),
    ) {
        if self.aborted {
            return;
        }
        self.queue.push((spec, Argv::new()));
        let Some((queued, argv)) = self.queue.last_mut() else {
            return;
        };
        fill(argv);
        let routed = |spec: &'static CommandSpec| match cluster {
            Some((cluster, exists)) => cluster.route([(spec, &*argv)], false, exists).map(|_| spec),
            None => Ok(spec),
        };
        match table::resolve_for(argv, Some(spec), false)
            .and_then(Self::allowed)
            .and_then(routed)
        {
            Ok(resolved) => *queued = resolved,
            Err(_) => {
                self.queue.pop();
                self.aborted = true;
            }
        }
    }

    /// Refuses, at queue time, the commands that may not run inside MULTI.
    fn allowed(spec: &'static CommandSpec) -> Result<&'static CommandSpec, CommandError> {
        if spec.has(flags::NO_MULTI) {
            Err(CommandError::NotAllowedInMulti)
        } else {
            Ok(spec)
        }
    }
}

impl Connection {
    pub(crate) fn new(store: &crate::Store) -> Connection {
        Connection::of(Arc::clone(store.shared()), store.handle())
    }

    /// A connection the store's own API makes for the application ([`Store::watch`],
    /// [`Store::multi`](crate::Store::multi)): ACL does not apply to it, as to the store's
    /// typed calls ([`crate::acl::APPLICATION`]).
    pub(crate) fn of_application(store: &crate::Store) -> Connection {
        let mut conn = Connection::new(store);
        conn.session.user = Some(crate::acl::APPLICATION);
        conn
    }

    /// A new client of the store `shared` is, whose handle `handle` is.
    fn of(shared: Arc<Shared>, handle: crate::store::Handle) -> Connection {
        let id = shared.next_client_id();
        Connection {
            shared,
            _handle: handle,
            id,
            db: 0,
            multi: None,
            watched: WatchList::new(),
            write_offset: 0,
            session: Session {
                protocol: 2,
                name: None,
                tracking: false,
                user: None,
            },
            blocked: None,
            may_be_blocked: false,
            stats: None,
            postponed: None,
            pubsub: Subscriber::default(),
            asking: false,
        }
    }

    /// What every connection of the store shares.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// A new client of the same store, in the same database and speaking the same protocol, with
    /// nothing queued or watched (what a clone of a redis-rs connection is).
    #[cfg_attr(not(feature = "redis-rs"), allow(dead_code))]
    pub(crate) fn sibling(&self) -> Connection {
        let mut conn = Connection::of(Arc::clone(&self.shared), self._handle.clone());
        conn.db = self.db;
        conn.session.protocol = self.session.protocol;
        conn
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
        let reply = self.dispatch(Cow::Owned(argv.into()), true, None);
        // A subscription's confirmation is a push; a RESP2 caller gets the array it reads as.
        match reply {
            Reply::Push(_) if self.session.protocol == 2 => reply.into_resp2(),
            reply => reply,
        }
    }

    /// [`Connection::execute`] for a typed call, whose command's row is already known.
    pub(crate) fn execute_request(&mut self, request: &Request) -> Reply {
        self.dispatch(Cow::Borrowed(request), true, None)
    }

    /// Runs a typed call without its command line (see `direct.rs`) where this connection's
    /// way of running a command would add nothing to it — not in MULTI (where it is queued),
    /// not subscribed, no command statistics, no monitor, no cluster routing, no pause — else
    /// as its command line.
    pub(crate) fn execute_direct(&mut self, call: Direct<'_>) -> Reply {
        if self.runs_plainly()
            && let Some(reply) = self.shared.run_direct(&self.caller(false), call)
        {
            return reply;
        }
        self.execute_request(&call.request())
    }

    /// [`Connection::execute_direct`], the reply converted to `T` as it is made.
    pub(crate) fn execute_direct_as<T: crate::FromReply>(&mut self, call: Direct<'_>) -> Result<T, CommandError> {
        if self.runs_plainly()
            && let Some(answer) = self
                .shared
                .run_direct_with(&self.caller(false), |ctx| call.run_as::<T>(ctx))
        {
            return answer;
        }
        T::from_reply(self.execute_request(&call.request()))
    }

    /// WATCH of the keys after the command name in `argv`, for [`Store::watch`](crate::Store::watch):
    /// straight to the watching where nothing else of a command's way applies
    /// ([`Connection::runs_plainly`]), else as the command line.
    pub(crate) fn watch_keys(&mut self, argv: Argv) -> Reply {
        // Without a key it is the command line's arity error.
        if argv.len() > 1 && self.runs_plainly() {
            self.watch(&argv)
        } else {
            self.execute(argv)
        }
    }

    /// Whether running a command here is only running it: not in MULTI, not subscribed, no
    /// command statistics, no monitor, no cluster routing, no CLIENT PAUSE, and a user that
    /// may run anything (the `default` user with every permission).
    fn runs_plainly(&self) -> bool {
        self.multi.is_none()
            && self.shared.users.unrestricted(self.session.user)
            && !self.pubsub.subscribed
            && self.stats.is_none()
            && self.shared.command_stats().is_none()
            && self.shared.cluster.is_none()
            && !self.shared.monitoring.load(std::sync::atomic::Ordering::Acquire)
            && self.shared.paused().is_none()
    }

    /// [`Connection::execute`] for an event loop: a blocking command that must wait answers
    /// `Blocked`, and its reply comes later from [`Connection::poll_blocked`].
    /// The server's own commands go to `host`.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn start_hosted(&mut self, argv: Argv, host: &mut dyn Host) -> Started {
        let reply = self.dispatch(Cow::Owned(argv.into()), false, Some(host));
        match self.blocked.take() {
            Some(deadline) => Started::Blocked(deadline),
            None => Started::Done(reply),
        }
    }

    /// The reply of this connection's blocked command, once served or timed out.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn poll_blocked(&mut self, deadline: Option<Deadline>) -> Option<Reply> {
        let (reply, end) = self.shared.poll_blocked(&self.caller(false), deadline)?;
        if let Some(stats) = &self.stats {
            let error = match &reply {
                Reply::Error(e) if end == WaitEnd::Served => Some(e),
                _ => None,
            };
            stats.lock().wait_ended(self.id, end, error);
        }
        Some(reply)
    }

    /// Whether this connection's command waits for a CLIENT PAUSE to end.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn is_postponed(&self) -> bool {
        self.postponed.is_some()
    }

    /// Runs the command a CLIENT PAUSE held, once the pause no longer holds it: `None` while it
    /// still does. It may wait again (a new pause, or a blocking command with no data).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn resume(&mut self, host: &mut dyn Host) -> Option<Started> {
        let request = self.postponed.as_ref()?;
        if let Ok(spec) = table::resolve_for(&request.argv, request.known, true)
            && self.held_by_pause(spec, &request.argv).is_some()
        {
            return None;
        }
        let request = self.postponed.take()?;
        self.shared.count_postponed(false);
        let reply = self.dispatch(Cow::Owned(*request), false, Some(host));
        Some(match self.blocked.take() {
            Some(deadline) => Started::Blocked(deadline),
            None => Started::Done(reply),
        })
    }

    /// Whether a CLIENT PAUSE holds the command now: `Some(writes)` (whether it may write, which
    /// decides whether a later pause still holds it), `None` when it may run.
    fn held_by_pause(&self, spec: &CommandSpec, argv: &Argv) -> Option<bool> {
        let all = self.shared.paused()?;
        let writes = self.may_write(spec, argv);
        (all || writes).then_some(writes)
    }

    /// Whether the command may write, for CLIENT PAUSE WRITE (Redis's `may-replicate`): a
    /// write command; EVAL, EVALSHA or FCALL unless what it runs is `no-writes`; EXEC if any
    /// command it would run may write.
    fn may_write(&self, spec: &CommandSpec, argv: &Argv) -> bool {
        if spec.has(flags::WRITE) {
            return true;
        }
        if let Run::Transaction(TransactionOp::Exec) = spec.run {
            return self
                .multi
                .as_ref()
                .is_some_and(|multi| multi.queue.iter().any(|(spec, argv)| self.may_write(spec, argv)));
        }
        self.shared.may_write(spec, argv)
    }

    /// This connection as the caller of a command outside EXEC; `hosted` when a server runs it.
    fn caller(&self, hosted: bool) -> Caller {
        Caller {
            client: self.id,
            db: self.db,
            protocol: self.session.protocol,
            hosted,
            in_exec: false,
            asking: self.asking,
            write_offset: self.write_offset,
            user: self.session.user,
        }
    }

    /// Runs a command: at once when `wait` (a blocking command waits here for its reply), or up
    /// to where a blocking command would wait (recording its deadline in `blocked`). The server's
    /// own commands are known only with a `host`, which answers them. A typed call lends its
    /// request; it is copied only if queued in MULTI. When a server keeps command statistics,
    /// they count the command here.
    fn dispatch<'h>(
        &mut self,
        mut request: Cow<'_, Request>,
        wait: bool,
        mut host: Option<&mut (dyn Host + 'h)>,
    ) -> Reply {
        if self.stats.is_none() {
            self.stats = self.shared.command_stats().cloned();
        }
        let Some(stats) = self.stats.take() else {
            let mut outcome = Outcome::Queued;
            let reply = self.dispatch_uncounted(&mut request, wait, host, &mut outcome);
            self.note_asking(&outcome, &reply);
            return reply;
        };
        let started = Instant::now();
        let mut outcome = Outcome::Queued;
        let reply = self.dispatch_uncounted(&mut request, wait, host.as_deref_mut(), &mut outcome);
        let took = started.elapsed();
        let mut counts = stats.lock();
        match (outcome, &reply) {
            // Refused for memory before it ran (`Shared::start`), or EXEC refused (for memory, or
            // a script timed out while it waited): Redis's `rejectCommand`.
            (
                Outcome::Ran(name),
                Reply::Error(
                    e @ (CommandError::OutOfMemory
                    | CommandError::NoReplicas
                    | CommandError::ReadOnlyReplica
                    | CommandError::MasterDown
                    | CommandError::ExecAbortBecause(_)),
                ),
            ) => counts.rejected(Some(name), e),
            (Outcome::Ran(name), reply) => {
                counts.ran_blocking(name, took, reply, self.blocked.is_some());
                if self.blocked.is_some() {
                    // Logged when its wait ends (see `poll_blocked`).
                    let who = slow_client(host.as_deref(), &self.session);
                    counts.blocked(self.id, name, took, request.argv.clone(), who);
                } else if name != "exec" {
                    // EXEC is not logged, the commands it ran are.
                    counts.slow(took, &request.argv, || slow_client(host.as_deref(), &self.session));
                }
            }
            (Outcome::Rejected(name), Reply::Error(e)) => counts.rejected(name, e),
            (_, Reply::Error(e)) => counts.error(e),
            _ => {}
        }
        drop(counts);
        self.stats = Some(stats);
        self.note_asking(&outcome, &reply);
        reply
    }

    /// Whether the connection's user may run `argv` (its command `spec`): the `default` user
    /// with every permission checks nothing. The error is Redis's NOPERM.
    fn permitted(&self, spec: &'static CommandSpec, argv: &Argv, host: Option<&dyn Host>) -> Result<(), CommandError> {
        self.user_permits(spec, argv).map_err(|denied| {
            let context = match self.multi {
                Some(_) => crate::acl::LogContext::Multi,
                None => crate::acl::LogContext::TopLevel,
            };
            self.log_denied(denied, context, spec, argv, host);
            CommandError::Other(crate::acl::no_permission(denied, spec.name).into())
        })
    }

    /// Records a refusal in ACL LOG, with the client's CLIENT LIST line.
    fn log_denied(
        &self,
        denied: crate::acl::Denied,
        context: crate::acl::LogContext,
        spec: &'static CommandSpec,
        argv: &Argv,
        host: Option<&dyn Host>,
    ) {
        let info = self.client_info(host);
        self.shared
            .users
            .log_denied((denied, context), self.session.user, (spec.name, argv), info);
    }

    /// This client's CLIENT LIST line: the server's, or in process what it knows of itself.
    fn client_info(&self, host: Option<&dyn Host>) -> String {
        match host {
            Some(host) => host.client_info(self.id),
            None => in_process_info(self.id, self.db, &self.session, &self.shared.users),
        }
    }

    /// Whether the connection's user may run `argv`, and if not why.
    fn user_permits(&self, spec: &'static CommandSpec, argv: &Argv) -> Result<(), crate::acl::Denied> {
        crate::command::acl::user_permits(&self.shared.users, self.session.user, spec, argv)
    }

    /// Cluster mode: ASKING lets the client's next command (or transaction) reach a slot this
    /// node is importing; any other command outside MULTI ends it (Redis's `resetClient`).
    fn note_asking(&mut self, outcome: &Outcome, reply: &Reply) {
        if self.shared.cluster.is_none() {
            return;
        }
        if matches!(outcome, Outcome::Ran("asking")) && !reply.is_error() {
            self.asking = true;
        } else if self.multi.is_none() {
            self.asking = false;
        }
    }

    fn dispatch_uncounted<'h>(
        &mut self,
        request: &mut Cow<'_, Request>,
        wait: bool,
        mut host: Option<&mut (dyn Host + 'h)>,
        outcome: &mut Outcome,
    ) -> Reply {
        let argv = &request.argv;
        let mut resolved = table::resolve_for(argv, request.known, host.is_some());
        // A refused EXEC aborts the transaction rather than being queued (Redis's
        // `execCommandAbort`), in MULTI or not.
        let exec = match &resolved {
            Ok(spec) => matches!(spec.run, Run::Transaction(TransactionOp::Exec)),
            Err(e) => matches!(e, CommandError::WrongArity(name) if name == "exec"),
        };
        if let (Ok(spec), Some(host)) = (&resolved, host.as_deref_mut())
            && let Err(e) = host.admit(spec)
        {
            *outcome = Outcome::Rejected(Some(spec.name));
            resolved = Err(e);
        }
        // The user's permissions (Redis's `ACLCheckAllPerm` in `processCommand`): inside MULTI
        // a refusal is a queue-time error.
        if let Ok(spec) = &resolved
            && let Err(e) = self.permitted(spec, argv, host.as_deref())
        {
            *outcome = Outcome::Rejected(Some(spec.name));
            resolved = Err(e);
        }
        // Cluster mode: a command whose keys this node cannot serve together is refused before
        // anything else is checked (Redis's `getNodeByQuery` in `processCommand`); inside MULTI
        // that dooms the transaction. EXEC routes its whole queue (`exec_queue_with`).
        if let (Ok(spec), Some(cluster)) = (&resolved, &self.shared.cluster)
            && !exec
            && let Err(e) = {
                let shared = &self.shared;
                let mut exists = |key: &[u8]| shared.lock().keyspace.has_live(0, key);
                cluster.route([(*spec, argv)], self.asking, &mut exists)
            }
        {
            *outcome = Outcome::Rejected(Some(spec.name));
            resolved = Err(e);
        }
        match &resolved {
            Ok(spec) => *outcome = Outcome::Ran(spec.name),
            Err(_) if matches!(outcome, Outcome::Queued) => {
                *outcome = Outcome::Rejected(table::lookup(argv.get(0).unwrap_or_default()).map(|spec| spec.name));
            }
            Err(_) => {}
        }
        if let Ok(spec) = &resolved
            && self.pubsub.subscribed
            && self.session.protocol == 2
            && !allowed_while_subscribed(spec)
        {
            *outcome = Outcome::Rejected(Some(spec.name));
            resolved = Err(CommandError::Other(
                format!(
                    "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                    spec.name
                )
                .into(),
            ));
        }
        if let Ok(spec) = &resolved
            && let Some(reply) = self.while_busy(spec, argv, exec)
        {
            if reply.is_error() {
                *outcome = Outcome::Rejected(Some(spec.name));
            }
            return reply;
        }
        // CLIENT PAUSE holds a command before it runs or is queued: every command under ALL,
        // those that may write under WRITE. In process the caller waits here; a server's client
        // is parked until the pause ends ([`Connection::resume`]).
        if let Ok(spec) = &resolved
            && let Some(writes) = self.held_by_pause(spec, argv)
        {
            if wait {
                self.shared.wait_unpaused(writes);
            } else {
                self.shared.count_postponed(true);
                self.blocked = Some(self.shared.pause_end());
                self.postponed = Some(Box::new(take_request(request)));
                *outcome = Outcome::Queued;
                return Reply::NilArray;
            }
        }
        // Out of memory, Redis refuses inside MULTI every command but EXEC, DISCARD, QUIT and
        // RESET (a queue could grow without bound); outside it, `Shared::start` refuses.
        if self.shared.memory_limited()
            && let Ok(spec) = &resolved
            && self.multi.is_some()
            && !exec
            && !matches!(spec.name, "discard" | "quit" | "reset")
            && self.shared.out_of_memory_now()
        {
            *outcome = Outcome::Rejected(Some(spec.name));
            resolved = Err(CommandError::OutOfMemory);
        }
        // So is a command the replication rules refuse: a write while there are not enough good
        // replicas (`min-replicas-to-write`) or on a read-only replica, one not flagged `stale`
        // on a stale replica.
        if let Ok(spec) = &resolved
            && self.multi.is_some()
            && let Some(refusal) = self.shared.replication_refusal_now(spec)
        {
            *outcome = Outcome::Rejected(Some(spec.name));
            resolved = Err(refusal);
        }
        if let Some(multi) = &mut self.multi {
            let immediate = matches!(&resolved, Ok(spec) if spec.has(flags::IMMEDIATE));
            if !immediate && !exec {
                if resolved.is_ok() {
                    *outcome = Outcome::Queued;
                }
                if self.session.tracking {
                    self.shared.bound_tracking_before_queuing(self.id);
                }
                return multi.queue(resolved, take_request(request).argv);
            }
        }
        let spec = match resolved {
            Ok(spec) => spec,
            Err(e) if exec => {
                self.discard_transaction();
                // MONITOR saw MULTI: it sees EXEC end the transaction.
                if let Some(exec) = table::lookup(b"exec") {
                    let addr = self.monitor_addr(host.as_deref());
                    self.monitor(exec, argv, addr.as_deref(), true);
                }
                return Reply::Error(CommandError::ExecAbortBecause(e.without_err_code()));
            }
            Err(e) => return Reply::Error(e),
        };
        let addr = self.monitor_addr(host.as_deref());
        self.monitor(spec, argv, addr.as_deref(), false);
        let reply = self.dispatch_resolved(spec, argv, wait, host);
        self.monitor(spec, argv, addr.as_deref(), true);
        // Invalidations redirected here take the form of the protocol the connection speaks
        // now (HELLO and RESET change it).
        if let Some(mailbox) = &self.pubsub.mailbox {
            mailbox.set_protocol(self.session.protocol);
        }
        reply
    }

    /// How MONITOR names this connection, if anyone monitors: its address over the wire,
    /// `embedded` in process.
    fn monitor_addr(&self, host: Option<&(dyn Host + '_)>) -> Option<String> {
        self.shared
            .monitoring
            .load(std::sync::atomic::Ordering::Acquire)
            .then(|| host.map_or_else(|| "embedded".into(), |h| h.client_addr()))
    }

    /// MONITOR's line for a command the connection's host refused before the connection ran it
    /// (HELLO whose AUTH failed, over the wire): Redis shows every command it ran, errors
    /// included.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn monitor_refused(&mut self, argv: &Argv, host: &dyn Host) {
        let Some(spec) = table::lookup(argv.arg(0)) else {
            return;
        };
        let addr = self.monitor_addr(Some(host));
        self.monitor(spec, argv, addr.as_deref(), true);
    }

    /// Sends MONITOR's line for a command this connection (named `addr`, when someone
    /// monitors) runs: before it runs for EVAL, EVALSHA and FCALL (`after` false), after it for
    /// the rest.
    fn monitor(&mut self, spec: &'static CommandSpec, argv: &Argv, addr: Option<&str>, after: bool) {
        let Some(addr) = addr else { return };
        // Decided before the lock: most commands show at one of their two points only.
        if !crate::command::monitor_shows(spec, !after) {
            return;
        }
        let Ok(mut state) = self.shared.lock_unless_busy() else {
            return;
        };
        crate::command::monitor_line(&mut state.keyspace, self.db, addr, spec, argv, !after);
        if !state.keyspace.pubsub.monitored() {
            self.shared
                .monitoring
                .store(false, std::sync::atomic::Ordering::Release);
        }
    }

    /// Runs a resolved command (see [`Connection::dispatch`]).
    fn dispatch_resolved<'h>(
        &mut self,
        spec: &'static CommandSpec,
        argv: &Argv,
        wait: bool,
        host: Option<&mut (dyn Host + 'h)>,
    ) -> Reply {
        let mut caller = self.caller(host.is_some());
        match spec.run {
            Run::Transaction(op) => match op {
                TransactionOp::Multi => self.multi(),
                TransactionOp::Exec => self.exec(host),
                TransactionOp::Discard => self.discard(),
                TransactionOp::Watch => self.watch(argv),
                TransactionOp::Unwatch => {
                    self.unwatch_all();
                    Reply::ok()
                }
            },
            Run::Session(SessionOp::Reset) => self.reset(),
            Run::Session(SessionOp::Hello) => {
                self.session
                    .hello(self.id, argv, self.shared.cluster.is_some(), &self.shared.users)
            }
            Run::Session(SessionOp::Monitor) => match self.shared.begin() {
                Ok(mut state) => self
                    .pubsub
                    .monitor(self.id, &mut state.keyspace, &self.shared.monitoring),
                Err(busy) => Reply::Error(busy),
            },
            Run::Kill(kind) => kill(&self.shared, kind),
            Run::PubSub(subscription) => match self.shared.begin() {
                Ok(mut state) => {
                    let (reply, rest) = self.pubsub.run(self.id, &mut state.keyspace, subscription, argv, false);
                    let mailbox = self.pubsub.mailbox();
                    mailbox.mark_reply();
                    mailbox.confirm(rest);
                    reply
                }
                Err(busy) => Reply::Error(busy),
            },
            Run::Host(op) => match host {
                Some(host) => {
                    let mut state = None;
                    if op.reads_keyspace() {
                        match self.shared.begin() {
                            Ok(locked) => state = Some(locked),
                            Err(busy) => return Reply::Error(busy),
                        }
                    }
                    let (ks, engines) = match state.as_mut() {
                        Some(guard) => {
                            let state: &mut crate::runner::State = guard;
                            (Some(&mut state.keyspace), Some(&mut state.engines))
                        }
                        None => (None, None),
                    };
                    host.run(HostCall {
                        op,
                        spec,
                        argv,
                        caller,
                        ks,
                        engines,
                        session: &mut self.session,
                    })
                }
                None if op == HostOp::Client => match self.shared.begin() {
                    Ok(mut state) => client_in_process(
                        self.id,
                        &mut self.pubsub,
                        &mut self.session,
                        spec,
                        argv,
                        &mut state.keyspace,
                    ),
                    Err(busy) => Reply::Error(busy),
                },
                // Not reached: without a host, resolving refuses the server's commands.
                None => Reply::Error(table::unknown_command(argv)),
            },
            Run::Keyspace(_) | Run::Container(_) if wait => {
                let reply = self.shared.run(&mut caller, spec, argv);
                self.db = caller.db;
                self.write_offset = caller.write_offset;
                reply
            }
            Run::Keyspace(_) | Run::Container(_) => {
                let started = self
                    .shared
                    .start(&mut caller, spec, argv, host.map(|host| host as &mut dyn Host));
                self.db = caller.db;
                self.write_offset = caller.write_offset;
                match started {
                    Started::Done(reply) => reply,
                    Started::Blocked(deadline) => {
                        self.blocked = Some(deadline);
                        self.may_be_blocked = true;
                        Reply::NilArray
                    }
                }
            }
        }
    }

    /// This connection's client id (Redis's `CLIENT ID`): unique within its store.
    ///
    /// ```
    /// let store = embedis::Store::new();
    /// assert_ne!(store.connect().id(), store.connect().id());
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The name given with `HELLO … SETNAME` (or `CLIENT SETNAME` over the wire).
    ///
    /// ```
    /// let mut conn = embedis::Store::new().connect();
    /// conn.call(["HELLO", "2", "SETNAME", "worker-1"]);
    /// assert_eq!(conn.name(), Some(&b"worker-1"[..]));
    /// ```
    pub fn name(&self) -> Option<&[u8]> {
        self.session.name.as_deref()
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

    /// Authenticates the connection as `user` (Redis's `AUTH user password`): from now on it
    /// runs only what the user's ACL rules allow — its scripts too — as a client of a server
    /// authenticated so would. The error is Redis's WRONGPASS (the user unknown, off, or the
    /// password not one of its own); a failure is recorded in ACL LOG.
    ///
    /// ```
    /// use embedis::{CommandError, Reply, Store};
    ///
    /// let store = Store::new();
    /// store.connect().call(["ACL", "SETUSER", "tenant", "on", ">secret", "~tenant:*", "+@read", "+@write"]);
    /// let mut conn = store.connect();
    /// conn.authenticate("tenant", "secret")?;
    /// assert_eq!(conn.call(["SET", "tenant:1", "v"]), Reply::Status("OK".into()));
    /// assert!(conn.call(["SET", "other", "v"]).is_error());
    /// assert!(store.connect().authenticate("tenant", "wrong").is_err());
    /// # Ok::<(), CommandError>(())
    /// ```
    pub fn authenticate(&mut self, user: &str, password: &str) -> Result<(), CommandError> {
        let users = &self.shared.users;
        self.session
            .authenticate(users, user.as_bytes(), password.as_bytes())
            .inspect_err(|_| {
                let info = in_process_info(self.id, self.db, &self.session, users);
                users.log_auth_failure(b"auth", user.as_bytes(), crate::acl::LogContext::TopLevel, info);
            })
    }

    /// The protocol this connection speaks: 2 (the default), or 3 after `HELLO 3`, when replies
    /// hold RESP3 types (encode them with [`Reply::to_resp3`]).
    ///
    /// ```
    /// use embedis::{Reply, Store};
    /// let mut conn = Store::new().connect();
    /// conn.call(["HSET", "h", "f", "v"]);
    /// assert!(matches!(conn.call(["HGETALL", "h"]), Reply::Array(_)));
    /// conn.call(["HELLO", "3"]);
    /// assert_eq!(conn.protocol(), 3);
    /// assert!(matches!(conn.call(["HGETALL", "h"]), Reply::Map(_)));
    /// ```
    pub fn protocol(&self) -> u8 {
        self.session.protocol
    }

    /// The user the connection authenticated as, if not `default`.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn user(&self) -> Option<crate::acl::UserId> {
        self.session.user
    }

    /// Whether the connection is in MONITOR.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn monitoring(&self) -> bool {
        self.pubsub.monitoring
    }

    /// Inside MULTI, how many commands it keeps queued and what their arguments take (CLIENT
    /// LIST's `multi` and `multi-mem`; a doomed transaction keeps no more, as in Redis); `None`
    /// outside.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn queued(&self) -> Option<(usize, usize)> {
        self.multi.as_ref().map(|multi| (multi.queue.len(), multi.queued_mem))
    }

    /// RESET: leaves MULTI, unwatches, selects database 0, speaks RESP2 and forgets its name, as a
    /// fresh connection (Redis's `resetCommand`; the server also turns CLIENT REPLY back on and,
    /// with a password, asks for AUTH again).
    fn reset(&mut self) -> Reply {
        self.discard_transaction();
        self.leave_pubsub();
        if self.session.tracking
            && let Ok(mut state) = self.shared.lock_unless_busy()
        {
            state.keyspace.tracking.disable(self.id);
        }
        self.db = 0;
        self.session = Session {
            protocol: 2,
            name: None,
            tracking: false,
            user: None,
        };
        Reply::status("RESET")
    }

    /// How many channels, patterns and shard channels this connection subscribes to.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn subscription_counts(&self) -> (usize, usize, usize) {
        self.pubsub.counts
    }

    /// This connection's mailbox, made on first use.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn mailbox(&mut self) -> &Arc<Mailbox> {
        self.pubsub.mailbox()
    }

    /// Drops every subscription, silently (RESET, and a connection going away).
    fn leave_pubsub(&mut self) {
        if !self.pubsub.subscribed && !self.pubsub.monitoring {
            return;
        }
        self.pubsub.subscribed = false;
        self.pubsub.monitoring = false;
        self.pubsub.counts = (0, 0, 0);
        match self.shared.lock_unless_busy() {
            Ok(mut state) => state.keyspace.pubsub.leave(self.id),
            Err(_) => self.shared.defer_cleanup(self.id, WatchList::new(), true),
        }
    }

    /// The next Pub/Sub message or subscription confirmation waiting for this connection,
    /// without waiting: a push reply (`["message", channel, payload]`, `["pmessage", pattern,
    /// channel, payload]`, `["subscribe", channel, count]`, …), an array for a RESP2 connection.
    /// A subscription command answers its first confirmation itself; the others, and the
    /// messages, wait here in order.
    ///
    /// ```
    /// use embedis::{Reply, Store};
    ///
    /// let store = Store::new();
    /// let mut subscriber = store.connect();
    /// let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
    /// assert_eq!(
    ///     subscriber.call(["SUBSCRIBE", "news", "sport"]),
    ///     Reply::Array(vec![bulk("subscribe"), bulk("news"), Reply::Integer(1)])
    /// );
    /// assert_eq!(store.connect().call(["PUBLISH", "news", "hello"]), Reply::Integer(1));
    /// assert_eq!(
    ///     subscriber.try_recv_push(),
    ///     Some(Reply::Array(vec![bulk("subscribe"), bulk("sport"), Reply::Integer(2)]))
    /// );
    /// assert_eq!(
    ///     subscriber.try_recv_push(),
    ///     Some(Reply::Array(vec![bulk("message"), bulk("news"), bulk("hello")]))
    /// );
    /// assert_eq!(subscriber.try_recv_push(), None);
    /// ```
    ///
    /// Client-side caching's invalidations arrive the same way, once the connection turns
    /// CLIENT TRACKING on (a RESP3 connection gets them itself, after the reply of the command
    /// that caused them):
    ///
    /// ```
    /// use embedis::{Reply, Store};
    ///
    /// let store = Store::new();
    /// let mut cache = store.connect();
    /// cache.call(["HELLO", "3"]);
    /// assert_eq!(cache.call(["CLIENT", "TRACKING", "ON"]), Reply::ok());
    /// assert_eq!(cache.call(["GET", "user:1"]), Reply::Nil); // now remembered as cached
    /// store.connect().call(["SET", "user:1", "Ada"]);
    /// let bulk = |s: &str| Reply::Bulk(s.as_bytes().to_vec());
    /// assert_eq!(
    ///     cache.try_recv_push(),
    ///     Some(Reply::Push(vec![bulk("invalidate"), Reply::Array(vec![bulk("user:1")])]))
    /// );
    /// ```
    pub fn try_recv_push(&mut self) -> Option<Reply> {
        self.recv_push_until(Some(Instant::now()))
    }

    /// [`Connection::try_recv_push`], waiting up to `timeout` for something to arrive.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let store = embedis::Store::new();
    /// let mut subscriber = store.connect();
    /// subscriber.call(["PSUBSCRIBE", "news.*"]);
    /// let publisher = store.clone();
    /// std::thread::spawn(move || publisher.connect().call(["PUBLISH", "news.tech", "rust"]));
    /// let message = subscriber.recv_push(Duration::from_secs(5)).expect("a message");
    /// assert_eq!(message.to_resp(), b"*4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$9\r\nnews.tech\r\n$4\r\nrust\r\n");
    /// ```
    pub fn recv_push(&mut self, timeout: std::time::Duration) -> Option<Reply> {
        self.recv_push_until(Some(Instant::now() + timeout))
    }

    /// This connection's mailbox, if it has one (for an async reader of its pushes).
    #[cfg(feature = "async")]
    pub(crate) fn existing_mailbox(&self) -> Option<&Arc<Mailbox>> {
        self.pubsub.mailbox.as_ref()
    }

    /// Whether this connection's mailbox was cut off for holding more than its bound.
    pub(crate) fn push_overflowed(&self) -> bool {
        self.pubsub.mailbox.as_ref().is_some_and(|mailbox| mailbox.overflowed())
    }

    /// The next push until `deadline` (for ever with `None`).
    pub(crate) fn recv_push_until(&mut self, deadline: Option<Instant>) -> Option<Reply> {
        let item = self.pubsub.mailbox.as_ref()?.next(deadline)?;
        Some(if self.session.protocol == 2 {
            item.into_resp2()
        } else {
            item
        })
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
        let mut state = match self.shared.begin() {
            Ok(state) => state,
            Err(busy) => return Reply::Error(busy),
        };
        let ks = &mut state.keyspace;
        for key in argv.iter().skip(1) {
            if !self.watched.iter().any(|(db, k)| *db == self.db && &**k == key) {
                ks.watch(self.db, key, self.id);
                // Copied in place (a key built apart and moved in stalls the processor).
                self.watched.push((self.db, InlineBytes::EMPTY));
                if let Some((_, watched)) = self.watched.last_mut() {
                    watched.assign(key);
                }
            }
        }
        Reply::ok()
    }

    /// Drops every watch; while a timed-out script holds the lock, the keyspace's side of it is
    /// left to the next taker of the lock (the connection's side goes at once).
    fn unwatch_all(&mut self) {
        release_watches(&self.shared, self.id, &mut self.watched);
    }

    /// Redis's `processCommand` while a script is timed out: every command without the
    /// `allow-busy` flag is refused with the script's BUSY error (dooming a transaction being
    /// queued, discarding it for EXEC); FUNCTION STATS is answered by the watchdog, and SHUTDOWN
    /// passes only with NOSAVE, ending the script. `None`: run the command as usual.
    fn while_busy(&mut self, spec: &'static CommandSpec, argv: &Argv, exec: bool) -> Option<Reply> {
        let busy = self.shared.watchdog.busy()?;
        if spec.has(flags::ALLOW_BUSY) {
            return match spec.run {
                Run::Keyspace(_) if table::is_function_stats(spec) => {
                    Some(self.shared.watchdog.function_stats()?.unwrap_or_else(Reply::Error))
                }
                Run::Host(HostOp::Shutdown) if !argv.iter().skip(1).any(|a| a.eq_ignore_ascii_case(b"nosave")) => {
                    Some(Reply::Error(busy))
                }
                Run::Host(HostOp::Shutdown) => {
                    self.shared.watchdog.abort();
                    None
                }
                _ => None,
            };
        }
        if exec {
            self.discard_transaction();
            return Some(Reply::Error(CommandError::ExecAbortBecause(busy.to_string())));
        }
        if let Some(multi) = &mut self.multi {
            multi.aborted = true;
        }
        Some(Reply::Error(busy))
    }

    /// EXEC.
    fn exec(&mut self, host: Option<&mut (dyn Host + '_)>) -> Reply {
        match self.multi.take() {
            Some(multi) => self.exec_queue(multi, host),
            None => Reply::Error(CommandError::ExecWithoutMulti),
        }
    }

    /// Runs a queued transaction as EXEC does: under one lock and one clock reading, checks the
    /// watches (and unwatches), then runs the queue — or answers EXECABORT or the nil array.
    pub(crate) fn exec_queue(&mut self, multi: MultiState, host: Option<&mut (dyn Host + '_)>) -> Reply {
        exec_reply(self.exec_queue_with(multi, host, |reply| reply))
    }

    /// EXEC of a [`Transaction`](crate::Transaction) whose commands are all
    /// [`Direct`](crate::direct::Direct) calls: run directly where nothing observes commands
    /// (see `direct.rs`), else as the command lines they stand for. Answers as
    /// [`Connection::exec_queue_with`].
    pub(crate) fn exec_direct_with<R>(
        &mut self,
        calls: &[QueuedDirect],
        mut each: impl FnMut(Result<Reply, CommandError>) -> R,
    ) -> Result<Option<Vec<R>>, CommandError> {
        let mut state = begin_exec(&self.shared, self.id, &mut self.watched)?;
        // (A cluster node queues no direct calls: `Transaction::queue_direct`.)
        if self.pubsub.subscribed || !state.keyspace.takes_direct_calls(true) {
            // Taken again by the usual EXEC, as if it had come a moment later.
            drop(state);
            let mut multi = MultiState::default();
            for call in calls {
                let call = call.call();
                multi.queue(Ok(call.spec()), call.request().argv);
            }
            return self.exec_queue_with(multi, None, |reply| each(crate::reply::into_result(reply)));
        }
        if end_watches(&mut self.watched, self.id, &mut state.keyspace) {
            return Ok(None);
        }
        let caller = Caller {
            in_exec: true,
            ..self.caller(false)
        };
        Ok(Some(self.shared.run_direct_calls(&mut state, &caller, calls, each)))
    }

    /// [`Connection::exec_queue`], handing each command's reply to `each` as it is made, so the
    /// typed API builds its own slots without a second pass. `Ok(None)` is a watch conflict.
    pub(crate) fn exec_queue_with<R>(
        &mut self,
        multi: MultiState,
        mut host: Option<&mut (dyn Host + '_)>,
        mut each: impl FnMut(Reply) -> R,
    ) -> Result<Option<Vec<R>>, CommandError> {
        let mut state = begin_exec(&self.shared, self.id, &mut self.watched)?;
        // Cluster mode: the queue's keys must all be in one slot this node serves (Redis routes
        // EXEC by its whole queue before it runs); the transaction is discarded. Redis stops
        // queuing once a watched key is touched, so a transaction already doomed by its WATCH
        // routes by what came before — here, by nothing: it answers its nil.
        let watch_broken = || {
            self.watched
                .iter()
                .any(|(db, key)| state.keyspace.watch_is_dirty(*db, key, self.id))
        };
        if let Some(cluster) = &self.shared.cluster
            && !watch_broken()
            && let Err(e) = {
                let keyspace = &state.keyspace;
                let mut exists = |key: &[u8]| keyspace.has_live(0, key);
                cluster.route(
                    multi.queue.iter().map(|(spec, argv)| (*spec, argv)),
                    self.asking,
                    &mut exists,
                )
            }
        {
            for (db, key) in self.watched.drain(..) {
                state.keyspace.unwatch(db, &key, self.id);
            }
            return Err(e);
        }
        // Out of memory, EXEC of a command that could grow the store is refused (Redis checks it
        // after routing, before anything else of EXEC); so is one the replication rules refuse
        // (a write while there are not enough good replicas or on a read-only replica, a
        // command not flagged `stale` on a stale replica).
        let refusal = if state.keyspace.out_of_memory()
            && multi
                .commands()
                .any(|(spec, argv)| state.denied_out_of_memory(spec, argv))
        {
            Some(CommandError::OutOfMemory)
        } else {
            state.keyspace.replication_refusal_with(
                || multi.commands().any(|(spec, _)| spec.has(flags::WRITE)),
                || multi.commands().all(|(spec, _)| crate::replica::runs_when_stale(spec)),
            )
        };
        if let Some(refusal) = refusal {
            for (db, key) in self.watched.drain(..) {
                state.keyspace.unwatch(db, &key, self.id);
            }
            self.shared.after_command(&mut state);
            return Err(CommandError::ExecAbortBecause(refusal.to_string()));
        }
        let dirty = end_watches(&mut self.watched, self.id, &mut state.keyspace);
        if multi.aborted {
            return Err(CommandError::ExecAbort);
        }
        if dirty {
            return Ok(None);
        }
        let mut caller = Caller {
            in_exec: true,
            ..self.caller(host.is_some())
        };
        let offset_before = state.keyspace.replicas.offset();
        let mut ctx = state.ctx(&caller);
        let mut replies = Vec::with_capacity(multi.queue.len());
        let stats = self.shared.command_stats();
        // Where pushes made during EXEC fall among its replies (Redis writes the array's header
        // first, then each command's output): marked before the first command and after each.
        let marking = self.pubsub.mailbox.clone().filter(|_| {
            self.pubsub.subscribed || multi.queue.iter().any(|(spec, _)| matches!(spec.run, Run::PubSub(_)))
        });
        if let Some(mailbox) = &marking {
            mailbox.mark_reply();
        }
        let monitor_addr = self.monitor_addr(host.as_deref());
        for (spec, argv) in &multi.queue {
            // Permissions again: they may have changed since the command was queued.
            if let Err(denied) = self.user_permits(spec, argv) {
                let context = crate::acl::LogContext::Multi;
                self.log_denied(denied, context, spec, argv, host.as_deref());
                replies.push(each(Reply::Error(CommandError::Other(
                    crate::acl::no_longer_permitted(denied).into(),
                ))));
                continue;
            }
            let started = stats.map(|_| Instant::now());
            let mut confirmations = Vec::new();
            if let Some(addr) = &monitor_addr {
                crate::command::monitor_line(ctx.ks, ctx.db, addr, spec, argv, true);
            }
            let reply = match spec.run {
                // UNWATCH is queued like any command; EXEC has already unwatched everything.
                Run::Transaction(_) => Reply::ok(),
                Run::Session(SessionOp::Monitor) => self.pubsub.monitor(self.id, ctx.ks, &self.shared.monitoring),
                // HELLO needs no keyspace; a protocol it switches applies to the replies after it.
                Run::Session(_) => {
                    let reply = self
                        .session
                        .hello(self.id, argv, self.shared.cluster.is_some(), &self.shared.users);
                    ctx.resp = self.session.protocol;
                    reply
                }
                Run::Host(op) => match host.as_deref_mut() {
                    Some(host) => {
                        caller.db = ctx.db;
                        let reply = host.run(HostCall {
                            op,
                            spec,
                            argv,
                            caller,
                            ks: Some(&mut *ctx.ks),
                            engines: Some(&mut *ctx.engines),
                            session: &mut self.session,
                        });
                        ctx.resp = self.session.protocol;
                        reply
                    }
                    None if op == HostOp::Client => {
                        client_in_process(self.id, &mut self.pubsub, &mut self.session, spec, argv, ctx.ks)
                    }
                    // Not reached: without a host, queuing refuses the server's commands.
                    None => ctx.run(spec, argv),
                },
                // No script runs while EXEC holds the lock.
                Run::Kill(kind) => kill(&self.shared, kind),
                Run::PubSub(subscription) => {
                    let (reply, rest) = self.pubsub.run(self.id, ctx.ks, subscription, argv, true);
                    confirmations = rest;
                    // A server writes the push as its client's protocol has it; in process a
                    // RESP2 caller gets the array.
                    if host.is_none() && ctx.resp == 2 {
                        reply.into_resp2()
                    } else {
                        reply
                    }
                }
                Run::Keyspace(_) | Run::Container(_) => ctx.run(spec, argv),
            };
            if let (Some(stats), Some(started)) = (stats, started) {
                stats
                    .lock()
                    .slow(started.elapsed(), argv, || slow_client(host.as_deref(), &self.session));
            }
            if let Some(addr) = &monitor_addr {
                crate::command::monitor_line(ctx.ks, ctx.db, addr, spec, argv, false);
            }
            match &marking {
                Some(mailbox) => {
                    mailbox.mark_reply();
                    mailbox.confirm(confirmations);
                }
                None if !confirmations.is_empty() => self.pubsub.mailbox().confirm(confirmations),
                None => {}
            }
            replies.push(each(reply));
        }
        self.db = ctx.db;
        if state.keyspace.tracking.is_active() {
            state.keyspace.tracking.command_ended(self.id);
        }
        self.shared.after_command(&mut state);
        if state.keyspace.replicas.offset() != offset_before {
            self.write_offset = state.keyspace.replicas.offset();
        }
        Ok(Some(replies))
    }
}

impl Session {
    /// Redis's `clientSetName`: printable characters without spaces; empty clears the name.
    /// AUTH and HELLO AUTH: the connection is `user`'s from now on, if `password` is one of
    /// its own (or it takes none) and it is on.
    pub(crate) fn authenticate(
        &mut self,
        users: &crate::acl::Users,
        user: &[u8],
        password: &[u8],
    ) -> Result<(), CommandError> {
        self.user = users.authenticate(user, password)?;
        Ok(())
    }

    pub(crate) fn set_name(&mut self, name: &[u8]) -> Result<(), CommandError> {
        if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
            return Err(CommandError::other(
                "ERR Client names cannot contain spaces, newlines or special characters.",
            ));
        }
        self.name = (!name.is_empty()).then(|| name.to_vec());
        Ok(())
    }

    /// HELLO [protover [AUTH username password] [SETNAME clientname]] (Redis's `helloCommand`). A
    /// store has only Redis's default user, without a password: `AUTH default <anything>` passes.
    /// In cluster mode (`cluster`) its `mode` field says `cluster`.
    fn hello(&mut self, id: ClientId, argv: &Argv, cluster: bool, users: &crate::acl::Users) -> Reply {
        self.try_hello(id, argv, cluster, users).unwrap_or_else(Reply::Error)
    }

    fn try_hello(
        &mut self,
        id: ClientId,
        argv: &Argv,
        cluster: bool,
        users: &crate::acl::Users,
    ) -> Result<Reply, CommandError> {
        let HelloArgs { version, auth, name } = HelloArgs::parse(argv)?;
        if let Some((user, password)) = auth {
            self.authenticate(users, user, password)?;
        }
        if let Some(name) = name {
            self.set_name(name)?;
        }
        if let Some(version) = version {
            self.protocol = version;
        }
        let reply = Reply::map([
            ("server", Reply::bulk("redis")),
            ("version", Reply::bulk(crate::REDIS_VERSION)),
            ("proto", Reply::Integer(self.protocol as i64)),
            ("id", Reply::Integer(id as i64)),
            ("mode", Reply::bulk(if cluster { "cluster" } else { "standalone" })),
            ("role", Reply::bulk("master")),
            ("modules", Reply::Array(Vec::new())),
        ]);
        Ok(if self.protocol == 2 { reply.into_resp2() } else { reply })
    }
}

/// HELLO's arguments, read with Redis's checks in Redis's order (the version, then each option).
pub(crate) struct HelloArgs<'a> {
    pub(crate) version: Option<u8>,
    /// AUTH's user name and password.
    pub(crate) auth: Option<(&'a [u8], &'a [u8])>,
    pub(crate) name: Option<&'a [u8]>,
}

impl<'a> HelloArgs<'a> {
    pub(crate) fn parse(argv: &'a Argv) -> Result<HelloArgs<'a>, CommandError> {
        use crate::command::args::{error_text, is_option};
        let mut version = None;
        let mut next = 1;
        if let Some(arg) = argv.get(1) {
            let v = crate::number::parse_i64(arg)
                .ok_or_else(|| CommandError::other("ERR Protocol version is not an integer or out of range"))?;
            if !(2..=3).contains(&v) {
                return Err(CommandError::other("NOPROTO unsupported protocol version"));
            }
            version = Some(v as u8);
            next = 2;
        }
        let (mut auth, mut name) = (None, None);
        let mut i = next;
        while i < argv.len() {
            let more = argv.len() - 1 - i;
            let opt = argv.arg(i);
            if is_option(opt, "auth") && more >= 2 {
                auth = Some((argv.arg(i + 1), argv.arg(i + 2)));
                i += 3;
            } else if is_option(opt, "setname") && more >= 1 {
                name = Some(argv.arg(i + 1));
                i += 2;
            } else {
                return Err(CommandError::Other(
                    format!("ERR Syntax error in HELLO option '{}'", error_text(opt)).into(),
                ));
            }
        }
        Ok(HelloArgs { version, auth, name })
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if self.postponed.take().is_some() {
            self.shared.count_postponed(false);
        }
        self.unwatch_all();
        if let Some(mailbox) = &self.pubsub.mailbox {
            mailbox.mark_gone();
        }
        if self.blocked.is_some()
            && let Some(stats) = &self.stats
        {
            stats.lock().wait_ended(self.id, WaitEnd::TimedOut, None);
        }
        if self.may_be_blocked || self.pubsub.subscribed || self.pubsub.monitoring || self.session.tracking {
            // A client that leaves waits for nothing and receives nothing any more.
            match self.shared.lock_unless_busy() {
                Ok(mut state) => {
                    state.keyspace.unblock(self.id);
                    state.keyspace.pubsub.leave(self.id);
                    state.keyspace.tracking.disable(self.id);
                }
                Err(_) => self.shared.defer_cleanup(self.id, WatchList::new(), true),
            }
        }
    }
}

/// Whether a RESP2 client that subscribes to something may run `spec`: the subscription
/// commands, PING, QUIT and RESET.
fn allowed_while_subscribed(spec: &CommandSpec) -> bool {
    matches!(
        spec.run,
        Run::PubSub(_) | Run::Host(HostOp::Quit) | Run::Session(SessionOp::Reset)
    ) || spec.name == "ping"
}

/// Drops `client`'s `watched` keys; while a timed-out script holds the lock, the keyspace's side
/// is left to the next taker of the lock (the connection's side goes at once).
fn release_watches(shared: &Shared, client: ClientId, watched: &mut WatchList) {
    if watched.is_empty() {
        return;
    }
    match shared.lock_unless_busy() {
        Ok(mut state) => {
            for (db, key) in watched.drain(..) {
                state.keyspace.unwatch(db, &key, client);
            }
        }
        Err(_) => shared.defer_cleanup(client, std::mem::take(watched), false),
    }
}

/// What became of a command, for the command statistics: it ran (counted with its time and
/// reply), it was refused before running (named if it is a known command), or it was queued in
/// MULTI (or counted elsewhere).
#[derive(Clone, Copy)]
enum Outcome {
    Ran(&'static str),
    Rejected(Option<&'static str>),
    Queued,
}

/// The request a command keeps (queued in MULTI, held by a pause), taken out of `request`, which
/// is left empty: a lent request is copied then, an owned one moved.
fn take_request(request: &mut Cow<'_, Request>) -> Request {
    std::mem::replace(request, Cow::Owned(Request::from(Argv::new()))).into_owned()
}

/// Who ran a command, for its SLOWLOG entry: the host's address for its client (none in
/// process) and the connection's name.
fn slow_client(host: Option<&(dyn Host + '_)>, session: &Session) -> SlowClient {
    SlowClient {
        addr: host.map(|h| h.client_addr()).unwrap_or_default(),
        name: session.name.clone().unwrap_or_default(),
    }
}

/// SCRIPT KILL or FUNCTION KILL: answered without the lock, which the script holds.
fn kill(shared: &Shared, kind: ScriptKind) -> Reply {
    match shared.watchdog.kill(kind) {
        Ok(()) => Reply::ok(),
        Err(e) => Reply::Error(e),
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

/// Takes the lock for EXEC. A script that timed out while EXEC waited for the lock makes it
/// refused as if it had arrived later (the transaction is already taken, so it is discarded).
fn begin_exec<'s>(
    shared: &'s Shared,
    client: ClientId,
    watched: &mut WatchList,
) -> Result<MutexGuard<'s, State>, CommandError> {
    shared.begin().map_err(|busy| {
        release_watches(shared, client, watched);
        CommandError::ExecAbortBecause(busy.to_string())
    })
}

/// EXEC of a [`Transaction`](crate::Transaction) of [`Direct`](crate::direct::Direct) calls that
/// has no connection of its own ([`Store::multi`](crate::Store::multi)'s: nothing watched,
/// nothing subscribed, database 0, RESP2), run for a client made for it. `Ok(None)` — which
/// such a transaction, watching nothing, never answers for a conflict — where something
/// observes commands, so that the calls must take a connection's way. (The answer has the
/// type of EXEC's, so that it is returned as it is, not unpacked and packed again.)
pub(crate) fn exec_direct_unconnected<R>(
    shared: &Shared,
    calls: &[QueuedDirect],
    each: impl FnMut(Result<Reply, CommandError>) -> R,
) -> Result<Option<Vec<R>>, CommandError> {
    let mut state = begin_exec(shared, 0, &mut WatchList::new())?;
    if !state.keyspace.takes_direct_calls(true) {
        return Ok(None);
    }
    // Nothing observes the unit, so it is no client's: Redis's own unit of work without a client.
    let caller = Caller::internal(0, 0);
    Ok(Some(shared.run_direct_calls(&mut state, &caller, calls, each)))
}

/// What an in-process connection's ACL LOG entries say of it, in CLIENT LIST's form: its id,
/// database, user and protocol.
pub(crate) fn in_process_info(id: ClientId, db: usize, session: &Session, users: &crate::acl::Users) -> String {
    let name = session.name.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
    let user = String::from_utf8_lossy(&users.name_of(session.user)).into_owned();
    format!(
        "id={id} addr= laddr= name={name} db={db} user={user} resp={}",
        session.protocol
    )
}

/// CLIENT's subcommands that an in-process connection runs (`command/client.rs`): client `id`'s,
/// whose Pub/Sub side is `pubsub`, on the locked keyspace. Its invalidations arrive in its
/// mailbox (made by TRACKING if need be), in the form of its protocol; a REDIRECT names a connection of
/// the store that subscribes to something, monitors or tracks (the keyspace knows its mailbox).
fn client_in_process(
    id: ClientId,
    pubsub: &mut Subscriber,
    session: &mut Session,
    spec: &'static CommandSpec,
    argv: &Argv,
    ks: &mut Keyspace,
) -> Reply {
    let protocol = session.protocol;
    let own = || {
        let mailbox = Arc::clone(pubsub.mailbox());
        mailbox.set_protocol(protocol);
        Some(mailbox)
    };
    let mailbox_of = |ks: &Keyspace, client| ks.pubsub.mailbox_of(client).or_else(|| ks.tracking.mailbox_of(client));
    let call = crate::command::client::ClientCall {
        argv,
        me: id,
        session,
        ks,
    };
    crate::command::client::run(spec.name, call, own, mailbox_of)
}

/// Releases `client`'s watches at EXEC, answering whether one of the keys changed since it was
/// watched (the transaction then runs nothing).
fn end_watches(watched: &mut WatchList, client: ClientId, ks: &mut Keyspace) -> bool {
    // Every watch ends, dirty or not.
    watched
        .drain(..)
        .fold(false, |dirty, (db, key)| ks.end_watch(db, &key, client) | dirty)
}

/// EXEC's reply: the replies' array, nil for a watch conflict, or the error.
pub(crate) fn exec_reply(replies: Result<Option<Vec<Reply>>, CommandError>) -> Reply {
    match replies {
        Ok(Some(replies)) => Reply::Array(replies),
        Ok(None) => Reply::NilArray,
        Err(e) => Reply::Error(e),
    }
}
