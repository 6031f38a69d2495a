"""Applicant progress without a staff session: POST the case number and the
last six ID characters. Wrong attempts are counted per case number, existing
or not, across all addresses; nothing tells an unknown number from a wrong
pair; the secret never travels in a URL."""
import json
import os
import random
import time

from case_lib import DECIDING, HOLDER, OBLIGOR, RECEIVING, act, create, fix_check, mortgage_body, staff, unit
from lib import (STACK, assert_problem, fcgi_connect, fcgi_params, fcgi_read_response, fcgi_request_bytes, get,
                 post, sql)

CLERK = ("intake_clerk", RECEIVING)
PATH = "/api/v1/public/progress"


def progress(number, last6, now=None):
    return post(PATH, {"number": number, "id_last6": last6},
                headers={"X-Tb-Test-Now": str(now)} if now else None)


def unknown_number():
    return "TB-450103-2026-9%05d" % random.randint(0, 99999)


def progress_from(addr, number, last6, now):
    """The same request straight to the public service, from another client address."""
    body = json.dumps({"number": number, "id_last6": last6}).encode()
    s = fcgi_connect(os.path.join(STACK, "run", "public.sock"))
    try:
        s.sendall(fcgi_request_bytes(1, fcgi_params(PATH, method="POST", remote=addr, CONTENT_TYPE="application/json",
                                                    CONTENT_LENGTH=str(len(body)), HTTP_X_TB_TEST_NOW=str(now)),
                                     body, keep=False))
        status, headers, b, _ = fcgi_read_response(s)
    finally:
        s.close()
    return status, headers, json.loads(b)


def without_request_id(r):
    body = r.json
    body.pop("request_id")
    headers = sorted((k.lower(), v) for k, v in r.headers if k.lower() not in ("x-request-id", "date"))
    return json.dumps(body, sort_keys=True), headers


def test_progress_shows_state_and_timeline_without_staff_names():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    r = progress(c["number"], HOLDER["id_number"][-6:])
    assert r.status == 200, r
    b = r.json
    assert b["number"] == c["number"] and b["state"] == "submitted" and b["due_date"] == c["due_date"]
    assert b["business_type_name"] == "抵押登记（设立）"
    assert [e["action"] for e in b["timeline"]] == ["create", "submit"]
    assert set(b["timeline"][0]) == {"at", "action", "state"}
    assert r.header("Cache-Control") == "no-store" and r.header("X-Cache") is None
    text = r.body.decode()
    assert "测试用户" not in text and "actor" not in text and RECEIVING not in text
    # the obligor's ID works too, lower-case x as well
    assert progress(c["number"], OBLIGOR["id_number"][-6:]).status == 200
    assert progress(c["number"], HOLDER["id_number"][-6:].lower()).status == 200


def test_a_transition_shows_at_once():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    last6 = HOLDER["id_number"][-6:]
    assert progress(c["number"], last6).json["state"] == "submitted"
    act(c, "accept", staff[("reviewer", DECIDING)])
    assert progress(c["number"], last6).json["state"] == "accepted"


def test_a_wrong_pair_and_an_unknown_number_are_answered_byte_for_byte_alike():
    c = create(mortgage_body(unit())).json
    other = unknown_number()
    now = int(time.time())
    for attempt in range(6):
        wrong = progress(c["number"], "000000", now)
        unknown = progress(other, HOLDER["id_number"][-6:], now)
        status, code = (404, "progress_not_found") if attempt < 5 else (429, "progress_locked")
        assert_problem(wrong, status, code)
        assert_problem(unknown, status, code)
        assert without_request_id(wrong) == without_request_id(unknown), (wrong.headers, unknown.headers)
    assert wrong.header("Retry-After") == "3600"
    # the lock is kept for both numbers alike
    assert sql("SELECT number, failures FROM cases.progress_attempt WHERE number IN ('%s', '%s') ORDER BY number"
               % (c["number"], other)) == sorted([[c["number"], "5"], [other, "5"]])


def test_the_sixth_attempt_is_refused_from_any_address_until_the_hour_has_passed():
    c = create(mortgage_body(unit())).json
    last6 = HOLDER["id_number"][-6:]
    t0 = int(time.time())
    for _ in range(5):
        assert_problem(progress(c["number"], "ABC123", t0), 404, "progress_not_found")
    # the right pair now: refused, here and from another address
    r = progress(c["number"], last6, t0 + 10)
    assert_problem(r, 429, "progress_locked")
    assert r.header("Retry-After") == "3590"
    status, headers, body = progress_from("203.0.113.77", c["number"], last6, t0 + 20)
    assert status == 429 and body["code"] == "progress_locked" and headers["Retry-After"] == "3580"
    assert_problem(progress(c["number"], last6, t0 + 3599), 429, "progress_locked")
    # the window has passed: the right pair works, and the count starts again
    r = progress(c["number"], last6, t0 + 3600)
    assert r.status == 200 and r.json["number"] == c["number"], r
    assert sql("SELECT failures FROM cases.progress_attempt WHERE number = '%s'" % c["number"]) == [["0"]]


def test_the_secret_never_travels_in_a_url():
    number = fix_check("45010319770707%03d" % random.randint(0, 999))
    holder = dict(HOLDER, id_type="passport", id_number="PQ%sZKWXJV" % random.randint(1000, 9999))
    c = create(dict(mortgage_body(unit()), parties=[holder, dict(HOLDER, id_number=number)])).json
    assert progress(c["number"], "ZKWXJV").status == 200
    # the old form with the secret in the query is gone: nginx refuses any
    # query string here (400) before it could be logged, and GET is 405
    r = get(PATH + "?number=%s&id_last6=ZKWXJV" % c["number"])
    assert_problem(r, 400, "invalid_parameter")
    r = get(PATH)
    assert_problem(r, 405, "method_not_allowed")
    assert r.header("Allow") == "POST"
    assert sql("SELECT failures FROM cases.progress_attempt WHERE number = '%s'" % c["number"]) == [["0"]]
    time.sleep(1.2)  # nginx flushes its access log every second
    with open(os.path.join(STACK, "log", "access.log"), errors="replace") as f:
        lines = [line for line in f if PATH in line and "POST" in line]
    assert lines and not any("ZKWXJV" in line for line in lines)


def test_bad_bodies_are_400_and_not_counted():
    number = unknown_number()
    for body, code in (({"number": "TB-1", "id_last6": "123456"}, "invalid_field"),
                       ({"number": number, "id_last6": "12345"}, "invalid_field"),
                       ({"number": number, "id_last6": "12 34X"}, "invalid_field"),
                       ({"number": number}, "missing_field"),
                       ({"id_last6": "123456"}, "missing_field"),
                       ({"number": number, "id_last6": "123456", "name": "x"}, "unknown_field")):
        assert_problem(post(PATH, body), 400, code)
    assert sql("SELECT count(*) FROM cases.progress_attempt WHERE number = '%s'" % number) == [["0"]]


def test_the_public_role_cannot_read_cases_or_counters_directly():
    for table in ("cases.case", "cases.party", "cases.progress_attempt"):
        p = sql("SELECT count(*) FROM %s" % table, user="tb_public", check=False)
        assert p.returncode != 0 and "permission denied" in p.stderr
