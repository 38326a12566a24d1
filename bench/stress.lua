--[[
bench/stress.lua [CHECK...]: the scale checks of cogen, each in a child
process so that a crash is a failure and not the end of the run. Ends with
"N passed, N failed" (as make test does) and exits 1 on a failure.

  live     STRESS_LIVE (1,000,000) suspended generators created, each
           resumed once more, then all collected; the state still works
  memory   under `ulimit -v`, generators (alone, or with Lua strings) are
           made until memory runs out: a Lua error "not enough memory",
           never a crash, and the state works afterwards
  maps     with a build whose guard pages split mappings (mprotect, as
           before Linux 6.13), in the directory STRESS_MPROTECT_OUT
           (skipped without it): STRESS_LIVE live generators fit under
           vm.max_map_count; and once the test fixture cfix has taken
           nearly all mappings, generators are made until a Lua error "not
           enough memory", never a crash, and the state works afterwards
  churn    millions of short-lived generators (finished, abandoned to the
           collector, or of two stack sizes): RSS and mappings stay flat

With arguments, runs only the checks named. The child side is
`stress.lua child KIND ...`.
]]
local util = require "bench.util"

if arg[1] == "child" then
  local cogen = require "cogen"
  local yield, new = cogen.yield, cogen.new
  local kind = arg[2]

  local function recovered()
    util.heap()
    local g = new(function() yield(1) return 2 end)
    return g() == 1 and not g() and g:status() == "closed"
  end

  if kind == "exhaust" then
    -- make generators (and, if mixed, Lua strings) until an error; with
    -- "maps", once nearly all mappings are taken
    local mixed = arg[3] == "mixed"
    local gens, junk = {}, {}
    if arg[3] == "maps" then
      require("cfix").eatmaps(util.max_map_count() - util.maps() - 300)
    end
    local ok, err = pcall(function()
      for i = 1, 1e9 do
        local g = new(function() yield() end)
        g()
        gens[i] = g
        if mixed then junk[i] = string.rep("x", i * 7919 % 2^20 + 1) end
      end
    end)
    local n, maps = #gens, util.maps()
    gens, junk = nil, nil
    local r = { made = n, maps = maps, max_map_count = util.max_map_count(),
                err = tostring(err):gsub("%s", "_") }
    r.ok = (not ok and err == "not enough memory" and recovered()) and 1 or 0
    util.result(r)

  elseif kind == "churn" then
    -- N short-lived generators; RSS and mappings at 10 checkpoints
    local how, N = arg[3], math.tointeger(tonumber(arg[4]))
    local function three() yield(1) yield(2) yield(3) end
    local big = cogen.generator(three, 2 * cogen.stacksize())
    local step
    if how == "finished" then
      step = function() for _ in new(three) do end end
    elseif how == "abandoned" then
      step = function() local g = new(three) g() end
    elseif how == "sizes" then  -- the pool takes one size: the other is unmapped
      local i = 0
      step = function()
        i = i + 1
        for _ in (i % 2 == 0 and big() or new(three)) do end
      end
    else
      error("unknown churn " .. tostring(how))
    end
    local rss, maps = {}, {}
    local t0 = os.clock()
    for c = 1, 10 do
      for _ = 1, N // 10 do step() end
      util.heap()
      rss[c], maps[c] = util.rss(), util.maps()
    end
    local r = { n = N, cpu_s = string.format("%.1f", os.clock() - t0),
                rss2_kib = rss[2] // 1024, rss10_kib = rss[10] // 1024,
                growth_kib = (rss[10] - rss[2]) // 1024,
                maps2 = maps[2], maps10 = maps[10] }
    r.ok = (rss[10] - rss[2] <= 4 * 2^20 and maps[10] <= maps[2] + 2 and
            recovered()) and 1 or 0
    util.result(r)
  end
  return
end

-- the driver
local passed, failed, skipped = 0, 0, 0
local function report(ok, name, detail)
  if ok == nil then
    skipped = skipped + 1
    print("skip  " .. name .. ": " .. detail)
  elseif ok then
    passed = passed + 1
    print("ok    " .. name .. ": " .. detail)
  else
    failed = failed + 1
    print("FAIL  " .. name .. ": " .. detail)
  end
  io.stdout:flush()
end

-- runs a child; returns its RESULT table, or nil and why not
local function run(script, args, opts)
  local out, ok, how, code = util.child(script, args, opts)
  local r = util.parse_result(out)
  if not ok or not r then
    return nil, string.format("child %s %s (%s): %s", how, tostring(code),
      table.concat(args, " "), out:sub(-600):gsub("\n", " | "))
  end
  return r
end

local function kv(r, keys)
  local t = {}
  for _, k in ipairs(keys) do
    if r[k] ~= nil then t[#t + 1] = k .. "=" .. tostring(r[k]) end
  end
  return table.concat(t, " ")
end

local checks = {}

function checks.live()
  local n = math.tointeger(tonumber(os.getenv("STRESS_LIVE") or "")) or 1000000
  local r, e = run("bench/mem.lua", { "shallow", n, "cycle" })
  if not r then return report(false, "live " .. n, e) end
  report(r.ok == 1 and r.made == n and r.maps_after <= r.maps0 + 4,
         "live " .. n, kv(r, { "made", "create_s", "resume_s", "collect_s",
           "rss_total_mib", "pte_total_mib", "maps", "maps_after",
           "rss_after_mib", "vmsize_after_mib", "failed_at", "err" }))
end

function checks.memory()
  -- limits on the address space: a Lua process maps ~10 MiB before any
  -- generator; the odd sizes move the point where an allocation fails
  for _, mode in ipairs { "plain", "mixed" } do
    for _, mib in ipairs { 48, 97, 256, 1031 } do
      local name = string.format("memory %s, ulimit -v %d MiB", mode, mib)
      local r, e = run("bench/stress.lua", { "child", "exhaust", mode },
                       { vlimit_kib = mib * 1024 + 7 * mode:len() })
      if not r then report(false, name, e)
      else report(r.ok == 1, name, kv(r, { "made", "maps", "err" })) end
    end
  end
end

function checks.maps()
  local dir = os.getenv("STRESS_MPROTECT_OUT")
  if not dir or dir == "" then
    return report(nil, "maps", "STRESS_MPROTECT_OUT not set (make stress builds it)")
  end
  -- cogen from dir, the fixture cfix from the default build
  local env = { LUA_CPATH = dir .. "/?.so;" .. (os.getenv("STRESS_FIXTURES") or "build")
                .. "/?.so;;" }
  local n = math.tointeger(tonumber(os.getenv("STRESS_LIVE") or "")) or 1000000
  local name = "maps: live " .. n .. " with mprotect guards"
  local r, e = run("bench/mem.lua", { "shallow", n, "cycle" }, { env = env })
  if not r then report(false, name, e)
  else
    report(r.ok == 1 and r.made == n and r.maps < r.max_map_count // 2, name,
           kv(r, { "made", "create_s", "maps", "max_map_count", "maps_after",
                   "failed_at", "err" }))
  end
  name = "maps: run out, mprotect guards"
  r, e = run("bench/stress.lua", { "child", "exhaust", "maps" }, { env = env })
  if not r then return report(false, name, e) end
  report(r.ok == 1 and r.maps >= r.max_map_count - 100, name,
         kv(r, { "made", "maps", "max_map_count", "err" }))
end

function checks.churn()
  local n = math.tointeger(tonumber(os.getenv("STRESS_CHURN") or "")) or 3000000
  for _, how in ipairs { "finished", "abandoned", "sizes" } do
    local m = how == "finished" and n or n // 3
    local r, e = run("bench/stress.lua", { "child", "churn", how, m })
    local name = string.format("churn %s %d", how, m)
    if not r then report(false, name, e)
    else report(r.ok == 1, name, kv(r, { "cpu_s", "rss2_kib", "rss10_kib",
                                         "growth_kib", "maps2", "maps10" })) end
  end
end

local order = { "live", "memory", "maps", "churn" }
local want = #arg > 0 and arg or order
for _, name in ipairs(want) do
  if not checks[name] then
    report(false, name, "no such check (" .. table.concat(order, ", ") .. ")")
  else
    local ok, err = pcall(checks[name])
    if not ok then report(false, name, tostring(err)) end
  end
end
if skipped > 0 then print(skipped .. " skipped (not counted as passed)") end
print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
