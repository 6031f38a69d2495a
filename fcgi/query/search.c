/* Staff search of the registry: POST /api/v1/registry/search, one condition
 * (unit code, certificate number, or holder name + ID number: numbers only
 * in the body, never in a URL nginx logs), the register as at now or a past
 * time, a page of units in unit-code order, only units in counties the
 * caller's registry.read scopes cover. Every search is audited without the
 * number.
 *
 * Answers are cached in Redis (regcache.h has the versions):
 *   key   tb:sr:<SHA-256 of the normalised condition, as_at, cursor, limit
 *         and the caller's sorted scope set> — never a clear ID number
 *         (the holder condition is its keyed index), never shared between
 *         scope sets;
 *   value "<version>\n<generation>\n<count>\n" + the answer after "as_at".
 * A value is served only while its condition's version key still holds
 * <version> and reg.search_generation still is <generation>; the
 * generation is checked by the statement that writes the search's audit
 * row, so a hit costs one Redis round trip (MGET of the value and the
 * version) and one database round trip, which the audit needs anyway. Redis
 * unreachable: every search is answered from the database. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../core/buf.h"
#include "../core/cache.h"
#include "../core/log.h"
#include "../core/regcache.h"
#include "../core/valid.h"
#include "../core/track.h"
#include "../core/worker.h"
#include "answers.h"
#include "lookup.h"
#include "query.h"

/* An answer about now lives this long at most; versions end it earlier. */
#define SEARCH_TTL_S 300

/* The audit rows of searches, committed without waiting for the WAL flush
 * (a read is recorded, nothing depends on it: a database crash may lose the
 * last fraction of a second of such rows), and the search generation.
 *
 * search_audit writes one row — with $8 >= 0 only while the generation
 * still is $8 (a cache hit built under it; otherwise no row, and the search
 * goes to the database, which writes its own). search_audit_batch writes
 * the rows a busy worker gathered (a JSON array): a cache hit under load
 * then costs no database round trip of its own. Both return the generation
 * and the rows written. */
#define AUDIT_COLS(C) C(n, I64) C(written, I64)
#define Q_AUDIT(P, C)                                                                              \
	P(at, I64) P(actor_id, I64) P(actor_name, TEXT) P(agency, TEXT) P(request_id, TEXT)         \
	P(client, TEXT) P(details, TEXT) P(gen, I64) AUDIT_COLS(C)
#define AUDIT_INSERT                                                                               \
	" ins AS (INSERT INTO audit.event (at, actor_id, actor_name, agency_code, action, object_type," \
	"  object_id, outcome, request_id, client_addr, details)"
DB_QUERY(search_audit, Q_AUDIT,
	 "WITH g AS (SELECT n FROM reg.search_generation)," AUDIT_INSERT
	 "  SELECT 'epoch'::timestamptz + $1::bigint * interval '1 microsecond', nullif($2, 0), $3, $4,"
	 "  'registry.search', 'registry', NULL, 'success', $5, $6, $7::jsonb FROM g"
	 "  WHERE ($8::bigint < 0 OR g.n = $8) AND set_config('synchronous_commit', 'off', true) IS NOT NULL"
	 "  RETURNING 1)"
	 " SELECT g.n, (SELECT count(*) FROM ins) FROM g");
#define Q_AUDIT_BATCH(P, C) P(rows, TEXT) AUDIT_COLS(C)
DB_QUERY(search_audit_batch, Q_AUDIT_BATCH,
	 "WITH g AS (SELECT n FROM reg.search_generation)," AUDIT_INSERT
	 "  SELECT 'epoch'::timestamptz + a.at * interval '1 microsecond', nullif(a.actor, 0), a.name, a.agency,"
	 "  'registry.search', 'registry', NULL, 'success', a.rid, a.client, a.details"
	 "  FROM jsonb_to_recordset($1::jsonb) AS a (at bigint, actor bigint, name text, agency text, rid text,"
	 "  client text, details jsonb) WHERE set_config('synchronous_commit', 'off', true) IS NOT NULL"
	 "  RETURNING 1)"
	 " SELECT g.n, (SELECT count(*) FROM ins) FROM g");

/* A worker's gathered audit rows: written at the latest when AUDIT_BATCH
 * searches wait, or AUDIT_BATCH_US after the last write (by the next search
 * or, when none comes, by the worker loop's idle call: search_worker_idle),
 * or when the worker stops (search_worker_exit). A worker that answers a
 * search when none was written for AUDIT_BATCH_US writes its row at once:
 * gathering happens only under load, so the rows a crashed worker loses are
 * a few milliseconds' worth. The generation read by the last write is
 * trusted for AUDIT_BATCH_US at most.
 *
 * Gathered searches of one caller (user, agency, client address) with the
 * same summary share one row: its time and request id are the first
 * search's, and its details add "searches" (how many) and "requests" (each
 * one's "<request id>:<µs after the row's time>", space-separated). Every search is in the trail; under load
 * a hit costs a few bytes of a row, not a row (each row is also sealed into
 * the hash chain, which cost more than the search itself). */
#define AUDIT_BATCH 1024
#define AUDIT_BATCH_BYTES (256u << 10)
#define AUDIT_BATCH_US 50000
#define AUDIT_GROUPS 32
/* A worker is under load — and gathers the audit of hits — when a search
 * came within AUDIT_BUSY_GAP_US of the previous one's end (it was queued),
 * or is at least the AUDIT_BUSY_N+1st it began within AUDIT_BUSY_US (1,600 a
 * second): a worker that is faster than nginx idles between requests even
 * when the machine is saturated, and the gap rule alone then wrote a row
 * per hit. One client searching in a loop stays below both. */
#define AUDIT_BUSY_GAP_US 200
#define AUDIT_BUSY_N 32
#define AUDIT_BUSY_US 20000
/* and stays so this long: on a machine this busy a worker is descheduled
 * for milliseconds now and then, and each pause would otherwise cost a row
 * per hit until the rate is measured again */
#define AUDIT_BUSY_HOLD_US 100000
struct audit_group {
	int64_t actor, at; /* at: the first search's */
	char *name, *agency, *client, *details; /* what a row shares (malloc'd) */
	char *head;	 /* the row's JSON up to "details": (the first search's) */
	struct buf hits; /* "<request id>:<µs after at>" of each search, space-separated */
	size_t n;
};
static struct {
	struct audit_group g[AUDIT_GROUPS];
	size_t ng;
	size_t n;	    /* searches gathered */
	size_t bytes;	    /* their JSON */
	int64_t written_at; /* monotonic µs of the last write */
	int64_t gen;	    /* the generation it read */
	int64_t last_end;	      /* monotonic µs: the end of the last search */
	int64_t busy_until;	      /* monotonic µs */
	int64_t starts[AUDIT_BUSY_N]; /* monotonic µs: the last searches' starts */
	unsigned si;
} pending;

static const char *const kind_names[] = { [LOOKUP_UNIT] = "unit_code", [LOOKUP_CERT] = "certificate_no",
					  [LOOKUP_HOLDER] = "holder" };

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The cache key: a hash of everything the answer depends on — in d (the
 * in-memory copies' key) and as the Redis key, in the arena. */
static char *cache_key(struct req *r, const struct lookup_cond *c, int64_t as_at, const char *after, int64_t limit,
		       const char **scopes, size_t ns, unsigned char d[32])
{
	/* one context and one fetched digest per worker: fetching SHA-256 and
	 * making a context on every request cost more than the hash */
	static EVP_MD *sha256;
	static EVP_MD_CTX *md;
	if (sha256 == NULL && (sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		return NULL;
	if (md == NULL && (md = EVP_MD_CTX_new()) == NULL)
		return NULL;
	char num[64];
	int ok = EVP_DigestInit_ex(md, sha256, NULL) == 1;
#define H(s, n) (ok = ok && EVP_DigestUpdate(md, (s), (n)) == 1)
#define HS(s) (H((s), strlen(s) + 1)) /* with its NUL: no two fields run together */
	HS("search.v1");
	HS(kind_names[c->kind]);
	if (c->kind == LOOKUP_UNIT) {
		HS(c->unit_code);
	} else if (c->kind == LOOKUP_CERT) {
		HS(c->certificate_no);
	} else {
		HS(c->id_index);
		HS(c->id_type);
		HS(c->holder_name);
	}
	snprintf(num, sizeof(num), "%" PRId64 ":%" PRId64, as_at, limit);
	HS(num);
	HS(after ? after : "");
	/* the scope set, sorted and without repeats */
	qsort(scopes, ns, sizeof(*scopes), cmp_str);
	for (size_t i = 0; i < ns; i++)
		if (i == 0 || strcmp(scopes[i], scopes[i - 1]) != 0)
			HS(scopes[i]);
#undef HS
#undef H
	unsigned int dl = 0;
	ok = ok && EVP_DigestFinal_ex(md, d, &dl) == 1 && dl == 32;
	if (!ok)
		return NULL;
	static const char hx[] = "0123456789abcdef";
	char key[6 + 64 + 1] = "tb:sr:";
	for (int i = 0; i < 32; i++) {
		key[6 + 2 * i] = hx[d[i] >> 4];
		key[7 + 2 * i] = hx[d[i] & 15];
	}
	key[70] = '\0';
	return arena_strndup(r->arena, key, 70);
}

/* The in-memory copies (answers.h) and the connection that keeps them
 * honest (track.h): set up on the first search. */
static struct track trk;
static int trk_set;

/* 1 when the copies may be used and made now (every invalidation due has
 * been applied), 0 not. */
static int local_sync(struct worker *w)
{
	if (!trk_set) {
		track_init(&trk, w->cache.where, "tb:sv:", w->cache.timeout_ms, answers_invalidated, NULL);
		trk_set = 1;
	}
	return track_sync(&trk);
}

/* Keep a copy of an answer read or built since mark, if nothing it
 * depends on changed meanwhile (answers_put checks). */
static void local_keep(struct worker *w, const unsigned char d[32], uint64_t mark, const char *vkey, int64_t gen,
		       int64_t count, const char *tail, size_t tlen)
{
	if (local_sync(w) == 1)
		answers_put(d, mark, vkey, gen, count, tail, tlen);
}

static void local_exit(void)
{
	track_close(&trk);
	answers_clear();
}

static char *version_key(struct req *r, const struct lookup_cond *c)
{
	switch (c->kind) {
	case LOOKUP_UNIT:
		return regcache_key_unit(r->arena, c->unit_code);
	case LOOKUP_CERT:
		return regcache_key_cert(r->arena, c->certificate_no);
	default:
		return regcache_key_holder(r->arena, c->id_index);
	}
}

/* The summary the audit row keeps: the kind of condition, whether as at a
 * past time, whether a later page, how many units, whether from the cache.
 * Never the number, the name or the unit code. */
static char *audit_details(struct req *r, const struct lookup_cond *c, int as_at_given, int page, int64_t found,
			   int cached)
{
	yajl_gen g = json_gen_new(r->arena);
	if (g == NULL)
		return NULL;
	yajl_gen_map_open(g);
	jg_str(g, "by", kind_names[c->kind]);
	jg_bool(g, "as_at", as_at_given);
	jg_bool(g, "next_page", page);
	jg_int(g, "found", found);
	jg_bool(g, "cached", cached);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	if (yajl_gen_get_buf(g, &b, &len) != yajl_gen_status_ok)
		return NULL;
	return arena_strndup(r->arena, (const char *)b, len);
}

/* One row at once. 1 written, 0 not (the generation moved on: *gen_now
 * has it), -1 after replying. gen -1: write whatever the generation. */
static int audit(struct req *r, const struct principal *p, const char *details, int64_t gen, int64_t *gen_now)
{
	struct search_audit_row *row;
	int n = search_audit_run(r, &(struct search_audit_in){ .at = req_now_us(r), .actor_id = p->user_id,
								 .actor_name = p->username, .agency = p->agency_code,
								 .request_id = r->request_id, .client = r->remote_addr,
								 .details = details, .gen = gen }, &row);
	if (n < 0)
		return -1;
	if (n != 1) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	*gen_now = row->n;
	return row->written > 0;
}

static int same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static char *dup0(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void group_free(struct audit_group *g)
{
	free(g->name);
	free(g->agency);
	free(g->client);
	free(g->details);
	free(g->head);
	buf_free(&g->hits);
	memset(g, 0, sizeof(*g));
}

static int flush(struct req *r);

/* Add the request's search to the worker's gathered rows. 0, or -1 after
 * replying. */
static int gather(struct req *r, const struct principal *p, const char *details)
{
	int64_t at = req_now_us(r);
	struct audit_group *g = NULL;
	for (size_t i = 0; i < pending.ng && g == NULL; i++)
		if (pending.g[i].actor == p->user_id && same(pending.g[i].name, p->username) &&
		    same(pending.g[i].agency, p->agency_code) && same(pending.g[i].client, r->remote_addr) &&
		    strcmp(pending.g[i].details, details) == 0)
			g = &pending.g[i];
	if (g == NULL && pending.ng == AUDIT_GROUPS && flush(r) != 0)
		return -1;
	if (g == NULL) {
		yajl_gen y = json_gen_new(r->arena);
		const unsigned char *b;
		size_t len;
		if (y == NULL)
			goto oom;
		g = &pending.g[pending.ng];
		memset(g, 0, sizeof(*g));
		yajl_gen_map_open(y);
		jg_int(y, "at", at);
		jg_int(y, "actor", p->user_id);
		jg_str(y, "name", p->username);
		jg_str(y, "agency", p->agency_code);
		jg_str(y, "rid", r->request_id);
		jg_str(y, "client", r->remote_addr);
		if (yajl_gen_get_buf(y, &b, &len) != yajl_gen_status_ok)
			goto oom;
		g->actor = p->user_id;
		g->at = at;
		g->head = strndup((const char *)b, len);
		g->details = strdup(details);
		g->name = dup0(p->username);
		g->agency = dup0(p->agency_code);
		g->client = dup0(r->remote_addr);
		pending.ng++;
		if (g->head == NULL || g->details == NULL || (p->username && g->name == NULL) ||
		    (p->agency_code && g->agency == NULL) || (r->remote_addr && g->client == NULL)) {
			group_free(g);
			pending.ng--;
			goto oom;
		}
	}
	/* "<request id>:<µs after the row's time>": one JSON string for all of
	 * them parses as one token (an array of arrays cost the database more
	 * than the rest of the row); request ids are nginx's hex, anything
	 * else in one is written as '_' */
	char hit[96];
	size_t hl = 0;
	for (const char *c = r->request_id ? r->request_id : "-"; *c && hl < 64; c++)
		hit[hl++] = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
					    *c == '-' || *c == '.'
				    ? *c
				    : '_';
	hl += (size_t)snprintf(hit + hl, sizeof(hit) - hl, ":%" PRId64, g->n ? at - g->at : 0);
	if ((g->n && buf_append(&g->hits, " ", 1) != 0) || buf_append(&g->hits, hit, hl) != 0)
		goto oom;
	g->n++;
	pending.n++;
	pending.bytes += hl + 1;
	return 0;
oom:
	resp_problem(r, 500, "internal", "The server could not complete the request.");
	return -1;
}

/* The gathered rows as one JSON array, NUL-terminated, in a (NULL when out
 * of memory). */
static char *gathered(struct arena *a)
{
	struct buf o = { 0 };
	int ok = buf_puts(&o, "[") == 0;
	for (size_t i = 0; ok && i < pending.ng; i++) {
		const struct audit_group *g = &pending.g[i];
		ok = (i == 0 || buf_puts(&o, ",") == 0) && buf_printf(&o, "%s,\"details\":", g->head) == 0;
		if (ok && g->n == 1) {
			ok = buf_puts(&o, g->details) == 0;
		} else if (ok) {
			/* the summary object with two members more */
			size_t dl = strlen(g->details);
			ok = dl >= 2 && g->details[dl - 1] == '}' && buf_append(&o, g->details, dl - 1) == 0 &&
			     buf_printf(&o, ",\"searches\":%zu,\"requests\":\"", g->n) == 0 &&
			     buf_append(&o, g->hits.p, g->hits.len) == 0 && buf_puts(&o, "\"}") == 0;
		}
		ok = ok && buf_puts(&o, "}") == 0;
	}
	ok = ok && buf_append(&o, "]", 2) == 0; /* with the NUL */
	char *s = ok ? arena_strndup(a, (const char *)o.p, o.len - 1) : NULL;
	buf_free(&o);
	return s;
}

static void gathered_clear(int64_t gen)
{
	for (size_t i = 0; i < pending.ng; i++)
		group_free(&pending.g[i]);
	pending.ng = 0;
	pending.n = 0;
	pending.bytes = 0;
	pending.written_at = time_mono_us();
	pending.gen = gen;
}

/* Write the gathered rows. 0, or -1 after replying (the rows stay). */
static int flush(struct req *r)
{
	char *rows = gathered(r->arena);
	if (rows == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	struct search_audit_batch_row *row;
	int n = search_audit_batch_run(r, &(struct search_audit_batch_in){ .rows = rows }, &row);
	if (n < 0)
		return -1;
	if (n != 1) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	gathered_clear(row->n);
	return 0;
}

/* The audit of a cache hit built under generation cgen: 1 written or
 * gathered (serve it), 0 the generation moved on (nothing written: go to
 * the database), -1 after replying. busy: the worker is under load
 * (AUDIT_BUSY_N). */
static int audit_hit(struct req *r, const struct principal *p, const char *details, int64_t cgen, int busy)
{
	if (details == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	if (busy) {
		/* the gathered rows due: written now, by the statement that also
		 * reads the generation again (with nothing gathered, it reads it
		 * only) — this hit then waits for the next batch: one statement
		 * per AUDIT_BATCH_US, not two */
		if (time_mono_us() - pending.written_at >= AUDIT_BATCH_US && flush(r) != 0)
			return -1;
		if (pending.gen != cgen)
			return 0;
		if (gather(r, p, details) != 0)
			return -1;
		return pending.n >= AUDIT_BATCH || pending.bytes >= AUDIT_BATCH_BYTES ? (flush(r) == 0 ? 1 : -1) : 1;
	}
	/* idle: what was gathered, then this row, now */
	if (pending.n && flush(r) != 0)
		return -1;
	int64_t gen;
	int w = audit(r, p, details, cgen, &gen);
	if (w >= 0)
		gathered_clear(gen);
	return w;
}

/* The audit of an answer from the database: with whatever was gathered.
 * 0, or -1 after replying. */
static int audit_miss(struct req *r, const struct principal *p, const char *details)
{
	if (details == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	return gather(r, p, details) == 0 ? flush(r) : -1;
}

/* Write the gathered rows outside a request. 0, or -1 (logged; they stay). */
static int flush_idle(struct worker *w)
{
	struct arena a;
	arena_init(&a, pending.bytes + 4096 * (pending.ng + 1));
	char *rows = gathered(&a);
	const char *state = NULL, *params[] = { rows };
	PGresult *res = rows ? pg_exec(&w->db, &search_audit_batch.s, params, NULL, NULL, &state) : NULL;
	int rc = -1;
	if (res && PQntuples(res) == 1) {
		gathered_clear(strtoll(PQgetvalue(res, 0, 0), NULL, 10));
		rc = 0;
	}
	if (res)
		PQclear(res);
	else
		log_error("registry search: %zu audit rows could not be written yet (%s)", pending.n,
			  state ? state : "no database connection");
	arena_free(&a);
	return rc;
}

int search_worker_idle(struct worker *w, int idle)
{
	/* an idle worker reads its invalidations too (at least once a second),
	 * so Redis does not pile them up for it */
	if (idle && trk_set)
		(void)track_sync(&trk);
	if (pending.n == 0)
		return -1;
	int64_t age = time_mono_us() - pending.written_at;
	if (idle || age >= AUDIT_BATCH_US) {
		if (flush_idle(w) == 0)
			return -1;
		return 1000; /* the database is away: try again in a second */
	}
	return (int)((AUDIT_BATCH_US - age) / 1000) + 1;
}

void search_worker_exit(struct worker *w)
{
	if (pending.n)
		(void)flush_idle(w);
	gathered_clear(0);
	local_exit();
}

/* The answer: {"as_at": …, then the rest (cached or just made). */
static void reply(struct req *r, int64_t as_at, const char *tail, size_t tlen)
{
	const char *at = time_rfc3339(r->arena, as_at);
	size_t al = at ? strlen(at) : 0, n = 11 + al + 2 + tlen;
	char *body = at ? arena_alloc(r->arena, n + 1) : NULL;
	if (body == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	/* {"as_at":"<at>",<tail> — copied, not formatted: this is the warm path */
	memcpy(body, "{\"as_at\":\"", 10);
	memcpy(body + 10, at, al);
	memcpy(body + 10 + al, "\",", 2);
	memcpy(body + 12 + al, tail, tlen);
	n = 12 + al + tlen;
	body[n] = '\0';
	resp_header(r, "Cache-Control", "no-store");
	resp_raw(r, 200, "application/json", body, n);
}

/* A cached value "<version>\n<generation>\n<count>\n<tail>": its parts, 0;
 * -1 when it is not of that form. */
static int split_value(char *v, char **ver, int64_t *gen, int64_t *count, char **tail)
{
	char *a = strchr(v, '\n'), *b = a ? strchr(a + 1, '\n') : NULL, *c = b ? strchr(b + 1, '\n') : NULL;
	if (c == NULL)
		return -1;
	*a = *b = *c = '\0';
	char *end;
	*ver = v;
	*gen = strtoll(a + 1, &end, 10);
	if (*end != '\0')
		return -1;
	*count = strtoll(b + 1, &end, 10);
	if (*end != '\0')
		return -1;
	*tail = c + 1;
	return 0;
}

static void search(struct req *r, int busy);

void h_registry_search(struct req *r)
{
	int64_t now = time_mono_us(), *oldest = &pending.starts[pending.si++ % AUDIT_BUSY_N];
	if (now - pending.last_end < AUDIT_BUSY_GAP_US || (*oldest != 0 && now - *oldest < AUDIT_BUSY_US))
		pending.busy_until = now + AUDIT_BUSY_HOLD_US;
	int busy = now < pending.busy_until;
	*oldest = now;
	search(r, busy);
	pending.last_end = time_mono_us();
}

static void search(struct req *r, int busy)
{
	const struct principal *p = auth_session(r); /* the route asked registry.read */
	const struct json *body = req_json_object(r);
	if (body == NULL)
		return;
	static const char *const members[] = { "unit_code", "certificate_no", "holder", "as_at", "after", "limit" };
	for (const struct json *m = body->child; m; m = m->next) {
		size_t i = 0;
		while (i < sizeof(members) / sizeof(members[0]) && strcmp(m->key, members[i]) != 0)
			i++;
		if (i == sizeof(members) / sizeof(members[0])) {
			valid_reject(r, "invalid_parameter", m->key, "is not a member of a search.");
			return;
		}
	}
	struct lookup_cond c;
	if (lookup_cond_parse(r, body, &c) != 0)
		return;
	const struct json *ja = json_get(body, "as_at"), *jaf = json_get(body, "after"), *jl = json_get(body, "limit");
	int64_t as_at = 0, limit = 20, now = req_now_us(r);
	if (ja && (ja->type != JSON_STRING || lookup_time_parse(ja->s, ja->len, &as_at) != 0 || as_at <= 0)) {
		valid_reject(r, "invalid_as_at", "as_at", "must be a time in RFC 3339, e.g. 2026-01-01T00:00:00+08:00.");
		return;
	}
	if (ja && as_at > now) {
		valid_reject(r, "invalid_as_at", "as_at", "must not be in the future.");
		return;
	}
	const char *after = NULL;
	if (jaf && (jaf->type != JSON_STRING || !lookup_cursor_valid(jaf->s))) {
		valid_reject(r, "invalid_cursor", "after", "must be the \"next\" of a previous answer.");
		return;
	}
	if (jaf)
		after = jaf->s;
	if (jl && (jl->type != JSON_NUMBER || json_int64(jl, &limit) != 0 || limit < 1 || limit > 100)) {
		valid_reject(r, "invalid_parameter", "limit", "must be a whole number from 1 to 100.");
		return;
	}
	const char **scopes;
	size_t ns = auth_scopes(r, p, "registry.read", &scopes);
	unsigned char d[32];
	char *key = cache_key(r, &c, as_at, after, limit, scopes, ns, d), *vkey = version_key(r, &c);
	if (key == NULL || vkey == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}

	/* this worker's copy: no round trip, once every invalidation Redis
	 * sent before now has been applied (track.h) */
	int local = local_sync(r->w);
	uint64_t mark = answers_mark();
	struct answer la;
	if (local && answers_get(d, (int64_t)SEARCH_TTL_S * 1000000, &la)) {
		int w = audit_hit(r, p, audit_details(r, &c, ja != NULL, after != NULL, la.count, 1), la.gen, busy);
		if (w < 0)
			return;
		if (w == 1) {
			reply(r, as_at ? as_at : now, la.tail, la.tlen);
			return;
		}
		answers_drop(d); /* built under an older generation */
	}

	/* the cache: the value and its condition's version in one round trip */
	struct cache *rc = &r->w->cache;
	const char *ver = NULL; /* NULL: no caching for this request */
	char **got;
	size_t *gotl;
	const char *mget[] = { "MGET", key, vkey };
	size_t mgetl[] = { 4, strlen(key), strlen(vkey) };
	if (cache_command(rc, r->arena, 3, mget, mgetl, &got, &gotl) == 2) {
		ver = got[1];
		if (ver == NULL) {
			/* no version (never set, or evicted): a fresh one, unless
			 * another request set one meanwhile */
			char fresh[48];
			regcache_fresh(fresh);
			const char *set[] = { "SET", vkey, fresh, "NX", "GET" };
			size_t setl[] = { 3, strlen(vkey), strlen(fresh), 2, 3 };
			char **sv;
			size_t *svl;
			if (cache_command(rc, r->arena, 5, set, setl, &sv, &svl) == 1)
				ver = sv[0] ? sv[0] : arena_strndup(r->arena, fresh, strlen(fresh));
			/* that SET is itself a change of the version key: a copy
			 * made now would be refused (answers_put); the next search,
			 * a Redis hit, makes it */
			local = 0;
		} else if (got[0]) {
			char *cver, *tail;
			int64_t cgen, count;
			if (split_value(got[0], &cver, &cgen, &count, &tail) == 0 && strcmp(cver, ver) == 0) {
				int w = audit_hit(r, p, audit_details(r, &c, ja != NULL, after != NULL, count, 1), cgen,
						  busy);
				if (w < 0)
					return;
				if (w == 1) {
					size_t tl = strlen(tail);
					if (local)
						local_keep(r->w, d, mark, vkey, cgen, count, tail, tl);
					reply(r, as_at ? as_at : now, tail, tl);
					return;
				}
			}
		}
	}

	struct lookup_page pg;
	/* the generation comes with the rows, from the same snapshot: an answer
	 * built from data older than a generation step never carries the new one */
	if (lookup_units(r, &c, as_at, scopes, ns, after, (int)limit, &pg) != 0)
		return;
	int64_t gen = pg.generation;
	yajl_gen g = json_gen_new(r->arena);
	if (g == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	/* the tail of an object: "items": […], "next": … } (as_at goes first) */
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < pg.n; i++)
		lookup_gen_unit(g, &pg.units[i], QV_FULL, 0);
	yajl_gen_array_close(g);
	jg_str(g, "next", pg.next);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t blen;
	if (yajl_gen_get_buf(g, &b, &blen) != yajl_gen_status_ok || blen < 2) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	const char *tail = (const char *)b + 1; /* without the "{" */
	size_t tlen = blen - 1;
	if (audit_miss(r, p, audit_details(r, &c, ja != NULL, after != NULL, (int64_t)pg.n, 0)) != 0)
		return;
	if (ver) {
		char *val = arena_printf(r->arena, "%s\n%" PRId64 "\n%zu\n%.*s", ver, gen, pg.n, (int)tlen, tail);
		if (val)
			cache_set(rc, key, strlen(key), val, strlen(val), SEARCH_TTL_S);
		if (local)
			local_keep(r->w, d, mark, vkey, gen, (int64_t)pg.n, tail, tlen);
	}
	reply(r, pg.as_at_us, tail, tlen);
}
