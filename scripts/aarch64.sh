#!/bin/sh
# Cross-builds cogen for AArch64 with Debian's gcc-aarch64-linux-gnu and runs
# the whole busted suite with Debian's arm64 lua5.4 under qemu-user.
# As root on Debian it installs what is missing with apt-get; elsewhere it
# says what to install and fails. Ends with the line "N passed, N failed".
#
# The arm64 interpreter and the C modules busted needs are unpacked (dpkg -x,
# nothing is installed) into a sysroot, kept in $SYSROOT
# (build/aarch64-sysroot) and reused. The build goes to $OUT (build-aarch64).
# Specs that test the host rather than the build are tagged #host and left out.
set -e
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SYSROOT=${SYSROOT:-$ROOT/build/aarch64-sysroot}
OUT=${OUT:-build-aarch64}
TRIPLE=aarch64-linux-gnu
ARCHLIB=$SYSROOT/usr/lib/$TRIPLE
APT="apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3"
# the arm64 packages of the sysroot: the interpreter, its headers and
# library, and the C modules of busted's dependencies
PKGS="lua5.4 liblua5.4-0 liblua5.4-dev libc6 libreadline8 libtinfo6
      lua-filesystem lua-system lua-term lua-expat libexpat1 lua-lpeg"

have_cmd() { command -v "$1" >/dev/null 2>&1; }
is_root() { [ "$(id -u)" = 0 ] && have_cmd apt-get; }
say() { echo "aarch64: $*"; }
die() { echo "aarch64: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# 1. host tools
missing=""
have_cmd make || missing="$missing make"
have_cmd $TRIPLE-gcc || missing="$missing gcc-$TRIPLE"
# only recommended by the compiler, so left out by --no-install-recommends
[ -f /usr/$TRIPLE/include/stdio.h ] || missing="$missing libc6-dev-arm64-cross"
have_cmd qemu-aarch64 || have_cmd qemu-aarch64-static || missing="$missing qemu-user"
have_cmd readelf || missing="$missing binutils"
[ -f /usr/share/lua/5.4/busted/runner.lua ] || missing="$missing lua-busted"
updated=""
if [ -n "$missing" ]; then
  is_root || die "missing:$missing; install them, for example: sudo apt-get install$missing"
  say "installing$missing"
  export DEBIAN_FRONTEND=noninteractive
  $APT update -qq
  updated=1
  # shellcheck disable=SC2086
  $APT install -y -qq --no-install-recommends $missing >/dev/null
fi
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static)

# 2. the arm64 sysroot, unpacked once
if [ "$(cat "$SYSROOT/.complete" 2>/dev/null)" != "$(echo $PKGS)" ]; then
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    is_root || die "arm64 packages are not known to apt; as root: dpkg --add-architecture arm64 && apt-get update"
    say "adding the arm64 architecture to apt (downloads only, nothing is installed)"
    dpkg --add-architecture arm64
    updated=""
  fi
  if [ -z "$updated" ] && is_root; then
    $APT update -qq
  fi
  debs=$(mktemp -d)
  # apt's download sandbox user must be able to write there
  chmod 755 "$debs"
  if id _apt >/dev/null 2>&1 && is_root; then chown _apt "$debs"; fi
  say "downloading arm64:" $PKGS
  # shellcheck disable=SC2086
  (cd "$debs" && $APT download -qq $(for p in $PKGS; do echo "$p:arm64"; done)) ||
    { rm -rf "$debs"; die "apt-get download of the arm64 packages failed"; }
  rm -rf "$SYSROOT"
  mkdir -p "$SYSROOT"
  for d in "$debs"/*.deb; do dpkg -x "$d" "$SYSROOT"; done
  rm -rf "$debs"
  [ -x "$SYSROOT/usr/bin/lua5.4" ] || die "no usr/bin/lua5.4 in $SYSROOT"
  echo $PKGS >"$SYSROOT/.complete"
fi
LUA="$QEMU -L $SYSROOT $SYSROOT/usr/bin/lua5.4"

# 3. the cross build, with the Makefile's own rules and flags
say "building $OUT with $TRIPLE-gcc"
# the targets "make test" builds: all and $(FIX), here in $OUT
printf '_aarch64: all $(FIX)\n' |
make --no-print-directory -f Makefile -f - OUT="$OUT" CC="$TRIPLE-gcc" \
  LUA_INC="$SYSROOT/usr/include/lua5.4" \
  EXTRA_CFLAGS="-I$SYSROOT/usr/include/$TRIPLE" \
  LUA_LIB="-L$ARCHLIB -llua5.4 -Wl,-rpath-link,$ARCHLIB" \
  _aarch64

# 4. the suite: busted's Lua files are the host's (pure Lua, any
# architecture), its C modules come from the sysroot
say "running busted with $LUA"
start=$(date +%s)
log=$(mktemp)
rcf=$(mktemp)
trap 'rm -f "$log" "$rcf"' EXIT
{
  rc=0
  COGEN_BUILD="$OUT" COGEN_LUA="$LUA" COGEN_EXEC="$QEMU -L $SYSROOT" \
  LUA_PATH="/usr/share/lua/5.4/?.lua;/usr/share/lua/5.4/?/init.lua;;" \
  LUA_CPATH="$ARCHLIB/lua/5.4/?.so;;" \
    scripts/busted.sh $LUA /usr/bin/busted --cpath="$OUT/?.so" --exclude-tags=host || rc=$?
  echo "$rc" >"$rcf"
} 2>&1 | tee "$log"
say "left out, tagged #host (they test the host, not this build):"
grep -h 'it(".*#host' spec/*_spec.lua | sed 's/^ *it("\([^"]*\)".*/  \1/'
say "the suite took $(($(date +%s) - start)) s"
# busted.sh's counts, again as the last line
tail -n 1 "$log"
exit "$(cat "$rcf")"
