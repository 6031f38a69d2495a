/* The audit hash chain. A sealer appends to audit.seal, in the order it
 * seals them, one seal per event: hash_n = SHA-256(hash_{n-1} || canonical
 * event), where the canonical event is its fields length-prefixed. Writers
 * never wait on the chain: they only INSERT events. The sealer takes events
 * whose inserting transaction has ended (txid below the snapshot's xmin), so
 * an event can never appear behind the chain's head later. */
#ifndef TB_AUDIT_CHAIN_H
#define TB_AUDIT_CHAIN_H
#include <libpq-fe.h>
#include <stdint.h>

struct chain_report {
	int ok;
	int64_t sealed;		/* seals checked */
	int64_t unsealed;	/* events not sealed yet */
	int64_t broken_seq;	/* first event whose seal does not hold, or 0 */
	char reason[96];
	char head[65];		/* hash at the head, hex */
};

/* Seal up to batch settled events in one transaction; returns how many, or
 * -1 with the error in err. */
int64_t chain_seal(PGconn *c, int batch, char *err, size_t errlen);
/* Recompute the chain from the first seal. 0 when it could be read (report
 * filled, ok or not), -1 on a database error (err). */
int chain_verify(PGconn *c, struct chain_report *rep, char *err, size_t errlen);

#endif
