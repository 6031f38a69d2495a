"""The audit trail: a row for each action, append-only for every service
role, a hash chain whose verification (by the admin service's background
process, and by tbctl) names the first altered row."""
import os
import subprocess
import time

from auth_lib import PASSWORD, audit_count, last_audit, login, login_mfa, make_user, unique
from lib import ROOT, STACK, assert_problem, psql_conninfo, sql, wait_until


def auditor():
    uid, name = make_user(agency="450000", grants=[("auditor", "450000")], totp_enabled=True)
    return login_mfa(name, now=time.time() + 1200)


def tbctl(*args, stdin="", anchor_dir=None):
    env = dict(os.environ, TB_PG_ADMIN=psql_conninfo(),
               TB_AUDIT_ANCHOR_DIR=anchor_dir or os.path.join(STACK, "audit"),
               TB_AUDIT_PUBKEY=os.path.join(STACK, "keys", "audit.pub.pem"))
    return subprocess.run([os.path.join(ROOT, "build/asan/tbctl")] + list(args), input=stdin, env=env,
                          capture_output=True, text=True)


def sealed(seq):
    """Wait until event seq is sealed and the background process has
    published a verification that covers it."""
    def done():
        row = sql("SELECT s.pos FROM audit.seal s WHERE s.event_seq = %d" % seq)
        if not row:
            return False
        st = sql("SELECT verified_pos FROM audit.chain_status")[0][0]
        return int(st) >= int(row[0][0])
    assert wait_until(done, 15), "event %d not sealed and verified" % seq


def verification(a, ok):
    """The next published verification whose ok is `ok`."""
    def answer():
        r = a.get("/api/v1/audit/verify")
        return r if r.status == 200 and r.json["ok"] is ok else None
    r = wait_until(answer, 15)
    assert r, a.get("/api/v1/audit/verify")
    return r.json


def test_each_identity_action_writes_its_audit_row():
    admin_uid, admin = make_user(agency="451302", grants=[("jurisdiction_admin", "451302")], totp_enabled=True)
    a = login_mfa(admin, now=time.time() + 1500)
    assert last_audit("auth.login")["actor_id"] == admin_uid
    r = a.post("/api/v1/users", {"username": unique("aud"), "display_name": "审计对象", "agency_code": "451302",
                                 "password": "Audited-Passw0rd!"})
    assert r.status == 201, r
    uid = r.json["id"]
    row = last_audit("user.create")
    assert (row["actor_id"], row["object_type"], row["object_id"], row["outcome"]) == (admin_uid, "user", str(uid), "success")
    assert "Audited-Passw0rd" not in str(row["details"])
    # whoever made the account does not grant it roles: a second admin does
    _, admin2 = make_user(agency="451302", grants=[("jurisdiction_admin", "451302")], totp_enabled=True)
    a2 = login_mfa(admin2, now=time.time() + 1500)
    g = a2.post("/api/v1/users/%d/grants" % uid, {"role": "reviewer", "scope": "451302"})
    assert g.status == 201
    assert last_audit("grant.create")["object_id"] == str(g.json["id"])
    assert a.call("DELETE", "/api/v1/grants/%d" % g.json["id"]).status == 204
    assert last_audit("grant.delete")["object_id"] == str(g.json["id"])
    v = a.get("/api/v1/users/%d" % uid).json["version"]
    assert a.call("PATCH", "/api/v1/users/%d" % uid, json_body={"version": v, "status": "disabled"}).status == 200
    assert last_audit("user.update")["details"] == {"status": "disabled"}
    assert a.post("/api/v1/users/%d/password-reset" % uid, {"password": "Another-Passw0rd!"}).status == 200
    assert last_audit("user.password.reset")["object_id"] == str(uid)
    # a failed log-in and a denial are recorded too
    login(unique("nobody"), expect=401)
    assert last_audit("auth.login")["outcome"] == "failure"
    clerk_uid, clerk = make_user(grants=[("intake_clerk", "451302")])
    c = login(clerk)
    assert c.get("/api/v1/users").status == 403
    d = last_audit("auth.denied")
    assert d["actor_id"] == clerk_uid and d["outcome"] == "denied" and d["details"]["permission"] == "user.manage"
    assert c.post("/api/v1/permission-requests", {"role": "reviewer", "scope": "451302", "reason": "换岗"}).status == 201
    assert last_audit("permission_request.create")["actor_id"] == clerk_uid
    assert c.post("/api/v1/auth/logout").status == 204
    assert last_audit("auth.logout")["actor_id"] == clerk_uid


def test_service_roles_cannot_update_or_delete_audit_rows():
    login(unique("nobody"), expect=401)
    seq = last_audit("auth.login")["seq"]
    for role in ("tb_admin", "tb_intake", "tb_query", "tb_public"):
        for stmt in ("UPDATE audit.event SET outcome = 'success' WHERE seq = %d" % seq,
                     "DELETE FROM audit.event WHERE seq = %d" % seq,
                     "TRUNCATE audit.event",
                     "UPDATE audit.seal SET hash = hash", "DELETE FROM audit.seal"):
            p = sql(stmt, user=role, check=False)
            assert p.returncode != 0 and "permission denied" in p.stderr, (role, stmt, p.stderr)
    # even the owner is stopped by the trigger
    p = sql("UPDATE audit.event SET outcome = 'success' WHERE seq = %d" % seq, check=False)
    assert p.returncode != 0 and "append-only" in p.stderr
    assert last_audit("auth.login")["outcome"] == "failure"


def test_verify_names_exactly_the_hand_edited_row():
    a = auditor()
    for _ in range(3):
        login(unique("nobody"), expect=401)
    sealed(last_audit("auth.login")["seq"])
    ok = verification(a, True)
    assert ok["first_broken_seq"] is None and ok["first_broken_pos"] is None and ok["sealing"] is True
    assert ok["sealed"] >= 3 and ok["verified_pos"] >= 3 and len(ok["head"]) == 64
    out = tbctl("audit", "verify")
    assert out.returncode == 0 and "audit chain ok" in out.stdout, out.stdout
    pos, victim = map(int, sql("SELECT pos, event_seq FROM audit.seal ORDER BY pos DESC OFFSET 2 LIMIT 1")[0])
    # a superuser bypassing the trigger edits one sealed row
    sql("SET session_replication_role = replica; UPDATE audit.event SET outcome = 'success' WHERE seq = %d" % victim)
    try:
        r = verification(a, False)
        assert r["first_broken_seq"] == victim and r["first_broken_pos"] == pos, r
        assert r["reason"] == "event or seal altered"
        assert r["sealing"] is False  # the sealer does not extend a chain that does not verify
        out = tbctl("audit", "verify")
        assert out.returncode == 1, out.stdout
        assert ("BROKEN at position %d (event %d): event or seal altered" % (pos, victim)) in out.stdout, out.stdout
    finally:
        sql("SET session_replication_role = replica; UPDATE audit.event SET outcome = 'failure' WHERE seq = %d" % victim)
    assert verification(a, True)["sealing"] is True


def test_verify_detects_a_deleted_row():
    a = auditor()
    login(unique("nobody"), expect=401)
    sealed(last_audit("auth.login")["seq"])
    verification(a, True)
    victim_row = sql("SELECT s.event_seq, s.pos FROM audit.seal s ORDER BY s.pos DESC LIMIT 1 OFFSET 1")[0]
    saved = sql("SELECT row_to_json(e)::text FROM audit.event e WHERE seq = %s" % victim_row[0])[0][0]
    sql("SET session_replication_role = replica; DELETE FROM audit.event WHERE seq = %s" % victim_row[0])
    try:
        r = verification(a, False)
        assert r["first_broken_seq"] == int(victim_row[0]) and r["first_broken_pos"] == int(victim_row[1])
        assert r["reason"] == "event deleted"
    finally:
        sql("SET session_replication_role = replica; INSERT INTO audit.event OVERRIDING SYSTEM VALUE"
            " SELECT * FROM json_populate_record(NULL::audit.event, '%s'::json)" % saved.replace("'", "''"))
    verification(a, True)


def test_verify_answers_from_the_background_without_rehashing():
    a = auditor()
    verification(a, True)
    r = a.get("/api/v1/audit/verify")
    b = r.json
    # the answer is the latest published verification: nothing was sealed for the request
    assert set(b) == {"ok", "checked_at", "sealing", "sealed", "head_pos", "head_seq", "head", "verified_pos",
                      "unsealed", "first_broken_pos", "first_broken_seq", "reason"}
    assert b["checked_at"].endswith("+08:00") and b["sealed"] == b["head_pos"]
    assert last_audit("audit.verify")["outcome"] == "success"
    clerk_uid, clerk = make_user(grants=[("intake_clerk", "451302")])
    assert_problem(login(clerk).get("/api/v1/audit/verify"), 403, "forbidden")


def test_audit_list_filters_and_pages_for_auditors_only():
    a = auditor()
    uid, name = make_user()
    for i in range(3):
        login(name, password="Wrong-Passw0rd-%d" % i, expect=401)
    r = a.get("/api/v1/audit?actor=%d&action=auth.login&limit=2" % uid)
    assert r.status == 200
    items = r.json["items"]
    assert len(items) == 2 and all(i["actor_id"] == uid and i["action"] == "auth.login" for i in items)
    assert items[0]["seq"] > items[1]["seq"] and items[0]["at"].endswith("+08:00")
    assert r.json["next_before"] == str(items[1]["seq"])
    rest = a.get("/api/v1/audit?actor=%d&action=auth.login&limit=2&before=%s" % (uid, r.json["next_before"])).json
    assert len(rest["items"]) == 1 and rest["next_before"] is None
    assert a.get("/api/v1/audit?from=2000-01-01T00:00:00Z&to=2000-02-01T00:00:00%2B08:00").json["items"] == []
    for bad in ("actor=x", "action=DROP%20TABLE", "from=yesterday", "limit=0", "limit=501", "before=-1"):
        assert_problem(a.get("/api/v1/audit?" + bad), 400, "invalid_parameter")
    # a city auditor sees the city's agencies only
    cuid, cname = make_user(agency="450100", grants=[("auditor", "450100")], totp_enabled=True)
    c = login_mfa(cname, now=time.time() + 1800)
    seen = c.get("/api/v1/audit?limit=500").json["items"]
    assert seen and all(i["agency_code"] and i["agency_code"].startswith("4501") for i in seen)


def test_tbctl_creates_the_first_administrator_and_resets_passwords():
    name = unique("root")
    p = tbctl("user", "create", "--username", name, "--name", "首位管理员", "--agency", "450000",
              "--role", "security_admin", stdin="Bootstrap-Passw0rd!\n")
    assert p.returncode == 0, p.stderr
    row = sql("SELECT u.must_change_password, g.role_code, g.scope_code FROM iam.user u JOIN iam.grant g"
              " ON g.user_id = u.id WHERE u.username = '%s'" % name)
    assert row == [["f", "security_admin", "450000"]]
    assert last_audit("user.create")["details"]["via"] == "tbctl"
    weak = tbctl("user", "create", "--username", unique("w"), "--name", "x", "--agency", "450000",
                 "--role", "reviewer", stdin="short\n")
    assert weak.returncode == 1 and "12 to 128" in weak.stderr
    r = tbctl("user", "reset-password", name, stdin="Reset-By-Tbctl-1!\n")
    assert r.returncode == 0
    s = login(name, password="Reset-By-Tbctl-1!")
    assert s.body["user"]["must_change_password"] is True
    assert last_audit("user.password.reset")["details"] == {"via": "tbctl"}
