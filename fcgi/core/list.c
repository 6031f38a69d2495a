#include "list.h"

#include <stdio.h>
#include <string.h>

#include "resp.h"
#include "json.h"

struct page list_page_of(const struct req *r)
{
	struct page pg = { 0, 0, req_qint(r, "limit") };
	if (req_query(r, "before") != NULL || req_query(r, "after") == NULL) {
		/* a route declares one of the two; a before-route starts at the end */
		int before_route = 0;
		for (const struct qkey *k = r->route ? r->route->query : NULL; k && k->name; k++)
			before_route |= strcmp(k->name, "before") == 0;
		if (before_route) {
			pg.desc = 1;
			pg.cursor = req_qint(r, "before");
			return pg;
		}
	}
	pg.cursor = req_qint(r, "after");
	return pg;
}

void list_page_next(yajl_gen g, const struct page *pg, size_t n, int64_t last_key)
{
	const char *key = pg->desc ? "next_before" : "next_after";
	if (n > 0 && (int64_t)n == pg->limit) {
		char buf[24];
		snprintf(buf, sizeof(buf), "%lld", (long long)last_key);
		jg_str(g, key, buf);
	} else {
		jg_null(g, key);
	}
}

void list_members(struct req *r, yajl_gen g, const void *row, const struct jcol *cols)
{
	const char *base = row;
	for (const struct jcol *c = cols; c->name; c++) {
		const void *m = base + c->off;
		switch (c->kind) {
		case J_STR:
			jg_str(g, c->name, *(const char *const *)m);
			break;
		case J_STR_NE: {
			const char *s = *(const char *const *)m;
			jg_str(g, c->name, s && s[0] ? s : NULL);
			break;
		}
		case J_INT:
			jg_int(g, c->name, *(const int64_t *)m);
			break;
		case J_ID: {
			int64_t v = *(const int64_t *)m;
			if (v)
				jg_int(g, c->name, v);
			else
				jg_null(g, c->name);
			break;
		}
		case J_INT32:
			jg_int(g, c->name, *(const int *)m);
			break;
		case J_BOOL:
			jg_bool(g, c->name, *(const int *)m);
			break;
		case J_TIME: {
			int64_t us = *(const int64_t *)m;
			jg_str(g, c->name, us ? time_rfc3339(r->arena, us) : NULL);
			break;
		}
		case J_WORDS:
			jg_words(g, r->arena, c->name, *(const char *const *)m);
			break;
		}
	}
}

void list_items(struct req *r, yajl_gen g, const char *key, const void *rows, size_t n, size_t size,
		const struct jcol *cols)
{
	jg_key(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		list_members(r, g, (const char *)rows + i * size, cols);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

void list_reply(struct req *r, const void *rows, size_t n, size_t size, const struct jcol *cols,
		const struct page *pg, int64_t last_key)
{
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, n, size, cols);
	list_page_next(g, pg, n, last_key);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

void list_reply_all(struct req *r, const void *rows, size_t n, size_t size, const struct jcol *cols)
{
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	list_items(r, g, "items", rows, n, size, cols);
	yajl_gen_map_close(g);
	resp_json(r, 200);
}
