"""Worklists per agency and role, overdue cases, the agency inbox."""
import time

from case_lib import DECIDING, RECEIVING, act, create, mortgage_body, staff, unit
from lib import assert_problem, sql

CLERK = ("intake_clerk", RECEIVING)
REVIEWER = ("reviewer", DECIDING)


def ids(r):
    return [i["id"] for i in r.json["items"]]


def test_waiting_for_me_follows_the_workflow_and_the_side():
    # pages start just before the case (keyset on id): on the shared stack the lists hold
    # hundreds of other modules' cases
    c = create(mortgage_body(unit())).json
    assert c["id"] in ids(staff[CLERK].get("/api/v1/cases?list=waiting&limit=200&after=%d" % (c["id"] - 1)))  # to submit
    assert c["id"] not in ids(staff[REVIEWER].get("/api/v1/cases?list=waiting&limit=200&after=%d" % (c["id"] - 1)))
    c = act(c, "submit", staff[CLERK]).json
    waiting = staff[REVIEWER].get("/api/v1/cases?list=waiting&limit=200&after=%d" % (c["id"] - 1))
    assert waiting.status == 200 and c["id"] in ids(waiting)
    assert waiting.json["counts"]["waiting"] >= 1
    assert c["id"] not in ids(staff[CLERK].get("/api/v1/cases?list=waiting&limit=200&after=%d" % (c["id"] - 1)))
    # received by us, decided elsewhere: the window sees it, the deciding side does not
    assert c["id"] in ids(staff[CLERK].get("/api/v1/cases?list=received_elsewhere&limit=200&after=%d" % (c["id"] - 1)))
    assert c["id"] not in ids(staff[REVIEWER].get("/api/v1/cases?list=received_elsewhere&limit=200&after=%d" % (c["id"] - 1)))
    # a third county sees nothing of it
    assert c["id"] not in ids(staff[("reviewer", "450102")].get("/api/v1/cases?list=waiting&limit=200&after=%d" % (c["id"] - 1)))


def test_overdue_after_the_promised_working_days():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    due = c["due_date"]
    assert due > time.strftime("%Y-%m-%d")
    assert c["id"] not in ids(staff[REVIEWER].get("/api/v1/cases?list=overdue&limit=200"))
    # the promised days pass (a session cannot jump a month: it would expire)
    sql("UPDATE cases.case SET due_date = current_date - 1 WHERE id = %d" % c["id"])
    r = staff[REVIEWER].get("/api/v1/cases?list=overdue&limit=200")
    assert r.status == 200 and c["id"] in ids(r)
    item = [i for i in r.json["items"] if i["id"] == c["id"]][0]
    assert item["overdue"] is True and r.json["counts"]["overdue"] >= 1
    assert c["id"] in ids(staff[CLERK].get("/api/v1/cases?list=overdue&limit=200"))  # both sides see it
    act(staff[CLERK].get("/api/v1/cases/%d" % c["id"]).json, "withdraw", staff[CLERK])
    assert c["id"] not in ids(staff[REVIEWER].get("/api/v1/cases?list=overdue&limit=200"))


def test_keyset_pagination_of_worklists():
    code = unit()
    made = [create(mortgage_body(code)).json["id"] for _ in range(3)]
    first = staff[CLERK].get("/api/v1/cases?list=waiting&limit=2")
    assert len(first.json["items"]) == 2 and first.json["next_after"]
    seen, after = [], None
    while True:
        page = staff[CLERK].get("/api/v1/cases?list=waiting&limit=2" + ("&after=" + after if after else "")).json
        seen += [i["id"] for i in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert set(made) <= set(seen) and seen == sorted(seen) and len(seen) == len(set(seen))
    for bad in ("list=mine", "limit=0", "after=x"):
        assert_problem(staff[CLERK].get("/api/v1/cases?" + bad), 400, "invalid_parameter")
    assert_problem(staff[("query_clerk", RECEIVING)].get("/api/v1/cases"), 403, "forbidden")


def test_hand_overs_leave_notes_in_the_other_agency_inbox():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    inbox = staff[REVIEWER].get("/api/v1/notifications?unread=1&limit=200").json
    note = [n for n in inbox["items"] if n["case_id"] == c["id"]]
    assert len(note) == 1 and note[0]["kind"] == "submit" and note[0]["message"] == "新收件：请受理审核"
    assert note[0]["case_number"] == c["number"] and inbox["unread"] >= 1
    # another agency cannot read or mark it
    assert_problem(staff[CLERK].call("POST", "/api/v1/notifications/%d/read" % note[0]["id"]), 404,
                   "notification_not_found")
    assert staff[REVIEWER].call("POST", "/api/v1/notifications/%d/read" % note[0]["id"]).status == 204
    assert sql("SELECT read_at IS NOT NULL FROM cases.notification WHERE id = %d" % note[0]["id"]) == [["t"]]
    c = act(c, "accept", staff[REVIEWER]).json
    c = act(c, "request_supplement", staff[REVIEWER], missing=["身份证复印件"]).json
    back = staff[CLERK].get("/api/v1/notifications?unread=1&limit=200").json["items"]
    assert any(n["case_id"] == c["id"] and n["kind"] == "request_supplement" for n in back)
    # accepting hands nothing over: no note
    assert sql("SELECT count(*) FROM cases.notification WHERE case_id = %d AND kind = 'accept'" % c["id"]) == [["0"]]


def test_a_case_is_found_by_its_number_only_by_those_who_read_it():
    c = act(create(mortgage_body(unit())).json, "submit", staff[CLERK]).json
    for who in (staff[CLERK], staff[REVIEWER]):
        r = who.get("/api/v1/cases?number=" + c["number"])
        assert r.status == 200, r.body
        assert [(i["id"], i["number"], i["state"]) for i in r.json["items"]] == [(c["id"], c["number"], "submitted")]
        assert r.json["next_after"] is None
    # a third county reads cases, but not this one: no item, as for a number never given
    third = staff[("reviewer", "450102")]
    assert third.get("/api/v1/cases?number=" + c["number"]).json["items"] == []
    unknown = c["number"][:-6] + "999999"
    assert staff[CLERK].get("/api/v1/cases?number=" + unknown).json["items"] == []
    # a number not of the form, or with a list, is refused
    for q in ("number=TB-45010-2026-000001", "number=" + c["number"] + "x", "number=%s&list=waiting" % c["number"],
              "number=tb-" + c["number"][3:]):
        assert_problem(staff[CLERK].get("/api/v1/cases?" + q), 400, "invalid_parameter")
