/* The audit hash chain. A sealer appends to audit.seal, in the order it
 * seals them, one seal per event: hash_n = SHA-256(hash_{n-1} || canonical
 * event), where the canonical event is its fields length-prefixed. Writers
 * never wait on the chain: they only INSERT events. The sealer takes events
 * whose inserting transaction has ended (txid below the snapshot's xmin), so
 * an event can never appear behind the chain's head later. */
#ifndef TB_AUDIT_CHAIN_H
#define TB_AUDIT_CHAIN_H
#include <stdint.h>

#include "audit_anchor.h"
#include "db.h"

/* Where a verification stopped: the last position that verified and its
 * hash (the next link's input). Zeroed: before position 1. */
struct chain_walk {
	int64_t pos, seq;
	unsigned char hash[32];
};

struct chain_failure {
	int64_t pos, seq;	/* first position that does not verify, its event */
	char reason[96];
};

/* Seal up to batch settled events on top of *head, which must still be the
 * database's head (position and hash). Returns how many were sealed (their
 * records in *out, malloc'd, for the anchor log; *head advanced), -2 when
 * the database does not hold *head as its head (nothing sealed: the caller
 * must find out why), or -1 with the error in err. */
int64_t chain_seal(struct db *d, int batch, struct chain_walk *head, struct anchor_rec **out, char *err,
		   size_t errlen);

/* Verify up to limit seals after w: each recomputed from its event must
 * equal the stored seal and, where a is given and holds the position, the
 * anchored record; at the database's head, a must hold no later position.
 * Returns how many verified (w advanced past them; their records in recs
 * when not NULL, room for limit), fewer than limit at the head; -2 when one
 * does not verify (failure filled, w at the last good one); -1 on a
 * database error (err). */
int64_t chain_walk_step(struct db *d, struct chain_walk *w, int limit, const struct anchors *a,
			struct anchor_rec *recs, struct chain_failure *failure, char *err, size_t errlen);

#endif
