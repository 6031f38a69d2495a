/* 政策法规 for applicants: published 办事指南 and 通知公告 only, read through
 * the views pol.public_document and pol.public_attachment and the function
 * pol.public_list (the public role has no table of pol), answered with a
 * short public cache time. */
#include <stdlib.h>
#include <string.h>

#include "../core/db.h"
#include "../core/list.h"
#include "../core/server.h"
#include "../core/valid.h"
#include "../domain/policy.h"
#include "public.h"

#define CACHE "public, max-age=60"

#define PUB_COLS(P, C)                                                                                 \
	C(id, I64) C(division, TEXT) C(division_name, TEXT) C(category, TEXT) C(title, TEXT) C(issuer, TEXT) \
	C(doc_number, TEXT) C(published_on, TEXT) C(effective_on, TEXT) C(version, INT) C(updated_at, I64)   \
	C(score, I64)
DB_ROW(pub_row, PUB_COLS);
/* division: the documents that apply there (their division covers it) */
#define Q_PUB_LIST(P, C)                                                                                   \
	P(category, TEXT) P(q, TEXT) P(division, TEXT) P(after_score, I64) P(after_id, I64) P(limit, I64) \
	PUB_COLS(P, C)
DB_QUERY_AS(pub_list, Q_PUB_LIST, pub_row,
	    "SELECT id, division, division_name, category, title, issuer, doc_number, published_on, effective_on,"
	    " version, updated_us, score FROM pol.public_list($1, $2, $3, $4, $5, $6::integer)");
#define Q_PUB_GET(P, C) P(id, I64) PUB_COLS(P, C) C(body, TEXT) C(published_at, I64)
DB_QUERY(pub_get, Q_PUB_GET,
	 "SELECT d.id, d.division, v.name, d.category, d.title, d.issuer, d.doc_number, d.published_on::text,"
	 " d.effective_on::text, d.version, (extract(epoch FROM d.updated_at) * 1000000)::bigint, 0::bigint, d.body,"
	 " (extract(epoch FROM d.published_at) * 1000000)::bigint"
	 " FROM pol.public_document d JOIN ref.division v ON v.code = d.division WHERE d.id = $1");
#define Q_PUB_ATTS(P, C) P(id, I64) C(id, I64) C(filename, TEXT) C(size, I64) C(sha256, TEXT)
DB_QUERY(pub_atts, Q_PUB_ATTS,
	 "SELECT id, filename, size::bigint, sha256 FROM pol.public_attachment WHERE document_id = $1 ORDER BY id");
#define Q_PUB_ATT(P, C) P(id, I64) P(aid, I64) C(filename, TEXT) C(data, BYTES) C(sha256, TEXT)
DB_QUERY(pub_att, Q_PUB_ATT,
	 "SELECT filename, data, sha256 FROM pol.public_attachment WHERE document_id = $1 AND id = $2");

static const struct jcol pub_cols[] = {
	JCOL_INT("id", struct pub_row, id),
	JCOL_STR("division", struct pub_row, division),
	JCOL_STR("division_name", struct pub_row, division_name),
	JCOL_STR("category", struct pub_row, category),
	JCOL_STR("title", struct pub_row, title),
	JCOL_STR("issuer", struct pub_row, issuer),
	JCOL_STR("doc_number", struct pub_row, doc_number),
	JCOL_STR("published_on", struct pub_row, published_on),
	JCOL_STR("effective_on", struct pub_row, effective_on),
	JCOL_INT32("version", struct pub_row, version),
	JCOL_TIME("updated_at", struct pub_row, updated_at),
	JCOL_END,
};
static const struct jcol pub_get_cols[] = {
	JCOL_INT("id", struct pub_get_row, id),
	JCOL_STR("division", struct pub_get_row, division),
	JCOL_STR("division_name", struct pub_get_row, division_name),
	JCOL_STR("category", struct pub_get_row, category),
	JCOL_STR("title", struct pub_get_row, title),
	JCOL_STR("issuer", struct pub_get_row, issuer),
	JCOL_STR("doc_number", struct pub_get_row, doc_number),
	JCOL_STR("published_on", struct pub_get_row, published_on),
	JCOL_STR("effective_on", struct pub_get_row, effective_on),
	JCOL_INT32("version", struct pub_get_row, version),
	JCOL_TIME("updated_at", struct pub_get_row, updated_at),
	JCOL_STR("body", struct pub_get_row, body),
	JCOL_TIME("published_at", struct pub_get_row, published_at),
	JCOL_END,
};
static const struct jcol pub_att_cols[] = {
	JCOL_INT("id", struct pub_atts_row, id),
	JCOL_STR("filename", struct pub_atts_row, filename),
	JCOL_INT("size", struct pub_atts_row, size),
	JCOL_STR("sha256", struct pub_atts_row, sha256),
	JCOL_END,
};

static int cursor_ok(const char *s)
{
	int64_t a, b;
	return pol_cursor_parse(s, &a, &b);
}

const struct qkey public_policies_query[] = {
	QKEY_ENUM("category", "guide", "notice"),
	QKEY_TEXT("q", 400, pol_query_ok, "1 to 100 characters to search for"),
	QKEY_TEXT("division", 6, valid_digits6, "a 6-digit division code"),
	QKEY_TEXT("after", 40, cursor_ok, "the cursor a page named in next"),
	QKEY_INT("limit", 1, 100, 20),
	QKEY_END,
};

static void not_found(struct req *r)
{
	resp_problem(r, 404, "not_found", "No such published guide or notice.");
}

/* GET /api/v1/public/policies */
void h_public_policies(struct req *r)
{
	int64_t as = INT64_MAX, ai = INT64_MAX, limit = req_qint(r, "limit");
	const char *after = req_query(r, "after");
	if (after)
		pol_cursor_parse(after, &as, &ai);
	struct pub_row *rows;
	int n = pub_list_run(r,
			     &(struct pub_list_in){ .category = req_query(r, "category"), .q = req_query(r, "q"),
						    .division = req_query(r, "division"), .after_score = as, .after_id = ai,
						    .limit = limit },
			     &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), pub_cols);
	if (n == limit && n > 0)
		jg_str(g, "next", arena_printf(r->arena, "%lld-%lld", (long long)rows[n - 1].score, (long long)rows[n - 1].id));
	else
		jg_null(g, "next");
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", CACHE);
	resp_json(r, 200);
}

/* GET /api/v1/public/policies/{id} */
void h_public_policy(struct req *r)
{
	int64_t id = strtoll(req_param(r, "id"), NULL, 10);
	struct pub_get_row *d;
	int n = pub_get_run(r, &(struct pub_get_in){ .id = id }, &d);
	if (n < 0)
		return;
	if (n != 1) {
		not_found(r);
		return;
	}
	struct pub_atts_row *atts;
	int na = pub_atts_run(r, &(struct pub_atts_in){ .id = id }, &atts);
	if (na < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_members(r, g, d, pub_get_cols);
	list_items(r, g, "attachments", atts, (size_t)na, sizeof(*atts), pub_att_cols);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", CACHE);
	resp_json(r, 200);
}

/* GET /api/v1/public/policies/{id}/attachments/{aid} */
void h_public_policy_attachment(struct req *r)
{
	int64_t id = strtoll(req_param(r, "id"), NULL, 10), aid = strtoll(req_param(r, "aid"), NULL, 10);
	struct pub_att_row *a;
	int n = pub_att_run(r, &(struct pub_att_in){ .id = id, .aid = aid }, &a);
	if (n < 0)
		return;
	if (n != 1 || a->data.p == NULL) {
		not_found(r);
		return;
	}
	size_t cap = strlen(a->filename) * 3 + 96;
	char *disp = arena_alloc(r->arena, cap);
	if (disp == NULL || pol_disposition(disp, cap, a->filename, aid) == 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	resp_header(r, "Content-Disposition", disp);
	resp_header(r, "X-Content-SHA256", arena_strndup(r->arena, a->sha256, 64));
	resp_header(r, "Cache-Control", CACHE);
	resp_raw(r, 200, "application/pdf", a->data.p, a->data.len);
}
