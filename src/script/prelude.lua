-- Runs once per Lua VM, before any script: the parts of Redis's scripting API written in Lua, and
-- the read-only globals. `__embedis_live.call` (a Rust function, replaced while a script runs) is set
-- up beforehand.
local live = __embedis_live
__embedis_live = nil
local error_text = __embedis_error_text
__embedis_error_text = nil
local rawget, setmetatable, type, error, unpack, select = rawget, setmetatable, type, error, unpack, select

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

-- Read-only tables: scripts see empty proxies whose reads go to the real table and whose writes fail.
local function readonly(t)
  return setmetatable({}, {
    __index = t,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __metatable = false,
  })
end
for _, lib in ipairs({'redis', 'string', 'math', 'table', 'coroutine', 'bit', 'cjson', 'cmsgpack', 'struct'}) do
  if rawget(_G, lib) ~= nil then
    _G[lib] = readonly(rawget(_G, lib))
  end
end
local globals = _G
local env = setmetatable({}, {
  __index = function(_, name)
    local value = rawget(globals, name)
    if value == nil then
      error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
    end
    return value
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
  __metatable = false,
})
_G._G = env
return env
