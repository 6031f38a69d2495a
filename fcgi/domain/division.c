#include "division.h"

#include <string.h>

static int six_digits(const char *c)
{
	if (c == NULL || strlen(c) != 6)
		return 0;
	for (int i = 0; i < 6; i++)
		if (c[i] < '0' || c[i] > '9')
			return 0;
	return 1;
}

enum division_level division_level_of(const char *code)
{
	if (!six_digits(code) || strncmp(code, "45", 2) != 0)
		return DIV_INVALID;
	if (strcmp(code + 2, "0000") == 0)
		return DIV_REGION;
	if (strcmp(code + 2, "00") == 0 || strncmp(code + 2, "00", 2) == 0)
		return DIV_INVALID;
	if (strcmp(code + 4, "00") == 0)
		return DIV_CITY;
	return DIV_COUNTY;
}

int division_covers(const char *scope, const char *division)
{
	enum division_level s = division_level_of(scope), d = division_level_of(division);
	if (s == DIV_INVALID || d == DIV_INVALID)
		return 0;
	switch (s) {
	case DIV_REGION:
		return 1;
	case DIV_CITY:
		return strncmp(scope, division, 4) == 0;
	case DIV_COUNTY:
		return strcmp(scope, division) == 0;
	default:
		return 0;
	}
}
