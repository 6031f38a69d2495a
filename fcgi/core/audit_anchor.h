/* Anchors of the audit chain outside the database, where its superuser
 * cannot reach: an append-only log with one fixed-width record per seal
 * (position, event seq, hash), so record p sits at a known offset, and an
 * append-only log of checkpoints of the head signed with an Ed25519 key
 * that is not in the database. The admin service's background process
 * writes both; `tbctl audit verify` checks the chain against them. */
#ifndef TB_AUDIT_ANCHOR_H
#define TB_AUDIT_ANCHOR_H
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#define ANCHOR_LOG "anchor.log"
#define CHECKPOINT_LOG "checkpoints.log"
#define ANCHOR_RECORD 107 /* "%020lld %020lld %64s\n" */
#define CHECKPOINT_TAG "tongban-audit-checkpoint v1"

struct anchor_rec {
	int64_t pos, seq;
	unsigned char hash[32];
};

struct anchors {
	int fd;		/* anchor.log, O_APPEND (writer) or read-only; -1 when absent */
	int64_t count;	/* records in it: positions 1..count */
};

/* Open dir/anchor.log (created when writable). 0, or -1 with err. */
int anchor_open(struct anchors *a, const char *dir, int writable, char *err, size_t errlen);
void anchor_close(struct anchors *a);
/* Record at pos: 1 found, 0 beyond the end, -1 malformed/unreadable. */
int anchor_get(const struct anchors *a, int64_t pos, struct anchor_rec *out);
/* Append records (consecutive, starting at count + 1) and sync. 0 or -1. */
int anchor_append(struct anchors *a, const struct anchor_rec *r, size_t n, char *err, size_t errlen);

/* Ed25519 keys from PEM files (private, or public for verifying only). */
EVP_PKEY *anchor_key_private(const char *path, char *err, size_t errlen);
EVP_PKEY *anchor_key_public(const char *path, char *err, size_t errlen);

/* Append one signed checkpoint line of head to dir/checkpoints.log:
 * "<tag> <unix time> <pos> <seq> <hash hex> <base64 signature>\n", the
 * signature over everything before its separating space. 0 or -1. */
int anchor_checkpoint(const char *dir, EVP_PKEY *key, int64_t unix_time, const struct anchor_rec *head,
		      char *err, size_t errlen);
/* Parse and verify one checkpoint line (without its newline): 1 valid,
 * 0 signature does not verify, -1 malformed. */
int anchor_checkpoint_check(EVP_PKEY *key, const char *line, int64_t *unix_time, struct anchor_rec *out);

int anchor_hex32(const char *h, unsigned char out[32]);

#endif
