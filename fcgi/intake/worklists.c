/* Worklists and the agency inbox. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "intake.h"

#define PAGE_MAX 200
#define ACTIVE "c.state NOT IN ('closed', 'withdrawn', 'rejected')"
/* the user's (permission, scope) pairs as $1, $2 text arrays */
#define VISIBLE                                                                              \
	"EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS g (perm, scope) WHERE g.perm = 'case.read'" \
	" AND (ref.covers(g.scope, c.receiving_division) OR ref.covers(g.scope, c.deciding_division)))"
/* waiting for the user (id in parameter U): a step they may take, and
 * not one the two-person rule leaves to someone else */
#define WAITING(U)                                                                           \
	"EXISTS (SELECT 1 FROM cases.transition t, unnest($1::text[], $2::text[]) AS g (perm, scope)"   \
	" WHERE t.from_state = c.state AND t.enabled AND t.action <> 'withdraw' AND g.perm = t.permission" \
	" AND ((t.side <> 'deciding' AND ref.covers(g.scope, c.receiving_division))"                 \
	"   OR (t.side <> 'receiving' AND ref.covers(g.scope, c.deciding_division)))"                \
	" AND NOT EXISTS (SELECT 1 FROM cases.two_person_rule s JOIN cases.event e ON e.case_id = c.id" \
	"   AND e.action = s.earlier_action AND e.actor_id = " U "::bigint WHERE s.later_action = t.action" \
	"   AND (s.business_type IS NULL OR s.business_type = c.business_type)))"
/* received by the user's agency: still only what their scope reads */
#define ELSEWHERE "c.receiving_agency = $3 AND c.deciding_agency <> $3 AND " ACTIVE " AND " VISIBLE
#define OVERDUE "c.due_date < $4::date AND " ACTIVE " AND c.state <> 'delivered' AND " VISIBLE
#define SUMMARY                                                                             \
	"SELECT c.id, c.number, c.business_type, c.state, c.unit_code, c.receiving_agency, c.deciding_agency," \
	" coalesce((extract(epoch FROM c.received_at) * 1000000)::bigint, 0), coalesce(c.due_date::text, ''),"  \
	" (c.due_date < $4::date AND " ACTIVE " AND c.state <> 'delivered')::int, c.version FROM cases.case c WHERE "
#define PAGE " AND c.id > $5::bigint ORDER BY c.id LIMIT $6::int"

static const struct stmt q_waiting = {
	"wl_waiting", SUMMARY WAITING("$7") " AND $3::text = $3::text" PAGE, 7,
};
static const struct stmt q_elsewhere = {
	"wl_elsewhere", SUMMARY ELSEWHERE " AND $7::bigint = $7::bigint" PAGE, 7,
};
static const struct stmt q_overdue = {
	"wl_overdue", SUMMARY OVERDUE " AND $3::text = $3::text AND $7::bigint = $7::bigint" PAGE, 7,
};
/* a case by its number, among those the user reads */
static const struct stmt q_by_number = {
	"wl_by_number", SUMMARY "c.number = $7 AND " VISIBLE " AND $3::text = $3::text" PAGE, 7,
};
static const struct stmt q_counts = {
	"wl_counts",
	"SELECT (SELECT count(*) FROM cases.case c WHERE " WAITING("$5") "),"
	" (SELECT count(*) FROM cases.case c WHERE " ELSEWHERE "),"
	" (SELECT count(*) FROM cases.case c WHERE " OVERDUE ")",
	5,
};
static const struct stmt q_inbox = {
	"inbox",
	"SELECT n.id, n.case_id, c.number, n.kind, n.message, (extract(epoch FROM n.created_at) * 1000000)::bigint,"
	" (n.read_at IS NOT NULL)::int FROM cases.notification n JOIN cases.case c ON c.id = n.case_id"
	" WHERE n.agency_code = $1 AND ($2 = '0' OR n.read_at IS NULL) AND n.id < $3::bigint"
	" ORDER BY n.id DESC LIMIT $4::int",
	4,
};
static const struct stmt q_inbox_unread = {
	"inbox_unread", "SELECT count(*) FROM cases.notification WHERE agency_code = $1 AND read_at IS NULL", 1,
};
static const struct stmt q_read = {
	"inbox_read",
	"UPDATE cases.notification SET read_at = to_timestamp($3::float8 / 1000000), read_by = $4"
	" WHERE id = $1 AND agency_code = $2 RETURNING id",
	4,
};

static char *today_iso(struct req *r)
{
	time_t t = (time_t)(req_now_us(r) / 1000000) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	return arena_printf(r->arena, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The user's effective permissions as two PostgreSQL text arrays. */
static void perm_arrays(struct req *r, const struct principal *p, char **perms, char **scopes)
{
	struct buf a = { 0 }, b = { 0 };
	int rc = buf_puts(&a, "{") | buf_puts(&b, "{");
	size_t k = 0;
	for (size_t i = 0; i < p->nperms; i++) {
		if (p->perms[i].needs_mfa && !p->mfa)
			continue;
		/* names are [a-z._], scopes digits: nothing to quote */
		rc |= buf_printf(&a, "%s%s", k ? "," : "", p->perms[i].perm);
		rc |= buf_printf(&b, "%s%s", k ? "," : "", p->perms[i].scope);
		k++;
	}
	rc |= buf_puts(&a, "}") | buf_puts(&b, "}");
	*perms = rc ? NULL : arena_strndup(r->arena, (const char *)a.p, a.len);
	*scopes = rc ? NULL : arena_strndup(r->arena, (const char *)b.p, b.len);
	buf_free(&a);
	buf_free(&b);
}

/* A case number as cases are numbered: TB-<6 digits>-<4 digits>-<6 digits>. */
static int case_number_ok(const char *s)
{
	static const char form[] = "TB-999999-9999-999999";
	if (strlen(s) != sizeof form - 1)
		return 0;
	for (size_t i = 0; form[i]; i++)
		if (form[i] == '9' ? (s[i] < '0' || s[i] > '9') : s[i] != form[i])
			return 0;
	return 1;
}

/* GET /api/v1/cases?list=waiting|received_elsewhere|overdue&after=&limit=,
 * or ?number=TB-…: that case when the user reads it (else no item) */
void h_case_list(struct req *r)
{
	const struct principal *p = auth_require(r, "case.read", NULL, 0);
	if (p == NULL)
		return;
	const char *list = req_query(r, "list");
	const char *number = req_query(r, "number");
	const struct stmt *s = NULL;
	if (number != NULL) {
		if (list == NULL && case_number_ok(number))
			s = &q_by_number;
	} else if (list == NULL || strcmp(list, "waiting") == 0)
		s = &q_waiting;
	else if (strcmp(list, "received_elsewhere") == 0)
		s = &q_elsewhere;
	else if (strcmp(list, "overdue") == 0)
		s = &q_overdue;
	int64_t aft, lim;
	if (s == NULL || req_query_int(r, "after", 0, INT64_MAX, 0, &aft) < 0 ||
	    req_query_int(r, "limit", 1, PAGE_MAX, 50, &lim) < 0) {
		resp_problem(r, 400, "invalid_parameter",
			     "list is waiting, received_elsewhere or overdue, or number a case number"
			     " (TB-dddddd-dddd-dddddd) without list; after an id; limit 1-200.");
		return;
	}
	char *perms, *scopes;
	perm_arrays(r, p, &perms, &scopes);
	const char *today = today_iso(r);
	const char *uid = i64str(r, p->user_id);
	const char *pl[] = { perms, scopes, p->agency_code, today, i64str(r, aft), i64str(r, lim),
			     s == &q_by_number ? number : uid };
	const char *pc[] = { perms, scopes, p->agency_code, today, uid };
	PGresult *res = db_exec(r, s, pl), *cnt = res ? db_exec(r, &q_counts, pc) : NULL;
	if (cnt == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "counts");
	yajl_gen_map_open(g);
	jg_int(g, "waiting", atoll(PQgetvalue(cnt, 0, 0)));
	jg_int(g, "received_elsewhere", atoll(PQgetvalue(cnt, 0, 1)));
	jg_int(g, "overdue", atoll(PQgetvalue(cnt, 0, 2)));
	yajl_gen_map_close(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	int n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		jg_int(g, "id", strtoll(PQgetvalue(res, i, 0), NULL, 10));
		jg_str(g, "number", PQgetvalue(res, i, 1));
		jg_str(g, "business_type", PQgetvalue(res, i, 2));
		jg_str(g, "state", PQgetvalue(res, i, 3));
		jg_str(g, "unit_code", PQgetvalue(res, i, 4));
		jg_str(g, "receiving_agency", PQgetvalue(res, i, 5));
		jg_str(g, "deciding_agency", PQgetvalue(res, i, 6));
		int64_t rec = strtoll(PQgetvalue(res, i, 7), NULL, 10);
		jg_str(g, "received_at", rec ? time_rfc3339(r->arena, rec) : NULL);
		const char *due = PQgetvalue(res, i, 8);
		jg_str(g, "due_date", due[0] ? due : NULL);
		jg_bool(g, "overdue", atoi(PQgetvalue(res, i, 9)));
		jg_int(g, "version", atoll(PQgetvalue(res, i, 10)));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (n == lim)
		jg_str(g, "next_after", PQgetvalue(res, n - 1, 0));
	else
		jg_null(g, "next_after");
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* The inbox is the agency's: for those who read cases in its division. */
static const struct principal *inbox_reader(struct req *r)
{
	const struct principal *s0 = auth_session(r);
	const char *own = s0 ? s0->division_code : NULL;
	return auth_require(r, "case.read", &own, own ? 1 : 0);
}

/* GET /api/v1/notifications?unread=1&before=&limit=: one's agency's inbox */
void h_notifications(struct req *r)
{
	const struct principal *p = inbox_reader(r);
	if (p == NULL)
		return;
	const char *unread = req_query(r, "unread");
	int64_t bef, lim;
	if ((unread && strcmp(unread, "1") && strcmp(unread, "0")) ||
	    req_query_int(r, "before", 1, INT64_MAX, INT64_MAX, &bef) < 0 || req_query_int(r, "limit", 1, PAGE_MAX, 50, &lim) < 0) {
		resp_problem(r, 400, "invalid_parameter", "unread is 0 or 1; before an id; limit 1-200.");
		return;
	}
	const char *pi[] = { p->agency_code, unread ? unread : "0", i64str(r, bef), i64str(r, lim) };
	const char *pu[] = { p->agency_code };
	PGresult *res = db_exec(r, &q_inbox, pi), *cnt = res ? db_exec(r, &q_inbox_unread, pu) : NULL;
	if (cnt == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "unread", atoll(PQgetvalue(cnt, 0, 0)));
	jg_key(g, "items");
	yajl_gen_array_open(g);
	int n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		jg_int(g, "id", strtoll(PQgetvalue(res, i, 0), NULL, 10));
		jg_int(g, "case_id", strtoll(PQgetvalue(res, i, 1), NULL, 10));
		jg_str(g, "case_number", PQgetvalue(res, i, 2));
		jg_str(g, "kind", PQgetvalue(res, i, 3));
		jg_str(g, "message", PQgetvalue(res, i, 4));
		jg_str(g, "created_at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 5), NULL, 10)));
		jg_bool(g, "read", atoi(PQgetvalue(res, i, 6)));
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

/* POST /api/v1/notifications/{id}/read: only one's own agency's */
void h_notification_read(struct req *r)
{
	const struct principal *p = inbox_reader(r);
	if (p == NULL)
		return;
	const char *params[] = { req_param(r, "id"), p->agency_code, i64str(r, req_now_us(r)), i64str(r, p->user_id) };
	PGresult *res = db_exec(r, &q_read, params);
	if (res == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "notification_not_found", "Your agency has no notification with this id.");
		return;
	}
	resp_raw(r, 204, NULL, NULL, 0);
}
