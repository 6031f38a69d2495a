#include "payorder.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "resp.h"
#include "worker.h"

int payorder_worker_init(struct worker *w)
{
	struct paygw *g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -1;
	if (paygw_init(g) != 0) {
		log_error("payment: the provider's configuration is broken; payments are off in this worker");
		paygw_free(g);
		memset(g, 0, sizeof(*g));
	}
	w->pay = g;
	return 0;
}

struct paygw *payorder_gw(struct req *r)
{
	return r->w->pay;
}

#define Q_ATTACH(P, C) P(out_trade_no, TEXT) P(code_url, TEXT) C(ok, BOOL)
DB_QUERY(payorder_attach, Q_ATTACH, "SELECT coalesce(pay.order_attach($1, $2), false)");

void payorder_reply_error(struct req *r, const char *err)
{
	if (err && strcmp(err, "payment_not_configured") == 0) {
		resp_header(r, "Retry-After", "60");
		resp_problem(r, 503, "payment_not_configured", "Online payment is not configured on this server.");
		return;
	}
	resp_header(r, "Retry-After", "5");
	resp_problem(r, 502, err ? err : "provider_unreachable",
		     "The payment provider did not open the order; try again shortly.");
}

const char *payorder_open(struct req *r, const char *out_trade_no, const char *case_number, int64_t amount_fen,
			  int64_t expires_us)
{
	struct paygw *g = payorder_gw(r);
	/* what the payer's app shows: at most 127 bytes (PAYGW_DESC_MAX) */
	const char *desc = arena_printf(r->arena, "不动产登记费 %s", case_number);
	struct paygw_order o = { out_trade_no, desc, amount_fen, (time_t)(expires_us / 1000000) };
	char *url = NULL;
	const char *err = NULL;
	if (desc == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return NULL;
	}
	if (!paygw_configured(g)) {
		payorder_reply_error(r, "payment_not_configured");
		return NULL;
	}
	if (paygw_create(g, r->arena, &o, &url, &err) != 0 || url == NULL) {
		log_warn("payment: the provider did not open order %s: %s", out_trade_no, err ? err : "no code_url");
		payorder_reply_error(r, err);
		return NULL;
	}
	struct payorder_attach_row *ok;
	int n = payorder_attach_run(r, &(struct payorder_attach_in){ .out_trade_no = out_trade_no, .code_url = url }, &ok);
	if (n < 0)
		return NULL;
	if (n != 1 || !ok->ok) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return NULL;
	}
	return url;
}
