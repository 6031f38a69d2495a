/* Redis client-side caching for a worker's in-memory copies: a connection
 * of its own that asks Redis to report every change of keys under a prefix
 * (CLIENT TRACKING ... REDIRECT <itself> BCAST PREFIX p, RESP2 pub/sub on
 * __redis__:invalidate: hiredis 0.14 reads no RESP3), so copies validated
 * by such keys need no round trip per use.
 *
 * What track_sync() guarantees, on a unix socket: every change of a tracked
 * key that Redis made before a writer's next completed round trip on any
 * connection (regcache_bump's barrier) has been handed to on_key when
 * track_sync returns 1. Redis sends the invalidations of a command in the
 * same pass that sends that command's reply, before it reads the writer's
 * next command; data written to a unix socket is readable at once. So a
 * non-blocking read finds them — unless Redis could not write everything
 * (our socket buffer full, or its 64 KiB per pass): then that read found
 * data, and any read that finds data is followed by a PING on this
 * connection and waits for its answer, which comes after everything Redis
 * held for us. A read that finds nothing proves nothing is held back.
 *
 * Over TCP the data may still be on its way: tracking is off (track_sync
 * returns 0) unless TB_REDIS is a unix socket. Connection lost, a reply not
 * understood, Redis flushed, restarted or dropped us: on_key(NULL) — every
 * copy goes — and track_sync returns 0 until a new connection is tracking
 * (tried at most once a second). */
#ifndef TB_TRACK_H
#define TB_TRACK_H
#include <stddef.h>
#include <stdint.h>

struct redisContext;
struct track {
	struct redisContext *c;
	const char *where;  /* unix socket path (NULL: off) */
	const char *prefix; /* of the tracked keys */
	int timeout_ms;
	int64_t retry_at_us;
	/* a tracked key changed (NULL, 0: possibly any of them) */
	void (*on_key)(void *arg, const char *key, size_t len);
	void *arg;
	uint64_t barriers; /* PING round trips made (tests, metrics) */
};

/* where: TB_REDIS (a path starting with '/' enables tracking). */
void track_init(struct track *t, const char *where, const char *prefix, int timeout_ms,
		void (*on_key)(void *arg, const char *key, size_t len), void *arg);
/* 1: tracking, and every invalidation due (above) delivered; 0: not
 * tracking (copies must not be used or made). */
int track_sync(struct track *t);
void track_close(struct track *t);

#endif
