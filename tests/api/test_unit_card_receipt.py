"""The unit card (GET /api/v1/registry/units/{code}, query service): what is
in force on a unit, for whoever may take cases in, ID numbers masked, every
read audited. The acceptance receipt (GET /api/v1/cases/{id}/receipt and its
QR code) for the receiving side once a case is submitted."""
import ctypes
import ctypes.util
import itertools
import os
import random
import struct
import subprocess
import tempfile
import zlib

from case_lib import (DECIDING, HOLDER, RECEIVING, act, attach, create, fix_check, mortgage_body, seize, staff,
                      unit)
from lib import PORT, ROOT, STACK, assert_problem, psql_conninfo, request, sql
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


# ---- the acceptance receipt ------------------------------------------------

def submitted_case():
    """A mortgage taken in at 兴宾区 with its documents (and one of a type
    the receipt has no name for), then submitted."""
    c = create(mortgage_body(unit()), attach_docs=False).json
    for doc, fname in (("application", "申请书.pdf"), ("identity", "身份证 张三.pdf"),
                       ("mortgage_contract", "抵押合同.pdf"), ("site_photo", "现场照片.pdf")):
        assert attach(c["id"], doc, filename=fname).status == 201
    r = act(c, "submit", staff[CLERK])
    assert r.status == 200, r
    return r.json


def receipt(case, who=CLERK, suffix=""):
    return staff[who].get("/api/v1/cases/%d/receipt%s" % (case["id"], suffix))


def test_receipt_lists_what_was_received_and_where_to_follow_progress():
    c = submitted_case()
    r = receipt(c)
    assert r.status == 200, r
    assert r.header("Cache-Control") == "no-store"
    conforms(r, "/api/v1/cases/{id}/receipt", "get")
    assert r.json == {
        "number": c["number"], "business_type": "mortgage.establish", "business_type_name": "抵押登记（设立）",
        "unit_code": c["unit_code"], "unit_location": "测试路1号", "received_at": c["received_at"],
        "promised_date": c["due_date"],
        "receiving_agency": c["receiving_agency"], "deciding_agency": {"code": DECIDING, "name": "青秀区不动产登记中心"},
        "applicants": [{"role": "right_holder", "name": "张三"}, {"role": "obligor", "name": "李四"}],
        "documents": [
            {"document_type": "application", "document_name": "不动产登记申请书", "filename": "申请书.pdf"},
            {"document_type": "identity", "document_name": "申请人身份证明", "filename": "身份证 张三.pdf"},
            {"document_type": "mortgage_contract", "document_name": "抵押合同", "filename": "抵押合同.pdf"},
            {"document_type": "site_photo", "document_name": "site_photo", "filename": "现场照片.pdf"}],
        "progress_url": "http://127.0.0.1:%d/p/#%s" % (PORT, c["number"]),
        "qr_url": "/api/v1/cases/%d/receipt/qr.png" % c["id"],
    }
    assert c["due_date"] and c["receiving_agency"]["code"] == RECEIVING
    # applicants without ID numbers, not even masked
    text = r.body.decode("utf-8")
    assert HOLDER["id_number"] not in text and HOLDER["id_number"][-4:] not in text


def png_modules(png):
    """The rows of a 1-bit greyscale PNG as lists of 0/1 (1 = black)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(png):
        n = struct.unpack(">I", png[pos:pos + 4])[0]
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + n]
        assert struct.unpack(">I", png[pos + 8 + n:pos + 12 + n])[0] == zlib.crc32(kind + data)
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    w, h, depth, colour, _, _, interlace = ihdr
    assert (depth, colour, interlace) == (1, 0, 0)
    raw, stride = zlib.decompress(idat), (w + 7) // 8 + 1
    rows = []
    for y in range(h):
        line = raw[y * stride:(y + 1) * stride]
        assert line[0] == 0  # filter None
        rows.append([0 if line[1 + x // 8] & (0x80 >> (x % 8)) else 1 for x in range(w)])
    return rows


def libqrencode_symbol(text):
    """The symbol libqrencode itself makes for text (EC level M, 8-bit mode,
    as fcgi/core/qr.c asks), through its C API: rows of 0/1."""
    class QRcode(ctypes.Structure):
        _fields_ = [("version", ctypes.c_int), ("width", ctypes.c_int), ("data", ctypes.POINTER(ctypes.c_ubyte))]
    lib = ctypes.CDLL(ctypes.util.find_library("qrencode") or "libqrencode.so.4")
    lib.QRcode_encodeString.restype = ctypes.POINTER(QRcode)
    lib.QRcode_encodeString.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.QRcode_free.argtypes = [ctypes.POINTER(QRcode)]
    q = lib.QRcode_encodeString(text.encode(), 0, 1, 2, 1)  # QR_ECLEVEL_M, QR_MODE_8, case-sensitive
    assert q
    w = q.contents.width
    out = [[q.contents.data[y * w + x] & 1 for x in range(w)] for y in range(w)]
    lib.QRcode_free(q)
    return out


def test_receipt_qr_is_a_png_of_exactly_the_progress_url():
    c = submitted_case()
    url = receipt(c).json["progress_url"]
    r = receipt(c, suffix="/qr.png")
    assert r.status == 200, r
    assert r.header("Content-Type") == "image/png" and r.header("Cache-Control") == "private, max-age=300"
    assert r.body[:8] == b"\x89PNG\r\n\x1a\n"
    conforms(r, "/api/v1/cases/{id}/receipt/qr.png", "get")
    img, sym = png_modules(r.body), libqrencode_symbol(url)
    side, n = len(img), len(sym)
    assert side == len(img[0]) and side % (n + 8) == 0  # a quiet zone of 4 modules around
    scale = side // (n + 8)
    assert scale >= 4
    for y in range(side):
        for x in range(side):
            mx, my = x // scale - 4, y // scale - 4
            want = sym[my][mx] if 0 <= mx < n and 0 <= my < n else 0
            assert img[y][x] == want, (x, y)


def test_a_draft_has_no_receipt():
    c = create(mortgage_body(unit())).json
    assert_problem(receipt(c), 409, "invalid_state")
    assert_problem(receipt(c, suffix="/qr.png"), 409, "invalid_state")


def test_only_the_receiving_side_prints_the_receipt():
    c = submitted_case()
    for who in (("intake_clerk", "451321"), REVIEWER, REGISTRAR):
        for suffix in ("", "/qr.png"):
            assert_problem(receipt(c, who, suffix), 404, "case_not_found")
    assert sql("SELECT count(*) FROM audit.event WHERE action = 'auth.denied' AND object_type = 'case'"
               " AND object_id = '%d' AND details->>'path' LIKE '%%/receipt%%'" % c["id"]) == [["6"]]
    assert_problem(staff[CLERK].get("/api/v1/cases/987654321/receipt"), 404, "case_not_found")
    assert_problem(request("GET", "/api/v1/cases/%d/receipt" % c["id"]), 401, "unauthenticated")
    # a reader over the receiving county (a city-level scope covers it) prints it too
    assert receipt(c, ("reviewer", "451300")).status == 200
