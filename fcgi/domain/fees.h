/* Fees: which rule a business type's registration is charged by. A hook
 * for the payments work (issue 11): today it reads the type's fee_rule
 * label; the amounts per rule come with that work. */
#ifndef TB_FEES_H
#define TB_FEES_H
#include <stdint.h>

enum fee_rule { FEE_UNKNOWN, FEE_STANDARD, FEE_HALF, FEE_FREE };

/* The facts of a business type a fee depends on (cases.business_type). */
struct fee_facts {
	const char *category, *action;
	const char *fee_rule;	/* the label: standard, half, free */
};

/* "standard" -> FEE_STANDARD …; anything else FEE_UNKNOWN */
enum fee_rule fee_rule_parse(const char *label);
const char *fee_rule_name(enum fee_rule r);
/* The rule a type is charged by. */
enum fee_rule fee_rule_for(const struct fee_facts *t);
/* The amount due under the rule for a standard amount (half rounds down to
 * the fen); -1 for FEE_UNKNOWN. */
int64_t fee_apply(enum fee_rule r, int64_t standard_fen);

#endif
