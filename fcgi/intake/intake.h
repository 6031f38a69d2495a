/* The intake service: cases across jurisdictions. */
#ifndef TB_INTAKE_H
#define TB_INTAKE_H
#include "../core/audit.h"
#include "../core/auth.h"
#include "../core/db.h"
#include "../core/server.h"
#include "../core/valid.h"

void h_case_create(struct req *r);
void h_case_get(struct req *r);
void h_case_action(struct req *r);
void h_business_types(struct req *r);
void h_attachment_upload(struct req *r);
void h_attachment_list(struct req *r);
void h_attachment_get(struct req *r);
void h_case_list(struct req *r);
void h_notifications(struct req *r);
void h_notification_read(struct req *r);

/* The case as JSON (detail view: parties masked, timeline, conflicts). */
void gen_case(struct req *r, const char *id);
/* The same from a row of the case query already read. */
void gen_case_row(struct req *r, const char *id, PGresult *row);
char *i64str(struct req *r, int64_t v);
/* {"k1": v1, "k2": v2} through yajl (k2 may be NULL). */
char *json_pairs(struct req *r, const char *k1, const char *v1, const char *k2, const char *v2);
/* Statements shared by creation and transitions. */
extern const struct stmt q_case_event, q_case_outbox;

#endif
