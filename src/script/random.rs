//! Redis's `math.random` and `math.randomseed` for scripts: the drand48 generator of Redis's
//! `rand.c`, with its state kept for the whole store (SCRIPT FLUSH does not reset it), so a script
//! draws the same numbers it would on a freshly started Redis.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mlua::{Lua, MultiValue, Value as LuaValue};

/// The generator's state at startup (drand48's default seed).
pub(crate) const INITIAL_STATE: u64 = 0x1234_ABCD_330E;
const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const INCREMENT: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
/// REDIS_LRAND48_MAX.
const LRAND48_MAX: i64 = i32::MAX as i64;

/// The next value of `redisLrand48()`: the top 31 bits of the 48-bit state.
fn lrand48(state: &AtomicU64) -> i64 {
    let mut next = 0;
    let _ = state.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |x| {
        next = MULTIPLIER.wrapping_mul(x).wrapping_add(INCREMENT) & MASK;
        Some(next)
    });
    (next >> 17) as i64
}

/// A Lua error naming the calling line, as `luaL_error` words it.
fn lua_error(lua: &Lua, message: &str) -> mlua::Error {
    let place = lua
        .inspect_stack(1, |frame| {
            let source = frame.source();
            match (source.short_src, frame.current_line()) {
                (Some(src), Some(line)) => format!("{src}:{line}: "),
                _ => String::new(),
            }
        })
        .unwrap_or_default();
    mlua::Error::RuntimeError(format!("{place}{message}"))
}

/// `luaL_checkint`: argument `n` (1-based) as a C int.
fn check_int(lua: &Lua, args: &MultiValue, n: usize) -> mlua::Result<i64> {
    let number = match args.get(n - 1) {
        Some(LuaValue::Integer(i)) => Some(*i as f64),
        Some(LuaValue::Number(x)) => Some(*x),
        Some(LuaValue::String(s)) => s.to_str().ok().and_then(|s| s.trim().parse::<f64>().ok()),
        _ => None,
    };
    match number {
        Some(x) => Ok(x as i32 as i64),
        None => {
            let got = args.get(n - 1).map_or("no value", |v| v.type_name());
            Err(lua_error(
                lua,
                &format!("bad argument #{n} to 'random' (number expected, got {got})"),
            ))
        }
    }
}

/// Installs `math.random` and `math.randomseed` over `state`.
pub(crate) fn install(lua: &Lua, state: Arc<AtomicU64>) -> mlua::Result<()> {
    let math: mlua::Table = lua.globals().get("math")?;
    let draw = Arc::clone(&state);
    math.set(
        "random",
        lua.create_function(move |lua, args: MultiValue| {
            let r = (lrand48(&draw) % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
            match args.len() {
                0 => Ok(r),
                1 => {
                    let upper = check_int(lua, &args, 1)?;
                    if upper < 1 {
                        return Err(lua_error(lua, "bad argument #1 to 'random' (interval is empty)"));
                    }
                    Ok((r * upper as f64).floor() + 1.0)
                }
                2 => {
                    let lower = check_int(lua, &args, 1)?;
                    let upper = check_int(lua, &args, 2)?;
                    if lower > upper {
                        return Err(lua_error(lua, "bad argument #2 to 'random' (interval is empty)"));
                    }
                    Ok((r * (upper - lower + 1) as f64).floor() + lower as f64)
                }
                _ => Err(lua_error(lua, "wrong number of arguments")),
            }
        })?,
    )?;
    math.set(
        "randomseed",
        lua.create_function(move |lua, args: MultiValue| {
            let seed = check_int(lua, &args, 1)? as u32 as u64;
            state.store((seed << 16) | 0x330E, Ordering::Relaxed);
            Ok(())
        })?,
    )?;
    Ok(())
}
