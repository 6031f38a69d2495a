/* The query workers' in-memory search answers (fcgi/query/answers.c): kept
 * and found by key, dropped by their version key's invalidation, never kept
 * when their version key (or everything) was invalidated since the caller
 * read them, bounded in entries and bytes. */
#include "check.h"

#include "../../fcgi/query/answers.c"

static void key_of(unsigned n, unsigned char k[32])
{
	memset(k, 0, 32);
	memcpy(k, &n, sizeof(n));
	k[31] = (unsigned char)(n * 7);
}

#define TTL (300LL * 1000000)

static void test_kept_and_found(void)
{
	answers_clear();
	unsigned char k[32];
	key_of(1, k);
	struct answer a;
	CHECK(answers_get(k, TTL, &a) == 0);
	answers_put(k, answers_mark(), "tb:sv:u:1", 7, 2, "\"items\":[]}", 11);
	CHECK(answers_get(k, TTL, &a) == 1);
	CHECK(a.gen == 7 && a.count == 2 && a.tlen == 11 && strcmp(a.tail, "\"items\":[]}") == 0);
	CHECK(answers_get(k, 0, &a) == 0); /* older than the TTL: gone */
	CHECK(answers_count() == 0);
}

static void test_invalidation_drops_its_version_key_only(void)
{
	answers_clear();
	unsigned char k1[32], k2[32], k3[32];
	key_of(1, k1);
	key_of(2, k2);
	key_of(3, k3);
	struct answer a;
	answers_put(k1, answers_mark(), "tb:sv:h:aa", 1, 1, "x", 1);
	answers_put(k2, answers_mark(), "tb:sv:h:aa", 1, 1, "y", 1); /* another page, same holder */
	answers_put(k3, answers_mark(), "tb:sv:h:bb", 1, 1, "z", 1);
	answers_invalidated(NULL, "tb:sv:h:aa", 10);
	CHECK(answers_get(k1, TTL, &a) == 0 && answers_get(k2, TTL, &a) == 0);
	CHECK(answers_get(k3, TTL, &a) == 1);
	answers_invalidated(NULL, "tb:sv:h:b", 9); /* a prefix is another key */
	CHECK(answers_get(k3, TTL, &a) == 1);
	answers_invalidated(NULL, NULL, 0); /* flush, or the connection lost */
	CHECK(answers_count() == 0);
}

static void test_not_kept_when_invalidated_since_the_read(void)
{
	answers_clear();
	unsigned char k[32];
	key_of(9, k);
	struct answer a;
	uint64_t mark = answers_mark();
	answers_invalidated(NULL, "tb:sv:u:other", 13); /* another key: harmless */
	answers_put(k, mark, "tb:sv:u:9", 1, 1, "x", 1);
	CHECK(answers_get(k, TTL, &a) == 1);
	answers_drop(k);
	mark = answers_mark();
	answers_invalidated(NULL, "tb:sv:u:9", 9); /* its own key changed meanwhile */
	answers_put(k, mark, "tb:sv:u:9", 1, 1, "x", 1);
	CHECK(answers_get(k, TTL, &a) == 0);
	mark = answers_mark();
	answers_invalidated(NULL, NULL, 0); /* everything */
	answers_put(k, mark, "tb:sv:u:9", 1, 1, "x", 1);
	CHECK(answers_get(k, TTL, &a) == 0);
	/* more changes than remembered: not kept either */
	mark = answers_mark();
	for (int i = 0; i < RING; i++)
		answers_invalidated(NULL, "tb:sv:u:zz", 10);
	answers_put(k, mark, "tb:sv:u:9", 1, 1, "x", 1);
	CHECK(answers_get(k, TTL, &a) == 0);
}

static void test_bounded_least_recently_used_out(void)
{
	answers_clear();
	unsigned char k[32];
	struct answer a;
	for (unsigned i = 0; i < ANSWERS_MAX + 10; i++) {
		key_of(i, k);
		answers_put(k, answers_mark(), "tb:sv:u:x", 1, 1, "t", 1);
		if (i == ANSWERS_MAX - 1) { /* used: stays */
			key_of(0, k);
			CHECK(answers_get(k, TTL, &a) == 1);
		}
	}
	CHECK(answers_count() == ANSWERS_MAX);
	key_of(0, k);
	CHECK(answers_get(k, TTL, &a) == 1);
	key_of(1, k);
	CHECK(answers_get(k, TTL, &a) == 0);
	/* bytes: big answers push the others out, one too big is not kept */
	answers_clear();
	static char big[ENTRY_MAX_BYTES / 2];
	memset(big, 'b', sizeof(big));
	for (unsigned i = 0; i < 40; i++) {
		key_of(i, k);
		answers_put(k, answers_mark(), "tb:sv:u:x", 1, 1, big, sizeof(big));
	}
	CHECK(S.bytes <= ANSWERS_MAX_BYTES && answers_count() < 40);
	static char huge[ENTRY_MAX_BYTES + 1];
	key_of(999, k);
	answers_put(k, answers_mark(), "tb:sv:u:x", 1, 1, huge, sizeof(huge));
	CHECK(answers_get(k, TTL, &a) == 0);
	answers_clear();
	CHECK(S.bytes == 0 && S.first == NULL && S.last == NULL);
}

int main(void)
{
	TEST(test_kept_and_found);
	TEST(test_invalidation_drops_its_version_key_only);
	TEST(test_not_kept_when_invalidated_since_the_read);
	TEST(test_bounded_least_recently_used_out);
	return check_done();
}
