/* 统计分析: GET /api/v1/stats/{report}?division=&from=&to=&agency=&format=csv
 * (stats.read). The figures are the summaries of sql/0025_statistics.sql
 * (summary + unfolded deltas, exact); each report is one SQL function
 * stats.report_<slug> returning its rows and a totals row (total = true).
 * The columns (key, Chinese label, type) are this file's table: the JSON
 * envelope and the CSV header both come from it. The background process
 * folds the deltas into the summaries (stats_fold_tick). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/csv.h"
#include "../core/log.h"
#include "../core/time.h"
#include "../domain/division.h"
#include "admin.h"

enum coltype { T_TEXT, T_INT, T_FEN, T_BP, T_DAYS };
static const char *const type_names[] = { "text", "int", "fen", "bp", "days" };

struct col {
	const char *key, *label;
	enum coltype type;
};

#define COLS(...) (const struct col[]){ __VA_ARGS__, { NULL, NULL, T_TEXT } }
/* the agencies in a scalar subquery: computed once, not in every row of
 * the inlined report functions */
#define STMT(slug, fn)                                                                                      \
	(const struct stmt){ "stats_" slug, "SELECT * FROM stats.report_" fn                                  \
					    "((SELECT stats.agencies($1, $2)), $3::date, $4::date)", 4 }

static const struct report {
	const char *slug;
	const struct stmt *stmt;
	const struct col *cols;
	int has_totals;
} reports[] = {
	{ "overview", &STMT("overview", "overview"),
	  COLS({ "received", "收件数", T_INT }, { "cross_received", "跨辖区收件数", T_INT },
	       { "cross_bp", "跨辖区占比", T_BP }, { "registered", "登簿数", T_INT },
	       { "rejected", "不予登记数", T_INT }, { "withdrawn", "撤回数", T_INT },
	       { "supplemented", "补正件数", T_INT }, { "supplement_bp", "补正率", T_BP },
	       { "decided", "办结数", T_INT }, { "median_days", "办理时长中位数（工作日）", T_DAYS },
	       { "p90_days", "办理时长90分位（工作日）", T_DAYS }, { "late", "超期办结数", T_INT },
	       { "overdue_now", "当前超期在办数", T_INT }, { "charged_fen", "应收登记费（元）", T_FEN },
	       { "collected_fen", "实收登记费（元）", T_FEN }, { "queries", "查档次数", T_INT }),
	  0 },
	{ "by-month", &STMT("by_month", "by_month"),
	  COLS({ "month", "月份", T_TEXT }, { "received", "收件数", T_INT },
	       { "cross_received", "跨辖区收件数", T_INT }, { "cross_bp", "跨辖区占比", T_BP },
	       { "supplemented", "补正件数", T_INT }, { "supplement_bp", "补正率", T_BP },
	       { "withdrawn", "撤回数", T_INT }, { "decided", "办结数", T_INT }, { "registered", "登簿数", T_INT },
	       { "rejected", "不予登记数", T_INT }, { "late", "超期办结数", T_INT }, { "late_bp", "超期率", T_BP },
	       { "median_days", "办理时长中位数（工作日）", T_DAYS },
	       { "p90_days", "办理时长90分位（工作日）", T_DAYS }),
	  1 },
	{ "by-type", &STMT("by_type", "by_type"),
	  COLS({ "type_name", "业务类型", T_TEXT }, { "business_type", "业务类型代码", T_TEXT },
	       { "received", "收件数", T_INT }, { "cross_received", "跨辖区收件数", T_INT },
	       { "cross_bp", "跨辖区占比", T_BP }, { "supplemented", "补正件数", T_INT },
	       { "supplement_bp", "补正率", T_BP }, { "withdrawn", "撤回数", T_INT }, { "decided", "办结数", T_INT },
	       { "registered", "登簿数", T_INT }, { "rejected", "不予登记数", T_INT }, { "late", "超期办结数", T_INT },
	       { "late_bp", "超期率", T_BP }, { "median_days", "办理时长中位数（工作日）", T_DAYS },
	       { "p90_days", "办理时长90分位（工作日）", T_DAYS }),
	  1 },
	{ "by-agency", &STMT("by_agency", "by_agency"),
	  COLS({ "agency_name", "登记机构", T_TEXT }, { "agency", "机构代码", T_TEXT },
	       { "division", "行政区划代码", T_TEXT }, { "received", "收件数", T_INT },
	       { "sent_out", "代收外辖区件数", T_INT }, { "to_decide", "本机构办理件数", T_INT },
	       { "came_in", "外辖区代收件数", T_INT }, { "involved", "涉及件数", T_INT },
	       { "cross_bp", "跨辖区占比", T_BP }, { "registered", "登簿数", T_INT },
	       { "rejected", "不予登记数", T_INT }, { "late", "超期办结数", T_INT },
	       { "median_days", "办理时长中位数（工作日）", T_DAYS },
	       { "p90_days", "办理时长90分位（工作日）", T_DAYS }),
	  1 },
	{ "cross-trend", &STMT("cross_trend", "cross_trend"),
	  COLS({ "month", "月份", T_TEXT }, { "received", "收件数", T_INT },
	       { "cross_received", "跨辖区收件数", T_INT }, { "cross_bp", "跨辖区占比", T_BP }),
	  1 },
	{ "processing", &STMT("processing", "processing"),
	  COLS({ "type_name", "业务类型", T_TEXT }, { "business_type", "业务类型代码", T_TEXT },
	       { "promised_days", "承诺时限（工作日）", T_DAYS }, { "decided", "办结数", T_INT },
	       { "median_days", "办理时长中位数（工作日）", T_DAYS },
	       { "p90_days", "办理时长90分位（工作日）", T_DAYS }, { "late", "超期办结数", T_INT },
	       { "late_bp", "超期率", T_BP }, { "overdue_now", "当前超期在办数", T_INT }),
	  1 },
	{ "overdue", &STMT("overdue", "overdue"),
	  COLS({ "month", "月份", T_TEXT }, { "decided", "办结数", T_INT }, { "late", "超期办结数", T_INT },
	       { "late_bp", "超期率", T_BP }, { "open_overdue", "当前超期在办数", T_INT }),
	  1 },
	{ "fees", &STMT("fees", "fees"),
	  COLS({ "month", "月份", T_TEXT }, { "charged_n", "核定收费件数", T_INT },
	       { "charged_fen", "应收登记费（元）", T_FEN }, { "cash_n", "现金笔数", T_INT },
	       { "cash_fen", "现金（元）", T_FEN }, { "pos_n", "POS刷卡笔数", T_INT }, { "pos_fen", "POS刷卡（元）", T_FEN },
	       { "wechat_n", "微信支付笔数", T_INT }, { "wechat_fen", "微信支付（元）", T_FEN },
	       { "collected_n", "实收笔数", T_INT }, { "collected_fen", "实收登记费（元）", T_FEN }),
	  1 },
	{ "queries", &STMT("queries", "queries"),
	  COLS({ "kind_name", "查询人类别", T_TEXT }, { "requester_kind", "类别代码", T_TEXT },
	       { "made", "查档次数", T_INT }, { "completed", "已出结果", T_INT }, { "approved", "审批通过", T_INT },
	       { "rejected", "审批驳回", T_INT }, { "pending", "待审批", T_INT },
	       { "certificates", "出具查询证明", T_INT }),
	  1 },
};

#define Q_STATS_DIVISION(P, C) P(code, TEXT) C(name, TEXT)
DB_QUERY(stats_division, Q_STATS_DIVISION, "SELECT name FROM ref.division WHERE code = $1");
#define Q_STATS_AGENCY(P, C) P(code, TEXT) C(division, TEXT)
DB_QUERY(stats_agency, Q_STATS_AGENCY, "SELECT division_code FROM iam.agency WHERE code = $1");

const struct qkey stats_query[] = {
	QKEY_TEXT("division", 64, NULL, "a division code"),
	QKEY_TEXT("from", 64, NULL, "a month YYYY-MM"),
	QKEY_TEXT("to", 64, NULL, "a month YYYY-MM"),
	QKEY_TEXT("agency", 64, NULL, "an agency code"),
	QKEY_ENUM("format", "json", "csv"),
	QKEY_END,
};

/* YYYY-MM (2000-2999) as months since year 0; -1 otherwise */
static int month_parse(const char *s)
{
	if (strlen(s) != 7 || s[4] != '-')
		return -1;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int y = atoi(s), m = atoi(s + 5);
	if (y < 2000 || y > 2999 || m < 1 || m > 12)
		return -1;
	return y * 12 + (m - 1);
}

static char *month_text(struct req *r, int ym)
{
	return arena_printf(r->arena, "%04d-%02d", ym / 12, ym % 12 + 1);
}

/* the current Beijing month */
static int month_now(const struct req *r)
{
	time_t t = (time_t)(req_now_us(r) / 1000000 + 8 * 3600);
	struct tm tm;
	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

/* The widest of the caller's stats.read scopes (region before city before
 * county; the first of equals). */
static const char *widest(const char *const *scopes, size_t n)
{
	const char *best = NULL;
	enum division_level bl = DIV_INVALID;
	for (size_t i = 0; i < n; i++) {
		enum division_level l = division_level_of(scopes[i]);
		if (l != DIV_INVALID && (best == NULL || l < bl)) {
			best = scopes[i];
			bl = l;
		}
	}
	return best;
}

static int covered(const char *const *scopes, size_t n, const char *div)
{
	for (size_t i = 0; i < n; i++)
		if (division_covers(scopes[i], div))
			return 1;
	return 0;
}

static void out_of_scope(struct req *r, const char *what)
{
	resp_problem(r, 403, "out_of_scope", what);
}

static int is_total(PGresult *res, int row)
{
	return PQgetvalue(res, row, 0)[0] == 't';
}

static void gen_row(yajl_gen g, PGresult *res, int row, const struct col *cols, const int *fno)
{
	yajl_gen_map_open(g);
	for (int i = 0; cols[i].key; i++) {
		if (fno[i] < 0 || PQgetisnull(res, row, fno[i])) {
			jg_null(g, cols[i].key);
		} else if (cols[i].type == T_TEXT) {
			jg_str(g, cols[i].key, PQgetvalue(res, row, fno[i]));
		} else {
			jg_int(g, cols[i].key, strtoll(PQgetvalue(res, row, fno[i]), NULL, 10));
		}
	}
	yajl_gen_map_close(g);
}

static int csv_row(struct csv *c, PGresult *res, int row, const struct col *cols, const int *fno, int total)
{
	for (int i = 0; cols[i].key; i++) {
		int null = fno[i] < 0 || PQgetisnull(res, row, fno[i]);
		const char *v = null ? NULL : PQgetvalue(res, row, fno[i]);
		int rc;
		if (null)
			rc = csv_str(c, total && i == 0 ? "合计" : NULL);
		else if (cols[i].type == T_FEN)
			rc = csv_fen(c, strtoll(v, NULL, 10));
		else if (cols[i].type == T_BP)
			rc = csv_bp(c, strtoll(v, NULL, 10));
		else
			rc = csv_str(c, v);
		if (rc != 0)
			return -1;
	}
	return csv_end_row(c);
}

static void reply_csv(struct req *r, const struct report *rep, PGresult *res, const int *fno, const char *division,
		      const char *from, const char *to)
{
	struct buf b = { 0 };
	struct csv c;
	int rc = csv_begin(&c, &b);
	for (int i = 0; rc == 0 && rep->cols[i].key; i++)
		rc = csv_str(&c, rep->cols[i].label);
	if (rc == 0)
		rc = csv_end_row(&c);
	int n = PQntuples(res);
	for (int pass = 0; pass < 2; pass++) /* the rows, then the totals */
		for (int k = 0; rc == 0 && k < n; k++)
			if (is_total(res, k) == pass)
				rc = csv_row(&c, res, k, rep->cols, fno, pass);
	char *body = rc == 0 ? arena_alloc(r->arena, b.len ? b.len : 1) : NULL;
	if (body == NULL) {
		buf_free(&b);
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	memcpy(body, b.p, b.len);
	size_t len = b.len;
	buf_free(&b);
	/* every part is ASCII by construction (slug, digits, dashes) */
	char *name = arena_printf(r->arena, "%s-%s-%s-%s.csv", rep->slug, division, from, to);
	resp_header(r, "Content-Disposition",
		    arena_printf(r->arena, "attachment; filename=\"%s\"; filename*=UTF-8''%s", name, name));
	resp_header(r, "Cache-Control", "no-store");
	resp_raw(r, 200, "text/csv; charset=utf-8", body, len);
}

/* GET /api/v1/stats/{report} */
void h_stats(struct req *r)
{
	const struct principal *p = auth_require(r, "stats.read", NULL, 0);
	if (p == NULL)
		return;
	const char *slug = req_param(r, "report");
	const struct report *rep = NULL;
	for (size_t i = 0; i < NELEM(reports); i++)
		if (strcmp(reports[i].slug, slug) == 0)
			rep = &reports[i];
	if (rep == NULL) {
		resp_problem(r, 404, "not_found", "No such report.");
		return;
	}
	const char **scopes;
	size_t ns = auth_scopes(r, p, "stats.read", &scopes);
	const char *division = req_query(r, "division");
	if (division == NULL) {
		division = widest(scopes, ns);
		if (division == NULL) {
			out_of_scope(r, "You read statistics in no division.");
			return;
		}
	} else if (division_level_of(division) == DIV_INVALID) {
		valid_reject(r, "invalid_field", "division", "is a division code of six digits (45xxxx).");
		return;
	} else if (!covered(scopes, ns, division)) {
		out_of_scope(r, "The division lies outside the divisions where you read statistics.");
		return;
	}
	struct stats_division_row *dv;
	int nd = stats_division_run(r, &(struct stats_division_in){ .code = division }, &dv);
	if (nd < 0)
		return;
	if (nd == 0) {
		valid_reject(r, "invalid_field", "division", "names no division.");
		return;
	}
	const char *agency = req_query(r, "agency");
	if (agency != NULL) {
		struct stats_agency_row *ag;
		int na = is_agency_code(agency) ? stats_agency_run(r, &(struct stats_agency_in){ .code = agency }, &ag) : 0;
		if (na < 0)
			return;
		if (na == 0) {
			valid_reject(r, "invalid_field", "agency", "names no agency.");
			return;
		}
		if (!division_covers(division, ag->division)) {
			out_of_scope(r, "The agency lies outside the division.");
			return;
		}
	}
	int to = month_now(r), from = to - 11;
	const char *qf = req_query(r, "from"), *qt = req_query(r, "to");
	if (qt != NULL && (to = month_parse(qt)) < 0) {
		valid_reject(r, "invalid_field", "to", "is a month YYYY-MM.");
		return;
	}
	if (qf != NULL && (from = month_parse(qf)) < 0) {
		valid_reject(r, "invalid_field", "from", "is a month YYYY-MM.");
		return;
	}
	if (qf == NULL && qt != NULL)
		from = to - 11;
	if (qt == NULL && qf != NULL && from > to) {
		valid_reject(r, "invalid_field", "from", "lies after the current month.");
		return;
	}
	if (from > to) {
		valid_reject(r, "invalid_field", "from", "lies after to.");
		return;
	}
	if (to - from + 1 > 36) {
		valid_reject(r, "invalid_field", "from", "spans more than 36 months up to to.");
		return;
	}
	const char *from_s = month_text(r, from), *to_s = month_text(r, to);
	const char *params[4] = { division, agency ? agency : "", arena_printf(r->arena, "%s-01", from_s),
				  arena_printf(r->arena, "%s-01", to_s) };
	PGresult *res = db_exec(r, rep->stmt, params);
	if (res == NULL)
		return;
	int fno[32];
	for (int i = 0; rep->cols[i].key; i++)
		fno[i] = PQfnumber(res, rep->cols[i].key);
	const char *fmt = req_query(r, "format");
	if (fmt && strcmp(fmt, "csv") == 0) {
		reply_csv(r, rep, res, fno, division, from_s, to_s);
		return;
	}
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "report", rep->slug);
	jg_str(g, "division", division);
	jg_str(g, "division_name", dv->name);
	jg_str(g, "from", from_s);
	jg_str(g, "to", to_s);
	jg_str(g, "generated_at", time_rfc3339(r->arena, req_now_us(r)));
	jg_key(g, "columns");
	yajl_gen_array_open(g);
	for (int i = 0; rep->cols[i].key; i++) {
		yajl_gen_map_open(g);
		jg_str(g, "key", rep->cols[i].key);
		jg_str(g, "label", rep->cols[i].label);
		jg_str(g, "type", type_names[rep->cols[i].type]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	jg_key(g, "rows");
	yajl_gen_array_open(g);
	int n = PQntuples(res), tot = -1;
	for (int k = 0; k < n; k++) {
		if (is_total(res, k))
			tot = k;
		else
			gen_row(g, res, k, rep->cols, fno);
	}
	yajl_gen_array_close(g);
	if (rep->has_totals && tot >= 0) {
		jg_key(g, "totals");
		gen_row(g, res, tot, rep->cols, fno);
	} else {
		jg_null(g, "totals");
	}
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}

/* ---- the background fold ---- */

static const struct stmt q_fold = { "stats_fold", "SELECT stats.fold()", 0 };

/* Fold the deltas into the summaries about every second (more often while
 * a backlog lasts). Reads are exact without it; it keeps them fast. */
void stats_fold_tick(struct db *d)
{
	static int64_t next_us;
	int64_t now = time_mono_us();
	if (now < next_us)
		return;
	const char *state;
	PGresult *res = pg_exec(d, &q_fold, NULL, NULL, NULL, &state);
	if (res == NULL) {
		log_warn("statistics fold: %s", db_last_error(d));
		next_us = now + 5000000;
		return;
	}
	long folded = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	next_us = now + (folded >= 100000 ? 0 : 1000000);
}
