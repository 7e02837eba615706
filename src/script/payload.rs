//! The payload of FUNCTION DUMP and FUNCTION RESTORE, in Redis's format: for each library the RDB
//! opcode `FUNCTION2` and its code as an RDB string, then the RDB version (10, Redis 7.0's) and a
//! CRC-64 of everything before it. A payload from Redis (whose strings may be LZF-compressed or
//! integer-encoded) restores into embedis, and embedis's payload (plain strings) into Redis.

use crate::error::CommandError;
use crate::keyspace::dump::crc64;
use crate::keyspace::rdb::{RDB_VERSION, Reader, put_len};
use crate::keyspace::rdb_file::{OPCODE_FUNCTION_PRE_GA, OPCODE_FUNCTION2};

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
    let mut reader = Reader::new(payload);
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
        assert!(crate::keyspace::rdb::lzf_decompress(&[0xe0, 0xff, 0x00], 300).is_none());
        assert!(crate::keyspace::rdb::lzf_decompress(&[0x00, b'a'], 1 << 40).is_none());
    }
}
