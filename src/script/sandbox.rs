//! What Redis's own Lua enforces below the language: read-only tables and no bytecode.
//!
//! Redis 7.0 builds Lua with two changes scripts can see. Tables can be marked read-only — the
//! globals, the libraries (`redis`, `string`, `math`, `table`, `cjson`, …) and the metatable
//! strings share — so that no script changes what the next one runs with: assigning, `rawset`
//! and `setmetatable` on them fail with `Attempt to modify a readonly table`. And chunks are
//! always read as source text, so `loadstring(string.dump(f))` fails instead of loading
//! bytecode (which Lua 5.1 does not verify: crafted bytecode can break out of the VM).
//!
//! embedis runs the Lua 5.1 that mlua vendors, unchanged. The prelude gives scripts read-only
//! proxies of those tables (empty tables whose reads go to the real one and whose writes fail),
//! and records each proxy's table in the registry (`READONLY`). The base functions that could
//! reach past a proxy are replaced by the C functions here, each Lua's own (`lbaselib.c`) with
//! the check Redis's Lua makes: `rawget`, `next` and `pairs` read the real table behind a proxy,
//! `rawset` and `setmetatable` refuse a proxy, `getmetatable` answers a proxy's metatable as a
//! read-only view (or none, as Redis's libraries have none) and a string's as a read-only view
//! whose `__index` is the `string` scripts see; `loadstring` and `load` read every chunk as text.
//! Being C functions, they name themselves and the script's line in their argument errors, as
//! Lua's do.
//!
//! The functions follow `raw.rs`'s rule for code that Lua may leave with `longjmp`: nothing
//! with a destructor is alive when a Lua call that may raise is made.

use std::ffi::{CStr, c_char, c_int, c_void};

use mlua::{Lua, Table, ffi};

/// Registry field: each read-only proxy → the table it shows.
const READONLY: &CStr = c"embedis.readonly";
/// Registry field: each read-only proxy → what `getmetatable` answers for it (absent: nil).
const SHOWN_METATABLES: &CStr = c"embedis.shown_metatables";
/// Registry field: what `getmetatable` answers for a string.
const STRING_METATABLE: &CStr = c"embedis.string_metatable";

/// Redis's error for a write to a read-only table.
const READONLY_ERROR: &CStr = c"Attempt to modify a readonly table";

/// Records the prelude's `sandbox` table (`readonly`, `shown_metatables`, `string_metatable`)
/// in the registry and replaces the base functions of `globals` with this module's.
pub(super) fn install(lua: &Lua, globals: &Table, sandbox: &Table) -> mlua::Result<()> {
    for (field, name) in [
        ("readonly", READONLY),
        ("shown_metatables", SHOWN_METATABLES),
        ("string_metatable", STRING_METATABLE),
    ] {
        let value: mlua::Value = sandbox.get(field)?;
        lua.set_named_registry_value(&name.to_string_lossy(), value)?;
    }
    // `pairs` hands out Lua's own `next` for every table but a proxy, so that walking a
    // script's tables costs what it costs in Lua.
    let lua_next: mlua::Function = globals.raw_get("next")?;
    // SAFETY: the closure pushes the C closure made of `pairs` and the function exec_raw pushed.
    let pairs_closure = unsafe {
        lua.exec_raw::<mlua::Function>(lua_next, |state| {
            ffi::lua_pushcclosure(state, pairs, 1);
        })?
    };
    globals.raw_set("pairs", pairs_closure)?;
    let functions: [(&str, ffi::lua_CFunction); 7] = [
        ("rawget", rawget),
        ("rawset", rawset),
        ("setmetatable", setmetatable),
        ("getmetatable", getmetatable),
        ("next", next),
        ("loadstring", loadstring),
        ("load", load),
    ];
    for (name, function) in functions {
        // SAFETY: each is a `lua_CFunction` following the Lua 5.1 C API.
        globals.raw_set(name, unsafe { lua.create_c_function(function)? })?;
    }
    Ok(())
}

/// Pushes registry field `field`'s entry for the value at `index`: the real table of a proxy,
/// its shown metatable, … (nil when it has none).
unsafe fn push_entry(state: *mut ffi::lua_State, field: &CStr, index: c_int) {
    // SAFETY: `index` is an absolute index of the caller's stack; two slots are used.
    unsafe {
        ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, field.as_ptr());
        if ffi::lua_type(state, -1) == ffi::LUA_TTABLE {
            ffi::lua_pushvalue(state, index);
            ffi::lua_rawget(state, -2);
            ffi::lua_remove(state, -2);
        } else {
            ffi::lua_pop(state, 1);
            ffi::lua_pushnil(state);
        }
    }
}

/// Replaces the table at `index` by the real table behind it, if it is a read-only proxy;
/// answers whether it was one.
unsafe fn unwrap_proxy(state: *mut ffi::lua_State, index: c_int) -> bool {
    // SAFETY: as `push_entry`.
    unsafe {
        push_entry(state, READONLY, index);
        if ffi::lua_type(state, -1) == ffi::LUA_TTABLE {
            ffi::lua_replace(state, index);
            true
        } else {
            ffi::lua_pop(state, 1);
            false
        }
    }
}

/// Whether the value at `index` is a read-only proxy.
unsafe fn is_proxy(state: *mut ffi::lua_State, index: c_int) -> bool {
    // SAFETY: as `push_entry`.
    unsafe {
        push_entry(state, READONLY, index);
        let proxy = ffi::lua_type(state, -1) != ffi::LUA_TNIL;
        ffi::lua_pop(state, 1);
        proxy
    }
}

/// Raises Redis's read-only error, without a position (Redis raises it from C).
unsafe fn raise_readonly(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: one slot for the message; `lua_error` does not return.
    unsafe {
        ffi::lua_pushstring(state, READONLY_ERROR.as_ptr());
        ffi::lua_error(state)
    }
}

/// `rawget(t, k)`, reading the real table behind a read-only proxy.
unsafe extern "C-unwind" fn rawget(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua's `luaB_rawget`, with the proxy's table in place of the proxy.
    unsafe {
        ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
        ffi::luaL_checkany(state, 2);
        ffi::lua_settop(state, 2);
        unwrap_proxy(state, 1);
        ffi::lua_rawget(state, 1);
        1
    }
}

/// `rawset(t, k, v)`, refused on a read-only proxy.
unsafe extern "C-unwind" fn rawset(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua's `luaB_rawset`, with Redis's check.
    unsafe {
        ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
        ffi::luaL_checkany(state, 2);
        ffi::luaL_checkany(state, 3);
        ffi::lua_settop(state, 3);
        if is_proxy(state, 1) {
            return raise_readonly(state);
        }
        ffi::lua_rawset(state, 1);
        1
    }
}

/// `setmetatable(t, mt)`, refused on a read-only proxy.
unsafe extern "C-unwind" fn setmetatable(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua's `luaB_setmetatable`, with Redis's check.
    unsafe {
        let kind = ffi::lua_type(state, 2);
        ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
        if kind != ffi::LUA_TNIL && kind != ffi::LUA_TTABLE {
            ffi::luaL_argerror(state, 2, c"nil or table expected".as_ptr());
        }
        if is_proxy(state, 1) {
            return raise_readonly(state);
        }
        if ffi::luaL_getmetafield(state, 1, c"__metatable".as_ptr()) != 0 {
            ffi::luaL_error(state, c"cannot change a protected metatable".as_ptr());
        }
        ffi::lua_settop(state, 2);
        ffi::lua_setmetatable(state, 1);
        1
    }
}

/// `getmetatable(v)`: a read-only proxy's shown metatable (or nil), a string's read-only view,
/// else Lua's answer.
unsafe extern "C-unwind" fn getmetatable(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua's `luaB_getmetatable` for the values that are neither.
    unsafe {
        ffi::luaL_checkany(state, 1);
        if ffi::lua_type(state, 1) == ffi::LUA_TSTRING {
            ffi::lua_getfield(state, ffi::LUA_REGISTRYINDEX, STRING_METATABLE.as_ptr());
            return 1;
        }
        if is_proxy(state, 1) {
            push_entry(state, SHOWN_METATABLES, 1);
            return 1;
        }
        if ffi::lua_getmetatable(state, 1) == 0 {
            ffi::lua_pushnil(state);
            return 1;
        }
        ffi::luaL_getmetafield(state, 1, c"__metatable".as_ptr());
        1
    }
}

/// `next(t, k)`, walking the real table behind a read-only proxy.
unsafe extern "C-unwind" fn next(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua's `luaB_next`, with the proxy's table in place of the proxy.
    unsafe {
        ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
        ffi::lua_settop(state, 2);
        unwrap_proxy(state, 1);
        if ffi::lua_next(state, 1) != 0 {
            2
        } else {
            ffi::lua_pushnil(state);
            1
        }
    }
}

/// `pairs(t)`: a `next`, `t` and nil — this module's `next` for a proxy, so that it is walked
/// as its table, and Lua's own (upvalue 1) for any other table.
unsafe extern "C-unwind" fn pairs(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua's `luaB_pairs`, made by `install` with Lua's `next` as its upvalue.
    unsafe {
        ffi::luaL_checktype(state, 1, ffi::LUA_TTABLE);
        if is_proxy(state, 1) {
            ffi::lua_pushcfunction(state, next);
        } else {
            ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
        }
        ffi::lua_pushvalue(state, 1);
        ffi::lua_pushnil(state);
        3
    }
}

/// What [`text_reader`] reads: a space first when the chunk begins as bytecode does, so that
/// Lua reads it as source text and fails on it, as Redis's Lua does.
struct TextChunk {
    /// A piece not yet handed to Lua (`loadstring`'s whole chunk; `load`'s first piece while
    /// the space goes first).
    piece: *const c_char,
    len: usize,
    /// Whether the space comes first.
    prefix: bool,
    /// For `load`: the pieces come from calling the reader function at stack index 1, the
    /// first one inside `lua_load` (whose protection, and the script's error handler, catch a
    /// failing reader, as Lua's own `load` has them do).
    more: bool,
    /// For `load`: whether the first piece has been read.
    started: bool,
}

/// `lua_Reader` over a [`TextChunk`].
unsafe extern "C-unwind" fn text_reader(
    state: *mut ffi::lua_State,
    data: *mut c_void,
    size: *mut usize,
) -> *const c_char {
    // SAFETY: `data` is the `TextChunk` of the `lua_load` running; the pieces stay on the stack
    // (slot 3) while Lua reads them.
    unsafe {
        let chunk = &mut *data.cast::<TextChunk>();
        if !chunk.started {
            chunk.started = true;
            let Some((piece, len)) = next_piece(state) else {
                *size = 0;
                return std::ptr::null();
            };
            if *piece != 0x1b {
                *size = len;
                return piece;
            }
            (chunk.piece, chunk.len, chunk.prefix) = (piece, len, true);
        }
        if chunk.prefix {
            chunk.prefix = false;
            *size = 1;
            return c" ".as_ptr();
        }
        if !chunk.piece.is_null() {
            let piece = chunk.piece;
            *size = chunk.len;
            chunk.piece = std::ptr::null();
            return piece;
        }
        if !chunk.more {
            *size = 0;
            return std::ptr::null();
        }
        match next_piece(state) {
            Some((piece, len)) => {
                *size = len;
                piece
            }
            None => {
                *size = 0;
                std::ptr::null()
            }
        }
    }
}

/// The next piece of `load`'s chunk: the reader function (stack index 1) called once, its
/// string kept in slot 3 (Lua's `generic_reader`); `None` at its end (nil or an empty string).
unsafe fn next_piece(state: *mut ffi::lua_State) -> Option<(*const c_char, usize)> {
    // SAFETY: `load` reserved slot 3; a reader that fails raises through Lua.
    unsafe {
        ffi::luaL_checkstack(state, 2, c"too many nested functions".as_ptr());
        ffi::lua_pushvalue(state, 1);
        ffi::lua_call(state, 0, 1);
        if ffi::lua_type(state, -1) == ffi::LUA_TNIL {
            ffi::lua_pop(state, 1);
            return None;
        }
        if ffi::lua_isstring(state, -1) == 0 {
            ffi::luaL_error(state, c"reader function must return a string".as_ptr());
        }
        ffi::lua_replace(state, 3);
        let mut len = 0;
        let piece = ffi::lua_tolstring(state, 3, &mut len);
        (len > 0).then_some((piece, len))
    }
}

/// Answers `lua_load`'s result as `loadstring` and `load` do: the function, or nil and the
/// message.
unsafe fn loaded(state: *mut ffi::lua_State, status: c_int) -> c_int {
    // SAFETY: `lua_load` left the function or the message on the top.
    unsafe {
        if status == 0 {
            1
        } else {
            ffi::lua_pushnil(state);
            ffi::lua_insert(state, -2);
            2
        }
    }
}

/// `loadstring(s [, chunkname])`, reading `s` as source text only.
unsafe extern "C-unwind" fn loadstring(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua's `luaB_loadstring`; the string stays at index 1 while Lua reads it.
    unsafe {
        let mut len = 0;
        let source = ffi::luaL_checklstring(state, 1, &mut len);
        let name = ffi::luaL_optlstring(state, 2, source, std::ptr::null_mut());
        let mut chunk = TextChunk {
            piece: source,
            len,
            prefix: len > 0 && *source == 0x1b,
            more: false,
            started: true,
        };
        let status = ffi::lua_load(state, text_reader, std::ptr::from_mut(&mut chunk).cast(), name);
        loaded(state, status)
    }
}

/// `load(f [, chunkname])`, reading what `f` returns as source text only.
unsafe extern "C-unwind" fn load(state: *mut ffi::lua_State) -> c_int {
    // SAFETY: Lua's `luaB_load`: the function at 1, the name at 2, slot 3 kept for the pieces.
    unsafe {
        let name = ffi::luaL_optlstring(state, 2, c"=(load)".as_ptr(), std::ptr::null_mut());
        ffi::luaL_checktype(state, 1, ffi::LUA_TFUNCTION);
        ffi::lua_settop(state, 3);
        let mut chunk = TextChunk {
            piece: std::ptr::null(),
            len: 0,
            prefix: false,
            more: true,
            started: false,
        };
        let status = ffi::lua_load(state, text_reader, std::ptr::from_mut(&mut chunk).cast(), name);
        loaded(state, status)
    }
}
