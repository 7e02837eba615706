//! [`EntryKey`]: how the keyspace's table holds a key — short keys inline, so the keys most
//! applications use (`user:1042`, `session:…`) cost no heap block of their own.

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

/// The longest key kept inline: what fits beside the tag and the length in the 24 bytes a
/// boxed slice takes with its tag.
const INLINE_MAX: usize = 22;

/// A key as the table stores it: up to [`INLINE_MAX`] bytes inline, longer ones in a boxed slice.
/// It hashes, compares and borrows as its bytes, so the table is looked up with a `&[u8]`.
#[derive(Clone)]
pub(crate) enum EntryKey {
    Inline(u8, [u8; INLINE_MAX]),
    Heap(Box<[u8]>),
}

impl EntryKey {
    pub(crate) fn new(key: &[u8]) -> EntryKey {
        if key.len() <= INLINE_MAX {
            let mut bytes = [0; INLINE_MAX];
            bytes[..key.len()].copy_from_slice(key);
            EntryKey::Inline(key.len() as u8, bytes)
        } else {
            EntryKey::Heap(key.into())
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            EntryKey::Inline(len, bytes) => &bytes[..*len as usize],
            EntryKey::Heap(bytes) => bytes,
        }
    }
}

impl Borrow<[u8]> for EntryKey {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl Hash for EntryKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // As the bytes hash, so a lookup by `&[u8]` finds the entry.
        self.as_bytes().hash(state)
    }
}

impl PartialEq for EntryKey {
    fn eq(&self, other: &EntryKey) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for EntryKey {}

impl std::fmt::Debug for EntryKey {
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
        let mut map: Map<EntryKey, usize> = Map::default();
        let keys: Vec<Vec<u8>> = (0..40)
            .map(|len| (0..len).map(|i| b'a' + (i % 26) as u8).collect())
            .collect();
        for (i, key) in keys.iter().enumerate() {
            map.insert(EntryKey::new(key), i);
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(map.get(key.as_slice()), Some(&i));
            assert_eq!(EntryKey::new(key).as_bytes(), key.as_slice());
        }
        assert!(matches!(EntryKey::new(&keys[INLINE_MAX]), EntryKey::Inline(..)));
        assert!(matches!(EntryKey::new(&keys[INLINE_MAX + 1]), EntryKey::Heap(_)));
        assert_eq!(std::mem::size_of::<EntryKey>(), 24, "no larger than a Vec");
    }
}
