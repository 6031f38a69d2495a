/* One worker process's long-lived state: the only place for it (database,
 * cache, buffers, the service's own state). Core files that need the worker
 * include this, not server.h (the service interface). */
#ifndef TB_WORKER_H
#define TB_WORKER_H
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "db.h"
#include "metrics.h"
#include "req.h"

struct service;

/* State shared by all processes of one service's pool (anonymous shared
 * mapping made before fork). */
struct shared_state {
	uint64_t auth_generation; /* bumped on every session revocation */
	uint64_t data_generation; /* bumped on every change that micro.c caches */
};

struct worker {
	const struct service *svc;
	struct conf conf;
	int slot;
	struct met_slot *mslot;
	const struct metrics *metrics;
	const struct route *routes;	/* service routes followed by the core's */
	size_t nroutes;
	const char *const *route_names;
	struct db db;
	struct cache cache;
	struct arena arena;
	struct buf out;
	unsigned char scratch[65536];	/* socket reads */
	void *app;			/* the service's own worker state (free()d at exit) */
	void *auth_cache;		/* auth.c: sessions seen in the last second */
	void *micro;			/* micro.c: answers of the last second */
	void *pay;			/* payorder.c: the payment provider's adapter (struct paygw) */
	struct shared_state *shared;
};

#endif
