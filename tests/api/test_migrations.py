"""Migrations: in order, once each, all-or-nothing."""
import os
import shutil
import subprocess
import tempfile

from lib import ROOT, psql_conninfo, sql


def tbctl(*args, db):
    env = dict(os.environ, TB_PG_ADMIN=psql_conninfo(db))
    return subprocess.run([os.path.join(ROOT, "build/asan/tbctl")] + list(args),
                          env=env, capture_output=True, text=True)


def fresh_db(name):
    sql("DROP DATABASE IF EXISTS %s" % name, db="postgres")
    sql("CREATE DATABASE %s" % name, db="postgres")


def test_applying_twice_is_a_no_op():
    fresh_db("mig_twice")
    first = tbctl("migrate", "--dir", os.path.join(ROOT, "sql"), db="mig_twice")
    assert first.returncode == 0, first.stderr
    n = len([f for f in os.listdir(os.path.join(ROOT, "sql")) if f.endswith(".sql") and f[:4].isdigit()])
    assert "migrations: %d applied, %d known" % (n, n) in first.stdout
    second = tbctl("migrate", "--dir", os.path.join(ROOT, "sql"), db="mig_twice")
    assert second.returncode == 0
    assert "migrations: 0 applied, %d known" % n in second.stdout
    assert sql("SELECT count(*) FROM tb_meta.schema_migration", db="mig_twice") == [[str(n)]]
    assert sql("SELECT count(*) FROM ref.division", db="mig_twice") == [["126"]]


def test_a_failing_migration_rolls_back_and_stops():
    fresh_db("mig_fail")
    d = tempfile.mkdtemp()
    try:
        for f in os.listdir(os.path.join(ROOT, "sql")):
            src = os.path.join(ROOT, "sql", f)
            if os.path.isfile(src):
                shutil.copy(src, d)
        with open(os.path.join(d, "9001_half_done.sql"), "w") as f:
            f.write("CREATE TABLE ref.half_done (x int);\n"
                    "INSERT INTO ref.half_done VALUES (1);\n"
                    "SELECT * FROM no_such_table;\n")
        with open(os.path.join(d, "9002_after.sql"), "w") as f:
            f.write("CREATE TABLE ref.after_fail (x int);\n")
        p = tbctl("migrate", "--dir", d, db="mig_fail")
        assert p.returncode == 1
        assert "migration 9001_half_done.sql failed and was rolled back" in p.stderr
        assert "no_such_table" in p.stderr
        exists = "SELECT to_regclass('ref.half_done') IS NULL, to_regclass('ref.after_fail') IS NULL"
        assert sql(exists, db="mig_fail") == [["t", "t"]]
        versions = [r[0] for r in sql("SELECT version FROM tb_meta.schema_migration ORDER BY 1", db="mig_fail")]
        assert "9001" not in versions and "9002" not in versions and "0001" in versions
        # fixed, it applies, and the next one after it too
        with open(os.path.join(d, "9001_half_done.sql"), "w") as f:
            f.write("CREATE TABLE ref.half_done (x int);\n")
        p = tbctl("migrate", "--dir", d, db="mig_fail")
        assert p.returncode == 0 and "migrations: 2 applied" in p.stdout, p.stdout + p.stderr
    finally:
        shutil.rmtree(d)
        sql("DROP DATABASE IF EXISTS mig_fail", db="postgres")
        sql("DROP DATABASE IF EXISTS mig_twice", db="postgres")


def test_a_csv_load_that_fails_rolls_back_its_migration():
    fresh_db("mig_csv")
    d = tempfile.mkdtemp()
    try:
        with open(os.path.join(d, "0001_t.sql"), "w") as f:
            f.write("CREATE TABLE t (code text PRIMARY KEY);\n--@copy t (code) from t.csv\n")
        with open(os.path.join(d, "t.csv"), "w") as f:
            f.write("code\nA\nA\n")  # duplicate key
        p = tbctl("migrate", "--dir", d, db="mig_csv")
        assert p.returncode == 1 and "duplicate key" in p.stderr
        assert sql("SELECT to_regclass('public.t') IS NULL", db="mig_csv") == [["t"]]
    finally:
        shutil.rmtree(d)
        sql("DROP DATABASE IF EXISTS mig_csv", db="postgres")
