"""Declarative requests on the routes of the public, query and intake
services beside the worklists: a route's query keys are validated before
its handler (400 invalid_parameter naming the key, nothing read or changed;
keys a route does not take are ignored), and a route's permission is
checked before its handler, so a caller without it is refused before the
body, the path's object or the query is looked at."""
import json

from auth_lib import audit_count, login, make_user
from case_lib import PDF, RECEIVING, attach, create, mortgage_body, staff, unit
from lib import assert_problem, get, post, request, sql

CLERK = staff[("intake_clerk", RECEIVING)]


def outsider():
    """A session without case.read or case.create (a query clerk)."""
    _, name = make_user(agency=RECEIVING, grants=[("query_clerk", RECEIVING)])
    return login(name)


# ---- GET /api/v1/divisions?parent= -------------------------------------------

def test_division_parent_malformed_is_400_naming_the_key():
    for qs in ("parent=4513", "parent=4513000", "parent=45130x", "parent=", "parent=%20451300",
               "parent=451300&parent=450100", "parent=-45130"):
        b = assert_problem(get("/api/v1/divisions?" + qs), 400, "invalid_parameter")
        assert b["detail"].startswith("parent:"), (qs, b)


def test_division_list_ignores_keys_it_does_not_take_and_answers_as_before():
    top = get("/api/v1/divisions")
    assert top.status == 200
    assert top.json == {"items": [{"code": "450000", "name": "广西壮族自治区", "level": "region"}]}
    again = get("/api/v1/divisions?limit=5x&after=-1")
    assert again.status == 200 and again.body == top.body
    kids = get("/api/v1/divisions?parent=451300")
    rows = sql("SELECT code, name, level FROM ref.division WHERE parent_code = '451300' ORDER BY code")
    assert kids.json == {"items": [{"code": c, "name": n, "level": lv} for c, n, lv in rows]}
    assert get("/api/v1/divisions?parent=459999").json == {"items": []}


def test_division_resolve_answers_rows_and_unknown_codes():
    r = post("/api/v1/divisions/resolve", {"codes": ["451302", "459999", "450103"]})
    assert r.status == 200
    assert r.json == {"items": [{"code": "450103", "name": "青秀区", "level": "county"},
                                {"code": "451302", "name": "兴宾区", "level": "county"}],
                      "unknown": ["459999"]}


# ---- GET /api/v1/banks ------------------------------------------------------

def test_banks_ignore_query_keys_and_keep_their_cache_header():
    r = get("/api/v1/banks")
    assert r.status == 200 and r.header("Cache-Control") == "public, max-age=3600"
    rows = sql("SELECT code, name FROM ref.bank ORDER BY code")
    assert r.json == {"items": [{"code": c, "name": n} for c, n in rows]}
    q = get("/api/v1/banks?after=x&limit=0")
    assert q.status == 200 and q.body == r.body and q.header("Cache-Control") == "public, max-age=3600"


# ---- POST /api/v1/public/progress -----------------------------------------------

def test_progress_takes_no_query_and_counts_nothing_for_one():
    before = sql("SELECT count(*), coalesce(sum(failures), 0) FROM cases.progress_attempt")
    r = request("POST", "/api/v1/public/progress?x=1",
                json_body={"number": "TB-450103-2026-000001", "id_last6": "12345X"})
    assert_problem(r, 400, "invalid_parameter")
    assert sql("SELECT count(*), coalesce(sum(failures), 0) FROM cases.progress_attempt") == before


# ---- the query service: the unit card's permission ----------------------------------

def test_unit_card_permission_is_checked_before_the_code():
    assert_problem(get("/api/v1/registry/units/BAD"), 401, "unauthenticated")
    s = outsider()
    n = audit_count("action = 'registry.unit.read'")
    # a malformed code and a real unit alike: refused for want of case.create
    assert_problem(s.get("/api/v1/registry/units/BAD"), 403, "forbidden")
    assert_problem(s.get("/api/v1/registry/units/" + unit()), 403, "forbidden")
    assert audit_count("action = 'registry.unit.read'") == n
    # the clerk still meets the code's own check
    assert_problem(CLERK.get("/api/v1/registry/units/BAD"), 400, "invalid_unit_code")


# ---- intake: parties, attachments, receipt ------------------------------------------

def test_case_read_routes_refuse_a_caller_without_it_before_anything():
    c = create(mortgage_body(unit())).json
    cid = c["id"]
    s = outsider()
    atts = sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % cid)
    reveals = audit_count("action IN ('party.reveal', 'party.search')")
    calls = [
        ("GET", "/api/v1/cases/%d/receipt" % cid, None),
        ("GET", "/api/v1/cases/%d/receipt/qr.png" % cid, None),
        ("GET", "/api/v1/cases/%d/attachments" % cid, None),
        ("GET", "/api/v1/cases/%d/attachments/1" % cid, None),
        # bodies that would fail validation: the permission comes first
        ("POST", "/api/v1/cases/%d/parties/1/reveal" % cid, {"reason": "x"}),
        ("POST", "/api/v1/cases/by-id-number", {"id_type": "nonsense"}),
    ]
    for method, path, body in calls:
        assert_problem(request(method, path, json_body=body), 401, "unauthenticated")
        assert_problem(s.call(method, path, json_body=body), 403, "forbidden")
    h = {"Content-Type": "application/octet-stream", "X-Document-Type": "application", "X-Filename": "a.pdf"}
    path = "/api/v1/cases/%d/attachments" % cid
    assert_problem(request("POST", path, body=PDF, headers=dict(h)), 401, "unauthenticated")
    assert_problem(s.call("POST", path, body=PDF, headers=dict(h)), 403, "forbidden")
    assert sql("SELECT count(*) FROM cases.attachment WHERE case_id = %d" % cid) == atts
    assert audit_count("action IN ('party.reveal', 'party.search')") == reveals


def test_attachment_list_and_upload_answer_the_same_rows():
    c = create(mortgage_body(unit()), attach_docs=False).json
    up = attach(c["id"], "application")
    assert up.status == 201, up
    row = sql("SELECT id, document_type, filename, content_type, size, sha256 FROM cases.attachment"
              " WHERE case_id = %d" % c["id"])[0]
    assert [up.json[k] for k in ("id", "document_type", "filename", "content_type", "size", "sha256")] == [
        int(row[0]), row[1], row[2], row[3], int(row[4]), row[5]]
    assert list(up.json) == ["id", "document_type", "filename", "content_type", "size", "sha256", "uploaded_at"]
    lst = CLERK.get("/api/v1/cases/%d/attachments" % c["id"])
    assert lst.status == 200 and lst.json["items"] == [up.json]
    assert [x["document_type"] for x in lst.json["checklist"] if x["present"]] == ["application"]
    got = CLERK.get("/api/v1/cases/%d/attachments/%d" % (c["id"], up.json["id"]))
    assert got.status == 200 and got.body == PDF and got.header("X-Content-SHA256") == up.json["sha256"]


def test_reveal_of_a_party_number_beyond_any_seq_is_404_not_500():
    c = create(mortgage_body(unit()), attach_docs=False).json
    r = CLERK.post("/api/v1/cases/%d/parties/99999999999/reveal" % c["id"], {"reason": "核对身份"})
    assert_problem(r, 404, "party_not_found")
    r = CLERK.post("/api/v1/cases/%d/parties/1/reveal" % c["id"], {"reason": "核对身份"})
    assert r.status == 200 and json.loads(r.body)["id_number"] == "11010519491231002X"
