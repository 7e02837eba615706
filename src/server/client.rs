//! One client of the server, as the event loop drives it: running its commands, and the commands
//! that concern the server rather than the keyspace (AUTH, QUIT, CLIENT, INFO, CONFIG, SHUTDOWN,
//! DEBUG, …).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::protocol::ProtocolError;
use super::{ClientEntry, ClientState, Inner, params};
use crate::argv::Argv;
use crate::command::args::{error_text, is_option, keyword};
use crate::command::table::{self, CommandSpec, HostOp, Run, SessionOp, flags};
use crate::connection::{Connection, HelloArgs, Host, HostCall};
use crate::error::CommandError;
use crate::keyspace::Keyspace;
use crate::keyspace::blocking::{Deadline, WaitEnd};
use crate::reply::Reply;
use crate::runner::Started;

/// What CLIENT REPLY set.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
    /// The command running now is the skipped one.
    Skipping,
}

pub(super) struct Client {
    conn: Connection,
    side: ServerSide,
}

/// The server's side of one client: the state its own commands (AUTH, CLIENT, CONFIG, INFO, …)
/// read and change. It is the [`Host`] of the client's connection, which hands it those
/// commands in their turn, inside EXEC included.
struct ServerSide {
    inner: Arc<Inner>,
    /// The input buffer while a command runs, as (bytes held, room left): the running
    /// command's own CLIENT LIST line shows it, as Redis's does (its own bytes included).
    qbuf: (usize, usize),
    /// The client's address (SLOWLOG shows it).
    addr: SocketAddr,
    /// This client's row of the registry's changing state.
    state: Arc<parking_lot::Mutex<ClientState>>,
    authenticated: bool,
    reply_mode: ReplyMode,
    /// The command running now sends no reply of its own (CLIENT REPLY OFF/SKIP, SHUTDOWN).
    quiet: bool,
    /// Close once the pending replies are written (QUIT, SHUTDOWN, protocol errors).
    close: bool,
    /// The command running now is SYNC (`Some(None)`) or PSYNC (`Some(Some((replication id,
    /// offset)))`): the client becomes a replica once it returns.
    sync_requested: Option<Option<(Vec<u8>, i64)>>,
    /// Where the client, if it becomes a replica, says it listens (REPLCONF ip-address and
    /// listening-port).
    announced: (Option<String>, i64),
    /// The client is a replica (it sent SYNC): it gets the replication stream, and no replies,
    /// as Redis sends its replicas none.
    replica: bool,
    /// The replica's full sync payload while it is being taken: its stream waits in its
    /// mailbox until the payload has gone.
    awaiting_payload: Option<Arc<crate::replication::PendingPayload>>,
    /// Push messages the running command sends its own client ahead of its reply (DEBUG
    /// PROTOCOL PUSH).
    pushes: Vec<Reply>,
}

/// What looking at a parked client gave.
pub(super) enum Polled {
    /// It still waits.
    Waiting,
    /// Its reply was appended: it runs on.
    Done,
    /// It waits again, until this deadline if any (a command a pause held, now blocking).
    Parked(Option<Deadline>),
}

/// What running one command gave.
pub(super) enum Ran {
    /// Its reply was appended (or suppressed by CLIENT REPLY).
    Done,
    /// It blocks (BLPOP on an empty list, …) until served or the deadline: the event loop asks
    /// [`Client::poll_blocked`] for its reply.
    Blocked(Option<Deadline>),
}

impl Client {
    /// A new client of the server's store, registered in its client list.
    pub(super) fn new(inner: &Arc<Inner>, addr: SocketAddr, local: SocketAddr) -> Client {
        let mut conn = inner.store.connect();
        // Messages published while the client is idle: the event loop is told, and woken when
        // they come from another thread.
        let (id, mail, waker) = (conn.id(), Arc::clone(&inner.mail), Arc::clone(&inner.waker));
        conn.mailbox().on_arrival(move || {
            mail.lock().push(id);
            let _ = waker.wake();
        });
        let state = Arc::new(parking_lot::Mutex::new(ClientState {
            resp: 2,
            last_command: "NULL".into(),
            ..ClientState::default()
        }));
        inner.clients.lock().insert(
            conn.id(),
            ClientEntry {
                addr,
                local,
                created: Instant::now(),
                state: Arc::clone(&state),
                mailbox: Arc::clone(conn.mailbox()),
            },
        );
        let authenticated = default_needs_no_auth(inner);
        Client {
            conn,
            side: ServerSide {
                inner: Arc::clone(inner),
                qbuf: (0, 0),
                addr,
                state,
                authenticated,
                reply_mode: ReplyMode::On,
                quiet: false,
                sync_requested: None,
                announced: (None, 0),
                replica: false,
                awaiting_payload: None,
                close: false,
                pushes: Vec::new(),
            },
        }
    }

    pub(super) fn id(&self) -> u64 {
        self.conn.id()
    }

    /// Whether the connection should close once its output is written.
    pub(super) fn closing(&self) -> bool {
        self.side.close
    }

    pub(super) fn authenticated(&self) -> bool {
        self.side.authenticated
    }

    /// The reply of this client's blocked command once served or timed out (or of the command
    /// a CLIENT PAUSE held, once it runs), appended to `out`.
    pub(super) fn poll_blocked(&mut self, deadline: Option<Deadline>, out: &mut Vec<u8>) -> Polled {
        if self.conn.is_postponed() {
            return match self.conn.resume(&mut self.side) {
                None => Polled::Waiting,
                Some(Started::Done(reply)) => {
                    self.write(reply, out);
                    Polled::Done
                }
                Some(Started::Blocked(deadline)) => Polled::Parked(deadline),
            };
        }
        match self.conn.poll_blocked(deadline) {
            Some(reply) => {
                self.write(reply, out);
                Polled::Done
            }
            None => Polled::Waiting,
        }
    }

    /// Appends a reply in the client's protocol, unless CLIENT REPLY silences it (it does not
    /// silence a push: a subscription's confirmation goes out, as Redis's `CLIENT_PUSHING`).
    fn write(&mut self, reply: Reply, out: &mut Vec<u8>) {
        for push in std::mem::take(&mut self.side.pushes) {
            self.encode(push, out);
        }
        if !self.silenced() || matches!(reply, Reply::Push(_)) {
            self.encode(reply, out);
        }
    }

    /// Whether CLIENT REPLY (or the command itself) silences the reply being written; a skip
    /// is used up by asking.
    fn silenced(&mut self) -> bool {
        let side = &mut self.side;
        let silent = matches!(side.reply_mode, ReplyMode::Off | ReplyMode::Skipping) || side.quiet || side.replica;
        side.quiet = false;
        if side.reply_mode == ReplyMode::Skipping {
            side.reply_mode = ReplyMode::On;
        }
        silent
    }

    /// Appends `reply` in the client's protocol.
    fn encode(&self, reply: Reply, out: &mut Vec<u8>) {
        if self.conn.protocol() == 3 {
            reply.write_resp3(out);
        } else {
            reply.write_resp(out);
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.side.inner.clients.lock().remove(&self.conn.id());
    }
}

impl Client {
    pub(super) fn protocol_error(&mut self, e: &ProtocolError, out: &mut Vec<u8>) {
        Reply::Error(CommandError::Other(e.to_string().into())).write_resp(out);
        self.side.close = true;
    }

    /// Runs one command and appends its reply (unless CLIENT REPLY says otherwise).
    pub(super) fn run(&mut self, argv: Argv, out: &mut Vec<u8>) -> Ran {
        self.side.inner.stats.commands_processed.fetch_add(1, Ordering::Relaxed);
        if self.side.reply_mode == ReplyMode::Skip {
            self.side.reply_mode = ReplyMode::Skipping;
        }
        // The command's name, lowercased, before the command consumes its arguments.
        let mut name_buf = [0u8; 32];
        let raw = argv.get(0).unwrap_or_default();
        let name_len = raw.len().min(name_buf.len());
        for (dst, src) in name_buf.iter_mut().zip(raw) {
            *dst = src.to_ascii_lowercase();
        }
        let name = &name_buf[..name_len];
        let dispatched = self.dispatch(name, argv);
        self.note(name);
        // Users deleted, or their channels taken away: their connections close (this one
        // after its reply).
        let kills = self.side.inner.store.shared().users.take_kills();
        if !kills.is_empty() && self.side.inner.close_for_acl(&kills, self.conn.id()) {
            self.side.close = true;
        }
        if let Some(psync) = self.side.sync_requested.take() {
            self.silenced();
            self.become_replica(psync, out);
            return Ran::Done;
        }
        // The common case, nothing for this client's mailbox: no more than an atomic load. (A
        // replica waiting for its payload leaves its stream there.)
        if !self.conn.mailbox().pending() || self.side.awaiting_payload.is_some() {
            return match dispatched {
                Started::Done(reply) => {
                    self.write(reply, out);
                    Ran::Done
                }
                Started::Blocked(deadline) => Ran::Blocked(deadline),
            };
        }
        // Pushes made for this client go where Redis writes them: before the reply of the
        // command they came during, inside EXEC's array before the element of theirs.
        let mailbox = Arc::clone(self.conn.mailbox());
        let mut groups = mailbox.take_marked().into_iter();
        let ran = match dispatched {
            Started::Done(Reply::Array(elements)) if groups.len() == elements.len() + 1 => {
                let silent = self.silenced();
                self.write_pushes(groups.next().unwrap_or_default(), out);
                if !silent {
                    out.extend_from_slice(format!("*{}\r\n", elements.len()).as_bytes());
                }
                for (element, group) in elements.into_iter().zip(groups) {
                    self.write_pushes(group, out);
                    if !silent {
                        self.encode(element, out);
                    }
                }
                Ran::Done
            }
            Started::Done(reply) => {
                for group in groups {
                    self.write_pushes(group, out);
                }
                self.write(reply, out);
                Ran::Done
            }
            Started::Blocked(deadline) => {
                for group in groups {
                    self.write_pushes(group, out);
                }
                Ran::Blocked(deadline)
            }
        };
        self.write_pushes(mailbox.take_all(), out);
        ran
    }

    /// SYNC or PSYNC (`psync`: the replication id and offset the replica asks to continue
    /// from): the client becomes a replica. A PSYNC of this stream's id from an offset the
    /// backlog still holds continues it (`+CONTINUE <id>` and the bytes from there, Redis's
    /// partial resynchronisation); any other is a full one, as Redis makes it — for PSYNC first
    /// `+FULLRESYNC <id> <offset>` (the offset INFO's `master_repl_offset`), then the data as an
    /// RDB payload (`$<length>\r\n` and the file, with no line end after it, as Redis sends
    /// it). Either way the replay form of every write from that moment on follows through its
    /// mailbox (taken under the same lock, so that nothing falls between). A replica that
    /// asked by PSYNC acknowledges its stream each second (REPLCONF ACK), which WAIT and
    /// `min-replicas-to-write` count.
    fn become_replica(&mut self, psync: Option<(Vec<u8>, i64)>, out: &mut Vec<u8>) {
        let (ip, port) = &self.side.announced;
        let listening = crate::replication::ReplicaAddress {
            ip: ip.clone().unwrap_or_else(|| self.side.addr.ip().to_string()),
            port: *port,
        };
        let mut state = self.side.inner.store.shared().lock();
        let state = &mut *state;
        let id = self.side.inner.replication_id.lock().clone();
        let mailbox = Arc::clone(self.conn.mailbox());
        let replicas = &mut state.keyspace.replicas;
        let continued = match &psync {
            Some((asked, offset)) if asked.as_slice() == id.as_bytes() && *offset >= 0 => {
                replicas.continue_from(*offset as u64)
            }
            _ => None,
        };
        if let Some(missed) = continued {
            replicas.syncs.partial_ok += 1;
            state.keyspace.attach_replica(self.conn.id(), listening, &mailbox);
            out.extend_from_slice(format!("+CONTINUE {id}\r\n").as_bytes());
            out.extend_from_slice(&missed);
            self.side.replica = true;
            self.side.state.lock().replica = true;
            return;
        }
        // A PSYNC that named a stream (not `?`) and could not continue it.
        if psync.as_ref().is_some_and(|(asked, _)| asked.as_slice() != b"?") {
            replicas.syncs.partial_err += 1;
        }
        replicas.syncs.full += 1;
        let offset = state.keyspace.replicas.offset();
        state.keyspace.attach_replica(self.conn.id(), listening, &mailbox);
        if psync.is_some() {
            out.extend_from_slice(format!("+FULLRESYNC {id} {offset}\r\n").as_bytes());
        }
        self.side.replica = true;
        self.side.state.lock().replica = true;
        // The payload is taken in steps while the store goes on (the stream waits in the
        // mailbox meanwhile); while another snapshot is being taken, it is encoded at once.
        let payload = Arc::new(crate::replication::PendingPayload::default());
        if crate::persistence::start_replica_payload(&mut state.keyspace, &state.engines, &payload, &mailbox) {
            self.side.awaiting_payload = Some(payload);
            return;
        }
        let file = crate::persistence::snapshot(&state.keyspace, &state.engines);
        out.extend_from_slice(format!("${}\r\n", file.len()).as_bytes());
        out.extend_from_slice(&file);
    }

    /// Appends the confirmations and messages waiting in the client's mailbox; answers false
    /// when the mailbox overflowed its `client-output-buffer-limit pubsub` (the client is to be
    /// closed, as Redis closes it).
    pub(super) fn take_mail(&mut self, out: &mut Vec<u8>) -> bool {
        let mailbox = Arc::clone(self.conn.mailbox());
        // A replica's stream goes after its full sync's payload (`$<length>\r\n` and the file,
        // with no line end after it, as Redis sends it).
        if let Some(payload) = &self.side.awaiting_payload {
            let Some(file) = payload.take() else {
                return !mailbox.overflowed();
            };
            out.extend_from_slice(format!("${}\r\n", file.len()).as_bytes());
            out.extend_from_slice(&file);
            self.side.awaiting_payload = None;
        }
        self.write_pushes(mailbox.take_all(), out);
        !mailbox.overflowed()
    }

    /// Tells the mailbox how much of the client's output is still unwritten, which counts
    /// against its bound.
    pub(super) fn set_unsent(&mut self, bytes: usize) {
        self.conn.mailbox().set_unsent(bytes);
    }

    /// Appends Pub/Sub pushes in the client's protocol; CLIENT REPLY does not silence them.
    fn write_pushes(&self, pushes: Vec<Reply>, out: &mut Vec<u8>) {
        for push in pushes {
            self.encode(push, out);
        }
    }

    /// The input buffer as the event loop holds it now (bytes held, room left): before each
    /// command, for its own CLIENT LIST line, and after a batch, for everyone else's view.
    pub(super) fn set_query_buffer(&mut self, held: usize, free: usize, running: bool) {
        self.side.qbuf = (held, free);
        if !running {
            let mut state = self.side.state.lock();
            (state.qbuf, state.qbuf_free) = (held, free);
        }
    }

    /// Keeps the registry's view of this client current (CLIENT LIST), under this client's own
    /// lock.
    fn note(&mut self, command: &[u8]) {
        let mut state = self.side.state.lock();
        state.subscriptions = self.conn.subscription_counts();
        state.db = self.conn.database();
        state.resp = self.conn.protocol();
        state.user = self.conn.user();
        state.monitoring = self.conn.monitoring();
        state.multi = self.conn.queued();
        if state.name.as_deref() != self.conn.name() {
            state.name = self.conn.name().map(<[u8]>::to_vec);
        }
        state.last_active = Some(Instant::now());
        state.last_command.clear();
        state.last_command.push_str(&String::from_utf8_lossy(command));
    }

    /// Runs the command on the connection, with this client's server side answering the
    /// server's own commands (and admitting commands only once the client has authenticated).
    /// `name` is the command's name.
    fn dispatch(&mut self, name: &[u8], argv: Argv) -> Started {
        let side = &mut self.side;
        match table::lookup(name).map(|spec| spec.run) {
            // HELLO's AUTH option authenticates here (the connection knows no passwords).
            Some(Run::Session(SessionOp::Hello)) => {
                if let Err(e) = side.hello_auth(&argv, self.conn.id()) {
                    self.conn.monitor_refused(&argv, side);
                    return Started::Done(Reply::Error(e));
                }
            }
            Some(Run::Session(SessionOp::Reset)) => {
                side.reply_mode = ReplyMode::On;
                side.authenticated = default_needs_no_auth(&side.inner);
            }
            _ => {}
        }
        self.conn.start_hosted(argv, side)
    }
}

/// Whether a new connection is the `default` user's without AUTH (it is on and `nopass`:
/// Redis's `authRequired`).
fn default_needs_no_auth(inner: &Inner) -> bool {
    inner
        .store
        .shared()
        .users
        .read()
        .user(b"default")
        .is_some_and(crate::acl::User::needs_no_auth)
}

/// The connection's state a CLIENT LIST line shows for the client running the command.
struct Running<'a> {
    command: &'a str,
    db: usize,
    resp: u8,
    user: Option<crate::acl::UserId>,
    name: Option<&'a [u8]>,
    qbuf: (usize, usize),
    argv_mem: usize,
}

impl Host for ServerSide {
    fn admit(&mut self, spec: &'static CommandSpec) -> Result<(), CommandError> {
        if self.authenticated || spec.has(flags::NO_AUTH) {
            Ok(())
        } else {
            Err(CommandError::other("NOAUTH Authentication required."))
        }
    }

    fn client_addr(&self) -> String {
        self.addr.to_string()
    }

    fn client_info(&self, client: u64) -> String {
        self.describe(client, None, None).trim_end().to_string()
    }

    fn run(&mut self, call: HostCall<'_>) -> Reply {
        let argv = call.argv;
        let reply = match call.op {
            HostOp::Auth => self.auth(argv, call.session, call.caller.client),
            HostOp::Quit => {
                self.close = true;
                Ok(Reply::ok())
            }
            HostOp::Shutdown => self.shutdown(argv),
            HostOp::Debug => match (call.ks, call.engines) {
                (Some(ks), Some(engines)) => self.debug(argv, ks, engines, call.caller.db, call.session.protocol),
                _ => Err(CommandError::other("ERR command out of place")),
            },
            HostOp::Info => {
                let scripts = call
                    .engines
                    .as_deref()
                    .map(|engines| engines.memory())
                    .unwrap_or_default();
                keyspace(call.ks).map(|ks| self.info(argv, ks, scripts))
            }
            HostOp::Config => match (call.ks, call.engines) {
                (Some(ks), Some(engines)) => self.config(call.spec.name, argv, ks, engines),
                _ => Err(CommandError::other("ERR command out of place")),
            },
            HostOp::Client => Ok(self.client(call)),
            HostOp::Module => self.module(call.spec.name),
            HostOp::Replconf => self.replconf(argv, call.caller.client),
            HostOp::ReplicaOf => keyspace(call.ks).and_then(|ks| self.replicaof(argv, ks)),
            HostOp::Sync => {
                // PSYNC's offset must be an integer; `Client::become_replica` decides between
                // continuing from the backlog and a full resynchronisation.
                let psync = (call.spec.name == "psync")
                    .then(|| crate::command::args::int(argv.arg(2)).map(|offset| (argv.arg(1).to_vec(), offset)));
                match psync.transpose() {
                    Err(e) => Err(e),
                    Ok(psync) => {
                        // Its reply is the data itself, written by `Client::become_replica`.
                        self.sync_requested = Some(psync);
                        self.quiet = true;
                        Ok(Reply::ok())
                    }
                }
            }
        };
        reply.unwrap_or_else(Reply::Error)
    }
}

/// A client's type, as CLIENT LIST and CLIENT KILL select by it (Redis's `getClientType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    /// A replica's connection (not a MONITOR, which Redis also marks as a replica).
    Replica,
    /// A client that subscribes to something.
    PubSub,
    /// The link to this server's primary, which is not one of the server's clients: the type
    /// matches none.
    Master,
}

/// A CLIENT LIST or CLIENT KILL `TYPE`, or Redis's error for an unknown type.
fn client_type(kind: &[u8]) -> Result<ClientType, CommandError> {
    match kind.to_ascii_lowercase().as_slice() {
        b"normal" => Ok(ClientType::Normal),
        b"pubsub" => Ok(ClientType::PubSub),
        b"replica" | b"slave" => Ok(ClientType::Replica),
        b"master" => Ok(ClientType::Master),
        _ => Err(CommandError::Other(
            format!("ERR Unknown client type '{}'", error_text(kind)).into(),
        )),
    }
}

/// The locked keyspace of a command that reads it (the connection locks it for those:
/// [`HostOp::reads_keyspace`]).
fn keyspace(ks: Option<&mut Keyspace>) -> Result<&mut Keyspace, CommandError> {
    ks.ok_or_else(|| CommandError::other("ERR command out of place"))
}

impl ServerSide {
    /// REPLICAOF host port: the server follows that primary from now on (a replica of it); NO
    /// ONE: it stops following and keeps its data.
    fn replicaof(&mut self, argv: &Argv, ks: &mut Keyspace) -> Result<Reply, CommandError> {
        if ks.cluster.is_some() {
            return Err(CommandError::other("ERR REPLICAOF not allowed in cluster mode."));
        }
        let (host, port) = (argv.arg(1), argv.arg(2));
        let shared = self.inner.store.shared();
        if host.eq_ignore_ascii_case(b"no") && port.eq_ignore_ascii_case(b"one") {
            ks.following.promote();
            shared.update_write_refusals(ks);
            return Ok(Reply::ok());
        }
        if self.replica {
            return Err(CommandError::other(
                "ERR Command is not valid when client is a replica.",
            ));
        }
        let port = crate::command::args::int(port)
            .ok()
            .and_then(|port| u16::try_from(port).ok())
            .ok_or_else(|| CommandError::other("ERR Invalid master port"))?;
        let host = String::from_utf8_lossy(host);
        Ok(
            match crate::replica::follow(shared, ks, &host, port, Some(self.inner.addr.port())) {
                crate::replica::Followed::Started => Reply::ok(),
                crate::replica::Followed::AlreadyFollowing => {
                    Reply::Status("OK Already connected to specified master".into())
                }
            },
        )
    }

    /// REPLCONF option value …: what a replica tells its primary, as Redis checks it (a
    /// replica's listening port and address, its capabilities, RDB-ONLY, RDB-FILTER-ONLY), OK
    /// after; ACK and GETACK answer nothing at all. A replica's ACK counts it as good for
    /// `min-replicas-max-lag` seconds.
    fn replconf(&mut self, argv: &Argv, client: u64) -> Result<Reply, CommandError> {
        if argv.len().is_multiple_of(2) {
            return Err(CommandError::Syntax);
        }
        for at in (1..argv.len()).step_by(2) {
            let (option, value) = (argv.arg(at), argv.arg(at + 1));
            if is_option(option, "listening-port") {
                self.announced.1 = crate::command::args::int(value)?;
            } else if is_option(option, "ip-address") {
                if value.len() >= 256 {
                    return Err(CommandError::Other(
                        format!(
                            "ERR REPLCONF ip-address provided by replica instance is too long: {} bytes",
                            value.len()
                        )
                        .into(),
                    ));
                }
                self.announced.0 = Some(String::from_utf8_lossy(value).into_owned());
            } else if is_option(option, "capa") {
            } else if is_option(option, "ack") || is_option(option, "getack") {
                // (While a script holds the store the ACK is not counted; the replica sends
                // another each second.)
                if is_option(option, "ack")
                    && let Some(offset) = crate::number::parse_i64(value)
                    && let Ok(mut state) = self.inner.store.shared().lock_unless_busy()
                {
                    state.keyspace.replicas.acknowledged(client, offset.max(0) as u64);
                    // Clients waiting in WAIT for this acknowledgement are served (an event
                    // loop's client when the loop polls it, an in-process one woken).
                    if state.keyspace.serve_replica_waits() {
                        self.inner.store.shared().unblocked.notify_all();
                    }
                }
                self.quiet = true;
                return Ok(Reply::ok());
            } else if is_option(option, "rdb-only") {
                if !(0..=1).contains(&crate::command::args::int(value)?) {
                    return Err(CommandError::other(
                        "ERR value is out of range, value must between 0 and 1",
                    ));
                }
            } else if is_option(option, "rdb-filter-only") {
                let filters = String::from_utf8_lossy(value).into_owned();
                let filters: Vec<&str> = filters.split_whitespace().collect();
                if filters.is_empty() {
                    return Err(CommandError::other("ERR Missing rdb-filter-only values"));
                }
                if let Some(other) = filters.iter().find(|f| !f.eq_ignore_ascii_case("functions")) {
                    return Err(CommandError::Other(
                        format!("ERR Unsupported rdb-filter-only option: {other}").into(),
                    ));
                }
            } else {
                return Err(CommandError::Other(
                    format!("ERR Unrecognized REPLCONF option: {}", error_text(option)).into(),
                ));
            }
        }
        Ok(Reply::ok())
    }

    /// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: saves the RDB file first when the server
    /// persists and save points are set (or SAVE), as Redis does; a failed save keeps the server
    /// running unless FORCE. NOW changes nothing here (no replica to wait for), and ABORT has no
    /// shutdown in progress to cancel.
    fn shutdown(&mut self, argv: &Argv) -> Result<Reply, CommandError> {
        let (mut nosave, mut save, mut force, mut abort, mut other) = (false, false, false, false, false);
        for arg in argv.iter().skip(1) {
            if is_option(arg, "nosave") {
                nosave = true;
            } else if is_option(arg, "save") {
                save = true;
            } else if is_option(arg, "now") {
                other = true;
            } else if is_option(arg, "force") {
                force = true;
            } else if is_option(arg, "abort") {
                abort = true;
            } else {
                return Err(CommandError::Syntax);
            }
        }
        if (abort && (nosave || save || force || other)) || (nosave && save) {
            return Err(CommandError::Syntax);
        }
        if abort {
            return Err(CommandError::other("ERR No shutdown in progress."));
        }
        if !nosave && self.inner.save_for_stop(save).is_err() && !force {
            return Err(CommandError::other("ERR Errors trying to SHUTDOWN. Check logs."));
        }
        self.inner.save_at_stop_done();
        self.inner.begin_stop();
        self.close = true;
        self.quiet = true;
        Ok(Reply::ok())
    }

    /// AUTH [username] password: the connection is the user's from now on.
    fn auth(
        &mut self,
        argv: &Argv,
        session: &mut crate::connection::Session,
        client: u64,
    ) -> Result<Reply, CommandError> {
        if argv.len() > 3 {
            return Err(CommandError::Syntax);
        }
        let users = &self.inner.store.shared().users;
        if argv.len() == 2 && users.read().user(b"default").is_some_and(|u| u.nopass) {
            return Err(CommandError::other(
                "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?",
            ));
        }
        let (user, password) = match argv.len() {
            2 => (&b"default"[..], argv.arg(1)),
            _ => (argv.arg(1), argv.arg(2)),
        };
        if let Err(e) = session.authenticate(users, user, password) {
            let info = self.describe(client, None, None).trim_end().to_string();
            users.log_auth_failure(argv.arg(0), user, crate::acl::LogContext::TopLevel, info);
            return Err(e);
        }
        self.authenticated = true;
        Ok(Reply::ok())
    }

    /// HELLO's AUTH option, checked before the connection runs HELLO; without it, HELLO needs an
    /// authenticated client.
    fn hello_auth(&mut self, argv: &Argv, client: u64) -> Result<(), CommandError> {
        // A bad version or option is answered first, as Redis's `helloCommand` reads them first.
        if let Some((user, password)) = HelloArgs::parse(argv)?.auth {
            let users = &self.inner.store.shared().users;
            if let Err(e) = users.authenticate(user, password) {
                let info = self.describe(client, None, None).trim_end().to_string();
                users.log_auth_failure(argv.arg(0), user, crate::acl::LogContext::TopLevel, info);
                return Err(e);
            }
            self.authenticated = true;
        }
        if !self.authenticated {
            return Err(CommandError::other(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
            ));
        }
        Ok(())
    }

    /// CLIENT subcommands (the table has checked their names and arities).
    fn client(&mut self, call: HostCall<'_>) -> Reply {
        let argv = call.argv;
        let running = |command| Running {
            command,
            db: call.caller.db,
            resp: call.session.protocol,
            user: call.session.user,
            name: call.session.name.as_deref(),
            qbuf: self.qbuf,
            argv_mem: argv.bytes_len(),
        };
        if call.spec.has(flags::IN_PROCESS) {
            // The connection's own subcommands, as an in-process connection runs them.
            let mailbox_of = |id: u64| {
                self.inner
                    .clients
                    .lock()
                    .get(&id)
                    .map(|entry| Arc::clone(&entry.mailbox))
            };
            let me = call.caller.client;
            return match keyspace(call.ks) {
                Ok(ks) => crate::command::client::run(
                    call.spec.name,
                    crate::command::client::ClientCall {
                        argv,
                        me,
                        session: call.session,
                        ks,
                    },
                    || mailbox_of(me),
                    |_, id| mailbox_of(id),
                ),
                Err(e) => Reply::Error(e),
            };
        }
        match call.spec.name {
            "client|info" => {
                let line = self.describe(call.caller.client, Some(running("client|info")), call.ks.as_deref());
                Reply::Verbatim(*b"txt", line.into_bytes())
            }
            "client|list" => self.client_list(argv, call.caller.client, running("client|list"), call.ks.as_deref()),
            "client|kill" => self.client_kill(argv, call.caller.client),
            "client|unblock" => match keyspace(call.ks) {
                Ok(ks) => self.client_unblock(argv, ks),
                Err(e) => Reply::Error(e),
            },
            "client|pause" => self.client_pause(argv),
            "client|unpause" => {
                self.inner.store.shared().unpause();
                Reply::ok()
            }
            "client|no-evict" => match keyword(argv.arg(2), &[("on", ()), ("off", ())]) {
                Some(()) => Reply::ok(),
                None => Reply::Error(CommandError::Syntax),
            },
            "client|reply" => {
                let modes = [
                    ("on", ReplyMode::On),
                    ("off", ReplyMode::Off),
                    ("skip", ReplyMode::Skip),
                ];
                let Some(mode) = keyword(argv.arg(2), &modes) else {
                    return Reply::Error(CommandError::Syntax);
                };
                // OFF and SKIP send no reply of their own; SKIP does nothing while OFF holds.
                if mode != ReplyMode::On && !call.caller.in_exec {
                    self.quiet = true;
                }
                if mode != ReplyMode::Skip || self.reply_mode == ReplyMode::On {
                    self.reply_mode = mode;
                }
                Reply::ok()
            }
            _ => Reply::help(CLIENT_HELP),
        }
    }

    /// MODULE LIST, HELP, LOAD, LOADEX, UNLOAD. embedis cannot run Redis's C modules, so none is
    /// ever loaded and the list is empty. LOAD, LOADEX and UNLOAD are Redis's protected commands,
    /// refused unless `enable-module-command` allows them — a parameter set only at start, which
    /// embedis-server keeps at Redis's default, `no` — so they are refused as Redis refuses them.
    fn module(&self, name: &str) -> Result<Reply, CommandError> {
        match name {
            "module|list" => Ok(Reply::Array(Vec::new())),
            "module|help" => Ok(Reply::help(MODULE_HELP)),
            _ => Err(CommandError::other(
                "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
            )),
        }
    }

    /// One client as CLIENT LIST prints it (Redis 7.0's fields); `running` is the command this
    /// client runs now, when it is the one asking; `ks`, the keyspace, tells its tracking and
    /// whether it is blocked.
    fn describe(&self, id: u64, running: Option<Running<'_>>, ks: Option<&Keyspace>) -> String {
        let tracking = ks.and_then(|ks| ks.tracking.info(id));
        let blocked = ks.is_some_and(|ks| ks.is_blocked(id));
        let clients = self.inner.clients.lock();
        let Some(entry) = clients.get(&id) else {
            return String::new();
        };
        let age = entry.created.elapsed().as_secs();
        let (db, resp, user, cmd, name, idle, (qbuf, qbuf_free), argv_mem) = match running {
            Some(me) => (
                me.db,
                me.resp,
                me.user,
                me.command.to_string(),
                me.name.map(<[u8]>::to_vec),
                0,
                me.qbuf,
                me.argv_mem,
            ),
            None => {
                let state = entry.state.lock();
                let idle = state.last_active.map_or(age, |at| at.elapsed().as_secs());
                let qbuf = (state.qbuf, state.qbuf_free);
                (
                    state.db,
                    state.resp,
                    state.user,
                    state.last_command.clone(),
                    state.name.clone(),
                    idle,
                    qbuf,
                    0,
                )
            }
        };
        let name = name.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        let tot_mem = qbuf + qbuf_free + argv_mem;
        let (sub, psub, ssub, replica, monitoring, multi) = {
            let state = entry.state.lock();
            let (sub, psub, ssub) = state.subscriptions;
            (sub, psub, ssub, state.replica, state.monitoring, state.multi)
        };
        // Redis's letters, in its order: O (MONITOR) or S (a replica), P (Pub/Sub), x (in
        // MULTI), b (blocked on keys), t (tracking), R (its redirection is broken), B (BCAST); N
        // for none.
        let mut flags = String::new();
        if monitoring {
            flags.push('O');
        } else if replica {
            flags.push('S');
        }
        if sub + psub + ssub > 0 {
            flags.push('P');
        }
        if multi.is_some() {
            flags.push('x');
        }
        if blocked {
            flags.push('b');
        }
        if let Some(info) = &tracking {
            flags.push('t');
            if info.broken {
                flags.push('R');
            }
            if info.options.bcast {
                flags.push('B');
            }
        }
        if flags.is_empty() {
            flags.push('N');
        }
        let redir = tracking.as_ref().map_or(-1, |info| info.redirect as i64);
        let user = match user {
            None => "default".to_string(),
            Some(id) => {
                let users = self.inner.store.shared().users.read();
                users
                    .user_by_id(id)
                    .map(|u| String::from_utf8_lossy(&u.name).into_owned())
                    .unwrap_or_default()
            }
        };
        format!(
            "id={id} addr={} laddr={} fd=8 name={name} age={age} idle={idle} flags={flags} db={db} sub={sub} psub={psub} ssub={ssub} multi={} qbuf={qbuf} qbuf-free={qbuf_free} argv-mem={argv_mem} multi-mem={} rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem={tot_mem} events=r cmd={cmd} user={user} redir={redir} resp={resp}\n",
            entry.addr,
            entry.local,
            multi.map_or(-1, |(n, _)| n as i64),
            multi.map_or(0, |(_, mem)| mem)
        )
    }

    /// CONFIG SET port: a listener on the new port, on the address the server listens on
    /// (`None` for port 0: no TCP listener at all), or Redis's error when it cannot listen there.
    fn listen_on(&self, port: &str) -> Result<Option<std::net::TcpListener>, CommandError> {
        let port: u16 = port.parse().unwrap_or(0);
        if port == 0 {
            return Ok(None);
        }
        std::net::TcpListener::bind((self.inner.addr.ip(), port))
            .and_then(|listener| listener.set_nonblocking(true).map(|()| listener))
            .map(Some)
            .map_err(|e| {
                // The system's message, as Redis's `strerror`, without Rust's "(os error N)".
                let text = e.to_string();
                let why = text.split(" (os error").next().unwrap_or(&text);
                params::set_failed("port", &format!("Unable to listen on this port: {why}"))
            })
    }

    /// Client `id`'s type (Redis's `getClientType`), `None` once it has gone.
    fn type_of(&self, id: u64) -> Option<ClientType> {
        let clients = self.inner.clients.lock();
        let state = clients.get(&id)?.state.lock();
        Some(if state.replica && !state.monitoring {
            ClientType::Replica
        } else if state.subscriptions != (0, 0, 0) {
            ClientType::PubSub
        } else {
            ClientType::Normal
        })
    }

    /// Client `id`'s user (`default` for `None`), as the users now know it.
    fn user_of(&self, id: u64) -> Option<crate::acl::UserId> {
        let user = self.inner.clients.lock().get(&id)?.state.lock().user;
        let users = self.inner.store.shared().users.read();
        users.user_of(user).map(|u| u.id)
    }

    /// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]
    fn client_list(&self, argv: &Argv, me: u64, running: Running<'_>, ks: Option<&Keyspace>) -> Reply {
        let ids: Vec<u64> = self.inner.clients.lock().keys().copied().collect();
        let mut wanted: Option<Vec<u64>> = None;
        // The clients of one type only, if TYPE is given.
        let mut kind = None;
        let mut i = 2;
        while i < argv.len() {
            if is_option(argv.arg(i), "type") && i + 1 < argv.len() {
                match client_type(argv.arg(i + 1)) {
                    Ok(chosen) => kind = Some(chosen),
                    Err(e) => return Reply::Error(e),
                }
                i += 2;
            } else if is_option(argv.arg(i), "id") && i + 1 < argv.len() {
                let mut list = Vec::new();
                for arg in argv.iter().skip(i + 1) {
                    match crate::number::parse_i64(arg) {
                        Some(n) if n > 0 => list.push(n as u64),
                        _ => return Reply::Error(CommandError::other("ERR Invalid client ID")),
                    }
                }
                wanted = Some(list);
                i = argv.len();
            } else {
                return Reply::Error(CommandError::Syntax);
            }
        }
        let mut text = String::new();
        let mut running = Some(running);
        for id in ids {
            let of_type = kind.is_none_or(|chosen| self.type_of(id) == Some(chosen));
            if !of_type || wanted.as_ref().is_some_and(|w| !w.contains(&id)) {
                continue;
            }
            let mine = if id == me { running.take() } else { None };
            text.push_str(&self.describe(id, mine, ks));
        }
        Reply::Verbatim(*b"txt", text.into_bytes())
    }

    /// CLIENT KILL ip:port | CLIENT KILL [ID id] [ADDR ip:port] [LADDR ip:port] [SKIPME yes|no] …
    fn client_kill(&self, argv: &Argv, me: u64) -> Reply {
        let clients: Vec<(u64, String, String)> = self
            .inner
            .clients
            .lock()
            .iter()
            .map(|(id, e)| (*id, e.addr.to_string(), e.local.to_string()))
            .collect();
        if argv.len() == 3 {
            let addr = String::from_utf8_lossy(argv.arg(2)).into_owned();
            return match clients.iter().find(|(_, a, _)| *a == addr) {
                Some((id, _, _)) => {
                    self.inner.disconnect(*id);
                    Reply::ok()
                }
                None => Reply::Error(CommandError::other("ERR No such client")),
            };
        }
        let (mut by_id, mut by_addr, mut by_laddr, mut skip_me) = (None, None, None, true);
        let mut of_type: Option<ClientType> = None;
        let mut by_user: Option<crate::acl::UserId> = None;
        let mut i = 2;
        while i + 1 < argv.len() {
            let (option, value) = (argv.arg(i), argv.arg(i + 1));
            if is_option(option, "id") {
                match crate::number::parse_i64(value) {
                    Some(n) if n > 0 => by_id = Some(n as u64),
                    _ => return Reply::Error(CommandError::other("ERR client-id should be greater than 0")),
                }
            } else if is_option(option, "addr") {
                by_addr = Some(String::from_utf8_lossy(value).into_owned());
            } else if is_option(option, "laddr") {
                by_laddr = Some(String::from_utf8_lossy(value).into_owned());
            } else if is_option(option, "skipme") {
                match keyword(value, &[("yes", true), ("no", false)]) {
                    Some(skip) => skip_me = skip,
                    None => return Reply::Error(CommandError::Syntax),
                }
            } else if is_option(option, "type") {
                match client_type(value) {
                    Ok(chosen) => of_type = Some(chosen),
                    Err(e) => return Reply::Error(e),
                }
            } else if is_option(option, "user") {
                match self.inner.store.shared().users.read().user(value) {
                    Some(user) => by_user = Some(user.id),
                    None => {
                        return Reply::Error(CommandError::Other(
                            format!("ERR No such user '{}'", error_text(value)).into(),
                        ));
                    }
                }
            } else {
                return Reply::Error(CommandError::Syntax);
            }
            i += 2;
        }
        if i != argv.len() {
            return Reply::Error(CommandError::Syntax);
        }
        let mut killed = 0;
        for (id, addr, laddr) in clients {
            let chosen = by_id.is_none_or(|want| want == id)
                && of_type.is_none_or(|want| self.type_of(id) == Some(want))
                && by_user.is_none_or(|want| self.user_of(id) == Some(want))
                && by_addr.as_ref().is_none_or(|want| *want == addr)
                && by_laddr.as_ref().is_none_or(|want| *want == laddr)
                && !(skip_me && id == me);
            if chosen && self.inner.disconnect(id) {
                killed += 1;
            }
        }
        Reply::Integer(killed)
    }

    /// CLIENT PAUSE timeout [WRITE|ALL]: holds every command (ALL, the default) or those that
    /// may write for `timeout` milliseconds.
    fn client_pause(&self, argv: &Argv) -> Reply {
        let all = match argv.get(3) {
            None => true,
            Some(mode) if argv.len() == 4 => match keyword(mode, &[("write", false), ("all", true)]) {
                Some(all) => all,
                None => return Reply::Error(CommandError::other("ERR CLIENT PAUSE mode must be WRITE or ALL")),
            },
            Some(_) => return Reply::Error(crate::command::args::subcommand_syntax_error(argv, "CLIENT")),
        };
        match crate::number::parse_i64(argv.arg(2)) {
            None => Reply::Error(CommandError::other("ERR timeout is not an integer or out of range")),
            Some(ms) if ms < 0 => Reply::Error(CommandError::other("ERR timeout is negative")),
            Some(ms) => {
                self.inner.store.shared().pause(ms, all);
                Reply::ok()
            }
        }
    }

    /// CLIENT UNBLOCK id [TIMEOUT|ERROR]
    fn client_unblock(&self, argv: &Argv, ks: &mut Keyspace) -> Reply {
        let Some(id) = crate::number::parse_i64(argv.arg(2)) else {
            return Reply::Error(CommandError::NotInteger);
        };
        let error = match argv.get(3) {
            None => None,
            Some(mode) if is_option(mode, "timeout") => None,
            Some(mode) if is_option(mode, "error") => {
                Some(CommandError::other("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
            }
            Some(_) => {
                return Reply::Error(CommandError::other(
                    "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
                ));
            }
        };
        let shared = self.inner.store.shared();
        let unblocked = id > 0 && shared.interrupt_blocked(ks, id as u64, error.clone());
        if let (true, Some(stats)) = (unblocked, shared.command_stats()) {
            // Counted and logged now, before CLIENT UNBLOCK itself, as Redis does.
            let mut counts = stats.lock();
            counts.wait_ended(id as u64, WaitEnd::Interrupted, None);
            if let Some(error) = &error {
                counts.errored_elsewhere("client|unblock", error);
            }
        }
        Reply::Integer(unblocked as i64)
    }

    /// CONFIG GET pattern… | SET name value… | RESETSTAT | REWRITE | HELP
    /// The table has checked the subcommand's name and arity.
    fn config(
        &self,
        sub: &str,
        argv: &Argv,
        ks: &mut Keyspace,
        engines: &mut crate::command::Engines,
    ) -> Result<Reply, CommandError> {
        match sub {
            "config|get" => {
                let params = self.inner.params.lock();
                let patterns: Vec<Vec<u8>> = argv.iter().skip(2).map(<[u8]>::to_ascii_lowercase).collect();
                let found = params
                    .iter()
                    .filter(|(name, _)| patterns.iter().any(|p| params::listed_for(p, name)))
                    .map(|(name, value)| (Reply::bulk(name.as_str()), Reply::bulk(value.as_str())));
                Ok(Reply::Map(found.collect()))
            }
            "config|set" if argv.len().is_multiple_of(2) => {
                // As Redis: every name is known, settable and given once, then every value valid,
                // before anything changes.
                let pairs: Vec<(String, String)> = (2..argv.len())
                    .step_by(2)
                    .map(|at| {
                        let name = String::from_utf8_lossy(argv.arg(at)).to_lowercase();
                        (name, String::from_utf8_lossy(argv.arg(at + 1)).into_owned())
                    })
                    .collect();
                for (i, (name, _)) in pairs.iter().enumerate() {
                    let typed = error_text(argv.arg(2 + 2 * i));
                    if !self.inner.params.lock().contains_key(name) {
                        return Err(CommandError::Other(
                            format!("ERR Unknown option or number of arguments for CONFIG SET - '{typed}'").into(),
                        ));
                    }
                    params::check_settable(name, &typed)?;
                    if pairs[..i].iter().any(|(earlier, _)| earlier == name) {
                        return Err(params::set_failed(name, "duplicate parameter"));
                    }
                }
                let changes = pairs
                    .iter()
                    .map(|(name, value)| params::check(name, value))
                    .collect::<Result<Vec<_>, _>>()?;
                // A new port is listened on before anything changes: failing, nothing does.
                let current_port = self.inner.params.lock().get("port").cloned();
                let changed_maxmemory = changes.iter().any(|(name, _)| name == "maxmemory");
                let changes_save = changes
                    .iter()
                    .find(|(name, _)| name == "save")
                    .and_then(|(_, shown)| crate::persistence::save_points(shown));
                // The append-only file follows `appendfsync` and is turned on or off before
                // anything else changes (Redis's `updateAppendonly`).
                if let Some((_, fsync)) = changes.iter().find(|(name, _)| name == "appendfsync")
                    && let Some(fsync) = crate::Fsync::parse(fsync)
                {
                    ks.set_append_fsync(fsync);
                }
                if let Some((_, on)) = changes.iter().find(|(name, _)| name == "appendonly") {
                    crate::persistence::set_append_only(ks, engines, on == "yes")
                        .map_err(|_| params::set_failed("appendonly", "Unable to turn on AOF. Check server logs."))?;
                }
                let listener = match changes.iter().find(|(name, _)| name == "port") {
                    Some((_, port)) if Some(port) != current_port.as_ref() => Some(self.listen_on(port)?),
                    _ => None,
                };
                for (name, shown) in changes {
                    self.inner.set_param(&name, shown);
                }
                if let Some(listener) = listener {
                    *self.inner.moved_listener.lock() = Some(listener);
                    let _ = self.inner.waker.wake();
                }
                ks.set_encodings(self.inner.encodings());
                let params = self.inner.params.lock();
                ks.replicas
                    .set_ping_period(super::number(&params, "repl-ping-replica-period", 10));
                ks.replicas
                    .set_backlog_size(super::number(&params, "repl-backlog-size", 1 << 20));
                ks.set_aof_timestamps(params.get("aof-timestamp-enabled").is_some_and(|v| v == "yes"));
                ks.set_aof_rdb_preamble(params.get("aof-use-rdb-preamble").is_none_or(|v| v == "yes"));
                ks.acl.log.lock().max_len = super::number(&params, "acllog-max-len", 128);
                let all_channels = params.get("acl-pubsub-default").is_some_and(|v| v == "allchannels");
                ks.acl.update(|acl| acl.pubsub_default_all = all_channels);
                ks.following.read_only = params.get("replica-read-only").is_none_or(|v| v == "yes");
                ks.following.serve_stale = params.get("replica-serve-stale-data").is_none_or(|v| v == "yes");
                ks.following.auth = super::primary_auth(&params);
                ks.rdb_compression = params.get("rdbcompression").is_none_or(|v| v == "yes");
                ks.saving.key_save_delay = super::number(&params, "rdb-key-save-delay", 0);
                ks.saving.auto_rewrite = crate::aof::AutoRewrite {
                    percentage: super::number(&params, "auto-aof-rewrite-percentage", 100),
                    min_size: super::number(&params, "auto-aof-rewrite-min-size", 64 << 20),
                };
                let (to_write, max_lag) = (
                    super::number(&params, "min-replicas-to-write", 0),
                    super::number(&params, "min-replicas-max-lag", 10),
                );
                drop(params);
                self.inner.store.shared().set_min_replicas(ks, to_write, max_lag);
                if let Some(points) = changes_save {
                    ks.saving.set_points(points);
                }
                self.inner.apply_cluster();
                ks.latency_threshold_ms = self.inner.latency_threshold_ms();
                ks.set_lfu(self.inner.lfu());
                self.inner.apply_eviction(ks);
                // A new limit takes effect at once, as Redis's CONFIG SET maxmemory evicts.
                if changed_maxmemory && ks.eviction.maxmemory != 0 {
                    ks.perform_evictions();
                }
                ks.pubsub.set_limit(self.inner.pubsub_limit());
                ks.tracking.set_max_keys(super::number(
                    &self.inner.params.lock(),
                    "tracking-table-max-keys",
                    1_000_000,
                ));
                // From the value as given: what CONFIG GET shows drops `n` beside `A`, as Redis's.
                if let Some((_, letters)) = pairs.iter().find(|(name, _)| name == "notify-keyspace-events")
                    && let Some(flags) = crate::keyspace::NotifyFlags::parse(letters)
                {
                    ks.set_notify(flags);
                }
                Ok(Reply::ok())
            }
            "config|set" => {
                let last = argv.arg(argv.len() - 1);
                Err(CommandError::Other(
                    format!(
                        "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                        error_text(last)
                    )
                    .into(),
                ))
            }
            "config|resetstat" => {
                self.inner.stats.commands_processed.store(0, Ordering::Relaxed);
                self.inner.stats.connections_received.store(0, Ordering::Relaxed);
                self.inner.stats.rejected_connections.store(0, Ordering::Relaxed);
                self.inner.command_stats.lock().reset();
                self.inner.store.shared.reset_lazy_free_stats();
                ks.reset_stats();
                Ok(Reply::ok())
            }
            "config|rewrite" => Err(CommandError::other("ERR The server is running without a config file")),
            _ => Ok(Reply::help(CONFIG_HELP)),
        }
    }

    /// DEBUG DIGEST | DIGEST-VALUE key … | HTSTATS-KEY key | PROTOCOL type | SET-DISABLE-DENY-SCRIPTS 0|1 | RELOAD | LOADAOF | OBJECT key | SLEEP seconds | PAUSE-CRON 0|1 | SET-ACTIVE-EXPIRE 0|1 | QUICKLIST-PACKED-THRESHOLD size |
    /// CHANGE-REPL-ID | HELP: the subcommands that are harmless and true of embedis, with Redis's
    /// arguments (each takes exactly its own) and errors.
    fn debug(
        &mut self,
        argv: &Argv,
        ks: &mut Keyspace,
        engines: &mut crate::command::Engines,
        db: usize,
        protocol: u8,
    ) -> Result<Reply, CommandError> {
        let sub = argv.arg(1);
        let arity = |n: usize| argv.len() == n;
        if is_option(sub, "reload") {
            return reload(argv, ks, engines);
        }
        if is_option(sub, "pause-cron") && arity(3) {
            let paused = crate::number::atoi(argv.arg(2)) != 0;
            self.inner.store.shared().cron_paused.store(paused, Ordering::Release);
            return Ok(Reply::ok());
        }
        if is_option(sub, "loadaof") {
            // Redis exits when the AOF does not load; embedis answers why instead.
            crate::persistence::reload_aof(ks, engines).map_err(|e| CommandError::Other(format!("ERR {e}").into()))?;
            return Ok(Reply::ok());
        }
        if is_option(sub, "digest") && arity(2) {
            return Ok(Reply::Status(ks.dataset_digest().into()));
        }
        if is_option(sub, "digest-value") && argv.len() >= 2 {
            let digests = argv
                .iter()
                .skip(2)
                .map(|key| Reply::Status(ks.value_digest(db, key).into()));
            return Ok(Reply::Array(digests.collect()));
        }
        if is_option(sub, "object") && arity(3) {
            return match ks.debug_object(db, argv.arg(2)) {
                Some(line) => Ok(Reply::Status(line.into())),
                None => Err(CommandError::other("ERR no such key")),
            };
        }
        if is_option(sub, "sleep") && arity(3) {
            // C's `strtod`: the longest prefix that reads as a number, 0 if none does; the
            // server stops for that long (its event loop sleeps).
            let seconds = crate::number::strtod_prefix(argv.arg(2));
            if seconds > 0.0 && seconds.is_finite() {
                std::thread::sleep(Duration::from_micros((seconds * 1e6) as u64));
            }
            return Ok(Reply::ok());
        }
        if is_option(sub, "set-disable-deny-scripts") && arity(3) {
            // C's `atoi`, as SET-ACTIVE-EXPIRE reads it. Scripts may then call the server's own
            // commands Redis keeps from them (DEBUG, CONFIG, CLIENT, …).
            ks.scripts_call_server_commands = crate::number::atoi(argv.arg(2)) != 0;
            return Ok(Reply::ok());
        }
        if is_option(sub, "set-active-expire") && arity(3) {
            // C's `atoi`: anything but a leading non-zero integer turns it off.
            ks.set_active_expiry(crate::number::atoi(argv.arg(2)) != 0);
            return Ok(Reply::ok());
        }
        if is_option(sub, "quicklist-packed-threshold") && arity(3) {
            // Accepted as Redis accepts it; embedis's lists keep large elements by their own rule,
            // so no reply of a command embedis has depends on it.
            super::params::memory_value(&String::from_utf8_lossy(argv.arg(2)))
                .filter(|bytes| *bytes <= (1 << 32) - (1 << 20))
                .ok_or(CommandError::other(
                    "ERR argument must be a memory value bigger than 1 and smaller than 4gb",
                ))?;
            return Ok(Reply::ok());
        }
        if is_option(sub, "listpack") && arity(3) {
            let text = encoded_as(
                ks.describe_listpack(db, argv.arg(2)),
                "ERR Not a listpack encoded object.",
            )?;
            return Ok(printed(&text, "Listpack structure printed on stdout"));
        }
        if is_option(sub, "quicklist") && (arity(3) || arity(4)) {
            let full = argv.get(3).is_some_and(|flag| crate::number::atoi(flag) != 0);
            let text = encoded_as(
                ks.describe_quicklist(db, argv.arg(2), full),
                "ERR Not a quicklist encoded object.",
            )?;
            return Ok(printed(&text, "Quicklist structure printed on stdout"));
        }
        if is_option(sub, "stringmatch-test") && arity(2) {
            crate::command::glob::fuzz_test();
            return Ok(Reply::status("Apparently Redis did not crash: test passed"));
        }
        if is_option(sub, "htstats-key") && arity(3) {
            let (capacity, elements) = encoded_as(
                ks.hash_table_room(db, argv.arg(2)),
                "ERR The value stored at the specified key is not represented using an hash table",
            )?;
            return Ok(Reply::Verbatim(
                *b"txt",
                hash_table_stats(capacity, elements).into_bytes(),
            ));
        }
        if is_option(sub, "protocol") && arity(3) {
            return self.debug_protocol(argv.arg(2), protocol);
        }
        if is_option(sub, "change-repl-id") && arity(2) {
            *self.inner.replication_id.lock() = crate::ids::random_id();
            return Ok(Reply::ok());
        }
        if is_option(sub, "help") && arity(2) {
            return Ok(Reply::help(DEBUG_HELP));
        }
        Err(crate::command::args::subcommand_syntax_error(argv, "DEBUG"))
    }

    /// DEBUG PROTOCOL type: a sample reply of each of RESP3's types, as Redis's; `protocol` is
    /// the client's. An attribute goes to a RESP3 client only, before its reply; a push (RESP3
    /// only) goes ahead of a reply that follows it.
    fn debug_protocol(&mut self, kind: &[u8], protocol: u8) -> Result<Reply, CommandError> {
        let bulk = |text: &str| Reply::Bulk(text.as_bytes().to_vec());
        let kind = kind.to_ascii_lowercase();
        Ok(match kind.as_slice() {
            b"string" => bulk("Hello World"),
            b"integer" => Reply::Integer(12345),
            // Redis's sample number, not π.
            #[allow(clippy::approx_constant)]
            b"double" => Reply::Double(3.141),
            b"bignum" => Reply::BigNumber("1234567999999999999999999999999999999".into()),
            b"null" => Reply::Nil,
            b"array" => Reply::Array((0..3).map(Reply::Integer).collect()),
            b"set" => Reply::Set((0..3).map(Reply::Integer).collect()),
            b"map" => Reply::Map((0..3).map(|j| (Reply::Integer(j), Reply::Boolean(j == 1))).collect()),
            b"attrib" => {
                let popularity = Reply::Array(vec![bulk("key:123"), Reply::Integer(90)]);
                let reply = bulk("Some real reply following the attribute");
                Reply::Attributed(vec![(bulk("key-popularity"), popularity)], Box::new(reply))
            }
            b"push" if protocol < 3 => return Err(CommandError::other("ERR RESP2 is not supported by this command")),
            b"push" => {
                self.pushes
                    .push(Reply::Push(vec![bulk("server-cpu-usage"), Reply::Integer(42)]));
                bulk("Some real reply following the push reply")
            }
            b"true" => Reply::Boolean(true),
            b"false" => Reply::Boolean(false),
            b"verbatim" => Reply::Verbatim(*b"txt", b"This is a verbatim\nstring".to_vec()),
            _ => {
                return Err(CommandError::other(
                    "ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
                ));
            }
        })
    }

    /// INFO [section ...]: Redis's sections and fields, each reflecting the server's state: hz and
    /// maxmemory as CONFIG SET left them, memory as `memory_section` counts it, LASTSAVE's
    /// time, keys expired, clients blocked, the keyspace (with the exact average TTL where Redis
    /// samples), the changes since the last save, the append-only file (`aof_enabled`, its
    /// rewrites and sizes; a rewrite is never in progress: embedis does it at once). Fixed, and
    /// true of embedis: `embedis_persistence` saying what the store persists to (`aof`, `rdb`
    /// or `none`), no replication (`role:master`, no replicas,
    /// offset 0), no MIGRATE connection kept (`migrate_cached_sockets:0`: each MIGRATE connects
    /// anew). Fixed and not Redis's:
    /// `redis_git_sha1`, `redis_build_id` (no Redis build) and `multiplexing_api:threads`.
    fn info(&self, argv: &Argv, ks: &mut Keyspace, scripts: crate::command::ScriptsMemory) -> Reply {
        let wanted: Vec<String> = argv
            .iter()
            .skip(1)
            .map(|a| String::from_utf8_lossy(a).to_lowercase())
            .collect();
        // As Redis: no argument or `default` gives the default sections, `all` and `everything`
        // every section, and names add their sections.
        let all = wanted.iter().any(|w| w == "all" || w == "everything");
        let default = wanted.is_empty() || wanted.iter().any(|w| w == "default");
        let show =
            |section: &str| all || (default && !NOT_DEFAULT.contains(&section)) || wanted.iter().any(|w| w == section);
        let inner = &self.inner;
        let mut text = String::new();
        let mut section = |name: &str, body: String| {
            if show(&name.to_lowercase()) {
                if !text.is_empty() {
                    text.push_str("\r\n");
                }
                text.push_str(&format!("# {name}\r\n{body}"));
            }
        };
        let uptime = inner.started.elapsed().as_secs();
        let param = |name: &str| inner.params.lock().get(name).cloned().unwrap_or_default();
        let hz = param("hz");
        section(
            "Server",
            format!(
                "redis_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\nredis_build_id:0\r\nredis_mode:{}\r\nos:{}\r\narch_bits:64\r\nmultiplexing_api:threads\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{uptime}\r\nuptime_in_days:{}\r\nhz:{hz}\r\nconfigured_hz:{hz}\r\nexecutable:embedis\r\nconfig_file:\r\nembedis_version:{}\r\n",
                crate::REDIS_VERSION,
                if ks.cluster.is_some() { "cluster" } else { "standalone" },
                std::env::consts::OS,
                std::process::id(),
                inner.run_id,
                param("port"),
                inner.unix_time() * 1_000_000,
                uptime / 86_400,
                env!("CARGO_PKG_VERSION"),
            ),
        );
        let (connected, maxclients) = (inner.clients.lock().len(), inner.config.lock().maxclients);
        section(
            "Clients",
            format!(
                "connected_clients:{connected}\r\ncluster_connections:0\r\nmaxclients:{maxclients}\r\nblocked_clients:{}\r\ntracking_clients:{}\r\n",
                ks.blocked_count() + inner.store.shared().postponed_count(),
                ks.tracking.counts().0,
            ),
        );
        let maxmemory: u64 = param("maxmemory").parse().unwrap_or(0);
        let lazy_free = inner.store.shared.lazy_free_counts();
        section(
            "Memory",
            memory_section(ks, scripts, lazy_free, maxmemory, &param("maxmemory-policy")),
        );
        section(
            "Persistence",
            format!(
                "loading:0\r\nasync_loading:0\r\nrdb_changes_since_last_save:{}\r\nrdb_bgsave_in_progress:{}\r\nrdb_last_save_time:{}\r\nrdb_last_bgsave_status:{}\r\naof_enabled:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_bgrewrite_status:{}\r\naof_rewrites:{}\r\naof_last_write_status:{}\r\n{}embedis_persistence:{}\r\n",
                ks.saving.changes(),
                u8::from(ks.saving.background.in_progress()),
                ks.last_save(),
                if ks.saving.background.failed() { "err" } else { "ok" },
                u8::from(ks.aof.is_some()),
                u8::from(ks.saving.rewriting.is_some()),
                u8::from(ks.saving.rewrite_scheduled),
                if ks.saving.rewrite_failed { "err" } else { "ok" },
                ks.saving.aof_rewrites,
                if ks.aof.as_ref().is_some_and(|aof| aof.write_failed) {
                    "err"
                } else {
                    "ok"
                },
                ks.aof.as_ref().map_or_else(String::new, |aof| {
                    let (base, current) = aof.sizes();
                    format!(
                        "aof_current_size:{current}\r\naof_base_size:{base}\r\naof_pending_rewrite:0\r\naof_buffer_length:0\r\naof_pending_bio_fsync:0\r\naof_delayed_fsync:0\r\n"
                    )
                }),
                match (&ks.aof, &ks.saving.rdb_path) {
                    (Some(_), _) => "aof",
                    (None, Some(_)) => "rdb",
                    (None, None) => "none",
                },
            ),
        );
        section(
            "Stats",
            format!(
                "total_connections_received:{}\r\ntotal_commands_processed:{}\r\nrejected_connections:{}\r\nsync_full:{}\r\nsync_partial_ok:{}\r\nsync_partial_err:{}\r\nexpired_keys:{}\r\nevicted_keys:{}\r\nevicted_clients:0\r\ntotal_eviction_exceeded_time:{}\r\ncurrent_eviction_exceeded_time:{}\r\npubsub_channels:{}\r\npubsub_patterns:{}\r\npubsubshard_channels:{}\r\nmigrate_cached_sockets:0\r\ntracking_total_keys:{}\r\ntracking_total_items:{}\r\ntracking_total_prefixes:{}\r\ntotal_error_replies:{}\r\n",
                inner.stats.connections_received.load(Ordering::Relaxed),
                inner.stats.commands_processed.load(Ordering::Relaxed),
                inner.stats.rejected_connections.load(Ordering::Relaxed),
                ks.replicas.syncs.full,
                ks.replicas.syncs.partial_ok,
                ks.replicas.syncs.partial_err,
                ks.expired_keys(),
                ks.eviction.evicted_keys,
                ks.eviction.exceeded_millis().0,
                ks.eviction.exceeded_millis().1,
                ks.pubsub.sizes().0,
                ks.pubsub.sizes().1,
                ks.pubsub.sizes().2,
                ks.tracking.counts().1,
                ks.tracking.counts().2,
                ks.tracking.counts().3,
                inner.command_stats.lock().total_errors(),
            ),
        );
        let (backlog_active, backlog_first_byte, backlog_length) = ks.replicas.backlog_state();
        // A replica shows its primary's stream: its ID and the offset reached in it.
        let own_id = inner.replication_id.lock().clone();
        let (replid, offset) = ks
            .following
            .stream_position()
            .unwrap_or((own_id.as_str(), ks.replicas.offset()));
        section(
            "Replication",
            format!(
                "role:{}\r\n{}connected_slaves:{}\r\n{}{}master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\nmaster_repl_offset:{}\r\nsecond_repl_offset:-1\r\nrepl_backlog_active:{}\r\nrepl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
                if ks.following.is_following() { "slave" } else { "master" },
                ks.following
                    .info_lines(&param("replica-priority"), param("replica-announced") == "yes"),
                ks.replicas.len(),
                ks.replicas
                    .listed()
                    .enumerate()
                    .map(|(n, (at, offset, lag))| format!(
                        "slave{n}:ip={},port={},state=online,offset={offset},lag={lag}\r\n",
                        at.ip, at.port
                    ))
                    .collect::<String>(),
                if ks.replicas.counts_good_replicas() {
                    format!("min_slaves_good_slaves:{}\r\n", ks.replicas.good_replicas())
                } else {
                    String::new()
                },
                replid,
                "0".repeat(40),
                offset,
                u8::from(backlog_active),
                param("repl-backlog-size"),
                backlog_first_byte,
                backlog_length,
            ),
        );
        let loop_thread = inner.loop_thread.lock().clone();
        section("CPU", cpu_section(loop_thread.as_deref()));
        section("Modules", String::new());
        {
            let stats = inner.command_stats.lock();
            section("Commandstats", stats.commandstats());
            section("Errorstats", stats.errorstats());
            section("Latencystats", stats.latencystats());
        }
        section(
            "Cluster",
            format!("cluster_enabled:{}\r\n", u8::from(ks.cluster.is_some())),
        );
        let keyspace: String = ks
            .db_stats()
            .into_iter()
            .enumerate()
            .filter(|(_, (keys, _, _))| *keys > 0)
            .map(|(db, (keys, expires, avg_ttl))| format!("db{db}:keys={keys},expires={expires},avg_ttl={avg_ttl}\r\n"))
            .collect();
        section("Keyspace", keyspace);
        Reply::Verbatim(*b"txt", text.into_bytes())
    }
}

/// INFO's memory section. `used_memory` is the process's count of its allocations when it
/// installed [`super::CountingAllocator`] (embedis-server does), else the keyspace's estimate
/// (`embedis_used_memory_source` says which); the overhead is the memory at startup plus the
/// databases' own structures (indexes, TTL records, unused slots); the dataset is the rest.
/// `lazy_free` is (objects waiting to be freed in the background, objects freed there so far).
fn memory_section(
    ks: &Keyspace,
    scripts: crate::command::ScriptsMemory,
    lazy_free: (usize, usize),
    maxmemory: u64,
    policy: &str,
) -> String {
    let crate::keyspace::MemoryFigures {
        used,
        counted,
        startup,
        peak,
        rss,
        overhead,
        dataset,
        ..
    } = ks.memory_figures();
    let source = if counted { "allocator" } else { "estimate" };
    let percent = |part: u64, whole: u64| {
        if whole == 0 {
            0.0
        } else {
            part as f64 * 100.0 / whole as f64
        }
    };
    let net = used.saturating_sub(startup);
    let crate::command::ScriptsMemory {
        eval_vm,
        eval_scripts,
        cached_scripts,
        functions,
        libraries,
        functions_vm,
        functions_overhead,
    } = scripts;
    let (vm_total, scripts_total) = (eval_vm + functions_vm, eval_scripts + functions_overhead);
    let scripting = format!(
        "used_memory_lua:{eval_vm}\r\nused_memory_vm_eval:{eval_vm}\r\nused_memory_lua_human:{}\r\nused_memory_scripts_eval:{eval_scripts}\r\nnumber_of_cached_scripts:{cached_scripts}\r\nnumber_of_functions:{functions}\r\nnumber_of_libraries:{libraries}\r\nused_memory_vm_functions:{functions_vm}\r\nused_memory_vm_total:{vm_total}\r\nused_memory_vm_total_human:{}\r\nused_memory_functions:{functions_overhead}\r\nused_memory_scripts:{scripts_total}\r\nused_memory_scripts_human:{}\r\n",
        bytes_to_human(eval_vm as u64),
        bytes_to_human(vm_total as u64),
        bytes_to_human(scripts_total as u64),
    );
    format!(
        "used_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nused_memory_peak:{peak}\r\nused_memory_peak_human:{}\r\nused_memory_peak_perc:{:.2}%\r\nused_memory_overhead:{overhead}\r\nused_memory_startup:{startup}\r\nused_memory_dataset:{dataset}\r\nused_memory_dataset_perc:{:.2}%\r\n{scripting}maxmemory:{maxmemory}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{policy}\r\nmem_not_counted_for_evict:0\r\nmem_allocator:libc\r\nlazyfree_pending_objects:{}\r\nlazyfreed_objects:{}\r\nembedis_used_memory_source:{source}\r\n",
        bytes_to_human(used),
        bytes_to_human(rss),
        bytes_to_human(peak),
        percent(used, peak),
        percent(dataset, net),
        bytes_to_human(maxmemory),
        lazy_free.0,
        lazy_free.1,
    )
}

/// The INFO sections only `all`, `everything` or their own name show.
const NOT_DEFAULT: &[&str] = &["commandstats", "latencystats"];

/// INFO's CPU section: the process's and its main thread's (the event loop's, `loop_thread` as
/// `/proc/thread-self` named it) CPU time, system and user, and its children's, in seconds, from
/// `/proc` (Linux; zeros elsewhere), whose clock ticks are taken as 1/100 s, the kernel's
/// `USER_HZ` on Linux.
fn cpu_section(loop_thread: Option<&std::path::Path>) -> String {
    /// (user, system) and the children's (user, system), in seconds, from a `/proc/…/stat` file.
    fn times(path: &str) -> Option<[f64; 4]> {
        let stat = std::fs::read_to_string(path).ok()?;
        // Fields after the command name (which is in parentheses and may hold spaces): utime is
        // the 14th field of the line, the 12th after the name.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).map(|t| t / 100.0);
        Some([tick(11)?, tick(12)?, tick(13)?, tick(14)?])
    }
    let process = times("/proc/self/stat").unwrap_or_default();
    let main = loop_thread
        .and_then(|thread| times(&format!("/proc/{}/stat", thread.display())))
        .unwrap_or_default();
    format!(
        "used_cpu_sys:{:.6}\r\nused_cpu_user:{:.6}\r\nused_cpu_sys_children:{:.6}\r\nused_cpu_user_children:{:.6}\r\nused_cpu_sys_main_thread:{:.6}\r\nused_cpu_user_main_thread:{:.6}\r\n",
        process[1], process[0], process[3], process[2], main[1], main[0]
    )
}

/// Redis's `bytesToHuman`: `512B`, `1.50K`, `100.00M`, …
fn bytes_to_human(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let (mut size, mut unit) = (n as f64 / 1024.0, 0);
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.2}{}", UNITS[unit])
}

const CONFIG_HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves the store to its RDB file (where it persists;
/// else to memory), empties it and loads the file back, as Redis's `debug reload` does; NOSAVE
/// loads the file on disk as it is, NOFLUSH loads it beside the data — with MERGE the file's keys
/// and libraries replace those of the same names; without, one already there is an error (Redis
/// stops on such a key, and refuses such a library). A file that does not load is Redis's `ERR
/// Error trying to load the RDB dump`, the data untouched.
fn reload(argv: &Argv, ks: &mut Keyspace, engines: &mut crate::command::Engines) -> Result<Reply, CommandError> {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for option in argv.iter().skip(2) {
        if is_option(option, "merge") {
            merge = true;
        } else if is_option(option, "noflush") {
            flush = false;
        } else if is_option(option, "nosave") {
            save = false;
        } else {
            return Err(CommandError::other(
                "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    let path = ks.saving.rdb_path.clone();
    let file = if save {
        let file = crate::persistence::snapshot(ks, engines);
        if let Some(path) = &path {
            crate::persistence::save_file(ks, path, &file).map_err(|_| CommandError::other("ERR"))?;
        }
        file
    } else {
        match &path {
            Some(path) => {
                std::fs::read(path).map_err(|_| CommandError::other("ERR Error trying to load the RDB dump"))?
            }
            None => crate::persistence::snapshot(ks, engines),
        }
    };
    let mode = match (flush, merge) {
        (true, _) => crate::persistence::LoadMode::Replace,
        (false, true) => crate::persistence::LoadMode::Merge,
        (false, false) => crate::persistence::LoadMode::Add,
    };
    crate::persistence::load(ks, engines, &file, mode)
        .map_err(|_| CommandError::other("ERR Error trying to load the RDB dump"))?;
    Ok(Reply::ok())
}

/// What DEBUG LISTPACK, QUICKLIST or HTSTATS-KEY found of a key's value (`None`: no key;
/// `Some(None)`: a value of another encoding, answered with `error`), as Redis's errors.
fn encoded_as<T>(found: Option<Option<T>>, error: &'static str) -> Result<T, CommandError> {
    match found {
        None => Err(CommandError::other("ERR no such key")),
        Some(None) => Err(CommandError::other(error)),
        Some(Some(view)) => Ok(view),
    }
}

/// Writes DEBUG LISTPACK's or QUICKLIST's `text` on the process's standard output, as Redis
/// does, and answers `status`.
fn printed(text: &str, status: &'static str) -> Reply {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    Reply::status(status)
}

/// DEBUG HTSTATS-KEY's text, in Redis's format, for a table that holds `capacity` elements
/// without growing and holds `elements`. embedis's tables are open-addressed (hashbrown's
/// layout): the table size is its slot count (a power of two, at most 7/8 of it used), and
/// each element has a slot of its own, so every chain is of length 1 — which is what the
/// statistics say. A table never rehashes incrementally, so there is never a second table.
fn hash_table_stats(capacity: usize, elements: usize) -> String {
    let header = "Hash table 0 stats (main hash table):\n";
    if elements == 0 {
        return format!("{header}No stats available for empty dictionaries\n");
    }
    let size = if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        (capacity * 8 / 7).next_power_of_two()
    }
    .max(elements);
    let empty = size - elements;
    let share = |n: usize| n as f32 / size as f32 * 100.0;
    let mut text = format!(
        "{header} table size: {size}\n number of elements: {elements}\n different slots: {elements}\n max chain length: 1\n avg chain length (counted): 1.00\n avg chain length (computed): 1.00\n Chain length distribution:\n"
    );
    if empty > 0 {
        text.push_str(&format!("   0: {empty} ({:.2}%)\n", share(empty)));
    }
    text.push_str(&format!("   1: {elements} ({:.2}%)\n", share(elements)));
    text
}

/// DEBUG HELP: Redis 7.0.15's lines for the subcommands embedis has.
const DEBUG_HELP: &[&str] = &[
    "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "HELP",
    "    Prints this help.",
];

const MODULE_HELP: &[&str] = &[
    "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LIST",
    "    Return a list of loaded modules.",
    "LOAD <path> [<arg> ...]",
    "    Load a module library from <path>, passing to it any optional arguments.",
    "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
    "    Load a module library from <path>, while passing it module configurations and optional arguments.",
    "UNLOAD <name>",
    "    Unload a module.",
    "HELP",
    "    Prints this help.",
];

/// Redis 7.0.15's CLIENT HELP.
const CLIENT_HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
];
