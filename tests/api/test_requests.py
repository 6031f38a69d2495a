"""Declarative requests: each route names the permission it needs and the
query keys it takes; both are checked before the handler runs. A malformed
key is 400 invalid_parameter naming it, changes nothing, and never reaches
PostgreSQL (an overflowing id used to answer 500)."""
import time

from auth_lib import admin_session, audit_count, login, login_mfa, make_user
from lib import assert_problem, get

# ---- the admin service ------------------------------------------------------


def auditor():
    uid, name = make_user(agency="450000", grants=[("auditor", "450000")], totp_enabled=True)
    return uid, login_mfa(name, now=time.time() + 1200)


def refused_key(r, key):
    b = assert_problem(r, 400, "invalid_parameter")
    assert b["detail"].startswith(key + ":"), b
    return b


def test_audit_keys_are_validated_before_the_handler_and_change_nothing():
    uid, a = auditor()
    mine = "actor_id = %d" % uid
    before = audit_count(mine)
    for query, key in (("limit=5x", "limit"), ("limit=%2B5", "limit"), ("limit=", "limit"),
                       ("before=99999999999999999999", "before"), ("before=9223372036854775808", "before"),
                       ("before=0", "before"), ("actor=12a", "actor"), ("actor=99999999999999999999", "actor"),
                       ("action=Auth.Login", "action"), ("action=ab", "action"), ("object_type=A", "object_type"),
                       ("object_id=" + "x" * 65, "object_id"), ("from=2026-11-27", "from"),
                       ("to=2026-11-27T08:00:00", "to"), ("limit=5&limit=6", "limit")):
        refused_key(a.get("/api/v1/audit?" + query), key)
    assert audit_count(mine) == before
    # the largest cursor is still a cursor; keys the route does not take are ignored
    r = a.get("/api/v1/audit?before=9223372036854775807&limit=1&colour=red")
    assert r.status == 200 and len(r.json["items"]) == 1
    assert r.json["next_before"] == str(r.json["items"][0]["seq"])


def test_a_route_checks_its_permission_before_its_keys():
    # no session: 401, whatever the query
    assert_problem(get("/api/v1/audit?limit=5x"), 401, "unauthenticated")
    assert_problem(get("/api/v1/users?after=x"), 401, "unauthenticated")
    # a session without the route's permission: 403 naming it, before the keys
    _, name = make_user()
    s = login(name)
    b = assert_problem(s.get("/api/v1/audit?limit=5x"), 403, "forbidden")
    assert b["missing_permission"] == "audit.read"
    b = assert_problem(s.get("/api/v1/users"), 403, "forbidden")
    assert b["missing_permission"] == "user.manage"
    b = assert_problem(s.get("/api/v1/workflows/pilots"), 403, "forbidden")
    assert b["missing_permission"] == "workflow.manage"
    # routes that need only a session
    assert s.get("/api/v1/roles").status == 200
    assert s.get("/api/v1/agencies").status == 200


def test_a_session_that_must_change_its_password_passes_only_session_routes():
    _, name = make_user(agency="451302", grants=[("jurisdiction_admin", "451302")], must_change=True)
    s = login(name)
    assert s.get("/api/v1/auth/me").status == 200
    assert_problem(s.get("/api/v1/users"), 403, "password_change_required")


def test_user_list_keys():
    _, a = admin_session("jurisdiction_admin", "451302", now=time.time() + 1300)
    make_user(agency="451302")
    make_user(agency="451302")
    for query, key in (("after=x", "after"), ("after=-1", "after"), ("after=99999999999999999999", "after"),
                       ("limit=0", "limit"), ("limit=201", "limit"), ("limit=5x", "limit"),
                       ("agency=4513", "agency"), ("agency=45130x", "agency"), ("agency=451302001", "agency")):
        refused_key(a.get("/api/v1/users?" + query), key)
    # the one pager: a full page names the next cursor as a string
    r = a.get("/api/v1/users?agency=451302&limit=1")
    assert r.status == 200 and len(r.json["items"]) == 1
    assert r.json["next_after"] == str(r.json["items"][0]["id"])
    r2 = a.get("/api/v1/users?agency=451302&limit=1&after=" + r.json["next_after"])
    assert r2.status == 200 and r2.json["items"][0]["id"] > r.json["items"][0]["id"]
    # an empty page ends the list
    last = a.get("/api/v1/users?after=9223372036854775807")
    assert last.status == 200 and last.json == {"items": [], "next_after": None}


def test_agency_and_permission_request_keys():
    _, name = make_user()
    s = login(name)
    refused_key(s.get("/api/v1/agencies?division=45130"), "division")
    refused_key(s.get("/api/v1/agencies?division=45130x"), "division")
    refused_key(s.get("/api/v1/agencies?division=451302&division=451300"), "division")
    items = s.get("/api/v1/agencies?division=451302").json["items"]
    assert items and all(i["division_code"] == "451302" for i in items)
    b = refused_key(s.get("/api/v1/permission-requests?status=open"), "status")
    assert "pending" in b["detail"]
    assert s.get("/api/v1/permission-requests?status=pending").json == {"items": []}
