/* 流程管理: time limits and actions per business type, changed by holders of
 * workflow.manage for the whole region, without code changes. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

static const struct stmt q_wf_types = {
	"wf_types",
	"SELECT t.code, t.name, t.promised_days, t.statutory_days, t.enabled::int,"
	" coalesce((SELECT string_agg(o.action, ' ' ORDER BY o.action) FROM cases.type_action_off o"
	"   WHERE o.business_type = t.code), '')"
	" FROM cases.business_type t ORDER BY t.code",
	0,
};
static const struct stmt q_wf_update = {
	"wf_update",
	"UPDATE cases.business_type SET promised_days = coalesce($2::int, promised_days),"
	" enabled = coalesce($3::boolean, enabled) WHERE code = $1 RETURNING promised_days, statutory_days",
	3,
};
static const struct stmt q_wf_action_known = {
	"wf_action_known", "SELECT 1 FROM cases.transition WHERE action = $1 LIMIT 1", 1,
};
static const struct stmt q_wf_off = {
	"wf_off", "INSERT INTO cases.type_action_off VALUES ($1, $2) ON CONFLICT DO NOTHING", 2,
};
static const struct stmt q_wf_on = {
	"wf_on", "DELETE FROM cases.type_action_off WHERE business_type = $1 AND action = $2", 2,
};

static const char *const REGION[] = { "450000" };

/* GET /api/v1/workflows/business-types */
void h_workflow_types(struct req *r)
{
	if (auth_require(r, "workflow.manage", NULL, 0) == NULL)
		return;
	PGresult *res = db_exec(r, &q_wf_types, NULL);
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
		jg_int(g, "promised_days", atoll(PQgetvalue(res, i, 2)));
		jg_int(g, "statutory_days", atoll(PQgetvalue(res, i, 3)));
		jg_bool(g, "enabled", atoi(PQgetvalue(res, i, 4)));
		jg_words(g, r->arena, "actions_off", PQgetvalue(res, i, 5));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* PATCH /api/v1/workflows/business-types/{code} {"promised_days"?, "enabled"?,
 * "actions_off"?: [...], "actions_on"?: [...]} — region-wide settings. */
void h_workflow_type_patch(struct req *r)
{
	static const struct field spec[] = {
		{ "promised_days", V_INT, 0, 1, 30, NULL },
		{ "enabled", V_BOOL, 0, 0, 1, NULL },
	};
	const struct principal *p = auth_require(r, "workflow.manage", REGION, 1);
	if (p == NULL)
		return;
	const struct json *body = req_json_object(r);
	if (body == NULL)
		return;
	const struct json *lists[2] = { json_get(body, "actions_off"), json_get(body, "actions_on") };
	const struct json *scalars = json_without(r->arena, body, lists[0], lists[1]);
	struct fval v[2];
	if (scalars == NULL || valid_fields(r, scalars, spec, 2, v) != 0)
		return;
	for (int k = 0; k < 2; k++) {
		if (lists[k] == NULL)
			continue;
		if (lists[k]->type != JSON_ARRAY || lists[k]->count > 20) {
			valid_reject(r, "invalid_field", k ? "actions_on" : "actions_off", "must be an array of actions.");
			return;
		}
		for (const struct json *a = lists[k]->child; a; a = a->next) {
			const char *pa[] = { a->s };
			PGresult *known = a->type == JSON_STRING && valid_snake(a->s, 40) ? db_exec(r, &q_wf_action_known, pa) : NULL;
			if (r->responded)
				return;
			if (known == NULL || PQntuples(known) != 1) {
				valid_reject(r, "invalid_field", k ? "actions_on" : "actions_off", "names an unknown action.");
				return;
			}
		}
	}
	const char *code = req_param(r, "code");
	const char *pu[] = { code, v[0].present ? i64str(r, v[0].i) : NULL, v[1].present ? (v[1].b ? "true" : "false") : NULL };
	PGresult *res;
	if (db_begin(r) != 0 || (res = db_exec(r, &q_wf_update, pu)) == NULL)
		return;
	if (PQntuples(res) != 1) {
		resp_problem(r, 404, "business_type_not_found", "No business type has this code.");
		return;
	}
	for (int k = 0; k < 2; k++)
		for (const struct json *a = lists[k] ? lists[k]->child : NULL; a; a = a->next) {
			const char *pa[] = { code, a->s };
			if (db_exec(r, k ? &q_wf_on : &q_wf_off, pa) == NULL)
				return;
		}
	if (audit_write(r, p, "workflow.update", "business_type", code, "success",
			json_pairs(r, "promised_days", pu[1], "enabled", pu[2])) != 0 ||
	    db_commit(r) != 0)
		return;
	h_workflow_types(r);
}

static const struct stmt q_pilots = {
	"wf_pilots", "SELECT p.division_code, d.name FROM cases.pilot p JOIN ref.division d ON d.code = p.division_code"
		     " WHERE p.category = 'ownership' ORDER BY 1",
	0,
};
static const struct stmt q_pilot_on = {
	"wf_pilot_on",
	"INSERT INTO cases.pilot (division_code, category) SELECT code, 'ownership' FROM ref.division WHERE code = $1"
	" ON CONFLICT DO NOTHING",
	1,
};
static const struct stmt q_pilot_off = {
	"wf_pilot_off", "DELETE FROM cases.pilot WHERE division_code = $1 AND category = 'ownership'", 1,
};

/* GET /api/v1/workflows/pilots: divisions where ownership (产权类) types are on */
void h_pilots(struct req *r)
{
	if (auth_require(r, "workflow.manage", NULL, 0) == NULL)
		return;
	PGresult *res = db_exec(r, &q_pilots, NULL);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(res); i++) {
		yajl_gen_map_open(g);
		jg_str(g, "division_code", PQgetvalue(res, i, 0));
		jg_str(g, "name", PQgetvalue(res, i, 1));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* PUT / DELETE /api/v1/workflows/pilots/{division}: the pilot switch, by a
 * holder of workflow.manage over that division (a city's covers its counties) */
void h_pilot_switch(struct req *r)
{
	const char *div = req_param(r, "division");
	const struct principal *p = auth_require(r, "workflow.manage", &div, 1);
	if (p == NULL)
		return;
	const char *params[] = { div };
	PGresult *ex = db_exec(r, &q_division_exists, params);
	if (ex == NULL)
		return;
	if (PQntuples(ex) != 1) {
		resp_problem(r, 404, "division_not_found", "No division has this code.");
		return;
	}
	int on = r->method == M_PUT;
	if (db_begin(r) != 0 || db_exec(r, on ? &q_pilot_on : &q_pilot_off, params) == NULL ||
	    audit_write(r, p, on ? "workflow.pilot.on" : "workflow.pilot.off", "division", div, "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	resp_raw(r, 204, NULL, NULL, 0);
}
