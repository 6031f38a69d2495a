/* Fuzz target: JSON bodies into the arena tree (depth cap, duplicates). */
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	}
	arena_free(&a);
	return 0;
}
