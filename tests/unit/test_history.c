/* Unit tests of the case-history generators (domain/history.h) that
 * `tbctl seed-history` uses: deterministic from the seed, every case's
 * steps a path of the workflow's transitions, times in order and not after
 * now, due dates by the working-day rule, and the shares near what they
 * are meant to be. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "domain/history.h"
#include "domain/query_rules.h"
#include "domain/workdays.h"

/* cases.transition (sql/0005) plus create (no state → draft) */
static const char *const transitions[][3] = {
	{ "", "create", "draft" },
	{ "draft", "submit", "submitted" },
	{ "submitted", "accept", "accepted" },
	{ "accepted", "request_supplement", "supplement_requested" },
	{ "supplement_requested", "resubmit", "submitted" },
	{ "accepted", "reject", "rejected" },
	{ "accepted", "approve", "approved" },
	{ "approved", "register", "registered" },
	{ "registered", "set_fees", "fees_set" },
	{ "fees_set", "record_payment", "paid" },
	{ "paid", "issue", "issued" },
	{ "issued", "deliver", "delivered" },
	{ "delivered", "close", "closed" },
	{ "draft", "withdraw", "withdrawn" },
	{ "submitted", "withdraw", "withdrawn" },
	{ "accepted", "withdraw", "withdrawn" },
	{ "supplement_requested", "withdraw", "withdrawn" },
	{ "approved", "withdraw", "withdrawn" },
};

static int allowed(const struct hist_event *e)
{
	const char *from = e->from == HS_NONE ? "" : hist_state_name(e->from);
	for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
		if (strcmp(transitions[i][0], from) == 0 && strcmp(transitions[i][1], hist_action_name(e->action)) == 0)
			return strcmp(transitions[i][2], hist_state_name(e->to)) == 0;
	return 0;
}

/* 2026's calendar as cases.calendar had it (a few days suffice) */
static const int hol[] = { 20260101, 20260216, 20260217, 20260218, 20260219, 20260220, 20260406, 20260501 };
static const int mk[] = { 20260214, 20260228 };
static const struct calendar cal = { hol, sizeof(hol) / sizeof(hol[0]), mk, sizeof(mk) / sizeof(mk[0]) };

static const struct hist_type types[] = {
	{ "mortgage.establish", 5, 0, 0, 0 }, { "mortgage.cancellation", 3, 1, 0, 0 }, { "seizure.establish", 1, 1, 0, 0 },
	{ "pre_notice.establish", 5, 0, 0, 0 }, { "ownership.transfer", 10, 0, 1, 0 },
};
static struct hist_type wtypes[5];
/* the first county has the ownership pilot on */
static struct hist_county counties[6] = { { 4, 1, 1 }, { 1, 1, 0 }, { 1, 1, 0 }, { 2, 2, 0 }, { 1, 2, 0 }, { 1, 3, 0 } };

static struct hist_params params(uint64_t seed)
{
	for (size_t i = 0; i < 5; i++) {
		wtypes[i] = types[i];
		wtypes[i].weight = hist_type_share(types[i].code);
	}
	long today = ymd_to_days(20260615);
	return (struct hist_params){ seed, 24, today, (int64_t)today * 86400 - 8 * 3600 + 15 * 3600, &cal, wtypes, 5,
				     counties, 6 };
}

static void test_the_same_seed_gives_the_same_cases(void)
{
	struct hist_params p = params(7), q = params(8);
	struct hist_case a, b, c;
	int same = 1, differ = 0;
	for (uint64_t i = 0; i < 200; i++) {
		CHECK(hist_case(&p, i, &a) == 0 && hist_case(&p, i, &b) == 0 && hist_case(&q, i, &c) == 0);
		same &= memcmp(&a, &b, sizeof(a)) == 0;
		differ += a.received != c.received;
	}
	CHECK(same);
	CHECK(differ > 190);
}

static void test_every_case_follows_the_workflow_in_time(void)
{
	struct hist_params p = params(1);
	struct hist_case c;
	int ok = 1, due_ok = 1, two = 1, n = 0, pilot_ok = 1, pilot_seen = 0;
	for (uint64_t i = 0; i < 20000; i++, n++) {
		if (hist_case(&p, i, &c) != 0) {
			ok = 0;
			break;
		}
		ok &= c.nev >= 2 && c.ev[0].action == HA_CREATE;
		for (size_t k = 0; k < c.nev; k++) {
			ok &= allowed(&c.ev[k]);
			ok &= c.ev[k].at <= p.now;
			if (k > 0)
				ok &= c.ev[k].from == c.ev[k - 1].to && c.ev[k].at > c.ev[k - 1].at;
			if (c.ev[k].action == HA_REGISTER)
				two &= c.ev[k].actor != c.ev[k - 1].actor; /* approve and register: two people */
		}
		ok &= c.state == c.ev[c.nev - 1].to && c.received == c.ev[1].at;
		/* the due date: promised working days after the last (re)submission */
		int64_t last = 0;
		for (size_t k = 0; k < c.nev; k++)
			if (c.ev[k].action == HA_SUBMIT || c.ev[k].action == HA_RESUBMIT)
				last = c.ev[k].at;
		due_ok &= c.due_ymd == hist_due(&cal, last, types[c.type].promised_days);
		ok &= c.cross == (c.receiving != c.deciding);
		pilot_ok &= !types[c.type].pilot_only || c.deciding == 0;
		pilot_seen += types[c.type].pilot_only;
	}
	CHECK(pilot_ok && pilot_seen > 0);
	CHECK(ok);
	CHECK(due_ok);
	CHECK(two);
	CHECK(n == 20000);
}

static void test_the_shares_are_near_their_aims(void)
{
	struct hist_params p = params(3);
	struct hist_case c;
	enum { N = 40000 };
	int cross = 0, supp = 0, rej = 0, wd = 0, wechat = 0, paid = 0, open_old = 0, old = 0, open_new = 0, newer = 0;
	int cross_early = 0, early = 0, cross_late = 0, later = 0, mortgages = 0, late = 0, decided = 0;
	for (uint64_t i = 0; i < N; i++) {
		CHECK(hist_case(&p, i, &c) == 0);
		cross += c.cross;
		supp += c.supplement;
		rej += c.state == HS_REJECTED;
		wd += c.state == HS_WITHDRAWN;
		mortgages += c.type == 0;
		if (c.channel == HPAY_WECHAT || c.channel == HPAY_CASH || c.channel == HPAY_POS) {
			paid++;
			wechat += c.channel == HPAY_WECHAT;
		}
		long age = (p.now - c.received) / 86400;
		int open = c.state == HS_SUBMITTED || c.state == HS_ACCEPTED || c.state == HS_SUPPLEMENT_REQUESTED ||
			   c.state == HS_APPROVED;
		if (age > 180)
			old++, open_old += open;
		if (age < 5)
			newer++, open_new += open;
		if (age > 600)
			early++, cross_early += c.cross;
		if (age < 120)
			later++, cross_late += c.cross;
		for (size_t k = 0; k < c.nev; k++)
			if (c.ev[k].action == HA_REGISTER || c.ev[k].action == HA_REJECT)
				decided++, late += c.decided_late;
	}
	CHECK(cross > N * 8 / 100 && cross < N * 12 / 100);
	CHECK(cross_late > 0 && early > 0 && (double)cross_late / later > (double)cross_early / early);
	CHECK(supp > N * 12 / 100 && supp < N * 20 / 100);
	CHECK(rej > N * 2 / 100 && rej < N * 4 / 100);
	CHECK(wd > N * 3 / 100 && wd < N * 5 / 100);
	CHECK(wechat > paid / 4 && wechat < paid * 6 / 10);
	CHECK(open_old == 0 && old > 0);
	CHECK(newer > 0 && open_new > newer / 2);
	CHECK(late > 0 && late < decided / 10);
	CHECK(mortgages > N / 3 && mortgages < N / 2); /* mortgage.establish of these five types */
}

static void test_queries_follow_the_rules(void)
{
	struct hist_params p = params(5);
	struct hist_query q;
	int kinds[QR_KIND_COUNT] = { 0 }, ok = 1, pending_old = 0;
	for (uint64_t i = 0; i < 10000; i++) {
		CHECK(hist_query(&p, i, &q) == 0);
		kinds[q.kind]++;
		ok &= q.at <= p.now && q.county < 6;
		if (q.kind == QR_HEIR_GUARDIAN)
			ok &= q.cond == 2;
		if (q.kind == QR_INTERESTED_PARTY || q.kind == QR_PROSPECTIVE_PARTY)
			ok &= q.cond != 2;
		ok &= (q.state == HQ_PENDING) == (q.decided_at == 0 && !q.approved && q.state == HQ_PENDING);
		if (q.state == HQ_REJECTED)
			ok &= q.approved && q.decided_at > q.at;
		pending_old += q.state == HQ_PENDING && p.now - q.at > 10 * 86400;
	}
	CHECK(ok);
	CHECK(pending_old == 0);
	for (int k = 0; k < QR_KIND_COUNT; k++)
		CHECK(kinds[k] > 0);
	CHECK(kinds[QR_HOLDER] > 4000 && kinds[QR_HOLDER] < 5000);
}

int main(void)
{
	TEST(test_the_same_seed_gives_the_same_cases);
	TEST(test_every_case_follows_the_workflow_in_time);
	TEST(test_the_shares_are_near_their_aims);
	TEST(test_queries_follow_the_rules);
	return check_done();
}
