//! A stream value, laid out as Redis 7.0 lays it out: entries in nodes of a sorted map (Redis's
//! radix tree) keyed by each node's first ID, each node a [`Listpack`] in Redis's own node
//! format, so that nodes fill and split exactly where Redis's do; then the consumer groups, each
//! with its pending entries list (PEL) and its consumers.
//!
//! A node's listpack holds a *master entry* — the live count, the deleted count, the first
//! entry's field names and a 0 — then each entry: its flags (deleted, same fields as the master),
//! its ID as a difference from the node's key, its fields (or only its values when they have the
//! master's fields), and how many elements it took (so the node can be read backwards). Deleting
//! an entry only flags it; a node goes when its last live entry does.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::listpack::Listpack;

/// An entry's flag: deleted (XDEL, an exact trim in the middle of a node).
const FLAG_DELETED: i64 = 1;
/// An entry's flag: its fields are the master entry's, and only its values are stored.
const FLAG_SAMEFIELDS: i64 = 2;
/// The largest node, whatever `stream-node-max-bytes` says, and the most an entry's fields and
/// values may take in all (Redis's `STREAM_LISTPACK_MAX_SIZE`).
const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// A stream entry's ID: milliseconds and a sequence number, ordered as a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct StreamId {
    pub(crate) ms: u64,
    pub(crate) seq: u64,
}

impl StreamId {
    /// `0-0`.
    pub(crate) const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest ID.
    pub(crate) const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub(crate) fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID, `None` past the largest.
    pub(crate) fn incr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID, `None` before `0-0`.
    pub(crate) fn decr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    pub(crate) fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The ID as Redis writes it: `ms-seq`.
    pub(crate) fn to_bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// An entry read out of a stream: its ID and its fields and values, alternating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamEntry {
    pub(crate) id: StreamId,
    pub(crate) fields: Vec<Vec<u8>>,
}

/// Where a node ends (`stream-node-max-bytes`, `stream-node-max-entries`; 0: no bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NodeLimits {
    pub(crate) max_bytes: usize,
    pub(crate) max_entries: usize,
}

/// The ID an XADD asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdRequest {
    /// `*`: from the clock.
    Auto,
    /// `ms-*`: these milliseconds, the next sequence number.
    Millis(u64),
    /// `ms-seq`.
    Exact(StreamId),
}

/// Why an entry could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddError {
    /// The ID is not above the stream's last one.
    NotGreater,
    /// The fields and values take more than a node can hold (or the sequence is exhausted).
    TooLarge,
}

/// How a trim picks what goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrimBy {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Keep no entry below this ID.
    MinId(StreamId),
}

/// A trim (XTRIM, XADD's MAXLEN/MINID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Trim {
    pub(crate) by: TrimBy,
    /// `~`: only whole nodes go.
    pub(crate) approx: bool,
    /// At most this many entries go (0: no bound).
    pub(crate) limit: u64,
}

/// A message delivered to a consumer and not yet acknowledged (Redis's `streamNACK`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Nack {
    /// When it was last delivered, Unix milliseconds.
    pub(crate) delivery_time: i64,
    pub(crate) delivery_count: u64,
    /// The consumer it was last delivered to.
    pub(crate) consumer: Vec<u8>,
}

/// A consumer of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Consumer {
    /// When it last read or claimed, Unix milliseconds.
    pub(crate) seen_time: i64,
    /// The IDs pending for it (their details are in the group's PEL).
    pub(crate) pel: BTreeSet<StreamId>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// The last ID delivered to the group.
    pub(crate) last_id: StreamId,
    /// How many entries the group has read, if known (-1: not known).
    pub(crate) entries_read: i64,
    pub(crate) pel: BTreeMap<StreamId, Nack>,
    pub(crate) consumers: BTreeMap<Vec<u8>, Consumer>,
}

impl Group {
    pub(crate) fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Forgets a pending entry (acknowledged, or its entry is gone); answers whether it was
    /// pending.
    pub(crate) fn ack(&mut self, id: StreamId) -> bool {
        match self.pel.remove(&id) {
            Some(nack) => {
                if let Some(consumer) = self.consumers.get_mut(&nack.consumer) {
                    consumer.pel.remove(&id);
                }
                true
            }
            None => false,
        }
    }

    /// Gives the pending entry `id` to `consumer` (which must exist), leaving the one that had it.
    pub(crate) fn reassign(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(nack) = self.pel.get_mut(&id) else {
            return;
        };
        if nack.consumer != consumer {
            if let Some(old) = self.consumers.get_mut(&nack.consumer) {
                old.pel.remove(&id);
            }
            nack.consumer = consumer.to_vec();
        }
        if let Some(new) = self.consumers.get_mut(consumer) {
            new.pel.insert(id);
        }
    }

    /// Removes a consumer and its pending entries; answers how many it had, `None` if there
    /// was no such consumer.
    pub(crate) fn remove_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }
}

/// A stream (see the module's documentation).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Stream {
    nodes: BTreeMap<StreamId, Listpack>,
    length: u64,
    /// The last ID added or set (XSETID); 0-0 for a new stream.
    pub(crate) last_id: StreamId,
    /// The first live entry's ID, 0-0 when empty.
    pub(crate) first_id: StreamId,
    /// The largest ID ever deleted.
    pub(crate) max_deleted_id: StreamId,
    /// How many entries were ever added.
    pub(crate) entries_added: u64,
    /// The consumer groups by name (in byte order, as Redis lists them).
    pub(crate) groups: BTreeMap<Vec<u8>, Group>,
}

/// An entry's place in a node, as read from its listpack.
#[derive(Debug, Clone, Copy)]
struct RawEntry {
    /// The position of its flags.
    flags_pos: usize,
    flags: i64,
    id: StreamId,
    /// How many fields it has.
    fields: usize,
    /// The position of its first field (or first value, with the master's fields).
    body: Option<usize>,
}

/// A node's master entry: its field names' first position and count, and where its entries
/// start.
struct NodeView {
    master_fields: usize,
    master_start: Option<usize>,
    first_entry: Option<usize>,
}

/// Reads a node's master entry.
fn read_node(lp: &Listpack) -> NodeView {
    let count_pos = lp.first().expect("a stream node starts with its counts");
    let fields_pos = lp.skip(count_pos, 2).expect("master field count");
    let (count, master_start) = lp.read(fields_pos);
    let master_fields = count.int().max(0) as usize;
    // Past the master's fields and its closing 0.
    let first_entry = master_start.and_then(|at| lp.skip(at, master_fields + 1));
    NodeView {
        master_fields,
        master_start,
        first_entry,
    }
}

/// The entries of a node (deleted ones too), read one at a time from the front.
struct NodeEntries<'a> {
    lp: &'a Listpack,
    master: StreamId,
    master_fields: usize,
    at: Option<usize>,
}

impl<'a> NodeEntries<'a> {
    fn new(master: StreamId, lp: &'a Listpack, view: &NodeView) -> NodeEntries<'a> {
        NodeEntries {
            lp,
            master,
            master_fields: view.master_fields,
            at: view.first_entry,
        }
    }
}

impl Iterator for NodeEntries<'_> {
    type Item = RawEntry;

    fn next(&mut self) -> Option<RawEntry> {
        let lp = self.lp;
        let flags_pos = self.at?;
        let (flags, ms_pos) = lp.read(flags_pos);
        let flags = flags.int();
        let (ms, seq_pos) = lp.read(ms_pos.expect("ms delta"));
        let (seq, after) = lp.read(seq_pos.expect("seq delta"));
        let id = StreamId::new(
            self.master.ms.wrapping_add(ms.int() as u64),
            self.master.seq.wrapping_add(seq.int() as u64),
        );
        let (fields, body, elements) = if flags & FLAG_SAMEFIELDS != 0 {
            (self.master_fields, after, self.master_fields)
        } else {
            let (n, body) = lp.read(after.expect("field count"));
            let n = n.int().max(0) as usize;
            (n, body, 2 * n)
        };
        // Past the fields to the entry's closing count; the next entry follows it.
        self.at = body.and_then(|at| lp.skip(at, elements + 1));
        Some(RawEntry {
            flags_pos,
            flags,
            id,
            fields,
            body,
        })
    }
}

/// An entry's fields and values, alternating.
fn entry_fields(lp: &Listpack, view: &NodeView, entry: &RawEntry) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(entry.fields * 2);
    let mut at = entry.body;
    if entry.flags & FLAG_SAMEFIELDS != 0 {
        let mut field = view.master_start;
        for _ in 0..entry.fields.min(view.master_fields) {
            let (Some(f), Some(v)) = (field, at) else { break };
            out.push(lp.get(f).to_vec());
            out.push(lp.get(v).to_vec());
            field = lp.next(f);
            at = lp.next(v);
        }
    } else {
        for _ in 0..entry.fields * 2 {
            let Some(p) = at else { break };
            out.push(lp.get(p).to_vec());
            at = lp.next(p);
        }
    }
    out
}

impl Stream {
    /// How many live entries (XLEN).
    pub(crate) fn len(&self) -> u64 {
        self.length
    }

    /// How many nodes (XINFO's `radix-tree-keys`).
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes' listpacks, in order, with their keys.
    pub(crate) fn nodes(&self) -> impl Iterator<Item = (&StreamId, &Listpack)> + '_ {
        self.nodes.iter()
    }

    /// How many nodes Redis's radix tree would have for these node keys (XINFO's
    /// `radix-tree-nodes`): a compressed trie of the 16-byte big-endian keys, one node per
    /// branch and per unbranched run, and a leaf per key.
    pub(crate) fn radix_tree_nodes(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|id| encode_id(*id)).collect();
        if keys.is_empty() {
            return 1;
        }
        trie_nodes(&keys, 0)
    }

    /// Adds an entry (`pairs`: fields and values, alternating) with the ID `request` asks for,
    /// `now_ms` giving `*` IDs; answers the ID (Redis's `streamAppendItem`).
    pub(crate) fn add(
        &mut self,
        request: IdRequest,
        now_ms: u64,
        pairs: &[&[u8]],
        limits: NodeLimits,
    ) -> Result<StreamId, AddError> {
        let id = match request {
            IdRequest::Exact(id) => id,
            IdRequest::Millis(ms) if ms == self.last_id.ms => {
                if self.last_id.seq == u64::MAX {
                    return Err(AddError::TooLarge);
                }
                StreamId::new(ms, self.last_id.seq + 1)
            }
            IdRequest::Millis(ms) => StreamId::new(ms, 0),
            IdRequest::Auto if now_ms > self.last_id.ms => StreamId::new(now_ms, 0),
            IdRequest::Auto => self.last_id.incr().unwrap_or(StreamId::MIN),
        };
        if id <= self.last_id {
            return Err(AddError::NotGreater);
        }
        let total: usize = pairs.iter().map(|p| p.len()).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        let fields = pairs.len() / 2;
        let max_bytes = match limits.max_bytes {
            0 => LISTPACK_MAX_SIZE,
            n => n.min(LISTPACK_MAX_SIZE),
        };
        let tail = self.nodes.last_key_value().map(|(key, lp)| (*key, lp));
        let start_new = match tail {
            None => true,
            Some((_, lp)) if lp.byte_len() + total >= max_bytes => true,
            Some((_, lp)) if limits.max_entries > 0 => {
                let count_pos = lp.first().expect("node counts");
                let live = lp.get_int(count_pos);
                let deleted = lp.get_int(lp.next(count_pos).expect("deleted count"));
                live + deleted >= limits.max_entries as i64
            }
            Some(_) => false,
        };
        let mut flags = 0;
        let master = if start_new {
            if let Some(lp) = self.nodes.values_mut().next_back() {
                lp.shrink_to_fit();
            }
            let mut lp = Listpack::new();
            lp.append_int(1);
            lp.append_int(0);
            lp.append_int(fields as i64);
            for pair in pairs.chunks(2) {
                lp.append(pair[0]);
            }
            lp.append_int(0);
            self.nodes.insert(id, lp);
            flags |= FLAG_SAMEFIELDS;
            id
        } else {
            let (&master, lp) = self.nodes.iter_mut().next_back().expect("a tail node");
            let count_pos = lp.first().expect("node counts");
            lp.replace_int(count_pos, lp.get_int(count_pos) + 1);
            let deleted_pos = lp.next(count_pos).expect("deleted count");
            let fields_pos = lp.next(deleted_pos).expect("master field count");
            if lp.get_int(fields_pos) == fields as i64 {
                let mut at = lp.next(fields_pos);
                let same = pairs.chunks(2).all(|pair| match at {
                    Some(p) if lp.get(p).to_vec() == pair[0] => {
                        at = lp.next(p);
                        true
                    }
                    _ => false,
                });
                if same {
                    flags |= FLAG_SAMEFIELDS;
                }
            }
            master
        };
        let lp = self.nodes.get_mut(&master).expect("the node just chosen");
        lp.append_int(flags);
        lp.append_int(id.ms.wrapping_sub(master.ms) as i64);
        lp.append_int(id.seq.wrapping_sub(master.seq) as i64);
        if flags & FLAG_SAMEFIELDS == 0 {
            lp.append_int(fields as i64);
        }
        for pair in pairs.chunks(2) {
            if flags & FLAG_SAMEFIELDS == 0 {
                lp.append(pair[0]);
            }
            lp.append(pair[1]);
        }
        let mut lp_count = fields as i64 + 3;
        if flags & FLAG_SAMEFIELDS == 0 {
            lp_count += fields as i64 + 1;
        }
        lp.append_int(lp_count);
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Visits the live entries with IDs in `start..=end`, in order (from the end if `rev`),
    /// until `visit` answers false. `visit` gets the entry's node, the node read, and the entry.
    fn scan(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        mut visit: impl FnMut(&Listpack, &NodeView, &RawEntry) -> bool,
    ) {
        if start > end {
            return;
        }
        // Forward from the node holding `start` (the last keyed at or below it); backward from
        // the node holding `end`.
        let nodes: Box<dyn Iterator<Item = (&StreamId, &Listpack)>> = if rev {
            Box::new(self.nodes.range(..=end).rev())
        } else {
            let first = self
                .nodes
                .range(..=start)
                .next_back()
                .map_or(StreamId::MIN, |(k, _)| *k);
            Box::new(self.nodes.range(first..))
        };
        for (master, lp) in nodes {
            let view = read_node(lp);
            let mut forward;
            let mut backward;
            let in_order: &mut dyn Iterator<Item = RawEntry> = if rev {
                backward = NodeEntries::new(*master, lp, &view)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev();
                &mut backward
            } else {
                forward = NodeEntries::new(*master, lp, &view);
                &mut forward
            };
            for entry in in_order {
                if entry.flags & FLAG_DELETED != 0 {
                    continue;
                }
                let (before, past) = if rev {
                    (entry.id > end, entry.id < start)
                } else {
                    (entry.id < start, entry.id > end)
                };
                if past {
                    return;
                }
                if !before && !visit(lp, &view, &entry) {
                    return;
                }
            }
        }
    }

    /// The live entries with IDs in `start..=end`, at most `count` of them (0: all), from the
    /// start or from the end (XRANGE, XREVRANGE).
    pub(crate) fn range(&self, start: StreamId, end: StreamId, count: usize, rev: bool) -> Vec<StreamEntry> {
        let mut out = Vec::new();
        self.scan(start, end, rev, |lp, view, entry| {
            out.push(StreamEntry {
                id: entry.id,
                fields: entry_fields(lp, view, entry),
            });
            count == 0 || out.len() < count
        });
        out
    }

    /// The live entry `id`, if there is one.
    pub(crate) fn get(&self, id: StreamId) -> Option<StreamEntry> {
        self.range(id, id, 1, false).pop()
    }

    /// Whether the live entry `id` exists.
    pub(crate) fn contains(&self, id: StreamId) -> bool {
        let mut found = false;
        self.scan(id, id, false, |_, _, _| {
            found = true;
            false
        });
        found
    }

    /// The first live entry's ID (or the last's), if any.
    pub(crate) fn edge_id(&self, last: bool) -> Option<StreamId> {
        let mut edge = None;
        self.scan(StreamId::MIN, StreamId::MAX, last, |_, _, entry| {
            edge = Some(entry.id);
            false
        });
        edge
    }

    /// Flags the live entry `id` deleted (the node goes with its last live entry); answers
    /// whether there was one. The caller keeps `first_id` and `max_deleted_id`.
    pub(crate) fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master, lp)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(entry) =
            NodeEntries::new(master, lp, &read_node(lp)).find(|e| e.id == id && e.flags & FLAG_DELETED == 0)
        else {
            return false;
        };
        let count_pos = lp.first().expect("node counts");
        let live = lp.get_int(count_pos);
        if live == 1 {
            self.nodes.remove(&master);
        } else {
            lp.replace_int(entry.flags_pos, entry.flags | FLAG_DELETED);
            lp.replace_int(count_pos, live - 1);
            let deleted_pos = lp.next(count_pos).expect("deleted count");
            lp.replace_int(deleted_pos, lp.get_int(deleted_pos) + 1);
        }
        self.length -= 1;
        true
    }

    /// After deletions: the first live ID again, 0-0 when empty.
    pub(crate) fn refresh_first_id(&mut self) {
        self.first_id = if self.length == 0 {
            StreamId::MIN
        } else {
            self.edge_id(false).unwrap_or(StreamId::MIN)
        };
    }

    /// Trims as Redis's `streamTrim` does: whole nodes from the front while they all go, then,
    /// unless approximate, entries of the next node; answers how many entries went.
    pub(crate) fn trim(&mut self, trim: Trim) -> u64 {
        let mut deleted: u64 = 0;
        let keys: Vec<StreamId> = self.nodes.keys().copied().collect();
        for master in keys {
            if let TrimBy::MaxLen(max) = trim.by
                && self.length <= max
            {
                break;
            }
            let lp = self.nodes.get_mut(&master).expect("a node listed above");
            let count_pos = lp.first().expect("node counts");
            let entries = lp.get_int(count_pos) as u64;
            if trim.limit != 0 && deleted + entries > trim.limit {
                break;
            }
            let remove_node = match trim.by {
                TrimBy::MaxLen(max) => self.length - entries >= max,
                TrimBy::MinId(min) => NodeEntries::new(master, lp, &read_node(lp))
                    .last()
                    .is_some_and(|last| last.id < min),
            };
            if remove_node {
                self.nodes.remove(&master);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if trim.approx {
                break;
            }
            let entries_here: Vec<RawEntry> = NodeEntries::new(master, lp, &read_node(lp)).collect();
            let mut deleted_here = 0;
            for entry in &entries_here {
                let stop = match trim.by {
                    TrimBy::MaxLen(max) => self.length <= max,
                    TrimBy::MinId(min) => entry.id >= min,
                };
                if stop {
                    break;
                }
                if entry.flags & FLAG_DELETED == 0 {
                    // Same-size flags (0..3 are one byte): positions read above stay valid.
                    lp.replace_int(entry.flags_pos, entry.flags | FLAG_DELETED);
                    deleted_here += 1;
                    self.length -= 1;
                }
            }
            deleted += deleted_here;
            let count_pos = lp.first().expect("node counts");
            lp.replace_int(count_pos, (entries - deleted_here) as i64);
            let deleted_pos = lp.next(count_pos).expect("deleted count");
            lp.replace_int(deleted_pos, lp.get_int(deleted_pos) + deleted_here as i64);
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// Whether an entry between `start` and `end` (the end of the stream for `None`) may have
    /// been deleted (Redis's `streamRangeHasTombstones`).
    pub(crate) fn range_has_tombstones(&self, start: StreamId, end: Option<StreamId>) -> bool {
        if self.length == 0 || self.max_deleted_id.is_zero() || self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id && self.max_deleted_id <= end.unwrap_or(StreamId::MAX)
    }

    /// How many entries came before `id` since the stream began, if that can be known (Redis's
    /// `streamEstimateDistanceFromFirstEverEntry`; -1: not known).
    pub(crate) fn distance_from_first_ever(&self, id: StreamId) -> i64 {
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return self.entries_added as i64;
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return self.entries_added as i64,
            std::cmp::Ordering::Greater => return -1,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted_id.is_zero() || self.max_deleted_id < self.first_id {
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return (self.entries_added - self.length) as i64,
                std::cmp::Ordering::Equal => return (self.entries_added - self.length + 1) as i64,
                std::cmp::Ordering::Greater => {}
            }
        }
        -1
    }

    /// A group's lag: entries not yet read by it, if that can be known.
    pub(crate) fn lag(&self, group: &Group) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != -1 && !self.range_has_tombstones(group.last_id, None) {
            return Some(self.entries_added as i64 - group.entries_read);
        }
        match self.distance_from_first_ever(group.last_id) {
            -1 => None,
            read => Some(self.entries_added as i64 - read),
        }
    }

    /// Reads entries from `start` for `consumer` of group `group` (both must exist), at most
    /// `count` (0: all): the group's last ID and read count move past them, and unless `noack`
    /// each becomes pending for the consumer, delivered at `now` (Redis's
    /// `streamReplyWithRange` with a group).
    pub(crate) fn read_group(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        noack: bool,
        now: i64,
    ) -> Vec<StreamEntry> {
        let entries = self.range(start, StreamId::MAX, count, false);
        for entry in &entries {
            let id = entry.id;
            let tombstones = self.range_has_tombstones(id, None);
            let distance = (self.entries_added > 0).then(|| self.distance_from_first_ever(id));
            let Some(g) = self.groups.get_mut(group) else {
                break;
            };
            if id > g.last_id {
                if g.entries_read != -1 && !tombstones {
                    g.entries_read += 1;
                } else if let Some(distance) = distance {
                    g.entries_read = distance;
                }
                g.last_id = id;
            }
            if !noack {
                match g.pel.get_mut(&id) {
                    Some(nack) => {
                        nack.delivery_time = now;
                        nack.delivery_count = 1;
                    }
                    None => {
                        g.pel.insert(
                            id,
                            Nack {
                                delivery_time: now,
                                delivery_count: 1,
                                consumer: consumer.to_vec(),
                            },
                        );
                    }
                }
                g.reassign(id, consumer);
            }
        }
        entries
    }

    /// Reads `consumer`'s own pending entries from `start` (XREADGROUP with an ID), at most
    /// `count` (0: all); an entry since deleted reads as its ID alone (`None`). Each one read
    /// counts as delivered again at `now`.
    pub(crate) fn read_history(
        &mut self,
        group: &[u8],
        consumer: &[u8],
        start: StreamId,
        count: usize,
        now: i64,
    ) -> Vec<(StreamId, Option<StreamEntry>)> {
        let ids: Vec<StreamId> = match self.groups.get(group).and_then(|g| g.consumers.get(consumer)) {
            Some(c) => c
                .pel
                .range(start..)
                .take(if count == 0 { usize::MAX } else { count })
                .copied()
                .collect(),
            None => return Vec::new(),
        };
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let entry = self.get(id);
            if entry.is_some()
                && let Some(nack) = self.groups.get_mut(group).and_then(|g| g.pel.get_mut(&id))
            {
                nack.delivery_time = now;
                nack.delivery_count += 1;
            }
            out.push((id, entry));
        }
        out
    }

    /// Memory held beyond the value itself, for MEMORY USAGE and the eviction estimate.
    pub(crate) fn heap_bytes(&self) -> usize {
        const NODE: usize = 64;
        let nodes: usize = self.nodes.values().map(|lp| lp.capacity() + NODE).sum();
        let groups: usize = self
            .groups
            .iter()
            .map(|(name, g)| {
                name.len()
                    + NODE
                    + g.pel.values().map(|n| n.consumer.len() + NODE).sum::<usize>()
                    + g.consumers
                        .iter()
                        .map(|(name, c)| name.len() + NODE + c.pel.len() * 24)
                        .sum::<usize>()
            })
            .sum();
        std::mem::size_of::<Stream>() + nodes + groups
    }

    /// How much work freeing it is, as Redis estimates it for lazy freeing: the radix tree's
    /// nodes, and per group one plus the first group's pending entries.
    pub(crate) fn free_effort(&self) -> usize {
        let groups = match self.groups.values().next() {
            Some(first) => self.groups.len() * (1 + first.pel.len()),
            None => 0,
        };
        self.radix_tree_nodes() + groups
    }

    /// Adds a node read back from a payload, if it is a well-formed stream node with live
    /// entries and comes after the nodes already there (Redis's checks when loading).
    pub(crate) fn push_node(&mut self, master: StreamId, lp: Listpack) -> bool {
        let Some(live) = node_live_count(&lp) else {
            return false;
        };
        let after_the_rest = self.nodes.last_key_value().is_none_or(|(last, _)| *last < master);
        if live == 0 || !after_the_rest {
            return false;
        }
        self.nodes.insert(master, lp);
        self.length += live;
        true
    }
}

/// The element at `p` as an integer, if it is one.
fn int_at(lp: &Listpack, p: Option<usize>) -> Option<i64> {
    match lp.get(p?) {
        super::listpack::Item::Int(n) => Some(n),
        super::listpack::Item::Str(s) => crate::number::parse_i64(s),
    }
}

/// The live entry count of a stream node, if `lp` is a well-formed one: its counts, master
/// fields and every entry's elements where they must be, as Redis's deep
/// `streamValidateListpackIntegrity` checks them.
fn node_live_count(lp: &Listpack) -> Option<u64> {
    let mut p = lp.first();
    let live = int_at(lp, p)?;
    p = lp.next(p?);
    let deleted = int_at(lp, p)?;
    p = lp.next(p?);
    let master_fields = int_at(lp, p)?;
    if live < 0 || deleted < 0 || master_fields < 0 {
        return None;
    }
    for _ in 0..=master_fields {
        p = lp.next(p?);
    }
    if int_at(lp, p)? != 0 {
        return None;
    }
    p = lp.next(p?);
    let mut flagged_deleted = 0;
    for _ in 0..live.checked_add(deleted)? {
        let flags = int_at(lp, p)?;
        if flags & FLAG_DELETED != 0 {
            flagged_deleted += 1;
        }
        p = lp.next(p?);
        int_at(lp, p)?;
        p = lp.next(p?);
        int_at(lp, p)?;
        let (fields, elements, extra) = if flags & FLAG_SAMEFIELDS != 0 {
            (master_fields, master_fields, 3)
        } else {
            p = lp.next(p?);
            let n = int_at(lp, p)?;
            if n < 0 {
                return None;
            }
            (n, n.checked_mul(2)?, n + 4)
        };
        for _ in 0..elements {
            p = lp.next(p?);
        }
        p = lp.next(p?);
        if int_at(lp, p)? != fields + extra {
            return None;
        }
        p = lp.next(p?);
    }
    (p.is_none() && flagged_deleted == deleted).then_some(live as u64)
}

/// An ID as the radix tree's key: 16 bytes, big-endian.
fn encode_id(id: StreamId) -> [u8; 16] {
    let mut key = [0; 16];
    key[..8].copy_from_slice(&id.ms.to_be_bytes());
    key[8..].copy_from_slice(&id.seq.to_be_bytes());
    key
}

/// The nodes of a compressed trie holding `keys` (sorted, distinct, all the same length) from
/// byte `depth` on.
fn trie_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    if depth == 16 {
        return 1;
    }
    let first = &keys[0];
    let last = &keys[keys.len() - 1];
    // The bytes all keys share from `depth`: one compressed node covers them.
    let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
    if common > 0 {
        return 1 + trie_nodes(keys, depth + common);
    }
    // They differ at `depth`: a branch node, a child per distinct byte.
    let mut nodes = 1;
    let mut start = 0;
    while start < keys.len() {
        let byte = keys[start][depth];
        let end = start + keys[start..].iter().take_while(|k| k[depth] == byte).count();
        nodes += trie_nodes(&keys[start..end], depth + 1);
        start = end;
    }
    nodes
}

/// The sizes of an entry's elements once in a node, for tests of node boundaries.
#[cfg(test)]
fn entry_bytes(pairs: &[&[u8]]) -> usize {
    pairs.iter().map(|p| super::listpack::element_size(p)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };

    fn add(s: &mut Stream, ms: u64, seq: u64, pairs: &[&[u8]]) -> StreamId {
        s.add(IdRequest::Exact(StreamId::new(ms, seq)), 0, pairs, LIMITS)
            .unwrap()
    }

    #[test]
    fn entries_read_back_in_both_orders_across_nodes() {
        let mut s = Stream::default();
        for i in 1..=250u64 {
            let value = i.to_string();
            if i % 7 == 0 {
                add(&mut s, i, 0, &[b"other", value.as_bytes()]);
            } else {
                add(&mut s, i, 0, &[b"field", value.as_bytes(), b"x", b"y"]);
            }
        }
        assert_eq!(s.len(), 250);
        assert_eq!(s.node_count(), 3);
        let all = s.range(StreamId::MIN, StreamId::MAX, 0, false);
        assert_eq!(all.len(), 250);
        assert_eq!(all[6].fields, vec![b"other".to_vec(), b"7".to_vec()]);
        assert_eq!(
            all[7].fields,
            vec![b"field".to_vec(), b"8".to_vec(), b"x".to_vec(), b"y".to_vec()]
        );
        let rev = s.range(StreamId::new(10, 0), StreamId::new(120, 0), 5, true);
        let ids: Vec<u64> = rev.iter().map(|e| e.id.ms).collect();
        assert_eq!(ids, [120, 119, 118, 117, 116]);
        assert!(s.delete(StreamId::new(119, 0)));
        assert!(!s.delete(StreamId::new(119, 0)));
        let rev = s.range(StreamId::new(10, 0), StreamId::new(120, 0), 2, true);
        assert_eq!(rev[1].id.ms, 118);
        assert_eq!(s.len(), 249);
    }

    #[test]
    fn nodes_end_where_their_bytes_say() {
        let mut s = Stream::default();
        let big = vec![b'v'; 1000];
        for i in 1..=10u64 {
            add(&mut s, i, 0, &[b"f", &big]);
        }
        // Master entry and four entries of ~1 KB fill 4096 bytes.
        assert!(entry_bytes(&[b"f", &big]) > 1000);
        assert_eq!(s.node_count(), 3);
    }

    #[test]
    fn trims_whole_nodes_when_approximate() {
        let mut s = Stream::default();
        for i in 1..=1000u64 {
            add(&mut s, i, 0, &[b"f", b"v"]);
        }
        let gone = s.trim(Trim {
            by: TrimBy::MaxLen(555),
            approx: true,
            limit: 10_000,
        });
        assert_eq!((gone, s.len()), (400, 600));
        let gone = s.trim(Trim {
            by: TrimBy::MaxLen(555),
            approx: false,
            limit: 0,
        });
        assert_eq!((gone, s.len(), s.first_id), (45, 555, StreamId::new(446, 0)));
    }

    #[test]
    fn radix_tree_nodes_count_a_compressed_trie() {
        let mut s = Stream::default();
        assert_eq!(s.radix_tree_nodes(), 1);
        add(&mut s, 1, 0, &[b"f", b"v"]);
        assert_eq!(s.radix_tree_nodes(), 2);
    }
}
