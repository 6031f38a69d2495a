/* Unit tests of the fee computation (domain/fees.h): a table of cases
 * across business types, unit uses, extra certificates and exemptions,
 * with the items and totals each must get. */
#include <string.h>

#include "check.h"
#include "domain/fees.h"

static const struct fee_standard standards[] = {
	{ "reg_residential", "住宅登记费", 8000 },
	{ "reg_non_residential", "非住宅登记费", 55000 },
	{ "reg_parking", "车库车位储藏室登记费", 8000 },
	{ "cert_extra", "不动产权证书工本费", 1000 },
};
static const struct fee_table table = { standards, sizeof(standards) / sizeof(standards[0]) };

struct row {
	const char *category, *action, *rule, *use;
	int certificates;
	enum cert_kind cert;
	int small;
	/* expected: the first item, the second (code NULL: none), the total */
	const char *code1;
	int64_t unit1;
	const char *basis1;
	const char *code2;
	int64_t qty2, unit2;
	int64_t total;
};

static const struct row rows[] = {
	/* standard types by use */
	{ "mortgage", "establish", "standard", "residential", 1, CERT_PROOF, 0,
	  "reg_residential", 8000, "住宅登记费 80 元/件", NULL, 0, 0, 8000 },
	{ "mortgage", "establish", "standard", "non_residential", 1, CERT_PROOF, 0,
	  "reg_non_residential", 55000, "非住宅登记费 550 元/件", NULL, 0, 0, 55000 },
	{ "pre_notice", "establish", "standard", "parking", 1, CERT_PROOF, 0,
	  "reg_parking", 8000, "车库车位储藏室登记费 80 元/件", NULL, 0, 0, 8000 },
	{ "pre_notice", "transfer", "standard", "storeroom", 1, CERT_PROOF, 0,
	  "reg_parking", 8000, "车库车位储藏室登记费 80 元/件", NULL, 0, 0, 8000 },
	{ "ownership", "establish", "standard", "other", 1, CERT_RIGHT, 0,
	  "reg_non_residential", 55000, "非住宅登记费 550 元/件", NULL, 0, 0, 55000 },
	/* extra certificates: ownership certificates only, the first free */
	{ "ownership", "transfer", "standard", "residential", 3, CERT_RIGHT, 0,
	  "reg_residential", 8000, "住宅登记费 80 元/件", "cert_extra", 2, 1000, 10000 },
	{ "ownership", "transfer", "standard", "non_residential", 20, CERT_RIGHT, 0,
	  "reg_non_residential", 55000, "非住宅登记费 550 元/件", "cert_extra", 19, 1000, 74000 },
	{ "mortgage", "establish", "standard", "residential", 4, CERT_PROOF, 0,
	  "reg_residential", 8000, "住宅登记费 80 元/件", NULL, 0, 0, 8000 },
	{ "pre_notice", "establish", "standard", "residential", 2, CERT_PROOF, 0,
	  "reg_residential", 8000, "住宅登记费 80 元/件", NULL, 0, 0, 8000 },
	/* half: changes (name changes), objections, corrections; the
	 * certificate charge in full */
	{ "ownership", "change", "half", "residential", 1, CERT_RIGHT, 0,
	  "reg_residential", 4000, "住宅登记费 80 元/件，减半收取（变更登记）", NULL, 0, 0, 4000 },
	{ "ownership", "change", "half", "non_residential", 2, CERT_RIGHT, 0,
	  "reg_non_residential", 27500, "非住宅登记费 550 元/件，减半收取（变更登记）", "cert_extra", 1, 1000, 28500 },
	{ "mortgage", "change", "half", "parking", 1, CERT_PROOF, 0,
	  "reg_parking", 4000, "车库车位储藏室登记费 80 元/件，减半收取（变更登记）", NULL, 0, 0, 4000 },
	{ "objection", "establish", "half", "residential", 1, CERT_PROOF, 0,
	  "reg_residential", 4000, "住宅登记费 80 元/件，减半收取（异议登记）", NULL, 0, 0, 4000 },
	{ "ownership", "correction", "half", "storeroom", 1, CERT_RIGHT, 0,
	  "reg_parking", 4000, "车库车位储藏室登记费 80 元/件，减半收取（更正登记）", NULL, 0, 0, 4000 },
	/* free: cancellations, seizures and their release, small businesses */
	{ "mortgage", "cancellation", "free", "residential", 1, CERT_PROOF, 0,
	  "reg_residential", 0, "注销登记免收", NULL, 0, 0, 0 },
	{ "ownership", "cancellation", "free", "non_residential", 3, CERT_RIGHT, 0,
	  "reg_non_residential", 0, "注销登记免收", NULL, 0, 0, 0 },
	{ "objection", "cancellation", "free", "residential", 1, CERT_PROOF, 0,
	  "reg_residential", 0, "注销登记免收", NULL, 0, 0, 0 },
	{ "seizure", "establish", "free", "non_residential", 1, CERT_PROOF, 0,
	  "reg_non_residential", 0, "查封登记免收", NULL, 0, 0, 0 },
	{ "seizure", "cancellation", "free", "residential", 1, CERT_PROOF, 0,
	  "reg_residential", 0, "解封登记免收", NULL, 0, 0, 0 },
	{ "mortgage", "establish", "standard", "non_residential", 1, CERT_PROOF, 1,
	  "reg_non_residential", 0, "小微企业贷款免收", NULL, 0, 0, 0 },
	{ "mortgage", "change", "half", "residential", 1, CERT_PROOF, 1,
	  "reg_residential", 0, "小微企业贷款免收", NULL, 0, 0, 0 },
	/* the flag counts for mortgages only */
	{ "pre_notice", "establish", "standard", "residential", 1, CERT_PROOF, 1,
	  "reg_residential", 8000, "住宅登记费 80 元/件", NULL, 0, 0, 8000 },
};

static void test_fee_table_across_types_uses_certificates_and_exemptions(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct fee_case c = { { w->category, w->action, w->rule }, w->use, w->certificates, w->cert, w->small };
		struct fee_line out[FEE_MAX_LINES];
		size_t n = 99;
		int64_t total = -1;
		int ok = fee_compute(&table, &c, out, &n, &total) == FEE_OK && n == (w->code2 ? 2u : 1u) &&
			 strcmp(out[0].code, w->code1) == 0 && out[0].quantity == 1 && out[0].unit_price_fen == w->unit1 &&
			 out[0].amount_fen == w->unit1 && strcmp(out[0].basis, w->basis1) == 0 && total == w->total;
		if (ok && w->code2)
			ok = strcmp(out[1].code, w->code2) == 0 && out[1].quantity == w->qty2 &&
			     out[1].unit_price_fen == w->unit2 && out[1].amount_fen == w->qty2 * w->unit2;
		if (!ok)
			fprintf(stderr, "  row %zu (%s.%s %s): n %zu total %lld basis %s\n", i, w->category, w->action,
				w->use, n, (long long)total, n ? out[0].basis : "-");
		CHECK(ok);
	}
}

static void test_items_carry_the_standards_name_and_the_certificate_basis(void)
{
	struct fee_case c = { { "ownership", "transfer", "standard" }, "residential", 3, CERT_RIGHT, 0 };
	struct fee_line out[FEE_MAX_LINES];
	size_t n;
	int64_t total;
	CHECK(fee_compute(&table, &c, out, &n, &total) == FEE_OK && n == 2);
	CHECK_STR(out[0].description, "住宅登记费");
	CHECK_STR(out[1].description, "不动产权证书工本费");
	CHECK_STR(out[1].basis, "不动产权证书工本费 10 元/本，第一本免收，加收 2 本");
}

static void test_half_rounds_down_to_the_fen(void)
{
	static const struct fee_standard odd[] = {
		{ "reg_residential", "住宅登记费", 8001 },
		{ "reg_non_residential", "非住宅登记费", 55001 },
		{ "reg_parking", "车位登记费", 1 },
		{ "cert_extra", "工本费", 999 },
	};
	struct fee_table t = { odd, 4 };
	struct fee_line out[FEE_MAX_LINES];
	size_t n;
	int64_t total;
	struct fee_case c = { { "ownership", "change", "half" }, "residential", 2, CERT_RIGHT, 0 };
	CHECK(fee_compute(&t, &c, out, &n, &total) == FEE_OK && out[0].amount_fen == 4000 && total == 4000 + 999);
	CHECK_STR(out[0].basis, "住宅登记费 80.01 元/件，减半收取（变更登记）");
	c.unit_use = "non_residential";
	CHECK(fee_compute(&t, &c, out, &n, &total) == FEE_OK && out[0].amount_fen == 27500);
	c.unit_use = "parking";
	CHECK(fee_compute(&t, &c, out, &n, &total) == FEE_OK && out[0].amount_fen == 0 && total == 999);
	CHECK_STR(out[1].basis, "不动产权证书工本费 9.99 元/本，第一本免收，加收 1 本");
}

static void test_refusals_charge_nothing(void)
{
	struct fee_line out[FEE_MAX_LINES];
	size_t n = 7;
	int64_t total = 7;
	struct fee_case c = { { "mortgage", "establish", "gratis" }, "residential", 1, CERT_PROOF, 0 };
	CHECK(fee_compute(&table, &c, out, &n, &total) == FEE_BAD_RULE && n == 0 && total == 0);
	c.type.fee_rule = "standard";
	c.unit_use = "castle";
	CHECK(fee_compute(&table, &c, out, &n, &total) == FEE_BAD_USE && n == 0);
	c.unit_use = NULL;
	CHECK(fee_compute(&table, &c, out, &n, &total) == FEE_BAD_USE);
	c.unit_use = "residential";
	c.certificates = 0;
	CHECK(fee_compute(&table, &c, out, &n, &total) == FEE_BAD_CERTIFICATES);
	c.certificates = FEE_MAX_CERTIFICATES + 1;
	CHECK(fee_compute(&table, &c, out, &n, &total) == FEE_BAD_CERTIFICATES);
	c.certificates = 1;
	struct fee_table partial = { standards, 2 }; /* no reg_parking, no cert_extra */
	CHECK(fee_compute(&partial, &c, out, &n, &total) == FEE_NO_STANDARD);
	CHECK(fee_compute(NULL, &c, out, &n, &total) == FEE_NO_STANDARD);
	CHECK(strcmp(fee_problem_text(FEE_BAD_USE), "ok") != 0);
}

static void test_the_table_the_rules_need(void)
{
	CHECK(fee_ncodes_needed == 4);
	for (size_t i = 0; i < fee_ncodes_needed; i++)
		CHECK(fee_standard_find(&table, fee_codes_needed[i]) != NULL);
	CHECK(fee_standard_find(&table, "reg_castle") == NULL);
	const char *uses[] = { "residential", "non_residential", "parking", "storeroom", "other" };
	for (size_t i = 0; i < 5; i++)
		CHECK(fee_standard_find(&table, fee_standard_for_use(uses[i])) != NULL);
}

static void test_yuan_from_fen_without_floating_point(void)
{
	char b[32];
	CHECK(fee_yuan(b, sizeof(b), 8000) == 0 && strcmp(b, "80") == 0);
	CHECK(fee_yuan(b, sizeof(b), 4050) == 0 && strcmp(b, "40.50") == 0);
	CHECK(fee_yuan(b, sizeof(b), 1) == 0 && strcmp(b, "0.01") == 0);
	CHECK(fee_yuan(b, sizeof(b), 0) == 0 && strcmp(b, "0") == 0);
	CHECK(fee_yuan(b, sizeof(b), INT64_MAX) == 0 && strcmp(b, "92233720368547758.07") == 0);
	CHECK(fee_yuan(b, sizeof(b), -1) == -1);
	CHECK(fee_yuan(b, 3, 8000) == 0 && fee_yuan(b, 2, 8000) == -1);
}

int main(void)
{
	TEST(test_fee_table_across_types_uses_certificates_and_exemptions);
	TEST(test_items_carry_the_standards_name_and_the_certificate_basis);
	TEST(test_half_rounds_down_to_the_fen);
	TEST(test_refusals_charge_nothing);
	TEST(test_the_table_the_rules_need);
	TEST(test_yuan_from_fen_without_floating_point);
	return check_done();
}
