-- A short tour of cogen: what `make demo` runs.
local cogen = require "cogen"

print("1. Python's classic consumer, primed once, then fed with send")
local printer = cogen.consumer(function(prefix)
  while true do
    local line = cogen.yield()
    print(prefix .. line)
  end
end)
local p = printer("   > ")
p:send("hello")
p:send("world")
p:close()

print("2. A yield inside a table.sort comparator: the caller answers")
local sorter = cogen.new(function(t)
  table.sort(t, function(a, b) return cogen.yield(a, b) end)
  return t
end, {"pear", "fig", "apple"})
local ok, a, b = pcall(sorter.next, sorter)
while ok do
  print(("   is %-5s before %-5s? %s"):format(a, b, tostring(#a < #b)))
  ok, a, b = pcall(sorter.send, sorter, #a < #b)
end
print("   shortest first: " .. table.concat(a.value, ", "))

print("3. The same with a plain coroutine fails")
local co = coroutine.wrap(function()
  table.sort({3, 1, 2}, function(x, y) coroutine.yield() return x < y end)
end)
print("   " .. select(2, pcall(co)))

print("4. string.gsub whose replacement function yields each match")
local words = cogen.new(function(s)
  return (s:gsub("%a+", function(w) return cogen.yield(w) end))
end, "one two three")
local out, n = {}, 0
for w in words do n = n + 1; out[n] = w end
print("   matches: " .. table.concat(out, " "))

print("5. Errors and StopIteration, as in Python")
local g = cogen.new(function() cogen.yield(1) return "result" end)
g:next()
local _, e = pcall(g.next, g)
print("   " .. tostring(e) .. "   e.value = " .. e.value)
