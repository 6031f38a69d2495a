#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 16384
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t cap, used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

static struct arena_block *block_new(size_t cap)
{
	struct arena_block *b = malloc(sizeof(*b) + cap);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->cap = cap;
	b->used = 0;
	return b;
}

void arena_init(struct arena *a, size_t limit)
{
	a->first = a->head = NULL;
	a->used_total = 0;
	a->limit = limit;
}

void *arena_alloc(struct arena *a, size_t n)
{
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (need < n || (a->limit && a->used_total + need > a->limit))
		return NULL;
	if (a->head == NULL || a->head->cap - a->head->used < need) {
		size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		struct arena_block *b = block_new(cap);
		if (b == NULL)
			return NULL;
		if (a->first == NULL)
			a->first = b;
		else
			a->head->next = b;
		a->head = b;
	}
	void *p = a->head->data + a->head->used;
	a->head->used += need;
	a->used_total += need;
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *p, size_t n)
{
	if (n == SIZE_MAX)
		return NULL;
	char *s = arena_alloc(a, n + 1);
	if (s == NULL)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int arena_grow(struct arena *a, void **buf, size_t *cap, size_t len, size_t need, size_t elem)
{
	if (len + need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 8;
	while (ncap < len + need)
		ncap *= 2;
	if (ncap > SIZE_MAX / elem)
		return -1;
	void *n = arena_alloc(a, ncap * elem);
	if (n == NULL)
		return -1;
	if (len)
		memcpy(n, *buf, len * elem);
	*buf = n;
	*cap = ncap;
	return 0;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = arena_alloc(a, (size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	int m = vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return m == n ? s : NULL;
}

void arena_reset(struct arena *a)
{
	if (a->first == NULL)
		return;
	struct arena_block *b = a->first->next;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->first->next = NULL;
	if (a->first->cap > ARENA_BLOCK) {
		/* a huge first block (an upload) is not kept for the next request
		 * (freed here: arena_free resets first, so calling it recursed) */
		free(a->first);
		a->first = a->head = NULL;
		a->used_total = 0;
		return;
	}
	a->first->used = 0;
	a->head = a->first;
	a->used_total = 0;
}

void arena_free(struct arena *a)
{
	arena_reset(a);
	free(a->first);
	a->first = a->head = NULL;
}
