/* Redis as a cache: every call may miss. An unreachable Redis makes gets
 * miss and sets do nothing; reconnection is tried at most once a second so
 * an outage does not cost a connect per request. */
#ifndef TB_CACHE_H
#define TB_CACHE_H
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "metrics.h"

struct redisContext;
struct cache {
	struct redisContext *c;
	const char *where;	/* unix socket path or host:port */
	int timeout_ms;
	int64_t retry_at_us;	/* no connect attempt before this */
	struct met_slot *m;
};

void cache_init(struct cache *c, const char *where, int timeout_ms, struct met_slot *m);
void cache_close(struct cache *c);
/* 1 hit (value copied into the arena, NUL-terminated), 0 miss or error. */
int cache_get(struct cache *c, struct arena *a, const char *key, size_t klen, char **val,
	      size_t *vlen);
void cache_set(struct cache *c, const char *key, size_t klen, const void *val, size_t vlen,
	       int ttl_seconds);
void cache_del(struct cache *c, const char *key, size_t klen);
/* Any command, for what the calls above do not cover (MGET, MSET, SET …
 * NX GET): the reply as strings in the arena — a string or status reply is
 * one, an array its elements (NULL for nil), an integer its decimal text,
 * nil one NULL. The number of strings, or -1 when Redis did not answer or
 * replied an error (nothing in *out). */
int cache_command(struct cache *c, struct arena *a, int argc, const char **argv, const size_t *lens,
		  char ***out, size_t **outlens);
/* 0 when Redis answers PING. */
int cache_ping(struct cache *c);

#endif
