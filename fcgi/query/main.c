/* query: the program of the query service area — the registry base now;
 * archive queries, whitelist and certificates arrive with the issues that
 * build them. It also serves the core's /healthz, /readyz and /metrics. */
#include "../domain/division.h"
#include "query.h"
#include "certificate.h"

static const struct route routes[] = {
	{ .methods = M_GET, .pattern = "/api/v1/registry/units/{code:str}", .fn = h_unit_card, .perm = "case.create" },
	/* the query-result certificate (certificate.c; nginx: the slow lane) */
	{ .methods = M_GET, .pattern = "/api/v1/queries/{id:int}/certificate.pdf", .fn = h_query_certificate, .perm = "query.create" },
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
