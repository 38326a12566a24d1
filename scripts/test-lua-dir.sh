#!/bin/sh
# Builds cogen and the spec fixtures against a Lua built from source, and
# runs the whole suite with that Lua. Ends with "N passed, N failed".
# Usage: scripts/test-lua-dir.sh DIR [busted options...]
#
# DIR holds Lua's headers (lua.h, luaconf.h, lauxlib.h, lualib.h): a
# release's src/ directory after "make", or a checkout of lua/lua. The
# interpreter is DIR/lua and the library DIR/liblua.a; either one missing is
# built from DIR's .c files. The build goes to $OUT (build-lua/X.Y.Z, from
# lua.h), with the Makefile's own rules and flags; the specs find it through
# COGEN_BUILD, and start DIR/lua for their child interpreters (COGEN_LUA).
#
# The suite runs under Debian's busted when its modules load into DIR/lua
# (any 5.4.x: same ABI), else under spec/runner.lua, a stand-in that prints
# busted's summary line (5.5). COGEN_RUNNER=busted|runner forces a choice.
set -e
die() { echo "test-lua-dir: $*" >&2; echo "0 passed, 1 failed"; exit 1; }
say() { echo "test-lua-dir: $*"; }

[ -n "$1" ] || die "usage: scripts/test-lua-dir.sh DIR [busted options...]"
[ -d "$1" ] || die "$1: not a directory"
DIR=$(cd "$1" && pwd)
shift
cd "$(dirname "$0")/.."
[ -f "$DIR/lua.h" ] && [ -f "$DIR/luaconf.h" ] || die "$DIR: no lua.h/luaconf.h"
grep -q COGEN_BUILD spec/support.lua ||
  die "spec/support.lua does not read COGEN_BUILD: the specs would test build/"
CC=${CC:-cc}

# the release, from lua.h's LUA_RELEASE ("Lua " "5" "." "4" "." "0");
# LUA_VERSION_RELEASE_NUM is wrong in 5.4.1-5.4.3
VERSION=$(printf '#include "lua.h"\nLUA_RELEASE\n' |
          $CC -E -P -I"$DIR" - | tail -n 1 | tr -d '" ' | sed 's/^Lua//')
case $VERSION in [0-9]*.[0-9]*.[0-9]*) ;; *) die "$DIR/lua.h: no LUA_RELEASE" ;; esac
OUT=${OUT:-build-lua/$VERSION}
# a build made from another directory is not reused
if [ -f "$OUT/.lua-dir" ] && [ "$(cat "$OUT/.lua-dir")" != "$DIR" ]; then
  rm -rf "$OUT"
fi
mkdir -p "$OUT"
echo "$DIR" >"$OUT/.lua-dir"
say "Lua $VERSION from $DIR, build in $OUT"

# Lua's core and libraries as objects: from DIR/liblua.a, else compiled
cflags="-std=gnu99 -O2 -DLUA_USE_LINUX -w"
objs=$OUT/liblua
if [ ! -f "$objs/.complete" ]; then
  rm -rf "$objs"
  mkdir -p "$objs"
  if [ -f "$DIR/liblua.a" ]; then
    (cd "$objs" && ar x "$DIR/liblua.a")
  else
    say "compiling Lua $VERSION's library"
    for c in "$DIR"/*.c; do
      case ${c##*/} in lua.c|luac.c|onelua.c|ltests.c) continue ;; esac
      o=${c##*/}
      $CC $cflags -c -o "$objs/${o%.c}.o" "$c"
    done
  fi
  touch "$objs/.complete"
fi
LUA_OBJS=$(ls "$objs"/*.o | tr '\n' ' ')

LUA=$DIR/lua
if [ ! -x "$LUA" ]; then
  [ -f "$DIR/lua.c" ] || die "$DIR: no lua interpreter and no lua.c"
  LUA=$(pwd)/$OUT/lua
  if [ ! -x "$LUA" ]; then
    say "linking Lua $VERSION's interpreter"
    # shellcheck disable=SC2086
    $CC $cflags -I"$DIR" -o "$LUA" "$DIR/lua.c" $LUA_OBJS -Wl,-E -lm -ldl
  fi
fi

# the module and the fixtures, with the Makefile's rules and flags; the
# threads fixture links Lua's objects whole and exports them, as lua does,
# so that the modules it loads find the API. -B: make cannot see that the
# headers changed
make -B --no-print-directory OUT="$OUT" LUA="$LUA" LUA_INC="$DIR" \
  LUA_LIB="$LUA_OBJS -Wl,-E -lm -ldl" all fixtures

# Debian's Lua modules (busted's, and the C libraries some examples use) for
# DIR/lua and the children it starts, when it is the same x.y as lua5.4:
# C modules built for one 5.4.x load into any other
if [ "$("$LUA" -e 'io.write(_VERSION)')" = \
     "$(lua5.4 -e 'io.write(_VERSION)' 2>/dev/null)" ]; then
  LUA_PATH="$(lua5.4 -e 'io.write(package.path)');;"
  LUA_CPATH="$(lua5.4 -e 'io.write(package.cpath)');;"
  export LUA_PATH LUA_CPATH
fi

runner=${COGEN_RUNNER:-}
busted=$(command -v "${BUSTED:-busted}" 2>/dev/null || true)
if [ -z "$runner" ]; then
  runner=runner
  if [ -n "$busted" ] && "$LUA" -e 'require "busted.runner"' >/dev/null 2>&1; then
    runner=busted
  fi
fi

say "running the suite under $runner with $LUA"
export COGEN_BUILD="$OUT" COGEN_LUA="$LUA"
if [ "$runner" = busted ]; then
  [ -n "$busted" ] || die "no busted"
  # busted's own script, run by DIR/lua (busted --lua would first start it
  # under the lua on PATH, which may be another Lua entirely)
  exec scripts/busted.sh "$LUA" "$busted" --cpath="$OUT/?.so" "$@"
fi
exec scripts/busted.sh "$LUA" spec/runner.lua --cpath="$OUT/?.so" "$@"
