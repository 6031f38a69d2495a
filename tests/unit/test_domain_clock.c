/* Unit tests of the domain clock: the Beijing day at its midnight
 * boundaries (16:00 UTC), across a year end and a leap day. */
#include "check.h"
#include "domain/clock.h"

#define US(s) ((int64_t)(s) * 1000000)

static void test_beijing_midnight(void)
{
	/* 2026-03-05T15:59:59Z is 23:59:59 in Beijing; 16:00:00Z is the next day */
	CHECK(beijing_ymd(US(1772726399)) == 20260305);
	CHECK(beijing_ymd(US(1772726400)) == 20260306);
	/* the last microsecond before midnight */
	CHECK(beijing_ymd(US(1772726400) - 1) == 20260305);
}

static void test_beijing_year_end(void)
{
	/* 2025-12-31T15:59:59Z: still 2025 in Beijing; 16:00:00Z: 2026-01-01 */
	CHECK(beijing_ymd(US(1767196799)) == 20251231);
	CHECK(beijing_year(US(1767196799)) == 2025);
	CHECK(beijing_ymd(US(1767196800)) == 20260101);
	CHECK(beijing_year(US(1767196800)) == 2026);
}

static void test_beijing_leap_day_and_epoch(void)
{
	/* 2028-02-28T16:00:00Z is Beijing 2028-02-29 */
	CHECK(beijing_ymd(US(1835366400)) == 20280229);
	CHECK(beijing_ymd(0) == 19700101);
	/* before the epoch: 1969-12-31T15:59:59.5Z is Beijing 23:59:59 */
	CHECK(beijing_ymd(-US(28801) + 500000) == 19691231);
	CHECK(beijing_ymd(-US(28800)) == 19700101);
}

static void test_ymd_iso(void)
{
	char b[11];
	CHECK(ymd_iso(20260101, b, sizeof(b)) == 0);
	CHECK_STR(b, "2026-01-01");
	CHECK(ymd_iso(20260101, b, 10) == -1);
	CHECK(ymd_iso(0, b, sizeof(b)) == -1);
}

int main(void)
{
	TEST(test_beijing_midnight);
	TEST(test_beijing_year_end);
	TEST(test_beijing_leap_day_and_epoch);
	TEST(test_ymd_iso);
	return check_done();
}
