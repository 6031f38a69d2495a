/* Cases: created as a draft at the receiving window, decided by the agency
 * of the county where the unit lies. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/idem.h"
#include "../core/micro.h"
#include "../domain/clock.h"
#include "../domain/fees.h"
#include "../domain/register.h"
#include "../domain/registry.h"
#include "../domain/workdays.h"
#include "../core/list.h"
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
	/* what every type may say about its fees (domain/fees.h): how many
	 * certificates, and for a mortgage whether it secures a small or micro
	 * business's loan (free, with its proof: sql/0021) */
	const struct json *certs = json_get(f, "certificates"), *small = json_get(f, "small_business_loan");
	int64_t ncerts = 0;
	if (certs && (json_int64(certs, &ncerts) != 0 || ncerts < 1 || ncerts > FEE_MAX_CERTIFICATES))
		problem(k, 400, "invalid_field", "fields/certificates", "must be a whole number from 1 to 20.");
	if (small && small->type != JSON_BOOL)
		problem(k, 400, "invalid_field", "fields/small_business_loan", "must be true or false.");
	else if (small && small->b && strcmp(category, "mortgage") != 0)
		problem(k, 400, "invalid_field", "fields/small_business_loan", "is for mortgages only.");
	const struct json *own = certs || small ? json_without(r->arena, f, certs, small) : f;
	const struct json *nested = t->nested && own ? json_get(own, t->nested) : NULL;
	const struct json *scalars = nested ? json_without(r->arena, own, nested, NULL) : own;
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
	if (certs && ncerts >= 1 && ncerts <= FEE_MAX_CERTIFICATES)
		jg_int(g, "certificates", ncerts);
	if (small && small->type == JSON_BOOL)
		jg_bool(g, "small_business_loan", small->b);
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
	char *payload = json_pairs(r->arena, "number", number, "state", "draft");
	struct case_outbox_in ob = { .now = now, .topic = "case.created", .case_id = id, .payload = payload };
	if (case_event_insert_run(r, &ev, NULL) < 0 || case_outbox_run(r, &ob, NULL) < 0 ||
	    auth_audit(r, p, "case.create", "case", id, "success", payload) != 0)
		return;
	/* The answer is the case's detail. Read inside the transaction it
	 * would keep the county's counter row locked for one more statement,
	 * and creations in a county queue on that lock; so the case is
	 * committed first and read after. Only an answer kept for an
	 * Idempotency-Key is read inside: it is stored with the case. */
	if (ir != IDEM_NEW && db_commit(r) != 0)
		return;
	gen_case(r, id);
	if (r->status != 200 || !r->responded)
		return;
	r->status = 201;
	resp_header(r, "Location", arena_printf(r->arena, "/api/v1/cases/%s", id));
	if (ir == IDEM_NEW && (idem_store(r, p->user_id) != 0 || db_commit(r) != 0))
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

/* The whole detail in one round trip, its rows ordered by kind: 0 the case,
 * 1 its parties, 2 its timeline, 3 its priority conflicts (the other
 * pending cases on its unit while it is pending), 4 the transitions out of
 * its state with what decides whether the user may take them (the text the
 * action endpoint reads them with), 5 its fee items. Each kind fills its own
 * columns; the others are NULL. */
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
	C(m_action, TEXT) C(m_to, TEXT) C(m_perm, TEXT) C(m_side, TEXT) C(m_enabled, INT) C(m_barred_by, TEXT)   \
	C(f_seq, I64) C(f_code, TEXT) C(f_description, TEXT) C(f_quantity, I64) C(f_unit_price, I64)              \
	C(f_amount, I64) C(f_rule, TEXT) C(f_basis, TEXT) C(f_waived, BOOL) C(f_reason, TEXT)
/* the NULLs standing for the columns of the other kinds, typed for the union */
#define NO_CASE                                                                                             \
	" NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,"   \
	" NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint,"          \
	" NULL::bigint, NULL::text, NULL::text,"
#define NO_PARTY " NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text,"
#define NO_EVENT " NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text,"
#define NO_CONFLICT " NULL::bigint, NULL::text, NULL::text, NULL::bigint,"
#define NO_MOVE " NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text"
#define NO_FEE                                                                                             \
	", NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text,"        \
	" NULL::text, NULL::boolean, NULL::text"
#define US(t) "(extract(epoch FROM " t ") * 1000000)::bigint"
DB_QUERY(q_case_detail, Q_CASE_DETAIL,
	 "SELECT 0 AS kind, 0::bigint AS ord, c.id, c.number, c.business_type, c.unit_code, c.receiving_agency,"
	 " c.deciding_agency, c.receiving_division, c.deciding_division, c.state, c.version, c.fields::text,"
	 " " US("c.received_at") ", c.due_date::text, nullif(c.certificate_no, ''), coalesce(c.fee_total_fen, -1),"
	 " " US("c.created_at") ", ra.name, da.name," NO_PARTY NO_EVENT NO_CONFLICT NO_MOVE NO_FEE
	 " FROM cases.case c JOIN iam.agency ra ON ra.code = c.receiving_agency"
	 " JOIN iam.agency da ON da.code = c.deciding_agency WHERE c.id = $1"
	 " UNION ALL SELECT 1, p.seq," NO_CASE " p.seq, p.role, p.name, p.id_type,"
	 " coalesce(p.id_number_masked, p.id_number_legacy, '')," NO_EVENT NO_CONFLICT NO_MOVE NO_FEE
	 " FROM cases.party p WHERE p.case_id = $1"
	 " UNION ALL SELECT 2, e.id," NO_CASE NO_PARTY " " US("e.at") ", e.action, nullif(e.from_state, ''), e.to_state,"
	 " nullif(e.comment, ''), coalesce(u.display_name, ''), coalesce(e.agency_code, ''), e.details::text," NO_CONFLICT NO_MOVE
	 NO_FEE " FROM cases.event e LEFT JOIN iam.user u ON u.id = e.actor_id WHERE e.case_id = $1"
	 " UNION ALL SELECT 3, o.received_us," NO_CASE NO_PARTY NO_EVENT " o.id, o.number, o.state, o.received_us,"
	 NO_MOVE NO_FEE " FROM (SELECT o.id, o.number, o.state, " US("o.received_at") " AS received_us"
	 "  FROM cases.case o, cases.case c WHERE c.id = $1 AND o.unit_code = c.unit_code AND o.id <> c.id"
	 "  AND cases.state_pending(o.state)"
	 "  AND cases.state_pending(c.state)) o"
	 " UNION ALL SELECT 4, row_number() OVER (ORDER BY t.action)," NO_CASE NO_PARTY NO_EVENT NO_CONFLICT
	 CASE_MOVES_COLS("c.business_type", "c.id", "$2")
	 NO_FEE " FROM cases.case c JOIN cases.transition t ON t.from_state = c.state WHERE c.id = $1"
	 " UNION ALL SELECT 5, f.seq," NO_CASE NO_PARTY NO_EVENT NO_CONFLICT NO_MOVE ", f.seq, f.code, f.description,"
	 " f.quantity, f.unit_price_fen, f.amount_fen, f.rule, f.basis, f.waived, f.reason"
	 " FROM cases.fee_item f WHERE f.case_id = $1"
	 " ORDER BY kind, ord");
#undef NO_CASE
#undef NO_PARTY
#undef NO_EVENT
#undef NO_CONFLICT
#undef NO_MOVE
#undef NO_FEE
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
	jg_code_name(g, "receiving_agency", c->ragency, c->ragency_name);
	jg_code_name(g, "deciding_agency", c->dagency, c->dagency_name);
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
	/* the fees: each item with the rule it was charged by and why */
	jg_key(g, "fees");
	yajl_gen_map_open(g);
	if (c->fee_fen >= 0)
		jg_int(g, "total_fen", c->fee_fen);
	else
		jg_null(g, "total_fen");
	jg_key(g, "items");
	yajl_gen_array_open(g);
	for (; i < cd->n && cd->d[i].kind == 4; i++)
		;
	for (; i < cd->n && cd->d[i].kind == 5; i++) {
		const struct q_case_detail_row *f = &cd->d[i];
		yajl_gen_map_open(g);
		jg_int(g, "seq", f->f_seq);
		jg_str(g, "code", f->f_code);
		jg_str(g, "description", f->f_description);
		jg_int(g, "quantity", f->f_quantity);
		jg_int(g, "unit_price_fen", f->f_unit_price);
		jg_int(g, "amount_fen", f->f_amount);
		jg_str(g, "rule", f->f_rule);
		jg_str(g, "basis", f->f_basis);
		jg_bool(g, "waived", f->f_waived);
		jg_str(g, "reason", f->f_reason);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
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
		char *why = json_pairs(r->arena, "code", "case_not_found", "path", r->path);
		if (why == NULL || auth_audit(r, p, "auth.denied", "case", existing_id, "denied", why) != 0) {
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
static const struct jcol business_type_cols[] = {
	JCOL_STR("code", struct business_types_row, code),
	JCOL_STR("category", struct business_types_row, category),
	JCOL_STR("action", struct business_types_row, action),
	JCOL_STR("name", struct business_types_row, name),
	JCOL_INT32("promised_days", struct business_types_row, promised_days),
	JCOL_INT32("statutory_days", struct business_types_row, statutory_days),
	JCOL_STR("fee_rule", struct business_types_row, fee_rule),
	JCOL_WORDS("required_documents", struct business_types_row, docs),
	JCOL_BOOL("pilot_only", struct business_types_row, pilot_only),
	JCOL_BOOL("enabled", struct business_types_row, enabled),
	JCOL_END,
};

void h_business_types(struct req *r)
{
	struct business_types_row *t;
	int n = business_types_run(r, &(struct business_types_in){ 0 }, &t);
	if (n < 0)
		return;
	list_reply_all(r, t, (size_t)n, sizeof(*t), business_type_cols);
}
