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
	TEST(test_certificate_numbers);
	TEST(test_working_days);
	return check_done();
}
