--[[
bench/cases.lua: the timed cases of bench/run.lua. Each case has two sides,
cogen and base; a side is a setup function returning run(n), which does n
operations (setup is not timed). `target` bounds the median ratio
cogen/base; cases without one are reported for information.
]]
local cogen = require "cogen"

local new, yield, yield_from = cogen.new, cogen.yield, cogen.yield_from
local wrap, cyield = coroutine.wrap, coroutine.yield
local sort, gsub = table.sort, string.gsub

-- bodies that never end: steady state
local function forever() local i = 0 while true do i = i + 1 yield(i) end end
local function cforever() local i = 0 while true do i = i + 1 cyield(i) end end
local function echo() local v = yield() while true do v = yield(v) end end
local function cecho() local v = cyield() while true do v = cyield(v) end end
local function three() yield(1) yield(2) yield(3) end
local function cthree() cyield(1) cyield(2) cyield(3) end

-- a started generator (its stack mapped) and a started coroutine
local function started(f) local g = new(f) g() return g end
local function cstarted(f) local co = wrap(f) co() return co end

local function call_n(g)
  return function(n) for _ = 1, n do g() end end
end

-- 1a: g() on a cogen generator; reused by case 4 as its baseline
local function cogen_call() return call_n(started(forever)) end

-- a chain of d generators, each delegating to the next with yield_from,
-- down to a leaf that yields forever
local function chain(d)
  local g = new(forever)
  for _ = 1, d do
    local sub = g
    g = new(function() return yield_from(sub) end)
  end
  g()
  return g
end

local function cchain1()  -- what depth 1 is written as with coroutines
  local inner = wrap(cforever)
  local co = wrap(function() for v in inner do cyield(v) end end)
  co()
  return co
end

-- a sorted array: sorting it again leaves it as it is, so no copy is needed
local sorted = {}
for i = 1, 64 do sorted[i] = i end
local text = string.rep("x", 256)

-- case 4: a started generator whose body yields once in every callback
local function sort_yielding()
  return call_n(started(function()
    local function less(a, b) yield() return a < b end
    while true do sort(sorted, less) end
  end))
end

local function gsub_yielding()
  return call_n(started(function()
    local function cb() yield() end
    while true do gsub(text, ".", cb) end
  end))
end

local WRAP = "wrap"
local CASE1 = "1a"

return {
  { id = "1a", name = "round trip g()", base_name = WRAP, target = 0.75,
    cogen = cogen_call,
    base = function() return call_n(cstarted(cforever)) end },

  { id = "1b", name = "round trip for v in g", base_name = WRAP, target = 0.75,
    cogen = function()
      local g = started(forever)
      return function(n)
        local k = 0
        for _ in g do k = k + 1 if k >= n then break end end
      end
    end,
    base = function()
      local co = cstarted(cforever)
      return function(n)
        local k = 0
        for _ in co do k = k + 1 if k >= n then break end end
      end
    end },

  { id = "1c", name = "round trip g:next()", base_name = WRAP, target = 0.75,
    cogen = function()
      local g = started(forever)
      return function(n) for _ = 1, n do g:next() end end
    end,
    base = function() return call_n(cstarted(cforever)) end },

  { id = "2", name = "send round trip g:send(v)", base_name = WRAP,
    target = 0.75,
    cogen = function()
      local g = started(echo)
      return function(n) for i = 1, n do g:send(i) end end
    end,
    base = function()
      local co = cstarted(cecho)
      return function(n) for i = 1, n do co(i) end end
    end },

  { id = "3", name = "create + 3 yields + finish", base_name = WRAP,
    target = 1.0,
    cogen = function()
      return function(n)
        for _ = 1, n do for _ in new(three) do end end
      end
    end,
    base = function()
      return function(n)
        for _ = 1, n do for _ in wrap(cthree) do end end
      end
    end },

  { id = "4a", name = "yield in table.sort comparator",
    base_name = CASE1, target = 1.3, cogen_only = true,
    cogen = sort_yielding, base = cogen_call },

  { id = "4b", name = "yield in string.gsub callback",
    base_name = CASE1, target = 1.3, cogen_only = true,
    cogen = gsub_yielding, base = cogen_call },

  -- 4a and 4b include what sort and gsub cost without any yield: about 27
  -- ns per callback here, so their ratio to case 1 cannot reach 1.3 while
  -- case 1 stays below 0.75 x wrap. These rows take that cost out.
  { id = "4c", name = "yield in table.sort comparator, net of the comparator call",
    base_name = CASE1, target = 1.3, cogen_only = true,
    cogen = sort_yielding,
    less = function()
      return function(n)
        local k = 0
        local function less(a, b) k = k + 1 return a < b end
        while k < n do sort(sorted, less) end
      end
    end,
    base = cogen_call },

  { id = "4d", name = "yield in string.gsub callback, net of the callback call",
    base_name = CASE1, target = 1.3, cogen_only = true,
    cogen = gsub_yielding,
    less = function()
      return function(n)
        local k = 0
        local function cb() k = k + 1 end
        while k < n do gsub(text, ".", cb) end
      end
    end,
    base = cogen_call },

  { id = "5a", name = "yield_from depth 1, per value",
    base_name = "wrap re-yield loop",
    cogen = function() return call_n(chain(1)) end,
    base = function() return call_n(cchain1()) end },

  { id = "5b", name = "yield_from depth 10, per value",
    base_name = "depth 1",
    cogen = function() return call_n(chain(10)) end,
    base = function() return call_n(chain(1)) end },

  { id = "5c", name = "yield_from depth 50, per value",
    base_name = "depth 1", target = 1.5,
    cogen = function() return call_n(chain(50)) end,
    base = function() return call_n(chain(1)) end },
}
