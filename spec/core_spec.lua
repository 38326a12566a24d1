-- cogen core: generators with next/send, yields across C boundaries
local cogen = require "cogen"
local cfix = require "cfix"
local support = require "support"

local raised = require("support").raised

local function collect(g)
  local out = {}
  for v in g do out[#out + 1] = v end
  return out
end

describe("a generator", function()
  it("is created without running its body", function()
    local ran = false
    local g = cogen.new(function() ran = true end)
    assert.equal("created", g:status())
    assert.is_false(ran)
  end)

  it("runs its body with the creation arguments on the first next", function()
    local g = cogen.new(function(a, b, c) cogen.yield(a + b, c) end, 1, 2, "x")
    assert.same({3, "x"}, {g:next()})
    assert.equal("suspended", g:status())
  end)

  it("accepts a callable table as body", function()
    local body = setmetatable({}, {__call = function(self, x) cogen.yield(x * 2) end})
    assert.equal(8, cogen.new(body, 4):next())
  end)

  it("is made by a generator function with the same arguments", function()
    local make = cogen.generator(function(n) for i = 1, n do cogen.yield(i) end end)
    assert.same({1, 2, 3}, collect(make(3)))
    assert.same({1}, collect(make(1)))
  end)

  it("returns the sent values from cogen.yield", function()
    local log = {}
    local g = cogen.new(function()
      while true do log[#log + 1] = table.pack(cogen.yield()) end
    end)
    g:next()
    g:send("a", "b")
    g:next()
    g:send(nil, nil, 3)
    assert.same({{"a", "b", n = 2}, {n = 0}, {n = 3, [3] = 3}}, log)
  end)

  it("moves values of every type and count, nil included, both ways", function()
    local t, f, co = {}, function() end, coroutine.create(print)
    local g = cogen.new(function(...)
      local back = table.pack(cogen.yield(...))
      cogen.yield(back.n, table.unpack(back, 1, back.n))
    end, nil, 2, t, f, co, true, 1.5, nil)
    assert.same(table.pack(nil, 2, t, f, co, true, 1.5, nil), table.pack(g:next()))
    local r = table.pack(g:send(nil, false, nil))
    assert.same({n = 4, 3, nil, false, nil}, r)
  end)

  it("yields nil, 2 as nil, 2", function()
    local g = cogen.new(function() cogen.yield(nil, 2) end)
    assert.same(table.pack(nil, 2), table.pack(g:next()))
  end)

  it("moves many values in one crossing", function()
    local g = cogen.new(function() cogen.yield(table.unpack({}, 1, 5000)) end)
    assert.equal(5000, select("#", g:next()))
  end)

  it("reports its status through its life", function()
    local g
    g = cogen.new(function()
      assert.equal("running", g:status())
      cogen.yield()
    end)
    assert.equal("created", g:status())
    g:next()
    assert.equal("suspended", g:status())
    assert.equal(cogen.StopIteration, getmetatable(raised(g.next, g)))
    assert.equal("closed", g:status())
  end)
end)

describe("exhaustion", function()
  it("raises StopIteration carrying the return values", function()
    local g = cogen.new(function() return 1, nil, 3 end)
    local e = raised(g.next, g)
    assert.equal(cogen.StopIteration, getmetatable(e))
    assert.equal(1, e.value)
    assert.same({1, nil, 3, n = 3}, e.values)
    assert.equal("closed", g:status())
  end)

  it("raises StopIteration from send too", function()
    local g = cogen.new(function() local x = cogen.yield() return x * 10 end)
    g:next()
    assert.equal(70, raised(g.send, g, 7).value)
  end)

  it("has a string form that begins with StopIteration", function()
    local e = raised(cogen.new(function() return 42 end).next, cogen.new(function() return 42 end))
    assert.equal("StopIteration: 42", tostring(e))
    local bare = raised(cogen.new(function() end).next, cogen.new(function() end))
    assert.equal("StopIteration", tostring(bare))
  end)

  it("raises StopIteration with no value on every later next or send", function()
    local g = cogen.new(function() return "v" end)
    raised(g.next, g)
    for _ = 1, 3 do
      local e = raised(g.next, g)
      assert.equal(cogen.StopIteration, getmetatable(e))
      assert.is_nil(e.value)
      assert.same({n = 0}, e.values)
      assert.equal(cogen.StopIteration, getmetatable(raised(g.send, g, 1)))
    end
    assert.equal("closed", g:status())
  end)
end)

describe("priming", function()
  it("refuses a non-nil first send and leaves the generator created", function()
    local ran = false
    local g = cogen.new(function() ran = true; cogen.yield() end)
    for _, v in ipairs({1, false, 0, "", {}}) do
      local err = raised(g.send, g, v)
      assert.truthy(err:find("can't send non-nil value to a just-started generator", 1, true))
      assert.equal("created", g:status())
    end
    assert.is_false(ran)
  end)

  it("starts the body on send() or send(nil), like next", function()
    local g1 = cogen.new(function(...) cogen.yield(select("#", ...)) end)
    local g2 = cogen.new(function(a) cogen.yield(a) end, "arg")
    assert.equal(0, g1:send())
    assert.equal("arg", g2:send(nil))
  end)
end)

describe("errors in the body", function()
  it("propagate unchanged: a table keeps its identity", function()
    local err = {}
    local g = cogen.new(function() cogen.yield(); error(err) end)
    g:next()
    assert.equal(err, raised(g.next, g))
    assert.equal("closed", g:status())
  end)

  it("propagate unchanged: a string gets no position prefix", function()
    local g = cogen.new(function() error("plain", 0) end)
    assert.equal("plain", raised(g.next, g))
  end)

  it("keep the position that error() itself added", function()
    local g = cogen.new(function() error("where") end)
    assert.matches("core_spec.lua:%d+: where$", raised(g.next, g))
  end)

  it("leave the generator closed, raising StopIteration afterwards", function()
    local g = cogen.new(function() error("x", 0) end)
    raised(g.next, g)
    assert.equal(cogen.StopIteration, getmetatable(raised(g.next, g)))
  end)

  it("can be nil and other non-string values", function()
    -- what error(nil) raises: nil, or "<no error object>" from Lua 5.5 on
    local nil_error = select(2, pcall(error, nil))
    assert.equal(nil_error, raised(cogen.new(function() error(nil) end).next, cogen.new(function() error(nil) end)))
    local g = cogen.new(function() error(42) end)
    assert.equal(42, raised(g.next, g))
  end)
end)

describe("re-entrancy", function()
  it("refuses to resume a generator from its own body", function()
    local g
    g = cogen.new(function()
      local err = raised(g.next, g)
      cogen.yield(err)
    end)
    assert.truthy(g:next():find("generator already executing", 1, true))
    assert.equal("suspended", g:status())
  end)

  it("refuses to resume a generator further up the chain of resumers", function()
    local outer, inner
    inner = cogen.new(function() cogen.yield(raised(outer.send, outer, 1)) end)
    outer = cogen.new(function() cogen.yield(inner:next()) end)
    assert.truthy(outer:next():find("generator already executing", 1, true))
    assert.equal("suspended", outer:status())
  end)
end)

describe("cogen.yield", function()
  it("raises outside any generator", function()
    assert.truthy(raised(cogen.yield, 1):find("outside a generator", 1, true))
  end)

  it("raises in a Lua coroutine that no generator runs", function()
    local co = coroutine.wrap(function() return pcall(cogen.yield) end)
    local ok, err = co()
    assert.is_false(ok)
    assert.truthy(err:find("outside a generator", 1, true))
  end)
end)

describe("cogen.running and cogen.isyieldable", function()
  it("are nil and false outside generators", function()
    assert.is_nil(cogen.running())
    assert.is_false(cogen.isyieldable())
  end)

  it("name the innermost running generator", function()
    local inner, outer
    inner = cogen.new(function() cogen.yield(cogen.running() == inner, cogen.isyieldable()) end)
    outer = cogen.new(function()
      local a, b = inner:next()
      cogen.yield(a, b, cogen.running() == outer)
    end)
    assert.same({true, true, true}, {outer:next()})
    assert.is_nil(cogen.running())
  end)
end)

describe("iteration", function()
  it("runs a generic for until the body returns", function()
    local g = cogen.new(function() for i = 1, 4 do cogen.yield(i, i * i) end return "end" end)
    local seen = {}
    for a, b in g do seen[#seen + 1] = a .. ":" .. b end
    assert.same({"1:1", "2:4", "3:9", "4:16"}, seen)
    assert.equal("closed", g:status())
  end)

  it("stops at a first nil, as any Lua iterator", function()
    local g = cogen.new(function() cogen.yield(1); cogen.yield(nil, 2); cogen.yield(3) end)
    assert.same({1}, collect(g))
    assert.equal("suspended", g:status())
  end)

  it("calls the generator as one step, giving nothing at the end", function()
    local g = cogen.new(function() cogen.yield("a") end)
    assert.equal("a", g())
    assert.equal(0, select("#", g()))
    assert.equal(0, select("#", g()))
  end)
end)

describe("threads", function()
  it("can be created in one coroutine and resumed from another and from main", function()
    local g
    local maker = coroutine.wrap(function()
      g = cogen.new(function() for i = 1, 3 do cogen.yield(i, coroutine.running()) end end)
      coroutine.yield()
    end)
    maker()
    local a = coroutine.wrap(function() return g:next() end)()
    local b = g:next()
    local c = coroutine.wrap(function() return g:next() end)()
    assert.same({1, 2, 3}, {a, b, c})
  end)

  it("resumes generators inside Lua coroutines that yield in between", function()
    local g = cogen.new(function() for i = 1, 3 do cogen.yield(i) end end)
    local co = coroutine.wrap(function()
      local x = g:next(); coroutine.yield(x)
      return g:next() + g:next()
    end)
    assert.equal(1, co())
    assert.equal(5, co())
  end)

  it("suspends a coroutine running inside the body together with the generator", function()
    local g = cogen.new(function()
      local co = coroutine.create(function(a)
        local b = cogen.yield("in coroutine", a)
        coroutine.yield("native", b)
        return "co done"
      end)
      local _, x, y = coroutine.resume(co, 1)
      cogen.yield(x, y)
      _, x = coroutine.resume(co)
      return x, coroutine.status(co)
    end)
    assert.same({"in coroutine", 1}, {g:next()})
    assert.same({"native", "sent"}, {g:send("sent")})
    local e = raised(g.next, g)
    assert.same({"co done", "dead", n = 2}, e.values)
  end)

  it("resumes generators from generators, nested 200 deep", function()
    local function chain(depth)
      if depth == 0 then
        return cogen.new(function() cogen.yield(0); cogen.yield(100) end)
      end
      local inner = chain(depth - 1)
      return cogen.new(function()
        cogen.yield(inner:next() + 1)
        cogen.yield(inner:next() + 1)
      end)
    end
    local g = chain(200)
    assert.equal(200, g:next())
    assert.equal(300, g:next())
  end)
end)

describe("the generator object", function()
  it("has a name and a string form", function()
    local g = cogen.new(print)
    assert.matches("^cogen%.generator: 0x%x+$", tostring(g))
    assert.truthy(raised(g.next, {}):find("cogen.generator expected, got table", 1, true))
  end)

  it("hides its metatable", function()
    assert.equal("cogen.generator", getmetatable(cogen.new(print)))
  end)

  it("is collected like any value", function()
    local weak = setmetatable({}, {__mode = "k"})
    do
      local done = cogen.new(function() end)
      pcall(done.next, done)
      weak[cogen.new(print)] = "created"
      weak[done] = "done"
      local s = cogen.new(function() cogen.yield() end)
      s:next()
      weak[s] = "suspended"
    end
    collectgarbage(); collectgarbage()
    assert.is_nil(next(weak))
  end)
end)

describe("yields across C boundaries", function()
  -- drive g, answering each yield with answer(value); returns yields and result
  local function drive(g, answer)
    local seen = {}
    local ok, v = pcall(g.next, g)
    while ok do
      seen[#seen + 1] = v
      ok, v = pcall(g.send, g, answer and answer(v))
    end
    assert.equal(cogen.StopIteration, getmetatable(v), tostring(v))
    return seen, v.value
  end

  it("from a table.sort comparator", function()
    local g = cogen.new(function()
      local t = {5, 2, 4, 1, 3}
      table.sort(t, function(a, b) return cogen.yield({a, b}) end)
      return table.concat(t, " ")
    end)
    local seen, r = drive(g, function(p) return p[1] < p[2] end)
    assert.equal("1 2 3 4 5", r)
    assert.is_true(#seen > 4)
  end)

  it("from a string.gsub replacement function", function()
    local g = cogen.new(function()
      return (string.gsub("a b c", "%a", function(c) return cogen.yield(c) end))
    end)
    local seen, r = drive(g, string.upper)
    assert.same({"a", "b", "c"}, seen)
    assert.equal("A B C", r)
  end)

  it("from a load reader", function()
    local g = cogen.new(function()
      local f = assert(load(function() return cogen.yield("more") end))
      return f()
    end)
    local parts = {"return ", "6 ", "* 7", nil}
    local i = 0
    local seen, r = drive(g, function() i = i + 1 return parts[i] end)
    assert.equal(4, #seen)
    assert.equal(42, r)
  end)

  it("from __tostring through tostring and string.format", function()
    local obj = setmetatable({}, {__tostring = function() return cogen.yield("ts") end})
    local g = cogen.new(function() return tostring(obj) .. string.format("[%s]", obj) end)
    local i = 0
    local seen, r = drive(g, function() i = i + 1 return "s" .. i end)
    assert.same({"ts", "ts"}, seen)
    assert.equal("s1[s2]", r)
  end)

  it("from metamethods reached from the VM", function()
    local mt = {}
    for _, e in ipairs({"__index", "__add", "__sub", "__mul", "__div", "__mod",
                        "__unm", "__concat", "__len", "__eq", "__lt", "__le",
                        "__call", "__idiv", "__band", "__shl", "__bnot"}) do
      mt[e] = function() return cogen.yield(e) end
    end
    mt.__newindex = function(_, k, v) cogen.yield("__newindex") end
    local a, b = setmetatable({}, mt), setmetatable({}, mt)
    local g = cogen.new(function()
      local r = {}
      r[1] = a.x; a.y = 1; r[2] = a + 1; r[3] = a - 1; r[4] = a * 1; r[5] = a / 1
      r[6] = a % 1; r[7] = -a; r[8] = a .. "x"; r[9] = #a; r[10] = a == b
      r[11] = a < b; r[12] = a <= b; r[13] = a(); r[14] = a // 1; r[15] = a & 1
      r[16] = a << 1; r[17] = ~a
      return r
    end)
    local seen, r = drive(g, function(e) return e .. "!" end)
    assert.same({"__index", "__newindex", "__add", "__sub", "__mul", "__div", "__mod",
                 "__unm", "__concat", "__len", "__eq", "__lt", "__le", "__call",
                 "__idiv", "__band", "__shl", "__bnot"}, seen)
    assert.equal("__index!", r[1])
    assert.is_true(r[10])  -- comparisons turn the answer into a boolean
    assert.equal("__bnot!", r[17])
  end)

  it("from metamethods reached from C functions", function()
    local t = setmetatable({}, {
      __index = function(_, k) return cogen.yield("get", k) end,
      __newindex = function(_, k, v) cogen.yield("set", k, v) end,
      __len = function() return cogen.yield("len") end,
      __eq = function() return cogen.yield("eq") end,
      __lt = function() return cogen.yield("lt") end,
    })
    local g = cogen.new(function()
      local v = rawequal(t, t) and table.unpack(t, 1, 2)  -- __index from C
      table.insert(t, "x")                                -- __len, __newindex from C
      local s = table.concat(t, ",", 1, 1)                -- __index from C
      return v, s, select("#", table.unpack(t, 1, 2))
    end)
    local answers = {get = "G", len = 0}
    local seen, r = drive(g, function(kind) return answers[kind] end)
    -- table.concat evaluates its default end, #t, even when given one
    assert.same({"get", "get", "len", "set", "len", "get", "get", "get"}, seen)
    assert.equal("G", r)
  end)

  it("from pcall, xpcall and an xpcall message handler", function()
    local g = cogen.new(function()
      local r1 = select(2, pcall(cogen.yield, "in pcall"))
      local r2 = select(2, xpcall(cogen.yield, print, "in xpcall"))
      local _, r3 = xpcall(error, function(m) return m .. cogen.yield("in handler") end, "E", 0)
      return r1 .. r2 .. r3
    end)
    local seen, r = drive(g, function(s) return "<" .. s .. ">" end)
    assert.same({"in pcall", "in xpcall", "in handler"}, seen)
    assert.equal("<in pcall><in xpcall>E<in handler>", r)
  end)

  it("from a generic-for iterator function", function()
    local g = cogen.new(function()
      local sum = 0
      local i = 0
      local function iter() i = i + 1; if i <= 3 then return cogen.yield(i) end end
      for v in iter do
        sum = sum + v
      end
      return sum
    end)
    local seen, r = drive(g, function(i) return i * 10 end)
    assert.same({1, 2, 3}, seen)
    assert.equal(60, r)
  end)

  it("from the main chunk of a module that require loads", function()
    local saved = package.path
    package.path = "spec/fixtures/modules/?.lua;" .. saved
    package.loaded.yieldmod = nil
    local g = cogen.new(function() return require("yieldmod").got end)
    local seen, r = drive(g, function() return "sent" end)
    package.path = saved
    assert.same({"loading"}, seen)
    assert.equal("sent", r)
  end)

  it("from callbacks of a separately built C module, in nested C loops", function()
    local g = cogen.new(function()
      return cfix.loops(3, 2, function(i, j) return cogen.yield(i * 10 + j) end)
    end)
    local seen, r = drive(g, function(v) return v % 10 end)
    assert.same({11, 12, 21, 22, 31, 32}, seen)
    assert.equal((1 + 2) * 1 + (1 + 2) * 2 + (1 + 2) * 3, r)
  end)

  it("from a callback at the bottom of 100 levels of C recursion", function()
    local g = cogen.new(function()
      return cfix.recurse(100, function(d) return cogen.yield(d) end)
    end)
    local seen, r = drive(g, function(d) return d + 1 end)
    assert.same({100}, seen)
    local expect = 101
    for d = 0, 100 do expect = expect + d * 7 + 1 end
    assert.equal(expect, r)
  end)

  it("from a comparator that C's qsort calls", function()
    local g = cogen.new(function()
      local t = {3, 1, 2, 5, 4}
      cfix.qsort(t, function(a, b) return cogen.yield(a, b) end)
      return table.concat(t, " ")
    end)
    local seen = {}
    local ok, a, b = pcall(g.next, g)
    while ok do
      seen[#seen + 1] = a
      ok, a, b = pcall(g.send, g, a - b)
    end
    assert.equal("1 2 3 4 5", a.value)
    assert.is_true(#seen >= 4)
  end)

  it("through a nested mix: C calls Lua calls C calls Lua that yields", function()
    local g = cogen.new(function()
      return cfix.apply(function(x)
        return cfix.apply(function(y) return cogen.yield(x + y) end, x * 2) + 1
      end, 5)
    end)
    local seen, r = drive(g, function(v) return v * 100 end)
    assert.same({15}, seen)
    assert.equal(1501, r)
  end)

  it("keeps callee-saved registers of the C frames across the yield", function()
    local g = cogen.new(function()
      return cfix.registers(function() cogen.yield() end, 5)
    end)
    g:next()
    -- resume from inside C frames that keep their own values live: a lost
    -- register on either side breaks one of the two checks
    local e
    assert.is_true(cfix.registers(function() e = raised(g.next, g) end, 9))
    assert.is_true(e.value)
  end)

  it("keeps the C frames of a generator while others run between its yields", function()
    local gens = {}
    for k = 1, 20 do
      gens[k] = cogen.new(function()
        return cfix.loops(2, 2, function(i, j) return cogen.yield(k) end)
      end)
    end
    local total = 0
    for round = 1, 5 do
      for k = 1, 20 do
        local ok, v = pcall(gens[k].send, gens[k], round > 1 and 1 or nil)
        if ok then total = total + v else total = total + v.value * 1000 end
      end
    end
    -- each yields k four times, then returns 1*1 + 1*1 + 1*2 + 1*2 = 6
    assert.equal(4 * 210 + 6 * 1000 * 20, total)
  end)
end)

describe("deep nesting inside a generator", function()
  local function overflow(f)
    local g = cogen.new(function() return pcall(f) end)
    local e = raised(g.next, g)
    assert.is_false(e.values[1])
    return tostring(e.values[2])
  end

  it("gives a Lua error for nested string.gsub callbacks", function()
    local function deep() return (string.gsub("x", "x", deep)) end
    assert.matches("stack overflow", overflow(deep))
  end)

  it("gives a Lua error for nested pcall", function()
    local function deep() local ok, e = pcall(deep); error(e, 0) end
    assert.matches("stack overflow", overflow(deep))
  end)

  it("gives a Lua error for a chain of __index metamethods", function()
    local function deep()
      return setmetatable({}, {__index = function() return deep() end}).x
    end
    assert.matches("stack overflow", overflow(deep))
  end)

  it("gives a Lua error for nested load readers", function()
    local function deep()
      local f, e = load(function() deep() end)
      error(e, 0)
    end
    assert.matches("overflow", overflow(deep))
  end)

  it("gives a Lua error for deeply nested syntax", function()
    -- deeper than any release allows: 200 levels from 5.4.2 on, about
    -- 2,000 in 5.4.0-5.4.1 (support.shared_cstack)
    local src = "return " .. string.rep("(", 3000) .. "1" .. string.rep(")", 3000)
    local g = cogen.new(function() return load(src) end)
    local e = raised(g.next, g)
    assert.matches("overflow", e.values[2])
  end)

  it("gives a Lua error for nested string.format of __tostring", function()
    local function deep()
      return string.format("%s", setmetatable({}, {__tostring = deep}))
    end
    assert.matches("overflow", overflow(deep))
  end)
end)

describe("native stack size", function()
  it("has a default that can be read and set", function()
    local old = cogen.stacksize()
    -- 1 MiB; 8 MiB where Lua 5.4.0-5.4.1 allow ten times deeper C nesting
    assert.equal((support.shared_cstack and 8 or 1) * 1024 * 1024, old)
    assert.equal(old, cogen.stacksize(2 * old))
    assert.equal(2 * old, cogen.stacksize())
    local g = cogen.new(function() cogen.yield(1) end)
    assert.equal(1, g:next())
    cogen.stacksize(old)
  end)

  it("can be set per generator function", function()
    local make = cogen.generator(function()
      local function deep(n) if n == 0 then return cogen.yield("deep") end
        return (string.gsub("x", "x", function() return deep(n - 1) end)) end
      return deep(150)
    end, 8 * 1024 * 1024)
    local g = make()
    assert.equal("deep", g:next())
    assert.equal("ok", raised(g.send, g, "ok").value)
  end)

  it("refuses sizes out of range", function()
    for _, n in ipairs({0, -1, 4096, 2^40, math.maxinteger}) do
      assert.truthy(raised(cogen.stacksize, n):find("stack size out of range", 1, true))
      assert.truthy(raised(cogen.generator, print, n):find("stack size out of range", 1, true))
    end
    assert.truthy(raised(cogen.stacksize, "big"):find("number expected", 1, true))
    assert.equal((support.shared_cstack and 8 or 1) * 1024 * 1024, cogen.stacksize())
  end)
end)

describe("bad input", function()
  it("names the function and the expected type", function()
    assert.equal("bad argument #1 to 'new' (function expected, got nil)",
                 raised(function() return cogen.new(nil) end):gsub("^[^:]+:%d+: ", ""))
    assert.truthy(raised(function() return cogen.generator(42) end)
      :find("bad argument #1 to 'generator' (function expected, got number)", 1, true))
  end)

  it("checks self in every method and leaves generators unchanged", function()
    local g = cogen.new(function() cogen.yield(1) end)
    g:next()
    for _, m in ipairs({"next", "send", "throw", "close", "status"}) do
      local err = raised(g[m], io.stdout, 1)
      assert.truthy(err:find("cogen.generator expected, got FILE*", 1, true), err)
      assert.truthy(raised(g[m]):find("cogen.generator expected, got no value", 1, true))
    end
    assert.equal("suspended", g:status())
    assert.equal(cogen.StopIteration, getmetatable(raised(g.next, g)))
  end)

  it("refuses another module's userdata as a generator", function()
    assert.truthy(raised(cogen.new(print).next, io.stdout):find("cogen.generator expected", 1, true))
  end)
end)

describe("the module", function()
  it("can be loaded again in the same state; old generators keep working", function()
    local g = cogen.new(function() cogen.yield(1) return 2 end)
    g:next()
    package.loaded["cogen.core"] = nil
    package.loaded.cogen = nil
    local again = require "cogen"
    package.loaded.cogen = cogen
    assert.are_not.equal(cogen, again)
    assert.equal(cogen.StopIteration, again.StopIteration)
    local e = raised(g.next, g)
    assert.equal(again.StopIteration, getmetatable(e))
    local h = again.new(function() again.yield(cogen.running() ~= nil) end)
    assert.is_true(h:next())
  end)

  it("does not claim CET shadow-stack support in its object file", function()
    local p = io.popen("readelf -n " .. support.build .. "/cogen/core.so 2>&1")
    local notes = p:read("a")
    p:close()
    assert.is_nil(notes:find("SHSTK", 1, true))
  end)

  it("raises a memory error when no native stack can be mapped #vmlimit", function()
    local script = [[
      package.path = "lua/?.lua;" .. package.path
      package.cpath = BUILD .. "/?.so;" .. package.cpath
      local cogen = require "cogen"
      local default = cogen.stacksize(512 * 1024 * 1024)
      local gens, err = {}
      for i = 1, 64 do
        local g = cogen.new(function() cogen.yield() end)
        local ok, e = pcall(g.next, g)
        if not ok then err = e break end
        gens[i] = g
      end
      cogen.stacksize(default)
      gens = nil
      collectgarbage()
      local g = cogen.new(function() cogen.yield("still works") end)
      print(err, g:next())
    ]]
    script = ("local BUILD = %q\n"):format(support.build) .. script
    local p = io.popen("ulimit -v 2000000; " .. support.lua .. " -e '" .. script:gsub("'", "'\\''") .. "' 2>&1")
    local out = p:read("a")
    p:close()
    assert.equal("not enough memory\tstill works\n", out)
  end)
end)

describe("a suspended generator's Lua stack", function()
  it("may be moved by the collector while C frames wait on it", function()
    local g = cogen.new(function()
      local function grow(n) if n > 0 then return grow(n - 1) + 1 end return 0 end
      -- the thread's stack grows large, then is free to shrink; 5.4.0-5.4.1
      -- allow no 50,000 nested Lua calls, so there it grows by 150,000 values
      if support.shared_cstack then
        select("#", table.unpack({}, 1, 150000))
      else
        grow(50000)
      end
      return cfix.loops(2, 3, function(i, j)
        local pad = {i, j, string.rep("x", 10)}
        return cogen.yield(pad[1] * 10 + pad[2])
      end)
    end)
    local seen = {g:next()}
    for _ = 1, 5 do
      collectgarbage()  -- shrinks the suspended thread's stack
      local t = {}
      for k = 1, 1000 do t[k] = {k} end
      seen[#seen + 1] = g:send(1)
    end
    assert.same({11, 12, 13, 21, 22, 23}, seen)
    assert.equal(3 * 1 + 3 * 2, raised(g.send, g, 1).value)
  end)
end)
