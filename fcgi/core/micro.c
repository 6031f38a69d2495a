#include "micro.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "worker.h"

#define SLOTS 256
#define KEY_MAX 64

struct entry {
	char key[KEY_MAX];
	int64_t at;
	uint64_t gen;
	char *val;
	size_t len;
};

struct micro {
	struct entry e[SLOTS];
};

static uint64_t gen(const struct worker *w)
{
	return w->shared ? __atomic_load_n(&w->shared->data_generation, __ATOMIC_ACQUIRE) : 0;
}

static struct entry *slot(struct worker *w, const char *key)
{
	if (strlen(key) >= KEY_MAX)
		return NULL;
	if (w->micro == NULL)
		w->micro = calloc(1, sizeof(struct micro));
	if (w->micro == NULL)
		return NULL;
	unsigned h = 5381;
	for (const char *p = key; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return &((struct micro *)w->micro)->e[h % SLOTS];
}

char *micro_get(struct worker *w, struct arena *a, const char *key, size_t *len)
{
	struct entry *e = slot(w, key);
	if (e == NULL || e->val == NULL || strcmp(e->key, key) != 0 || e->gen != gen(w) ||
	    time_mono_us() - e->at >= MICRO_TTL_US)
		return NULL;
	*len = e->len;
	return arena_strndup(a, e->val, e->len);
}

void micro_put(struct worker *w, const char *key, const void *val, size_t len)
{
	struct entry *e = slot(w, key);
	char *copy = e ? malloc(len + 1) : NULL;
	if (copy == NULL)
		return;
	memcpy(copy, val, len);
	copy[len] = '\0';
	free(e->val);
	e->val = copy;
	e->len = len;
	memcpy(e->key, key, strlen(key) + 1);
	e->at = time_mono_us();
	e->gen = gen(w);
}

void micro_invalidate(struct worker *w)
{
	if (w->shared)
		__atomic_add_fetch(&w->shared->data_generation, 1, __ATOMIC_RELEASE);
}

void micro_free(struct worker *w)
{
	struct micro *m = w->micro;
	for (int i = 0; m && i < SLOTS; i++)
		free(m->e[i].val);
	free(m);
	w->micro = NULL;
}
