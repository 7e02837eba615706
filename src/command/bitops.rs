//! Bit commands on strings (Redis's `bitops.c`): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD and BITFIELD_RO. A bitmap is a string: bit 0 is the most significant bit of the
//! first byte, and writing past the end grows the string with zero bytes, as Redis does.

use super::Ctx;
use super::args::{int, is_option};
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::effects::EventClass;
use crate::keyspace::{Str, Ttl, Value};
use crate::number::parse_i64;
use crate::reply::Reply;

/// The largest string a bit command may make: 512 MB, Redis's `proto-max-bulk-len` default.
const MAX_BYTES: i64 = 512 * 1024 * 1024;

const OFFSET_ERROR: &str = "ERR bit offset is not an integer or out of range";

/// A bit offset (Redis's `getBitOffsetFromArgument`): a non-negative integer within the largest
/// string; with `bits` (BITFIELD), `#n` means the n-th field of that width.
fn bit_offset(arg: &[u8], bits: Option<u32>) -> Result<u64, CommandError> {
    let error = || CommandError::other(OFFSET_ERROR);
    let (by_field, digits) = match (bits, arg.first()) {
        (Some(bits), Some(b'#')) if bits > 0 => (Some(bits), &arg[1..]),
        _ => (None, arg),
    };
    let mut offset = parse_i64(digits).ok_or_else(error)?;
    if let Some(bits) = by_field {
        offset = offset.wrapping_mul(bits as i64);
    }
    if offset < 0 || (offset >> 3) >= MAX_BYTES {
        return Err(error());
    }
    Ok(offset as u64)
}

/// The string at `key` to set bits in, as Redis's `lookupStringForBitCommand`: created zeroed if
/// missing, grown with zero bytes to hold byte `byte`; answers it and whether creating or growing
/// it already changed the key.
fn bits_for_write<'a>(ctx: &'a mut Ctx<'_>, key: &[u8], byte: usize) -> Result<(&'a mut Vec<u8>, bool), CommandError> {
    let mut dirty = false;
    if ctx.write::<Str>(key)?.is_none() {
        // Redis adds the key without signalling it: the command signals it if it changes bits.
        ctx.ks
            .insert_silently(ctx.db, key, Value::Str(Str::grown(vec![0; byte + 1])));
        dirty = true;
    }
    let raw = ctx.write::<Str>(key)?.ok_or(CommandError::NoSuchKey)?.make_raw();
    if raw.len() < byte + 1 {
        raw.resize(byte + 1, 0);
        dirty = true;
    }
    Ok((raw, dirty))
}

/// The bit at `offset` (0 past the end).
fn bit_at(bytes: &[u8], offset: u64) -> bool {
    let byte = (offset >> 3) as usize;
    bytes.get(byte).is_some_and(|b| b & (1 << (7 - (offset & 7))) != 0)
}

/// SETBIT key offset value
pub(crate) fn setbit(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let offset = bit_offset(argv.arg(2), None)?;
    let value_error = || CommandError::other("ERR bit is not an integer or out of range");
    let on = parse_i64(argv.arg(3)).ok_or_else(value_error)?;
    if on & !1 != 0 {
        return Err(value_error());
    }
    let (bytes, dirty) = bits_for_write(ctx, key, (offset >> 3) as usize)?;
    let old = bit_at(bytes, offset);
    if dirty || old != (on == 1) {
        let byte = &mut bytes[(offset >> 3) as usize];
        let mask = 1 << (7 - (offset & 7));
        if on == 1 {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
        ctx.modified(key);
        ctx.notify(EventClass::String, "setbit", key);
        ctx.dirty(1);
    }
    Ok(Reply::Integer(old as i64))
}

/// GETBIT key offset
pub(crate) fn getbit(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let offset = bit_offset(argv.arg(2), None)?;
    let bit = ctx
        .read::<Str>(argv.arg(1))?
        .is_some_and(|s| bit_at(&s.as_bytes(), offset));
    Ok(Reply::Integer(bit as i64))
}

/// A BITCOUNT or BITPOS range after Redis's normalisation: whole bytes `start..=end`, and masks
/// of the bits of the first and last byte that fall outside a BIT range.
struct ByteRange {
    start: i64,
    end: i64,
    first_outside: u8,
    last_outside: u8,
}

/// Redis's range arithmetic for BITCOUNT and BITPOS: negative indexes from the end, clamped to
/// the string (`len` bytes); in BIT units, turned into bytes and edge masks.
fn byte_range(mut start: i64, mut end: i64, len: i64, in_bits: bool) -> ByteRange {
    let total = if in_bits { len << 3 } else { len };
    if start < 0 {
        start += total;
    }
    if end < 0 {
        end += total;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    let (mut first_outside, mut last_outside) = (0, 0);
    if in_bits && start <= end {
        first_outside = !((1u16 << (8 - (start & 7))) - 1) as u8;
        last_outside = ((1u16 << (7 - (end & 7))) - 1) as u8;
        start >>= 3;
        end >>= 3;
    }
    ByteRange {
        start,
        end,
        first_outside,
        last_outside,
    }
}

/// BYTE or BIT, the unit of a range.
fn unit_is_bit(arg: &[u8]) -> Result<bool, CommandError> {
    if is_option(arg, "bit") {
        Ok(true)
    } else if is_option(arg, "byte") {
        Ok(false)
    } else {
        Err(CommandError::Syntax)
    }
}

/// BITCOUNT key [start end [BYTE|BIT]]
pub(crate) fn bitcount(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let Some(value) = ctx.read::<Str>(argv.arg(1))? else {
        return Ok(Reply::Integer(0));
    };
    let bytes = value.as_bytes();
    let range = match argv.len() {
        2 => ByteRange {
            start: 0,
            end: bytes.len() as i64 - 1,
            first_outside: 0,
            last_outside: 0,
        },
        4 | 5 => {
            let (start, end) = (int(argv.arg(2))?, int(argv.arg(3))?);
            if start < 0 && end < 0 && start > end {
                return Ok(Reply::Integer(0));
            }
            let in_bits = match argv.get(4) {
                Some(unit) => unit_is_bit(unit)?,
                None => false,
            };
            byte_range(start, end, bytes.len() as i64, in_bits)
        }
        _ => return Err(CommandError::Syntax),
    };
    if range.start > range.end {
        return Ok(Reply::Integer(0));
    }
    let (start, end) = (range.start as usize, range.end as usize);
    let mut count = popcount(&bytes[start..=end]) as i64;
    count -= (bytes[start] & range.first_outside).count_ones() as i64;
    count -= (bytes[end] & range.last_outside).count_ones() as i64;
    Ok(Reply::Integer(count))
}

/// The bits set in `bytes`: eight bytes at a time, with the SWAR steps Redis's
/// `redisPopcount` uses (no POPCNT instruction is assumed).
fn popcount(bytes: &[u8]) -> u64 {
    const M1: u64 = 0x5555_5555_5555_5555;
    const M2: u64 = 0x3333_3333_3333_3333;
    const M4: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const H01: u64 = 0x0101_0101_0101_0101;
    let mut words = bytes.chunks_exact(8);
    let mut count = 0u64;
    for word in &mut words {
        let mut x = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        x -= (x >> 1) & M1;
        x = (x & M2) + ((x >> 2) & M2);
        x = (x + (x >> 4)) & M4;
        count += x.wrapping_mul(H01) >> 56;
    }
    count + words.remainder().iter().map(|b| b.count_ones() as u64).sum::<u64>()
}

/// The position of the first `bit` in `bytes` (Redis's `redisBitpos`): -1 when looking for a 1
/// that is not there, the bit just past the end when looking for a 0 that is not there.
fn first_bit(bytes: &[u8], bit: bool) -> i64 {
    for (i, &b) in bytes.iter().enumerate() {
        let b = if bit { b } else { !b };
        if b != 0 {
            return i as i64 * 8 + b.leading_zeros() as i64;
        }
    }
    if bit { -1 } else { bytes.len() as i64 * 8 }
}

/// BITPOS key bit [start [end [BYTE|BIT]]]
pub(crate) fn bitpos(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let bit = int(argv.arg(2))?;
    if bit != 0 && bit != 1 {
        return Err(CommandError::other("ERR The bit argument must be 1 or 0."));
    }
    let bit = bit == 1;
    let Some(value) = ctx.read::<Str>(argv.arg(1))? else {
        return Ok(Reply::Integer(if bit { -1 } else { 0 }));
    };
    let bytes = value.as_bytes();
    let len = bytes.len() as i64;
    let mut end_given = false;
    let range = match argv.len() {
        3 => ByteRange {
            start: 0,
            end: len - 1,
            first_outside: 0,
            last_outside: 0,
        },
        4..=6 => {
            let start = int(argv.arg(3))?;
            let in_bits = match argv.get(5) {
                Some(unit) => unit_is_bit(unit)?,
                None => false,
            };
            let end = match argv.get(4) {
                Some(end) => {
                    end_given = true;
                    int(end)?
                }
                None if in_bits => (len << 3) + 7,
                None => len - 1,
            };
            byte_range(start, end, len, in_bits)
        }
        _ => return Err(CommandError::Syntax),
    };
    if range.start > range.end {
        return Ok(Reply::Integer(-1));
    }
    // The bits outside a BIT range count as the opposite of what is sought.
    let (start, end) = (range.start as usize, range.end as usize);
    let mut window = bytes[start..=end].to_vec();
    let last = window.len() - 1;
    let outside = |byte: &mut u8, mask: u8| {
        if bit {
            *byte &= !mask;
        } else {
            *byte |= mask;
        }
    };
    outside(&mut window[0], range.first_outside);
    outside(&mut window[last], range.last_outside);
    let pos = first_bit(&window, bit);
    if end_given && !bit && pos == window.len() as i64 * 8 {
        return Ok(Reply::Integer(-1));
    }
    Ok(Reply::Integer(if pos == -1 { -1 } else { pos + (start as i64) * 8 }))
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]
pub(crate) fn bitop(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = super::args::keyword(
        argv.arg(1),
        &[("and", Op::And), ("or", Op::Or), ("xor", Op::Xor), ("not", Op::Not)],
    )
    .ok_or(CommandError::Syntax)?;
    if op == Op::Not && argv.len() != 4 {
        return Err(CommandError::other(
            "ERR BITOP NOT must be called with a single source key.",
        ));
    }
    let target = argv.arg(2);
    let mut sources: Vec<Vec<u8>> = Vec::with_capacity(argv.len() - 3);
    for key in argv.iter().skip(3) {
        ctx.read_lookup(key);
        sources.push(
            ctx.read::<Str>(key)?
                .map(|s| s.as_bytes().into_owned())
                .unwrap_or_default(),
        );
    }
    let max = sources.iter().map(Vec::len).max().unwrap_or(0);
    if max == 0 {
        if ctx.ks.delete(ctx.db, target) {
            ctx.notify(EventClass::Generic, "del", target);
            ctx.dirty(1);
        }
        return Ok(Reply::Integer(0));
    }
    let byte = |source: &[u8], i: usize| source.get(i).copied().unwrap_or(0);
    let result: Vec<u8> = (0..max)
        .map(|i| {
            let first = byte(&sources[0], i);
            sources[1..]
                .iter()
                .fold(if op == Op::Not { !first } else { first }, |acc, s| match op {
                    Op::And => acc & byte(s, i),
                    Op::Or => acc | byte(s, i),
                    Op::Xor => acc ^ byte(s, i),
                    Op::Not => acc,
                })
        })
        .collect();
    ctx.insert(target, Value::Str(Str::grown(result)), Ttl::Clear);
    ctx.notify(EventClass::String, "set", target);
    ctx.dirty(1);
    Ok(Reply::Integer(max as i64))
}

/// What BITFIELD does past a field's range (OVERFLOW).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

/// A field type: signed or unsigned, and its width in bits.
#[derive(Debug, Clone, Copy)]
struct FieldType {
    signed: bool,
    bits: u32,
}

/// `i1`…`i64` or `u1`…`u63` (Redis's `getBitfieldTypeFromArgument`).
fn field_type(arg: &[u8]) -> Result<FieldType, CommandError> {
    let error = || {
        CommandError::other(
            "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
        )
    };
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(error()),
    };
    let bits = parse_i64(super::args::c_str(&arg[1..])).ok_or_else(error)?;
    if bits < 1 || (signed && bits > 64) || (!signed && bits > 63) {
        return Err(error());
    }
    Ok(FieldType {
        signed,
        bits: bits as u32,
    })
}

/// One BITFIELD operation.
#[derive(Debug, Clone, Copy)]
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

/// The unsigned value of the `bits`-wide field at bit `offset`.
fn get_field(bytes: &[u8], offset: u64, bits: u32) -> u64 {
    (0..bits as u64).fold(0, |value, j| (value << 1) | bit_at(bytes, offset + j) as u64)
}

/// Writes the low `bits` bits of `value` at bit `offset` (the bytes are long enough).
fn set_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for j in 0..bits as u64 {
        let on = value & (1 << (bits as u64 - 1 - j)) != 0;
        let at = offset + j;
        let mask = 1 << (7 - (at & 7));
        let byte = &mut bytes[(at >> 3) as usize];
        if on {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
    }
}

/// A field's bits read as a signed number of that width.
fn sign_extend(value: u64, bits: u32) -> i64 {
    if bits < 64 && value & (1 << (bits - 1)) != 0 {
        (value | (u64::MAX << bits)) as i64
    } else {
        value as i64
    }
}

/// `value + incr` in an unsigned field of `bits`: the result, or `None` when it overflows under
/// FAIL (Redis's `checkUnsignedBitfieldOverflow`).
fn unsigned_add(value: u64, incr: i64, bits: u32, overflow: Overflow) -> Option<u64> {
    let max = (1u64 << bits) - 1;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = (value as i64).wrapping_neg();
    let over = value > max || (incr > 0 && incr > max_incr);
    let under = !over && incr < 0 && incr < min_incr;
    if !over && !under {
        return Some(value.wrapping_add(incr as u64));
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if over { max } else { 0 }),
        Overflow::Wrap => Some(value.wrapping_add(incr as u64) & max),
    }
}

/// `value + incr` in a signed field of `bits` (Redis's `checkSignedBitfieldOverflow`).
fn signed_add(value: i64, incr: i64, bits: u32, overflow: Overflow) -> Option<i64> {
    let max: i64 = if bits == 64 { i64::MAX } else { (1i64 << (bits - 1)) - 1 };
    let min = -max - 1;
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    let over = value > max || (bits != 64 && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr);
    let under = !over && (value < min || (bits != 64 && incr < min_incr) || (value < 0 && incr < 0 && incr < min_incr));
    if !over && !under {
        return Some(value.wrapping_add(incr));
    }
    match overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if over { max } else { min }),
        Overflow::Wrap => {
            let sum = (value as u64).wrapping_add(incr as u64);
            Some(if bits < 64 {
                sign_extend(sum & ((1u64 << bits) - 1), bits)
            } else {
                sum as i64
            })
        }
    }
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment]
/// [OVERFLOW WRAP|SAT|FAIL] ...
pub(crate) fn bitfield(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    bitfield_generic(ctx, argv, false)
}

/// BITFIELD_RO key [GET type offset ...]
pub(crate) fn bitfield_ro(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    bitfield_generic(ctx, argv, true)
}

fn bitfield_generic(ctx: &mut Ctx<'_>, argv: &Argv, read_only: bool) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut writes = false;
    let mut highest_write: u64 = 0;
    let mut j = 2;
    while j < argv.len() {
        let remaining = argv.len() - j - 1;
        let sub = argv.arg(j);
        let op = if is_option(sub, "get") && remaining >= 2 {
            FieldOp::Get
        } else if is_option(sub, "set") && remaining >= 3 {
            FieldOp::Set(0)
        } else if is_option(sub, "incrby") && remaining >= 3 {
            FieldOp::IncrBy(0)
        } else if is_option(sub, "overflow") && remaining >= 1 {
            overflow = super::args::keyword(
                argv.arg(j + 1),
                &[
                    ("wrap", Overflow::Wrap),
                    ("sat", Overflow::Sat),
                    ("fail", Overflow::Fail),
                ],
            )
            .ok_or(CommandError::other("ERR Invalid OVERFLOW type specified"))?;
            j += 2;
            continue;
        } else {
            return Err(CommandError::Syntax);
        };
        let ty = field_type(argv.arg(j + 1))?;
        let offset = bit_offset(argv.arg(j + 2), Some(ty.bits))?;
        let op = match op {
            FieldOp::Get => FieldOp::Get,
            write => {
                writes = true;
                highest_write = highest_write.max(offset + ty.bits as u64 - 1);
                let value = int(argv.arg(j + 3))?;
                match write {
                    FieldOp::Set(_) => FieldOp::Set(value),
                    _ => FieldOp::IncrBy(value),
                }
            }
        };
        ops.push((op, ty, offset, overflow));
        j += if matches!(op, FieldOp::Get) { 3 } else { 4 };
    }
    if !writes {
        ctx.read_lookup(key);
        let bytes = ctx
            .read::<Str>(key)?
            .map(|s| s.as_bytes().into_owned())
            .unwrap_or_default();
        let replies = ops
            .iter()
            .map(|(_, ty, offset, _)| {
                let value = get_field(&bytes, *offset, ty.bits);
                Reply::Integer(if ty.signed {
                    sign_extend(value, ty.bits)
                } else {
                    value as i64
                })
            })
            .collect();
        return Ok(Reply::Array(replies));
    }
    if read_only {
        return Err(CommandError::other("ERR BITFIELD_RO only supports the GET subcommand"));
    }
    let (bytes, dirty) = bits_for_write(ctx, key, (highest_write >> 3) as usize)?;
    let mut changes = 0;
    let mut replies = Vec::with_capacity(ops.len());
    for (op, ty, offset, overflow) in ops {
        let old = get_field(bytes, offset, ty.bits);
        let (reply, new) = match (op, ty.signed) {
            (FieldOp::Get, signed) => {
                replies.push(Reply::Integer(if signed {
                    sign_extend(old, ty.bits)
                } else {
                    old as i64
                }));
                continue;
            }
            (FieldOp::Set(value), true) => {
                let old = sign_extend(old, ty.bits);
                let new = signed_add(value, 0, ty.bits, overflow);
                (Some(old), new.map(|n| n as u64))
            }
            (FieldOp::IncrBy(by), true) => {
                let new = signed_add(sign_extend(old, ty.bits), by, ty.bits, overflow);
                (new, new.map(|n| n as u64))
            }
            (FieldOp::Set(value), false) => {
                let new = unsigned_add(value as u64, 0, ty.bits, overflow);
                (Some(old as i64), new)
            }
            (FieldOp::IncrBy(by), false) => {
                let new = unsigned_add(old, by, ty.bits, overflow);
                (new.map(|n| n as i64), new)
            }
        };
        match (reply, new) {
            (Some(reply), Some(new)) => {
                replies.push(Reply::Integer(reply));
                set_field(bytes, offset, ty.bits, new);
                if dirty || old != new & field_mask(ty.bits) {
                    changes += 1;
                }
            }
            _ => replies.push(Reply::Nil),
        }
    }
    if changes > 0 {
        ctx.modified(key);
        ctx.notify(EventClass::String, "setbit", key);
        ctx.dirty(changes);
    }
    Ok(Reply::Array(replies))
}

/// The low `bits` bits set.
fn field_mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1 << bits) - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_back_what_was_written() {
        let mut bytes = vec![0u8; 16];
        set_field(&mut bytes, 5, 13, 0x1ABC);
        assert_eq!(get_field(&bytes, 5, 13), 0x1ABC);
        assert_eq!(sign_extend(get_field(&bytes, 5, 13), 13), 0x1ABC - (1 << 13));
        set_field(&mut bytes, 64, 64, u64::MAX - 1);
        assert_eq!(sign_extend(get_field(&bytes, 64, 64), 64), -2);
    }

    #[test]
    fn overflow_wraps_saturates_or_fails_as_redis() {
        assert_eq!(unsigned_add(250, 10, 8, Overflow::Wrap), Some(4));
        assert_eq!(unsigned_add(250, 10, 8, Overflow::Sat), Some(255));
        assert_eq!(unsigned_add(250, 10, 8, Overflow::Fail), None);
        assert_eq!(unsigned_add(5, -10, 8, Overflow::Sat), Some(0));
        assert_eq!(signed_add(120, 10, 8, Overflow::Wrap), Some(-126));
        assert_eq!(signed_add(-120, -10, 8, Overflow::Sat), Some(-128));
        assert_eq!(signed_add(i64::MAX, 1, 64, Overflow::Wrap), Some(i64::MIN));
        assert_eq!(signed_add(i64::MAX, 1, 64, Overflow::Fail), None);
    }

    #[test]
    fn popcount_counts_every_bit() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 37 % 256) as u8).collect();
        for len in [0, 1, 7, 8, 9, 63, 1000] {
            let expected: u64 = bytes[..len].iter().map(|b| b.count_ones() as u64).sum();
            assert_eq!(popcount(&bytes[..len]), expected);
        }
    }

    #[test]
    fn bit_positions_as_redis_counts_them() {
        assert_eq!(first_bit(&[0x00, 0x10], true), 11);
        assert_eq!(first_bit(&[0xFF, 0xFF], false), 16);
        assert_eq!(first_bit(&[0x00], true), -1);
        assert_eq!(first_bit(&[], false), 0);
    }
}
