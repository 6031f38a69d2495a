#include "register.h"

#include <stdio.h>
#include <string.h>

#include "division.h"
#include "workdays.h"

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

char id_resident_check(const char *s)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char map[] = "10X98765432";
	int sum = 0;
	for (int i = 0; i < 17; i++)
		sum += (s[i] - '0') * w[i];
	return map[sum % 11];
}

/* YYYYMMDD at s (8 digits already checked) as an integer */
static int ymd8(const char *s)
{
	int v = 0;
	for (int i = 0; i < 8; i++)
		v = v * 10 + (s[i] - '0');
	return v;
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

static enum id_problem resident_check(const char *n, int today)
{
	if (strlen(n) != 18 || !digits(n, 17) || n[0] == '0' || !(digits(n + 17, 1) || n[17] == 'X'))
		return ID_FORM;
	int born = ymd8(n + 6);
	if (!ymd_valid(born))
		return ID_BIRTH_DATE;
	if (today && born > today)
		return ID_BIRTH_FUTURE;
	return id_resident_check(n) == n[17] ? ID_OK : ID_CHECK;
}

enum id_problem id_number_check(enum id_type t, const char *n, int today)
{
	if (n == NULL)
		return ID_FORM;
	int ok;
	switch (t) {
	case ID_RESIDENT:
		return resident_check(n, today);
	case ID_PASSPORT:
		ok = alnum_upper(n, 5, 20);
		break;
	case ID_HKMO:
		ok = (n[0] == 'H' || n[0] == 'M') && strlen(n) >= 9 && strlen(n) <= 11 && digits(n + 1, strlen(n) - 1);
		break;
	case ID_TW:
		ok = (strlen(n) == 8 && digits(n, 8)) || (strlen(n) == 10 && digits(n, 10));
		break;
	case ID_ORG:
		if (!alnum_upper(n, 18, 18))
			return ID_FORM;
		return uscc_valid(n) ? ID_OK : ID_CHECK;
	case ID_OTHER:
		ok = alnum_upper(n, 2, 32);
		break;
	default:
		return ID_FORM;
	}
	return ok ? ID_OK : ID_FORM;
}

const char *id_problem_text(enum id_type t, enum id_problem p)
{
	if (t != ID_RESIDENT)
		return p == ID_CHECK ? "is not a valid number for its ID type (check character)."
				     : "is not a valid number for its ID type.";
	switch (p) {
	case ID_OK: return "is valid.";
	case ID_FORM: return "is not a resident ID number: 17 digits and a digit or X.";
	case ID_BIRTH_DATE: return "is not a valid resident ID number: the birth date (digits 7-14) is not a real date.";
	case ID_BIRTH_FUTURE: return "is not a valid resident ID number: the birth date (digits 7-14) is in the future.";
	case ID_CHECK: return "is not a valid resident ID number (check digit).";
	}
	return "is not valid.";
}

int id_number_valid(enum id_type t, const char *n)
{
	return id_number_check(t, n, 0) == ID_OK;
}

void id_number_normalize(enum id_type t, char *n)
{
	size_t len = n ? strlen(n) : 0;
	if (t == ID_RESIDENT && len == 18 && n[17] == 'x')
		n[17] = 'X';
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

int registration_area_is_city(const char *county_name)
{
	size_t n = strlen(county_name), z = strlen("区");
	return n > z && strcmp(county_name + n - z, "区") == 0;
}

const char *registration_area(const char *county_name, const char *city_name)
{
	return registration_area_is_city(county_name) ? city_name : county_name;
}

enum term_problem term_check(const char *from, const char *to)
{
	int f, t;
	if (iso_date_parse(from, &f) != 0)
		return TERM_FROM;
	if (iso_date_parse(to, &t) != 0)
		return TERM_TO;
	return t > f ? TERM_OK : TERM_ORDER;
}
