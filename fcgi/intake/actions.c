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

#include "../core/cache.h"
#include "../core/micro.h"
#include "../domain/register.h"
#include "../domain/workdays.h"
#include "intake.h"

static const struct stmt q_lock = {
	"act_lock",
	"SELECT c.state, c.version, c.receiving_division, c.deciding_division, c.unit_code, c.business_type,"
	" t.category, t.action, t.promised_days, c.fields::text, c.number, c.deciding_agency,"
	" coalesce((extract(epoch FROM c.received_at) * 1000000)::bigint, 0), coalesce(c.fee_total_fen, -1),"
	" c.receiving_agency"
	" FROM cases.case c JOIN cases.business_type t ON t.code = c.business_type WHERE c.id = $1 FOR UPDATE OF c",
	1,
};
/* The transitions out of a case's state (all, or only action $2): where
 * each leads, the permission and side it needs, whether it is switched on
 * for the business type, and the earlier step of a two-person rule the
 * user $5 did on this case ('' when none bars them). The action endpoint
 * and allowed_actions (the detail's statement) read the workflow through
 * this one text, CASE_MOVES_COLS. */
static const struct stmt q_moves = {
	"act_moves",
	"SELECT" CASE_MOVES_COLS("$3", "$4", "$5")
	" FROM cases.transition t WHERE t.from_state = $1 AND ($2 = '' OR t.action = $2) ORDER BY t.action",
	5,
};
enum { MV_ACTION, MV_TO, MV_PERM, MV_SIDE, MV_ENABLED, MV_BARRED_BY };
static const struct stmt q_action_known = {
	"act_known", "SELECT 1 FROM cases.transition WHERE action = $1 LIMIT 1", 1,
};
static const struct stmt q_update = {
	"act_update",
	"UPDATE cases.case SET state = $3, version = version + 1, updated_at = to_timestamp($4::float8 / 1000000),"
	" received_at = CASE WHEN $5 = '' THEN received_at ELSE to_timestamp($5::float8 / 1000000) END,"
	" due_date = CASE WHEN $6 = '' THEN due_date ELSE $6::date END,"
	" certificate_no = coalesce($7, certificate_no), fee_total_fen = coalesce($8::bigint, fee_total_fen)"
	" WHERE id = $1 AND version = $2::int",
	8,
};
static const struct stmt q_missing_docs = {
	"act_missing_docs",
	"SELECT coalesce(string_agg(d, ', ' ORDER BY d), '') FROM cases.case c"
	" JOIN cases.business_type t ON t.code = c.business_type, unnest(t.required_docs) d"
	" WHERE c.id = $1 AND NOT EXISTS (SELECT 1 FROM cases.attachment a WHERE a.case_id = c.id AND a.document_type = d)",
	1,
};
static const struct stmt q_notify = {
	"act_notify",
	"INSERT INTO cases.notification (agency_code, case_id, kind, message, created_at)"
	" VALUES ($1, $2, $3, $4, to_timestamp($5::float8 / 1000000))",
	5,
};
static const struct stmt q_calendar = {
	"act_calendar",
	"SELECT to_char(day, 'YYYYMMDD')::int, kind FROM cases.calendar"
	" WHERE day BETWEEN $1::date AND $1::date + 120 ORDER BY day",
	1,
};
static const struct stmt q_earlier = {
	"act_earlier",
	"SELECT number FROM cases.case WHERE unit_code = $1 AND id <> $2"
	" AND state IN ('submitted', 'accepted', 'supplement_requested', 'approved')"
	" AND received_at < to_timestamp($3::float8 / 1000000) ORDER BY received_at LIMIT 1",
	3,
};
static const struct stmt q_seized = {
	"act_seized",
	"SELECT 1 FROM reg.entry WHERE unit_code = $1 AND kind = 'seizure' AND valid_to IS NULL"
	" AND valid_from <= to_timestamp($2::float8 / 1000000) LIMIT 1",
	2,
};
static const struct stmt q_entry = {
	"act_entry",
	"SELECT kind, coalesce(rank, 0) FROM reg.entry WHERE id = $1 AND unit_code = $2 AND valid_to IS NULL FOR UPDATE",
	2,
};
static const struct stmt q_entry_end = {
	"act_entry_end",
	"UPDATE reg.entry SET valid_to = to_timestamp($2::float8 / 1000000), ended_by_case = $3 WHERE id = $1",
	3,
};
static const struct stmt q_next_rank = {
	"act_next_rank",
	"SELECT coalesce(max(rank), 0) + 1 FROM reg.entry WHERE unit_code = $1 AND kind = 'mortgage'"
	" AND valid_to IS NULL",
	1,
};
static const struct stmt q_entry_insert = {
	"act_entry_insert",
	"INSERT INTO reg.entry (unit_code, kind, rank, holder_name, amount_fen, certificate_no, details,"
	" valid_from, made_by_case) VALUES ($1, $2, nullif($3, '0')::int, $4, $5::bigint, $6, $7::jsonb,"
	" to_timestamp($8::float8 / 1000000), $9) RETURNING id",
	9,
};
static const struct stmt q_area = {
	"act_area",
	"SELECT d.name, p.name, d.code, p.code FROM ref.division d JOIN ref.division p ON p.code = d.parent_code"
	" WHERE d.code = $1",
	1,
};
static const struct stmt q_fee_item = {
	"act_fee_item",
	"INSERT INTO cases.fee_item (case_id, seq, code, description, quantity, unit_price_fen, amount_fen)"
	" VALUES ($1, $2, $3, $4, $5::int, $6::bigint, $5::int * $6::bigint)",
	6,
};
/* per registration area and year: the row lock orders concurrent 登簿 of
 * one area, and a rolled-back registration gives its number back */
static const struct stmt q_cert_counter = {
	"act_cert_counter",
	"INSERT INTO cases.certificate_counter (area_code, year, kind, last) VALUES ($1, $2::int, $3, 1)"
	" ON CONFLICT (area_code, year, kind) DO UPDATE SET last = cases.certificate_counter.last + 1 RETURNING last",
	3,
};
static const struct stmt q_next_sides = {
	"act_next_sides",
	"SELECT DISTINCT t.side FROM cases.transition t WHERE t.from_state = $1 AND t.enabled AND t.action <> 'withdraw'"
	" AND NOT EXISTS (SELECT 1 FROM cases.type_action_off o WHERE o.business_type = $2 AND o.action = t.action)",
	2,
};

enum { C_STATE, C_VERSION, C_RDIV, C_DDIV, C_UNIT, C_TYPE, C_CATEGORY, C_ACTION, C_DAYS, C_FIELDS,
       C_NUMBER, C_DAGENCY, C_RECEIVED, C_FEE, C_RAGENCY };

struct change {
	const char *received;	/* epoch us text, or "" */
	const char *due;	/* YYYY-MM-DD or "" */
	const char *cert;	/* NULL: unchanged */
	const char *fee;	/* NULL: unchanged */
	char *details;		/* event details JSON */
};

static int today_ymd(int64_t now_us)
{
	time_t t = (time_t)(now_us / 1000000) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

/* The due date: promised working days after today, by the calendar table. */
static char *due_date(struct req *r, int64_t now, int days)
{
	int today = today_ymd(now);
	char iso[16];
	snprintf(iso, sizeof(iso), "%04d-%02d-%02d", today / 10000, today / 100 % 100, today % 100);
	const char *pc[] = { iso };
	PGresult *cal = db_exec(r, &q_calendar, pc);
	if (cal == NULL)
		return NULL;
	int n = PQntuples(cal), hol[128], mk[128];
	size_t nh = 0, nm = 0;
	for (int i = 0; i < n && i < 128; i++) {
		int d = atoi(PQgetvalue(cal, i, 0));
		if (strcmp(PQgetvalue(cal, i, 1), "holiday") == 0)
			hol[nh++] = d;
		else
			mk[nm++] = d;
	}
	struct calendar c = { hol, nh, mk, nm };
	int due = workdays_add(&c, today, days);
	return arena_printf(r->arena, "%04d-%02d-%02d", due / 10000, due / 100 % 100, due % 100);
}

/* A line of text for the timeline: 1 to max characters, no NUL, no
 * control characters, no bidirectional overrides that would make it read
 * differently from what it is. */
static int text_ok(const struct json *v, size_t max)
{
	if (v->type != JSON_STRING || v->len < 1 || utf8_chars(v->s, v->len) > max || strlen(v->s) != v->len)
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

/* 登簿: the registry changes and the certificate number. */
static int do_register(struct req *r, PGresult *c, const char *id, int64_t now, struct change *ch)
{
	const char *unit = PQgetvalue(c, 0, C_UNIT), *cat = PQgetvalue(c, 0, C_CATEGORY);
	const char *act = PQgetvalue(c, 0, C_ACTION);
	/* priority: nothing received earlier on this unit may still be pending */
	const char *pe[] = { unit, id, PQgetvalue(c, 0, C_RECEIVED) };
	PGresult *er = db_exec(r, &q_earlier, pe);
	if (er == NULL)
		return -1;
	if (PQntuples(er) > 0) {
		char *msg = arena_printf(r->arena, "Case %s on the same unit was received earlier and is still pending.",
					 PQgetvalue(er, 0, 0));
		resp_problem(r, 409, "priority_conflict", msg);
		return -1;
	}
	const char *ps[] = { unit, i64str(r, now) };
	PGresult *sr = db_exec(r, &q_seized, ps);
	if (sr == NULL)
		return -1;
	if (PQntuples(sr) > 0 && strcmp(act, "cancellation") != 0) {
		resp_problem(r, 409, "unit_seized", "The unit is under seizure (查封): nothing can be registered on it.");
		return -1;
	}
	struct json *f;
	const char *ft = PQgetvalue(c, 0, C_FIELDS);
	if (json_parse(r->arena, (const unsigned char *)ft, strlen(ft), 8, &f) != JSON_OK) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	int64_t entry_id = 0, rank = 0;
	if (json_get(f, "entry_id") && json_int64(json_get(f, "entry_id"), &entry_id) == 0) {
		const char *pq[] = { i64str(r, entry_id), unit };
		PGresult *en = db_exec(r, &q_entry, pq);
		if (en == NULL)
			return -1;
		if (PQntuples(en) != 1 || strcmp(PQgetvalue(en, 0, 0), cat) != 0) {
			resp_problem(r, 409, "no_such_right",
				     "The right or restriction to change does not exist or is no longer in force on this unit.");
			return -1;
		}
		rank = atoll(PQgetvalue(en, 0, 1));
		const char *pd[] = { i64str(r, entry_id), i64str(r, now), id };
		if (db_exec(r, &q_entry_end, pd) == NULL)
			return -1;
	}
	if (strcmp(act, "cancellation") == 0) {
		ch->details = json_members(r, NULL, NULL, NULL, NULL, "ended_entry", entry_id);
		return 0;
	}
	if (strcmp(cat, "mortgage") == 0 && rank == 0) {
		const char *pr[] = { unit };
		PGresult *rr = db_exec(r, &q_next_rank, pr);
		if (rr == NULL)
			return -1;
		rank = atoll(PQgetvalue(rr, 0, 0));
	}
	/* the certificate number: named after the registration area, so
	 * counted per area and year (a city's districts share one sequence) */
	int year = today_ymd(now) / 10000;
	const char *pa[] = { PQgetvalue(c, 0, C_DDIV) };
	PGresult *ar = db_exec(r, &q_area, pa);
	if (ar == NULL)
		return -1;
	if (PQntuples(ar) != 1) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	int city = registration_area_is_city(PQgetvalue(ar, 0, 0));
	const char *pn[] = { PQgetvalue(ar, 0, city ? 3 : 2), i64str(r, year), "proof" };
	PGresult *nr = db_exec(r, &q_cert_counter, pn);
	if (nr == NULL)
		return -1;
	char cert[160];
	if (cert_number_format(cert, sizeof(cert), year, PQgetvalue(ar, 0, city ? 1 : 0), CERT_PROOF,
			       atol(PQgetvalue(nr, 0, 0))) != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	const struct json *holder = json_get(f, strcmp(cat, "mortgage") == 0 ? "mortgagee_name" : "buyer");
	const struct json *amount = json_get(f, strcmp(cat, "mortgage") == 0 ? "amount_fen" : "price_fen");
	const char *kind = strcmp(cat, "mortgage") == 0 ? "mortgage" : strcmp(cat, "pre_notice") == 0 ? "pre_notice" : "ownership";
	const char *pi[] = { unit, kind, i64str(r, rank), holder ? holder->s : "", amount ? amount->s : NULL,
			     cert, ft, i64str(r, now), id };
	PGresult *ir = db_exec(r, &q_entry_insert, pi);
	if (ir == NULL)
		return -1;
	ch->cert = arena_strndup(r->arena, cert, strlen(cert));
	ch->details = json_members(r, "certificate_no", ch->cert, NULL, NULL, "entry_id",
				   strtoll(PQgetvalue(ir, 0, 0), NULL, 10));
	return 0;
}

static int do_fees(struct req *r, const struct json *items, const char *id, struct change *ch)
{
	if (items->count < 1 || items->count > 20) {
		valid_reject(r, "invalid_field", "items", "must hold 1 to 20 fee items.");
		return -1;
	}
	static const struct field spec[] = {
		{ "code", V_STRING, 1, 1, 32, NULL },
		{ "description", V_STRING, 1, 1, 100, NULL },
		{ "quantity", V_INT, 1, 1, 1000, NULL },
		{ "unit_price_fen", V_INT, 1, 0, 100000000, NULL },
	};
	int64_t total = 0;
	int seq = 0;
	for (const struct json *it = items->child; it; it = it->next) {
		struct fval v[4];
		if (it->type != JSON_OBJECT) {
			valid_reject(r, "invalid_field", "items", "each item must be an object.");
			return -1;
		}
		if (valid_fields(r, it, spec, 4, v) != 0)
			return -1;
		if (!text_ok(json_get(it, "code"), 32) || !text_ok(json_get(it, "description"), 100)) {
			valid_reject(r, "invalid_field", "items", "code and description are plain text.");
			return -1;
		}
		total += v[2].i * v[3].i;
		const char *pf[] = { id, i64str(r, ++seq), v[0].s, v[1].s, i64str(r, v[2].i), i64str(r, v[3].i) };
		if (db_exec(r, &q_fee_item, pf) == NULL)
			return -1;
	}
	ch->fee = i64str(r, total);
	ch->details = json_members(r, NULL, NULL, NULL, NULL, "total_fen", total);
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

static int notify_next(struct req *r, PGresult *c, const struct principal *p, const char *id, const char *action,
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
	const char *ragency = PQgetvalue(c, 0, C_RAGENCY), *dagency = PQgetvalue(c, 0, C_DAGENCY);
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
			actor = auth_allows(r, p, perm, PQgetvalue(c, 0, C_RDIV)) ? SIDE_R : SIDE_D;
	}
	int next = 0;
	if (notes[i].to_window) {
		next = SIDE_R;
	} else {
		const char *pn[] = { to_state, PQgetvalue(c, 0, C_TYPE) };
		PGresult *ns = db_exec(r, &q_next_sides, pn);
		if (ns == NULL)
			return -1;
		for (int k = 0; k < PQntuples(ns); k++)
			next |= side_bits(PQgetvalue(ns, k, 0));
	}
	next &= ~actor;
	for (int s = SIDE_R; s <= SIDE_D; s <<= 1) {
		if (!(next & s))
			continue;
		const char *to = s == SIDE_R ? ragency : dagency;
		const char *params[] = { to, id, action, notes[i].message, i64str(r, now) };
		if (db_exec(r, &q_notify, params) == NULL)
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
static const struct field f_payment[] = {
	COMMON_FIELDS,
	{ "receipt_number", V_STRING, 1, 1, 64, NULL },
	{ "amount_fen", V_INT, 1, 0, INT64_MAX, NULL },
};
static const struct field f_deliver[] = {
	COMMON_FIELDS,
	{ "method", V_STRING, 1, 4, 6, delivery_method },
	{ "tracking_number", V_STRING, 0, 1, 64, NULL },
};
enum { F_VERSION, F_COMMENT, F_OWN1, F_OWN2, F_MAX };
static const struct action_body {
	const char *action;
	const struct field *spec;
	size_t n;
	const char *nested;
} action_bodies[] = {
	{ "request_supplement", f_common, 2, "missing" },
	{ "reject", f_reject, 3, NULL },
	{ "set_fees", f_common, 2, "items" },
	{ "record_payment", f_payment, 4, NULL },
	{ "deliver", f_deliver, 4, NULL },
};

/* Validate the body for the action into v[F_MAX]; the nested member (or
 * NULL). -1 after replying. */
static int action_body(struct req *r, const char *action, const struct json *body, struct fval *v,
		       const struct json **nested)
{
	const struct action_body *ab = NULL;
	for (size_t i = 0; i < sizeof(action_bodies) / sizeof(action_bodies[0]); i++)
		if (strcmp(action_bodies[i].action, action) == 0)
			ab = &action_bodies[i];
	const struct field *spec = ab ? ab->spec : f_common;
	size_t n = ab ? ab->n : 2;
	*nested = ab && ab->nested ? json_get(body, ab->nested) : NULL;
	const struct json *scalars = *nested ? json_without(r->arena, body, *nested, NULL) : body;
	if (scalars == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	memset(v, 0, F_MAX * sizeof(*v));
	if (valid_fields(r, scalars, spec, n, v) != 0)
		return -1;
	if (ab && ab->nested && (*nested == NULL || (*nested)->type != JSON_ARRAY)) {
		valid_reject(r, *nested ? "invalid_field" : "missing_field", ab->nested,
			     "is a list, required for this action.");
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

static PGresult *case_moves(struct req *r, const char *id, const char *state, const char *type, const char *action,
			    const struct principal *p)
{
	const char *pm[] = { state, action, type, id, i64str(r, p->user_id) };
	return db_exec(r, &q_moves, pm);
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
	const char *pid[] = { id };
	PGresult *c = db_exec(r, &q_lock, pid);
	if (c == NULL)
		return;
	/* someone with no authority over either side gets the answer a
	 * missing case gets: the id tells them nothing */
	int found = PQntuples(c) == 1;
	const char *rdiv = found ? PQgetvalue(c, 0, C_RDIV) : NULL, *ddiv = found ? PQgetvalue(c, 0, C_DDIV) : NULL;
	if (!found || !case_readable(r, p, rdiv, ddiv)) {
		if (db_commit(r) == 0)
			case_not_found(r, p, found ? id : NULL);
		return;
	}
	const char *state = PQgetvalue(c, 0, C_STATE);
	PGresult *t = case_moves(r, id, state, PQgetvalue(c, 0, C_TYPE), action, p);
	if (t == NULL)
		return;
	if (PQntuples(t) != 1) {
		/* rare, so looked up only here: an action no state has is unknown */
		const char *pa[] = { action };
		PGresult *known = db_exec(r, &q_action_known, pa);
		if (known == NULL)
			return;
		if (PQntuples(known) == 0) {
			resp_problem(r, 404, "unknown_action", "No such case action.");
			return;
		}
		char *msg = arena_printf(r->arena, "A case in state %s cannot be %s.", state, action);
		resp_problem(r, 409, "invalid_state", msg);
		return;
	}
	/* who may act is checked before the version: a reader without the
	 * permission learns nothing more about the case */
	const char *perm = PQgetvalue(t, 0, MV_PERM), *side = PQgetvalue(t, 0, MV_SIDE);
	if (!move_permitted(r, p, perm, side, rdiv, ddiv)) {
		const char *divs[2];
		size_t nd = side_divisions(side, rdiv, ddiv, divs);
		const char *ws = wanted_side(p, side, PQgetvalue(c, 0, C_RAGENCY), PQgetvalue(c, 0, C_DAGENCY));
		deny_after_tx(r, perm, divs, nd, ws, strcmp(ws, "receiving") == 0 ? rdiv : ddiv);
		return;
	}
	/* the two-person rule, against the case's own events */
	if (PQgetvalue(t, 0, MV_BARRED_BY)[0]) {
		const char *earlier = PQgetvalue(t, 0, MV_BARRED_BY);
		char *why = json_pairs(r, "code", "two_person_rule", "earlier_action", earlier);
		if (why == NULL || db_commit(r) != 0 ||
		    audit_write(r, p, "auth.denied", "case", id, "denied", why) != 0)
			return;
		resp_problem(r, 403, "two_person_rule",
			     arena_printf(r->arena, "You did the step %s on this case: another person must %s it.",
					  earlier, action));
		return;
	}
	if (!atoi(PQgetvalue(t, 0, MV_ENABLED))) {
		resp_problem(r, 409, "action_disabled", "This action is switched off in the workflow.");
		return;
	}
	if (version != atoll(PQgetvalue(c, 0, C_VERSION))) {
		resp_problem(r, 409, "version_conflict", "The case was changed meanwhile; reload it.");
		return;
	}
	int64_t now = req_now_us(r);
	struct change ch = { "", "", NULL, NULL, NULL };
	const char *to = PQgetvalue(t, 0, MV_TO);
	if (strcmp(action, "submit") == 0 || strcmp(action, "resubmit") == 0) {
		PGresult *md = db_exec(r, &q_missing_docs, pid);
		if (md == NULL)
			return;
		if (PQgetvalue(md, 0, 0)[0]) {
			resp_problem(r, 409, "documents_missing",
				     arena_printf(r->arena, "Required documents are missing: %s.", PQgetvalue(md, 0, 0)));
			return;
		}
		if (strcmp(action, "submit") == 0)
			ch.received = i64str(r, now); /* priority counts from first receipt */
		ch.due = due_date(r, now, atoi(PQgetvalue(c, 0, C_DAYS)));
		if (ch.due == NULL)
			return;
	} else if (strcmp(action, "request_supplement") == 0) {
		if (nested->count < 1 || nested->count > 20) {
			valid_reject(r, "invalid_field", "missing", "lists 1 to 20 missing items.");
			return;
		}
		yajl_gen g = json_gen_new(r->arena);
		yajl_gen_map_open(g);
		jg_key(g, "missing");
		yajl_gen_array_open(g);
		for (const struct json *m = nested->child; m; m = m->next) {
			if (!text_ok(m, 200)) {
				valid_reject(r, "invalid_field", "missing", "each item is a description of up to 200 characters.");
				return;
			}
			jg_cstr(g, m->s);
		}
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
		const unsigned char *b;
		size_t len;
		yajl_gen_get_buf(g, &b, &len);
		ch.details = arena_strndup(r->arena, (const char *)b, len);
	} else if (strcmp(action, "reject") == 0) {
		ch.details = json_pairs(r, "reason", bv[F_OWN1].s, NULL, NULL);
	} else if (strcmp(action, "register") == 0) {
		if (do_register(r, c, id, now, &ch) != 0)
			return;
	} else if (strcmp(action, "set_fees") == 0) {
		if (do_fees(r, nested, id, &ch) != 0)
			return;
	} else if (strcmp(action, "record_payment") == 0) {
		if (bv[F_OWN2].i != atoll(PQgetvalue(c, 0, C_FEE))) {
			valid_reject(r, "invalid_field", "amount_fen", "must equal the fees set, with a receipt number.");
			return;
		}
		ch.details = json_members(r, "receipt_number", bv[F_OWN1].s, NULL, NULL, "amount_fen",
					  bv[F_OWN2].i);
	} else if (strcmp(action, "deliver") == 0) {
		const char *method = bv[F_OWN1].s;
		if (strcmp(method, "mail") == 0) {
			if (!bv[F_OWN2].present) {
				valid_reject(r, "missing_field", "tracking_number", "is required for mail delivery.");
				return;
			}
			ch.details = json_pairs(r, "method", "mail", "tracking_number", bv[F_OWN2].s);
		} else {
			if (bv[F_OWN2].present) {
				valid_reject(r, "invalid_field", "tracking_number", "is only for mail delivery.");
				return;
			}
			ch.details = json_pairs(r, "method", "pickup", "agency_code", PQgetvalue(c, 0, C_RAGENCY));
		}
	}
	const char *pu[] = { id, i64str(r, version), to, i64str(r, now), ch.received, ch.due, ch.cert, ch.fee };
	PGresult *ur = db_exec(r, &q_update, pu);
	if (ur == NULL)
		return;
	if (strcmp(PQcmdTuples(ur), "1") != 0) {
		resp_problem(r, 409, "version_conflict", "The case was changed meanwhile; reload it.");
		return;
	}
	const char *pe[] = { id, i64str(r, now), i64str(r, p->user_id), p->agency_code, action, state, to,
			     comment, ch.details };
	char *payload = json_pairs(r, "number", PQgetvalue(c, 0, C_NUMBER), "state", to);
	const char *po[] = { i64str(r, now), arena_printf(r->arena, "case.%s", action), id, payload };
	if (db_exec(r, &q_case_event, pe) == NULL || db_exec(r, &q_case_outbox, po) == NULL ||
	    audit_write(r, p, arena_printf(r->arena, "case.%s", action), "case", id, "success", payload) != 0)
		return;
	if (notify_next(r, c, p, id, action, perm, side, to, now) != 0)
		return;
	gen_case(r, id);
	if (r->status != 200)
		return;
	if (db_commit(r) != 0)
		return;
	/* cached views of cases are stale now (this one, and the conflicts
	 * shown on others of the unit) */
	micro_invalidate(r->w);
}
