"""Rules of the case workflow, attacked from outside: certificate numbers per
registration area, the two-person rule, action bodies, domain checks of
what a case records, who learns that a case exists, and who is told to act
next."""
import re
import threading

from auth_lib import PASSWORD, login, make_user
from case_lib import (DECIDING, HOLDER, OBLIGOR, RECEIVING, act, attach, create, fix_check, mortgage_body,
                      pre_notice_body, staff, unit)
from lib import assert_problem, sql

CLERK = ("intake_clerk", RECEIVING)
XINGNING = "450102"   # 兴宁区, 南宁市: another urban district of the same city as 青秀区
LONGAN = "450123"     # 隆安县, 南宁市: a county, its own registration area
CERT = re.compile(r"^桂\((\d{4})\)(.+)不动产证明第(\d{7})号$")


def to_approved(code, county):
    c = create(mortgage_body(code)).json
    for action, who in (("submit", CLERK), ("accept", ("reviewer", county)), ("approve", ("reviewer", county))):
        r = act(c, action, staff[who])
        assert r.status == 200, (action, r)
        c = r.json
    return c


def case_row(cid):
    return sql("SELECT state, version, coalesce(certificate_no, '') FROM cases.case WHERE id = %d" % cid)


def events(cid):
    return [r[0] for r in sql("SELECT action FROM cases.event WHERE case_id = %d ORDER BY id" % cid)]


# ---- certificate numbers ----------------------------------------------------

def test_two_urban_districts_of_one_city_registering_at_once_get_distinct_numbers_of_the_city():
    a = to_approved(unit(county=XINGNING), XINGNING)
    b = to_approved(unit(county=DECIDING), DECIDING)
    out = {}
    barrier = threading.Barrier(2)

    def go(c, county):
        barrier.wait()
        out[county] = act(c, "register", staff[("registrar", county)])
    ts = [threading.Thread(target=go, args=x) for x in ((a, XINGNING), (b, DECIDING))]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert out[XINGNING].status == 200, out[XINGNING]
    assert out[DECIDING].status == 200, out[DECIDING]
    na, nb = out[XINGNING].json["certificate_no"], out[DECIDING].json["certificate_no"]
    ma, mb = CERT.match(na), CERT.match(nb)
    assert ma and mb, (na, nb)
    assert ma.group(2) == mb.group(2) == "南宁市" and ma.group(1) == mb.group(1)
    assert na != nb and abs(int(ma.group(3)) - int(mb.group(3))) == 1
    # the city's one sequence, gapless: every number from 1 to the counter, once
    year = int(ma.group(1))
    last, serials = sql(
        "SELECT (SELECT last FROM cases.certificate_counter WHERE area_code = '450100' AND year = %d"
        " AND kind = 'proof'), (SELECT string_agg(substring(certificate_no FROM '第([0-9]{7})号')::int::text, ','"
        " ORDER BY certificate_no) FROM cases.case WHERE certificate_no LIKE '桂(%d)南宁市不动产证明第%%')"
        % (year, year))[0]
    assert [int(s) for s in serials.split(",")] == list(range(1, int(last) + 1))


def test_a_county_keeps_its_own_certificate_sequence():
    before = sql("SELECT coalesce(max(last), 0) FROM cases.certificate_counter WHERE area_code = '450100'")
    c = to_approved(unit(county=LONGAN), LONGAN)
    r = act(c, "register", staff[("registrar", LONGAN)])
    assert r.status == 200, r
    m = CERT.match(r.json["certificate_no"])
    assert m and m.group(2) == "隆安县"
    assert sql("SELECT last FROM cases.certificate_counter WHERE area_code = '%s' AND year = %s AND kind = 'proof'"
               % (LONGAN, m.group(1))) == [[str(int(m.group(3)))]]
    assert r.json["certificate_no"] == "桂(%s)隆安县不动产证明第%07d号" % (m.group(1), int(m.group(3)))
    # 南宁市's sequence did not move
    assert sql("SELECT coalesce(max(last), 0) FROM cases.certificate_counter WHERE area_code = '450100'") == before


# ---- the two-person rule -----------------------------------------------------

def test_whoever_approved_a_case_may_not_register_it():
    uid, name = make_user(agency=DECIDING, grants=[("reviewer", DECIDING), ("registrar", DECIDING)])
    both = login(name)
    code = unit()
    c = create(mortgage_body(code)).json
    c = act(c, "submit", staff[CLERK]).json
    c = act(c, "accept", both).json
    c = act(c, "approve", both).json
    waiting = [i["id"] for i in both.get("/api/v1/cases?list=waiting&limit=200").json["items"]]
    assert c["id"] not in waiting  # not offered a step the rule leaves to another
    b = assert_problem(act(c, "register", both), 403, "two_person_rule")
    assert "approve" in b["detail"]
    assert case_row(c["id"]) == [["approved", str(c["version"]), ""]]
    assert events(c["id"])[-1] == "approve"
    assert sql("SELECT count(*) FROM reg.entry WHERE unit_code = '%s'" % code) == [["0"]]
    denied = sql("SELECT actor_id, details->>'code', details->>'earlier_action' FROM audit.event"
                 " WHERE action = 'auth.denied' AND object_type = 'case' AND object_id = '%d'" % c["id"])
    assert denied == [[str(uid), "two_person_rule", "approve"]]
    other = staff[("registrar", DECIDING)]
    assert c["id"] in [i["id"] for i in other.get("/api/v1/cases?list=waiting&limit=200").json["items"]]
    r = act(c, "register", other)
    assert r.status == 200 and r.json["state"] == "registered", r
    assert sql("SELECT count(*) FROM reg.entry WHERE unit_code = '%s'" % code) == [["1"]]


def test_the_two_person_rule_is_data_per_business_type_and_the_database_holds_it_too():
    uid, name = make_user(agency=DECIDING, grants=[("reviewer", DECIDING)])
    rev = login(name)
    rule = sql("INSERT INTO cases.two_person_rule (business_type, earlier_action, later_action)"
               " VALUES ('pre_notice.establish', 'accept', 'approve') RETURNING id")[0][0]
    try:
        p = act(create(pre_notice_body(unit())).json, "submit", staff[CLERK]).json
        p = act(p, "accept", rev).json
        assert_problem(act(p, "approve", rev), 403, "two_person_rule")
        assert case_row(p["id"])[0][0] == "accepted"
        m = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
        m = act(m, "accept", rev).json
        assert act(m, "approve", rev).status == 200  # another type: not under that rule
        # below the service: the database refuses the event itself
        out = sql("INSERT INTO cases.event (case_id, at, actor_id, action, from_state, to_state)"
                  " VALUES (%d, now(), %d, 'approve', 'accepted', 'approved')" % (p["id"], uid), check=False)
        assert out.returncode != 0 and "two-person rule" in out.stderr
        assert events(p["id"]) == ["create", "submit", "accept"]
    finally:
        sql("DELETE FROM cases.two_person_rule WHERE id = %s" % rule)
    assert act(p, "approve", rev).status == 200
    bad = sql("INSERT INTO cases.two_person_rule (earlier_action, later_action) VALUES ('approve', 'fly')", check=False)
    assert bad.returncode != 0 and "does not have" in bad.stderr
    assert sql("SELECT count(*) FROM cases.two_person_rule") == [["1"]]


# ---- the action body ------------------------------------------------------------

def test_an_action_refuses_fields_it_does_not_take_and_changes_nothing():
    c = create(mortgage_body(unit())).json
    clerk = staff[CLERK]
    for extra, code in (({"reason": "x"}, "unknown_field"), ({"versoin": 1}, "unknown_field"),
                        ({"comment": "a\u202eb"}, "invalid_field"), ({"comment": "a\u0000b"}, "invalid_character"),
                        ({"comment": ""}, "invalid_field"), ({"version": "1"}, "invalid_field"),
                        ({"version": 0}, "invalid_field")):
        assert_problem(act(c, "submit", clerk, **extra), 400, code)
    assert_problem(clerk.call("POST", "/api/v1/cases/%d/actions/submit" % c["id"], json_body={}), 400,
                   "missing_field")
    assert case_row(c["id"]) == [["draft", "1", ""]] and events(c["id"]) == ["create"]
    c = act(c, "submit", clerk).json
    c = act(c, "accept", staff[("reviewer", DECIDING)]).json
    rev = staff[("reviewer", DECIDING)]
    assert_problem(act(c, "request_supplement", rev, missing=["x"], reason="y"), 400, "unknown_field")
    assert_problem(act(c, "request_supplement", rev), 400, "missing_field")
    assert_problem(act(c, "request_supplement", rev, missing="x"), 400, "invalid_field")
    assert_problem(act(c, "request_supplement", rev, missing=["a\u2066b"]), 400, "invalid_field")
    assert_problem(act(c, "reject", rev, reason="理由", missing=["x"]), 400, "unknown_field")
    assert_problem(act(c, "reject", rev, reason="理由\u202e由理"), 400, "invalid_field")
    assert_problem(act(c, "approve", rev, items=[]), 400, "unknown_field")
    assert case_row(c["id"])[0][:2] == ["accepted", str(c["version"])]
    assert events(c["id"]) == ["create", "submit", "accept"]


def test_payment_and_delivery_bodies_are_checked_per_action():
    c = to_approved(unit(), DECIDING)
    c = act(c, "register", staff[("registrar", DECIDING)]).json
    cashier = staff[("cashier", DECIDING)]
    add = {"op": "add", "code": "REG", "description": "登记费", "quantity": 1, "unit_price_fen": 100,
           "reason": "补收"}
    # the hand-typed items of old are gone: the rules charge, the cashier adjusts
    assert_problem(act(c, "set_fees", cashier, items=[{"code": "REG", "description": "登记费", "quantity": 1,
                                                       "unit_price_fen": 8000}]), 400, "unknown_field")
    assert_problem(act(c, "set_fees", cashier, adjustments=[add], total=8000), 400, "unknown_field")
    assert_problem(act(c, "set_fees", cashier, adjustments=[dict(add, discount=1)]), 400, "unknown_field")
    assert_problem(act(c, "set_fees", cashier, adjustments=[dict(add, description="登记\u202e费")]), 400,
                   "invalid_field")
    c = act(c, "set_fees", cashier).json
    assert c["fee_total_fen"] == 8000
    assert_problem(act(c, "record_payment", cashier, receipt_number="R1", amount_fen=8000, method="card"), 400,
                   "invalid_field")
    assert_problem(act(c, "record_payment", cashier, receipt_number="R1", amount_fen=8000, channel="cash"), 400,
                   "unknown_field")
    assert_problem(act(c, "record_payment", cashier, receipt_number="R1", amount_fen="8000"), 400, "invalid_field")
    assert_problem(act(c, "record_payment", cashier, amount_fen=8000), 400, "missing_field")
    assert_problem(act(c, "record_payment", cashier, receipt_number="R\u20671", amount_fen=8000), 400,
                   "invalid_field")
    c = act(c, "record_payment", cashier, receipt_number="R1", amount_fen=8000).json
    c = act(c, "issue", staff[("issuer", DECIDING)]).json
    issuer = staff[("issuer", RECEIVING)]
    assert_problem(act(c, "deliver", issuer, method="pickup", tracking_number="SF1"), 400, "invalid_field")
    assert_problem(act(c, "deliver", issuer, method="drone"), 400, "invalid_field")
    assert_problem(act(c, "deliver", issuer, method="mail"), 400, "missing_field")
    assert_problem(act(c, "deliver", issuer, method="mail", tracking_number="SF1", amount_fen=1), 400,
                   "unknown_field")
    assert case_row(c["id"])[0][:2] == ["issued", str(c["version"])]
    assert act(c, "deliver", issuer, method="mail", tracking_number="SF1").status == 200


# ---- what a case records --------------------------------------------------------

def test_a_lower_case_x_in_a_resident_id_is_taken_as_X():
    lower = dict(HOLDER, id_number=HOLDER["id_number"].lower())
    r = create(dict(mortgage_body(unit()), parties=[lower, OBLIGOR]), attach_docs=False)
    assert r.status == 201, r
    assert r.json["parties"][0]["id_number"] == "110***********002X"


def test_impossible_and_future_birth_dates_are_refused_for_what_they_are():
    code = unit()
    before = sql("SELECT count(*) FROM cases.case")
    feb30 = dict(HOLDER, id_number=fix_check("45010319900230123"))
    b = assert_problem(create(dict(mortgage_body(code), parties=[feb30]), attach_docs=False), 400, "invalid_id_number")
    assert "not a real date" in b["detail"] and "check digit" not in b["detail"]
    unborn = dict(HOLDER, id_number=fix_check("45010320990101123"))
    b = assert_problem(create(dict(mortgage_body(code), parties=[unborn]), attach_docs=False), 400, "invalid_id_number")
    assert "future" in b["detail"]
    bad_check = dict(HOLDER, id_number="110105194912310021")
    b = assert_problem(create(dict(mortgage_body(code), parties=[bad_check]), attach_docs=False), 400,
                       "invalid_id_number")
    assert "check digit" in b["detail"]
    assert sql("SELECT count(*) FROM cases.case") == before


def test_business_dates_must_exist_on_the_calendar():
    code = unit()
    before = sql("SELECT count(*) FROM cases.case")
    for fields in ({"term_from": "2026-13-01"}, {"term_to": "2036-02-30"}, {"term_from": "2027-02-29"},
                   {"term_from": "2026-12-1"}, {"term_to": "2026-12-01"}, {"term_to": "2026-11-30"}):
        assert_problem(create(mortgage_body(code, **fields), attach_docs=False), 400, "invalid_field")
    assert sql("SELECT count(*) FROM cases.case") == before
    ok = create(mortgage_body(code, term_from="2028-02-29", term_to="2048-02-28"), attach_docs=False)
    assert ok.status == 201 and ok.json["fields"]["term_from"] == "2028-02-29"


def test_a_unit_code_naming_no_county_is_invalid_and_an_unknown_unit_not_found():
    before = sql("SELECT count(*) FROM cases.case")
    for county in ("459999", "450101", "452799"):  # county-shaped codes of no county
        b = assert_problem(create(mortgage_body(county + "001002GB00014F00220045"), attach_docs=False), 400,
                           "invalid_unit_code")
        assert "county" in b["detail"]
    assert_problem(create(mortgage_body("450123001002GB99999F00000001"), attach_docs=False), 422, "unit_not_found")
    assert sql("SELECT count(*) FROM cases.case") == before


def test_an_establishment_cannot_name_a_right_in_force_to_end_it():
    code = unit()
    first = to_approved(code, DECIDING)
    first = act(first, "register", staff[("registrar", DECIDING)]).json
    eid = first["timeline"][-1]["details"]["entry_id"]
    r = create(mortgage_body(code, entry_id=eid), attach_docs=False)
    b = assert_problem(r, 400, "invalid_field")
    assert "entry_id" in b["detail"]
    assert sql("SELECT valid_to IS NULL FROM reg.entry WHERE id = %d" % eid) == [["t"]]


def test_timeline_details_carry_numbers_the_api_takes_back():
    from test_openapi import conforms  # the documented CaseEvent.details types
    code = unit()
    c = to_approved(code, DECIDING)
    r = act(c, "register", staff[("registrar", DECIDING)])
    conforms(r, "/api/v1/cases/{id}/actions/{action}", "post")
    c = r.json
    reg = c["timeline"][-1]["details"]
    assert isinstance(reg["entry_id"], int) and reg["certificate_no"] == c["certificate_no"]
    cashier = staff[("cashier", DECIDING)]
    c = act(c, "set_fees", cashier, adjustments=[{"op": "add", "code": "REG2", "description": "登记费", "quantity": 2,
                                                  "unit_price_fen": 4000, "reason": "补收"}]).json
    assert c["timeline"][-1]["details"] == {"adjustments": [{"op": "add", "seq": 2, "code": "REG2",
                                                             "amount_fen": 8000, "reason": "补收"}],
                                            "total_fen": 16000}
    r = act(c, "record_payment", cashier, receipt_number="R-7", amount_fen=16000, method="pos")
    conforms(r, "/api/v1/cases/{id}/actions/{action}", "post")
    c = r.json
    assert c["timeline"][-1]["details"] == {"receipt_number": "R-7", "method": "pos", "amount_fen": 16000}
    # the number from the timeline is what a cancellation takes as input
    body = {"business_type": "mortgage.cancellation", "unit_code": code, "parties": [HOLDER],
            "fields": {"entry_id": reg["entry_id"]}}
    k = create(body).json
    for action, who in (("submit", CLERK), ("accept", ("reviewer", DECIDING)), ("approve", ("reviewer", DECIDING)),
                        ("register", ("registrar", DECIDING))):
        r = act(k, action, staff[who])
        assert r.status == 200, (action, r)
        k = r.json
    assert k["timeline"][-1]["details"] == {"ended_entry": reg["entry_id"]}
    assert sql("SELECT count(*) FROM cases.event WHERE jsonb_typeof(details->'entry_id') = 'string'"
               " OR jsonb_typeof(details->'ended_entry') = 'string' OR jsonb_typeof(details->'total_fen') = 'string'"
               " OR jsonb_typeof(details->'amount_fen') = 'string'") == [["0"]]


# ---- who learns that a case exists ------------------------------------------------

def test_a_stranger_cannot_tell_an_existing_case_from_a_missing_one():
    c = create(mortgage_body(unit()), attach_docs=False).json
    a = attach(c["id"], "application").json
    missing = int(sql("SELECT coalesce(max(id), 0) + 1000 FROM cases.case")[0][0])
    stranger = staff[("reviewer", "450102")]  # reads cases, but of neither side
    probes = [("GET", "/api/v1/cases/%d", None), ("POST", "/api/v1/cases/%d/actions/accept", {"version": 1}),
              ("POST", "/api/v1/cases/%d/actions/submit", {"version": 1}),
              ("POST", "/api/v1/cases/%d/actions/fly", {"version": 1}),
              ("GET", "/api/v1/cases/%d/attachments", None),
              ("GET", "/api/v1/cases/%%d/attachments/%d" % a["id"], None)]
    for method, path, body in probes:
        seen = stranger.call(method, path % c["id"], json_body=body)
        unseen = stranger.call(method, path % missing, json_body=body)
        b1, b2 = assert_problem(seen, 404, "case_not_found"), assert_problem(unseen, 404, "case_not_found")
        assert (b1["detail"], b1["title"]) == (b2["detail"], b2["title"]), path
    up = attach(c["id"], "identity", who=stranger)
    assert_problem(up, 404, "case_not_found")
    assert_problem(attach(missing, "identity", who=stranger), 404, "case_not_found")
    assert case_row(c["id"]) == [["draft", "1", ""]]
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["1"]]
    # the tries on the existing case are on the audit trail
    assert sql("SELECT count(*) FROM audit.event WHERE action = 'auth.denied' AND object_type = 'case'"
               " AND object_id = '%d' AND details->>'code' = 'case_not_found'" % c["id"]) == [[str(len(probes) + 1)]]
    # a reader of the case without the permission for the step: 403, audited
    rid, rname = make_user(agency=RECEIVING, grants=[("reviewer", RECEIVING)])
    assert_problem(act(c, "submit", login(rname)), 403, "forbidden")
    assert sql("SELECT details->>'code', details->>'path' FROM audit.event WHERE action = 'auth.denied'"
               " AND actor_id = %d" % rid) == [["forbidden", "/api/v1/cases/%d/actions/submit" % c["id"]]]
    assert_problem(attach(c["id"], "identity", who=staff[("cashier", RECEIVING)]), 403, "forbidden")
    # who reads no case at all is refused the same for every id
    q = staff[("query_clerk", RECEIVING)]
    for cid in (c["id"], missing):
        assert_problem(q.get("/api/v1/cases/%d" % cid), 403, "forbidden")
        assert_problem(q.call("POST", "/api/v1/cases/%d/actions/submit" % cid, json_body={"version": 1}), 403,
                       "forbidden")
        assert_problem(q.get("/api/v1/cases/%d/attachments" % cid), 403, "forbidden")


def test_a_session_due_a_password_change_touches_no_case():
    uid, name = make_user(agency=RECEIVING, grants=[("intake_clerk", RECEIVING)], must_change=True)
    s = login(name, PASSWORD)
    c = create(mortgage_body(unit()), attach_docs=False).json
    assert_problem(attach(c["id"], "application", who=s), 403, "password_change_required")
    assert_problem(s.get("/api/v1/cases/%d/attachments" % c["id"]), 403, "password_change_required")
    assert_problem(act(c, "withdraw", s), 403, "password_change_required")
    assert_problem(s.get("/api/v1/notifications"), 403, "password_change_required")
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["0"]]


# ---- who is told to act next ----------------------------------------------------

def notes(cid, kind):
    return sorted(r[0] for r in sql("SELECT agency_code FROM cases.notification WHERE case_id = %d AND kind = '%s'"
                                    % (cid, kind)))


def test_hand_over_notes_go_to_the_side_that_acts_next():
    rev, reg = staff[("reviewer", DECIDING)], staff[("registrar", DECIDING)]
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    assert notes(c["id"], "submit") == [DECIDING]
    c = act(c, "accept", rev).json
    c = act(c, "request_supplement", rev, missing=["委托书"]).json
    assert notes(c["id"], "request_supplement") == [RECEIVING]
    c = act(c, "resubmit", staff[CLERK]).json
    assert notes(c["id"], "resubmit") == [DECIDING]
    for action, who in (("accept", rev), ("approve", rev), ("register", reg)):
        c = act(c, action, who).json
    c = act(c, "set_fees", staff[("cashier", DECIDING)]).json
    assert notes(c["id"], "set_fees") == [RECEIVING]  # the applicant may pay at the window
    # paid at the deciding county, which also issues: nobody else to tell
    c = act(c, "record_payment", staff[("cashier", DECIDING)], receipt_number="QX-1", amount_fen=8000).json
    assert notes(c["id"], "record_payment") == []
    c = act(c, "issue", staff[("issuer", DECIDING)]).json
    assert notes(c["id"], "issue") == [RECEIVING]
    c = act(c, "deliver", staff[("issuer", RECEIVING)], method="pickup").json
    c = act(c, "close", staff[("issuer", RECEIVING)]).json
    assert sql("SELECT kind, agency_code FROM cases.notification WHERE case_id = %d ORDER BY id" % c["id"]) == [
        ["submit", DECIDING], ["request_supplement", RECEIVING], ["resubmit", DECIDING], ["set_fees", RECEIVING],
        ["issue", RECEIVING]]
    # paid at the window instead: the deciding county is told to issue
    d = to_approved(unit(), DECIDING)
    d = act(d, "register", reg).json
    d = act(d, "set_fees", staff[("cashier", DECIDING)]).json
    d = act(d, "record_payment", staff[("cashier", RECEIVING)], receipt_number="XB-1", amount_fen=8000).json
    assert notes(d["id"], "record_payment") == [DECIDING]
    assert sql("SELECT message FROM cases.notification WHERE case_id = %d AND kind = 'record_payment'"
               % d["id"]) == [["已收费：请缮证发证"]]
    # a refusal is told to the window, which tells the applicant
    e = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    e = act(act(e, "accept", rev).json, "reject", rev, reason="材料不全").json
    assert notes(e["id"], "reject") == [RECEIVING]


def test_one_agency_on_both_sides_gets_no_notes():
    clerk = staff[("intake_clerk", DECIDING)]
    c = create(mortgage_body(unit()), who=clerk).json
    c = act(c, "submit", clerk).json
    assert sql("SELECT count(*) FROM cases.notification WHERE case_id = %d" % c["id"]) == [["0"]]


# ---- lists ---------------------------------------------------------------------------

def test_list_parameters_are_whole_numbers_in_range():
    s = staff[CLERK]
    for q in ("list=waiting&limit=5x", "list=waiting&limit=+5", "list=waiting&limit=201", "list=waiting&after=-1",
              "list=waiting&after=99999999999999999999", "list=waiting&after=1e3", "list=waiting&limit="):
        assert_problem(s.get("/api/v1/cases?" + q), 400, "invalid_parameter")
    for q in ("before=99999999999999999999", "before=0", "limit=5x", "before=12 ", "limit=0"):
        assert_problem(s.get("/api/v1/notifications?" + q.replace(" ", "%20")), 400, "invalid_parameter")
    assert s.get("/api/v1/notifications?before=9223372036854775807&limit=5").status == 200
    assert s.get("/api/v1/cases?list=waiting&after=9223372036854775807&limit=5").json["items"] == []


def test_an_agency_inbox_and_received_list_are_for_those_who_read_its_cases():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    uid, name = make_user(agency=RECEIVING, grants=[("reviewer", "450102")])  # works elsewhere
    away = login(name)
    assert_problem(away.get("/api/v1/notifications"), 403, "forbidden")
    nid = int(sql("SELECT id FROM cases.notification WHERE agency_code = '%s' ORDER BY id DESC LIMIT 1"
                  % RECEIVING)[0][0]) if sql("SELECT 1 FROM cases.notification WHERE agency_code = '%s'"
                                             % RECEIVING) else 1
    assert_problem(away.call("POST", "/api/v1/notifications/%d/read" % nid), 403, "forbidden")
    elsewhere = away.get("/api/v1/cases?list=received_elsewhere&limit=200")
    assert elsewhere.status == 200 and c["id"] not in [i["id"] for i in elsewhere.json["items"]]
    assert c["id"] in [i["id"] for i in staff[CLERK].get("/api/v1/cases?list=received_elsewhere&limit=200")
                       .json["items"]]


def test_the_migration_turns_numbers_in_older_timeline_details_into_numbers():
    import os
    from lib import ROOT
    text = open(os.path.join(ROOT, "sql", "0012_case_rules.sql"), encoding="utf-8").read()
    update = text[text.index("UPDATE cases.event e"):]
    c = create(mortgage_body(unit()), attach_docs=False).json
    sql("INSERT INTO cases.event (case_id, at, action, from_state, to_state, details) VALUES"
        " (%d, now(), 'register', 'approved', 'registered', '{\"certificate_no\": \"桂(2026)南宁市不动产证明第0000009号\","
        " \"entry_id\": \"7\"}'), (%d, now(), 'record_payment', 'fees_set', 'paid',"
        " '{\"receipt_number\": \"0012\", \"amount_fen\": \"8000\"}')" % (c["id"], c["id"]))
    sql(update)
    got = [r[0] for r in sql("SELECT details::text FROM cases.event WHERE case_id = %d AND action <> 'create'"
                             " ORDER BY id" % c["id"])]
    assert got == ['{"entry_id": 7, "certificate_no": "桂(2026)南宁市不动产证明第0000009号"}',
                   '{"amount_fen": 8000, "receipt_number": "0012"}']
    d = staff[CLERK].get("/api/v1/cases/%d" % c["id"]).json["timeline"]
    assert d[1]["details"]["entry_id"] == 7 and d[2]["details"]["receipt_number"] == "0012"


def test_a_document_crossing_the_registration_does_not_join_the_registered_case():
    import time
    c = to_approved(unit(), DECIDING)
    before = sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"])
    # a registration holding the case row, committing while the upload is under way
    t = threading.Thread(target=sql, args=(
        "BEGIN; SELECT 1 FROM cases.case WHERE id = %d FOR UPDATE;"
        " UPDATE cases.case SET state = 'registered', version = version + 1 WHERE id = %d;"
        " SELECT pg_sleep(1.5); COMMIT;" % (c["id"], c["id"]),))
    t.start()
    time.sleep(0.5)
    r = attach(c["id"], "application", filename="迟到.pdf")
    t.join()
    assert_problem(r, 409, "invalid_state")
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == before


def test_the_migration_seeds_counters_from_the_numbers_already_given():
    import os
    from lib import ROOT
    text = open(os.path.join(ROOT, "sql", "0012_case_rules.sql"), encoding="utf-8").read()
    start = text.index("INSERT INTO cases.certificate_counter")
    seed = text[start:text.index(";", start)]
    c = to_approved(unit(county=XINGNING), XINGNING)
    assert act(c, "register", staff[("registrar", XINGNING)]).status == 200
    # the counters rebuilt from the certificate texts are the live ones (gapless), rolled back after
    out = sql("DO $$ BEGIN CREATE TEMP TABLE live AS SELECT * FROM cases.certificate_counter WHERE kind = 'proof';"
              " DELETE FROM cases.certificate_counter; " + seed + ";"
              " IF (SELECT count(*) FROM live) < 1 OR EXISTS (SELECT * FROM live EXCEPT SELECT * FROM"
              " cases.certificate_counter WHERE kind = 'proof') OR EXISTS (SELECT * FROM cases.certificate_counter"
              " WHERE kind = 'proof' EXCEPT SELECT * FROM live) THEN RAISE EXCEPTION 'seed differs'; END IF;"
              " RAISE EXCEPTION 'seed matches'; END $$", check=False)
    assert "seed matches" in out.stderr, out.stderr
    assert sql("SELECT count(*) FROM cases.certificate_counter WHERE area_code = '450100'") == [["1"]]
