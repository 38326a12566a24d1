-- Failure injection: build/oom runs the scenarios of spec/fixtures/oom.lua
-- with Lua allocations and cogen's stack system calls failing one at a time
-- (see spec/fixtures/oom.c). Here every 11th allocation of each scenario
-- fails (every 29th under an emulator), in both modes; make check-oom
-- (scripts/check-oom.sh) tries every one, under ASan.
local support = require "support"

describe("failure injection", function()
  it("ends every run in success or a memory error, and leaves nothing behind", function()
    -- an emulator (COGEN_EXEC) runs it several times slower
    local stride = support.exec ~= "" and 29 or 11
    local cmd = ("%s %s/oom -s %d spec/fixtures/oom.lua 2>&1")
      :format(support.exec, support.build, stride)
    local p = io.popen(cmd)
    local out = p:read("a")
    local _, _, code = p:close()
    local runs, problems = out:match("\noom: (%d+) runs, (%d+) problems\n$")
    assert.is_truthy(runs, out)
    assert.equal("0", problems, out)
    assert.equal(0, code, out)
    assert.is_nil(out:find("Sanitizer", 1, true), out)
    assert.is_true(tonumber(runs) > 100, out)
    -- each scenario ran and met failures of both kinds
    for _, name in ipairs(dofile("spec/fixtures/oom.lua").order) do
      local line = out:match("\n" .. name .. ": ([^\n]*)") or
                   out:match("^" .. name .. ": ([^\n]*)")
      assert.is_truthy(line, name .. " missing:\n" .. out)
      assert.is_truthy(line:find("[1-9]%d* memory errors"), line)
    end
  end)
end)
