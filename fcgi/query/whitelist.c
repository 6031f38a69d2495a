/* The sensitive whitelist (白名单): people whose records a query may only
 * touch with a jurisdiction admin's approval. A person is kept as the keyed
 * index of their ID number (and the masked form to show), never the number;
 * entries belong to a scope (the listing admin's jurisdiction), and are
 * listed, added and removed only by whitelist.manage covering that scope.
 * Every change is audited with its reason. */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "../domain/clock.h"
#include "../domain/division.h"
#include "../domain/register.h"
#include "archive.h"

static const struct keyring *data_keys_of(struct req *r);

int person_id_of(struct req *r, const char *field, const char *id_type, const char *number,
		 struct person_id *out)
{
	enum id_type t = id_type_parse(id_type);
	if (t == ID_INVALID_TYPE) {
		valid_reject(r, "invalid_field", arena_printf(r->arena, "%sid_type", field),
			     "is one of resident_id, passport, hk_macao_permit, taiwan_permit, uscc, other.");
		return -1;
	}
	size_t n = number ? strlen(number) : 0;
	char *norm = arena_strndup(r->arena, number ? number : "", n);
	if (norm == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	id_number_normalize(t, norm);
	for (size_t i = 0; i < n; i++)
		if (norm[i] >= 'a' && norm[i] <= 'z')
			norm[i] = (char)(norm[i] - 'a' + 'A');
	enum id_problem ip = n == 0 || n > 32 ? ID_FORM : id_number_check(t, norm, beijing_ymd(req_now_us(r)));
	if (ip != ID_OK) {
		OPENSSL_cleanse(norm, n);
		resp_problem_with(r, 400, "invalid_id_number", id_problem_text(t, ip),
				  (const char *const[]){ "field", arena_printf(r->arena, "%sid_number", field), NULL });
		return -1;
	}
	const struct keyring *k = data_keys_of(r);
	if (k == NULL) {
		OPENSSL_cleanse(norm, n);
		return -1;
	}
	char *typed = arena_printf(r->arena, "%s:%s", id_type, norm);
	int rc = typed ? keyring_index(k, "id_number", typed, strlen(typed), out->index) : -1;
	id_mask(norm, out->masked, sizeof(out->masked));
	OPENSSL_cleanse(norm, n);
	if (typed)
		OPENSSL_cleanse(typed, strlen(typed));
	if (rc != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	out->id_type = id_type;
	return 0;
}

static const struct keyring *data_keys_of(struct req *r)
{
	const struct keyring *k = r->w->conf.keys;
	if (keyring_usable(k))
		return k;
	/* fail closed: without the index key no person can be matched */
	resp_header(r, "Retry-After", "30");
	resp_problem(r, 503, "data_keys_unavailable",
		     "The data keys are not loaded; people cannot be matched by ID number.");
	return NULL;
}

#define Q_WL_LIST(P, C)                                                                            \
	P(scopes, TEXT) P(after, I64) P(limit, I64)                                                 \
	C(id, I64) C(name, TEXT) C(id_type, TEXT) C(id_masked, TEXT) C(reason, TEXT) C(scope, TEXT)  \
	C(created_by, I64) C(created_at, I64)
DB_QUERY(wl_list, Q_WL_LIST,
	 "SELECT w.id, w.name, w.id_type, w.id_masked, w.reason, w.scope_code, w.created_by,"
	 " (extract(epoch FROM w.created_at) * 1000000)::bigint"
	 " FROM qry.whitelist w WHERE w.removed_at IS NULL AND w.id > $2"
	 " AND EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE ref.covers(s, w.scope_code))"
	 " ORDER BY w.id LIMIT $3");
#define Q_WL_ADD(P, C)                                                                             \
	P(idx, TEXT) P(id_type, TEXT) P(masked, TEXT) P(name, TEXT) P(reason, TEXT) P(scope, TEXT)  \
	P(user_id, I64) P(now_us, I64) C(id, I64)
DB_QUERY(wl_add, Q_WL_ADD,
	 "INSERT INTO qry.whitelist (id_index, id_type, id_masked, name, reason, scope_code, created_by, created_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000000)) RETURNING id");
#define Q_DIV_EXISTS(P, C) P(code, TEXT) C(n, I64)
DB_QUERY(wl_div_exists, Q_DIV_EXISTS, "SELECT count(*) FROM ref.division WHERE code = $1");
#define Q_WL_ONE(P, C) P(id, I64) C(scope, TEXT)
DB_QUERY(wl_one, Q_WL_ONE,
	 "SELECT scope_code FROM qry.whitelist WHERE id = $1 AND removed_at IS NULL FOR UPDATE");
#define Q_WL_REMOVE(P, C) P(id, I64) P(user_id, I64) P(now_us, I64)
DB_QUERY(wl_remove, Q_WL_REMOVE,
	 "UPDATE qry.whitelist SET removed_by = $2, removed_at = to_timestamp($3::float8 / 1000000)"
	 " WHERE id = $1 AND removed_at IS NULL");

static const struct jcol wl_cols[] = {
	JCOL_INT("id", struct wl_list_row, id),
	JCOL_STR("name", struct wl_list_row, name),
	JCOL_STR("id_type", struct wl_list_row, id_type),
	JCOL_STR("id_number_masked", struct wl_list_row, id_masked),
	JCOL_STR("reason", struct wl_list_row, reason),
	JCOL_STR("scope", struct wl_list_row, scope),
	JCOL_INT("created_by", struct wl_list_row, created_by),
	JCOL_TIME("created_at", struct wl_list_row, created_at),
	JCOL_END,
};

/* GET /api/v1/whitelist?after=&limit= (whitelist.manage): the entries
 * inside the caller's whitelist.manage scopes, masked. */
void h_whitelist_list(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct page pg = list_page_of(r);
	struct wl_list_row *rows;
	int n = wl_list_run(r,
			    &(struct wl_list_in){ .scopes = auth_scope_array(r, p, "whitelist.manage"),
						  .after = pg.cursor, .limit = pg.limit },
			    &rows);
	if (n < 0)
		return;
	resp_header(r, "Cache-Control", "no-store");
	list_reply(r, rows, (size_t)n, sizeof(*rows), wl_cols, &pg, n > 0 ? rows[n - 1].id : 0);
}

/* POST /api/v1/whitelist {"name", "id_type", "id_number", "reason", "scope"} */
void h_whitelist_add(struct req *r)
{
	enum { F_NAME, F_TYPE, F_NUMBER, F_REASON, F_SCOPE, F_COUNT };
	static const struct field spec[F_COUNT] = {
		[F_NAME] = { "name", V_STRING, 1, 1, 100, NULL },
		[F_TYPE] = { "id_type", V_STRING, 1, 2, 20, NULL },
		[F_NUMBER] = { "id_number", V_STRING, 1, 1, 32, NULL },
		[F_REASON] = { "reason", V_STRING, 1, 4, 200, NULL },
		[F_SCOPE] = { "scope", V_STRING, 1, 6, 6, valid_digits6 },
	};
	const struct principal *p = auth_session(r);
	struct fval v[F_COUNT];
	if (valid_body(r, spec, F_COUNT, v) != 0)
		return;
	struct person_id who;
	if (person_id_of(r, "", v[F_TYPE].s, v[F_NUMBER].s, &who) != 0)
		return;
	const char *scope = v[F_SCOPE].s;
	if (db_begin(r) != 0)
		return;
	struct wl_div_exists_row *d;
	if (wl_div_exists_run(r, &(struct wl_div_exists_in){ .code = scope }, &d) != 1)
		return;
	if (d->n != 1) {
		valid_reject(r, "invalid_field", "scope", "is a division code of Guangxi.");
		return;
	}
	if (auth_require(r, "whitelist.manage", &scope, 1) == NULL)
		return;
	int64_t now = req_now_us(r);
	struct wl_add_row *row;
	const char *st;
	int n = wl_add_try(r,
			   &(struct wl_add_in){ .idx = who.index, .id_type = who.id_type, .masked = who.masked,
						.name = v[F_NAME].s, .reason = v[F_REASON].s, .scope = scope,
						.user_id = p->user_id, .now_us = now },
			   &row, &st);
	if (n < 0) {
		if (st != NULL && strcmp(st, "23505") == 0)
			resp_problem(r, 409, "already_whitelisted", "This person is already on the whitelist in this scope.");
		else if (st != NULL)
			db_reply_sqlstate(r, st);
		return;
	}
	const char *id = req_i64str(r, row->id);
	if (auth_audit(r, p, "whitelist.add", "whitelist", id, "success",
		       json_pairs(r->arena, "reason", v[F_REASON].s, "scope", scope)) != 0 ||
	    db_commit(r) != 0)
		return;
	struct wl_list_row out = { .id = row->id, .name = v[F_NAME].s, .id_type = who.id_type,
				   .id_masked = who.masked, .reason = v[F_REASON].s, .scope = scope,
				   .created_by = p->user_id, .created_at = now };
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_members(r, g, &out, wl_cols);
	yajl_gen_map_close(g);
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/whitelist/%s", id));
	resp_json(r, 201);
}

/* DELETE /api/v1/whitelist/{id} {"reason"?}: the entry ends (kept, with who
 * removed it and when). An entry outside the caller's scope is not found. */
void h_whitelist_remove(struct req *r)
{
	const struct principal *p = auth_session(r);
	const char *id = req_param(r, "id");
	const char *reason = NULL;
	if (r->body_len > 0) {
		enum { F_REASON, F_COUNT };
		static const struct field spec[F_COUNT] = {
			[F_REASON] = { "reason", V_STRING, 0, 4, 200, NULL },
		};
		struct fval v[F_COUNT];
		if (valid_body(r, spec, F_COUNT, v) != 0)
			return;
		reason = v[F_REASON].present ? v[F_REASON].s : NULL;
	}
	int64_t wid = strtoll(id, NULL, 10);
	if (db_begin(r) != 0)
		return;
	struct wl_one_row *w;
	int n = wl_one_run(r, &(struct wl_one_in){ .id = wid }, &w);
	if (n < 0)
		return;
	if (n != 1 || !auth_allows(r, p, "whitelist.manage", w->scope)) {
		resp_problem(r, 404, "whitelist_entry_not_found", "No whitelist entry with this id is in your scope.");
		return;
	}
	if (wl_remove_run(r, &(struct wl_remove_in){ .id = wid, .user_id = p->user_id, .now_us = req_now_us(r) },
			  NULL) != 1)
		return;
	if (auth_audit(r, p, "whitelist.remove", "whitelist", id, "success",
		       json_pairs(r->arena, "reason", reason, "scope", w->scope)) != 0 ||
	    db_commit(r) != 0)
		return;
	resp_raw(r, 204, NULL, NULL, 0);
}
