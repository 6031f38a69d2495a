/* Archive queries (查档): a clerk asks for a requester (holder, heir or
 * guardian, interested party, prospective party, lawyer, state organ), with
 * a purpose, an evidence file and one condition. The registry is read once
 * through lookup.h inside the divisions the clerk may query; the rules of
 * domain/query_rules.h decide which units the requester is shown and how
 * much of each. A result touching a person on the sensitive whitelist
 * waits for an admin of the jurisdiction holding the data; otherwise the
 * query completes at once and its result is stored (qry.query.result) as
 * the certificate renders it. Every step is audited with its purpose; the
 * daily quota is one counter row updated atomically; unusual volume leaves
 * an alert in the audit trail. */
#include <stdlib.h>
#include <string.h>

#include "../core/crypto.h"
#include "../core/multipart.h"
#include "../domain/clock.h"
#include "../domain/query_rules.h"
#include "../domain/register.h"
#include "archive.h"
#include "lookup.h"
#include "qperms.h"

#define EVIDENCE_MAX (10 * 1024 * 1024)
#define QUERY_MAX_PAGES 10 /* 1,000 units at most in one result */
#define QUERY_PAGE 100

/* ---- statements -------------------------------------------------------- */

#define Q_EV_INSERT(P, C)                                                                          \
	P(content_type, TEXT) P(size, I64) P(sha256, TEXT) P(data, BYTES) P(user_id, I64)           \
	P(agency, TEXT) P(now_us, I64) C(id, I64)
DB_QUERY(ev_insert, Q_EV_INSERT,
	 "INSERT INTO qry.evidence (content_type, size, sha256, data, uploaded_by, agency_code, uploaded_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::float8 / 1000000)) RETURNING id");
/* the evidence, if the agency's, and whether a query used it already */
#define Q_EV_FOR(P, C) P(id, I64) P(agency, TEXT) C(used, BOOL)
DB_QUERY(ev_for, Q_EV_FOR,
	 "SELECT EXISTS (SELECT 1 FROM qry.query q WHERE q.evidence_id = e.id)"
	 " FROM qry.evidence e WHERE e.id = $1 AND e.agency_code = $2");
/* the quota: one row per user and Beijing day, counted only below the quota */
#define Q_QUOTA(P, C) P(user_id, I64) P(day, TEXT) P(quota, INT) C(used, INT)
DB_QUERY(quota_take, Q_QUOTA,
	 "INSERT INTO qry.quota_use AS q (user_id, day, used) VALUES ($1, $2::date, 1)"
	 " ON CONFLICT (user_id, day) DO UPDATE SET used = q.used + 1 WHERE q.used < $3 RETURNING used");
#define Q_QUOTA_HIST(P, C) P(user_id, I64) P(day, TEXT) C(sum, I64)
DB_QUERY(quota_history, Q_QUOTA_HIST,
	 "SELECT coalesce(sum(used), 0)::bigint FROM qry.quota_use"
	 " WHERE user_id = $1 AND day >= $2::date - 30 AND day < $2::date");
#define Q_ALERT_VOL(P, C) P(user_id, I64) P(day, TEXT)
DB_QUERY(alert_volume_mark, Q_ALERT_VOL,
	 "UPDATE qry.quota_use SET alerted = true WHERE user_id = $1 AND day = $2::date AND NOT alerted");
#define Q_HOLDERS_HOUR(P, C) P(user_id, I64) P(now_us, I64) C(n, I64)
DB_QUERY(holders_last_hour, Q_HOLDERS_HOUR,
	 "SELECT count(DISTINCT holder_index) FROM qry.touch WHERE created_by = $1"
	 " AND at > to_timestamp($2::float8 / 1000000) - interval '1 hour'");
#define Q_ALERT_HOLD(P, C) P(user_id, I64) P(day, TEXT) P(now_us, I64)
DB_QUERY(alert_holders_mark, Q_ALERT_HOLD,
	 "UPDATE qry.quota_use SET holders_alerted_at = to_timestamp($3::float8 / 1000000)"
	 " WHERE user_id = $1 AND day = $2::date AND (holders_alerted_at IS NULL"
	 "  OR holders_alerted_at <= to_timestamp($3::float8 / 1000000) - interval '1 hour')");
#define Q_SERIAL(P, C) P(agency, TEXT) P(year, INT) C(last, INT)
DB_QUERY(serial_next, Q_SERIAL,
	 "INSERT INTO qry.serial_counter AS c (agency_code, year, last) VALUES ($1, $2, 1)"
	 " ON CONFLICT (agency_code, year) DO UPDATE SET last = c.last + 1 RETURNING last");
#define Q_WL_HITS(P, C) P(indexes, TEXT) C(id_index, TEXT) C(scope, TEXT)
DB_QUERY(wl_hits, Q_WL_HITS,
	 "SELECT id_index, scope_code FROM qry.whitelist WHERE removed_at IS NULL AND id_index = ANY($1::text[])");
/* who else queried these units in the 12 months before now (never who asked) */
#define Q_QUERIED_BY(P, C)                                                                         \
	P(units, TEXT) P(self, I64) P(now_us, I64)                                                  \
	C(agency_code, TEXT) C(agency_name, TEXT) C(kind, TEXT) C(purpose, TEXT) C(at, I64)
DB_QUERY(queried_by, Q_QUERIED_BY,
	 "SELECT a.code, a.name, q.requester_kind, q.purpose, (extract(epoch FROM q.created_at) * 1000000)::bigint"
	 " FROM qry.query q JOIN iam.agency a ON a.code = q.agency_code"
	 " WHERE q.id <> $2 AND q.id IN (SELECT t.query_id FROM qry.touch t WHERE t.unit_code = ANY($1::text[])"
	 "  AND t.at > to_timestamp($3::float8 / 1000000) - interval '12 months')"
	 " ORDER BY q.created_at DESC, q.id DESC LIMIT 200");
#define Q_INSERT(P, C)                                                                             \
	P(serial, TEXT) P(agency, TEXT) P(user_id, I64) P(now_us, I64) P(kind, TEXT) P(name, TEXT)   \
	P(id_type, TEXT) P(masked, TEXT) P(idx, TEXT) P(reference, TEXT) P(purpose, TEXT)            \
	P(evidence_id, I64) P(conditions, TEXT) P(cond_kind, TEXT) P(cond_value, TEXT)               \
	P(cond_name, TEXT) P(cond_index, TEXT) P(cond_id_type, TEXT) P(as_at_us, I64)                \
	P(divisions, TEXT) P(state, TEXT) P(approval, TEXT) P(result, TEXT) C(id, I64)
DB_QUERY(query_insert, Q_INSERT,
	 "INSERT INTO qry.query (serial, agency_code, created_by, created_at, requester_kind, requester_name,"
	 " requester_id_type, requester_id_masked, requester_id_index, requester_reference, purpose, evidence_id,"
	 " conditions, cond_kind, cond_value, cond_holder_name, cond_holder_index, cond_holder_id_type, as_at,"
	 " divisions, state, approval_divisions, result)"
	 " VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000000), $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb,"
	 " $14, $15, $16, $17, $18, to_timestamp($19::float8 / 1000000), $20::text[], $21, $22::text[], $23::jsonb)"
	 " RETURNING id");
#define Q_TOUCH(P, C)                                                                              \
	P(query_id, I64) P(user_id, I64) P(now_us, I64) P(units, TEXT) P(counties, TEXT) P(holders, TEXT)
DB_QUERY(touch_insert, Q_TOUCH,
	 "INSERT INTO qry.touch (query_id, unit_code, county_code, holder_index, created_by, at)"
	 " SELECT $1, t.u, t.c, nullif(t.h, '-'), $2, to_timestamp($3::float8 / 1000000)"
	 " FROM unnest($4::text[], $5::text[], $6::text[]) AS t (u, c, h)");

/* one query as GET shows it; also what approval reads (the condition) */
#define Q_ONE_COLS(C)                                                                              \
	C(id, I64) C(serial, TEXT) C(agency_code, TEXT) C(agency_name, TEXT) C(created_by, I64)      \
	C(created_at, I64) C(kind, TEXT) C(name, TEXT) C(id_type, TEXT) C(masked, TEXT)              \
	C(reference, TEXT) C(purpose, TEXT) C(evidence_id, I64) C(conditions, TEXT) C(as_at, I64)     \
	C(state, TEXT) C(result, TEXT) C(decided_by, I64) C(decided_at, I64) C(reject_reason, TEXT)  \
	C(approval, TEXT) C(cond_kind, TEXT) C(cond_value, TEXT) C(cond_name, TEXT) C(cond_index, TEXT) \
	C(cond_id_type, TEXT) C(divisions, TEXT) C(req_index, TEXT)
#define Q_NONE(n, T)
#define Q_ROWCOLS(P, C) Q_ONE_COLS(C)
DB_ROW(qrow, Q_ROWCOLS);
#define Q_SELECT                                                                                   \
	"SELECT q.id, q.serial, q.agency_code, a.name, q.created_by,"                               \
	" (extract(epoch FROM q.created_at) * 1000000)::bigint, q.requester_kind, q.requester_name,"  \
	" q.requester_id_type, q.requester_id_masked, q.requester_reference, q.purpose, q.evidence_id," \
	" q.conditions::text, (extract(epoch FROM q.as_at) * 1000000)::bigint, q.state, q.result::text," \
	" q.decided_by, coalesce((extract(epoch FROM q.decided_at) * 1000000)::bigint, 0), q.reject_reason," \
	" array_to_string(q.approval_divisions, ' '), q.cond_kind, q.cond_value, q.cond_holder_name,"  \
	" q.cond_holder_index, q.cond_holder_id_type, array_to_string(q.divisions, ' '), q.requester_id_index" \
	" FROM qry.query q JOIN iam.agency a ON a.code = q.agency_code"
#define Q_GET(P, C) P(id, I64) P(agency, TEXT) Q_ONE_COLS(C)
DB_QUERY_AS(query_get, Q_GET, qrow, Q_SELECT " WHERE q.id = $1 AND q.agency_code = $2");
#define Q_LOCK(P, C) P(id, I64) Q_ONE_COLS(C)
DB_QUERY_AS(query_lock, Q_LOCK, qrow, Q_SELECT " WHERE q.id = $1 FOR UPDATE OF q");
#define Q_LIST(P, C) P(agency, TEXT) P(before, I64) P(limit, I64) P(state, TEXT) Q_ONE_COLS(C)
DB_QUERY_AS(query_list, Q_LIST, qrow,
	    Q_SELECT " WHERE q.agency_code = $1 AND q.id < $2 AND ($4::text IS NULL OR q.state = $4)"
		     " ORDER BY q.id DESC LIMIT $3");
/* pending queries every one of whose approval divisions a scope covers */
#define Q_PENDING(P, C) P(scopes, TEXT) P(before, I64) P(limit, I64) Q_ONE_COLS(C)
DB_QUERY_AS(query_pending, Q_PENDING, qrow,
	    Q_SELECT " WHERE q.state = 'pending_approval' AND q.id < $2"
		     " AND NOT EXISTS (SELECT 1 FROM unnest(q.approval_divisions) d"
		     "  WHERE NOT EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE ref.covers(s, d)))"
		     " ORDER BY q.id DESC LIMIT $3");
#define Q_DECIDE(P, C) P(id, I64) P(state, TEXT) P(result, TEXT) P(by, I64) P(now_us, I64) P(reason, TEXT)
DB_QUERY(query_decide, Q_DECIDE,
	 "UPDATE qry.query SET state = $2, result = $3::jsonb, decided_by = $4,"
	 " decided_at = to_timestamp($5::float8 / 1000000), reject_reason = $6"
	 " WHERE id = $1 AND state = 'pending_approval'");

/* ---- small helpers ----------------------------------------------------- */

static void internal(struct req *r)
{
	resp_problem(r, 500, "internal", "The server could not complete the request.");
}

/* A PostgreSQL array literal of n strings that need no quoting (codes,
 * hex indexes; an empty or NULL one is written "-"). */
static char *pg_array(struct req *r, const char *const *v, size_t n)
{
	size_t len = 3;
	for (size_t i = 0; i < n; i++)
		len += (v[i] && *v[i] ? strlen(v[i]) : 1) + 1;
	char *out = arena_alloc(r->arena, len);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	out[o++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			out[o++] = ',';
		const char *s = v[i] && *v[i] ? v[i] : "-";
		size_t l = strlen(s);
		memcpy(out + o, s, l);
		o += l;
	}
	out[o++] = '}';
	out[o] = '\0';
	return out;
}

/* Space-separated words into an array in the arena. */
static size_t split_words(struct req *r, const char *words, const char ***out)
{
	*out = NULL;
	if (words == NULL)
		return 0;
	size_t cap = 1;
	for (const char *c = words; *c; c++)
		cap += *c == ' ';
	const char **v = arena_alloc(r->arena, cap * sizeof(*v));
	char *copy = arena_strndup(r->arena, words, strlen(words)), *save = NULL;
	size_t n = 0;
	if (v == NULL || copy == NULL)
		return 0;
	for (char *t = strtok_r(copy, " ", &save); t && n < cap; t = strtok_r(NULL, " ", &save))
		v[n++] = t;
	*out = v;
	return n;
}

static int add_unique(const char **v, size_t *n, size_t cap, const char *s)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i], s) == 0)
			return 0;
	if (*n < cap)
		v[(*n)++] = s;
	return 1;
}

/* ---- the result -------------------------------------------------------- */

struct qctx {
	const struct qr_rule *rule;
	struct lookup_cond cond;
	const char *requester_index;
	int64_t as_at_us, now_us;
	const char *const *divs;
	size_t ndivs;
	int64_t query_id; /* 0 while creating */
};

struct qresult {
	const struct lookup_unit **units; /* shown */
	size_t n;
	int64_t as_at_us;
	const char **approval; /* divisions whose admin must approve; none: no whitelist hit */
	size_t napproval;
	const char **wl_indexes; /* the whitelisted people touched (for the audit: count only) */
	size_t nwl;
};

static int holds(const struct lookup_unit *u, const char *index)
{
	if (index == NULL || *index == '\0')
		return 0;
	for (size_t i = 0; i < u->nentries; i++)
		if (strcmp(u->entries[i].kind, "ownership") == 0 && u->entries[i].id_index &&
		    strcmp(u->entries[i].id_index, index) == 0)
			return 1;
	return 0;
}

/* Read the registry, keep the units the rule shows, and find the
 * whitelisted people among the condition's person and the shown units'
 * parties. 0, or -1 after replying. */
static int compute(struct req *r, const struct qctx *c, struct qresult *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = QUERY_MAX_PAGES * QUERY_PAGE;
	out->units = arena_alloc(r->arena, cap * sizeof(*out->units));
	if (out->units == NULL) {
		internal(r);
		return -1;
	}
	const char *after = NULL;
	for (int page = 0; page < QUERY_MAX_PAGES; page++) {
		struct lookup_page pg;
		if (lookup_units(r, &c->cond, c->as_at_us, c->divs, c->ndivs, after, QUERY_PAGE, &pg) != 0)
			return -1;
		out->as_at_us = pg.as_at_us;
		for (size_t i = 0; i < pg.n; i++) {
			const struct lookup_unit *u = &pg.units[i];
			int rh = holds(u, c->requester_index);
			int ch = c->cond.kind == LOOKUP_HOLDER && holds(u, c->cond.id_index);
			if (qr_unit_shown(c->rule, rh, ch) && out->n < cap)
				out->units[out->n++] = u;
		}
		if (pg.next == NULL)
			break;
		after = pg.next;
	}
	/* every person with an index among the shown units, and the condition's */
	size_t np = 1;
	for (size_t i = 0; i < out->n; i++)
		np += out->units[i]->nentries;
	const char **people = arena_alloc(r->arena, np * sizeof(*people));
	if (people == NULL) {
		internal(r);
		return -1;
	}
	size_t k = 0;
	if (c->cond.kind == LOOKUP_HOLDER)
		add_unique(people, &k, np, c->cond.id_index);
	for (size_t i = 0; i < out->n; i++)
		for (size_t j = 0; j < out->units[i]->nentries; j++)
			if (out->units[i]->entries[j].id_index)
				add_unique(people, &k, np, out->units[i]->entries[j].id_index);
	if (k == 0)
		return 0;
	struct wl_hits_row *hits;
	int nh = wl_hits_run(r, &(struct wl_hits_in){ .indexes = pg_array(r, people, k) }, &hits);
	if (nh < 0)
		return -1;
	if (nh == 0)
		return 0;
	size_t acap = out->n + (size_t)nh + 1;
	out->approval = arena_alloc(r->arena, acap * sizeof(*out->approval));
	out->wl_indexes = arena_alloc(r->arena, (size_t)nh * sizeof(*out->wl_indexes));
	if (out->approval == NULL || out->wl_indexes == NULL) {
		internal(r);
		return -1;
	}
	for (int h = 0; h < nh; h++) {
		add_unique(out->wl_indexes, &out->nwl, (size_t)nh, hits[h].id_index);
		int in_units = 0;
		/* the jurisdiction holding the data: the county of each unit with them */
		for (size_t i = 0; i < out->n; i++)
			for (size_t j = 0; j < out->units[i]->nentries; j++) {
				const char *ix = out->units[i]->entries[j].id_index;
				if (ix && strcmp(ix, hits[h].id_index) == 0) {
					add_unique(out->approval, &out->napproval, acap, out->units[i]->county_code);
					in_units = 1;
				}
			}
		/* only named in the condition (no unit found): the entry's scope */
		if (!in_units)
			add_unique(out->approval, &out->napproval, acap, hits[h].scope);
	}
	return 0;
}

/* The stored result (COMMON10's shape) as JSON text, and the touch record.
 * NULL after replying. */
static const char *result_json(struct req *r, const struct qctx *c, const struct qresult *res,
			       const char **unit_codes)
{
	yajl_gen g = json_gen_new(r->arena);
	if (g == NULL) {
		internal(r);
		return NULL;
	}
	yajl_gen_map_open(g);
	jg_str(g, "as_at", time_rfc3339(r->arena, res->as_at_us));
	jg_str(g, "visibility", qr_visibility_name(c->rule->visibility));
	jg_key(g, "units");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < res->n; i++)
		lookup_gen_unit(g, res->units[i], c->rule->visibility, 1);
	yajl_gen_array_close(g);
	if (c->rule->queried_by) {
		struct queried_by_row *qb = NULL;
		int nq = 0;
		if (res->n > 0) {
			nq = queried_by_run(r,
					    &(struct queried_by_in){ .units = pg_array(r, unit_codes, res->n),
								     .self = c->query_id, .now_us = c->now_us },
					    &qb);
			if (nq < 0)
				return NULL;
		}
		jg_key(g, "queried_by");
		yajl_gen_array_open(g);
		for (int i = 0; i < nq; i++) {
			yajl_gen_map_open(g);
			jg_code_name(g, "agency", qb[i].agency_code, qb[i].agency_name);
			jg_str(g, "requester_kind", qb[i].kind);
			jg_str(g, "purpose", qb[i].purpose);
			char d[11];
			jg_str(g, "date", ymd_iso(beijing_ymd(qb[i].at), d, sizeof(d)) == 0 ? d : NULL);
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		internal(r);
		return NULL;
	}
	return arena_strndup(r->arena, (const char *)buf, len);
}

/* Record what a completed query touched: a row per unit and party index. */
static int touch_record(struct req *r, int64_t query_id, int64_t creator, int64_t now_us,
			const struct qresult *res)
{
	if (res->n == 0)
		return 0;
	size_t cap = 0;
	for (size_t i = 0; i < res->n; i++)
		cap += res->units[i]->nentries + 1;
	const char **u = arena_alloc(r->arena, cap * sizeof(*u)), **c = arena_alloc(r->arena, cap * sizeof(*c)),
		   **h = arena_alloc(r->arena, cap * sizeof(*h));
	if (u == NULL || c == NULL || h == NULL) {
		internal(r);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < res->n; i++) {
		const struct lookup_unit *x = res->units[i];
		size_t first = n;
		for (size_t j = 0; j < x->nentries; j++) {
			const char *ix = x->entries[j].id_index;
			if (ix == NULL)
				continue;
			int seen = 0;
			for (size_t k = first; k < n; k++)
				seen |= strcmp(h[k], ix) == 0;
			if (!seen) {
				u[n] = x->code, c[n] = x->county_code, h[n] = ix;
				n++;
			}
		}
		if (n == first) {
			u[n] = x->code, c[n] = x->county_code, h[n] = NULL;
			n++;
		}
	}
	return touch_insert_run(r,
				&(struct touch_insert_in){ .query_id = query_id, .user_id = creator, .now_us = now_us,
							   .units = pg_array(r, u, n), .counties = pg_array(r, c, n),
							   .holders = pg_array(r, h, n) },
				NULL) < 0
		       ? -1
		       : 0;
}

static const char **unit_codes_of(struct req *r, const struct qresult *res)
{
	const char **v = arena_alloc(r->arena, (res->n + 1) * sizeof(*v));
	for (size_t i = 0; v && i < res->n; i++)
		v[i] = res->units[i]->code;
	return v;
}

/* ---- the answer -------------------------------------------------------- */

/* A query as the API shows it (with_result: the stored result too). The
 * stored result is jsonb text: spliced in as it is. */
static char *query_text(struct req *r, const struct qrow *q, int with_result)
{
	yajl_gen g = json_gen_new(r->arena);
	if (g == NULL)
		return NULL;
	yajl_gen_map_open(g);
	jg_int(g, "id", q->id);
	jg_str(g, "serial", q->serial);
	jg_str(g, "state", q->state);
	jg_code_name(g, "agency", q->agency_code, q->agency_name);
	jg_int(g, "created_by", q->created_by);
	jg_str(g, "created_at", time_rfc3339(r->arena, q->created_at));
	jg_key(g, "requester");
	yajl_gen_map_open(g);
	jg_str(g, "kind", q->kind);
	jg_str(g, "name", q->name);
	jg_str(g, "id_type", q->id_type);
	jg_str(g, "id_number_masked", q->masked);
	jg_str(g, "reference", q->reference);
	yajl_gen_map_close(g);
	jg_str(g, "purpose", q->purpose);
	jg_int(g, "evidence_id", q->evidence_id);
	jg_str(g, "as_at", time_rfc3339(r->arena, q->as_at));
	if (q->decided_by)
		jg_int(g, "decided_by", q->decided_by);
	else
		jg_null(g, "decided_by");
	jg_str(g, "decided_at", q->decided_at ? time_rfc3339(r->arena, q->decided_at) : NULL);
	jg_str(g, "reject_reason", q->reject_reason);
	jg_words(g, r->arena, "approval_divisions", q->approval ? q->approval : "");
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || len < 2)
		return NULL;
	/* {...} + "conditions" and "result" (stored JSON) before the brace */
	const char *cond = q->conditions ? q->conditions : "null";
	const char *res = with_result && q->result ? q->result : "null";
	return arena_printf(r->arena, "%.*s,\"conditions\":%s%s%s}", (int)(len - 1), (const char *)buf, cond,
			    with_result ? ",\"result\":" : "", with_result ? res : "");
}

static void reply_query(struct req *r, int status, const struct qrow *q, int with_result)
{
	char *body = query_text(r, q, with_result);
	if (body == NULL) {
		internal(r);
		return;
	}
	resp_header(r, "Cache-Control", "no-store");
	resp_raw(r, status, "application/json", body, strlen(body));
}

/* ---- POST /api/v1/query-evidence --------------------------------------- */

void h_evidence_upload(struct req *r)
{
	const struct principal *p = auth_session(r); /* the route asked query.create */
	const char *boundary = multipart_boundary(r->arena, r->content_type);
	struct part parts[4];
	int n = boundary ? multipart_parse(r->arena, r->body, r->body_len, boundary, parts, 4) : -1;
	const struct part *file = NULL;
	int files = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(parts[i].name, "file") == 0 && parts[i].filename) {
			file = &parts[i];
			files++;
		}
	if (n < 0 || files != 1) {
		resp_problem(r, 400, "malformed_multipart", "Send one file in the multipart/form-data field \"file\".");
		return;
	}
	if (file->len == 0) {
		valid_reject(r, "invalid_field", "file", "is empty.");
		return;
	}
	if (file->len > EVIDENCE_MAX) {
		resp_problem(r, 413, "evidence_too_large", "Evidence may have at most 10 MiB.");
		return;
	}
	const char *ct = multipart_sniff(file->data, file->len);
	if (ct == NULL) {
		resp_problem(r, 415, "unsupported_evidence_type", "Evidence must be a PDF, JPEG or PNG file.");
		return;
	}
	unsigned char h[32];
	char sha[65];
	crypto_sha256(file->data, file->len, h);
	crypto_hex(h, sizeof(h), sha);
	if (db_begin(r) != 0)
		return;
	struct ev_insert_row *row;
	if (ev_insert_run(r,
			  &(struct ev_insert_in){ .content_type = ct, .size = (int64_t)file->len, .sha256 = sha,
						  .data = { file->data, file->len }, .user_id = p->user_id,
						  .agency = p->agency_code, .now_us = req_now_us(r) },
			  &row) != 1)
		return;
	const char *id = req_i64str(r, row->id);
	if (auth_audit(r, p, "query.evidence.add", "query_evidence", id, "success",
		       json_pairs(r->arena, "sha256", sha, "content_type", ct)) != 0 ||
	    db_commit(r) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", row->id);
	jg_str(g, "sha256", sha);
	jg_int(g, "size", (long long)file->len);
	jg_str(g, "content_type", ct);
	yajl_gen_map_close(g);
	resp_json(r, 201);
}

/* ---- POST /api/v1/queries ----------------------------------------------- */

/* The next Beijing midnight after now, epoch seconds. */
static int64_t next_beijing_midnight(int64_t now_us)
{
	int64_t s = now_us / 1000000 + BEIJING_OFFSET_S;
	int64_t day = s / 86400 - (s % 86400 < 0);
	return (day + 1) * 86400 - BEIJING_OFFSET_S;
}

static int volume_alerts(struct req *r, const struct principal *p, const char *day, int used, int64_t now_us)
{
	struct quota_history_row *hist;
	if (quota_history_run(r, &(struct quota_history_in){ .user_id = p->user_id, .day = day }, &hist) != 1)
		return -1;
	if (qr_volume_unusual(used, hist->sum)) {
		int n = alert_volume_mark_run(r, &(struct alert_volume_mark_in){ .user_id = p->user_id, .day = day },
					      NULL);
		if (n < 0)
			return -1;
		if (n == 1 && auth_audit(r, p, "query.alert", "user", req_i64str(r, p->user_id), "success",
					 json_members(r->arena, "reason", "volume", "previous_30_days",
						      req_i64str(r, hist->sum), "today", used)) != 0)
			return -1;
	}
	struct holders_last_hour_row *hh;
	if (holders_last_hour_run(r, &(struct holders_last_hour_in){ .user_id = p->user_id, .now_us = now_us },
				  &hh) != 1)
		return -1;
	if (qr_holders_unusual(hh->n)) {
		int n = alert_holders_mark_run(
			r, &(struct alert_holders_mark_in){ .user_id = p->user_id, .day = day, .now_us = now_us }, NULL);
		if (n < 0)
			return -1;
		if (n == 1 && auth_audit(r, p, "query.alert", "user", req_i64str(r, p->user_id), "success",
					 json_members(r->arena, "reason", "distinct_holders", NULL, NULL,
						      "holders_last_hour", hh->n)) != 0)
			return -1;
	}
	return 0;
}

/* The conditions as stored and shown: a person with the masked number. */
static const char *conditions_json(struct req *r, const struct lookup_cond *c, const char *masked)
{
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	if (c->kind == LOOKUP_UNIT) {
		jg_str(g, "unit_code", c->unit_code);
	} else if (c->kind == LOOKUP_CERT) {
		jg_str(g, "certificate_no", c->certificate_no);
	} else {
		jg_key(g, "holder");
		yajl_gen_map_open(g);
		jg_str(g, "name", c->holder_name);
		jg_str(g, "id_type", c->id_type);
		jg_str(g, "id_number_masked", masked);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return NULL;
	return arena_strndup(r->arena, (const char *)buf, len);
}

void h_query_create(struct req *r)
{
	const struct principal *p = auth_session(r); /* the route asked query.create */
	const struct json *body = req_json_object(r);
	if (body == NULL)
		return;
	const struct json *rq = json_get(body, "requester"), *cj = json_get(body, "conditions");
	enum { F_PURPOSE, F_EVIDENCE, F_AS_AT, F_COUNT };
	static const struct field spec[F_COUNT] = {
		[F_PURPOSE] = { "purpose", V_STRING, 0, 0, 200, NULL },
		[F_EVIDENCE] = { "evidence_id", V_INT, 1, 1, INT64_MAX, NULL },
		[F_AS_AT] = { "as_at", V_STRING, 0, 1, 40, NULL },
	};
	struct fval v[F_COUNT];
	/* the requester first: who asks decides what else is required */
	if (rq == NULL || rq->type != JSON_OBJECT) {
		valid_reject(r, rq ? "invalid_field" : "missing_field", "requester",
			     "is an object {kind, name, id_type, id_number, reference}.");
		return;
	}
	const struct json *kj = json_get(rq, "kind");
	enum qr_kind kind = kj && kj->type == JSON_STRING ? qr_kind_parse(kj->s) : QR_INVALID;
	const struct qr_rule *rule = qr_rule_of(kind);
	if (rule == NULL) {
		resp_problem_with(r, 400, "unknown_requester_kind",
				  "The requester kind is one of holder, heir_guardian, interested_party,"
				  " prospective_party, lawyer, state_organ.",
				  (const char *const[]){ "field", "requester/kind", NULL });
		return;
	}
	enum { R_KIND, R_NAME, R_TYPE, R_NUMBER, R_REF, R_COUNT };
	static const struct field rspec[R_COUNT] = {
		[R_KIND] = { "kind", V_STRING, 1, 1, 40, NULL },
		[R_NAME] = { "name", V_STRING, 1, 1, 100, NULL },
		[R_TYPE] = { "id_type", V_STRING, 1, 2, 20, NULL },
		[R_NUMBER] = { "id_number", V_STRING, 1, 1, 32, NULL },
		[R_REF] = { "reference", V_STRING, 0, 0, 100, NULL },
	};
	struct fval rv[R_COUNT];
	if (valid_fields(r, rq, rspec, R_COUNT, rv) != 0)
		return;
	struct person_id requester;
	if (person_id_of(r, "requester/", rv[R_TYPE].s, rv[R_NUMBER].s, &requester) != 0)
		return;
	const char *reference = rv[R_REF].present && rv[R_REF].len > 0 ? rv[R_REF].s : NULL;
	if (rule->needs_reference && reference == NULL) {
		resp_problem_with(r, 400, "missing_reference",
				  arena_printf(r->arena, "A %s requester names %s.", rule->name, rule->reference_what),
				  (const char *const[]){ "field", "requester/reference", NULL });
		return;
	}
	if (valid_fields(r, json_without(r->arena, body, rq, cj), spec, F_COUNT, v) != 0)
		return;
	if (!v[F_PURPOSE].present || v[F_PURPOSE].len == 0) {
		resp_problem_with(r, 400, "missing_purpose", "Every query states its purpose (查询目的).",
				  (const char *const[]){ "field", "purpose", NULL });
		return;
	}
	if (cj == NULL) {
		valid_reject(r, "missing_field", "conditions", "is one of unit_code, certificate_no or holder.");
		return;
	}
	/* the condition's masked number before lookup wipes the clear one */
	char cmasked[40] = "";
	const struct json *ch = cj->type == JSON_OBJECT ? json_get(cj, "holder") : NULL;
	const struct json *cn = ch && ch->type == JSON_OBJECT ? json_get(ch, "id_number") : NULL;
	if (cn && cn->type == JSON_STRING && cn->len < 33) {
		char tmp[40];
		memcpy(tmp, cn->s, cn->len);
		tmp[cn->len] = '\0';
		for (char *q = tmp; *q; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
		id_mask(tmp, cmasked, sizeof(cmasked));
		memset(tmp, 0, sizeof(tmp));
	}
	struct qctx c = { .rule = rule, .requester_index = requester.index };
	if (lookup_cond_parse(r, cj, &c.cond) != 0)
		return;
	unsigned bit = c.cond.kind == LOOKUP_UNIT ? QC_UNIT_CODE : c.cond.kind == LOOKUP_CERT ? QC_CERTIFICATE_NO : QC_HOLDER;
	if (!(rule->conditions & bit)) {
		resp_problem_with(r, 400, "condition_not_allowed",
				  arena_printf(r->arena, "A %s requester may not query by this condition.", rule->name),
				  (const char *const[]){ "field", "conditions", NULL });
		return;
	}
	int64_t now = req_now_us(r);
	c.now_us = now;
	c.as_at_us = now;
	if (v[F_AS_AT].present) {
		if (lookup_time_parse(v[F_AS_AT].s, v[F_AS_AT].len, &c.as_at_us) != 0 || c.as_at_us > now) {
			valid_reject(r, "invalid_field", "as_at", "is an RFC 3339 time, not in the future.");
			return;
		}
	}
	if (db_begin(r) != 0)
		return;
	struct ev_for_row *ev;
	int ne = ev_for_run(r, &(struct ev_for_in){ .id = v[F_EVIDENCE].i, .agency = p->agency_code }, &ev);
	if (ne < 0)
		return;
	if (ne != 1) {
		/* someone else's evidence is as unknown as a missing one */
		resp_problem_with(r, 400, "unknown_evidence", "No evidence with this id was uploaded by your agency.",
				  (const char *const[]){ "field", "evidence_id", NULL });
		return;
	}
	if (ev->used) {
		resp_problem_with(r, 400, "evidence_used", "This evidence belongs to another query already.",
				  (const char *const[]){ "field", "evidence_id", NULL });
		return;
	}
	struct qperm perm;
	if (qperm_effective(r, p, &perm) != 0)
		return;
	const char *day = beijing_day_iso(r, now);
	struct quota_take_row *qt;
	int nq = perm.daily_quota > 0
			 ? quota_take_run(r, &(struct quota_take_in){ .user_id = p->user_id, .day = day,
								       .quota = perm.daily_quota },
					  &qt)
			 : 0;
	if (nq < 0)
		return;
	if (nq != 1) {
		int64_t reset = next_beijing_midnight(now);
		resp_header(r, "Retry-After", req_i64str(r, reset - now / 1000000));
		resp_problem_with(r, 429, "quota_exceeded",
				  arena_printf(r->arena, "Your daily quota of %d queries is used up.", perm.daily_quota),
				  (const char *const[]){ "reset_at", time_rfc3339(r->arena, reset * 1000000), NULL });
		return;
	}
	c.divs = perm.divs;
	c.ndivs = perm.ndivs;
	struct qresult res;
	if (compute(r, &c, &res) != 0)
		return;
	int pending = res.napproval > 0;
	const char *result = NULL;
	if (!pending && (result = result_json(r, &c, &res, unit_codes_of(r, &res))) == NULL)
		return;
	struct serial_next_row *sn;
	int year = beijing_year(now);
	if (serial_next_run(r, &(struct serial_next_in){ .agency = p->agency_code, .year = year }, &sn) != 1)
		return;
	const char *serial = arena_printf(r->arena, "CX-%s-%04d-%07d", p->agency_code, year, sn->last);
	const char *cond_text = conditions_json(r, &c.cond, cmasked);
	if (serial == NULL || cond_text == NULL) {
		internal(r);
		return;
	}
	const char *ckind = c.cond.kind == LOOKUP_UNIT ? "unit_code" : c.cond.kind == LOOKUP_CERT ? "certificate_no" : "holder";
	struct query_insert_row *ins;
	const char *st;
	int ni = query_insert_try(
		r,
		&(struct query_insert_in){
			.serial = serial, .agency = p->agency_code, .user_id = p->user_id, .now_us = now,
			.kind = rule->name, .name = rv[R_NAME].s, .id_type = requester.id_type,
			.masked = requester.masked, .idx = requester.index, .reference = reference,
			.purpose = v[F_PURPOSE].s, .evidence_id = v[F_EVIDENCE].i, .conditions = cond_text,
			.cond_kind = ckind,
			.cond_value = c.cond.kind == LOOKUP_UNIT ? c.cond.unit_code
				      : c.cond.kind == LOOKUP_CERT ? c.cond.certificate_no : NULL,
			.cond_name = c.cond.kind == LOOKUP_HOLDER ? c.cond.holder_name : NULL,
			.cond_index = c.cond.kind == LOOKUP_HOLDER ? c.cond.id_index : NULL,
			.cond_id_type = c.cond.kind == LOOKUP_HOLDER ? c.cond.id_type : NULL,
			.as_at_us = c.as_at_us, .divisions = perm.divisions,
			.state = pending ? "pending_approval" : "completed",
			.approval = pending ? pg_array(r, res.approval, res.napproval) : "{}", .result = result },
		&ins, &st);
	if (ni < 0) {
		if (st != NULL && strcmp(st, "23505") == 0) /* the evidence, taken by a concurrent query */
			resp_problem_with(r, 400, "evidence_used", "This evidence belongs to another query already.",
					  (const char *const[]){ "field", "evidence_id", NULL });
		else if (st != NULL)
			db_reply_sqlstate(r, st);
		return;
	}
	if (!pending && touch_record(r, ins->id, p->user_id, now, &res) != 0)
		return;
	const char *qid = req_i64str(r, ins->id);
	/* pending: the number of whitelisted people touched, not who they are */
	char *details = json_members(r->arena, "purpose", v[F_PURPOSE].s, "requester_kind", rule->name,
				     pending ? "whitelisted_people" : "units", pending ? (int64_t)res.nwl : (int64_t)res.n);
	if (auth_audit(r, p, pending ? "query.create.pending" : "query.create", "query", qid, "success", details) != 0 ||
	    volume_alerts(r, p, day, qt->used, now) != 0)
		return;
	struct qrow *q;
	if (query_get_run(r, &(struct query_get_in){ .id = ins->id, .agency = p->agency_code }, &q) != 1 ||
	    db_commit(r) != 0)
		return;
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/queries/%s", qid));
	reply_query(r, 201, q, 1);
}

/* ---- reading ----------------------------------------------------------- */

/* GET /api/v1/queries/{id}: only the query's own agency; others 404. */
void h_query_get(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = strtoll(req_param(r, "id"), NULL, 10);
	struct qrow *q;
	int n = query_get_run(r, &(struct query_get_in){ .id = id, .agency = p->agency_code }, &q);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "query_not_found", "No query with this id belongs to your agency.");
		return;
	}
	reply_query(r, 200, q, 1);
}

static void reply_list(struct req *r, struct qrow *rows, int n, const struct page *pg)
{
	/* each item as GET shows it, without the result */
	char *out = arena_printf(r->arena, "{\"items\":[");
	for (int i = 0; i < n && out; i++) {
		char *item = query_text(r, &rows[i], 0);
		out = item ? arena_printf(r->arena, "%s%s%s", out, i ? "," : "", item) : NULL;
	}
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	list_page_next(g, pg, (size_t)n, n > 0 ? rows[n - 1].id : 0);
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	if (out == NULL || yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok || len < 2) {
		internal(r);
		return;
	}
	char *body = arena_printf(r->arena, "%s],%.*s", out, (int)(len - 1), (const char *)buf + 1);
	if (body == NULL) {
		internal(r);
		return;
	}
	resp_header(r, "Cache-Control", "no-store");
	resp_raw(r, 200, "application/json", body, strlen(body));
}

/* GET /api/v1/queries?before=&limit=&state= : the agency's queries, newest first. */
void h_query_list(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct page pg = list_page_of(r);
	struct qrow *rows;
	int n = query_list_run(r,
			       &(struct query_list_in){ .agency = p->agency_code, .before = pg.cursor,
							.limit = pg.limit, .state = req_query(r, "state") },
			       &rows);
	if (n < 0)
		return;
	reply_list(r, rows, n, &pg);
}

/* GET /api/v1/query-approvals: the pending queries this admin may decide. */
void h_query_approvals(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct page pg = list_page_of(r);
	struct qrow *rows;
	int n = query_pending_run(r,
				  &(struct query_pending_in){ .scopes = auth_scope_array(r, p, "query.approve"),
							      .before = pg.cursor, .limit = pg.limit },
				  &rows);
	if (n < 0)
		return;
	reply_list(r, rows, n, &pg);
}

/* ---- deciding ---------------------------------------------------------- */

/* The pending query after checking the caller may decide it: an admin
 * whose query.approve covers every division holding the data, not its
 * creator. NULL after replying (404 unknown, 409 decided, 403 otherwise). */
static struct qrow *decidable(struct req *r, const struct principal *p)
{
	int64_t id = strtoll(req_param(r, "id"), NULL, 10);
	struct qrow *q;
	int n = query_lock_run(r, &(struct query_lock_in){ .id = id }, &q);
	if (n < 0)
		return NULL;
	if (n != 1) {
		resp_problem(r, 404, "query_not_found", "No query has this id.");
		return NULL;
	}
	const char **divs;
	size_t nd = split_words(r, q->approval, &divs);
	for (size_t i = 0; i < nd; i++)
		if (!auth_allows(r, p, "query.approve", divs[i])) {
			/* through the one call, so the refusal is audited */
			if (auth_require(r, "query.approve", &divs[i], 1) != NULL && !r->responded)
				resp_problem(r, 403, "forbidden", "You are not allowed to do this here.");
			return NULL;
		}
	if (strcmp(q->state, "pending_approval") != 0 || nd == 0) {
		resp_problem(r, 409, "invalid_state", "This query is not waiting for approval.");
		return NULL;
	}
	if (q->created_by == p->user_id) {
		resp_problem(r, 403, "own_query", "Nobody approves or rejects a query they made.");
		return NULL;
	}
	return q;
}

/* POST /api/v1/queries/{id}/approve {}: the result is computed now, as the
 * register stood at the requested time, inside the clerk's divisions. */
void h_query_approve(struct req *r)
{
	const struct principal *p = auth_session(r);
	if (req_json_object(r) == NULL)
		return;
	if (db_begin(r) != 0)
		return;
	struct qrow *q = decidable(r, p);
	if (q == NULL)
		return;
	int64_t now = req_now_us(r);
	struct qctx c = { .rule = qr_rule_of(qr_kind_parse(q->kind)), .requester_index = q->req_index,
			  .as_at_us = q->as_at, .now_us = now, .query_id = q->id };
	if (c.rule == NULL) {
		internal(r);
		return;
	}
	if (strcmp(q->cond_kind, "unit_code") == 0) {
		c.cond.kind = LOOKUP_UNIT;
		c.cond.unit_code = q->cond_value;
	} else if (strcmp(q->cond_kind, "certificate_no") == 0) {
		c.cond.kind = LOOKUP_CERT;
		c.cond.certificate_no = q->cond_value;
	} else {
		c.cond.kind = LOOKUP_HOLDER;
		c.cond.holder_name = q->cond_name;
		c.cond.id_type = q->cond_id_type;
		if (q->cond_index == NULL || strlen(q->cond_index) != 64) {
			internal(r);
			return;
		}
		memcpy(c.cond.id_index, q->cond_index, 65);
	}
	const char **divs;
	c.ndivs = split_words(r, q->divisions, &divs);
	c.divs = divs;
	struct qresult res;
	const char *result;
	if (compute(r, &c, &res) != 0 || (result = result_json(r, &c, &res, unit_codes_of(r, &res))) == NULL)
		return;
	if (query_decide_run(r,
			     &(struct query_decide_in){ .id = q->id, .state = "completed", .result = result,
							.by = p->user_id, .now_us = now },
			     NULL) != 1 ||
	    touch_record(r, q->id, q->created_by, now, &res) != 0)
		return;
	const char *qid = req_i64str(r, q->id);
	if (auth_audit(r, p, "query.approve", "query", qid, "success",
		       json_members(r->arena, "purpose", q->purpose, "requester_kind", q->kind, "units",
				    (int64_t)res.n)) != 0)
		return;
	struct qrow *after;
	if (query_lock_run(r, &(struct query_lock_in){ .id = q->id }, &after) != 1 || db_commit(r) != 0)
		return;
	reply_query(r, 200, after, 1);
}

/* POST /api/v1/queries/{id}/reject {"reason"}: no result, no certificate. */
void h_query_reject(struct req *r)
{
	enum { F_REASON, F_COUNT };
	static const struct field spec[F_COUNT] = {
		[F_REASON] = { "reason", V_STRING, 1, 4, 500, NULL },
	};
	const struct principal *p = auth_session(r);
	struct fval v[F_COUNT];
	if (valid_body(r, spec, F_COUNT, v) != 0)
		return;
	if (db_begin(r) != 0)
		return;
	struct qrow *q = decidable(r, p);
	if (q == NULL)
		return;
	if (query_decide_run(r,
			     &(struct query_decide_in){ .id = q->id, .state = "rejected", .result = NULL,
							.by = p->user_id, .now_us = req_now_us(r),
							.reason = v[F_REASON].s },
			     NULL) != 1)
		return;
	const char *qid = req_i64str(r, q->id);
	if (auth_audit(r, p, "query.reject", "query", qid, "success",
		       json_pairs(r->arena, "purpose", q->purpose, "reason", v[F_REASON].s)) != 0)
		return;
	struct qrow *after;
	if (query_lock_run(r, &(struct query_lock_in){ .id = q->id }, &after) != 1 || db_commit(r) != 0)
		return;
	reply_query(r, 200, after, 1);
}
