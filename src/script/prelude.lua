-- Runs once per Lua VM, before any script: the parts of Redis's scripting API written in Lua, and
-- the read-only globals. `__embedis_live.call` (a Rust function, replaced while a script runs) is set
-- up beforehand, and `__embedis_register` (redis.register_function) in a VM for functions.
--
-- Answers the environment scripts run in, `run(f, handler)` (xpcall of `f`, for FUNCTION LOAD's
-- library bodies; scripts and functions run from Rust under the handler), `set_loading(on)`, which
-- switches the environment to FUNCTION LOAD's API while a library registers its functions, and
-- the read-only tables' records (`sandbox`, for sandbox.rs).
local functions_vm = ...
local live = __embedis_live
__embedis_live = nil
local error_text = __embedis_error_text
__embedis_error_text = nil
local register_function = __embedis_register
__embedis_register = nil
local rawget, setmetatable, type, error, unpack, select = rawget, setmetatable, type, error, unpack, select
local xpcall, tostring = xpcall, tostring

-- redis.call (Rust) raises an error reply as a Lua error; redis.pcall answers it as a table.
redis.pcall = function(...)
  return (live.call(...))
end


-- Lua's pcall answers the message of a Redis error table, as Redis's replacement does.
local lua_pcall = pcall
pcall = function(...)
  local results = {lua_pcall(...)}
  if results[1] == false then
    if type(results[2]) == 'table' and type(rawget(results[2], 'err')) == 'string' then
      return false, rawget(results[2], 'err')
    end
    local text = error_text(results[2])
    if text then return false, text end
  end
  return unpack(results)
end

-- What Redis removes from the globals.
for _, name in ipairs({'dofile', 'getfenv', 'loadfile', 'newproxy', 'print', 'require', 'setfenv', 'module',
                       'debug', 'io', 'os', 'package'}) do
  _G[name] = nil
end

-- Read-only tables: scripts see empty proxies whose reads go to the real table and whose writes
-- fail. `sandbox.readonly` maps each proxy to its table, for the base functions that reach past a
-- proxy (`rawget`, `rawset`, `next`, `pairs`, `setmetatable`, `getmetatable`: sandbox.rs);
-- `sandbox.shown_metatables` holds what `getmetatable` answers for a proxy (none, as Redis's
-- libraries have none, unless set), and `sandbox.string_metatable` what it answers for a string.
local function readonly_error() error('Attempt to modify a readonly table', 2) end
local sandbox = {readonly = {}, shown_metatables = {}}
local function readonly(t)
  local proxy = setmetatable({}, {
    __index = t,
    __newindex = readonly_error,
    __metatable = false,
  })
  sandbox.readonly[proxy] = t
  return proxy
end
for _, lib in ipairs({'redis', 'string', 'math', 'table', 'coroutine', 'bit', 'cjson', 'cmsgpack', 'struct'}) do
  if rawget(_G, lib) ~= nil then
    _G[lib] = readonly(rawget(_G, lib))
  end
end
-- Strings share a metatable whose `__index` is the `string` scripts see.
sandbox.string_metatable = readonly({__index = _G.string})
-- A read-only table whose reads go to `lookup(name)` and fail for missing names, as Redis's globals do.
local function strict(lookup)
  return setmetatable({}, {
    __index = function(_, name)
      local value = lookup(name)
      if value == nil then
        error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
      end
      return value
    end,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
end

-- What a library sees while FUNCTION LOAD runs it: only `redis`, with register_function, log, the
-- LOG_* constants and the version.
local loading_globals = {}
if functions_vm then
  local api = {register_function = register_function}
  for _, name in ipairs({'log', 'LOG_DEBUG', 'LOG_VERBOSE', 'LOG_NOTICE', 'LOG_WARNING', 'REDIS_VERSION',
                         'REDIS_VERSION_NUM'}) do
    api[name] = _G.redis[name]
  end
  loading_globals.redis = strict(function(name) return rawget(api, name) end)
end

-- The scripts' environment: an empty read-only proxy whose reads go straight to the globals
-- table (a table, not a function, as `__index`: no Lua call per global read); a name the globals
-- lack reaches their own `__index`, which raises Redis's error. While FUNCTION LOAD runs a
-- library, reads go to `loading_globals` instead.
local missing = {
  __index = function(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
  end,
}
local globals = _G
local env_mt = {
  __index = globals,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
}
local env = setmetatable({}, env_mt)
_G._G = env
-- The globals are read-only too: `rawget(_G, …)` reads them, and their metatable, as scripts
-- see it, raises Redis's errors without handing out the globals table itself.
sandbox.readonly[env] = globals
sandbox.shown_metatables[env] = readonly({
  __index = missing.__index,
  __newindex = readonly_error,
})
setmetatable(globals, missing)
setmetatable(loading_globals, missing)

local function set_loading(on)
  env_mt.__index = on and loading_globals or globals
end

local function run(f, handler)
  return xpcall(f, handler)
end

return env, run, set_loading, sandbox
