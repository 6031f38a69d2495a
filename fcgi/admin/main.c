/* admin: accounts and log-in, roles and grants, agencies, permission
 * requests, the audit trail; its background process seals the audit chain. */
#include "../domain/division.h"
#include "admin.h"

static const struct route routes[] = {
	{ .methods = M_POST, .pattern = "/api/v1/auth/login", .fn = h_login },
	{ .methods = M_POST, .pattern = "/api/v1/auth/logout", .fn = h_logout },
	{ .methods = M_GET, .pattern = "/api/v1/auth/me", .fn = h_me },
	{ .methods = M_POST, .pattern = "/api/v1/auth/password", .fn = h_password },
	{ .methods = M_POST, .pattern = "/api/v1/auth/totp/enroll", .fn = h_totp_enroll },
	{ .methods = M_POST, .pattern = "/api/v1/auth/totp/confirm", .fn = h_totp_confirm },
	{ .methods = M_GET, .pattern = "/api/v1/auth/sessions", .fn = h_sessions },
	{ .methods = M_DELETE, .pattern = "/api/v1/auth/sessions/{id:int}", .fn = h_session_revoke },
	{ .methods = M_GET, .pattern = "/api/v1/users", .fn = h_users_list },
	{ .methods = M_POST, .pattern = "/api/v1/users", .fn = h_user_create },
	{ .methods = M_GET, .pattern = "/api/v1/users/{id:int}", .fn = h_user_get },
	{ .methods = M_PATCH, .pattern = "/api/v1/users/{id:int}", .fn = h_user_patch },
	{ .methods = M_POST, .pattern = "/api/v1/users/{id:int}/password-reset", .fn = h_user_password_reset },
	{ .methods = M_GET, .pattern = "/api/v1/users/{id:int}/grants", .fn = h_grants_list },
	{ .methods = M_POST, .pattern = "/api/v1/users/{id:int}/grants", .fn = h_grant_create },
	{ .methods = M_DELETE, .pattern = "/api/v1/grants/{id:int}", .fn = h_grant_delete },
	{ .methods = M_GET, .pattern = "/api/v1/roles", .fn = h_roles },
	{ .methods = M_GET, .pattern = "/api/v1/auth/login-locks", .fn = h_login_locks },
	{ .methods = M_DELETE, .pattern = "/api/v1/auth/login-locks/{id:int}", .fn = h_login_lock_lift },
	{ .methods = M_GET, .pattern = "/api/v1/agencies", .fn = h_agencies_list },
	{ .methods = M_POST, .pattern = "/api/v1/agencies", .fn = h_agency_create },
	{ .methods = M_PATCH, .pattern = "/api/v1/agencies/{code:str}", .fn = h_agency_patch },
	{ .methods = M_POST, .pattern = "/api/v1/permission-requests", .fn = h_permreq_create },
	{ .methods = M_GET, .pattern = "/api/v1/permission-requests", .fn = h_permreq_list },
	{ .methods = M_POST, .pattern = "/api/v1/permission-requests/{id:int}/{decision:slug}", .fn = h_permreq_decide },
	{ .methods = M_GET, .pattern = "/api/v1/audit", .fn = h_audit_list },
	{ .methods = M_GET, .pattern = "/api/v1/audit/verify", .fn = h_audit_verify },
	{ .methods = M_GET, .pattern = "/api/v1/workflows/business-types", .fn = h_workflow_types },
	{ .methods = M_PATCH, .pattern = "/api/v1/workflows/business-types/{code:str}", .fn = h_workflow_type_patch },
	{ .methods = M_GET, .pattern = "/api/v1/workflows/pilots", .fn = h_pilots },
	{ .methods = M_PUT | M_DELETE, .pattern = "/api/v1/workflows/pilots/{division:code}", .fn = h_pilot_switch },
};

static const struct service svc = {
	.name = "admin",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.scope_covers = division_covers,
	.background = admin_background,
};

int main(void)
{
	return server_main(&svc);
}
