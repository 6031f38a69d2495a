/* Lists: one pager and one renderer for every list the API answers.
 *
 * Paging is by key (an id), never by offset: ?after=<id>&limit= walks
 * ascending, ?before=<id>&limit= descending; the answer names the cursor of
 * the next page ("next_after" / "next_before", the last id as a string) or
 * null when this page was the last. A route declares its paging keys with
 * LIST_AFTER / LIST_BEFORE in its .query.
 *
 * Rows are structs (the typed statements' rows); a list of struct jcol says
 * which members become which JSON members: JCOL_*(json name, struct, member),
 * the member's C type checked at compile time. */
#ifndef TB_LIST_H
#define TB_LIST_H
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

#include "req.h"

#define LIST_AFTER(maxlimit, dflt) QKEY_INT("after", 0, INT64_MAX, 0), QKEY_INT("limit", 1, (maxlimit), (dflt))
#define LIST_BEFORE(maxlimit, dflt) \
	QKEY_INT("before", 1, INT64_MAX, INT64_MAX), QKEY_INT("limit", 1, (maxlimit), (dflt))

struct page {
	int desc;	/* 1: ?before= (newest first) */
	int64_t cursor; /* after: 0 = from the start; before: INT64_MAX = from the end */
	int64_t limit;
};
/* The request's page, from its route's validated keys. */
struct page list_page_of(const struct req *r);
/* "next_after"/"next_before": the last row's key when the page is full. */
void list_page_next(yajl_gen g, const struct page *pg, size_t n, int64_t last_key);

enum jkind {
	J_STR,	   /* const char *, NULL -> null */
	J_STR_NE,  /* const char *, NULL or "" -> null */
	J_INT,	   /* int64_t */
	J_ID,	   /* int64_t, 0 -> null (an optional reference) */
	J_INT32,   /* int */
	J_BOOL,	   /* int */
	J_TIME,	   /* int64_t epoch µs -> RFC 3339 (+08:00), 0 -> null */
	J_WORDS,   /* const char *, space-separated words -> array of strings */
};
struct jcol {
	const char *name;
	enum jkind kind;
	size_t off;
};
/* offsetof plus a compile-time check that S.f has type T */
#define JCOL__(name, kind, S, f, T) { (name), (kind), offsetof(S, f) + 0 * sizeof(char[_Generic(((S *)0)->f, T: 1)]) }
#define JCOL_STR(n, S, f) JCOL__(n, J_STR, S, f, const char *)
#define JCOL_STR_NE(n, S, f) JCOL__(n, J_STR_NE, S, f, const char *)
#define JCOL_INT(n, S, f) JCOL__(n, J_INT, S, f, int64_t)
#define JCOL_ID(n, S, f) JCOL__(n, J_ID, S, f, int64_t)
#define JCOL_INT32(n, S, f) JCOL__(n, J_INT32, S, f, int)
#define JCOL_BOOL(n, S, f) JCOL__(n, J_BOOL, S, f, int)
#define JCOL_TIME(n, S, f) JCOL__(n, J_TIME, S, f, int64_t)
#define JCOL_WORDS(n, S, f) JCOL__(n, J_WORDS, S, f, const char *)
#define JCOL_END { NULL, J_STR, 0 }

/* The members of one row (inside an open map). */
void list_members(struct req *r, yajl_gen g, const void *row, const struct jcol *cols);
/* key: [ {row 0}, {row 1}, … ] (inside an open map). */
void list_items(struct req *r, yajl_gen g, const char *key, const void *rows, size_t n, size_t size,
		const struct jcol *cols);
/* { "items": [...] } as 200, a list without pages. */
void list_reply_all(struct req *r, const void *rows, size_t n, size_t size, const struct jcol *cols);
/* The common answer: { "items": [...], "next_…": … } as 200. */
void list_reply(struct req *r, const void *rows, size_t n, size_t size, const struct jcol *cols,
		const struct page *pg, int64_t last_key);

#endif
