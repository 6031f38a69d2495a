/* Per-request memory: everything a request allocates comes from its arena
 * and is released at once by arena_reset() after the response is written. */
#ifndef TB_ARENA_H
#define TB_ARENA_H
#include <stddef.h>

struct arena_block;
struct arena {
	struct arena_block *head;	/* current block */
	struct arena_block *first;	/* kept across resets */
	size_t used_total;		/* bytes handed out since reset */
	size_t limit;			/* 0 = unlimited; allocation beyond fails */
};

void arena_init(struct arena *a, size_t limit);
/* Zeroed memory aligned for any type, or NULL when the limit is hit. */
void *arena_alloc(struct arena *a, size_t n) __attribute__((warn_unused_result));
/* Copy of p[0..n) with a NUL after it. */
char *arena_strndup(struct arena *a, const char *p, size_t n);
/* Grow *buf (of *cap bytes, *len used) to hold need more bytes. 0 or -1. */
int arena_grow(struct arena *a, void **buf, size_t *cap, size_t len, size_t need, size_t elem);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
