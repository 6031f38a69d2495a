"""Fees as rules (发改价格规〔2016〕2559号, fcgi/domain/fees.c): what
registering each kind of case charges, written in the registering
transaction with the rule and its basis; the cashier's adjustments (add or
waive, only with a reason, audited); the small-business exemption and its
proof; a free case going straight on to paid; the fees in the case detail;
and window payments held back while an online order is pending."""
import json

from case_lib import HOLDER, OBLIGOR, RECEIVING, act, attach, create, mortgage_body, staff, unit
from lib import assert_problem, sql

# 宾阳县 (南宁市), a county of its own registration area
DECIDING = "450126"
CLERK = ("intake_clerk", RECEIVING)
REVIEWER = ("reviewer", DECIDING)
REGISTRAR = ("registrar", DECIDING)
CASHIER = ("cashier", DECIDING)
COURT = {"role": "right_holder", "name": "南宁市中级人民法院", "id_type": "uscc", "id_number": "91350100M000100Y43"}
DOCS = {"seizure": ["court_ruling", "assistance_notice"],
        "objection": ["application", "identity", "objection_proof"],
        "ownership": ["application", "identity", "ownership_proof"],
        "mortgage": ["application", "identity", "mortgage_contract"],
        "pre_notice": ["application", "identity", "sale_contract"]}
ITEM_COLS = ("seq, code, description, quantity, unit_price_fen, amount_fen, coalesce(rule, ''),"
             " coalesce(basis, ''), waived, coalesce(reason, ''), adjusted_by IS NOT NULL")


def new_case(body, docs=True):
    r = create(body, attach_docs=False)
    assert r.status == 201, r
    if docs:
        for doc in DOCS[body["business_type"].split(".")[0]]:
            assert attach(r.json["id"], doc).status == 201
    return r.json


def registered(body, **kw):
    c = new_case(body, **kw)
    for action, who in (("submit", CLERK), ("accept", REVIEWER), ("approve", REVIEWER), ("register", REGISTRAR)):
        r = act(c, action, staff[who])
        assert r.status == 200, (action, r)
        c = r.json
    assert c["state"] == "registered"
    return c


def items(cid):
    return sql("SELECT " + ITEM_COLS + " FROM cases.fee_item WHERE case_id = %d ORDER BY seq" % cid)


def total(cid):
    return sql("SELECT state, coalesce(fee_total_fen::text, ''), version FROM cases.case WHERE id = %d" % cid)[0]


def pilot():
    sql("INSERT INTO cases.pilot (division_code, category) VALUES ('%s', 'ownership') ON CONFLICT DO NOTHING"
        % DECIDING)


def seizure_body(code):
    return {"business_type": "seizure.establish", "unit_code": code, "parties": [COURT, dict(HOLDER, role="obligor")],
            "fields": {"court": "南宁市中级人民法院", "document_number": "(2026)桂01执77号", "ruling_date": "2026-03-01",
                       "term_from": "2026-03-02", "term_to": "2029-03-01"}}


def test_registering_writes_the_items_the_rules_charge_for_each_kind_of_case():
    pilot()
    want = [
        # a residential unit's mortgage: the registration fee, a proof carries no certificate charge
        (mortgage_body(unit(DECIDING), certificates=3), 8000,
         [["1", "reg_residential", "住宅登记费", "1", "8000", "8000", "reg_residential", "住宅登记费 80 元/件", "f", "",
           "f"]]),
        (mortgage_body(unit(DECIDING, use="non_residential")), 55000,
         [["1", "reg_non_residential", "非住宅登记费", "1", "55000", "55000", "reg_non_residential",
           "非住宅登记费 550 元/件", "f", "", "f"]]),
        # an ownership transfer with three certificates: two charged
        ({"business_type": "ownership.transfer", "unit_code": unit(DECIDING), "parties": [HOLDER],
          "fields": {"description": "买卖", "certificates": 3}}, 10000,
         [["1", "reg_residential", "住宅登记费", "1", "8000", "8000", "reg_residential", "住宅登记费 80 元/件", "f", "",
           "f"],
          ["2", "cert_extra", "不动产权证书工本费", "2", "1000", "2000", "cert_extra",
           "不动产权证书工本费 10 元/本，第一本免收，加收 2 本", "f", "", "f"]]),
        # a change (a name change) of a storeroom: half, the extra certificate in full
        ({"business_type": "ownership.change", "unit_code": unit(DECIDING, use="storeroom"), "parties": [HOLDER],
          "fields": {"description": "更名", "certificates": 2}}, 5000,
         [["1", "reg_parking", "车库、车位、储藏室登记费", "1", "4000", "4000", "reg_parking",
           "车库、车位、储藏室登记费 80 元/件，减半收取（变更登记）", "f", "", "f"],
          ["2", "cert_extra", "不动产权证书工本费", "1", "1000", "1000", "cert_extra",
           "不动产权证书工本费 10 元/本，第一本免收，加收 1 本", "f", "", "f"]]),
        # an objection: half
        ({"business_type": "objection.establish", "unit_code": unit(DECIDING, use="other"), "parties": [HOLDER],
          "fields": {"matter": "权属争议"}}, 27500,
         [["1", "reg_non_residential", "非住宅登记费", "1", "27500", "27500", "reg_non_residential",
           "非住宅登记费 550 元/件，减半收取（异议登记）", "f", "", "f"]]),
        # a seizure of a parking space: free
        (seizure_body(unit(DECIDING, use="parking")), 0,
         [["1", "reg_parking", "车库、车位、储藏室登记费", "1", "0", "0", "reg_parking", "查封登记免收", "f", "", "f"]]),
    ]
    for body, fen, rows in want:
        c = registered(body)
        assert c["fee_total_fen"] == fen, (body["business_type"], c["fee_total_fen"])
        assert items(c["id"]) == rows, (body["business_type"], items(c["id"]))
        assert total(c["id"])[:2] == ["registered", str(fen)]
    # a cancellation (of the mortgage registered above): free
    code = unit(DECIDING)
    m = registered(mortgage_body(code))
    k = registered({"business_type": "mortgage.cancellation", "unit_code": code, "parties": [HOLDER],
                    "fields": {"entry_id": m["timeline"][-1]["details"]["entry_id"]}})
    assert k["fee_total_fen"] == 0 and items(k["id"])[0][7] == "注销登记免收"


def test_the_case_detail_shows_the_fees_with_their_rule_and_basis():
    from test_openapi import conforms
    pilot()
    c = registered({"business_type": "ownership.transfer", "unit_code": unit(DECIDING), "parties": [HOLDER],
                    "fields": {"description": "买卖", "certificates": 2}})
    r = staff[CLERK].get("/api/v1/cases/%d" % c["id"])
    assert r.status == 200, r
    conforms(r, "/api/v1/cases/{id}", "get")
    assert r.json["fees"] == {"total_fen": 9000, "items": [
        {"seq": 1, "code": "reg_residential", "description": "住宅登记费", "quantity": 1, "unit_price_fen": 8000,
         "amount_fen": 8000, "rule": "reg_residential", "basis": "住宅登记费 80 元/件", "waived": False, "reason": None},
        {"seq": 2, "code": "cert_extra", "description": "不动产权证书工本费", "quantity": 1, "unit_price_fen": 1000,
         "amount_fen": 1000, "rule": "cert_extra", "basis": "不动产权证书工本费 10 元/本，第一本免收，加收 1 本",
         "waived": False, "reason": None}]}
    assert r.json["fields"]["certificates"] == 2
    # before registration: nothing charged yet
    d = new_case(mortgage_body(unit(DECIDING)))
    assert staff[CLERK].get("/api/v1/cases/%d" % d["id"]).json["fees"] == {"total_fen": None, "items": []}


def test_an_adjustment_without_a_reason_is_refused_and_changes_nothing():
    c = registered(mortgage_body(unit(DECIDING)))
    before = items(c["id"]), total(c["id"])
    add = {"op": "add", "code": "copy", "description": "复印费", "quantity": 1, "unit_price_fen": 1}
    for adj, status, code in (
            ([add], 400, "missing_field"),                              # a 1-fen item, no reason
            ([dict(add, reason="x")], 400, "invalid_field"),            # a reason of one character
            ([dict(add, reason="理" * 201)], 400, "invalid_field"),
            ([dict(add, reason="补收\u202e费")], 400, "invalid_field"),
            ([dict(add, reason="补收复印费", unit_price_fen=0)], 400, "invalid_field"),
            ([{"op": "waive", "seq": 1}], 400, "missing_field"),
            ([{"op": "waive", "seq": 1, "reason": "困难群众减免"}, add], 400, "missing_field"),  # the second
            ([{"op": "waive", "seq": 9, "reason": "困难群众减免"}], 400, "invalid_field"),  # no such item
            ([{"op": "discount", "seq": 1, "reason": "困难群众减免"}], 400, "invalid_field"),
            ([{"seq": 1, "reason": "困难群众减免"}], 400, "missing_field"),
            ([dict(add, reason="补收复印费")] * 11, 400, "invalid_field"),  # at most ten
            (["waive 1"], 400, "invalid_field"),
            ({"op": "waive"}, 400, "invalid_field")):
        assert_problem(act(c, "set_fees", staff[CASHIER], adjustments=adj), status, code)
        assert (items(c["id"]), total(c["id"])) == before, adj
    assert sql("SELECT count(*) FROM audit.event WHERE object_id = '%d' AND action IN ('fee.adjust', 'case.set_fees')"
               % c["id"]) == [["0"]]


def test_a_cashier_adds_and_waives_with_a_reason_written_to_the_event_and_the_audit_row():
    c = registered(mortgage_body(unit(DECIDING)))
    r = act(c, "set_fees", staff[CASHIER], adjustments=[
        {"op": "waive", "seq": 1, "reason": "困难群众减免"},
        {"op": "add", "code": "copy", "description": "复印费", "quantity": 2, "unit_price_fen": 1, "reason": "补收复印费"}])
    assert r.status == 200, r
    c = r.json
    assert c["state"] == "fees_set" and c["fee_total_fen"] == 2
    rows = items(c["id"])
    assert [x[:6] + x[8:] for x in rows] == [
        ["1", "reg_residential", "住宅登记费", "1", "8000", "8000", "t", "困难群众减免", "t"],
        ["2", "copy", "复印费", "2", "1", "2", "f", "补收复印费", "t"]]
    assert rows[1][6:8] == ["", "收费人员添加"]  # no rule: added by hand
    details = {"adjustments": [{"op": "waive", "seq": 1, "amount_fen": 8000, "reason": "困难群众减免"},
                               {"op": "add", "seq": 2, "code": "copy", "amount_fen": 2, "reason": "补收复印费"}],
               "total_fen": 2}
    assert c["timeline"][-1]["action"] == "set_fees" and c["timeline"][-1]["details"] == details
    audit = sql("SELECT details::text FROM audit.event WHERE object_type = 'case' AND object_id = '%d'"
                " AND action = 'fee.adjust' AND outcome = 'success'" % c["id"])
    assert len(audit) == 1 and json.loads(audit[0][0]) == details
    # by whom: the cashier who set the fees
    assert sql("SELECT DISTINCT f.adjusted_by = e.actor_id FROM cases.fee_item f JOIN cases.event e"
               " ON e.case_id = f.case_id AND e.action = 'set_fees' WHERE f.case_id = %d" % c["id"]) == [["t"]]
    # the window takes what is due now
    assert_problem(act(c, "record_payment", staff[CASHIER], receipt_number="R1", amount_fen=8002), 400,
                   "invalid_field")
    r = act(c, "record_payment", staff[CASHIER], receipt_number="R1", amount_fen=2, method="cash")
    assert r.status == 200 and r.json["state"] == "paid", r


def test_confirming_without_adjustments_keeps_the_computed_items():
    c = registered(mortgage_body(unit(DECIDING, use="non_residential")))
    before = items(c["id"])
    r = act(c, "set_fees", staff[CASHIER], adjustments=[])
    assert r.status == 200 and r.json["fee_total_fen"] == 55000, r
    assert items(c["id"]) == before
    assert r.json["timeline"][-1]["details"] == {"total_fen": 55000}
    assert sql("SELECT count(*) FROM audit.event WHERE object_id = '%d' AND action = 'fee.adjust'" % c["id"]) == [["0"]]


def test_only_a_cashier_of_the_deciding_side_sets_fees():
    c = registered(mortgage_body(unit(DECIDING)))
    before = items(c["id"]), total(c["id"])
    waive = [{"op": "waive", "seq": 1, "reason": "困难群众减免"}]
    for who in (("cashier", RECEIVING), REVIEWER, REGISTRAR, CLERK):
        assert_problem(act(c, "set_fees", staff[who], adjustments=waive), 403, "forbidden")
        assert (items(c["id"]), total(c["id"])) == before, who
    # a cashier of a third county does not learn the case exists
    assert_problem(act(c, "set_fees", staff[("cashier", "450102")], adjustments=waive), 404, "case_not_found")
    assert (items(c["id"]), total(c["id"])) == before
    assert "set_fees" not in staff[("cashier", RECEIVING)].get("/api/v1/cases/%d" % c["id"]).json["allowed_actions"]
    assert "set_fees" in staff[CASHIER].get("/api/v1/cases/%d" % c["id"]).json["allowed_actions"]


def test_a_small_business_loan_needs_its_proof_and_is_free():
    code = unit(DECIDING, use="non_residential")
    # mortgages only, and a flag
    body = {"business_type": "pre_notice.establish", "unit_code": code, "parties": [HOLDER, OBLIGOR],
            "fields": {"buyer": "张三", "seller": "李四", "contract_number": "NN-1", "price_fen": 100,
                       "small_business_loan": True}}
    assert_problem(create(body, attach_docs=False), 400, "invalid_field")
    assert_problem(create(mortgage_body(code, small_business_loan="yes"), attach_docs=False), 400, "invalid_field")
    for n in (0, 21, "2", 1.5):
        assert_problem(create(mortgage_body(code, certificates=n), attach_docs=False), 400, "invalid_field")
    c = new_case(mortgage_body(code, small_business_loan=True))
    assert c["fields"]["small_business_loan"] is True
    r = act(c, "submit", staff[CLERK])
    assert_problem(r, 409, "documents_missing")
    assert "small_business_proof" in r.json["detail"]
    assert total(c["id"])[0] == "draft"
    assert attach(c["id"], "small_business_proof", filename="小微企业证明.pdf").status == 201
    c = staff[CLERK].get("/api/v1/cases/%d" % c["id"]).json
    for action, who in (("submit", CLERK), ("accept", REVIEWER), ("approve", REVIEWER), ("register", REGISTRAR)):
        r = act(c, action, staff[who])
        assert r.status == 200, (action, r)
        c = r.json
    assert c["fee_total_fen"] == 0
    assert items(c["id"]) == [["1", "reg_non_residential", "非住宅登记费", "1", "0", "0", "reg_non_residential",
                               "小微企业贷款免收", "f", "", "f"]]
    assert sql("SELECT name FROM cases.document_type WHERE code = 'small_business_proof'") == [["小微企业证明材料"]]


def test_a_free_case_goes_straight_on_to_paid_when_its_fees_are_set():
    c = registered(seizure_body(unit(DECIDING)))
    v = c["version"]
    r = act(c, "set_fees", staff[CASHIER])
    assert r.status == 200, r
    c = r.json
    assert c["state"] == "paid" and c["version"] == v + 2 and c["fee_total_fen"] == 0
    assert [(e["action"], e["from_state"], e["to_state"], e["details"]) for e in c["timeline"][-2:]] == [
        ("set_fees", "registered", "fees_set", {"total_fen": 0}),
        ("record_payment", "fees_set", "paid", {"not_due": True})]
    assert sql("SELECT action FROM audit.event WHERE object_type = 'case' AND object_id = '%d'"
               " AND action IN ('case.set_fees', 'case.record_payment') ORDER BY seq" % c["id"]) == [
        ["case.set_fees"], ["case.record_payment"]]
    assert sql("SELECT topic FROM outbox.message WHERE case_id = %d AND topic IN ('case.set_fees',"
               " 'case.record_payment') ORDER BY id" % c["id"]) == [["case.set_fees"], ["case.record_payment"]]
    # nobody is asked to take money; the deciding county issues next
    assert sql("SELECT count(*) FROM cases.notification WHERE case_id = %d AND kind IN ('set_fees',"
               " 'record_payment')" % c["id"]) == [["0"]]
    assert "record_payment" not in c["allowed_actions"]
    r = act(c, "issue", staff[("issuer", DECIDING)])
    assert r.status == 200 and r.json["state"] == "issued", r
    # waiving everything makes a case free as well
    d = registered(mortgage_body(unit(DECIDING)))
    r = act(d, "set_fees", staff[CASHIER], adjustments=[{"op": "waive", "seq": 1, "reason": "政策性减免"}])
    assert r.status == 200 and r.json["state"] == "paid", r


def order_table():
    """pay."order" as the payments work (sql/0022) makes it, or a stand-in
    with its columns when this branch runs without it."""
    if sql("SELECT to_regclass('pay.\"order\"') IS NULL") == [["t"]]:
        sql("CREATE SCHEMA IF NOT EXISTS pay; GRANT USAGE ON SCHEMA pay TO tb_intake;"
            " CREATE TABLE pay.\"order\" (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, case_id bigint NOT NULL,"
            " out_trade_no text NOT NULL UNIQUE, provider text NOT NULL, amount_fen bigint NOT NULL, code_url text,"
            " state text NOT NULL, created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL,"
            " paid_at timestamptz, transaction_id text UNIQUE); GRANT SELECT ON pay.\"order\" TO tb_intake")


def test_window_payment_is_refused_while_an_online_order_is_pending():
    order_table()
    c = act(registered(mortgage_body(unit(DECIDING))), "set_fees", staff[CASHIER]).json
    no = "TB20260101%010d" % c["id"]
    sql("INSERT INTO pay.\"order\" (case_id, out_trade_no, provider, amount_fen, code_url, state, created_at,"
        " expires_at) VALUES (%d, '%s', 'wechat', 8000, 'http://127.0.0.1/pay/x', 'pending',"
        " now() - interval '1 hour', now() + interval '1 hour')" % (c["id"], no))
    try:
        for who in (CASHIER, ("cashier", RECEIVING)):
            assert_problem(act(c, "record_payment", staff[who], receipt_number="R1", amount_fen=8000, method="pos"),
                           409, "payment_order_open")
        assert total(c["id"])[0] == "fees_set"
        # expired: the window may take the money
        sql("UPDATE pay.\"order\" SET expires_at = now() - interval '1 minute' WHERE out_trade_no = '%s'" % no)
        r = act(c, "record_payment", staff[CASHIER], receipt_number="R1", amount_fen=8000, method="pos")
        assert r.status == 200 and r.json["state"] == "paid", r
        assert r.json["timeline"][-1]["details"] == {"receipt_number": "R1", "method": "pos", "amount_fen": 8000}
    finally:
        sql("DELETE FROM pay.\"order\" WHERE out_trade_no = '%s'" % no, check=False)
