/* Idempotency-Key for creating POSTs: inside the creating transaction, the
 * key is claimed for the user; a retry with the same key and body gets the
 * first answer again (never a second object), a different body 422. A retry
 * racing the first request waits on the key's row until it commits. */
#ifndef TB_IDEM_H
#define TB_IDEM_H
#include <stdint.h>

#include "req.h"

enum idem_result {
	IDEM_NONE,	/* no key: go on, nothing to store */
	IDEM_NEW,	/* claimed: go on, call idem_store before committing */
	IDEM_DONE,	/* replied (the stored answer, or an error) */
};

enum idem_result idem_begin(struct req *r, int64_t user_id, const char *route);
/* Keep the response decided so far (status, body, Location: set it first)
 * as the key's answer. 0 or -1 (replied). */
int idem_store(struct req *r, int64_t user_id) __attribute__((warn_unused_result));

#endif
