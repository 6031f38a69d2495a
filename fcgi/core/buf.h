/* Growable byte buffer (malloc-backed) for data that outlives a request:
 * connection input, FastCGI output. Length-carrying; never NUL-terminated
 * unless buf_cstr() is asked. */
#ifndef TB_BUF_H
#define TB_BUF_H
#include <stddef.h>

struct buf {
	unsigned char *p;
	size_t len, cap;
};

struct kv {
	const char *k, *v; /* NUL-terminated copies in the request arena */
	size_t klen, vlen;
};

int buf_reserve(struct buf *b, size_t more) __attribute__((warn_unused_result));
int buf_append(struct buf *b, const void *p, size_t n) __attribute__((warn_unused_result));
int buf_puts(struct buf *b, const char *s) __attribute__((warn_unused_result));
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3), warn_unused_result));
/* Drop the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Release memory above keep bytes of capacity when the buffer is empty. */
void buf_shrink(struct buf *b, size_t keep);
void buf_free(struct buf *b);

#endif
