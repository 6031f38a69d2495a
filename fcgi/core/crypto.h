/* Secrets: randomness, hashes, encodings, password hashing, TOTP. Every
 * comparison of secrets is constant-time; buffers that held a secret are
 * wiped with OPENSSL_cleanse by the functions that made them. */
#ifndef TB_CRYPTO_H
#define TB_CRYPTO_H
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* OWASP 2023+: PBKDF2-HMAC-SHA256 with 600,000 iterations. */
#define PW_ITERATIONS 600000u
#define PW_SALT_BYTES 16
#define TOKEN_BYTES 32

int crypto_random(void *buf, size_t n) __attribute__((warn_unused_result));
void crypto_sha256(const void *p, size_t n, unsigned char out[32]);
int crypto_equal(const void *a, const void *b, size_t n);
void crypto_hex(const unsigned char *p, size_t n, char *out); /* out: 2n + 1 */
/* base64 (standard alphabet, padded) and base64url (no padding). */
char *crypto_b64_encode(struct arena *a, const unsigned char *p, size_t n, int url);
int crypto_b64_decode(struct arena *a, const char *s, size_t n, int url, unsigned char **out, size_t *outlen);
/* RFC 4648 base32 without padding, as authenticator apps expect. */
char *crypto_b32_encode(struct arena *a, const unsigned char *p, size_t n);

/* "$pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>" in the arena. */
char *crypto_pw_hash(struct arena *a, const char *pw, size_t len, unsigned iterations);
/* 1 match, 0 mismatch, -1 malformed stored hash. *weaker set when the stored
 * parameters are below the current ones (rehash on this log-in). */
int crypto_pw_verify(const char *stored, const char *pw, size_t len, int *weaker);
/* Time-equalising work for an unknown user: the same cost as a verify. */
void crypto_pw_burn(const char *pw, size_t len);

/* RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits). */
uint32_t crypto_totp_at(const unsigned char *key, size_t keylen, uint64_t step);
/* Accepts the code for now's step ±1, only for a step after last_step
 * (a code is good once). Sets *step to the matching step. 1 or 0. */
int crypto_totp_check(const unsigned char *key, size_t keylen, const char *code, int64_t now_s,
	       uint64_t last_step, uint64_t *step);

#endif
