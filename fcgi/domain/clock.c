#include "clock.h"

#include <stdio.h>

void beijing_tm(int64_t epoch_us, struct tm *out)
{
	int64_t s = epoch_us / 1000000;
	if (epoch_us % 1000000 < 0)
		s--;
	time_t t = (time_t)(s + BEIJING_OFFSET_S);
	gmtime_r(&t, out);
}

int beijing_ymd(int64_t epoch_us)
{
	struct tm tm;
	beijing_tm(epoch_us, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

int beijing_year(int64_t epoch_us)
{
	return beijing_ymd(epoch_us) / 10000;
}

int ymd_iso(int ymd, char *out, size_t outlen)
{
	if (ymd < 10000101 || ymd > 99991231 || outlen < 11)
		return -1;
	int n = snprintf(out, outlen, "%04d-%02d-%02d", ymd / 10000, ymd / 100 % 100, ymd % 100);
	return n == 10 ? 0 : -1;
}
