"""Applicant progress without a staff session: case number + last six ID
characters; cached, invalidated on every transition, rate-limited."""
import json

from case_lib import DECIDING, HOLDER, OBLIGOR, RECEIVING, act, create, mortgage_body, staff, unit
from lib import assert_problem, get, sql

CLERK = ("intake_clerk", RECEIVING)


def progress(number, last6):
    return get("/api/v1/public/progress?number=%s&id_last6=%s" % (number, last6))


def test_progress_shows_state_and_timeline_without_staff_names():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    r = progress(c["number"], HOLDER["id_number"][-6:])
    assert r.status == 200, r
    b = r.json
    assert b["number"] == c["number"] and b["state"] == "submitted" and b["due_date"] == c["due_date"]
    assert b["business_type_name"] == "抵押登记（设立）"
    assert [e["action"] for e in b["timeline"]] == ["create", "submit"]
    assert set(b["timeline"][0]) == {"at", "action", "state"}
    text = r.body.decode()
    assert "测试用户" not in text and "actor" not in text and RECEIVING not in text
    assert progress(c["number"], HOLDER["id_number"][-6:]).header("X-Cache") == "hit"
    # the obligor's ID works too, lower-case x as well
    assert progress(c["number"], OBLIGOR["id_number"][-6:]).status == 200
    assert progress(c["number"], HOLDER["id_number"][-6:].lower()).status == 200


def test_a_transition_invalidates_the_cached_answer():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    last6 = HOLDER["id_number"][-6:]
    assert progress(c["number"], last6).json["state"] == "submitted"
    assert progress(c["number"], last6).header("X-Cache") == "hit"
    act(c, "accept", staff[("reviewer", DECIDING)])
    r = progress(c["number"], last6)
    assert r.header("X-Cache") == "miss" and r.json["state"] == "accepted"


def test_wrong_id_characters_and_unknown_numbers_look_the_same():
    c = create(mortgage_body(unit())).json
    wrong = progress(c["number"], "000000")
    unknown = progress("TB-450103-2026-999999", HOLDER["id_number"][-6:])
    b1 = assert_problem(wrong, 404, "progress_not_found")
    b2 = assert_problem(unknown, 404, "progress_not_found")
    assert b1["detail"] == b2["detail"]
    cached_wrong = progress(c["number"], "000000")  # now from the cache: still 404
    assert_problem(cached_wrong, 404, "progress_not_found")


def test_bad_parameters_are_400():
    for qs in ("number=TB-1&id_last6=123456", "number=TB-450103-2026-000001&id_last6=12345",
               "number=TB-450103-2026-000001", "id_last6=123456", "number=TB-450103-2026-000001&id_last6=12%2034X"):
        assert_problem(get("/api/v1/public/progress?" + qs), 400, "invalid_parameter")


def test_the_public_role_cannot_read_cases_directly():
    p = sql("SELECT count(*) FROM cases.case", user="tb_public", check=False)
    assert p.returncode != 0 and "permission denied" in p.stderr
    p = sql("SELECT count(*) FROM cases.party", user="tb_public", check=False)
    assert p.returncode != 0 and "permission denied" in p.stderr


def test_progress_is_rate_limited_per_client():
    statuses = [progress("TB-450103-2026-999998", "000000").status for _ in range(150)]
    assert 429 in statuses and set(statuses) <= {404, 429}
    r = progress("TB-450103-2026-999998", "000000")
    if r.status == 429:
        assert_problem(r, 429, "rate_limited")
