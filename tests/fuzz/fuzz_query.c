/* Fuzz target: query strings (and list parameters in them), cookies and
 * percent-decoding. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/req.h"
#include "core/valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 1u << 20);
	char *s = arena_strndup(&a, (const char *)data, size);
	if (s && strlen(s) == size) {
		struct kv *kv;
		size_t n;
		if (req_query_parse(&a, s, &kv, &n) == 0) {
			/* list parameters: strict integers in range */
			struct req r;
			memset(&r, 0, sizeof(r));
			r.query = kv;
			r.nquery = n;
			int64_t v;
			if (req_query_int(&r, "limit", 1, 200, 50, &v) > 0 && (v < 1 || v > 200))
				__builtin_trap();
			if (req_query_int(&r, "before", 1, INT64_MAX, 0, &v) > 0 && v < 1)
				__builtin_trap();
		}
		(void)req_cookie_parse(&a, s, &kv, &n);
		(void)req_url_decode(&a, s, size, 1, &n);
	}
	(void)valid_utf8(data, size);
	arena_free(&a);
	return 0;
}
