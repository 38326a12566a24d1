/*
** cogen.h: the C API of cogen, for other C modules.
**
** C code running inside a generator (at any depth of C and Lua calls) can
** yield with cogen_yield. Include this header only: nothing of cogen is
** linked. The functions reach the implementation through the Lua state,
** where require "cogen" left a table of functions; calling them before
** that raises a Lua error that says so.
**
** throw() and close() reach C code as a Lua error raised from inside
** cogen_yield, so C code that holds resources across a yield must release
** them the Lua way: a userdata with __gc/__close, marked with lua_toclose:
**
**   static int walk (lua_State *L) {
**     Handle *h = newhandle(L);     (a userdata whose __close frees it)
**     lua_toclose(L, -1);           (closed however this frame ends)
**     while (more(h)) {
**       lua_pushinteger(L, next(h));
**       cogen_yield(L, 1);          (may raise GeneratorExit)
**       lua_settop(L, 1);           (drop what the resumer sent)
**     }
**     return 0;
**   }
*/
#ifndef COGEN_H
#define COGEN_H

#include "lua.h"
#include "lauxlib.h"

/* registry key of the function table; the number is the API version */
#define COGEN_API_KEY      "cogen.api"
#define COGEN_API_VERSION  1

typedef struct cogen_API {
  int version;   /* COGEN_API_VERSION of the loaded module */
  void *state;   /* cogen's data for this Lua state */
  int (*yield) (void *state, lua_State *L, int nresults);
  int (*isyieldable) (void *state, lua_State *L);
} cogen_API;


static inline const cogen_API *cogen_api (lua_State *L) {
  const cogen_API *api;
  lua_getfield(L, LUA_REGISTRYINDEX, COGEN_API_KEY);
  api = (const cogen_API *)lua_touserdata(L, -1);
  lua_pop(L, 1);
  if (api == NULL)
    luaL_error(L, "cogen's C API is not loaded: require \"cogen\" first");
  else if (api->version != COGEN_API_VERSION)
    luaL_error(L, "cogen.h is version %d, the loaded cogen has version %d",
               COGEN_API_VERSION, api->version);
  return api;
}


/*
** Suspend the innermost running generator, yielding the top 'nresults'
** values of L to its resumer. Returns how many values the resumer sent,
** pushed on L. Raises (a Lua error) outside a generator, or with the error
** that throw() or close() sent.
*/
static inline int cogen_yield (lua_State *L, int nresults) {
  const cogen_API *api = cogen_api(L);
  return api->yield(api->state, L, nresults);
}


/* 1 inside a generator body, where cogen_yield may be called; else 0 */
static inline int cogen_isyieldable (lua_State *L) {
  const cogen_API *api = cogen_api(L);
  return api->isyieldable(api->state, L);
}

#endif
