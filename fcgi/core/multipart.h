/* multipart/form-data (RFC 7578) bodies: parts point into the body, names
 * and filenames are copied into the arena. Strict: a malformed body is
 * refused rather than guessed at. */
#ifndef TB_MULTIPART_H
#define TB_MULTIPART_H
#include <stddef.h>

#include "arena.h"

struct part {
	const char *name;	/* form field name */
	const char *filename;	/* NULL when not a file */
	size_t filename_len;	/* bytes as sent: more than strlen when it holds a NUL */
	const char *content_type; /* NULL when absent */
	const unsigned char *data;
	size_t len;
};

/* The boundary parameter of a Content-Type header, into the arena; NULL
 * when the type is not multipart/form-data or has no valid boundary. */
char *multipart_boundary(struct arena *a, const char *content_type);
/* Parse body into at most max parts. Returns the number, or -1. */
int multipart_parse(struct arena *a, const unsigned char *body, size_t len, const char *boundary,
		    struct part *parts, int max);
/* The type of an uploaded document by its first bytes, not by what the
 * client said: "application/pdf", "image/jpeg", "image/png", or NULL. */
const char *multipart_sniff(const unsigned char *p, size_t n);

#endif
