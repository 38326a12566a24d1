-- What specs share: how to start a child Lua interpreter, and where the
-- build is. COGEN_LUA names the interpreter (a command line: for example an
-- emulator and its arguments before the interpreter); it defaults to lua5.4.
-- COGEN_BUILD is the build directory, "build" by default. COGEN_EXEC is put
-- before the build's own programs (build/threads): an emulator, or nothing.
local support = {}

support.lua = os.getenv("COGEN_LUA") or "lua5.4"
support.build = os.getenv("COGEN_BUILD") or "build"
support.exec = os.getenv("COGEN_EXEC") or ""

return support
