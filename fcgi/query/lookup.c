/* The one registry read (lookup.h): a condition parsed once for search and
 * archive queries, one statement per kind of condition (each plans on its
 * own index: a shared statement with a CASE would get one generic plan for
 * all three), all reading rows of one shape in one round trip: the page's
 * units joined with their entries in force at T. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../core/buf.h"
#include "../core/keyring.h"
#include "../core/valid.h"
#include "../core/worker.h"
#include "../domain/clock.h"
#include "../domain/query_rules.h"
#include "../domain/register.h"
#include "lookup.h"
#include "query.h"

/* ---- the condition ------------------------------------------------------- */

/* Trim ASCII whitespace and U+3000 (ideographic space) at both ends. */
static void trim(const char **s, size_t *n)
{
	const char *p = *s;
	size_t len = *n;
	for (;;) {
		if (len && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
			p++, len--;
		} else if (len >= 3 && memcmp(p, "\xe3\x80\x80", 3) == 0) {
			p += 3, len -= 3;
		} else {
			break;
		}
	}
	for (;;) {
		if (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\n' || p[len - 1] == '\r'))
			len--;
		else if (len >= 3 && memcmp(p + len - 3, "\xe3\x80\x80", 3) == 0)
			len -= 3;
		else
			break;
	}
	*s = p;
	*n = len;
}

char *lookup_cert_normalise(struct arena *a, const char *in, size_t len)
{
	trim(&in, &len);
	if (len == 0 || len > 200)
		return NULL;
	char *s = arena_strndup(a, in, len);
	if (s == NULL)
		return NULL;
	int year;
	char area[128];
	enum cert_kind kind;
	long serial;
	if (cert_number_parse(s, &year, area, sizeof(area), &kind, &serial) != 0)
		return NULL;
	char out[256];
	if (cert_number_format(out, sizeof(out), year, area, kind, serial) != 0)
		return NULL;
	return arena_strndup(a, out, strlen(out));
}

static int holder_parse(struct req *r, const struct json *h, struct lookup_cond *out)
{
	if (h->type != JSON_OBJECT) {
		valid_reject(r, "invalid_parameter", "holder", "must be an object {name, id_type, id_number}.");
		return -1;
	}
	for (const struct json *m = h->child; m; m = m->next)
		if (strcmp(m->key, "name") != 0 && strcmp(m->key, "id_type") != 0 && strcmp(m->key, "id_number") != 0) {
			valid_reject(r, "invalid_parameter", "holder", "has a member other than name, id_type, id_number.");
			return -1;
		}
	const struct json *name = json_get(h, "name"), *type = json_get(h, "id_type"),
			  *num = json_get(h, "id_number");
	if (name == NULL || name->type != JSON_STRING) {
		valid_reject(r, "invalid_holder_name", "holder/name", "must be the holder's name.");
		return -1;
	}
	const char *ns = name->s;
	size_t nl = name->len;
	trim(&ns, &nl);
	if (nl == 0 || valid_utf8_chars(ns, nl) > 100 || valid_text_unsafe(ns, nl)) {
		valid_reject(r, "invalid_holder_name", "holder/name", "must be 1 to 100 characters.");
		return -1;
	}
	if (type == NULL || type->type != JSON_STRING || id_type_parse(type->s) == ID_INVALID_TYPE) {
		valid_reject(r, "invalid_id_type", "holder/id_type",
			     "must be one of resident_id, passport, hk_macao_permit, taiwan_permit, uscc, other.");
		return -1;
	}
	enum id_type t = id_type_parse(type->s);
	if (num == NULL || num->type != JSON_STRING || num->len == 0 || num->len > 32) {
		valid_reject(r, "invalid_id_number", "holder/id_number", "must be the holder's ID number.");
		return -1;
	}
	char *idn = arena_strndup(r->arena, num->s, num->len);
	if (idn == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	/* canonical as stored: letters upper case (a resident ID's x is X) */
	for (char *q = idn; *q; q++)
		if (*q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
	id_number_normalize(t, idn);
	enum id_problem ip = id_number_check(t, idn, beijing_ymd(req_now_us(r)));
	if (ip != ID_OK) {
		OPENSSL_cleanse(idn, strlen(idn));
		valid_reject(r, "invalid_id_number", "holder/id_number", id_problem_text(t, ip));
		return -1;
	}
	const struct keyring *k = r->w->conf.keys;
	if (!keyring_usable(k)) {
		OPENSSL_cleanse(idn, strlen(idn));
		/* fail closed: without the keys no number can be looked up */
		resp_header(r, "Retry-After", "30");
		resp_problem(r, 503, "data_keys_unavailable",
			     "The data keys are not loaded; ID numbers can be neither stored nor read.");
		return -1;
	}
	/* the type as given: it parsed, so it is the stored spelling */
	char *typed = arena_printf(r->arena, "%s:%s", type->s, idn);
	int rc = typed ? keyring_index(k, "id_number", typed, strlen(typed), out->id_index) : -1;
	OPENSSL_cleanse(idn, strlen(idn));
	if (typed)
		OPENSSL_cleanse(typed, strlen(typed));
	/* the clear number in the parsed body is wiped too: nothing later can log it */
	OPENSSL_cleanse((char *)num->s, num->len);
	if (rc != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	out->holder_name = arena_strndup(r->arena, ns, nl);
	out->id_type = type->s;
	if (out->holder_name == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	return 0;
}

int lookup_cond_parse(struct req *r, const struct json *obj, struct lookup_cond *out)
{
	memset(out, 0, sizeof(*out));
	if (obj == NULL || obj->type != JSON_OBJECT) {
		resp_problem(r, 400, "invalid_parameter", "The conditions must be a JSON object.");
		return -1;
	}
	const struct json *u = json_get(obj, "unit_code"), *c = json_get(obj, "certificate_no"),
			  *h = json_get(obj, "holder");
	if ((u != NULL) + (c != NULL) + (h != NULL) != 1) {
		resp_problem(r, 400, "invalid_parameter",
			     "Give exactly one condition: unit_code, certificate_no or holder.");
		return -1;
	}
	if (u) {
		const char *s = u->type == JSON_STRING ? u->s : NULL;
		size_t n = u->type == JSON_STRING ? u->len : 0;
		if (s)
			trim(&s, &n);
		char *code = s ? arena_strndup(r->arena, s, n) : NULL;
		if (code == NULL || n != 28 || unit_code_check(code) != UNIT_OK) {
			valid_reject(r, "invalid_unit_code", "unit_code",
				     code && n == 28 ? unit_problem_text(unit_code_check(code))
						     : "must be a property unit code of 28 characters.");
			return -1;
		}
		out->kind = LOOKUP_UNIT;
		out->unit_code = code;
		return 0;
	}
	if (c) {
		char *no = c->type == JSON_STRING ? lookup_cert_normalise(r->arena, c->s, c->len) : NULL;
		if (no == NULL) {
			valid_reject(r, "invalid_certificate_no", "certificate_no",
				     "must be a certificate number such as 桂(2026)南宁市不动产权第0000001号.");
			return -1;
		}
		out->kind = LOOKUP_CERT;
		out->certificate_no = no;
		return 0;
	}
	out->kind = LOOKUP_HOLDER;
	return holder_parse(r, h, out);
}

/* ---- time ---------------------------------------------------------------- */

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int lookup_time_parse(const char *s, size_t len, int64_t *out_us)
{
	/* YYYY-MM-DDTHH:MM:SS */
	if (len < 20 || len > 40 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
	    s[16] != ':')
		return -1;
	int y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2), h = num(s + 11, 2), mi = num(s + 14, 2),
	    se = num(s + 17, 2);
	if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
	    se > 59)
		return -1;
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo - 1] + (mo == 2 && leap))
		return -1;
	size_t i = 19;
	int64_t frac = 0;
	if (i < len && s[i] == '.') {
		i++;
		int digits = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits < 6)
				frac = frac * 10 + (s[i] - '0');
			digits++, i++;
		}
		if (digits == 0 || digits > 9)
			return -1;
		for (int k = digits; k < 6; k++)
			frac *= 10;
	}
	int64_t off = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh = num(s + i + 1, 2), om = num(s + i + 4, 2);
		if (oh < 0 || oh > 23 || om < 0 || om > 59)
			return -1;
		off = (int64_t)(oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	*out_us = secs * 1000000 + frac;
	return 0;
}

/* ---- the statements ------------------------------------------------------ */

/* $1 T (epoch µs), $2 the scopes (text array literal), $3 after (a unit
 * code, '' from the start), $4 the number of units to read; $5 (and $6)
 * the condition. Rows: one per unit and entry in force at T (a unit with
 * none: one row, entry id 0); no unit: one row, code NULL. Every row also
 * carries the search cache's generation (regcache.h), read in the same
 * snapshot as the rows. T is exact to the microsecond: 'epoch' plus an
 * interval, not a float. */
#define LK_AT "('epoch'::timestamptz + $1::bigint * interval '1 microsecond')"
#define LK_IN_FORCE(e) e ".valid_from <= " LK_AT " AND (" e ".valid_to IS NULL OR " e ".valid_to > " LK_AT ")"
#define LK_PAGE                                                                                    \
	" AND u.code > $3 AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS s (scope)"               \
	"  WHERE ref.covers(s.scope, u.county_code)) ORDER BY u.code LIMIT $4)"
#define LK_SELECT                                                                                  \
	", r AS (SELECT u.code, u.location, u.use, u.area_m2::text AS area, u.county_code,"         \
	" d.name AS county_name, e.id, e.kind, e.rank, e.holder_name, e.holder_id_type,"             \
	" coalesce(e.holder_id_number_masked, e.holder_id_number_legacy) AS masked,"                 \
	" e.holder_id_number_index AS idx, e.share, e.certificate_no, e.amount_fen, e.details,"      \
	" e.waiting, e.valid_from"                                                                     \
	" FROM u JOIN ref.division d ON d.code = u.county_code"                                      \
	" LEFT JOIN reg.entry e ON e.unit_code = u.code AND " LK_IN_FORCE("e") ")"                  \
	" SELECT r.code, r.location, r.use, r.area, r.county_code, r.county_name, coalesce(r.id, 0),"  \
	" r.kind, r.rank::text, r.holder_name, r.holder_id_type, r.masked, r.idx, r.share,"          \
	" r.certificate_no, r.amount_fen::text, r.details->>'term_from', r.details->>'term_to',"     \
	" r.details->>'mortgage_type', coalesce(r.waiting, false),"                                  \
	" coalesce((extract(epoch FROM r.valid_from) * 1000000)::bigint, 0), g.n"                    \
	" FROM reg.search_generation g LEFT JOIN r ON true"                                          \
	" ORDER BY r.code, r.kind, r.rank NULLS LAST, r.valid_from, r.id"
#define LK_UNIT "SELECT u.code, u.location, u.use, u.area_m2, u.county_code FROM reg.unit u WHERE "

#define LK_COLS(C)                                                                                \
	C(code, TEXT) C(location, TEXT) C(use, TEXT) C(area_m2, TEXT) C(county_code, TEXT)         \
	C(county_name, TEXT) C(id, I64) C(kind, TEXT) C(rank, TEXT) C(holder_name, TEXT)            \
	C(id_type, TEXT) C(masked, TEXT) C(id_index, TEXT) C(share, TEXT) C(certificate_no, TEXT)   \
	C(amount_fen, TEXT) C(term_from, TEXT) C(term_to, TEXT) C(mortgage_type, TEXT)              \
	C(waiting, BOOL) C(since, I64) C(generation, I64)
#define LK_ROW(P, C) LK_COLS(C)
DB_ROW(lookup_row, LK_ROW);

#define Q_LK_UNIT(P, C) P(t, I64) P(scopes, TEXT) P(after, TEXT) P(limit, I64) P(unit, TEXT) LK_COLS(C)
DB_QUERY_AS(lookup_by_unit, Q_LK_UNIT, lookup_row,
	    "WITH u AS (" LK_UNIT "u.code = $5" LK_PAGE LK_SELECT);

#define Q_LK_CERT(P, C) P(t, I64) P(scopes, TEXT) P(after, TEXT) P(limit, I64) P(cert, TEXT) LK_COLS(C)
DB_QUERY_AS(lookup_by_cert, Q_LK_CERT, lookup_row,
	    "WITH u AS (" LK_UNIT "u.code IN (SELECT c.unit_code FROM reg.entry c"
	    "  WHERE c.certificate_no = $5 AND " LK_IN_FORCE("c") ")" LK_PAGE LK_SELECT);

#define Q_LK_HOLDER(P, C)                                                                          \
	P(t, I64) P(scopes, TEXT) P(after, TEXT) P(limit, I64) P(id_index, TEXT) P(name, TEXT) LK_COLS(C)
DB_QUERY_AS(lookup_by_holder, Q_LK_HOLDER, lookup_row,
	    "WITH u AS (" LK_UNIT "u.code IN (SELECT h.unit_code FROM reg.entry h"
	    "  WHERE h.holder_id_number_index = $5 AND h.holder_name = $6 AND " LK_IN_FORCE("h") ")"
	    LK_PAGE LK_SELECT);

int lookup_cursor_valid(const char *s)
{
	return s != NULL && strlen(s) == 28 && unit_code_check(s) == UNIT_OK;
}

int lookup_units(struct req *r, const struct lookup_cond *c, int64_t as_at_us, const char *const *scopes,
		 size_t nscopes, const char *after, int limit, struct lookup_page *out)
{
	memset(out, 0, sizeof(*out));
	out->as_at_us = as_at_us ? as_at_us : req_now_us(r);
	if (nscopes == 0)
		return 0; /* fail closed: no scope, nothing */
	if (limit < 1 || limit > 100 || (after && !lookup_cursor_valid(after))) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	char *arr = db_text_array(r->arena, scopes, nscopes);
	if (arr == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	const char *aft = after ? after : "";
	int64_t t = out->as_at_us, lim = limit + 1; /* one more: is there a next page? */
	struct lookup_row *rows;
	int n;
	switch (c->kind) {
	case LOOKUP_UNIT:
		n = lookup_by_unit_run(r, &(struct lookup_by_unit_in){ .t = t, .scopes = arr, .after = aft,
									.limit = lim, .unit = c->unit_code }, &rows);
		break;
	case LOOKUP_CERT:
		n = lookup_by_cert_run(r, &(struct lookup_by_cert_in){ .t = t, .scopes = arr, .after = aft,
									.limit = lim, .cert = c->certificate_no }, &rows);
		break;
	case LOOKUP_HOLDER:
		n = lookup_by_holder_run(r, &(struct lookup_by_holder_in){ .t = t, .scopes = arr, .after = aft,
									    .limit = lim, .id_index = c->id_index,
									    .name = c->holder_name }, &rows);
		break;
	default:
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	if (n < 0)
		return -1;
	if (n < 1) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	out->generation = rows[0].generation;
	if (rows[0].code == NULL)
		n = 0; /* the one row of no unit */
	/* group the rows by unit: they come in unit-code order */
	size_t nunits = 0;
	for (int i = 0; i < n; i++)
		nunits += i == 0 || strcmp(rows[i].code, rows[i - 1].code) != 0;
	struct lookup_unit *units = arena_alloc(r->arena, (nunits ? nunits : 1) * sizeof(*units));
	struct lookup_entry *entries = arena_alloc(r->arena, (n ? (size_t)n : 1) * sizeof(*entries));
	if (units == NULL || entries == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	size_t k = (size_t)-1, ne = 0;
	for (int i = 0; i < n; i++) {
		const struct lookup_row *x = &rows[i];
		if (i == 0 || strcmp(x->code, rows[i - 1].code) != 0) {
			k++;
			units[k] = (struct lookup_unit){ x->code, x->location, x->use, x->area_m2,
							 x->county_code, x->county_name, &entries[ne], 0 };
		}
		if (x->id == 0)
			continue;
		const char *masked = NULL;
		if (x->masked) {
			/* masked at rest; a value not sealed yet (legacy) is masked here */
			size_t ml = strlen(x->masked) + 1;
			char *m = arena_alloc(r->arena, ml);
			if (m == NULL) {
				resp_problem(r, 500, "internal", "The server could not complete the request.");
				return -1;
			}
			id_mask(x->masked, m, ml);
			masked = m;
		}
		entries[ne++] = (struct lookup_entry){
			.id = x->id, .kind = x->kind, .rank = x->rank, .holder_name = x->holder_name,
			.id_type = x->id_type, .id_number_masked = masked, .id_index = x->id_index,
			.share = x->share, .certificate_no = x->certificate_no, .amount_fen = x->amount_fen,
			.term_from = x->term_from, .term_to = x->term_to, .mortgage_type = x->mortgage_type,
			.waiting = x->waiting, .since_us = x->since,
		};
		units[k].nentries++;
	}
	if (nunits > (size_t)limit) {
		nunits = (size_t)limit;
		out->next = units[nunits - 1].code;
	}
	out->units = units;
	out->n = nunits;
	return 0;
}

/* ---- rendering ----------------------------------------------------------- */

static void gen_decimal(yajl_gen g, const char *key, const char *decimal)
{
	jg_key(g, key);
	if (decimal == NULL)
		yajl_gen_null(g);
	else
		yajl_gen_number(g, decimal, strlen(decimal));
}

void lookup_gen_unit(yajl_gen g, const struct lookup_unit *u, enum qr_visibility v, int facts)
{
	int owners = 0, mortgages = 0, pre = 0, obj = 0, seized = 0;
	for (size_t i = 0; i < u->nentries; i++) {
		const char *k = u->entries[i].kind;
		owners += strcmp(k, "ownership") == 0;
		mortgages += strcmp(k, "mortgage") == 0;
		pre += strcmp(k, "pre_notice") == 0;
		obj += strcmp(k, "objection") == 0;
		seized += strcmp(k, "seizure") == 0;
	}
	yajl_gen_map_open(g);
	jg_str(g, "code", u->code);
	jg_str(g, "location", u->location);
	jg_str(g, "use", u->use);
	gen_decimal(g, "area_m2", u->area_m2);
	jg_code_name(g, "county", u->county_code, u->county_name);
	static const struct {
		enum qr_field f;
		const char *section, *kind;
	} sections[] = {
		{ QF_HOLDERS, "holders", "ownership" },	    { QF_MORTGAGES, "mortgages", "mortgage" },
		{ QF_PRE_NOTICES, "pre_notices", "pre_notice" }, { QF_SEIZURES, "seizures", "seizure" },
		{ QF_OBJECTIONS, "objections", "objection" },
	};
	for (size_t s = 0; s < sizeof(sections) / sizeof(sections[0]); s++) {
		if (!qr_field_shown(v, sections[s].f))
			continue;
		jg_key(g, sections[s].section);
		yajl_gen_array_open(g);
		for (size_t i = 0; i < u->nentries; i++) {
			const struct lookup_entry *x = &u->entries[i];
			if (strcmp(x->kind, sections[s].kind) != 0)
				continue;
			yajl_gen_map_open(g);
			switch (sections[s].f) {
			case QF_HOLDERS:
				jg_str(g, "name", x->holder_name);
				if (qr_field_shown(v, QF_HOLDER_ID)) {
					jg_str(g, "id_type", x->id_type);
					jg_str(g, "id_number_masked", x->id_number_masked);
				}
				jg_str(g, "share", x->share);
				jg_str(g, "certificate_no", x->certificate_no);
				break;
			case QF_MORTGAGES:
				gen_decimal(g, "rank", x->rank);
				jg_str(g, "mortgagee", x->holder_name);
				if (qr_field_shown(v, QF_MORTGAGE_TERMS)) {
					gen_decimal(g, "amount_fen", x->amount_fen);
					jg_str(g, "term_from", x->term_from);
					jg_str(g, "term_to", x->term_to);
				}
				jg_str(g, "certificate_no", x->certificate_no);
				break;
			case QF_PRE_NOTICES:
				jg_str(g, "holder_name", x->holder_name);
				jg_str(g, "certificate_no", x->certificate_no);
				break;
			case QF_SEIZURES:
				jg_str(g, "authority", x->holder_name);
				jg_bool(g, "waiting", x->waiting);
				break;
			default:
				jg_str(g, "holder_name", x->holder_name);
				break;
			}
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	if (facts) {
		struct qr_facts f = qr_facts_of(owners, mortgages, pre, obj, seized);
		jg_key(g, "facts");
		yajl_gen_map_open(g);
		jg_bool(g, "exists", f.exists);
		jg_bool(g, "co_owned", f.co_owned);
		jg_bool(g, "mortgaged", f.mortgaged);
		jg_bool(g, "pre_noticed", f.pre_noticed);
		jg_bool(g, "objected", f.objected);
		jg_bool(g, "seized", f.seized);
		yajl_gen_map_close(g);
	}
	yajl_gen_map_close(g);
}
