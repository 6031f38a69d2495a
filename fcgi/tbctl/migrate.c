/* Migrations: sql/NNNN_name.sql applied in order, each in one transaction
 * together with its row in tb_meta.schema_migration, so a migration is
 * either wholly applied and recorded or not at all. A line
 *   --@copy <table> (<columns>) from <file.csv>
 * streams a CSV file next to the migration into the table (COPY FROM STDIN,
 * with header) inside the same transaction: reference data keeps its
 * published file as the source. A session advisory lock serialises
 * concurrent migrators. */
#include <dirent.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"
#include "tbctl.h"

#define LOCK_KEY "7352910"

static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	char chunk[65536];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(b, chunk, n) != 0) {
			rc = -1;
			break;
		}
	if (ferror(f))
		rc = -1;
	fclose(f);
	return rc;
}

/* A migration's SQL is a script of several statements (and COPY), which
 * cannot be prepared: it goes as a simple query. The bookkeeping around it
 * is statements run by pg_exec. */
static int run_script(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "tbctl: %s: %s", what, PQresultErrorMessage(r));
	PQclear(r);
	return ok ? 0 : -1;
}

static const struct stmt q_lock = { "migrate_lock", "SELECT pg_advisory_lock(" LOCK_KEY ")", 0 };
static const struct stmt q_applied = {
	"migrate_applied", "SELECT name, sha256 FROM tb_meta.schema_migration WHERE version = $1", 1
};
static const struct stmt q_record = {
	"migrate_record", "INSERT INTO tb_meta.schema_migration (version, name, sha256) VALUES ($1, $2, $3)", 3
};

static int is_migration(const char *n)
{
	size_t len = strlen(n);
	if (len < 10 || strcmp(n + len - 4, ".sql") != 0 || n[4] != '_')
		return 0;
	for (int i = 0; i < 4; i++)
		if (n[i] < '0' || n[i] > '9')
			return 0;
	for (size_t i = 5; i < len - 4; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return 0;
	return 1;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sha256_hex(const unsigned char *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int copy_csv(PGconn *c, const char *dir, const char *spec)
{
	/* spec: "<table> (<cols>) from <file>" */
	const char *from = strstr(spec, " from ");
	if (from == NULL) {
		fprintf(stderr, "tbctl: bad --@copy line: %s\n", spec);
		return -1;
	}
	char sql[512], path[4096];
	snprintf(sql, sizeof(sql), "COPY %.*s FROM STDIN WITH (FORMAT csv, HEADER true)",
		 (int)(from - spec), spec);
	int pl = snprintf(path, sizeof(path), "%s/%s", dir, from + 6);
	if (pl < 0 || (size_t)pl >= sizeof(path) || strchr(from + 6, '/')) {
		fprintf(stderr, "tbctl: bad CSV name in --@copy: %s\n", from + 6);
		return -1;
	}
	struct buf data = { 0 };
	if (read_file(path, &data) != 0) {
		fprintf(stderr, "tbctl: cannot read %s\n", path);
		buf_free(&data);
		return -1;
	}
	PGresult *r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		fprintf(stderr, "tbctl: %s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
		buf_free(&data);
		return -1;
	}
	PQclear(r);
	int ok = PQputCopyData(c, (const char *)data.p, (int)data.len) == 1 && PQputCopyEnd(c, NULL) == 1;
	buf_free(&data);
	r = PQgetResult(c);
	ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "tbctl: loading %s: %s", path, PQresultErrorMessage(r));
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	return ok ? 0 : -1;
}

/* Run the body of one migration: SQL chunks between --@copy lines. */
static int run_body(PGconn *c, const char *dir, char *text)
{
	char *p = text;
	for (;;) {
		char *d = strstr(p, "\n--@copy ");
		if (d)
			*d = '\0';
		if (strspn(p, " \t\r\n") != strlen(p) && run_script(c, p, "migration SQL") != 0)
			return -1;
		if (d == NULL)
			return 0;
		char *spec = d + 9, *eol = strchr(spec, '\n');
		if (eol)
			*eol = '\0';
		size_t sl = strlen(spec);
		while (sl && (spec[sl - 1] == '\r' || spec[sl - 1] == ' '))
			spec[--sl] = '\0';
		if (copy_csv(c, dir, spec) != 0)
			return -1;
		if (eol == NULL)
			return 0;
		p = eol + 1;
	}
}

int cmd_migrate(int argc, char **argv)
{
	const char *dir = getenv("TB_MIGRATIONS_DIR");
	char *owned = NULL;
	if (argc >= 3 && strcmp(argv[1], "--dir") == 0)
		dir = argv[2];
	if (dir == NULL || *dir == '\0')
		dir = owned = tbctl_repo_path("sql");
	if (dir == NULL)
		return 1;
	DIR *dh = opendir(dir);
	if (dh == NULL) {
		fprintf(stderr, "tbctl: cannot open migrations directory %s\n", dir);
		free(owned);
		return 1;
	}
	char *names[1024];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(dh)) != NULL && n < 1024)
		if (is_migration(de->d_name))
			names[n++] = strdup(de->d_name);
	closedir(dh);
	qsort(names, n, sizeof(names[0]), cmp);

	struct db d = { 0 };
	int rc = 1, applied = 0;
	if (tbctl_connect(&d) != 0)
		goto out;
	if (tbctl_do(&d, &q_lock, NULL) != 0 ||
	    run_script(d.conn, "CREATE SCHEMA IF NOT EXISTS tb_meta;"
		       "CREATE TABLE IF NOT EXISTS tb_meta.schema_migration ("
		       " version text PRIMARY KEY, name text NOT NULL, sha256 text NOT NULL,"
		       " applied_at timestamptz NOT NULL DEFAULT now())",
		    "migration table") != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char version[5], path[4096], sum[65];
		memcpy(version, names[i], 4);
		version[4] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		struct buf text = { 0 };
		if (read_file(path, &text) != 0 || buf_append(&text, "", 1) != 0) {
			fprintf(stderr, "tbctl: cannot read %s\n", path);
			buf_free(&text);
			goto out;
		}
		sha256_hex(text.p, text.len - 1, sum);
		const char *pv[] = { version };
		PGresult *r = tbctl_run(&d, &q_applied, pv);
		if (r == NULL) {
			buf_free(&text);
			goto out;
		}
		if (PQntuples(r) == 1) {
			if (strcmp(PQgetvalue(r, 0, 1), sum) != 0)
				fprintf(stderr, "tbctl: warning: %s changed after it was applied\n", names[i]);
			PQclear(r);
			buf_free(&text);
			continue;
		}
		PQclear(r);
		int ok = tbctl_do(&d, &db_stmt_begin, NULL) == 0 && run_body(d.conn, dir, (char *)text.p) == 0;
		buf_free(&text);
		if (ok) {
			const char *pi[] = { version, names[i], sum };
			ok = tbctl_do(&d, &q_record, pi) == 0;
		}
		if (ok)
			ok = tbctl_do(&d, &db_stmt_commit, NULL) == 0;
		if (!ok) {
			const char *state;
			PQclear(pg_exec(&d, &db_stmt_rollback, NULL, NULL, NULL, &state));
			fprintf(stderr, "tbctl: migration %s failed and was rolled back; the database is as it was before it\n",
				names[i]);
			goto out;
		}
		printf("applied %s\n", names[i]);
		applied++;
	}
	printf("migrations: %d applied, %zu known\n", applied, n);
	rc = 0;
out:
	db_close(&d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(owned);
	return rc;
}
