"""tbctl keys new / rotate: clear legacy values sealed, every value moved
under the newest key, old keys retired without losing a value. The services
read through an intake instance of their own, started with the key file
under test; the stack's values are put back under its own key afterwards."""
import json
import os
import random
import shutil
import subprocess
import tempfile

from case_lib import HOLDER, create, fix_check, mortgage_body, staff, unit, RECEIVING
from lib import (ROOT, STACK, fcgi_connect, fcgi_params, fcgi_read_response, fcgi_request_bytes, post,
                 psql_conninfo, sql, wait_until)

CLERK = ("intake_clerk", RECEIVING)
SEALED = (("cases.party", "id_number"), ("reg.entry", "holder_id_number"))


def tbctl(keyfile, *args):
    return subprocess.run([os.path.join(ROOT, "build/asan/tbctl"), "keys"] + list(args), capture_output=True,
                          text=True, env=dict(os.environ, TB_PG_ADMIN=psql_conninfo(), TB_DATA_KEYS=keyfile))


def key_lines(path):
    with open(path) as f:
        return [line.split() for line in f if line.strip() and not line.startswith("#")]


def write_keys(path, lines):
    with open(path, "w") as f:
        f.write("".join(" ".join(w) + "\n" for w in lines))
    os.chmod(path, 0o600)


def not_under(key_id):
    return sum(int(sql("SELECT count(*) FROM %s WHERE %s NOT LIKE 'v1.%d.%%'" % (t, c, key_id))[0][0])
               for t, c in SEALED)


class Intake:
    """An intake service of its own on a private socket, with a given key file."""

    def __init__(self, keyfile):
        self.dir = tempfile.mkdtemp()
        self.sock = os.path.join(self.dir, "intake.sock")
        env = dict(os.environ, TB_SOCKET=self.sock, TB_WORKERS="1",
                   TB_PG="host=%s/run port=54320 dbname=tongban user=tb_intake" % STACK,
                   TB_REDIS="%s/run/redis.sock" % STACK)
        env.pop("TB_DATA_KEYS", None)
        if keyfile:
            env["TB_DATA_KEYS"] = keyfile
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.p = subprocess.Popen([os.path.join(ROOT, "build/asan/tongban-intake")], env=env,
                                  stdout=self.log, stderr=self.log)
        assert wait_until(lambda: os.path.exists(self.sock), 10)

    def post(self, who, path, body):
        body = json.dumps(body).encode()
        s = fcgi_connect(self.sock)
        try:
            s.sendall(fcgi_request_bytes(1, fcgi_params(
                path, method="POST", CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)),
                HTTP_AUTHORIZATION="Bearer " + who.token), body, keep=False))
            status, _, b, _ = fcgi_read_response(s)
        finally:
            s.close()
        return status, json.loads(b)

    def reveal(self, who, case_id, seq):
        return self.post(who, "/api/v1/cases/%d/parties/%d/reveal" % (case_id, seq), {"reason": "key rotation check"})

    def close(self):
        self.p.kill()
        self.p.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_rotation_seals_clear_values_and_moves_everything_to_the_new_key():
    clerk = staff[CLERK]
    c = create(dict(mortgage_body(unit()), parties=[HOLDER]), attach_docs=False).json
    # values left in clear, as rows from before encryption: a party and a registry holder
    legacy = fix_check("45010319661111%03d" % random.randint(0, 999))
    sql("INSERT INTO cases.party (case_id, seq, role, name, id_type, id_number_legacy)"
        " VALUES (%d, 2, 'obligor', '旧数据', 'resident_id', '%s')" % (c["id"], legacy))
    code = unit()
    entry = sql("INSERT INTO reg.entry (unit_code, kind, holder_name, holder_id_type, holder_id_number_legacy,"
                " valid_from) VALUES ('%s', 'ownership', '旧户主', 'resident_id', '%s', now()) RETURNING id"
                % (code, legacy))[0][0]
    tmp = tempfile.mkdtemp()
    stack_keys = os.path.join(STACK, "keys", "data.keys")
    k12, k2, back = (os.path.join(tmp, n) for n in ("k12", "k2", "back"))
    shutil.copy(stack_keys, k12)
    os.chmod(k12, 0o600)
    try:
        p = tbctl(k12, "new")
        assert p.returncode == 0, p.stdout + p.stderr
        assert "added key 2" in p.stdout
        assert "cases.party.id_number: 1 sealed from clear" in p.stdout
        assert "reg.entry.holder_id_number: 1 sealed from clear" in p.stdout
        assert [w[:2] for w in key_lines(k12) if w[0] == "enc"] == [["enc", "1"], ["enc", "2"]]
        # everything under key 2, nothing left in clear
        assert not_under(2) == 0
        assert sql("SELECT count(*) FROM cases.party WHERE id_number_legacy IS NOT NULL") == [["0"]]
        row = sql("SELECT id_number_masked, length(id_number_index), length(progress_key) FROM cases.party"
                  " WHERE case_id = %d AND seq = 2" % c["id"])[0]
        assert row == [legacy[:3] + "*" * 11 + legacy[-4:], "64", "64"]
        assert sql("SELECT holder_id_number_legacy IS NULL, holder_id_number LIKE 'v1.2.%%', holder_id_number_masked"
                   " FROM reg.entry WHERE id = %s" % entry) == [["t", "t", legacy[:3] + "*" * 11 + legacy[-4:]]]
        assert sql("SELECT count(*) FROM audit.event WHERE action = 'keys.rotate'")[0][0] != "0"
        # a second run has nothing left to do
        again = tbctl(k12, "rotate")
        assert again.returncode == 0 and "cases.party.id_number: 0 sealed from clear, 0 re-sealed" in again.stdout
        # the API reads them with both keys, and with key 1 retired
        write_keys(k2, [w for w in key_lines(k12) if w[:2] != ["enc", "1"]])
        for keyfile in (k12, k2):
            svc = Intake(keyfile)
            try:
                assert svc.reveal(clerk, c["id"], 1) == (200, {"id_number": HOLDER["id_number"]})
                assert svc.reveal(clerk, c["id"], 2) == (200, {"id_number": legacy})
            finally:
                svc.close()
        # the sealed-from-clear party answers the applicant's lookup
        assert post("/api/v1/public/progress", {"number": c["number"], "id_last6": legacy[-6:]}).status == 200
        # without key 2 nothing opens: rotate stops and changes nothing
        write_keys(back, [w for w in key_lines(k12) if w[:2] != ["enc", "2"]])
        p = tbctl(back, "rotate")
        assert p.returncode == 1 and "does not open" in p.stderr
        assert not_under(2) == 0
    finally:
        # the stack's services hold key 1 only: everything back under it
        lines = key_lines(k12)
        write_keys(back, [w for w in lines if w[:2] == ["enc", "2"]] + [w for w in lines if w[:2] != ["enc", "2"]])
        p = tbctl(back, "rotate")
        shutil.rmtree(tmp, ignore_errors=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert not_under(1) == 0
    r = clerk.call("POST", "/api/v1/cases/%d/parties/1/reveal" % c["id"], json_body={"reason": "after rotation"})
    assert r.status == 200 and r.json["id_number"] == HOLDER["id_number"]


def test_without_data_keys_no_id_number_is_stored_or_shown():
    clerk = staff[CLERK]
    c = create(dict(mortgage_body(unit()), parties=[HOLDER]), attach_docs=False).json
    cases = sql("SELECT count(*) FROM cases.case")
    svc = Intake(None)
    try:
        status, body = svc.post(clerk, "/api/v1/cases", dict(mortgage_body(unit()), parties=[HOLDER]))
        assert status == 503 and body["code"] == "data_keys_unavailable", body
        status, body = svc.reveal(clerk, c["id"], 1)
        assert status == 503 and body["code"] == "data_keys_unavailable", body
    finally:
        svc.close()
    assert sql("SELECT count(*) FROM cases.case") == cases
