"""Fixtures of the administrator's operations screens' browser tests
(test_admin_ops.mjs; verbs added to tests/e2e/fixture.py).
  ops_admin  {"role", "scope"} → {"id", "username", "password",
             "totp_secret_b32"}: an administrator with TOTP (auditor,
             system_admin, jurisdiction_admin need the second factor)
  ops_logins {"n"} → {"id", "username"}: a business user of 兴宾区 who has
             logged in n times through the API (n auth.login events)
  ops_events {"n"} → {"object_id"}: n audit events about a fresh object
  ops_stats  {} → {"city", "counties": [k1, k2], "month", "cases": [...]}:
             a city whose subtree held no case, filled through the API with
             cases received this month: three mortgages received and decided
             at its first county (two registered, one rejected), one
             received at its second county for a unit of the first (cross),
             one received at 兴宾区 for a unit of the second (cross, left
             accepted); one registered case's fees set and paid in cash
  ops_reset_type {"code", "promised_days", "enabled", "actions_off"}: put a
             business type back as it was (after a screen changed it)
"""
import auth_lib
import case_lib
from lib import sql


def ops_admin(a):
    from fixture import user
    return user({"agency": a.get("agency", a["scope"]), "grants": [[a["role"], a["scope"]]], "totp": True})


def ops_logins(a):
    uid, name = auth_lib.make_user(agency=case_lib.RECEIVING, grants=[("intake_clerk", case_lib.RECEIVING)])
    for _ in range(int(a.get("n", 1))):
        auth_lib.login(name)
    return {"id": uid, "username": name, "password": auth_lib.PASSWORD}


def ops_events(a):
    """n audit events about one fresh object (user.update on an object id
    no one else uses), written as the services write them."""
    oid = auth_lib.unique("ops")
    sql("INSERT INTO audit.event (at, actor_name, agency_code, action, object_type, object_id, outcome, details)"
        " SELECT now() - (g || ' seconds')::interval, '测试', '451302', 'user.update', 'user', '%s', 'success',"
        " jsonb_build_object('n', g) FROM generate_series(1, %d) g" % (oid, int(a["n"])))
    return {"object_id": oid}


def _fresh_city():
    """A city none of whose divisions holds a case yet, with two counties (not
    the cities of the tests' usual window and deciding counties)."""
    rows = sql("SELECT c.code, (SELECT string_agg(k.code, ',' ORDER BY k.code) FROM ref.division k WHERE k.parent_code = c.code)"
               " FROM ref.division c WHERE c.level = 'city' AND c.code NOT IN ('450100', '451300')"
               " AND NOT EXISTS (SELECT 1 FROM cases.case x WHERE left(x.receiving_division, 4) = left(c.code, 4)"
               "                 OR left(x.deciding_division, 4) = left(c.code, 4))"
               " AND (SELECT count(*) FROM ref.division k WHERE k.parent_code = c.code) >= 2"
               " ORDER BY random() LIMIT 1")
    assert rows, "no city without cases left on this stack"
    city, kids = rows[0]
    return city, kids.split(",")[:2]


def _user(role, div):
    uid, name = auth_lib.make_user(agency=div, grants=[(role, div)])
    return auth_lib.login(name)


def ops_stats(a):
    city, (k1, k2) = _fresh_city()
    clerk1, clerk2 = _user("intake_clerk", k1), _user("intake_clerk", k2)
    window = _user("intake_clerk", case_lib.RECEIVING)
    rev1, rev2 = _user("reviewer", k1), _user("reviewer", k2)
    reg1 = _user("registrar", k1)
    cashier1 = _user("cashier", k1)
    made = []

    def case(clerk, county, steps):
        r = case_lib.create(case_lib.mortgage_body(case_lib.unit(county)), who=clerk)
        assert r.status == 201, r
        c = r.json
        for action, who, *extra in steps:
            r = case_lib.act(c, action, who, **(extra[0] if extra else {}))
            assert r.status == 200, (action, r)
            c = r.json
        made.append({"id": c["id"], "number": c["number"], "state": c["state"]})
        return c

    done = [("submit", clerk1), ("accept", rev1), ("approve", rev1), ("register", reg1)]
    paid = case(clerk1, k1, done)
    case(clerk1, k1, done)
    case(clerk1, k1, [("submit", clerk1), ("accept", rev1), ("reject", rev1, {"reason": "申请材料与登记簿记载不符"})])
    case(clerk2, k1, [("submit", clerk2), ("accept", rev1)])
    case(window, k2, [("submit", window), ("accept", rev2)])
    # the first registered case: fees set and paid at the window in cash
    r = case_lib.act(paid, "set_fees", cashier1)
    assert r.status == 200, r
    c = r.json
    r = case_lib.act(c, "record_payment", cashier1, receipt_number="OPS-1", method="cash", amount_fen=int(c.get("fee_total_fen") or 0))
    month = sql("SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')")[0][0]
    return {"city": city, "counties": [k1, k2], "month": month, "cases": made, "paid": r.status == 200}


def ops_reset_type(a):
    code = a["code"]
    if not all(ch.isalnum() or ch in "._" for ch in code):
        raise ValueError("code")
    sql("UPDATE cases.business_type SET promised_days = %d, enabled = %s WHERE code = '%s'"
        % (int(a["promised_days"]), "true" if a["enabled"] else "false", code))
    sql("DELETE FROM cases.type_action_off WHERE business_type = '%s'" % code)
    for act in a.get("actions_off", []):
        if not act.replace("_", "").isalpha():
            raise ValueError("action")
        sql("INSERT INTO cases.type_action_off VALUES ('%s', '%s')" % (code, act))
    return {}


VERBS = {"ops_admin": ops_admin, "ops_logins": ops_logins, "ops_events": ops_events, "ops_stats": ops_stats, "ops_reset_type": ops_reset_type}
