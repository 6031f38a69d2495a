"""Fixtures of the case screens' browser tests. Verbs:
  card_unit  {"county", "mortgage": bool, "seizure": bool}
             → {"code", "holders": [{"name", "id_number"}], "mortgage_entry"}
             a unit imported with `tbctl registry import` (holders' ID numbers
             sealed, as a county's records arrive), optionally with a mortgage
             of rank 1 and a seizure
  case       {"username", "code", "kind": "mortgage"|"pre_notice", "submit": bool}
             → {"id", "number", "version"}: a case made through the API by
             that user, with its required documents
  users      {"grants": [[role, agency], ...]} → one user per grant (one process
             start instead of one per user: the tests wait on Python's start-up)
  act        {"username", "id", "action", ...members} → the case after the
             action (status asserted 200)
"""
import random

import auth_lib
import case_lib
from lib import sql

HEADER = "unit_code,location,use,area_m2,certificate_no,holder_name,holder_id_type,holder_id_number,share\n"
_sessions = {}


def _session(username):
    if username not in _sessions:
        _sessions[username] = auth_lib.login(username)
    return _sessions[username]


_import = case_lib.registry_import


def card_unit(a):
    county = a.get("county", case_lib.DECIDING)
    code = "%s001002GB%05dF%08d" % (county, random.randint(20000, 99999), random.randint(1, 9999))
    holders = [{"name": "黄秀英", "id_number": case_lib.fix_check("45010319800101152")},
               {"name": "陆建国", "id_number": case_lib.fix_check("45010319780505151")}]
    loc = "南宁市青秀区民族大道%d号3栋2单元1502" % random.randint(1, 999)
    cert = "桂(2024)南宁市不动产权第%07d号" % random.randint(1, 9999999)
    _import(HEADER + "".join("%s,%s,residential,118.60,%s,%s,resident_id,%s,1/2\n" % (code, loc, cert, h["name"], h["id_number"])
                             for h in holders))
    out = {"code": code, "location": loc, "holders": holders, "mortgage_entry": None}
    if a.get("mortgage"):
        rows = sql("INSERT INTO reg.entry (unit_code, kind, rank, holder_name, amount_fen, certificate_no, details, valid_from)"
                   " VALUES ('%s', 'mortgage', 1, '中国建设银行', 80000000, '桂(2024)南宁市不动产证明第%07d号',"
                   " '{\"term_from\": \"2024-03-01\", \"term_to\": \"2044-02-28\", \"mortgage_type\": \"ordinary\","
                   " \"debtor\": \"黄秀英\"}', '2024-03-05 10:00+08') RETURNING id" % (code, random.randint(1, 9999999)))
        out["mortgage_entry"] = int(rows[0][0])
    if a.get("seizure"):
        case_lib.seize(code)
    return out


def case(a):
    s = _session(a["username"])
    body = (case_lib.pre_notice_body if a.get("kind") == "pre_notice" else case_lib.mortgage_body)(a["code"])
    r = case_lib.create(body, who=s)
    assert r.status == 201, r
    c = r.json
    if a.get("submit"):
        r = case_lib.act(c, "submit", s)
        assert r.status == 200, r
        c = r.json
    return {"id": c["id"], "number": c["number"], "version": c["version"]}


def act(a):
    s = _session(a["username"])
    extra = {k: v for k, v in a.items() if k not in ("username", "id", "action")}
    c = s.get("/api/v1/cases/%d" % a["id"]).json
    r = case_lib.act(c, a["action"], s, **extra)
    assert r.status == 200, r
    return {"id": r.json["id"], "state": r.json["state"], "version": r.json["version"]}


def users(a):
    out = []
    for role, agency in a["grants"]:
        uid, name = auth_lib.make_user(agency=agency, grants=[(role, agency)])
        out.append({"id": uid, "username": name, "password": auth_lib.PASSWORD})
    return out


VERBS = {"card_unit": card_unit, "case": case, "act": act, "users": users}
