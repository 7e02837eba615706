//! The payload of FUNCTION DUMP and FUNCTION RESTORE, in Redis's format: for each library the RDB
//! opcode `FUNCTION2` and its code as an RDB string, then the RDB version (10, Redis 7.0's) and a
//! CRC-64 of everything before it. A payload from Redis (whose strings may be LZF-compressed or
//! integer-encoded) restores into embedis, and embedis's payload (plain strings) into Redis.

use crate::error::CommandError;
use crate::keyspace::dump::crc64;

/// Redis 7.0's RDB version.
const RDB_VERSION: u16 = 10;
/// `RDB_OPCODE_FUNCTION2`: a library.
const OPCODE_FUNCTION2: u8 = 245;
/// `RDB_OPCODE_FUNCTION`: the pre-GA format of 7.0's release candidates.
const OPCODE_FUNCTION_PRE_GA: u8 = 246;

fn err(text: &str) -> CommandError {
    CommandError::Other(format!("ERR {text}").into())
}

/// The FUNCTION DUMP payload of libraries with these codes.
pub(crate) fn dump<'a>(codes: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        out.push(OPCODE_FUNCTION2);
        put_len(&mut out, code.len());
        out.extend_from_slice(code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// RDB's length encoding.
fn put_len(out: &mut Vec<u8>, len: usize) {
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

/// Checks a FUNCTION RESTORE payload and answers the code of each library in it, with Redis's
/// errors (`verifyDumpPayload`, then `functionRestoreCommand`'s reading loop).
pub(crate) fn libraries(payload: &[u8]) -> Result<Vec<Vec<u8>>, CommandError> {
    if payload.len() < 10 {
        return Err(err("DUMP payload version or checksum are wrong"));
    }
    let footer = &payload[payload.len() - 10..];
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION || crc64(&payload[..payload.len() - 8]).to_le_bytes() != footer[2..] {
        return Err(err("DUMP payload version or checksum are wrong"));
    }
    let mut reader = Reader { bytes: payload, pos: 0 };
    let mut codes = Vec::new();
    while payload.len() - reader.pos > 10 {
        match reader.byte() {
            None => return Err(err("can not read data type")),
            Some(OPCODE_FUNCTION_PRE_GA) => return Err(err("Pre-GA function format not supported")),
            Some(OPCODE_FUNCTION2) => {}
            Some(_) => return Err(err("given type is not a function")),
        }
        codes.push(reader.string().ok_or_else(|| err("Failed loading library payload"))?);
    }
    Ok(codes)
}

/// Reads RDB encodings from a payload (footer included, as Redis's reader sees it).
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// A length, or a special encoding of a string.
enum Len {
    Plain(u64),
    Encoded(u8),
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let bytes = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(bytes)
    }

    fn byte(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn len(&mut self) -> Option<Len> {
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

    fn plain_len(&mut self) -> Option<usize> {
        match self.len()? {
            Len::Plain(n) => usize::try_from(n).ok(),
            Len::Encoded(_) => None,
        }
    }

    /// An RDB string: plain, integer-encoded or LZF-compressed.
    fn string(&mut self) -> Option<Vec<u8>> {
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
}

/// LZF decompression (liblzf's `lzf_decompress`, which Redis uses): None unless `input` expands to
/// exactly `len` bytes. Nothing is allocated beyond what the input can produce.
fn lzf_decompress(input: &[u8], len: usize) -> Option<Vec<u8>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_payload_with_lzf_restores() {
        // FUNCTION DUMP from redis-server 7.0.15 after loading one small library.
        let payload: &[u8] = b"\xf5\xc3@[@{\x1f#!lua name=lib4\nredis.register_f\runction(\"f4\", \xe0\x00\x0e\x11keys, args) return \x06\xe0\x0e9\x00x\xe0\x038\x04) end@\x04\x01d)";
        let mut full = payload.to_vec();
        full.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64(&full);
        full.extend_from_slice(&crc.to_le_bytes());
        let codes = libraries(&full).unwrap();
        assert_eq!(
            String::from_utf8(codes[0].clone()).unwrap(),
            "#!lua name=lib4\nredis.register_function(\"f4\", function(keys, args) return redis.register_function(\"x\", function() end) end)"
        );
    }

    #[test]
    fn dump_round_trips_and_lengths_encode() {
        for n in [0usize, 63, 64, 16383, 16384, 70000] {
            let code = vec![b'x'; n];
            assert_eq!(libraries(&dump([code.as_slice()].into_iter())).unwrap(), vec![code]);
        }
    }

    #[test]
    fn damaged_payloads_are_refused() {
        let good = dump([b"#!lua name=a\n".as_slice()].into_iter());
        assert!(libraries(&good[..good.len() - 1]).is_err());
        let mut bad = good.clone();
        bad[3] ^= 1;
        assert!(libraries(&bad).is_err());
        assert!(lzf_decompress(&[0xe0, 0xff, 0x00], 300).is_none());
        assert!(lzf_decompress(&[0x00, b'a'], 1 << 40).is_none());
    }
}
