"""Fixtures of the archive query browser test (verbs added to
tests/e2e/fixture.py).
  query_people {"whitelist": bool (true)} → {"clerk", "admin", "unit": {"code", "location", "holder": {"name",
               "id_number"}}, "whitelist_id"}: a query clerk at 来宾市兴宾区 (451302),
               a jurisdiction admin of 来宾市 (451300, TOTP), a unit of 兴宾区 imported
               with its holder, and that holder put on the whitelist through the
               API by the admin (a session opened with the code of the previous step,
               so the browser's log-in with the current code is not a replay), and
               another resident ID number ("other_id_number") for the screens to add
"""
import base64
import random
import time

import auth_lib
import case_lib
from lib import sql

HEADER = "unit_code,location,use,area_m2,certificate_no,holder_name,holder_id_type,holder_id_number,share\n"


def resident_id():
    """A 兴宾区 resident ID number of a random birth day and sequence: the
    whitelist refuses a second entry for one number (409), so the fixture
    must not draw a number an earlier run on the stack has put there."""
    return case_lib.fix_check("451302%04d%02d%02d%03d" % (random.randint(1940, 2004), random.randint(1, 12),
                                                           random.randint(1, 28), random.randint(0, 999)))


def query_people(a):
    cuid, clerk = auth_lib.make_user(agency="451302", grants=[("query_clerk", "451302")])
    auid, admin = auth_lib.make_user(agency="451300", grants=[("jurisdiction_admin", "451300")], totp_enabled=True)
    code = "451302001003GB%05dF%08d" % (random.randint(20000, 99999), random.randint(1, 9999))
    holder = {"name": "韦秀兰", "id_number": resident_id()}
    loc = "来宾市兴宾区中南路%d号2栋1单元302" % random.randint(1, 999)
    cert = "桂(2024)来宾市不动产权第%07d号" % random.randint(1, 9999999)
    case_lib.registry_import(HEADER + "%s,%s,residential,96.30,%s,%s,resident_id,%s,\n" % (code, loc, cert, holder["name"], holder["id_number"]))
    # a mortgage in force (first rank), as the fixtures of the case screens add it
    sql("INSERT INTO reg.entry (unit_code, kind, rank, holder_name, amount_fen, certificate_no, details, valid_from)"
        " VALUES ('%s', 'mortgage', 1, '中国工商银行股份有限公司来宾分行', 56000000, '桂(2024)来宾市不动产证明第%07d号',"
        " '{\"term_from\": \"2024-05-01\", \"term_to\": \"2039-04-30\", \"mortgage_type\": \"ordinary\","
        " \"debtor\": \"%s\"}', '2024-05-06 10:00+08')" % (code, random.randint(1, 9999999), holder["name"]))
    out = {"clerk": {"id": cuid, "username": clerk, "password": auth_lib.PASSWORD},
           "admin": {"id": auid, "username": admin, "password": auth_lib.PASSWORD,
                     "totp_secret_b32": base64.b32encode(auth_lib.TOTP_KEY).decode()},
           "unit": {"code": code, "location": loc, "certificate_no": cert, "holder": holder},
           "other_id_number": resident_id()}
    if not a.get("whitelist", True):
        return out
    # the code of the previous 30-second step (the server takes one step either
    # way): the browser's log-in with the current code is then no replay
    s = auth_lib.login(admin, otp=auth_lib.totp(t=time.time() - 30))
    r = s.post("/api/v1/whitelist", {"name": holder["name"], "id_type": "resident_id", "id_number": holder["id_number"],
                                     "reason": "受保护证人（浏览器测试）", "scope": "451300"})
    assert r.status == 201, r
    out["whitelist_id"] = r.json["id"]
    return out


VERBS = {"query_people": query_people}
