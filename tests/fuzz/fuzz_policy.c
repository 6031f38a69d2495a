/* Fuzz target: the policies' input rules (domain/policy.c) — the list
 * cursor, the search text, the body's text, dates — and the download
 * header built from a stored filename: whatever the bytes, the header is
 * NUL-terminated within its room, holds no quote, CR or LF after the ASCII
 * fallback, and a cursor accepted names an id of at least 1. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	int64_t score, id;
	if (pol_cursor_parse(s, &score, &id) && (id < 1 || score < 0))
		__builtin_trap();
	(void)pol_date_ok(s);
	(void)pol_query_ok(s);
	long chars = pol_body_chars(s, size, 1000);
	if (chars > 1000 || (chars >= 0 && memchr(s, 0, size) != NULL))
		__builtin_trap();
	size_t cap = strlen(s) * 3 + 96;
	char *out = malloc(cap);
	if (out) {
		size_t n = pol_disposition(out, cap, s, 7);
		size_t head = strlen("attachment; filename=\"policy-7.pdf\"; filename*=UTF-8''");
		if (n == 0 || n >= cap || strlen(out) != n || n < head || strpbrk(out + head, "\"\r\n; ") != NULL)
			__builtin_trap();
		/* too little room is refused, never overrun */
		if (pol_disposition(out, head, s, 7) != 0)
			__builtin_trap();
		free(out);
	}
	free(s);
	return 0;
}
