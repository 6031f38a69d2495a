/* PostgreSQL: one connection per worker, each statement prepared once per
 * connection on first use, parameters always bound. Results belong to the
 * request and are cleared when it ends; an open transaction is rolled back
 * then, so no path can leak one. */
#ifndef TB_DB_H
#define TB_DB_H
#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>

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

/* The statement layer under db_exec, for code without a request (tbctl,
 * the audit chain): prepare once per connection, execute, return the
 * result (the caller PQclear()s it) or NULL — *sqlstate set for an SQL
 * error, NULL when the connection is lost (then closed). Replies nothing. */
PGresult *pg_exec(struct db *d, const struct stmt *s, const char *const *params, const int *lengths,
		  const int *formats, const char **sqlstate) __attribute__((warn_unused_result));
/* What the last failed pg_exec on d ran into, for a message: libpq's
 * text (ending in a newline), or that the connection was lost. */
const char *db_last_error(const struct db *d);

/* A PostgreSQL text[] literal of n strings, each double-quoted with \ and "
 * escaped (so any text is safe in it), to bind as one parameter; in the
 * arena, NULL when out of memory. */
char *db_text_array(struct arena *a, const char *const *v, size_t n);
/* BEGIN, COMMIT and ROLLBACK as statements for pg_exec. */
extern const struct stmt db_stmt_begin, db_stmt_commit, db_stmt_rollback;

/* ---- typed statements -----------------------------------------------------
 * Each statement is declared once, with named and typed parameters and
 * result columns:
 *
 *   #define Q_INBOX(P, C) P(agency, TEXT) P(before, I64) P(limit, I64) \
 *           C(id, I64) C(message, TEXT) C(read, BOOL)
 *   DB_QUERY(q_inbox, Q_INBOX,
 *            "SELECT id, message, read_at IS NOT NULL FROM cases.notification"
 *            " WHERE agency_code = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
 *
 * defines struct q_inbox_in { const char *agency; int64_t before, limit; },
 * struct q_inbox_row { int64_t id; const char *message; int read; }, the
 * statement q_inbox and
 *
 *   int q_inbox_run(struct req *r, const struct q_inbox_in *in, struct q_inbox_row **rows);
 *   int q_inbox_try(struct req *r, const struct q_inbox_in *in, struct q_inbox_row **rows,
 *                   const char **sqlstate);
 *
 * called as q_inbox_run(r, &(struct q_inbox_in){ .agency = a, .before = b, .limit = 50 }, &rows).
 * They return the number of rows read (into an arena array; rows may be
 * NULL when not wanted) or, for a command without RETURNING, the number of
 * rows it changed; -1 on failure: _run has replied (503 unreachable or
 * timed out, 500 otherwise), _try has not when *sqlstate is set (the caller
 * maps it, e.g. "23505"; db_reply_sqlstate() gives the default answer).
 *
 * A wrong parameter name or type is a compile error; the parameter count
 * follows from the list. When a connection first prepares the statement,
 * PostgreSQL's description of it is compared with the declaration (number
 * of parameters and columns, and the kind of each typed column): a
 * mismatch is logged and answered 500 on the first request that uses it,
 * which every API test would show.
 *
 * Types: TEXT (const char *, NULL is SQL NULL; parameters typed by their
 * use in the SQL), I64 (int64_t, bigint), INT (int, integer), BOOL (int,
 * boolean), BYTES (struct db_bytes, bytea in binary; p NULL is SQL NULL).
 * Result TEXT values point into the result, which lives until the request
 * ends; a NULL I64/INT/BOOL reads as 0 (use coalesce where 0 is a value).
 * A statement shared by several files: DB_QUERY_DECL in a header,
 * DB_QUERY_DEF in one .c file; statements reading rows of one shape:
 * DB_ROW once and DB_QUERY_AS for each. */
struct db_bytes {
	const unsigned char *p;
	size_t len;
};

enum db_type { DB_T_END, DB_T_TEXT, DB_T_I64, DB_T_INT, DB_T_BOOL, DB_T_BYTES };

struct db_query {
	struct stmt s;
	int ncols;
	const unsigned char *ptypes, *ctypes; /* DB_T_END-terminated */
};

#define DB_C_TEXT const char *
#define DB_C_I64 int64_t
#define DB_C_INT int
#define DB_C_BOOL int
#define DB_C_BYTES struct db_bytes

#define DB__NO(n, T)
#define DB__MEMBER(n, T) DB_C_##T n;
#define DB__ONE(n, T) +1
#define DB__TYPE(n, T) DB_T_##T,
#define DB__PARAM(n, T)                                   \
	db_param_##T(r, in->n, &pv_[i_], &pl_[i_], &pf_[i_]); \
	i_++;
#define DB__COL(n, T) db_col_##T(res_, k_, j_++, &row_->n, r);

#define DB_IN_TYPE(id, LIST)                             \
	struct id##_in {                                 \
		LIST(DB__MEMBER, DB__NO) char db_end_;   \
	}
/* A row struct of a column list, for statements that share one shape. */
#define DB_ROW(name, LIST)                               \
	struct name {                                    \
		LIST(DB__NO, DB__MEMBER) char db_end_;   \
	}
#define DB_QUERY_TYPES(id, LIST) \
	DB_IN_TYPE(id, LIST);    \
	DB_ROW(id##_row, LIST)

#define DB_QUERY_PROTOS(spec, id, ROWT)                                                             \
	spec int id##_try(struct req *r, const struct id##_in *in, ROWT **out, const char **sqlstate) \
		__attribute__((unused, warn_unused_result));                                        \
	spec int id##_run(struct req *r, const struct id##_in *in, ROWT **out)                      \
		__attribute__((unused, warn_unused_result))

#define DB_QUERY_BODY(spec, id, LIST, ROWT, sqltext)                                                            \
	static const unsigned char id##_pt_[] = { LIST(DB__TYPE, DB__NO) DB_T_END };                        \
	static const unsigned char id##_ct_[] = { LIST(DB__NO, DB__TYPE) DB_T_END };                        \
	spec const struct db_query id = { { #id, sqltext, 0 LIST(DB__ONE, DB__NO) },                       \
					  0 LIST(DB__NO, DB__ONE), id##_pt_, id##_ct_ };                      \
	spec int id##_try(struct req *r, const struct id##_in *in, ROWT **out, const char **sqlstate) \
	{                                                                                                  \
		enum { np_ = 1 LIST(DB__ONE, DB__NO) };                                                      \
		/* initialised: a statement without parameters passes them unread */                        \
		const char *pv_[np_] = { NULL };                                                             \
		int pl_[np_] = { 0 }, pf_[np_] = { 0 }, i_ = 0;                                              \
		(void)in;                                                                                    \
		if (out)                                                                                     \
			*out = NULL;                                                                         \
		LIST(DB__PARAM, DB__NO)                                                                      \
		(void)i_;                                                                                    \
		PGresult *res_ = db_query_exec(r, &id, pv_, pl_, pf_, sqlstate);                             \
		if (res_ == NULL)                                                                            \
			return -1;                                                                           \
		int n_ = PQntuples(res_);                                                                    \
		if (PQresultStatus(res_) == PGRES_COMMAND_OK)                                                \
			return atoi(PQcmdTuples(res_));                                                      \
		ROWT *rows_ = db_rows(r, (size_t)n_, sizeof(*rows_));                             \
		if (n_ > 0 && rows_ == NULL) {                                                               \
			*sqlstate = "53200"; /* out of memory */                                             \
			return -1;                                                                           \
		}                                                                                            \
		for (int k_ = 0; k_ < n_; k_++) {                                                            \
			ROWT *row_ = &rows_[k_];                                                  \
			int j_ = 0;                                                                          \
			(void)row_;                                                                          \
			(void)j_;                                                                            \
			LIST(DB__NO, DB__COL)                                                                \
		}                                                                                            \
		if (out)                                                                                     \
			*out = rows_;                                                                        \
		return n_;                                                                                   \
	}                                                                                                  \
	spec int id##_run(struct req *r, const struct id##_in *in, ROWT **out)                    \
	{                                                                                                  \
		const char *st_;                                                                             \
		int n_ = id##_try(r, in, out, &st_);                                                         \
		if (n_ < 0 && st_ != NULL)                                                                   \
			db_reply_sqlstate(r, st_);                                                           \
		return n_;                                                                                   \
	}

/* One file's statement. */
#define DB_QUERY(id, LIST, sqltext)                        \
	DB_QUERY_TYPES(id, LIST);                          \
	DB_QUERY_PROTOS(static, id, struct id##_row);      \
	DB_QUERY_BODY(static, id, LIST, struct id##_row, sqltext)
/* Statements that read rows of one shape (struct rowname from DB_ROW):
 * LIST's columns must be rowname's members. */
#define DB_QUERY_AS(id, LIST, rowname, sqltext)            \
	DB_IN_TYPE(id, LIST);                              \
	DB_QUERY_PROTOS(static, id, struct rowname);       \
	DB_QUERY_BODY(static, id, LIST, struct rowname, sqltext)
/* A statement shared between files: DECL in the header, DEF in one .c. */
#define DB_QUERY_DECL(id, LIST)                      \
	DB_QUERY_TYPES(id, LIST);                    \
	extern const struct db_query id;             \
	DB_QUERY_PROTOS(extern, id, struct id##_row)
#define DB_QUERY_DEF(id, LIST, sqltext) DB_QUERY_BODY(, id, LIST, struct id##_row, sqltext)

/* Used by the generated code. */
PGresult *db_query_exec(struct req *r, const struct db_query *q, const char *const *params, const int *lengths,
			const int *formats, const char **sqlstate);
void *db_rows(struct req *r, size_t n, size_t size);
/* The default answer to a failed statement: 503 + Retry-After for a
 * timeout (57014), 500 otherwise. */
void db_reply_sqlstate(struct req *r, const char *sqlstate);
void db_param_TEXT(struct req *r, const char *v, const char **pv, int *pl, int *pf);
void db_param_I64(struct req *r, int64_t v, const char **pv, int *pl, int *pf);
void db_param_INT(struct req *r, int v, const char **pv, int *pl, int *pf);
void db_param_BOOL(struct req *r, int v, const char **pv, int *pl, int *pf);
void db_param_BYTES(struct req *r, struct db_bytes v, const char **pv, int *pl, int *pf);
void db_col_TEXT(const PGresult *res, int row, int col, const char **out, struct req *r);
void db_col_I64(const PGresult *res, int row, int col, int64_t *out, struct req *r);
void db_col_INT(const PGresult *res, int row, int col, int *out, struct req *r);
void db_col_BOOL(const PGresult *res, int row, int col, int *out, struct req *r);
void db_col_BYTES(const PGresult *res, int row, int col, struct db_bytes *out, struct req *r);

#endif
