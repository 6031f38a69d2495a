/* Registration agencies: listed for anyone with a session; added and
 * renamed by holders of agency.manage over the agency's division. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static const struct stmt q_agencies = {
	"agencies_list",
	"SELECT code, name, division_code, version FROM iam.agency"
	" WHERE ($1 = '' OR ref.covers($1, division_code)) ORDER BY code",
	1,
};
static const struct stmt q_agency_insert = {
	"agency_insert",
	"INSERT INTO iam.agency (code, name, division_code) VALUES ($1, $2, $3) RETURNING version",
	3,
};
static const struct stmt q_agency_get = {
	"agency_get", "SELECT code, name, division_code, version FROM iam.agency WHERE code = $1", 1,
};
static const struct stmt q_agency_rename = {
	"agency_rename",
	"UPDATE iam.agency SET name = $2, updated_at = now(), version = version + 1"
	" WHERE code = $1 AND version = $3::int RETURNING version",
	3,
};

static void gen_agency(struct req *r, const char *code, const char *name, const char *div, const char *ver)
{
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "code", code);
	jg_str(g, "name", name);
	jg_str(g, "division_code", div);
	jg_int(g, "version", atoll(ver));
	yajl_gen_map_close(g);
}

static int is_agency_code(const char *s)
{
	size_t n = strlen(s);
	if (n != 6 && n != 8)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* GET /api/v1/agencies?division= */
void h_agencies_list(struct req *r)
{
	if (auth_require(r, NULL, NULL, 0) == NULL)
		return;
	const char *div = req_query(r, "division");
	if (div && !valid_digits6(div)) {
		resp_problem(r, 400, "invalid_parameter", "division must be a 6-digit code.");
		return;
	}
	const char *params[] = { div ? div : "" };
	PGresult *res = db_exec(r, &q_agencies, params);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(res); i++) {
		yajl_gen_map_open(g);
		jg_str(g, "code", PQgetvalue(res, i, 0));
		jg_str(g, "name", PQgetvalue(res, i, 1));
		jg_str(g, "division_code", PQgetvalue(res, i, 2));
		jg_int(g, "version", atoll(PQgetvalue(res, i, 3)));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/agencies {"code", "name", "division_code"}: a further agency
 * of a division has the division's code and two more digits. */
void h_agency_create(struct req *r)
{
	static const struct field spec[] = {
		{ "code", V_STRING, 1, 8, 8, is_agency_code },
		{ "name", V_STRING, 1, 2, 64, NULL },
		{ "division_code", V_STRING, 1, 6, 6, valid_digits6 },
	};
	struct fval v[3];
	const struct principal *p = auth_require(r, "agency.manage", NULL, 0);
	if (p == NULL)
		return;
	if (valid_body(r, spec, 3, v) != 0)
		return;
	if (strncmp(v[0].s, v[2].s, 6) != 0) {
		valid_reject(r, "invalid_field", "code", "must begin with the division code.");
		return;
	}
	const char *pd[] = { v[2].s };
	PGresult *dr = db_exec(r, &q_division_exists, pd);
	if (dr == NULL)
		return;
	if (PQntuples(dr) != 1) {
		valid_reject(r, "invalid_field", "division_code", "No division has this code.");
		return;
	}
	const char *div = v[2].s;
	if (auth_require(r, "agency.manage", &div, 1) == NULL)
		return;
	const char *params[] = { v[0].s, v[1].s, v[2].s };
	if (db_begin(r) != 0)
		return;
	PGresult *res = db_exec_unique(r, &q_agency_insert, params, "agency_exists",
					"An agency has this code or name.");
	if (res == NULL)
		return;
	if (audit_write(r, p, "agency.create", "agency", v[0].s, "success", json_pairs(r, "name", v[1].s, NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	gen_agency(r, v[0].s, v[1].s, v[2].s, "1");
	resp_json(r, 201);
}

/* PATCH /api/v1/agencies/{code} {"name", "version"} */
void h_agency_patch(struct req *r)
{
	static const struct field spec[] = {
		{ "name", V_STRING, 1, 2, 64, NULL },
		{ "version", V_INT, 1, 1, 1L << 30, NULL },
	};
	struct fval v[2];
	const struct principal *p = auth_require(r, "agency.manage", NULL, 0);
	if (p == NULL)
		return;
	const char *code = req_param(r, "code");
	if (!is_agency_code(code)) {
		resp_problem(r, 404, "agency_not_found", "No agency has this code.");
		return;
	}
	const char *pc[] = { code };
	PGresult *cur = db_exec(r, &q_agency_get, pc);
	if (cur == NULL)
		return;
	if (PQntuples(cur) != 1) {
		resp_problem(r, 404, "agency_not_found", "No agency has this code.");
		return;
	}
	const char *div = PQgetvalue(cur, 0, 2);
	if (auth_require(r, "agency.manage", &div, 1) == NULL)
		return;
	if (valid_body(r, spec, 2, v) != 0)
		return;
	const char *params[] = { code, v[0].s, i64str(r, v[1].i) };
	if (db_begin(r) != 0)
		return;
	PGresult *res = db_exec_unique(r, &q_agency_rename, params, "agency_exists",
					"Another agency has this name.");
	if (res == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 409, "version_conflict", "The agency was changed by someone else; reload it.");
		return;
	}
	const char *ver = PQgetvalue(res, 0, 0);
	if (audit_write(r, p, "agency.rename", "agency", code, "success",
			json_pairs(r, "from", PQgetvalue(cur, 0, 1), "to", v[0].s)) != 0 ||
	    db_commit(r) != 0)
		return;
	gen_agency(r, code, v[0].s, div, ver);
	resp_json(r, 200);
}
