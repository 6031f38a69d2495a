"""政策法规 (policies and regulations): a document's life (draft → publish →
edit → withdraw, every saved change a version with its snapshot), who may
write where (policy.manage over the document's division), who reads what
(published documents whose division covers the reader's, and for applicants
only published 办事指南 and 通知公告), unread marks, Chinese full-text search
through our own bigrams, PDF attachments — and every refusal changes
nothing. Documents live in 梧州 (450400) and its counties, which no other
module writes policies for; region-wide ones are recognised by their ids."""
import hashlib

from auth_lib import admin_session, audit_count, last_audit, login, make_user, unique
from lib import assert_problem, request, sql
from test_openapi import conforms

REGION, CITY, COUNTY, OTHER = "450000", "450400", "450421", "450422"  # 梧州市, 苍梧县, 藤县
BODY = ("第一条 为方便群众办理不动产登记，实行跨县通办。\n\n"
        "第二条 申请人可以在本市任一登记窗口提交申请材料。")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

_admins = {}


def admin(div):
    """A jurisdiction administrator at div (policy.manage there), TOTP session."""
    if div not in _admins:
        _admins[div] = admin_session("jurisdiction_admin", div)[1]
    return _admins[div]


def reader(div):
    """An intake clerk of div's agency: reads, writes nothing."""
    _, name = make_user(agency=div, grants=[("intake_clerk", div)])
    return login(name)


def new_doc(div, category="guide", **kw):
    b = {"division": div, "category": category, "title": unique("跨县通办办事指南"), "issuer": "梧州市自然资源局",
         "doc_number": "", "body": BODY}
    b.update(kw)
    return b


def create(s, div, category="guide", **kw):
    r = s.post("/api/v1/policies", new_doc(div, category, **kw))
    assert r.status == 201, r
    return r.json


def publish(s, d):
    r = s.post("/api/v1/policies/%d/publish" % d["id"], {"version": d["version"]})
    assert r.status == 200, r
    return r.json


def published(div, category="guide", **kw):
    s = admin(div)
    return publish(s, create(s, div, category, **kw))


def counts():
    """Rows of every policy table: a refusal leaves them as they were."""
    return sql("SELECT (SELECT count(*) FROM pol.document), (SELECT count(*) FROM pol.version),"
               " (SELECT count(*) FROM pol.attachment), (SELECT count(*) FROM pol.read),"
               " (SELECT coalesce(sum(version), 0) FROM pol.document),"
               " (SELECT count(*) FROM pol.attachment WHERE removed_at IS NOT NULL)")[0]


def ids(r):
    assert r.status == 200, r
    return [d["id"] for d in r.json["items"]]


def listed(s, query=""):
    return ids(s.get("/api/v1/policies?limit=100" + query))


def test_lifecycle_draft_publish_edit_withdraw_keeps_every_version():
    a, rd = admin(CITY), reader(COUNTY)
    r = a.post("/api/v1/policies", new_doc(CITY, doc_number="示例〔2026〕1号（演示）", published_on="2026-11-01"))
    assert r.status == 201, r
    conforms(r, "/api/v1/policies", "post")
    d = r.json
    assert d["state"] == "draft" and d["version"] == 1 and d["division_name"] == "梧州市"
    assert d["body"] == BODY and d["attachments"] == [] and d["created_by"]["display_name"]
    assert last_audit("policy.create")["object_id"] == str(d["id"])
    # a draft is its managers' only
    assert_problem(rd.get("/api/v1/policies/%d" % d["id"]), 404, "not_found")
    assert d["id"] not in listed(rd)
    assert d["id"] in listed(a, "&state=draft")

    p = publish(a, d)
    assert p["state"] == "published" and p["version"] == 2 and p["published_at"]
    assert last_audit("policy.publish")["object_id"] == str(d["id"])
    g = rd.get("/api/v1/policies/%d" % d["id"])
    conforms(g, "/api/v1/policies/{id}", "get")
    assert g.status == 200 and g.json["unread"] is True and g.json["body"] == BODY
    item = [i for i in rd.get("/api/v1/policies?limit=100").json["items"] if i["id"] == d["id"]][0]
    assert item["unread"] is True and "body" not in item
    r = rd.post("/api/v1/policies/%d/read" % d["id"])
    assert r.status == 204, r
    assert rd.get("/api/v1/policies/%d" % d["id"]).json["unread"] is False

    # a published edit is a new version: unread again
    r = a.call("PATCH", "/api/v1/policies/%d" % d["id"],
               json_body={"version": 2, "title": "跨县通办办事指南（修订）", "body": BODY + "\n\n第三条 新增条款。"})
    assert r.status == 200, r
    conforms(r, "/api/v1/policies/{id}", "patch")
    assert r.json["version"] == 3 and r.json["state"] == "published"
    assert last_audit("policy.update")["details"]["version"] == 3
    assert rd.get("/api/v1/policies/%d" % d["id"]).json["unread"] is True

    r = a.post("/api/v1/policies/%d/withdraw" % d["id"], {"version": 3, "reason": "已被新指南取代"})
    assert r.status == 200, r
    w = r.json
    assert w["state"] == "withdrawn" and w["version"] == 4 and w["withdraw_reason"] == "已被新指南取代"
    assert last_audit("policy.withdraw")["details"]["reason"] == "已被新指南取代"
    assert_problem(rd.get("/api/v1/policies/%d" % d["id"]), 404, "not_found")
    assert d["id"] not in listed(rd)
    before = counts()
    assert_problem(a.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"version": 4, "title": "再改"}),
                   409, "policy_withdrawn")
    assert_problem(a.post("/api/v1/policies/%d/withdraw" % d["id"], {"version": 4, "reason": "再次撤回"}),
                   409, "invalid_state")
    assert_problem(a.post("/api/v1/policies/%d/publish" % d["id"], {"version": 4}), 409, "invalid_state")
    assert counts() == before

    v = a.get("/api/v1/policies/%d/versions" % d["id"])
    conforms(v, "/api/v1/policies/{id}/versions", "get")
    assert [(i["version"], i["action"], i["state"]) for i in v.json["items"]] == [
        (4, "withdraw", "withdrawn"), (3, "update", "published"), (2, "publish", "published"), (1, "create", "draft")]
    assert all(i["changed_by"]["id"] for i in v.json["items"])
    s1 = a.get("/api/v1/policies/%d/versions/1" % d["id"])
    conforms(s1, "/api/v1/policies/{id}/versions/{n}", "get")
    assert s1.json["body"] == BODY and s1.json["state"] == "draft" and s1.json["doc_number"] == "示例〔2026〕1号（演示）"
    s3 = a.get("/api/v1/policies/%d/versions/3" % d["id"]).json
    assert s3["title"] == "跨县通办办事指南（修订）" and s3["body"].endswith("第三条 新增条款。")
    assert_problem(a.get("/api/v1/policies/%d/versions/9" % d["id"]), 404, "version_not_found")
    # versions are the managers' (they hold drafts); a reader holds no policy.manage
    assert rd.get("/api/v1/policies/%d/versions" % d["id"]).status == 403


def test_stale_version_is_refused_and_changes_nothing():
    a = admin(CITY)
    d = publish(a, create(a, CITY))
    before = counts()
    b = assert_problem(a.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"version": 1, "title": "旧版本上的修改"}),
                       409, "stale_version")
    assert b["current_version"] == "2"
    assert_problem(a.post("/api/v1/policies/%d/withdraw" % d["id"], {"version": 1, "reason": "过时"}),
                   409, "stale_version")
    assert counts() == before
    assert sql("SELECT title, version FROM pol.document WHERE id = %d" % d["id"]) == [[d["title"], "2"]]


def test_county_admin_cannot_write_above_its_county():
    county = admin(COUNTY)
    region = admin(REGION)
    before, audits = counts(), audit_count("action LIKE 'policy.%'")
    b = assert_problem(county.post("/api/v1/policies", new_doc(REGION)), 403, "out_of_scope")
    assert b["division"] == REGION
    assert_problem(county.post("/api/v1/policies", new_doc(CITY)), 403, "out_of_scope")
    assert_problem(county.post("/api/v1/policies", new_doc(OTHER)), 403, "out_of_scope")
    # a region document it reads but may not change
    pub = published(REGION)
    before = counts()
    assert_problem(county.call("PATCH", "/api/v1/policies/%d" % pub["id"], json_body={"version": 2, "title": "越权修改"}),
                   403, "out_of_scope")
    assert_problem(county.post("/api/v1/policies/%d/withdraw" % pub["id"], {"version": 2, "reason": "越权撤回"}),
                   403, "out_of_scope")
    assert_problem(county.call("POST", "/api/v1/policies/%d/attachments?filename=a.pdf" % pub["id"], body=PDF,
                               headers={"Content-Type": "application/pdf"}), 403, "out_of_scope")
    # a region draft it cannot even see
    draft = create(region, REGION)
    before = counts()
    assert_problem(county.post("/api/v1/policies/%d/publish" % draft["id"], {"version": 1}), 404, "not_found")
    assert_problem(county.call("PATCH", "/api/v1/policies/%d" % draft["id"], json_body={"version": 1, "title": "x"}),
                   404, "not_found")
    # its own document may not be moved up either
    own = create(county, COUNTY)
    before = counts()
    assert_problem(county.call("PATCH", "/api/v1/policies/%d" % own["id"], json_body={"version": 1, "division": REGION}),
                   403, "out_of_scope")
    assert counts() == before
    # the documents made here (one published), no more
    assert audit_count("action LIKE 'policy.%'") == audits + 4
    assert last_audit("auth.denied")["details"]["code"] == "out_of_scope"
    # a reader holds no policy.manage at all
    assert reader(COUNTY).post("/api/v1/policies", new_doc(COUNTY)).status == 403
    assert counts() == before


def test_a_county_reads_region_city_and_its_own_documents_only():
    docs = {div: published(div) for div in (REGION, CITY, COUNTY, OTHER)}
    draft = create(admin(COUNTY), COUNTY)
    rd = reader(COUNTY)
    seen = listed(rd)
    for div in (REGION, CITY, COUNTY):
        assert docs[div]["id"] in seen, div
        assert rd.get("/api/v1/policies/%d" % docs[div]["id"]).status == 200
    assert docs[OTHER]["id"] not in seen and draft["id"] not in seen
    assert_problem(rd.get("/api/v1/policies/%d" % docs[OTHER]["id"]), 404, "not_found")
    assert_problem(rd.post("/api/v1/policies/%d/read" % docs[OTHER]["id"]), 404, "not_found")
    # the other county's own reader sees it; the city's admin manages both counties
    assert docs[OTHER]["id"] in listed(reader(OTHER))
    city = listed(admin(CITY))
    assert docs[OTHER]["id"] in city and draft["id"] in city
    # the county admin sees its county's draft, not the sibling's drafts
    sib = create(admin(OTHER), OTHER)
    own = listed(admin(COUNTY))
    assert draft["id"] in own and sib["id"] not in own


def test_unread_marks_and_count():
    rd = reader(OTHER)
    before = rd.get("/api/v1/policies").json["unread_count"]
    d = published(OTHER, category="notice")
    r = rd.get("/api/v1/policies?unread=1&limit=100")
    conforms(r, "/api/v1/policies", "get")
    assert r.json["unread_count"] == before + 1 and d["id"] in ids(r)
    assert rd.post("/api/v1/policies/%d/read" % d["id"]).status == 204
    r = rd.get("/api/v1/policies?unread=1&limit=100")
    assert r.json["unread_count"] == before and d["id"] not in ids(r)
    assert rd.post("/api/v1/policies/%d/read" % d["id"]).status == 204  # again: the same
    assert int(sql("SELECT count(*) FROM pol.read WHERE document_id = %d" % d["id"])[0][0]) == 1
    # an edit makes it unread again
    a = admin(OTHER)
    assert a.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"version": 2, "effective_on": "2027-01-01"}).status == 200
    assert rd.get("/api/v1/policies").json["unread_count"] == before + 1
    # withdrawn: no longer counted
    assert a.post("/api/v1/policies/%d/withdraw" % d["id"], {"version": 3, "reason": "通知已过期"}).status == 200
    assert rd.get("/api/v1/policies").json["unread_count"] == before


def test_chinese_full_text_search_finds_two_character_words():
    tok = unique("k")
    a = admin(COUNTY)
    in_title = published(COUNTY, title="抵押登记跨县通办指南" + tok, body="办理流程说明。")
    in_body = published(COUNTY, title="办事须知" + tok, body="申请人办理抵押权首次登记时，应提交下列材料。")
    rd = reader(COUNTY)
    r = rd.get("/api/v1/policies?q=%E6%8A%B5%E6%8A%BC&limit=100")  # 抵押
    assert in_title["id"] in ids(r) and in_body["id"] in ids(r)
    # best match first: the title's words weigh more
    both = ids(rd.get("/api/v1/policies?q=" + "%E6%8A%B5%E6%8A%BC%20" + tok))
    assert both == [in_title["id"], in_body["id"]]
    # one character matches too; a word that is not there finds nothing of these
    assert in_body["id"] in ids(rd.get("/api/v1/policies?q=%E6%8A%BC%20" + tok))  # 押
    assert ids(rd.get("/api/v1/policies?q=%E9%B2%B8%E9%B1%BC%20" + tok)) == []  # 鲸鱼
    assert ids(rd.get("/api/v1/policies?q=%E7%99%BB%E6%8A%B5%20" + tok)) == []  # 登抵: characters there, not the word
    # paging walks the ranked list without repeats
    q = "%E6%8A%B5%E6%8A%BC%20" + tok
    p1 = rd.get("/api/v1/policies?limit=1&q=" + q).json
    p2 = rd.get("/api/v1/policies?limit=1&q=%s&after=%s" % (q, p1["next"])).json
    assert [i["id"] for i in p1["items"] + p2["items"]] == [in_title["id"], in_body["id"]]
    assert rd.get("/api/v1/policies?limit=1&q=%s&after=%s" % (q, p2["next"])).json["items"] == []
    # a withdrawn document is found no more
    assert a.post("/api/v1/policies/%d/withdraw" % in_body["id"], {"version": 2, "reason": "内容已更新"}).status == 200
    assert ids(rd.get("/api/v1/policies?q=" + tok)) == [in_title["id"]]
    for bad in ("%20%20", "", "%E3%80%80"):
        assert_problem(rd.get("/api/v1/policies?q=" + bad), 400, "invalid_parameter")
    assert sql("SELECT pol.bigrams('不动产') @@ pol.bigram_query('动产'), pol.bigrams('不动产') @@ pol.bigram_query('产不')") == [["t", "f"]]


def test_bad_input_is_refused_and_changes_nothing():
    a = admin(CITY)
    before = counts()
    for field, value, code in (("category", "rumour", "invalid_field"), ("title", "", "invalid_field"),
                               ("title", "长" * 201, "invalid_field"), ("division", "459999", "invalid_field"),
                               ("published_on", "2026-02-30", "invalid_field"), ("body", "a\u007fb", "invalid_field"),
                               ("body", "字" * 200001, "invalid_field"), ("state", "published", "unknown_field"),
                               ("version", 3, "unknown_field")):
        r = a.post("/api/v1/policies", new_doc(CITY, **{field: value}))
        b = assert_problem(r, 400, code)
        assert b["detail"].startswith(field + ":"), b
    assert counts() == before
    d = create(a, CITY)
    before = counts()
    assert_problem(a.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"version": 1}), 400, "missing_field")
    assert_problem(a.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"title": "无版本"}), 400, "missing_field")
    assert_problem(a.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"version": 1, "body": 5}), 400,
                   "invalid_field")
    assert_problem(a.call("PATCH", "/api/v1/policies/999999999", json_body={"version": 1, "title": "无此文件"}), 404,
                   "not_found")
    assert counts() == before
    # clearing a date is a change; null is how
    r = a.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"version": 1, "published_on": "2026-01-02"})
    assert r.status == 200 and r.json["published_on"] == "2026-01-02"
    r = a.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"version": 2, "published_on": None})
    assert r.status == 200 and r.json["published_on"] is None and r.json["version"] == 3
    before = counts()
    b = new_doc(CITY)
    del b["body"]
    assert_problem(a.post("/api/v1/policies", b), 400, "missing_field")
    assert counts() == before
    # the longest body is taken, line breaks kept, and indexed to its end
    long = "第1条 跨县通办。\n\n" + "字" * 199985 + "查封登记"
    tok = unique("")
    r = a.post("/api/v1/policies", new_doc(CITY, body=long, title="长文" + tok))
    assert r.status == 201, r
    assert r.json["body"] == long
    assert ids(a.get("/api/v1/policies?q=%E6%9F%A5%E5%B0%81%20" + tok)) == [r.json["id"]]  # 查封


def public(path):
    return request("GET", "/api/v1/public/policies" + path)


def public_ids(path):
    r = public(path)
    assert r.status == 200, r
    return [d["id"] for d in r.json["items"]]


def test_public_sees_published_guides_and_notices_only():
    tok = unique("pub")
    guide = published(COUNTY, "guide", title="跨县通办抵押登记办事指南" + tok)
    notice = published(CITY, "notice", title="关于调整窗口办公时间的通知" + tok)
    law = published(REGION, "law", title="不动产登记暂行条例（测试）" + tok)
    policy = published(CITY, "policy", title="政策文件" + tok)
    draft = create(admin(COUNTY), COUNTY, "guide", title="草稿指南" + tok)
    r = public("?limit=100&q=" + tok)
    conforms(r, "/api/v1/public/policies", "get")
    assert "public" in (r.header("Cache-Control") or "")
    found = [d["id"] for d in r.json["items"]]
    assert set(found) == {guide["id"], notice["id"]}, found
    assert "state" not in r.json["items"][0] and "unread" not in r.json["items"][0]
    assert public_ids("?category=notice&q=" + tok) == [notice["id"]]
    assert public_ids("?category=guide&q=" + tok) == [guide["id"]]
    # division narrows to what applies there: the county's and its city's here
    assert set(public_ids("?division=%s&q=%s" % (COUNTY, tok))) == {guide["id"], notice["id"]}
    assert public_ids("?division=%s&q=%s" % (OTHER, tok)) == [notice["id"]]
    assert public_ids("?division=451302&q=" + tok) == []
    # two characters of Chinese find the guide
    assert guide["id"] in public_ids("?limit=100&q=%E6%8A%B5%E6%8A%BC")  # 抵押
    g = public("/%d" % guide["id"])
    conforms(g, "/api/v1/public/policies/{id}", "get")
    assert g.status == 200 and g.json["body"] == BODY and g.json["attachments"] == []
    for d in (law, policy, draft):
        assert_problem(public("/%d" % d["id"]), 404, "not_found")
    assert_problem(public("/999999999"), 404, "not_found")
    assert_problem(public("?category=law"), 400, "invalid_parameter")
    # withdrawn: gone from the list, 404 alone
    a = admin(COUNTY)
    assert a.post("/api/v1/policies/%d/withdraw" % guide["id"], {"version": 2, "reason": "指南已更新"}).status == 200
    assert public_ids("?limit=100&q=" + tok) == [notice["id"]]
    assert_problem(public("/%d" % guide["id"]), 404, "not_found")
    # the public role reads views, never the tables
    denied = sql("SELECT count(*) FROM pol.document", user="tb_public", check=False)
    assert denied.returncode != 0 and "permission denied" in denied.stderr
    assert sql("SELECT count(*) FROM pol.public_document WHERE category IN ('law', 'policy') OR id = %d" % draft["id"],
               user="tb_public") == [["0"]]
    for stmt in ("UPDATE pol.document SET title = 'x'", "DELETE FROM pol.version", "INSERT INTO pol.read VALUES (1, 1, 1, now())"):
        p = sql(stmt, user="tb_public", check=False)
        assert p.returncode != 0 and "permission denied" in p.stderr, stmt
    p = sql("DELETE FROM pol.document", user="tb_admin", check=False)
    assert p.returncode != 0 and "permission denied" in p.stderr


def upload(s, d, data=PDF, filename="指南.pdf", ctype="application/pdf"):
    from urllib.parse import quote
    return s.call("POST", "/api/v1/policies/%d/attachments?filename=%s" % (d["id"], quote(filename)), body=data,
                  headers={"Content-Type": ctype})


def test_attachments_are_pdfs_kept_with_versions():
    a = admin(COUNTY)
    d = create(a, COUNTY)
    before = counts()
    assert_problem(upload(a, d, b"GIF89a not a pdf at all"), 415, "policy_attachment_not_pdf")
    assert_problem(upload(a, d, b"\x89PNG\r\n\x1a\n" + b"0" * 100, ctype="application/pdf"), 415,
                   "policy_attachment_not_pdf")
    assert_problem(upload(a, d, b""), 400, "invalid_field")
    assert_problem(upload(a, d, PDF, filename=""), 400, "invalid_parameter")
    assert_problem(upload(a, d, PDF, filename="a\u202egpj.pdf"), 400, "invalid_field")
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    assert_problem(upload(a, d, big), 413, "policy_attachment_too_large")
    assert_problem(upload(a, d, big + b"0" * (1536 * 1024)), 413, "body_too_large")  # beyond nginx's 11 MiB
    assert_problem(upload(reader(COUNTY), d, PDF), 403, "forbidden")
    assert counts() == before

    pdf = PDF + b"%" + unique("x").encode() + b"\n"
    r = upload(a, d, pdf, filename="跨县通办 材料清单.pdf")
    assert r.status == 201, r
    conforms(r, "/api/v1/policies/{id}/attachments", "post")
    att = r.json
    assert att["size"] == len(pdf) and att["sha256"] == hashlib.sha256(pdf).hexdigest() and att["version"] == 2
    assert last_audit("policy.attachment.add")["details"]["attachment_id"] == str(att["id"])
    g = a.get("/api/v1/policies/%d/attachments/%d" % (d["id"], att["id"]))
    assert g.status == 200 and g.body == pdf and g.header("Content-Type") == "application/pdf"
    assert g.header("Content-Disposition") == (
        "attachment; filename=\"policy-%d.pdf\"; filename*=UTF-8''"
        "%%E8%%B7%%A8%%E5%%8E%%BF%%E9%%80%%9A%%E5%%8A%%9E%%20%%E6%%9D%%90%%E6%%96%%99%%E6%%B8%%85%%E5%%8D%%95.pdf"
        % att["id"])
    # readers download once it is published; applicants too (a guide)
    d = publish(a, a.get("/api/v1/policies/%d" % d["id"]).json)
    rd = reader(COUNTY)
    assert rd.get("/api/v1/policies/%d/attachments/%d" % (d["id"], att["id"])).body == pdf
    assert [x["id"] for x in rd.get("/api/v1/policies/%d" % d["id"]).json["attachments"]] == [att["id"]]
    pg = public("/%d/attachments/%d" % (d["id"], att["id"]))
    assert pg.status == 200 and pg.body == pdf and pg.header("X-Content-SHA256") == att["sha256"]
    assert public("/%d" % d["id"]).json["attachments"][0]["sha256"] == att["sha256"]
    assert_problem(rd.get("/api/v1/policies/%d/attachments/%d" % (d["id"], att["id"] + 100000)), 404,
                   "attachment_not_found")
    # another document's id does not reach this attachment
    other = published(COUNTY)
    assert_problem(rd.get("/api/v1/policies/%d/attachments/%d" % (other["id"], att["id"])), 404, "attachment_not_found")
    assert_problem(public("/%d/attachments/%d" % (other["id"], att["id"])), 404, "not_found")

    # removing is a version; the earlier snapshot still names the file
    r = a.call("DELETE", "/api/v1/policies/%d/attachments/%d" % (d["id"], att["id"]))
    assert r.status == 204, r
    assert last_audit("policy.attachment.delete")["object_id"] == str(d["id"])
    assert_problem(rd.get("/api/v1/policies/%d/attachments/%d" % (d["id"], att["id"])), 404, "attachment_not_found")
    assert_problem(public("/%d/attachments/%d" % (d["id"], att["id"])), 404, "not_found")
    assert a.get("/api/v1/policies/%d/attachments/%d" % (d["id"], att["id"])).body == pdf  # its managers still can
    before = counts()
    assert_problem(a.call("DELETE", "/api/v1/policies/%d/attachments/%d" % (d["id"], att["id"])), 404,
                   "attachment_not_found")
    assert counts() == before
    cur = a.get("/api/v1/policies/%d" % d["id"]).json
    assert cur["version"] == 4 and cur["attachments"] == []
    assert [x["id"] for x in a.get("/api/v1/policies/%d/versions/2" % d["id"]).json["attachments"]] == [att["id"]]
    assert [v["action"] for v in a.get("/api/v1/policies/%d/versions" % d["id"]).json["items"]] == [
        "attachment_delete", "publish", "attachment_add", "create"]
    # at most ten per document
    for i in range(10):
        assert upload(a, cur, pdf, filename="附件%d.pdf" % i).status == 201
    before = counts()
    assert_problem(upload(a, cur, pdf), 409, "policy_attachment_limit")
    assert counts() == before
    # a withdrawn document's attachments stay as they are
    cur = a.get("/api/v1/policies/%d" % d["id"]).json
    assert a.post("/api/v1/policies/%d/withdraw" % d["id"], {"version": cur["version"], "reason": "停止适用"}).status == 200
    before = counts()
    assert_problem(upload(a, cur, pdf), 409, "policy_withdrawn")
    assert_problem(a.call("DELETE", "/api/v1/policies/%d/attachments/%d" % (d["id"], cur["attachments"][0]["id"])),
                   409, "policy_withdrawn")
    assert_problem(public("/%d/attachments/%d" % (d["id"], cur["attachments"][0]["id"])), 404, "not_found")
    assert counts() == before


def test_two_editors_of_one_version_one_wins():
    import threading
    a1, a2 = admin(COUNTY), admin(CITY)
    d = publish(a1, create(a1, COUNTY))
    results = []

    def edit(s, title):
        results.append(s.call("PATCH", "/api/v1/policies/%d" % d["id"], json_body={"version": 2, "title": title}))

    ts = [threading.Thread(target=edit, args=(s, t)) for s, t in ((a1, "县里的修改"), (a2, "市里的修改"))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(r.status for r in results) == [200, 409], results
    assert [r for r in results if r.status == 409][0].json["code"] == "stale_version"
    won = [r for r in results if r.status == 200][0].json["title"]
    assert sql("SELECT title, version FROM pol.document WHERE id = %d" % d["id"]) == [[won, "3"]]
    assert sql("SELECT count(*) FROM pol.version WHERE document_id = %d" % d["id"]) == [["3"]]
