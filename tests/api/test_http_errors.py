"""Bad requests of every class get the right 4xx as application/problem+json,
whether nginx or a worker refuses them."""
import json
import os
import re
import socket
import time

from lib import PORT, ROOT, assert_problem, get, post, request

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


def test_control_characters_inside_json_strings_are_400_invalid_character():
    # an escaped NUL used to cut the string short: "450103\u0000zz" resolved as 450103
    for s in ("450103\u0000zz", "450103\u0001", "\u001f450103", "450103\u001b[0m"):
        r = post(RESOLVE, {"codes": [s]})
        assert_problem(r, 400, "invalid_character")
    r = request("POST", RESOLVE, body=b'{"co\\u0000des":["450103"]}', headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid_character")
    # tab and line breaks are text, not controls: refused by the field's own rule, not here
    assert_problem(post(RESOLVE, {"codes": ["4501\t03"]}), 400, "invalid_field")


# ---- nginx's own refusals, sent as raw bytes --------------------------------

def raw_http(data, source=None):
    """Send raw bytes to nginx; (status, headers dict lower-cased, body)."""
    s = socket.socket()
    try:
        s.settimeout(10)
        if source:
            s.bind((source, 0))
        s.connect(("127.0.0.1", PORT))
        s.sendall(data)
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def assert_raw_problem(data, status, code, source=None):
    st, h, body = raw_http(data, source)
    assert st == status, (st, h, body[:300])
    assert h.get("content-type", "").startswith("application/problem+json"), (h, body[:300])
    b = json.loads(body)
    assert b["status"] == status and b["code"] == code and b["type"] == "urn:tongban:problem:" + code, b
    assert h.get("x-request-id") == b["request_id"]
    return b


def test_oversized_header_is_431_header_too_large():
    big = b"GET /api/v1/divisions/450103 HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 20000 + b"\r\nConnection: close\r\n\r\n"
    assert_raw_problem(big, 431, "header_too_large")
    many = b"GET / HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 15000) for i in range(6))
    assert_raw_problem(many + b"Connection: close\r\n\r\n", 431, "header_too_large")
    cookie = b"GET / HTTP/1.1\r\nHost: t\r\nCookie: a=" + b"c" * 17000 + b"\r\nConnection: close\r\n\r\n"
    assert_raw_problem(cookie, 431, "header_too_large")


def test_unsupported_http_version_is_505():
    assert_raw_problem(b"GET /healthz HTTP/3.0\r\nHost: t\r\nConnection: close\r\n\r\n", 505,
                       "http_version_not_supported")
    assert_raw_problem(b"GET /healthz HTTP/2.0\r\nHost: t\r\nConnection: close\r\n\r\n", 505,
                       "http_version_not_supported")


def test_garbage_request_lines_and_headers_are_400_bad_request():
    for line in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"get / HTTP/1.1\r\nHost: t\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n"):
        assert_raw_problem(line, 400, "bad_request")


def test_too_long_request_line_is_414():
    assert_raw_problem(b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 414,
                       "uri_too_long")


def test_unknown_transfer_coding_is_501():
    assert_raw_problem(b"POST /api/v1/divisions/resolve HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n"
                       b"Connection: close\r\n\r\n", 501, "not_implemented")


def test_metrics_from_another_address_are_403_forbidden():
    assert_raw_problem(b"GET /-/public/metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 403,
                       "forbidden", source="127.0.0.2")


def test_unsatisfiable_range_on_a_static_file_is_416():
    assert_raw_problem(b"GET /index.html HTTP/1.1\r\nHost: t\r\nRange: bytes=99999999-\r\nConnection: close\r\n\r\n",
                       416, "range_not_satisfiable")


def test_failed_precondition_on_a_static_file_is_412():
    assert_raw_problem(b"GET /index.html HTTP/1.1\r\nHost: t\r\nIf-Match: \"nope\"\r\nConnection: close\r\n\r\n",
                       412, "precondition_failed")


def test_every_status_nginx_produces_has_a_problem_page():
    conf = open(os.path.join(ROOT, "nginx", "tongban.conf.in")).read()
    pages = set(re.findall(r"location = /_problem/(\d+)", conf))
    mapped = set(re.findall(r"error_page (\d+) ", conf))
    for status in ("400", "403", "404", "405", "408", "411", "412", "413", "414", "416", "429", "494",
                   "500", "501", "502", "503", "504", "505"):
        assert status in mapped, status
    assert mapped - {"494"} <= pages and "431" in pages


# ---- list parameters ---------------------------------------------------------

def test_list_parameters_are_validated_strictly():
    from auth_lib import login_mfa, make_user
    from case_lib import RECEIVING, staff
    clerk = staff[("intake_clerk", RECEIVING)]
    for qs in ("before=99999999999999999999", "before=-1", "before=0", "before=1x", "limit=5x", "limit=0",
               "limit=201", "limit=", "limit=+5", "limit=%205", "limit=5&limit=6", "before=1e3"):
        assert_problem(clerk.get("/api/v1/notifications?" + qs), 400, "invalid_parameter")
    for qs in ("after=99999999999999999999", "after=1x", "limit=5x", "limit=-1", "after=0x10"):
        assert_problem(clerk.get("/api/v1/cases?" + qs), 400, "invalid_parameter")
    assert clerk.get("/api/v1/notifications?before=9223372036854775&limit=5").status == 200
    assert clerk.get("/api/v1/cases?after=0&limit=200").status == 200
    _, name = make_user(agency="450000", grants=[("system_admin", "450000")], totp_enabled=True)
    admin = login_mfa(name, now=time.time() + 5400)
    for qs in ("limit=5x", "after=99999999999999999999", "after=-3", "limit=1.5"):
        assert_problem(admin.get("/api/v1/users?" + qs), 400, "invalid_parameter")
    r = admin.get("/api/v1/users?limit=2")
    assert r.status == 200 and len(r.json["items"]) <= 2
