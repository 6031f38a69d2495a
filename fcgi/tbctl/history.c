/* tbctl seed-history N [--seed S] [--months M] [--counties C,C…]: N past
 * cases over the last M months (default 24) across the region's counties,
 * and archive queries (one for every five cases), for statistics and their
 * benchmark.
 *
 * Each case is what the intake writes (fcgi/intake/cases.c, actions.c):
 * numbered TB-<county>-<year>-<6 digits> on the deciding county's counter,
 * received at its window or (通办) at another county's, its parties' ID
 * numbers sealed under the data keys with their masks and keyed indexes,
 * every step of the workflow as an event (domain/history.h: the paths of
 * cases.transition), the due date from the calendar, the fees of the rules
 * (domain/fees.c) on registration, payments at the window (cash, POS) or
 * online (WeChat: the paid pay.order and its pay.voucher). Queries are
 * written as the query service writes them, identities keyed and masked.
 *
 * Units are the registry's: seed-scale's generator adds N/20 first when the
 * registry holds fewer. Every county gets its main agency (if it lacks one)
 * and two disabled accounts "history.<county>.1/2" that the cases name as
 * their clerks (two: approval and registration are two people's).
 *
 * One transaction, rows by COPY in rounds (constant memory), the stats
 * triggers and foreign-key checks off (session_replication_role = replica,
 * as the owner), the secondary indexes dropped and rebuilt for a load
 * large against what is there, then stats.rebuild() when it exists. A
 * re-run continues after the last (the audit event cases.seed_history says
 * where it stopped); the case and query counters move past what it wrote. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "../core/arena.h"
#include "../core/buf.h"
#include "../core/keyring.h"
#include "../domain/fees.h"
#include "../domain/history.h"
#include "../domain/query_rules.h"
#include "../domain/register.h"
#include "../domain/registry.h"
#include "../domain/synth.h"
#include "../domain/workdays.h"
#include "tbctl.h"

#define BATCH 2000		/* cases per COPY round */
#define UNITS_PER_COUNTY 4000	/* units a county's cases are spread over (at most) */
#define NYEARS 6
#define QUERY_EVERY 5		/* one archive query for every five cases */
#define AAD_PARTY "cases.party.id_number"

struct hcounty {
	char code[7], name[64];
	unsigned weight;
	int city, pilot;
	char (*units)[29];
	const char **uses;
	size_t nunits;
	char user[2][24];	/* the two accounts' ids */
};

struct htype {
	char code[40], category[20], action[20], fee_rule[12];
	enum cert_kind cert;
};

struct hrun {
	uint64_t seed;
	int months, y0;
	struct hcounty *c;
	size_t nc;
	struct hist_county *hc;
	struct htype *t;
	struct hist_type *ht;
	size_t nt;
	struct calendar cal;
	int *hol, *mk;
	struct fee_standard *fs;
	struct fee_table ft;
	int32_t *cnum, *cnum0;	/* case numbers: [county][year] */
	int32_t *qnum, *qnum0;	/* query serials: [county][year] */
	struct keyring kr;
	struct arena a;
	struct buf bc, bp, be, bf, bo, bv, bq, bx;
	struct hist_params p;
	long n_state[HS_COUNT], n_cross, n_supp, n_paid[5], n_queries, n_events;
	const char *err;
};

/* ---- time: as seed-scale writes it (Beijing, +08) ---------------------------- */
#define DAY 86400L
static long day_at(int64_t t)
{
	int64_t b = t + 8 * 3600;
	return (long)(b >= 0 ? b / DAY : (b - DAY + 1) / DAY);
}
static int ymd_at(int64_t t)
{
	return days_to_ymd(day_at(t));
}
static void ts(char out[32], int64_t t)
{
	long d = day_at(t);
	int s = (int)(t + 8 * 3600 - (int64_t)d * DAY), ymd = days_to_ymd(d);
	snprintf(out, 32, "%04d-%02d-%02d %02d:%02d:%02d+08", ymd / 10000 % 10000, ymd / 100 % 100, ymd % 100,
		 s / 3600 % 24, s / 60 % 60, s % 60);
}

/* ---- reference data ------------------------------------------------------------ */
static PGresult *q(struct db *d, const char *sql, int n, const char *const *pv)
{
	PGresult *r = PQexecParams(d->conn, sql, n, NULL, pv, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
		fprintf(stderr, "tbctl: %s: %s", sql, PQerrorMessage(d->conn));
		PQclear(r);
		return NULL;
	}
	return r;
}

/* The counties (all, or those of the list), each with its main agency
 * (made when missing, named as 0003 names them) and two accounts. */
static int load_counties(struct hrun *h, struct db *d, const char *only)
{
	const char *pv[] = { only };
	PGresult *r = q(d,
			"INSERT INTO iam.agency (code, name, division_code)"
			" SELECT d.code, d.name || '不动产登记中心', d.code FROM ref.division d"
			" WHERE d.level = 'county' AND ($1::text IS NULL OR d.code = ANY (string_to_array($1, ',')))"
			" AND NOT EXISTS (SELECT 1 FROM iam.agency a WHERE a.code = d.code) ON CONFLICT DO NOTHING",
			1, pv);
	if (r == NULL)
		return -1;
	PQclear(r);
	r = q(d,
	      "INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password, status)"
	      " SELECT 'history.' || a.code || '.' || n, '历史数据生成（系统）', a.code, '!', false, 'disabled'"
	      " FROM iam.agency a JOIN ref.division d ON d.code = a.code AND d.level = 'county', generate_series(1, 2) n"
	      " WHERE $1::text IS NULL OR a.code = ANY (string_to_array($1, ',')) ON CONFLICT (username) DO NOTHING",
	      1, pv);
	if (r == NULL)
		return -1;
	PQclear(r);
	r = q(d,
	      "SELECT d.code, d.name, d.parent_code,"
	      " EXISTS (SELECT 1 FROM cases.pilot p WHERE ref.covers(p.division_code, d.code) AND p.category = 'ownership'),"
	      " (SELECT id FROM iam.user WHERE username = 'history.' || d.code || '.1'),"
	      " (SELECT id FROM iam.user WHERE username = 'history.' || d.code || '.2')"
	      " FROM ref.division d JOIN iam.agency a ON a.code = d.code"
	      " WHERE d.level = 'county' AND ($1::text IS NULL OR d.code = ANY (string_to_array($1, ',')))"
	      " ORDER BY d.code",
	      1, pv);
	if (r == NULL)
		return -1;
	h->nc = (size_t)PQntuples(r);
	h->c = calloc(h->nc ? h->nc : 1, sizeof(*h->c));
	h->hc = calloc(h->nc ? h->nc : 1, sizeof(*h->hc));
	if (h->c == NULL || h->hc == NULL || h->nc == 0) {
		if (h->nc == 0)
			fprintf(stderr, "tbctl: no county (of --counties) has an agency\n");
		PQclear(r);
		return -1;
	}
	for (size_t i = 0; i < h->nc; i++) {
		struct hcounty *c = &h->c[i];
		snprintf(c->code, sizeof(c->code), "%s", PQgetvalue(r, (int)i, 0));
		snprintf(c->name, sizeof(c->name), "%s", PQgetvalue(r, (int)i, 1));
		c->city = atoi(PQgetvalue(r, (int)i, 2));
		c->pilot = strcmp(PQgetvalue(r, (int)i, 3), "t") == 0;
		snprintf(c->user[0], sizeof(c->user[0]), "%s", PQgetvalue(r, (int)i, 4));
		snprintf(c->user[1], sizeof(c->user[1]), "%s", PQgetvalue(r, (int)i, 5));
		/* urban districts are busier than counties, county-level cities in between */
		size_t nl = strlen(c->name);
		c->weight = registration_area_is_city(c->name) ? 4 : nl > 3 && strcmp(c->name + nl - 3, "市") == 0 ? 2 : 1;
	}
	PQclear(r);
	return 0;
}

/* Up to UNITS_PER_COUNTY units of each county; a county without one gets
 * no cases. */
static int load_units(struct hrun *h, struct db *d, const char *only)
{
	static const char *const uses[] = { "residential", "non_residential", "parking", "storeroom", "other" };
	const char *pv[] = { only };
	char lim[16];
	snprintf(lim, sizeof(lim), "%d", UNITS_PER_COUNTY);
	const char *pv2[] = { only, lim };
	(void)pv;
	PGresult *r = q(d,
			"SELECT county_code, code, use FROM (SELECT county_code, code, use,"
			" row_number() OVER (PARTITION BY county_code ORDER BY code) AS n FROM reg.unit"
			" WHERE $1::text IS NULL OR county_code = ANY (string_to_array($1, ','))) u"
			" WHERE n <= $2::int ORDER BY county_code, code",
			2, pv2);
	if (r == NULL)
		return -1;
	int n = PQntuples(r), i = 0;
	for (size_t k = 0; k < h->nc; k++) {
		struct hcounty *c = &h->c[k];
		while (i < n && strcmp(PQgetvalue(r, i, 0), c->code) < 0)
			i++;
		int j = i;
		while (j < n && strcmp(PQgetvalue(r, j, 0), c->code) == 0)
			j++;
		c->nunits = (size_t)(j - i);
		if (c->nunits) {
			c->units = calloc(c->nunits, sizeof(*c->units));
			c->uses = calloc(c->nunits, sizeof(*c->uses));
			if (c->units == NULL || c->uses == NULL) {
				PQclear(r);
				return -1;
			}
		}
		for (int m = i; m < j; m++) {
			snprintf(c->units[m - i], 29, "%s", PQgetvalue(r, m, 1));
			c->uses[m - i] = "other";
			for (size_t u = 0; u < sizeof(uses) / sizeof(uses[0]); u++)
				if (strcmp(PQgetvalue(r, m, 2), uses[u]) == 0)
					c->uses[m - i] = uses[u];
		}
		h->hc[k] = (struct hist_county){ c->nunits ? c->weight : 0, c->city, c->pilot };
		i = j;
	}
	PQclear(r);
	return 0;
}

static int load_types(struct hrun *h, struct db *d)
{
	PGresult *r = q(d,
			"SELECT code, category, action, fee_rule, promised_days, pilot_only FROM cases.business_type"
			" WHERE enabled ORDER BY code",
			0, NULL);
	if (r == NULL)
		return -1;
	h->nt = (size_t)PQntuples(r);
	h->t = calloc(h->nt + 1, sizeof(*h->t));
	h->ht = calloc(h->nt + 1, sizeof(*h->ht));
	if (h->t == NULL || h->ht == NULL) {
		PQclear(r);
		return -1;
	}
	for (size_t i = 0; i < h->nt; i++) {
		struct htype *t = &h->t[i];
		snprintf(t->code, sizeof(t->code), "%s", PQgetvalue(r, (int)i, 0));
		snprintf(t->category, sizeof(t->category), "%s", PQgetvalue(r, (int)i, 1));
		snprintf(t->action, sizeof(t->action), "%s", PQgetvalue(r, (int)i, 2));
		snprintf(t->fee_rule, sizeof(t->fee_rule), "%s", PQgetvalue(r, (int)i, 3));
		struct reg_plan plan;
		unsigned share = hist_type_share(t->code);
		if (reg_plan_for(t->category, t->action, &plan) != 0)
			share = 0; /* a type the registry rules do not know is not registered */
		else
			t->cert = plan.cat->cert;
		struct fee_facts ff = { t->category, t->action, t->fee_rule };
		h->ht[i] = (struct hist_type){ t->code, atoi(PQgetvalue(r, (int)i, 4)),
					       fee_rule_for(&ff) == FEE_FREE, strcmp(PQgetvalue(r, (int)i, 5), "t") == 0,
					       share };
	}
	PQclear(r);
	return 0;
}

static int load_calendar(struct hrun *h, struct db *d)
{
	PGresult *r = q(d, "SELECT to_char(day, 'YYYYMMDD')::int, kind FROM cases.calendar ORDER BY day", 0, NULL);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	h->hol = calloc((size_t)n + 1, sizeof(int));
	h->mk = calloc((size_t)n + 1, sizeof(int));
	if (h->hol == NULL || h->mk == NULL) {
		PQclear(r);
		return -1;
	}
	size_t nh = 0, nm = 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(PQgetvalue(r, i, 1), "holiday") == 0)
			h->hol[nh++] = atoi(PQgetvalue(r, i, 0));
		else
			h->mk[nm++] = atoi(PQgetvalue(r, i, 0));
	}
	h->cal = (struct calendar){ h->hol, nh, h->mk, nm };
	PQclear(r);
	r = q(d, "SELECT code, name, amount_fen FROM cases.fee_standard ORDER BY code", 0, NULL);
	if (r == NULL)
		return -1;
	n = PQntuples(r);
	h->fs = calloc((size_t)n + 1, sizeof(*h->fs));
	if (h->fs == NULL) {
		PQclear(r);
		return -1;
	}
	for (int i = 0; i < n; i++)
		h->fs[i] = (struct fee_standard){ strdup(PQgetvalue(r, i, 0)), strdup(PQgetvalue(r, i, 1)),
						  atoll(PQgetvalue(r, i, 2)) };
	h->ft = (struct fee_table){ h->fs, (size_t)n };
	PQclear(r);
	return 0;
}

/* The counters of case numbers and query serials per county and year,
 * locked for the run (a case created meanwhile in one of these counties
 * waits for the commit rather than take a number of ours), and the
 * numbers already given, which imports and demo data do not count (one
 * scan of each table, grouped: a per-counter lookup by LIKE took minutes
 * on a large table). */
static int load_counters(struct hrun *h, struct db *d, const char *only)
{
	size_t n = h->nc * NYEARS;
	h->cnum = calloc(n, sizeof(int32_t));
	h->cnum0 = calloc(n, sizeof(int32_t));
	h->qnum = calloc(n, sizeof(int32_t));
	h->qnum0 = calloc(n, sizeof(int32_t));
	if (!h->cnum || !h->cnum0 || !h->qnum || !h->qnum0)
		return -1;
	char y0[16], y1[16];
	snprintf(y0, sizeof(y0), "%d", h->y0);
	snprintf(y1, sizeof(y1), "%d", h->y0 + NYEARS - 1);
	const char *pv[] = { only, y0, y1 };
	static const char *const sql[2] = {
		"WITH k AS (SELECT a.code, y FROM iam.agency a JOIN ref.division d ON d.code = a.code AND d.level = 'county',"
		"  generate_series($2::int, $3::int) y WHERE $1::text IS NULL OR a.code = ANY (string_to_array($1, ','))),"
		" l AS (INSERT INTO cases.counter AS c (agency_code, year, kind, last) SELECT code, y, 'case', 0 FROM k"
		"  ON CONFLICT (agency_code, year, kind) DO UPDATE SET last = c.last RETURNING agency_code, year, last)"
		" , m AS (SELECT substr(number, 4, 6) AS a, substr(number, 11, 4)::int AS y, max(substr(number, 16)::int) AS m"
		"  FROM cases.case WHERE number ~ '^TB-[0-9]{6}-[0-9]{4}-[0-9]{6}$' GROUP BY 1, 2)"
		" SELECT l.agency_code, l.year, greatest(l.last, m.m) FROM l LEFT JOIN m ON m.a = l.agency_code AND m.y = l.year",
		"WITH k AS (SELECT a.code, y FROM iam.agency a JOIN ref.division d ON d.code = a.code AND d.level = 'county',"
		"  generate_series($2::int, $3::int) y WHERE $1::text IS NULL OR a.code = ANY (string_to_array($1, ','))),"
		" l AS (INSERT INTO qry.serial_counter AS c (agency_code, year, last) SELECT code, y, 0 FROM k"
		"  ON CONFLICT (agency_code, year) DO UPDATE SET last = c.last RETURNING agency_code, year, last)"
		" , m AS (SELECT substr(serial, 4, 6) AS a, substr(serial, 11, 4)::int AS y, max(substr(serial, 16)::int) AS m"
		"  FROM qry.query WHERE serial ~ '^CX-[0-9]{6}-[0-9]{4}-[0-9]{7}$' GROUP BY 1, 2)"
		" SELECT l.agency_code, l.year, greatest(l.last, m.m) FROM l LEFT JOIN m ON m.a = l.agency_code AND m.y = l.year",
	};
	for (int k = 0; k < 2; k++) {
		PGresult *r = q(d, sql[k], 3, pv);
		if (r == NULL)
			return -1;
		for (int i = 0; i < PQntuples(r); i++) {
			size_t c = 0;
			while (c < h->nc && strcmp(h->c[c].code, PQgetvalue(r, i, 0)) != 0)
				c++;
			int y = atoi(PQgetvalue(r, i, 1)) - h->y0;
			if (c < h->nc && y >= 0 && y < NYEARS)
				(k ? h->qnum : h->cnum)[c * NYEARS + (size_t)y] = (int32_t)atol(PQgetvalue(r, i, 2));
		}
		PQclear(r);
	}
	memcpy(h->cnum0, h->cnum, n * sizeof(int32_t));
	memcpy(h->qnum0, h->qnum, n * sizeof(int32_t));
	return 0;
}

static int save_counters(struct hrun *h, struct db *d)
{
	int rc = 0;
	for (int k = 0; k < 2 && rc == 0; k++) {
		struct buf a = { 0 }, y = { 0 }, l = { 0 };
		int n = 0;
		rc |= buf_puts(&a, "{") | buf_puts(&y, "{") | buf_puts(&l, "{");
		const int32_t *now = k ? h->qnum : h->cnum, *was = k ? h->qnum0 : h->cnum0;
		for (size_t c = 0; c < h->nc; c++)
			for (int yi = 0; yi < NYEARS; yi++) {
				size_t i = c * NYEARS + (size_t)yi;
				if (now[i] == was[i])
					continue;
				const char *sep = n++ ? "," : "";
				rc |= buf_printf(&a, "%s%s", sep, h->c[c].code) | buf_printf(&y, "%s%d", sep, h->y0 + yi) |
				      buf_printf(&l, "%s%d", sep, now[i]);
			}
		rc |= buf_append(&a, "}", 2) | buf_append(&y, "}", 2) | buf_append(&l, "}", 2);
		if (rc == 0 && n > 0) {
			const char *pv[] = { (char *)a.p, (char *)y.p, (char *)l.p };
			PGresult *r = q(d,
					k ? "UPDATE qry.serial_counter c SET last = greatest(c.last, u.l) FROM unnest($1::text[],"
					    " $2::int[], $3::int[]) u (a, y, l) WHERE c.agency_code = u.a AND c.year = u.y"
					  : "UPDATE cases.counter c SET last = greatest(c.last, u.l) FROM unnest($1::text[],"
					    " $2::int[], $3::int[]) u (a, y, l) WHERE c.agency_code = u.a AND c.year = u.y AND c.kind = 'case'",
					3, pv);
			rc |= r == NULL;
			PQclear(r);
		}
		buf_free(&a);
		buf_free(&y);
		buf_free(&l);
	}
	return rc ? -1 : 0;
}

/* n values of a sequence (a table's identity, or a numbering), for rows
 * whose numbers must be known before they are written. */
static int reserve(struct db *d, const char *seq, long n, int64_t *out)
{
	if (n == 0)
		return 0;
	char nn[24];
	snprintf(nn, sizeof(nn), "%ld", n);
	const char *pv[] = { seq, nn };
	PGresult *r = q(d, "SELECT nextval($1::regclass) FROM generate_series(1, $2::int)", 2, pv);
	if (r == NULL)
		return -1;
	for (long i = 0; i < n; i++)
		out[i] = atoll(PQgetvalue(r, (int)i, 0));
	PQclear(r);
	return 0;
}

/* ---- rows --------------------------------------------------------------------- */
static int next_number(struct hrun *h, int32_t *counters, size_t county, int64_t t, int max, int32_t *out)
{
	int y = ymd_at(t) / 10000 - h->y0;
	if (y < 0 || y >= NYEARS) {
		h->err = "a time outside the years the counters were read for";
		return -1;
	}
	int32_t *p = &counters[county * NYEARS + (size_t)y];
	if (*p >= max) {
		h->err = "a county ran out of numbers for a year";
		return -1;
	}
	*out = ++*p;
	return 0;
}

static const char *const missing_items[] = {
	"身份证明材料不清晰，请提供清晰复印件", "缺少不动产权属证书原件", "抵押合同未加盖抵押权人公章",
	"申请书签名与身份证明不一致", "缺少委托书及受托人身份证明", "买卖合同缺少备案编号",
};
static const char *const reject_reasons[] = {
	"申请登记的不动产权属存在争议", "申请材料不符合法定形式，补正后仍不符合要求", "申请登记事项与不动产登记簿记载冲突",
	"违反法律、行政法规规定",
};
#define NA(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

struct wechat {
	int64_t order_id, order_no, voucher_no;
};

/* One case and its parties, events, fee items and (online payment) order
 * and voucher into the round's buffers. */
static int case_rows(struct hrun *h, uint64_t index, const struct hist_case *hc, int64_t id, struct wechat *w)
{
	const struct hcounty *dc = &h->c[hc->deciding], *rc = &h->c[hc->receiving];
	const struct htype *t = &h->t[hc->type];
	struct synth_rng r;
	synth_rng_init(&r, h->seed, 104, index);
	size_t ui = synth_below(&r, (uint32_t)dc->nunits);
	const char *unit = dc->units[ui], *use = dc->uses[ui];
	int32_t serial;
	if (next_number(h, h->cnum, hc->deciding, hc->created, 999999, &serial) != 0)
		return -1;
	char number[32], created[32], received[32], updated[32], due[16] = "\\N", from[16] = "\\N", days[16] = "\\N", fee[24] = "\\N";
	snprintf(number, sizeof(number), "TB-%s-%d-%06d", dc->code, ymd_at(hc->created) / 10000, serial);
	ts(created, hc->created);
	ts(received, hc->received);
	ts(updated, hc->ev[hc->nev - 1].at);
	if (hc->due_ymd)
		snprintf(due, sizeof(due), "%04d-%02d-%02d", hc->due_ymd / 10000, hc->due_ymd / 100 % 100, hc->due_ymd % 100);
	if (hc->due_from_ymd) { /* the window a calendar change recomputes (sql/0026) */
		snprintf(from, sizeof(from), "%04d-%02d-%02d", hc->due_from_ymd / 10000, hc->due_from_ymd / 100 % 100,
			 hc->due_from_ymd % 100);
		snprintf(days, sizeof(days), "%d", hc->due_days);
	}
	/* the fees the rules charge, with the registration */
	int registered = 0;
	for (size_t i = 0; i < hc->nev; i++)
		registered |= hc->ev[i].action == HA_REGISTER;
	struct fee_line lines[FEE_MAX_LINES];
	size_t nl = 0;
	int64_t total = 0;
	if (registered) {
		struct fee_case fc = { { t->category, t->action, t->fee_rule }, use, 1, t->cert, 0 };
		enum fee_problem fp = fee_compute(&h->ft, &fc, lines, &nl, &total);
		if (fp != FEE_OK) {
			h->err = fee_problem_text(fp);
			return -1;
		}
		snprintf(fee, sizeof(fee), "%" PRId64, total);
	}
	if (buf_printf(&h->bc,
		       "%" PRId64 "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%zu\t{\"certificates\": 1, \"source\": \"seed-history\"}"
		       "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
		       id, number, t->code, unit, rc->code, dc->code, rc->code, dc->code, hist_state_name(hc->state), hc->nev,
		       received, due, from, days, fee, rc->user[0], created, updated) != 0)
		return -1;

	/* parties: the applicant, the other side, sometimes an agent */
	static const char *const roles[] = { "right_holder", "obligor", "agent" };
	for (int k = 0; k < hc->parties; k++) {
		char idn[19], name[40], masked[24], idx[65], prog[65], typed[48], proof[48];
		uint64_t person = (hc->person + (uint64_t)k * 104729) % synth_person_max();
		const char *prefix = synth_chance(&r, 800) ? dc->code : h->c[synth_below(&r, (uint32_t)h->nc)].code;
		if (synth_id_number(idn, prefix, person) != 0)
			return -1;
		struct synth_rng nr;
		synth_rng_init(&nr, h->seed, 105, person);
		synth_name(&nr, synth_id_male(idn), name, sizeof(name));
		const char *sealed = keyring_seal(&h->kr, &h->a, idn, 18, AAD_PARTY);
		int tl = snprintf(typed, sizeof(typed), "resident_id:%s", idn);
		int pl = snprintf(proof, sizeof(proof), "%s:%s", number, idn + 12);
		if (sealed == NULL || keyring_index(&h->kr, "id_number", typed, (size_t)tl, idx) != 0 ||
		    keyring_index(&h->kr, "progress", proof, (size_t)pl, prog) != 0) {
			h->err = "an ID number could not be sealed";
			return -1;
		}
		id_mask(idn, masked, sizeof(masked));
		OPENSSL_cleanse(typed, sizeof(typed));
		OPENSSL_cleanse(idn, sizeof(idn));
		if (buf_printf(&h->bp, "%" PRId64 "\t%d\t%s\t%s\tresident_id\t%s\t%s\t%s\t%s\n", id, k + 1, roles[k], name,
			       sealed, masked, idx, prog) != 0)
			return -1;
	}

	/* the timeline */
	int64_t amount = total;
	for (size_t i = 0; i < hc->nev; i++) {
		const struct hist_event *e = &hc->ev[i];
		const struct hcounty *ac = e->side == HSIDE_DECIDING ? dc : rc;
		char at[32], det[512] = "{}", actor[24], agency[8];
		ts(at, e->at);
		snprintf(actor, sizeof(actor), "%s", e->side == HSIDE_PROVIDER ? "\\N" : ac->user[e->actor]);
		snprintf(agency, sizeof(agency), "%s", e->side == HSIDE_PROVIDER ? "\\N" : ac->code);
		switch (e->action) {
		case HA_REQUEST_SUPPLEMENT:
			snprintf(det, sizeof(det), "{\"missing\": [\"%s\"]}", missing_items[synth_below(&r, NA(missing_items))]);
			break;
		case HA_REJECT:
			snprintf(det, sizeof(det), "{\"reason\": \"%s\"}", reject_reasons[synth_below(&r, NA(reject_reasons))]);
			break;
		case HA_RECORD_PAYMENT:
			if (hc->channel == HPAY_NOT_DUE) {
				snprintf(det, sizeof(det), "{\"not_due\": true}");
			} else if (hc->channel == HPAY_WECHAT) {
				char d8[16], paid[32], made[32], expires[32], tx[48], no[32], vno[32];
				int ymd = ymd_at(e->at - 300);
				snprintf(d8, sizeof(d8), "%08d", ymd);
				snprintf(no, sizeof(no), "TB%s%010" PRId64, d8, (int64_t)(w->order_no % INT64_C(10000000000)));
				snprintf(vno, sizeof(vno), "PZ%08d%08" PRId64, ymd_at(e->at), (int64_t)(w->voucher_no % INT64_C(100000000)));
				snprintf(tx, sizeof(tx), "4200%08d%016" PRId64, ymd_at(e->at), w->order_id);
				ts(paid, e->at);
				ts(made, e->at - 300);
				ts(expires, e->at - 300 + 7200);
				snprintf(det, sizeof(det),
					 "{\"provider\": \"wechat\", \"transaction_id\": \"%s\", \"out_trade_no\": \"%s\","
					 " \"amount_fen\": %" PRId64 ", \"voucher\": \"%s\"}",
					 tx, no, amount, vno);
				if (buf_printf(&h->bo,
					       "%" PRId64 "\t%" PRId64 "\t%s\twechat\t%" PRId64
					       "\tweixin://wxpay/bizpayurl?pr=H%" PRId64 "\tpaid\t%s\t%s\t%s\t%s\n",
					       w->order_id, id, no, amount, w->order_id, made, expires, paid, tx) != 0)
					return -1;
				/* the voucher's items: the fee items as they stood when paid */
				if (buf_printf(&h->bv, "%" PRId64 "\t%s\t%" PRId64 "\t%s\t%s\twechat\t%" PRId64 "\t%s\t[", id, vno,
					       w->order_id, no, tx, amount, paid) != 0)
					return -1;
				for (size_t k = 0; k < nl; k++)
					if (buf_printf(&h->bv,
						       "%s{\"seq\": %zu, \"code\": \"%s\", \"description\": \"%s\", \"quantity\": %" PRId64
						       ", \"unit_price_fen\": %" PRId64 ", \"amount_fen\": %" PRId64
						       ", \"rule\": \"%s\", \"basis\": \"%s\", \"waived\": false, \"reason\": null}",
						       k ? ", " : "", k + 1, lines[k].code, lines[k].description, lines[k].quantity,
						       lines[k].unit_price_fen, lines[k].amount_fen, lines[k].code, lines[k].basis) != 0)
						return -1;
				if (buf_puts(&h->bv, "]\n") != 0)
					return -1;
			} else {
				snprintf(det, sizeof(det),
					 "{\"receipt_number\": \"SJ%08d%06u\", \"method\": \"%s\", \"amount_fen\": %" PRId64 "}",
					 ymd_at(e->at), synth_below(&r, 1000000), hist_channel_name(hc->channel), amount);
			}
			break;
		case HA_DELIVER:
			if (hc->mail)
				snprintf(det, sizeof(det), "{\"method\": \"mail\", \"tracking_number\": \"EMS%010u\"}",
					 synth_below(&r, 2000000000u));
			else
				snprintf(det, sizeof(det), "{\"method\": \"pickup\", \"agency_code\": \"%s\"}", rc->code);
			break;
		default:
			break;
		}
		if (buf_printf(&h->be, "%" PRId64 "\t%s\t%s\t%s\t%s\t%s\t%s\t\\N\t%s\n", id, at, actor, agency,
			       hist_action_name(e->action), e->from == HS_NONE ? "\\N" : hist_state_name(e->from),
			       hist_state_name(e->to), det) != 0)
			return -1;
	}
	h->n_events += (long)hc->nev;
	for (size_t k = 0; k < nl; k++)
		if (buf_printf(&h->bf, "%" PRId64 "\t%zu\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%s\t%s\tf\n", id, k + 1,
			       lines[k].code, lines[k].description, lines[k].quantity, lines[k].unit_price_fen,
			       lines[k].amount_fen, lines[k].code, lines[k].basis) != 0)
			return -1;
	h->n_state[hc->state]++;
	h->n_cross += hc->cross;
	h->n_supp += hc->supplement;
	h->n_paid[hc->channel]++;
	return 0;
}

/* a tiny PDF the evidence rows point at: synthetic queries have no scan */
static const char evidence_pdf[] = "%PDF-1.4\n% seed-history: synthetic evidence, no document\n%%EOF\n";

static const char *const purposes[QR_KIND_COUNT] = {
	[QR_HOLDER] = "查询本人名下不动产登记信息", [QR_HEIR_GUARDIAN] = "办理继承手续需查询被继承人不动产",
	[QR_INTERESTED_PARTY] = "民事诉讼需查询涉案不动产登记信息", [QR_PROSPECTIVE_PARTY] = "拟购买该不动产，查询其登记状况",
	[QR_LAWYER] = "持法院调查令查询涉案不动产", [QR_STATE_ORGAN] = "依法协助调查，查询不动产登记信息",
};
static const char *const visibility[] = { "facts", "register", "full" };

static int query_rows(struct hrun *h, uint64_t index, const struct hist_query *hq, int64_t evidence_id,
		      const char *evidence_sha)
{
	const struct hcounty *c = &h->c[hq->county];
	const struct qr_rule *rule = qr_rule_of((enum qr_kind)hq->kind);
	if (rule == NULL)
		return -1;
	struct synth_rng r;
	synth_rng_init(&r, h->seed, 106, index);
	int32_t serial;
	if (next_number(h, h->qnum, hq->county, hq->at, 9999999, &serial) != 0)
		return -1;
	int year = ymd_at(hq->at) / 10000;
	char at[32], idn[19], name[40], masked[24], idx[65], typed[48], ref[80] = "\\N", cond[400], cond_value[40] = "\\N";
	char hname[40] = "\\N", hidx[65] = "\\N", htype[16] = "\\N", result[200] = "\\N", decided[32] = "\\N";
	ts(at, hq->at);
	if (synth_id_number(idn, c->code, hq->person) != 0)
		return -1;
	struct synth_rng nr;
	synth_rng_init(&nr, h->seed, 105, hq->person);
	synth_name(&nr, synth_id_male(idn), name, sizeof(name));
	int tl = snprintf(typed, sizeof(typed), "resident_id:%s", idn);
	if (keyring_index(&h->kr, "id_number", typed, (size_t)tl, idx) != 0)
		return -1;
	id_mask(idn, masked, sizeof(masked));
	if (rule->needs_reference)
		snprintf(ref, sizeof(ref), hq->kind == QR_LAWYER ? "（%d）桂%.4s调查令第%u号"
					   : hq->kind == QR_STATE_ORGAN ? "桂公协查〔%d〕%.4s%u号"
									: "HT%d%.4s%05u",
			 year, c->code + 2, 1 + synth_below(&r, 9999));
	if (hq->cond == 2) {
		/* a person: the holder whose units are asked for */
		char hid[19];
		uint64_t who = synth_next(&r) % synth_person_max();
		if (synth_id_number(hid, c->code, who) != 0)
			return -1;
		struct synth_rng hr;
		synth_rng_init(&hr, h->seed, 105, who);
		synth_name(&hr, synth_id_male(hid), hname, sizeof(hname));
		char hmask[24];
		id_mask(hid, hmask, sizeof(hmask));
		tl = snprintf(typed, sizeof(typed), "resident_id:%s", hid);
		if (keyring_index(&h->kr, "id_number", typed, (size_t)tl, hidx) != 0)
			return -1;
		snprintf(htype, sizeof(htype), "resident_id");
		snprintf(cond, sizeof(cond), "{\"holder\": {\"name\": \"%s\", \"id_type\": \"resident_id\", \"id_number_masked\": \"%s\"}}",
			 hname, hmask);
	} else {
		const char *unit = c->units[synth_below(&r, (uint32_t)c->nunits)];
		snprintf(cond_value, sizeof(cond_value), "%s", unit);
		snprintf(cond, sizeof(cond), "{\"unit_code\": \"%s\"}", unit);
	}
	OPENSSL_cleanse(typed, sizeof(typed));
	OPENSSL_cleanse(idn, sizeof(idn));
	const char *state = hq->state == HQ_COMPLETED ? "completed" : hq->state == HQ_PENDING ? "pending_approval" : "rejected";
	int64_t asked = hq->approved ? hq->decided_at : hq->at;
	if (hq->state == HQ_COMPLETED) {
		char t[32];
		ts(t, asked);
		/* the stored result's shape; a synthetic query found nothing it names */
		snprintf(result, sizeof(result), "{\"as_at\": \"%.10sT%.8s+08:00\", \"visibility\": \"%s\", \"units\": []}", t,
			 t + 11, visibility[rule->visibility]);
	}
	if (hq->approved)
		ts(decided, hq->decided_at);
	int waits = hq->approved || hq->state == HQ_PENDING;
	if (buf_printf(&h->bx, "%" PRId64 "\tapplication/pdf\t%zu\t%s\t\\\\x", evidence_id, sizeof(evidence_pdf) - 1,
		       evidence_sha) != 0)
		return -1;
	for (size_t i = 0; i + 1 < sizeof(evidence_pdf); i++)
		if (buf_printf(&h->bx, "%02x", (unsigned char)evidence_pdf[i]) != 0)
			return -1;
	if (buf_printf(&h->bx, "\t%s\t%s\t%s\n", c->user[0], c->code, at) != 0)
		return -1;
	return buf_printf(&h->bq,
			  "CX-%s-%d-%07d\t%s\t%s\t%s\t%s\t%s\tresident_id\t%s\t%s\t%s\t%s\t%" PRId64
			  "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t{%s}\t%s\t{%s}\t%s\t%s\t%s\t%s\n",
			  c->code, year, serial, c->code, c->user[0], at, rule->name, name, masked, idx, ref, purposes[hq->kind],
			  evidence_id, cond, hq->cond == 2 ? "holder" : "unit_code", cond_value, hname, hidx, htype, at,
			  c->code, state, waits ? c->code : "", result, hq->approved ? c->user[1] : "\\N", decided,
			  hq->state == HQ_REJECTED ? "查询目的与所附材料不符" : "\\N");
}

static const char *const q_case =
	"COPY cases.case (id, number, business_type, unit_code, receiving_agency, deciding_agency, receiving_division,"
	" deciding_division, state, version, fields, received_at, due_date, due_from, due_days, fee_total_fen,"
	" created_by, created_at, updated_at) FROM STDIN";
static const char *const q_party =
	"COPY cases.party (case_id, seq, role, name, id_type, id_number, id_number_masked, id_number_index, progress_key)"
	" FROM STDIN";
static const char *const q_event =
	"COPY cases.event (case_id, at, actor_id, agency_code, action, from_state, to_state, comment, details) FROM STDIN";
static const char *const q_fee = "COPY cases.fee_item (case_id, seq, code, description, quantity, unit_price_fen,"
				 " amount_fen, rule, basis, waived) FROM STDIN";
static const char *const q_order = "COPY pay.order (id, case_id, out_trade_no, provider, amount_fen, code_url, state,"
				   " created_at, expires_at, paid_at, transaction_id) FROM STDIN";
static const char *const q_voucher = "COPY pay.voucher (case_id, number, order_id, out_trade_no, transaction_id,"
				     " provider, amount_fen, paid_at, items) FROM STDIN";
static const char *const q_evidence =
	"COPY qry.evidence (id, content_type, size, sha256, data, uploaded_by, agency_code, uploaded_at) FROM STDIN";
static const char *const q_query =
	"COPY qry.query (serial, agency_code, created_by, created_at, requester_kind, requester_name, requester_id_type,"
	" requester_id_masked, requester_id_index, requester_reference, purpose, evidence_id, conditions, cond_kind,"
	" cond_value, cond_holder_name, cond_holder_index, cond_holder_id_type, as_at, divisions, state,"
	" approval_divisions, result, decided_by, decided_at, reject_reason) FROM STDIN";

/* the tables a large load goes into without their secondary indexes */
static const char *const big_tables[] = { "cases.case", "cases.event", "cases.party", "pay.order", "qry.query" };
#define NBIG (sizeof(big_tables) / sizeof(big_tables[0]))

static void usage_history(void)
{
	fprintf(stderr, "usage: tbctl seed-history N [--seed S] [--months M] [--counties CODE,CODE…]\n"
			"  adds N past cases over the last M months (default 24) and N/5 archive queries across the\n"
			"  counties (all, or those listed), continuing after an earlier run; then SELECT stats.rebuild()\n");
}

static int parse_u(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		return -1;
	*out = strtoull(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

int cmd_history(int argc, char **argv)
{
	unsigned long long n = 0, seed = 1, months = 24, v;
	const char *only = NULL;
	int have_n = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			if (parse_u(argv[++i], UINT64_MAX, &seed) != 0) {
				fprintf(stderr, "tbctl: --seed must be a whole number\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--months") == 0 && i + 1 < argc) {
			if (parse_u(argv[++i], 60, &months) != 0 || months < 1) {
				fprintf(stderr, "tbctl: --months must be a whole number from 1 to 60\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--counties") == 0 && i + 1 < argc) {
			only = argv[++i];
			if (strspn(only, "0123456789,") != strlen(only) || *only == '\0') {
				fprintf(stderr, "tbctl: --counties is a list of county codes separated by commas\n");
				return 2;
			}
		} else if (!have_n && parse_u(argv[i], 100000000, &v) == 0 && v >= 1) {
			n = v;
			have_n = 1;
		} else {
			usage_history();
			return 2;
		}
	}
	if (!have_n) {
		usage_history();
		return 2;
	}
	double t_begin = now_s();
	struct hrun *h = calloc(1, sizeof(*h));
	if (h == NULL)
		return 1;
	h->seed = seed;
	h->months = (int)months;
	arena_init(&h->a, 0);
	struct db d = { 0 };
	int rc = 1, tx = 0, nidx[NBIG] = { 0 };
	struct buf defs = { 0 };
	struct hist_case *cs = calloc(BATCH, sizeof(*cs));
	struct hist_query *qs = calloc(BATCH / QUERY_EVERY + 1, sizeof(*qs));
	int64_t *ids = calloc(BATCH, sizeof(int64_t)), *oid = calloc(BATCH, sizeof(int64_t)),
		*ono = calloc(BATCH, sizeof(int64_t)), *vno = calloc(BATCH, sizeof(int64_t)),
		*eid = calloc(BATCH, sizeof(int64_t));
	if (!cs || !qs || !ids || !oid || !ono || !vno || !eid)
		goto out;
	if (tbctl_keys(&h->kr) != 0 || tbctl_connect(&d) != 0)
		goto out;
	time_t now = time(NULL);
	h->p.now = (int64_t)now;
	h->p.today = day_at(h->p.now);
	h->y0 = ymd_at(h->p.now) / 10000 - (int)(months / 12) - 1;

	/* the registry's units: seed-scale adds some when there are too few */
	if (only == NULL) {
		PGresult *r = q(&d, "SELECT count(*) FROM reg.unit", 0, NULL);
		if (r == NULL)
			goto out;
		long have = atol(PQgetvalue(r, 0, 0)), want = (long)(n / 20) + 1;
		PQclear(r);
		if (have < want) {
			char units[24], sd[24];
			snprintf(units, sizeof(units), "%ld", want - have);
			snprintf(sd, sizeof(sd), "%llu", seed);
			char *av[] = { "seed-scale", "--units", units, "--seed", sd, NULL };
			fprintf(stderr, "seed-history: the registry has %ld units: seed-scale adds %ld first\n", have, want - have);
			if (cmd_seed(5, av) != 0)
				goto out;
		}
	}
	if (exec_ok(&d, "BEGIN") != 0)
		goto out;
	tx = 1;
	if (exec_ok(&d, "SELECT pg_advisory_xact_lock(hashtext('tbctl seed-history'))") != 0)
		goto out;
	if (load_counties(h, &d, only) != 0 || load_units(h, &d, only) != 0 || load_types(h, &d) != 0 ||
	    load_calendar(h, &d) != 0 || load_counters(h, &d, only) != 0)
		goto out;
	h->p = (struct hist_params){ seed, (int)months, h->p.today, h->p.now, &h->cal, h->ht, h->nt, h->hc, h->nc };
	PGresult *r = q(&d,
			"SELECT coalesce(max((details->>'cases_to')::bigint), 0), coalesce(max((details->>'queries_to')::bigint), 0)"
			" FROM audit.event WHERE action = 'cases.seed_history' AND outcome = 'success'",
			0, NULL);
	if (r == NULL)
		goto out;
	uint64_t from = strtoull(PQgetvalue(r, 0, 0), NULL, 10), qfrom = strtoull(PQgetvalue(r, 0, 1), NULL, 10);
	PQclear(r);
	if (from)
		fprintf(stderr, "seed-history: %" PRIu64 " generated cases are already there: adding %llu more\n", from, n);

	/* a load large against what is there goes in without the secondary
	 * indexes (as seed-scale's), rebuilt before the commit */
	long existing = 0;
	r = q(&d, "SELECT reltuples::bigint FROM pg_class WHERE oid = 'cases.case'::regclass", 0, NULL);
	if (r == NULL)
		goto out;
	existing = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	const char *env = getenv("TB_SEED_REBUILD");
	int rebuild = env ? atoi(env) : (double)n * 3 >= (double)existing;
	int total_idx = 0;
	if (rebuild) {
		if (exec_ok(&d, "SET LOCAL maintenance_work_mem = '256MB'") != 0)
			goto out;
		for (size_t i = 0; i < NBIG; i++) {
			if (drop_indexes(&d, big_tables[i], &defs, &nidx[i]) != 0)
				goto out;
			total_idx += nidx[i];
		}
	}
	/* triggers (the statistics' deltas, the two-person check) and foreign
	 * keys' checks off: every row here is consistent by construction, and
	 * the summaries are rebuilt from the tables at the end */
	if (exec_ok(&d, "SET LOCAL session_replication_role = replica") != 0)
		goto out;
	unsigned char sha[32];
	char evsha[65];
	SHA256((const unsigned char *)evidence_pdf, sizeof(evidence_pdf) - 1, sha);
	for (int i = 0; i < 32; i++)
		snprintf(evsha + 2 * i, 3, "%02x", sha[i]);

	int tty = isatty(2);
	double t0 = now_s(), shown = t0;
	long nq = 0;
	for (unsigned long long done = 0; done < n;) {
		long b = (long)(n - done < BATCH ? n - done : BATCH), nw = 0;
		for (long k = 0; k < b; k++) {
			if (hist_case(&h->p, from + done + (uint64_t)k, &cs[k]) != 0) {
				fprintf(stderr, "tbctl: no county has units, or no business type can be generated\n");
				goto out;
			}
			nw += cs[k].channel == HPAY_WECHAT;
		}
		/* the queries of this round: those whose index falls in it */
		uint64_t q0 = qfrom + (from + done) / QUERY_EVERY - from / QUERY_EVERY,
			 q1 = qfrom + (from + done + (uint64_t)b) / QUERY_EVERY - from / QUERY_EVERY;
		long bq = (long)(q1 - q0);
		if (reserve(&d, "cases.case_id_seq", b, ids) != 0 || reserve(&d, "pay.order_id_seq", nw, oid) != 0 ||
		    reserve(&d, "pay.order_no", nw, ono) != 0 || reserve(&d, "pay.voucher_no", nw, vno) != 0 ||
		    reserve(&d, "qry.evidence_id_seq", bq, eid) != 0)
			goto out;
		long wi = 0;
		for (long k = 0; k < b; k++) {
			arena_reset(&h->a);
			struct wechat w = { 0, 0, 0 };
			if (cs[k].channel == HPAY_WECHAT) {
				w = (struct wechat){ oid[wi], ono[wi], vno[wi] };
				wi++;
			}
			if (case_rows(h, from + done + (uint64_t)k, &cs[k], ids[k], &w) != 0) {
				fprintf(stderr, "tbctl: case %llu: %s\n", done + (unsigned long long)k, h->err ? h->err : "out of memory");
				goto out;
			}
		}
		for (long k = 0; k < bq; k++) {
			if (hist_query(&h->p, q0 + (uint64_t)k, &qs[0]) != 0 ||
			    query_rows(h, q0 + (uint64_t)k, &qs[0], eid[k], evsha) != 0) {
				fprintf(stderr, "tbctl: query %" PRIu64 ": %s\n", q0 + (uint64_t)k, h->err ? h->err : "failed");
				goto out;
			}
		}
		nq += bq;
		if (copy_in(&d, q_case, &h->bc) != 0 || copy_in(&d, q_party, &h->bp) != 0 ||
		    copy_in(&d, q_event, &h->be) != 0 || copy_in(&d, q_fee, &h->bf) != 0 ||
		    copy_in(&d, q_order, &h->bo) != 0 || copy_in(&d, q_voucher, &h->bv) != 0 ||
		    copy_in(&d, q_evidence, &h->bx) != 0 || copy_in(&d, q_query, &h->bq) != 0)
			goto out;
		done += (unsigned long long)b;
		double t = now_s();
		if (done == n || t - shown >= (tty ? 0.25 : 10.0)) {
			progress("cases", (long)done, (long)n, t0, tty, done == n);
			shown = t;
		}
	}
	double t_loaded = now_s();
	if (rebuild) {
		if (tty)
			fprintf(stderr, "building %d indexes again...", total_idx);
		if (rebuild_indexes(&d, &defs) != 0)
			goto out;
		if (tty)
			fprintf(stderr, " %.1f s\n", now_s() - t_loaded);
	}
	double t_indexed = now_s();
	if (exec_ok(&d, "SET LOCAL session_replication_role = origin") != 0 || save_counters(h, &d) != 0)
		goto out;
	/* the statistics' summaries from the tables (once the statistics exist) */
	int stats = 0;
	r = q(&d, "SELECT to_regprocedure('stats.rebuild()') IS NOT NULL", 0, NULL);
	if (r == NULL)
		goto out;
	stats = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (exec_ok(&d, "ANALYZE cases.case, cases.event, cases.party, cases.fee_item, pay.order, qry.query") != 0)
		goto out;
	double t_an = now_s();
	if (stats && exec_ok(&d, "SELECT stats.rebuild()") != 0)
		goto out;
	double t_stats = now_s();
	char details[400];
	snprintf(details, sizeof(details),
		 "{\"seed\": %llu, \"months\": %llu, \"cases\": %llu, \"cases_from\": %" PRIu64 ", \"cases_to\": %" PRIu64
		 ", \"queries\": %ld, \"queries_from\": %" PRIu64 ", \"queries_to\": %" PRIu64 "}",
		 seed, months, n, from, from + (uint64_t)n, nq, qfrom, qfrom + (uint64_t)nq);
	const char *pa[] = { details };
	r = q(&d,
	      "INSERT INTO audit.event (at, actor_name, action, object_type, outcome, client_addr, details)"
	      " VALUES (now(), 'tbctl', 'cases.seed_history', 'case', 'success', 'local', $1::jsonb)",
	      1, pa);
	if (r == NULL)
		goto out;
	PQclear(r);
	if (exec_ok(&d, "COMMIT") != 0)
		goto out;
	tx = 0;
	double t_end = now_s(), total = t_end - t_begin;
	printf("seeded %llu cases and %ld archive queries (seed %llu, %llu months, case indexes %" PRIu64 "-%" PRIu64
	       ") in %.1f s, %.0f cases/s\n"
	       "  (reading what is there %.1f s, loading %.1f s, indexes %.1f s, ANALYZE %.1f s, stats.rebuild() %s %.1f s,"
	       " commit %.1f s)\n",
	       n, nq, seed, months, from, from + (uint64_t)n - 1, total, (double)n / total, t0 - t_begin, t_loaded - t0,
	       t_indexed - t_loaded, t_an - t_indexed, stats ? "" : "(absent)", t_stats - t_an, t_end - t_stats);
	printf("  %ld events; %ld received outside the deciding county, %ld with a supplement request\n", h->n_events,
	       h->n_cross, h->n_supp);
	printf("  paid: %ld cash, %ld pos, %ld wechat, %ld nothing due\n", h->n_paid[HPAY_CASH], h->n_paid[HPAY_POS],
	       h->n_paid[HPAY_WECHAT], h->n_paid[HPAY_NOT_DUE]);
	printf("  states:");
	for (int s = 1; s < HS_COUNT; s++)
		if (h->n_state[s])
			printf(" %s %ld", hist_state_name((enum hist_state)s), h->n_state[s]);
	printf("\n");
	rc = 0;
out:
	if (tx)
		exec_ok(&d, "ROLLBACK");
	db_close(&d);
	keyring_wipe(&h->kr);
	arena_free(&h->a);
	buf_free(&defs);
	struct buf *bufs[] = { &h->bc, &h->bp, &h->be, &h->bf, &h->bo, &h->bv, &h->bq, &h->bx };
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		buf_free(bufs[i]);
	for (size_t i = 0; h->c && i < h->nc; i++) {
		free(h->c[i].units);
		free(h->c[i].uses);
	}
	for (size_t i = 0; h->fs && i < h->ft.n; i++) {
		free((char *)h->fs[i].code);
		free((char *)h->fs[i].name);
	}
	free(h->fs);
	free(h->c);
	free(h->hc);
	free(h->t);
	free(h->ht);
	free(h->hol);
	free(h->mk);
	free(h->cnum);
	free(h->cnum0);
	free(h->qnum);
	free(h->qnum0);
	free(h);
	free(cs);
	free(qs);
	free(ids);
	free(oid);
	free(ono);
	free(vno);
	free(eid);
	return rc;
}
