"""Health, readiness and metrics of every service."""
import re

from lib import (STACK, assert_problem, fcgi_connect, fcgi_params, fcgi_read_response,
                 fcgi_request_bytes, get)

SERVICES = ("admin", "intake", "query", "public")


def test_stack_healthz_and_readyz_are_the_public_service():
    h = get("/healthz")
    assert h.status == 200 and h.json["status"] == "ok" and h.json["service"] == "public"
    r = get("/readyz")
    assert r.status == 200
    assert r.json == {"status": "ok", "service": "public",
                      "checks": {"postgresql": "ok", "redis": "ok"}}


def test_every_service_answers_its_probes():
    for s in SERVICES:
        h = get("/-/%s/healthz" % s)
        assert h.status == 200 and h.json["service"] == s, (s, h)
        assert isinstance(h.json["pid"], int)
        r = get("/-/%s/readyz" % s)
        assert r.status == 200 and r.json["checks"] == {"postgresql": "ok", "redis": "ok"}, (s, r)


def metric(text, name, **labels):
    want = ",".join('%s="%s"' % kv for kv in sorted(labels.items()))
    for line in text.splitlines():
        m = re.match(r"^(\w+)\{(.*)\} (\S+)$", line)
        if m and m.group(1) == name and ",".join(sorted(m.group(2).split(","))) == want:
            return float(m.group(3))
    return 0.0


def test_metrics_count_requests_by_route_and_status():
    before = get("/-/public/metrics").body.decode()
    get("/api/v1/divisions/459999")
    get("/api/v1/divisions/459998")
    after = get("/-/public/metrics")
    assert after.status == 200 and after.header("Content-Type").startswith("text/plain")
    text = after.body.decode()
    labels = dict(service="public", route="/api/v1/divisions/{code:code}", status="404")
    assert metric(text, "tongban_requests_total", **labels) - metric(before, "tongban_requests_total", **labels) == 2
    assert "tongban_request_duration_seconds_bucket{" in text
    assert re.search(r'^tongban_cache_hit_ratio\{service="public"\} [0-9.]+$', text, re.M)
    assert re.search(r'^tongban_db_errors_total\{service="public"\} \d+$', text, re.M)


def test_metrics_only_for_loopback_clients():
    # nginx allows loopback only; the worker checks REMOTE_ADDR itself too
    s = fcgi_connect("%s/run/admin.sock" % STACK)
    s.sendall(fcgi_request_bytes(1, fcgi_params("/metrics", remote="10.20.30.40")))
    status, headers, body, _ = fcgi_read_response(s)
    assert status == 404 and b'"code":"not_found"' in body
    s.sendall(fcgi_request_bytes(1, fcgi_params("/metrics", remote="127.0.0.1")))
    status, _, body, _ = fcgi_read_response(s)
    assert status == 200 and b"tongban_requests_total" in body
    s.close()


def test_unknown_service_probe_is_404():
    assert_problem(get("/-/nothing/healthz"), 404, "not_found")
