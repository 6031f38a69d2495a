"""The access matrix of identity's endpoints: every endpoint x every role x
the actor's scope relative to the object (own county, parent city, sibling
county) plus no session, expected allow (2xx) or deny (401/403), all
generated from the tables below."""
import itertools
import time

from auth_lib import PASSWORD, login, login_mfa, make_user, unique
from lib import request, sql

OBJECT_DIV = "451302"  # 兴宾区: where the objects live
RELATIONS = {"own": "451302", "parent": "451300", "sibling": "451321"}
MFA_ROLES = {"jurisdiction_admin", "system_admin", "security_admin", "auditor"}

# The specification: which permissions each role has.
ROLE_PERMS = {
    "intake_clerk": {"case.create", "case.read", "case.deliver", "registry.read"},
    "reviewer": {"case.read", "case.review", "registry.read"},
    "registrar": {"case.read", "case.register", "registry.read"},
    "cashier": {"case.read", "fee.set", "payment.record"},
    "issuer": {"case.read", "case.issue", "case.deliver"},
    "query_clerk": {"query.create", "registry.read"},
    "jurisdiction_admin": {"user.manage", "role.manage", "query.approve", "whitelist.manage",
                           "workflow.manage", "stats.read", "case.read", "policy.manage"},
    "system_admin": {"user.manage", "agency.manage", "workflow.manage", "policy.manage", "stats.read"},
    "security_admin": {"role.manage", "whitelist.manage"},
    "auditor": {"audit.read"},
}
# Roles that may grant query_clerk (iam.role_grant_rule)
GRANTERS = {"jurisdiction_admin", "security_admin"}


def free_agency_code():
    return sql("SELECT '451302' || lpad(n::text, 2, '0') FROM generate_series(10, 99) n"
               " WHERE NOT EXISTS (SELECT 1 FROM iam.agency WHERE code = '451302' || lpad(n::text, 2, '0'))"
               " ORDER BY n LIMIT 1")[0][0]


class Fixture:
    def __init__(self):
        self.target_uid, _ = make_user(agency=OBJECT_DIV, grants=[("intake_clerk", OBJECT_DIV)])
        code = free_agency_code()
        sql("INSERT INTO iam.agency (code, name, division_code) VALUES ('%s', '%s', '451302')"
            % (code, unique("测试机构")))
        self.agency = code

    def grant(self):
        sql("DELETE FROM iam.grant WHERE user_id = %d AND role_code = 'reviewer'" % self.target_uid)
        return sql("INSERT INTO iam.grant (user_id, role_code, scope_code) VALUES (%d, 'reviewer', '%s')"
                   " RETURNING id" % (self.target_uid, OBJECT_DIV))[0][0]

    def permreq(self):
        sql("DELETE FROM iam.grant WHERE user_id = %d AND role_code = 'query_clerk'" % self.target_uid)
        sql("UPDATE iam.permission_request SET status = 'rejected', decided_by = %d WHERE user_id = %d"
            " AND status = 'pending'" % (self.target_uid, self.target_uid))
        return sql("INSERT INTO iam.permission_request (user_id, role_code, scope_code, reason, created_at)"
                   " VALUES (%d, 'query_clerk', '%s', 'matrix', now()) RETURNING id"
                   % (self.target_uid, OBJECT_DIV))[0][0]

    def lock(self):
        sql("DELETE FROM iam.login_throttle WHERE user_id = %d" % self.target_uid)
        return sql("INSERT INTO iam.login_throttle (name_key, source, user_id, failures, last_at, locked_until)"
                   " VALUES (encode(sha256('matrix'::bytea), 'hex'), '10.1.2.3', %d, 5, now(),"
                   " now() + interval '10 minutes') RETURNING id" % self.target_uid)[0][0]

    def version(self):
        return int(sql("SELECT version FROM iam.user WHERE id = %d" % self.target_uid)[0][0])

    def agency_version(self):
        return int(sql("SELECT version FROM iam.agency WHERE code = '%s'" % self.agency)[0][0])


# endpoint: (name, needed, call(fixture, actor_division) -> (method, path, body))
# needed: None = any session; ("perm", False) = perm anywhere (list);
# ("perm", True) = perm covering the object's division; ("grant", True) =
# role.manage through a role that may grant query_clerk, covering it;
# ("locks", ...) = user.manage or role.manage; ("business_request", ...) =
# anyone but an administrator (asking for a case-handling role). The object (an intake clerk)
# is below every administrator, so the two-person rules never apply here
# (they have test_separation_of_duties).
ENDPOINTS = [
    ("GET me", None, lambda f, d: ("GET", "/api/v1/auth/me", None)),
    ("GET sessions", None, lambda f, d: ("GET", "/api/v1/auth/sessions", None)),
    ("GET roles", None, lambda f, d: ("GET", "/api/v1/roles", None)),
    ("GET agencies", None, lambda f, d: ("GET", "/api/v1/agencies", None)),
    ("POST totp enroll", None, lambda f, d: ("POST", "/api/v1/auth/totp/enroll", {})),
    ("GET permission-requests", None, lambda f, d: ("GET", "/api/v1/permission-requests", None)),
    ("POST permission-requests", ("business_request", False),
     lambda f, d: ("POST", "/api/v1/permission-requests", {"role": "issuer", "scope": d, "reason": unique("r")})),
    ("GET users", ("user.manage", False), lambda f, d: ("GET", "/api/v1/users", None)),
    ("POST users", ("user.manage", True),
     lambda f, d: ("POST", "/api/v1/users", {"username": unique("m"), "display_name": "新用户",
                                            "agency_code": OBJECT_DIV, "password": "Matrix-Passw0rd!"})),
    ("GET user", ("user.manage", True), lambda f, d: ("GET", "/api/v1/users/%d" % f.target_uid, None)),
    ("PATCH user", ("user.manage", True),
     lambda f, d: ("PATCH", "/api/v1/users/%d" % f.target_uid, {"version": f.version(), "display_name": "改名"})),
    ("POST password-reset", ("user.manage", True),
     lambda f, d: ("POST", "/api/v1/users/%d/password-reset" % f.target_uid, {"password": "Reset-Passw0rd!"})),
    ("GET grants", ("role.manage", True), lambda f, d: ("GET", "/api/v1/users/%d/grants" % f.target_uid, None)),
    ("POST grants", ("grant", True),
     lambda f, d: (sql("DELETE FROM iam.grant WHERE user_id = %d AND role_code = 'query_clerk'" % f.target_uid)
                   and None or ("POST", "/api/v1/users/%d/grants" % f.target_uid,
                                {"role": "query_clerk", "scope": OBJECT_DIV}))),
    ("DELETE grant", ("role.manage", True), lambda f, d: ("DELETE", "/api/v1/grants/%s" % f.grant(), None)),
    ("POST agencies", ("agency.manage", True),
     lambda f, d: ("POST", "/api/v1/agencies", {"code": free_agency_code(),
                                               "name": unique("新机构"), "division_code": OBJECT_DIV})),
    ("PATCH agency", ("agency.manage", True),
     lambda f, d: ("PATCH", "/api/v1/agencies/%s" % f.agency, {"name": unique("更名"), "version": f.agency_version()})),
    ("POST approve", ("grant", True),
     lambda f, d: ("POST", "/api/v1/permission-requests/%s/approve" % f.permreq(), {})),
    ("POST reject", ("grant", True),
     lambda f, d: ("POST", "/api/v1/permission-requests/%s/reject" % f.permreq(), {"comment": "不符合条件"})),
    ("GET login-locks", ("locks", False), lambda f, d: ("GET", "/api/v1/auth/login-locks", None)),
    ("DELETE login-lock", ("locks", True), lambda f, d: ("DELETE", "/api/v1/auth/login-locks/%s" % f.lock(), None)),
    ("GET audit", ("audit.read", False), lambda f, d: ("GET", "/api/v1/audit?limit=5", None)),
    ("GET audit verify", ("audit.read", False), lambda f, d: ("GET", "/api/v1/audit/verify", None)),
    ("POST password", None,
     lambda f, d: ("POST", "/api/v1/auth/password", {"current_password": PASSWORD,
                                                     "new_password": "Matrix-New-Passw0rd!"})),
    # last: it ends the actors' sessions
    ("POST logout", None, lambda f, d: ("POST", "/api/v1/auth/logout", {})),
]


def expected(role, relation, needed):
    if role is None:
        return "deny401"
    if needed is None:
        return "allow"
    perm, scoped = needed
    if perm == "business_request":  # administrators ask for no case-handling role
        return "deny409" if role in MFA_ROLES else "allow"
    if perm == "grant":
        ok = role in GRANTERS
        perm = "role.manage"
    elif perm == "locks":  # user.manage or role.manage
        ok = bool(ROLE_PERMS[role] & {"user.manage", "role.manage"})
    else:
        ok = perm in ROLE_PERMS[role]
    if ok and scoped and relation == "sibling":
        ok = False
    return "allow" if ok else "deny403"


def test_access_matrix():
    f = Fixture()
    actors = {}
    t = time.time() + 900  # a TOTP step no other test uses
    for role, (rel, div) in itertools.product(ROLE_PERMS, RELATIONS.items()):
        uid, name = make_user(agency=div, grants=[(role, div)], totp_enabled=role in MFA_ROLES)
        actors[(role, rel)] = login_mfa(name, now=t) if role in MFA_ROLES else login(name)
    failures, checked = [], 0
    for (ename, needed, call), (role, rel) in itertools.product(
            ENDPOINTS, list(itertools.product(ROLE_PERMS, RELATIONS)) + [(None, "none")]):
        div = RELATIONS.get(rel, OBJECT_DIV)
        method, path, body = call(f, div)
        if role is None:
            r = request(method, path, json_body=body)
        else:
            r = actors[(role, rel)].call(method, path, json_body=body)
        want = expected(role, rel, needed)
        got = "allow" if 200 <= r.status < 300 else "deny%d" % r.status
        checked += 1
        if got != want:
            failures.append("%-24s %-20s %-8s want %-8s got %d %s" % (ename, role, rel, want, r.status, r.body[:120]))
    assert checked == len(ENDPOINTS) * (len(ROLE_PERMS) * 3 + 1)
    assert not failures, "\n" + "\n".join(failures)
