"""Separation of duties as data: nobody acts on their own account or on an
equal or higher one, administrators hold no case-handling roles, making an
account and giving it roles takes two people, and an administrator's first
second factor needs a one-time code handed over out of band. Each hole of
issue 7 is reproduced here and now fails to get through; the database
refuses the same things when the API is bypassed."""
import time

from auth_lib import (PASSWORD, admin_session, last_audit, login, make_user, totp, unique)
from lib import assert_problem, sql

_t = [time.time() + 3600]


def admin(role, div, agency=None, created_by=None):
    _t[0] += 30
    return admin_session(role, div, agency=agency, now=_t[0], created_by=created_by)


def grants_of(uid):
    return sorted(r[0] for r in sql("SELECT role_code FROM iam.grant WHERE user_id = %d" % uid))


def pw_hash_of(uid):
    return sql("SELECT password_hash FROM iam.user WHERE id = %d" % uid)[0][0]


def db_error(stmt, user="tb_super"):
    p = sql(stmt, user=user, check=False)
    assert p.returncode != 0, stmt
    return p.stderr


# ---- hole 1: an administrator acting alone ---------------------------------

def test_hole1_security_admin_cannot_grant_itself_reviewer_over_the_region():
    uid, sec = admin("security_admin", "450000")
    r = sec.post("/api/v1/users/%d/grants" % uid, {"role": "reviewer", "scope": "450000"})
    assert_problem(r, 403, "own_account")
    assert grants_of(uid) == ["security_admin"]
    # nor through a permission request it decides itself
    pr = sec.post("/api/v1/permission-requests", {"role": "reviewer", "scope": "450000", "reason": "自批"})
    assert_problem(pr, 409, "admin_and_business_roles")
    assert grants_of(uid) == ["security_admin"]


def test_hole1_liuzhou_admin_cannot_grant_itself_the_three_case_roles():
    uid, ja = admin("jurisdiction_admin", "450200")
    for role in ("intake_clerk", "reviewer", "registrar"):
        assert_problem(ja.post("/api/v1/users/%d/grants" % uid, {"role": role, "scope": "450200"}), 403,
                       "own_account")
    assert grants_of(uid) == ["jurisdiction_admin"]
    assert int(sql("SELECT count(*) FROM iam.grant WHERE granted_by = %d" % uid)[0][0]) == 0


def test_database_refuses_a_grant_to_oneself_even_from_the_superuser():
    uid, _ = make_user(agency="450200", grants=[("jurisdiction_admin", "450200")])
    err = db_error("INSERT INTO iam.grant (user_id, role_code, scope_code, granted_by)"
                   " VALUES (%d, 'jurisdiction_admin', '450202', %d)" % (uid, uid))
    assert "nobody grants roles to their own account" in err
    assert grants_of(uid) == ["jurisdiction_admin"]


def test_nobody_revokes_their_own_roles():
    uid, ja = admin("jurisdiction_admin", "451300")
    gid = sql("SELECT id FROM iam.grant WHERE user_id = %d" % uid)[0][0]
    assert_problem(ja.call("DELETE", "/api/v1/grants/%s" % gid), 403, "own_account")
    assert grants_of(uid) == ["jurisdiction_admin"]


# ---- hole 2: a lower administrator taking over a higher account ------------

def test_hole2_liuzhou_admin_cannot_reset_a_county_security_admin():
    _, ja = admin("jurisdiction_admin", "450200")
    target, name = make_user(agency="450202", grants=[("security_admin", "450202")])
    before = pw_hash_of(target)
    r = ja.post("/api/v1/users/%d/password-reset" % target, {"password": "Takeover-Passw0rd!"})
    assert_problem(r, 403, "higher_account")
    assert pw_hash_of(target) == before
    assert_problem(login(name, "Takeover-Passw0rd!", expect=401), 401, "invalid_credentials")
    # nor disable it, nor rename it
    v = int(sql("SELECT version FROM iam.user WHERE id = %d" % target)[0][0])
    assert_problem(ja.call("PATCH", "/api/v1/users/%d" % target, json_body={"version": v, "status": "disabled"}),
                   403, "higher_account")
    assert sql("SELECT status, version FROM iam.user WHERE id = %d" % target) == [["active", str(v)]]


def test_hole2_system_admin_cannot_reset_triad_accounts_or_a_peer():
    _, sa = admin("system_admin", "450000")
    targets = [make_user(agency="450100", grants=[("security_admin", "450100")])[0],
               make_user(agency="450100", grants=[("auditor", "450100")])[0],
               make_user(agency="450000", grants=[("system_admin", "450000")])[0]]
    for target in targets:
        before = pw_hash_of(target)
        r = sa.post("/api/v1/users/%d/password-reset" % target, {"password": "Takeover-Passw0rd!"})
        assert_problem(r, 403, "higher_account")
        assert pw_hash_of(target) == before


def test_database_refuses_a_password_or_status_change_by_a_lower_admin_or_oneself():
    ja, _ = make_user(agency="450200", grants=[("jurisdiction_admin", "450200")])
    target, _ = make_user(agency="450202", grants=[("security_admin", "450202")])
    before = pw_hash_of(target)
    err = db_error("SELECT set_config('tb.actor', '%d', true); UPDATE iam.user SET password_hash = 'x' WHERE id = %d"
                   % (ja, target), user="tb_admin")
    assert "is not below user" in err
    err = db_error("UPDATE iam.user SET password_hash = 'x' WHERE id = %d" % target, user="tb_admin")
    assert "names who makes it" in err
    err = db_error("SELECT set_config('tb.actor', '%d', true); UPDATE iam.user SET status = 'disabled' WHERE id = %d"
                   % (target, target), user="tb_admin")
    assert "nobody changes the status of their own account" in err
    assert pw_hash_of(target) == before
    assert sql("SELECT status FROM iam.user WHERE id = %d" % target) == [["active"]]


def test_system_admin_resets_a_lower_jurisdiction_admin_which_loses_its_totp_and_gets_a_code():
    _, sa = admin("system_admin", "450000")
    target, name = make_user(agency="451300", grants=[("jurisdiction_admin", "451300")], totp_enabled=True)
    r = sa.post("/api/v1/users/%d/password-reset" % target, {"password": "Reset-Passw0rd-1"})
    assert r.status == 200, r
    b = r.json
    assert b["totp_cleared"] is True and len(b["enrolment_code"]) == 19
    assert sql("SELECT totp_secret IS NULL AND totp_secret_legacy IS NULL, enrol_code_hash IS NOT NULL,"
               " must_change_password FROM iam.user WHERE id = %d" % target) == [["t", "t", "t"]]
    assert b["enrolment_code"].replace("-", "") not in str(sql("SELECT u FROM iam.user u WHERE id = %d" % target))
    assert last_audit("user.password.reset")["details"] == {"totp_cleared": "true"}
    # the new password alone gives no second factor: the code is needed
    s = login(name, "Reset-Passw0rd-1")
    assert s.body["user"]["mfa"] is False


def test_jurisdiction_admin_cannot_manage_its_own_account_or_a_peer_admin():
    uid, ja = admin("jurisdiction_admin", "451300")
    v = int(sql("SELECT version FROM iam.user WHERE id = %d" % uid)[0][0])
    assert_problem(ja.call("PATCH", "/api/v1/users/%d" % uid, json_body={"version": v, "display_name": "我"}), 403,
                   "own_account")
    assert_problem(ja.post("/api/v1/users/%d/password-reset" % uid, {"password": "Own-Reset-Passw0rd"}), 403,
                   "own_account")
    for agency, scope in (("451300", "451300"), ("451302", "451302")):
        peer, _ = make_user(agency=agency, grants=[("jurisdiction_admin", scope)])
        pv = int(sql("SELECT version FROM iam.user WHERE id = %d" % peer)[0][0])
        assert_problem(ja.call("PATCH", "/api/v1/users/%d" % peer, json_body={"version": pv, "status": "disabled"}),
                       403, "higher_account")
        assert_problem(ja.post("/api/v1/users/%d/grants" % peer, {"role": "query_clerk", "scope": scope}), 403,
                       "higher_account")
    assert sql("SELECT display_name FROM iam.user WHERE id = %d" % uid) == [["测试用户"]]


def test_security_admin_grants_admin_roles_only_to_accounts_below_it():
    _, sec = admin("security_admin", "451300")
    peer, _ = make_user(agency="451300", grants=[("security_admin", "451300")])
    assert_problem(sec.post("/api/v1/users/%d/grants" % peer, {"role": "security_admin", "scope": "451302"}), 403,
                   "higher_account")
    assert grants_of(peer) == ["security_admin"]


def test_database_refuses_a_grant_to_an_equal_account():
    sec, _ = make_user(agency="451300", grants=[("security_admin", "451300")])
    peer, _ = make_user(agency="451300", grants=[("security_admin", "451300")])
    err = db_error("INSERT INTO iam.grant (user_id, role_code, scope_code, granted_by)"
                   " VALUES (%d, 'security_admin', '451302', %d)" % (peer, sec))
    assert "is not below user" in err


def test_a_session_of_another_user_cannot_be_revoked():
    _, a = admin("security_admin", "450000")
    _, name = make_user(grants=[("intake_clerk", "451302")])
    b = login(name)
    sid = sql("SELECT id FROM iam.session WHERE token_hash = sha256('%s'::bytea)" % b.token)[0][0]
    assert_problem(a.call("DELETE", "/api/v1/auth/sessions/%s" % sid), 404, "session_not_found")
    assert b.get("/api/v1/auth/me").status == 200


# ---- two people to make an account and give it roles -----------------------

def test_whoever_made_an_account_does_not_give_it_roles():
    ja1_uid, ja1 = admin("jurisdiction_admin", "451300")
    _, ja2 = admin("jurisdiction_admin", "451300")
    r = ja1.post("/api/v1/users", {"username": unique("two"), "display_name": "新收件员", "agency_code": "451302",
                                   "password": "Fresh-Passw0rd-1"})
    assert r.status == 201
    uid = r.json["id"]
    assert sql("SELECT created_by FROM iam.user WHERE id = %d" % uid) == [[str(ja1_uid)]]
    assert_problem(ja1.post("/api/v1/users/%d/grants" % uid, {"role": "intake_clerk", "scope": "451302"}), 403,
                   "creator_may_not_grant")
    assert grants_of(uid) == []
    # nor by approving the account's own request
    new = login(r.json["username"], "Fresh-Passw0rd-1")
    pr = new.post("/api/v1/permission-requests", {"role": "intake_clerk", "scope": "451302", "reason": "上岗"})
    assert pr.status == 201
    assert_problem(ja1.post("/api/v1/permission-requests/%d/approve" % pr.json["id"]), 403, "creator_may_not_grant")
    assert grants_of(uid) == []
    assert sql("SELECT status FROM iam.permission_request WHERE id = %d" % pr.json["id"]) == [["pending"]]
    # a second administrator does
    ok = ja2.post("/api/v1/permission-requests/%d/approve" % pr.json["id"])
    assert ok.status == 200 and grants_of(uid) == ["intake_clerk"]


def test_database_refuses_a_grant_by_the_creator():
    creator, _ = make_user(agency="451300", grants=[("jurisdiction_admin", "451300")])
    uid, _ = make_user(agency="451302", created_by=creator)
    err = db_error("INSERT INTO iam.grant (user_id, role_code, scope_code, granted_by)"
                   " VALUES (%d, 'reviewer', '451302', %d)" % (uid, creator))
    assert "does not grant it roles" in err
    assert grants_of(uid) == []


def test_the_service_cannot_leave_out_who_granted_or_who_made_an_account():
    uid, _ = make_user(agency="451302")
    err = db_error("INSERT INTO iam.grant (user_id, role_code, scope_code) VALUES (%d, 'reviewer', '451302')" % uid,
                   user="tb_admin")
    assert "names who granted it" in err
    err = db_error("INSERT INTO iam.user (username, display_name, agency_code, password_hash)"
                   " VALUES ('%s', 'x', '451302', 'h')" % unique("nobody"), user="tb_admin")
    assert "names who made it" in err
    assert grants_of(uid) == []


def test_database_refuses_a_grant_beyond_the_granters_rules():
    ja, _ = make_user(agency="451300", grants=[("jurisdiction_admin", "451300")])
    uid, _ = make_user(agency="451302")
    err = db_error("INSERT INTO iam.grant (user_id, role_code, scope_code, granted_by)"
                   " VALUES (%d, 'auditor', '451302', %d)" % (uid, ja))
    assert "may not grant auditor" in err


# ---- administrators hold no case-handling roles ----------------------------

def test_admin_accounts_get_no_case_roles_and_clerks_no_admin_roles_through_the_api():
    _, sec = admin("security_admin", "450000")
    ja, _ = make_user(agency="451300", grants=[("jurisdiction_admin", "451300")])
    assert_problem(sec.post("/api/v1/users/%d/grants" % ja, {"role": "reviewer", "scope": "451300"}), 409,
                   "admin_and_business_roles")
    clerk, _ = make_user(agency="451302", grants=[("intake_clerk", "451302")])
    assert_problem(sec.post("/api/v1/users/%d/grants" % clerk, {"role": "jurisdiction_admin", "scope": "451302"}),
                   409, "admin_and_business_roles")
    assert grants_of(ja) == ["jurisdiction_admin"] and grants_of(clerk) == ["intake_clerk"]


def test_database_refuses_admin_with_business_role_even_from_the_superuser():
    uid, _ = make_user(agency="450200", grants=[("jurisdiction_admin", "450200")])
    err = db_error("INSERT INTO iam.grant (user_id, role_code, scope_code) VALUES (%d, 'registrar', '450200')" % uid)
    assert "administrator accounts hold no case-handling roles" in err
    clerk, _ = make_user(agency="450200", grants=[("cashier", "450200")])
    err = db_error("INSERT INTO iam.grant (user_id, role_code, scope_code) VALUES (%d, 'auditor', '450200')" % clerk)
    assert "administrator accounts hold no case-handling roles" in err
    assert grants_of(uid) == ["jurisdiction_admin"] and grants_of(clerk) == ["cashier"]


# ---- the first second factor of an administrator needs the enrolment code --

def new_admin_account():
    """A jurisdiction admin made by one admin (system) and granted by another
    (security), as the API does it; returns (uid, name, enrolment code)."""
    _, sa = admin("system_admin", "450000")
    _, sec = admin("security_admin", "450000")
    name = unique("ja")
    r = sa.post("/api/v1/users", {"username": name, "display_name": "新属地管理员", "agency_code": "451300",
                                  "password": "First-Passw0rd-1"})
    assert r.status == 201 and len(r.json["enrolment_code"]) == 19
    uid = r.json["id"]
    assert sec.post("/api/v1/users/%d/grants" % uid, {"role": "jurisdiction_admin", "scope": "451300"}).status == 201
    s = login(name, "First-Passw0rd-1")
    assert s.post("/api/v1/auth/password", {"current_password": "First-Passw0rd-1",
                                            "new_password": PASSWORD}).status == 204
    return uid, name, r.json["enrolment_code"]


def test_enrolment_code_is_required_single_use_and_right():
    uid, name, code = new_admin_account()
    s = login(name)
    assert_problem(s.post("/api/v1/auth/totp/enroll"), 403, "enrolment_code_required")
    wrong = ("A" if code[0] != "A" else "B") + code[1:]
    assert_problem(s.post("/api/v1/auth/totp/enroll", {"enrolment_code": wrong}), 403, "invalid_enrolment_code")
    assert_problem(s.post("/api/v1/auth/totp/enroll", {"enrolment_code": "not a code"}), 403,
                   "invalid_enrolment_code")
    assert sql("SELECT totp_pending IS NULL FROM iam.user WHERE id = %d" % uid) == [["t"]]
    e = s.post("/api/v1/auth/totp/enroll", {"enrolment_code": code.lower()})
    assert e.status == 200
    assert last_audit("auth.totp.enroll")["details"] == {"enrolment_code": "used"}
    # used up
    assert_problem(s.post("/api/v1/auth/totp/enroll", {"enrolment_code": code}), 403, "invalid_enrolment_code")
    import base64
    key = base64.b32decode(e.json["secret"])
    c = s.post("/api/v1/auth/totp/confirm", {"otp": totp(key)})
    assert c.status == 200 and c.json["mfa"] is True
    assert s.get("/api/v1/users").status == 200


def test_an_expired_enrolment_code_is_refused():
    uid, name, code = new_admin_account()
    sql("UPDATE iam.user SET enrol_code_expires = now() - interval '1 second' WHERE id = %d" % uid)
    s = login(name)
    assert_problem(s.post("/api/v1/auth/totp/enroll", {"enrolment_code": code}), 403, "invalid_enrolment_code")
    assert sql("SELECT totp_pending IS NULL FROM iam.user WHERE id = %d" % uid) == [["t"]]


def test_case_handling_accounts_enrol_without_a_code():
    _, name = make_user(grants=[("intake_clerk", "451302")])
    assert login(name).post("/api/v1/auth/totp/enroll").status == 200


def test_enrolment_codes_are_stored_only_hashed():
    uid, name, code = new_admin_account()
    row = sql("SELECT u::text FROM iam.user u WHERE id = %d" % uid)[0][0]
    assert code not in row and code.replace("-", "") not in row
    assert sql("SELECT length(enrol_code_hash), enrol_code_expires BETWEEN now() + interval '71 hours'"
               " AND now() + interval '73 hours' FROM iam.user WHERE id = %d" % uid) == [["32", "t"]]


def test_the_operator_bootstraps_an_administrator_who_enrols_with_the_printed_code():
    import os
    import re
    import subprocess
    from lib import ROOT, psql_conninfo
    name = unique("boot")
    p = subprocess.run([os.path.join(ROOT, "build/asan/tbctl"), "user", "create", "--username", name, "--name",
                        "首位安全管理员", "--agency", "450000", "--role", "security_admin"],
                       input="Bootstrap-Passw0rd!\n", env=dict(os.environ, TB_PG_ADMIN=psql_conninfo()),
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    code = re.search(r"enrolment code .*: ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})", p.stdout).group(1)
    uid = int(sql("SELECT id FROM iam.user WHERE username = '%s'" % name)[0][0])
    # the operator is the documented exception: no maker, no granter
    assert sql("SELECT u.created_by IS NULL, g.granted_by IS NULL FROM iam.user u JOIN iam.grant g"
               " ON g.user_id = u.id WHERE u.id = %d" % uid) == [["t", "t"]]
    s = login(name, "Bootstrap-Passw0rd!")
    assert_problem(s.post("/api/v1/auth/totp/enroll"), 403, "enrolment_code_required")
    assert s.post("/api/v1/auth/totp/enroll", {"enrolment_code": code}).status == 200
