-- cogen.h: C code yields with cogen_yield, from a module built apart
local cogen = require "cogen"
local capi = require "capi"
local support = require "support"

local raised = require("support").raised

-- resume g until it returns, answering each yield with answer(...)
local function drive(g, answer)
  local seen = {}
  local r = table.pack(pcall(g.next, g))
  while r[1] do
    seen[#seen + 1] = r[2]
    r = table.pack(pcall(g.send, g, answer(table.unpack(r, 2, r.n))))
  end
  assert.equal(cogen.StopIteration, getmetatable(r[2]), tostring(r[2]))
  return seen, r[2].value
end

local function recorder(log, name)
  return setmetatable({}, {__close = function(_, err)
    log[#log + 1] = name .. ":" .. tostring(err)
  end})
end

describe("cogen_yield", function()
  it("yields from a C loop, with values going both ways", function()
    local g = cogen.new(capi.loop, 4)
    local seen, sum = drive(g, function(i) return i * 10 end)
    assert.same({1, 2, 3, 4}, seen)
    assert.equal(100, sum)
  end)

  it("yields from the bottom of C recursion 100 levels deep", function()
    local g = cogen.new(capi.recurse, 100)
    local seen, r = drive(g, function(d) return d * 2 end)
    assert.same({100}, seen)
    local expect = 200
    for d = 0, 100 do expect = expect + d * 3 + 1 end
    assert.equal(expect, r)
  end)

  it("yields from a comparator that C's qsort calls", function()
    local t = {4, 2, 5, 1, 3}
    local g = cogen.new(capi.qsort, t)
    local seen = drive(g, function(a, b) return a - b end)
    assert.same({1, 2, 3, 4, 5}, t)
    assert.is_true(#seen >= 4)
  end)

  it("yields through a nested mix: C calls Lua calls C calls cogen_yield", function()
    local cfix = require "cfix"
    local g = cogen.new(function()
      return cfix.apply(function(x) return capi.yield(x, x + 1) end, 7)
    end)
    assert.same({7, 8}, {g:next()})
    local e = raised(g.send, g, "a", "b")
    assert.same({"a", "b", n = 2}, e.values)
  end)

  it("returns how many values the resumer sent, none after next", function()
    local g = cogen.new(function()
      local a = table.pack(capi.yield())
      local b = table.pack(capi.yield())
      return a.n, b.n, b[3]
    end)
    g:next()
    g:next()
    assert.same({0, 3, 3, n = 3}, raised(g.send, g, 1, nil, 3).values)
  end)

  it("keeps callee-saved registers across the yield", function()
    local g = cogen.new(capi.registers, 7)
    g:next()
    local cfix = require "cfix"
    local e
    assert.is_true(cfix.registers(function() e = raised(g.next, g) end, 3))
    assert.is_true(e.value)
  end)

  it("raises outside a generator, as cogen.yield does", function()
    assert.truthy(raised(capi.yield, 1):find("outside a generator", 1, true))
    assert.is_false(capi.isyieldable())
    local g = cogen.new(function() cogen.yield(capi.isyieldable()) end)
    assert.is_true(g:next())
  end)
end)

describe("throw and close through C frames", function()
  it("raise inside cogen_yield and close the C frame's to-be-closed slot", function()
    local log = {}
    local g = cogen.new(function()
      local outer <close> = recorder(log, "lua")
      return capi.guarded(recorder(log, "C"), 5)
    end)
    assert.equal(1, g:next())
    assert.equal(2, g:next())
    g:close()
    assert.same({"C:GeneratorExit", "lua:GeneratorExit"}, log)
    assert.equal("closed", g:status())
  end)

  it("pass a thrown error to a pcall around the C function", function()
    local log = {}
    local g = cogen.new(function()
      local ok, err = pcall(capi.guarded, recorder(log, "C"), 3)
      cogen.yield("caught " .. tostring(err))
      return "after"
    end)
    g:next()
    assert.equal("caught boom", g:throw("boom"))
    assert.same({"C:boom"}, log)
    assert.equal("after", raised(g.next, g).value)
  end)

  it("close the slot normally when the C function returns", function()
    local log = {}
    local g = cogen.new(capi.guarded, recorder(log, "C"), 1)
    g:next()
    assert.equal("done", raised(g.next, g).value)
    assert.same({"C:nil"}, log)
  end)
end)

describe("the C API table", function()
  it("makes cogen_yield raise before require \"cogen\" has run", function()
    local cmd = support.lua .. [[ -e 'package.cpath = "]] .. support.build .. [[/?.so;" .. package.cpath
      local capi = require "capi"
      print(select(2, pcall(capi.yield, 1)))
      print(select(2, pcall(capi.isyieldable)))' 2>&1]]
    local p = io.popen(cmd)
    local out = p:read("a")
    p:close()
    assert.equal('cogen\'s C API is not loaded: require "cogen" first\n'
              .. 'cogen\'s C API is not loaded: require "cogen" first\n', out)
  end)

  it("refuses a module of another API version with a clear error", function()
    local real = capi.fakeapi(99)
    local ok, err = pcall(capi.isyieldable)
    capi.restoreapi(real)
    assert.is_false(ok)
    assert.equal("cogen.h is version 1, the loaded cogen has version 99", err)
    assert.is_false(capi.isyieldable())
  end)
end)
