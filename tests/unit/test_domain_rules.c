/* Unit tests of the domain rules: the workflow's state classes, what
 * registering each category writes, priority and seizure decisions, the
 * shares of co-owners, and the fee rules. */
#include <string.h>

#include "check.h"
#include "domain/fees.h"
#include "domain/registry.h"
#include "domain/workflow.h"

static void test_state_classes(void)
{
	CHECK(workflow_state_class("draft") == SC_DRAFT);
	const char *pending[] = { "submitted", "accepted", "supplement_requested", "approved" };
	for (size_t i = 0; i < 4; i++)
		CHECK(workflow_state_pending(pending[i]));
	const char *done[] = { "registered", "fees_set", "paid", "issued", "delivered" };
	for (size_t i = 0; i < 5; i++)
		CHECK(workflow_state_class(done[i]) == SC_DONE);
	CHECK(workflow_state_class("closed") == SC_TERMINAL);
	CHECK(workflow_state_class("rejected") == SC_TERMINAL);
	CHECK(workflow_state_class("withdrawn") == SC_TERMINAL);
	CHECK(!workflow_state_pending("draft") && !workflow_state_pending("registered"));
	CHECK(workflow_state_class("flying") == SC_UNKNOWN && workflow_state_class(NULL) == SC_UNKNOWN);
	CHECK_STR(state_class_name(SC_PENDING), "pending");
	CHECK(state_class_name(SC_UNKNOWN) == NULL);
	/* every state once, every one with a class */
	for (size_t i = 0; i < workflow_nstates; i++) {
		CHECK(workflow_states[i].cls != SC_UNKNOWN);
		for (size_t j = i + 1; j < workflow_nstates; j++)
			CHECK(strcmp(workflow_states[i].state, workflow_states[j].state) != 0);
	}
	CHECK(workflow_nstates == 13);
}

static void test_what_each_category_writes(void)
{
	struct reg_plan p;
	CHECK(reg_plan_for("mortgage", "establish", &p) == 0);
	CHECK(p.cat->kind == EK_MORTGAGE && p.writes && p.ends == ENDS_NAMED && !p.keeps_rank);
	CHECK_STR(p.cat->holder_field, "mortgagee_name");
	CHECK_STR(p.cat->amount_field, "amount_fen");
	CHECK(p.cat->cert == CERT_PROOF && p.cat->rank == RANK_NEXT);
	CHECK(reg_plan_for("mortgage", "change", &p) == 0 && p.keeps_rank && p.ends == ENDS_NAMED);
	CHECK(reg_plan_for("mortgage", "cancellation", &p) == 0 && !p.writes && p.ends == ENDS_NAMED);

	CHECK(reg_plan_for("pre_notice", "establish", &p) == 0);
	CHECK(p.cat->kind == EK_PRE_NOTICE && p.cat->holder == HOLDER_FIELD && p.cat->cert == CERT_PROOF);
	CHECK_STR(p.cat->holder_field, "buyer");
	CHECK_STR(p.cat->amount_field, "price_fen");

	CHECK(reg_plan_for("seizure", "establish", &p) == 0);
	CHECK(p.cat->kind == EK_SEIZURE && p.cat->rank == RANK_WAITLIST && p.cat->cert == CERT_PROOF);
	CHECK_STR(p.cat->holder_field, "court");
	CHECK(p.cat->amount_field == NULL);
	CHECK(reg_plan_for("seizure", "cancellation", &p) == 0 && !p.writes);

	CHECK(reg_plan_for("objection", "establish", &p) == 0);
	CHECK(p.cat->kind == EK_OBJECTION && p.cat->holder == HOLDER_FIRST_RIGHT_HOLDER && p.cat->cert == CERT_PROOF);

	CHECK(reg_plan_for("ownership", "establish", &p) == 0 && p.ends == ENDS_NAMED);
	CHECK(reg_plan_for("nothing", "establish", &p) == -1);
	CHECK(reg_plan_for("mortgage", "fly", &p) == -1);
	CHECK(reg_plan_for("mortgage", NULL, &p) == -1);
	for (size_t i = 0; i < reg_ncategories; i++)
		CHECK_STR(entry_kind_name(reg_categories[i].kind), reg_categories[i].category);
}

static void test_ownership_transfer_ends_the_earlier_owners_and_writes_the_new(void)
{
	struct reg_plan p;
	CHECK(reg_plan_for("ownership", "transfer", &p) == 0);
	CHECK(p.writes && p.ends == ENDS_OWNERS);
	CHECK(p.cat->kind == EK_OWNERSHIP && p.cat->holder == HOLDER_RIGHT_HOLDERS);
	CHECK(p.cat->cert == CERT_RIGHT);	/* 不动产权, not 不动产证明 */
	CHECK(reg_rank(&p, 0, 7) == 0);
	CHECK(reg_plan_for("ownership", "change", &p) == 0 && p.ends == ENDS_OWNERS);
	CHECK(reg_plan_for("ownership", "cancellation", &p) == 0 && !p.writes && p.ends == ENDS_NAMED);
}

static void test_priority_over_the_unit_cases(void)
{
	struct reg_plan p;
	CHECK(reg_plan_for("mortgage", "establish", &p) == 0);
	struct unit_case o[] = {
		{ "A", "approved", 300 },
		{ "B", "submitted", 200 },	/* the earliest pending */
		{ "C", "registered", 100 },	/* decided: does not block */
		{ "D", "draft", 0 },		/* never received */
		{ "E", "accepted", 900 },	/* received later */
	};
	const struct unit_case *b = reg_blocking_case(&p, 500, o, 5);
	CHECK(b != NULL && strcmp(b->number, "B") == 0);
	CHECK(reg_blocking_case(&p, 150, o, 5) == NULL);
	CHECK(reg_blocking_case(&p, 500, o + 2, 3) == NULL);
	/* a court's seizure is not queued behind applications */
	CHECK(reg_plan_for("seizure", "establish", &p) == 0);
	CHECK(reg_blocking_case(&p, 500, o, 5) == NULL);
}

static void test_seizure_decisions(void)
{
	struct reg_plan p;
	CHECK(reg_plan_for("mortgage", "establish", &p) == 0);
	CHECK(reg_seizure_allows(&p, 0) && !reg_seizure_allows(&p, 1));
	CHECK(reg_plan_for("ownership", "transfer", &p) == 0 && !reg_seizure_allows(&p, 2));
	CHECK(reg_plan_for("pre_notice", "establish", &p) == 0 && !reg_seizure_allows(&p, 1));
	CHECK(reg_plan_for("mortgage", "cancellation", &p) == 0 && reg_seizure_allows(&p, 1));
	CHECK(reg_plan_for("seizure", "establish", &p) == 0 && reg_seizure_allows(&p, 1));
	/* a second seizure waits (轮候) behind the first, ranked after it */
	CHECK(!reg_waits(&p, 0) && reg_waits(&p, 1));
	CHECK(reg_rank(&p, 0, 0) == 1 && reg_rank(&p, 0, 1) == 2);
	CHECK(reg_plan_for("seizure", "cancellation", &p) == 0 && reg_seizure_allows(&p, 1) && !reg_waits(&p, 1));
	CHECK(reg_plan_for("objection", "establish", &p) == 0 && reg_seizure_allows(&p, 1) && !reg_waits(&p, 1));
	CHECK(reg_plan_for("mortgage", "establish", &p) == 0 && !reg_waits(&p, 3));
	CHECK(reg_rank(&p, 0, 2) == 3);
	CHECK(reg_plan_for("mortgage", "change", &p) == 0 && reg_rank(&p, 2, 5) == 2);
}

static void test_seizure_terms_and_the_wait_list(void)
{
	CHECK(seizure_term_check("2026-03-01", "2029-03-01") == 0);
	CHECK(seizure_term_check("2026-03-01", "2029-03-02") == -1);	/* longer than three years */
	CHECK(seizure_term_check("2028-02-29", "2031-03-01") == 0);
	CHECK(seizure_term_check("2028-02-29", "2031-03-02") == -1);
	CHECK(seizure_term_check("2026-03-01", "2026-03-01") == -1);
	CHECK(seizure_term_check("2026-03-01", "2026-02-30") == -1);
	/* released the one in effect: the first wait-listed one takes effect */
	struct seizure_in_force s[] = { { 7, 3, 1 }, { 5, 2, 1 }, { 9, 4, 1 } };
	CHECK(reg_takes_effect(s, 3) == 1);
	/* released a wait-listed one: the one in effect stays, nothing moves */
	struct seizure_in_force t[] = { { 7, 3, 1 }, { 4, 1, 0 } };
	CHECK(reg_takes_effect(t, 2) == -1);
	CHECK(reg_takes_effect(s, 0) == -1);
}

static void test_shares(void)
{
	long n, d;
	CHECK(share_parse("1/2", &n, &d) == 0 && n == 1 && d == 2);
	CHECK(share_parse("10000/10000", &n, &d) == 0);
	CHECK(share_parse("0/2", &n, &d) == -1 && share_parse("3/2", &n, &d) == -1);
	CHECK(share_parse("1/02", &n, &d) == -1 && share_parse("1/", &n, &d) == -1 && share_parse("/2", &n, &d) == -1);
	CHECK(share_parse("1/2/3", &n, &d) == -1 && share_parse("½", &n, &d) == -1 && share_parse("", &n, &d) == -1);
	CHECK(share_parse("1/10001", &n, &d) == -1);
	const char *half[] = { "1/2", "1/2" }, *thirds[] = { "1/3", "2/3" }, *mixed[] = { "1/3", "1/6", "1/2" };
	const char *over[] = { "2/3", "2/3" }, *bad[] = { "1/2", "half" };
	CHECK(shares_check(half, 2, 2) == SHARES_OK);
	CHECK(shares_check(thirds, 2, 2) == SHARES_OK);
	CHECK(shares_check(mixed, 3, 3) == SHARES_OK);
	CHECK(shares_check(half, 2, 3) == SHARES_COUNT);
	CHECK(shares_check(over, 2, 2) == SHARES_SUM);
	CHECK(shares_check(half, 1, 1) == SHARES_SUM);
	CHECK(shares_check(bad, 2, 2) == SHARES_FORM);
	CHECK_STR(share_default(1), "1/1");
	CHECK_STR(share_default(2), "共同共有");
}

static void test_fee_rules(void)
{
	struct fee_facts f = { "mortgage", "establish", "standard" };
	CHECK(fee_rule_for(&f) == FEE_STANDARD);
	f.fee_rule = "half";
	CHECK(fee_rule_for(&f) == FEE_HALF);
	f.fee_rule = "free";
	CHECK(fee_rule_for(&f) == FEE_FREE);
	f.fee_rule = "gratis";
	CHECK(fee_rule_for(&f) == FEE_UNKNOWN && fee_rule_for(NULL) == FEE_UNKNOWN);
	CHECK(fee_apply(FEE_STANDARD, 8001) == 8001 && fee_apply(FEE_HALF, 8001) == 4000);
	CHECK(fee_apply(FEE_FREE, 8001) == 0 && fee_apply(FEE_UNKNOWN, 8001) == -1);
	CHECK_STR(fee_rule_name(FEE_HALF), "half");
}

int main(void)
{
	TEST(test_state_classes);
	TEST(test_what_each_category_writes);
	TEST(test_ownership_transfer_ends_the_earlier_owners_and_writes_the_new);
	TEST(test_priority_over_the_unit_cases);
	TEST(test_seizure_decisions);
	TEST(test_seizure_terms_and_the_wait_list);
	TEST(test_shares);
	TEST(test_fee_rules);
	return check_done();
}
