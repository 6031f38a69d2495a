/* Accounts: an admin manages users only inside the divisions where they
 * hold user.manage; the user's division is read from the database. */
#include <stdlib.h>
#include <string.h>

#include "../core/crypto.h"
#include "../domain/password.h"
#include "admin.h"

#define PAGE_MAX 200

/* A user as the API shows one. */
#define USER_COLS(P, C)                                                                          \
	C(id, I64) C(username, TEXT) C(display_name, TEXT) C(agency_code, TEXT) C(division_code, TEXT) \
	C(phone, TEXT) C(status, TEXT) C(must_change_password, BOOL) C(totp_enabled, BOOL) C(version, INT) \
	C(created_at, I64)
#define USER_SELECT                                                                               \
	"SELECT u.id, u.username, u.display_name, u.agency_code, a.division_code, u.phone, u.status,"    \
	" u.must_change_password, (u.totp_secret IS NOT NULL OR u.totp_secret_legacy IS NOT NULL),"     \
	" u.version, (extract(epoch FROM u.created_at) * 1000000)::bigint"                              \
	" FROM iam.user u JOIN iam.agency a ON a.code = u.agency_code"
DB_ROW(user_row, USER_COLS);
#define Q_USERS(P, C) P(scopes, TEXT) P(agency, TEXT) P(after, I64) P(limit, I64) USER_COLS(P, C)
DB_QUERY_AS(users_list, Q_USERS, user_row,
	    USER_SELECT " WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE ref.covers(s, a.division_code))"
			" AND ($2::text IS NULL OR u.agency_code = $2) AND u.id > $3 ORDER BY u.id LIMIT $4");
#define Q_USER_GET(P, C) P(id, I64) USER_COLS(P, C)
DB_QUERY_AS(user_get, Q_USER_GET, user_row, USER_SELECT " WHERE u.id = $1");
#define Q_AGENCY_DIV(P, C) P(code, TEXT) C(division_code, TEXT)
DB_QUERY(agency_division, Q_AGENCY_DIV, "SELECT division_code FROM iam.agency WHERE code = $1");
#define Q_USER_INSERT(P, C)                                                                     \
	P(username, TEXT) P(display_name, TEXT) P(agency_code, TEXT) P(phone, TEXT) P(password_hash, TEXT) \
	P(created_by, I64) P(enrol_code_hash, TEXT) P(enrol_code_expires, I64) C(id, I64)
DB_QUERY(user_insert, Q_USER_INSERT,
	 "INSERT INTO iam.user (username, display_name, agency_code, phone, password_hash, created_by,"
	 " enrol_code_hash, enrol_code_expires) VALUES ($1, $2, $3, $4, $5, $6, decode($7, 'hex'),"
	 " to_timestamp($8::float8 / 1000000)) RETURNING id");
/* NULL: unchanged; phone "" clears it */
#define Q_USER_UPDATE(P, C)                                                                      \
	P(id, I64) P(version, INT) P(display_name, TEXT) P(phone, TEXT) P(status, TEXT) C(id, I64)
DB_QUERY(user_update, Q_USER_UPDATE,
	 "UPDATE iam.user SET display_name = coalesce($3, display_name),"
	 " phone = CASE WHEN $4::text IS NULL THEN phone ELSE nullif($4, '') END,"
	 " status = coalesce($5, status), updated_at = now(), version = version + 1"
	 " WHERE id = $1 AND version = $2 RETURNING id");
/* An administrator account's second factor goes with its password: the
 * new holder of the password enrols again, with the new enrolment code. */
#define Q_USER_RESET(P, C)                                                                       \
	P(id, I64) P(password_hash, TEXT) P(enrol_code_hash, TEXT) P(enrol_code_expires, I64) C(admin, BOOL)
DB_QUERY(user_reset, Q_USER_RESET,
	 "UPDATE iam.user u SET password_hash = $2, must_change_password = true, password_changed_at = now(),"
	 " enrol_code_hash = decode($3, 'hex'), enrol_code_expires = to_timestamp($4::float8 / 1000000),"
	 " totp_secret = CASE WHEN a.admin THEN NULL ELSE totp_secret END,"
	 " totp_secret_legacy = CASE WHEN a.admin THEN NULL ELSE totp_secret_legacy END,"
	 " totp_pending = NULL, totp_pending_legacy = NULL,"
	 " updated_at = now(), version = version + 1"
	 " FROM (SELECT EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	 "   WHERE g.user_id = $1 AND r.kind = 'admin') AS admin) a"
	 " WHERE u.id = $1 RETURNING a.admin");
#define Q_USER_ID(P, C) P(user_id, I64)
DB_QUERY(user_unlock_all, Q_USER_ID, "DELETE FROM iam.login_throttle WHERE user_id = $1");
#define Q_ACTOR(P, C) P(actor, TEXT) C(actor, TEXT)
DB_QUERY(user_actor, Q_ACTOR, "SELECT set_config('tb.actor', $1, true)");
#define Q_MAY_MANAGE(P, C) P(manager, I64) P(target, I64) P(perm, TEXT) C(may, BOOL)
DB_QUERY(user_may_manage, Q_MAY_MANAGE, "SELECT coalesce(iam.may_manage($1, $2, $3), false)");
#define Q_REVOKE_ALL(P, C) P(user_id, I64) C(token_hash, TEXT)
DB_QUERY(user_revoke_all, Q_REVOKE_ALL,
	 "UPDATE iam.session SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
	 " RETURNING encode(token_hash, 'hex')");

static const struct jcol user_cols[] = {
	JCOL_INT("id", struct user_row, id),
	JCOL_STR("username", struct user_row, username),
	JCOL_STR("display_name", struct user_row, display_name),
	JCOL_STR("agency_code", struct user_row, agency_code),
	JCOL_STR("division_code", struct user_row, division_code),
	JCOL_STR_NE("phone", struct user_row, phone),
	JCOL_STR("status", struct user_row, status),
	JCOL_BOOL("must_change_password", struct user_row, must_change_password),
	JCOL_BOOL("totp_enabled", struct user_row, totp_enabled),
	JCOL_INT32("version", struct user_row, version),
	JCOL_TIME("created_at", struct user_row, created_at),
	JCOL_END,
};

static void gen_user(struct req *r, yajl_gen g, const struct user_row *u)
{
	yajl_gen_map_open(g);
	list_members(r, g, u, user_cols);
	yajl_gen_map_close(g);
}

static int is_phone(const char *s)
{
	size_t n = strlen(s);
	if (n == 0)
		return 1; /* "" clears it */
	if (n < 5 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || (s[i] == '+' && i == 0)))
			return 0;
	return 1;
}

static int is_status(const char *s)
{
	return strcmp(s, "active") == 0 || strcmp(s, "disabled") == 0 || strcmp(s, "locked") == 0;
}

/* Drop revoked sessions from the cache (after the commit that revoked them). */
static void forget(struct req *r, const struct user_revoke_all_row *revoked, int n)
{
	for (int i = 0; i < n; i++)
		auth_forget_token_hash(r, revoked[i].token_hash);
}

/* The user of the path, after checking perm (which the route asked for
 * somewhere) covers the user's division; NULL after replying (404 unknown,
 * 403 outside the caller's scope). */
static const struct user_row *user_in_scope(struct req *r, const char *perm)
{
	struct user_row *u;
	int n = user_get_run(r, &(struct user_get_in){ .id = strtoll(req_param(r, "id"), NULL, 10) }, &u);
	if (n < 0)
		return NULL;
	if (n != 1) {
		resp_problem(r, 404, "user_not_found", "No user has this id.");
		return NULL;
	}
	const char *div = u->division_code;
	if (auth_require(r, perm, &div, 1) == NULL)
		return NULL;
	return u;
}

void refuse_unique(struct req *r, const char *sqlstate, const char *code, const char *detail)
{
	if (strcmp(sqlstate, "23505") == 0)
		resp_problem(r, 409, code, detail);
	else
		db_reply_sqlstate(r, sqlstate);
}

int db_set_actor(struct req *r, int64_t uid)
{
	return user_actor_run(r, &(struct user_actor_in){ .actor = req_i64str(r, uid) }, NULL) < 0 ? -1 : 0;
}

int require_manageable(struct req *r, const struct principal *p, int64_t uid, const char *perm)
{
	if (uid == p->user_id) {
		resp_problem(r, 403, "own_account",
			     "Nobody manages their own account; use the self-service endpoints under /api/v1/auth.");
		return -1;
	}
	struct user_may_manage_row *m;
	if (user_may_manage_run(r, &(struct user_may_manage_in){ .manager = p->user_id, .target = uid, .perm = perm },
				&m) < 0)
		return -1;
	if (!m->may) {
		resp_problem(r, 403, "higher_account",
			     "You manage only accounts whose every role you could grant yourself, below your level"
			     " for administrator roles.");
		return -1;
	}
	return 0;
}

#define PAGE_MAX 200

const struct qkey users_query[] = {
	QKEY_TEXT("agency", 8, is_agency_code, "an agency code (6 or 8 digits)"),
	LIST_AFTER(PAGE_MAX, 50),
	QKEY_END,
};

/* GET /api/v1/users?agency=&after=&limit= (user.manage; those in its scopes) */
void h_users_list(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct page pg = list_page_of(r);
	struct user_row *rows;
	int n = users_list_run(r,
			       &(struct users_list_in){ .scopes = auth_scope_array(r, p, "user.manage"),
							.agency = req_query(r, "agency"),
							.after = pg.cursor,
							.limit = pg.limit },
			       &rows);
	if (n < 0)
		return;
	list_reply(r, rows, (size_t)n, sizeof(*rows), user_cols, &pg, n > 0 ? rows[n - 1].id : 0);
}

/* A new one-time enrolment code, valid ENROL_CODE_HOURS from now: NULL
 * after replying 500. */
static char *new_enrol_code(struct req *r, char hash_hex[65], int64_t *expires)
{
	char *code = enrol_code_new(r, hash_hex);
	*expires = req_now_us(r) + (int64_t)ENROL_CODE_HOURS * 3600 * 1000000;
	if (code == NULL)
		resp_problem(r, 500, "internal", "The server could not complete the request.");
	return code;
}

/* POST /api/v1/users {"username", "display_name", "agency_code", "phone"?,
 * "password"} (user.manage over the agency's division): the account must
 * change its password at first log-in. */
void h_user_create(struct req *r)
{
	enum { F_USERNAME, F_DISPLAY_NAME, F_AGENCY, F_PHONE, F_PASSWORD };
	static const struct field spec[] = {
		[F_USERNAME] = { "username", V_STRING, 1, 3, 32, username_valid },
		[F_DISPLAY_NAME] = { "display_name", V_STRING, 1, 1, 64, NULL },
		[F_AGENCY] = { "agency_code", V_STRING, 1, 6, 8, NULL },
		[F_PHONE] = { "phone", V_STRING, 0, 0, 20, is_phone },
		[F_PASSWORD] = { "password", V_STRING, 1, 1, 1024, NULL },
	};
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	const struct fval *username = &v[F_USERNAME], *password = &v[F_PASSWORD], *phone = &v[F_PHONE];
	enum pw_problem pp = password_policy(username->s, password->s, password->len);
	if (pp != PW_OK) {
		valid_reject(r, "weak_password", "password", password_problem_text(pp));
		return;
	}
	struct agency_division_row *ag;
	int n = agency_division_run(r, &(struct agency_division_in){ .code = v[F_AGENCY].s }, &ag);
	if (n < 0)
		return;
	if (n != 1) {
		valid_reject(r, "invalid_field", "agency_code", "No agency has this code.");
		return;
	}
	const char *div = ag->division_code;
	if (auth_require(r, "user.manage", &div, 1) == NULL)
		return;
	char *hash = crypto_pw_hash(r->arena, password->s, password->len, PW_ITERATIONS);
	if (hash == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	char code_hash[65];
	int64_t code_expires;
	char *code = new_enrol_code(r, code_hash, &code_expires);
	if (code == NULL || db_begin(r) != 0)
		return;
	const char *st;
	struct user_insert_row *ins;
	if (user_insert_try(r,
			    &(struct user_insert_in){ .username = username->s,
						      .display_name = v[F_DISPLAY_NAME].s,
						      .agency_code = v[F_AGENCY].s,
						      .phone = phone->present && phone->len ? phone->s : NULL,
						      .password_hash = hash,
						      .created_by = p->user_id,
						      .enrol_code_hash = code_hash,
						      .enrol_code_expires = code_expires },
			    &ins, &st) < 0) {
		if (st)
			refuse_unique(r, st, "username_taken", "This username is in use.");
		return;
	}
	const char *id = req_i64str(r, ins->id);
	if (auth_audit(r, p, "user.create", "user", id, "success",
			json_pairs(r->arena, "username", username->s, "agency_code", v[F_AGENCY].s)) != 0)
		return;
	struct user_row *u;
	if (user_get_run(r, &(struct user_get_in){ .id = ins->id }, &u) < 0 || db_commit(r) != 0)
		return;
	/* the enrolment code is shown this once, to be handed over out of band */
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_members(r, g, u, user_cols);
	jg_str(g, "enrolment_code", code);
	jg_str(g, "enrolment_code_expires_at", time_rfc3339(r->arena, code_expires));
	yajl_gen_map_close(g);
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/users/%s", id));
	resp_json(r, 201);
}

/* GET /api/v1/users/{id} (user.manage over the user's division) */
void h_user_get(struct req *r)
{
	const struct user_row *u = user_in_scope(r, "user.manage");
	if (u == NULL)
		return;
	gen_user(r, resp_gen(r), u);
	resp_json(r, 200);
}

/* PATCH /api/v1/users/{id} {"version", "display_name"?, "phone"?, "status"?}
 * (user.manage over the user's division) */
void h_user_patch(struct req *r)
{
	enum { F_VERSION, F_DISPLAY_NAME, F_PHONE, F_STATUS };
	static const struct field spec[] = {
		[F_VERSION] = { "version", V_INT, 1, 1, 1L << 30, NULL },
		[F_DISPLAY_NAME] = { "display_name", V_STRING, 0, 1, 64, NULL },
		[F_PHONE] = { "phone", V_STRING, 0, 0, 20, is_phone },
		[F_STATUS] = { "status", V_STRING, 0, 1, 16, is_status },
	};
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	if (user_in_scope(r, "user.manage") == NULL)
		return;
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	int64_t id = strtoll(req_param(r, "id"), NULL, 10);
	if (require_manageable(r, p, id, "user.manage") != 0)
		return;
	const struct fval *status = &v[F_STATUS];
	int n;
	if (db_begin(r) != 0 || db_set_actor(r, p->user_id) != 0 ||
	    (n = user_update_run(r,
				 &(struct user_update_in){
					 .id = id,
					 .version = (int)v[F_VERSION].i,
					 .display_name = v[F_DISPLAY_NAME].present ? v[F_DISPLAY_NAME].s : NULL,
					 .phone = v[F_PHONE].present ? v[F_PHONE].s : NULL,
					 .status = status->present ? status->s : NULL },
				 NULL)) < 0)
		return;
	if (n != 1) {
		resp_problem(r, 409, "version_conflict", "The user was changed by someone else; reload it.");
		return;
	}
	struct user_revoke_all_row *revoked = NULL;
	int nrevoked = 0;
	if (status->present && strcmp(status->s, "active") != 0 &&
	    (nrevoked = user_revoke_all_run(r, &(struct user_revoke_all_in){ .user_id = id }, &revoked)) < 0)
		return;
	if (auth_audit(r, p, "user.update", "user", req_i64str(r, id), "success",
			json_pairs(r->arena, "status", status->present ? status->s : NULL, NULL, NULL)) != 0)
		return;
	struct user_row *u;
	if (user_get_run(r, &(struct user_get_in){ .id = id }, &u) < 0 || db_commit(r) != 0)
		return;
	forget(r, revoked, nrevoked);
	auth_forget_user(r, id);
	gen_user(r, resp_gen(r), u);
	resp_json(r, 200);
}

/* POST /api/v1/users/{id}/password-reset {"password"} (user.manage over the
 * user's division): a temporary password the user must change; every
 * session of the user ends, its log-in locks are lifted, and a new one-time
 * enrolment code is answered (once). An administrator account also loses
 * its second factor: whoever holds the new password enrols again, with that
 * code. */
void h_user_password_reset(struct req *r)
{
	enum { F_PASSWORD };
	static const struct field spec[] = { [F_PASSWORD] = { "password", V_STRING, 1, 1, 1024, NULL } };
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	const struct user_row *cur = user_in_scope(r, "user.manage");
	if (cur == NULL)
		return;
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	int64_t id = cur->id;
	if (require_manageable(r, p, id, "user.manage") != 0)
		return;
	const struct fval *password = &v[F_PASSWORD];
	enum pw_problem pp = password_policy(cur->username, password->s, password->len);
	if (pp != PW_OK) {
		valid_reject(r, "weak_password", "password", password_problem_text(pp));
		return;
	}
	char code_hash[65];
	int64_t code_expires;
	char *code = new_enrol_code(r, code_hash, &code_expires);
	if (code == NULL)
		return;
	char *hash = crypto_pw_hash(r->arena, password->s, password->len, PW_ITERATIONS);
	if (hash == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	struct user_reset_row *reset = NULL;
	struct user_revoke_all_row *revoked = NULL;
	int nrevoked = 0;
	if (db_begin(r) != 0 || db_set_actor(r, p->user_id) != 0 ||
	    user_reset_run(r,
			   &(struct user_reset_in){ .id = id, .password_hash = hash, .enrol_code_hash = code_hash,
						    .enrol_code_expires = code_expires },
			   &reset) < 0 ||
	    (nrevoked = user_revoke_all_run(r, &(struct user_revoke_all_in){ .user_id = id }, &revoked)) < 0 ||
	    user_unlock_all_run(r, &(struct user_unlock_all_in){ .user_id = id }, NULL) < 0)
		return;
	int admin = reset->admin;
	if (auth_audit(r, p, "user.password.reset", "user", req_i64str(r, id), "success",
			json_pairs(r->arena, "totp_cleared", admin ? "true" : "false", NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	forget(r, revoked, nrevoked);
	auth_forget_user(r, id);
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "enrolment_code", code);
	jg_str(g, "enrolment_code_expires_at", time_rfc3339(r->arena, code_expires));
	jg_bool(g, "totp_cleared", admin);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
