/* Sessions and the one authorisation call every handler uses.
 *
 * A session is found by the SHA-256 of its token (cookie __Host-tb_session
 * or Authorization: Bearer); the row, its user and the user's permissions
 * are read from PostgreSQL and cached in Redis for AUTH_CACHE_TTL seconds
 * (and in the worker for a second), each copy stamped with the revocation
 * epoch it was read under: a copy older than the current epoch is never
 * used, so a revocation holds within a second whatever Redis does.
 * auth_require() decides (session, permission, object's divisions) -> allow
 * or deny and replies itself on deny: 401 without a valid session, 403
 * otherwise. It fails closed: any error is a denial. */
#ifndef TB_AUTH_H
#define TB_AUTH_H
#include <stddef.h>
#include <stdint.h>

#include "req.h"

#define AUTH_COOKIE "__Host-tb_session"
#define AUTH_IDLE_SECONDS (30 * 60)
#define AUTH_ABSOLUTE_SECONDS (12 * 60 * 60)
#define AUTH_CACHE_TTL 30
#define AUTH_TOUCH_SECONDS 60 /* last_seen_at is written at most this often */

struct auth_perm {
	const char *perm, *scope, *role;
	int needs_mfa;
};

struct auth_grant {
	int64_t id;
	const char *role, *scope;
};

struct principal {
	int64_t session_id, user_id;
	const char *username, *display_name, *agency_code, *division_code;
	int mfa, must_change_password, via_cookie, totp_enabled;
	const char *status, *phone, *agency_name, *division_name;
	int64_t version, created_us;
	int64_t seen_us, expires_us; /* last_seen_at as stored now, absolute end */
	const char *csrf_token;      /* derived token for a cookie session, else NULL */
	struct auth_perm *perms;
	size_t nperms;
	struct auth_grant *grants;
	size_t ngrants;
};

/* The request's session, or NULL (no reply) when there is none valid. */
const struct principal *auth_session(struct req *r);
/* perm NULL: any valid session (self-service; still refused while a
 * password change is due, except for the routes flagged AUTH_SELF).
 * divs: the object's divisions read from the database, never the request;
 * the permission must cover at least one of them (ndivs 0: anywhere in the
 * holder's scope — for listing, which then filters by scope). */
const struct principal *auth_require(struct req *r, const char *perm, const char *const *divs,
				     size_t ndivs);
/* The same for an object with sides (a case): a 403 for want of perm
 * also names the side and division it was wanted over ("missing_permission",
 * "side", "division" in the problem; auth_require names only the first). */
const struct principal *auth_require_side(struct req *r, const char *perm, const char *const *divs,
					  size_t ndivs, const char *side, const char *division);
/* Same decision without replying: 1 allowed, 0 not. */
int auth_allows(const struct req *r, const struct principal *p, const char *perm, const char *div);
/* Forget cached sessions of a user (after revocation, role or status change). */
void auth_forget_user(struct req *r, int64_t user_id);
void auth_forget_token_hash(struct req *r, const char *hash_hex);
/* The scopes in which p holds perm (for filtering lists), in the arena. */
size_t auth_scopes(struct req *r, const struct principal *p, const char *perm, const char ***out);
/* The same as one text[] literal (db_text_array) to bind as a statement
 * parameter; "{}" while the user must change their password; NULL when out
 * of memory. */
char *auth_scope_array(struct req *r, const struct principal *p, const char *perm);

/* An audit event (audit.h) whose actor is p, the session's user (p NULL:
 * no actor). 0, or -1 after replying. */
int auth_audit(struct req *r, const struct principal *p, const char *action, const char *object_type,
	       const char *object_id, const char *outcome, const char *details) __attribute__((warn_unused_result));

struct worker;
/* Release the worker's in-memory session table. */
void auth_worker_free(struct worker *w);

/* Hash a presented token into 64 hex digits; -1 when malformed. */
int auth_token_hash_hex(const char *token, char out[65]);
/* The CSRF token of a session: hex(SHA-256("tongban-csrf\0" || token)).
 * Derived rather than random so that a cookie session can get it again
 * (GET /auth/me) after a page reload; whoever can read the cookie holds the
 * session anyway, and a cross-site page can read neither. */
void auth_csrf_token(const char *token, char out[65]);

#endif
