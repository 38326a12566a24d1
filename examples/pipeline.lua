-- A push pipeline in the style of David Beazley's "coroutines as
-- consumers": a source sends log lines into a filter, which sends the lines
-- it keeps to a broadcaster, which sends each one to several sinks. Every
-- stage is a cogen.consumer, primed and fed with send; closing the first
-- stage closes the rest, each stage's '<close>' variables run in order.
local cogen = require "cogen"

-- send the lines of text into target, then close it
local function source(text, target)
  for line in text:gmatch("[^\n]+") do target:send(line) end
  target:close()
end

-- pass on the lines that contain pattern (a plain string)
local grep = cogen.consumer(function(pattern, target)
  local _ <close> = target
  while true do
    local line = cogen.yield()
    if line:find(pattern, 1, true) then target:send(line) end
  end
end)

-- pass each value on to every target
local broadcast = cogen.consumer(function(targets)
  local _ <close> = setmetatable({}, {__close = function()
    for _, t in ipairs(targets) do t:close() end
  end})
  while true do
    local v = cogen.yield()
    for _, t in ipairs(targets) do t:send(v) end
  end
end)

-- sinks: print with a label; count words; keep the last n
local printer = cogen.consumer(function(label)
  while true do print(("   %s %s"):format(label, cogen.yield())) end
end)

local counter = cogen.consumer(function(word)
  local n = 0
  local _ <close> = setmetatable({}, {__close = function()
    print(("   [count] %q in %d %s"):format(word, n, n == 1 and "line" or "lines"))
  end})
  while true do
    if cogen.yield():find(word, 1, true) then n = n + 1 end
  end
end)

local tail = cogen.consumer(function(n)
  local last = {}
  local _ <close> = setmetatable({}, {__close = function()
    print("   [tail] last " .. n .. ": " .. table.concat(last, " | "))
  end})
  while true do
    last[#last + 1] = cogen.yield()
    if #last > n then table.remove(last, 1) end
  end
end)

local log = [[
10:01 GET /index.html 200
10:02 GET /missing 404
10:03 POST /login 200
10:04 GET /old-page 404
10:05 GET /admin 403
10:06 GET /favicon.ico 404]]

print("1. source -> grep ' 40' -> broadcast -> printer, counter, tail")
source(log, grep(" 40", broadcast{printer("[screen]"), counter("GET"), tail(2)}))

print("2. Any generator can feed it; closing the first stage closes them all")
local lines = cogen.from_callback(function(emit) log:gsub("[^\n]+", emit) end)
local first = grep("GET", broadcast{printer("[screen]"), counter("404")})
for line in cogen.take(3, lines) do first:send(line) end
first:close()
