/* Cases: created as a draft at the receiving window, decided by the agency
 * of the county where the unit lies. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/idem.h"
#include "../core/micro.h"
#include "../domain/clock.h"
#include "../domain/register.h"
#include "../domain/registry.h"
#include "../domain/workdays.h"
#include "intake.h"

#define MAX_PARTIES 20

#define Q_TYPE(P, C) P(code, TEXT) C(category, TEXT) C(action, TEXT) C(enabled, BOOL) C(pilot_only, BOOL)
DB_QUERY(case_type, Q_TYPE, "SELECT category, action, enabled, pilot_only FROM cases.business_type WHERE code = $1");
#define Q_PILOT(P, C) P(county, TEXT) P(category, TEXT) C(one, INT)
DB_QUERY(case_pilot, Q_PILOT, "SELECT 1 FROM cases.pilot WHERE ref.covers(division_code, $1) AND category = $2");
/* no row: the code names no county that exists; a NULL unit: no such unit */
#define Q_UNIT(P, C) P(county, TEXT) P(unit, TEXT) C(county, TEXT)
DB_QUERY(case_unit, Q_UNIT,
	 "SELECT u.county_code FROM ref.division d LEFT JOIN reg.unit u ON u.code = $2"
	 " WHERE d.code = $1 AND d.level = 'county'");
#define Q_AGENCY(P, C) P(agency, TEXT) C(division, TEXT)
DB_QUERY(case_agency, Q_AGENCY, "SELECT division_code FROM iam.agency WHERE code = $1");
#define Q_BANK(P, C) P(code, TEXT) C(name, TEXT)
DB_QUERY(case_bank, Q_BANK, "SELECT name FROM ref.bank WHERE code = $1");
#define Q_COUNTER(P, C) P(agency, TEXT) P(year, INT) P(kind, TEXT) C(last, I64)
DB_QUERY(case_counter, Q_COUNTER,
	 "INSERT INTO cases.counter (agency_code, year, kind, last) VALUES ($1, $2, $3, 1)"
	 " ON CONFLICT (agency_code, year, kind) DO UPDATE SET last = cases.counter.last + 1 RETURNING last");
#define Q_INSERT(P, C)                                                                        \
	P(number, TEXT) P(type, TEXT) P(unit, TEXT) P(ragency, TEXT) P(dagency, TEXT) P(rdiv, TEXT) \
	P(ddiv, TEXT) P(fields, TEXT) P(created_by, I64) P(now, I64) C(id, TEXT)
DB_QUERY(case_insert, Q_INSERT,
	 "INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency,"
	 " receiving_division, deciding_division, state, fields, created_by, created_at, updated_at)"
	 " VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8::jsonb, $9, to_timestamp($10::float8 / 1000000),"
	 " to_timestamp($10::float8 / 1000000)) RETURNING id::text");
#define Q_PARTY(P, C)                                                                         \
	P(case_id, TEXT) P(seq, INT) P(role, TEXT) P(name, TEXT) P(id_type, TEXT) P(sealed, TEXT)  \
	P(masked, TEXT) P(idx, TEXT) P(progress, TEXT)
DB_QUERY(case_party_insert, Q_PARTY,
	 "INSERT INTO cases.party (case_id, seq, role, name, id_type, id_number, id_number_masked, id_number_index,"
	 " progress_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)");
DB_QUERY_DEF(case_event_insert, Q_CASE_EVENT,
	     "INSERT INTO cases.event (case_id, at, actor_id, agency_code, action, from_state, to_state, comment, details)"
	     " VALUES ($1, to_timestamp($2::float8 / 1000000), $3, $4, $5, $6, $7, $8, coalesce($9::jsonb, '{}'))");
DB_QUERY_DEF(case_outbox, Q_CASE_OUTBOX,
	     "INSERT INTO outbox.message (at, topic, case_id, payload)"
	     " VALUES (to_timestamp($1::float8 / 1000000), $2, $3, $4::jsonb)");
/* The whole detail in one round trip: kind 0 the case,
 * 1 its parties, 2 its timeline, 3 its priority conflicts. */
#define N13 "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
static const struct stmt q_detail = {
	"case_detail",
	"SELECT * FROM ("
	" SELECT 0 AS k, 0::bigint AS ord, c.id::text, c.number, c.business_type, c.unit_code, c.receiving_agency,"
	"  c.deciding_agency, c.receiving_division, c.deciding_division, c.state, c.version::text, c.fields::text,"
	"  coalesce((extract(epoch FROM c.received_at) * 1000000)::bigint, 0)::text, coalesce(c.due_date::text, ''),"
	"  coalesce(c.certificate_no, ''), coalesce(c.fee_total_fen, -1)::text,"
	"  ((extract(epoch FROM c.created_at) * 1000000)::bigint)::text, ra.name, da.name"
	"  FROM cases.case c JOIN iam.agency ra ON ra.code = c.receiving_agency"
	"  JOIN iam.agency da ON da.code = c.deciding_agency WHERE c.id = $1"
	" UNION ALL SELECT 1, p.seq::bigint, p.role, p.name, p.id_type,"
	"  coalesce(p.id_number_masked, p.id_number_legacy, ''), p.seq::text, " N13
	"  FROM cases.party p WHERE p.case_id = $1"
	" UNION ALL SELECT 2, e.id, ((extract(epoch FROM e.at) * 1000000)::bigint)::text, e.action,"
	"  coalesce(e.from_state, ''), e.to_state, coalesce(e.comment, ''), coalesce(u.display_name, ''),"
	"  coalesce(e.agency_code, ''), e.details::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
	"  FROM cases.event e LEFT JOIN iam.user u ON u.id = e.actor_id WHERE e.case_id = $1"
	" UNION ALL SELECT 3, o.received_at_us, o.id::text, o.number, o.state, o.received_at_us::text, NULL, " N13
	"  FROM (SELECT o.id, o.number, o.state, (extract(epoch FROM o.received_at) * 1000000)::bigint AS received_at_us"
	"   FROM cases.case o, cases.case c WHERE c.id = $1 AND o.unit_code = c.unit_code AND o.id <> c.id"
	"   AND o.state IN ('submitted', 'accepted', 'supplement_requested', 'approved')"
	"   AND c.state IN ('submitted', 'accepted', 'supplement_requested', 'approved')) o"
	") d ORDER BY k, ord",
	1,
};

#define Q_TYPES(P, C)                                                                         \
	C(code, TEXT) C(category, TEXT) C(action, TEXT) C(name, TEXT) C(promised_days, INT)        \
	C(statutory_days, INT) C(fee_rule, TEXT) C(docs, TEXT) C(pilot_only, BOOL) C(enabled, BOOL)
DB_QUERY(business_types, Q_TYPES,
	 "SELECT code, category, action, name, promised_days, statutory_days, fee_rule,"
	 " array_to_string(required_docs, ' '), pilot_only, enabled FROM cases.business_type ORDER BY code");

static int is_date(const char *s)
{
	int ymd;
	return iso_date_parse(s, &ymd) == 0;
}

static int is_mortgage_type(const char *s)
{
	return strcmp(s, "ordinary") == 0 || strcmp(s, "maximum") == 0;
}

/* Business fields per category and action, declared like request fields;
 * which list a type takes is the table type_fields below. */
enum { MG_BANK, MG_NAME, MG_AMOUNT, MG_FROM, MG_TO, MG_TYPE, MG_DEBTOR, MG_ENTRY };
static const struct field mortgage_fields[] = {
	[MG_BANK] = { "mortgagee_bank", V_STRING, 0, 2, 8, NULL },
	[MG_NAME] = { "mortgagee_name", V_STRING, 0, 2, 100, NULL },
	[MG_AMOUNT] = { "amount_fen", V_INT, 1, 1, 1000000000000000LL, NULL },
	[MG_FROM] = { "term_from", V_STRING, 1, 10, 10, is_date },
	[MG_TO] = { "term_to", V_STRING, 1, 10, 10, is_date },
	[MG_TYPE] = { "mortgage_type", V_STRING, 1, 7, 8, is_mortgage_type },
	[MG_DEBTOR] = { "debtor", V_STRING, 1, 1, 100, NULL },
	[MG_ENTRY] = { "entry_id", V_INT, 0, 1, 1LL << 60, NULL },
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
/* ownership (产权): the cause, and "shares" (a list, checked in
 * ownership_check) of the right holders when they own by shares */
static const struct field ownership_fields[] = {
	{ "description", V_STRING, 1, 1, 2000, NULL },
	{ "entry_id", V_INT, 0, 1, 1LL << 60, NULL },
};
/* seizure (查封): the court's order — who, its document number, the day
 * of the ruling — and the term of the seizure */
enum { SZ_COURT, SZ_DOC, SZ_RULED, SZ_FROM, SZ_TO };
static const struct field seizure_fields[] = {
	[SZ_COURT] = { "court", V_STRING, 1, 2, 100, NULL },
	[SZ_DOC] = { "document_number", V_STRING, 1, 1, 64, NULL },
	[SZ_RULED] = { "ruling_date", V_STRING, 1, 10, 10, is_date },
	[SZ_FROM] = { "term_from", V_STRING, 1, 10, 10, is_date },
	[SZ_TO] = { "term_to", V_STRING, 1, 10, 10, is_date },
};
/* release (解封): the seizure ended, on the court's order */
static const struct field release_fields[] = {
	{ "entry_id", V_INT, 1, 1, 1LL << 60, NULL },
	{ "court", V_STRING, 1, 2, 100, NULL },
	{ "document_number", V_STRING, 1, 1, 64, NULL },
	{ "ruling_date", V_STRING, 1, 10, 10, is_date },
	{ "reason", V_STRING, 0, 1, 500, NULL },
};
/* objection (异议): what the objector disputes */
static const struct field objection_fields[] = {
	{ "matter", V_STRING, 1, 1, 500, NULL },
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
	int holders;	    /* right-holder parties, -1 while the parties are wrong */
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

/* A type's own rules beyond its field list: 0, or -1 after replying. */
struct fields_check {
	struct case_check *k;
	const struct json *f;	/* the fields object */
	const char *action;
	struct fval *v;		/* the values, by the list's order */
	const struct json *nested; /* the type's list member, when given */
	yajl_gen g;		/* extra members of the object to store */
};

static int mortgage_check(struct fields_check *c)
{
	struct case_check *k = c->k;
	struct fval *v = c->v;
	if (v[MG_BANK].present && v[MG_NAME].present) {
		problem(k, 400, "invalid_field", "fields/mortgagee_bank",
			"give either mortgagee_bank (a bank code) or mortgagee_name.");
	} else if (v[MG_BANK].present) {
		struct case_bank_row *bank;
		int nb = case_bank_run(k->r, &(struct case_bank_in){ .code = v[MG_BANK].s }, &bank);
		if (nb < 0)
			return -1;
		if (nb != 1)
			problem(k, 400, "invalid_field", "fields/mortgagee_bank", "No bank has this code.");
		else
			jg_str(c->g, "mortgagee_name", bank->name);
	} else if (!v[MG_NAME].present && !json_get(c->f, "mortgagee_bank") && !json_get(c->f, "mortgagee_name")) {
		problem(k, 400, "invalid_field", "fields/mortgagee_bank",
			"give either mortgagee_bank (a bank code) or mortgagee_name.");
	}
	if (v[MG_FROM].present && v[MG_TO].present && term_check(v[MG_FROM].s, v[MG_TO].s) != TERM_OK)
		problem(k, 400, "invalid_field", "fields/term_to", "must be a date after term_from.");
	if (strcmp(c->action, "establish") != 0 && !v[MG_ENTRY].present && !json_get(c->f, "entry_id"))
		problem(k, 400, "missing_field", "fields/entry_id", "names the mortgage this case changes.");
	return 0;
}

/* The co-owners' shares: one "p/q" per right holder, adding up to 1
 * (domain/registry.h); not given, the holders own alone or jointly. */
static int ownership_check(struct fields_check *c)
{
	const struct json *s = c->nested;
	if (s == NULL)
		return 0;
	struct case_check *k = c->k;
	if (s->type != JSON_ARRAY || s->count < 1 || s->count > MAX_PARTIES) {
		problem(k, 400, "invalid_field", "fields/shares", "must be a list of 1 to 20 shares such as \"1/2\".");
		return 0;
	}
	const char *sh[MAX_PARTIES];
	size_t n = 0;
	for (const struct json *e = s->child; e; e = e->next) {
		if (e->type != JSON_STRING || strlen(e->s) != e->len) {
			problem(k, 400, "invalid_field", "fields/shares", share_problem_text(SHARES_FORM));
			return 0;
		}
		sh[n++] = e->s;
	}
	enum share_problem sp = shares_check(sh, n, k->holders >= 0 ? (size_t)k->holders : n);
	if (sp != SHARES_OK) {
		problem(k, 400, "invalid_field", "fields/shares", share_problem_text(sp));
		return 0;
	}
	jg_key(c->g, "shares");
	yajl_gen_array_open(c->g);
	for (size_t i = 0; i < n; i++)
		jg_cstr(c->g, sh[i]);
	yajl_gen_array_close(c->g);
	return 0;
}

static int seizure_check(struct fields_check *c)
{
	struct fval *v = c->v;
	if (v[SZ_FROM].present && v[SZ_TO].present && seizure_term_check(v[SZ_FROM].s, v[SZ_TO].s) != 0)
		problem(c->k, 400, "invalid_field", "fields/term_to",
			"must be a date after term_from, at most three years after it.");
	return 0;
}

/* Which fields each business type takes: the first row whose category and
 * action match (NULL matches any). A new type takes a row here (or an
 * existing one) and its registration rule in domain/registry.c. */
#define FIELDS(a) a, sizeof(a) / sizeof(a[0])
static const struct type_fields {
	const char *category, *action;
	const struct field *spec;
	size_t n;
	const char *nested;	/* a list member the check reads, or NULL */
	int (*check)(struct fields_check *c);
} type_fields[] = {
	{ "seizure", "establish", FIELDS(seizure_fields), NULL, seizure_check },
	{ "seizure", "cancellation", FIELDS(release_fields), NULL, NULL },
	{ NULL, "cancellation", FIELDS(cancel_fields), NULL, NULL },
	{ "mortgage", NULL, FIELDS(mortgage_fields), NULL, mortgage_check },
	{ "pre_notice", NULL, FIELDS(pre_notice_fields), NULL, NULL },
	{ "ownership", NULL, FIELDS(ownership_fields), "shares", ownership_check },
	{ "objection", NULL, FIELDS(objection_fields), NULL, NULL },
	{ NULL, NULL, FIELDS(other_fields), NULL, NULL },
};
#define MAX_TYPE_FIELDS 8

static const struct type_fields *fields_of(const char *category, const char *action)
{
	for (size_t i = 0;; i++) {
		const struct type_fields *t = &type_fields[i];
		if ((t->category == NULL || strcmp(t->category, category) == 0) &&
		    (t->action == NULL || strcmp(t->action, action) == 0))
			return t;
	}
}

/* Check "fields" for the type; the JSON object to store (NULL with a
 * problem noted, or after replying when *replied). Bank codes are resolved
 * to the bank's name. */
static char *business_fields(struct case_check *k, const struct json *f, const char *category, const char *action,
			     int *replied)
{
	struct req *r = k->r;
	const struct type_fields *t = fields_of(category, action);
	if (f == NULL || f->type != JSON_OBJECT) {
		problem(k, 400, "invalid_field", "fields", "must be an object.");
		return NULL;
	}
	const struct json *nested = t->nested ? json_get(f, t->nested) : NULL;
	const struct json *scalars = nested ? json_without(r->arena, f, nested, NULL) : f;
	if (scalars == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		*replied = 1;
		return NULL;
	}
	struct fval v[MAX_TYPE_FIELDS];
	size_t before = k->n;
	k->prefix = "fields/";
	valid_fields_all(scalars, t->spec, t->n, v, field_problem, k);
	/* an establishment makes a new right: naming one in force would end it */
	for (size_t i = 0; i < t->n && strcmp(action, "establish") == 0; i++)
		if (strcmp(t->spec[i].name, "entry_id") == 0 && v[i].present)
			problem(k, 400, "invalid_field", "fields/entry_id", "an establishment changes no existing right.");
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	for (size_t i = 0; i < t->n; i++) {
		if (!v[i].present)
			continue;
		if (t->spec[i].type == V_INT)
			jg_int(g, t->spec[i].name, v[i].i);
		else
			jg_strn(g, t->spec[i].name, v[i].s, v[i].len);
	}
	struct fields_check c = { k, f, action, v, nested, g };
	if (t->check && t->check(&c) != 0) {
		*replied = 1;
		return NULL;
	}
	if (k->n > before)
		return NULL;
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

/* A case body once checked: what creation stores. */
enum { CS_TYPE, CS_UNIT, CS_N };
enum { PT_ROLE, PT_NAME, PT_ID_TYPE, PT_ID_NUMBER, PT_N };
struct case_input {
	struct fval v[CS_N];
	struct fval pv[MAX_PARTIES][PT_N];
	size_t np;
	const char *county; /* the unit's county: the deciding side */
	char *fjson;	    /* the business fields to store */
};

static const struct field case_spec[CS_N] = {
	[CS_TYPE] = { "business_type", V_STRING, 1, 3, 40, NULL },
	[CS_UNIT] = { "unit_code", V_STRING, 1, 28, 28, NULL },
};
static const struct field party_spec[PT_N] = {
	[PT_ROLE] = { "role", V_STRING, 1, 5, 12, party_role },
	[PT_NAME] = { "name", V_STRING, 1, 1, 100, NULL },
	[PT_ID_TYPE] = { "id_type", V_STRING, 1, 2, 20, id_type_ok },
	[PT_ID_NUMBER] = { "id_number", V_STRING, 1, 2, 32, NULL },
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
	valid_fields_all(scalars, case_spec, CS_N, in->v, field_problem, k);
	int unit_ok = 0;
	if (in->v[CS_UNIT].present) {
		enum unit_problem up = unit_code_check(in->v[CS_UNIT].s);
		if (up != UNIT_OK)
			problem(k, 400, "invalid_unit_code", "unit_code", unit_problem_text(up));
		unit_ok = up == UNIT_OK;
	}
	in->np = 0;
	k->holders = -1;
	if (parties == NULL || parties->type != JSON_ARRAY || parties->count < 1 || parties->count > MAX_PARTIES) {
		problem(k, 400, parties ? "invalid_field" : "missing_field", "parties",
			"must be an array of 1 to 20 parties.");
	} else {
		int holders = 0, roles_known = 1;
		for (const struct json *pj = parties->child; pj; pj = pj->next, in->np++) {
			struct fval *pv = in->pv[in->np];
			char *path = arena_printf(r->arena, "parties/%zu", in->np);
			if (pj->type != JSON_OBJECT) {
				memset(pv, 0, PT_N * sizeof(*pv));
				problem(k, 400, "invalid_field", path, "each party must be an object.");
				roles_known = 0;
				continue;
			}
			k->prefix = arena_printf(r->arena, "%s/", path);
			valid_fields_all(pj, party_spec, PT_N, pv, field_problem, k);
			roles_known &= pv[PT_ROLE].present;
			holders += pv[PT_ROLE].present && strcmp(pv[PT_ROLE].s, "right_holder") == 0;
			if (!pv[PT_ID_TYPE].present || !pv[PT_ID_NUMBER].present)
				continue;
			enum id_type t = id_type_parse(pv[PT_ID_TYPE].s);
			char *idn = arena_strndup(r->arena, pv[PT_ID_NUMBER].s, pv[PT_ID_NUMBER].len);
			if (idn == NULL) {
				resp_problem(r, 500, "internal", "The server could not complete the request.");
				return -1;
			}
			id_number_normalize(t, idn);
			pv[PT_ID_NUMBER].s = idn;
			enum id_problem ip = id_number_check(t, idn, beijing_ymd(req_now_us(r)));
			if (ip != ID_OK)
				problem(k, 400, "invalid_id_number", arena_printf(r->arena, "%s/id_number", path),
					id_problem_text(t, ip));
		}
		if (holders == 0 && roles_known)
			problem(k, 400, "invalid_field", "parties", "must name at least one right holder.");
		k->holders = roles_known ? holders : -1;
	}
	const char *category = NULL, *action = NULL;
	int pilot_only = 0;
	if (in->v[CS_TYPE].present) {
		struct case_type_row *tr;
		int nt = case_type_run(r, &(struct case_type_in){ .code = in->v[CS_TYPE].s }, &tr);
		if (nt < 0)
			return -1;
		if (nt != 1 || !tr->enabled) {
			problem(k, 400, "unknown_business_type", "business_type", "No enabled business type has this code.");
		} else {
			category = tr->category;
			action = tr->action;
			pilot_only = tr->pilot_only;
		}
	}
	in->county = NULL;
	if (unit_ok) {
		char ucounty[7];
		unit_code_county(in->v[CS_UNIT].s, ucounty);
		struct case_unit_row *ur;
		int nu = case_unit_run(r, &(struct case_unit_in){ .county = ucounty, .unit = in->v[CS_UNIT].s }, &ur);
		if (nu < 0)
			return -1;
		if (nu != 1)
			problem(k, 400, "invalid_unit_code", "unit_code", unit_problem_text(UNIT_COUNTY));
		else if (ur->county == NULL)
			problem(k, 422, "unit_not_found", "unit_code", "No property unit with this code is in the registry.");
		else
			in->county = ur->county;
	}
	if (category && in->county && pilot_only) {
		int np = case_pilot_run(r, &(struct case_pilot_in){ .county = in->county, .category = category }, NULL);
		if (np < 0)
			return -1;
		if (np != 1)
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
	struct case_check k = { r, NULL, 0, 0, "", -1 };
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
	struct fval(*pv)[PT_N] = in.pv;
	size_t np = in.np;
	const char *county = in.county;
	char *fjson = in.fjson;
	/* the deciding agency is the main agency of the unit's county */
	struct case_agency_row *ar;
	if (case_agency_run(r, &(struct case_agency_in){ .agency = p->agency_code }, &ar) != 1) {
		if (!r->responded)
			resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	const char *recv_div = ar->division;
	int64_t now = req_now_us(r);
	int year = beijing_year(now);
	const struct keyring *keys = data_keys(r);
	if (keys == NULL || db_begin(r) != 0)
		return;
	enum idem_result ir = idem_begin(r, p->user_id, "POST /api/v1/cases");
	if (ir == IDEM_DONE)
		return;
	struct case_counter_row *nr;
	if (case_counter_run(r, &(struct case_counter_in){ .agency = county, .year = year, .kind = "case" }, &nr) != 1)
		return;
	char *number = arena_printf(r->arena, "TB-%s-%d-%06" PRId64, county, year, nr->last);
	struct case_insert_in ci = { .number = number, .type = v[CS_TYPE].s, .unit = v[CS_UNIT].s,
				     .ragency = p->agency_code, .dagency = county, .rdiv = recv_div, .ddiv = county,
				     .fields = fjson, .created_by = p->user_id, .now = now };
	struct case_insert_row *cr;
	if (case_insert_run(r, &ci, &cr) != 1)
		return;
	const char *id = cr->id;
	for (size_t i = 0; i < np; i++) {
		struct sealed_id sid;
		if (party_seal(r, keys, pv[i][PT_ID_TYPE].s, pv[i][PT_ID_NUMBER].s, number, &sid) != 0) {
			resp_problem(r, 500, "internal", "The server could not complete the request.");
			return;
		}
		struct case_party_insert_in pi = { .case_id = id, .seq = (int)i + 1, .role = pv[i][PT_ROLE].s,
						   .name = pv[i][PT_NAME].s, .id_type = pv[i][PT_ID_TYPE].s,
						   .sealed = sid.sealed, .masked = sid.masked, .idx = sid.index,
						   .progress = sid.progress };
		if (case_party_insert_run(r, &pi, NULL) < 0)
			return;
	}
	struct case_event_insert_in ev = { .case_id = id, .now = now, .actor_id = p->user_id, .agency = p->agency_code,
					   .action = "create", .to = "draft" };
	char *payload = json_pairs(r, "number", number, "state", "draft");
	struct case_outbox_in ob = { .now = now, .topic = "case.created", .case_id = id, .payload = payload };
	if (case_event_insert_run(r, &ev, NULL) < 0 || case_outbox_run(r, &ob, NULL) < 0 ||
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
	struct case_check k = { r, NULL, 0, 0, "", -1 };
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

#define V(row, col) PQgetvalue(d, (row), 2 + (col))
/* The actions the request's user may take on the case of detail row d. */
static int detail_allowed(struct req *r, const char *id, PGresult *d, const char ***acts)
{
	const struct principal *p = auth_session(r);
	if (p == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	return case_allowed_actions(r, p, id, V(0, 8), V(0, 2), V(0, 6), V(0, 7), acts);
}

void gen_case(struct req *r, const char *id)
{
	const char *pid[] = { id };
	PGresult *d = db_exec(r, &q_detail, pid);
	if (d == NULL)
		return;
	if (PQntuples(d) < 1 || atoi(PQgetvalue(d, 0, 0)) != 0) {
		resp_problem(r, 404, "case_not_found", "No case has this id.");
		return;
	}
	const char **acts;
	int nacts = detail_allowed(r, id, d, &acts);
	if (nacts >= 0)
		gen_case_row(r, d, acts, (size_t)nacts);
}

void gen_case_row(struct req *r, PGresult *d, const char *const *acts, size_t nacts)
{
	int n = PQntuples(d);
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_int(g, "id", strtoll(V(0, 0), NULL, 10));
	jg_str(g, "number", V(0, 1));
	jg_str(g, "business_type", V(0, 2));
	jg_str(g, "unit_code", V(0, 3));
	jg_key(g, "receiving_agency");
	yajl_gen_map_open(g);
	jg_str(g, "code", V(0, 4));
	jg_str(g, "name", V(0, 16));
	yajl_gen_map_close(g);
	jg_key(g, "deciding_agency");
	yajl_gen_map_open(g);
	jg_str(g, "code", V(0, 5));
	jg_str(g, "name", V(0, 17));
	yajl_gen_map_close(g);
	jg_str(g, "state", V(0, 8));
	jg_int(g, "version", atoll(V(0, 9)));
	int64_t received = strtoll(V(0, 11), NULL, 10);
	jg_str(g, "received_at", received ? time_rfc3339(r->arena, received) : NULL);
	jg_str(g, "due_date", V(0, 12)[0] ? V(0, 12) : NULL);
	jg_str(g, "certificate_no", V(0, 13)[0] ? V(0, 13) : NULL);
	int64_t fee = strtoll(V(0, 14), NULL, 10);
	if (fee >= 0)
		jg_int(g, "fee_total_fen", fee);
	else
		jg_null(g, "fee_total_fen");
	jg_str(g, "created_at", time_rfc3339(r->arena, strtoll(V(0, 15), NULL, 10)));
	jg_key(g, "fields");
	yajl_gen_number(g, V(0, 10), strlen(V(0, 10))); /* stored JSON, written as it is */
	static const char *const sections[] = { NULL, "parties", "timeline", "conflicts" };
	for (int k = 1, row = 1; k <= 3; k++) {
		jg_key(g, sections[k]);
		yajl_gen_array_open(g);
		for (; row < n && atoi(PQgetvalue(d, row, 0)) == k; row++) {
			yajl_gen_map_open(g);
			if (k == 1) {
				/* masked at rest; a value not sealed yet is masked here */
				char masked[40];
				id_mask(V(row, 3), masked, sizeof(masked));
				jg_int(g, "seq", strtoll(V(row, 4), NULL, 10));
				jg_str(g, "role", V(row, 0));
				jg_str(g, "name", V(row, 1));
				jg_str(g, "id_type", V(row, 2));
				jg_str(g, "id_number", masked);
			} else if (k == 2) {
				jg_str(g, "at", time_rfc3339(r->arena, strtoll(V(row, 0), NULL, 10)));
				jg_str(g, "action", V(row, 1));
				jg_str(g, "from_state", V(row, 2)[0] ? V(row, 2) : NULL);
				jg_str(g, "to_state", V(row, 3));
				jg_str(g, "comment", V(row, 4)[0] ? V(row, 4) : NULL);
				jg_str(g, "actor", V(row, 5));
				jg_str(g, "agency_code", V(row, 6));
				jg_key(g, "details");
				yajl_gen_number(g, V(row, 7), strlen(V(row, 7)));
			} else {
				/* priority: pending cases on the same unit, for both sides to see */
				int64_t other = strtoll(V(row, 3), NULL, 10);
				jg_int(g, "id", strtoll(V(row, 0), NULL, 10));
				jg_str(g, "number", V(row, 1));
				jg_str(g, "state", V(row, 2));
				jg_str(g, "received_at", time_rfc3339(r->arena, other));
				jg_bool(g, "earlier", other < received);
			}
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	jg_key(g, "allowed_actions");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < nacts; i++)
		jg_cstr(g, acts[i]);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
#undef V

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
	const char *pid[] = { req_param(r, "id") };
	PGresult *c = db_exec(r, &q_detail, pid);
	if (c == NULL)
		return;
	if (PQntuples(c) < 1 || atoi(PQgetvalue(c, 0, 0)) != 0) {
		resp_problem(r, 404, "case_not_found", "No case has this id.");
		return;
	}
	const char *divs[] = { PQgetvalue(c, 0, 2 + 6), PQgetvalue(c, 0, 2 + 7) };
	if (!case_readable(r, p, divs[0], divs[1])) {
		case_not_found(r, p, pid[0]);
		return;
	}
	const char **acts;
	int nacts = detail_allowed(r, pid[0], c, &acts);
	if (nacts < 0)
		return;
	gen_case_row(r, c, acts, (size_t)nacts);
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
	struct business_types_row *t;
	int n = business_types_run(r, &(struct business_types_in){ 0 }, &t);
	if (n < 0)
		return;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (int i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		jg_str(g, "code", t[i].code);
		jg_str(g, "category", t[i].category);
		jg_str(g, "action", t[i].action);
		jg_str(g, "name", t[i].name);
		jg_int(g, "promised_days", t[i].promised_days);
		jg_int(g, "statutory_days", t[i].statutory_days);
		jg_str(g, "fee_rule", t[i].fee_rule);
		jg_words(g, r->arena, "required_documents", t[i].docs);
		jg_bool(g, "pilot_only", t[i].pilot_only);
		jg_bool(g, "enabled", t[i].enabled);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
