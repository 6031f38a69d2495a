/* The audit trail for auditors, and the sealer that chains it. */
#include <stdlib.h>
#include <string.h>

#include "../core/audit_chain.h"
#include "../core/log.h"
#include "admin.h"

static const struct stmt q_audit = {
	"audit_list",
	"SELECT e.seq, (extract(epoch FROM e.at) * 1000000)::bigint, coalesce(e.actor_id, 0),"
	" e.actor_name, e.agency_code, e.action, e.object_type, e.object_id, e.outcome, e.request_id,"
	" e.client_addr, e.details::text"
	" FROM audit.event e LEFT JOIN iam.agency a ON a.code = e.agency_code"
	" WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) s"
	"   WHERE (a.division_code IS NOT NULL AND ref.covers(s, a.division_code))"
	"      OR (a.division_code IS NULL AND s = '450000'))"
	" AND ($2 = '' OR e.actor_id = $2::bigint) AND ($3 = '' OR e.action = $3)"
	" AND ($4 = '' OR e.object_type = $4) AND ($5 = '' OR e.object_id = $5)"
	" AND ($6 = '' OR e.at >= $6::timestamptz) AND ($7 = '' OR e.at < $7::timestamptz)"
	" AND ($8 = '' OR e.seq < $8::bigint) ORDER BY e.seq DESC LIMIT $9::int",
	9,
};

static int is_uint(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 18)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* RFC 3339 with an offset: 2026-11-27T08:00:00+08:00 or ...Z */
static int is_rfc3339(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(s);
	if (n < 20 || n > 35)
		return 0;
	for (size_t i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
			return 0;
	const char *t = s + 19;
	if (*t == '.')
		for (t++; *t >= '0' && *t <= '9'; t++)
			;
	if (strcmp(t, "Z") == 0)
		return 1;
	return strlen(t) == 6 && (t[0] == '+' || t[0] == '-') && t[1] >= '0' && t[1] <= '9' &&
	       t[2] >= '0' && t[2] <= '9' && t[3] == ':' && t[4] >= '0' && t[4] <= '9' && t[5] >= '0' && t[5] <= '9';
}

static int is_action(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* GET /api/v1/audit?actor=&action=&object_type=&object_id=&from=&to=&before=&limit= */
void h_audit_list(struct req *r)
{
	const struct principal *p = auth_require(r, "audit.read", NULL, 0);
	if (p == NULL)
		return;
	const char *actor = req_query(r, "actor"), *action = req_query(r, "action");
	const char *otype = req_query(r, "object_type"), *oid = req_query(r, "object_id");
	const char *from = req_query(r, "from"), *to = req_query(r, "to");
	const char *before = req_query(r, "before"), *limit = req_query(r, "limit");
	long lim = limit && is_uint(limit) ? atol(limit) : (limit ? -1 : 50);
	if ((actor && !is_uint(actor)) || (action && !is_action(action)) ||
	    (otype && !is_action(arena_printf(r->arena, "x.%s", otype))) || (oid && strlen(oid) > 64) ||
	    (from && !is_rfc3339(from)) || (to && !is_rfc3339(to)) || (before && !is_uint(before)) ||
	    lim < 1 || lim > 500) {
		resp_problem(r, 400, "invalid_parameter",
			     "actor and before are ids, action a dotted name, from and to RFC 3339 times, limit 1-500.");
		return;
	}
	const char *params[] = { scope_array(r, p, "audit.read"), actor ? actor : "", action ? action : "", otype ? otype : "",
				 oid ? oid : "", from ? from : "", to ? to : "", before ? before : "",
				 i64str(r, lim) };
	PGresult *res = db_exec(r, &q_audit, params);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	int n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		jg_int(g, "seq", strtoll(PQgetvalue(res, i, 0), NULL, 10));
		jg_str(g, "at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 1), NULL, 10)));
		int64_t actor_id = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		if (actor_id)
			jg_int(g, "actor_id", actor_id);
		else
			jg_null(g, "actor_id");
		static const char *names[] = { "actor_name", "agency_code", "action", "object_type", "object_id",
					       "outcome", "request_id", "client_addr" };
		for (int k = 0; k < 8; k++)
			jg_str(g, names[k], PQgetisnull(res, i, 3 + k) ? NULL : PQgetvalue(res, i, 3 + k));
		/* details is JSON the platform wrote: pass it through parsed */
		struct json *d;
		jg_key(g, "details");
		const char *dt = PQgetvalue(res, i, 11);
		if (json_parse(r->arena, (const unsigned char *)dt, strlen(dt), 16, &d) == JSON_OK &&
		    d->type == JSON_OBJECT) {
			yajl_gen_map_open(g);
			for (const struct json *m = d->child; m; m = m->next) {
				jg_key(g, m->key);
				if (m->type == JSON_STRING)
					jg_cstr(g, m->s);
				else if (m->type == JSON_NUMBER)
					yajl_gen_number(g, m->s, m->len);
				else if (m->type == JSON_BOOL)
					yajl_gen_bool(g, m->b);
				else
					yajl_gen_null(g);
			}
			yajl_gen_map_close(g);
		} else {
			yajl_gen_null(g);
		}
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (n == lim)
		jg_str(g, "next_before", PQgetvalue(res, n - 1, 0));
	else
		jg_null(g, "next_before");
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* GET /api/v1/audit/verify: seal what is settled, then recompute the chain. */
void h_audit_verify(struct req *r)
{
	const struct principal *p = auth_require(r, "audit.read", NULL, 0);
	if (p == NULL)
		return;
	if (db_ensure(&r->w->db, r->w->mslot) != 0) {
		resp_header(r, "Retry-After", "1");
		resp_problem(r, 503, "database_unavailable", "The database is not reachable at the moment; retry shortly.");
		return;
	}
	char err[256];
	struct chain_report rep;
	if (chain_seal(r->w->db.conn, 10000, err, sizeof(err)) < 0 ||
	    chain_verify(r->w->db.conn, &rep, err, sizeof(err)) != 0) {
		log_error("audit verify: %s", err);
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	if (audit_write(r, p, "audit.verify", "audit", NULL, rep.ok ? "success" : "failure",
			rep.ok ? NULL : json_pairs(r, "broken_seq", i64str(r, rep.broken_seq), "reason", rep.reason)) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_bool(g, "ok", rep.ok);
	jg_int(g, "sealed", rep.sealed);
	jg_int(g, "unsealed", rep.unsealed);
	if (rep.ok) {
		jg_null(g, "first_broken_seq");
		jg_null(g, "reason");
	} else {
		jg_int(g, "first_broken_seq", rep.broken_seq);
		jg_str(g, "reason", rep.reason);
	}
	jg_str(g, "head", rep.head);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* The admin service's background process: seal every second, keep the
 * monthly partitions two months ahead every hour. */
int admin_background(struct worker *w)
{
	/* the process's own state: when the partitions are next due */
	if (w->app == NULL && (w->app = calloc(1, sizeof(int64_t))) == NULL)
		return 2000;
	int64_t *next_partitions = w->app;
	if (db_ensure(&w->db, w->mslot) != 0)
		return 2000;
	char err[256];
	if (now_us() >= *next_partitions) {
		PGresult *r = PQexec(w->db.conn, "SELECT audit.ensure_partitions(2)");
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			log_warn("audit partitions: %s", PQresultErrorMessage(r));
		else
			*next_partitions = now_us() + 3600LL * 1000000;
		PQclear(r);
	}
	int64_t n = chain_seal(w->db.conn, 5000, err, sizeof(err));
	if (n < 0) {
		log_warn("audit sealer: %s", err);
		if (PQstatus(w->db.conn) != CONNECTION_OK)
			db_close(&w->db);
		return 2000;
	}
	return n == 5000 ? 0 : 1000;
}
