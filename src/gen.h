/*
** gen.h: the generator object and the per-state data, shared by the
** engine (gen.c), the exception classes (exc.c) and the Lua binding
** (lcogen.c).
*/
#ifndef COGEN_GEN_H
#define COGEN_GEN_H

#include <stdint.h>

#include "lua.h"

#include "ctx.h"
#include "stack.h"

typedef struct cogen_Gen cogen_Gen;

/*
** Per Lua state; a full userdata kept in the registry. Every C function of
** the binding has it as upvalue 1, so the engine finds it there too.
*/
typedef struct cogen_State {
  cogen_Gen *current;   /* innermost running generator, NULL outside all */
  size_t stacksize;     /* default native stack size of new generators */
  lua_State *guards;    /* the free guards are on this thread's stack */
  int nguardids;        /* indexes given to guards so far: see gen.c */
  unsigned long long chains;  /* changes when any delegation link does: 64 bits never wrap */
  cogen_Pool pool;
} cogen_State;

#define COGEN_STATEIDX  lua_upvalueindex(1)

/* user values of the per-state userdata */
enum {
  UV_GUARDS = 1,   /* the thread S->guards */
  UV_GUARDMT,      /* metatable of the guards: its __gc closes generators */
  UV_COUNT = UV_GUARDMT
};

/* g->status */
enum { GEN_CREATED, GEN_SUSPENDED, GEN_RUNNING, GEN_DEAD };

/* how the body last left its stack: g->exit */
enum { EXIT_YIELD, EXIT_RETURN, EXIT_ERROR, EXIT_DELEGATE };

/* what a resumer asks of a generator */
enum { OP_SEND, OP_THROW, OP_CLOSE };

/* what cogen_resume reports */
enum { RESUME_YIELD, RESUME_RETURN };

/* what g->tag holds: see cogen_gen_init */
#define cogen_gen_tag(g)  ((uintptr_t)(g) ^ (uintptr_t)(g)->S ^ COGEN_TAG)
#define COGEN_TAG  ((uintptr_t)0x636f67656e2e6731u)

struct cogen_Gen {
  uintptr_t tag;       /* cogen_gen_tag(self) */
  lua_State *L;        /* own thread; the userdata's user value anchors it */
  lua_State *yL;       /* thread waiting in a yield: L, or a coroutine that
                          the body resumed */
  lua_State *from;     /* thread waiting in the C function that resumed this
                          generator, which is at index 1 of its frame */
  cogen_State *S;
  cogen_Gen *sub;      /* generator this one delegates to, or NULL */
  cogen_Gen *parent;   /* generator that delegated to this one last */
  cogen_Gen *leaf;     /* innermost of its chain, while S->chains is ... */
  unsigned long long leafchains;  /* ... this: see gen_leaf */
  cogen_Stack *stack;  /* from the first resume until the body ends */
  void *guard;         /* the guard bound at the first resume */
  ctx *back;           /* the resumer's context, while this one runs */
  ctx self;            /* this generator's context, while suspended */
  size_t stacksize;
  int n;               /* how many values cross the switch */
  unsigned char status;
  unsigned char exit;
  unsigned char throwing;    /* resumed to raise the value it was sent */
  unsigned char collecting;  /* closed by the collector: may not yield */
  unsigned char closing;     /* being closed by the resume under way */
};

/* registry names of the exception classes */
#define COGEN_STOPITERATION  "cogen.StopIteration"
#define COGEN_GENERATOREXIT  "cogen.GeneratorExit"
#define COGEN_RUNTIMEERROR   "cogen.RuntimeError"

COGEN_HIDDEN void cogen_gen_init (cogen_Gen *g, cogen_State *S,
                                  lua_State *co, size_t stacksize);
COGEN_HIDDEN void cogen_gen_layout (lua_State *L, cogen_Gen *g, int n);
COGEN_HIDDEN int cogen_resume (lua_State *L, cogen_Gen *g, int op, int n,
                               int *nres);
COGEN_HIDDEN int cogen_resumed (lua_State *L, cogen_Gen *g, int *nres);
COGEN_HIDDEN void cogen_start (lua_State *L, cogen_Gen *g);
COGEN_HIDDEN int cogen_toomany (lua_State *L, cogen_Gen *g);
COGEN_HIDDEN cogen_Gen *cogen_self (lua_State *L, cogen_State *S);
COGEN_HIDDEN int cogen_canyield (cogen_State *S);
COGEN_HIDDEN int cogen_delegate (lua_State *L, cogen_State *S,
                                 cogen_Gen *sub);
COGEN_HIDDEN int cogen_isrunning (cogen_Gen *g);
COGEN_HIDDEN void cogen_pushgen (lua_State *L, cogen_Gen *g);
COGEN_HIDDEN void cogen_release (cogen_Gen *g);
COGEN_HIDDEN void cogen_guard_free (lua_State *L, cogen_State *S, int *p);


/*
** {======================================================
** The switches, inlined into the C functions that Lua calls (gen_call,
** co_yield, ...) so that both sides switch in the frame Lua called: see
** ctx_jump in ctx.h for why the depth of that frame counts. Helpers that
** return before the switch (checks, errors) cost nothing of that.
** =======================================================
*/

#define COGEN_INLINE  static inline __attribute__((always_inline))

/*
** Run g until it switches back; its context is ready to be switched to.
** 'from' runs the C function that resumes g, with g at index 1 of its frame.
*/
COGEN_INLINE void cogen_run (cogen_Gen *g, lua_State *from) {
  cogen_State *S = g->S;
  cogen_Gen *outer = S->current;
  ctx back;
  cogen_ctx_init(&back);
  g->back = &back;
  g->from = from;
  g->status = GEN_RUNNING;
  S->current = g;
  cogen_ctx_switch(&back, &g->self);
  S->current = outer;
}


/* park g, running on L; returns how many values the resumer left on L */
COGEN_INLINE int cogen_park (lua_State *L, cogen_Gen *g, int exit, int n) {
  g->yL = L;
  g->n = n;
  g->exit = (unsigned char)exit;
  g->status = GEN_SUSPENDED;
  cogen_ctx_switch(&g->self, g->back);
  if (g->throwing)
    return lua_error(L);
  return g->n;
}


/* yield the n values on top of L from the generator running */
COGEN_INLINE int cogen_suspend (lua_State *L, cogen_State *S, int n) {
  return cogen_park(L, cogen_self(L, S), EXIT_YIELD, n);
}


/*
** Move the values g yielded to L; returns how many. The resume started in
** a C function of the binding, which Lua called with LUA_MINSTACK free
** slots above its arguments, and L holds no more than those arguments
** now: so a few values need no lua_checkstack.
*/
COGEN_INLINE int cogen_take (lua_State *L, cogen_Gen *g) {
  int n = g->n;
  if (n > 0) {
    if (n > LUA_MINSTACK && !lua_checkstack(L, n))
      return cogen_toomany(L, g);
    lua_xmove(g->yL, L, n);
  }
  return n;
}


/*
** cogen_resume(L, g, OP_SEND, n, nres) for g at index 1 of L, with its
** common cases done inline: g suspended in a yield of its own (it
** delegates to nobody), or started by next(), and yielding.
*/
COGEN_INLINE int cogen_send (lua_State *L, cogen_Gen *g, int n, int *nres) {
  if (g->status == GEN_SUSPENDED && g->sub == NULL && !g->S->pool.closed) {
    if (n > 0) {
      if (!lua_checkstack(g->yL, n))  /* raises, as cogen_resume would */
        return cogen_resume(L, g, OP_SEND, n, nres);
      lua_xmove(L, g->yL, n);
    }
  }
  else if (g->status == GEN_CREATED && n == 0 && !g->S->pool.closed)
    cogen_start(L, g);  /* L holds the arguments of a C function Lua
                           called: LUA_MINSTACK slots are free */
  else
    return cogen_resume(L, g, OP_SEND, n, nres);
  g->n = n;
  g->throwing = 0;
  cogen_run(g, L);
  if (g->exit != EXIT_YIELD)
    return cogen_resumed(L, g, nres);
  *nres = cogen_take(L, g);
  return RESUME_YIELD;
}

/* }====================================================== */


/* exc.c */
COGEN_HIDDEN void cogen_exc_open (lua_State *L);
COGEN_HIDDEN int cogen_exc_is (lua_State *L, int idx, const char *cls);
COGEN_HIDDEN void cogen_exc_stop (lua_State *L, int n);
COGEN_HIDDEN void cogen_exc_exit (lua_State *L);
COGEN_HIDDEN void cogen_exc_runtime (lua_State *L, const char *msg);

#endif
