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


def test_the_ownership_pilot_switch_per_division():
    code = unit()  # 青秀区, in 南宁市
    body = {"business_type": "ownership.transfer", "unit_code": code,
            "parties": [{"role": "right_holder", "name": "张三", "id_type": "resident_id",
                         "id_number": "11010519491231002X"}], "fields": {"description": "买卖转移"}}
    assert_problem(create(body, attach_docs=False), 422, "business_type_not_enabled")
    city = admin("jurisdiction_admin", "450100", 4290)
    assert_problem(city.call("PUT", "/api/v1/workflows/pilots/451300"), 403, "forbidden")  # not their city
    assert city.call("PUT", "/api/v1/workflows/pilots/450100").status == 204
    listed = city.get("/api/v1/workflows/pilots").json["items"]
    assert {"division_code": "450100", "name": "南宁市"} in listed
    assert last_audit("workflow.pilot.on")["object_id"] == "450100"
    try:
        assert create(body, attach_docs=False).status == 201  # the city's pilot covers 青秀区
        other = dict(body, unit_code=unit(county="451302"))
        assert_problem(create(other, attach_docs=False), 422, "business_type_not_enabled")
    finally:
        assert city.call("DELETE", "/api/v1/workflows/pilots/450100").status == 204
    assert_problem(create(body, attach_docs=False), 422, "business_type_not_enabled")
    assert_problem(city.call("PUT", "/api/v1/workflows/pilots/459999"), 403, "forbidden")
