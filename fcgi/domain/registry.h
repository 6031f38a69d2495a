/* What registering (登簿) a case writes into the registry, by the business
 * type's category and action: one table, no branch per category in the
 * handler. The intake handler loads the facts (the case, the unit's
 * entries in force, the other cases on the unit), asks these functions and
 * stores what they decide. Pure: no I/O. */
#ifndef TB_REGISTRY_H
#define TB_REGISTRY_H
#include <stddef.h>
#include <stdint.h>

#include "register.h"

/* reg.entry.kind */
enum entry_kind { EK_OWNERSHIP, EK_MORTGAGE, EK_PRE_NOTICE, EK_SEIZURE, EK_OBJECTION };
const char *entry_kind_name(enum entry_kind k);

/* Who the written entry's holder is. */
enum holder_from {
	HOLDER_FIELD,		/* the business field holder_field (e.g. the mortgagee, the court) */
	HOLDER_RIGHT_HOLDERS,	/* every right-holder party, one entry each, with its share */
	HOLDER_FIRST_RIGHT_HOLDER, /* the first right-holder party (e.g. the objector) */
};
/* How the entry is ranked. */
enum rank_rule {
	RANK_NONE,
	RANK_NEXT,	/* after the entries of its kind in force (mortgage order 顺位) */
	RANK_WAITLIST,	/* the same, and waiting (轮候) while one of its kind is in force */
};
/* What a registration ends besides writing. */
enum ends_rule {
	ENDS_NAMED,	/* the entry the case names (fields.entry_id), if it names one */
	ENDS_OWNERS,	/* every ownership entry in force (the earlier owners) */
};

/* One row per category (cases.business_type.category). */
struct reg_category {
	const char *category;
	enum entry_kind kind;
	enum holder_from holder;
	const char *holder_field;	/* with HOLDER_FIELD */
	const char *amount_field;	/* the business field with the amount (fen), or NULL */
	enum rank_rule rank;
	enum cert_kind cert;		/* 不动产权 for ownership, 不动产证明 for the rest */
	int while_seized;		/* may be registered on a seized unit */
	int ahead_of_pending;		/* not held back by earlier pending cases (a court's order) */
};
extern const struct reg_category reg_categories[];
extern const size_t reg_ncategories;
const struct reg_category *reg_category_of(const char *category);

/* The plan for one business type (category and action). */
struct reg_plan {
	const struct reg_category *cat;
	int writes;		/* 0: a cancellation ends the named entry and writes nothing */
	enum ends_rule ends;
	int keeps_rank;		/* a changed or transferred ranked entry keeps its place */
};
/* 0, or -1 for a category or action the registry does not know. */
int reg_plan_for(const char *category, const char *action, struct reg_plan *out);

/* ---- decisions over the facts the handler loads --------------------------- */
/* Another case on the unit, as loaded. */
struct unit_case {
	const char *number, *state;
	int64_t received_us;	/* 0: not received */
};
/* Priority: the case that must be decided first — the earliest received
 * one still pending (workflow.h) received before this case — or NULL. */
const struct unit_case *reg_blocking_case(const struct reg_plan *p, int64_t received_us,
					  const struct unit_case *others, size_t n);
/* Seizure: whether the plan may be registered while seizures_in_force
 * seizures (查封, wait-listed ones included) bind the unit. A seized unit
 * registers nothing but the types the court's side owns (another seizure,
 * its release, objections) and cancellations. */
int reg_seizure_allows(const struct reg_plan *p, int seizures_in_force);
/* Whether the entry written waits (轮候) behind others of its kind. */
int reg_waits(const struct reg_plan *p, int same_kind_in_force);
/* The rank of the entry written: kept (a change), after the highest in
 * force, or 0 (none). */
int64_t reg_rank(const struct reg_plan *p, int64_t named_rank, int64_t highest_in_force);

/* A seizure's term (查封期限), YYYY-MM-DD: to after from, and no longer than
 * three years (a court renews a seizure by a new order). 0, or -1. */
int seizure_term_check(const char *from, const char *to);

/* A seizure in force, as loaded, for what a release lets take effect. */
struct seizure_in_force {
	int64_t id, rank;	/* rank 0: none recorded (before the wait-list) */
	int waiting;
};
/* After a release: the index of the wait-listed seizure that takes effect
 * now — the first in rank, when none in force is in effect — or -1. */
int reg_takes_effect(const struct seizure_in_force *s, size_t n);

/* ---- shares of co-owners ---------------------------------------------------
 * A share is "p/q" (1 <= p <= q <= 10000). Given, there is one per owner in
 * party order and they sum to exactly 1 (按份共有); not given, a sole owner
 * holds "1/1" and several hold jointly (共同共有). */
enum share_problem { SHARES_OK, SHARES_FORM, SHARES_COUNT, SHARES_SUM };
int share_parse(const char *s, long *num, long *den);
enum share_problem shares_check(const char *const *shares, size_t n, size_t owners);
const char *share_default(size_t owners);
const char *share_problem_text(enum share_problem p);

#endif
