/* Unit tests of the payment adapter (core/paygw.h): configuration and its
 * refusals, the request signature (round trip with the merchant's public
 * key), notifications made as the provider makes them and verified — and
 * tampered bodies, serials, timestamps, signatures and ciphertexts each
 * getting their own verdict. Keys are generated here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "check.h"
#include "core/crypto.h"
#include "core/paygw.h"

static struct arena A;
static char dir[64];
static EVP_PKEY *merchant, *platform, *other;
static const unsigned char API_KEY[33] = "0123456789abcdef0123456789ABCDEF";
static const char MCHID[] = "1900000109", APPID[] = "wxd678efh567hg6787";
static const char MSERIAL[] = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
static const char PSERIAL[] = "444F4864EA9B34415E6B5F4F6B5F3F0D3C2AB1C9";

static const char *file(const char *name)
{
	return arena_printf(&A, "%s/%s", dir, name);
}

static void write_file(const char *name, const void *p, size_t n)
{
	FILE *f = fopen(file(name), "wb");
	if (f) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
}

static void write_key(const char *name, EVP_PKEY *k, int private)
{
	FILE *f = fopen(file(name), "w");
	if (f) {
		if (private)
			PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
		else
			PEM_write_PUBKEY(f, k);
		fclose(f);
	}
}

static struct paygw_conf good_conf(void)
{
	return (struct paygw_conf){
		.provider = "wechat", .base_url = "http://127.0.0.1:1/", .mchid = MCHID, .appid = APPID,
		.merchant_key_path = file("merchant.key"), .merchant_serial = MSERIAL,
		.platform_key_path = file("platform.pub.pem"), .platform_serial = PSERIAL,
		.api_key_path = file("api.key"), .notify_url = "https://tongban.example/api/v1/payments/notify",
		.timeout_ms = 500,
	};
}

static char *sign_b64(EVP_PKEY *k, const char *msg, size_t len)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char sig[512];
	size_t slen = sizeof(sig);
	char *out = NULL;
	if (EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k) == 1 &&
	    EVP_DigestSign(c, sig, &slen, (const unsigned char *)msg, len) == 1)
		out = crypto_b64_encode(&A, sig, slen, 0);
	EVP_MD_CTX_free(c);
	return out;
}

static int verify_b64(EVP_PKEY *k, const char *msg, size_t len, const char *sig)
{
	unsigned char *raw;
	size_t rlen;
	if (crypto_b64_decode(&A, sig, strlen(sig), 0, &raw, &rlen) != 0)
		return 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, k) == 1 &&
		 EVP_DigestVerify(c, raw, rlen, (const unsigned char *)msg, len) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

static char *resign(EVP_PKEY *k, const char *ts, const char *nonce, const char *body)
{
	char *m = arena_printf(&A, "%s\n%s\n%s\n", ts, nonce, body);
	return sign_b64(k, m, strlen(m));
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/tb-paygw-test.%d", (int)getpid());
	mkdir(dir, 0700);
	merchant = EVP_RSA_gen(2048);
	platform = EVP_RSA_gen(2048);
	other = EVP_RSA_gen(2048);
	EVP_PKEY *small = EVP_RSA_gen(1024);
	write_key("merchant.key", merchant, 1);
	write_key("platform.pub.pem", platform, 0);
	write_key("small.key", small, 1);
	EVP_PKEY_free(small);
	unsigned char k[33];
	memcpy(k, API_KEY, 32);
	k[32] = '\n'; /* as editors leave it */
	write_file("api.key", k, 33);
	write_file("short.key", k, 31);
}

static void teardown(void)
{
	static const char *names[] = { "merchant.key", "platform.pub.pem", "small.key", "api.key", "short.key" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unlink(file(names[i]));
	rmdir(dir);
	EVP_PKEY_free(merchant);
	EVP_PKEY_free(platform);
	EVP_PKEY_free(other);
}

static void test_configuration_is_checked(void)
{
	struct paygw g;
	struct paygw_conf c = good_conf();
	CHECK(paygw_init_conf(&g, &c) == 0 && paygw_configured(&g));
	CHECK_STR(g.base_url, "http://127.0.0.1:1"); /* the trailing slash dropped */
	CHECK(memcmp(g.api_key, API_KEY, 32) == 0);
	paygw_free(&g);
	CHECK(!paygw_configured(&g));

	struct paygw_conf bad[9];
	for (size_t i = 0; i < 9; i++)
		bad[i] = good_conf();
	bad[0].provider = "unionpay";
	bad[1].base_url = "ftp://127.0.0.1";
	bad[2].mchid = "19000\"00109";
	bad[3].merchant_key_path = file("small.key");		/* RSA-1024 */
	bad[4].merchant_key_path = file("missing.key");
	bad[5].platform_key_path = file("merchant.key");	/* a private key where the public one goes */
	bad[6].api_key_path = file("short.key");
	bad[7].platform_serial = NULL;
	bad[8].notify_url = "";
	for (size_t i = 0; i < 9; i++) {
		if (paygw_init_conf(&g, &bad[i]) != -1 || paygw_configured(&g)) {
			fprintf(stderr, "  bad configuration %zu accepted\n", i);
			CHECK(0);
		}
		paygw_free(&g);
	}

	/* no provider: not configured, and says so */
	struct paygw_conf none = { 0 };
	CHECK(paygw_init_conf(&g, &none) == 0 && !paygw_configured(&g));
	const struct paygw_order o = { "TB202611280000000001", "不动产登记费", 8000, 1795850064 };
	char *url = (char *)"x";
	const char *err = NULL;
	CHECK(paygw_create(&g, &A, &o, &url, &err) == -1 && url == NULL);
	CHECK_STR(err, "payment_not_configured");
	CHECK(paygw_close(&g, &A, "TB202611280000000001", &err) == -1);
	struct paygw_notice n;
	CHECK(paygw_notify(&g, &A, "1", "n", "s", "sig", "{}", 2, 1, &n) == PAYGW_BAD_SIGNATURE);
	paygw_free(&g);
}

static void test_request_signature_round_trip(void)
{
	struct paygw g;
	struct paygw_conf c = good_conf();
	CHECK(paygw_init_conf(&g, &c) == 0);
	const char body[] = "{\"appid\":\"wxd678efh567hg6787\",\"amount\":{\"total\":8000}}";
	char *h = paygw_wechat_authorization(&g, &A, "POST", "/v3/pay/transactions/native", body, strlen(body),
					     1795850064, "NONCE0123456789");
	CHECK(h != NULL && strncmp(h, "WECHATPAY2-SHA256-RSA2048 mchid=\"1900000109\",nonce_str=\"NONCE0123456789\","
				      "signature=\"", 82) == 0);
	CHECK(h && strstr(h, ",timestamp=\"1795850064\",serial_no=\"" "5157F09EFDC096DE15EBE81A47057A7232F1B8E1\"") != NULL);
	const char *s = h ? strstr(h, "signature=\"") : NULL;
	char *sig = s ? arena_strndup(&A, s + 11, strcspn(s + 11, "\"")) : NULL;
	char *m = arena_printf(&A, "POST\n/v3/pay/transactions/native\n1795850064\nNONCE0123456789\n%s\n", body);
	CHECK(sig && verify_b64(merchant, m, strlen(m), sig));
	/* the signature covers method, URL, time, nonce and body */
	char *m2 = arena_printf(&A, "POST\n/v3/pay/transactions/native\n1795850065\nNONCE0123456789\n%s\n", body);
	CHECK(sig && !verify_b64(merchant, m2, strlen(m2), sig));
	char *m3 = arena_printf(&A, "GET\n/v3/pay/transactions/native\n1795850064\nNONCE0123456789\n%s\n", body);
	CHECK(sig && !verify_b64(merchant, m3, strlen(m3), sig));
	CHECK(sig && !verify_b64(other, m, strlen(m), sig));
	paygw_free(&g);
}

static void test_time_in_china_standard_time(void)
{
	char b[32];
	paygw_time_cst(0, b);
	CHECK_STR(b, "1970-01-01T08:00:00+08:00");
	paygw_time_cst(1795850064, b); /* 2026-11-28 07:14:24 UTC */
	CHECK_STR(b, "2026-11-28T15:14:24+08:00");
}

static const struct paygw_notice NOTICE = {
	.id = "EV-2018022511223320873", .transaction_id = "4200000001202611281234567890",
	.out_trade_no = "TB202611280000000001", .trade_state = "SUCCESS", .mchid = MCHID, .appid = APPID,
	.success_time = "2026-11-28T15:14:24+08:00", .total_fen = 8000,
};

static void test_notification_round_trip(void)
{
	struct paygw g;
	struct paygw_conf c = good_conf();
	CHECK(paygw_init_conf(&g, &c) == 0);
	char *body, *sig;
	CHECK(paygw_wechat_make_notice(&A, platform, API_KEY, &NOTICE, "1795850064", "NONCE-A", &body, &sig) == 0);
	struct paygw_notice n;
	CHECK(paygw_notify(&g, &A, "1795850064", "NONCE-A", PSERIAL, sig, body, strlen(body), 1795850064, &n) ==
	      PAYGW_OK);
	CHECK_STR(n.id, NOTICE.id);
	CHECK_STR(n.transaction_id, NOTICE.transaction_id);
	CHECK_STR(n.out_trade_no, NOTICE.out_trade_no);
	CHECK_STR(n.trade_state, "SUCCESS");
	CHECK_STR(n.mchid, MCHID);
	CHECK_STR(n.appid, APPID);
	CHECK_STR(n.success_time, NOTICE.success_time);
	CHECK(n.total_fen == 8000);
	/* the edges of the 300 s window */
	CHECK(paygw_notify(&g, &A, "1795850064", "NONCE-A", PSERIAL, sig, body, strlen(body), 1795850364, &n) ==
	      PAYGW_OK);
	CHECK(paygw_notify(&g, &A, "1795850064", "NONCE-A", PSERIAL, sig, body, strlen(body), 1795849764, &n) ==
	      PAYGW_OK);
	/* the body need not be NUL-terminated: only len bytes are read */
	char *copy = malloc(strlen(body));
	memcpy(copy, body, strlen(body));
	CHECK(paygw_notify(&g, &A, "1795850064", "NONCE-A", PSERIAL, sig, copy, strlen(body), 1795850064, &n) ==
	      PAYGW_OK);
	free(copy);
	paygw_free(&g);
}

static void test_tampered_notifications_get_their_verdict(void)
{
	struct paygw g;
	struct paygw_conf c = good_conf();
	CHECK(paygw_init_conf(&g, &c) == 0);
	const char *ts = "1795850064", *nonce = "NONCE-B";
	const time_t now = 1795850064;
	char *body, *sig;
	struct paygw_notice n;
	CHECK(paygw_wechat_make_notice(&A, platform, API_KEY, &NOTICE, ts, nonce, &body, &sig) == 0);
	size_t len = strlen(body);
#define V(ts_, nonce_, serial_, sig_, body_, len_, now_) \
	paygw_notify(&g, &A, ts_, nonce_, serial_, sig_, body_, len_, now_, &n)

	/* one byte of the body changed */
	char *t = arena_strndup(&A, body, len);
	t[len / 2] ^= 1;
	CHECK(V(ts, nonce, PSERIAL, sig, t, len, now) == PAYGW_BAD_SIGNATURE);
	/* the signed timestamp or nonce changed */
	CHECK(V("1795850065", nonce, PSERIAL, sig, body, len, now) == PAYGW_BAD_SIGNATURE);
	CHECK(V(ts, "NONCE-C", PSERIAL, sig, body, len, now) == PAYGW_BAD_SIGNATURE);
	/* signed by another key */
	CHECK(V(ts, nonce, PSERIAL, resign(other, ts, nonce, body), body, len, now) == PAYGW_BAD_SIGNATURE);
	/* a signature that is not base64, or empty of meaning */
	CHECK(V(ts, nonce, PSERIAL, "!!!!", body, len, now) == PAYGW_BAD_SIGNATURE);
	CHECK(V(ts, nonce, PSERIAL, "AAAA", body, len, now) == PAYGW_BAD_SIGNATURE);
	/* another serial */
	CHECK(V(ts, nonce, "444F4864EA9B34415E6B5F4F6B5F3F0D3C2AB1C8", sig, body, len, now) == PAYGW_WRONG_SERIAL);
	/* stale and future timestamps */
	CHECK(V(ts, nonce, PSERIAL, sig, body, len, now + 301) == PAYGW_STALE);
	CHECK(V(ts, nonce, PSERIAL, sig, body, len, now - 301) == PAYGW_STALE);
	/* headers missing or malformed */
	CHECK(V(NULL, nonce, PSERIAL, sig, body, len, now) == PAYGW_BAD_HEADERS);
	CHECK(V(ts, "", PSERIAL, sig, body, len, now) == PAYGW_BAD_HEADERS);
	CHECK(V(ts, nonce, NULL, sig, body, len, now) == PAYGW_BAD_HEADERS);
	CHECK(V("17958500x4", nonce, PSERIAL, sig, body, len, now) == PAYGW_BAD_HEADERS);
	CHECK(V("-1795850064", nonce, PSERIAL, sig, body, len, now) == PAYGW_BAD_HEADERS);
	CHECK(V("1795850064000000", nonce, PSERIAL, sig, body, len, now) == PAYGW_BAD_HEADERS);
	char longnonce[200];
	memset(longnonce, 'N', sizeof(longnonce) - 1);
	longnonce[sizeof(longnonce) - 1] = '\0';
	CHECK(V(ts, longnonce, PSERIAL, sig, body, len, now) == PAYGW_BAD_HEADERS);
	CHECK(V(ts, "NON CE", PSERIAL, sig, body, len, now) == PAYGW_BAD_HEADERS);
	/* an empty or oversized body */
	CHECK(V(ts, nonce, PSERIAL, sig, body, 0, now) == PAYGW_BAD_BODY);
	char *huge = calloc(1, PAYGW_MAX_BODY + 2);
	memset(huge, ' ', PAYGW_MAX_BODY + 1);
	CHECK(V(ts, nonce, PSERIAL, resign(platform, ts, nonce, huge), huge, PAYGW_MAX_BODY + 1, now) ==
	      PAYGW_BAD_BODY);
	free(huge);

	/* the ciphertext changed and the whole signed anew: the signature
	 * holds, the AEAD tag does not */
	char *ct = strstr(body, "\"ciphertext\":\"");
	CHECK(ct != NULL);
	if (ct) {
		char *b2 = arena_strndup(&A, body, len);
		char *p = b2 + (ct - body) + 14 + 10;
		*p = *p == 'A' ? 'B' : 'A';
		CHECK(V(ts, nonce, PSERIAL, resign(platform, ts, nonce, b2), b2, len, now) == PAYGW_DECRYPT_FAILED);
		/* the resource's nonce changed */
		char *rn = strstr(b2, "\"nonce\":\"");
		if (rn) {
			char *b3 = arena_strndup(&A, body, len);
			char *q = b3 + (rn - b2) + 9;
			*q = *q == 'A' ? 'B' : 'A';
			CHECK(V(ts, nonce, PSERIAL, resign(platform, ts, nonce, b3), b3, len, now) ==
			      PAYGW_DECRYPT_FAILED);
		}
	}
	/* the associated data changed */
	char *ad = strstr(body, "\"associated_data\":\"transaction\"");
	if (ad) {
		char *b4 = arena_strndup(&A, body, len);
		b4[(ad - body) + 19] = 'T';
		CHECK(V(ts, nonce, PSERIAL, resign(platform, ts, nonce, b4), b4, len, now) == PAYGW_DECRYPT_FAILED);
	}
	/* another API key */
	unsigned char saved[32];
	memcpy(saved, g.api_key, 32);
	g.api_key[0] ^= 1;
	CHECK(V(ts, nonce, PSERIAL, sig, body, len, now) == PAYGW_DECRYPT_FAILED);
	memcpy(g.api_key, saved, 32);
	CHECK(V(ts, nonce, PSERIAL, sig, body, len, now) == PAYGW_OK);

	/* signed, but not a notification */
	static const char *bodies[] = {
		"not json",
		"[1,2]",
		"{\"id\":\"EV-1\"}",
		"{\"id\":\"EV-1\",\"resource\":{\"algorithm\":\"AEAD_AES_128_GCM\",\"ciphertext\":\"AAAA\","
		"\"nonce\":\"0123456789ab\"}}",
		"{\"id\":\"EV-1\",\"resource\":{\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"@@@@\","
		"\"nonce\":\"0123456789ab\"}}",
		"{\"id\":\"EV-1\",\"id\":\"EV-2\",\"resource\":{}}",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		CHECK(V(ts, nonce, PSERIAL, resign(platform, ts, nonce, bodies[i]), bodies[i], strlen(bodies[i]),
			now) == PAYGW_BAD_BODY);
	/* a short ciphertext (shorter than the tag) cannot be opened */
	const char *shortct = "{\"id\":\"EV-1\",\"resource\":{\"algorithm\":\"AEAD_AES_256_GCM\",\"ciphertext\":\"AAAA\","
			      "\"associated_data\":\"transaction\",\"nonce\":\"0123456789ab\"}}";
	CHECK(V(ts, nonce, PSERIAL, resign(platform, ts, nonce, shortct), shortct, strlen(shortct), now) ==
	      PAYGW_DECRYPT_FAILED);
	/* decrypted, but a transaction without what it must carry */
	struct paygw_notice missing = NOTICE;
	missing.out_trade_no = NULL;
	CHECK(paygw_wechat_make_notice(&A, platform, API_KEY, &missing, ts, nonce, &body, &sig) == 0);
	CHECK(V(ts, nonce, PSERIAL, sig, body, strlen(body), now) == PAYGW_BAD_BODY);
	struct paygw_notice spaced = NOTICE;
	spaced.transaction_id = "4200 0001";
	CHECK(paygw_wechat_make_notice(&A, platform, API_KEY, &spaced, ts, nonce, &body, &sig) == 0);
	CHECK(V(ts, nonce, PSERIAL, sig, body, strlen(body), now) == PAYGW_BAD_BODY);
	/* an amount is passed on as it is: the caller compares it */
	struct paygw_notice cheap = NOTICE;
	cheap.total_fen = 1;
	CHECK(paygw_wechat_make_notice(&A, platform, API_KEY, &cheap, ts, nonce, &body, &sig) == 0);
	CHECK(V(ts, nonce, PSERIAL, sig, body, strlen(body), now) == PAYGW_OK && n.total_fen == 1);
#undef V
	paygw_free(&g);
}

static void test_verdicts_have_stable_codes(void)
{
	CHECK_STR(paygw_verdict_code(PAYGW_OK), "ok");
	CHECK_STR(paygw_verdict_code(PAYGW_BAD_HEADERS), "bad_notification_headers");
	CHECK_STR(paygw_verdict_code(PAYGW_WRONG_SERIAL), "wrong_serial");
	CHECK_STR(paygw_verdict_code(PAYGW_STALE), "stale_timestamp");
	CHECK_STR(paygw_verdict_code(PAYGW_BAD_SIGNATURE), "bad_signature");
	CHECK_STR(paygw_verdict_code(PAYGW_BAD_BODY), "bad_notification_body");
	CHECK_STR(paygw_verdict_code(PAYGW_DECRYPT_FAILED), "decrypt_failed");
	CHECK_STR(paygw_notify_headers(NULL)->signature, "HTTP_WECHATPAY_SIGNATURE");
	CHECK_STR(paygw_notify_headers(NULL)->timestamp, "HTTP_WECHATPAY_TIMESTAMP");
	CHECK(paygw_verdict_status(PAYGW_BAD_SIGNATURE) == 401 && paygw_verdict_status(PAYGW_STALE) == 401 &&
	      paygw_verdict_status(PAYGW_WRONG_SERIAL) == 401 && paygw_verdict_status(PAYGW_BAD_BODY) == 400 &&
	      paygw_verdict_status(PAYGW_DECRYPT_FAILED) == 400 && paygw_verdict_status(PAYGW_BAD_HEADERS) == 400);
}

static void test_orders_are_checked_before_anything_is_sent(void)
{
	struct paygw g;
	struct paygw_conf c = good_conf(); /* port 1: nothing listens */
	CHECK(paygw_init_conf(&g, &c) == 0);
	const struct paygw_order bad[] = {
		{ "TB1", "不动产登记费", 8000, 1795850064 },			/* too short */
		{ "TB20261128000000000\"1", "不动产登记费", 8000, 1795850064 }, /* a quote */
		{ "TB202611280000000001", "", 8000, 1795850064 },
		{ "TB202611280000000001", "不动产登记费", 0, 1795850064 },
		{ "TB202611280000000001", "不动产登记费", -5, 1795850064 },
		{ "TB202611280000000001", "不动产登记费", 8000, 0 },
		{ "TB202611280000000001",
		  "不动产登记费不动产登记费不动产登记费不动产登记费不动产登记费不动产登记费不动产登记费不动产登记费", 8000,
		  1795850064 }, /* 144 bytes */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *url = NULL;
		const char *err = NULL;
		CHECK(paygw_create(&g, &A, &bad[i], &url, &err) == -1);
		if (err == NULL || strcmp(err, "bad_order") != 0) {
			fprintf(stderr, "  order %zu: %s\n", i, err ? err : "(null)");
			CHECK(0);
		}
	}
	const char *err = NULL;
	CHECK(paygw_close(&g, &A, "TB 1", &err) == -1 && err && strcmp(err, "bad_order") == 0);
	/* a good order, nobody to take it */
	const struct paygw_order o = { "TB202611280000000001", "不动产登记费", 8000, 1795850064 };
	char *url = NULL;
	CHECK(paygw_create(&g, &A, &o, &url, &err) == -1 && url == NULL);
	CHECK_STR(err, "provider_unreachable");
	paygw_free(&g);
}

/* The adapter's arena may begin with a 64 KB notification body: an arena
 * whose first block is larger than a standard block must reset and free
 * (it recursed without end before). */
static void test_an_arena_with_a_huge_first_block_resets(void)
{
	struct arena a;
	arena_init(&a, 0);
	CHECK(arena_alloc(&a, PAYGW_MAX_BODY) != NULL && arena_alloc(&a, 100) != NULL);
	arena_reset(&a);
	CHECK(arena_alloc(&a, 100) != NULL);
	arena_reset(&a);
	CHECK(arena_alloc(&a, PAYGW_MAX_BODY) != NULL);
	arena_free(&a);
	CHECK(a.first == NULL);
}

int main(void)
{
	arena_init(&A, 0);
	setup();
	TEST(test_configuration_is_checked);
	TEST(test_request_signature_round_trip);
	TEST(test_time_in_china_standard_time);
	TEST(test_notification_round_trip);
	TEST(test_tampered_notifications_get_their_verdict);
	TEST(test_verdicts_have_stable_codes);
	TEST(test_orders_are_checked_before_anything_is_sent);
	TEST(test_an_arena_with_a_huge_first_block_resets);
	teardown();
	arena_free(&A);
	return check_done();
}
