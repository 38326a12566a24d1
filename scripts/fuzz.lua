--[[
Model-based fuzzing of cogen (spec/fuzzer.lua, spec/model.lua) over many
seeds. Run from the project's root:

  LUA_PATH='lua/?.lua;spec/?.lua;;' LUA_CPATH='build/?.so;;' lua5.4 scripts/fuzz.lua N [FIRST]
      seeds FIRST .. FIRST+N-1 (FIRST defaults to 1); prints each failing
      seed with the command that shows it; ends with "N passed, N failed"
      (seeds) and exits 1 if any failed
  ... scripts/fuzz.lua --seed S     seed S: the program, then both logs
  ... scripts/fuzz.lua --shrink S   the same for a smaller program that fails

Seeds run in child interpreters, a batch each, so a seed that crashes the
interpreter is reported like any other failure and the run goes on.
COGEN_LUA names the interpreter of the children (default: this one).
]]
local fuzzer = require "fuzzer"

local LUA = os.getenv("COGEN_LUA") or arg[-1] or "lua5.4"
local SHOW = ("LUA_PATH='%s' LUA_CPATH='%s' %s %s"):format(
  os.getenv("LUA_PATH") or "lua/?.lua;spec/?.lua;;",
  os.getenv("LUA_CPATH") or "build/?.so;;", LUA, arg[0])
local BATCH = 500

local function first_difference(fail)
  if fail.crash then return "the driver failed: " .. fail.crash end
  return ("at operation #%d, model: %s | cogen: %s"):format(fail.op,
    fail.model[fail.line] or "(nothing)", fail.cogen[fail.line] or "(nothing)")
end

local mode, a2 = arg[1], arg[2]

-- a child: the program in file arg[2]; "ok" or "fail"
if mode == "--program" then
  local prog = assert(loadfile(arg[2]))()
  io.stdout:write(fuzzer.check(prog) and "fail\n" or "ok\n")
  os.exit(0)
end

-- does prog crash a child? (the failure, or nil) For shrinking crashes
local function fails_apart(prog)
  local name = os.tmpname()
  local f = assert(io.open(name, "w"))
  f:write("return ", fuzzer.serialize(prog), "\n")
  f:close()
  local child = assert(io.popen(("%s %q --program %q 2>&1"):format(LUA, arg[0], name)))
  local out = child:read("a")
  child:close()
  os.remove(name)
  if out:match("^ok\n$") or out:match("^fail\n$") then return nil end
  return {crash = out}
end

-- one seed, shown in full
if mode == "--seed" or mode == "--shrink" then
  local seed = assert(tonumber(a2), "a seed number expected")
  local prog = fuzzer.generate(seed)
  if mode == "--shrink" then
    -- in children first: a crash must not end the shrinking
    local crash = fails_apart(prog)
    if crash then
      prog, crash = fuzzer.shrink(prog, 2000, fails_apart)
      print(("seed %d crashes the interpreter: %s"):format(seed, crash.crash))
      print(fuzzer.show(prog))
      os.exit(1)
    end
  end
  local fail, log = fuzzer.check(prog)
  if fail and mode == "--shrink" then prog, fail = fuzzer.shrink(prog) end
  if not fail then
    print(("seed %d: cogen agrees with the model"):format(seed))
    print(fuzzer.show(prog))
    print("log:")
    print(table.concat(log, "\n"))
    os.exit(0)
  end
  print(("seed %d: cogen disagrees with the model"):format(seed))
  print(fuzzer.report(fail))
  os.exit(1)
end

-- a child: seeds first .. last, one line each
if mode == "--batch" then
  local first, last = tonumber(arg[2]), tonumber(arg[3])
  for seed = first, last do
    local fail = fuzzer.run(seed)
    io.stdout:write(("%d %s\n"):format(seed, fail and first_difference(fail) or "ok"))
    io.stdout:flush()
  end
  os.exit(0)
end

local n = tonumber(mode or "1000")
local first = tonumber(a2 or "1")
local last = first + n - 1
local failed = 0
local t0 = os.time()

local function report(seed, what)
  failed = failed + 1
  print(("seed %d fails %s"):format(seed, what))
  print(("  to see it: %s --seed %d   (smaller: --shrink %d)"):format(SHOW, seed, seed))
end

local seed = first
while seed <= last do
  local upto = math.min(seed + BATCH - 1, last)
  local cmd = ("%s %q --batch %d %d 2>&1"):format(LUA, arg[0], seed, upto)
  local child = assert(io.popen(cmd))
  local done = seed - 1
  local stray = {}
  for line in child:lines() do
    local s, what = line:match("^(%d+) (.*)$")
    s = tonumber(s)
    if s and s == done + 1 then
      done = s
      if what ~= "ok" then report(s, what) end
    else
      stray[#stray + 1] = line
    end
  end
  local ok = child:close()
  if done < upto then  -- the child died during seed done + 1
    report(done + 1, "by crashing the interpreter: " ..
      (stray[#stray] or "no message"))
    seed = done + 2
  else
    if not ok or #stray > 0 then  -- a sanitizer's report at exit, say
      failed = failed + 1
      print(("seeds %d..%d: the interpreter %s:"):format(seed, upto,
        ok and "printed" or "failed at exit"))
      for _, line in ipairs(stray) do print("  " .. line) end
    end
    seed = upto + 1
  end
end
print(("seeds %d..%d in %d s; a passed seed is one where cogen agrees with the model"):format(
  first, last, os.time() - t0))
print(("%d passed, %d failed"):format(n - failed, failed))
os.exit(failed == 0 and 0 or 1)
