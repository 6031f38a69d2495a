/* A worker's in-memory copies of registry search answers (search.c): the
 * same key as the Redis cache (the hash of the normalised condition, as_at,
 * cursor, limit and the caller's scope set), bounded in entries and bytes,
 * least recently used out first. A copy is dropped when Redis reports a
 * change of its condition's version key (track.h), and all of them when
 * the tracking connection is lost or set up again. */
#ifndef TB_QUERY_ANSWERS_H
#define TB_QUERY_ANSWERS_H
#include <stddef.h>
#include <stdint.h>

#define ANSWERS_MAX 1024		/* entries per worker */
#define ANSWERS_MAX_BYTES (8u << 20) /* their keys and bodies */

struct answer {
	int64_t gen, count; /* reg.search_generation it was built under; units */
	const char *tail;   /* the answer after "as_at" */
	size_t tlen;
};

/* The invalidation callback for track_init: key NULL drops everything. */
void answers_invalidated(void *arg, const char *vkey, size_t len);
/* The number of invalidations seen so far: take it before reading what a
 * copy would hold, and pass it to answers_put. */
uint64_t answers_mark(void);
/* 1 and *a (valid until the next call of any of these) when held and not
 * older than ttl_us, 0 otherwise. */
int answers_get(const unsigned char key[32], int64_t ttl_us, struct answer *a);
/* A copy, unless vkey (or everything) was invalidated since mark: the
 * answer might be older than that change. */
void answers_put(const unsigned char key[32], uint64_t mark, const char *vkey, int64_t gen, int64_t count,
		 const char *tail, size_t tlen);
void answers_drop(const unsigned char key[32]);
void answers_clear(void);
size_t answers_count(void);

#endif
