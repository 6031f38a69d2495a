/* WeChat Pay API v3: native orders, closing them, and payment notifications.
 *
 * Requests are signed with the merchant's RSA key: SHA256withRSA over
 * "METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n" (URL: path and query), sent as
 *   Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",
 *                  signature="…",timestamp="…",serial_no="…"
 * The provider's replies and notifications carry Wechatpay-Timestamp,
 * -Nonce, -Serial and -Signature: SHA256withRSA over "ts\nnonce\nbody\n"
 * with the platform key. A notification's resource is AEAD_AES_256_GCM
 * with the API v3 key (ciphertext base64, the tag its last 16 bytes).
 * OpenSSL EVP only; libcurl for HTTP; every size bounded. */
#include "paygw.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "json.h"
#include "log.h"

#define TAG_LEN 16
#define SIG_B64_MAX 1024	/* RSA-4096 would be 684 characters */
#define TS_MAX 12
#define HDR_MAX 1100

/* ---- signatures ---- */

static char *rsa_sign_b64(struct arena *a, EVP_PKEY *key, const void *msg, size_t len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t slen = 0;
	char *out = NULL;
	if (c == NULL || EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(c, NULL, &slen, msg, len) != 1 || (sig = arena_alloc(a, slen)) == NULL ||
	    EVP_DigestSign(c, sig, &slen, msg, len) != 1)
		goto done;
	out = crypto_b64_encode(a, sig, slen, 0);
done:
	EVP_MD_CTX_free(c);
	return out;
}

/* 1: sig (base64) is key's SHA256withRSA signature of msg. */
static int rsa_verify_b64(struct arena *a, EVP_PKEY *key, const void *msg, size_t len, const char *sig)
{
	size_t n = strlen(sig);
	unsigned char *raw;
	size_t rlen;
	if (n == 0 || n > SIG_B64_MAX || crypto_b64_decode(a, sig, n, 0, &raw, &rlen) != 0 || rlen == 0)
		return 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = c != NULL && EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
		 EVP_DigestVerify(c, raw, rlen, msg, len) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

/* "a\nb\nbody\n" in the arena: the signed message of replies and
 * notifications (ts, nonce) and, with four leading parts, of requests. */
static char *signed_message(struct arena *a, const char *const *parts, size_t nparts, const char *body,
			    size_t len, size_t *mlen)
{
	size_t n = len + 1;
	for (size_t i = 0; i < nparts; i++)
		n += strlen(parts[i]) + 1;
	char *m = arena_alloc(a, n + 1);
	if (m == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < nparts; i++) {
		size_t k = strlen(parts[i]);
		memcpy(m + o, parts[i], k);
		o += k;
		m[o++] = '\n';
	}
	if (len)
		memcpy(m + o, body, len);
	o += len;
	m[o++] = '\n';
	*mlen = o;
	return m;
}

static void random_nonce(char out[33])
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char r[32];
	if (crypto_random(r, sizeof(r)) != 0)
		abort(); /* no randomness: nothing may be signed */
	for (size_t i = 0; i < 32; i++)
		out[i] = al[r[i] % 36];
	out[32] = '\0';
}

void paygw_time_cst(time_t t, char out[32])
{
	/* China has one zone without daylight saving: UTC+8 always */
	time_t l = t + 8 * 3600;
	struct tm tm;
	if (gmtime_r(&l, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%S+08:00", &tm) == 0)
		out[0] = '\0';
}

char *paygw_wechat_authorization(struct paygw *g, struct arena *a, const char *method, const char *target,
				 const char *body, size_t len, time_t ts, const char *nonce)
{
	char tsbuf[24];
	snprintf(tsbuf, sizeof(tsbuf), "%lld", (long long)ts);
	const char *parts[] = { method, target, tsbuf, nonce };
	size_t mlen;
	char *m = signed_message(a, parts, 4, body, len, &mlen);
	char *sig = m ? rsa_sign_b64(a, g->merchant_key, m, mlen) : NULL;
	if (sig == NULL)
		return NULL;
	return arena_printf(a,
			    "WECHATPAY2-SHA256-RSA2048 mchid=\"%s\",nonce_str=\"%s\","
			    "signature=\"%s\",timestamp=\"%s\",serial_no=\"%s\"",
			    g->mchid, nonce, sig, tsbuf, g->merchant_serial);
}

/* ---- HTTP ---- */

struct reply {
	struct arena *a;
	char *body;
	size_t len, cap;
	int too_big;
	char ts[TS_MAX + 2], nonce[PAYGW_ID_MAX + 2], serial[PAYGW_ID_MAX + 2], sig[SIG_B64_MAX + 2];
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct reply *r = ud;
	size_t n = size * nmemb;
	if (r->len + n > PAYGW_MAX_BODY) {
		r->too_big = 1;
		return 0; /* aborts the transfer */
	}
	void *b = r->body;
	if (arena_grow(r->a, &b, &r->cap, r->len, n + 1, 1) != 0)
		return 0;
	r->body = b;
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/* Keeps a header's value when it fits; one that does not is emptied, so
 * it fails verification rather than being read cut short. */
static void keep_header(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap - 1) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct reply *r = ud;
	size_t n = size * nmemb;
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* a new response (after a 100 Continue): forget the previous one's */
		r->ts[0] = r->nonce[0] = r->serial[0] = r->sig[0] = '\0';
		return n;
	}
	const char *colon = memchr(p, ':', n);
	if (colon == NULL || n > HDR_MAX)
		return n;
	size_t klen = (size_t)(colon - p);
	const char *v = colon + 1, *end = p + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	size_t vlen = (size_t)(end - v);
	static const struct { const char *name; size_t off, cap; } want[] = {
		{ "Wechatpay-Timestamp", offsetof(struct reply, ts), TS_MAX + 2 },
		{ "Wechatpay-Nonce", offsetof(struct reply, nonce), PAYGW_ID_MAX + 2 },
		{ "Wechatpay-Serial", offsetof(struct reply, serial), PAYGW_ID_MAX + 2 },
		{ "Wechatpay-Signature", offsetof(struct reply, sig), SIG_B64_MAX + 2 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (klen == strlen(want[i].name) && strncasecmp(p, want[i].name, klen) == 0)
			keep_header((char *)r + want[i].off, want[i].cap, v, vlen);
	return n;
}

static int digits(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Is the reply signed by the platform (serial ours, time near, signature good)? */
static int reply_verifies(struct paygw *g, struct reply *r)
{
	if (!g->verify_responses)
		return 1;
	if (strcmp(r->serial, g->platform_serial) != 0 || !digits(r->ts, TS_MAX) || r->nonce[0] == '\0')
		return 0;
	long long ts = atoll(r->ts), now = (long long)time(NULL);
	if (ts - now > PAYGW_NOTIFY_SKEW || now - ts > PAYGW_NOTIFY_SKEW)
		return 0;
	const char *parts[] = { r->ts, r->nonce };
	size_t mlen;
	char *m = signed_message(r->a, parts, 2, r->body ? r->body : "", r->len, &mlen);
	return m != NULL && rsa_verify_b64(r->a, g->platform_key, m, mlen, r->sig);
}

/* The path part of the base URL ("" for https://host), so the signed URL
 * is the one the provider receives. */
static const char *base_path(const struct paygw *g)
{
	const char *p = strstr(g->base_url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	return p ? p : "";
}

/* One signed request: the HTTP status (0: not reached) and the reply. */
static int call(struct paygw *g, struct arena *a, const char *method, const char *path, const char *body,
		size_t len, struct reply *r)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
	if (g->curl == NULL) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 || (g->curl = curl_easy_init()) == NULL) {
			log_error("payment: libcurl could not start");
			return 0;
		}
	}
	CURL *c = g->curl;
	curl_easy_reset(c); /* keeps the connection cache */
	const char *target = arena_printf(a, "%s%s", base_path(g), path);
	const char *url = arena_printf(a, "%s%s", g->base_url, path);
	char nonce[33];
	random_nonce(nonce);
	char *auth = target ? paygw_wechat_authorization(g, a, method, target, body, len, time(NULL), nonce) : NULL;
	if (url == NULL || auth == NULL) {
		log_error("payment: cannot sign the request");
		return 0;
	}
	struct curl_slist *h = NULL, *t;
	const char *hs[] = { arena_printf(a, "Authorization: %s", auth), "Content-Type: application/json", "Accept: application/json",
			     "User-Agent: tongban-paygw/1", "Expect:" };
	for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		if (hs[i] == NULL || (t = curl_slist_append(h, hs[i])) == NULL) {
			curl_slist_free_all(h);
			return 0;
		}
		h = t;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	/* the provider's answer must come within the request's own budget */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)g->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)g->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(h);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else if (r->too_big)
		log_warn("payment: the provider's reply to %s %s is larger than %d bytes", method, path, PAYGW_MAX_BODY);
	else
		log_warn("payment: %s %s: %s", method, path, curl_easy_strerror(rc));
	return r->too_big ? -1 : (int)status;
}

/* The provider's {code, message} of a refusal, logged; its code. */
static const char *refusal(struct arena *a, struct reply *r, int status, const char *what)
{
	struct json *j = NULL;
	const struct json *code = NULL, *msg = NULL;
	if (r->len && json_parse(a, (const unsigned char *)r->body, r->len, 8, &j) == JSON_OK &&
	    j->type == JSON_OBJECT) {
		code = json_get(j, "code");
		msg = json_get(j, "message");
	}
	const char *c = code && code->type == JSON_STRING ? code->s : "";
	log_warn("payment: the provider refused %s: %d %s %s", what, status, c,
		 msg && msg->type == JSON_STRING ? msg->s : "");
	return c;
}

/* ---- orders ---- */

static int trade_no_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 6 || n > 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_-|*", s[i]))
			return 0;
	return 1;
}

static int printable(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int wx_create(struct paygw *g, struct arena *a, const struct paygw_order *o, char **code_url,
		     const char **err)
{
	size_t dlen = o->description ? strlen(o->description) : 0;
	/* amounts up to a million yuan: far beyond any registration fee */
	if (!trade_no_ok(o->out_trade_no) || dlen == 0 || dlen > PAYGW_DESC_MAX || o->amount_fen < 1 ||
	    o->amount_fen > 100000000 || o->expire_at <= 0) {
		*err = "bad_order";
		return -1;
	}
	char expire[32];
	paygw_time_cst(o->expire_at, expire);
	yajl_gen j = json_gen_new(a);
	if (j == NULL) {
		*err = "provider_unreachable";
		return -1;
	}
	yajl_gen_map_open(j);
	jg_str(j, "appid", g->appid);
	jg_str(j, "mchid", g->mchid);
	jg_str(j, "description", o->description);
	jg_str(j, "out_trade_no", o->out_trade_no);
	jg_str(j, "time_expire", expire);
	jg_str(j, "notify_url", g->notify_url);
	jg_key(j, "amount");
	yajl_gen_map_open(j);
	jg_int(j, "total", o->amount_fen);
	jg_str(j, "currency", "CNY");
	yajl_gen_map_close(j);
	yajl_gen_map_close(j);
	const unsigned char *b;
	size_t len;
	if (yajl_gen_get_buf(j, &b, &len) != yajl_gen_status_ok) {
		*err = "bad_order"; /* description not UTF-8 */
		return -1;
	}
	struct reply r;
	int st = call(g, a, "POST", "/v3/pay/transactions/native", (const char *)b, len, &r);
	if (st <= 0) {
		*err = st == 0 ? "provider_unreachable" : "provider_bad_reply";
		return -1;
	}
	if (st != 200) {
		const char *c = refusal(a, &r, st, o->out_trade_no);
		*err = strcmp(c, "ORDERPAID") == 0 ? "order_paid_at_provider" : "provider_refused";
		return -1;
	}
	struct json *doc;
	const struct json *u;
	if (!reply_verifies(g, &r)) {
		log_error("payment: the provider's reply to order %s is not signed by the platform key",
			  o->out_trade_no);
		*err = "provider_bad_reply";
		return -1;
	}
	if (json_parse(a, (const unsigned char *)r.body, r.len, 8, &doc) != JSON_OK || doc->type != JSON_OBJECT ||
	    (u = json_get(doc, "code_url")) == NULL || u->type != JSON_STRING || !printable(u->s, PAYGW_URL_MAX)) {
		log_error("payment: the provider's reply to order %s has no usable code_url", o->out_trade_no);
		*err = "provider_bad_reply";
		return -1;
	}
	*code_url = (char *)u->s;
	return 0;
}

static int wx_close(struct paygw *g, struct arena *a, const char *out_trade_no, const char **err)
{
	if (!trade_no_ok(out_trade_no)) {
		*err = "bad_order";
		return -1;
	}
	char *body = arena_printf(a, "{\"mchid\":\"%s\"}", g->mchid); /* mchid: checked token */
	char *path = arena_printf(a, "/v3/pay/transactions/out-trade-no/%s/close", out_trade_no);
	if (body == NULL || path == NULL) {
		*err = "provider_unreachable";
		return -1;
	}
	struct reply r;
	int st = call(g, a, "POST", path, body, strlen(body), &r);
	if (st <= 0) {
		*err = st == 0 ? "provider_unreachable" : "provider_bad_reply";
		return -1;
	}
	if (st != 204 && st != 200) {
		const char *c = refusal(a, &r, st, out_trade_no);
		*err = strcmp(c, "ORDERPAID") == 0 ? "order_paid_at_provider" : "provider_refused";
		return -1;
	}
	if (!reply_verifies(g, &r)) {
		log_error("payment: the provider's reply to closing %s is not signed by the platform key",
			  out_trade_no);
		*err = "provider_bad_reply";
		return -1;
	}
	return 0;
}

/* ---- notifications ---- */

static const char *str_member(const struct json *o, const char *k, size_t max)
{
	const struct json *v = json_get(o, k);
	if (v == NULL || v->type != JSON_STRING || v->len > max || strlen(v->s) != v->len)
		return NULL;
	return v->s;
}

/* AEAD_AES_256_GCM: plaintext in the arena, NULL when the tag does not match. */
static unsigned char *gcm_open(struct arena *a, const unsigned char key[32], const unsigned char *ct, size_t len,
			       const char *nonce, const char *ad, size_t *plen)
{
	if (len <= TAG_LEN)
		return NULL;
	size_t n = len - TAG_LEN, nlen = strlen(nonce);
	unsigned char *out = arena_alloc(a, n + 1);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int ok = 0, l1 = 0, l2 = 0;
	if (out && c && EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, (int)nlen, NULL) == 1 &&
	    EVP_DecryptInit_ex(c, NULL, NULL, key, (const unsigned char *)nonce) == 1 &&
	    EVP_DecryptUpdate(c, NULL, &l1, (const unsigned char *)ad, (int)strlen(ad)) == 1 &&
	    EVP_DecryptUpdate(c, out, &l1, ct, (int)n) == 1 &&
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, (void *)(ct + n)) == 1 &&
	    EVP_DecryptFinal_ex(c, out + l1, &l2) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return NULL;
	*plen = (size_t)(l1 + l2);
	out[*plen] = '\0';
	return out;
}

static int id_ok(const char *s)
{
	return s != NULL && printable(s, PAYGW_ID_MAX);
}

static enum paygw_verdict wx_notify(struct paygw *g, struct arena *a, const char *ts, const char *nonce,
				    const char *serial, const char *signature, const char *body, size_t len,
				    time_t now, struct paygw_notice *out)
{
	if (ts == NULL || nonce == NULL || serial == NULL || signature == NULL || !digits(ts, TS_MAX) ||
	    !printable(nonce, PAYGW_ID_MAX) || !printable(serial, PAYGW_ID_MAX) ||
	    !printable(signature, SIG_B64_MAX))
		return PAYGW_BAD_HEADERS;
	if (body == NULL || len == 0 || len > PAYGW_MAX_BODY)
		return PAYGW_BAD_BODY;
	/* a serial we do not know: the provider rotated its certificate, or
	 * someone else signs; either way not verifiable with our key */
	if (strcmp(serial, g->platform_serial) != 0)
		return PAYGW_WRONG_SERIAL;
	long long t = atoll(ts), n = (long long)now;
	if (t - n > PAYGW_NOTIFY_SKEW || n - t > PAYGW_NOTIFY_SKEW)
		return PAYGW_STALE;
	const char *parts[] = { ts, nonce };
	size_t mlen;
	char *m = signed_message(a, parts, 2, body, len, &mlen);
	if (m == NULL || !rsa_verify_b64(a, g->platform_key, m, mlen, signature))
		return PAYGW_BAD_SIGNATURE;

	/* signed by the provider: now the envelope and its resource */
	struct json *doc, *tx;
	const struct json *res;
	if (json_parse(a, (const unsigned char *)body, len, 8, &doc) != JSON_OK || doc->type != JSON_OBJECT ||
	    (res = json_get(doc, "resource")) == NULL || res->type != JSON_OBJECT)
		return PAYGW_BAD_BODY;
	const char *id = str_member(doc, "id", PAYGW_ID_MAX), *alg = str_member(res, "algorithm", 32),
		   *ct = str_member(res, "ciphertext", PAYGW_MAX_BODY), *rn = str_member(res, "nonce", 64),
		   *ad = json_get(res, "associated_data") ? str_member(res, "associated_data", 256) : "";
	if (!id_ok(id) || alg == NULL || strcmp(alg, "AEAD_AES_256_GCM") != 0 || ct == NULL || rn == NULL ||
	    strlen(rn) < 8 || ad == NULL)
		return PAYGW_BAD_BODY;
	unsigned char *raw, *plain;
	size_t rlen, plen;
	if (crypto_b64_decode(a, ct, strlen(ct), 0, &raw, &rlen) != 0)
		return PAYGW_BAD_BODY;
	if ((plain = gcm_open(a, g->api_key, raw, rlen, rn, ad, &plen)) == NULL)
		return PAYGW_DECRYPT_FAILED;

	/* the transaction the provider vouches for */
	const struct json *amount, *total;
	if (json_parse(a, plain, plen, 8, &tx) != JSON_OK || tx->type != JSON_OBJECT ||
	    (amount = json_get(tx, "amount")) == NULL || amount->type != JSON_OBJECT ||
	    (total = json_get(amount, "total")) == NULL || json_int64(total, &out->total_fen) != 0 ||
	    out->total_fen < 0)
		return PAYGW_BAD_BODY;
	out->id = id;
	out->mchid = str_member(tx, "mchid", PAYGW_ID_MAX);
	out->appid = str_member(tx, "appid", PAYGW_ID_MAX);
	out->out_trade_no = str_member(tx, "out_trade_no", PAYGW_ID_MAX);
	out->transaction_id = str_member(tx, "transaction_id", PAYGW_ID_MAX);
	out->trade_state = str_member(tx, "trade_state", 32);
	/* present when trade_state is SUCCESS */
	out->success_time = json_get(tx, "success_time") ? str_member(tx, "success_time", 40) : "";
	if (!id_ok(out->mchid) || !id_ok(out->appid) || !id_ok(out->out_trade_no) || !id_ok(out->transaction_id) ||
	    !id_ok(out->trade_state) || out->success_time == NULL ||
	    (out->success_time[0] && !printable(out->success_time, 40))) {
		memset(out, 0, sizeof(*out));
		return PAYGW_BAD_BODY;
	}
	return PAYGW_OK;
}

/* ---- the provider's side (tests, bench) ---- */

int paygw_wechat_make_notice(struct arena *a, void *platform_key, const unsigned char api_key[32],
			     const struct paygw_notice *n, const char *ts, const char *nonce, char **body,
			     char **signature)
{
	*body = *signature = NULL;
	yajl_gen j = json_gen_new(a);
	if (j == NULL)
		return -1;
	yajl_gen_map_open(j);
	jg_str(j, "appid", n->appid);
	jg_str(j, "mchid", n->mchid);
	jg_str(j, "out_trade_no", n->out_trade_no);
	jg_str(j, "transaction_id", n->transaction_id);
	jg_str(j, "trade_type", "NATIVE");
	jg_str(j, "trade_state", n->trade_state);
	jg_str(j, "success_time", n->success_time);
	jg_key(j, "amount");
	yajl_gen_map_open(j);
	jg_int(j, "total", n->total_fen);
	jg_int(j, "payer_total", n->total_fen);
	jg_str(j, "currency", "CNY");
	yajl_gen_map_close(j);
	yajl_gen_map_close(j);
	const unsigned char *plain;
	size_t plen;
	if (yajl_gen_get_buf(j, &plain, &plen) != yajl_gen_status_ok)
		return -1;

	char rn[13];
	char full[33];
	random_nonce(full);
	memcpy(rn, full, 12);
	rn[12] = '\0';
	static const char ad[] = "transaction";
	unsigned char *ct = arena_alloc(a, plen + TAG_LEN);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l1 = 0, l2 = 0, ok = ct && c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
				  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
				  EVP_EncryptInit_ex(c, NULL, NULL, api_key, (const unsigned char *)rn) == 1 &&
				  EVP_EncryptUpdate(c, NULL, &l1, (const unsigned char *)ad, (int)strlen(ad)) == 1 &&
				  EVP_EncryptUpdate(c, ct, &l1, plain, (int)plen) == 1 &&
				  EVP_EncryptFinal_ex(c, ct + l1, &l2) == 1 &&
				  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, ct + l1 + l2) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return -1;
	char *ct64 = crypto_b64_encode(a, ct, (size_t)(l1 + l2) + TAG_LEN, 0);
	yajl_gen e = json_gen_new(a);
	if (ct64 == NULL || e == NULL)
		return -1;
	char created[32];
	paygw_time_cst((time_t)atoll(ts), created);
	yajl_gen_map_open(e);
	jg_str(e, "id", n->id);
	jg_str(e, "create_time", created);
	jg_str(e, "resource_type", "encrypt-resource");
	jg_str(e, "event_type", "TRANSACTION.SUCCESS");
	jg_str(e, "summary", "支付成功");
	jg_key(e, "resource");
	yajl_gen_map_open(e);
	jg_str(e, "original_type", "transaction");
	jg_str(e, "algorithm", "AEAD_AES_256_GCM");
	jg_str(e, "ciphertext", ct64);
	jg_str(e, "associated_data", ad);
	jg_str(e, "nonce", rn);
	yajl_gen_map_close(e);
	yajl_gen_map_close(e);
	const unsigned char *eb;
	size_t elen;
	if (yajl_gen_get_buf(e, &eb, &elen) != yajl_gen_status_ok)
		return -1;
	*body = arena_strndup(a, (const char *)eb, elen);
	const char *parts[] = { ts, nonce };
	size_t mlen;
	char *m = *body ? signed_message(a, parts, 2, *body, elen, &mlen) : NULL;
	*signature = m ? rsa_sign_b64(a, platform_key, m, mlen) : NULL;
	return *body && *signature ? 0 : -1;
}

const struct paygw_ops paygw_wechat_ops = {
	.name = "wechat",
	.create = wx_create,
	.close = wx_close,
	.notify = wx_notify,
	.headers = { "HTTP_WECHATPAY_TIMESTAMP", "HTTP_WECHATPAY_NONCE", "HTTP_WECHATPAY_SERIAL",
		     "HTTP_WECHATPAY_SIGNATURE" },
};
