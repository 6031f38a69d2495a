/* A request as handlers see it: method, decoded path, route parameters,
 * query pairs, headers, cookies and the body, all validated before the
 * handler runs and all living in the request arena. */
#ifndef TB_REQ_H
#define TB_REQ_H
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "arena.h"
#include "buf.h"
#include "json.h"
#include "time.h" /* time_rfc3339 beside req_now_us */

enum method {
	M_GET = 1 << 0,
	M_HEAD = 1 << 1,
	M_POST = 1 << 2,
	M_PUT = 1 << 3,
	M_PATCH = 1 << 4,
	M_DELETE = 1 << 5,
	M_OPTIONS = 1 << 6,
};

struct req;
typedef void (*handler_fn)(struct req *r);

enum route_flags {
	ROUTE_LOOPBACK = 1 << 0, /* only from 127.0.0.1 / ::1 */
	ROUTE_SESSION = 1 << 1,	 /* a valid session (no particular permission) */
};

/* A query key a route takes, validated before the handler runs: present
 * at most once and well-formed, else 400 invalid_parameter naming it.
 * Keys a route does not declare are ignored. */
enum qkey_kind {
	QK_INT = 1,	/* decimal digits only, in [min, max]; dflt when absent */
	QK_ENUM,	/* one of choices (NULL-terminated) */
	QK_TEXT,	/* 1..max bytes; check() when given */
};
struct qkey {
	const char *name;
	enum qkey_kind kind;
	int64_t min, max, dflt;
	const char *const *choices;
	int (*check)(const char *v);
	const char *what; /* for the error: "an id", "a case number", ... */
};
#define QKEY_INT(n, lo, hi, d) { .name = (n), .kind = QK_INT, .min = (lo), .max = (hi), .dflt = (d) }
#define QKEY_ENUM(n, ...) { .name = (n), .kind = QK_ENUM, .choices = (const char *const[]){ __VA_ARGS__, NULL } }
#define QKEY_TEXT(n, maxlen, fn, w) { .name = (n), .kind = QK_TEXT, .max = (maxlen), .check = (fn), .what = (w) }
#define QKEY_END { .name = NULL }

/* Pattern segments are literals or {name:type}, type one of
 * int (positive, up to 18 digits), code (6 digits), slug ([a-z0-9_-], 1-64),
 * uuid, str (1-128 bytes without '/').
 * perm: the permission the caller must hold somewhere (auth_require with no
 * divisions: 401 without a session, 403 without it) before the handler
 * runs; the handler then checks it over the object's divisions. NULL: no
 * permission (public routes, log-in; ROUTE_SESSION asks for a session).
 * query: the keys the route takes, QKEY_END-terminated; NULL: none. */
struct route {
	unsigned methods;
	const char *pattern;
	handler_fn fn;
	unsigned flags;
	const char *perm;
	const struct qkey *query;
};

#define REQ_MAX_PARAMS 8
#define REQ_MAX_HEADERS 32

struct worker;

struct req {
	struct worker *w;
	struct arena *arena;
	enum method method;
	const char *method_name;
	const char *path;		/* decoded by nginx (DOCUMENT_URI) */
	const char *query_string;	/* raw */
	const char *request_id;
	const char *remote_addr;
	const char *content_type;
	struct kv *fcgi;		/* all FastCGI params */
	size_t nfcgi;
	struct kv *query;		/* decoded pairs, repeated keys kept in order */
	size_t nquery;
	struct kv *cookies;
	size_t ncookies;
	int cookies_parsed;
	const unsigned char *body;
	size_t body_len;
	int body_too_big;
	int route_index;		/* index into the service's routes, -1 unmatched */
	const struct route *route;	/* the matched route, or NULL */
	struct kv params[REQ_MAX_PARAMS];
	size_t nparams;
	int64_t started_us;

	/* response, decided before it is written */
	int status;			/* starts at 500 */
	struct kv headers[REQ_MAX_HEADERS];
	size_t nheaders;
	const char *resp_type;
	const unsigned char *resp_body;
	size_t resp_len;
	yajl_gen gen;
	int responded;

	/* owned by auth.c: the session, looked up once per request */
	const void *principal;
	int principal_loaded;

	/* owned by db.c: results cleared and transaction rolled back at the end */
	void *db_results;
	int in_tx;
};

/* Parameters and fields: NULL when absent. */
const char *req_fcgi(const struct req *r, const char *name);
const char *req_header(const struct req *r, const char *http_name); /* e.g. "HTTP_X_FOO" */
const char *req_param(const struct req *r, const char *name);
const char *req_query(const struct req *r, const char *name);
size_t req_query_count(const struct req *r, const char *name);
/* A list parameter (limit, after, before, ids): once at most, decimal digits
 * only, in [min, max]. 0 absent (*out = dflt), 1 valid, -1 malformed: the
 * caller replies 400 invalid_parameter. */
int req_query_int(const struct req *r, const char *name, int64_t min, int64_t max, int64_t dflt, int64_t *out)
	__attribute__((warn_unused_result));
/* A QK_INT key of the request's route, already validated: its value or
 * the key's default. */
int64_t req_qint(const struct req *r, const char *name);
const char *req_cookie(struct req *r, const char *name);
int req_is_loopback(const struct req *r);
/* Wall-clock time in microseconds since the epoch. In test builds
 * (-DTB_TEST_HOOKS, build/asan) with TB_TEST_CLOCK=1 the header
 * X-Tb-Test-Now: <epoch seconds> overrides it; release builds have no such hook. */
int64_t req_now_us(const struct req *r);
/* Unsafe methods need a CSRF token with cookie sessions. */
int req_is_safe_method(const struct req *r);

/* The JSON body as an object. NULL after replying 415 (not JSON), 413 (too
 * big) or 400 (malformed, not an object, too deep, invalid UTF-8). */
const struct json *req_json_object(struct req *r);

/* Percent-decode s[0..n) into the arena; plus_is_space for form/query
 * encoding. NULL on a bad escape, an encoded NUL, or invalid UTF-8. */
char *req_url_decode(struct arena *a, const char *s, size_t n, int plus_is_space, size_t *outlen);
/* Parse a query string into pairs. -1 malformed, -2 limits exceeded. */
int req_query_parse(struct arena *a, const char *qs, struct kv **out, size_t *nout);
/* Parse a Cookie header into pairs. -1 malformed. */
int req_cookie_parse(struct arena *a, const char *h, struct kv **out, size_t *nout);

/* An integer as decimal text in the request arena (a statement's
 * parameter, an id in an audit event). */
char *req_i64str(struct req *r, int64_t v);

#endif
