/* Log-in, log-out, the current user, password change, TOTP, own sessions. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../core/crypto.h"
#include "../core/keyring.h"
#include "../core/qr.h"
#include "../domain/password.h"
#include "admin.h"

/* Log-in throttling per (typed name, source address): the real user can
 * still log in from elsewhere while one source is held back. From the
 * LOCK_AFTER-th failure of a pair, each failure locks that pair for
 * LOCK_FIRST_S seconds, doubling up to LOCK_MAX_S; failures older than
 * FAIL_WINDOW_S are forgotten. ALERT_SOURCES sources failing on one name
 * within the window write an alert to the audit trail. */
#define LOCK_AFTER 5
#define LOCK_FIRST_S 60
#define LOCK_MAX_S (15 * 60)
#define FAIL_WINDOW_S (60 * 60)
#define ALERT_SOURCES 5

#define Q_THR_ROW(P, C) P(name_key, TEXT) P(source, TEXT) P(user_id, I64) P(now_us, I64)
DB_QUERY(login_thr_row, Q_THR_ROW,
	 "INSERT INTO iam.login_throttle (name_key, source, user_id, failures, last_at)"
	 " VALUES ($1, $2, nullif($3, 0), 0, to_timestamp($4::float8 / 1000000))"
	 " ON CONFLICT (name_key, source) DO NOTHING");
#define Q_THR_GET(P, C) P(name_key, TEXT) P(source, TEXT) C(id, I64) C(failures, INT) C(last_at, I64) C(locked_until, I64)
DB_QUERY(login_thr_get, Q_THR_GET,
	 "SELECT id, failures, (extract(epoch FROM last_at) * 1000000)::bigint,"
	 " coalesce((extract(epoch FROM locked_until) * 1000000)::bigint, 0)"
	 " FROM iam.login_throttle WHERE name_key = $1 AND source = $2 FOR UPDATE");
/* locked_until 0: not locked */
#define Q_THR_SET(P, C) P(id, I64) P(failures, INT) P(now_us, I64) P(locked_until, I64)
DB_QUERY(login_thr_set, Q_THR_SET,
	 "UPDATE iam.login_throttle SET failures = $2, last_at = to_timestamp($3::float8 / 1000000),"
	 " locked_until = to_timestamp(nullif($4, 0)::float8 / 1000000) WHERE id = $1");
#define Q_THR_CLEAR(P, C) P(id, I64)
DB_QUERY(login_thr_clear, Q_THR_CLEAR, "DELETE FROM iam.login_throttle WHERE id = $1");
#define Q_THR_SOURCES(P, C) P(name_key, TEXT) P(now_us, I64) P(window_s, INT) C(n, I64)
DB_QUERY(login_thr_sources, Q_THR_SOURCES,
	 "SELECT count(*) FROM iam.login_throttle WHERE name_key = $1 AND failures > 0"
	 " AND last_at > to_timestamp($2::float8 / 1000000) - make_interval(secs => $3)");
/* totp_secret and totp_legacy_hex are "" when absent */
#define Q_LOGIN_USER(P, C)                                                                        \
	P(username, TEXT)                                                                             \
	C(id, I64) C(password_hash, TEXT) C(status, TEXT) C(agency_code, TEXT) C(totp_secret, TEXT)     \
	C(totp_last_step, I64) C(mfa_required, BOOL) C(display_name, TEXT) C(must_change_password, BOOL) \
	C(totp_legacy_hex, TEXT) C(username, TEXT)
DB_QUERY(login_user, Q_LOGIN_USER,
	 "SELECT u.id, u.password_hash, u.status, u.agency_code, coalesce(u.totp_secret, ''),"
	 " u.totp_last_step, EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	 "   WHERE g.user_id = u.id AND r.needs_mfa), u.display_name, u.must_change_password,"
	 " coalesce(encode(u.totp_secret_legacy, 'hex'), ''), u.username"
	 " FROM iam.user u WHERE u.username = $1");
#define Q_TOTP_SEAL_LEGACY(P, C) P(id, I64) P(sealed, TEXT)
DB_QUERY(login_totp_seal_legacy, Q_TOTP_SEAL_LEGACY,
	 "UPDATE iam.user SET totp_secret = $2, totp_secret_legacy = NULL WHERE id = $1 AND totp_secret IS NULL");
#define Q_REHASH(P, C) P(id, I64) P(password_hash, TEXT)
DB_QUERY(login_rehash, Q_REHASH, "UPDATE iam.user SET password_hash = $2 WHERE id = $1");
#define Q_TOTP_STEP(P, C) P(id, I64) P(step, I64)
DB_QUERY(login_totp_step, Q_TOTP_STEP,
	 "UPDATE iam.user SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2");
#define Q_SESSION_NEW(P, C)                                                                       \
	P(token_hash, TEXT) P(csrf_hash, TEXT) P(user_id, I64) P(mfa, BOOL) P(now_us, I64) P(expires_us, I64) \
	P(client_addr, TEXT) P(user_agent, TEXT) C(id, I64)
DB_QUERY(session_new, Q_SESSION_NEW,
	 "INSERT INTO iam.session (token_hash, csrf_hash, user_id, mfa, created_at, last_seen_at,"
	 " expires_at, client_addr, user_agent) VALUES (decode($1, 'hex'), decode($2, 'hex'), $3, $4,"
	 " to_timestamp($5::float8 / 1000000), to_timestamp($5::float8 / 1000000),"
	 " to_timestamp($6::float8 / 1000000), $7, left($8, 200)) RETURNING id");
/* the revoked sessions' token hashes (hex), to drop from the cache */
#define Q_SESSION_REVOKE(P, C) P(id, I64) P(user_id, I64) P(now_us, I64) C(token_hash, TEXT)
DB_QUERY(session_revoke, Q_SESSION_REVOKE,
	 "UPDATE iam.session SET revoked_at = to_timestamp($3::float8 / 1000000)"
	 " WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL RETURNING encode(token_hash, 'hex')");
#define Q_REVOKE_OTHERS(P, C) P(user_id, I64) P(keep_id, I64) P(now_us, I64) C(token_hash, TEXT)
DB_QUERY(sessions_revoke_others, Q_REVOKE_OTHERS,
	 "UPDATE iam.session SET revoked_at = to_timestamp($3::float8 / 1000000)"
	 " WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING encode(token_hash, 'hex')");
#define Q_PW_GET(P, C) P(id, I64) C(password_hash, TEXT) C(username, TEXT)
DB_QUERY(pw_get, Q_PW_GET, "SELECT password_hash, username FROM iam.user WHERE id = $1 FOR UPDATE");
#define Q_PW_SET(P, C) P(id, I64) P(password_hash, TEXT)
DB_QUERY(pw_set, Q_PW_SET,
	 "UPDATE iam.user SET password_hash = $2, must_change_password = false,"
	 " password_changed_at = now(), updated_at = now(), version = version + 1 WHERE id = $1");
/* pending and enrol_code_hash are "" when absent, enrol_code_expires 0 */
#define Q_TOTP_GET(P, C)                                                                          \
	P(id, I64)                                                                                    \
	C(has_totp, BOOL) C(pending, TEXT) C(last_step, I64) C(username, TEXT) C(admin, BOOL)           \
	C(enrol_code_hash, TEXT) C(enrol_code_expires, I64)
DB_QUERY(totp_get, Q_TOTP_GET,
	 "SELECT (u.totp_secret IS NOT NULL OR u.totp_secret_legacy IS NOT NULL), coalesce(u.totp_pending, ''),"
	 " u.totp_last_step, u.username,"
	 " EXISTS (SELECT 1 FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	 "   WHERE g.user_id = u.id AND r.kind = 'admin'),"
	 " coalesce(encode(u.enrol_code_hash, 'hex'), ''),"
	 " coalesce((extract(epoch FROM u.enrol_code_expires) * 1000000)::bigint, 0)"
	 " FROM iam.user u WHERE u.id = $1 FOR UPDATE");
#define Q_TOTP_PENDING(P, C) P(id, I64) P(sealed, TEXT)
DB_QUERY(totp_pending, Q_TOTP_PENDING,
	 "UPDATE iam.user SET totp_pending = $2, totp_pending_legacy = NULL, enrol_code_hash = NULL,"
	 " enrol_code_expires = NULL WHERE id = $1");
#define Q_TOTP_ENABLE(P, C) P(id, I64) P(step, I64) P(sealed, TEXT)
DB_QUERY(totp_enable, Q_TOTP_ENABLE,
	 "UPDATE iam.user SET totp_secret = $3, totp_secret_legacy = NULL, totp_pending = NULL,"
	 " totp_pending_legacy = NULL, totp_last_step = $2, updated_at = now(), version = version + 1 WHERE id = $1");
#define Q_SESSION_MFA(P, C) P(id, I64)
DB_QUERY(session_mfa, Q_SESSION_MFA, "UPDATE iam.session SET mfa = true WHERE id = $1");
#define Q_SESSIONS(P, C)                                                                          \
	P(user_id, I64) P(now_us, I64)                                                                \
	C(id, I64) C(created_at, I64) C(last_seen_at, I64) C(expires_at, I64) C(client_addr, TEXT)      \
	C(user_agent, TEXT) C(mfa, BOOL)
DB_QUERY(sessions_list, Q_SESSIONS,
	 "SELECT id, (extract(epoch FROM created_at) * 1000000)::bigint,"
	 " (extract(epoch FROM last_seen_at) * 1000000)::bigint,"
	 " (extract(epoch FROM expires_at) * 1000000)::bigint, coalesce(client_addr, ''),"
	 " coalesce(user_agent, ''), mfa FROM iam.session"
	 " WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > to_timestamp($2::float8 / 1000000)"
	 " AND last_seen_at > to_timestamp($2::float8 / 1000000) - interval '30 minutes' ORDER BY id");

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
	char *tok = crypto_b64_encode(r->arena, raw, sizeof(raw), 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (tok == NULL)
		return NULL;
	unsigned char h[32];
	crypto_sha256(tok, strlen(tok), h);
	crypto_hex(h, 32, hash_hex);
	return tok;
}

/* The additional data a sealed TOTP value is bound to: its column, so a
 * value moved to another column does not open. The same strings as
 * `tbctl keys rotate` (fcgi/tbctl/keys.c), which seals legacy values. */
#define AAD_SECRET "iam.user.totp_secret"
#define AAD_PENDING "iam.user.totp_pending"

/* The data keys, or NULL after replying 503: no secret is ever stored or
 * read in clear when the stack has no key file. */
const struct keyring *data_keys(struct req *r)
{
	const struct keyring *k = r->w->conf.keys;
	if (!keyring_usable(k)) {
		resp_header(r, "Retry-After", "60");
		resp_problem(r, 503, "data_keys_unavailable",
			     "The data keys are not loaded; secrets cannot be read or stored.");
		return NULL;
	}
	return k;
}

/* The TOTP key of a sealed value (or of a legacy clear one, hex) into key;
 * 0, or -1 when it does not open. */
static int totp_key(struct req *r, const struct keyring *k, const char *sealed, const char *legacy_hex,
		    const char *aad, unsigned char key[64], size_t *klen)
{
	if (sealed[0] == '\0')
		return hex_decode(legacy_hex, key, 64, klen);
	unsigned char *pt;
	size_t n;
	if (keyring_open(k, r->arena, sealed, aad, &pt, &n) != 0)
		return -1;
	int rc = n >= 10 && n <= 64 ? 0 : -1;
	if (rc == 0) {
		memcpy(key, pt, n);
		*klen = n;
	}
	OPENSSL_cleanse(pt, n);
	return rc;
}

/* What a throttle row is keyed by: a keyed hash of the typed name (the name
 * itself, sometimes a mistyped password, is never stored). */
static void name_key(struct req *r, const char *username, char out[65])
{
	static const char domain[] = "iam.login_throttle.name";
	if (keyring_index(r->w->conf.keys, domain, username, strlen(username), out) == 0)
		return;
	/* no key file: an unkeyed hash, still domain || 0 || name */
	unsigned char h[32], m[sizeof(domain) + 256];
	size_t n = strlen(username);
	if (n > 256)
		n = 256; /* the log-in spec allows 64 characters: at most 256 bytes */
	memcpy(m, domain, sizeof(domain));
	memcpy(m + sizeof(domain), username, n);
	crypto_sha256(m, sizeof(domain) + n, h);
	crypto_hex(h, 32, out);
}

struct throttle {
	int64_t id;
	const char *key;
	int failures;
	int64_t last_us, locked_until_us;
};

/* The audit fields of a log-in attempt: the account when the name is one,
 * no typed text otherwise. */
struct attempt {
	int64_t uid;
	const char *name, *agency;
};

static int lock_seconds(int failures)
{
	if (failures < LOCK_AFTER)
		return 0;
	int64_t s = LOCK_FIRST_S;
	for (int i = LOCK_AFTER; i < failures && s < LOCK_MAX_S; i++)
		s *= 2;
	return (int)(s < LOCK_MAX_S ? s : LOCK_MAX_S);
}

static void login_failed(struct req *r, const struct throttle *t, const struct attempt *a, int64_t now,
			 const char *why)
{
	int failures = t->failures + 1;
	int secs = lock_seconds(failures);
	int64_t locked = secs ? now + (int64_t)secs * 1000000 : 0;
	const char *uid = a->uid ? req_i64str(r, a->uid) : NULL;
	if (login_thr_set_run(r,
			      &(struct login_thr_set_in){ .id = t->id, .failures = failures, .now_us = now,
							  .locked_until = locked },
			      NULL) < 0 ||
	    audit_write(r, a->uid, a->name, a->agency, "auth.login", "user", uid, "failure",
			   json_pairs(r->arena, "reason", why, secs ? "locked_seconds" : NULL, req_i64str(r, secs))) != 0)
		return;
	if (t->failures == 0) {
		/* a new source failing on this name: many of them is an attack on it */
		struct login_thr_sources_row *c;
		if (login_thr_sources_run(
			    r, &(struct login_thr_sources_in){ .name_key = t->key, .now_us = now, .window_s = FAIL_WINDOW_S },
			    &c) < 0)
			return;
		if (c->n >= ALERT_SOURCES &&
		    audit_write(r, a->uid, a->name, a->agency, "auth.login.alert", "user", uid, "failure",
				   json_pairs(r->arena, "sources", req_i64str(r, c->n), a->uid ? NULL : "name_key",
					      r->w->conf.keys ? t->key : NULL)) != 0)
			return;
	}
	if (db_commit(r) != 0)
		return;
	resp_problem(r, 401, "invalid_credentials", "Wrong username, password or one-time code.");
}

/* POST /api/v1/auth/login {"username", "password", "otp"?} */
void h_login(struct req *r)
{
	enum { F_USERNAME, F_PASSWORD, F_OTP };
	static const struct field spec[] = {
		[F_USERNAME] = { "username", V_STRING, 1, 1, 64, NULL },
		[F_PASSWORD] = { "password", V_STRING, 1, 1, 1024, NULL },
		[F_OTP] = { "otp", V_STRING, 0, 6, 6, NULL },
	};
	struct fval v[NELEM(spec)];
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	const struct fval *password = &v[F_PASSWORD], *otp = &v[F_OTP];
	char *username = arena_strndup(r->arena, v[F_USERNAME].s, v[F_USERNAME].len);
	for (char *c = username; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	int64_t now = req_now_us(r);
	const char *source = r->remote_addr && r->remote_addr[0] ? r->remote_addr : "-";
	if (strlen(source) > 64)
		source = arena_strndup(r->arena, source, 64);
	struct login_user_row *u;
	int nu;
	if (db_begin(r) != 0 || (nu = login_user_run(r, &(struct login_user_in){ .username = username }, &u)) < 0)
		return;
	int known = nu == 1 && username_valid(username);
	struct attempt a = { 0 };
	if (known) {
		a.uid = u->id;
		a.name = u->username;
		a.agency = u->agency_code;
	}
	char key[65];
	name_key(r, username, key);
	struct login_thr_get_row *tr;
	if (login_thr_row_run(r,
			      &(struct login_thr_row_in){ .name_key = key, .source = source, .user_id = a.uid,
							  .now_us = now },
			      NULL) < 0 ||
	    login_thr_get_run(r, &(struct login_thr_get_in){ .name_key = key, .source = source }, &tr) < 0)
		return;
	struct throttle t = { .id = tr->id, .key = key, .failures = tr->failures, .last_us = tr->last_at,
			      .locked_until_us = tr->locked_until };
	if (t.locked_until_us > now) {
		/* locked: refused without looking at the password */
		if (audit_write(r, a.uid, a.name, a.agency, "auth.login", "user", a.uid ? req_i64str(r, a.uid) : NULL,
				   "failure", json_pairs(r->arena, "reason", "locked", NULL, NULL)) != 0 ||
		    db_commit(r) != 0)
			return;
		resp_header(r, "Retry-After", req_i64str(r, (t.locked_until_us - now) / 1000000 + 1));
		resp_problem(r, 429, "login_locked", "Too many failed log-ins; try again later.");
		return;
	}
	if (now - t.last_us > (int64_t)FAIL_WINDOW_S * 1000000)
		t.failures = 0; /* failures long ago no longer count */
	if (!known) {
		crypto_pw_burn(password->s, password->len); /* as slow as a real check */
		login_failed(r, &t, &a, now, "unknown user");
		return;
	}
	int64_t uid = a.uid;
	const char *agency = a.agency, *account = a.name;
	int weaker = 0;
	int ok = crypto_pw_verify(u->password_hash, password->s, password->len, &weaker);
	if (ok != 1) {
		login_failed(r, &t, &a, now, "password");
		return;
	}
	if (strcmp(u->status, "active") != 0) {
		login_failed(r, &t, &a, now, "account not active");
		return;
	}
	int mfa = 0;
	const char *sealed = u->totp_secret, *legacy = u->totp_legacy_hex;
	if (sealed[0] || legacy[0]) {
		const struct keyring *keys = data_keys(r);
		if (keys == NULL)
			return;
		if (!otp->present) {
			/* nothing counted: the client asks for the code and tries again */
			if (db_commit(r) != 0)
				return;
			resp_problem(r, 401, "otp_required", "Enter the one-time code of your authenticator.");
			return;
		}
		unsigned char k[64];
		size_t klen;
		uint64_t step;
		if (totp_key(r, keys, sealed, legacy, AAD_SECRET, k, &klen) != 0 ||
		    !crypto_totp_check(k, klen, otp->s, now / 1000000, (uint64_t)u->totp_last_step, &step)) {
			OPENSSL_cleanse(k, sizeof(k));
			login_failed(r, &t, &a, now, "one-time code");
			return;
		}
		/* a clear value waiting to be sealed is sealed by its first use */
		char *now_sealed = sealed[0] ? NULL : keyring_seal(keys, r->arena, k, klen, AAD_SECRET);
		OPENSSL_cleanse(k, sizeof(k));
		if (login_totp_step_run(r, &(struct login_totp_step_in){ .id = uid, .step = (int64_t)step }, NULL) < 0 ||
		    (now_sealed &&
		     login_totp_seal_legacy_run(r, &(struct login_totp_seal_legacy_in){ .id = uid, .sealed = now_sealed },
						NULL) < 0))
			return;
		mfa = 1;
	}
	if (weaker) {
		char *h = crypto_pw_hash(r->arena, password->s, password->len, PW_ITERATIONS);
		if (h == NULL || db_set_actor(r, uid) != 0 ||
		    login_rehash_run(r, &(struct login_rehash_in){ .id = uid, .password_hash = h }, NULL) < 0) {
			if (!r->responded)
				resp_problem(r, 500, "internal", "The server could not complete the request.");
			return;
		}
	}
	char th[65], ch[65], csrf[65];
	char *token = random_token(r, th);
	if (token == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	/* derived from the token, so GET /auth/me can give it again after a
	 * reload; only its hash is stored, and auth.c checks against that */
	auth_csrf_token(token, csrf);
	unsigned char chb[32];
	crypto_sha256(csrf, 64, chb);
	crypto_hex(chb, 32, ch);
	int64_t exp = now + (int64_t)AUTH_ABSOLUTE_SECONDS * 1000000;
	const char *ua = req_header(r, "HTTP_USER_AGENT");
	struct session_new_row *sn;
	if (session_new_run(r,
			    &(struct session_new_in){ .token_hash = th, .csrf_hash = ch, .user_id = uid, .mfa = mfa,
						      .now_us = now, .expires_us = exp, .client_addr = r->remote_addr,
						      .user_agent = ua ? ua : "" },
			    &sn) < 0 ||
	    login_thr_clear_run(r, &(struct login_thr_clear_in){ .id = t.id }, NULL) < 0 ||
	    audit_write(r, uid, account, agency, "auth.login", "session", req_i64str(r, sn->id), "success",
			   json_pairs(r->arena, "mfa", mfa ? "true" : "false", weaker ? "rehashed" : NULL, "true")) != 0 ||
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
	jg_str(g, "username", account);
	jg_str(g, "display_name", u->display_name);
	jg_str(g, "agency_code", agency);
	jg_bool(g, "must_change_password", u->must_change_password);
	jg_bool(g, "mfa", mfa);
	jg_bool(g, "mfa_required", u->mfa_required);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/auth/logout (a session) */
void h_logout(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct session_revoke_row *rev;
	int n;
	if (db_begin(r) != 0 ||
	    (n = session_revoke_run(r,
				    &(struct session_revoke_in){ .id = p->session_id, .user_id = p->user_id,
								 .now_us = req_now_us(r) },
				    &rev)) < 0 ||
	    auth_audit(r, p, "auth.logout", "session", req_i64str(r, p->session_id), "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	if (n == 1)
		auth_forget_token_hash(r, rev->token_hash);
	resp_header(r, "Set-Cookie", AUTH_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
	resp_raw(r, 204, NULL, NULL, 0);
}

/* GET /api/v1/auth/me: everything comes with the session (no query) */
void h_me(struct req *r)
{
	const struct principal *p = auth_session(r);
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
	jg_code_name(g, "agency", p->agency_code, p->agency_name);
	jg_code_name(g, "division", p->division_code, p->division_name);
	jg_bool(g, "mfa", p->mfa);
	/* a cookie session gets its CSRF token again here (a page reload loses
	 * it); a bearer client needs none */
	jg_str(g, "csrf_token", p->via_cookie ? p->csrf_token : NULL);
	jg_key(g, "session");
	yajl_gen_map_open(g);
	jg_int(g, "id", p->session_id);
	jg_str(g, "expires_at", time_rfc3339(r->arena, p->expires_us));
	int64_t idle_end = p->seen_us + (int64_t)AUTH_IDLE_SECONDS * 1000000;
	jg_str(g, "idle_expires_at", time_rfc3339(r->arena, idle_end < p->expires_us ? idle_end : p->expires_us));
	jg_int(g, "idle_timeout_s", AUTH_IDLE_SECONDS);
	yajl_gen_map_close(g);
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
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}

static int revoke_others(struct req *r, const struct principal *p)
{
	struct sessions_revoke_others_row *rev;
	int n = sessions_revoke_others_run(r,
					   &(struct sessions_revoke_others_in){ .user_id = p->user_id,
										.keep_id = p->session_id,
										.now_us = req_now_us(r) },
					   &rev);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		auth_forget_token_hash(r, rev[i].token_hash);
	return 0;
}

/* POST /api/v1/auth/password {"current_password", "new_password"} (a session) */
void h_password(struct req *r)
{
	enum { F_CURRENT, F_NEW };
	static const struct field spec[] = {
		[F_CURRENT] = { "current_password", V_STRING, 1, 1, 1024, NULL },
		[F_NEW] = { "new_password", V_STRING, 1, 1, 1024, NULL },
	};
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	const struct fval *cur = &v[F_CURRENT], *new = &v[F_NEW];
	enum pw_problem pp = password_policy(p->username, new->s, new->len);
	if (pp != PW_OK) {
		valid_reject(r, "weak_password", "new_password", password_problem_text(pp));
		return;
	}
	const char *uid = req_i64str(r, p->user_id);
	struct pw_get_row *pw;
	if (db_begin(r) != 0 || pw_get_run(r, &(struct pw_get_in){ .id = p->user_id }, &pw) < 0)
		return;
	int weaker;
	if (crypto_pw_verify(pw->password_hash, cur->s, cur->len, &weaker) != 1) {
		if (auth_audit(r, p, "auth.password.change", "user", uid, "failure",
				json_pairs(r->arena, "reason", "current password", NULL, NULL)) != 0 ||
		    db_commit(r) != 0)
			return;
		resp_problem(r, 403, "invalid_credentials", "The current password is wrong.");
		return;
	}
	if (cur->len == new->len && memcmp(cur->s, new->s, cur->len) == 0) {
		valid_reject(r, "weak_password", "new_password", "The new password must differ from the current one.");
		return;
	}
	char *h = crypto_pw_hash(r->arena, new->s, new->len, PW_ITERATIONS);
	if (h == NULL || db_set_actor(r, p->user_id) != 0 ||
	    pw_set_run(r, &(struct pw_set_in){ .id = p->user_id, .password_hash = h }, NULL) < 0 ||
	    revoke_others(r, p) != 0 || auth_audit(r, p, "auth.password.change", "user", uid, "success", NULL) != 0 ||
	    db_commit(r) != 0) {
		if (!r->responded)
			resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	auth_forget_user(r, p->user_id);
	resp_raw(r, 204, NULL, NULL, 0);
}

#define ENROL_CODE_BYTES 10 /* 80 bits: 16 base32 characters */

/* The hash of an enrolment code as typed (case, spaces and dashes do not
 * matter); -1 when it cannot be one. */
int enrol_code_hash(const char *typed, size_t n, char out[65])
{
	char norm[32];
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = typed[i];
		if (c == '-' || c == ' ')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (!((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) || k == sizeof(norm))
			return -1;
		norm[k++] = c;
	}
	if (k != ENROL_CODE_BYTES * 8 / 5)
		return -1;
	unsigned char h[32];
	crypto_sha256(norm, k, h);
	OPENSSL_cleanse(norm, sizeof(norm));
	crypto_hex(h, 32, out);
	return 0;
}

char *enrol_code_new(struct req *r, char hash_hex[65])
{
	unsigned char raw[ENROL_CODE_BYTES];
	if (crypto_random(raw, sizeof(raw)) != 0)
		return NULL;
	char *b = crypto_b32_encode(r->arena, raw, sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	if (b == NULL || strlen(b) < 16)
		return NULL;
	char *code = arena_printf(r->arena, "%.4s-%.4s-%.4s-%.4s", b, b + 4, b + 8, b + 12);
	if (code == NULL || enrol_code_hash(code, strlen(code), hash_hex) != 0)
		return NULL;
	return code;
}

static void enrol_refused(struct req *r, const struct principal *p, const char *code, const char *why,
			  const char *detail)
{
	if (auth_audit(r, p, "auth.totp.enroll", "user", req_i64str(r, p->user_id), "failure",
			json_pairs(r->arena, "reason", why, NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	resp_problem(r, 403, code, detail);
}

/* POST /api/v1/auth/totp/enroll {"enrolment_code"?} (a session): a new
 * secret, pending until confirmed. An administrator account's first second
 * factor needs the one-time enrolment code handed over when the account was
 * made or reset; it is used up here. */
void h_totp_enroll(struct req *r)
{
	enum { F_CODE };
	static const struct field spec[] = { [F_CODE] = { "enrolment_code", V_STRING, 0, 1, 64, NULL } };
	struct fval v[NELEM(spec)];
	memset(v, 0, sizeof(v));
	const struct principal *p = auth_session(r);
	if (r->body_len) {
		const struct json *body = req_json_object(r);
		if (body == NULL || valid_fields(r, body, spec, NELEM(spec), v) != 0)
			return;
	}
	const struct keyring *keys = data_keys(r);
	if (keys == NULL)
		return;
	const char *uid = req_i64str(r, p->user_id);
	struct totp_get_row *tg;
	if (db_begin(r) != 0 || totp_get_run(r, &(struct totp_get_in){ .id = p->user_id }, &tg) < 0)
		return;
	if (tg->has_totp && !p->mfa) {
		/* replacing a second factor needs the second factor */
		resp_problem(r, 403, "mfa_required", "Log in with your current one-time code to replace it.");
		return;
	}
	int first_admin = !tg->has_totp && tg->admin;
	if (first_admin) {
		/* the password alone (perhaps set by someone else) does not make an
		 * administrator's second factor */
		const struct fval *code = &v[F_CODE];
		char h[65];
		if (!code->present) {
			enrol_refused(r, p, "enrolment_code_required", "no code",
				      "An administrator account enrols its first second factor with the one-time"
				      " enrolment code it was given.");
			return;
		}
		if (enrol_code_hash(code->s, code->len, h) != 0 || strlen(tg->enrol_code_hash) != 64 ||
		    !crypto_equal(h, tg->enrol_code_hash, 64)) {
			enrol_refused(r, p, "invalid_enrolment_code", "wrong code",
				      "The enrolment code is wrong or has been used.");
			return;
		}
		if (tg->enrol_code_expires <= req_now_us(r)) {
			enrol_refused(r, p, "invalid_enrolment_code", "expired code",
				      "The enrolment code has expired; ask for a password reset.");
			return;
		}
	}
	unsigned char key[20];
	if (crypto_random(key, sizeof(key)) != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	char *b32 = crypto_b32_encode(r->arena, key, sizeof(key));
	char *sealed = keyring_seal(keys, r->arena, key, sizeof(key), AAD_PENDING);
	OPENSSL_cleanse(key, sizeof(key));
	char *uri = b32 ? arena_printf(r->arena,
				       "otpauth://totp/Tongban:%s?secret=%s&issuer=Tongban&algorithm=SHA1&digits=6&period=30",
				       p->username, b32) : NULL;
	size_t png_len = 0;
	unsigned char *png = uri ? qr_png(r->arena, uri, 4, &png_len) : NULL;
	char *png64 = png ? crypto_b64_encode(r->arena, png, png_len, 0) : NULL;
	if (png64 == NULL || sealed == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	if (totp_pending_run(r, &(struct totp_pending_in){ .id = p->user_id, .sealed = sealed }, NULL) < 0 ||
	    auth_audit(r, p, "auth.totp.enroll", "user", uid, "success",
			json_pairs(r->arena, "enrolment_code", first_admin ? "used" : NULL, NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "otpauth_uri", uri);
	jg_str(g, "secret", b32);
	jg_str(g, "qr_png", arena_printf(r->arena, "data:image/png;base64,%s", png64));
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/auth/totp/confirm {"otp"} (a session): the pending secret
 * becomes the user's second factor, and this session counts as opened with it. */
void h_totp_confirm(struct req *r)
{
	enum { F_OTP };
	static const struct field spec[] = { [F_OTP] = { "otp", V_STRING, 1, 6, 6, NULL } };
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	const struct keyring *keys = data_keys(r);
	if (keys == NULL)
		return;
	const char *uid = req_i64str(r, p->user_id);
	struct totp_get_row *tg;
	if (db_begin(r) != 0 || totp_get_run(r, &(struct totp_get_in){ .id = p->user_id }, &tg) < 0)
		return;
	unsigned char key[64];
	size_t klen;
	uint64_t step;
	if (tg->pending[0] == '\0') {
		resp_problem(r, 409, "no_pending_enrolment", "Start an enrolment first.");
		return;
	}
	if (totp_key(r, keys, tg->pending, "", AAD_PENDING, key, &klen) != 0 ||
	    !crypto_totp_check(key, klen, v[F_OTP].s, req_now_us(r) / 1000000, (uint64_t)tg->last_step, &step)) {
		OPENSSL_cleanse(key, sizeof(key));
		if (auth_audit(r, p, "auth.totp.confirm", "user", uid, "failure", NULL) != 0 || db_commit(r) != 0)
			return;
		resp_problem(r, 400, "invalid_otp", "The one-time code does not match.");
		return;
	}
	char *sealed = keyring_seal(keys, r->arena, key, klen, AAD_SECRET);
	OPENSSL_cleanse(key, sizeof(key));
	if (sealed == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	if (totp_enable_run(r, &(struct totp_enable_in){ .id = p->user_id, .step = (int64_t)step, .sealed = sealed },
			    NULL) < 0 ||
	    session_mfa_run(r, &(struct session_mfa_in){ .id = p->session_id }, NULL) < 0 || revoke_others(r, p) != 0 ||
	    auth_audit(r, p, "auth.totp.enable", "user", uid, "success", NULL) != 0 || db_commit(r) != 0)
		return;
	auth_forget_user(r, p->user_id);
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_bool(g, "totp_enabled", 1);
	jg_bool(g, "mfa", 1);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

static const struct jcol session_cols[] = {
	JCOL_INT("id", struct sessions_list_row, id),
	JCOL_TIME("created_at", struct sessions_list_row, created_at),
	JCOL_TIME("last_seen_at", struct sessions_list_row, last_seen_at),
	JCOL_TIME("expires_at", struct sessions_list_row, expires_at),
	JCOL_STR("client_addr", struct sessions_list_row, client_addr),
	JCOL_STR("user_agent", struct sessions_list_row, user_agent),
	JCOL_BOOL("mfa", struct sessions_list_row, mfa),
	JCOL_END,
};

/* GET /api/v1/auth/sessions (a session): one's own open sessions */
void h_sessions(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct sessions_list_row *rows;
	int n = sessions_list_run(r, &(struct sessions_list_in){ .user_id = p->user_id, .now_us = req_now_us(r) },
				  &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		list_members(r, g, &rows[i], session_cols);
		jg_bool(g, "current", rows[i].id == p->session_id);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* DELETE /api/v1/auth/sessions/{id} (a session): only one's own (another's
 * id is 404) */
void h_session_revoke(struct req *r)
{
	const struct principal *p = auth_session(r);
	int64_t id = strtoll(req_param(r, "id"), NULL, 10);
	struct session_revoke_row *rev;
	int n;
	if (db_begin(r) != 0 ||
	    (n = session_revoke_run(
		     r, &(struct session_revoke_in){ .id = id, .user_id = p->user_id, .now_us = req_now_us(r) }, &rev)) < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "session_not_found", "You have no open session with this id.");
		return;
	}
	if (auth_audit(r, p, "auth.session.revoke", "session", req_i64str(r, id), "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	auth_forget_token_hash(r, rev->token_hash);
	resp_raw(r, 204, NULL, NULL, 0);
}
