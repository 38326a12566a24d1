/*
** ctx.h: switching between native stacks.
** Knows nothing of Lua. Two operations: prepare a context that will run
** fn(arg) on a given stack, and switch from the running context to another.
** Hand-written switches exist for x86-64 (System V) and AArch64; every other
** target, or a build with -DCOGEN_FALLBACK, uses POSIX ucontext.
*/
#ifndef COGEN_CTX_H
#define COGEN_CTX_H

#include <stddef.h>

#define COGEN_HIDDEN __attribute__((visibility("hidden")))

#if !defined(COGEN_FALLBACK) && (defined(__x86_64__) || defined(__aarch64__))
#define CTX_ASM 1
#else
#define CTX_ASM 0
#include <ucontext.h>
#endif

typedef void (*ctx_Fn)(void *arg);

typedef struct ctx {
#if CTX_ASM
  void *sp;  /* saved stack pointer: the registers sit on that stack */
#else
  ucontext_t uc;
  ctx_Fn fn;
  void *arg;
#endif
} ctx;

/* make 'c' run fn(arg) on the stack [lo, lo + size) when first switched to;
** fn must never return: it leaves by switching away for good */
COGEN_HIDDEN void cogen_ctx_make (ctx *c, void *lo, size_t size,
                                  ctx_Fn fn, void *arg);

#if CTX_ASM
COGEN_HIDDEN void cogen_ctx_swap (void **save, void *load);
#define cogen_ctx_switch(from, to)  cogen_ctx_swap(&(from)->sp, (to)->sp)
#else
COGEN_HIDDEN void cogen_ctx_switch (ctx *from, ctx *to);
#endif

#endif
