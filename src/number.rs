//! Numbers as Redis reads and writes them: strict 64-bit integers (`string2ll`) and the `long double`
//! arithmetic of INCRBYFLOAT, done by a few lines of C so results print with Redis's exact digits.

use std::ffi::c_char;

/// Parses a decimal 64-bit integer the way Redis's `string2ll` does: no sign other than a leading `-`,
/// no leading zeros, no spaces, nothing after the digits, within range.
pub(crate) fn parse_i64(bytes: &[u8]) -> Option<i64> {
    match bytes {
        [] => None,
        [b'0'] => Some(0),
        [b'-', rest @ ..] => parse_digits(rest, true),
        _ => parse_digits(bytes, false),
    }
}

fn parse_digits(digits: &[u8], negative: bool) -> Option<i64> {
    if digits.is_empty() || digits.len() > 19 || digits[0] == b'0' || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut magnitude: u64 = 0;
    for &d in digits {
        magnitude = magnitude.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// An integer's decimal digits, formatted on the stack without going through `fmt` (integers are
/// printed on every GET of a counter and in every typed call that passes a number).
pub(crate) struct Decimal {
    digits: [u8; 21],
    start: usize,
}

impl Decimal {
    /// The digits of `-magnitude` or `magnitude`.
    pub(crate) fn new(negative: bool, magnitude: u64) -> Decimal {
        // Two digits at a time, from a table of the hundred pairs.
        const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
            2021222324252627282930313233343536373839\
            4041424344454647484950515253545556575859\
            6061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899";
        let mut digits = [0u8; 21];
        let mut start = digits.len();
        let mut m = magnitude;
        while m >= 100 {
            let pair = (m % 100) as usize * 2;
            m /= 100;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if m >= 10 {
            let pair = m as usize * 2;
            start -= 2;
            digits[start..start + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            start -= 1;
            digits[start] = b'0' + m as u8;
        }
        if negative {
            start -= 1;
            digits[start] = b'-';
        }
        Decimal { digits, start }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }
}

/// `n` in decimal.
pub(crate) fn format_i64(n: i64) -> Vec<u8> {
    Decimal::new(n < 0, n.unsigned_abs()).as_bytes().to_vec()
}

/// The longest string Redis reads as a `long double` (MAX_LONG_DOUBLE_CHARS).
const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

unsafe extern "C" {
    fn embedis_ld_add(
        a: *const c_char,
        a_len: usize,
        b: *const c_char,
        b_len: usize,
        out: *mut c_char,
        out_cap: usize,
    ) -> i64;
    fn embedis_ld_timeout_ms(s: *const c_char, len: usize, out: *mut i64) -> i32;
    fn embedis_string2d(s: *const c_char, len: usize, out: *mut f64) -> i32;
    fn embedis_range_strtod(s: *const c_char, len: usize, out: *mut f64) -> i32;
    fn embedis_d2string(value: f64, buf: *mut c_char, len: usize) -> i32;
    fn embedis_sort_strtod(s: *const c_char, len: usize, out: *mut f64) -> i32;
    fn embedis_g17(value: f64, buf: *mut c_char, len: usize) -> i32;
    fn embedis_strtod_prefix(s: *const c_char) -> f64;
    fn embedis_atoi(s: *const c_char) -> i32;
    fn embedis_ld_human(value: f64, out: *mut c_char, cap: usize) -> i64;
}

/// A double as Redis prints a coordinate (`addReplyHumanLongDouble`): promoted to `long double`
/// and printed with 17 decimals, trailing zeros removed.
pub(crate) fn format_human_long_double(value: f64) -> Vec<u8> {
    let mut out = vec![0u8; 512];
    // SAFETY: the pointer and length describe a live buffer; the C side writes at most its length.
    let n = unsafe { embedis_ld_human(value, out.as_mut_ptr().cast(), out.len()) };
    out.truncate(n.max(0) as usize);
    out
}

/// Checks an increment as HINCRBYFLOAT does before anything else: it must read as a `long double`
/// (`BadIncrement`) and be finite (`NotFinite`).
pub(crate) fn check_long_double_increment(incr: &[u8]) -> Result<(), FloatAddError> {
    // 0 + x is finite exactly when x is, and parses x with the same rules as every addition.
    long_double_add(b"0", incr).map(|_| ())
}

/// Why a `long double` addition failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum FloatAddError {
    /// The stored value is not a float.
    BadBase,
    /// The increment is not a float.
    BadIncrement,
    /// The sum is NaN or infinite.
    NotFinite,
}

/// `base + incr` computed in `long double` as INCRBYFLOAT does, printed as Redis prints it
/// (`%.17Lf`, trailing zeros removed). Both inputs are parsed as Redis's `string2ld` parses them.
pub(crate) fn long_double_add(base: &[u8], incr: &[u8]) -> Result<Vec<u8>, FloatAddError> {
    if base.len() >= MAX_LONG_DOUBLE_CHARS || base.is_empty() {
        return Err(FloatAddError::BadBase);
    }
    if incr.len() >= MAX_LONG_DOUBLE_CHARS || incr.is_empty() {
        return Err(FloatAddError::BadIncrement);
    }
    let mut out = vec![0u8; MAX_LONG_DOUBLE_CHARS];
    // SAFETY: the pointers and lengths describe live slices; the C side writes at most `out.len()` bytes.
    let n = unsafe {
        embedis_ld_add(
            base.as_ptr().cast(),
            base.len(),
            incr.as_ptr().cast(),
            incr.len(),
            out.as_mut_ptr().cast(),
            out.len(),
        )
    };
    match n {
        -1 => Err(FloatAddError::BadBase),
        -2 => Err(FloatAddError::BadIncrement),
        n if n < 0 => Err(FloatAddError::NotFinite),
        n => {
            out.truncate(n as usize);
            Ok(out)
        }
    }
}

/// A blocking command's timeout in seconds as Redis reads it: a `long double` times 1000, rounded up
/// and converted to milliseconds as C converts (out of range becomes negative where Redis runs).
pub(crate) fn timeout_millis(arg: &[u8]) -> Option<i64> {
    if arg.is_empty() || arg.len() >= MAX_LONG_DOUBLE_CHARS {
        return None;
    }
    let mut out = 0i64;
    // SAFETY: pointer and length describe a live slice; `out` is a valid place for the result.
    let ok = unsafe { embedis_ld_timeout_ms(arg.as_ptr().cast(), arg.len(), &mut out) };
    (ok == 1).then_some(out)
}

/// A double as Redis's `string2d` reads it (ZADD scores, weights): `None` if it is not one.
pub(crate) fn parse_f64(arg: &[u8]) -> Option<f64> {
    let mut out = 0.0;
    // SAFETY: pointer and length describe a live slice; `out` is a valid place for the result.
    let ok = unsafe { embedis_string2d(arg.as_ptr().cast(), arg.len(), &mut out) };
    (ok == 1).then_some(out)
}

/// A score-range bound as Redis's `zslParseRange` reads it (after any `(`).
pub(crate) fn parse_range_f64(arg: &[u8]) -> Option<f64> {
    let mut out = 0.0;
    // SAFETY: as above.
    let ok = unsafe { embedis_range_strtod(arg.as_ptr().cast(), arg.len(), &mut out) };
    (ok == 1).then_some(out)
}

/// A double printed with C's `%.17g`: Lua numbers passed to `redis.call` and double replies, as
/// Redis 7.0 prints them (`inf`, `-inf`, `-nan` included).
pub(crate) fn format_g17(value: f64) -> Vec<u8> {
    let mut buf = [0u8; 64];
    // SAFETY: the buffer is 64 bytes and the length given is 64; %.17g needs at most 25.
    let n = unsafe { embedis_g17(value, buf.as_mut_ptr().cast(), buf.len()) };
    buf[..(n.max(0) as usize).min(buf.len() - 1)].to_vec()
}

/// `arg` up to its first NUL, NUL-terminated, as C's string functions read Redis's arguments.
fn c_string(arg: &[u8]) -> std::ffi::CString {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    std::ffi::CString::new(&arg[..end]).unwrap_or_default()
}

/// C's `strtod` on `arg`: the longest prefix that reads as a number (hexadecimal and `inf`
/// included), 0 when none does — how DEBUG SLEEP reads its seconds.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn strtod_prefix(arg: &[u8]) -> f64 {
    let text = c_string(arg);
    // SAFETY: `text` is a live NUL-terminated string.
    unsafe { embedis_strtod_prefix(text.as_ptr()) }
}

/// C's `atoi` on `arg` — how DEBUG SET-ACTIVE-EXPIRE reads its flag.
#[cfg_attr(not(feature = "server"), allow(dead_code))]
pub(crate) fn atoi(arg: &[u8]) -> i32 {
    let text = c_string(arg);
    // SAFETY: `text` is a live NUL-terminated string.
    unsafe { embedis_atoi(text.as_ptr()) }
}

/// A SORT weight as Redis reads it (`strtod`, no range error, no NaN).
pub(crate) fn parse_sort_weight(arg: &[u8]) -> Option<f64> {
    let mut out = 0.0;
    // SAFETY: pointer and length describe a live slice; `out` is a valid place for the result.
    let ok = unsafe { embedis_sort_strtod(arg.as_ptr().cast(), arg.len(), &mut out) };
    (ok == 1).then_some(out)
}

/// A double printed as Redis prints scores (`d2string`: `%.17g`, integers plainly, `inf`).
pub(crate) fn format_f64(value: f64) -> Vec<u8> {
    let mut buf = [0u8; 64];
    // SAFETY: the buffer is 64 bytes and the length given is 64; %.17g needs at most 24.
    let n = unsafe { embedis_d2string(value, buf.as_mut_ptr().cast(), buf.len()) };
    buf[..(n.max(0) as usize).min(buf.len() - 1)].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_print_as_rust_prints_them() {
        let mut samples = vec![0, 1, -1, 9, 10, 99, 100, -100, 101, i64::MAX, i64::MIN, i64::MIN + 1];
        let mut power = 1i64;
        while let Some(next) = power.checked_mul(10) {
            samples.extend([power - 1, power, power + 1, -power, -(power - 1)]);
            power = next;
        }
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            samples.extend([x as i64, (x >> (x % 64)) as i64]);
        }
        for n in samples {
            assert_eq!(format_i64(n), n.to_string().into_bytes(), "{n}");
        }
    }

    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"9223372036854775808"[..],
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"",
            b"-",
            b"1.0",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn doubles_print_like_redis() {
        assert_eq!(format_f64(0.1), b"0.10000000000000001");
        assert_eq!(format_f64(3.0), b"3");
        assert_eq!(format_f64(1.5e-7), b"1.4999999999999999e-07");
        assert_eq!(format_f64(f64::INFINITY), b"inf");
        assert_eq!(format_f64(f64::NEG_INFINITY), b"-inf");
        assert_eq!(format_f64(123456789012345678.0), b"1.2345678901234568e+17");
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_range_f64(b""), Some(0.0));
    }

    #[test]
    fn integers_format_in_decimal() {
        for n in [0, 7, -7, 10, 1234567890, i64::MAX, i64::MIN] {
            assert_eq!(format_i64(n), n.to_string().into_bytes());
        }
    }

    #[test]
    fn long_double_sums_print_like_redis() {
        assert_eq!(long_double_add(b"10.5", b"0.1").unwrap(), b"10.6");
        assert_eq!(long_double_add(b"0.1", b"0.2").unwrap(), b"0.3");
        assert_eq!(long_double_add(b"1000", b"0.1").unwrap(), b"1000.09999999999999998");
        assert_eq!(long_double_add(b"3", b"1.0e1").unwrap(), b"13");
        assert_eq!(long_double_add(b"1", b"0x10").unwrap(), b"17");
        assert_eq!(long_double_add(b"1", b" 1"), Err(FloatAddError::BadIncrement));
        assert_eq!(long_double_add(b"1", b"inf"), Err(FloatAddError::NotFinite));
        assert_eq!(long_double_add(b"abc", b"1"), Err(FloatAddError::BadBase));
    }
}
