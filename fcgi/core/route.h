/* Routing: method + path pattern with typed parameters. */
#ifndef TB_ROUTE_H
#define TB_ROUTE_H
#include "req.h"

enum route_result { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };

/* Find the route for r->path and r->method among n routes. On FOUND sets
 * r->route_index and r->params; on BAD_METHOD *allowed has the methods the
 * path accepts. */
enum route_result route_match(struct req *r, const struct route *routes, size_t n,
			      unsigned *allowed);
/* "GET, HEAD, POST" for a method set, in the arena. */
const char *route_allow_header(struct arena *a, unsigned methods);
/* Validate r's query against the route's keys: 0, or -1 after replying
 * 400 invalid_parameter. */
int route_query_check(struct req *r, const struct route *rt);
/* Check patterns at start-up: -1 for an unknown parameter type. */
int route_check(const struct route *routes, size_t n);

#endif
