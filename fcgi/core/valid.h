/* Input validation in one place (after kcgi): a handler declares its JSON
 * fields and reads validated values; anything else is refused with 400
 * problem+json naming the field, before the handler does any work. */
#ifndef TB_VALID_H
#define TB_VALID_H
#include <stddef.h>
#include <stdint.h>

#include "req.h"

enum vtype { V_STRING, V_INT, V_BOOL };

struct field {
	const char *name;
	enum vtype type;
	int required;
	int64_t min, max;		/* characters for strings, value for ints */
	int (*check)(const char *s);	/* extra rule for strings; 1 = fine */
};

struct fval {
	int present;
	const char *s;
	size_t len;
	int64_t i;
	int b;
};

/* Validate obj against spec (n fields); out[i] for spec[i]. 0, or -1 after
 * replying: missing_field, invalid_field, unknown_field. */
int valid_fields(struct req *r, const struct json *obj, const struct field *spec, size_t n,
		 struct fval *out) __attribute__((warn_unused_result));
/* Where valid_fields_all sends each problem: code, the field's name (a
 * member's name for unknown_field) and a detail that may live on the
 * caller's stack (copy what you keep). */
typedef void (*valid_report)(void *ctx, const char *code, const char *field, const char *detail);
/* The same checks without replying, going on after a problem: every one
 * is reported, in the order valid_fields meets them (so its first is the
 * one valid_fields replies with). The number of problems; out[i] is
 * present only for valid members. */
size_t valid_fields_all(const struct json *obj, const struct field *spec, size_t n, struct fval *out,
			valid_report report, void *ctx);
/* The request's JSON object body validated against spec: 0, or -1 after
 * replying (415, 413, 400). */
int valid_body(struct req *r, const struct field *spec, size_t n, struct fval *out)
	__attribute__((warn_unused_result));
/* Reply 400 problem naming a field. */
void valid_reject(struct req *r, const char *code, const char *field, const char *detail);
/* 1 when s[0..n) is well-formed UTF-8 (no overlong forms, surrogates or
 * code points beyond U+10FFFF), else 0. */
int valid_utf8(const unsigned char *s, size_t n);
/* The number of characters (code points) in valid UTF-8. */
size_t valid_utf8_chars(const char *s, size_t n);
/* 1 when s[0..n) (valid UTF-8) holds a NUL or other C0/C1 control, DEL, or a
 * bidirectional control (U+200E, U+200F, U+202A-U+202E, U+2066-U+2069,
 * U+061C) that makes a name read differently from what it is, e.g.
 * "invoice<RLO>fdp.exe". For names shown to people: filenames. */
int valid_text_unsafe(const char *s, size_t n);
int valid_digits6(const char *s);
/* 1 to max characters of [a-z_] (codes of actions, documents). */
int valid_snake(const char *s, size_t max);

#endif
