#include "valid.h"

#include <stdio.h>
#include <string.h>

#include "resp.h"
#include "worker.h"

size_t valid_utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

int valid_digits6(const char *s)
{
	if (strlen(s) != 6)
		return 0;
	for (int i = 0; i < 6; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int valid_snake(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n < 1 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return 0;
	return 1;
}

int valid_text_unsafe(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n; i++) {
		if (u[i] < 0x20 || u[i] == 0x7f)
			return 1;
		/* C1 controls U+0080-U+009F */
		if (u[i] == 0xc2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9f)
			return 1;
		/* U+061C arabic letter mark */
		if (u[i] == 0xd8 && i + 1 < n && u[i + 1] == 0x9c)
			return 1;
		if (u[i] == 0xe2 && i + 2 < n) {
			unsigned cp = (unsigned)(u[i] & 0x0f) << 12 | (unsigned)(u[i + 1] & 0x3f) << 6 | (u[i + 2] & 0x3f);
			/* LRM, RLM; LRE..RLO embeddings and overrides; LRI..PDI isolates */
			if (cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
			    (cp >= 0x2066 && cp <= 0x2069))
				return 1;
		}
	}
	return 0;
}

void valid_reject(struct req *r, const char *code, const char *field, const char *detail)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "%s: %s", field, detail);
	resp_problem(r, 400, code, msg);
}

static int has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

/* The first problem only, for valid_fields (detail copied: it may be on
 * the reporter's stack). */
struct first_problem {
	int seen;
	const char *code, *field;
	char detail[128];
};

static void keep_first(void *ctx, const char *code, const char *field, const char *detail)
{
	struct first_problem *f = ctx;
	if (f->seen++)
		return;
	f->code = code;
	f->field = field;
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
}

int valid_fields(struct req *r, const struct json *obj, const struct field *spec, size_t n,
		 struct fval *out)
{
	struct first_problem f = { 0, NULL, NULL, "" };
	if (valid_fields_all(obj, spec, n, out, keep_first, &f) == 0)
		return 0;
	valid_reject(r, f.code, f.field, f.detail);
	return -1;
}

size_t valid_fields_all(const struct json *obj, const struct field *spec, size_t n, struct fval *out,
			valid_report report, void *ctx)
{
	size_t problems = 0;
	uint64_t given = 0; /* members present, valid or not: a bad one is not also missing */
	memset(out, 0, n * sizeof(*out));
	for (const struct json *m = obj->child; m; m = m->next) {
		size_t i;
		for (i = 0; i < n; i++)
			if (strlen(spec[i].name) == m->key_len && memcmp(spec[i].name, m->key, m->key_len) == 0)
				break;
		if (i == n) {
			report(ctx, "unknown_field", m->key, "is not a field of this request.");
			problems++;
			continue;
		}
		const struct field *f = &spec[i];
		struct fval *v = &out[i];
		if (i < 64)
			given |= (uint64_t)1 << i;
		if (m->type == JSON_NULL && !f->required)
			continue; /* null: the same as absent */
		const char *bad = NULL;
		char d[96];
		switch (f->type) {
		case V_STRING: {
			if (m->type != JSON_STRING) {
				bad = "must be a string.";
				break;
			}
			size_t chars = valid_utf8_chars(m->s, m->len);
			if ((int64_t)chars < f->min || (int64_t)chars > f->max || has_control(m->s, m->len) ||
			    strlen(m->s) != m->len) {
				snprintf(d, sizeof(d), "must be %lld to %lld characters without control characters.",
					 (long long)f->min, (long long)f->max);
				bad = d;
				break;
			}
			if (f->check && !f->check(m->s)) {
				bad = "is not in the expected form.";
				break;
			}
			v->s = m->s;
			v->len = m->len;
			break;
		}
		case V_INT:
			if (json_int64(m, &v->i) != 0 || v->i < f->min || v->i > f->max)
				bad = "must be an integer in range.";
			break;
		case V_BOOL:
			if (m->type != JSON_BOOL)
				bad = "must be true or false.";
			else
				v->b = m->b;
			break;
		}
		if (bad) {
			memset(v, 0, sizeof(*v));
			report(ctx, "invalid_field", f->name, bad);
			problems++;
			continue;
		}
		v->present = 1;
	}
	for (size_t i = 0; i < n; i++)
		if (spec[i].required && !out[i].present && !(i < 64 && (given >> i & 1))) {
			report(ctx, "missing_field", spec[i].name, "is required.");
			problems++;
		}
	return problems;
}

int valid_body(struct req *r, const struct field *spec, size_t n, struct fval *out)
{
	const struct json *body = req_json_object(r);
	return body ? valid_fields(r, body, spec, n, out) : -1;
}

int valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* overlong forms, surrogates and beyond U+10FFFF are refused */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}
