"""The unit card (GET /api/v1/registry/units/{code}, query service): what is
in force on a unit, for whoever may take cases in, ID numbers masked, every
read audited. The acceptance receipt (GET /api/v1/cases/{id}/receipt and its
QR code) for the receiving side once a case is submitted."""
import itertools
import os
import random
import subprocess
import tempfile

from case_lib import DECIDING, RECEIVING, act, create, fix_check, mortgage_body, seize, staff, unit
from lib import ROOT, STACK, assert_problem, psql_conninfo, request, sql
from test_openapi import conforms

CLERK = ("intake_clerk", RECEIVING)
REVIEWER = ("reviewer", DECIDING)
REGISTRAR = ("registrar", DECIDING)
HEADER = "unit_code,location,use,area_m2,certificate_no,holder_name,holder_id_type,holder_id_number,share\n"
_parcels = itertools.count(random.randint(100, 800) * 100)


def imported_unit(holders):
    """A unit of 青秀区 imported by `tbctl registry import` (ID numbers sealed),
    with holders [(name, id_number, share)]; returns its code."""
    n = next(_parcels)
    code = "450103003004GB%05dF%08d" % (n % 100000, 7)
    cert = "桂(2025)南宁市不动产权第%07d号" % n
    text = HEADER + "".join("%s,青秀区民族大道%d号,residential,120.25,%s,%s,resident_id,%s,%s\n"
                            % (code, n, cert, name, idn, share) for name, idn, share in holders)
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    try:
        p = subprocess.run([os.path.join(ROOT, "build/asan/tbctl"), "registry", "import", path],
                           env=dict(os.environ, TB_PG_ADMIN=psql_conninfo(),
                                    TB_DATA_KEYS=os.path.join(STACK, "keys", "data.keys")),
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    assert p.returncode == 0, p.stdout + p.stderr
    return code


def registered(body):
    """A case taken in at the window and registered by the deciding side."""
    c = create(body).json
    for action, who in (("submit", CLERK), ("accept", REVIEWER), ("approve", REVIEWER), ("register", REGISTRAR)):
        r = act(c, action, staff[who])
        assert r.status == 200, (action, r)
        c = r.json
    return c


def since(entry_id):
    """An entry's valid_from as the API writes times (seconds, Beijing time)."""
    return sql("SELECT to_char(valid_from AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS') || '+08:00'"
               " FROM reg.entry WHERE id = %d" % entry_id)[0][0]


def entry_ids(code, kind):
    return [int(x[0]) for x in sql("SELECT id FROM reg.entry WHERE unit_code = '%s' AND kind = '%s'"
                                   " AND valid_to IS NULL ORDER BY id" % (code, kind))]


def card(code, who=CLERK):
    return staff[who].get("/api/v1/registry/units/" + code)


def test_unit_card_shows_holders_masked_mortgages_in_rank_order_and_restrictions_in_force():
    a, b = fix_check("45010319800101003"), fix_check("45010319820202004")
    code = imported_unit([("黄一", a, "1/2"), ("黄二", b, "1/2")])
    first = registered(mortgage_body(code))
    other = mortgage_body(code, mortgagee_name="广西北部湾银行", amount_fen=2000000, mortgage_type="maximum",
                          term_from="2027-01-01", term_to="2037-12-31")
    del other["fields"]["mortgagee_bank"]
    second = registered(other)
    seize(code)
    sql("INSERT INTO reg.entry (unit_code, kind, holder_name, valid_from) VALUES ('%s', 'objection', '黄三', now()),"
        " ('%s', 'pre_notice', '黄四', now())" % (code, code))
    # what has ended is not shown
    sql("INSERT INTO reg.entry (unit_code, kind, holder_name, valid_from, valid_to) VALUES"
        " ('%s', 'objection', '已注销', now() - interval '2 days', now() - interval '1 day')" % code)
    draft = create(mortgage_body(code)).json
    pending = create(mortgage_body(code)).json
    assert act(pending, "submit", staff[CLERK]).status == 200
    r = card(code)
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    conforms(r, "/api/v1/registry/units/{code}", "get")
    holders, mortgages = entry_ids(code, "ownership"), entry_ids(code, "mortgage")
    (seizure,), (objection,), (pre_notice,) = (entry_ids(code, k) for k in ("seizure", "objection", "pre_notice"))
    cert = sql("SELECT certificate_no FROM reg.entry WHERE id = %d" % holders[0])[0][0]
    assert r.json == {
        "unit": {"code": code, "location": sql("SELECT location FROM reg.unit WHERE code = '%s'" % code)[0][0],
                 "use": "residential", "area_m2": 120.25, "county": {"code": "450103", "name": "青秀区"},
                 "deciding_agency": {"code": "450103", "name": "青秀区不动产登记中心"}},
        "holders": [
            {"entry_id": holders[0], "name": "黄一", "id_type": "resident_id", "id_number_masked": a[:3] + "*" * 11 + a[-4:],
             "share": "1/2", "certificate_no": cert, "since": since(holders[0])},
            {"entry_id": holders[1], "name": "黄二", "id_type": "resident_id", "id_number_masked": b[:3] + "*" * 11 + b[-4:],
             "share": "1/2", "certificate_no": cert, "since": since(holders[1])}],
        "mortgages": [
            {"entry_id": mortgages[0], "rank": 1, "mortgagee": "中国工商银行", "amount_fen": 50000000,
             "term_from": "2026-12-01", "term_to": "2046-11-30", "mortgage_type": "ordinary",
             "certificate_no": first["certificate_no"], "since": since(mortgages[0])},
            {"entry_id": mortgages[1], "rank": 2, "mortgagee": "广西北部湾银行", "amount_fen": 2000000,
             "term_from": "2027-01-01", "term_to": "2037-12-31", "mortgage_type": "maximum",
             "certificate_no": second["certificate_no"], "since": since(mortgages[1])}],
        "pre_notices": [{"entry_id": pre_notice, "holder_name": "黄四", "certificate_no": None,
                         "since": since(pre_notice)}],
        "seizures": [{"entry_id": seizure, "authority": "南宁市中级人民法院", "since": since(seizure)}],
        "objections": [{"entry_id": objection, "holder_name": "黄三", "since": since(objection)}],
        "pending_cases": 1,
    }
    assert draft["state"] == "draft"
    # the clear numbers are nowhere in the answer: only the masked form
    text = r.body.decode("utf-8")
    for n in (a, b):
        assert n not in text and n[3:-4] not in text


def test_a_unit_with_nothing_registered_has_empty_sections():
    code = unit()
    r = card(code)
    assert r.status == 200, r
    b = r.json
    assert b["unit"]["area_m2"] == 98.5 and b["unit"]["location"] == "测试路1号"
    assert [b[k] for k in ("holders", "mortgages", "pre_notices", "seizures", "objections", "pending_cases")] == [
        [], [], [], [], [], 0]


def test_every_unit_card_read_is_audited_with_the_unit_code():
    code = unit(county=RECEIVING)
    who = staff[CLERK]
    before = int(sql("SELECT count(*) FROM audit.event WHERE action = 'registry.unit.read' AND object_id = '%s'"
                     % code)[0][0])
    assert card(code).status == 200 and card(code).status == 200
    rows = sql("SELECT actor_id, object_type, outcome FROM audit.event WHERE action = 'registry.unit.read'"
               " AND object_id = '%s' ORDER BY seq" % code)
    assert before == 0 and rows == [[str(who.body["user"]["id"]), "unit", "success"]] * 2


def test_only_users_who_may_take_cases_in_read_unit_cards():
    code = unit()
    for role in (("reviewer", DECIDING), ("registrar", DECIDING), ("cashier", DECIDING)):
        assert_problem(card(code, role), 403, "forbidden")
    assert_problem(request("GET", "/api/v1/registry/units/" + code), 401, "unauthenticated")
    # a window anywhere takes in units anywhere
    assert card(code, ("intake_clerk", "451321")).status == 200


def test_a_malformed_unit_code_is_400_and_an_unknown_one_404():
    for bad in ("451302001002GB0001", "451302001002GB00014X00220045", "451302001002gb00014F00220045",
                "4513020010020B00014F00220045", "x" * 28, "451302001002GB00014F002200450"):
        assert_problem(card(bad), 400, "invalid_unit_code")
    conforms(card(bad), "/api/v1/registry/units/{code}", "get")
    unknown = "451302009009GB%05dF00220045" % random.randint(0, 99999)  # no fixture makes this zone
    assert_problem(card(unknown), 404, "unit_not_found")
    assert sql("SELECT outcome, details->>'code' FROM audit.event WHERE action = 'registry.unit.read'"
               " AND object_id = '%s'" % unknown) == [["failure", "unit_not_found"]]
