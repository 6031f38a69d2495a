"""Reconciliation (对账): the provider's daily trade bill (from the simulator,
tests/paysim) imported, each kind of mismatch found exactly and only within
the caller's scope, an order the provider took money for without telling
us settled from the bill — once, by someone other than the bill's importer
— and bad bills refused with nothing stored.

Orders are opened by the cashiers' order endpoint at the simulator and
paid there — notified (pay.settle records them), or with notify=0: the
platform never hears, as when a notification is lost. The day's bill exists once the day is over, so the tests run with the
test clock on the next day (sessions logged in then too). Each test works
in counties of its own, so its scoped report holds only what it planted."""
import datetime
import json
import random
import threading

import pay_lib
from auth_lib import admin_session, last_audit, login, make_user
from case_lib import RECEIVING, act, create, mortgage_body, staff, unit
from lib import assert_problem, request, sql
from test_openapi import conforms

CST = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.datetime.now(CST).date()
DAY = TODAY.isoformat()
# noon of the next day, Beijing: the day's bill is complete
TOMORROW = int(datetime.datetime.combine(TODAY + datetime.timedelta(days=1), datetime.time(12), CST).timestamp())
CLOCK = {"X-Tb-Test-Now": str(TOMORROW)}
KINDS = "450421"     # 苍梧县: the report's kinds
SETTLE = "450422"    # 藤县: settling from the bill
ELSEWHERE = "450423"  # 蒙山县: an agency that decides none of these cases
REFUSE = "450481"    # 岑溪市: refusals and re-imports (bills of past days)


class Clocked:
    """A session logged in on the next day, every call made then too."""

    def __init__(self, role, div, agency=None):
        if role == "jurisdiction_admin":
            self.uid, self.s = admin_session(role, div, agency=agency, now=TOMORROW)
        else:
            self.uid, name = make_user(agency=agency or div, grants=[(role, div)])
            self.s = login(name, now=TOMORROW)

    def call(self, method, path, **kw):
        kw["headers"] = dict(kw.get("headers") or {}, **CLOCK)
        return self.s.call(method, path, **kw)

    def import_csv(self, csv, date=DAY, content_type="text/csv", key=None):
        h = {"Content-Type": content_type}
        if key:
            h["Idempotency-Key"] = key
        return self.call("POST", "/api/v1/payments/statements?date=" + date,
                         body=csv.encode() if isinstance(csv, str) else csv, headers=h)

    def report(self, date=DAY):
        return self.call("GET", "/api/v1/payments/reconciliation?date=" + date)

    def settle(self, out_trade_no, reason="通知未达，按对账单补记"):
        return self.call("POST", "/api/v1/payments/reconciliation/settle",
                         json_body={"out_trade_no": out_trade_no, "reason": reason})


def fees_set_case(county):
    """A mortgage case decided in county, registered, its fees set: (id, total)."""
    c = create(mortgage_body(unit(county))).json
    for action, who in (("submit", ("intake_clerk", RECEIVING)), ("accept", ("reviewer", county)),
                        ("approve", ("reviewer", county)), ("register", ("registrar", county))):
        r = act(c, action, staff[who])
        assert r.status == 200, (action, r)
        c = r.json
    cashier = staff[("cashier", county)]
    r = act(c, "set_fees", cashier)  # the computed fees (issue 11)
    if r.status == 400:  # the hand-typed items before it
        r = act(c, "set_fees", cashier,
                items=[{"code": "REG", "description": "登记费", "quantity": 1, "unit_price_fen": 8000}])
    assert r.status == 200 and r.json["state"] == "fees_set", r
    total = int(sql("SELECT fee_total_fen FROM cases.case WHERE id = %d" % c["id"])[0][0])
    assert total > 0
    return c["id"], total


def order(case_id, county):
    """The case's order, opened by its cashier at the provider: (out_trade_no, pay_url)."""
    r = staff[("cashier", county)].call("POST", "/api/v1/cases/%d/payment" % case_id)
    assert r.status == 201, r
    return r.json["out_trade_no"], r.json["pay_url"]


def paid_and_notified(url):
    """Paid at the provider, its notification delivered and accepted."""
    p = pay_lib.pay(url)
    assert [d["status"] for d in p["deliveries"]] == [204], p
    return p


def paid_silently(code_url):
    """Paid at the provider, no notification: the simulator's transaction."""
    return pay_lib.pay(code_url, notify=False)


def record_paid(no, transaction_id, when):
    """The order as a notification leaves it (pay.settle's order update)."""
    sql("UPDATE pay.order SET state = 'paid', transaction_id = '%s', paid_at = '%s' WHERE out_trade_no = '%s'"
        % (transaction_id, when, no))


def case_state(case_id):
    return sql("SELECT state, version FROM cases.case WHERE id = %d" % case_id)[0]


def statements():
    return sql("SELECT count(*), coalesce(sum(rows), 0) FROM pay.statement")[0]


def test_the_report_finds_each_kind_of_mismatch_exactly():
    c1, t1 = fees_set_case(KINDS)
    c2, t2 = fees_set_case(KINDS)
    c3, t3 = fees_set_case(KINDS)
    c4, t4 = fees_set_case(KINDS)
    # matched: paid at the provider, the notification recorded it
    matched, url = order(c1, KINDS)
    paid_and_notified(url)
    # paid_unrecorded: the provider took the money, no notification came
    unrecorded, url = order(c2, KINDS)
    p_unrec = paid_silently(url)
    # amount_mismatch: paid and recorded, the bill says another amount
    mismatch, url = order(c3, KINDS)
    paid_and_notified(url)
    # recorded_unpaid: marked paid here, the provider never took the money
    unpaid, _ = order(c4, KINDS)
    record_paid(unpaid, "4200009999%s%08d" % (TODAY.strftime("%Y%m%d"), random.randrange(10 ** 8)),
                TODAY.isoformat() + "T10:00:00+08:00")
    stranger = "TB%s%010d" % (TODAY.strftime("%Y%m%d"), random.randrange(10 ** 10))
    csv = pay_lib.statement(DAY, tamper=["amount:%s:%d" % (mismatch, t3 + 1), "add:%s:4200" % stranger])

    importer = Clocked("cashier", KINDS)
    r = importer.import_csv(csv)
    assert r.status in (200, 201), r
    conforms(r, "/api/v1/payments/statements", "post")
    b = r.json
    lines = csv.count("\n") - 3
    assert b["date"] == DAY and b["lines"] == lines and len(b["sha256"]) == 64, b
    assert sql("SELECT rows, sha256, imported_by FROM pay.statement WHERE bill_date = '%s'" % DAY) == \
        [[str(lines), b["sha256"], str(importer.uid)]]
    a = last_audit("payment.statement." + ("import" if r.status == 201 else "replace"))
    assert a["actor_id"] == importer.uid and a["details"]["sha256"] == b["sha256"]

    other = Clocked("cashier", KINDS)
    rep = other.report()
    assert rep.status == 200, rep
    conforms(rep, "/api/v1/payments/reconciliation", "get")
    j = rep.json
    assert j["date"] == DAY and j["provider"] == "wechat" and j["statement"]["sha256"] == b["sha256"]
    assert j["statement"]["imported_by"]["id"] == importer.uid
    assert [x["out_trade_no"] for x in j["paid_unrecorded"]] == [unrecorded]
    pu = j["paid_unrecorded"][0]
    assert pu["transaction_id"] == p_unrec["transaction_id"] and pu["amount_fen"] == t2
    assert pu["case"] == {"id": c2, "number": pu["case"]["number"], "state": "fees_set"} and pu["can_settle"]
    assert [x["out_trade_no"] for x in j["recorded_unpaid"]] == [unpaid]
    assert j["recorded_unpaid"][0]["amount_fen"] == t4 and j["recorded_unpaid"][0]["case"]["id"] == c4
    assert [(x["out_trade_no"], x["recorded_fen"], x["statement_fen"]) for x in j["amount_mismatch"]] == \
        [(mismatch, t3, t3 + 1)]
    assert j["matched"] == 1
    assert j["counts"] == {"paid_unrecorded": 1, "recorded_unpaid": 1, "amount_mismatch": 1, "matched": 1}
    # a county's report names no payment without an order: that is the region's
    assert "unknown_order" not in j and stranger not in rep.body.decode()
    # the importer is told it is not theirs to settle
    assert importer.report().json["paid_unrecorded"][0]["can_settle"] is False
    # the jurisdiction admin holds payment.reconcile too
    adm = Clocked("jurisdiction_admin", KINDS)
    assert adm.report().json["counts"] == j["counts"]
    # the region sees the stranger's payment (and every county's orders)
    region = Clocked("cashier", "450000")
    rr = region.report()
    conforms(rr, "/api/v1/payments/reconciliation", "get")
    jr = rr.json
    # besides the planted stranger, the bill may hold the simulator's own
    # orders of other modules (test_paygw pays there without an order here):
    # exactly the bill's paid rows without an order are unknown
    known = {row[0] for row in sql("SELECT out_trade_no FROM pay.order")}
    head = csv.splitlines()[0].split(",")
    col = head.index("商户订单号")
    billed = set()
    for line in csv.splitlines()[1:]:
        if not line.startswith("`"):
            break
        billed.add(line.split(",`")[col].lstrip("`"))
    assert stranger in billed and stranger not in known
    assert sorted(x["out_trade_no"] for x in jr["unknown_order"]) == sorted(billed - known)
    jr["unknown_order"] = [x for x in jr["unknown_order"] if x["out_trade_no"] == stranger]
    assert jr["unknown_order"][0]["amount_fen"] == 4200 and jr["unknown_order"][0]["case"] is None
    assert unrecorded in [x["out_trade_no"] for x in jr["paid_unrecorded"]]

    # another county's cashier: none of these cases, not even their ids
    far = Clocked("cashier", ELSEWHERE)
    rf = far.report()
    assert rf.status == 200 and rf.json["counts"] == {"paid_unrecorded": 0, "recorded_unpaid": 0,
                                                       "amount_mismatch": 0, "matched": 0}, rf
    text = rf.body.decode()
    for no in (matched, unrecorded, mismatch, unpaid):
        assert no not in text
    for cid in (c1, c2, c3, c4):
        assert '"id":%d' % cid not in text.replace(" ", "")
    # nor can settle them: as unknown as a missing order, nothing changed
    assert_problem(far.settle(unrecorded), 404, "unknown_order")
    assert case_state(c2)[0] == "fees_set"


def test_a_bad_statement_is_refused_with_a_stable_code_and_nothing_stored():
    cashier = Clocked("cashier", REFUSE)
    past = (TODAY - datetime.timedelta(days=40)).isoformat()
    good = pay_lib.statement(past, tamper=["add:TB%s0000000001:8000" % past.replace("-", "")])
    before = statements()
    head, rest = good.split("\r\n", 1)
    cases = [
        (good.replace("商户订单号", "商户单号"), 400, "statement_bad_header"),
        (good.replace(",`80.00,`0.00,`\r\n", ",`80.0,`0.00,`\r\n"), 400, "statement_bad_amount"),
        (good.replace("\r\n`1,`80.00", "\r\n`2,`80.00"), 400, "statement_totals_mismatch"),
        (good.replace("不动产登记费", "不动产\x01登记费"), 400, "statement_bad_encoding"),
        (good.encode().replace("登记".encode(), b"\xe7\x99"), 400, "statement_bad_encoding"),
        (head + "\r\n" + rest.replace("`", "", 1), 400, "statement_bad_row"),
        (good.rsplit("总交易单数", 1)[0], 400, "statement_no_summary"),
        (good + "`extra\r\n", 400, "statement_trailing_data"),
        ("", 400, "statement_bad_header"),
    ]
    for body, status, code in cases:
        b = assert_problem(cashier.import_csv(body, date=past), status, code)
        assert b["detail"], b
    # the wrong day: a row of the bill is not on the date given
    other_day = (TODAY - datetime.timedelta(days=41)).isoformat()
    b = assert_problem(cashier.import_csv(good, date=other_day), 400, "statement_wrong_date")
    assert b["line"] == "2" and b["column"] == "交易时间"
    # not a day that is over, not a date, not CSV, another merchant's bill
    assert_problem(cashier.import_csv(good, date=(TODAY + datetime.timedelta(days=1)).isoformat()), 400,
                   "statement_date_not_past")
    assert_problem(cashier.import_csv(good, date="2026-02-30"), 400, "invalid_parameter")
    r = cashier.call("POST", "/api/v1/payments/statements", body=good.encode(), headers={"Content-Type": "text/csv"})
    assert_problem(r, 400, "invalid_parameter")
    assert_problem(cashier.import_csv(good, date=past, content_type="application/json"), 415, "unsupported_media_type")
    mchid = pay_lib.conf()["mchid"]
    assert_problem(cashier.import_csv(good.replace("`" + mchid + ",", "`1999999999,"), date=past), 400,
                   "statement_merchant_mismatch")
    # too large for nginx, before any worker reads it
    try:
        big = cashier.import_csv(good + "x" * (5 << 20), date=past)
        assert big.status == 413, big
    except ConnectionError:
        pass  # nginx answered 413 and closed before the body was sent
    assert statements() == before
    # a report of a day without a statement
    assert_problem(cashier.report(past), 404, "no_statement")


def test_a_reimport_of_the_same_bytes_changes_nothing_and_other_bytes_replace():
    a, b = Clocked("cashier", REFUSE), Clocked("cashier", REFUSE)
    past = (TODAY - datetime.timedelta(days=42)).isoformat()
    ymd = past.replace("-", "")
    first = pay_lib.statement(past, tamper=["add:TB%s0000000011:8000" % ymd])
    r = a.import_csv(first, date=past, key="recon-import-1")
    assert r.status == 201 and r.json["outcome"] == "new" and r.json["lines"] == 1, r
    # the same key again: the same answer
    again = a.import_csv(first, date=past, key="recon-import-1")
    assert again.status == 201 and again.json == r.json, again
    audits = int(sql("SELECT count(*) FROM audit.event WHERE action LIKE 'payment.statement.%%'"
                     " AND object_id = 'wechat:%s'" % past)[0][0])
    assert audits == 1
    same = b.import_csv(first, date=past)
    assert same.status == 200 and same.json["outcome"] == "same" and same.json["sha256"] == r.json["sha256"]
    assert sql("SELECT imported_by FROM pay.statement WHERE bill_date = '%s'" % past) == [[str(a.uid)]]
    second = pay_lib.statement(past, tamper=["add:TB%s0000000012:8000" % ymd, "add:TB%s0000000013:550" % ymd])
    rep = b.import_csv(second, date=past)
    assert rep.status == 200 and rep.json["outcome"] == "replaced" and rep.json["lines"] == 2, rep
    assert sql("SELECT out_trade_no FROM pay.statement_line WHERE bill_date = '%s' ORDER BY out_trade_no" % past) == \
        [["TB%s0000000012" % ymd], ["TB%s0000000013" % ymd]]
    assert sql("SELECT imported_by FROM pay.statement WHERE bill_date = '%s'" % past) == [[str(b.uid)]]
    au = last_audit("payment.statement.replace")
    assert au["actor_id"] == b.uid and au["details"]["replaced_sha256"] == r.json["sha256"]


def test_who_may_import_report_and_settle():
    clerk = Clocked("intake_clerk", REFUSE)
    past = (TODAY - datetime.timedelta(days=43)).isoformat()
    csv = pay_lib.statement(past)
    assert_problem(clerk.import_csv(csv, date=past), 403, "forbidden")
    assert_problem(clerk.report(past), 403, "forbidden")
    assert_problem(clerk.settle("TB%s0000000001" % past.replace("-", "")), 403, "forbidden")
    r = request("GET", "/api/v1/payments/reconciliation?date=" + past)
    assert r.status == 401, r
    cashier = Clocked("cashier", REFUSE)
    assert_problem(cashier.settle("TB'1"), 400, "invalid_field")
    assert_problem(cashier.call("POST", "/api/v1/payments/reconciliation/settle",
                                json_body={"out_trade_no": "TB1"}), 400, "missing_field")
    assert_problem(cashier.settle("TB1", reason="x"), 400, "invalid_field")
    assert_problem(cashier.settle("TB%s0000000404" % past.replace("-", "")), 404, "unknown_order")


def test_an_order_paid_without_notification_is_settled_from_the_statement_once():
    # runs last: once an order is settled from the day's bill, the bill stays
    cid, total = fees_set_case(SETTLE)
    no, url = order(cid, SETTLE)
    p = paid_silently(url)
    # another paid silently, the bill saying another amount; one never paid
    cid2, total2 = fees_set_case(SETTLE)
    no2, url2 = order(cid2, SETTLE)
    paid_silently(url2)
    cid3, total3 = fees_set_case(SETTLE)
    no3, _ = order(cid3, SETTLE)
    importer, settler = Clocked("cashier", SETTLE), Clocked("cashier", SETTLE)
    r = importer.import_csv(pay_lib.statement(DAY, tamper=["amount:%s:%d" % (no2, total2 - 1)]))
    assert r.status in (200, 201), r
    v0 = case_state(cid)
    # who imported the bill does not settle from it (refused, audited)
    assert_problem(importer.settle(no), 403, "two_person_rule")
    a = last_audit("payment.reconcile.settle")
    assert a["actor_id"] == importer.uid and a["outcome"] == "denied" and a["details"]["out_trade_no"] == no
    assert case_state(cid) == v0
    # refused unless the bill shows it paid, with the order's amount
    assert_problem(settler.settle(no3), 409, "not_in_statement")
    assert_problem(settler.settle(no2), 409, "statement_amount_mismatch")
    assert case_state(cid2)[0] == "fees_set" and case_state(cid3)[0] == "fees_set"

    # three at once: one settles, the others find it paid
    out = []
    threads = [threading.Thread(target=lambda: out.append(settler.settle(no, reason="支付通知丢失，依 %s 对账单补记" % DAY)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(x.status for x in out) == [200, 409, 409], out
    s = next(x for x in out if x.status == 200)
    for x in out:
        if x.status == 409:
            assert_problem(x, 409, "order_already_paid")
    conforms(s, "/api/v1/payments/reconciliation/settle", "post")
    b = s.json
    assert b["out_trade_no"] == no and b["transaction_id"] == p["transaction_id"] and b["amount_fen"] == total
    assert b["statement_date"] == DAY and b["voucher"].startswith("PZ") and b["refund_due"] is False
    assert b["case"]["id"] == cid and b["case"]["state"] == "paid"
    assert case_state(cid) == ["paid", str(int(v0[1]) + 1)]
    assert sql("SELECT state, transaction_id FROM pay.order WHERE out_trade_no = '%s'" % no) == \
        [["paid", p["transaction_id"]]]
    assert sql("SELECT number, amount_fen, transaction_id FROM pay.voucher WHERE case_id = %d" % cid) == \
        [[b["voucher"], str(total), p["transaction_id"]]]
    ev = sql("SELECT actor_id, details::text FROM cases.event WHERE case_id = %d AND action = 'record_payment'" % cid)
    assert len(ev) == 1 and ev[0][0] == str(settler.uid)
    d = json.loads(ev[0][1])
    assert d["source"] == "statement" and d["statement_date"] == DAY and d["out_trade_no"] == no
    a = last_audit("payment.reconcile.settle")
    assert a["actor_id"] == settler.uid and a["outcome"] == "success" and a["object_id"] == str(cid)
    assert a["details"]["source"] == "statement" and a["details"]["voucher"] == b["voucher"]
    assert sql("SELECT settled_by, bill_date FROM pay.statement_settlement s JOIN pay.order o ON o.id = s.order_id"
               " WHERE o.out_trade_no = '%s'" % no) == [[str(settler.uid), DAY]]
    # the deciding agency's inbox has the voucher
    assert sql("SELECT count(*) FROM cases.notification WHERE case_id = %d AND kind = 'record_payment'" % cid) == [["1"]]

    # not twice
    again = settler.settle(no)
    assert_problem(again, 409, "order_already_paid")
    conforms(again, "/api/v1/payments/reconciliation/settle", "post")
    assert sql("SELECT count(*) FROM pay.voucher WHERE case_id = %d" % cid) == [["1"]]
    # the report now counts it matched
    j = settler.report().json
    assert [x["out_trade_no"] for x in j["amount_mismatch"]] == [no2]
    assert j["paid_unrecorded"] == [] and j["matched"] == 1, j
    # the bill it was settled from is fixed now
    assert_problem(importer.import_csv(pay_lib.statement(DAY)), 409, "statement_settled")
