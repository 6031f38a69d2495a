/* Archive queries (查档): evidence, queries and approvals, the sensitive
 * whitelist and query permissions — the handlers and what they share. */
#ifndef TB_ARCHIVE_H
#define TB_ARCHIVE_H
#include "../core/keyring.h"
#include "../core/list.h"
#include "../core/valid.h"
#include "query.h"

/* A person named by ID type and number: checked, then only the keyed
 * index and the masked form are kept. */
struct person_id {
	const char *id_type; /* as given (validated) */
	char index[65];
	char masked[40];
};
/* 0; or -1 after replying: 400 invalid_field (id_type), invalid_id_number,
 * 503 data_keys_unavailable. field prefixes the refusal's field name
 * ("requester/", "conditions/holder/", ""). */
int person_id_of(struct req *r, const char *field, const char *id_type, const char *number,
		 struct person_id *out) __attribute__((warn_unused_result));


void h_evidence_upload(struct req *r);
void h_query_create(struct req *r);
void h_query_list(struct req *r);
void h_query_get(struct req *r);
void h_query_approvals(struct req *r);
void h_query_approve(struct req *r);
void h_query_reject(struct req *r);
void h_whitelist_list(struct req *r);
void h_whitelist_add(struct req *r);
void h_whitelist_remove(struct req *r);
void h_qperm_list(struct req *r);
void h_qperm_put(struct req *r);

#endif
