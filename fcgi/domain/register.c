#include "register.h"

#include <stdio.h>
#include <string.h>

#include "division.h"

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

enum unit_problem unit_code_check(const char *c)
{
	if (c == NULL || strlen(c) != 28)
		return UNIT_LENGTH;
	char county[7];
	memcpy(county, c, 6);
	county[6] = '\0';
	if (division_level_of(county) != DIV_COUNTY)
		return UNIT_COUNTY;
	if (!digits(c + 6, 6))
		return UNIT_ZONE;
	if (!(c[12] == 'G' || c[12] == 'J' || c[12] == 'Z') || !upper(c[13]))
		return UNIT_FEATURE;
	if (!digits(c + 14, 5))
		return UNIT_PARCEL;
	char f = c[19];
	if (f != 'F' && f != 'L' && f != 'Q' && f != 'W')
		return UNIT_FIXTURE;
	if (!digits(c + 20, 8) || (f == 'W' && strcmp(c + 20, "00000000") != 0))
		return UNIT_FIXTURE_NUMBER;
	return UNIT_OK;
}

const char *unit_problem_text(enum unit_problem p)
{
	switch (p) {
	case UNIT_OK: return "valid";
	case UNIT_LENGTH: return "A unit code has 28 characters.";
	case UNIT_COUNTY: return "The first six digits must be a county-level division code of Guangxi.";
	case UNIT_ZONE: return "Characters 7-12 (cadastral zone and subzone) must be digits.";
	case UNIT_FEATURE: return "Characters 13-14 must be the parcel feature code (G, J or Z, then a capital letter).";
	case UNIT_PARCEL: return "Characters 15-19 (parcel number) must be digits.";
	case UNIT_FIXTURE: return "Character 20 must be the fixture code F, L, Q or W.";
	case UNIT_FIXTURE_NUMBER: return "Characters 21-28 must be digits, all zero when the fixture code is W.";
	}
	return "invalid";
}

void unit_code_county(const char *code, char out[7])
{
	memcpy(out, code, 6);
	out[6] = '\0';
}

static const struct {
	const char *code;
	enum id_type t;
	const char *name;
} id_types[] = {
	{ "resident_id", ID_RESIDENT, "居民身份证" },
	{ "passport", ID_PASSPORT, "护照" },
	{ "hk_macao_permit", ID_HKMO, "港澳居民来往内地通行证" },
	{ "taiwan_permit", ID_TW, "台湾居民来往大陆通行证" },
	{ "uscc", ID_ORG, "统一社会信用代码" },
	{ "other", ID_OTHER, "其他证件" },
};

enum id_type id_type_parse(const char *s)
{
	for (size_t i = 0; s && i < sizeof(id_types) / sizeof(id_types[0]); i++)
		if (strcmp(s, id_types[i].code) == 0)
			return id_types[i].t;
	return ID_INVALID_TYPE;
}

const char *id_type_name(enum id_type t)
{
	for (size_t i = 0; i < sizeof(id_types) / sizeof(id_types[0]); i++)
		if (id_types[i].t == t)
			return id_types[i].code;
	return NULL;
}

char id_resident_check(const char *s)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char map[] = "10X98765432";
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (s[i] - '0') * w[i];
	return map[sum % 11];
}

static int valid_date(const char *s)
{
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[4] - '0') * 10 + (s[5] - '0'), d = (s[6] - '0') * 10 + (s[7] - '0');
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

static int alnum_upper(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);
	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || upper(s[i])))
			return 0;
	return 1;
}

static int uscc_valid(const char *s)
{
	static const char cs[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
	static const int w[17] = { 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28 };
	if (strlen(s) != 18)
		return 0;
	int sum = 0;
	for (int i = 0; i < 18; i++) {
		const char *p = s[i] ? strchr(cs, s[i]) : NULL;
		if (p == NULL)
			return 0;
		if (i < 17)
			sum += (int)(p - cs) * w[i];
		else
			return (31 - sum % 31) % 31 == (int)(p - cs);
	}
	return 0;
}

int id_number_valid(enum id_type t, const char *n)
{
	if (n == NULL)
		return 0;
	switch (t) {
	case ID_RESIDENT:
		return strlen(n) == 18 && digits(n, 17) && n[0] != '0' && valid_date(n + 6) &&
		       id_resident_check(n) == n[17];
	case ID_PASSPORT:
		return alnum_upper(n, 5, 20);
	case ID_HKMO:
		return (n[0] == 'H' || n[0] == 'M') && strlen(n) >= 9 && strlen(n) <= 11 && digits(n + 1, strlen(n) - 1);
	case ID_TW:
		return (strlen(n) == 8 && digits(n, 8)) || (strlen(n) == 10 && digits(n, 10));
	case ID_ORG:
		return uscc_valid(n);
	case ID_OTHER:
		return alnum_upper(n, 2, 32);
	default:
		return 0;
	}
}

void id_mask(const char *n, char *out, size_t outlen)
{
	size_t len = strlen(n);
	if (outlen == 0)
		return;
	if (len + 1 > outlen)
		len = outlen - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = (i < 3 || i + 4 >= len) && len > 7 ? n[i] : '*';
	out[len] = '\0';
}

static const char *kind_text(enum cert_kind k)
{
	return k == CERT_RIGHT ? "不动产权" : "不动产证明";
}

int cert_number_format(char *out, size_t outlen, int year, const char *area, enum cert_kind kind,
		       long serial)
{
	if (year < 1990 || year > 2999 || serial < 1 || serial > 9999999 || area == NULL || !area[0] ||
	    strlen(area) > 64)
		return -1;
	int n = snprintf(out, outlen, "桂(%d)%s%s第%07ld号", year, area, kind_text(kind), serial);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* "(" or "（" at *p: advance and return 1 */
static int bracket(const char **p, const char *half, const char *full)
{
	if (strncmp(*p, half, strlen(half)) == 0) {
		*p += strlen(half);
		return 1;
	}
	if (strncmp(*p, full, strlen(full)) == 0) {
		*p += strlen(full);
		return 1;
	}
	return 0;
}

int cert_number_parse(const char *in, int *year, char *area, size_t areasz, enum cert_kind *kind,
		      long *serial)
{
	const char *p = in;
	if (in == NULL || strncmp(p, "桂", strlen("桂")) != 0)
		return -1;
	p += strlen("桂");
	if (!bracket(&p, "(", "（") || !digits(p, 4))
		return -1;
	*year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0');
	p += 4;
	if (!bracket(&p, ")", "）"))
		return -1;
	const char *k = strstr(p, "不动产权第"), *kp = strstr(p, "不动产证明第");
	const char *mark = k && (!kp || k < kp) ? k : kp;
	if (mark == NULL || mark == p)
		return -1;
	*kind = mark == k ? CERT_RIGHT : CERT_PROOF;
	size_t alen = (size_t)(mark - p);
	if (alen >= areasz)
		return -1;
	memcpy(area, p, alen);
	area[alen] = '\0';
	p = mark + strlen(*kind == CERT_RIGHT ? "不动产权第" : "不动产证明第");
	if (!digits(p, 7) || strcmp(p + 7, "号") != 0)
		return -1;
	long s = 0;
	for (int i = 0; i < 7; i++)
		s = s * 10 + (p[i] - '0');
	if (s < 1 || *year < 1990)
		return -1;
	*serial = s;
	return 0;
}

const char *registration_area(const char *county_name, const char *city_name)
{
	size_t n = strlen(county_name), z = strlen("区");
	if (n > z && strcmp(county_name + n - z, "区") == 0)
		return city_name;
	return county_name;
}
