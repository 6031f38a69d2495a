/* Fuzz target: payment notifications into paygw_notify. The first byte
 * picks what the rest is, so that mutations reach past the signature:
 *   0: "ts\nnonce\nserial\nsignature\nbody" as received (headers and all);
 *   1: a body, signed here with the platform key (envelope, base64, AEAD);
 *   2: a transaction's JSON, encrypted and signed here (its parsing).
 * A 1024-bit key keeps the signing cheap; the adapter's 2048-bit minimum
 * is a configuration rule (paygw_init), not the verifier's. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "core/crypto.h"
#include "core/paygw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char API_KEY[33] = "0123456789abcdef0123456789ABCDEF";
static const char SERIAL[] = "444F4864EA9B34415E6B5F4F6B5F3F0D3C2AB1C9";
#define TS "1795850064"
#define NOW 1795850064

static struct paygw g;
static EVP_PKEY *key;

static void setup(void)
{
	if (key)
		return;
	key = EVP_RSA_gen(1024);
	if (key == NULL)
		abort();
	memset(&g, 0, sizeof(g));
	g.ops = &paygw_wechat_ops;
	memcpy(g.platform_serial, SERIAL, sizeof(SERIAL));
	memcpy(g.mchid, "1900000109", 11);
	memcpy(g.api_key, API_KEY, 32);
	g.platform_key = key;
}

static char *sign(struct arena *a, const char *nonce, const char *body, size_t len)
{
	char *m = arena_alloc(a, len + 64);
	if (m == NULL)
		return NULL;
	size_t o = (size_t)snprintf(m, 64, "%s\n%s\n", TS, nonce);
	memcpy(m + o, body, len);
	m[o + len] = '\n';
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char sig[256];
	size_t slen = sizeof(sig);
	char *out = NULL;
	if (EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(c, sig, &slen, (unsigned char *)m, o + len + 1) == 1)
		out = crypto_b64_encode(a, sig, slen, 0);
	EVP_MD_CTX_free(c);
	return out;
}

static void check(const struct paygw_notice *n, enum paygw_verdict v)
{
	if (v != PAYGW_OK)
		return;
	/* an accepted notice has every identifier, bounded and printable */
	const char *s[] = { n->id, n->transaction_id, n->out_trade_no, n->trade_state, n->mchid, n->appid };
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (s[i] == NULL || s[i][0] == '\0' || strlen(s[i]) > PAYGW_ID_MAX)
			abort();
		for (const char *p = s[i]; *p; p++)
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
				abort();
	}
	if (n->success_time == NULL || n->total_fen < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > PAYGW_MAX_BODY)
		return 0;
	setup();
	struct arena a;
	arena_init(&a, 16u << 20);
	struct paygw_notice n;
	enum paygw_verdict v;
	const char *rest = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0: {
		char *f[4];
		const char *p = rest, *end = rest + len;
		size_t i = 0;
		for (; i < 4; i++) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			if (nl == NULL)
				break;
			f[i] = arena_strndup(&a, p, (size_t)(nl - p));
			p = nl + 1;
		}
		if (i == 4) {
			/* the body exactly as long as what is left: ASan sees overreads */
			char *body = malloc(end - p ? (size_t)(end - p) : 1);
			memcpy(body, p, (size_t)(end - p));
			v = paygw_notify(&g, &a, f[0], f[1], f[2], f[3], body, (size_t)(end - p), NOW, &n);
			check(&n, v);
			free(body);
		}
		break;
	}
	case 1: {
		char *sig = sign(&a, "NONCE", rest, len);
		if (sig) {
			v = paygw_notify(&g, &a, TS, "NONCE", SERIAL, sig, rest, len, NOW, &n);
			check(&n, v);
		}
		break;
	}
	default: {
		static const char nonce[] = "0123456789ab";
		unsigned char *ct = arena_alloc(&a, len + 16);
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		int l1 = 0, l2 = 0;
		int ok = ct && c && EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, API_KEY, (const unsigned char *)nonce) == 1 &&
			 EVP_EncryptUpdate(c, NULL, &l1, (const unsigned char *)"transaction", 11) == 1 &&
			 EVP_EncryptUpdate(c, ct, &l1, (const unsigned char *)rest, (int)len) == 1 &&
			 EVP_EncryptFinal_ex(c, ct + l1, &l2) == 1 &&
			 EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, ct + l1 + l2) == 1;
		EVP_CIPHER_CTX_free(c);
		char *b64 = ok ? crypto_b64_encode(&a, ct, (size_t)(l1 + l2) + 16, 0) : NULL;
		char *body = b64 ? arena_printf(&a, "{\"id\":\"EV-FUZZ\",\"resource\":{\"algorithm\":\"AEAD_AES_256_GCM\","
						 "\"ciphertext\":\"%s\",\"associated_data\":\"transaction\",\"nonce\":\"%s\"}}",
						 b64, nonce) : NULL;
		char *sig = body ? sign(&a, "NONCE", body, strlen(body)) : NULL;
		if (sig) {
			v = paygw_notify(&g, &a, TS, "NONCE", SERIAL, sig, body, strlen(body), NOW, &n);
			check(&n, v);
		}
		break;
	}
	}
	arena_free(&a);
	return 0;
}
