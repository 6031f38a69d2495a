"""Bad requests of every class get the right 4xx as application/problem+json,
whether nginx or a worker refuses them."""
import os

from lib import assert_problem, get, post, request

RESOLVE = "/api/v1/divisions/resolve"


def test_malformed_json_is_400_malformed_json():
    r = request("POST", RESOLVE, body=b'{"codes": [', headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "malformed_json")


def test_json_that_is_not_an_object_is_400():
    r = request("POST", RESOLVE, body=b'["450103"]', headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "json_not_object")


def test_json_nested_too_deep_is_400():
    body = b'{"codes":' + b"[" * 40 + b"]" * 40 + b"}"
    r = request("POST", RESOLVE, body=body, headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "json_too_deep")


def test_json_with_a_repeated_member_is_400():
    r = request("POST", RESOLVE, body=b'{"codes":["450103"],"codes":["450100"]}',
                headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "json_duplicate_key")


def test_body_that_is_not_utf8_is_400():
    r = request("POST", RESOLVE, body=b'{"codes":["\xff\xfe"]}',
                headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid_utf8")


def test_wrong_content_type_is_415():
    r = request("POST", RESOLVE, body=b"codes=450103",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415, "unsupported_media_type")


def test_body_over_the_worker_json_cap_is_413_from_the_worker():
    # nginx lets 1 MiB through to the public service; the JSON cap is 64 KiB
    body = b'{"codes":["' + b"4" * (100 * 1024) + b'"]}'
    r = request("POST", RESOLVE, body=body, headers={"Content-Type": "application/json"})
    b = assert_problem(r, 413, "body_too_large")
    assert b["instance"] == RESOLVE  # the worker's problem carries the path


def test_body_over_the_nginx_limit_is_413_from_nginx():
    body = b"x" * (2 * 1024 * 1024)
    r = request("POST", RESOLVE, body=body, headers={"Content-Type": "application/json"})
    b = assert_problem(r, 413, "body_too_large")
    assert "instance" not in b  # refused before any worker saw it


def test_bad_percent_encoding_in_query_is_400():
    assert_problem(get("/api/v1/divisions?parent=%zz"), 400, "malformed_query")
    assert_problem(get("/api/v1/divisions?parent=%E5%85"), 400, "malformed_query")
    assert_problem(get("/api/v1/divisions?parent=%00"), 400, "malformed_query")


def test_bad_percent_encoding_in_path_is_400_from_nginx():
    assert_problem(get("/api/v1/divisions/%zz"), 400, "bad_request")


def test_too_many_query_parameters_is_400():
    qs = "&".join("a%d=1" % i for i in range(70))
    assert_problem(get("/api/v1/divisions?" + qs), 400, "query_too_long")


def test_unknown_route_is_404():
    assert_problem(get("/api/v1/divisions/450103/nothing"), 404, "not_found")
    assert_problem(get("/api/v1/no-such-thing"), 404, "not_found")
    assert_problem(get("/api/v2/divisions"), 404, "not_found")


def test_invalid_typed_parameter_is_404():
    assert_problem(get("/api/v1/divisions/45010"), 404, "not_found")
    assert_problem(get("/api/v1/divisions/abcdef"), 404, "not_found")


def test_wrong_method_is_405_with_allow():
    r = request("DELETE", "/api/v1/divisions")
    assert_problem(r, 405, "method_not_allowed")
    assert r.header("Allow") == "GET, HEAD"
    r = get(RESOLVE)
    assert_problem(r, 405, "method_not_allowed")
    assert r.header("Allow") == "POST"


def test_head_answers_like_get_without_a_body():
    r = request("HEAD", "/api/v1/divisions/450000")
    assert r.status == 200 and r.body == b""


def test_security_headers_on_api_and_static():
    for r in (get("/api/v1/divisions/450000"), get("/"), get("/api/v1/nothing")):
        assert r.header("X-Content-Type-Options") == "nosniff", r.headers
        assert "frame-ancestors 'none'" in r.header("Content-Security-Policy")
        assert r.header("Referrer-Policy") == "no-referrer"
        assert len(r.header("X-Request-Id")) == 32


def test_api_responses_are_not_cached_by_browsers():
    assert get("/api/v1/divisions/450000").header("Cache-Control") == "no-store"


def test_request_id_reaches_the_worker_log():
    r = get("/api/v1/divisions/450100")
    rid = r.header("X-Request-Id")
    log = open(os.path.join(os.environ["TB_STACK_DIR"], "log", "public.log"), encoding="utf-8").read()
    import json
    lines = [json.loads(l) for l in log.splitlines() if rid in l]
    assert lines, "no log line with the request id"
    assert all(l["request_id"] == rid and l["service"] == "public" for l in lines)
    access = open(os.path.join(os.environ["TB_STACK_DIR"], "log", "access.log")).read()
    # the access log is buffered for up to a second
    from lib import wait_until
    assert wait_until(lambda: rid in open(os.path.join(os.environ["TB_STACK_DIR"], "log", "access.log")).read(), 3)
    del access


def test_problem_never_leaks_internals():
    r = post(RESOLVE, {"codes": ["450103"], "extra": 1})
    b = assert_problem(r, 400, "unknown_field")
    assert set(b) == {"type", "title", "status", "code", "detail", "instance", "request_id"}
