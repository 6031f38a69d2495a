"""The audit trail survives its own superuser: with the triggers disabled
(session_replication_role = replica) it rewrites events and seals, and the
sealer refuses to re-chain the altered history, while `tbctl audit verify`
names the first altered position from the anchors and signed checkpoints
kept outside the database.

Isolation: each rewrite is undone in a finally block (the saved events and
seals are put back with the triggers disabled), and the test then waits
until the background process verifies the whole chain again and seals
once more, so later tests find a clean chain."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

from auth_lib import last_audit, login, login_mfa, make_user, unique
from lib import PGBIN, ROOT, STACK, psql_conninfo, sql, wait_until

ANCHORS = os.path.join(STACK, "audit")
PUBKEY = os.path.join(STACK, "keys", "audit.pub.pem")
CANONICAL = ["e.seq::text", "to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')",
             "e.actor_id::text", "e.actor_name", "e.agency_code", "e.action", "e.object_type", "e.object_id",
             "e.outcome", "e.request_id", "e.client_addr", "e.details::text"]


def tbctl_verify(anchor_dir=ANCHORS):
    env = dict(os.environ, TB_PG_ADMIN=psql_conninfo(), TB_AUDIT_ANCHOR_DIR=anchor_dir, TB_AUDIT_PUBKEY=PUBKEY)
    return subprocess.run([os.path.join(ROOT, "build/asan/tbctl"), "audit", "verify"], env=env,
                          capture_output=True, text=True)


def auditor():
    uid, name = make_user(agency="450000", grants=[("auditor", "450000")], totp_enabled=True)
    return login_mfa(name, now=time.time() + 2400 + len(unique("t")) % 7 * 60)


def seal_of(seq):
    rows = sql("SELECT pos FROM audit.seal WHERE event_seq = %d" % seq)
    return int(rows[0][0]) if rows else None


def fresh_events(n):
    """n new events, sealed and anchored; returns the last one's seq."""
    for _ in range(n):
        login(unique("nobody"), expect=401)
    seq = last_audit("auth.login")["seq"]
    assert wait_until(lambda: seal_of(seq) is not None, 15), "not sealed"
    pos = seal_of(seq)
    assert wait_until(lambda: os.path.getsize(os.path.join(ANCHORS, "anchor.log")) // 107 >= pos, 5)
    return seq


def chain_ok(a):
    def answer():
        r = a.get("/api/v1/audit/verify")
        return r.status == 200 and r.json["ok"] is True and r.json["sealing"] is True
    return wait_until(answer, 20)


def seals():
    return sql("SELECT count(*), coalesce(max(pos), 0) FROM audit.seal")[0]


def psql_session(*queries):
    """Run queries in one psql session; the output lines of all of them."""
    args = [os.path.join(PGBIN, "psql"), "-X", "-At", "-v", "ON_ERROR_STOP=1", psql_conninfo()]
    for q in queries:
        args += ["-c", q]
    p = subprocess.run(args, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return [line for line in p.stdout.splitlines() if line]


def rewrite(p_pos, p_seq, q_seq):
    """The attack as found: update one event, delete another, delete the
    seals from the first of them on. Done under the sealer's lock so that
    what is saved for the restore is exactly what is removed. Returns the
    saved events and seals."""
    return psql_session(
        "SELECT pg_advisory_lock(7352911)",
        "SELECT json_agg(e)::jsonb::text FROM audit.event e WHERE seq IN (%d, %d)" % (p_seq, q_seq),
        "SELECT json_agg(s ORDER BY pos)::jsonb::text FROM audit.seal s WHERE pos >= %d" % p_pos,
        "SET session_replication_role = replica",
        "UPDATE audit.event SET outcome = 'success' WHERE seq = %d" % p_seq,
        "DELETE FROM audit.event WHERE seq = %d" % q_seq,
        "DELETE FROM audit.seal WHERE pos >= %d" % p_pos)[:2]


def restore(p_pos, seqs, saved):
    events, kept = saved
    sql("SET session_replication_role = replica;"
        " DELETE FROM audit.seal WHERE pos >= %d;"
        " DELETE FROM audit.event WHERE seq IN (%s);"
        " INSERT INTO audit.event OVERRIDING SYSTEM VALUE"
        "  SELECT * FROM json_populate_recordset(NULL::audit.event, '%s'::json);"
        " INSERT INTO audit.seal SELECT * FROM json_populate_recordset(NULL::audit.seal, '%s'::json)"
        % (p_pos, ",".join(map(str, seqs)), events.replace("'", "''"), kept.replace("'", "''")))


def link(prev, seq):
    """One link of the chain as audit_chain.c computes it (what a superuser
    who read the source would do to forge seals)."""
    cols = ", ".join("coalesce(encode(convert_to(%s, 'UTF8'), 'hex'), '-')" % c for c in CANONICAL)
    row = sql("SELECT %s FROM audit.event e WHERE e.seq = %d" % (cols, seq))[0]
    h = hashlib.sha256(prev)
    for v in row:
        if v == "-":
            h.update(b"\xff\xff\xff\xff")
        else:
            b = bytes.fromhex(v)
            h.update(len(b).to_bytes(4, "big") + b)
    return h.digest()


def victims():
    head = int(seals()[1])
    rows = sql("SELECT pos, event_seq FROM audit.seal WHERE pos IN (%d, %d) ORDER BY pos" % (head - 4, head - 2))
    (p_pos, p_seq), (q_pos, q_seq) = [tuple(map(int, r)) for r in rows]
    return p_pos, p_seq, q_pos, q_seq


def test_superuser_rewrite_is_refused_by_the_sealer_and_named_by_tbctl():
    a = auditor()
    fresh_events(6)
    assert chain_ok(a)
    assert tbctl_verify().returncode == 0
    p_pos, p_seq, q_pos, q_seq = victims()
    before_alert = sql("SELECT coalesce(max(seq), 0) FROM audit.event")[0][0]
    log_size = os.path.getsize(os.path.join(STACK, "log", "admin.log"))
    saved = rewrite(p_pos, p_seq, q_seq)
    try:
        for _ in range(3):
            login(unique("nobody"), expect=401)  # something the sealer would chain on
        time.sleep(4)  # several sealer ticks
        # the sealer did not re-chain the altered history
        assert seals() == [str(p_pos - 1), str(p_pos - 1)]
        with open(os.path.join(STACK, "log", "admin.log")) as f:
            f.seek(log_size)
            logged = f.read()
        assert "the sealer refuses to extend it" in logged, logged[-2000:]
        alert = sql("SELECT object_id, outcome, details->>'reason' FROM audit.event WHERE action = 'audit.chain.alert'"
                    " AND seq > %s ORDER BY seq LIMIT 1" % before_alert)
        assert alert and alert[0][1] == "failure", alert
        r = a.get("/api/v1/audit/verify").json
        assert r["ok"] is False and r["sealing"] is False and r["first_broken_pos"] == p_pos, r
        assert r["first_broken_seq"] == p_seq
        out = tbctl_verify()
        assert out.returncode == 1, out.stdout
        assert ("audit chain BROKEN at position %d (event %d): seal missing (anchored outside the database)"
                % (p_pos, p_seq)) in out.stdout, out.stdout
    finally:
        restore(p_pos, [p_seq, q_seq], saved)
    assert chain_ok(a)
    # sealing resumed on the restored head: the events of the attack's time are chained now
    fresh_events(1)
    assert tbctl_verify().returncode == 0


def test_superuser_rewrite_with_forged_seals_differs_from_the_anchors():
    a = auditor()
    fresh_events(6)
    assert chain_ok(a)
    p_pos, p_seq, q_pos, q_seq = victims()
    saved = rewrite(p_pos, p_seq, q_seq)
    try:
        # the superuser re-chains the altered history itself, consistently
        prev = bytes.fromhex(sql("SELECT encode(hash, 'hex') FROM audit.seal WHERE pos = %d" % (p_pos - 1))[0][0])
        seqs = [int(r[0]) for r in sql("SELECT event_seq FROM json_populate_recordset(NULL::audit.seal, '%s'::json)"
                                       " ORDER BY pos" % saved[1].replace("'", "''"))]
        values = []
        pos = p_pos
        for seq in seqs:
            if seq == q_seq:
                continue
            prev = link(prev, seq)
            values.append("(%d, %d, decode('%s', 'hex'))" % (pos, seq, prev.hex()))
            pos += 1
        sql("INSERT INTO audit.seal (pos, event_seq, hash) VALUES " + ", ".join(values))
        time.sleep(3)
        # the database alone would say ok; the sealer does not chain on it
        forged = p_pos - 1 + len(values)
        assert seals() == [str(forged), str(forged)]
        r = a.get("/api/v1/audit/verify").json
        assert r["ok"] is False and r["sealing"] is False and r["first_broken_pos"] == p_pos, r
        out = tbctl_verify()
        assert out.returncode == 1, out.stdout
        assert ("audit chain BROKEN at position %d (event %d): chain rewritten: differs from the anchored record"
                % (p_pos, p_seq)) in out.stdout, out.stdout
    finally:
        restore(p_pos, [p_seq, q_seq], saved)
    assert chain_ok(a)


def checkpoints():
    with open(os.path.join(ANCHORS, "checkpoints.log")) as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def openssl_verifies(line):
    msg, sig = line.rsplit(" ", 1)
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "msg"), "w") as f:
            f.write(msg)
        subprocess.run(["openssl", "base64", "-d", "-A", "-out", os.path.join(d, "sig")], input=sig.encode(),
                       check=True, capture_output=True)
        p = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", PUBKEY, "-rawin",
                            "-in", os.path.join(d, "msg"), "-sigfile", os.path.join(d, "sig")],
                           capture_output=True, text=True)
        return p.returncode == 0


def test_checkpoints_are_signed_outside_the_database_and_written_every_thirty_seconds():
    key = os.path.join(STACK, "keys", "audit.pem")
    assert os.stat(key).st_mode & 0o077 == 0  # the stack's user only
    first = checkpoints()
    assert first, "no checkpoint written"
    t_last = int(first[-1].split()[2])
    assert time.time() - t_last <= 35, first[-1]
    # the next one comes within the interval (30 s), signed, naming a head the database holds
    assert wait_until(lambda: len(checkpoints()) > len(first), 35, 0.5)
    lines = checkpoints()
    times = [int(l.split()[2]) for l in lines]
    assert all(b - a <= 35 for a, b in zip(times, times[1:])), times
    for line in lines[-3:]:
        assert line.startswith("tongban-audit-checkpoint v1 ")
        assert openssl_verifies(line), line
    _, _, t, pos, seq, hexhash, _ = lines[-1].split(" ")
    if int(pos):
        assert sql("SELECT event_seq, encode(hash, 'hex') FROM audit.seal WHERE pos = %s" % pos) == [[seq, hexhash]]


def tampered_copy(edit):
    d = tempfile.mkdtemp(dir=os.path.join(STACK, "tmp"))
    for name in ("anchor.log", "checkpoints.log"):
        shutil.copy(os.path.join(ANCHORS, name), os.path.join(d, name))
    edit(d)
    return d


def test_a_tampered_checkpoint_signature_is_reported():
    fresh_events(1)

    def flip(d):
        path = os.path.join(d, "checkpoints.log")
        lines = open(path).read().splitlines()
        msg, sig = lines[-1].rsplit(" ", 1)
        lines[-1] = msg + " " + ("B" if sig[0] != "B" else "C") + sig[1:]
        open(path, "w").write("\n".join(lines) + "\n")
    d = tampered_copy(flip)
    try:
        out = tbctl_verify(d)
        n = len(open(os.path.join(d, "checkpoints.log")).read().splitlines())
        assert out.returncode == 1
        assert ("audit checkpoint BROKEN: line %d of checkpoints.log: signature does not verify" % n) in out.stdout, \
            out.stdout
    finally:
        shutil.rmtree(d)


def test_an_altered_anchor_log_is_reported_at_its_position():
    fresh_events(1)
    target = {}

    def alter(d):
        path = os.path.join(d, "anchor.log")
        data = bytearray(open(path, "rb").read())
        pos = len(data) // 107 - 1
        off = (pos - 1) * 107 + 42
        data[off] = ord("0") if data[off] != ord("0") else ord("1")
        open(path, "wb").write(bytes(data))
        target["pos"] = pos
    d = tampered_copy(alter)
    try:
        out = tbctl_verify(d)
        assert out.returncode == 1
        assert ("BROKEN at position %d " % target["pos"]) in out.stdout, out.stdout
        assert "differs from the anchored record" in out.stdout
    finally:
        shutil.rmtree(d)


def test_a_sealer_without_anchors_does_not_seal():
    # it would adopt whatever chain it found at start, a rewrite included
    from test_supervisor import Instance
    inst = Instance()
    try:
        def said():
            with open(os.path.join(inst.dir, "log")) as f:
                return "TB_AUDIT_ANCHOR_DIR is not set: not sealing" in f.read()
        assert wait_until(said, 10)
        with open(os.path.join(inst.dir, "log")) as f:
            assert "adopted" not in f.read()
    finally:
        inst.close()
