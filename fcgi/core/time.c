#include "time.h"

#include <string.h>
#include <time.h>

int64_t time_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *time_rfc3339(struct arena *a, int64_t epoch_us)
{
	time_t t = (time_t)(epoch_us / 1000000) + 8 * 3600;
	struct tm tm;
	char buf[40];
	gmtime_r(&t, &tm);
	if (strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S+08:00", &tm) == 0)
		return NULL;
	return arena_strndup(a, buf, strlen(buf));
}
