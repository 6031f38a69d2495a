"""Cross-jurisdiction cases: taken in at 兴宾区 (451302), decided by 青秀区
(450103) where the property lies."""
import json
import threading

from case_lib import (DECIDING, HOLDER, RECEIVING, act, create, mortgage_body, pre_notice_body, seize, staff, unit)
from lib import assert_problem, sql

CLERK = ("intake_clerk", RECEIVING)
REVIEWER = ("reviewer", DECIDING)
REGISTRAR = ("registrar", DECIDING)
CASHIER = ("cashier", DECIDING)
ISSUER = ("issuer", DECIDING)


def reads_a_side(div):
    """Whether a scope covers the receiving or the deciding division."""
    return any(div == d or (div.endswith("00") and d.startswith(div[:4])) or div == "450000"
               for d in (RECEIVING, DECIDING))


def step(case, action, right, wrong_role, wrong_agency, **extra):
    """Refused for the wrong role, the wrong agency (403 for a reader of
    either side, for others the 404 of a missing case) and a stale version;
    then done by the right user. Returns the new case."""
    assert_problem(act(case, action, staff[wrong_role], **extra), 403, "forbidden")
    if reads_a_side(wrong_agency[1]):
        assert_problem(act(case, action, staff[wrong_agency], **extra), 403, "forbidden")
    else:
        assert_problem(act(case, action, staff[wrong_agency], **extra), 404, "case_not_found")
    stale = dict(case, version=case["version"] - 1) if case["version"] > 1 else dict(case, version=99)
    assert_problem(act(stale, action, staff[right], **extra), 409, "version_conflict")
    r = act(case, action, staff[right], **extra)
    assert r.status == 200, r
    new = r.json
    assert new["version"] == case["version"] + 1
    return new


def test_full_mortgage_journey_across_jurisdictions():
    code = unit()
    r = create(mortgage_body(code))
    assert r.status == 201, r
    c = r.json
    assert c["number"].startswith("TB-450103-2026-") and len(c["number"]) == len("TB-450103-2026-000001")
    assert c["state"] == "draft" and c["receiving_agency"]["code"] == RECEIVING
    assert c["deciding_agency"] == {"code": DECIDING, "name": "青秀区不动产登记中心"}
    assert c["parties"][0]["id_number"] == "110***********002X"  # masked
    assert c["fields"]["mortgagee_name"] == "中国工商银行"
    c = step(c, "submit", CLERK, ("reviewer", RECEIVING), ("intake_clerk", "450100"))
    assert c["state"] == "submitted" and c["received_at"] and c["due_date"]
    c = step(c, "accept", REVIEWER, ("registrar", DECIDING), ("reviewer", RECEIVING))
    c = step(c, "request_supplement", REVIEWER, CASHIER, ("reviewer", "450102"), missing=["抵押合同原件"])
    assert c["state"] == "supplement_requested"
    assert c["timeline"][-1]["details"] == {"missing": ["抵押合同原件"]}
    c = step(c, "resubmit", CLERK, ISSUER, ("intake_clerk", DECIDING))
    c = step(c, "accept", REVIEWER, CLERK, ("reviewer", RECEIVING))
    c = step(c, "approve", REVIEWER, REGISTRAR, ("reviewer", "450102"))
    c = step(c, "register", REGISTRAR, REVIEWER, ("registrar", RECEIVING))
    assert c["state"] == "registered"
    assert c["certificate_no"].startswith("桂(2026)南宁市不动产证明第") and c["certificate_no"].endswith("号")
    entry = sql("SELECT kind, rank, holder_name, amount_fen, certificate_no, made_by_case FROM reg.entry"
                " WHERE unit_code = '%s' AND valid_to IS NULL" % code)
    assert entry == [["mortgage", "1", "中国工商银行", "50000000", c["certificate_no"], str(c["id"])]]
    # registering charged the rules' fee: a residential unit's mortgage, 80 CNY
    assert c["fee_total_fen"] == 8000
    c = step(c, "set_fees", CASHIER, ISSUER, ("cashier", RECEIVING))
    assert c["fee_total_fen"] == 8000
    assert_problem(act(c, "record_payment", staff[CASHIER], receipt_number="R1", amount_fen=7999), 400, "invalid_field")
    c = step(c, "record_payment", ("cashier", RECEIVING), ISSUER, ("cashier", "450102"),
             receipt_number="GX-2026-000123", amount_fen=8000)
    c = step(c, "issue", ISSUER, CASHIER, ("issuer", RECEIVING))
    c = step(c, "deliver", ("issuer", RECEIVING), REVIEWER, ("issuer", "450102"), method="mail",
             tracking_number="SF1234567890")
    c = step(c, "close", ("issuer", RECEIVING), REVIEWER, ("issuer", "450102"))
    assert c["state"] == "closed"
    assert [e["action"] for e in c["timeline"]] == [
        "create", "submit", "accept", "request_supplement", "resubmit", "accept", "approve", "register",
        "set_fees", "record_payment", "issue", "deliver", "close"]
    # every transition wrote its event, audit row and outbox message
    assert sql("SELECT count(*) FROM cases.event WHERE case_id = %d" % c["id"]) == [["13"]]
    assert sql("SELECT count(*) FROM audit.event WHERE object_type = 'case' AND object_id = '%d'"
               " AND outcome = 'success' AND action NOT LIKE 'case.attachment.%%'" % c["id"]) == [["13"]]
    # the documents attached at the window before submission
    assert sql("SELECT count(*) FROM audit.event WHERE object_id = '%d' AND action = 'case.attachment.add'"
               % c["id"]) == [["3"]]
    assert sql("SELECT count(*) FROM outbox.message WHERE case_id = %d" % c["id"]) == [["13"]]
    # both sides can read it; for a third county it does not exist
    assert staff[CLERK].get("/api/v1/cases/%d" % c["id"]).status == 200
    assert staff[REVIEWER].get("/api/v1/cases/%d" % c["id"]).status == 200
    assert_problem(staff[("reviewer", "450102")].get("/api/v1/cases/%d" % c["id"]), 404, "case_not_found")


def test_wrong_state_is_409():
    c = create(mortgage_body(unit())).json
    r = act(c, "approve", staff[REVIEWER])
    assert_problem(r, 409, "invalid_state")
    assert_problem(act(c, "fly", staff[REVIEWER]), 404, "unknown_action")


def test_full_pre_notice_journey_with_refusals_at_every_step():
    code = unit()
    r = create(pre_notice_body(code))
    assert r.status == 201, r
    c = r.json
    assert c["business_type"] == "pre_notice.establish" and c["fields"]["contract_number"] == "NN-2026-0001"
    c = step(c, "submit", CLERK, ("reviewer", RECEIVING), ("intake_clerk", "450100"))
    c = step(c, "accept", REVIEWER, ("registrar", DECIDING), ("reviewer", RECEIVING))
    c = step(c, "approve", REVIEWER, REGISTRAR, ("reviewer", "450102"))
    c = step(c, "register", REGISTRAR, REVIEWER, ("registrar", RECEIVING))
    assert c["certificate_no"].startswith("桂(2026)南宁市不动产证明第")
    assert sql("SELECT kind, holder_name, amount_fen, certificate_no FROM reg.entry WHERE made_by_case = %d"
               % c["id"]) == [["pre_notice", "张三", "120000000", c["certificate_no"]]]
    c = step(c, "set_fees", CASHIER, ISSUER, ("cashier", RECEIVING))
    c = step(c, "record_payment", CASHIER, ISSUER, ("cashier", "450102"), receipt_number="QX-2026-9", amount_fen=8000)
    c = step(c, "issue", ISSUER, CASHIER, ("issuer", RECEIVING))
    c = step(c, "deliver", ("issuer", RECEIVING), REVIEWER, ("issuer", "450102"), method="pickup")
    assert c["timeline"][-1]["details"] == {"method": "pickup", "agency_code": RECEIVING}
    c = step(c, "close", ("issuer", RECEIVING), REVIEWER, ("issuer", "450102"))
    assert c["state"] == "closed"
    # one item, by the rule: a 不动产登记证明 carries no certificate charge
    assert sql("SELECT code, amount_fen, rule FROM cases.fee_item WHERE case_id = %d" % c["id"]) == [
        ["reg_residential", "8000", "reg_residential"]]


def test_withdrawal_before_registration_and_rejection():
    c = create(mortgage_body(unit())).json
    c = act(c, "submit", staff[CLERK]).json
    assert_problem(act(c, "withdraw", staff[REVIEWER]), 403, "forbidden")
    w = act(c, "withdraw", staff[CLERK], comment="申请人撤回")
    assert w.status == 200 and w.json["state"] == "withdrawn"
    assert_problem(act(w.json, "accept", staff[REVIEWER]), 409, "invalid_state")
    d = create(mortgage_body(unit())).json
    for a in ("submit", "accept"):
        d = act(d, a, staff[CLERK if a == "submit" else REVIEWER]).json
    assert_problem(act(d, "reject", staff[REVIEWER]), 400, "missing_field")
    rj = act(d, "reject", staff[REVIEWER], reason="材料不符合要求")
    assert rj.status == 200 and rj.json["state"] == "rejected"
    assert rj.json["timeline"][-1]["details"] == {"reason": "材料不符合要求"}


def advance(c, upto):
    plan = [("submit", CLERK), ("accept", REVIEWER), ("approve", REVIEWER), ("register", REGISTRAR)]
    done = {"draft": 0, "submitted": 1, "accepted": 2, "approved": 3}[c["state"]]
    for action, who in plan[done:]:
        r = act(c, action, staff[who])
        if action == upto:
            return r
        assert r.status == 200, (action, r)
        c = r.json
    return c


def test_priority_earlier_received_case_blocks_a_later_one():
    code = unit()
    first = create(mortgage_body(code)).json
    second = create(mortgage_body(code, amount_fen=1000)).json
    first = act(first, "submit", staff[CLERK]).json
    second = advance(second, "approve").json  # received later, approved first
    r = act(second, "register", staff[REGISTRAR])
    b = assert_problem(r, 409, "priority_conflict")
    assert first["number"] in b["detail"]
    assert sql("SELECT count(*) FROM reg.entry WHERE unit_code = '%s'" % code) == [["0"]]
    seen = staff[CLERK].get("/api/v1/cases/%d" % second["id"]).json["conflicts"]
    assert seen == [{"id": first["id"], "number": first["number"], "state": "submitted",
                     "received_at": first["received_at"], "earlier": True}]
    other_side = staff[REVIEWER].get("/api/v1/cases/%d" % first["id"]).json["conflicts"]
    assert other_side[0]["number"] == second["number"] and other_side[0]["earlier"] is False
    # once the earlier one is registered, ranks follow in order
    assert advance(first, "register").status == 200
    r2 = act(staff[CLERK].get("/api/v1/cases/%d" % second["id"]).json, "register", staff[REGISTRAR])
    assert r2.status == 200, r2
    assert sql("SELECT rank FROM reg.entry WHERE unit_code = '%s' ORDER BY rank" % code) == [["1"], ["2"]]


def test_no_mortgage_on_a_seized_unit():
    code = unit()
    seize(code)
    r = advance(create(mortgage_body(code)).json, "register")
    assert_problem(r, 409, "unit_seized")
    assert sql("SELECT count(*) FROM reg.entry WHERE unit_code = '%s' AND kind = 'mortgage'" % code) == [["0"]]


def test_cancelling_a_mortgage_that_does_not_exist_is_refused():
    code = unit()
    body = {"business_type": "mortgage.cancellation", "unit_code": code, "parties": [HOLDER],
            "fields": {"entry_id": 987654321}}
    failed = advance(create(body).json, "approve").json
    assert_problem(act(failed, "register", staff[REGISTRAR]), 409, "no_such_right")
    assert act(failed, "withdraw", staff[CLERK]).status == 200
    # and a real one is ended, not deleted
    m = advance(create(mortgage_body(code)).json, "register")
    assert m.status == 200
    eid = int(sql("SELECT id FROM reg.entry WHERE made_by_case = %d" % m.json["id"])[0][0])
    body["fields"]["entry_id"] = eid
    ok = advance(create(body).json, "register")
    assert ok.status == 200, ok
    assert sql("SELECT valid_to IS NOT NULL, ended_by_case FROM reg.entry WHERE id = %d" % eid) == [
        ["t", str(ok.json["id"])]]


def test_two_clients_racing_the_same_transition_exactly_one_wins():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    results = []
    barrier = threading.Barrier(2)

    def go():
        barrier.wait()
        results.append(act(c, "accept", staff[REVIEWER]).status)
    ts = [threading.Thread(target=go) for _ in range(2)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted(results) == [200, 409]
    assert sql("SELECT count(*) FROM cases.event WHERE case_id = %d AND action = 'accept'" % c["id"]) == [["1"]]


def test_fifty_concurrent_creations_with_retries_make_no_duplicates_and_gapless_numbers():
    code = unit(county="450102")
    keys = ["race-%d-%s" % (i, code[-12:]) for i in range(50)]
    clerk = staff[CLERK]
    out = {}
    lock = threading.Lock()

    def go(key):
        for _ in range(2):  # every request is sent twice, as a client retrying
            r = create(mortgage_body(code), who=clerk, key=key, attach_docs=False)
            with lock:
                out.setdefault(key, []).append((r.status, r.body))
    ts = [threading.Thread(target=go, args=(k,)) for k in keys]
    [t.start() for t in ts]
    [t.join() for t in ts]
    for key, answers in out.items():
        assert [s for s, _ in answers] == [201, 201], answers
        assert answers[0][1] == answers[1][1]  # the retry got the very same answer
    rows = sql("SELECT number FROM cases.case WHERE unit_code = '%s' ORDER BY number" % code)
    assert len(rows) == 50
    seqs = sorted(int(r[0].rsplit("-", 1)[1]) for r in rows)
    assert seqs == list(range(seqs[0], seqs[0] + 50))
    assert sql("SELECT count(*) FROM cases.case WHERE deciding_agency = '450102'") == [[str(seqs[-1])]]


def test_idempotency_key_reused_for_another_request_is_422():
    code = unit()
    assert create(mortgage_body(code), key="same-key-%s" % code[-8:]).status == 201
    r = create(mortgage_body(code, amount_fen=1), key="same-key-%s" % code[-8:])
    assert_problem(r, 422, "idempotency_key_reused")
    assert_problem(create(mortgage_body(code), key="bad key!"), 400, "invalid_idempotency_key")


def test_bad_case_input_is_refused_and_nothing_written():
    code = unit()
    before = sql("SELECT count(*) FROM cases.case")
    bad_id = dict(HOLDER, id_number="110105194912310021")
    cases = [
        (dict(mortgage_body(code), unit_code="451302001002GB00014X00220045"), "invalid_unit_code"),
        (dict(mortgage_body(code), unit_code="451300001002GB00014F00220045"), "invalid_unit_code"),
        (dict(mortgage_body(code), parties=[bad_id]), "invalid_id_number"),
        (dict(mortgage_body(code), business_type="mortgage.fly"), "unknown_business_type"),
        (dict(mortgage_body(code), business_type=5), "invalid_field"),
        (dict(mortgage_body(code), parties=[]), "invalid_field"),
        (dict(mortgage_body(code), parties=[dict(HOLDER, role="obligor")]), "invalid_field"),
        (mortgage_body(code, amount_fen="lots"), "invalid_field"),
        (mortgage_body(code, term_to="2020-01-01"), "invalid_field"),
        (mortgage_body(code, mortgagee_bank="NOPE"), "invalid_field"),
        (dict(mortgage_body(code), extra=1), "unknown_field"),
    ]
    for body, code_ in cases:
        assert_problem(create(body), 400, code_)
    assert_problem(create(mortgage_body("450103001002GB99999F00000001")), 422, "unit_not_found")
    own = dict(mortgage_body(code), business_type="ownership.transfer",
               fields={"description": "买卖"})
    assert_problem(create(own), 422, "business_type_not_enabled")
    assert sql("SELECT count(*) FROM cases.case") == before
    assert_problem(create(mortgage_body(code), who=staff[REVIEWER]), 403, "forbidden")


def test_polled_case_detail_is_never_stale_after_a_transition_nor_shown_to_strangers():
    c = create(mortgage_body(unit())).json
    reader = staff[REVIEWER]
    for _ in range(3):  # polled: served from the workers' one-second cache
        assert staff[CLERK].get("/api/v1/cases/%d" % c["id"]).json["state"] == "draft"
    assert_problem(staff[("reviewer", "450102")].get("/api/v1/cases/%d" % c["id"]), 404, "case_not_found")
    c = act(c, "submit", staff[CLERK]).json
    for who in (staff[CLERK], reader, staff[CLERK]):
        d = who.get("/api/v1/cases/%d" % c["id"]).json
        assert d["state"] == "submitted" and d["version"] == c["version"]
