-- packaging: the rockspec installs a module that require finds
describe("luarocks make", function()
  it("installs cogen into a fresh tree, offline, and it loads from there #host", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    local cmd = table.concat({
      "set -e",
      "mkdir -p " .. tmp .. "/src",
      "cp -r src lua cogen-0.1.0-1.rockspec " .. tmp .. "/src",
      "cd " .. tmp .. "/src",
      "rm -f src/*.o",
      "luarocks --lua-version 5.4 make --tree " .. tmp .. "/tree cogen-0.1.0-1.rockspec >/dev/null 2>&1",
      "cd /",
      "lua5.4 -e 'package.path = \"" .. tmp .. "/tree/share/lua/5.4/?.lua\" " ..
        "package.cpath = \"" .. tmp .. "/tree/lib/lua/5.4/?.so\" " ..
        "local c = require \"cogen\" " ..
        "local g = c.new(function() local t = {2, 1} " ..
        "table.sort(t, function(a, b) return c.yield(a < b) end) return t[1] end) " ..
        "local v = g:next() local ok, e = pcall(g.send, g, v) io.write(e.value)'",
    }, " && ")
    local p = io.popen("(" .. cmd .. ") 2>&1")
    local out = p:read("a")
    p:close()
    os.execute("rm -rf " .. tmp)
    assert.equal("1", out)
  end)

  it("installs cogen.h where a dependent C module compiles against it #host", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    local tree = tmp .. "/tree"
    local cmd = table.concat({
      "set -e",
      "mkdir -p " .. tmp .. "/src " .. tmp .. "/dep",
      "cp -r src lua cogen-0.1.0-1.rockspec " .. tmp .. "/src",
      "cp spec/fixtures/capi.c " .. tmp .. "/dep",
      "cd " .. tmp .. "/src",
      "luarocks --lua-version 5.4 make --tree " .. tree .. " cogen-0.1.0-1.rockspec >/dev/null 2>&1",
      "inc=\"$(luarocks --lua-version 5.4 --tree " .. tree .. " show --rock-dir cogen)/conf/include\"",
      "cd " .. tmp .. "/dep",
      "cc -O2 -fPIC -shared -I/usr/include/lua5.4 -I\"$inc\" -o capi.so capi.c",
      "lua5.4 -e 'package.path = \"" .. tree .. "/share/lua/5.4/?.lua\" " ..
        "package.cpath = \"" .. tree .. "/lib/lua/5.4/?.so;" .. tmp .. "/dep/?.so\" " ..
        "local cogen = require \"cogen\" local capi = require \"capi\" " ..
        "local g = cogen.new(capi.loop, 3) local s = {g:next(), g:send(10), g:send(20)} " ..
        "local ok, e = pcall(g.send, g, 30) io.write(table.concat(s, \" \"), \" \", e.value)'",
    }, " && ")
    local p = io.popen("(" .. cmd .. ") 2>&1")
    local out = p:read("a")
    p:close()
    os.execute("rm -rf " .. tmp)
    assert.equal("1 2 3 60", out)
  end)
end)

describe("independent Lua states", function()
  it("run generators in several OS threads at once without interfering", function()
    local support = require "support"
    local p = io.popen(support.exec .. " " .. support.build .. "/threads 4 spec/fixtures/threads.lua 2>&1")
    local out = p:read("a")
    p:close()
    assert.equal("thread 1: 80000\nthread 2: 160000\nthread 3: 240000\nthread 4: 320000\n", out)
  end)
end)
