//! The server's event loop: one thread serving every client, as Redis does, over `mio`.
//!
//! Each readable socket is read until it would block; its complete commands run one after the
//! other and their replies are written back at once (what cannot be written waits for the socket
//! to become writable). A blocking command parks its client — the rest of its input waits — until
//! a command served it, CLIENT UNBLOCK ended it or its deadline passed; the loop checks parked
//! clients after every round of events, and every few milliseconds while any is parked (another
//! thread using the store in process may serve them).

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::Inner;
use super::client::{Client, Ran};
use super::protocol::{RequestParser, Step};
use crate::clock::Clock;
use crate::keyspace::Map;
use crate::keyspace::blocking::Deadline;

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

/// Serves until the server stops.
pub(super) fn run(inner: &Arc<Inner>, mut poll: Poll, mut listener: TcpListener) {
    let mut events = Events::with_capacity(1024);
    let mut conns: Map<Token, Conn> = Map::default();
    let mut parked: Vec<Token> = Vec::new();
    let mut touched: Vec<Token> = Vec::new();
    while !inner.stopping.load(Ordering::SeqCst) {
        let timeout = next_timeout(&conns, &parked, inner.store.clock());
        if let Err(e) = poll.poll(&mut events, timeout)
            && e.kind() != ErrorKind::Interrupted
        {
            log_error(&format!("polling failed: {e}"));
            break;
        }
        for event in events.iter() {
            match event.token() {
                LISTENER => accept(inner, &poll, &mut listener, &mut conns),
                WAKER => {}
                token => {
                    let Some(conn) = conns.get_mut(&token) else { continue };
                    if event.is_readable() {
                        conn.read();
                        conn.process(inner);
                        if conn.parked.is_some() && !parked.contains(&token) {
                            parked.push(token);
                        }
                    }
                    conn.touch(token, &mut touched);
                }
            }
        }
        // Commands just run may have served parked clients; deadlines may have passed.
        parked.retain(|&token| {
            let Some(conn) = conns.get_mut(&token) else {
                return false;
            };
            let Some(deadline) = conn.parked else { return false };
            if !conn.client.poll_blocked(deadline, &mut conn.output) {
                return true;
            }
            conn.parked = None;
            conn.process(inner);
            conn.touch(token, &mut touched);
            conn.parked.is_some()
        });
        // Replies go out once every ready client has been read, as Redis writes them before it
        // sleeps again: the loop does not switch between reading and writing per client.
        for token in touched.drain(..) {
            let Some(conn) = conns.get_mut(&token) else { continue };
            conn.touched = false;
            let ok = conn.flush(&poll, token);
            if !ok || conn.finished() {
                close(&poll, &mut conns, token);
            }
        }
        for id in std::mem::take(&mut *inner.doomed.lock()) {
            close(&poll, &mut conns, client_token(id));
        }
    }
    // Dropping the clients unregisters them, releases their watches and blocked commands.
    conns.clear();
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

/// Accepts every pending connection; beyond `maxclients` they get Redis's error and are closed.
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
