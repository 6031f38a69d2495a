/* Unit tests of the registration domain: unit codes, ID numbers,
 * certificate numbers, registration areas, working days. */
#include <string.h>

#include "check.h"
#include "domain/register.h"
#include "domain/workdays.h"

static void test_unit_codes(void)
{
	CHECK(unit_code_check("451302001002GB00014F00220045") == UNIT_OK);
	CHECK(unit_code_check("450103003001GB00321W00000000") == UNIT_OK);
	CHECK(unit_code_check("451302001002GB00014F0022004") == UNIT_LENGTH);
	CHECK(unit_code_check("451300001002GB00014F00220045") == UNIT_COUNTY);	/* a city */
	CHECK(unit_code_check("110101001002GB00014F00220045") == UNIT_COUNTY);	/* not Guangxi */
	CHECK(unit_code_check("4513020A1002GB00014F00220045") == UNIT_ZONE);
	CHECK(unit_code_check("451302001002XB00014F00220045") == UNIT_FEATURE);
	CHECK(unit_code_check("451302001002Gb00014F00220045") == UNIT_FEATURE);
	CHECK(unit_code_check("451302001002GB0001AF00220045") == UNIT_PARCEL);
	CHECK(unit_code_check("451302001002GB00014X00220045") == UNIT_FIXTURE);
	CHECK(unit_code_check("451302001002GB00014W00220045") == UNIT_FIXTURE_NUMBER);
	char county[7];
	unit_code_county("451302001002GB00014F00220045", county);
	CHECK_STR(county, "451302");
}

static void test_resident_id_check_digit(void)
{
	/* GB 11643 example: 11010519491231002X */
	CHECK(id_resident_check("11010519491231002") == 'X');
	CHECK(id_number_valid(ID_RESIDENT, "11010519491231002X"));
	CHECK(!id_number_valid(ID_RESIDENT, "110105194912310021"));	/* wrong check */
	CHECK(!id_number_valid(ID_RESIDENT, "11010519491331002X"));	/* month 13 */
	CHECK(!id_number_valid(ID_RESIDENT, "11010519490229002X"));	/* not a leap year */
	CHECK(!id_number_valid(ID_RESIDENT, "1101051949123100"));
	CHECK(id_number_valid(ID_ORG, "91350100M000100Y43"));	/* a valid USCC */
	CHECK(!id_number_valid(ID_ORG, "91350100M000100Y44"));
	CHECK(id_number_valid(ID_PASSPORT, "E12345678"));
	CHECK(!id_number_valid(ID_PASSPORT, "e1234"));
	CHECK(id_number_valid(ID_HKMO, "H12345678"));
	CHECK(id_number_valid(ID_TW, "12345678"));
	CHECK(id_type_parse("resident_id") == ID_RESIDENT && id_type_parse("nope") == ID_INVALID_TYPE);
	char m[32];
	id_mask("11010519491231002X", m, sizeof(m));
	CHECK_STR(m, "110***********002X");
}

static void test_resident_id_problems_are_told_apart(void)
{
	int today = 20261127;
	CHECK(id_number_check(ID_RESIDENT, "11010519491231002X", today) == ID_OK);
	/* a lower-case x is the same number: normalised, then valid */
	char typed[] = "11010519491231002x";
	CHECK(id_number_check(ID_RESIDENT, typed, today) == ID_FORM);
	id_number_normalize(ID_RESIDENT, typed);
	CHECK_STR(typed, "11010519491231002X");
	CHECK(id_number_check(ID_RESIDENT, typed, today) == ID_OK);
	char other[] = "e1234x";
	id_number_normalize(ID_PASSPORT, other); /* only the resident ID's check character */
	CHECK_STR(other, "e1234x");
	/* 30 February is no date: said so, not "check digit" */
	char feb30[19];
	memcpy(feb30, "45010319900230123", 17);
	feb30[17] = id_resident_check(feb30);
	feb30[18] = '\0';
	CHECK(id_number_check(ID_RESIDENT, feb30, today) == ID_BIRTH_DATE);
	CHECK(strstr(id_problem_text(ID_RESIDENT, ID_BIRTH_DATE), "not a real date") != NULL);
	CHECK(strstr(id_problem_text(ID_RESIDENT, ID_BIRTH_DATE), "check") == NULL);
	/* born tomorrow: refused; born today: fine */
	char future[19], born_today[19];
	memcpy(future, "45010320261128123", 17);
	future[17] = id_resident_check(future);
	future[18] = '\0';
	memcpy(born_today, "45010320261127123", 17);
	born_today[17] = id_resident_check(born_today);
	born_today[18] = '\0';
	CHECK(id_number_check(ID_RESIDENT, future, today) == ID_BIRTH_FUTURE);
	CHECK(id_number_check(ID_RESIDENT, future, 0) == ID_OK); /* no day given: not checked */
	CHECK(id_number_check(ID_RESIDENT, born_today, today) == ID_OK);
	CHECK(strstr(id_problem_text(ID_RESIDENT, ID_BIRTH_FUTURE), "future") != NULL);
	CHECK(id_number_check(ID_RESIDENT, "110105194912310021", today) == ID_CHECK);
	CHECK(strstr(id_problem_text(ID_RESIDENT, ID_CHECK), "check digit") != NULL);
	CHECK(id_number_check(ID_RESIDENT, "11010518991231002X", today) == ID_BIRTH_DATE); /* before 1900 */
	CHECK(id_number_check(ID_RESIDENT, "1101051949123100", today) == ID_FORM);
	CHECK(id_number_check(ID_RESIDENT, "11010519491231002Y", today) == ID_FORM);
	CHECK(id_number_check(ID_RESIDENT, "01010519491231002X", today) == ID_FORM);
	CHECK(id_number_check(ID_ORG, "91350100M000100Y44", today) == ID_CHECK);
	CHECK(id_number_check(ID_ORG, "91350100m000100Y43", today) == ID_FORM);
	CHECK(id_number_check(ID_INVALID_TYPE, "12345", today) == ID_FORM);
}

static void test_business_dates_are_real_calendar_days(void)
{
	int d = 0;
	CHECK(iso_date_parse("2026-12-01", &d) == 0 && d == 20261201);
	CHECK(iso_date_parse("2028-02-29", &d) == 0 && d == 20280229);
	CHECK(iso_date_parse("2026-13-01", &d) == -1);
	CHECK(iso_date_parse("2036-02-30", &d) == -1);
	CHECK(iso_date_parse("2027-02-29", &d) == -1);	/* not a leap year */
	CHECK(iso_date_parse("2026-04-31", &d) == -1);
	CHECK(iso_date_parse("2026-00-10", &d) == -1);
	CHECK(iso_date_parse("2026-01-00", &d) == -1);
	CHECK(iso_date_parse("2026-1-01", &d) == -1);
	CHECK(iso_date_parse("2026-01-011", &d) == -1);
	CHECK(iso_date_parse("2026/01/01", &d) == -1);
	CHECK(iso_date_parse("1899-12-31", &d) == -1);
	CHECK(iso_date_parse("", &d) == -1 && iso_date_parse(NULL, &d) == -1);
	CHECK(term_check("2026-12-01", "2046-11-30") == TERM_OK);
	CHECK(term_check("2026-13-01", "2046-11-30") == TERM_FROM);
	CHECK(term_check("2026-12-01", "2036-02-30") == TERM_TO);
	CHECK(term_check("2026-12-01", "2026-12-01") == TERM_ORDER);	/* a term of no days */
	CHECK(term_check("2026-12-01", "2020-01-01") == TERM_ORDER);
}

static void test_certificate_numbers(void)
{
	char buf[128], area[64];
	CHECK(cert_number_format(buf, sizeof(buf), 2026, "来宾市", CERT_RIGHT, 1234) == 0);
	CHECK_STR(buf, "桂(2026)来宾市不动产权第0001234号");
	CHECK(cert_number_format(buf, sizeof(buf), 2026, "兴宾区", CERT_PROOF, 123) == 0);
	CHECK_STR(buf, "桂(2026)兴宾区不动产证明第0000123号");
	CHECK(cert_number_format(buf, sizeof(buf), 2026, "来宾市", CERT_PROOF, 10000000) == -1);
	int y;
	enum cert_kind k;
	long s;
	CHECK(cert_number_parse("桂（2026）来宾市不动产权第0001234号", &y, area, sizeof(area), &k, &s) == 0);
	CHECK(y == 2026 && k == CERT_RIGHT && s == 1234);
	CHECK_STR(area, "来宾市");
	CHECK(cert_number_parse("桂(2026)象州县不动产证明第0000123号", &y, area, sizeof(area), &k, &s) == 0);
	CHECK(k == CERT_PROOF && s == 123);
	CHECK_STR(area, "象州县");
	CHECK(cert_number_parse("桂(2026)来宾市不动产权第123号", &y, area, sizeof(area), &k, &s) == -1);
	CHECK(cert_number_parse("粤(2026)来宾市不动产权第0001234号", &y, area, sizeof(area), &k, &s) == -1);
	CHECK(cert_number_parse("桂(2026)不动产权第0001234号", &y, area, sizeof(area), &k, &s) == -1);
	CHECK(cert_number_parse("桂(2026来宾市不动产权第0001234号", &y, area, sizeof(area), &k, &s) == -1);
	CHECK_STR(registration_area("兴宾区", "来宾市"), "来宾市");
	CHECK_STR(registration_area("象州县", "来宾市"), "象州县");
	CHECK_STR(registration_area("合山市", "来宾市"), "合山市");
	/* 兴宁区 and 青秀区 both register as 南宁市: one sequence for both */
	CHECK(registration_area_is_city("兴宁区") && registration_area_is_city("青秀区"));
	CHECK(!registration_area_is_city("隆安县") && !registration_area_is_city("横州市"));
}

static void test_working_days(void)
{
	/* 2026: National Day 10-01..10-07 off (10-01..10-08 here as an example),
	 * Saturday 2026-10-10 a make-up working day */
	static const int holidays[] = { 20261001, 20261002, 20261005, 20261006, 20261007, 20261008 };
	static const int makeup[] = { 20261010 };
	struct calendar c = { holidays, 6, makeup, 1 };
	CHECK(ymd_valid(20261127) && !ymd_valid(20260230));
	CHECK(workday_is(&c, 20261127));	/* a Friday */
	CHECK(!workday_is(&c, 20261128));	/* Saturday */
	CHECK(workday_is(&c, 20261010));	/* make-up Saturday */
	CHECK(!workday_is(&c, 20261005));
	CHECK(workdays_add(&c, 20261127, 5) == 20261204); /* Fri + 5 = next Fri */
	CHECK(workdays_add(&c, 20260930, 2) == 20261010); /* across the holiday */
	CHECK(workdays_between(&c, 20261127, 20261204) == 5);
	CHECK(days_to_ymd(ymd_to_days(20240229)) == 20240229);
}

int main(void)
{
	TEST(test_unit_codes);
	TEST(test_resident_id_check_digit);
	TEST(test_resident_id_problems_are_told_apart);
	TEST(test_business_dates_are_real_calendar_days);
	TEST(test_certificate_numbers);
	TEST(test_working_days);
	return check_done();
}
