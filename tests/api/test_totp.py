"""The second factor: administrators need it before their admin
permissions count; enrolment, confirmation, log-in with codes."""
import base64
import struct
import time
import zlib

from auth_lib import TOTP_KEY, give_enrolment_code, last_audit, login, login_mfa, make_user, totp
from lib import assert_problem, sql


def b32decode(s):
    return base64.b32decode(s + "=" * (-len(s) % 8))


def check_png(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        crc = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0]
        assert zlib.crc32(kind + body) == crc, kind
        chunks[kind] = body
        pos += 12 + n
    w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    raw = zlib.decompress(chunks[b"IDAT"])
    assert w == h and depth == 1 and colour == 0 and len(raw) == h * ((w + 7) // 8 + 1)
    return w


def test_admin_without_second_factor_cannot_use_admin_endpoints():
    uid, name = make_user(agency="451300", grants=[("jurisdiction_admin", "451300")])
    s = login(name)
    assert s.body["user"]["mfa_required"] is True and s.body["user"]["mfa"] is False
    assert_problem(s.get("/api/v1/users"), 403, "mfa_required")
    me = s.get("/api/v1/auth/me").json
    assert me["mfa"] is False and me["permissions"] == []
    assert me["roles"][0]["role"] == "jurisdiction_admin"


def test_enrol_confirm_then_log_in_with_codes():
    uid, name = make_user(agency="450000", grants=[("auditor", "450000")])
    s = login(name)
    assert_problem(s.get("/api/v1/audit"), 403, "mfa_required")
    e = s.post("/api/v1/auth/totp/enroll", {"enrolment_code": give_enrolment_code(uid)})
    assert e.status == 200
    b = e.json
    assert b["otpauth_uri"] == ("otpauth://totp/Tongban:%s?secret=%s&issuer=Tongban&algorithm=SHA1&digits=6&period=30"
                                % (name, b["secret"]))
    key = b32decode(b["secret"])
    assert len(key) == 20
    assert b["qr_png"].startswith("data:image/png;base64,")
    assert check_png(base64.b64decode(b["qr_png"].split(",", 1)[1])) > 100
    assert_problem(s.post("/api/v1/auth/totp/confirm", {"otp": "000000" if totp(key) != "000000" else "111111"}),
                   400, "invalid_otp")
    c = s.post("/api/v1/auth/totp/confirm", {"otp": totp(key)})
    assert c.status == 200 and c.json == {"totp_enabled": True, "mfa": True}
    assert s.get("/api/v1/audit").status == 200  # this session now counts as second-factor
    assert last_audit("auth.totp.enable")["actor_id"] == uid
    # from now on log-in asks for the code, and a wrong one is a failure
    assert_problem(login(name, expect=401), 401, "otp_required")
    later = time.time() + 60
    assert_problem(login(name, otp="999999" if totp(key, later) != "999999" else "888888", now=later, expect=401),
                   401, "invalid_credentials")
    s2 = login(name, otp=totp(key, later), now=later)
    assert s2.body["user"]["mfa"] is True
    # the same code cannot be used twice
    assert_problem(login(name, otp=totp(key, later), now=later, expect=401), 401, "invalid_credentials")


def test_replacing_a_second_factor_needs_the_second_factor():
    uid, name = make_user(agency="450000", grants=[("security_admin", "450000")], totp_enabled=True)
    t = time.time() + 300
    s = login(name, otp=totp(t=t), now=t)
    assert s.post("/api/v1/auth/totp/enroll").status == 200
    # a password-only session of a user with TOTP cannot exist: no otp, no session
    assert_problem(login(name, expect=401), 401, "otp_required")
    # the pending replacement did not replace the secret in use
    later = t + 60
    assert login(name, otp=totp(t=later), now=later).body["user"]["mfa"] is True


def test_clerk_roles_need_no_second_factor():
    uid, name = make_user(grants=[("intake_clerk", "451302")])
    s = login(name)
    assert s.body["user"]["mfa_required"] is False
    perms = {p["permission"] for p in s.get("/api/v1/auth/me").json["permissions"]}
    assert perms == {"case.create", "case.read", "case.deliver", "registry.read"}


def test_login_mfa_helper_works_for_matrix_users():
    uid, name = make_user(agency="450000", grants=[("system_admin", "450000")], totp_enabled=True)
    s = login_mfa(name, now=time.time() + 600)
    assert s.get("/api/v1/users").status == 200


def enrolled_user():
    """A clerk who enrolled through the API; returns (uid, name, key)."""
    uid, name = make_user(grants=[("intake_clerk", "451302")])
    s = login(name)
    key = b32decode(s.post("/api/v1/auth/totp/enroll").json["secret"])
    assert s.post("/api/v1/auth/totp/confirm", {"otp": totp(key)}).status == 200
    return uid, name, key


def test_totp_secrets_are_sealed_at_rest():
    uid, name, key = enrolled_user()
    row = sql("SELECT totp_secret, totp_pending IS NULL, totp_secret_legacy IS NULL FROM iam.user WHERE id = %d" % uid)
    sealed = row[0][0]
    assert sealed.startswith("v1.") and row[0][1:] == ["t", "t"]
    everything = sql("SELECT u::text FROM iam.user u WHERE id = %d" % uid)[0][0].lower()
    assert key.hex() not in everything and base64.b32encode(key).decode().lower().rstrip("=") not in everything
    later = time.time() + 90
    assert login(name, otp=totp(key, later), now=later).body["user"]["mfa"] is True


def test_a_pending_secret_is_sealed_too():
    uid, name = make_user(grants=[("intake_clerk", "451302")])
    key = b32decode(login(name).post("/api/v1/auth/totp/enroll").json["secret"])
    pending = sql("SELECT totp_pending FROM iam.user WHERE id = %d" % uid)[0][0]
    assert pending.startswith("v1.") and key.hex() not in pending


def test_a_tampered_sealed_secret_does_not_open_and_the_log_in_fails_closed():
    uid, name, key = enrolled_user()
    sealed = sql("SELECT totp_secret FROM iam.user WHERE id = %d" % uid)[0][0]
    c = sealed[-10]  # inside the tag
    sql("UPDATE iam.user SET totp_secret = '%s' WHERE id = %d"
        % (sealed[:-10] + ("A" if c != "A" else "B") + sealed[-9:], uid))
    later = time.time() + 150
    assert_problem(login(name, otp=totp(key, later), now=later, expect=401), 401, "invalid_credentials")


def test_a_pending_value_moved_into_the_secret_column_does_not_open():
    uid, name, key = enrolled_user()
    s = login(name, otp=totp(key, time.time() + 60), now=time.time() + 60)
    new_key = b32decode(s.post("/api/v1/auth/totp/enroll").json["secret"])
    sql("UPDATE iam.user SET totp_secret = totp_pending WHERE id = %d" % uid)
    later = time.time() + 210
    assert_problem(login(name, otp=totp(new_key, later), now=later, expect=401), 401, "invalid_credentials")


def test_a_clear_legacy_secret_is_sealed_by_its_first_use():
    uid, name = make_user(agency="450000", grants=[("auditor", "450000")], totp_enabled=True)
    assert sql("SELECT totp_secret IS NULL, totp_secret_legacy IS NOT NULL FROM iam.user WHERE id = %d" % uid) == \
        [["t", "t"]]
    later = time.time() + 240
    assert login_mfa(name, now=later).body["user"]["mfa"] is True
    row = sql("SELECT totp_secret, totp_secret_legacy IS NULL FROM iam.user WHERE id = %d" % uid)[0]
    assert row[0].startswith("v1.") and row[1] == "t"
    assert login_mfa(name, now=later + 30).body["user"]["mfa"] is True
