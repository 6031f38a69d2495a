#include "registry.h"

#include <string.h>

#include "workdays.h"
#include "workflow.h"

const char *entry_kind_name(enum entry_kind k)
{
	switch (k) {
	case EK_OWNERSHIP: return "ownership";
	case EK_MORTGAGE: return "mortgage";
	case EK_PRE_NOTICE: return "pre_notice";
	case EK_SEIZURE: return "seizure";
	case EK_OBJECTION: return "objection";
	}
	return NULL;
}

const struct reg_category reg_categories[] = {
	{ "ownership", EK_OWNERSHIP, HOLDER_RIGHT_HOLDERS, NULL, NULL, RANK_NONE, CERT_RIGHT, 0, 0 },
	{ "mortgage", EK_MORTGAGE, HOLDER_FIELD, "mortgagee_name", "amount_fen", RANK_NEXT, CERT_PROOF, 0, 0 },
	{ "pre_notice", EK_PRE_NOTICE, HOLDER_FIELD, "buyer", "price_fen", RANK_NONE, CERT_PROOF, 0, 0 },
	{ "seizure", EK_SEIZURE, HOLDER_FIELD, "court", NULL, RANK_WAITLIST, CERT_PROOF, 1, 1 },
	{ "objection", EK_OBJECTION, HOLDER_FIRST_RIGHT_HOLDER, NULL, NULL, RANK_NONE, CERT_PROOF, 1, 0 },
};
const size_t reg_ncategories = sizeof(reg_categories) / sizeof(reg_categories[0]);

const struct reg_category *reg_category_of(const char *category)
{
	for (size_t i = 0; category && i < reg_ncategories; i++)
		if (strcmp(reg_categories[i].category, category) == 0)
			return &reg_categories[i];
	return NULL;
}

int reg_plan_for(const char *category, const char *action, struct reg_plan *out)
{
	static const char *const actions[] = { "establish", "transfer", "change", "cancellation", "other" };
	const struct reg_category *c = reg_category_of(category);
	size_t a = 0;
	while (action && a < sizeof(actions) / sizeof(actions[0]) && strcmp(actions[a], action) != 0)
		a++;
	if (c == NULL || action == NULL || a == sizeof(actions) / sizeof(actions[0]))
		return -1;
	int cancel = strcmp(action, "cancellation") == 0;
	int replaces = strcmp(action, "transfer") == 0 || strcmp(action, "change") == 0;
	*out = (struct reg_plan){
		.cat = c,
		.writes = !cancel,
		/* a new owner replaces every earlier one; other rights end one by one */
		.ends = c->kind == EK_OWNERSHIP && replaces ? ENDS_OWNERS : ENDS_NAMED,
		.keeps_rank = !cancel && strcmp(action, "establish") != 0 && c->rank != RANK_NONE,
	};
	return 0;
}

const struct unit_case *reg_blocking_case(const struct reg_plan *p, int64_t received_us,
					  const struct unit_case *others, size_t n)
{
	if (p->cat->ahead_of_pending)
		return NULL;
	const struct unit_case *first = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct unit_case *o = &others[i];
		if (!workflow_state_pending(o->state) || o->received_us == 0)
			continue;
		if (received_us != 0 && o->received_us >= received_us)
			continue;
		if (first == NULL || o->received_us < first->received_us)
			first = o;
	}
	return first;
}

int reg_seizure_allows(const struct reg_plan *p, int seizures_in_force)
{
	return seizures_in_force == 0 || !p->writes || p->cat->while_seized;
}

int reg_waits(const struct reg_plan *p, int same_kind_in_force)
{
	return p->writes && p->cat->rank == RANK_WAITLIST && same_kind_in_force > 0;
}

int64_t reg_rank(const struct reg_plan *p, int64_t named_rank, int64_t highest_in_force)
{
	if (!p->writes || p->cat->rank == RANK_NONE)
		return 0;
	if (p->keeps_rank && named_rank > 0)
		return named_rank;
	return highest_in_force + 1;
}

int seizure_term_check(const char *from, const char *to)
{
	int f, t;
	if (iso_date_parse(from, &f) != 0 || iso_date_parse(to, &t) != 0 || t <= f)
		return -1;
	/* three years on: the same month and day (a 29 February ends on 1 March) */
	int limit = f + 30000;
	if (!ymd_valid(limit))
		limit = (f / 10000 + 3) * 10000 + 301;
	return t <= limit ? 0 : -1;
}

int reg_takes_effect(const struct seizure_in_force *s, size_t n)
{
	int first = -1;
	for (size_t i = 0; i < n; i++) {
		if (!s[i].waiting)
			return -1;
		if (first < 0 || s[i].rank < s[first].rank)
			first = (int)i;
	}
	return first;
}

int share_parse(const char *s, long *num, long *den)
{
	long v[2] = { 0, 0 };
	int part = 0, digits = 0;
	for (const char *c = s; c && *c; c++) {
		if (*c == '/' && part == 0 && digits > 0) {
			part = 1;
			digits = 0;
		} else if (*c >= '0' && *c <= '9' && digits < 5 && !(digits == 0 && *c == '0')) {
			v[part] = v[part] * 10 + (*c - '0');
			digits++;
		} else {
			return -1;
		}
	}
	if (part != 1 || digits == 0 || v[0] < 1 || v[1] > 10000 || v[0] > v[1])
		return -1;
	*num = v[0];
	*den = v[1];
	return 0;
}

static long gcd(long a, long b)
{
	while (b) {
		long t = a % b;
		a = b;
		b = t;
	}
	return a;
}

enum share_problem shares_check(const char *const *shares, size_t n, size_t owners)
{
	/* the sum as a reduced fraction sn/sd; denominators stay <= 10000, so
	 * the running denominator (a least common multiple) is bounded by the
	 * check below before it could overflow */
	long sn = 0, sd = 1;
	for (size_t i = 0; i < n; i++) {
		long p, q;
		if (share_parse(shares[i], &p, &q) != 0)
			return SHARES_FORM;
		long l = sd / gcd(sd, q) * q;
		if (l > 1000000000L)
			return SHARES_SUM;
		sn = sn * (l / sd) + p * (l / q);
		sd = l;
		long g = gcd(sn, sd);
		sn /= g;
		sd /= g;
	}
	if (n != owners)
		return SHARES_COUNT;
	return sn == 1 && sd == 1 ? SHARES_OK : SHARES_SUM;
}

const char *share_default(size_t owners)
{
	return owners == 1 ? "1/1" : "共同共有";
}

const char *share_problem_text(enum share_problem p)
{
	switch (p) {
	case SHARES_OK: return "valid.";
	case SHARES_FORM: return "each share is a fraction p/q, 1 <= p <= q <= 10000.";
	case SHARES_COUNT: return "gives one share per right holder, in the order of the parties.";
	case SHARES_SUM: return "the shares must add up to exactly 1.";
	}
	return "invalid.";
}
