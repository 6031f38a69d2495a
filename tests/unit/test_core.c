/* Unit tests of the core's parsers and protocol code: no servers. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "core/fcgi.h"
#include "core/json.h"
#include "core/req.h"
#include "core/route.h"
#include "core/valid.h"

static struct arena A;

static void test_url_decode_plain_and_escapes(void)
{
	size_t n;
	CHECK_STR(req_url_decode(&A, "a%20b+c", 7, 1, &n), "a b c");
	CHECK(n == 5);
	CHECK_STR(req_url_decode(&A, "a+b", 3, 0, &n), "a+b");
	CHECK_STR(req_url_decode(&A, "%E5%85%B4", 9, 1, &n), "兴");
}

static void test_url_decode_refuses_bad_escapes(void)
{
	CHECK(req_url_decode(&A, "%zz", 3, 1, NULL) == NULL);
	CHECK(req_url_decode(&A, "%4", 2, 1, NULL) == NULL);
	CHECK(req_url_decode(&A, "%", 1, 1, NULL) == NULL);
	CHECK(req_url_decode(&A, "%00", 3, 1, NULL) == NULL);	/* encoded NUL */
	CHECK(req_url_decode(&A, "%ff%fe", 6, 1, NULL) == NULL);	/* not UTF-8 */
	CHECK(req_url_decode(&A, "%C0%AF", 6, 1, NULL) == NULL);	/* overlong '/' */
	CHECK(req_url_decode(&A, "a\tb", 3, 1, NULL) == NULL);	/* control byte */
}

static void test_query_parse_repeated_keys_kept_in_order(void)
{
	struct kv *v;
	size_t n;
	CHECK(req_query_parse(&A, "a=1&b=2&a=3&flag&&c=", &v, &n) == 0);
	CHECK(n == 5);
	CHECK_STR(v[0].k, "a");
	CHECK_STR(v[0].v, "1");
	CHECK_STR(v[2].k, "a");
	CHECK_STR(v[2].v, "3");
	CHECK_STR(v[3].k, "flag");
	CHECK_STR(v[3].v, "");
	CHECK_STR(v[4].k, "c");
	CHECK_STR(v[4].v, "");
}

static void test_query_parse_limits_and_errors(void)
{
	struct kv *v;
	size_t n;
	CHECK(req_query_parse(&A, "=x", &v, &n) == -1);
	CHECK(req_query_parse(&A, "a=%zz", &v, &n) == -1);
	char many[65 * 4 + 1];
	size_t o = 0;
	for (int i = 0; i < 65; i++) {
		memcpy(many + o, "a=1&", 4);
		o += 4;
	}
	many[o] = '\0';
	CHECK(req_query_parse(&A, many, &v, &n) == -2);
	char *big = malloc(5000);
	memset(big, 'x', 4999);
	big[0] = 'k';
	big[1] = '=';
	big[4999] = '\0';
	CHECK(req_query_parse(&A, big, &v, &n) == -2);
	free(big);
}

static void test_cookie_parse(void)
{
	struct kv *v;
	size_t n;
	CHECK(req_cookie_parse(&A, "__Host-tb_session=abc; theme=dark", &v, &n) == 0);
	CHECK(n == 2);
	CHECK_STR(v[0].k, "__Host-tb_session");
	CHECK_STR(v[0].v, "abc");
	CHECK_STR(v[1].v, "dark");
	CHECK(req_cookie_parse(&A, "novalue", &v, &n) == -1);
}

static void test_utf8_validation(void)
{
	CHECK(valid_utf8((const unsigned char *)"广西", 6));
	CHECK(!valid_utf8((const unsigned char *)"\xe5\xb9", 2));	   /* truncated */
	CHECK(!valid_utf8((const unsigned char *)"\xed\xa0\x80", 3)); /* surrogate */
	CHECK(!valid_utf8((const unsigned char *)"\xf4\x90\x80\x80", 4));
}

static void test_json_parse_object_and_exact_integers(void)
{
	struct json *j;
	const char *doc = "{\"a\": 9007199254740993, \"b\": [1, \"x\"], \"c\": {\"d\": null}}";
	CHECK(json_parse(&A, (const unsigned char *)doc, strlen(doc), 8, &j) == JSON_OK);
	int64_t x = 0;
	CHECK(json_int64(json_get(j, "a"), &x) == 0 && x == 9007199254740993LL);
	CHECK(json_get(j, "b")->type == JSON_ARRAY && json_get(j, "b")->count == 2);
	CHECK(json_get(json_get(j, "c"), "d")->type == JSON_NULL);
	CHECK(json_get(j, "zz") == NULL);
	const char *f = "{\"a\": 1.5}";
	CHECK(json_parse(&A, (const unsigned char *)f, strlen(f), 8, &j) == JSON_OK);
	CHECK(json_int64(json_get(j, "a"), &x) == -1);
}

static void test_json_parse_refusals(void)
{
	struct json *j;
	const char *deep = "[[[[[[[[[[1]]]]]]]]]]";
	CHECK(json_parse(&A, (const unsigned char *)deep, strlen(deep), 5, &j) == JSON_TOO_DEEP);
	const char *dup = "{\"a\":1,\"a\":2}";
	CHECK(json_parse(&A, (const unsigned char *)dup, strlen(dup), 5, &j) == JSON_DUPLICATE_KEY);
	const char *bad[] = { "{", "{\"a\":}", "[1,]", "{} {}", "", "{\"a\":1}x", "\"\xff\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(json_parse(&A, (const unsigned char *)bad[i], strlen(bad[i]), 5, &j) == JSON_SYNTAX);
}

/* FastCGI records as nginx sends them */
static void rec(struct buf *b, int type, int id, const void *c, size_t n)
{
	unsigned char h[8] = { 1, (unsigned char)type, 0, (unsigned char)id, (unsigned char)(n >> 8),
			       (unsigned char)n, 0, 0 };
	CHECK(buf_append(b, h, 8) == 0);
	CHECK(buf_append(b, c, n) == 0);
}

static void nv(struct buf *b, const char *k, const char *v)
{
	unsigned char l[2] = { (unsigned char)strlen(k), (unsigned char)strlen(v) };
	CHECK(buf_append(b, l, 2) == 0 && buf_puts(b, k) == 0 && buf_puts(b, v) == 0);
}

static void test_fcgi_request_in_pieces(void)
{
	struct buf in = { 0 }, params = { 0 }, out = { 0 };
	unsigned char begin[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };
	rec(&in, 1, 1, begin, 8);
	nv(&params, "REQUEST_METHOD", "POST");
	nv(&params, "DOCUMENT_URI", "/x");
	rec(&in, 4, 1, params.p, params.len);
	rec(&in, 4, 1, "", 0);
	rec(&in, 5, 1, "{}", 2);
	rec(&in, 5, 1, "", 0);

	struct fcgi_state st = { .max_params = 1024, .max_body = 16 };
	size_t used = 0, total = 0;
	enum fcgi_status s = FCGI_NEED_MORE;
	/* byte by byte: a record is consumed only when complete */
	for (size_t i = 1; i <= in.len && s == FCGI_NEED_MORE; i++) {
		s = fcgi_consume(&st, in.p + total, i - total, &used, &out);
		total += used;
	}
	CHECK(s == FCGI_READY);
	CHECK(total == in.len);
	CHECK(st.id == 1 && st.keep_conn);
	CHECK(st.body.len == 2 && memcmp(st.body.p, "{}", 2) == 0);
	struct kv *kv;
	size_t n;
	CHECK(fcgi_params_decode(st.params.p, st.params.len, &A, &kv, &n) == 0);
	CHECK(n == 2);
	CHECK_STR(kv[1].k, "DOCUMENT_URI");
	CHECK_STR(kv[1].v, "/x");
	CHECK(out.len == 0);
	fcgi_state_free(&st);
	buf_free(&in);
	buf_free(&params);
	buf_free(&out);
}

static void test_fcgi_refuses_multiplexing_and_oversized_body(void)
{
	struct buf in = { 0 }, out = { 0 };
	unsigned char begin[8] = { 0, 1, 1, 0, 0, 0, 0, 0 };
	rec(&in, 1, 1, begin, 8);
	rec(&in, 1, 2, begin, 8); /* a second request while the first runs */
	rec(&in, 4, 1, "", 0);
	rec(&in, 5, 1, "0123456789abcdefXYZ", 19);
	rec(&in, 5, 1, "", 0);
	struct fcgi_state st = { .max_params = 1024, .max_body = 16 };
	size_t used;
	CHECK(fcgi_consume(&st, in.p, in.len, &used, &out) == FCGI_READY);
	CHECK(st.body_too_big);
	/* END_REQUEST for id 2 with FCGI_CANT_MPX_CONN */
	CHECK(out.len == 16 && out.p[1] == 3 && out.p[3] == 2 && out.p[12] == 1);
	fcgi_state_free(&st);
	buf_free(&in);
	buf_free(&out);
}

static void test_fcgi_params_malformed(void)
{
	struct kv *kv;
	size_t n;
	const unsigned char over[] = { 5, 1, 'a', 'b' };	   /* name longer than data */
	const unsigned char trunc4[] = { 0x80, 0, 0 };		   /* 4-byte length cut */
	const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff, 0 }; /* 2 GiB name */
	CHECK(fcgi_params_decode(over, sizeof(over), &A, &kv, &n) == -1);
	CHECK(fcgi_params_decode(trunc4, sizeof(trunc4), &A, &kv, &n) == -1);
	CHECK(fcgi_params_decode(huge, sizeof(huge), &A, &kv, &n) == -1);
	const unsigned char bad_version[8] = { 2, 1, 0, 1, 0, 0, 0, 0 };
	struct fcgi_state st = { .max_params = 1024, .max_body = 16 };
	struct buf out = { 0 };
	size_t used;
	CHECK(fcgi_consume(&st, bad_version, 8, &used, &out) == FCGI_PROTO_ERROR);
	fcgi_state_free(&st);
	buf_free(&out);
}

static void dummy(struct req *r)
{
	(void)r;
}

static void test_route_match_typed_params_and_405(void)
{
	static const struct route routes[] = {
		{ .methods = M_GET, .pattern = "/api/v1/cases", .fn = dummy },
		{ .methods = M_POST, .pattern = "/api/v1/cases", .fn = dummy },
		{ .methods = M_POST, .pattern = "/api/v1/cases/{id:int}/actions/{action:slug}", .fn = dummy },
		{ .methods = M_GET, .pattern = "/api/v1/divisions/{code:code}", .fn = dummy },
	};
	CHECK(route_check(routes, 4) == 0);
	struct req r;
	unsigned allowed;
	memset(&r, 0, sizeof(r));
	r.arena = &A;
	r.path = "/api/v1/cases/42/actions/submit";
	r.method = M_POST;
	CHECK(route_match(&r, routes, 4, &allowed) == ROUTE_FOUND && r.route_index == 2);
	CHECK_STR(req_param(&r, "id"), "42");
	CHECK_STR(req_param(&r, "action"), "submit");
	r.path = "/api/v1/cases/0042/actions/submit"; /* leading zero: not an id */
	CHECK(route_match(&r, routes, 4, &allowed) == ROUTE_NOT_FOUND);
	r.path = "/api/v1/cases/42/actions/Submit!";
	CHECK(route_match(&r, routes, 4, &allowed) == ROUTE_NOT_FOUND);
	r.path = "/api/v1/cases";
	r.method = M_DELETE;
	CHECK(route_match(&r, routes, 4, &allowed) == ROUTE_BAD_METHOD);
	CHECK_STR(route_allow_header(&A, allowed), "GET, HEAD, POST");
	r.path = "/api/v1/divisions/45130";
	r.method = M_GET;
	CHECK(route_match(&r, routes, 4, &allowed) == ROUTE_NOT_FOUND);
	r.path = "/api/v1/cases/";
	CHECK(route_match(&r, routes, 4, &allowed) == ROUTE_NOT_FOUND);
	static const struct route bad[] = { { .methods = M_GET, .pattern = "/x/{id:float}", .fn = dummy } };
	CHECK(route_check(bad, 1) == -1);
}

static void test_arena_limit_and_reset(void)
{
	struct arena a;
	arena_init(&a, 1000);
	CHECK(arena_alloc(&a, 900) != NULL);
	CHECK(arena_alloc(&a, 200) == NULL);
	arena_reset(&a);
	CHECK(arena_alloc(&a, 900) != NULL);
	arena_free(&a);
}

/* A first allocation above the block size makes a huge first block, which
 * reset gives back: reset and free once called each other without end. */
static void test_arena_huge_first_block(void)
{
	struct arena a;
	arena_init(&a, 0);
	CHECK(arena_alloc(&a, 100000) != NULL);
	CHECK(arena_alloc(&a, 10) != NULL);
	arena_reset(&a);
	CHECK(a.first == NULL && a.used_total == 0);
	CHECK(arena_alloc(&a, 200000) != NULL);
	arena_free(&a);
	CHECK(a.first == NULL);
}

int main(void)
{
	arena_init(&A, 0);
	TEST(test_url_decode_plain_and_escapes);
	TEST(test_url_decode_refuses_bad_escapes);
	TEST(test_query_parse_repeated_keys_kept_in_order);
	TEST(test_query_parse_limits_and_errors);
	TEST(test_cookie_parse);
	TEST(test_utf8_validation);
	TEST(test_json_parse_object_and_exact_integers);
	TEST(test_json_parse_refusals);
	TEST(test_fcgi_request_in_pieces);
	TEST(test_fcgi_refuses_multiplexing_and_oversized_body);
	TEST(test_fcgi_params_malformed);
	TEST(test_route_match_typed_params_and_405);
	TEST(test_arena_limit_and_reset);
	TEST(test_arena_huge_first_block);
	arena_free(&A);
	return check_done();
}
