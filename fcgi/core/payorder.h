/* The payment step both the intake and the public service take: the
 * worker's provider adapter (paygw.h) and opening an order there. What an
 * order is, and when one may be opened, is pay.order_begin's (SQL, 0022);
 * this only talks to the provider inside the caller's transaction. */
#ifndef TB_PAYORDER_H
#define TB_PAYORDER_H
#include <stdint.h>

#include "paygw.h"
#include "req.h"

struct worker;

/* The worker's adapter (w->pay), configured from TB_PAY_*. A broken
 * configuration is logged and leaves payments off (requests that need the
 * provider answer 503 payment_not_configured); the service still starts.
 * 0, or -1 when out of memory. */
int payorder_worker_init(struct worker *w);
/* The request's adapter (never NULL after payorder_worker_init). */
struct paygw *payorder_gw(struct req *r);

/* An order pay.order_begin just inserted (outcome 'new') opened at the
 * provider: its code_url stored with pay.order_attach, in the caller's
 * transaction. The URL in the arena, or NULL after replying (503
 * payment_not_configured, 502 with paygw's code when the provider failed;
 * the caller's transaction is then rolled back at the request's end). */
const char *payorder_open(struct req *r, const char *out_trade_no, const char *case_number, int64_t amount_fen,
			  int64_t expires_us);

/* 502/503 for a provider error code of paygw_create. */
void payorder_reply_error(struct req *r, const char *err);

#endif
