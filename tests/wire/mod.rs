//! Wire transcripts for the server tests: the same steps, sent by several clients to
//! redis-server and to embedis-server, compared byte for byte. A test crate that uses it declares
//! `mod common;` and `mod wire;`.
#![allow(dead_code)]

use embedis::Store;

use crate::common::{RawClient, RedisServer, assert_same_bytes, words};

/// One step: client `.0` sends `.1` (nothing if empty), then `.2` replies or pushes are read
/// from it. `{N}` in the line stands for client N's id. The line `blocked N` sends nothing: it
/// waits (on a connection of its own) until the server counts N blocked clients, so that a
/// blocking command sent by one client is known to wait before another client acts.
pub type Step<'a> = (usize, &'a str, usize);

/// Runs `steps` on `clients` fresh clients of the server at `port` (each asked its CLIENT ID
/// first); answers each step with the bytes it read.
pub fn transcript(port: u16, clients: usize, steps: &[Step<'_>]) -> Vec<(String, Vec<u8>)> {
    let mut conns: Vec<RawClient> = (0..clients).map(|_| RawClient::connect(port)).collect();
    let ids: Vec<String> = conns
        .iter_mut()
        .map(|conn| {
            let reply = conn.call(&words("CLIENT ID"));
            String::from_utf8_lossy(&reply[1..reply.len() - 2]).into_owned()
        })
        .collect();
    steps
        .iter()
        .map(|&(client, line, frames)| {
            let sent = with_ids(line, &ids);
            if let Some(n) = sent.strip_prefix("blocked ") {
                wait_for_blocked(port, n);
                return (format!("client {client}: {line}"), Vec::new());
            }
            let conn = &mut conns[client];
            if !sent.is_empty() {
                conn.send(&words(&sent));
            }
            let mut bytes = Vec::new();
            for _ in 0..frames {
                bytes.extend(conn.read());
            }
            (format!("client {client}: {line}"), ids_masked(&bytes, line, &ids))
        })
        .collect()
}

/// `line` with `{N}` standing for client N's id replaced by it.
fn with_ids(line: &str, ids: &[String]) -> String {
    let mut sent = line.to_string();
    for (n, id) in ids.iter().enumerate() {
        sent = sent.replace(&format!("{{{n}}}"), id);
    }
    sent
}

/// What step `line` read, with client ids masked: they differ between servers, so where a reply
/// names a client (GETREDIR, TRACKINGINFO's redirect, `tracking-redir-broken`), client N reads
/// as `<N>`.
fn ids_masked(bytes: &[u8], line: &str, ids: &[String]) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(bytes).into_owned();
    for (n, id) in ids.iter().enumerate() {
        for before in ["redirect\r\n", "tracking-redir-broken\r\n"] {
            text = text.replace(&format!("{before}:{id}\r\n"), &format!("{before}:<{n}>\r\n"));
        }
        if line.contains("GETREDIR") && text == format!(":{id}\r\n") {
            text = format!(":<{n}>\r\n");
        }
    }
    text.into_bytes()
}

/// Waits until the server at `port` counts `n` blocked clients (INFO's `blocked_clients`).
fn wait_for_blocked(port: u16, n: &str) {
    let mut admin = RawClient::connect(port);
    let wanted = format!("blocked_clients:{n}\r\n");
    for _ in 0..500 {
        let info = admin.call(&words("INFO clients"));
        if String::from_utf8_lossy(&info).contains(&wanted) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    panic!("the server never counted {n} blocked clients");
}

/// Runs `steps` against redis-server and embedis-server and compares them step by step
/// (HELLO's reply, which holds the client's id, is not compared).
pub fn check_servers(clients: usize, steps: &[Step<'_>]) {
    let Some(redis) = RedisServer::start() else { return };
    let server = embedis::server::Server::start(Store::new(), "127.0.0.1:0").expect("start embedis server");
    let theirs = transcript(redis.port, clients, steps);
    let ours = transcript(server.addr().port(), clients, steps);
    for ((step, ours), (_, theirs)) in ours.iter().zip(&theirs) {
        if step.contains("HELLO") {
            continue;
        }
        assert_same_bytes(ours, theirs, step);
    }
}

/// [`transcript`] run in process: `clients` connections of `store`, each asked its CLIENT ID
/// first, a step's line run by [`embedis::Connection::call`] and its further frames read as
/// pushes (with a timeout), all in the bytes of each connection's protocol.
pub fn transcript_in_process(store: &Store, clients: usize, steps: &[Step<'_>]) -> Vec<(String, Vec<u8>)> {
    let mut conns: Vec<embedis::Connection> = (0..clients).map(|_| store.connect()).collect();
    let ids: Vec<String> = conns
        .iter_mut()
        .map(|conn| match conn.call(["CLIENT", "ID"]) {
            embedis::Reply::Integer(id) => id.to_string(),
            other => panic!("CLIENT ID answered {other:?}"),
        })
        .collect();
    let encode = |conn: &embedis::Connection, reply: embedis::Reply| {
        if conn.protocol() == 3 {
            reply.to_resp3()
        } else {
            reply.to_resp()
        }
    };
    steps
        .iter()
        .map(|&(client, line, frames)| {
            let sent = with_ids(line, &ids);
            assert!(!sent.starts_with("blocked "), "no blocking steps in process");
            let conn = &mut conns[client];
            let mut bytes = Vec::new();
            let mut pushes = frames;
            if !sent.is_empty() {
                let reply = conn.call(words(&sent));
                bytes.extend(encode(conn, reply));
                pushes -= 1;
            }
            for _ in 0..pushes {
                let push = conn
                    .recv_push(std::time::Duration::from_secs(5))
                    .unwrap_or_else(|| panic!("client {client}: {line}: a push that never came"));
                bytes.extend(encode(conn, push));
            }
            (format!("client {client}: {line}"), ids_masked(&bytes, line, &ids))
        })
        .collect()
}

/// Runs `steps` against redis-server and on in-process connections of a fresh store, and
/// compares them step by step (HELLO's reply, which holds the client's id, is not compared).
pub fn check_in_process(clients: usize, steps: &[Step<'_>]) {
    let Some(redis) = RedisServer::start() else { return };
    let store = Store::new();
    let theirs = transcript(redis.port, clients, steps);
    let ours = transcript_in_process(&store, clients, steps);
    for ((step, ours), (_, theirs)) in ours.iter().zip(&theirs) {
        if step.contains("HELLO") {
            continue;
        }
        assert_same_bytes(ours, theirs, step);
    }
}
