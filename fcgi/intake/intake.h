/* The intake service: cases across jurisdictions. */
#ifndef TB_INTAKE_H
#define TB_INTAKE_H
#include "../core/audit.h"
#include "../core/auth.h"
#include "../core/db.h"
#include "../core/server.h"
#include "../core/valid.h"

void h_case_create(struct req *r);
void h_case_validate(struct req *r);
void h_case_get(struct req *r);
void h_case_action(struct req *r);
void h_business_types(struct req *r);
void h_attachment_upload(struct req *r);
void h_attachment_list(struct req *r);
void h_attachment_get(struct req *r);
void h_case_list(struct req *r);
/* the query keys of the list routes (worklists.c) */
extern const struct qkey case_list_query[], notifications_query[];
int case_number_ok(const char *s);
void h_notifications(struct req *r);
void h_notification_read(struct req *r);
/* receipt.c: the acceptance receipt and its QR code */
void h_receipt(struct req *r);
void h_receipt_qr(struct req *r);
/* payments.c: the case's payment order, its QR code and the voucher */
void h_payment_create(struct req *r);
void h_payment_get(struct req *r);
void h_payment_qr_png(struct req *r);
void h_payment_qr_svg(struct req *r);
void h_voucher_get(struct req *r);
/* The intake worker's start: the workflow check (actions_worker_init),
 * then the payment provider's adapter. */
int intake_worker_init(struct worker *w);
/* reconcile.c: the provider's daily statement and reconciliation */
void h_statement_import(struct req *r);
void h_reconciliation(struct req *r);
void h_reconcile_settle(struct req *r);
extern const struct qkey reconcile_query[];

/* The case as JSON (detail view: parties masked, timeline, conflicts, and
 * the actions the request's user may take now). */
void gen_case(struct req *r, const char *id);
/* The transitions out of a case's state, with what decides whether a user
 * may take each: action, to_state, permission, side, enabled for the type
 * (0 or 1), and the earlier action by which a two-person rule bars the user
 * ('' when none). TYPE, ID and USER are SQL expressions for the case's
 * business type, its id and the user's id; the caller writes FROM
 * cases.transition t and the condition on t.from_state. One text for the
 * action endpoint (actions.c) and the detail (cases.c), read in its own
 * round trip there and in the detail's statement here. */
#define CASE_MOVES_COLS(TYPE, ID, USER)                                                                         \
	" t.action, t.to_state, t.permission, t.side, (t.enabled AND NOT EXISTS (SELECT 1"                      \
	" FROM cases.type_action_off o WHERE o.business_type = " TYPE " AND o.action = t.action))::int,"        \
	" coalesce((SELECT s.earlier_action FROM cases.two_person_rule s WHERE s.later_action = t.action"      \
	"  AND (s.business_type IS NULL OR s.business_type = " TYPE ") AND EXISTS (SELECT 1 FROM cases.event e" \
	"  WHERE e.case_id = " ID " AND e.action = s.earlier_action AND e.actor_id = " USER ") ORDER BY s.id LIMIT 1), '')"
/* Whether p may take a transition of CASE_MOVES_COLS now (actions.c): enabled
 * for the type, not barred for p by a two-person rule, its permission held
 * over the acting side — the checks the action endpoint makes before the
 * version and the action's own rules. */
int case_move_allowed(const struct req *r, const struct principal *p, int enabled, const char *barred_by,
		      const char *perm, const char *side, const char *rdiv, const char *ddiv);
/* Whether p reads cases on either side (case.read over the receiving or
 * the deciding division). */
int case_readable(const struct req *r, const struct principal *p, const char *rdiv, const char *ddiv);
/* 404 case_not_found, the same for a missing case and for one the caller
 * may not see (existing_id not NULL: that attempt is audited first, so call
 * it outside a transaction). */
void case_not_found(struct req *r, const struct principal *p, const char *existing_id);
/* ID numbers at rest (parties.c): the data keys, or NULL after replying
 * 503 (fail closed); a number sealed for cases.party with its masked form,
 * its lookup index and the applicant's progress proof for case_number.
 * 0, or -1 (no reply). */
struct keyring;
struct sealed_id {
	char *sealed, index[65], progress[65], masked[40];
};
const struct keyring *data_keys(struct req *r);
int party_seal(struct req *r, const struct keyring *k, const char *id_type, const char *id_number,
	       const char *case_number, struct sealed_id *out) __attribute__((warn_unused_result));
void h_party_reveal(struct req *r);
void h_cases_by_id_number(struct req *r);
/* The intake worker's start (actions.c): the workflow in the database
 * (actions, states, business types) checked against the domain and the
 * action table; non-zero (each problem logged) refuses to start. */
int actions_worker_init(struct worker *w);
/* Fees (fees.c, rules in domain/fees.h). The worker's copy of the fee
 * standards, read at start: the number of problems (each logged; a
 * standard the rules need is missing), -1 when the database did not
 * answer. */
int fees_worker_init(struct worker *w);
/* Charge a case as the rules say: its items written (seq from 1), *total
 * the sum. In the caller's transaction; 0, or -1 after replying. */
int fees_charge(struct req *r, const char *case_id, int64_t *total) __attribute__((warn_unused_result));
/* set_fees: the cashier's adjustments (the body's list, or NULL) made —
 * items added or waived, each with a reason —, charging by the rules first
 * a case that has no items yet; *total the unwaived items' sum and
 * *details the event's details ({"adjustments": […], "total_fen"}). In the
 * caller's transaction; 0, or -1 after replying (400: nothing made). */
int fees_adjust(struct req *r, const struct principal *p, const char *case_id, const struct json *adjustments,
		int64_t *total, char **details) __attribute__((warn_unused_result));
/* Statements shared by creation and transitions (defined in cases.c):
 * the case event (from NULL for creation, details NULL for none) and the
 * outbox message. */
#define Q_CASE_EVENT(P, C)                                                                    \
	P(case_id, TEXT) P(now, I64) P(actor_id, I64) P(agency, TEXT) P(action, TEXT) P(from, TEXT) \
	P(to, TEXT) P(comment, TEXT) P(details, TEXT)
DB_QUERY_DECL(case_event_insert, Q_CASE_EVENT);
#define Q_CASE_OUTBOX(P, C) P(now, I64) P(topic, TEXT) P(case_id, TEXT) P(payload, TEXT)
DB_QUERY_DECL(case_outbox, Q_CASE_OUTBOX);

#endif
