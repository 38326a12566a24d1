--[[
cogen: generators with their own native C stack, following Python's
generator protocol. The engine is the C module cogen.core; this file adds
what is best written in Lua.
]]
local core = require "cogen.core"

local cogen = {}
for k, v in pairs(core) do cogen[k] = v end

--- A factory like Python's priming decorator: cogen.consumer(fn)(...)
-- creates the generator and runs it to its first yield, so the caller can
-- send at once. A body that returns before yielding raises StopIteration.
function cogen.consumer(fn, stacksize)
  local make = core.generator(fn, stacksize)
  return function(...)
    local g = make(...)
    g:next()
    return g
  end
end

-- The pull-style helpers of cogen.iter (from_callback, map, filter, take,
-- drop, zip, chain, enumerate, collect) are fields of this module too, as
-- Python's map and zip are builtins.
for name, f in pairs(require "cogen.iter") do
  cogen[name] = f
end

return cogen
