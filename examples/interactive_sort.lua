-- An interactive sort. table.sort calls its comparator from C; here the
-- comparator yields each pair to the caller, who answers with send(true) or
-- send(false): the sort asks its questions one at a time, and whoever
-- answers (a person, a network peer, a test) needs no callback. Run with -i
-- to answer yourself.
local cogen = require "cogen"

-- sorts t, asking the caller "does a come before b?" at each comparison
local sorter = cogen.generator(function(t)
  table.sort(t, function(a, b) return cogen.yield(a, b) end)
  return t
end)

-- the answers a reader of this example would give: the older language first
local born = {Lua = 1993, C = 1972, Python = 1991, Lisp = 1958, Go = 2009}
local function answer(a, b)
  local yes = born[a] < born[b]
  print(("   %-6s before %-6s? %s"):format(a, b, yes and "yes" or "no"))
  return yes
end

local function ask(a, b)
  io.write(("   %s before %s? [y/n] "):format(a, b))
  return (io.read("l") or ""):match("^%s*[yY]") ~= nil
end

local reply = arg and arg[1] == "-i" and ask or answer

print("1. The sort asks; the caller answers each question with send")
local g = sorter({"Lua", "C", "Python", "Lisp", "Go"})
local questions = 0
local ok, a, b = pcall(g.next, g)
while ok do
  questions = questions + 1
  ok, a, b = pcall(g.send, g, reply(a, b))
end
assert(getmetatable(a) == cogen.StopIteration, a)
print(("   %d questions; oldest first: %s"):format(questions, table.concat(a.value, ", ")))

print("2. The caller may stop asking: close unwinds table.sort")
g = sorter({"Lua", "C", "Python"})
print("   first question: " .. table.concat({g:next()}, " before ") .. "?")
g:close()
print("   status after close: " .. g:status())
