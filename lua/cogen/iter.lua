--[[
cogen.iter: pull-style adapters. from_callback turns a function that
pushes values to a callback into a generator; map, filter, take, drop,
zip, chain, enumerate and collect are Python's small iteration helpers.

A source is a cogen generator, a table (its items t[1], t[2], ... up to the
first nil, as cogen.yield_from takes them) or an iterator function. Where a
helper takes one source it also takes the generic for's four values, so
map(f, pairs(t)) and map(f, io.lines(name)) work.

The helpers return generators: lazy, composable and closable. A helper
owns its sources: when it stops (at their end, early as take does, by an
error, or because it is closed) it closes them, a generator by close() and
a closing value by its __close. A helper closed before its first resume has
run nothing, so its sources are left to the collector, as in Python.

A step of a source may carry any number of values, nil included; the helpers
keep them all (zip takes the first of each). Only a table or a function
source ends at a first nil, as ipairs and the generic for do.
]]
local core = require "cogen.core"

local new, yield, yield_from = core.new, core.yield, core.yield_from
local error, getmetatable, select, setmetatable, type =
      error, getmetatable, select, setmetatable, type
local pack, unpack, tointeger = table.pack, table.unpack, math.tointeger

local iter = {}

---------------------------------------------------------------------------
-- arguments
---------------------------------------------------------------------------

local function isgen(v)
  return getmetatable(v) == "cogen.generator"
end

-- "generator", "table" or "function" (a source), or nil
local function kind(v)
  if isgen(v) then return "generator" end
  local t = type(v)
  if t == "table" or t == "function" then return t end
end

local function callable(v)
  if type(v) == "function" then return true end
  local mt = getmetatable(v)
  return type(mt) == "table" and mt.__call ~= nil
end

-- a Lua-style argument error at the caller of the helper named fname;
-- level counts from this function (3: the helper's caller)
local function argerror(i, fname, expected, v, level)
  error(("bad argument #%d to '%s' (%s expected, got %s)")
        :format(i, fname, expected, type(v)), level or 3)
end

local function checkcount(n, i, fname)
  local k = tointeger(n)
  if not k or k < 0 then argerror(i, fname, "non-negative integer", n, 4) end
  return k
end

---------------------------------------------------------------------------
-- sources
---------------------------------------------------------------------------

-- after g(): true and the values g yielded, or false when g has ended.
-- A generator may yield nothing, so an empty step is an end only when g is
-- closed.
local function genstep(g, ...)
  if select("#", ...) == 0 and g:status() == "closed" then return false end
  return true, ...
end

--[[
The argument i of fname (with the generic for's state, control and closing
values after it) as a step function and the value to close when done.
step() returns true and the values of one step, or false at the end.
]]
local function source(fname, i, src, state, control, closing)
  local k = kind(src)
  if k == "generator" then
    return function() return genstep(src, src()) end, src
  elseif k == "function" then
    local function step(v, ...)
      if v == nil then return false end
      control = v
      return true, v, ...
    end
    return function() return step(src(state, control)) end, closing
  elseif k == "table" then
    local n = 0
    return function()
      n = n + 1
      local v = src[n]
      if v == nil then return false end
      return true, v
    end, nil
  end
  argerror(i, fname, "generator, table or function", src, 4)
end

-- close list[i], ..., list[list.n] as a block of <close> variables would:
-- every one, even when one of them raises
local function closefrom(list, i)
  if i <= list.n then
    local _ <close> = list[i]
    closefrom(list, i + 1)
  end
end

-- a to-be-closed value that closes the values in list
local function closeall(list)
  return setmetatable({}, {__close = function() closefrom(list, 1) end})
end

-- a generator that calls act(step()) until act returns false, and closes
-- closer when it stops
local function over(step, closer, act)
  return new(function()
    local _ <close> = closer
    while act(step()) do end
  end)
end

local function first(v) return v end

local function yielded(ok, ...)
  if ok then yield(...) end
  return ok
end

---------------------------------------------------------------------------
-- the helpers
---------------------------------------------------------------------------

--- A generator that runs fn(emit, ...) and yields what emit receives; emit
-- returns what the caller sends. fn's return values end the generator (the
-- StopIteration value). emit is cogen.yield, so a C library can call it.
function iter.from_callback(fn, ...)
  if not callable(fn) then argerror(1, "from_callback", "function", fn) end
  return new(fn, yield, ...)
end

--- f(...) for the values of each step of the source.
function iter.map(f, ...)
  if not callable(f) then argerror(1, "map", "function", f) end
  local step, closer = source("map", 2, ...)
  return over(step, closer, function(ok, ...)
    if ok then yield(f(...)) end
    return ok
  end)
end

--- The steps whose values pass pred(...); with pred nil, those whose first
-- value is true (neither nil nor false), like Python's filter(None, ...).
function iter.filter(pred, ...)
  if pred ~= nil and not callable(pred) then
    argerror(1, "filter", "function or nil", pred)
  end
  pred = pred or first
  local step, closer = source("filter", 2, ...)
  return over(step, closer, function(ok, ...)
    if ok and pred(...) then yield(...) end
    return ok
  end)
end

--- The first n steps. The source is closed as soon as the n-th step is
-- taken, before it is yielded: a caller who stops there leaves nothing open.
function iter.take(n, ...)
  n = checkcount(n, 1, "take")
  local step, closer = source("take", 2, ...)
  return new(function()
    local last
    do
      local _ <close> = closer
      for _ = 2, n do
        if not yielded(step()) then return end
      end
      if n > 0 then last = pack(step()) end
    end
    if last and last[1] then yield(unpack(last, 2, last.n)) end
  end)
end

--- The steps after the first n; they are skipped on the first resume.
function iter.drop(n, ...)
  n = checkcount(n, 1, "drop")
  local step, closer = source("drop", 2, ...)
  return over(step, closer, function(ok, ...)
    if not ok then return false end
    if n > 0 then n = n - 1 else yield(...) end
    return true
  end)
end

--- The first values of each source side by side, until the shortest ends.
function iter.zip(...)
  local n = select("#", ...)
  local steps, closers = {}, {n = n}
  for i = 1, n do
    steps[i], closers[i] = source("zip", i, (select(i, ...)))
  end
  return new(function()
    local _ <close> = closeall(closers)
    local row = {}
    while n > 0 do
      for i = 1, n do
        local ok, v = steps[i]()
        if not ok then return end
        row[i] = v
      end
      yield(unpack(row, 1, n))
    end
  end)
end

--- The steps of each source in turn. It delegates with cogen.yield_from,
-- so send and throw reach a generator source.
function iter.chain(...)
  local srcs = pack(...)
  local gens = {n = srcs.n}
  for i = 1, srcs.n do
    local k = kind(srcs[i])
    if not k then argerror(i, "chain", "generator, table or function", srcs[i]) end
    if k == "generator" then gens[i] = srcs[i] end
  end
  return new(function()
    local _ <close> = closeall(gens)
    for i = 1, srcs.n do yield_from(srcs[i]) end
  end)
end

--- i, ... for the i-th step's values, counting from 1.
function iter.enumerate(...)
  local step, closer = source("enumerate", 1, ...)
  local i = 0
  return over(step, closer, function(ok, ...)
    if ok then
      i = i + 1
      yield(i, ...)
    end
    return ok
  end)
end

--- A table of the first value of each step, with their count in n (a nil
-- value leaves a hole). collect(map(table.pack, src)) keeps all values.
function iter.collect(...)
  local step, closer = source("collect", 1, ...)
  local _ <close> = closer
  local t, n = {}, 0
  while true do
    local ok, v = step()
    if not ok then break end
    n = n + 1
    t[n] = v
  end
  t.n = n
  return t
end

return iter
