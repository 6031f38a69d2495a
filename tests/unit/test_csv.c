/* Unit tests of the CSV writer (core/csv.c): the BOM, CRLF records, RFC
 * 4180 quoting of commas, quotes and line breaks, empty fields, and fen and
 * basis points as people read them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/csv.h"

static char *text(struct buf *b)
{
	char *s = malloc(b->len + 1);
	if (s) {
		memcpy(s, b->p, b->len);
		s[b->len] = '\0';
	}
	return s;
}

static void test_a_document_starts_with_the_bom_and_ends_records_with_crlf(void)
{
	struct buf b = { 0 };
	struct csv c;
	CHECK(csv_begin(&c, &b) == 0);
	CHECK(csv_str(&c, "月份") == 0 && csv_str(&c, "收件数") == 0 && csv_end_row(&c) == 0);
	CHECK(csv_str(&c, "2026-03") == 0 && csv_int(&c, 42) == 0 && csv_end_row(&c) == 0);
	char *s = text(&b);
	CHECK_STR(s, "\xEF\xBB\xBF月份,收件数\r\n2026-03,42\r\n");
	free(s);
	buf_free(&b);
}

static void test_commas_quotes_and_line_breaks_are_quoted_and_quotes_doubled(void)
{
	struct buf b = { 0 };
	struct csv c;
	CHECK(csv_begin(&c, &b) == 0);
	CHECK(csv_str(&c, "甲,乙") == 0 && csv_str(&c, "说\"好\"") == 0 && csv_str(&c, "一\n二") == 0 &&
	      csv_str(&c, "回\r车") == 0 && csv_str(&c, "\"") == 0 && csv_str(&c, "plain") == 0 && csv_end_row(&c) == 0);
	char *s = text(&b);
	CHECK_STR(s, "\xEF\xBB\xBF\"甲,乙\",\"说\"\"好\"\"\",\"一\n二\",\"回\r车\",\"\"\"\",plain\r\n");
	free(s);
	buf_free(&b);
}

static void test_empty_and_null_fields_stay_in_place(void)
{
	struct buf b = { 0 };
	struct csv c;
	CHECK(csv_begin(&c, &b) == 0);
	CHECK(csv_str(&c, NULL) == 0 && csv_str(&c, "") == 0 && csv_field(&c, NULL, 0) == 0 && csv_end_row(&c) == 0);
	char *s = text(&b);
	CHECK_STR(s, "\xEF\xBB\xBF,,\r\n");
	free(s);
	buf_free(&b);
}

static void test_fen_are_written_as_yuan_and_basis_points_as_percent(void)
{
	char t[CSV_NUM_MAX];
	csv_fmt_fen(12345, t);
	CHECK_STR(t, "123.45");
	csv_fmt_fen(5, t);
	CHECK_STR(t, "0.05");
	csv_fmt_fen(0, t);
	CHECK_STR(t, "0.00");
	csv_fmt_fen(-105, t);
	CHECK_STR(t, "-1.05");
	csv_fmt_fen(INT64_MIN, t);
	CHECK_STR(t, "-92233720368547758.08");
	csv_fmt_bp(1250, t);
	CHECK_STR(t, "12.50%");
	csv_fmt_bp(10000, t);
	CHECK_STR(t, "100.00%");
	csv_fmt_bp(7, t);
	CHECK_STR(t, "0.07%");
}

int main(void)
{
	TEST(test_a_document_starts_with_the_bom_and_ends_records_with_crlf);
	TEST(test_commas_quotes_and_line_breaks_are_quoted_and_quotes_doubled);
	TEST(test_empty_and_null_fields_stay_in_place);
	TEST(test_fen_are_written_as_yuan_and_basis_points_as_percent);
	return check_done();
}
