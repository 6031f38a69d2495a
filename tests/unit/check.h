/* A tiny unit-test harness: CHECK counts, TEST runs a function by name, and
 * check_done prints the RESULT line tests/run.sh tallies. */
#ifndef TB_CHECK_H
#define TB_CHECK_H
#include <stdio.h>
#include <string.h>

static int check_failed_in_test, tests_passed, tests_failed;

#define CHECK(cond)                                                                  \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
			check_failed_in_test = 1;                                    \
		}                                                                    \
	} while (0)

#define CHECK_STR(a, b) CHECK((a) != NULL && strcmp((a), (b)) == 0)

#define TEST(fn)                                                                      \
	do {                                                                          \
		check_failed_in_test = 0;                                             \
		fn();                                                                 \
		if (check_failed_in_test) {                                           \
			tests_failed++;                                               \
			printf("FAIL %s\n", #fn);                                     \
		} else {                                                              \
			tests_passed++;                                               \
			printf("ok   %s\n", #fn);                                     \
		}                                                                     \
	} while (0)

static inline int check_done(void)
{
	printf("RESULT %d %d\n", tests_passed, tests_failed);
	return tests_failed ? 1 : 0;
}

#endif
