/* Applicant progress: POST {"number", "id_last6"} (the case number and the
 * last six characters of a party's ID number) -> state, due date, timeline
 * (no staff names), and while a supplement is requested the documents the
 * deciding agency listed as missing. The secret travels in the body, never in a URL.
 *
 * Nothing tells an unknown number from a wrong pair: the proof is a keyed
 * HMAC compared by one index probe in PostgreSQL (cases.public_progress),
 * both get the same 404 with the same headers, and every request counts
 * against its case number string whether or not the case exists: 5 wrong
 * in an hour lock that number (429 progress_locked, Retry-After) for every
 * address. No answer is cached: each one is a counted attempt. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../core/db.h"
#include "../core/keyring.h"
#include "../core/server.h"
#include "../core/valid.h"
#include "public.h"

static const struct stmt q_progress = {
	"public_progress",
	"SELECT kind, outcome, coalesce(retry_after, 0), business_type, type_name, state, coalesce(due_date, ''),"
	" coalesce(at_us, 0), action FROM cases.public_progress($1, $2, to_timestamp($3::float8 / 1000000))",
	3,
};

static int valid_number(const char *s)
{
	static const char form[] = "TB-dddddd-dddd-dddddd";
	if (strlen(s) != sizeof(form) - 1)
		return 0;
	for (size_t i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
			return 0;
	return 1;
}

static int valid_last6(const char *s)
{
	if (strlen(s) != 6)
		return 0;
	for (int i = 0; i < 6; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return 0;
	return 1;
}

/* POST /api/v1/public/progress */
void h_progress(struct req *r)
{
	static const struct field spec[] = {
		{ "number", V_STRING, 1, 21, 21, valid_number },
		{ "id_last6", V_STRING, 1, 6, 6, valid_last6 },
	};
	struct fval v[2];
	if (valid_body(r, spec, 2, v) != 0)
		return;
	const struct keyring *k = r->w->conf.keys;
	if (!keyring_usable(k)) {
		resp_header(r, "Retry-After", "30");
		resp_problem(r, 503, "data_keys_unavailable", "Progress cannot be checked at the moment.");
		return;
	}
	char proof[32], hex[65];
	int pl = snprintf(proof, sizeof(proof), "%s:%s", v[0].s, v[1].s);
	if (pl < 0 || (size_t)pl >= sizeof(proof))
		return;
	for (int i = pl - 6; i < pl; i++)
		if (proof[i] >= 'a' && proof[i] <= 'z')
			proof[i] = (char)(proof[i] - 'a' + 'A');
	int rc = keyring_index(k, "progress", proof, (size_t)pl, hex);
	OPENSSL_cleanse(proof, sizeof(proof));
	if (rc != 0)
		return;
	const char *params[] = { v[0].s, hex, i64str(r, req_now_us(r)) };
	PGresult *res = db_exec(r, &q_progress, params);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (res == NULL)
		return;
	resp_header(r, "Cache-Control", "no-store");
	const char *outcome = PQntuples(res) > 0 ? PQgetvalue(res, 0, 1) : "";
	if (strcmp(outcome, "locked") == 0) {
		/* headers are written after the request's results are cleared */
		resp_header(r, "Retry-After", i64str(r, strtoll(PQgetvalue(res, 0, 2), NULL, 10)));
		resp_problem(r, 429, "progress_locked",
			     "Too many wrong attempts for this case number; try again later.");
		return;
	}
	if (strcmp(outcome, "ok") != 0) {
		resp_problem(r, 404, "progress_not_found",
			     "No case matches this number and these ID characters.");
		return;
	}
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "number", v[0].s);
	jg_str(g, "business_type", PQgetvalue(res, 0, 3));
	jg_str(g, "business_type_name", PQgetvalue(res, 0, 4));
	jg_str(g, "state", PQgetvalue(res, 0, 5));
	const char *due = PQgetvalue(res, 0, 6);
	jg_str(g, "due_date", due[0] ? due : NULL);
	/* kind 1: the timeline; kind 2: what the deciding agency asked for in
	 * its latest request for a supplement, while the case waits for it */
	jg_key(g, "timeline");
	yajl_gen_array_open(g);
	for (int i = 1; i < PQntuples(res); i++) {
		if (atoi(PQgetvalue(res, i, 0)) != 1)
			continue;
		yajl_gen_map_open(g);
		jg_str(g, "at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 7), NULL, 10)));
		jg_str(g, "action", PQgetvalue(res, i, 8));
		jg_str(g, "state", PQgetvalue(res, i, 5));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	jg_key(g, "missing");
	yajl_gen_array_open(g);
	for (int i = 1; i < PQntuples(res); i++)
		if (atoi(PQgetvalue(res, i, 0)) == 2)
			jg_cstr(g, PQgetvalue(res, i, 8));
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
