"""Fixtures of the policy screens' browser tests (verbs added to
tests/e2e/fixture.py). Documents are made and moved through the API by a
region system administrator of their own (TOTP), never by the browser's
users (a TOTP code counts once per user).
  pol_doc   {"division", "category", "title", "body"?, "issuer"?, "doc_number"?,
             "publish": bool} → {"id", "version", "state"}
  pol_patch {"id", "version", "title"} → {"version"}: someone else's edit
  pol_read  {"id", "user_id"} → {"read": [[version, read_at]...]}: the user's read
            marks of the document, as the database holds them
"""
import auth_lib
from lib import sql

BODY = ("为进一步优化不动产登记营商环境，现将有关事项通知如下。\n\n"
        "一、申请人可在全区任一登记机构窗口提交申请。\n\n"
        "二、本通知自发布之日起施行。")


def _admin():
    _, name = auth_lib.make_user(agency="450000", grants=[("system_admin", "450000")], totp_enabled=True)
    return auth_lib.login_mfa(name)


def pol_doc(a):
    s = _admin()
    body = {"division": a["division"], "category": a["category"], "title": a["title"],
            "issuer": a.get("issuer", "广西壮族自治区自然资源厅"), "body": a.get("body", BODY)}
    if a.get("doc_number"):
        body["doc_number"] = a["doc_number"]
    if a.get("published_on"):
        body["published_on"] = a["published_on"]
    r = s.post("/api/v1/policies", body)
    assert r.status == 201, r
    d = r.json
    if a.get("publish"):
        r = s.post("/api/v1/policies/%d/publish" % d["id"], {"version": d["version"]})
        assert r.status == 200, r
        d = r.json
    return {"id": d["id"], "version": d["version"], "state": d["state"]}


def pol_patch(a):
    r = _admin().call("PATCH", "/api/v1/policies/%d" % int(a["id"]),
                      json_body={"version": int(a["version"]), "title": a["title"]})
    assert r.status == 200, r
    return {"version": r.json["version"]}


def pol_read(a):
    rows = sql("SELECT version, read_at FROM pol.read WHERE document_id = %d AND user_id = %d ORDER BY version"
               % (int(a["id"]), int(a["user_id"])))
    return {"read": rows}


VERBS = {"pol_doc": pol_doc, "pol_patch": pol_patch, "pol_read": pol_read}
