-- A small stand-in for busted, for interpreters busted cannot run under
-- (Lua 5.5 with Debian's busted, whose C dependencies are built for 5.4).
-- It runs spec files with the part of busted's API the specs use: describe,
-- it, pending, before_each/after_each, setup/teardown, finally, and
-- luassert's assert (equal, same, true/false/nil, truthy/falsy, matches,
-- error, type checks, with is_/are_/has_/not_ chains). Each file is
-- insulated as busted does (package.loaded and globals restored after it).
-- It ends with busted's summary line, which scripts/busted.sh parses:
--   N successes / N failures / N errors / N pending : T seconds
-- Usage (from the project's root, where .busted is):
--   lua spec/runner.lua [--cpath=P] [--lpath=P] [--filter=PAT]
--                       [--filter-out=PAT] [--tags=T,..] [--exclude-tags=T,..]
--                       [-v|--verbose] [FILE_OR_DIR ...]
-- Options take busted's meaning; the defaults come from .busted.

local unpack = table.unpack
local clock = os.clock

---------------------------------------------------------------------------
-- options
local conf = {}
do
  local f = loadfile(".busted")
  if f then
    local ok, t = pcall(f)
    if ok and type(t) == "table" then conf = t.default or {} end
  end
end

local opts = {
  lpath = conf.lpath or "./src/?.lua;./src/?/?.lua;./src/?/init.lua",
  cpath = conf.cpath or "./csrc/?.so;./csrc/?/?.so;./csrc/?/init.so",
  roots = {}, pattern = conf.pattern or "_spec",
  filter = {}, filter_out = {}, tags = {}, exclude_tags = {},
}
local function list(s, into)
  for w in s:gmatch("[^,%s]+") do into[#into + 1] = w end
end
for _, a in ipairs(arg) do
  local k, v = a:match("^%-%-([%w-]+)=(.*)$")
  if k == "cpath" then opts.cpath = v
  elseif k == "lpath" then opts.lpath = v
  elseif k == "pattern" or k == "p" then opts.pattern = v
  elseif k == "filter" then opts.filter[#opts.filter + 1] = v
  elseif k == "filter-out" then opts.filter_out[#opts.filter_out + 1] = v
  elseif k == "tags" or k == "t" then list(v, opts.tags)
  elseif k == "exclude-tags" then list(v, opts.exclude_tags)
  elseif a == "-v" or a == "--verbose" then opts.verbose = true
  elseif a:sub(1, 1) == "-" then
    io.stderr:write("runner: ignoring option ", a, "\n")
  else opts.roots[#opts.roots + 1] = a end
end
if #opts.roots == 0 then
  local r = conf.ROOT or {"spec"}
  for _, d in ipairs(type(r) == "table" and r or {r}) do opts.roots[#opts.roots + 1] = d end
end
package.path = opts.lpath .. ";" .. package.path
package.cpath = opts.cpath .. ";" .. package.cpath

---------------------------------------------------------------------------
-- assertions (luassert's semantics for what the specs use)
local FailMt = {__tostring = function(e) return e.message end}

local function fmt(v)
  if type(v) == "string" then return ("(string) %q"):format(v) end
  return ("(%s) %s"):format(type(v), tostring(v))
end

-- luassert's util.deepcompare(t1, t2, ignore_mt = true) at the top level
local function deepcompare(t1, t2, ignore_mt, cycles, thresh1, thresh2)
  if type(t1) ~= "table" or type(t2) ~= "table" then return t1 == t2 end
  local mt1, mt2 = debug.getmetatable(t1), debug.getmetatable(t2)
  if mt1 and mt1 == mt2 and mt1.__eq then
    if not ignore_mt then return t1 == t2 end
  elseif rawequal(t1, t2) then return true end
  cycles = cycles or {{}, {}}
  thresh1, thresh2 = thresh1 or 1, thresh2 or 1
  cycles[1][t1] = cycles[1][t1] or 0
  cycles[2][t2] = cycles[2][t2] or 0
  if cycles[1][t1] == 1 or cycles[2][t2] == 1 then
    thresh1, thresh2 = cycles[1][t1] + 1, cycles[2][t2] + 1
  end
  if cycles[1][t1] > thresh1 and cycles[2][t2] > thresh2 then return true end
  cycles[1][t1], cycles[2][t2] = cycles[1][t1] + 1, cycles[2][t2] + 1
  for k1, v1 in next, t1 do
    local v2 = t2[k1]
    if v2 == nil then return false, {k1} end
    local same, crumbs = deepcompare(v1, v2, nil, cycles, thresh1, thresh2)
    if not same then
      crumbs = crumbs or {}
      crumbs[#crumbs + 1] = k1
      return false, crumbs
    end
  end
  for k2 in next, t2 do
    if t1[k2] == nil then return false, {k2} end
  end
  cycles[1][t1], cycles[2][t2] = cycles[1][t1] - 1, cycles[2][t2] - 1
  return true
end

local function path_of(crumbs)
  if not crumbs then return "" end
  local p = {}
  for i = #crumbs, 1, -1 do p[#p + 1] = "[" .. fmt(crumbs[i]) .. "]" end
  return "\nAt: " .. table.concat(p)
end

-- each returns ok, description, and the index of its optional message
local checks = {}
checks.equal = function(a) return rawequal(a[1], a[2]) or a[1] == a[2],
  "Expected objects to be equal.\nPassed in:\n" .. fmt(a[2]) .. "\nExpected:\n" .. fmt(a[1]), 3 end
checks.equals = checks.equal
checks.same = function(a)
  local ok, crumbs = deepcompare(a[1], a[2], true)
  return ok, "Expected objects to be the same.\nPassed in:\n" .. fmt(a[2]) ..
    "\nExpected:\n" .. fmt(a[1]) .. path_of(crumbs), 3
end
checks["true"] = function(a) return a[1] == true, "Expected true.\nPassed in:\n" .. fmt(a[1]), 2 end
checks["false"] = function(a) return a[1] == false, "Expected false.\nPassed in:\n" .. fmt(a[1]), 2 end
checks.truthy = function(a) return a[1] ~= nil and a[1] ~= false,
  "Expected to be truthy, but value was:\n" .. fmt(a[1]), 2 end
checks.falsy = function(a) return a[1] == nil or a[1] == false,
  "Expected to be falsy, but value was:\n" .. fmt(a[1]), 2 end
for _, t in ipairs{"nil", "boolean", "number", "string", "table", "function", "userdata", "thread"} do
  checks[t] = function(a) return type(a[1]) == t,
    "Expected type " .. t .. ".\nPassed in:\n" .. fmt(a[1]), 2 end
end
checks.matches = function(a)
  local pattern, s, init, plain = a[1], a[2], a[3], a[4]
  local msg_at = 5
  if init ~= nil and type(init) ~= "boolean" and not tonumber(init) then
    msg_at, init, plain = 3, nil, nil
  elseif plain ~= nil and type(plain) ~= "boolean" and not tonumber(plain) then
    msg_at, plain = 4, nil
  end
  if type(s) == "number" or (type(s) ~= "string" and (getmetatable(s) or {}).__tostring) then
    s = tostring(s)
  end
  assert(type(pattern) == "string", "bad argument #1 to 'matches' (string expected)")
  assert(type(s) == "string", "bad argument #2 to 'matches' (string expected, got " .. type(s) .. ")")
  local ok = s:find(pattern, init, plain) ~= nil
  return ok, "Expected strings to match.\nPassed in:\n" .. fmt(s) .. "\nExpected:\n" .. fmt(pattern), msg_at
end
checks.match = checks.matches
-- error(fn [, expected]): fn raises; expected, if given, equals the error
-- (a string expected is compared with the message, position included)
checks.error = function(a)
  local fn, want = a[1], a[2]
  local ok, err = pcall(fn, unpack(a, 3, a.n))
  if ok then return false, "Expected a different error.\nCaught:\n(none)", 3 end
  if a.n < 2 then return true, "Expected no error.\nCaught:\n" .. fmt(err), 3 end
  local same = err == want or deepcompare(err, want, true)
  return same, "Expected a different error.\nCaught:\n" .. fmt(err) .. "\nExpected:\n" .. fmt(want), 3
end
checks.errors = checks.error
checks.error_matches = function(a)
  local fn, pattern = a[1], a[2]
  local ok, err = pcall(fn)
  local s = not ok and (type(err) == "string" and err or tostring(err)) or nil
  return s ~= nil and s:find(pattern, a[3], a[4]) ~= nil,
    "Expected an error matching " .. fmt(pattern) .. "\nCaught:\n" .. fmt(s), 5
end
checks.near = function(a) return math.abs(a[1] - a[2]) <= a[3],
  "Expected values to be near.\nPassed in:\n" .. fmt(a[2]) .. "\nExpected:\n" .. fmt(a[1]), 4 end

local modifiers = {is = true, are = true, was = true, has = true, have = true,
                   does = true, did = true, to = true, be = true, a = true, an = true}
local negations = {["not"] = true, no = true}

local function fail(msg, level)
  local info = debug.getinfo(level + 1, "Sl")
  local where = info and info.currentline > 0 and
    (info.short_src .. ":" .. info.currentline .. ": ") or ""
  error(setmetatable({message = where .. msg}, FailMt), 0)
end

local chain
-- key: "is_not_equal", "are_not", "true", "error_matches", ...
local function step(neg, key)
  local words = {}
  for w in key:gmatch("[^_]+") do words[#words + 1] = w end
  local i = 1
  while i <= #words and (modifiers[words[i]] or negations[words[i]]) do
    if negations[words[i]] then neg = not neg end
    i = i + 1
  end
  if i > #words then return chain(neg) end
  local name = table.concat(words, "_", i)
  local check = checks[name]
  if not check then error("runner: unknown assertion '" .. key .. "'", 3) end
  return function(...)
    local a = table.pack(...)
    local ok, desc, msg_at = check(a)
    if neg then ok = not ok; desc = "(negated) " .. desc end
    if not ok then
      local msg = a[msg_at]
      fail(msg ~= nil and tostring(msg) .. "\n" .. desc or desc, 2)
    end
    return ...
  end
end

function chain(neg)
  return setmetatable({}, {__index = function(_, k) return step(neg, k) end})
end

local assert_ = setmetatable({}, {
  __index = function(_, k) return step(false, k) end,
  __call = function(_, v, msg, ...)
    if not v then
      if msg == nil then msg = "assertion failed!" end
      if type(msg) ~= "string" and type(msg) ~= "number" then error(msg, 2) end
      fail(tostring(msg), 2)
    end
    return v, msg, ...
  end,
})

---------------------------------------------------------------------------
-- the tree of blocks
local PendingMt = {__tostring = function(p) return p.message end}

local current                 -- the describe being collected
local counts = {success = 0, failure = 0, error = 0, pending = 0}
local reports = {failure = {}, error = {}, pending = {}}
local marks = {success = "+", failure = "-", error = "*", pending = "."}

local function new_block(kind, name, fn, parent, where)
  return {kind = kind, name = name, fn = fn, parent = parent, where = where,
          children = {}, before = {}, after = {}, setup = {}, teardown = {}}
end

local function caller_where()
  local info = debug.getinfo(4, "Sl")
  return info and (info.short_src .. ":" .. info.currentline) or "?"
end

local function add(kind, name, fn)
  if not current then error(kind .. " outside a describe or a file", 3) end
  local b = new_block(kind, name, fn, current, caller_where())
  current.children[#current.children + 1] = b
  return b
end

local function full_name(b)
  local parts = {}
  while b do
    if b.name then table.insert(parts, 1, b.name) end
    b = b.parent
  end
  return table.concat(parts, " ")
end

local function tags_of(name)
  local t = {}
  for tag in name:gmatch("#([%w_%-]+)") do t[tag] = true end
  return t
end

local function selected(b)
  local name = full_name(b)
  local tags = tags_of(name)
  for _, tag in ipairs(opts.exclude_tags) do if tags[tag] then return false end end
  if #opts.tags > 0 then
    local any = false
    for _, tag in ipairs(opts.tags) do if tags[tag] then any = true end end
    if not any then return false end
  end
  for _, p in ipairs(opts.filter_out) do if name:find(p) then return false end end
  if #opts.filter > 0 then
    for _, p in ipairs(opts.filter) do if name:find(p) then return true end end
    return false
  end
  return true
end

local function report(status, b, msg)
  counts[status] = counts[status] + 1
  io.write(marks[status])
  io.flush()
  if status ~= "success" then
    local list = reports[status]
    list[#list + 1] = {name = full_name(b), where = b.where, msg = msg}
  end
end

local function errmsg(e)
  if type(e) == "string" then return e end
  local mt = getmetatable(e)
  if mt and mt.__tostring then return tostring(e) end
  return tostring(e) .. " (" .. type(e) .. ")"
end

local function classify(e)
  local mt = debug.getmetatable(e)
  if mt == FailMt then return "failure"
  elseif mt == PendingMt then return "pending" end
  return "error"
end

local finalizers                -- the running it's finally functions

local function protected(fn)
  local ok, e = xpcall(fn, function(e)
    if opts.verbose and classify(e) == "error" and type(e) ~= "table" then
      return debug.traceback(errmsg(e), 2)
    end
    return e
  end)
  return ok, e
end

local function has_selected(b)
  if b.kind == "it" or b.kind == "pending" then return selected(b) end
  if not b.collected then return true end   -- its body has not run yet
  for _, c in ipairs(b.children) do
    if has_selected(c) then return true end
  end
  return false
end

local function run_hooks(b, field, down)
  -- before_each runs outermost first, after_each innermost first
  local chain_ = {}
  while b do table.insert(chain_, down and 1 or #chain_ + 1, b) b = b.parent end
  for _, d in ipairs(chain_) do
    for _, h in ipairs(d[field]) do
      local ok, e = protected(h)
      if not ok then return false, e end
    end
  end
  return true
end

local run_block

local function run_it(b)
  if not selected(b) then return end
  if b.kind == "pending" or not b.fn then report("pending", b, "") return end
  finalizers = {}
  local ok, e = run_hooks(b.parent, "before", true)
  local status, msg = "success", nil
  if ok then ok, e = protected(b.fn) end
  if not ok then status, msg = classify(e), errmsg(e) end
  for i = #finalizers, 1, -1 do
    local fok, fe = protected(finalizers[i])
    if not fok and status == "success" then status, msg = "error", errmsg(fe) end
  end
  finalizers = nil
  local aok, ae = run_hooks(b.parent, "after", false)
  if not aok and status == "success" then status, msg = "error", errmsg(ae) end
  report(status, b, msg)
end

local function run_describe(b)
  if b.fn then
    local saved = current
    current = b
    local ok, e = protected(b.fn)
    current = saved
    if not ok then report("error", b, errmsg(e)) return end
  end
  b.collected = true
  if not has_selected(b) then return end
  for _, h in ipairs(b.setup) do
    local ok, e = protected(h)
    if not ok then report("error", b, errmsg(e)) return end
  end
  for _, c in ipairs(b.children) do run_block(c) end
  for _, h in ipairs(b.teardown) do
    local ok, e = protected(h)
    if not ok then report("error", b, errmsg(e)) end
  end
end

function run_block(b)
  if b.kind == "describe" then run_describe(b) else run_it(b) end
end

---------------------------------------------------------------------------
-- the globals specs see
local env = {}
function env.describe(name, fn) add("describe", name, fn) end
env.context = env.describe
function env.it(name, fn) if fn then add("it", name, fn) end end
env.spec, env.test = env.it, env.it
function env.pending(name)
  if current and finalizers == nil then add("pending", name) return end
  error(setmetatable({message = name or ""}, PendingMt), 2)
end
function env.before_each(fn) table.insert(current.before, fn) end
function env.after_each(fn) table.insert(current.after, fn) end
function env.setup(fn) table.insert(current.setup, fn) end
function env.teardown(fn) table.insert(current.teardown, fn) end
env.lazy_setup, env.strict_setup = env.setup, env.setup
env.lazy_teardown, env.strict_teardown = env.teardown, env.teardown
function env.finally(fn)
  if not finalizers then error("finally outside an it", 2) end
  finalizers[#finalizers + 1] = fn
end
env.assert = assert_

---------------------------------------------------------------------------
-- files
local function is_dir(p)
  local f = io.open(p, "r")
  if not f then return false end
  local _, _, code = f:read(1)
  f:close()
  return code == 21    -- EISDIR
end

local function find_specs(root)
  if not is_dir(root) then return {root} end
  local files = {}
  local p = io.popen("find '" .. root:gsub("'", "'\\''") .. "' -type f -name '*.lua' 2>/dev/null")
  for line in p:lines() do
    local base = line:match("([^/]+)%.lua$")
    if base and base:find(opts.pattern) then files[#files + 1] = line end
  end
  p:close()
  table.sort(files)
  return files
end

local function run_file(path)
  local saved_loaded, saved_G = {}, {}
  for k, v in pairs(package.loaded) do saved_loaded[k] = v end
  for k, v in pairs(_G) do saved_G[k] = v end
  for k, v in pairs(env) do _G[k] = v end
  local file = new_block("describe", nil, nil, nil, path)
  local chunk, err = loadfile(path)
  if chunk then
    current = file
    local ok, e = protected(chunk)
    current = nil
    if not ok then report("error", file, errmsg(e)) end
    if ok then run_describe(file) end
  else
    report("error", file, err)
  end
  -- insulate: what the file required or set globally goes away
  for k in pairs(package.loaded) do
    if saved_loaded[k] == nil then package.loaded[k] = nil end
  end
  for k, v in pairs(saved_loaded) do package.loaded[k] = v end
  for k in pairs(_G) do if saved_G[k] == nil then _G[k] = nil end end
  for k, v in pairs(saved_G) do _G[k] = v end
end

local start = clock()
local t0 = os.time()
for _, root in ipairs(opts.roots) do
  for _, path in ipairs(find_specs(root)) do run_file(path) end
end
local elapsed = clock() - start
if os.time() - t0 > elapsed + 1 then elapsed = os.time() - t0 end
io.write("\n")

local function plural(n, one, many) return n .. " " .. (n == 1 and one or many) end
print(("%s / %s / %s / %d pending : %.6f seconds"):format(
  plural(counts.success, "success", "successes"),
  plural(counts.failure, "failure", "failures"),
  plural(counts.error, "error", "errors"),
  counts.pending, elapsed))

for _, kind in ipairs{"pending", "failure", "error"} do
  local title = ({pending = "Pending", failure = "Failure", error = "Error"})[kind]
  for _, r in ipairs(reports[kind]) do
    print()
    print(title .. " → " .. r.where)
    print(r.name)
    if r.msg and r.msg ~= "" then print(r.msg) end
  end
end

os.exit(math.min(counts.failure + counts.error, 255) == 0 and 0 or 1, true)
