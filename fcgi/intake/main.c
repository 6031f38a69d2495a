/* intake: the program of the intake service area; its resources arrive with the
 * issues that build them. It serves the core's /healthz, /readyz and
 * /metrics from the start. */
#include "../core/server.h"
#include "../domain/division.h"

static const struct service svc = {
	.name = "intake",
	.scope_covers = division_covers,
};

int main(void)
{
	return server_main(&svc);
}
