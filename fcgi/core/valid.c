#include "valid.h"

#include <stdio.h>
#include <string.h>

#include "server.h"

size_t utf8_chars(const char *s, size_t n)
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

int text_unsafe(const char *s, size_t n)
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

int valid_fields(struct req *r, const struct json *obj, const struct field *spec, size_t n,
		 struct fval *out)
{
	memset(out, 0, n * sizeof(*out));
	for (const struct json *m = obj->child; m; m = m->next) {
		size_t i;
		for (i = 0; i < n; i++)
			if (strlen(spec[i].name) == m->key_len && memcmp(spec[i].name, m->key, m->key_len) == 0)
				break;
		if (i == n) {
			valid_reject(r, "unknown_field", m->key, "is not a field of this request.");
			return -1;
		}
		const struct field *f = &spec[i];
		struct fval *v = &out[i];
		if (m->type == JSON_NULL && !f->required)
			continue; /* null: the same as absent */
		switch (f->type) {
		case V_STRING: {
			if (m->type != JSON_STRING) {
				valid_reject(r, "invalid_field", f->name, "must be a string.");
				return -1;
			}
			size_t chars = utf8_chars(m->s, m->len);
			if ((int64_t)chars < f->min || (int64_t)chars > f->max || has_control(m->s, m->len) ||
			    strlen(m->s) != m->len) {
				char d[96];
				snprintf(d, sizeof(d), "must be %lld to %lld characters without control characters.",
					 (long long)f->min, (long long)f->max);
				valid_reject(r, "invalid_field", f->name, d);
				return -1;
			}
			if (f->check && !f->check(m->s)) {
				valid_reject(r, "invalid_field", f->name, "is not in the expected form.");
				return -1;
			}
			v->s = m->s;
			v->len = m->len;
			break;
		}
		case V_INT:
			if (json_int64(m, &v->i) != 0 || v->i < f->min || v->i > f->max) {
				valid_reject(r, "invalid_field", f->name, "must be an integer in range.");
				return -1;
			}
			break;
		case V_BOOL:
			if (m->type != JSON_BOOL) {
				valid_reject(r, "invalid_field", f->name, "must be true or false.");
				return -1;
			}
			v->b = m->b;
			break;
		}
		v->present = 1;
	}
	for (size_t i = 0; i < n; i++)
		if (spec[i].required && !out[i].present) {
			valid_reject(r, "missing_field", spec[i].name, "is required.");
			return -1;
		}
	return 0;
}

int valid_body(struct req *r, const struct field *spec, size_t n, struct fval *out)
{
	const struct json *body = req_json_object(r);
	return body ? valid_fields(r, body, spec, n, out) : -1;
}
