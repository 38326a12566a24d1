/*
** gen.c: running generators on their own native stacks.
**
** A generator's body runs under lua_pcall on the generator's own Lua thread
** and its own C stack. Resuming switches to that stack; cogen.yield switches
** back. Values cross by lua_xmove between the resumer's thread and the
** thread that waits in the yield. Errors never cross stacks by longjmp: the
** body's lua_pcall catches them on its own stack, and the resumer raises
** them again on its own.
**
** Delegation (yield_from) keeps each delegating generator parked in its
** yield_from call; a resume goes straight to the innermost generator of the
** chain, whose yields return straight to the resumer. When it finishes,
** the resume loop hands its outcome to the generator one level up.
*/
#include <limits.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#include "gen.h"


void cogen_gen_init (cogen_Gen *g, cogen_State *S, lua_State *co,
                     size_t stacksize) {
  memset(g, 0, sizeof(*g));
  g->L = co;
  g->yL = co;
  g->S = S;
  g->stacksize = stacksize;
  g->status = GEN_CREATED;
  /* no other block holds its own address mixed with this constant: the
  ** binding recognises generators by it (co_testgen) */
  g->tag = cogen_gen_tag(g);
}


/* give back the native stack and the thread's values: the body is over */
void cogen_release (cogen_Gen *g) {
  if (g->stack != NULL) {
    cogen_stack_put(&g->S->pool, g->stack);
    g->stack = NULL;
  }
  g->status = GEN_DEAD;
  if (g->sub != NULL) {
    g->sub = NULL;
    g->S->chains++;
  }
  lua_settop(g->L, 0);
}


/*
** {======================================================
** The generator's side of the switch
** =======================================================
*/

/*
** First and last frame on a generator's stack. The thread holds the
** generator and its guard, below the body and its arguments (see
** cogen_gen_layout): there they stay anchored while the body runs, out of
** reach of the debug library, whose getlocal sees no lower than the body's
** own frame.
*/
static void gen_main (void *ud) {
  cogen_Gen *g = (cogen_Gen *)ud;
  lua_State *co = g->L;
  int status = lua_pcall(co, lua_gettop(co) - 3, LUA_MULTRET, 0);
  g->exit = (status == LUA_OK) ? EXIT_RETURN : EXIT_ERROR;
  g->status = GEN_DEAD;
  cogen_ctx_exit(&g->self, g->back);  /* for good: nobody switches back */
}


/*
** Whether L runs inside a __gc finalizer. Lua marks finalizer calls
** (CIST_FIN) and names them "__gc" in debug information; it also stops
** the collector while they run, which is cheap to test first, so the walk
** happens only when the collector is stopped.
*/
static int gen_infinalizer (lua_State *L) {
  lua_Debug ar;
  int level;
  if (lua_gc(L, LUA_GCISRUNNING) == 1)
    return 0;
  for (level = 0; lua_getstack(L, level, &ar); level++) {
    if (lua_getinfo(L, "n", &ar) && ar.name != NULL &&
        strcmp(ar.name, "__gc") == 0 && ar.namewhat != NULL &&
        strcmp(ar.namewhat, "metamethod") == 0)
      return 1;
  }
  return 0;
}


#define COLLECT_REFUSALS  100  /* g->collecting is an unsigned char */

/* the generator that a yield from L would suspend */
cogen_Gen *cogen_self (lua_State *L, cogen_State *S) {
  cogen_Gen *g = S->current;
  if (g == NULL)
    luaL_error(L, "attempt to yield outside a generator");
  /* a body that catches the refusal and yields again forever would hang
  ** the collector (and lua_close): after that many refusals it is parked,
  ** and the closer reports that it ignored GeneratorExit */
  if (g->collecting > 0 && g->collecting <= COLLECT_REFUSALS) {
    g->collecting++;
    luaL_error(L, "attempt to yield from a generator being collected");
  }
  if (gen_infinalizer(L))
    luaL_error(L, "attempt to yield from inside a __gc finalizer");
  return g;
}


int cogen_canyield (cogen_State *S) {
  return S->current != NULL && !S->current->collecting;
}


int cogen_delegate (lua_State *L, cogen_State *S, cogen_Gen *sub) {
  cogen_Gen *g = cogen_self(L, S);
  if (cogen_isrunning(sub))  /* g itself, or a cycle through g */
    luaL_error(L, "generator already executing");
  g->sub = sub;
  S->chains++;
  return cogen_park(L, g, EXIT_DELEGATE, 0);
}

/* }====================================================== */


/*
** {======================================================
** The resumer's side
** =======================================================
*/

/* running means: its own code, or that of a generator it delegates to */
int cogen_isrunning (cogen_Gen *g) {
  while (g->sub != NULL)
    g = g->sub;
  return g->status == GEN_RUNNING;
}


/*
** {------------------------------------------------------
** Guards. Only a started generator holds resources (its native stack and
** C frames), so only it needs closing when it becomes garbage. Instead of
** a __gc on every generator (it made creation three times slower), each
** started generator gets a guard: a small userdata with a __gc, whose user
** value is the generator, kept on the generator's thread below the body.
** When both become garbage, the guard's finalizer closes the generator.
** When the body ends the guard is unbound and kept for the next generator,
** so short-lived generators cost the collector nothing.
** -------------------------------------------------------
*/

#define GUARDS_MAX  256  /* free guards kept per state */

/*
** The pool's thread, S->guards, holds at index 1 a table whose weak values
** are the guards alive, each at its own index (the guard's payload), at
** index 2 the indexes that finalized guards left free, then the free
** guards. The collector empties a weak value when it schedules the
** value's finalizer, before running it: a guard missing from the table
** was (or is about to be) finalized for its generator, and must not serve
** another. Neither the collector's state nor a flag set by the finalizer
** can tell that: a weak-keyed table can hand the generator of a scheduled
** guard to Lua code, which may run it to its end before the finalizer
** runs. Integer indexes keep the check a read of an array.
**
** The debug library reaches the pool's thread: coroutine.resume of it
** fails (a guard cannot be called), leaving it dead with the arguments on
** it, and coroutine.close of it empties it. Either way no guard is pooled
** again.
*/
#define POOL_ALIVE  1
#define POOL_FREEIDS  2
#define gen_guard_pooling(pool)  \
  (lua_status(pool) == LUA_OK && lua_gettop(pool) >= POOL_FREEIDS)


/* whether the guard p is in the table of guards alive */
static int gen_guard_alive (lua_State *pool, int *p) {
  int alive;
  lua_rawgeti(pool, POOL_ALIVE, *p);
  alive = (lua_touserdata(pool, -1) == (void *)p);
  lua_pop(pool, 1);
  return alive;
}


/* give the new guard on top of L an index in the table of guards alive */
static void gen_guard_register (lua_State *L, cogen_State *S) {
  lua_State *pool = S->guards;  /* holds no free guard: room for 2 more */
  int *p = (int *)lua_touserdata(L, -1);
  lua_Integer n;
  lua_pushvalue(pool, POOL_ALIVE);
  lua_pushvalue(pool, POOL_FREEIDS);
  lua_xmove(pool, L, 2);
  n = (lua_Integer)lua_rawlen(L, -1);
  if (n > 0) {  /* a free index */
    lua_rawgeti(L, -1, n);
    *p = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    lua_pushnil(L);
    lua_rawseti(L, -2, n);
  }
  else if (S->nguardids < INT_MAX)
    *p = ++S->nguardids;
  if (*p > 0) {
    lua_pushvalue(L, -3);
    lua_rawseti(L, -3, *p);  /* may raise: the guard stays unregistered */
  }
  lua_pop(L, 2);
}


/* A guard's finalizer ran: its index may serve a new guard. */
void cogen_guard_free (lua_State *L, cogen_State *S, int *p) {
  lua_State *pool = S->guards;
  if (*p <= 0 || S->pool.closed || !gen_guard_pooling(pool) ||
      !lua_checkstack(pool, 1))
    return;
  lua_pushvalue(pool, POOL_FREEIDS);
  lua_xmove(pool, L, 1);
  lua_pushinteger(L, *p);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pop(L, 1);
  *p = 0;
}


/* whether a free guard waits in the pool */
#define gen_guard_waiting(pool)  \
  (gen_guard_pooling(pool) && lua_gettop(pool) > POOL_FREEIDS)


/* Push a new guard on L (a memory error, or a finalizer, may happen). */
static void gen_guard_new (lua_State *L, cogen_State *S) {
  lua_State *pool = S->guards;
  *(int *)lua_newuserdatauv(L, sizeof(int), 1) = 0;  /* no index yet */
  lua_getiuservalue(L, COGEN_STATEIDX, UV_GUARDMT);
  lua_setmetatable(L, -2);
  if (gen_guard_pooling(pool))
    gen_guard_register(L, S);
}


/* Unbind the guard of g, at index 2 of g's thread, and keep it for later. */
static void gen_guard_put (cogen_Gen *g) {
  lua_State *co = g->L, *pool = g->S->guards;
  int top;
  /* no Lua code reaches the slot, not even through the debug library;
  ** C code given the thread could have changed it */
  if (lua_touserdata(co, 2) != g->guard)
    return;
  lua_pushnil(co);
  lua_setiuservalue(co, 2, 1);
  top = lua_gettop(pool);
  if (gen_guard_pooling(pool) && top < GUARDS_MAX + POOL_FREEIDS &&
      (top < LUA_MINSTACK - 2 || lua_checkstack(pool, 2)) &&
      gen_guard_alive(pool, (int *)g->guard)) {
    lua_pushvalue(co, 2);
    lua_xmove(co, pool, 1);
  }
}

/* }------------------------------------------------------ */


/*
** Push the userdata of g, which runs: it is at index 1 of the frame that
** resumed it (see cogen_run), a C function of the binding waiting on
** another thread. Only running() needs this, and this costs the resumes
** nothing. The debug library can put something else there: then g is not
** found.
*/
void cogen_pushgen (lua_State *L, cogen_Gen *g) {
  if (!lua_checkstack(g->from, 1))
    luaL_error(L, "stack overflow");
  lua_pushvalue(g->from, 1);
  lua_xmove(g->from, L, 1);
  if (lua_touserdata(L, -1) != (void *)g)
    luaL_error(L, "the running generator's resumer was changed from outside");
}


/*
** The generator that runs when g is resumed: the innermost one of its
** delegation chain. Parent links follow this walk, since generators may
** delegate to one sub in turn. The walk is remembered until a link changes
** anywhere (a walk from another generator may change parent links too),
** so resuming a deep chain costs no more than a shallow one.
*/
static cogen_Gen *gen_leaf (cogen_Gen *g) {
  cogen_Gen *root = g, *leaf;
  cogen_State *S = g->S;
  if (g->sub == NULL)
    return g;
  if (g->leafchains == S->chains && g->leaf != NULL)
    return g->leaf;
  for (leaf = g; leaf->sub != NULL; leaf = leaf->sub) {}
  /* a running leaf is refused: its chain, resumed from another generator
  ** that shares the sub, keeps its parent links */
  if (leaf->status == GEN_RUNNING)
    return leaf;
  while (g->sub != NULL) {
    g->sub->parent = g;
    g = g->sub;
  }
  root->leaf = g;
  root->leafchains = ++S->chains;
  return g;
}


/* mark (or unmark) g and the generators it delegates to as being closed */
static void gen_setclosing (cogen_Gen *g, int on) {
  for (; g != NULL; g = g->sub)
    g->closing = (unsigned char)on;
}


/* the innermost generator of root's chain being closed, or NULL */
static cogen_Gen *gen_closinglevel (cogen_Gen *root) {
  cogen_Gen *c = NULL;
  for (; root != NULL; root = root->sub)
    if (root->closing)
      c = root;
  return c;
}


/*
** Lay out a new generator's thread as gen_main will use it: the generator,
** a slot for its guard, then the body and its arguments: the n values on
** top of L, with the generator below them. Pops them all but the generator.
** Two slots more stay free for cogen_start: the collector keeps a thread's
** room up to the top its frame was given.
*/
void cogen_gen_layout (lua_State *L, cogen_Gen *g, int n) {
  lua_State *co = g->L;
  if (!lua_checkstack(co, n + 4))
    luaL_error(L, "too many arguments");
  lua_pushvalue(L, -(n + 1));
  lua_xmove(L, co, 1);
  lua_pushnil(co);
  lua_xmove(L, co, n);
}


/*
** Before the first switch of g, which is new: a guard and a native stack.
** L has room for 3 more values.
*/
void cogen_start (lua_State *L, cogen_Gen *g) {
  lua_State *co = g->L, *pool = g->S->guards;
  cogen_Stack *s;
  int fresh = !gen_guard_waiting(pool);
  if (fresh)  /* a new guard waits on L */
    gen_guard_new(L, g->S);
  /* a finalizer run by the allocation of a guard could have started g;
  ** and the debug library can hand g's thread to coroutine.resume or
  ** coroutine.close. Those leave it dead, suspended, or with no more
  ** values than the layout (so the room it left is there): slots 1 and 2
  ** are below any function they call */
  if (g->status != GEN_CREATED || lua_status(co) != LUA_OK ||
      lua_gettop(co) < 3) {
    lua_pop(L, fresh);  /* a new guard, never bound, goes to the collector */
    luaL_error(L, "generator's thread was changed from outside");
  }
  s = cogen_stack_get(&g->S->pool, g->stacksize);
  if (s == NULL) {
    lua_pop(L, fresh);
    lua_pushliteral(L, "not enough memory");
    lua_error(L);
  }
  lua_xmove(fresh ? L : pool, co, 1);
  g->guard = lua_touserdata(co, -1);
  lua_pushvalue(co, 1);  /* bind the guard to the generator */
  lua_setiuservalue(co, -2, 1);
  lua_replace(co, 2);
  g->stack = s;
  cogen_ctx_make(&g->self, cogen_stack_lo(s), cogen_stack_size(s),
                 gen_main, g);
}


/*
** Give g, of the chain of root, the n values on top of L under 'op'.
** Returns whether its body ran; g->exit then tells how it left, its values
** still on its threads. A created or closed generator asked to throw or
** close is settled without running, and the values (the error to throw)
** stay on L.
*/
static int gen_step (lua_State *L, cogen_Gen *root, cogen_Gen *g, int op,
                     int n) {
  /* the C function whose frame holds g at index 1: the binding's resume
  ** for the root, else the yield_from of the generator delegating to g */
  lua_State *from = (g == root) ? L : g->parent->yL;
  /* after state_gc (lua_close), stacks are gone: a later finalizer may
  ** still try to run a generator */
  if (g->S->pool.closed &&
      (g->status == GEN_SUSPENDED || (g->status == GEN_CREATED && op == OP_SEND)))
    luaL_error(L, "cannot resume a generator: the Lua state is closing");
  switch (g->status) {
    case GEN_SUSPENDED:
      if (n > 0) {  /* next() moves nothing: the hot path makes no call */
        if (!lua_checkstack(g->yL, n))
          luaL_error(L, "too many arguments to resume");
        lua_xmove(L, g->yL, n);
      }
      g->n = n;
      g->throwing = (op != OP_SEND);
      cogen_run(g, from);
      return 1;
    case GEN_CREATED:
      if (op == OP_SEND) {
        if (n > 0 && !lua_isnil(L, -n))
          luaL_error(L, "can't send non-nil value to a just-started generator");
        if (!lua_checkstack(L, 3))
          luaL_error(L, "stack overflow");
        cogen_start(L, g);
        lua_pop(L, n);
        g->throwing = 0;
        cogen_run(g, from);
        return 1;
      }
      cogen_release(g);  /* the body never runs */
      /* FALLTHROUGH */
    default:
      if (op != OP_THROW)
        lua_pop(L, n);
      g->exit = (op == OP_THROW) ? EXIT_ERROR : EXIT_RETURN;
      return 0;
  }
}


int cogen_toomany (lua_State *L, cogen_Gen *g) {
  lua_pop(g->yL, g->n);
  return luaL_error(L, "too many results to resume");
}


/* Move the values g left on its threads to L; returns how many. */
static int gen_collect (lua_State *L, cogen_Gen *g) {
  int n;
  if (g->exit == EXIT_YIELD)
    return cogen_take(L, g);
  /* the thread holds the generator and its guard, then the results or
  ** the error */
  n = lua_gettop(g->L) - 2;
  if (n < 0) {  /* Lua 5.5: coroutine.close(coroutine.running()) in the
                   body emptied the thread and unwound it as a success */
    cogen_release(g);
    luaL_error(L, "generator's thread was closed from inside");
  }
  if (!lua_checkstack(L, n + 3)) {
    cogen_release(g);
    luaL_error(L, "too many results to resume");
  }
  lua_xmove(g->L, L, n);
  gen_guard_put(g);
  cogen_release(g);
  /* PEP 479: a StopIteration escaping a body would end loops silently */
  if (g->exit == EXIT_ERROR &&
      cogen_exc_is(L, -1, COGEN_STOPITERATION))
    cogen_exc_runtime(L, "generator raised StopIteration");
  return n;
}


/* a resume under way, from its root to the generator that runs now */
typedef struct gen_Resume {
  cogen_Gen *root;
  int closing;  /* some level is being closed */
  int thrown;   /* index of a GeneratorExit thrown into a delegator */
  int *nres;
} gen_Resume;


/*
** Carry the resume on from g, which got op and n values and ran (or was
** settled without running: see gen_step), until a yield reaches the
** resumer or the root is over.
*/
static int gen_loop (lua_State *L, gen_Resume *r, cogen_Gen *g, int ran,
                     int op, int n) {
  cogen_Gen *root = r->root;
  for (;; ran = gen_step(L, root, g, op, n)) {
    cogen_Gen *p;
    if (ran && g->exit == EXIT_DELEGATE) {  /* run its sub from the start */
      g = gen_leaf(g);
      op = OP_SEND;
      n = 0;
      continue;
    }
    if (ran && g->exit == EXIT_YIELD && r->closing) {
      cogen_Gen *c = gen_closinglevel(root);
      if (c != NULL) {  /* a level being closed may not yield */
        lua_pop(g->yL, g->n);
        gen_setclosing(c, 0);
        if (c == root)
          return luaL_error(L, "generator ignored GeneratorExit");
        p = c->parent;
        p->sub = NULL;  /* c stays suspended, on its own */
        c->parent = NULL;
        g->S->chains++;
        lua_pushliteral(L, "generator ignored GeneratorExit");
        n = 1;
        op = OP_THROW;
        g = p;
        continue;
      }
    }
    n = ran ? gen_collect(L, g) : (op == OP_THROW);
    if (g->exit == EXIT_YIELD) {
      *r->nres = n;
      return RESUME_YIELD;
    }
    if (g == root) {
      /* flags count only while closing: an error raised in the middle of
      ** an earlier resume may have left some set */
      int wasclosing = r->closing && g->closing;
      g->closing = 0;
      if (g->exit == EXIT_RETURN) {
        *r->nres = n;
        return RESUME_RETURN;
      }
      if (wasclosing && cogen_exc_is(L, -1, COGEN_GENERATOREXIT)) {
        lua_pop(L, 1);
        *r->nres = 0;
        return RESUME_RETURN;
      }
      return lua_error(L);
    }
    /* g is over: hand its outcome to the generator that delegated to it */
    p = g->parent;
    p->sub = NULL;
    g->parent = NULL;
    g->S->chains++;
    if (r->closing && g->closing &&
        (g->exit == EXIT_RETURN || cogen_exc_is(L, -1, COGEN_GENERATOREXIT))) {
      lua_pop(L, n);  /* closed cleanly: its return values are lost */
      if (p == root && r->thrown)
        lua_pushvalue(L, r->thrown);
      else
        cogen_exc_exit(L);
      n = 1;
      op = OP_THROW;
    }
    else
      op = (g->exit == EXIT_RETURN) ? OP_SEND : OP_THROW;
    g->closing = 0;
    g = p;
  }
}


/*
** Resume 'root' with the n values on top of L: send them (OP_SEND), raise
** the one value (OP_THROW), or raise GeneratorExit (OP_CLOSE, n = 0).
** Returns RESUME_YIELD or RESUME_RETURN with *nres values on L, or raises
** the error that ended the body. As CPython's gen_close does, close()
** closes every level of the chain, innermost first, and each level's
** outcome goes to the next one out: its error, or GeneratorExit when it
** closed cleanly (returned, or let GeneratorExit out). A yield reaching a
** level being closed is refused ("generator ignored GeneratorExit"): that
** level stays suspended, on its own. throw(GeneratorExit) into a delegator
** closes its subs the same way, then raises the thrown object in it.
*/
int cogen_resume (lua_State *L, cogen_Gen *root, int op, int n,
                  int *nres) {
  gen_Resume r;
  cogen_Gen *g = gen_leaf(root);
  r.root = root;
  r.closing = 0;
  r.thrown = 0;
  r.nres = nres;
  if (g->status == GEN_RUNNING)
    return luaL_error(L, "generator already executing");
  if (op == OP_CLOSE) {
    gen_setclosing(root, 1);
    r.closing = 1;
    cogen_exc_exit(L);
    n = 1;
  }
  else if (op == OP_THROW && g != root &&
           cogen_exc_is(L, -1, COGEN_GENERATOREXIT)) {
    r.thrown = lua_gettop(L);
    root->closing = 0;  /* the root itself is thrown into, not closed */
    gen_setclosing(root->sub, 1);
    r.closing = 1;
    cogen_exc_exit(L);  /* each sub gets its own */
    op = OP_CLOSE;
  }
  return gen_loop(L, &r, g, gen_step(L, root, g, op, n), op, n);
}


/* cogen_send resumed g, its own leaf, which did not yield: carry on */
int cogen_resumed (lua_State *L, cogen_Gen *g, int *nres) {
  gen_Resume r;
  if (g->exit == EXIT_RETURN) {  /* the common end, as gen_loop has it */
    *nres = gen_collect(L, g);
    g->closing = 0;
    return RESUME_RETURN;
  }
  r.root = g;
  r.closing = 0;
  r.thrown = 0;
  r.nres = nres;
  return gen_loop(L, &r, g, 1, OP_SEND, 0);
}

/* }====================================================== */
