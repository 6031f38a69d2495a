/* Query permissions (查询权限管理): which divisions a user may query and
 * how many queries a day. Without a row a user queries inside the scopes of
 * their query.create grants, QPERM_DEFAULT_QUOTA a Beijing day. Kept by
 * whoever holds role.manage over the user's agency — never for oneself;
 * every change is audited. */
#include <stdlib.h>
#include <string.h>

#include "../domain/clock.h"
#include "../domain/division.h"
#include "archive.h"
#include "qperms.h"

#define Q_QP_LIST(P, C)                                                                            \
	P(scopes, TEXT) P(after, I64) P(limit, I64) P(day, TEXT) P(dflt, INT)                       \
	C(id, I64) C(username, TEXT) C(display_name, TEXT) C(agency_code, TEXT) C(divisions, TEXT)  \
	C(configured, BOOL) C(daily_quota, INT) C(used_today, INT) C(updated_at, I64)
DB_QUERY(qp_list, Q_QP_LIST,
	 "SELECT u.id, u.username, u.display_name, u.agency_code, array_to_string(qp.divisions, ' '),"
	 " qp.user_id IS NOT NULL, coalesce(qp.daily_quota, $5),"
	 " coalesce((SELECT q.used FROM qry.quota_use q WHERE q.user_id = u.id AND q.day = $4::date), 0),"
	 " coalesce((extract(epoch FROM qp.updated_at) * 1000000)::bigint, 0)"
	 " FROM iam.user u JOIN iam.agency a ON a.code = u.agency_code"
	 " LEFT JOIN qry.permission qp ON qp.user_id = u.id"
	 " WHERE u.id > $2 AND EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE ref.covers(s, a.division_code))"
	 " AND EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role_permission rp ON rp.role_code = g.role_code"
	 "  WHERE g.user_id = u.id AND rp.permission_code = 'query.create')"
	 " ORDER BY u.id LIMIT $3");
#define Q_QP_USER(P, C) P(id, I64) C(division, TEXT)
DB_QUERY(qp_user, Q_QP_USER,
	 "SELECT a.division_code FROM iam.user u JOIN iam.agency a ON a.code = u.agency_code WHERE u.id = $1");
#define Q_QP_DIVS(P, C) P(codes, TEXT) C(n, I64)
DB_QUERY(qp_divs, Q_QP_DIVS, "SELECT count(*) FROM ref.division WHERE code = ANY($1::text[])");
#define Q_QP_PUT(P, C) P(user_id, I64) P(divisions, TEXT) P(quota, INT) P(by, I64) P(now_us, I64)
DB_QUERY(qp_put, Q_QP_PUT,
	 "INSERT INTO qry.permission (user_id, divisions, daily_quota, updated_by, updated_at)"
	 " VALUES ($1, $2::text[], $3, $4, to_timestamp($5::float8 / 1000000))"
	 " ON CONFLICT (user_id) DO UPDATE SET divisions = EXCLUDED.divisions,"
	 " daily_quota = EXCLUDED.daily_quota, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at");
#define Q_QP_OF(P, C) P(user_id, I64) C(divisions, TEXT) C(daily_quota, INT)
DB_QUERY(qp_of, Q_QP_OF,
	 "SELECT array_to_string(divisions, ','), daily_quota FROM qry.permission WHERE user_id = $1");

static const struct jcol qp_cols[] = {
	JCOL_INT("user_id", struct qp_list_row, id),
	JCOL_STR("username", struct qp_list_row, username),
	JCOL_STR("display_name", struct qp_list_row, display_name),
	JCOL_STR("agency_code", struct qp_list_row, agency_code),
	JCOL_BOOL("configured", struct qp_list_row, configured),
	JCOL_INT32("daily_quota", struct qp_list_row, daily_quota),
	JCOL_INT32("used_today", struct qp_list_row, used_today),
	JCOL_TIME("updated_at", struct qp_list_row, updated_at),
	JCOL_END,
};

const char *beijing_day_iso(struct req *r, int64_t now_us)
{
	char *d = arena_alloc(r->arena, 11);
	if (d == NULL || ymd_iso(beijing_ymd(now_us), d, 11) != 0)
		return "1970-01-01";
	return d;
}

int qperm_effective(struct req *r, const struct principal *p, struct qperm *out)
{
	struct qp_of_row *q;
	int n = qp_of_run(r, &(struct qp_of_in){ .user_id = p->user_id }, &q);
	if (n < 0)
		return -1;
	out->daily_quota = n == 1 ? q->daily_quota : QPERM_DEFAULT_QUOTA;
	out->configured = n == 1 && q->divisions != NULL;
	if (!out->configured) {
		out->ndivs = auth_scopes(r, p, "query.create", &out->divs);
		out->divisions = auth_scope_array(r, p, "query.create");
		return 0;
	}
	out->divisions = arena_printf(r->arena, "{%s}", q->divisions);
	/* the stored codes, comma-separated: six digits each */
	size_t len = strlen(q->divisions), cap = len / 7 + 1;
	out->divs = arena_alloc(r->arena, cap * sizeof(*out->divs));
	out->ndivs = 0;
	if (out->divs == NULL || out->divisions == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	for (size_t i = 0; i + 6 <= len && out->ndivs < cap; i += 7)
		out->divs[out->ndivs++] = arena_strndup(r->arena, q->divisions + i, 6);
	return 0;
}

/* GET /api/v1/query-permissions (role.manage): the users holding
 * query.create in the agencies the caller manages, with their divisions
 * (null: their query.create scopes), quota and today's use. */
void h_qperm_list(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct page pg = list_page_of(r);
	struct qp_list_row *rows;
	int n = qp_list_run(r,
			    &(struct qp_list_in){ .scopes = auth_scope_array(r, p, "role.manage"), .after = pg.cursor,
						  .limit = pg.limit, .day = beijing_day_iso(r, req_now_us(r)),
						  .dflt = QPERM_DEFAULT_QUOTA },
			    &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		list_members(r, g, &rows[i], qp_cols);
		/* null: not configured, the user's query.create scopes apply */
		if (rows[i].divisions == NULL)
			jg_null(g, "divisions");
		else
			jg_words(g, r->arena, "divisions", rows[i].divisions);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	list_page_next(g, &pg, (size_t)n, n > 0 ? rows[n - 1].id : 0);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}

/* PUT /api/v1/query-permissions/{user_id} {"divisions": [...] | null, "daily_quota": n} */
void h_qperm_put(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t uid = strtoll(req_param(r, "user_id"), NULL, 10);
	const struct json *body = req_json_object(r);
	if (body == NULL)
		return;
	const struct json *divs = json_get(body, "divisions");
	enum { F_QUOTA, F_COUNT };
	static const struct field spec[F_COUNT] = {
		[F_QUOTA] = { "daily_quota", V_INT, 1, 0, 100000, NULL },
	};
	struct fval v[F_COUNT];
	if (valid_fields(r, json_without(r->arena, body, divs, NULL), spec, F_COUNT, v) != 0)
		return;
	/* divisions: an array of distinct division codes (at most 120), or null */
	const char *arr = NULL, *words = NULL;
	size_t ndiv = 0;
	if (divs != NULL && divs->type != JSON_NULL) {
		if (divs->type != JSON_ARRAY || divs->count > 120) {
			valid_reject(r, "invalid_field", "divisions", "is a list of at most 120 division codes, or null.");
			return;
		}
		char *a = arena_alloc(r->arena, 3 + divs->count * 7);
		if (a == NULL) {
			resp_problem(r, 500, "internal", "The server could not complete the request.");
			return;
		}
		size_t o = 0;
		a[o++] = '{';
		for (const struct json *d = divs->child; d; d = d->next, ndiv++) {
			if (d->type != JSON_STRING || division_level_of(d->s) == DIV_INVALID) {
				valid_reject(r, "invalid_field", "divisions", "holds six-digit division codes of Guangxi.");
				return;
			}
			for (const struct json *e = divs->child; e != d; e = e->next)
				if (strcmp(e->s, d->s) == 0) {
					valid_reject(r, "invalid_field", "divisions", "names each division once.");
					return;
				}
			if (o > 1)
				a[o++] = ',';
			memcpy(a + o, d->s, 6);
			o += 6;
		}
		a[o++] = '}';
		a[o] = '\0';
		arr = a;
		/* the same codes space-separated, for the audit and the answer */
		char *w = arena_strndup(r->arena, a + 1, o - 2);
		for (char *c = w; c && *c; c++)
			if (*c == ',')
				*c = ' ';
		words = w ? w : "";
	}
	if (uid == p->user_id) {
		resp_problem(r, 403, "own_account", "Nobody sets their own query permissions.");
		return;
	}
	if (db_begin(r) != 0)
		return;
	struct qp_user_row *u;
	int n = qp_user_run(r, &(struct qp_user_in){ .id = uid }, &u);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "user_not_found", "No user has this id.");
		return;
	}
	const char *udiv = u->division;
	if (auth_require(r, "role.manage", &udiv, 1) == NULL)
		return;
	if (arr != NULL) {
		struct qp_divs_row *c;
		if (qp_divs_run(r, &(struct qp_divs_in){ .codes = arr }, &c) != 1)
			return;
		if ((size_t)c->n != ndiv) {
			valid_reject(r, "invalid_field", "divisions", "holds division codes that exist.");
			return;
		}
		/* nobody lets a user query beyond what they manage themselves */
		for (const struct json *d = divs->child; d; d = d->next)
			if (!auth_allows(r, p, "role.manage", d->s)) {
				resp_problem_with(r, 403, "forbidden", "A division is outside your scope.",
						  (const char *const[]){ "division", d->s, NULL });
				return;
			}
	}
	if (qp_put_run(r,
		       &(struct qp_put_in){ .user_id = uid, .divisions = arr, .quota = (int)v[F_QUOTA].i,
					    .by = p->user_id, .now_us = req_now_us(r) },
		       NULL) < 0)
		return;
	const char *uids = req_i64str(r, uid);
	if (auth_audit(r, p, "query.permission.set", "user", uids, "success",
		       json_members(r->arena, "divisions", words, NULL, NULL, "daily_quota", v[F_QUOTA].i)) != 0 ||
	    db_commit(r) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "user_id", uid);
	if (words == NULL)
		jg_null(g, "divisions");
	else
		jg_words(g, r->arena, "divisions", words);
	jg_int(g, "daily_quota", v[F_QUOTA].i);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
