/* embedis: Lua 5.1's `unpack` with the range check Redis 7.0 adds to it.
 *
 * Stock Lua 5.1.5 computes the number of results as `e - i + 1` in a signed int, which overflows
 * for ranges such as unpack({}, -2, 2147483647); the C compiler may then assume the overflow away
 * and the VM crashes. Redis counts in unsigned arithmetic and refuses a range of INT_MAX or more
 * results (or one the stack cannot hold) with "too many results to unpack". This is the same
 * function, written for embedis, replacing the global `unpack` in every VM. */

#include <limits.h>

#include "lua.h"
#include "lauxlib.h"

int embedis_unpack(lua_State *L) {
  int first, last;
  unsigned int count;
  luaL_checktype(L, 1, LUA_TTABLE);
  first = luaL_optint(L, 2, 1);
  last = luaL_opt(L, luaL_checkint, 3, luaL_getn(L, 1));
  if (first > last) return 0; /* an empty range */
  count = (unsigned int)last - (unsigned int)first; /* the number of results, minus one */
  if (count >= INT_MAX || !lua_checkstack(L, (int)++count))
    return luaL_error(L, "too many results to unpack");
  for (int at = first;; at++) { /* t[first] .. t[last], stopping before `at` could pass INT_MAX */
    lua_rawgeti(L, 1, at);
    if (at == last) break;
  }
  return (int)count;
}
