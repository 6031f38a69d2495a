/* admin: the program of the admin service area; its resources arrive with the
 * issues that build them. It serves the core's /healthz, /readyz and
 * /metrics from the start. */
#include "../core/server.h"

static const struct service svc = { "admin", NULL, 0, NULL };

int main(void)
{
	return server_main(&svc);
}
