/* A service program: its routes and start-up hook, run by the prefork
 * supervisor. Each worker process has one struct worker: the only place for
 * long-lived state (database, cache, buffers). */
#ifndef TB_SERVER_H
#define TB_SERVER_H
#include "arena.h"
#include "buf.h"
#include "cache.h"
#include "conf.h"
#include "db.h"
#include "metrics.h"
#include "req.h"

struct service {
	const char *name;
	const struct route *routes;
	size_t nroutes;
	/* called in each worker after fork; non-zero aborts the worker */
	int (*worker_init)(struct worker *w);
	/* does a grant's scope cover an object's division? (the domain's rule) */
	int (*scope_covers)(const char *scope, const char *division);
	/* optional: a supervised background process calls this in a loop; it
	 * returns the milliseconds to sleep before the next call */
	int (*background)(struct worker *w);
};

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
	struct shared_state *shared;
};

/* Run the service: parse the environment, bind TB_SOCKET, fork the pool,
 * supervise it. Returns the process exit status. */
int server_main(const struct service *svc);

/* Serve one decoded request (used by the worker loop and by tests). */
void server_dispatch(struct worker *w, struct req *r);

#endif
