"""api/openapi.json is the contract: every route the services serve is in it
with its methods (and nothing else is), and real responses match the
documented schemas."""
import json
import os
import re

from lib import ROOT, get, post, request

SPEC = json.load(open(os.path.join(ROOT, "api", "openapi.json"), encoding="utf-8"))
METHODS = {"M_GET": "get", "M_POST": "post", "M_PUT": "put", "M_PATCH": "patch", "M_DELETE": "delete"}


def served_routes():
    """(method, openapi path) from the route tables of every service program."""
    out = set()
    for svc in ("admin", "intake", "query", "public"):
        d = os.path.join(ROOT, "fcgi", svc)
        for f in os.listdir(d):
            if not f.endswith(".c"):
                continue
            src = open(os.path.join(d, f), encoding="utf-8").read()
            for m in re.finditer(r'\{\s*(?:\.methods\s*=\s*)?((?:M_[A-Z]+\s*\|?\s*)+),\s*(?:\.pattern\s*=\s*)?"(/api/[^"]*)"', src):
                path = re.sub(r"\{(\w+):\w+\}", r"{\1}", m.group(2))
                for meth in re.findall(r"M_[A-Z]+", m.group(1)):
                    out.add((METHODS[meth], path))
    return out


def documented_routes():
    return {(m, p) for p, ops in SPEC["paths"].items() if p.startswith("/api/")
            for m in ops if m in METHODS.values()}


def test_every_served_route_is_documented_and_nothing_more():
    served, documented = served_routes(), documented_routes()
    assert served, "no routes found in the sources"
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"


def resolve(schema):
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = SPEC["components"]["schemas"][name]
    return schema


def check(value, schema, where="$"):
    s = resolve(schema)
    if value is None:
        assert s.get("nullable"), "%s is null" % where
        return
    t = s.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if "enum" in s and value is None:
        return
    if t == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), where
    elif t in types:
        assert isinstance(value, types[t]), "%s: %r is not %s" % (where, value, t)
    if "enum" in s:
        assert value in s["enum"], "%s: %r not in %r" % (where, value, s["enum"])
    if t == "object":
        for k in s.get("required", []):
            assert k in value, "%s: missing %s" % (where, k)
        props = s.get("properties", {})
        if s.get("additionalProperties") is False:
            extra = set(value) - set(props)
            assert not extra, "%s: undocumented %r" % (where, extra)
        for k, v in value.items():
            if k in props:
                check(v, props[k], "%s.%s" % (where, k))
    if t == "array":
        for i, v in enumerate(value):
            check(v, s["items"], "%s[%d]" % (where, i))


def response_schema(path, method, status, ctype):
    r = SPEC["paths"][path][method]["responses"][str(status)]
    if "$ref" in r:
        r = SPEC["components"]["responses"][r["$ref"].split("/")[-1]]
    return r["content"][ctype]["schema"]


def conforms(r, path, method):
    ctype = (r.header("Content-Type") or "").split(";")[0]
    assert str(r.status) in SPEC["paths"][path][method]["responses"], \
        "%s %s: status %d undocumented" % (method, path, r.status)
    if ctype.endswith("json"):
        check(r.json, response_schema(path, method, r.status, ctype))


def test_identity_responses_match_the_documented_schemas():
    import time
    from auth_lib import login, login_mfa, make_user, unique
    uid, name = make_user(agency="450000", grants=[("system_admin", "450000")], totp_enabled=True)
    r = request("POST", "/api/v1/auth/login", json_body={"username": name, "password": "x"})
    conforms(r, "/api/v1/auth/login", "post")
    s = login_mfa(name, now=time.time() + 3000)
    conforms(s.get("/api/v1/auth/me"), "/api/v1/auth/me", "get")
    conforms(s.get("/api/v1/auth/sessions"), "/api/v1/auth/sessions", "get")
    conforms(s.get("/api/v1/users?limit=3"), "/api/v1/users", "get")
    conforms(s.get("/api/v1/users/%d" % uid), "/api/v1/users/{id}", "get")
    conforms(s.get("/api/v1/roles"), "/api/v1/roles", "get")
    conforms(s.get("/api/v1/agencies"), "/api/v1/agencies", "get")
    conforms(s.get("/api/v1/permission-requests"), "/api/v1/permission-requests", "get")
    conforms(s.post("/api/v1/auth/totp/enroll"), "/api/v1/auth/totp/enroll", "post")
    conforms(s.post("/api/v1/users", {"username": unique("oa"), "display_name": "x", "agency_code": "450000",
                                      "password": "Openapi-Passw0rd"}), "/api/v1/users", "post")
    conforms(s.get("/api/v1/audit"), "/api/v1/audit", "get")
    auid, aname = make_user(agency="450000", grants=[("auditor", "450000")], totp_enabled=True)
    a = login_mfa(aname, now=time.time() + 3030)
    conforms(a.get("/api/v1/audit?limit=20"), "/api/v1/audit", "get")
    conforms(a.get("/api/v1/audit/verify"), "/api/v1/audit/verify", "get")
    conforms(request("GET", "/api/v1/auth/me"), "/api/v1/auth/me", "get")


def test_case_responses_match_the_documented_schemas():
    from case_lib import act, create, mortgage_body, staff, unit
    r = create(mortgage_body(unit()))
    conforms(r, "/api/v1/cases", "post")
    c = r.json
    conforms(staff[("intake_clerk", "451302")].get("/api/v1/cases/%d" % c["id"]), "/api/v1/cases/{id}", "get")
    conforms(act(c, "submit", staff[("intake_clerk", "451302")]), "/api/v1/cases/{id}/actions/{action}", "post")
    conforms(act(c, "submit", staff[("intake_clerk", "451302")]), "/api/v1/cases/{id}/actions/{action}", "post")
    conforms(staff[("intake_clerk", "451302")].get("/api/v1/business-types"), "/api/v1/business-types", "get")


def test_responses_match_the_documented_schemas():
    conforms(get("/healthz"), "/healthz", "get")
    conforms(get("/readyz"), "/readyz", "get")
    for s in ("admin", "intake", "query", "public"):
        conforms(get("/-/%s/healthz" % s), "/-/{service}/healthz", "get")
        conforms(get("/-/%s/readyz" % s), "/-/{service}/readyz", "get")
    conforms(get("/-/nothing/healthz"), "/-/{service}/healthz", "get")
    conforms(get("/api/v1/divisions"), "/api/v1/divisions", "get")
    conforms(get("/api/v1/divisions?parent=450100"), "/api/v1/divisions", "get")
    conforms(get("/api/v1/divisions?parent=x"), "/api/v1/divisions", "get")
    conforms(get("/api/v1/divisions/450000"), "/api/v1/divisions/{code}", "get")
    conforms(get("/api/v1/divisions/451302"), "/api/v1/divisions/{code}", "get")
    conforms(get("/api/v1/divisions/459999"), "/api/v1/divisions/{code}", "get")
    p = "/api/v1/divisions/resolve"
    conforms(post(p, {"codes": ["450103", "459999"]}), p, "post")
    conforms(post(p, {"codes": 1}), p, "post")
    conforms(request("POST", p, body=b"x", headers={"Content-Type": "text/plain"}), p, "post")
    conforms(request("POST", p, body=b"{" * 70000, headers={"Content-Type": "application/json"}), p, "post")
