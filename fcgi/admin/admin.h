/* The admin service: accounts, log-in, roles and grants, agencies,
 * permission requests, the audit trail. */
#ifndef TB_ADMIN_H
#define TB_ADMIN_H
#include <stdint.h>

#include "../core/audit.h"
#include "../core/auth.h"
#include "../core/db.h"
#include "../core/json.h"
#include "../core/keyring.h"
#include "../core/list.h"
#include "../core/server.h"
#include "../core/valid.h"

/* session.c */
void h_login(struct req *r);
void h_logout(struct req *r);
void h_me(struct req *r);
void h_password(struct req *r);
void h_totp_enroll(struct req *r);
void h_totp_confirm(struct req *r);
void h_sessions(struct req *r);
void h_session_revoke(struct req *r);
/* The worker's data keys, or NULL after replying 503 data_keys_unavailable. */
const struct keyring *data_keys(struct req *r);
/* A new one-time TOTP enrolment code ("XXXX-XXXX-XXXX-XXXX", in the arena)
 * and its SHA-256 (hex, what is stored); NULL on failure. */
char *enrol_code_new(struct req *r, char hash_hex[65]);
int enrol_code_hash(const char *typed, size_t n, char out[65]);
#define ENROL_CODE_HOURS 72
/* login-locks (locks.c) */
void h_login_locks(struct req *r);
void h_login_lock_lift(struct req *r);
/* users.c */
void h_users_list(struct req *r);
void h_user_create(struct req *r);
void h_user_get(struct req *r);
void h_user_patch(struct req *r);
void h_user_password_reset(struct req *r);
/* grants.c */
void h_roles(struct req *r);
void h_grants_list(struct req *r);
void h_grant_create(struct req *r);
void h_grant_delete(struct req *r);
void h_permreq_create(struct req *r);
void h_permreq_list(struct req *r);
void h_permreq_decide(struct req *r);
/* Does a division have this code? (one row or none; defined in grants.c) */
#define Q_DIVISION_EXISTS(P, C) P(code, TEXT) C(one, INT)
DB_QUERY_DECL(division_exists, Q_DIVISION_EXISTS);
int grant_allowed(struct req *r, const struct principal *p, const char *role, const char *scope);
/* agencies.c */
void h_agencies_list(struct req *r);
void h_agency_create(struct req *r);
void h_agency_patch(struct req *r);
/* audit_api.c */
void h_audit_list(struct req *r);
void h_audit_verify(struct req *r);
int admin_background(struct worker *w);
/* workflow.c */
void h_workflow_types(struct req *r);
void h_workflow_type_patch(struct req *r);
void h_pilots(struct req *r);
void h_pilot_switch(struct req *r);
/* policies.c: 政策法规 */
void h_policies_list(struct req *r);
void h_policy_create(struct req *r);
void h_policy_get(struct req *r);
void h_policy_patch(struct req *r);
void h_policy_read(struct req *r);
void h_policy_publish(struct req *r);
void h_policy_withdraw(struct req *r);
void h_policy_versions(struct req *r);
void h_policy_version_get(struct req *r);
void h_policy_attachment_add(struct req *r);
void h_policy_attachment_get(struct req *r);
void h_policy_attachment_delete(struct req *r);
extern const struct qkey policies_query[], policy_attachment_query[];
/* stats.c */
void h_stats(struct req *r);
extern const struct qkey stats_query[];
/* Fold the statistics deltas into the summaries (about once a second). */
void stats_fold_tick(struct db *d);
/* calendar.c */
void h_calendar_get(struct req *r);
void h_calendar_day(struct req *r);
void h_calendar_year(struct req *r);
extern const struct qkey calendar_query[];

/* helpers */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
/* The route keys of the lists (main.c's table). */
extern const struct qkey users_query[], agencies_query[], permreq_query[], audit_query[];
/* The answer to a statement that failed with sqlstate: a unique violation
 * 409 with code and detail, otherwise db_reply_sqlstate's. */
void refuse_unique(struct req *r, const char *sqlstate, const char *code, const char *detail);
/* 0 when p may manage account uid with perm (iam.may_manage: never their
 * own, never an equal or higher account), or -1 after replying 403
 * own_account / higher_account. */
int require_manageable(struct req *r, const struct principal *p, int64_t uid, const char *perm);
/* Name who acts in this transaction (tb.actor) for the trigger that guards
 * passwords, status and enrolment codes of accounts. 0 or -1 after replying. */
int db_set_actor(struct req *r, int64_t uid);

/* An agency code as agencies are numbered: 6 or 8 digits (agencies.c). */
int is_agency_code(const char *s);

#endif
