/* The versions behind the registry search cache (query/search.c): every
 * cached answer is valid only while the version key of its condition — the
 * unit, the certificate number or the holder's keyed ID-number index — still
 * holds the value it was built under. A registration renews the version
 * keys of everything it touched once it has committed (the intake service,
 * regcache_collect + regcache_bump), so no answer built before the commit is
 * served after it.
 *
 * Version values are never reused (time, process and random bytes), so a
 * version key that Redis evicted or lost can only miss: a reader that finds
 * none sets a fresh one (SET NX) before building. Version keys have no TTL,
 * answers do. When the renewal fails, reg.search_generation is counted up
 * instead; answers record the generation too. */
#ifndef TB_REGCACHE_H
#define TB_REGCACHE_H
#include <stddef.h>

#include "arena.h"
#include "req.h"

/* version keys, in the arena (NULL when out of memory); the certificate
 * number is hashed (a key of fixed form whatever its text) */
char *regcache_key_unit(struct arena *a, const char *code);
char *regcache_key_cert(struct arena *a, const char *certificate_no);
char *regcache_key_holder(struct arena *a, const char *id_index);
/* A version value never issued before, NUL-terminated (at most 47 chars). */
void regcache_fresh(char out[48]);

struct regcache_touch {
	const char **keys;
	size_t n;
};
/* Inside a registration's transaction, after its writes: the version keys
 * of the unit, and of the holders and certificate numbers of its entries in
 * force now or ended by this case. 0, or -1 after replying. */
int regcache_collect(struct req *r, const char *unit, const char *case_id, struct regcache_touch *t)
	__attribute__((warn_unused_result));
/* After the commit: renew those keys; when Redis does not take it, count
 * reg.search_generation up. Replies nothing (the answer is made); a failure
 * of both is logged. */
void regcache_bump(struct req *r, const struct regcache_touch *t);

#endif
