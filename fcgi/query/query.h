/* The query service: the registry base, archive queries (later issues). */
#ifndef TB_QUERY_H
#define TB_QUERY_H
#include "../core/audit.h"
#include "../core/auth.h"
#include "../core/db.h"
#include "../core/server.h"

void h_unit_card(struct req *r);
void h_registry_search(struct req *r);
/* Write the audit rows a worker gathered (search.c), as it stops. */
void search_worker_exit(struct worker *w);
/* The worker loop's idle call: writes gathered audit rows when due. */
int search_worker_idle(struct worker *w, int idle);

#endif
