/* Fuzz target: multipart/form-data bodies with a fixed boundary, and the
 * boundary parameter parser on the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 1u << 20);
	struct part parts[8];
	(void)multipart_parse(&a, data, size, "XyZ", parts, 8);
	char *ct = arena_strndup(&a, (const char *)data, size);
	if (ct && strlen(ct) == size)
		(void)multipart_boundary(&a, ct);
	arena_free(&a);
	return 0;
}
