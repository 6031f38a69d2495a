/* The audit trail for auditors, and the sealer that chains it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/audit_chain.h"
#include "../core/crypto.h"
#include "../core/log.h"
#include "admin.h"

#define Q_AUDIT(P, C)                                                                           \
	P(scopes, TEXT) P(actor, I64) P(action, TEXT) P(object_type, TEXT) P(object_id, TEXT)          \
	P(from, TEXT) P(to, TEXT) P(before, I64) P(limit, I64)                                      \
	C(seq, I64) C(at, I64) C(actor_id, I64) C(actor_name, TEXT) C(agency_code, TEXT) C(action, TEXT) \
	C(object_type, TEXT) C(object_id, TEXT) C(outcome, TEXT) C(request_id, TEXT) C(client_addr, TEXT) \
	C(details, TEXT)
/* absent filters are -1 (actor) or NULL */
DB_QUERY(audit_list, Q_AUDIT,
	 "SELECT e.seq, (extract(epoch FROM e.at) * 1000000)::bigint, coalesce(e.actor_id, 0),"
	 " e.actor_name, e.agency_code, e.action, e.object_type, e.object_id, e.outcome, e.request_id,"
	 " e.client_addr, e.details::text"
	 " FROM audit.event e LEFT JOIN iam.agency a ON a.code = e.agency_code"
	 " WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) s"
	 "   WHERE (a.division_code IS NOT NULL AND ref.covers(s, a.division_code))"
	 "      OR (a.division_code IS NULL AND s = '450000'))"
	 " AND ($2 < 0 OR e.actor_id = $2) AND ($3::text IS NULL OR e.action = $3)"
	 " AND ($4::text IS NULL OR e.object_type = $4) AND ($5::text IS NULL OR e.object_id = $5)"
	 " AND ($6::timestamptz IS NULL OR e.at >= $6) AND ($7::timestamptz IS NULL OR e.at < $7)"
	 " AND e.seq < $8 ORDER BY e.seq DESC LIMIT $9");

#define Q_CHAIN_STATUS(P, C)                                                                     \
	C(checked_at, I64) C(ok, BOOL) C(refusing, BOOL) C(head_pos, I64) C(head_seq, I64)             \
	C(head_hash, TEXT) C(verified_pos, I64) C(unsealed, I64) C(broken, BOOL) C(first_broken_pos, I64) \
	C(first_broken_seq, I64) C(reason, TEXT)
DB_QUERY(audit_chain_status, Q_CHAIN_STATUS,
	 "SELECT (extract(epoch FROM checked_at) * 1000000)::bigint, coalesce(ok, false), refusing, head_pos,"
	 " head_seq, head_hash, verified_pos, unsealed, first_broken_pos IS NOT NULL, first_broken_pos,"
	 " first_broken_seq, reason FROM audit.chain_status WHERE checked_at IS NOT NULL");

/* RFC 3339 with an offset: 2026-11-27T08:00:00+08:00 or ...Z */
static int is_rfc3339(const char *s)
{
	static const char form[] = "dddd-dd-ddTdd:dd:dd";
	size_t n = strlen(s);
	if (n < 20 || n > 35)
		return 0;
	for (size_t i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
			return 0;
	const char *t = s + 19;
	if (*t == '.')
		for (t++; *t >= '0' && *t <= '9'; t++)
			;
	if (strcmp(t, "Z") == 0)
		return 1;
	return strlen(t) == 6 && (t[0] == '+' || t[0] == '-') && t[1] >= '0' && t[1] <= '9' &&
	       t[2] >= '0' && t[2] <= '9' && t[3] == ':' && t[4] >= '0' && t[4] <= '9' && t[5] >= '0' && t[5] <= '9';
}

/* [a-z_.] */
static int dotted(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* an action: 3-64 of [a-z_.] */
static int is_action(const char *s)
{
	return strlen(s) >= 3 && dotted(s);
}

const struct qkey audit_query[] = {
	QKEY_INT("actor", 0, INT64_MAX, 0),
	QKEY_TEXT("action", 64, is_action, "a dotted name of 3 to 64 characters (a-z, _ and .)"),
	QKEY_TEXT("object_type", 62, dotted, "a name of 1 to 62 characters (a-z, _ and .)"),
	QKEY_TEXT("object_id", 64, NULL, "an object's id of 1 to 64 bytes"),
	QKEY_TEXT("from", 35, is_rfc3339, "an RFC 3339 time with its offset"),
	QKEY_TEXT("to", 35, is_rfc3339, "an RFC 3339 time with its offset"),
	LIST_BEFORE(500, 50),
	QKEY_END,
};

/* an item's members before actor_id, and between it and details */
static const struct jcol audit_cols[] = {
	JCOL_INT("seq", struct audit_list_row, seq),
	JCOL_TIME("at", struct audit_list_row, at),
	JCOL_ID("actor_id", struct audit_list_row, actor_id),
	JCOL_STR("actor_name", struct audit_list_row, actor_name),
	JCOL_STR("agency_code", struct audit_list_row, agency_code),
	JCOL_STR("action", struct audit_list_row, action),
	JCOL_STR("object_type", struct audit_list_row, object_type),
	JCOL_STR("object_id", struct audit_list_row, object_id),
	JCOL_STR("outcome", struct audit_list_row, outcome),
	JCOL_STR("request_id", struct audit_list_row, request_id),
	JCOL_STR("client_addr", struct audit_list_row, client_addr),
	JCOL_END,
};

/* details is JSON the platform wrote: passed through parsed (flat) */
static void gen_details(struct req *r, yajl_gen g, const char *dt)
{
	struct json *d;
	jg_key(g, "details");
	if (dt == NULL || json_parse(r->arena, (const unsigned char *)dt, strlen(dt), 16, &d) != JSON_OK ||
	    d->type != JSON_OBJECT) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	for (const struct json *m = d->child; m; m = m->next) {
		jg_key(g, m->key);
		if (m->type == JSON_STRING)
			jg_cstr(g, m->s);
		else if (m->type == JSON_NUMBER)
			yajl_gen_number(g, m->s, m->len);
		else if (m->type == JSON_BOOL)
			yajl_gen_bool(g, m->b);
		else
			yajl_gen_null(g);
	}
	yajl_gen_map_close(g);
}

/* GET /api/v1/audit?actor=&action=&object_type=&object_id=&from=&to=&before=&limit=
 * (audit.read, keys checked by the route) */
void h_audit_list(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct page pg = list_page_of(r);
	struct audit_list_row *rows;
	int n = audit_list_run(r,
			       &(struct audit_list_in){ .scopes = auth_scope_array(r, p, "audit.read"),
							.actor = req_query(r, "actor") ? req_qint(r, "actor") : -1,
							.action = req_query(r, "action"),
							.object_type = req_query(r, "object_type"),
							.object_id = req_query(r, "object_id"),
							.from = req_query(r, "from"),
							.to = req_query(r, "to"),
							.before = pg.cursor,
							.limit = pg.limit },
			       &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		list_members(r, g, &rows[i], audit_cols);
		gen_details(r, g, rows[i].details);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	list_page_next(g, &pg, (size_t)n, n > 0 ? rows[n - 1].seq : 0);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* GET /api/v1/audit/verify (audit.read): the background process's latest
 * verification (it walks the chain in bounded chunks against the anchors
 * outside the database); nothing is re-hashed inside the request. */
void h_audit_verify(struct req *r)
{
	const struct principal *p = auth_session(r);
	struct audit_chain_status_row *st;
	int n = audit_chain_status_run(r, &(struct audit_chain_status_in){ 0 }, &st);
	if (n < 0)
		return;
	if (n != 1) {
		resp_header(r, "Retry-After", "1");
		resp_problem(r, 503, "verification_pending", "The audit chain has not been verified yet; retry shortly.");
		return;
	}
	if (auth_audit(r, p, "audit.verify", "audit", NULL, st->ok ? "success" : "failure",
			st->ok ? NULL
			       : json_pairs(r->arena, "broken_seq", st->broken ? req_i64str(r, st->first_broken_seq) : NULL,
					    "reason", st->reason)) != 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_bool(g, "ok", st->ok);
	jg_str(g, "checked_at", time_rfc3339(r->arena, st->checked_at));
	jg_bool(g, "sealing", !st->refusing);
	jg_int(g, "sealed", st->head_pos);
	jg_int(g, "head_pos", st->head_pos);
	jg_int(g, "head_seq", st->head_seq);
	jg_str(g, "head", st->head_hash);
	jg_int(g, "verified_pos", st->verified_pos);
	jg_int(g, "unsealed", st->unsealed);
	if (st->broken) {
		jg_int(g, "first_broken_pos", st->first_broken_pos);
		jg_int(g, "first_broken_seq", st->first_broken_seq);
	} else {
		jg_null(g, "first_broken_pos");
		jg_null(g, "first_broken_seq");
	}
	jg_str(g, "reason", st->reason);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

#define SEAL_BATCH 5000

/* The sealer's state, in the background process. head is what it last
 * sealed (or found verified and adopted) and anchored: it seals only on top
 * of exactly that, and refuses while the database does not hold it, while
 * seals it did not make do not verify, or while the periodic walk over the
 * whole chain finds a position that does not verify. */
struct sealer {
	int64_t next_partitions_us, next_checkpoint_us, next_alert_us;
	int ready, disabled, anchors_broken, head_bad, walk_bad, alerted, published_refusing;
	const char *dir;
	EVP_PKEY *key;
	int checkpoint_seconds;
	struct anchors anchors;
	struct chain_walk head, walk;
	struct chain_failure head_failure, walk_failure;
	int64_t verified_pos;
	struct anchor_rec recs[SEAL_BATCH];
};

static int sealer_init(struct sealer *s)
{
	char err[256];
	s->dir = getenv("TB_AUDIT_ANCHOR_DIR");
	s->anchors.fd = -1;
	if (s->dir && *s->dir == '\0')
		s->dir = NULL;
	if (s->dir == NULL) {
		/* a sealer without anchors would adopt whatever chain it finds at
		 * start, a superuser's rewrite included, and extend it */
		log_error("audit sealer: TB_AUDIT_ANCHOR_DIR is not set: not sealing (a chain without anchors"
			  " outside the database could be rewritten unnoticed)");
		s->disabled = 1;
		s->ready = 1;
		return 0;
	}
	if (anchor_open(&s->anchors, s->dir, 1, err, sizeof(err)) != 0) {
		log_error("audit sealer: %s", err);
		return -1;
	}
	const char *key = getenv("TB_AUDIT_KEY");
	if (key && *key && s->key == NULL && (s->key = anchor_key_private(key, err, sizeof(err))) == NULL)
		log_error("audit sealer: %s: no signed checkpoints", err);
	int bad = 0;
	s->checkpoint_seconds = (int)conf_long("TB_AUDIT_CHECKPOINT_SECONDS", 30, 1, 60, &bad);
	if (bad)
		log_error("audit sealer: TB_AUDIT_CHECKPOINT_SECONDS must be 1-60; using 30");
	struct anchor_rec last;
	if (s->anchors.count > 0) {
		if (anchor_get(&s->anchors, s->anchors.count, &last) != 1) {
			log_error("audit sealer: the last anchor record is unreadable");
			return -1;
		}
		s->head.pos = last.pos;
		s->head.seq = last.seq;
		memcpy(s->head.hash, last.hash, 32);
	}
	/* with no anchors yet, existing seals are adopted (and anchored) by
	 * sealer_check_head once they verify: trust on first use */
	s->ready = 1;
	log_info("audit sealer: head at position %" PRId64 " (anchored in %s)", s->head.pos, s->dir);
	return 0;
}

/* The sealer's statements (no request: pg_exec on the worker's connection). */
static const struct stmt q_seal_at = {
	"sealer_seal_at", "SELECT event_seq, encode(hash, 'hex') FROM audit.seal WHERE pos = $1::bigint", 1
};
static const struct stmt q_alert = {
	"sealer_alert",
	"INSERT INTO audit.event (at, action, object_type, object_id, outcome, details)"
	" VALUES (now(), 'audit.chain.alert', 'audit_seal', $1, 'failure', $2::jsonb)",
	2,
};
static const struct stmt q_status = {
	"sealer_status",
	"UPDATE audit.chain_status SET checked_at = now(), ok = $1::boolean, refusing = $2::boolean,"
	" head_pos = $3::bigint, head_seq = $4::bigint, head_hash = $5, verified_pos = $6::bigint,"
	" first_broken_pos = $7::bigint, first_broken_seq = $8::bigint, reason = $9,"
	" unsealed = (SELECT count(*) FROM audit.event e WHERE e.seq > $4::bigint - 100000"
	"   AND NOT EXISTS (SELECT 1 FROM audit.seal s WHERE s.event_seq = e.seq))",
	9,
};
static const struct stmt q_partitions = { "sealer_partitions", "SELECT audit.ensure_partitions(2)", 0 };

/* Does the database still hold our head? Then adopt seals beyond it made
 * elsewhere (another host's sealer, or ours before a crash) once they
 * verify. 0 fine, -2 refused (head_failure set), -1 database error. */
static int sealer_check_head(struct db *d, struct sealer *s, char *err, size_t errlen)
{
	if (s->head.pos > 0) {
		char pos[24];
		snprintf(pos, sizeof(pos), "%" PRId64, s->head.pos);
		const char *p[] = { pos }, *state;
		PGresult *r = pg_exec(d, &q_seal_at, p, NULL, NULL, &state);
		if (r == NULL) {
			snprintf(err, errlen, "%s", db_last_error(d));
			return -1;
		}
		unsigned char h[32];
		int same = PQntuples(r) == 1 && strtoll(PQgetvalue(r, 0, 0), NULL, 10) == s->head.seq &&
			   anchor_hex32(PQgetvalue(r, 0, 1), h) == 0 && crypto_equal(h, s->head.hash, 32);
		PQclear(r);
		if (!same) {
			s->head_failure.pos = s->head.pos;
			s->head_failure.seq = s->head.seq;
			snprintf(s->head_failure.reason, sizeof(s->head_failure.reason),
				 "the head last sealed is missing or altered");
			return -2;
		}
	}
	for (;;) {
		struct chain_walk next = s->head;
		int64_t n = chain_walk_step(d, &next, SEAL_BATCH, s->dir ? &s->anchors : NULL, s->recs, &s->head_failure,
					    err, errlen);
		if (n < 0)
			return (int)n;
		if (n > 0 && s->dir && anchor_append(&s->anchors, s->recs, (size_t)n, err, errlen) != 0) {
			s->anchors_broken = 1;
			return -1;
		}
		if (n > 0)
			log_info("audit sealer: adopted %" PRId64 " verified seals made elsewhere", n);
		s->head = next;
		if (n < SEAL_BATCH)
			return 0;
	}
}

static void sealer_alert(struct db *d, struct sealer *s, const struct chain_failure *f)
{
	if (time_mono_us() >= s->next_alert_us) {
		log_error("audit chain does not verify at position %" PRId64 " (event %" PRId64
			  "): %s; the sealer refuses to extend it",
			  f->pos, f->seq, f->reason);
		s->next_alert_us = time_mono_us() + 60LL * 1000000;
	}
	if (s->alerted)
		return;
	char details[256], pos[24], seq[24];
	snprintf(pos, sizeof(pos), "%" PRId64, f->pos);
	snprintf(seq, sizeof(seq), "%" PRId64, f->seq);
	/* the reason is one of the fixed texts of audit_chain.c: no quoting needed */
	snprintf(details, sizeof(details), "{\"position\": %s, \"event_seq\": %s, \"reason\": \"%s\"}", pos, seq,
		 f->reason);
	const char *p[] = { pos, details }, *state;
	PGresult *r = pg_exec(d, &q_alert, p, NULL, NULL, &state);
	if (r != NULL)
		s->alerted = 1;
	else
		log_error("audit sealer: alert event: %s", db_last_error(d));
	PQclear(r);
}

static void sealer_publish(struct db *d, struct sealer *s, const struct chain_failure *f)
{
	char hp[24], hs[24], vp[24], fp[24], fs[24], hex[65];
	snprintf(hp, sizeof(hp), "%" PRId64, s->head.pos);
	snprintf(hs, sizeof(hs), "%" PRId64, s->head.seq);
	snprintf(vp, sizeof(vp), "%" PRId64, s->verified_pos);
	snprintf(fp, sizeof(fp), "%" PRId64, f ? f->pos : 0);
	snprintf(fs, sizeof(fs), "%" PRId64, f ? f->seq : 0);
	crypto_hex(s->head.hash, 32, hex);
	int refusing = s->head_bad || s->walk_bad || s->anchors_broken;
	const char *p[] = { f ? "false" : "true", refusing ? "true" : "false", hp, hs, hex, vp,
			    f ? fp : NULL, f ? fs : NULL, f ? f->reason : NULL };
	const char *state;
	PGresult *r = pg_exec(d, &q_status, p, NULL, NULL, &state);
	if (r == NULL)
		log_warn("audit sealer: status: %s", db_last_error(d));
	PQclear(r);
}

static void sealer_checkpoint(struct sealer *s)
{
	if (s->key == NULL || s->dir == NULL || time_mono_us() < s->next_checkpoint_us)
		return;
	char err[256];
	struct anchor_rec h = { s->head.pos, s->head.seq, { 0 } };
	memcpy(h.hash, s->head.hash, 32);
	if (anchor_checkpoint(s->dir, s->key, (int64_t)time(NULL), &h, err, sizeof(err)) != 0)
		log_error("audit sealer: checkpoint: %s", err);
	else
		s->next_checkpoint_us = time_mono_us() + (int64_t)s->checkpoint_seconds * 1000000;
}

/* One tick: check the head, seal what is settled on top of it, anchor the
 * new seals, verify the next chunk of the whole chain, publish. */
static int sealer_tick(struct worker *w, struct sealer *s)
{
	struct db *d = &w->db;
	char err[256];
	if (!s->ready && sealer_init(s) != 0)
		return 5000;
	if (s->disabled)
		return 60000;
	int64_t sealed = 0;
	int rc = s->anchors_broken ? -2 : sealer_check_head(d, s, err, sizeof(err));
	if (rc == -1)
		goto db_error;
	s->head_bad = rc == -2 && !s->anchors_broken;
	if (!s->head_bad && !s->walk_bad && !s->anchors_broken) {
		struct anchor_rec *recs;
		sealed = chain_seal(d, SEAL_BATCH, &s->head, &recs, err, sizeof(err));
		if (sealed == -1)
			goto db_error;
		if (sealed > 0 && s->dir && anchor_append(&s->anchors, recs, (size_t)sealed, err, sizeof(err)) != 0) {
			log_error("audit sealer: %s: sealing stops until the anchor log is repaired", err);
			s->anchors_broken = 1;
		}
		free(recs);
		if (sealed == -2)
			sealed = 0; /* the head moved under us: the next tick finds out why */
	}
	struct chain_failure f;
	int64_t n = chain_walk_step(d, &s->walk, SEAL_BATCH, s->dir ? &s->anchors : NULL, NULL, &f, err, sizeof(err));
	if (n == -1)
		goto db_error;
	int walk_ended = n == -2 || n < SEAL_BATCH;
	if (n == -2) {
		s->walk_bad = 1;
		s->walk_failure = f;
	} else if (n < SEAL_BATCH) {
		s->walk_bad = 0;
		s->verified_pos = s->walk.pos;
	}
	if (walk_ended)
		memset(&s->walk, 0, sizeof(s->walk));
	int refusing = s->head_bad || s->walk_bad || s->anchors_broken;
	const struct chain_failure *first = NULL;
	struct chain_failure unanchored = { s->head.pos + 1, 0, "the anchor log cannot be written" };
	if (s->anchors_broken)
		first = &unanchored;
	if (s->walk_bad && (first == NULL || s->walk_failure.pos < first->pos))
		first = &s->walk_failure;
	if (s->head_bad && (first == NULL || s->head_failure.pos < first->pos))
		first = &s->head_failure;
	if (refusing && first)
		sealer_alert(d, s, first);
	if (!refusing) {
		s->alerted = 0;
		s->next_alert_us = 0;
	}
	if (walk_ended || refusing != s->published_refusing)
		sealer_publish(d, s, first);
	s->published_refusing = refusing;
	sealer_checkpoint(s);
	return sealed == SEAL_BATCH ? 0 : 1000;
db_error:
	log_warn("audit sealer: %s", err);
	if (d->conn != NULL && PQstatus(d->conn) != CONNECTION_OK)
		db_close(d);
	return 2000;
}

/* The admin service's background process: seal every second, keep the
 * monthly partitions two months ahead every hour, fold the statistics'
 * deltas (stats.c). */
int admin_background(struct worker *w)
{
	if (w->app == NULL && (w->app = calloc(1, sizeof(struct sealer))) == NULL)
		return 2000;
	struct sealer *s = w->app;
	if (db_ensure(&w->db, w->mslot) != 0)
		return 2000;
	if (time_mono_us() >= s->next_partitions_us) {
		const char *state;
		PGresult *r = pg_exec(&w->db, &q_partitions, NULL, NULL, NULL, &state);
		if (r == NULL)
			log_warn("audit partitions: %s", db_last_error(&w->db));
		else
			s->next_partitions_us = time_mono_us() + 3600LL * 1000000;
		PQclear(r);
	}
	stats_fold_tick(&w->db);
	return sealer_tick(w, s);
}
