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

/* The case as JSON (detail view: parties masked, timeline, conflicts, and
 * the actions the request's user may take now). */
void gen_case(struct req *r, const char *id);
/* The same from the rows of the case query already read, with the allowed
 * actions already found. */
void gen_case_row(struct req *r, PGresult *row, const char *const *acts, size_t nacts);
/* The actions p may take on the case now (actions.c): the transitions out
 * of its state enabled for its type, whose permission p holds over the
 * acting side, not barred for p by a two-person rule — the checks the
 * action endpoint makes, through the same statement. The count (names in
 * *out, in the arena), or -1 after replying. */
int case_allowed_actions(struct req *r, const struct principal *p, const char *id, const char *state,
			 const char *type, const char *rdiv, const char *ddiv, const char ***out);
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
