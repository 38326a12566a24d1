#!/bin/sh
# Installs what building and testing cogen needs, when it is missing.
# As root on Debian or Ubuntu it uses apt-get; elsewhere it says what to
# install and fails. Usage: scripts/deps.sh [build|test|check|demo]
# (check: what test needs, plus Valgrind for the checked builds)
# The examples' libraries (lua-expat, lua-lpeg) are installed for demo and
# test; demo runs without them (those examples skip), test needs them.
set -e
need=${1:-build}
missing=""
optional=""

have_cmd() { command -v "$1" >/dev/null 2>&1; }
want() { missing="$missing $1"; }
have_mod() { have_cmd lua5.4 && lua5.4 -e "require '$1'" >/dev/null 2>&1; }

have_cmd cc || have_cmd gcc || want gcc
have_cmd make || want make
have_cmd lua5.4 || want lua5.4
[ -f /usr/include/lua5.4/lua.h ] || want liblua5.4-dev
if [ "$need" = check ]; then
  have_cmd valgrind || want valgrind
  [ -f /usr/include/valgrind/valgrind.h ] || want valgrind
  need=test
fi
if [ "$need" = test ]; then
  have_cmd busted || want lua-busted
  have_cmd luarocks || want luarocks
  have_cmd readelf || want binutils
fi
if [ "$need" != build ]; then
  have_mod lxp || optional="$optional lua-expat"
  have_mod lpeg || optional="$optional lua-lpeg"
fi
[ "$need" = test ] && missing="$missing$optional" && optional=""

[ -z "$missing$optional" ] && exit 0

if [ "$(id -u)" = 0 ] && have_cmd apt-get; then
  echo "deps: installing$missing$optional"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing $optional >/dev/null
  exit 0
fi

if [ -z "$missing" ]; then
  echo "deps: the examples that need$optional will skip;" \
       "to run them: sudo apt-get install$optional" >&2
  exit 0
fi

echo "deps: missing:$missing" >&2
echo "deps: install them, for example: sudo apt-get install$missing" >&2
exit 1
