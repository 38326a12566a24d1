-- The README's examples are specs: each runnable block's printed lines must
-- match its "--> " comments, and the failing coroutine example must fail
-- with the message it shows.
local function blocks()
  local f = assert(io.open("README.md"))
  local text = f:read("a")
  f:close()
  local out = {}
  for code in text:gmatch("```lua\n(.-)```") do out[#out + 1] = code end
  return out
end

local function expected(code)
  local lines = {}
  for shown in code:gmatch("%-%->%s*([^\n]*)") do lines[#lines + 1] = shown end
  return lines
end

local function run(code)
  local printed = {}
  local env = setmetatable({
    cogen = require "cogen",  -- the README requires it once, in its first block
    print = function(...)
      local t = table.pack(...)
      for i = 1, t.n do t[i] = tostring(t[i]) end
      printed[#printed + 1] = table.concat(t, "\t", 1, t.n)
    end,
  }, {__index = _G})
  local f = assert(load(code, "=README", "t", env))
  local ok, err = pcall(f)
  return ok, err, printed
end

describe("the README", function()
  local code = blocks()

  it("opens with the consumer example, which prints what it is sent", function()
    local ok, err, printed = run(code[1])
    assert.is_true(ok, err)
    assert.same(expected(code[1]), printed)
  end)

  it("shows plain coroutines failing in a table.sort comparator", function()
    local ok, err = run(code[2])
    assert.is_false(ok)
    local shown = expected(code[2])[1]:match("^error: (.*)$")
    assert.truthy(tostring(err):find(shown, 1, true), err)
  end)

  it("shows the caller answering a sort's comparisons", function()
    local ok, err, printed = run(code[3])
    assert.is_true(ok, err)
    assert.same(expected(code[3]), printed)
  end)
end)

describe("make demo's tour", function()
  it("runs and shows each step", function()
    local p = io.popen("LUA_PATH='lua/?.lua;;' LUA_CPATH='" .. require("support").build .. "/?.so;;' " ..
      require("support").lua .. " examples/tour.lua 2>&1")
    local out = p:read("a")
    p:close()
    assert.truthy(out:find("   > hello\n   > world\n", 1, true), out)
    assert.truthy(out:find("shortest first: fig, pear, apple", 1, true), out)
    assert.truthy(out:find("attempt to yield across a C-call boundary", 1, true), out)
    assert.truthy(out:find("matches: one two three", 1, true), out)
    assert.truthy(out:find("StopIteration: result   e.value = result", 1, true), out)
  end)
end)
