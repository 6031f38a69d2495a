/* Case transitions: POST /api/v1/cases/{id}/actions/{action} {"version", …}.
 * The workflow is data (cases.transition, cases.two_person_rule). One
 * transaction: lock the case, check who may see it, the state, permission
 * over the acting side, the two-person rule, the version; apply the
 * action's rule; write the new state, the case event, the audit row, an
 * outbox message and a note for the side that acts next. A refusal of
 * authority ends the transaction first (nothing is written by then) so that
 * its audit row stays. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "../core/cache.h"
#include "../core/keyring.h"
#include "../core/log.h"
#include "../core/micro.h"
#include "../core/regcache.h"
#include "../domain/clock.h"
#include "../domain/register.h"
#include "../domain/registry.h"
#include "../domain/workflow.h"
#include "../domain/fees.h"
#include "../domain/workdays.h"
#include "intake.h"

#define Q_LOCK(P, C)                                                                          \
	P(id, TEXT)                                                                          \
	C(state, TEXT) C(version, INT) C(rdiv, TEXT) C(ddiv, TEXT) C(unit, TEXT) C(type, TEXT)   \
	C(category, TEXT) C(action, TEXT) C(days, INT) C(fields, TEXT) C(number, TEXT)           \
	C(dagency, TEXT) C(received, I64) C(fee, I64) C(ragency, TEXT)
DB_QUERY(act_lock, Q_LOCK,
	 "SELECT c.state, c.version, c.receiving_division, c.deciding_division, c.unit_code, c.business_type,"
	 " t.category, t.action, t.promised_days, c.fields::text, c.number, c.deciding_agency,"
	 " coalesce((extract(epoch FROM c.received_at) * 1000000)::bigint, 0), coalesce(c.fee_total_fen, -1),"
	 " c.receiving_agency"
	 " FROM cases.case c JOIN cases.business_type t ON t.code = c.business_type WHERE c.id = $1 FOR UPDATE OF c");
/* The transitions out of a case's state (all, or only action $2): where
 * each leads, the permission and side it needs, whether it is switched on
 * for the business type, and the earlier step of a two-person rule the
 * user $5 did on this case ('' when none bars them). The action endpoint
 * and the detail's allowed actions read the workflow through this one
 * text, CASE_MOVES_COLS. */
#define Q_MOVES(P, C)                                                                         \
	P(state, TEXT) P(action, TEXT) P(type, TEXT) P(case_id, TEXT) P(user_id, I64)            \
	C(action, TEXT) C(to, TEXT) C(perm, TEXT) C(side, TEXT) C(enabled, INT) C(barred_by, TEXT)
DB_QUERY(act_moves, Q_MOVES,
	 "SELECT" CASE_MOVES_COLS("$3", "$4", "$5")
	 " FROM cases.transition t WHERE t.from_state = $1 AND ($2 = '' OR t.action = $2) ORDER BY t.action");
#define Q_ACTION_KNOWN(P, C) P(action, TEXT) C(one, INT)
DB_QUERY(act_known, Q_ACTION_KNOWN, "SELECT 1 FROM cases.transition WHERE action = $1 LIMIT 1");
/* received 0, due '', cert and fee NULL: unchanged */
#define Q_UPDATE(P, C)                                                                        \
	P(id, TEXT) P(version, I64) P(to, TEXT) P(now, I64) P(received, I64) P(due, TEXT)         \
	P(cert, TEXT) P(fee, TEXT) P(due_from, TEXT) P(due_days, INT)
/* with a due date, what it was counted from (sql/0026: a calendar change
 * recounts open cases from these) */
DB_QUERY(act_update, Q_UPDATE,
	 "UPDATE cases.case SET state = $3, version = version + 1, updated_at = to_timestamp($4::float8 / 1000000),"
	 " received_at = CASE WHEN $5 = 0 THEN received_at ELSE to_timestamp($5::float8 / 1000000) END,"
	 " due_date = CASE WHEN $6 = '' THEN due_date ELSE $6::date END,"
	 " due_from = CASE WHEN $6 = '' THEN due_from ELSE $9::date END,"
	 " due_days = CASE WHEN $6 = '' THEN due_days ELSE $10 END,"
	 " certificate_no = coalesce($7, certificate_no), fee_total_fen = coalesce($8::bigint, fee_total_fen)"
	 " WHERE id = $1 AND version = $2::int");
#define Q_MISSING_DOCS(P, C) P(id, TEXT) C(missing, TEXT)
DB_QUERY(act_missing_docs, Q_MISSING_DOCS,
	 "SELECT coalesce(string_agg(d, ', ' ORDER BY d), '') FROM cases.case c"
	 " JOIN cases.business_type t ON t.code = c.business_type,"
	 " unnest(t.required_docs || CASE WHEN c.fields->'small_business_loan' = 'true'::jsonb"
	 "  THEN ARRAY['small_business_proof'] ELSE '{}'::text[] END) d"
	 " WHERE c.id = $1 AND NOT EXISTS (SELECT 1 FROM cases.attachment a WHERE a.case_id = c.id AND a.document_type = d)");
#define Q_NOTIFY(P, C) P(agency, TEXT) P(case_id, TEXT) P(kind, TEXT) P(message, TEXT) P(now, I64)
DB_QUERY(act_notify, Q_NOTIFY,
	 "INSERT INTO cases.notification (agency_code, case_id, kind, message, created_at)"
	 " VALUES ($1, $2, $3, $4, to_timestamp($5::float8 / 1000000))");
/* Shared against a calendar change (fcgi/admin/calendar.c takes the same
 * key exclusively), before the calendar is read: a change either commits
 * first and this reads it, or waits until this case's due date is written
 * and then recounts it. */
#define Q_CALENDAR_LOCK(P, C) C(one, INT)
DB_QUERY(act_calendar_lock, Q_CALENDAR_LOCK, "SELECT 1 FROM pg_advisory_xact_lock_shared(7352926)");
#define Q_CALENDAR(P, C) P(from, TEXT) C(day, INT) C(kind, TEXT)
DB_QUERY(act_calendar, Q_CALENDAR,
	 "SELECT to_char(day, 'YYYYMMDD')::int, kind FROM cases.calendar"
	 " WHERE day BETWEEN $1::date AND $1::date + 120 ORDER BY day");
/* The facts priority is decided on (domain/registry.h): the other cases
 * on the unit still pending, by the workflow's one list of states. */
#define Q_UNIT_CASES(P, C) P(unit, TEXT) P(id, TEXT) C(number, TEXT) C(state, TEXT) C(received, I64)
DB_QUERY(act_unit_cases, Q_UNIT_CASES,
	 "SELECT number, state, coalesce((extract(epoch FROM received_at) * 1000000)::bigint, 0) FROM cases.case"
	 " WHERE unit_code = $1 AND id <> $2 AND cases.state_pending(state)");
/* entries of a kind in force on the unit at now: how many, the highest rank */
#define Q_IN_FORCE(P, C) P(unit, TEXT) P(kind, TEXT) P(now, I64) C(n, I64) C(highest, I64)
DB_QUERY(act_in_force, Q_IN_FORCE,
	 "SELECT count(*), coalesce(max(rank), 0)::bigint FROM reg.entry WHERE unit_code = $1 AND kind = $2"
	 " AND valid_to IS NULL AND valid_from <= to_timestamp($3::float8 / 1000000)");
#define Q_ENTRY(P, C) P(id, I64) P(unit, TEXT) C(kind, TEXT) C(rank, I64)
DB_QUERY(act_entry, Q_ENTRY,
	 "SELECT kind, coalesce(rank, 0)::bigint FROM reg.entry WHERE id = $1 AND unit_code = $2 AND valid_to IS NULL"
	 " FOR UPDATE");
#define Q_ENTRY_END(P, C) P(id, I64) P(now, I64) P(case_id, TEXT)
DB_QUERY(act_entry_end, Q_ENTRY_END,
	 "UPDATE reg.entry SET valid_to = to_timestamp($2::float8 / 1000000), ended_by_case = $3 WHERE id = $1");
/* every entry of a kind in force ends (the earlier owners on a transfer) */
#define Q_KIND_END(P, C) P(unit, TEXT) P(kind, TEXT) P(now, I64) P(case_id, TEXT) C(id, I64)
DB_QUERY(act_kind_end, Q_KIND_END,
	 "UPDATE reg.entry SET valid_to = to_timestamp($3::float8 / 1000000), ended_by_case = $4"
	 " WHERE unit_code = $1 AND kind = $2 AND valid_to IS NULL RETURNING id");
/* the wait-list of a kind in force, for what a release lets take effect */
#define Q_WAITLIST(P, C) P(unit, TEXT) P(kind, TEXT) C(id, I64) C(rank, I64) C(waiting, BOOL)
DB_QUERY(act_waitlist, Q_WAITLIST,
	 "SELECT id, coalesce(rank, 0)::bigint, waiting FROM reg.entry WHERE unit_code = $1 AND kind = $2"
	 " AND valid_to IS NULL ORDER BY id FOR UPDATE");
#define Q_TAKE_EFFECT(P, C) P(id, I64) P(now, I64)
DB_QUERY(act_take_effect, Q_TAKE_EFFECT,
	 "UPDATE reg.entry SET waiting = false, effective_from = to_timestamp($2::float8 / 1000000) WHERE id = $1");
/* the right holders a registration writes as holders, ID numbers sealed */
#define Q_HOLDERS(P, C)                                                                       \
	P(case_id, TEXT) C(name, TEXT) C(id_type, TEXT) C(sealed, TEXT) C(legacy, TEXT) C(masked, TEXT) \
	C(idx, TEXT)
DB_QUERY(act_holders, Q_HOLDERS,
	 "SELECT name, id_type, id_number, id_number_legacy, coalesce(id_number_masked, ''),"
	 " coalesce(id_number_index, '') FROM cases.party WHERE case_id = $1 AND role = 'right_holder' ORDER BY seq");
#define Q_ENTRY_INSERT(P, C)                                                                  \
	P(unit, TEXT) P(kind, TEXT) P(rank, I64) P(holder, TEXT) P(id_type, TEXT) P(sealed, TEXT)  \
	P(masked, TEXT) P(idx, TEXT) P(share, TEXT) P(amount, TEXT) P(cert, TEXT) P(details, TEXT)  \
	P(now, I64) P(case_id, TEXT) P(waiting, BOOL) C(id, I64)
DB_QUERY(act_entry_insert, Q_ENTRY_INSERT,
	 "INSERT INTO reg.entry (unit_code, kind, rank, holder_name, holder_id_type, holder_id_number,"
	 " holder_id_number_masked, holder_id_number_index, share, amount_fen, certificate_no, details,"
	 " valid_from, made_by_case, waiting) VALUES ($1, $2, nullif($3, 0)::int, $4, $5, $6, nullif($7, ''),"
	 " nullif($8, ''), $9, $10::bigint, $11, $12::jsonb, to_timestamp($13::float8 / 1000000), $14, $15)"
	 " RETURNING id");
#define Q_AREA(P, C) P(division, TEXT) C(name, TEXT) C(city_name, TEXT) C(code, TEXT) C(city_code, TEXT)
DB_QUERY(act_area, Q_AREA,
	 "SELECT d.name, p.name, d.code, p.code FROM ref.division d JOIN ref.division p ON p.code = d.parent_code"
	 " WHERE d.code = $1");
/* an online payment order of the case pending at now (sql/0021) */
#define Q_ORDER_OPEN(P, C) P(case_id, TEXT) P(now, I64) C(open, BOOL)
DB_QUERY(act_order_open, Q_ORDER_OPEN,
	 "SELECT cases.payment_order_open($1::bigint, to_timestamp($2::float8 / 1000000))");
/* per registration area and year: the row lock orders concurrent 登簿 of
 * one area, and a rolled-back registration gives its number back */
#define Q_CERT_COUNTER(P, C) P(area, TEXT) P(year, INT) P(kind, TEXT) C(last, INT)
DB_QUERY(act_cert_counter, Q_CERT_COUNTER,
	 "INSERT INTO cases.certificate_counter (area_code, year, kind, last) VALUES ($1, $2, $3, 1)"
	 " ON CONFLICT (area_code, year, kind) DO UPDATE SET last = cases.certificate_counter.last + 1 RETURNING last");
#define Q_NEXT_SIDES(P, C) P(state, TEXT) P(type, TEXT) C(side, TEXT)
DB_QUERY(act_next_sides, Q_NEXT_SIDES,
	 "SELECT DISTINCT t.side FROM cases.transition t WHERE t.from_state = $1 AND t.enabled AND t.action <> 'withdraw'"
	 " AND NOT EXISTS (SELECT 1 FROM cases.type_action_off o WHERE o.business_type = $2 AND o.action = t.action)");

struct change {
	int64_t received;	/* epoch us, or 0 */
	const char *due;	/* YYYY-MM-DD or "" */
	const char *due_from;	/* with due: the day it counts from, YYYY-MM-DD */
	int due_days;		/* with due: the working days counted */
	const char *cert;	/* NULL: unchanged */
	const char *fee;	/* NULL: unchanged */
	char *details;		/* event details JSON */
	/* a step the workflow takes on at once in the same transaction (set
	 * fees with nothing due goes on to paid), its event's details */
	const char *then, *then_details;
};

/* The due date: promised working days after today, by the calendar table. */
static char *due_date(struct req *r, int64_t now, int days)
{
	int today = beijing_ymd(now);
	char iso[16];
	ymd_iso(today, iso, sizeof(iso));
	struct act_calendar_row *cal;
	if (act_calendar_lock_run(r, &(struct act_calendar_lock_in){ 0 }, NULL) < 0)
		return NULL;
	int n = act_calendar_run(r, &(struct act_calendar_in){ .from = iso }, &cal), hol[128], mk[128];
	if (n < 0)
		return NULL;
	size_t nh = 0, nm = 0;
	for (int i = 0; i < n && i < 128; i++) {
		if (strcmp(cal[i].kind, "holiday") == 0)
			hol[nh++] = cal[i].day;
		else
			mk[nm++] = cal[i].day;
	}
	struct calendar c = { hol, nh, mk, nm };
	int due = workdays_add(&c, today, days);
	char *out = arena_alloc(r->arena, 11);
	if (out == NULL || ymd_iso(due, out, 11) != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return NULL;
	}
	return out;
}

/* A line of text for the timeline: 1 to max characters, no NUL, no
 * control characters, no bidirectional overrides that would make it read
 * differently from what it is. */
static int text_ok(const struct json *v, size_t max)
{
	if (v->type != JSON_STRING || v->len < 1 || valid_utf8_chars(v->s, v->len) > max || strlen(v->s) != v->len)
		return 0;
	const unsigned char *u = (const unsigned char *)v->s;
	for (size_t i = 0; i < v->len; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 0;
		/* U+200E/F, U+202A-202E, U+2066-2069 (E2 80 8E/8F, E2 80 AA-AE, E2 81 A6-A9) */
		if (u[i] != 0xe2 || i + 2 >= v->len)
			continue;
		unsigned char b = u[i + 1], c = u[i + 2];
		if ((b == 0x80 && (c == 0x8e || c == 0x8f || (c >= 0xaa && c <= 0xae))) ||
		    (b == 0x81 && c >= 0xa6 && c <= 0xa9))
			return 0;
	}
	return 1;
}

/* What an action's rule reads and writes: the locked case, the checked
 * body, the change to store. */
struct act {
	struct req *r;
	const struct principal *p;
	const struct act_lock_row *c;
	const char *id;
	int64_t now;
	const struct fval *bv;
	const struct json *nested;
	struct change *ch;
};

static int internal(struct req *r)
{
	resp_problem(r, 500, "internal", "The server could not complete the request.");
	return -1;
}

/* A right holder's ID number sealed for the registry (it is sealed for
 * cases.party in the case): NULL when the party has none. */
static const char *holder_sealed(struct req *r, const struct keyring *k, const struct act_holders_row *h,
				 int *failed)
{
	unsigned char *pt = NULL;
	size_t n = 0;
	const char *sealed = NULL;
	*failed = 0;
	if (h->sealed) {
		if (keyring_open(k, r->arena, h->sealed, "cases.party.id_number", &pt, &n) != 0) {
			*failed = 1;
			return NULL;
		}
		sealed = keyring_seal(k, r->arena, pt, n, "reg.entry.holder_id_number");
		OPENSSL_cleanse(pt, n);
	} else if (h->legacy) {
		sealed = keyring_seal(k, r->arena, h->legacy, strlen(h->legacy), "reg.entry.holder_id_number");
	} else {
		return NULL;
	}
	*failed = sealed == NULL;
	return sealed;
}

/* After an entry of a wait-listed kind ended: the first waiting one takes
 * effect when none in force is in effect (domain/registry.h). Its id, 0
 * when none, -1 after replying. */
static int64_t waitlist_moves(struct act *a, const char *unit, const char *kind)
{
	struct req *r = a->r;
	struct act_waitlist_row *w;
	int nw = act_waitlist_run(r, &(struct act_waitlist_in){ .unit = unit, .kind = kind }, &w);
	if (nw < 0)
		return -1;
	size_t n = (size_t)nw;
	struct seizure_in_force *s = arena_alloc(r->arena, (n + 1) * sizeof(*s));
	if (s == NULL)
		return internal(r);
	for (size_t i = 0; i < n; i++)
		s[i] = (struct seizure_in_force){ w[i].id, w[i].rank, w[i].waiting };
	int k = reg_takes_effect(s, n);
	if (k < 0)
		return 0;
	if (act_take_effect_run(r, &(struct act_take_effect_in){ .id = s[k].id, .now = a->now }, NULL) < 0)
		return -1;
	return s[k].id;
}

/* What a registration writes (plan.writes): its entries — one, or one per
 * right holder with their shares — ranked and wait-listed as the domain
 * says, under a certificate number of the category's kind. The members of
 * the timeline's details into g. 0, or -1 after replying. */
static int write_entries(struct act *a, const struct reg_plan *plan, const struct json *f, int64_t named_rank,
			 yajl_gen g)
{
	struct req *r = a->r;
	const struct act_lock_row *c = a->c;
	const char *kind = entry_kind_name(plan->cat->kind);
	/* the rank, and whether the entry waits behind others of its kind */
	int64_t rank = 0;
	int waits = 0;
	if (plan->cat->rank != RANK_NONE) {
		struct act_in_force_row *k;
		if (act_in_force_run(r, &(struct act_in_force_in){ .unit = c->unit, .kind = kind, .now = a->now }, &k) != 1)
			return -1;
		rank = reg_rank(plan, named_rank, k->highest);
		waits = reg_waits(plan, (int)k->n);
	}
	/* the certificate number: named after the registration area, so
	 * counted per area and year (a city's districts share one sequence) */
	int year = beijing_year(a->now);
	struct act_area_row *ar;
	int na = act_area_run(r, &(struct act_area_in){ .division = c->ddiv }, &ar);
	if (na < 0)
		return -1;
	if (na != 1)
		return internal(r);
	int city = registration_area_is_city(ar->name);
	struct act_cert_counter_row *nr;
	if (act_cert_counter_run(r, &(struct act_cert_counter_in){ .area = city ? ar->city_code : ar->code, .year = year,
								  .kind = plan->cat->cert == CERT_RIGHT ? "right" : "proof" },
				 &nr) != 1)
		return -1;
	char cert[160];
	if (cert_number_format(cert, sizeof(cert), year, city ? ar->city_name : ar->name, plan->cat->cert, nr->last) != 0)
		return internal(r);
	/* the holders: a field of the case, or its right-holder parties */
	struct act_holders_row *h = NULL;
	const struct keyring *keys = NULL;
	int nh = 1;
	if (plan->cat->holder != HOLDER_FIELD) {
		if ((keys = data_keys(r)) == NULL ||
		    (nh = act_holders_run(r, &(struct act_holders_in){ .case_id = a->id }, &h)) < 0)
			return -1;
		if (nh < 1)
			return internal(r);
		if (plan->cat->holder == HOLDER_FIRST_RIGHT_HOLDER)
			nh = 1;
	}
	const struct json *shares = plan->cat->holder == HOLDER_RIGHT_HOLDERS ? json_get(f, "shares") : NULL;
	const struct json *share = shares && shares->type == JSON_ARRAY ? shares->child : NULL;
	const struct json *amount = plan->cat->amount_field ? json_get(f, plan->cat->amount_field) : NULL;
	const struct json *hf = plan->cat->holder_field ? json_get(f, plan->cat->holder_field) : NULL;
	int64_t *written = arena_alloc(r->arena, (size_t)nh * sizeof(*written));
	if (written == NULL)
		return internal(r);
	for (int i = 0; i < nh; i++, share = share ? share->next : NULL) {
		struct act_entry_insert_in in = {
			.unit = c->unit, .kind = kind, .rank = rank, .holder = hf && hf->type == JSON_STRING ? hf->s : "",
			.masked = "", .idx = "", .amount = amount ? amount->s : NULL, .cert = cert, .details = c->fields,
			.now = a->now, .case_id = a->id, .waiting = waits,
		};
		if (h) {
			int failed;
			in.holder = h[i].name;
			in.id_type = h[i].id_type;
			in.sealed = holder_sealed(r, keys, &h[i], &failed);
			if (failed)
				return internal(r);
			in.masked = h[i].masked;
			in.idx = h[i].idx;
		}
		if (plan->cat->holder == HOLDER_RIGHT_HOLDERS)
			in.share = share && share->type == JSON_STRING ? share->s : share_default((size_t)nh);
		struct act_entry_insert_row *ir;
		if (act_entry_insert_run(r, &in, &ir) != 1)
			return -1;
		written[i] = ir->id;
	}
	a->ch->cert = arena_strndup(r->arena, cert, strlen(cert));
	jg_str(g, "certificate_no", cert);
	jg_int(g, "entry_id", written[0]);
	if (nh > 1) {
		jg_key(g, "entry_ids");
		yajl_gen_array_open(g);
		for (int i = 0; i < nh; i++)
			yajl_gen_integer(g, written[i]);
		yajl_gen_array_close(g);
	}
	if (waits)
		jg_bool(g, "waiting", 1);
	return 0;
}

/* 登簿: the handler loads the facts — the other cases on the unit, the
 * restrictions in force, the entry the case names — the domain decides
 * (domain/registry.h: priority, seizure, what the category writes, its
 * rank and certificate kind, what it ends), and this stores the result. */
static int do_register(struct act *a)
{
	struct req *r = a->r;
	const struct act_lock_row *c = a->c;
	const char *id = a->id, *unit = c->unit;
	int64_t now = a->now;
	struct reg_plan plan;
	if (reg_plan_for(c->category, c->action, &plan) != 0) {
		log_error("business type %s: no registration rule for its category and action", c->type);
		return internal(r);
	}
	const char *kind = entry_kind_name(plan.cat->kind);
	/* priority: nothing received earlier on this unit may still be pending */
	struct act_unit_cases_row *oc;
	int nu = act_unit_cases_run(r, &(struct act_unit_cases_in){ .unit = unit, .id = id }, &oc);
	if (nu < 0)
		return -1;
	struct unit_case *uc = arena_alloc(r->arena, ((size_t)nu + 1) * sizeof(*uc));
	if (uc == NULL)
		return internal(r);
	for (int i = 0; i < nu; i++)
		uc[i] = (struct unit_case){ oc[i].number, oc[i].state, oc[i].received };
	const struct unit_case *first = reg_blocking_case(&plan, c->received, uc, (size_t)nu);
	if (first) {
		resp_problem(r, 409, "priority_conflict",
			     arena_printf(r->arena, "Case %s on the same unit was received earlier and is still pending.",
					  first->number));
		return -1;
	}
	struct act_in_force_row *seized;
	if (act_in_force_run(r, &(struct act_in_force_in){ .unit = unit, .kind = entry_kind_name(EK_SEIZURE), .now = now },
			     &seized) != 1)
		return -1;
	if (!reg_seizure_allows(&plan, (int)seized->n)) {
		resp_problem(r, 409, "unit_seized", "The unit is under seizure (查封): nothing can be registered on it.");
		return -1;
	}
	struct json *f;
	if (json_parse(r->arena, (const unsigned char *)c->fields, strlen(c->fields), 8, &f) != JSON_OK)
		return internal(r);
	/* what the registration ends */
	int64_t entry_id = 0, named_rank = 0;
	if (json_get(f, "entry_id") && json_int64(json_get(f, "entry_id"), &entry_id) == 0) {
		struct act_entry_row *en;
		int ne = act_entry_run(r, &(struct act_entry_in){ .id = entry_id, .unit = unit }, &en);
		if (ne < 0)
			return -1;
		if (ne != 1 || strcmp(en->kind, kind) != 0) {
			resp_problem(r, 409, "no_such_right",
				     "The right or restriction to change does not exist or is no longer in force on this unit.");
			return -1;
		}
		named_rank = en->rank;
		if (act_entry_end_run(r, &(struct act_entry_end_in){ .id = entry_id, .now = now, .case_id = id }, NULL) < 0)
			return -1;
	}
	struct act_kind_end_row *ended = NULL;
	int nended = 0;
	if (plan.ends == ENDS_OWNERS &&
	    (nended = act_kind_end_run(r, &(struct act_kind_end_in){ .unit = unit, .kind = entry_kind_name(EK_OWNERSHIP),
								      .now = now, .case_id = id }, &ended)) < 0)
		return -1;
	int64_t took_effect = 0;
	if (entry_id && plan.cat->rank == RANK_WAITLIST && (took_effect = waitlist_moves(a, unit, kind)) < 0)
		return -1;
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	if (!plan.writes) {
		jg_int(g, "ended_entry", entry_id);
		if (took_effect)
			jg_int(g, "took_effect", took_effect);
	} else if (write_entries(a, &plan, f, named_rank, g) != 0) {
		return -1;
	} else {
		if (entry_id)
			jg_int(g, "ended_entry", entry_id);
		if (nended > 0) {
			jg_key(g, "ended_entries");
			yajl_gen_array_open(g);
			for (int i = 0; i < nended; i++)
				yajl_gen_integer(g, ended[i].id);
			yajl_gen_array_close(g);
		}
	}
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	if (yajl_gen_get_buf(g, &b, &len) != yajl_gen_status_ok)
		return internal(r);
	a->ch->details = arena_strndup(r->arena, (const char *)b, len);
	/* the fees the rules charge, written with the registration */
	int64_t total;
	if (fees_charge(r, id, &total) != 0)
		return -1;
	a->ch->fee = req_i64str(r, total);
	return 0;
}

/* set_fees: the computed items confirmed, adjusted by the cashier with a
 * reason (audited: the event's details and a fee.adjust audit row); with
 * nothing due the case goes on to paid at once. */
static int do_fees(struct act *a)
{
	struct req *r = a->r;
	int64_t total;
	char *details;
	if (fees_adjust(r, a->p, a->id, a->nested, &total, &details) != 0)
		return -1;
	if (a->nested && a->nested->count > 0 &&
	    auth_audit(r, a->p, "fee.adjust", "case", a->id, "success", details) != 0)
		return -1;
	a->ch->fee = req_i64str(r, total);
	a->ch->details = details;
	if (total == 0) {
		a->ch->then = "record_payment";
		a->ch->then_details = "{\"not_due\": true}";
	}
	return 0;
}

/* Hand-over notes: a transition that leaves the next step to the other
 * agency puts a note in that agency's inbox. Who acts next is read from the
 * workflow (the sides of the transitions out of the new state); a decision
 * the applicant must hear of goes to the window that took the case in. */
enum { SIDE_R = 1, SIDE_D = 2 };

static int side_bits(const char *side)
{
	return strcmp(side, "receiving") == 0 ? SIDE_R : strcmp(side, "deciding") == 0 ? SIDE_D : SIDE_R | SIDE_D;
}

static int notify_next(struct req *r, const struct act_lock_row *c, const struct principal *p, const char *id, const char *action,
		       const char *perm, const char *side, const char *to_state, int64_t now)
{
	static const struct {
		const char *action, *message;
		int to_window; /* the receiving side, whoever acts next */
	} notes[] = {
		{ "submit", "新收件：请受理审核", 0 },
		{ "resubmit", "补正材料已提交：请继续审核", 0 },
		{ "request_supplement", "需要补正材料：请通知申请人", 0 },
		{ "reject", "申请不予登记：请告知申请人", 1 },
		{ "set_fees", "已核定收费：请收取登记费", 0 },
		{ "record_payment", "已收费：请缮证发证", 0 },
		{ "issue", "证书已缮发：请送达申请人", 0 },
	};
	const char *ragency = c->ragency, *dagency = c->dagency;
	if (strcmp(ragency, dagency) == 0)
		return 0;
	size_t i = 0;
	while (i < sizeof(notes) / sizeof(notes[0]) && strcmp(notes[i].action, action) != 0)
		i++;
	if (i == sizeof(notes) / sizeof(notes[0]))
		return 0;
	/* the side the actor acted for: an action either side may do counts
	 * for the actor's own agency, else for the side their authority covers */
	int actor = side_bits(side);
	if (actor == (SIDE_R | SIDE_D)) {
		if (strcmp(p->agency_code, ragency) == 0)
			actor = SIDE_R;
		else if (strcmp(p->agency_code, dagency) == 0)
			actor = SIDE_D;
		else
			actor = auth_allows(r, p, perm, c->rdiv) ? SIDE_R : SIDE_D;
	}
	int next = 0;
	if (notes[i].to_window) {
		next = SIDE_R;
	} else {
		struct act_next_sides_row *ns;
		int nn = act_next_sides_run(r, &(struct act_next_sides_in){ .state = to_state, .type = c->type }, &ns);
		if (nn < 0)
			return -1;
		for (int k = 0; k < nn; k++)
			next |= side_bits(ns[k].side);
	}
	next &= ~actor;
	for (int s = SIDE_R; s <= SIDE_D; s <<= 1) {
		if (!(next & s))
			continue;
		const char *to = s == SIDE_R ? ragency : dagency;
		struct act_notify_in in = { .agency = to, .case_id = id, .kind = action, .message = notes[i].message,
					    .now = now };
		if (act_notify_run(r, &in, NULL) < 0)
			return -1;
	}
	return 0;
}

/* The body each action takes: version and comment, and the action's own
 * members; an array member (missing, items) is checked by the action's code
 * and named in nested. Anything else is refused (400 unknown_field). */
static int delivery_method(const char *s)
{
	return strcmp(s, "mail") == 0 || strcmp(s, "pickup") == 0;
}

#define COMMON_FIELDS { "version", V_INT, 1, 1, INT32_MAX, NULL }, { "comment", V_STRING, 0, 1, 500, NULL }
static const struct field f_common[] = { COMMON_FIELDS };
static const struct field f_reject[] = { COMMON_FIELDS, { "reason", V_STRING, 1, 1, 500, NULL } };
static int payment_method(const char *s)
{
	return strcmp(s, "cash") == 0 || strcmp(s, "pos") == 0;
}
static const struct field f_payment[] = {
	COMMON_FIELDS,
	{ "receipt_number", V_STRING, 1, 1, 64, NULL },
	{ "amount_fen", V_INT, 1, 0, INT64_MAX, NULL },
	{ "method", V_STRING, 0, 3, 4, payment_method },
};
static const struct field f_deliver[] = {
	COMMON_FIELDS,
	{ "method", V_STRING, 1, 4, 6, delivery_method },
	{ "tracking_number", V_STRING, 0, 1, 64, NULL },
};
enum { F_VERSION, F_COMMENT, F_OWN1, F_OWN2, F_OWN3, F_MAX };

/* submit, resubmit: the required documents are there; the due date from
 * the promised working days; priority counts from the first receipt */
static int do_submit(struct act *a)
{
	struct req *r = a->r;
	struct act_missing_docs_row *md;
	if (act_missing_docs_run(r, &(struct act_missing_docs_in){ .id = a->id }, &md) != 1)
		return -1;
	if (md->missing[0]) {
		resp_problem(r, 409, "documents_missing",
			     arena_printf(r->arena, "Required documents are missing: %s.", md->missing));
		return -1;
	}
	if (a->c->received == 0)
		a->ch->received = a->now;
	a->ch->due = due_date(r, a->now, a->c->days);
	if (a->ch->due == NULL)
		return -1;
	char *from = arena_alloc(r->arena, 11);
	if (from == NULL || ymd_iso(beijing_ymd(a->now), from, 11) != 0)
		return internal(r);
	a->ch->due_from = from;
	a->ch->due_days = a->c->days;
	return 0;
}

static int do_supplement(struct act *a)
{
	struct req *r = a->r;
	const struct json *nested = a->nested;
	if (nested->count < 1 || nested->count > 20) {
		valid_reject(r, "invalid_field", "missing", "lists 1 to 20 missing items.");
		return -1;
	}
	yajl_gen g = json_gen_new(r->arena);
	yajl_gen_map_open(g);
	jg_key(g, "missing");
	yajl_gen_array_open(g);
	for (const struct json *m = nested->child; m; m = m->next) {
		if (!text_ok(m, 200)) {
			valid_reject(r, "invalid_field", "missing", "each item is a description of up to 200 characters.");
			return -1;
		}
		jg_cstr(g, m->s);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	yajl_gen_get_buf(g, &b, &len);
	a->ch->details = arena_strndup(r->arena, (const char *)b, len);
	return 0;
}

static int do_reject(struct act *a)
{
	a->ch->details = json_pairs(a->r->arena, "reason", a->bv[F_OWN1].s, NULL, NULL);
	return 0;
}

/* record_payment: money taken at the window (cash or POS), the amount the
 * fees set; not while the applicant may be paying the order online */
static int do_payment(struct act *a)
{
	struct req *r = a->r;
	const struct fval *bv = a->bv;
	if (bv[F_OWN2].i != a->c->fee) {
		valid_reject(r, "invalid_field", "amount_fen", "must equal the fees set, with a receipt number.");
		return -1;
	}
	struct act_order_open_row *o;
	if (act_order_open_run(r, &(struct act_order_open_in){ .case_id = a->id, .now = a->now }, &o) != 1)
		return -1;
	if (o->open) {
		resp_problem(r, 409, "payment_order_open",
			     "An online payment order of this case is pending: wait for it, or for it to expire.");
		return -1;
	}
	a->ch->details = json_members(r->arena, "receipt_number", bv[F_OWN1].s, bv[F_OWN3].present ? "method" : NULL,
				      bv[F_OWN3].present ? bv[F_OWN3].s : NULL, "amount_fen", bv[F_OWN2].i);
	return a->ch->details ? 0 : internal(r);
}

static int do_deliver(struct act *a)
{
	const struct fval *bv = a->bv;
	if (strcmp(bv[F_OWN1].s, "mail") == 0) {
		if (!bv[F_OWN2].present) {
			valid_reject(a->r, "missing_field", "tracking_number", "is required for mail delivery.");
			return -1;
		}
		a->ch->details = json_pairs(a->r->arena, "method", "mail", "tracking_number", bv[F_OWN2].s);
	} else {
		if (bv[F_OWN2].present) {
			valid_reject(a->r, "invalid_field", "tracking_number", "is only for mail delivery.");
			return -1;
		}
		a->ch->details = json_pairs(a->r->arena, "method", "pickup", "agency_code", a->c->ragency);
	}
	return 0;
}

/* Every action of the workflow (cases.transition) and what it takes and
 * does: the body's fields (a list member, checked by the rule, named in
 * nested) and its rule, or NULL for the state change alone. An action of
 * cases.transition without a row here is an error the intake worker
 * refuses to start with (actions_worker_init). */
#define BODY(a) a, sizeof(a) / sizeof(a[0])
static const struct action_def {
	const char *action;
	const struct field *spec;
	size_t n;
	const char *nested;
	int nested_optional;
	int (*apply)(struct act *a);
} action_defs[] = {
	{ "submit", BODY(f_common), NULL, 0, do_submit },
	{ "resubmit", BODY(f_common), NULL, 0, do_submit },
	{ "accept", BODY(f_common), NULL, 0, NULL },
	{ "request_supplement", BODY(f_common), "missing", 0, do_supplement },
	{ "reject", BODY(f_reject), NULL, 0, do_reject },
	{ "approve", BODY(f_common), NULL, 0, NULL },
	{ "register", BODY(f_common), NULL, 0, do_register },
	{ "set_fees", BODY(f_common), "adjustments", 1, do_fees },
	{ "record_payment", BODY(f_payment), NULL, 0, do_payment },
	{ "issue", BODY(f_common), NULL, 0, NULL },
	{ "deliver", BODY(f_deliver), NULL, 0, do_deliver },
	{ "close", BODY(f_common), NULL, 0, NULL },
	{ "withdraw", BODY(f_common), NULL, 0, NULL },
};

static const struct action_def *action_def(const char *action)
{
	for (size_t i = 0; action && i < sizeof(action_defs) / sizeof(action_defs[0]); i++)
		if (strcmp(action_defs[i].action, action) == 0)
			return &action_defs[i];
	return NULL;
}

/* Validate the body for the action into v[F_MAX]; the nested member (or
 * NULL). -1 after replying. */
static int action_body(struct req *r, const char *action, const struct json *body, struct fval *v,
		       const struct json **nested)
{
	/* an action the table lacks is checked as the common body: the
	 * workflow answers for it (unknown_action, invalid_state) */
	const struct action_def *ab = action_def(action);
	const struct field *spec = ab ? ab->spec : f_common;
	size_t n = ab ? ab->n : sizeof(f_common) / sizeof(f_common[0]);
	*nested = ab && ab->nested ? json_get(body, ab->nested) : NULL;
	const struct json *scalars = *nested ? json_without(r->arena, body, *nested, NULL) : body;
	if (scalars == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	memset(v, 0, F_MAX * sizeof(*v));
	if (valid_fields(r, scalars, spec, n, v) != 0)
		return -1;
	if (ab && ab->nested && (*nested ? (*nested)->type != JSON_ARRAY : !ab->nested_optional)) {
		valid_reject(r, *nested ? "invalid_field" : "missing_field", ab->nested,
			     ab->nested_optional ? "is a list." : "is a list, required for this action.");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (spec[i].type != V_STRING || !v[i].present)
			continue;
		if (!text_ok(json_get(scalars, spec[i].name), (size_t)spec[i].max)) {
			valid_reject(r, "invalid_field", spec[i].name, "must be plain text, without direction overrides.");
			return -1;
		}
	}
	return 0;
}

/* A refusal of authority inside the transaction: end it (nothing has been
 * written) so that the denial's audit row, written by auth_require, stays. */
static void deny_after_tx(struct req *r, const char *perm, const char *const *divs, size_t nd,
			  const char *side, const char *division)
{
	if (db_commit(r) != 0)
		return;
	if (auth_require_side(r, perm, divs, nd, side, division) != NULL) /* decided otherwise than auth_allows: never */
		resp_problem(r, 500, "internal", "The server could not complete the request.");
}

/* The side a refused caller would have acted for, to name in the 403: the
 * action's side, or for an action either side may take, the side of the
 * caller's own agency (the deciding side when it is neither). */
static const char *wanted_side(const struct principal *p, const char *side, const char *ragency,
			       const char *dagency)
{
	if (strcmp(side, "either") != 0)
		return side;
	if (strcmp(p->agency_code, ragency) == 0 && strcmp(p->agency_code, dagency) != 0)
		return "receiving";
	return "deciding";
}

/* The divisions an action's permission must cover one of: the side's. */
static size_t side_divisions(const char *side, const char *rdiv, const char *ddiv, const char *divs[2])
{
	size_t nd = 0;
	if (strcmp(side, "deciding") != 0)
		divs[nd++] = rdiv;
	if (strcmp(side, "receiving") != 0)
		divs[nd++] = ddiv;
	return nd;
}

static int move_permitted(const struct req *r, const struct principal *p, const char *perm, const char *side,
			  const char *rdiv, const char *ddiv)
{
	const char *divs[2];
	size_t nd = side_divisions(side, rdiv, ddiv, divs);
	for (size_t i = 0; i < nd; i++)
		if (auth_allows(r, p, perm, divs[i]))
			return 1;
	return 0;
}

static int case_moves(struct req *r, const char *id, const char *state, const char *type, const char *action,
		      const struct principal *p, struct act_moves_row **out)
{
	struct act_moves_in in = { .state = state, .action = action, .type = type, .case_id = id, .user_id = p->user_id };
	return act_moves_run(r, &in, out);
}

int case_move_allowed(const struct req *r, const struct principal *p, int enabled, const char *barred_by,
		      const char *perm, const char *side, const char *rdiv, const char *ddiv)
{
	/* the checks h_case_action makes before the version and the action's
	 * own rules (documents, priority, seizure: those answer 409 there) */
	return enabled && barred_by[0] == '\0' && move_permitted(r, p, perm, side, rdiv, ddiv);
}

void h_case_action(struct req *r)
{
	/* case.read somewhere: whoever reads no case at all is refused the
	 * same for every id (and a session due a password change, here too) */
	const struct principal *p = auth_require(r, "case.read", NULL, 0);
	if (p == NULL)
		return;
	const char *id = req_param(r, "id"), *action = req_param(r, "action");
	const struct json *body = req_json_object(r);
	if (body == NULL)
		return;
	struct fval bv[F_MAX];
	const struct json *nested;
	if (action_body(r, action, body, bv, &nested) != 0)
		return;
	int64_t version = bv[F_VERSION].i;
	const char *comment = bv[F_COMMENT].present ? bv[F_COMMENT].s : NULL;
	if (db_begin(r) != 0)
		return;
	struct act_lock_row *c;
	int found = act_lock_run(r, &(struct act_lock_in){ .id = id }, &c);
	if (found < 0)
		return;
	/* someone with no authority over either side gets the answer a
	 * missing case gets: the id tells them nothing */
	const char *rdiv = found ? c->rdiv : NULL, *ddiv = found ? c->ddiv : NULL;
	if (!found || !case_readable(r, p, rdiv, ddiv)) {
		if (db_commit(r) == 0)
			case_not_found(r, p, found ? id : NULL);
		return;
	}
	const char *state = c->state;
	struct act_moves_row *t;
	int nt = case_moves(r, id, state, c->type, action, p, &t);
	if (nt < 0)
		return;
	if (nt != 1) {
		/* rare, so looked up only here: an action no state has is unknown */
		int known = act_known_run(r, &(struct act_known_in){ .action = action }, NULL);
		if (known < 0)
			return;
		if (known == 0) {
			resp_problem(r, 404, "unknown_action", "No such case action.");
			return;
		}
		char *msg = arena_printf(r->arena, "A case in state %s cannot be %s.", state, action);
		resp_problem(r, 409, "invalid_state", msg);
		return;
	}
	/* who may act is checked before the version: a reader without the
	 * permission learns nothing more about the case */
	const char *perm = t->perm, *side = t->side;
	if (!move_permitted(r, p, perm, side, rdiv, ddiv)) {
		const char *divs[2];
		size_t nd = side_divisions(side, rdiv, ddiv, divs);
		const char *ws = wanted_side(p, side, c->ragency, c->dagency);
		deny_after_tx(r, perm, divs, nd, ws, strcmp(ws, "receiving") == 0 ? rdiv : ddiv);
		return;
	}
	/* the two-person rule, against the case's own events */
	if (t->barred_by[0]) {
		const char *earlier = t->barred_by;
		char *why = json_pairs(r->arena, "code", "two_person_rule", "earlier_action", earlier);
		if (why == NULL || db_commit(r) != 0 ||
		    auth_audit(r, p, "auth.denied", "case", id, "denied", why) != 0)
			return;
		resp_problem(r, 403, "two_person_rule",
			     arena_printf(r->arena, "You did the step %s on this case: another person must %s it.",
					  earlier, action));
		return;
	}
	if (!t->enabled) {
		resp_problem(r, 409, "action_disabled", "This action is switched off in the workflow.");
		return;
	}
	if (version != c->version) {
		resp_problem(r, 409, "version_conflict", "The case was changed meanwhile; reload it.");
		return;
	}
	int64_t now = req_now_us(r);
	struct change ch = { .due = "" };
	const char *to = t->to;
	/* the action's own rule; a transition without one in the table is a
	 * workflow this program does not know (the worker check refuses to
	 * start with it; this stops it should the table change meanwhile) */
	const struct action_def *def = action_def(action);
	if (def == NULL) {
		log_error("case action %s is in the workflow but has no entry in the action table", action);
		resp_problem(r, 500, "action_not_implemented", "This action of the workflow is not implemented.");
		return;
	}
	struct act a = { r, p, c, id, now, bv, nested, &ch };
	if (def->apply && def->apply(&a) != 0)
		return;
	struct act_update_in up = { .id = id, .version = version, .to = to, .now = now, .received = ch.received,
				    .due = ch.due, .cert = ch.cert, .fee = ch.fee, .due_from = ch.due_from,
				    .due_days = ch.due_days };
	int nup = act_update_run(r, &up, NULL);
	if (nup < 0)
		return;
	if (nup != 1) {
		resp_problem(r, 409, "version_conflict", "The case was changed meanwhile; reload it.");
		return;
	}
	struct case_event_insert_in ev = { .case_id = id, .now = now, .actor_id = p->user_id, .agency = p->agency_code,
					   .action = action, .from = state, .to = to, .comment = comment,
					   .details = ch.details };
	char *payload = json_pairs(r->arena, "number", c->number, "state", to);
	struct case_outbox_in ob = { .now = now, .topic = arena_printf(r->arena, "case.%s", action), .case_id = id,
				     .payload = payload };
	if (case_event_insert_run(r, &ev, NULL) < 0 || case_outbox_run(r, &ob, NULL) < 0 ||
	    auth_audit(r, p, arena_printf(r->arena, "case.%s", action), "case", id, "success", payload) != 0)
		return;
	if (ch.then) {
		/* the workflow's next step taken at once (fees with nothing due:
		 * paid), when the workflow has it on for the type and no
		 * two-person rule bars it; else the case waits in its state */
		struct act_moves_row *t2;
		int n2 = case_moves(r, id, to, c->type, ch.then, p, &t2);
		if (n2 < 0)
			return;
		if (n2 == 1 && t2->enabled && t2->barred_by[0] == '\0') {
			struct act_update_in up2 = { .id = id, .version = version + 1, .to = t2->to, .now = now, .due = "" };
			int nup2 = act_update_run(r, &up2, NULL);
			if (nup2 != 1) {
				if (nup2 >= 0)
					internal(r);
				return;
			}
			struct case_event_insert_in ev2 = { .case_id = id, .now = now, .actor_id = p->user_id,
							    .agency = p->agency_code, .action = ch.then, .from = to,
							    .to = t2->to, .details = ch.then_details };
			char *payload2 = json_pairs(r->arena, "number", c->number, "state", t2->to);
			struct case_outbox_in ob2 = { .now = now, .topic = arena_printf(r->arena, "case.%s", ch.then),
						      .case_id = id, .payload = payload2 };
			if (case_event_insert_run(r, &ev2, NULL) < 0 || case_outbox_run(r, &ob2, NULL) < 0 ||
			    auth_audit(r, p, arena_printf(r->arena, "case.%s", ch.then), "case", id, "success",
				       payload2) != 0)
				return;
			action = ch.then;
			perm = t2->perm;
			side = t2->side;
			to = t2->to;
		}
	}
	if (notify_next(r, c, p, id, action, perm, side, to, now) != 0)
		return;
	gen_case(r, id);
	if (r->status != 200)
		return;
	/* a registration changes what registry search answers (regcache.h) */
	struct regcache_touch touched = { NULL, 0 };
	if (strcmp(action, "register") == 0 && regcache_collect(r, c->unit, id, &touched) != 0)
		return;
	if (db_commit(r) != 0)
		return;
	/* cached views of cases are stale now (this one, and the conflicts
	 * shown on others of the unit) */
	micro_invalidate(r->w);
	regcache_bump(r, &touched);
}

/* ---- the workflow in the database against the domain and this table ---- */

/* The check runs before any request, so on the statement layer under
 * db_exec (pg_exec), reading columns in the order of each statement. */
static const struct stmt q_check_actions = {
	"act_check_actions", "SELECT DISTINCT action FROM cases.transition ORDER BY 1", 0,
};
static const struct stmt q_check_states = {
	"act_check_states",
	"SELECT s, coalesce(cases.state_class(s), ''), cases.state_pending(s)::int"
	" FROM (SELECT from_state AS s FROM cases.transition UNION SELECT to_state FROM cases.transition) t ORDER BY 1",
	0,
};
static const struct stmt q_check_types = {
	"act_check_types", "SELECT code, category, action, fee_rule FROM cases.business_type ORDER BY 1", 0,
};

/* One check statement: the result (PQclear it), or NULL (logged). */
static PGresult *check_query(struct db *d, const struct stmt *s)
{
	const char *state;
	PGresult *res = pg_exec(d, s, NULL, NULL, NULL, &state);
	if (res == NULL)
		log_error("workflow check: %s failed (%s)", s->name, state ? state : "connection lost");
	return res;
}

/* Problems between the workflow as data and the code that serves it: an
 * action of cases.transition without a row in action_defs, a state whose
 * class SQL (cases.state_class, cases.state_pending) and the domain
 * (domain/workflow.c) tell differently, a business type without a
 * registration rule or with a fee rule the domain does not know. The
 * count of problems (each logged), or -1 when the database did not answer. */
static int workflow_problems(struct db *d)
{
	int bad = 0;
	PGresult *res = check_query(d, &q_check_actions);
	if (res == NULL)
		return -1;
	int nactions = PQntuples(res);
	for (int i = 0; i < nactions; i++)
		if (action_def(PQgetvalue(res, i, 0)) == NULL) {
			log_error("workflow check: action %s of cases.transition has no entry in the action table",
				  PQgetvalue(res, i, 0));
			bad++;
		}
	PQclear(res);
	res = check_query(d, &q_check_states);
	if (res == NULL)
		return -1;
	int nstates = PQntuples(res);
	for (int i = 0; i < nstates; i++) {
		const char *st = PQgetvalue(res, i, 0), *cls = state_class_name(workflow_state_class(st));
		if (cls == NULL || strcmp(cls, PQgetvalue(res, i, 1)) != 0 ||
		    workflow_state_pending(st) != atoi(PQgetvalue(res, i, 2))) {
			log_error("workflow check: state %s is %s in the domain but %s in cases.state_class", st,
				  cls ? cls : "unknown", PQgetvalue(res, i, 1)[0] ? PQgetvalue(res, i, 1) : "unknown");
			bad++;
		}
	}
	PQclear(res);
	res = check_query(d, &q_check_types);
	if (res == NULL)
		return -1;
	int ntypes = PQntuples(res);
	for (int i = 0; i < ntypes; i++) {
		struct reg_plan plan;
		struct fee_facts ff = { PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 3) };
		if (reg_plan_for(ff.category, ff.action, &plan) != 0) {
			log_error("workflow check: business type %s has no registration rule in the domain",
				  PQgetvalue(res, i, 0));
			bad++;
		}
		if (fee_rule_for(&ff) == FEE_UNKNOWN) {
			log_error("workflow check: business type %s has fee rule %s, unknown to the domain",
				  PQgetvalue(res, i, 0), ff.fee_rule);
			bad++;
		}
	}
	PQclear(res);
	if (bad == 0)
		log_info("workflow check: %d actions, %d states and %d business types agree with the domain", nactions,
			 nstates, ntypes);
	return bad;
}

int actions_worker_init(struct worker *w)
{
	if (db_ensure(&w->db, w->mslot) != 0) {
		/* requests answer 503 until the database is back; an action
		 * missing from the table still stops at its first use */
		log_warn("workflow check: the database is unreachable; not checked");
		return 0;
	}
	int bad = workflow_problems(&w->db), fb = fees_worker_init(w);
	if (bad >= 0 && fb > 0)
		bad += fb;
	if (bad > 0)
		log_error("workflow check: %d problems; this worker does not start", bad);
	return bad > 0 ? -1 : 0;
}
