#include "answers.h"

#include <stdlib.h>
#include <string.h>

#include "../core/time.h"

#define BUCKETS 2048 /* a power of two */
#define RING 64	     /* invalidations remembered for answers_put */
/* one answer may take at most this share of the bytes */
#define ENTRY_MAX_BYTES (ANSWERS_MAX_BYTES / 16)

struct entry {
	unsigned char key[32];
	uint64_t vh; /* hash of vkey */
	char *vkey;
	char *tail;
	size_t tlen, bytes;
	int64_t gen, count, at_us;
	struct entry *hnext;	    /* in its bucket */
	struct entry *prev, *next; /* most recently used first */
};

/* Per worker process (workers are forked; nothing is shared). */
static struct {
	struct entry *bucket[BUCKETS];
	struct entry *first, *last;
	size_t n, bytes;
	uint64_t seq; /* invalidations seen */
	struct {
		uint64_t seq, vh; /* vh 0: everything */
	} ring[RING];
} S;

static uint64_t vhash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h ? h : 1;
}

static struct entry **slot(const unsigned char key[32])
{
	return &S.bucket[(key[0] | (unsigned)key[1] << 8) & (BUCKETS - 1)];
}

static void unlink_lru(struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		S.first = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		S.last = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(struct entry *e)
{
	e->prev = NULL;
	e->next = S.first;
	if (S.first)
		S.first->prev = e;
	S.first = e;
	if (S.last == NULL)
		S.last = e;
}

static void drop(struct entry *e)
{
	for (struct entry **pp = slot(e->key); *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	unlink_lru(e);
	S.n--;
	S.bytes -= e->bytes;
	free(e->vkey);
	free(e->tail);
	free(e);
}

static struct entry *find(const unsigned char key[32])
{
	for (struct entry *e = *slot(key); e; e = e->hnext)
		if (memcmp(e->key, key, 32) == 0)
			return e;
	return NULL;
}

void answers_clear(void)
{
	while (S.first)
		drop(S.first);
}

size_t answers_count(void)
{
	return S.n;
}

void answers_invalidated(void *arg, const char *vkey, size_t len)
{
	(void)arg;
	uint64_t h = vkey ? vhash(vkey, len) : 0;
	S.seq++;
	S.ring[S.seq % RING].seq = S.seq;
	S.ring[S.seq % RING].vh = h;
	if (vkey == NULL) {
		answers_clear();
		return;
	}
	for (struct entry *e = S.first, *nx; e; e = nx) {
		nx = e->next;
		if (e->vh == h && strlen(e->vkey) == len && memcmp(e->vkey, vkey, len) == 0)
			drop(e);
	}
}

uint64_t answers_mark(void)
{
	return S.seq;
}

int answers_get(const unsigned char key[32], int64_t ttl_us, struct answer *a)
{
	struct entry *e = find(key);
	if (e == NULL)
		return 0;
	if (time_mono_us() - e->at_us >= ttl_us) {
		drop(e);
		return 0;
	}
	unlink_lru(e);
	push_front(e);
	a->gen = e->gen;
	a->count = e->count;
	a->tail = e->tail;
	a->tlen = e->tlen;
	return 1;
}

void answers_drop(const unsigned char key[32])
{
	struct entry *e = find(key);
	if (e)
		drop(e);
}

void answers_put(const unsigned char key[32], uint64_t mark, const char *vkey, int64_t gen, int64_t count,
		 const char *tail, size_t tlen)
{
	size_t vl = strlen(vkey);
	uint64_t h = vhash(vkey, vl);
	/* changed since the caller read what it holds: it may be older */
	if (S.seq - mark >= RING)
		return;
	for (uint64_t s = mark + 1; s <= S.seq; s++)
		if (S.ring[s % RING].vh == 0 || S.ring[s % RING].vh == h)
			return;
	size_t bytes = sizeof(struct entry) + vl + 1 + tlen + 1;
	if (bytes > ENTRY_MAX_BYTES)
		return;
	struct entry *old = find(key);
	if (old)
		drop(old);
	while (S.last && (S.n >= ANSWERS_MAX || S.bytes + bytes > ANSWERS_MAX_BYTES))
		drop(S.last);
	struct entry *e = calloc(1, sizeof(*e));
	char *vk = malloc(vl + 1), *t = malloc(tlen + 1);
	if (e == NULL || vk == NULL || t == NULL) {
		free(e);
		free(vk);
		free(t);
		return;
	}
	memcpy(e->key, key, 32);
	memcpy(vk, vkey, vl + 1);
	memcpy(t, tail, tlen);
	t[tlen] = '\0';
	e->vh = h;
	e->vkey = vk;
	e->tail = t;
	e->tlen = tlen;
	e->bytes = bytes;
	e->gen = gen;
	e->count = count;
	e->at_us = time_mono_us();
	struct entry **b = slot(key);
	e->hnext = *b;
	*b = e;
	push_front(e);
	S.n++;
	S.bytes += bytes;
}
