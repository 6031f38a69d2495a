"""Log-in: success, the same answer for every failure, lockout counted in
PostgreSQL, rehash when parameters rise, bad input."""
import time

from auth_lib import (PASSWORD, audit_count, last_audit, login, make_user, pw_hash, unique)
from lib import assert_problem, post, request, sql, stack, wait_until, get


def test_login_returns_token_csrf_and_a_strict_cookie():
    uid, name = make_user(grants=[("intake_clerk", "451302")])
    r = post("/api/v1/auth/login", {"username": name, "password": PASSWORD})
    assert r.status == 200
    b = r.json
    assert len(b["token"]) == 43 and len(b["csrf_token"]) == 43
    assert b["user"] == {"id": uid, "username": name, "display_name": "测试用户", "agency_code": "451302",
                         "must_change_password": False, "mfa": False, "mfa_required": False}
    assert b["expires_at"].endswith("+08:00")
    cookie = r.header("Set-Cookie")
    assert cookie.startswith("__Host-tb_session=%s;" % b["token"])
    for attr in ("Path=/", "Secure", "HttpOnly", "SameSite=Strict", "Max-Age=43200"):
        assert attr in cookie, cookie
    # only hashes are stored
    rows = sql("SELECT encode(token_hash, 'hex'), mfa FROM iam.session WHERE user_id = %d" % uid)
    assert len(rows) == 1 and b["token"] not in rows[0][0]
    a = last_audit("auth.login")
    assert a["actor_id"] == uid and a["outcome"] == "success"


def test_unknown_user_and_wrong_password_get_the_same_answer():
    uid, name = make_user()
    wrong = post("/api/v1/auth/login", {"username": name, "password": "Wrong-Passw0rd!"})
    unknown = post("/api/v1/auth/login", {"username": unique("nobody"), "password": "Wrong-Passw0rd!"})
    for r in (wrong, unknown):
        b = assert_problem(r, 401, "invalid_credentials")
    assert wrong.json["detail"] == unknown.json["detail"]
    assert set(wrong.json) == set(unknown.json)


def test_five_failures_lock_for_fifteen_minutes_then_unlock():
    uid, name = make_user()
    t0 = int(time.time())
    hdr = {"X-Tb-Test-Now": str(t0)}
    for i in range(5):
        r = request("POST", "/api/v1/auth/login", json_body={"username": name, "password": "Wrong-Passw0rd!%d" % i},
                    headers=hdr)
        assert_problem(r, 401, "invalid_credentials")
    # locked: even the right password is refused, with Retry-After
    r = request("POST", "/api/v1/auth/login", json_body={"username": name, "password": PASSWORD}, headers=hdr)
    assert_problem(r, 429, "login_locked")
    assert 890 <= int(r.header("Retry-After")) <= 901
    assert sql("SELECT locked_until > now() FROM iam.login_failure WHERE username = '%s'" % name) == [["t"]]
    # a Redis restart changes nothing: the count is in PostgreSQL
    stack("redis-stop")
    stack("redis-start")
    r = request("POST", "/api/v1/auth/login", json_body={"username": name, "password": PASSWORD},
                headers={"X-Tb-Test-Now": str(t0 + 14 * 60)})
    assert_problem(r, 429, "login_locked")
    s = login(name, now=t0 + 15 * 60 + 2)
    assert s.body["user"]["id"] == uid
    assert sql("SELECT count(*) FROM iam.login_failure WHERE username = '%s'" % name) == [["0"]]


def test_unknown_usernames_lock_too():
    name = unique("ghost")
    for i in range(5):
        assert_problem(post("/api/v1/auth/login", {"username": name, "password": "x%d" % i}), 401,
                       "invalid_credentials")
    assert_problem(post("/api/v1/auth/login", {"username": name, "password": "x"}), 429, "login_locked")


def test_stored_hash_with_fewer_iterations_is_raised_at_login():
    uid, name = make_user(password_hash=pw_hash(PASSWORD, 10000))
    login(name)
    h = sql("SELECT password_hash FROM iam.user WHERE id = %d" % uid)[0][0]
    assert h.startswith("$pbkdf2-sha256$600000$"), h
    assert last_audit("auth.login")["details"].get("rehashed") == "true"
    login(name)  # and the new hash verifies


def test_disabled_account_cannot_log_in():
    uid, name = make_user(status="disabled")
    assert_problem(post("/api/v1/auth/login", {"username": name, "password": PASSWORD}), 401, "invalid_credentials")


def test_bad_login_input_is_400_and_writes_nothing():
    before = audit_count()
    sessions = int(sql("SELECT count(*) FROM iam.session")[0][0])
    cases = [
        ({"password": PASSWORD}, "missing_field"),
        ({"username": "a"}, "missing_field"),
        ({"username": 12, "password": PASSWORD}, "invalid_field"),
        ({"username": "a", "password": ["x"]}, "invalid_field"),
        ({"username": "a" * 65, "password": PASSWORD}, "invalid_field"),
        ({"username": "a", "password": "x" * 1025}, "invalid_field"),
        ({"username": "a\u0001b", "password": PASSWORD}, "invalid_character"),
        ({"username": "a", "password": PASSWORD, "otp": "12"}, "invalid_field"),
        ({"username": "a", "password": PASSWORD, "admin": True}, "unknown_field"),
    ]
    for body, code in cases:
        assert_problem(post("/api/v1/auth/login", body), 400, code)
    r = request("POST", "/api/v1/auth/login", body=b'{"username":"\xff","password":"x"}',
                headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "invalid_utf8")
    assert audit_count() == before
    assert int(sql("SELECT count(*) FROM iam.session")[0][0]) == sessions


def test_login_works_with_redis_down():
    uid, name = make_user(grants=[("reviewer", "451302")])
    stack("redis-stop")
    try:
        s = login(name)
        me = s.get("/api/v1/auth/me")
        assert me.status == 200 and me.json["user"]["id"] == uid
        assert s.post("/api/v1/auth/logout").status == 204
        assert_problem(s.get("/api/v1/auth/me"), 401, "unauthenticated")
    finally:
        stack("redis-start")
    assert wait_until(lambda: get("/readyz").json["checks"]["redis"] == "ok", 5)
