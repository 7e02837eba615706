//! Saving the store to an RDB file and loading it back, as SAVE, BGSAVE, DEBUG RELOAD and a
//! server's start do (Redis's `rdbSave` and `rdbLoad`); the file's format is
//! `keyspace/rdb_file.rs`.

use std::io::Write;
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

/// Loads an RDB file's keys and function libraries: in place of all the data when
/// `replace_all`, else over it (the file's keys and libraries replacing those of the same
/// names). The error is Redis's log line for a file it refuses; nothing changes then.
pub(crate) fn load(ks: &mut Keyspace, engines: &mut Engines, file: &[u8], replace_all: bool) -> Result<(), String> {
    let snapshot = rdb_file::read(file, &ks.encodings()).map_err(|e| e.to_string())?;
    if replace_all || !snapshot.functions.is_empty() {
        engines
            .load_libraries(&snapshot.functions, replace_all)
            .map_err(|e| format!("Failed loading library: {e}"))?;
    }
    ks.load_snapshot(snapshot, replace_all);
    Ok(())
}
