//! Saving the store to an RDB file and loading it back, as SAVE, BGSAVE, DEBUG RELOAD and a
//! server's start do (Redis's `rdbSave` and `rdbLoad`); the file's format is
//! `keyspace/rdb_file.rs`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

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

/// `temp-<pid>.rdb` in the directory of `path`, as Redis names it.
fn temporary_beside(path: &Path) -> PathBuf {
    let name = format!("temp-{}.rdb", std::process::id());
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
