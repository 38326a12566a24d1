--[[
Model-based fuzzing of cogen. For each seed:

1. generate a random program: a few generator bodies (yields of random
   values, pcall blocks that catch and swallow, rethrow, yield or return,
   to-be-closed variables that log their closing and may raise or yield,
   returns, errors, loops, operations on the other generators, delegation
   to them, to tables and to iterators) and a list of operations (next,
   send, throw, close, status, a call, a '<close>' variable, dropping the
   last reference and collecting, collecting alone);
2. interpret it twice, in lockstep: once with cogen (whose yields may go
   through C boundaries: table.sort, string.gsub, load, metamethods,
   coroutines, pcall, the cfix fixture), once with spec/model.lua;
3. compare the event logs after each operation: returned values, errors
   (by class, message and identity tag), statuses, each closing of a
   to-be-closed variable with the error it saw, what each yield received.

Each seed stands alone: what a seed leaves open is closed at its end, so
nothing of it is finalized during later seeds. Only one generator becomes
garbage at a time (see droppable), since the collector finalizes several
in an order the model cannot know.

fuzzer.run(seed) returns nil when both agree, or a failure report;
fuzzer.show(prog) and fuzzer.report(failure) print them, fuzzer.shrink(prog)
makes a failing program smaller, fuzzer.trace(prog, side) runs one side.
]]
local cogen = require "cogen"
local model = require "model"

local fuzzer = {}
local pack, unpack = table.pack, table.unpack

local has_cfix, cfix = pcall(require, "cfix")
if not has_cfix then cfix = nil end

---------------------------------------------------------------------------
-- a small deterministic PRNG (an LCG; high bits), independent of
-- math.random so nothing else can disturb a seed
---------------------------------------------------------------------------

local Rng = {}
Rng.__index = Rng

local function rng(seed)
  local r = setmetatable({s = seed * 2654435761 + 1013904223}, Rng)
  for _ = 1, 4 do r:int(0, 1) end
  return r
end

function Rng:int(lo, hi)
  self.s = self.s * 6364136223846793005 + 1442695040888963407
  return lo + ((self.s >> 33) % (hi - lo + 1))
end

function Rng:chance(p)   -- p in percent
  return self:int(1, 100) <= p
end

-- one of the keys of a {key = weight} list, given as {{key, weight}, ...}
function Rng:pick(list)
  local total = 0
  for _, kw in ipairs(list) do total = total + kw[2] end
  local x = self:int(1, total)
  for _, kw in ipairs(list) do
    x = x - kw[2]
    if x <= 0 then return kw[1] end
  end
end

--[[
What the model needs of the running Lua for closers that yield or call
pcall: inside a coroutine, a __close that yields (at a block's normal exit,
on return, while an error unwinds through pcall) or that calls pcall on
return must leave the function's results alone. 5.4.0-5.4.2 refuse such
yields and 5.4.3 loses the results; those releases get no such closers.
]]
local function closers_work(body)
  local function closing()
    return setmetatable({}, {__close = body})
  end
  local co = coroutine.wrap(function()
    pcall(function()
      local _ <close> = closing()
      error("x")
    end)
    do local _ <close> = closing() end
    local function f() local _ <close> = closing(); return "r1", "r2" end
    local function none() end
    local function g() local _ <close> = closing(); return none() end
    local a, b = f()
    return a .. b .. select("#", g())
  end)
  local ok, r = pcall(function()  -- resumed with values, as sends do
    local r = co()
    for i = 1, 4 do
      if r ~= "c" then break end
      r = co(i, i)
    end
    return r
  end)
  return ok and r == "r1r20"
end
fuzzer.closers_yield = closers_work(function() coroutine.yield("c") end)
fuzzer.closers_pcall = closers_work(function() pcall(error, "in close") end)

---------------------------------------------------------------------------
-- programs
---------------------------------------------------------------------------

local VIAS = {
  {"direct", 8}, {"pcall", 2}, {"xpcall", 1}, {"sort", 2}, {"gsub", 2},
  {"index", 1}, {"tostring", 1}, {"load", 1}, {"coroutine", 1},
}
if cfix then
  for _, v in ipairs{{"apply", 1}, {"qsort", 1}, {"recurse", 1}} do
    VIAS[#VIAS + 1] = v
  end
end

local function genval(r)
  local x = r:int(1, 12)
  if x == 1 then return {k = "nil"}
  elseif x == 2 then return {k = "bool", v = r:chance(50)}
  elseif x <= 7 then return {k = "int", v = r:int(0, 99)}
  elseif x <= 10 then return {k = "str", v = "s" .. r:int(0, 99)}
  else return {k = "tab", v = "t" .. r:int(0, 99)} end
end

-- a few values; now and then more than LUA_MINSTACK (20) at once
local function genvals(r, lo, hi)
  local vs = {}
  local n = r:chance(2) and r:int(18, 40) or r:int(lo or 0, hi or 2)
  for i = 1, n do vs[i] = genval(r) end
  return vs
end

local function generr(r, id)
  local k = r:pick{{"str", 5}, {"tab", 3}, {"si", 2}, {"ge", 2}, {"nil", 1}, {"int", 1}}
  local e = {k = k, v = "e" .. id}
  if k == "si" then e.vals = genvals(r, 0, 2) end
  if k == "int" then e.v = r:int(0, 9) end
  return e
end

local genblock

-- a statement; return and error only end blocks (last is true there)
local function genstmt(r, ctx, depth, last, kind)
  ctx.n = ctx.n + 1
  local id = ctx.n
  local nested = depth < ctx.maxdepth
  local t = kind or r:pick{
    {"yield", 10}, {"try", nested and 5 or 0}, {"tbc", nested and 4 or 0},
    {"op", 4}, {"from", 2}, {"return", last and 2 or 0},
    {"error", last and 2 or 0}, {"loop", nested and 2 or 0}, {"who", 1},
  }
  local s = {t = t, id = id}
  if t == "yield" then
    s.vals = genvals(r, 0, 2)
    s.via = r:pick(VIAS)
  elseif t == "try" then
    s.body = genblock(r, ctx, depth + 1)
    s.after = r:pick{{"swallow", 3}, {"rethrow", 2}, {"rethrow_ge", 3}, {"return", 1}}
    if s.after == "return" then s.vals = genvals(r, 0, 2) end
    if r:chance(40) then s.handler = genblock(r, ctx, depth + 1, 1) end
  elseif t == "tbc" then
    s.ck = r:pick{{"log", 6}, {"error", 1},
                  {"yield", fuzzer.closers_yield and 2 or 0},
                  {"op", fuzzer.closers_pcall and 1 or 0}}
    if s.ck == "yield" then
      s.vals = genvals(r, 0, 1)
      s.via = r:pick(VIAS)
    elseif s.ck == "op" then  -- the closer acts on a generator
      s.op = genstmt(r, ctx, ctx.maxdepth, false, "op")
    end
    s.cfix = cfix ~= nil and r:chance(25)
    s.body = genblock(r, ctx, depth + 1)
  elseif t == "op" then
    s.j = r:int(1, ctx.ngens)
    s.op = r:pick{{"next", 4}, {"send", 2}, {"throw", 2}, {"close", 2},
                  {"status", 1}, {"call", 1}, {"tbc", 1}}
    if s.op == "send" then s.vals = genvals(r, 0, 2) end
    if s.op == "throw" then s.err = generr(r, id) end
    s.protected = r:chance(85)
  elseif t == "from" then
    s.src = r:pick{{"gen", 5}, {"table", 1}, {"ipairs", 1}, {"closure", 1}}
    if s.src == "gen" then s.j = r:int(1, ctx.ngens)
    else s.vals = genvals(r, 0, 3) end
    s.protected = r:chance(50)
  elseif t == "return" then
    s.vals = genvals(r, 0, 2)
  elseif t == "error" then
    s.err = generr(r, id)
  elseif t == "loop" then
    s.n = r:int(2, 3)
    s.body = genblock(r, ctx, depth + 1, 3, true)
  end
  return s
end

-- a block of up to max statements; a loop's body (open) does not end
function genblock(r, ctx, depth, max, open)
  local b = {}
  local n = r:int(1, max or 3)
  for i = 1, n do
    b[i] = genstmt(r, ctx, depth, i == n and not open and r:chance(30))
  end
  return b
end

local function genop(r, ngens, id)
  local late = id > 4
  local k = r:pick{
    {"next", 10}, {"send", 5}, {"throw", late and 3 or 1},
    {"close", late and 2 or 0}, {"status", 1}, {"call", 1},
    {"tbc", late and 1 or 0}, {"drop", late and 2 or 0}, {"collect", 1},
  }
  local op = {k = k, i = r:int(1, ngens)}
  if k == "send" then
    op.vals = genvals(r, 0, 2)
    if r:chance(30) then table.insert(op.vals, 1, {k = "nil"}) end
  elseif k == "throw" then
    op.err = generr(r, "x" .. id)
  end
  return op
end

-- the program of a seed
function fuzzer.generate(seed, opts)
  opts = opts or {}
  local r = rng(seed)
  local ngens = r:pick{{1, 1}, {2, 3}, {3, 3}}
  local ctx = {n = 0, ngens = ngens, maxdepth = opts.maxdepth or 3}
  local prog = {seed = seed, gens = {}, ops = {}}
  for i = 1, ngens do
    prog.gens[i] = {args = genvals(r, 0, 2), body = genblock(r, ctx, 1, 5)}
  end
  for k = 1, opts.nops or 20 do prog.ops[k] = genop(r, ngens, k) end
  return prog
end

---------------------------------------------------------------------------
-- describing values, the same way for both sides
---------------------------------------------------------------------------

-- a string error loses a "file:line:" position, which differs by design
local function plain(s)
  return (s:gsub("^[^%s:]+:%d+: ", ""))
end

local function describer(C)
  local desc
  local function descpack(t)
    local parts = {}
    for i = 1, t.n do parts[i] = desc(t[i]) end
    return "(" .. table.concat(parts, ",") .. ")"
  end
  function desc(v)
    local t = type(v)
    if t == "string" then return ("%q"):format(plain(v)) end
    if t ~= "table" then return tostring(v) end
    local mt = getmetatable(v)
    local tag = v.tag and ("#" .. v.tag) or ""
    if mt == C.StopIteration then
      return "StopIteration" .. descpack(v.values or {n = 0}) .. tag
    elseif mt == C.GeneratorExit then
      return "GeneratorExit" .. tag
    elseif mt == C.RuntimeError then
      return "RuntimeError(" .. desc(v.message) .. ", cause " .. desc(v.cause) .. ")"
    elseif v.tag then
      return "T" .. tag
    end
    return "table?"
  end
  return desc, descpack
end

---------------------------------------------------------------------------
-- the interpreter, shared by both sides; env holds what differs
---------------------------------------------------------------------------

-- a fresh value of a spec: tables are new objects, tagged by their place in
-- the program and how many the side made so far
local function val(env, spec)
  local k = spec.k
  if k == "nil" then return nil
  elseif k == "bool" or k == "int" or k == "str" then return spec.v end
  env.made = env.made + 1
  return {tag = spec.v .. "." .. env.made}
end

local function vals(env, specs)
  local out = {n = #specs}
  for i, spec in ipairs(specs) do out[i] = val(env, spec) end
  return unpack(out, 1, out.n)
end

local function mkerr(env, spec)
  local k = spec.k
  if k == "str" then return spec.v
  elseif k == "nil" then return nil
  elseif k == "int" then return spec.v end
  env.made = env.made + 1
  local tag = spec.v .. "." .. env.made
  local e
  if k == "tab" then e = {}
  elseif k == "si" then e = env.C.StopIteration(vals(env, spec.vals))
  else e = env.C.GeneratorExit() end
  e.tag = tag
  return e
end

local exec, stmt

local function closer(env, s)
  return setmetatable({}, {__close = function(_, err)
    env.log(("c%d close %s"):format(s.id, env.desc(err)))
    if s.ck == "error" then
      error("cerr" .. s.id, 0)
    elseif s.ck == "yield" then
      local got = pack(env.yield(s.via, vals(env, s.vals)))
      env.log(("c%d got %s"):format(s.id, env.descpack(got)))
    elseif s.ck == "op" then
      stmt(env, s.op)
    end
  end})
end

local function tbc(env, s)
  local c = closer(env, s)
  if s.cfix and env.toclose then
    return env.toclose(c, exec, env, s.body)
  end
  local _ <close> = c
  return exec(env, s.body)
end

-- an operation of a body on generator j, logged; errors raised unless
-- protected
local function genop(env, s)
  local r
  if s.op == "send" then r = pack(pcall(env.genop, s.j, "send", vals(env, s.vals)))
  elseif s.op == "throw" then r = pack(pcall(env.genop, s.j, "throw", mkerr(env, s.err)))
  else r = pack(pcall(env.genop, s.j, s.op)) end
  if r[1] then
    env.log(("o%d %s g%d -> %s"):format(s.id, s.op, s.j,
      env.descpack(pack(unpack(r, 2, r.n)))))
  else
    env.log(("o%d %s g%d -> error %s"):format(s.id, s.op, s.j, env.desc(r[2])))
    if not s.protected then error(r[2], 0) end
  end
end

local function from(env, s)
  local r
  if s.src == "gen" then
    r = pack(pcall(env.genfrom, s.j))
  elseif s.src == "table" then
    r = pack(pcall(env.yield_from, {vals(env, s.vals)}))
  elseif s.src == "ipairs" then
    r = pack(pcall(env.yield_from, ipairs({vals(env, s.vals)})))
  else
    local list, i = {vals(env, s.vals)}, 0
    r = pack(pcall(env.yield_from, function() i = i + 1; return list[i] end))
  end
  if r[1] then
    env.log(("f%d -> %s"):format(s.id, env.descpack(pack(unpack(r, 2, r.n)))))
  else
    env.log(("f%d -> error %s"):format(s.id, env.desc(r[2])))
    if not s.protected then error(r[2], 0) end
  end
end

-- run one statement; returns {ret = values} when the body returns
function stmt(env, s)
  local t = s.t
  if t == "yield" then
    local got = pack(env.yield(s.via, vals(env, s.vals)))
    env.log(("y%d got %s"):format(s.id, env.descpack(got)))
  elseif t == "try" then
    local r = pack(pcall(exec, env, s.body))
    if r[1] then return r[2] end
    local e = r[2]
    env.log(("t%d caught %s"):format(s.id, env.desc(e)))
    if s.handler then
      local sig = exec(env, s.handler)
      if sig then return sig end
    end
    if s.after == "rethrow" or
       (s.after == "rethrow_ge" and getmetatable(e) == env.C.GeneratorExit) then
      error(e, 0)
    elseif s.after == "return" then
      return {ret = pack(vals(env, s.vals))}
    end
  elseif t == "tbc" then
    return tbc(env, s)
  elseif t == "op" then
    genop(env, s)
  elseif t == "from" then
    from(env, s)
  elseif t == "return" then
    return {ret = pack(vals(env, s.vals))}
  elseif t == "error" then
    error(mkerr(env, s.err), 0)
  elseif t == "loop" then
    for _ = 1, s.n do
      local sig = exec(env, s.body)
      if sig then return sig end
    end
  elseif t == "who" then
    env.log(("w%d running g%s, yieldable %s"):format(s.id,
      tostring(env.running()), tostring(env.isyieldable())))
  end
end

function exec(env, block)
  for _, s in ipairs(block) do
    local sig = stmt(env, s)
    if sig then return sig end
  end
end

local function body(env, i, spec)
  return function(...)
    env.log(("g%d start %s"):format(i, env.descpack(pack(...))))
    local sig = exec(env, spec.body)
    if sig then return unpack(sig.ret, 1, sig.ret.n) end
  end
end

---------------------------------------------------------------------------
-- the two sides
---------------------------------------------------------------------------

-- cogen.yield, reached through the C boundary the program chose
local function cogen_yield(via, ...)
  local Y = cogen.yield
  if via == "direct" then return Y(...) end
  local args, got, done = pack(...), nil, false
  local function inner()
    if done then return end   -- sorts may compare more than once
    done = true
    got = pack(Y(unpack(args, 1, args.n)))
  end
  if via == "pcall" then
    local ok, e = pcall(inner)
    if not ok then error(e, 0) end
  elseif via == "xpcall" then
    local ok, e = xpcall(inner, function(m) return m end)
    if not ok then error(e, 0) end
  elseif via == "sort" then
    table.sort({1, 2}, function() inner(); return false end)
  elseif via == "gsub" then
    string.gsub("x", "x", function() inner() end)
  elseif via == "index" then
    local _ = setmetatable({}, {__index = function() inner() end}).x
  elseif via == "tostring" then
    tostring(setmetatable({}, {__tostring = function() inner(); return "" end}))
  elseif via == "load" then
    local f, e = load(function() inner(); return nil end)
    if not f then error(e, 0) end
  elseif via == "coroutine" then
    local co = coroutine.create(inner)
    local ok, e = coroutine.resume(co)
    if not ok then error(e, 0) end
  elseif via == "apply" then
    cfix.apply(inner)
  elseif via == "qsort" then
    cfix.qsort({1, 2}, function() inner(); return 0 end)
  elseif via == "recurse" then
    cfix.recurse(3, function() inner(); return 0 end)
  else
    error("unknown boundary " .. tostring(via))
  end
  return unpack(got, 1, got.n)
end

local function newenv(C, log)
  local env = {C = C, made = 0}
  env.desc, env.descpack = describer(C)
  local trace = os.getenv("COGEN_FUZZ_TRACE")
  env.log = function(line)
    log[#log + 1] = line
    if trace then io.stderr:write(C == cogen and "[cogen] " or "[model] ", line, "\n") end
  end
  return env
end

local function tbcclose(g)
  local _ <close> = g
end

-- both worlds: a pool of generators, the operations, a log
local function world(prog, side)
  local w = {log = {}, pool = {}, all = {}, side = side, ngens = #prog.gens}
  local C = side == "cogen" and cogen or model
  local env = newenv(C, w.log)
  w.env = env
  local pool = w.pool
  if side == "cogen" then
    env.yield = cogen_yield
    env.yield_from = cogen.yield_from
    env.toclose = cfix and cfix.toclose
    env.new = cogen.new
    env.isyieldable = cogen.isyieldable
  else
    env.yield = function(_, ...) return model.yield(...) end
    env.yield_from = model.yield_from
    env.new = model.new
    env.isyieldable = model.isyieldable
  end
  -- g is a local of these small functions only, so no suspended frame of
  -- the interpreter keeps a generator alive by accident
  function env.genop(j, op, ...)
    local g = pool[j]
    if g == nil then return "gone" end
    if op == "status" then return g:status() end
    if op == "call" then return g() end
    if op == "tbc" then return tbcclose(g) end
    return g[op](g, ...)
  end
  -- the index of the running generator, or nil
  function env.running()
    local g = (side == "cogen" and cogen or model).running()
    if g == nil then return nil end
    for i = 1, w.ngens do
      if pool[i] == g then return i end
    end
    return "?"
  end
  function env.genfrom(j)
    local g = pool[j]
    if g == nil then return "gone" end
    return env.yield_from(g)
  end
  for i, spec in ipairs(prog.gens) do
    pool[i] = env.new(body(env, i, spec), vals(env, spec.args))
    if side == "model" then w.all[i] = pool[i] end
  end
  return w
end

-- one driver operation, logged with its outcome
local function drive(w, k, op, drop)
  local env, pool = w.env, w.pool
  local log = env.log
  if op.k == "collect" or (op.k == "drop" and not drop) then
    log(("#%d collect"):format(k))
    if w.side == "cogen" then collectgarbage(); collectgarbage() end
    return
  end
  if op.k == "drop" then
    log(("#%d drop g%d"):format(k, op.i))
    if w.side == "cogen" then
      pool[op.i] = nil
      collectgarbage()
      collectgarbage()
    else
      local g = pool[op.i]
      pool[op.i] = nil
      model.collect(g)
    end
    return
  end
  if pool[op.i] == nil then
    log(("#%d %s g%d: dropped"):format(k, op.k, op.i))
    return
  end
  local r
  if op.k == "send" then
    r = pack(pcall(env.genop, op.i, "send", vals(env, op.vals)))
  elseif op.k == "throw" then
    r = pack(pcall(env.genop, op.i, "throw", mkerr(env, op.err)))
  elseif op.k == "tbc" then
    r = pack(pcall(function() tbcclose(pool[op.i]) end))
  else
    r = pack(pcall(env.genop, op.i, op.k))
  end
  if r[1] then
    log(("#%d %s g%d -> %s"):format(k, op.k, op.i, env.descpack(pack(unpack(r, 2, r.n)))))
  else
    log(("#%d %s g%d -> error %s"):format(k, op.k, op.i, env.desc(r[2])))
  end
end

local function statuses(w)
  local parts = {}
  for i = 1, w.ngens do
    local g = w.pool[i]
    if g ~= nil then parts[#parts + 1] = ("g%d:%s"):format(i, g:status()) end
  end
  w.env.log("  " .. table.concat(parts, " "))
end

-- may generator i be dropped? Not when some generator delegates to it:
-- both would become garbage together, and the collector finalizes them in
-- an order the model cannot know
local function droppable(mw, i)
  local g = mw.pool[i]
  if g == nil then return false end
  for _, h in pairs(mw.all) do
    if model.sub(h) == g then return false end
  end
  return true
end

---------------------------------------------------------------------------
-- running and comparing
---------------------------------------------------------------------------

-- close what is still open in world w, out of sight: nothing of a seed
-- should be left for the collector to finalize during later seeds
local function sweep(w)
  for _ = 1, 10 do
    local open = false
    for i = 1, w.ngens do
      local g = w.pool[i]
      if g ~= nil and g:status() ~= "closed" then
        open = true
        pcall(g.close, g)
      end
    end
    if not open then break end
  end
  w.pool = nil
end

--[[
Run prog on both sides, in lockstep, comparing the logs after each
operation; after the operations, each generator still open is closed (in
order, again while it refuses) as part of the comparison. Returns nil and
the log when both agree, else a failure report: {op = index, line = first
differing line, model = log, cogen = log, prog = prog} (op = 0 and crash =
message when the driver itself failed).
]]
function fuzzer.check(prog)
  local mw = world(prog, "model")
  local cw = world(prog, "cogen")
  local failure
  local seen = 0
  local function step(k, op, drop)
    drive(mw, k, op, drop)
    drive(cw, k, op, drop)
    statuses(mw)
    statuses(cw)
    local n = math.max(#mw.log, #cw.log)
    for line = seen + 1, n do
      if mw.log[line] ~= cw.log[line] then
        failure = {op = k, line = line}
        return true
      end
    end
    seen = n
  end
  local ok, err = pcall(function()
    local nops = #prog.ops
    for k, op in ipairs(prog.ops) do
      if step(k, op, op.k == "drop" and droppable(mw, op.i)) then return end
    end
    for round = 1, 10 do
      local open = false
      for i = 1, #prog.gens do
        local g = mw.pool[i]
        if g ~= nil and g:status() ~= "closed" then
          open = true
          nops = nops + 1
          if step(nops, {k = "close", i = i}) then return end
        end
      end
      if not open then break end
    end
  end)
  if not ok then failure = {op = 0, line = 0, crash = tostring(err)} end
  local mlog = table.move(mw.log, 1, #mw.log, 1, {})
  if failure then
    failure.model = mlog
    failure.cogen = table.move(cw.log, 1, #cw.log, 1, {})
    failure.prog = prog
  end
  sweep(cw)
  sweep(mw)
  return failure, mlog
end

-- run prog on one side only ("model" or "cogen"); returns its log
function fuzzer.trace(prog, side)
  local w = world(prog, side)
  local mw = side == "model" and w or world(prog, "model")
  local ok, err = pcall(function()
    local nops = #prog.ops
    local function step(k, op, drop)
      drive(w, k, op, drop)
      if mw ~= w then drive(mw, k, op, drop) end
      statuses(w)
    end
    for k, op in ipairs(prog.ops) do
      step(k, op, op.k == "drop" and droppable(mw, op.i))
    end
    for _ = 1, 10 do
      local open = false
      for i = 1, #prog.gens do
        local g = mw.pool[i]
        if g ~= nil and g:status() ~= "closed" then
          open = true
          nops = nops + 1
          step(nops, {k = "close", i = i})
        end
      end
      if not open then break end
    end
  end)
  if not ok then w.log[#w.log + 1] = "driver failed: " .. tostring(err) end
  local log = table.move(w.log, 1, #w.log, 1, {})
  sweep(w)
  if mw ~= w then sweep(mw) end
  return log
end

function fuzzer.run(seed, opts)
  return fuzzer.check(fuzzer.generate(seed, opts))
end

---------------------------------------------------------------------------
-- shrinking a failing program
---------------------------------------------------------------------------

local function copy(x)
  if type(x) ~= "table" then return x end
  local t = {}
  for k, v in pairs(x) do t[k] = copy(v) end
  return t
end

-- every block of prog (bodies, handlers), each as {parent, key}
local function blocks(prog)
  local out = {}
  local function walk(b)
    out[#out + 1] = b
    for _, s in ipairs(b) do
      if s.body then walk(s.body) end
      if s.handler then walk(s.handler) end
    end
  end
  for _, g in ipairs(prog.gens) do walk(g.body) end
  return out
end

-- smaller variants of prog, simplest first
local function variants(prog, upto)
  local out = {}
  local function add(f)
    local p = copy(prog)
    if f(p) ~= false then out[#out + 1] = p end
  end
  -- operations after the failing one cannot matter
  if #prog.ops > upto then
    add(function(p) for k = #p.ops, upto + 1, -1 do p.ops[k] = nil end end)
  end
  for k = #prog.ops, 1, -1 do
    add(function(p) table.remove(p.ops, k) end)
  end
  local nblocks = #blocks(prog)
  for b = 1, nblocks do
    local n = #blocks(prog)[b]
    for i = n, 1, -1 do
      add(function(p) table.remove(blocks(p)[b], i) end)
      add(function(p)  -- a block statement replaced by its body
        local blk = blocks(p)[b]
        local s = blk[i]
        if not s.body then return false end
        table.remove(blk, i)
        for j = #s.body, 1, -1 do table.insert(blk, i, s.body[j]) end
      end)
      add(function(p)
        local s = blocks(p)[b][i]
        if not s.handler then return false end
        s.handler = nil
      end)
      add(function(p)
        local s = blocks(p)[b][i]
        if not (s.vals and #s.vals > 0) then return false end
        s.vals = {}
      end)
      add(function(p)
        local s = blocks(p)[b][i]
        if s.via == nil or s.via == "direct" then return false end
        s.via = "direct"
      end)
      add(function(p)
        local s = blocks(p)[b][i]
        if s.t ~= "loop" or s.n == 1 then return false end
        s.n = 1
      end)
      add(function(p)
        local s = blocks(p)[b][i]
        if not s.cfix then return false end
        s.cfix = false
      end)
    end
  end
  for gi, g in ipairs(prog.gens) do
    if #g.args > 0 then add(function(p) p.gens[gi].args = {} end) end
  end
  return out
end

-- a smaller program that still fails (in any way), within a budget of
-- runs; fails(p) runs p and returns a failure or nil (fuzzer.check)
function fuzzer.shrink(prog, budget, fails)
  budget = budget or 2000
  fails = fails or fuzzer.check
  local fail = fails(prog)
  if not fail then return prog end
  local progress = true
  while progress and budget > 0 do
    progress = false
    for _, p in ipairs(variants(prog, fail.op or #prog.ops)) do
      budget = budget - 1
      local f = fails(p)
      if f then
        prog, fail, progress = p, f, true
        break
      end
      if budget <= 0 then break end
    end
  end
  return prog, fail
end

-- a program as Lua source (a table constructor), for a child interpreter
function fuzzer.serialize(x)
  local t = type(x)
  if t == "string" then return ("%q"):format(x) end
  if t ~= "table" then return tostring(x) end
  local parts = {}
  for k, v in pairs(x) do
    local key = type(k) == "string" and k or "[" .. tostring(k) .. "]"
    parts[#parts + 1] = key .. "=" .. fuzzer.serialize(v)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

---------------------------------------------------------------------------
-- showing a program and a failure
---------------------------------------------------------------------------

local function showval(v)
  if v.k == "nil" then return "nil"
  elseif v.k == "str" then return ("%q"):format(v.v)
  elseif v.k == "tab" then return "{" .. v.v .. "}"
  end
  return tostring(v.v)
end

local function showvals(vs)
  local parts = {}
  for i, v in ipairs(vs) do parts[i] = showval(v) end
  return table.concat(parts, ", ")
end

local function showerr(e)
  if e.k == "str" then return ("%q"):format(e.v)
  elseif e.k == "tab" then return "{" .. e.v .. "}"
  elseif e.k == "si" then return "StopIteration(" .. showvals(e.vals) .. ")"
  elseif e.k == "ge" then return "GeneratorExit()"
  elseif e.k == "nil" then return "nil" end
  return tostring(e.v)
end

local function showblock(out, b, ind)
  local pad = ("  "):rep(ind)
  local function line(s) out[#out + 1] = pad .. s end
  for _, s in ipairs(b) do
    local id = s.id
    if s.t == "yield" then
      line(("y%d: yield(%s)%s"):format(id, showvals(s.vals),
        s.via ~= "direct" and "  -- via " .. s.via or ""))
    elseif s.t == "try" then
      line(("t%d: pcall(function()"):format(id))
      showblock(out, s.body, ind + 1)
      line(("end) -- on error: log%s, then %s%s"):format(
        s.handler and ", the handler below" or "", s.after,
        s.after == "return" and "(" .. showvals(s.vals) .. ")" or ""))
      if s.handler then showblock(out, s.handler, ind + 2) end
    elseif s.t == "tbc" then
      line(("c%d: do local _ <close> = closer(%s%s)%s"):format(id, s.ck,
        s.ck == "yield" and ", yield(" .. showvals(s.vals) .. ") via " .. s.via or "",
        s.ck == "error" and ': error("cerr' .. id .. '")' or "",
        s.cfix and "  -- in cfix.toclose" or ""))
      if s.ck == "op" then
        line("  -- the closer runs:")
        showblock(out, {s.op}, ind + 2)
      end
      showblock(out, s.body, ind + 1)
      line("end")
    elseif s.t == "op" then
      local arg = s.op == "send" and showvals(s.vals) or
                  s.op == "throw" and showerr(s.err) or ""
      line(("o%d: %sg%d:%s(%s)"):format(id, s.protected and "pcall " or "",
        s.j, s.op, arg))
    elseif s.t == "from" then
      local arg = s.src == "gen" and "g" .. s.j or
                  s.src .. "{" .. showvals(s.vals) .. "}"
      line(("f%d: %syield_from(%s)"):format(id, s.protected and "pcall " or "", arg))
    elseif s.t == "return" then
      line(("return %s"):format(showvals(s.vals)))
    elseif s.t == "error" then
      line(("error(%s)"):format(showerr(s.err)))
    elseif s.t == "loop" then
      line(("for _ = 1, %d do"):format(s.n))
      showblock(out, s.body, ind + 1)
      line("end")
    elseif s.t == "who" then
      line(("w%d: log(running(), isyieldable())"):format(id))
    end
  end
end

function fuzzer.show(prog)
  local out = {}
  for i, g in ipairs(prog.gens) do
    out[#out + 1] = ("g%d = new(function(...)  -- args: %s"):format(i, showvals(g.args))
    showblock(out, g.body, 1)
    out[#out + 1] = "end)"
  end
  out[#out + 1] = "operations:"
  for k, op in ipairs(prog.ops) do
    local arg = op.k == "send" and showvals(op.vals) or
                op.k == "throw" and showerr(op.err) or ""
    out[#out + 1] = ("  #%d %s g%d(%s)"):format(k, op.k, op.i, arg)
  end
  return table.concat(out, "\n")
end

function fuzzer.report(fail)
  local out = {}
  if fail.crash then out[#out + 1] = "the driver failed: " .. fail.crash end
  out[#out + 1] = fuzzer.show(fail.prog)
  out[#out + 1] = ("logs (first difference at line %d, operation #%d):"):format(
    fail.line, fail.op)
  local n = math.max(#fail.model, #fail.cogen)
  for i = 1, n do
    local m, c = fail.model[i] or "", fail.cogen[i] or ""
    local mark = m == c and "   " or ">> "
    if m == c then
      out[#out + 1] = mark .. m
    else
      out[#out + 1] = mark .. "model: " .. m
      out[#out + 1] = mark .. "cogen: " .. c
    end
  end
  return table.concat(out, "\n")
end

return fuzzer
