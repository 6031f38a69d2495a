#include "crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int crypto_random(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void crypto_sha256(const void *p, size_t n, unsigned char out[32])
{
	unsigned int len = 32;
	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

int crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

void crypto_hex(const unsigned char *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *crypto_b64_encode(struct arena *a, const unsigned char *p, size_t n, int url)
{
	const char *t = url ? B64URL : B64;
	char *o = arena_alloc(a, (n + 2) / 3 * 4 + 1);
	if (o == NULL)
		return NULL;
	size_t j = 0, i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		o[j++] = t[v >> 18];
		o[j++] = t[(v >> 12) & 63];
		o[j++] = t[(v >> 6) & 63];
		o[j++] = t[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		o[j++] = t[v >> 18];
		o[j++] = t[(v >> 12) & 63];
		if (i + 1 < n)
			o[j++] = t[(v >> 6) & 63];
		else if (!url)
			o[j++] = '=';
		if (!url)
			o[j++] = '=';
	}
	o[j] = '\0';
	return o;
}

int crypto_b64_decode(struct arena *a, const char *s, size_t n, int url, unsigned char **out, size_t *outlen)
{
	const char *t = url ? B64URL : B64;
	while (!url && n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	unsigned char *o = arena_alloc(a, n * 3 / 4 + 1);
	if (o == NULL)
		return -1;
	uint32_t acc = 0;
	int bits = 0;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c = s[i] ? strchr(t, s[i]) : NULL;
		if (c == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(c - t);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[j++] = (unsigned char)(acc >> bits);
		}
	}
	*out = o;
	*outlen = j;
	return 0;
}

char *crypto_b32_encode(struct arena *a, const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	char *o = arena_alloc(a, (n * 8 + 4) / 5 + 1);
	if (o == NULL)
		return NULL;
	uint32_t acc = 0;
	int bits = 0;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		acc = acc << 8 | p[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			o[j++] = t[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		o[j++] = t[(acc << (5 - bits)) & 31];
	o[j] = '\0';
	return o;
}

static int pbkdf2(const char *pw, size_t len, const unsigned char *salt, size_t slen,
		  unsigned iterations, unsigned char out[32])
{
	return PKCS5_PBKDF2_HMAC(pw, (int)len, salt, (int)slen, (int)iterations, EVP_sha256(), 32,
				 out) == 1 ? 0 : -1;
}

char *crypto_pw_hash(struct arena *a, const char *pw, size_t len, unsigned iterations)
{
	unsigned char salt[PW_SALT_BYTES], dk[32];
	if (crypto_random(salt, sizeof(salt)) != 0 || pbkdf2(pw, len, salt, sizeof(salt), iterations, dk) != 0)
		return NULL;
	char *s = crypto_b64_encode(a, salt, sizeof(salt), 0), *h = crypto_b64_encode(a, dk, sizeof(dk), 0);
	OPENSSL_cleanse(dk, sizeof(dk));
	if (s == NULL || h == NULL)
		return NULL;
	return arena_printf(a, "$pbkdf2-sha256$%u$%s$%s", iterations, s, h);
}

int crypto_pw_verify(const char *stored, const char *pw, size_t len, int *weaker)
{
	static const char prefix[] = "$pbkdf2-sha256$";
	*weaker = 0;
	if (strncmp(stored, prefix, sizeof(prefix) - 1) != 0)
		return -1;
	const char *p = stored + sizeof(prefix) - 1;
	char *end;
	unsigned long it = strtoul(p, &end, 10);
	if (end == p || *end != '$' || it < 1000 || it > 100000000)
		return -1;
	const char *salt = end + 1, *dollar = strchr(salt, '$');
	if (dollar == NULL)
		return -1;
	struct arena a;
	arena_init(&a, 4096);
	unsigned char *sb, *hb;
	size_t sl, hl;
	int rc = -1;
	if (crypto_b64_decode(&a, salt, (size_t)(dollar - salt), 0, &sb, &sl) == 0 &&
	    crypto_b64_decode(&a, dollar + 1, strlen(dollar + 1), 0, &hb, &hl) == 0 && hl == 32 && sl >= 8) {
		unsigned char dk[32];
		if (pbkdf2(pw, len, sb, sl, (unsigned)it, dk) == 0) {
			rc = crypto_equal(dk, hb, 32) ? 1 : 0;
			*weaker = it < PW_ITERATIONS || sl < PW_SALT_BYTES;
		}
		OPENSSL_cleanse(dk, sizeof(dk));
	}
	arena_free(&a);
	return rc;
}

void crypto_pw_burn(const char *pw, size_t len)
{
	unsigned char salt[PW_SALT_BYTES] = { 0 }, dk[32];
	(void)pbkdf2(pw, len, salt, sizeof(salt), PW_ITERATIONS, dk);
	OPENSSL_cleanse(dk, sizeof(dk));
}

uint32_t crypto_totp_at(const unsigned char *key, size_t keylen, uint64_t step)
{
	unsigned char msg[8], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)step;
		step >>= 8;
	}
	if (HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), md, &mdlen) == NULL || mdlen < 20)
		return UINT32_MAX;
	int off = md[mdlen - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(md[off] & 0x7f) << 24) | ((uint32_t)md[off + 1] << 16) |
		       ((uint32_t)md[off + 2] << 8) | md[off + 3];
	OPENSSL_cleanse(md, sizeof(md));
	return bin % 1000000;
}

int crypto_totp_check(const unsigned char *key, size_t keylen, const char *code, int64_t now_s,
	       uint64_t last_step, uint64_t *step)
{
	if (code == NULL || strlen(code) != 6 || now_s < 30)
		return 0;
	uint32_t want = 0;
	for (int i = 0; i < 6; i++) {
		if (code[i] < '0' || code[i] > '9')
			return 0;
		want = want * 10 + (uint32_t)(code[i] - '0');
	}
	uint64_t now_step = (uint64_t)now_s / 30;
	int ok = 0;
	/* look at all three windows so timing does not say which matched */
	for (int d = -1; d <= 1; d++) {
		uint64_t s = now_step + (uint64_t)(int64_t)d;
		uint32_t got = crypto_totp_at(key, keylen, s);
		int match = CRYPTO_memcmp(&got, &want, sizeof(got)) == 0 && s > last_step;
		if (match && !ok) {
			ok = 1;
			*step = s;
		}
	}
	return ok;
}
