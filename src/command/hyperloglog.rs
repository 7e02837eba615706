//! HyperLogLog (Redis's `hyperloglog.c`): PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST, with
//! Redis's representation byte for byte, so that a value moves between embedis and Redis (GET
//! and SET, DUMP and RESTORE) and counts the same.
//!
//! An HLL is a string: a 16-byte header — `HYLL`, the encoding (0 dense, 1 sparse), three zero
//! bytes, and the cached cardinality (little-endian, its top bit set when stale) — then the
//! registers. 16384 registers of 6 bits each, indexed by the low 14 bits of an element's
//! MurmurHash64A and holding the longest run of zeroes seen in the rest plus one. Dense packs
//! them into 12288 bytes; sparse run-length-encodes them (ZERO, XZERO and VAL opcodes) and is
//! used while the HLL is small, until a register exceeds 32 or the string exceeds
//! `hll-sparse-max-bytes`.

use super::Ctx;
use super::args::is_option;
use crate::argv::Argv;
use crate::error::CommandError;
use crate::keyspace::effects::EventClass;
use crate::keyspace::{Str, Value};
use crate::reply::Reply;

const HEADER: usize = 16;
const P: u32 = 14;
const Q: u32 = 64 - P;
const REGISTERS: usize = 1 << P;
const REGISTER_MAX: u8 = 63;
const DENSE_SIZE: usize = HEADER + (REGISTERS * 6).div_ceil(8);
const DENSE: u8 = 0;
const SPARSE: u8 = 1;
const SPARSE_VAL_MAX_VALUE: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
/// 0.5 / ln(2), the estimator's constant.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// A value that says it is an HLL but whose registers do not add up.
#[derive(Debug)]
struct Corrupt;

fn corrupt_error() -> CommandError {
    CommandError::other("INVALIDOBJ Corrupted HLL object detected")
}

impl From<Corrupt> for CommandError {
    fn from(_: Corrupt) -> CommandError {
        corrupt_error()
    }
}

/// MurmurHash64A, as Redis hashes elements (little-endian words).
fn murmur_hash64a(key: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for chunk in &mut chunks {
        let mut k = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element goes to and the run length it brings (Redis's `hllPatLen`).
fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur_hash64a(element, 0xadc8_3b19);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Register `i` of dense registers.
fn dense_get(registers: &[u8], i: usize) -> u8 {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let b0 = registers[byte] as u16;
    let b1 = registers.get(byte + 1).copied().unwrap_or(0) as u16;
    (((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX as u16) as u8
}

/// Sets register `i` of dense registers.
fn dense_set(registers: &mut [u8], i: usize, value: u8) {
    let byte = i * 6 / 8;
    let fb = (i * 6) & 7;
    let v = value as u16;
    registers[byte] &= !((REGISTER_MAX as u16) << fb) as u8;
    registers[byte] |= (v << fb) as u8;
    if let Some(next) = registers.get_mut(byte + 1) {
        *next &= !((REGISTER_MAX as u16) >> (8 - fb)) as u8;
        *next |= (v >> (8 - fb)) as u8;
    }
}

/// Raises register `i` to `count` if that is higher; answers whether it did.
fn dense_raise(registers: &mut [u8], i: usize, count: u8) -> bool {
    if count > dense_get(registers, i) {
        dense_set(registers, i, count);
        true
    } else {
        false
    }
}

/// A sparse opcode: a run of `len` registers, all `value` (0 for ZERO and XZERO), and its size
/// in bytes.
#[derive(Debug, Clone, Copy)]
struct Opcode {
    value: u8,
    len: usize,
    size: usize,
}

fn opcode(bytes: &[u8], at: usize) -> Opcode {
    let b = bytes[at];
    if b & 0xc0 == 0 {
        Opcode {
            value: 0,
            len: (b & 0x3f) as usize + 1,
            size: 1,
        }
    } else if b & 0xc0 == 0x40 {
        let low = bytes.get(at + 1).copied().unwrap_or(0) as usize;
        Opcode {
            value: 0,
            len: ((((b & 0x3f) as usize) << 8) | low) + 1,
            size: 2,
        }
    } else {
        Opcode {
            value: ((b >> 2) & 0x1f) + 1,
            len: (b & 0x3) as usize + 1,
            size: 1,
        }
    }
}

fn is_xzero(b: u8) -> bool {
    b & 0xc0 == 0x40
}

fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

fn val_opcode(value: u8, len: usize) -> u8 {
    (((value - 1) << 2) | (len as u8 - 1)) | 0x80
}

/// ZERO or XZERO opcode bytes for a run of `len` zero registers.
fn zero_opcodes(out: &mut Vec<u8>, len: usize) {
    if len > SPARSE_ZERO_MAX_LEN {
        let l = len - 1;
        out.push(((l >> 8) as u8) | 0x40);
        out.push((l & 0xff) as u8);
    } else {
        out.push(len as u8 - 1);
    }
}

/// Visits the runs of sparse registers (`value`, `len`); `Corrupt` unless they cover exactly
/// the registers.
fn sparse_runs(registers: &[u8], mut visit: impl FnMut(u8, usize)) -> Result<(), Corrupt> {
    let (mut at, mut index) = (0, 0);
    while at < registers.len() {
        let op = opcode(registers, at);
        if index + op.len > REGISTERS {
            return Err(Corrupt);
        }
        visit(op.value, op.len);
        index += op.len;
        at += op.size;
    }
    if index == REGISTERS { Ok(()) } else { Err(Corrupt) }
}

/// The dense form of a sparse HLL (header kept, encoding changed); `Corrupt` if its runs are
/// wrong (Redis's `hllSparseToDense`).
fn sparse_to_dense(hll: &[u8]) -> Result<Vec<u8>, Corrupt> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HEADER].copy_from_slice(&hll[..HEADER]);
    dense[4] = DENSE;
    let registers = &mut dense[HEADER..];
    let mut index = 0;
    sparse_runs(&hll[HEADER..], |value, len| {
        if value > 0 {
            for i in index..index + len {
                dense_set(registers, i, value);
            }
        }
        index += len;
    })?;
    Ok(dense)
}

/// An empty HLL: sparse, one XZERO opcode per 16384 registers.
fn empty() -> Vec<u8> {
    let mut hll = Vec::with_capacity(HEADER + 2);
    hll.extend_from_slice(b"HYLL");
    hll.push(SPARSE);
    hll.extend_from_slice(&[0; 11]);
    let mut left = REGISTERS;
    while left > 0 {
        let run = left.min(SPARSE_XZERO_MAX_LEN);
        zero_opcodes(&mut hll, run);
        left -= run;
    }
    hll
}

/// Raises register `index` of a sparse HLL to `count` (Redis's `hllSparseSet`), promoting it to
/// dense when the count does not fit a VAL opcode or the string would grow past `max_bytes`;
/// answers whether the register changed.
fn sparse_raise(hll: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    if count > SPARSE_VAL_MAX_VALUE {
        return promote_and_raise(hll, index, count);
    }
    // Step 1: find the opcode covering the register.
    let (mut at, mut first, mut prev) = (HEADER, 0usize, None);
    let mut op = None;
    while at < hll.len() {
        let this = opcode(hll, at);
        if index < first + this.len {
            op = Some(this);
            break;
        }
        prev = Some(at);
        at += this.size;
        first += this.len;
    }
    // An opcode cut short at the end of the string is as corrupt as a missing one.
    let Some(op) = op.filter(|op| at + op.size <= hll.len()) else {
        return Err(Corrupt);
    };
    let is_value = is_val(hll[at]);
    // Step 2: the cases that change the opcode in place.
    if is_value {
        if op.value >= count {
            return Ok(false);
        }
        if op.len == 1 {
            hll[at] = val_opcode(count, 1);
            merge_values(hll, prev.unwrap_or(HEADER));
            return Ok(true);
        }
    }
    if !is_value && !is_xzero(hll[at]) && op.len == 1 {
        hll[at] = val_opcode(count, 1);
        merge_values(hll, prev.unwrap_or(HEADER));
        return Ok(true);
    }
    // Step 3: split the run into up to three opcodes.
    let last = first + op.len - 1;
    let mut seq = Vec::with_capacity(5);
    if !is_value {
        if index != first {
            zero_opcodes(&mut seq, index - first);
        }
        seq.push(val_opcode(count, 1));
        if index != last {
            zero_opcodes(&mut seq, last - index);
        }
    } else {
        if index != first {
            seq.push(val_opcode(op.value, index - first));
        }
        seq.push(val_opcode(count, 1));
        if index != last {
            seq.push(val_opcode(op.value, last - index));
        }
    }
    if seq.len() > op.size && hll.len() + seq.len() - op.size > max_bytes {
        return promote_and_raise(hll, index, count);
    }
    hll.splice(at..at + op.size, seq);
    merge_values(hll, prev.unwrap_or(HEADER));
    Ok(true)
}

/// Converts a sparse HLL to dense, then raises the register there.
fn promote_and_raise(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    *hll = sparse_to_dense(hll)?;
    Ok(dense_raise(&mut hll[HEADER..], index, count))
}

/// Step 4 of a sparse update: adjacent VAL opcodes of one value merge while their run fits,
/// scanning up to five opcodes from `from`.
fn merge_values(hll: &mut Vec<u8>, from: usize) {
    let mut p = from;
    let mut scan = 5;
    while p < hll.len() && scan > 0 {
        scan -= 1;
        let b = hll[p];
        if is_xzero(b) {
            p += 2;
            continue;
        }
        if !is_val(b) {
            p += 1;
            continue;
        }
        if p + 1 < hll.len() && is_val(hll[p + 1]) {
            let (a, c) = (opcode(hll, p), opcode(hll, p + 1));
            if a.value == c.value && a.len + c.len <= SPARSE_VAL_MAX_LEN {
                hll[p + 1] = val_opcode(a.value, a.len + c.len);
                hll.remove(p);
                continue;
            }
        }
        p += 1;
    }
}

/// Adds an element; answers whether a register changed.
fn add(hll: &mut Vec<u8>, element: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    match hll[4] {
        DENSE => Ok(dense_raise(&mut hll[HEADER..], index, count)),
        SPARSE => sparse_raise(hll, index, count, max_bytes),
        _ => Err(Corrupt),
    }
}

/// Raises register `index` to `count`, whatever the encoding.
fn raise(hll: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    match hll[4] {
        DENSE => Ok(dense_raise(&mut hll[HEADER..], index, count)),
        _ => sparse_raise(hll, index, count, max_bytes),
    }
}

/// Redis's sigma and tau functions of the estimator (Ertl's "New cardinality estimation
/// algorithms for HyperLogLog sketches").
fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if before == z {
            return z / 3.0;
        }
    }
}

/// The cardinality estimate from a histogram of register values (Redis's `hllCount`).
fn estimate(histogram: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histogram[Q as usize + 1] as f64) / m);
    for j in (1..=Q as usize).rev() {
        z += histogram[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histogram[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

/// The histogram of an HLL's register values.
fn histogram(hll: &[u8]) -> Result<[u32; 64], Corrupt> {
    let mut histogram = [0u32; 64];
    if hll[4] == DENSE {
        for i in 0..REGISTERS {
            histogram[dense_get(&hll[HEADER..], i) as usize] += 1;
        }
    } else {
        sparse_runs(&hll[HEADER..], |value, len| histogram[value as usize] += len as u32)?;
    }
    Ok(histogram)
}

/// Raises `max` to the registers of `hll` (Redis's `hllMerge`).
fn merge_into(max: &mut [u8; REGISTERS], hll: &[u8]) -> Result<(), Corrupt> {
    if hll[4] == DENSE {
        for (i, m) in max.iter_mut().enumerate() {
            *m = (*m).max(dense_get(&hll[HEADER..], i));
        }
        return Ok(());
    }
    let mut index = 0;
    sparse_runs(&hll[HEADER..], |value, len| {
        for m in &mut max[index..index + len] {
            *m = (*m).max(value);
        }
        index += len;
    })
}

/// Whether `bytes` is an HLL (Redis's `isHLLObjectOrReply`): else the WRONGTYPE error Redis
/// gives a string that is not one.
fn check_hll(bytes: &[u8]) -> Result<(), CommandError> {
    let valid = bytes.len() >= HEADER
        && &bytes[..4] == b"HYLL"
        && bytes[4] <= SPARSE
        && (bytes[4] != DENSE || bytes.len() == DENSE_SIZE);
    if valid {
        Ok(())
    } else {
        Err(CommandError::other(
            "WRONGTYPE Key is not a valid HyperLogLog string value.",
        ))
    }
}

/// The cached cardinality, if valid.
fn cached(hll: &[u8]) -> Option<u64> {
    (hll[15] & 0x80 == 0).then(|| u64::from_le_bytes(hll[8..16].try_into().unwrap_or([0; 8])))
}

fn invalidate_cache(hll: &mut [u8]) {
    hll[15] |= 0x80;
}

impl Ctx<'_> {
    /// The HLL at `key` for writing: its string's bytes, after checking it is one; `None` if
    /// the key is missing.
    fn hll_for_write(&mut self, key: &[u8]) -> Result<Option<&mut Vec<u8>>, CommandError> {
        let Some(value) = self.write::<Str>(key)? else {
            return Ok(None);
        };
        // Checked before it becomes a raw string: a value refused keeps its encoding.
        check_hll(&value.as_bytes())?;
        Ok(Some(value.make_raw()))
    }

    /// The bytes of the HLL at `key` for reading, checked; `None` if missing.
    fn hll_for_read(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, CommandError> {
        let Some(value) = self.read::<Str>(key)? else {
            return Ok(None);
        };
        let bytes = value.as_bytes().into_owned();
        check_hll(&bytes)?;
        Ok(Some(bytes))
    }
}

/// PFADD key [element ...]
pub(crate) fn pfadd(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let key = argv.arg(1);
    let max_bytes = ctx.ks.encodings().hll_sparse_max_bytes;
    let mut updated = 0;
    if ctx.hll_for_write(key)?.is_none() {
        ctx.ks.insert_silently(ctx.db, key, Value::Str(Str::grown(empty())));
        updated += 1;
    }
    let hll = ctx.hll_for_write(key)?.ok_or(CommandError::NoSuchKey)?;
    for element in argv.iter().skip(2) {
        if add(hll, element, max_bytes)? {
            updated += 1;
        }
    }
    if updated > 0 {
        invalidate_cache(hll);
        ctx.modified(key);
        ctx.notify(EventClass::String, "pfadd", key);
        ctx.dirty(updated);
    }
    Ok(Reply::Integer((updated > 0) as i64))
}

/// PFCOUNT key [key ...]
pub(crate) fn pfcount(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    if argv.len() > 2 {
        let mut max = Box::new([0u8; REGISTERS]);
        for key in argv.iter().skip(1) {
            if let Some(hll) = ctx.hll_for_read(key)? {
                merge_into(&mut max, &hll)?;
            }
        }
        let mut histogram = [0u32; 64];
        for &register in max.iter() {
            histogram[register as usize] += 1;
        }
        return Ok(Reply::Integer(estimate(&histogram) as i64));
    }
    let key = argv.arg(1);
    if ctx.read::<Str>(key)?.is_none() {
        return Ok(Reply::Integer(0));
    }
    let hll = ctx.hll_for_write(key)?.ok_or(CommandError::NoSuchKey)?;
    if let Some(card) = cached(hll) {
        return Ok(Reply::Integer(card as i64));
    }
    let card = estimate(&histogram(hll)?);
    hll[8..16].copy_from_slice(&card.to_le_bytes());
    // Storing the cache is a write, as Redis counts it (WATCH sees it).
    ctx.modified(key);
    ctx.dirty(1);
    Ok(Reply::Integer(card as i64))
}

/// PFMERGE destkey [sourcekey ...]
pub(crate) fn pfmerge(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let mut max = Box::new([0u8; REGISTERS]);
    let mut use_dense = false;
    for key in argv.iter().skip(1) {
        ctx.read_lookup(key);
        if let Some(hll) = ctx.hll_for_read(key)? {
            use_dense |= hll[4] == DENSE;
            merge_into(&mut max, &hll)?;
        }
    }
    let key = argv.arg(1);
    let max_bytes = ctx.ks.encodings().hll_sparse_max_bytes;
    if ctx.hll_for_write(key)?.is_none() {
        ctx.ks.insert_silently(ctx.db, key, Value::Str(Str::grown(empty())));
    }
    let hll = ctx.hll_for_write(key)?.ok_or(CommandError::NoSuchKey)?;
    if use_dense && hll[4] == SPARSE {
        *hll = sparse_to_dense(hll)?;
    }
    for (i, &value) in max.iter().enumerate() {
        if value != 0 {
            raise(hll, i, value, max_bytes)?;
        }
    }
    invalidate_cache(hll);
    ctx.modified(key);
    ctx.notify(EventClass::String, "pfadd", key);
    ctx.dirty(1);
    Ok(Reply::ok())
}

/// PFSELFTEST: Redis's self-test of the register access and of the estimate's error, dense and
/// sparse side by side.
pub(crate) fn pfselftest(ctx: &mut Ctx<'_>, _argv: &Argv) -> Result<Reply, CommandError> {
    let mut dense = vec![0u8; DENSE_SIZE];
    let mut bytes = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (ctx.ks.random() & REGISTER_MAX as u64) as u8;
            dense_set(&mut dense[HEADER..], i, *b);
        }
        for (i, b) in bytes.iter().enumerate() {
            let value = dense_get(&dense[HEADER..], i);
            if value != *b {
                return Err(CommandError::Other(
                    format!("TESTFAILED Register {i} should be {b} but is {value}").into(),
                ));
            }
        }
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut sparse = empty();
    let max_bytes = ctx.ks.encodings().hll_sparse_max_bytes;
    let relative_error = 1.04 / (REGISTERS as f64).sqrt();
    let seed = ctx.ks.random();
    let mut checkpoint: u64 = 1;
    for j in 1..=10_000_000u64 {
        let element = (j ^ seed).to_ne_bytes();
        let (index, count) = pattern(&element);
        dense_raise(&mut dense[HEADER..], index, count);
        add(&mut sparse, &element, max_bytes)?;
        if j != checkpoint {
            continue;
        }
        if j < max_bytes as u64 / 2 && sparse[4] != SPARSE {
            return Err(CommandError::other("TESTFAILED sparse encoding not used"));
        }
        let count = estimate(&histogram(&dense)?);
        if count != estimate(&histogram(&sparse)?) {
            return Err(CommandError::other("TESTFAILED dense/sparse disagree"));
        }
        let error = (checkpoint as i64 - count as i64).unsigned_abs();
        let max_error = if j == 10 {
            1
        } else {
            (relative_error * 6.0 * checkpoint as f64).ceil() as u64
        };
        if error > max_error {
            return Err(CommandError::Other(
                format!("TESTFAILED Too big error. card:{checkpoint} abserr:{error}").into(),
            ));
        }
        checkpoint *= 10;
    }
    Ok(Reply::ok())
}

/// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key
pub(crate) fn pfdebug(ctx: &mut Ctx<'_>, argv: &Argv) -> Result<Reply, CommandError> {
    let sub = argv.arg(1);
    let key = argv.arg(2);
    if ctx.hll_for_write(key)?.is_none() {
        return Err(CommandError::other("ERR The specified key does not exist"));
    }
    let shown = super::args::error_text(sub);
    if argv.len() != 3
        && ["getreg", "decode", "encoding", "todense"]
            .iter()
            .any(|s| is_option(sub, s))
    {
        return Err(CommandError::Other(
            format!("ERR Wrong number of arguments for the '{shown}' subcommand").into(),
        ));
    }
    let hll = ctx.hll_for_write(key)?.ok_or(CommandError::NoSuchKey)?;
    if is_option(sub, "getreg") {
        let converting = hll[4] == SPARSE;
        if converting {
            *hll = sparse_to_dense(hll)?;
        }
        let registers = (0..REGISTERS)
            .map(|i| Reply::Integer(dense_get(&hll[HEADER..], i) as i64))
            .collect();
        // The new encoding counts as a change, so that it is saved (Redis's rule).
        ctx.dirty(usize::from(converting));
        Ok(Reply::Array(registers))
    } else if is_option(sub, "decode") {
        if hll[4] != SPARSE {
            return Err(CommandError::other("ERR HLL encoding is not sparse"));
        }
        let mut decoded = Vec::new();
        let mut at = HEADER;
        while at < hll.len() {
            let op = opcode(hll, at);
            decoded.push(match (op.value, op.size) {
                (0, 1) => format!("z:{}", op.len),
                (0, _) => format!("Z:{}", op.len),
                (value, _) => format!("v:{value},{}", op.len),
            });
            at += op.size;
        }
        Ok(Reply::bulk(decoded.join(" ")))
    } else if is_option(sub, "encoding") {
        Ok(Reply::status(if hll[4] == DENSE { "dense" } else { "sparse" }))
    } else if is_option(sub, "todense") {
        let converted = hll[4] == SPARSE;
        if converted {
            *hll = sparse_to_dense(hll)?;
        }
        ctx.dirty(usize::from(converted));
        Ok(Reply::Integer(converted as i64))
    } else {
        Err(CommandError::Other(
            format!("ERR Unknown PFDEBUG subcommand '{shown}'").into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_pack_six_bits_each() {
        let mut registers = vec![0u8; DENSE_SIZE - HEADER];
        for i in 0..REGISTERS {
            dense_set(&mut registers, i, (i % 64) as u8);
        }
        assert!((0..REGISTERS).all(|i| dense_get(&registers, i) == (i % 64) as u8));
    }

    #[test]
    fn a_truncated_opcode_is_corrupt_not_a_panic() {
        let mut hll = empty();
        hll.truncate(hll.len() - 1);
        assert!(sparse_raise(&mut hll, 16383, 1, 3000).is_err());
        assert!(histogram(&hll).is_err());
    }

    /// Damaged HLLs (random bytes changed, cut or added) are refused or worked on, never a
    /// panic: a value can be SET to anything.
    #[test]
    fn damaged_hlls_never_panic() {
        let mut sparse = empty();
        for i in 0..300u32 {
            add(&mut sparse, &i.to_le_bytes(), 3000).unwrap();
        }
        let dense = sparse_to_dense(&sparse).unwrap();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for base in [&sparse, &dense] {
            for _ in 0..2000 {
                let mut hll = base.clone();
                for _ in 0..1 + next() % 4 {
                    let at = HEADER + (next() as usize) % (hll.len() - HEADER);
                    match next() % 3 {
                        0 => hll[at] = next() as u8,
                        1 => hll.truncate(at.max(HEADER + 1)),
                        _ => hll.insert(at, next() as u8),
                    }
                }
                if check_hll(&hll).is_err() {
                    continue;
                }
                let _ = histogram(&hll);
                let _ = merge_into(&mut Box::new([0u8; REGISTERS]), &hll);
                let _ = add(&mut hll.clone(), b"element", 3000);
                let _ = raise(&mut hll.clone(), (next() as usize) % REGISTERS, 20, 3000);
                if hll[4] == SPARSE {
                    let _ = sparse_to_dense(&hll);
                }
            }
        }
    }

    #[test]
    fn sparse_and_dense_count_alike() {
        let mut sparse = empty();
        let mut dense = sparse_to_dense(&sparse).unwrap();
        for i in 0..2000u32 {
            let element = i.to_string();
            add(&mut sparse, element.as_bytes(), 3000).unwrap();
            add(&mut dense, element.as_bytes(), 3000).unwrap();
        }
        assert_eq!(
            estimate(&histogram(&sparse).unwrap()),
            estimate(&histogram(&dense).unwrap())
        );
        let count = estimate(&histogram(&dense).unwrap());
        assert!((1950..2050).contains(&count), "{count}");
    }
}
