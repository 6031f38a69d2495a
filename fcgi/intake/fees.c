/* Fees of a case (不动产登记费): the items a registration is charged by
 * the rules (domain/fees.h) over the standards table, written in the
 * registering transaction; the cashier's adjustments at set_fees — an item
 * added or waived, always with a reason — and the total of the unwaived
 * items. The standards (cases.fee_standard) are checked at the worker's
 * start and read where a case is charged. */
#include <string.h>

#include "../core/log.h"
#include "../core/worker.h"
#include "../domain/fees.h"
#include "../domain/registry.h"
#include "intake.h"

static const struct stmt q_standards = {
	"fee_standards", "SELECT code, name, amount_fen FROM cases.fee_standard ORDER BY code", 0,
};

/* The standards a result holds, with the problems the rules would meet
 * (each logged): 0 when every standard they need is there. */
static int standards_problems(PGresult *res)
{
	int bad = 0, n = PQntuples(res);
	for (size_t k = 0; k < fee_ncodes_needed; k++) {
		int found = 0;
		for (int i = 0; i < n && !found; i++)
			found = strcmp(PQgetvalue(res, i, 0), fee_codes_needed[k]) == 0;
		if (!found) {
			log_error("fee standards: %s is missing from cases.fee_standard", fee_codes_needed[k]);
			bad++;
		}
	}
	return bad;
}

int fees_worker_init(struct worker *w)
{
	const char *state;
	PGresult *res = pg_exec(&w->db, &q_standards, NULL, NULL, NULL, &state);
	if (res == NULL) {
		log_error("fee standards: not read (%s)", state ? state : "connection lost");
		return -1;
	}
	int bad = standards_problems(res);
	if (bad == 0)
		log_info("fee standards: %d, every one the rules need", PQntuples(res));
	PQclear(res);
	return bad;
}

/* The standards, read in the caller's transaction: a few rows, read where
 * they are used so that a changed amount charges the next registration
 * and no worker holds a copy. In the arena; NULL after replying. */
#define Q_STANDARDS(P, C) C(code, TEXT) C(name, TEXT) C(amount, I64)
DB_QUERY(fee_standards_read, Q_STANDARDS, "SELECT code, name, amount_fen FROM cases.fee_standard ORDER BY code");

static const struct fee_table *fee_table(struct req *r)
{
	struct fee_standards_read_row *rows;
	int n = fee_standards_read_run(r, &(struct fee_standards_read_in){ 0 }, &rows);
	if (n < 0)
		return NULL;
	struct fee_standard *s = arena_alloc(r->arena, ((size_t)n + 1) * sizeof(*s));
	struct fee_table *t = arena_alloc(r->arena, sizeof(*t));
	if (s == NULL || t == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return NULL;
	}
	for (int i = 0; i < n; i++)
		s[i] = (struct fee_standard){ rows[i].code, rows[i].name, rows[i].amount };
	*t = (struct fee_table){ s, (size_t)n };
	return t;
}

#define Q_FACTS(P, C) P(case_id, TEXT) C(use, TEXT) C(fee_rule, TEXT) C(category, TEXT) C(action, TEXT) C(fields, TEXT)
DB_QUERY(fee_facts, Q_FACTS,
	 "SELECT u.use, t.fee_rule, t.category, t.action, c.fields::text FROM cases.case c"
	 " JOIN reg.unit u ON u.code = c.unit_code JOIN cases.business_type t ON t.code = c.business_type"
	 " WHERE c.id = $1");
#define Q_ITEM(P, C)                                                                          \
	P(case_id, TEXT) P(seq, INT) P(code, TEXT) P(description, TEXT) P(quantity, I64) P(unit_price, I64) \
	P(rule, TEXT) P(basis, TEXT) P(reason, TEXT) P(by, I64)
DB_QUERY(fee_item_insert, Q_ITEM,
	 "INSERT INTO cases.fee_item (case_id, seq, code, description, quantity, unit_price_fen, amount_fen, rule,"
	 " basis, reason, adjusted_by) VALUES ($1, $2, $3, $4, $5::int, $6, $5 * $6, $7, $8, $9, nullif($10::bigint, 0))");
#define Q_ITEMS(P, C) P(case_id, TEXT) C(seq, INT) C(amount, I64) C(waived, BOOL)
DB_QUERY(fee_items, Q_ITEMS,
	 "SELECT seq, amount_fen, waived FROM cases.fee_item WHERE case_id = $1 ORDER BY seq FOR UPDATE");
#define Q_WAIVE(P, C) P(case_id, TEXT) P(seq, INT) P(reason, TEXT) P(by, I64) C(amount, I64)
DB_QUERY(fee_waive, Q_WAIVE,
	 "UPDATE cases.fee_item SET waived = true, reason = $3, adjusted_by = $4"
	 " WHERE case_id = $1 AND seq = $2 AND NOT waived RETURNING amount_fen");

static int internal(struct req *r)
{
	resp_problem(r, 500, "internal", "The server could not complete the request.");
	return -1;
}

int fees_charge(struct req *r, const char *case_id, int64_t *total)
{
	const struct fee_table *t = fee_table(r);
	if (t == NULL)
		return -1;
	struct fee_facts_row *f;
	int nf = fee_facts_run(r, &(struct fee_facts_in){ .case_id = case_id }, &f);
	if (nf < 0)
		return -1;
	if (nf != 1)
		return internal(r);
	struct reg_plan plan;
	struct json *fields;
	if (reg_plan_for(f->category, f->action, &plan) != 0 ||
	    json_parse(r->arena, (const unsigned char *)f->fields, strlen(f->fields), 8, &fields) != JSON_OK)
		return internal(r);
	/* certificates and small_business_loan were checked at creation */
	int64_t certs = 1;
	const struct json *cj = json_get(fields, "certificates"), *sb = json_get(fields, "small_business_loan");
	if (cj && json_int64(cj, &certs) != 0)
		return internal(r);
	struct fee_case fc = { { f->category, f->action, f->fee_rule }, f->use, (int)certs, plan.cat->cert,
			       sb && sb->type == JSON_BOOL && sb->b };
	struct fee_line lines[FEE_MAX_LINES];
	size_t n;
	enum fee_problem fp = fee_compute(t, &fc, lines, &n, total);
	if (fp != FEE_OK) {
		log_error("case %s: fees not computed: %s", case_id, fee_problem_text(fp));
		return internal(r);
	}
	for (size_t i = 0; i < n; i++) {
		struct fee_item_insert_in in = { .case_id = case_id, .seq = (int)i + 1, .code = lines[i].code,
						 .description = lines[i].description, .quantity = lines[i].quantity,
						 .unit_price = lines[i].unit_price_fen, .rule = lines[i].code,
						 .basis = lines[i].basis };
		if (fee_item_insert_run(r, &in, NULL) < 0)
			return -1;
	}
	return 0;
}

/* The members of each kind of adjustment. */
enum { AJ_OP, AJ_REASON, AJ_CODE, AJ_DESCRIPTION, AJ_QUANTITY, AJ_PRICE, AJ_N };
enum { AW_OP, AW_REASON, AW_SEQ, AW_N };
static int adjust_op(const char *s)
{
	return strcmp(s, "add") == 0 || strcmp(s, "waive") == 0;
}
static const struct field add_spec[AJ_N] = {
	[AJ_OP] = { "op", V_STRING, 1, 3, 5, adjust_op },
	[AJ_REASON] = { "reason", V_STRING, 1, 2, 200, NULL },
	[AJ_CODE] = { "code", V_STRING, 1, 1, 32, NULL },
	[AJ_DESCRIPTION] = { "description", V_STRING, 1, 1, 100, NULL },
	[AJ_QUANTITY] = { "quantity", V_INT, 1, 1, 1000, NULL },
	[AJ_PRICE] = { "unit_price_fen", V_INT, 1, 1, 100000000, NULL },
};
static const struct field waive_spec[AW_N] = {
	[AW_OP] = { "op", V_STRING, 1, 3, 5, adjust_op },
	[AW_REASON] = { "reason", V_STRING, 1, 2, 200, NULL },
	[AW_SEQ] = { "seq", V_INT, 1, 1, 1000, NULL },
};
#define FEE_MAX_ADJUSTMENTS 10

/* Plain text for people: no controls, no direction overrides. */
static int plain(const struct field *spec, size_t n, const struct fval *v, const char **bad)
{
	for (size_t i = 0; i < n; i++)
		if (spec[i].type == V_STRING && v[i].present && valid_text_unsafe(v[i].s, v[i].len)) {
			*bad = spec[i].name;
			return 0;
		}
	return 1;
}

int fees_adjust(struct req *r, const struct principal *p, const char *case_id, const struct json *adj,
		int64_t *total, char **details)
{
	if (adj && (adj->type != JSON_ARRAY || adj->count > FEE_MAX_ADJUSTMENTS)) {
		valid_reject(r, "invalid_field", "adjustments", "is a list of at most 10 adjustments.");
		return -1;
	}
	/* every adjustment checked before any is made */
	size_t na = adj ? adj->count : 0;
	struct fval (*v)[AJ_N] = arena_alloc(r->arena, (na + 1) * sizeof(*v));
	if (v == NULL)
		return internal(r);
	size_t i = 0;
	for (const struct json *a = adj ? adj->child : NULL; a; a = a->next, i++) {
		if (a->type != JSON_OBJECT) {
			valid_reject(r, "invalid_field", "adjustments", "each adjustment is an object.");
			return -1;
		}
		const struct json *op = json_get(a, "op");
		if (op == NULL || op->type != JSON_STRING || !adjust_op(op->s)) {
			valid_reject(r, op ? "invalid_field" : "missing_field", "op",
				     "each adjustment is an object with op \"add\" or \"waive\".");
			return -1;
		}
		int add = strcmp(op->s, "add") == 0;
		const struct field *spec = add ? add_spec : waive_spec;
		size_t ns = add ? AJ_N : AW_N;
		const char *bad;
		memset(v[i], 0, sizeof(v[i]));
		if (valid_fields(r, a, spec, ns, v[i]) != 0)
			return -1;
		if (!plain(spec, ns, v[i], &bad)) {
			valid_reject(r, "invalid_field", bad, "must be plain text, without direction overrides.");
			return -1;
		}
	}
	struct fee_items_row *it;
	int ni = fee_items_run(r, &(struct fee_items_in){ .case_id = case_id }, &it);
	if (ni < 0)
		return -1;
	/* a case registered before fees were rules has no items: charge it now */
	if (ni == 0) {
		int64_t ignored;
		if (fees_charge(r, case_id, &ignored) != 0 ||
		    (ni = fee_items_run(r, &(struct fee_items_in){ .case_id = case_id }, &it)) < 0)
			return -1;
	}
	int next = ni ? it[ni - 1].seq + 1 : 1;
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	if (na) {
		jg_key(g, "adjustments");
		yajl_gen_array_open(g);
	}
	i = 0;
	for (const struct json *a = adj ? adj->child : NULL; a; a = a->next, i++) {
		const struct fval *w = v[i];
		yajl_gen_map_open(g);
		if (strcmp(w[AJ_OP].s, "add") == 0) {
			struct fee_item_insert_in in = { .case_id = case_id, .seq = next, .code = w[AJ_CODE].s,
							 .description = w[AJ_DESCRIPTION].s, .quantity = w[AJ_QUANTITY].i,
							 .unit_price = w[AJ_PRICE].i, .basis = "收费人员添加",
							 .reason = w[AJ_REASON].s, .by = p->user_id };
			if (fee_item_insert_run(r, &in, NULL) < 0)
				return -1;
			jg_str(g, "op", "add");
			jg_int(g, "seq", next++);
			jg_str(g, "code", w[AJ_CODE].s);
			jg_int(g, "amount_fen", w[AJ_QUANTITY].i * w[AJ_PRICE].i);
		} else {
			struct fee_waive_row *wr;
			int nw = fee_waive_run(r, &(struct fee_waive_in){ .case_id = case_id, .seq = (int)w[AW_SEQ].i,
									  .reason = w[AW_REASON].s, .by = p->user_id },
					       &wr);
			if (nw < 0)
				return -1;
			if (nw != 1) {
				valid_reject(r, "invalid_field", "seq", "names no fee item of this case that is still charged.");
				return -1;
			}
			jg_str(g, "op", "waive");
			jg_int(g, "seq", w[AW_SEQ].i);
			jg_int(g, "amount_fen", wr->amount);
		}
		jg_str(g, "reason", w[AJ_REASON].s);
		yajl_gen_map_close(g);
	}
	if (na)
		yajl_gen_array_close(g);
	/* the total of what is still charged, read back after the changes */
	if ((ni = fee_items_run(r, &(struct fee_items_in){ .case_id = case_id }, &it)) < 0)
		return -1;
	*total = 0;
	for (int k = 0; k < ni; k++)
		if (!it[k].waived)
			*total += it[k].amount;
	jg_int(g, "total_fen", *total);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	if (yajl_gen_get_buf(g, &b, &len) != yajl_gen_status_ok)
		return internal(r);
	*details = arena_strndup(r->arena, (const char *)b, len);
	return *details ? 0 : internal(r);
}
