#include "multipart.h"

#include <string.h>
#include <strings.h>

static const unsigned char *find(const unsigned char *h, size_t hn, const char *n, size_t nn)
{
	if (nn == 0 || hn < nn)
		return NULL;
	for (size_t i = 0; i + nn <= hn; i++)
		if (h[i] == (unsigned char)n[0] && memcmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

char *multipart_boundary(struct arena *a, const char *ct)
{
	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return NULL;
	const char *b = strstr(ct, "boundary=");
	if (b == NULL)
		return NULL;
	b += 9;
	size_t n;
	if (*b == '"') {
		const char *e = strchr(b + 1, '"');
		if (e == NULL)
			return NULL;
		b++;
		n = (size_t)(e - b);
	} else {
		n = strcspn(b, "; \t");
	}
	if (n < 1 || n > 70)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] > 0x7e)
			return NULL;
	return arena_strndup(a, b, n);
}

/* value of param="..." in a Content-Disposition line; its length in *vlen
 * (it may hold a NUL, which the caller must see rather than lose) */
static const char *param(struct arena *a, const char *line, size_t n, const char *key, size_t *vlen)
{
	size_t kl = strlen(key);
	for (size_t i = 0; i + kl + 2 <= n; i++) {
		if ((i == 0 || line[i - 1] == ' ' || line[i - 1] == ';') && strncasecmp(line + i, key, kl) == 0 &&
		    line[i + kl] == '=' && line[i + kl + 1] == '"') {
			const char *v = line + i + kl + 2;
			const char *e = memchr(v, '"', n - (size_t)(v - line));
			if (e == NULL)
				return NULL;
			if (vlen)
				*vlen = (size_t)(e - v);
			return arena_strndup(a, v, (size_t)(e - v));
		}
	}
	return NULL;
}

int multipart_parse(struct arena *a, const unsigned char *body, size_t len, const char *boundary,
		    struct part *parts, int max)
{
	char *delim = arena_printf(a, "--%s", boundary), *sep = arena_printf(a, "\r\n--%s", boundary);
	if (delim == NULL || sep == NULL)
		return -1;
	size_t dl = strlen(delim), sl = strlen(sep);
	if (len < dl || memcmp(body, delim, dl) != 0)
		return -1;
	const unsigned char *p = body + dl, *end = body + len;
	int n = 0;
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return n; /* closing delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n' || n == max)
			return -1;
		p += 2;
		struct part *pt = &parts[n];
		memset(pt, 0, sizeof(*pt));
		/* headers up to an empty line */
		for (;;) {
			const unsigned char *eol = find(p, (size_t)(end - p), "\r\n", 2);
			if (eol == NULL || eol - p > 1024)
				return -1;
			if (eol == p) {
				p += 2;
				break;
			}
			const char *line = (const char *)p;
			size_t ln = (size_t)(eol - p);
			if (ln > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
				pt->name = param(a, line + 20, ln - 20, "name", NULL);
				pt->filename = param(a, line + 20, ln - 20, "filename", &pt->filename_len);
			} else if (ln > 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
				size_t k = 13;
				while (k < ln && line[k] == ' ')
					k++;
				pt->content_type = arena_strndup(a, line + k, ln - k);
			}
			p = eol + 2;
		}
		if (pt->name == NULL)
			return -1;
		const unsigned char *next = find(p, (size_t)(end - p), sep, sl);
		if (next == NULL)
			return -1;
		pt->data = p;
		pt->len = (size_t)(next - p);
		n++;
		p = next + sl;
	}
}

const char *multipart_sniff(const unsigned char *p, size_t n)
{
	if (n >= 5 && memcmp(p, "%PDF-", 5) == 0)
		return "application/pdf";
	if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "image/jpeg";
	if (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	return NULL;
}
