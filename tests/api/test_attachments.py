"""Attachments: multipart and raw uploads, type by magic bytes, 20 MiB,
SHA-256, download with the case's authority, the checklist on submit."""
import hashlib
from urllib.parse import quote

from case_lib import PDF, RECEIVING, act, attach, create, mortgage_body, staff, unit
from lib import assert_problem, sql

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64
CLERK = ("intake_clerk", RECEIVING)


def new_case():
    return create(mortgage_body(unit()), attach_docs=False).json


def multipart(fields, boundary="----tongban-test-7MA4YWxkTrZu0gW"):
    out = b""
    for name, value, filename, ctype in fields:
        out += b"--" + boundary.encode() + b"\r\n"
        disp = 'form-data; name="%s"' % name
        if filename:
            disp += '; filename="%s"' % filename
        out += ("Content-Disposition: %s\r\n" % disp).encode()
        if ctype:
            out += ("Content-Type: %s\r\n" % ctype).encode()
        out += b"\r\n" + value + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, "multipart/form-data; boundary=" + boundary


def test_submit_is_refused_while_required_documents_are_missing():
    c = new_case()
    r = act(c, "submit", staff[CLERK])
    b = assert_problem(r, 409, "documents_missing")
    assert "application" in b["detail"] and "mortgage_contract" in b["detail"]
    for doc in ("application", "identity"):
        assert attach(c["id"], doc).status == 201
    lst = staff[CLERK].get("/api/v1/cases/%d/attachments" % c["id"]).json
    assert lst["checklist"] == [{"document_type": "application", "present": True},
                                {"document_type": "identity", "present": True},
                                {"document_type": "mortgage_contract", "present": False}]
    assert_problem(act(c, "submit", staff[CLERK]), 409, "documents_missing")
    body, ctype = multipart([("document_type", b"mortgage_contract", None, None),
                             ("file", PNG, "合同.png", "image/png")])
    r = staff[CLERK].call("POST", "/api/v1/cases/%d/attachments" % c["id"], body=body,
                          headers={"Content-Type": ctype})
    assert r.status == 201, r
    assert r.json["content_type"] == "image/png" and r.json["filename"] == "合同.png"
    assert act(c, "submit", staff[CLERK]).status == 200


def test_upload_records_sha256_and_download_returns_the_same_bytes():
    c = new_case()
    data = JPEG + b"photo of an ID card"
    r = attach(c["id"], "identity", data=data, filename="身份证 正面.jpg")
    assert r.status == 201
    a = r.json
    assert a["sha256"] == hashlib.sha256(data).hexdigest() and a["size"] == len(data)
    assert a["content_type"] == "image/jpeg"
    assert sql("SELECT sha256, size, agency_code FROM cases.attachment WHERE id = %d" % a["id"]) == [
        [a["sha256"], str(len(data)), RECEIVING]]
    d = staff[("reviewer", "450103")].get("/api/v1/cases/%d/attachments/%d" % (c["id"], a["id"]))
    assert d.status == 200 and d.body == data and d.header("Content-Type") == "image/jpeg"
    assert "filename*=UTF-8''" + quote("身份证 正面.jpg", safe="") in d.header("Content-Disposition")
    assert sql("SELECT count(*) FROM audit.event WHERE action = 'case.attachment.download' AND object_id = '%d'"
               % c["id"]) == [["1"]]


def test_type_is_decided_by_the_bytes_not_the_name():
    c = new_case()
    assert_problem(attach(c["id"], "application", data=b"MZ\x90\x00 not a pdf", filename="a.pdf"), 415,
                   "unsupported_attachment_type")
    assert_problem(attach(c["id"], "application", data=b"GIF89a......", filename="a.png"), 415,
                   "unsupported_attachment_type")
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["0"]]


def test_attachment_size_limits():
    c = new_case()
    big = PDF + b"0" * (20 * 1024 * 1024 - len(PDF) + 1)  # 20 MiB + 1 byte
    assert_problem(attach(c["id"], "application", data=big), 413, "attachment_too_large")
    exact = PDF + b"0" * (20 * 1024 * 1024 - len(PDF))
    r = attach(c["id"], "application", data=exact)
    assert r.status == 201 and r.json["size"] == 20 * 1024 * 1024
    huge = b"%PDF-" + b"0" * (22 * 1024 * 1024)
    assert_problem(attach(c["id"], "application", data=huge), 413, "body_too_large")  # nginx
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["1"]]


def test_bad_upload_requests():
    c = new_case()
    assert_problem(attach(c["id"], "Bad Type!"), 400, "invalid_field")
    assert_problem(attach(c["id"], "application", filename=""), 400, "invalid_field")
    assert_problem(attach(c["id"], "application", data=b""), 400, "invalid_field")
    body, ctype = multipart([("document_type", b"application", None, None)])
    assert_problem(staff[CLERK].call("POST", "/api/v1/cases/%d/attachments" % c["id"], body=body,
                                     headers={"Content-Type": ctype}), 400, "malformed_multipart")
    r = staff[CLERK].call("POST", "/api/v1/cases/%d/attachments" % c["id"], body=b"--x\r\ngarbage",
                          headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert_problem(r, 400, "malformed_multipart")
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["0"]]


def test_only_the_case_sides_may_add_or_read_attachments():
    c = new_case()
    a = attach(c["id"], "application").json
    stranger = staff[("intake_clerk", "450102")]  # for whom the case does not exist
    assert_problem(attach(c["id"], "identity", who=stranger), 404, "case_not_found")
    assert_problem(stranger.get("/api/v1/cases/%d/attachments/%d" % (c["id"], a["id"])), 404, "case_not_found")
    assert_problem(stranger.get("/api/v1/cases/%d/attachments" % c["id"]), 404, "case_not_found")
    other = new_case()
    # an attachment id of another case is not reachable through this case
    assert_problem(staff[CLERK].get("/api/v1/cases/%d/attachments/%d" % (other["id"], a["id"])), 404,
                   "attachment_not_found")


def test_upload_retried_with_the_same_key_is_stored_once():
    c = new_case()
    first = attach(c["id"], "application", key="upload-%d" % c["id"])
    again = attach(c["id"], "application", key="upload-%d" % c["id"])
    assert first.status == again.status == 201 and first.body == again.body
    assert again.header("Idempotent-Replayed") == "true"
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["1"]]


def raw_filename_upload(case_id, quoted_name):
    return staff[CLERK].call("POST", "/api/v1/cases/%d/attachments" % case_id, body=PDF,
                             headers={"Content-Type": "application/octet-stream", "X-Document-Type": "application",
                                      "X-Filename": quoted_name})


def test_filenames_with_nul_control_or_bidi_characters_are_refused():
    c = new_case()
    # multipart: a raw NUL used to cut "evil.html\0.pdf" to "evil.html"
    for name in (b"evil.html\x00.pdf", b"a\x01b.pdf", b"tab\there.pdf", b"del\x7f.pdf",
                 "invoice\u202egpj.pdf".encode(), "x\u2066y\u2069.pdf".encode(), "lrm\u200e.pdf".encode(),
                 "rlm\u200f.pdf".encode(), "alm\u061c.pdf".encode(), "c1\u0085.pdf".encode()):
        b = b"----b7\r\nContent-Disposition: form-data; name=\"document_type\"\r\n\r\napplication\r\n"
        b += b"----b7\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + b"\"\r\n"
        b += b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n----b7--\r\n"
        r = staff[CLERK].call("POST", "/api/v1/cases/%d/attachments" % c["id"], body=b,
                              headers={"Content-Type": "multipart/form-data; boundary=--b7"})
        assert_problem(r, 400, "invalid_field")
        assert "filename" in r.json["detail"], name
    # raw upload: X-Filename percent-encoded
    for name in ("evil.html%00.pdf", "a%01b.pdf", "invoice%E2%80%AEgpj.pdf", "x%E2%81%A6y.pdf",
                 "x%E2%80%8F.pdf", "x%D8%9C.pdf", "x%C2%85.pdf"):
        assert_problem(raw_filename_upload(c["id"], name), 400, "invalid_field")
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["0"]]
    # ordinary names, Chinese included, still pass
    assert raw_filename_upload(c["id"], quote("不动产登记申请书 (1).pdf")).status == 201
    assert sql("SELECT filename FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["不动产登记申请书 (1).pdf"]]


def test_a_replayed_upload_keeps_its_location():
    c = new_case()
    first = attach(c["id"], "application", key="loc-%d" % c["id"])
    again = attach(c["id"], "application", key="loc-%d" % c["id"])
    assert first.status == again.status == 201
    assert first.header("Location") == "/api/v1/cases/%d/attachments/%d" % (c["id"], first.json["id"])
    assert again.header("Idempotent-Replayed") == "true" and again.header("Location") == first.header("Location")


def test_a_case_holds_at_most_a_hundred_attachments():
    c = new_case()
    # 99 small documents written directly, then the API adds the 100th and refuses the 101st
    sql("INSERT INTO cases.attachment (case_id, document_type, filename, content_type, size, sha256, data,"
        " uploaded_by, agency_code, uploaded_at)"
        " SELECT %d, 'other', 'x.pdf', 'application/pdf', 4, repeat('0', 64), '\\x25504446'::bytea,"
        "  (SELECT id FROM iam.user ORDER BY id LIMIT 1), '%s', now() FROM generate_series(1, 99)"
        % (c["id"], RECEIVING))
    assert attach(c["id"], "identity").status == 201
    r = attach(c["id"], "identity")
    assert_problem(r, 409, "attachment_limit")
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % c["id"]) == [["100"]]
