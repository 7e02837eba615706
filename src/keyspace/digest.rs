//! DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's fingerprint of a dataset and of values
//! (`computeDatasetDigest`, `xorObjectDigest`), so that two servers' data — embedis's and
//! Redis's, or one server's before and after a reload — can be compared with one command.
//!
//! A digest is 20 bytes built from SHA-1s. *Mixing* bytes in XORs their SHA-1 into the digest
//! and hashes the digest again, so order matters (a list's elements, a stream's entries, a
//! key's type before its value); *XORing* them in does not (a set's members, a hash's pairs, a
//! sorted set's members with their scores, the keys of a database).

use super::value::Value;
use super::{DATABASES, Keyspace};

/// Twenty bytes, all 0 for an empty dataset or a missing key.
type Digest = [u8; 20];

fn sha1(bytes: &[u8]) -> Digest {
    sha1_smol::Sha1::from(bytes).digest().bytes()
}

/// Redis's `xorDigest`.
fn xor(digest: &mut Digest, bytes: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(bytes)) {
        *d ^= h;
    }
}

/// Redis's `mixDigest`.
fn mix(digest: &mut Digest, bytes: &[u8]) {
    xor(digest, bytes);
    *digest = sha1(digest);
}

/// Redis's `xorObjectDigest`: the value's type, its contents, and whether it has a TTL.
fn value_digest(digest: &mut Digest, value: &Value, has_ttl: bool) {
    let type_code: u32 = match value {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::ZSet(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    };
    mix(digest, &type_code.to_be_bytes());
    match value {
        Value::Str(s) => mix(digest, &s.as_bytes()),
        Value::List(list) => list.iter().for_each(|element| mix(digest, element)),
        Value::Set(set) => set.iter().for_each(|member| xor(digest, member)),
        Value::ZSet(zset) => {
            for entry in zset.iter() {
                let mut element = [0u8; 20];
                mix(&mut element, &entry.member);
                mix(&mut element, &crate::number::format_g17(entry.score));
                xor(digest, &element);
            }
        }
        Value::Hash(hash) => {
            for (field, value) in hash.iter() {
                let mut pair = [0u8; 20];
                mix(&mut pair, field);
                mix(&mut pair, value);
                xor(digest, &pair);
            }
        }
        Value::Stream(stream) => {
            let all = super::stream::StreamId::MIN..=super::stream::StreamId::MAX;
            for entry in stream.range(*all.start(), *all.end(), 0, false) {
                mix(digest, format!("{}.{}", entry.id.ms, entry.id.seq).as_bytes());
                entry.fields.iter().for_each(|part| mix(digest, part));
            }
        }
    }
    if has_ttl {
        xor(digest, b"!!expire!!");
    }
}

fn hex(digest: &Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Keyspace {
    /// DEBUG DIGEST: the digest of every database's keys and values, in hexadecimal (all zeros
    /// for an empty dataset). Keys past their TTL but not yet removed count, as in Redis.
    pub(crate) fn dataset_digest(&self) -> String {
        let mut digest = [0u8; 20];
        for db in 0..DATABASES {
            let data = &self.dbs[db].data;
            if data.len() == 0 {
                continue;
            }
            mix(&mut digest, &(db as u32).to_be_bytes());
            for (key, entry) in data.iter() {
                let mut pair = [0u8; 20];
                mix(&mut pair, key);
                value_digest(&mut pair, &entry.value, entry.has_ttl());
                xor(&mut digest, &pair);
            }
        }
        hex(&digest)
    }

    /// DEBUG DIGEST-VALUE: the digest of `key`'s value in database `db` (without the key's
    /// name), all zeros for a missing key.
    pub(crate) fn value_digest(&self, db: usize, key: &[u8]) -> String {
        let mut digest = [0u8; 20];
        if let Some(entry) = self.dbs[db].data.get(key) {
            value_digest(&mut digest, &entry.value, entry.has_ttl());
        }
        hex(&digest)
    }
}
