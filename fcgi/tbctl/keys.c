/* tbctl keys rotate | new: the sealed columns under the current data key.
 *
 * rotate (a) seals every value still waiting in clear in a *_legacy column
 * (rows from before encryption, demo data, a superuser's insert), with the
 * masked form, the lookup index and the applicant's proof where the column
 * has them, and clears the legacy value; (b) re-seals every value not under
 * the current key (the last enc line of the key file). One transaction per
 * batch of rows; a value that does not open stops the run (a key is
 * missing from the file) and nothing of that batch changes.
 * new appends a fresh `enc <max id + 1> <hex>` line to the key file, then
 * rotates. The sealed columns are a table below; a column whose table or
 * columns do not exist (yet) is skipped. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "../core/crypto.h"
#include "../core/keyring.h"
#include "../domain/register.h"
#include "tbctl.h"

#define BATCH 500
#define MAX_PK 2

struct sealed_col {
	const char *schema, *table;
	const char *pk[MAX_PK];		/* primary key columns (NULL-terminated) */
	const char *legacy, *sealed;	/* clear value waiting; sealed text */
	const char *aad;		/* what the value is: "<schema>.<table>.<sealed>" */
	int bytea;			/* the legacy column is bytea (raw bytes) */
	/* ID numbers: the masked form and the HMAC index over "<type>:<number>" */
	const char *type_col, *masked, *index;
	/* parties: HMAC("progress", case number ":" last six), the applicant's proof */
	const char *progress, *number_sql;
};

static const struct sealed_col sealed_cols[] = {
	{ "cases", "party", { "case_id", "seq" }, "id_number_legacy", "id_number", "cases.party.id_number", 0,
	  "id_type", "id_number_masked", "id_number_index", "progress_key",
	  "(SELECT c.number FROM cases.case c WHERE c.id = t.case_id)" },
	{ "reg", "entry", { "id", NULL }, "holder_id_number_legacy", "holder_id_number", "reg.entry.holder_id_number", 0,
	  "holder_id_type", "holder_id_number_masked", "holder_id_number_index", NULL, NULL },
	{ "iam", "user", { "id", NULL }, "totp_secret_legacy", "totp_secret", "iam.user.totp_secret", 1,
	  NULL, NULL, NULL, NULL, NULL },
	{ "iam", "user", { "id", NULL }, "totp_pending_legacy", "totp_pending", "iam.user.totp_pending", 1,
	  NULL, NULL, NULL, NULL, NULL },
};
#define NSEALED (sizeof(sealed_cols) / sizeof(sealed_cols[0]))

/* The statements over one sealed column are written from the table above
 * (identifiers we wrote, never input) and prepared like any other: each
 * kept at a fixed address, one per column and purpose. */
struct built {
	char name[32], sql[1024];
	struct stmt s;
};
static struct built legacy_sel[NSEALED], legacy_upd[NSEALED], reseal_sel[NSEALED], reseal_upd[NSEALED];

static const struct stmt *built(struct built *b, const char *name, size_t col, int nparams)
{
	snprintf(b->name, sizeof(b->name), "%s_%zu", name, col);
	b->s = (struct stmt){ b->name, b->sql, nparams };
	return &b->s;
}

static const struct stmt q_column = {
	"keys_column",
	"SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 AND column_name = $3",
	3,
};

static const struct stmt q_audit = {
	"keys_audit",
	"INSERT INTO audit.event (at, actor_name, action, object_type, outcome, client_addr, details)"
	" VALUES (now(), 'tbctl', 'keys.rotate', 'data_keys', 'success', 'local', $1::jsonb)",
	1,
};

static void rollback(struct db *d)
{
	const char *state;
	if (d->conn)
		PQclear(pg_exec(d, &db_stmt_rollback, NULL, NULL, NULL, &state));
}

/* 1 when the table has every column the entry names */
static int columns_exist(struct db *d, const struct sealed_col *s)
{
	const char *names[] = { s->legacy, s->sealed, s->masked, s->index, s->progress };
	int want = 0, have = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (names[i] == NULL)
			continue;
		want++;
		const char *p[] = { s->schema, s->table, names[i] };
		PGresult *r = tbctl_run(d, &q_column, p);
		have += r && PQntuples(r) == 1;
		PQclear(r);
	}
	return want == have;
}

/* "a, b" and "a = $k AND b = $k+1" of the primary key; npk its columns */
static void pk_text(const struct sealed_col *s, int first, char *cols, size_t cl, char *where, size_t wl,
		    int *npk)
{
	cols[0] = where[0] = '\0';
	*npk = 0;
	for (int i = 0; i < MAX_PK && s->pk[i]; i++, (*npk)++) {
		size_t a = strlen(cols), b = strlen(where);
		snprintf(cols + a, cl - a, "%st.%s::text", i ? ", " : "", s->pk[i]);
		snprintf(where + b, wl - b, "%s%s = $%d", i ? " AND " : "", s->pk[i], first + i);
	}
}

/* The ID number's derived columns as party_seal in intake/parties.c: the
 * number upper-cased, masked, indexed with its type, and the progress proof. */
struct derived {
	char masked[40], index[65], progress[65];
};

static int derive(const struct keyring *kr, const char *type, const char *norm, const char *number,
		  struct derived *d)
{
	char buf[256];
	size_t n = strlen(norm);
	id_mask(norm, d->masked, sizeof(d->masked));
	int l = snprintf(buf, sizeof(buf), "%s:%s", type, norm);
	int rc = l > 0 && (size_t)l < sizeof(buf) ? keyring_index(kr, "id_number", buf, (size_t)l, d->index) : -1;
	d->progress[0] = '\0';
	if (rc == 0 && number) {
		l = snprintf(buf, sizeof(buf), "%s:%s", number, norm + (n > 6 ? n - 6 : 0));
		rc = l > 0 && (size_t)l < sizeof(buf) ? keyring_index(kr, "progress", buf, (size_t)l, d->progress) : -1;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* Phase (a): seal the legacy values. The count sealed, or -1. */
static long seal_legacy(struct db *db, const struct keyring *kr, size_t col, struct arena *a)
{
	const struct sealed_col *s = &sealed_cols[col];
	char cols[128], where[128], *sel = legacy_sel[col].sql, *upd = legacy_upd[col].sql;
	const size_t sel_size = sizeof(legacy_sel[col].sql), upd_size = sizeof(legacy_upd[col].sql);
	int npk;
	pk_text(s, 1, cols, sizeof(cols), where, sizeof(where), &npk);
	char legacy[128];
	if (s->bytea)
		snprintf(legacy, sizeof(legacy), "translate(encode(t.%s, 'base64'), E'\\n', '')", s->legacy);
	else
		snprintf(legacy, sizeof(legacy), "t.%s", s->legacy);
	int n1 = snprintf(sel, sel_size, "SELECT %s, %s, %s%s, %s FROM %s.%s t WHERE t.%s IS NOT NULL LIMIT %d FOR UPDATE",
			  cols, legacy, s->type_col ? "t." : "", s->type_col ? s->type_col : "NULL::text",
			  s->number_sql ? s->number_sql : "NULL::text", s->schema, s->table, s->legacy, BATCH);
	/* $1.. the primary key, then the sealed value and the derived columns */
	int p = npk + 1;
	int n2 = snprintf(upd, upd_size, "UPDATE %s.%s SET %s = NULL, %s = $%d", s->schema, s->table, s->legacy,
			  s->sealed, p);
	if (s->masked)
		n2 += snprintf(upd + n2, upd_size - (size_t)n2, ", %s = $%d, %s = $%d", s->masked, p + 1, s->index,
			       p + 2);
	if (s->progress)
		n2 += snprintf(upd + n2, upd_size - (size_t)n2, ", %s = coalesce($%d, %s)", s->progress, p + 3,
			       s->progress);
	n2 += snprintf(upd + n2, upd_size - (size_t)n2, " WHERE %s", where);
	if (n1 < 0 || (size_t)n1 >= sel_size || n2 < 0 || (size_t)n2 >= upd_size)
		return -1;
	int nparams = p + (s->masked ? 2 : 0) + (s->progress ? 1 : 0);
	const struct stmt *q_sel = built(&legacy_sel[col], "keys_legacy_sel", col, 0);
	const struct stmt *q_upd = built(&legacy_upd[col], "keys_legacy_upd", col, nparams);
	long done = 0;
	for (;;) {
		if (tbctl_do(db, &db_stmt_begin, NULL) != 0)
			return -1;
		PGresult *r = tbctl_run(db, q_sel, NULL);
		if (r == NULL) {
			rollback(db);
			return -1;
		}
		int rows = PQntuples(r), bad = 0;
		for (int i = 0; i < rows && !bad; i++) {
			arena_reset(a);
			const char *v = PQgetvalue(r, i, npk);
			unsigned char *raw;
			size_t rawlen;
			char *norm = NULL;
			if (s->bytea) {
				if (crypto_b64_decode(a, v, strlen(v), 0, &raw, &rawlen) != 0) {
					bad = 1;
					break;
				}
			} else {
				rawlen = strlen(v);
				norm = arena_strndup(a, v, rawlen);
				for (size_t k = 0; norm && k < rawlen; k++)
					if (norm[k] >= 'a' && norm[k] <= 'z')
						norm[k] = (char)(norm[k] - 'a' + 'A');
				raw = (unsigned char *)norm;
			}
			char *sealed = raw ? keyring_seal(kr, a, raw, rawlen, s->aad) : NULL;
			struct derived d;
			const char *params[MAX_PK + 4];
			for (int k = 0; k < npk; k++)
				params[k] = PQgetvalue(r, i, k);
			params[npk] = sealed;
			if (sealed == NULL ||
			    (s->masked && derive(kr, PQgetvalue(r, i, npk + 1), norm,
						 PQgetisnull(r, i, npk + 2) ? NULL : PQgetvalue(r, i, npk + 2), &d) != 0)) {
				bad = 1;
			} else {
				params[npk + 1] = d.masked;
				params[npk + 2] = d.index;
				params[npk + 3] = d.progress[0] ? d.progress : NULL;
				PGresult *u = tbctl_run(db, q_upd, params);
				if (u == NULL || strcmp(PQcmdTuples(u), "1") != 0) {
					if (u)
						fprintf(stderr, "tbctl: %s.%s: the row changed under us\n", s->table, s->sealed);
					bad = 1;
				}
				PQclear(u);
			}
			if (raw)
				OPENSSL_cleanse(raw, rawlen);
		}
		PQclear(r);
		if (bad) {
			rollback(db);
			return -1;
		}
		if (tbctl_do(db, &db_stmt_commit, NULL) != 0)
			return -1;
		done += rows;
		if (rows < BATCH)
			return done;
	}
}

/* Phase (b): re-seal what is not under the current key. The count, or -1. */
static long reseal(struct db *db, const struct keyring *kr, size_t col, struct arena *a)
{
	const struct sealed_col *s = &sealed_cols[col];
	char cols[128], where[128], cur[32], *sel = reseal_sel[col].sql, *upd = reseal_upd[col].sql;
	const size_t sel_size = sizeof(reseal_sel[col].sql), upd_size = sizeof(reseal_upd[col].sql);
	int npk;
	pk_text(s, 2, cols, sizeof(cols), where, sizeof(where), &npk);
	snprintf(cur, sizeof(cur), "v1.%u.%%", kr->enc[kr->nenc - 1].id);
	int n1 = snprintf(sel, sel_size, "SELECT %s, t.%s FROM %s.%s t WHERE t.%s IS NOT NULL AND t.%s NOT LIKE $1"
			  " LIMIT %d FOR UPDATE", cols, s->sealed, s->schema, s->table, s->sealed, s->sealed, BATCH);
	int n2 = snprintf(upd, upd_size, "UPDATE %s.%s SET %s = $1 WHERE %s", s->schema, s->table, s->sealed, where);
	if (n1 < 0 || (size_t)n1 >= sel_size || n2 < 0 || (size_t)n2 >= upd_size)
		return -1;
	const struct stmt *q_sel = built(&reseal_sel[col], "keys_reseal_sel", col, 1);
	const struct stmt *q_upd = built(&reseal_upd[col], "keys_reseal_upd", col, npk + 1);
	long done = 0;
	for (;;) {
		if (tbctl_do(db, &db_stmt_begin, NULL) != 0)
			return -1;
		const char *pc[] = { cur };
		PGresult *r = tbctl_run(db, q_sel, pc);
		if (r == NULL) {
			rollback(db);
			return -1;
		}
		int rows = PQntuples(r), bad = 0;
		for (int i = 0; i < rows && !bad; i++) {
			arena_reset(a);
			unsigned char *pt;
			size_t n;
			const char *old = PQgetvalue(r, i, npk);
			if (keyring_open(kr, a, old, s->aad, &pt, &n) != 0) {
				fprintf(stderr, "tbctl: %s.%s: a value under key %u does not open: is that key in the file?\n",
					s->table, s->sealed, keyring_sealed_id(old));
				bad = 1;
				break;
			}
			char *sealed = keyring_seal(kr, a, pt, n, s->aad);
			OPENSSL_cleanse(pt, n);
			const char *params[MAX_PK + 1] = { sealed };
			for (int k = 0; k < npk; k++)
				params[k + 1] = PQgetvalue(r, i, k);
			PGresult *u = sealed ? tbctl_run(db, q_upd, params) : NULL;
			if (u == NULL || strcmp(PQcmdTuples(u), "1") != 0) {
				if (sealed == NULL || u != NULL)
					fprintf(stderr, "tbctl: %s.%s: %s\n", s->table, s->sealed,
						u ? "the row changed under us" : "seal failed");
				bad = 1;
			}
			PQclear(u);
		}
		PQclear(r);
		if (bad) {
			rollback(db);
			return -1;
		}
		if (tbctl_do(db, &db_stmt_commit, NULL) != 0)
			return -1;
		done += rows;
		if (rows < BATCH)
			return done;
	}
}

static int rotate(const struct keyring *kr)
{
	struct db d = { 0 };
	if (tbctl_connect(&d) != 0)
		return 1;
	struct arena a;
	arena_init(&a, 0);
	int rc = 0;
	long total_sealed = 0, total_resealed = 0;
	for (size_t i = 0; i < NSEALED && rc == 0; i++) {
		const struct sealed_col *s = &sealed_cols[i];
		if (!columns_exist(&d, s)) {
			printf("%s: skipped (no %s.%s.%s here)\n", s->aad, s->schema, s->table, s->legacy);
			continue;
		}
		long sealed = seal_legacy(&d, kr, i, &a);
		long resealed = sealed < 0 ? -1 : reseal(&d, kr, i, &a);
		if (sealed < 0 || resealed < 0) {
			fprintf(stderr, "tbctl: %s: stopped; batches before this one are committed\n", s->aad);
			rc = 1;
			break;
		}
		printf("%s: %ld sealed from clear, %ld re-sealed under key %u\n", s->aad, sealed, resealed,
		       kr->enc[kr->nenc - 1].id);
		total_sealed += sealed;
		total_resealed += resealed;
	}
	if (rc == 0 && total_sealed + total_resealed > 0) {
		char details[160];
		snprintf(details, sizeof(details), "{\"key_id\": %u, \"sealed\": %ld, \"resealed\": %ld}",
			 kr->enc[kr->nenc - 1].id, total_sealed, total_resealed);
		const char *pa[] = { details };
		if (tbctl_do(&d, &q_audit, pa) != 0)
			rc = 1;
	}
	arena_free(&a);
	db_close(&d);
	return rc;
}

/* Append `enc <max + 1> <hex>` to the key file; 0 or -1. */
static int new_key(const struct keyring *kr)
{
	const char *path = getenv("TB_DATA_KEYS");
	char *dflt = NULL;
	if (path == NULL || *path == '\0')
		path = dflt = tbctl_repo_path("var/keys/data.keys");
	unsigned max = 0;
	for (size_t i = 0; i < kr->nenc; i++)
		if (kr->enc[i].id > max)
			max = kr->enc[i].id;
	unsigned char k[32];
	char hex[65], line[96];
	int rc = -1, fd = path ? open(path, O_RDWR | O_APPEND) : -1;
	if (fd >= 0 && kr->nenc < KEYRING_MAX && crypto_random(k, sizeof(k)) == 0) {
		crypto_hex(k, sizeof(k), hex);
		/* a file not ending in a newline gets one first */
		char last = '\n';
		off_t end = lseek(fd, 0, SEEK_END);
		if (end > 0 && pread(fd, &last, 1, end - 1) != 1)
			last = '\n';
		int l = snprintf(line, sizeof(line), "%senc %u %s\n", last == '\n' ? "" : "\n", max + 1, hex);
		if (l > 0 && (size_t)l < sizeof(line) && write(fd, line, (size_t)l) == l && fsync(fd) == 0)
			rc = 0;
	}
	if (rc != 0)
		fprintf(stderr, "tbctl: could not add a key to %s\n", path ? path : "the key file");
	else
		printf("added key %u to %s\n", max + 1, path);
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(line, sizeof(line));
	free(dflt);
	return rc;
}

int cmd_keys(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "rotate") != 0 && strcmp(argv[1], "new") != 0)) {
		fprintf(stderr, "usage: tbctl keys rotate | new\n");
		return 2;
	}
	struct keyring kr;
	if (tbctl_keys(&kr) != 0)
		return 1;
	int rc = 0;
	if (strcmp(argv[1], "new") == 0)
		rc = new_key(&kr) != 0 || tbctl_keys(&kr) != 0;
	if (rc == 0)
		rc = rotate(&kr);
	keyring_wipe(&kr);
	return rc;
}
