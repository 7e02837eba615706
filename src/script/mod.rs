//! Lua scripting as Redis runs it (feature `lua`): EVAL, EVALSHA and the script cache, on a vendored
//! Lua 5.1, the version Redis embeds.
//!
//! A script runs under the keyspace lock, with time frozen, blocking commands answering at once,
//! and no rollback: writes made before an error stay. Its `redis.call` goes through the same command
//! table and handlers as every other caller. The globals are read-only with Redis's error texts,
//! and values convert between Lua and replies as `docs/behaviour.md` §3 describes.
//!
//! A script that runs long holds the lock, and others wait; past `busy-reply-threshold` they are
//! refused with BUSY instead, and SCRIPT KILL or FUNCTION KILL from any thread ends a script
//! that has not written (`crate::watchdog`; a Lua hook reports to it every
//! [`HOOK_INSTRUCTIONS`] instructions).
//!
//! This module and `command` import each other, the one circle between the crate's top modules,
//! kept on purpose: EVAL and FCALL are commands that run scripts (`command::scripting` calls in
//! here), and a script's `redis.call` runs commands (this module calls `Ctx::run`), as in Redis.
//! The engines live beside the keyspace under the store's lock (`runner::State`), not in it.

mod convert;
pub(crate) mod functions;
mod handle;
pub(crate) mod payload;
pub(crate) mod random;
mod raw;
mod sandbox;

pub use handle::Script;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicU64, Ordering};

use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, VmState};

use crate::argv::Argv;
use crate::command::Ctx;
use crate::error::CommandError;
use crate::keyspace::Map;
use crate::reply::Reply;
use crate::watchdog::{HOOK_INSTRUCTIONS, RunningFunction, ScriptKind, Verdict, Watchdog};

use crate::REDIS_VERSION;
const REDIS_VERSION_NUM: i64 = 0x07_00_0f;

// Redis's Lua libraries, compiled from `src/script/c` by the build script.
unsafe extern "C-unwind" {
    fn luaopen_cjson(state: *mut mlua::lua_State) -> std::ffi::c_int;
    fn luaopen_struct(state: *mut mlua::lua_State) -> std::ffi::c_int;
    fn luaopen_cmsgpack(state: *mut mlua::lua_State) -> std::ffi::c_int;
    fn luaopen_bit(state: *mut mlua::lua_State) -> std::ffi::c_int;
    fn embedis_unpack(state: *mut mlua::lua_State) -> std::ffi::c_int;
}

/// Opens cjson, struct, cmsgpack and bit as Redis's `luaLoadLibraries` does (each sets its
/// global), and puts in Redis's checked `unpack`.
fn load_redis_libraries(lua: &Lua) -> mlua::Result<()> {
    let libraries: [(&str, mlua::lua_CFunction); 4] = [
        ("cjson", luaopen_cjson),
        ("struct", luaopen_struct),
        ("cmsgpack", luaopen_cmsgpack),
        ("bit", luaopen_bit),
    ];
    for (name, open) in libraries {
        // SAFETY: each is a plain `lua_CFunction` following the Lua 5.1 C API, built against the
        // headers of this very Lua.
        let open = unsafe { lua.create_c_function(open)? };
        open.call::<()>(name)?;
    }
    // SAFETY: as above; `src/script/c/lua_unpack.c` says why it replaces Lua's own.
    let unpack = unsafe { lua.create_c_function(embedis_unpack)? };
    lua.globals().set("unpack", unpack)?;
    Ok(())
}

/// A store's Lua engines, kept under its lock beside the keyspace, each made on first use: EVAL's
/// VM and script cache, and the function libraries with their VM. Both share the state of the
/// scripts' `math.random`, which outlives the VMs (SCRIPT FLUSH does not reset it).
pub(crate) struct Engines {
    pub(crate) scripts: Option<Box<ScriptEngine>>,
    pub(crate) functions: Option<Box<functions::FunctionEngine>>,
    pub(crate) random: Arc<AtomicU64>,
    /// The store's script watchdog, which every VM's hook reports to.
    pub(crate) watchdog: Arc<Watchdog>,
}

impl Engines {
    /// What INFO memory reports of the engines.
    #[cfg_attr(not(feature = "server"), allow(dead_code))]
    pub(crate) fn memory(&self) -> crate::command::ScriptsMemory {
        // A cached script's or a library's record beside its source: the SHA1 or name, the
        // map's entry and the compiled function's handle.
        const RECORD: usize = 40 + std::mem::size_of::<(String, Compiled)>();
        let mut memory = crate::command::ScriptsMemory::default();
        if let Some(engine) = &self.scripts {
            memory.eval_vm = engine.vm.heap_bytes();
            memory.cached_scripts = engine.scripts.len();
            memory.eval_scripts = engine.source_bytes + engine.scripts.len() * RECORD;
        }
        if let Some(engine) = &self.functions {
            memory.functions_vm = engine.vm_memory();
            memory.functions = engine.function_count();
            for library in engine.libraries() {
                memory.libraries += 1;
                memory.functions_overhead += library.code.len() + library.name.len() + RECORD;
                memory.functions_overhead += library.functions.len() * RECORD;
            }
        }
        memory
    }

    /// The code of every function library, in load order (what an RDB file keeps of them).
    pub(crate) fn library_codes(&self) -> Vec<Vec<u8>> {
        self.functions
            .as_ref()
            .map_or_else(Vec::new, |engine| engine.libraries().map(|l| l.code.clone()).collect())
    }

    /// Loads these function libraries (an RDB file's, as Redis loads them): in place of every
    /// library, over those of the same names, or beside them (an error if one exists), as
    /// `mode` says.
    pub(crate) fn load_libraries(
        &mut self,
        codes: &[Vec<u8>],
        mode: crate::persistence::LoadMode,
    ) -> Result<(), CommandError> {
        if codes.is_empty() && self.functions.is_none() {
            return Ok(());
        }
        let engine = match self.functions.take() {
            Some(engine) => engine,
            None => Box::new(functions::FunctionEngine::new(
                Arc::clone(&self.random),
                Arc::clone(&self.watchdog),
            )?),
        };
        let mut engine = engine;
        let policy = match mode {
            crate::persistence::LoadMode::Replace => functions::RestorePolicy::Flush,
            crate::persistence::LoadMode::Merge => functions::RestorePolicy::Replace,
            crate::persistence::LoadMode::Add => functions::RestorePolicy::Append,
        };
        let loaded = engine.restore(codes, policy);
        self.functions = Some(engine);
        loaded
    }

    /// How many EVAL scripts are cached (MEMORY DOCTOR warns past 1000).
    pub(crate) fn cached_scripts(&self) -> usize {
        self.scripts.as_ref().map_or(0, |engine| engine.scripts.len())
    }

    /// What the script or function EVAL, EVALSHA or FCALL (`argv`) would run declares (its
    /// shebang, or a function's flags), as Redis's `getCommandFlags` reads them; `None` for any
    /// other command, a script not in the cache or a function not loaded.
    fn declared(&self, argv: &crate::argv::Argv) -> Option<Declared> {
        let name = argv.arg(0);
        let target = argv.arg(1);
        if name.eq_ignore_ascii_case(b"eval") {
            return parse_shebang(target).ok();
        }
        if name.eq_ignore_ascii_case(b"evalsha") {
            let engine = self.scripts.as_ref()?;
            return engine
                .scripts
                .get(engine.find(target)?)
                .map(|compiled| compiled.declared);
        }
        if name.eq_ignore_ascii_case(b"fcall") {
            return self.functions.as_ref()?.declared(target);
        }
        None
    }

    /// Whether EVAL, EVALSHA or FCALL (`argv`) may write, for CLIENT PAUSE WRITE: unless what it
    /// runs declares `no-writes` (a script not in the cache, or a function not loaded, may).
    pub(crate) fn may_write(&self, argv: &crate::argv::Argv) -> bool {
        !self.declared(argv).is_some_and(|declared| declared.no_writes)
    }

    /// Whether EVAL, EVALSHA or FCALL (`argv`) is refused while the store is out of memory
    /// (Redis's `evalGetCommandFlags` then `denyoom`): see [`Declared::denies_out_of_memory`].
    pub(crate) fn denied_out_of_memory(&self, argv: &crate::argv::Argv) -> bool {
        self.declared(argv).is_some_and(Declared::denies_out_of_memory)
    }

    pub(crate) fn new(watchdog: &Arc<Watchdog>) -> Engines {
        Engines {
            scripts: None,
            functions: None,
            random: Arc::new(AtomicU64::new(random::INITIAL_STATE)),
            watchdog: Arc::clone(watchdog),
        }
    }
}

/// The lowercase hex SHA1 of `bytes`.
pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    sha1_smol::Sha1::from(bytes).digest().to_string()
}

/// A Lua VM set up as Redis sets up its own: the libraries, the `redis` API, the read-only globals
/// and the error handler. EVAL's scripts and the libraries of FUNCTION LOAD each have one, as in Redis.
pub(crate) struct Vm {
    lua: Lua,
    /// The environment scripts run in: the read-only view of the globals.
    env: Table,
    /// The invocation running now, which `redis.call`, `redis.pcall` and `redis.setresp` act on.
    running: Arc<Running>,
    /// `run(f, handler)`: `xpcall` of `f()` under `handler` (FUNCTION LOAD's library bodies).
    run: Function,
    /// Turns any error into Redis's error table with the script position.
    handler: Function,
    /// The C function through which a script or function runs (`raw::run_script`).
    runner: Function,
    /// Switches the environment between the globals and FUNCTION LOAD's restricted API.
    set_loading: Function,
    kind: VmKind,
}

/// The invocation a VM is running, for the Rust functions a script calls back into
/// (`redis.call`, `redis.pcall`, `redis.setresp`). They are created once with the VM; this is
/// how they reach the command context of the run in progress, without a new scoped closure (and
/// its allocations) per run.
#[derive(Debug)]
pub(super) struct Running {
    /// The running invocation's `Ctx`, set by [`Vm::invoke`] for exactly the duration of the run
    /// (a [`RunningGuard`] clears it), null between runs.
    ctx: AtomicPtr<()>,
    /// The running [`Invocation`], set and cleared with `ctx` (FUNCTION STATS reads its name and
    /// command once a function times out).
    invocation: AtomicPtr<()>,
    /// The store's watchdog: told when a run starts and ends, when it writes, and asked by the
    /// hook whether to go on.
    pub(super) watchdog: Arc<Watchdog>,
    /// A killed run's hook fires at every line instead of every [`HOOK_INSTRUCTIONS`]
    /// instructions: put back when the run ends.
    line_hook: AtomicBool,
    /// Whether the running invocation may not write (EVAL_RO, `no-writes`).
    read_only: AtomicBool,
    /// Whether its commands are checked against `maxmemory` ([`Invocation::checks_memory`]).
    pub(super) checks_memory: AtomicBool,
    /// The protocol of the script's commands and of its return value: 2 unless it called
    /// `redis.setresp(3)`.
    pub(super) resp: AtomicU8,
    /// In cluster mode, whether its commands may reach keys of different slots
    /// ([`Invocation::allow_cross_slot`]).
    pub(super) cross_slot: AtomicBool,
    /// In cluster mode, the slot its commands keep to: its declared keys', else the first key it
    /// reached ([`NO_SLOT`] until then).
    pub(super) slot: std::sync::atomic::AtomicU32,
}

/// [`Running::slot`] before the script has a slot.
pub(super) const NO_SLOT: u32 = u32::MAX;

impl Running {
    /// Runs `f` on the running invocation's context, or answers `None` between runs.
    pub(super) fn with_ctx<R>(&self, f: impl FnOnce(&mut Ctx<'_>, bool) -> R) -> Option<R> {
        let ptr = self.ctx.load(Ordering::Relaxed).cast::<Ctx<'_>>();
        if ptr.is_null() {
            return None;
        }
        // SAFETY: a non-null pointer was made by `Vm::invoke` from the `&mut Ctx` it was given,
        // which it does not touch again until its guard has cleared the pointer; the pointer is
        // only set while the script runs, on the thread running it (the VM is used under the
        // store's lock). No command a script may call runs a script in this VM (EVAL, FCALL and
        // FUNCTION are refused inside scripts), so this is the only reference in use.
        let ctx = unsafe { &mut *ptr };
        Some(f(ctx, self.read_only.load(Ordering::Relaxed)))
    }

    /// Whether a script is running.
    pub(super) fn is_running(&self) -> bool {
        !self.ctx.load(Ordering::Relaxed).is_null()
    }

    /// The hook, every [`HOOK_INSTRUCTIONS`] instructions: reports to the watchdog (which, past
    /// the threshold, lets the server answer its other clients) and, when the run must end,
    /// switches to raising the kill error at every line of the script.
    fn on_count(&self, lua: &Lua) -> mlua::Result<VmState> {
        if !self.is_running() {
            return Ok(VmState::Continue);
        }
        if self.watchdog.check(|| self.running_function()) == Verdict::Kill {
            // Raised at the next line of the script's own code rather than here, where the
            // hook may have caught the prelude or the error handler: and at every line after
            // it, so that a pcall in the script cannot swallow it.
            self.line_hook.store(true, Ordering::Relaxed);
            lua.set_hook(HookTriggers::EVERY_LINE, |_, debug| {
                let source = debug.source();
                if source.source.as_deref().is_some_and(|s| s.starts_with("@user_")) {
                    Err(convert::killed())
                } else {
                    Ok(VmState::Continue)
                }
            })?;
        }
        Ok(VmState::Continue)
    }

    /// What FUNCTION STATS shows of the running invocation, if it is a function.
    fn running_function(&self) -> Option<RunningFunction> {
        let ptr = self.invocation.load(Ordering::Relaxed).cast::<Invocation<'_>>();
        if ptr.is_null() {
            return None;
        }
        // SAFETY: set by `Vm::invoke_lua` from the invocation it runs, which outlives the run,
        // and cleared (by its guard) before the run returns; read only by this VM's hook, on the
        // thread running it, during the run.
        let run = unsafe { &*ptr };
        let (libraries, functions) = run.function_counts?;
        Some(RunningFunction {
            name: run.name.to_string(),
            command: run.command.iter().map(<[u8]>::to_vec).collect(),
            libraries,
            functions,
        })
    }
}

/// Clears [`Running::ctx`] and [`Running::invocation`] and tells the watchdog when the run ends,
/// however it ends.
struct RunningGuard<'a>(&'a Running);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.0.ctx.store(std::ptr::null_mut(), Ordering::Relaxed);
        self.0.invocation.store(std::ptr::null_mut(), Ordering::Relaxed);
        self.0.watchdog.finish();
    }
}

/// Installs the hook of [`Running::on_count`] (again, after FUNCTION LOAD's or a kill's).
fn install_count_hook(lua: &Lua, running: &Arc<Running>) -> mlua::Result<()> {
    let running = Arc::clone(running);
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS),
        move |lua, _| running.on_count(lua),
    )
}

/// One run of a script or function: what runs, what uncaught errors name it by (a script's SHA1,
/// a function's name), the command that ran it, its keys and arguments, and whether it may
/// write; for a function, the engine's library and function counts (FUNCTION STATS shows them).
#[derive(Clone, Copy)]
pub(crate) struct Invocation<'a> {
    pub(crate) function: &'a Function,
    pub(crate) name: &'a str,
    pub(crate) command: &'a Argv,
    pub(crate) function_counts: Option<(usize, usize)>,
    pub(crate) keys: &'a [&'a [u8]],
    pub(crate) args: &'a [&'a [u8]],
    pub(crate) read_only: bool,
    /// EVAL's compatibility mode (no shebang): out of memory, the script's first commands that
    /// could grow the store are refused one by one.
    pub(crate) checks_memory: bool,
    /// In cluster mode, whether its commands may reach keys of different slots: EVAL's
    /// compatibility mode, or the `allow-cross-slot-keys` flag.
    pub(crate) allow_cross_slot: bool,
}

/// A script with flags (a shebang, a function) that may write may not start while there are not
/// enough good replicas (`min-replicas-to-write`) nor on a read-only replica; one that does not
/// declare `allow-stale` may not start on a stale replica (Redis's `processCommand` and
/// `scriptPrepareForRun`).
fn may_start_with_replicas(ctx: &Ctx<'_>, declared: Declared) -> Result<(), CommandError> {
    match declared.present {
        true => ctx
            .ks
            .replication_refusal_with(|| !declared.no_writes, || declared.allow_stale)
            .map_or(Ok(()), Err),
        false => Ok(()),
    }
}

/// A script with flags (a shebang, a function) that is neither `no-writes` nor `allow-oom` may
/// not start while the store is out of memory (Redis's `scriptPrepareForRun`; a client's own
/// call is refused earlier, with the plain OOM error, unless EXEC runs it).
fn may_start_out_of_memory(ctx: &Ctx<'_>, declared: Declared) -> Result<(), CommandError> {
    if declared.denies_out_of_memory() && ctx.ks.out_of_memory() {
        return Err(CommandError::other(
            "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'",
        ));
    }
    Ok(())
}

/// A script with flags that declares `no-cluster` may not run in cluster mode (Redis's
/// `scriptPrepareForRun`, before its other checks).
fn may_start_in_cluster(ctx: &Ctx<'_>, declared: Declared) -> Result<(), CommandError> {
    if declared.no_cluster && ctx.ks.cluster.is_some() {
        return Err(CommandError::other(
            "ERR Can not run script on cluster, 'no-cluster' flag is set.",
        ));
    }
    Ok(())
}

/// What a VM runs: EVAL scripts or function libraries (their load-time API differs).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum VmKind {
    Eval,
    Functions,
}

/// The Lua VM of a keyspace's EVAL scripts and its script cache.
pub(crate) struct ScriptEngine {
    vm: Vm,
    /// Scripts by lowercase SHA1, with what their shebang declares.
    scripts: Map<String, Compiled>,
    /// The bytes of the cached scripts' sources (INFO's `used_memory_scripts_eval`).
    source_bytes: usize,
}

/// A cached script.
#[derive(Clone)]
struct Compiled {
    function: Function,
    /// What its `#!lua` line declares, if it has one.
    declared: Declared,
}

/// The flags a `#!lua flags=…` shebang or a registered function may declare, in Redis's order.
const SCRIPT_FLAGS: &[&str] = &[
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// What a script's `#!lua` line, or a function's flags, declare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Declared {
    /// Flags rule it (a shebang, a function), not EVAL's compatibility mode.
    present: bool,
    no_writes: bool,
    allow_oom: bool,
    allow_stale: bool,
    no_cluster: bool,
    allow_cross_slot: bool,
}

impl Declared {
    /// With flags that are neither `no-writes` nor `allow-oom`, it may not start while the store
    /// is out of memory; in compatibility mode its commands are checked one by one instead.
    fn denies_out_of_memory(self) -> bool {
        self.present && !self.no_writes && !self.allow_oom
    }
}

/// Redis's `evalExtractShebangFlags`: what the shebang declares, or the error for a bad one.
fn parse_shebang(body: &[u8]) -> Result<Declared, CommandError> {
    if !body.starts_with(b"#!") {
        return Ok(Declared::default());
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err(CommandError::other("ERR Invalid script shebang"));
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split(' ').filter(|p| !p.is_empty());
    let engine = parts.next().unwrap_or("#!");
    if engine != "#!lua" {
        return Err(CommandError::Other(
            format!("ERR Unexpected engine in script shebang: {engine}").into(),
        ));
    }
    let mut declared = Declared {
        present: true,
        ..Declared::default()
    };
    for option in parts {
        let Some(flags) = option.strip_prefix("flags=") else {
            return Err(CommandError::Other(
                format!("ERR Unknown lua shebang option: {option}").into(),
            ));
        };
        for flag in flags.split(',').filter(|f| !f.is_empty()) {
            if !SCRIPT_FLAGS.contains(&flag) {
                return Err(CommandError::Other(
                    format!("ERR Unexpected flag in script shebang: {flag}").into(),
                ));
            }
            declared.no_writes |= flag == "no-writes";
            declared.allow_oom |= flag == "allow-oom";
            declared.allow_stale |= flag == "allow-stale";
            declared.no_cluster |= flag == "no-cluster";
            declared.allow_cross_slot |= flag == "allow-cross-slot-keys";
        }
    }
    Ok(declared)
}

impl std::fmt::Debug for ScriptEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptEngine")
            .field("scripts", &self.scripts.len())
            .finish_non_exhaustive()
    }
}

impl Vm {
    /// A fresh VM with Redis's libraries, API and read-only globals; `random` is the state of
    /// `math.random`, shared by every VM and outliving them (SCRIPT FLUSH does not reset it in Redis).
    pub(crate) fn new(random: Arc<AtomicU64>, kind: VmKind, watchdog: Arc<Watchdog>) -> Result<Vm, CommandError> {
        Self::build(random, kind, watchdog)
            .map_err(|e| CommandError::Other(format!("ERR cannot start Lua: {e}").into()))
    }

    fn build(random: Arc<AtomicU64>, kind: VmKind, watchdog: Arc<Watchdog>) -> mlua::Result<Vm> {
        let lua = Lua::new_with(StdLib::TABLE | StdLib::STRING | StdLib::MATH, LuaOptions::default())?;
        load_redis_libraries(&lua)?;
        random::install(&lua, random)?;
        let globals = lua.globals();
        let redis = lua.create_table()?;
        redis.set("REDIS_VERSION", REDIS_VERSION)?;
        redis.set("REDIS_VERSION_NUM", REDIS_VERSION_NUM)?;
        for (i, name) in ["LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"]
            .iter()
            .enumerate()
        {
            redis.set(*name, i as i64)?;
        }
        for (name, value) in [
            ("REPL_NONE", 0),
            ("REPL_AOF", 1),
            ("REPL_SLAVE", 2),
            ("REPL_REPLICA", 2),
            ("REPL_ALL", 3),
        ] {
            redis.set(name, value)?;
        }
        redis.set("sha1hex", lua.create_function(convert::sha1hex)?)?;
        redis.set("error_reply", lua.create_function(convert::error_reply)?)?;
        redis.set("status_reply", lua.create_function(convert::status_reply)?)?;
        redis.set("log", lua.create_function(convert::log)?)?;
        let running = Arc::new(Running {
            ctx: AtomicPtr::default(),
            invocation: AtomicPtr::default(),
            watchdog,
            line_hook: AtomicBool::new(false),
            read_only: AtomicBool::new(false),
            checks_memory: AtomicBool::new(false),
            cross_slot: AtomicBool::new(true),
            slot: std::sync::atomic::AtomicU32::new(NO_SLOT),
            resp: AtomicU8::new(2),
        });
        install_count_hook(&lua, &running)?;
        let for_setresp = Arc::clone(&running);
        redis.set(
            "setresp",
            lua.create_function(move |_, args: MultiValue| convert::setresp(&for_setresp, args))?,
        )?;
        redis.set("set_repl", lua.create_function(|_, _: MultiValue| Ok(()))?)?;
        let for_acl = Arc::clone(&running);
        redis.set(
            "acl_check_cmd",
            lua.create_function(move |_, args: MultiValue| convert::acl_check_cmd(&for_acl, args))?,
        )?;
        redis.set("replicate_commands", lua.create_function(|_, _: MultiValue| Ok(true))?)?;
        // redis.call and the `call` behind redis.pcall are Rust functions, as Redis's are C ones
        // (a Lua wrapper would be tail-called and erase the caller's frame, which error replies
        // name). They act on the running invocation, or say that none runs.
        // Both are C closures (`raw`), with these mlua functions behind them for the cases
        // they leave to mlua.
        let for_call = Arc::clone(&running);
        let slow_call = lua.create_function(move |lua, args: MultiValue| {
            let (reply, failed) = convert::call_running(lua, &for_call, args)?;
            if failed { Err(convert::raise(&reply)) } else { Ok(reply) }
        })?;
        let raise =
            lua.create_function(|_, text: mlua::LuaString| Err::<(), _>(convert::raised(&text.to_string_lossy())))?;
        redis.set("call", raw::call_function(&lua, &running, slow_call, Some(raise))?)?;
        globals.set("redis", redis)?;
        let live = lua.create_table()?;
        let for_pcall = Arc::clone(&running);
        let slow_pcall =
            lua.create_function(move |lua, args: MultiValue| convert::call_running(lua, &for_pcall, args))?;
        live.set("call", raw::call_function(&lua, &running, slow_pcall, None)?)?;
        globals.set("__embedis_live", live)?;
        globals.set("__embedis_error_text", lua.create_function(convert::error_text)?)?;
        if kind == VmKind::Functions {
            globals.set("__embedis_register", lua.create_function(functions::register_function)?)?;
        }
        let (env, run, set_loading, sandbox): (Table, Function, Function, Table) = lua
            .load(include_str!("prelude.lua"))
            .set_name("=embedis")
            .call(kind == VmKind::Functions)?;
        sandbox::install(&lua, &globals, &sandbox)?;
        let handler = lua.create_function(convert::error_handler)?;
        // SAFETY: a `lua_CFunction` following the Lua 5.1 C API, called only by `raw::call_run`.
        let runner = unsafe { lua.create_c_function(raw::run_script)? };
        Ok(Vm {
            runner,
            lua,
            env,
            running,
            run,
            handler,
            set_loading,
            kind,
        })
    }

    /// Puts back the VM's own hook (after FUNCTION LOAD's, or a killed run's).
    fn restore_hook(&self) -> mlua::Result<()> {
        install_count_hook(&self.lua, &self.running)
    }

    /// The bytes Lua's heap holds, as Lua counts them (Redis's `used_memory_lua`: whole KiB).
    pub(crate) fn heap_bytes(&self) -> usize {
        let mut kib = 0;
        // SAFETY: `lua_gc` with LUA_GCCOUNT reads a counter; nothing is pushed.
        let counted = unsafe {
            self.lua.exec_raw::<()>((), |state| {
                kib = mlua::ffi::lua_gc(state, mlua::ffi::LUA_GCCOUNT, 0);
            })
        };
        if counted.is_err() {
            return 0;
        }
        usize::try_from(kib).unwrap_or(0) * 1024
    }

    /// Compiles `source` as a chunk named `name` in the scripts' environment.
    fn compile(&self, source: &[u8], name: &str) -> mlua::Result<Function> {
        self.lua
            .load(source)
            .set_name(name)
            .set_environment(self.env.clone())
            .into_function()
    }

    /// Runs `function` on `ctx` under the error handler: with KEYS and ARGV set as globals for a
    /// script, or given `(keys, args)` for a function. `name` is what uncaught errors name (the
    /// SHA1 of a script, a function's name).
    fn invoke(&self, ctx: &mut Ctx<'_>, run: &Invocation<'_>) -> Reply {
        self.invoke_lua(ctx, run)
            .unwrap_or_else(|e| Reply::Error(CommandError::Other(format!("ERR {}", convert::lua_message(&e)).into())))
    }

    fn invoke_lua(&self, ctx: &mut Ctx<'_>, run: &Invocation<'_>) -> mlua::Result<Reply> {
        let Invocation {
            function,
            name,
            keys,
            args,
            read_only,
            checks_memory,
            allow_cross_slot,
            ..
        } = *run;
        // Every script starts speaking RESP2, whatever its caller speaks.
        self.running.resp.store(2, Ordering::Relaxed);
        self.running.read_only.store(read_only, Ordering::Relaxed);
        self.running.checks_memory.store(checks_memory, Ordering::Relaxed);
        self.running.cross_slot.store(allow_cross_slot, Ordering::Relaxed);
        let slot = keys
            .first()
            .map_or(NO_SLOT, |key| u32::from(crate::cluster::key_slot(key)));
        self.running.slot.store(slot, Ordering::Relaxed);
        let results = {
            self.running.watchdog.start(match self.kind {
                VmKind::Eval => ScriptKind::Eval,
                VmKind::Functions => ScriptKind::Function,
            });
            let _guard = RunningGuard(&self.running);
            let ptr: *mut Ctx<'_> = ctx;
            self.running.ctx.store(ptr.cast(), Ordering::Relaxed);
            let invocation: *const Invocation<'_> = run;
            self.running
                .invocation
                .store(invocation.cast_mut().cast(), Ordering::Relaxed);
            let arguments = raw::RunArguments {
                keys,
                args,
                globals: self.kind == VmKind::Eval,
            };
            let functions = [&self.runner, function, &self.handler];
            self.lua.exec_raw_lua(|raw| raw::call_run(raw, functions, &arguments))
        };
        if self.running.line_hook.swap(false, Ordering::Relaxed) {
            self.restore_hook()?;
        }
        let resp3 = self.running.resp.load(Ordering::Relaxed) == 3;
        let (ok, value) = results?;
        let reply = if ok {
            convert::to_reply(&value, resp3)
        } else {
            convert::raised_error(&value, name)
        };
        if reply.is_error() && ctx.ks.command_stats.is_some() && convert::already_counted(&value) {
            crate::command::stats::error_already_counted();
        }
        Ok(reply)
    }
}

impl ScriptEngine {
    /// A fresh VM for EVAL with an empty script cache.
    pub(crate) fn new(random: Arc<AtomicU64>, watchdog: Arc<Watchdog>) -> Result<ScriptEngine, CommandError> {
        Ok(ScriptEngine {
            vm: Vm::new(random, VmKind::Eval, watchdog)?,
            scripts: Map::default(),
            source_bytes: 0,
        })
    }

    /// Compiles and caches `body` (SCRIPT LOAD, EVAL); answers its SHA1.
    pub(crate) fn load(&mut self, body: &[u8]) -> Result<String, CommandError> {
        let sha = sha1_hex(body);
        if !self.scripts.contains_key(&sha) {
            let declared = parse_shebang(body)?;
            // The shebang line becomes a comment, so line numbers stay those of the source.
            let mut source = body.to_vec();
            if declared.present {
                source[..2].copy_from_slice(b"--");
            }
            let function = self.vm.compile(&source, "@user_script").map_err(|e| {
                let message = convert::lua_message(&e);
                CommandError::Other(format!("ERR Error compiling script (new function): {message}").into())
            })?;
            let compiled = Compiled { function, declared };
            self.scripts.insert(sha.clone(), compiled);
            self.source_bytes += body.len();
        }
        Ok(sha)
    }

    /// The lowercase SHA1 of a cached script, given in any case.
    pub(crate) fn find(&self, sha: &[u8]) -> Option<&str> {
        let sha = std::str::from_utf8(sha).ok()?;
        if let Some((cached, _)) = self.scripts.get_key_value(sha) {
            return Some(cached);
        }
        if !sha.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        let (cached, _) = self.scripts.get_key_value(&sha.to_ascii_lowercase())?;
        Some(cached)
    }

    /// Runs the cached script `sha` with KEYS and ARGV on `ctx`; `read_only` for EVAL_RO/EVALSHA_RO.
    pub(crate) fn run(
        &self,
        ctx: &mut Ctx<'_>,
        command: &Argv,
        sha: &str,
        keys: &[&[u8]],
        args: &[&[u8]],
        read_only: bool,
    ) -> Reply {
        let Some(compiled) = self.scripts.get(sha) else {
            return Reply::Error(CommandError::other("NOSCRIPT No matching script. Please use EVAL."));
        };
        let declared = compiled.declared;
        if let Err(e) = may_start_in_cluster(ctx, declared) {
            return Reply::Error(e);
        }
        if read_only && declared.present && !declared.no_writes {
            return Reply::Error(CommandError::other(
                "ERR Can not execute a script with write flag using *_ro command.",
            ));
        }
        if let Err(e) = may_start_with_replicas(ctx, declared).and_then(|()| may_start_out_of_memory(ctx, declared)) {
            return Reply::Error(e);
        }
        let read_only = read_only || declared.no_writes;
        let run = Invocation {
            function: &compiled.function,
            name: sha,
            command,
            function_counts: None,
            keys,
            args,
            read_only,
            // With a shebang, its flags decided above; without, each command is checked.
            checks_memory: !declared.present,
            allow_cross_slot: !declared.present || declared.allow_cross_slot,
        };
        self.vm.invoke(ctx, &run)
    }
}
