/*
** stack.c: mapping native stacks.
**
** A stack is one anonymous mapping: a guard page at its low end (stacks grow
** down), the usable part, and a small header at its high end, where the
** first frames go too, so a shallow generator touches one page. Pages are
** committed by the kernel on first touch, so a large size costs only
** address space. Freed stacks of the pool's size wait in a LIFO for reuse:
** mmap and munmap cost microseconds, a reuse costs nothing.
**
** Before Linux 6.13 there is no MADV_GUARD_INSTALL, and a guard page made
** by mprotect splits its mapping in two, while vm.max_map_count (65530 by
** default) caps the mappings of a process: about 32,700 guarded stacks.
** So there, only the first GUARDED_MAX stacks alive get a mapping and a
** guard of their own; the others are carved, without guard pages, from
** regions of up to REGION_SLOTS stacks (REGION_BYTES of address space),
** one mapping each, and a million fit.
** The trade-off: C code that overflows a carved stack writes into the
** stack below it instead of faulting. Lua itself stops C recursion well
** within a stack's size (see lcogen.c), so only C code that recurses on
** its own can get there.
*/
#define _DEFAULT_SOURCE  /* MAP_ANONYMOUS and madvise under -std=c99 */

#include <stdint.h>
#include <stdlib.h>
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

/* stacks with a guard made by mprotect: two mappings each */
#ifndef COGEN_GUARDED_MAX
#define COGEN_GUARDED_MAX  8192
#endif
#define GUARDED_MAX  ((size_t)COGEN_GUARDED_MAX)
/* stacks per region, one bit each in a region's mask, and fewer when
** they are large: a region is one reservation of address space */
#define REGION_SLOTS  64
#define REGION_BYTES  ((size_t)64 * 1024 * 1024)

enum { STACK_GUARD_UNKNOWN, STACK_GUARD_MADVISE, STACK_GUARD_MPROTECT };

struct cogen_Stack {
  cogen_Stack *next;   /* link in the pool's free or used list */
  cogen_Stack *prev;   /* link in the used list */
  cogen_Region *region;  /* the region it was carved from, or NULL */
  size_t size;         /* the whole mapping (or slot), guard page included */
  char *lo;            /* low end of the usable part, above the guard */
  unsigned vgid;       /* Valgrind's id of this stack, in checked builds */
};

/* a mapping cut into stacks of 'slot' bytes */
struct cogen_Region {
  cogen_Region *next, *prev;  /* in the pool's list, while a slot is free */
  char *base;
  size_t slot;
  uint64_t freemask;   /* bit i: slot i is free */
  uint64_t allmask;    /* a bit for each slot */
};

#define HEADER  ((sizeof(cogen_Stack) + 63) & ~(size_t)63)


void cogen_pool_init (cogen_Pool *p) {
  long page = sysconf(_SC_PAGESIZE);
  p->free = NULL;
  p->used = NULL;
  p->regions = NULL;
  p->nfree = 0;
  p->nmapped = 0;
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
  }
#endif
  p->guard = STACK_GUARD_MPROTECT;
  return mprotect(base, p->page, PROT_NONE);
}


/* lay out the stack of 'total' bytes at 'base', its guard page made */
static cogen_Stack *stack_init (cogen_Pool *p, char *base, size_t total,
                                cogen_Region *r) {
  cogen_Stack *s = (cogen_Stack *)(base + total - HEADER);
  s->next = NULL;
  s->region = r;
  s->size = total;
  s->lo = base + p->page;
  /* Valgrind must know each stack, or every switch looks like a huge
  ** stack-pointer jump and its memory as invalid */
  s->vgid = VALGRIND_STACK_REGISTER(s->lo, (char *)s);
  return s;
}


static char *stack_mmap (size_t size) {
  char *base = mmap(NULL, size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                    -1, 0);
  if (base == MAP_FAILED)
    return NULL;
#if defined(MADV_NOHUGEPAGE)
  /* a transparent huge page would commit 2 MiB for a few frames */
  madvise(base, size, MADV_NOHUGEPAGE);
#endif
  return base;
}


/* the pool lists the regions that have a free slot */
static void region_link (cogen_Pool *p, cogen_Region *r) {
  r->prev = NULL;
  r->next = p->regions;
  if (p->regions != NULL)
    p->regions->prev = r;
  p->regions = r;
}


static void region_unlink (cogen_Pool *p, cogen_Region *r) {
  if (r->prev != NULL)
    r->prev->next = r->next;
  else
    p->regions = r->next;
  if (r->next != NULL)
    r->next->prev = r->prev;
}


/* a free slot of 'total' bytes in a region, mapping a region if needed */
static cogen_Stack *stack_carve (cogen_Pool *p, size_t total) {
  cogen_Region *r;
  int i;
  for (r = p->regions; r != NULL && r->slot != total; r = r->next) {}
  if (r == NULL) {
    size_t n = REGION_BYTES / total;
    n = (n < 1) ? 1 : (n > REGION_SLOTS) ? REGION_SLOTS : n;
    if ((r = malloc(sizeof(*r))) == NULL)
      return NULL;
    if ((r->base = stack_mmap(n * total)) == NULL) {
      free(r);
      return NULL;
    }
    r->slot = total;
    r->allmask = (n == REGION_SLOTS) ? ~(uint64_t)0
                                     : ((uint64_t)1 << n) - 1;
    r->freemask = r->allmask;
    region_link(p, r);
  }
  i = __builtin_ctzll(r->freemask);
  r->freemask &= ~((uint64_t)1 << i);
  if (r->freemask == 0)  /* full */
    region_unlink(p, r);
  return stack_init(p, r->base + (size_t)i * total, total, r);
}


static void stack_uncarve (cogen_Pool *p, cogen_Stack *s) {
  cogen_Region *r = s->region;
  char *base = (char *)s + HEADER - s->size;
  int i = (int)((size_t)(base - r->base) / r->slot);
  if (r->freemask == 0)  /* was full */
    region_link(p, r);
  r->freemask |= (uint64_t)1 << i;
  if (r->freemask == r->allmask) {  /* all free: the region goes */
    region_unlink(p, r);
    munmap(r->base, (size_t)__builtin_popcountll(r->allmask) * r->slot);
    free(r);
  }
  else  /* its pages go back to the kernel, as an unmapping would do */
    madvise(base, r->slot, MADV_DONTNEED);
}


static cogen_Stack *stack_map (cogen_Pool *p, size_t total) {
  char *base;
  if (p->guard == STACK_GUARD_MPROTECT && p->nmapped >= GUARDED_MAX)
    return stack_carve(p, total);
  if ((base = stack_mmap(total)) == NULL)
    return NULL;
  if (stack_guard(p, base) != 0) {
    munmap(base, total);
    return NULL;
  }
  p->nmapped++;
  return stack_init(p, base, total, NULL);
}


static void stack_unmap (cogen_Pool *p, cogen_Stack *s) {
  VALGRIND_STACK_DEREGISTER(s->vgid);
  if (s->region != NULL)
    stack_uncarve(p, s);
  else {
    p->nmapped--;
    munmap((char *)s + HEADER - s->size, s->size);
  }
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
    stack_unmap(p, s);
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
    stack_unmap(p, s);
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
    stack_unmap(p, s);
  }
  p->closed = 1;
}


void *cogen_stack_lo (cogen_Stack *s) {
  return s->lo;
}


size_t cogen_stack_size (cogen_Stack *s) {
  return (size_t)((char *)s - s->lo);
}
