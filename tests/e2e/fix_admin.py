"""Fixtures of the identity admin screens' browser tests (verbs added to
tests/e2e/fixture.py), straight in SQL as the API tests' helpers do.
  admin_lock    {"user_id", "source"?} → {"id"}: a log-in lock of the account
                (five wrong passwords from source, locked for 15 minutes)
  perm_request  {"user_id", "role", "scope", "reason"?} → {"id"}: a pending
                permission request of the account
"""
import hashlib
import os

from lib import sql


def _lit(s):
    return "'" + str(s).replace("'", "''") + "'"


def admin_lock(a):
    key = hashlib.sha256(os.urandom(16)).hexdigest()
    rows = sql("INSERT INTO iam.login_throttle (name_key, source, user_id, failures, last_at, locked_until)"
               " VALUES (%s, %s, %d, 5, now(), now() + interval '15 minutes') RETURNING id"
               % (_lit(key), _lit(a.get("source", "10.20.30.40")), int(a["user_id"])))
    return {"id": int(rows[0][0])}


def perm_request(a):
    rows = sql("INSERT INTO iam.permission_request (user_id, role_code, scope_code, reason, created_at)"
               " VALUES (%d, %s, %s, %s, now()) RETURNING id"
               % (int(a["user_id"]), _lit(a["role"]), _lit(a["scope"]), _lit(a.get("reason", "岗位调整，需要办理该项业务"))))
    return {"id": int(rows[0][0])}


VERBS = {"admin_lock": admin_lock, "perm_request": perm_request}
