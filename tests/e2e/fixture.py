#!/usr/bin/env python3
"""Set-up for the browser tests, reusing the API tests' helpers (users and
grants in SQL, registry units, cases through the API): `fixture.py <verb>
'<json args>'` prints the result as JSON. Verbs:
  user    {"agency", "grants": [[role, scope]], "totp": bool, "must_change": bool}
          → {"id", "username", "password", "totp_secret_b32"}
  unit    {"county", "use"} → {"code"}
  sql     {"query"} → [[...], ...]
"""
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import auth_lib  # noqa: E402
import case_lib  # noqa: E402
import lib  # noqa: E402


def user(a):
    grants = [tuple(g) for g in a.get("grants", [])]
    uid, name = auth_lib.make_user(agency=a.get("agency", "451302"), grants=grants,
                                   totp_enabled=a.get("totp", False), must_change=a.get("must_change", False))
    return {"id": uid, "username": name, "password": auth_lib.PASSWORD,
            "totp_secret_b32": base64.b32encode(auth_lib.TOTP_KEY).decode()}


def unit(a):
    return {"code": case_lib.unit(a.get("county", case_lib.DECIDING), a.get("use", "residential"))}


def sql(a):
    return lib.sql(a["query"])


VERBS = {"user": user, "unit": unit, "sql": sql}
# more verbs from tests/e2e/fix_*.py (each defines VERBS)
for _f in sorted(os.listdir(os.path.dirname(os.path.abspath(__file__)))):
    if _f.startswith("fix_") and _f.endswith(".py"):
        VERBS.update(__import__(_f[:-3]).VERBS)

if __name__ == "__main__":
    verb, args = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    print(json.dumps(VERBS[verb](args), ensure_ascii=False))
