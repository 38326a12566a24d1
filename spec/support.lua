-- What specs share: how to start a child Lua interpreter, and where the
-- build is. COGEN_LUA names the interpreter (a command line: for example an
-- emulator and its arguments before the interpreter); it defaults to lua5.4.
-- COGEN_BUILD is the build directory, "build" by default. COGEN_EXEC is put
-- before the build's own programs (build/threads): an emulator, or nothing.
local support = {}

support.lua = os.getenv("COGEN_LUA") or "lua5.4"
support.build = os.getenv("COGEN_BUILD") or "build"
support.exec = os.getenv("COGEN_EXEC") or ""

-- What differs between Lua releases that all say _VERSION "Lua 5.4", found
-- by trying it on the running interpreter.
-- 5.4.0-5.4.1 count every call, Lua calls too, against one C-stack budget of
-- 2,000 slots (LUAI_MAXCSTACK), which lua_newthread copies from the creating
-- thread: Lua recursion stops near 2,000 levels, and nested generators share
-- one budget. From 5.4.2 each thread counts its own C calls, up to 200.
support.shared_cstack = not pcall(function()
  local function deep(n) if n > 0 then return deep(n - 1) + 1 end return 0 end
  return deep(5000)
end)
-- From 5.4.3 an error in a __close handler while another error unwinds
-- replaces that error; 5.4.0-5.4.2 turn it into a warning, "error in
-- __close metamethod (...)", and keep unwinding the first error (lfunc.c).
support.close_error_replaces = select(2, pcall(function()
  local c <close> = setmetatable({}, {__close = function() error("new", 0) end})
  error("old", 0)
end)) == "new"

-- the error that f(...) raises; fails the spec if it raises none
function support.raised(f, ...)
  local ok, err = pcall(f, ...)
  assert(not ok, "expected an error")
  return err
end

return support
