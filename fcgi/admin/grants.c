/* Roles, grants and permission requests (账号权限申请). Who may grant what
 * is data (iam.role_grant_rule): a holder of role.manage through role G at
 * scope S may grant role R at scope T when a rule (G, R) exists, S covers T
 * (strictly, for administrator roles) and S covers the user's division. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

#define Q_ROLES(P, C) C(code, TEXT) C(name, TEXT) C(needs_mfa, BOOL) C(triad, TEXT) C(permissions, TEXT)
DB_QUERY(roles, Q_ROLES,
	 "SELECT r.code, r.name, r.needs_mfa, r.triad,"
	 " coalesce(string_agg(rp.permission_code, ' ' ORDER BY rp.permission_code), '')"
	 " FROM iam.role r LEFT JOIN iam.role_permission rp ON rp.role_code = r.code"
	 " GROUP BY r.code ORDER BY r.code");
#define Q_RULES(P, C) C(granter_role, TEXT) C(role, TEXT) C(strictly_below, BOOL)
DB_QUERY(grant_rules, Q_RULES, "SELECT granter_role, role_code, strictly_below FROM iam.role_grant_rule");
#define Q_USER_DIV(P, C) P(user_id, I64) C(division_code, TEXT)
DB_QUERY(grant_user_div, Q_USER_DIV,
	 "SELECT a.division_code FROM iam.user u JOIN iam.agency a ON a.code = u.agency_code WHERE u.id = $1");
#define Q_GRANTS(P, C)                                                                           \
	P(user_id, I64) C(id, I64) C(role, TEXT) C(scope, TEXT) C(granted_by, I64) C(granted_at, I64)
DB_QUERY(grants_of_user, Q_GRANTS,
	 "SELECT g.id, g.role_code, g.scope_code, coalesce(g.granted_by, 0),"
	 " (extract(epoch FROM g.granted_at) * 1000000)::bigint FROM iam.grant g WHERE g.user_id = $1 ORDER BY g.id");
#define Q_GRANT_INSERT(P, C) P(user_id, I64) P(role, TEXT) P(scope, TEXT) P(granted_by, I64) C(id, I64)
DB_QUERY(grant_insert, Q_GRANT_INSERT,
	 "INSERT INTO iam.grant (user_id, role_code, scope_code, granted_by) VALUES ($1, $2, $3, $4) RETURNING id");
#define Q_GRANT_GET(P, C) P(id, I64) C(user_id, I64) C(role, TEXT) C(scope, TEXT) C(division_code, TEXT)
DB_QUERY(grant_get, Q_GRANT_GET,
	 "SELECT g.user_id, g.role_code, g.scope_code, a.division_code FROM iam.grant g"
	 " JOIN iam.user u ON u.id = g.user_id JOIN iam.agency a ON a.code = u.agency_code WHERE g.id = $1");
#define Q_GRANT_DELETE(P, C) P(id, I64)
DB_QUERY(grant_delete, Q_GRANT_DELETE, "DELETE FROM iam.grant WHERE id = $1");
DB_QUERY_DEF(division_exists, Q_DIVISION_EXISTS, "SELECT 1 FROM ref.division WHERE code = $1");
#define Q_ROLE_EXISTS(P, C) P(code, TEXT) C(one, INT)
DB_QUERY(grant_role_exists, Q_ROLE_EXISTS, "SELECT 1 FROM iam.role WHERE code = $1");
/* For the two-person rules: who made the account, whether the caller may
 * manage it, and whether the role would mix administrator and
 * case-handling roles on it. */
#define Q_GRANT_TARGET(P, C)                                                                     \
	P(user_id, I64) P(manager, I64) P(role, TEXT) C(created_by, I64) C(may_manage, BOOL) C(mixes, BOOL)
DB_QUERY(grant_target, Q_GRANT_TARGET,
	 "SELECT coalesce(u.created_by, 0), coalesce(iam.may_manage($2, u.id, 'role.manage'), false),"
	 " EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	 "   JOIN iam.role nr ON nr.code = $3 WHERE g.user_id = u.id AND r.kind <> nr.kind)"
	 " FROM iam.user u WHERE u.id = $1");
#define Q_PR_INSERT(P, C)                                                                        \
	P(user_id, I64) P(role, TEXT) P(scope, TEXT) P(reason, TEXT) P(created_us, I64) C(id, I64)
DB_QUERY(permreq_insert, Q_PR_INSERT,
	 "INSERT INTO iam.permission_request (user_id, role_code, scope_code, reason, created_at)"
	 " VALUES ($1, $2, $3, $4, to_timestamp($5::float8 / 1000000)) RETURNING id");
/* status NULL: every status */
#define Q_PR_LIST(P, C)                                                                          \
	P(user_id, I64) P(scopes, TEXT) P(status, TEXT)                                              \
	C(id, I64) C(user_id, I64) C(username, TEXT) C(role, TEXT) C(scope, TEXT) C(reason, TEXT)       \
	C(status, TEXT) C(comment, TEXT) C(created_at, I64)
DB_QUERY(permreq_list, Q_PR_LIST,
	 "SELECT pr.id, pr.user_id, u.username, pr.role_code, pr.scope_code, pr.reason, pr.status,"
	 " pr.comment, (extract(epoch FROM pr.created_at) * 1000000)::bigint"
	 " FROM iam.permission_request pr JOIN iam.user u ON u.id = pr.user_id"
	 " WHERE (pr.user_id = $1 OR EXISTS (SELECT 1 FROM unnest($2::text[]) s WHERE ref.covers(s, pr.scope_code)))"
	 " AND ($3::text IS NULL OR pr.status = $3) ORDER BY pr.id DESC LIMIT 200");
#define Q_PR_GET(P, C)                                                                           \
	P(id, I64) C(user_id, I64) C(role, TEXT) C(scope, TEXT) C(status, TEXT) C(division_code, TEXT)
DB_QUERY(permreq_get, Q_PR_GET,
	 "SELECT pr.user_id, pr.role_code, pr.scope_code, pr.status, a.division_code"
	 " FROM iam.permission_request pr JOIN iam.user u ON u.id = pr.user_id"
	 " JOIN iam.agency a ON a.code = u.agency_code WHERE pr.id = $1 FOR UPDATE OF pr");
#define Q_PR_DECIDE(P, C) P(id, I64) P(status, TEXT) P(decided_by, I64) P(comment, TEXT) P(decided_us, I64)
DB_QUERY(permreq_decide, Q_PR_DECIDE,
	 "UPDATE iam.permission_request SET status = $2, decided_by = $3, comment = $4,"
	 " decided_at = to_timestamp($5::float8 / 1000000) WHERE id = $1 AND status = 'pending'");

static int covers(struct req *r, const char *scope, const char *div)
{
	return r->w->svc->scope_covers(scope, div);
}

int grant_allowed(struct req *r, const struct principal *p, const char *role, const char *scope)
{
	struct grant_rules_row *rules;
	int n = grant_rules_run(r, &(struct grant_rules_in){ 0 }, &rules);
	if (n < 0)
		return -1;
	for (size_t i = 0; i < p->nperms; i++) {
		const struct auth_perm *ap = &p->perms[i];
		if (strcmp(ap->perm, "role.manage") != 0 || (ap->needs_mfa && !p->mfa))
			continue;
		for (int k = 0; k < n; k++) {
			if (strcmp(rules[k].granter_role, ap->role) != 0 || strcmp(rules[k].role, role) != 0)
				continue;
			if (covers(r, ap->scope, scope) && !(rules[k].strictly_below && strcmp(ap->scope, scope) == 0))
				return 1;
		}
	}
	return 0;
}

static const struct jcol role_cols[] = {
	JCOL_STR("code", struct roles_row, code),
	JCOL_STR("name", struct roles_row, name),
	JCOL_BOOL("needs_mfa", struct roles_row, needs_mfa),
	JCOL_STR_NE("triad", struct roles_row, triad),
	JCOL_WORDS("permissions", struct roles_row, permissions),
	JCOL_END,
};

/* GET /api/v1/roles (any session) */
void h_roles(struct req *r)
{
	struct roles_row *rows;
	int n = roles_run(r, &(struct roles_in){ 0 }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), role_cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* The target user's division after checking the caller may manage roles
 * there (the route asked for role.manage somewhere); NULL after replying. */
static const char *user_division(struct req *r, int64_t uid)
{
	struct grant_user_div_row *u;
	int n = grant_user_div_run(r, &(struct grant_user_div_in){ .user_id = uid }, &u);
	if (n < 0)
		return NULL;
	if (n != 1) {
		resp_problem(r, 404, "user_not_found", "No user has this id.");
		return NULL;
	}
	const char *div = u->division_code;
	if (auth_require(r, "role.manage", &div, 1) == NULL)
		return NULL;
	return div;
}

/* a grant (granted_by null when the platform granted it) */
static const struct jcol grant_cols[] = {
	JCOL_INT("id", struct grants_of_user_row, id),
	JCOL_STR("role", struct grants_of_user_row, role),
	JCOL_STR("scope", struct grants_of_user_row, scope),
	JCOL_ID("granted_by", struct grants_of_user_row, granted_by),
	JCOL_TIME("granted_at", struct grants_of_user_row, granted_at),
	JCOL_END,
};

/* GET /api/v1/users/{id}/grants (role.manage over the user's division) */
void h_grants_list(struct req *r)
{
	int64_t uid = strtoll(req_param(r, "id"), NULL, 10);
	if (user_division(r, uid) == NULL)
		return;
	struct grants_of_user_row *rows;
	int n = grants_of_user_run(r, &(struct grants_of_user_in){ .user_id = uid }, &rows);
	if (n < 0)
		return;
	list_reply_all(r, rows, (size_t)n, sizeof(*rows), grant_cols);
}

/* Do role and scope exist? 0, or -1 after replying (invalid_field naming
 * the unknown one, with detail_role / detail_scope). */
static int check_known(struct req *r, const char *role, const char *scope, const char *detail_role,
		       const char *detail_scope)
{
	int nr = grant_role_exists_run(r, &(struct grant_role_exists_in){ .code = role }, NULL);
	int ns = nr < 0 ? -1 : division_exists_run(r, &(struct division_exists_in){ .code = scope }, NULL);
	if (ns < 0)
		return -1;
	if (nr != 1 || ns != 1) {
		valid_reject(r, "invalid_field", nr != 1 ? "role" : "scope", nr != 1 ? detail_role : detail_scope);
		return -1;
	}
	return 0;
}

/* Check role and scope exist and may be granted to a user of division div. */
static int check_grantable(struct req *r, const struct principal *p, const char *role,
			   const char *scope, const char *div)
{
	if (check_known(r, role, scope, "No role has this code.", "No division has this code.") != 0)
		return -1;
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
static int check_two_people(struct req *r, const struct principal *p, int64_t uid, const char *role)
{
	if (uid == p->user_id) {
		resp_problem(r, 403, "own_account", "Nobody grants or revokes roles of their own account.");
		return -1;
	}
	struct grant_target_row *t;
	int n = grant_target_run(
		r, &(struct grant_target_in){ .user_id = uid, .manager = p->user_id, .role = role ? role : "intake_clerk" },
		&t);
	if (n < 0)
		return -1;
	if (n != 1) {
		resp_problem(r, 404, "user_not_found", "No user has this id.");
		return -1;
	}
	if (role && t->created_by == p->user_id) {
		resp_problem(r, 403, "creator_may_not_grant",
			     "Whoever made an account does not give it roles: another administrator does.");
		return -1;
	}
	if (!t->may_manage) {
		resp_problem(r, 403, "higher_account",
			     "You manage only accounts whose every role you could grant yourself, below your level"
			     " for administrator roles.");
		return -1;
	}
	if (role && t->mixes) {
		refuse_mix(r);
		return -1;
	}
	return 0;
}

/* The answers to the database's refusals of a grant (sqlstate). */
static void grant_refused(struct req *r, const char *state)
{
	static const struct {
		const char *state;
		int status;
		const char *code, *detail;
	} answers[] = {
		{ "23505", 409, "grant_exists", "The user already holds this role at this scope." },
		{ "23P01", 409, "separation_of_duties",
		  "No user may hold two of system administrator, security administrator and auditor." },
		{ "TBS01", 403, "own_account", "Nobody grants or revokes roles of their own account." },
		{ "TBS02", 403, "creator_may_not_grant",
		  "Whoever made an account does not give it roles: another administrator does." },
		{ "TBS03", 403, "forbidden", "You may not grant this role at this scope." },
		{ "TBS04", 409, "admin_and_business_roles",
		  "Administrator accounts hold no case-handling roles, and case-handling accounts no"
		  " administrator roles." },
		{ "TBS05", 403, "higher_account",
		  "You manage only accounts whose every role you could grant yourself, below your"
		  " level for administrator roles." },
	};
	for (size_t i = 0; i < NELEM(answers); i++)
		if (strcmp(state, answers[i].state) == 0) {
			resp_problem(r, answers[i].status, answers[i].code, answers[i].detail);
			return;
		}
	resp_problem(r, 500, "internal", "The server could not complete the request.");
}

static int insert_grant(struct req *r, const struct principal *p, int64_t uid, const char *role,
			const char *scope, int64_t *grant_id)
{
	const char *state;
	struct grant_insert_row *g;
	if (grant_insert_try(r,
			     &(struct grant_insert_in){ .user_id = uid, .role = role, .scope = scope,
							.granted_by = p->user_id },
			     &g, &state) < 0) {
		if (state)
			grant_refused(r, state);
		return -1;
	}
	*grant_id = g->id;
	return auth_audit(r, p, "grant.create", "grant", req_i64str(r, g->id), "success",
			   json_pairs(r->arena, "user_id", req_i64str(r, uid), "role", arena_printf(r->arena, "%s@%s", role, scope)));
}

/* POST /api/v1/users/{id}/grants {"role", "scope"} (role.manage over the
 * user's division) */
void h_grant_create(struct req *r)
{
	enum { F_ROLE, F_SCOPE };
	static const struct field spec[] = {
		[F_ROLE] = { "role", V_STRING, 1, 1, 32, NULL },
		[F_SCOPE] = { "scope", V_STRING, 1, 6, 6, valid_digits6 },
	};
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	int64_t uid = strtoll(req_param(r, "id"), NULL, 10);
	const char *div = user_division(r, uid);
	if (div == NULL)
		return;
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	const char *role = v[F_ROLE].s, *scope = v[F_SCOPE].s;
	int64_t gid;
	if (check_grantable(r, p, role, scope, div) != 0 || check_two_people(r, p, uid, role) != 0 ||
	    db_begin(r) != 0 || insert_grant(r, p, uid, role, scope, &gid) != 0 || db_commit(r) != 0)
		return;
	auth_forget_user(r, uid);
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", gid);
	jg_int(g, "user_id", uid);
	jg_str(g, "role", role);
	jg_str(g, "scope", scope);
	yajl_gen_map_close(g);
	resp_json(r, 201);
}

/* DELETE /api/v1/grants/{id} (role.manage over the user's division):
 * revoking needs the authority to grant it. */
void h_grant_delete(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = strtoll(req_param(r, "id"), NULL, 10);
	struct grant_get_row *gr;
	int n = grant_get_run(r, &(struct grant_get_in){ .id = id }, &gr);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "grant_not_found", "No grant has this id.");
		return;
	}
	const char *div = gr->division_code;
	if (auth_require(r, "role.manage", &div, 1) == NULL)
		return;
	if (check_two_people(r, p, gr->user_id, NULL) != 0)
		return;
	int ok = grant_allowed(r, p, gr->role, gr->scope);
	if (ok <= 0) {
		if (ok == 0)
			resp_problem(r, 403, "forbidden", "You may not revoke this role at this scope.");
		return;
	}
	if (db_begin(r) != 0 || grant_delete_run(r, &(struct grant_delete_in){ .id = id }, NULL) < 0 ||
	    auth_audit(r, p, "grant.delete", "grant", req_i64str(r, id), "success",
			json_pairs(r->arena, "user_id", req_i64str(r, gr->user_id), "role",
				   arena_printf(r->arena, "%s@%s", gr->role, gr->scope))) != 0 ||
	    db_commit(r) != 0)
		return;
	auth_forget_user(r, gr->user_id);
	resp_raw(r, 204, NULL, NULL, 0);
}

/* POST /api/v1/permission-requests {"role", "scope", "reason"}: anyone with
 * a session asks for a role within their agency's division. */
void h_permreq_create(struct req *r)
{
	enum { F_ROLE, F_SCOPE, F_REASON };
	static const struct field spec[] = {
		[F_ROLE] = { "role", V_STRING, 1, 1, 32, NULL },
		[F_SCOPE] = { "scope", V_STRING, 1, 6, 6, valid_digits6 },
		[F_REASON] = { "reason", V_STRING, 1, 1, 500, NULL },
	};
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	const char *role = v[F_ROLE].s, *scope = v[F_SCOPE].s;
	if (check_known(r, role, scope, "is unknown.", "is unknown.") != 0)
		return;
	if (!covers(r, p->division_code, scope)) {
		resp_problem(r, 422, "scope_outside_agency", "Ask only for roles within your agency's division.");
		return;
	}
	struct grant_target_row *t;
	int n = grant_target_run(r, &(struct grant_target_in){ .user_id = p->user_id, .manager = 0, .role = role },
				 &t);
	if (n < 0)
		return;
	if (n == 1 && t->mixes) {
		refuse_mix(r);
		return;
	}
	if (db_begin(r) != 0)
		return;
	const char *st;
	struct permreq_insert_row *ins;
	if (permreq_insert_try(r,
			       &(struct permreq_insert_in){ .user_id = p->user_id, .role = role, .scope = scope,
							    .reason = v[F_REASON].s, .created_us = req_now_us(r) },
			       &ins, &st) < 0) {
		if (st)
			refuse_unique(r, st, "request_pending", "You already asked for this role at this scope.");
		return;
	}
	if (auth_audit(r, p, "permission_request.create", "permission_request", req_i64str(r, ins->id), "success",
			json_pairs(r->arena, "role", role, "scope", scope)) != 0 ||
	    db_commit(r) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", ins->id);
	jg_str(g, "role", role);
	jg_str(g, "scope", scope);
	jg_str(g, "status", "pending");
	yajl_gen_map_close(g);
	resp_json(r, 201);
}

const struct qkey permreq_query[] = {
	QKEY_ENUM("status", "pending", "approved", "rejected"),
	QKEY_END,
};

static const struct jcol permreq_cols[] = {
	JCOL_INT("id", struct permreq_list_row, id),
	JCOL_INT("user_id", struct permreq_list_row, user_id),
	JCOL_STR("username", struct permreq_list_row, username),
	JCOL_STR("role", struct permreq_list_row, role),
	JCOL_STR("scope", struct permreq_list_row, scope),
	JCOL_STR("reason", struct permreq_list_row, reason),
	JCOL_STR("status", struct permreq_list_row, status),
	JCOL_STR_NE("comment", struct permreq_list_row, comment),
	JCOL_TIME("created_at", struct permreq_list_row, created_at),
	JCOL_END,
};

/* GET /api/v1/permission-requests?status= (a session): one's own, and
 * those one could decide */
void h_permreq_list(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct permreq_list_row *rows;
	int n = permreq_list_run(r,
				 &(struct permreq_list_in){ .user_id = p->user_id,
							    .scopes = auth_scope_array(r, p, "role.manage"),
							    .status = req_query(r, "status") },
				 &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), permreq_cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/permission-requests/{id}/{approve|reject} {"comment"?}
 * (role.manage over the applicant's division): decided by someone who may
 * grant that role there — never the applicant. */
void h_permreq_decide(struct req *r)
{
	enum { F_COMMENT };
	static const struct field spec[] = { [F_COMMENT] = { "comment", V_STRING, 0, 0, 500, NULL } };
	struct fval v[NELEM(spec)];
	memset(v, 0, sizeof(v));
	const char *decision = req_param(r, "decision");
	int approve = strcmp(decision, "approve") == 0;
	if (!approve && strcmp(decision, "reject") != 0) {
		resp_problem(r, 404, "not_found", "No such resource.");
		return;
	}
	const struct principal *p = auth_session(r);
	const struct json *body = r->body_len ? req_json_object(r) : NULL;
	if (r->body_len && (body == NULL || valid_fields(r, body, spec, NELEM(spec), v) != 0))
		return;
	int64_t id = strtoll(req_param(r, "id"), NULL, 10);
	struct permreq_get_row *pr;
	int n;
	if (db_begin(r) != 0 || (n = permreq_get_run(r, &(struct permreq_get_in){ .id = id }, &pr)) < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "request_not_found", "No permission request has this id.");
		return;
	}
	const char *div = pr->division_code;
	if (auth_require(r, "role.manage", &div, 1) == NULL)
		return;
	if (pr->user_id == p->user_id) {
		resp_problem(r, 403, "own_request", "Nobody decides their own request.");
		return;
	}
	int ok = grant_allowed(r, p, pr->role, pr->scope);
	if (ok <= 0) {
		if (ok == 0)
			resp_problem(r, 403, "forbidden", "You may not grant this role at this scope.");
		return;
	}
	if (check_two_people(r, p, pr->user_id, approve ? pr->role : NULL) != 0)
		return;
	if (strcmp(pr->status, "pending") != 0) {
		resp_problem(r, 409, "already_decided", "This request has been decided.");
		return;
	}
	int64_t gid = 0;
	const struct fval *comment = &v[F_COMMENT];
	if (permreq_decide_run(r,
			       &(struct permreq_decide_in){ .id = id, .status = approve ? "approved" : "rejected",
							    .decided_by = p->user_id,
							    .comment = comment->present ? comment->s : NULL,
							    .decided_us = req_now_us(r) },
			       NULL) < 0 ||
	    (approve && insert_grant(r, p, pr->user_id, pr->role, pr->scope, &gid) != 0) ||
	    auth_audit(r, p, approve ? "permission_request.approve" : "permission_request.reject",
			"permission_request", req_i64str(r, id), "success",
			json_pairs(r->arena, "role", pr->role, "scope", pr->scope)) != 0 ||
	    db_commit(r) != 0)
		return;
	if (approve)
		auth_forget_user(r, pr->user_id);
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", id);
	jg_str(g, "status", approve ? "approved" : "rejected");
	if (gid)
		jg_int(g, "grant_id", gid);
	else
		jg_null(g, "grant_id");
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
