//! The DUMP format, as Redis writes it: the value's RDB type and encoding (Redis 7.0's), then the
//! RDB version (10, two bytes little-endian) and a CRC-64 (Jones, Redis's) of everything before
//! it. A payload moves between embedis and Redis both ways: RESTORE reads every encoding Redis
//! 7.0 loads (listpacks, intsets, quicklists of listpacks, streams, and the older ziplists,
//! zipmaps and quicklists a payload from an older Redis holds) and refuses a damaged one with
//! Redis's errors. What DUMP writes is Redis's bytes for strings, small hashes, small sorted
//! sets, integer sets and streams; for lists (quicklist nodes as pushes at the tail fill them)
//! and large collections (in embedis's iteration order) the same value in a different layout.

use super::list::List;
use super::listpack::Listpack;
use super::rdb::{RDB_VERSION, Reader, put_len, put_millis, put_string};
use super::stream::{Consumer, Group, Nack, Stream, StreamId};
use super::value::{Encodings, Hash, Set, Value};
use super::zset::ZSet;

const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_HASH_ZIPMAP: u8 = 9;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
const TYPE_STREAM_LISTPACKS: u8 = 15;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;
const TYPE_STREAM_LISTPACKS_2: u8 = 19;

/// A quicklist node's container: a listpack (the other, PLAIN, holds one large element).
const QUICKLIST_PACKED: usize = 2;
const QUICKLIST_PLAIN: usize = 1;
/// Redis's quicklist node size at `list-max-listpack-size -2`, with its per-element estimate.
const QUICKLIST_NODE_BYTES: usize = 8192;
const QUICKLIST_ELEMENT_OVERHEAD: usize = 8;

/// Why RESTORE refuses a payload.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RestoreError {
    /// Damaged, or from a newer RDB version: `ERR DUMP payload version or checksum are wrong`.
    Checksum,
    /// Checksummed but not decodable: `ERR Bad data format`.
    Format,
}

/// Serializes a value for DUMP, its strings LZF-compressed when `compress` (`rdbcompression`).
pub(crate) fn dump(value: &Value, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    super::rdb::with_compression(compress, || put_object(&mut out, value));
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Writes a value as an RDB file holds it: its type byte, then its body (Redis's
/// `rdbSaveObjectType` and `rdbSaveObject`).
pub(crate) fn put_object(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Str(s) => {
            out.push(TYPE_STRING);
            put_string(out, &s.as_bytes());
        }
        Value::List(list) => {
            out.push(TYPE_LIST_QUICKLIST_2);
            let nodes = quicklist_nodes(list);
            put_len(out, nodes.len());
            for node in nodes {
                put_len(out, QUICKLIST_PACKED);
                put_string(out, node.as_bytes());
            }
        }
        Value::Hash(hash) if hash.is_large() => {
            out.push(TYPE_HASH);
            put_len(out, hash.len());
            for (field, value) in hash.iter() {
                put_string(out, field);
                put_string(out, value);
            }
        }
        Value::Hash(_) => {
            out.push(TYPE_HASH_LISTPACK);
            put_string(out, listpack_of(value).unwrap_or_default().as_bytes());
        }
        Value::Set(set) if set.is_intset() => {
            out.push(TYPE_SET_INTSET);
            put_string(out, &intset_blob(set));
        }
        Value::Set(set) => {
            out.push(TYPE_SET);
            put_len(out, set.len());
            set.iter().for_each(|m| put_string(out, m));
        }
        Value::ZSet(zset) if zset.is_large() => {
            out.push(TYPE_ZSET_2);
            put_len(out, zset.len());
            // Redis writes a skiplist from its greatest element down.
            let entries: Vec<_> = zset.iter().collect();
            for e in entries.into_iter().rev() {
                put_string(out, &e.member);
                out.extend_from_slice(&e.score.to_le_bytes());
            }
        }
        Value::ZSet(_) => {
            out.push(TYPE_ZSET_LISTPACK);
            put_string(out, listpack_of(value).unwrap_or_default().as_bytes());
        }
        Value::Stream(stream) => {
            out.push(TYPE_STREAM_LISTPACKS_2);
            dump_stream(out, stream);
        }
    }
}

/// The length of `value`'s RDB serialization: its DUMP payload without the type byte, the RDB
/// version and the checksum (DEBUG OBJECT's `serializedlength`).
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn serialized_len(value: &Value) -> usize {
    dump(value, true).len() - 1 - 2 - 8
}

/// The listpack Redis keeps a value of its `listpack` encoding in (a small hash: field, value,
/// …; a small sorted set: member, score, … by score), as DUMP writes it and DEBUG LISTPACK shows
/// it; `None` for a value of another encoding.
pub(crate) fn listpack_of(value: &Value) -> Option<Listpack> {
    let mut lp = Listpack::new();
    match value {
        Value::Hash(hash) if !hash.is_large() => {
            for (field, value) in hash.iter() {
                lp.append(field);
                lp.append(value);
            }
        }
        Value::ZSet(zset) if !zset.is_large() => {
            for e in zset.iter() {
                lp.append(&e.member);
                lp.append(&crate::number::format_f64(e.score));
            }
        }
        _ => return None,
    }
    Some(lp)
}

/// DEBUG QUICKLIST's description of a list as Redis's quicklist would hold it: its element and
/// node counts, then each node's elements and bytes (`full`: and the elements themselves).
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn describe_quicklist(list: &List, full: bool) -> String {
    let nodes = quicklist_nodes(list);
    let mut text = format!("{{count : {}}}\n{{node count : {}}}\n", list.len(), nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        text.push_str(&format!(
            "{{node {i}}} {{entries : {}}} {{bytes : {}}} {{encoding : packed}}\n",
            node.len(),
            node.byte_len()
        ));
        if full {
            text.push_str(&node.describe());
        }
    }
    text
}

/// How many quicklist nodes Redis would keep `list` in, and their listpacks' bytes together.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn quicklist_shape(list: &List) -> (usize, usize) {
    let nodes = quicklist_nodes(list);
    (nodes.len(), nodes.iter().map(Listpack::byte_len).sum())
}

/// A list's elements in quicklist nodes, filled as Redis fills them when elements are pushed at
/// the tail (`list-max-listpack-size -2`).
fn quicklist_nodes(list: &List) -> Vec<Listpack> {
    let mut nodes: Vec<Listpack> = Vec::new();
    for element in list.iter() {
        let fits = nodes
            .last()
            .is_some_and(|node| node.byte_len() + element.len() + QUICKLIST_ELEMENT_OVERHEAD <= QUICKLIST_NODE_BYTES);
        if !fits {
            nodes.push(Listpack::new());
        }
        if let Some(node) = nodes.last_mut() {
            node.append(element);
        }
    }
    nodes
}

/// An integer set as Redis's intset lays it out: the width of its integers (2, 4 or 8 bytes,
/// the smallest that holds them all), their count, then the integers in order, little-endian.
fn intset_blob(set: &Set) -> Vec<u8> {
    let mut values: Vec<i64> = set.iter().filter_map(|m| crate::number::parse_i64(m)).collect();
    values.sort_unstable();
    let width: usize = if values.iter().all(|&v| i16::try_from(v).is_ok()) {
        2
    } else if values.iter().all(|&v| i32::try_from(v).is_ok()) {
        4
    } else {
        8
    };
    let mut blob = Vec::with_capacity(8 + width * values.len());
    blob.extend_from_slice(&(width as u32).to_le_bytes());
    blob.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for v in values {
        blob.extend_from_slice(&v.to_le_bytes()[..width]);
    }
    blob
}

/// A stream as Redis's RDB_TYPE_STREAM_LISTPACKS_2: its nodes (key, listpack), length, IDs and
/// counters, then its groups with their pending entries and consumers.
fn dump_stream(out: &mut Vec<u8>, stream: &Stream) {
    put_len(out, stream.node_count());
    for (key, lp) in stream.nodes() {
        put_string(out, &stream_key(*key));
        put_string(out, lp.as_bytes());
    }
    put_len(out, stream.len() as usize);
    put_id(out, stream.last_id);
    put_id(out, stream.first_id);
    put_id(out, stream.max_deleted_id);
    put_len(out, stream.entries_added as usize);
    put_len(out, stream.groups.len());
    for (name, group) in &stream.groups {
        put_string(out, name);
        put_id(out, group.last_id);
        put_len(out, group.entries_read as u64 as usize);
        put_len(out, group.pel.len());
        for (id, nack) in &group.pel {
            out.extend_from_slice(&stream_key(*id));
            put_millis(out, nack.delivery_time);
            put_len(out, nack.delivery_count as usize);
        }
        put_len(out, group.consumers.len());
        for (name, consumer) in &group.consumers {
            put_string(out, name);
            put_millis(out, consumer.seen_time);
            put_len(out, consumer.pel.len());
            for id in &consumer.pel {
                out.extend_from_slice(&stream_key(*id));
            }
        }
    }
}

/// An ID as 16 bytes, big-endian: a node's key, a pending entry's ID.
fn stream_key(id: StreamId) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&id.ms.to_be_bytes());
    key[8..].copy_from_slice(&id.seq.to_be_bytes());
    key
}

fn put_id(out: &mut Vec<u8>, id: StreamId) {
    put_len(out, id.ms as usize);
    put_len(out, id.seq as usize);
}

/// Reads a DUMP payload back into a value, collections encoded as `limits` say (RESTORE uses
/// the thresholds in force, as Redis's loading does).
pub(crate) fn restore(payload: &[u8], limits: &Encodings) -> Result<Value, RestoreError> {
    if payload.len() < 10 {
        return Err(RestoreError::Checksum);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION || crc64(&payload[..payload.len() - 8]).to_le_bytes() != footer[2..] {
        return Err(RestoreError::Checksum);
    }
    let mut reader = Reader::new(body);
    let value = load(&mut reader, limits).ok_or(RestoreError::Format)?;
    if !reader.is_done() {
        return Err(RestoreError::Format);
    }
    Ok(value)
}

/// Reads one value of any type Redis 7.0 loads (`rdbLoadObject`).
fn load(r: &mut Reader<'_>, limits: &Encodings) -> Option<Value> {
    let kind = r.byte()?;
    load_object(kind, r, limits)
}

/// Reads the body of a value of type `kind` (an RDB file's key, after the type byte and the
/// key's name; `None` for a type Redis 7.0 does not load or a damaged body).
pub(crate) fn load_object(kind: u8, r: &mut Reader<'_>, limits: &Encodings) -> Option<Value> {
    Some(match kind {
        TYPE_STRING => Value::string(r.string()?),
        TYPE_LIST => {
            let n = r.count()?;
            let elements = (0..n).map(|_| r.string()).collect::<Option<Vec<_>>>()?;
            non_empty_list(List::from_iter(elements))?
        }
        TYPE_LIST_ZIPLIST => non_empty_list(List::from_iter(ziplist_items(&r.string()?)?))?,
        TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            let nodes = r.count()?;
            let mut elements = Vec::new();
            for _ in 0..nodes {
                let container = if kind == TYPE_LIST_QUICKLIST_2 {
                    r.plain_len()?
                } else {
                    QUICKLIST_PACKED
                };
                let blob = r.string()?;
                match (container, kind) {
                    (QUICKLIST_PLAIN, _) => elements.push(blob),
                    (QUICKLIST_PACKED, TYPE_LIST_QUICKLIST) => {
                        let items = ziplist_items(&blob)?;
                        if items.is_empty() {
                            return None;
                        }
                        elements.extend(items);
                    }
                    (QUICKLIST_PACKED, _) => {
                        let items = listpack_items(blob)?;
                        if items.is_empty() {
                            return None;
                        }
                        elements.extend(items);
                    }
                    _ => return None,
                }
            }
            non_empty_list(List::from_iter(elements))?
        }
        TYPE_SET => {
            let n = r.count()?;
            let mut set = Set::default();
            for _ in 0..n {
                set.insert(&r.string()?, limits);
            }
            non_empty(Value::Set(Box::new(set)))?
        }
        TYPE_SET_INTSET => {
            let mut set = Set::default();
            for member in intset_items(&r.string()?)? {
                set.insert(member.as_bytes(), limits);
            }
            non_empty(Value::Set(Box::new(set)))?
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            let n = r.count()?;
            let mut zset = ZSet::with_size_hint(n, limits);
            for _ in 0..n {
                let member = r.string()?;
                let score = if kind == TYPE_ZSET_2 {
                    r.binary_double()?
                } else {
                    r.ascii_double()?
                };
                if score.is_nan() {
                    return None;
                }
                zset.insert(&member, score, limits);
            }
            zset.shrink_if_small(limits);
            non_empty(Value::ZSet(Box::new(zset)))?
        }
        TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            let blob = r.string()?;
            let items = if kind == TYPE_ZSET_LISTPACK {
                listpack_items(blob)?
            } else {
                ziplist_items(&blob)?
            };
            if items.len() % 2 != 0 {
                return None;
            }
            let mut zset = ZSet::default();
            for pair in items.chunks(2) {
                let score = crate::number::parse_f64(&pair[1]).filter(|s| !s.is_nan())?;
                zset.insert(&pair[0], score, limits);
            }
            non_empty(Value::ZSet(Box::new(zset)))?
        }
        TYPE_HASH => {
            let n = r.count()?;
            let mut hash = Hash::default();
            for _ in 0..n {
                let field = r.string()?;
                hash.insert(&field, r.string()?, limits);
            }
            non_empty(Value::Hash(hash))?
        }
        TYPE_HASH_ZIPMAP | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => {
            let blob = r.string()?;
            let items = match kind {
                TYPE_HASH_ZIPMAP => zipmap_items(&blob)?,
                TYPE_HASH_ZIPLIST => ziplist_items(&blob)?,
                _ => listpack_items(blob)?,
            };
            if items.len() % 2 != 0 {
                return None;
            }
            let mut hash = Hash::default();
            for pair in items.chunks(2) {
                hash.insert(&pair[0], pair[1].clone(), limits);
            }
            non_empty(Value::Hash(hash))?
        }
        TYPE_STREAM_LISTPACKS | TYPE_STREAM_LISTPACKS_2 => {
            Value::Stream(Box::new(load_stream(r, kind == TYPE_STREAM_LISTPACKS_2)?))
        }
        _ => return None,
    })
}

/// Redis refuses an empty collection in a payload.
fn non_empty(value: Value) -> Option<Value> {
    let empty = match &value {
        Value::Hash(h) => h.is_empty(),
        Value::Set(s) => s.is_empty(),
        Value::ZSet(z) => z.is_empty(),
        _ => false,
    };
    (!empty).then_some(value)
}

fn non_empty_list(list: List) -> Option<Value> {
    (!list.is_empty()).then(|| Value::List(Box::new(list)))
}

/// The elements of a listpack blob, checked whole.
fn listpack_items(blob: Vec<u8>) -> Option<Vec<Vec<u8>>> {
    let lp = Listpack::from_bytes(blob)?;
    let mut items = Vec::new();
    let mut at = lp.first();
    while let Some(p) = at {
        items.push(lp.get(p).to_vec());
        at = lp.next(p);
    }
    Some(items)
}

/// The elements of a ziplist blob (the encoding before listpacks): a 10-byte header, entries
/// each with the previous entry's length, an encoding and the content, and 0xFF.
fn ziplist_items(blob: &[u8]) -> Option<Vec<Vec<u8>>> {
    if blob.len() < 11 || u32::from_le_bytes(blob[..4].try_into().ok()?) as usize != blob.len() {
        return None;
    }
    let mut at = 10;
    let mut items = Vec::new();
    loop {
        let b = *blob.get(at)?;
        if b == 0xFF {
            break;
        }
        // The previous entry's length: one byte, or 0xFE and four more.
        at += if b == 0xFE { 5 } else { 1 };
        let enc = *blob.get(at)?;
        let (size, item) = match enc >> 6 {
            0 => {
                let len = (enc & 0x3f) as usize;
                (1 + len, blob.get(at + 1..at + 1 + len)?.to_vec())
            }
            1 => {
                let len = (((enc & 0x3f) as usize) << 8) | *blob.get(at + 1)? as usize;
                (2 + len, blob.get(at + 2..at + 2 + len)?.to_vec())
            }
            2 => {
                let len = u32::from_be_bytes(blob.get(at + 1..at + 5)?.try_into().ok()?) as usize;
                (
                    5 + len,
                    blob.get(at + 5..at.checked_add(5)?.checked_add(len)?)?.to_vec(),
                )
            }
            _ => {
                let width = match enc {
                    0xC0 => 2,
                    0xD0 => 4,
                    0xE0 => 8,
                    0xF0 => 3,
                    0xFE => 1,
                    0xF1..=0xFD => 0,
                    _ => return None,
                };
                let bytes = blob.get(at + 1..at + 1 + width)?;
                let mut le = [0u8; 8];
                le[..width].copy_from_slice(bytes);
                let value = match width {
                    0 => (enc & 0x0f) as i64 - 1,
                    // Sign-extended from the field's width.
                    w => (i64::from_le_bytes(le) << (64 - 8 * w)) >> (64 - 8 * w),
                };
                (1 + width, crate::number::format_i64(value))
            }
        };
        at += size;
        items.push(item);
    }
    (at == blob.len() - 1).then_some(items)
}

/// The fields and values of a zipmap blob (Redis 2.4's small hashes).
fn zipmap_items(blob: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut at = 1;
    let mut items = Vec::new();
    let read_len = |at: &mut usize| -> Option<usize> {
        let b = *blob.get(*at)?;
        *at += 1;
        match b {
            0..=253 => Some(b as usize),
            254 => {
                let len = u32::from_le_bytes(blob.get(*at..*at + 4)?.try_into().ok()?) as usize;
                *at += 4;
                Some(len)
            }
            _ => None,
        }
    };
    while *blob.get(at)? != 0xFF {
        let len = read_len(&mut at)?;
        items.push(blob.get(at..at.checked_add(len)?)?.to_vec());
        at += len;
        let len = read_len(&mut at)?;
        let free = *blob.get(at)? as usize;
        at += 1;
        items.push(blob.get(at..at.checked_add(len)?)?.to_vec());
        at += len + free;
    }
    (at == blob.len() - 1).then_some(items)
}

/// The members of an intset blob, as decimal strings.
fn intset_items(blob: &[u8]) -> Option<Vec<String>> {
    let width = u32::from_le_bytes(blob.get(..4)?.try_into().ok()?) as usize;
    let count = u32::from_le_bytes(blob.get(4..8)?.try_into().ok()?) as usize;
    if ![2, 4, 8].contains(&width) || blob.len() != 8 + width.checked_mul(count)? || count == 0 {
        return None;
    }
    Some(
        blob[8..]
            .chunks(width)
            .map(|c| match width {
                2 => i16::from_le_bytes([c[0], c[1]]) as i64,
                4 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
                _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
            })
            .map(|v| v.to_string())
            .collect(),
    )
}

fn read_id(r: &mut Reader<'_>) -> Option<StreamId> {
    Some(StreamId::new(r.plain_len()? as u64, r.plain_len()? as u64))
}

fn raw_id(r: &mut Reader<'_>) -> Option<StreamId> {
    let key = r.take(16)?;
    Some(StreamId::new(
        u64::from_be_bytes(key[..8].try_into().ok()?),
        u64::from_be_bytes(key[8..].try_into().ok()?),
    ))
}

/// A stream (`rdbLoadObject`'s stream case): RDB_TYPE_STREAM_LISTPACKS_2 with its first ID,
/// largest deleted ID, entries added and groups' read counts, or the older form without them
/// (worked out then as Redis works them out).
fn load_stream(r: &mut Reader<'_>, v2: bool) -> Option<Stream> {
    let mut stream = Stream::default();
    for _ in 0..r.count()? {
        let key = r.string()?;
        if key.len() != 16 {
            return None;
        }
        let master = StreamId::new(
            u64::from_be_bytes(key[..8].try_into().ok()?),
            u64::from_be_bytes(key[8..].try_into().ok()?),
        );
        let lp = Listpack::from_bytes(r.string()?)?;
        if lp.first().is_none() || !stream.push_node(master, lp) {
            return None;
        }
    }
    let length = r.plain_len()? as u64;
    if length != stream.len() {
        return None;
    }
    stream.last_id = read_id(r)?;
    if v2 {
        stream.first_id = read_id(r)?;
        stream.max_deleted_id = read_id(r)?;
        stream.entries_added = r.plain_len()? as u64;
    } else {
        stream.entries_added = stream.len();
        stream.first_id = stream.edge_id(false).unwrap_or(StreamId::MIN);
    }
    if stream.edge_id(true).is_some_and(|last| last > stream.last_id) {
        return None;
    }
    for _ in 0..r.count()? {
        let name = r.string()?;
        let last_id = read_id(r)?;
        let entries_read = if v2 {
            r.plain_len()? as u64 as i64
        } else {
            stream.distance_from_first_ever(last_id)
        };
        let mut group = Group::new(last_id, entries_read);
        for _ in 0..r.count()? {
            let id = raw_id(r)?;
            let delivery_time = r.millis()?;
            let delivery_count = r.plain_len()? as u64;
            group.pel.insert(
                id,
                Nack {
                    delivery_time,
                    delivery_count,
                    consumer: Vec::new(),
                },
            );
        }
        let mut owned = std::collections::BTreeSet::new();
        for _ in 0..r.count()? {
            let cname = r.string()?;
            let seen_time = r.millis()?;
            let mut consumer = Consumer {
                seen_time,
                pel: Default::default(),
            };
            for _ in 0..r.count()? {
                let id = raw_id(r)?;
                // Every consumer's entry must be one of the group's, owned once.
                if !owned.insert(id) {
                    return None;
                }
                group.pel.get_mut(&id)?.consumer = cname.clone();
                consumer.pel.insert(id);
            }
            if group.consumers.insert(cname, consumer).is_some() {
                return None;
            }
        }
        // …and every group's entry a consumer's.
        if owned.len() != group.pel.len() {
            return None;
        }
        if stream.groups.insert(name, group).is_some() {
            return None;
        }
    }
    Some(stream)
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

    /// Every type, small and large: what RESTORE reads back DUMPs to the same payload.
    #[test]
    fn values_round_trip() {
        let limits = Encodings::default();
        let big = |n: usize| (0..n).map(|i| format!("member-{i}").into_bytes());
        let mut zset = ZSet::default();
        zset.insert(b"a", 1.5, &limits);
        zset.insert(b"b", f64::NEG_INFINITY, &limits);
        let mut large_zset = ZSet::default();
        for (i, m) in big(300).enumerate() {
            large_zset.insert(&m, i as f64 / 3.0, &limits);
        }
        let mut hash = Hash::default();
        hash.insert(b"f", b"v".to_vec(), &limits);
        let mut large_hash = Hash::default();
        for m in big(600) {
            large_hash.insert(&m, m.clone(), &limits);
        }
        let mut set = Set::default();
        set.insert(b"x", &limits);
        let mut ints = Set::default();
        for n in [-5i64, 70_000, 3] {
            ints.insert(n.to_string().as_bytes(), &limits);
        }
        for value in [
            Value::string(b"hello".to_vec()),
            Value::string(b"42".to_vec()),
            Value::string(vec![b'x'; 100]),
            Value::List(Box::new(List::from_iter([b"a".to_vec(), b"".to_vec()]))),
            Value::List(Box::new(List::from_iter(big(5000)))),
            Value::Hash(hash),
            Value::Hash(large_hash),
            Value::Set(Box::new(set)),
            Value::Set(Box::new(ints)),
            Value::ZSet(Box::new(zset)),
            Value::ZSet(Box::new(large_zset)),
            Value::Stream(Box::new(sample_stream())),
        ] {
            let payload = dump(&value, true);
            let restored = restore(&payload, &limits).expect("restores");
            assert_eq!(dump(&restored, true), payload, "{}", value.type_name());
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
        assert_eq!(restore(&dump(&value, true), &Encodings::default()), Ok(value));
    }

    /// Any byte of a stream's payload changed (the checksum made right again) is refused or
    /// read back into a stream that every read works on: never a panic.
    #[test]
    fn damaged_stream_payloads_never_panic() {
        let payload = dump(&Value::Stream(Box::new(sample_stream())), true);
        let body = payload.len() - 10;
        for at in 1..body {
            for flip in [1u8, 0x80, 0xFF] {
                let mut damaged = payload[..body].to_vec();
                damaged[at] ^= flip;
                damaged.extend_from_slice(&RDB_VERSION.to_le_bytes());
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
        let mut payload = dump(&Value::string(b"hello".to_vec()), true);
        payload[3] ^= 1;
        assert_eq!(restore(&payload, &Encodings::default()), Err(RestoreError::Checksum));
        // A payload Redis 7.0 produced for the string "v" restores.
        let redis = b"\x00\x01v\n\x00\x91\x08\xce\xb2\x198\x8a\xce";
        assert_eq!(restore(redis, &Encodings::default()), Ok(Value::string(b"v".to_vec())));
        assert_eq!(restore(b"", &Encodings::default()), Err(RestoreError::Checksum));
    }
}
