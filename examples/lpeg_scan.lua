-- LPeg scanning as a generator. A match-time capture (lpeg.Cmt) runs a Lua
-- function in the middle of lpeg.match, inside LPeg's C matching machine;
-- here it yields each match, so the caller pulls matches while the pattern
-- scans a long subject, and stopping early stops the scan. The generator's
-- body is lpeg.match itself, a C function.
local cogen = require "cogen"

local ok, lpeg = pcall(require, "lpeg")
if not ok then
  print("skip: this example needs LPeg (module lpeg): apt-get install lua-lpeg")
  return
end

-- a long log, with an error every 997th line
local lines = {}
for i = 1, 100000 do
  lines[i] = i % 997 == 0 and ("%06d ERROR code=%d disk full"):format(i, 500 + i % 7)
             or ("%06d INFO request served"):format(i)
end
local log = table.concat(lines, "\n")

-- "ERROR code=NNN": yield the position and the code, then scan on
local P, R, C, Cmt = lpeg.P, lpeg.R, lpeg.C, lpeg.Cmt
local found = Cmt(P"ERROR code=" * C(R"09"^1), function(_, pos, code)
  cogen.yield(pos, tonumber(code))
  return true
end)
local scan = (found + 1)^0

print("1. Pull the first three errors; the scan stops there")
local last = 0
for pos, code in cogen.take(3, cogen.new(lpeg.match, scan, log)) do
  print(("   error %d found at byte %d"):format(code, pos))
  last = pos
end
print(("   scanned %d of %d bytes"):format(last, #log))

print("2. Count them all with enumerate")
local n, codes = 0, {}
for i, _, code in cogen.enumerate(cogen.new(lpeg.match, scan, log)) do
  n, codes[code] = i, (codes[code] or 0) + 1
end
print(("   %d errors, %d with code 503"):format(n, codes[503]))
