//! Redis's glob-style pattern matching (`stringmatchlen` in util.c), ported byte for byte so KEYS and
//! SCAN MATCH select exactly the keys Redis selects: `*`, `?`, `[abc]`, `[^a-z]`, `\` escapes.

/// Whether `string` matches `pattern`.
pub(crate) fn matches(pattern: &[u8], string: &[u8]) -> bool {
    let mut skip_longer = false;
    match_impl(pattern, string, &mut skip_longer, 0)
}

/// DEBUG STRINGMATCH-TEST (Redis's `stringmatchlen_fuzz_test`): matches random patterns of
/// random bytes (below 128, up to 31 of them) against random strings, 100,000 times (Redis runs
/// it 10^7 times), to show that no pattern makes the matcher fail or run away. Answers how many
/// matched.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn fuzz_test() -> usize {
    const CYCLES: usize = 100_000;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut random = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut matched = 0;
    let (mut string, mut pattern) = ([0u8; 32], [0u8; 32]);
    for _ in 0..CYCLES {
        let string_len = (random() % 32) as usize;
        let pattern_len = (random() % 32) as usize;
        string[..string_len]
            .iter_mut()
            .for_each(|b| *b = (random() % 128) as u8);
        pattern[..pattern_len]
            .iter_mut()
            .for_each(|b| *b = (random() % 128) as u8);
        matched += usize::from(matches(&pattern[..pattern_len], &string[..string_len]));
    }
    matched
}

/// The byte at `i`, or 0 past the end (the C code reads the terminating NUL there).
fn at(s: &[u8], i: usize) -> u8 {
    s.get(i).copied().unwrap_or(0)
}

/// C's `char` is signed on the platforms Redis runs on; ranges compare as signed.
fn signed(b: u8) -> i32 {
    b as i8 as i32
}

fn match_impl(pattern: &[u8], string: &[u8], skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > 1000 {
        return false;
    }
    let (mut p, mut s) = (0usize, 0usize);
    let mut plen = pattern.len() as isize;
    let mut slen = string.len() as isize;
    while plen > 0 && slen > 0 {
        match at(pattern, p) {
            b'*' => {
                while plen > 0 && at(pattern, p + 1) == b'*' {
                    p += 1;
                    plen -= 1;
                }
                if plen == 1 {
                    return true;
                }
                while slen > 0 {
                    if match_impl(&pattern[p + 1..], &string[s..], skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                    slen -= 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s += 1;
                slen -= 1;
            }
            b'[' => {
                p += 1;
                plen -= 1;
                let not = at(pattern, p) == b'^';
                if not {
                    p += 1;
                    plen -= 1;
                }
                let c = at(string, s);
                let mut matched = false;
                loop {
                    if at(pattern, p) == b'\\' && plen >= 2 {
                        p += 1;
                        plen -= 1;
                        if at(pattern, p) == c {
                            matched = true;
                        }
                    } else if at(pattern, p) == b']' {
                        break;
                    } else if plen == 0 {
                        p -= 1;
                        plen += 1;
                        break;
                    } else if plen >= 3 && at(pattern, p + 1) == b'-' {
                        let (mut start, mut end) = (signed(at(pattern, p)), signed(at(pattern, p + 2)));
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        p += 2;
                        plen -= 2;
                        if (start..=end).contains(&signed(c)) {
                            matched = true;
                        }
                    } else if at(pattern, p) == c {
                        matched = true;
                    }
                    p += 1;
                    plen -= 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
            first => {
                let literal = if first == b'\\' && plen >= 2 {
                    p += 1;
                    plen -= 1;
                    at(pattern, p)
                } else {
                    first
                };
                if literal != at(string, s) {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
        }
        p += 1;
        plen -= 1;
        if slen == 0 {
            while at(pattern, p) == b'*' && p < pattern.len() {
                p += 1;
                plen -= 1;
            }
            break;
        }
    }
    plen == 0 && slen == 0
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs_match_as_in_redis() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "anything", true),
            ("h?llo", "hello", true),
            ("h?llo", "hllo", false),
            ("h*llo", "heeeello", true),
            ("h[ae]llo", "hallo", true),
            ("h[ae]llo", "hillo", false),
            ("h[^e]llo", "hallo", true),
            ("h[^e]llo", "hello", false),
            ("h[a-b]llo", "hbllo", true),
            ("h[b-a]llo", "hallo", true),
            ("h\\*llo", "h*llo", true),
            ("h\\*llo", "hello", false),
            ("user:*", "user:", true),
            ("a*b*c", "abc", true),
            ("a*b*c", "acb", false),
            ("[", "[", false),
            ("[a", "a", true),
            ("", "", true),
            ("*", "", false),
        ];
        for (pattern, string, expected) in cases {
            assert_eq!(
                matches(pattern.as_bytes(), string.as_bytes()),
                *expected,
                "{pattern} ~ {string}"
            );
        }
    }
}
