/* Case attachments: upload as multipart/form-data (fields document_type and
 * file) or as the raw body (X-Document-Type and X-Filename headers, the
 * filename percent-encoded); the type is decided by the bytes, never by the
 * client's claim. Download with the same authority as reading the case. */
#include <stdlib.h>
#include <string.h>

#include "../core/crypto.h"
#include "../core/idem.h"
#include "../core/list.h"
#include "../core/multipart.h"
#include "intake.h"

#define ATTACHMENT_MAX (20u << 20)

#define Q_CASE_SIDES(P, C) \
	P(case_id, I64) C(state, TEXT) C(receiving_division, TEXT) C(deciding_division, TEXT) C(required_docs, TEXT)
DB_QUERY(att_case, Q_CASE_SIDES,
	 "SELECT c.state, c.receiving_division, c.deciding_division, array_to_string(t.required_docs, ' ')"
	 " FROM cases.case c JOIN cases.business_type t ON t.code = c.business_type WHERE c.id = $1");
#define Q_ATT_INSERT(P, C)                                                                        \
	P(case_id, I64) P(document_type, TEXT) P(filename, TEXT) P(content_type, TEXT) P(size, I64) \
	P(sha256, TEXT) P(data, BYTES) P(user_id, I64) P(agency, TEXT) P(now_us, I64) C(id, I64)
DB_QUERY(att_insert, Q_ATT_INSERT,
	 "INSERT INTO cases.attachment (case_id, document_type, filename, content_type, size, sha256, data,"
	 " uploaded_by, agency_code, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
	 " to_timestamp($10::float8 / 1000000)) RETURNING id");
/* the state again, under a lock a transition waits for: no document joins
 * a case once it is registered, even when the two cross. The lock also
 * serialises uploads to one case, so the count and bytes below hold. */
#define Q_CASE_OPEN(P, C) P(case_id, I64) C(count, I64) C(bytes, I64)
DB_QUERY(att_case_open, Q_CASE_OPEN,
	 "SELECT (SELECT count(*) FROM cases.attachment a WHERE a.case_id = c.id),"
	 " (SELECT coalesce(sum(a.size), 0) FROM cases.attachment a WHERE a.case_id = c.id)"
	 " FROM cases.case c WHERE c.id = $1"
	 " AND cases.state_class(c.state) IN ('draft', 'pending')"
	 " FOR NO KEY UPDATE OF c");
/* One case's documents: enough for any application (a few dozen scans),
 * bounded so that one session cannot fill the database through one case. */
#define CASE_MAX_ATTACHMENTS 100
#define CASE_MAX_ATTACHMENT_BYTES (400LL << 20)
#define Q_ATT_LIST(P, C)                                                                          \
	P(case_id, I64)                                                                            \
	C(id, I64) C(document_type, TEXT) C(filename, TEXT) C(content_type, TEXT) C(size, I64)      \
	C(sha256, TEXT) C(uploaded_at, I64)
DB_QUERY(att_list, Q_ATT_LIST,
	 "SELECT id, document_type, filename, content_type, size, sha256,"
	 " (extract(epoch FROM uploaded_at) * 1000000)::bigint FROM cases.attachment WHERE case_id = $1 ORDER BY id");
#define Q_ATT_GET(P, C) \
	P(id, I64) P(case_id, I64) C(filename, TEXT) C(content_type, TEXT) C(data, BYTES) C(sha256, TEXT)
DB_QUERY(att_get, Q_ATT_GET,
	 "SELECT filename, content_type, data, sha256 FROM cases.attachment WHERE id = $1 AND case_id = $2");

/* An attachment as the API shows it: what the upload answers, what the list holds. */
static const struct jcol att_cols[] = {
	JCOL_INT("id", struct att_list_row, id),
	JCOL_STR("document_type", struct att_list_row, document_type),
	JCOL_STR("filename", struct att_list_row, filename),
	JCOL_STR("content_type", struct att_list_row, content_type),
	JCOL_INT("size", struct att_list_row, size),
	JCOL_STR("sha256", struct att_list_row, sha256),
	JCOL_TIME("uploaded_at", struct att_list_row, uploaded_at),
	JCOL_END,
};

/* The file name extension of a type multipart_sniff() accepts; NULL for any other. */
static const char *extension_of(const char *ct)
{
	if (strcmp(ct, "application/pdf") == 0)
		return "pdf";
	if (strcmp(ct, "image/jpeg") == 0)
		return "jpg";
	if (strcmp(ct, "image/png") == 0)
		return "png";
	return NULL;
}

/* A filename to keep: valid UTF-8, no NUL, controls or bidi controls
 * (anywhere, before the path is cut off), no path; NULL if unusable. */
static char *clean_filename(struct req *r, const char *raw, size_t n)
{
	if (raw == NULL || n == 0 || !valid_utf8((const unsigned char *)raw, n) || valid_text_unsafe(raw, n))
		return NULL;
	const char *base = raw;
	for (size_t i = 0; i < n; i++)
		if (raw[i] == '/' || raw[i] == '\\')
			base = raw + i + 1;
	size_t bl = n - (size_t)(base - raw);
	if (bl == 0 || valid_utf8_chars(base, bl) > 200)
		return NULL;
	if (memchr(base, '"', bl) != NULL)
		return NULL;
	return arena_strndup(r->arena, base, bl);
}

/* The case's sides after checking the caller may read (or, for upload,
 * add to) it; NULL after replying. Whoever reads neither side gets the 404
 * of a missing case; a reader without the right to add gets 403. */
static const struct att_case_row *case_for(struct req *r, int upload, const struct principal **pp)
{
	const struct principal *p = auth_session(r); /* the route asked case.read */
	const char *id = req_param(r, "id");
	struct att_case_row *c;
	int n = att_case_run(r, &(struct att_case_in){ .case_id = strtoll(id, NULL, 10) }, &c);
	if (n < 0)
		return NULL;
	if (n != 1 || !case_readable(r, p, c->receiving_division, c->deciding_division)) {
		case_not_found(r, p, n == 1 ? id : NULL);
		return NULL;
	}
	if (upload && !auth_allows(r, p, "case.create", c->receiving_division) &&
	    !auth_allows(r, p, "case.review", c->deciding_division)) {
		/* the refusal goes through the one call, so it is audited: a
		 * division nobody covers makes it deny */
		const char *nowhere[] = { "" };
		auth_require(r, "case.create", nowhere, 1);
		if (!r->responded)
			resp_problem(r, 403, "forbidden", "You are not allowed to do this here.");
		return NULL;
	}
	*pp = p;
	return c;
}

/* POST /api/v1/cases/{id}/attachments */
void h_attachment_upload(struct req *r)
{
	const struct principal *p;
	const struct att_case_row *c = case_for(r, 1, &p);
	if (c == NULL)
		return;
	const char *state = c->state;
	if (strcmp(state, "draft") && strcmp(state, "submitted") && strcmp(state, "accepted") &&
	    strcmp(state, "supplement_requested") && strcmp(state, "approved")) {
		resp_problem(r, 409, "invalid_state", "Documents are added only before registration.");
		return;
	}
	const char *doc = NULL;
	char *fname = NULL;
	const unsigned char *data;
	size_t len;
	const char *boundary = multipart_boundary(r->arena, r->content_type);
	if (boundary) {
		struct part parts[4];
		int n = multipart_parse(r->arena, r->body, r->body_len, boundary, parts,
					(int)(sizeof(parts) / sizeof(parts[0])));
		const struct part *file = NULL;
		for (int i = 0; i < n; i++) {
			if (strcmp(parts[i].name, "file") == 0 && parts[i].filename)
				file = &parts[i];
			else if (strcmp(parts[i].name, "document_type") == 0)
				doc = arena_strndup(r->arena, (const char *)parts[i].data, parts[i].len);
		}
		if (n < 0 || file == NULL) {
			resp_problem(r, 400, "malformed_multipart", "Send the fields document_type and file.");
			return;
		}
		fname = clean_filename(r, file->filename, file->filename_len);
		data = file->data;
		len = file->len;
	} else {
		doc = req_header(r, "HTTP_X_DOCUMENT_TYPE");
		const char *raw = req_header(r, "HTTP_X_FILENAME");
		size_t fl = 0;
		char *dec = raw ? req_url_decode(r->arena, raw, strlen(raw), 0, &fl) : NULL;
		fname = dec ? clean_filename(r, dec, fl) : NULL;
		data = r->body;
		len = r->body_len;
	}
	if (doc == NULL || !valid_snake(doc, 40)) {
		valid_reject(r, "invalid_field", "document_type", "is a document type of the checklist, e.g. application.");
		return;
	}
	if (fname == NULL) {
		valid_reject(r, "invalid_field", "filename",
			     "is required: up to 200 characters of UTF-8, no path, no control or bidi characters.");
		return;
	}
	if (len == 0) {
		valid_reject(r, "invalid_field", "file", "is empty.");
		return;
	}
	if (len > ATTACHMENT_MAX) {
		resp_problem(r, 413, "attachment_too_large", "An attachment may have at most 20 MiB.");
		return;
	}
	const char *ct = multipart_sniff(data, len);
	if (ct == NULL) {
		resp_problem(r, 415, "unsupported_attachment_type", "Attachments must be PDF, JPEG or PNG files.");
		return;
	}
	unsigned char h[32];
	char sha[65];
	crypto_sha256(data, len, h);
	crypto_hex(h, sizeof(h), sha);
	int64_t now = req_now_us(r);
	if (db_begin(r) != 0)
		return;
	const char *id = req_param(r, "id");
	int64_t case_id = strtoll(id, NULL, 10);
	enum idem_result ir = idem_begin(r, p->user_id, arena_printf(r->arena, "POST /api/v1/cases/%s/attachments", id));
	if (ir == IDEM_DONE)
		return;
	struct att_case_open_row *open;
	int no = att_case_open_run(r, &(struct att_case_open_in){ .case_id = case_id }, &open);
	if (no < 0)
		return;
	if (no != 1) {
		resp_problem(r, 409, "invalid_state", "Documents are added only before registration.");
		return;
	}
	if (open->count >= CASE_MAX_ATTACHMENTS || open->bytes + (long long)len > CASE_MAX_ATTACHMENT_BYTES) {
		resp_problem(r, 409, "attachment_limit",
			     "A case holds at most 100 attachments and 400 MiB in all.");
		return;
	}
	/* the answer is a row as the list shows it */
	struct att_list_row att = { .document_type = doc, .filename = fname, .content_type = ct,
				    .size = (int64_t)len, .sha256 = sha, .uploaded_at = now };
	struct att_insert_row *ins;
	if (att_insert_run(r,
			   &(struct att_insert_in){ .case_id = case_id, .document_type = doc, .filename = fname,
						    .content_type = ct, .size = (int64_t)len, .sha256 = sha,
						    .data = { data, len }, .user_id = p->user_id,
						    .agency = p->agency_code, .now_us = now },
			   &ins) != 1)
		return;
	att.id = ins->id;
	const char *aid = req_i64str(r, att.id);
	if (auth_audit(r, p, "case.attachment.add", "case", id, "success",
			json_pairs(r->arena, "attachment_id", aid, "sha256", sha)) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_members(r, g, &att, att_cols);
	yajl_gen_map_close(g);
	resp_json(r, 201);
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/cases/%s/attachments/%s", id, aid));
	if ((ir == IDEM_NEW && idem_store(r, p->user_id) != 0) || db_commit(r) != 0)
		return;
}

/* GET /api/v1/cases/{id}/attachments: the files and the checklist */
void h_attachment_list(struct req *r)
{
	const struct principal *p;
	const struct att_case_row *c = case_for(r, 0, &p);
	if (c == NULL)
		return;
	struct att_list_row *rows;
	int n = att_list_run(r, &(struct att_list_in){ .case_id = strtoll(req_param(r, "id"), NULL, 10) }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), att_cols);
	jg_key(g, "checklist");
	yajl_gen_array_open(g);
	char *docs = arena_strndup(r->arena, c->required_docs, strlen(c->required_docs));
	char *save = NULL;
	for (char *t = docs ? strtok_r(docs, " ", &save) : NULL; t; t = strtok_r(NULL, " ", &save)) {
		int present = 0;
		for (int i = 0; i < n && !present; i++)
			present = strcmp(rows[i].document_type, t) == 0;
		yajl_gen_map_open(g);
		jg_str(g, "document_type", t);
		jg_bool(g, "present", present);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* GET /api/v1/cases/{id}/attachments/{aid}: the bytes, audited */
void h_attachment_get(struct req *r)
{
	const struct principal *p;
	if (case_for(r, 0, &p) == NULL)
		return;
	struct att_get_row *a;
	int n = att_get_run(r,
			    &(struct att_get_in){ .id = strtoll(req_param(r, "aid"), NULL, 10),
						  .case_id = strtoll(req_param(r, "id"), NULL, 10) },
			    &a);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "attachment_not_found", "The case has no attachment with this id.");
		return;
	}
	/* never empty (size >= 1): no bytes means they could not be read */
	if (a->data.p == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	if (db_begin(r) != 0 ||
	    auth_audit(r, p, "case.attachment.download", "case", req_param(r, "id"), "success",
			json_pairs(r->arena, "attachment_id", req_param(r, "aid"), NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	/* RFC 6266: shown in the browser tab (the types are decided by the
	 * bytes at upload, so what is stored is what a viewer expects); the
	 * name as an ASCII fallback made of the id and the type's extension,
	 * and the UTF-8 name percent-encoded (RFC 5987: anything but letters,
	 * digits and .-_ is encoded, so no quote, semicolon or line break can
	 * reach the header) */
	const char *fname = a->filename, *ct = a->content_type;
	const char *ext = extension_of(ct);
	struct buf enc = { 0 };
	for (const unsigned char *s = (const unsigned char *)fname; *s; s++) {
		int rc = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
				 strchr(".-_", *s)
			     ? buf_append(&enc, s, 1)
			     : buf_printf(&enc, "%%%02X", *s);
		if (rc != 0)
			break;
	}
	char *disp = arena_printf(r->arena, "%s; filename=\"attachment-%s.%s\"; filename*=UTF-8''%.*s",
				  ext ? "inline" : "attachment", req_param(r, "aid"), ext ? ext : "bin", (int)enc.len,
				  enc.p ? (const char *)enc.p : "");
	buf_free(&enc);
	resp_header(r, "Content-Disposition", disp);
	resp_header(r, "X-Content-SHA256", arena_strndup(r->arena, a->sha256, 64));
	resp_raw(r, 200, arena_strndup(r->arena, ct, strlen(ct)), a->data.p, a->data.len);
}
