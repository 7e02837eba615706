//! The SCAN family (SCAN, HSCAN, SSCAN): cursor parsing, options, and paging.
//!
//! A cursor is a position in a fixed hash order of the elements, so an element present for the
//! whole iteration is returned at least once however the collection changes in between (Redis's
//! guarantee). Small collections, which Redis keeps compact (listpack, intset), answer everything at
//! once with cursor 0, as Redis does.

use super::args::{Args, c_str, is_option};
use super::glob;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::reply::Reply;

/// The options after the cursor.
pub(crate) struct ScanOptions<'a> {
    pub(crate) count: usize,
    pub(crate) pattern: Option<&'a [u8]>,
    pub(crate) type_name: Option<&'a [u8]>,
}

impl<'a> ScanOptions<'a> {
    /// Parses `[MATCH pattern] [COUNT count]` (and `[TYPE type]` for SCAN) from argument `from`.
    pub(crate) fn parse(argv: &'a Argv, from: usize, allow_type: bool) -> Result<ScanOptions<'a>, CommandError> {
        let mut options = ScanOptions {
            count: 10,
            pattern: None,
            type_name: None,
        };
        let mut args = Args::new(argv, from);
        while let Some(opt) = args.next() {
            if is_option(opt, "count") && args.remaining() >= 1 {
                let count = args.i64()?;
                if count < 1 {
                    return Err(CommandError::Syntax);
                }
                options.count = count as usize;
            } else if is_option(opt, "match") && args.remaining() >= 1 {
                options.pattern = Some(args.bytes()?).filter(|p| *p != b"*");
            } else if allow_type && is_option(opt, "type") && args.remaining() >= 1 {
                options.type_name = Some(args.bytes()?);
            } else {
                return Err(CommandError::Syntax);
            }
        }
        Ok(options)
    }

    /// Whether an element's name passes MATCH.
    pub(crate) fn matches(&self, name: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob::matches(p, name))
    }
}

/// Redis's `parseScanCursorOrReply`: C's `strtoul` on the argument, refusing a leading space, junk
/// after the digits and overflow; a leading `-` wraps, as `strtoul` does.
pub(crate) fn parse_cursor(arg: &[u8]) -> Result<u64, CommandError> {
    let invalid = || CommandError::other("ERR invalid cursor");
    let text = c_str(arg);
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if text.is_empty() {
        return Ok(0);
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(invalid());
    }
    let mut n: u64 = 0;
    for d in digits {
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add((d - b'0') as u64))
            .ok_or_else(invalid)?;
    }
    Ok(if negative { n.wrapping_neg() } else { n })
}

/// An element's fixed position in the scan order.
fn position(name: &[u8]) -> u64 {
    static SCAN_ORDER: ahash::RandomState = ahash::RandomState::with_seeds(0x5ca1, 0xab1e, 0xc0de, 0xf00d);
    SCAN_ORDER.hash_one(name)
}

/// One page: about `count` elements from `cursor` on, in position order, and the next cursor (0
/// when the iteration is done). Costs O(elements): embedis keeps no second index just for SCAN.
pub(crate) fn page<'a, T>(
    cursor: u64,
    count: usize,
    elements: impl Iterator<Item = (&'a [u8], T)>,
) -> (u64, Vec<(&'a [u8], T)>) {
    let mut candidates: Vec<(u64, &'a [u8], T)> = elements
        .map(|(name, item)| (position(name), name, item))
        .filter(|(pos, _, _)| *pos >= cursor)
        .collect();
    candidates.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut take = count.min(candidates.len());
    // Elements sharing a position come together, so none is skipped.
    while take > 0 && take < candidates.len() && candidates[take].0 == candidates[take - 1].0 {
        take += 1;
    }
    let next = candidates.get(take).map_or(0, |(pos, _, _)| *pos);
    candidates.truncate(take);
    (
        next,
        candidates.into_iter().map(|(_, name, item)| (name, item)).collect(),
    )
}

/// The reply of HSCAN/SSCAN on a missing key.
pub(crate) fn empty() -> Reply {
    reply(0, Vec::new())
}

/// The two-element SCAN reply: the next cursor as a bulk string, then the elements.
pub(crate) fn reply(next: u64, elements: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk(next.to_string()), Reply::Array(elements)])
}

/// HSCAN and SSCAN after the key was found: a compact collection answers whole with cursor 0; a
/// large one pages. `emit` turns one element into its reply items (a field and its value, or a
/// member). The cursor was parsed before the key was looked up, as Redis does.
pub(crate) fn collection<'a, T>(
    cursor: u64,
    argv: &'a Argv,
    elements: impl Iterator<Item = (&'a [u8], T)>,
    compact: bool,
    mut emit: impl FnMut(&'a [u8], T, &mut Vec<Reply>),
) -> Result<Reply, CommandError> {
    let options = ScanOptions::parse(argv, 3, false)?;
    let (next, page): (u64, Vec<(&[u8], T)>) = if compact {
        (0, elements.collect())
    } else {
        page(cursor, options.count, elements)
    };
    let mut out = Vec::new();
    for (name, item) in page {
        if options.matches(name) {
            emit(name, item, &mut out);
        }
    }
    Ok(reply(next, out))
}
