"""API additions the browser portal needs (issue 8): the CSRF token and the
session's timing from GET /auth/me, 403s naming what is missing, the actions
a caller may take on a case, validation without creation, the bank list, and
what is missing in the applicant's progress."""
import datetime
import json
import time

from auth_lib import login, make_user
from case_lib import DECIDING, HOLDER, OBLIGOR, RECEIVING, act, create, fix_check, mortgage_body, staff, unit
from lib import assert_problem, request, sql


def rfc3339(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def me(s, cookie=True, now=None):
    h = {"X-Tb-Test-Now": str(int(now))} if now else {}
    if cookie:
        h["Cookie"] = "__Host-tb_session=" + s.token
        return request("GET", "/api/v1/auth/me", headers=h)
    return s.get("/api/v1/auth/me", headers=h)


# ---- 1. CSRF token again, and the session's timing --------------------------

def test_cookie_session_gets_the_login_csrf_token_again_from_me():
    uid, name = make_user()
    s = login(name)
    r = me(s)
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    assert r.json["csrf_token"] == s.csrf
    sid = int(sql("SELECT id FROM iam.session WHERE user_id = %d" % uid)[0][0])
    assert r.json["session"]["id"] == sid


def test_csrf_token_from_me_works_after_a_reload_with_nothing_else_kept():
    uid, name = make_user()
    token = login(name).token
    # a reloaded page knows only the cookie (the browser keeps it)
    m = request("GET", "/api/v1/auth/me", headers={"Cookie": "__Host-tb_session=" + token})
    csrf = m.json["csrf_token"]
    r = request("POST", "/api/v1/auth/logout", json_body={},
                headers={"Cookie": "__Host-tb_session=" + token, "X-CSRF-Token": csrf})
    assert r.status == 204, r
    assert sql("SELECT revoked_at IS NOT NULL FROM iam.session WHERE user_id = %d" % uid) == [["t"]]


def test_wrong_csrf_token_is_still_refused():
    uid, name = make_user()
    s = login(name)
    wrong = ("0" if s.csrf[0] != "0" else "1") + s.csrf[1:]
    assert_problem(s.cookie_call("POST", "/api/v1/auth/logout", {}, csrf=wrong), 403, "csrf_failed")
    assert_problem(s.cookie_call("POST", "/api/v1/auth/logout", {}, csrf=False), 403, "csrf_failed")
    # a token derived from the session token is not the session token itself
    assert_problem(s.cookie_call("POST", "/api/v1/auth/logout", {}, csrf=s.token), 403, "csrf_failed")
    assert sql("SELECT revoked_at IS NULL FROM iam.session WHERE user_id = %d" % uid) == [["t"]]


def test_bearer_session_gets_no_csrf_token():
    uid, name = make_user()
    s = login(name)
    r = me(s, cookie=False)
    assert r.status == 200 and r.json["csrf_token"] is None, r
    assert r.json["session"]["idle_timeout_s"] == 1800


def test_session_timing_and_idle_expiry_moving_with_activity():
    uid, name = make_user()
    t0 = int(time.time())
    s = login(name, now=t0)
    b = me(s, now=t0 + 10).json["session"]
    assert b["idle_timeout_s"] == 1800
    assert rfc3339(b["expires_at"]) == t0 + 12 * 3600
    assert rfc3339(b["idle_expires_at"]) == t0 + 1800        # last_seen is the log-in
    # within a minute of the last write, last_seen_at is not written again
    b = me(s, now=t0 + 50).json["session"]
    assert rfc3339(b["idle_expires_at"]) == t0 + 1800
    # a minute on, this request writes last_seen_at: the idle end moves with it
    b = me(s, now=t0 + 70).json["session"]
    assert rfc3339(b["idle_expires_at"]) == t0 + 70 + 1800
    seen = sql("SELECT extract(epoch FROM last_seen_at)::bigint FROM iam.session WHERE user_id = %d" % uid)
    assert seen == [[str(t0 + 70)]]
    b = me(s, now=t0 + 100).json["session"]
    assert rfc3339(b["idle_expires_at"]) == t0 + 70 + 1800
    # the session ends exactly when idle_expires_at said
    assert me(s, now=t0 + 70 + 1799).status == 200
    assert_problem(me(s, now=t0 + 70 + 1799 + 1800), 401, "unauthenticated")


# ---- 2. a 403 that names what is missing -----------------------------------

def clerk():
    return staff[("intake_clerk", RECEIVING)]


def reviewer():
    return staff[("reviewer", DECIDING)]


def registrar():
    return staff[("registrar", DECIDING)]


def case_at(state):
    """A mortgage case brought to state by the staff of both sides."""
    c = create(mortgage_body(unit())).json
    steps = {"draft": [], "submitted": [("submit", clerk)], "accepted": [("submit", clerk), ("accept", reviewer)],
             "supplement_requested": [("submit", clerk), ("accept", reviewer), ("request_supplement", reviewer)],
             "approved": [("submit", clerk), ("accept", reviewer), ("approve", reviewer)],
             "registered": [("submit", clerk), ("accept", reviewer), ("approve", reviewer), ("register", registrar)]}
    for action, who in steps[state]:
        extra = {"missing": ["户口簿复印件"]} if action == "request_supplement" else {}
        r = act(c, action, who(), **extra)
        assert r.status == 200, (action, r)
        c = r.json
    assert c["state"] == state
    return c


def test_case_action_refused_for_want_of_permission_names_it_with_side_and_division():
    c = case_at("approved")
    r = act(c, "register", reviewer())
    b = assert_problem(r, 403, "forbidden")
    assert b["missing_permission"] == "case.register"
    assert b["side"] == "deciding" and b["division"] == DECIDING
    # a receiving-side action: named with the receiving division
    b = assert_problem(act(c, "withdraw", reviewer()), 403, "forbidden")
    assert (b["missing_permission"], b["side"], b["division"]) == ("case.create", "receiving", RECEIVING)
    assert sql("SELECT state, version FROM cases.case WHERE id = %d" % c["id"]) == [["approved", str(c["version"])]]


def test_other_refusals_for_want_of_permission_name_it_without_a_side():
    b = assert_problem(clerk().get("/api/v1/users"), 403, "forbidden")
    assert b["missing_permission"] == "user.manage" and "side" not in b and "division" not in b, b


# ---- 3. allowed_actions in the case detail ----------------------------------

ALL_ACTIONS = ["accept", "approve", "close", "deliver", "issue", "record_payment", "register", "reject",
               "request_supplement", "resubmit", "set_fees", "submit", "withdraw"]
BODIES = {"request_supplement": {"missing": ["户口簿复印件"]}, "reject": {"reason": "材料不实"},
          "set_fees": {}, "record_payment": {"receipt_number": "R1", "amount_fen": 8000},
          "deliver": {"method": "pickup"}}


def allowed(c, who):
    r = who.get("/api/v1/cases/%d" % c["id"])
    assert r.status == 200, r
    return r.json["allowed_actions"]


def test_allowed_actions_at_each_state_for_the_window_and_the_deciding_side():
    expect = {
        "draft": {"clerk": ["submit", "withdraw"], "reviewer": [], "registrar": []},
        "submitted": {"clerk": ["withdraw"], "reviewer": ["accept"], "registrar": []},
        "accepted": {"clerk": ["withdraw"], "reviewer": ["approve", "reject", "request_supplement"],
                     "registrar": []},
        "supplement_requested": {"clerk": ["resubmit", "withdraw"], "reviewer": [], "registrar": []},
        "approved": {"clerk": ["withdraw"], "reviewer": [], "registrar": ["register"]},
        "registered": {"clerk": [], "reviewer": [], "registrar": []},
    }
    who = {"clerk": clerk, "reviewer": reviewer, "registrar": registrar}
    for state, lists in expect.items():
        c = case_at(state)
        for name, acts in lists.items():
            assert allowed(c, who[name]()) == acts, (state, name, allowed(c, who[name]()))


def test_allowed_actions_come_with_the_answers_of_creation_and_of_actions():
    r = create(mortgage_body(unit()))
    assert r.json["allowed_actions"] == ["submit", "withdraw"]
    r = act(r.json, "submit", clerk())
    assert r.status == 200 and r.json["allowed_actions"] == ["withdraw"]


def test_two_person_rule_takes_register_out_of_the_approvers_list_only():
    uid, name = make_user(agency=DECIDING, grants=[("reviewer", DECIDING), ("registrar", DECIDING)])
    x = login(name)
    c = case_at("accepted")
    assert "approve" in allowed(c, x)
    c = act(c, "approve", x).json
    assert c["allowed_actions"] == []
    assert allowed(c, x) == []
    assert allowed(c, registrar()) == ["register"]
    assert_problem(act(c, "register", x), 403, "two_person_rule")
    assert act(c, "register", registrar()).status == 200


def test_an_action_switched_off_for_the_type_is_not_listed():
    sql("INSERT INTO cases.type_action_off (business_type, action) VALUES ('mortgage.establish', 'withdraw')")
    try:
        c = create(mortgage_body(unit())).json
        assert allowed(c, clerk()) == ["submit"]
        assert_problem(act(c, "withdraw", clerk()), 409, "action_disabled")
    finally:
        sql("DELETE FROM cases.type_action_off WHERE business_type = 'mortgage.establish' AND action = 'withdraw'")
    time.sleep(1.1)  # a detail read in the last second may be answered from the micro-cache
    assert allowed(c, clerk()) == ["submit", "withdraw"]


def test_every_listed_action_succeeds_and_every_other_is_refused():
    people = {"clerk": clerk(), "reviewer": reviewer(), "registrar": registrar(),
              "cashier": staff[("cashier", DECIDING)], "issuer": staff[("issuer", DECIDING)]}
    # the path to take, by whoever lists the action
    path = ["submit", "accept", "request_supplement", "resubmit", "accept", "approve", "register", "set_fees",
            "record_payment", "issue", "deliver", "close"]
    c = create(mortgage_body(unit())).json
    for step in path:
        lists = {n: allowed(c, s) for n, s in people.items()}
        for n, s in people.items():
            for a in ALL_ACTIONS:
                if a in lists[n]:
                    continue
                r = act(c, a, s, **BODIES.get(a, {}))
                assert r.status in (403, 409), (c["state"], n, a, r)
        doers = [n for n in people if step in lists[n]]
        # delivery and closing are for either side: the window's clerk and
        # the deciding issuer both list them; each takes one
        assert doers == (["clerk", "issuer"] if step in ("deliver", "close") else doers[:1]), (step, lists)
        doer = {"deliver": "clerk", "close": "issuer"}.get(step, doers[0])
        r = act(c, step, people[doer], **BODIES.get(step, {}))
        assert r.status == 200, (step, doer, r)
        c = r.json
    assert c["state"] == "closed" and all(allowed(c, s) == [] for s in people.values())
    # a listed action by a second person is as good: withdraw at each state where the clerk lists it
    for state in ("draft", "submitted", "accepted", "supplement_requested", "approved"):
        c = case_at(state)
        assert "withdraw" in allowed(c, clerk())
        assert act(c, "withdraw", clerk()).status == 200


# ---- 4. POST /cases/validate ------------------------------------------------

def validate(body, who=None, raw=None):
    s = who or clerk()
    if raw is not None:
        return s.call("POST", "/api/v1/cases/validate", body=raw, headers={"Content-Type": "application/json"})
    return s.call("POST", "/api/v1/cases/validate", json_body=body)


def problems(body):
    r = validate(body)
    assert r.status == 200, r
    b = r.json
    assert b["valid"] == (b["problems"] == []), b
    for p in b["problems"]:
        assert set(p) == {"field", "code", "detail"} and p["detail"], p
    return [(p["field"], p["code"]) for p in b["problems"]]


def counts():
    clerk()  # logged in before counting (a log-in writes an audit row)
    return sql("SELECT (SELECT count(*) FROM cases.case), (SELECT count(*) FROM audit.event),"
               " (SELECT count(*) FROM cases.party), (SELECT count(*) FROM outbox.message)")


def test_a_fully_valid_body_is_valid_and_nothing_is_written():
    body = mortgage_body(unit())
    before = counts()
    r = validate(body)
    assert r.status == 200 and r.json == {"valid": True, "problems": []}, r
    assert counts() == before
    # and creation takes the very same body
    assert create(body, attach_docs=False).status == 201


def test_every_problem_is_listed_with_its_path_and_the_code_creation_gives():
    bad_id = HOLDER["id_number"][:-1] + ("0" if HOLDER["id_number"][-1] != "0" else "1")
    body = {"business_type": "mortgage.establish", "unit_code": "451302001002GB00014X00220045",
            "parties": [dict(HOLDER, id_number=bad_id), dict(OBLIGOR, role="buyer"), {"name": "王五"}],
            "fields": {"mortgagee_bank": "NOPE", "amount_fen": "many", "term_from": "2026-12-01",
                       "term_to": "2026-02-30", "mortgage_type": "ordinary", "debtor": "张三", "colour": "red"}}
    before = counts()
    got = problems(body)
    assert got == [
        ("unit_code", "invalid_unit_code"),
        ("parties/0/id_number", "invalid_id_number"),
        ("parties/1/role", "invalid_field"),
        ("parties/2/role", "missing_field"),
        ("parties/2/id_type", "missing_field"),
        ("parties/2/id_number", "missing_field"),
        ("fields/amount_fen", "invalid_field"),
        ("fields/term_to", "invalid_field"),
        ("fields/colour", "unknown_field"),
        ("fields/mortgagee_bank", "invalid_field"),
    ], got
    assert counts() == before
    # creation refuses the same body with the first of them
    assert_problem(clerk().call("POST", "/api/v1/cases", json_body=body), 400, "invalid_unit_code")


def test_partial_bodies_list_what_is_missing_and_check_what_is_there():
    assert problems({}) == [("business_type", "missing_field"), ("unit_code", "missing_field"),
                            ("parties", "missing_field")]
    code = unit()
    assert problems({"unit_code": code}) == [("business_type", "missing_field"), ("parties", "missing_field")]
    assert problems({"unit_code": code[:27]}) == [("unit_code", "invalid_field"), ("business_type", "missing_field"),
                                                  ("parties", "missing_field")]
    assert problems({"parties": [dict(HOLDER, id_number="110105194912310021")], "extra": 1}) == [
        ("extra", "unknown_field"), ("business_type", "missing_field"), ("unit_code", "missing_field"),
        ("parties/0/id_number", "invalid_id_number")]


def test_each_kind_of_problem_from_the_registry_and_the_workflow():
    code = unit()
    # a county that does not exist; a well-formed unit not in the registry
    assert problems(mortgage_body("451300001002GB00014F00220045")) == [("unit_code", "invalid_unit_code")]
    assert problems(mortgage_body("450103001002GB99999F00000001")) == [("unit_code", "unit_not_found")]
    assert problems(dict(mortgage_body(code), business_type="mortgage.fly")) == [
        ("business_type", "unknown_business_type")]
    own = dict(mortgage_body(code), business_type="ownership.transfer", fields={"description": "买卖"})
    assert problems(own) == [("business_type", "business_type_not_enabled")]
    assert problems(mortgage_body(code, mortgagee_name="某银行")) == [("fields/mortgagee_bank", "invalid_field")]
    assert problems(dict(mortgage_body(code), fields=[])) == [("fields", "invalid_field")]
    assert problems(dict(mortgage_body(code), business_type="mortgage.change")) == [
        ("fields/entry_id", "missing_field")]
    assert problems(dict(mortgage_body(code), parties=[OBLIGOR])) == [("parties", "invalid_field")]
    assert problems(dict(mortgage_body(code), parties=[dict(HOLDER, id_number=fix_check("45010320990101123"))])) == [
        ("parties/0/id_number", "invalid_id_number")]


def test_validate_needs_case_create_and_a_json_object():
    assert_problem(validate(mortgage_body(unit()), who=reviewer()), 403, "forbidden")
    assert_problem(validate(None, raw=b"{"), 400, "malformed_json")
    assert_problem(validate(None, raw=b"[]"), 400, "json_not_object")
    assert_problem(request("POST", "/api/v1/cases/validate", json_body={}), 401, "unauthenticated")


# ---- 5. GET /api/v1/banks ---------------------------------------------------

def test_banks_are_public_reference_data_cached_for_an_hour():
    import csv
    import os
    from lib import ROOT
    with open(os.path.join(ROOT, "sql", "banks.csv"), encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    r = request("GET", "/api/v1/banks")  # no session
    assert r.status == 200, r
    assert r.header("Cache-Control") == "public, max-age=3600"
    items = r.json["items"]
    assert len(items) == len(rows)
    assert {"code": "ICBC", "name": "中国工商银行"} in items
    assert [i["code"] for i in items] == sorted(i["code"] for i in items)
    assert all(set(i) == {"code", "name"} for i in items)


# ---- 6. what is missing, in the applicant's progress -------------------------

def progress(c):
    r = request("POST", "/api/v1/public/progress", json_body={"number": c["number"], "id_last6": HOLDER["id_number"][-6:]})
    assert r.status == 200, r
    return r.json


def test_progress_lists_what_the_latest_supplement_request_asks_for_while_it_is_pending():
    c = case_at("accepted")
    assert progress(c)["missing"] == []
    c = act(c, "request_supplement", reviewer(), missing=["户口簿复印件"], comment="审核人内部意见").json
    assert progress(c)["missing"] == ["户口簿复印件"]
    c = act(c, "resubmit", clerk()).json
    assert progress(c)["missing"] == []
    c = act(c, "accept", reviewer()).json
    c = act(c, "request_supplement", reviewer(), missing=["抵押合同原件", "委托书（需公证）"]).json
    b = progress(c)
    assert b["state"] == "supplement_requested"
    assert b["missing"] == ["抵押合同原件", "委托书（需公证）"]      # the latest list, in its order
    text = json.dumps(b, ensure_ascii=False)
    assert "测试用户" not in text and "审核人内部意见" not in text and "actor" not in text
    c = act(c, "withdraw", clerk()).json
    assert progress(c)["missing"] == []


# ---- the contract ------------------------------------------------------------

def test_the_answers_match_the_documented_schemas():
    from test_openapi import conforms
    uid, name = make_user()
    s = login(name)
    conforms(me(s), "/api/v1/auth/me", "get")
    conforms(me(s, cookie=False), "/api/v1/auth/me", "get")
    c = case_at("approved")
    conforms(act(c, "register", reviewer()), "/api/v1/cases/{id}/actions/{action}", "post")
    conforms(clerk().get("/api/v1/cases/%d" % c["id"]), "/api/v1/cases/{id}", "get")
    p = "/api/v1/cases/validate"
    conforms(validate(mortgage_body(unit())), p, "post")
    conforms(validate({"parties": [{}], "x": 1}), p, "post")
    conforms(validate(None, raw=b"[]"), p, "post")
    conforms(validate({}, who=reviewer()), p, "post")
    conforms(request("GET", "/api/v1/banks"), "/api/v1/banks", "get")
    c = act(act(case_at("accepted"), "request_supplement", reviewer(), missing=["x"]).json, "resubmit", clerk()).json
    r = request("POST", "/api/v1/public/progress", json_body={"number": c["number"], "id_last6": HOLDER["id_number"][-6:]})
    conforms(r, "/api/v1/public/progress", "post")
