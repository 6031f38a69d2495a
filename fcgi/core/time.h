/* Clocks and the API's time format. Wall-clock "now" for a request is
 * req_now_us (req.h: the tests can set it); this is the rest. */
#ifndef TB_TIME_H
#define TB_TIME_H
#include <stdint.h>

#include "arena.h"

/* Monotonic microseconds, for durations and deadlines (never a date). */
int64_t time_mono_us(void);
/* RFC 3339 in China Standard Time, e.g. 2026-11-27T21:00:00+08:00, in the
 * arena; NULL when out of memory. */
char *time_rfc3339(struct arena *a, int64_t epoch_us);

#endif
