/* Appending to the audit trail, inside the caller's transaction so the row
 * exists exactly when the change it records does. details is a JSON object
 * (text) without secrets or full ID numbers, or NULL. The actor is given as
 * values (auth_audit in auth.h writes one as the session's user): the audit
 * trail knows nothing of sessions. */
#ifndef TB_AUDIT_H
#define TB_AUDIT_H
#include <stdint.h>

#include "req.h"

/* actor_id 0: no known user (actor_name may still say who tried). 0, or -1
 * after replying (database unavailable). */
int audit_write(struct req *r, int64_t actor_id, const char *actor_name, const char *agency,
		const char *action, const char *object_type, const char *object_id, const char *outcome,
		const char *details) __attribute__((warn_unused_result));

#endif
