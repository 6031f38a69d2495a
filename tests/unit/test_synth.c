/* Unit tests of the synthetic registry generators (domain/synth.h) that
 * `tbctl seed-scale` uses: what they produce passes the domain's own
 * checks, never repeats, and never equals a demo or test number. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "domain/register.h"
#include "domain/synth.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_unit_codes_pass_the_domain_check_and_never_repeat(void)
{
	enum { N = 20000 };
	static char codes[N][29];
	static const char *const counties[] = { "450102", "451302", "451481", "450923" };
	int ok = 1;
	for (int i = 0; i < N; i++) {
		/* different counties for neighbouring indexes: the code stays unique */
		uint64_t index = (uint64_t)i * 977 % 100000000ULL + (i % 3 ? 0 : 4000000000ULL);
		ok &= synth_unit_code(codes[i], counties[i % 4], index, i % 5 == 0) == 0;
		ok &= unit_code_check(codes[i]) == UNIT_OK;
		ok &= memcmp(codes[i] + 6, "9", 1) == 0; /* zones 900-999 only */
	}
	CHECK(ok);
	/* the part after the county is one-to-one in the index */
	static char tails[N][29];
	for (int i = 0; i < N; i++) {
		memcpy(tails[i], codes[i] + 6, 23);
		tails[i][12 - 6] = 'X', tails[i][13 - 6] = 'X'; /* the feature letters vary with the county */
	}
	qsort(tails, N, sizeof(tails[0]), cmp_str);
	int dup = 0;
	for (int i = 1; i < N; i++)
		dup |= strcmp(tails[i - 1], tails[i]) == 0;
	CHECK(!dup);
	char c[29];
	CHECK(synth_unit_code(c, "450103", 0, 0) == 0);
	CHECK_STR(c, "450103900000GB00000F00010101");
	CHECK(synth_unit_code(c, "450103", 511, 1) == 0);
	CHECK_STR(c, "450103900000JC00000F00081604");	/* building 8, floor 16, room 4 */
	CHECK(synth_unit_code(c, "450103", 512, 0) == 0);
	CHECK_STR(c, "450103900000GB00001F00010101");	/* the next parcel */
	CHECK(synth_unit_code(c, "450103", SYNTH_UNIT_MAX - 1, 0) == 0 && unit_code_check(c) == UNIT_OK);
	CHECK(synth_unit_code(c, "450103", SYNTH_UNIT_MAX, 0) == -1);
	CHECK(synth_unit_code(c, "4501", 1, 0) == -1);
}

static void test_id_numbers_are_valid_distinct_and_plausible(void)
{
	enum { N = 200000 };
	static char ids[N][19];
	int ok = 1;
	for (int i = 0; i < N; i++) {
		uint64_t j = (uint64_t)i * 113; /* spread over the numbering */
		ok &= synth_id_number(ids[i], "451302", j) == 0;
		ok &= id_number_check(ID_RESIDENT, ids[i], 20251231) == ID_OK;
		int born = synth_id_birth(ids[i]);
		ok &= born >= 19400101 && born <= 20051231;
		int seq = (ids[i][14] - '0') * 100 + (ids[i][15] - '0') * 10 + (ids[i][16] - '0');
		/* never the sequence codes of the demo and test holders, nor 000 */
		ok &= seq != 0 && seq != 1 && seq != 2 && seq != 71 && seq != 123 && seq != 231 && seq != 661 &&
		      seq != 991;
		ok &= synth_id_male(ids[i]) == (seq % 2);
	}
	CHECK(ok);
	qsort(ids, N, sizeof(ids[0]), cmp_str);
	int dup = 0;
	for (int i = 1; i < N; i++)
		dup |= strcmp(ids[i - 1], ids[i]) == 0;
	CHECK(!dup);
	char id[19];
	/* the permutation covers the numbering: the first and last persons are fine too */
	CHECK(synth_id_number(id, "450103", 0) == 0 && id_number_valid(ID_RESIDENT, id));
	CHECK(synth_id_number(id, "450103", synth_person_max() - 1) == 0 && id_number_valid(ID_RESIDENT, id));
	CHECK(synth_id_number(id, "450103", synth_person_max()) == -1);
	CHECK(synth_person_max() == 24107ULL * 992);
	/* the check digit is GB 11643's (an X when the sum says so) */
	int x = 0;
	for (uint64_t j = 0; j < 200 && !x; j++)
		x = synth_id_number(id, "450103", j) == 0 && id[17] == 'X';
	CHECK(x && id_resident_check(id) == 'X');
}

static void test_the_same_seed_draws_the_same(void)
{
	struct synth_rng a, b, c;
	synth_rng_init(&a, 7, 2, 12345);
	synth_rng_init(&b, 7, 2, 12345);
	synth_rng_init(&c, 8, 2, 12345);
	int same = 1, differ = 0;
	for (int i = 0; i < 100; i++) {
		uint64_t x = synth_next(&a), y = synth_next(&b), z = synth_next(&c);
		same &= x == y;
		differ |= x != z;
	}
	CHECK(same && differ);
	/* draws below n stay below n and reach both ends */
	int lo = 0, hi = 0, in = 1;
	for (int i = 0; i < 10000; i++) {
		uint32_t v = synth_below(&a, 10);
		in &= v < 10;
		lo |= v == 0;
		hi |= v == 9;
	}
	CHECK(in && lo && hi);
	char n1[40], n2[40];
	synth_rng_init(&a, 7, 3, 1);
	synth_rng_init(&b, 7, 3, 1);
	synth_name(&a, 1, n1, sizeof(n1));
	synth_name(&b, 1, n2, sizeof(n2));
	CHECK_STR(n1, n2);
	/* a surname and one or two given characters: 2 to 4 characters of 3 bytes */
	CHECK(strlen(n1) >= 6 && strlen(n1) <= 12 && strlen(n1) % 3 == 0);
}

int main(void)
{
	TEST(test_unit_codes_pass_the_domain_check_and_never_repeat);
	TEST(test_id_numbers_are_valid_distinct_and_plausible);
	TEST(test_the_same_seed_draws_the_same);
	return check_done();
}
