"""Accounts and sessions for tests: users are made directly in the database
(the API for making them is tested on its own), sessions by logging in."""
import base64
import hashlib
import hmac
import itertools
import os
import json
import struct
import time

from lib import request, sql

PASSWORD = "Test-Passw0rd!"
_SALT = b"tongban-test-salt"
PW_HASH = "$pbkdf2-sha256$600000$%s$%s" % (
    base64.b64encode(_SALT).decode(),
    base64.b64encode(hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), _SALT, 600000)).decode())
TOTP_KEY = b"12345678901234567890"  # RFC 6238's SHA-1 test key
# fixtures run as separate processes, often several in one second: start from the
# microsecond and the pid, so two processes never hand out the same names
_seq = itertools.count((time.time_ns() // 1000 + os.getpid()) % 10**9 * 100)


def pw_hash(password, iterations):
    h = hashlib.pbkdf2_hmac("sha256", password.encode(), _SALT, iterations)
    return "$pbkdf2-sha256$%d$%s$%s" % (iterations, base64.b64encode(_SALT).decode(), base64.b64encode(h).decode())


def totp(key=TOTP_KEY, t=None, digits=6):
    step = int((time.time() if t is None else t) // 30)
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 15
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 10 ** digits
    return "%0*d" % (digits, code)


def unique(prefix):
    return "%s%d" % (prefix, next(_seq))


def make_user(agency="451302", grants=(), username=None, totp_enabled=False, must_change=False,
              status="active", password_hash=None, created_by=None):
    """Insert a user with grants [(role, scope)]; returns (id, username).
    With totp_enabled the secret TOTP_KEY waits in clear in
    totp_secret_legacy (as after a migration or demo load): the first log-in
    with a code seals it with the stack's data keys."""
    username = username or unique("u")
    secret = "decode('%s', 'hex')" % TOTP_KEY.hex() if totp_enabled else "NULL"
    rows = sql("INSERT INTO iam.user (username, display_name, agency_code, password_hash, must_change_password,"
               " status, totp_secret_legacy, created_by) VALUES ('%s', '测试用户', '%s', '%s', %s, '%s', %s, %s)"
               " RETURNING id"
               % (username, agency, password_hash or PW_HASH, "true" if must_change else "false", status, secret,
                  "NULL" if created_by is None else int(created_by)))
    uid = int(rows[0][0])
    for role, scope in grants:
        sql("INSERT INTO iam.grant (user_id, role_code, scope_code) VALUES (%d, '%s', '%s')" % (uid, role, scope))
    return uid, username


class Session:
    def __init__(self, token, csrf, body):
        self.token, self.csrf, self.body = token, csrf, body

    def call(self, method, path, json_body=None, headers=None, **kw):
        h = {"Authorization": "Bearer " + self.token}
        h.update(headers or {})
        return request(method, path, json_body=json_body, headers=h, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, json_body=body if body is not None else {}, **kw)

    def cookie_call(self, method, path, json_body=None, csrf=True, headers=None):
        h = {"Cookie": "__Host-tb_session=" + self.token}
        if csrf:
            h["X-CSRF-Token"] = self.csrf if csrf is True else csrf
        h.update(headers or {})
        return request(method, path, json_body=json_body, headers=h)


def login(username, password=PASSWORD, otp=None, now=None, expect=200):
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    headers = {"X-Tb-Test-Now": str(int(now))} if now else {}
    r = request("POST", "/api/v1/auth/login", json_body=body, headers=headers)
    assert r.status == expect, r
    if r.status != 200:
        return r
    b = r.json
    return Session(b["token"], b["csrf_token"], b)


def login_mfa(username, now=None):
    """Log in a user whose TOTP secret is TOTP_KEY, with a fresh code."""
    return login(username, otp=totp(t=now), now=now)


def audit_count(where="true"):
    return int(sql("SELECT count(*) FROM audit.event e WHERE %s" % where)[0][0])


def last_audit(action):
    rows = sql("SELECT seq, actor_id, action, object_type, object_id, outcome, details::text FROM audit.event"
               " WHERE action = '%s' ORDER BY seq DESC LIMIT 1" % action)
    if not rows:
        return None
    r = rows[0]
    return {"seq": int(r[0]), "actor_id": int(r[1]) if r[1] else None, "action": r[2],
            "object_type": r[3], "object_id": r[4], "outcome": r[5], "details": json.loads(r[6])}


def login_from(source, username, password=PASSWORD, otp=None, now=None):
    """A log-in sent straight to an admin worker's socket with REMOTE_ADDR =
    source, as nginx would pass it for a client at that address. Returns
    (status, headers, body as JSON)."""
    from lib import STACK, fcgi_connect, fcgi_params, fcgi_read_response, fcgi_request_bytes
    body = {"username": username, "password": password}
    if otp is not None:
        body["otp"] = otp
    raw = json.dumps(body).encode()
    extra = {"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(raw))}
    if now is not None:
        extra["HTTP_X_TB_TEST_NOW"] = str(int(now))
    s = fcgi_connect("%s/run/admin.sock" % STACK)
    try:
        s.sendall(fcgi_request_bytes(1, fcgi_params("/api/v1/auth/login", method="POST", remote=source, **extra),
                                     body=raw, keep=False))
        status, headers, out, _ = fcgi_read_response(s)
    finally:
        s.close()
    return status, headers, json.loads(out.decode()) if out else None


def admin_session(role, div, agency=None, now=None, created_by=None):
    """A user holding role at div with TOTP, logged in with a code:
    returns (id, Session)."""
    uid, name = make_user(agency=agency or div, grants=[(role, div)], totp_enabled=True, created_by=created_by)
    return uid, login_mfa(name, now=now)


def give_enrolment_code(uid, code="ABCD-EFGH-IJKL-MNOP"):
    """Store an enrolment code for uid as the API would (its SHA-256 over the
    16 characters without dashes, 72 hours); returns the code."""
    sql("UPDATE iam.user SET enrol_code_hash = sha256('%s'::bytea), enrol_code_expires = now() + interval '72 hours'"
        " WHERE id = %d" % (code.replace("-", ""), uid))
    return code
