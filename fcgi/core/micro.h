/* A per-worker micro-cache: answers kept in memory for at most a second.
 * Any change in the same pool bumps a shared generation that empties every
 * worker's table at once (micro_invalidate); other pools and hosts see a
 * change within MICRO_TTL_US. For read-mostly objects that are polled. */
#ifndef TB_MICRO_H
#define TB_MICRO_H
#include <stddef.h>

struct worker;
struct arena;

#define MICRO_TTL_US 1000000

/* A copy of the value in the arena (NUL-terminated), or NULL on a miss. */
char *micro_get(struct worker *w, struct arena *a, const char *key, size_t *len);
void micro_put(struct worker *w, const char *key, const void *val, size_t len);
void micro_invalidate(struct worker *w);
void micro_free(struct worker *w);

#endif
