//! The data as the commands that rebuild it: an append-only file's base with
//! `aof-use-rdb-preamble no`, as Redis 7.0's `rewriteAppendOnlyFileRio` writes it — a timestamp
//! annotation first when `aof-timestamp-enabled`, `FUNCTION LOAD` for each library, then for
//! each database with keys a `SELECT` and, per key, the commands that make its value (`SET`;
//! `RPUSH`, `SADD`, `ZADD`, `HMSET` of at most 64 items each; a stream's `XADD`s, `XSETID`,
//! `XGROUP CREATE`, `XCLAIM` and `XGROUP CREATECONSUMER`) followed by `PEXPIREAT` when it has a
//! TTL. Loading it is replaying it (`aof.rs`), so whatever reads an AOF reads this; redis-server
//! reads it the same way.

use std::borrow::Cow;
use std::io::Write;

use super::stream::{Stream, StreamId};
use super::value::Value;
use super::{DATABASES, Keyspace};

/// How many items one `RPUSH`, `SADD`, `ZADD` or `HMSET` carries at most (Redis's
/// `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_COMMAND: usize = 64;

/// A command's header: `*<count>`.
fn put_count(out: &mut Vec<u8>, count: usize) {
    let _ = write!(out, "*{count}\r\n");
}

/// One argument: `$<len>` and the bytes.
fn put_bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    let _ = write!(out, "${}\r\n", bytes.len());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

/// A number as an argument.
fn put_number(out: &mut Vec<u8>, n: impl std::fmt::Display) {
    put_bulk(out, n.to_string().as_bytes());
}

/// A stream ID as an argument (`<ms>-<seq>`).
fn put_id(out: &mut Vec<u8>, id: StreamId) {
    put_bulk(out, &id.to_bytes());
}

/// A whole command of plain arguments.
fn put_command(out: &mut Vec<u8>, args: &[&[u8]]) {
    put_count(out, args.len());
    args.iter().for_each(|arg| put_bulk(out, arg));
}

/// The commands that make `key` hold `items` (`count` of them, each `per_item` arguments),
/// `command` carrying at most [`ITEMS_PER_COMMAND`] of them at a time, in order.
fn put_batched<A, B>(
    out: &mut Vec<u8>,
    (command, key): (&[u8], &[u8]),
    (count, per_item): (usize, usize),
    items: impl Iterator<Item = A>,
) where
    A: IntoIterator<Item = B>,
    B: AsRef<[u8]>,
{
    let mut left = count;
    for (n, item) in items.enumerate() {
        if n % ITEMS_PER_COMMAND == 0 {
            put_count(out, 2 + left.min(ITEMS_PER_COMMAND) * per_item);
            put_bulk(out, command);
            put_bulk(out, key);
        }
        item.into_iter().for_each(|arg| put_bulk(out, arg.as_ref()));
        left = left.saturating_sub(1);
    }
}

/// The commands that rebuild `key`, holding `value`, with its expiry time, if any (Unix
/// milliseconds).
pub(crate) fn put_key(out: &mut Vec<u8>, key: &[u8], value: &Value, expire_at: Option<i64>) {
    match value {
        Value::Str(s) => put_command(out, &[b"SET", key, &s.as_bytes()]),
        Value::List(list) => put_batched(out, (b"RPUSH", key), (list.len(), 1), list.iter().map(std::iter::once)),
        // An intset's members in order, as Redis keeps them.
        Value::Set(set) => put_batched(
            out,
            (b"SADD", key),
            (set.len(), 1),
            set.members().into_iter().map(std::iter::once),
        ),
        Value::ZSet(zset) => {
            // Scores as Redis's `rioWriteBulkDouble` prints them (`%.17g`).
            let pairs = zset.iter().map(|e| {
                [
                    Cow::Owned(crate::number::format_g17(e.score)),
                    Cow::Borrowed(&e.member[..]),
                ]
            });
            put_batched(out, (b"ZADD", key), (zset.len(), 2), pairs);
        }
        Value::Hash(hash) => put_batched(out, (b"HMSET", key), (hash.len(), 2), hash.iter().map(|(f, v)| [f, v])),
        Value::Stream(stream) => put_stream(out, key, stream),
    }
    if let Some(at) = expire_at {
        put_count(out, 3);
        put_bulk(out, b"PEXPIREAT");
        put_bulk(out, key);
        put_number(out, at);
    }
}

/// A stream's commands: an `XADD` per entry (an empty stream made by `XADD … MAXLEN 0`), `XSETID`
/// for its last ID and counters, then each group's `XGROUP CREATE` and, per consumer, an `XCLAIM`
/// for each entry pending for it or `XGROUP CREATECONSUMER` when none is.
fn put_stream(out: &mut Vec<u8>, key: &[u8], stream: &Stream) {
    let all = stream.range(StreamId::new(0, 0), StreamId::new(u64::MAX, u64::MAX), 0, false);
    for entry in &all {
        put_count(out, 3 + entry.fields.len());
        put_bulk(out, b"XADD");
        put_bulk(out, key);
        put_id(out, entry.id);
        entry.fields.iter().for_each(|f| put_bulk(out, f));
    }
    if all.is_empty() {
        put_command(out, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    }
    put_count(out, 7);
    put_bulk(out, b"XSETID");
    put_bulk(out, key);
    put_id(out, stream.last_id);
    put_bulk(out, b"ENTRIESADDED");
    put_number(out, stream.entries_added);
    put_bulk(out, b"MAXDELETEDID");
    put_id(out, stream.max_deleted_id);
    for (name, group) in &stream.groups {
        put_count(out, 7);
        put_bulk(out, b"XGROUP");
        put_bulk(out, b"CREATE");
        put_bulk(out, key);
        put_bulk(out, name);
        put_id(out, group.last_id);
        put_bulk(out, b"ENTRIESREAD");
        put_number(out, group.entries_read);
        for (consumer, state) in &group.consumers {
            if state.pel.is_empty() {
                put_command(out, &[b"XGROUP", b"CREATECONSUMER", key, name, consumer]);
                continue;
            }
            for id in &state.pel {
                let Some(nack) = group.pel.get(id) else {
                    continue;
                };
                put_count(out, 12);
                for arg in [&b"XCLAIM"[..], key, name, consumer, b"0"] {
                    put_bulk(out, arg);
                }
                put_id(out, *id);
                put_bulk(out, b"TIME");
                put_number(out, nack.delivery_time);
                put_bulk(out, b"RETRYCOUNT");
                put_number(out, nack.delivery_count);
                put_bulk(out, b"JUSTID");
                put_bulk(out, b"FORCE");
            }
        }
    }
}

/// A commands file's start: the timestamp annotation (`#TS:<unix seconds>`) when `timestamp`
/// is given, then `FUNCTION LOAD` of each library in `functions` (their code).
pub(crate) fn header(functions: &[&[u8]], timestamp: Option<i64>) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(seconds) = timestamp {
        let _ = write!(out, "#TS:{seconds}\r\n");
    }
    for code in functions {
        put_command(&mut out, &[b"FUNCTION", b"LOAD", code]);
    }
    out
}

/// Database `db`'s part of a commands file: `SELECT` and `keys` (written by [`put_key`]);
/// nothing for a database without keys.
pub(crate) fn put_db(out: &mut Vec<u8>, db: usize, len: usize, keys: &[u8]) {
    if len == 0 {
        return;
    }
    put_count(out, 2);
    put_bulk(out, b"SELECT");
    put_number(out, db);
    out.extend_from_slice(keys);
}

impl Keyspace {
    /// The commands file of every database and the function libraries `functions` (their
    /// code), annotated with the time when `timestamp` (`aof-timestamp-enabled`).
    pub(crate) fn commands_file(&self, functions: &[&[u8]], timestamp: bool) -> Vec<u8> {
        let mut out = header(functions, timestamp.then(|| self.now() / 1000));
        for db in 0..DATABASES {
            let data = &self.dbs[db].data;
            let mut keys = Vec::new();
            for (key, entry) in data.iter() {
                put_key(&mut keys, key, &entry.value, data.expire_at(key));
            }
            put_db(&mut out, db, data.len(), &keys);
        }
        out
    }
}
