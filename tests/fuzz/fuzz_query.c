/* Fuzz target: query strings, cookies and percent-decoding. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 1u << 20);
	char *s = arena_strndup(&a, (const char *)data, size);
	if (s && strlen(s) == size) {
		struct kv *kv;
		size_t n;
		(void)query_parse(&a, s, &kv, &n);
		(void)cookie_parse(&a, s, &kv, &n);
		(void)url_decode(&a, s, size, 1, &n);
	}
	(void)utf8_valid(data, size);
	arena_free(&a);
	return 0;
}
