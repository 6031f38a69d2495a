#include "auth.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "resp.h"
#include "audit.h"
#include "cache.h"
#include "crypto.h"
#include "db.h"
#include "log.h"
#include "server.h" /* the service's scope_covers rule */

/* One row: the session, its user, the user's grants and permissions. */
static const struct stmt q_session = {
	"auth_session",
	"SELECT s.id, s.user_id, u.username, u.display_name, u.agency_code, a.division_code,"
	" s.mfa::int, u.must_change_password::int, u.status,"
	" (extract(epoch FROM s.last_seen_at) * 1000000)::bigint,"
	" (extract(epoch FROM s.expires_at) * 1000000)::bigint,"
	" encode(s.csrf_hash, 'hex'),"
	" coalesce((SELECT string_agg(rp.permission_code || ' ' || g.scope_code || ' ' || r.needs_mfa::int"
	"   || ' ' || r.code, ';' ORDER BY rp.permission_code, g.scope_code)"
	"   FROM iam.grant g JOIN iam.role r ON r.code = g.role_code"
	"   JOIN iam.role_permission rp ON rp.role_code = g.role_code WHERE g.user_id = s.user_id), ''),"
	" coalesce((SELECT string_agg(g.id || ' ' || g.role_code || ' ' || g.scope_code, ';' ORDER BY g.id)"
	"   FROM iam.grant g WHERE g.user_id = s.user_id), ''),"
	" coalesce(u.phone, ''), (u.totp_secret IS NOT NULL)::int, u.version,"
	" (extract(epoch FROM u.created_at) * 1000000)::bigint, a.name, d.name,"
	" (SELECT epoch FROM iam.revocation_epoch)"
	" FROM iam.session s JOIN iam.user u ON u.id = s.user_id"
	" JOIN iam.agency a ON a.code = u.agency_code JOIN ref.division d ON d.code = a.division_code"
	" WHERE s.token_hash = decode($1, 'hex') AND s.revoked_at IS NULL",
	1,
};

/* The revocation epoch (sql/0010): read in the same statement as a session
 * row above, so the row is stamped with the epoch it was read under. */
static const struct stmt q_epoch = {
	"auth_epoch",
	"SELECT epoch FROM iam.revocation_epoch",
	0,
};

static const struct stmt q_touch = {
	"auth_touch",
	"UPDATE iam.session SET last_seen_at = to_timestamp($2::float8 / 1000000)"
	" WHERE id = $1 AND revoked_at IS NULL",
	2,
};

static const struct stmt q_user_sessions = {
	"auth_user_sessions",
	"SELECT encode(token_hash, 'hex') FROM iam.session WHERE user_id = $1 AND revoked_at IS NULL",
	1,
};

enum { F_SID, F_UID, F_USER, F_NAME, F_AGENCY, F_DIV, F_MFA, F_MCP, F_STATUS, F_SEEN, F_EXP,
       F_CSRF, F_PERMS, F_GRANTS, F_PHONE, F_TOTP, F_VERSION, F_CREATED, F_AGENCY_NAME,
       F_DIV_NAME, F_EPOCH, F_COUNT };
static const char *const field_names[F_COUNT] = { "sid", "uid", "u", "n", "a", "d", "mfa",
						  "mcp", "st", "seen", "exp", "csrf", "perms",
						  "grants", "ph", "totp", "v", "c", "an", "dn",
						  "ep" };

/* Each worker keeps the sessions it saw in the last second in memory, so a
 * busy session costs no round trip at all. Any revocation on this host's
 * pool bumps a shared generation that empties every worker's table at once.
 *
 * What makes a revocation hold everywhere, whatever Redis does, is the
 * revocation epoch: every revocation bumps it in its own transaction
 * (triggers, sql/0010), every cached copy (Redis blob and this table)
 * carries the epoch it was read under, and a copy older than the epoch this
 * worker last read is ignored. The worker re-reads the epoch when its copy
 * is older than EPOCH_FRESH_US; when it cannot, no cache is trusted. A
 * revocation is so refused within EPOCH_FRESH_US plus one request on every
 * pool and host; the Redis deletes are only an optimisation. */
#define LOCAL_SLOTS 256
#define LOCAL_TTL_US 1000000
#define EPOCH_FRESH_US 500000

struct local_entry {
	char hash[65];
	int64_t fetched_us, epoch;
	uint64_t gen;
	char *blob;			/* the fields, NUL-separated, malloc'd */
	const char *f[F_COUNT];
};

struct local_cache {
	struct local_entry e[LOCAL_SLOTS];
	int64_t epoch;		/* the revocation epoch last read */
	int64_t epoch_read_us;	/* when (0: never) */
};

static struct local_cache *local_cache(struct worker *w)
{
	if (w->auth_cache == NULL)
		w->auth_cache = calloc(1, sizeof(struct local_cache));
	return w->auth_cache;
}

static struct local_entry *local_slot(struct worker *w, const char *hash)
{
	struct local_cache *c = local_cache(w);
	if (c == NULL)
		return NULL;
	unsigned idx = (unsigned)strtoul((char[]){ hash[0], hash[1], hash[2], 0 }, NULL, 16) % LOCAL_SLOTS;
	return &c->e[idx];
}

/* The current revocation epoch, or -1 when it cannot be known (then no
 * cached session may be trusted). At most one query per EPOCH_FRESH_US. */
static int64_t current_epoch(struct req *r)
{
	struct local_cache *c = local_cache(r->w);
	if (c == NULL)
		return -1;
	int64_t now = time_mono_us();
	if (c->epoch_read_us != 0 && now - c->epoch_read_us < EPOCH_FRESH_US)
		return c->epoch;
	const char *state;
	PGresult *res = db_exec_try(r, &q_epoch, NULL, &state);
	if (res == NULL || PQntuples(res) != 1)
		return -1;
	int64_t e = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (e > c->epoch)
		c->epoch = e;
	c->epoch_read_us = now;
	return c->epoch;
}

static uint64_t generation(const struct worker *w)
{
	return w->shared ? __atomic_load_n(&w->shared->auth_generation, __ATOMIC_ACQUIRE) : 0;
}

static const char **local_get(struct req *r, const char *hash, int64_t epoch)
{
	struct local_entry *e = local_slot(r->w, hash);
	if (e == NULL || e->blob == NULL || strcmp(e->hash, hash) != 0 || e->gen != generation(r->w) ||
	    e->epoch < epoch || time_mono_us() - e->fetched_us >= LOCAL_TTL_US)
		return NULL;
	return e->f;
}

static void local_put(struct req *r, const char *hash, const char *const *f)
{
	struct local_entry *e = local_slot(r->w, hash);
	if (e == NULL)
		return;
	size_t total = 0;
	for (int i = 0; i < F_COUNT; i++)
		total += strlen(f[i]) + 1;
	char *blob = malloc(total);
	if (blob == NULL)
		return;
	free(e->blob);
	e->blob = blob;
	for (int i = 0; i < F_COUNT; i++) {
		size_t n = strlen(f[i]) + 1;
		memcpy(blob, f[i], n);
		e->f[i] = blob;
		blob += n;
	}
	memcpy(e->hash, hash, 65);
	e->epoch = strtoll(f[F_EPOCH], NULL, 10);
	e->fetched_us = time_mono_us();
	e->gen = generation(r->w);
}

static void local_drop(struct req *r, const char *hash)
{
	struct local_entry *e = local_slot(r->w, hash);
	if (e && e->blob && strcmp(e->hash, hash) == 0)
		e->fetched_us = 0;
}

void auth_worker_free(struct worker *w)
{
	struct local_cache *c = w->auth_cache;
	for (int i = 0; c && i < LOCAL_SLOTS; i++)
		free(c->e[i].blob);
	free(c);
	w->auth_cache = NULL;
}

int auth_token_hash_hex(const char *token, char out[65])
{
	/* 32 random bytes in base64url: 43 characters */
	size_t n = token ? strlen(token) : 0;
	if (n != 43)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = token[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return -1;
	}
	unsigned char h[32];
	crypto_sha256(token, n, h);
	crypto_hex(h, 32, out);
	return 0;
}

void auth_csrf_token(const char *token, char out[65])
{
	static const char label[] = "tongban-csrf"; /* hashed with its NUL */
	unsigned char buf[sizeof(label) + 64], h[32];
	size_t n = strlen(token);
	if (n > 64)
		n = 64; /* tokens are 43 characters (auth_token_hash_hex) */
	memcpy(buf, label, sizeof(label));
	memcpy(buf + sizeof(label), token, n);
	crypto_sha256(buf, sizeof(label) + n, h);
	OPENSSL_cleanse(buf, sizeof(buf));
	crypto_hex(h, 32, out);
}

/* "a b c d;a b c d" -> words; returns the number of records */
static size_t split_records(struct arena *a, const char *s, size_t words, char ****out)
{
	size_t n = 0, cap = 0;
	char ***recs = NULL;
	char *copy = arena_strndup(a, s, strlen(s));
	if (copy == NULL)
		return 0;
	char *save = NULL;
	for (char *rec = strtok_r(copy, ";", &save); rec; rec = strtok_r(NULL, ";", &save)) {
		char **w = arena_alloc(a, words * sizeof(char *));
		if (w == NULL || arena_grow(a, (void **)&recs, &cap, n, 1, sizeof(*recs)) != 0)
			return 0;
		char *s2 = NULL;
		size_t i = 0;
		for (char *t = strtok_r(rec, " ", &s2); t && i < words; t = strtok_r(NULL, " ", &s2))
			w[i++] = t;
		if (i != words)
			continue;
		recs[n++] = w;
	}
	*out = recs;
	return n;
}

static struct principal *from_fields(struct req *r, const char *const *f)
{
	struct principal *p = arena_alloc(r->arena, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->session_id = strtoll(f[F_SID], NULL, 10);
	p->user_id = strtoll(f[F_UID], NULL, 10);
	p->username = f[F_USER];
	p->display_name = f[F_NAME];
	p->agency_code = f[F_AGENCY];
	p->division_code = f[F_DIV];
	p->mfa = atoi(f[F_MFA]);
	p->must_change_password = atoi(f[F_MCP]);
	p->status = f[F_STATUS];
	p->phone = f[F_PHONE];
	p->totp_enabled = atoi(f[F_TOTP]);
	p->version = atoll(f[F_VERSION]);
	p->created_us = strtoll(f[F_CREATED], NULL, 10);
	p->agency_name = f[F_AGENCY_NAME];
	p->division_name = f[F_DIV_NAME];
	char ***recs;
	size_t n = split_records(r->arena, f[F_PERMS], 4, &recs);
	p->perms = arena_alloc(r->arena, (n ? n : 1) * sizeof(*p->perms));
	if (p->perms == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		p->perms[i].perm = recs[i][0];
		p->perms[i].scope = recs[i][1];
		p->perms[i].needs_mfa = atoi(recs[i][2]);
		p->perms[i].role = recs[i][3];
	}
	p->nperms = n;
	n = split_records(r->arena, f[F_GRANTS], 3, &recs);
	p->grants = arena_alloc(r->arena, (n ? n : 1) * sizeof(*p->grants));
	if (p->grants == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		p->grants[i].id = strtoll(recs[i][0], NULL, 10);
		p->grants[i].role = recs[i][1];
		p->grants[i].scope = recs[i][2];
	}
	p->ngrants = n;
	return p;
}

/* Fields from the cache (a JSON object of strings), or NULL on a miss or
 * when they were read under an epoch older than the current one. */
static const char **cached_fields(struct req *r, const char *key, size_t klen, int64_t epoch)
{
	char *val;
	size_t vlen;
	if (!cache_get(&r->w->cache, r->arena, key, klen, &val, &vlen))
		return NULL;
	struct json *j;
	if (json_parse(r->arena, (const unsigned char *)val, vlen, 4, &j) != JSON_OK)
		return NULL;
	const char **f = arena_alloc(r->arena, F_COUNT * sizeof(*f));
	if (f == NULL)
		return NULL;
	for (int i = 0; i < F_COUNT; i++) {
		const struct json *v = json_get(j, field_names[i]);
		if (v == NULL || v->type != JSON_STRING)
			return NULL;
		f[i] = v->s;
	}
	if (strtoll(f[F_EPOCH], NULL, 10) < epoch)
		return NULL;
	return f;
}

static void cache_fields(struct req *r, const char *key, size_t klen, const char *const *f)
{
	yajl_gen g = json_gen_new(r->arena);
	if (g == NULL)
		return;
	yajl_gen_map_open(g);
	for (int i = 0; i < F_COUNT; i++)
		jg_str(g, field_names[i], f[i]);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	if (yajl_gen_get_buf(g, &b, &len) == yajl_gen_status_ok)
		cache_set(&r->w->cache, key, klen, b, len, AUTH_CACHE_TTL);
}

const struct principal *auth_session(struct req *r)
{
	if (r->principal_loaded)
		return r->principal;
	r->principal_loaded = 1;
	int via_cookie = 0;
	const char *token = NULL, *authz = req_header(r, "HTTP_AUTHORIZATION");
	if (authz && strncmp(authz, "Bearer ", 7) == 0) {
		token = authz + 7;
	} else {
		token = req_cookie(r, AUTH_COOKIE);
		via_cookie = token != NULL;
	}
	char hash[65];
	if (token == NULL || auth_token_hash_hex(token, hash) != 0)
		return NULL;
	char key[80];
	int kl = snprintf(key, sizeof(key), "tb:sess:%s", hash);
	int64_t epoch = current_epoch(r);
	if (r->responded)
		return NULL; /* the database is unreachable: 503 already */
	const char **f = epoch >= 0 ? local_get(r, hash, epoch) : NULL;
	int from_local = f != NULL;
	if (f == NULL && epoch >= 0)
		f = cached_fields(r, key, (size_t)kl, epoch);
	if (f == NULL) {
		const char *params[] = { hash };
		const char *state;
		PGresult *res = db_exec_try(r, &q_session, params, &state);
		if (res == NULL || PQntuples(res) != 1)
			return NULL;
		f = arena_alloc(r->arena, F_COUNT * sizeof(*f));
		if (f == NULL)
			return NULL;
		for (int i = 0; i < F_COUNT; i++)
			f[i] = PQgetvalue(res, 0, i);
		cache_fields(r, key, (size_t)kl, f);
		struct local_cache *c = local_cache(r->w);
		int64_t row_epoch = strtoll(f[F_EPOCH], NULL, 10);
		if (c && row_epoch > c->epoch)
			c->epoch = row_epoch; /* newer than the last read: raises the bar */
	}
	if (!from_local)
		local_put(r, hash, f);
	if (strcmp(f[F_STATUS], "active") != 0)
		return NULL;
	int64_t now = req_now_us(r), seen = strtoll(f[F_SEEN], NULL, 10), exp = strtoll(f[F_EXP], NULL, 10);
	if (now >= exp || now - seen >= (int64_t)AUTH_IDLE_SECONDS * 1000000)
		return NULL;
	struct principal *p = from_fields(r, f);
	if (p == NULL)
		return NULL;
	p->via_cookie = via_cookie;
	p->seen_us = seen;
	p->expires_us = exp;
	if (via_cookie) {
		char *ct = arena_alloc(r->arena, 65);
		if (ct == NULL)
			return NULL;
		auth_csrf_token(token, ct);
		p->csrf_token = ct;
	}
	if (via_cookie && !req_is_safe_method(r)) {
		/* the CSRF token travels in a header a cross-site form cannot set */
		const char *csrf = req_header(r, "HTTP_X_CSRF_TOKEN");
		char ch[65];
		unsigned char h[32];
		if (csrf == NULL || strlen(csrf) > 128 || strlen(f[F_CSRF]) != 64) {
			p->via_cookie = -1; /* marks a CSRF failure for auth_require */
		} else {
			crypto_sha256(csrf, strlen(csrf), h);
			crypto_hex(h, 32, ch);
			if (!crypto_equal(ch, f[F_CSRF], 64))
				p->via_cookie = -1;
		}
	}
	if (now - seen >= (int64_t)AUTH_TOUCH_SECONDS * 1000000) {
		char sid[24], at[24];
		snprintf(sid, sizeof(sid), "%" PRId64, p->session_id);
		snprintf(at, sizeof(at), "%" PRId64, now);
		const char *params[] = { sid, at };
		const char *state;
		if (db_exec_try(r, &q_touch, params, &state) != NULL) {
			p->seen_us = now;
			cache_del(&r->w->cache, key, (size_t)kl);
			local_drop(r, hash);
		}
	}
	r->principal = p;
	return p;
}

static int covers(const struct req *r, const char *scope, const char *div)
{
	return r->w->svc->scope_covers && r->w->svc->scope_covers(scope, div);
}

int auth_allows(const struct req *r, const struct principal *p, const char *perm, const char *div)
{
	for (size_t i = 0; p && i < p->nperms; i++) {
		const struct auth_perm *ap = &p->perms[i];
		if (strcmp(ap->perm, perm) != 0 || (ap->needs_mfa && !p->mfa))
			continue;
		if (div == NULL || covers(r, ap->scope, div))
			return 1;
	}
	return 0;
}

size_t auth_scopes(struct req *r, const struct principal *p, const char *perm, const char ***out)
{
	const char **s = arena_alloc(r->arena, (p->nperms + 1) * sizeof(*s));
	size_t n = 0;
	for (size_t i = 0; s && i < p->nperms; i++)
		if (strcmp(p->perms[i].perm, perm) == 0 && (!p->perms[i].needs_mfa || p->mfa))
			s[n++] = p->perms[i].scope;
	*out = s;
	return s ? n : 0;
}

static void deny(struct req *r, const struct principal *p, const char *perm, int status,
		 const char *code, const char *detail, const char *const *members)
{
	if (status == 401) {
		resp_header(r, "WWW-Authenticate", "Bearer realm=\"tongban\"");
	} else {
		/* a refused attempt is a security event: it goes to the audit trail */
		yajl_gen g = json_gen_new(r->arena);
		const unsigned char *b = NULL;
		size_t len = 0;
		if (g) {
			yajl_gen_map_open(g);
			jg_str(g, "permission", perm ? perm : "session");
			jg_str(g, "code", code);
			jg_str(g, "method", r->method_name);
			jg_str(g, "path", r->path);
			yajl_gen_map_close(g);
			yajl_gen_get_buf(g, &b, &len);
		}
		char *d = b ? arena_strndup(r->arena, (const char *)b, len) : NULL;
		if (auth_audit(r, p, "auth.denied", "route", r->path, "denied", d) != 0)
			return; /* auth_audit replied (database unavailable) */
	}
	resp_problem_with(r, status, code, detail, members);
}

const struct principal *auth_require(struct req *r, const char *perm, const char *const *divs,
				     size_t ndivs)
{
	return auth_require_side(r, perm, divs, ndivs, NULL, NULL);
}

const struct principal *auth_require_side(struct req *r, const char *perm, const char *const *divs,
					  size_t ndivs, const char *side, const char *division)
{
	const struct principal *p = auth_session(r);
	if (p == NULL) {
		if (r->responded)
			return NULL;
		deny(r, NULL, perm, 401, "unauthenticated", "A valid session is required.", NULL);
		return NULL;
	}
	if (p->via_cookie < 0) {
		deny(r, p, perm, 403, "csrf_failed", "The X-CSRF-Token header is missing or wrong.", NULL);
		return NULL;
	}
	if (perm == NULL)
		return p;
	if (p->must_change_password) {
		deny(r, p, perm, 403, "password_change_required", "Change your password first.", NULL);
		return NULL;
	}
	int mfa_missing = 0;
	for (size_t i = 0; i < p->nperms; i++) {
		const struct auth_perm *ap = &p->perms[i];
		if (strcmp(ap->perm, perm) != 0)
			continue;
		if (ap->needs_mfa && !p->mfa) {
			mfa_missing = 1;
			continue;
		}
		if (ndivs == 0)
			return p;
		for (size_t d = 0; d < ndivs; d++)
			if (divs[d] && covers(r, ap->scope, divs[d]))
				return p;
	}
	if (mfa_missing)
		deny(r, p, perm, 403, "mfa_required",
		     "This needs a session opened with a second factor (TOTP).", NULL);
	else {
		/* name what is missing, so a client can say so (and ask for it) */
		const char *members[] = { "missing_permission", perm, side ? "side" : NULL, side,
					  "division", division, NULL };
		deny(r, p, perm, 403, "forbidden", "You are not allowed to do this here.", members);
	}
	return NULL;
}

void auth_forget_token_hash(struct req *r, const char *hash_hex)
{
	if (r->w->shared)
		__atomic_add_fetch(&r->w->shared->auth_generation, 1, __ATOMIC_RELEASE);
	local_drop(r, hash_hex);
	char key[80];
	int kl = snprintf(key, sizeof(key), "tb:sess:%s", hash_hex);
	if (kl > 0 && (size_t)kl < sizeof(key))
		cache_del(&r->w->cache, key, (size_t)kl);
}

void auth_forget_user(struct req *r, int64_t user_id)
{
	if (r->w->shared)
		__atomic_add_fetch(&r->w->shared->auth_generation, 1, __ATOMIC_RELEASE);
	char uid[24];
	snprintf(uid, sizeof(uid), "%" PRId64, user_id);
	const char *params[] = { uid };
	const char *state;
	PGresult *res = db_exec_try(r, &q_user_sessions, params, &state);
	for (int i = 0; res && i < PQntuples(res); i++)
		auth_forget_token_hash(r, PQgetvalue(res, i, 0));
}

int auth_audit(struct req *r, const struct principal *p, const char *action, const char *object_type,
	       const char *object_id, const char *outcome, const char *details)
{
	return audit_write(r, p ? p->user_id : 0, p ? p->username : NULL, p ? p->agency_code : NULL, action,
			   object_type, object_id, outcome, details);
}

char *auth_scope_array(struct req *r, const struct principal *p, const char *perm)
{
	const char **scopes;
	size_t n = p->must_change_password ? 0 : auth_scopes(r, p, perm, &scopes);
	return db_text_array(r->arena, n ? scopes : NULL, n);
}
