/*
** ctx.c: preparing new contexts, the portable ucontext fallback, and the
** sanitizer annotations of checked builds. The assembly files hold the
** switches; this file lays out the first frame that a switch pops on a
** fresh stack.
*/
#include <stdint.h>
#include <string.h>

#include "ctx.h"

#if defined(COGEN_ASAN)
#include <sanitizer/common_interface_defs.h>
#define asan_start(fake, lo, size)  __sanitizer_start_switch_fiber(fake, lo, size)
#define asan_finish(fake, lo, size) __sanitizer_finish_switch_fiber(fake, lo, size)
#else
#define asan_start(fake, lo, size)  ((void)(fake), (void)(lo), (void)(size))
#define asan_finish(fake, lo, size) ((void)(fake), (void)(lo), (void)(size))
#endif
#if defined(COGEN_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

#if CTX_ASM
COGEN_HIDDEN void cogen_ctx_swap (void **save, void *load);
COGEN_HIDDEN void cogen_ctx_boot (void);
#endif


#if CTX_ASM && defined(__x86_64__)

/*
** Seen from cogen_ctx_swap, a fresh stack holds, from low to high:
** MXCSR and x87 CW, r15, r14, r13, r12, rbx, rbp, return address.
** The ABI's initial values for MXCSR (0x1f80) and the x87 CW (0x37f).
** 'top' is 16-aligned, so boot calls fn with a correctly aligned stack.
*/
static void ctx_frame (ctx *c, void *lo, size_t size, ctx_Fn fn, void *arg) {
  uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
  uint64_t *f = (uint64_t *)top - 8;
  memset(f, 0, 8 * sizeof(uint64_t));
  f[0] = 0x1f80 | ((uint64_t)0x37f << 32);
  f[3] = (uint64_t)(uintptr_t)fn;    /* r13 */
  f[4] = (uint64_t)(uintptr_t)arg;   /* r12 */
  f[7] = (uint64_t)(uintptr_t)cogen_ctx_boot;
  c->sp = f;
}

#elif CTX_ASM  /* __aarch64__ */

/*
** 22 slots of 8 bytes as cogen_ctx_swap saves them: x19..x28, x29, x30,
** d8..d15, FPCR, padding. FPCR 0 is the ABI's default (round to nearest).
*/
static void ctx_frame (ctx *c, void *lo, size_t size, ctx_Fn fn, void *arg) {
  uintptr_t top = ((uintptr_t)lo + size) & ~(uintptr_t)15;
  uint64_t *f = (uint64_t *)top - 22;
  memset(f, 0, 22 * sizeof(uint64_t));
  f[0] = (uint64_t)(uintptr_t)arg;   /* x19 */
  f[1] = (uint64_t)(uintptr_t)fn;    /* x20 */
  f[11] = (uint64_t)(uintptr_t)cogen_ctx_boot;  /* x30 */
  c->sp = f;
}

#else  /* portable fallback */

/*
** makecontext passes only int arguments, so the context's address travels
** split in two halves. swapcontext also saves the signal mask, which costs a
** system call per switch: correct everywhere, several times slower.
*/
static void ctx_entry (unsigned int hi, unsigned int lo) {
  ctx *c = (ctx *)(((uintptr_t)hi << 16 << 16) | (uintptr_t)lo);
  c->fn(c->arg);
}

static void ctx_frame (ctx *c, void *lo, size_t size, ctx_Fn fn, void *arg) {
  uintptr_t p = (uintptr_t)c;
  getcontext(&c->uc);
  c->uc.uc_stack.ss_sp = lo;
  c->uc.uc_stack.ss_size = size;
  c->uc.uc_link = NULL;
  c->fn = fn;
  c->arg = arg;
  makecontext(&c->uc, (void (*)(void))ctx_entry, 2,
              (unsigned int)(p >> 16 >> 16), (unsigned int)p);
}

static void cogen_ctx_swap (ctx *from, ctx *to) {
  swapcontext(&from->uc, &to->uc);
}

#endif


#if !CTX_CHECKED

void cogen_ctx_make (ctx *c, void *lo, size_t size, ctx_Fn fn, void *arg) {
  ctx_frame(c, lo, size, fn, arg);
}

#if !CTX_ASM
void cogen_ctx_switch (ctx *from, ctx *to) {
  cogen_ctx_swap(from, to);
}

void cogen_ctx_exit (ctx *from, ctx *to) {
  cogen_ctx_swap(from, to);
}
#endif

#else  /* checked build: tell the sanitizer of every switch */

#if CTX_ASM
#define ctx_swap(from, to)  cogen_ctx_swap(&(from)->sp, (to)->sp)
#else
#define ctx_swap(from, to)  cogen_ctx_swap(from, to)
#endif

/* a switch back to a resumer goes to the stack that switched here last */
static void ctx_target (ctx *from, ctx *to, const void **lo, size_t *size) {
  *lo = to->lo != NULL ? to->lo : from->peerlo;
  *size = to->lo != NULL ? to->size : from->peersize;
}

/* first code on a new stack: learn where the resumer's stack is */
static void ctx_start (void *arg) {
  ctx *c = (ctx *)arg;
  asan_finish(NULL, &c->peerlo, &c->peersize);
  c->fn(c->arg);
}

void cogen_ctx_make (ctx *c, void *lo, size_t size, ctx_Fn fn, void *arg) {
  c->fn = fn;
  c->arg = arg;
  c->lo = lo;
  c->size = size;
  c->peerlo = NULL;
  c->peersize = 0;
  c->fake = NULL;
  c->dead = NULL;
#if defined(COGEN_TSAN)
  c->fiber = __tsan_create_fiber(0);
#endif
  ctx_frame(c, lo, size, ctx_start, c);
}

void cogen_ctx_switch (ctx *from, ctx *to) {
  const void *lo;
  size_t size;
  ctx_target(from, to, &lo, &size);
#if defined(COGEN_TSAN)
  from->fiber = __tsan_get_current_fiber();  /* a resumer's: its thread's */
  __tsan_switch_to_fiber(to->fiber, 0);
#endif
  asan_start(&from->fake, lo, size);
  ctx_swap(from, to);
  asan_finish(from->fake, &from->peerlo, &from->peersize);
#if defined(COGEN_TSAN)
  if (from->dead != NULL) {  /* the context that switched here ended */
    __tsan_destroy_fiber(from->dead);
    from->dead = NULL;
  }
#endif
}

/* NULL: this context's fake stack can go */
void cogen_ctx_exit (ctx *from, ctx *to) {
  const void *lo;
  size_t size;
  ctx_target(from, to, &lo, &size);
#if defined(COGEN_TSAN)
  to->dead = from->fiber;  /* destroyed from 'to', once there */
  __tsan_switch_to_fiber(to->fiber, 0);
#endif
  asan_start(NULL, lo, size);
  ctx_swap(from, to);
}

#endif
