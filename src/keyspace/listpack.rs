//! [`Listpack`]: Redis's listpack, byte for byte — the format a stream's nodes are kept in.
//!
//! A listpack is one block: a 6-byte header (the total size in bytes, u32 little-endian, and the
//! element count, u16, 65535 meaning "unknown"), the elements, and a closing `0xFF`. Each
//! element is an encoding byte (which says integer or string, and how long), the integer or the
//! string's bytes, and the element's own length written backwards (`backlen`), so that the list
//! can be walked from either end. A string that reads as a 64-bit integer is stored as that
//! integer, in the smallest of the integer encodings.
//!
//! Streams use the real format because Redis decides where a stream's nodes end from their size
//! in bytes (`stream-node-max-bytes`): only the same bytes give the same node boundaries, and
//! so the same lengths after an approximate trim (`XADD … MAXLEN ~ n`).

/// Header bytes: total size (u32) and element count (u16).
const HEADER: usize = 6;
/// The byte that closes a listpack.
const EOF: u8 = 0xFF;
/// The element count once it no longer fits the header.
const COUNT_UNKNOWN: u16 = u16::MAX;

/// An element's content as stored: an integer, or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Item<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl Item<'_> {
    /// The element as bytes (an integer in decimal), as Redis's `lpGet` gives it.
    pub(crate) fn to_vec(self) -> Vec<u8> {
        match self {
            Item::Int(n) => crate::number::format_i64(n),
            Item::Str(s) => s.to_vec(),
        }
    }

    /// The element as an integer: stored as one, or bytes that read as one (Redis's
    /// `lpGetInteger`); 0 otherwise, which a listpack written here never holds where an integer
    /// is read.
    pub(crate) fn int(self) -> i64 {
        match self {
            Item::Int(n) => n,
            Item::Str(s) => crate::number::parse_i64(s).unwrap_or(0),
        }
    }
}

/// A listpack (see the module's documentation). Positions are byte offsets of elements.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Listpack {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Listpack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listpack")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl Default for Listpack {
    fn default() -> Listpack {
        Listpack::new()
    }
}

impl Listpack {
    /// An empty listpack (7 bytes).
    pub(crate) fn new() -> Listpack {
        let mut bytes = vec![0; HEADER + 1];
        bytes[HEADER] = EOF;
        let mut lp = Listpack { bytes };
        lp.set_total();
        lp
    }

    /// A listpack from its bytes, if they are a well-formed one: the header's size and count
    /// agree with the elements, each element's encoding and backlen fit and agree, and it ends
    /// with `0xFF` (Redis's `lpValidateIntegrity`).
    pub(crate) fn from_bytes(bytes: Vec<u8>) -> Option<Listpack> {
        if bytes.len() < HEADER + 1 || bytes.len() > u32::MAX as usize {
            return None;
        }
        let total = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
        if total != bytes.len() || bytes[bytes.len() - 1] != EOF {
            return None;
        }
        let mut p = HEADER;
        let mut count = 0usize;
        while bytes[p] != EOF {
            let rest = &bytes[p..bytes.len() - 1];
            let header = match rest[0] {
                b if b & 0xF0 == 0xE0 => 2,
                0xF0 => 5,
                _ => 1,
            };
            if rest.len() < header || matches!(rest[0], 0xF5..=0xFE) {
                return None;
            }
            let (encoded, _) = encoded_len(rest);
            let size = encoded.checked_add(backlen_size(encoded))?;
            if size > rest.len() || backlen_before(&bytes, p + size) != size {
                return None;
            }
            p += size;
            count += 1;
        }
        if p != bytes.len() - 1 {
            return None;
        }
        let lp = Listpack { bytes };
        let header_count = lp.count_header();
        (header_count == COUNT_UNKNOWN || header_count as usize == count).then_some(lp)
    }

    /// The listpack's size in bytes (Redis's `lpBytes`).
    pub(crate) fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// The encoded bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Frees what appending reserved beyond the contents.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
    }

    /// The allocation's size, for memory accounting.
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    fn set_total(&mut self) {
        let total = u32::try_from(self.bytes.len()).unwrap_or(u32::MAX);
        self.bytes[..4].copy_from_slice(&total.to_le_bytes());
    }

    fn count_header(&self) -> u16 {
        u16::from_le_bytes([self.bytes[4], self.bytes[5]])
    }

    /// How many elements it holds (counted: the header's count stops at 65535).
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn len(&self) -> usize {
        let mut count = 0;
        let mut at = self.first();
        while let Some(p) = at {
            count += 1;
            at = self.next(p);
        }
        count
    }

    /// DEBUG LISTPACK's description, after Redis's `lpRepr` (without memory addresses): the
    /// size and element count, then each element's position and content.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn describe(&self) -> String {
        let mut text = format!("{{total bytes {}}} {{num entries {}}}\n", self.byte_len(), self.len());
        let mut at = self.first();
        let mut index = 0;
        while let Some(p) = at {
            let content = match self.get(p) {
                Item::Int(n) => format!("[int]{n}"),
                Item::Str(s) => format!("[str]{}", String::from_utf8_lossy(s)),
            };
            text.push_str(&format!("{{\n\tindex: {index:2},\n\toffset: {p},\n\t{content}\n}}\n"));
            index += 1;
            at = self.next(p);
        }
        text.push_str("{end}\n\n");
        text
    }

    /// The first element's position, if any.
    pub(crate) fn first(&self) -> Option<usize> {
        (self.bytes[HEADER] != EOF).then_some(HEADER)
    }

    /// The last element's position, if any.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn last(&self) -> Option<usize> {
        let end = self.bytes.len() - 1;
        (end > HEADER).then(|| end - backlen_before(&self.bytes, end))
    }

    /// The element at `p`, and the position of the one after it, if any.
    #[inline]
    pub(crate) fn read(&self, p: usize) -> (Item<'_>, Option<usize>) {
        (self.get(p), self.next(p))
    }

    /// The position `n` elements after `p`, if there is an element there.
    #[inline]
    pub(crate) fn skip(&self, mut p: usize, n: usize) -> Option<usize> {
        for _ in 0..n {
            p = self.next(p)?;
        }
        Some(p)
    }

    /// The element after the one at `p`, if any.
    #[inline]
    pub(crate) fn next(&self, p: usize) -> Option<usize> {
        let b = self.bytes[p];
        // The small integers and short strings that fill a stream's nodes first: their
        // backlen is one byte.
        let size = if b < 0x80 {
            2
        } else if b < 0xC0 {
            (b & 0x3F) as usize + 2
        } else {
            let (encoded, _) = encoded_len(&self.bytes[p..]);
            encoded + backlen_size(encoded)
        };
        let next = p + size;
        (self.bytes[next] != EOF).then_some(next)
    }

    /// The element before the one at `p`, if any.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn prev(&self, p: usize) -> Option<usize> {
        (p > HEADER).then(|| p - backlen_before(&self.bytes, p))
    }

    /// The element at `p`.
    #[inline]
    pub(crate) fn get(&self, p: usize) -> Item<'_> {
        decode(&self.bytes[p..])
    }

    /// The element at `p` as an integer.
    pub(crate) fn get_int(&self, p: usize) -> i64 {
        self.get(p).int()
    }

    /// Appends bytes (stored as an integer when they read as one).
    pub(crate) fn append(&mut self, item: &[u8]) {
        match string_to_int(item) {
            Some(n) => self.append_int(n),
            None => {
                let at = self.bytes.len() - 1;
                let mut element = Vec::with_capacity(item.len() + 10);
                encode_str(&mut element, item);
                self.insert_encoded(at, &element);
            }
        }
    }

    /// Appends an integer.
    pub(crate) fn append_int(&mut self, n: i64) {
        let at = self.bytes.len() - 1;
        let mut element = Vec::with_capacity(14);
        encode_int(&mut element, n);
        self.insert_encoded(at, &element);
    }

    /// Replaces the element at `p` with the integer `n` (the element then still starts at `p`).
    pub(crate) fn replace_int(&mut self, p: usize, n: i64) {
        let (old, _) = encoded_len(&self.bytes[p..]);
        let old_total = old + backlen_size(old);
        let mut element = Vec::with_capacity(14);
        encode_int(&mut element, n);
        add_backlen(&mut element);
        self.bytes.splice(p..p + old_total, element);
        self.set_total();
    }

    /// Inserts an element's encoding (without its backlen) at byte `at`.
    fn insert_encoded(&mut self, at: usize, encoding: &[u8]) {
        let mut element = encoding.to_vec();
        add_backlen(&mut element);
        self.bytes.splice(at..at, element);
        self.set_total();
        let count = self.count_header();
        if count != COUNT_UNKNOWN {
            self.bytes[4..6].copy_from_slice(&(count + 1).to_le_bytes());
        }
    }
}

/// Reads bytes as a 64-bit integer as Redis's listpack does (`lpStringToInt64`): decimal, no
/// `+`, no leading zeros, at most 20 bytes.
pub(crate) fn string_to_int(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    crate::number::parse_i64(s)
}

/// How many bytes the element `item` takes once appended: its encoding and backlen.
#[cfg(test)]
pub(crate) fn element_size(item: &[u8]) -> usize {
    let encoded = match string_to_int(item) {
        Some(n) => int_encoded_len(n),
        None if item.len() < 64 => 1 + item.len(),
        None if item.len() < 4096 => 2 + item.len(),
        None => 5 + item.len(),
    };
    encoded + backlen_size(encoded)
}

fn int_encoded_len(n: i64) -> usize {
    match n {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    }
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    match int_encoded_len(n) {
        1 => out.push(n as u8),
        2 => {
            let v = if n < 0 { (1 << 13) + n } else { n } as u64;
            out.extend_from_slice(&[((v >> 8) as u8) | 0xC0, v as u8]);
        }
        3 => {
            out.push(0xF1);
            out.extend_from_slice(&(n as i16).to_le_bytes());
        }
        4 => {
            out.push(0xF2);
            out.extend_from_slice(&(n as i32).to_le_bytes()[..3]);
        }
        5 => {
            out.push(0xF3);
            out.extend_from_slice(&(n as i32).to_le_bytes());
        }
        _ => {
            out.push(0xF4);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

fn encode_str(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 64 {
        out.push(0x80 | len as u8);
    } else if len < 4096 {
        out.extend_from_slice(&[0xE0 | (len >> 8) as u8, len as u8]);
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(len as u32).to_le_bytes());
    }
    out.extend_from_slice(s);
}

/// Appends the backlen of the element `element` holds (its encoding).
fn add_backlen(element: &mut Vec<u8>) {
    let l = element.len() as u64;
    let size = backlen_size(element.len());
    // Big-endian groups of 7 bits, the continuation bit set on all but the first byte, so that
    // read backwards from the end the low group comes first.
    for i in (0..size).rev() {
        let group = ((l >> (7 * i)) & 127) as u8;
        element.push(if i == size - 1 { group } else { group | 128 });
    }
}

/// How many bytes the backlen of an element of `l` encoded bytes takes (`lpEncodeBacklen`).
#[inline]
fn backlen_size(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// The whole size (encoding and backlen) of the element ending just before `end`, read from
/// its backlen.
fn backlen_before(bytes: &[u8], end: usize) -> usize {
    let mut value = 0usize;
    let mut shift = 0;
    let mut p = end - 1;
    loop {
        value |= ((bytes[p] & 127) as usize) << shift;
        if bytes[p] & 128 == 0 || p == 0 || shift > 28 {
            break;
        }
        shift += 7;
        p -= 1;
    }
    value + backlen_size(value)
}

/// The encoded length (encoding byte(s) and content, no backlen) of the element starting at
/// `bytes[0]`, and the length of its header.
#[inline]
fn encoded_len(bytes: &[u8]) -> (usize, usize) {
    let b = bytes[0];
    if b < 0x80 {
        (1, 1)
    } else if b < 0xC0 {
        (1 + (b & 0x3F) as usize, 1)
    } else if b < 0xE0 {
        (2, 2)
    } else if b < 0xF0 {
        (2 + ((((b & 0xF) as usize) << 8) | bytes[1] as usize), 2)
    } else {
        match b {
            0xF0 => (
                5 + u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as usize,
                5,
            ),
            0xF1 => (3, 3),
            0xF2 => (4, 4),
            0xF3 => (5, 5),
            0xF4 => (9, 9),
            _ => (1, 1),
        }
    }
}

#[inline]
fn decode(bytes: &[u8]) -> Item<'_> {
    let b = bytes[0];
    let (len, header) = encoded_len(bytes);
    match b {
        _ if b & 0x80 == 0 => Item::Int((b & 0x7F) as i64),
        _ if b & 0xE0 == 0xC0 => {
            let v = ((((b & 0x1F) as u16) << 8) | bytes[1] as u16) as i64;
            Item::Int(if v >= 1 << 12 { v - (1 << 13) } else { v })
        }
        0xF1 => Item::Int(i16::from_le_bytes([bytes[1], bytes[2]]) as i64),
        0xF2 => {
            let v = i32::from_le_bytes([0, bytes[1], bytes[2], bytes[3]]) >> 8;
            Item::Int(v as i64)
        }
        0xF3 => Item::Int(i32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]) as i64),
        0xF4 => {
            let mut v = [0; 8];
            v.copy_from_slice(&bytes[1..9]);
            Item::Int(i64::from_le_bytes(v))
        }
        _ => Item::Str(&bytes[header..len]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_read_back_both_ways_with_redis_sizes() {
        let items: Vec<Vec<u8>> = vec![
            b"0".to_vec(),
            b"127".to_vec(),
            b"128".to_vec(),
            b"-4096".to_vec(),
            b"4095".to_vec(),
            b"-32768".to_vec(),
            b"32767".to_vec(),
            b"-8388608".to_vec(),
            b"8388607".to_vec(),
            b"-2147483648".to_vec(),
            b"2147483647".to_vec(),
            b"9223372036854775807".to_vec(),
            b"-9223372036854775808".to_vec(),
            b"007".to_vec(),
            b"".to_vec(),
            vec![b'x'; 63],
            vec![b'y'; 64],
            vec![b'z'; 4095],
            vec![b'w'; 4096],
            vec![b'v'; 20_000],
        ];
        let mut lp = Listpack::new();
        let mut expected = 7;
        for item in &items {
            lp.append(item);
            expected += element_size(item);
            assert_eq!(lp.byte_len(), expected);
        }
        let mut forward = Vec::new();
        let mut p = lp.first();
        while let Some(at) = p {
            forward.push(lp.get(at).to_vec());
            p = lp.next(at);
        }
        assert_eq!(forward, items);
        let mut backward = Vec::new();
        let mut p = lp.last();
        while let Some(at) = p {
            backward.push(lp.get(at).to_vec());
            p = lp.prev(at);
        }
        backward.reverse();
        assert_eq!(backward, items);
        assert_eq!(
            u16::from_le_bytes([lp.as_bytes()[4], lp.as_bytes()[5]]) as usize,
            items.len()
        );
        // Redis's sizes: "128" is a 13-bit integer (2 bytes + backlen), a 64-byte string has a
        // 2-byte header.
        assert_eq!(element_size(b"128"), 3);
        assert_eq!(element_size(&[b'y'; 64]), 67);
    }

    #[test]
    fn replacing_an_integer_resizes_in_place() {
        let mut lp = Listpack::new();
        lp.append_int(127);
        lp.append(b"after");
        let first = lp.first().unwrap();
        lp.replace_int(first, 128);
        assert_eq!(lp.get(first), Item::Int(128));
        let next = lp.next(first).unwrap();
        assert_eq!(lp.get(next), Item::Str(b"after"));
        assert_eq!(lp.byte_len(), 7 + 3 + 7);
        lp.replace_int(first, -1);
        assert_eq!(lp.get_int(first), -1);
        assert_eq!(lp.prev(lp.last().unwrap()), Some(first));
    }
}
