//! Random identifiers: run ids, replication ids, cluster node ids.

/// 40 random hexadecimal characters, as Redis's `getRandomHexChars` makes its ids.
pub(crate) fn random_id() -> String {
    use std::hash::BuildHasher;
    let state = std::collections::hash_map::RandomState::new();
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let draws = [0u8, 1, 2].map(|i| state.hash_one((at, std::process::id(), i)));
    format!("{:016x}{:016x}{:08x}", draws[0], draws[1], draws[2] as u32)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_forty_hex_characters_and_differ() {
        let (a, b) = (super::random_id(), super::random_id());
        assert_eq!(a.len(), 40);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
