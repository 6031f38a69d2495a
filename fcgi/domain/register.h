/* Registration identifiers as pure functions: property unit codes (GB/T
 * 37346), identity document numbers, certificate numbers, and the
 * registration area named in them. No I/O: the database says whether a
 * well-formed code exists. */
#ifndef TB_REGISTER_H
#define TB_REGISTER_H
#include <stddef.h>

/* ---- property unit code (不动产单元代码), 28 characters --------------------
 * 6 county code, 3 cadastral zone, 3 subzone, 2 parcel feature letters
 * (first G state / J collective / Z disputed ownership), 5 parcel number,
 * 1 fixture code (F house, L forest, Q other, W none), 8 fixture unit
 * number (all zero when W). */
enum unit_problem {
	UNIT_OK,
	UNIT_LENGTH,
	UNIT_COUNTY,		/* not a county-level code of Guangxi in form */
	UNIT_ZONE,		/* zone or subzone not digits */
	UNIT_FEATURE,		/* parcel feature code letters */
	UNIT_PARCEL,		/* parcel number not digits */
	UNIT_FIXTURE,		/* fixture code not F/L/Q/W */
	UNIT_FIXTURE_NUMBER,	/* not digits, or not zero with W */
};
enum unit_problem unit_code_check(const char *code);
const char *unit_problem_text(enum unit_problem p);
/* The county code (first six characters) of a valid unit code, into out[7]. */
void unit_code_county(const char *code, char out[7]);

/* ---- identity documents -------------------------------------------------- */
enum id_type {
	ID_RESIDENT,		/* 居民身份证, 18 characters, ISO 7064 MOD 11-2 */
	ID_PASSPORT,		/* 护照 */
	ID_HKMO,		/* 港澳居民来往内地通行证 */
	ID_TW,			/* 台湾居民来往大陆通行证 */
	ID_ORG,			/* 统一社会信用代码, GB 32100 */
	ID_OTHER,
	ID_INVALID_TYPE,
};
enum id_type id_type_parse(const char *s);
/* What is wrong with a number for its type, most basic first. */
enum id_problem {
	ID_OK,
	ID_FORM,		/* length or characters */
	ID_BIRTH_DATE,		/* a resident ID whose birth date is no real date */
	ID_BIRTH_FUTURE,	/* a resident ID born after today */
	ID_CHECK,		/* the check character does not match */
};
/* today is the day (YYYYMMDD, Beijing time) no birth date may come after;
 * 0 skips that check. Give the number in canonical form (id_number_normalize). */
enum id_problem id_number_check(enum id_type t, const char *number, int today);
/* A sentence for a refusal, e.g. "is not a valid resident ID number: …". */
const char *id_problem_text(enum id_type t, enum id_problem p);
/* 1 when number is well-formed for the type (check digits included). */
int id_number_valid(enum id_type t, const char *number);
/* The canonical form, in place: a resident ID's check character x is X
 * (both are written on cards and forms; only X is stored). */
void id_number_normalize(enum id_type t, char *number);
/* The ISO 7064 MOD 11-2 check character of 17 digits ('0'-'9' or 'X'). */
char id_resident_check(const char *first17);
/* Masked for lists: first 3 and last 4 kept, the rest '*' (UTF-8 safe for
 * ASCII numbers). out must hold strlen(number) + 1. */
void id_mask(const char *number, char *out, size_t outlen);

/* ---- certificate numbers --------------------------------------------------
 * 桂(2026)来宾市不动产权第0001234号, 桂(2026)兴宾区不动产证明第0000123号.
 * Brackets may be half- or full-width on input; the canonical form (what is
 * stored) has half-width brackets. */
enum cert_kind { CERT_RIGHT, CERT_PROOF }; /* 不动产权 / 不动产证明 */
/* Format into out; -1 when it does not fit or inputs are out of range. */
int cert_number_format(char *out, size_t outlen, int year, const char *area, enum cert_kind kind,
		       long serial);
/* Parse any accepted form; fills the parts (area into area[areasz]). 0 or -1. */
int cert_number_parse(const char *in, int *year, char *area, size_t areasz, enum cert_kind *kind,
		      long *serial);

/* The registration area of a deciding county: its city for a city's urban
 * district (a name ending in 区), else the county itself. Certificate
 * numbers are named after it and counted per area and year, so a city's
 * districts share one sequence. */
const char *registration_area(const char *county_name, const char *city_name);
/* 1 when the county registers under its city (an urban district), else 0. */
int registration_area_is_city(const char *county_name);

/* ---- business dates ------------------------------------------------------ */
enum term_problem { TERM_OK, TERM_FROM, TERM_TO, TERM_ORDER };
/* A term (e.g. a mortgage's) from and to, as YYYY-MM-DD: both real calendar
 * dates and to strictly after from. */
enum term_problem term_check(const char *from, const char *to);

#endif
