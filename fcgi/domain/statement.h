/* The payment provider's daily trade bill (交易账单), WeChat Pay's CSV
 * format: a header row of column names, one row per transaction with every
 * field prefixed by a backtick (so that a spreadsheet keeps "4200…" as
 * text), then the summary: a row of summary column names and one row of
 * values, each prefixed by a backtick as well.
 *
 *   交易时间,公众账号ID,商户号,…,微信订单号,商户订单号,…,交易状态,…,订单金额,…
 *   `2026-11-27 10:02:13,`wx…,`1900000001,…,`4200…,`TB20261127…,…,`SUCCESS,…,`80.00,…
 *   总交易单数,应结订单总金额,退款总金额,…,订单总金额,…
 *   `1,`80.00,`0.00,…,`80.00,…
 *
 * Columns are found by their names, so the provider may add or reorder
 * them. Data fields are separated by ",`" rather than ",": a field always
 * starts with a backtick, so a comma inside a product name stays inside its
 * field. Amounts are decimal yuan with two places ("80.00") read as integer
 * fen; no floating point. Everything is bounded (bytes, rows, fields per
 * row, bytes per field) and the whole text must be UTF-8 without control
 * characters other than the line ends. Pure: no I/O, no allocation — the
 * caller gives the array the rows go into. */
#ifndef TB_STATEMENT_H
#define TB_STATEMENT_H
#include <stddef.h>
#include <stdint.h>

#define BILL_MAX_BYTES (5u << 20)	/* the body of one import */
#define BILL_MAX_ROWS 20000		/* transactions of one day */
#define BILL_MAX_LINE 8192		/* bytes of one line */
#define BILL_MAX_FIELDS 64		/* columns of one row */
#define BILL_MAX_FIELD 1024		/* bytes of one field */

/* One transaction row: the fields reconciliation needs, each checked for
 * its form and NUL-terminated. */
struct bill_row {
	char trade_time[20];	  /* 交易时间 "YYYY-MM-DD HH:MM:SS", Beijing time */
	char appid[33];		  /* 公众账号ID */
	char mchid[33];		  /* 商户号 */
	char transaction_id[33];  /* 微信订单号: digits */
	char out_trade_no[33];	  /* 商户订单号: [0-9A-Za-z_|*@-] */
	char trade_state[17];	  /* 交易状态: SUCCESS, REFUND, REVOKED, … ([A-Z_]) */
	int64_t amount_fen;	  /* 订单金额 (应结订单金额 when the bill has no 订单金额) */
	int64_t refund_fen;	  /* 退款金额, 0 when the bill has no such column */
};

struct bill_summary {
	int64_t rows;		/* 总交易单数 */
	int64_t amount_fen;	/* 订单总金额 (or 应结订单总金额, as for the rows) */
};

enum bill_err {
	BILL_OK,
	BILL_TOO_LARGE,		/* more than BILL_MAX_BYTES */
	BILL_BAD_UTF8,		/* not UTF-8, or a NUL or other control character */
	BILL_LINE_TOO_LONG,	/* a line beyond BILL_MAX_LINE, a field beyond BILL_MAX_FIELD */
	BILL_BAD_HEADER,	/* no header row, or a needed column missing or twice */
	BILL_BAD_ROW,		/* a row without backticks or with another number of fields */
	BILL_BAD_FIELD,		/* a field of the wrong form (time, id, state) */
	BILL_BAD_AMOUNT,	/* an amount that is not d+.dd (or too large) */
	BILL_TOO_MANY_ROWS,	/* more than the caller's room, or BILL_MAX_ROWS */
	BILL_NO_SUMMARY,	/* the summary rows are missing or malformed */
	BILL_TOTALS_MISMATCH,	/* the summary disagrees with the rows */
	BILL_WRONG_DATE,	/* a row's trade time is not on the expected day */
	BILL_TRAILING,		/* something after the summary */
};

/* Where the text went wrong: the error, its line (1-based, 0 when for the
 * whole text) and the column's name when one field was at fault (a static
 * string, or NULL). */
struct bill_fault {
	enum bill_err err;
	size_t line;
	const char *column;
};

/* Parse text[0..len) (an optional UTF-8 byte order mark first; lines end in
 * LF or CRLF). date: "YYYY-MM-DD" every row's trade time must fall on, or
 * NULL for no check. The rows go into rows[0..max) and their number into
 * *nrows; *sum gets the summary. 0, or -1 with *f saying why (rows and sum
 * then hold no meaning). */
int bill_parse(const char *text, size_t len, const char *date, struct bill_row *rows, size_t max,
	       size_t *nrows, struct bill_summary *sum, struct bill_fault *f);
/* An upper bound of the rows of text (its line count): what to give max. */
size_t bill_max_rows(const char *text, size_t len);
/* The stable problem code of an error ("statement_bad_row", …). */
const char *bill_err_code(enum bill_err e);
/* A sentence for a person, in English like the API's other details. */
const char *bill_err_detail(enum bill_err e);
/* "80.00" -> 8000 (digits, a point, exactly two digits; at most 12 digits
 * before the point). 0, or -1 when malformed. */
int bill_amount_fen(const char *s, size_t n, int64_t *fen);

#endif
