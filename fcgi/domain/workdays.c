#include "workdays.h"

#include <stdlib.h>

/* Howard Hinnant's days_from_civil / civil_from_days */
long ymd_to_days(int ymd)
{
	long y = ymd / 10000, m = ymd / 100 % 100, d = ymd % 100;
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int days_to_ymd(long z)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long y = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1;
	long m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	return (int)(y * 10000 + m * 100 + d);
}

int ymd_valid(int ymd)
{
	return ymd >= 19000101 && ymd <= 29991231 && days_to_ymd(ymd_to_days(ymd)) == ymd;
}

int iso_date_parse(const char *s, int *ymd)
{
	if (s == NULL)
		return -1;
	int v = 0;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return -1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (s[10] != '\0' || !ymd_valid(v))
		return -1;
	*ymd = v;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int in(const int *v, size_t n, int ymd)
{
	return n && bsearch(&ymd, v, n, sizeof(int), cmp) != NULL;
}

int workday_is(const struct calendar *c, int ymd)
{
	long wd = (ymd_to_days(ymd) + 4) % 7; /* 1970-01-01 was a Thursday: 0 = Sunday */
	if (wd < 0)
		wd += 7;
	int weekend = wd == 0 || wd == 6;
	if (weekend)
		return in(c->makeup, c->nmakeup, ymd);
	return !in(c->holidays, c->nholidays, ymd);
}

int workdays_add(const struct calendar *c, int start, int n)
{
	long d = ymd_to_days(start);
	while (n > 0) {
		d++;
		if (workday_is(c, days_to_ymd(d)))
			n--;
	}
	return days_to_ymd(d);
}

int workdays_between(const struct calendar *c, int start, int end)
{
	int n = 0;
	for (long d = ymd_to_days(start) + 1, e = ymd_to_days(end); d <= e; d++)
		n += workday_is(c, days_to_ymd(d));
	return n;
}
