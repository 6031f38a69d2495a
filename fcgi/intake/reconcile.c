/* Reconciliation (对账): the provider's daily trade bill imported, compared
 * with the orders the notifications paid, and an order the provider shows
 * paid without a notification settled from the bill (README,
 * "Reconciliation (对账)").
 *
 * Who may do what (permission payment.reconcile: cashiers, jurisdiction
 * admins): any holder imports the day's bill (it is the merchant's, the
 * whole platform's); the report and the settling reach only orders of cases
 * whose receiving or deciding division the holder covers. Whoever imported
 * a bill does not settle from it: a bill is a file someone hands in, and a
 * settled order is a paid case — one person alone must not be able to
 * write "paid" into a bill and then act on it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../core/crypto.h"
#include "../core/idem.h"
#include "../core/payorder.h"
#include "../domain/clock.h"
#include "../domain/statement.h"
#include "../domain/workdays.h"
#include "intake.h"

/* ---- statements ------------------------------------------------------- */

#define Q_STMT_IMPORT(P, C)                                                                             \
	P(provider, TEXT) P(date, TEXT) P(sha256, TEXT) P(actor, I64) P(now_us, I64) P(rows, I64)          \
	P(amount_fen, I64) P(trade_time, TEXT) P(appid, TEXT) P(mchid, TEXT) P(transaction_id, TEXT)        \
	P(out_trade_no, TEXT) P(trade_state, TEXT) P(amount, TEXT) P(refund, TEXT)                          \
	C(outcome, TEXT) C(old_sha256, TEXT) C(old_imported_by, I64) C(lines, INT)
DB_QUERY(stmt_import, Q_STMT_IMPORT,
	 "SELECT outcome, old_sha256, old_imported_by, lines FROM pay.statement_import($1, $2::date, $3, $4,"
	 " to_timestamp($5::float8 / 1000000), $6::integer, $7, $8::text[], $9::text[], $10::text[], $11::text[],"
	 " $12::text[], $13::text[], $14::bigint[], $15::bigint[])");

/* The day of a ?date= (validated by the route): YYYYMMDD, or 0 after
 * replying — absent (400), or not before today in Beijing (a day's bill
 * exists only once the day is over). */
static int bill_day(struct req *r, int must_be_past)
{
	const char *d = req_query(r, "date");
	int ymd;
	if (d == NULL || iso_date_parse(d, &ymd) != 0) {
		resp_problem_with(r, 400, "invalid_parameter", "date is required: a day as YYYY-MM-DD.",
				  (const char *const[]){ "parameter", "date", NULL });
		return 0;
	}
	if (must_be_past && ymd >= beijing_ymd(req_now_us(r))) {
		resp_problem(r, 400, "statement_date_not_past",
			     "A day's statement exists once the day is over (Beijing time): give an earlier date.");
		return 0;
	}
	return ymd;
}

static int is_date(const char *s)
{
	int ymd;
	return iso_date_parse(s, &ymd) == 0;
}

const struct qkey reconcile_query[] = {
	QKEY_TEXT("date", 10, is_date, "a day as YYYY-MM-DD"),
	QKEY_END,
};

/* The worker's configured provider (the adapter payments use, so a broken
 * configuration is off here too), or NULL after replying 503/501. */
static const struct paygw *provider_gw(struct req *r)
{
	const struct paygw *g = payorder_gw(r);
	if (!paygw_configured(g)) {
		resp_problem(r, 503, "payment_not_configured", "No payment provider is configured (TB_PAY_PROVIDER).");
		return NULL;
	}
	if (strcmp(g->ops->name, "wechat") != 0) {
		resp_problem(r, 501, "statement_format_unsupported",
			     "Statements are read in WeChat Pay's trade-bill format only.");
		return NULL;
	}
	return g;
}

/* The configured provider's name, or NULL after replying. */
static const char *provider_of(struct req *r)
{
	const struct paygw *g = provider_gw(r);
	return g ? g->provider : NULL;
}

/* One column of the rows as a text[] literal. */
static char *column_array(struct req *r, const struct bill_row *rows, size_t n, size_t off, int is_amount)
{
	const char **v = n ? arena_alloc(r->arena, n * sizeof(*v)) : NULL;
	if (n && v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *base = (const char *)&rows[i];
		if (is_amount) {
			v[i] = req_i64str(r, *(const int64_t *)(const void *)(base + off));
			if (v[i] == NULL)
				return NULL;
		} else {
			v[i] = base + off;
		}
	}
	return db_text_array(r->arena, v, n);
}

/* A flat audit detail object of string members (keys and values paired,
 * NULL-terminated; a NULL value is left out) with one number member. */
static char *details_of(struct req *r, const char *nkey, int64_t nval, const char *const *kv)
{
	yajl_gen g = json_gen_new(r->arena);
	if (g == NULL)
		return NULL;
	yajl_gen_map_open(g);
	for (size_t i = 0; kv[i] != NULL; i += 2)
		if (kv[i + 1] != NULL)
			jg_str(g, kv[i], kv[i + 1]);
	if (nkey)
		jg_int(g, nkey, nval);
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok)
		return NULL;
	return arena_strndup(r->arena, (const char *)buf, len);
}

static void internal(struct req *r)
{
	resp_problem(r, 500, "internal", "The server could not complete the request.");
}

/* POST /api/v1/payments/statements?date=YYYY-MM-DD (text/csv) */
void h_statement_import(struct req *r)
{
	const struct principal *p = auth_session(r); /* the route asked payment.reconcile */
	int ymd = bill_day(r, 1);
	if (ymd == 0)
		return;
	const char *date = req_query(r, "date");
	const char *provider = provider_of(r);
	if (provider == NULL)
		return;
	const char *ct = r->content_type;
	size_t ctl = ct ? strcspn(ct, "; ") : 0;
	if (ct == NULL || ctl != 8 || strncasecmp(ct, "text/csv", 8) != 0) {
		resp_problem(r, 415, "unsupported_media_type", "Send the statement as text/csv.");
		return;
	}
	if (r->body_len > BILL_MAX_BYTES) {
		resp_problem(r, 413, "statement_too_large", bill_err_detail(BILL_TOO_LARGE));
		return;
	}
	const char *text = (const char *)r->body;
	size_t len = r->body_len, max = bill_max_rows(text, len), n = 0;
	struct bill_row *rows = arena_alloc(r->arena, (max ? max : 1) * sizeof(*rows));
	if (rows == NULL) {
		internal(r);
		return;
	}
	struct bill_summary sum;
	struct bill_fault f;
	if (bill_parse(text, len, date, rows, max, &n, &sum, &f) != 0) {
		resp_problem_with(r, 400, bill_err_code(f.err), bill_err_detail(f.err),
				  (const char *const[]){ "line", f.line ? req_i64str(r, (int64_t)f.line) : NULL,
							 "column", f.column, NULL });
		return;
	}
	/* the bill of this merchant, not another's */
	const char *mchid = payorder_gw(r)->mchid;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].mchid, mchid) != 0) {
			resp_problem_with(r, 400, "statement_merchant_mismatch",
					  "A row of the statement belongs to another merchant (商户号).",
					  (const char *const[]){ "line", req_i64str(r, (int64_t)i + 2), NULL });
			return;
		}
	unsigned char h[32];
	char sha[65];
	crypto_sha256(r->body, len, h);
	crypto_hex(h, sizeof(h), sha);
	struct stmt_import_in in = {
		.provider = provider, .date = date, .sha256 = sha, .actor = p->user_id, .now_us = req_now_us(r),
		.rows = (int64_t)n, .amount_fen = sum.amount_fen,
		.trade_time = column_array(r, rows, n, offsetof(struct bill_row, trade_time), 0),
		.appid = column_array(r, rows, n, offsetof(struct bill_row, appid), 0),
		.mchid = column_array(r, rows, n, offsetof(struct bill_row, mchid), 0),
		.transaction_id = column_array(r, rows, n, offsetof(struct bill_row, transaction_id), 0),
		.out_trade_no = column_array(r, rows, n, offsetof(struct bill_row, out_trade_no), 0),
		.trade_state = column_array(r, rows, n, offsetof(struct bill_row, trade_state), 0),
		.amount = column_array(r, rows, n, offsetof(struct bill_row, amount_fen), 1),
		.refund = column_array(r, rows, n, offsetof(struct bill_row, refund_fen), 1),
	};
	if (!in.trade_time || !in.appid || !in.mchid || !in.transaction_id || !in.out_trade_no || !in.trade_state ||
	    !in.amount || !in.refund) {
		internal(r);
		return;
	}
	if (db_begin(r) != 0)
		return;
	const char *route = arena_printf(r->arena, "POST /api/v1/payments/statements?date=%s", date);
	enum idem_result ir = idem_begin(r, p->user_id, route);
	if (ir == IDEM_DONE)
		return;
	struct stmt_import_row *res;
	if (stmt_import_run(r, &in, &res) != 1)
		return;
	const char *outcome = res->outcome;
	if (strcmp(outcome, "duplicate_order") == 0) {
		resp_problem(r, 400, "statement_duplicate_order",
			     "The statement shows one order paid twice (two SUCCESS rows with one 商户订单号).");
		return;
	}
	if (strcmp(outcome, "settled") == 0) {
		resp_problem_with(r, 409, "statement_settled",
				  "An order was settled from this day's statement: it cannot be replaced.",
				  (const char *const[]){ "sha256", res->old_sha256, NULL });
		return;
	}
	int same = strcmp(outcome, "same") == 0, replaced = strcmp(outcome, "replaced") == 0;
	if (!same) {
		const char *kv[] = { "provider", provider, "date", date, "sha256", sha,
				     "replaced_sha256", replaced ? res->old_sha256 : NULL,
				     "replaced_import_by", replaced ? req_i64str(r, res->old_imported_by) : NULL, NULL };
		if (auth_audit(r, p, replaced ? "payment.statement.replace" : "payment.statement.import",
			       "payment_statement", arena_printf(r->arena, "%s:%s", provider, date), "success",
			       details_of(r, "lines", (int64_t)n, kv)) != 0)
			return;
	}
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "date", date);
	jg_str(g, "provider", provider);
	jg_int(g, "lines", same ? res->lines : (long long)n);
	jg_str(g, "sha256", sha);
	jg_int(g, "amount_fen", sum.amount_fen);
	jg_str(g, "outcome", outcome);
	yajl_gen_map_close(g);
	resp_json(r, strcmp(outcome, "new") == 0 ? 201 : 200);
	if ((ir == IDEM_NEW && idem_store(r, p->user_id) != 0) || db_commit(r) != 0)
		return;
}

/* ---- the report ------------------------------------------------------- */

#define Q_STMT_HEAD(P, C)                                                                                  \
	P(provider, TEXT) P(date, TEXT)                                                                    \
	C(imported_at, I64) C(imported_by, I64) C(imported_by_name, TEXT) C(sha256, TEXT) C(rows, INT)      \
	C(amount_fen, I64)
DB_QUERY(stmt_head, Q_STMT_HEAD,
	 "SELECT (extract(epoch FROM s.imported_at) * 1000000)::bigint, s.imported_by, u.display_name, s.sha256,"
	 " s.rows, s.amount_fen FROM pay.statement s JOIN iam.user u ON u.id = s.imported_by"
	 " WHERE s.provider = $1 AND s.bill_date = $2::date");

/* Every finding of the day within the caller's scope ($3: the scopes of
 * payment.reconcile), one row each; kind: matched, paid_unrecorded,
 * amount_mismatch, recorded_unpaid, unknown_order (a paid row naming no
 * order at all: only for a holder over the whole region, $4). A row of the
 * bill whose order belongs to a case outside the scope is left out. */
#define SCOPED(C)                                                                                 \
	"EXISTS (SELECT 1 FROM unnest($3::text[]) AS g (scope) WHERE ref.covers(g.scope, " C          \
	".receiving_division) OR ref.covers(g.scope, " C ".deciding_division))"
#define Q_RECON(P, C)                                                                                      \
	P(provider, TEXT) P(date, TEXT) P(scopes, TEXT) P(region, BOOL)                                     \
	C(kind, TEXT) C(out_trade_no, TEXT) C(transaction_id, TEXT) C(recorded_fen, I64) C(statement_fen, I64) \
	C(case_id, I64) C(case_number, TEXT) C(case_state, TEXT) C(order_state, TEXT) C(trade_time, I64)
DB_QUERY(recon_rows, Q_RECON,
	 "WITH l AS (SELECT x.out_trade_no, x.transaction_id, x.amount_fen, x.trade_time FROM pay.statement_line x"
	 "  WHERE x.provider = $1 AND x.bill_date = $2::date AND x.trade_state = 'SUCCESS'),"
	 " o AS (SELECT o.*, c.number, c.state AS case_state FROM pay.order o JOIN cases.case c ON c.id = o.case_id"
	 "  WHERE o.provider = $1 AND " SCOPED("c") " AND (o.out_trade_no IN (SELECT out_trade_no FROM l)"
	 "   OR (o.state = 'paid' AND (o.paid_at AT TIME ZONE 'Asia/Shanghai')::date = $2::date)))"
	 " SELECT CASE WHEN o.id IS NULL THEN 'unknown_order' WHEN o.amount_fen <> l.amount_fen THEN 'amount_mismatch'"
	 "  WHEN o.state <> 'paid' THEN 'paid_unrecorded' ELSE 'matched' END,"
	 "  l.out_trade_no, l.transaction_id, o.amount_fen, l.amount_fen, o.case_id, o.number, o.case_state, o.state,"
	 "  (extract(epoch FROM l.trade_time) * 1000000)::bigint"
	 " FROM l LEFT JOIN o ON o.out_trade_no = l.out_trade_no"
	 " WHERE o.id IS NOT NULL OR ($4 AND NOT EXISTS (SELECT 1 FROM pay.order y WHERE y.out_trade_no = l.out_trade_no))"
	 " UNION ALL SELECT 'recorded_unpaid', o.out_trade_no, o.transaction_id, o.amount_fen, NULL, o.case_id, o.number,"
	 "  o.case_state, o.state, (extract(epoch FROM o.paid_at) * 1000000)::bigint"
	 " FROM o WHERE o.state = 'paid' AND (o.paid_at AT TIME ZONE 'Asia/Shanghai')::date = $2::date"
	 "  AND NOT EXISTS (SELECT 1 FROM l WHERE l.out_trade_no = o.out_trade_no)"
	 " ORDER BY 1, 2");
/* whether the caller's scopes reach the whole region (a division without parent) */
#define Q_REGION(P, C) P(scopes, TEXT) C(region, BOOL)
DB_QUERY(recon_region, Q_REGION,
	 "SELECT EXISTS (SELECT 1 FROM unnest($1::text[]) AS g (scope) JOIN ref.division d ON d.code = g.scope"
	 " WHERE d.parent_code IS NULL)");

enum { K_PAID_UNRECORDED, K_RECORDED_UNPAID, K_AMOUNT_MISMATCH, K_UNKNOWN, K_MATCHED, K__N };
static const char *const kind_names[K__N] = { "paid_unrecorded", "recorded_unpaid", "amount_mismatch",
					       "unknown_order", "matched" };

static int kind_of(const char *k)
{
	for (int i = 0; i < K__N; i++)
		if (strcmp(kind_names[i], k) == 0)
			return i;
	return -1;
}

static void gen_finding(struct req *r, yajl_gen g, const struct recon_rows_row *x, int kind, int can_settle)
{
	yajl_gen_map_open(g);
	jg_str(g, "out_trade_no", x->out_trade_no);
	jg_str(g, "transaction_id", x->transaction_id);
	if (kind == K_AMOUNT_MISMATCH) {
		jg_int(g, "recorded_fen", x->recorded_fen);
		jg_int(g, "statement_fen", x->statement_fen);
	} else {
		jg_int(g, "amount_fen", kind == K_RECORDED_UNPAID ? x->recorded_fen : x->statement_fen);
	}
	/* the provider's trade time, or when the order was recorded paid */
	jg_str(g, kind == K_RECORDED_UNPAID ? "paid_at" : "trade_time", time_rfc3339(r->arena, x->trade_time));
	if (kind == K_UNKNOWN) {
		jg_null(g, "case");
	} else {
		jg_str(g, "order_state", x->order_state);
		jg_key(g, "case");
		yajl_gen_map_open(g);
		jg_int(g, "id", x->case_id);
		jg_str(g, "number", x->case_number);
		jg_str(g, "state", x->case_state);
		yajl_gen_map_close(g);
	}
	if (kind == K_PAID_UNRECORDED)
		jg_bool(g, "can_settle", can_settle);
	yajl_gen_map_close(g);
}

/* GET /api/v1/payments/reconciliation?date=YYYY-MM-DD */
void h_reconciliation(struct req *r)
{
	const struct principal *p = auth_session(r); /* the route asked payment.reconcile */
	if (bill_day(r, 0) == 0)
		return;
	const char *date = req_query(r, "date");
	const char *provider = provider_of(r);
	if (provider == NULL)
		return;
	struct stmt_head_row *head;
	int nh = stmt_head_run(r, &(struct stmt_head_in){ .provider = provider, .date = date }, &head);
	if (nh < 0)
		return;
	if (nh == 0) {
		resp_problem(r, 404, "no_statement", "No statement of this day has been imported.");
		return;
	}
	const char *scopes = auth_scope_array(r, p, "payment.reconcile");
	if (scopes == NULL) {
		internal(r);
		return;
	}
	struct recon_region_row *reg;
	if (recon_region_run(r, &(struct recon_region_in){ .scopes = scopes }, &reg) != 1)
		return;
	struct recon_rows_row *x;
	int n = recon_rows_run(r,
			       &(struct recon_rows_in){ .provider = provider, .date = date, .scopes = scopes,
							 .region = reg->region },
			       &x);
	if (n < 0)
		return;
	int64_t counts[K__N] = { 0 };
	for (int i = 0; i < n; i++) {
		int k = kind_of(x[i].kind);
		if (k < 0) {
			internal(r);
			return;
		}
		counts[k]++;
	}
	/* the importer of the bill does not settle from it */
	int can_settle = head->imported_by != p->user_id;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "date", date);
	jg_str(g, "provider", provider);
	jg_key(g, "statement");
	yajl_gen_map_open(g);
	jg_str(g, "imported_at", time_rfc3339(r->arena, head->imported_at));
	jg_key(g, "imported_by");
	yajl_gen_map_open(g);
	jg_int(g, "id", head->imported_by);
	jg_str(g, "name", head->imported_by_name);
	yajl_gen_map_close(g);
	jg_str(g, "sha256", head->sha256);
	jg_int(g, "lines", head->rows);
	jg_int(g, "amount_fen", head->amount_fen);
	yajl_gen_map_close(g);
	jg_key(g, "counts");
	yajl_gen_map_open(g);
	for (int k = 0; k < K__N; k++)
		if (k != K_UNKNOWN || reg->region)
			jg_int(g, kind_names[k], counts[k]);
	yajl_gen_map_close(g);
	/* the rows come ordered by kind */
	for (int k = 0; k < K_MATCHED; k++) {
		if (k == K_UNKNOWN && !reg->region)
			continue;
		jg_key(g, kind_names[k]);
		yajl_gen_array_open(g);
		for (int i = 0; i < n; i++)
			if (kind_of(x[i].kind) == k)
				gen_finding(r, g, &x[i], k, can_settle);
		yajl_gen_array_close(g);
	}
	jg_int(g, "matched", counts[K_MATCHED]);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}

/* ---- settling from the bill ------------------------------------------- */

#define Q_ORDER_SIDES(P, C) \
	P(provider, TEXT) P(out_trade_no, TEXT) C(case_id, I64) C(receiving_division, TEXT) C(deciding_division, TEXT)
DB_QUERY(recon_order, Q_ORDER_SIDES,
	 "SELECT c.id, c.receiving_division, c.deciding_division FROM pay.order o JOIN cases.case c ON c.id = o.case_id"
	 " WHERE o.provider = $1 AND o.out_trade_no = $2");
#define Q_SETTLE(P, C)                                                                                     \
	P(provider, TEXT) P(out_trade_no, TEXT) P(actor, I64) P(agency, TEXT) P(reason, TEXT) P(now_us, I64)  \
	P(request_id, TEXT) P(client_addr, TEXT)                                                           \
	C(outcome, TEXT) C(case_id, I64) C(voucher, TEXT) C(bill_date, TEXT) C(transaction_id, TEXT)          \
	C(amount_fen, I64)
DB_QUERY(recon_settle, Q_SETTLE,
	 "SELECT outcome, case_id, voucher, bill_date::text, transaction_id, amount_fen"
	 " FROM pay.statement_settle($1, $2, $3, $4, $5, to_timestamp($6::float8 / 1000000), $7, $8)");
/* the case as the settling left it (a statement of its own: the one that
 * settles reads the case as it was before) */
#define Q_SETTLED_CASE(P, C) P(case_id, I64) C(number, TEXT) C(state, TEXT)
DB_QUERY(recon_case, Q_SETTLED_CASE, "SELECT number, state FROM cases.case WHERE id = $1");

static int out_trade_no_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return 0;
	return 1;
}

static const struct field settle_fields[] = {
	{ "out_trade_no", V_STRING, 1, 1, 32, out_trade_no_ok },
	{ "reason", V_STRING, 1, 2, 200, NULL },
};

/* POST /api/v1/payments/reconciliation/settle {out_trade_no, reason} */
void h_reconcile_settle(struct req *r)
{
	const struct principal *p = auth_session(r); /* the route asked payment.reconcile */
	struct fval v[2];
	if (valid_body(r, settle_fields, 2, v) != 0)
		return;
	if (valid_text_unsafe(v[1].s, v[1].len)) {
		valid_reject(r, "invalid_field", "reason", "may not hold control or bidi characters.");
		return;
	}
	const char *provider = provider_of(r);
	if (provider == NULL)
		return;
	const char *otn = v[0].s;
	/* an order of a case outside the caller's scope is as unknown as a
	 * missing one */
	struct recon_order_row *o;
	int no = recon_order_run(r, &(struct recon_order_in){ .provider = provider, .out_trade_no = otn }, &o);
	if (no < 0)
		return;
	if (no != 1 || (!auth_allows(r, p, "payment.reconcile", o->receiving_division) &&
			!auth_allows(r, p, "payment.reconcile", o->deciding_division))) {
		resp_problem(r, 404, "unknown_order", "No payment order with this number in your scope.");
		return;
	}
	if (db_begin(r) != 0)
		return;
	struct recon_settle_row *s;
	if (recon_settle_run(r,
			     &(struct recon_settle_in){ .provider = provider, .out_trade_no = otn, .actor = p->user_id,
							 .agency = p->agency_code, .reason = v[1].s,
							 .now_us = req_now_us(r), .request_id = r->request_id,
							 .client_addr = r->remote_addr },
			     &s) != 1)
		return;
	const char *out = s->outcome, *cid = req_i64str(r, o->case_id);
	if (strcmp(out, "importer") == 0) {
		/* refused and audited; nothing else was written */
		const char *kv[] = { "code", "two_person_rule", "out_trade_no", otn, "statement_date", s->bill_date, NULL };
		if (auth_audit(r, p, "payment.reconcile.settle", "case", cid, "denied", details_of(r, NULL, 0, kv)) != 0 ||
		    db_commit(r) != 0)
			return;
		resp_problem(r, 403, "two_person_rule",
			     "You imported the statement that shows this payment: someone else settles it.");
		return;
	}
	static const struct {
		const char *outcome, *code, *detail;
		int status;
	} refusals[] = {
		{ "unknown_order", "unknown_order", "No payment order with this number in your scope.", 404 },
		{ "not_in_statement", "not_in_statement",
		  "No imported statement shows this order paid: import the day's statement first.", 409 },
		{ "amount_mismatch", "statement_amount_mismatch",
		  "The statement's amount for this order is not the order's amount: it cannot be settled from it.", 409 },
		{ "already_paid", "order_already_paid", "The order is already paid.", 409 },
		{ "duplicate", "order_already_paid", "The order is already paid.", 409 },
		{ "order_conflict", "order_conflict",
		  "The statement's transaction id is recorded for another order.", 409 },
	};
	if (strcmp(out, "paid") != 0) {
		for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
			if (strcmp(out, refusals[i].outcome) == 0) {
				resp_problem(r, refusals[i].status, refusals[i].code, refusals[i].detail);
				return;
			}
		internal(r);
		return;
	}
	/* paid: when the case had moved on meanwhile (paid at the window),
	 * pay.settle left it and told the deciding agency to refund */
	int refund_due = s->voucher == NULL;
	const char *kv[] = { "source", "statement", "out_trade_no", otn, "transaction_id", s->transaction_id,
			     "statement_date", s->bill_date, "reason", v[1].s, "voucher", s->voucher,
			     "refund_due", refund_due ? "true" : NULL, NULL };
	struct recon_case_row *c;
	if (auth_audit(r, p, "payment.reconcile.settle", "case", cid, "success",
		       details_of(r, "amount_fen", s->amount_fen, kv)) != 0 ||
	    recon_case_run(r, &(struct recon_case_in){ .case_id = o->case_id }, &c) != 1 || db_commit(r) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "out_trade_no", otn);
	jg_str(g, "transaction_id", s->transaction_id);
	jg_int(g, "amount_fen", s->amount_fen);
	jg_str(g, "statement_date", s->bill_date);
	jg_str(g, "voucher", s->voucher);
	jg_bool(g, "refund_due", refund_due);
	jg_key(g, "case");
	yajl_gen_map_open(g);
	jg_int(g, "id", o->case_id);
	jg_str(g, "number", c->number);
	jg_str(g, "state", c->state);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
