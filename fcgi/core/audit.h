/* Appending to the audit trail, inside the caller's transaction so the row
 * exists exactly when the change it records does. details is a JSON object
 * (text) without secrets or full ID numbers, or NULL. */
#ifndef TB_AUDIT_H
#define TB_AUDIT_H
#include "auth.h"

int audit_write(struct req *r, const struct principal *p, const char *action,
		const char *object_type, const char *object_id, const char *outcome,
		const char *details) __attribute__((warn_unused_result));
/* Identity fields for a subject that is not the session's (a failed log-in). */
int audit_write_as(struct req *r, int64_t actor_id, const char *actor_name, const char *agency,
		   const char *action, const char *object_type, const char *object_id,
		   const char *outcome, const char *details) __attribute__((warn_unused_result));

#endif
