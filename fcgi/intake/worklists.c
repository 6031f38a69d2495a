/* Worklists and the agency inbox. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/list.h"
#include "../domain/clock.h"
#include "intake.h"

#define PAGE_MAX 200
/* Parameters shared by the worklist statements: $1, $2 the user's
 * (permission, scope) pairs as text arrays, $3 today (Beijing), $4 the
 * cursor, $5 the limit; $6 each statement's own. */
#define ACTIVE "c.state NOT IN ('closed', 'withdrawn', 'rejected')"
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
	"   AND e.action = s.earlier_action AND e.actor_id = " U " WHERE s.later_action = t.action" \
	"   AND (s.business_type IS NULL OR s.business_type = c.business_type)))"
/* received by the user's agency (parameter A): still only what their scope reads */
#define ELSEWHERE(A) "c.receiving_agency = " A " AND c.deciding_agency <> " A " AND " ACTIVE " AND " VISIBLE
#define OVERDUE "c.due_date < $3::date AND " ACTIVE " AND c.state <> 'delivered' AND " VISIBLE
#define SUMMARY                                                                             \
	"SELECT c.id, c.number, c.business_type, c.state, c.unit_code, c.receiving_agency, c.deciding_agency," \
	" coalesce((extract(epoch FROM c.received_at) * 1000000)::bigint, 0), c.due_date::text,"  \
	" c.due_date < $3::date AND " ACTIVE " AND c.state <> 'delivered', c.version FROM cases.case c WHERE "
#define PAGE " AND c.id > $4 ORDER BY c.id LIMIT $5"
#define SUMMARY_COLS(P, C)                                                                   \
	P(perms, TEXT) P(scopes, TEXT) P(today, TEXT) P(after, I64) P(limit, I64)              \
	C(id, I64) C(number, TEXT) C(business_type, TEXT) C(state, TEXT) C(unit_code, TEXT)    \
	C(receiving_agency, TEXT) C(deciding_agency, TEXT) C(received_at, I64) C(due_date, TEXT) \
	C(overdue, BOOL) C(version, INT)

/* every worklist reads rows of this shape */
DB_ROW(wl_row, SUMMARY_COLS);
#define Q_WAITING(P, C) SUMMARY_COLS(P, C) P(user_id, I64)
DB_QUERY_AS(wl_waiting, Q_WAITING, wl_row, SUMMARY WAITING("$6") PAGE);
#define Q_ELSEWHERE(P, C) SUMMARY_COLS(P, C) P(agency, TEXT)
DB_QUERY_AS(wl_elsewhere, Q_ELSEWHERE, wl_row, SUMMARY ELSEWHERE("$6") PAGE);
DB_QUERY_AS(wl_overdue, SUMMARY_COLS, wl_row, SUMMARY OVERDUE PAGE);
/* a case by its number, among those the user reads */
#define Q_BY_NUMBER(P, C) SUMMARY_COLS(P, C) P(number, TEXT)
DB_QUERY_AS(wl_by_number, Q_BY_NUMBER, wl_row, SUMMARY "c.number = $6 AND " VISIBLE PAGE);

#define Q_COUNTS(P, C)                                                                        \
	P(perms, TEXT) P(scopes, TEXT) P(today, TEXT) P(user_id, I64) P(agency, TEXT)          \
	C(waiting, I64) C(received_elsewhere, I64) C(overdue, I64)
DB_QUERY(wl_counts, Q_COUNTS,
	 "SELECT (SELECT count(*) FROM cases.case c WHERE " WAITING("$4") "),"
	 " (SELECT count(*) FROM cases.case c WHERE " ELSEWHERE("$5") "),"
	 " (SELECT count(*) FROM cases.case c WHERE " OVERDUE ")");

#define Q_INBOX(P, C)                                                                         \
	P(agency, TEXT) P(unread_only, BOOL) P(before, I64) P(limit, I64)                      \
	C(id, I64) C(case_id, I64) C(case_number, TEXT) C(kind, TEXT) C(message, TEXT)          \
	C(created_at, I64) C(read, BOOL)
DB_QUERY(inbox, Q_INBOX,
	 "SELECT n.id, n.case_id, c.number, n.kind, n.message, (extract(epoch FROM n.created_at) * 1000000)::bigint,"
	 " n.read_at IS NOT NULL FROM cases.notification n JOIN cases.case c ON c.id = n.case_id"
	 " WHERE n.agency_code = $1 AND (NOT $2 OR n.read_at IS NULL) AND n.id < $3"
	 " ORDER BY n.id DESC LIMIT $4");
#define Q_INBOX_UNREAD(P, C) P(agency, TEXT) C(n, I64)
DB_QUERY(inbox_unread, Q_INBOX_UNREAD,
	 "SELECT count(*) FROM cases.notification WHERE agency_code = $1 AND read_at IS NULL");
#define Q_INBOX_READ(P, C) P(id, I64) P(agency, TEXT) P(now_us, I64) P(user_id, I64) C(id, I64)
DB_QUERY(inbox_read, Q_INBOX_READ,
	 "UPDATE cases.notification SET read_at = to_timestamp($3::float8 / 1000000), read_by = $4"
	 " WHERE id = $1 AND agency_code = $2 RETURNING id");

/* today, the Beijing day, as YYYY-MM-DD */
static char *today_iso(struct req *r)
{
	char *out = arena_alloc(r->arena, 11);
	if (out != NULL && ymd_iso(beijing_ymd(req_now_us(r)), out, 11) != 0)
		out[0] = '\0';
	return out;
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
int case_number_ok(const char *s)
{
	static const char form[] = "TB-999999-9999-999999";
	if (strlen(s) != sizeof form - 1)
		return 0;
	for (size_t i = 0; form[i]; i++)
		if (form[i] == '9' ? (s[i] < '0' || s[i] > '9') : s[i] != form[i])
			return 0;
	return 1;
}

static const struct jcol wl_cols[] = {
	JCOL_INT("id", struct wl_row, id),
	JCOL_STR("number", struct wl_row, number),
	JCOL_STR("business_type", struct wl_row, business_type),
	JCOL_STR("state", struct wl_row, state),
	JCOL_STR("unit_code", struct wl_row, unit_code),
	JCOL_STR("receiving_agency", struct wl_row, receiving_agency),
	JCOL_STR("deciding_agency", struct wl_row, deciding_agency),
	JCOL_TIME("received_at", struct wl_row, received_at),
	JCOL_STR("due_date", struct wl_row, due_date),
	JCOL_BOOL("overdue", struct wl_row, overdue),
	JCOL_INT32("version", struct wl_row, version),
	JCOL_END,
};

const struct qkey case_list_query[] = {
	QKEY_ENUM("list", "waiting", "received_elsewhere", "overdue"),
	QKEY_TEXT("number", 21, case_number_ok, "a case number (TB-dddddd-dddd-dddddd)"),
	LIST_AFTER(PAGE_MAX, 50),
	QKEY_END,
};

/* GET /api/v1/cases?list=waiting|received_elsewhere|overdue&after=&limit=,
 * or ?number=TB-…: that case when the user reads it (else no item) */
void h_case_list(struct req *r)
{
	const struct principal *p = auth_session(r);
	const char *list = req_query(r, "list"), *number = req_query(r, "number");
	if (number != NULL && list != NULL) {
		resp_problem(r, 400, "invalid_parameter", "number: a case number, without list.");
		return;
	}
	struct page pg = list_page_of(r);
	char *perms, *scopes;
	perm_arrays(r, p, &perms, &scopes);
	const char *today = today_iso(r);
	struct wl_row *rows;
	int n;
#define SUMMARY_IN .perms = perms, .scopes = scopes, .today = today, .after = pg.cursor, .limit = pg.limit
	if (number != NULL)
		n = wl_by_number_run(r, &(struct wl_by_number_in){ SUMMARY_IN, .number = number }, &rows);
	else if (list == NULL || strcmp(list, "waiting") == 0)
		n = wl_waiting_run(r, &(struct wl_waiting_in){ SUMMARY_IN, .user_id = p->user_id }, &rows);
	else if (strcmp(list, "received_elsewhere") == 0)
		n = wl_elsewhere_run(r, &(struct wl_elsewhere_in){ SUMMARY_IN, .agency = p->agency_code }, &rows);
	else
		n = wl_overdue_run(r, &(struct wl_overdue_in){ SUMMARY_IN }, &rows);
#undef SUMMARY_IN
	struct wl_counts_row *cnt;
	if (n < 0 || wl_counts_run(r, &(struct wl_counts_in){ .perms = perms, .scopes = scopes, .today = today,
							       .user_id = p->user_id, .agency = p->agency_code },
				    &cnt) < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "counts");
	yajl_gen_map_open(g);
	jg_int(g, "waiting", cnt->waiting);
	jg_int(g, "received_elsewhere", cnt->received_elsewhere);
	jg_int(g, "overdue", cnt->overdue);
	yajl_gen_map_close(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), wl_cols);
	list_page_next(g, &pg, (size_t)n, n > 0 ? rows[n - 1].id : 0);
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

static const struct jcol inbox_cols[] = {
	JCOL_INT("id", struct inbox_row, id),
	JCOL_INT("case_id", struct inbox_row, case_id),
	JCOL_STR("case_number", struct inbox_row, case_number),
	JCOL_STR("kind", struct inbox_row, kind),
	JCOL_STR("message", struct inbox_row, message),
	JCOL_TIME("created_at", struct inbox_row, created_at),
	JCOL_BOOL("read", struct inbox_row, read),
	JCOL_END,
};

const struct qkey notifications_query[] = {
	QKEY_ENUM("unread", "0", "1"),
	LIST_BEFORE(PAGE_MAX, 50),
	QKEY_END,
};

/* GET /api/v1/notifications?unread=1&before=&limit=: one's agency's inbox */
void h_notifications(struct req *r)
{
	const struct principal *p = inbox_reader(r);
	if (p == NULL)
		return;
	const char *unread = req_query(r, "unread");
	struct page pg = list_page_of(r);
	struct inbox_row *rows;
	struct inbox_unread_row *cnt;
	int n = inbox_run(r,
			  &(struct inbox_in){ .agency = p->agency_code, .unread_only = unread && unread[0] == '1',
					      .before = pg.cursor, .limit = pg.limit },
			  &rows);
	if (n < 0 || inbox_unread_run(r, &(struct inbox_unread_in){ .agency = p->agency_code }, &cnt) < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "unread", cnt->n);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), inbox_cols);
	list_page_next(g, &pg, (size_t)n, n > 0 ? rows[n - 1].id : 0);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/notifications/{id}/read: only one's own agency's */
void h_notification_read(struct req *r)
{
	const struct principal *p = inbox_reader(r);
	if (p == NULL)
		return;
	int n = inbox_read_run(r,
			       &(struct inbox_read_in){ .id = strtoll(req_param(r, "id"), NULL, 10),
							.agency = p->agency_code, .now_us = req_now_us(r),
							.user_id = p->user_id },
			       NULL);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "notification_not_found", "Your agency has no notification with this id.");
		return;
	}
	resp_raw(r, 204, NULL, NULL, 0);
}
