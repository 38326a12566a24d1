-- cogen.iter: from_callback and Python's iteration helpers, on generators,
-- tables and plain Lua iterators: lazy, keeping every value, closing what
-- they consume.
local cogen = require "cogen"
local iter = require "cogen.iter"
local cfix = require "cfix"

local StopIteration = cogen.StopIteration

-- a generator yielding 1, 2, 3, ... forever, logging each value it yields
-- to log.pulled and its closing to log.closed
local function counter(log)
  return cogen.new(function()
    local _ <close> = setmetatable({}, {__close = function() log.closed = true end})
    local i = 0
    while true do
      i = i + 1
      log.pulled = i
      cogen.yield(i)
    end
  end)
end

-- a generator yielding each of ... as one step of several values
local function steps(...)
  local rows = table.pack(...)
  return cogen.new(function()
    for i = 1, rows.n do cogen.yield(table.unpack(rows[i], 1, rows[i].n)) end
  end)
end

local function pack(...) return table.pack(...) end

-- every step of g, each packed
local function all(g)
  local out = {}
  while true do
    local ok, r = pcall(function() return pack(g:next()) end)
    if not ok then
      assert(getmetatable(r) == StopIteration, tostring(r))
      return out
    end
    out[#out + 1] = r
  end
end

-- a closing value for the generic for's fourth place
local function closing(log)
  return setmetatable({}, {__close = function() log.closed = true end})
end

local function catch(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return err
end

describe("cogen.iter", function()
  it("is loaded with the main module, whose other fields stay nil", function()
    local support = require "support"
    local p = io.popen("LUA_PATH='lua/?.lua;;' LUA_CPATH='" .. support.build .. "/?.so;;' " ..
      support.lua .. [[ -e 'local c = require "cogen"
        io.write(type(package.loaded["cogen.iter"]), " ")
        io.write(tostring(c.map == require("cogen.iter").map), " ", tostring(c.nope))' 2>&1]])
    local out = p:read("a")
    p:close()
    assert.equal("table true nil", out)
  end)

  it("exposes each helper as a field of cogen", function()
    for _, name in ipairs{"from_callback", "map", "filter", "take", "drop",
                          "zip", "chain", "enumerate", "collect"} do
      assert.equal(iter[name], cogen[name], name)
    end
  end)
end)

describe("from_callback", function()
  local function walk(tree, visit)
    for _, k in ipairs(tree.order) do
      local v = tree[k]
      if type(v) == "table" then walk(v, visit) else visit(k, v) end
    end
  end
  local tree = {order = {"a", "sub", "d"}, a = 1, d = 4,
                sub = {order = {"b", "c"}, b = 2, c = 3}}

  it("turns a walker written with a callback into a generator of its calls", function()
    local got = {}
    for k, v in cogen.from_callback(function(emit, t) walk(t, emit) end, tree) do
      got[#got + 1] = k .. "=" .. v
    end
    assert.same({"a=1", "b=2", "c=3", "d=4"}, got)
  end)

  it("is lazy: the walker runs only as far as the caller pulls", function()
    local visited = 0
    local g = cogen.from_callback(function(emit)
      for i = 1, 10 do visited = i; emit(i) end
    end)
    assert.equal(0, visited)
    assert.equal(1, g:next())
    assert.equal(2, g:next())
    assert.equal(2, visited)
  end)

  it("works with a C walker that calls emit itself (string.gsub)", function()
    local g = cogen.from_callback(function(emit, s) return (s:gsub("(%w+)=(%w+)", emit)) end,
                                  "x=1, y=2")
    assert.same({pack("x", "1"), pack("y", "2")}, all(g))
  end)

  it("works through C callbacks at any depth (table.sort in cfix.apply)", function()
    local g = cogen.from_callback(function(emit)
      return cfix.apply(function()
        local t = {3, 1, 2}
        table.sort(t, function(a, b) emit(a, b) return a < b end)
        return t[1]
      end)
    end)
    local n = 0
    for a, b in g do n = n + 1; assert.is_number(a); assert.is_number(b) end
    assert.is_true(n > 0)
  end)

  it("returns what the caller sends from emit", function()
    local g = cogen.from_callback(function(emit)
      table.sort({"b", "a"}, function(a, b) return emit(a, b) end)
      return "sorted"
    end)
    assert.same(pack("a", "b"), pack(g:next()))
    local e = catch(g.send, g, true)
    assert.equal("sorted", e.value)
  end)

  it("ends with the walker's return values as StopIteration's", function()
    local g = cogen.from_callback(function(emit, x) emit(x) return x + 1, "done" end, 1)
    g:next()
    local e = catch(g.next, g)
    assert.same({n = 2, 2, "done"}, e.values)
  end)

  it("keeps several values and nils per call", function()
    local g = cogen.from_callback(function(emit) emit(nil, 2, nil) emit() end)
    assert.same({pack(nil, 2, nil), pack()}, all(g))
  end)

  it("unwinds the walker when closed early, through C frames", function()
    local log = {}
    local g = cogen.from_callback(function(emit)
      local _ <close> = closing(log);
      ("a b c"):gsub("%a", emit)
    end)
    assert.equal("a", g:next())
    g:close()
    assert.is_true(log.closed)
  end)

  it("checks its function", function()
    assert.matches("bad argument #1 to 'from_callback' %(function expected, got nil%)",
                   catch(cogen.from_callback, nil))
  end)
end)

describe("a helper's source", function()
  it("may be a generator, a table or an iterator function", function()
    local g = cogen.new(function() cogen.yield("a") cogen.yield("b") end)
    local i = 0
    local function f() i = i + 1; if i <= 2 then return ("ab"):sub(i, i) end end
    assert.same({"a", "b", n = 2}, cogen.collect(g))
    assert.same({"a", "b", n = 2}, cogen.collect({"a", "b"}))
    assert.same({"a", "b", n = 2}, cogen.collect(f))
  end)

  it("may be the generic for's values, state and control value included", function()
    assert.same({pack(1, "x"), pack(2, "y"), n = 2}, cogen.collect(cogen.map(pack, ipairs{"x", "y"})))
    local keys = cogen.collect(cogen.map(function(k) return k end, pairs{a = 1}))
    assert.same({"a", n = 1}, keys)
  end)

  it("has its closing value closed when the helper stops, as the generic for does", function()
    local log = {}
    local function f(_, c) return c < 5 and c + 1 or nil end
    local g = cogen.take(2, f, nil, 0, closing(log))
    assert.same({pack(1), pack(2)}, all(g))
    assert.is_true(log.closed)
  end)

  it("ends at a first nil when it is a function, as the generic for does", function()
    local vals = {1, 2, nil, 4}
    local i = 0
    assert.same({1, 2, n = 2}, cogen.collect(function() i = i + 1 return vals[i] end))
  end)

  it("ends at a generator's end, not at a yield of nothing or of nil", function()
    local g = steps(pack(), pack(nil), pack(nil, "x"))
    assert.same({pack(), pack(nil), pack(nil, "x"), n = 3}, cogen.collect(cogen.map(pack, g)))
  end)

  it("is checked when the helper is made", function()
    assert.matches("bad argument #2 to 'map' %(generator, table or function expected, got number%)",
                   catch(cogen.map, print, 5))
    assert.matches("bad argument #2 to 'zip' %(generator, table or function expected, got string%)",
                   catch(cogen.zip, {}, "s"))
    assert.matches("bad argument #1 to 'chain' %(generator, table or function expected, got nil%)",
                   catch(cogen.chain, nil))
    assert.matches("bad argument #1 to 'map' %(function expected, got nil%)",
                   catch(cogen.map, nil, {}))
  end)
end)

describe("map", function()
  it("yields f's results for each step", function()
    assert.same({1, 4, 9, n = 3}, cogen.collect(cogen.map(function(x) return x * x end, {1, 2, 3})))
  end)

  it("is lazy: nothing is pulled before it is resumed, one step per resume", function()
    local log = {}
    local g = cogen.map(function(x) return -x end, counter(log))
    assert.is_nil(log.pulled)
    assert.equal(-1, g:next())
    assert.equal(-2, g:next())
    assert.equal(2, log.pulled)
  end)

  it("passes every value of a step and yields every result", function()
    local g = cogen.map(function(...) return select("#", ...), ... end, steps(pack(1, nil, 3), pack()))
    assert.same({pack(3, 1, nil, 3), pack(0)}, all(g))
  end)

  it("returns a generator, closed after the source ends", function()
    local g = cogen.map(tostring, {1})
    assert.equal("cogen.generator", getmetatable(g))
    assert.equal("1", g:next())
    catch(g.next, g)
    assert.equal("closed", g:status())
  end)

  it("closes its source when it is closed early", function()
    local log = {}
    local src = counter(log)
    local g = cogen.map(tostring, src)
    g:next()
    g:close()
    assert.is_true(log.closed)
    assert.equal("closed", src:status())
  end)

  it("closes its source when a '<close>' variable holding it goes out of scope", function()
    local log = {}
    do
      local g <close> = cogen.map(tostring, counter(log))
      g:next()
    end
    assert.is_true(log.closed)
  end)

  it("closes its source when f raises, and raises f's error unchanged", function()
    local log, err = {}, {}
    local g = cogen.map(function() error(err) end, counter(log))
    assert.equal(err, catch(g.next, g))
    assert.is_true(log.closed)
  end)
end)

describe("filter", function()
  it("yields the steps whose values pass the predicate", function()
    local even = function(x) return x % 2 == 0 end
    assert.same({2, 4, n = 2}, cogen.collect(cogen.filter(even, {1, 2, 3, 4, 5})))
  end)

  it("passes and keeps every value of a step", function()
    local g = cogen.filter(function(k, v) return v > 1 end, steps(pack("a", 1), pack("b", 2)))
    assert.same({pack("b", 2)}, all(g))
  end)

  it("keeps the steps with a true first value when the predicate is nil", function()
    local g = cogen.filter(nil, steps(pack(0), pack(false, 1), pack(nil), pack("x", nil)))
    assert.same({pack(0), pack("x", nil)}, all(g))
  end)

  it("pulls lazily and closes its source when closed", function()
    local log = {}
    local g = cogen.filter(function(x) return x % 3 == 0 end, counter(log))
    assert.equal(3, g:next())
    assert.equal(3, log.pulled)
    g:close()
    assert.is_true(log.closed)
  end)
end)

describe("take", function()
  it("yields the first n steps of an endless source, then ends", function()
    local log = {}
    assert.same({1, 2, 3, n = 3}, cogen.collect(cogen.take(3, counter(log))))
    assert.equal(3, log.pulled)
  end)

  it("closes its source as soon as it takes the n-th step, before yielding it", function()
    local log = {}
    local g = cogen.take(2, counter(log))
    assert.equal(1, g:next())
    assert.is_nil(log.closed)
    assert.equal(2, g:next())
    assert.is_true(log.closed)
  end)

  it("ends early, with its source closed, when the source is shorter", function()
    assert.same({"a", n = 1}, cogen.collect(cogen.take(5, {"a"})))
  end)

  it("takes nothing when n is 0, and closes its source when resumed", function()
    local log = {}
    local src = counter(log)
    assert.same({n = 0}, cogen.collect(cogen.take(0, src)))
    assert.is_nil(log.pulled)
    assert.equal("closed", src:status())
  end)

  it("keeps every value of each step, the last included", function()
    assert.same({pack(1, nil), pack(nil, 2)}, all(cogen.take(2, steps(pack(1, nil), pack(nil, 2), pack(3)))))
  end)

  it("checks n", function()
    assert.matches("bad argument #1 to 'take' %(non%-negative integer expected, got number%)",
                   catch(cogen.take, -1, {}))
    assert.matches("bad argument #1 to 'take' %(non%-negative integer expected, got string%)",
                   catch(cogen.take, "x", {}))
  end)
end)

describe("drop", function()
  it("skips the first n steps", function()
    assert.same({3, 4, n = 2}, cogen.collect(cogen.drop(2, {1, 2, 3, 4})))
    assert.same({n = 0}, cogen.collect(cogen.drop(9, {1, 2})))
  end)

  it("skips them lazily, on the first resume", function()
    local log = {}
    local g = cogen.drop(2, counter(log))
    assert.is_nil(log.pulled)
    assert.equal(3, g:next())
    g:close()
    assert.is_true(log.closed)
  end)

  it("keeps every value of a step", function()
    assert.same({pack(nil, "b")}, all(cogen.drop(1, steps(pack("a"), pack(nil, "b")))))
  end)
end)

describe("zip", function()
  it("yields the first value of each source side by side until the shortest ends", function()
    local log = {}
    local g = cogen.zip({"a", "b", "c"}, counter(log), steps(pack(true, "ignored"), pack(nil)))
    assert.same({pack("a", 1, true), pack("b", 2, nil)}, all(g))
  end)

  it("closes every source when it ends", function()
    local log1, log2 = {}, {}
    local g = cogen.zip(counter(log1), {1}, counter(log2))
    assert.same({pack(1, 1, 1)}, all(g))
    assert.is_true(log1.closed)
    assert.is_true(log2.closed)
  end)

  it("closes every source when closed early", function()
    local log1, log2 = {}, {}
    local g = cogen.zip(counter(log1), counter(log2))
    g:next()
    g:close()
    assert.is_true(log1.closed)
    assert.is_true(log2.closed)
  end)

  it("yields nothing for no sources", function()
    assert.same({}, all(cogen.zip()))
  end)
end)

describe("chain", function()
  it("yields each source's steps in turn, every value kept", function()
    local g = cogen.chain({1, 2}, steps(pack("x", nil, "y")), function(_, c) if not c then return 3 end end)
    assert.same({pack(1), pack(2), pack("x", nil, "y"), pack(3)}, all(g))
  end)

  it("is lazy, and closes the current and the later sources when closed early", function()
    local log1, log2, log3 = {}, {}, {}
    local first, last = counter(log1), counter(log3)
    local g = cogen.chain(cogen.take(1, counter(log2)), first, last)
    assert.is_nil(log2.pulled)
    assert.equal(1, g:next())
    assert.equal(1, g:next())
    g:close()
    assert.is_true(log1.closed)
    assert.equal("closed", last:status())
    assert.is_nil(log3.pulled)
  end)

  it("passes sent values to a generator source, as yield_from does", function()
    local got
    local src = cogen.new(function() got = cogen.yield(1) end)
    local g = cogen.chain(src, {2})
    g:next()
    assert.equal(2, g:send("hello"))
    assert.equal("hello", got)
  end)
end)

describe("enumerate", function()
  it("yields a count from 1 before each step's values", function()
    local g = cogen.enumerate(steps(pack("a"), pack(nil, "b"), pack()))
    assert.same({pack(1, "a"), pack(2, nil, "b"), pack(3)}, all(g))
  end)

  it("numbers the generic for's steps", function()
    local got = {}
    for i, k, v in cogen.enumerate(ipairs{"x", "y"}) do got[i] = k .. v end
    assert.same({"1x", "2y"}, got)
  end)
end)

describe("collect", function()
  it("returns the first value of each step, with their count in n", function()
    assert.same({"a", nil, "c", n = 3}, cogen.collect(steps(pack("a", 1), pack(nil, 2), pack("c"))))
  end)

  it("keeps every value with map(table.pack, ...)", function()
    local rows = cogen.collect(cogen.map(table.pack, steps(pack("a", 1), pack())))
    assert.same({pack("a", 1), pack(), n = 2}, rows)
  end)

  it("closes its source when a step raises", function()
    local log = {}
    local g = cogen.map(function(x) if x == 3 then error("three", 0) end return x end, counter(log))
    assert.equal("three", catch(cogen.collect, g))
    assert.is_true(log.closed)
  end)
end)

describe("helpers composed", function()
  it("stay lazy over an endless source, and close the whole chain when done", function()
    local log = {}
    local odd_squares = cogen.map(function(x) return x * x end,
      cogen.filter(function(x) return x % 2 == 1 end, counter(log)))
    assert.same({1, 9, 25, n = 3}, cogen.collect(cogen.take(3, odd_squares)))
    assert.equal(5, log.pulled)
    assert.is_true(log.closed)
    assert.equal("closed", odd_squares:status())
  end)

  it("run inside a generator and through C callbacks", function()
    local g = cogen.new(function()
      local words = cogen.from_callback(function(emit) ("one two three"):gsub("%a+", emit) end)
      for i, w in cogen.enumerate(cogen.take(2, words)) do cogen.yield(i .. ":" .. w) end
    end)
    assert.same({pack("1:one"), pack("2:two")}, all(g))
  end)
end)
