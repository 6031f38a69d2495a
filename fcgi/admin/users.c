/* Accounts: an admin manages users only inside the divisions where they
 * hold user.manage; the user's division is read from the database. */
#include <stdlib.h>
#include <string.h>

#include "../core/crypto.h"
#include "../domain/password.h"
#include "admin.h"

#define PAGE_MAX 200

static const struct stmt q_users = {
	"users_list",
	"SELECT " USER_COLUMNS " FROM iam.user u JOIN iam.agency a ON a.code = u.agency_code"
	" WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE ref.covers(s, a.division_code))"
	" AND ($2 = '' OR u.agency_code = $2) AND u.id > $3::bigint ORDER BY u.id LIMIT $4::int",
	4,
};
static const struct stmt q_user = {
	"user_get",
	"SELECT " USER_COLUMNS " FROM iam.user u JOIN iam.agency a ON a.code = u.agency_code WHERE u.id = $1",
	1,
};
static const struct stmt q_agency_div = {
	"agency_division", "SELECT division_code FROM iam.agency WHERE code = $1", 1,
};
static const struct stmt q_user_insert = {
	"user_insert",
	"INSERT INTO iam.user (username, display_name, agency_code, phone, password_hash, created_by,"
	" enrol_code_hash, enrol_code_expires) VALUES ($1, $2, $3, $4, $5, $6, decode($7, 'hex'),"
	" to_timestamp($8::float8 / 1000000)) RETURNING id",
	8,
};
static const struct stmt q_user_update = {
	"user_update",
	"UPDATE iam.user SET display_name = coalesce($3, display_name),"
	" phone = CASE WHEN $4::text IS NULL THEN phone ELSE nullif($4, '') END,"
	" status = coalesce($5, status), updated_at = now(), version = version + 1"
	" WHERE id = $1 AND version = $2::int RETURNING id",
	5,
};
/* An administrator account's second factor goes with its password: the
 * new holder of the password enrols again, with the new enrolment code. */
static const struct stmt q_user_reset = {
	"user_reset",
	"UPDATE iam.user u SET password_hash = $2, must_change_password = true, password_changed_at = now(),"
	" enrol_code_hash = decode($3, 'hex'), enrol_code_expires = to_timestamp($4::float8 / 1000000),"
	" totp_secret = CASE WHEN a.admin THEN NULL ELSE totp_secret END,"
	" totp_secret_legacy = CASE WHEN a.admin THEN NULL ELSE totp_secret_legacy END,"
	" totp_pending = NULL, totp_pending_legacy = NULL,"
	" updated_at = now(), version = version + 1"
	" FROM (SELECT EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	"   WHERE g.user_id = $1 AND r.kind = 'admin') AS admin) a"
	" WHERE u.id = $1 RETURNING a.admin::int",
	4,
};
static const struct stmt q_user_unlock_all = {
	"user_unlock_all", "DELETE FROM iam.login_throttle WHERE user_id = $1", 1,
};
static const struct stmt q_actor = {
	"user_actor", "SELECT set_config('tb.actor', $1, true)", 1,
};
static const struct stmt q_may_manage = {
	"user_may_manage", "SELECT iam.may_manage($1, $2, $3)::int", 3,
};
static const struct stmt q_user_revoke_all = {
	"user_revoke_all",
	"UPDATE iam.session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
	" RETURNING encode(token_hash, 'hex')",
	1,
};

static int is_phone(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return 1; /* "" clears it */
	if (n < 5 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || (s[i] == '+' && i == 0)))
			return 0;
	return 1;
}

static int is_status(const char *s)
{
	return strcmp(s, "active") == 0 || strcmp(s, "disabled") == 0 || strcmp(s, "locked") == 0;
}

/* Drop revoked sessions from the cache (after the commit that revoked them). */
static void forget(struct req *r, PGresult *revoked)
{
	for (int i = 0; revoked && i < PQntuples(revoked); i++)
		auth_forget_token_hash(r, PQgetvalue(revoked, i, 0));
}

/* The user row, after checking perm covers the user's division; NULL after
 * replying (404 unknown, 403 outside the caller's scope). */
static PGresult *user_in_scope(struct req *r, const char *perm, const struct principal **pp)
{
	const struct principal *p = auth_require(r, perm, NULL, 0);
	if (p == NULL)
		return NULL;
	const char *params[] = { req_param(r, "id") };
	PGresult *res = db_exec(r, &q_user, params);
	if (res == NULL)
		return NULL;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "user_not_found", "No user has this id.");
		return NULL;
	}
	const char *div = PQgetvalue(res, 0, 4);
	if (auth_require(r, perm, &div, 1) == NULL)
		return NULL;
	*pp = p;
	return res;
}

int db_set_actor(struct req *r, int64_t uid)
{
	const char *params[] = { i64str(r, uid) };
	return db_exec(r, &q_actor, params) == NULL ? -1 : 0;
}

int require_manageable(struct req *r, const struct principal *p, const char *uid, const char *perm)
{
	if (strtoll(uid, NULL, 10) == p->user_id) {
		resp_problem(r, 403, "own_account",
			     "Nobody manages their own account; use the self-service endpoints under /api/v1/auth.");
		return -1;
	}
	const char *params[] = { i64str(r, p->user_id), uid, perm };
	PGresult *res = db_exec(r, &q_may_manage, params);
	if (res == NULL)
		return -1;
	if (atoi(PQgetvalue(res, 0, 0)) != 1) {
		resp_problem(r, 403, "higher_account",
			     "You manage only accounts whose every role you could grant yourself, below your level"
			     " for administrator roles.");
		return -1;
	}
	return 0;
}

/* GET /api/v1/users?agency=&after=&limit= */
void h_users_list(struct req *r)
{
	const struct principal *p = auth_require(r, "user.manage", NULL, 0);
	if (p == NULL)
		return;
	const char *agency = req_query(r, "agency");
	int64_t lim, aft;
	if (req_query_int(r, "limit", 1, PAGE_MAX, 50, &lim) < 0 || req_query_int(r, "after", 0, INT64_MAX, 0, &aft) < 0 ||
	    (agency && strlen(agency) != 6 && strlen(agency) != 8)) {
		resp_problem(r, 400, "invalid_parameter", "agency, after (an id) or limit (1-200) is malformed.");
		return;
	}
	const char *params[] = { scope_array(r, p, "user.manage"), agency ? agency : "", i64str(r, aft), i64str(r, lim) };
	PGresult *res = db_exec(r, &q_users, params);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	int n = PQntuples(res);
	for (int i = 0; i < n; i++)
		gen_user(r, g, res, i);
	yajl_gen_array_close(g);
	if (n == lim)
		jg_str(g, "next_after", PQgetvalue(res, n - 1, 0));
	else
		jg_null(g, "next_after");
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/users {"username", "display_name", "agency_code", "phone"?,
 * "password"}: the account must change its password at first log-in. */
void h_user_create(struct req *r)
{
	static const struct field spec[] = {
		{ "username", V_STRING, 1, 3, 32, username_valid },
		{ "display_name", V_STRING, 1, 1, 64, NULL },
		{ "agency_code", V_STRING, 1, 6, 8, NULL },
		{ "phone", V_STRING, 0, 0, 20, is_phone },
		{ "password", V_STRING, 1, 1, 1024, NULL },
	};
	struct fval v[5];
	const struct principal *p = auth_require(r, "user.manage", NULL, 0);
	if (p == NULL)
		return;
	if (valid_body(r, spec, 5, v) != 0)
		return;
	enum pw_problem pp = password_policy(v[0].s, v[4].s, v[4].len);
	if (pp != PW_OK) {
		valid_reject(r, "weak_password", "password", password_problem_text(pp));
		return;
	}
	const char *pa[] = { v[2].s };
	PGresult *ar = db_exec(r, &q_agency_div, pa);
	if (ar == NULL)
		return;
	if (PQntuples(ar) != 1) {
		valid_reject(r, "invalid_field", "agency_code", "No agency has this code.");
		return;
	}
	const char *div = PQgetvalue(ar, 0, 0);
	if (auth_require(r, "user.manage", &div, 1) == NULL)
		return;
	char *hash = pw_hash(r->arena, v[4].s, v[4].len, PW_ITERATIONS);
	if (hash == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	char code_hash[65];
	char *code = enrol_code_new(r, code_hash);
	int64_t code_expires = req_now_us(r) + (int64_t)ENROL_CODE_HOURS * 3600 * 1000000;
	if (code == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	const char *pi[] = { v[0].s, v[1].s, v[2].s, v[3].present && v[3].len ? v[3].s : NULL, hash,
			     i64str(r, p->user_id), code_hash, i64str(r, code_expires) };
	if (db_begin(r) != 0)
		return;
	PGresult *res = db_exec_unique(r, &q_user_insert, pi, "username_taken",
					"This username is in use.");
	if (res == NULL)
		return;
	const char *id = PQgetvalue(res, 0, 0);
	if (audit_write(r, p, "user.create", "user", id, "success",
			json_pairs(r, "username", v[0].s, "agency_code", v[2].s)) != 0)
		return;
	const char *pg[] = { id };
	PGresult *ur = db_exec(r, &q_user, pg);
	if (ur == NULL || db_commit(r) != 0)
		return;
	/* the enrolment code is shown this once, to be handed over out of band */
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	gen_user_fields(r, g, ur, 0);
	jg_str(g, "enrolment_code", code);
	jg_str(g, "enrolment_code_expires_at", time_rfc3339(r->arena, code_expires));
	yajl_gen_map_close(g);
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/users/%s", id));
	resp_json(r, 201);
}

/* GET /api/v1/users/{id} */
void h_user_get(struct req *r)
{
	const struct principal *p;
	PGresult *res = user_in_scope(r, "user.manage", &p);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	gen_user(r, g, res, 0);
	resp_json(r, 200);
}

/* PATCH /api/v1/users/{id} {"version", "display_name"?, "phone"?, "status"?} */
void h_user_patch(struct req *r)
{
	static const struct field spec[] = {
		{ "version", V_INT, 1, 1, 1L << 30, NULL },
		{ "display_name", V_STRING, 0, 1, 64, NULL },
		{ "phone", V_STRING, 0, 0, 20, is_phone },
		{ "status", V_STRING, 0, 1, 16, is_status },
	};
	struct fval v[4];
	const struct principal *p;
	PGresult *cur = user_in_scope(r, "user.manage", &p);
	if (cur == NULL)
		return;
	if (valid_body(r, spec, 4, v) != 0)
		return;
	const char *id = req_param(r, "id");
	if (require_manageable(r, p, id, "user.manage") != 0)
		return;
	const char *pu[] = { id, i64str(r, v[0].i), v[1].present ? v[1].s : NULL,
			     v[2].present ? v[2].s : NULL, v[3].present ? v[3].s : NULL };
	PGresult *res;
	if (db_begin(r) != 0 || db_set_actor(r, p->user_id) != 0 || (res = db_exec(r, &q_user_update, pu)) == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 409, "version_conflict", "The user was changed by someone else; reload it.");
		return;
	}
	PGresult *revoked = NULL;
	if (v[3].present && strcmp(v[3].s, "active") != 0) {
		const char *pr[] = { id };
		if ((revoked = db_exec(r, &q_user_revoke_all, pr)) == NULL)
			return;
	}
	if (audit_write(r, p, "user.update", "user", id, "success",
			json_pairs(r, "status", v[3].present ? v[3].s : NULL, NULL, NULL)) != 0)
		return;
	const char *pg[] = { id };
	PGresult *ur = db_exec(r, &q_user, pg);
	if (ur == NULL || db_commit(r) != 0)
		return;
	forget(r, revoked);
	auth_forget_user(r, strtoll(id, NULL, 10));
	yajl_gen g = resp_gen(r);
	gen_user(r, g, ur, 0);
	resp_json(r, 200);
}

/* POST /api/v1/users/{id}/password-reset {"password"}: a temporary password
 * the user must change; every session of the user ends, its log-in locks
 * are lifted, and a new one-time enrolment code is answered (once). An
 * administrator account also loses its second factor: whoever holds the
 * new password enrols again, with that code. */
void h_user_password_reset(struct req *r)
{
	static const struct field spec[] = { { "password", V_STRING, 1, 1, 1024, NULL } };
	struct fval v[1];
	const struct principal *p;
	PGresult *cur = user_in_scope(r, "user.manage", &p);
	if (cur == NULL)
		return;
	if (valid_body(r, spec, 1, v) != 0)
		return;
	const char *id = req_param(r, "id");
	if (require_manageable(r, p, id, "user.manage") != 0)
		return;
	enum pw_problem pp = password_policy(PQgetvalue(cur, 0, 1), v[0].s, v[0].len);
	if (pp != PW_OK) {
		valid_reject(r, "weak_password", "password", password_problem_text(pp));
		return;
	}
	char code_hash[65];
	char *code = enrol_code_new(r, code_hash);
	int64_t code_expires = req_now_us(r) + (int64_t)ENROL_CODE_HOURS * 3600 * 1000000;
	char *hash = pw_hash(r->arena, v[0].s, v[0].len, PW_ITERATIONS);
	if (hash == NULL || code == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	const char *ps[] = { id, hash, code_hash, i64str(r, code_expires) };
	const char *pr[] = { id };
	PGresult *reset, *revoked;
	if (db_begin(r) != 0 || db_set_actor(r, p->user_id) != 0 || (reset = db_exec(r, &q_user_reset, ps)) == NULL ||
	    (revoked = db_exec(r, &q_user_revoke_all, pr)) == NULL || db_exec(r, &q_user_unlock_all, pr) == NULL)
		return;
	int admin = atoi(PQgetvalue(reset, 0, 0));
	if (audit_write(r, p, "user.password.reset", "user", id, "success",
			json_pairs(r, "totp_cleared", admin ? "true" : "false", NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	forget(r, revoked);
	auth_forget_user(r, strtoll(id, NULL, 10));
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "enrolment_code", code);
	jg_str(g, "enrolment_code_expires_at", time_rfc3339(r->arena, code_expires));
	jg_bool(g, "totp_cleared", admin);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
