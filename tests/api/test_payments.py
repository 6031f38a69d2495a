"""Online payment: a case's order at the provider (the simulator,
tests/paysim), its QR codes, the provider's signed notification settling it
exactly once, the voucher in the deciding agency's inbox, and what the
applicant sees. Cases are taken in at 兴宾区 (451302) and decided by 青秀区
(450103)."""
import os
import re
import struct
import subprocess
import tempfile
import threading
import xml.etree.ElementTree as ET
import zlib

import pay_lib
from case_lib import DECIDING, HOLDER, RECEIVING, act, create, mortgage_body, staff, unit
from lib import assert_problem, post, request, sql, wait_until
from test_openapi import conforms

CLERK = ("intake_clerk", RECEIVING)
CASHIER = ("cashier", DECIDING)
WINDOW_CASHIER = ("cashier", RECEIVING)
ISSUER = ("issuer", DECIDING)
OUTSIDER = ("cashier", "450102")  # 兴宁区: neither side of these cases
SVG = "{http://www.w3.org/2000/svg}"


def fees_set_case():
    """A mortgage case driven to fees_set (total 8000 fen)."""
    c = create(mortgage_body(unit())).json
    for action, who in (("submit", CLERK), ("accept", ("reviewer", DECIDING)), ("approve", ("reviewer", DECIDING)),
                        ("register", ("registrar", DECIDING))):
        r = act(c, action, staff[who])
        assert r.status == 200, r
        c = r.json
    # computed items (issue 11) take no body; the older set_fees takes items
    r = act(c, "set_fees", staff[CASHIER])
    if r.status == 400:
        r = act(c, "set_fees", staff[CASHIER], items=[{"code": "REG", "description": "住宅登记费", "quantity": 1,
                                                      "unit_price_fen": 8000}])
    assert r.status == 200, r
    c = r.json
    assert c["state"] == "fees_set" and c["fee_total_fen"] == 8000, c
    return c


def open_order(c, who=CASHIER, expect=201):
    r = staff[who].call("POST", "/api/v1/cases/%d/payment" % c["id"])
    assert r.status == expect, r
    return r.json


def effects(case_id):
    """What a payment changes, to compare before and after a notification
    (not the logs: pay.notification, the audit trail, and pay.nonce, where a
    verified notification's nonce is kept whatever the outcome, so that its
    replay is refused as one)."""
    return sql("SELECT (SELECT state || ':' || version FROM cases.case WHERE id = %(c)d),"
               " (SELECT count(*) FROM pay.order WHERE case_id = %(c)d AND state = 'paid'),"
               " (SELECT count(*) FROM cases.event WHERE case_id = %(c)d),"
               " (SELECT count(*) FROM pay.voucher WHERE case_id = %(c)d),"
               " (SELECT count(*) FROM cases.notification WHERE case_id = %(c)d),"
               " (SELECT count(*) FROM outbox.message WHERE case_id = %(c)d),"
               " (SELECT count(*) FROM audit.event WHERE action = 'case.record_payment' AND object_id = '%(c)d')"
               % {"c": case_id})[0]


def refusals(code):
    return sql("SELECT (SELECT count(*) FROM pay.notification WHERE verdict = '%s' AND effect = 'refused'),"
               " (SELECT count(*) FROM audit.event WHERE action = 'payment.notify' AND outcome = 'denied'"
               "  AND details->>'code' = '%s')" % (code, code))[0]


def png_modules(data):
    """The dark modules of our 1-bit greyscale PNG as a set of (x, y) module
    coordinates, and the side in modules (quiet zone included)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", chunk[:10])
            assert w == h and depth == 1 and color == 0
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = (w + 7) // 8 + 1
    dark = set()
    for y in range(w):
        row = raw[y * stride + 1:(y + 1) * stride]
        for x in range(w):
            if not row[x // 8] & (0x80 >> (x % 8)):
                dark.add((x, y))
    # the scale: the first dark pixel is the finder pattern's corner at (4, 4) modules
    first = min(x for x, y in dark if y == min(yy for _, yy in dark))
    scale = first // 4
    side = w // scale
    assert side * scale == w
    return {(x // scale, y // scale) for x, y in dark if x % scale == 0 and y % scale == 0}, side


def svg_modules(root):
    """The dark modules of our SVG's path ("Mx yhNv1h-Nz" runs)."""
    path = root.find(SVG + "path")
    dark = set()
    for x, y, n, m in re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path.get("d")):
        assert n == m
        dark.update((int(x) + i, int(y)) for i in range(int(n)))
    assert re.sub(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", "", path.get("d")) == ""
    return dark


def test_one_order_per_case_and_its_qr_codes_encode_exactly_the_pay_url():
    c = fees_set_case()
    o = open_order(c)
    assert re.fullmatch(r"TB\d{8}\d{10}", o["out_trade_no"]), o
    assert o["amount_fen"] == 8000 and o["state"] == "pending" and o["provider"] == "wechat" and o["paid_at"] is None
    assert o["pay_url"].startswith(pay_lib.base() + "/pay/"), o
    assert o["case"] == {"id": c["id"], "number": c["number"], "state": "fees_set"}
    # the live order again, from either side, whoever asks
    assert open_order(c, expect=200) == o
    assert open_order(c, who=WINDOW_CASHIER, expect=200)["out_trade_no"] == o["out_trade_no"]
    assert sql("SELECT count(*), min(expires_at - created_at) FROM pay.order WHERE case_id = %d" % c["id"]) == \
        [["1", "02:00:00"]]
    r = staff[CLERK].get("/api/v1/cases/%d/payment" % c["id"])
    assert r.status == 200 and r.json == o, r
    conforms(r, "/api/v1/cases/{id}/payment", "get")
    assert r.header("Cache-Control") == "no-store"
    # the PNG: zbarimg reads exactly the pay URL
    png = staff[CLERK].get("/api/v1/cases/%d/payment/qr.png" % c["id"])
    assert png.status == 200 and png.header("Content-Type") == "image/png", png
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        f.write(png.body)
        f.flush()
        out = subprocess.run(["zbarimg", "--raw", "-q", f.name], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout == o["pay_url"] + "\n", out
    dark, side = png_modules(png.body)
    assert 29 <= side <= 65 and (side - 8 - 21) % 4 == 0  # a QR version's size plus the quiet zone of 4
    width = struct.unpack(">I", png.body[16:20])[0]
    assert 250 <= width <= 650 and width % side == 0  # large enough for a screen, bounded
    # the SVG: well-formed, its size, and module for module the PNG's code
    svg = staff[CASHIER].get("/api/v1/cases/%d/payment/qr.svg" % c["id"])
    assert svg.status == 200 and svg.header("Content-Type") == "image/svg+xml", svg
    root = ET.fromstring(svg.body)
    assert root.tag == SVG + "svg"
    assert root.get("viewBox") == "0 0 %d %d" % (side, side)
    assert root.get("width") == root.get("height") == str(side * 4)
    assert svg_modules(root) == dark
    assert all(4 <= x < side - 4 and 4 <= y < side - 4 for x, y in dark)  # the quiet zone is white


def test_opening_an_order_needs_fees_set_and_a_cashiers_permission():
    c = create(mortgage_body(unit())).json
    assert_problem(staff[CASHIER].call("POST", "/api/v1/cases/%d/payment" % c["id"]), 409, "invalid_state")
    c = fees_set_case()
    r = staff[CLERK].call("POST", "/api/v1/cases/%d/payment" % c["id"])
    assert_problem(r, 403, "forbidden")
    assert r.json["missing_permission"] == "payment.record"
    assert_problem(staff[CLERK].get("/api/v1/cases/%d/payment" % c["id"]), 404, "no_payment_order")
    assert_problem(staff[CLERK].get("/api/v1/cases/%d/payment/qr.png" % c["id"]), 404, "no_payment_order")
    assert_problem(staff[CLERK].get("/api/v1/cases/%d/voucher" % c["id"]), 404, "no_voucher")
    assert sql("SELECT count(*) FROM pay.order WHERE case_id = %d" % c["id"]) == [["0"]]
    assert_problem(request("GET", "/api/v1/cases/%d/payment" % c["id"]), 401, "unauthenticated")


def test_paid_through_the_provider_the_case_is_paid_the_voucher_in_the_deciding_inbox_and_issue_works():
    c = fees_set_case()
    assert_problem(act(c, "issue", staff[ISSUER]), 409, "invalid_state")  # not before payment
    o = open_order(c, who=WINDOW_CASHIER)
    paid = pay_lib.pay(o["pay_url"])
    assert [d["status"] for d in paid["deliveries"]] == [204], paid
    tid = paid["transaction_id"]
    assert sql("SELECT state, version FROM cases.case WHERE id = %d" % c["id"]) == [["paid", str(c["version"] + 1)]]
    assert sql("SELECT state, transaction_id, paid_at IS NOT NULL FROM pay.order WHERE case_id = %d" % c["id"]) == \
        [["paid", tid, "t"]]
    ev = sql("SELECT action, from_state, to_state, actor_id IS NULL, details->>'provider', details->>'transaction_id',"
             " details->>'out_trade_no' FROM cases.event WHERE case_id = %d ORDER BY id DESC LIMIT 1" % c["id"])
    assert ev == [["record_payment", "fees_set", "paid", "t", "wechat", tid, o["out_trade_no"]]]
    assert sql("SELECT count(*) FROM audit.event WHERE action = 'case.record_payment' AND object_id = '%d'"
               " AND outcome = 'success' AND details->>'transaction_id' = '%s'" % (c["id"], tid)) == [["1"]]
    assert sql("SELECT topic, payload->>'state' FROM outbox.message WHERE case_id = %d ORDER BY id DESC LIMIT 1"
               % c["id"]) == [["case.record_payment", "paid"]]
    # the voucher, pushed to the deciding agency's inbox
    v = staff[ISSUER].get("/api/v1/cases/%d/voucher" % c["id"])
    assert v.status == 200, v
    conforms(v, "/api/v1/cases/{id}/voucher", "get")
    v = v.json
    assert re.fullmatch(r"PZ\d{16}", v["number"]) and v["out_trade_no"] == o["out_trade_no"]
    assert v["transaction_id"] == tid and v["amount_fen"] == 8000 and v["provider"] == "wechat" and v["paid_at"]
    assert v["case"] == {"id": c["id"], "number": c["number"], "business_type": "mortgage.establish",
                         "type_name": "抵押登记（设立）", "unit_code": c["unit_code"]}
    assert sum(i["amount_fen"] for i in v["items"] if not i["waived"]) == 8000
    assert staff[WINDOW_CASHIER].get("/api/v1/cases/%d/voucher" % c["id"]).json == v  # both agencies
    inbox = sql("SELECT kind, message FROM cases.notification WHERE case_id = %d AND agency_code = '%s'"
                " AND kind = 'record_payment'" % (c["id"], DECIDING))
    assert len(inbox) == 1 and v["number"] in inbox[0][1], inbox
    notes = staff[ISSUER].get("/api/v1/notifications")
    assert any(n["case_id"] == c["id"] and v["number"] in n["message"] for n in notes.json["items"]), notes
    # the order reads paid; its QR code is gone
    g = staff[CLERK].get("/api/v1/cases/%d/payment" % c["id"]).json
    assert g["state"] == "paid" and g["paid_at"] and g["case"]["state"] == "paid"
    r = staff[CLERK].get("/api/v1/cases/%d/payment/qr.svg" % c["id"])
    assert_problem(r, 409, "payment_not_pending")
    assert r.json["state"] == "paid"
    assert_problem(staff[CASHIER].call("POST", "/api/v1/cases/%d/payment" % c["id"]), 409, "invalid_state")
    # and the certificate is issued
    fresh = wait_until(lambda: (lambda x: x if x.json["state"] == "paid" else None)(
        staff[ISSUER].get("/api/v1/cases/%d" % c["id"])))
    r = act(fresh.json, "issue", staff[ISSUER])
    assert r.status == 200 and r.json["state"] == "issued", r


def test_twenty_concurrent_deliveries_of_one_payment_make_one_payment_one_event_one_audit_row():
    c = fees_set_case()
    o = open_order(c)
    # the provider's copies: each its own nonce and signature, one transaction
    paid = pay_lib.pay(o["pay_url"], repeat=20, retry=False)
    assert sorted(d["status"] for d in paid["deliveries"]) == [204] * 20, paid
    assert sql("SELECT count(*) FROM pay.order WHERE case_id = %d AND state = 'paid'" % c["id"]) == [["1"]]
    assert sql("SELECT count(*) FROM cases.event WHERE case_id = %d AND action = 'record_payment'" % c["id"]) == [["1"]]
    assert sql("SELECT count(*) FROM audit.event WHERE action = 'case.record_payment' AND object_id = '%d'"
               % c["id"]) == [["1"]]
    assert sql("SELECT count(*) FROM pay.voucher WHERE case_id = %d" % c["id"]) == [["1"]]
    assert sql("SELECT effect, count(*) FROM pay.notification WHERE out_trade_no = '%s' GROUP BY 1 ORDER BY 1"
               % o["out_trade_no"]) == [["duplicate", "19"], ["paid", "1"]]
    assert sql("SELECT version FROM cases.case WHERE id = %d" % c["id"]) == [[str(c["version"] + 1)]]


def test_twenty_concurrent_copies_of_one_signed_notification_settle_once_and_the_rest_are_replays():
    c = fees_set_case()
    o = open_order(c)
    n = pay_lib.craft(o["out_trade_no"])
    replies = [None] * 20
    go = threading.Barrier(20)

    def send(i):
        go.wait()
        replies[i] = pay_lib.send(n)
    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in replies) == [204] + [401] * 19, replies
    assert {r.json["code"] for r in replies if r.status == 401} == {"nonce_reused"}
    assert sql("SELECT count(*) FROM cases.event WHERE case_id = %d AND action = 'record_payment'" % c["id"]) == [["1"]]
    assert sql("SELECT count(*) FROM audit.event WHERE action = 'case.record_payment' AND object_id = '%d'"
               % c["id"]) == [["1"]]


def test_forged_stale_replayed_tampered_and_wrong_notifications_are_refused_and_change_nothing():
    c = fees_set_case()
    o = open_order(c)
    no = o["out_trade_no"]
    cases = [
        (dict(bad_signature=True), 401, "bad_signature"),
        (dict(wrong_serial=True), 401, "wrong_serial"),
        (dict(stale=True), 401, "stale_timestamp"),
        (dict(ts=str(int(__import__("time").time()) + 400)), 401, "stale_timestamp"),
        (dict(tamper_ciphertext=True), 400, "decrypt_failed"),
        (dict(amount=7999), 400, "amount_mismatch"),
        (dict(trade_no="TB20261128%010d" % 9876543210), 404, "unknown_order"),
        (dict(mchid="1900000999"), 400, "merchant_mismatch"),
        (dict(trade_state="NOTPAY"), 400, "trade_not_success"),
    ]
    for tamper, status, code in cases:
        before, logged = effects(c["id"]), refusals(code)
        r = pay_lib.send(pay_lib.craft(no, **tamper))
        assert_problem(r, status, code)
        assert r.header("Content-Type").startswith("application/problem+json")
        assert r.json["message"], r
        conforms(r, "/api/v1/payments/notify", "post")
        after = effects(c["id"])
        assert after == before, (code, before, after)
        assert refusals(code) == [str(int(logged[0]) + 1), str(int(logged[1]) + 1)], code
    # a body that is not a notification at all, and one without the headers
    r = request("POST", "/api/v1/payments/notify", body=b"{}", headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "bad_notification_headers")
    # the genuine one settles; sent again (a replay), it is refused
    n = pay_lib.craft(no)
    assert pay_lib.send(n).status == 204
    before, logged = effects(c["id"]), refusals("nonce_reused")
    r = pay_lib.send(n)
    assert_problem(r, 401, "nonce_reused")
    assert effects(c["id"]) == before
    assert refusals("nonce_reused") == [str(int(logged[0]) + 1), str(int(logged[1]) + 1)]
    # a larger body than a notification ever is: refused by nginx unread
    r = request("POST", "/api/v1/payments/notify", body=b"x" * 70000, headers={"Content-Type": "application/json"})
    assert r.status == 413


def test_an_expired_order_is_marked_expired_and_replaced_by_a_new_one():
    c = fees_set_case()
    old = open_order(c)
    sql("UPDATE pay.order SET created_at = now() - interval '3 hours', expires_at = now() - interval '1 hour'"
        " WHERE out_trade_no = '%s'" % old["out_trade_no"])
    g = staff[CASHIER].get("/api/v1/cases/%d/payment" % c["id"]).json
    assert g["state"] == "expired"
    assert_problem(staff[CASHIER].get("/api/v1/cases/%d/payment/qr.png" % c["id"]), 409, "payment_not_pending")
    new = open_order(c, expect=201)
    assert new["out_trade_no"] != old["out_trade_no"] and new["state"] == "pending" and new["pay_url"] != old["pay_url"]
    assert sql("SELECT out_trade_no, state FROM pay.order WHERE case_id = %d ORDER BY id" % c["id"]) == \
        [[old["out_trade_no"], "expired"], [new["out_trade_no"], "pending"]]
    assert staff[CASHIER].get("/api/v1/cases/%d/payment" % c["id"]).json == new
    paid = pay_lib.pay(new["pay_url"])
    assert [d["status"] for d in paid["deliveries"]] == [204]


def test_an_agency_on_neither_side_gets_404_for_payment_qr_and_voucher():
    c = fees_set_case()
    o = open_order(c)
    for path in ("/payment", "/payment/qr.png", "/payment/qr.svg", "/voucher"):
        assert_problem(staff[OUTSIDER].get("/api/v1/cases/%d%s" % (c["id"], path)), 404, "case_not_found")
    assert_problem(staff[OUTSIDER].call("POST", "/api/v1/cases/%d/payment" % c["id"]), 404, "case_not_found")
    pay_lib.pay(o["pay_url"])
    assert_problem(staff[OUTSIDER].get("/api/v1/cases/%d/voucher" % c["id"]), 404, "case_not_found")
    assert_problem(staff[OUTSIDER].get("/api/v1/cases/%d/voucher" % (c["id"] + 10 ** 9)), 404, "case_not_found")
    assert sql("SELECT count(*) FROM audit.event WHERE action = 'auth.denied' AND object_id = '%d'"
               " AND details->>'code' = 'case_not_found'" % c["id"]) == [["6"]]


def test_the_applicant_sees_the_amount_and_qr_code_until_paid():
    c = fees_set_case()
    proof = {"number": c["number"], "id_last6": HOLDER["id_number"][-6:]}
    r = post("/api/v1/public/payment", proof)
    assert r.status == 200, r
    conforms(r, "/api/v1/public/payment", "post")
    p = r.json
    assert p["state"] == "unpaid" and p["amount_fen"] == 8000 and p["number"] == c["number"]
    assert p["pay_url"].startswith(pay_lib.base() + "/pay/") and p["expires_at"]
    root = ET.fromstring(p["qr_svg"])
    assert root.tag == SVG + "svg" and root.find(SVG + "path") is not None
    assert r.header("Cache-Control") == "no-store"
    # the order it opened is the one the window sees, and asking again opens none
    assert open_order(c, expect=200)["pay_url"] == p["pay_url"]
    assert post("/api/v1/public/payment", proof).json == p
    assert sql("SELECT count(*) FROM pay.order WHERE case_id = %d" % c["id"]) == [["1"]]
    # a wrong pair: the progress lookup's 404, counted against the same lock
    r = post("/api/v1/public/payment", dict(proof, id_last6="000000"))
    assert_problem(r, 404, "progress_not_found")
    assert sql("SELECT failures FROM cases.progress_attempt WHERE number = '%s'" % c["number"]) == [["1"]]
    assert_problem(post("/api/v1/public/payment", {"number": c["number"]}), 400, "missing_field")
    pay_lib.pay(p["pay_url"])
    r = post("/api/v1/public/payment", proof)
    assert r.json == {"number": c["number"], "state": "paid", "amount_fen": 8000}, r


def test_the_applicant_of_a_case_without_fees_yet_sees_not_due():
    c = create(mortgage_body(unit())).json
    r = post("/api/v1/public/payment", {"number": c["number"], "id_last6": HOLDER["id_number"][-6:]})
    assert r.status == 200 and r.json == {"number": c["number"], "state": "not_due", "amount_fen": 0}, r
    assert sql("SELECT count(*) FROM pay.order WHERE case_id = %d" % c["id"]) == [["0"]]


def test_the_services_reach_payments_only_through_what_they_need():
    def denied(stmt, role):
        p = sql(stmt, user=role, check=False)
        return p.returncode != 0 and "permission denied" in p.stderr
    # the public service reads no table of pay, and writes none but through pay.settle and pay.refuse
    for stmt in ("SELECT count(*) FROM pay.order", "SELECT count(*) FROM pay.voucher", "SELECT count(*) FROM pay.nonce",
                 "UPDATE pay.order SET state = 'paid'", "INSERT INTO pay.nonce VALUES ('x', now())",
                 "SELECT * FROM pay.order_begin(1, 'wechat', now())", "SELECT pay.order_open(1)"):
        assert denied(stmt, "tb_public"), stmt
    # intake reads orders and vouchers; it changes them only through pay.order_begin and pay.order_attach
    assert sql("SELECT count(*) >= 0 FROM pay.order, pay.voucher", user="tb_intake") == [["t"]]
    for stmt in ("UPDATE pay.order SET state = 'paid'", "DELETE FROM pay.voucher", "SELECT count(*) FROM pay.nonce",
                 "SELECT * FROM pay.settle('TB202611280000000001', '1', 1, now(), 'x', 'y')",
                 "SELECT pay.refuse('x', NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
                 "SELECT * FROM pay.public_payment('x', 'y', now())"):
        assert denied(stmt, "tb_intake"), stmt
    for role in ("tb_query", "tb_admin"):
        assert denied("SELECT * FROM pay.settle('TB202611280000000001', '1', 1, now(), 'x', 'y')", role), role
