/* JSON in and out, only through yajl. Parsed documents live in the request
 * arena; numbers keep their text so integers are read exactly. */
#ifndef TB_JSON_H
#define TB_JSON_H
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "arena.h"

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_OBJECT, JSON_ARRAY };

struct json {
	enum json_type type;
	const char *key;	/* member name when inside an object */
	size_t key_len;
	const char *s;		/* string or number text, NUL-terminated */
	size_t len;
	int b;
	struct json *child, *last, *next;
	size_t count;		/* members or elements */
};

enum json_err { JSON_OK, JSON_SYNTAX, JSON_TOO_DEEP, JSON_NOMEM, JSON_DUPLICATE_KEY,
	     JSON_BAD_CHAR /* a C0 control other than tab, CR, LF in a string or name */ };

/* Parse p[0..n) (must be UTF-8) into *out. max_depth bounds nesting. */
enum json_err json_parse(struct arena *a, const unsigned char *p, size_t n, unsigned max_depth,
			 struct json **out);

const struct json *json_get(const struct json *obj, const char *key);
/* Exact 64-bit integer from a JSON number without fraction or exponent. */
int json_int64(const struct json *v, int64_t *out);

/* A generator whose memory is the arena's (nothing to free). */
yajl_gen json_gen_new(struct arena *a);

/* A shallow copy of obj without the members a and b (either may be NULL),
 * for validating the scalar members of a body that also has nested ones. */
struct json *json_without(struct arena *ar, const struct json *obj, const struct json *a,
			  const struct json *b);

/* Generation helpers: a key, then a value. Strings are emitted as UTF-8 checked. */
void jg_key(yajl_gen g, const char *k);
void jg_str(yajl_gen g, const char *k, const char *v); /* v NULL -> null */
void jg_strn(yajl_gen g, const char *k, const char *v, size_t n);
void jg_int(yajl_gen g, const char *k, long long v);
void jg_bool(yajl_gen g, const char *k, int v);
void jg_null(yajl_gen g, const char *k);
void jg_cstr(yajl_gen g, const char *v); /* a value without key */
/* k: {"code": code, "name": name} (an agency, a division) */
void jg_code_name(yajl_gen g, const char *k, const char *code, const char *name);
/* k: ["w1", "w2", …] from space-separated words (as string_agg/array_to_string give). */
void jg_words(yajl_gen g, struct arena *a, const char *k, const char *words);

/* A flat JSON object {"k1": v1, "k2": v2} as text in the arena (k2 may be
 * NULL; a NULL value is null), for audit details and outbox payloads. NULL
 * when out of memory. */
char *json_pairs(struct arena *a, const char *k1, const char *v1, const char *k2, const char *v2);
/* The same with one number member more (nkey NULL: none); numbers stay JSON numbers. */
char *json_members(struct arena *a, const char *k1, const char *v1, const char *k2, const char *v2,
		   const char *nkey, int64_t nval);

#endif
