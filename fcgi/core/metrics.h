/* Counters shared by all workers of a service: one slot per worker in a
 * shared anonymous mapping made before fork; each worker writes only its own
 * slot, /metrics sums them. Survives worker restarts (slots are reused). */
#ifndef TB_METRICS_H
#define TB_METRICS_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define MET_NSTATUS 20
#define MET_NBUCKETS 12

struct met_route {
	uint64_t by_status[MET_NSTATUS];
	uint64_t hist[MET_NBUCKETS + 1]; /* last is +Inf */
	uint64_t sum_us;
};

struct met_slot {
	uint64_t db_errors, cache_errors, cache_hits, cache_misses, worker_starts;
	struct met_route routes[]; /* nroutes + 1 (unmatched) */
};

struct metrics {
	size_t nroutes, nslots, slot_size;
	unsigned char *base;
};

int metrics_init(struct metrics *m, size_t nroutes, size_t nslots);
struct met_slot *metrics_slot(const struct metrics *m, size_t i);
/* route -1 means unmatched */
void metrics_request(struct met_slot *s, size_t nroutes, int route, int status, uint64_t us);
/* Prometheus text exposition; route_names[i] labels route i. */
int metrics_render(const struct metrics *m, const char *service, const char *const *route_names,
		   struct buf *out);

#define MET_INC(field) __atomic_add_fetch(&(field), 1, __ATOMIC_RELAXED)

#endif
