/* 流程管理: time limits and actions per business type, changed by holders of
 * workflow.manage for the whole region, without code changes. */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

#define Q_WF_TYPES(P, C)                                                                     \
	C(code, TEXT) C(name, TEXT) C(promised_days, INT) C(statutory_days, INT) C(enabled, BOOL)    \
	C(actions_off, TEXT)
DB_QUERY(wf_types, Q_WF_TYPES,
	 "SELECT t.code, t.name, t.promised_days, t.statutory_days, t.enabled,"
	 " coalesce((SELECT string_agg(o.action, ' ' ORDER BY o.action) FROM cases.type_action_off o"
	 "   WHERE o.business_type = t.code), '')"
	 " FROM cases.business_type t ORDER BY t.code");
/* set_days, set_enabled: whether the body changes them */
#define Q_WF_UPDATE(P, C)                                                                       \
	P(code, TEXT) P(set_days, BOOL) P(promised_days, INT) P(set_enabled, BOOL) P(enabled, BOOL) \
	C(code, TEXT)
DB_QUERY(wf_update, Q_WF_UPDATE,
	 "UPDATE cases.business_type SET promised_days = CASE WHEN $2 THEN $3 ELSE promised_days END,"
	 " enabled = CASE WHEN $4 THEN $5 ELSE enabled END WHERE code = $1 RETURNING code");
#define Q_WF_ACTION_KNOWN(P, C) P(action, TEXT) C(one, INT)
DB_QUERY(wf_action_known, Q_WF_ACTION_KNOWN, "SELECT 1 FROM cases.transition WHERE action = $1 LIMIT 1");
#define Q_WF_ACTION(P, C) P(business_type, TEXT) P(action, TEXT)
DB_QUERY(wf_off, Q_WF_ACTION, "INSERT INTO cases.type_action_off VALUES ($1, $2) ON CONFLICT DO NOTHING");
DB_QUERY(wf_on, Q_WF_ACTION, "DELETE FROM cases.type_action_off WHERE business_type = $1 AND action = $2");

static const char *const REGION[] = { "450000" };

static const struct jcol wf_type_cols[] = {
	JCOL_STR("code", struct wf_types_row, code),
	JCOL_STR("name", struct wf_types_row, name),
	JCOL_INT32("promised_days", struct wf_types_row, promised_days),
	JCOL_INT32("statutory_days", struct wf_types_row, statutory_days),
	JCOL_BOOL("enabled", struct wf_types_row, enabled),
	JCOL_WORDS("actions_off", struct wf_types_row, actions_off),
	JCOL_END,
};

/* GET /api/v1/workflows/business-types (workflow.manage) */
void h_workflow_types(struct req *r)
{
	struct wf_types_row *rows;
	int n = wf_types_run(r, &(struct wf_types_in){ 0 }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), wf_type_cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* PATCH /api/v1/workflows/business-types/{code} {"promised_days"?, "enabled"?,
 * "actions_off"?: [...], "actions_on"?: [...]} — region-wide settings
 * (workflow.manage over the region). */
void h_workflow_type_patch(struct req *r)
{
	enum { F_DAYS, F_ENABLED };
	static const struct field spec[] = {
		[F_DAYS] = { "promised_days", V_INT, 0, 1, 30, NULL },
		[F_ENABLED] = { "enabled", V_BOOL, 0, 0, 1, NULL },
	};
	/* the two lists: actions switched off, and back on */
	enum { L_OFF, L_ON, L_N };
	static const char *const list_names[L_N] = { [L_OFF] = "actions_off", [L_ON] = "actions_on" };
	const struct principal *p = auth_require(r, "workflow.manage", REGION, 1);
	if (p == NULL)
		return;
	const struct json *body = req_json_object(r);
	if (body == NULL)
		return;
	const struct json *lists[L_N] = { [L_OFF] = json_get(body, list_names[L_OFF]),
					  [L_ON] = json_get(body, list_names[L_ON]) };
	const struct json *scalars = json_without(r->arena, body, lists[L_OFF], lists[L_ON]);
	struct fval v[NELEM(spec)];
	if (scalars == NULL || valid_fields(r, scalars, spec, NELEM(spec), v) != 0)
		return;
	for (int k = 0; k < L_N; k++) {
		if (lists[k] == NULL)
			continue;
		if (lists[k]->type != JSON_ARRAY || lists[k]->count > 20) {
			valid_reject(r, "invalid_field", list_names[k], "must be an array of actions.");
			return;
		}
		for (const struct json *a = lists[k]->child; a; a = a->next) {
			int known = a->type == JSON_STRING && valid_snake(a->s, 40)
					    ? wf_action_known_run(r, &(struct wf_action_known_in){ .action = a->s }, NULL)
					    : 0;
			if (known < 0)
				return;
			if (known != 1) {
				valid_reject(r, "invalid_field", list_names[k], "names an unknown action.");
				return;
			}
		}
	}
	const char *code = req_param(r, "code");
	const struct fval *days = &v[F_DAYS], *enabled = &v[F_ENABLED];
	int n;
	if (db_begin(r) != 0 ||
	    (n = wf_update_run(r,
			       &(struct wf_update_in){ .code = code, .set_days = days->present,
						       .promised_days = (int)days->i, .set_enabled = enabled->present,
						       .enabled = enabled->b },
			       NULL)) < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "business_type_not_found", "No business type has this code.");
		return;
	}
	for (int k = 0; k < L_N; k++)
		for (const struct json *a = lists[k] ? lists[k]->child : NULL; a; a = a->next) {
			int done = k == L_ON
					   ? wf_on_run(r, &(struct wf_on_in){ .business_type = code, .action = a->s }, NULL)
					   : wf_off_run(r, &(struct wf_off_in){ .business_type = code, .action = a->s }, NULL);
			if (done < 0)
				return;
		}
	if (auth_audit(r, p, "workflow.update", "business_type", code, "success",
			json_pairs(r->arena, "promised_days", days->present ? req_i64str(r, days->i) : NULL, "enabled",
				   enabled->present ? (enabled->b ? "true" : "false") : NULL)) != 0 ||
	    db_commit(r) != 0)
		return;
	h_workflow_types(r);
}

#define Q_PILOTS(P, C) C(division_code, TEXT) C(name, TEXT)
DB_QUERY(wf_pilots, Q_PILOTS,
	 "SELECT p.division_code, d.name FROM cases.pilot p JOIN ref.division d ON d.code = p.division_code"
	 " WHERE p.category = 'ownership' ORDER BY 1");
#define Q_PILOT_SWITCH(P, C) P(division, TEXT)
DB_QUERY(wf_pilot_on, Q_PILOT_SWITCH,
	 "INSERT INTO cases.pilot (division_code, category) SELECT code, 'ownership' FROM ref.division WHERE code = $1"
	 " ON CONFLICT DO NOTHING");
DB_QUERY(wf_pilot_off, Q_PILOT_SWITCH, "DELETE FROM cases.pilot WHERE division_code = $1 AND category = 'ownership'");

static const struct jcol pilot_cols[] = {
	JCOL_STR("division_code", struct wf_pilots_row, division_code),
	JCOL_STR("name", struct wf_pilots_row, name),
	JCOL_END,
};

/* GET /api/v1/workflows/pilots (workflow.manage): divisions where
 * ownership (产权类) types are on */
void h_pilots(struct req *r)
{
	struct wf_pilots_row *rows;
	int n = wf_pilots_run(r, &(struct wf_pilots_in){ 0 }, &rows);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, (size_t)n, sizeof(*rows), pilot_cols);
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
	int n = division_exists_run(r, &(struct division_exists_in){ .code = div }, NULL);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "division_not_found", "No division has this code.");
		return;
	}
	int on = r->method == M_PUT;
	if (db_begin(r) != 0 ||
	    (on ? wf_pilot_on_run(r, &(struct wf_pilot_on_in){ .division = div }, NULL)
		: wf_pilot_off_run(r, &(struct wf_pilot_off_in){ .division = div }, NULL)) < 0 ||
	    auth_audit(r, p, on ? "workflow.pilot.on" : "workflow.pilot.off", "division", div, "success", NULL) != 0 ||
	    db_commit(r) != 0)
		return;
	resp_raw(r, 204, NULL, NULL, 0);
}
