#include "csv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int csv_begin(struct csv *c, struct buf *out)
{
	c->out = out;
	c->fields = 0;
	return buf_append(out, "\xEF\xBB\xBF", 3);
}

int csv_field(struct csv *c, const char *s, size_t n)
{
	if (c->fields++ > 0 && buf_append(c->out, ",", 1) != 0)
		return -1;
	int quote = 0;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote)
		return n ? buf_append(c->out, s, n) : 0;
	if (buf_append(c->out, "\"", 1) != 0)
		return -1;
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '"')
			continue;
		/* the quote itself, then once more */
		if (buf_append(c->out, s + from, i + 1 - from) != 0 || buf_append(c->out, "\"", 1) != 0)
			return -1;
		from = i + 1;
	}
	return buf_append(c->out, s + from, n - from) != 0 ? -1 : buf_append(c->out, "\"", 1);
}

int csv_str(struct csv *c, const char *s)
{
	return csv_field(c, s, s ? strlen(s) : 0);
}

int csv_int(struct csv *c, int64_t v)
{
	char t[CSV_NUM_MAX];
	snprintf(t, sizeof(t), "%" PRId64, v);
	return csv_str(c, t);
}

/* |v| / 100 and |v| % 100 without overflowing at INT64_MIN */
static void fixed2(int64_t v, const char *suffix, char *out)
{
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	snprintf(out, CSV_NUM_MAX, "%s%" PRIu64 ".%02" PRIu64 "%s", v < 0 ? "-" : "", m / 100, m % 100, suffix);
}

void csv_fmt_fen(int64_t fen, char *out)
{
	fixed2(fen, "", out);
}

void csv_fmt_bp(int64_t bp, char *out)
{
	fixed2(bp, "%", out);
}

int csv_fen(struct csv *c, int64_t fen)
{
	char t[CSV_NUM_MAX];
	csv_fmt_fen(fen, t);
	return csv_str(c, t);
}

int csv_bp(struct csv *c, int64_t bp)
{
	char t[CSV_NUM_MAX];
	csv_fmt_bp(bp, t);
	return csv_str(c, t);
}

int csv_end_row(struct csv *c)
{
	c->fields = 0;
	return buf_append(c->out, "\r\n", 2);
}
