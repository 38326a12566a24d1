--[[
bench/mem.lua KIND N [cycle]: memory of N live suspended generators, in a
process of its own so that nothing else moves its RSS. Prints one line
"RESULT k=v ...", read by bench/run.lua and bench/stress.lua.

KIND  shallow    cogen, the body suspended in a plain cogen.yield()
      gsub       cogen, suspended inside a string.gsub callback
      coroutine  coroutine.wrap, suspended in coroutine.yield() (baseline)
cycle  then resume each once more, drop them all and collect, and report
       what is left (the 1,000,000-generator check of bench/stress.lua)

Per generator: rss (from /proc/self/statm), heap (collectgarbage "count"),
pte (page tables, VmPTE of /proc/self/status: kernel memory outside RSS).
A creation that fails stops the run: failed_at, err, maps (mappings then)
and max_map_count tell where and why.
]]
local util = require "bench.util"
local cogen = require "cogen"

local kind = arg[1] or "shallow"
local N = math.tointeger(tonumber(arg[2] or "100000"))
local cycle = arg[3] == "cycle"
local yield, new, gsub = cogen.yield, cogen.new, string.gsub

local bodies = {
  shallow = function() yield() yield() end,
  gsub = function() gsub("ab", ".", function() yield() end) end,
  coroutine = function() coroutine.yield() coroutine.yield() end,
}
local body = assert(bodies[kind], "unknown kind " .. tostring(kind))
local make = kind == "coroutine" and coroutine.wrap or
             function(f) return new(f) end

-- warm up: the module's state, the pool and the interned strings exist
for _ = 1, 100 do local g = make(body) g() g() g() end
local gens = {}
for i = 1, N do gens[i] = false end  -- the array is not the generators' cost

local heap0, rss0 = util.heap(), util.rss()
local pte0, maps0 = util.status("VmPTE") or 0, util.maps()
local vm0 = util.status("VmSize") or 0
local t0 = os.clock()
local ok, err = pcall(function()
  for i = 1, N do
    local g = make(body)
    g()
    gens[i] = g
  end
end)
local made = 0
while made < N and gens[made + 1] do made = made + 1 end
local r = {
  kind = kind, n = N, made = made,
  create_s = string.format("%.2f", os.clock() - t0),
  maps = util.maps(), maps0 = maps0, max_map_count = util.max_map_count(),
}
if not ok then
  r.failed_at = made + 1
  r.err = tostring(err):gsub("%s", "_")
  r.vmsize_mib = math.floor((util.status("VmSize") or 0) / 2^20)
end
local heap1, rss1 = util.heap(), util.rss()
local pte1 = util.status("VmPTE") or 0
local per = math.max(made, 1)
r.rss = string.format("%.0f", (rss1 - rss0) / per)
r.heap = string.format("%.0f", (heap1 - heap0) / per)
r.pte = string.format("%.0f", (pte1 - pte0) / per)
r.rss_total_mib = string.format("%.0f", rss1 / 2^20)
r.vmsize0_mib = math.floor(vm0 / 2^20)
r.pte_total_mib = string.format("%.0f", pte1 / 2^20)

if cycle and ok then
  -- resumed once more each, then collected (closed by the collector)
  local t1 = os.clock()
  local ok2, err2 = pcall(function()
    for i = 1, made do gens[i]() end
  end)
  r.resume_s = string.format("%.2f", os.clock() - t1)
  if not ok2 then r.err = tostring(err2):gsub("%s", "_") ok = false end
  t1 = os.clock()
  gens = nil
  local heap2 = util.heap()
  r.collect_s = string.format("%.2f", os.clock() - t1)
  r.maps_after = util.maps()
  r.rss_after_mib = string.format("%.0f", util.rss() / 2^20)
  r.vmsize_after_mib = math.floor((util.status("VmSize") or 0) / 2^20)
  r.heap_after_kib = string.format("%.0f", heap2 / 1024)
  -- the state still works
  local g = new(function() yield(1) return 2 end)
  if g() ~= 1 then ok = false r.err = "no_generator_after_collect" end
end
r.ok = ok and 1 or 0
util.result(r)
