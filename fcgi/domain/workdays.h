/* Working days: weekends off, plus a calendar of holidays and make-up
 * working days (调休) given as sorted YYYYMMDD integers. */
#ifndef TB_WORKDAYS_H
#define TB_WORKDAYS_H
#include <stddef.h>

struct calendar {
	const int *holidays;	/* days off that would be working days */
	size_t nholidays;
	const int *makeup;	/* weekend days that are working days */
	size_t nmakeup;
};

int ymd_valid(int ymd);
/* A real calendar date written exactly YYYY-MM-DD (years 1900-2999) into
 * *ymd: 0, or -1 (2026-13-01, 2036-02-30, 2026-1-01 and the like). */
int iso_date_parse(const char *s, int *ymd);
/* Day number (days since 1970-01-01) and back. */
long ymd_to_days(int ymd);
int days_to_ymd(long days);
int workday_is(const struct calendar *c, int ymd);
/* The date that is n working days after start (start itself not counted). */
int workdays_add(const struct calendar *c, int start, int n);
/* Working days after start up to and including end (0 when end <= start). */
int workdays_between(const struct calendar *c, int start, int end);

#endif
