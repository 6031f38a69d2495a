/* query: the program of the query service area; its resources arrive with the
 * issues that build them. It serves the core's /healthz, /readyz and
 * /metrics from the start. */
#include "../core/server.h"

static const struct service svc = { "query", NULL, 0, NULL };

int main(void)
{
	return server_main(&svc);
}
