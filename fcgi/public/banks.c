/* Banks (sql/banks.csv): the mortgagees a case may name by code. Public
 * reference data, like divisions: the portal's mortgagee list and anyone
 * labelling a code read it without a session. */
#include "../core/db.h"
#include "../core/list.h"
#include "../core/server.h"
#include "public.h"

#define Q_BANKS(P, C) C(code, TEXT) C(name, TEXT)
DB_QUERY(bank_list, Q_BANKS, "SELECT code, name FROM ref.bank ORDER BY code");

static const struct jcol bank_cols[] = {
	JCOL_STR("code", struct bank_list_row, code),
	JCOL_STR("name", struct bank_list_row, name),
	JCOL_END,
};

/* GET /api/v1/banks: the list changes with a migration only, so browsers
 * and proxies may keep it for an hour. All of it at once (a few dozen
 * banks): no paging. */
void h_bank_list(struct req *r)
{
	struct bank_list_row *rows;
	int n = bank_list_run(r, &(struct bank_list_in){ 0 }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), bank_cols);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "public, max-age=3600");
	resp_json(r, 200);
}
