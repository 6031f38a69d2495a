/* The unit card: what the registry holds in force on one property unit, for
 * the window that takes a case in on it. Holders' ID numbers only masked
 * (the masked column; nothing here can decrypt), every read audited. */
#include <string.h>

#include "../domain/register.h"
#include "query.h"

/* The pending count is the priority rule's set: received, not yet decided.
 * area_m2 is numeric(12,2), passed on as stored (decimal text). */
#define Q_UNIT(P, C)                                                                              \
	P(code, TEXT)                                                                              \
	C(code, TEXT) C(location, TEXT) C(use, TEXT) C(area_m2, TEXT) C(county_code, TEXT)          \
	C(county_name, TEXT) C(agency_code, TEXT) C(agency_name, TEXT) C(pending_cases, I64)
DB_QUERY(unit_card, Q_UNIT,
	 "SELECT u.code, u.location, u.use, u.area_m2::text, u.county_code, d.name, a.code, a.name,"
	 " (SELECT count(*) FROM cases.case c WHERE c.unit_code = u.code"
	 "  AND cases.state_pending(c.state))"
	 " FROM reg.unit u JOIN ref.division d ON d.code = u.county_code"
	 " LEFT JOIN iam.agency a ON a.code = u.county_code WHERE u.code = $1");
/* in force: valid_to open; mortgages in rank order, the rest as written.
 * rank and amount_fen may be NULL, shown as null: read as decimal text. */
#define Q_ENTRIES(P, C)                                                                           \
	P(unit_code, TEXT)                                                                         \
	C(id, I64) C(kind, TEXT) C(rank, TEXT) C(holder_name, TEXT) C(holder_id_type, TEXT)         \
	C(id_number_masked, TEXT) C(share, TEXT) C(certificate_no, TEXT) C(amount_fen, TEXT)        \
	C(term_from, TEXT) C(term_to, TEXT) C(mortgage_type, TEXT) C(since, I64)
DB_QUERY(unit_card_entries, Q_ENTRIES,
	 "SELECT e.id, e.kind, e.rank::text, e.holder_name, e.holder_id_type,"
	 " coalesce(e.holder_id_number_masked, e.holder_id_number_legacy), e.share, e.certificate_no,"
	 " e.amount_fen::text, e.details->>'term_from', e.details->>'term_to', e.details->>'mortgage_type',"
	 " (extract(epoch FROM e.valid_from) * 1000000)::bigint"
	 " FROM reg.entry e WHERE e.unit_code = $1 AND e.valid_to IS NULL"
	 " ORDER BY e.kind, e.rank NULLS LAST, e.valid_from, e.id");

/* A whole number from its decimal text, null when SQL NULL. */
static void gen_number(yajl_gen g, const char *key, const char *decimal)
{
	jg_key(g, key);
	if (decimal == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_number(g, decimal, strlen(decimal));
}

/* One section: the entries of one kind, each with the members its kind has. */
static void gen_section(struct req *r, yajl_gen g, const struct unit_card_entries_row *e, int n,
			const char *section, const char *kind)
{
	jg_key(g, section);
	yajl_gen_array_open(g);
	for (int i = 0; i < n; i++) {
		const struct unit_card_entries_row *x = &e[i];
		if (strcmp(x->kind, kind) != 0)
			continue;
		yajl_gen_map_open(g);
		jg_int(g, "entry_id", x->id);
		if (strcmp(kind, "ownership") == 0) {
			jg_str(g, "name", x->holder_name);
			jg_str(g, "id_type", x->holder_id_type);
			if (x->id_number_masked == NULL) {
				jg_null(g, "id_number_masked");
			} else {
				/* masked at rest; a value not sealed yet is masked here */
				char masked[40];
				id_mask(x->id_number_masked, masked, sizeof(masked));
				jg_str(g, "id_number_masked", masked);
			}
			jg_str(g, "share", x->share);
			jg_str(g, "certificate_no", x->certificate_no);
		} else if (strcmp(kind, "mortgage") == 0) {
			gen_number(g, "rank", x->rank);
			jg_str(g, "mortgagee", x->holder_name);
			gen_number(g, "amount_fen", x->amount_fen);
			jg_str(g, "term_from", x->term_from);
			jg_str(g, "term_to", x->term_to);
			jg_str(g, "mortgage_type", x->mortgage_type);
			jg_str(g, "certificate_no", x->certificate_no);
		} else if (strcmp(kind, "seizure") == 0) {
			jg_str(g, "authority", x->holder_name);
		} else {
			jg_str(g, "holder_name", x->holder_name);
			if (strcmp(kind, "pre_notice") == 0)
				jg_str(g, "certificate_no", x->certificate_no);
		}
		jg_str(g, "since", time_rfc3339(r->arena, x->since));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* GET /api/v1/registry/units/{code}: for whoever may take cases in
 * (the route's case.create, in any scope: a window takes in units anywhere). */
void h_unit_card(struct req *r)
{
	const struct principal *p = auth_session(r); /* the route asked case.create */
	const char *code = req_param(r, "code");
	enum unit_problem up = unit_code_check(code);
	if (up != UNIT_OK) {
		resp_problem(r, 400, "invalid_unit_code", unit_problem_text(up));
		return;
	}
	if (db_begin(r) != 0)
		return;
	struct unit_card_row *u;
	int nu = unit_card_run(r, &(struct unit_card_in){ .code = code }, &u);
	if (nu < 0)
		return;
	if (nu != 1) {
		/* a probe for units is audited as a read that found nothing */
		if (auth_audit(r, p, "registry.unit.read", "unit", code, "failure",
				json_pairs(r->arena, "code", "unit_not_found", NULL, NULL)) != 0 ||
		    db_commit(r) != 0)
			return;
		resp_problem(r, 404, "unit_not_found", "No property unit with this code is in the registry.");
		return;
	}
	struct unit_card_entries_row *e;
	int ne = unit_card_entries_run(r, &(struct unit_card_entries_in){ .unit_code = code }, &e);
	if (ne < 0 || auth_audit(r, p, "registry.unit.read", "unit", code, "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "unit");
	yajl_gen_map_open(g);
	jg_str(g, "code", u->code);
	jg_str(g, "location", u->location);
	jg_str(g, "use", u->use);
	jg_key(g, "area_m2");
	yajl_gen_number(g, u->area_m2, strlen(u->area_m2)); /* numeric(12,2), as stored */
	jg_code_name(g, "county", u->county_code, u->county_name);
	if (u->agency_code == NULL) {
		jg_null(g, "deciding_agency");
	} else {
		jg_code_name(g, "deciding_agency", u->agency_code, u->agency_name);
	}
	yajl_gen_map_close(g);
	gen_section(r, g, e, ne, "holders", "ownership");
	gen_section(r, g, e, ne, "mortgages", "mortgage");
	gen_section(r, g, e, ne, "pre_notices", "pre_notice");
	gen_section(r, g, e, ne, "seizures", "seizure");
	gen_section(r, g, e, ne, "objections", "objection");
	jg_int(g, "pending_cases", u->pending_cases);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}
