"""Each service connects as its own PostgreSQL role with the least privilege
it needs: only admin writes identities; nobody writes audit history."""
from lib import sql

WRITES_ON_IDENTITY = [
    "INSERT INTO iam.user (username, display_name, agency_code, password_hash) VALUES ('x_y', 'x', '450000', 'h')",
    "UPDATE iam.user SET status = 'active'",
    "DELETE FROM iam.user",
    "INSERT INTO iam.grant (user_id, role_code, scope_code) SELECT id, 'auditor', '450000' FROM iam.user LIMIT 1",
    "UPDATE iam.role_permission SET permission_code = 'audit.read'",
    "INSERT INTO iam.role_permission VALUES ('intake_clerk', 'audit.read')",
    "UPDATE iam.session SET revoked_at = NULL",
    "UPDATE iam.agency SET name = 'x'",
    "DELETE FROM ref.division",
]


def denied(stmt, role):
    p = sql(stmt, user=role, check=False)
    return p.returncode != 0 and "permission denied" in p.stderr


def test_intake_query_and_public_cannot_change_identities():
    for role in ("tb_intake", "tb_query", "tb_public"):
        for stmt in WRITES_ON_IDENTITY:
            assert denied(stmt, role), (role, stmt)


def test_admin_cannot_rewrite_roles_delete_users_or_read_nothing_more_than_needed():
    for stmt in ("DELETE FROM iam.user", "UPDATE iam.role_permission SET permission_code = 'audit.read'",
                 "INSERT INTO iam.role_permission VALUES ('intake_clerk', 'audit.read')",
                 "UPDATE iam.grant SET role_code = 'auditor'", "DELETE FROM ref.division",
                 "DELETE FROM iam.session", "CREATE TABLE public.x (i int)"):
        assert denied(stmt, "tb_admin"), stmt


def test_only_admin_reads_the_audit_trail_and_seals():
    for role in ("tb_intake", "tb_query", "tb_public"):
        assert denied("SELECT count(*) FROM audit.event", role), role
        assert denied("INSERT INTO audit.seal (pos, event_seq, hash) VALUES (999999, 1, sha256(''))", role), role
    assert sql("SELECT count(*) >= 0 FROM audit.event", user="tb_admin") == [["t"]]


def test_every_service_can_append_audit_rows_and_touch_sessions():
    for role in ("tb_admin", "tb_intake", "tb_query", "tb_public"):
        sql("INSERT INTO audit.event (at, action, outcome, details) VALUES (now(), 'test.privilege', 'success', '{}')",
            user=role)
        sql("UPDATE iam.session SET last_seen_at = last_seen_at WHERE false", user=role)
