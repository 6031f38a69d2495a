/* Unit tests of crypto helpers and domain rules used by identity. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/crypto.h"
#include "domain/division.h"
#include "domain/password.h"

static struct arena A;

/* RFC 6238 appendix B, SHA-1: key "12345678901234567890"; the RFC gives 8
 * digits, our 6-digit codes are their last six. */
static void test_totp_rfc6238_vectors(void)
{
	static const struct {
		long long t;
		const char *code8;
	} v[] = { { 59, "94287082" },	     { 1111111109, "07081804" }, { 1111111111, "14050471" },
		  { 1234567890, "89005924" }, { 2000000000, "69279037" }, { 20000000000LL, "65353130" } };
	const unsigned char *key = (const unsigned char *)"12345678901234567890";
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t got = crypto_totp_at(key, 20, (uint64_t)v[i].t / 30);
		CHECK(got == (uint32_t)atoi(v[i].code8 + 2));
		uint64_t step = 0;
		CHECK(crypto_totp_check(key, 20, v[i].code8 + 2, v[i].t, 0, &step) && step == (uint64_t)v[i].t / 30);
		/* ±1 step is accepted, 2 steps is not */
		CHECK(crypto_totp_check(key, 20, v[i].code8 + 2, v[i].t + 30, 0, &step));
		CHECK(!crypto_totp_check(key, 20, v[i].code8 + 2, v[i].t + 61, 0, &step));
		/* a code is good once: not for a step already used */
		CHECK(!crypto_totp_check(key, 20, v[i].code8 + 2, v[i].t, (uint64_t)v[i].t / 30, &step));
	}
	uint64_t s;
	CHECK(!crypto_totp_check(key, 20, "12345", 59, 0, &s));
	CHECK(!crypto_totp_check(key, 20, "28708a", 59, 0, &s));
}

static void test_password_hash_roundtrip_and_weaker_parameters(void)
{
	char *h = crypto_pw_hash(&A, "Correct-Horse-1", 15, 1000);
	int weaker = 0;
	CHECK(h && strncmp(h, "$pbkdf2-sha256$1000$", 20) == 0);
	CHECK(crypto_pw_verify(h, "Correct-Horse-1", 15, &weaker) == 1 && weaker == 1);
	CHECK(crypto_pw_verify(h, "Correct-Horse-2", 15, &weaker) == 0);
	CHECK(crypto_pw_verify("$md5$x", "a", 1, &weaker) == -1);
	CHECK(crypto_pw_verify("$pbkdf2-sha256$10$c2FsdA==$AAAA", "a", 1, &weaker) == -1);
}

static void test_encodings(void)
{
	CHECK_STR(crypto_b32_encode(&A, (const unsigned char *)"12345678901234567890", 20),
		  "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	CHECK_STR(crypto_b64_encode(&A, (const unsigned char *)"ab", 2, 0), "YWI=");
	CHECK_STR(crypto_b64_encode(&A, (const unsigned char *)"ab", 2, 1), "YWI");
	unsigned char *out;
	size_t n;
	CHECK(crypto_b64_decode(&A, "YWI=", 4, 0, &out, &n) == 0 && n == 2 && memcmp(out, "ab", 2) == 0);
	CHECK(crypto_b64_decode(&A, "Y*I=", 4, 0, &out, &n) == -1);
}

static void test_password_policy(void)
{
	CHECK(password_policy("clerk", "Abcdefgh1234", 12) == PW_OK);
	CHECK(password_policy("clerk", "Abcdefg1234", 11) == PW_LENGTH);
	CHECK(password_policy("clerk", "abcdefgh1234", 12) == PW_CLASSES);
	CHECK(password_policy("clerk", "密码Abcdefgh12", strlen("密码Abcdefgh12")) == PW_OK);
	CHECK(password_policy("clerk", "xxCLERKxx123", 12) == PW_USERNAME);
	CHECK(password_policy("clerk", "Abc\0defgh1234", 13) == PW_ENCODING);
}

static void test_division_coverage(void)
{
	CHECK(division_covers("450000", "451302"));
	CHECK(division_covers("451300", "451302"));
	CHECK(division_covers("451302", "451302"));
	CHECK(!division_covers("451302", "451300"));
	CHECK(!division_covers("451321", "451302"));
	CHECK(!division_covers("450100", "451302"));
	CHECK(!division_covers("4513", "451302"));
	CHECK(!division_covers("451300", "45130x"));
	CHECK(division_level_of("450000") == DIV_REGION);
	CHECK(division_level_of("450100") == DIV_CITY);
	CHECK(division_level_of("450103") == DIV_COUNTY);
	CHECK(division_level_of("450001") == DIV_INVALID);
	CHECK(division_level_of("110101") == DIV_INVALID);
}

int main(void)
{
	arena_init(&A, 0);
	TEST(test_totp_rfc6238_vectors);
	TEST(test_password_hash_roundtrip_and_weaker_parameters);
	TEST(test_encodings);
	TEST(test_password_policy);
	TEST(test_division_coverage);
	arena_free(&A);
	return check_done();
}
