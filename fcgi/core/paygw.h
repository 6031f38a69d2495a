/* The payment provider adapter: create and close native-pay orders at the
 * provider and verify its payment notifications. The provider sits behind
 * a small table of operations (struct paygw_ops) chosen by TB_PAY_PROVIDER,
 * so a second provider (the rural credit union's unified payment platform)
 * is one more file beside paygw_wechat.c (README, "Payment provider").
 *
 * Environment (read by paygw_init; scripts/stack.sh sets it for the intake
 * and public services): TB_PAY_PROVIDER (wechat; unset: payments are not
 * configured), TB_PAY_BASE_URL (https://api.mch.weixin.qq.com, or the
 * simulator's http://127.0.0.1:PORT), TB_PAY_MCHID, TB_PAY_APPID,
 * TB_PAY_MERCHANT_KEY (the merchant's RSA private key, PEM path),
 * TB_PAY_MERCHANT_SERIAL (its certificate's serial number),
 * TB_PAY_PLATFORM_KEY (the provider's platform public key, PEM path),
 * TB_PAY_PLATFORM_SERIAL, TB_PAY_API_KEY (path of a file holding the
 * 32-byte API v3 key), TB_PAY_NOTIFY_URL, TB_PAY_TIMEOUT_MS (3000). */
#ifndef TB_PAYGW_H
#define TB_PAYGW_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "arena.h"

/* Bounds: a notification or provider reply larger than this is refused
 * unread; identifiers longer than their field are malformed. */
#define PAYGW_MAX_BODY 65536
#define PAYGW_ID_MAX 64		/* mchid, appid, serial numbers, nonces, trade numbers */
#define PAYGW_URL_MAX 512
#define PAYGW_DESC_MAX 127	/* WeChat: description at most 127 bytes */
#define PAYGW_NOTIFY_SKEW 300	/* seconds a notification's timestamp may be off */

struct paygw_order {
	const char *out_trade_no, *description;
	int64_t amount_fen;
	time_t expire_at;
};

struct paygw_notice {
	const char *id, *transaction_id, *out_trade_no, *trade_state, *mchid, *appid, *success_time;
	int64_t total_fen;
};

enum paygw_verdict {
	PAYGW_OK,
	PAYGW_BAD_HEADERS,
	PAYGW_WRONG_SERIAL,
	PAYGW_STALE,
	PAYGW_BAD_SIGNATURE,
	PAYGW_BAD_BODY,
	PAYGW_DECRYPT_FAILED
};

struct paygw;

/* The FastCGI names (req_header) of a provider's four notification headers. */
struct paygw_headers {
	const char *timestamp, *nonce, *serial, *signature;
};

/* One provider. Each function has the contract of the paygw_ function of
 * the same name below. */
struct paygw_ops {
	const char *name;
	int (*create)(struct paygw *g, struct arena *a, const struct paygw_order *o, char **code_url,
		      const char **err);
	int (*close)(struct paygw *g, struct arena *a, const char *out_trade_no, const char **err);
	enum paygw_verdict (*notify)(struct paygw *g, struct arena *a, const char *ts, const char *nonce,
				     const char *serial, const char *signature, const char *body, size_t len,
				     time_t now, struct paygw_notice *out);
	struct paygw_headers headers;
};

/* The configuration, as read from the environment (or set by a test). */
struct paygw_conf {
	const char *provider;		/* "wechat" */
	const char *base_url;		/* no trailing slash */
	const char *mchid, *appid;
	const char *merchant_key_path, *merchant_serial;
	const char *platform_key_path, *platform_serial;
	const char *api_key_path;
	const char *notify_url;
	int timeout_ms;
};

/* The adapter's state; one per worker process (the keys are loaded once). */
struct paygw {
	const struct paygw_ops *ops;	/* NULL: payments not configured */
	char provider[16];
	char base_url[PAYGW_URL_MAX];
	char notify_url[PAYGW_URL_MAX];
	char mchid[PAYGW_ID_MAX + 1], appid[PAYGW_ID_MAX + 1];
	char merchant_serial[PAYGW_ID_MAX + 1], platform_serial[PAYGW_ID_MAX + 1];
	void *merchant_key;		/* EVP_PKEY *: signs our requests */
	void *platform_key;		/* EVP_PKEY *: verifies the provider's signatures */
	unsigned char api_key[32];	/* AEAD_AES_256_GCM key of notifications */
	int timeout_ms;
	int verify_responses;		/* check the provider's signature on its replies (default 1) */
	void *curl;			/* CURL *: one handle per worker, so connections are kept */
};

/* The providers (paygw.c chooses by TB_PAY_PROVIDER). */
extern const struct paygw_ops paygw_wechat_ops;

/* From the environment, below; -1 + log. With TB_PAY_PROVIDER unset it
 * returns 0 and leaves the adapter unconfigured (g->ops NULL): create and
 * close then fail with err "payment_not_configured" and notify answers
 * PAYGW_BAD_SIGNATURE (nothing can be verified). */
int paygw_init(struct paygw *g);
/* The same from an explicit configuration (tests, tools). -1 + log. */
int paygw_init_conf(struct paygw *g, const struct paygw_conf *c);
/* Is a provider configured? */
int paygw_configured(const struct paygw *g);
/* Frees the keys and wipes the API key. */
void paygw_free(struct paygw *g);

/* native order at the provider: POST {base}/v3/pay/transactions/native, signed
 * (Authorization: WECHATPAY2-SHA256-RSA2048 …); *code_url in the arena. 0 / -1 (+*err:
 * a stable code — payment_not_configured, provider_unreachable (not reached within
 * TB_PAY_TIMEOUT_MS), provider_refused (its {code, message} is logged), provider_bad_reply
 * (unsigned, oversized or unreadable), order_paid_at_provider, bad_order) */
int paygw_create(struct paygw *g, struct arena *a, const struct paygw_order *o, char **code_url,
		 const char **err);
/* POST {base}/v3/pay/transactions/out-trade-no/{no}/close. 0 / -1 (+*err as above, and
 * order_paid_at_provider when the provider says the order is paid: do not replace it) */
int paygw_close(struct paygw *g, struct arena *a, const char *out_trade_no, const char **err);

/* verify SHA256withRSA over "ts\nnonce\nbody\n" with the platform key (serial must match),
 * |now - ts| <= 300 s, decrypt resource (AEAD_AES_256_GCM, API v3 key, nonce, associated
 * data), parse the transaction JSON. Nonce reuse is checked by the caller in the database.
 * The strings of *out live in the arena. body need not be NUL-terminated. */
enum paygw_verdict paygw_notify(struct paygw *g, struct arena *a, const char *ts, const char *nonce,
				const char *serial, const char *signature, const char *body, size_t len,
				time_t now, struct paygw_notice *out);
/* Where the notify endpoint finds ts, nonce, serial and signature for the
 * configured provider (WeChat: HTTP_WECHATPAY_TIMESTAMP, …_NONCE, …_SERIAL,
 * …_SIGNATURE; also when none is configured), so the endpoint serves any
 * provider unchanged. */
const struct paygw_headers *paygw_notify_headers(const struct paygw *g);
/* stable problem codes: bad_notification_headers, wrong_serial, stale_timestamp,
 * bad_signature, bad_notification_body, decrypt_failed ("ok" for PAYGW_OK) */
const char *paygw_verdict_code(enum paygw_verdict v);
/* The HTTP status a refusal gets: 401 for signature, serial and time, 400 otherwise. */
int paygw_verdict_status(enum paygw_verdict v);

/* expire_at and the like as RFC 3339 in China Standard Time:
 * "2026-11-28T17:00:00+08:00" (out: at least 26 bytes). */
void paygw_time_cst(time_t t, char out[32]);

/* The Authorization header's value for a request to the provider (method, the URL's
 * path with its query, the body), signed with the merchant key; exposed for
 * the unit test. NULL when out of memory or the key cannot sign. */
char *paygw_wechat_authorization(struct paygw *g, struct arena *a, const char *method, const char *target,
				 const char *body, size_t len, time_t ts, const char *nonce);

/* The provider's side, for the unit test, the fuzz target and the bench
 * (tbctl): a notification for *n as the WeChat adapter expects it —
 * the body (event envelope with the encrypted resource) and the signature
 * of "ts\nnonce\nbody\n" made with platform_key (an EVP_PKEY *). The
 * strings live in the arena. 0 / -1. */
int paygw_wechat_make_notice(struct arena *a, void *platform_key, const unsigned char api_key[32],
			     const struct paygw_notice *n, const char *ts, const char *nonce,
			     char **body, char **signature);

#endif
