#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

struct pctx {
	struct arena *a;
	struct json *root;
	struct json *stack[256];
	unsigned depth, max_depth;
	const char *pending_key;
	size_t pending_len;
	enum json_err err;
};

static void *a_malloc(void *ctx, size_t n)
{
	/* yajl's own buffers come from the request arena too */
	size_t *p = arena_alloc(ctx, n + sizeof(size_t) * 2);
	if (p == NULL)
		return NULL;
	p[0] = n;
	return p + 2;
}

static void *a_realloc(void *ctx, void *old, size_t n)
{
	void *p = a_malloc(ctx, n);
	if (p && old) {
		size_t on = ((size_t *)old)[-2];
		memcpy(p, old, on < n ? on : n);
	}
	return p;
}

static void a_free(void *ctx, void *p)
{
	(void)ctx;
	(void)p;
}

static int add(struct pctx *c, struct json *v)
{
	if (c->depth == 0) {
		c->root = v;
		return 1;
	}
	struct json *parent = c->stack[c->depth - 1];
	if (parent->type == JSON_OBJECT) {
		if (c->pending_key == NULL)
			return 0;
		for (struct json *m = parent->child; m; m = m->next)
			if (m->key_len == c->pending_len &&
			    memcmp(m->key, c->pending_key, c->pending_len) == 0) {
				c->err = JSON_DUPLICATE_KEY;
				return 0;
			}
		v->key = c->pending_key;
		v->key_len = c->pending_len;
		c->pending_key = NULL;
	}
	if (parent->last)
		parent->last->next = v;
	else
		parent->child = v;
	parent->last = v;
	parent->count++;
	return 1;
}

static struct json *node(struct pctx *c, enum json_type t)
{
	struct json *v = arena_alloc(c->a, sizeof(*v));
	if (v == NULL)
		c->err = JSON_NOMEM;
	else
		v->type = t;
	return v;
}

static int cb_null(void *ctx)
{
	struct pctx *c = ctx;
	struct json *v = node(c, JSON_NULL);
	return v && add(c, v);
}

static int cb_bool(void *ctx, int b)
{
	struct pctx *c = ctx;
	struct json *v = node(c, JSON_BOOL);
	if (v == NULL)
		return 0;
	v->b = b;
	return add(c, v);
}

/* yajl refuses raw control characters but decodes escaped ones: "\u0000"
 * would cut a C string short (a code read as another), and the other C0
 * controls have no business in any field. Tab and line breaks stay. */
static int bad_chars(struct pctx *c, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
			c->err = JSON_BAD_CHAR;
			return 1;
		}
	return 0;
}

static int cb_text(struct pctx *c, enum json_type t, const unsigned char *s, size_t n)
{
	if (t == JSON_STRING && bad_chars(c, s, n))
		return 0;
	struct json *v = node(c, t);
	if (v == NULL)
		return 0;
	v->s = arena_strndup(c->a, (const char *)s, n);
	v->len = n;
	if (v->s == NULL) {
		c->err = JSON_NOMEM;
		return 0;
	}
	return add(c, v);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	return cb_text(ctx, JSON_NUMBER, (const unsigned char *)s, n);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	return cb_text(ctx, JSON_STRING, s, n);
}

static int open_container(struct pctx *c, enum json_type t)
{
	if (c->depth >= c->max_depth || c->depth >= sizeof(c->stack) / sizeof(c->stack[0])) {
		c->err = JSON_TOO_DEEP;
		return 0;
	}
	struct json *v = node(c, t);
	if (v == NULL || !add(c, v))
		return 0;
	c->stack[c->depth++] = v;
	return 1;
}

static int cb_start_map(void *ctx)
{
	return open_container(ctx, JSON_OBJECT);
}

static int cb_start_array(void *ctx)
{
	return open_container(ctx, JSON_ARRAY);
}

static int cb_end(void *ctx)
{
	struct pctx *c = ctx;
	c->depth--;
	return 1;
}

static int cb_key(void *ctx, const unsigned char *k, size_t n)
{
	struct pctx *c = ctx;
	if (bad_chars(c, k, n))
		return 0;
	c->pending_key = arena_strndup(c->a, (const char *)k, n);
	c->pending_len = n;
	if (c->pending_key == NULL) {
		c->err = JSON_NOMEM;
		return 0;
	}
	return 1;
}

static const yajl_callbacks callbacks = {
	cb_null, cb_bool, NULL, NULL, cb_number, cb_string, cb_start_map,
	cb_key,	 cb_end,  cb_start_array, cb_end,
};

enum json_err json_parse(struct arena *a, const unsigned char *p, size_t n, unsigned max_depth,
			 struct json **out)
{
	struct pctx c = { .a = a, .max_depth = max_depth, .err = JSON_OK };
	yajl_alloc_funcs af = { a_malloc, a_realloc, a_free, a };
	yajl_handle h = yajl_alloc(&callbacks, &af, &c);
	if (h == NULL)
		return JSON_NOMEM;
	yajl_status s = yajl_parse(h, p, n);
	if (s == yajl_status_ok)
		s = yajl_complete_parse(h);
	yajl_free(h);
	if (s != yajl_status_ok || c.root == NULL)
		return c.err != JSON_OK ? c.err : JSON_SYNTAX;
	*out = c.root;
	return JSON_OK;
}

yajl_gen json_gen_new(struct arena *a)
{
	yajl_alloc_funcs af = { a_malloc, a_realloc, a_free, a };
	yajl_gen g = yajl_gen_alloc(&af);
	if (g)
		yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	return g;
}

const struct json *json_get(const struct json *obj, const char *key)
{
	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	size_t n = strlen(key);
	for (const struct json *m = obj->child; m; m = m->next)
		if (m->key_len == n && memcmp(m->key, key, n) == 0)
			return m;
	return NULL;
}

int json_int64(const struct json *v, int64_t *out)
{
	if (v == NULL || v->type != JSON_NUMBER || strpbrk(v->s, ".eE") != NULL)
		return -1;
	char *end;
	errno = 0;
	long long x = strtoll(v->s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = x;
	return 0;
}

void jg_key(yajl_gen g, const char *k)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
}

void jg_cstr(yajl_gen g, const char *v)
{
	if (v == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

void jg_str(yajl_gen g, const char *k, const char *v)
{
	jg_key(g, k);
	jg_cstr(g, v);
}

void jg_strn(yajl_gen g, const char *k, const char *v, size_t n)
{
	jg_key(g, k);
	yajl_gen_string(g, (const unsigned char *)v, n);
}

void jg_int(yajl_gen g, const char *k, long long v)
{
	jg_key(g, k);
	yajl_gen_integer(g, v);
}

void jg_bool(yajl_gen g, const char *k, int v)
{
	jg_key(g, k);
	yajl_gen_bool(g, v);
}

void jg_null(yajl_gen g, const char *k)
{
	jg_key(g, k);
	yajl_gen_null(g);
}

struct json *json_without(struct arena *ar, const struct json *obj, const struct json *a,
			  const struct json *b)
{
	struct json *copy = arena_alloc(ar, sizeof(*copy));
	if (copy == NULL)
		return NULL;
	*copy = *obj;
	copy->child = copy->last = NULL;
	copy->count = 0;
	for (const struct json *m = obj->child; m; m = m->next) {
		if (m == a || m == b)
			continue;
		struct json *c = arena_alloc(ar, sizeof(*c));
		if (c == NULL)
			return NULL;
		*c = *m;
		c->next = NULL;
		if (copy->last)
			copy->last->next = c;
		else
			copy->child = c;
		copy->last = c;
		copy->count++;
	}
	return copy;
}

void jg_words(yajl_gen g, struct arena *a, const char *k, const char *words)
{
	jg_key(g, k);
	yajl_gen_array_open(g);
	char *copy = arena_strndup(a, words, strlen(words)), *save = NULL;
	for (char *t = copy ? strtok_r(copy, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save))
		jg_cstr(g, t);
	yajl_gen_array_close(g);
}

/* A flat JSON object of up to two text members and one number member
 * (NULL keys are left out), in the arena. */
char *json_members(struct arena *a, const char *k1, const char *v1, const char *k2, const char *v2,
		   const char *nkey, int64_t nval)
{
	yajl_gen g = json_gen_new(a);
	const unsigned char *b;
	size_t len;
	if (g == NULL)
		return NULL;
	yajl_gen_map_open(g);
	if (k1)
		jg_str(g, k1, v1);
	if (k2)
		jg_str(g, k2, v2);
	if (nkey)
		jg_int(g, nkey, nval);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &b, &len) != yajl_gen_status_ok)
		return NULL;
	return arena_strndup(a, (const char *)b, len);
}

char *json_pairs(struct arena *a, const char *k1, const char *v1, const char *k2, const char *v2)
{
	return json_members(a, k1, v1, k2, v2, NULL, 0);
}

void jg_code_name(yajl_gen g, const char *k, const char *code, const char *name)
{
	jg_key(g, k);
	yajl_gen_map_open(g);
	jg_str(g, "code", code);
	jg_str(g, "name", name);
	yajl_gen_map_close(g);
}
