/* admin: accounts and log-in, roles and grants, agencies, permission
 * requests, the audit trail; its background process seals the audit chain. */
#include "../domain/division.h"
#include "admin.h"

/* Each route names what it needs before its handler runs: .perm, a
 * permission held somewhere (the handler then checks it over the object's
 * divisions), or ROUTE_SESSION, any session; log-in needs neither. .query:
 * the query keys it takes (anything else in the query is ignored). The
 * method and path come first, unnamed (tests/api/test_openapi.py reads them). */
#define SESSION .flags = ROUTE_SESSION
static const struct route routes[] = {
	{ M_POST, "/api/v1/auth/login", h_login, .perm = NULL }, /* public */
	{ M_POST, "/api/v1/auth/logout", h_logout, SESSION },
	{ M_GET, "/api/v1/auth/me", h_me, SESSION },
	{ M_POST, "/api/v1/auth/password", h_password, SESSION },
	{ M_POST, "/api/v1/auth/totp/enroll", h_totp_enroll, SESSION },
	{ M_POST, "/api/v1/auth/totp/confirm", h_totp_confirm, SESSION },
	{ M_GET, "/api/v1/auth/sessions", h_sessions, SESSION },
	{ M_DELETE, "/api/v1/auth/sessions/{id:int}", h_session_revoke, SESSION },
	{ M_GET, "/api/v1/users", h_users_list, .perm = "user.manage", .query = users_query },
	{ M_POST, "/api/v1/users", h_user_create, .perm = "user.manage" },
	{ M_GET, "/api/v1/users/{id:int}", h_user_get, .perm = "user.manage" },
	{ M_PATCH, "/api/v1/users/{id:int}", h_user_patch, .perm = "user.manage" },
	{ M_POST, "/api/v1/users/{id:int}/password-reset", h_user_password_reset, .perm = "user.manage" },
	{ M_GET, "/api/v1/users/{id:int}/grants", h_grants_list, .perm = "role.manage" },
	{ M_POST, "/api/v1/users/{id:int}/grants", h_grant_create, .perm = "role.manage" },
	{ M_DELETE, "/api/v1/grants/{id:int}", h_grant_delete, .perm = "role.manage" },
	{ M_GET, "/api/v1/roles", h_roles, SESSION },
	/* user.manage or role.manage: the handler decides */
	{ M_GET, "/api/v1/auth/login-locks", h_login_locks, SESSION },
	{ M_DELETE, "/api/v1/auth/login-locks/{id:int}", h_login_lock_lift, SESSION },
	{ M_GET, "/api/v1/agencies", h_agencies_list, SESSION, .query = agencies_query },
	{ M_POST, "/api/v1/agencies", h_agency_create, .perm = "agency.manage" },
	{ M_PATCH, "/api/v1/agencies/{code:str}", h_agency_patch, .perm = "agency.manage" },
	{ M_POST, "/api/v1/permission-requests", h_permreq_create, SESSION },
	{ M_GET, "/api/v1/permission-requests", h_permreq_list, SESSION, .query = permreq_query },
	{ M_POST, "/api/v1/permission-requests/{id:int}/{decision:slug}", h_permreq_decide, .perm = "role.manage" },
	{ M_GET, "/api/v1/audit", h_audit_list, .perm = "audit.read", .query = audit_query },
	{ M_GET, "/api/v1/audit/verify", h_audit_verify, .perm = "audit.read" },
	{ M_GET, "/api/v1/workflows/business-types", h_workflow_types, .perm = "workflow.manage" },
	{ M_PATCH, "/api/v1/workflows/business-types/{code:str}", h_workflow_type_patch, .perm = "workflow.manage" },
	{ M_GET, "/api/v1/workflows/pilots", h_pilots, .perm = "workflow.manage" },
	{ M_PUT | M_DELETE, "/api/v1/workflows/pilots/{division:code}", h_pilot_switch, .perm = "workflow.manage" },
	/* 政策法规 (policies.c): reading needs a session (the handler filters by
	 * division); writing policy.manage over the document's division */
	{ M_GET, "/api/v1/policies", h_policies_list, SESSION, .query = policies_query },
	{ M_POST, "/api/v1/policies", h_policy_create, .perm = "policy.manage" },
	{ M_GET, "/api/v1/policies/{id:int}", h_policy_get, SESSION },
	{ M_PATCH, "/api/v1/policies/{id:int}", h_policy_patch, .perm = "policy.manage" },
	{ M_POST, "/api/v1/policies/{id:int}/read", h_policy_read, SESSION },
	{ M_POST, "/api/v1/policies/{id:int}/publish", h_policy_publish, .perm = "policy.manage" },
	{ M_POST, "/api/v1/policies/{id:int}/withdraw", h_policy_withdraw, .perm = "policy.manage" },
	{ M_GET, "/api/v1/policies/{id:int}/versions", h_policy_versions, .perm = "policy.manage" },
	{ M_GET, "/api/v1/policies/{id:int}/versions/{n:int}", h_policy_version_get, .perm = "policy.manage" },
	{ M_POST, "/api/v1/policies/{id:int}/attachments", h_policy_attachment_add, .perm = "policy.manage", .query = policy_attachment_query },
	{ M_GET, "/api/v1/policies/{id:int}/attachments/{aid:int}", h_policy_attachment_get, SESSION },
	{ M_DELETE, "/api/v1/policies/{id:int}/attachments/{aid:int}", h_policy_attachment_delete, .perm = "policy.manage" },
};

static const struct service svc = {
	.name = "admin",
	.routes = routes,
	.nroutes = NELEM(routes),
	.scope_covers = division_covers,
	.background = admin_background,
};

int main(void)
{
	return server_main(&svc);
}
