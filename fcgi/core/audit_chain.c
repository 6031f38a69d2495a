#include "audit_chain.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"

#define NFIELDS 12
#define CANONICAL                                                                            \
	"e.seq::text, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"    \
	" e.actor_id::text, e.actor_name, e.agency_code, e.action, e.object_type, e.object_id,"  \
	" e.outcome, e.request_id, e.client_addr, e.details::text"

static void link_hash(const unsigned char prev[32], PGresult *res, int row, int col0, unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, prev, 32);
	for (int f = 0; f < NFIELDS; f++) {
		unsigned char len[4];
		uint32_t n = 0xffffffffu;
		if (!PQgetisnull(res, row, col0 + f))
			n = (uint32_t)PQgetlength(res, row, col0 + f);
		len[0] = (unsigned char)(n >> 24);
		len[1] = (unsigned char)(n >> 16);
		len[2] = (unsigned char)(n >> 8);
		len[3] = (unsigned char)n;
		EVP_DigestUpdate(ctx, len, 4);
		if (n != 0xffffffffu)
			EVP_DigestUpdate(ctx, PQgetvalue(res, row, col0 + f), n);
	}
	unsigned int l = 32;
	EVP_DigestFinal_ex(ctx, out, &l);
	EVP_MD_CTX_free(ctx);
}

static int from_hex(const char *h, unsigned char out[32])
{
	return strlen(h) == 64 ? anchor_hex32(h, out) : -1;
}

static const struct stmt q_lock = { "chain_lock", "SELECT pg_advisory_xact_lock(7352911)", 0 };
static const struct stmt q_head = {
	"chain_head", "SELECT pos, event_seq, encode(hash, 'hex') FROM audit.seal ORDER BY pos DESC LIMIT 1", 0
};
static const struct stmt q_settled = {
	"chain_settled",
	"SELECT " CANONICAL " FROM audit.event e"
	" WHERE e.seq > (SELECT coalesce(max(event_seq), 0) - 100000 FROM audit.seal)"
	" AND NOT EXISTS (SELECT 1 FROM audit.seal s WHERE s.event_seq = e.seq)"
	" AND e.txid < pg_snapshot_xmin(pg_current_snapshot())"
	" ORDER BY e.seq LIMIT $1::int",
	1,
};
static const struct stmt q_seal = {
	"chain_seal",
	"INSERT INTO audit.seal (pos, event_seq, hash)"
	" SELECT p, s, decode(h, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t (p, s, h)",
	3,
};
static const struct stmt q_walk = {
	"chain_walk",
	"SELECT s.pos, s.event_seq, encode(s.hash, 'hex'), (e.seq IS NOT NULL)::int, " CANONICAL
	" FROM audit.seal s LEFT JOIN audit.event e ON e.seq = s.event_seq"
	" WHERE s.pos > $1::bigint ORDER BY s.pos LIMIT $2::int",
	2,
};

/* pg_exec with the failure said in err. */
static PGresult *q(struct db *d, const struct stmt *s, const char *const *p, char *err, size_t errlen)
{
	const char *state;
	PGresult *r = pg_exec(d, s, p, NULL, NULL, &state);
	if (r == NULL)
		snprintf(err, errlen, "%s: %s", s->name, db_last_error(d));
	return r;
}

int64_t chain_seal(struct db *d, int batch, struct chain_walk *head, struct anchor_rec **out, char *err,
		   size_t errlen)
{
	PGresult *r;
	int64_t sealed = -1;
	struct anchor_rec *recs = NULL;
	struct buf pos = { 0 }, seq = { 0 }, hashes = { 0 };
	*out = NULL;
	if ((r = q(d, &db_stmt_begin, NULL, err, errlen)) == NULL)
		return -1;
	PQclear(r);
	if ((r = q(d, &q_lock, NULL, err, errlen)) == NULL)
		goto out;
	PQclear(r);
	if ((r = q(d, &q_head, NULL, err, errlen)) == NULL)
		goto out;
	/* never extend a chain whose head is not the one last sealed here */
	int same = PQntuples(r) == 0 ? head->pos == 0
				      : head->pos == strtoll(PQgetvalue(r, 0, 0), NULL, 10) &&
						head->seq == strtoll(PQgetvalue(r, 0, 1), NULL, 10);
	unsigned char db_hash[32];
	if (same && PQntuples(r) == 1)
		same = from_hex(PQgetvalue(r, 0, 2), db_hash) == 0 && crypto_equal(db_hash, head->hash, 32);
	PQclear(r);
	if (!same) {
		sealed = -2;
		goto out;
	}
	unsigned char prev[32];
	memcpy(prev, head->hash, 32);
	char lim[16];
	snprintf(lim, sizeof(lim), "%d", batch);
	const char *pl[] = { lim };
	r = q(d, &q_settled, pl, err, errlen);
	if (r == NULL)
		goto out;
	int n = PQntuples(r);
	recs = calloc(n ? (size_t)n : 1, sizeof(*recs));
	int rc = recs == NULL;
	rc |= buf_puts(&pos, "{");
	rc |= buf_puts(&seq, "{");
	rc |= buf_puts(&hashes, "{");
	for (int i = 0; i < n && !rc; i++) {
		char hex[65];
		recs[i].pos = head->pos + 1 + i;
		recs[i].seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		link_hash(prev, r, i, 0, recs[i].hash);
		memcpy(prev, recs[i].hash, 32);
		crypto_hex(recs[i].hash, 32, hex);
		rc |= buf_printf(&pos, "%s%" PRId64, i ? "," : "", recs[i].pos);
		rc |= buf_printf(&seq, "%s%" PRId64, i ? "," : "", recs[i].seq);
		rc |= buf_printf(&hashes, "%s%s", i ? "," : "", hex);
	}
	PQclear(r);
	rc |= buf_append(&pos, "}", 2);
	rc |= buf_append(&seq, "}", 2);
	rc |= buf_append(&hashes, "}", 2);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (n > 0) {
		const char *pi[] = { (char *)pos.p, (char *)seq.p, (char *)hashes.p };
		r = q(d, &q_seal, pi, err, errlen);
		if (r == NULL)
			goto out;
		PQclear(r);
	}
	if ((r = q(d, &db_stmt_commit, NULL, err, errlen)) == NULL)
		goto out;
	PQclear(r);
	sealed = n;
	if (n > 0) {
		head->pos = recs[n - 1].pos;
		head->seq = recs[n - 1].seq;
		memcpy(head->hash, recs[n - 1].hash, 32);
	}
	*out = recs;
	recs = NULL;
out:
	if (sealed < 0) {
		const char *state;
		if (d->conn != NULL)
			PQclear(pg_exec(d, &db_stmt_rollback, NULL, NULL, NULL, &state));
	}
	free(recs);
	buf_free(&pos);
	buf_free(&seq);
	buf_free(&hashes);
	return sealed;
}

static int64_t fail(struct chain_failure *f, int64_t pos, int64_t seq, const char *reason)
{
	f->pos = pos;
	f->seq = seq;
	snprintf(f->reason, sizeof(f->reason), "%s", reason);
	return -2;
}

int64_t chain_walk_step(struct db *d, struct chain_walk *w, int limit, const struct anchors *a,
			struct anchor_rec *recs, struct chain_failure *failure, char *err, size_t errlen)
{
	char after[24], lim[16];
	snprintf(after, sizeof(after), "%" PRId64, w->pos);
	snprintf(lim, sizeof(lim), "%d", limit);
	const char *p[] = { after, lim };
	PGresult *r = q(d, &q_walk, p, err, errlen);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	int64_t done = 0;
	for (int i = 0; i < n; i++) {
		int64_t pos = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		int64_t seq = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		unsigned char stored[32], h[32];
		struct anchor_rec ar;
		int anchored = a ? anchor_get(a, w->pos + 1, &ar) : 0;
		if (pos != w->pos + 1) {
			done = anchored == 1 ? fail(failure, w->pos + 1, ar.seq, "seal missing (anchored outside the database)")
					     : fail(failure, w->pos + 1, seq, "seal missing");
			break;
		}
		if (anchored < 0) {
			done = fail(failure, pos, seq, "anchor record unreadable");
			break;
		}
		if (!atoi(PQgetvalue(r, i, 3))) {
			done = fail(failure, pos, seq, "event deleted");
			break;
		}
		if (from_hex(PQgetvalue(r, i, 2), stored) != 0) {
			done = fail(failure, pos, seq, "seal malformed");
			break;
		}
		link_hash(w->hash, r, i, 4, h);
		if (!crypto_equal(h, stored, 32)) {
			done = fail(failure, pos, seq, "event or seal altered");
			break;
		}
		if (anchored == 1 && (ar.seq != seq || !crypto_equal(ar.hash, h, 32))) {
			done = fail(failure, pos, anchored == 1 ? ar.seq : seq,
				    "chain rewritten: differs from the anchored record");
			break;
		}
		w->pos = pos;
		w->seq = seq;
		memcpy(w->hash, h, 32);
		if (recs) {
			recs[done].pos = pos;
			recs[done].seq = seq;
			memcpy(recs[done].hash, h, 32);
		}
		done++;
	}
	PQclear(r);
	if (done >= 0 && n < limit && a) {
		/* at the database's head: anchored positions beyond it were removed */
		struct anchor_rec ar;
		int more = anchor_get(a, w->pos + 1, &ar);
		if (more < 0)
			done = fail(failure, w->pos + 1, 0, "anchor record unreadable");
		else if (more == 1)
			done = fail(failure, ar.pos, ar.seq, "seal missing (anchored outside the database)");
	}
	return done;
}
