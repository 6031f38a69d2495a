/* Applicant progress: case number + the last six characters of a party's
 * ID number -> state, due date, timeline (no staff names). Answers are
 * cached in Redis per case; intake drops the entry on every transition. A
 * wrong pair and an unknown number get the same 404; nginx limits the rate
 * per client address (zone "applicant"). */
#include <stdlib.h>
#include <string.h>

#include "../core/cache.h"
#include "../core/crypto.h"
#include "../core/db.h"
#include "../core/server.h"
#include "public.h"

#define PROGRESS_TTL 60

static const struct stmt q_case = {
	"progress_case",
	"SELECT business_type, type_name, state, coalesce(due_date::text, ''), array_to_string(keys, ' ')"
	" FROM cases.public_case($1)",
	1,
};
static const struct stmt q_timeline = {
	"progress_timeline",
	"SELECT (extract(epoch FROM at) * 1000000)::bigint, action, state FROM cases.public_timeline($1)",
	1,
};

static int valid_number(const char *s)
{
	static const char form[] = "TB-dddddd-dddd-dddddd";
	if (s == NULL || strlen(s) != sizeof(form) - 1)
		return 0;
	for (size_t i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
			return 0;
	return 1;
}

static int valid_last6(const char *s)
{
	if (s == NULL || strlen(s) != 6)
		return 0;
	for (int i = 0; i < 6; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (i == 5 && (s[i] == 'X' || s[i] == 'x')) ||
		      (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	return 1;
}

static void not_found(struct req *r)
{
	resp_problem(r, 404, "progress_not_found",
		     "No case matches this number and these ID characters.");
}

/* GET /api/v1/public/progress?number=TB-...&id_last6=... */
void h_progress(struct req *r)
{
	const char *number = req_query(r, "number"), *last6 = req_query(r, "id_last6");
	if (!valid_number(number) || !valid_last6(last6)) {
		resp_problem(r, 400, "invalid_parameter",
			     "number is a case number (TB-450103-2026-000001), id_last6 the last six characters of an ID number.");
		return;
	}
	char up[7], key[64], hex[65];
	for (int i = 0; i < 7; i++)
		up[i] = (char)(last6[i] >= 'a' && last6[i] <= 'z' ? last6[i] - 32 : last6[i]);
	char *proof = arena_printf(r->arena, "%s:%s", number, up);
	unsigned char h[32];
	crypto_sha256(proof, strlen(proof), h);
	hex_encode(h, 32, hex);
	int kl = snprintf(key, sizeof(key), "tb:progress:%s", number);
	char *val;
	size_t vlen;
	struct json *cached;
	if (cache_get(&r->w->cache, r->arena, key, (size_t)kl, &val, &vlen) &&
	    json_parse(r->arena, (const unsigned char *)val, vlen, 8, &cached) == JSON_OK) {
		const struct json *keys = json_get(cached, "keys"), *body = json_get(cached, "body");
		int ok = 0;
		for (const struct json *k = keys ? keys->child : NULL; k && !ok; k = k->next)
			ok = k->type == JSON_STRING && crypto_equal(k->s, hex, 64) && k->len == 64;
		if (body && body->type == JSON_STRING) {
			resp_header(r, "X-Cache", "hit");
			if (!ok)
				not_found(r);
			else
				resp_raw(r, 200, "application/json", body->s, body->len);
			return;
		}
	}
	const char *params[] = { number };
	PGresult *c = db_exec(r, &q_case, params), *t = c ? db_exec(r, &q_timeline, params) : NULL;
	if (t == NULL)
		return;
	if (PQntuples(c) != 1) {
		not_found(r);
		return;
	}
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	jg_str(g, "number", number);
	jg_str(g, "business_type", PQgetvalue(c, 0, 0));
	jg_str(g, "business_type_name", PQgetvalue(c, 0, 1));
	jg_str(g, "state", PQgetvalue(c, 0, 2));
	const char *due = PQgetvalue(c, 0, 3);
	jg_str(g, "due_date", due[0] ? due : NULL);
	jg_key(g, "timeline");
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(t); i++) {
		yajl_gen_map_open(g);
		jg_str(g, "at", time_rfc3339(r->arena, strtoll(PQgetvalue(t, i, 0), NULL, 10)));
		jg_str(g, "action", PQgetvalue(t, i, 1));
		jg_str(g, "state", PQgetvalue(t, i, 2));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	const unsigned char *body;
	size_t blen;
	if (yajl_gen_get_buf(g, &body, &blen) != yajl_gen_status_ok) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	/* cache: the answer and the proofs that unlock it */
	yajl_gen cg = json_gen_new(r->arena);
	yajl_gen_map_open(cg);
	jg_key(cg, "keys");
	yajl_gen_array_open(cg);
	char *keys = arena_strndup(r->arena, PQgetvalue(c, 0, 4), strlen(PQgetvalue(c, 0, 4)));
	int match = 0;
	char *save = NULL;
	for (char *k = keys ? strtok_r(keys, " ", &save) : NULL; k; k = strtok_r(NULL, " ", &save)) {
		jg_cstr(cg, k);
		match |= strlen(k) == 64 && crypto_equal(k, hex, 64);
	}
	yajl_gen_array_close(cg);
	jg_strn(cg, "body", (const char *)body, blen);
	yajl_gen_map_close(cg);
	const unsigned char *cb;
	size_t clen;
	if (yajl_gen_get_buf(cg, &cb, &clen) == yajl_gen_status_ok)
		cache_set(&r->w->cache, key, (size_t)kl, cb, clen, PROGRESS_TTL);
	resp_header(r, "X-Cache", "miss");
	if (!match) {
		not_found(r);
		return;
	}
	resp_raw(r, 200, "application/json", body, blen);
}
