#include "metrics.h"

#include <sys/mman.h>

static const int statuses[MET_NSTATUS] = { 200, 201, 202, 204, 304, 400, 401, 403, 404, 405,
					    409, 410, 412, 413, 415, 422, 429, 500, 503, 0 };
static const double buckets_ms[MET_NBUCKETS] = { 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500 };

int metrics_init(struct metrics *m, size_t nroutes, size_t nslots)
{
	m->nroutes = nroutes;
	m->nslots = nslots;
	m->slot_size = sizeof(struct met_slot) + (nroutes + 1) * sizeof(struct met_route);
	m->slot_size = (m->slot_size + 63) & ~(size_t)63; /* no false sharing */
	void *p = mmap(NULL, m->slot_size * nslots, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	m->base = p;
	return 0;
}

struct met_slot *metrics_slot(const struct metrics *m, size_t i)
{
	return (struct met_slot *)(void *)(m->base + i * m->slot_size);
}

void metrics_request(struct met_slot *s, size_t nroutes, int route, int status, uint64_t us)
{
	struct met_route *r = &s->routes[route < 0 ? nroutes : (size_t)route];
	size_t si = MET_NSTATUS - 1;
	for (size_t i = 0; i < MET_NSTATUS - 1; i++)
		if (statuses[i] == status) {
			si = i;
			break;
		}
	MET_INC(r->by_status[si]);
	size_t b = MET_NBUCKETS;
	for (size_t i = 0; i < MET_NBUCKETS; i++)
		if ((double)us <= buckets_ms[i] * 1000.0) {
			b = i;
			break;
		}
	MET_INC(r->hist[b]);
	__atomic_add_fetch(&r->sum_us, us, __ATOMIC_RELAXED);
}

static uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

int metrics_render(const struct metrics *m, const char *svc, const char *const *names, struct buf *o)
{
	int rc = 0;
	uint64_t dbe = 0, ce = 0, ch = 0, cm = 0, ws = 0;
	for (size_t s = 0; s < m->nslots; s++) {
		const struct met_slot *sl = metrics_slot(m, s);
		dbe += load(&sl->db_errors);
		ce += load(&sl->cache_errors);
		ch += load(&sl->cache_hits);
		cm += load(&sl->cache_misses);
		ws += load(&sl->worker_starts);
	}
	rc |= buf_printf(o, "# HELP tongban_requests_total Requests served, by route and status.\n"
			    "# TYPE tongban_requests_total counter\n");
	for (size_t r = 0; r <= m->nroutes; r++) {
		const char *name = r < m->nroutes ? names[r] : "unmatched";
		for (size_t i = 0; i < MET_NSTATUS; i++) {
			uint64_t n = 0;
			for (size_t s = 0; s < m->nslots; s++)
				n += load(&metrics_slot(m, s)->routes[r].by_status[i]);
			if (n == 0)
				continue;
			if (statuses[i])
				rc |= buf_printf(o, "tongban_requests_total{service=\"%s\",route=\"%s\",status=\"%d\"} %llu\n",
						 svc, name, statuses[i], (unsigned long long)n);
			else
				rc |= buf_printf(o, "tongban_requests_total{service=\"%s\",route=\"%s\",status=\"other\"} %llu\n",
						 svc, name, (unsigned long long)n);
		}
	}
	rc |= buf_printf(o, "# HELP tongban_request_duration_seconds Time from request complete to response framed.\n"
			    "# TYPE tongban_request_duration_seconds histogram\n");
	for (size_t r = 0; r <= m->nroutes; r++) {
		const char *name = r < m->nroutes ? names[r] : "unmatched";
		uint64_t cum = 0, sum = 0, h[MET_NBUCKETS + 1] = { 0 };
		for (size_t s = 0; s < m->nslots; s++) {
			const struct met_route *mr = &metrics_slot(m, s)->routes[r];
			for (size_t b = 0; b <= MET_NBUCKETS; b++)
				h[b] += load(&mr->hist[b]);
			sum += load(&mr->sum_us);
		}
		uint64_t total = 0;
		for (size_t b = 0; b <= MET_NBUCKETS; b++)
			total += h[b];
		if (total == 0)
			continue;
		for (size_t b = 0; b <= MET_NBUCKETS; b++) {
			cum += h[b];
			if (b < MET_NBUCKETS)
				rc |= buf_printf(o, "tongban_request_duration_seconds_bucket{service=\"%s\",route=\"%s\",le=\"%g\"} %llu\n",
						 svc, name, buckets_ms[b] / 1000.0, (unsigned long long)cum);
			else
				rc |= buf_printf(o, "tongban_request_duration_seconds_bucket{service=\"%s\",route=\"%s\",le=\"+Inf\"} %llu\n",
						 svc, name, (unsigned long long)cum);
		}
		rc |= buf_printf(o, "tongban_request_duration_seconds_sum{service=\"%s\",route=\"%s\"} %.6f\n",
				 svc, name, (double)sum / 1e6);
		rc |= buf_printf(o, "tongban_request_duration_seconds_count{service=\"%s\",route=\"%s\"} %llu\n",
				 svc, name, (unsigned long long)total);
	}
	rc |= buf_printf(o,
			 "# TYPE tongban_db_errors_total counter\ntongban_db_errors_total{service=\"%s\"} %llu\n"
			 "# TYPE tongban_cache_errors_total counter\ntongban_cache_errors_total{service=\"%s\"} %llu\n"
			 "# TYPE tongban_cache_hits_total counter\ntongban_cache_hits_total{service=\"%s\"} %llu\n"
			 "# TYPE tongban_cache_misses_total counter\ntongban_cache_misses_total{service=\"%s\"} %llu\n"
			 "# TYPE tongban_cache_hit_ratio gauge\ntongban_cache_hit_ratio{service=\"%s\"} %.4f\n"
			 "# TYPE tongban_worker_starts_total counter\ntongban_worker_starts_total{service=\"%s\"} %llu\n",
			 svc, (unsigned long long)dbe, svc, (unsigned long long)ce, svc,
			 (unsigned long long)ch, svc, (unsigned long long)cm, svc,
			 ch + cm ? (double)ch / (double)(ch + cm) : 0.0, svc, (unsigned long long)ws);
	return rc ? -1 : 0;
}
