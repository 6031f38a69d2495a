/* Policies: pure rules of input and output (policy.h). */
#include "policy.h"

#include <stdio.h>
#include <string.h>

static int digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int pol_date_ok(const char *s)
{
	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4) || !digits(s + 5, 2) ||
	    !digits(s + 8, 2))
		return 0;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || y > 2999 || m < 1 || m > 12 || d < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

long pol_body_chars(const char *s, size_t n, long max)
{
	long chars = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return -1;
		/* C1 controls (U+0080-U+009F) are C2 80..C2 9F in UTF-8 */
		if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9f)
			return -1;
		if ((c & 0xc0) != 0x80 && ++chars > max)
			return -1;
	}
	return chars;
}

int pol_query_ok(const char *q)
{
	size_t n = strlen(q), b = 0, e = n;
	for (;;) {
		if (b < e && q[b] == ' ')
			b++;
		else if (e - b >= 3 && memcmp(q + b, "\xe3\x80\x80", 3) == 0)
			b += 3;
		else
			break;
	}
	for (;;) {
		if (e > b && q[e - 1] == ' ')
			e--;
		else if (e - b >= 3 && memcmp(q + e - 3, "\xe3\x80\x80", 3) == 0)
			e -= 3;
		else
			break;
	}
	if (e == b)
		return 0;
	long chars = pol_body_chars(q, n, POL_QUERY_MAX_CHARS);
	if (chars < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)q[i] < 0x20)
			return 0;
	return 1;
}

/* decimal digits, 1 to 18 of them (no overflow), into *v; the rest of s */
static const char *number(const char *s, int64_t *v)
{
	int k = 0;
	*v = 0;
	while (s[k] >= '0' && s[k] <= '9' && k < 18)
		*v = *v * 10 + (s[k++] - '0');
	return k == 0 || (s[k] >= '0' && s[k] <= '9') ? NULL : s + k;
}

int pol_cursor_parse(const char *s, int64_t *score, int64_t *id)
{
	const char *p = s ? number(s, score) : NULL;
	if (p == NULL || *p != '-')
		return 0;
	p = number(p + 1, id);
	return p != NULL && *p == '\0' && *id >= 1;
}

size_t pol_disposition(char *out, size_t cap, const char *filename, int64_t aid)
{
	int w = snprintf(out, cap, "attachment; filename=\"policy-%lld.pdf\"; filename*=UTF-8''", (long long)aid);
	if (w < 0 || (size_t)w >= cap)
		return 0;
	size_t o = (size_t)w;
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *s = (const unsigned char *)filename; *s; s++) {
		int plain = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
			    *s == '.' || *s == '-' || *s == '_';
		if (o + (plain ? 1 : 3) >= cap)
			return 0;
		if (plain) {
			out[o++] = (char)*s;
		} else {
			out[o++] = '%';
			out[o++] = hex[*s >> 4];
			out[o++] = hex[*s & 15];
		}
	}
	out[o] = '\0';
	return o;
}
