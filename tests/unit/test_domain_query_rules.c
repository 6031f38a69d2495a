/* Unit tests of the archive-query rules (不动产登记资料查询暂行办法 as
 * data): each requester kind's conditions, units, visibility and fields,
 * exactly as the README's table says; the yes/no facts; the volume alerts. */
#include "check.h"
#include "domain/query_rules.h"

/* The README's table, row by row. */
static const struct {
	const char *name;
	int reference;
	unsigned conditions;
	enum qr_units units;
	const char *visibility;
	int queried_by;
} expected[QR_KIND_COUNT] = {
	{ "holder", 0, QC_UNIT_CODE | QC_CERTIFICATE_NO | QC_HOLDER, QU_REQUESTER_HOLDS, "full", 1 },
	{ "heir_guardian", 0, QC_HOLDER, QU_CONDITION_HOLDS, "full", 0 },
	{ "interested_party", 1, QC_UNIT_CODE | QC_CERTIFICATE_NO, QU_ALL, "register", 0 },
	{ "prospective_party", 0, QC_UNIT_CODE | QC_CERTIFICATE_NO, QU_ALL, "facts", 0 },
	{ "lawyer", 1, QC_UNIT_CODE | QC_CERTIFICATE_NO | QC_HOLDER, QU_ALL, "register", 0 },
	{ "state_organ", 1, QC_UNIT_CODE | QC_CERTIFICATE_NO | QC_HOLDER, QU_ALL, "full", 0 },
};

static void test_table_per_kind(void)
{
	for (int k = 0; k < QR_KIND_COUNT; k++) {
		enum qr_kind kind = qr_kind_parse(expected[k].name);
		CHECK(kind == (enum qr_kind)k);
		const struct qr_rule *r = qr_rule_of(kind);
		CHECK(r != NULL && r->kind == kind);
		if (r == NULL)
			continue;
		CHECK_STR(r->name, expected[k].name);
		CHECK(r->needs_reference == expected[k].reference);
		CHECK(r->needs_reference == 0 || r->reference_what != NULL);
		CHECK(r->conditions == expected[k].conditions);
		CHECK(r->units == expected[k].units);
		CHECK_STR(qr_visibility_name(r->visibility), expected[k].visibility);
		CHECK(r->queried_by == expected[k].queried_by);
		CHECK(r->label != NULL && r->label[0] != '\0');
	}
}

static void test_unknown_kinds(void)
{
	CHECK(qr_kind_parse(NULL) == QR_INVALID);
	CHECK(qr_kind_parse("") == QR_INVALID);
	CHECK(qr_kind_parse("Holder") == QR_INVALID);
	CHECK(qr_kind_parse("holder ") == QR_INVALID);
	CHECK(qr_kind_parse("journalist") == QR_INVALID);
	CHECK(qr_rule_of(QR_INVALID) == NULL);
	CHECK(qr_unit_shown(NULL, 1, 1) == 0);
}

static void test_units_shown(void)
{
	const struct qr_rule *holder = qr_rule_of(QR_HOLDER), *heir = qr_rule_of(QR_HEIR_GUARDIAN),
			     *lawyer = qr_rule_of(QR_LAWYER);
	/* a holder sees only units they hold, whatever the condition found */
	CHECK(qr_unit_shown(holder, 1, 0) == 1);
	CHECK(qr_unit_shown(holder, 0, 1) == 0);
	CHECK(qr_unit_shown(holder, 0, 0) == 0);
	/* an heir or guardian sees the deceased's / ward's units, not their own */
	CHECK(qr_unit_shown(heir, 0, 1) == 1);
	CHECK(qr_unit_shown(heir, 1, 0) == 0);
	/* the others see every unit found */
	CHECK(qr_unit_shown(lawyer, 0, 0) == 1);
	CHECK(qr_unit_shown(qr_rule_of(QR_PROSPECTIVE_PARTY), 0, 0) == 1);
	CHECK(qr_unit_shown(qr_rule_of(QR_INTERESTED_PARTY), 0, 0) == 1);
	CHECK(qr_unit_shown(qr_rule_of(QR_STATE_ORGAN), 0, 0) == 1);
}

static void test_fields_by_visibility(void)
{
	/* facts: no names, no certificate numbers (no section carrying them) */
	CHECK(qr_field_shown(QV_FACTS, QF_FACTS));
	for (int f = QF_HOLDERS; f < QF_COUNT; f++)
		CHECK(!qr_field_shown(QV_FACTS, (enum qr_field)f));
	/* register: the register result without identifiers and contract terms */
	CHECK(qr_field_shown(QV_REGISTER, QF_FACTS));
	CHECK(qr_field_shown(QV_REGISTER, QF_HOLDERS));
	CHECK(!qr_field_shown(QV_REGISTER, QF_HOLDER_ID));
	CHECK(qr_field_shown(QV_REGISTER, QF_MORTGAGES));
	CHECK(!qr_field_shown(QV_REGISTER, QF_MORTGAGE_TERMS));
	CHECK(qr_field_shown(QV_REGISTER, QF_PRE_NOTICES));
	CHECK(qr_field_shown(QV_REGISTER, QF_SEIZURES));
	CHECK(qr_field_shown(QV_REGISTER, QF_OBJECTIONS));
	/* full: everything */
	for (int f = 0; f < QF_COUNT; f++)
		CHECK(qr_field_shown(QV_FULL, (enum qr_field)f));
	CHECK(!qr_field_shown((enum qr_visibility)7, QF_FACTS));
	CHECK(!qr_field_shown(QV_FULL, QF_COUNT));
}

static void test_facts(void)
{
	struct qr_facts f = qr_facts_of(1, 0, 0, 0, 0);
	CHECK(f.exists && !f.co_owned && !f.mortgaged && !f.pre_noticed && !f.objected && !f.seized);
	f = qr_facts_of(2, 3, 1, 1, 2);
	CHECK(f.exists && f.co_owned && f.mortgaged && f.pre_noticed && f.objected && f.seized);
	f = qr_facts_of(0, 0, 1, 0, 0);
	CHECK(f.exists && !f.co_owned && f.pre_noticed);
}

static void test_alerts(void)
{
	/* no history: unusual only above the floor */
	CHECK(!qr_volume_unusual(20, 0));
	CHECK(qr_volume_unusual(21, 0));
	/* an average of 10 a day (300 in 30 days): unusual above 30 */
	CHECK(!qr_volume_unusual(30, 300));
	CHECK(qr_volume_unusual(31, 300));
	/* an average of 2 a day: the floor decides */
	CHECK(!qr_volume_unusual(15, 60));
	CHECK(qr_volume_unusual(21, 60));
	CHECK(!qr_holders_unusual(20));
	CHECK(qr_holders_unusual(21));
}

int main(void)
{
	TEST(test_table_per_kind);
	TEST(test_unknown_kinds);
	TEST(test_units_shown);
	TEST(test_fields_by_visibility);
	TEST(test_facts);
	TEST(test_alerts);
	return check_done();
}
