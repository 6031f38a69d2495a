#include "req.h"

#include <string.h>
#include <inttypes.h>
#include <stdlib.h>
#include <strings.h>
#include <time.h>

#include "resp.h"
#include "valid.h"
#include "worker.h"

#define QUERY_MAX_PAIRS 64
#define QUERY_MAX_BYTES 4096
#define COOKIE_MAX_PAIRS 32

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *req_url_decode(struct arena *a, const char *s, size_t n, int plus_is_space, size_t *outlen)
{
	char *out = arena_alloc(a, n + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (n - i < 3)
				return NULL;
			int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			c = (unsigned char)(hi << 4 | lo);
			if (c == 0)
				return NULL;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c < 0x20 || c == 0x7f) {
			return NULL;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!valid_utf8((const unsigned char *)out, o))
		return NULL;
	if (outlen)
		*outlen = o;
	return out;
}

int req_query_parse(struct arena *a, const char *qs, struct kv **out, size_t *nout)
{
	size_t n = strlen(qs), cap = 0, cnt = 0;
	struct kv *v = NULL;
	if (n > QUERY_MAX_BYTES)
		return -2;
	const char *p = qs, *end = qs + n;
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		if (e > p) {
			const char *eq = memchr(p, '=', (size_t)(e - p));
			const char *ke = eq ? eq : e;
			if (ke == p)
				return -1; /* "=x": a value without a name */
			if (cnt == QUERY_MAX_PAIRS)
				return -2;
			if (arena_grow(a, (void **)&v, &cap, cnt, 1, sizeof(*v)) != 0)
				return -2;
			v[cnt].k = req_url_decode(a, p, (size_t)(ke - p), 1, &v[cnt].klen);
			v[cnt].v = eq ? req_url_decode(a, eq + 1, (size_t)(e - eq - 1), 1, &v[cnt].vlen)
				      : arena_strndup(a, "", 0);
			if (v[cnt].k == NULL || v[cnt].v == NULL)
				return -1;
			cnt++;
		}
		p = e + 1;
	}
	*out = v;
	*nout = cnt;
	return 0;
}

int req_cookie_parse(struct arena *a, const char *h, struct kv **out, size_t *nout)
{
	size_t cap = 0, cnt = 0;
	struct kv *v = NULL;
	const char *p = h;
	while (*p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (!*p)
			break;
		const char *e = strchr(p, ';');
		if (e == NULL)
			e = p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(e - p));
		if (eq == NULL || eq == p)
			return -1;
		const char *ve = e;
		while (ve > eq + 1 && ve[-1] == ' ')
			ve--;
		if (cnt == COOKIE_MAX_PAIRS ||
		    arena_grow(a, (void **)&v, &cap, cnt, 1, sizeof(*v)) != 0)
			return -1;
		v[cnt].klen = (size_t)(eq - p);
		v[cnt].vlen = (size_t)(ve - eq - 1);
		v[cnt].k = arena_strndup(a, p, v[cnt].klen);
		v[cnt].v = arena_strndup(a, eq + 1, v[cnt].vlen);
		if (v[cnt].k == NULL || v[cnt].v == NULL)
			return -1;
		cnt++;
		p = e;
	}
	*out = v;
	*nout = cnt;
	return 0;
}

static const char *kv_find(const struct kv *v, size_t n, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < n; i++)
		if (v[i].klen == len && memcmp(v[i].k, name, len) == 0)
			return v[i].v;
	return NULL;
}

const char *req_fcgi(const struct req *r, const char *name)
{
	return kv_find(r->fcgi, r->nfcgi, name);
}

const char *req_header(const struct req *r, const char *http_name)
{
	return kv_find(r->fcgi, r->nfcgi, http_name);
}

const char *req_param(const struct req *r, const char *name)
{
	return kv_find(r->params, r->nparams, name);
}

const char *req_query(const struct req *r, const char *name)
{
	return kv_find(r->query, r->nquery, name);
}

size_t req_query_count(const struct req *r, const char *name)
{
	size_t c = 0, len = strlen(name);
	for (size_t i = 0; i < r->nquery; i++)
		c += r->query[i].klen == len && memcmp(r->query[i].k, name, len) == 0;
	return c;
}

int req_query_int(const struct req *r, const char *name, int64_t min, int64_t max, int64_t dflt, int64_t *out)
{
	*out = dflt;
	const char *v = req_query(r, name);
	if (v == NULL)
		return 0;
	size_t n = strlen(v);
	/* digits only: no sign, no blanks, no suffix, no overflow */
	if (n < 1 || n > 19 || req_query_count(r, name) != 1)
		return -1;
	int64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (INT64_MAX - (v[i] - '0')) / 10)
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	if (x < min || x > max)
		return -1;
	*out = x;
	return 1;
}

const char *req_cookie(struct req *r, const char *name)
{
	if (!r->cookies_parsed) {
		r->cookies_parsed = 1;
		const char *h = req_header(r, "HTTP_COOKIE");
		if (h && req_cookie_parse(r->arena, h, &r->cookies, &r->ncookies) != 0)
			r->ncookies = 0; /* a malformed Cookie header carries no cookies */
	}
	return kv_find(r->cookies, r->ncookies, name);
}

int req_is_loopback(const struct req *r)
{
	const char *a = r->remote_addr;
	return a && (strcmp(a, "127.0.0.1") == 0 || strcmp(a, "::1") == 0);
}

int64_t req_now_us(const struct req *r)
{
#ifdef TB_TEST_HOOKS
	if (r->w && r->w->conf.test_clock) {
		const char *t = req_header(r, "HTTP_X_TB_TEST_NOW");
		char *end;
		long long v = t ? strtoll(t, &end, 10) : 0;
		if (t && *t && *end == '\0' && v > 0)
			return (int64_t)v * 1000000;
	}
#else
	(void)r;
#endif
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int req_is_safe_method(const struct req *r)
{
	return r->method == M_GET || r->method == M_HEAD || r->method == M_OPTIONS;
}

const struct json *req_json_object(struct req *r)
{
	const char *ct = r->content_type;
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		resp_problem(r, 415, "unsupported_media_type",
			     "The request body must be application/json.");
		return NULL;
	}
	if (r->body_too_big || r->body_len > r->w->conf.json_max) {
		resp_problem(r, 413, "body_too_large", "The request body is too large.");
		return NULL;
	}
	if (!valid_utf8(r->body, r->body_len)) {
		resp_problem(r, 400, "invalid_utf8", "The request body is not valid UTF-8.");
		return NULL;
	}
	struct json *j = NULL;
	switch (json_parse(r->arena, r->body, r->body_len, r->w->conf.json_depth, &j)) {
	case JSON_OK:
		break;
	case JSON_TOO_DEEP:
		resp_problem(r, 400, "json_too_deep", "The JSON body is nested too deeply.");
		return NULL;
	case JSON_DUPLICATE_KEY:
		resp_problem(r, 400, "json_duplicate_key", "The JSON body repeats a member name.");
		return NULL;
	case JSON_BAD_CHAR:
		resp_problem(r, 400, "invalid_character",
			     "A JSON string holds a control character (NUL included); only tab and line breaks may appear.");
		return NULL;
	case JSON_NOMEM:
		resp_problem(r, 413, "body_too_large", "The request body is too large.");
		return NULL;
	default:
		resp_problem(r, 400, "malformed_json", "The request body is not well-formed JSON.");
		return NULL;
	}
	if (j->type != JSON_OBJECT) {
		resp_problem(r, 400, "json_not_object", "The request body must be a JSON object.");
		return NULL;
	}
	return j;
}

char *req_i64str(struct req *r, int64_t v)
{
	return arena_printf(r->arena, "%" PRId64, v);
}
