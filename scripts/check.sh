#!/bin/sh
# Runs the busted suite against a checked or alternative build, and fails on
# any sanitizer or Valgrind report even when every spec passed.
# Usage: scripts/check.sh asan|valgrind|fallback BUILD_DIR BUSTED LUA
# Ends with the line "N passed, N failed".
kind=$1 build=$2 busted=$3 lua=$4
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export COGEN_BUILD="$build"
# specs tagged vmlimit cap the address space (ulimit -v), which ASan's
# shadow memory cannot live with; host ones test the host toolchain
exclude=host
case $kind in
  asan)
    LD_PRELOAD=$(${CC:-cc} -print-file-name=libasan.so)
    export LD_PRELOAD
    export ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    exclude=host,vmlimit
    set -- "$busted" --lua="$lua" ;;
  valgrind)
    # busted's runner started by lua itself, so Valgrind watches the suite
    set -- valgrind -q --error-exitcode=99 --leak-check=full \
      --errors-for-leak-kinds=definite --show-leak-kinds=definite \
      "$lua" "$(command -v "$busted")" ;;
  *)
    set -- "$busted" --lua="$lua" ;;
esac
"$(dirname "$0")/busted.sh" "$@" --cpath="$build/?.so" \
  --exclude-tags="$exclude" >"$log" 2>&1
rc=$?
cat "$log"
reports=$(grep -a -c -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|__asan_handle_no_return|^==[0-9]+== [A-Z]' "$log")
summary=$(tail -n 1 "$log")
if [ "$reports" -gt 0 ]; then
  echo "$kind: $reports report lines above"
  rc=1
fi
echo "$summary"
exit $rc
