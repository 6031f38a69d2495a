"""Fixtures of the holiday calendar screen's browser test (verbs added to
tests/e2e/fixture.py).
  cal_case  {} → {"id", "due_date", "day"}: a mortgage submitted at 兴宾区
            (451302) today, and the first ordinary weekday (no calendar mark)
            inside its window — the day the test marks
  cal_clear {"day"} → {"status"}: the day back to an ordinary one through the
            API (as a region-wide system administrator), so that a failed
            test does not leave it marked; 404 when it was not marked
"""
import datetime
import time

import auth_lib
import case_lib
from lib import sql


def cal_case(a):
    r = case_lib.create(case_lib.mortgage_body(case_lib.unit()))
    assert r.status == 201, r
    r = case_lib.act(r.json, "submit", case_lib.staff[("intake_clerk", case_lib.RECEIVING)])
    assert r.status == 200, r
    c = r.json
    marked = {row[0] for row in sql("SELECT day::text FROM cases.calendar")}
    d = datetime.datetime.utcfromtimestamp(time.time() + 8 * 3600).date()
    due = datetime.date.fromisoformat(c["due_date"])
    while True:
        d += datetime.timedelta(days=1)
        assert d <= due, "no ordinary weekday in the window"
        if d.weekday() < 5 and d.isoformat() not in marked:
            break
    return {"id": c["id"], "due_date": c["due_date"], "day": d.isoformat()}


def cal_clear(a):
    _, s = auth_lib.admin_session("system_admin", "450000", now=time.time() + 7000)
    return {"status": s.call("DELETE", "/api/v1/calendar/days/%s" % a["day"]).status}


VERBS = {"cal_case": cal_case, "cal_clear": cal_clear}
