-- The generator protocol: throw, close and GeneratorExit, collection,
-- re-entrancy and PEP 479, consumers and delegation (yield_from).
-- Numbers in brackets refer to /work/shared/python-protocol.md: §1 behaviours
-- as [#n], the test_yield_from tests of §3 A as [yf n].

local cogen = require "cogen"
local cfix = require "cfix"
local support = require "support"

local StopIteration = cogen.StopIteration
local GeneratorExit = cogen.GeneratorExit
local RuntimeError = cogen.RuntimeError

---------------------------------------------------------------------------
-- helpers
---------------------------------------------------------------------------

-- the error that f(...) raises; fails the spec if it raises none
local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error, got none")
  return err
end

-- a short name for any value seen as an error
local function kind(e)
  local mt = getmetatable(e)
  if mt == GeneratorExit then return "GeneratorExit"
  elseif mt == StopIteration then return "StopIteration"
  elseif mt == RuntimeError then return "RuntimeError"
  elseif e == nil then return "nil"
  else return tostring(e) end
end

-- a to-be-closed value that writes "name" (and the error it sees) to log
local function closer(log, name)
  return setmetatable({}, {__close = function(_, err)
    log[#log + 1] = err == nil and name or name .. ":" .. kind(err)
  end})
end

local function has(s, part)
  return type(s) == "string" and s:find(part, 1, true) ~= nil
end

local function pack(...) return table.pack(...) end

-- run a Lua script in a child interpreter; returns its stdout and stderr, merged,
-- and whether it exited with success
local ROOT do
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/[^/]+$") or "."
  if dir:sub(1, 1) ~= "/" then dir = (os.getenv("PWD") or ".") .. "/" .. dir end
  ROOT = dir
end

local function run_child(script, shell_prefix)
  local name = os.tmpname()
  local f = assert(io.open(name, "w"))
  f:write(("package.path = %q .. package.path\n"):format(ROOT .. "/lua/?.lua;"))
  local build = require("support").build
  if build:sub(1, 1) ~= "/" then build = ROOT .. "/" .. build end
  f:write(("package.cpath = %q .. package.cpath\n"):format(build .. "/?.so;"))
  f:write(script)
  f:close()
  local p = assert(io.popen((shell_prefix or "") .. require("support").lua .. " " .. name .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(name)
  return out, ok
end

-- the lines of s that contain part
local function lines_with(s, part)
  local found = {}
  for line in s:gmatch("[^\n]+") do
    if has(line, part) then found[#found + 1] = line end
  end
  return found
end

---------------------------------------------------------------------------
describe("throw", function()

  it("raises a thrown string unchanged, without a position prefix", function()
    local g = cogen.new(function() cogen.yield(1) end)
    g:next()
    assert.equal("boom", catch(g.throw, g, "boom"))
  end)

  it("raises a thrown table as the very same object [#36]", function()
    local err = {}
    local g = cogen.new(function() cogen.yield(1); cogen.yield(2) end)
    g:next()
    assert.equal(err, catch(g.throw, g, err))
  end)

  it("raises the error at the pending yield, as if that call had raised it", function()
    local seen
    local g = cogen.new(function()
      local ok, err = pcall(cogen.yield, "waiting")
      seen = {ok, err}
      cogen.yield("after")
    end)
    g:next()
    g:throw("boom")
    assert.same({false, "boom"}, seen)
  end)

  it("reaches a pcall across C frames (cfix.apply, table.sort)", function()
    local g = cogen.new(function()
      local ok, err = pcall(cfix.apply, function()
        table.sort({2, 1}, function(a, b) cogen.yield("in sort"); return a < b end)
      end)
      cogen.yield(ok, err)
    end)
    assert.equal("in sort", g:next())
    assert.same(pack(false, "boom"), pack(g:throw("boom")))
  end)

  it("returns the values the body yields after catching it [#34]", function()
    local g = cogen.new(function()
      while true do
        local ok, err = pcall(cogen.yield, "waiting")
        if not ok then cogen.yield("handled " .. err, 2) end
      end
    end)
    assert.equal("waiting", g:next())
    assert.same(pack("handled v1", 2), pack(g:throw("v1")))
    assert.equal("suspended", g:status())
  end)

  it("raises StopIteration with the return values when the body returns [#35]", function()
    local g = cogen.new(function()
      local ok = pcall(cogen.yield, 1)
      if not ok then return "cleanly", "twice" end
    end)
    g:next()
    local e = catch(g.throw, g, "stop")
    assert.equal(StopIteration, getmetatable(e))
    assert.equal("cleanly", e.value)
    assert.same({n = 2, "cleanly", "twice"}, e.values)
    assert.equal("closed", g:status())
  end)

  it("re-raises an error that escapes the body and closes the generator [#36]", function()
    local log = {}
    local g = cogen.new(function()
      local c <close> = closer(log, "finally")
      cogen.yield(1)
      cogen.yield(2)
    end)
    g:next()
    local err = {}
    assert.equal(err, catch(g.throw, g, err))
    assert.equal("closed", g:status())
    assert.same({"finally:" .. tostring(err)}, log)
    assert.equal(StopIteration, getmetatable(catch(g.next, g)))
  end)

  it("raises a different error raised by the handler, closing the generator", function()
    local g = cogen.new(function()
      local ok = pcall(cogen.yield)
      if not ok then error("converted", 0) end
    end)
    g:next()
    assert.equal("converted", catch(g.throw, g, "orig"))
    assert.equal("closed", g:status())
  end)

  it("on a created generator runs no body code, closes it and raises the error [#33]", function()
    local log = {}
    local g = cogen.new(function()
      log[#log + 1] = "body"
      local c <close> = closer(log, "finally")
      pcall(cogen.yield, 1)
      log[#log + 1] = "caught"
    end)
    assert.equal("x", catch(g.throw, g, "x"))
    assert.equal("closed", g:status())
    assert.same({}, log)
    assert.equal(StopIteration, getmetatable(catch(g.next, g)))
  end)

  it("on a created generator raises a thrown StopIteration as is [#29, 3.12+]", function()
    local stop = StopIteration(5)
    local g = cogen.new(function() cogen.yield(1) end)
    assert.equal(stop, catch(g.throw, g, stop))
    assert.equal("closed", g:status())
  end)

  it("on a closed generator raises the error without running anything [#19]", function()
    local log = {}
    local g = cogen.new(function()
      log[#log + 1] = "ran"
    end)
    catch(g.next, g)
    local err = {}
    assert.equal(err, catch(g.throw, g, err))
    assert.equal("plain", catch(g.throw, g, "plain"))
    assert.same({"ran"}, log)
  end)
end)

---------------------------------------------------------------------------
describe("close", function()

  it("raises a GeneratorExit object at the pending yield [#47]", function()
    local err
    local g = cogen.new(function()
      local ok, e = pcall(cogen.yield, 1)
      err = e
      error(e, 0)
    end)
    g:next()
    g:close()
    assert.equal(GeneratorExit, getmetatable(err))
    assert.equal("GeneratorExit", tostring(err):sub(1, #"GeneratorExit"))
  end)

  it("returns nothing and closes the generator when GeneratorExit escapes [#47]", function()
    local g = cogen.new(function() cogen.yield(1); cogen.yield(2) end)
    g:next()
    assert.same({n = 0}, pack(g:close()))
    assert.equal("closed", g:status())
    assert.equal(StopIteration, getmetatable(catch(g.next, g)))
  end)

  it("closes every to-be-closed variable and runs every pcall handler, innermost first", function()
    local log = {}
    local g = cogen.new(function()
      local a <close> = closer(log, "body")
      local ok, e = pcall(function()
        local b <close> = closer(log, "inner")
        cfix.apply(function()
          local c <close> = closer(log, "C-called")
          cogen.yield(1)
        end)
      end)
      log[#log + 1] = "pcall:" .. kind(e)
      error(e, 0)
    end)
    g:next()
    g:close()
    assert.same({"C-called:GeneratorExit", "inner:GeneratorExit",
                 "pcall:GeneratorExit", "body:GeneratorExit"}, log)
  end)

  it("unwinds through table.sort and string.gsub callbacks (C frames)", function()
    local log = {}
    local g = cogen.new(function()
      local a <close> = closer(log, "body")
      table.sort({3, 1, 2}, function(x, y)
        local s <close> = closer(log, "sort")
        string.gsub("ab", "%w", function()
          local r <close> = closer(log, "gsub")
          cogen.yield("deep")
        end)
        return x < y
      end)
    end)
    assert.equal("deep", g:next())
    assert.same({n = 0}, pack(g:close()))
    assert.same({"gsub:GeneratorExit", "sort:GeneratorExit", "body:GeneratorExit"}, log)
    assert.equal("closed", g:status())
  end)

  it("unwinds through cfix.recurse and cfix.qsort callbacks (C frames)", function()
    local log = {}
    local g = cogen.new(function()
      local a <close> = closer(log, "body")
      local ok, e = pcall(cfix.recurse, 5, function()
        local r <close> = closer(log, "recurse")
        cfix.qsort({2, 1}, function()
          local q <close> = closer(log, "qsort")
          cogen.yield("deep")
          return 0
        end)
        return 0
      end)
      log[#log + 1] = "pcall:" .. kind(e)
      error(e, 0)
    end)
    g:next()
    g:close()
    assert.same({"qsort:GeneratorExit", "recurse:GeneratorExit",
                 "pcall:GeneratorExit", "body:GeneratorExit"}, log)
  end)

  it("returns the body's return values when the body returns [#53, 3.13]", function()
    local g = cogen.new(function()
      local ok = pcall(cogen.yield)
      return "final", ok, 3
    end)
    g:next()
    assert.same(pack("final", false, 3), pack(g:close()))
    assert.equal("closed", g:status())
  end)

  it("returns nothing when the body catches GeneratorExit and falls off the end [#52]", function()
    local g = cogen.new(function() pcall(cogen.yield) end)
    g:next()
    assert.same({n = 0}, pack(g:close()))
    assert.equal("closed", g:status())
  end)

  it("raises 'generator ignored GeneratorExit' when the body yields, and leaves it suspended [#50, #51]", function()
    local log = {}
    local g = cogen.new(function()
      local ok = pcall(cogen.yield, 1)
      log[#log + 1] = "first GeneratorExit caught"
      local c <close> = closer(log, "second close")
      cogen.yield("foo!")
    end)
    g:next()
    assert.is_true(has(catch(g.close, g), "generator ignored GeneratorExit"))
    assert.equal("suspended", g:status())
    assert.same({n = 0}, pack(g:close()))
    assert.equal("closed", g:status())
    assert.same({"first GeneratorExit caught", "second close:GeneratorExit"}, log)
  end)

  it("counts a yield inside a to-be-closed variable's __close as ignoring GeneratorExit [#60]", function()
    local g = cogen.new(function()
      local c <close> = setmetatable({}, {__close = function() cogen.yield(2) end})
      cogen.yield(1)
    end)
    g:next()
    assert.is_true(has(catch(g.close, g), "generator ignored GeneratorExit"))
    assert.equal("suspended", g:status())
  end)

  it("raises another error raised by the body, and closes the generator [#54]", function()
    local err = {}
    local g = cogen.new(function()
      pcall(cogen.yield)
      error(err)
    end)
    g:next()
    assert.equal(err, catch(g.close, g))
    assert.equal("closed", g:status())
    assert.same({n = 0}, pack(g:close()))
  end)

  it("raises an error raised by a __close during the unwinding [#55]", function()
    local g = cogen.new(function()
      local c <close> = setmetatable({}, {__close = function() error("from finally", 0) end})
      cogen.yield()
    end)
    g:next()
    if support.close_error_replaces then
      assert.equal("from finally", catch(g.close, g))
    else  -- 5.4.0-5.4.2: Lua makes it a warning and GeneratorExit unwinds on
      assert.same({n = 0}, pack(g:close()))
    end
    assert.equal("closed", g:status())
  end)

  it("on a created generator runs no body code and closes it [#46]", function()
    local log = {}
    local g = cogen.new(function()
      log[#log + 1] = "body"
      local c <close> = closer(log, "finally")
      cogen.yield(1)
    end)
    assert.same({n = 0}, pack(g:close()))
    assert.equal("closed", g:status())
    assert.same({}, log)
    assert.equal(StopIteration, getmetatable(catch(g.next, g)))
  end)

  it("on a closed generator does nothing, and cleanup never runs twice [#48]", function()
    local log = {}
    local g = cogen.new(function()
      local c <close> = closer(log, "cleanup")
      cogen.yield()
    end)
    g:next()
    g:close()
    assert.same({n = 0}, pack(g:close()))
    assert.same({n = 0}, pack(g:close()))
    assert.same({"cleanup:GeneratorExit"}, log)
  end)

  it("on a generator that died from an error does nothing [#48]", function()
    local g = cogen.new(function() cogen.yield(1); error("dead", 0) end)
    g:next()
    catch(g.next, g)
    assert.same({n = 0}, pack(g:close()))
    assert.equal("closed", g:status())
  end)

  it("happens when a '<close>' generator variable goes out of scope", function()
    local log = {}
    local make = cogen.generator(function()
      local c <close> = closer(log, "body")
      cogen.yield(1)
    end)
    local g2
    do
      local g <close> = make()
      g2 = g
      g:next()
    end
    assert.same({"body:GeneratorExit"}, log)
    assert.equal("closed", g2:status())
  end)

  it("happens when a '<close>' generator variable's scope ends by an error", function()
    local log = {}
    local make = cogen.generator(function()
      local c <close> = closer(log, "body")
      cogen.yield(1)
    end)
    local g2
    local err = catch(function()
      local g <close> = make()
      g2 = g
      g:next()
      error("oops", 0)
    end)
    assert.equal("oops", err)
    assert.same({"body:GeneratorExit"}, log)
    assert.equal("closed", g2:status())
  end)
end)

---------------------------------------------------------------------------
describe("collection", function()

  it("closes a suspended generator that became garbage, running its to-be-closed variables [#57]", function()
    local log = {}
    local function spawn()
      local g = cogen.new(function()
        local c <close> = closer(log, "finalized")
        cogen.yield(1)
      end)
      g:next()
    end
    spawn()
    collectgarbage()
    collectgarbage()
    assert.same({"finalized:GeneratorExit"}, log)
  end)

  it("runs nothing for a created generator that became garbage [#57]", function()
    local log = {}
    local function spawn()
      cogen.new(function()
        log[#log + 1] = "body"
        local c <close> = closer(log, "finally")
        cogen.yield(1)
      end)
    end
    spawn()
    collectgarbage()
    collectgarbage()
    assert.same({}, log)
  end)

  it("finalizes a generator that refers to itself [#59]", function()
    local log = {}
    local function spawn()
      local g = cogen.new(function()
        local c <close> = closer(log, "finalized")
        local me = cogen.yield()
        cogen.yield(me)
      end)
      g:next()
      g:send(g)
    end
    spawn()
    collectgarbage()
    collectgarbage()
    assert.same({"finalized:GeneratorExit"}, log)
  end)

  it("closes many collected generators, each running its cleanup", function()
    local count = 0
    local body = function()
      local c <close> = setmetatable({}, {__close = function() count = count + 1 end})
      cogen.yield(1)
    end
    local function spawn() cogen.new(body):next() end
    for i = 1, 2000 do
      spawn()
      if i % 100 == 0 then collectgarbage() end
    end
    collectgarbage()
    collectgarbage()
    assert.equal(2000, count)
  end)

  it("closes a collected delegating generator's sub first, then the delegator", function()
    local log = {}
    local function spawn()
      local g = cogen.new(function()
        local c <close> = closer(log, "outer")
        cogen.yield_from(cogen.new(function()
          local c2 <close> = closer(log, "inner")
          cogen.yield(1)
        end))
      end)
      g:next()
    end
    spawn()
    collectgarbage()
    collectgarbage()
    assert.same({"inner:GeneratorExit", "outer:GeneratorExit"}, log)
  end)

  -- 10000 stacks of 1 MiB would not fit in 2 GiB of address space
  it("releases the native stack of each collected generator #vmlimit", function()
    local out, ok = run_child([[
      local cogen = require "cogen"
      local count = 0
      local function body()
        local c <close> = setmetatable({}, {__close = function() count = count + 1 end})
        cogen.yield(1)
      end
      for i = 1, 10000 do
        cogen.new(body):next()
        if i % 100 == 0 then collectgarbage() end
      end
      collectgarbage()
      io.stdout:write(count, "\n")
    ]], "ulimit -v 2097152; ")
    assert.equal("10000\n", out)
    assert.is_true(ok)
  end)

  it("never lets an error of the closing propagate out of the collector [#58]", function()
    local function spawn()
      local g = cogen.new(function()
        local c <close> = setmetatable({}, {__close = function() error("cleanup failed", 0) end})
        cogen.yield(1)
      end)
      g:next()
    end
    spawn()
    assert.is_true((pcall(collectgarbage)))
  end)

  it("makes each yield of the body while being collected raise an error inside the body", function()
    local log = {}
    local function spawn()
      local g = cogen.new(function()
        local c <close> = closer(log, "outer")
        for i = 1, 3 do
          local ok, err = pcall(cogen.yield, i)
          log[#log + 1] = ("yield %d: %s"):format(i, ok and "resumed" or
                          getmetatable(err) == GeneratorExit and "GeneratorExit" or "error")
        end
      end)
      g:next()
    end
    spawn()
    collectgarbage()
    collectgarbage()
    assert.same({"yield 1: GeneratorExit", "yield 2: error", "yield 3: error", "outer"}, log)
  end)

  it("unwinds the whole stack when the body yields again while being collected [#58, intentionally unlike CPython]", function()
    local log = {}
    local function spawn()
      local g = cogen.new(function()
        local outer <close> = closer(log, "outer finally")
        local ok = pcall(cogen.yield, 1)
        log[#log + 1] = "caught GeneratorExit, yielding again"
        cogen.yield(2)
        log[#log + 1] = "not reached"
      end)
      g:next()
    end
    spawn()
    collectgarbage()
    collectgarbage()
    assert.equal(2, #log)
    assert.equal("caught GeneratorExit, yielding again", log[1])
    assert.equal("outer finally:", log[2]:sub(1, #"outer finally:"))
  end)

  it("makes a cogen.yield inside a __gc finalizer raise an error instead of suspending", function()
    local seen = {}
    local g = cogen.new(function()
      local function drop()
        setmetatable({}, {__gc = function()
          seen[#seen + 1] = pack(pcall(cogen.yield, "from __gc"))
        end})
      end
      drop()
      collectgarbage()
      collectgarbage()
      cogen.yield("after gc")
    end)
    assert.equal("after gc", g:next())
    assert.equal(1, #seen)
    assert.equal(false, seen[1][1])
    assert.equal("string", type(seen[1][2]))
    assert.equal("suspended", g:status())
  end)

  it("makes a cogen.yield in a finalizer run by an automatic collection step raise an error", function()
    local seen = {}
    local g = cogen.new(function()
      local function drop()
        setmetatable({}, {__gc = function()
          seen[#seen + 1] = pack(pcall(cogen.yield, "from __gc"))
        end})
      end
      drop()
      local keep = {}
      for i = 1, 1e6 do
        keep[i % 64 + 1] = {i}
        if #seen > 0 then break end
      end
      cogen.yield("after gc")
    end)
    assert.equal("after gc", g:next())
    assert.equal(1, #seen)
    assert.equal(false, seen[1][1])
  end)

  it("closes a generator left suspended when the script ends (lua_close)", function()
    local out, ok = run_child [[
      local cogen = require "cogen"
      g = cogen.new(function()
        local c <close> = setmetatable({}, {__close = function(_, e)
          io.stdout:write("cleanup ran: ", tostring(e), "\n")
          io.stdout:flush()
        end})
        cogen.yield(1)
      end)
      g:next()
      io.stdout:write("script end\n")
      io.stdout:flush()
    ]]
    assert.equal("script end\ncleanup ran: GeneratorExit\n", out)
    assert.is_true(ok)
  end)

  it("unwinds C frames of a generator left suspended when the script ends", function()
    local out, ok = run_child [[
      local cogen = require "cogen"
      local cfix = require "cfix"
      local function note(name)
        return setmetatable({}, {__close = function(_, e)
          io.stdout:write(name, ": ", tostring(e), "\n")
        end})
      end
      g = cogen.new(function()
        local a <close> = note("body")
        cfix.apply(function()
          table.sort({2, 1}, function(x, y)
            local b <close> = note("comparator")
            cogen.yield("deep")
            return x < y
          end)
        end)
      end)
      io.stdout:write(g:next(), "\n")
    ]]
    assert.equal("deep\ncomparator: GeneratorExit\nbody: GeneratorExit\n", out)
    assert.is_true(ok)
  end)

  it("still unwinds a generator that yields again while the script ends", function()
    local out, ok = run_child [[
      local cogen = require "cogen"
      g = cogen.new(function()
        local c <close> = setmetatable({}, {__close = function()
          io.stdout:write("outer cleanup\n")
        end})
        pcall(cogen.yield, 1)
        io.stdout:write("yielding again\n")
        cogen.yield(2)
        io.stdout:write("not reached\n")
      end)
      g:next()
    ]]
    assert.equal("yielding again\nouter cleanup\n", out)
    assert.is_true(ok)
  end)

  it("closes a delegating generator left suspended at the end, its sub first", function()
    local out, ok = run_child [[
      local cogen = require "cogen"
      local function note(name)
        return setmetatable({}, {__close = function(_, e)
          io.stdout:write(name, ": ", tostring(e), "\n")
        end})
      end
      g = cogen.new(function()
        local a <close> = note("outer")
        cogen.yield_from(cogen.new(function()
          local b <close> = note("inner")
          cogen.yield(1)
        end))
      end)
      g:next()
    ]]
    assert.equal("inner: GeneratorExit\nouter: GeneratorExit\n", out)
    assert.is_true(ok)
  end)

  it("reports an error while collecting as a warning naming the generator", function()
    local out, ok = run_child [[
      warn("@on")
      local cogen = require "cogen"
      local function spawn()
        local g = cogen.new(function()
          local c <close> = setmetatable({}, {__close = function()
            error("cleanup failed", 0)
          end})
          cogen.yield(1)
        end)
        g:next()
        io.stdout:write("name=", tostring(g), "\n")
      end
      spawn()
      collectgarbage()
      collectgarbage()
      io.stdout:write("after collect\n")
    ]]
    assert.is_true(ok)
    local name = out:match("name=([^\n]+)")
    assert.is_truthy(name)
    assert.is_true(has(out, "after collect"))
    local warnings = lines_with(out, "Lua warning: ")
    assert.equal(1, #warnings)
    if support.close_error_replaces then
      assert.is_true(has(warnings[1], name))
    else  -- 5.4.0-5.4.2: Lua's own warning, from inside the unwinding
      assert.is_true(has(warnings[1], "error in __close metamethod"))
    end
    assert.is_true(has(warnings[1], "cleanup failed"))
  end)

  it("reports an error while closing at the end of the script as a warning", function()
    local out, ok = run_child [[
      warn("@on")
      local cogen = require "cogen"
      g = cogen.new(function()
        local c <close> = setmetatable({}, {__close = function()
          error("late cleanup failed", 0)
        end})
        cogen.yield(1)
      end)
      g:next()
      io.stdout:write("name=", tostring(g), "\n")
      io.stdout:flush()
    ]]
    assert.is_true(ok)
    local name = out:match("name=([^\n]+)")
    assert.is_truthy(name)
    local warnings = lines_with(out, "Lua warning: ")
    assert.equal(1, #warnings)
    if support.close_error_replaces then
      assert.is_true(has(warnings[1], name))
    else  -- 5.4.0-5.4.2: Lua's own warning, from inside the unwinding
      assert.is_true(has(warnings[1], "error in __close metamethod"))
    end
    assert.is_true(has(warnings[1], "late cleanup failed"))
  end)

  it("reports a yield while being collected as a warning naming the generator", function()
    local out, ok = run_child [[
      warn("@on")
      local cogen = require "cogen"
      local function spawn()
        local g = cogen.new(function()
          local c <close> = setmetatable({}, {__close = function()
            io.stdout:write("outer cleanup\n")
          end})
          pcall(cogen.yield, 1)
          cogen.yield(2)
        end)
        g:next()
        io.stdout:write("name=", tostring(g), "\n")
      end
      spawn()
      collectgarbage()
      collectgarbage()
      io.stdout:write("after collect\n")
    ]]
    assert.is_true(ok)
    local name = out:match("name=([^\n]+)")
    assert.is_truthy(name)
    assert.is_true(has(out, "outer cleanup\n"))
    assert.is_true(has(out, "after collect\n"))
    local warnings = lines_with(out, "Lua warning: ")
    assert.equal(1, #warnings)
    assert.is_true(has(warnings[1], name))
  end)
end)

---------------------------------------------------------------------------
describe("re-entrancy", function()

  it("refuses next on the generator from inside its own body [#62]", function()
    local me
    me = cogen.new(function()
      local ok, err = pcall(me.next, me)
      cogen.yield(ok, has(err, "generator already executing"))
    end)
    assert.same(pack(false, true), pack(me:next()))
  end)

  it("refuses send, throw and close from inside its own body and changes nothing [#63, #64]", function()
    local me
    me = cogen.new(function()
      local results = {}
      for _, call in ipairs{
        function() return me:send(1) end,
        function() return me:throw("delivered?") end,
        function() return me:close() end,
      } do
        local ok, err = pcall(call)
        results[#results + 1] = not ok and has(err, "generator already executing")
      end
      results[#results + 1] = me:status()
      cogen.yield(results)
      cogen.yield("still alive")
    end)
    assert.same({true, true, true, "running"}, me:next())
    assert.equal("still alive", me:next())
    assert.equal("suspended", me:status())
  end)

  it("closes the generator when the re-entrancy error escapes its body [#62]", function()
    local me
    me = cogen.new(function() me:next(); cogen.yield(1) end)
    assert.is_true(has(catch(me.next, me), "generator already executing"))
    assert.equal("closed", me:status())
  end)

  it("refuses all four methods on a generator further up the chain of resumers", function()
    local a, b
    b = cogen.new(function()
      local seen = {a:status()}
      for _, call in ipairs{
        function() return a:next() end,
        function() return a:send(1) end,
        function() return a:throw("x") end,
        function() return a:close() end,
      } do
        local ok, err = pcall(call)
        seen[#seen + 1] = not ok and has(err, "generator already executing")
      end
      cogen.yield(seen)
    end)
    a = cogen.new(function()
      cogen.yield(b:next())
      cogen.yield("a alive")
    end)
    assert.same({"running", true, true, true, true}, a:next())
    assert.equal("a alive", a:next())
  end)
end)

---------------------------------------------------------------------------
describe("PEP 479", function()

  it("turns a StopIteration escaping the body from an inner next into a RuntimeError [#25]", function()
    local inner = cogen.new(function() end)
    local outer = cogen.new(function()
      cogen.yield(1)
      inner:next()
      cogen.yield(2)
    end)
    outer:next()
    local e = catch(outer.next, outer)
    assert.equal(RuntimeError, getmetatable(e))
    assert.is_true(has(tostring(e), "generator raised StopIteration"))
    assert.is_true(has(e.message, "generator raised StopIteration"))
    assert.equal(StopIteration, getmetatable(e.cause))
    assert.equal("closed", outer:status())
  end)

  it("keeps the original StopIteration in the cause field [§3 B 35]", function()
    local stop = StopIteration(42)
    local g = cogen.new(function() error(stop) end)
    local e = catch(g.next, g)
    assert.is_true(has(tostring(e), "generator raised StopIteration"))
    assert.equal(stop, e.cause)
  end)

  it("does not end a for loop silently [#24]", function()
    local got = {}
    local g = cogen.new(function()
      cogen.yield(1)
      cogen.new(function() end):next()
      cogen.yield(2)
    end)
    local e = catch(function() for v in g do got[#got + 1] = v end end)
    assert.same({1}, got)
    assert.is_true(has(tostring(e), "generator raised StopIteration"))
  end)

  it("leaves a StopIteration caught inside the body harmless [#25]", function()
    local g = cogen.new(function()
      local ok, e = pcall(function() return cogen.new(function() return 7 end):next() end)
      cogen.yield(ok, e.value)
    end)
    assert.same(pack(false, 7), pack(g:next()))
  end)

  it("converts a thrown StopIteration that the body does not catch [#28]", function()
    local stop = StopIteration()
    local g = cogen.new(function() cogen.yield(1) end)
    g:next()
    local e = catch(g.throw, g, stop)
    assert.equal(RuntimeError, getmetatable(e))
    assert.equal(stop, e.cause)
    assert.equal("closed", g:status())
  end)

  it("never converts a return [#21]", function()
    local g = cogen.new(function() cogen.yield(1); return "done" end)
    g:next()
    local e = catch(g.next, g)
    assert.equal(StopIteration, getmetatable(e))
    assert.equal("done", e.value)
  end)
end)

---------------------------------------------------------------------------
describe("consumer", function()

  it("advances the new generator to its first yield so send works at once [#96]", function()
    local lines = {}
    local printer = cogen.consumer(function(prefix)
      while true do
        local line = cogen.yield()
        lines[#lines + 1] = prefix .. line
      end
    end)
    local p = printer("> ")
    assert.equal("suspended", p:status())
    p:send("hello")
    p:send("world")
    assert.same({"> hello", "> world"}, lines)
  end)

  it("raises the StopIteration when the body finishes before its first yield", function()
    local make = cogen.consumer(function(a) return a * 2, "done" end)
    local e = catch(make, 21)
    assert.equal(StopIteration, getmetatable(e))
    assert.equal(42, e.value)
    assert.same({n = 2, 42, "done"}, e.values)
  end)

  it("returns what the consumer yields back from send (running average) [#99]", function()
    local averager = cogen.consumer(function()
      local total, count, avg = 0, 0, nil
      while true do
        local x = cogen.yield(avg)
        total, count = total + x, count + 1
        avg = total / count
      end
    end)
    local a = averager()
    assert.same({10.0, 20.0, 15.0}, {a:send(10), a:send(30), a:send(5)})
  end)

  it("gives its result through StopIteration on the send that ends it [#97]", function()
    local averager = cogen.consumer(function()
      local total, count = 0, 0
      while true do
        local x = cogen.yield()
        if x == nil then break end
        total, count = total + x, count + 1
      end
      return total / count
    end)
    local a = averager()
    for _, v in ipairs{10, 20, 60} do a:send(v) end
    local e = catch(a.send, a, nil)
    assert.equal(StopIteration, getmetatable(e))
    assert.equal(30.0, e.value)
  end)

  it("runs the PEP 342 pipeline: a filter sends to a sink and passes close on [#98]", function()
    local out = {}
    local sink = cogen.consumer(function()
      local ok, err = pcall(function()
        while true do out[#out + 1] = "sink: " .. cogen.yield() end
      end)
      if getmetatable(err) == GeneratorExit then out[#out + 1] = "sink closed" end
    end)
    local only_even = cogen.consumer(function(target)
      local ok, err = pcall(function()
        while true do
          local x = cogen.yield()
          if x % 2 == 0 then target:send(x) end
        end
      end)
      if getmetatable(err) == GeneratorExit then target:close() end
      error(err, 0)
    end)
    local head = only_even(sink())
    for i = 0, 4 do head:send(i) end
    assert.same({n = 0}, pack(head:close()))
    assert.same({"sink: 0", "sink: 2", "sink: 4", "sink closed"}, out)
    assert.equal("closed", head:status())
  end)
end)

---------------------------------------------------------------------------
describe("yield_from a generator", function()

  it("passes the first value of the sub to the first next [yf 1, #71]", function()
    local trace = {}
    local g2 = function()
      trace[#trace + 1] = "start g2"
      cogen.yield(42)
      trace[#trace + 1] = "end g2"
    end
    local g1 = cogen.new(function()
      trace[#trace + 1] = "start g1"
      cogen.yield_from(cogen.new(g2))
      trace[#trace + 1] = "end g1"
    end)
    for x in g1 do trace[#trace + 1] = "yielded " .. x end
    assert.same({"start g1", "start g2", "yielded 42", "end g2", "end g1"}, trace)
  end)

  it("interleaves the values of the delegator and the sub in order [yf 3]", function()
    local g = cogen.new(function()
      cogen.yield("g1 ham")
      cogen.yield_from(cogen.new(function()
        cogen.yield("g2 spam"); cogen.yield("g2 more spam")
      end))
      cogen.yield("g1 eggs")
    end)
    local got = {}
    for v in g do got[#got + 1] = v end
    assert.same({"g1 ham", "g2 spam", "g2 more spam", "g1 eggs"}, got)
  end)

  it("passes several values at once in both directions", function()
    local g = cogen.new(function()
      cogen.yield_from(cogen.new(function()
        local a, b, c = cogen.yield(1, nil, 3)
        cogen.yield(c, b, a)
      end))
    end)
    assert.same(pack(1, nil, 3), pack(g:next()))
    assert.same(pack("z", nil, "x"), pack(g:send("x", nil, "z")))
  end)

  it("sends values to the sub while it is active, then to the delegator [yf 5, #72]", function()
    local trace = {}
    local function inner()
      local a = cogen.yield("i1"); trace[#trace + 1] = "inner got " .. a
      local b = cogen.yield("i2"); trace[#trace + 1] = "inner got " .. b
    end
    local g = cogen.new(function()
      local x = cogen.yield("o1"); trace[#trace + 1] = "outer got " .. x
      cogen.yield_from(cogen.new(inner))
      local y = cogen.yield("o2"); trace[#trace + 1] = "outer got " .. y
    end)
    assert.equal("o1", g:next())
    assert.same({"i1", "i2", "o2"}, {g:send(1), g:send(2), g:send(3)})
    assert.equal(StopIteration, getmetatable(catch(g.send, g, 4)))
    assert.same({"outer got 1", "inner got 2", "inner got 3", "outer got 4"}, trace)
  end)

  it("returns the sub's return values (the PEP 380 example) [#73]", function()
    local g = cogen.new(function()
      local r1, r2 = cogen.yield_from(cogen.new(function()
        cogen.yield(1)
        return "inner-result", 2
      end))
      return r1:upper(), r2
    end)
    assert.equal(1, g:next())
    local e = catch(g.next, g)
    assert.equal(StopIteration, getmetatable(e))
    assert.same({n = 2, "INNER-RESULT", 2}, e.values)
  end)

  it("returns nil, numbers, tables and StopIteration objects unchanged [yf 12]", function()
    local t, stop = {}, StopIteration(3)
    local got = {}
    local g = cogen.new(function()
      for _, v in ipairs{false, 1, t, stop} do
        got[#got + 1] = cogen.yield_from(cogen.new(function()
          cogen.yield("x")
          return v
        end))
      end
      got[#got + 1] = select("#", cogen.yield_from(cogen.new(function() cogen.yield("y") end)))
    end)
    for _ in g do end
    assert.equal(5, #got)
    assert.equal(false, got[1])
    assert.equal(1, got[2])
    assert.equal(t, got[3])
    assert.equal(stop, got[4])
    assert.equal(0, got[5])
  end)

  it("ends the delegation at the sub's StopIteration, which never leaks out [#74]", function()
    local g = cogen.new(function()
      local r = cogen.yield_from(cogen.new(function() return "done" end))
      cogen.yield("after: " .. r)
    end)
    assert.equal("after: done", g:next())
    assert.equal(StopIteration, getmetatable(catch(g.next, g)))
  end)

  it("gives the delegator's return value through next and through send [yf 22, 23]", function()
    local function outer()
      return cogen.yield_from(cogen.new(function()
        return cogen.yield(1)
      end))
    end
    local g = cogen.new(outer)
    g:next()
    assert.equal(nil, catch(g.next, g).value)
    g = cogen.new(outer)
    g:next()
    local t = {2}
    assert.equal(t, catch(g.send, g, t).value)
  end)

  it("propagates an error from the sub's first step, closing both innermost first [yf 2, #90]", function()
    local trace = {}
    local g1 = cogen.new(function()
      local c <close> = closer(trace, "finishing g1")
      trace[#trace + 1] = "starting g1"
      cogen.yield_from(cogen.new(function()
        local c2 <close> = closer(trace, "finishing g2")
        trace[#trace + 1] = "starting g2"
        error("spanish inquisition occurred", 0)
      end))
      trace[#trace + 1] = "g1 should not be here"
    end)
    local err = catch(function() for _ in g1 do end end)
    assert.equal("spanish inquisition occurred", err)
    assert.same({"starting g1", "starting g2",
                 "finishing g2:spanish inquisition occurred",
                 "finishing g1:spanish inquisition occurred"}, trace)
    assert.equal("closed", g1:status())
  end)

  it("propagates an error the sub raises after yielding [yf 4]", function()
    local trace = {}
    local g1 = cogen.new(function()
      local c <close> = closer(trace, "finishing g1")
      cogen.yield("g1 ham")
      cogen.yield_from(cogen.new(function()
        local c2 <close> = closer(trace, "finishing g2")
        cogen.yield("g2 spam")
        error("hovercraft is full of eels", 0)
      end))
    end)
    local err = catch(function()
      for x in g1 do trace[#trace + 1] = "yielded " .. x end
    end)
    assert.equal("hovercraft is full of eels", err)
    assert.same({"yielded g1 ham", "yielded g2 spam",
                 "finishing g2:hovercraft is full of eels",
                 "finishing g1:hovercraft is full of eels"}, trace)
  end)

  it("propagates an error the sub raises while handling a send to the sender [yf 6]", function()
    local g = cogen.new(function()
      cogen.yield_from(cogen.new(function()
        local x = cogen.yield(1)
        error("bad " .. x, 0)
      end))
    end)
    g:next()
    assert.equal("bad value", catch(g.send, g, "value"))
    assert.equal("closed", g:status())
  end)

  it("lets the delegator catch an error coming out of the sub [#83]", function()
    local g = cogen.new(function()
      local ok, err = pcall(cogen.yield_from, cogen.new(function()
        cogen.yield(1)
        error("from inner", 0)
      end))
      cogen.yield("outer caught " .. err)
    end)
    local got = {}
    for v in g do got[#got + 1] = v end
    assert.same({1, "outer caught from inner"}, got)
  end)

  it("passes a thrown error to the sub, whose yield becomes throw's result [yf 21, #80]", function()
    local g = cogen.new(function()
      cogen.yield_from(cogen.new(function()
        local ok, err = pcall(cogen.yield, "spam")
        if not ok then cogen.yield("lunch saved: " .. err) end
        cogen.yield("more")
      end))
      cogen.yield("outer eggs")
    end)
    g:next()
    assert.equal("lunch saved: Lunch", g:throw("Lunch"))
    local rest = {}
    for v in g do rest[#rest + 1] = v end
    assert.same({"more", "outer eggs"}, rest)
  end)

  it("resumes the delegator with the sub's value when the sub catches and returns [yf 24, #81]", function()
    local trace = {}
    local g = cogen.new(function()
      local v = cogen.yield_from(cogen.new(function()
        local ok = pcall(cogen.yield, 1)
        if not ok then trace[#trace + 1] = "inner caught" end
        return "inner value"
      end))
      cogen.yield("outer resumed with " .. v)
    end)
    g:next()
    assert.equal("outer resumed with inner value", g:throw("ValueError"))
    assert.same({"inner caught"}, trace)
  end)

  it("unwinds an uncaught thrown error through both, innermost first [yf 9, #82]", function()
    local trace = {}
    local err = {}
    local g = cogen.new(function()
      local c <close> = closer(trace, "outer")
      cogen.yield_from(cogen.new(function()
        local c2 <close> = closer(trace, "inner")
        cogen.yield("i")
      end))
    end)
    g:next()
    assert.equal(err, catch(g.throw, g, err))
    assert.same({"inner:" .. tostring(err), "outer:" .. tostring(err)}, trace)
    assert.equal("closed", g:status())
  end)

  it("closes the sub first, then raises GeneratorExit in the delegator [yf 7, #85]", function()
    local trace = {}
    local sub
    local g = cogen.new(function()
      local c <close> = closer(trace, "outer finally")
      sub = cogen.new(function()
        local c2 <close> = closer(trace, "inner finally")
        cogen.yield("i")
      end)
      local ok, err = pcall(cogen.yield_from, sub)
      trace[#trace + 1] = "outer saw " .. kind(err)
      error(err, 0)
    end)
    g:next()
    assert.same({n = 0}, pack(g:close()))
    assert.same({"inner finally:GeneratorExit", "outer saw GeneratorExit",
                 "outer finally:GeneratorExit"}, trace)
    assert.equal("closed", g:status())
    assert.equal("closed", sub:status())
  end)

  it("closes a chain of delegating generators, the sub's cleanup before the delegator's [yf 7]", function()
    local trace = {}
    local g1 = cogen.new(function()
      local c <close> = closer(trace, "finishing g1")
      cogen.yield("g1 ham")
      cogen.yield_from(cogen.new(function()
        local c2 <close> = closer(trace, "finishing g2")
        cogen.yield("g2 spam")
        cogen.yield("g2 more spam")
      end))
      cogen.yield("g1 eggs")
    end)
    assert.equal("g1 ham", g1:next())
    assert.equal("g2 spam", g1:next())
    g1:close()
    assert.same({"finishing g2:GeneratorExit", "finishing g1:GeneratorExit"}, trace)
  end)

  it("still raises GeneratorExit in the delegator when the closed sub returns a value [yf 25]", function()
    local trace = {}
    local g = cogen.new(function()
      local ok, err, more = pcall(cogen.yield_from, cogen.new(function()
        local ok2, e = pcall(cogen.yield)
        trace[#trace + 1] = "inner got " .. kind(e)
        return "ignored"
      end))
      trace[#trace + 1] = "outer got " .. kind(err)
      error(err, 0)
    end)
    g:next()
    assert.same({n = 0}, pack(g:close()))
    assert.same({"inner got GeneratorExit", "outer got GeneratorExit"}, trace)
  end)

  it("returns from close what the delegator returns after catching GeneratorExit", function()
    local g = cogen.new(function()
      local ok, err = pcall(cogen.yield_from, cogen.new(function() cogen.yield(1) end))
      return "outer result", kind(err)
    end)
    g:next()
    assert.same(pack("outer result", "GeneratorExit"), pack(g:close()))
    assert.equal("closed", g:status())
  end)

  it("raises out of close an error the sub raises while being closed [yf 8, #86]", function()
    local trace = {}
    local g = cogen.new(function()
      local c <close> = closer(trace, "outer finally")
      cogen.yield_from(cogen.new(function()
        local c2 <close> = setmetatable({}, {__close = function()
          trace[#trace + 1] = "inner finally"
          error("nybbles", 0)
        end})
        cogen.yield()
      end))
    end)
    g:next()
    if support.close_error_replaces then
      assert.equal("nybbles", catch(g.close, g))
      assert.same({"inner finally", "outer finally:nybbles"}, trace)
    else  -- 5.4.0-5.4.2: Lua makes it a warning and GeneratorExit unwinds on
      assert.same({n = 0}, pack(g:close()))
      assert.same({"inner finally", "outer finally:GeneratorExit"}, trace)
    end
    assert.equal("closed", g:status())
  end)

  it("raises 'generator ignored GeneratorExit' from close when the sub yields instead [yf 26, #89]", function()
    local g = cogen.new(function()
      cogen.yield_from(cogen.new(function()
        pcall(cogen.yield)
        cogen.yield("naughty")
      end))
    end)
    g:next()
    assert.is_true(has(tostring(catch(g.close, g)), "generator ignored GeneratorExit"))
  end)

  it("continues a sub that was already started", function()
    local sub = cogen.new(function() cogen.yield(1); cogen.yield(2); return 3 end)
    assert.equal(1, sub:next())
    local g = cogen.new(function() cogen.yield("got " .. cogen.yield_from(sub)) end)
    assert.equal(2, g:next())
    assert.equal("got 3", g:next())
  end)

  it("turns a StopIteration thrown through the delegator into a RuntimeError in the sub [#94]", function()
    local stop = StopIteration()
    local g = cogen.new(function()
      return cogen.yield_from(cogen.new(function() cogen.yield(1) end))
    end)
    g:next()
    local e = catch(g.throw, g, stop)
    assert.equal(RuntimeError, getmetatable(e))
    assert.equal(stop, e.cause)
    assert.equal("closed", g:status())
  end)

  it("makes the delegator count as running while the sub runs [yf 29, #92]", function()
    local outer
    local seen = {}
    local sub = cogen.new(function()
      seen[#seen + 1] = outer:status()
      for _, call in ipairs{
        function() return outer:next() end,
        function() return outer:send(1) end,
        function() return outer:throw("x") end,
        function() return outer:close() end,
      } do
        local ok, err = pcall(call)
        seen[#seen + 1] = not ok and has(err, "generator already executing")
      end
      cogen.yield(1)
    end)
    outer = cogen.new(function() cogen.yield_from(sub) end)
    assert.equal(1, outer:next())
    assert.same({"running", true, true, true, true}, seen)
    assert.equal("suspended", outer:status())
  end)

  it("refuses a delegation cycle with 'generator already executing' [yf 20, #93]", function()
    local g1, g2
    g2 = cogen.new(function()
      cogen.yield("y2")
      cogen.yield_from(g1)
    end)
    g1 = cogen.new(function()
      cogen.yield("y1")
      cogen.yield_from(g2)
    end)
    local got = {}
    local err = catch(function() for y in g1 do got[#got + 1] = y end end)
    assert.same({"y1", "y2"}, got)
    assert.is_true(has(err, "generator already executing"))
  end)
end)

---------------------------------------------------------------------------
describe("yield_from a table or a function", function()

  it("yields the array items of a table, stopping at the first nil [yf 13]", function()
    local g = cogen.new(function()
      local r = cogen.yield_from({1, 2, nil, 4})
      cogen.yield("result " .. tostring(r))
    end)
    local got = {}
    for v in g do got[#got + 1] = v end
    assert.same({1, 2, "result nil"}, got)
  end)

  it("finishes at once on an empty table [yf 28, #75]", function()
    local g = cogen.new(function() cogen.yield_from({}) end)
    assert.equal(StopIteration, getmetatable(catch(g.next, g)))
  end)

  it("calls a function iterator as f(state, ctl) until it returns nil", function()
    local g = cogen.new(function()
      cogen.yield_from(ipairs({"a", "b"}))
      cogen.yield("done")
    end)
    assert.same(pack(1, "a"), pack(g:next()))
    assert.same(pack(2, "b"), pack(g:next()))
    assert.equal("done", g:next())
  end)

  it("calls a closure iterator repeatedly", function()
    local g = cogen.new(function()
      local i = 0
      cogen.yield_from(function()
        i = i + 1
        if i <= 3 then return i * 10 end
      end)
    end)
    local got = {}
    for v in g do got[#got + 1] = v end
    assert.same({10, 20, 30}, got)
  end)

  it("treats send(nil) as next [yf 14, #76]", function()
    local g = cogen.new(function() cogen.yield_from({0, 1, 2}) end)
    assert.same({0, 1, 2}, {g:send(nil), g:send(nil), g:send(nil)})
  end)

  it("raises a non-nil send to a table as an error in the delegating body [yf 17, #78]", function()
    local g = cogen.new(function()
      local ok, err = pcall(cogen.yield_from, {1, 2, 3})
      cogen.yield(ok and "finished" or "caught")
    end)
    assert.equal(1, g:next())
    assert.equal("caught", g:send(42))
  end)

  it("raises a non-nil send to a function iterator as an error in the delegating body", function()
    local g = cogen.new(function()
      local ok = pcall(cogen.yield_from, function() return 1 end)
      cogen.yield(ok and "finished" or "caught")
    end)
    assert.equal(1, g:next())
    assert.equal("caught", g:send(false))
  end)

  it("closes the delegator when that send error escapes, running its cleanup [#78]", function()
    local log = {}
    local g = cogen.new(function()
      local c <close> = closer(log, "delegator finally")
      cogen.yield_from({1, 2, 3})
    end)
    g:next()
    local err = catch(g.send, g, 42)
    assert.equal("string", type(err))
    assert.equal("closed", g:status())
    assert.equal(1, #log)
    assert.equal("delegator finally:", log[1]:sub(1, #"delegator finally:"))
  end)

  it("raises a thrown error at the delegation point [yf 16, #84]", function()
    local g = cogen.new(function()
      local ok, err = pcall(cogen.yield_from, {1, 2, 3})
      cogen.yield("delegator caught " .. err)
    end)
    g:next()
    assert.equal("delegator caught x", g:throw("x"))
  end)

  it("raises a thrown error at a function iterator's delegation point", function()
    local err = {}
    local g = cogen.new(function()
      local ok, e = pcall(cogen.yield_from, function() return 1 end)
      cogen.yield(e)
    end)
    g:next()
    assert.equal(err, g:throw(err))
  end)

  it("runs the delegator's cleanup on close [yf 15, #87]", function()
    local log = {}
    local g = cogen.new(function()
      local c <close> = closer(log, "g finally")
      cogen.yield_from({1, 2, 3})
    end)
    g:next()
    assert.same({n = 0}, pack(g:close()))
    assert.same({"g finally:GeneratorExit"}, log)
  end)
end)

---------------------------------------------------------------------------
describe("nested delegation", function()

  it("walks a tree recursively [#100]", function()
    local function inorder(t)
      if t then
        local left, label, right = t[1], t[2], t[3]
        cogen.yield_from(cogen.new(inorder, left))
        cogen.yield(label)
        cogen.yield_from(cogen.new(inorder, right))
      end
    end
    local tree = {{nil, "A", nil}, "B", {{nil, "C", nil}, "D", nil}}
    local got = {}
    for v in cogen.new(inorder, tree) do got[#got + 1] = v end
    assert.same({"A", "B", "C", "D"}, got)
  end)

  it("passes values and return values through 100 levels", function()
    -- 50 where nested generators share one C-stack budget (5.4.0-5.4.1,
    -- support.shared_cstack): it runs out at about 85 levels
    local depth = support.shared_cstack and 50 or 100
    local function chain(d)
      if d == 0 then
        local x = cogen.yield("leaf")
        return x * 2
      end
      return cogen.yield_from(cogen.new(chain, d - 1)) + 1
    end
    local g = cogen.new(chain, depth)
    assert.equal("leaf", g:next())
    assert.equal(depth + 10, catch(g.send, g, 5).value)
  end)

  it("passes throw through 3 levels to the innermost generator", function()
    local g = cogen.new(function()
      cogen.yield_from(cogen.new(function()
        cogen.yield_from(cogen.new(function()
          local ok, err = pcall(cogen.yield, "deep")
          cogen.yield("caught " .. err)
        end))
      end))
    end)
    assert.equal("deep", g:next())
    assert.equal("caught boom", g:throw("boom"))
  end)

  it("closes every level of a chain, innermost first", function()
    local log = {}
    local function level(d)
      local c <close> = closer(log, "level " .. d)
      if d == 3 then cogen.yield("bottom") end
      cogen.yield_from(cogen.new(level, d + 1))
    end
    local g = cogen.new(level, 1)
    assert.equal("bottom", g:next())
    g:close()
    assert.same({"level 3:GeneratorExit", "level 2:GeneratorExit",
                 "level 1:GeneratorExit"}, log)
  end)
end)

---------------------------------------------------------------------------
describe("Python examples", function()

  it("the PEP 255 try/except/finally trace gives 1, 2, 4, 5, 8, 9, 10, 11 [#23]", function()
    local function f()
      local log = {}
      local ok, err = pcall(function()
        cogen.yield(1)
        local ok2 = pcall(function()
          cogen.yield(2)
          error("zero division", 0)
        end)
        cogen.yield(4)
        cogen.yield(5)
        error("x", 0)
      end)
      cogen.yield(8)
      cogen.yield(9)
      do
        local c <close> = setmetatable({}, {__close = function() end})
        cogen.yield(10)
      end
      cogen.yield(11)
    end
    local got = {}
    for v in cogen.new(f) do got[#got + 1] = v end
    assert.same({1, 2, 4, 5, 8, 9, 10, 11}, got)
  end)

  it("a throw caught in the body answers with the handler's yield [#34]", function()
    local g = cogen.new(function()
      while true do
        local ok, err = pcall(cogen.yield, "waiting")
        if not ok then cogen.yield("handled " .. err) end
      end
    end)
    assert.equal("waiting", g:next())
    assert.equal("handled v1", g:throw("v1"))
    assert.equal("waiting", g:next())
    assert.equal("suspended", g:status())
  end)

  it("yield_from with a return value [#73]", function()
    local said = {}
    local function inner() cogen.yield(1); return "inner-result" end
    local g = cogen.new(function()
      local r = cogen.yield_from(cogen.new(inner))
      said[#said + 1] = "yield from gave " .. r
      return r:upper()
    end)
    assert.equal(1, g:next())
    assert.equal("INNER-RESULT", catch(g.next, g).value)
    assert.same({"yield from gave inner-result"}, said)
  end)
end)

describe("close through a C frame's own to-be-closed slot", function()
  local cfix = require "cfix"

  local function recorder(log, name)
    return setmetatable({}, {__close = function(_, err)
      log[#log + 1] = name .. ":" .. tostring(err)
    end})
  end

  it("closes the slot that C code marked with lua_toclose", function()
    local log = {}
    local g = cogen.new(function()
      local outer <close> = recorder(log, "lua")
      return cfix.toclose(recorder(log, "C"), function(x) return cogen.yield(x) end, 7)
    end)
    assert.equal(7, g:next())
    g:close()
    assert.same({"C:GeneratorExit", "lua:GeneratorExit"}, log)
    assert.equal("closed", g:status())
  end)

  it("closes it with the thrown error, and normally on return", function()
    local log = {}
    local g = cogen.new(function()
      local ok, e = pcall(cfix.toclose, recorder(log, "C"), cogen.yield)
      cfix.toclose(recorder(log, "C2"), cogen.yield, "again")
      return e
    end)
    g:next()
    assert.equal("again", g:throw("boom"))
    assert.equal("boom", select(2, pcall(g.next, g)).value)
    assert.same({"C:boom", "C2:nil"}, log)
  end)
end)
