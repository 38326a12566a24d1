--[[
bench/run.lua [OUT]: the benchmarks of cogen, each against its baseline,
printed as one table and written to OUT (default build/bench.txt; the file
already there moves to build/bench.prev.txt and the two are compared).

Timing: os.clock (CPU time of this process). For each case the number of
operations per sample is calibrated to about BENCH_SAMPLE seconds; then
BENCH_ROUNDS rounds each time one cogen sample and one baseline sample, in
alternating order, after a full collection. The table gives the median
ns/op of each side and the median of the per-round ratios, which a noisy
shared machine disturbs least. Memory cases run in child processes
(bench/mem.lua) so that each RSS is measured alone.

Environment: BENCH_ROUNDS (7), BENCH_SAMPLE (0.05 s), BENCH_CASES (ids,
comma-separated, e.g. "1a,3,mem"), BENCH_MEM_N (100000), BENCH_LIVE
(1000000; 0 skips the live-generator count).
These are measurements, not tests: the exit status is 0 unless a case
fails to run.
]]
local util = require "bench.util"
local cases = require "bench.cases"
local cogen = require "cogen"

local OUT = arg[1] or os.getenv("BENCH_OUT") or "build/bench.txt"
local ROUNDS = math.tointeger(tonumber(os.getenv("BENCH_ROUNDS") or "")) or 7
local SAMPLE = tonumber(os.getenv("BENCH_SAMPLE") or "") or 0.05
local MEM_N = math.tointeger(tonumber(os.getenv("BENCH_MEM_N") or "")) or 100000
local LIVE_N = math.tointeger(tonumber(os.getenv("BENCH_LIVE") or "")) or 1000000
local ONLY = os.getenv("BENCH_CASES")

local function wanted(id)
  if not ONLY or ONLY == "" then return true end
  for w in ONLY:gmatch("[^,%s]+") do
    if w == id or w == id:sub(1, #w) and not id:sub(#w + 1):match("^%d") then
      return true
    end
  end
  return false
end

local function median(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local m = #s // 2
  return #s % 2 == 1 and s[m + 1] or (s[m] + s[m + 1]) / 2
end

local function sample(setup, n)
  local run = setup()
  collectgarbage("collect")
  local t0 = os.clock()
  run(n)
  return os.clock() - t0
end

-- operations per sample so that one takes about SAMPLE seconds
local function calibrate(setup)
  local n = 100
  while true do
    local dt = sample(setup, n)
    if dt >= SAMPLE / 2 then
      return math.max(1, math.floor(n * SAMPLE / dt))
    end
    n = n * (dt > SAMPLE / 100 and math.ceil(SAMPLE / dt) or 100)
  end
end

-- A case with 'less' reports the cogen side net of what 'less' costs (the
-- same work without the part measured), timed in the same round.
local function timed(case)
  local n = calibrate(case.cogen)
  sample(case.base, n)  -- warm the baseline too
  local tc, tb, ratios = {}, {}, {}
  for r = 1, ROUNDS do
    local c, b
    if r % 2 == 1 then
      c = sample(case.cogen, n)
      b = sample(case.base, n)
    else
      b = sample(case.base, n)
      c = sample(case.cogen, n)
    end
    if case.less then c = c - sample(case.less, n) end
    tc[r], tb[r], ratios[r] = c / n * 1e9, b / n * 1e9, c / b
  end
  table.sort(ratios)
  return { c = median(tc), b = median(tb), ratio = median(ratios),
           lo = ratios[1], hi = ratios[#ratios], n = n }
end

local rows, notes = {}, {}
local function row(r)
  rows[#rows + 1] = r
  io.stderr:write(r.case:match("^%w+"), " ")
  io.stderr:flush()
end
local function note(s) notes[#notes + 1] = s end
local failed = false

local function fmt(x, unit)
  if x == nil then return "—" end
  if unit == "KiB" then return string.format("%.2f KiB", x / 1024) end
  return string.format(x < 100 and "%.1f" or "%.0f", x)
end

-- timing cases
for _, case in ipairs(cases) do
  if wanted(case.id) then
    local ok, m = pcall(timed, case)
    if not ok then
      failed = true
      row { case = case.id .. " " .. case.name, c = "error", b = "", ratio = "",
            target = "", met = "NO" }
      note(case.id .. ": " .. tostring(m))
    else
      local met = "—"
      if case.target then met = m.ratio <= case.target and "yes" or "NO" end
      row { case = case.id .. " " .. case.name .. " (vs " .. case.base_name .. ")",
            c = fmt(m.c), b = fmt(m.b), ratio = string.format("%.2f", m.ratio),
            target = case.target and string.format("≤ %.2f", case.target) or "—",
            met = met }
      note(string.format("%s: ratio %.2f..%.2f over %d rounds, %d ops/sample",
                         case.id, m.lo, m.hi, ROUNDS, m.n))
    end
  end
end

-- memory cases, each in a process of its own
local function mem(kind, n, extra)
  local out, ok, _, code = util.child("bench/mem.lua", { kind, n, extra })
  local r = util.parse_result(out)
  if not r then
    return nil, string.format("bench/mem.lua %s %d: exit %s: %s", kind, n,
                              tostring(code), out:sub(-400))
  end
  r.exit = ok and 0 or code
  return r
end

local function memrow(id, name, r, base, field, target_kib, label)
  local v = r and r.made > 0 and r[field] or nil
  local bv = base and base[field] or nil
  local met = "—"
  if target_kib and v then met = v <= target_kib * 1024 and "yes" or "NO" end
  row { case = id .. " " .. name .. " (vs " .. label .. ")",
        c = fmt(v, "KiB"), b = fmt(bv, "KiB"),
        ratio = v and bv and bv > 64 and string.format("%.2f", v / bv) or "—",
        target = target_kib and string.format("≤ %g KiB", target_kib) or "—",
        met = met }
end

if wanted("6") or wanted("mem") then
  local co = mem("coroutine", MEM_N)
  local sh, e1 = mem("shallow", MEM_N)
  local gs, e2 = mem("gsub", MEM_N)
  for _, e in ipairs { e1 or false, e2 or false } do
    if e then failed = true note(e) end
  end
  local lab = "wrap"
  memrow("6a", "RSS per suspended gen, shallow", sh, co, "rss", 6, lab)
  memrow("6b", "Lua heap per suspended gen, shallow", sh, co, "heap", 1.5, lab)
  memrow("6c", "RSS per gen suspended in gsub callback", gs, co, "rss", nil, lab)
  memrow("6d", "Lua heap per gen suspended in gsub callback", gs, co, "heap", nil, lab)
  memrow("6e", "page tables per suspended gen (VmPTE, outside RSS)",
         sh, co, "pte", nil, lab)
  for _, r in ipairs { sh or false, gs or false } do
    if r and r.ok ~= 1 then
      failed = true
      note(string.format("6 (%s): %d of %d made: %s", r.kind, r.made, r.n,
                         tostring(r.err)))
    end
  end
end

if LIVE_N > 0 and (wanted("7") or wanted("live")) then
  local r, e = mem("shallow", LIVE_N)
  local ok = r and r.ok == 1 and r.made == LIVE_N
  row { case = "7 live suspended generators, default settings",
        c = r and string.format("%d", r.made) or "crash", b = "—", ratio = "—",
        target = string.format("%d", LIVE_N), met = ok and "yes" or "NO" }
  if r then
    note(string.format("7: %d made in %s s CPU; RSS %s MiB, page tables %s MiB, "
      .. "mappings %d (vm.max_map_count %s)%s", r.made, r.create_s,
      r.rss_total_mib, r.pte_total_mib, r.maps, tostring(r.max_map_count),
      r.err and (", failed at " .. r.failed_at .. ": " .. r.err ..
                 ", VmSize " .. r.vmsize_mib .. " MiB") or ""))
  else
    failed = true
    note("7: " .. e)
  end
end
io.stderr:write("\n")

-- the table
local head = { "case", "cogen ns/op", "baseline ns/op", "ratio", "target", "met?" }
local keys = { "case", "c", "b", "ratio", "target", "met" }
local width = {}
local function len(s) return utf8.len(s) or #s end
for i, h in ipairs(head) do
  width[i] = len(h)
  for _, r in ipairs(rows) do width[i] = math.max(width[i], len(r[keys[i]])) end
end
local function line(cells)
  local t = {}
  for i, c in ipairs(cells) do
    local pad = string.rep(" ", width[i] - len(c))
    t[i] = i == 1 and c .. pad or pad .. c
  end
  return "| " .. table.concat(t, " | ") .. " |"
end
local out = {}
local function sh(cmd)
  local p = io.popen(cmd .. " 2>/dev/null")
  local s = p and p:read("a") or ""
  if p then p:close() end
  return (s:gsub("%s+$", ""))
end
out[#out + 1] = string.format("# cogen bench, %s", os.date("%Y-%m-%d %H:%M:%S"))
out[#out + 1] = string.format("# %s, %s; %s; git %s%s; %s cores",
  _VERSION, cogen._VERSION, sh("uname -srm"), sh("git rev-parse --short HEAD"),
  sh("git status --porcelain -- src lua") ~= "" and "+dirty" or "",
  sh("nproc"))
out[#out + 1] = string.format("# medians of %d rounds, ~%g s CPU per sample "
  .. "(os.clock); 6: %d generators per process; ratio = cogen / baseline",
  ROUNDS, SAMPLE, MEM_N)
out[#out + 1] = "# baselines: wrap = the same code with coroutine.wrap; "
  .. "1a = cogen g() of case 1a; depth 1 = case 5 at depth 1"
out[#out + 1] = ""
out[#out + 1] = line(head)
local sep = {}
for i = 1, #head do sep[i] = string.rep("-", width[i]) end
out[#out + 1] = (line(sep):gsub(" ", "-"):gsub("^%-", " "):gsub("%-$", " "))
  :gsub("^ ", "|"):gsub(" $", "|")
for _, r in ipairs(rows) do
  local cells = {}
  for i, k in ipairs(keys) do cells[i] = r[k] end
  out[#out + 1] = line(cells)
end
out[#out + 1] = ""
for _, n in ipairs(notes) do out[#out + 1] = "# " .. n end
local text = table.concat(out, "\n") .. "\n"
io.write(text)

-- keep the previous run and compare the ratios
local function ratios(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do
    local id, rest = l:match("^| (%w+) (.*)")
    if id then
      local cells = {}
      for c in rest:gmatch("[^|]+") do cells[#cells + 1] = c:match("^%s*(.-)%s*$") end
      t[id] = { ratio = cells[4], c = cells[2], b = cells[3] }
    end
  end
  return t
end
local prevpath = OUT:gsub("%.txt$", "") .. ".prev.txt"
local old = io.open(OUT)
if old then
  local prev = old:read("a")
  old:close()
  os.rename(OUT, prevpath)
  local p, now = ratios(prev), ratios(text)
  print(string.format("\ncompared with the previous run (%s, %s):", prevpath,
                      prev:match("^# cogen bench, ([^\n]*)") or "?"))
  print("| case | previous cogen | cogen | previous ratio | ratio |")
  for _, r in ipairs(rows) do
    local id = r.case:match("^(%w+)")
    if p[id] then
      print(string.format("| %s | %s | %s | %s | %s |", id, p[id].c, now[id].c,
                          p[id].ratio, now[id].ratio))
    end
  end
end
local dir = OUT:match("^(.*)/[^/]*$")
if dir then os.execute("mkdir -p " .. util.quote(dir)) end
local f = assert(io.open(OUT, "w"))
f:write(text)
f:close()
print("\nwritten to " .. OUT)
os.exit(failed and 1 or 0)
