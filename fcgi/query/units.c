/* The unit card: what the registry holds in force on one property unit, for
 * the window that takes a case in on it. Holders' ID numbers only masked
 * (the masked column; nothing here can decrypt), every read audited. */
#include <stdlib.h>
#include <string.h>

#include "../domain/register.h"
#include "query.h"

/* The pending count is the priority rule's set: received, not yet decided. */
static const struct stmt q_unit = {
	"unit_card",
	"SELECT u.code, u.location, u.use, u.area_m2::text, u.county_code, d.name, a.code, a.name,"
	" (SELECT count(*) FROM cases.case c WHERE c.unit_code = u.code"
	"  AND c.state IN ('submitted', 'accepted', 'supplement_requested', 'approved'))::text"
	" FROM reg.unit u JOIN ref.division d ON d.code = u.county_code"
	" LEFT JOIN iam.agency a ON a.code = u.county_code WHERE u.code = $1",
	1,
};
/* in force: valid_to open; mortgages in rank order, the rest as written */
static const struct stmt q_entries = {
	"unit_card_entries",
	"SELECT e.id::text, e.kind, e.rank::text, e.holder_name, e.holder_id_type,"
	" coalesce(e.holder_id_number_masked, e.holder_id_number_legacy), e.share, e.certificate_no,"
	" e.amount_fen::text, e.details->>'term_from', e.details->>'term_to', e.details->>'mortgage_type',"
	" ((extract(epoch FROM e.valid_from) * 1000000)::bigint)::text"
	" FROM reg.entry e WHERE e.unit_code = $1 AND e.valid_to IS NULL"
	" ORDER BY e.kind, e.rank NULLS LAST, e.valid_from, e.id",
	1,
};

enum { E_ID, E_KIND, E_RANK, E_NAME, E_IDTYPE, E_MASKED, E_SHARE, E_CERT, E_AMOUNT, E_FROM, E_TO, E_MTYPE,
       E_SINCE };

/* A column as a string member, null when SQL NULL. */
static void col_str(yajl_gen g, PGresult *e, int row, const char *key, int col)
{
	jg_str(g, key, PQgetisnull(e, row, col) ? NULL : PQgetvalue(e, row, col));
}

static void col_int(yajl_gen g, PGresult *e, int row, const char *key, int col)
{
	if (PQgetisnull(e, row, col))
		jg_null(g, key);
	else
		jg_int(g, key, strtoll(PQgetvalue(e, row, col), NULL, 10));
}

/* One section: the entries of one kind, each with the members its kind has. */
static void gen_section(struct req *r, yajl_gen g, PGresult *e, const char *section, const char *kind)
{
	jg_key(g, section);
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(e); i++) {
		if (strcmp(PQgetvalue(e, i, E_KIND), kind) != 0)
			continue;
		yajl_gen_map_open(g);
		col_int(g, e, i, "entry_id", E_ID);
		if (strcmp(kind, "ownership") == 0) {
			jg_str(g, "name", PQgetvalue(e, i, E_NAME));
			col_str(g, e, i, "id_type", E_IDTYPE);
			if (PQgetisnull(e, i, E_MASKED)) {
				jg_null(g, "id_number_masked");
			} else {
				/* masked at rest; a value not sealed yet is masked here */
				char masked[40];
				id_mask(PQgetvalue(e, i, E_MASKED), masked, sizeof(masked));
				jg_str(g, "id_number_masked", masked);
			}
			col_str(g, e, i, "share", E_SHARE);
			col_str(g, e, i, "certificate_no", E_CERT);
		} else if (strcmp(kind, "mortgage") == 0) {
			col_int(g, e, i, "rank", E_RANK);
			jg_str(g, "mortgagee", PQgetvalue(e, i, E_NAME));
			col_int(g, e, i, "amount_fen", E_AMOUNT);
			col_str(g, e, i, "term_from", E_FROM);
			col_str(g, e, i, "term_to", E_TO);
			col_str(g, e, i, "mortgage_type", E_MTYPE);
			col_str(g, e, i, "certificate_no", E_CERT);
		} else if (strcmp(kind, "seizure") == 0) {
			jg_str(g, "authority", PQgetvalue(e, i, E_NAME));
		} else {
			jg_str(g, "holder_name", PQgetvalue(e, i, E_NAME));
			if (strcmp(kind, "pre_notice") == 0)
				col_str(g, e, i, "certificate_no", E_CERT);
		}
		jg_str(g, "since", time_rfc3339(r->arena, strtoll(PQgetvalue(e, i, E_SINCE), NULL, 10)));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* GET /api/v1/registry/units/{code}: for whoever may take cases in
 * (case.create in any scope: a window takes in units anywhere). */
void h_unit_card(struct req *r)
{
	const struct principal *p = auth_require(r, "case.create", NULL, 0);
	if (p == NULL)
		return;
	const char *code = req_param(r, "code");
	enum unit_problem up = unit_code_check(code);
	if (up != UNIT_OK) {
		resp_problem(r, 400, "invalid_unit_code", unit_problem_text(up));
		return;
	}
	const char *pc[] = { code };
	if (db_begin(r) != 0)
		return;
	PGresult *u = db_exec(r, &q_unit, pc);
	if (u == NULL)
		return;
	if (PQntuples(u) != 1) {
		/* a probe for units is audited as a read that found nothing */
		if (audit_write(r, p, "registry.unit.read", "unit", code, "failure",
				json_pairs(r, "code", "unit_not_found", NULL, NULL)) != 0 ||
		    db_commit(r) != 0)
			return;
		resp_problem(r, 404, "unit_not_found", "No property unit with this code is in the registry.");
		return;
	}
	PGresult *e = db_exec(r, &q_entries, pc);
	if (e == NULL || audit_write(r, p, "registry.unit.read", "unit", code, "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "unit");
	yajl_gen_map_open(g);
	jg_str(g, "code", PQgetvalue(u, 0, 0));
	jg_str(g, "location", PQgetvalue(u, 0, 1));
	jg_str(g, "use", PQgetvalue(u, 0, 2));
	jg_key(g, "area_m2");
	yajl_gen_number(g, PQgetvalue(u, 0, 3), strlen(PQgetvalue(u, 0, 3))); /* numeric(12,2), as stored */
	jg_key(g, "county");
	yajl_gen_map_open(g);
	jg_str(g, "code", PQgetvalue(u, 0, 4));
	jg_str(g, "name", PQgetvalue(u, 0, 5));
	yajl_gen_map_close(g);
	if (PQgetisnull(u, 0, 6)) {
		jg_null(g, "deciding_agency");
	} else {
		jg_key(g, "deciding_agency");
		yajl_gen_map_open(g);
		jg_str(g, "code", PQgetvalue(u, 0, 6));
		jg_str(g, "name", PQgetvalue(u, 0, 7));
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
	gen_section(r, g, e, "holders", "ownership");
	gen_section(r, g, e, "mortgages", "mortgage");
	gen_section(r, g, e, "pre_notices", "pre_notice");
	gen_section(r, g, e, "seizures", "seizure");
	gen_section(r, g, e, "objections", "objection");
	jg_int(g, "pending_cases", strtoll(PQgetvalue(u, 0, 8), NULL, 10));
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}
