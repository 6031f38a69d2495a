"""Log-in: success, the same answer for every failure, lockout counted in
PostgreSQL, rehash when parameters rise, bad input."""
import hashlib
import time

from auth_lib import (PASSWORD, audit_count, last_audit, login, login_from, make_user, pw_hash, unique)
from lib import assert_problem, post, request, sql, stack, wait_until, get


def test_login_returns_token_csrf_and_a_strict_cookie():
    uid, name = make_user(grants=[("intake_clerk", "451302")])
    r = post("/api/v1/auth/login", {"username": name, "password": PASSWORD})
    assert r.status == 200
    b = r.json
    assert len(b["token"]) == 43
    # the CSRF token is derived from the session token (see test_portal_api)
    assert b["csrf_token"] == hashlib.sha256(b"tongban-csrf\0" + b["token"].encode()).hexdigest()
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


def fail(name, now, i=0):
    return request("POST", "/api/v1/auth/login", json_body={"username": name, "password": "Wrong-Passw0rd!%d" % i},
                   headers={"X-Tb-Test-Now": str(int(now))})


def lock_from_here(name, t0):
    for i in range(5):
        assert_problem(fail(name, t0, i), 401, "invalid_credentials")


def test_five_failures_lock_that_source_only_and_the_user_logs_in_from_elsewhere():
    uid, name = make_user()
    t0 = int(time.time())
    lock_from_here(name, t0)
    # locked from here: even the right password is refused, with Retry-After
    r = request("POST", "/api/v1/auth/login", json_body={"username": name, "password": PASSWORD},
                headers={"X-Tb-Test-Now": str(t0)})
    assert_problem(r, 429, "login_locked")
    assert 59 <= int(r.header("Retry-After")) <= 61
    assert sql("SELECT source, failures, locked_until > to_timestamp(%d) FROM iam.login_throttle WHERE user_id = %d"
               % (t0, uid)) == [["127.0.0.1", "5", "t"]]
    # the real user, from another address, is not held back
    status, _, body = login_from("10.20.30.40", name, now=t0)
    assert status == 200 and body["user"]["id"] == uid
    # a Redis restart changes nothing here: the count is in PostgreSQL
    stack("redis-stop")
    stack("redis-start")
    assert_problem(request("POST", "/api/v1/auth/login", json_body={"username": name, "password": PASSWORD},
                           headers={"X-Tb-Test-Now": str(t0 + 30)}), 429, "login_locked")
    s = login(name, now=t0 + 62)
    assert s.body["user"]["id"] == uid
    assert sql("SELECT count(*) FROM iam.login_throttle WHERE user_id = %d AND source = '127.0.0.1'" % uid) == [["0"]]


def test_each_further_failure_doubles_the_delay_up_to_fifteen_minutes():
    uid, name = make_user()
    t = int(time.time())
    lock_from_here(name, t)
    waits = []
    for i in range(6):
        r = request("POST", "/api/v1/auth/login", json_body={"username": name, "password": PASSWORD},
                    headers={"X-Tb-Test-Now": str(t)})
        wait = int(r.header("Retry-After"))
        waits.append(wait)
        t += wait + 1
        assert_problem(fail(name, t, 9), 401, "invalid_credentials")
    assert waits == [61, 121, 241, 481, 901, 901], waits


def test_many_sources_failing_on_one_name_raise_an_alert():
    uid, name = make_user()
    t0 = int(time.time())
    before = audit_count("action = 'auth.login.alert' AND object_id = '%d'" % uid)
    for i in range(5):
        status, _, body = login_from("10.66.0.%d" % (i + 1), name, password="Wrong-Passw0rd!", now=t0)
        assert status == 401 and body["code"] == "invalid_credentials"
    a = last_audit("auth.login.alert")
    assert a["object_id"] == str(uid) and a["details"] == {"sources": "5"}
    assert audit_count("action = 'auth.login.alert' AND object_id = '%d'" % uid) == before + 1
    # not locked anywhere: each source failed once
    assert login(name, now=t0).body["user"]["id"] == uid


def test_administrators_list_and_lift_locks_but_not_their_own():
    uid, name = make_user(agency="451302", grants=[("reviewer", "451302")])
    t0 = int(time.time())
    lock_from_here(name, t0)
    ja_uid, ja_name = make_user(agency="451300", grants=[("jurisdiction_admin", "451300")], totp_enabled=True)
    ja = login_from_nginx_mfa(ja_name, t0)
    locks = [l for l in ja.get("/api/v1/auth/login-locks", headers={"X-Tb-Test-Now": str(t0)}).json["items"]
             if l["user_id"] == uid]
    assert len(locks) == 1 and locks[0]["username"] == name and locks[0]["source"] == "127.0.0.1"
    assert locks[0]["failures"] == 5
    # a clerk may not see them; an admin of another city may not lift them
    clerk = login(make_user(grants=[("intake_clerk", "451302")])[1])
    assert_problem(clerk.get("/api/v1/auth/login-locks"), 403, "forbidden")
    _, other = make_user(agency="450100", grants=[("jurisdiction_admin", "450100")], totp_enabled=True)
    assert_problem(login_from_nginx_mfa(other, t0).call("DELETE", "/api/v1/auth/login-locks/%d" % locks[0]["id"]),
                   403, "forbidden")
    r = ja.call("DELETE", "/api/v1/auth/login-locks/%d" % locks[0]["id"])
    assert r.status == 204
    a = last_audit("auth.login.unlock")
    assert a["actor_id"] == ja_uid and a["object_id"] == str(uid) and a["details"] == {"source": "127.0.0.1"}
    assert login(name, now=t0).body["user"]["id"] == uid
    assert_problem(ja.call("DELETE", "/api/v1/auth/login-locks/%d" % locks[0]["id"]), 404, "lock_not_found")
    # its own lock stays
    lock_from_here(ja_name, t0)
    own = sql("SELECT id FROM iam.login_throttle WHERE user_id = %d AND source = '127.0.0.1'" % ja_uid)[0][0]
    assert_problem(ja.call("DELETE", "/api/v1/auth/login-locks/%s" % own), 403, "own_account")
    assert sql("SELECT count(*) FROM iam.login_throttle WHERE id = %s" % own) == [["1"]]


def login_from_nginx_mfa(name, t0):
    from auth_lib import totp
    return login(name, otp=totp(t=t0), now=t0)


def test_a_password_typed_as_the_username_leaves_no_trace():
    typed = "Sec%dret-Passw0rd!" % int(time.time() * 1000)
    before = audit_count()
    assert_problem(post("/api/v1/auth/login", {"username": typed, "password": "whatever"}), 401,
                   "invalid_credentials")
    assert audit_count() == before + 1
    assert audit_count("e::text ILIKE '%%%s%%'" % typed.lower()[:12]) == 0
    assert int(sql("SELECT count(*) FROM iam.login_throttle t WHERE t::text ILIKE '%%%s%%'"
                   % typed.lower()[:12])[0][0]) == 0
    a = last_audit("auth.login")
    assert a["actor_id"] is None and not a["object_id"] and a["details"] == {"reason": "unknown user"}


def test_a_failed_log_in_of_an_account_names_the_account():
    uid, name = make_user()
    assert_problem(post("/api/v1/auth/login", {"username": name.upper(), "password": "Wrong-Passw0rd!"}), 401,
                   "invalid_credentials")
    a = last_audit("auth.login")
    assert a["actor_id"] == uid and a["object_id"] == str(uid) and a["details"] == {"reason": "password"}


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
