/* A case's online payment (README, "Payments"): the order at the provider
 * for the fees set, its QR code for the customer-facing screen, and the
 * voucher (缴费凭证) a paid order leaves. Orders are opened here by staff
 * of either side; the provider's notification settles them in the public
 * service (fcgi/public/payments.c, SQL pay.settle).
 *
 * Who sees what: case.read over either side reads the order, its QR code
 * and the voucher; opening an order also takes payment.record or fee.set
 * over either side. Anyone else gets the 404 of a missing case. */
#include <stdlib.h>
#include <string.h>

#include "../core/list.h"
#include "../core/payorder.h"
#include "../core/qr.h"
#include "intake.h"

/* pixels per module of the PNG: a version 3-4 code (the provider's URL)
 * comes out about 300-400 px, large enough for a customer-facing screen,
 * and never past QR_MAX_SIDE * 10 */
#define PAY_QR_PX 360
#define PAY_QR_SCALE_MAX 10
#define PAY_QR_SCALE_MIN 4

#define Q_PAY_CASE(P, C) P(id, I64) C(rdiv, TEXT) C(ddiv, TEXT) C(number, TEXT) C(state, TEXT)
DB_QUERY(pay_case, Q_PAY_CASE,
	 "SELECT receiving_division, deciding_division, number, state FROM cases.case WHERE id = $1");
#define Q_ORDER_BEGIN(P, C)                                                                     \
	P(id, I64) P(provider, TEXT) P(now, I64)                                                \
	C(outcome, TEXT) C(out_trade_no, TEXT) C(amount_fen, I64) C(code_url, TEXT) C(expires, I64) \
	C(number, TEXT) C(state, TEXT)
DB_QUERY(pay_order_begin, Q_ORDER_BEGIN,
	 "SELECT outcome, out_trade_no, amount_fen, code_url,"
	 " coalesce((extract(epoch FROM expires_at) * 1000000)::bigint, 0), case_number, case_state"
	 " FROM pay.order_begin($1, $2, to_timestamp($3::float8 / 1000000))");
/* the case's latest order; a pending one past its expiry reads expired */
#define Q_ORDER_LATEST(P, C)                                                                    \
	P(id, I64) P(now, I64)                                                                   \
	C(out_trade_no, TEXT) C(amount_fen, I64) C(state, TEXT) C(expires, I64) C(paid, I64)      \
	C(code_url, TEXT) C(provider, TEXT)
DB_QUERY(pay_order_latest, Q_ORDER_LATEST,
	 "SELECT out_trade_no, amount_fen,"
	 " CASE WHEN state = 'pending' AND expires_at <= to_timestamp($2::float8 / 1000000) THEN 'expired' ELSE state END,"
	 " (extract(epoch FROM expires_at) * 1000000)::bigint, coalesce((extract(epoch FROM paid_at) * 1000000)::bigint, 0),"
	 " code_url, provider FROM pay.order WHERE case_id = $1 ORDER BY id DESC LIMIT 1");
#define Q_VOUCHER(P, C)                                                                         \
	P(id, I64)                                                                               \
	C(number, TEXT) C(out_trade_no, TEXT) C(transaction_id, TEXT) C(amount_fen, I64) C(paid, I64) \
	C(provider, TEXT) C(case_number, TEXT) C(business_type, TEXT) C(type_name, TEXT) C(unit_code, TEXT)
DB_QUERY(pay_voucher, Q_VOUCHER,
	 "SELECT v.number, v.out_trade_no, v.transaction_id, v.amount_fen, (extract(epoch FROM v.paid_at) * 1000000)::bigint,"
	 " v.provider, c.number, c.business_type, t.name, c.unit_code FROM pay.voucher v"
	 " JOIN cases.case c ON c.id = v.case_id JOIN cases.business_type t ON t.code = c.business_type"
	 " WHERE v.case_id = $1");
/* the fee items as they stood when paid (pay.voucher.items) */
#define Q_VOUCHER_ITEMS(P, C)                                                                   \
	P(id, I64)                                                                               \
	C(seq, I64) C(code, TEXT) C(description, TEXT) C(quantity, I64) C(unit_price_fen, I64)     \
	C(amount_fen, I64) C(rule, TEXT) C(basis, TEXT) C(waived, BOOL) C(reason, TEXT)
DB_QUERY(pay_voucher_items, Q_VOUCHER_ITEMS,
	 "SELECT (i->>'seq')::bigint, i->>'code', i->>'description', (i->>'quantity')::bigint,"
	 " (i->>'unit_price_fen')::bigint, (i->>'amount_fen')::bigint, i->>'rule', i->>'basis',"
	 " coalesce((i->>'waived')::boolean, false), i->>'reason'"
	 " FROM pay.voucher v, jsonb_array_elements(v.items) WITH ORDINALITY AS x(i, ord) WHERE v.case_id = $1"
	 " ORDER BY x.ord");

static const struct jcol voucher_item_cols[] = {
	JCOL_INT("seq", struct pay_voucher_items_row, seq),
	JCOL_STR("code", struct pay_voucher_items_row, code),
	JCOL_STR("description", struct pay_voucher_items_row, description),
	JCOL_INT("quantity", struct pay_voucher_items_row, quantity),
	JCOL_INT("unit_price_fen", struct pay_voucher_items_row, unit_price_fen),
	JCOL_INT("amount_fen", struct pay_voucher_items_row, amount_fen),
	JCOL_STR("rule", struct pay_voucher_items_row, rule),
	JCOL_STR("basis", struct pay_voucher_items_row, basis),
	JCOL_BOOL("waived", struct pay_voucher_items_row, waived),
	JCOL_STR("reason", struct pay_voucher_items_row, reason),
	JCOL_END,
};

static int64_t case_id(struct req *r)
{
	return strtoll(req_param(r, "id"), NULL, 10);
}

/* The case when the caller reads it (case.read over either side), else
 * NULL after replying the 404 of a missing case (the attempt audited). */
static const struct pay_case_row *readable_case(struct req *r, const struct principal *p)
{
	struct pay_case_row *c;
	int n = pay_case_run(r, &(struct pay_case_in){ .id = case_id(r) }, &c);
	if (n < 0)
		return NULL;
	if (n != 1 || !case_readable(r, p, c->rdiv, c->ddiv)) {
		case_not_found(r, p, n == 1 ? req_param(r, "id") : NULL);
		return NULL;
	}
	return c;
}

static void gen_order(struct req *r, yajl_gen g, const char *no, int64_t amount, const char *state, int64_t expires,
		      int64_t paid, const char *url, const char *provider)
{
	jg_str(g, "out_trade_no", no);
	jg_int(g, "amount_fen", amount);
	jg_str(g, "state", state);
	jg_str(g, "expires_at", time_rfc3339(r->arena, expires));
	jg_str(g, "paid_at", paid ? time_rfc3339(r->arena, paid) : NULL);
	jg_str(g, "pay_url", url);
	jg_str(g, "provider", provider);
}

static void gen_case_ref(struct req *r, yajl_gen g, const char *number, const char *state)
{
	jg_key(g, "case");
	yajl_gen_map_open(g);
	jg_int(g, "id", case_id(r));
	jg_str(g, "number", number);
	jg_str(g, "state", state);
	yajl_gen_map_close(g);
}

/* POST /api/v1/cases/{id}/payment: 201 with a new order, 200 with the live
 * one. The case row is locked by pay.order_begin for the whole exchange
 * with the provider, so two cashiers clicking at once get one order. */
void h_payment_create(struct req *r)
{
	const struct principal *p = auth_session(r); /* the route asked case.read */
	const struct pay_case_row *c = readable_case(r, p);
	if (c == NULL)
		return;
	const char *divs[2] = { c->rdiv, c->ddiv };
	if (!auth_allows(r, p, "payment.record", c->rdiv) && !auth_allows(r, p, "payment.record", c->ddiv) &&
	    !auth_allows(r, p, "fee.set", c->rdiv) && !auth_allows(r, p, "fee.set", c->ddiv)) {
		/* the refusal (403 naming payment.record) and its audit row */
		if (auth_require(r, "payment.record", divs, 2) != NULL)
			resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	struct paygw *g = payorder_gw(r);
	if (!paygw_configured(g)) {
		payorder_reply_error(r, "payment_not_configured");
		return;
	}
	int64_t now = req_now_us(r);
	if (db_begin(r) != 0)
		return;
	struct pay_order_begin_row *o;
	int n = pay_order_begin_run(r, &(struct pay_order_begin_in){ .id = case_id(r), .provider = g->provider, .now = now },
				    &o);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	if (strcmp(o->outcome, "invalid_state") == 0) {
		resp_problem(r, 409, "invalid_state",
			     arena_printf(r->arena, "A case in state %s has no fees to pay online.", o->state));
		return;
	}
	if (strcmp(o->outcome, "not_due") == 0) {
		resp_problem(r, 409, "nothing_to_pay", "The fees of this case total 0: nothing is to be paid.");
		return;
	}
	const char *url = o->code_url;
	int created = strcmp(o->outcome, "new") == 0;
	if (created) {
		url = payorder_open(r, o->out_trade_no, o->number, o->amount_fen, o->expires);
		if (url == NULL)
			return;
		char *details = json_members(r->arena, "out_trade_no", o->out_trade_no, "provider", g->provider,
					     "amount_fen", o->amount_fen);
		if (auth_audit(r, p, "payment.order", "case", req_param(r, "id"), "success", details) != 0)
			return;
	} else if (strcmp(o->outcome, "live") != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	yajl_gen gen = resp_gen(r);
	yajl_gen_map_open(gen);
	gen_order(r, gen, o->out_trade_no, o->amount_fen, "pending", o->expires, 0, url, g->provider);
	gen_case_ref(r, gen, o->number, o->state);
	yajl_gen_map_close(gen);
	if (db_commit(r) != 0)
		return;
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, created ? 201 : 200);
}

/* The case's latest order for GET and the QR codes, or NULL after
 * replying (404 no_payment_order). */
static const struct pay_order_latest_row *latest_order(struct req *r, const struct pay_case_row **cp)
{
	const struct principal *p = auth_session(r);
	const struct pay_case_row *c = readable_case(r, p);
	if (c == NULL)
		return NULL;
	struct pay_order_latest_row *o;
	int n = pay_order_latest_run(r, &(struct pay_order_latest_in){ .id = case_id(r), .now = req_now_us(r) }, &o);
	if (n < 0)
		return NULL;
	if (n != 1) {
		resp_problem(r, 404, "no_payment_order", "No payment order has been opened for this case.");
		return NULL;
	}
	*cp = c;
	return o;
}

/* GET /api/v1/cases/{id}/payment: polled by the cashier's screen, so never
 * cached */
void h_payment_get(struct req *r)
{
	const struct pay_case_row *c;
	const struct pay_order_latest_row *o = latest_order(r, &c);
	if (o == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	gen_order(r, g, o->out_trade_no, o->amount_fen, o->state, o->expires, o->paid, o->code_url, o->provider);
	gen_case_ref(r, g, c->number, c->state);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}

/* The pay URL of a pending order, or NULL after replying (409
 * payment_not_pending: paid, expired or closed — a QR code of it would
 * only mislead the payer). */
static const char *pending_url(struct req *r)
{
	const struct pay_case_row *c;
	const struct pay_order_latest_row *o = latest_order(r, &c);
	if (o == NULL)
		return NULL;
	if (strcmp(o->state, "pending") != 0 || o->code_url == NULL) {
		resp_problem_with(r, 409, "payment_not_pending", "The payment order is not waiting for payment.",
				  (const char *const[]){ "state", o->state, NULL });
		return NULL;
	}
	return o->code_url;
}

/* GET /api/v1/cases/{id}/payment/qr.png */
void h_payment_qr_png(struct req *r)
{
	const char *url = pending_url(r);
	if (url == NULL)
		return;
	int side = qr_side(url);
	if (side < 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	int scale = PAY_QR_PX / side;
	scale = scale < PAY_QR_SCALE_MIN ? PAY_QR_SCALE_MIN : scale > PAY_QR_SCALE_MAX ? PAY_QR_SCALE_MAX : scale;
	size_t len;
	unsigned char *png = qr_png(r->arena, url, scale, &len);
	if (png == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	/* the order may be paid or replaced any moment */
	resp_header(r, "Cache-Control", "no-store");
	resp_raw(r, 200, "image/png", png, len);
}

/* GET /api/v1/cases/{id}/payment/qr.svg: the same code, scalable (4 px a
 * module as drawn; a screen scales it as it likes) */
void h_payment_qr_svg(struct req *r)
{
	const char *url = pending_url(r);
	if (url == NULL)
		return;
	size_t len;
	char *svg = qr_svg(r->arena, url, 4, &len);
	if (svg == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	resp_header(r, "Cache-Control", "no-store");
	resp_raw(r, 200, "image/svg+xml", svg, len);
}

/* GET /api/v1/cases/{id}/voucher */
void h_voucher_get(struct req *r)
{
	const struct principal *p = auth_session(r);
	if (readable_case(r, p) == NULL)
		return;
	struct pay_voucher_row *v;
	int n = pay_voucher_run(r, &(struct pay_voucher_in){ .id = case_id(r) }, &v);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "no_voucher", "This case has no payment voucher: it was not paid online.");
		return;
	}
	struct pay_voucher_items_row *it;
	int ni = pay_voucher_items_run(r, &(struct pay_voucher_items_in){ .id = case_id(r) }, &it);
	if (ni < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "number", v->number);
	jg_str(g, "out_trade_no", v->out_trade_no);
	jg_str(g, "transaction_id", v->transaction_id);
	jg_int(g, "amount_fen", v->amount_fen);
	jg_str(g, "paid_at", time_rfc3339(r->arena, v->paid));
	jg_str(g, "provider", v->provider);
	jg_key(g, "case");
	yajl_gen_map_open(g);
	jg_int(g, "id", case_id(r));
	jg_str(g, "number", v->case_number);
	jg_str(g, "business_type", v->business_type);
	jg_str(g, "type_name", v->type_name);
	jg_str(g, "unit_code", v->unit_code);
	yajl_gen_map_close(g);
	list_items(r, g, "items", it, (size_t)ni, sizeof(*it), voucher_item_cols);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}

int intake_worker_init(struct worker *w)
{
	if (actions_worker_init(w) != 0)
		return -1;
	return payorder_worker_init(w);
}
