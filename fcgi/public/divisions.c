/* Administrative divisions (region, cities, counties): reference data that
 * window terminals and applicant pages use to label codes. Public: the data
 * is published by the National Bureau of Statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/cache.h"
#include "../core/db.h"
#include "../core/server.h"
#include "../core/valid.h"
#include "public.h"

#define RESOLVE_MAX 100
#define DIVISION_TTL 3600

static const struct stmt q_division_get = {
	"division_get",
	"SELECT d.code, d.name, d.level, d.parent_code,"
	" (SELECT count(*) FROM ref.division c WHERE c.parent_code = d.code)"
	" FROM ref.division d WHERE d.code = $1",
	1,
};

static const struct stmt q_division_children = {
	"division_children",
	"SELECT code, name, level FROM ref.division WHERE parent_code = $1 ORDER BY code",
	1,
};

static const struct stmt q_division_top = {
	"division_top",
	"SELECT code, name, level FROM ref.division WHERE parent_code IS NULL ORDER BY code",
	0,
};

static const struct stmt q_division_many = {
	"division_many",
	"SELECT code, name, level FROM ref.division WHERE code = ANY($1::text[]) ORDER BY code",
	1,
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
	const char *params[] = { code };
	PGresult *res = db_exec(r, &q_division_get, params);
	if (res == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "division_not_found", "No division has this code.");
		return;
	}
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "code", PQgetvalue(res, 0, 0));
	jg_str(g, "name", PQgetvalue(res, 0, 1));
	jg_str(g, "level", PQgetvalue(res, 0, 2));
	jg_str(g, "parent_code", PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3));
	jg_int(g, "children", atoll(PQgetvalue(res, 0, 4)));
	yajl_gen_map_close(g);
	resp_json(r, 200);
	if (r->status == 200 && kl > 0)
		cache_set(&r->w->cache, key, (size_t)kl, r->resp_body, r->resp_len, DIVISION_TTL);
	resp_header(r, "X-Cache", "miss");
}

static void gen_rows(yajl_gen g, PGresult *res)
{
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(res); i++) {
		yajl_gen_map_open(g);
		jg_str(g, "code", PQgetvalue(res, i, 0));
		jg_str(g, "name", PQgetvalue(res, i, 1));
		jg_str(g, "level", PQgetvalue(res, i, 2));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* GET /api/v1/divisions?parent=CODE: the children of a division, or the
 * region itself without a parent. */
void h_division_list(struct req *r)
{
	const char *parent = req_query(r, "parent");
	if (req_query_count(r, "parent") > 1 || (parent && !valid_digits6(parent))) {
		resp_problem(r, 400, "invalid_parameter", "parent must be one 6-digit division code.");
		return;
	}
	PGresult *res;
	if (parent) {
		const char *params[] = { parent };
		res = db_exec(r, &q_division_children, params);
	} else {
		res = db_exec(r, &q_division_top, NULL);
	}
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	gen_rows(g, res);
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
	const char *params[] = { arr };
	PGresult *res = db_exec(r, &q_division_many, params);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	gen_rows(g, res);
	jg_key(g, "unknown");
	yajl_gen_array_open(g);
	for (const struct json *c = codes->child; c; c = c->next) {
		int found = 0;
		for (int i = 0; i < PQntuples(res) && !found; i++)
			found = strcmp(PQgetvalue(res, i, 0), c->s) == 0;
		if (!found)
			jg_cstr(g, c->s);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
