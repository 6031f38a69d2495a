#ifndef TB_TBCTL_H
#define TB_TBCTL_H
#include <libpq-fe.h>

#include "../core/db.h"

char *tbctl_repo_path(const char *rel);
/* Connect d as the owner role (TB_PG_ADMIN): 0, or -1 after saying why on
 * stderr. db_close(d) ends it. */
int tbctl_connect(struct db *d);
/* pg_exec with the error told on stderr: the result (the caller
 * PQclear()s it), or NULL after saying why. */
PGresult *tbctl_run(struct db *d, const struct stmt *s, const char *const *params);
/* The same for a statement whose result is not wanted: 0 or -1. */
int tbctl_do(struct db *d, const struct stmt *s, const char *const *params);
struct keyring;
/* The data keys of TB_DATA_KEYS (default: var/keys/data.keys of the make
 * run stack): 0, or -1 after saying why on stderr. */
int tbctl_keys(struct keyring *kr);
int cmd_migrate(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_registry(int argc, char **argv);
int cmd_keys(int argc, char **argv);
int cmd_seed(int argc, char **argv);

#endif
