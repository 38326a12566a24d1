#!/bin/sh
# Failure injection at every point: BUILD_DIR/oom (spec/fixtures/oom.c)
# runs each scenario of spec/fixtures/oom.lua once per allocation, failing
# that one (then also every later one), and once per native stack system
# call, failing it. Meant for the ASan build (make check-oom); the spec
# suite runs the same with a stride (spec/oom_spec.lua).
# Usage: scripts/check-oom.sh BUILD_DIR [oom options, e.g. -s 3]
# Ends with "N passed, N failed", counting scenarios.
build=$1
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd "$(dirname "$0")/.." || exit 1
start=$(date +%s)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
COGEN_BUILD="$build" "$build/oom" "$@" spec/fixtures/oom.lua >"$log" 2>&1
rc=$?
cat "$log"
passed=$(grep -c '^[a-z_]*: [0-9]* allocations, .*, 0 problems$' "$log")
failed=$(grep -c '^[a-z_]*: [0-9]* allocations, .*, [1-9][0-9]* problems$' "$log")
reports=$(grep -a -c -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log")
echo "check-oom: $(($(date +%s) - start)) s, exit $rc, $reports sanitizer report lines"
if [ "$rc" -ne 0 ] || [ "$reports" -gt 0 ] || [ "$passed" -eq 0 ]; then
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
