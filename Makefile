# cogen: native stackful generators for Lua 5.4 and 5.5.
# make          build the module in build/
# make demo     install what is missing, build, run the examples
# make test     install what is missing, build, run the busted suite
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

SRC  := src/ctx.c src/stack.c src/gen.c src/exc.c src/lcogen.c
ASM  := src/ctx_x86_64.S src/ctx_aarch64.S
HDR  := src/ctx.h src/stack.h src/gen.h src/cogen.h
OUT  := build
MOD  := $(OUT)/cogen/core.so
FIX  := $(OUT)/cfix.so $(OUT)/capi.so $(OUT)/threads

.PHONY: all deps demo test test-aarch64 clean

all: $(MOD)

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

deps:
	@scripts/deps.sh test

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@LUA_PATH='lua/?.lua;;' LUA_CPATH='$(OUT)/?.so;;' $(LUA) examples/run.lua

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all $(FIX)
	@scripts/busted.sh $(BUSTED) --lua=$(LUA)

# the whole suite on AArch64: cross-built, run by Debian's arm64 lua5.4
# under qemu-user (scripts/aarch64.sh says what it installs)
test-aarch64:
	@scripts/aarch64.sh

clean:
	rm -rf $(OUT) build-*
