/* Log-in, log-out, the current user, password change, TOTP, own sessions. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../core/crypto.h"
#include "../core/qr.h"
#include "../domain/password.h"
#include "admin.h"

#define MAX_FAILURES 5
#define LOCK_SECONDS (15 * 60)

static const struct stmt q_fail_row = {
	"login_fail_row",
	"INSERT INTO iam.login_failure (username, failures, last_at) VALUES ($1, 0, to_timestamp($2::float8 / 1000000))"
	" ON CONFLICT (username) DO NOTHING",
	2,
};
static const struct stmt q_fail_get = {
	"login_fail_get",
	"SELECT failures, (extract(epoch FROM last_at) * 1000000)::bigint,"
	" coalesce((extract(epoch FROM locked_until) * 1000000)::bigint, 0)"
	" FROM iam.login_failure WHERE username = $1 FOR UPDATE",
	1,
};
static const struct stmt q_fail_set = {
	"login_fail_set",
	"UPDATE iam.login_failure SET failures = $2, last_at = to_timestamp($3::float8 / 1000000),"
	" locked_until = to_timestamp(nullif($4, '0')::float8 / 1000000) WHERE username = $1",
	4,
};
static const struct stmt q_fail_clear = {
	"login_fail_clear", "DELETE FROM iam.login_failure WHERE username = $1", 1,
};
static const struct stmt q_login_user = {
	"login_user",
	"SELECT u.id, u.password_hash, u.status, u.agency_code, encode(u.totp_secret, 'hex'),"
	" u.totp_last_step, EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	"   WHERE g.user_id = u.id AND r.needs_mfa)::int, u.display_name, u.must_change_password::int"
	" FROM iam.user u WHERE u.username = $1",
	1,
};
static const struct stmt q_rehash = {
	"login_rehash", "UPDATE iam.user SET password_hash = $2 WHERE id = $1", 2,
};
static const struct stmt q_totp_step = {
	"login_totp_step", "UPDATE iam.user SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2", 2,
};
static const struct stmt q_session_new = {
	"session_new",
	"INSERT INTO iam.session (token_hash, csrf_hash, user_id, mfa, created_at, last_seen_at,"
	" expires_at, client_addr, user_agent) VALUES (decode($1, 'hex'), decode($2, 'hex'), $3, $4,"
	" to_timestamp($5::float8 / 1000000), to_timestamp($5::float8 / 1000000),"
	" to_timestamp($6::float8 / 1000000), $7, left($8, 200)) RETURNING id",
	8,
};
static const struct stmt q_session_revoke = {
	"session_revoke",
	"UPDATE iam.session SET revoked_at = to_timestamp($3::float8 / 1000000)"
	" WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING encode(token_hash, 'hex')",
	3,
};
static const struct stmt q_sessions_revoke_others = {
	"sessions_revoke_others",
	"UPDATE iam.session SET revoked_at = to_timestamp($3::float8 / 1000000)"
	" WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING encode(token_hash, 'hex')",
	3,
};
static const struct stmt q_pw_get = {
	"pw_get", "SELECT password_hash, username FROM iam.user WHERE id = $1 FOR UPDATE", 1,
};
static const struct stmt q_pw_set = {
	"pw_set",
	"UPDATE iam.user SET password_hash = $2, must_change_password = false,"
	" password_changed_at = now(), updated_at = now(), version = version + 1 WHERE id = $1",
	2,
};
static const struct stmt q_totp_get = {
	"totp_get",
	"SELECT (totp_secret IS NOT NULL)::int, encode(totp_pending, 'hex'), totp_last_step, username"
	" FROM iam.user WHERE id = $1 FOR UPDATE",
	1,
};
static const struct stmt q_totp_pending = {
	"totp_pending", "UPDATE iam.user SET totp_pending = decode($2, 'hex') WHERE id = $1", 2,
};
static const struct stmt q_totp_enable = {
	"totp_enable",
	"UPDATE iam.user SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = $2,"
	" updated_at = now(), version = version + 1 WHERE id = $1",
	2,
};
static const struct stmt q_session_mfa = {
	"session_mfa", "UPDATE iam.session SET mfa = true WHERE id = $1", 1,
};
static const struct stmt q_sessions_list = {
	"sessions_list",
	"SELECT id, (extract(epoch FROM created_at) * 1000000)::bigint,"
	" (extract(epoch FROM last_seen_at) * 1000000)::bigint,"
	" (extract(epoch FROM expires_at) * 1000000)::bigint, coalesce(client_addr, ''),"
	" coalesce(user_agent, ''), mfa::int FROM iam.session"
	" WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > to_timestamp($2::float8 / 1000000)"
	" AND last_seen_at > to_timestamp($2::float8 / 1000000) - interval '30 minutes' ORDER BY id",
	2,
};


char *scope_array(struct req *r, const struct principal *p, const char *perm)
{
	const char **scopes;
	size_t n = p->must_change_password ? 0 : auth_scopes(r, p, perm, &scopes);
	struct buf b = { 0 };
	int rc = buf_puts(&b, "{");
	for (size_t i = 0; i < n; i++)
		rc |= buf_printf(&b, "%s%s", i ? "," : "", scopes[i]); /* division codes: digits only */
	rc |= buf_puts(&b, "}");
	char *s = rc ? NULL : arena_strndup(r->arena, (const char *)b.p, b.len);
	buf_free(&b);
	return s;
}


static int hex_decode(const char *h, unsigned char *out, size_t max, size_t *n)
{
	size_t l = strlen(h);
	if (l % 2 || l / 2 > max)
		return -1;
	for (size_t i = 0; i < l / 2; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*n = l / 2;
	return 0;
}

static char *random_token(struct req *r, char hash_hex[65])
{
	unsigned char raw[TOKEN_BYTES];
	if (crypto_random(raw, sizeof(raw)) != 0)
		return NULL;
	char *tok = b64_encode(r->arena, raw, sizeof(raw), 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (tok == NULL)
		return NULL;
	unsigned char h[32];
	crypto_sha256(tok, strlen(tok), h);
	hex_encode(h, 32, hash_hex);
	return tok;
}

static void login_failed(struct req *r, const char *username, int64_t uid, const char *agency,
			 int failures, int64_t now, const char *why)
{
	int64_t locked = 0;
	failures++;
	if (failures >= MAX_FAILURES) {
		locked = now + (int64_t)LOCK_SECONDS * 1000000;
		failures = 0;
	}
	const char *p[] = { username, i64str(r, failures), i64str(r, now), i64str(r, locked) };
	if (db_exec(r, &q_fail_set, p) == NULL ||
	    audit_write_as(r, uid, username, agency, "auth.login", "user", uid ? i64str(r, uid) : NULL,
			   "failure", json_pairs(r, "reason", why, locked ? "locked" : NULL, "15 minutes")) != 0 ||
	    db_commit(r) != 0)
		return;
	resp_problem(r, 401, "invalid_credentials", "Wrong username, password or one-time code.");
}

/* POST /api/v1/auth/login {"username", "password", "otp"?} */
void h_login(struct req *r)
{
	static const struct field spec[] = {
		{ "username", V_STRING, 1, 1, 64, NULL },
		{ "password", V_STRING, 1, 1, 1024, NULL },
		{ "otp", V_STRING, 0, 6, 6, NULL },
	};
	struct fval v[3];
	if (valid_body(r, spec, 3, v) != 0)
		return;
	char *username = arena_strndup(r->arena, v[0].s, v[0].len);
	for (char *c = username; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	int64_t now = req_now_us(r);
	const char *pu[] = { username, i64str(r, now) };
	if (db_begin(r) != 0 || db_exec(r, &q_fail_row, pu) == NULL)
		return;
	PGresult *fr = db_exec(r, &q_fail_get, pu);
	if (fr == NULL)
		return;
	int failures = atoi(PQgetvalue(fr, 0, 0));
	int64_t last = strtoll(PQgetvalue(fr, 0, 1), NULL, 10);
	int64_t locked_until = strtoll(PQgetvalue(fr, 0, 2), NULL, 10);
	if (locked_until > now) {
		/* locked: refused without looking at the password */
		if (audit_write_as(r, 0, username, NULL, "auth.login", "user", NULL, "failure",
				   json_pairs(r, "reason", "locked", NULL, NULL)) != 0 ||
		    db_commit(r) != 0)
			return;
		resp_header(r, "Retry-After", i64str(r, (locked_until - now) / 1000000 + 1));
		resp_problem(r, 429, "login_locked", "Too many failed log-ins; try again later.");
		return;
	}
	if (now - last > (int64_t)LOCK_SECONDS * 1000000)
		failures = 0; /* failures long ago no longer count */
	PGresult *ur = db_exec(r, &q_login_user, pu);
	if (ur == NULL)
		return;
	if (PQntuples(ur) != 1 || !username_valid(username)) {
		pw_burn(v[1].s, v[1].len); /* as slow as a real check */
		login_failed(r, username, 0, NULL, failures, now, "unknown user");
		return;
	}
	int64_t uid = strtoll(PQgetvalue(ur, 0, 0), NULL, 10);
	const char *agency = PQgetvalue(ur, 0, 3);
	int weaker = 0;
	int ok = pw_verify(PQgetvalue(ur, 0, 1), v[1].s, v[1].len, &weaker);
	if (ok != 1) {
		login_failed(r, username, uid, agency, failures, now, "password");
		return;
	}
	if (strcmp(PQgetvalue(ur, 0, 2), "active") != 0) {
		login_failed(r, username, uid, agency, failures, now, "account not active");
		return;
	}
	int mfa = 0;
	const char *secret_hex = PQgetvalue(ur, 0, 4);
	if (secret_hex[0]) {
		if (!v[2].present) {
			/* nothing counted: the client asks for the code and tries again */
			if (db_commit(r) != 0)
				return;
			resp_problem(r, 401, "otp_required", "Enter the one-time code of your authenticator.");
			return;
		}
		unsigned char key[64];
		size_t klen;
		uint64_t step;
		if (hex_decode(secret_hex, key, sizeof(key), &klen) != 0 ||
		    !totp_check(key, klen, v[2].s, now / 1000000,
				(uint64_t)strtoull(PQgetvalue(ur, 0, 5), NULL, 10), &step)) {
			OPENSSL_cleanse(key, sizeof(key));
			login_failed(r, username, uid, agency, failures, now, "one-time code");
			return;
		}
		OPENSSL_cleanse(key, sizeof(key));
		const char *ps[] = { i64str(r, uid), i64str(r, (int64_t)step) };
		if (db_exec(r, &q_totp_step, ps) == NULL)
			return;
		mfa = 1;
	}
	if (weaker) {
		char *h = pw_hash(r->arena, v[1].s, v[1].len, PW_ITERATIONS);
		const char *ph[] = { i64str(r, uid), h };
		if (h == NULL || db_exec(r, &q_rehash, ph) == NULL) {
			if (!r->responded)
				resp_problem(r, 500, "internal", "The server could not complete the request.");
			return;
		}
	}
	char th[65], ch[65];
	char *token = random_token(r, th), *csrf = random_token(r, ch);
	if (token == NULL || csrf == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	int64_t exp = now + (int64_t)AUTH_ABSOLUTE_SECONDS * 1000000;
	const char *ua = req_header(r, "HTTP_USER_AGENT");
	const char *pn[] = { th, ch, i64str(r, uid), mfa ? "true" : "false", i64str(r, now), i64str(r, exp),
			     r->remote_addr, ua ? ua : "" };
	const char *pc[] = { username };
	PGresult *sr = db_exec(r, &q_session_new, pn);
	if (sr == NULL || db_exec(r, &q_fail_clear, pc) == NULL ||
	    audit_write_as(r, uid, username, agency, "auth.login", "session", PQgetvalue(sr, 0, 0), "success",
			   json_pairs(r, "mfa", mfa ? "true" : "false", weaker ? "rehashed" : NULL, "true")) != 0 ||
	    db_commit(r) != 0)
		return;
	resp_header(r, "Set-Cookie",
		    arena_printf(r->arena, AUTH_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%d",
				 token, AUTH_ABSOLUTE_SECONDS));
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "token", token);
	jg_str(g, "csrf_token", csrf);
	jg_str(g, "expires_at", time_rfc3339(r->arena, exp));
	jg_key(g, "user");
	yajl_gen_map_open(g);
	jg_int(g, "id", uid);
	jg_str(g, "username", username);
	jg_str(g, "display_name", PQgetvalue(ur, 0, 7));
	jg_str(g, "agency_code", agency);
	jg_bool(g, "must_change_password", atoi(PQgetvalue(ur, 0, 8)));
	jg_bool(g, "mfa", mfa);
	jg_bool(g, "mfa_required", atoi(PQgetvalue(ur, 0, 6)));
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/auth/logout */
void h_logout(struct req *r)
{
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	const char *params[] = { i64str(r, p->session_id), i64str(r, p->user_id), i64str(r, req_now_us(r)) };
	PGresult *res;
	if (db_begin(r) != 0 || (res = db_exec(r, &q_session_revoke, params)) == NULL ||
	    audit_write(r, p, "auth.logout", "session", params[0], "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	if (PQntuples(res) == 1)
		auth_forget_token_hash(r, PQgetvalue(res, 0, 0));
	resp_header(r, "Set-Cookie", AUTH_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
	resp_raw(r, 204, NULL, NULL, 0);
}

void gen_user(struct req *r, yajl_gen g, PGresult *res, int i)
{
	yajl_gen_map_open(g);
	jg_int(g, "id", strtoll(PQgetvalue(res, i, 0), NULL, 10));
	jg_str(g, "username", PQgetvalue(res, i, 1));
	jg_str(g, "display_name", PQgetvalue(res, i, 2));
	jg_str(g, "agency_code", PQgetvalue(res, i, 3));
	jg_str(g, "division_code", PQgetvalue(res, i, 4));
	const char *phone = PQgetvalue(res, i, 5);
	jg_str(g, "phone", phone[0] ? phone : NULL);
	jg_str(g, "status", PQgetvalue(res, i, 6));
	jg_bool(g, "must_change_password", atoi(PQgetvalue(res, i, 7)));
	jg_bool(g, "totp_enabled", atoi(PQgetvalue(res, i, 8)));
	jg_int(g, "version", atoll(PQgetvalue(res, i, 9)));
	jg_str(g, "created_at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 10), NULL, 10)));
	yajl_gen_map_close(g);
}

/* GET /api/v1/auth/me: everything comes with the session (no query) */
void h_me(struct req *r)
{
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "user");
	yajl_gen_map_open(g);
	jg_int(g, "id", p->user_id);
	jg_str(g, "username", p->username);
	jg_str(g, "display_name", p->display_name);
	jg_str(g, "agency_code", p->agency_code);
	jg_str(g, "division_code", p->division_code);
	jg_str(g, "phone", p->phone[0] ? p->phone : NULL);
	jg_str(g, "status", p->status);
	jg_bool(g, "must_change_password", p->must_change_password);
	jg_bool(g, "totp_enabled", p->totp_enabled);
	jg_int(g, "version", p->version);
	jg_str(g, "created_at", time_rfc3339(r->arena, p->created_us));
	yajl_gen_map_close(g);
	jg_key(g, "agency");
	yajl_gen_map_open(g);
	jg_str(g, "code", p->agency_code);
	jg_str(g, "name", p->agency_name);
	yajl_gen_map_close(g);
	jg_key(g, "division");
	yajl_gen_map_open(g);
	jg_str(g, "code", p->division_code);
	jg_str(g, "name", p->division_name);
	yajl_gen_map_close(g);
	jg_bool(g, "mfa", p->mfa);
	jg_key(g, "roles");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < p->ngrants; i++) {
		yajl_gen_map_open(g);
		jg_int(g, "grant_id", p->grants[i].id);
		jg_str(g, "role", p->grants[i].role);
		jg_str(g, "scope", p->grants[i].scope);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	/* permissions in effect in this session (those of second-factor roles
	 * only when the session has one) */
	jg_key(g, "permissions");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < p->nperms; i++) {
		if (p->perms[i].needs_mfa && !p->mfa)
			continue;
		yajl_gen_map_open(g);
		jg_str(g, "permission", p->perms[i].perm);
		jg_str(g, "scope", p->perms[i].scope);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

static int revoke_others(struct req *r, const struct principal *p)
{
	const char *params[] = { i64str(r, p->user_id), i64str(r, p->session_id), i64str(r, req_now_us(r)) };
	PGresult *res = db_exec(r, &q_sessions_revoke_others, params);
	if (res == NULL)
		return -1;
	for (int i = 0; i < PQntuples(res); i++)
		auth_forget_token_hash(r, PQgetvalue(res, i, 0));
	return 0;
}

/* POST /api/v1/auth/password {"current_password", "new_password"} */
void h_password(struct req *r)
{
	static const struct field spec[] = {
		{ "current_password", V_STRING, 1, 1, 1024, NULL },
		{ "new_password", V_STRING, 1, 1, 1024, NULL },
	};
	struct fval v[2];
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	if (valid_body(r, spec, 2, v) != 0)
		return;
	enum pw_problem pp = password_policy(p->username, v[1].s, v[1].len);
	if (pp != PW_OK) {
		valid_reject(r, "weak_password", "new_password", password_problem_text(pp));
		return;
	}
	const char *pid[] = { i64str(r, p->user_id) };
	PGresult *res;
	if (db_begin(r) != 0 || (res = db_exec(r, &q_pw_get, pid)) == NULL)
		return;
	int weaker;
	if (pw_verify(PQgetvalue(res, 0, 0), v[0].s, v[0].len, &weaker) != 1) {
		if (audit_write(r, p, "auth.password.change", "user", pid[0], "failure",
				json_pairs(r, "reason", "current password", NULL, NULL)) != 0 ||
		    db_commit(r) != 0)
			return;
		resp_problem(r, 403, "invalid_credentials", "The current password is wrong.");
		return;
	}
	if (v[0].len == v[1].len && memcmp(v[0].s, v[1].s, v[0].len) == 0) {
		valid_reject(r, "weak_password", "new_password", "The new password must differ from the current one.");
		return;
	}
	char *h = pw_hash(r->arena, v[1].s, v[1].len, PW_ITERATIONS);
	const char *ps[] = { pid[0], h };
	if (h == NULL || db_exec(r, &q_pw_set, ps) == NULL || revoke_others(r, p) != 0 ||
	    audit_write(r, p, "auth.password.change", "user", pid[0], "success", NULL) != 0 ||
	    db_commit(r) != 0) {
		if (!r->responded)
			resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	auth_forget_user(r, p->user_id);
	resp_raw(r, 204, NULL, NULL, 0);
}

/* POST /api/v1/auth/totp/enroll: a new secret, pending until confirmed. */
void h_totp_enroll(struct req *r)
{
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	const char *pid[] = { i64str(r, p->user_id) };
	PGresult *res;
	if (db_begin(r) != 0 || (res = db_exec(r, &q_totp_get, pid)) == NULL)
		return;
	if (atoi(PQgetvalue(res, 0, 0)) && !p->mfa) {
		/* replacing a second factor needs the second factor */
		resp_problem(r, 403, "mfa_required", "Log in with your current one-time code to replace it.");
		return;
	}
	unsigned char key[20];
	char hex[41];
	if (crypto_random(key, sizeof(key)) != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	hex_encode(key, sizeof(key), hex);
	char *b32 = b32_encode(r->arena, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	char *uri = arena_printf(r->arena,
				 "otpauth://totp/Tongban:%s?secret=%s&issuer=Tongban&algorithm=SHA1&digits=6&period=30",
				 p->username, b32);
	size_t png_len = 0;
	unsigned char *png = uri ? qr_png(r->arena, uri, 4, &png_len) : NULL;
	char *png64 = png ? b64_encode(r->arena, png, png_len, 0) : NULL;
	const char *pp[] = { pid[0], hex };
	if (png64 == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	if (db_exec(r, &q_totp_pending, pp) == NULL ||
	    audit_write(r, p, "auth.totp.enroll", "user", pid[0], "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	OPENSSL_cleanse(hex, sizeof(hex));
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "otpauth_uri", uri);
	jg_str(g, "secret", b32);
	jg_str(g, "qr_png", arena_printf(r->arena, "data:image/png;base64,%s", png64));
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/auth/totp/confirm {"otp"}: the pending secret becomes the
 * user's second factor, and this session counts as opened with it. */
void h_totp_confirm(struct req *r)
{
	static const struct field spec[] = { { "otp", V_STRING, 1, 6, 6, NULL } };
	struct fval v[1];
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	if (valid_body(r, spec, 1, v) != 0)
		return;
	const char *pid[] = { i64str(r, p->user_id) };
	PGresult *res;
	if (db_begin(r) != 0 || (res = db_exec(r, &q_totp_get, pid)) == NULL)
		return;
	unsigned char key[64];
	size_t klen;
	uint64_t step;
	const char *pending = PQgetvalue(res, 0, 1);
	if (pending[0] == '\0') {
		resp_problem(r, 409, "no_pending_enrolment", "Start an enrolment first.");
		return;
	}
	if (hex_decode(pending, key, sizeof(key), &klen) != 0 ||
	    !totp_check(key, klen, v[0].s, req_now_us(r) / 1000000,
			(uint64_t)strtoull(PQgetvalue(res, 0, 2), NULL, 10), &step)) {
		OPENSSL_cleanse(key, sizeof(key));
		if (audit_write(r, p, "auth.totp.confirm", "user", pid[0], "failure", NULL) != 0 ||
		    db_commit(r) != 0)
			return;
		resp_problem(r, 400, "invalid_otp", "The one-time code does not match.");
		return;
	}
	OPENSSL_cleanse(key, sizeof(key));
	const char *pe[] = { pid[0], i64str(r, (int64_t)step) };
	const char *ps[] = { i64str(r, p->session_id) };
	if (db_exec(r, &q_totp_enable, pe) == NULL || db_exec(r, &q_session_mfa, ps) == NULL ||
	    revoke_others(r, p) != 0 ||
	    audit_write(r, p, "auth.totp.enable", "user", pid[0], "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	auth_forget_user(r, p->user_id);
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_bool(g, "totp_enabled", 1);
	jg_bool(g, "mfa", 1);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* GET /api/v1/auth/sessions: one's own open sessions */
void h_sessions(struct req *r)
{
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	const char *params[] = { i64str(r, p->user_id), i64str(r, req_now_us(r)) };
	PGresult *res = db_exec(r, &q_sessions_list, params);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t id = strtoll(PQgetvalue(res, i, 0), NULL, 10);
		yajl_gen_map_open(g);
		jg_int(g, "id", id);
		jg_str(g, "created_at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 1), NULL, 10)));
		jg_str(g, "last_seen_at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 2), NULL, 10)));
		jg_str(g, "expires_at", time_rfc3339(r->arena, strtoll(PQgetvalue(res, i, 3), NULL, 10)));
		jg_str(g, "client_addr", PQgetvalue(res, i, 4));
		jg_str(g, "user_agent", PQgetvalue(res, i, 5));
		jg_bool(g, "mfa", atoi(PQgetvalue(res, i, 6)));
		jg_bool(g, "current", id == p->session_id);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* DELETE /api/v1/auth/sessions/{id}: only one's own (another's id is 404) */
void h_session_revoke(struct req *r)
{
	const struct principal *p = auth_require(r, NULL, NULL, 0);
	if (p == NULL)
		return;
	const char *params[] = { req_param(r, "id"), i64str(r, p->user_id), i64str(r, req_now_us(r)) };
	PGresult *res;
	if (db_begin(r) != 0 || (res = db_exec(r, &q_session_revoke, params)) == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "session_not_found", "You have no open session with this id.");
		return;
	}
	if (audit_write(r, p, "auth.session.revoke", "session", params[0], "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	auth_forget_token_hash(r, PQgetvalue(res, 0, 0));
	resp_raw(r, 204, NULL, NULL, 0);
}
