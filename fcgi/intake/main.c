/* intake: cases across jurisdictions — taken in at any window, decided by
 * the county where the property lies. */
#include "../domain/division.h"
#include "intake.h"

static const struct route routes[] = {
	{ M_POST, "/api/v1/cases", h_case_create, 0 },
	{ M_GET, "/api/v1/cases", h_case_list, 0 },
	{ M_POST, "/api/v1/cases/by-id-number", h_cases_by_id_number, 0 },
	{ M_POST, "/api/v1/cases/validate", h_case_validate, 0 },
	{ M_GET, "/api/v1/notifications", h_notifications, 0 },
	{ M_POST, "/api/v1/notifications/{id:int}/read", h_notification_read, 0 },
	{ M_GET, "/api/v1/cases/{id:int}", h_case_get, 0 },
	{ M_POST, "/api/v1/cases/{id:int}/parties/{seq:int}/reveal", h_party_reveal, 0 },
	{ M_POST, "/api/v1/cases/{id:int}/actions/{action:slug}", h_case_action, 0 },
	{ M_GET, "/api/v1/business-types", h_business_types, 0 },
	{ M_POST, "/api/v1/cases/{id:int}/attachments", h_attachment_upload, 0 },
	{ M_GET, "/api/v1/cases/{id:int}/attachments", h_attachment_list, 0 },
	{ M_GET, "/api/v1/cases/{id:int}/attachments/{aid:int}", h_attachment_get, 0 },
	/* the acceptance receipt (receipt.c) */
	{ M_GET, "/api/v1/cases/{id:int}/receipt", h_receipt, 0 },
	{ M_GET, "/api/v1/cases/{id:int}/receipt/qr.png", h_receipt_qr, 0 },
};

static const struct service svc = {
	.name = "intake",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.scope_covers = division_covers,
	.worker_init = actions_worker_init,
};

int main(void)
{
	return server_main(&svc);
}
