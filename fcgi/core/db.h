/* PostgreSQL: one connection per worker, each statement prepared once per
 * connection on first use, parameters always bound. Results belong to the
 * request and are cleared when it ends; an open transaction is rolled back
 * then, so no path can leak one. */
#ifndef TB_DB_H
#define TB_DB_H
#include <libpq-fe.h>

#include "metrics.h"
#include "req.h"

struct stmt {
	const char *name;	/* unique per program */
	const char *sql;
	int nparams;
};

#define DB_MAX_STMTS 256

struct db {
	PGconn *conn;
	const struct stmt *prepared[DB_MAX_STMTS];
	size_t nprepared;
	const char *conninfo;
	const char *app_name;
	int statement_timeout_ms;
};

struct worker;
void db_init(struct db *d, const char *conninfo, const char *app_name, int statement_timeout_ms);
/* Ensure a live connection, reconnecting when it was lost. 0 or -1. */
int db_ensure(struct db *d, struct met_slot *m);
void db_close(struct db *d);

/* Run s with params (s->nparams of them, NUL-terminated text, NULL = SQL
 * NULL). Returns the result (TUPLES_OK or COMMAND_OK; the request owns it) or
 * NULL after replying: 503 + Retry-After when the database is unreachable,
 * 500 otherwise. */
PGresult *db_exec(struct req *r, const struct stmt *s, const char *const *params)
	__attribute__((warn_unused_result));
/* Like db_exec, but on an SQL error returns NULL without replying and sets
 * *sqlstate (e.g. "23505") so the caller can map it; a lost connection still
 * replies 503 and sets *sqlstate to NULL. */
PGresult *db_exec_try(struct req *r, const struct stmt *s, const char *const *params,
		      const char **sqlstate) __attribute__((warn_unused_result));
/* With explicit lengths and formats (1 = binary) for bytea parameters. */
PGresult *db_exec_bin(struct req *r, const struct stmt *s, const char *const *params,
		      const int *lengths, const int *formats, const char **sqlstate)
	__attribute__((warn_unused_result));

/* db_exec for an INSERT/UPDATE that may hit a unique constraint: a
 * violation replies 409 with code and detail. NULL after replying. */
PGresult *db_exec_unique(struct req *r, const struct stmt *s, const char *const *params,
			 const char *code, const char *detail) __attribute__((warn_unused_result));

int db_begin(struct req *r) __attribute__((warn_unused_result));
int db_commit(struct req *r) __attribute__((warn_unused_result));
/* End of request: clear results, roll back an open transaction. */
void db_request_end(struct req *r);

/* Round trip for /readyz: 0 when the database answers. */
int db_ping(struct db *d, struct met_slot *m);

#endif
