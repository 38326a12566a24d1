rockspec_format = "3.0"
package = "cogen"
version = "0.1.0-1"
source = {
  url = "git+https://github.com/cogen-lua/cogen.git",
  tag = "v0.1.0",
}
description = {
  summary = "Generators with their own native C stack, yielding across C calls",
  detailed = [[
    Every cogen generator runs on its own native C stack, so cogen.yield
    works at any depth of Lua and C calls: inside table.sort comparators,
    string.gsub callbacks, load readers, metamethods and C library
    callbacks. Generator objects follow Python's protocol: next, send,
    throw, close, StopIteration values, GeneratorExit, yield from.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.6",
}
build = {
  type = "builtin",
  modules = {
    cogen = "lua/cogen.lua",
    ["cogen.iter"] = "lua/cogen/iter.lua",
    ["cogen.core"] = {
      sources = {
        "src/ctx.c", "src/stack.c", "src/gen.c", "src/exc.c", "src/lcogen.c",
        "src/ctx_x86_64.S", "src/ctx_aarch64.S",
      },
      incdirs = { "src" },
    },
  },
  -- the C API header, for dependent C modules: LuaRocks installs no
  -- headers, so it goes to this rock's conf directory; dependents use
  -- -I"$(luarocks show --rock-dir cogen)/conf/include"
  install = {
    conf = { ["include/cogen.h"] = "src/cogen.h" },
  },
}
test = {
  type = "command",
  command = "make test",
}
