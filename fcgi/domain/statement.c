/* The provider's daily trade bill: see statement.h. */
#include "statement.h"

#include <string.h>

/* Well-formed UTF-8 (no overlong forms, surrogates or code points beyond
 * U+10FFFF) with no control character but the line ends: LF, and CR only
 * before LF. */
static int text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		if (c < 0x80) {
			if (c == '\r') {
				if (i + 1 >= n || s[i + 1] != '\n')
					return 0;
			} else if ((c < 0x20 && c != '\n') || c == 0x7f) {
				return 0;
			}
			i++;
			continue;
		}
		size_t k;
		unsigned cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= k)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		/* C1 controls */
		if (cp >= 0x80 && cp <= 0x9f)
			return 0;
		i += k + 1;
	}
	return 1;
}

struct field {
	const char *p;
	size_t n;
};

/* Split one line into fields: plain (the column names) on ",", ticked (the
 * values) after the leading backtick on ",`". The number of fields, or -1
 * (no leading backtick where one is needed, more than BILL_MAX_FIELDS),
 * -2 (a field beyond BILL_MAX_FIELD). */
static int split(const char *p, size_t n, int ticked, struct field *f)
{
	if (ticked) {
		if (n == 0 || p[0] != '`')
			return -1;
		p++, n--;
	}
	int k = 0;
	size_t start = 0;
	for (size_t i = 0;; i++) {
		int end = i == n;
		int sep = !end && p[i] == ',' && (!ticked || (i + 1 < n && p[i + 1] == '`'));
		if (!end && !sep)
			continue;
		if (k == BILL_MAX_FIELDS)
			return -1;
		if (i - start > BILL_MAX_FIELD)
			return -2;
		f[k].p = p + start;
		f[k].n = i - start;
		k++;
		if (end)
			break;
		i += ticked; /* past the backtick too */
		start = i + 1;
	}
	return k;
}

static int field_is(const struct field *f, const char *name)
{
	size_t l = strlen(name);
	return f->n == l && memcmp(f->p, name, l) == 0;
}

/* The index of the column named name, -1 when absent, -2 when twice. */
static int column(const struct field *f, int n, const char *name)
{
	int at = -1;
	for (int i = 0; i < n; i++)
		if (field_is(&f[i], name)) {
			if (at >= 0)
				return -2;
			at = i;
		}
	return at;
}

int bill_amount_fen(const char *s, size_t n, int64_t *fen)
{
	/* at least "0.00", at most 12 digits before the point */
	if (n < 4 || n > 15 || s[n - 3] != '.')
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == n - 3)
			continue;
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	/* "007.00" is not how a provider writes 7 yuan */
	if (n > 4 && s[0] == '0')
		return -1;
	*fen = v;
	return 0;
}

static int digits(const char *s, size_t n, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	(void)n;
	return 1;
}

static int two(const char *s)
{
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "YYYY-MM-DD HH:MM:SS" with plausible numbers */
static int time_ok(const struct field *f)
{
	const char *s = f->p;
	if (f->n != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':')
		return 0;
	if (!digits(s, f->n, 0, 4) || !digits(s, f->n, 5, 7) || !digits(s, f->n, 8, 10) ||
	    !digits(s, f->n, 11, 13) || !digits(s, f->n, 14, 16) || !digits(s, f->n, 17, 19))
		return 0;
	int mo = two(s + 5), d = two(s + 8);
	return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && two(s + 11) < 24 && two(s + 14) < 60 && two(s + 17) < 60;
}

/* 1..max bytes, each in the set (a string of allowed punctuation besides
 * what the class flags allow: d digits, u upper, l lower) */
static int chars_ok(const struct field *f, size_t max, int d, int u, int l, const char *punct)
{
	if (f->n == 0 || f->n > max)
		return 0;
	for (size_t i = 0; i < f->n; i++) {
		char c = f->p[i];
		if ((d && c >= '0' && c <= '9') || (u && c >= 'A' && c <= 'Z') || (l && c >= 'a' && c <= 'z') ||
		    (c != 0 && strchr(punct, c) != NULL))
			continue;
		return 0;
	}
	return 1;
}

static void copy(char *dst, const struct field *f)
{
	memcpy(dst, f->p, f->n);
	dst[f->n] = 0;
}

static int fail(struct bill_fault *f, enum bill_err e, size_t line, const char *column_name)
{
	f->err = e;
	f->line = line;
	f->column = column_name;
	return -1;
}

/* the columns a row is read from */
enum { C_TIME, C_APPID, C_MCHID, C_TXID, C_OTN, C_STATE, C_AMOUNT, C_REFUND, C__N };
static const char *const col_names[C__N] = {
	[C_TIME] = "交易时间", [C_APPID] = "公众账号ID", [C_MCHID] = "商户号",   [C_TXID] = "微信订单号",
	[C_OTN] = "商户订单号", [C_STATE] = "交易状态",  [C_AMOUNT] = "订单金额", [C_REFUND] = "退款金额",
};
#define SETTLE_AMOUNT "应结订单金额"
#define SUM_ROWS "总交易单数"
#define SUM_AMOUNT "订单总金额"
#define SUM_SETTLE_AMOUNT "应结订单总金额"

static int read_row(const struct field *fv, const int *col, const char *date, struct bill_row *row, size_t line,
		    struct bill_fault *f)
{
	const struct field *t = &fv[col[C_TIME]];
	if (!time_ok(t))
		return fail(f, BILL_BAD_FIELD, line, col_names[C_TIME]);
	if (date != NULL && (strlen(date) != 10 || memcmp(t->p, date, 10) != 0))
		return fail(f, BILL_WRONG_DATE, line, col_names[C_TIME]);
	if (!chars_ok(&fv[col[C_APPID]], 32, 1, 1, 1, "_"))
		return fail(f, BILL_BAD_FIELD, line, col_names[C_APPID]);
	if (!chars_ok(&fv[col[C_MCHID]], 32, 1, 0, 0, ""))
		return fail(f, BILL_BAD_FIELD, line, col_names[C_MCHID]);
	if (!chars_ok(&fv[col[C_TXID]], 32, 1, 0, 0, ""))
		return fail(f, BILL_BAD_FIELD, line, col_names[C_TXID]);
	if (!chars_ok(&fv[col[C_OTN]], 32, 1, 1, 1, "_-|*@"))
		return fail(f, BILL_BAD_FIELD, line, col_names[C_OTN]);
	if (!chars_ok(&fv[col[C_STATE]], 16, 0, 1, 0, "_"))
		return fail(f, BILL_BAD_FIELD, line, col_names[C_STATE]);
	const struct field *a = &fv[col[C_AMOUNT]];
	if (bill_amount_fen(a->p, a->n, &row->amount_fen) != 0)
		return fail(f, BILL_BAD_AMOUNT, line, col_names[C_AMOUNT]);
	row->refund_fen = 0;
	if (col[C_REFUND] >= 0) {
		a = &fv[col[C_REFUND]];
		if (bill_amount_fen(a->p, a->n, &row->refund_fen) != 0)
			return fail(f, BILL_BAD_AMOUNT, line, col_names[C_REFUND]);
	}
	copy(row->trade_time, t);
	copy(row->appid, &fv[col[C_APPID]]);
	copy(row->mchid, &fv[col[C_MCHID]]);
	copy(row->transaction_id, &fv[col[C_TXID]]);
	copy(row->out_trade_no, &fv[col[C_OTN]]);
	copy(row->trade_state, &fv[col[C_STATE]]);
	return 0;
}

size_t bill_max_rows(const char *text, size_t len)
{
	size_t n = 1;
	for (const char *p = text, *end = text + len; p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		n++;
	return n < BILL_MAX_ROWS ? n : BILL_MAX_ROWS;
}

int bill_parse(const char *text, size_t len, const char *date, struct bill_row *rows, size_t max,
	       size_t *nrows, struct bill_summary *sum, struct bill_fault *f)
{
	*nrows = 0;
	f->err = BILL_OK;
	f->line = 0;
	f->column = NULL;
	if (len > BILL_MAX_BYTES)
		return fail(f, BILL_TOO_LARGE, 0, NULL);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3, len -= 3;
	if (!text_ok((const unsigned char *)text, len))
		return fail(f, BILL_BAD_UTF8, 0, NULL);
	if (max > BILL_MAX_ROWS)
		max = BILL_MAX_ROWS;

	enum { S_HEADER, S_ROWS, S_SUMMARY, S_DONE } state = S_HEADER;
	struct field fv[BILL_MAX_FIELDS], sumhead[BILL_MAX_FIELDS];
	int ncols = 0, nsum = 0, col[C__N], settle_amount = 0;
	int64_t total = 0;
	size_t line = 0;
	for (size_t at = 0; at < len;) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - at;
		const char *p = text + at;
		at = end + 1;
		line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > BILL_MAX_LINE)
			return fail(f, BILL_LINE_TOO_LONG, line, NULL);
		if (state == S_DONE) {
			if (n != 0)
				return fail(f, BILL_TRAILING, line, NULL);
			continue;
		}
		if (state == S_HEADER) {
			ncols = split(p, n, 0, fv);
			if (ncols == -2)
				return fail(f, BILL_LINE_TOO_LONG, line, NULL);
			if (ncols < 0)
				return fail(f, BILL_BAD_HEADER, line, NULL);
			for (int c = 0; c < C__N; c++) {
				col[c] = column(fv, ncols, col_names[c]);
				if (col[c] == -2 || (col[c] == -1 && c != C_AMOUNT && c != C_REFUND))
					return fail(f, BILL_BAD_HEADER, line, col_names[c]);
			}
			if (col[C_AMOUNT] == -1) {
				/* an older bill without 订单金额: the settlement amount */
				col[C_AMOUNT] = column(fv, ncols, SETTLE_AMOUNT);
				settle_amount = 1;
				if (col[C_AMOUNT] < 0)
					return fail(f, BILL_BAD_HEADER, line, col_names[C_AMOUNT]);
			}
			state = S_ROWS;
			continue;
		}
		if (state == S_ROWS && n > 0 && p[0] == '`') {
			int k = split(p, n, 1, fv);
			if (k == -2)
				return fail(f, BILL_LINE_TOO_LONG, line, NULL);
			if (k != ncols)
				return fail(f, BILL_BAD_ROW, line, NULL);
			if (*nrows >= max)
				return fail(f, BILL_TOO_MANY_ROWS, line, NULL);
			struct bill_row *row = &rows[*nrows];
			if (read_row(fv, col, date, row, line, f) != 0)
				return -1;
			total += row->amount_fen;
			(*nrows)++;
			continue;
		}
		if (state == S_ROWS) {
			/* the summary's column names end the rows */
			nsum = split(p, n, 0, sumhead);
			if (nsum <= 0 || column(sumhead, nsum, SUM_ROWS) < 0)
				return fail(f, n > 0 && nsum > 0 ? BILL_BAD_ROW : BILL_NO_SUMMARY, line, NULL);
			state = S_SUMMARY;
			continue;
		}
		/* S_SUMMARY: the summary's values */
		int k = split(p, n, 1, fv);
		if (k != nsum)
			return fail(f, BILL_NO_SUMMARY, line, NULL);
		int ci = column(sumhead, nsum, SUM_ROWS);
		int ca = column(sumhead, nsum, settle_amount ? SUM_SETTLE_AMOUNT : SUM_AMOUNT);
		if (ca < 0)
			return fail(f, BILL_NO_SUMMARY, line, settle_amount ? SUM_SETTLE_AMOUNT : SUM_AMOUNT);
		const struct field *c = &fv[ci];
		if (!chars_ok(c, 9, 1, 0, 0, "") || (c->n > 1 && c->p[0] == '0'))
			return fail(f, BILL_NO_SUMMARY, line, SUM_ROWS);
		sum->rows = 0;
		for (size_t i = 0; i < c->n; i++)
			sum->rows = sum->rows * 10 + (c->p[i] - '0');
		if (bill_amount_fen(fv[ca].p, fv[ca].n, &sum->amount_fen) != 0)
			return fail(f, BILL_NO_SUMMARY, line, settle_amount ? SUM_SETTLE_AMOUNT : SUM_AMOUNT);
		if (sum->rows != (int64_t)*nrows)
			return fail(f, BILL_TOTALS_MISMATCH, line, SUM_ROWS);
		if (sum->amount_fen != total)
			return fail(f, BILL_TOTALS_MISMATCH, line, settle_amount ? SUM_SETTLE_AMOUNT : SUM_AMOUNT);
		state = S_DONE;
	}
	if (state == S_HEADER)
		return fail(f, BILL_BAD_HEADER, 0, NULL);
	if (state != S_DONE)
		return fail(f, BILL_NO_SUMMARY, line, NULL);
	return 0;
}

const char *bill_err_code(enum bill_err e)
{
	switch (e) {
	case BILL_OK: return "ok";
	case BILL_TOO_LARGE: return "statement_too_large";
	case BILL_BAD_UTF8: return "statement_bad_encoding";
	case BILL_LINE_TOO_LONG: return "statement_line_too_long";
	case BILL_BAD_HEADER: return "statement_bad_header";
	case BILL_BAD_ROW: return "statement_bad_row";
	case BILL_BAD_FIELD: return "statement_bad_field";
	case BILL_BAD_AMOUNT: return "statement_bad_amount";
	case BILL_TOO_MANY_ROWS: return "statement_too_many_rows";
	case BILL_NO_SUMMARY: return "statement_no_summary";
	case BILL_TOTALS_MISMATCH: return "statement_totals_mismatch";
	case BILL_WRONG_DATE: return "statement_wrong_date";
	case BILL_TRAILING: return "statement_trailing_data";
	}
	return "statement_invalid";
}

const char *bill_err_detail(enum bill_err e)
{
	switch (e) {
	case BILL_OK: return "";
	case BILL_TOO_LARGE: return "A statement may have at most 5 MiB.";
	case BILL_BAD_UTF8: return "The statement must be UTF-8 text without control characters.";
	case BILL_LINE_TOO_LONG: return "A line of the statement is too long (8192 bytes, 1024 per field).";
	case BILL_BAD_HEADER:
		return "The first line must name the trade bill's columns (交易时间, 公众账号ID, 商户号, 微信订单号,"
		       " 商户订单号, 交易状态, 订单金额), each once.";
	case BILL_BAD_ROW: return "A row must have one backtick-prefixed field per column of the header.";
	case BILL_BAD_FIELD: return "A field of a row does not have the form its column needs.";
	case BILL_BAD_AMOUNT: return "An amount must be yuan with two decimal places, e.g. 80.00.";
	case BILL_TOO_MANY_ROWS: return "A statement may have at most 20000 rows.";
	case BILL_NO_SUMMARY: return "The statement must end with its summary (总交易单数, 订单总金额, …) and values.";
	case BILL_TOTALS_MISMATCH: return "The statement's summary does not agree with its rows.";
	case BILL_WRONG_DATE: return "A row's trade time is not on the statement's date.";
	case BILL_TRAILING: return "Nothing may follow the statement's summary.";
	}
	return "The statement is not a trade bill.";
}
