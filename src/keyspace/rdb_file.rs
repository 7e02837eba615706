//! RDB files, as Redis 7.0 writes and reads them (`rdbSaveRio`, `rdbLoadRioWithLoadingCtx`):
//! `REDIS0010`, auxiliary fields, the function libraries, each database with keys (its index,
//! its sizes, then each key with its expiry time, type, name and value), an end marker and a
//! CRC-64 of everything before it. Values are encoded as DUMP encodes them (`dump.rs`), so a
//! file moves between embedis and redis-server unchanged in either direction.

use super::dump::{crc64, load_object, put_object};
use super::rdb::{RDB_VERSION, Reader, put_len, put_millis, put_string};
use super::value::{Encodings, Value};
use super::{DATABASES, Keyspace, Ttl};

/// `RDB_OPCODE_FUNCTION2`: a function library's code (also FUNCTION DUMP's payload).
pub(crate) const OPCODE_FUNCTION2: u8 = 245;
/// `RDB_OPCODE_FUNCTION`: the functions' format of 7.0's release candidates.
pub(crate) const OPCODE_FUNCTION_PRE_GA: u8 = 246;
const OPCODE_MODULE_AUX: u8 = 247;
const OPCODE_IDLE: u8 = 248;
const OPCODE_FREQ: u8 = 249;
const OPCODE_AUX: u8 = 250;
const OPCODE_RESIZEDB: u8 = 251;
const OPCODE_EXPIRETIME_MS: u8 = 252;
const OPCODE_EXPIRETIME: u8 = 253;
const OPCODE_SELECTDB: u8 = 254;
const OPCODE_EOF: u8 = 255;

/// Why a file does not load, each as Redis's log line says it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RdbError {
    /// Not an RDB file.
    #[error("Wrong signature trying to load DB from file")]
    Signature,
    /// From a newer Redis.
    #[error("Can't handle RDB format version {0}")]
    Version(u32),
    /// Cut short or damaged.
    #[error("Short read or OOM loading DB. Unrecoverable error, aborting now.")]
    Damaged,
    /// A database index past the last.
    #[error("FATAL: Data file was created with a Redis server configured to handle more than {0} databases. Exiting")]
    TooManyDatabases(usize),
    /// A checksum that does not match.
    #[error("Wrong RDB checksum expected: ({expected:x}) got: ({got:x}). Aborting now.")]
    Checksum { expected: u64, got: u64 },
    /// Modules' data, which embedis cannot load.
    #[error("The RDB file contains AUX module data I can't load: no matching module")]
    Module,
    /// The functions' format of 7.0's release candidates.
    #[error("Pre-GA function format not supported")]
    PreGaFunctions,
}

/// What an RDB file holds.
#[derive(Debug, Default)]
pub(crate) struct Snapshot {
    /// Each key: its database, name, value and expiry time (Unix milliseconds).
    pub(crate) keys: Vec<(usize, Vec<u8>, Value, Option<i64>)>,
    /// The code of each function library.
    pub(crate) functions: Vec<Vec<u8>>,
}

/// An auxiliary field: `RDB_OPCODE_AUX`, its name and its value as RDB strings (numbers are
/// written as strings, which integer encoding then shortens, as Redis's `rdbSaveAuxFieldStrInt`).
fn put_aux(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(OPCODE_AUX);
    put_string(out, name.as_bytes());
    put_string(out, value.as_bytes());
}

/// One key of an RDB file: its expiry time, if any, then its value's type byte, its name and its
/// value's body, strings LZF-compressed when `compress` (`rdbcompression`).
pub(crate) fn put_key(out: &mut Vec<u8>, key: &[u8], value: &Value, expire_at: Option<i64>, compress: bool) {
    if let Some(at) = expire_at {
        out.push(OPCODE_EXPIRETIME_MS);
        put_millis(out, at);
    }
    // `put_object` writes the type first, so the key goes in after it.
    let mut object = Vec::new();
    super::rdb::with_compression(compress, || put_object(&mut object, value));
    out.push(object[0]);
    super::rdb::with_compression(compress, || put_string(out, key));
    out.extend_from_slice(&object[1..]);
}

/// Database `db`'s section of an RDB file: its index, its sizes (keys, keys with a TTL) and
/// `keys` (written by [`put_key`]); nothing for a database without keys.
pub(crate) fn put_db(out: &mut Vec<u8>, db: usize, (len, volatile): (usize, usize), keys: &[u8]) {
    if len == 0 {
        return;
    }
    out.push(OPCODE_SELECTDB);
    put_len(out, db);
    out.push(OPCODE_RESIZEDB);
    put_len(out, len);
    put_len(out, volatile);
    out.extend_from_slice(keys);
}

/// Ends an RDB file: the end marker and the CRC-64 of everything before it (0 without
/// `checksum`, as Redis writes with `rdbchecksum no`).
pub(crate) fn end_file(mut out: Vec<u8>, checksum: bool) -> Vec<u8> {
    out.push(OPCODE_EOF);
    let crc = if checksum { crc64(&out) } else { 0 };
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

impl Keyspace {
    /// The RDB file of every database and the function libraries `functions` (their code):
    /// Redis's auxiliary fields (`redis-ver`, `redis-bits`, `ctime`, `used-mem`, `aof-base`), each
    /// database with keys, then the end marker and the CRC-64.
    /// As the base of an append-only file when `aof_base` (its `aof-base` field says so).
    pub(crate) fn rdb_file(&self, functions: &[&[u8]], aof_base: bool) -> Vec<u8> {
        let mut out = self.rdb_header(functions, aof_base);
        for db in 0..DATABASES {
            let data = &self.dbs[db].data;
            let mut keys = Vec::new();
            for (key, entry) in data.iter() {
                put_key(&mut keys, key, &entry.value, data.expire_at(key), self.rdb_compression);
            }
            put_db(&mut out, db, (data.len(), data.volatile_len()), &keys);
        }
        end_file(out, self.rdb_checksum)
    }

    /// An RDB file's start: its version, Redis's auxiliary fields and the function libraries.
    pub(crate) fn rdb_header(&self, functions: &[&[u8]], aof_base: bool) -> Vec<u8> {
        let mut out = format!("REDIS{RDB_VERSION:04}").into_bytes();
        put_aux(&mut out, "redis-ver", crate::REDIS_VERSION);
        put_aux(&mut out, "redis-bits", "64");
        put_aux(&mut out, "ctime", &(self.now() / 1000).to_string());
        // Only informational (Redis logs it when it loads the file): the allocator's count, or
        // without one the tables' own size (the full estimate reads every value, too slow for
        // the start of a snapshot that must not stall the store).
        let used = crate::CountingAllocator::allocated()
            .unwrap_or_else(|| self.dbs.iter().map(|db| db.data.structure_bytes()).sum());
        put_aux(&mut out, "used-mem", &used.to_string());
        put_aux(&mut out, "aof-base", if aof_base { "1" } else { "0" });
        for code in functions {
            out.push(OPCODE_FUNCTION2);
            put_string(&mut out, code);
        }
        out
    }

    /// Loads `snapshot`'s keys, leaving out those whose time has passed (as a master loading a
    /// file does): in place of every key when `replace_all`, else over the keys there.
    pub(crate) fn load_snapshot(&mut self, snapshot: Snapshot, replace_all: bool) {
        if replace_all {
            for db in 0..DATABASES {
                self.flush_db(db);
            }
        }
        let now = self.now();
        for (db, key, value, expire_at) in snapshot.keys {
            match expire_at {
                Some(at) if at <= now => {}
                // Into emptied databases, as Redis's load adds to its dicts: no keyspace event,
                // no watcher or blocked client to tell (the flush told them).
                _ if replace_all => self.insert_loaded(db, &key, value, expire_at),
                Some(at) => self.insert(db, &key, value, Ttl::At(at)),
                None => self.insert(db, &key, value, Ttl::Clear),
            }
        }
    }
}

/// Reads an RDB file of any version up to Redis 7.0's, values encoded as `limits` say.
pub(crate) fn read(bytes: &[u8], limits: &Encodings, verify: bool) -> Result<Snapshot, RdbError> {
    if bytes.len() < 9 || &bytes[..5] != b"REDIS" {
        return Err(RdbError::Signature);
    }
    let version: u32 = std::str::from_utf8(&bytes[5..9])
        .ok()
        .and_then(|digits| digits.parse().ok())
        .ok_or(RdbError::Signature)?;
    if version < 1 || version > u32::from(RDB_VERSION) {
        return Err(RdbError::Version(version));
    }
    let mut r = Reader::new(&bytes[9..]);
    let mut snapshot = Snapshot::default();
    let (mut db, mut expire_at) = (0usize, None);
    loop {
        let kind = r.byte().ok_or(RdbError::Damaged)?;
        match kind {
            OPCODE_EXPIRETIME => {
                let seconds = r.take(4).and_then(|b| b.try_into().ok()).ok_or(RdbError::Damaged)?;
                expire_at = Some(i64::from(i32::from_le_bytes(seconds)) * 1000);
            }
            OPCODE_EXPIRETIME_MS => expire_at = Some(r.millis().ok_or(RdbError::Damaged)?),
            OPCODE_FREQ => {
                r.byte().ok_or(RdbError::Damaged)?;
            }
            OPCODE_IDLE => {
                r.plain_len().ok_or(RdbError::Damaged)?;
            }
            OPCODE_EOF => break,
            OPCODE_SELECTDB => {
                db = r.plain_len().ok_or(RdbError::Damaged)?;
                if db >= DATABASES {
                    return Err(RdbError::TooManyDatabases(DATABASES));
                }
            }
            OPCODE_RESIZEDB => {
                r.plain_len().ok_or(RdbError::Damaged)?;
                r.plain_len().ok_or(RdbError::Damaged)?;
            }
            OPCODE_AUX => {
                r.string().ok_or(RdbError::Damaged)?;
                r.string().ok_or(RdbError::Damaged)?;
            }
            OPCODE_MODULE_AUX => return Err(RdbError::Module),
            OPCODE_FUNCTION_PRE_GA => return Err(RdbError::PreGaFunctions),
            OPCODE_FUNCTION2 => snapshot.functions.push(r.string().ok_or(RdbError::Damaged)?),
            kind => {
                let key = r.string().ok_or(RdbError::Damaged)?;
                let value = load_object(kind, &mut r, limits).ok_or(RdbError::Damaged)?;
                snapshot.keys.push((db, key, value, expire_at.take()));
            }
        }
    }
    // Version 5 on ends with a CRC-64 of everything before it (0: written without one), checked
    // when `verify` (`rdbchecksum`).
    if version >= 5 {
        let end = 9 + r.pos;
        let expected = r.take(8).and_then(|b| b.try_into().ok()).ok_or(RdbError::Damaged)?;
        let expected = u64::from_le_bytes(expected);
        let got = crc64(&bytes[..end]);
        if verify && expected != 0 && expected != got {
            return Err(RdbError::Checksum { expected, got });
        }
    }
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    fn keyspace_with_data() -> Keyspace {
        let mut ks = Keyspace::new(Clock::manual());
        ks.insert(0, b"s", Value::string(b"hello".to_vec()), Ttl::Clear);
        ks.insert(0, b"n", Value::string(b"12345".to_vec()), Ttl::Clear);
        let later = ks.now() + 100_000;
        ks.insert(0, b"ttl", Value::string(b"v".to_vec()), Ttl::At(later));
        ks.insert(3, b"other", Value::string(b"x".repeat(100)), Ttl::Clear);
        ks
    }

    #[test]
    fn files_round_trip_with_databases_expiries_and_functions() {
        let ks = keyspace_with_data();
        let file = ks.rdb_file(
            &[b"#!lua name=lib\nredis.register_function('f', function() return 1 end)"],
            false,
        );
        assert!(file.starts_with(b"REDIS0010"));
        let snapshot = read(&file, &Encodings::default(), true).unwrap();
        assert_eq!(snapshot.functions.len(), 1);
        assert_eq!(snapshot.keys.len(), 4);
        let mut copy = Keyspace::new(Clock::manual());
        copy.load_snapshot(snapshot, true);
        assert_eq!(copy.rdb_file(&[], false).len(), ks.rdb_file(&[], false).len());
        assert_eq!(copy.len(0), 3);
        assert_eq!(copy.len(3), 1);
        assert!(copy.expire_at(0, b"ttl").is_some());
    }

    #[test]
    fn damaged_files_are_refused_with_redis_errors() {
        let file = keyspace_with_data().rdb_file(&[], false);
        assert_eq!(
            read(b"NOTRDB0010", &Encodings::default(), true).unwrap_err(),
            RdbError::Signature
        );
        assert_eq!(
            read(b"REDIS0011\xff", &Encodings::default(), true).unwrap_err(),
            RdbError::Version(11)
        );
        for cut in 9..file.len() - 8 {
            assert!(read(&file[..cut], &Encodings::default(), true).is_err(), "cut at {cut}");
        }
        let mut flipped = file.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x20;
        assert!(read(&flipped, &Encodings::default(), true).is_err());
        // A zero checksum is a file written without one.
        let mut unchecked = file.clone();
        let len = unchecked.len();
        unchecked[len - 8..].fill(0);
        assert!(read(&unchecked, &Encodings::default(), true).is_ok());
    }
}
