/* 政策法规: policies and regulations for staff. A document applies to a
 * division's subtree; staff read the published ones whose division covers
 * their agency's division; holders of policy.manage write, publish and
 * withdraw documents of their scopes (and see them in any state). Every
 * saved change is a new version with a full snapshot (pol.version); read
 * marks name the version read, so a published edit is unread again. */
#include <stdlib.h>
#include <string.h>

#include "../core/crypto.h"
#include "../domain/division.h"
#include "../domain/policy.h"
#include "admin.h"

#define PERM "policy.manage"

/* ---- statements --------------------------------------------------------- */

#define DOC_COLS(P, C)                                                                               \
	C(id, I64) C(division, TEXT) C(division_name, TEXT) C(category, TEXT) C(title, TEXT) C(issuer, TEXT) \
	C(doc_number, TEXT) C(published_on, TEXT) C(effective_on, TEXT) C(state, TEXT) C(version, INT)       \
	C(updated_at, I64) C(unread, BOOL) C(score, I64)
DB_ROW(pol_row, DOC_COLS);

/* The list: documents the caller reads (published, division covering the
 * caller's) or manages (division inside a policy.manage scope). $1 the
 * caller's division, $2 the manage scopes, $3 the user; q: ranked by
 * ts_rank (the title weighs more), as an integer so that the cursor
 * (score, id) compares exactly. */
#define Q_POL_LIST(P, C)                                                                          \
	P(division, TEXT) P(scopes, TEXT) P(user_id, I64) P(q, TEXT) P(category, TEXT) P(state, TEXT) \
	P(unread, BOOL) P(after_score, I64) P(after_id, I64) P(limit, I64) DOC_COLS(P, C)
/* The list with and without a search, as two statements: a prepared
 * statement's generic plan could not use the GIN index behind an
 * "$4 IS NULL OR" condition. */
#define POL_LIST_SQL(SCORE, SEARCH)                                                                   \
	"WITH anc AS (SELECT a.code FROM ref.division a WHERE ref.covers(a.code, $1)),"               \
	" tq AS (SELECT pol.bigram_query($4::text) AS q),"                                           \
	" docs AS (SELECT d.*, (d.state = 'published' AND d.division IN (SELECT code FROM anc)) AS reader," \
	"   " SCORE " AS score FROM pol.document d, tq"                                                  \
	"   WHERE " SEARCH " AND ($5::text IS NULL OR d.category = $5) AND ($6::text IS NULL OR d.state = $6))" \
	" SELECT d.id, d.division, v.name, d.category, d.title, d.issuer, d.doc_number, d.published_on::text," \
	"  d.effective_on::text, d.state, d.version, (extract(epoch FROM d.updated_at) * 1000000)::bigint,"   \
	"  d.reader AND NOT EXISTS (SELECT 1 FROM pol.read r WHERE r.user_id = $3 AND r.document_id = d.id" \
	"    AND r.version = d.version), d.score"                                                         \
	" FROM docs d JOIN ref.division v ON v.code = d.division"                                       \
	" WHERE (d.reader OR EXISTS (SELECT 1 FROM unnest($2::text[]) s WHERE ref.covers(s, d.division)))" \
	"   AND (NOT $7 OR (d.reader AND NOT EXISTS (SELECT 1 FROM pol.read r WHERE r.user_id = $3"     \
	"     AND r.document_id = d.id AND r.version = d.version)))"                                     \
	"   AND (d.score, d.id) < ($8, $9)"                                                               \
	" ORDER BY d.score DESC, d.id DESC LIMIT $10"
/* without q ($4 NULL, unused but typed): newest first */
DB_QUERY_AS(pol_list, Q_POL_LIST, pol_row, POL_LIST_SQL("0::bigint", "$4::text IS NULL"));
DB_QUERY_AS(pol_search, Q_POL_LIST, pol_row,
	    POL_LIST_SQL("(ts_rank(d.search, tq.q) * 1000000)::bigint", "d.search @@ tq.q"));
#define Q_POL_UNREAD(P, C) P(division, TEXT) P(user_id, I64) C(n, I64)
DB_QUERY(pol_unread, Q_POL_UNREAD,
	 "SELECT count(*) FROM pol.document d"
	 " WHERE d.state = 'published'"
	 "   AND d.division IN (SELECT a.code FROM ref.division a WHERE ref.covers(a.code, $1))"
	 "   AND NOT EXISTS (SELECT 1 FROM pol.read r WHERE r.user_id = $2 AND r.document_id = d.id"
	 "     AND r.version = d.version)");

#define Q_POL_GET(P, C)                                                                           \
	P(id, I64) P(user_id, I64) DOC_COLS(P, C) C(body, TEXT) C(created_by, I64) C(created_by_name, TEXT) \
	C(published_at, I64) C(withdrawn_at, I64) C(withdraw_reason, TEXT)
DB_QUERY(pol_get, Q_POL_GET,
	 "SELECT d.id, d.division, v.name, d.category, d.title, d.issuer, d.doc_number, d.published_on::text,"
	 " d.effective_on::text, d.state, d.version, (extract(epoch FROM d.updated_at) * 1000000)::bigint,"
	 " d.state = 'published' AND NOT EXISTS (SELECT 1 FROM pol.read r WHERE r.user_id = $2"
	 "   AND r.document_id = d.id AND r.version = d.version), 0::bigint,"
	 " d.body, d.created_by, u.display_name,"
	 " coalesce((extract(epoch FROM d.published_at) * 1000000)::bigint, 0),"
	 " coalesce((extract(epoch FROM d.withdrawn_at) * 1000000)::bigint, 0), d.withdraw_reason"
	 " FROM pol.document d JOIN ref.division v ON v.code = d.division JOIN iam.user u ON u.id = d.created_by"
	 " WHERE d.id = $1");

#define ATT_COLS(P, C) C(id, I64) C(filename, TEXT) C(size, I64) C(sha256, TEXT)
DB_ROW(pol_att_row, ATT_COLS);
#define Q_POL_ATTS(P, C) P(id, I64) ATT_COLS(P, C)
DB_QUERY_AS(pol_atts, Q_POL_ATTS, pol_att_row,
	    "SELECT id, filename, size::bigint, sha256 FROM pol.attachment"
	    " WHERE document_id = $1 AND removed_at IS NULL ORDER BY id");

/* The row a change works on, locked until the transaction ends. */
#define Q_POL_LOCK(P, C) P(id, I64) C(division, TEXT) C(state, TEXT) C(version, INT) C(attachments, I64)
DB_ROW(pol_lock_row, Q_POL_LOCK);
DB_QUERY_AS(pol_lock, Q_POL_LOCK, pol_lock_row,
	 "SELECT d.division, d.state, d.version,"
	 " (SELECT count(*) FROM pol.attachment a WHERE a.document_id = d.id AND a.removed_at IS NULL)"
	 " FROM pol.document d WHERE d.id = $1 FOR UPDATE OF d");

/* The same without a lock, for reading. */
DB_QUERY_AS(pol_peek, Q_POL_LOCK, pol_lock_row,
	    "SELECT d.division, d.state, d.version, 0::bigint FROM pol.document d WHERE d.id = $1");

#define Q_POL_INSERT(P, C)                                                                              \
	P(division, TEXT) P(category, TEXT) P(title, TEXT) P(issuer, TEXT) P(doc_number, TEXT)              \
	P(published_on, TEXT) P(effective_on, TEXT) P(body, TEXT) P(user_id, I64) P(now_us, I64) C(id, I64)
DB_QUERY(pol_insert, Q_POL_INSERT,
	 "INSERT INTO pol.document (division, category, title, issuer, doc_number, published_on, effective_on, body,"
	 " created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, coalesce($5, ''), $6::date, $7::date, $8, $9,"
	 " to_timestamp($10::float8 / 1000000), to_timestamp($10::float8 / 1000000)) RETURNING id");

/* set_*: whether the body names the (nullable) dates */
#define Q_POL_UPDATE(P, C)                                                                                 \
	P(id, I64) P(division, TEXT) P(category, TEXT) P(title, TEXT) P(issuer, TEXT) P(doc_number, TEXT)     \
	P(set_published_on, BOOL) P(published_on, TEXT) P(set_effective_on, BOOL) P(effective_on, TEXT)       \
	P(body, TEXT) P(now_us, I64) C(version, INT)
DB_QUERY(pol_update, Q_POL_UPDATE,
	 "UPDATE pol.document SET division = coalesce($2, division), category = coalesce($3, category),"
	 " title = coalesce($4, title), issuer = coalesce($5, issuer), doc_number = coalesce($6, doc_number),"
	 " published_on = CASE WHEN $7 THEN $8::date ELSE published_on END,"
	 " effective_on = CASE WHEN $9 THEN $10::date ELSE effective_on END, body = coalesce($11, body),"
	 " version = version + 1, updated_at = to_timestamp($12::float8 / 1000000)"
	 " WHERE id = $1 RETURNING version");

/* publish: the document's date is the day of publication (Beijing) when
 * the writer left it empty */
#define Q_POL_STATE(P, C) P(id, I64) P(now_us, I64) P(reason, TEXT) C(version, INT)
DB_QUERY(pol_publish, Q_POL_STATE,
	 "UPDATE pol.document SET state = 'published', version = version + 1,"
	 " published_at = to_timestamp($2::float8 / 1000000), updated_at = to_timestamp($2::float8 / 1000000),"
	 " published_on = coalesce(published_on, (to_timestamp($2::float8 / 1000000) AT TIME ZONE 'Asia/Shanghai')::date)"
	 " WHERE id = $1 AND state = 'draft' AND $3::text IS NULL RETURNING version");
DB_QUERY(pol_withdraw, Q_POL_STATE,
	 "UPDATE pol.document SET state = 'withdrawn', version = version + 1, withdraw_reason = $3,"
	 " withdrawn_at = to_timestamp($2::float8 / 1000000), updated_at = to_timestamp($2::float8 / 1000000)"
	 " WHERE id = $1 AND state = 'published' RETURNING version");
/* a change to the attachments is a version of its own */
#define Q_POL_BUMP(P, C) P(id, I64) P(now_us, I64) C(version, INT)
DB_QUERY(pol_bump, Q_POL_BUMP,
	 "UPDATE pol.document SET version = version + 1, updated_at = to_timestamp($2::float8 / 1000000)"
	 " WHERE id = $1 RETURNING version");

/* The document as it now is, as version it now has. */
#define Q_POL_SNAPSHOT(P, C) P(id, I64) P(action, TEXT) P(user_id, I64)
DB_QUERY(pol_snapshot, Q_POL_SNAPSHOT,
	 "INSERT INTO pol.version (document_id, version, action, state, division, category, title, issuer, doc_number,"
	 " published_on, effective_on, body, withdraw_reason, attachments, changed_by, changed_at)"
	 " SELECT d.id, d.version, $2, d.state, d.division, d.category, d.title, d.issuer, d.doc_number,"
	 " d.published_on, d.effective_on, d.body, d.withdraw_reason,"
	 " coalesce((SELECT jsonb_agg(jsonb_build_object('id', a.id, 'filename', a.filename, 'size', a.size,"
	 "   'sha256', a.sha256) ORDER BY a.id) FROM pol.attachment a"
	 "   WHERE a.document_id = d.id AND a.removed_at IS NULL), '[]'::jsonb),"
	 " $3, d.updated_at FROM pol.document d WHERE d.id = $1");

/* Indexing a long body for search takes a few seconds on a busy machine
 * (README, "Chinese full-text search"): the statement that saves a body
 * may take longer than the service's usual limit, in its transaction only. */
#define Q_POL_SLOW(P, C) C(v, TEXT)
DB_QUERY(pol_slow, Q_POL_SLOW, "SELECT set_config('statement_timeout', '30000', true)");

#define Q_POL_READ(P, C) P(user_id, I64) P(id, I64) P(version, INT) P(now_us, I64)
DB_QUERY(pol_read_mark, Q_POL_READ,
	 "INSERT INTO pol.read (user_id, document_id, version, read_at)"
	 " VALUES ($1, $2, $3, to_timestamp($4::float8 / 1000000))"
	 " ON CONFLICT (user_id, document_id) DO UPDATE SET version = excluded.version, read_at = excluded.read_at");

#define Q_POL_VERSIONS(P, C) \
	P(id, I64) C(version, INT) C(state, TEXT) C(title, TEXT) C(changed_by, I64) C(changed_by_name, TEXT) \
	C(changed_at, I64) C(action, TEXT)
DB_QUERY(pol_versions, Q_POL_VERSIONS,
	 "SELECT v.version, v.state, v.title, v.changed_by, u.display_name,"
	 " (extract(epoch FROM v.changed_at) * 1000000)::bigint, v.action"
	 " FROM pol.version v JOIN iam.user u ON u.id = v.changed_by WHERE v.document_id = $1 ORDER BY v.version DESC");
#define Q_POL_VERSION(P, C)                                                                                 \
	P(id, I64) P(version, INT)                                                                          \
	C(version, INT) C(action, TEXT) C(state, TEXT) C(division, TEXT) C(division_name, TEXT) C(category, TEXT) \
	C(title, TEXT) C(issuer, TEXT) C(doc_number, TEXT) C(published_on, TEXT) C(effective_on, TEXT)        \
	C(body, TEXT) C(withdraw_reason, TEXT) C(changed_by, I64) C(changed_by_name, TEXT) C(changed_at, I64)   \
	C(attachments, TEXT)
DB_QUERY(pol_version_get, Q_POL_VERSION,
	 "SELECT v.version, v.action, v.state, v.division, dv.name, v.category, v.title, v.issuer, v.doc_number,"
	 " v.published_on::text, v.effective_on::text, v.body, v.withdraw_reason, v.changed_by, u.display_name,"
	 " (extract(epoch FROM v.changed_at) * 1000000)::bigint,"
	 " (SELECT string_agg(e->>'id', ' ' ORDER BY (e->>'id')::bigint) FROM jsonb_array_elements(v.attachments) e)"
	 " FROM pol.version v JOIN iam.user u ON u.id = v.changed_by JOIN ref.division dv ON dv.code = v.division"
	 " WHERE v.document_id = $1 AND v.version = $2");
/* a snapshot's attachments (ids from pol_version_get), removed ones too */
#define Q_POL_ATTS_BY_ID(P, C) P(ids, TEXT) ATT_COLS(P, C)
DB_QUERY_AS(pol_atts_by_id, Q_POL_ATTS_BY_ID, pol_att_row,
	    "SELECT id, filename, size::bigint, sha256 FROM pol.attachment"
	    " WHERE id = ANY(string_to_array($1, ' ')::bigint[]) ORDER BY id");

#define Q_POL_ATT_INSERT(P, C)                                                                    \
	P(id, I64) P(filename, TEXT) P(size, I64) P(sha256, TEXT) P(data, BYTES) P(user_id, I64) P(now_us, I64) \
	C(aid, I64)
DB_QUERY(pol_att_insert, Q_POL_ATT_INSERT,
	 "INSERT INTO pol.attachment (document_id, filename, size, sha256, data, uploaded_by, uploaded_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::float8 / 1000000)) RETURNING id");
#define Q_POL_ATT_REMOVE(P, C) P(id, I64) P(aid, I64) P(user_id, I64) P(now_us, I64) C(aid, I64)
DB_QUERY(pol_att_remove, Q_POL_ATT_REMOVE,
	 "UPDATE pol.attachment SET removed_by = $3, removed_at = to_timestamp($4::float8 / 1000000)"
	 " WHERE document_id = $1 AND id = $2 AND removed_at IS NULL RETURNING id");
#define Q_POL_ATT_GET(P, C) \
	P(id, I64) P(aid, I64) C(filename, TEXT) C(data, BYTES) C(sha256, TEXT) C(removed, BOOL)
DB_QUERY(pol_att_get, Q_POL_ATT_GET,
	 "SELECT filename, data, sha256, removed_at IS NOT NULL FROM pol.attachment WHERE document_id = $1 AND id = $2");

/* ---- JSON --------------------------------------------------------------- */

static const struct jcol pol_cols[] = {
	JCOL_INT("id", struct pol_row, id),
	JCOL_STR("division", struct pol_row, division),
	JCOL_STR("division_name", struct pol_row, division_name),
	JCOL_STR("category", struct pol_row, category),
	JCOL_STR("title", struct pol_row, title),
	JCOL_STR("issuer", struct pol_row, issuer),
	JCOL_STR("doc_number", struct pol_row, doc_number),
	JCOL_STR("published_on", struct pol_row, published_on),
	JCOL_STR("effective_on", struct pol_row, effective_on),
	JCOL_STR("state", struct pol_row, state),
	JCOL_INT32("version", struct pol_row, version),
	JCOL_TIME("updated_at", struct pol_row, updated_at),
	JCOL_BOOL("unread", struct pol_row, unread),
	JCOL_END,
};
static const struct jcol pol_get_cols[] = {
	JCOL_INT("id", struct pol_get_row, id),
	JCOL_STR("division", struct pol_get_row, division),
	JCOL_STR("division_name", struct pol_get_row, division_name),
	JCOL_STR("category", struct pol_get_row, category),
	JCOL_STR("title", struct pol_get_row, title),
	JCOL_STR("issuer", struct pol_get_row, issuer),
	JCOL_STR("doc_number", struct pol_get_row, doc_number),
	JCOL_STR("published_on", struct pol_get_row, published_on),
	JCOL_STR("effective_on", struct pol_get_row, effective_on),
	JCOL_STR("state", struct pol_get_row, state),
	JCOL_INT32("version", struct pol_get_row, version),
	JCOL_TIME("updated_at", struct pol_get_row, updated_at),
	JCOL_STR("body", struct pol_get_row, body),
	JCOL_TIME("published_at", struct pol_get_row, published_at),
	JCOL_TIME("withdrawn_at", struct pol_get_row, withdrawn_at),
	JCOL_STR("withdraw_reason", struct pol_get_row, withdraw_reason),
	JCOL_END,
};
static const struct jcol att_cols[] = {
	JCOL_INT("id", struct pol_att_row, id),
	JCOL_STR("filename", struct pol_att_row, filename),
	JCOL_INT("size", struct pol_att_row, size),
	JCOL_STR("sha256", struct pol_att_row, sha256),
	JCOL_END,
};
static const struct jcol version_cols[] = {
	JCOL_INT32("version", struct pol_version_get_row, version),
	JCOL_STR("action", struct pol_version_get_row, action),
	JCOL_STR("state", struct pol_version_get_row, state),
	JCOL_STR("division", struct pol_version_get_row, division),
	JCOL_STR("division_name", struct pol_version_get_row, division_name),
	JCOL_STR("category", struct pol_version_get_row, category),
	JCOL_STR("title", struct pol_version_get_row, title),
	JCOL_STR("issuer", struct pol_version_get_row, issuer),
	JCOL_STR("doc_number", struct pol_version_get_row, doc_number),
	JCOL_STR("published_on", struct pol_version_get_row, published_on),
	JCOL_STR("effective_on", struct pol_version_get_row, effective_on),
	JCOL_STR("body", struct pol_version_get_row, body),
	JCOL_STR("withdraw_reason", struct pol_version_get_row, withdraw_reason),
	JCOL_TIME("changed_at", struct pol_version_get_row, changed_at),
	JCOL_END,
};

static const struct jcol versions_time_col[] = {
	JCOL_TIME("changed_at", struct pol_versions_row, changed_at),
	JCOL_END,
};

static void gen_user(yajl_gen g, const char *key, int64_t id, const char *name)
{
	jg_key(g, key);
	yajl_gen_map_open(g);
	jg_int(g, "id", id);
	jg_str(g, "display_name", name);
	yajl_gen_map_close(g);
}

/* ---- helpers ------------------------------------------------------------ */

static int64_t doc_id(struct req *r)
{
	return strtoll(req_param(r, "id"), NULL, 10);
}

static void not_found(struct req *r)
{
	resp_problem(r, 404, "not_found", "No such policy document.");
}

/* May p see a document of this division and state: a reader (published,
 * the division covers the caller's) or a manager of the division. */
static int visible(struct req *r, const struct principal *p, const char *division, const char *state)
{
	return (strcmp(state, "published") == 0 && division_covers(division, p->division_code)) ||
	       auth_allows(r, p, PERM, division);
}

/* 403 out_of_scope: p holds policy.manage, but not over div. The refusal
 * is audited (auth.denied, as auth_require's are) and nothing else is
 * written: an open transaction commits only that row. */
static void refuse_scope(struct req *r, const struct principal *p, const char *div)
{
	const char *details = json_members(r->arena, "permission", PERM, "code", "out_of_scope", NULL, 0);
	char *d = details ? arena_printf(r->arena, "%.*s,\"division\":\"%s\"}", (int)strlen(details) - 1, details, div)
			  : NULL;
	if ((!r->in_tx && db_begin(r) != 0) || auth_audit(r, p, "auth.denied", "route", r->path, "denied", d) != 0 ||
	    db_commit(r) != 0)
		return;
	const char *members[] = { "missing_permission", PERM, "division", div, NULL };
	resp_problem_with(r, 403, "out_of_scope", "Your policy.manage scope does not cover this division.", members);
}

/* In a transaction: lock the document and check p may change it. The row,
 * or NULL after replying (404 not visible, 403 out_of_scope). */
static struct pol_lock_row *lock_for_change(struct req *r, const struct principal *p, int64_t id)
{
	struct pol_lock_row *d;
	int n = pol_lock_run(r, &(struct pol_lock_in){ .id = id }, &d);
	if (n < 0)
		return NULL;
	if (n != 1 || !visible(r, p, d->division, d->state)) {
		not_found(r);
		return NULL;
	}
	if (!auth_allows(r, p, PERM, d->division)) {
		refuse_scope(r, p, d->division);
		return NULL;
	}
	return d;
}

static int division_known(struct req *r, const char *code)
{
	return division_exists_run(r, &(struct division_exists_in){ .code = code }, NULL);
}

/* The document as GET shows it, with status (after a change: committed). */
static void reply_doc(struct req *r, const struct principal *p, int64_t id, int status)
{
	struct pol_get_row *d;
	int n = pol_get_run(r, &(struct pol_get_in){ .id = id, .user_id = p->user_id }, &d);
	if (n < 0)
		return;
	if (n != 1 || !visible(r, p, d->division, d->state)) {
		not_found(r);
		return;
	}
	struct pol_att_row *atts;
	int na = pol_atts_run(r, &(struct pol_atts_in){ .id = id }, &atts);
	if (na < 0)
		return;
	/* unread only for a reader: a document addressed to the caller */
	d->unread = d->unread && division_covers(d->division, p->division_code);
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_members(r, g, d, pol_get_cols);
	jg_bool(g, "unread", d->unread);
	gen_user(g, "created_by", d->created_by, d->created_by_name);
	list_items(r, g, "attachments", atts, (size_t)na, sizeof(*atts), att_cols);
	yajl_gen_map_close(g);
	resp_json(r, status);
}

/* The body's fields, shared by create (required) and PATCH (optional). */
enum { F_DIVISION, F_CATEGORY, F_TITLE, F_ISSUER, F_DOC_NUMBER, F_PUBLISHED_ON, F_EFFECTIVE_ON, F_VERSION, F_N };

static int is_category(const char *s)
{
	return strcmp(s, "law") == 0 || strcmp(s, "policy") == 0 || strcmp(s, "guide") == 0 || strcmp(s, "notice") == 0;
}

static int text_ok(const char *s)
{
	return !valid_text_unsafe(s, strlen(s));
}

/* Validate the body: the scalar fields by spec, "body" (plain text with
 * line breaks) by hand; dates may be null (PATCH: cleared). 0, or -1 after
 * replying 400. */
static int read_fields(struct req *r, int create, struct fval *v, const char **body, int dates_null[2])
{
	const struct field spec[F_N] = {
		[F_DIVISION] = { "division", V_STRING, create, 6, 6, valid_digits6 },
		[F_CATEGORY] = { "category", V_STRING, create, 3, 6, is_category },
		[F_TITLE] = { "title", V_STRING, create, 1, 200, text_ok },
		[F_ISSUER] = { "issuer", V_STRING, create, 1, 100, text_ok },
		[F_DOC_NUMBER] = { "doc_number", V_STRING, 0, 0, 100, text_ok },
		[F_PUBLISHED_ON] = { "published_on", V_STRING, 0, 10, 10, pol_date_ok },
		[F_EFFECTIVE_ON] = { "effective_on", V_STRING, 0, 10, 10, pol_date_ok },
		[F_VERSION] = { "version", V_INT, !create, 1, 1L << 30, NULL },
	};
	const struct json *obj = req_json_object(r);
	if (obj == NULL)
		return -1;
	if (create && json_get(obj, "version")) {
		valid_reject(r, "unknown_field", "version", "is not a field of this request.");
		return -1;
	}
	const struct json *b = json_get(obj, "body");
	const struct json *scalars = json_without(r->arena, obj, b, NULL);
	if (scalars == NULL || valid_fields(r, scalars, spec, F_N, v) != 0)
		return -1;
	*body = NULL;
	if (b == NULL && create) {
		valid_reject(r, "missing_field", "body", "is required.");
		return -1;
	}
	if (b != NULL) {
		if (b->type != JSON_STRING || strlen(b->s) != b->len || pol_body_chars(b->s, b->len, POL_BODY_MAX_CHARS) < 0) {
			valid_reject(r, "invalid_field", "body",
				     "must be plain text of at most 200000 characters (line breaks and tabs allowed, no other control characters).");
			return -1;
		}
		*body = b->s;
	}
	const struct json *po = json_get(obj, "published_on"), *eo = json_get(obj, "effective_on");
	dates_null[0] = po && po->type == JSON_NULL;
	dates_null[1] = eo && eo->type == JSON_NULL;
	return 0;
}

/* A change's end: the snapshot of the new version, the audit row, commit. */
static int finish(struct req *r, const struct principal *p, int64_t id, const char *snap_action, const char *audit_action,
		  int version, const char *k2, const char *v2)
{
	return pol_snapshot_run(r, &(struct pol_snapshot_in){ .id = id, .action = snap_action, .user_id = p->user_id },
				NULL) != 1 ||
			       auth_audit(r, p, audit_action, "policy", req_i64str(r, id), "success",
					  json_members(r->arena, k2, v2, NULL, NULL, "version", version)) != 0 ||
			       db_commit(r) != 0
		       ? -1
		       : 0;
}

/* A failed insert or update: a tsvector beyond PostgreSQL's limit (54000,
 * a body of very many distinct words) is the body's fault. */
static void refuse_sql(struct req *r, const char *st)
{
	if (st && strcmp(st, "54000") == 0)
		valid_reject(r, "invalid_field", "body", "has too many distinct words to be indexed for search.");
	else if (st)
		db_reply_sqlstate(r, st);
}

/* ---- routes ------------------------------------------------------------- */

static int cursor_ok(const char *s)
{
	int64_t a, b;
	return pol_cursor_parse(s, &a, &b);
}

const struct qkey policies_query[] = {
	QKEY_TEXT("q", 400, pol_query_ok, "1 to 100 characters to search for"),
	QKEY_ENUM("category", "law", "policy", "guide", "notice"),
	QKEY_ENUM("state", "draft", "published", "withdrawn"),
	QKEY_ENUM("unread", "0", "1"),
	QKEY_TEXT("after", 40, cursor_ok, "the cursor a page named in next"),
	QKEY_INT("limit", 1, 100, 20),
	QKEY_END,
};

/* GET /api/v1/policies (any session) */
void h_policies_list(struct req *r)
{
	const struct principal *p = auth_session(r);
	const char *scopes = auth_scope_array(r, p, PERM);
	if (scopes == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	int64_t as = INT64_MAX, ai = INT64_MAX, limit = req_qint(r, "limit");
	const char *after = req_query(r, "after"), *unread = req_query(r, "unread");
	if (after)
		pol_cursor_parse(after, &as, &ai);
	struct pol_row *rows;
	struct pol_list_in in = { .division = p->division_code, .scopes = scopes, .user_id = p->user_id,
				  .q = req_query(r, "q"), .category = req_query(r, "category"),
				  .state = req_query(r, "state"), .unread = unread && strcmp(unread, "1") == 0,
				  .after_score = as, .after_id = ai, .limit = limit };
	/* the two statements take the same parameters (one list) */
	_Static_assert(sizeof(struct pol_search_in) == sizeof(in), "one parameter list");
	struct pol_search_in sin;
	memcpy(&sin, &in, sizeof(sin));
	int n = in.q ? pol_search_run(r, &sin, &rows) : pol_list_run(r, &in, &rows);
	if (n < 0)
		return;
	struct pol_unread_row *u;
	if (pol_unread_run(r, &(struct pol_unread_in){ .division = p->division_code, .user_id = p->user_id }, &u) != 1)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), pol_cols);
	if (n == limit && n > 0)
		jg_str(g, "next", arena_printf(r->arena, "%lld-%lld", (long long)rows[n - 1].score, (long long)rows[n - 1].id));
	else
		jg_null(g, "next");
	jg_int(g, "unread_count", u->n);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* GET /api/v1/policies/{id} (any session; invisible: 404) */
void h_policy_get(struct req *r)
{
	reply_doc(r, auth_session(r), doc_id(r), 200);
}

/* POST /api/v1/policies (policy.manage over the division) → 201 draft */
void h_policy_create(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct fval v[F_N];
	const char *body;
	int dn[2];
	if (read_fields(r, 1, v, &body, dn) != 0)
		return;
	const char *div = v[F_DIVISION].s;
	int n = division_known(r, div);
	if (n < 0)
		return;
	if (n != 1) {
		valid_reject(r, "invalid_field", "division", "No division has this code.");
		return;
	}
	if (!auth_allows(r, p, PERM, div)) {
		refuse_scope(r, p, div);
		return;
	}
	if (db_begin(r) != 0 || pol_slow_run(r, &(struct pol_slow_in){ 0 }, NULL) != 1)
		return;
	const char *st;
	struct pol_insert_row *ins;
	if (pol_insert_try(r,
			   &(struct pol_insert_in){ .division = div, .category = v[F_CATEGORY].s, .title = v[F_TITLE].s,
						    .issuer = v[F_ISSUER].s, .doc_number = v[F_DOC_NUMBER].s,
						    .published_on = v[F_PUBLISHED_ON].s, .effective_on = v[F_EFFECTIVE_ON].s,
						    .body = body, .user_id = p->user_id, .now_us = req_now_us(r) },
			   &ins, &st) != 1) {
		refuse_sql(r, st);
		return;
	}
	if (finish(r, p, ins->id, "create", "policy.create", 1, "category", v[F_CATEGORY].s) != 0)
		return;
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/policies/%lld", (long long)ins->id));
	reply_doc(r, p, ins->id, 201);
}

/* PATCH /api/v1/policies/{id} {version, …fields}: draft or published (a
 * published edit is a new version, unread again); not withdrawn. */
void h_policy_patch(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = doc_id(r);
	struct fval v[F_N];
	const char *body;
	int dn[2];
	if (read_fields(r, 0, v, &body, dn) != 0)
		return;
	/* a saved change is a version: an empty one is refused, not counted */
	int any = body != NULL || dn[0] || dn[1];
	for (int i = 0; i < F_VERSION; i++)
		any |= v[i].present;
	if (!any) {
		resp_problem(r, 400, "missing_field", "Name at least one field to change besides version.");
		return;
	}
	if (v[F_DIVISION].present) {
		int n = division_known(r, v[F_DIVISION].s);
		if (n < 0)
			return;
		if (n != 1) {
			valid_reject(r, "invalid_field", "division", "No division has this code.");
			return;
		}
	}
	if (db_begin(r) != 0)
		return;
	struct pol_lock_row *d = lock_for_change(r, p, id);
	if (d == NULL)
		return;
	/* moving a document needs the scope over where it goes too */
	if (v[F_DIVISION].present && !auth_allows(r, p, PERM, v[F_DIVISION].s)) {
		refuse_scope(r, p, v[F_DIVISION].s);
		return;
	}
	if (strcmp(d->state, "withdrawn") == 0) {
		resp_problem(r, 409, "policy_withdrawn", "A withdrawn document is not edited.");
		return;
	}
	if (d->version != v[F_VERSION].i) {
		resp_problem_with(r, 409, "stale_version", "The document was changed by someone else; reload it.",
				  (const char *[]){ "current_version", req_i64str(r, d->version), NULL });
		return;
	}
	/* a new title re-indexes the body too (one search column) */
	if (pol_slow_run(r, &(struct pol_slow_in){ 0 }, NULL) != 1)
		return;
	const char *st;
	struct pol_update_row *u;
	if (pol_update_try(r,
			   &(struct pol_update_in){ .id = id, .division = v[F_DIVISION].s, .category = v[F_CATEGORY].s,
						    .title = v[F_TITLE].s, .issuer = v[F_ISSUER].s,
						    .doc_number = v[F_DOC_NUMBER].s,
						    .set_published_on = v[F_PUBLISHED_ON].present || dn[0],
						    .published_on = v[F_PUBLISHED_ON].s,
						    .set_effective_on = v[F_EFFECTIVE_ON].present || dn[1],
						    .effective_on = v[F_EFFECTIVE_ON].s, .body = body, .now_us = req_now_us(r) },
			   &u, &st) != 1) {
		refuse_sql(r, st);
		return;
	}
	if (finish(r, p, id, "update", "policy.update", u->version, "state", d->state) != 0)
		return;
	reply_doc(r, p, id, 200);
}

/* POST /api/v1/policies/{id}/publish {version} and …/withdraw {version, reason} */
static void change_state(struct req *r, int publish)
{
	enum { S_VERSION, S_REASON };
	const struct field spec[] = {
		[S_VERSION] = { "version", V_INT, 1, 1, 1L << 30, NULL },
		[S_REASON] = { "reason", V_STRING, !publish, 2, 200, text_ok },
	};
	const struct principal *p = auth_session(r);
	int64_t id = doc_id(r);
	struct fval v[2];
	if (valid_body(r, spec, publish ? 1 : 2, v) != 0)
		return;
	if (db_begin(r) != 0)
		return;
	struct pol_lock_row *d = lock_for_change(r, p, id);
	if (d == NULL)
		return;
	if (strcmp(d->state, publish ? "draft" : "published") != 0) {
		resp_problem_with(r, 409, "invalid_state",
				  publish ? "Only a draft is published." : "Only a published document is withdrawn.",
				  (const char *[]){ "state", d->state, NULL });
		return;
	}
	if (d->version != v[S_VERSION].i) {
		resp_problem_with(r, 409, "stale_version", "The document was changed by someone else; reload it.",
				  (const char *[]){ "current_version", req_i64str(r, d->version), NULL });
		return;
	}
	int64_t now = req_now_us(r);
	int version;
	if (publish) {
		struct pol_publish_row *u;
		if (pol_publish_run(r, &(struct pol_publish_in){ .id = id, .now_us = now }, &u) != 1)
			return;
		version = u->version;
	} else {
		struct pol_withdraw_row *u;
		if (pol_withdraw_run(r, &(struct pol_withdraw_in){ .id = id, .now_us = now, .reason = v[S_REASON].s }, &u) !=
		    1)
			return;
		version = u->version;
	}
	if (finish(r, p, id, publish ? "publish" : "withdraw", publish ? "policy.publish" : "policy.withdraw", version,
		   "reason", publish ? NULL : v[S_REASON].s) != 0)
		return;
	reply_doc(r, p, id, 200);
}

void h_policy_publish(struct req *r)
{
	change_state(r, 1);
}

void h_policy_withdraw(struct req *r)
{
	change_state(r, 0);
}

/* POST /api/v1/policies/{id}/read → 204: the current version read */
void h_policy_read(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = doc_id(r);
	struct pol_lock_row *d;
	/* no lock needed: a mark of an older version is simply unread later */
	int n = pol_peek_run(r, &(struct pol_peek_in){ .id = id }, &d);
	if (n < 0)
		return;
	if (n != 1 || !visible(r, p, d->division, d->state)) {
		not_found(r);
		return;
	}
	if (pol_read_mark_run(r, &(struct pol_read_mark_in){ .user_id = p->user_id, .id = id, .version = d->version,
							      .now_us = req_now_us(r) },
			      NULL) < 0)
		return;
	resp_raw(r, 204, NULL, NULL, 0);
}

/* The document's versions and snapshots: managers of its division only
 * (earlier versions hold drafts). 0, or -1 after replying. */
static int require_manager(struct req *r, const struct principal *p, int64_t id)
{
	struct pol_get_row *d;
	int n = pol_get_run(r, &(struct pol_get_in){ .id = id, .user_id = p->user_id }, &d);
	if (n < 0)
		return -1;
	if (n != 1 || !visible(r, p, d->division, d->state)) {
		not_found(r);
		return -1;
	}
	if (!auth_allows(r, p, PERM, d->division)) {
		refuse_scope(r, p, d->division);
		return -1;
	}
	return 0;
}

/* GET /api/v1/policies/{id}/versions (policy.manage over it) */
void h_policy_versions(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = doc_id(r);
	if (require_manager(r, p, id) != 0)
		return;
	struct pol_versions_row *rows;
	int n = pol_versions_run(r, &(struct pol_versions_in){ .id = id }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		jg_int(g, "version", rows[i].version);
		jg_str(g, "state", rows[i].state);
		jg_str(g, "title", rows[i].title);
		gen_user(g, "changed_by", rows[i].changed_by, rows[i].changed_by_name);
		list_members(r, g, &rows[i], versions_time_col);
		jg_str(g, "action", rows[i].action);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* GET /api/v1/policies/{id}/versions/{n}: the snapshot */
void h_policy_version_get(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = doc_id(r), nv = strtoll(req_param(r, "n"), NULL, 10);
	if (require_manager(r, p, id) != 0)
		return;
	struct pol_version_get_row *v;
	int n = nv > (1L << 30) ? 0 : pol_version_get_run(r, &(struct pol_version_get_in){ .id = id, .version = (int)nv }, &v);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "version_not_found", "The document has no such version.");
		return;
	}
	struct pol_att_row *atts;
	int na = pol_atts_by_id_run(r, &(struct pol_atts_by_id_in){ .ids = v->attachments ? v->attachments : "" }, &atts);
	if (na < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", id);
	list_members(r, g, v, version_cols);
	gen_user(g, "changed_by", v->changed_by, v->changed_by_name);
	list_items(r, g, "attachments", atts, (size_t)na, sizeof(*atts), att_cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* A filename to keep: valid UTF-8, no controls or bidi controls, no path,
 * no quote, 1-200 characters; NULL if unusable. */
static char *clean_filename(struct req *r, const char *raw)
{
	size_t n = raw ? strlen(raw) : 0;
	if (n == 0 || !valid_utf8((const unsigned char *)raw, n) || valid_text_unsafe(raw, n))
		return NULL;
	const char *base = raw;
	for (size_t i = 0; i < n; i++)
		if (raw[i] == '/' || raw[i] == '\\')
			base = raw + i + 1;
	size_t bl = n - (size_t)(base - raw);
	if (bl == 0 || valid_utf8_chars(base, bl) > 200 || memchr(base, '"', bl) != NULL)
		return NULL;
	return arena_strndup(r->arena, base, bl);
}

static int filename_ok(const char *s)
{
	(void)s;
	return 1; /* checked by the handler, which names the problem */
}

const struct qkey policy_attachment_query[] = {
	QKEY_TEXT("filename", 1000, filename_ok, "the file's name"),
	QKEY_END,
};

/* POST /api/v1/policies/{id}/attachments?filename=… raw PDF body → 201 */
void h_policy_attachment_add(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = doc_id(r);
	char *fname = clean_filename(r, req_query(r, "filename"));
	if (fname == NULL) {
		valid_reject(r, "invalid_field", "filename",
			     "is required: up to 200 characters of UTF-8, no path, quote, control or bidi characters.");
		return;
	}
	if (r->body_len == 0) {
		valid_reject(r, "invalid_field", "file", "is empty.");
		return;
	}
	if (r->body_len > POL_ATTACHMENT_MAX) {
		resp_problem(r, 413, "policy_attachment_too_large", "An attachment may have at most 10 MiB.");
		return;
	}
	/* the bytes decide, not the client's Content-Type */
	if (r->body_len < 5 || memcmp(r->body, "%PDF-", 5) != 0) {
		resp_problem(r, 415, "policy_attachment_not_pdf", "Attachments of policy documents must be PDF files.");
		return;
	}
	unsigned char h[32];
	char sha[65];
	crypto_sha256(r->body, r->body_len, h);
	crypto_hex(h, sizeof(h), sha);
	if (db_begin(r) != 0)
		return;
	struct pol_lock_row *d = lock_for_change(r, p, id);
	if (d == NULL)
		return;
	if (strcmp(d->state, "withdrawn") == 0) {
		resp_problem(r, 409, "policy_withdrawn", "A withdrawn document is not changed.");
		return;
	}
	if (d->attachments >= POL_ATTACHMENTS_PER_DOC) {
		resp_problem(r, 409, "policy_attachment_limit", "A document holds at most 10 attachments.");
		return;
	}
	int64_t now = req_now_us(r);
	struct pol_att_insert_row *ins;
	struct pol_bump_row *b;
	if (pol_att_insert_run(r,
			       &(struct pol_att_insert_in){ .id = id, .filename = fname, .size = (int64_t)r->body_len,
							    .sha256 = sha, .data = { r->body, r->body_len },
							    .user_id = p->user_id, .now_us = now },
			       &ins) != 1 ||
	    pol_bump_run(r, &(struct pol_bump_in){ .id = id, .now_us = now }, &b) != 1)
		return;
	const char *aid = req_i64str(r, ins->aid);
	if (finish(r, p, id, "attachment_add", "policy.attachment.add", b->version, "attachment_id", aid) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_members(r, g,
		     &(struct pol_att_row){ .id = ins->aid, .filename = fname, .size = (int64_t)r->body_len, .sha256 = sha },
		     att_cols);
	jg_int(g, "version", b->version);
	yajl_gen_map_close(g);
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/policies/%lld/attachments/%s", (long long)id, aid));
	resp_json(r, 201);
}

/* DELETE /api/v1/policies/{id}/attachments/{aid} → 204 (a new version; the
 * bytes stay for the earlier versions) */
void h_policy_attachment_delete(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = doc_id(r), aid = strtoll(req_param(r, "aid"), NULL, 10);
	if (db_begin(r) != 0)
		return;
	struct pol_lock_row *d = lock_for_change(r, p, id);
	if (d == NULL)
		return;
	if (strcmp(d->state, "withdrawn") == 0) {
		resp_problem(r, 409, "policy_withdrawn", "A withdrawn document is not changed.");
		return;
	}
	int64_t now = req_now_us(r);
	struct pol_bump_row *b;
	int n = pol_att_remove_run(r, &(struct pol_att_remove_in){ .id = id, .aid = aid, .user_id = p->user_id, .now_us = now },
				   NULL);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "attachment_not_found", "The document has no such attachment.");
		return;
	}
	if (pol_bump_run(r, &(struct pol_bump_in){ .id = id, .now_us = now }, &b) != 1 ||
	    finish(r, p, id, "attachment_delete", "policy.attachment.delete", b->version, "attachment_id",
		   req_param(r, "aid")) != 0)
		return;
	resp_raw(r, 204, NULL, NULL, 0);
}

/* GET /api/v1/policies/{id}/attachments/{aid}: the PDF to whoever sees the
 * document; a removed attachment (kept for earlier versions) to its managers */
void h_policy_attachment_get(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = doc_id(r), aid = strtoll(req_param(r, "aid"), NULL, 10);
	struct pol_lock_row *d;
	int n = pol_peek_run(r, &(struct pol_peek_in){ .id = id }, &d);
	if (n < 0)
		return;
	if (n != 1 || !visible(r, p, d->division, d->state)) {
		not_found(r);
		return;
	}
	struct pol_att_get_row *a;
	n = pol_att_get_run(r, &(struct pol_att_get_in){ .id = id, .aid = aid }, &a);
	if (n < 0)
		return;
	if (n != 1 || (a->removed && !auth_allows(r, p, PERM, d->division))) {
		resp_problem(r, 404, "attachment_not_found", "The document has no such attachment.");
		return;
	}
	if (a->data.p == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
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
	resp_header(r, "Cache-Control", "private, no-store");
	resp_raw(r, 200, "application/pdf", a->data.p, a->data.len);
}
