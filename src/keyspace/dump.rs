//! The DUMP format: a value serialized by embedis, checked by RESTORE.
//!
//! Layout: a type byte, the body, then a two-byte format version and a CRC-64 (Jones, the checksum
//! Redis uses) of everything before it. The body is embedis's own, not Redis's RDB encoding, so a
//! payload from a Redis server (or anything else) fails the version or checksum check with Redis's
//! error, and a payload from embedis round-trips exactly, encodings included.

use super::list::List;
use super::listpack::Listpack;
use super::stream::{Consumer, Group, Nack, Stream, StreamId};
use super::value::{Encodings, Hash, Set, Str, Value};
use super::zset::ZSet;

/// The format version written after the body.
const VERSION: u16 = 0xEB01;

const STRING: u8 = 0;
const LIST: u8 = 1;
const HASH: u8 = 2;
const SET: u8 = 3;
const ZSET: u8 = 4;
const GROWN_STRING: u8 = 5;
const STREAM: u8 = 6;

/// Why RESTORE refuses a payload.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RestoreError {
    /// Not one of ours, or damaged: `ERR DUMP payload version or checksum are wrong`.
    Checksum,
    /// Checksummed but not decodable: `ERR Bad data format`.
    Format,
}

/// Serializes a value for DUMP.
pub(crate) fn dump(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    match value {
        Value::Str(Str::Grown(bytes)) => {
            out.push(GROWN_STRING);
            put_bytes(&mut out, bytes);
        }
        Value::Str(s) => {
            out.push(STRING);
            put_bytes(&mut out, &s.as_bytes());
        }
        Value::List(list) => {
            out.push(LIST);
            put_len(&mut out, list.len());
            list.iter().for_each(|e| put_bytes(&mut out, e));
        }
        Value::Hash(hash) => {
            out.push(HASH);
            put_len(&mut out, hash.len());
            for (field, value) in hash.iter() {
                put_bytes(&mut out, field);
                put_bytes(&mut out, value);
            }
        }
        Value::Set(set) => {
            out.push(SET);
            put_len(&mut out, set.len());
            set.iter().for_each(|m| put_bytes(&mut out, m));
        }
        Value::ZSet(zset) => {
            out.push(ZSET);
            put_len(&mut out, zset.len());
            for e in zset.iter() {
                put_bytes(&mut out, &e.member);
                out.extend_from_slice(&e.score.to_bits().to_le_bytes());
            }
        }
        Value::Stream(stream) => {
            out.push(STREAM);
            dump_stream(&mut out, stream);
        }
    }
    out.extend_from_slice(&VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Checks and decodes a DUMP payload.
/// Reads a DUMP payload back into a value, collections encoded as `limits` say (RESTORE uses
/// the thresholds in force, as Redis's loading does).
pub(crate) fn restore(payload: &[u8], limits: &Encodings) -> Result<Value, RestoreError> {
    if payload.len() < 11 {
        return Err(RestoreError::Checksum);
    }
    let (checked, crc) = payload.split_at(payload.len() - 8);
    let version = u16::from_le_bytes([checked[checked.len() - 2], checked[checked.len() - 1]]);
    if version != VERSION || crc64(checked).to_le_bytes() != crc {
        return Err(RestoreError::Checksum);
    }
    let mut reader = Reader(&checked[..checked.len() - 2], limits);
    let value = reader.value().ok_or(RestoreError::Format)?;
    if !reader.0.is_empty() {
        return Err(RestoreError::Format);
    }
    Ok(value)
}

/// A stream: its nodes as they are (key and listpack), its IDs and counters, then its groups
/// with their pending entries and consumers.
fn dump_stream(out: &mut Vec<u8>, stream: &Stream) {
    put_len(out, stream.node_count());
    for (key, lp) in stream.nodes() {
        put_id(out, *key);
        put_bytes(out, lp.as_bytes());
    }
    for id in [stream.last_id, stream.first_id, stream.max_deleted_id] {
        put_id(out, id);
    }
    out.extend_from_slice(&stream.entries_added.to_le_bytes());
    put_len(out, stream.groups.len());
    for (name, group) in &stream.groups {
        put_bytes(out, name);
        put_id(out, group.last_id);
        out.extend_from_slice(&group.entries_read.to_le_bytes());
        put_len(out, group.pel.len());
        for (id, nack) in &group.pel {
            put_id(out, *id);
            out.extend_from_slice(&nack.delivery_time.to_le_bytes());
            out.extend_from_slice(&nack.delivery_count.to_le_bytes());
            put_bytes(out, &nack.consumer);
        }
        put_len(out, group.consumers.len());
        for (name, consumer) in &group.consumers {
            put_bytes(out, name);
            out.extend_from_slice(&consumer.seen_time.to_le_bytes());
        }
    }
}

fn put_id(out: &mut Vec<u8>, id: StreamId) {
    out.extend_from_slice(&id.ms.to_le_bytes());
    out.extend_from_slice(&id.seq.to_le_bytes());
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&(len as u64).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

struct Reader<'a>(&'a [u8], &'a Encodings);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        // A length can never exceed what is left to read: refuse before allocating for it.
        (n <= self.0.len()).then_some(n)
    }

    fn id(&mut self) -> Option<StreamId> {
        Some(StreamId::new(self.u64()?, self.u64()?))
    }

    fn i64(&mut self) -> Option<i64> {
        Some(self.u64()? as i64)
    }

    /// A stream as [`dump_stream`] writes it, every node checked as Redis checks a loaded one
    /// and every pending entry owned by a consumer of its group.
    fn stream(&mut self) -> Option<Stream> {
        let mut stream = Stream::default();
        for _ in 0..self.len()? {
            let key = self.id()?;
            let lp = Listpack::from_bytes(self.bytes()?)?;
            if !stream.push_node(key, lp) {
                return None;
            }
        }
        stream.last_id = self.id()?;
        stream.first_id = self.id()?;
        stream.max_deleted_id = self.id()?;
        stream.entries_added = self.u64()?;
        if stream.edge_id(true).is_some_and(|last| last > stream.last_id) {
            return None;
        }
        for _ in 0..self.len()? {
            let name = self.bytes()?;
            let mut group = Group::new(self.id()?, self.i64()?);
            for _ in 0..self.len()? {
                let id = self.id()?;
                let nack = Nack {
                    delivery_time: self.i64()?,
                    delivery_count: self.u64()?,
                    consumer: self.bytes()?,
                };
                group.pel.insert(id, nack);
            }
            for _ in 0..self.len()? {
                let name = self.bytes()?;
                let seen_time = self.i64()?;
                let pel = group
                    .pel
                    .iter()
                    .filter(|(_, n)| n.consumer == name)
                    .map(|(id, _)| *id)
                    .collect();
                group.consumers.insert(name, Consumer { seen_time, pel });
            }
            if group.pel.values().any(|n| !group.consumers.contains_key(&n.consumer)) {
                return None;
            }
            stream.groups.insert(name, group);
        }
        Some(stream)
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = self.len()?;
        Some(self.take(n)?.to_vec())
    }

    fn value(&mut self) -> Option<Value> {
        let kind = *self.take(1)?.first()?;
        Some(match kind {
            STRING => Value::Str(Str::from_bytes(self.bytes()?)),
            GROWN_STRING => Value::Str(Str::grown(self.bytes()?)),
            LIST => {
                let n = self.len()?;
                Value::List(Box::new((0..n).map(|_| self.bytes()).collect::<Option<List>>()?))
            }
            HASH => {
                let mut hash = Hash::default();
                for _ in 0..self.len()? {
                    let field = self.bytes()?;
                    hash.insert(&field, self.bytes()?, self.1);
                }
                Value::Hash(hash)
            }
            SET => {
                let mut set = Set::default();
                for _ in 0..self.len()? {
                    set.insert(&self.bytes()?, self.1);
                }
                Value::Set(Box::new(set))
            }
            ZSET => {
                let mut zset = ZSet::default();
                for _ in 0..self.len()? {
                    let member = self.bytes()?;
                    let score = f64::from_bits(self.u64()?);
                    if score.is_nan() {
                        return None;
                    }
                    zset.insert(&member, score, self.1);
                }
                Value::ZSet(Box::new(zset))
            }
            STREAM => Value::Stream(Box::new(self.stream()?)),
            _ => return None,
        })
    }
}

/// CRC-64/Jones (reflected, polynomial 0xad93d23594c935a9), as Redis's crc64.
pub(crate) fn crc64(bytes: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 bit-reversed
    let mut crc = 0u64;
    for &b in bytes {
        crc ^= b as u64;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY } else { crc >> 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_redis() {
        // Redis's crc64 test vector: crc64(0, "123456789") = 0xe9c6d914c4b8d9ca.
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn values_round_trip() {
        let limits = Encodings::default();
        let mut zset = ZSet::default();
        zset.insert(b"a", 1.5, &limits);
        zset.insert(b"b", f64::NEG_INFINITY, &limits);
        let mut hash = Hash::default();
        hash.insert(b"f", b"v".to_vec(), &limits);
        let mut set = Set::default();
        set.insert(b"x", &limits);
        for value in [
            Value::string(b"hello".to_vec()),
            Value::string(b"42".to_vec()),
            Value::Str(Str::grown(b"raw".to_vec())),
            Value::List(Box::new(List::from_iter([b"a".to_vec(), b"".to_vec()]))),
            Value::Hash(hash),
            Value::Set(Box::new(set)),
            Value::ZSet(Box::new(zset)),
        ] {
            assert_eq!(restore(&dump(&value), &limits), Ok(value));
        }
    }

    /// A stream with deleted entries and a group with pending entries, as commands build it.
    fn sample_stream() -> Stream {
        use super::super::stream::{IdRequest, NodeLimits};
        let limits = NodeLimits {
            max_bytes: 4096,
            max_entries: 3,
        };
        let mut stream = Stream::default();
        for i in 1..=10u64 {
            let value = i.to_string();
            let fields: [&[u8]; 4] = [b"f", value.as_bytes(), b"g", b"long value"];
            stream
                .add(IdRequest::Exact(StreamId::new(i, 0)), 0, &fields, limits)
                .unwrap();
        }
        stream.delete(StreamId::new(4, 0));
        stream.groups.insert(b"g".to_vec(), Group::new(StreamId::MIN, -1));
        stream.groups.get_mut(&b"g"[..]).unwrap().consumers.insert(
            b"alice".to_vec(),
            Consumer {
                seen_time: 5,
                pel: Default::default(),
            },
        );
        stream.read_group(b"g", b"alice", StreamId::MIN, 3, false, 7);
        stream
    }

    #[test]
    fn streams_round_trip_with_their_groups() {
        let value = Value::Stream(Box::new(sample_stream()));
        assert_eq!(restore(&dump(&value), &Encodings::default()), Ok(value));
    }

    /// Any byte of a stream's payload changed (the checksum made right again) is refused or
    /// read back into a stream that every read works on: never a panic.
    #[test]
    fn damaged_stream_payloads_never_panic() {
        let payload = dump(&Value::Stream(Box::new(sample_stream())));
        let body = payload.len() - 10;
        for at in 1..body {
            for flip in [1u8, 0x80, 0xFF] {
                let mut damaged = payload[..body].to_vec();
                damaged[at] ^= flip;
                damaged.extend_from_slice(&VERSION.to_le_bytes());
                let crc = crc64(&damaged);
                damaged.extend_from_slice(&crc.to_le_bytes());
                if let Ok(Value::Stream(mut stream)) = restore(&damaged, &Encodings::default()) {
                    stream.range(StreamId::MIN, StreamId::MAX, 0, true);
                    stream.radix_tree_nodes();
                    stream.delete(StreamId::new(5, 0));
                    stream.trim(super::super::stream::Trim {
                        by: super::super::stream::TrimBy::MaxLen(2),
                        approx: false,
                        limit: 0,
                    });
                }
            }
        }
    }

    #[test]
    fn damaged_or_foreign_payloads_are_refused() {
        let mut payload = dump(&Value::string(b"hello".to_vec()));
        payload[3] ^= 1;
        assert_eq!(restore(&payload, &Encodings::default()), Err(RestoreError::Checksum));
        // A payload Redis 7.0 produced for the string "v".
        let redis = b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce";
        assert_eq!(restore(redis, &Encodings::default()), Err(RestoreError::Checksum));
        assert_eq!(restore(b"", &Encodings::default()), Err(RestoreError::Checksum));
    }
}
