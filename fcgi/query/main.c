/* query: the program of the query service area — the registry base now;
 * archive queries, whitelist and certificates arrive with the issues that
 * build them. It also serves the core's /healthz, /readyz and /metrics. */
#include "../domain/division.h"
#include "query.h"

static const struct route routes[] = {
	{ .methods = M_GET, .pattern = "/api/v1/registry/units/{code:str}", .fn = h_unit_card, .perm = "case.create" },
	/* registry search (search.c, lookup.c) */
	{ .methods = M_POST, .pattern = "/api/v1/registry/search", .fn = h_registry_search, .perm = "registry.read" },
};

static const struct service svc = {
	.name = "query",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.scope_covers = division_covers,
};

int main(void)
{
	return server_main(&svc);
}
