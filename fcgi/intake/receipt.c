/* The acceptance receipt (受理回执) the receiving window prints for the
 * applicant once a case is submitted: what was received, when it is
 * promised, and a QR code of the applicant's progress page for the case
 * (<TB_PUBLIC_URL>/p/#<case number>; the fragment never reaches a server). */
#include <stdlib.h>
#include <string.h>

#include "../core/list.h"
#include "../core/qr.h"
#include "intake.h"

#define RECEIPT_QR_SCALE 6 /* pixels per module: sharp when printed at 3 cm */

#define Q_RECEIPT(P, C)                                                                           \
	P(case_id, I64)                                                                            \
	C(number, TEXT) C(business_type, TEXT) C(type_name, TEXT) C(unit_code, TEXT)                \
	C(unit_location, TEXT) C(receiving_division, TEXT) C(received_at, I64) C(due_date, TEXT)    \
	C(receiving_agency, TEXT) C(receiving_agency_name, TEXT) C(deciding_agency, TEXT)           \
	C(deciding_agency_name, TEXT)
DB_QUERY(receipt_case, Q_RECEIPT,
	 "SELECT c.number, c.business_type, t.name, c.unit_code, u.location, c.receiving_division,"
	 " coalesce((extract(epoch FROM c.received_at) * 1000000)::bigint, 0), c.due_date::text,"
	 " c.receiving_agency, ra.name, c.deciding_agency, da.name"
	 " FROM cases.case c JOIN cases.business_type t ON t.code = c.business_type"
	 " JOIN reg.unit u ON u.code = c.unit_code JOIN iam.agency ra ON ra.code = c.receiving_agency"
	 " JOIN iam.agency da ON da.code = c.deciding_agency WHERE c.id = $1");
/* the applicants (no ID numbers: code the role, name the name) and the
 * documents received (code the document type, name its name) */
enum { RECEIPT_APPLICANT, RECEIPT_DOCUMENT, RECEIPT_SECTIONS };
#define Q_RECEIPT_ITEMS(P, C) \
	P(case_id, I64) C(section, INT) C(ord, I64) C(code, TEXT) C(name, TEXT) C(filename, TEXT)
DB_QUERY(receipt_items, Q_RECEIPT_ITEMS,
	 "SELECT 0 AS k, p.seq::bigint AS ord, p.role, p.name, NULL AS filename FROM cases.party p WHERE p.case_id = $1"
	 " UNION ALL SELECT 1, a.id, a.document_type, coalesce(d.name, a.document_type), a.filename"
	 " FROM cases.attachment a LEFT JOIN cases.document_type d ON d.code = a.document_type WHERE a.case_id = $1"
	 " ORDER BY k, ord");

static const struct jcol applicant_cols[] = {
	JCOL_STR("role", struct receipt_items_row, code),
	JCOL_STR("name", struct receipt_items_row, name),
	JCOL_END,
};
static const struct jcol document_cols[] = {
	JCOL_STR("document_type", struct receipt_items_row, code),
	JCOL_STR("document_name", struct receipt_items_row, name),
	JCOL_STR("filename", struct receipt_items_row, filename),
	JCOL_END,
};

/* The case for its receipt, or NULL after replying: only the receiving
 * side prints it (case.read over the receiving division; anyone else, the
 * deciding side included, gets the 404 of a missing case), and only once
 * the case was received (a draft is 409 invalid_state). *url: the
 * applicant's progress address. */
static const struct receipt_case_row *receipt_of(struct req *r, const char **url)
{
	const struct principal *p = auth_session(r); /* the route asked case.read */
	const char *id = req_param(r, "id");
	struct receipt_case_row *c;
	int n = receipt_case_run(r, &(struct receipt_case_in){ .case_id = strtoll(id, NULL, 10) }, &c);
	if (n < 0)
		return NULL;
	if (n != 1 || !auth_allows(r, p, "case.read", c->receiving_division)) {
		case_not_found(r, p, n == 1 ? id : NULL);
		return NULL;
	}
	if (c->received_at == 0) {
		resp_problem(r, 409, "invalid_state", "A receipt exists once the case has been submitted.");
		return NULL;
	}
	const char *base = r->w->conf.public_url;
	if (base == NULL) {
		resp_problem(r, 503, "public_url_unset",
			     "TB_PUBLIC_URL is not set: the receipt cannot name the applicant's progress page.");
		return NULL;
	}
	*url = arena_printf(r->arena, "%s/p/#%s", base, c->number);
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
	const struct receipt_case_row *c = receipt_of(r, &url);
	if (c == NULL)
		return;
	struct receipt_items_row *it;
	int n = receipt_items_run(r, &(struct receipt_items_in){ .case_id = strtoll(req_param(r, "id"), NULL, 10) },
				  &it);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "number", c->number);
	jg_str(g, "business_type", c->business_type);
	jg_str(g, "business_type_name", c->type_name);
	jg_str(g, "unit_code", c->unit_code);
	jg_str(g, "unit_location", c->unit_location);
	jg_str(g, "received_at", time_rfc3339(r->arena, c->received_at));
	jg_str(g, "promised_date", c->due_date);
	gen_code_name(g, "receiving_agency", c->receiving_agency, c->receiving_agency_name);
	gen_code_name(g, "deciding_agency", c->deciding_agency, c->deciding_agency_name);
	/* the rows come ordered by section: each section is a run of them */
	static const struct {
		const char *key;
		const struct jcol *cols;
	} sections[RECEIPT_SECTIONS] = {
		[RECEIPT_APPLICANT] = { "applicants", applicant_cols },
		[RECEIPT_DOCUMENT] = { "documents", document_cols },
	};
	for (int k = 0, row = 0; k < RECEIPT_SECTIONS; k++) {
		int first = row;
		while (row < n && it[row].section == k)
			row++;
		list_items(r, g, sections[k].key, it + first, (size_t)(row - first), sizeof(*it), sections[k].cols);
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
	if (receipt_of(r, &url) == NULL)
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
