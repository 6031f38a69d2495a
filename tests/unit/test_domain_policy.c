/* Unit tests of the policies' pure rules (domain/policy.h): dates, the
 * body's text, search words, list cursors, the download header. */
#include <string.h>

#include "check.h"
#include "domain/policy.h"

static void test_dates(void)
{
	CHECK(pol_date_ok("2026-11-28"));
	CHECK(pol_date_ok("2024-02-29"));
	CHECK(pol_date_ok("2000-02-29"));
	CHECK(!pol_date_ok("1900-02-29"));
	CHECK(!pol_date_ok("2026-02-29"));
	CHECK(!pol_date_ok("2026-04-31"));
	CHECK(!pol_date_ok("2026-13-01"));
	CHECK(!pol_date_ok("2026-00-10"));
	CHECK(!pol_date_ok("2026-1-10"));
	CHECK(!pol_date_ok("2026-01-10T00"));
	CHECK(!pol_date_ok("1899-12-31"));
	CHECK(!pol_date_ok(""));
	CHECK(!pol_date_ok(NULL));
}

static void test_body(void)
{
	CHECK(pol_body_chars("第一条\n\n第二条\t说明\r\n", strlen("第一条\n\n第二条\t说明\r\n"), 100) == 13);
	CHECK(pol_body_chars("", 0, 100) == 0);
	CHECK(pol_body_chars("ab\x01", 3, 100) == -1);
	CHECK(pol_body_chars("a\x7f", 2, 100) == -1);
	CHECK(pol_body_chars("a\xc2\x85", 3, 100) == -1);  /* U+0085, a C1 control */
	CHECK(pol_body_chars("a\0b", 3, 100) == -1);
	CHECK(pol_body_chars("条例", 6, 2) == 2);
	CHECK(pol_body_chars("条例号", 9, 2) == -1);
}

static void test_query(void)
{
	CHECK(pol_query_ok("抵押"));
	CHECK(pol_query_ok(" 抵押 "));
	CHECK(pol_query_ok("\xe3\x80\x80抵\xe3\x80\x80"));
	CHECK(!pol_query_ok("   "));
	CHECK(!pol_query_ok("\xe3\x80\x80\xe3\x80\x80"));
	CHECK(!pol_query_ok(""));
	CHECK(!pol_query_ok("a\tb"));
	char many[400];
	memset(many, 'a', 101);
	many[101] = '\0';
	CHECK(!pol_query_ok(many));
	many[100] = '\0';
	CHECK(pol_query_ok(many));
}

static void test_cursor(void)
{
	int64_t s, i;
	CHECK(pol_cursor_parse("0-15", &s, &i) && s == 0 && i == 15);
	CHECK(pol_cursor_parse("1234567-9", &s, &i) && s == 1234567 && i == 9);
	CHECK(!pol_cursor_parse("0-0", &s, &i));
	CHECK(!pol_cursor_parse("-5", &s, &i));
	CHECK(!pol_cursor_parse("5", &s, &i));
	CHECK(!pol_cursor_parse("5-", &s, &i));
	CHECK(!pol_cursor_parse("5-6x", &s, &i));
	CHECK(!pol_cursor_parse("1234567890123456789-1", &s, &i));
	CHECK(!pol_cursor_parse(NULL, &s, &i));
}

static void test_disposition(void)
{
	char out[256];
	size_t n = pol_disposition(out, sizeof(out), "指南 v1.pdf", 42);
	CHECK(n == strlen(out));
	CHECK_STR(out, "attachment; filename=\"policy-42.pdf\"; filename*=UTF-8''%E6%8C%87%E5%8D%97%20v1.pdf");
	CHECK(pol_disposition(out, sizeof(out), "a\"b;c\r\n", 1) > 0);
	CHECK(strchr(out + strlen("attachment; filename=\"policy-1.pdf\""), '"') == NULL);
	CHECK(strstr(out, "%22") && strstr(out, "%3B") && strstr(out, "%0D%0A"));
	CHECK(pol_disposition(out, 40, "x.pdf", 1) == 0);
}

int main(void)
{
	TEST(test_dates);
	TEST(test_body);
	TEST(test_query);
	TEST(test_cursor);
	TEST(test_disposition);
	return check_done();
}
