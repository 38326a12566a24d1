-- An XML pull parser from a push parser. LuaExpat (module lxp, Debian
-- package lua-expat) calls back for each start tag, end tag and text; as a
-- generator, the caller pulls (event, name, attrs) one at a time and stops
-- when it has what it wants, which closes the parser. Plain coroutines
-- cannot do this: the callbacks run inside expat's C code.
local cogen = require "cogen"

local ok, lxp = pcall(require, "lxp")
if not ok then
  print("skip: this example needs LuaExpat (module lxp): apt-get install lua-expat")
  return
end

-- the events of an XML text as a generator: ("start", name, attrs),
-- ("text", text) and ("end", name)
local function events(xml)
  return cogen.from_callback(function(emit)
    local parser = lxp.new{
      StartElement = function(_, name, attrs) emit("start", name, attrs) end,
      EndElement = function(_, name) emit("end", name) end,
      CharacterData = function(_, text)
        if text:find("%S") then emit("text", text) end
      end,
    }
    -- on an early stop, GeneratorExit unwinds through expat's C frames to here
    local _ <close> = setmetatable({}, {__close = function(_, err)
      if err then
        print(("   (parser stopped at byte %d of %d)"):format(select(3, parser:pos()), #xml))
      end
    end})
    for i = 1, #xml, 40 do  -- fed in small pieces, as from a socket
      assert(parser:parse(xml:sub(i, i + 39)))
    end
    assert(parser:parse())
    parser:close()
    print(("   (parser read all %d bytes)"):format(#xml))
  end)
end

local catalog = [[
<catalog>
  <book id="b1" lang="en"><title>Programming in Lua</title><year>2016</year></book>
  <book id="b2" lang="pt"><title>Lua: conceitos</title><year>2017</year></book>
  <book id="b3" lang="en"><title>Lua Quick Start</title><year>2018</year></book>
</catalog>]]

print("1. Pull the first events one at a time")
local g = events(catalog)
for _ = 1, 4 do
  local event, name, attrs = g:next()
  if event == "start" then
    local id = attrs.id and (' id="' .. attrs.id .. '"') or ""
    print(("   start %s%s"):format(name, id))
  else
    print(("   %s %s"):format(event, name))
  end
end
g:close()

print("2. Find the first book in Portuguese, then stop parsing")
do
  local g <close> = events(catalog)  -- closed when the block ends
  local inbook
  for event, name, attrs in g do
    if event == "start" and name == "book" then inbook = attrs.lang == "pt"
    elseif event == "text" and inbook then print("   found: " .. name) break end
  end
end

print("3. The ids of the English books, with filter, map and collect")
local english = cogen.map(function(_, _, attrs) return attrs.id end,
  cogen.filter(function(event, name, attrs)
    return event == "start" and name == "book" and attrs.lang == "en"
  end, events(catalog)))
print("   " .. table.concat(cogen.collect(english), ", "))

print("4. The same pull with a plain coroutine fails")
local co = coroutine.wrap(function()
  local parser = lxp.new{StartElement = function(_, name) coroutine.yield(name) end}
  parser:parse("<catalog/>")
end)
print("   " .. select(2, pcall(co)))
