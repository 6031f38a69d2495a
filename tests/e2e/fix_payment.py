"""Fixtures of the payment screens' browser tests (verbs added to
tests/e2e/fixture.py). Cases are made and moved through the API.
  pay_case  {"state": "registered"|"fees_set", "adjustments": [..]?}
            → {"id", "number", "id_last6", "cashier", "clerk"}: a mortgage taken
            in at 兴宾区 (451302) for a unit of 青秀区 (450103), accepted,
            approved and registered there (its fees computed), optionally with
            the fees confirmed by the cashier; the cashier and the window's
            clerk as {"username", "password"}
  pay_order {"id"} → the case's latest order {"out_trade_no", "code_url",
            "state", "amount_fen"} (or {} when none)
  pay_open  {"id", "username"} → the order that user opened through the API
            (POST /api/v1/cases/{id}/payment), as pay_order
  pay_statement {"date", "tamper"?} → {"csv"}: the simulator's trade bill of
            that date (tamper e.g. "amount:<out_trade_no>:<fen>")
"""
import re

import auth_lib
import case_lib
from fix_auth import unit
from lib import sql

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

DECIDING = case_lib.DECIDING
WINDOW = case_lib.RECEIVING


def _user(role, agency):
    uid, name = auth_lib.make_user(agency=agency, grants=[(role, agency)])
    return {"id": uid, "username": name, "password": auth_lib.PASSWORD}


def pay_case(a):
    target = a.get("state", "fees_set")
    clerk = _user("intake_clerk", WINDOW)
    reviewer = _user("reviewer", DECIDING)
    registrar = _user("registrar", DECIDING)
    cashier = _user("cashier", DECIDING)
    cs = auth_lib.login(clerk["username"])
    rv = auth_lib.login(reviewer["username"])
    r = case_lib.create(case_lib.mortgage_body(unit(DECIDING)), who=cs)
    assert r.status == 201, r
    c = r.json
    for action, who in (("submit", cs), ("accept", rv), ("approve", rv), ("register", auth_lib.login(registrar["username"]))):
        r = case_lib.act(c, action, who)
        assert r.status == 200, (action, r)
        c = r.json
    if target == "fees_set":
        extra = {"adjustments": a["adjustments"]} if a.get("adjustments") else {}
        r = case_lib.act(c, "set_fees", auth_lib.login(cashier["username"]), **extra)
        assert r.status == 200, r
        c = r.json
    return {"id": c["id"], "number": c["number"], "id_last6": case_lib.HOLDER["id_number"][-6:],
            "cashier": cashier, "clerk": clerk}


def pay_order(a):
    rows = sql("SELECT out_trade_no, code_url, state, amount_fen FROM pay.order WHERE case_id = %d ORDER BY id DESC LIMIT 1"
               % int(a["id"]))
    if not rows:
        return {}
    no, url, state, amount = rows[0]
    return {"out_trade_no": no, "code_url": url, "state": state, "amount_fen": int(amount)}


def pay_open(a):
    s = auth_lib.login(a["username"])
    r = s.call("POST", "/api/v1/cases/%d/payment" % int(a["id"]), json_body={})
    assert r.status in (200, 201), r
    return pay_order(a)


def pay_statement(a):
    import pay_lib
    # a fresh day for the screen: in `make test` the API stage ran on this
    # stack and may have imported (and settled from) this day's bill, which
    # then may not be replaced (409 statement_settled)
    if not _DATE.match(a["date"]):
        raise ValueError("date")
    sql("DELETE FROM pay.statement_settlement WHERE bill_date = '%s'" % a["date"])
    sql("DELETE FROM pay.statement WHERE bill_date = '%s'" % a["date"])
    kw = {"tamper": [a["tamper"]]} if a.get("tamper") else {}
    return {"csv": pay_lib.statement(a["date"], **kw)}


VERBS = {"pay_case": pay_case, "pay_order": pay_order, "pay_open": pay_open, "pay_statement": pay_statement}
