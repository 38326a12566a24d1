--[[
A reference model of cogen's generator protocol in plain Lua, for the
fuzzer (spec/fuzzer.lua). It follows /work/shared/python-protocol.md
(sections 0 and 2) as cogen's README maps it to Lua, and nothing of cogen's
code: each generator is a plain coroutine, yield_from is PEP 380's
expansion written out in the delegator's own coroutine, close() is
GeneratorExit raised at the pending yield, as in CPython's genobject.c.

The API mirrors cogen's: model.new(fn, ...), g:next(), g:send(...),
g:throw(e), g:close(), g:status(), g() and model.yield, model.yield_from,
model.StopIteration, model.GeneratorExit, model.RuntimeError. On top:
model.collect(g) does what the collector does to a generator that became
garbage (close it; errors are dropped, as cogen turns them into warnings).

Where cogen chose a Lua form for Python's behaviour, the model takes
cogen's choice, as its README documents it:
- close() returns what the body returned (Python 3.13);
- throw into a created generator raises the value as is (3.12+);
- protocol errors are plain strings ("generator already executing",
  "generator ignored GeneratorExit", "can't send non-nil value to a
  just-started generator");
- a generator counts as running while the generator it delegates to runs
  (cogen_isrunning), so resuming it raises at the caller;
- a generator being collected that yields gets an error at that yield
  ("attempt to yield from a generator being collected"), where CPython
  would drop the frame (python-protocol.md 2.2, #58);
- a sent nil (first value) to a table or function iterator means next,
  any other send is an error at the delegation point.

Checked against CPython 3.11.7: the fuzzer's programs, translated to Python
generators, give the same logs as this model on 100,000 seeds, apart from
the choices above, close()'s 3.13 return value, and a StopIteration thrown
into a delegator whose sub is already closed (raised in the delegator
here and by cogen; PEP 380's expansion would end the delegation with its
value, and CPython 3.11 does neither consistently).
]]
local model = {}

local pack, unpack = table.pack, table.unpack

---------------------------------------------------------------------------
-- exception classes: a class is the metatable of its instances
---------------------------------------------------------------------------

local function class(name, make)
  local cls = {__name = "model." .. name}
  cls.__tostring = function(e)
    local detail = e.message
    if detail == nil then detail = e.value end
    if detail == nil then return name end
    return name .. ": " .. tostring(detail)
  end
  return setmetatable(cls, {__call = function(c, ...)
    return setmetatable(make(...), c)
  end})
end

model.StopIteration = class("StopIteration", function(...)
  local values = pack(...)
  return {value = values[1], values = values}
end)
model.GeneratorExit = class("GeneratorExit", function(message)
  return {message = message}
end)
model.RuntimeError = class("RuntimeError", function(message, cause)
  return {message = message, cause = cause}
end)

local StopIteration = model.StopIteration
local GeneratorExit = model.GeneratorExit

local EXECUTING = "generator already executing"
local IGNORED = "generator ignored GeneratorExit"
local PRIMING = "can't send non-nil value to a just-started generator"
local OUTSIDE = "attempt to yield outside a generator"
local COLLECTED = "attempt to yield from a generator being collected"

---------------------------------------------------------------------------
-- generators
---------------------------------------------------------------------------

local Gen = {}
Gen.__index = Gen
Gen.__name = "model.generator"

-- the generator whose body runs now (its coroutine is the running one)
local current = nil

function model.new(fn, ...)
  return setmetatable({state = "created", fn = fn, args = pack(...)}, Gen)
end

-- running: its own code runs, or that of the generator it delegates to
local function isrunning(g)
  while g.sub ~= nil do g = g.sub end
  return g.state == "running"
end

--[[
Run g's coroutine until it yields or its body ends: start it, or answer its
pending yield with cmd ({op = "send" | "throw" | "close", arg = ...}).
Returns "yield", values | "return", values | "error", err. The body runs
under a pcall inside the coroutine, so its to-be-closed variables are
closed before the error leaves, as cogen does before re-raising.
]]
local function run(g, cmd)
  local outer = current
  local ok, kind, payload
  g.state = "running"
  current = g
  if g.co == nil then
    local fn = g.fn
    g.co = coroutine.create(function(...)
      return "end", pack(pcall(fn, ...))
    end)
    ok, kind, payload = coroutine.resume(g.co, unpack(g.args, 1, g.args.n))
  else
    ok, kind, payload = coroutine.resume(g.co, cmd)
  end
  current = outer
  if not ok then error("model: broken coroutine: " .. tostring(kind), 0) end
  if kind == "yield" then
    g.state = "suspended"
    return "yield", payload
  end
  g.state = "closed"
  g.co = nil
  if payload[1] then return "return", pack(unpack(payload, 2, payload.n)) end
  local err = payload[2]
  if getmetatable(err) == StopIteration then  -- PEP 479
    err = model.RuntimeError("generator raised StopIteration", err)
  end
  return "error", err
end

--[[
Give op to g in any state. Raises at the caller, changing nothing, when g
runs or a created g is sent a value; otherwise returns how g answered, as
run does. A created or closed generator answers without running.
]]
local function deliver(g, op, arg)
  if isrunning(g) then error(EXECUTING, 0) end
  if g.state == "created" then
    if op == "send" then
      if arg.n > 0 and arg[1] ~= nil then error(PRIMING, 0) end
      return run(g)
    end
    g.state = "closed"  -- the body never runs
    g.fn, g.args = nil, nil
  end
  if g.state == "closed" then
    if op == "throw" then return "error", arg end
    return "return", pack()
  end
  return run(g, {op = op, arg = arg})
end

-- what the pending yield does with the command of the resumer
local function receive(cmd)
  if cmd.op == "send" then return unpack(cmd.arg, 1, cmd.arg.n) end
  if cmd.op == "throw" then error(cmd.arg, 0) end
  error(GeneratorExit(), 0)
end

-- the running generator, checked as cogen's yields check it
local function yielder()
  if current == nil then error(OUTSIDE, 0) end
  if current.collecting then error(COLLECTED, 0) end
  return current
end

function model.yield(...)
  yielder()
  return receive(coroutine.yield("yield", pack(...)))
end

function Gen:next()
  local kind, v = deliver(self, "send", pack())
  if kind == "yield" then return unpack(v, 1, v.n) end
  if kind == "return" then error(StopIteration(unpack(v, 1, v.n)), 0) end
  error(v, 0)
end

function Gen:send(...)
  local kind, v = deliver(self, "send", pack(...))
  if kind == "yield" then return unpack(v, 1, v.n) end
  if kind == "return" then error(StopIteration(unpack(v, 1, v.n)), 0) end
  error(v, 0)
end

function Gen:throw(err)
  local kind, v = deliver(self, "throw", err)
  if kind == "yield" then return unpack(v, 1, v.n) end
  if kind == "return" then error(StopIteration(unpack(v, 1, v.n)), 0) end
  error(v, 0)
end

-- CPython's gen_close, 3.13: a yield is refused, GeneratorExit swallowed
function Gen:close()
  local kind, v = deliver(self, "close")
  if kind == "yield" then error(IGNORED, 0) end
  if kind == "return" then return unpack(v, 1, v.n) end
  if getmetatable(v) == GeneratorExit then return end
  error(v, 0)
end

function Gen:status()
  if isrunning(self) then return "running" end
  return self.state
end

-- one step of the generic for: nothing instead of StopIteration
function Gen:__call()
  local kind, v = deliver(self, "send", pack())
  if kind == "yield" then return unpack(v, 1, v.n) end
  if kind == "return" then return end
  error(v, 0)
end

-- a '<close>' variable holding a generator: close(), results dropped
function Gen:__close()
  self:close()
end

---------------------------------------------------------------------------
-- delegation: PEP 380's expansion, in the delegator's coroutine
---------------------------------------------------------------------------

-- how sub answers op; an error raised at the caller counts as its answer
local function step(sub, op, arg)
  local ok, kind, v = pcall(deliver, sub, op, arg)
  if not ok then return "error", kind end
  return kind, v
end

local function delegate(g, sub)
  g.sub = sub
  local kind, v = step(sub, "send", pack())
  while true do
    if kind == "return" then
      g.sub = nil
      return unpack(v, 1, v.n)
    elseif kind == "error" then
      g.sub = nil
      error(v, 0)
    end
    local cmd = coroutine.yield("yield", v)
    if cmd.op == "close" or
       (cmd.op == "throw" and getmetatable(cmd.arg) == GeneratorExit) then
      -- the sub is closed first; an error of that closing (its own, or its
      -- yield refused) is raised here instead of the GeneratorExit
      g.sub = nil
      local closed, err = pcall(sub.close, sub)
      if not closed then error(err, 0) end
      if cmd.op == "close" then error(GeneratorExit(), 0) end
      error(cmd.arg, 0)
    end
    kind, v = step(sub, cmd.op, cmd.arg)
  end
end

-- items of a table, or of an iterator f(state, ctl), one yield each
local function yielditems(x, state, ctl)
  local isfunc = type(x) == "function"
  for i = 1, math.huge do
    local v
    if isfunc then
      v = pack(x(state, ctl))
      if v[1] == nil then return end
      ctl = v[1]
    else
      if x[i] == nil then return end
      v = pack(x[i])
    end
    local back = pack(model.yield(unpack(v, 1, v.n)))
    if back.n > 0 and back[1] ~= nil then
      error(("can't send non-nil value to a %s iterator"):format(
        isfunc and "function" or "table"), 0)
    end
  end
end

function model.yield_from(x, ...)
  if getmetatable(x) == Gen then
    local g = yielder()
    if isrunning(x) then error(EXECUTING, 0) end
    return delegate(g, x)
  end
  if current == nil then error(OUTSIDE, 0) end
  local t = type(x)
  if t ~= "table" and t ~= "function" then
    error("bad argument #1 to 'yield_from' (generator, table or function expected)", 0)
  end
  return yielditems(x, ...)
end

function model.running()
  return current
end

function model.isyieldable()
  return current ~= nil and not current.collecting
end

---------------------------------------------------------------------------
-- the collector
---------------------------------------------------------------------------

-- a suspended generator that became garbage: closed as by close(), with
-- its own yields refused; errors of the closing are dropped (warnings)
function model.collect(g)
  if g.state ~= "suspended" or isrunning(g) then return end
  g.collecting = true
  pcall(g.close, g)
end

-- the generator g delegates to, or nil
function model.sub(g)
  return g.sub
end

return model
