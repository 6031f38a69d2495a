/* The working-day rule (domain/workdays.c) over one table of spans and one
 * calendar. tests/api/test_stats.py loads the same calendar into
 * cases.calendar (in a transaction it rolls back) and checks the SQL twin,
 * stats.workdays_between (sql/0025_statistics.sql), against the same rows:
 * processing times counted in SQL are the C rule's. */
#include <stddef.h>

#include "check.h"
#include "domain/workdays.h"

/* 2026 as sql/0005_cases.sql loaded it, plus a holiday on a Saturday
 * (2026-10-03) and a make-up day on a Monday (2026-03-02): neither changes
 * anything */
static const int holidays[] = { 20260101, 20260216, 20260217, 20260218, 20260219, 20260220, 20260406, 20260501,
				20260504, 20260505, 20260619, 20260925, 20261001, 20261002, 20261003, 20261005,
				20261006, 20261007 };
static const int makeup[] = { 20260214, 20260228, 20260302, 20261010 };

/* keep in step with WORKDAY_TABLE in tests/api/test_stats.py */
static const struct {
	int start, end, n;
} table[] = {
	{ 20260105, 20260105, 0 }, { 20260105, 20260104, 0 }, { 20260105, 20260106, 1 }, { 20251231, 20260102, 1 },
	{ 20260102, 20260105, 1 }, { 20260109, 20260112, 1 }, { 20260105, 20260112, 5 }, { 20260213, 20260214, 1 },
	{ 20260213, 20260223, 2 }, { 20260213, 20260302, 8 }, { 20260403, 20260407, 1 }, { 20260930, 20261012, 4 },
	{ 20260924, 20260928, 1 }, { 20261002, 20261004, 0 }, { 20260101, 20261231, 247 }, { 20250101, 20251231, 260 },
	{ 20241231, 20270104, 510 },
};

static void test_the_spans_of_the_table_count_as_the_table_says(void)
{
	struct calendar c = { holidays, sizeof(holidays) / sizeof(holidays[0]), makeup,
			      sizeof(makeup) / sizeof(makeup[0]) };
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int n = workdays_between(&c, table[i].start, table[i].end);
		if (n != table[i].n)
			fprintf(stderr, "  %d..%d: %d, the table says %d\n", table[i].start, table[i].end, n, table[i].n);
		CHECK(n == table[i].n);
	}
}

int main(void)
{
	TEST(test_the_spans_of_the_table_count_as_the_table_says);
	return check_done();
}
