#ifndef TB_PUBLIC_H
#define TB_PUBLIC_H
#include "../core/req.h"

void h_division_get(struct req *r);
void h_division_list(struct req *r);
void h_division_resolve(struct req *r);
void h_progress(struct req *r);
/* The applicant's proof (progress.c), shared by the progress and payment
 * lookups: the body {"number", "id_last6"} checked, and the keyed hash
 * of "number:LAST6" (hex) the database compares; 0, or -1 after replying
 * (400, 503 without data keys). Wipe hex after use. */
int progress_proof(struct req *r, const char **number, char hex[65]);
/* Reply for a proof check's outcome (cases.progress_check) that is not
 * "ok": 429 progress_locked with Retry-After, or 404 progress_not_found
 * (the same for an unknown number and a wrong pair). 1 when it replied. */
int progress_refused(struct req *r, const char *outcome, int retry_after);
/* payments.c: the provider's notifications and the applicant's payment */
void h_payment_notify(struct req *r);
void h_public_payment(struct req *r);
struct worker;
int public_worker_init(struct worker *w);
void h_bank_list(struct req *r);
/* the query keys of GET /api/v1/divisions (divisions.c) */
extern const struct qkey division_list_query[];

/* certificate verification (certificates.c) */
void h_certificate_verify(struct req *r);
extern const struct qkey certificate_verify_query[];

/* policies for applicants (policies.c) */
void h_public_policies(struct req *r);
void h_public_policy(struct req *r);
void h_public_policy_attachment(struct req *r);
extern const struct qkey public_policies_query[];

#endif
