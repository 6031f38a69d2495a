"""Sessions: idle and absolute expiry on an injected clock, revocation,
CSRF for cookie sessions, the cache and its absence."""
import time

from auth_lib import PASSWORD, last_audit, login, make_user
from lib import assert_problem, get, request, sql, stack, wait_until


def at(s, t, path="/api/v1/auth/me"):
    return s.call("GET", path, headers={"X-Tb-Test-Now": str(int(t))})


def test_idle_timeout_after_thirty_minutes():
    uid, name = make_user()
    t0 = int(time.time())
    s = login(name, now=t0)
    assert at(s, t0 + 29 * 60).status == 200   # touches last_seen_at
    assert at(s, t0 + 58 * 60).status == 200   # 29 minutes after the last use
    assert_problem(at(s, t0 + 58 * 60 + 30 * 60 + 1), 401, "unauthenticated")


def test_absolute_timeout_after_twelve_hours_even_when_busy():
    uid, name = make_user()
    t0 = int(time.time())
    s = login(name, now=t0)
    t = t0
    while t + 20 * 60 < t0 + 12 * 3600:
        t += 20 * 60
        assert at(s, t).status == 200, t - t0
    assert_problem(at(s, t0 + 12 * 3600), 401, "unauthenticated")


def test_logout_revokes_the_session_everywhere_at_once():
    uid, name = make_user()
    s = login(name)
    assert s.get("/api/v1/auth/me").status == 200  # now cached in Redis
    r = s.post("/api/v1/auth/logout")
    assert r.status == 204 and "Max-Age=0" in r.header("Set-Cookie")
    assert_problem(s.get("/api/v1/auth/me"), 401, "unauthenticated")
    assert sql("SELECT revoked_at IS NOT NULL FROM iam.session WHERE user_id = %d" % uid) == [["t"]]
    assert last_audit("auth.logout")["actor_id"] == uid


def test_password_change_revokes_other_sessions_and_keeps_this_one():
    uid, name = make_user()
    a, b = login(name), login(name)
    assert b.get("/api/v1/auth/me").status == 200
    r = a.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": "Another-Passw0rd"})
    assert r.status == 204, r
    assert a.get("/api/v1/auth/me").status == 200
    assert_problem(b.get("/api/v1/auth/me"), 401, "unauthenticated")
    login(name, password="Another-Passw0rd")
    assert last_audit("auth.password.change")["outcome"] == "success"


def test_password_change_enforces_the_policy():
    uid, name = make_user()
    s = login(name)
    for bad in ("Short-1a", "alllowercaseletters", "NoDigitsOrSymbolsHere", name + "-Aa1xyzxyz"):
        r = s.post("/api/v1/auth/password", {"current_password": PASSWORD, "new_password": bad})
        assert_problem(r, 400, "weak_password")
    r = s.post("/api/v1/auth/password", {"current_password": "Wrong-Passw0rd", "new_password": "Another-Passw0rd"})
    assert_problem(r, 403, "invalid_credentials")
    assert sql("SELECT password_hash FROM iam.user WHERE id = %d" % uid)[0][0].endswith("=")


def test_must_change_password_blocks_everything_but_self_service():
    uid, name = make_user(grants=[("jurisdiction_admin", "451302")], must_change=True)
    s = login(name)
    assert s.body["user"]["must_change_password"] is True
    assert s.get("/api/v1/auth/me").status == 200
    assert_problem(s.get("/api/v1/users"), 403, "password_change_required")
    assert s.post("/api/v1/auth/password", {"current_password": PASSWORD,
                                            "new_password": "Brand-New-Passw0rd"}).status == 204
    assert sql("SELECT must_change_password FROM iam.user WHERE id = %d" % uid) == [["f"]]


def test_cookie_sessions_need_the_csrf_token_on_unsafe_methods():
    uid, name = make_user()
    s = login(name)
    assert s.cookie_call("GET", "/api/v1/auth/me", csrf=False).status == 200
    assert_problem(s.cookie_call("POST", "/api/v1/auth/logout", csrf=False), 403, "csrf_failed")
    assert_problem(s.cookie_call("POST", "/api/v1/auth/logout", csrf="x" * 43), 403, "csrf_failed")
    assert_problem(s.cookie_call("POST", "/api/v1/permission-requests", csrf=s.token,
                                 json_body={"role": "reviewer", "scope": "451302", "reason": "r"}), 403, "csrf_failed")
    assert sql("SELECT count(*) FROM iam.permission_request WHERE user_id = %d" % uid) == [["0"]]
    assert sql("SELECT revoked_at IS NULL FROM iam.session WHERE user_id = %d" % uid) == [["t"]]
    assert s.cookie_call("POST", "/api/v1/auth/logout").status == 204
    # bearer tokens are not sent by browsers on their own: no CSRF token needed
    s2 = login(name)
    assert s2.post("/api/v1/auth/logout").status == 204


def test_sessions_list_and_revoke_only_ones_own():
    uid, name = make_user()
    other_uid, other = make_user()
    a, b = login(name), login(name)
    o = login(other)
    items = a.get("/api/v1/auth/sessions").json["items"]
    assert len(items) == 2 and sum(1 for i in items if i["current"]) == 1
    b_id = [i["id"] for i in items if not i["current"]][0]
    o_id = o.get("/api/v1/auth/sessions").json["items"][0]["id"]
    assert_problem(a.call("DELETE", "/api/v1/auth/sessions/%d" % o_id), 404, "session_not_found")
    assert o.get("/api/v1/auth/me").status == 200
    assert a.call("DELETE", "/api/v1/auth/sessions/%d" % b_id).status == 204
    assert_problem(b.get("/api/v1/auth/me"), 401, "unauthenticated")
    assert a.get("/api/v1/auth/me").status == 200


def test_malformed_or_unknown_tokens_are_401():
    for h in ({"Authorization": "Bearer short"}, {"Authorization": "Bearer " + "A" * 43},
              {"Cookie": "__Host-tb_session=" + "B" * 43}, {"Authorization": "Basic eDp5"}, {}):
        r = request("GET", "/api/v1/auth/me", headers=h)
        assert_problem(r, 401, "unauthenticated")
        assert r.header("WWW-Authenticate") == 'Bearer realm="tongban"'


def test_session_check_with_redis_down():
    uid, name = make_user(grants=[("cashier", "451302")])
    s = login(name)
    assert s.get("/api/v1/auth/me").status == 200
    stack("redis-stop")
    try:
        assert s.get("/api/v1/auth/me").status == 200
        # revoked behind the services' back: each worker re-reads PostgreSQL
        # once its in-memory copy (at most a second old) expires
        sql("UPDATE iam.session SET revoked_at = now() WHERE user_id = %d" % uid)
        time.sleep(1.1)
        assert_problem(s.get("/api/v1/auth/me"), 401, "unauthenticated")
    finally:
        stack("redis-start")
    assert wait_until(lambda: get("/readyz").json["checks"]["redis"] == "ok", 5)
