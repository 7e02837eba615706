//! Redis Functions (`functions.c`, `function_lua.c`): libraries loaded with FUNCTION LOAD, whose
//! code registers named functions with `redis.register_function`, called with FCALL.
//!
//! As in Redis, libraries live in a Lua VM of their own (EVAL's SCRIPT FLUSH does not touch them).
//! While a library's code runs at load time its environment is reduced to `redis.register_function`,
//! `redis.log`, the `LOG_*` constants and the version, and the load is stopped after 500 ms; once
//! loaded, its functions run with the whole API, called as `f(keys, args)`.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use mlua::{Function, HookTriggers, Lua, MultiValue, Table, Value as LuaValue, VmState};

use super::{SCRIPT_FLAGS, Vm, VmKind, convert};
use crate::argv::Argv;
use crate::command::Ctx;
use crate::command::args::split_args;
use crate::error::CommandError;
use crate::keyspace::Map;
use crate::reply::Reply;
use crate::watchdog::Watchdog;

/// How long a library's code may run at load time (Redis's `LOAD_TIMEOUT_MS`).
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// The only engine Redis 7.0 has.
const ENGINE: &str = "LUA";

/// Redis's text for a bad library or function name (7.0 uses the library text for both).
const BAD_NAME: &str =
    "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";

/// A function a library registered.
pub(crate) struct FunctionInfo {
    pub(crate) name: String,
    pub(crate) description: Option<Vec<u8>>,
    /// Bits of [`SCRIPT_FLAGS`], by position.
    pub(crate) flags: u32,
    callback: Function,
}

impl FunctionInfo {
    /// What its flags declare (bits 0 to 4 of [`SCRIPT_FLAGS`]: `no-writes`, `allow-oom`,
    /// `allow-stale`, `no-cluster`, `allow-cross-slot-keys`).
    fn declared(&self) -> super::Declared {
        super::Declared {
            present: true,
            no_writes: self.flags & 1 != 0,
            allow_oom: self.flags & 2 != 0,
            allow_stale: self.flags & 4 != 0,
            no_cluster: self.flags & 8 != 0,
            allow_cross_slot: self.flags & 16 != 0,
        }
    }

    /// The names of its flags, in Redis's order.
    pub(crate) fn flag_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        SCRIPT_FLAGS
            .iter()
            .enumerate()
            .filter(|(bit, _)| self.flags & (1 << bit) != 0)
            .map(|(_, name)| *name)
    }
}

/// A loaded library: its whole code (metadata line included) and its functions in registration order.
pub(crate) struct Library {
    pub(crate) name: String,
    pub(crate) code: Vec<u8>,
    pub(crate) functions: Vec<FunctionInfo>,
}

/// Libraries by name (case-sensitive, as Redis) and the library of every function (by lowercase
/// name: FCALL finds functions in any case).
#[derive(Default)]
struct Registry {
    libraries: IndexMap<String, Library>,
    functions: Map<String, String>,
}

impl Registry {
    fn link(&mut self, library: Library) {
        for f in &library.functions {
            self.functions.insert(f.name.to_ascii_lowercase(), library.name.clone());
        }
        self.libraries.insert(library.name.clone(), library);
    }

    fn unlink(&mut self, name: &str) -> Option<Library> {
        let library = self.libraries.shift_remove(name)?;
        for f in &library.functions {
            self.functions.remove(&f.name.to_ascii_lowercase());
        }
        Some(library)
    }

    /// The registered name of a function colliding with one of `library`'s, if any.
    fn collision<'a>(&self, library: &'a Library) -> Option<&'a str> {
        library
            .functions
            .iter()
            .find(|f| self.functions.contains_key(&f.name.to_ascii_lowercase()))
            .map(|f| f.name.as_str())
    }
}

/// The functions a library registers while FUNCTION LOAD runs its code (Lua app data: present only
/// during a load, which is how `register_function` knows it may run).
struct Loading {
    functions: Vec<FunctionInfo>,
}

/// The library VM of a keyspace and its libraries.
pub(crate) struct FunctionEngine {
    vm: Vm,
    registry: Registry,
}

impl std::fmt::Debug for FunctionEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionEngine")
            .field("libraries", &self.registry.libraries.len())
            .finish_non_exhaustive()
    }
}

/// What a library's first line says: `#!<engine> name=<name>`.
struct Metadata {
    engine: String,
    name: String,
    /// Where the Lua code starts: at the newline ending the metadata line, so line numbers count it.
    code_start: usize,
}

fn err(text: impl std::fmt::Display) -> CommandError {
    CommandError::Other(format!("ERR {text}").into())
}

/// Redis's `functionExtractLibMetaData`.
fn metadata(code: &[u8]) -> Result<Metadata, CommandError> {
    if !code.starts_with(b"#!") {
        return Err(err("Missing library metadata"));
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err(err("Invalid library metadata"));
    };
    let parts = match split_args(&code[..end]) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Err(err("Invalid library metadata")),
    };
    let engine = String::from_utf8_lossy(parts[0].get(2..).unwrap_or_default()).into_owned();
    let mut name = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(err("Invalid metadata value, name argument was given multiple times"));
            }
            name = Some(String::from_utf8_lossy(&part[5..]).into_owned());
            continue;
        }
        return Err(err(format_args!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        )));
    }
    let name = name.ok_or_else(|| err("Library name was not given"))?;
    Ok(Metadata {
        engine,
        name,
        code_start: end,
    })
}

/// Library and function names: letters, digits and underscores, at least one.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A Lua error raised the way Redis's `luaPushError` + `luaError` raise it: a message without a
/// script position.
fn lua_error(text: &str) -> mlua::Error {
    mlua::Error::RuntimeError(text.to_string())
}

/// A Lua string or number as Lua converts it (`lua_isstring` + `lua_tolstring`), else None.
fn lua_string(lua: &Lua, value: &LuaValue) -> mlua::Result<Option<Vec<u8>>> {
    Ok(match value {
        LuaValue::String(_) | LuaValue::Integer(_) | LuaValue::Number(_) => {
            lua.coerce_string(value.clone())?.map(|s| s.as_bytes().to_vec())
        }
        _ => None,
    })
}

/// The flags of a `flags = {…}` table (Redis's `luaRegisterFunctionReadFlags`).
fn read_flags(lua: &Lua, table: &Table) -> mlua::Result<Option<u32>> {
    let mut flags = 0;
    for i in 1.. {
        let value: LuaValue = table.get(i)?;
        if value.is_nil() {
            break;
        }
        let Some(text) = lua_string(lua, &value)? else {
            return Ok(None);
        };
        match SCRIPT_FLAGS
            .iter()
            .position(|f| f.as_bytes().eq_ignore_ascii_case(&text))
        {
            Some(bit) => flags |= 1 << bit,
            None => return Ok(None),
        }
    }
    Ok(Some(flags))
}

/// `redis.register_function{function_name=…, callback=…, flags=…, description=…}`.
fn named_arguments(lua: &Lua, arg: &LuaValue) -> mlua::Result<FunctionInfo> {
    let LuaValue::Table(table) = arg else {
        return Err(lua_error(
            "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        ));
    };
    let (mut name, mut description, mut callback, mut flags) = (None, None, None, 0);
    for pair in table.clone().pairs::<LuaValue, LuaValue>() {
        let (key, value) = pair?;
        let Some(key) = lua_string(lua, &key)? else {
            return Err(lua_error(
                "named argument key given to redis.register_function is not a string",
            ));
        };
        match key.to_ascii_lowercase().as_slice() {
            b"function_name" => match lua_string(lua, &value)? {
                Some(text) => name = Some(text),
                None => {
                    return Err(lua_error(
                        "function_name argument given to redis.register_function must be a string",
                    ));
                }
            },
            b"description" => match lua_string(lua, &value)? {
                Some(text) => description = Some(text),
                None => {
                    return Err(lua_error(
                        "description argument given to redis.register_function must be a string",
                    ));
                }
            },
            b"callback" => match value {
                LuaValue::Function(f) => callback = Some(f),
                _ => {
                    return Err(lua_error(
                        "callback argument given to redis.register_function must be a function",
                    ));
                }
            },
            b"flags" => {
                let LuaValue::Table(t) = value else {
                    return Err(lua_error(
                        "flags argument to redis.register_function must be a table representing function flags",
                    ));
                };
                flags = read_flags(lua, &t)?.ok_or_else(|| lua_error("unknown flag given"))?;
            }
            _ => return Err(lua_error("unknown argument given to redis.register_function")),
        }
    }
    let name = name.ok_or_else(|| lua_error("redis.register_function must get a function name argument"))?;
    let callback = callback.ok_or_else(|| lua_error("redis.register_function must get a callback argument"))?;
    Ok(FunctionInfo {
        name: String::from_utf8_lossy(&name).into_owned(),
        description,
        flags,
        callback,
    })
}

/// `redis.register_function(name, callback)`.
fn positional_arguments(lua: &Lua, name: &LuaValue, callback: &LuaValue) -> mlua::Result<FunctionInfo> {
    let Some(name) = lua_string(lua, name)? else {
        return Err(lua_error("first argument to redis.register_function must be a string"));
    };
    let LuaValue::Function(callback) = callback else {
        return Err(lua_error(
            "second argument to redis.register_function must be a function",
        ));
    };
    Ok(FunctionInfo {
        name: String::from_utf8_lossy(&name).into_owned(),
        description: None,
        flags: 0,
        callback: callback.clone(),
    })
}

/// `redis.register_function`, in either form: adds a function to the library being loaded.
pub(super) fn register_function(lua: &Lua, args: MultiValue) -> mlua::Result<()> {
    if lua.app_data_ref::<Loading>().is_none() {
        return Err(lua_error(
            "redis.register_function can only be called on FUNCTION LOAD command",
        ));
    }
    let function = match args.len() {
        1 => named_arguments(lua, &args[0])?,
        2 => positional_arguments(lua, &args[0], &args[1])?,
        _ => return Err(lua_error("wrong number of arguments to redis.register_function")),
    };
    if !valid_name(&function.name) {
        return Err(lua_error(BAD_NAME));
    }
    let mut loading = lua
        .app_data_mut::<Loading>()
        .ok_or_else(|| lua_error("redis.register_function can only be called on FUNCTION LOAD command"))?;
    // Redis compares names case-sensitively here but not in FCALL, and a library registering both
    // `f` and `F` breaks its server on FUNCTION DELETE: embedis refuses the second one.
    if loading
        .functions
        .iter()
        .any(|f| f.name.eq_ignore_ascii_case(&function.name))
    {
        return Err(lua_error("Function already exists in the library"));
    }
    loading.functions.push(function);
    Ok(())
}

/// How FUNCTION RESTORE treats libraries that already exist.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RestorePolicy {
    /// Fail on any existing library (the default).
    Append,
    /// Replace existing libraries of the same names.
    Replace,
    /// Drop every library first.
    Flush,
}

impl FunctionEngine {
    /// A fresh library VM with no libraries.
    pub(crate) fn new(random: Arc<AtomicU64>, watchdog: Arc<Watchdog>) -> Result<FunctionEngine, CommandError> {
        Ok(FunctionEngine {
            vm: Vm::new(random, VmKind::Functions, watchdog)?,
            registry: Registry::default(),
        })
    }

    /// FUNCTION LOAD: creates (or, with `replace`, replaces) the library `code` declares; answers
    /// its name. On any error nothing changes.
    pub(crate) fn load(&mut self, code: &[u8], replace: bool) -> Result<String, CommandError> {
        let mut registry = std::mem::take(&mut self.registry);
        let result = self.create(&mut registry, code, replace);
        self.registry = registry;
        result
    }

    /// Redis's `functionsCreateWithLibraryCtx`, into `registry`.
    fn create(&self, registry: &mut Registry, code: &[u8], replace: bool) -> Result<String, CommandError> {
        let meta = metadata(code)?;
        if !valid_name(&meta.name) {
            return Err(err(BAD_NAME));
        }
        if !meta.engine.eq_ignore_ascii_case(ENGINE) {
            return Err(err(format_args!("Engine '{}' not found", meta.engine)));
        }
        if registry.libraries.contains_key(&meta.name) && !replace {
            return Err(err(format_args!("Library '{}' already exists", meta.name)));
        }
        let old = registry.unlink(&meta.name);
        let created = self.run_library(&code[meta.code_start..]).and_then(|functions| {
            let library = Library {
                name: meta.name.clone(),
                code: code.to_vec(),
                functions,
            };
            if library.functions.is_empty() {
                return Err(err("No functions registered"));
            }
            if let Some(name) = registry.collision(&library) {
                return Err(err(format_args!("Function {name} already exists")));
            }
            Ok(library)
        });
        match created {
            Ok(library) => {
                registry.link(library);
                Ok(meta.name)
            }
            Err(e) => {
                if let Some(old) = old {
                    registry.link(old);
                }
                Err(e)
            }
        }
    }

    /// Compiles and runs a library's code in the load-time environment; answers what it registered.
    fn run_library(&self, source: &[u8]) -> Result<Vec<FunctionInfo>, CommandError> {
        let lua = &self.vm.lua;
        let chunk = self
            .vm
            .compile(source, "@user_function")
            .map_err(|e| err(format_args!("Error compiling function: {}", convert::lua_message(&e))))?;
        lua.set_app_data(Loading { functions: Vec::new() });
        let started = Instant::now();
        let hooked = lua.set_hook(HookTriggers::new().every_nth_instruction(100_000), move |_, _| {
            if started.elapsed() > LOAD_TIMEOUT {
                Err(lua_error("FUNCTION LOAD timeout"))
            } else {
                Ok(VmState::Continue)
            }
        });
        let ran = hooked
            .and_then(|()| self.vm.set_loading.call::<()>(true))
            .and_then(|()| self.vm.run.call::<(bool, LuaValue)>((chunk, self.vm.handler.clone())));
        let restored = self.vm.set_loading.call::<()>(false);
        let rehooked = self.vm.restore_hook();
        let loading = lua.remove_app_data::<Loading>();
        let failure = match ran {
            Ok((true, _)) => None,
            // The handler turned the error into Redis's error table, as `luaExtractErrorInformation`
            // reads it: an error table's `err`, or "ERR " and the message.
            Ok((false, LuaValue::Table(t))) => Some(t.raw_get::<String>("err").unwrap_or_default()),
            Ok((false, other)) => Some(format!("ERR {other:?}")),
            Err(e) => Some(format!("ERR {}", convert::lua_message(&e))),
        };
        if let Some(text) = failure {
            return Err(err(format_args!("Error registering functions: {text}")));
        }
        restored.and(rehooked).map_err(|e| err(convert::lua_message(&e)))?;
        Ok(loading.map(|l| l.functions).unwrap_or_default())
    }

    /// FCALL and FCALL_RO: runs a function with its keys and arguments.
    pub(crate) fn call(
        &self,
        ctx: &mut Ctx<'_>,
        command: &Argv,
        name: &[u8],
        keys: &[&[u8]],
        args: &[&[u8]],
        read_only: bool,
    ) -> Result<Reply, CommandError> {
        let function = self.find(name).ok_or_else(|| err("Function not found"))?;
        let declared = function.declared();
        super::may_start_in_cluster(ctx, declared)?;
        if read_only && !declared.no_writes {
            return Err(err("Can not execute a script with write flag using *_ro command."));
        }
        super::may_start_with_replicas(ctx, declared)?;
        super::may_start_out_of_memory(ctx, declared)?;
        let read_only = read_only || declared.no_writes;
        let run = super::Invocation {
            function: &function.callback,
            name: &function.name,
            command,
            function_counts: Some((self.registry.libraries.len(), self.registry.functions.len())),
            keys,
            args,
            read_only,
            checks_memory: false,
            allow_cross_slot: declared.allow_cross_slot,
        };
        Ok(self.vm.invoke(ctx, &run))
    }

    /// What the function of this name declares, if it is registered.
    pub(super) fn declared(&self, name: &[u8]) -> Option<super::Declared> {
        self.find(name).map(FunctionInfo::declared)
    }

    /// Whether a function of this name (in any case) is registered.
    pub(crate) fn exists(&self, name: &[u8]) -> bool {
        self.find(name).is_some()
    }

    /// The function FCALL names, in any case.
    fn find(&self, name: &[u8]) -> Option<&FunctionInfo> {
        let name = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        let library = self.registry.functions.get(&name)?;
        self.registry.libraries[library.as_str()]
            .functions
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(&name))
    }

    /// The libraries, in load order.
    pub(crate) fn libraries(&self) -> impl Iterator<Item = &Library> {
        self.registry.libraries.values()
    }

    /// The bytes the functions' Lua VM holds, as Lua counts them.
    pub(crate) fn vm_memory(&self) -> usize {
        self.vm.heap_bytes()
    }

    /// How many functions are registered.
    pub(crate) fn function_count(&self) -> usize {
        self.registry.functions.len()
    }

    /// FUNCTION DELETE: whether the library existed.
    pub(crate) fn delete(&mut self, name: &[u8]) -> bool {
        std::str::from_utf8(name).is_ok_and(|name| self.registry.unlink(name).is_some())
    }

    /// FUNCTION RESTORE: loads every library of `codes` and merges them by `policy`; on any error
    /// nothing changes.
    pub(crate) fn restore(&mut self, codes: &[Vec<u8>], policy: RestorePolicy) -> Result<(), CommandError> {
        let mut restored = Registry::default();
        for code in codes {
            self.create(&mut restored, code, false)?;
        }
        if policy == RestorePolicy::Flush {
            self.registry = restored;
            return Ok(());
        }
        let mut merged = std::mem::take(&mut self.registry);
        let mut replaced = Vec::new();
        let outcome = (|| {
            for name in restored.libraries.keys() {
                if merged.libraries.contains_key(name) {
                    if policy == RestorePolicy::Append {
                        return Err(err(format_args!("Library {name} already exists")));
                    }
                    replaced.extend(merged.unlink(name));
                }
            }
            for library in restored.libraries.values() {
                if let Some(name) = merged.collision(library) {
                    return Err(err(format_args!("Function {name} already exists")));
                }
            }
            Ok(())
        })();
        match outcome {
            Ok(()) => {
                for (_, library) in restored.libraries {
                    merged.link(library);
                }
            }
            Err(_) => {
                for library in replaced {
                    merged.link(library);
                }
            }
        }
        self.registry = merged;
        outcome
    }
}
