/* tbctl: the operator's tool. It talks to the stack of `make run` unless
 * TB_PG_ADMIN (a libpq conninfo) points elsewhere. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tbctl.h"
#include "../core/keyring.h"
#include "../core/log.h"

/* <dir of this binary>/../<rel>, or NULL */
char *tbctl_repo_path(const char *rel)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *dir = dirname(dirname(exe));
	size_t len = strlen(dir) + strlen(rel) + 2;
	char *p = malloc(len);
	if (p)
		snprintf(p, len, "%s/%s", dir, rel);
	return p;
}

int tbctl_connect(struct db *d)
{
	const char *ci = getenv("TB_PG_ADMIN");
	static char buf[PATH_MAX + 128];
	if (ci == NULL || *ci == '\0') {
		char *run = tbctl_repo_path("var/run");
		if (run == NULL)
			return -1;
		snprintf(buf, sizeof(buf), "host=%s port=54320 dbname=tongban user=tb_super", run);
		free(run);
		ci = buf;
	}
	/* no statement timeout: migrations and re-sealing take what they take */
	db_init(d, ci, "tbctl", 0);
	if (db_ensure(d, NULL) != 0) {
		fprintf(stderr, "tbctl: cannot connect to the database (see the log line above)\n");
		return -1;
	}
	PGresult *r = PQexec(d->conn, "SET client_min_messages = warning");
	PQclear(r);
	return 0;
}

PGresult *tbctl_run(struct db *d, const struct stmt *s, const char *const *params)
{
	const char *state;
	PGresult *r = pg_exec(d, s, params, NULL, NULL, &state);
	if (r == NULL)
		fprintf(stderr, "tbctl: %s: %s", s->name, db_last_error(d));
	return r;
}

int tbctl_do(struct db *d, const struct stmt *s, const char *const *params)
{
	PGresult *r = tbctl_run(d, s, params);
	PQclear(r);
	return r ? 0 : -1;
}

int tbctl_keys(struct keyring *kr)
{
	const char *path = getenv("TB_DATA_KEYS");
	char *dflt = NULL;
	if (path == NULL || *path == '\0')
		path = dflt = tbctl_repo_path("var/keys/data.keys");
	char err[PATH_MAX + 128];
	int rc = path ? keyring_load(kr, path, err, sizeof(err)) : -1;
	if (rc != 0)
		fprintf(stderr, "tbctl: data keys: %s\n", path ? err : "no path");
	free(dflt);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tbctl migrate [--dir DIR]   apply pending migrations (sql/NNNN_name.sql)\n"
		"       tbctl user create --username U --name N --agency CODE --role ROLE [--scope CODE]\n"
		"       tbctl user reset-password U   (passwords are read from standard input)\n"
		"       tbctl audit verify            verify the audit chain against its anchors\n"
		"       tbctl registry import FILE.csv  import a county's records (all or nothing)\n"
		"       tbctl keys rotate             seal clear values, re-seal all under the current data key\n"
		"       tbctl keys new                add a data key to the key file, then rotate\n"
		"       tbctl seed-scale --units N [--seed S] [--dry-run]  synthetic registry data at region scale\n"
		"       tbctl seed-history N [--seed S] [--months M] [--counties C,C]  past cases and archive queries\n"
		"environment: TB_PG_ADMIN  libpq conninfo of the owner role (default: the make run stack)\n"
		"             TB_DATA_KEYS  the data key file (default: var/keys/data.keys)\n"
		"             TB_MIGRATIONS_DIR  where migrations are (default: sql/ of the checkout)\n");
}

int main(int argc, char **argv)
{
	/* library log lines (a lost connection) go to stderr, as JSON */
	log_setup("tbctl", LOG_WARN);
	if (argc < 2) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "migrate") == 0)
		return cmd_migrate(argc - 1, argv + 1);
	if (strcmp(argv[1], "user") == 0)
		return cmd_user(argc - 1, argv + 1);
	if (strcmp(argv[1], "audit") == 0)
		return cmd_audit(argc - 1, argv + 1);
	if (strcmp(argv[1], "registry") == 0)
		return cmd_registry(argc - 1, argv + 1);
	if (strcmp(argv[1], "keys") == 0)
		return cmd_keys(argc - 1, argv + 1);
	if (strcmp(argv[1], "seed-scale") == 0)
		return cmd_seed(argc - 1, argv + 1);
	if (strcmp(argv[1], "seed-history") == 0)
		return cmd_history(argc - 1, argv + 1);
	usage();
	return 2;
}
