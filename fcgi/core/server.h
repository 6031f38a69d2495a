/* A service program: its routes and start-up hook, run by the prefork
 * supervisor. Each worker process has one struct worker (worker.h). */
#ifndef TB_SERVER_H
#define TB_SERVER_H
#include "resp.h"
#include "worker.h"

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
	/* optional: called in each worker as it stops, before the database
	 * connection closes (e.g. to write what it gathered) */
	void (*worker_exit)(struct worker *w);
	/* optional: called in each request worker after every turn of its
	 * loop (idle 1: the wait for requests ran out); returns the
	 * milliseconds within which it wants the next call, -1 for none
	 * (the loop waits at most a second anyway) */
	int (*worker_idle)(struct worker *w, int idle);
};

/* Run the service: parse the environment, bind TB_SOCKET, fork the pool,
 * supervise it. Returns the process exit status. */
int server_main(const struct service *svc);

/* Serve one decoded request (used by the worker loop and by tests). */
void server_dispatch(struct worker *w, struct req *r);

#endif
