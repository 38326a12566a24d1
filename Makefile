# cogen: native stackful generators for Lua 5.4 and 5.5.
# make          build the module in build/
# make demo     install what is missing, build, run the examples
# make test     install what is missing, build, run the busted suite
# make check-asan      the suite with ASan and UBSan (fiber-aware build)
# make check-valgrind  the suite under Valgrind memcheck
# make test-fallback   the suite with the portable ucontext switch
# make test-carved     the suite with stacks carved from regions (Valgrind)
# make test-aarch64    the suite on AArch64 under qemu-user
# make check-oom       every allocation and stack mapping failing in turn (ASan)
# make check-tsan      generators in several OS threads under ThreadSanitizer
# make bench   benchmarks against coroutine.wrap (also build/bench.txt)
# make stress  1,000,000 live generators, running out of memory, churn
# make clean

LUA       ?= lua5.4
LUA_INC   ?= /usr/include/lua5.4
CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -std=c99 -Wall -Wextra -pedantic
ALLCFLAGS := $(WARN) $(CFLAGS) -fPIC -I$(LUA_INC) $(EXTRA_CFLAGS)
LDFLAGS   ?=
LUA_LIB   ?= -llua5.4
BUSTED    ?= busted
# make test LUA_DIR=DIR: the suite against a Lua built from a source tree
# (DIR/lua and DIR's headers) instead of Debian's; see scripts/test-lua-dir.sh
LUA_DIR   ?=

SRC  := src/ctx.c src/stack.c src/gen.c src/exc.c src/lcogen.c
ASM  := src/ctx_x86_64.S src/ctx_aarch64.S
HDR  := src/ctx.h src/stack.h src/gen.h src/cogen.h
OUT  := build
MOD  := $(OUT)/cogen/core.so
FIX  := $(OUT)/cfix.so $(OUT)/capi.so $(OUT)/threads $(OUT)/oom

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
TSAN_FLAGS := -fsanitize=thread

.PHONY: all fixtures deps demo test check-asan check-valgrind \
        test-fallback test-carved test-aarch64 test-lua-releases check-oom \
        check-tsan \
        fuzz fuzz-asan bench stress clean

all: $(MOD)

fixtures: $(FIX)

$(MOD): $(SRC) $(ASM) $(HDR)
	@mkdir -p $(OUT)/cogen
	$(CC) $(ALLCFLAGS) -shared -o $@ $(SRC) $(ASM) $(LDFLAGS)

# a C module built on its own, as any third-party library would be
$(OUT)/cfix.so: spec/fixtures/cfix.c
	@mkdir -p $(OUT)
	$(CC) $(ALLCFLAGS) -shared -o $@ $< $(LDFLAGS)

# a C module that yields through cogen.h alone, linking nothing of cogen
$(OUT)/capi.so: spec/fixtures/capi.c src/cogen.h
	@mkdir -p $(OUT)
	$(CC) $(ALLCFLAGS) -Isrc -shared -o $@ $< $(LDFLAGS)

# several OS threads, each with its own Lua state
$(OUT)/threads: spec/fixtures/threads.c
	@mkdir -p $(OUT)
	$(CC) $(WARN) $(CFLAGS) -I$(LUA_INC) $(EXTRA_CFLAGS) -o $@ $< $(LUA_LIB) -lpthread $(LDFLAGS)

# failure injection: a Lua state whose allocator fails at the k-th
# allocation; -rdynamic lets its mmap/munmap/mprotect/madvise stand in for
# libc's, so native stack mappings fail on demand too
$(OUT)/oom: spec/fixtures/oom.c
	@mkdir -p $(OUT)
	$(CC) $(WARN) $(CFLAGS) -I$(LUA_INC) $(EXTRA_CFLAGS) -rdynamic -o $@ $< $(LUA_LIB) -ldl $(LDFLAGS)

deps:
	@scripts/deps.sh test

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@LUA_PATH='lua/?.lua;;' LUA_CPATH='$(OUT)/?.so;;' $(LUA) examples/run.lua

test:
	@scripts/deps.sh test
ifeq ($(LUA_DIR),)
	@$(MAKE) --no-print-directory all fixtures
	@scripts/busted.sh $(BUSTED) --lua=$(LUA)
else
	@scripts/test-lua-dir.sh $(LUA_DIR)
endif

# the suite on each release tagged in a git clone of Lua (lua/lua):
# make test-lua-releases LUA_GIT=DIR [LUA_TAGS="v5.4.0 v5.5.0"]
test-lua-releases:
	@scripts/test-lua-releases.sh $(LUA_GIT) $(LUA_TAGS)

# checked builds go to their own directories; scripts/check.sh fails on
# any sanitizer or Valgrind report
check-asan:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all fixtures OUT=build-asan \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer $(SAN_FLAGS)" \
	  LDFLAGS="$(SAN_FLAGS)" EXTRA_CFLAGS=-DCOGEN_ASAN
	@scripts/check.sh asan build-asan $(BUSTED) $(LUA)

check-valgrind:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all fixtures OUT=build-valgrind \
	  EXTRA_CFLAGS=-DCOGEN_VALGRIND
	@scripts/check.sh valgrind build-valgrind $(BUSTED) $(LUA)

check-oom:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all fixtures OUT=build-asan \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer $(SAN_FLAGS)" \
	  LDFLAGS="$(SAN_FLAGS)" EXTRA_CFLAGS=-DCOGEN_ASAN
	@scripts/check-oom.sh build-asan

check-tsan:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all fixtures OUT=build-tsan \
	  CFLAGS="-O1 -g $(TSAN_FLAGS)" LDFLAGS="$(TSAN_FLAGS)" \
	  EXTRA_CFLAGS=-DCOGEN_TSAN
	@scripts/check-tsan.sh build-tsan

test-fallback:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all fixtures OUT=build-fallback \
	  EXTRA_CFLAGS=-DCOGEN_FALLBACK
	@scripts/check.sh fallback build-fallback $(BUSTED) $(LUA)

# the suite with guard pages made by mprotect (as before Linux 6.13) and
# all stacks but the first 4 carved from regions, under Valgrind
test-carved:
	@scripts/deps.sh check
	@$(MAKE) --no-print-directory all fixtures OUT=build-carved \
	  EXTRA_CFLAGS="-DCOGEN_VALGRIND -DCOGEN_GUARD_MPROTECT -DCOGEN_GUARDED_MAX=4"
	@scripts/check.sh valgrind build-carved $(BUSTED) $(LUA)

# the whole suite on AArch64: cross-built, run by Debian's arm64 lua5.4
# under qemu-user (scripts/aarch64.sh says what it installs)
test-aarch64:
	@scripts/aarch64.sh

# model-based fuzzing (spec/fuzzer.lua against spec/model.lua), seeds
# FIRST..FIRST+N-1; each failing seed is printed with the command that
# shows it (scripts/fuzz.lua --seed S, or --shrink S); ends "N passed, N
# failed" (seeds). The spec suite runs seeds 1..500 (COGEN_FUZZ_SEEDS).
N     ?= 10000
FIRST ?= 1

fuzz:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all $(OUT)/cfix.so
	@LUA_PATH='lua/?.lua;spec/?.lua;;' LUA_CPATH='$(OUT)/?.so;;' \
	  $(LUA) scripts/fuzz.lua $(N) $(FIRST)

# the same under AddressSanitizer and UBSan (the check-asan build)
fuzz-asan:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all build-asan/cfix.so OUT=build-asan \
	  CFLAGS="-O1 -g -fno-omit-frame-pointer $(SAN_FLAGS)" \
	  LDFLAGS="$(SAN_FLAGS)" EXTRA_CFLAGS=-DCOGEN_ASAN
	@LD_PRELOAD=$$($(CC) -print-file-name=libasan.so) \
	  ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  LUA_PATH='lua/?.lua;spec/?.lua;;' LUA_CPATH='build-asan/?.so;;' \
	  $(LUA) scripts/fuzz.lua $(N) $(FIRST)

# benchmarks, not tests: one table of cogen against its baselines, also
# written to build/bench.txt (the previous run moves to bench.prev.txt and
# the two are compared). BENCH_ROUNDS, BENCH_CASES, BENCH_LIVE: bench/run.lua
bench:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all
	@LUA_PATH='lua/?.lua;;' LUA_CPATH='$(OUT)/?.so;;' \
	  $(LUA) bench/run.lua $(OUT)/bench.txt

# scale checks, with a second build whose guard pages are made by mprotect
# (as before Linux 6.13); ends with "N passed, N failed"
stress:
	@scripts/deps.sh build
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory all OUT=build-mprotect \
	  EXTRA_CFLAGS=-DCOGEN_GUARD_MPROTECT
	@$(MAKE) --no-print-directory fixtures
	@LUA_PATH='lua/?.lua;;' LUA_CPATH='$(OUT)/?.so;;' \
	  STRESS_MPROTECT_OUT=build-mprotect STRESS_FIXTURES=$(OUT) \
	  $(LUA) bench/stress.lua

clean:
	rm -rf $(OUT) build-*
