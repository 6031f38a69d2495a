"""Fixtures of the portal's sign-in, home and applicant tests (verbs added
to tests/e2e/fixture.py). Cases are made and moved through the API with
the API tests' helpers.
  api_login   {"username", "otp"?} → {"session_id"}: another session of the user
  cases       {"county", "n", "state": submitted|accepted|supplement_requested,
               "missing": [..]} → [{"id", "number", "id_last6"}]: mortgage cases
              taken in at 兴宾区 (451302) for units in county
"""
import auth_lib
import case_lib
from lib import sql

CLERK_AGENCY = case_lib.RECEIVING


def api_login(a):
    otp = auth_lib.totp() if a.get("otp") else None
    s = auth_lib.login(a["username"], otp=otp)
    sid = sql("SELECT id FROM iam.session WHERE user_id = %d ORDER BY id DESC LIMIT 1" % int(s.body["user"]["id"]))
    return {"session_id": int(sid[0][0])}


def cases(a):
    county = a.get("county", case_lib.DECIDING)
    target = a.get("state", "submitted")
    _, clerk_name = auth_lib.make_user(agency=CLERK_AGENCY, grants=[("intake_clerk", CLERK_AGENCY)])
    clerk = auth_lib.login(clerk_name)
    reviewer = None
    if target != "submitted":
        _, rname = auth_lib.make_user(agency=county, grants=[("reviewer", county)])
        reviewer = auth_lib.login(rname)
    out = []
    for _ in range(int(a.get("n", 1))):
        r = case_lib.create(case_lib.mortgage_body(case_lib.unit(county)), who=clerk)
        assert r.status == 201, r
        c = case_lib.act(r.json, "submit", clerk)
        assert c.status == 200, c
        c = c.json
        if target in ("accepted", "supplement_requested"):
            c = case_lib.act(c, "accept", reviewer)
            assert c.status == 200, c
            c = c.json
        if target == "supplement_requested":
            c = case_lib.act(c, "request_supplement", reviewer, missing=a.get("missing", ["抵押合同原件"]))
            assert c.status == 200, c
            c = c.json
        out.append({"id": c["id"], "number": c["number"], "id_last6": case_lib.HOLDER["id_number"][-6:]})
    return out


VERBS = {"api_login": api_login, "cases": cases}
