#include "db.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "resp.h"
#include "log.h"
#include "metrics.h"
#include "worker.h"

struct db_results {
	PGresult *r[32];
	size_t n;
	struct db_results *next;
};

void db_init(struct db *d, const char *conninfo, const char *app_name, int statement_timeout_ms)
{
	memset(d, 0, sizeof(*d));
	d->conninfo = conninfo;
	d->app_name = app_name;
	d->statement_timeout_ms = statement_timeout_ms;
}

void db_close(struct db *d)
{
	if (d->conn)
		PQfinish(d->conn);
	d->conn = NULL;
	d->nprepared = 0;
}

static int session_setup(struct db *d)
{
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "SET statement_timeout = %d; SET application_name = 'tongban-%s'; SET TIME ZONE 'Asia/Shanghai'",
		 d->statement_timeout_ms, d->app_name);
	PGresult *res = PQexec(d->conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 0 : -1;
}

/* An idle connection whose server went away (restart, failover) has a
 * termination notice and EOF waiting on its socket. We use no LISTEN/NOTIFY,
 * so anything readable on an idle connection means it is going: replace it
 * before use, so the request does not fail for a connection that died while
 * nobody was using it. */
static void drop_if_dead(struct db *d)
{
	struct pollfd pf = { PQsocket(d->conn), POLLIN, 0 };
	if (pf.fd < 0 || poll(&pf, 1, 0) <= 0)
		return;
	log_info("database connection was closed by the server; reconnecting");
	db_close(d);
}

int db_ensure(struct db *d, struct met_slot *m)
{
	if (d->conn && PQstatus(d->conn) == CONNECTION_OK && PQtransactionStatus(d->conn) == PQTRANS_IDLE)
		drop_if_dead(d);
	if (d->conn && PQstatus(d->conn) == CONNECTION_OK)
		return 0;
	db_close(d);
	d->conn = PQconnectdb(d->conninfo);
	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK || session_setup(d) != 0) {
		log_warn("database connection failed: %s",
			 d->conn ? PQerrorMessage(d->conn) : "out of memory");
		if (m)
			MET_INC(m->db_errors);
		db_close(d);
		return -1;
	}
	log_info("database connected");
	return 0;
}

static void keep_result(struct req *r, PGresult *res)
{
	struct db_results *l = r->db_results;
	if (l == NULL || l->n == sizeof(l->r) / sizeof(l->r[0])) {
		struct db_results *n = arena_alloc(r->arena, sizeof(*n));
		if (n == NULL) {
			PQclear(res); /* cannot keep it: clear now rather than leak */
			return;
		}
		n->next = l;
		r->db_results = l = n;
	}
	l->r[l->n++] = res;
}

static void unavailable(struct req *r)
{
	MET_INC(r->w->mslot->db_errors);
	resp_header(r, "Retry-After", "1");
	resp_problem(r, 503, "database_unavailable",
		     "The database is not reachable at the moment; retry shortly.");
}

static int lost(struct db *d)
{
	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK) {
		db_close(d);
		return 1;
	}
	return 0;
}

/* Does PostgreSQL's description of a prepared typed statement match its
 * declaration? Checked once per connection, when it is prepared. */
static int shape_ok(PGconn *conn, const struct db_query *q)
{
	PGresult *d = PQdescribePrepared(conn, q->s.name);
	int ok = PQresultStatus(d) == PGRES_COMMAND_OK;
	if (ok && (PQnparams(d) != q->s.nparams || PQnfields(d) != q->ncols)) {
		log_error("statement %s: PostgreSQL sees %d parameters and %d columns, declared %d and %d", q->s.name,
			  PQnparams(d), PQnfields(d), q->s.nparams, q->ncols);
		ok = 0;
	}
	for (int i = 0; ok && i < q->ncols; i++) {
		Oid t = PQftype(d, i);
		/* int2 21, int4 23, int8 20, bool 16, bytea 17 */
		int good = q->ctypes[i] == DB_T_I64 || q->ctypes[i] == DB_T_INT ? t == 20 || t == 21 || t == 23
			   : q->ctypes[i] == DB_T_BOOL				   ? t == 16
			   : q->ctypes[i] == DB_T_BYTES				   ? t == 17
										   : 1;
		if (!good) {
			log_error("statement %s: column %d (%s) has type oid %u, not the declared kind", q->s.name, i + 1,
				  PQfname(d, i), (unsigned)t);
			ok = 0;
		}
	}
	PQclear(d);
	return ok;
}

/* The types a typed statement's parameters are prepared with: bigint,
 * integer, boolean, bytea; text parameters take the type their use gives. */
static int prepare_types(const struct db_query *q, Oid *types)
{
	for (int i = 0; i < q->s.nparams; i++)
		types[i] = q->ptypes[i] == DB_T_I64    ? 20
			   : q->ptypes[i] == DB_T_INT	? 23
			   : q->ptypes[i] == DB_T_BOOL	? 16
			   : q->ptypes[i] == DB_T_BYTES ? 17
							: 0;
	return q->s.nparams;
}

static int prepare(struct db *d, const struct stmt *s, const struct db_query *q)
{
	for (size_t i = 0; i < d->nprepared; i++)
		if (d->prepared[i] == s)
			return 0;
	if (d->nprepared == DB_MAX_STMTS) {
		log_error("more than %d statements: raise DB_MAX_STMTS", DB_MAX_STMTS);
		return -1;
	}
	Oid types[64] = { 0 };
	if (q && q->s.nparams > 64)
		return -1;
	PGresult *res = PQprepare(d->conn, s->name, s->sql, s->nparams, q ? (prepare_types(q, types), types) : NULL);
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK) {
		if (!lost(d))
			log_error("prepare %s failed: %s", s->name, PQresultErrorMessage(res));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	if (q && !shape_ok(d->conn, q)) {
		char sql[160];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name); /* names are identifiers we wrote */
		PQclear(PQexec(d->conn, sql));
		return -1;
	}
	d->prepared[d->nprepared++] = s;
	return 0;
}

static PGresult *pg_exec_q(struct db *d, const struct stmt *s, const struct db_query *q, const char *const *params,
			   const int *lengths, const int *formats, const char **sqlstate)
{
	*sqlstate = NULL;
	if (d->conn == NULL || PQstatus(d->conn) != CONNECTION_OK)
		return NULL;
	if (prepare(d, s, q) != 0) {
		if (d->conn != NULL)
			*sqlstate = "XX000";
		return NULL;
	}
	PGresult *res = PQexecPrepared(d->conn, s->name, s->nparams, params, lengths, formats, 0);
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	if (res == NULL || lost(d)) {
		PQclear(res);
		return NULL;
	}
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	/* one worker thread: the last error's code stays readable until the next */
	static char code[6];
	snprintf(code, sizeof(code), "%s", state && strlen(state) == 5 ? state : "XX000");
	*sqlstate = code;
	if (strcmp(*sqlstate, "57014") != 0 && strncmp(*sqlstate, "23", 2) != 0 && strncmp(*sqlstate, "40", 2) != 0)
		log_error("statement %s failed: %s", s->name, PQresultErrorMessage(res));
	PQclear(res);
	return NULL;
}

PGresult *pg_exec(struct db *d, const struct stmt *s, const char *const *params, const int *lengths,
		  const int *formats, const char **sqlstate)
{
	return pg_exec_q(d, s, NULL, params, lengths, formats, sqlstate);
}

const char *db_last_error(const struct db *d)
{
	return d->conn ? PQerrorMessage(d->conn) : "the database connection was lost\n";
}

static PGresult *exec_req(struct req *r, const struct stmt *s, const struct db_query *q, const char *const *params,
			  const int *lengths, const int *formats, const char **sqlstate)
{
	struct db *d = &r->w->db;
	*sqlstate = NULL;
	if (db_ensure(d, r->w->mslot) != 0) {
		unavailable(r);
		return NULL;
	}
	PGresult *res = pg_exec_q(d, s, q, params, lengths, formats, sqlstate);
	if (res != NULL) {
		keep_result(r, res);
		return res;
	}
	if (*sqlstate == NULL) {
		r->in_tx = 0; /* the server rolled it back with the connection */
		unavailable(r);
	}
	return NULL;
}

PGresult *db_exec_bin(struct req *r, const struct stmt *s, const char *const *params,
		      const int *lengths, const int *formats, const char **sqlstate)
{
	return exec_req(r, s, NULL, params, lengths, formats, sqlstate);
}

PGresult *db_query_exec(struct req *r, const struct db_query *q, const char *const *params, const int *lengths,
			const int *formats, const char **sqlstate)
{
	return exec_req(r, &q->s, q, params, lengths, formats, sqlstate);
}

PGresult *db_exec_try(struct req *r, const struct stmt *s, const char *const *params,
		      const char **sqlstate)
{
	return db_exec_bin(r, s, params, NULL, NULL, sqlstate);
}

PGresult *db_exec(struct req *r, const struct stmt *s, const char *const *params)
{
	const char *state;
	PGresult *res = db_exec_bin(r, s, params, NULL, NULL, &state);
	if (res == NULL && state != NULL)
		db_reply_sqlstate(r, state);
	return res;
}

void db_reply_sqlstate(struct req *r, const char *state)
{
	if (strcmp(state, "57014") == 0) {
		resp_header(r, "Retry-After", "1");
		resp_problem(r, 503, "database_timeout", "The database took too long to answer.");
	} else {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
	}
}

PGresult *db_exec_unique(struct req *r, const struct stmt *s, const char *const *params,
			 const char *code, const char *detail)
{
	const char *state;
	PGresult *res = db_exec_try(r, s, params, &state);
	if (res == NULL && state) {
		if (strcmp(state, "23505") == 0)
			resp_problem(r, 409, code, detail);
		else
			resp_problem(r, 500, "internal", "The server could not complete the request.");
	}
	return res;
}

const struct stmt db_stmt_begin = { "tb_begin", "BEGIN", 0 };
const struct stmt db_stmt_commit = { "tb_commit", "COMMIT", 0 };
const struct stmt db_stmt_rollback = { "tb_rollback", "ROLLBACK", 0 };

int db_begin(struct req *r)
{
	if (db_exec(r, &db_stmt_begin, NULL) == NULL)
		return -1;
	r->in_tx = 1;
	return 0;
}

int db_commit(struct req *r)
{
	const char *state;
	PGresult *res = db_exec_try(r, &db_stmt_commit, NULL, &state);
	r->in_tx = 0;
	if (res == NULL) {
		if (state)
			resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	return 0;
}

void db_request_end(struct req *r)
{
	for (struct db_results *l = r->db_results; l; l = l->next)
		for (size_t i = 0; i < l->n; i++)
			PQclear(l->r[i]);
	r->db_results = NULL;
	struct db *d = &r->w->db;
	if (r->in_tx && d->conn && PQstatus(d->conn) == CONNECTION_OK) {
		PGresult *res = PQexec(d->conn, db_stmt_rollback.sql);
		PQclear(res);
	}
	r->in_tx = 0;
}

int db_ping(struct db *d, struct met_slot *m)
{
	/* a connection that died since its last use is retried once at once:
	 * readiness reports the database as it is now */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (db_ensure(d, m) != 0)
			return -1;
		PGresult *res = PQexecParams(d->conn, "SELECT 1", 0, NULL, NULL, NULL, NULL, 0);
		int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		PQclear(res);
		if (ok)
			return 0;
		MET_INC(m->db_errors);
		if (!lost(d))
			return -1;
	}
	return -1;
}

/* ---- typed statements: parameters and columns --------------------------- */

void *db_rows(struct req *r, size_t n, size_t size)
{
	return n == 0 ? NULL : arena_alloc(r->arena, n * size);
}

void db_param_TEXT(struct req *r, const char *v, const char **pv, int *pl, int *pf)
{
	(void)r;
	*pv = v;
	*pl = 0;
	*pf = 0;
}

void db_param_I64(struct req *r, int64_t v, const char **pv, int *pl, int *pf)
{
	*pv = req_i64str(r, v);
	*pl = 0;
	*pf = 0;
}

void db_param_INT(struct req *r, int v, const char **pv, int *pl, int *pf)
{
	db_param_I64(r, v, pv, pl, pf);
}

void db_param_BOOL(struct req *r, int v, const char **pv, int *pl, int *pf)
{
	(void)r;
	*pv = v ? "t" : "f";
	*pl = 0;
	*pf = 0;
}

void db_param_BYTES(struct req *r, struct db_bytes v, const char **pv, int *pl, int *pf)
{
	(void)r;
	*pv = (const char *)v.p;
	*pl = v.p ? (int)v.len : 0;
	*pf = 1;
}

void db_col_TEXT(const PGresult *res, int row, int col, const char **out, struct req *r)
{
	(void)r;
	*out = PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

void db_col_I64(const PGresult *res, int row, int col, int64_t *out, struct req *r)
{
	(void)r;
	*out = PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

void db_col_INT(const PGresult *res, int row, int col, int *out, struct req *r)
{
	(void)r;
	*out = PQgetisnull(res, row, col) ? 0 : (int)strtol(PQgetvalue(res, row, col), NULL, 10);
}

void db_col_BOOL(const PGresult *res, int row, int col, int *out, struct req *r)
{
	(void)r;
	*out = !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

void db_col_BYTES(const PGresult *res, int row, int col, struct db_bytes *out, struct req *r)
{
	out->p = NULL;
	out->len = 0;
	if (PQgetisnull(res, row, col))
		return;
	size_t n = 0;
	unsigned char *u = PQunescapeBytea((const unsigned char *)PQgetvalue(res, row, col), &n);
	if (u == NULL)
		return;
	unsigned char *c = n ? arena_alloc(r->arena, n) : NULL;
	if (c != NULL) {
		memcpy(c, u, n);
		out->p = c;
		out->len = n;
	}
	PQfreemem(u);
}

char *db_text_array(struct arena *a, const char *const *v, size_t n)
{
	size_t len = 3;
	for (size_t i = 0; i < n; i++)
		len += 2 * strlen(v[i]) + 3;
	char *out = arena_alloc(a, len);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	out[o++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			out[o++] = ',';
		out[o++] = '"';
		for (const char *c = v[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				out[o++] = '\\';
			out[o++] = *c;
		}
		out[o++] = '"';
	}
	out[o++] = '}';
	out[o] = '\0';
	return out;
}
