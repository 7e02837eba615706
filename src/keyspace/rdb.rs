//! Redis's RDB encodings, the pieces DUMP, RESTORE and FUNCTION DUMP/RESTORE share: lengths,
//! strings (integer-encoded, LZF-compressed or plain), times and doubles, as Redis 7.0 writes
//! and reads them (`rdb.c`), and liblzf's compressor and decompressor.

/// Redis 7.0's RDB version, written after a payload.
pub(crate) const RDB_VERSION: u16 = 10;

/// RDB's length encoding: 6 bits, 14 bits, or a marker and 32 or 64 bits big-endian.
pub(crate) fn put_len(out: &mut Vec<u8>, len: usize) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if let Ok(len) = u32::try_from(len) {
        out.push(0x80);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
}

thread_local! {
    /// Whether strings written on this thread now are LZF-compressed (`rdbcompression`):
    /// [`with_compression`] sets it around an encoding.
    static COMPRESSING: std::cell::Cell<bool> = const { std::cell::Cell::new(true) };
}

/// Runs `encode` with strings LZF-compressed or not (`rdbcompression yes|no`), as the store
/// encoding (its RDB file, a DUMP payload) says.
pub(crate) fn with_compression<R>(compress: bool, encode: impl FnOnce() -> R) -> R {
    let before = COMPRESSING.replace(compress);
    let encoded = encode();
    COMPRESSING.set(before);
    encoded
}

/// A string as Redis's `rdbSaveRawString` writes it: as an integer when it is one that fits 32
/// bits (and reads back to itself), LZF-compressed when longer than 20 bytes and compressible
/// (`rdbcompression yes`, Redis's default: see [`with_compression`]), else plain.
pub(crate) fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() <= 11
        && let Some(n) = crate::number::parse_i64(bytes)
    {
        if let Ok(n) = i8::try_from(n) {
            out.extend_from_slice(&[0xC0, n as u8]);
            return;
        }
        if let Ok(n) = i16::try_from(n) {
            out.push(0xC1);
            out.extend_from_slice(&n.to_le_bytes());
            return;
        }
        if let Ok(n) = i32::try_from(n) {
            out.push(0xC2);
            out.extend_from_slice(&n.to_le_bytes());
            return;
        }
    }
    if bytes.len() > 20
        && COMPRESSING.get()
        && let Some(compressed) = lzf_compress(bytes, bytes.len() - 4)
    {
        out.push(0xC3);
        put_len(out, compressed.len());
        put_len(out, bytes.len());
        out.extend_from_slice(&compressed);
        return;
    }
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// A millisecond time: 8 bytes little-endian.
pub(crate) fn put_millis(out: &mut Vec<u8>, millis: i64) {
    out.extend_from_slice(&millis.to_le_bytes());
}

/// liblzf's longest literal run.
const MAX_LIT: usize = 1 << 5;

/// liblzf's `lzf_compress` (VERY_FAST, 2^16 hash slots), as Redis compresses RDB strings: the
/// compressed bytes if they fit `out_len`, else `None`. Redis's hash table starts as whatever
/// its stack held; this one starts empty, the table a fresh process has.
pub(crate) fn lzf_compress(input: &[u8], out_len: usize) -> Option<Vec<u8>> {
    const HLOG: u32 = 16;
    const HSIZE: usize = 1 << HLOG;
    const MAX_OFF: usize = 1 << 13;
    const MAX_REF: usize = (1 << 8) + (1 << 3);
    let in_len = input.len();
    if in_len == 0 || out_len == 0 {
        return None;
    }
    let first = |p: usize| ((input[p] as u32) << 8) | input[p + 1] as u32;
    let next = |v: u32, p: usize| (v << 8) | input[p + 2] as u32;
    let idx = |h: u32| ((h >> (3 * 8 - HLOG)).wrapping_sub(h.wrapping_mul(5)) as usize) & (HSIZE - 1);
    // Positions plus one (0: empty), as liblzf's offsets from the input's start.
    let mut htab = vec![0u32; HSIZE];
    let mut out = vec![0u8; out_len];
    let (mut ip, mut op, mut lit) = (0usize, 1usize, 0usize);
    if in_len < 2 {
        // Too short for a hash: all literals.
    } else {
        let mut hval = first(ip);
        while ip + 2 < in_len {
            hval = next(hval, ip);
            let slot = idx(hval);
            let reference = htab[slot] as usize;
            htab[slot] = ip as u32 + 1;
            let matched = reference > 1 && {
                let r = reference - 1;
                let off = ip - r - 1;
                off < MAX_OFF && r > 0 && input[r + 2] == input[ip + 2] && input[r..r + 2] == input[ip..ip + 2]
            };
            if matched {
                let r = reference - 1;
                let off = ip - r - 1;
                let mut len = 2;
                let maxlen = (in_len - ip - len).min(MAX_REF);
                if op + 3 + 1 >= out_len && op - usize::from(lit == 0) + 3 + 1 >= out_len {
                    return None;
                }
                out[op - lit - 1] = (lit as u8).wrapping_sub(1);
                op -= usize::from(lit == 0);
                // liblzf's loop exactly: sixteen unchecked steps when far from the end, then
                // one step at a time up to `maxlen`.
                'found: {
                    if maxlen > 16 {
                        for _ in 0..16 {
                            len += 1;
                            if input[r + len] != input[ip + len] {
                                break 'found;
                            }
                        }
                    }
                    loop {
                        len += 1;
                        if !(len < maxlen && input[r + len] == input[ip + len]) {
                            break;
                        }
                    }
                }
                len -= 2;
                ip += 1;
                if len < 7 {
                    out[op] = ((off >> 8) + (len << 5)) as u8;
                    op += 1;
                } else {
                    out[op] = ((off >> 8) + (7 << 5)) as u8;
                    out[op + 1] = (len - 7) as u8;
                    op += 2;
                }
                out[op] = off as u8;
                op += 1;
                lit = 0;
                op += 1;
                ip += len + 1;
                if ip + 2 >= in_len {
                    break;
                }
                ip -= 2;
                hval = first(ip);
                hval = next(hval, ip);
                htab[idx(hval)] = ip as u32 + 1;
                ip += 1;
                hval = next(hval, ip);
                htab[idx(hval)] = ip as u32 + 1;
                ip += 1;
            } else {
                push_literal(&mut out, &mut op, &mut lit, input[ip])?;
                ip += 1;
            }
        }
    }
    if op + 3 > out_len {
        return None;
    }
    while ip < in_len {
        push_literal(&mut out, &mut op, &mut lit, input[ip])?;
        ip += 1;
    }
    out[op - lit - 1] = (lit as u8).wrapping_sub(1);
    op -= usize::from(lit == 0);
    out.truncate(op);
    Some(out)
}

/// Appends `byte` to the literal run being written at `op` (whose length byte waits before it),
/// closing the run at liblzf's longest (32 bytes); `None` when the output is full.
fn push_literal(out: &mut [u8], op: &mut usize, lit: &mut usize, byte: u8) -> Option<()> {
    *out.get_mut(*op)? = byte;
    *lit += 1;
    *op += 1;
    if *lit == MAX_LIT {
        out[*op - *lit - 1] = (*lit - 1) as u8;
        *lit = 0;
        *op += 1;
    }
    Some(())
}

/// LZF decompression (liblzf's `lzf_decompress`, which Redis uses): None unless `input` expands to
/// exactly `len` bytes. Nothing is allocated beyond what the input can produce.
pub(crate) fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
    // A three-byte back reference yields at most 264 bytes: no honest input expands further.
    if len > input.len().saturating_mul(88) {
        return None;
    }
    let mut out = Vec::with_capacity(len);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 1 << 5 {
            let run = ctrl + 1;
            if out.len() + run > len || ip + run > input.len() {
                return None;
            }
            out.extend_from_slice(&input[ip..ip + run]);
            ip += run;
        } else {
            let mut run = ctrl >> 5;
            if run == 7 {
                run += *input.get(ip)? as usize;
                ip += 1;
            }
            let low = *input.get(ip)? as usize;
            ip += 1;
            let distance = ((ctrl & 0x1f) << 8) + low + 1;
            if out.len() + run + 2 > len || distance > out.len() {
                return None;
            }
            let start = out.len() - distance;
            for i in 0..run + 2 {
                out.push(out[start + i]);
            }
        }
    }
    (out.len() == len).then_some(out)
}

/// Reads RDB encodings from a payload.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

/// A length, or a special encoding of a string.
pub(crate) enum Len {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0 }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    pub(crate) fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    /// Whether everything was read.
    pub(crate) fn is_done(&self) -> bool {
        self.pos == self.bytes.len()
    }

    pub(crate) fn len(&mut self) -> Option<Len> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Len::Plain((first & 0x3f) as u64),
            1 => Len::Plain((((first & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 if first == 0x80 => Len::Plain(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as u64),
            2 if first == 0x81 => Len::Plain(u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
            2 => return None,
            _ => Len::Encoded(first & 0x3f),
        })
    }

    /// A plain length; `None` for an encoded string marker or past the end.
    pub(crate) fn plain_len(&mut self) -> Option<usize> {
        match self.len()? {
            Len::Plain(n) => usize::try_from(n).ok(),
            Len::Encoded(_) => None,
        }
    }

    /// A count of items to come: a plain length no larger than the bytes left (each item takes
    /// at least one), so that nothing is allocated for a count the payload cannot hold.
    pub(crate) fn count(&mut self) -> Option<usize> {
        let n = self.plain_len()?;
        (n <= self.bytes.len() - self.pos).then_some(n)
    }

    /// An RDB string: plain, integer-encoded or LZF-compressed.
    pub(crate) fn string(&mut self) -> Option<Vec<u8>> {
        match self.len()? {
            Len::Plain(n) => Some(self.take(usize::try_from(n).ok()?)?.to_vec()),
            Len::Encoded(0) => Some((self.byte()? as i8).to_string().into_bytes()),
            Len::Encoded(1) => Some(
                i16::from_le_bytes(self.take(2)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Len::Encoded(2) => Some(
                i32::from_le_bytes(self.take(4)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Len::Encoded(3) => {
                let compressed_len = self.plain_len()?;
                let len = self.plain_len()?;
                let compressed = self.take(compressed_len)?;
                lzf_decompress(compressed, len)
            }
            Len::Encoded(_) => None,
        }
    }

    /// A millisecond time: 8 bytes little-endian.
    pub(crate) fn millis(&mut self) -> Option<i64> {
        Some(i64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// A binary double (ZSET_2's scores): 8 bytes little-endian.
    pub(crate) fn binary_double(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    /// An old-style double (ZSET's scores): a length byte (253 NaN, 254 +inf, 255 -inf), then
    /// the number in ASCII.
    pub(crate) fn ascii_double(&mut self) -> Option<f64> {
        match self.byte()? {
            253 => Some(f64::NAN),
            254 => Some(f64::INFINITY),
            255 => Some(f64::NEG_INFINITY),
            n => {
                let text = std::str::from_utf8(self.take(n as usize)?).ok()?;
                text.trim().parse().ok()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lzf_round_trips() {
        let texts: Vec<Vec<u8>> = vec![
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            b"hello hello hello hello hello hello world world world".to_vec(),
            (0..5000u32).map(|i| (i % 251) as u8).collect(),
            (0..3000u32).map(|i| (i * 7 % 13) as u8).collect(),
        ];
        for text in texts {
            let compressed = lzf_compress(&text, text.len() - 4).expect("compressible");
            assert!(compressed.len() < text.len());
            assert_eq!(lzf_decompress(&compressed, text.len()), Some(text));
        }
        // What redis-server 7.0.15's DUMP holds for these strings.
        let a64 = vec![b'a'; 64];
        assert_eq!(lzf_compress(&a64, 60).unwrap(), b"\x01aa\xe03\x00\x01aa");
        let hello = b"hello hello hello hello hello hello world world world";
        assert_eq!(
            lzf_compress(hello, hello.len() - 4).unwrap(),
            b"\x06hello h\xe0\x14\x05\x04world\xe0\x01\x05\x01ld"
        );
        assert!(lzf_compress(b"abcdefghijklmnopqrstuvwxyz", 22).is_none());
    }

    #[test]
    fn strings_encode_as_redis() {
        let mut out = Vec::new();
        put_string(&mut out, b"12");
        put_string(&mut out, b"-300");
        put_string(&mut out, b"100000");
        put_string(&mut out, b"012");
        assert_eq!(out, b"\xc0\x0c\xc1\xd4\xfe\xc2\xa0\x86\x01\x00\x03012");
        let mut reader = Reader::new(&out);
        assert_eq!(reader.string().as_deref(), Some(&b"12"[..]));
        assert_eq!(reader.string().as_deref(), Some(&b"-300"[..]));
        assert_eq!(reader.string().as_deref(), Some(&b"100000"[..]));
        assert_eq!(reader.string().as_deref(), Some(&b"012"[..]));
        assert!(reader.is_done());
    }
}
