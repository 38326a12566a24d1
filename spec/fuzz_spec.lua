-- Model-based fuzzing. spec/fuzzer.lua makes a random program per seed
-- (generator bodies and operations on them), runs it with cogen and with
-- spec/model.lua, a reference model of the protocol on plain coroutines, and
-- compares every observable, operation by operation. A fixed range of seeds
-- runs here (COGEN_FUZZ_SEEDS, 500 by default); `make fuzz N=...` runs more
-- (scripts/fuzz.lua). Numbers in brackets refer to
-- /work/shared/python-protocol.md, as in protocol_spec.lua.

local cogen = require "cogen"
local model = require "model"
local fuzzer = require "fuzzer"
local support = require "support"

local SEEDS = tonumber(os.getenv("COGEN_FUZZ_SEEDS") or "500")
local SHOW = "LUA_PATH='lua/?.lua;spec/?.lua;;' LUA_CPATH='" .. support.build ..
             "/?.so;;' " .. support.lua .. " scripts/fuzz.lua --seed "

local function pack(...) return table.pack(...) end

local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error, got none")
  return err
end

local function has(s, part)
  return type(s) == "string" and s:find(part, 1, true) ~= nil
end

-- a to-be-closed value that writes name and the class of the error it sees
local function closer(log, name, classes)
  return setmetatable({}, {__close = function(_, err)
    local what = err == nil and "nil" or
                 getmetatable(err) == classes.GeneratorExit and "GeneratorExit" or
                 tostring(err)
    log[#log + 1] = name .. ":" .. what
  end})
end

-- run a Lua script in a child interpreter: its output and whether it ended
-- well (for cases that crash or spoil the interpreter's state)
local ROOT do
  local src = debug.getinfo(1, "S").source:gsub("^@", "")
  local dir = src:match("^(.*)/spec/[^/]+$") or "."
  if dir:sub(1, 1) ~= "/" then dir = (os.getenv("PWD") or ".") .. "/" .. dir end
  ROOT = dir
end

local function run_child(script)
  local name = os.tmpname()
  local f = assert(io.open(name, "w"))
  local build = support.build
  if build:sub(1, 1) ~= "/" then build = ROOT .. "/" .. build end
  f:write(("package.path = %q .. package.path\n"):format(ROOT .. "/lua/?.lua;"))
  f:write(("package.cpath = %q .. package.cpath\n"):format(build .. "/?.so;"))
  f:write(script)
  f:close()
  local p = assert(io.popen(support.lua .. " " .. name .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  os.remove(name)
  return out, ok
end

---------------------------------------------------------------------------
describe("the reference model", function()

  it("refuses a yield in reply to close and stays suspended [#50, #51]", function()
    local g = model.new(function() pcall(model.yield, 1); model.yield(2) end)
    g:next()
    assert.equal("generator ignored GeneratorExit", catch(g.close, g))
    assert.equal("suspended", g:status())
  end)

  it("closes the sub first, then raises GeneratorExit in the delegator [#85]", function()
    local log = {}
    local g = model.new(function()
      local _ <close> = closer(log, "outer", model)
      model.yield_from(model.new(function()
        local _ <close> = closer(log, "inner", model)
        model.yield(1)
      end))
    end)
    g:next()
    assert.same({n = 0}, pack(g:close()))
    assert.same({"inner:GeneratorExit", "outer:GeneratorExit"}, log)
  end)

  it("refuses a delegator's yield after its sub ignored GeneratorExit [#89, #51]", function()
    local g = model.new(function()
      local ok, err = pcall(model.yield_from, model.new(function()
        pcall(model.yield, 1)
        model.yield(2)
      end))
      model.yield(err)
    end)
    g:next()
    assert.equal("generator ignored GeneratorExit", catch(g.close, g))
    assert.equal("suspended", g:status())
  end)

  it("turns a StopIteration escaping the body into a RuntimeError [#25]", function()
    local stop = model.StopIteration(1)
    local g = model.new(function() error(stop) end)
    local e = catch(g.next, g)
    assert.equal(model.RuntimeError, getmetatable(e))
    assert.equal(stop, e.cause)
  end)

  it("refuses each yield of a generator being collected, as cogen does [#58]", function()
    local seen = {}
    local g = model.new(function()
      local _, e1 = pcall(model.yield, 1)
      local _, e2 = pcall(model.yield, 2)
      seen = {getmetatable(e1) == model.GeneratorExit, e2}
    end)
    g:next()
    model.collect(g)
    assert.same({true, "attempt to yield from a generator being collected"}, seen)
    assert.equal("closed", g:status())
  end)
end)

---------------------------------------------------------------------------
describe("model-based fuzzing", function()

  it(("finds cogen and the model in agreement on seeds 1..%d"):format(SEEDS), function()
    local failed = {}
    for seed = 1, SEEDS do
      local fail = fuzzer.run(seed)
      if fail then
        failed[#failed + 1] = fail.crash and
          ("seed %d: the driver failed: %s"):format(seed, fail.crash) or
          ("seed %d, operation #%d:\n    model: %s\n    cogen: %s\n    %s%d"):format(
            seed, fail.op, fail.model[fail.line] or "(nothing)",
            fail.cogen[fail.line] or "(nothing)", SHOW, seed)
      end
    end
    local shown = table.concat(failed, "\n", 1, math.min(#failed, 5))
    assert(#failed == 0, ("cogen disagrees with the model on %d of %d seeds:\n%s"):format(
      #failed, SEEDS, shown))
  end)

  it("makes the same program from the same seed", function()
    assert.equal(fuzzer.show(fuzzer.generate(42)), fuzzer.show(fuzzer.generate(42)))
    assert.not_equal(fuzzer.show(fuzzer.generate(42)), fuzzer.show(fuzzer.generate(43)))
  end)

  it("notices a difference: a model whose yields lose their last value fails", function()
    local yield = model.yield
    model.yield = function(...)
      local n = select("#", ...)
      return yield(table.unpack({...}, 1, n > 0 and n - 1 or 0))
    end
    local fail
    local ok, err = pcall(function()
      for seed = 1, 50 do
        fail = fuzzer.run(seed)
        if fail then break end
      end
    end)
    model.yield = yield
    assert(ok, err)
    assert.truthy(fail)
    assert.not_equal(fail.model[fail.line], fail.cogen[fail.line])
  end)
end)

---------------------------------------------------------------------------
-- Minimal forms of what the fuzzer found; the expected outcomes are
-- CPython's (checked with 3.11.7; close() returning values is 3.13).
describe("cogen, on cases the fuzzer found", function()

  it("close() refuses a delegator's yield after its sub ignored GeneratorExit [#89, #51]", function()
    local sub = cogen.new(function() pcall(cogen.yield, "s1"); cogen.yield("s2") end)
    local g = cogen.new(function()
      local ok, err = pcall(cogen.yield_from, sub)
      cogen.yield("after " .. tostring(err))
    end)
    assert.equal("s1", g:next())
    assert.is_true(has(catch(g.close, g), "generator ignored GeneratorExit"))
    assert.equal("suspended", g:status())
    assert.equal("suspended", sub:status())
  end)

  it("close() refuses a delegator's yield after its sub raised while being closed [#86, #51]", function()
    local g = cogen.new(function()
      local ok, err = pcall(cogen.yield_from, cogen.new(function()
        local _ <close> = setmetatable({}, {__close = function() error("boom", 0) end})
        cogen.yield("s")
      end))
      cogen.yield("after " .. tostring(err))
    end)
    g:next()
    assert.is_true(has(catch(g.close, g), "generator ignored GeneratorExit"))
    assert.equal("suspended", g:status())
  end)

  it("gives GeneratorExit to a delegator being closed when its sub returns, even after an error [#86]", function()
    local log = {}
    local function leaf() pcall(cogen.yield, 1); cogen.yield(2) end
    local function middle()
      pcall(cogen.yield_from, cogen.new(leaf))  -- the leaf ignores GeneratorExit
      return "middle result"
    end
    local g = cogen.new(function()
      local ok, err = pcall(cogen.yield_from, cogen.new(middle))
      log[#log + 1] = ok and "returned " .. tostring(err) or
                      getmetatable(err) == cogen.GeneratorExit and "GeneratorExit" or tostring(err)
      if not ok then error(err, 0) end
    end)
    g:next()
    assert.same({n = 0}, pack(g:close()))
    assert.same({"GeneratorExit"}, log)
    assert.equal("closed", g:status())
  end)

  it("close() refuses a yield coming from a delegation started while closing [#51]", function()
    local g = cogen.new(function()
      local ok = pcall(cogen.yield, "r1")
      cogen.yield_from(cogen.new(function() cogen.yield("sub") end))
    end)
    g:next()
    assert.is_true(has(catch(g.close, g), "generator ignored GeneratorExit"))
    assert.equal("suspended", g:status())
  end)

  it("throw(GeneratorExit) into a delegator closes the sub with its own GeneratorExit, then raises the thrown one [#85]", function()
    local exit = cogen.GeneratorExit()
    local seen = {}
    local sub = cogen.new(function()
      local ok, e = pcall(cogen.yield, 1)
      seen.sub = e
      return "ignored"
    end)
    local g = cogen.new(function()
      local ok, e = pcall(cogen.yield_from, sub)
      seen.delegator = e
      cogen.yield("x")
    end)
    g:next()
    assert.equal("x", g:throw(exit))
    assert.equal(cogen.GeneratorExit, getmetatable(seen.sub))
    assert.not_equal(exit, seen.sub)
    assert.equal(exit, seen.delegator)
  end)

  it("makes exception instances that carry only the message and cause given", function()
    local exit = cogen.GeneratorExit()
    assert.is_nil(exit.message)
    assert.equal("GeneratorExit", tostring(exit))
    local e = cogen.RuntimeError("msg")
    assert.equal("msg", e.message)
    assert.is_nil(e.cause)
  end)

  it("hands a sub shared by two delegators back to the one that resumed it", function()
    local out, ok = run_child [[
      local cogen = require "cogen"
      local a, b, s
      s = cogen.new(function()
        cogen.yield("s1")
        pcall(a.next, a)  -- generator already executing
        return "s done"
      end)
      a = cogen.new(function() return cogen.yield_from(s) end)
      b = cogen.new(function() return cogen.yield_from(s) end)
      a:next()
      local _, e = pcall(b.next, b)
      print(e.value, a:status(), b:status(), s:status())
    ]]
    assert.equal("s done\tsuspended\tclosed\tclosed\n", out)
    assert.is_true(ok)
  end)

  it("does not reuse the guard of a generator that Lua code finished while its finalizer waited", function()
    -- The collector schedules the guard's finalizer with many others (run
    -- a few per step); a weak-keyed table still hands out its generator,
    -- which Lua code runs to its end in between; a new generator must not
    -- get that guard, or the finalizer would close it.
    local out, ok = run_child [[
      local cogen = require "cogen"
      collectgarbage("incremental")
      collectgarbage("stop")
      local weak = setmetatable({}, {__mode = "k"})
      do
        local g = cogen.new(function() cogen.yield(1) cogen.yield(2) end)
        g()
        weak[g] = true
      end
      local finalizing = false
      for _ = 1, 5000 do setmetatable({}, {__gc = function() finalizing = true end}) end
      collectgarbage("restart")
      local h, got
      for _ = 1, 100000 do
        for _ = 1, 20 do local _ = {} end
        if finalizing and not h then
          for g in pairs(weak) do
            if g:status() == "suspended" then
              for _ in g do end
              h = cogen.new(function()
                got = select(2, pcall(cogen.yield, "h"))
                cogen.yield("after")
              end)
              print("started in between", h())
            end
          end
        end
        if h and not next(weak) then break end
      end
      collectgarbage()
      print(h and h:status(), got, h and h:next())
    ]]
    assert.equal("started in between\th\nsuspended\tnil\tafter\n", out)
    assert.is_true(ok)
  end)

  it("does not reuse the guard of a generator that a finalizer finished", function()
    local out, ok = run_child [[
      local cogen = require "cogen"
      local function closer(f) return setmetatable({}, {__close = f}) end
      -- a and b become garbage together; b's finalizer finishes a, whose
      -- guard is marked for finalization already
      local function pair(after)
        local a = cogen.new(function() cogen.yield(1) end)
        local b = cogen.new(function()
          local _ <close> = closer(function() pcall(a.next, a); if after then after() end end)
          cogen.yield(1)
        end)
        a:next(); b:next()
      end
      pair()
      collectgarbage(); collectgarbage()
      local closed = false
      local function spawn()
        cogen.new(function()
          local _ <close> = closer(function() closed = true end)
          cogen.yield(1)
        end):next()
      end
      spawn()
      collectgarbage(); collectgarbage()
      print("garbage closed", closed)
      pair(function()
        live = cogen.new(function() cogen.yield(1); cogen.yield(2) end)
        live:next()
      end)
      collectgarbage(); collectgarbage()
      print("live", live:status())
    ]]
    assert.equal("garbage closed\ttrue\nlive\tsuspended\n", out)
    assert.is_true(ok)
  end)
end)
