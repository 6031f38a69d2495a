/* Unit tests of declarative query keys (a route's .query, validated by
 * route_query_check before the handler; read with req_qint) and of the one
 * pager (list_page_of, list_page_next): no servers, no database. */
#include <stdint.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "check.h"
#include "core/arena.h"
#include "core/json.h"
#include "core/list.h"
#include "core/req.h"
#include "core/route.h"

static struct arena A;

static int all_digits(const char *v)
{
	return strspn(v, "0123456789") == strlen(v);
}

static const struct qkey before_keys[] = {
	LIST_BEFORE(200, 50),
	QKEY_ENUM("state", "open", "closed"),
	QKEY_TEXT("number", 12, all_digits, "a case number"),
	QKEY_END,
};
static const struct qkey after_keys[] = { LIST_AFTER(100, 20), QKEY_END };
static const struct route before_route = { M_GET, "/things", NULL, 0, NULL, before_keys };
static const struct route after_route = { M_GET, "/others", NULL, 0, NULL, after_keys };

/* A request for route with query string qs, as the server builds it. */
static struct req request(const struct route *route, const char *qs)
{
	struct req r;
	memset(&r, 0, sizeof(r));
	arena_reset(&A);
	r.arena = &A;
	r.status = 500;
	r.route = route;
	r.query_string = qs;
	if (req_query_parse(&A, qs, &r.query, &r.nquery) != 0)
		r.nquery = 0;
	return r;
}

/* 0 when the query passes; else 400 invalid_parameter naming the key. */
static int check(const struct route *route, const char *qs, const char *key)
{
	struct req r = request(route, qs);
	int rc = route_query_check(&r, route);
	if (rc == 0)
		return r.responded ? -2 : 0;
	if (r.status != 400 || r.resp_body == NULL)
		return -3;
	const char *body = (const char *)r.resp_body;
	if (strstr(body, "\"invalid_parameter\"") == NULL || (key && strstr(body, key) == NULL))
		return -4;
	return -1;
}

static void test_integer_keys_take_digits_only(void)
{
	CHECK(check(&before_route, "limit=5", NULL) == 0);
	CHECK(check(&before_route, "limit=5x", "limit") == -1);
	CHECK(check(&before_route, "limit=-5", "limit") == -1);
	CHECK(check(&before_route, "limit=+5", "limit") == -1);
	CHECK(check(&before_route, "limit=%205", "limit") == -1);
	CHECK(check(&before_route, "limit=", "limit") == -1);
	CHECK(check(&before_route, "before=1e3", "before") == -1);
}

static void test_integer_keys_in_range_without_overflow(void)
{
	CHECK(check(&before_route, "limit=200", NULL) == 0);
	CHECK(check(&before_route, "limit=201", "limit") == -1);
	CHECK(check(&before_route, "limit=0", "limit") == -1);
	CHECK(check(&before_route, "before=9223372036854775807", NULL) == 0);
	CHECK(check(&before_route, "before=9223372036854775808", "before") == -1);
	CHECK(check(&before_route, "before=99999999999999999999999", "before") == -1);
	CHECK(check(&before_route, "limit=18446744073709551621", "limit") == -1); /* wraps to 5 in 64 bits */
}

static void test_repeated_keys_are_refused(void)
{
	CHECK(check(&before_route, "limit=5&limit=6", "limit") == -1);
	CHECK(check(&before_route, "limit=5&limit=5", "limit") == -1);
	CHECK(check(&before_route, "state=open&state=open", "state") == -1);
}

static void test_enum_and_text_keys(void)
{
	CHECK(check(&before_route, "state=open", NULL) == 0);
	CHECK(check(&before_route, "state=closed", NULL) == 0);
	CHECK(check(&before_route, "state=opened", "state") == -1);
	CHECK(check(&before_route, "state=", "state") == -1);
	CHECK(check(&before_route, "number=123", NULL) == 0);
	CHECK(check(&before_route, "number=12a", "number") == -1);
	CHECK(check(&before_route, "number=1234567890123", "number") == -1); /* longer than 12 */
	CHECK(check(&before_route, "number=", "number") == -1);
}

static void test_undeclared_keys_are_ignored(void)
{
	CHECK(check(&before_route, "foo=bar&limit=3&_=1", NULL) == 0);
	CHECK(check(&after_route, "before=oops", NULL) == 0); /* not this route's key */
}

static void test_req_qint_gives_value_or_default(void)
{
	struct req r = request(&before_route, "limit=7");
	CHECK(req_qint(&r, "limit") == 7);
	CHECK(req_qint(&r, "before") == INT64_MAX);
	r = request(&before_route, "");
	CHECK(req_qint(&r, "limit") == 50);
	r = request(&after_route, "after=42");
	CHECK(req_qint(&r, "after") == 42);
	CHECK(req_qint(&r, "limit") == 20);
	CHECK(req_qint(&r, "undeclared") == 0);
}

static void test_page_of_before_and_after_routes(void)
{
	struct req r = request(&before_route, "");
	struct page pg = list_page_of(&r);
	CHECK(pg.desc == 1 && pg.cursor == INT64_MAX && pg.limit == 50);
	r = request(&before_route, "before=100&limit=10");
	pg = list_page_of(&r);
	CHECK(pg.desc == 1 && pg.cursor == 100 && pg.limit == 10);
	r = request(&after_route, "");
	pg = list_page_of(&r);
	CHECK(pg.desc == 0 && pg.cursor == 0 && pg.limit == 20);
	r = request(&after_route, "after=5&limit=3");
	pg = list_page_of(&r);
	CHECK(pg.desc == 0 && pg.cursor == 5 && pg.limit == 3);
}

/* The JSON object list_page_next writes for a page of n rows. */
static const char *next_of(const struct page *pg, size_t n, int64_t last)
{
	yajl_gen g = json_gen_new(&A);
	const unsigned char *b;
	size_t len;
	yajl_gen_map_open(g);
	list_page_next(g, pg, n, last);
	yajl_gen_map_close(g);
	if (yajl_gen_get_buf(g, &b, &len) != yajl_gen_status_ok)
		return NULL;
	return arena_strndup(&A, (const char *)b, len);
}

static void test_page_next_names_the_cursor_of_a_full_page(void)
{
	struct page desc = { 1, INT64_MAX, 3 }, asc = { 0, 0, 3 };
	CHECK_STR(next_of(&desc, 3, 42), "{\"next_before\":\"42\"}");
	CHECK_STR(next_of(&desc, 2, 42), "{\"next_before\":null}");
	CHECK_STR(next_of(&asc, 3, 9007199254740993), "{\"next_after\":\"9007199254740993\"}");
	CHECK_STR(next_of(&asc, 0, 0), "{\"next_after\":null}");
}

int main(void)
{
	arena_init(&A, 0);
	TEST(test_integer_keys_take_digits_only);
	TEST(test_integer_keys_in_range_without_overflow);
	TEST(test_repeated_keys_are_refused);
	TEST(test_enum_and_text_keys);
	TEST(test_undeclared_keys_are_ignored);
	TEST(test_req_qint_gives_value_or_default);
	TEST(test_page_of_before_and_after_routes);
	TEST(test_page_next_names_the_cursor_of_a_full_page);
	arena_free(&A);
	return check_done();
}
