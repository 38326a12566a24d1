/*
** lcogen.c: the Lua binding of cogen (module "cogen.core").
** Checks arguments at the door and translates between Lua and the engine.
** Every function carries two upvalues: the per-state data (a userdata kept
** in the registry) and the generator metatable, so the hot path needs
** neither a registry look-up nor a string compare.
*/
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#include "cogen.h"
#include "gen.h"

#define COGEN_VERSION  "cogen 0.1.0"

/*
** Default native stack. Lua raises "C stack overflow" after about 200
** nested C calls; measured on Lua 5.4.4 here, the costliest chain (nested
** string.gsub callbacks, about 2 KiB a level) needs between 384 and 512 KiB,
** string.format of a __tostring chain about 384 KiB, pcall and load about
** 256 KiB. 1 MiB leaves twice the worst. Pages are committed on first
** touch, so the size costs address space only. A smaller size would let a
** Lua program overflow the stack into its guard page, so the default is
** also the minimum; builds that grow frames (sanitizers) raise both.
** Lua 5.4.0-5.4.1 (the only releases whose luaconf.h has LUAI_MAXCSTACK)
** count about 2,000 nested calls instead, sized for an 8 MiB main stack: a
** __concat chain there needs about 700 KiB at -O2, several MiB at -O0.
*/
#ifndef COGEN_STACK_DEFAULT
#if defined(LUAI_MAXCSTACK)
#define COGEN_STACK_DEFAULT  (8 * 1024 * 1024)
#else
#define COGEN_STACK_DEFAULT  (1024 * 1024)
#endif
#endif
#ifndef COGEN_STACK_MIN
#define COGEN_STACK_MIN  COGEN_STACK_DEFAULT
#endif
#define STACK_DEFAULT  ((size_t)COGEN_STACK_DEFAULT)
#define STACK_MIN      ((size_t)COGEN_STACK_MIN)
#define STACK_MAX      ((size_t)1024 * 1024 * 1024)

/* registry key of the per-state data: the address is unique */
static const char state_key = 0;

#define co_state(L)  ((cogen_State *)lua_touserdata(L, lua_upvalueindex(1)))


/*
** The generator at idx, or NULL. It runs on every resume, so it asks Lua
** for no metatable: the debug library can give any userdata the
** generators' metatable, which then proves nothing. A block is read only
** when it has a generator's size, and is one only when it holds its tag:
** its own address mixed with its state's and a constant. Only a library
** that lets Lua write raw bytes into a userdata could forge that, and such
** a library can crash a process anyway.
*/
static cogen_Gen *co_testgen (lua_State *L, int idx) {
  cogen_Gen *g = (cogen_Gen *)lua_touserdata(L, idx);
  if (g == NULL || lua_rawlen(L, idx) != sizeof(cogen_Gen) ||
      g->tag != cogen_gen_tag(g))
    return NULL;
  return g;
}


static cogen_Gen *co_checkgen (lua_State *L, int idx) {
  cogen_Gen *g = co_testgen(L, idx);
  if (g == NULL)
    luaL_typeerror(L, idx, "cogen.generator");
  return g;
}


static void co_checkcallable (lua_State *L, int idx) {
  if (lua_type(L, idx) != LUA_TFUNCTION) {
    if (luaL_getmetafield(L, idx, "__call") == LUA_TNIL)
      luaL_typeerror(L, idx, "function");
    lua_pop(L, 1);
  }
}


static size_t co_checksize (lua_State *L, int idx) {
  lua_Integer n = luaL_checkinteger(L, idx);
  luaL_argcheck(L, n >= (lua_Integer)STACK_MIN && n <= (lua_Integer)STACK_MAX,
                idx, "stack size out of range");
  return (size_t)n;
}


/*
** {======================================================
** Creating generators
** =======================================================
*/

/* the generator running fn(...) with the function and arguments at 1..top */
static int co_create (lua_State *L, cogen_State *S, size_t stacksize) {
  int n = lua_gettop(L);
  cogen_Gen *g;
  lua_State *co;
  co_checkcallable(L, 1);
  g = (cogen_Gen *)lua_newuserdatauv(L, sizeof(cogen_Gen), 1);
  co = lua_newthread(L);
  lua_setiuservalue(L, -2, 1);
  cogen_gen_init(g, S, co, stacksize);
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_setmetatable(L, -2);
  lua_rotate(L, 1, 1);  /* generator below the function and arguments */
  cogen_gen_layout(L, g, n);
  return 1;
}


static int co_new (lua_State *L) {
  cogen_State *S = co_state(L);
  return co_create(L, S, S->stacksize);
}


/* a generator function: its upvalue 3 is the body, 4 the stack size */
static int co_make (lua_State *L) {
  cogen_State *S = co_state(L);
  lua_Integer size = lua_tointeger(L, lua_upvalueindex(4));
  lua_pushvalue(L, lua_upvalueindex(3));
  lua_insert(L, 1);
  return co_create(L, S, size > 0 ? (size_t)size : S->stacksize);
}


static int co_generator (lua_State *L) {
  lua_Integer size = 0;
  co_checkcallable(L, 1);
  if (!lua_isnoneornil(L, 2))
    size = (lua_Integer)co_checksize(L, 2);
  lua_settop(L, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_rotate(L, 1, 2);
  lua_pushinteger(L, size);
  lua_pushcclosure(L, co_make, 4);
  return 1;
}

/* }====================================================== */


/*
** {======================================================
** Generator methods
** =======================================================
*/

static int co_stop (lua_State *L, int n) {
  cogen_exc_stop(L, n);
  return lua_error(L);
}


static int gen_next (lua_State *L) {
  int n;
  cogen_Gen *g = co_checkgen(L, 1);
  if (cogen_send(L, g, 0, &n) == RESUME_RETURN)
    return co_stop(L, n);
  return n;
}


static int gen_send (lua_State *L) {
  int n;
  cogen_Gen *g = co_checkgen(L, 1);
  if (cogen_send(L, g, lua_gettop(L) - 1, &n) == RESUME_RETURN)
    return co_stop(L, n);
  return n;
}


static int gen_throw (lua_State *L) {
  int n;
  cogen_Gen *g = co_checkgen(L, 1);
  luaL_checkany(L, 2);
  lua_settop(L, 2);
  if (cogen_resume(L, g, OP_THROW, 1, &n) == RESUME_RETURN)
    return co_stop(L, n);
  return n;
}


static int gen_close (lua_State *L) {
  int n;
  cogen_Gen *g = co_checkgen(L, 1);
  lua_settop(L, 1);
  cogen_resume(L, g, OP_CLOSE, 0, &n);
  return n;
}


/* one step for the generic for: nothing, instead of StopIteration */
static int gen_call (lua_State *L) {
  int n;
  cogen_Gen *g = co_checkgen(L, 1);
  if (cogen_send(L, g, 0, &n) == RESUME_RETURN)
    return 0;
  return n;
}


static int gen_tbc (lua_State *L) {
  gen_close(L);
  return 0;
}


static int gen_status (lua_State *L) {
  static const char *const names[] = {
    "created", "suspended", "running", "closed"
  };
  cogen_Gen *g = co_checkgen(L, 1);
  lua_pushstring(L, cogen_isrunning(g) ? "running" : names[g->status]);
  return 1;
}


static int gen_tostring (lua_State *L) {
  lua_pushfstring(L, "cogen.generator: %p", co_checkgen(L, 1));
  return 1;
}


/* close a suspended generator for the collector (protected) */
static int gen_gcclose (lua_State *L) {
  int n;
  cogen_resume(L, co_checkgen(L, 1), OP_CLOSE, 0, &n);
  return 0;
}


/* report an error of a closing by the collector as one warning */
static int gen_gcwarn (lua_State *L) {
  const char *msg = luaL_tolstring(L, 2, NULL);
  lua_warning(L, lua_pushfstring(L, "cogen: error closing %s while "
                 "collecting it: %s", lua_tostring(L, 1), msg), 0);
  return 0;
}


/*
** The finalizer of a guard (see gen.c): a suspended generator that became
** garbage is closed as by close(). Errors never propagate out of a
** finalizer: they become warnings.
*/
static int guard_gc (lua_State *L) {
  cogen_Gen *g;
  int isguard = lua_getmetatable(L, 1) &&
                lua_getiuservalue(L, lua_upvalueindex(1), UV_GUARDMT) &&
                lua_rawequal(L, -1, -2);
  if (!isguard)  /* called by hand, through the debug library */
    return 0;
  lua_settop(L, 1);
  lua_getiuservalue(L, 1, 1);  /* 2: its generator, while bound */
  g = co_testgen(L, 2);
  if (g != NULL && g->status == GEN_SUSPENDED && !cogen_isrunning(g)) {
    g->collecting = 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_pushcclosure(L, gen_gcclose, 2);
    lua_pushvalue(L, 2);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
      lua_pushcfunction(L, gen_gcwarn);
      lua_insert(L, -2);
      lua_pushfstring(L, "cogen.generator: %p", (void *)g);
      lua_insert(L, -2);
      if (lua_pcall(L, 2, 0, 0) != LUA_OK)  /* the error's __tostring failed */
        lua_warning(L, "cogen: error closing a generator while collecting it", 0);
    }
  }
  /* last, as it may raise a memory error (which Lua makes a warning) */
  cogen_guard_free(L, co_state(L), (int *)lua_touserdata(L, 1));
  return 0;
}

/* }====================================================== */


/*
** {======================================================
** Module functions
** =======================================================
*/

static int co_yield (lua_State *L) {
  return cogen_suspend(L, co_state(L), lua_gettop(L));
}


/* yield each value of a table or function iterator; nil may be sent */
static int co_yielditems (lua_State *L, cogen_State *S, int isfunc) {
  lua_Integer i;
  for (i = 1; ; i++) {
    int n;
    lua_settop(L, 3);
    if (isfunc) {
      lua_pushvalue(L, 1);
      lua_pushvalue(L, 2);
      lua_pushvalue(L, 3);
      lua_call(L, 2, LUA_MULTRET);
      if (lua_isnoneornil(L, 4))
        return 0;
      lua_copy(L, 4, 3);  /* the control variable */
    }
    else if (lua_geti(L, 1, i) == LUA_TNIL)
      return 0;
    n = cogen_suspend(L, S, lua_gettop(L) - 3);
    if (n > 0 && !lua_isnil(L, -n))
      return luaL_error(L, "can't send non-nil value to a %s iterator",
                        isfunc ? "function" : "table");
  }
}


static int co_yieldfrom (lua_State *L) {
  cogen_State *S = co_state(L);
  cogen_Gen *sub = co_testgen(L, 1);
  if (sub != NULL) {
    lua_settop(L, 1);  /* keeps sub alive while delegating */
    return cogen_delegate(L, S, sub);
  }
  if (S->current == NULL)
    return luaL_error(L, "attempt to yield outside a generator");
  switch (lua_type(L, 1)) {
    case LUA_TTABLE: return co_yielditems(L, S, 0);
    case LUA_TFUNCTION: return co_yielditems(L, S, 1);
    default: return luaL_typeerror(L, 1, "generator, table or function");
  }
}


static int co_running (lua_State *L) {
  cogen_State *S = co_state(L);
  if (S->current == NULL)
    lua_pushnil(L);
  else
    cogen_pushgen(L, S->current);
  return 1;
}


static int co_isyieldable (lua_State *L) {
  lua_pushboolean(L, cogen_canyield(co_state(L)));
  return 1;
}


/* cogen.stacksize([n]): the default stack size, set to n if given */
static int co_stacksize (lua_State *L) {
  cogen_State *S = co_state(L);
  lua_pushinteger(L, (lua_Integer)S->stacksize);
  if (!lua_isnoneornil(L, 1))
    S->stacksize = co_checksize(L, 1);
  return 1;
}

/* }====================================================== */


static const luaL_Reg gen_methods[] = {
  {"next", gen_next},
  {"send", gen_send},
  {"throw", gen_throw},
  {"close", gen_close},
  {"status", gen_status},
  {NULL, NULL}
};

static const luaL_Reg gen_meta[] = {
  {"__call", gen_call},
  {"__close", gen_tbc},
  {"__tostring", gen_tostring},
  {NULL, NULL}
};

static const luaL_Reg co_funcs[] = {
  {"new", co_new},
  {"generator", co_generator},
  {"yield", co_yield},
  {"yield_from", co_yieldfrom},
  {"running", co_running},
  {"isyieldable", co_isyieldable},
  {"stacksize", co_stacksize},
  {NULL, NULL}
};


/* the state's stacks go when the state goes; generators went before */
static int state_gc (lua_State *L) {
  cogen_State *S;
  /* the debug library can call it by hand, on anything */
  lua_settop(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key);
  if (!lua_rawequal(L, 1, 2))
    return 0;
  S = (cogen_State *)lua_touserdata(L, 1);
  if (S->current != NULL)  /* by hand, from a body: its stack is in use */
    return 0;
  cogen_pool_close(&S->pool);
  return 0;
}


/*
** {======================================================
** The C API of cogen.h: a table of functions in the registry
** =======================================================
*/

static int api_yield (void *state, lua_State *L, int nresults) {
  if (nresults < 0 || nresults > lua_gettop(L))
    return luaL_error(L, "cogen_yield: %d values asked, %d on the stack",
                      nresults, lua_gettop(L));
  return cogen_suspend(L, (cogen_State *)state, nresults);
}


static int api_isyieldable (void *state, lua_State *L) {
  (void)L;
  return cogen_canyield((cogen_State *)state);
}


static void api_register (lua_State *L, cogen_State *S) {
  cogen_API *api = (cogen_API *)lua_newuserdatauv(L, sizeof(cogen_API), 0);
  api->version = COGEN_API_VERSION;
  api->state = S;
  api->yield = api_yield;
  api->isyieldable = api_isyieldable;
  lua_setfield(L, LUA_REGISTRYINDEX, COGEN_API_KEY);
}

/* }====================================================== */


/*
** Push the per-state data, made on the first call only: busted and others
** run luaopen again in one state, and live generators point to it.
*/
static void state_push (lua_State *L) {
  cogen_State *S;
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key) == LUA_TUSERDATA)
    return;
  lua_pop(L, 1);
  S = (cogen_State *)lua_newuserdatauv(L, sizeof(cogen_State), UV_COUNT);
  S->current = NULL;
  S->stacksize = STACK_DEFAULT;
  S->chains = 0;
  cogen_pool_init(&S->pool);
  S->guards = lua_newthread(L);
  lua_setiuservalue(L, -2, UV_GUARDS);
  S->nguardids = 0;
  lua_createtable(L, 0, 0);  /* the guards alive: see gen.c */
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "v");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  lua_createtable(L, 0, 0);  /* the indexes free */
  lua_xmove(L, S->guards, 2);
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, state_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &state_key);
  api_register(L, S);
}


/* set the functions of l in the table on top, with the two upvalues */
static void co_setfuncs (lua_State *L, const luaL_Reg *l) {
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  luaL_setfuncs(L, l, 2);
}


__attribute__((visibility("default")))
int luaopen_cogen_core (lua_State *L) {
  luaL_checkversion(L);  /* a module built for another Lua must not load */
  lua_settop(L, 0);
  state_push(L);                               /* 1: per-state data */
  luaL_newmetatable(L, "cogen.generator");     /* 2: generator metatable */
  co_setfuncs(L, gen_meta);
  lua_createtable(L, 0, 5);
  co_setfuncs(L, gen_methods);
  lua_setfield(L, 2, "__index");
  lua_pushliteral(L, "cogen.generator");
  lua_setfield(L, 2, "__metatable");
  if (lua_getiuservalue(L, 1, UV_GUARDMT) == LUA_TNIL) {  /* first load */
    lua_createtable(L, 0, 1);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guard_gc, 2);
    lua_setfield(L, -2, "__gc");
    lua_pushliteral(L, "cogen.guard");
    lua_setfield(L, -2, "__metatable");
    lua_setiuservalue(L, 1, UV_GUARDMT);
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 16);                   /* 3: the module */
  co_setfuncs(L, co_funcs);
  cogen_exc_open(L);
  lua_pushliteral(L, COGEN_VERSION);
  lua_setfield(L, -2, "_VERSION");
  return 1;
}
