/* Parties' ID numbers at rest: sealed with the data keys (keyring.h) when a
 * case is created, shown masked everywhere, and revealed in full only to
 * staff who may read the case, with a reason, audited. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../core/keyring.h"
#include "../core/list.h"
#include "../core/log.h"
#include "../domain/register.h"
#include "intake.h"

#define AAD_PARTY "cases.party.id_number"

const struct keyring *data_keys(struct req *r)
{
	const struct keyring *k = r->w->conf.keys;
	if (keyring_usable(k))
		return k;
	/* fail closed: without keys no ID number is stored or shown */
	resp_header(r, "Retry-After", "30");
	resp_problem(r, 503, "data_keys_unavailable",
		     "The data keys are not loaded; ID numbers can be neither stored nor read.");
	return NULL;
}

int party_seal(struct req *r, const struct keyring *k, const char *id_type, const char *id_number,
	       const char *case_number, struct sealed_id *out)
{
	size_t n = strlen(id_number);
	char *norm = arena_strndup(r->arena, id_number, n);
	if (norm == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (norm[i] >= 'a' && norm[i] <= 'z')
			norm[i] = (char)(norm[i] - 'a' + 'A');
	char *typed = arena_printf(r->arena, "%s:%s", id_type, norm);
	char *proof = arena_printf(r->arena, "%s:%s", case_number, norm + (n > 6 ? n - 6 : 0));
	int rc = -1;
	if (typed && proof && (out->sealed = keyring_seal(k, r->arena, norm, n, AAD_PARTY)) != NULL &&
	    keyring_index(k, "id_number", typed, strlen(typed), out->index) == 0 &&
	    keyring_index(k, "progress", proof, strlen(proof), out->progress) == 0) {
		id_mask(norm, out->masked, sizeof(out->masked));
		rc = 0;
	}
	OPENSSL_cleanse(norm, n);
	if (typed)
		OPENSSL_cleanse(typed, strlen(typed));
	if (proof)
		OPENSSL_cleanse(proof, strlen(proof));
	return rc;
}

/* the case's sides, and the party's number: sealed, or (legacy) not yet */
#define Q_PARTY_SEALED(P, C)                                                                      \
	P(case_id, I64) P(seq, I64)                                                                \
	C(receiving_division, TEXT) C(deciding_division, TEXT) C(sealed, TEXT) C(legacy, TEXT)
DB_QUERY(party_sealed, Q_PARTY_SEALED,
	 "SELECT c.receiving_division, c.deciding_division, p.id_number, p.id_number_legacy"
	 " FROM cases.case c LEFT JOIN cases.party p ON p.case_id = c.id AND p.seq = $2 WHERE c.id = $1");

/* POST /api/v1/cases/{id}/parties/{seq}/reveal {"reason"}: the full ID
 * number for staff who may read the case; the reason goes to the audit
 * trail in the same transaction, before the number leaves. */
void h_party_reveal(struct req *r)
{
	enum { F_REASON, F_COUNT };
	static const struct field spec[F_COUNT] = {
		[F_REASON] = { "reason", V_STRING, 1, 4, 200, NULL },
	};
	const struct principal *p = auth_session(r); /* the route asked case.read */
	struct fval v[F_COUNT];
	if (valid_body(r, spec, F_COUNT, v) != 0)
		return;
	const struct keyring *k = data_keys(r);
	if (k == NULL)
		return;
	const char *id = req_param(r, "id"), *seq = req_param(r, "seq");
	int64_t seqn = strtoll(seq, NULL, 10);
	struct party_sealed_row *c;
	int nc = party_sealed_run(r, &(struct party_sealed_in){ .case_id = strtoll(id, NULL, 10), .seq = seqn }, &c);
	if (nc < 0)
		return;
	/* no authority over the case answers like no case: no existence oracle */
	if (nc != 1 || !(auth_allows(r, p, "case.read", c->receiving_division) ||
			 auth_allows(r, p, "case.read", c->deciding_division))) {
		resp_problem(r, 404, "case_not_found", "No case has this id.");
		return;
	}
	if (c->sealed == NULL && c->legacy == NULL) {
		resp_problem(r, 404, "party_not_found", "The case has no party with this number.");
		return;
	}
	unsigned char *pt = NULL;
	size_t n = 0;
	if (c->sealed != NULL) {
		if (keyring_open(k, r->arena, c->sealed, AAD_PARTY, &pt, &n) != 0) {
			log_error("case %s party %s: the sealed ID number does not open (key %u)", id, seq,
				  keyring_sealed_id(c->sealed));
			resp_problem(r, 500, "internal", "The server could not complete the request.");
			return;
		}
	} else {
		/* not sealed yet (tbctl keys rotate has not run since it was written) */
		n = strlen(c->legacy);
		pt = (unsigned char *)arena_strndup(r->arena, c->legacy, n);
		if (pt == NULL)
			return;
	}
	yajl_gen dg = json_gen_new(r->arena);
	yajl_gen_map_open(dg);
	jg_int(dg, "seq", seqn);
	jg_strn(dg, "reason", v[F_REASON].s, v[F_REASON].len);
	yajl_gen_map_close(dg);
	const unsigned char *details;
	size_t dlen;
	if (yajl_gen_get_buf(dg, &details, &dlen) != yajl_gen_status_ok || db_begin(r) != 0 ||
	    auth_audit(r, p, "party.reveal", "case", id, "success",
			arena_strndup(r->arena, (const char *)details, dlen)) != 0 ||
	    db_commit(r) != 0) {
		OPENSSL_cleanse(pt, n);
		if (!r->responded)
			resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	resp_header(r, "Cache-Control", "no-store");
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_strn(g, "id_number", (const char *)pt, n);
	yajl_gen_map_close(g);
	OPENSSL_cleanse(pt, n);
	resp_json(r, 200);
}

/* scopes: a text array literal of the caller's case.read scopes */
#define Q_BY_ID_NUMBER(P, C)                                                                      \
	P(id_index, TEXT) P(scopes, TEXT)                                                          \
	C(case_id, I64) C(number, TEXT) C(state, TEXT) C(seq, INT) C(role, TEXT) C(name, TEXT)      \
	C(id_number_masked, TEXT)
DB_QUERY(party_by_id_number, Q_BY_ID_NUMBER,
	 "SELECT c.id, c.number, c.state, p.seq, p.role, p.name, coalesce(p.id_number_masked, '')"
	 " FROM cases.party p JOIN cases.case c ON c.id = p.case_id WHERE p.id_number_index = $1"
	 " AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS s (scope)"
	 "  WHERE ref.covers(s.scope, c.receiving_division) OR ref.covers(s.scope, c.deciding_division))"
	 " ORDER BY c.id DESC LIMIT 50");

static const struct jcol by_id_number_cols[] = {
	JCOL_INT("case_id", struct party_by_id_number_row, case_id),
	JCOL_STR("number", struct party_by_id_number_row, number),
	JCOL_STR("state", struct party_by_id_number_row, state),
	JCOL_INT32("seq", struct party_by_id_number_row, seq),
	JCOL_STR("role", struct party_by_id_number_row, role),
	JCOL_STR("name", struct party_by_id_number_row, name),
	JCOL_STR("id_number", struct party_by_id_number_row, id_number_masked),
	JCOL_END,
};

static int id_type_known(const char *s)
{
	return id_type_parse(s) != ID_INVALID_TYPE;
}

/* POST /api/v1/cases/by-id-number {"id_type", "id_number"}: the cases the
 * caller may read in which a party has this number, found through the
 * keyed index (nothing is decrypted; the number stays out of the URL).
 * Audited without the number. */
void h_cases_by_id_number(struct req *r)
{
	enum { F_ID_TYPE, F_ID_NUMBER, F_COUNT };
	static const struct field spec[F_COUNT] = {
		[F_ID_TYPE] = { "id_type", V_STRING, 1, 2, 20, id_type_known },
		[F_ID_NUMBER] = { "id_number", V_STRING, 1, 2, 32, NULL },
	};
	const struct principal *p = auth_session(r); /* the route asked case.read */
	struct fval v[F_COUNT];
	if (valid_body(r, spec, F_COUNT, v) != 0)
		return;
	const char *id_type = v[F_ID_TYPE].s;
	char *norm = arena_strndup(r->arena, v[F_ID_NUMBER].s, v[F_ID_NUMBER].len);
	if (norm == NULL)
		return;
	for (char *q = norm; *q; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	if (!id_number_valid(id_type_parse(id_type), norm)) {
		valid_reject(r, "invalid_id_number", "id_number", "is not a valid number for its ID type.");
		return;
	}
	const struct keyring *k = data_keys(r);
	if (k == NULL)
		return;
	char *typed = arena_printf(r->arena, "%s:%s", id_type, norm), index[65];
	int rc = typed ? keyring_index(k, "id_number", typed, strlen(typed), index) : -1;
	OPENSSL_cleanse(norm, strlen(norm));
	if (typed)
		OPENSSL_cleanse(typed, strlen(typed));
	if (rc != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	char *scope_arr = auth_scope_array(r, p, "case.read");
	if (scope_arr == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	struct party_by_id_number_row *rows;
	int n = party_by_id_number_run(r, &(struct party_by_id_number_in){ .id_index = index, .scopes = scope_arr },
				       &rows);
	if (n < 0)
		return;
	yajl_gen dg = json_gen_new(r->arena);
	yajl_gen_map_open(dg);
	jg_str(dg, "id_type", id_type);
	jg_int(dg, "found", n);
	yajl_gen_map_close(dg);
	const unsigned char *details;
	size_t dlen;
	if (yajl_gen_get_buf(dg, &details, &dlen) != yajl_gen_status_ok || db_begin(r) != 0 ||
	    auth_audit(r, p, "party.search", "party", NULL, "success",
			arena_strndup(r->arena, (const char *)details, dlen)) != 0 ||
	    db_commit(r) != 0) {
		if (!r->responded)
			resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	resp_header(r, "Cache-Control", "no-store");
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), by_id_number_cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
