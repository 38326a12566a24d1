-- The examples under examples/ run as child processes and print what their
-- comments promise. An example whose optional library is missing skips
-- itself, but here that is a failure: `make test` installs the libraries.
local support = require "support"

-- the child's module paths: ours first, then what this process was given
-- (scripts/test-lua-dir.sh passes Debian's paths that way), else the default
local function paths()
  local function path(var, first)
    return ("%s='%s;%s'"):format(var, first, os.getenv(var) or ";")
  end
  return path("LUA_PATH", "lua/?.lua") .. " " .. path("LUA_CPATH", support.build .. "/?.so")
end

-- run a script with arguments before it (and its own after it); returns its
-- output (stdout and stderr) and whether it exited with success
local function run(script, pre, post)
  local p = assert(io.popen(paths() .. " " .. support.lua .. " " .. (pre or "") ..
    " " .. script .. " " .. (post or "") .. " 2>&1"))
  local out = p:read("a")
  local ok = p:close()
  return out, ok
end

-- fails (or is pending, under a Lua other than 5.4) if out shows an
-- example that skipped itself: make test installs the libraries the
-- examples need, but Debian builds them for Lua 5.4 only
local function none_skipped(out)
  local skip = ("\n" .. out):match("\n(skip: [^\n]*)")
  if skip and _VERSION ~= "Lua 5.4" then
    pending(skip .. " (Debian builds it for Lua 5.4; this is " .. _VERSION .. ")")
  end
  assert(not skip, "a library the example needs is missing (make test installs it): " ..
         tostring(skip))
end

-- the output of a script that must run to success without skipping
local function output(script)
  local out, ok = run(script)
  assert(ok, script .. " failed:\n" .. out)
  none_skipped(out)
  return out
end

-- each of expected is a whole line of out, in this order
local function has_lines(out, expected)
  local lines = {}
  for line in out:gmatch("[^\n]*") do lines[#lines + 1] = line end
  local at = 1
  for _, want in ipairs(expected) do
    while at <= #lines and lines[at] ~= want do at = at + 1 end
    assert(at <= #lines, ("line %q not found in order in:\n%s"):format(want, out))
    at = at + 1
  end
  return true
end

describe("examples/xml_pull.lua", function()
  it("pulls LuaExpat's events one at a time and stops the parser early", function()
    assert.is_true(has_lines(output("examples/xml_pull.lua"), {
      "   start catalog",
      '   start book id="b1"',
      "   start title",
      "   text Programming in Lua",
      "   (parser stopped at byte 80 of 265)",
      "   found: Lua: conceitos",
      "   (parser stopped at byte 160 of 265)",
      "   (parser read all 265 bytes)",
      "   b1, b3",
      "   attempt to yield across a C-call boundary",
    }))
  end)

  it("skips with a clear message, and succeeds, when LuaExpat is missing", function()
    local out, ok = run("examples/xml_pull.lua",
                        "-e 'package.preload.lxp = function() error(\"not found\") end'")
    assert.is_true(ok, out)
    assert.equal("skip: this example needs LuaExpat (module lxp): apt-get install lua-expat\n", out)
  end)
end)

describe("examples/stream_compile.lua", function()
  it("compiles source sent in chunks, stopping at the chunk with a syntax error", function()
    local out = output("examples/stream_compile.lua")
    assert.is_true(has_lines(out, {
      '   chunk 4: "return fact(10)"',
      "   chunk 5: (end of source)",
      "   compiled: function, running it gives 3628800",
      '   chunk 2: "local y = = 2\\n"',
      "   load returned nil, stream:2: unexpected symbol near '='",
      "   load returned nil, attempt to yield across a C-call boundary",
    }))
    assert.falsy(out:find('chunk 3: "return x', 1, true), out)
  end)
end)

describe("examples/interactive_sort.lua", function()
  it("has the caller answer each of table.sort's comparisons", function()
    assert.is_true(has_lines(output("examples/interactive_sort.lua"), {
      "   Go     before Lua   ? no",
      "   9 questions; oldest first: Lisp, C, Python, Lua, Go",
      "   first question: Python before Lua?",
      "   status after close: closed",
    }))
  end)

  it("takes the answers from its input with -i", function()
    local out, ok = run("examples/interactive_sort.lua", "", "-i < /dev/null")
    assert.is_true(ok, out)
    assert.truthy(out:find("Go before Lua? [y/n]", 1, true), out)
  end)
end)

describe("examples/lpeg_scan.lua", function()
  it("pulls matches of an LPeg match-time capture and stops the scan early", function()
    assert.is_true(has_lines(output("examples/lpeg_scan.lua"), {
      "   error 503 found at byte 26914",
      "   error 506 found at byte 53838",
      "   error 502 found at byte 80762",
      "   scanned 80762 of 2700499 bytes",
      "   100 errors, 15 with code 503",
    }))
  end)

  it("skips with a clear message, and succeeds, when LPeg is missing", function()
    local out, ok = run("examples/lpeg_scan.lua",
                        "-e 'package.preload.lpeg = function() error(\"not found\") end'")
    assert.is_true(ok, out)
    assert.equal("skip: this example needs LPeg (module lpeg): apt-get install lua-lpeg\n", out)
  end)
end)

describe("examples/pipeline.lua", function()
  it("pushes lines through filter and broadcast, and closing closes every stage", function()
    assert.is_true(has_lines(output("examples/pipeline.lua"), {
      "   [screen] 10:02 GET /missing 404",
      "   [screen] 10:04 GET /old-page 404",
      "   [screen] 10:05 GET /admin 403",
      "   [screen] 10:06 GET /favicon.ico 404",
      '   [count] "GET" in 4 lines',
      "   [tail] last 2: 10:05 GET /admin 403 | 10:06 GET /favicon.ico 404",
      "   [screen] 10:01 GET /index.html 200",
      "   [screen] 10:02 GET /missing 404",
      '   [count] "404" in 1 line',
    }))
  end)
end)

describe("examples/run.lua (make demo)", function()
  it("runs the tour and every example under a heading", function()
    local out, ok = run("examples/run.lua")
    assert.is_true(ok, out)
    assert.is_true(has_lines(out, {
      "== A short tour (examples/tour.lua) ==",
      "== XML pull parser over LuaExpat's callbacks (examples/xml_pull.lua) ==",
      "== Streaming compiler: load fed with send (examples/stream_compile.lua) ==",
      "== Interactive sort: the caller answers table.sort (examples/interactive_sort.lua) ==",
      "== LPeg: a match-time capture yields each match (examples/lpeg_scan.lua) ==",
      "== A consumer pipeline: source, filter, broadcast (examples/pipeline.lua) ==",
    }))
    assert.falsy(out:find("FAILED", 1, true), out)
    none_skipped(out)
  end)

  it("reports each example that fails, runs the others, and exits with failure", function()
    -- without table.sort the tour and the interactive sort fail, not the others
    local out, ok = run("examples/run.lua",
                        "-e 'table.sort = function() error(\"no sort\", 0) end'")
    assert.is_falsy(ok)
    assert.is_true(has_lines(out, {
      "== Interactive sort: the caller answers table.sort (examples/interactive_sort.lua) ==",
      "FAILED: examples/interactive_sort.lua:37: no sort",
    }))
    assert.truthy(out:find("[tail] last 2:", 1, true), out)  -- the pipeline ran
    assert.truthy(out:find("\n2 of 6 examples failed\n$"), out)
  end)
end)
