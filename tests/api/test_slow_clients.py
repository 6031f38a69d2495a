"""One client cannot take nginx from the others: slowhttptest holds thousands
of slow connections from 127.0.0.1 (slow bodies, then slowloris headers)
while a second client, from 127.0.0.2, polls /healthz; every probe answers
200. nginx limits connections per address (limit_conn), times out clients
that make no progress and has far more connection slots than one address may
hold at the header stage."""
import os
import shutil
import signal
import socket
import subprocess
import time

from lib import PORT, STACK

PROBE_SOURCE = "127.0.0.2"  # Linux routes all of 127/8 to lo


def probe_healthz(timeout=5.0):
    """GET /healthz from another source address on a fresh connection: the status, or None."""
    s = socket.socket()
    try:
        s.settimeout(timeout)
        s.bind((PROBE_SOURCE, 0))
        s.connect(("127.0.0.1", PORT))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: tongban\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        line = data.split(b"\r\n", 1)[0].split()
        return int(line[1]) if len(line) >= 2 else None
    except OSError:
        return None
    finally:
        s.close()


def attack_while_probing(mode_args, seconds=30):
    """slowhttptest from 127.0.0.1 for `seconds`; the probes' statuses meanwhile."""
    assert shutil.which("slowhttptest"), "slowhttptest is missing (scripts/deps.sh installs it)"
    assert probe_healthz() == 200
    url = "http://127.0.0.1:%d/api/v1/cases" % PORT
    log = open(os.path.join(STACK, "log", "slowhttptest.log"), "ab")
    att = subprocess.Popen(["slowhttptest", "-c", "4500", "-i", "5", "-r", "500", "-s", "8192",
                            "-l", str(seconds), "-u", url] + mode_args,
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    statuses = []
    try:
        time.sleep(6)  # the attack has opened its first thousands of connections
        end = time.time() + seconds - 10
        while time.time() < end:
            statuses.append(probe_healthz())
            time.sleep(0.2)
        held = count_established()
    finally:
        try:
            os.killpg(att.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        att.wait(timeout=30)
        log.close()
    return statuses, held


def refused_by_limit():
    """How many times nginx has refused a connection over the per-address limit."""
    with open(os.path.join(STACK, "log", "nginx-error.log"), errors="replace") as f:
        return sum('limiting connections by zone "peraddr"' in line for line in f)


def count_established():
    """Client-side connections to nginx that are open right now (the attack's)."""
    p = subprocess.run(["ss", "-Htn", "state", "established", "dst", "127.0.0.1:%d" % PORT],
                       capture_output=True, text=True)
    return len(p.stdout.splitlines())


def test_slow_bodies_from_one_address_do_not_starve_another_client():
    before = refused_by_limit()
    statuses, held = attack_while_probing(["-B", "-t", "POST"])
    assert len(statuses) >= 50, statuses
    assert statuses == [200] * len(statuses), statuses
    # the per-address limit, not worker_connections, bounded what it held: the rest got 429
    assert refused_by_limit() > before + 1000, (before, held)


def test_slowloris_from_one_address_does_not_starve_another_client():
    statuses, _ = attack_while_probing(["-H"])
    assert len(statuses) >= 50, statuses
    assert statuses == [200] * len(statuses), statuses
