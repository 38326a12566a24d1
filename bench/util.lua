--[[
bench/util.lua: what the benchmark and stress scripts share: module paths,
process memory from /proc, running a script in a child process.
]]
local util = {}

-- Run from the repository root, by make or by hand: find lua/ and build/
-- unless LUA_PATH / LUA_CPATH already say where they are.
if not os.getenv("LUA_PATH") then
  package.path = "lua/?.lua;lua/?/init.lua;bench/?.lua;" .. package.path
end
if not os.getenv("LUA_CPATH") then
  package.cpath = (os.getenv("COGEN_OUT") or "build") .. "/?.so;" .. package.cpath
end

local PAGE = 4096
do  -- the page size, without a C helper: getconf is in every libc install
  local p = io.popen("getconf PAGESIZE 2>/dev/null")
  local n = p and tonumber(p:read("l") or "")
  if p then p:close() end
  PAGE = n or PAGE
end
util.PAGE = PAGE

--- Resident set size in bytes, from /proc/self/statm (its second field).
function util.rss()
  local f = assert(io.open("/proc/self/statm"))
  local _, res = f:read("n", "n")
  f:close()
  return res * PAGE
end

--- A field of /proc/self/status in bytes ("VmPTE", "VmSize", ...), or nil.
function util.status(field)
  for line in io.lines("/proc/self/status") do
    local k, v = line:match("^(%w+):%s*(%d+) kB")
    if k == field then return tonumber(v) * 1024 end
  end
end

--- How many mappings the process has (vm.max_map_count limits them).
function util.maps()
  local n = 0
  for _ in io.lines("/proc/self/maps") do n = n + 1 end
  return n
end

function util.max_map_count()
  local f = io.open("/proc/sys/vm/max_map_count")
  if not f then return nil end
  local n = f:read("n")
  f:close()
  return n
end

--- Lua heap in bytes, after two full collections (finalizers run in the
-- first, their objects go in the second).
function util.heap()
  collectgarbage("collect")
  collectgarbage("collect")
  return collectgarbage("count") * 1024
end

-- the interpreter running this script, for child processes
local interp = arg and arg[-1] or "lua5.4"
do
  local i = -1
  while arg and arg[i - 1] do i = i - 1 end
  interp = arg and arg[i] or interp
end
util.interp = interp

local function quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
util.quote = quote

--- Run `interp script args...` in a child process. opts.vlimit_kib puts it
-- under `ulimit -v`; opts.env is a table of environment variables to set.
-- Returns its output (stdout and stderr), and ok, how, code as io.popen's
-- close gives them for the shell (a signal shows as exit code 128 + n).
function util.child(script, args, opts)
  opts = opts or {}
  local cmd = {}
  for _, a in ipairs(args or {}) do cmd[#cmd + 1] = quote(a) end
  cmd = "exec " .. quote(interp) .. " " .. quote(script) .. " " ..
        table.concat(cmd, " ")
  for k, v in pairs(opts.env or {}) do
    cmd = k .. "=" .. quote(v) .. " && export " .. k .. " && " .. cmd
  end
  if opts.vlimit_kib then
    cmd = "ulimit -v " .. math.floor(opts.vlimit_kib) .. " && " .. cmd
  end
  local p = assert(io.popen("sh -c " .. quote(cmd) .. " 2>&1"))
  local out = p:read("a")
  local ok, how, code = p:close()
  return out, ok, how, code
end

--- key=value pairs of a child's output line "RESULT k=v k=v ..."
function util.parse_result(out)
  local line = out:match("RESULT ([^\n]*)")
  if not line then return nil end
  local t = {}
  for k, v in line:gmatch("([%w_]+)=(%S+)") do t[k] = tonumber(v) or v end
  return t
end

function util.result(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(t[k]) end
  print("RESULT " .. table.concat(parts, " "))
  io.stdout:flush()
end

return util
