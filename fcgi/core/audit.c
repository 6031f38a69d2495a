#include "audit.h"

#include <inttypes.h>
#include <stdio.h>

#include "db.h"

static const struct stmt q_audit_insert = {
	"audit_insert",
	"INSERT INTO audit.event (at, actor_id, actor_name, agency_code, action, object_type,"
	" object_id, outcome, request_id, client_addr, details)"
	" VALUES (to_timestamp($1::float8 / 1000000), $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11::jsonb, '{}'))",
	11,
};

int audit_write(struct req *r, int64_t actor_id, const char *actor_name, const char *agency,
		const char *action, const char *object_type, const char *object_id, const char *outcome,
		const char *details)
{
	char at[24], actor[24];
	snprintf(at, sizeof(at), "%" PRId64, req_now_us(r));
	snprintf(actor, sizeof(actor), "%" PRId64, actor_id);
	const char *params[] = { at,	     actor_id ? actor : NULL, actor_name, agency,
				 action,     object_type,	     object_id,	 outcome,
				 r->request_id, r->remote_addr,	     details };
	return db_exec(r, &q_audit_insert, params) ? 0 : -1;
}
