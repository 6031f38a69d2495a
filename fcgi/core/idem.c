#include "idem.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"
#include "crypto.h"
#include "db.h"
#include "keyring.h"
#include "worker.h"

static const struct stmt q_claim = {
	"idem_claim",
	"INSERT INTO api.idempotency (user_id, key, route, request_hash) VALUES ($1, $2, $3, $4)"
	" ON CONFLICT DO NOTHING RETURNING 1",
	4,
};
static const struct stmt q_get = {
	"idem_get",
	"SELECT route, request_hash, status, body, location FROM api.idempotency WHERE user_id = $1 AND key = $2",
	2,
};
static const struct stmt q_store = {
	"idem_store",
	"UPDATE api.idempotency SET status = $3, body = $4, location = $5 WHERE user_id = $1 AND key = $2",
	5,
};

static int key_valid(const char *k)
{
	size_t n = strlen(k);
	if (n < 1 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') || (k[i] >= '0' && k[i] <= '9') ||
		      strchr("-_.:", k[i])))
			return 0;
	return 1;
}

enum idem_result idem_begin(struct req *r, int64_t user_id, const char *route)
{
	const char *key = req_header(r, "HTTP_IDEMPOTENCY_KEY");
	if (key == NULL)
		return IDEM_NONE;
	if (!key_valid(key)) {
		resp_problem(r, 400, "invalid_idempotency_key",
			     "Idempotency-Key must be 1 to 64 letters, digits or -_.:");
		return IDEM_DONE;
	}
	/* the body may hold ID numbers: with data keys its fingerprint is keyed,
	 * so the stored hash cannot be searched for a guessed number */
	unsigned char h[32];
	char hex[65], uid[24];
	const void *in = r->body ? (const void *)r->body : (const void *)"";
	if (keyring_index(r->w->conf.keys, "idempotency", in, r->body_len, hex) != 0) {
		crypto_sha256(in, r->body_len, h);
		crypto_hex(h, 32, hex);
	}
	snprintf(uid, sizeof(uid), "%" PRId64, user_id);
	const char *pc[] = { uid, key, route, hex };
	PGresult *res = db_exec(r, &q_claim, pc);
	if (res == NULL)
		return IDEM_DONE;
	if (PQntuples(res) == 1)
		return IDEM_NEW;
	const char *pg[] = { uid, key };
	PGresult *prev = db_exec(r, &q_get, pg);
	if (prev == NULL)
		return IDEM_DONE;
	if (PQntuples(prev) != 1 || PQgetisnull(prev, 0, 2)) {
		resp_problem(r, 409, "request_in_progress", "A request with this Idempotency-Key is in progress.");
		return IDEM_DONE;
	}
	if (strcmp(PQgetvalue(prev, 0, 0), route) != 0 || strcmp(PQgetvalue(prev, 0, 1), hex) != 0) {
		resp_problem(r, 422, "idempotency_key_reused",
			     "This Idempotency-Key was used for a different request.");
		return IDEM_DONE;
	}
	resp_header(r, "Idempotent-Replayed", "true");
	/* copied: results are cleared before the response is framed */
	size_t len = (size_t)PQgetlength(prev, 0, 3);
	char *body = arena_strndup(r->arena, PQgetvalue(prev, 0, 3), len);
	char *loc = PQgetisnull(prev, 0, 4) ? NULL : arena_strndup(r->arena, PQgetvalue(prev, 0, 4),
								    (size_t)PQgetlength(prev, 0, 4));
	if (loc)
		resp_header(r, "Location", loc);
	if (body == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return IDEM_DONE;
	}
	resp_raw(r, atoi(PQgetvalue(prev, 0, 2)), "application/json", body, len);
	return IDEM_DONE;
}

int idem_store(struct req *r, int64_t user_id)
{
	const char *key = req_header(r, "HTTP_IDEMPOTENCY_KEY");
	if (key == NULL)
		return 0;
	char uid[24], st[8];
	snprintf(uid, sizeof(uid), "%" PRId64, user_id);
	snprintf(st, sizeof(st), "%d", r->status);
	char *body = arena_strndup(r->arena, (const char *)r->resp_body, r->resp_len);
	const char *loc = NULL;
	for (size_t i = 0; i < r->nheaders; i++)
		if (strcmp(r->headers[i].k, "Location") == 0)
			loc = r->headers[i].v;
	const char *p[] = { uid, key, st, body, loc };
	return body && db_exec(r, &q_store, p) ? 0 : -1;
}
