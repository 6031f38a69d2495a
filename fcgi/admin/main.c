/* admin: accounts and log-in, roles and grants, agencies, permission
 * requests, the audit trail; its background process seals the audit chain. */
#include "../domain/division.h"
#include "admin.h"

static const struct route routes[] = {
	{ M_POST, "/api/v1/auth/login", h_login, 0 },
	{ M_POST, "/api/v1/auth/logout", h_logout, 0 },
	{ M_GET, "/api/v1/auth/me", h_me, 0 },
	{ M_POST, "/api/v1/auth/password", h_password, 0 },
	{ M_POST, "/api/v1/auth/totp/enroll", h_totp_enroll, 0 },
	{ M_POST, "/api/v1/auth/totp/confirm", h_totp_confirm, 0 },
	{ M_GET, "/api/v1/auth/sessions", h_sessions, 0 },
	{ M_DELETE, "/api/v1/auth/sessions/{id:int}", h_session_revoke, 0 },
	{ M_GET, "/api/v1/users", h_users_list, 0 },
	{ M_POST, "/api/v1/users", h_user_create, 0 },
	{ M_GET, "/api/v1/users/{id:int}", h_user_get, 0 },
	{ M_PATCH, "/api/v1/users/{id:int}", h_user_patch, 0 },
	{ M_POST, "/api/v1/users/{id:int}/password-reset", h_user_password_reset, 0 },
	{ M_GET, "/api/v1/users/{id:int}/grants", h_grants_list, 0 },
	{ M_POST, "/api/v1/users/{id:int}/grants", h_grant_create, 0 },
	{ M_DELETE, "/api/v1/grants/{id:int}", h_grant_delete, 0 },
	{ M_GET, "/api/v1/roles", h_roles, 0 },
	{ M_GET, "/api/v1/auth/login-locks", h_login_locks, 0 },
	{ M_DELETE, "/api/v1/auth/login-locks/{id:int}", h_login_lock_lift, 0 },
	{ M_GET, "/api/v1/agencies", h_agencies_list, 0 },
	{ M_POST, "/api/v1/agencies", h_agency_create, 0 },
	{ M_PATCH, "/api/v1/agencies/{code:str}", h_agency_patch, 0 },
	{ M_POST, "/api/v1/permission-requests", h_permreq_create, 0 },
	{ M_GET, "/api/v1/permission-requests", h_permreq_list, 0 },
	{ M_POST, "/api/v1/permission-requests/{id:int}/{decision:slug}", h_permreq_decide, 0 },
	{ M_GET, "/api/v1/audit", h_audit_list, 0 },
	{ M_GET, "/api/v1/audit/verify", h_audit_verify, 0 },
	{ M_GET, "/api/v1/workflows/business-types", h_workflow_types, 0 },
	{ M_PATCH, "/api/v1/workflows/business-types/{code:str}", h_workflow_type_patch, 0 },
	{ M_GET, "/api/v1/workflows/pilots", h_pilots, 0 },
	{ M_PUT | M_DELETE, "/api/v1/workflows/pilots/{division:code}", h_pilot_switch, 0 },
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
