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

/*
** Checked builds: -DCOGEN_ASAN tells AddressSanitizer about every switch
** (each stack's bounds, and the fake stack of a context that ends), so it
** neither reports false errors nor loses track of which stack it is on.
** -DCOGEN_TSAN tells ThreadSanitizer: each context is a fiber of its own.
*/
#if defined(COGEN_ASAN) || defined(COGEN_TSAN)
#define CTX_CHECKED 1
#else
#define CTX_CHECKED 0
#endif

typedef void (*ctx_Fn)(void *arg);

typedef struct ctx {
#if CTX_ASM
  void *sp;  /* saved stack pointer: the registers sit on that stack */
#else
  ucontext_t uc;
#endif
#if !CTX_ASM || CTX_CHECKED
  ctx_Fn fn;
  void *arg;
#endif
#if CTX_CHECKED
  const void *lo;       /* this context's stack; NULL for a resumer's */
  size_t size;
  const void *peerlo;   /* the stack of the context that last switched here */
  size_t peersize;
  void *fake;           /* ASan's fake stack of this context, while away */
  void *fiber;          /* TSan's fiber of this context */
  void *dead;           /* TSan's fiber of a context that ended here */
#endif
} ctx;

/* a resumer's context, filled in by the switch away from it */
#if CTX_CHECKED
#define cogen_ctx_init(c)  \
  ((c)->lo = NULL, (c)->fake = NULL, (c)->fiber = NULL, (c)->dead = NULL)
#else
#define cogen_ctx_init(c)  ((void)(c))
#endif

/* make 'c' run fn(arg) on the stack [lo, lo + size) when first switched to;
** fn must never return: it leaves with cogen_ctx_exit */
COGEN_HIDDEN void cogen_ctx_make (ctx *c, void *lo, size_t size,
                                  ctx_Fn fn, void *arg);

/*
** Save the running context in 'from' and resume 'to'. A context without a
** stack of its own ('from' of a resumer) is filled in by the switch.
** cogen_ctx_exit is the last switch of a context that is over.
*/
#if CTX_ASM && !CTX_CHECKED
COGEN_HIDDEN void cogen_ctx_swap (void **save, void *load);
#define cogen_ctx_switch(from, to)  ctx_jump(&(from)->sp, (to)->sp)
#define cogen_ctx_exit(from, to)    ctx_jump(&(from)->sp, (to)->sp)
#else
COGEN_HIDDEN void cogen_ctx_switch (ctx *from, ctx *to);
COGEN_HIDDEN void cogen_ctx_exit (ctx *from, ctx *to);
#endif


#if CTX_ASM && !CTX_CHECKED && defined(__x86_64__)
#if defined(__AVX512F__)
#define CTX_AVX512_CLOBBERS  , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", \
  "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", \
  "xmm29", "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"
#else
#define CTX_AVX512_CLOBBERS
#endif
/*
** Enter cogen_ctx_swap by a jump, with the return address pushed by hand.
** A call would also push it on the CPU's return-address predictor, and
** the swap leaves into the other stack (pop, jmp): that entry would stay,
** and every return after the switch, on either side, would be predicted
** one frame off. Without it, the predictor holds the resumer's callers,
** which match the generator's when both switch in a C function that Lua's
** VM called from the same place (the steady state of a loop over a
** generator). Measured here, a generator's round trip went from 80 ns
** (through helper frames, entered by a call) to 43.
** The statement stands for a call, so it clobbers what a call may. It
** first steps over the red zone, which the compiler may use in this frame.
*/
static inline void ctx_jump (void **save, void *load) {
  __asm__ volatile (
    "leaq -128(%%rsp), %%rsp\n\t"
    "leaq 1f(%%rip), %%rax\n\t"
    "pushq %%rax\n\t"
    "jmp cogen_ctx_swap\n"
    "1:\n\t"
    "leaq 128(%%rsp), %%rsp"
    : "+D" (save), "+S" (load)
    :
    : "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "cc", "memory",
      "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
      "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
      "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"
      CTX_AVX512_CLOBBERS);
}

#elif CTX_ASM && !CTX_CHECKED  /* __aarch64__ */
/*
** The same on AArch64: the link register is set by hand and the swap
** entered by a plain branch, which leaves the return predictor alone (bl
** would push on it). AAPCS64 lets a call clobber x0-x18, x30, and all of
** v0-v31 but the low halves of v8-v15, which the swap keeps: clobbering
** v8-v15 whole makes the compiler keep their low halves itself, which
** costs little and does not depend on that.
*/
static inline void ctx_jump (void **save, void *load) {
  register void **x0 __asm__("x0") = save;
  register void *x1 __asm__("x1") = load;
  __asm__ volatile (
    "adr x30, 1f\n\t"
    "b cogen_ctx_swap\n"
    "1:"
    : "+r" (x0), "+r" (x1)
    :
    : "x2", "x3", "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12",
      "x13", "x14", "x15", "x16", "x17", "x18", "x30", "cc", "memory",
      "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10",
      "v11", "v12", "v13", "v14", "v15", "v16", "v17", "v18", "v19", "v20",
      "v21", "v22", "v23", "v24", "v25", "v26", "v27", "v28", "v29", "v30",
      "v31");
}
#endif

#endif
