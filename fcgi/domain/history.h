/* Synthetic case history for `tbctl seed-history`: what one past case was
 * (its business type, where it was received and decided, when, and every
 * step of the workflow it went through up to today), and one archive query.
 * Pure and deterministic: the same seed and index give the same case, so a
 * run can be regenerated and the generators tested on their own (no I/O).
 *
 * The steps follow cases.transition (sql/0005): create → draft, submit,
 * accept, (request_supplement, resubmit, accept)?, then reject, or approve,
 * register, set_fees, record_payment, issue, deliver, close; or withdraw
 * from a state that allows it. Times are office hours on working days of
 * the calendar; a step due after today has not happened yet, so old cases
 * are closed and recent ones still open (some past their due date). */
#ifndef TB_HISTORY_H
#define TB_HISTORY_H
#include <stddef.h>
#include <stdint.h>

#include "workdays.h"

enum hist_action {
	HA_CREATE, HA_SUBMIT, HA_ACCEPT, HA_REQUEST_SUPPLEMENT, HA_RESUBMIT, HA_REJECT, HA_APPROVE, HA_REGISTER,
	HA_SET_FEES, HA_RECORD_PAYMENT, HA_ISSUE, HA_DELIVER, HA_CLOSE, HA_WITHDRAW, HA_COUNT
};
enum hist_state {
	HS_NONE, HS_DRAFT, HS_SUBMITTED, HS_ACCEPTED, HS_SUPPLEMENT_REQUESTED, HS_REJECTED, HS_APPROVED,
	HS_REGISTERED, HS_FEES_SET, HS_PAID, HS_ISSUED, HS_DELIVERED, HS_CLOSED, HS_WITHDRAWN, HS_COUNT
};
/* who acts: the window that received the case, the deciding agency, the
 * payment provider (no person) */
enum hist_side { HSIDE_RECEIVING, HSIDE_DECIDING, HSIDE_PROVIDER };
enum hist_channel { HPAY_NONE, HPAY_CASH, HPAY_POS, HPAY_WECHAT, HPAY_NOT_DUE };

const char *hist_action_name(enum hist_action a);
const char *hist_state_name(enum hist_state s);	/* NULL for HS_NONE */
const char *hist_channel_name(enum hist_channel c);	/* "cash", "pos", "wechat"; NULL otherwise */

/* A business type as the database has it, and its share of cases. */
struct hist_type {
	const char *code;		/* cases.business_type.code */
	int promised_days;
	int no_fee;			/* its fees come to nothing (the rule free) */
	int pilot_only;			/* only where the division's ownership pilot is on */
	unsigned weight;		/* relative share; 0: never generated */
};
/* The share of a business type among a registration centre's cases
 * (per 10 000; 0 for a type not generated): mortgages and their release
 * most, then pre-notices, transfers where the ownership pilot is on,
 * seizures, objections. */
unsigned hist_type_share(const char *code);

struct hist_county {
	unsigned weight;		/* relative volume (urban districts more) */
	int city;			/* the county's city (any number the same for one city) */
	int pilot;			/* the ownership pilot is on: pilot-only types are taken */
};

struct hist_params {
	uint64_t seed;
	int months;			/* the history's length, to today */
	long today;			/* day number (days since 1970-01-01, Beijing) */
	int64_t now;			/* seconds since the epoch: nothing happens after it */
	const struct calendar *cal;
	const struct hist_type *types;
	size_t ntypes;
	const struct hist_county *counties;
	size_t ncounties;
};

#define HIST_MAX_EVENTS 20
struct hist_event {
	enum hist_action action;
	enum hist_state from, to;
	enum hist_side side;
	int64_t at;			/* seconds since the epoch */
	int actor;			/* 0 or 1: two people of the agency (approve and register differ) */
};

struct hist_case {
	size_t type;			/* index into params.types */
	size_t deciding, receiving;	/* indexes into params.counties */
	int cross;			/* received outside the deciding county */
	int64_t created, received;	/* received: first submit */
	int due_ymd;			/* from the last submit or resubmit; 0 while a draft */
	int due_from_ymd, due_days;	/* that submission's Beijing day and the promised days */
	enum hist_state state;
	int supplement, decided_late;
	enum hist_channel channel;	/* how the fees were paid (when they were) */
	int mail;			/* delivered by mail, else picked up */
	int parties;			/* 1-3 */
	uint64_t person;		/* the first party's person index (synth_id_number) */
	size_t nev;
	struct hist_event ev[HIST_MAX_EVENTS];
};

/* Case index of the run into out: 0, or -1 when the parameters cannot
 * give a case (no type or county with a weight, months < 1). */
int hist_case(const struct hist_params *p, uint64_t index, struct hist_case *out);

/* The working-day rule the intake applies: n working days after the
 * Beijing day of t (that day not counted), as YYYYMMDD. */
int hist_due(const struct calendar *cal, int64_t t, int n);

/* ---- archive queries (查档) ----------------------------------------------- */
enum hist_query_state { HQ_COMPLETED, HQ_PENDING, HQ_REJECTED };
struct hist_query {
	int kind;			/* enum qr_kind (query_rules.h) */
	size_t county;			/* where it was asked (index into params.counties) */
	int64_t at;
	enum hist_query_state state;
	int approved;			/* went through an approval (decided_by set) */
	int64_t decided_at;		/* 0 when undecided or never asked for approval */
	int cond;			/* 0 unit code, 1 certificate number, 2 holder */
	uint64_t person;		/* the requester's person index */
};
/* Query index into out (same seed and parameters as the cases): 0 or -1. */
int hist_query(const struct hist_params *p, uint64_t index, struct hist_query *out);

#endif
