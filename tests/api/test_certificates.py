"""Query-result certificates (查询结果证明): GET /api/v1/queries/{id}/certificate.pdf
(query service, slow lane) and their public verification GET
/api/v1/public/certificates/{serial}?code=… — checked with the real tools:
pdfsig (the PDF signature), pdftotext (the content), pdftoppm + zbarimg (the
QR code), openssl pkeyutl (the SM2 signature)."""
import hashlib
import itertools
import json
import os
import random
import re
import subprocess
import tempfile
from urllib.parse import urlsplit, urlunsplit

from auth_lib import last_audit, login, make_user
from case_lib import fix_check, unit
from lib import PORT, STACK, assert_problem, get, request, sql
from test_openapi import conforms

COUNTY = "450103"  # 南宁市青秀区
OTHER = "451302"   # 来宾市兴宾区
_serials = itertools.count(random.randint(1, 90000) * 100)
_clerks = {}

HOLDER_ID = fix_check("45010319800101123")
HOLDER_MASKED = HOLDER_ID[:6] + "********" + HOLDER_ID[-4:]


def clerk(agency=COUNTY):
    if agency not in _clerks:
        uid, name = make_user(agency=agency, grants=[("query_clerk", agency)])
        sql("UPDATE iam.user SET display_name = '王经办' WHERE id = %d" % uid)
        _clerks[agency] = (uid, login(name))
    return _clerks[agency]


def q(s):
    return "'" + s.replace("'", "''") + "'"


def full_unit(code, holder="张三"):
    """A result unit as the archive query writes it (visibility full)."""
    return {"code": code, "location": "南宁市青秀区民族大道100号盛世华庭3栋1501号", "use": "residential",
            "area_m2": "118.52", "county": {"code": COUNTY, "name": "青秀区"},
            "holders": [{"name": holder, "id_type": "resident_id", "id_number_masked": HOLDER_MASKED,
                         "share": "1/2", "certificate_no": "桂(2021)南宁市不动产权第0012345号"},
                        {"name": "王芳", "id_type": "resident_id", "id_number_masked": "450103********5678",
                         "share": "1/2", "certificate_no": "桂(2021)南宁市不动产权第0012345号"}],
            "mortgages": [{"rank": 1, "mortgagee": "中国工商银行股份有限公司南宁分行", "amount_fen": 85000000,
                           "term_from": "2021-03-01", "term_to": "2051-03-01",
                           "certificate_no": "桂(2021)南宁市不动产证明第0034567号"}],
            "pre_notices": [], "seizures": [{"authority": "南宁市青秀区人民法院", "waiting": False}],
            "objections": [],
            "facts": {"exists": True, "co_owned": True, "mortgaged": True, "pre_noticed": False,
                      "objected": False, "seized": True}}


def make_query(units, agency=COUNTY, state="completed", visibility="full", kind="holder", queried_by=()):
    """A query row as POST /api/v1/queries leaves it (its evidence too); returns its id."""
    uid, _ = clerk(agency)
    ev = sql("INSERT INTO qry.evidence (content_type, size, sha256, data, uploaded_by, agency_code, uploaded_at)"
             " VALUES ('application/pdf', 4, repeat('a', 64), '\\x25504446', %d, '%s', now()) RETURNING id"
             % (uid, agency))[0][0]
    serial = "CX-%s-2026-%07d" % (agency, next(_serials))
    result = {"as_at": "2026-11-28T11:40:00+08:00", "visibility": visibility, "units": units,
              "queried_by": list(queried_by)}
    rej = "'证据不足'" if state == "rejected" else "NULL"
    res = "NULL" if state != "completed" else q(json.dumps(result, ensure_ascii=False)) + "::jsonb"
    conditions = {"holder": {"name": "张三", "id_type": "resident_id", "id_number_masked": HOLDER_MASKED}}
    return int(sql(
        "INSERT INTO qry.query (serial, agency_code, created_by, created_at, requester_kind, requester_name,"
        " requester_id_type, requester_id_masked, requester_id_index, purpose, evidence_id, conditions,"
        " cond_kind, cond_holder_name, cond_holder_index, cond_holder_id_type, as_at, divisions, state, result,"
        " reject_reason) VALUES (%s, '%s', %d, now(), '%s', '张三', 'resident_id', %s, repeat('b', 64),"
        " '办理子女入学', %s, %s::jsonb, 'holder', '张三', repeat('b', 64), 'resident_id', now(), '{%s}', '%s',"
        " %s, %s) RETURNING id"
        % (q(serial), agency, uid, kind, q(HOLDER_MASKED), ev, q(json.dumps(conditions, ensure_ascii=False)),
           agency, state, res, rej))[0][0])


def download(qid, agency=COUNTY):
    return clerk(agency)[1].get("/api/v1/queries/%d/certificate.pdf" % qid)


def run(*cmd, data=None):
    return subprocess.run(list(cmd), input=data, capture_output=True)


def tmpfile(data, suffix):
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def pdf_text(data, page=None):
    path = tmpfile(data, ".pdf")
    try:
        # -raw: in the order drawn, so the watermark (drawn last) does not
        # interleave with the lines it crosses
        args = ["pdftotext", "-raw"] + (["-f", str(page), "-l", str(page)] if page else []) + [path, "-"]
        p = run(*args)
        assert p.returncode == 0, p.stderr
        return p.stdout.decode()
    finally:
        os.unlink(path)


def pdfsig(data):
    path = tmpfile(data, ".pdf")
    try:
        p = run("pdfsig", path)
        return p.returncode, p.stdout.decode() + p.stderr.decode()
    finally:
        os.unlink(path)


def pages_of(data):
    path = tmpfile(data, ".pdf")
    try:
        out = run("pdfinfo", path).stdout.decode()
        return int(re.search(r"Pages:\s+(\d+)", out).group(1))
    finally:
        os.unlink(path)


def qr_url(data):
    """The QR code of page 1, rendered as a printer would and read by zbarimg."""
    d = tempfile.mkdtemp()
    try:
        path = os.path.join(d, "c.pdf")
        with open(path, "wb") as f:
            f.write(data)
        p = run("pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", path, os.path.join(d, "page"))
        assert p.returncode == 0, p.stderr
        png = [f for f in os.listdir(d) if f.endswith(".png")][0]
        p = run("zbarimg", "-q", "--raw", os.path.join(d, png))
        assert p.returncode == 0, p.stderr
        return p.stdout.decode().strip()
    finally:
        for f in os.listdir(d):
            os.unlink(os.path.join(d, f))
        os.rmdir(d)


def verify(url):
    u = urlsplit(url)
    assert u.netloc == "127.0.0.1:%d" % PORT, url
    return get(u.path + "?" + u.query)


def certificate(units=None, **kw):
    qid = make_query([full_unit(unit())] if units is None else units, **kw)
    r = download(qid)
    assert r.status == 200, r
    return qid, r


def test_download_is_a_signed_pdf_with_the_result():
    code = unit()
    qid, r = certificate([full_unit(code)])
    assert r.header("Content-Type") == "application/pdf"
    assert r.header("Content-Disposition").startswith("attachment; filename=\"ZM-")
    assert r.header("Cache-Control") == "no-store"
    assert r.body.startswith(b"%PDF-") and len(r.body) < 300 * 1024, len(r.body)
    rc, out = pdfsig(r.body)
    assert rc == 0, out
    assert "Signature is Valid" in out and "Total document signed" in out, out
    assert "adbe.pkcs7.detached" in out and "SHA-256" in out, out
    serial = sql("SELECT serial FROM qry.certificate WHERE query_id = %d" % qid)[0][0]
    assert re.fullmatch(r"ZM-450103-2026-\d{7}", serial)
    text = pdf_text(r.body)
    for s in ("不动产登记资料查询结果证明", serial, HOLDER_MASKED, code, "张三", "王芳", "份额 1/2",
              "桂(2021)南宁市不动产权第0012345号", "中国工商银行股份有限公司南宁分行", "850,000.00 元",
              "南宁市青秀区人民法院", "118.52 平方米", "住宅", "办理子女入学", "王经办", "本证明仅反映查询时点"):
        assert s in text, (s, text)
    assert HOLDER_ID not in text
    # the download and the issue are audited
    ev = last_audit("query.certificate.download")
    assert ev is not None


def test_qr_code_leads_to_a_genuine_answer_and_sm2_verifies():
    qid, r = certificate()
    url = qr_url(r.body)
    serial = sql("SELECT serial FROM qry.certificate WHERE query_id = %d" % qid)[0][0]
    assert re.fullmatch(r"http://127\.0\.0\.1:%d/api/v1/public/certificates/%s\?code=[0-9a-f]{32}" % (PORT, serial),
                        url), url
    v = verify(url)
    assert v.status == 200, v
    conforms(v, "/api/v1/public/certificates/{serial}", "get")
    conforms(r, "/api/v1/queries/{id}/certificate.pdf", "get")
    b = v.json
    assert b["genuine"] is True and b["serial"] == serial
    assert b["sha256"] == hashlib.sha256(r.body).hexdigest()
    assert b["changed_since"] is False
    assert b["issuing_agency"]["code"] == COUNTY
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", b["issued_at"]), b["issued_at"]
    assert b["sm2"]["user_id"] == "1234567812345678"
    import base64
    pdf = tmpfile(r.body, ".pdf")
    sig = tmpfile(base64.b64decode(b["sm2"]["signature"]), ".bin")
    pub = tmpfile(b["sm2"]["public_key"].encode(), ".pem")
    bad = tmpfile(r.body[:-1] + bytes([r.body[-1] ^ 1]), ".pdf")
    try:
        cmd = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-rawin", "-digest", "sm3",
               "-pkeyopt", "distid:1234567812345678", "-sigfile", sig, "-in"]
        p = run(*cmd, pdf)
        assert p.returncode == 0 and b"Signature Verified Successfully" in p.stdout, p
        p = run(*cmd, bad)
        assert p.returncode != 0, p
    finally:
        for f in (pdf, sig, pub, bad):
            os.unlink(f)
    # the key the stack made is the one published
    with open(os.path.join(STACK, "keys", "cert", "sm2.pub.pem")) as f:
        assert f.read().strip() == b["sm2"]["public_key"].strip()


def test_one_changed_byte_in_the_signed_range_invalidates_the_signature():
    _, r = certificate()
    m = re.search(rb"/ByteRange \[0 (\d+) (\d+) (\d+)\]", r.body)
    assert m, "no byte range"
    data = bytearray(r.body)
    # a byte of the page content (inside the first range), then one in the second range
    i = r.body.index(b"stream") + 20
    assert i < int(m.group(1))
    data[i] ^= 0x01
    rc, out = pdfsig(bytes(data))
    assert "Signature is Valid" not in out, out
    data = bytearray(r.body)
    j = int(m.group(2)) + 5
    data[j] = ord(b"x") if data[j] != ord(b"x") else ord(b"y")
    rc, out = pdfsig(bytes(data))
    assert "Signature is Valid" not in out, out


def test_second_download_returns_identical_bytes_and_each_is_audited():
    qid, r1 = certificate()
    before = int(sql("SELECT count(*) FROM audit.event WHERE action = 'query.certificate.download'"
                     " AND object_id = '%d'" % qid)[0][0])
    r2 = download(qid)
    assert r2.status == 200 and r2.body == r1.body
    after = int(sql("SELECT count(*) FROM audit.event WHERE action = 'query.certificate.download'"
                    " AND object_id = '%d'" % qid)[0][0])
    assert (before, after) == (1, 2)
    assert sql("SELECT count(*) FROM audit.event WHERE action = 'query.certificate.issue'"
               " AND object_id = '%d'" % qid) == [["1"]]
    assert sql("SELECT count(*) FROM qry.certificate WHERE query_id = %d" % qid) == [["1"]]


def test_empty_result_says_no_record_found():
    _, r = certificate([])
    text = pdf_text(r.body)
    assert "未查询到登记记录" in text, text
    assert "Signature is Valid" in pdfsig(r.body)[1]


def test_facts_only_result_shows_yes_no_lines_without_names():
    u = full_unit(unit())
    fact_unit = {k: u[k] for k in ("code", "location", "use", "area_m2", "county", "facts")}
    _, r = certificate([fact_unit], visibility="facts", kind="prospective_party")
    text = pdf_text(r.body)
    for s in ("是否存在登记", "是否共有", "是否已抵押", "是否被查封", "拟交易当事人"):
        assert s in text, (s, text)
    assert re.search(r"是否已抵押\s+是", text) and re.search(r"是否有预告登记\s+否", text), text
    assert "王芳" not in text and "不动产权证书号" not in text


def test_many_units_make_numbered_pages_each_with_the_watermark_and_warning():
    units = [full_unit(unit(), holder="张%s" % "一二三四五六七八九十"[i % 10]) for i in range(30)]
    _, r = certificate(units)
    n = pages_of(r.body)
    assert n >= 5, n
    assert len(r.body) < 300 * 1024, len(r.body)
    for p in range(1, n + 1):
        t = pdf_text(r.body, p)
        foot = "第 %d 页 共 %d 页" % (p, n)
        assert foot in t and "本证明仅反映查询时点" in t, (p, t)
        # the watermark, drawn last on each page: requester, clerk, issue time
        mark = t.split(foot, 1)[1]
        assert "张三" in mark and "王经办" in mark and re.search(r"20\d\d-\d\d-\d\d", mark), (p, mark)
    assert "Signature is Valid" in pdfsig(r.body)[1]


def test_register_change_after_issue_shows_in_the_verification():
    code = unit()
    qid, r = certificate([full_unit(code)])
    v = verify(qr_url(r.body))
    assert v.status == 200 and v.json["changed_since"] is False
    sql("INSERT INTO reg.entry (unit_code, kind, holder_name, valid_from) VALUES ('%s', 'seizure',"
        " '南宁市中级人民法院', now())" % code)
    v = verify(qr_url(r.body))
    assert v.status == 200 and v.json["changed_since"] is True
    assert v.json["sha256"] == hashlib.sha256(r.body).hexdigest()


def test_wrong_code_and_unknown_serial_get_the_same_404():
    qid, r = certificate()
    url = qr_url(r.body)
    path, code = urlsplit(url).path, urlsplit(url).query[5:]
    wrong = "0" * 32 if code != "0" * 32 else "1" * 32
    a = get(path + "?code=" + wrong)
    b = get(re.sub(r"\d{7}$", "9999999", path) + "?code=" + code)
    c = get(path)
    d = get(path + "?code=" + code.upper())
    for x in (a, b, c, d):
        assert_problem(x, 404, "certificate_not_found")
        conforms(x, "/api/v1/public/certificates/{serial}", "get")
    # the same answer but for the request's own id and path (instance)
    strip = lambda x: {k: v for k, v in x.json.items() if k not in ("request_id", "instance")}
    assert strip(a) == strip(b) == strip(c) == strip(d)
    assert sorted(k for k, _ in a.headers if k not in ("Date", "X-Request-Id", "Content-Length")) == \
        sorted(k for k, _ in b.headers if k not in ("Date", "X-Request-Id", "Content-Length"))


def test_a_browser_is_sent_to_the_portal_page():
    qid, r = certificate()
    u = urlsplit(qr_url(r.body))
    v = request("GET", u.path + "?" + u.query, headers={"Accept": "text/html,application/xhtml+xml"})
    assert v.status == 303, v
    serial, code = u.path.rsplit("/", 1)[1], u.query[5:]
    assert v.header("Location") == "http://127.0.0.1:%d/v/#%s.%s" % (PORT, serial, code)


def test_the_slow_lane_serves_it_and_the_code_never_reaches_the_access_log():
    import time
    qid, r = certificate()
    u = urlsplit(qr_url(r.body))
    code = u.query[5:]
    assert verify(urlunsplit(u)).status == 200
    assert get(u.path + "?code=" + "f" * 32).status == 404
    log = os.path.join(STACK, "log", "access.log")

    def lines():
        with open(log, encoding="utf-8") as f:
            return [json.loads(x) for x in f if x.strip()]
    # nginx flushes its log buffer within a second
    end = time.time() + 5
    while time.time() < end and not any(x["uri"] == u.path for x in lines()):
        time.sleep(0.2)
    got = lines()
    pdf = [x for x in got if x["uri"] == "/api/v1/queries/%d/certificate.pdf" % qid]
    assert pdf and all("slow-query.sock" in x["upstream"] for x in pdf), pdf
    ver = [x for x in got if x["uri"].startswith("/api/v1/public/certificates/")]
    assert len(ver) >= 2 and all(x["uri"] == u.path for x in ver if u.path in x["uri"]), ver
    with open(log, encoding="utf-8") as f:
        text = f.read()
    assert code not in text and "f" * 32 not in text


def test_another_agencys_query_is_not_found():
    qid = make_query([full_unit(unit())], agency=OTHER)
    assert_problem(download(qid, COUNTY), 404, "query_not_found")
    assert sql("SELECT count(*) FROM qry.certificate WHERE query_id = %d" % qid) == [["0"]]
    assert_problem(download(999999999), 404, "query_not_found")


def test_query_not_completed_is_409():
    for state in ("pending_approval", "rejected"):
        qid = make_query([], state=state)
        r = download(qid)
        assert_problem(r, 409, "query_not_completed")
        assert r.json["state"] == state
        assert sql("SELECT count(*) FROM qry.certificate WHERE query_id = %d" % qid) == [["0"]]


def test_without_session_or_permission():
    qid = make_query([])
    assert_problem(get("/api/v1/queries/%d/certificate.pdf" % qid), 401, "unauthenticated")
    uid, name = make_user(agency=COUNTY, grants=[("intake_clerk", COUNTY)])
    r = login(name).get("/api/v1/queries/%d/certificate.pdf" % qid)
    assert r.status == 403, r


def test_no_signing_key_fails_closed():
    key = os.path.join(STACK, "keys", "cert", "sign.key")
    sm2 = os.path.join(STACK, "keys", "cert", "sm2.pem")
    for path in (key, sm2):
        qid = make_query([full_unit(unit())])
        os.rename(path, path + ".away")
        try:
            r = download(qid)
        finally:
            os.rename(path + ".away", path)
        assert_problem(r, 503, "signing_unavailable")
        assert sql("SELECT count(*) FROM qry.certificate WHERE query_id = %d" % qid) == [["0"]]
        assert sql("SELECT count(*) FROM audit.event WHERE action LIKE 'query.certificate.%%'"
                   " AND object_id = '%d'" % qid) == [["0"]]
        r = download(qid)
        assert r.status == 200 and "Signature is Valid" in pdfsig(r.body)[1]
    # a key that is not the certificate's: refused as well
    other = os.path.join(STACK, "keys", "cert", "other.key")
    run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", other)
    os.rename(key, key + ".away")
    os.rename(other, key)
    os.chmod(key, 0o644)  # readable by the service: refused for not matching, not for access
    try:
        qid = make_query([])
        assert_problem(download(qid), 503, "signing_unavailable")
        assert sql("SELECT count(*) FROM qry.certificate WHERE query_id = %d" % qid) == [["0"]]
    finally:
        os.rename(key + ".away", key)


def test_public_role_reads_certificates_only_through_the_verification():
    p = sql("SELECT count(*) FROM qry.certificate", user="tb_public", check=False)
    assert p.returncode != 0 and "permission denied" in p.stderr
    p = sql("SELECT qry.register_mark('{}')", user="tb_public", check=False)
    assert p.returncode != 0 and "permission denied" in p.stderr


def test_end_to_end_from_a_real_archive_query():
    """POST /api/v1/queries as the window does it, then the certificate of
    its stored result: a holder's own unit with its encumbrances and who
    else queried it, and a prospective party's yes/no facts."""
    from test_archive_queries import ask, encumber, imported_unit, person, requester
    from test_archive_queries import clerk as window_clerk
    a = person()
    code, cert = imported_unit([("甲某某", a, "1/2"), ("乙某某", person(), "1/2")])
    encumber(code)
    _, other = window_clerk(agency="450103")
    r = ask(other, requester("lawyer", reference="调查令2026-8", name="律师张某"), {"unit_code": code},
            purpose="民事诉讼调查取证")
    assert r.status == 201, r
    _, s = window_clerk()
    r = ask(s, requester("holder", idn=a, name="甲某某"), {"unit_code": code}, purpose="了解本人房产登记情况")
    assert r.status == 201 and r.json["state"] == "completed", r
    qid = r.json["id"]
    c = s.get("/api/v1/queries/%d/certificate.pdf" % qid)
    assert c.status == 200, c
    assert "Signature is Valid" in pdfsig(c.body)[1]
    masked = sql("SELECT requester_id_masked FROM qry.query WHERE id = %d" % qid)[0][0]
    text = pdf_text(c.body)
    for x in (masked, code, cert, "甲某某", "乙某某", "中国工商银行来宾分行", "来宾市中级人民法院", "预告权利人",
              "异议人", "了解本人房产登记情况", "近十二个月内他人查询记录", "律师", "民事诉讼调查取证",
              r.json["serial"].replace("CX-", "ZM-")):
        assert x in text, (x, text)
    assert a not in text and "律师张某" not in text
    v = verify(qr_url(c.body))
    assert v.status == 200 and v.json["sha256"] == hashlib.sha256(c.body).hexdigest()
    # facts only
    r = ask(s, requester("prospective_party", name="丙某某"), {"unit_code": code}, purpose="购房前了解")
    assert r.status == 201 and r.json["state"] == "completed", r
    c = s.get("/api/v1/queries/%d/certificate.pdf" % r.json["id"])
    assert c.status == 200, c
    text = pdf_text(c.body)
    assert re.search(r"是否已抵押 是", text) and re.search(r"是否被查封 是", text), text
    assert "甲某某" not in text and cert not in text
