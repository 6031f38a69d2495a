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
	if (strlen(h) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static PGresult *q(PGconn *c, const char *sql, int n, const char *const *p, char *err, size_t errlen)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s", PQresultErrorMessage(r));
		PQclear(r);
		return NULL;
	}
	return r;
}

int64_t chain_seal(PGconn *c, int batch, char *err, size_t errlen)
{
	PGresult *r;
	int64_t sealed = -1;
	struct buf pos = { 0 }, seq = { 0 }, hashes = { 0 };
	if ((r = q(c, "BEGIN", 0, NULL, err, errlen)) == NULL)
		return -1;
	PQclear(r);
	if ((r = q(c, "SELECT pg_advisory_xact_lock(7352911)", 0, NULL, err, errlen)) == NULL)
		goto out;
	PQclear(r);
	if ((r = q(c, "SELECT pos, encode(hash, 'hex') FROM audit.seal ORDER BY pos DESC LIMIT 1", 0, NULL, err, errlen)) == NULL)
		goto out;
	int64_t head_pos = 0;
	unsigned char prev[32] = { 0 };
	if (PQntuples(r) == 1) {
		head_pos = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		if (from_hex(PQgetvalue(r, 0, 1), prev) != 0) {
			snprintf(err, errlen, "malformed head hash");
			PQclear(r);
			goto out;
		}
	}
	PQclear(r);
	char lim[16];
	snprintf(lim, sizeof(lim), "%d", batch);
	const char *pl[] = { lim };
	r = q(c,
	      "SELECT " CANONICAL " FROM audit.event e"
	      " WHERE e.seq > (SELECT coalesce(max(event_seq), 0) - 100000 FROM audit.seal)"
	      " AND NOT EXISTS (SELECT 1 FROM audit.seal s WHERE s.event_seq = e.seq)"
	      " AND e.txid < pg_snapshot_xmin(pg_current_snapshot())"
	      " ORDER BY e.seq LIMIT $1::int",
	      1, pl, err, errlen);
	if (r == NULL)
		goto out;
	int n = PQntuples(r);
	int rc = 0;
	rc |= buf_puts(&pos, "{");
	rc |= buf_puts(&seq, "{");
	rc |= buf_puts(&hashes, "{");
	for (int i = 0; i < n; i++) {
		unsigned char h[32];
		char hex[65];
		link_hash(prev, r, i, 0, h);
		memcpy(prev, h, 32);
		hex_encode(h, 32, hex);
		rc |= buf_printf(&pos, "%s%" PRId64, i ? "," : "", head_pos + 1 + i);
		rc |= buf_printf(&seq, "%s%s", i ? "," : "", PQgetvalue(r, i, 0));
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
		r = q(c,
		      "INSERT INTO audit.seal (pos, event_seq, hash)"
		      " SELECT p, s, decode(h, 'hex') FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS t (p, s, h)",
		      3, pi, err, errlen);
		if (r == NULL)
			goto out;
		PQclear(r);
	}
	if ((r = q(c, "COMMIT", 0, NULL, err, errlen)) == NULL)
		goto out;
	PQclear(r);
	sealed = n;
out:
	if (sealed < 0) {
		PGresult *rb = PQexec(c, "ROLLBACK");
		PQclear(rb);
	}
	buf_free(&pos);
	buf_free(&seq);
	buf_free(&hashes);
	return sealed;
}

int chain_verify(PGconn *c, struct chain_report *rep, char *err, size_t errlen)
{
	memset(rep, 0, sizeof(*rep));
	rep->ok = 1;
	unsigned char prev[32] = { 0 };
	int64_t expect = 1;
	char after[24] = "0";
	for (;;) {
		const char *p[] = { after };
		PGresult *r = q(c,
				"SELECT s.pos, s.event_seq, encode(s.hash, 'hex'), (e.seq IS NOT NULL)::int, " CANONICAL
				" FROM audit.seal s LEFT JOIN audit.event e ON e.seq = s.event_seq"
				" WHERE s.pos > $1::bigint ORDER BY s.pos LIMIT 5000",
				1, p, err, errlen);
		if (r == NULL)
			return -1;
		int n = PQntuples(r);
		for (int i = 0; i < n && rep->ok; i++) {
			int64_t pos = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			int64_t seq = strtoll(PQgetvalue(r, i, 1), NULL, 10);
			unsigned char stored[32], h[32];
			if (pos != expect) {
				rep->ok = 0;
				rep->broken_seq = seq;
				snprintf(rep->reason, sizeof(rep->reason), "seal %" PRId64 " is missing", expect);
			} else if (!atoi(PQgetvalue(r, i, 3))) {
				rep->ok = 0;
				rep->broken_seq = seq;
				snprintf(rep->reason, sizeof(rep->reason), "event deleted");
			} else if (from_hex(PQgetvalue(r, i, 2), stored) != 0) {
				rep->ok = 0;
				rep->broken_seq = seq;
				snprintf(rep->reason, sizeof(rep->reason), "seal malformed");
			} else {
				link_hash(prev, r, i, 4, h);
				if (!crypto_equal(h, stored, 32)) {
					rep->ok = 0;
					rep->broken_seq = seq;
					snprintf(rep->reason, sizeof(rep->reason), "event or seal altered");
				} else {
					memcpy(prev, h, 32);
					rep->sealed++;
					expect++;
				}
			}
		}
		if (n > 0)
			snprintf(after, sizeof(after), "%s", PQgetvalue(r, n - 1, 0));
		PQclear(r);
		if (n < 5000 || !rep->ok)
			break;
	}
	hex_encode(prev, 32, rep->head);
	PGresult *r = q(c,
			"SELECT count(*) FROM audit.event e WHERE NOT EXISTS"
			" (SELECT 1 FROM audit.seal s WHERE s.event_seq = e.seq)",
			0, NULL, err, errlen);
	if (r == NULL)
		return -1;
	rep->unsealed = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}
