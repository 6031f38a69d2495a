/* Unit tests of the trade-bill parser (domain/statement.c): a bill as the
 * provider writes it, amounts to fen, and each way a bill is refused, with
 * the line it is refused at. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "domain/statement.h"

#define HEAD                                                                                              \
	"交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行," \
	"货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"   \
	"商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n"
#define ROW(time, tx, otn, state, amt)                                                                         \
	"`" time ",`wx2421b1c4370ec43b,`1900000109,`0,`,`" tx ",`" otn ",`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`" \
	state ",`OTHERS,`CNY,`" amt ",`0.00,`0,`0,`0.00,`0.00,`,`,`不动产登记费,`,`0.48000,`0.60%,`" amt         \
	",`0.00,`\r\n"
#define SUMHEAD "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n"
#define SUM(n, amt) "`" n ",`" amt ",`0.00,`0.00,`0.96000,`" amt ",`0.00\r\n"

static const char good[] = HEAD ROW("2026-11-27 10:02:13", "4200000001202611270000000001", "TB202611270000000001",
				    "SUCCESS", "80.00")
	ROW("2026-11-27 23:59:59", "4200000001202611270000000002", "TB202611270000000002", "SUCCESS", "550.00")
		SUMHEAD SUM("2", "630.00");

static int parse(const char *text, size_t len, const char *date, struct bill_row *rows, size_t *n,
		 struct bill_summary *s, struct bill_fault *f)
{
	return bill_parse(text, len, date, rows, 16, n, s, f);
}

static void test_a_provider_bill_is_read_in_fen(void)
{
	struct bill_row rows[16];
	struct bill_summary s;
	struct bill_fault f;
	size_t n;
	CHECK(parse(good, strlen(good), "2026-11-27", rows, &n, &s, &f) == 0);
	CHECK(n == 2 && s.rows == 2 && s.amount_fen == 63000);
	CHECK_STR(rows[0].trade_time, "2026-11-27 10:02:13");
	CHECK_STR(rows[0].transaction_id, "4200000001202611270000000001");
	CHECK_STR(rows[0].out_trade_no, "TB202611270000000001");
	CHECK_STR(rows[0].trade_state, "SUCCESS");
	CHECK_STR(rows[0].mchid, "1900000109");
	CHECK_STR(rows[0].appid, "wx2421b1c4370ec43b");
	CHECK(rows[0].amount_fen == 8000 && rows[1].amount_fen == 55000 && rows[0].refund_fen == 0);
	/* no date check, LF line ends, a byte order mark, a blank line at the end */
	char *lf = malloc(sizeof(good) + 8);
	size_t m = 0;
	memcpy(lf, "\xef\xbb\xbf", 3), m = 3;
	for (const char *p = good; *p; p++)
		if (*p != '\r')
			lf[m++] = *p;
	lf[m++] = '\n';
	CHECK(parse(lf, m, NULL, rows, &n, &s, &f) == 0 && n == 2);
	free(lf);
	CHECK(bill_max_rows(good, strlen(good)) == 6);
}

static void test_an_empty_day_has_a_header_and_a_zero_summary(void)
{
	static const char empty[] = HEAD SUMHEAD SUM("0", "0.00");
	struct bill_row rows[1];
	struct bill_summary s;
	struct bill_fault f;
	size_t n;
	CHECK(bill_parse(empty, strlen(empty), "2026-11-27", rows, 1, &n, &s, &f) == 0 && n == 0 && s.rows == 0);
}

static void test_a_comma_inside_a_field_stays_in_it(void)
{
	static const char t[] = "交易时间,公众账号ID,商户号,微信订单号,商户订单号,交易状态,商品名称,订单金额\n"
				"`2026-11-27 08:00:00,`wx1,`19,`42,`TB1,`SUCCESS,`登记费,工本费,`80.00\n"
				"总交易单数,订单总金额\n`1,`80.00\n";
	struct bill_row rows[2];
	struct bill_summary s;
	struct bill_fault f;
	size_t n;
	CHECK(bill_parse(t, strlen(t), "2026-11-27", rows, 2, &n, &s, &f) == 0 && n == 1 && rows[0].amount_fen == 8000);
}

static void test_an_older_bill_uses_the_settlement_amount(void)
{
	static const char t[] = "交易时间,公众账号ID,商户号,微信订单号,商户订单号,交易状态,应结订单金额,退款金额\n"
				"`2026-11-27 08:00:00,`wx1,`19,`42,`TB1,`REFUND,`80.00,`80.00\n"
				"总交易单数,应结订单总金额\n`1,`80.00\n";
	struct bill_row rows[2];
	struct bill_summary s;
	struct bill_fault f;
	size_t n;
	CHECK(bill_parse(t, strlen(t), NULL, rows, 2, &n, &s, &f) == 0 && n == 1);
	CHECK(rows[0].amount_fen == 8000 && rows[0].refund_fen == 8000);
	CHECK_STR(rows[0].trade_state, "REFUND");
}

static void test_amounts_are_yuan_with_two_places(void)
{
	int64_t v = -1;
	CHECK(bill_amount_fen("80.00", 5, &v) == 0 && v == 8000);
	CHECK(bill_amount_fen("0.01", 4, &v) == 0 && v == 1);
	CHECK(bill_amount_fen("0.00", 4, &v) == 0 && v == 0);
	CHECK(bill_amount_fen("999999999999.99", 15, &v) == 0 && v == 99999999999999LL);
	const char *bad[] = { "80", "80.0", "80.000", ".00", "-1.00", "+1.00", "1,000.00", "1e3.00", "08.00",
			      " 8.00", "8.00 ", "1000000000000.00", "8.0a", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(bill_amount_fen(bad[i], strlen(bad[i]), &v) == -1);
}

/* good with one substring replaced (first occurrence) */
static char *with(const char *from, const char *to, size_t *len)
{
	const char *at = strstr(good, from);
	size_t fl = strlen(from), tl = strlen(to), gl = strlen(good);
	char *out = malloc(gl - fl + tl + 1);
	size_t k = (size_t)(at - good);
	memcpy(out, good, k);
	memcpy(out + k, to, tl);
	memcpy(out + k + tl, at + fl, gl - k - fl + 1);
	*len = gl - fl + tl;
	return out;
}

static enum bill_err refused(const char *from, const char *to, size_t *line)
{
	size_t len, n;
	char *t = with(from, to, &len);
	struct bill_row rows[16];
	struct bill_summary s;
	struct bill_fault f;
	int rc = parse(t, len, "2026-11-27", rows, &n, &s, &f);
	free(t);
	*line = f.line;
	return rc == 0 ? BILL_OK : f.err;
}

static void test_each_fault_is_named_with_its_line(void)
{
	size_t line;
	CHECK(refused("商户订单号,", "商户单号,", &line) == BILL_BAD_HEADER && line == 1);
	CHECK(refused("交易状态,", "交易状态,交易状态,", &line) == BILL_BAD_HEADER);
	CHECK(refused("`2026-11-27 23:59:59", "2026-11-27 23:59:59", &line) == BILL_BAD_ROW && line == 3);
	CHECK(refused(",`OTHERS", "", &line) == BILL_BAD_ROW && line == 2);
	CHECK(refused("`2026-11-27 10:02:13", "`2026-11-27 10:2:13", &line) == BILL_BAD_FIELD && line == 2);
	CHECK(refused("`2026-11-27 10:02:13", "`2026-11-26 10:02:13", &line) == BILL_WRONG_DATE && line == 2);
	CHECK(refused("`TB202611270000000002", "`TB2026112700'OR'1'='1", &line) == BILL_BAD_FIELD && line == 3);
	CHECK(refused("`4200000001202611270000000001", "`42x", &line) == BILL_BAD_FIELD);
	CHECK(refused("`SUCCESS", "`success", &line) == BILL_BAD_FIELD);
	CHECK(refused("`550.00,`0.00,`\r\n", "`550.5,`0.00,`\r\n", &line) == BILL_BAD_AMOUNT && line == 3);
	CHECK(refused("`2,`630.00", "`3,`630.00", &line) == BILL_TOTALS_MISMATCH && line == 5);
	CHECK(refused("`0.96000,`630.00", "`0.96000,`630.01", &line) == BILL_TOTALS_MISMATCH);
	CHECK(refused("`2,`630.00,`0.00,`0.00,`0.96000,`630.00,`0.00\r\n", "", &line) == BILL_NO_SUMMARY);
	CHECK(refused(SUMHEAD SUM("2", "630.00"), "", &line) == BILL_NO_SUMMARY);
	CHECK(refused("`0.00\r\n", "`0.00\r\n`1\r\n", &line) == BILL_TRAILING && line == 6);
	CHECK(refused("不动产登记费", "不动产\x01登记费", &line) == BILL_BAD_UTF8 && line == 0);
	CHECK(refused("不动产登记费", "\xe4\xb8", &line) == BILL_BAD_UTF8);
	CHECK(refused("不动产登记费", "\xc0\xaf", &line) == BILL_BAD_UTF8);
	CHECK(refused("不动产登记费", "\xed\xa0\x80", &line) == BILL_BAD_UTF8);
	CHECK(refused("不动产登记费", "a\rb", &line) == BILL_BAD_UTF8);
	struct bill_fault f;
	struct bill_summary s;
	struct bill_row rows[1];
	size_t n;
	CHECK(bill_parse("", 0, NULL, rows, 1, &n, &s, &f) == -1 && f.err == BILL_BAD_HEADER);
	static const char nul[] = "交易时间\0";
	CHECK(bill_parse(nul, sizeof(nul) - 1, NULL, rows, 1, &n, &s, &f) == -1 && f.err == BILL_BAD_UTF8);
	/* the caller's room */
	CHECK(bill_parse(good, strlen(good), NULL, rows, 1, &n, &s, &f) == -1 && f.err == BILL_TOO_MANY_ROWS &&
	      f.line == 3);
	CHECK_STR(bill_err_code(BILL_BAD_ROW), "statement_bad_row");
	CHECK(strlen(bill_err_detail(BILL_TOTALS_MISMATCH)) > 10);
}

static void test_sizes_are_bounded(void)
{
	struct bill_row rows[1];
	struct bill_summary s;
	struct bill_fault f;
	size_t n;
	/* a field beyond 1024 bytes */
	char *t = malloc(BILL_MAX_LINE * 2);
	int k = snprintf(t, BILL_MAX_LINE * 2, "交易时间,%01100d\n", 0);
	CHECK(bill_parse(t, (size_t)k, NULL, rows, 1, &n, &s, &f) == -1 && f.err == BILL_LINE_TOO_LONG && f.line == 1);
	/* more than 64 columns */
	size_t m = 0;
	for (int i = 0; i < 70; i++)
		t[m++] = 'a', t[m++] = ',';
	CHECK(bill_parse(t, m, NULL, rows, 1, &n, &s, &f) == -1 && f.err == BILL_BAD_HEADER);
	/* a line beyond 8192 bytes */
	memset(t, 'a', BILL_MAX_LINE + 1);
	CHECK(bill_parse(t, BILL_MAX_LINE + 1, NULL, rows, 1, &n, &s, &f) == -1 && f.err == BILL_LINE_TOO_LONG);
	free(t);
	CHECK(bill_parse(good, BILL_MAX_BYTES + 1, NULL, rows, 1, &n, &s, &f) == -1 && f.err == BILL_TOO_LARGE);
}

int main(void)
{
	TEST(test_a_provider_bill_is_read_in_fen);
	TEST(test_an_empty_day_has_a_header_and_a_zero_summary);
	TEST(test_a_comma_inside_a_field_stays_in_it);
	TEST(test_an_older_bill_uses_the_settlement_amount);
	TEST(test_amounts_are_yuan_with_two_places);
	TEST(test_each_fault_is_named_with_its_line);
	TEST(test_sizes_are_bounded);
	return check_done();
}
