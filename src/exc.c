/*
** exc.c: the exception classes that carry Python's control signals.
** A class is a table kept in the registry under its name; it is the
** metatable of its instances, so getmetatable(e) == cogen.StopIteration.
** Calling a class makes an instance: StopIteration(...) carries values,
** the others a message (and, for RuntimeError, a cause).
*/
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

#include "gen.h"

static const char *const exc_names[] = {
  COGEN_STOPITERATION, COGEN_GENERATOREXIT, COGEN_RUNTIMEERROR, NULL
};


int cogen_exc_is (lua_State *L, int idx, const char *cls) {
  int is;
  if (!lua_istable(L, idx) || !lua_getmetatable(L, idx))
    return 0;
  luaL_getmetatable(L, cls);
  is = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return is;
}


/* replace the n values on top of L with a StopIteration carrying them */
void cogen_exc_stop (lua_State *L, int n) {
  int i;
  lua_createtable(L, n, 1);
  lua_insert(L, -(n + 1));
  for (i = n; i >= 1; i--)
    lua_rawseti(L, -(i + 1), i);
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "n");
  lua_createtable(L, 0, 2);
  lua_insert(L, -2);
  lua_rawgeti(L, -1, 1);
  lua_setfield(L, -3, "value");
  lua_setfield(L, -2, "values");
  luaL_setmetatable(L, COGEN_STOPITERATION);
}


void cogen_exc_exit (lua_State *L) {
  lua_createtable(L, 0, 0);
  luaL_setmetatable(L, COGEN_GENERATOREXIT);
}


/* replace the value on top of L with a RuntimeError caused by it */
void cogen_exc_runtime (lua_State *L, const char *msg) {
  lua_createtable(L, 0, 2);
  lua_insert(L, -2);
  lua_setfield(L, -2, "cause");
  lua_pushstring(L, msg);
  lua_setfield(L, -2, "message");
  luaL_setmetatable(L, COGEN_RUNTIMEERROR);
}


/* "StopIteration", "StopIteration: 42", "RuntimeError: message" */
static int exc_tostring (lua_State *L) {
  const char *name = "Exception";
  if (luaL_getmetafield(L, 1, "__name") == LUA_TSTRING) {
    name = lua_tostring(L, -1);
    if (strncmp(name, "cogen.", 6) == 0)
      name += 6;
  }
  lua_pushstring(L, name);
  if (!lua_istable(L, 1))  /* called by hand on another value */
    return 1;
  if (lua_getfield(L, 1, "message") != LUA_TNIL ||
      (lua_pop(L, 1), lua_getfield(L, 1, "value")) != LUA_TNIL) {
    lua_pushliteral(L, ": ");
    luaL_tolstring(L, -2, NULL);
    lua_remove(L, -3);
    lua_concat(L, 3);
  }
  else
    lua_pop(L, 1);
  return 1;
}


static int exc_call (lua_State *L) {
  /* a class: getmetatable(cogen.StopIteration).__call(5) must not crash */
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_getmetatable(L, COGEN_STOPITERATION);
  if (lua_rawequal(L, 1, -1)) {
    lua_pop(L, 1);
    cogen_exc_stop(L, lua_gettop(L) - 1);
    return 1;
  }
  lua_pop(L, 1);
  lua_settop(L, 3);  /* class, message, cause */
  lua_createtable(L, 0, 2);
  lua_insert(L, 2);
  lua_setfield(L, 2, "cause");
  lua_setfield(L, 2, "message");
  lua_pushvalue(L, 1);
  lua_setmetatable(L, 2);
  return 1;
}


/* set each class in the table on top of L, under its short name */
void cogen_exc_open (lua_State *L) {
  int i;
  for (i = 0; exc_names[i] != NULL; i++) {
    luaL_newmetatable(L, exc_names[i]);
    lua_pushcfunction(L, exc_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_createtable(L, 0, 1);  /* the class's own metatable */
    lua_pushcfunction(L, exc_call);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, exc_names[i] + 6);
  }
}
