/* Registration agencies: listed for anyone with a session; added and
 * renamed by holders of agency.manage over the agency's division. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

#define AGENCY_COLS(P, C) C(code, TEXT) C(name, TEXT) C(division_code, TEXT) C(version, INT)
DB_ROW(agency_row, AGENCY_COLS);
#define Q_AGENCIES(P, C) P(division, TEXT) AGENCY_COLS(P, C)
DB_QUERY_AS(agencies_list, Q_AGENCIES, agency_row,
	    "SELECT code, name, division_code, version FROM iam.agency"
	    " WHERE ($1::text IS NULL OR ref.covers($1, division_code)) ORDER BY code");
#define Q_AGENCY_GET(P, C) P(code, TEXT) AGENCY_COLS(P, C)
DB_QUERY_AS(agency_get, Q_AGENCY_GET, agency_row,
	    "SELECT code, name, division_code, version FROM iam.agency WHERE code = $1");
#define Q_AGENCY_INSERT(P, C) P(code, TEXT) P(name, TEXT) P(division_code, TEXT) C(version, INT)
DB_QUERY(agency_insert, Q_AGENCY_INSERT,
	 "INSERT INTO iam.agency (code, name, division_code) VALUES ($1, $2, $3) RETURNING version");
#define Q_AGENCY_RENAME(P, C) P(code, TEXT) P(name, TEXT) P(version, INT) C(version, INT)
DB_QUERY(agency_rename, Q_AGENCY_RENAME,
	 "UPDATE iam.agency SET name = $2, updated_at = now(), version = version + 1"
	 " WHERE code = $1 AND version = $3 RETURNING version");

static const struct jcol agency_cols[] = {
	JCOL_STR("code", struct agency_row, code),
	JCOL_STR("name", struct agency_row, name),
	JCOL_STR("division_code", struct agency_row, division_code),
	JCOL_INT32("version", struct agency_row, version),
	JCOL_END,
};

static void gen_agency(struct req *r, const struct agency_row *a)
{
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_members(r, g, a, agency_cols);
	yajl_gen_map_close(g);
}

/* 6 or 8 digits */
int is_agency_code(const char *s)
{
	size_t n = strlen(s);
	if (n != 6 && n != 8)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

const struct qkey agencies_query[] = {
	QKEY_TEXT("division", 6, valid_digits6, "a 6-digit division code"),
	QKEY_END,
};

/* GET /api/v1/agencies?division= (any session) */
void h_agencies_list(struct req *r)
{
	struct agency_row *rows;
	int n = agencies_list_run(r, &(struct agencies_list_in){ .division = req_query(r, "division") }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), agency_cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* POST /api/v1/agencies {"code", "name", "division_code"} (agency.manage):
 * a further agency of a division has the division's code and two more digits. */
void h_agency_create(struct req *r)
{
	enum { F_CODE, F_NAME, F_DIVISION };
	static const struct field spec[] = {
		[F_CODE] = { "code", V_STRING, 1, 8, 8, is_agency_code },
		[F_NAME] = { "name", V_STRING, 1, 2, 64, NULL },
		[F_DIVISION] = { "division_code", V_STRING, 1, 6, 6, valid_digits6 },
	};
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	if (strncmp(v[F_CODE].s, v[F_DIVISION].s, 6) != 0) {
		valid_reject(r, "invalid_field", "code", "must begin with the division code.");
		return;
	}
	int n = division_exists_run(r, &(struct division_exists_in){ .code = v[F_DIVISION].s }, NULL);
	if (n < 0)
		return;
	if (n != 1) {
		valid_reject(r, "invalid_field", "division_code", "No division has this code.");
		return;
	}
	const char *div = v[F_DIVISION].s;
	if (auth_require(r, "agency.manage", &div, 1) == NULL)
		return;
	if (db_begin(r) != 0)
		return;
	const char *st;
	struct agency_insert_row *ins;
	if (agency_insert_try(r,
			      &(struct agency_insert_in){ .code = v[F_CODE].s, .name = v[F_NAME].s,
							  .division_code = div },
			      &ins, &st) < 0) {
		if (st)
			refuse_unique(r, st, "agency_exists", "An agency has this code or name.");
		return;
	}
	if (auth_audit(r, p, "agency.create", "agency", v[F_CODE].s, "success",
			json_pairs(r->arena, "name", v[F_NAME].s, NULL, NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	gen_agency(r, &(struct agency_row){ .code = v[F_CODE].s, .name = v[F_NAME].s, .division_code = div,
					    .version = ins->version });
	resp_json(r, 201);
}

/* PATCH /api/v1/agencies/{code} {"name", "version"} (agency.manage over
 * the agency's division) */
void h_agency_patch(struct req *r)
{
	enum { F_NAME, F_VERSION };
	static const struct field spec[] = {
		[F_NAME] = { "name", V_STRING, 1, 2, 64, NULL },
		[F_VERSION] = { "version", V_INT, 1, 1, 1L << 30, NULL },
	};
	struct fval v[NELEM(spec)];
	const struct principal *p = auth_session(r);
	const char *code = req_param(r, "code");
	if (!is_agency_code(code)) {
		resp_problem(r, 404, "agency_not_found", "No agency has this code.");
		return;
	}
	struct agency_row *cur;
	int n = agency_get_run(r, &(struct agency_get_in){ .code = code }, &cur);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "agency_not_found", "No agency has this code.");
		return;
	}
	const char *div = cur->division_code;
	if (auth_require(r, "agency.manage", &div, 1) == NULL)
		return;
	if (valid_body(r, spec, NELEM(spec), v) != 0)
		return;
	if (db_begin(r) != 0)
		return;
	const char *st;
	struct agency_rename_row *ren;
	n = agency_rename_try(r,
			      &(struct agency_rename_in){ .code = code, .name = v[F_NAME].s,
							  .version = (int)v[F_VERSION].i },
			      &ren, &st);
	if (n < 0) {
		if (st)
			refuse_unique(r, st, "agency_exists", "Another agency has this name.");
		return;
	}
	if (n != 1) {
		resp_problem(r, 409, "version_conflict", "The agency was changed by someone else; reload it.");
		return;
	}
	if (auth_audit(r, p, "agency.rename", "agency", code, "success",
			json_pairs(r->arena, "from", cur->name, "to", v[F_NAME].s)) != 0 ||
	    db_commit(r) != 0)
		return;
	gen_agency(r, &(struct agency_row){ .code = code, .name = v[F_NAME].s, .division_code = div,
					    .version = ren->version });
	resp_json(r, 200);
}
