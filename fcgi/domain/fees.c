#include "fees.h"

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
