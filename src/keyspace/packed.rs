//! [`Packed`]: byte strings packed one after another into one allocation, as Redis's listpack
//! packs a small hash or list. Each element is its length (LEB128, one byte up to 127) followed by
//! its bytes; the element count leads. A small collection is then one heap block with two or three
//! bytes of overhead per element, instead of a vector (24 bytes) and a heap block per element.
//!
//! Edits rewrite the block (one reallocation, a copy of what follows the edit), which is what Redis
//! does too and is cheap at the sizes a collection stays packed.

/// A sequence of byte strings in one boxed slice, exactly as large as its contents (so a small
/// hash is 16 bytes inside its value and one heap block): `[count: u32 LE][len][bytes][len]…`.
/// The empty sequence is an empty slice.
#[derive(Clone, Default, PartialEq, Eq)]
pub(crate) struct Packed {
    block: Box<[u8]>,
}

/// Bytes of the element count at the front.
const HEADER: usize = 4;

/// One element's place: its bytes, and where its encoding starts and ends in the block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Element<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Packed {
    /// How many elements it holds.
    pub(crate) fn len(&self) -> usize {
        match self.block.get(..HEADER) {
            Some(count) => u32::from_le_bytes([count[0], count[1], count[2], count[3]]) as usize,
            None => 0,
        }
    }

    /// The size of the encoded contents, in bytes.
    pub(crate) fn byte_len(&self) -> usize {
        self.block.len()
    }

    /// The elements in order, with their places.
    pub(crate) fn elements(&self) -> Elements<'_> {
        let bytes: &[u8] = &self.block;
        Elements {
            bytes,
            at: HEADER.min(bytes.len()),
        }
    }

    /// The elements' bytes in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.elements().map(|e| e.bytes)
    }

    /// Replaces the encoded bytes `start..end` (whole elements, or an empty range at an element
    /// boundary) with `items`; `removed` is how many elements the range held.
    pub(crate) fn splice(&mut self, start: usize, end: usize, removed: usize, items: &[&[u8]]) {
        let count = self.len() - removed + items.len();
        if count == 0 {
            self.block = Box::default();
            return;
        }
        let added: usize = items.iter().map(|i| encoded_len(i.len())).sum();
        // Edited as a vector, grown by exactly what the edit needs: one reallocation (often in
        // place) and none to shrink it back after.
        let mut bytes = std::mem::take(&mut self.block).into_vec();
        let (start, end) = if bytes.is_empty() {
            bytes.reserve_exact(HEADER + added);
            bytes.extend_from_slice(&[0; HEADER]);
            (HEADER, HEADER)
        } else {
            (start, end)
        };
        let old_len = bytes.len();
        let cut = end - start;
        if added > cut {
            bytes.reserve_exact(added - cut);
            bytes.resize(old_len + added - cut, 0);
            bytes.copy_within(end..old_len, start + added);
        } else if added < cut {
            bytes.copy_within(end..old_len, start + added);
            bytes.truncate(old_len - (cut - added));
        }
        let mut at = start;
        for item in items {
            write_element(&mut bytes[at..], item);
            at += encoded_len(item.len());
        }
        bytes[..HEADER].copy_from_slice(&(count as u32).to_le_bytes());
        self.block = bytes.into_boxed_slice();
    }

    /// Appends elements at the end.
    pub(crate) fn push_back(&mut self, items: &[&[u8]]) {
        let end = self.byte_len();
        self.splice(end, end, 0, items);
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

/// The elements of a [`Packed`] (or of any run of encoded elements), in order.
pub(crate) struct Elements<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// The elements encoded one after another in `bytes` (no count in front), with their places in it.
pub(crate) fn elements_of(bytes: &[u8]) -> Elements<'_> {
    Elements { bytes, at: 0 }
}

/// Writes `item` encoded (its length, then its bytes) at the front of `out`, which has room for
/// [`encoded_len`] of it.
pub(crate) fn write_element(out: &mut [u8], item: &[u8]) {
    let at = write_len(out, item.len());
    out[at..at + item.len()].copy_from_slice(item);
}

impl<'a> Iterator for Elements<'a> {
    type Item = Element<'a>;

    fn next(&mut self) -> Option<Element<'a>> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let start = self.at;
        let (len, header) = get_len(&self.bytes[start..]);
        let from = start + header;
        self.at = from + len;
        Some(Element {
            bytes: &self.bytes[from..self.at],
            start,
            end: self.at,
        })
    }
}

/// The bytes an element of `len` bytes takes, its length included.
pub(crate) fn encoded_len(len: usize) -> usize {
    let mut header = 1;
    let mut rest = len >> 7;
    while rest > 0 {
        header += 1;
        rest >>= 7;
    }
    header + len
}

/// Writes a length at the front of `out`; answers the bytes it took.
fn write_len(out: &mut [u8], mut len: usize) -> usize {
    let mut at = 0;
    while len >= 0x80 {
        out[at] = (len as u8 & 0x7f) | 0x80;
        len >>= 7;
        at += 1;
    }
    out[at] = len as u8;
    at + 1
}

/// Reads a length written by [`write_len`]: (length, bytes it took).
fn get_len(bytes: &[u8]) -> (usize, usize) {
    let mut len = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        len |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (len, i + 1);
        }
    }
    unreachable!("a packed length always ends")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_of_every_size_read_back_in_order() {
        let items: Vec<Vec<u8>> = [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000]
            .iter()
            .map(|&n| (0..n).map(|i| i as u8).collect())
            .collect();
        let mut packed: Packed = Packed::default();
        assert_eq!((packed.len(), packed.byte_len()), (0, 0));
        for item in &items {
            packed.push_back(&[item]);
        }
        packed.splice(HEADER, HEADER, 0, &[b"first", b"second"]);
        let read: Vec<&[u8]> = packed.iter().collect();
        assert_eq!(read[..2], [&b"first"[..], b"second"]);
        assert_eq!(read[2..].len(), items.len());
        for (got, want) in read[2..].iter().zip(&items) {
            assert_eq!(got, want);
        }
        assert_eq!(packed.len(), items.len() + 2);
        let total: usize = read.iter().map(|i| encoded_len(i.len())).sum();
        assert_eq!(packed.byte_len(), HEADER + total);
        // Replace the second element by two, then remove everything.
        let second = packed.elements().nth(1).unwrap();
        packed.splice(second.start, second.end, 1, &[b"x", b"y"]);
        let read: Vec<&[u8]> = packed.iter().take(4).collect();
        assert_eq!(read, [&b"first"[..], b"x", b"y", b""]);
        let end = packed.byte_len();
        packed.splice(HEADER, end, packed.len(), &[]);
        assert_eq!((packed.len(), packed.byte_len()), (0, 0));
    }
}
