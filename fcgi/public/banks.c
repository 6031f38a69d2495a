/* Banks (sql/banks.csv): the mortgagees a case may name by code. Public
 * reference data, like divisions: the portal's mortgagee list and anyone
 * labelling a code read it without a session. */
#include "../core/db.h"
#include "../core/server.h"
#include "public.h"

static const struct stmt q_banks = {
	"bank_list", "SELECT code, name FROM ref.bank ORDER BY code", 0,
};

/* GET /api/v1/banks: the list changes with a migration only, so browsers
 * and proxies may keep it for an hour. */
void h_bank_list(struct req *r)
{
	PGresult *res = db_exec(r, &q_banks, NULL);
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
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "public, max-age=3600");
	resp_json(r, 200);
}
