/* Payments in the public service (README, "Payments"):
 *
 * POST /api/v1/payments/notify — the provider's signed, encrypted payment
 * notification. Verified by the adapter (paygw_notify: signature over
 * "ts\nnonce\nbody\n" with the platform key, serial, timestamp within 5
 * minutes, AES-256-GCM); the merchant and trade state checked here; then
 * one database round trip, pay.settle, does the rest in one transaction:
 * nonce unused, order known, amount equal, and the paid effects — or a
 * duplicate (same transaction id: success, no second effect). Success is
 * 204 without a body; a refusal is problem+json that also carries
 * "message" (the provider reads {code, message}), logged in
 * pay.notification and audited, nothing else changed.
 *
 * POST /api/v1/public/payment — the applicant's payment, behind the same
 * proof and lock as the progress lookup (progress.c): unpaid with the
 * amount, the pay URL and its QR code (inline SVG), or paid, or not due.
 * An unpaid case without a live order gets one opened here. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../core/audit.h"
#include "../core/db.h"
#include "../core/log.h"
#include "../core/payorder.h"
#include "../core/qr.h"
#include "../core/server.h"
#include "public.h"

#define Q_SETTLE(P, C)                                                                          \
	P(out_trade_no, TEXT) P(transaction_id, TEXT) P(total_fen, I64) P(success_time, TEXT)     \
	P(notify_id, TEXT) P(nonce, TEXT) P(request_id, TEXT) P(client_addr, TEXT)                \
	C(outcome, TEXT) C(case_id, I64) C(voucher, TEXT)
DB_QUERY(pay_settle, Q_SETTLE,
	 "SELECT outcome, case_id, voucher FROM pay.settle($1, $2, $3, $4::timestamptz, $5, $6, $7, $8)");
#define Q_REFUSE(P, C)                                                                          \
	P(verdict, TEXT) P(notify_id, TEXT) P(nonce, TEXT) P(out_trade_no, TEXT) P(transaction_id, TEXT) \
	P(request_id, TEXT) P(client_addr, TEXT) P(provider, TEXT)
DB_QUERY(pay_refuse, Q_REFUSE, "SELECT FROM pay.refuse($1, $2, $3, $4, $5, $6, $7, $8)");
#define Q_PUBLIC_PAYMENT(P, C)                                                                  \
	P(number, TEXT) P(proof, TEXT) P(now, I64)                                              \
	C(outcome, TEXT) C(retry_after, INT) C(state, TEXT) C(case_state, TEXT) C(amount_fen, I64) \
	C(order_state, TEXT) C(code_url, TEXT) C(expires, I64)
DB_QUERY(pay_public, Q_PUBLIC_PAYMENT,
	 "SELECT outcome, retry_after, state, case_state, amount_fen, order_state, code_url,"
	 " coalesce((extract(epoch FROM expires_at) * 1000000)::bigint, 0)"
	 " FROM pay.public_payment($1, $2, to_timestamp($3::float8 / 1000000))");
#define Q_PUBLIC_BEGIN(P, C)                                                                    \
	P(number, TEXT) P(proof, TEXT) P(provider, TEXT) P(now, I64)                            \
	C(outcome, TEXT) C(out_trade_no, TEXT) C(amount_fen, I64) C(code_url, TEXT) C(expires, I64) \
	C(number, TEXT)
DB_QUERY(pay_public_begin, Q_PUBLIC_BEGIN,
	 "SELECT outcome, out_trade_no, amount_fen, code_url,"
	 " coalesce((extract(epoch FROM expires_at) * 1000000)::bigint, 0), case_number"
	 " FROM pay.public_order_begin($1, $2, $3, to_timestamp($4::float8 / 1000000))");

/* A refusal as the provider reads it: problem+json with code and message. */
static void refuse_reply(struct req *r, int status, const char *code, const char *message)
{
	resp_problem_with(r, status, code, message, (const char *const[]){ "message", message, NULL });
}

/* A notification refused before it reached the database's checks: logged
 * in pay.notification and audited (pay.refuse), then answered. */
static void refuse(struct req *r, int status, const char *code, const char *message, const char *nonce,
		   const struct paygw_notice *n)
{
	struct paygw *g = payorder_gw(r);
	struct pay_refuse_in in = { .verdict = code, .nonce = nonce, .request_id = r->request_id,
				    .client_addr = r->remote_addr, .provider = g->provider[0] ? g->provider : NULL };
	if (n) {
		in.notify_id = n->id;
		in.out_trade_no = n->out_trade_no;
		in.transaction_id = n->transaction_id;
	}
	log_warn("payment notification refused: %s", code);
	if (pay_refuse_run(r, &in, NULL) < 0)
		return; /* replied 503/500: the provider retries */
	refuse_reply(r, status, code, message);
}

static const struct {
	const char *code;
	int status;
	const char *message;
} settle_refusals[] = {
	{ "nonce_reused", 401, "This notification's nonce was seen before." },
	{ "unknown_order", 404, "No payment order has this out_trade_no." },
	{ "amount_mismatch", 400, "The amount paid differs from the order's amount." },
	{ "order_conflict", 409, "The order was paid under another transaction, or the transaction paid another order." },
};

/* success_time as the provider writes it (RFC 3339: 2026-11-28T10:00:00+08:00),
 * checked before the database parses it; absent, the time of recording
 * stands for it */
static int time_text_ok(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return 1;
	size_t n = strlen(s);
	if (n < 20 || n > 35)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789-:T+.Z", s[i]))
			return 0;
	return 1;
}

/* POST /api/v1/payments/notify */
void h_payment_notify(struct req *r)
{
	struct paygw *g = payorder_gw(r);
	const struct paygw_headers *h = paygw_notify_headers(g);
	const char *ts = req_header(r, h->timestamp), *nonce = req_header(r, h->nonce),
		   *serial = req_header(r, h->serial), *signature = req_header(r, h->signature);
	/* only a verified nonce is stored; an unverified one is logged cut short */
	const char *logged_nonce = nonce && strlen(nonce) <= PAYGW_ID_MAX ? nonce : NULL;
	if (r->body_too_big || r->body_len > PAYGW_MAX_BODY) {
		refuse(r, 413, "body_too_large", "The notification body is larger than 64 KB.", logged_nonce, NULL);
		return;
	}
	struct paygw_notice n;
	memset(&n, 0, sizeof(n));
	enum paygw_verdict v = PAYGW_BAD_HEADERS;
	if (ts && nonce && serial && signature && r->body)
		v = paygw_notify(g, r->arena, ts, nonce, serial, signature, (const char *)r->body, r->body_len,
				 (time_t)(req_now_us(r) / 1000000), &n);
	if (v != PAYGW_OK) {
		refuse(r, paygw_verdict_status(v), paygw_verdict_code(v), "The notification could not be verified.",
		       logged_nonce, NULL);
		return;
	}
	if (n.mchid == NULL || n.appid == NULL || strcmp(n.mchid, g->mchid) != 0 || strcmp(n.appid, g->appid) != 0) {
		refuse(r, 400, "merchant_mismatch", "The notification is for another merchant or app.", nonce, &n);
		return;
	}
	if (n.trade_state == NULL || strcmp(n.trade_state, "SUCCESS") != 0) {
		refuse(r, 400, "trade_not_success", "Only a successful trade is recorded.", nonce, &n);
		return;
	}
	if (n.out_trade_no == NULL || n.transaction_id == NULL || n.total_fen <= 0 || !time_text_ok(n.success_time)) {
		refuse(r, 400, "bad_notification_body", "The transaction lacks a field or has a malformed one.", nonce,
		       &n);
		return;
	}
	struct pay_settle_in in = { .out_trade_no = n.out_trade_no, .transaction_id = n.transaction_id,
				    .total_fen = n.total_fen,
				    .success_time = n.success_time && n.success_time[0] ? n.success_time : NULL,
				    .notify_id = n.id,
				    .nonce = nonce, .request_id = r->request_id, .client_addr = r->remote_addr };
	struct pay_settle_row *s;
	const char *sqlstate = NULL;
	int rows = pay_settle_try(r, &in, &s, &sqlstate);
	if (rows < 0) {
		if (sqlstate && sqlstate[0] == '2' && sqlstate[1] == '2') {
			/* a value PostgreSQL would not take (the success time) */
			refuse(r, 400, "bad_notification_body", "The transaction has a malformed field.", nonce, &n);
			return;
		}
		if (sqlstate)
			db_reply_sqlstate(r, sqlstate);
		return;
	}
	if (rows != 1) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	if (strcmp(s->outcome, "paid") == 0 || strcmp(s->outcome, "duplicate") == 0) {
		if (strcmp(s->outcome, "paid") == 0)
			log_info("payment: order %s paid (transaction %s, voucher %s)", n.out_trade_no, n.transaction_id,
				 s->voucher ? s->voucher : "none: the case was not waiting for it");
		resp_raw(r, 204, NULL, NULL, 0);
		return;
	}
	for (size_t i = 0; i < sizeof(settle_refusals) / sizeof(settle_refusals[0]); i++)
		if (strcmp(s->outcome, settle_refusals[i].code) == 0) {
			log_warn("payment notification refused: %s (order %s)", s->outcome, n.out_trade_no);
			refuse_reply(r, settle_refusals[i].status, settle_refusals[i].code, settle_refusals[i].message);
			return;
		}
	resp_problem(r, 500, "internal", "The server could not complete the request.");
}

/* pixels per module of the applicant's inline QR code (a phone scales it) */
#define PUBLIC_QR_SCALE 6

/* POST /api/v1/public/payment */
void h_public_payment(struct req *r)
{
	const char *number;
	char hex[65];
	if (progress_proof(r, &number, hex) != 0)
		return;
	int64_t now = req_now_us(r);
	struct pay_public_row *p;
	int n = pay_public_run(r, &(struct pay_public_in){ .number = number, .proof = hex, .now = now }, &p);
	if (n < 0) {
		OPENSSL_cleanse(hex, sizeof(hex));
		return;
	}
	if (progress_refused(r, n == 1 ? p->outcome : NULL, n == 1 ? p->retry_after : 0)) {
		OPENSSL_cleanse(hex, sizeof(hex));
		return;
	}
	const char *state = p->state, *url = NULL;
	int64_t amount = p->amount_fen, expires = 0;
	if (strcmp(state, "unpaid") == 0 && p->order_state && strcmp(p->order_state, "pending") == 0 && p->code_url) {
		url = p->code_url;
		expires = p->expires;
	} else if (strcmp(state, "unpaid") == 0 && paygw_configured(payorder_gw(r))) {
		/* no live order: open one (the case row locked meanwhile) */
		struct pay_public_begin_row *o;
		int k;
		if (db_begin(r) != 0 ||
		    (k = pay_public_begin_run(r, &(struct pay_public_begin_in){ .number = number, .proof = hex,
										  .provider = payorder_gw(r)->provider,
										  .now = now },
					      &o)) < 0) {
			OPENSSL_cleanse(hex, sizeof(hex));
			return;
		}
		if (k == 1 && strcmp(o->outcome, "new") == 0) {
			url = payorder_open(r, o->out_trade_no, o->number, o->amount_fen, o->expires);
			if (url == NULL) {
				OPENSSL_cleanse(hex, sizeof(hex));
				return;
			}
		} else if (k == 1 && strcmp(o->outcome, "live") == 0) {
			url = o->code_url;
		}
		if (url) {
			amount = o->amount_fen;
			expires = o->expires;
		}
		if (db_commit(r) != 0) {
			OPENSSL_cleanse(hex, sizeof(hex));
			return;
		}
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	char *svg = NULL;
	size_t svg_len = 0;
	if (url && (svg = qr_svg(r->arena, url, PUBLIC_QR_SCALE, &svg_len)) == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "number", number);
	jg_str(g, "state", state);
	jg_int(g, "amount_fen", amount);
	if (url) {
		jg_str(g, "pay_url", url);
		jg_strn(g, "qr_svg", svg, svg_len);
		jg_str(g, "expires_at", time_rfc3339(r->arena, expires));
	}
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

int public_worker_init(struct worker *w)
{
	return payorder_worker_init(w);
}
