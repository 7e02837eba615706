//! The server's event loop: one thread serving every client, as Redis does, over `mio`.
//!
//! Each readable socket is read until it would block; its complete commands run one after the
//! other and their replies are written back at once (what cannot be written waits for the socket
//! to become writable). A blocking command parks its client — the rest of its input waits — until
//! a command served it, CLIENT UNBLOCK ended it or its deadline passed; the loop checks parked
//! clients after every round of events, and every few milliseconds while any is parked (another
//! thread using the store in process may serve them).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::Inner;
use super::client::{Client, Polled, Ran};
use super::protocol::{RequestParser, Step};
use crate::clock::Clock;
use crate::keyspace::Map;
use crate::keyspace::blocking::Deadline;
use crate::watchdog;

pub(super) const LISTENER: Token = Token(0);
pub(super) const WAKER: Token = Token(1);

/// How many bytes one read asks for, at least.
const READ_CHUNK: usize = 16 * 1024;

/// How often parked clients are checked while any is parked.
const PARKED_CHECK: Duration = Duration::from_millis(5);

/// One connected client: its socket, buffers and parser around the [`Client`].
struct Conn {
    stream: TcpStream,
    client: Client,
    parser: RequestParser,
    input: InputBuffer,
    output: Vec<u8>,
    /// Set while a blocking command waits: its deadline, if any.
    parked: Option<Option<Deadline>>,
    /// Whether the socket is registered for writability (output is pending).
    writable: bool,
    /// The peer closed, or reading failed: close once the output is written (or at once).
    eof: bool,
    /// Whether the connection is in this round's list of clients to write to (or close).
    touched: bool,
}

impl Conn {
    /// Runs the complete commands in the input, up to a blocking one.
    fn process(&mut self, inner: &Inner) {
        let mut pos = 0;
        while self.parked.is_none() && !self.client.closing() {
            self.parser.set_auth_required(!self.client.authenticated());
            match self.parser.next(self.input.filled(), &mut pos) {
                Ok(Step::Command(argv)) => {
                    self.client.set_query_buffer(self.input.len(), self.input.free(), true);
                    if let Ran::Blocked(deadline) = self.client.run(argv, &mut self.output) {
                        self.parked = Some(deadline);
                    }
                }
                Ok(Step::Empty) => {}
                Ok(Step::NeedMore) => break,
                Err(e) => self.client.protocol_error(&e, &mut self.output),
            }
        }
        self.input.consume(pos);
        self.client.set_query_buffer(self.input.len(), self.input.free(), false);
        let config = inner.config.lock();
        self.parser.set_max_bulk_len(config.proto_max_bulk_len);
        if self.input.len() > config.client_query_buffer_limit {
            // Redis closes a client past `client-query-buffer-limit` without a reply.
            self.eof = true;
            self.output.clear();
        }
    }

    /// Reads everything the socket has. A read that fills less than it asked for has emptied the
    /// socket (epoll(7): for a stream socket, a short read means the input is exhausted, and new
    /// data raises a new edge), so the usual single request costs one read, as in Redis.
    fn read(&mut self) {
        loop {
            let space = self.input.space();
            let asked = space.len();
            match self.stream.read(space) {
                Ok(0) => {
                    self.eof = true;
                    return;
                }
                Ok(n) => {
                    self.input.advance(n);
                    if n < asked {
                        return;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.eof = true;
                    return;
                }
            }
        }
    }

    /// Writes what it can of the output; answers false if the connection is broken.
    fn flush(&mut self, poll: &Poll, token: Token) -> bool {
        let mut written = 0;
        while written < self.output.len() {
            match self.stream.write(&self.output[written..]) {
                Ok(0) => return false,
                Ok(n) => written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        self.output.drain(..written);
        let want_writable = !self.output.is_empty();
        if want_writable != self.writable {
            let interest = if want_writable {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            if poll.registry().reregister(&mut self.stream, token, interest).is_err() {
                return false;
            }
            self.writable = want_writable;
        }
        true
    }

    /// Puts the connection in this round's list of clients to write to, once.
    fn touch(&mut self, token: Token, touched: &mut Vec<Token>) {
        if !self.touched {
            self.touched = true;
            touched.push(token);
        }
    }

    /// Whether the connection is done: closed by the peer (a parked command is abandoned, as
    /// Redis frees a disconnected blocked client), or closing with nothing left to write.
    fn finished(&self) -> bool {
        self.eof || (self.client.closing() && self.output.is_empty())
    }
}

/// The loop's state: the poll, the listener and every connection. It sits in a `RefCell` the
/// loop borrows only between commands, so that a script running past the busy threshold can
/// borrow it from inside a command (through the watchdog's hook) and answer the other clients:
/// the connection running the script is out of the map meanwhile, as Redis protects the client
/// of a timed-out script.
struct Loop {
    poll: Poll,
    /// `None` once CONFIG SET port 0 stopped listening.
    listener: Option<TcpListener>,
    events: Events,
    conns: Map<Token, Conn>,
    parked: Vec<Token>,
    touched: Vec<Token>,
    /// Clients whose socket became readable while they ran a script (out of the map): read when
    /// they are back.
    missed: Vec<Token>,
    /// The events of this round not yet handled: a busy round handles them too (their edges
    /// will not come again).
    pending: VecDeque<(Token, bool)>,
}

/// Serves until the server stops.
pub(super) fn run(inner: &Arc<Inner>, poll: Poll, listener: TcpListener) {
    *inner.loop_thread.lock() = std::fs::read_link("/proc/thread-self").ok();
    let state = Rc::new(RefCell::new(Loop {
        poll,
        listener: Some(listener),
        events: Events::with_capacity(1024),
        conns: Map::default(),
        parked: Vec::new(),
        touched: Vec::new(),
        missed: Vec::new(),
        pending: VecDeque::new(),
    }));
    let for_hook = Rc::clone(&state);
    let inner_for_hook = Arc::clone(inner);
    watchdog::set_serve_while_busy(Some(Box::new(move || {
        if inner_for_hook.stopping.load(Ordering::SeqCst) {
            // Stopped before the script began: it ends now.
            inner_for_hook.store.shared().watchdog.abort();
        }
        if let Ok(mut state) = for_hook.try_borrow_mut() {
            state.busy_round(&inner_for_hook);
        }
    })));
    while !inner.stopping.load(Ordering::SeqCst) {
        let Some(ready) = state.borrow_mut().wait(inner) else {
            break;
        };
        state.borrow_mut().pending = ready.into();
        loop {
            let Some((token, readable)) = state.borrow_mut().pending.pop_front() else {
                break;
            };
            match token {
                LISTENER => state.borrow_mut().accept(inner),
                WAKER => {}
                token => {
                    let Some(mut conn) = state.borrow_mut().conns.remove(&token) else {
                        continue;
                    };
                    if readable {
                        serve(&state, inner, token, &mut conn, true);
                    }
                    let mut state = state.borrow_mut();
                    if conn.parked.is_some() && !state.parked.contains(&token) {
                        state.parked.push(token);
                    }
                    conn.touch(token, &mut state.touched);
                    state.conns.insert(token, conn);
                }
            }
        }
        // Commands just run may have served parked clients; deadlines may have passed.
        let parked = std::mem::take(&mut state.borrow_mut().parked);
        for token in parked {
            let Some(mut conn) = state.borrow_mut().conns.remove(&token) else {
                continue;
            };
            let Some(deadline) = conn.parked else {
                state.borrow_mut().conns.insert(token, conn);
                continue;
            };
            let served = match conn.client.poll_blocked(deadline, &mut conn.output) {
                Polled::Waiting => false,
                Polled::Done => true,
                // A command a pause held now waits for data, or for a new pause.
                Polled::Parked(deadline) => {
                    conn.parked = Some(deadline);
                    false
                }
            };
            if served {
                conn.parked = None;
                serve(&state, inner, token, &mut conn, false);
            }
            let mut state = state.borrow_mut();
            if served {
                conn.touch(token, &mut state.touched);
            }
            if conn.parked.is_some() {
                state.parked.push(token);
            }
            state.conns.insert(token, conn);
        }
        state.borrow_mut().deliver_mail(inner);
        state.borrow_mut().move_listener(inner);
        if inner.stopping.load(Ordering::SeqCst) {
            // As Redis, which exits from SHUTDOWN before writing the round's replies (a script
            // SHUTDOWN NOSAVE ended gets none).
            break;
        }
        state.borrow_mut().write_and_close(inner);
    }
    watchdog::set_serve_while_busy(None);
    // Dropping the clients unregisters them, releases their watches and blocked commands.
    state.borrow_mut().conns.clear();
}

/// Runs a client's complete commands (after reading its socket, if `read`), with no borrow of the
/// loop held: a script it runs may serve the other clients meanwhile. Input that came for it
/// then (its readiness went to that busy round) is read and run too.
fn serve(state: &RefCell<Loop>, inner: &Inner, token: Token, conn: &mut Conn, read: bool) {
    let mut read = read;
    loop {
        if read {
            conn.read();
        }
        conn.process(inner);
        let mut state = state.borrow_mut();
        read = match state.missed.iter().position(|&t| t == token) {
            Some(at) => {
                state.missed.swap_remove(at);
                true
            }
            None => false,
        };
        if !read {
            return;
        }
    }
}

impl Loop {
    /// Waits for events (until the nearest parked deadline): the ready tokens, with whether each
    /// is readable; `None` if polling failed.
    fn wait(&mut self, inner: &Inner) -> Option<Vec<(Token, bool)>> {
        let timeout = next_timeout(&self.conns, &self.parked, inner.store.clock());
        if let Err(e) = self.poll.poll(&mut self.events, timeout)
            && e.kind() != ErrorKind::Interrupted
        {
            log_error(&format!("polling failed: {e}"));
            return None;
        }
        Some(self.events.iter().map(|e| (e.token(), e.is_readable())).collect())
    }

    fn accept(&mut self, inner: &Arc<Inner>) {
        if let Some(listener) = &mut self.listener {
            accept(inner, &self.poll, listener, &mut self.conns);
        }
    }

    /// Listens where CONFIG SET port asked, if it did: the old listener closes (connected
    /// clients stay), the new one takes its place.
    fn move_listener(&mut self, inner: &Inner) {
        let Some(moved) = inner.moved_listener.lock().take() else {
            return;
        };
        if let Some(mut old) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut old);
        }
        self.listener = moved.and_then(|listener| {
            let mut listener = TcpListener::from_std(listener);
            self.poll
                .registry()
                .register(&mut listener, LISTENER, Interest::READABLE)
                .ok()
                .map(|()| listener)
        });
    }

    /// Replies go out once every ready client has been read, as Redis writes them before it
    /// sleeps again: the loop does not switch between reading and writing per client. Then
    /// finished clients and those CLIENT KILL doomed are closed.
    fn write_and_close(&mut self, inner: &Inner) {
        let touched = std::mem::take(&mut self.touched);
        for token in touched {
            let Some(conn) = self.conns.get_mut(&token) else {
                // Out of the map while it runs a script: written when it is back.
                self.touched.push(token);
                continue;
            };
            conn.touched = false;
            let ok = conn.flush(&self.poll, token);
            conn.client.set_unsent(conn.output.len());
            if !ok || conn.finished() {
                close(&self.poll, &mut self.conns, token);
            }
        }
        for id in std::mem::take(&mut *inner.doomed.lock()) {
            close(&self.poll, &mut self.conns, client_token(id));
        }
    }

    /// Writes to each client what arrived in its mailbox while it was idle; a client whose
    /// mailbox overflowed is closed without its pending output, as Redis closes it.
    fn deliver_mail(&mut self, inner: &Inner) {
        let mail = std::mem::take(&mut *inner.mail.lock());
        for id in mail {
            let token = client_token(id);
            let Some(conn) = self.conns.get_mut(&token) else {
                continue;
            };
            if !conn.client.take_mail(&mut conn.output) {
                conn.output.clear();
                conn.eof = true;
            }
            conn.touch(token, &mut self.touched);
        }
    }

    /// A round of the loop from inside a timed-out script (Redis's `processEventsWhileBlocked`):
    /// without waiting and without parked clients. The clients' commands are refused with BUSY
    /// or answered without the lock the script holds (connection.rs, `while_busy`); a client
    /// that leaves now leaves its bookkeeping under the lock for later.
    fn busy_round(&mut self, inner: &Arc<Inner>) {
        if let Err(e) = self.poll.poll(&mut self.events, Some(Duration::ZERO))
            && e.kind() != ErrorKind::Interrupted
        {
            return;
        }
        let mut ready: Vec<(Token, bool)> = self.pending.drain(..).collect();
        ready.extend(self.events.iter().map(|e| (e.token(), e.is_readable())));
        for (token, readable) in ready {
            match token {
                LISTENER => self.accept(inner),
                WAKER => {}
                token => {
                    let Some(conn) = self.conns.get_mut(&token) else {
                        if readable && !self.missed.contains(&token) {
                            self.missed.push(token);
                        }
                        continue;
                    };
                    if readable {
                        conn.read();
                        conn.process(inner);
                    }
                    conn.touch(token, &mut self.touched);
                }
            }
        }
        self.write_and_close(inner);
    }
}

/// The token of client `id` (0 and 1 are the listener's and the waker's).
pub(super) fn client_token(id: u64) -> Token {
    Token(id as usize + 2)
}

/// How long the loop may sleep: until the nearest deadline of a parked client, and only briefly
/// while any client is parked.
fn next_timeout(conns: &Map<Token, Conn>, parked: &[Token], clock: &Clock) -> Option<Duration> {
    if parked.is_empty() {
        return None;
    }
    let now = clock.now_micros();
    let nearest = parked
        .iter()
        .filter_map(|t| conns.get(t).and_then(|c| c.parked.flatten()))
        .map(|deadline| Duration::from_micros(deadline.saturating_sub(now).max(0) as u64))
        .min();
    Some(nearest.map_or(PARKED_CHECK, |d| d.min(PARKED_CHECK)))
}

/// What a client from another host than this one gets in protected mode, before it is closed.
const PROTECTED_MODE_DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Accepts every pending connection; beyond `maxclients` they get Redis's error and are closed,
/// and so are other hosts' in protected mode.
fn accept(inner: &Arc<Inner>, poll: &Poll, listener: &mut TcpListener, conns: &mut Map<Token, Conn>) {
    loop {
        let (mut stream, addr) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => {
                log_error(&format!("accepting a client failed: {e}"));
                return;
            }
        };
        inner.stats.connections_received.fetch_add(1, Ordering::Relaxed);
        let maxclients = inner.config.lock().maxclients;
        if inner.clients.lock().len() >= maxclients {
            inner.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
            let _ = stream.write(b"-ERR max number of clients reached\r\n");
            continue;
        }
        // Protected mode (Redis's `clientAcceptHandler`): while the `default` user has no
        // password, only the loopback interface may connect.
        let local_client = matches!(addr.ip(), std::net::IpAddr::V4(ip) if ip == std::net::Ipv4Addr::LOCALHOST)
            || matches!(addr.ip(), std::net::IpAddr::V6(ip) if ip == std::net::Ipv6Addr::LOCALHOST);
        if !local_client && inner.protected() {
            inner.stats.rejected_connections.fetch_add(1, Ordering::Relaxed);
            let _ = stream.write(PROTECTED_MODE_DENIED);
            continue;
        }
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr().unwrap_or(inner.addr);
        let client = Client::new(inner, addr, local);
        let token = client_token(client.id());
        if poll
            .registry()
            .register(&mut stream, token, Interest::READABLE)
            .is_err()
        {
            continue;
        }
        conns.insert(
            token,
            Conn {
                stream,
                client,
                parser: RequestParser::new(),
                input: InputBuffer::default(),
                output: Vec::new(),
                parked: None,
                writable: false,
                eof: false,
                touched: false,
            },
        );
    }
}

/// A client's unparsed input: bytes `..len` of `data` are filled; the rest is room to read into,
/// zeroed once when the buffer grows rather than on every read.
#[derive(Default)]
struct InputBuffer {
    data: Vec<u8>,
    len: usize,
}

impl InputBuffer {
    /// The bytes received and not yet consumed.
    fn filled(&self) -> &[u8] {
        &self.data[..self.len]
    }

    /// How many bytes are held.
    fn len(&self) -> usize {
        self.len
    }

    /// How much room is left before the buffer must grow.
    fn free(&self) -> usize {
        self.data.len() - self.len
    }

    /// Room for at least [`READ_CHUNK`] more bytes.
    fn space(&mut self) -> &mut [u8] {
        if self.data.len() - self.len < READ_CHUNK {
            let grown = (self.len + READ_CHUNK).max(self.data.len() * 2);
            self.data.resize(grown, 0);
        }
        &mut self.data[self.len..]
    }

    /// Marks `n` bytes of [`space`](Self::space) as filled.
    fn advance(&mut self, n: usize) {
        self.len += n;
    }

    /// Drops the first `n` bytes (the commands parsed), keeping the rest at the front. A buffer
    /// grown for a big request shrinks back once it is empty.
    fn consume(&mut self, n: usize) {
        self.data.copy_within(n..self.len, 0);
        self.len -= n;
        if self.len == 0 && self.data.len() > 4 * READ_CHUNK {
            self.data = Vec::new();
        }
    }
}

fn close(poll: &Poll, conns: &mut Map<Token, Conn>, token: Token) {
    if let Some(mut conn) = conns.remove(&token) {
        let _ = poll.registry().deregister(&mut conn.stream);
        let _ = conn.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// Errors the server cannot answer to a client go to stderr, as a server logs them.
fn log_error(message: &str) {
    eprintln!("embedis-server: {message}");
}
