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
#include <string.h>

#include <openssl/crypto.h>

#include "../core/db.h"
#include "../core/keyring.h"
#include "../core/server.h"
#include "../core/valid.h"
#include "public.h"

/* The first row says how the attempt went (outcome, retry_after) and, when
 * it matched, the case; the next rows are of kind 1 (the timeline: at_us,
 * action, state) or 2 (a missing document in action). */
enum { PROGRESS_TIMELINE = 1, PROGRESS_MISSING = 2 };
#define Q_PROGRESS(P, C)                                                                          \
	P(number, TEXT) P(proof, TEXT) P(now_us, I64)                                              \
	C(kind, INT) C(outcome, TEXT) C(retry_after, INT) C(business_type, TEXT) C(type_name, TEXT) \
	C(state, TEXT) C(due_date, TEXT) C(at_us, I64) C(action, TEXT)
DB_QUERY(public_progress, Q_PROGRESS,
	 "SELECT kind, outcome, retry_after, business_type, type_name, state, due_date, at_us, action"
	 " FROM cases.public_progress($1, $2, to_timestamp($3::float8 / 1000000))");

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

enum { PF_NUMBER, PF_LAST6, PF_COUNT };

int progress_proof(struct req *r, const char **number, char hex[65])
{
	static const struct field spec[PF_COUNT] = {
		[PF_NUMBER] = { "number", V_STRING, 1, 21, 21, valid_number },
		[PF_LAST6] = { "id_last6", V_STRING, 1, 6, 6, valid_last6 },
	};
	struct fval v[PF_COUNT];
	if (valid_body(r, spec, PF_COUNT, v) != 0)
		return -1;
	const struct keyring *k = r->w->conf.keys;
	if (!keyring_usable(k)) {
		resp_header(r, "Retry-After", "30");
		resp_problem(r, 503, "data_keys_unavailable", "Progress cannot be checked at the moment.");
		return -1;
	}
	char proof[32];
	int pl = snprintf(proof, sizeof(proof), "%s:%s", v[PF_NUMBER].s, v[PF_LAST6].s);
	if (pl < 0 || (size_t)pl >= sizeof(proof)) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	for (int i = pl - 6; i < pl; i++)
		if (proof[i] >= 'a' && proof[i] <= 'z')
			proof[i] = (char)(proof[i] - 'a' + 'A');
	int rc = keyring_index(k, "progress", proof, (size_t)pl, hex);
	OPENSSL_cleanse(proof, sizeof(proof));
	if (rc != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	*number = v[PF_NUMBER].s;
	return 0;
}

int progress_refused(struct req *r, const char *outcome, int retry_after)
{
	resp_header(r, "Cache-Control", "no-store");
	if (outcome && strcmp(outcome, "locked") == 0) {
		/* headers are written after the request's results are cleared */
		resp_header(r, "Retry-After", req_i64str(r, retry_after));
		resp_problem(r, 429, "progress_locked", "Too many wrong attempts for this case number; try again later.");
		return 1;
	}
	if (outcome == NULL || strcmp(outcome, "ok") != 0) {
		resp_problem(r, 404, "progress_not_found", "No case matches this number and these ID characters.");
		return 1;
	}
	return 0;
}

/* POST /api/v1/public/progress */
void h_progress(struct req *r)
{
	const char *number;
	char hex[65];
	if (progress_proof(r, &number, hex) != 0)
		return;
	struct public_progress_row *rows;
	int n = public_progress_run(r, &(struct public_progress_in){ .number = number, .proof = hex, .now_us = req_now_us(r) },
				    &rows);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (n < 0)
		return;
	const struct public_progress_row *head = n > 0 ? &rows[0] : NULL;
	if (progress_refused(r, head ? head->outcome : NULL, head ? head->retry_after : 0))
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "number", number);
	jg_str(g, "business_type", head->business_type);
	jg_str(g, "business_type_name", head->type_name);
	jg_str(g, "state", head->state);
	jg_str(g, "due_date", head->due_date && head->due_date[0] ? head->due_date : NULL);
	/* the timeline; then what the deciding agency asked for in its latest
	 * request for a supplement, while the case waits for it */
	jg_key(g, "timeline");
	yajl_gen_array_open(g);
	for (int i = 1; i < n; i++) {
		if (rows[i].kind != PROGRESS_TIMELINE)
			continue;
		yajl_gen_map_open(g);
		jg_str(g, "at", time_rfc3339(r->arena, rows[i].at_us));
		jg_str(g, "action", rows[i].action);
		jg_str(g, "state", rows[i].state);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	jg_key(g, "missing");
	yajl_gen_array_open(g);
	for (int i = 1; i < n; i++)
		if (rows[i].kind == PROGRESS_MISSING)
			jg_cstr(g, rows[i].action);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
