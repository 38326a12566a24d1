-- A streaming compiler. Lua's load pulls source through a reader function;
-- here the reader yields, so load becomes a consumer that is pushed chunks
-- with send, as they arrive (from a socket, a pipe, an editor). It compiles
-- while the source streams in, reports a syntax error as soon as the bad
-- chunk arrives, and returns the compiled function when the source ends.
local cogen = require "cogen"

-- make(name) is a consumer: send it chunks, then send(nil) to end the source.
-- Its body returns load's results, which end it with a StopIteration.
local compiler = cogen.consumer(function(name)
  return load(function() return cogen.yield() end, name)
end)

-- send chunk to c: nil while c wants more, else what load returned
local function feed(c, chunk)
  local ok, e = pcall(c.send, c, chunk)
  if ok then return nil end
  if getmetatable(e) ~= cogen.StopIteration then error(e, 0) end
  return e.values
end

-- feed each chunk in turn, then the end of the source
local function compile(name, chunks)
  local c = compiler(name)
  for i = 1, #chunks + 1 do
    local chunk = chunks[i]
    local shown = chunk and '"' .. chunk:gsub("\n", "\\n") .. '"' or "(end of source)"
    print(("   chunk %d: %s"):format(i, shown))
    local done = feed(c, chunk)
    if done then return done[1], done[2] end
  end
end

print("1. A program arrives in pieces; the function is ready when it ends")
local f = compile("=stream", {"local function fact(n)\n", "  if n <= 1 then return 1 end\n",
                              "  return n * fact(n - 1)\nend\n", "return fact(10)"})
print("   compiled: " .. type(f) .. ", running it gives " .. f())

print("2. A syntax error stops the compiler at the chunk that has it")
local g, err = compile("=stream", {"local x = 1\n", "local y = = 2\n", "return x + y\n"})
print("   load returned " .. tostring(g) .. ", " .. err)

print("3. The same reader with a plain coroutine fails")
local co = coroutine.wrap(function()
  return load(function() return coroutine.yield() end)
end)
local fn, msg = co()  -- load reports its reader's error
print("   load returned " .. tostring(fn) .. ", " .. msg)
