/* public: the only service reachable without a staff session — reference
 * data, applicant progress, and (later) certificate verification and payment
 * notifications. */
#include "../core/server.h"
#include "../domain/division.h"
#include "public.h"

static const struct route routes[] = {
	{ .methods = M_GET, .pattern = "/api/v1/divisions", .fn = h_division_list, .query = division_list_query },
	{ .methods = M_POST, .pattern = "/api/v1/divisions/resolve", .fn = h_division_resolve },
	{ .methods = M_GET, .pattern = "/api/v1/divisions/{code:code}", .fn = h_division_get },
	{ .methods = M_POST, .pattern = "/api/v1/public/progress", .fn = h_progress },
	{ .methods = M_GET, .pattern = "/api/v1/banks", .fn = h_bank_list },
	/* query-result certificates: genuine or not (certificates.c) */
	{ .methods = M_GET, .pattern = "/api/v1/public/certificates/{serial:str}", .fn = h_certificate_verify, .query = certificate_verify_query },
	/* payments: the provider's notifications, the applicant's payment (payments.c) */
	{ .methods = M_POST, .pattern = "/api/v1/payments/notify", .fn = h_payment_notify },
	{ .methods = M_POST, .pattern = "/api/v1/public/payment", .fn = h_public_payment },
	/* 政策法规: published 办事指南 and 通知公告 (policies.c) */
	{ .methods = M_GET, .pattern = "/api/v1/public/policies", .fn = h_public_policies, .query = public_policies_query },
	{ .methods = M_GET, .pattern = "/api/v1/public/policies/{id:int}", .fn = h_public_policy },
	{ .methods = M_GET, .pattern = "/api/v1/public/policies/{id:int}/attachments/{aid:int}", .fn = h_public_policy_attachment },
};

static const struct service svc = {
	.name = "public",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.scope_covers = division_covers,
	.worker_init = public_worker_init,
};

int main(void)
{
	return server_main(&svc);
}
