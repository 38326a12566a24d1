-- Reliability: errors raised while unwinding, deep nesting, and lua_close
-- with many suspended generators. What could crash runs in a child
-- interpreter (spec/child.lua), so a crash fails one spec, not the suite.
local cogen = require "cogen"
local cfix = require "cfix"
local child = require "child"

local GeneratorExit = cogen.GeneratorExit

-- From 5.4.3 an error in a __close handler while another error unwinds
-- replaces that error; 5.4.0-5.4.2 make it a warning and keep the first
local close_error_replaces = select(2, pcall(function()
  local c <close> = setmetatable({}, {__close = function() error("new", 0) end})
  error("old", 0)
end)) == "new"

local function closer(log, name, fail)
  return setmetatable({}, {__close = function(_, err)
    log[#log + 1] = name .. ":" .. (getmetatable(err) == GeneratorExit and "GeneratorExit" or tostring(err))
    if fail then error(fail, 0) end
  end})
end

-- the state still runs generators across C calls
local function usable()
  local g = cogen.new(function(t)
    table.sort(t, function(a, b) return cogen.yield(a, b) end)
    return (string.gsub(table.concat(t, " "), "%d", function(d) return cogen.yield(d) end))
  end, {3, 1, 2})
  local ok, a, b = pcall(g.next, g)
  while ok and b ~= nil do ok, a, b = pcall(g.send, g, a < b) end
  while ok do ok, a = pcall(g.send, g, "<" .. a .. ">") end
  assert.equal("<1> <2> <3>", a.value)
  assert.is_nil(cogen.running())
end

describe("errors while unwinding", function()
  it("run every to-be-closed handler of a closed generator, even those after one that raises", function()
    local log = {}
    local g = cogen.new(function()
      local a <close> = closer(log, "a")
      local b <close> = closer(log, "b", "b failed")
      local c <close> = closer(log, "c", "c failed")
      local d <close> = closer(log, "d")
      cogen.yield()
    end)
    g:next()
    local ok, err = pcall(g.close, g)
    if close_error_replaces then
      assert.same({false, "b failed"}, {ok, err})
      assert.same({"d:GeneratorExit", "c:GeneratorExit", "b:c failed", "a:b failed"}, log)
    else
      assert.is_true(ok)
      assert.equal(4, #log)
    end
    assert.equal("closed", g:status())
    usable()
  end)

  it("run handlers of C frames (lua_toclose) and Lua frames when a close handler raises", function()
    local log = {}
    local g = cogen.new(function()
      local outer <close> = closer(log, "lua")
      return cfix.toclose(closer(log, "c", "c failed"), cfix.loops, 2, 2, function()
        return cogen.yield()
      end)
    end)
    g:next()
    local ok, err = pcall(g.close, g)
    assert.equal(2, #log)
    assert.equal("c:GeneratorExit", log[1])
    if close_error_replaces then
      assert.same({false, "c failed"}, {ok, err})
      assert.equal("lua:c failed", log[2])
    end
    assert.equal("closed", g:status())
    usable()
  end)

  it("keep the first error when a handler raises while the body's own error unwinds", function()
    local log = {}
    local g = cogen.new(function()
      local a <close> = closer(log, "a")
      local b <close> = closer(log, "b", "b failed")
      cogen.yield()
      error("body failed", 0)
    end)
    g:next()
    local ok, err = pcall(g.next, g)
    assert.is_false(ok)
    assert.equal(close_error_replaces and "b failed" or "body failed", err)
    assert.equal(2, #log)
    assert.equal("closed", g:status())
    usable()
  end)

  it("in __gc finalizers and close handlers of a collected generator become warnings", function()
    local out, code = child.run([[
      local cogen = require "cogen"
      warn("@on")
      local closed = 0
      local function spawn()
        local g = cogen.new(function()
          local c <close> = setmetatable({}, {__close = function()
            closed = closed + 1
            -- garbage whose finalizer raises, collected during the closing
            setmetatable({}, {__gc = function() error("gc failed", 0) end})
            collectgarbage()
            error("close failed", 0)
          end})
          setmetatable({}, {__gc = function() error("body gc failed", 0) end})
          cogen.yield()
        end)
        g:next()
      end
      for _ = 1, 5 do spawn() end
      collectgarbage(); collectgarbage(); collectgarbage()
      local g = cogen.new(function() cogen.yield("usable") end)
      print(closed, g:next())
    ]])
    child.clean(out)
    assert.equal(0, code, out)
    assert.is_truthy(out:find("\n5\tusable\n$") or out:find("^5\tusable\n$"), out)
    assert.is_truthy(out:find("gc failed", 1, true), out)
    assert.is_truthy(out:find("close failed", 1, true), out)
  end)

  it("caught by a body forever while it is collected do not hang the collector or lua_close", function()
    local out, code = child.run([[
      local cogen = require "cogen"
      warn("@on")
      local function spawn()
        local g = cogen.new(function()
          -- a watchdog on the body's own thread
          debug.sethook(function() print("hung") os.exit(3) end, "", 10000000)
          while true do pcall(cogen.yield) end  -- catches GeneratorExit too
        end)
        g:next()
        return g
      end
      spawn()
      collectgarbage(); collectgarbage()
      print("collected")
      keep = spawn()  -- and one for lua_close
    ]])
    child.clean(out)
    assert.equal(0, code, out)
    assert.is_truthy(out:find("collected\n", 1, true), out)
    assert.is_nil(out:find("hung", 1, true), out)
  end)

  it("in an xpcall message handler inside a generator end the xpcall, not the state", function()
    local g = cogen.new(function()
      local r = table.pack(xpcall(error, function(m) error("handler failed", 0) end, "E", 0))
      cogen.yield(r[1])
      return "after"
    end)
    assert.is_false(g:next())
    local ok, e = pcall(g.next, g)
    assert.equal("after", e.value)
    usable()
  end)

  it("unwind a generator closed while suspended in an xpcall message handler", function()
    local log, yielded = {}, false
    local g = cogen.new(function()
      local c <close> = closer(log, "body")
      local ok, err = xpcall(error, function(m)
        if not yielded then yielded = true; cogen.yield("in handler") end
        return m  -- called again with GeneratorExit: hands it on
      end, "E", 0)
      log[#log + 1] = "xpcall:" .. (getmetatable(err) == GeneratorExit and "GeneratorExit" or tostring(err))
      if getmetatable(err) == GeneratorExit then error(err, 0) end
    end)
    assert.equal("in handler", g:next())
    assert.same({n = 0}, table.pack(g:close()))
    assert.same({"xpcall:GeneratorExit", "body:GeneratorExit"}, log)
    assert.equal("closed", g:status())
    usable()
  end)

  for _, case in ipairs({
    {"a table.sort comparator", function()
      table.sort({5, 3, 1, 4, 2}, function(a, b) cogen.yield("sort") return a < b end)
    end},
    {"a string.gsub callback", function()
      string.gsub("abc", "%w", function(c) cogen.yield("gsub") end)
    end},
    {"a load reader", function()
      local f, err = load(function() cogen.yield("load") end)
      error(err, 0)  -- load catches the reader's GeneratorExit: hand it on
    end},
    {"a __index metamethod reached from C", function()
      table.concat(setmetatable({}, {__index = function() return cogen.yield("index") end,
                                     __len = function() return 2 end}))
    end},
  }) do
    it("unwind a generator closed while suspended in " .. case[1], function()
      local log = {}
      local g = cogen.new(function()
        local c <close> = closer(log, "body")
        case[2]()
      end)
      assert.is_string(g:next())
      assert.same({n = 0}, table.pack(g:close()))
      assert.same({"body:GeneratorExit"}, log)
      assert.equal("closed", g:status())
      -- the same C function works again, in a generator and outside
      local t = {3, 1, 2}
      table.sort(t)
      assert.same({1, 2, 3}, t)
      usable()
    end)
  end

  it("unwind a generator thrown into while suspended in a comparator", function()
    local log = {}
    local g = cogen.new(function()
      local c <close> = closer(log, "body")
      table.sort({3, 2, 1}, function(a, b) cogen.yield() return a < b end)
    end)
    g:next()
    local err = {}
    local ok, e = pcall(g.throw, g, err)
    assert.same({false, err}, {ok, e})
    assert.same({"body:table: " .. tostring(err):match("0x%x+")}, log)
    usable()
  end)
end)

describe("deep nesting", function()
  it("of C calls of every kind inside a generator ends in a Lua error", function()
    local out, code = child.run([[
      local cogen = require "cogen"
      local cfix = require "cfix"
      local kinds, deep = {}
      kinds.gsub = function(n) return (string.gsub("x", "x", function() return deep(n) end)) end
      kinds.sort = function(n)
        local r
        table.sort({1, 2}, function(a, b) r = r or deep(n) return a < b end)
        return r
      end
      kinds.concat = function(n)
        return table.concat(setmetatable({}, {__index = function() return deep(n) end,
                                              __len = function() return 1 end}))
      end
      kinds.format = function(n)
        return string.format("%s", setmetatable({}, {__tostring = function() return deep(n) end}))
      end
      kinds.load = function(n)
        local r
        local _, e = load(function() r = deep(n) end)
        if e then error(e, 0) end
        return r
      end
      kinds.pcall = function(n) local ok, r = pcall(deep, n) if not ok then error(r, 0) end return r end
      kinds.coroutine = function(n) return coroutine.wrap(function() return deep(n) end)() end
      kinds.cfix = function(n) return cfix.recurse(3, function() return deep(n) end) end
      kinds.apply = function(n) return cfix.apply(deep, n) end
      kinds.index = function(n) return setmetatable({}, {__index = function() return deep(n) end}).x end
      kinds.require = function(n)
        package.preload["m" .. n] = function() return deep(n) end
        return require("m" .. n)
      end
      local names = {}
      for k in pairs(kinds) do names[#names + 1] = k end
      table.sort(names)
      names[#names + 1] = "mix"
      local kind
      function deep(n)
        n = n + 1
        if n > 100000 then return "bottom" end
        return kinds[kind == "mix" and names[n % (#names - 1) + 1] or kind](n)
      end
      for _, k in ipairs(names) do
        kind = k
        local g = cogen.new(function() return pcall(deep, 0) end)
        local _, e = pcall(g.next, g)
        print(k, e.values[1], e.values[2] ~= nil and tostring(e.values[2]):match("overflow") or e.values[2])
      end
      local g = cogen.new(function() cogen.yield("usable") end)
      print(g:next())
    ]])
    child.clean(out)
    assert.equal(0, code, out)
    local n = 0
    for kind, ok, msg in out:gmatch("(%w+)\t(%w+)\t(%w+)\n") do
      n = n + 1
      assert.equal("false", ok, kind)
      assert.equal("overflow", msg, kind)
    end
    assert.equal(12, n, out)
    assert.is_truthy(out:find("usable\n$"), out)
  end)

  it("of generators resumed from generators, 10,000 deep, works or fails cleanly", function()
    local out, code = child.run([[
      local cogen = require "cogen"
      local N = 10000
      local g = cogen.new(function() cogen.yield(0) cogen.yield(100) end)
      for _ = 1, N do
        local inner = g
        g = cogen.new(function()
          cogen.yield(inner:next() + 1)
          cogen.yield(inner:next() + 1)
        end)
      end
      local ok1, a = pcall(g.next, g)
      local ok2, b = pcall(g.next, g)
      print(ok1 and a or "error: " .. tostring(a))
      print(ok2 and b or "error: " .. tostring(b))
      g = nil
      collectgarbage()
      local h = cogen.new(function() cogen.yield("usable") end)
      print(h:next())
    ]])
    child.clean(out)
    assert.equal(0, code, out)
    -- 5.4.0-5.4.1 share one C-stack budget among threads: a clean error there
    local a, b = out:match("^(.-)\n(.-)\nusable\n$")
    assert.is_truthy(a, out)
    if a:find("^error") then
      assert.matches("overflow", a)
    else
      assert.same({"10000", "10100"}, {a, b})
    end
  end)

  it("of yield_from delegation, 10,000 deep, sends, throws and closes through the chain", function()
    local log = {}
    local g = cogen.new(function()
      local c <close> = closer(log, "leaf")
      local x = cogen.yield("leaf")
      local ok, e = pcall(cogen.yield, x)
      cogen.yield(e)
    end)
    for _ = 1, 10000 do
      local sub = g
      g = cogen.new(function() return cogen.yield_from(sub) end)
    end
    assert.equal("leaf", g:next())
    assert.equal("sent", g:send("sent"))
    assert.equal("thrown", g:throw("thrown"))
    assert.same({n = 0}, table.pack(g:close()))
    assert.same({"leaf:GeneratorExit"}, log)
    assert.equal("closed", g:status())
    collectgarbage()
    usable()
  end)
end)

describe("lua_close", function()
  -- each closer writes its letter; generators in every state are left
  local script = [[
    local cogen = require "cogen"
    local cfix = require "cfix"
    local capi = require "capi"
    local N = tonumber(arg[1])
    local out = io.stdout
    out:setvbuf("full")
    local function closer(letter)
      return setmetatable({}, {__close = function() out:write(letter) end})
    end
    keep = {}
    local function add(g) keep[#keep + 1] = g return g end
    for _ = 1, N do
      -- created: the body never runs, nothing to close
      add(cogen.new(function() local c <close> = closer("X") end))
      -- suspended in Lua
      add(cogen.new(function() local c <close> = closer("a") cogen.yield() end)):next()
      -- suspended inside a C call
      add(cogen.new(function()
        local c <close> = closer("b")
        table.sort({3, 2, 1}, function(x, y) cogen.yield() return x < y end)
      end)):next()
      -- inside C loops, below a C frame's to-be-closed slot
      add(cogen.new(function()
        local c <close> = closer("c")
        return cfix.toclose(closer("d"), cfix.loops, 2, 2, function() return cogen.yield() end)
      end)):next()
      -- inside a __close handler that yielded when close() was called
      local h = add(cogen.new(function()
        local c <close> = closer("e")
        local y <close> = setmetatable({}, {__close = function() cogen.yield() out:write("Y") end})
        cogen.yield()
      end))
      h:next()
      assert(not pcall(h.close, h))
      -- a delegation chain
      local inner = cogen.new(function() local c <close> = closer("f") cogen.yield() end)
      add(cogen.new(function() local c <close> = closer("g") cogen.yield_from(inner) end)):next()
      -- inside a coroutine inside the body
      add(cogen.new(function()
        local c <close> = closer("h")
        coroutine.wrap(function() local d <close> = closer("i") cogen.yield() end)()
      end)):next()
      -- in a C loop that yields through cogen.h
      add(cogen.new(function() local c <close> = closer("j") return capi.loop(3) end)):next()
    end
    if arg[2] == "collect" then
      keep = nil
      collectgarbage()
      collectgarbage()
      out:write("|")
    end
  ]]

  local function counts(out)
    local c = {}
    for ch in out:gmatch("[%a|]") do c[ch] = (c[ch] or 0) + 1 end
    return c
  end

  local expect = {}
  for ch in ("abcdefghij"):gmatch(".") do expect[ch] = 300 end

  it("closes thousands of suspended generators in every state, running all their handlers", function()
    local out, code = child.run(script, "300")
    child.clean(out)
    assert.equal(0, code, out)
    assert.same(expect, counts(out))
  end)

  it("leaves the same work to the collector when they become garbage", function()
    local out, code = child.run(script, "300 collect")
    child.clean(out)
    assert.equal(0, code, out)
    assert.equal("|", out:sub(-1))
    local c = counts(out)
    c["|"] = nil
    assert.same(expect, c)
  end)
end)
