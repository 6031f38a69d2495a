"""节假日安排: the holiday calendar, and a change of a day moving the due
dates of exactly the open cases whose window holds it (same transaction,
audited, a timeline event per moved case). Due dates are checked against an
independent Python reading of the working-day rule. Every test puts the
calendar back as it found it (make test shares one stack)."""
import datetime
import json
import time

import test_openapi as oa
from auth_lib import last_audit, login_mfa, make_user
from case_lib import DECIDING, RECEIVING, act, create, mortgage_body, staff, unit
from lib import assert_problem, request, sql

D = datetime.date
CLERK = ("intake_clerk", RECEIVING)

# 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04), as the contract quotes it
NOTICE_2026_OFF = [("2026-01-01", "2026-01-03"), ("2026-02-15", "2026-02-23"), ("2026-04-04", "2026-04-06"),
                   ("2026-05-01", "2026-05-05"), ("2026-06-19", "2026-06-21"), ("2026-09-25", "2026-09-27"),
                   ("2026-10-01", "2026-10-07")]
NOTICE_2026_WORK = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]
STATUTORY_2027 = ["2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-04-05",
                  "2027-05-01", "2027-05-02", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02", "2027-10-03"]


def admin(role, div, offset):
    uid, name = make_user(agency=div, grants=[(role, div)], totp_enabled=True)
    return login_mfa(name, now=time.time() + offset)


def calendar():
    return {r[0]: r[1] for r in sql("SELECT day::text, kind FROM cases.calendar")}


def calendar_rows():
    return sql("SELECT day::text, kind, coalesce(note, '') FROM cases.calendar ORDER BY day")


def working(day, cal):
    k = cal.get(day.isoformat())
    return k == "workday" if day.weekday() >= 5 else k != "holiday"


def due_after(start, n, cal):
    """n working days after start (start not counted): the rule as the
    applicant's promise reads it, written independently of the C code."""
    d = start
    while n > 0:
        d += datetime.timedelta(days=1)
        if working(d, cal):
            n -= 1
    return d


def today():
    return datetime.datetime.utcfromtimestamp(time.time() + 8 * 3600).date()


def open_cases():
    """Every open case with a window: id -> (due_from, due_days, due_date)."""
    rows = sql("SELECT id, due_from::text, due_days, due_date::text FROM cases.case"
               " WHERE cases.state_pending(state) AND due_from IS NOT NULL AND due_days IS NOT NULL")
    return {int(r[0]): (D.fromisoformat(r[1]), int(r[2]), D.fromisoformat(r[3])) for r in rows}


def expected_after(before, day, cal):
    """What a change of day leaves: the cases whose window holds it recounted."""
    out = {}
    for cid, (frm, n, due) in before.items():
        out[cid] = due_after(frm, n, cal) if frm < day <= due else due
    return out


def ordinary_weekday_in_window(frm, due, cal):
    d = frm + datetime.timedelta(days=1)
    while d <= due:
        if d.weekday() < 5 and d.isoformat() not in cal:
            return d
        d += datetime.timedelta(days=1)
    raise AssertionError("no ordinary weekday in the window")


def submitted_case():
    c = create(mortgage_body(unit())).json
    r = act(c, "submit", staff[CLERK])
    assert r.status == 200, r
    return r.json


def max_event():
    return int(sql("SELECT coalesce(max(id), 0) FROM cases.event")[0][0])


def test_anyone_signed_in_reads_2026_as_the_notice_and_2027_as_provisional():
    s = staff[CLERK]
    r = s.get("/api/v1/calendar?year=2026")
    assert r.status == 200, r
    oa.conforms(r, "/api/v1/calendar", "get")
    y = r.json
    assert y["year"] == 2026 and y["status"] == "official" and "2026年部分节假日安排" in y["source"]
    off = set()
    for a, b in NOTICE_2026_OFF:
        d = D.fromisoformat(a)
        while d <= D.fromisoformat(b):
            off.add(d.isoformat())
            d += datetime.timedelta(days=1)
    assert {d["day"] for d in y["days"] if d["kind"] == "holiday"} == off
    assert sorted(d["day"] for d in y["days"] if d["kind"] == "workday") == NOTICE_2026_WORK
    for d in y["days"]:
        assert d["note"], d
        if d["kind"] == "workday":
            assert D.fromisoformat(d["day"]).weekday() >= 5 and "调休" in d["note"]
    assert {d["day"]: d["note"] for d in y["days"]}["2026-02-23"] == "春节"

    y = s.get("/api/v1/calendar?year=2027").json
    assert y["status"] == "provisional" and "全国年节及纪念日放假办法" in y["source"]
    assert [d["day"] for d in y["days"]] == STATUTORY_2027
    assert {d["kind"] for d in y["days"]} == {"holiday"}
    assert {d["day"]: d["note"] for d in y["days"]}["2027-02-05"] == "春节（除夕）"

    y = s.get("/api/v1/calendar?year=2031").json
    assert y == {"year": 2031, "status": None, "source": None, "days": []}
    oa.conforms(s.get("/api/v1/calendar?year=2031"), "/api/v1/calendar", "get")
    assert s.get("/api/v1/calendar").json["year"] == today().year
    assert_problem(s.get("/api/v1/calendar?year=1899"), 400, "invalid_parameter")
    assert_problem(s.get("/api/v1/calendar?year=x"), 400, "invalid_parameter")
    assert request("GET", "/api/v1/calendar?year=2026").status == 401


def test_a_day_off_moves_exactly_the_open_cases_whose_window_holds_it():
    sa = admin("system_admin", "450000", 5100)
    a = submitted_case()
    start = today()
    row = sql("SELECT due_from::text, due_days, due_date::text FROM cases.case WHERE id = %d" % a["id"])[0]
    assert row == [start.isoformat(), "5", a["due_date"]]  # the submission stored its window
    cal = calendar()
    assert a["due_date"] == due_after(start, 5, cal).isoformat()
    day = ordinary_weekday_in_window(start, D.fromisoformat(a["due_date"]), cal)
    # a closed case with the same window, and an open one whose window lies after the day
    b = submitted_case()
    assert act(b, "withdraw", staff[CLERK]).status == 200
    c = submitted_case()
    later = due_after(day, 3, cal)
    sql("UPDATE cases.case SET due_from = '%s', due_days = 3, due_date = '%s' WHERE id = %d"
        % (day.isoformat(), later.isoformat(), c["id"]))
    before = open_cases()
    b_due = sql("SELECT due_date::text FROM cases.case WHERE id = %d" % b["id"])[0][0]
    ev0 = max_event()

    r = sa.call("PUT", "/api/v1/calendar/days/%s" % day, json_body={"kind": "holiday", "note": "测试临时放假"})
    assert r.status == 200, r
    oa.conforms(r, "/api/v1/calendar/days/{day}", "put")
    try:
        cal2 = calendar()
        assert cal2[day.isoformat()] == "holiday"
        want = expected_after(before, day, cal2)
        after = open_cases()
        assert {k: after[k][2] for k in before} == want
        moved = {k for k in before if want[k] != before[k][2]}
        assert a["id"] in moved and c["id"] not in moved
        assert r.json == {"day": day.isoformat(), "kind": "holiday", "note": "测试临时放假", "cases_moved": len(moved)}
        assert after[a["id"]][2] == due_after(start, 5, cal2) > D.fromisoformat(a["due_date"])
        assert sql("SELECT due_date::text FROM cases.case WHERE id = %d" % b["id"])[0][0] == b_due
        # one timeline event per moved case, nothing for the others
        evs = sql("SELECT case_id, from_state, to_state, actor_id, details::text FROM cases.event"
                  " WHERE id > %d AND action = 'due_recomputed'" % ev0)
        assert sorted(int(e[0]) for e in evs) == sorted(moved)
        ea = [e for e in evs if int(e[0]) == a["id"]][0]
        assert ea[1] == ea[2] == "submitted" and ea[3] == ""
        assert json.loads(ea[4]) == {"old": a["due_date"], "new": want[a["id"]].isoformat(), "day": day.isoformat(),
                                     "kind": "holiday", "note": "测试临时放假"}
        au = last_audit("calendar.change")
        assert au["object_type"] == "calendar_day" and au["object_id"] == day.isoformat()
        assert au["details"] == {"day": day.isoformat(), "old_kind": None, "old_note": None, "kind": "holiday",
                                 "note": "测试临时放假", "cases_moved": len(moved)}
        # the staff timeline and the due date the clerk sees
        detail = staff[CLERK].get("/api/v1/cases/%d" % a["id"]).json
        assert detail["due_date"] == want[a["id"]].isoformat() and detail["version"] == a["version"]
        assert detail["timeline"][-1]["action"] == "due_recomputed"
    finally:
        back = sa.call("DELETE", "/api/v1/calendar/days/%s" % day)
    assert back.status == 200, back
    oa.conforms(back, "/api/v1/calendar/days/{day}", "delete")
    assert back.json == {"day": day.isoformat(), "kind": None, "note": None, "cases_moved": len(moved)}
    assert {k: v[2] for k, v in open_cases().items() if k in before} == {k: v[2] for k, v in before.items()}
    assert last_audit("calendar.change")["details"]["old_kind"] == "holiday"


def test_a_make_up_working_day_brings_due_dates_forward():
    sa = admin("system_admin", "450000", 5130)
    a = submitted_case()
    cal = calendar()
    # a window of 5 working days from a Friday, over an unmarked weekend
    sat = today() + datetime.timedelta(days=1)
    while sat.weekday() != 5 or any((sat + datetime.timedelta(days=i)).isoformat() in cal for i in range(-1, 10)):
        sat += datetime.timedelta(days=1)
    frm = sat - datetime.timedelta(days=1)
    due = due_after(frm, 5, cal)
    sql("UPDATE cases.case SET due_from = '%s', due_days = 5, due_date = '%s' WHERE id = %d"
        % (frm.isoformat(), due.isoformat(), a["id"]))
    before = open_cases()
    r = sa.call("PUT", "/api/v1/calendar/days/%s" % sat, json_body={"kind": "workday", "note": "测试调休上班"})
    assert r.status == 200, r
    try:
        cal2 = calendar()
        want = expected_after(before, sat, cal2)
        assert {k: v[2] for k, v in open_cases().items() if k in before} == want
        assert want[a["id"]] == due - datetime.timedelta(days=1)  # Thursday instead of Friday
        assert r.json["cases_moved"] == sum(want[k] != before[k][2] for k in before) >= 1
    finally:
        assert sa.call("DELETE", "/api/v1/calendar/days/%s" % sat).status == 200
    assert sql("SELECT due_date::text FROM cases.case WHERE id = %d" % a["id"])[0][0] == due.isoformat()


def changes():
    return int(sql("SELECT count(*) FROM audit.event WHERE action = 'calendar.change'")[0][0])


def test_only_a_region_wide_calendar_manager_changes_days_and_bad_input_changes_nothing():
    rows, n = calendar_rows(), changes()
    a = submitted_case()
    day = ordinary_weekday_in_window(today(), D.fromisoformat(a["due_date"]), calendar())
    path = "/api/v1/calendar/days/%s" % day
    body = {"kind": "holiday", "note": "不应生效"}
    county = admin("system_admin", "451302", 5160)
    assert_problem(county.call("PUT", path, json_body=body), 403, "region_scope_required")
    assert_problem(county.call("PATCH", "/api/v1/calendar/years/2027", json_body={"status": "official"}), 403,
                   "region_scope_required")
    denied = last_audit("auth.denied")
    assert denied["outcome"] == "denied" and denied["details"]["code"] == "region_scope_required"
    city_admin = admin("jurisdiction_admin", "450000", 5190)  # region-wide, but no calendar.manage
    assert_problem(city_admin.call("PUT", path, json_body=body), 403, "forbidden")
    assert_problem(staff[CLERK].call("DELETE", path), 403, "forbidden")
    assert request("PUT", path, json_body=body).status == 401

    sa = admin("system_admin", "450000", 5220)
    for bad_day in ("2026-02-30", "20261201", "2026-1-05", "x"):
        assert_problem(sa.call("PUT", "/api/v1/calendar/days/%s" % bad_day, json_body=body), 400, "invalid_day")
    for bad, code in (({"kind": "vacation", "note": "x"}, "invalid_field"), ({"kind": "holiday"}, "missing_field"),
                      ({"kind": "holiday", "note": ""}, "invalid_field"),
                      ({"kind": "holiday", "note": "长" * 41}, "invalid_field"),
                      ({"kind": "holiday", "note": "a\u202eb"}, "invalid_field"),
                      ({"kind": "holiday", "note": "x", "extra": 1}, "unknown_field"),
                      ({"kind": "workday", "note": "周中不是调休"}, "workday_not_weekend")):
        assert_problem(sa.call("PUT", path, json_body=bad), 400, code)
    assert_problem(sa.call("DELETE", path), 404, "day_not_marked")
    for bad, code in (({"status": "final"}, "invalid_field"), ({}, "missing_field"),
                      ({"source": "x" * 201}, "invalid_field")):
        assert_problem(sa.call("PATCH", "/api/v1/calendar/years/2027", json_body=bad), 400, code)
    assert_problem(sa.call("PATCH", "/api/v1/calendar/years/1850", json_body={"status": "official"}), 400,
                   "invalid_year")
    assert calendar_rows() == rows and changes() == n
    assert sql("SELECT due_date::text FROM cases.case WHERE id = %d" % a["id"])[0][0] == a["due_date"]


def test_a_year_is_made_official_with_its_source():
    sa = admin("system_admin", "450000", 5250)
    old = sa.get("/api/v1/calendar?year=2027").json
    r = sa.call("PATCH", "/api/v1/calendar/years/2027",
                json_body={"status": "official", "source": "国务院办公厅关于2027年部分节假日安排的通知（测试）"})
    assert r.status == 200, r
    oa.conforms(r, "/api/v1/calendar/years/{year}", "patch")
    try:
        assert r.json == {"year": 2027, "status": "official", "source": "国务院办公厅关于2027年部分节假日安排的通知（测试）"}
        assert sa.get("/api/v1/calendar?year=2027").json["status"] == "official"
        au = last_audit("calendar.change")
        assert au["object_type"] == "calendar_year" and au["object_id"] == "2027"
        assert au["details"]["old_status"] == "provisional" and au["details"]["status"] == "official"
    finally:
        back = sa.call("PATCH", "/api/v1/calendar/years/2027", json_body={"status": old["status"], "source": old["source"]})
        assert back.status == 200
    # a year the calendar had no word of: provisional until said otherwise
    r = sa.call("PATCH", "/api/v1/calendar/years/2033", json_body={"source": "测试来源"})
    assert r.json == {"year": 2033, "status": "provisional", "source": "测试来源"}


def test_the_migration_backfill_reads_a_window_as_submit_stores_it():
    """0026 backfilled due_from/due_days of existing cases from their last
    submit/resubmit event: run over cases submitted here (their columns
    cleared first), it gives what the submit action stored."""
    import os
    from lib import ROOT
    text = open(os.path.join(ROOT, "sql", "0026_calendar.sql"), encoding="utf-8").read()
    stmt = text[text.index("WITH s AS ("):text.index(" WHERE c.id = s.id;") + len(" WHERE c.id = s.id")]
    cases = [submitted_case(), submitted_case()]
    ids = ",".join(str(c["id"]) for c in cases)
    # one of them with a due date set by an older promise (7 working days)
    cal = calendar()
    late = due_after(today(), 7, cal)
    sql("UPDATE cases.case SET due_date = '%s' WHERE id = %d" % (late.isoformat(), cases[1]["id"]))
    sql("UPDATE cases.case SET due_from = NULL, due_days = NULL WHERE id IN (%s)" % ids)
    sql(stmt + " AND c.id IN (%s)" % ids)
    got = sql("SELECT due_from::text, due_days FROM cases.case WHERE id IN (%s) ORDER BY id" % ids)
    assert got == [[today().isoformat(), "5"], [today().isoformat(), "7"]]


def test_a_change_waits_for_a_submission_reading_the_calendar_then_gives_up_unchanged():
    """A submission reads the calendar under a shared lock (fcgi/intake/
    actions.c); a change takes it exclusively, and rather than wait on (and
    perhaps deadlock with) a submission it answers 503 calendar_busy after
    0.8 s, having changed nothing."""
    import os
    import subprocess
    from lib import PGBIN, psql_conninfo
    sa = admin("system_admin", "450000", 5280)
    a = submitted_case()
    day = ordinary_weekday_in_window(today(), D.fromisoformat(a["due_date"]), calendar())
    rows, n = calendar_rows(), changes()
    holder = subprocess.Popen([os.path.join(PGBIN, "psql"), "-X", "-q", psql_conninfo(), "-c",
                               "BEGIN; SELECT pg_advisory_xact_lock_shared(7352926); SELECT pg_sleep(4); COMMIT;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        t0 = time.time()
        r = sa.call("PUT", "/api/v1/calendar/days/%s" % day, json_body={"kind": "holiday", "note": "等待"})
        assert_problem(r, 503, "calendar_busy")
        assert r.header("Retry-After") == "2" and time.time() - t0 >= 0.7
    finally:
        holder.wait(timeout=20)
    assert calendar_rows() == rows and changes() == n
    assert sql("SELECT due_date::text FROM cases.case WHERE id = %d" % a["id"])[0][0] == a["due_date"]
