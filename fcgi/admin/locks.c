/* Log-in locks (iam.login_throttle, written by h_login): administrators who
 * keep accounts (user.manage) or grant their roles (role.manage) over the
 * account's division see the locks of accounts and lift them — audited,
 * never on their own account, never on an equal or higher one. Locks on
 * names that are no account are not listed: they hold nobody back. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static const struct stmt q_locks = {
	"login_locks",
	"SELECT t.id, t.user_id, u.username, t.source, t.failures,"
	" (extract(epoch FROM t.locked_until) * 1000000)::bigint,"
	" (extract(epoch FROM t.last_at) * 1000000)::bigint"
	" FROM iam.login_throttle t JOIN iam.user u ON u.id = t.user_id JOIN iam.agency a ON a.code = u.agency_code"
	" WHERE t.locked_until > to_timestamp($2::float8 / 1000000)"
	" AND EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE ref.covers(s, a.division_code))"
	" ORDER BY t.id LIMIT 200",
	2,
};
static const struct stmt q_lock_get = {
	"login_lock_get",
	"SELECT t.user_id, t.source, a.division_code FROM iam.login_throttle t JOIN iam.user u ON u.id = t.user_id"
	" JOIN iam.agency a ON a.code = u.agency_code WHERE t.id = $1 FOR UPDATE OF t",
	1,
};
static const struct stmt q_lock_delete = {
	"login_lock_delete", "DELETE FROM iam.login_throttle WHERE id = $1", 1,
};

/* The scopes of user.manage and role.manage together, as one text[] literal. */
static char *manager_scopes(struct req *r, const struct principal *p)
{
	const char *a = scope_array(r, p, "user.manage"), *b = scope_array(r, p, "role.manage");
	if (a == NULL || b == NULL)
		return NULL;
	if (strcmp(a, "{}") == 0)
		return (char *)b;
	if (strcmp(b, "{}") == 0)
		return (char *)a;
	return arena_printf(r->arena, "%.*s,%s", (int)strlen(a) - 1, a, b + 1);
}

/* GET /api/v1/auth/login-locks: the locked (account, source) pairs in one's scope */
void h_login_locks(struct req *r)
{
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	if (!auth_allows(r, p, "user.manage", NULL) && !auth_allows(r, p, "role.manage", NULL)) {
		(void)auth_require(r, "user.manage", NULL, 0); /* replies (and audits) the refusal */
		return;
	}
	int64_t now = req_now_us(r);
	const char *params[] = { manager_scopes(r, p), i64str(r, now) };
	if (params[0] == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	PGresult *res = db_exec(r, &q_locks, params);
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
		jg_str(g, "source", PQgetvalue(res, i, 3));
		jg_int(g, "failures", atoll(PQgetvalue(res, i, 4)));
		jg_str(g, "locked_until", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 5), NULL, 10)));
		jg_str(g, "last_failure_at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 6), NULL, 10)));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* DELETE /api/v1/auth/login-locks/{id}: lift one lock (and forget its failures) */
void h_login_lock_lift(struct req *r)
{
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	const char *id = req_param(r, "id");
	const char *params[] = { id };
	PGresult *res;
	if (db_begin(r) != 0 || (res = db_exec(r, &q_lock_get, params)) == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "lock_not_found", "No log-in lock of an account has this id.");
		return;
	}
	const char *uid = PQgetvalue(res, 0, 0), *source = PQgetvalue(res, 0, 1), *div = PQgetvalue(res, 0, 2);
	const char *perm = auth_allows(r, p, "user.manage", div) ? "user.manage"
			   : auth_allows(r, p, "role.manage", div) ? "role.manage" : NULL;
	if (perm == NULL) {
		(void)auth_require(r, "user.manage", &div, 1); /* replies (and audits) the refusal */
		return;
	}
	if (require_manageable(r, p, uid, perm) != 0)
		return;
	if (db_exec(r, &q_lock_delete, params) == NULL ||
	    audit_write(r, p, "auth.login.unlock", "user", uid, "success", json_pairs(r, "source", source, NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	resp_raw(r, 204, NULL, NULL, 0);
}
