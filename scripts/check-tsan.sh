#!/bin/sh
# ThreadSanitizer on several OS threads, each with its own Lua state,
# running generators at once (spec/fixtures/threads.c with
# spec/fixtures/tsan.lua). The build must use -fsanitize=thread and
# -DCOGEN_TSAN: without the fiber annotations TSan loses track of the
# stack switches (false reports, memory growing with every switch).
# Usage: scripts/check-tsan.sh BUILD_DIR [NTHREADS]
# Ends with "N passed, N failed" (1 check).
build=$1 n=${2:-4}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd "$(dirname "$0")/.." || exit 1
start=$(date +%s)
COGEN_BUILD="$build" TSAN_OPTIONS="halt_on_error=1 exitcode=66 ${TSAN_OPTIONS:-}" \
  "$build/threads" "$n" spec/fixtures/tsan.lua >"$log" 2>&1
rc=$?
cat "$log"
lines=$(grep -c '^thread [0-9]*: [0-9]* [0-9]*$' "$log")
reports=$(grep -c 'WARNING: ThreadSanitizer\|ERROR: ThreadSanitizer' "$log")
echo "tsan: $n threads, $reports reports, exit $rc, $(($(date +%s) - start)) s"
if [ "$rc" -eq 0 ] && [ "$reports" -eq 0 ] && [ "$lines" -eq "$n" ]; then
  echo "1 passed, 0 failed"
else
  echo "0 passed, 1 failed"
  exit 1
fi
