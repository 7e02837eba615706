//! Saving the store to an RDB file and loading it back, as SAVE, BGSAVE, DEBUG RELOAD and a
//! server's start do (Redis's `rdbSave` and `rdbLoad`); the file's format is
//! `keyspace/rdb_file.rs`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use crate::command::Engines;
use crate::keyspace::Keyspace;
use crate::keyspace::rdb_file;

/// The RDB file of the keyspace and of the function libraries.
pub(crate) fn snapshot(ks: &Keyspace, engines: &Engines) -> Vec<u8> {
    let codes = engines.library_codes();
    let codes: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    ks.rdb_file(&codes)
}

/// Writes `file` to `path` as Redis does: to a temporary file beside it, flushed to disk, then
/// renamed over it, so that a crash leaves the old file or the new one, never half of one.
pub(crate) fn write(path: &Path, file: &[u8]) -> std::io::Result<()> {
    let temporary = temporary_beside(path);
    let written = (|| {
        let mut out = std::fs::File::create(&temporary)?;
        out.write_all(file)?;
        out.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// `temp-<pid>-<n>.rdb` in the directory of `path`, as Redis names it (with a count: a
/// background save and a SAVE may write at once).
fn temporary_beside(path: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("temp-{}-{n}.rdb", std::process::id());
    match path.parent() {
        Some(dir) => dir.join(name),
        None => PathBuf::from(name),
    }
}

/// How an RDB file's data meets the data there (DEBUG RELOAD's options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoadMode {
    /// In place of all of it (a server's start; DEBUG RELOAD).
    Replace,
    /// Over it, the file's keys and libraries replacing those of the same names (NOFLUSH MERGE).
    Merge,
    /// Beside it: a key or library the store has already is an error (NOFLUSH).
    Add,
}

/// Loads an RDB file's keys and function libraries as `mode` says. The error is Redis's log
/// line for a file it refuses; nothing changes then.
pub(crate) fn load(ks: &mut Keyspace, engines: &mut Engines, file: &[u8], mode: LoadMode) -> Result<(), String> {
    let snapshot = rdb_file::read(file, &ks.encodings()).map_err(|e| e.to_string())?;
    if mode == LoadMode::Add
        && let Some((db, key, _, _)) = snapshot
            .keys
            .iter()
            .find(|(db, key, _, _)| ks.entry(*db, key).is_some())
    {
        return Err(format!(
            "RDB has duplicated key '{}' in DB {db}",
            String::from_utf8_lossy(key)
        ));
    }
    if mode == LoadMode::Replace || !snapshot.functions.is_empty() {
        engines
            .load_libraries(&snapshot.functions, mode)
            .map_err(|e| format!("Failed loading library: {e}"))?;
    }
    ks.load_snapshot(snapshot, mode == LoadMode::Replace);
    Ok(())
}

/// Makes `dir` the store's place to persist in, loading `dir/dbfilename` if it exists, as Redis
/// does when it starts; answers the directory's absolute path. A file Redis would refuse is an
/// error with Redis's reason, and nothing is loaded then.
pub(crate) fn open(state: &mut crate::runner::State, dir: &Path, dbfilename: &str) -> io::Result<PathBuf> {
    let dir = dir
        .canonicalize()
        .map_err(|e| io::Error::new(e.kind(), format!("Can't chdir to '{}': {e}", dir.display())))?;
    let path = dir.join(dbfilename);
    match std::fs::read(&path) {
        Ok(file) => load(&mut state.keyspace, &mut state.engines, &file, LoadMode::Replace)
            .map_err(|why| io::Error::new(io::ErrorKind::InvalidData, why))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    state.keyspace.rdb_path = Some(path);
    Ok(dir)
}

/// The background save in progress or last done (BGSAVE, INFO persistence, LASTSAVE): the file
/// is written by a thread of its own while clients go on.
#[derive(Debug, Default)]
pub(crate) struct BackgroundSave {
    in_progress: AtomicBool,
    failed: AtomicBool,
    /// When the last one finished well (Unix seconds; 0: none yet).
    finished_at: AtomicI64,
}

impl BackgroundSave {
    /// Whether one is writing now.
    pub(crate) fn in_progress(&self) -> bool {
        self.in_progress.load(Ordering::Acquire)
    }

    /// Whether the last one failed (INFO's `rdb_last_bgsave_status:err`).
    pub(crate) fn failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// When the last one finished well (Unix seconds), if one did.
    pub(crate) fn finished_at(&self) -> Option<i64> {
        Some(self.finished_at.load(Ordering::Relaxed)).filter(|&at| at > 0)
    }

    /// Writes `file` to `path` on a thread of its own; `false` (nothing started) when a save
    /// is already writing.
    pub(crate) fn start(self: &Arc<Self>, path: PathBuf, file: Vec<u8>) -> bool {
        if self.in_progress.swap(true, Ordering::AcqRel) {
            return false;
        }
        let status = Arc::clone(self);
        std::thread::spawn(move || {
            let written = write(&path, &file);
            status.failed.store(written.is_err(), Ordering::Relaxed);
            if written.is_ok() {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                status.finished_at.store(now, Ordering::Relaxed);
            }
            status.in_progress.store(false, Ordering::Release);
        });
        true
    }
}
