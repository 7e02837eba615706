//! The append-only file, as Redis 7.0 keeps it (`appendonly yes`): a directory (`appenddirname`)
//! holding a base file — an RDB file of the data when the AOF began, or with
//! `aof-use-rdb-preamble no` the commands that rebuild it — and an incremental file
//! that every write is appended to, in its replay form (the effects record's `replay`, in RESP,
//! with SELECT where the database changes and MULTI … EXEC around a unit that wrote more than one
//! command), and a manifest naming them:
//!
//! ```text
//! file appendonly.aof.1.base.rdb seq 1 type b
//! file appendonly.aof.1.incr.aof seq 1 type i
//! ```
//!
//! At start the base is loaded, then each incremental file's commands are run again; a store
//! without a manifest starts empty and writes its base. `appendfsync` decides when what was
//! appended reaches the disk: `always` before the command's reply, `everysec` within a second
//! (a thread syncs), `no` when the system writes it back.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::argv::Argv;
use crate::keyspace::FileFormat;
use crate::keyspace::effects::Replayed;

/// `appendfsync`: when appended writes are synced to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// After every write, before the command's reply is sent.
    Always,
    /// Once a second, by a thread of its own (Redis's default).
    EverySec,
    /// When the operating system writes its buffers back.
    No,
}

impl Fsync {
    /// The policy named as redis.conf names it (`always`, `everysec`, `no`, any case).
    ///
    /// ```
    /// use embedis::Fsync;
    /// assert_eq!(Fsync::parse("EverySec"), Some(Fsync::EverySec));
    /// assert_eq!(Fsync::parse("sometimes"), None);
    /// ```
    pub fn parse(name: &str) -> Option<Fsync> {
        match name.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }

    /// The name CONFIG GET shows.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// Where the AOF lives: `dir/appenddirname`, its files named after `appendfilename`.
#[derive(Debug, Clone)]
pub(crate) struct Location {
    pub(crate) dir: PathBuf,
    pub(crate) filename: String,
}

impl Location {
    fn manifest_name(&self) -> String {
        format!("{}.manifest", self.filename)
    }

    /// The name of base file `seq`: `<filename>.<seq>.base.rdb` for an RDB file,
    /// `….base.aof` for one of commands (`aof-use-rdb-preamble no`), as Redis names them.
    fn base_name(&self, seq: u64, rdb: bool) -> String {
        let suffix = if rdb { "rdb" } else { "aof" };
        format!("{}.{seq}.base.{suffix}", self.filename)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// The kind of a file the manifest names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileType {
    Base,
    History,
    Incr,
}

/// One file of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ManifestFile {
    name: String,
    seq: u64,
    kind: FileType,
}

/// The manifest: the base, the incremental files in order, and the files a rewrite left behind
/// (history, to delete).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    base: Option<ManifestFile>,
    incrs: Vec<ManifestFile>,
    history: Vec<ManifestFile>,
}

/// Why an AOF could not be opened or loaded: Redis's log line.
#[derive(Debug)]
pub(crate) struct AofError(pub(crate) String);

impl std::fmt::Display for AofError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<AofError> for io::Error {
    fn from(e: AofError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e.0)
    }
}

impl Manifest {
    /// Reads a manifest as Redis's `aofLoadManifestFromFile` does: lines of `key value` pairs
    /// (`file`, `seq`, `type`), `#` comments; at most one base.
    fn parse(text: &str) -> Result<Manifest, AofError> {
        let invalid = || AofError("Invalid AOF manifest file format".into());
        let mut manifest = Manifest::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() % 2 == 1 {
                return Err(invalid());
            }
            let (mut name, mut seq, mut kind) = (None, None, None);
            for pair in words.chunks(2) {
                match pair[0] {
                    "file" => name = Some(pair[1].to_string()),
                    "seq" => seq = pair[1].parse::<u64>().ok(),
                    "type" => {
                        kind = match pair[1] {
                            "b" => Some(FileType::Base),
                            "h" => Some(FileType::History),
                            "i" => Some(FileType::Incr),
                            _ => None,
                        }
                    }
                    _ => {}
                }
            }
            let (Some(name), Some(seq), Some(kind)) = (name, seq, kind) else {
                return Err(invalid());
            };
            let file = ManifestFile { name, seq, kind };
            match kind {
                FileType::Base if manifest.base.is_some() => {
                    return Err(AofError("Found duplicate base file information".into()));
                }
                FileType::Base => manifest.base = Some(file),
                FileType::History => manifest.history.push(file),
                FileType::Incr => manifest.incrs.push(file),
            }
        }
        Ok(manifest)
    }

    /// The manifest's text, as Redis writes it.
    fn text(&self) -> String {
        let kind = |kind| match kind {
            FileType::Base => "b",
            FileType::History => "h",
            FileType::Incr => "i",
        };
        self.base
            .iter()
            .chain(&self.history)
            .chain(&self.incrs)
            .map(|f| format!("file {} seq {} type {}\n", f.name, f.seq, kind(f.kind)))
            .collect()
    }
}

/// What an AOF load runs: each command line of the files, in order; and what a new AOF's base
/// holds.
pub(crate) trait Replayer {
    /// Loads a base file in RDB format.
    fn load_rdb(&mut self, file: &[u8]) -> Result<(), String>;
    /// Runs one command; the error is Redis's reason to stop loading.
    fn run(&mut self, argv: Argv) -> Result<(), String>;
    /// The data as it is, as a base file (an RDB file, or commands with
    /// `aof-use-rdb-preamble no`).
    fn base(&mut self) -> Vec<u8>;
}

/// What a load found at an incremental file's end.
#[derive(Debug, PartialEq, Eq)]
enum Tail {
    /// It ends after a whole command.
    Whole,
    /// Its last command is cut off (or a MULTI lacks its EXEC) from this offset on.
    Truncated(usize),
}

/// The AOF of a store: the files, the policy and what is appended.
pub(crate) struct Aof {
    location: Location,
    manifest: Manifest,
    file: File,
    fsync: Fsync,
    /// The database the file's commands are in (a SELECT is appended on a change).
    selected_db: Option<usize>,
    /// Appended since the everysec thread last synced.
    unsynced: Arc<AtomicBool>,
    /// Whether the last append failed (INFO's `aof_last_write_status:err`).
    pub(crate) write_failed: bool,
    /// The files' size when they were opened or last rewritten (Redis's
    /// `aof_rewrite_base_size`), from which `auto-aof-rewrite-percentage` counts growth.
    growth_base: u64,
    /// `aof-timestamp-enabled`: a `#TS:<unix time>` annotation goes before the first write of
    /// each second (Redis's `genAofTimestampAnnotationIfNeeded`).
    pub(crate) timestamps: bool,
    /// The second of the last annotation written.
    last_timestamp: u64,
}

impl std::fmt::Debug for Aof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aof")
            .field("dir", &self.location.dir)
            .field("fsync", &self.fsync)
            .finish_non_exhaustive()
    }
}

impl Manifest {
    /// Reads the manifest in `location` (an empty one if there is none yet).
    pub(crate) fn read(location: &Location) -> Result<Manifest, AofError> {
        let path = location.path(&location.manifest_name());
        match std::fs::read_to_string(&path) {
            Ok(text) => Manifest::parse(&text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(AofError(format!("Can't open the AOF manifest {}: {e}", path.display()))),
        }
    }
}

/// Opens the AOF in `location`, as Redis does at start: loads it through `replayer` when its
/// manifest exists (the base, then each incremental file), else creates it — the base from the
/// data as it is, an empty incremental file, the manifest. With `load_truncated`
/// (`aof-load-truncated`), a last command cut off is dropped rather than refusing to start. The
/// error is Redis's reason.
pub(crate) fn open(
    location: Location,
    fsync: Fsync,
    load_truncated: bool,
    replayer: &mut dyn Replayer,
) -> Result<Aof, AofError> {
    create_dir(&location)?;
    upgrade_single_file(&location)?;
    let mut manifest = Manifest::read(&location)?;
    load(&location, &manifest, load_truncated, replayer)?;
    if manifest.base.is_none() && manifest.incrs.is_empty() {
        return rewrite(location, manifest, &replayer.base(), fsync);
    }
    if manifest.incrs.is_empty() {
        let seq = 1;
        manifest.incrs.push(ManifestFile {
            name: format!("{}.{seq}.incr.aof", location.filename),
            seq,
            kind: FileType::Incr,
        });
    }
    attach(location, manifest, fsync)
}

/// Redis's `aofUpgradePrepare`: an AOF of the single-file layout of Redis before 7.0
/// (`<dir>/<appendfilename>`), found where the AOF directory has no manifest yet, is moved into
/// the directory as its base (named as it was), with a manifest naming it; it then loads and is
/// appended to as Redis 7.0 does after its upgrade.
fn upgrade_single_file(location: &Location) -> Result<(), AofError> {
    let Some(parent) = location.dir.parent() else {
        return Ok(());
    };
    let old = parent.join(&location.filename);
    if location.path(&location.manifest_name()).exists() || !old.is_file() {
        return Ok(());
    }
    std::fs::rename(&old, location.path(&location.filename)).map_err(|e| {
        AofError(format!(
            "Error moving the old AOF file {} into the AOF directory: {e}",
            old.display()
        ))
    })?;
    let manifest = Manifest {
        base: Some(ManifestFile {
            name: location.filename.clone(),
            seq: 1,
            kind: FileType::Base,
        }),
        incrs: Vec::new(),
        history: Vec::new(),
    };
    persist_manifest(location, &manifest)
}

fn create_dir(location: &Location) -> Result<(), AofError> {
    std::fs::create_dir_all(&location.dir).map_err(|e| {
        AofError(format!(
            "Can't open or create append-only dir {}: {e}",
            location.dir.display()
        ))
    })
}

/// Whether a base file is in RDB format (else it is commands).
fn is_rdb(file: &[u8]) -> bool {
    file.starts_with(b"REDIS")
}

/// Whether a base of `format` is an RDB file.
fn is_rdb_format(format: FileFormat) -> bool {
    !matches!(format, FileFormat::AofBaseCommands { .. })
}

/// Opens the manifest's last incremental file for appending and persists the manifest.
fn attach(location: Location, manifest: Manifest, fsync: Fsync) -> Result<Aof, AofError> {
    let last = manifest.incrs.last().map(|f| f.name.clone()).unwrap_or_default();
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(location.path(&last))
        .map_err(|e| AofError(format!("Can't open the append-only file {last}: {e}")))?;
    persist_manifest(&location, &manifest)?;
    let mut aof = Aof::appending(location, manifest, file, fsync);
    aof.growth_base = aof.sizes().1;
    Ok(aof)
}

fn persist_manifest(location: &Location, manifest: &Manifest) -> Result<(), AofError> {
    write_file(&location.path(&location.manifest_name()), manifest.text().as_bytes())
        .map_err(|e| AofError(format!("Can't persist the AOF manifest: {e}")))
}

/// Opens a new incremental file `name` for appending, empty (a file of that name a rewrite
/// abandoned earlier left behind starts again).
fn open_new_incr(location: &Location, name: &str) -> Result<File, AofError> {
    OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .open(location.path(name))
        .map_err(|e| AofError(format!("Can't open the append-only file {name}: {e}")))
}

/// CONFIG SET appendonly yes, in the background (Redis's `AOF_WAIT_REWRITE`): writes from now
/// on go to a new incremental file, while the manifest on disk stays `old`'s until the rewrite
/// the answer's [`Rewrite`] ends ([`Aof::finish_rewrite`]) names the new base and that file.
pub(crate) fn start_pending(
    location: Location,
    old: Manifest,
    fsync: Fsync,
    base_format: FileFormat,
) -> Result<(Aof, Rewrite), AofError> {
    create_dir(&location)?;
    let incr_seq = old.incrs.iter().map(|f| f.seq).max().unwrap_or(0) + 1;
    let name = format!("{}.{incr_seq}.incr.aof", location.filename);
    let file = open_new_incr(&location, &name)?;
    let base_seq = old.base.as_ref().map_or(0, |b| b.seq) + 1;
    let rewrite = Rewrite {
        location: location.clone(),
        base_name: location.base_name(base_seq, is_rdb_format(base_format)),
        base_seq,
        first_incr: incr_seq,
        replaced: old,
    };
    let manifest = Manifest {
        base: None,
        incrs: vec![ManifestFile {
            name,
            seq: incr_seq,
            kind: FileType::Incr,
        }],
        history: Vec::new(),
    };
    Ok((Aof::appending(location, manifest, file, fsync), rewrite))
}

/// A rewrite (BGREWRITEAOF, CONFIG SET appendonly yes, a new AOF): `base` becomes the next base
/// file and an empty incremental file the next one to append to; the manifest names only them,
/// and the files it named before are deleted, as Redis's rewrite leaves the directory.
pub(crate) fn rewrite(location: Location, old: Manifest, base: &[u8], fsync: Fsync) -> Result<Aof, AofError> {
    create_dir(&location)?;
    let base_seq = old.base.as_ref().map_or(0, |b| b.seq) + 1;
    let incr_seq = old.incrs.iter().map(|f| f.seq).max().unwrap_or(0) + 1;
    let base_name = location.base_name(base_seq, is_rdb(base));
    write_file(&location.path(&base_name), base)
        .map_err(|e| AofError(format!("Can't write the AOF base file {base_name}: {e}")))?;
    let manifest = Manifest {
        base: Some(ManifestFile {
            name: base_name,
            seq: base_seq,
            kind: FileType::Base,
        }),
        incrs: vec![ManifestFile {
            name: format!("{}.{incr_seq}.incr.aof", location.filename),
            seq: incr_seq,
            kind: FileType::Incr,
        }],
        history: Vec::new(),
    };
    let aof = attach(location, manifest, fsync)?;
    aof.delete_files_of(&old);
    Ok(aof)
}

/// A rewrite while no AOF is kept (BGREWRITEAOF with `appendonly no`) begins: its base, of
/// `base_format`, is to replace the AOF in `location`, alone ([`Rewrite::finish_alone`]).
pub(crate) fn begin_base_only(location: Location, base_format: FileFormat) -> Result<Rewrite, AofError> {
    create_dir(&location)?;
    let old = Manifest::read(&location)?;
    let base_seq = old.base.as_ref().map_or(0, |b| b.seq) + 1;
    Ok(Rewrite {
        base_name: location.base_name(base_seq, is_rdb_format(base_format)),
        location,
        base_seq,
        first_incr: u64::MAX,
        replaced: old,
    })
}

/// Loads the AOF in `location` through `replayer` as it is on disk (DEBUG LOADAOF).
pub(crate) fn load_from_disk(
    location: &Location,
    load_truncated: bool,
    replayer: &mut dyn Replayer,
) -> Result<(), AofError> {
    load(location, &Manifest::read(location)?, load_truncated, replayer)
}

/// Loads the base and the incremental files `manifest` names. Only the last incremental file
/// may end cut off, and then only with `load_truncated` (the file is cut back to its last whole
/// command, as Redis does).
fn load(
    location: &Location,
    manifest: &Manifest,
    load_truncated: bool,
    replayer: &mut dyn Replayer,
) -> Result<(), AofError> {
    let files: Vec<&ManifestFile> = manifest.base.iter().chain(&manifest.incrs).collect();
    for (i, file) in files.iter().enumerate() {
        let path = location.path(&file.name);
        let bytes = std::fs::read(&path).map_err(|e| {
            AofError(format!(
                "The AOF file {} doesn't exist or can't be opened: {e}",
                file.name
            ))
        })?;
        if is_rdb(&bytes) {
            let end = replayer.load_rdb(&bytes).map_err(|why| {
                AofError(format!(
                    "Error reading the RDB preamble of the AOF file {}, AOF loading aborted: {why}",
                    file.name
                ))
            });
            end?;
            continue;
        }
        match replay_commands(&bytes, &file.name, replayer)? {
            Tail::Whole => {}
            Tail::Truncated(at) if load_truncated && i + 1 == files.len() => {
                // Redis's `aof-load-truncated yes`: the cut-off end goes.
                let cut = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(at as u64));
                cut.map_err(|e| AofError(format!("Error truncating the AOF file {}: {e}", file.name)))?;
            }
            Tail::Truncated(_) => {
                return Err(AofError(format!(
                    "Unexpected end of file reading the append only file {}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.",
                    file.name
                )));
            }
        }
    }
    Ok(())
}

/// Runs the commands of an AOF file; a MULTI whose EXEC is missing at the end counts as cut off
/// from the MULTI on (its commands, queued, never run).
fn replay_commands(bytes: &[u8], name: &str, replayer: &mut dyn Replayer) -> Result<Tail, AofError> {
    let bad_format = || {
        AofError(format!(
            "Bad file format reading the append only file {name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
        ))
    };
    let mut at = 0;
    let mut multi_at = None;
    while at < bytes.len() {
        // Annotations (`#TS:…`) are skipped.
        if bytes[at] == b'#' {
            match find_crlf(bytes, at) {
                Some(end) => {
                    at = end + 2;
                    continue;
                }
                None => return Ok(Tail::Truncated(multi_at.unwrap_or(at))),
            }
        }
        let start = at;
        let argv = match read_command(bytes, &mut at) {
            Ok(argv) => argv,
            Err(Cut::Short) => return Ok(Tail::Truncated(multi_at.unwrap_or(start))),
            Err(Cut::Bad) => return Err(bad_format()),
        };
        if argv.arg(0).eq_ignore_ascii_case(b"multi") {
            multi_at = Some(start);
        } else if argv.arg(0).eq_ignore_ascii_case(b"exec") {
            multi_at = None;
        }
        replayer.run(argv).map_err(AofError)?;
    }
    Ok(match multi_at {
        Some(at) => Tail::Truncated(at),
        None => Tail::Whole,
    })
}

/// Why a command could not be read.
pub(crate) enum Cut {
    /// The file ends inside it.
    Short,
    /// It is not a RESP array of bulk strings.
    Bad,
}

fn find_crlf(bytes: &[u8], from: usize) -> Option<usize> {
    bytes[from..].windows(2).position(|w| w == b"\r\n").map(|i| from + i)
}

/// A number line (`*3\r\n`, `$5\r\n`) after its `prefix`.
fn read_number(bytes: &[u8], at: &mut usize, prefix: u8) -> Result<usize, Cut> {
    if *at >= bytes.len() {
        return Err(Cut::Short);
    }
    if bytes[*at] != prefix {
        return Err(Cut::Bad);
    }
    let end = find_crlf(bytes, *at).ok_or(Cut::Short)?;
    let n = std::str::from_utf8(&bytes[*at + 1..end])
        .ok()
        .and_then(|digits| digits.parse::<usize>().ok())
        .ok_or(Cut::Bad)?;
    *at = end + 2;
    Ok(n)
}

/// One command: `*<n>` then n bulk strings.
pub(crate) fn read_command(bytes: &[u8], at: &mut usize) -> Result<Argv, Cut> {
    let count = read_number(bytes, at, b'*')?;
    if count == 0 {
        return Err(Cut::Bad);
    }
    let mut argv = Argv::new();
    for _ in 0..count {
        let len = read_number(bytes, at, b'$')?;
        if bytes.len() < *at + len + 2 {
            return Err(Cut::Short);
        }
        if &bytes[*at + len..*at + len + 2] != b"\r\n" {
            return Err(Cut::Bad);
        }
        argv.push(&bytes[*at..*at + len]);
        *at += len + 2;
    }
    Ok(argv)
}

/// Writes `bytes` to `path` whole or not at all: a temporary file, synced, renamed over it.
fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let temporary = path.with_extension("tmp-embedis");
    let written = (|| {
        let mut out = File::create(&temporary)?;
        out.write_all(bytes)?;
        out.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// `argv` in RESP, as the AOF holds it.
pub(crate) fn encode(argv: &Argv, out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", argv.len()).as_bytes());
    for arg in argv.iter() {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

impl Aof {
    /// The AOF `manifest` describes, appending to `file` (its last incremental file), synced as
    /// `fsync` says (with `everysec`, its syncing thread started).
    fn appending(location: Location, manifest: Manifest, file: File, fsync: Fsync) -> Aof {
        let aof = Aof {
            location,
            manifest,
            file,
            fsync,
            selected_db: None,
            unsynced: Arc::new(AtomicBool::new(false)),
            write_failed: false,
            growth_base: 0,
            timestamps: false,
            last_timestamp: 0,
        };
        if aof.fsync == Fsync::EverySec {
            aof.sync_every_second();
        }
        aof
    }

    /// Appends the replay form of one unit (a command, a transaction, a script, …): with
    /// `wrap`, several commands go inside MULTI … EXEC, the MULTI in the first one's database
    /// and the EXEC in the last one's, as Redis's `propagatePendingCommands` does. Synced now
    /// with `appendfsync always`.
    pub(crate) fn append(&mut self, unit: &[Replayed], wrap: bool) {
        if unit.is_empty() {
            return;
        }
        let mut out = Vec::new();
        if self.timestamps {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs());
            if now > self.last_timestamp {
                self.last_timestamp = now;
                out.extend_from_slice(format!("#TS:{now}\r\n").as_bytes());
            }
        }
        for line in crate::keyspace::effects::stream_lines(unit, wrap, &mut self.selected_db) {
            encode(&line, &mut out);
        }
        let written = self.file.write_all(&out).and_then(|()| match self.fsync {
            Fsync::Always => self.file.sync_data(),
            Fsync::EverySec => {
                self.unsynced.store(true, Ordering::Release);
                Ok(())
            }
            Fsync::No => Ok(()),
        });
        self.write_failed = written.is_err();
    }

    /// `appendfsync everysec`: a thread syncs what was appended, once a second, until the file
    /// is closed (the thread holds a handle of its own and ends when it is the last one).
    fn sync_every_second(&self) {
        let Ok(file) = self.file.try_clone() else {
            return;
        };
        let unsynced = Arc::clone(&self.unsynced);
        let _ = std::thread::Builder::new()
            .name("embedis-aof-fsync".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    if Arc::strong_count(&unsynced) == 1 {
                        let _ = file.sync_data();
                        return;
                    }
                    if unsynced.swap(false, Ordering::AcqRel) {
                        let _ = file.sync_data();
                    }
                }
            });
    }

    /// A rewrite in the background begins (Redis 7.0's `openNewIncrAofForAppend`): what is
    /// appended from now on goes to a new incremental file, which the manifest names after the
    /// others; the base that [`Aof::finish_rewrite`] installs replaces the files before it.
    pub(crate) fn begin_rewrite(&mut self, base_format: FileFormat) -> Result<Rewrite, AofError> {
        let incr_seq = self.manifest.incrs.iter().map(|f| f.seq).max().unwrap_or(0) + 1;
        let name = format!("{}.{incr_seq}.incr.aof", self.location.filename);
        let file = open_new_incr(&self.location, &name)?;
        let replaced = self.manifest.clone();
        self.manifest.incrs.push(ManifestFile {
            name,
            seq: incr_seq,
            kind: FileType::Incr,
        });
        persist_manifest(&self.location, &self.manifest)?;
        let _ = self.file.sync_data();
        self.file = file;
        self.selected_db = None;
        // The everysec thread of the old file syncs it a last time and ends; a new one follows
        // the new file.
        self.unsynced = Arc::new(AtomicBool::new(false));
        if self.fsync == Fsync::EverySec {
            self.sync_every_second();
        }
        let base_seq = replaced.base.as_ref().map_or(0, |b| b.seq) + 1;
        Ok(Rewrite {
            location: self.location.clone(),
            base_name: self.location.base_name(base_seq, is_rdb_format(base_format)),
            base_seq,
            first_incr: incr_seq,
            replaced,
        })
    }

    /// Ends the rewrite `rewrite` began, its base file written ([`Rewrite::write_base`]): the
    /// manifest names the new base and the incremental files from the rewrite's start on, and
    /// the files they replace are deleted. A rewrite of another AOF (turned off and on since)
    /// changes nothing.
    pub(crate) fn finish_rewrite(&mut self, rewrite: Rewrite) -> Result<(), AofError> {
        if self.location.dir != rewrite.location.dir || self.location.filename != rewrite.location.filename {
            let _ = std::fs::remove_file(rewrite.location.path(&rewrite.base_name));
            return Ok(());
        }
        self.manifest.base = Some(ManifestFile {
            name: rewrite.base_name,
            seq: rewrite.base_seq,
            kind: FileType::Base,
        });
        self.manifest.incrs.retain(|f| f.seq >= rewrite.first_incr);
        persist_manifest(&self.location, &self.manifest)?;
        self.delete_files_of(&rewrite.replaced);
        self.growth_base = self.sizes().1;
        Ok(())
    }

    /// Deletes the files `old` named that this AOF no longer does.
    fn delete_files_of(&self, old: &Manifest) {
        let kept: Vec<&str> = self
            .manifest
            .base
            .iter()
            .chain(&self.manifest.incrs)
            .map(|f| f.name.as_str())
            .collect();
        for file in old.base.iter().chain(&old.incrs).chain(&old.history) {
            if !kept.contains(&file.name.as_str()) {
                let _ = std::fs::remove_file(self.location.path(&file.name));
            }
        }
    }

    /// Syncs what was appended to the disk.
    pub(crate) fn flush(&self) {
        let _ = self.file.sync_data();
    }

    /// `appendfsync` from now on.
    pub(crate) fn set_fsync(&mut self, fsync: Fsync) {
        if fsync == Fsync::EverySec && self.fsync != Fsync::EverySec {
            self.sync_every_second();
        }
        self.fsync = fsync;
    }

    /// The size of the files in bytes: the base's and all of them (INFO's `aof_base_size`,
    /// `aof_current_size`).
    /// Whether the files grew enough for an automatic rewrite (Redis's `serverCron`): past
    /// `rewrite.min_size` bytes and by at least `rewrite.percentage` percent since they were
    /// opened or last rewritten (a percentage of 0 turns it off).
    pub(crate) fn rewrite_due(&self, rewrite: AutoRewrite) -> bool {
        if rewrite.percentage == 0 {
            return false;
        }
        let current = self.sizes().1;
        let growth = (current * 100 / self.growth_base.max(1)) as i128 - 100;
        current > rewrite.min_size && growth >= i128::from(rewrite.percentage)
    }

    pub(crate) fn sizes(&self) -> (u64, u64) {
        let size = |f: &ManifestFile| std::fs::metadata(self.location.path(&f.name)).map_or(0, |m| m.len());
        let base = self.manifest.base.as_ref().map_or(0, size);
        (base, base + self.manifest.incrs.iter().map(size).sum::<u64>())
    }
}

/// A rewrite of the AOF in progress ([`Aof::begin_rewrite`]): where its base goes, and what it
/// replaces.
#[derive(Debug)]
pub(crate) struct Rewrite {
    location: Location,
    base_name: String,
    base_seq: u64,
    /// The incremental file opened when it began: those from it on stay.
    first_incr: u64,
    /// The manifest before it began: its files go once the new base is in place.
    replaced: Manifest,
}

impl Rewrite {
    /// Writes the new base file (whole, synced, or not at all), away from the store's lock.
    pub(crate) fn write_base(&self, base: &[u8]) -> Result<(), AofError> {
        write_file(&self.location.path(&self.base_name), base)
            .map_err(|e| AofError(format!("Can't write the AOF base file {}: {e}", self.base_name)))
    }

    /// Ends a rewrite while no AOF is kept ([`begin_base_only`]), its base written: the manifest
    /// names the base alone, as Redis writes it, and the files it named before are deleted.
    pub(crate) fn finish_alone(self) -> Result<(), AofError> {
        let manifest = Manifest {
            base: Some(ManifestFile {
                name: self.base_name.clone(),
                seq: self.base_seq,
                kind: FileType::Base,
            }),
            incrs: Vec::new(),
            history: Vec::new(),
        };
        persist_manifest(&self.location, &manifest)?;
        let old = &self.replaced;
        for file in old.base.iter().chain(&old.incrs).chain(&old.history) {
            if file.name != self.base_name {
                let _ = std::fs::remove_file(self.location.path(&file.name));
            }
        }
        Ok(())
    }
}

/// `auto-aof-rewrite-percentage` and `auto-aof-rewrite-min-size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AutoRewrite {
    pub(crate) percentage: u64,
    pub(crate) min_size: u64,
}

impl Default for AutoRewrite {
    /// Redis's defaults: 100% growth, above 64 MiB.
    fn default() -> AutoRewrite {
        AutoRewrite {
            percentage: 100,
            min_size: 64 << 20,
        }
    }
}

impl Drop for Aof {
    fn drop(&mut self) {
        let _ = self.file.sync_data();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_read_and_write_as_redis_writes_them() {
        let text = "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n";
        let manifest = Manifest::parse(text).unwrap();
        assert_eq!(manifest.text(), text);
        assert_eq!(manifest.incrs.len(), 1);
        assert!(Manifest::parse("file x seq 1").is_err());
        assert!(Manifest::parse("file a seq 1 type b\nfile b seq 2 type b\n").is_err());
        assert_eq!(
            Manifest::parse("# comment\n\nseq 2 type i file x.incr.aof\n")
                .unwrap()
                .incrs[0]
                .name,
            "x.incr.aof"
        );
    }

    struct Collect(Vec<Argv>);

    impl Replayer for Collect {
        fn load_rdb(&mut self, _file: &[u8]) -> Result<(), String> {
            Ok(())
        }
        fn run(&mut self, argv: Argv) -> Result<(), String> {
            self.0.push(argv);
            Ok(())
        }
        fn base(&mut self) -> Vec<u8> {
            Vec::new()
        }
    }

    #[test]
    fn commands_are_read_back_and_a_cut_end_is_found() {
        let mut file = Vec::new();
        encode(&Argv::from_args(("SET", "k", "v")), &mut file);
        file.extend_from_slice(b"#TS:1700000000\r\n");
        encode(&Argv::from_args(("INCR", "n")), &mut file);
        let whole = file.len();
        let mut collected = Collect(Vec::new());
        assert_eq!(replay_commands(&file, "f", &mut collected).ok(), Some(Tail::Whole));
        assert_eq!(collected.0.len(), 2);

        encode(&Argv::from_args("MULTI"), &mut file);
        encode(&Argv::from_args(("INCR", "n")), &mut file);
        let mut collected = Collect(Vec::new());
        assert_eq!(
            replay_commands(&file, "f", &mut collected).ok(),
            Some(Tail::Truncated(whole)),
            "a MULTI without EXEC is cut from the MULTI"
        );
        let cut = &file[..file.len() - 3];
        assert_eq!(
            replay_commands(cut, "f", &mut Collect(Vec::new())).ok(),
            Some(Tail::Truncated(whole))
        );
        assert!(replay_commands(b"*1\r\n+OK\r\n", "f", &mut Collect(Vec::new())).is_err());
    }
}
