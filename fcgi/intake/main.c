/* intake: cases across jurisdictions — taken in at any window, decided by
 * the county where the property lies. */
#include "../domain/division.h"
#include "intake.h"

static const struct route routes[] = {
	{ .methods = M_POST, .pattern = "/api/v1/cases", .fn = h_case_create },
	{ .methods = M_GET, .pattern = "/api/v1/cases", .fn = h_case_list, .perm = "case.read", .query = case_list_query },
	{ .methods = M_POST, .pattern = "/api/v1/cases/by-id-number", .fn = h_cases_by_id_number, .perm = "case.read" },
	{ .methods = M_POST, .pattern = "/api/v1/cases/validate", .fn = h_case_validate },
	{ .methods = M_GET, .pattern = "/api/v1/notifications", .fn = h_notifications, .perm = "case.read", .query = notifications_query },
	{ .methods = M_POST, .pattern = "/api/v1/notifications/{id:int}/read", .fn = h_notification_read, .perm = "case.read" },
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}", .fn = h_case_get },
	{ .methods = M_POST, .pattern = "/api/v1/cases/{id:int}/parties/{seq:int}/reveal", .fn = h_party_reveal, .perm = "case.read" },
	{ .methods = M_POST, .pattern = "/api/v1/cases/{id:int}/actions/{action:slug}", .fn = h_case_action },
	{ .methods = M_GET, .pattern = "/api/v1/business-types", .fn = h_business_types, .flags = ROUTE_SESSION },
	{ .methods = M_POST, .pattern = "/api/v1/cases/{id:int}/attachments", .fn = h_attachment_upload, .perm = "case.read" },
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}/attachments", .fn = h_attachment_list, .perm = "case.read" },
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}/attachments/{aid:int}", .fn = h_attachment_get, .perm = "case.read" },
	/* the acceptance receipt (receipt.c) */
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}/receipt", .fn = h_receipt, .perm = "case.read" },
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}/receipt/qr.png", .fn = h_receipt_qr, .perm = "case.read" },
	/* online payment: the order, its QR code, the voucher (payments.c) */
	{ .methods = M_POST, .pattern = "/api/v1/cases/{id:int}/payment", .fn = h_payment_create, .perm = "case.read" },
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}/payment", .fn = h_payment_get, .perm = "case.read" },
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}/payment/qr.png", .fn = h_payment_qr_png, .perm = "case.read" },
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}/payment/qr.svg", .fn = h_payment_qr_svg, .perm = "case.read" },
	{ .methods = M_GET, .pattern = "/api/v1/cases/{id:int}/voucher", .fn = h_voucher_get, .perm = "case.read" },
	/* reconciliation (reconcile.c) */
	{ .methods = M_POST, .pattern = "/api/v1/payments/statements", .fn = h_statement_import, .perm = "payment.reconcile", .query = reconcile_query },
	{ .methods = M_GET, .pattern = "/api/v1/payments/reconciliation", .fn = h_reconciliation, .perm = "payment.reconcile", .query = reconcile_query },
	{ .methods = M_POST, .pattern = "/api/v1/payments/reconciliation/settle", .fn = h_reconcile_settle, .perm = "payment.reconcile" },
};

static const struct service svc = {
	.name = "intake",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.scope_covers = division_covers,
	.worker_init = intake_worker_init,
};

int main(void)
{
	return server_main(&svc);
}
