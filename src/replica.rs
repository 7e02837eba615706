//! This store as a replica of a Redis primary (REPLICAOF; the replica's side of Redis's
//! replication). A thread holds the link: it connects, introduces itself (PING, AUTH with
//! `masteruser`/`masterauth` if set, REPLCONF listening-port, REPLCONF capa eof capa psync2), asks to continue where it was (PSYNC with the
//! primary's replication ID and the next offset, or `PSYNC ? -1` the first time), loads the
//! primary's RDB payload in place of all data on `+FULLRESYNC`, then runs the primary's write
//! stream as the primary's own client: SELECT changes its database, MULTI … EXEC run together
//! under one lock, PING only counts, REPLCONF GETACK is answered. It counts the stream's bytes
//! (the replication offset), acknowledges them each second (REPLCONF ACK), and when the link
//! drops it reconnects every second and continues (`+CONTINUE`) or syncs again.
//!
//! While it follows a primary, the store refuses its clients' writes (`replica-read-only`) and,
//! with `replica-serve-stale-data no`, every command Redis does not flag `stale` while the link is
//! down. Its own writes (a writable replica's, active expiry's) reach its AOF but not its
//! replicas, which are fed what the primary's stream did as it is applied.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::argv::Argv;
use crate::command::table::CommandSpec;
use crate::error::CommandError;
use crate::reply::Reply;
use crate::runner::{Shared, State};

/// How long a silent primary is waited for before the link is dropped (`repl-timeout`'s default).
const TIMEOUT: Duration = Duration::from_secs(60);
/// How often the link thread looks whether it is still wanted while it waits for the primary.
const POLL: Duration = Duration::from_millis(100);
/// How often the replica acknowledges what it processed, and retries a lost link.
const SECOND: Duration = Duration::from_secs(1);

/// Whether and how this store follows a primary, with the settings that apply while it does.
#[derive(Debug)]
pub(crate) struct Following {
    link: Option<Box<PrimaryLink>>,
    /// `replica-read-only`: clients' writes are refused while following.
    pub(crate) read_only: bool,
    /// `replica-serve-stale-data`: whether commands run while the link is down.
    pub(crate) serve_stale: bool,
    /// `masteruser` and `masterauth`: how the link authenticates with the primary (AUTH after
    /// its first PING), if it must.
    pub(crate) auth: Option<(Option<String>, String)>,
}

impl Default for Following {
    fn default() -> Following {
        Following {
            link: None,
            read_only: true,
            serve_stale: true,
            auth: None,
        }
    }
}

/// The link with the primary, as INFO and ROLE show it.
#[derive(Debug)]
struct PrimaryLink {
    host: String,
    port: u16,
    /// Set when the link is no longer wanted (REPLICAOF NO ONE, another REPLICAOF): its thread
    /// then stops, applying nothing more.
    dropped: Arc<AtomicBool>,
    state: LinkState,
    /// The primary's replication ID, once synchronised.
    replid: Option<String>,
    /// The offset in the primary's stream up to which commands were run (`slave_repl_offset`).
    offset: u64,
    /// The offset up to which the stream was read (`slave_read_repl_offset`).
    read_offset: u64,
    /// When the primary last sent anything, while connected.
    last_io: Option<Instant>,
    /// When a link that was up went down.
    down_since: Option<Instant>,
    /// During a full sync: the payload's size (`None` when the primary streams it without one),
    /// the bytes read so far, and when the last arrived.
    transfer: Option<(Option<usize>, usize, Instant)>,
    /// While the primary's stream is applied: what it writes goes to this store's replicas.
    applying: bool,
}

/// Where the link is (ROLE's replica state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkState {
    /// Waiting to connect (again).
    Connect,
    Connecting,
    /// Connected, introducing itself and asking for the stream.
    Handshake,
    /// Receiving the primary's RDB payload.
    Sync,
    Connected,
}

impl LinkState {
    fn name(self) -> &'static str {
        match self {
            LinkState::Connect => "connect",
            LinkState::Connecting => "connecting",
            LinkState::Handshake => "handshake",
            LinkState::Sync => "sync",
            LinkState::Connected => "connected",
        }
    }
}

/// The link of a replica with its primary, as [`Store::replica_status`](crate::Store::replica_status)
/// shows it.
///
/// ```
/// let store = embedis::Store::builder().replica_of("127.0.0.1", 1).build();
/// let status = store.replica_status().unwrap();
/// assert!(!status.link_up && status.offset == 0);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReplicaStatus {
    /// The primary's host, as given.
    pub host: String,
    /// The primary's port.
    pub port: u16,
    /// Whether the link is up: synchronised, and following the primary's writes.
    pub link_up: bool,
    /// The offset in the primary's replication stream up to which its writes were applied
    /// (Redis's `slave_repl_offset`; the primary's `master_repl_offset` once caught up).
    pub offset: u64,
}

/// What REPLICAOF host port answers.
pub(crate) enum Followed {
    /// A new link, to a primary not followed before.
    Started,
    /// The store already follows this primary: nothing changes.
    AlreadyFollowing,
}

impl Following {
    /// Whether the store follows a primary.
    pub(crate) fn is_following(&self) -> bool {
        self.link.is_some()
    }

    /// Whether clients' writes are refused (a read-only replica).
    pub(crate) fn refuses_writes(&self) -> bool {
        self.read_only && self.link.is_some()
    }

    /// Whether commands not flagged `stale` are refused: the link is down and
    /// `replica-serve-stale-data` is off.
    pub(crate) fn is_stale(&self) -> bool {
        !self.serve_stale
            && self
                .link
                .as_ref()
                .is_some_and(|link| link.state != LinkState::Connected)
    }

    /// Whether the writes now recorded go to this store's replicas: all of them on a primary,
    /// only the primary's stream on a replica (Redis's replicas proxy their primary's stream).
    pub(crate) fn feeds_replicas(&self) -> bool {
        self.link.as_ref().is_none_or(|link| link.applying)
    }

    /// The primary's replication ID and the offset reached in its stream, once synchronised
    /// (INFO's `master_replid` and `master_repl_offset` on a replica).
    pub(crate) fn stream_position(&self) -> Option<(&str, u64)> {
        let link = self.link.as_ref()?;
        Some((link.replid.as_deref()?, link.offset))
    }

    /// INFO replication's lines about the primary, from `master_host` to `replica_announced`
    /// (none on a primary).
    pub(crate) fn info_lines(&self, priority: &str, announced: bool) -> String {
        let Some(link) = &self.link else {
            return String::new();
        };
        let now = Instant::now();
        let seconds = |at: Option<Instant>| at.map_or(-1, |at| now.duration_since(at).as_secs() as i64);
        let connected = link.state == LinkState::Connected;
        let mut lines = format!(
            "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\nmaster_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\nslave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
            link.host,
            link.port,
            if connected { "up" } else { "down" },
            if connected { seconds(link.last_io) } else { -1 },
            u8::from(link.state == LinkState::Sync),
            link.read_offset,
            link.offset,
        );
        if let (LinkState::Sync, Some((total, read, last))) = (link.state, link.transfer) {
            let total = total.map_or(-1, |total| total as i64);
            let percent = if total > 0 {
                read as f64 / total as f64 * 100.0
            } else {
                0.0
            };
            lines.push_str(&format!(
                "master_sync_total_bytes:{total}\r\nmaster_sync_read_bytes:{read}\r\nmaster_sync_left_bytes:{}\r\nmaster_sync_perc:{percent:.2}\r\nmaster_sync_last_io_seconds_ago:{}\r\n",
                total - read as i64,
                seconds(Some(last)),
            ));
        }
        if !connected {
            lines.push_str(&format!(
                "master_link_down_since_seconds:{}\r\n",
                seconds(link.down_since)
            ));
        }
        lines.push_str(&format!(
            "slave_priority:{priority}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
            u8::from(self.read_only),
            u8::from(announced)
        ));
        lines
    }

    /// ROLE's reply on a replica: `slave`, the primary's host and port, the link's state and
    /// the offset processed (-1 while not connected); `None` on a primary.
    pub(crate) fn role(&self) -> Option<Reply> {
        let link = self.link.as_ref()?;
        let offset = if link.state == LinkState::Connected {
            link.offset as i64
        } else {
            -1
        };
        Some(Reply::Array(vec![
            Reply::bulk("slave"),
            Reply::bulk(link.host.as_str()),
            Reply::Integer(i64::from(link.port)),
            Reply::bulk(link.state.name()),
            Reply::Integer(offset),
        ]))
    }

    /// The link's status, if the store follows a primary.
    pub(crate) fn status(&self) -> Option<ReplicaStatus> {
        self.link.as_ref().map(|link| ReplicaStatus {
            host: link.host.clone(),
            port: link.port,
            link_up: link.state == LinkState::Connected,
            offset: link.offset,
        })
    }

    /// REPLICAOF NO ONE: the store stops following (its link thread stops) and keeps its data;
    /// [`Shared::update_write_refusals`] is to follow.
    pub(crate) fn promote(&mut self) {
        if let Some(link) = self.link.take() {
            link.dropped.store(true, Ordering::Release);
        }
    }
}

/// REPLICAOF `host` `port` on the store `shared`, whose keyspace `ks` is (locked): the store
/// follows that primary from now on (a thread connects to it once the lock is released). Its
/// clients' writes are refused at once. `listening_port` is told to the primary (a server's
/// port; an in-process store has none).
pub(crate) fn follow(
    shared: &Arc<Shared>,
    ks: &mut crate::keyspace::Keyspace,
    host: &str,
    port: u16,
    listening_port: Option<u16>,
) -> Followed {
    let following = &mut ks.following;
    if let Some(link) = &following.link
        && link.host.eq_ignore_ascii_case(host)
        && link.port == port
    {
        return Followed::AlreadyFollowing;
    }
    following.promote();
    let dropped = Arc::new(AtomicBool::new(false));
    let thread = LinkThread {
        shared: Arc::downgrade(shared),
        dropped: Arc::clone(&dropped),
        host: host.to_owned(),
        port,
        listening_port,
        auth: following.auth.clone(),
        client: shared.next_client_id(),
    };
    // As `std::thread::spawn`, a system out of threads is a panic.
    std::thread::Builder::new()
        .name("embedis-replica-link".into())
        .spawn(move || thread.run())
        .expect("failed to spawn the replication link's thread");
    following.link = Some(Box::new(PrimaryLink {
        host: host.to_owned(),
        port,
        dropped,
        state: LinkState::Connect,
        replid: None,
        offset: 0,
        read_offset: 0,
        last_io: None,
        down_since: None,
        transfer: None,
        applying: false,
    }));
    shared.update_write_refusals(ks);
    Followed::Started
}

/// The thread holding one link with a primary; it ends when the link is dropped or the store is.
struct LinkThread {
    shared: Weak<Shared>,
    dropped: Arc<AtomicBool>,
    host: String,
    port: u16,
    listening_port: Option<u16>,
    /// `masteruser` and `masterauth`, as they were when the link began.
    auth: Option<(Option<String>, String)>,
    /// The client id the primary's commands run as.
    client: crate::keyspace::ClientId,
}

/// Why a link ended: it is no longer wanted, or the primary is unreachable or misbehaved.
enum LinkEnd {
    Dropped,
    Lost,
}

impl From<io::Error> for LinkEnd {
    fn from(_: io::Error) -> LinkEnd {
        LinkEnd::Lost
    }
}

impl LinkThread {
    fn run(self) {
        loop {
            if self.update(|link| link.state = LinkState::Connecting).is_none() {
                return;
            }
            let ended = self.session();
            let lost = self.update(|link| {
                if link.state == LinkState::Connected {
                    link.down_since = Some(Instant::now());
                }
                link.state = LinkState::Connect;
                link.last_io = None;
                link.transfer = None;
            });
            if matches!(ended, LinkEnd::Dropped) || lost.is_none() {
                return;
            }
            // Retried once a second, as Redis's replication cron retries.
            let retry_at = Instant::now() + SECOND;
            while Instant::now() < retry_at {
                if self.is_dropped() {
                    return;
                }
                std::thread::sleep(POLL);
            }
        }
    }

    fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire) || self.shared.strong_count() == 0
    }

    /// Runs `f` on this link's state, unless the link was dropped.
    fn update<R>(&self, f: impl FnOnce(&mut PrimaryLink) -> R) -> Option<R> {
        self.with_state(|state| link_of(state).map(f))?
    }

    /// Runs `f` on the locked store, unless the link was dropped.
    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        let shared = self.shared.upgrade()?;
        let mut state = shared.lock();
        self.locked(&mut state, f)
    }

    /// Runs `f` on `state`, the store's (locked), unless the link was dropped: the flag is set
    /// under the lock, so a dropped link changes nothing after its drop.
    fn locked<R>(&self, state: &mut State, f: impl FnOnce(&mut State) -> R) -> Option<R> {
        if self.dropped.load(Ordering::Acquire) {
            return None;
        }
        Some(f(state))
    }

    /// One connection to the primary, from the handshake to the link's end.
    fn session(&self) -> LinkEnd {
        let Some(addr) = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
        else {
            return LinkEnd::Lost;
        };
        let stream = match TcpStream::connect_timeout(&addr, TIMEOUT) {
            Ok(stream) => stream,
            Err(_) => return LinkEnd::Lost,
        };
        let mut wire = match Wire::new(stream, self) {
            Ok(wire) => wire,
            Err(e) => return e,
        };
        match self.handshake(&mut wire).and_then(|()| self.stream(&mut wire)) {
            Ok(never) => match never {},
            Err(end) => end,
        }
    }

    /// From PING to PSYNC's answer, and the RDB payload of a full sync.
    fn handshake(&self, wire: &mut Wire<'_>) -> Result<(), LinkEnd> {
        self.update(|link| link.state = LinkState::Handshake)
            .ok_or(LinkEnd::Dropped)?;
        wire.send(&[b"PING"])?;
        let pong = wire.line()?;
        // A primary asking for a password answers NOAUTH: the handshake goes on (Redis's rule).
        if pong.first() == Some(&b'-')
            && !pong.starts_with(b"-NOAUTH")
            && !pong.starts_with(b"-NOPERM")
            && !pong.starts_with(b"-ERR operation not permitted")
        {
            return Err(LinkEnd::Lost);
        }
        // A primary that wants a password gets it (a refused one ends the link, retried).
        if let Some((user, password)) = &self.auth {
            match user {
                Some(user) => wire.send(&[b"AUTH", user.as_bytes(), password.as_bytes()])?,
                None => wire.send(&[b"AUTH", password.as_bytes()])?,
            }
            if wire.line()?.first() == Some(&b'-') {
                return Err(LinkEnd::Lost);
            }
        }
        if let Some(port) = self.listening_port {
            wire.send(&[b"REPLCONF", b"listening-port", port.to_string().as_bytes()])?;
            wire.line()?;
        }
        wire.send(&[b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])?;
        wire.line()?;
        let (replid, offset) = self
            .update(|link| (link.replid.clone(), link.offset))
            .ok_or(LinkEnd::Dropped)?;
        let (asked_id, asked_offset) = match &replid {
            Some(id) => (id.clone(), (offset + 1).to_string()),
            None => ("?".to_owned(), "-1".to_owned()),
        };
        wire.send(&[b"PSYNC", asked_id.as_bytes(), asked_offset.as_bytes()])?;
        let answer = String::from_utf8_lossy(&wire.line()?).into_owned();
        let words: Vec<&str> = answer.split(' ').collect();
        match words.as_slice() {
            ["+FULLRESYNC", id, offset] => {
                let offset: u64 = offset.parse().map_err(|_| LinkEnd::Lost)?;
                let payload = self.payload(wire)?;
                self.load(id, offset, &payload)
            }
            ["+CONTINUE", rest @ ..] => {
                let new_id = rest.first().map(|id| id.to_string());
                self.update(|link| {
                    if let Some(id) = new_id {
                        link.replid = Some(id);
                    }
                    link.state = LinkState::Connected;
                    link.last_io = Some(Instant::now());
                    link.down_since = None;
                })
                .ok_or(LinkEnd::Dropped)
            }
            _ => Err(LinkEnd::Lost),
        }
    }

    /// The RDB payload after `+FULLRESYNC`: `$<length>` and that many bytes, or (a diskless
    /// primary's) `$EOF:<40 byte mark>` and bytes up to the mark. Newlines before it are the
    /// primary's keepalives while it prepares the payload.
    fn payload(&self, wire: &mut Wire<'_>) -> Result<Vec<u8>, LinkEnd> {
        let header = loop {
            let line = wire.line()?;
            if !line.is_empty() {
                break line;
            }
        };
        let header = header.strip_prefix(b"$").ok_or(LinkEnd::Lost)?;
        if let Some(mark) = header.strip_prefix(b"EOF:") {
            let mark = mark.to_vec();
            if mark.len() != 40 {
                return Err(LinkEnd::Lost);
            }
            self.transfer_progress(None, 0)?;
            let mut payload = Vec::new();
            loop {
                let searched = payload.len().saturating_sub(mark.len());
                wire.read_into(&mut payload)?;
                if let Some(found) = payload[searched..].windows(mark.len()).position(|w| w == mark) {
                    let end = searched + found;
                    // What came after the mark is the stream's start.
                    wire.buffer.extend_from_slice(&payload[end + mark.len()..]);
                    payload.truncate(end);
                    return Ok(payload);
                }
                self.transfer_progress(None, payload.len())?;
            }
        }
        let total: usize = std::str::from_utf8(header)
            .ok()
            .and_then(|digits| digits.parse().ok())
            .ok_or(LinkEnd::Lost)?;
        self.transfer_progress(Some(total), 0)?;
        let mut payload = Vec::with_capacity(total);
        while payload.len() < total {
            wire.read_into(&mut payload)?;
            self.transfer_progress(Some(total), payload.len().min(total))?;
        }
        // What came after the payload is the stream's start.
        wire.buffer.extend_from_slice(&payload[total..]);
        payload.truncate(total);
        Ok(payload)
    }

    /// Shows a full sync's progress (INFO's `master_sync_*` fields).
    fn transfer_progress(&self, total: Option<usize>, read: usize) -> Result<(), LinkEnd> {
        self.update(|link| {
            link.state = LinkState::Sync;
            link.transfer = Some((total, read, Instant::now()));
        })
        .ok_or(LinkEnd::Dropped)
    }

    /// Loads a full sync's payload in place of all data, as the primary's stream `id` at
    /// `offset`. A payload the store cannot read ends the link (it is retried).
    fn load(&self, id: &str, offset: u64, payload: &[u8]) -> Result<(), LinkEnd> {
        let loaded = self.with_state(|state| {
            crate::persistence::load(
                &mut state.keyspace,
                &mut state.engines,
                payload,
                crate::persistence::LoadMode::Replace,
            )?;
            // This store's replicas held the data replaced: they synchronise again.
            state.keyspace.replicas.restart_stream();
            // What was loaded is the primary's: an AOF starts again from it, as Redis turns its
            // AOF off and on after a full sync (the files on disk stay the old ones until the
            // new base is written).
            if state.keyspace.aof.is_some() {
                let (ks, engines) = (&mut state.keyspace, &state.engines);
                let _ = crate::persistence::set_append_only(ks, engines, false)
                    .and_then(|()| crate::persistence::set_append_only(ks, engines, true));
            }
            let link = link_of(state).ok_or_else(String::new)?;
            link.replid = Some(id.to_owned());
            link.offset = offset;
            link.read_offset = offset;
            link.state = LinkState::Connected;
            link.transfer = None;
            link.last_io = Some(Instant::now());
            link.down_since = None;
            Ok::<(), String>(())
        });
        match loaded {
            None => Err(LinkEnd::Dropped),
            Some(Err(_)) => Err(LinkEnd::Lost),
            Some(Ok(())) => Ok(()),
        }
    }

    /// The primary's stream, run as it comes, until the link ends.
    fn stream(&self, wire: &mut Wire<'_>) -> Result<std::convert::Infallible, LinkEnd> {
        let mut applier = Applier {
            db: 0,
            multi: None,
            ack_due: None,
        };
        // The first acknowledgement goes at once, so that the primary counts this replica.
        let mut acked_at: Option<Instant> = None;
        let mut heard_at = Instant::now();
        loop {
            if !wire.buffer.is_empty() {
                self.apply(wire, &mut applier)?;
            }
            if let Some(offset) = applier.ack_due.take() {
                wire.ack(offset)?;
            }
            if acked_at.is_none_or(|at| at.elapsed() >= SECOND) {
                let offset = self.update(|link| link.offset).ok_or(LinkEnd::Dropped)?;
                wire.ack(offset)?;
                acked_at = Some(Instant::now());
            }
            let until_ack = SECOND.saturating_sub(acked_at.map_or(SECOND, |at| at.elapsed()));
            let mut more = std::mem::take(&mut wire.buffer);
            let read = wire.read_for(&mut more, until_ack);
            wire.buffer = more;
            if read? {
                heard_at = Instant::now();
            } else if heard_at.elapsed() >= TIMEOUT {
                // The primary pings every `repl-ping-replica-period`: its silence is a lost link.
                return Err(LinkEnd::Lost);
            }
        }
    }

    /// Runs every whole command the buffer holds, under one taking of the lock.
    fn apply(&self, wire: &mut Wire<'_>, applier: &mut Applier) -> Result<(), LinkEnd> {
        let shared = self.shared.upgrade().ok_or(LinkEnd::Dropped)?;
        let mut state = loop {
            match shared.begin() {
                Ok(state) => break state,
                // A timed-out script holds the lock: the stream waits for it.
                Err(_) => std::thread::sleep(POLL),
            }
        };
        let mut at = 0;
        let applied = self.locked(&mut state, |state| {
            let mut offset = link_of(state).map_or(0, |link| {
                link.applying = true;
                link.last_io = Some(Instant::now());
                link.offset
            });
            let cut = loop {
                let start = at;
                match crate::aof::read_command(&wire.buffer, &mut at) {
                    Ok(argv) => {
                        applier.command(&shared, state, self.client, argv, offset);
                        offset += (at - start) as u64;
                    }
                    Err(short_or_bad) => {
                        at = start;
                        break matches!(short_or_bad, crate::aof::Cut::Bad);
                    }
                }
            };
            if let Some(link) = link_of(state) {
                link.applying = false;
                link.offset = offset;
                link.read_offset = offset;
            }
            cut
        });
        drop(state);
        wire.buffer.drain(..at);
        match applied {
            None => Err(LinkEnd::Dropped),
            // What is not a command of the stream ends the link, as Redis's replica drops it.
            Some(true) => Err(LinkEnd::Lost),
            Some(false) => Ok(()),
        }
    }
}

/// This store's link with its primary, if it follows one.
fn link_of(state: &mut State) -> Option<&mut PrimaryLink> {
    state.keyspace.following.link.as_deref_mut()
}

/// What the stream's commands left: the database they run in, a MULTI's commands waiting for
/// their EXEC, and an acknowledgement a GETACK asked for.
struct Applier {
    db: usize,
    multi: Option<Vec<Argv>>,
    ack_due: Option<u64>,
}

impl Applier {
    /// Runs one command of the stream, which starts at `offset`.
    fn command(&mut self, shared: &Shared, state: &mut State, client: u64, argv: Argv, offset: u64) {
        let name = argv.arg(0);
        if name.eq_ignore_ascii_case(b"replconf") {
            if argv.len() > 1 && argv.arg(1).eq_ignore_ascii_case(b"getack") {
                self.ack_due = Some(offset);
            }
            return;
        }
        if name.eq_ignore_ascii_case(b"ping") {
            return;
        }
        // A unit (a transaction whole) is one for this store's replicas and AOF too.
        let Some(unit) = crate::persistence::replayed_unit(&mut self.multi, argv) else {
            return;
        };
        for command in &unit {
            let (ks, engines) = (&mut state.keyspace, &mut state.engines);
            self.db = crate::persistence::run_replayed(ks, engines, client, self.db, command).unwrap_or(self.db);
        }
        shared.after_command(state);
    }
}

/// The link's socket, and what was read from it and not yet used.
struct Wire<'a> {
    stream: TcpStream,
    buffer: Vec<u8>,
    thread: &'a LinkThread,
}

impl<'a> Wire<'a> {
    fn new(stream: TcpStream, thread: &'a LinkThread) -> Result<Wire<'a>, LinkEnd> {
        stream.set_read_timeout(Some(POLL))?;
        stream.set_write_timeout(Some(TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Wire {
            stream,
            buffer: Vec::new(),
            thread,
        })
    }

    /// Sends one command.
    fn send(&mut self, args: &[&[u8]]) -> Result<(), LinkEnd> {
        let mut argv = Argv::new();
        for arg in args {
            argv.push(arg);
        }
        let mut out = Vec::new();
        crate::aof::encode(&argv, &mut out);
        self.stream.write_all(&out)?;
        Ok(())
    }

    fn ack(&mut self, offset: u64) -> Result<(), LinkEnd> {
        self.send(&[b"REPLCONF", b"ACK", offset.to_string().as_bytes()])
    }

    /// One line of the primary's, without its line end.
    fn line(&mut self) -> Result<Vec<u8>, LinkEnd> {
        loop {
            if let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buffer.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(line);
            }
            let mut buffer = std::mem::take(&mut self.buffer);
            let read = self.read_into(&mut buffer);
            self.buffer = buffer;
            read?;
        }
    }

    /// Reads more into `into`: what the buffer held first, else what arrives, waiting up to
    /// `repl-timeout`.
    fn read_into(&mut self, into: &mut Vec<u8>) -> Result<(), LinkEnd> {
        if !self.buffer.is_empty() {
            into.append(&mut self.buffer);
            return Ok(());
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.read_for(into, POLL) {
                Ok(true) => return Ok(()),
                Ok(false) if Instant::now() >= deadline => return Err(LinkEnd::Lost),
                Ok(false) => {}
                Err(end) => return Err(end),
            }
        }
    }

    /// Reads what arrives within about `wait` into `into`: whether anything did.
    fn read_for(&mut self, into: &mut Vec<u8>, wait: Duration) -> Result<bool, LinkEnd> {
        let until = Instant::now() + wait;
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if self.thread.is_dropped() {
                return Err(LinkEnd::Dropped);
            }
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(LinkEnd::Lost),
                Ok(n) => {
                    into.extend_from_slice(&chunk[..n]);
                    return Ok(true);
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    if Instant::now() >= until {
                        return Ok(false);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Err(LinkEnd::Lost),
            }
        }
    }
}

/// Whether `spec` runs on a stale replica (Redis's `stale` flag).
pub(crate) fn runs_when_stale(spec: &CommandSpec) -> bool {
    crate::command::reference::flagged(spec.name, "stale")
}

/// The refusal of a client's command by a replica: READONLY for a write (`writes`) on a
/// read-only replica, MASTERDOWN for a command not flagged `stale` while the link is down with
/// `replica-serve-stale-data no` (`runs_when_stale`: whether it is).
pub(crate) fn refusal(
    following: &Following,
    writes: bool,
    runs_when_stale: impl FnOnce() -> bool,
) -> Option<CommandError> {
    if writes && following.refuses_writes() {
        return Some(CommandError::ReadOnlyReplica);
    }
    if following.is_stale() && !runs_when_stale() {
        return Some(CommandError::MasterDown);
    }
    None
}
