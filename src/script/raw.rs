//! A script's hot path through Lua's C API: `redis.call` and the `call` behind `redis.pcall` as
//! C closures, and the KEYS and ARGV tables of each run.
//!
//! They do what `convert`'s mlua functions do — the same checks and the same command run
//! (`convert::run_call`), the same conversions — without mlua's per-call costs: its lock, a
//! vector of argument values, and a registry reference for every value made. The rare cases go
//! to mlua's functions: a call while no script runs, and replies with RESP3's shapes. An error
//! reply is raised through an mlua function too, so that it is the same Lua error either way.
//!
//! Lua raises its errors with `longjmp`, which skips the frames it crosses without running
//! their destructors. So a C function here does its work in an inner Rust function that owns
//! every value with a destructor and returns before anything that may raise is called; the only
//! raising calls left in that inner work are Lua's allocations, which fail only when the process
//! is out of memory (no memory limit is set on these VMs).

use std::ffi::{c_int, c_void};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use mlua::state::RawLua;
use mlua::{Function, Lua, Value as LuaValue, ffi};

use super::Running;
use super::convert::{self, BAD_ARGUMENT, COUNTED, NO_ARGUMENTS};
use crate::argv::Argv;
use crate::number::format_g17;
use crate::reply::Reply;

/// How deeply an array reply may nest and still be pushed here (deeper ones go through mlua,
/// which needs no stack room of its own).
const PLAIN_DEPTH: usize = 8;

/// Where [`push_through_mlua`] leaves a reply for a moment.
const REPLY_SLOT: &str = "embedis.reply";

/// `redis.call` (`protected` false: an error reply is raised) or the `call` behind
/// `redis.pcall` (`protected`: an error reply is answered as Redis's error table), acting on
/// `running`'s invocation. `slow` is the mlua function doing the same, used while no script
/// runs; `raise` raises an error reply's text as `redis.call`'s error (for `redis.call` only).
pub(super) fn call_function(
    lua: &Lua,
    running: &Arc<Running>,
    slow: Function,
    raise: Option<Function>,
) -> mlua::Result<Function> {
    // The pointer below stays valid for as long as the VM: the VM keeps this `Arc`.
    lua.set_app_data(Arc::clone(running));
    let pointer = Arc::as_ptr(running).cast_mut().cast::<c_void>();
    let protected = raise.is_none();
    // SAFETY: the closure pushes exactly the values it says (a light userdata, and the C
    // closure made of it and the two functions exec_raw pushed), inside mlua's protected call.
    unsafe {
        lua.exec_raw::<Function>((slow, raise), |state| {
            ffi::lua_pushlightuserdata(state, pointer);
            ffi::lua_insert(state, 1);
            let function: ffi::lua_CFunction = if protected { pcall } else { call };
            ffi::lua_pushcclosure(state, function, 3);
        })
    }
}

/// What the inner work of a call left on the stack.
enum Called {
    /// The reply, converted.
    Reply,
    /// The text of an error reply.
    Failed,
    /// Nothing, and the arguments left as they were: no script runs.
    NotRunning,
    /// Nothing: converting the reply failed with this Lua error.
    LuaError(String),
}

/// `redis.call`.
unsafe extern "C-unwind" fn call(state: *mut ffi::lua_State) -> c_int {
    // SAFETY (for the whole function): `state` is the running Lua state, and this closure was
    // made by `call_function` with its three upvalues.
    unsafe {
        let args = ffi::lua_gettop(state);
        match call_inner(state) {
            Called::Reply => 1,
            Called::Failed => {
                // raise(text): never returns.
                ffi::lua_pushvalue(state, ffi::lua_upvalueindex(3));
                ffi::lua_insert(state, -2);
                ffi::lua_call(state, 1, 0);
                0
            }
            Called::NotRunning => call_slow(state, args),
            Called::LuaError(message) => raise_message(state, message),
        }
    }
}

/// The `call` behind `redis.pcall`.
unsafe extern "C-unwind" fn pcall(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: as in `call`.
    unsafe {
        let args = ffi::lua_gettop(state);
        match call_inner(state) {
            Called::Reply => 1,
            Called::Failed => {
                // {err = text, ignore_error_stats_update = true}: counted when the command failed.
                ffi::lua_createtable(state, 0, 2);
                ffi::lua_insert(state, -2);
                set_field(state, "err");
                ffi::lua_pushboolean(state, 1);
                set_field(state, COUNTED);
                1
            }
            Called::NotRunning => call_slow(state, args),
            Called::LuaError(message) => raise_message(state, message),
        }
    }
}

/// Calls the mlua function (upvalue 2) with the `args` arguments on the stack and answers what
/// it answers.
unsafe fn call_slow(state: *mut ffi::lua_State, args: c_int) -> c_int {
    // SAFETY: the arguments are the stack's only values; upvalue 2 is the mlua function.
    unsafe {
        ffi::lua_pushvalue(state, ffi::lua_upvalueindex(2));
        ffi::lua_insert(state, 1);
        ffi::lua_call(state, args, ffi::LUA_MULTRET);
        ffi::lua_gettop(state)
    }
}

/// Raises `message` as a Lua error; never returns.
unsafe fn raise_message(state: *mut ffi::lua_State, message: String) -> c_int {
    // SAFETY: the message is copied into Lua and dropped before the error jumps.
    unsafe {
        push_bytes(state, message.as_bytes());
        drop(message);
        ffi::lua_error(state)
    }
}

/// The work of a call, owning every Rust value it makes (see the module's note on errors):
/// runs the command whose arguments are on the stack and pushes its converted reply, or the
/// text of its error reply.
unsafe fn call_inner(state: *mut ffi::lua_State) -> Called {
    // SAFETY: upvalue 1 is the light userdata `call_function` made from the VM's `Running`,
    // which the VM keeps alive; arguments are read before anything is pushed.
    unsafe {
        let running = &*ffi::lua_touserdata(state, ffi::lua_upvalueindex(1)).cast::<Running>();
        if !running.is_running() {
            return Called::NotRunning;
        }
        let argv = argv_from_stack(state);
        // The arguments are copied: their room is the reply's (a call may fill Lua's stack
        // with arguments, as `unpack` of a big table does).
        ffi::lua_settop(state, 0);
        let outcome = running.with_ctx(|ctx, read_only| convert::run_call(ctx, argv, read_only, running));
        match outcome {
            Some(Ok(reply)) => push_reply(state, reply, running.resp.load(Ordering::Relaxed) == 3),
            Some(Err(line)) => {
                push_bytes(state, convert::error_text_of(&line).as_bytes());
                Called::Failed
            }
            // Not reached: the run cannot end while its own call runs.
            None => {
                push_bytes(state, convert::error_text_of(convert::NOT_RUNNING).as_bytes());
                Called::Failed
            }
        }
    }
}

/// The command line of a call's arguments: strings as they are, numbers as Redis prints them
/// (`%.17g`), anything else Redis's error.
unsafe fn argv_from_stack(state: *mut ffi::lua_State) -> Result<Argv, &'static str> {
    // SAFETY: every index read is between 1 and the stack's top; a string's pointer and length
    // come from Lua and stay valid while it is on the stack.
    unsafe {
        let count = ffi::lua_gettop(state);
        if count == 0 {
            return Err(NO_ARGUMENTS);
        }
        let mut argv = Argv::new();
        for i in 1..=count {
            match ffi::lua_type(state, i) {
                ffi::LUA_TSTRING => {
                    let mut len = 0;
                    let bytes = ffi::lua_tolstring(state, i, &mut len);
                    argv.push(std::slice::from_raw_parts(bytes.cast::<u8>(), len));
                }
                ffi::LUA_TNUMBER => argv.push(format_g17(ffi::lua_tonumber(state, i))),
                _ => return Err(BAD_ARGUMENT),
            }
        }
        Ok(argv)
    }
}

/// Pushes a reply as Lua sees it (`convert::to_lua`): the common shapes directly, RESP3's
/// through mlua.
unsafe fn push_reply(state: *mut ffi::lua_State, reply: Reply, resp3: bool) -> Called {
    // SAFETY: `push_plain` needs two stack slots per level of nesting, checked here.
    unsafe {
        if is_plain(&reply, 0) && ffi::lua_checkstack(state, 2 * PLAIN_DEPTH as c_int + 4) != 0 {
            push_plain(state, &reply, resp3);
            Called::Reply
        } else {
            push_through_mlua(state, reply, resp3)
        }
    }
}

/// Whether `push_plain` converts `reply`: no RESP3 shape, nested at most [`PLAIN_DEPTH`] deep.
fn is_plain(reply: &Reply, depth: usize) -> bool {
    match reply {
        Reply::Integer(_) | Reply::Bulk(_) | Reply::Nil | Reply::NilArray | Reply::Status(_) => true,
        Reply::Error(_) | Reply::Boolean(_) => true,
        Reply::Array(items) | Reply::Push(items) => {
            depth < PLAIN_DEPTH && items.iter().all(|item| is_plain(item, depth + 1))
        }
        _ => false,
    }
}

/// Pushes a reply [`is_plain`] accepts, converted as `convert::to_lua` converts it.
unsafe fn push_plain(state: *mut ffi::lua_State, reply: &Reply, resp3: bool) {
    // SAFETY: the caller checked the stack room; each table made is on the top when written.
    unsafe {
        match reply {
            Reply::Integer(n) => ffi::lua_pushnumber(state, *n as f64),
            Reply::Bulk(bytes) => push_bytes(state, bytes),
            Reply::Nil | Reply::NilArray if resp3 => ffi::lua_pushnil(state),
            Reply::Nil | Reply::NilArray => ffi::lua_pushboolean(state, 0),
            Reply::Boolean(b) => ffi::lua_pushboolean(state, c_int::from(*b)),
            Reply::Status(text) => {
                ffi::lua_createtable(state, 0, 1);
                push_bytes(state, text.as_bytes());
                set_field(state, "ok");
            }
            Reply::Error(e) => {
                ffi::lua_createtable(state, 0, 1);
                push_bytes(state, convert::error_text_of(&format!("-{e}")).as_bytes());
                set_field(state, "err");
            }
            Reply::Array(items) | Reply::Push(items) => {
                ffi::lua_createtable(state, items.len().try_into().unwrap_or(0), 0);
                for (i, item) in items.iter().enumerate() {
                    push_plain(state, item, resp3);
                    ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
                }
            }
            // Not reached: `is_plain` refuses the rest.
            _ => ffi::lua_pushnil(state),
        }
    }
}

/// Converts a reply with mlua (`convert::to_lua`) and pushes the value, by way of the registry.
unsafe fn push_through_mlua(state: *mut ffi::lua_State, reply: Reply, resp3: bool) -> Called {
    // SAFETY: `state` belongs to a Lua made by mlua (the VM's), which outlives this call.
    let lua = unsafe { Lua::get_or_init_from_ptr(state) };
    let stored = convert::to_lua(lua, reply, resp3).and_then(|value| lua.set_named_registry_value(REPLY_SLOT, value));
    if let Err(e) = stored {
        return Called::LuaError(convert::lua_message(&e));
    }
    // SAFETY: the registry holds the value under `REPLY_SLOT`; one slot is pushed.
    unsafe {
        ffi::lua_checkstack(state, 1);
        ffi::lua_pushlstring(state, REPLY_SLOT.as_ptr().cast(), REPLY_SLOT.len());
        ffi::lua_rawget(state, ffi::LUA_REGISTRYINDEX);
    }
    match lua.unset_named_registry_value(REPLY_SLOT) {
        Ok(()) => Called::Reply,
        Err(e) => Called::LuaError(convert::lua_message(&e)),
    }
}

/// What [`call_run`] hands to [`run_script`]: KEYS and ARGV, and whether they are globals (a
/// script's) or arguments (a function's).
pub(super) struct RunArguments<'a> {
    pub(super) keys: &'a [&'a [u8]],
    pub(super) args: &'a [&'a [u8]],
    pub(super) globals: bool,
}

/// Calls `function` under `handler` (as `xpcall` would) with KEYS and ARGV made from
/// `arguments`, through `runner` ([`run_script`], made once per VM): answers whether the
/// function returned and its first result, or the error table its handler made.
///
/// This is mlua's `exec_raw` made cheaper: the C function is made once instead of per call,
/// and it calls the function with Lua's own protected call under the handler, with no Lua
/// frames of ours between the caller and the script.
pub(super) fn call_run(
    raw: &RawLua,
    [runner, function, handler]: [&Function; 3],
    arguments: &RunArguments<'_>,
) -> mlua::Result<(bool, LuaValue)> {
    // SAFETY: every push is preceded by room for it; the stack is put back as it was found.
    // `run_script` receives the light userdata of `arguments`, which outlives the call.
    unsafe {
        let state = raw.state();
        let top = ffi::lua_gettop(state);
        if ffi::lua_checkstack(state, 8) == 0 {
            return Err(mlua::Error::StackError);
        }
        for value in [runner, handler, function] {
            raw.push(value)?;
        }
        ffi::lua_pushlightuserdata(state, std::ptr::from_ref(arguments).cast_mut().cast());
        let result = if ffi::lua_pcall(state, 3, 2, 0) == 0 {
            let value = raw.pop_value();
            Ok((ffi::lua_toboolean(state, -1) != 0, value))
        } else {
            Err(match raw.pop_value() {
                LuaValue::Error(e) => *e,
                LuaValue::String(s) => mlua::Error::RuntimeError(s.to_string_lossy()),
                other => mlua::Error::RuntimeError(format!("{other:?}")),
            })
        };
        ffi::lua_settop(state, top);
        result
    }
}

/// The C function [`call_run`] calls: `(handler, function, arguments)` → whether `function`
/// returned and its first result (or the handler's error table), with KEYS and ARGV made from
/// the [`RunArguments`]: globals of a script's, arguments of a function's.
pub(super) unsafe extern "C-unwind" fn run_script(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: called by `call_run` only, with these three arguments; the last points to a
    // `RunArguments` alive for the whole call. Nothing here has a destructor (the module's note).
    unsafe {
        let arguments = &*ffi::lua_touserdata(state, 3).cast::<RunArguments<'_>>();
        ffi::lua_settop(state, 2);
        if ffi::lua_checkstack(state, 6) == 0 {
            ffi::luaL_error(state, c"stack overflow".as_ptr());
        }
        push_string_array(state, arguments.keys);
        push_string_array(state, arguments.args);
        if arguments.globals {
            for name in ["ARGV", "KEYS"] {
                push_bytes(state, name.as_bytes());
                ffi::lua_insert(state, -2);
                ffi::lua_rawset(state, ffi::LUA_GLOBALSINDEX);
            }
        }
        // The handler (index 1) turns any error into Redis's error table, as xpcall's would.
        let arguments = if arguments.globals { 0 } else { 2 };
        let returned = ffi::lua_pcall(state, arguments, 1, 1) == 0;
        ffi::lua_pushboolean(state, c_int::from(returned));
        ffi::lua_insert(state, -2);
        2
    }
}

/// Pushes a 1-based table of strings.
unsafe fn push_string_array(state: *mut ffi::lua_State, items: &[&[u8]]) {
    // SAFETY: one slot for the table and one for each string while it is stored.
    unsafe {
        ffi::lua_createtable(state, items.len().try_into().unwrap_or(0), 0);
        for (i, item) in items.iter().enumerate() {
            push_bytes(state, item);
            ffi::lua_rawseti(state, -2, i as ffi::lua_Integer + 1);
        }
    }
}

/// Pushes a Lua string of `bytes`.
unsafe fn push_bytes(state: *mut ffi::lua_State, bytes: &[u8]) {
    // SAFETY: Lua copies the bytes.
    unsafe {
        ffi::lua_pushlstring(state, bytes.as_ptr().cast(), bytes.len());
    }
}

/// Pops the top value into field `name` of the table below it.
unsafe fn set_field(state: *mut ffi::lua_State, name: &str) {
    // SAFETY: the table is a fresh one, without a metatable, just below the value.
    unsafe {
        push_bytes(state, name.as_bytes());
        ffi::lua_insert(state, -2);
        ffi::lua_rawset(state, -3);
    }
}
