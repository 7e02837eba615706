//! The sorted set: a member → score map for O(1) ZSCORE, and the members ordered by (score,
//! member) in an order-statistic list for O(log n) ZADD, ZREM, ZRANK and ZRANGE from any rank.
//!
//! The ordered part is a list of sorted chunks of at most [`CHUNK`] entries, with a Fenwick tree over
//! the chunk sizes: finding a chunk is a binary search, a rank is a prefix sum, and shifting inside
//! one chunk is bounded by the chunk size. It plays the part of Redis's skiplist with spans.

use std::cmp::Ordering;

use super::inline_bytes::InlineBytes;
use super::value::{Encodings, Map};

/// The most entries in one chunk; a fuller chunk splits in two.
const CHUNK: usize = 256;

/// A member's name: inline up to 22 bytes, so a typical member costs no heap block in the map
/// or in the ordered list (each holds its own copy).
pub(crate) type Member = InlineBytes;

/// (score, member) in Redis's order: by score, then by member bytes.
#[derive(Debug, Clone)]
pub(crate) struct Scored {
    pub(crate) score: f64,
    pub(crate) member: Member,
}

impl Scored {
    fn cmp_key(&self, score: f64, member: &[u8]) -> Ordering {
        cmp_scores(self.score, score).then_with(|| (*self.member).cmp(member))
    }
}

/// Compares scores, which are never NaN.
pub(crate) fn cmp_scores(a: f64, b: f64) -> Ordering {
    a.partial_cmp(&b).unwrap_or(Ordering::Equal)
}

/// A sorted set value.
#[derive(Debug, Clone, Default)]
pub(crate) struct ZSet {
    scores: Map<Member, f64>,
    order: OrderedList,
    /// Whether Redis would have converted this sorted set to a skiplist (past 128 members or
    /// 64-byte members, or sorted by SORT); it never converts back.
    large: bool,
}

impl PartialEq for ZSet {
    fn eq(&self, other: &ZSet) -> bool {
        self.scores == other.scores
    }
}

impl ZSet {
    pub(crate) fn len(&self) -> usize {
        self.scores.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    pub(crate) fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Sets `member`'s score; answers the old score. A small sorted set stores -0 as 0 (Redis's
    /// listpack does), a large one keeps -0 (its skiplist holds the double).
    pub(crate) fn insert(&mut self, member: &[u8], score: f64, limits: &Encodings) -> Option<f64> {
        let old = self.score(member);
        if member.len() > limits.zset_max_value || (old.is_none() && self.len() >= limits.zset_max_entries) {
            self.large = true;
        }
        let score = if self.large { score } else { score + 0.0 };
        match old {
            Some(old) if old == score => return Some(old),
            Some(old) => {
                let name = self.order.remove(old, member).unwrap_or_else(|| Member::new(member));
                self.order.insert(Scored { score, member: name });
                if let Some(stored) = self.scores.get_mut(member) {
                    *stored = score;
                }
            }
            None => {
                self.order.insert(Scored {
                    score,
                    member: Member::new(member),
                });
                self.scores.insert(Member::new(member), score);
            }
        }
        old
    }

    /// Whether Redis would hold this sorted set as a skiplist rather than a listpack.
    pub(crate) fn is_large(&self) -> bool {
        self.large
    }

    /// How many members the member index holds without growing.
    pub(crate) fn index_capacity(&self) -> usize {
        self.scores.capacity()
    }

    /// Notes that Redis would have converted this sorted set to a skiplist (SORT does).
    pub(crate) fn mark_large(&mut self) {
        self.large = true;
    }

    /// An empty sorted set for `size` entries to come, as Redis's `zsetTypeCreate`: a skiplist
    /// (keeping a score of -0) from the start when they will not fit a listpack.
    pub(crate) fn with_size_hint(size: usize, limits: &Encodings) -> ZSet {
        ZSet {
            large: size > limits.zset_max_entries,
            ..ZSet::default()
        }
    }

    /// Redis's `zsetConvertToListpackIfNeeded` for a set built as a skiplist (a ZUNIONSTORE,
    /// ZINTERSTORE or ZDIFFSTORE result): if it is small enough for a listpack it becomes one,
    /// storing -0 as 0.
    pub(crate) fn shrink_if_small(&mut self, limits: &Encodings) {
        let small =
            || self.len() <= limits.zset_max_entries && self.iter().all(|e| e.member.len() <= limits.zset_max_value);
        if !self.large || !small() {
            return;
        }
        let mut compact = ZSet::default();
        for e in self.iter() {
            compact.insert(&e.member, e.score, limits);
        }
        *self = compact;
    }

    /// Removes `member`; answers whether it was there.
    pub(crate) fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(score) => {
                self.order.remove(score, member);
                true
            }
            None => false,
        }
    }

    /// The 0-based rank of `member` in ascending order.
    pub(crate) fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        Some(self.order.count_before(|e| e.cmp_key(score, member)))
    }

    /// The entry at `rank` (ascending).
    pub(crate) fn at(&self, rank: usize) -> Option<&Scored> {
        self.order.get(rank)
    }

    /// How many entries order before the boundary `cmp` describes (`Less` for entries before it).
    pub(crate) fn count_before(&self, cmp: impl Fn(&Scored) -> Ordering) -> usize {
        self.order.count_before(cmp)
    }

    /// Entries from rank `from` on, ascending.
    pub(crate) fn iter_from(&self, from: usize) -> impl Iterator<Item = &Scored> + '_ {
        self.order.iter_from(from)
    }

    /// All entries, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Scored> + '_ {
        self.order.iter_from(0)
    }

    /// The heap bytes, measured from the first `samples` members (0: all), for MEMORY USAGE:
    /// the member map, the ordered chunks, and the heap blocks of members too long to be inline.
    pub(crate) fn heap_bytes(&self, samples: usize) -> usize {
        let scored = std::mem::size_of::<Scored>();
        let long = |e: &Scored| {
            if e.member.len() > InlineBytes::INLINE_MAX {
                2 * e.member.len()
            } else {
                0
            }
        };
        std::mem::size_of::<ZSet>()
            + self.scores.capacity() * (std::mem::size_of::<(Member, f64)>() + 1)
            + self.order.chunks.iter().map(|c| c.capacity() * scored).sum::<usize>()
            + self.order.chunks.capacity() * std::mem::size_of::<Vec<Scored>>()
            + self.order.sizes.capacity() * std::mem::size_of::<usize>()
            + super::memory::sampled(self.len(), samples, self.iter().map(long))
    }
}

/// Sorted chunks and a Fenwick tree of their sizes.
#[derive(Debug, Clone, Default)]
struct OrderedList {
    chunks: Vec<Vec<Scored>>,
    /// Fenwick tree over `chunks[i].len()`.
    sizes: Vec<usize>,
}

impl OrderedList {
    /// The chunk an entry belongs in: the first whose last entry is not before it.
    fn chunk_for(&self, score: f64, member: &[u8]) -> usize {
        let i = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|e| e.cmp_key(score, member) == Ordering::Less));
        i.min(self.chunks.len().saturating_sub(1))
    }

    fn insert(&mut self, entry: Scored) {
        if self.chunks.is_empty() {
            self.chunks.push(vec![entry]);
            self.rebuild();
            return;
        }
        let c = self.chunk_for(entry.score, &entry.member);
        let last_chunk = c + 1 == self.chunks.len();
        let chunk = &mut self.chunks[c];
        let at = chunk.partition_point(|e| e.cmp_key(entry.score, &entry.member) == Ordering::Less);
        chunk.insert(at, entry);
        if chunk.len() > CHUNK {
            // An append to the last chunk (a set filled in score order) leaves that chunk full
            // and starts the next with the new entry; anywhere else the chunk splits in half.
            let appended = last_chunk && at + 1 == chunk.len();
            let keep = if appended { CHUNK } else { chunk.len() / 2 };
            let tail = chunk.split_off(keep);
            chunk.shrink_to_fit();
            self.chunks.insert(c + 1, tail);
            self.rebuild();
        } else {
            self.add(c, 1);
        }
    }

    fn remove(&mut self, score: f64, member: &[u8]) -> Option<Member> {
        if self.chunks.is_empty() {
            return None;
        }
        let c = self.chunk_for(score, member);
        let chunk = &mut self.chunks[c];
        let at = chunk.partition_point(|e| e.cmp_key(score, member) == Ordering::Less);
        if chunk
            .get(at)
            .is_none_or(|e| e.cmp_key(score, member) != Ordering::Equal)
        {
            return None;
        }
        let removed = chunk.remove(at).member;
        if chunk.is_empty() {
            self.chunks.remove(c);
            self.rebuild();
        } else {
            self.sub(c, 1);
        }
        Some(removed)
    }

    fn get(&self, rank: usize) -> Option<&Scored> {
        let (c, offset) = self.locate(rank)?;
        self.chunks[c].get(offset)
    }

    /// How many entries come before the boundary: `cmp` answers `Less` for entries before it.
    fn count_before(&self, cmp: impl Fn(&Scored) -> Ordering) -> usize {
        let c = self
            .chunks
            .partition_point(|chunk| chunk.last().is_some_and(|e| cmp(e) == Ordering::Less));
        if c == self.chunks.len() {
            return self.prefix(c);
        }
        self.prefix(c) + self.chunks[c].partition_point(|e| cmp(e) == Ordering::Less)
    }

    fn iter_from(&self, rank: usize) -> impl Iterator<Item = &Scored> + '_ {
        let (c, offset) = self.locate(rank).unwrap_or((self.chunks.len(), 0));
        self.chunks
            .iter()
            .skip(c)
            .enumerate()
            .flat_map(move |(i, chunk)| chunk[if i == 0 { offset } else { 0 }..].iter())
    }

    /// The chunk and offset of `rank`.
    fn locate(&self, rank: usize) -> Option<(usize, usize)> {
        // Fenwick descent: the largest prefix of whole chunks with fewer than rank + 1 entries.
        let n = self.chunks.len();
        let mut pos = 0;
        let mut remaining = rank;
        let mut step = n.next_power_of_two();
        while step > 0 {
            let next = pos + step;
            if next <= n && self.sizes[next - 1] <= remaining {
                pos = next;
                remaining -= self.sizes[next - 1];
            }
            step /= 2;
        }
        (pos < n && remaining < self.chunks[pos].len()).then_some((pos, remaining))
    }

    /// The number of entries in chunks `0..c`.
    fn prefix(&self, c: usize) -> usize {
        let mut i = c;
        let mut sum = 0;
        while i > 0 {
            sum += self.sizes[i - 1];
            i &= i - 1;
        }
        sum
    }

    fn add(&mut self, c: usize, by: usize) {
        let mut i = c + 1;
        while i <= self.sizes.len() {
            self.sizes[i - 1] += by;
            i += i & i.wrapping_neg();
        }
    }

    fn sub(&mut self, c: usize, by: usize) {
        let mut i = c + 1;
        while i <= self.sizes.len() {
            self.sizes[i - 1] -= by;
            i += i & i.wrapping_neg();
        }
    }

    /// Recomputes the Fenwick tree after chunks were split or removed.
    fn rebuild(&mut self) {
        let n = self.chunks.len();
        self.sizes = self.chunks.iter().map(Vec::len).collect();
        for i in 1..=n {
            let parent = i + (i & i.wrapping_neg());
            if parent <= n {
                self.sizes[parent - 1] += self.sizes[i - 1];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_and_order_follow_score_then_member() {
        let mut z = ZSet::default();
        for i in 0..2000u32 {
            let member = format!("m{:05}", (i * 7919) % 2000);
            z.insert(member.as_bytes(), f64::from((i * 31) % 100), &Encodings::default());
        }
        let all: Vec<(f64, Vec<u8>)> = z.iter().map(|e| (e.score, e.member.to_vec())).collect();
        let mut sorted = all.clone();
        sorted.sort_by(|a, b| cmp_scores(a.0, b.0).then_with(|| a.1.cmp(&b.1)));
        assert_eq!(all, sorted);
        for (rank, (_, member)) in sorted.iter().enumerate() {
            assert_eq!(z.rank(member), Some(rank));
            assert_eq!(z.at(rank).map(|e| e.member.to_vec()), Some(member.clone()));
        }
        for (_, member) in sorted.iter().step_by(3) {
            assert!(z.remove(member));
        }
        assert_eq!(z.len(), 2000 - 667);
        let left: Vec<Vec<u8>> = z.iter().map(|e| e.member.to_vec()).collect();
        for (rank, member) in left.iter().enumerate() {
            assert_eq!(z.rank(member), Some(rank));
        }
    }
}
