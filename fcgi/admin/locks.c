/* Log-in locks (iam.login_throttle, written by h_login): administrators who
 * keep accounts (user.manage) or grant their roles (role.manage) over the
 * account's division see the locks of accounts and lift them — audited,
 * never on their own account, never on an equal or higher one. Locks on
 * names that are no account are not listed: they hold nobody back. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

#define Q_LOCKS(P, C)                                                                            \
	P(scopes, TEXT) P(now_us, I64)                                                               \
	C(id, I64) C(user_id, I64) C(username, TEXT) C(source, TEXT) C(failures, INT) C(locked_until, I64) \
	C(last_at, I64)
DB_QUERY(login_locks, Q_LOCKS,
	 "SELECT t.id, t.user_id, u.username, t.source, t.failures,"
	 " (extract(epoch FROM t.locked_until) * 1000000)::bigint,"
	 " (extract(epoch FROM t.last_at) * 1000000)::bigint"
	 " FROM iam.login_throttle t JOIN iam.user u ON u.id = t.user_id JOIN iam.agency a ON a.code = u.agency_code"
	 " WHERE t.locked_until > to_timestamp($2::float8 / 1000000)"
	 " AND EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE ref.covers(s, a.division_code))"
	 " ORDER BY t.id LIMIT 200");
#define Q_LOCK_GET(P, C) P(id, I64) C(user_id, I64) C(source, TEXT) C(division_code, TEXT)
DB_QUERY(login_lock_get, Q_LOCK_GET,
	 "SELECT t.user_id, t.source, a.division_code FROM iam.login_throttle t JOIN iam.user u ON u.id = t.user_id"
	 " JOIN iam.agency a ON a.code = u.agency_code WHERE t.id = $1 FOR UPDATE OF t");
#define Q_LOCK_DELETE(P, C) P(id, I64)
DB_QUERY(login_lock_delete, Q_LOCK_DELETE, "DELETE FROM iam.login_throttle WHERE id = $1");

/* The scopes of user.manage and role.manage together, as one text[] literal. */
static char *manager_scopes(struct req *r, const struct principal *p)
{
	const char *a = auth_scope_array(r, p, "user.manage"), *b = auth_scope_array(r, p, "role.manage");
	if (a == NULL || b == NULL)
		return NULL;
	if (strcmp(a, "{}") == 0)
		return (char *)b;
	if (strcmp(b, "{}") == 0)
		return (char *)a;
	return arena_printf(r->arena, "%.*s,%s", (int)strlen(a) - 1, a, b + 1);
}

static const struct jcol lock_cols[] = {
	JCOL_INT("id", struct login_locks_row, id),
	JCOL_INT("user_id", struct login_locks_row, user_id),
	JCOL_STR("username", struct login_locks_row, username),
	JCOL_STR("source", struct login_locks_row, source),
	JCOL_INT32("failures", struct login_locks_row, failures),
	JCOL_TIME("locked_until", struct login_locks_row, locked_until),
	JCOL_TIME("last_failure_at", struct login_locks_row, last_at),
	JCOL_END,
};

/* GET /api/v1/auth/login-locks (a session; user.manage or role.manage):
 * the locked (account, source) pairs in one's scope */
void h_login_locks(struct req *r)
{
	const struct principal *p = auth_session(r);
	if (!auth_allows(r, p, "user.manage", NULL) && !auth_allows(r, p, "role.manage", NULL)) {
		(void)auth_require(r, "user.manage", NULL, 0); /* replies (and audits) the refusal */
		return;
	}
	const char *scopes = manager_scopes(r, p);
	if (scopes == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	struct login_locks_row *rows;
	int n = login_locks_run(r, &(struct login_locks_in){ .scopes = scopes, .now_us = req_now_us(r) }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), lock_cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* DELETE /api/v1/auth/login-locks/{id} (a session): lift one lock (and
 * forget its failures) */
void h_login_lock_lift(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = strtoll(req_param(r, "id"), NULL, 10);
	struct login_lock_get_row *lk;
	int n;
	if (db_begin(r) != 0 || (n = login_lock_get_run(r, &(struct login_lock_get_in){ .id = id }, &lk)) < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "lock_not_found", "No log-in lock of an account has this id.");
		return;
	}
	const char *div = lk->division_code;
	const char *perm = auth_allows(r, p, "user.manage", div) ? "user.manage"
			   : auth_allows(r, p, "role.manage", div) ? "role.manage" : NULL;
	if (perm == NULL) {
		(void)auth_require(r, "user.manage", &div, 1); /* replies (and audits) the refusal */
		return;
	}
	if (require_manageable(r, p, lk->user_id, perm) != 0)
		return;
	if (login_lock_delete_run(r, &(struct login_lock_delete_in){ .id = id }, NULL) < 0 ||
	    auth_audit(r, p, "auth.login.unlock", "user", req_i64str(r, lk->user_id), "success",
			json_pairs(r->arena, "source", lk->source, NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	resp_raw(r, 204, NULL, NULL, 0);
}
