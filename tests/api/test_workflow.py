"""流程管理: time limits and actions per business type change without code."""
import datetime
import time

from auth_lib import last_audit, login_mfa, make_user
from case_lib import DECIDING, RECEIVING, act, create, mortgage_body, staff, unit
from lib import assert_problem, sql


def admin(role, div, offset):
    uid, name = make_user(agency=div, grants=[(role, div)], totp_enabled=True)
    return login_mfa(name, now=time.time() + offset)


def working_days_after(start, n):
    cal = {r[0]: r[1] for r in sql("SELECT day::text, kind FROM cases.calendar")}
    d = start
    while n > 0:
        d += datetime.timedelta(days=1)
        k = cal.get(d.isoformat())
        if k == "workday" or (k is None and d.weekday() < 5):
            n -= 1
    return d.isoformat()


def test_time_limits_and_actions_are_switched_per_type():
    sa = admin("system_admin", "450000", 4200)
    r = sa.call("PATCH", "/api/v1/workflows/business-types/mortgage.establish",
                json_body={"promised_days": 3, "actions_off": ["request_supplement"]})
    assert r.status == 200, r
    row = [t for t in r.json["items"] if t["code"] == "mortgage.establish"][0]
    assert row["promised_days"] == 3 and row["actions_off"] == ["request_supplement"]
    assert last_audit("workflow.update")["object_id"] == "mortgage.establish"
    try:
        c = act(create(mortgage_body(unit())).json, "submit", staff[("intake_clerk", RECEIVING)]).json
        today = datetime.datetime.utcfromtimestamp(time.time() + 8 * 3600).date()
        assert c["due_date"] == working_days_after(today, 3)
        c = act(c, "accept", staff[("reviewer", DECIDING)]).json
        assert_problem(act(c, "request_supplement", staff[("reviewer", DECIDING)], missing=["x"]), 409,
                       "action_disabled")
        # a pre-notice is not affected
        p = create({"business_type": "pre_notice.establish", "unit_code": unit(), "parties": c["parties"][:0] or [
            {"role": "right_holder", "name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X"}],
            "fields": {"buyer": "张三", "seller": "李四", "contract_number": "C1", "price_fen": 1}})
        assert p.status == 201
    finally:
        back = sa.call("PATCH", "/api/v1/workflows/business-types/mortgage.establish",
                       json_body={"promised_days": 5, "actions_on": ["request_supplement"]})
        assert back.status == 200
    assert act(c, "request_supplement", staff[("reviewer", DECIDING)], missing=["x"]).status == 200


def test_only_region_wide_workflow_managers_change_it():
    city = admin("jurisdiction_admin", "451300", 4230)
    assert_problem(city.call("PATCH", "/api/v1/workflows/business-types/mortgage.establish",
                             json_body={"promised_days": 1}), 403, "forbidden")
    assert_problem(staff[("intake_clerk", RECEIVING)].call(
        "PATCH", "/api/v1/workflows/business-types/mortgage.establish", json_body={"promised_days": 1}), 403, "forbidden")
    sa = admin("system_admin", "450000", 4260)
    for body in ({"promised_days": 0}, {"promised_days": 31}, {"enabled": "no"}, {"actions_off": ["fly"]},
                 {"actions_off": "submit"}, {"color": "red"}):
        r = sa.call("PATCH", "/api/v1/workflows/business-types/mortgage.establish", json_body=body)
        assert r.status == 400, (body, r)
    assert_problem(sa.call("PATCH", "/api/v1/workflows/business-types/nope.nope", json_body={"promised_days": 2}),
                   404, "business_type_not_found")
    assert sql("SELECT promised_days FROM cases.business_type WHERE code = 'mortgage.establish'") == [["5"]]
