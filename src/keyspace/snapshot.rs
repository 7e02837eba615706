//! Snapshots taken in steps, so that a background save does not stall the store: the RDB file of
//! the data as it was when the snapshot began, encoded a slice of entries at a time, each slice
//! under the store's lock, while clients go on between slices.
//!
//! Without a fork, the point in time is kept by copy-on-write at the entry. Every entry carries
//! the number of the last snapshot that saved it. A snapshot walks each database's positions
//! from the top down — as SCAN walks them, so that an entry present all along is met at least
//! once (`table.rs`) — and saves the entries that do not carry its number yet. Before a write
//! changes or removes an entry the snapshot has not saved, the write saves it first, as it was;
//! an entry created after the snapshot began carries its number from the start, so it is never
//! saved. A FLUSHDB or SWAPDB first saves the databases it empties or moves, whole.

use super::table::Table;
use super::value::Value;
use super::{Keyspace, commands_file, rdb_file};

/// What a snapshot's file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileFormat {
    /// An RDB file (SAVE, BGSAVE, a replica's full sync).
    Rdb,
    /// An append-only file's base with `aof-use-rdb-preamble yes`: an RDB file whose `aof-base`
    /// field says so.
    AofBaseRdb,
    /// An append-only file's base with `aof-use-rdb-preamble no`: the commands that rebuild the
    /// data (`commands_file.rs`), annotated with the time when `timestamp`
    /// (`aof-timestamp-enabled`).
    AofBaseCommands { timestamp: bool },
}

/// How a snapshot's entries are encoded.
#[derive(Debug, Clone, Copy)]
enum Layout {
    /// RDB, strings LZF-compressed when `compress`, with a CRC-64 when `checksum`
    /// (`rdbcompression`, `rdbchecksum` when it began).
    Rdb { compress: bool, checksum: bool },
    /// Commands.
    Commands,
}

impl Layout {
    /// Encodes `key`, holding `value`, with its expiry time.
    fn put_key(self, out: &mut Vec<u8>, key: &[u8], value: &Value, expire_at: Option<i64>) {
        match self {
            Layout::Rdb { compress, .. } => rdb_file::put_key(out, key, value, expire_at, compress),
            Layout::Commands => commands_file::put_key(out, key, value, expire_at),
        }
    }
}

/// A snapshot in progress: its number, how it encodes entries, the file's start (encoded when it
/// began), and each database's walk.
#[derive(Debug)]
pub(crate) struct SnapshotInProgress {
    number: u16,
    layout: Layout,
    header: Vec<u8>,
    dbs: Vec<DbWalk>,
}

impl SnapshotInProgress {
    /// The file of a snapshot walked whole.
    pub(crate) fn into_file(self) -> Vec<u8> {
        let mut out = self.header;
        for (db, walk) in self.dbs.iter().enumerate() {
            match self.layout {
                Layout::Rdb { .. } => rdb_file::put_db(&mut out, db, (walk.len, walk.volatile), &walk.keys),
                Layout::Commands => commands_file::put_db(&mut out, db, walk.len, &walk.keys),
            }
        }
        match self.layout {
            Layout::Rdb { checksum, .. } => rdb_file::end_file(out, checksum),
            Layout::Commands => out,
        }
    }
}

/// One database's part of a snapshot: the positions still to walk (those below `below`), and
/// the entries saved so far, encoded, with their count and how many have a TTL.
#[derive(Debug, Default)]
struct DbWalk {
    below: usize,
    keys: Vec<u8>,
    len: usize,
    volatile: usize,
}

impl Keyspace {
    /// Begins a snapshot of the data as it is now, the function libraries being `functions`
    /// (their code), to be a file of `format`; [`Keyspace::snapshot_step`] saves its entries. A
    /// snapshot still in progress is abandoned. Answers its number.
    pub(crate) fn begin_snapshot(&mut self, functions: &[&[u8]], format: FileFormat) -> u16 {
        self.snapshot_number = self.snapshot_number.wrapping_add(1);
        let dbs = self
            .dbs
            .iter()
            .map(|db| DbWalk {
                below: db.data.len(),
                ..DbWalk::default()
            })
            .collect();
        let (layout, header) = match format {
            FileFormat::Rdb | FileFormat::AofBaseRdb => (
                Layout::Rdb {
                    compress: self.rdb_compression,
                    checksum: self.rdb_checksum,
                },
                self.rdb_header(functions, format == FileFormat::AofBaseRdb),
            ),
            FileFormat::AofBaseCommands { timestamp } => (
                Layout::Commands,
                commands_file::header(functions, timestamp.then(|| self.now() / 1000)),
            ),
        };
        self.snapshot = Some(Box::new(SnapshotInProgress {
            number: self.snapshot_number,
            layout,
            header,
            dbs,
        }));
        self.snapshot_number
    }

    /// The file of `format` of the data as it is now and the function libraries `functions`,
    /// encoded at once (under the lock, for what cannot wait for a snapshot in steps).
    pub(crate) fn file(&self, functions: &[&[u8]], format: FileFormat) -> Vec<u8> {
        match format {
            FileFormat::Rdb => self.rdb_file(functions, false),
            FileFormat::AofBaseRdb => self.rdb_file(functions, true),
            FileFormat::AofBaseCommands { timestamp } => self.commands_file(functions, timestamp),
        }
    }

    /// The number of the snapshot in progress, if one is.
    pub(crate) fn snapshot_in_progress(&self) -> Option<u16> {
        self.snapshot.as_ref().map(|snapshot| snapshot.number)
    }

    /// Walks up to `positions` more positions of the snapshot in progress, saving the entries
    /// there it has not saved; answers whether every database has been walked.
    pub(crate) fn snapshot_step(&mut self, positions: usize) -> bool {
        let Some(snapshot) = &mut self.snapshot else {
            return true;
        };
        let mut left = positions;
        for (db, walk) in self.dbs.iter_mut().zip(&mut snapshot.dbs) {
            while left > 0 && walk_one(&mut db.data, walk, snapshot.number, snapshot.layout) {
                left -= 1;
            }
            if left == 0 {
                break;
            }
        }
        snapshot.dbs.iter().all(|walk| walk.below == 0)
    }

    /// The snapshot in progress, once [`Keyspace::snapshot_step`] walked it all; it ends. Its
    /// file is put together by [`SnapshotInProgress::into_file`], away from the lock.
    pub(crate) fn finish_snapshot(&mut self) -> Option<Box<SnapshotInProgress>> {
        self.snapshot.take()
    }

    /// Ends the snapshot in progress, if any, with nothing saved.
    pub(crate) fn abandon_snapshot(&mut self) {
        self.snapshot = None;
    }

    /// The number a new entry carries: that of the snapshot in progress (which must not save
    /// it), or of the last one.
    pub(super) fn new_entry_number(&self) -> u16 {
        self.snapshot_number
    }

    /// Before `key` of `db` changes or goes: the snapshot in progress saves it as it is, if it
    /// has not yet.
    #[inline]
    pub(super) fn save_before_change(&mut self, db: usize, key: &[u8]) {
        if self.snapshot.is_some() {
            self.save_key_before_change(db, key);
        }
    }

    #[cold]
    fn save_key_before_change(&mut self, db: usize, key: &[u8]) {
        if let Some(pos) = self.dbs[db].data.position(key) {
            self.save_position_before_change(db, pos);
        }
    }

    /// [`Keyspace::save_before_change`] of the entry at `pos`.
    #[inline]
    pub(super) fn save_position_before_change(&mut self, db: usize, pos: u32) {
        if let Some(snapshot) = &mut self.snapshot {
            let number = (snapshot.number, snapshot.layout);
            save_entry(&mut self.dbs[db].data, pos, &mut snapshot.dbs[db], number);
        }
    }

    /// Before database `db` is emptied or moved (FLUSHDB, SWAPDB): the snapshot in progress
    /// saves what it has not saved of it.
    pub(super) fn save_db_before_change(&mut self, db: usize) {
        if let Some(snapshot) = &mut self.snapshot {
            let walk = &mut snapshot.dbs[db];
            while walk_one(&mut self.dbs[db].data, walk, snapshot.number, snapshot.layout) {}
        }
    }
}

/// Walks one more position of `table` (clamped to its length: entries removed meanwhile moved
/// the top ones down), saving its entry; false once the walk reached the bottom.
fn walk_one(table: &mut Table, walk: &mut DbWalk, number: u16, layout: Layout) -> bool {
    walk.below = walk.below.min(table.len());
    if walk.below == 0 {
        return false;
    }
    walk.below -= 1;
    save_entry(table, walk.below as u32, walk, (number, layout));
    true
}

/// Saves the entry at `pos` in snapshot `number` (encoded as its `layout` says), unless it
/// already carries the number.
fn save_entry(table: &mut Table, pos: u32, walk: &mut DbWalk, (number, layout): (u16, Layout)) {
    let (key, entry, expire_at) = table.slot_at(pos);
    if entry.saved_in() == number {
        return;
    }
    entry.set_saved_in(number);
    layout.put_key(&mut walk.keys, key, &entry.value, expire_at);
    walk.len += 1;
    walk.volatile += usize::from(expire_at.is_some());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyspace::value::{Str, Value};
    use crate::keyspace::{Ttl, rdb_file};

    fn string(text: &str) -> Value {
        Value::Str(Str::from_bytes(text.as_bytes().to_vec()))
    }

    /// A key as a file holds it: its database, name, value's dump and TTL (or, in a file of
    /// commands, a command: its database, key and encoding).
    type Saved = (usize, Vec<u8>, Vec<u8>, Option<i64>);

    /// Every key of every database, sorted; for a file of commands, every command with the
    /// database it runs in, sorted.
    fn contents(file: &[u8], format: FileFormat) -> Vec<Saved> {
        if let FileFormat::AofBaseCommands { .. } = format {
            return commands(file);
        }
        let snapshot = rdb_file::read(file, &Default::default(), true).expect("the file reads back");
        let mut keys: Vec<_> = snapshot
            .keys
            .into_iter()
            .map(|(db, key, value, at)| {
                let mut dumped = Vec::new();
                crate::keyspace::dump::put_object(&mut dumped, &value);
                (db, key, dumped, at)
            })
            .collect();
        keys.sort();
        keys
    }

    fn commands(file: &[u8]) -> Vec<Saved> {
        let (mut at, mut db, mut commands) = (0, 0, Vec::new());
        while at < file.len() {
            let argv = crate::aof::read_command(file, &mut at).unwrap_or_else(|_| panic!("a command at {at}"));
            if argv.arg(0) == b"SELECT" {
                db = std::str::from_utf8(argv.arg(1)).unwrap().parse().unwrap();
                continue;
            }
            let mut encoded = Vec::new();
            crate::aof::encode(&argv, &mut encoded);
            commands.push((db, argv.arg(1).to_vec(), encoded, None));
        }
        commands.sort();
        commands
    }

    /// Random writes between the steps of a snapshot — sets, overwrites, deletes, TTLs, new
    /// keys, FLUSHDB, SWAPDB, across databases, `atomic` calls rolled back — leave it the file of the data as it began,
    /// the same as a file encoded at once then; and the next snapshot saves the data as it is.
    #[test]
    fn a_snapshot_in_steps_is_the_data_as_it_began() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for round in 0..40 {
            let format = if round % 2 == 0 {
                FileFormat::Rdb
            } else {
                FileFormat::AofBaseCommands { timestamp: false }
            };
            let mut ks = Keyspace::new(crate::Clock::manual());
            let far = ks.now() + 1_000_000;
            for n in 0..300 {
                let db = (crate::keyspace::xorshift(&mut seed) % 3) as usize;
                let ttl = if n % 4 == 0 { Ttl::At(far + n) } else { Ttl::Clear };
                ks.insert(db, format!("key:{n}").as_bytes(), string(&format!("v{n}")), ttl);
            }
            let before = contents(&ks.file(&[], format), format);
            ks.begin_snapshot(&[], format);
            while !ks.snapshot_step(1 + round % 7) {
                for _ in 0..3 {
                    let r = crate::keyspace::xorshift(&mut seed);
                    let db = (r % 3) as usize;
                    let key = format!("key:{}", (r >> 8) % 400);
                    match (r >> 20) % 42 {
                        0..=14 => ks.insert(db, key.as_bytes(), string("changed"), Ttl::Keep),
                        15..=24 => {
                            ks.delete(db, key.as_bytes());
                        }
                        25..=32 => {
                            ks.set_expire(db, key.as_bytes(), Some(far + 7));
                        }
                        33..=37 => {
                            if let Some(entry) = ks.get_mut(db, key.as_bytes()) {
                                entry.value = string("in place");
                            }
                        }
                        38 => {
                            ks.flush_db(db);
                        }
                        39 => ks.swap_db(db, (db + 1) % 3),
                        // An `atomic` call's writes, rolled back.
                        _ => {
                            ks.start_undo();
                            ks.delete(db, key.as_bytes());
                            ks.insert(db, b"key:1", string("undone"), Ttl::Clear);
                            ks.set_expire(db, b"key:2", Some(far + 9));
                            if r.is_multiple_of(5) {
                                ks.flush_db((db + 1) % 3);
                            }
                            ks.rollback_undo();
                        }
                    }
                }
            }
            let file = ks.finish_snapshot().expect("the snapshot was in progress").into_file();
            assert_eq!(contents(&file, format), before, "round {round}");
            let now = contents(&ks.file(&[], format), format);
            ks.begin_snapshot(&[], format);
            while !ks.snapshot_step(5) {}
            let file = ks.finish_snapshot().unwrap().into_file();
            assert_eq!(contents(&file, format), now, "round {round}, the next one");
        }
    }
}
