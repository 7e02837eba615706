//! [`List`]: a list value as Redis's quicklist holds one — a deque of packed nodes.
//!
//! Each node packs up to about [`NODE_BYTES`] of elements into one block (each element its length,
//! then its bytes, as in [`super::packed`]), so an element costs its bytes and a length byte
//! instead of a vector and a heap block of its own. A node keeps room in front of its elements as
//! well as behind them, so a push or pop at either end of the list touches only the end node and
//! moves none of its other elements (a pop at the back walks the last node to find its last
//! element). Reaching an element by index walks the nodes' counts from the nearer end, then one
//! node, as Redis's quicklist does.

use std::collections::VecDeque;

use super::blocking::ListEnd as End;
use super::packed::{self, elements_of, encoded_len, write_element};

/// A node grows to about this many bytes before the next element starts a new node. Small
/// enough that a pop at the back (which finds the node's last element by walking it) and a push
/// at the front (which moves the node's bytes) stay cheap. Redis's nodes are 8 KiB
/// (`list-max-listpack-size -2`); OBJECT ENCODING does not show the difference (7.0 answers
/// `quicklist` for every list).
const NODE_BYTES: usize = 1024;

/// A list value: elements in order, O(1) at both ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct List {
    nodes: VecDeque<Node>,
    len: usize,
}

impl PartialEq for List {
    fn eq(&self, other: &List) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl FromIterator<Vec<u8>> for List {
    fn from_iter<I: IntoIterator<Item = Vec<u8>>>(elements: I) -> List {
        let mut list = List::default();
        for element in elements {
            list.push_back(&element);
        }
        list
    }
}

impl List {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many nodes (heap blocks) hold the elements.
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The bytes the nodes hold.
    #[cfg(test)]
    fn node_bytes(&self) -> impl Iterator<Item = usize> + '_ {
        self.nodes.iter().map(Node::byte_len)
    }

    /// The heap bytes of the nodes, measured from the first `samples` (0: all), for MEMORY USAGE.
    pub(crate) fn heap_bytes(&self, samples: usize) -> usize {
        let nodes = self.nodes.iter().map(Node::capacity);
        std::mem::size_of::<List>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
            + super::memory::sampled(self.nodes.len(), samples, nodes)
    }

    pub(crate) fn push(&mut self, end: End, element: &[u8]) {
        match end {
            End::Head => self.push_front(element),
            End::Tail => self.push_back(element),
        }
    }

    pub(crate) fn push_back(&mut self, element: &[u8]) {
        match self.nodes.back_mut() {
            Some(node) if fits(node, element) => node.push_back(element),
            _ => self.nodes.push_back(node_of(element)),
        }
        self.len += 1;
    }

    pub(crate) fn push_front(&mut self, element: &[u8]) {
        match self.nodes.front_mut() {
            Some(node) if fits(node, element) => node.push_front(element),
            _ => self.nodes.push_front(node_of(element)),
        }
        self.len += 1;
    }

    /// Takes the element at `end`; the node it leaves empty goes.
    pub(crate) fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let node = match end {
            End::Head => self.nodes.front_mut(),
            End::Tail => self.nodes.back_mut(),
        }?;
        let element = match end {
            End::Head => node.pop_front(),
            End::Tail => node.pop_back(),
        }?;
        if node.is_empty() {
            match end {
                End::Head => self.nodes.pop_front(),
                End::Tail => self.nodes.pop_back(),
            };
        }
        self.len -= 1;
        Some(element)
    }

    /// Pops up to `n` elements from `end`, in the order they come off.
    pub(crate) fn pop_many(&mut self, end: End, n: usize) -> Vec<Vec<u8>> {
        let n = n.min(self.len);
        (0..n).filter_map(|_| self.pop(end)).collect()
    }

    /// The element at `index` (0..len).
    pub(crate) fn get(&self, index: usize) -> Option<&[u8]> {
        let (node, at) = self.locate(index)?;
        self.nodes[node].iter().nth(at)
    }

    /// Replaces the element at `index` (0..len); answers whether there was one.
    pub(crate) fn set(&mut self, index: usize, element: &[u8]) -> bool {
        let Some((node, at)) = self.locate(index) else {
            return false;
        };
        let node = &mut self.nodes[node];
        if let Some(old) = node.elements().nth(at) {
            let (start, end) = (old.start, old.end);
            node.splice(start, end, 1, &[element]);
        }
        self.split_if_oversized(index);
        true
    }

    /// Inserts `element` so that it ends up at `index` (0..=len).
    pub(crate) fn insert(&mut self, index: usize, element: &[u8]) {
        if index == 0 {
            return self.push_front(element);
        }
        if index >= self.len {
            return self.push_back(element);
        }
        let Some((node, at)) = self.locate(index) else {
            return;
        };
        let node_ref = &mut self.nodes[node];
        if let Some(next) = node_ref.elements().nth(at) {
            let start = next.start;
            node_ref.splice(start, start, 0, &[element]);
        }
        self.len += 1;
        self.split_if_oversized(index);
    }

    /// Every element, head first.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> + '_ {
        Elements {
            nodes: self.nodes.iter(),
            front: Vec::new().into_iter(),
            back: Vec::new().into_iter(),
        }
    }

    /// The elements from `start` to `end` inclusive, head first.
    pub(crate) fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &[u8]> + '_ {
        let (first_node, at) = self.locate(start).unwrap_or((self.nodes.len(), 0));
        self.nodes
            .range(first_node..)
            .flat_map(|node| node.iter())
            .skip(at)
            .take((end + 1).saturating_sub(start))
    }

    /// Removes the elements at `positions` (ascending, each < len); walks only up to the last.
    pub(crate) fn remove_positions(&mut self, positions: &[usize]) {
        let mut doomed = positions.iter().copied().peekable();
        let mut first = 0;
        let mut n = 0;
        while n < self.nodes.len() {
            let Some(&next) = doomed.peek() else {
                break;
            };
            let count = self.nodes[n].len();
            if next >= first + count {
                first += count;
                n += 1;
                continue;
            }
            let mut kept = Node::default();
            let mut removed = 0;
            for (i, element) in self.nodes[n].iter().enumerate() {
                if doomed.next_if_eq(&(first + i)).is_some() {
                    removed += 1;
                } else {
                    kept.push_back(element);
                }
            }
            self.len -= removed;
            first += count;
            if kept.is_empty() {
                self.nodes.remove(n);
            } else {
                self.nodes[n] = kept;
                n += 1;
            }
        }
    }

    /// Keeps only the elements from `start` to `end` inclusive (LTRIM).
    pub(crate) fn keep_range(&mut self, start: usize, end: usize) {
        let end = end.min(self.len.saturating_sub(1));
        if start > end || self.is_empty() {
            return self.clear();
        }
        self.drop_at(End::Tail, self.len - 1 - end);
        self.drop_at(End::Head, start);
    }

    pub(crate) fn clear(&mut self) {
        self.nodes.clear();
        self.len = 0;
    }

    /// Drops `n` elements from `end`: whole nodes, then part of one.
    fn drop_at(&mut self, end: End, mut n: usize) {
        while n > 0 {
            let node = match end {
                End::Head => self.nodes.front_mut(),
                End::Tail => self.nodes.back_mut(),
            };
            let Some(node) = node else {
                return;
            };
            let count = node.len();
            if count <= n {
                match end {
                    End::Head => self.nodes.pop_front(),
                    End::Tail => self.nodes.pop_back(),
                };
                self.len -= count;
                n -= count;
                continue;
            }
            // Part of the node: its first `n` elements, or its last `n`.
            let cut = match end {
                End::Head => node.elements().nth(n - 1).map(|last| (0, last.end)),
                End::Tail => node
                    .elements()
                    .nth(count - n)
                    .map(|first| (first.start, node.byte_len())),
            };
            if let Some((start, stop)) = cut {
                node.splice(start, stop, n, &[]);
                self.len -= n;
            }
            return;
        }
    }

    /// (node, position in the node) of element `index`, walking from the nearer end.
    fn locate(&self, index: usize) -> Option<(usize, usize)> {
        if index >= self.len {
            return None;
        }
        if index < self.len / 2 {
            let mut first = 0;
            for (n, node) in self.nodes.iter().enumerate() {
                if index < first + node.len() {
                    return Some((n, index - first));
                }
                first += node.len();
            }
        } else {
            let mut end = self.len;
            for (n, node) in self.nodes.iter().enumerate().rev() {
                let first = end - node.len();
                if index >= first {
                    return Some((n, index - first));
                }
                end = first;
            }
        }
        None
    }

    /// Splits the node holding `index` in two when edits in the middle made it far larger than
    /// a node grows by pushes.
    fn split_if_oversized(&mut self, index: usize) {
        let Some((n, _)) = self.locate(index) else {
            return;
        };
        let node = &self.nodes[n];
        if node.byte_len() <= 2 * NODE_BYTES || node.len() < 2 {
            return;
        }
        let half = node.len() / 2;
        let (mut left, mut right) = (Node::default(), Node::default());
        for (i, element) in node.iter().enumerate() {
            if i < half {
                left.push_back(element);
            } else {
                right.push_back(element);
            }
        }
        self.nodes[n] = left;
        self.nodes.insert(n + 1, right);
    }
}

/// Whether `element` joins `node` rather than starting a new one.
fn fits(node: &Node, element: &[u8]) -> bool {
    node.byte_len() + encoded_len(element.len()) <= NODE_BYTES
}

fn node_of(element: &[u8]) -> Node {
    let mut node = Node::default();
    node.push_back(element);
    node
}

/// A node of a list: its elements encoded one after another in `buf[start..]`, with room before
/// `start` for pushes at the front and room after the end for pushes at the back.
#[derive(Debug, Clone, Default)]
struct Node {
    buf: Vec<u8>,
    start: u32,
    count: u32,
}

impl Node {
    fn len(&self) -> usize {
        self.count as usize
    }

    fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The bytes the elements take.
    fn byte_len(&self) -> usize {
        self.buf.len() - self.start as usize
    }

    /// The room the node has, used or not.
    fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The elements in order, with their places (counted from the first element).
    fn elements(&self) -> packed::Elements<'_> {
        elements_of(&self.buf[self.start as usize..])
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.elements().map(|e| e.bytes)
    }

    fn push_back(&mut self, element: &[u8]) {
        let at = self.buf.len();
        let needed = at + encoded_len(element.len());
        if needed > self.buf.capacity() {
            // Powers of two, so a node that fills to its limit ends with no spare room.
            self.buf.reserve_exact(needed.next_power_of_two() - at);
        }
        self.buf.resize(needed, 0);
        write_element(&mut self.buf[at..], element);
        self.count += 1;
    }

    fn push_front(&mut self, element: &[u8]) {
        let size = encoded_len(element.len());
        if (self.start as usize) < size {
            self.make_room_in_front(size);
        }
        let start = self.start as usize - size;
        write_element(&mut self.buf[start..start + size], element);
        self.start = start as u32;
        self.count += 1;
    }

    /// Moves the elements into a new buffer with at least `size` bytes free in front of them:
    /// as much room as the elements take (so pushes at the front amortize), but no more than the
    /// node's limit leaves, so a full node holds no spare room.
    fn make_room_in_front(&mut self, size: usize) {
        let live = self.byte_len();
        let room = live.max(16).min(NODE_BYTES.saturating_sub(live)).max(size);
        let capacity = (live + room).next_power_of_two();
        let room = capacity - live;
        let mut buf = Vec::with_capacity(capacity);
        buf.resize(room, 0);
        buf.extend_from_slice(&self.buf[self.start as usize..]);
        self.buf = buf;
        self.start = room as u32;
    }

    fn pop_front(&mut self) -> Option<Vec<u8>> {
        let first = self.elements().next()?;
        let element = first.bytes.to_vec();
        self.start += first.end as u32;
        self.count -= 1;
        Some(element)
    }

    fn pop_back(&mut self) -> Option<Vec<u8>> {
        let last = self.elements().last()?;
        let element = last.bytes.to_vec();
        self.buf.truncate(self.start as usize + last.start);
        self.count -= 1;
        Some(element)
    }

    /// Replaces the encoded bytes `start..end` (counted from the first element; whole elements,
    /// or an empty range at an element boundary) with `items`; `removed` is how many elements the
    /// range held. Edits in the middle first close the room in front.
    fn splice(&mut self, start: usize, end: usize, removed: usize, items: &[&[u8]]) {
        if self.start > 0 {
            self.buf.drain(..self.start as usize);
            self.start = 0;
        }
        let added: usize = items.iter().map(|i| encoded_len(i.len())).sum();
        let encoded = items.iter().fold(Vec::with_capacity(added), |mut out, item| {
            let at = out.len();
            out.resize(at + encoded_len(item.len()), 0);
            write_element(&mut out[at..], item);
            out
        });
        self.buf.splice(start..end, encoded);
        self.count = (self.count as usize - removed + items.len()) as u32;
    }
}

/// The elements of a [`List`] from both ends: a node is read whole when an end reaches it (a
/// node's elements can only be walked forwards).
struct Elements<'a> {
    nodes: std::collections::vec_deque::Iter<'a, Node>,
    front: std::vec::IntoIter<&'a [u8]>,
    back: std::vec::IntoIter<&'a [u8]>,
}

impl<'a> Iterator for Elements<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            if let Some(element) = self.front.next() {
                return Some(element);
            }
            match self.nodes.next() {
                Some(node) => self.front = node.iter().collect::<Vec<_>>().into_iter(),
                None => return self.back.next(),
            }
        }
    }
}

impl DoubleEndedIterator for Elements<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(element) = self.back.next_back() {
                return Some(element);
            }
            match self.nodes.next_back() {
                Some(node) => self.back = node.iter().collect::<Vec<_>>().into_iter(),
                None => return self.front.next_back(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every edit agrees with a `VecDeque` across many nodes, elements of every size included.
    #[test]
    fn the_list_agrees_with_a_deque() {
        let mut list = List::default();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let mut most_nodes = 0;
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || crate::keyspace::xorshift(&mut rng);
        for step in 0..6000usize {
            let size = if next() % 50 == 0 { 3000 } else { (next() % 40) as usize };
            let element: Vec<u8> = format!("{step}:").into_bytes().into_iter().cycle().take(size).collect();
            match next() % 12 {
                0..=2 => {
                    list.push_back(&element);
                    model.push_back(element);
                }
                3..=4 => {
                    list.push_front(&element);
                    model.push_front(element);
                }
                5 => assert_eq!(list.pop(End::Head), model.pop_front()),
                6 => assert_eq!(list.pop(End::Tail), model.pop_back()),
                7 if !model.is_empty() => {
                    let i = (next() as usize) % model.len();
                    assert!(list.set(i, &element));
                    model[i] = element;
                }
                8 => {
                    let i = (next() as usize) % (model.len() + 1);
                    list.insert(i, &element);
                    model.insert(i, element);
                }
                9 if !model.is_empty() => {
                    let mut doomed: Vec<usize> = (0..3).map(|_| (next() as usize) % model.len()).collect();
                    doomed.sort_unstable();
                    doomed.dedup();
                    list.remove_positions(&doomed);
                    for &i in doomed.iter().rev() {
                        model.remove(i);
                    }
                }
                10 if model.len() > 10 && step % 7 == 0 => {
                    let (start, end) = (2, model.len() - 3);
                    list.keep_range(start, end);
                    model = model.range(start..=end).cloned().collect();
                }
                11 => {
                    let n = (next() % 4) as usize;
                    let expected: Vec<Vec<u8>> = (0..n.min(model.len())).filter_map(|_| model.pop_back()).collect();
                    assert_eq!(list.pop_many(End::Tail, n), expected);
                }
                _ => {}
            }
            assert_eq!(list.len(), model.len());
            most_nodes = most_nodes.max(list.nodes.len());
            if step % 500 == 0 || step > 5990 {
                assert!(list.iter().eq(model.iter().map(Vec::as_slice)));
                assert!(list.iter().rev().eq(model.iter().rev().map(Vec::as_slice)));
                for i in (0..model.len()).step_by(37) {
                    assert_eq!(list.get(i), Some(model[i].as_slice()));
                    let end = (i + 20).min(model.len() - 1);
                    assert!(list.range(i, end).eq(model.range(i..=end).map(Vec::as_slice)));
                }
            }
        }
        assert!(most_nodes > 5, "the test crossed node boundaries");
    }

    /// A long list's nodes fill to their limit and hold no spare room: its memory is its
    /// elements' bytes and a length byte each.
    #[test]
    fn full_nodes_carry_no_spare_room() {
        for end in [End::Tail, End::Head] {
            let mut list = List::default();
            for i in 0..100_000 {
                list.push(end, format!("item:{i}").as_bytes());
            }
            let used: usize = list.node_bytes().sum();
            let allocated: usize = list.nodes.iter().map(Node::capacity).sum();
            assert!(
                allocated <= used + used / 50,
                "{end:?}: {allocated} bytes allocated for {used}"
            );
            assert!(list.nodes.iter().all(|n| n.byte_len() <= NODE_BYTES));
        }
    }
}
