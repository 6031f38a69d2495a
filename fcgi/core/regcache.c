#include "regcache.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "resp.h"
#include "worker.h"

char *regcache_key_unit(struct arena *a, const char *code)
{
	return arena_printf(a, "tb:sv:u:%s", code);
}

char *regcache_key_cert(struct arena *a, const char *certificate_no)
{
	unsigned char md[32];
	unsigned int mdl = 0;
	if (EVP_Digest(certificate_no, strlen(certificate_no), md, &mdl, EVP_sha256(), NULL) != 1 || mdl != 32)
		return NULL;
	char hex[65];
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return arena_printf(a, "tb:sv:c:%s", hex);
}

char *regcache_key_holder(struct arena *a, const char *id_index)
{
	return arena_printf(a, "tb:sv:h:%s", id_index);
}

void regcache_fresh(char out[48])
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	unsigned char rnd[8] = { 0 };
	/* uniqueness, not secrecy: without random bytes time and pid remain */
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | rnd[i];
	snprintf(out, 48, "%" PRIx64 ".%x.%016" PRIx64,
		 (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec, (unsigned)getpid(), x);
}

#define Q_TOUCHED(P, C) P(unit, TEXT) P(case_id, TEXT) C(id_index, TEXT) C(certificate_no, TEXT)
DB_QUERY(regcache_touched, Q_TOUCHED,
	 "SELECT DISTINCT holder_id_number_index, certificate_no FROM reg.entry"
	 " WHERE unit_code = $1 AND (valid_to IS NULL OR ended_by_case = $2::bigint)");

int regcache_collect(struct req *r, const char *unit, const char *case_id, struct regcache_touch *t)
{
	t->keys = NULL;
	t->n = 0;
	struct regcache_touched_row *rows;
	int n = regcache_touched_run(r, &(struct regcache_touched_in){ .unit = unit, .case_id = case_id }, &rows);
	if (n < 0)
		return -1;
	const char **k = arena_alloc(r->arena, (2 * (size_t)n + 1) * sizeof(*k));
	if (k == NULL || (k[0] = regcache_key_unit(r->arena, unit)) == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	size_t m = 1;
	for (int i = 0; i < n; i++) {
		if (rows[i].id_index && (k[m] = regcache_key_holder(r->arena, rows[i].id_index)) != NULL)
			m++;
		if (rows[i].certificate_no && (k[m] = regcache_key_cert(r->arena, rows[i].certificate_no)) != NULL)
			m++;
	}
	t->keys = k;
	t->n = m;
	return 0;
}

static const struct stmt q_generation_bump = {
	"regcache_generation_bump", "UPDATE reg.search_generation SET n = n + 1, bumped_at = now()", 0,
};

void regcache_bump(struct req *r, const struct regcache_touch *t)
{
	if (t->n == 0)
		return;
	char ver[48];
	regcache_fresh(ver);
	size_t argc = 1 + 2 * t->n;
	const char **argv = arena_alloc(r->arena, argc * sizeof(*argv));
	size_t *lens = arena_alloc(r->arena, argc * sizeof(*lens));
	int ok = 0;
	if (argv && lens) {
		argv[0] = "MSET";
		lens[0] = 4;
		for (size_t i = 0; i < t->n; i++) {
			argv[1 + 2 * i] = t->keys[i];
			lens[1 + 2 * i] = strlen(t->keys[i]);
			argv[2 + 2 * i] = ver;
			lens[2 + 2 * i] = strlen(ver);
		}
		char **out;
		size_t *outl;
		ok = cache_command(&r->w->cache, r->arena, (int)argc, argv, lens, &out, &outl) == 1 && out[0] &&
		     strcmp(out[0], "OK") == 0;
		/* The barrier the query workers' in-memory answers rely on
		 * (track.h): one more round trip. Redis reads our PING only
		 * after the pass that wrote MSET's reply, which also wrote the
		 * invalidations to every tracking connection — so when this
		 * registration answers, they are there to be read. */
		const char *ping[] = { "PING" };
		size_t pingl[] = { 4 };
		ok = ok && cache_command(&r->w->cache, r->arena, 1, ping, pingl, &out, &outl) == 1 && out[0] &&
		     strcmp(out[0], "PONG") == 0;
	}
	if (ok)
		return;
	/* Redis did not take the new versions: every cached answer built
	 * under the present generation is void from now on */
	const char *state = NULL;
	PGresult *res = pg_exec(&r->w->db, &q_generation_bump, NULL, NULL, NULL, &state);
	if (res == NULL) {
		log_error("registry search cache: neither Redis nor the database took the invalidation of %s (%s)",
			  t->keys[0], state ? state : "connection lost");
		return;
	}
	log_warn("registry search cache: Redis did not take the invalidation of %s; generation counted up",
		 t->keys[0]);
	PQclear(res);
}
