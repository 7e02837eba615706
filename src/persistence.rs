//! Saving the store to an RDB file and loading it back, as SAVE, BGSAVE, DEBUG RELOAD and a
//! server's start do (Redis's `rdbSave` and `rdbLoad`); the file's format is
//! `keyspace/rdb_file.rs`.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use crate::command::Engines;
use crate::keyspace::rdb_file;
use crate::keyspace::{FileFormat, Keyspace};

/// The RDB file of the keyspace and of the function libraries.
pub(crate) fn snapshot(ks: &Keyspace, engines: &Engines) -> Vec<u8> {
    snapshot_for(ks, engines, FileFormat::Rdb)
}

/// The file of `format` of the keyspace and of the function libraries, encoded at once.
fn snapshot_for(ks: &Keyspace, engines: &Engines, format: FileFormat) -> Vec<u8> {
    let codes = engines.library_codes();
    let codes: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    ks.file(&codes, format)
}

/// What an append-only file's new base is: an RDB file with `aof-use-rdb-preamble yes` (the
/// default), else the commands that rebuild the data, as Redis's rewrite writes them.
fn aof_base_format(ks: &Keyspace) -> FileFormat {
    match &ks.saving.append_only {
        Some((_, settings)) if !settings.rdb_preamble => FileFormat::AofBaseCommands {
            timestamp: settings.timestamps,
        },
        _ => FileFormat::AofBaseRdb,
    }
}

/// How a store keeps an append-only file (`appendonly yes` and its settings).
#[derive(Debug, Clone)]
pub(crate) struct AppendOnly {
    pub(crate) dirname: String,
    pub(crate) filename: String,
    pub(crate) fsync: crate::aof::Fsync,
    pub(crate) load_truncated: bool,
    /// `aof-timestamp-enabled`: a `#TS:<unix time>` annotation before the first write of each
    /// second.
    pub(crate) timestamps: bool,
    /// `aof-use-rdb-preamble`: a new base is an RDB file (else the commands that rebuild the
    /// data).
    pub(crate) rdb_preamble: bool,
}

impl Default for AppendOnly {
    fn default() -> AppendOnly {
        AppendOnly {
            dirname: "appendonlydir".into(),
            filename: "appendonly.aof".into(),
            fsync: crate::aof::Fsync::EverySec,
            load_truncated: true,
            timestamps: false,
            rdb_preamble: true,
        }
    }
}

/// Makes `dir` the store's place to persist with an append-only file, as Redis starts with
/// `appendonly yes`: the AOF in `dir/<dirname>` is loaded (its RDB file, `dbfilename`, is not:
/// the AOF has the data), or created with the data as it is; from then on every write is
/// appended to it. Answers the directory's absolute path; the error is Redis's reason.
pub(crate) fn open_append_only(
    state: &mut crate::runner::State,
    dir: &Path,
    dbfilename: &str,
    append_only: &AppendOnly,
) -> io::Result<PathBuf> {
    let dir = dir
        .canonicalize()
        .map_err(|e| io::Error::new(e.kind(), format!("Can't chdir to '{}': {e}", dir.display())))?;
    state.keyspace.saving.rdb_path = Some(dir.join(dbfilename));
    state.keyspace.saving.append_only = Some((dir.clone(), append_only.clone()));
    let location = aof_location(&dir, append_only);
    let aof = crate::aof::open(
        location,
        append_only.fsync,
        append_only.load_truncated,
        &mut StateReplayer::new(&mut state.keyspace, &mut state.engines),
    )?;
    state.keyspace.attach_aof(aof);
    Ok(dir)
}

/// Where the AOF of a store persisting in `dir` lives.
fn aof_location(dir: &Path, append_only: &AppendOnly) -> crate::aof::Location {
    crate::aof::Location {
        dir: dir.join(&append_only.dirname),
        filename: append_only.filename.clone(),
    }
}

/// CONFIG SET appendonly: `yes` rewrites the AOF from the data as it is and appends to it from
/// then on (Redis's `startAppendOnly`); `no` syncs it and stops appending. A store that does not
/// persist cannot (the error says so).
pub(crate) fn set_append_only(ks: &mut Keyspace, engines: &Engines, on: bool) -> io::Result<()> {
    if !on {
        // A rewrite in progress stops (Redis kills its child).
        abandon_aof_rewrite(ks);
        if let Some(aof) = ks.aof.take() {
            aof.flush();
        }
        // The replicas' stream, if there is one, goes on.
        ks.effects.want_replay(ks.replicas.streams());
        return Ok(());
    }
    if ks.aof.is_some() {
        return Ok(());
    }
    // A rewrite of the base alone in progress stops: this one replaces it (as Redis kills its
    // child and starts again).
    abandon_aof_rewrite(ks);
    let Some((dir, append_only)) = ks.saving.append_only.clone() else {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "the store does not persist (no dir)",
        ));
    };
    let location = aof_location(&dir, &append_only);
    let old = crate::aof::Manifest::read(&location)?;
    // While another snapshot is being taken (or with no store to step for), the base is
    // encoded at once.
    if ks.snapshot_in_progress().is_some() || ks.store.strong_count() == 0 {
        let base = snapshot_for(ks, engines, aof_base_format(ks));
        let aof = crate::aof::rewrite(location, old, &base, append_only.fsync)?;
        ks.attach_aof(aof);
        ks.saving.aof_rewrites += 1;
        return Ok(());
    }
    // As Redis's: the AOF is on at once (writes go to a new incremental file) and its base is
    // taken in steps, the manifest naming both once the base is written.
    let format = aof_base_format(ks);
    let (aof, rewrite) = crate::aof::start_pending(location, old, append_only.fsync, format)?;
    ks.attach_aof(aof);
    let number = take_snapshot(ks, engines, format);
    ks.saving.rewriting = Some(number);
    step_in_background(ks, number, Destination::AofBase(rewrite));
    Ok(())
}

/// DEBUG LOADAOF: the AOF (synced first) is loaded again in place of the data.
pub(crate) fn reload_aof(ks: &mut Keyspace, engines: &mut Engines) -> io::Result<()> {
    let Some((dir, append_only)) = ks.saving.append_only.clone() else {
        return Ok(());
    };
    if let Some(aof) = &ks.aof {
        aof.flush();
    }
    for db in 0..crate::keyspace::DATABASES {
        ks.flush_db(db);
    }
    let location = aof_location(&dir, &append_only);
    // Loading writes nothing to the AOF it loads.
    let replaying = ks.effects.replay_wanted();
    ks.effects.want_replay(false);
    let loaded = crate::aof::load_from_disk(
        &location,
        append_only.load_truncated,
        &mut StateReplayer::new(ks, engines),
    );
    ks.effects.want_replay(replaying);
    loaded?;
    // What was loaded is not to be saved again (Redis's `server.dirty = 0`).
    ks.saving.loaded();
    Ok(())
}

/// Runs an AOF's commands on the locked store, as Redis's fake AOF client does: SELECT changes
/// its database, MULTI … EXEC runs the commands between them together, and a command's error is
/// the data's (only an unknown command stops the load).
struct StateReplayer<'a> {
    ks: &'a mut Keyspace,
    engines: &'a mut Engines,
    db: usize,
    multi: Option<Vec<crate::argv::Argv>>,
}

impl<'a> StateReplayer<'a> {
    fn new(ks: &'a mut Keyspace, engines: &'a mut Engines) -> StateReplayer<'a> {
        StateReplayer {
            ks,
            engines,
            db: 0,
            multi: None,
        }
    }

    fn run_now(&mut self, argv: &crate::argv::Argv) -> Result<(), String> {
        self.db = run_replayed(self.ks, self.engines, 0, self.db, argv).map_err(|_| {
            format!(
                "Unknown command '{}' reading the append only file",
                String::from_utf8_lossy(argv.arg(0))
            )
        })?;
        Ok(())
    }
}

/// Runs `argv`, a command of a replayed stream (an AOF being loaded, a primary's replication
/// stream), as Redis's fake client obeys it: as the internal client `client` in database `db`,
/// its error the data's (a wrong arity too). Answers the database it leaves the stream in, or
/// the error of an unknown command (`Err(())`, which only an AOF's load refuses).
pub(crate) fn run_replayed(
    ks: &mut Keyspace,
    engines: &mut Engines,
    client: crate::keyspace::ClientId,
    db: usize,
    argv: &crate::argv::Argv,
) -> Result<usize, ()> {
    use crate::command::table::{self, Run};
    let spec = match table::resolve_for(argv, None, false) {
        Ok(spec) => spec,
        Err(crate::error::CommandError::UnknownCommand(_)) => return Err(()),
        Err(_) => return Ok(db),
    };
    if let Run::Keyspace(_) = spec.run {
        ks.begin();
        let caller = crate::command::Caller::internal(client, db);
        let mut ctx = crate::command::Ctx::new(ks, engines, &caller);
        ctx.run(spec, argv);
        return Ok(ctx.db);
    }
    Ok(db)
}

/// Where a replayed stream's command goes: MULTI opens a queue (`multi`), EXEC answers what it
/// queued (to run together, as one unit), a command inside a MULTI is queued; any other is a
/// unit of its own. `None` while nothing is to run.
pub(crate) fn replayed_unit(
    multi: &mut Option<Vec<crate::argv::Argv>>,
    argv: crate::argv::Argv,
) -> Option<Vec<crate::argv::Argv>> {
    if argv.arg(0).eq_ignore_ascii_case(b"multi") {
        *multi = Some(Vec::new());
        return None;
    }
    if argv.arg(0).eq_ignore_ascii_case(b"exec") {
        return Some(multi.take().unwrap_or_default());
    }
    match multi {
        Some(queue) => {
            queue.push(argv);
            None
        }
        None => Some(vec![argv]),
    }
}

impl crate::aof::Replayer for StateReplayer<'_> {
    fn load_rdb(&mut self, file: &[u8]) -> Result<(), String> {
        load(self.ks, self.engines, file, LoadMode::Replace)
    }

    fn run(&mut self, argv: crate::argv::Argv) -> Result<(), String> {
        self.ks.loading = true;
        let ran = self.run_loaded(argv);
        self.ks.loading = false;
        ran
    }

    fn base(&mut self) -> Vec<u8> {
        snapshot_for(self.ks, self.engines, aof_base_format(self.ks))
    }
}

impl StateReplayer<'_> {
    fn run_loaded(&mut self, argv: crate::argv::Argv) -> Result<(), String> {
        for command in replayed_unit(&mut self.multi, argv).unwrap_or_default() {
            self.run_now(&command)?;
        }
        Ok(())
    }
}

/// Writes `file` to `path` as Redis does: to a temporary file beside it, flushed to disk, then
/// renamed over it, so that a crash leaves the old file or the new one, never half of one.
pub(crate) fn write(path: &Path, file: &[u8]) -> std::io::Result<()> {
    write_unless(path, file, || Some(())).map(|_| ())
}

/// As [`write`], asking `may_rename` last whether the file may still replace the old one: a
/// guard it answers is held across the rename; `None` leaves the old file (answering `false`).
fn write_unless<G>(path: &Path, file: &[u8], may_rename: impl FnOnce() -> Option<G>) -> std::io::Result<bool> {
    let temporary = temporary_beside(path);
    let written = (|| {
        let mut out = std::fs::File::create(&temporary)?;
        out.write_all(file)?;
        out.sync_all()?;
        match may_rename() {
            Some(_guard) => std::fs::rename(&temporary, path).map(|()| true),
            None => Ok(false),
        }
    })();
    if !matches!(written, Ok(true)) {
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
    let snapshot = rdb_file::read(file, &ks.encodings(), ks.rdb_checksum).map_err(|e| e.to_string())?;
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
    state.keyspace.saving.rdb_path = Some(path);
    Ok(dir)
}

/// Writes the RDB file now where the store persists (Redis's `rdbSave`: SAVE, FLUSHALL with save
/// points, a shutdown, a close): a background save in progress is abandoned (its file would be
/// older), and nothing is left to save after. A store that does not persist writes nothing, and
/// the save counts all the same.
pub(crate) fn save_now(ks: &mut Keyspace, engines: &Engines) -> io::Result<()> {
    match ks.saving.rdb_path.clone() {
        Some(path) => save_file(ks, &path, &snapshot(ks, engines)),
        None => {
            ks.saved_now();
            Ok(())
        }
    }
}

/// [`save_now`] of a `file` already encoded, to `path`.
pub(crate) fn save_file(ks: &mut Keyspace, path: &Path, file: &[u8]) -> io::Result<()> {
    abandon_background_save(ks);
    write(path, file)?;
    ks.saved_now();
    Ok(())
}

/// A background save in progress, if any, stops: one still taking its snapshot ends there, one
/// writing its file does not replace the file (it would be older than what replaces it).
pub(crate) fn abandon_background_save(ks: &mut Keyspace) {
    let taking = ks.snapshot_in_progress();
    if taking.is_some() && taking != ks.saving.rewriting && taking != ks.saving.replica_sync {
        ks.abandon_snapshot();
        ks.saving.background.end_abandoned();
    } else {
        ks.saving.background.abandon();
    }
}

/// An AOF rewrite in progress, if any, stops and leaves the AOF as it is.
pub(crate) fn abandon_aof_rewrite(ks: &mut Keyspace) {
    if let Some(number) = ks.saving.rewriting.take()
        && ks.snapshot_in_progress() == Some(number)
    {
        ks.abandon_snapshot();
    }
}

/// Whether a background save or AOF rewrite is in progress (Redis's `hasActiveChildProcess`).
pub(crate) fn background_work(ks: &Keyspace) -> bool {
    ks.snapshot_in_progress().is_some() || ks.saving.background.in_progress() || ks.saving.rewriting.is_some()
}

/// What a snapshot taken in steps becomes.
enum Destination {
    /// The RDB file at this path (BGSAVE), written by the background save of `Saving`.
    Rdb(PathBuf, Arc<BackgroundSave>),
    /// The AOF's new base (BGREWRITEAOF).
    AofBase(crate::aof::Rewrite),
    /// A replica's full sync: its payload, then its mailbox woken (its stream waits there).
    Replica(Arc<crate::replication::PendingPayload>, Arc<crate::pubsub::Mailbox>),
}

impl Destination {
    /// What is done with the file away from the store's lock: the RDB file written (its save
    /// ends), the AOF's new base written.
    fn write(&self, file: &[u8]) -> Result<(), crate::aof::AofError> {
        match self {
            Destination::Rdb(path, status) => {
                status.write(path, file);
                Ok(())
            }
            Destination::AofBase(rewrite) => rewrite.write_base(file),
            Destination::Replica(..) => Ok(()),
        }
    }

    /// What is done after, on `ks` (locked), for snapshot `number`: the AOF's manifest names
    /// the base `written`; the replica's payload goes ahead of its waiting stream.
    fn finish(self, ks: &mut Keyspace, number: u16, file: Vec<u8>, written: Result<(), crate::aof::AofError>) {
        match self {
            Destination::Rdb(..) => {}
            Destination::AofBase(rewrite) => finish_aof_rewrite(ks, number, rewrite, written),
            Destination::Replica(payload, mailbox) => {
                if ks.saving.replica_sync == Some(number) {
                    ks.saving.replica_sync = None;
                }
                payload.put(file);
                mailbox.wake();
            }
        }
    }
}

/// Begins a replica's full sync payload as a snapshot taken in steps, so that the store does
/// not stall for it: `payload` gets the file and `mailbox` (the replica's, where its stream
/// waits meanwhile) is woken. False, beginning nothing, while another snapshot is in progress
/// or the keyspace belongs to no store: the caller encodes the payload at once then.
pub(crate) fn start_replica_payload(
    ks: &mut Keyspace,
    engines: &Engines,
    payload: &Arc<crate::replication::PendingPayload>,
    mailbox: &Arc<crate::pubsub::Mailbox>,
) -> bool {
    if ks.snapshot_in_progress().is_some() || ks.store.strong_count() == 0 {
        return false;
    }
    let number = take_snapshot(ks, engines, FileFormat::Rdb);
    ks.saving.replica_sync = Some(number);
    let destination = Destination::Replica(Arc::clone(payload), Arc::clone(mailbox));
    step_in_background(ks, number, destination);
    true
}

/// BGREWRITEAOF: the AOF starts again from a snapshot of the data as it is now, taken in steps
/// as a background save's is, while what is written meanwhile goes to a new incremental file
/// (Redis 7.0's layout); once the new base is written, the manifest names it and the new
/// incremental file, and the old files go; with no AOF kept, the new base alone. While a
/// background save is in progress it waits (scheduled). A store that does not persist has
/// nothing to write: the rewrite counts at once.
pub(crate) fn start_background_rewrite(ks: &mut Keyspace, engines: &Engines) -> io::Result<()> {
    if background_work(ks) {
        ks.saving.rewrite_scheduled = true;
        return Ok(());
    }
    ks.saving.rewrite_scheduled = false;
    let format = aof_base_format(ks);
    let rewrite = match (&mut ks.aof, &ks.saving.append_only) {
        (Some(aof), _) => aof.begin_rewrite(format)?,
        (None, Some((dir, append_only))) => crate::aof::begin_base_only(aof_location(dir, append_only), format)?,
        (None, None) => {
            ks.saving.aof_rewrites += 1;
            return Ok(());
        }
    };
    let number = take_snapshot(ks, engines, format);
    ks.saving.rewriting = Some(number);
    step_in_background(ks, number, Destination::AofBase(rewrite));
    Ok(())
}

/// What was scheduled to wait for the background work in progress starts, once there is none:
/// an AOF rewrite first, then a background save (Redis's cron).
pub(crate) fn start_scheduled(ks: &mut Keyspace, engines: &Engines) {
    if background_work(ks) {
        return;
    }
    if ks.saving.rewrite_scheduled {
        let _ = start_background_rewrite(ks, engines);
    } else if ks.saving.save_scheduled {
        ks.saving.save_scheduled = false;
        start_background_save(ks, engines);
    }
}

/// Begins a snapshot of the data and the function libraries as they are now, to be a file of
/// `format`.
fn take_snapshot(ks: &mut Keyspace, engines: &Engines, format: FileFormat) -> u16 {
    let codes = engines.library_codes();
    let codes: Vec<&[u8]> = codes.iter().map(Vec::as_slice).collect();
    ks.begin_snapshot(&codes, format)
}

/// Takes snapshot `number` in steps on a thread of its own, then makes it `destination`; a
/// keyspace of no store (a unit test's) takes it at once.
fn step_in_background(ks: &mut Keyspace, number: u16, destination: Destination) {
    let store = ks.store.clone();
    if store.strong_count() == 0 {
        ks.snapshot_step(usize::MAX);
        let file = ks.finish_snapshot().map(|s| s.into_file()).unwrap_or_default();
        let written = destination.write(&file);
        destination.finish(ks, number, file, written);
        return;
    }
    std::thread::spawn(move || save_in_steps(&store, number, destination));
}

/// Ends AOF rewrite `number`, its base `written` or not, unless it was abandoned meanwhile.
fn finish_aof_rewrite(
    ks: &mut Keyspace,
    number: u16,
    rewrite: crate::aof::Rewrite,
    written: Result<(), crate::aof::AofError>,
) {
    if ks.saving.rewriting != Some(number) {
        return;
    }
    ks.saving.rewriting = None;
    // Turning the AOF on or off abandons a rewrite: one that ends began as the AOF is now.
    let finished = written.and_then(|()| match &mut ks.aof {
        Some(aof) => aof.finish_rewrite(rewrite),
        None => rewrite.finish_alone(),
    });
    ks.saving.rewrite_failed = finished.is_err();
    if finished.is_ok() {
        ks.saving.aof_rewrites += 1;
    }
}

/// How long a background save's step holds the store's lock: what other clients wait at most.
const SNAPSHOT_STEP: std::time::Duration = std::time::Duration::from_millis(1);

/// Starts a background save (BGSAVE, a save point) of the data as it is now: a thread of its
/// own takes the snapshot in steps (`keyspace/snapshot.rs`), each holding the store's lock for
/// about a millisecond, then writes and syncs the file while clients go on. A store that does
/// not persist has nothing to write: the save counts at once. The caller has checked that none
/// is in progress.
pub(crate) fn start_background_save(ks: &mut Keyspace, engines: &Engines) {
    let now = ks.clock().now_micros() / 1_000_000;
    let Some(path) = ks.saving.rdb_path.clone() else {
        ks.saving.saved(now);
        return;
    };
    if !ks.saving.background.begin() {
        return;
    }
    let number = take_snapshot(ks, engines, FileFormat::Rdb);
    ks.saving.background_started(now);
    let status = Arc::clone(&ks.saving.background);
    step_in_background(ks, number, Destination::Rdb(path, status));
}

/// A background save's (or AOF rewrite's) thread: takes snapshot `number` of `store` a step at
/// a time, releasing the lock fairly between steps (a client waiting for it goes first), then
/// writes its file, away from the lock, as `destination` says; what was scheduled meanwhile
/// starts after. It stops where the snapshot was abandoned or the store dropped.
fn save_in_steps(store: &std::sync::Weak<crate::runner::Shared>, number: u16, destination: Destination) {
    let mut keys_saved = 0u64;
    loop {
        let Some(shared) = store.upgrade() else {
            if let Destination::Rdb(_, status) = &destination {
                status.end_abandoned();
            }
            return;
        };
        let mut state = shared.lock();
        let ks = &mut state.keyspace;
        // Abandoned (SAVE, FLUSHALL, a shutdown): whoever abandoned it ended it.
        if ks.snapshot_in_progress() != Some(number) {
            return;
        }
        let delay = ks.saving.key_save_delay;
        let started = std::time::Instant::now();
        let mut done = false;
        if delay != 0 {
            // A key at a time, each followed by the wait.
            done = ks.snapshot_step(1);
        }
        while !done && delay == 0 && started.elapsed() < SNAPSHOT_STEP {
            done = ks.snapshot_step(256);
        }
        if done {
            let snapshot = ks.finish_snapshot();
            drop(state);
            let file = snapshot.map(|s| s.into_file()).unwrap_or_default();
            let written = destination.write(&file);
            let mut state = shared.lock();
            let state = &mut *state;
            destination.finish(&mut state.keyspace, number, file, written);
            start_scheduled(&mut state.keyspace, &state.engines);
            return;
        }
        parking_lot::MutexGuard::unlock_fair(state);
        drop(shared);
        if delay != 0 {
            keys_saved = keys_saved.wrapping_add(1);
            wait_after_key(store, number, delay, keys_saved);
        }
    }
}

/// Waits as `rdb-key-save-delay` says after the `keys_saved`th key of snapshot `number`, as
/// Redis's saving child does (`debugDelay`): `delay` microseconds, in slices, so that the wait
/// ends as soon as the setting goes to 0 (or shorter) or the snapshot is abandoned; a negative
/// delay waits a microsecond once in `-delay` keys.
fn wait_after_key(store: &std::sync::Weak<crate::runner::Shared>, number: u16, delay: i64, keys_saved: u64) {
    if delay < 0 {
        if keys_saved.is_multiple_of(delay.unsigned_abs()) {
            std::thread::sleep(std::time::Duration::from_micros(1));
        }
        return;
    }
    let started = std::time::Instant::now();
    let mut delay = delay;
    loop {
        let wait = std::time::Duration::from_micros(delay.unsigned_abs());
        let left = wait.saturating_sub(started.elapsed());
        if delay <= 0 || left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(10)));
        let Some(shared) = store.upgrade() else {
            return;
        };
        let state = shared.lock();
        if state.keyspace.snapshot_in_progress() != Some(number) {
            return;
        }
        delay = state.keyspace.saving.key_save_delay;
    }
}

/// The store's cron: starts a background save when a `save` point is reached (Redis's
/// `serverCron`).
pub(crate) fn save_if_due(ks: &mut Keyspace, engines: &Engines) {
    let now = ks.clock().now_micros() / 1_000_000;
    if ks.saving.point_reached(now).is_some() {
        start_background_save(ks, engines);
    }
    // The AOF rewritten once it grew by `auto-aof-rewrite-percentage` (Redis's cron).
    if !background_work(ks)
        && ks
            .aof
            .as_ref()
            .is_some_and(|aof| aof.rewrite_due(ks.saving.auto_rewrite))
    {
        let _ = start_background_rewrite(ks, engines);
    }
    start_scheduled(ks, engines);
}

/// When a store saves and what changed since it last did: Redis's `dirty` counter (INFO's
/// `rdb_changes_since_last_save`), `lastsave`, the `save` points and the file they write.
///
/// Commands count their changes as Redis's do (`Ctx::dirty`: SET one, MSET one per pair, HSET one
/// per field given, SADD one per member added, a SETBIT that leaves the bit as it was none). A
/// SAVE starts the count again; a BGSAVE takes off what was counted when it started, once it
/// finished well. The store's cron starts a BGSAVE when a save point is reached: at least
/// `changes` changes and more than `seconds` since the last save (a failed background save is
/// retried after five seconds).
#[derive(Debug, Default)]
pub(crate) struct Saving {
    /// Where SAVE and BGSAVE write the RDB file (`dir`/`dbfilename`), when the store persists.
    pub(crate) rdb_path: Option<PathBuf>,
    /// Whether dropping the store's last handle saves it there (a store opened in process).
    pub(crate) save_on_drop: bool,
    /// Where the append-only file is kept or would be (the directory, the settings), when the
    /// store persists.
    pub(crate) append_only: Option<(PathBuf, AppendOnly)>,
    /// How many AOF rewrites were done (INFO's `aof_rewrites`).
    pub(crate) aof_rewrites: u64,
    /// The snapshot of the AOF rewrite in progress, if one is (INFO's
    /// `aof_rewrite_in_progress`).
    pub(crate) rewriting: Option<u16>,
    /// BGREWRITEAOF waits for a background save to end (INFO's `aof_rewrite_scheduled`).
    pub(crate) rewrite_scheduled: bool,
    /// BGSAVE SCHEDULE waits for an AOF rewrite to end.
    pub(crate) save_scheduled: bool,
    /// The snapshot of a replica's full sync in progress, if one is.
    pub(crate) replica_sync: Option<u16>,
    /// Whether the last AOF rewrite failed (INFO's `aof_last_bgrewrite_status:err`).
    pub(crate) rewrite_failed: bool,
    /// When the AOF is rewritten by itself (`auto-aof-rewrite-*`).
    pub(crate) auto_rewrite: crate::aof::AutoRewrite,
    /// `rdb-key-save-delay`: microseconds a background save waits after each key (a test's slow
    /// save; negative: one microsecond once in that many keys).
    pub(crate) key_save_delay: i64,
    /// BGSAVE's writer and what it did.
    pub(crate) background: Arc<BackgroundSave>,
    /// The Unix time (seconds) of the last save, or of the first time anyone asked.
    last_save: Option<i64>,
    /// Changes since the last save.
    dirty: u64,
    /// Changes ever made: a command that made any is replayed (see `Ctx::run`).
    changes_made: u64,
    /// When a background save is awaited: `dirty` when it started, and how many had finished
    /// well before it.
    background_started: Option<(u64, u64)>,
    /// The `save` points: (seconds, changes).
    points: Vec<(i64, i64)>,
    /// When the last background save started (Unix seconds), for the retry after a failure.
    last_background_try: i64,
}

/// How long a failed background save waits before a save point starts another (Redis's
/// `CONFIG_BGSAVE_RETRY_DELAY`).
const BACKGROUND_RETRY_SECONDS: i64 = 5;

impl Saving {
    /// Counts `n` changes.
    pub(crate) fn changed(&mut self, n: u64) {
        self.dirty = self.dirty.saturating_add(n);
        self.changes_made = self.changes_made.wrapping_add(n);
    }

    /// How many changes were ever made (only ever grows, saves or not).
    pub(crate) fn changes_made(&self) -> u64 {
        self.changes_made
    }

    /// The changes since the last save (INFO's `rdb_changes_since_last_save`).
    pub(crate) fn changes(&mut self) -> u64 {
        self.account_background();
        self.dirty
    }

    /// A save finished now (`now`: Unix seconds): nothing is left to save.
    pub(crate) fn saved(&mut self, now: i64) {
        self.dirty = 0;
        self.last_save = Some(now);
    }

    /// The data was loaded anew (DEBUG LOADAOF): nothing is left to save.
    pub(crate) fn loaded(&mut self) {
        self.dirty = 0;
    }

    /// A background save started now: what it will have saved is what was counted so far.
    pub(crate) fn background_started(&mut self, now: i64) {
        self.account_background();
        self.background_started = Some((self.dirty, self.background.successes()));
        self.last_background_try = now;
    }

    /// Accounts for a background save that finished since: if it went well, the changes it
    /// saved are no longer to save, and it is the last save.
    fn account_background(&mut self) {
        if self.background.in_progress() {
            return;
        }
        if let Some((saved, successes_before)) = self.background_started.take()
            && self.background.successes() > successes_before
            && let Some(at) = self.background.finished_at()
        {
            self.dirty -= saved.min(self.dirty);
            self.last_save = Some(at.max(self.last_save.unwrap_or(at)));
        }
    }

    /// LASTSAVE: the last save (a background one once it finished), or the first time anyone
    /// asked (`now`) when the store never saved.
    pub(crate) fn last_save(&mut self, now: i64) -> i64 {
        self.account_background();
        *self.last_save.get_or_insert(now)
    }

    /// Sets the `save` points, given as CONFIG SET checked them (see [`save_points`]).
    pub(crate) fn set_points(&mut self, points: Vec<(i64, i64)>) {
        self.points = points;
    }

    /// Whether any `save` point is set (FLUSHALL then saves, as Redis's does).
    pub(crate) fn has_points(&self) -> bool {
        !self.points.is_empty()
    }

    /// The save point reached at `now` (Unix seconds), if one is and no background save is in
    /// progress: the store's cron then starts one (Redis's `serverCron`).
    pub(crate) fn point_reached(&mut self, now: i64) -> Option<(i64, i64)> {
        self.account_background();
        if self.background.in_progress() {
            return None;
        }
        let since_save = now - self.last_save(now);
        let may_try = !self.background.failed() || now - self.last_background_try > BACKGROUND_RETRY_SECONDS;
        self.points
            .iter()
            .copied()
            .find(|&(seconds, changes)| self.dirty as i128 >= changes as i128 && since_save > seconds && may_try)
    }
}

/// The `save` points of a `save` value as Redis reads it: pairs of seconds (at least 1) and
/// changes (at least 0), separated by single spaces; `""` for none. `None` for any other value
/// (Redis's `Invalid save parameters`).
pub(crate) fn save_points(value: &str) -> Option<Vec<(i64, i64)>> {
    if value.is_empty() {
        return Some(Vec::new());
    }
    let numbers: Vec<i64> = value.split(' ').map(c_long).collect::<Option<_>>()?;
    if numbers.len() % 2 == 1 {
        return None;
    }
    numbers
        .chunks(2)
        .map(|pair| match *pair {
            // Redis keeps the changes in an `int`.
            [seconds, changes] if seconds >= 1 && changes >= 0 => Some((seconds, i64::from(changes as i32))),
            _ => None,
        })
        .collect()
}

/// A whole word read as C's `strtoll` reads it (leading blanks and a sign allowed, saturating;
/// the empty word is 0).
fn c_long(word: &str) -> Option<i64> {
    if word.is_empty() {
        return Some(0);
    }
    let trimmed = word.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match trimmed.as_bytes().first() {
        Some(b'-') => (true, &trimmed[1..]),
        Some(b'+') => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.parse::<i128>().unwrap_or(i128::MAX);
    let value = if negative { -magnitude } else { magnitude };
    Some(value.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// The `save` value CONFIG GET shows for `points`.
pub(crate) fn show_save_points(points: &[(i64, i64)]) -> String {
    points
        .iter()
        .map(|(seconds, changes)| format!("{seconds} {changes}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The background save in progress or last done (BGSAVE, INFO persistence, LASTSAVE): the file
/// is written by a thread of its own while clients go on.
#[derive(Debug, Default)]
pub(crate) struct BackgroundSave {
    in_progress: AtomicBool,
    /// The one in progress must not replace the file (a newer save is written instead); held
    /// with `renaming`.
    abandoned: AtomicBool,
    /// Held while the writer decides to rename its file into place and does.
    renaming: parking_lot::Mutex<()>,
    failed: AtomicBool,
    /// When the last one finished well (Unix seconds; 0: none yet).
    finished_at: AtomicI64,
    /// How many finished well.
    successes: std::sync::atomic::AtomicU64,
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

    /// How many finished well so far.
    pub(crate) fn successes(&self) -> u64 {
        self.successes.load(Ordering::Acquire)
    }

    /// When the last one finished well (Unix seconds), if one did.
    pub(crate) fn finished_at(&self) -> Option<i64> {
        Some(self.finished_at.load(Ordering::Relaxed)).filter(|&at| at > 0)
    }

    /// Keeps the save in progress, if any, from replacing the file: once this returns, it
    /// cannot (Redis kills its child process). It counts as neither done nor failed.
    pub(crate) fn abandon(&self) {
        let _renaming = self.renaming.lock();
        if self.in_progress() {
            self.abandoned.store(true, Ordering::Release);
        }
    }

    /// Writes `file` to `path` on a thread of its own; `false` (nothing started) when a save
    /// is already in progress.
    #[cfg(test)]
    pub(crate) fn start(self: &Arc<Self>, path: PathBuf, file: Vec<u8>) -> bool {
        if !self.begin() {
            return false;
        }
        let status = Arc::clone(self);
        std::thread::spawn(move || status.write(&path, &file));
        true
    }

    /// Marks a save as begun; `false` (nothing begun) when one is already in progress. It ends
    /// with [`BackgroundSave::write`] or [`BackgroundSave::end_abandoned`].
    pub(crate) fn begin(&self) -> bool {
        if self.in_progress.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.abandoned.store(false, Ordering::Release);
        true
    }

    /// Ends the save begun, before it had a file to write.
    pub(crate) fn end_abandoned(&self) {
        self.in_progress.store(false, Ordering::Release);
    }

    /// Writes the save's `file` to `path` (unless it was abandoned meanwhile) and ends it.
    pub(crate) fn write(&self, path: &Path, file: &[u8]) {
        let written = write_unless(path, file, || {
            let renaming = self.renaming.lock();
            (!self.abandoned.load(Ordering::Acquire)).then_some(renaming)
        });
        if written.as_ref().is_ok_and(|renamed| !renamed) {
            self.in_progress.store(false, Ordering::Release);
            return;
        }
        self.failed.store(written.is_err(), Ordering::Relaxed);
        if written.is_ok() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            self.finished_at.store(now, Ordering::Relaxed);
            self.successes.fetch_add(1, Ordering::Release);
        }
        self.in_progress.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_points_read_as_redis_reads_them() {
        type Points = &'static [(i64, i64)];
        let cases: &[(&str, Option<Points>)] = &[
            ("", Some(&[])),
            ("3600 1 300 100", Some(&[(3600, 1), (300, 100)])),
            ("01 02", Some(&[(1, 2)])),
            ("+5 -0", Some(&[(5, 0)])),
            // An empty word is C's strtoll of "": zero, allowed as changes.
            ("1 ", Some(&[(1, 0)])),
            ("5 99999999999", Some(&[(5, 1_215_752_191)])),
            ("9999999999999999999999 1", Some(&[(i64::MAX, 1)])),
            ("1  ", None),
            (" 5 6", None),
            ("1 2 3", None),
            ("0 1", None),
            ("1 -1", None),
            ("abc", None),
            ("5 6x", None),
        ];
        for (value, expected) in cases {
            assert_eq!(save_points(value).as_deref(), *expected, "{value:?}");
        }
        assert_eq!(show_save_points(&[(3600, 1), (300, 100)]), "3600 1 300 100");
    }

    #[test]
    fn a_save_point_is_reached_by_changes_and_time_since_the_last_save() {
        let mut saving = Saving::default();
        saving.set_points(vec![(10, 2), (100, 1)]);
        assert_eq!(saving.last_save(1000), 1000, "the first ask starts the clock");
        saving.changed(1);
        assert_eq!(saving.point_reached(1005), None);
        assert_eq!(
            saving.point_reached(1011),
            None,
            "one change: only the 100 s point could"
        );
        saving.changed(1);
        assert_eq!(saving.point_reached(1010), None, "more than 10 s must have passed");
        assert_eq!(saving.point_reached(1011), Some((10, 2)));
        saving.saved(1011);
        assert_eq!((saving.changes(), saving.point_reached(2000)), (0, None));
        saving.changed(1);
        assert_eq!(saving.point_reached(1112), Some((100, 1)));
    }

    #[test]
    fn a_background_save_takes_off_only_what_it_saved() {
        let dir = std::env::temp_dir().join(format!("embedis-saving-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut saving = Saving::default();
        saving.changed(5);
        assert!(saving.background.start(dir.join("dump.rdb"), b"file".to_vec()));
        saving.background_started(100);
        saving.changed(3);
        while saving.background.in_progress() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(saving.changes(), 3, "the 5 changes before it started are saved");
        assert!(saving.last_save(0) > 0);

        // One abandoned (FLUSHALL saved in its place) counts as no save.
        saving.saved(200);
        saving.changed(2);
        assert!(saving.background.start(dir.join("dump.rdb"), b"old".to_vec()));
        saving.background_started(300);
        saving.background.abandon();
        while saving.background.in_progress() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let kept = std::fs::read(dir.join("dump.rdb")).unwrap();
        assert!(kept == b"file" || kept == b"old", "written whole or not at all");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
