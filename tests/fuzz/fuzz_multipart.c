/* Fuzz target: multipart/form-data bodies with a fixed boundary (filenames
 * through the unsafe-character check), and the boundary parameter parser on
 * the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/multipart.h"
#include "core/valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena a;
	arena_init(&a, 1u << 20);
	struct part parts[8];
	int n = multipart_parse(&a, data, size, "XyZ", parts, 8);
	for (int i = 0; i < n; i++)
		if (parts[i].filename) {
			/* the length as sent, never less than what a C string shows */
			if (parts[i].filename_len < strlen(parts[i].filename))
				__builtin_trap();
			(void)valid_text_unsafe(parts[i].filename, parts[i].filename_len);
		}
	char *ct = arena_strndup(&a, (const char *)data, size);
	if (ct && strlen(ct) == size)
		(void)multipart_boundary(&a, ct);
	arena_free(&a);
	return 0;
}
