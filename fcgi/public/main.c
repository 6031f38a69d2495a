/* public: the only service reachable without a staff session — reference
 * data, applicant progress, and (later) certificate verification and payment
 * notifications. */
#include "../core/server.h"
#include "../domain/division.h"
#include "public.h"

static const struct route routes[] = {
	{ M_GET, "/api/v1/divisions", h_division_list, 0 },
	{ M_POST, "/api/v1/divisions/resolve", h_division_resolve, 0 },
	{ M_GET, "/api/v1/divisions/{code:code}", h_division_get, 0 },
	{ M_POST, "/api/v1/public/progress", h_progress, 0 },
	{ M_GET, "/api/v1/banks", h_bank_list, 0 },
};

static const struct service svc = {
	.name = "public",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.scope_covers = division_covers,
};

int main(void)
{
	return server_main(&svc);
}
