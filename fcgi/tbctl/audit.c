/* tbctl audit verify: the chain recomputed from the events, checked
 * against the seals in the database, the anchor log and the signed
 * checkpoints outside it. A superuser can rewrite events and seals alike;
 * not the records written outside the database nor the signatures. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/audit_chain.h"
#include "../core/crypto.h"
#include "tbctl.h"

#define WALK_CHUNK 5000

static EVP_PKEY *verify_key(char *err, size_t errlen, const char **which)
{
	const char *pub = getenv("TB_AUDIT_PUBKEY");
	if (pub && *pub) {
		*which = pub;
		return anchor_key_public(pub, err, errlen);
	}
	const char *priv = getenv("TB_AUDIT_KEY");
	char *dflt = NULL;
	if (priv == NULL || *priv == '\0')
		priv = dflt = tbctl_repo_path("var/keys/audit.pem");
	if (priv == NULL) {
		snprintf(err, errlen, "no key: set TB_AUDIT_PUBKEY or TB_AUDIT_KEY");
		return NULL;
	}
	*which = priv;
	EVP_PKEY *k = anchor_key_private(priv, err, errlen);
	free(dflt);
	return k;
}

/* Every checkpoint line: signature, and agreement with the anchor log.
 * Returns the number of problems (printed). */
static int check_checkpoints(const char *dir, EVP_PKEY *key, const struct anchors *a, int64_t *nvalid,
			     int64_t *latest)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, CHECKPOINT_LOG);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		printf("audit checkpoints MISSING: %s cannot be read\n", path);
		return 1;
	}
	char line[1024];
	int problems = 0;
	for (long no = 1; fgets(line, sizeof(line), f); no++) {
		size_t n = strlen(line);
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		int64_t t;
		struct anchor_rec cp, ar;
		int v = anchor_checkpoint_check(key, line, &t, &cp);
		if (v != 1) {
			printf("audit checkpoint BROKEN: line %ld of %s: %s\n", no, CHECKPOINT_LOG,
			       v == 0 ? "signature does not verify" : "malformed");
			problems++;
			continue;
		}
		(*nvalid)++;
		if (t > *latest)
			*latest = t;
		if (cp.pos == 0)
			continue;
		int got = anchor_get(a, cp.pos, &ar);
		if (got != 1) {
			printf("audit anchor log BROKEN: position %" PRId64 " (event %" PRId64
			       ") is signed in checkpoint line %ld but missing from %s\n",
			       cp.pos, cp.seq, no, ANCHOR_LOG);
			problems++;
		} else if (ar.seq != cp.seq || !crypto_equal(ar.hash, cp.hash, 32)) {
			printf("audit anchor log BROKEN: position %" PRId64 " (event %" PRId64
			       ") differs from signed checkpoint line %ld\n",
			       cp.pos, cp.seq, no);
			problems++;
		}
	}
	fclose(f);
	return problems;
}

int cmd_audit(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		fprintf(stderr, "usage: tbctl audit verify\n"
				"environment: TB_AUDIT_ANCHOR_DIR (anchor.log, checkpoints.log; default var/audit),\n"
				"             TB_AUDIT_PUBKEY or TB_AUDIT_KEY (Ed25519 PEM; default var/keys/audit.pem)\n");
		return 2;
	}
	char err[512];
	const char *dir = getenv("TB_AUDIT_ANCHOR_DIR");
	char *dflt = NULL;
	if (dir == NULL || *dir == '\0')
		dir = dflt = tbctl_repo_path("var/audit");
	struct anchors a = { -1, 0 };
	int anchored = dir && anchor_open(&a, dir, 0, err, sizeof(err)) == 0;
	int problems = 0;
	int64_t ncp = 0, latest = 0;
	if (!anchored) {
		printf("audit anchors MISSING (%s): only the chain inside the database can be checked,"
		       " which a superuser could have rewritten\n",
		       dir ? dir : "no anchor directory");
		problems++;
	} else {
		const char *which = NULL;
		EVP_PKEY *key = verify_key(err, sizeof(err), &which);
		if (key == NULL) {
			printf("audit checkpoints UNCHECKED: %s\n", err);
			problems++;
		} else {
			problems += check_checkpoints(dir, key, &a, &ncp, &latest);
			EVP_PKEY_free(key);
		}
	}
	struct db d = { 0 };
	if (tbctl_connect(&d) != 0) {
		anchor_close(&a);
		free(dflt);
		return 1;
	}
	struct chain_walk w;
	struct chain_failure f;
	memset(&w, 0, sizeof(w));
	int64_t n;
	do
		n = chain_walk_step(&d, &w, WALK_CHUNK, anchored ? &a : NULL, NULL, &f, err, sizeof(err));
	while (n == WALK_CHUNK);
	db_close(&d);
	int64_t nanchored = a.count;
	anchor_close(&a);
	free(dflt);
	if (n == -1) {
		fprintf(stderr, "tbctl: %s", err);
		return 1;
	}
	if (n == -2) {
		printf("audit chain BROKEN at position %" PRId64 " (event %" PRId64 "): %s"
		       " (%" PRId64 " positions verified before it)\n",
		       f.pos, f.seq, f.reason, w.pos);
		return 1;
	}
	char hex[65];
	crypto_hex(w.hash, 32, hex);
	if (problems)
		printf("audit chain inside the database verifies up to position %" PRId64 ", but see above\n", w.pos);
	else
		printf("audit chain ok: %" PRId64 " seals verified, head position %" PRId64 " (event %" PRId64 ") %s;"
		       " %" PRId64 " anchored, %" PRId64 " signed checkpoints verified, the latest %" PRId64 " s old\n",
		       w.pos, w.pos, w.seq, hex, nanchored, ncp, latest ? (int64_t)time(NULL) - latest : -1);
	return problems ? 1 : 0;
}
