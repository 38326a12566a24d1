-- What specs share: how to start a child Lua interpreter. COGEN_LUA names
-- it (a command line: for example an emulator and its arguments before the
-- interpreter); it defaults to lua5.4.
local support = {}

support.lua = os.getenv("COGEN_LUA") or "lua5.4"

return support
