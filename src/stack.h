/*
** stack.h: native stacks for generators, and a pool of free ones.
** Knows nothing of Lua or generators: it hands out page-aligned memory with
** a guard page below it (but see stack.c for kernels before 6.13), and
** takes it back.
*/
#ifndef COGEN_STACK_H
#define COGEN_STACK_H

#include <stddef.h>

#include "ctx.h"

typedef struct cogen_Stack cogen_Stack;
typedef struct cogen_Region cogen_Region;

typedef struct cogen_Pool {
  cogen_Stack *free;   /* stacks ready for reuse, all of size 'size' */
  cogen_Stack *used;   /* stacks that generators hold */
  cogen_Region *regions;  /* regions with a free slot: see stack.c */
  size_t nfree;
  size_t nmapped;      /* stacks with a mapping of their own */
  size_t size;         /* mapping size of the pooled stacks */
  size_t page;
  int guard;           /* how guard pages are made: STACK_GUARD_* */
  int closed;          /* no more pooling: the Lua state is going away */
} cogen_Pool;

COGEN_HIDDEN void cogen_pool_init (cogen_Pool *p);
COGEN_HIDDEN void cogen_pool_close (cogen_Pool *p);
COGEN_HIDDEN size_t cogen_stack_round (const cogen_Pool *p, size_t size);

/* a stack whose usable part is at least 'size' bytes, or NULL */
COGEN_HIDDEN cogen_Stack *cogen_stack_get (cogen_Pool *p, size_t size);
COGEN_HIDDEN void cogen_stack_put (cogen_Pool *p, cogen_Stack *s);

/* the usable region: [lo, lo + size) */
COGEN_HIDDEN void *cogen_stack_lo (cogen_Stack *s);
COGEN_HIDDEN size_t cogen_stack_size (cogen_Stack *s);

#endif
