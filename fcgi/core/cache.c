#include "cache.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "time.h"

void cache_init(struct cache *c, const char *where, int timeout_ms, struct met_slot *m)
{
	memset(c, 0, sizeof(*c));
	c->where = where;
	c->timeout_ms = timeout_ms;
	c->m = m;
}

void cache_close(struct cache *c)
{
	if (c->c)
		redisFree(c->c);
	c->c = NULL;
}

static void failed(struct cache *c, const char *what)
{
	if (c->c)
		log_warn("redis %s failed: %s", what, c->c->errstr[0] ? c->c->errstr : "error reply");
	cache_close(c);
	c->retry_at_us = time_mono_us() + 1000000;
	if (c->m)
		MET_INC(c->m->cache_errors);
}

static int ensure(struct cache *c)
{
	if (c->c)
		return 0;
	if (c->where == NULL || time_mono_us() < c->retry_at_us)
		return -1;
	struct timeval tv = { c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000 };
	const char *colon = strrchr(c->where, ':');
	if (c->where[0] == '/' || colon == NULL) {
		c->c = redisConnectUnixWithTimeout(c->where, tv);
	} else {
		char host[256];
		size_t hl = (size_t)(colon - c->where);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, c->where, hl);
		host[hl] = '\0';
		c->c = redisConnectWithTimeout(host, atoi(colon + 1), tv);
	}
	if (c->c == NULL || c->c->err) {
		failed(c, "connect");
		return -1;
	}
	if (redisSetTimeout(c->c, tv) != REDIS_OK) {
		failed(c, "set timeout");
		return -1;
	}
	return 0;
}

/* A kept connection Redis closed since its last use (a restart, a
 * failover): the write breaks or the read finds the end. Not a timeout
 * (EAGAIN): a slow Redis is not asked twice. */
static int stale(const struct redisContext *rc, int err)
{
	return rc->err == REDIS_ERR_EOF ||
	       (rc->err == REDIS_ERR_IO && (err == EPIPE || err == ECONNRESET || err == ENOTCONN));
}

static redisReply *command(struct cache *c, int argc, const char **argv, const size_t *lens)
{
	int kept = c->c != NULL;
	if (ensure(c) != 0)
		return NULL;
	errno = 0;
	redisReply *rep = redisCommandArgv(c->c, argc, argv, lens);
	if (rep == NULL && kept && stale(c->c, errno)) {
		/* the command never reached a live server: once more on a new
		 * connection, so a Redis restart costs no request a miss (every
		 * command sent here may be repeated: GET, SET, MGET, DEL …) */
		log_info("redis connection closed by the server (%s); reconnecting", c->c->errstr);
		cache_close(c);
		c->retry_at_us = 0;
		if (ensure(c) != 0)
			return NULL;
		rep = redisCommandArgv(c->c, argc, argv, lens);
	}
	if (rep == NULL) {
		failed(c, "command");
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		log_warn("redis error reply: %.*s", (int)rep->len, rep->str);
		if (c->m)
			MET_INC(c->m->cache_errors);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

int cache_get(struct cache *c, struct arena *a, const char *key, size_t klen, char **val,
	      size_t *vlen)
{
	const char *argv[] = { "GET", key };
	size_t lens[] = { 3, klen };
	redisReply *rep = command(c, 2, argv, lens);
	int hit = 0;
	if (rep && rep->type == REDIS_REPLY_STRING) {
		*val = arena_strndup(a, rep->str, rep->len);
		*vlen = rep->len;
		hit = *val != NULL;
	}
	if (rep)
		freeReplyObject(rep);
	if (c->m) {
		if (hit)
			MET_INC(c->m->cache_hits);
		else
			MET_INC(c->m->cache_misses);
	}
	return hit;
}

void cache_set(struct cache *c, const char *key, size_t klen, const void *val, size_t vlen,
	       int ttl_seconds)
{
	char ttl[16];
	int tl = snprintf(ttl, sizeof(ttl), "%d", ttl_seconds);
	const char *argv[] = { "SET", key, val, "EX", ttl };
	size_t lens[] = { 3, klen, vlen, 2, (size_t)tl };
	redisReply *rep = command(c, 5, argv, lens);
	if (rep)
		freeReplyObject(rep);
}

void cache_del(struct cache *c, const char *key, size_t klen)
{
	const char *argv[] = { "DEL", key };
	size_t lens[] = { 3, klen };
	redisReply *rep = command(c, 2, argv, lens);
	if (rep)
		freeReplyObject(rep);
}

static char *reply_str(struct arena *a, const redisReply *e, size_t *len)
{
	char num[24];
	switch (e->type) {
	case REDIS_REPLY_STRING:
	case REDIS_REPLY_STATUS:
		*len = e->len;
		return arena_strndup(a, e->str, e->len);
	case REDIS_REPLY_INTEGER:
		*len = (size_t)snprintf(num, sizeof(num), "%lld", e->integer);
		return arena_strndup(a, num, *len);
	default:
		*len = 0;
		return NULL;
	}
}

int cache_command(struct cache *c, struct arena *a, int argc, const char **argv, const size_t *lens,
		  char ***out, size_t **outlens)
{
	redisReply *rep = command(c, argc, argv, lens);
	if (rep == NULL)
		return -1;
	size_t n = rep->type == REDIS_REPLY_ARRAY ? rep->elements : 1;
	char **v = arena_alloc(a, (n ? n : 1) * sizeof(*v));
	size_t *l = arena_alloc(a, (n ? n : 1) * sizeof(*l));
	int rc = v && l ? (int)n : -1;
	for (size_t i = 0; rc >= 0 && i < n; i++) {
		const redisReply *e = rep->type == REDIS_REPLY_ARRAY ? rep->element[i] : rep;
		v[i] = reply_str(a, e, &l[i]);
		/* out of memory for a value that is there: fail rather than read it as nil */
		if (v[i] == NULL && e->type != REDIS_REPLY_NIL)
			rc = -1;
	}
	freeReplyObject(rep);
	if (rc < 0)
		return -1;
	*out = v;
	*outlens = l;
	return rc;
}

int cache_ping(struct cache *c)
{
	const char *argv[] = { "PING" };
	size_t lens[] = { 4 };
	/* readiness reports Redis as it is now: no back-off, and a connection
	 * that died since its last use is retried once */
	for (int attempt = 0; attempt < 2; attempt++) {
		c->retry_at_us = 0;
		redisReply *rep = command(c, 1, argv, lens);
		int ok = rep && rep->type == REDIS_REPLY_STATUS;
		if (rep)
			freeReplyObject(rep);
		if (ok)
			return 0;
	}
	return -1;
}
