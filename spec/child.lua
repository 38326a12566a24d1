-- Runs a Lua script in a child interpreter (support.lua) that finds this
-- build, so that a crash fails one spec instead of ending the suite. Under
-- make check-asan the child inherits LD_PRELOAD and ASAN_OPTIONS: its
-- sanitizer reports land in the output, which child.clean checks.
local support = require "support"

local child = {}

local prelude = ([[
package.path = "lua/?.lua;spec/?.lua;" .. package.path
package.cpath = %q .. "/?.so;" .. package.cpath
]]):format(support.build)

-- run(script [, args]) -> output (stdout and stderr), exit code
function child.run(script, args)
  local file = os.tmpname()
  local f = assert(io.open(file, "w"))
  f:write(prelude, script)
  f:close()
  local p = io.popen(support.lua .. " " .. file .. " " .. (args or "") .. " 2>&1")
  local out = p:read("a")
  local _, _, code = p:close()
  os.remove(file)
  return out, code
end

-- the output without its sanitizer and Valgrind reports, or an error
-- naming the first
function child.clean(out)
  for _, pat in ipairs({"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                        "runtime error:", "WARNING: ThreadSanitizer",
                        "Segmentation fault", "Aborted"}) do
    if out:find(pat, 1, true) then
      error("child reported " .. pat .. ":\n" .. out, 2)
    end
  end
  return out
end

return child
