#include "fees.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	enum fee_rule rule;
} rules[] = {
	{ "standard", FEE_STANDARD },
	{ "half", FEE_HALF },
	{ "free", FEE_FREE },
};

enum fee_rule fee_rule_parse(const char *label)
{
	for (size_t i = 0; label && i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].name, label) == 0)
			return rules[i].rule;
	return FEE_UNKNOWN;
}

const char *fee_rule_name(enum fee_rule r)
{
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].rule == r)
			return rules[i].name;
	return NULL;
}

enum fee_rule fee_rule_for(const struct fee_facts *t)
{
	return t ? fee_rule_parse(t->fee_rule) : FEE_UNKNOWN;
}

int64_t fee_apply(enum fee_rule r, int64_t standard_fen)
{
	if (standard_fen < 0)
		return -1;
	switch (r) {
	case FEE_STANDARD: return standard_fen;
	case FEE_HALF: return standard_fen / 2;
	case FEE_FREE: return 0;
	case FEE_UNKNOWN: break;
	}
	return -1;
}

const char *const fee_codes_needed[] = { "reg_residential", "reg_non_residential", "reg_parking", "cert_extra" };
const size_t fee_ncodes_needed = sizeof(fee_codes_needed) / sizeof(fee_codes_needed[0]);

const struct fee_standard *fee_standard_find(const struct fee_table *t, const char *code)
{
	for (size_t i = 0; t && code && i < t->n; i++)
		if (strcmp(t->s[i].code, code) == 0)
			return &t->s[i];
	return NULL;
}

const char *fee_standard_for_use(const char *use)
{
	static const char *const map[][2] = {
		{ "residential", "reg_residential" },
		{ "parking", "reg_parking" },
		{ "storeroom", "reg_parking" },
		{ "non_residential", "reg_non_residential" },
		/* land, forest and the like: not a dwelling, so the 非住宅 fee */
		{ "other", "reg_non_residential" },
	};
	for (size_t i = 0; use && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i][0], use) == 0)
			return map[i][1];
	return NULL;
}

const char *fee_problem_text(enum fee_problem p)
{
	switch (p) {
	case FEE_OK: return "ok";
	case FEE_BAD_RULE: return "the business type's fee rule is unknown";
	case FEE_BAD_USE: return "the unit's use is unknown to the fee rules";
	case FEE_NO_STANDARD: return "a fee standard the rules need is missing";
	case FEE_BAD_CERTIFICATES: return "the number of certificates is out of range";
	}
	return "unknown";
}

int fee_yuan(char *buf, size_t size, int64_t fen)
{
	if (fen < 0 || size == 0)
		return -1;
	int n = fen % 100 ? snprintf(buf, size, "%lld.%02lld", (long long)(fen / 100), (long long)(fen % 100))
			  : snprintf(buf, size, "%lld", (long long)(fen / 100));
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* Why a type pays half or nothing, in the words of the rules. */
static const char *half_why(const struct fee_facts *t)
{
	if (t->category && strcmp(t->category, "objection") == 0)
		return "异议登记";
	if (t->action && strcmp(t->action, "correction") == 0)
		return "更正登记";
	if (t->action && strcmp(t->action, "change") == 0)
		return "变更登记";
	return NULL;
}

static const char *free_why(const struct fee_facts *t)
{
	if (t->category && strcmp(t->category, "seizure") == 0)
		return t->action && strcmp(t->action, "cancellation") == 0 ? "解封登记免收" : "查封登记免收";
	if (t->action && strcmp(t->action, "cancellation") == 0)
		return "注销登记免收";
	return "免收登记费";
}

enum fee_problem fee_compute(const struct fee_table *t, const struct fee_case *c,
			     struct fee_line out[FEE_MAX_LINES], size_t *n, int64_t *total_fen)
{
	*n = 0;
	*total_fen = 0;
	enum fee_rule rule = fee_rule_for(&c->type);
	if (rule == FEE_UNKNOWN)
		return FEE_BAD_RULE;
	if (c->certificates < 1 || c->certificates > FEE_MAX_CERTIFICATES)
		return FEE_BAD_CERTIFICATES;
	const char *code = fee_standard_for_use(c->unit_use);
	if (code == NULL)
		return FEE_BAD_USE;
	const struct fee_standard *reg = fee_standard_find(t, code), *cert = fee_standard_find(t, "cert_extra");
	if (reg == NULL || cert == NULL || reg->amount_fen < 0 || cert->amount_fen < 0)
		return FEE_NO_STANDARD;
	/* a small or micro business's loan is free whatever the type's rule */
	int small = c->small_business_loan && c->type.category && strcmp(c->type.category, "mortgage") == 0;
	if (small)
		rule = FEE_FREE;
	char yuan[32];
	if (fee_yuan(yuan, sizeof(yuan), reg->amount_fen) != 0)
		return FEE_NO_STANDARD;
	struct fee_line *l = &out[(*n)++];
	*l = (struct fee_line){ reg->code, reg->name, 1, fee_apply(rule, reg->amount_fen), 0, "" };
	l->amount_fen = l->unit_price_fen;
	if (rule == FEE_STANDARD) {
		snprintf(l->basis, sizeof(l->basis), "%s %s 元/件", reg->name, yuan);
	} else if (rule == FEE_HALF) {
		const char *why = half_why(&c->type);
		if (why)
			snprintf(l->basis, sizeof(l->basis), "%s %s 元/件，减半收取（%s）", reg->name, yuan, why);
		else
			snprintf(l->basis, sizeof(l->basis), "%s %s 元/件，减半收取", reg->name, yuan);
	} else {
		snprintf(l->basis, sizeof(l->basis), "%s", small ? "小微企业贷款免收" : free_why(&c->type));
	}
	*total_fen = l->amount_fen;
	/* 工本费: the first certificate free, each further 不动产权证书 charged
	 * in full (not halved); a free case is free of it too */
	if (c->cert == CERT_RIGHT && c->certificates > 1 && rule != FEE_FREE) {
		if (fee_yuan(yuan, sizeof(yuan), cert->amount_fen) != 0)
			return FEE_NO_STANDARD;
		l = &out[(*n)++];
		*l = (struct fee_line){ cert->code, cert->name, c->certificates - 1, cert->amount_fen, 0, "" };
		l->amount_fen = l->quantity * l->unit_price_fen;
		snprintf(l->basis, sizeof(l->basis), "不动产权证书工本费 %s 元/本，第一本免收，加收 %d 本", yuan,
			 c->certificates - 1);
		*total_fen += l->amount_fen;
	}
	return FEE_OK;
}
