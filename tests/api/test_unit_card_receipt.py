"""The unit card (GET /api/v1/registry/units/{code}, query service): what is
in force on a unit, for whoever may take cases in, ID numbers masked, every
read audited. The acceptance receipt (GET /api/v1/cases/{id}/receipt and its
QR code) for the receiving side once a case is submitted."""
import ctypes
import ctypes.util
import itertools
import random
import struct
import zlib
from urllib.parse import quote

from case_lib import (DECIDING, HOLDER, PDF, RECEIVING, act, attach, create, fix_check, mortgage_body, registry_import,
                      seize, staff, unit)
from lib import PORT, assert_problem, request, sql
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
    registry_import(text)
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
            {"entry_id": holders[0], "name": "黄一", "id_type": "resident_id",
             "id_number_masked": a[:3] + "*" * 11 + a[-4:], "share": "1/2", "certificate_no": cert,
             "since": since(holders[0])},
            {"entry_id": holders[1], "name": "黄二", "id_type": "resident_id",
             "id_number_masked": b[:3] + "*" * 11 + b[-4:], "share": "1/2", "certificate_no": cert,
             "since": since(holders[1])}],
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
        "receiving_agency": c["receiving_agency"],
        "deciding_agency": {"code": DECIDING, "name": "青秀区不动产登记中心"},
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


# A QR decoder for a clean symbol (ISO/IEC 18004; no error correction needed:
# the image is the server's own output), enough for versions 1-26 at any
# error-correction level — the check that the picture says progress_url
# rests on the standard, not on the library that drew it.
ECC_PER_BLOCK = {  # level -> codewords of error correction per block, by version 1..26
    "L": [7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28],
    "M": [10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28],
    "Q": [13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28],
    "H": [17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30]}
BLOCKS = {
    "L": [1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12],
    "M": [1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23],
    "Q": [1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34],
    "H": [1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37]}
MASKS = [lambda x, y: (x + y) % 2 == 0, lambda x, y: y % 2 == 0, lambda x, y: x % 3 == 0,
         lambda x, y: (x + y) % 3 == 0, lambda x, y: (x // 3 + y // 2) % 2 == 0,
         lambda x, y: x * y % 2 + x * y % 3 == 0, lambda x, y: (x * y % 2 + x * y % 3) % 2 == 0,
         lambda x, y: ((x + y) % 2 + x * y % 3) % 2 == 0]
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def qr_decode(m):
    """The text of a QR symbol given as rows of 0/1 (1 = dark), no quiet zone."""
    size = len(m)
    ver = (size - 17) // 4
    assert 1 <= ver <= 26 and size == 17 + 4 * ver
    fmt = sum(m[i][8] << i for i in range(6)) | m[7][8] << 6 | m[8][8] << 7 | m[8][7] << 8
    fmt |= sum(m[8][14 - i] << i for i in range(9, 15))
    fmt ^= 0x5412
    level, mask = {1: "L", 0: "M", 3: "Q", 2: "H"}[fmt >> 13], fmt >> 10 & 7
    # the modules that carry no data
    func = [[False] * size for _ in range(size)]

    def mark(x0, y0, w, h):
        for y in range(max(0, y0), min(size, y0 + h)):
            for x in range(max(0, x0), min(size, x0 + w)):
                func[y][x] = True
    for i in range(size):
        func[6][i] = func[i][6] = True
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
        mark(cx - 4, cy - 4, 9, 9)
    if ver > 1:
        n = ver // 7 + 2
        step = (ver * 8 + n * 3 + 5) // (n * 4 - 4) * 2
        pos = [6] + sorted(size - 7 - i * step for i in range(n - 1))
        for i, ay in enumerate(pos):
            for j, ax in enumerate(pos):
                if (i, j) not in ((0, 0), (0, n - 1), (n - 1, 0)):
                    mark(ax - 2, ay - 2, 5, 5)
    mark(8, 0, 1, 9)
    mark(0, 8, 9, 1)
    mark(size - 8, 8, 8, 1)
    mark(8, size - 8, 1, 8)
    if ver >= 7:
        mark(size - 11, 0, 3, 6)
        mark(0, size - 11, 6, 3)
    bits = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        for vert in range(size):
            for j in range(2):
                x = right - j
                y = size - 1 - vert if ((right + 1) & 2) == 0 else vert
                if not func[y][x]:
                    bits.append(m[y][x] ^ (1 if MASKS[mask](x, y) else 0))
        right -= 2
    raw = (16 * ver + 128) * ver + 64
    if ver >= 2:
        n = ver // 7 + 2
        raw -= (25 * n - 10) * n - 55
        if ver >= 7:
            raw -= 36
    raw //= 8
    words = [int("".join(map(str, bits[i * 8:i * 8 + 8])), 2) for i in range(raw)]
    nblocks, ecc = BLOCKS[level][ver - 1], ECC_PER_BLOCK[level][ver - 1]
    short = nblocks - raw % nblocks
    lens = [raw // nblocks - ecc + (1 if b >= short else 0) for b in range(nblocks)]
    blocks, k = [[] for _ in range(nblocks)], 0
    for i in range(max(lens)):
        for b in range(nblocks):
            if i < lens[b]:
                blocks[b].append(words[k])
                k += 1
    stream = "".join("{:08b}".format(w) for b in blocks for w in b)
    pos, out = 0, b""

    def take(n):
        nonlocal pos
        pos += n
        return int(stream[pos - n:pos], 2)
    while pos + 4 <= len(stream):
        mode = take(4)
        if mode == 0:
            break
        small = ver <= 9
        if mode == 1:  # numeric
            count = take(10 if small else 12)
            while count > 0:
                digits = min(3, count)
                out += str(take({3: 10, 2: 7, 1: 4}[digits])).zfill(digits).encode()
                count -= digits
        elif mode == 2:  # alphanumeric
            count = take(9 if small else 11)
            while count > 1:
                v = take(11)
                out += (ALNUM[v // 45] + ALNUM[v % 45]).encode()
                count -= 2
            if count:
                out += ALNUM[take(6)].encode()
        elif mode == 4:  # bytes
            count = take(8 if small else 16)
            out += bytes(take(8) for _ in range(count))
        else:
            raise AssertionError("mode %d" % mode)
    return out.decode("utf-8")


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
    # what a phone reads from it: exactly progress_url
    assert qr_decode([[img[(4 + my) * scale][(4 + mx) * scale] for mx in range(n)] for my in range(n)]) == url
    # and it is, pixel for pixel, the symbol libqrencode makes for that text
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


# ---- attachments viewed in a browser tab ------------------------------------

DOWNLOAD_CSP = ("default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none';"
                " frame-ancestors 'none'")


def test_an_attachment_opens_in_a_browser_tab_under_a_policy_without_script():
    c = create(mortgage_body(unit()), attach_docs=False).json
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 32
    for data, name, ctype, ext in ((PDF, "申请书; 'a' \"b\" 第1页.pdf", "application/pdf", "pdf"),
                                   (png, "身份证 正面.png", "image/png", "png"),
                                   (jpeg, "合同%.jpeg", "image/jpeg", "jpg")):
        up = attach(c["id"], "application", data=data, filename=name)
        if '"' in name:  # a quote is refused at upload: no name can break out of the header
            assert_problem(up, 400, "invalid_field")
            name = name.replace('"', "")
            up = attach(c["id"], "application", data=data, filename=name)
        assert up.status == 201, up
        aid = up.json["id"]
        r = staff[REVIEWER].get("/api/v1/cases/%d/attachments/%d" % (c["id"], aid))
        assert r.status == 200 and r.body == data and r.header("Content-Type") == ctype
        # inline: the tab shows it; the UTF-8 name by RFC 5987, an ASCII fallback of the id and type
        assert r.header("Content-Disposition") == "inline; filename=\"attachment-%d.%s\"; filename*=UTF-8''%s" % (
            aid, ext, quote(name, safe=""))
        # the viewer's own inline style is allowed, nothing else: no script, no framing, no sniffing
        assert r.header("Content-Security-Policy") == DOWNLOAD_CSP
        assert r.header("X-Content-Type-Options") == "nosniff" and r.header("X-Frame-Options") == "DENY"
    # every other answer keeps the portal's policy
    for path in ("/api/v1/cases/%d/attachments" % c["id"], "/api/v1/cases/%d" % c["id"]):
        csp = staff[CLERK].get(path).header("Content-Security-Policy")
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "unsafe-inline" not in request("GET", "/").header("Content-Security-Policy")
