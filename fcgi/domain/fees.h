/* Fees (不动产登记费, 发改价格规〔2016〕2559号): what a registration is
 * charged, computed from the standards table (cases.fee_standard, loaded
 * by the intake worker) and the facts of the case. Pure: no I/O. Amounts
 * are integer fen; a half fee rounds down to the fen.
 *
 *   registration fee, per case (件), by the unit's use:
 *     residential                   reg_residential       80 CNY
 *     parking, garage, storeroom    reg_parking           80 CNY
 *     non-residential, other        reg_non_residential  550 CNY
 *   certificates: the first free; each extra 不动产权证书 cert_extra 10 CNY
 *     (a 不动产登记证明 — mortgage, pre-notice, seizure… — carries none)
 *   the business type's rule: standard; half (the registration fee of
 *     corrections, objections, name changes: the certificate charge is not
 *     halved); free (cancellations, seizures and their release)
 *   a small or micro business's loan (mortgage with small_business_loan):
 *     free */
#ifndef TB_FEES_H
#define TB_FEES_H
#include <stddef.h>
#include <stdint.h>

#include "register.h"

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

/* One row of cases.fee_standard. */
struct fee_standard {
	const char *code, *name;
	int64_t amount_fen;
};
struct fee_table {
	const struct fee_standard *s;
	size_t n;
};
/* The codes the computation reads: a table without one of them cannot
 * charge every case (the intake worker refuses to start). */
extern const char *const fee_codes_needed[];
extern const size_t fee_ncodes_needed;
const struct fee_standard *fee_standard_find(const struct fee_table *t, const char *code);
/* The registration fee's standard for a unit's use (reg.unit.use), or
 * NULL for a use the rules do not know. */
const char *fee_standard_for_use(const char *use);

/* What a case is charged by. */
struct fee_case {
	struct fee_facts type;
	const char *unit_use;
	int certificates;		/* 1..FEE_MAX_CERTIFICATES */
	enum cert_kind cert;		/* what registering it issues */
	int small_business_loan;	/* counts for mortgages only */
};
#define FEE_MAX_CERTIFICATES 20

/* A computed item: code is the standard's (and rule); the basis says in
 * Chinese why this amount. */
struct fee_line {
	const char *code, *description;
	int64_t quantity, unit_price_fen, amount_fen;
	char basis[256];	/* standards' names are at most 40 characters (sql/0021) */
};
#define FEE_MAX_LINES 2

enum fee_problem { FEE_OK, FEE_BAD_RULE, FEE_BAD_USE, FEE_NO_STANDARD, FEE_BAD_CERTIFICATES };
const char *fee_problem_text(enum fee_problem p);

/* The items of a case into out (*n of them) and their total. FEE_OK, or
 * the problem (nothing to charge by: *n 0). */
enum fee_problem fee_compute(const struct fee_table *t, const struct fee_case *c,
			     struct fee_line out[FEE_MAX_LINES], size_t *n, int64_t *total_fen);

/* Fen as yuan for people: whole yuan without decimals ("80"), else two
 * ("40.50", "0.01"). 0, or -1 when it does not fit or fen < 0. */
int fee_yuan(char *buf, size_t size, int64_t fen);

#endif
