#!/bin/sh
# Runs the whole suite against each Lua release, built from the release tags
# of a clone of Lua's repository (github.com/lua/lua), with
# scripts/test-lua-dir.sh. Each release's sources go to $SRC/vX.Y.Z (under
# /tmp by default, never into this tree), its build to build-lua/X.Y.Z.
# Usage: scripts/test-lua-releases.sh LUA_GIT_DIR [TAG...]
# TAGs default to every release from v5.4.0 on. Prints one line per release,
# and ends with the line "N passed, N failed" summed over all of them.
set -e
[ -n "$1" ] || { echo "usage: scripts/test-lua-releases.sh LUA_GIT_DIR [TAG...]" >&2; exit 2; }
git=$1
shift
cd "$(dirname "$0")/.."
SRC=${SRC:-${TMPDIR:-/tmp}/cogen-lua-releases}
# shellcheck disable=SC2046  # one tag a word
[ $# -gt 0 ] || set -- $(git -C "$git" tag -l 'v5.[4-9].[0-9]*' | sort -V)
mkdir -p "$SRC"
table="" passed=0 failed=0
for tag in "$@"; do
  dir=$SRC/$tag
  if [ ! -f "$dir/lua.h" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    git -C "$git" archive "$tag" | tar -x -C "$dir"
  fi
  log=$(mktemp)
  scripts/test-lua-dir.sh "$dir" >"$log" 2>&1 || true
  line=$(tail -n 1 "$log")
  case $line in
    *" passed, "*" failed") ;;
    *) line="0 passed, 1 failed" ;;
  esac
  pending=$(grep -a -E '^[0-9]+ pending \(not counted' "$log" | tail -n 1 | cut -d' ' -f1)
  set -- $line
  passed=$((passed + $1)) failed=$((failed + $3))
  table="$table$tag: $line${pending:+, $pending pending}
"
  if [ "$3" -gt 0 ]; then
    grep -a -E -A1 '^(Failure|Error) ' "$log" | sed "s/^/  $tag  /" || true
    grep -a -E 'Segmentation fault|Aborted' "$log" | sed "s/^/  $tag  /" || true
  fi
  rm -f "$log"
done
printf '%s' "$table"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
