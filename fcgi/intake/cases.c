/* Cases: created as a draft at the receiving window, decided by the agency
 * of the county where the unit lies. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/idem.h"
#include "../core/micro.h"
#include "../domain/register.h"
#include "../domain/workdays.h"
#include "intake.h"

#define MAX_PARTIES 20

static const struct stmt q_type = {
	"case_type",
	"SELECT category, action, enabled::int, pilot_only::int, promised_days FROM cases.business_type WHERE code = $1",
	1,
};
static const struct stmt q_pilot = {
	"case_pilot", "SELECT 1 FROM cases.pilot WHERE ref.covers(division_code, $1) AND category = $2", 2,
};
/* no row: the code names no county that exists; a NULL unit: no such unit */
static const struct stmt q_unit = {
	"case_unit",
	"SELECT u.county_code FROM ref.division d LEFT JOIN reg.unit u ON u.code = $2"
	" WHERE d.code = $1 AND d.level = 'county'",
	2,
};
static const struct stmt q_agency = {
	"case_agency", "SELECT division_code FROM iam.agency WHERE code = $1", 1,
};
static const struct stmt q_bank = {
	"case_bank", "SELECT name FROM ref.bank WHERE code = $1", 1,
};
static const struct stmt q_next = {
	"case_counter",
	"INSERT INTO cases.counter (agency_code, year, kind, last) VALUES ($1, $2, $3, 1)"
	" ON CONFLICT (agency_code, year, kind) DO UPDATE SET last = cases.counter.last + 1 RETURNING last",
	3,
};
static const struct stmt q_insert = {
	"case_insert",
	"INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency,"
	" receiving_division, deciding_division, state, fields, created_by, created_at, updated_at)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8::jsonb, $9, to_timestamp($10::float8 / 1000000),"
	" to_timestamp($10::float8 / 1000000)) RETURNING id",
	10,
};
static const struct stmt q_party = {
	"case_party_insert",
	"INSERT INTO cases.party (case_id, seq, role, name, id_type, id_number, id_number_masked, id_number_index,"
	" progress_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
	9,
};
const struct stmt q_case_event = {
	"case_event_insert",
	"INSERT INTO cases.event (case_id, at, actor_id, agency_code, action, from_state, to_state, comment, details)"
	" VALUES ($1, to_timestamp($2::float8 / 1000000), $3, $4, $5, $6, $7, $8, coalesce($9::jsonb, '{}'))",
	9,
};
const struct stmt q_case_outbox = {
	"case_outbox",
	"INSERT INTO outbox.message (at, topic, case_id, payload) VALUES (to_timestamp($1::float8 / 1000000), $2, $3, $4::jsonb)",
	4,
};
static const struct stmt q_types = {
	"business_types",
	"SELECT code, category, action, name, promised_days, statutory_days, fee_rule,"
	" array_to_string(required_docs, ' '), pilot_only::int, enabled::int FROM cases.business_type ORDER BY code",
	0,
};

static int is_date(const char *s)
{
	int ymd;
	return iso_date_parse(s, &ymd) == 0;
}

static int is_mortgage_type(const char *s)
{
	return strcmp(s, "ordinary") == 0 || strcmp(s, "maximum") == 0;
}

/* Business fields per category and action, declared like request fields. */
static const struct field mortgage_fields[] = {
	{ "mortgagee_bank", V_STRING, 0, 2, 8, NULL },
	{ "mortgagee_name", V_STRING, 0, 2, 100, NULL },
	{ "amount_fen", V_INT, 1, 1, 1000000000000000LL, NULL },
	{ "term_from", V_STRING, 1, 10, 10, is_date },
	{ "term_to", V_STRING, 1, 10, 10, is_date },
	{ "mortgage_type", V_STRING, 1, 7, 8, is_mortgage_type },
	{ "debtor", V_STRING, 1, 1, 100, NULL },
	{ "entry_id", V_INT, 0, 1, 1LL << 60, NULL },
};
static const struct field pre_notice_fields[] = {
	{ "buyer", V_STRING, 1, 1, 100, NULL },
	{ "seller", V_STRING, 1, 1, 100, NULL },
	{ "contract_number", V_STRING, 1, 1, 64, NULL },
	{ "price_fen", V_INT, 1, 1, 1000000000000000LL, NULL },
	{ "entry_id", V_INT, 0, 1, 1LL << 60, NULL },
};
static const struct field cancel_fields[] = {
	{ "entry_id", V_INT, 1, 1, 1LL << 60, NULL },
	{ "reason", V_STRING, 0, 1, 500, NULL },
};
static const struct field other_fields[] = {
	{ "description", V_STRING, 1, 1, 2000, NULL },
	{ "entry_id", V_INT, 0, 1, 1LL << 60, NULL },
};

/* The problems a case body has, all of them (POST /cases/validate lists
 * them; creation answers with the first). Fields are named by path:
 * unit_code, parties/0/id_number, fields/amount_fen. */
struct case_problem {
	int status;
	const char *code, *field, *detail;
};

struct case_check {
	struct req *r;
	struct case_problem *p;
	size_t n, cap;
	const char *prefix; /* for the names valid_fields_all reports */
};

static void problem(struct case_check *k, int status, const char *code, const char *field, const char *detail)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		struct case_problem *p = arena_alloc(k->r->arena, cap * sizeof(*p));
		if (p == NULL)
			return; /* out of memory: the problems found so far still refuse */
		if (k->n)
			memcpy(p, k->p, k->n * sizeof(*p));
		k->p = p;
		k->cap = cap;
	}
	struct arena *a = k->r->arena;
	k->p[k->n++] = (struct case_problem){ status, code, arena_printf(a, "%s", field),
					      arena_printf(a, "%s", detail) };
}

static void field_problem(void *ctx, const char *code, const char *field, const char *detail)
{
	struct case_check *k = ctx;
	problem(k, 400, code, arena_printf(k->r->arena, "%s%s", k->prefix, field), detail);
}

/* Check "fields" for the type; the JSON object to store (NULL with a
 * problem noted, or after replying when *replied). Bank codes are resolved
 * to the bank's name. */
static char *business_fields(struct case_check *k, const struct json *f, const char *category, const char *action,
			     int *replied)
{
	struct req *r = k->r;
	const struct field *spec;
	size_t n;
	if (strcmp(action, "cancellation") == 0) {
		spec = cancel_fields;
		n = 2;
	} else if (strcmp(category, "mortgage") == 0) {
		spec = mortgage_fields;
		n = 8;
	} else if (strcmp(category, "pre_notice") == 0) {
		spec = pre_notice_fields;
		n = 5;
	} else {
		spec = other_fields;
		n = 2;
	}
	if (f == NULL || f->type != JSON_OBJECT) {
		problem(k, 400, "invalid_field", "fields", "must be an object.");
		return NULL;
	}
	struct fval v[8];
	size_t before = k->n;
	k->prefix = "fields/";
	valid_fields_all(f, spec, n, v, field_problem, k);
	/* an establishment makes a new right: naming one in force would end it */
	for (size_t i = 0; i < n && strcmp(action, "establish") == 0; i++)
		if (strcmp(spec[i].name, "entry_id") == 0 && v[i].present)
			problem(k, 400, "invalid_field", "fields/entry_id", "an establishment changes no existing right.");
	const char *bank_name = NULL;
	if (spec == mortgage_fields) {
		if (v[0].present && v[1].present) {
			problem(k, 400, "invalid_field", "fields/mortgagee_bank",
				"give either mortgagee_bank (a bank code) or mortgagee_name.");
		} else if (v[0].present) {
			const char *pb[] = { v[0].s };
			PGresult *br = db_exec(r, &q_bank, pb);
			if (br == NULL) {
				*replied = 1;
				return NULL;
			}
			if (PQntuples(br) != 1)
				problem(k, 400, "invalid_field", "fields/mortgagee_bank", "No bank has this code.");
			else
				bank_name = arena_strndup(r->arena, PQgetvalue(br, 0, 0), strlen(PQgetvalue(br, 0, 0)));
		} else if (!v[1].present && !json_get(f, "mortgagee_bank") && !json_get(f, "mortgagee_name")) {
			problem(k, 400, "invalid_field", "fields/mortgagee_bank",
				"give either mortgagee_bank (a bank code) or mortgagee_name.");
		}
		if (v[3].present && v[4].present && term_check(v[3].s, v[4].s) != TERM_OK)
			problem(k, 400, "invalid_field", "fields/term_to", "must be a date after term_from.");
		if (strcmp(action, "establish") != 0 && !v[7].present && !json_get(f, "entry_id"))
			problem(k, 400, "missing_field", "fields/entry_id", "names the mortgage this case changes.");
	}
	if (k->n > before)
		return NULL;
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	for (size_t i = 0; i < n; i++) {
		if (!v[i].present)
			continue;
		if (spec[i].type == V_INT)
			jg_int(g, spec[i].name, v[i].i);
		else
			jg_strn(g, spec[i].name, v[i].s, v[i].len);
	}
	if (bank_name)
		jg_str(g, "mortgagee_name", bank_name);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	if (yajl_gen_get_buf(g, &b, &len) != yajl_gen_status_ok) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		*replied = 1;
		return NULL;
	}
	return arena_strndup(r->arena, (const char *)b, len);
}

static int party_role(const char *s)
{
	return strcmp(s, "right_holder") == 0 || strcmp(s, "obligor") == 0 || strcmp(s, "agent") == 0;
}

static int id_type_ok(const char *s)
{
	return id_type_parse(s) != ID_INVALID_TYPE;
}

static int beijing_today(struct req *r)
{
	time_t t = (time_t)(req_now_us(r) / 1000000) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* A case body once checked: what creation stores. */
struct case_input {
	struct fval v[2]; /* business_type, unit_code */
	struct fval pv[MAX_PARTIES][4];
	size_t np;
	const char *county; /* the unit's county: the deciding side */
	char *fjson;	    /* the business fields to store */
};

static const struct field case_spec[] = {
	{ "business_type", V_STRING, 1, 3, 40, NULL },
	{ "unit_code", V_STRING, 1, 28, 28, NULL },
};
static const struct field party_spec[] = {
	{ "role", V_STRING, 1, 5, 12, party_role },
	{ "name", V_STRING, 1, 1, 100, NULL },
	{ "id_type", V_STRING, 1, 2, 20, id_type_ok },
	{ "id_number", V_STRING, 1, 2, 32, NULL },
};

/* Every rule a new case must meet, in the order creation has always met
 * them, each broken one noted in k; what depends on a member that is
 * missing or wrong is not checked (nothing to check it against). The one
 * validator for creation and POST /cases/validate. 0, or -1 after
 * replying (database unavailable). */
static int case_check(struct case_check *k, const struct json *body, struct case_input *in)
{
	struct req *r = k->r;
	/* the scalars by the table; parties and fields (nested) by hand below */
	const struct json *parties = json_get(body, "parties"), *fields = json_get(body, "fields");
	const struct json *scalars = json_without(r->arena, body, parties, fields);
	if (scalars == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	k->prefix = "";
	valid_fields_all(scalars, case_spec, 2, in->v, field_problem, k);
	int unit_ok = 0;
	if (in->v[1].present) {
		enum unit_problem up = unit_code_check(in->v[1].s);
		if (up != UNIT_OK)
			problem(k, 400, "invalid_unit_code", "unit_code", unit_problem_text(up));
		unit_ok = up == UNIT_OK;
	}
	in->np = 0;
	if (parties == NULL || parties->type != JSON_ARRAY || parties->count < 1 || parties->count > MAX_PARTIES) {
		problem(k, 400, parties ? "invalid_field" : "missing_field", "parties",
			"must be an array of 1 to 20 parties.");
	} else {
		int holders = 0, roles_known = 1;
		for (const struct json *pj = parties->child; pj; pj = pj->next, in->np++) {
			struct fval *pv = in->pv[in->np];
			char *path = arena_printf(r->arena, "parties/%zu", in->np);
			if (pj->type != JSON_OBJECT) {
				memset(pv, 0, 4 * sizeof(*pv));
				problem(k, 400, "invalid_field", path, "each party must be an object.");
				roles_known = 0;
				continue;
			}
			k->prefix = arena_printf(r->arena, "%s/", path);
			valid_fields_all(pj, party_spec, 4, pv, field_problem, k);
			roles_known &= pv[0].present;
			holders += pv[0].present && strcmp(pv[0].s, "right_holder") == 0;
			if (!pv[2].present || !pv[3].present)
				continue;
			enum id_type t = id_type_parse(pv[2].s);
			char *idn = arena_strndup(r->arena, pv[3].s, pv[3].len);
			if (idn == NULL) {
				resp_problem(r, 500, "internal", "The server could not complete the request.");
				return -1;
			}
			id_number_normalize(t, idn);
			pv[3].s = idn;
			enum id_problem ip = id_number_check(t, idn, beijing_today(r));
			if (ip != ID_OK)
				problem(k, 400, "invalid_id_number", arena_printf(r->arena, "%s/id_number", path),
					id_problem_text(t, ip));
		}
		if (holders == 0 && roles_known)
			problem(k, 400, "invalid_field", "parties", "must name at least one right holder.");
	}
	const char *category = NULL, *action = NULL;
	int pilot_only = 0;
	if (in->v[0].present) {
		const char *pt[] = { in->v[0].s };
		PGresult *tr = db_exec(r, &q_type, pt);
		if (tr == NULL)
			return -1;
		if (PQntuples(tr) != 1 || !atoi(PQgetvalue(tr, 0, 2))) {
			problem(k, 400, "unknown_business_type", "business_type", "No enabled business type has this code.");
		} else {
			category = PQgetvalue(tr, 0, 0);
			action = PQgetvalue(tr, 0, 1);
			pilot_only = atoi(PQgetvalue(tr, 0, 3));
		}
	}
	in->county = NULL;
	if (unit_ok) {
		char ucounty[7];
		unit_code_county(in->v[1].s, ucounty);
		const char *pu[] = { ucounty, in->v[1].s };
		PGresult *ur = db_exec(r, &q_unit, pu);
		if (ur == NULL)
			return -1;
		if (PQntuples(ur) != 1)
			problem(k, 400, "invalid_unit_code", "unit_code", unit_problem_text(UNIT_COUNTY));
		else if (PQgetisnull(ur, 0, 0))
			problem(k, 422, "unit_not_found", "unit_code", "No property unit with this code is in the registry.");
		else
			in->county = PQgetvalue(ur, 0, 0);
	}
	if (category && in->county && pilot_only) {
		const char *pp[] = { in->county, category };
		PGresult *pr = db_exec(r, &q_pilot, pp);
		if (pr == NULL)
			return -1;
		if (PQntuples(pr) != 1)
			problem(k, 422, "business_type_not_enabled", "business_type",
				"This business type is not enabled in the unit's division (pilot switch).");
	}
	in->fjson = NULL;
	if (category) {
		int replied = 0;
		in->fjson = business_fields(k, fields, category, action, &replied);
		if (replied)
			return -1;
	}
	return 0;
}

/* Creation and validation begin alike: case.create over the clerk's own
 * agency (the receiving side, from the session), a JSON object, and every
 * problem of it in k. NULL when an answer has been sent. */
static const struct principal *case_body_checked(struct req *r, struct case_check *k, struct case_input *in)
{
	const struct principal *s0 = auth_session(r);
	const char *own = s0 ? s0->division_code : NULL;
	const struct principal *p = auth_require(r, "case.create", &own, own ? 1 : 0);
	if (p == NULL)
		return NULL;
	const struct json *body = req_json_object(r);
	if (body == NULL || case_check(k, body, in) != 0)
		return NULL;
	return p;
}

/* POST /api/v1/cases */
void h_case_create(struct req *r)
{
	struct case_check k = { r, NULL, 0, 0, "" };
	struct case_input in;
	const struct principal *p = case_body_checked(r, &k, &in);
	if (p == NULL)
		return;
	if (k.n > 0) {
		/* the first problem, as the rules meet it */
		resp_problem(r, k.p[0].status, k.p[0].code, arena_printf(r->arena, "%s: %s", k.p[0].field, k.p[0].detail));
		return;
	}
	struct fval *v = in.v;
	struct fval(*pv)[4] = in.pv;
	size_t np = in.np;
	const char *county = in.county;
	char *fjson = in.fjson;
	/* the deciding agency is the main agency of the unit's county */
	const char *pa[] = { p->agency_code };
	PGresult *ar = db_exec(r, &q_agency, pa);
	if (ar == NULL)
		return;
	const char *recv_div = PQgetvalue(ar, 0, 0);
	int64_t now = req_now_us(r);
	time_t secs = (time_t)(now / 1000000) + 8 * 3600;
	struct tm tm;
	gmtime_r(&secs, &tm);
	int year = tm.tm_year + 1900;
	const struct keyring *keys = data_keys(r);
	if (keys == NULL || db_begin(r) != 0)
		return;
	enum idem_result ir = idem_begin(r, p->user_id, "POST /api/v1/cases");
	if (ir == IDEM_DONE)
		return;
	const char *pn[] = { county, i64str(r, year), "case" };
	PGresult *nr = db_exec(r, &q_next, pn);
	if (nr == NULL)
		return;
	char *number = arena_printf(r->arena, "TB-%s-%d-%06ld", county, year, atol(PQgetvalue(nr, 0, 0)));
	const char *pi[] = { number, v[0].s, v[1].s, p->agency_code, county, recv_div, county, fjson,
			     i64str(r, p->user_id), i64str(r, now) };
	PGresult *cr = db_exec(r, &q_insert, pi);
	if (cr == NULL)
		return;
	const char *id = arena_strndup(r->arena, PQgetvalue(cr, 0, 0), strlen(PQgetvalue(cr, 0, 0)));
	for (size_t i = 0; i < np; i++) {
		struct sealed_id sid;
		if (party_seal(r, keys, pv[i][2].s, pv[i][3].s, number, &sid) != 0) {
			resp_problem(r, 500, "internal", "The server could not complete the request.");
			return;
		}
		const char *pp[] = { id, i64str(r, (int64_t)i + 1), pv[i][0].s, pv[i][1].s, pv[i][2].s,
				     sid.sealed, sid.masked, sid.index, sid.progress };
		if (db_exec(r, &q_party, pp) == NULL)
			return;
	}
	const char *pe[] = { id, i64str(r, now), i64str(r, p->user_id), p->agency_code, "create", NULL, "draft",
			     NULL, NULL };
	char *payload = json_pairs(r, "number", number, "state", "draft");
	const char *po[] = { i64str(r, now), "case.created", id, payload };
	if (db_exec(r, &q_case_event, pe) == NULL || db_exec(r, &q_case_outbox, po) == NULL ||
	    audit_write(r, p, "case.create", "case", id, "success", payload) != 0)
		return;
	gen_case(r, id);
	if (r->status != 200 || !r->responded)
		return;
	r->status = 201;
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/cases/%s", id));
	if ((ir == IDEM_NEW && idem_store(r, p->user_id) != 0) || db_commit(r) != 0)
		return;
}

/* POST /api/v1/cases/validate: the body of POST /cases, any part of it,
 * checked by the very rules creation applies; every problem listed. Reads
 * only: nothing is created or written. */
void h_case_validate(struct req *r)
{
	struct case_check k = { r, NULL, 0, 0, "" };
	struct case_input in;
	if (case_body_checked(r, &k, &in) == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_bool(g, "valid", k.n == 0);
	jg_key(g, "problems");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < k.n; i++) {
		yajl_gen_map_open(g);
		jg_str(g, "field", k.p[i].field);
		jg_str(g, "code", k.p[i].code);
		jg_str(g, "detail", k.p[i].detail);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

/* The whole detail in one round trip, its rows ordered by kind: 0 the case,
 * 1 its parties, 2 its timeline, 3 its priority conflicts (the other
 * pending cases on its unit while it is pending), 4 the transitions out of
 * its state with what decides whether the user may take them (the text the
 * action endpoint reads them with). Each kind fills its own columns; the
 * others are NULL. */
#define Q_CASE_DETAIL(P, C)                                                                                       \
	P(id, I64)                                                                                                \
	P(user, I64)                                                                                              \
	C(kind, INT) C(ord, I64)                                                                                  \
	C(id, I64) C(number, TEXT) C(business_type, TEXT) C(unit_code, TEXT) C(ragency, TEXT) C(dagency, TEXT)   \
	C(rdiv, TEXT) C(ddiv, TEXT) C(state, TEXT) C(version, I64) C(fields, TEXT) C(received_us, I64)            \
	C(due_date, TEXT) C(certificate_no, TEXT) C(fee_fen, I64) C(created_us, I64) C(ragency_name, TEXT)        \
	C(dagency_name, TEXT)                                                                                     \
	C(p_seq, I64) C(p_role, TEXT) C(p_name, TEXT) C(p_id_type, TEXT) C(p_id_number, TEXT)                     \
	C(e_at_us, I64) C(e_action, TEXT) C(e_from, TEXT) C(e_to, TEXT) C(e_comment, TEXT) C(e_actor, TEXT)       \
	C(e_agency, TEXT) C(e_details, TEXT)                                                                      \
	C(o_id, I64) C(o_number, TEXT) C(o_state, TEXT) C(o_received_us, I64)                                     \
	C(m_action, TEXT) C(m_to, TEXT) C(m_perm, TEXT) C(m_side, TEXT) C(m_enabled, INT) C(m_barred_by, TEXT)
/* the NULLs standing for the columns of the other kinds, typed for the union */
#define NO_CASE                                                                                             \
	" NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,"   \
	" NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint,"          \
	" NULL::bigint, NULL::text, NULL::text,"
#define NO_PARTY " NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text,"
#define NO_EVENT " NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,"
#define NO_CONFLICT " NULL::bigint, NULL::text, NULL::text, NULL::bigint,"
#define NO_MOVE " NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text"
#define US(t) "(extract(epoch FROM " t ") * 1000000)::bigint"
DB_QUERY(q_case_detail, Q_CASE_DETAIL,
	 "SELECT 0 AS kind, 0::bigint AS ord, c.id, c.number, c.business_type, c.unit_code, c.receiving_agency,"
	 " c.deciding_agency, c.receiving_division, c.deciding_division, c.state, c.version, c.fields::text,"
	 " " US("c.received_at") ", c.due_date::text, nullif(c.certificate_no, ''), coalesce(c.fee_total_fen, -1),"
	 " " US("c.created_at") ", ra.name, da.name," NO_PARTY NO_EVENT NO_CONFLICT NO_MOVE
	 " FROM cases.case c JOIN iam.agency ra ON ra.code = c.receiving_agency"
	 " JOIN iam.agency da ON da.code = c.deciding_agency WHERE c.id = $1"
	 " UNION ALL SELECT 1, p.seq," NO_CASE " p.seq, p.role, p.name, p.id_type,"
	 " coalesce(p.id_number_masked, p.id_number_legacy, '')," NO_EVENT NO_CONFLICT NO_MOVE
	 " FROM cases.party p WHERE p.case_id = $1"
	 " UNION ALL SELECT 2, e.id," NO_CASE NO_PARTY " " US("e.at") ", e.action, nullif(e.from_state, ''), e.to_state,"
	 " nullif(e.comment, ''), coalesce(u.display_name, ''), coalesce(e.agency_code, ''), e.details::text," NO_CONFLICT NO_MOVE
	 " FROM cases.event e LEFT JOIN iam.user u ON u.id = e.actor_id WHERE e.case_id = $1"
	 " UNION ALL SELECT 3, o.received_us," NO_CASE NO_PARTY NO_EVENT " o.id, o.number, o.state, o.received_us,"
	 NO_MOVE " FROM (SELECT o.id, o.number, o.state, " US("o.received_at") " AS received_us"
	 "  FROM cases.case o, cases.case c WHERE c.id = $1 AND o.unit_code = c.unit_code AND o.id <> c.id"
	 "  AND o.state IN ('submitted', 'accepted', 'supplement_requested', 'approved')"
	 "  AND c.state IN ('submitted', 'accepted', 'supplement_requested', 'approved')) o"
	 " UNION ALL SELECT 4, row_number() OVER (ORDER BY t.action)," NO_CASE NO_PARTY NO_EVENT NO_CONFLICT
	 CASE_MOVES_COLS("c.business_type", "c.id", "$2")
	 " FROM cases.case c JOIN cases.transition t ON t.from_state = c.state WHERE c.id = $1"
	 " ORDER BY kind, ord");
#undef NO_CASE
#undef NO_PARTY
#undef NO_EVENT
#undef NO_CONFLICT
#undef NO_MOVE
#undef US

/* The detail's rows read: d[0] the case, then the other kinds in order. */
struct case_detail {
	const struct q_case_detail_row *d;
	int n;
};

/* Read the case; 0, or -1 after replying (404 when no case has the id). */
static int detail_read(struct req *r, int64_t id, int64_t user, struct case_detail *cd)
{
	struct q_case_detail_row *rows;
	int n = q_case_detail_run(r, &(struct q_case_detail_in){ .id = id, .user = user }, &rows);
	if (n < 0)
		return -1;
	if (n < 1 || rows[0].kind != 0) {
		resp_problem(r, 404, "case_not_found", "No case has this id.");
		return -1;
	}
	cd->d = rows;
	cd->n = n;
	return 0;
}

/* The actions the request's user may take on the case now: its kind 4
 * rows that case_move_allowed lets through, in the arena; the count, or -1
 * after replying. */
static int detail_allowed(struct req *r, const struct principal *p, const struct case_detail *cd,
			  const char ***acts)
{
	const struct q_case_detail_row *c = &cd->d[0];
	*acts = arena_alloc(r->arena, (size_t)cd->n * sizeof(**acts));
	if (*acts == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	int k = 0;
	for (int i = 1; i < cd->n; i++) {
		const struct q_case_detail_row *m = &cd->d[i];
		if (m->kind == 4 && case_move_allowed(r, p, m->m_enabled, m->m_barred_by, m->m_perm, m->m_side,
						      c->rdiv, c->ddiv))
			(*acts)[k++] = m->m_action;
	}
	return k;
}

static void gen_case_row(struct req *r, const struct case_detail *cd, const char *const *acts, size_t nacts)
{
	const struct q_case_detail_row *c = &cd->d[0];
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", c->id);
	jg_str(g, "number", c->number);
	jg_str(g, "business_type", c->business_type);
	jg_str(g, "unit_code", c->unit_code);
	jg_key(g, "receiving_agency");
	yajl_gen_map_open(g);
	jg_str(g, "code", c->ragency);
	jg_str(g, "name", c->ragency_name);
	yajl_gen_map_close(g);
	jg_key(g, "deciding_agency");
	yajl_gen_map_open(g);
	jg_str(g, "code", c->dagency);
	jg_str(g, "name", c->dagency_name);
	yajl_gen_map_close(g);
	jg_str(g, "state", c->state);
	jg_int(g, "version", c->version);
	jg_str(g, "received_at", c->received_us ? time_rfc3339(r->arena, c->received_us) : NULL);
	jg_str(g, "due_date", c->due_date);
	jg_str(g, "certificate_no", c->certificate_no);
	if (c->fee_fen >= 0)
		jg_int(g, "fee_total_fen", c->fee_fen);
	else
		jg_null(g, "fee_total_fen");
	jg_str(g, "created_at", time_rfc3339(r->arena, c->created_us));
	jg_key(g, "fields");
	yajl_gen_number(g, c->fields, strlen(c->fields)); /* stored JSON, written as it is */
	static const char *const sections[] = { NULL, "parties", "timeline", "conflicts" };
	int i = 1;
	for (int k = 1; k <= 3; k++) {
		jg_key(g, sections[k]);
		yajl_gen_array_open(g);
		for (; i < cd->n && cd->d[i].kind == k; i++) {
			const struct q_case_detail_row *d = &cd->d[i];
			yajl_gen_map_open(g);
			if (k == 1) {
				/* masked at rest; a value not sealed yet is masked here */
				char masked[40];
				id_mask(d->p_id_number, masked, sizeof(masked));
				jg_int(g, "seq", d->p_seq);
				jg_str(g, "role", d->p_role);
				jg_str(g, "name", d->p_name);
				jg_str(g, "id_type", d->p_id_type);
				jg_str(g, "id_number", masked);
			} else if (k == 2) {
				jg_str(g, "at", time_rfc3339(r->arena, d->e_at_us));
				jg_str(g, "action", d->e_action);
				jg_str(g, "from_state", d->e_from);
				jg_str(g, "to_state", d->e_to);
				jg_str(g, "comment", d->e_comment);
				jg_str(g, "actor", d->e_actor);
				jg_str(g, "agency_code", d->e_agency);
				jg_key(g, "details");
				yajl_gen_number(g, d->e_details, strlen(d->e_details));
			} else {
				/* priority: pending cases on the same unit, for both sides to see */
				jg_int(g, "id", d->o_id);
				jg_str(g, "number", d->o_number);
				jg_str(g, "state", d->o_state);
				jg_str(g, "received_at", time_rfc3339(r->arena, d->o_received_us));
				jg_bool(g, "earlier", d->o_received_us < c->received_us);
			}
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	jg_key(g, "allowed_actions");
	yajl_gen_array_open(g);
	for (size_t a = 0; a < nacts; a++)
		jg_cstr(g, acts[a]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

void gen_case(struct req *r, const char *id)
{
	const struct principal *p = auth_session(r);
	if (p == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	struct case_detail cd;
	if (detail_read(r, strtoll(id, NULL, 10), p->user_id, &cd) != 0)
		return;
	const char **acts;
	int nacts = detail_allowed(r, p, &cd, &acts);
	if (nacts >= 0)
		gen_case_row(r, &cd, acts, (size_t)nacts);
}

int case_readable(const struct req *r, const struct principal *p, const char *rdiv, const char *ddiv)
{
	return auth_allows(r, p, "case.read", rdiv) || auth_allows(r, p, "case.read", ddiv);
}

void case_not_found(struct req *r, const struct principal *p, const char *existing_id)
{
	if (existing_id) {
		/* a try at another jurisdiction's case is a security event */
		char *why = json_pairs(r, "code", "case_not_found", "path", r->path);
		if (why == NULL || audit_write(r, p, "auth.denied", "case", existing_id, "denied", why) != 0) {
			if (!r->responded)
				resp_problem(r, 500, "internal", "The server could not complete the request.");
			return;
		}
	}
	resp_problem(r, 404, "case_not_found", "No case has this id.");
}

/* GET /api/v1/cases/{id}: for holders of case.read over either side;
 * anyone else gets the 404 of a missing case. A case polled by its sides
 * is answered from the worker's micro-cache (a second at most; emptied by
 * any transition in this pool), the authority still checked on every
 * request against the cached sides. The answer holds the actions this
 * user may take, so it is kept per session. */
void h_case_get(struct req *r)
{
	const struct principal *p = auth_require(r, "case.read", NULL, 0);
	if (p == NULL)
		return;
	char *mkey = arena_printf(r->arena, "case:%s:%lld", req_param(r, "id"), (long long)p->session_id);
	size_t mlen;
	char *hit = mkey ? micro_get(r->w, r->arena, mkey, &mlen) : NULL;
	if (hit && mlen > 14 && hit[6] == ' ' && hit[13] == '\n') {
		hit[6] = hit[13] = '\0';
		if (!case_readable(r, p, hit, hit + 7)) {
			case_not_found(r, p, req_param(r, "id"));
			return;
		}
		resp_raw(r, 200, "application/json", hit + 14, mlen - 14);
		return;
	}
	const char *id = req_param(r, "id");
	struct case_detail cd;
	if (detail_read(r, strtoll(id, NULL, 10), p->user_id, &cd) != 0)
		return;
	const char *divs[] = { cd.d[0].rdiv, cd.d[0].ddiv };
	if (!case_readable(r, p, divs[0], divs[1])) {
		case_not_found(r, p, id);
		return;
	}
	const char **acts;
	int nacts = detail_allowed(r, p, &cd, &acts);
	if (nacts < 0)
		return;
	gen_case_row(r, &cd, acts, (size_t)nacts);
	/* "<receiving> <deciding>\n<json>" */
	char *val = r->status == 200 ? arena_printf(r->arena, "%s %s\n%.*s", divs[0], divs[1], (int)r->resp_len,
						   (const char *)r->resp_body) : NULL;
	if (val && mkey && strlen(divs[0]) == 6 && strlen(divs[1]) == 6)
		micro_put(r->w, mkey, val, strlen(val));
}

/* GET /api/v1/business-types */
void h_business_types(struct req *r)
{
	if (auth_require(r, NULL, NULL, 0) == NULL)
		return;
	PGresult *res = db_exec(r, &q_types, NULL);
	if (res == NULL)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < PQntuples(res); i++) {
		yajl_gen_map_open(g);
		jg_str(g, "code", PQgetvalue(res, i, 0));
		jg_str(g, "category", PQgetvalue(res, i, 1));
		jg_str(g, "action", PQgetvalue(res, i, 2));
		jg_str(g, "name", PQgetvalue(res, i, 3));
		jg_int(g, "promised_days", atoll(PQgetvalue(res, i, 4)));
		jg_int(g, "statutory_days", atoll(PQgetvalue(res, i, 5)));
		jg_str(g, "fee_rule", PQgetvalue(res, i, 6));
		jg_words(g, r->arena, "required_documents", PQgetvalue(res, i, 7));
		jg_bool(g, "pilot_only", atoi(PQgetvalue(res, i, 8)));
		jg_bool(g, "enabled", atoi(PQgetvalue(res, i, 9)));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
