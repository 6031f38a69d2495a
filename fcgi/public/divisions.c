/* Administrative divisions (region, cities, counties): reference data that
 * window terminals and applicant pages use to label codes. Public: the data
 * is published by the National Bureau of Statistics. */
#include <stdio.h>
#include <string.h>

#include "../core/cache.h"
#include "../core/db.h"
#include "../core/list.h"
#include "../core/server.h"
#include "../core/valid.h"
#include "public.h"

#define RESOLVE_MAX 100
#define DIVISION_TTL 3600

#define Q_DIVISION_GET(P, C) \
	P(code, TEXT) C(code, TEXT) C(name, TEXT) C(level, TEXT) C(parent_code, TEXT) C(children, I64)
DB_QUERY(division_get, Q_DIVISION_GET,
	 "SELECT d.code, d.name, d.level, d.parent_code,"
	 " (SELECT count(*) FROM ref.division c WHERE c.parent_code = d.code)"
	 " FROM ref.division d WHERE d.code = $1");

/* the lists read rows of one shape */
#define DIVISION_COLS(P, C) C(code, TEXT) C(name, TEXT) C(level, TEXT)
DB_ROW(division_row, DIVISION_COLS);
#define Q_DIVISION_CHILDREN(P, C) DIVISION_COLS(P, C) P(parent, TEXT)
DB_QUERY_AS(division_children, Q_DIVISION_CHILDREN, division_row,
	    "SELECT code, name, level FROM ref.division WHERE parent_code = $1 ORDER BY code");
DB_QUERY_AS(division_top, DIVISION_COLS, division_row,
	    "SELECT code, name, level FROM ref.division WHERE parent_code IS NULL ORDER BY code");
/* codes: a text array literal */
#define Q_DIVISION_MANY(P, C) DIVISION_COLS(P, C) P(codes, TEXT)
DB_QUERY_AS(division_many, Q_DIVISION_MANY, division_row,
	    "SELECT code, name, level FROM ref.division WHERE code = ANY($1::text[]) ORDER BY code");

static const struct jcol division_cols[] = {
	JCOL_STR("code", struct division_row, code),
	JCOL_STR("name", struct division_row, name),
	JCOL_STR("level", struct division_row, level),
	JCOL_END,
};

/* GET /api/v1/divisions/{code}: cache-aside in Redis; the database answers
 * when the cache misses or is down. */
void h_division_get(struct req *r)
{
	const char *code = req_param(r, "code");
	char key[32];
	int kl = snprintf(key, sizeof(key), "tb:division:%s", code);
	char *val;
	size_t vlen;
	if (kl > 0 && (size_t)kl < sizeof(key) &&
	    cache_get(&r->w->cache, r->arena, key, (size_t)kl, &val, &vlen)) {
		resp_header(r, "X-Cache", "hit");
		resp_raw(r, 200, "application/json", val, vlen);
		return;
	}
	struct division_get_row *d;
	int n = division_get_run(r, &(struct division_get_in){ .code = code }, &d);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "division_not_found", "No division has this code.");
		return;
	}
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "code", d->code);
	jg_str(g, "name", d->name);
	jg_str(g, "level", d->level);
	jg_str(g, "parent_code", d->parent_code);
	jg_int(g, "children", d->children);
	yajl_gen_map_close(g);
	resp_json(r, 200);
	if (r->status == 200 && kl > 0)
		cache_set(&r->w->cache, key, (size_t)kl, r->resp_body, r->resp_len, DIVISION_TTL);
	resp_header(r, "X-Cache", "miss");
}

const struct qkey division_list_query[] = {
	QKEY_TEXT("parent", 6, valid_digits6, "a 6-digit division code"),
	QKEY_END,
};

/* GET /api/v1/divisions?parent=CODE: the children of a division, or the
 * region itself without a parent. All of them (a division has at most a
 * few dozen children): no paging. */
void h_division_list(struct req *r)
{
	const char *parent = req_query(r, "parent");
	struct division_row *rows;
	int n = parent ? division_children_run(r, &(struct division_children_in){ .parent = parent }, &rows)
		       : division_top_run(r, &(struct division_top_in){ 0 }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), division_cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/divisions/resolve {"codes": ["450103", ...]}: names for up to
 * 100 codes at once; unknown codes are listed, not an error. */
void h_division_resolve(struct req *r)
{
	const struct json *body = req_json_object(r);
	if (body == NULL)
		return;
	const struct json *codes = json_get(body, "codes");
	if (codes == NULL) {
		resp_problem(r, 400, "missing_field", "codes is required.");
		return;
	}
	if (codes->type != JSON_ARRAY || codes->count == 0 || codes->count > RESOLVE_MAX) {
		resp_problem(r, 400, "invalid_field", "codes must be an array of 1 to 100 division codes.");
		return;
	}
	for (const struct json *m = body->child; m; m = m->next)
		if (strcmp(m->key, "codes") != 0) {
			resp_problem(r, 400, "unknown_field", "Only codes may be given.");
			return;
		}
	/* a PostgreSQL array literal of validated 6-digit codes */
	size_t cap = codes->count * 7 + 3, o = 0;
	char *arr = arena_alloc(r->arena, cap);
	if (arr == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	arr[o++] = '{';
	for (const struct json *c = codes->child; c; c = c->next) {
		if (c->type != JSON_STRING || !valid_digits6(c->s)) {
			resp_problem(r, 400, "invalid_field", "Each code must be a string of 6 digits.");
			return;
		}
		if (o > 1)
			arr[o++] = ',';
		memcpy(arr + o, c->s, 6);
		o += 6;
	}
	arr[o++] = '}';
	arr[o] = '\0';
	struct division_row *rows;
	int n = division_many_run(r, &(struct division_many_in){ .codes = arr }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), division_cols);
	jg_key(g, "unknown");
	yajl_gen_array_open(g);
	for (const struct json *c = codes->child; c; c = c->next) {
		int found = 0;
		for (int i = 0; i < n && !found; i++)
			found = strcmp(rows[i].code, c->s) == 0;
		if (!found)
			jg_cstr(g, c->s);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
