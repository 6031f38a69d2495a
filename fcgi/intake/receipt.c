/* The acceptance receipt (受理回执) the receiving window prints for the
 * applicant once a case is submitted: what was received, when it is
 * promised, and a QR code of the applicant's progress page for the case
 * (<TB_PUBLIC_URL>/p/#<case number>; the fragment never reaches a server). */
#include <stdlib.h>
#include <string.h>

#include "../core/qr.h"
#include "intake.h"

#define RECEIPT_QR_SCALE 6 /* pixels per module: sharp when printed at 3 cm */

static const struct stmt q_receipt = {
	"receipt_case",
	"SELECT c.number, c.business_type, t.name, c.unit_code, u.location, c.receiving_division,"
	" coalesce((extract(epoch FROM c.received_at) * 1000000)::bigint, 0)::text, coalesce(c.due_date::text, ''),"
	" c.receiving_agency, ra.name, c.deciding_agency, da.name"
	" FROM cases.case c JOIN cases.business_type t ON t.code = c.business_type"
	" JOIN reg.unit u ON u.code = c.unit_code JOIN iam.agency ra ON ra.code = c.receiving_agency"
	" JOIN iam.agency da ON da.code = c.deciding_agency WHERE c.id = $1",
	1,
};
/* kind 0 the applicants (no ID numbers), 1 the documents received */
static const struct stmt q_receipt_items = {
	"receipt_items",
	"SELECT 0 AS k, p.seq::bigint AS ord, p.role, p.name, NULL AS filename FROM cases.party p WHERE p.case_id = $1"
	" UNION ALL SELECT 1, a.id, a.document_type, coalesce(d.name, a.document_type), a.filename"
	" FROM cases.attachment a LEFT JOIN cases.document_type d ON d.code = a.document_type WHERE a.case_id = $1"
	" ORDER BY k, ord",
	1,
};

enum { R_NUMBER, R_TYPE, R_TYPE_NAME, R_UNIT, R_LOCATION, R_RDIV, R_RECEIVED, R_DUE, R_RAGENCY, R_RAGENCY_NAME,
       R_DAGENCY, R_DAGENCY_NAME };

/* The case for its receipt, or NULL after replying: only the receiving
 * side prints it (case.read over the receiving division; anyone else, the
 * deciding side included, gets the 404 of a missing case), and only once
 * the case was received (a draft is 409 invalid_state). *url: the
 * applicant's progress address. */
static PGresult *receipt_case(struct req *r, const char **url)
{
	const struct principal *p = auth_require(r, "case.read", NULL, 0);
	if (p == NULL)
		return NULL;
	const char *pid[] = { req_param(r, "id") };
	PGresult *c = db_exec(r, &q_receipt, pid);
	if (c == NULL)
		return NULL;
	if (PQntuples(c) != 1 || !auth_allows(r, p, "case.read", PQgetvalue(c, 0, R_RDIV))) {
		case_not_found(r, p, PQntuples(c) == 1 ? pid[0] : NULL);
		return NULL;
	}
	if (strtoll(PQgetvalue(c, 0, R_RECEIVED), NULL, 10) == 0) {
		resp_problem(r, 409, "invalid_state", "A receipt exists once the case has been submitted.");
		return NULL;
	}
	const char *base = r->w->conf.public_url;
	if (base == NULL) {
		resp_problem(r, 503, "public_url_unset",
			     "TB_PUBLIC_URL is not set: the receipt cannot name the applicant's progress page.");
		return NULL;
	}
	*url = arena_printf(r->arena, "%s/p/#%s", base, PQgetvalue(c, 0, R_NUMBER));
	if (*url == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return NULL;
	}
	return c;
}

static void gen_code_name(yajl_gen g, const char *key, const char *code, const char *name)
{
	jg_key(g, key);
	yajl_gen_map_open(g);
	jg_str(g, "code", code);
	jg_str(g, "name", name);
	yajl_gen_map_close(g);
}

/* GET /api/v1/cases/{id}/receipt */
void h_receipt(struct req *r)
{
	const char *url;
	PGresult *c = receipt_case(r, &url);
	if (c == NULL)
		return;
	const char *pid[] = { req_param(r, "id") };
	PGresult *it = db_exec(r, &q_receipt_items, pid);
	if (it == NULL)
		return;
#define V(col) PQgetvalue(c, 0, (col))
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "number", V(R_NUMBER));
	jg_str(g, "business_type", V(R_TYPE));
	jg_str(g, "business_type_name", V(R_TYPE_NAME));
	jg_str(g, "unit_code", V(R_UNIT));
	jg_str(g, "unit_location", V(R_LOCATION));
	jg_str(g, "received_at", time_rfc3339(r->arena, strtoll(V(R_RECEIVED), NULL, 10)));
	jg_str(g, "promised_date", V(R_DUE)[0] ? V(R_DUE) : NULL);
	gen_code_name(g, "receiving_agency", V(R_RAGENCY), V(R_RAGENCY_NAME));
	gen_code_name(g, "deciding_agency", V(R_DAGENCY), V(R_DAGENCY_NAME));
#undef V
	static const char *const sections[] = { "applicants", "documents" };
	for (int k = 0, row = 0; k < 2; k++) {
		jg_key(g, sections[k]);
		yajl_gen_array_open(g);
		for (; row < PQntuples(it) && atoi(PQgetvalue(it, row, 0)) == k; row++) {
			yajl_gen_map_open(g);
			if (k == 0) {
				jg_str(g, "role", PQgetvalue(it, row, 2));
				jg_str(g, "name", PQgetvalue(it, row, 3));
			} else {
				jg_str(g, "document_type", PQgetvalue(it, row, 2));
				jg_str(g, "document_name", PQgetvalue(it, row, 3));
				jg_str(g, "filename", PQgetvalue(it, row, 4));
			}
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	jg_str(g, "progress_url", url);
	jg_str(g, "qr_url", arena_printf(r->arena, "/api/v1/cases/%s/receipt/qr.png", req_param(r, "id")));
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}

/* GET /api/v1/cases/{id}/receipt/qr.png: the QR code of progress_url */
void h_receipt_qr(struct req *r)
{
	const char *url;
	if (receipt_case(r, &url) == NULL)
		return;
	size_t len;
	unsigned char *png = qr_png(r->arena, url, RECEIPT_QR_SCALE, &len);
	if (png == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	/* the same case always gives the same picture; kept by this browser only */
	resp_header(r, "Cache-Control", "private, max-age=300");
	resp_raw(r, 200, "image/png", png, len);
}
