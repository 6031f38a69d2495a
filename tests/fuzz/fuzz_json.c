/* Fuzz target: JSON bodies into the arena tree (depth cap, duplicates, no
 * control character in any accepted string or name). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void no_controls(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			abort();
}

static void walk(const struct json *v)
{
	if (v->key)
		no_controls(v->key, v->key_len);
	if (v->type == JSON_STRING)
		no_controls(v->s, v->len);
	for (const struct json *c = v->child; c; c = c->next)
		walk(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 8u << 20);
	struct json *j;
	if (json_parse(&a, data, size, 16, &j) == JSON_OK) {
		int64_t x;
		for (const struct json *m = j->child; m; m = m->next)
			(void)json_int64(m, &x);
		(void)json_get(j, "codes");
		walk(j);
	}
	arena_free(&a);
	return 0;
}
