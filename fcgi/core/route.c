#include "route.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "resp.h"

enum ptype { P_INT, P_CODE, P_SLUG, P_UUID, P_STR, P_BAD };

static enum ptype ptype_of(const char *t, size_t n)
{
	static const char *names[] = { "int", "code", "slug", "uuid", "str" };
	for (int i = 0; i < 5; i++)
		if (strlen(names[i]) == n && memcmp(names[i], t, n) == 0)
			return (enum ptype)i;
	return P_BAD;
}

static int valid(enum ptype t, const char *s, size_t n)
{
	switch (t) {
	case P_INT:
		if (n == 0 || n > 18 || s[0] == '0')
			return 0;
		for (size_t i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
		return 1;
	case P_CODE:
		if (n != 6)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
		return 1;
	case P_SLUG:
		if (n == 0 || n > 64)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			      s[i] == '_' || s[i] == '-'))
				return 0;
		return 1;
	case P_UUID:
		if (n != 36)
			return 0;
		for (size_t i = 0; i < n; i++) {
			int dash = i == 8 || i == 13 || i == 18 || i == 23;
			char c = s[i];
			if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return 0;
		}
		return 1;
	case P_STR:
		return n > 0 && n <= 128;
	default:
		return 0;
	}
}

/* Match path against pattern; on success fill params (when r is given). */
static int match_one(struct req *r, const char *pat, const char *path, int fill)
{
	size_t np = 0;
	while (*pat && *path) {
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		const char *pe = strchr(pat, '/'), *qe = strchr(path, '/');
		size_t pl = pe ? (size_t)(pe - pat) : strlen(pat);
		size_t ql = qe ? (size_t)(qe - path) : strlen(path);
		if (pl > 2 && pat[0] == '{' && pat[pl - 1] == '}') {
			const char *colon = memchr(pat, ':', pl);
			if (colon == NULL)
				return 0;
			enum ptype t = ptype_of(colon + 1, (size_t)(pat + pl - 1 - colon - 1));
			if (!valid(t, path, ql))
				return 0;
			if (fill && np < REQ_MAX_PARAMS) {
				struct kv *kv = &r->params[np++];
				kv->klen = (size_t)(colon - pat - 1);
				kv->k = arena_strndup(r->arena, pat + 1, kv->klen);
				kv->vlen = ql;
				kv->v = arena_strndup(r->arena, path, ql);
				if (kv->k == NULL || kv->v == NULL)
					return 0;
			}
		} else if (pl != ql || memcmp(pat, path, pl) != 0) {
			return 0;
		}
		pat += pl;
		path += ql;
	}
	if (*pat || *path)
		return 0;
	if (fill)
		r->nparams = np;
	return 1;
}

enum route_result route_match(struct req *r, const struct route *routes, size_t n,
			      unsigned *allowed)
{
	*allowed = 0;
	for (size_t i = 0; i < n; i++) {
		if (!match_one(r, routes[i].pattern, r->path, 0))
			continue;
		unsigned m = routes[i].methods;
		if (m & M_GET)
			m |= M_HEAD;
		if (m & r->method) {
			if (!match_one(r, routes[i].pattern, r->path, 1))
				return ROUTE_NOT_FOUND;
			r->route_index = (int)i;
			return ROUTE_FOUND;
		}
		*allowed |= m;
	}
	return *allowed ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}

const char *route_allow_header(struct arena *a, unsigned methods)
{
	static const struct {
		unsigned m;
		const char *name;
	} names[] = { { M_GET, "GET" },	    { M_HEAD, "HEAD" },	    { M_POST, "POST" },
		      { M_PUT, "PUT" },	    { M_PATCH, "PATCH" },   { M_DELETE, "DELETE" },
		      { M_OPTIONS, "OPTIONS" } };
	char buf[64];
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(methods & names[i].m))
			continue;
		int w = snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? ", " : "", names[i].name);
		if (w < 0 || (size_t)w >= sizeof(buf) - o)
			break;
		o += (size_t)w;
	}
	return arena_strndup(a, buf, o);
}

int route_check(const struct route *routes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *p = routes[i].pattern;
		if (p[0] != '/')
			return -1;
		while ((p = strchr(p, '{')) != NULL) {
			const char *c = strchr(p, ':'), *e = strchr(p, '}');
			if (c == NULL || e == NULL || c > e || ptype_of(c + 1, (size_t)(e - c - 1)) == P_BAD)
				return -1;
			p = e;
		}
	}
	return 0;
}

static const struct qkey *qkey_find(const struct route *rt, const char *name)
{
	for (const struct qkey *k = rt ? rt->query : NULL; k && k->name; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

/* What a key takes, for the 400: "limit: an integer from 1 to 200". */
static const char *qkey_expects(struct arena *a, const struct qkey *k)
{
	switch (k->kind) {
	case QK_INT:
		return arena_printf(a, "%s: an integer from %" PRId64 " to %" PRId64 ", given once.", k->name, k->min,
				    k->max);
	case QK_ENUM: {
		char buf[256];
		size_t o = 0;
		buf[0] = '\0';
		for (const char *const *c = k->choices; *c; c++) {
			int w = snprintf(buf + o, sizeof(buf) - o, "%s%s", o ? ", " : "", *c);
			if (w < 0 || (size_t)w >= sizeof(buf) - o)
				break;
			o += (size_t)w;
		}
		return arena_printf(a, "%s: one of %s, given once.", k->name, buf);
	}
	default:
		return arena_printf(a, "%s: %s, given once.", k->name, k->what ? k->what : "text");
	}
}

int route_query_check(struct req *r, const struct route *rt)
{
	for (const struct qkey *k = rt->query; k && k->name; k++) {
		const char *v = req_query(r, k->name);
		if (v == NULL)
			continue;
		int ok = req_query_count(r, k->name) == 1;
		int64_t x;
		if (ok && k->kind == QK_INT)
			ok = req_query_int(r, k->name, k->min, k->max, k->dflt, &x) == 1;
		else if (ok && k->kind == QK_ENUM) {
			ok = 0;
			for (const char *const *c = k->choices; *c && !ok; c++)
				ok = strcmp(*c, v) == 0;
		} else if (ok)
			ok = v[0] != '\0' && strlen(v) <= (size_t)k->max && (k->check == NULL || k->check(v));
		if (!ok) {
			resp_problem(r, 400, "invalid_parameter", qkey_expects(r->arena, k));
			return -1;
		}
	}
	return 0;
}

int64_t req_qint(const struct req *r, const char *name)
{
	const struct qkey *k = qkey_find(r->route, name);
	int64_t x = k ? k->dflt : 0;
	if (k == NULL || req_query_int(r, name, k->min, k->max, k->dflt, &x) < 0)
		return k ? k->dflt : 0;
	return x;
}
