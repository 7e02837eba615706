//! [`InlineBytes`]: a byte string kept inline when short — how the keyspace's table holds a key
//! and a sorted set its members, so the keys and members most applications use (`user:1042`,
//! `session:…`) cost no heap block of their own.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// The longest string kept inline: what fits beside the tag and the length in the 24 bytes a
/// boxed slice takes with its tag.
const INLINE_MAX: usize = 22;

/// Up to [`INLINE_MAX`] bytes inline, longer ones in a boxed slice. It hashes, compares and
/// borrows as its bytes, so maps of them are looked up with a `&[u8]`.
#[derive(Clone)]
pub(crate) enum InlineBytes {
    Inline(u8, [u8; INLINE_MAX]),
    Heap(Box<[u8]>),
}

impl InlineBytes {
    /// The longest string kept inline.
    pub(crate) const INLINE_MAX: usize = INLINE_MAX;

    pub(crate) fn new(key: &[u8]) -> InlineBytes {
        if key.len() <= INLINE_MAX {
            let mut bytes = [0; INLINE_MAX];
            copy_bytes(&mut bytes[..key.len()], key);
            InlineBytes::Inline(key.len() as u8, bytes)
        } else {
            InlineBytes::Heap(key.into())
        }
    }

    /// The empty string, as a constant: written in one piece where it is placed.
    pub(crate) const EMPTY: InlineBytes = InlineBytes::Inline(0, [0; INLINE_MAX]);

    /// Makes this `key`'s bytes, in place: a short key is copied where it stays rather than
    /// built apart and moved there (a move reads back bytes just written piece by piece, and
    /// the processor stalls on that).
    pub(crate) fn assign(&mut self, key: &[u8]) {
        match self {
            InlineBytes::Inline(len, bytes) if key.len() <= INLINE_MAX => {
                copy_bytes(&mut bytes[..key.len()], key);
                *len = key.len() as u8;
            }
            _ => *self = InlineBytes::new(key),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            InlineBytes::Inline(len, bytes) => &bytes[..*len as usize],
            InlineBytes::Heap(bytes) => bytes,
        }
    }
}

impl std::ops::Deref for InlineBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Borrow<[u8]> for InlineBytes {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Hash for InlineBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As the bytes hash, so a lookup by `&[u8]` finds the entry.
        self.as_bytes().hash(state)
    }
}

impl PartialEq for InlineBytes {
    fn eq(&self, other: &InlineBytes) -> bool {
        same_bytes(self.as_bytes(), other.as_bytes())
    }
}

/// `dst.copy_from_slice(src)`, with strings of up to 32 bytes (most keys) copied by two
/// overlapping moves (or three bytes) instead of a call to `memcpy`.
#[inline]
pub(crate) fn copy_bytes(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    match n {
        1..4 if dst.len() == n => {
            dst[0] = src[0];
            dst[n / 2] = src[n / 2];
            dst[n - 1] = src[n - 1];
        }
        17..=32 if dst.len() == n => {
            dst[..16].copy_from_slice(&src[..16]);
            dst[n - 16..].copy_from_slice(&src[n - 16..]);
        }
        8..=16 if dst.len() == n => {
            dst[..8].copy_from_slice(&src[..8]);
            dst[n - 8..].copy_from_slice(&src[n - 8..]);
        }
        4..8 if dst.len() == n => {
            dst[..4].copy_from_slice(&src[..4]);
            dst[n - 4..].copy_from_slice(&src[n - 4..]);
        }
        _ => dst.copy_from_slice(src),
    }
}

/// Whether `a` and `b` hold the same bytes: `a == b`, with strings of up to 16 bytes (most keys)
/// compared by two overlapping word loads each instead of a call to `memcmp`.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    fn word<const N: usize>(s: &[u8], at: usize) -> [u8; N] {
        let mut w = [0; N];
        w.copy_from_slice(&s[at..at + N]);
        w
    }
    match n {
        8..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        4..8 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        _ => a == b,
    }
}

impl Eq for InlineBytes {}

impl std::fmt::Debug for InlineBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::Map;

    #[test]
    fn keys_of_every_length_are_found_by_their_bytes() {
        let mut map: Map<InlineBytes, usize> = Map::default();
        let keys: Vec<Vec<u8>> = (0..40)
            .map(|len| (0..len).map(|i| b'a' + (i % 26) as u8).collect())
            .collect();
        for (i, key) in keys.iter().enumerate() {
            map.insert(InlineBytes::new(key), i);
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(map.get(key.as_slice()), Some(&i));
            assert_eq!(InlineBytes::new(key).as_bytes(), key.as_slice());
        }
        assert!(matches!(InlineBytes::new(&keys[INLINE_MAX]), InlineBytes::Inline(..)));
        assert!(matches!(InlineBytes::new(&keys[INLINE_MAX + 1]), InlineBytes::Heap(_)));
        assert_eq!(std::mem::size_of::<InlineBytes>(), 24, "no larger than a Vec");
    }

    #[test]
    fn copy_bytes_copies_every_length() {
        for len in 0..40 {
            let src: Vec<u8> = (0..len).map(|i| i as u8 + 1).collect();
            let mut dst = vec![0u8; len];
            copy_bytes(&mut dst, &src);
            assert_eq!(dst, src);
        }
    }

    #[test]
    fn same_bytes_is_slice_equality() {
        let strings: Vec<Vec<u8>> = (0..24)
            .flat_map(|len| {
                let base: Vec<u8> = (0..len).map(|i| b'a' + i as u8).collect();
                let mut variants = vec![base.clone()];
                for at in 0..len {
                    let mut changed = base.clone();
                    changed[at] ^= 0x20;
                    variants.push(changed);
                }
                variants
            })
            .collect();
        for a in &strings {
            for b in &strings {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }
}
