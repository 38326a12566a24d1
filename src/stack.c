/*
** stack.c: mapping native stacks.
**
** A stack is one anonymous mapping: a guard page at its low end (stacks grow
** down), the usable part, and a small header at its high end, where the
** first frames go too, so a shallow generator touches one page. Pages are
** committed by the kernel on first touch, so a large size costs only
** address space. Freed stacks of the pool's size wait in a LIFO for reuse:
** mmap and munmap cost microseconds, a reuse costs nothing.
*/
#define _DEFAULT_SOURCE  /* MAP_ANONYMOUS and madvise under -std=c99 */

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stack.h"

#if defined(COGEN_VALGRIND)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi)  0
#define VALGRIND_STACK_DEREGISTER(id)    ((void)(id))
#endif

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif
#ifndef MAP_STACK
#define MAP_STACK 0
#endif
#if defined(__linux__) && !defined(MADV_GUARD_INSTALL)
#define MADV_GUARD_INSTALL 102   /* Linux 6.13: a guard that costs no mapping */
#endif

/* the most free stacks kept for reuse; more are unmapped */
#define POOL_MAX 32

enum { STACK_GUARD_UNKNOWN, STACK_GUARD_MADVISE, STACK_GUARD_MPROTECT };

struct cogen_Stack {
  cogen_Stack *next;   /* link in the pool's free or used list */
  cogen_Stack *prev;   /* link in the used list */
  size_t size;         /* the whole mapping, guard page included */
  char *lo;            /* low end of the usable part, above the guard */
  unsigned vgid;       /* Valgrind's id of this stack, in checked builds */
};

#define HEADER  ((sizeof(cogen_Stack) + 63) & ~(size_t)63)


void cogen_pool_init (cogen_Pool *p) {
  long page = sysconf(_SC_PAGESIZE);
  p->free = NULL;
  p->used = NULL;
  p->nfree = 0;
  p->size = 0;
  p->page = page > 0 ? (size_t)page : 4096;
  p->guard = STACK_GUARD_UNKNOWN;
  p->closed = 0;
}


/* usable 'size' rounded up to whole pages, plus guard and header */
size_t cogen_stack_round (const cogen_Pool *p, size_t size) {
  size_t total = size + HEADER + p->page;
  return (total + p->page - 1) & ~(p->page - 1);
}


/*
** MADV_GUARD_INSTALL keeps the mapping whole; mprotect splits it in two,
** which counts against vm.max_map_count. The first that works is kept.
** -DCOGEN_GUARD_MPROTECT forces mprotect, as on kernels before 6.13.
*/
static int stack_guard (cogen_Pool *p, void *base) {
#if defined(__linux__) && !defined(COGEN_GUARD_MPROTECT)
  if (p->guard != STACK_GUARD_MPROTECT) {
    if (madvise(base, p->page, MADV_GUARD_INSTALL) == 0) {
      p->guard = STACK_GUARD_MADVISE;
      return 0;
    }
    if (p->guard == STACK_GUARD_MADVISE)
      return -1;
    p->guard = STACK_GUARD_MPROTECT;
  }
#endif
  return mprotect(base, p->page, PROT_NONE);
}


static cogen_Stack *stack_map (cogen_Pool *p, size_t total) {
  cogen_Stack *s;
  char *base = mmap(NULL, total, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                    -1, 0);
  if (base == MAP_FAILED)
    return NULL;
  if (stack_guard(p, base) != 0) {
    munmap(base, total);
    return NULL;
  }
#if defined(MADV_NOHUGEPAGE)
  /* a transparent huge page would commit 2 MiB for a few frames */
  madvise(base, total, MADV_NOHUGEPAGE);
#endif
  s = (cogen_Stack *)(base + total - HEADER);
  s->next = NULL;
  s->size = total;
  s->lo = base + p->page;
  /* Valgrind must know each stack, or every switch looks like a huge
  ** stack-pointer jump and its memory as invalid */
  s->vgid = VALGRIND_STACK_REGISTER(s->lo, (char *)s);
  return s;
}


static void stack_unmap (cogen_Stack *s) {
  VALGRIND_STACK_DEREGISTER(s->vgid);
  munmap((char *)s + HEADER - s->size, s->size);
}


cogen_Stack *cogen_stack_get (cogen_Pool *p, size_t size) {
  size_t total = cogen_stack_round(p, size);
  cogen_Stack *s;
  if (p->free != NULL && total == p->size) {
    s = p->free;
    p->free = s->next;
    p->nfree--;
  }
  else if ((s = stack_map(p, total)) == NULL)
    return NULL;
  s->prev = NULL;  /* in use: first in the used list */
  s->next = p->used;
  if (p->used != NULL)
    p->used->prev = s;
  p->used = s;
  return s;
}


void cogen_stack_put (cogen_Pool *p, cogen_Stack *s) {
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    p->used = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  if (p->closed || p->nfree >= POOL_MAX ||
      (p->nfree > 0 && s->size != p->size)) {
    stack_unmap(s);
    return;
  }
  p->size = s->size;
  s->next = p->free;
  p->free = s;
  p->nfree++;
}


static void stack_drain (cogen_Pool *p) {
  while (p->free != NULL) {
    cogen_Stack *s = p->free;
    p->free = s->next;
    stack_unmap(s);
  }
  p->nfree = 0;
}


/*
** The Lua state closes: no generator runs again. The stacks still in use
** belong to generators that could not be closed (a memory error in their
** finalizer, or a body that ignored GeneratorExit): unmap them too.
*/
void cogen_pool_close (cogen_Pool *p) {
  stack_drain(p);
  while (p->used != NULL) {
    cogen_Stack *s = p->used;
    p->used = s->next;
    stack_unmap(s);
  }
  p->closed = 1;
}


void *cogen_stack_lo (cogen_Stack *s) {
  return s->lo;
}


size_t cogen_stack_size (cogen_Stack *s) {
  return (size_t)((char *)s - s->lo);
}
