-- Hostile input: every misuse here must end in a Lua error (or work), never
-- crash or corrupt the state. Cases that crashed or used freed memory run
-- in a child interpreter (spec/child.lua).
local cogen = require "cogen"
local child = require "child"

local GeneratorExit = cogen.GeneratorExit

local raised = require("support").raised

-- the state still runs generators across C calls
local function usable()
  local g = cogen.new(function(t)
    table.sort(t, function(a, b) return cogen.yield(a, b) end)
    return table.concat(t, " ")
  end, {3, 1, 2})
  local ok, a, b = pcall(g.next, g)
  while ok do ok, a, b = pcall(g.send, g, a < b) end
  assert.equal("1 2 3", a.value)
  assert.is_nil(cogen.running())
end

-- the per-state data, the thread that keeps the free guards, and the
-- guards' finalizer: the debug library reaches them all
local state = select(2, debug.getupvalue(cogen.yield, 1))
local guard_pool = debug.getuservalue(state, 1)
local guard_gc = debug.getuservalue(state, 2).__gc

local function run_child(script)
  local out, code = child.run("local cogen = require 'cogen'\n" .. script)
  child.clean(out)
  assert.equal(0, code, out)
  return out
end

describe("wrong self", function()
  local thread
  do
    local g = cogen.new(function()
      thread = coroutine.running()
      cogen.yield()
    end)
    g:next()
  end
  local values = {
    nil, 0, 1.5, "string", true, {}, print, io.stdout, coroutine.create(print),
    guard_pool, thread, state, cogen.StopIteration, cogen.StopIteration(1),
    setmetatable({}, {__index = function() error("no") end}),
  }
  local nvalues = 15

  it("is refused by every method and metamethod, with the generator unchanged", function()
    local g = cogen.new(function() cogen.yield(1) cogen.yield(2) end)
    assert.equal(1, g:next())
    local mt = debug.getmetatable(g)
    local fns = {}
    for k, f in pairs(mt.__index) do fns[k] = f end
    for k, f in pairs(mt) do if type(f) == "function" then fns[k] = f end end
    for name, f in pairs(fns) do
      for i = 1, nvalues do
        local err = raised(f, values[i], 1)
        assert.is_truthy(tostring(err):find("cogen.generator expected", 1, true), name .. ": " .. tostring(err))
      end
    end
    assert.equal("suspended", g:status())
    assert.equal(2, g:next())
    usable()
  end)

  it("is ignored by the guard's finalizer called by hand", function()
    local g = cogen.new(function() cogen.yield(1) cogen.yield(2) end)
    assert.equal(1, g:next())
    for i = 1, nvalues do
      assert.same({n = 0}, table.pack(guard_gc(values[i])))
    end
    assert.same({n = 0}, table.pack(guard_gc()))
    assert.equal(2, g:next())
    usable()
  end)

  it("is refused when the per-state data's finalizer is called by hand on other values", function()
    local out = run_child([[
      local state = select(2, debug.getupvalue(cogen.yield, 1))
      local gc = debug.getmetatable(state).__gc
      local g = cogen.new(function() cogen.yield(1) cogen.yield(2) end)
      g:next()
      for _, v in ipairs({io.stdout, {}, "x", 1}) do pcall(gc, v) end
      pcall(gc)
      io.stdout:write("stdout fine\n")
      print(g:next())
      local h = cogen.new(function() cogen.yield(3) end)
      print(h:next())
    ]])
    assert.equal("stdout fine\n2\n3\n", out)
  end)

  it("is refused when other userdata get the generators' metatable", function()
    local out = run_child([[
      local mt = debug.getmetatable(cogen.new(print))
      local f = io.tmpfile()
      local state = select(2, debug.getupvalue(cogen.yield, 1))
      for _, u in ipairs({f, state}) do
        debug.setmetatable(u, mt)
        for _, m in ipairs({"next", "send", "throw", "close", "status"}) do
          print(m, (select(2, pcall(u[m], u, 1)):match("cogen.generator expected")))
        end
        print("yield_from", pcall(cogen.new(function() cogen.yield_from(u) end).next,
                                  cogen.new(function() cogen.yield_from(u) end)))
      end
    ]])
    for _, m in ipairs({"next", "send", "throw", "close", "status"}) do
      assert.equal(2, select(2, out:gsub(m .. "\tcogen.generator expected\n", "")), out)
    end
    assert.is_nil(out:find("yield_from\ttrue", 1, true), out)
  end)

  it("is refused by the exception classes' constructor and string form", function()
    local out = run_child([[
      local call = getmetatable(cogen.StopIteration).__call
      for _, v in ipairs({5, "x", true, io.stdout}) do
        print(pcall(call, v, 1))
      end
      for _, cls in ipairs({cogen.StopIteration, cogen.GeneratorExit, cogen.RuntimeError}) do
        for _, v in ipairs({5, "x", io.stdout, setmetatable({}, {__name = 5})}) do
          print(type(cls.__tostring(v)))
        end
      end
    ]])
    assert.equal(4, select(2, out:gsub("false\t[^\n]*table expected[^\n]*\n", "")), out)
    assert.equal(12, select(2, out:gsub("string\n", "")), out)
  end)
end)

describe("bad numbers", function()
  it("are refused as stack sizes", function()
    local old = cogen.stacksize()
    for _, n in ipairs({0, -1, 1, 4096, 1024 * 1024 - 1, 2^31, 2^40, 2^53, 2^63,
                        math.maxinteger, math.mininteger, 1.5, 1048576.5, 0/0, math.huge,
                        -math.huge, -0.0, "1e300", "x", true, {}, print}) do
      local e1 = raised(cogen.stacksize, n)
      local e2 = raised(cogen.generator, print, n)
      for _, e in ipairs({e1, e2}) do
        assert.is_truthy(e:find("out of range", 1, true) or e:find("integer representation", 1, true) or
                         e:find("expected", 1, true), tostring(n) .. ": " .. e)
      end
    end
    assert.equal(old, cogen.stacksize())
    assert.equal(old, cogen.stacksize(nil))
    -- accepted: an integral float and a numeral string
    assert.equal(old, cogen.stacksize(2.0 * old))
    assert.equal(2 * old, cogen.stacksize(tostring(old)))
    assert.equal(1, cogen.generator(function() cogen.yield(1) end, old + 0.0)():next())
    usable()
  end)

  it("of values crossing a switch raise Lua errors at the stack limit", function()
    local ok, n = pcall(function()
      local g = cogen.new(function() return select("#", cogen.yield()) end)
      g:next()
      return select("#", g:send(table.unpack({}, 1, 900000)))
    end)
    -- either it crossed whole, or a Lua error said why not
    assert.is_truthy(not ok and type(n) == "string" or n == 900000 or
                     (not ok and n.value == 900000), tostring(n))
    local r = table.pack(pcall(function()
      return select("#", cogen.new(function() cogen.yield(table.unpack({}, 1, 999000)) end):next())
    end))
    assert.is_truthy(r[1] and r[2] == 999000 or
                     not r[1] and (r[2]:find("too many", 1, true) or r[2]:find("overflow", 1, true)),
                     tostring(r[2]))
    local g = cogen.new(function() cogen.yield(table.unpack({}, 1, 500000)) end)
    assert.equal(500000, select("#", g:next()))
    usable()
  end)

  it("are refused when a resumer sends more values than a deep body's stack can take", function()
    local g = cogen.new(function()
      -- most of the thread's stack (1,000,000 slots) taken by the body
      local function hold(...) return (cogen.yield("deep")) end
      return hold(table.unpack({}, 1, 600000))
    end)
    assert.equal("deep", g:next())
    local ok, e = pcall(g.send, g, table.unpack({}, 1, 900000))
    assert.is_false(ok)
    assert.is_string(e)
    assert.equal("suspended", g:status())
    assert.same({n = 0}, table.pack(g:close()))
    usable()
  end)

  it("of a table in yield_from end at its first nil, whatever n says", function()
    local g = cogen.new(function() return cogen.yield_from({1, 2, nil, 4, n = 1e12}) end)
    assert.same({1, 2}, {g:next(), g:next()})
    assert.equal(cogen.StopIteration, getmetatable(raised(g.next, g)))
    -- an endless table, stopped by its resumer
    local endless = setmetatable({}, {__index = function(_, i) return i end})
    local h = cogen.new(function() cogen.yield_from(endless) end)
    for i = 1, 1000 do assert.equal(i, h:next()) end
    h:close()
    usable()
  end)
end)

describe("yields from where they cannot suspend", function()
  it("raise an error in a finalizer run inside a generator, and the generator goes on", function()
    local seen = {}
    local g = cogen.new(function()
      for _ = 1, 10 do
        setmetatable({}, {__gc = function()
          seen[#seen + 1] = select(2, pcall(cogen.yield, "from __gc"))
        end})
      end
      collectgarbage()
      cogen.yield("body")
      collectgarbage("generational")
      setmetatable({}, {__gc = function() seen[#seen + 1] = select(2, pcall(cogen.yield)) end})
      collectgarbage()
      collectgarbage("incremental")
      return "done"
    end)
    assert.equal("body", g:next())
    assert.equal("done", raised(g.next, g).value)
    assert.is_true(#seen >= 10)
    for _, e in ipairs(seen) do assert.matches("finalizer", e) end
    usable()
  end)

  it("raise an error in a finalizer run outside generators while one is suspended", function()
    local g = cogen.new(function() cogen.yield(1) cogen.yield(2) end)
    g:next()
    local seen = {}
    setmetatable({}, {__gc = function()
      seen[#seen + 1] = select(2, pcall(cogen.yield))
      seen[#seen + 1] = g:next()  -- resuming from a finalizer is fine
    end})
    collectgarbage()
    assert.matches("outside a generator", seen[1])
    assert.equal(2, seen[2])
    usable()
  end)

  it("raise an error in a finalizer with the collector stopped", function()
    local seen
    local g = cogen.new(function()
      setmetatable({}, {__gc = function() seen = select(2, pcall(cogen.yield)) end})
      collectgarbage("stop")
      collectgarbage()
      collectgarbage("restart")
      cogen.yield("after")
    end)
    assert.equal("after", g:next())
    assert.matches("finalizer", seen)
    usable()
  end)
end)

describe("debug hooks", function()
  for _, mask in ipairs({"l", "c", "r", "crl", "count"}) do
    it("may yield from a hook (" .. mask .. ") inside a generator, and the state stays usable", function()
      local g = cogen.new(function()
        if mask == "count" then
          debug.sethook(function(ev) cogen.yield(ev) end, "", 10)
        else
          debug.sethook(function(ev) cogen.yield(ev) end, mask)
        end
        local t = {3, 1, 2}
        table.sort(t, function(a, b) return a < b end)
        local s = ("abc"):upper()
        debug.sethook()
        return s .. t[1]
      end)
      local n, ok, v = 0
      repeat ok, v = pcall(g.next, g); n = n + 1 until not ok or n > 10000
      assert.equal("ABC1", v.value)
      assert.is_true(n > 1)
      assert.is_nil(debug.gethook())
      usable()
    end)
  end

  it("may be closed while suspended inside a hook", function()
    local log = {}
    local g = cogen.new(function()
      local c <close> = setmetatable({}, {__close = function() log[#log + 1] = "closed" end})
      -- the hook keeps running while GeneratorExit unwinds: it must not
      -- yield again then
      local busy = false
      debug.sethook(function(ev)
        if not busy then busy = true; cogen.yield(ev); busy = false end
      end, "crl", 1)
      local x = 1
      return x
    end)
    g:next(); g:next()
    assert.same({n = 0}, table.pack(g:close()))
    assert.same({"closed"}, log)
    usable()
  end)

  it("may be set from outside on a generator's thread, and yield there", function()
    local thread
    local g = cogen.new(function()
      thread = coroutine.running()
      cogen.yield("first")
      local x = 0
      for i = 1, 3 do x = x + i end
      return x
    end)
    assert.equal("first", g:next())
    local lines = 0
    debug.sethook(thread, function() lines = lines + 1 cogen.yield("line") end, "l")
    local ok, v, n = true, nil, 0
    repeat ok, v = pcall(g.next, g); n = n + 1 until not ok or n > 100
    assert.equal(6, v.value)
    assert.is_true(lines > 3)
    usable()
  end)

  it("raising inside a generator unwinds it like any error", function()
    local g = cogen.new(function()
      debug.sethook(function() error("from hook", 0) end, "l")
      local x = 1
      return x
    end)
    assert.equal("from hook", raised(g.next, g))
    assert.equal("closed", g:status())
    usable()
  end)
end)

describe("the coroutine library on a generator's thread", function()
  it("refuses to resume it while it runs or is suspended", function()
    local thread
    local g = cogen.new(function()
      thread = coroutine.running()
      cogen.yield(coroutine.resume(thread))
      cogen.yield(pcall(coroutine.wrap(function() return coroutine.resume(thread) end)))
      return "done"
    end)
    assert.same({false, "cannot resume non-suspended coroutine"}, {g:next()})
    assert.same({true, false, "cannot resume non-suspended coroutine"}, {g:next()})
    assert.equal("normal", coroutine.status(thread))
    assert.same({false, "cannot resume non-suspended coroutine"}, {coroutine.resume(thread)})
    assert.is_false(pcall(coroutine.close, thread))  -- "cannot close a normal coroutine"
    assert.equal("done", raised(g.next, g).value)
    usable()
  end)

  it("refuses to close it from inside, or (Lua 5.5) ends the generator with a Lua error", function()
    local log = {}
    local g = cogen.new(function()
      local c <close> = setmetatable({}, {__close = function() log[#log + 1] = "closed" end})
      local ok, err = pcall(coroutine.close, coroutine.running())
      cogen.yield(ok, err)  -- 5.4: refused; 5.5 closes the running thread, no return
      return "done"
    end)
    local r = table.pack(pcall(g.next, g))
    if r[1] then  -- refused
      assert.is_false(r[2])
      assert.matches("cannot close", r[3])
      assert.equal("done", raised(g.next, g).value)
    else
      assert.is_string(r[2])
      assert.same({"closed"}, log)
    end
    assert.equal("closed", g:status())
    assert.equal(cogen.StopIteration, getmetatable(raised(g.next, g)))
    usable()
  end)

  it("makes a created generator refuse to start once its thread was resumed", function()
    local g = cogen.new(function(...) cogen.yield(...) end, 1, 2)
    local thread = debug.getuservalue(g, 1)
    assert.equal("thread", type(thread))
    assert.is_false((coroutine.resume(thread)))
    assert.matches("changed from outside", raised(g.next, g))
    coroutine.close(thread)
    assert.matches("changed from outside", raised(g.next, g))
    usable()
  end)
end)

describe("the debug library on a generator's internals", function()
  it("finds neither a guard nor the generator in a body's frames", function()
    local found = {}
    local g
    g = cogen.new(function(...)
      for level = 2, 50 do
        if not debug.getinfo(level, "f") then break end
        for n = -10, 50 do
          local name, v = debug.getlocal(level, n)
          if name and (v == g or type(v) == "userdata" and getmetatable(v) == "cogen.guard") then
            found[#found + 1] = level .. ":" .. n
          end
        end
      end
      cogen.yield()
    end, 1, 2)
    g:next()
    assert.same({}, found)
    usable()
  end)

  it("cannot crash the engine through the guard pool's thread", function()
    local out = run_child([[
      local state = select(2, debug.getupvalue(cogen.yield, 1))
      local pool = debug.getuservalue(state, 1)
      local function churn()
        for _ = 1, 5 do for _ in cogen.new(function() cogen.yield(1) cogen.yield(2) end) do end end
      end
      churn()
      print(coroutine.resume(pool, io.stdout, "x", function() end))
      churn()
      coroutine.close(pool)
      churn()
      print(coroutine.resume(pool, "y"))
      local kept = {}
      for i = 1, 10 do
        kept[i] = cogen.new(function() cogen.yield(i) cogen.yield(-i) end)
        kept[i]()
      end
      kept = nil
      collectgarbage(); collectgarbage()
      local h = cogen.new(function() cogen.yield("usable") end)
      print(h:next())
    ]])
    assert.matches("^false\t[^\n]*attempt to call a userdata value\n", out)
    assert.is_truthy(out:find("usable\n$"), out)
  end)

  it("makes running() fail, not crash, when the resumer's frame is changed", function()
    local out = run_child([[
      local main = coroutine.running()
      local g
      g = cogen.new(function()
        local level
        for l = 0, 50 do
          local info = debug.getinfo(main, l, "f")
          if info and info.func == g.next then level = l break end
        end
        debug.setlocal(main, level, 1, "not a generator")
        print(pcall(cogen.running))
        debug.setlocal(main, level, 1, g)
        print(cogen.running() == g)
        cogen.yield("done")
      end)
      print(g:next())
    ]])
    assert.matches("^false\t[^\n]*changed from outside\ntrue\ndone\n$", out)
  end)

  it("refuses the per-state finalizer, called by hand, while a body runs on its stack", function()
    local out = run_child([[
      local S = select(2, debug.getupvalue(cogen.yield, 1))
      local gc = debug.getmetatable(S).__gc
      local g = cogen.new(function() gc(S) cogen.yield("still here") end)
      print(g:next())
      gc(S)
      print(pcall(g.next, g))
    ]])
    assert.equal("still here\nfalse\tcannot resume a generator: the Lua state is closing\n", out)
  end)
end)
