/* The clock of the registry: Beijing time (UTC+8, no daylight saving).
 * Days, years and due dates are Beijing days; timestamps are epoch
 * microseconds. Pure functions: the caller passes "now". */
#ifndef TB_CLOCK_H
#define TB_CLOCK_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* China Standard Time is UTC+8 all year. */
#define BEIJING_OFFSET_S (8 * 3600)

/* The broken-down Beijing wall time of epoch microseconds (floor, so
 * instants before 1970 fall on the right second). */
void beijing_tm(int64_t epoch_us, struct tm *out);
/* The Beijing day as YYYYMMDD, e.g. 20260101 from 2025-12-31T16:00:00Z. */
int beijing_ymd(int64_t epoch_us);
/* The Beijing calendar year (what certificate and case numbers carry). */
int beijing_year(int64_t epoch_us);
/* YYYYMMDD as "YYYY-MM-DD" into out (at least 11 bytes): 0, or -1 when
 * out is too small or ymd is out of range. */
int ymd_iso(int ymd, char *out, size_t outlen);

#endif
