"""Revocations hold however Redis fails: stalled (SIGSTOP) for a moment or
for longer, or stopped, across a disable, a log-out, a password reset or a
removed grant, no revoked session succeeds one second later on any service
(admin and intake, every worker)."""
import os
import signal
import threading
import time
from contextlib import contextmanager

from auth_lib import login, login_mfa, make_user
from lib import STACK, assert_problem, get, sql, stack, wait_until

TRIES = 8  # requests per check: each pool has several workers


def redis_pid():
    with open(os.path.join(STACK, "run", "redis.pid")) as f:
        return int(f.read().strip())


@contextmanager
def redis_stalled(seconds):
    """Redis stopped with SIGSTOP now and continued after `seconds` (from a
    timer, so the body runs while it is stalled); always continued."""
    pid = redis_pid()
    os.kill(pid, signal.SIGSTOP)
    timer = threading.Timer(seconds, os.kill, (pid, signal.SIGCONT))
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        os.kill(pid, signal.SIGCONT)


_clock = [2000]


def admin():
    uid, name = make_user(agency="451302", grants=[("jurisdiction_admin", "451302")], totp_enabled=True)
    _clock[0] += 60
    return login_mfa(name, now=time.time() + _clock[0])


def clerk_with_sessions(n=3):
    uid, name = make_user(grants=[("intake_clerk", "451302")])
    sessions = [login(name) for _ in range(n)]
    for s in sessions:  # cached in Redis and in the workers of both pools
        for _ in range(TRIES):
            assert s.get("/api/v1/auth/me").status == 200
            assert s.get("/api/v1/cases").status == 200
    return uid, name, sessions


def assert_refused(sessions, status=401, code="unauthenticated", paths=("/api/v1/auth/me", "/api/v1/cases")):
    for s in sessions:
        for path in paths:
            for _ in range(TRIES):
                assert_problem(s.get(path), status, code)


def assert_working(sessions):
    for s in sessions:
        for _ in range(TRIES):
            assert s.get("/api/v1/auth/me").status == 200
            assert s.get("/api/v1/cases").status == 200


def redis_back():
    assert wait_until(lambda: get("/readyz").json["checks"]["redis"] == "ok", 5)


def disable(a, uid):
    v = a.get("/api/v1/users/%d" % uid).json["version"]
    r = a.call("PATCH", "/api/v1/users/%d" % uid, json_body={"version": v, "status": "disabled"})
    assert r.status == 200, r


def test_disable_during_a_short_redis_stall_holds_for_all_three_sessions():
    a = admin()
    uid, _, sessions = clerk_with_sessions()
    with redis_stalled(0.2):
        disable(a, uid)
    time.sleep(1.0)
    assert_refused(sessions)
    assert sql("SELECT status FROM iam.user WHERE id = %d" % uid) == [["disabled"]]
    redis_back()


def test_disable_during_a_long_redis_stall_holds_while_stalled_and_after():
    a = admin()
    uid, _, sessions = clerk_with_sessions()
    with redis_stalled(3.0):
        disable(a, uid)
        time.sleep(1.0)
        assert_refused(sessions)  # Redis still stopped
    # continued, with every stale copy still in it: still refused
    assert_refused(sessions)
    redis_back()


def test_logout_of_one_session_during_a_redis_stall_holds_and_spares_the_others():
    uid, _, sessions = clerk_with_sessions()
    gone, kept = sessions[0], sessions[1:]
    with redis_stalled(0.2):
        assert gone.post("/api/v1/auth/logout").status == 204
    time.sleep(1.0)
    assert_refused([gone])
    assert_working(kept)
    redis_back()


def test_password_reset_during_a_redis_stall_ends_every_session():
    a = admin()
    uid, name, sessions = clerk_with_sessions()
    with redis_stalled(0.2):
        r = a.post("/api/v1/users/%d/password-reset" % uid, {"password": "Reset-Stalled-Passw0rd!"})
        assert r.status == 200, r
    time.sleep(1.0)
    assert_refused(sessions)
    assert sql("SELECT count(*) FROM iam.session WHERE user_id = %d AND revoked_at IS NULL" % uid) == [["0"]]
    redis_back()


def test_removed_grant_during_a_redis_stall_is_403_within_a_second():
    a = admin()
    uid, _, sessions = clerk_with_sessions()
    gid = int(sql("SELECT id FROM iam.grant WHERE user_id = %d" % uid)[0][0])
    with redis_stalled(0.2):
        assert a.call("DELETE", "/api/v1/grants/%d" % gid).status == 204
    time.sleep(1.0)
    assert_refused(sessions, 403, "forbidden", paths=("/api/v1/cases",))
    for s in sessions:  # the sessions themselves stay valid
        assert s.get("/api/v1/auth/me").json["roles"] == []
    redis_back()


def test_revocation_behind_the_services_back_holds_without_any_cache_delete():
    # nothing tells Redis or the workers: only the revocation epoch does
    uid, _, sessions = clerk_with_sessions()
    epoch = int(sql("SELECT epoch FROM iam.revocation_epoch")[0][0])
    sql("UPDATE iam.user SET status = 'disabled' WHERE id = %d" % uid)
    assert int(sql("SELECT epoch FROM iam.revocation_epoch")[0][0]) > epoch
    time.sleep(1.0)
    assert_refused(sessions)


def test_revocation_while_redis_is_stopped_holds_after_it_is_back():
    a = admin()
    uid, _, sessions = clerk_with_sessions()
    stack("redis-stop")
    try:
        disable(a, uid)
        time.sleep(1.0)
        assert_refused(sessions)
    finally:
        stack("redis-start")
    redis_back()
    assert_refused(sessions)


def test_sessions_unaffected_by_a_revocation_keep_working_through_a_stall():
    # the epoch empties every cache: other users' sessions are re-read, not lost
    other_uid, _, others = clerk_with_sessions(2)
    a = admin()
    uid, _, sessions = clerk_with_sessions(1)
    with redis_stalled(0.2):
        disable(a, uid)
    time.sleep(1.0)
    assert_refused(sessions)
    assert_working(others)
    redis_back()
