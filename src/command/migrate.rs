//! MIGRATE (Redis's `migrateCommand`): moves keys to another server — any server speaking
//! Redis's protocol, a real Redis or another embedis — as RESTORE commands carrying DUMP
//! payloads in Redis's format, then deletes them here (unless COPY).
//!
//! Like Redis, the command waits for the target while it holds the keyspace (Redis's single
//! thread waits too), for at most `timeout` milliseconds at each step. Unlike Redis it keeps no
//! connection to the target between calls: each MIGRATE connects (and selects the database)
//! anew, which the target sees but the client does not.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::Ctx;
use super::args::{int, is_option};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::effects::EventClass;
use crate::reply::Reply;

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2
/// username password] [KEYS key ...]
pub(crate) fn migrate(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let (mut copy, mut replace, mut auth) = (false, false, None);
    let mut keys = vec![argv.arg(3)];
    let mut i = 6;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv.arg(i);
        if is_option(opt, "copy") {
            copy = true;
        } else if is_option(opt, "replace") {
            replace = true;
        } else if is_option(opt, "auth") && more >= 1 {
            auth = Some(vec![argv.arg(i + 1)]);
            i += 1;
        } else if is_option(opt, "auth2") && more >= 2 {
            auth = Some(vec![argv.arg(i + 1), argv.arg(i + 2)]);
            i += 2;
        } else if is_option(opt, "keys") {
            if !argv.arg(3).is_empty() {
                return Err(CommandError::other(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                ));
            }
            keys = argv.iter().skip(i + 1).collect();
            break;
        } else {
            return Err(CommandError::Syntax);
        }
        i += 1;
    }
    let timeout = int(argv.arg(5))?;
    let db = int(argv.arg(4))?;
    let timeout = Duration::from_millis(if timeout <= 0 { 1000 } else { timeout as u64 });

    // The keys that exist, with their payloads and remaining TTLs (a key due to expire in less
    // than a millisecond goes with 1, as Redis sends it).
    let now = ctx.ks.now();
    let mut moving = Vec::new();
    let compress = ctx.ks.rdb_compression;
    for key in keys {
        ctx.read_lookup(key);
        let Some(entry) = ctx.entry(key) else {
            continue;
        };
        let payload = crate::keyspace::dump::dump(&entry.value, compress);
        let ttl = match ctx.expire_at(key) {
            Some(at) if at - now < 0 => continue,
            Some(at) => (at - now).max(1),
            None => 0,
        };
        moving.push((key, ttl, payload));
    }
    if moving.is_empty() {
        return Ok(Reply::status("NOKEY"));
    }

    let restore = if ctx.ks.cluster.is_some() {
        "RESTORE-ASKING"
    } else {
        "RESTORE"
    };
    let mut request = Vec::new();
    if let Some(auth) = &auth {
        let mut line = vec![b"AUTH".as_slice()];
        line.extend(auth.iter().copied());
        encode(&mut request, &line);
    }
    encode(&mut request, &[b"SELECT", db.to_string().as_bytes()]);
    for (key, ttl, payload) in &moving {
        let ttl = ttl.to_string();
        let mut line = vec![restore.as_bytes(), key, ttl.as_bytes(), payload];
        if replace {
            line.push(b"REPLACE");
        }
        encode(&mut request, &line);
    }

    let host = String::from_utf8_lossy(argv.arg(1)).into_owned();
    let port = String::from_utf8_lossy(argv.arg(2)).into_owned();
    let stream = connect(&host, &port, timeout)?;
    let mut writer = &stream;
    if writer.write_all(&request).and_then(|()| writer.flush()).is_err() {
        return Err(CommandError::other("IOERR error or timeout writing to target instance"));
    }
    let mut replies = BufReader::new(&stream);
    let mut read_line = || -> Option<String> {
        let mut line = String::new();
        match replies.read_line(&mut line) {
            Ok(n) if n > 0 => Some(line.trim_end_matches(['\r', '\n']).to_string()),
            _ => None,
        }
    };
    let reading_error = || CommandError::other("IOERR error or timeout reading to target instance");
    // AUTH's and SELECT's replies first: an error there is the target's error for every key.
    let mut setup_error = None;
    for _ in 0..usize::from(auth.is_some()) + 1 {
        let line = read_line().ok_or_else(reading_error)?;
        if let Some(text) = line.strip_prefix('-') {
            setup_error.get_or_insert(text.to_string());
        }
    }
    // Then a reply a key: each key the target took is deleted here (unless COPY), whatever
    // became of the others; the first error is the reply.
    let mut first_error = setup_error.clone();
    for (j, (key, _, _)) in moving.iter().enumerate() {
        let Some(line) = read_line() else {
            if j == 0 && first_error.is_none() {
                return Err(reading_error());
            }
            break;
        };
        match line.strip_prefix('-') {
            Some(text) => {
                first_error.get_or_insert(text.to_string());
            }
            None if setup_error.is_none() && !copy && ctx.ks.delete(ctx.db, key) => {
                ctx.notify(EventClass::Generic, "del", key);
                ctx.dirty(1);
            }
            None => {}
        }
    }
    match first_error {
        Some(text) => Err(CommandError::Other(
            format!("ERR Target instance replied with error: {text}").into(),
        )),
        None => Ok(Reply::ok()),
    }
}

/// Connects to `host:port` within `timeout`, reads and writes bounded by it too. Redis connects
/// without waiting and learns of a refusal when it writes: a refused connection is its
/// `writing` error, an address that cannot be used or a target that does not answer in time
/// its `connecting` error.
fn connect(host: &str, port: &str, timeout: Duration) -> Result<TcpStream, CommandError> {
    let connecting = || CommandError::other("IOERR error or timeout connecting to the client");
    let port: u16 = port.parse().map_err(|_| connecting())?;
    let addr = (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(connecting)?;
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| match e.kind() {
        std::io::ErrorKind::TimedOut => connecting(),
        _ => CommandError::other("IOERR error or timeout writing to target instance"),
    })?;
    let bounded = stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)));
    bounded.map_err(|_| connecting())?;
    Ok(stream)
}

/// Appends `line` as a client sends it: a RESP array of bulk strings.
fn encode(out: &mut Vec<u8>, line: &[&[u8]]) {
    let parts = line.iter().map(|part| Reply::bulk(*part)).collect();
    out.extend_from_slice(&Reply::Array(parts).to_resp());
}
