#include "audit_anchor.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"

int anchor_hex32(const char *h, unsigned char out[32])
{
	for (int i = 0; i < 64; i++) {
		char c = h[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
	}
	if (h[64] != '\0' && h[64] != ' ' && h[64] != '\n')
		return -1;
	for (int i = 0; i < 32; i++) {
		int hi = h[2 * i] <= '9' ? h[2 * i] - '0' : h[2 * i] - 'a' + 10;
		int lo = h[2 * i + 1] <= '9' ? h[2 * i + 1] - '0' : h[2 * i + 1] - 'a' + 10;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int anchor_open(struct anchors *a, const char *dir, int writable, char *err, size_t errlen)
{
	a->fd = -1;
	a->count = 0;
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/%s", dir, ANCHOR_LOG) >= (int)sizeof(path)) {
		snprintf(err, errlen, "anchor directory path too long");
		return -1;
	}
	a->fd = writable ? open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600)
			 : open(path, O_RDONLY | O_CLOEXEC);
	if (a->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(a->fd, &st) != 0 || st.st_size % ANCHOR_RECORD != 0) {
		snprintf(err, errlen, "%s: not a whole number of records", path);
		anchor_close(a);
		return -1;
	}
	a->count = st.st_size / ANCHOR_RECORD;
	return 0;
}

void anchor_close(struct anchors *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	a->count = 0;
}

int anchor_get(const struct anchors *a, int64_t pos, struct anchor_rec *out)
{
	if (a->fd < 0 || pos < 1 || pos > a->count)
		return 0;
	char line[ANCHOR_RECORD + 1];
	if (pread(a->fd, line, ANCHOR_RECORD, (off_t)(pos - 1) * ANCHOR_RECORD) != ANCHOR_RECORD)
		return -1;
	line[ANCHOR_RECORD] = '\0';
	if (line[20] != ' ' || line[41] != ' ' || line[ANCHOR_RECORD - 1] != '\n')
		return -1;
	char *end;
	out->pos = strtoll(line, &end, 10);
	if (end != line + 20)
		return -1;
	out->seq = strtoll(line + 21, &end, 10);
	if (end != line + 41 || out->pos != pos)
		return -1;
	return anchor_hex32(line + 42, out->hash) == 0 ? 1 : -1;
}

int anchor_append(struct anchors *a, const struct anchor_rec *r, size_t n, char *err, size_t errlen)
{
	char *block = malloc(n * ANCHOR_RECORD + 1);
	if (block == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char hex[65];
		if (r[i].pos != a->count + 1 + (int64_t)i) {
			snprintf(err, errlen, "anchor records out of order at position %" PRId64, r[i].pos);
			free(block);
			return -1;
		}
		crypto_hex(r[i].hash, 32, hex);
		snprintf(block + i * ANCHOR_RECORD, ANCHOR_RECORD + 1, "%020" PRId64 " %020" PRId64 " %s\n",
			 r[i].pos, r[i].seq, hex);
	}
	size_t len = n * ANCHOR_RECORD, off = 0;
	while (off < len) {
		ssize_t w = write(a->fd, block + off, len - off);
		if (w <= 0) {
			snprintf(err, errlen, "anchor log write: %s", strerror(errno));
			free(block);
			/* a partial record would shift every later one: cut it off */
			if (ftruncate(a->fd, (off_t)a->count * ANCHOR_RECORD) != 0)
				snprintf(err, errlen, "anchor log write and repair failed");
			return -1;
		}
		off += (size_t)w;
	}
	free(block);
	if (fdatasync(a->fd) != 0) {
		snprintf(err, errlen, "anchor log sync: %s", strerror(errno));
		return -1;
	}
	a->count += (int64_t)n;
	return 0;
}

static EVP_PKEY *read_key(const char *path, int private, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	EVP_PKEY *k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "%s: not an Ed25519 %s key in PEM", path, private ? "private" : "public");
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

EVP_PKEY *anchor_key_private(const char *path, char *err, size_t errlen)
{
	return read_key(path, 1, err, errlen);
}

EVP_PKEY *anchor_key_public(const char *path, char *err, size_t errlen)
{
	return read_key(path, 0, err, errlen);
}

int anchor_checkpoint(const char *dir, EVP_PKEY *key, int64_t unix_time, const struct anchor_rec *head,
		      char *err, size_t errlen)
{
	char hex[65], msg[256], path[4096];
	crypto_hex(head->hash, 32, hex);
	int ml = snprintf(msg, sizeof(msg), CHECKPOINT_TAG " %" PRId64 " %" PRId64 " %" PRId64 " %s", unix_time,
			  head->pos, head->seq, hex);
	if (ml < 0 || (size_t)ml >= sizeof(msg) ||
	    snprintf(path, sizeof(path), "%s/%s", dir, CHECKPOINT_LOG) >= (int)sizeof(path)) {
		snprintf(err, errlen, "checkpoint too long");
		return -1;
	}
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		 EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, (size_t)ml) == 1 && siglen == 64;
	EVP_MD_CTX_free(ctx);
	if (!ok) {
		snprintf(err, errlen, "signing the checkpoint failed");
		return -1;
	}
	char line[512];
	unsigned char b64[96];
	EVP_EncodeBlock(b64, sig, 64);
	int ll = snprintf(line, sizeof(line), "%s %s\n", msg, (const char *)b64);
	if (ll < 0 || (size_t)ll >= sizeof(line)) {
		snprintf(err, errlen, "checkpoint too long");
		return -1;
	}
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	ok = write(fd, line, (size_t)ll) == ll && fdatasync(fd) == 0;
	if (!ok)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	close(fd);
	return ok ? 0 : -1;
}

int anchor_checkpoint_check(EVP_PKEY *key, const char *line, int64_t *unix_time, struct anchor_rec *out)
{
	static const char tag[] = CHECKPOINT_TAG " ";
	if (strncmp(line, tag, sizeof(tag) - 1) != 0)
		return -1;
	const char *sp = strrchr(line, ' ');
	char *end;
	const char *p = line + sizeof(tag) - 1;
	*unix_time = strtoll(p, &end, 10);
	if (*end != ' ')
		return -1;
	out->pos = strtoll(end + 1, &end, 10);
	if (*end != ' ')
		return -1;
	out->seq = strtoll(end + 1, &end, 10);
	if (*end != ' ' || end + 65 != sp || anchor_hex32(end + 1, out->hash) != 0)
		return -1;
	unsigned char sig[66];
	if (strlen(sp + 1) != 88 || EVP_DecodeBlock(sig, (const unsigned char *)sp + 1, 88) != 66)
		return -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
		 EVP_DigestVerify(ctx, sig, 64, (const unsigned char *)line, (size_t)(sp - line)) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 1 : 0;
}
