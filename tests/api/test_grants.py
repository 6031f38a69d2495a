"""Roles, grants, delegated administration, separation of duties,
permission requests, users and agencies."""
import time

from auth_lib import last_audit, login, login_mfa, make_user, unique
from lib import assert_problem, sql

_t = [time.time() + 2400]


def admin(role, div):
    _t[0] += 30
    uid, name = make_user(agency=div, grants=[(role, div)], totp_enabled=True)
    return uid, login_mfa(name, now=_t[0])


def test_separation_of_duties_is_enforced_by_the_database():
    uid, name = make_user(agency="450000", grants=[("system_admin", "450000")])
    p = sql("INSERT INTO iam.grant (user_id, role_code, scope_code) VALUES (%d, 'auditor', '450100')" % uid, check=False)
    assert p.returncode != 0 and "separation of duties" in p.stderr
    p = sql("INSERT INTO iam.grant (user_id, role_code, scope_code) VALUES (%d, 'security_admin', '450000')" % uid,
            check=False)
    assert p.returncode != 0
    # the same triad at another scope is fine
    sql("INSERT INTO iam.grant (user_id, role_code, scope_code) VALUES (%d, 'system_admin', '450100')" % uid)


def test_separation_of_duties_through_the_api_is_409():
    sec_uid, sec = admin("security_admin", "450000")
    uid, name = make_user(agency="450100", grants=[("auditor", "450100")])
    r = sec.post("/api/v1/users/%d/grants" % uid, {"role": "system_admin", "scope": "450100"})
    assert_problem(r, 409, "separation_of_duties")
    assert sql("SELECT count(*) FROM iam.grant WHERE user_id = %d" % uid) == [["1"]]


def test_delegated_admin_grants_only_business_roles_in_their_subtree():
    ja_uid, ja = admin("jurisdiction_admin", "451300")
    uid, name = make_user(agency="451302")
    ok = ja.post("/api/v1/users/%d/grants" % uid, {"role": "reviewer", "scope": "451302"})
    assert ok.status == 201 and ok.json["role"] == "reviewer"
    assert_problem(ja.post("/api/v1/users/%d/grants" % uid, {"role": "reviewer", "scope": "451302"}), 409, "grant_exists")
    # not an administrator role, not outside the user's agency, not outside the admin's city
    assert_problem(ja.post("/api/v1/users/%d/grants" % uid, {"role": "system_admin", "scope": "451302"}), 403, "forbidden")
    assert_problem(ja.post("/api/v1/users/%d/grants" % uid, {"role": "reviewer", "scope": "451321"}), 422,
                   "scope_outside_agency")
    other_uid, _ = make_user(agency="450103")
    assert_problem(ja.post("/api/v1/users/%d/grants" % other_uid, {"role": "reviewer", "scope": "450103"}), 403,
                   "forbidden")
    for body, code in (({"role": "reviewer"}, "missing_field"), ({"role": "nope", "scope": "451302"}, "invalid_field"),
                       ({"role": "reviewer", "scope": "459999"}, "invalid_field"),
                       ({"role": "reviewer", "scope": 451302}, "invalid_field")):
        assert_problem(ja.post("/api/v1/users/%d/grants" % uid, body), 400, code)
    assert sql("SELECT role_code FROM iam.grant WHERE user_id = %d" % uid) == [["reviewer"]]


def test_security_admin_makes_admins_only_below_their_level():
    sec_uid, sec = admin("security_admin", "451300")
    uid, _ = make_user(agency="451302")
    assert sec.post("/api/v1/users/%d/grants" % uid, {"role": "jurisdiction_admin", "scope": "451302"}).status == 201
    peer, _ = make_user(agency="451300")
    assert_problem(sec.post("/api/v1/users/%d/grants" % peer, {"role": "security_admin", "scope": "451300"}), 403,
                   "forbidden")


def test_permission_request_is_decided_by_an_admin_above():
    uid, name = make_user(agency="451302", grants=[("intake_clerk", "451302")])
    clerk = login(name)
    r = clerk.post("/api/v1/permission-requests", {"role": "reviewer", "scope": "451302", "reason": "顶岗审核"})
    assert r.status == 201 and r.json["status"] == "pending"
    rid = r.json["id"]
    assert_problem(clerk.post("/api/v1/permission-requests", {"role": "reviewer", "scope": "451302", "reason": "again"}),
                   409, "request_pending")
    assert_problem(clerk.post("/api/v1/permission-requests", {"role": "reviewer", "scope": "451300", "reason": "x"}),
                   422, "scope_outside_agency")
    # a clerk cannot decide; an admin of a sibling county cannot; the city admin can
    assert_problem(clerk.post("/api/v1/permission-requests/%d/approve" % rid), 403, "forbidden")
    _, sib = admin("jurisdiction_admin", "451321")
    assert_problem(sib.post("/api/v1/permission-requests/%d/approve" % rid), 403, "forbidden")
    _, city = admin("jurisdiction_admin", "451300")
    listed = city.get("/api/v1/permission-requests?status=pending").json["items"]
    assert any(i["id"] == rid for i in listed)
    ok = city.post("/api/v1/permission-requests/%d/approve" % rid, {"comment": "同意"})
    assert ok.status == 200 and ok.json["status"] == "approved"
    assert sql("SELECT id FROM iam.grant WHERE user_id = %d AND role_code = 'reviewer'" % uid) == [[str(ok.json["grant_id"])]]
    assert_problem(city.post("/api/v1/permission-requests/%d/reject" % rid), 409, "already_decided")
    assert last_audit("permission_request.approve")["object_id"] == str(rid)
    perms = {p["permission"] for p in clerk.get("/api/v1/auth/me").json["permissions"]}
    assert "case.review" in perms  # the new role counts at once (cache dropped)


def test_nobody_approves_their_own_request():
    uid, s = admin("jurisdiction_admin", "451302")
    r = s.post("/api/v1/permission-requests", {"role": "jurisdiction_admin", "scope": "451302", "reason": "自己"})
    assert_problem(s.post("/api/v1/permission-requests/%d/approve" % r.json["id"]), 403, "own_request")


def test_user_create_validation_and_version_conflicts():
    _, sa = admin("system_admin", "450000")
    base = {"username": unique("new"), "display_name": "新同事", "agency_code": "451302", "password": "Fresh-Passw0rd!"}
    r = sa.post("/api/v1/users", base)
    assert r.status == 201 and r.json["must_change_password"] is True and r.header("Location") == "/api/v1/users/%d" % r.json["id"]
    assert_problem(sa.post("/api/v1/users", base), 409, "username_taken")
    before = sql("SELECT count(*) FROM iam.user")
    for patch, code in (({"username": "Bad Name"}, "invalid_field"), ({"password": "weak"}, "weak_password"),
                        ({"agency_code": "459999"}, "invalid_field"), ({"phone": "call me"}, "invalid_field"),
                        ({"display_name": "x" * 65}, "invalid_field"), ({"display_name": 5}, "invalid_field")):
        body = dict(base, username=unique("v"))
        body.update(patch)
        assert_problem(sa.post("/api/v1/users", body), 400, code)
    assert sql("SELECT count(*) FROM iam.user") == before
    uid = r.json["id"]
    v = r.json["version"]
    assert sa.call("PATCH", "/api/v1/users/%d" % uid, json_body={"version": v, "phone": "0772-1234567"}).status == 200
    assert_problem(sa.call("PATCH", "/api/v1/users/%d" % uid, json_body={"version": v, "phone": "0772-7654321"}), 409,
                   "version_conflict")
    assert sql("SELECT phone FROM iam.user WHERE id = %d" % uid) == [["0772-1234567"]]
    assert_problem(sa.get("/api/v1/users/999999999"), 404, "user_not_found")


def test_disabling_a_user_ends_their_sessions():
    _, sa = admin("system_admin", "450000")
    uid, name = make_user(grants=[("reviewer", "451302")])
    s = login(name)
    assert s.get("/api/v1/auth/me").status == 200
    v = sa.get("/api/v1/users/%d" % uid).json["version"]
    assert sa.call("PATCH", "/api/v1/users/%d" % uid, json_body={"version": v, "status": "disabled"}).status == 200
    assert_problem(s.get("/api/v1/auth/me"), 401, "unauthenticated")


def test_agencies_added_and_renamed_by_system_admin():
    _, sa = admin("system_admin", "451300")
    code = sql("SELECT '451302' || lpad(n::text, 2, '0') FROM generate_series(10, 99) n WHERE NOT EXISTS"
               " (SELECT 1 FROM iam.agency WHERE code = '451302' || lpad(n::text, 2, '0')) LIMIT 1")[0][0]
    r = sa.post("/api/v1/agencies", {"code": code, "name": unique("兴宾区分中心"), "division_code": "451302"})
    assert r.status == 201 and r.json["version"] == 1
    assert_problem(sa.post("/api/v1/agencies", {"code": "45010301", "name": unique("x"), "division_code": "450103"}),
                   403, "forbidden")
    assert_problem(sa.post("/api/v1/agencies", {"code": "45130299", "name": unique("x"), "division_code": "451321"}),
                   400, "invalid_field")
    p = sa.call("PATCH", "/api/v1/agencies/%s" % code, json_body={"name": unique("更名"), "version": 1})
    assert p.status == 200 and p.json["version"] == 2
    assert_problem(sa.call("PATCH", "/api/v1/agencies/%s" % code, json_body={"name": unique("再改"), "version": 1}),
                   409, "version_conflict")
    names = {a["code"]: a["name"] for a in sa.get("/api/v1/agencies?division=451300").json["items"]}
    assert names["451302"] == "兴宾区不动产登记中心" and code in names
    assert "450103" not in names


def test_sql_and_c_scope_rules_agree_on_every_pair():
    rows = sql("SELECT s.code, d.code, ref.covers(s.code, d.code) FROM ref.division s, ref.division d")
    assert len(rows) == 126 * 126
    def covers(scope, div):  # the C rule, restated
        if scope == "450000":
            return True
        if scope.endswith("00"):
            return div[:4] == scope[:4]
        return div == scope
    bad = [(s, d) for s, d, c in rows if (c == "t") != covers(s, d)]
    assert not bad, bad[:5]


def test_roles_list_names_every_role_with_its_permissions():
    uid, name = make_user()
    roles = {r["code"]: r for r in login(name).get("/api/v1/roles").json["items"]}
    assert set(roles) == {"intake_clerk", "reviewer", "registrar", "cashier", "issuer", "query_clerk",
                          "jurisdiction_admin", "system_admin", "security_admin", "auditor"}
    assert roles["auditor"]["permissions"] == ["audit.read"] and roles["auditor"]["triad"] == "audit"
    assert roles["intake_clerk"]["name"] == "收件员" and roles["intake_clerk"]["needs_mfa"] is False
