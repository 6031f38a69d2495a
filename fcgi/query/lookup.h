/* The one registry read: the units matching a condition (a unit code, a
 * certificate number, or a holder's name and ID number) as the register
 * stood at a time, inside a list of division scopes, a page at a time in
 * unit-code order, each with its entries in force then. Staff search
 * (search.c) and archive queries use it; both take the condition from a
 * JSON object of the same shape.
 *
 * ID numbers: the condition carries only the keyed index (keyring_index,
 * domain "id_number", over "<id type>:<number>") — the clear number is
 * wiped once the index is made. Entries carry the masked number and the
 * holder's index: the index lets a caller tell whether a requester is a
 * holder; it is never to be output. */
#ifndef TB_LOOKUP_H
#define TB_LOOKUP_H
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "../core/json.h"
#include "../core/req.h"
#include "../domain/query_rules.h"

enum lookup_kind { LOOKUP_UNIT = 1, LOOKUP_CERT, LOOKUP_HOLDER };

struct lookup_cond {
	enum lookup_kind kind;
	const char *unit_code;	    /* LOOKUP_UNIT: a well-formed code */
	const char *certificate_no; /* LOOKUP_CERT: canonical (half-width brackets, trimmed) */
	const char *holder_name;    /* LOOKUP_HOLDER: trimmed, compared exactly */
	const char *id_type;	    /* LOOKUP_HOLDER */
	char id_index[65];	    /* LOOKUP_HOLDER: the keyed index of "<id_type>:<number>" */
};

/* The condition members of obj: exactly one of "unit_code" (string),
 * "certificate_no" (string, full- or half-width brackets) and "holder"
 * ({"name", "id_type", "id_number"}, no other member). Members other than
 * these three are the caller's to check. 0, or -1 after replying: 400
 * invalid_parameter (none or several conditions, wrong JSON types, unknown
 * holder member), invalid_unit_code, invalid_certificate_no,
 * invalid_holder_name, invalid_id_type, invalid_id_number; 503
 * data_keys_unavailable when the keys to index a number are not loaded. */
int lookup_cond_parse(struct req *r, const struct json *obj, struct lookup_cond *out)
	__attribute__((warn_unused_result));

/* The certificate number's canonical form in the arena: trimmed (ASCII and
 * U+3000 spaces), full-width （） as half-width (); NULL when the result is
 * not a certificate number (cert_number_parse) or out of memory. */
char *lookup_cert_normalise(struct arena *a, const char *in, size_t len);

/* RFC 3339 (2026-11-27T21:00:00+08:00, Z, optional fraction up to µs) to
 * epoch microseconds. 0, or -1 when malformed or not a real time. */
int lookup_time_parse(const char *s, size_t len, int64_t *out_us);

struct lookup_entry {
	int64_t id;
	const char *kind;	      /* ownership | mortgage | pre_notice | seizure | objection */
	const char *rank;	      /* decimal text, NULL when none */
	const char *holder_name;      /* the holder; mortgagee, seizing authority */
	const char *id_type;	      /* NULL when none */
	const char *id_number_masked; /* masked, NULL when none; never the clear number */
	const char *id_index;	      /* keyed index, NULL when none: NEVER output */
	const char *share, *certificate_no;
	const char *amount_fen;	      /* decimal text, NULL when none */
	const char *term_from, *term_to, *mortgage_type;
	int waiting;		      /* a seizure waiting behind another (轮候) */
	int64_t since_us;	      /* valid_from */
};

struct lookup_unit {
	const char *code, *location, *use;
	const char *area_m2; /* numeric(12,2) as decimal text */
	const char *county_code, *county_name;
	const struct lookup_entry *entries; /* by kind, then rank, valid_from, id */
	size_t nentries;
};

struct lookup_page {
	int64_t as_at_us;	   /* the time the register was read as at */
	struct lookup_unit *units; /* in unit-code order */
	size_t n;
	const char *next;	   /* the cursor of the next page, NULL on the last */
	int64_t generation;	   /* reg.search_generation, read with the rows (regcache.h) */
};

/* Read one page. as_at_us 0: now (req_now_us). scopes: division codes
 * (the caller's grants, e.g. auth_scopes); a unit is found only when one of
 * them covers its county (ref.covers); nscopes 0 finds nothing. after: a
 * cursor from a previous page's next (lookup_cursor_valid), or NULL for the
 * first page. limit 1..100. One database round trip, inside whatever
 * transaction the caller has open. 0, or -1 after replying (500/503). */
int lookup_units(struct req *r, const struct lookup_cond *c, int64_t as_at_us, const char *const *scopes,
		 size_t nscopes, const char *after, int limit, struct lookup_page *out)
	__attribute__((warn_unused_result));

/* 1 when s is a cursor lookup_units could have made, else 0. */
int lookup_cursor_valid(const char *s);

/* One unit as the API shows it (inside an open array or after a key), with
 * what visibility v shows (domain/query_rules.h; staff search: QV_FULL):
 * {"code","location","use","area_m2","county":{"code","name"},"holders":[…],
 *  "mortgages":[…],"pre_notices":[…],"seizures":[…],"objections":[…]}, and
 * with facts the yes/no "facts" an archive query's result carries.
 * No ID-number index, no clear number. */
void lookup_gen_unit(yajl_gen g, const struct lookup_unit *u, enum qr_visibility v, int facts);

#endif
