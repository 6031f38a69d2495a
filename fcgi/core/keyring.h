/* Data keys held outside the database: AES-256-GCM for secrets at rest
 * (TOTP secrets, ID numbers) and one HMAC-SHA256 key for lookup indexes
 * (find a party by ID number without decrypting every row).
 *
 * The key file (TB_DATA_KEYS; mode 0600, never in the database) has lines
 *   enc <id> <64 hex digits>   an encryption key; the LAST one seals new values
 *   idx <64 hex digits>        the index key (changing it means re-indexing)
 * and '#' comments. Older enc keys stay so old values can be opened until
 * `tbctl keys rotate` has re-sealed them under the current key.
 *
 * A sealed value is text: "v1.<id>.<base64url(iv[12] || ciphertext || tag[16])>".
 * The caller's aad (additional authenticated data) names what the value is
 * (e.g. "iam.user.totp_secret"): a value moved to another column or purpose
 * does not open. */
#ifndef TB_KEYRING_H
#define TB_KEYRING_H
#include <stddef.h>

#include "arena.h"

#define KEYRING_MAX 16

struct keyring {
	struct {
		unsigned id;
		unsigned char k[32];
	} enc[KEYRING_MAX];
	size_t nenc;		/* enc[nenc - 1] is the current key */
	unsigned char idx[32];
	int has_idx;
};

/* 0, or -1 with the reason in err. A file readable by others is refused. */
int keyring_load(struct keyring *kr, const char *path, char *err, size_t errlen)
	__attribute__((warn_unused_result));
void keyring_wipe(struct keyring *kr);
int keyring_usable(const struct keyring *kr);

/* The sealed text in the arena, or NULL (no key, or an OpenSSL failure). */
char *keyring_seal(const struct keyring *kr, struct arena *a, const void *pt, size_t n,
		   const char *aad);
/* 0 and the plaintext (NUL-terminated, in the arena) or -1: malformed,
 * unknown key, or not authentic. The caller wipes *pt when done with it. */
int keyring_open(const struct keyring *kr, struct arena *a, const char *sealed, const char *aad,
		 unsigned char **pt, size_t *n) __attribute__((warn_unused_result));
/* The key id a sealed value names, or 0 when malformed. */
unsigned keyring_sealed_id(const char *sealed);
/* HMAC-SHA256(idx key, domain || 0x00 || v) as 64 hex digits; -1 without a key. */
int keyring_index(const struct keyring *kr, const char *domain, const void *v, size_t n,
		  char out[65]) __attribute__((warn_unused_result));

#endif
