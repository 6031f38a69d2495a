/* The provider-independent half of the payment adapter: configuration from
 * the environment, the keys, the choice of provider and the verdict codes.
 * The provider's protocol is in paygw_<provider>.c. */
#include "paygw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "log.h"

/* The providers this build knows. A second provider is one more line here
 * and its paygw_<name>.c (README, "Payment provider"). */
static const struct paygw_ops *const providers[] = {
	&paygw_wechat_ops,
};

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* Copies s into dst[cap] when it fits and is printable ASCII without
 * spaces or quotes: these values go into HTTP headers and the
 * Authorization header's quoted fields. */
static int copy_token(char *dst, size_t cap, const char *s, const char *what)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= cap) {
		log_error("payment: %s is %s", what, n == 0 ? "not set" : "too long");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\' || s[i] == ',') {
			log_error("payment: %s has a character that may not appear in it", what);
			return -1;
		}
	memcpy(dst, s, n + 1);
	return 0;
}

static int copy_url(char *dst, size_t cap, const char *s, const char *what)
{
	if (copy_token(dst, cap, s, what) != 0)
		return -1;
	if (strncmp(dst, "https://", 8) != 0 && strncmp(dst, "http://", 7) != 0) {
		log_error("payment: %s is not an http(s) address", what);
		return -1;
	}
	size_t n = strlen(dst);
	while (n > 0 && dst[n - 1] == '/')
		dst[--n] = '\0';
	return 0;
}

static EVP_PKEY *read_rsa(const char *path, int private, const char *what)
{
	if (path == NULL) {
		log_error("payment: %s is not set", what);
		return NULL;
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		log_error("payment: cannot open %s (%s): %s", what, path, strerror(errno));
		return NULL;
	}
	EVP_PKEY *k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	/* the provider's scheme is RSA-2048 (WECHATPAY2-SHA256-RSA2048); a
	 * shorter key would be a configuration mistake, not a choice */
	if (k == NULL || EVP_PKEY_get_id(k) != EVP_PKEY_RSA || EVP_PKEY_get_bits(k) < 2048) {
		log_error("payment: %s (%s) is not an RSA key of at least 2048 bits", what, path);
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* The API v3 key: exactly 32 bytes in a file (a trailing newline allowed,
 * as `openssl rand` and editors leave one). */
static int read_api_key(const char *path, unsigned char out[32])
{
	if (path == NULL) {
		log_error("payment: TB_PAY_API_KEY is not set");
		return -1;
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		log_error("payment: cannot open the API key (%s): %s", path, strerror(errno));
		return -1;
	}
	unsigned char buf[40];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n > 32 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	int ok = n == 32;
	if (ok)
		memcpy(out, buf, 32);
	OPENSSL_cleanse(buf, sizeof(buf));
	if (!ok)
		log_error("payment: the API key (%s) is not 32 bytes", path);
	return ok ? 0 : -1;
}

int paygw_init_conf(struct paygw *g, const struct paygw_conf *c)
{
	memset(g, 0, sizeof(*g));
	g->verify_responses = 1;
	if (c->provider == NULL)
		return 0;
	const struct paygw_ops *ops = NULL;
	for (size_t i = 0; i < sizeof(providers) / sizeof(providers[0]); i++)
		if (strcmp(providers[i]->name, c->provider) == 0)
			ops = providers[i];
	if (ops == NULL) {
		log_error("payment: TB_PAY_PROVIDER=%s is not a provider this build knows", c->provider);
		return -1;
	}
	if (copy_token(g->provider, sizeof(g->provider), ops->name, "the provider") != 0 ||
	    copy_url(g->base_url, sizeof(g->base_url), c->base_url, "TB_PAY_BASE_URL") != 0 ||
	    copy_url(g->notify_url, sizeof(g->notify_url), c->notify_url, "TB_PAY_NOTIFY_URL") != 0 ||
	    copy_token(g->mchid, sizeof(g->mchid), c->mchid, "TB_PAY_MCHID") != 0 ||
	    copy_token(g->appid, sizeof(g->appid), c->appid, "TB_PAY_APPID") != 0 ||
	    copy_token(g->merchant_serial, sizeof(g->merchant_serial), c->merchant_serial,
		       "TB_PAY_MERCHANT_SERIAL") != 0 ||
	    copy_token(g->platform_serial, sizeof(g->platform_serial), c->platform_serial,
		       "TB_PAY_PLATFORM_SERIAL") != 0)
		goto fail;
	g->timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 3000;
	if ((g->merchant_key = read_rsa(c->merchant_key_path, 1, "TB_PAY_MERCHANT_KEY")) == NULL ||
	    (g->platform_key = read_rsa(c->platform_key_path, 0, "TB_PAY_PLATFORM_KEY")) == NULL ||
	    read_api_key(c->api_key_path, g->api_key) != 0)
		goto fail;
	g->ops = ops;
	return 0;
fail:
	paygw_free(g);
	return -1;
}

int paygw_init(struct paygw *g)
{
	int bad = 0;
	long timeout = 3000;
	const char *t = env("TB_PAY_TIMEOUT_MS");
	if (t) {
		char *end;
		errno = 0;
		timeout = strtol(t, &end, 10);
		if (errno || *end || timeout < 100 || timeout > 60000) {
			log_error("payment: TB_PAY_TIMEOUT_MS=%s is not a number in [100, 60000]", t);
			bad = 1;
		}
	}
	const struct paygw_conf c = {
		.provider = env("TB_PAY_PROVIDER"),
		.base_url = env("TB_PAY_BASE_URL"),
		.mchid = env("TB_PAY_MCHID"),
		.appid = env("TB_PAY_APPID"),
		.merchant_key_path = env("TB_PAY_MERCHANT_KEY"),
		.merchant_serial = env("TB_PAY_MERCHANT_SERIAL"),
		.platform_key_path = env("TB_PAY_PLATFORM_KEY"),
		.platform_serial = env("TB_PAY_PLATFORM_SERIAL"),
		.api_key_path = env("TB_PAY_API_KEY"),
		.notify_url = env("TB_PAY_NOTIFY_URL"),
		.timeout_ms = (int)timeout,
	};
	if (bad) {
		memset(g, 0, sizeof(*g));
		return -1;
	}
	return paygw_init_conf(g, &c);
}

int paygw_configured(const struct paygw *g)
{
	return g != NULL && g->ops != NULL;
}

void paygw_free(struct paygw *g)
{
	if (g->curl)
		curl_easy_cleanup(g->curl);
	g->curl = NULL;
	EVP_PKEY_free(g->merchant_key);
	EVP_PKEY_free(g->platform_key);
	g->merchant_key = g->platform_key = NULL;
	OPENSSL_cleanse(g->api_key, sizeof(g->api_key));
	g->ops = NULL;
}

int paygw_create(struct paygw *g, struct arena *a, const struct paygw_order *o, char **code_url,
		 const char **err)
{
	*code_url = NULL;
	if (!paygw_configured(g)) {
		*err = "payment_not_configured";
		return -1;
	}
	return g->ops->create(g, a, o, code_url, err);
}

int paygw_close(struct paygw *g, struct arena *a, const char *out_trade_no, const char **err)
{
	if (!paygw_configured(g)) {
		*err = "payment_not_configured";
		return -1;
	}
	return g->ops->close(g, a, out_trade_no, err);
}

enum paygw_verdict paygw_notify(struct paygw *g, struct arena *a, const char *ts, const char *nonce,
				const char *serial, const char *signature, const char *body, size_t len,
				time_t now, struct paygw_notice *out)
{
	memset(out, 0, sizeof(*out));
	if (!paygw_configured(g))
		return PAYGW_BAD_SIGNATURE;
	return g->ops->notify(g, a, ts, nonce, serial, signature, body, len, now, out);
}

const struct paygw_headers *paygw_notify_headers(const struct paygw *g)
{
	return paygw_configured(g) ? &g->ops->headers : &paygw_wechat_ops.headers;
}

const char *paygw_verdict_code(enum paygw_verdict v)
{
	switch (v) {
	case PAYGW_OK: return "ok";
	case PAYGW_BAD_HEADERS: return "bad_notification_headers";
	case PAYGW_WRONG_SERIAL: return "wrong_serial";
	case PAYGW_STALE: return "stale_timestamp";
	case PAYGW_BAD_SIGNATURE: return "bad_signature";
	case PAYGW_BAD_BODY: return "bad_notification_body";
	case PAYGW_DECRYPT_FAILED: return "decrypt_failed";
	}
	return "bad_notification_body";
}

int paygw_verdict_status(enum paygw_verdict v)
{
	switch (v) {
	case PAYGW_OK: return 200;
	case PAYGW_WRONG_SERIAL:
	case PAYGW_STALE:
	case PAYGW_BAD_SIGNATURE: return 401;
	case PAYGW_BAD_HEADERS:
	case PAYGW_BAD_BODY:
	case PAYGW_DECRYPT_FAILED: return 400;
	}
	return 400;
}
