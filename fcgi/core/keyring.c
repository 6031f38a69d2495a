#include "keyring.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto.h"

#define IV_BYTES 12
#define TAG_BYTES 16

static int hex32(const char *s, unsigned char out[32])
{
	if (strlen(s) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v = 0;
		for (int j = 0; j < 2; j++) {
			char c = s[2 * i + j];
			v <<= 4;
			if (c >= '0' && c <= '9')
				v |= (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v |= (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v |= (unsigned)(c - 'A' + 10);
			else
				return -1;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

int keyring_load(struct keyring *kr, const char *path, char *err, size_t errlen)
{
	memset(kr, 0, sizeof(*kr));
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077) != 0) {
		snprintf(err, errlen, "%s must be readable by its owner only (chmod 600)", path);
		fclose(f);
		return -1;
	}
	char line[256];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *save = NULL, *w[4] = { 0 };
		int nw = 0;
		for (char *t = strtok_r(line, " \t\r\n", &save); t && nw < 4; t = strtok_r(NULL, " \t\r\n", &save))
			w[nw++] = t;
		if (nw == 0 || w[0][0] == '#')
			continue;
		if (nw == 3 && strcmp(w[0], "enc") == 0) {
			char *end;
			unsigned long id = strtoul(w[1], &end, 10);
			if (*end || id == 0 || id > 999999 || kr->nenc == KEYRING_MAX ||
			    hex32(w[2], kr->enc[kr->nenc].k) != 0) {
				rc = -1;
				break;
			}
			for (size_t i = 0; i < kr->nenc; i++)
				if (kr->enc[i].id == id)
					rc = -1;
			kr->enc[kr->nenc++].id = (unsigned)id;
		} else if (nw == 2 && strcmp(w[0], "idx") == 0 && !kr->has_idx && hex32(w[1], kr->idx) == 0) {
			kr->has_idx = 1;
		} else {
			rc = -1;
		}
	}
	OPENSSL_cleanse(line, sizeof(line));
	fclose(f);
	if (rc != 0) {
		snprintf(err, errlen, "%s line %d: expected 'enc <id> <64 hex>' or 'idx <64 hex>'", path, lineno);
		keyring_wipe(kr);
		return -1;
	}
	if (kr->nenc == 0 || !kr->has_idx) {
		snprintf(err, errlen, "%s needs at least one enc key and the idx key", path);
		keyring_wipe(kr);
		return -1;
	}
	return 0;
}

void keyring_wipe(struct keyring *kr)
{
	OPENSSL_cleanse(kr, sizeof(*kr));
}

int keyring_usable(const struct keyring *kr)
{
	return kr != NULL && kr->nenc > 0 && kr->has_idx;
}

static const unsigned char *key_by_id(const struct keyring *kr, unsigned id)
{
	for (size_t i = 0; i < kr->nenc; i++)
		if (kr->enc[i].id == id)
			return kr->enc[i].k;
	return NULL;
}

char *keyring_seal(const struct keyring *kr, struct arena *a, const void *pt, size_t n,
		   const char *aad)
{
	if (!keyring_usable(kr) || n > (1u << 20))
		return NULL;
	unsigned id = kr->enc[kr->nenc - 1].id;
	const unsigned char *k = kr->enc[kr->nenc - 1].k;
	unsigned char *buf = arena_alloc(a, IV_BYTES + n + TAG_BYTES);
	if (buf == NULL || crypto_random(buf, IV_BYTES) != 0)
		return NULL;
	char *out = NULL;
	int len = 0, ok = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, buf) == 1 &&
	    EVP_EncryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	    EVP_EncryptUpdate(ctx, buf + IV_BYTES, &len, pt, (int)n) == 1 && (size_t)len == n &&
	    EVP_EncryptFinal_ex(ctx, buf + IV_BYTES + n, &len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, buf + IV_BYTES + n) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	if (ok) {
		char *b = crypto_b64_encode(a, buf, IV_BYTES + n + TAG_BYTES, 1);
		if (b)
			out = arena_printf(a, "v1.%u.%s", id, b);
	}
	return out;
}

unsigned keyring_sealed_id(const char *s)
{
	if (s == NULL || strncmp(s, "v1.", 3) != 0)
		return 0;
	char *end;
	errno = 0;
	unsigned long id = strtoul(s + 3, &end, 10);
	if (errno || *end != '.' || id == 0 || id > 999999 || !isdigit((unsigned char)s[3]))
		return 0;
	return (unsigned)id;
}

int keyring_open(const struct keyring *kr, struct arena *a, const char *sealed, const char *aad,
		 unsigned char **pt, size_t *n)
{
	unsigned id = keyring_sealed_id(sealed);
	const unsigned char *k = kr ? key_by_id(kr, id) : NULL;
	if (k == NULL)
		return -1;
	const char *b = strchr(sealed + 3, '.') + 1;
	unsigned char *raw;
	size_t rawlen;
	if (crypto_b64_decode(a, b, strlen(b), 1, &raw, &rawlen) != 0 || rawlen < IV_BYTES + TAG_BYTES)
		return -1;
	size_t ctlen = rawlen - IV_BYTES - TAG_BYTES;
	unsigned char *out = arena_alloc(a, ctlen + 1);
	if (out == NULL)
		return -1;
	int len = 0, ok = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, k, raw) == 1 &&
	    EVP_DecryptUpdate(ctx, NULL, &len, (const unsigned char *)aad, (int)strlen(aad)) == 1 &&
	    EVP_DecryptUpdate(ctx, out, &len, raw + IV_BYTES, (int)ctlen) == 1 && (size_t)len == ctlen &&
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, raw + IV_BYTES + ctlen) == 1 &&
	    EVP_DecryptFinal_ex(ctx, out + ctlen, &len) == 1)
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		OPENSSL_cleanse(out, ctlen);
		return -1;
	}
	out[ctlen] = '\0';
	*pt = out;
	*n = ctlen;
	return 0;
}

int keyring_index(const struct keyring *kr, const char *domain, const void *v, size_t n, char out[65])
{
	if (kr == NULL || !kr->has_idx)
		return -1;
	unsigned char mac[32];
	int ok = 0;
	/* HMAC over domain || 0 || value: one key serves several indexes. The
	 * algorithm is fetched once per process (a fetch per call took more
	 * than the MAC: registry search makes one per request). */
	static EVP_MAC *m;
	if (m == NULL)
		m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
				OSSL_PARAM_construct_end() };
	size_t outl = 0;
	if (c && EVP_MAC_init(c, kr->idx, 32, params) == 1 &&
	    EVP_MAC_update(c, (const unsigned char *)domain, strlen(domain) + 1) == 1 &&
	    EVP_MAC_update(c, v, n) == 1 && EVP_MAC_final(c, mac, &outl, sizeof(mac)) == 1 && outl == 32)
		ok = 1;
	EVP_MAC_CTX_free(c);
	if (!ok)
		return -1;
	crypto_hex(mac, 32, out);
	return 0;
}
