/* query: the program of the query service area — the registry base now;
 * archive queries, whitelist and certificates arrive with the issues that
 * build them. It also serves the core's /healthz, /readyz and /metrics. */
#include "../domain/division.h"
#include "archive.h"
#include "query.h"
#include "certificate.h"

/* archive queries: list keys */
static const struct qkey q_queries[] = { LIST_BEFORE(100, 20),
					 QKEY_ENUM("state", "completed", "pending_approval", "rejected"), QKEY_END };
static const struct qkey q_before[] = { LIST_BEFORE(100, 20), QKEY_END };
static const struct qkey q_after[] = { LIST_AFTER(100, 50), QKEY_END };

static const struct route routes[] = {
	{ .methods = M_GET, .pattern = "/api/v1/registry/units/{code:str}", .fn = h_unit_card, .perm = "case.create" },
	/* registry search (search.c, lookup.c) */
	{ .methods = M_POST, .pattern = "/api/v1/registry/search", .fn = h_registry_search, .perm = "registry.read" },
	/* archive queries (wt-query) */
	{ M_POST, "/api/v1/query-evidence", h_evidence_upload, .perm = "query.create" },
	{ M_POST, "/api/v1/queries", h_query_create, .perm = "query.create" },
	{ M_GET, "/api/v1/queries", h_query_list, .perm = "query.create", .query = q_queries },
	{ M_GET, "/api/v1/queries/{id:int}", h_query_get, .perm = "query.create" },
	{ M_GET, "/api/v1/query-approvals", h_query_approvals, .perm = "query.approve", .query = q_before },
	{ M_POST, "/api/v1/queries/{id:int}/approve", h_query_approve, .perm = "query.approve" },
	{ M_POST, "/api/v1/queries/{id:int}/reject", h_query_reject, .perm = "query.approve" },
	{ M_GET, "/api/v1/whitelist", h_whitelist_list, .perm = "whitelist.manage", .query = q_after },
	{ M_POST, "/api/v1/whitelist", h_whitelist_add, .perm = "whitelist.manage" },
	{ M_DELETE, "/api/v1/whitelist/{id:int}", h_whitelist_remove, .perm = "whitelist.manage" },
	{ M_GET, "/api/v1/query-permissions", h_qperm_list, .perm = "role.manage", .query = q_after },
	{ M_PUT, "/api/v1/query-permissions/{user_id:int}", h_qperm_put, .perm = "role.manage" },
	/* the query-result certificate (certificate.c; nginx: the slow lane) */
	{ .methods = M_GET, .pattern = "/api/v1/queries/{id:int}/certificate.pdf", .fn = h_query_certificate, .perm = "query.create" },
};

static const struct service svc = {
	.name = "query",
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.scope_covers = division_covers,
	.worker_exit = search_worker_exit, /* registry search: gathered audit rows */
	.worker_idle = search_worker_idle,
};

int main(void)
{
	return server_main(&svc);
}
