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
int cmd_history(int argc, char **argv);

/* Pieces of seed-scale (seed.c) the other bulk loaders share. */
struct buf;
/* COPY the rows of b (text format) by the statement sql; b emptied: 0 or -1 */
int copy_in(struct db *d, const char *sql, struct buf *b);
double now_s(void);
/* the progress bar (a terminal) or a line every few seconds: done of total what */
void progress(const char *what, long done, long total, double t0, int tty, int last);
/* a statement without parameters: 0, or -1 after saying why */
int exec_ok(struct db *d, const char *sql);
/* Drop the secondary indexes of table (neither its primary key nor a
 * constraint's), their definitions into defs; rebuild_indexes builds them again. */
int drop_indexes(struct db *d, const char *table, struct buf *defs, int *n);
int rebuild_indexes(struct db *d, struct buf *defs);

#endif
