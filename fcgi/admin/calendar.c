/* 节假日安排: the holiday calendar (cases.calendar, cases.calendar_year) that
 * due dates count working days by. Anyone signed in reads a year; holders
 * of calendar.manage over the whole region change a day or a year's
 * status. A change of a day recounts, in the same transaction, the due date
 * of every open case whose window (the day it counts from, its due date]
 * holds that day — by the one working-day rule, fcgi/domain/workdays.c, as
 * the submit action counted it — and writes the timeline event
 * due_recomputed {old, new} for each case that moved. */
#include <stdlib.h>
#include <string.h>

#include "../domain/clock.h"
#include "../domain/workdays.h"
#include "admin.h"

/* The same key as fcgi/intake/actions.c takes shared before it reads the
 * calendar for a due date: a submission either reads the calendar after a
 * change commits, or has written its due date (and its window) before the
 * change's recount reads the open cases. */
#define CALENDAR_LOCK "7352926"
#define REGION "450000"
/* Open cases are recounted: while a case waits for its decision. */
#define OPEN "cases.state_pending(c.state)"

#define Q_CAL_YEAR(P, C) P(year, INT) C(status, TEXT) C(source, TEXT)
DB_QUERY(cal_year, Q_CAL_YEAR, "SELECT status, source FROM cases.calendar_year WHERE year = $1");
#define Q_CAL_DAYS(P, C) P(year, INT) C(day, TEXT) C(kind, TEXT) C(note, TEXT)
DB_QUERY(cal_days, Q_CAL_DAYS,
	 "SELECT day::text, kind, coalesce(note, '') FROM cases.calendar"
	 " WHERE day >= make_date($1, 1, 1) AND day < make_date($1 + 1, 1, 1) ORDER BY day");
#define Q_CAL_LOCK(P, C) C(one, INT)
/* lock_timeout (below deadlock_timeout): a submission holding a case this
 * change must recount may be waiting for the calendar lock; rather than
 * deadlock and have PostgreSQL abort the clerk's request, the change gives
 * up (503 calendar_busy) and is tried again */
DB_QUERY(cal_timeout, Q_CAL_LOCK, "SELECT 1 FROM set_config('lock_timeout', '800ms', true)");
DB_QUERY(cal_lock, Q_CAL_LOCK, "SELECT 1 FROM pg_advisory_xact_lock(" CALENDAR_LOCK ")");
#define Q_CAL_DAY(P, C) P(day, TEXT) C(kind, TEXT) C(note, TEXT)
DB_QUERY(cal_day, Q_CAL_DAY, "SELECT kind, coalesce(note, '') FROM cases.calendar WHERE day = $1::date FOR UPDATE");
#define Q_CAL_PUT(P, C) P(day, TEXT) P(kind, TEXT) P(note, TEXT)
DB_QUERY(cal_put, Q_CAL_PUT,
	 "INSERT INTO cases.calendar (day, kind, note) VALUES ($1::date, $2, $3)"
	 " ON CONFLICT (day) DO UPDATE SET kind = EXCLUDED.kind, note = EXCLUDED.note");
#define Q_CAL_DELETE(P, C) P(day, TEXT)
DB_QUERY(cal_delete, Q_CAL_DELETE, "DELETE FROM cases.calendar WHERE day = $1::date");
/* a day set in a year the calendar has no word of yet makes it a
 * provisional year */
#define Q_CAL_YEAR_ENSURE(P, C) P(year, INT)
DB_QUERY(cal_year_ensure, Q_CAL_YEAR_ENSURE,
	 "INSERT INTO cases.calendar_year (year, status, source) VALUES ($1, 'provisional', '系统管理员录入')"
	 " ON CONFLICT (year) DO NOTHING");
/* the open cases whose window holds the day, locked; their window's
 * start, its working days, the due date (YYYYMMDD) */
#define Q_CAL_OPEN(P, C) P(day, TEXT) C(id, I64) C(from, INT) C(days, INT) C(due, INT)
DB_QUERY(cal_open, Q_CAL_OPEN,
	 "SELECT c.id, to_char(c.due_from, 'YYYYMMDD')::int, c.due_days, to_char(c.due_date, 'YYYYMMDD')::int"
	 " FROM cases.case c WHERE " OPEN " AND c.due_date >= $1::date AND c.due_from < $1::date"
	 " AND c.due_days IS NOT NULL ORDER BY c.id FOR UPDATE OF c");
/* the calendar from the earliest window start on (YYYYMMDD), as it
 * stands in this transaction */
#define Q_CAL_RANGE(P, C) P(from, TEXT) P(to, TEXT) C(day, INT) C(kind, TEXT)
DB_QUERY(cal_range, Q_CAL_RANGE,
	 "SELECT to_char(day, 'YYYYMMDD')::int, kind FROM cases.calendar WHERE day BETWEEN $1::date AND $2::date"
	 " ORDER BY day");
/* $1: [{"id", "old", "new"}] of the cases that moved */
#define Q_CAL_MOVE(P, C) P(moves, TEXT) P(now, I64) P(details, TEXT) C(id, I64)
DB_QUERY(cal_move, Q_CAL_MOVE,
	 "WITH m AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS m (id bigint, old date, new date)),"
	 " u AS (UPDATE cases.case c SET due_date = m.new FROM m WHERE c.id = m.id RETURNING c.id, c.state)"
	 " INSERT INTO cases.event (case_id, at, action, from_state, to_state, details)"
	 " SELECT u.id, to_timestamp($2::float8 / 1000000), 'due_recomputed', u.state, u.state,"
	 "  jsonb_build_object('old', m.old::text, 'new', m.new::text) || $3::jsonb"
	 " FROM u JOIN m ON m.id = u.id ORDER BY u.id RETURNING case_id");
#define Q_CAL_YEAR_SET(P, C) P(year, INT) P(status, TEXT) P(source, TEXT) C(status, TEXT) C(source, TEXT)
DB_QUERY(cal_year_set, Q_CAL_YEAR_SET,
	 "INSERT INTO cases.calendar_year AS y (year, status, source) VALUES ($1, coalesce($2, 'provisional'),"
	 " coalesce($3, '')) ON CONFLICT (year) DO UPDATE SET status = coalesce($2, y.status),"
	 " source = coalesce($3, y.source) RETURNING status, source");

const struct qkey calendar_query[] = {
	QKEY_INT("year", 1900, 2999, 0),
	QKEY_END,
};

/* GET /api/v1/calendar?year= (any session): the year's status and source
 * (null when the calendar has no word of the year) and its marked days */
void h_calendar_get(struct req *r)
{
	int year = (int)req_qint(r, "year");
	if (year == 0)
		year = beijing_year(req_now_us(r));
	struct cal_year_row *y;
	struct cal_days_row *d;
	int ny = cal_year_run(r, &(struct cal_year_in){ .year = year }, &y), nd;
	if (ny < 0 || (nd = cal_days_run(r, &(struct cal_days_in){ .year = year }, &d)) < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "year", year);
	jg_str(g, "status", ny == 1 ? y->status : NULL);
	jg_str(g, "source", ny == 1 ? y->source : NULL);
	jg_key(g, "days");
	yajl_gen_array_open(g);
	for (int i = 0; i < nd; i++) {
		yajl_gen_map_open(g);
		jg_str(g, "day", d[i].day);
		jg_str(g, "kind", d[i].kind);
		jg_str(g, "note", d[i].note);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* calendar.manage over the region, not a part of it: the calendar is the
 * whole region's (403 region_scope_required, audited as a refusal). */
static const struct principal *region_manager(struct req *r)
{
	const struct principal *p = auth_require(r, "calendar.manage", NULL, 0);
	if (p == NULL)
		return NULL;
	if (auth_allows(r, p, "calendar.manage", REGION))
		return p;
	if (auth_audit(r, p, "auth.denied", "route", r->path, "denied",
		       json_pairs(r->arena, "permission", "calendar.manage", "code", "region_scope_required")) != 0)
		return NULL;
	resp_problem(r, 403, "region_scope_required", "Only a calendar manager for the whole region changes the calendar.");
	return NULL;
}

static int kind_ok(const char *s)
{
	return strcmp(s, "holiday") == 0 || strcmp(s, "workday") == 0;
}

/* A note shown on the calendar: no controls or direction overrides. */
static int note_ok(const char *s)
{
	return !valid_text_unsafe(s, strlen(s));
}

static void reply_day(struct req *r, const char *day, const char *kind, const char *note, int moved)
{
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "day", day);
	jg_str(g, "kind", kind);
	jg_str(g, "note", note);
	jg_int(g, "cases_moved", moved);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* A statement of a change that failed: waiting too long for a lock is 503
 * calendar_busy, anything else the usual answer. */
static void refuse_failed(struct req *r, const char *state)
{
	if (state && strcmp(state, "55P03") == 0) {
		resp_header(r, "Retry-After", "2");
		resp_problem(r, 503, "calendar_busy", "Cases are being submitted; try again in a moment.");
	} else if (state) {
		db_reply_sqlstate(r, state);
	}
}

/* Recount the open cases whose window holds ymd with the calendar as this
 * transaction now has it; the number that moved, or -1 after replying. */
static int recount(struct req *r, const char *day, int ymd, const char *details)
{
	struct cal_open_row *c;
	const char *state = NULL;
	int n = cal_open_try(r, &(struct cal_open_in){ .day = day }, &c, &state);
	if (n < 0) {
		refuse_failed(r, state);
		return -1;
	}
	if (n == 0)
		return 0;
	/* the calendar over every window: from the earliest start, far enough
	 * past the latest for its days (at most 60 working days) */
	int lo = c[0].from, hi = c[0].from;
	for (int i = 1; i < n; i++) {
		if (c[i].from < lo)
			lo = c[i].from;
		if (c[i].from > hi)
			hi = c[i].from;
	}
	char from[11], to[11];
	if (ymd_iso(lo, from, sizeof(from)) != 0 || ymd_iso(days_to_ymd(ymd_to_days(hi) + 200), to, sizeof(to)) != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	struct cal_range_row *k;
	int nk = cal_range_run(r, &(struct cal_range_in){ .from = from, .to = to }, &k);
	if (nk < 0)
		return -1;
	int *hol = arena_alloc(r->arena, ((size_t)nk + 1) * sizeof(int));
	int *mk = arena_alloc(r->arena, ((size_t)nk + 1) * sizeof(int));
	if (hol == NULL || mk == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	size_t nh = 0, nm = 0;
	for (int i = 0; i < nk; i++) {
		if (strcmp(k[i].kind, "holiday") == 0)
			hol[nh++] = k[i].day;
		else
			mk[nm++] = k[i].day;
	}
	struct calendar cal = { hol, nh, mk, nm };
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_array_open(g);
	int moved = 0;
	for (int i = 0; i < n; i++) {
		if (c[i].days < 1 || c[i].from > ymd)
			continue;
		int due = workdays_add(&cal, c[i].from, c[i].days);
		if (due == c[i].due)
			continue;
		char o[11], nw[11];
		if (ymd_iso(c[i].due, o, sizeof(o)) != 0 || ymd_iso(due, nw, sizeof(nw)) != 0)
			continue;
		yajl_gen_map_open(g);
		jg_int(g, "id", c[i].id);
		jg_str(g, "old", o);
		jg_str(g, "new", nw);
		yajl_gen_map_close(g);
		moved++;
	}
	yajl_gen_array_close(g);
	if (moved == 0)
		return 0;
	const unsigned char *b;
	size_t len;
	yajl_gen_get_buf(g, &b, &len);
	int done = cal_move_run(r,
			       &(struct cal_move_in){ .moves = arena_strndup(r->arena, (const char *)b, len),
						      .now = req_now_us(r), .details = details },
			       NULL);
	if (done < 0)
		return -1;
	if (done != moved) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	return moved;
}

/* The audit row of a change of a day: old and new, the cases moved. */
static char *change_details(struct req *r, const char *day, const struct cal_day_row *old, const char *kind,
			    const char *note, int moved)
{
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	jg_str(g, "day", day);
	jg_str(g, "old_kind", old ? old->kind : NULL);
	jg_str(g, "old_note", old ? old->note : NULL);
	jg_str(g, "kind", kind);
	jg_str(g, "note", note);
	jg_int(g, "cases_moved", moved);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	yajl_gen_get_buf(g, &b, &len);
	return arena_strndup(r->arena, (const char *)b, len);
}

/* PUT /api/v1/calendar/days/{day} {"kind": "holiday"|"workday", "note"} and
 * DELETE /api/v1/calendar/days/{day} (back to an ordinary day), by a
 * region-wide calendar.manage. A make-up working day (调休) is a weekend
 * day; a day off may be any (a holiday's weekend days are part of it). */
void h_calendar_day(struct req *r)
{
	enum { F_KIND, F_NOTE };
	static const struct field spec[] = {
		[F_KIND] = { "kind", V_STRING, 1, 1, 16, kind_ok },
		[F_NOTE] = { "note", V_STRING, 1, 1, 40, note_ok },
	};
	const struct principal *p = region_manager(r);
	if (p == NULL)
		return;
	const char *day = req_param(r, "day");
	int ymd;
	if (iso_date_parse(day, &ymd) != 0) {
		resp_problem(r, 400, "invalid_day", "The day is a date written YYYY-MM-DD.");
		return;
	}
	int put = r->method == M_PUT;
	struct fval v[NELEM(spec)];
	if (put && valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	const char *kind = put ? v[F_KIND].s : NULL, *note = put ? v[F_NOTE].s : NULL;
	if (put && strcmp(kind, "workday") == 0) {
		long wd = (ymd_to_days(ymd) + 4) % 7; /* 1970-01-01 was a Thursday: 0 = Sunday */
		if (wd < 0)
			wd += 7;
		if (wd != 0 && wd != 6) {
			resp_problem(r, 400, "workday_not_weekend",
				     "A make-up working day (调休上班) is a Saturday or Sunday; a weekday is a working day anyway.");
			return;
		}
	}
	struct cal_day_row *old;
	int nold;
	const char *state = NULL;
	if (db_begin(r) != 0 || cal_timeout_run(r, &(struct cal_timeout_in){ 0 }, NULL) < 0)
		return;
	if (cal_lock_try(r, &(struct cal_lock_in){ 0 }, NULL, &state) < 0) {
		refuse_failed(r, state);
		return;
	}
	if ((nold = cal_day_run(r, &(struct cal_day_in){ .day = day }, &old)) < 0)
		return;
	if (!put && nold == 0) {
		resp_problem(r, 404, "day_not_marked", "The day is an ordinary day already.");
		return;
	}
	if (put ? cal_put_run(r, &(struct cal_put_in){ .day = day, .kind = kind, .note = note }, NULL) < 0 ||
			  cal_year_ensure_run(r, &(struct cal_year_ensure_in){ .year = ymd / 10000 }, NULL) < 0
		: cal_delete_run(r, &(struct cal_delete_in){ .day = day }, NULL) < 0)
		return;
	/* what the timeline says the due date moved for */
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	jg_str(g, "day", day);
	jg_str(g, "kind", kind);
	jg_str(g, "note", note);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	yajl_gen_get_buf(g, &b, &len);
	int moved = recount(r, day, ymd, arena_strndup(r->arena, (const char *)b, len));
	if (moved < 0)
		return;
	if (auth_audit(r, p, "calendar.change", "calendar_day", day, "success",
		       change_details(r, day, nold == 1 ? old : NULL, kind, note, moved)) != 0 ||
	    db_commit(r) != 0)
		return;
	reply_day(r, day, kind, note, moved);
}

/* PATCH /api/v1/calendar/years/{year} {"status"?, "source"?}: whether the
 * year is the State Council's notice (official) or not yet (provisional),
 * and where its days come from. */
void h_calendar_year(struct req *r)
{
	enum { F_STATUS, F_SOURCE };
	static const struct field spec[] = {
		[F_STATUS] = { "status", V_STRING, 0, 1, 16, NULL },
		[F_SOURCE] = { "source", V_STRING, 0, 0, 200, note_ok },
	};
	const struct principal *p = region_manager(r);
	if (p == NULL)
		return;
	long year = strtol(req_param(r, "year"), NULL, 10);
	if (year < 1900 || year > 2999) {
		resp_problem(r, 400, "invalid_year", "The year lies between 1900 and 2999.");
		return;
	}
	struct fval v[NELEM(spec)];
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	const char *status = v[F_STATUS].present ? v[F_STATUS].s : NULL;
	const char *source = v[F_SOURCE].present ? v[F_SOURCE].s : NULL;
	if (status && strcmp(status, "official") != 0 && strcmp(status, "provisional") != 0) {
		valid_reject(r, "invalid_field", "status", "is official or provisional.");
		return;
	}
	if (!status && !source) {
		valid_reject(r, "missing_field", "status", "status or source is needed.");
		return;
	}
	struct cal_year_row *old;
	struct cal_year_set_row *y;
	int nold;
	if (db_begin(r) != 0 || (nold = cal_year_run(r, &(struct cal_year_in){ .year = (int)year }, &old)) < 0 ||
	    cal_year_set_run(r, &(struct cal_year_set_in){ .year = (int)year, .status = status, .source = source },
			     &y) != 1)
		return;
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	jg_int(g, "year", year);
	jg_str(g, "old_status", nold == 1 ? old->status : NULL);
	jg_str(g, "old_source", nold == 1 ? old->source : NULL);
	jg_str(g, "status", y->status);
	jg_str(g, "source", y->source);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	yajl_gen_get_buf(g, &b, &len);
	if (auth_audit(r, p, "calendar.change", "calendar_year", req_param(r, "year"), "success",
		       arena_strndup(r->arena, (const char *)b, len)) != 0 ||
	    db_commit(r) != 0)
		return;
	g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "year", year);
	jg_str(g, "status", y->status);
	jg_str(g, "source", y->source);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
