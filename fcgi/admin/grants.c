/* Roles, grants and permission requests (账号权限申请). Who may grant what
 * is data (iam.role_grant_rule): a holder of role.manage through role G at
 * scope S may grant role R at scope T when a rule (G, R) exists, S covers T
 * (strictly, for administrator roles) and S covers the user's division. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static const struct stmt q_roles = {
	"roles",
	"SELECT r.code, r.name, r.needs_mfa::int, coalesce(r.triad, ''),"
	" coalesce(string_agg(rp.permission_code, ' ' ORDER BY rp.permission_code), '')"
	" FROM iam.role r LEFT JOIN iam.role_permission rp ON rp.role_code = r.code"
	" GROUP BY r.code ORDER BY r.code",
	0,
};
static const struct stmt q_rules = {
	"grant_rules", "SELECT granter_role, role_code, strictly_below::int FROM iam.role_grant_rule", 0,
};
static const struct stmt q_user_div = {
	"grant_user_div",
	"SELECT a.division_code FROM iam.user u JOIN iam.agency a ON a.code = u.agency_code WHERE u.id = $1",
	1,
};
static const struct stmt q_grants = {
	"grants_of_user",
	"SELECT g.id, g.role_code, g.scope_code, coalesce(g.granted_by, 0),"
	" (extract(epoch FROM g.granted_at) * 1000000)::bigint FROM iam.grant g WHERE g.user_id = $1 ORDER BY g.id",
	1,
};
static const struct stmt q_grant_insert = {
	"grant_insert",
	"INSERT INTO iam.grant (user_id, role_code, scope_code, granted_by) VALUES ($1, $2, $3, $4) RETURNING id",
	4,
};
static const struct stmt q_grant_get = {
	"grant_get",
	"SELECT g.user_id, g.role_code, g.scope_code, a.division_code FROM iam.grant g"
	" JOIN iam.user u ON u.id = g.user_id JOIN iam.agency a ON a.code = u.agency_code WHERE g.id = $1",
	1,
};
static const struct stmt q_grant_delete = {
	"grant_delete", "DELETE FROM iam.grant WHERE id = $1", 1,
};
const struct stmt q_division_exists = {
	"division_exists", "SELECT 1 FROM ref.division WHERE code = $1", 1,
};
static const struct stmt q_role_exists = {
	"grant_role_exists", "SELECT 1 FROM iam.role WHERE code = $1", 1,
};
/* For the two-person rules: who made the account, whether the caller may
 * manage it, and whether the role would mix administrator and
 * case-handling roles on it. */
static const struct stmt q_grant_target = {
	"grant_target",
	"SELECT coalesce(u.created_by, 0), iam.may_manage($2, u.id, 'role.manage')::int,"
	" EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	"   JOIN iam.role nr ON nr.code = $3 WHERE g.user_id = u.id AND r.kind <> nr.kind)::int"
	" FROM iam.user u WHERE u.id = $1",
	3,
};
static const struct stmt q_pr_insert = {
	"permreq_insert",
	"INSERT INTO iam.permission_request (user_id, role_code, scope_code, reason, created_at)"
	" VALUES ($1, $2, $3, $4, to_timestamp($5::float8 / 1000000)) RETURNING id",
	5,
};
static const struct stmt q_pr_list = {
	"permreq_list",
	"SELECT pr.id, pr.user_id, u.username, pr.role_code, pr.scope_code, pr.reason, pr.status,"
	" coalesce(pr.comment, ''), (extract(epoch FROM pr.created_at) * 1000000)::bigint"
	" FROM iam.permission_request pr JOIN iam.user u ON u.id = pr.user_id"
	" WHERE (pr.user_id = $1 OR EXISTS (SELECT 1 FROM unnest($2::text[]) s WHERE ref.covers(s, pr.scope_code)))"
	" AND ($3 = '' OR pr.status = $3) ORDER BY pr.id DESC LIMIT 200",
	3,
};
static const struct stmt q_pr_get = {
	"permreq_get",
	"SELECT pr.user_id, pr.role_code, pr.scope_code, pr.status, a.division_code"
	" FROM iam.permission_request pr JOIN iam.user u ON u.id = pr.user_id"
	" JOIN iam.agency a ON a.code = u.agency_code WHERE pr.id = $1 FOR UPDATE OF pr",
	1,
};
static const struct stmt q_pr_decide = {
	"permreq_decide",
	"UPDATE iam.permission_request SET status = $2, decided_by = $3, comment = $4,"
	" decided_at = to_timestamp($5::float8 / 1000000) WHERE id = $1 AND status = 'pending'",
	5,
};

static int covers(struct req *r, const char *scope, const char *div)
{
	return r->w->svc->scope_covers(scope, div);
}

int grant_allowed(struct req *r, const struct principal *p, const char *role, const char *scope)
{
	PGresult *rules = db_exec(r, &q_rules, NULL);
	if (rules == NULL)
		return -1;
	for (size_t i = 0; i < p->nperms; i++) {
		const struct auth_perm *ap = &p->perms[i];
		if (strcmp(ap->perm, "role.manage") != 0 || (ap->needs_mfa && !p->mfa))
			continue;
		for (int k = 0; k < PQntuples(rules); k++) {
			if (strcmp(PQgetvalue(rules, k, 0), ap->role) != 0 || strcmp(PQgetvalue(rules, k, 1), role) != 0)
				continue;
			int strict = atoi(PQgetvalue(rules, k, 2));
			if (covers(r, ap->scope, scope) && !(strict && strcmp(ap->scope, scope) == 0))
				return 1;
		}
	}
	return 0;
}

/* GET /api/v1/roles */
void h_roles(struct req *r)
{
	if (auth_require(r, NULL, NULL, 0) == NULL)
		return;
	PGresult *res = db_exec(r, &q_roles, NULL);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(res); i++) {
		yajl_gen_map_open(g);
		jg_str(g, "code", PQgetvalue(res, i, 0));
		jg_str(g, "name", PQgetvalue(res, i, 1));
		jg_bool(g, "needs_mfa", atoi(PQgetvalue(res, i, 2)));
		const char *triad = PQgetvalue(res, i, 3);
		jg_str(g, "triad", triad[0] ? triad : NULL);
		jg_words(g, r->arena, "permissions", PQgetvalue(res, i, 4));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* The target user's division after checking the caller may manage users or
 * roles there; NULL after replying. */
static const char *user_division(struct req *r, const char *uid, const struct principal **pp)
{
	const struct principal *p = auth_require(r, "role.manage", NULL, 0);
	if (p == NULL)
		return NULL;
	const char *params[] = { uid };
	PGresult *res = db_exec(r, &q_user_div, params);
	if (res == NULL)
		return NULL;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "user_not_found", "No user has this id.");
		return NULL;
	}
	const char *div = PQgetvalue(res, 0, 0);
	if (auth_require(r, "role.manage", &div, 1) == NULL)
		return NULL;
	*pp = p;
	return div;
}

/* GET /api/v1/users/{id}/grants */
void h_grants_list(struct req *r)
{
	const struct principal *p;
	if (user_division(r, req_param(r, "id"), &p) == NULL)
		return;
	const char *params[] = { req_param(r, "id") };
	PGresult *res = db_exec(r, &q_grants, params);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(res); i++) {
		yajl_gen_map_open(g);
		jg_int(g, "id", strtoll(PQgetvalue(res, i, 0), NULL, 10));
		jg_str(g, "role", PQgetvalue(res, i, 1));
		jg_str(g, "scope", PQgetvalue(res, i, 2));
		int64_t by = strtoll(PQgetvalue(res, i, 3), NULL, 10);
		if (by)
			jg_int(g, "granted_by", by);
		else
			jg_null(g, "granted_by");
		jg_str(g, "granted_at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 4), NULL, 10)));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* Check role and scope exist and may be granted to a user of division div. */
static int check_grantable(struct req *r, const struct principal *p, const char *role,
			   const char *scope, const char *div)
{
	const char *pr[] = { role }, *ps[] = { scope };
	PGresult *rr = db_exec(r, &q_role_exists, pr), *sr = rr ? db_exec(r, &q_division_exists, ps) : NULL;
	if (sr == NULL)
		return -1;
	if (PQntuples(rr) != 1) {
		valid_reject(r, "invalid_field", "role", "No role has this code.");
		return -1;
	}
	if (PQntuples(sr) != 1) {
		valid_reject(r, "invalid_field", "scope", "No division has this code.");
		return -1;
	}
	if (!covers(r, div, scope)) {
		resp_problem(r, 422, "scope_outside_agency",
			     "A role can be granted only within the user's own agency's division.");
		return -1;
	}
	int ok = grant_allowed(r, p, role, scope);
	if (ok < 0)
		return -1;
	if (!ok) {
		resp_problem(r, 403, "forbidden", "You may not grant this role at this scope.");
		return -1;
	}
	return 0;
}

static void refuse_mix(struct req *r)
{
	resp_problem(r, 409, "admin_and_business_roles",
		     "Administrator accounts hold no case-handling roles, and case-handling accounts no"
		     " administrator roles.");
}

/* Nobody grants to their own account, to an account they made, or to an
 * account they may not manage; roles of the two kinds never meet. role
 * NULL: a decision that grants nothing (only the first and third apply).
 * 0, or -1 after replying. The database's trigger on iam.grant says the
 * same (insert_grant maps its answers). */
static int check_two_people(struct req *r, const struct principal *p, const char *uid, const char *role)
{
	if (strtoll(uid, NULL, 10) == p->user_id) {
		resp_problem(r, 403, "own_account", "Nobody grants or revokes roles of their own account.");
		return -1;
	}
	const char *params[] = { uid, i64str(r, p->user_id), role ? role : "intake_clerk" };
	PGresult *res = db_exec(r, &q_grant_target, params);
	if (res == NULL)
		return -1;
	if (role && strtoll(PQgetvalue(res, 0, 0), NULL, 10) == p->user_id) {
		resp_problem(r, 403, "creator_may_not_grant",
			     "Whoever made an account does not give it roles: another administrator does.");
		return -1;
	}
	if (atoi(PQgetvalue(res, 0, 1)) != 1) {
		resp_problem(r, 403, "higher_account",
			     "You manage only accounts whose every role you could grant yourself, below your level"
			     " for administrator roles.");
		return -1;
	}
	if (role && atoi(PQgetvalue(res, 0, 2))) {
		refuse_mix(r);
		return -1;
	}
	return 0;
}

static int insert_grant(struct req *r, const struct principal *p, const char *uid, const char *role,
			const char *scope, const char **grant_id)
{
	const char *params[] = { uid, role, scope, i64str(r, p->user_id) };
	const char *state;
	PGresult *res = db_exec_try(r, &q_grant_insert, params, &state);
	if (res == NULL) {
		if (state && strcmp(state, "23505") == 0)
			resp_problem(r, 409, "grant_exists", "The user already holds this role at this scope.");
		else if (state && strcmp(state, "23P01") == 0)
			resp_problem(r, 409, "separation_of_duties",
				     "No user may hold two of system administrator, security administrator and auditor.");
		else if (state && strcmp(state, "TBS01") == 0)
			resp_problem(r, 403, "own_account", "Nobody grants or revokes roles of their own account.");
		else if (state && strcmp(state, "TBS02") == 0)
			resp_problem(r, 403, "creator_may_not_grant",
				     "Whoever made an account does not give it roles: another administrator does.");
		else if (state && strcmp(state, "TBS03") == 0)
			resp_problem(r, 403, "forbidden", "You may not grant this role at this scope.");
		else if (state && strcmp(state, "TBS04") == 0)
			refuse_mix(r);
		else if (state && strcmp(state, "TBS05") == 0)
			resp_problem(r, 403, "higher_account",
				     "You manage only accounts whose every role you could grant yourself, below your"
				     " level for administrator roles.");
		else if (state)
			resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	*grant_id = PQgetvalue(res, 0, 0);
	return audit_write(r, p, "grant.create", "grant", *grant_id, "success",
			   json_pairs(r, "user_id", uid, "role", arena_printf(r->arena, "%s@%s", role, scope)));
}

static void gen_grant(struct req *r, const char *id, const char *uid, const char *role, const char *scope)
{
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", strtoll(id, NULL, 10));
	jg_int(g, "user_id", strtoll(uid, NULL, 10));
	jg_str(g, "role", role);
	jg_str(g, "scope", scope);
	yajl_gen_map_close(g);
}

/* POST /api/v1/users/{id}/grants {"role", "scope"} */
void h_grant_create(struct req *r)
{
	static const struct field spec[] = {
		{ "role", V_STRING, 1, 1, 32, NULL },
		{ "scope", V_STRING, 1, 6, 6, valid_digits6 },
	};
	struct fval v[2];
	const struct principal *p;
	const char *uid = req_param(r, "id");
	const char *div = user_division(r, uid, &p);
	if (div == NULL)
		return;
	if (valid_body(r, spec, 2, v) != 0)
		return;
	const char *gid;
	if (check_grantable(r, p, v[0].s, v[1].s, div) != 0 || check_two_people(r, p, uid, v[0].s) != 0 ||
	    db_begin(r) != 0 ||
	    insert_grant(r, p, uid, v[0].s, v[1].s, &gid) != 0 || db_commit(r) != 0)
		return;
	auth_forget_user(r, strtoll(uid, NULL, 10));
	gen_grant(r, gid, uid, v[0].s, v[1].s);
	resp_json(r, 201);
}

/* DELETE /api/v1/grants/{id}: revoking needs the authority to grant it. */
void h_grant_delete(struct req *r)
{
	const struct principal *p = auth_require(r, "role.manage", NULL, 0);
	if (p == NULL)
		return;
	const char *id = req_param(r, "id");
	const char *params[] = { id };
	PGresult *res = db_exec(r, &q_grant_get, params);
	if (res == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "grant_not_found", "No grant has this id.");
		return;
	}
	const char *uid = PQgetvalue(res, 0, 0), *role = PQgetvalue(res, 0, 1), *scope = PQgetvalue(res, 0, 2);
	const char *div = PQgetvalue(res, 0, 3);
	if (auth_require(r, "role.manage", &div, 1) == NULL)
		return;
	if (check_two_people(r, p, uid, NULL) != 0)
		return;
	int ok = grant_allowed(r, p, role, scope);
	if (ok <= 0) {
		if (ok == 0)
			resp_problem(r, 403, "forbidden", "You may not revoke this role at this scope.");
		return;
	}
	if (db_begin(r) != 0 || db_exec(r, &q_grant_delete, params) == NULL ||
	    audit_write(r, p, "grant.delete", "grant", id, "success",
			json_pairs(r, "user_id", uid, "role", arena_printf(r->arena, "%s@%s", role, scope))) != 0 ||
	    db_commit(r) != 0)
		return;
	auth_forget_user(r, strtoll(uid, NULL, 10));
	resp_raw(r, 204, NULL, NULL, 0);
}

/* POST /api/v1/permission-requests {"role", "scope", "reason"}: anyone with
 * a session asks for a role within their agency's division. */
void h_permreq_create(struct req *r)
{
	static const struct field spec[] = {
		{ "role", V_STRING, 1, 1, 32, NULL },
		{ "scope", V_STRING, 1, 6, 6, valid_digits6 },
		{ "reason", V_STRING, 1, 1, 500, NULL },
	};
	struct fval v[3];
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	if (valid_body(r, spec, 3, v) != 0)
		return;
	const char *pr[] = { v[0].s }, *ps[] = { v[1].s };
	PGresult *rr = db_exec(r, &q_role_exists, pr), *sr = rr ? db_exec(r, &q_division_exists, ps) : NULL;
	if (sr == NULL)
		return;
	if (PQntuples(rr) != 1 || PQntuples(sr) != 1) {
		valid_reject(r, "invalid_field", PQntuples(rr) != 1 ? "role" : "scope", "is unknown.");
		return;
	}
	if (!covers(r, p->division_code, v[1].s)) {
		resp_problem(r, 422, "scope_outside_agency", "Ask only for roles within your agency's division.");
		return;
	}
	const char *pt[] = { i64str(r, p->user_id), "0", v[0].s };
	PGresult *tr = db_exec(r, &q_grant_target, pt);
	if (tr == NULL)
		return;
	if (atoi(PQgetvalue(tr, 0, 2))) {
		refuse_mix(r);
		return;
	}
	const char *params[] = { i64str(r, p->user_id), v[0].s, v[1].s, v[2].s, i64str(r, req_now_us(r)) };
	if (db_begin(r) != 0)
		return;
	PGresult *res = db_exec_unique(r, &q_pr_insert, params, "request_pending",
					"You already asked for this role at this scope.");
	if (res == NULL)
		return;
	const char *id = PQgetvalue(res, 0, 0);
	if (audit_write(r, p, "permission_request.create", "permission_request", id, "success",
			json_pairs(r, "role", v[0].s, "scope", v[1].s)) != 0 ||
	    db_commit(r) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", strtoll(id, NULL, 10));
	jg_str(g, "role", v[0].s);
	jg_str(g, "scope", v[1].s);
	jg_str(g, "status", "pending");
	yajl_gen_map_close(g);
	resp_json(r, 201);
}

/* GET /api/v1/permission-requests?status=: one's own, and those one could decide */
void h_permreq_list(struct req *r)
{
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	const char *status = req_query(r, "status");
	if (status && strcmp(status, "pending") && strcmp(status, "approved") && strcmp(status, "rejected")) {
		resp_problem(r, 400, "invalid_parameter", "status must be pending, approved or rejected.");
		return;
	}
	const char *params[] = { i64str(r, p->user_id), scope_array(r, p, "role.manage"), status ? status : "" };
	PGresult *res = db_exec(r, &q_pr_list, params);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(res); i++) {
		yajl_gen_map_open(g);
		jg_int(g, "id", strtoll(PQgetvalue(res, i, 0), NULL, 10));
		jg_int(g, "user_id", strtoll(PQgetvalue(res, i, 1), NULL, 10));
		jg_str(g, "username", PQgetvalue(res, i, 2));
		jg_str(g, "role", PQgetvalue(res, i, 3));
		jg_str(g, "scope", PQgetvalue(res, i, 4));
		jg_str(g, "reason", PQgetvalue(res, i, 5));
		jg_str(g, "status", PQgetvalue(res, i, 6));
		const char *c = PQgetvalue(res, i, 7);
		jg_str(g, "comment", c[0] ? c : NULL);
		jg_str(g, "created_at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 8), NULL, 10)));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/permission-requests/{id}/{approve|reject} {"comment"?}:
 * decided by someone who may grant that role there — never the applicant. */
void h_permreq_decide(struct req *r)
{
	static const struct field spec[] = { { "comment", V_STRING, 0, 0, 500, NULL } };
	struct fval v[1];
	const char *decision = req_param(r, "decision");
	int approve = strcmp(decision, "approve") == 0;
	if (!approve && strcmp(decision, "reject") != 0) {
		resp_problem(r, 404, "not_found", "No such resource.");
		return;
	}
	const struct principal *p = auth_require(r, "role.manage", NULL, 0);
	if (p == NULL)
		return;
	const struct json *body = r->body_len ? req_json_object(r) : NULL;
	if (r->body_len && (body == NULL || valid_fields(r, body, spec, 1, v) != 0))
		return;
	if (!r->body_len)
		memset(v, 0, sizeof(v));
	const char *id = req_param(r, "id");
	const char *params[] = { id };
	PGresult *res;
	if (db_begin(r) != 0 || (res = db_exec(r, &q_pr_get, params)) == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "request_not_found", "No permission request has this id.");
		return;
	}
	const char *uid = PQgetvalue(res, 0, 0), *role = PQgetvalue(res, 0, 1), *scope = PQgetvalue(res, 0, 2);
	const char *div = PQgetvalue(res, 0, 4);
	if (auth_require(r, "role.manage", &div, 1) == NULL)
		return;
	if (strtoll(uid, NULL, 10) == p->user_id) {
		resp_problem(r, 403, "own_request", "Nobody decides their own request.");
		return;
	}
	int ok = grant_allowed(r, p, role, scope);
	if (ok <= 0) {
		if (ok == 0)
			resp_problem(r, 403, "forbidden", "You may not grant this role at this scope.");
		return;
	}
	if (check_two_people(r, p, uid, approve ? role : NULL) != 0)
		return;
	if (strcmp(PQgetvalue(res, 0, 3), "pending") != 0) {
		resp_problem(r, 409, "already_decided", "This request has been decided.");
		return;
	}
	const char *pd[] = { id, approve ? "approved" : "rejected", i64str(r, p->user_id),
			     v[0].present ? v[0].s : NULL, i64str(r, req_now_us(r)) };
	const char *gid = NULL;
	if (db_exec(r, &q_pr_decide, pd) == NULL ||
	    (approve && insert_grant(r, p, uid, role, scope, &gid) != 0) ||
	    audit_write(r, p, approve ? "permission_request.approve" : "permission_request.reject",
			"permission_request", id, "success", json_pairs(r, "role", role, "scope", scope)) != 0 ||
	    db_commit(r) != 0)
		return;
	if (approve)
		auth_forget_user(r, strtoll(uid, NULL, 10));
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", strtoll(id, NULL, 10));
	jg_str(g, "status", approve ? "approved" : "rejected");
	if (gid)
		jg_int(g, "grant_id", strtoll(gid, NULL, 10));
	else
		jg_null(g, "grant_id");
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
