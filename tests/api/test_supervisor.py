"""The prefork supervisor: recycling, graceful stop, immediate stop, rolling
restarts, workers that die with their master, the slow lane.
Most tests run their own instance of a service program on a private socket;
the rolling restart runs on the stack, behind its nginx."""
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

from case_lib import PDF, RECEIVING, attach, create, mortgage_body, staff, unit
from lib import (PORT, ROOT, STACK, Load, fcgi_connect, fcgi_params, fcgi_read_response,
                 fcgi_request_bytes, service_pid, wait_until, worker_pids)


class Instance:
    def __init__(self, program="admin", **env):
        self.dir = tempfile.mkdtemp()
        self.sock = os.path.join(self.dir, "svc.sock")
        e = dict(os.environ, TB_SOCKET=self.sock, TB_WORKERS="1",
                 TB_PG="host=%s/run port=54320 dbname=tongban user=tb_%s" % (STACK, program),
                 TB_REDIS="%s/run/redis.sock" % STACK,
                 TB_DATA_KEYS=os.path.join(STACK, "keys", "data.keys"))
        e.update({k: str(v) for k, v in env.items()})
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.p = subprocess.Popen([os.path.join(ROOT, "build/asan/tongban-" + program)], env=e,
                                  stdout=self.log, stderr=self.log)
        assert wait_until(lambda: os.path.exists(self.sock), 10)

    def healthz_pid(self, conn=None, sock=None):
        s = conn or fcgi_connect(sock or self.sock)
        s.sendall(fcgi_request_bytes(1, fcgi_params("/healthz"), keep=conn is not None))
        status, _, body, _ = fcgi_read_response(s)
        if conn is None:
            s.close()
        assert status == 200
        return json.loads(body)["pid"]

    def workers(self):
        return children(self.p.pid)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.log.close()


def children(pid):
    p = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return sorted(int(x) for x in p.stdout.split())


def gone(pid):
    """Exited (a zombie not reaped yet counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_worker_recycled_after_max_requests():
    inst = Instance(TB_MAX_REQUESTS=5)
    try:
        pids = [inst.healthz_pid() for _ in range(12)]
        assert len(set(pids[:5])) == 1
        assert pids[5] != pids[0], pids  # the sixth request meets a new worker
        assert len(set(pids)) == 3
    finally:
        inst.close()


def test_sigterm_finishes_the_kept_connection_then_stops():
    inst = Instance(TB_DRAIN_SECONDS=5)
    try:
        s = fcgi_connect(inst.sock)
        inst.healthz_pid(conn=s)
        inst.p.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        # draining: no new connections are taken, the kept one is still served
        assert inst.healthz_pid(conn=s) > 0
        s.close()  # nginx closing its connection lets the worker finish
        assert inst.p.wait(timeout=10) == 0
        assert not os.path.exists(inst.sock)
    finally:
        inst.close()


def test_second_sigint_stops_at_once():
    inst = Instance(TB_DRAIN_SECONDS=60)
    try:
        s = fcgi_connect(inst.sock)
        inst.healthz_pid(conn=s)  # a kept connection would hold a graceful stop for 60 s
        t0 = time.time()
        inst.p.send_signal(signal.SIGINT)
        time.sleep(0.3)
        assert inst.p.poll() is None
        inst.p.send_signal(signal.SIGINT)
        assert inst.p.wait(timeout=5) == 0
        assert time.time() - t0 < 3
        s.close()
    finally:
        inst.close()


def test_bad_configuration_is_refused_at_start():
    p = subprocess.run([os.path.join(ROOT, "build/asan/tongban-admin")],
                       env=dict(os.environ, TB_SOCKET="/tmp/x.sock", TB_WORKERS="zero"),
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 2 and "TB_WORKERS=zero" in p.stderr


def test_workers_die_with_a_master_killed_with_sigkill():
    inst = Instance(TB_WORKERS=2, TB_SLOW_SOCKET=os.path.join(tempfile.mkdtemp(), "slow.sock"),
                    TB_SLOW_WORKERS=1)
    try:
        # two workers, one on the slow lane, the sealer
        assert wait_until(lambda: len(inst.workers()) == 4, 10), inst.workers()
        workers = inst.workers()
        assert inst.healthz_pid() in workers
        inst.p.kill()  # SIGKILL, as the OOM killer does: no chance to stop them
        inst.p.wait()
        assert wait_until(lambda: all(gone(w) for w in workers), 5), [w for w in workers if not gone(w)]
        # nobody holds the socket any more: a connection is refused, not queued
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(inst.sock)
            raise AssertionError("an orphan still holds the socket")
        except ConnectionRefusedError:
            pass
        finally:
            s.close()
    finally:
        inst.close()


def test_the_slow_lane_is_a_pool_of_its_own_under_the_same_master():
    slow = os.path.join(tempfile.mkdtemp(), "slow.sock")
    inst = Instance(TB_WORKERS=1, TB_SLOW_SOCKET=slow, TB_SLOW_WORKERS=1, TB_SLOW_NICE=10)
    try:
        assert wait_until(lambda: os.path.exists(slow), 10)
        main_pid, slow_pid = inst.healthz_pid(), inst.healthz_pid(sock=slow)
        assert main_pid != slow_pid and {main_pid, slow_pid} <= set(inst.workers())
        # TB_SLOW_NICE: the slow lane may yield the CPU to the main lane
        with open("/proc/%d/stat" % slow_pid) as f:
            nice_slow = int(f.read().rsplit(")", 1)[1].split()[16])
        with open("/proc/%d/stat" % main_pid) as f:
            nice_main = int(f.read().rsplit(")", 1)[1].split()[16])
        assert nice_slow - nice_main == 10, (nice_slow, nice_main)
        inst.p.send_signal(signal.SIGTERM)
        assert inst.p.wait(timeout=10) == 0
        assert not os.path.exists(inst.sock) and not os.path.exists(slow)
    finally:
        inst.close()


def test_the_stack_sends_log_in_and_uploads_to_the_slow_lanes():
    # the access log names the socket each request went to
    r = attach(create(mortgage_body(unit()), attach_docs=False).json["id"], "application")
    assert r.status == 201, r
    me = staff[("intake_clerk", RECEIVING)].get("/api/v1/auth/me")
    assert me.status == 200
    time.sleep(1.5)  # the access log is flushed every second
    with open(os.path.join(STACK, "log", "access.log")) as f:
        seen = {e["request_id"]: e for e in map(json.loads, f)}
    assert seen[r.header("X-Request-Id")]["upstream"].endswith("/run/slow-intake.sock")
    assert seen[me.header("X-Request-Id")]["upstream"].endswith("/run/admin.sock")
    logins = [e for e in seen.values() if e["uri"] == "/api/v1/auth/login" and e["method"] == "POST"]
    assert logins and all(e["upstream"].endswith("/run/slow-admin.sock") for e in logins), logins[:3]


def test_sighup_replaces_every_worker_one_by_one_without_a_failed_request():
    master = service_pid("admin")
    before = set(worker_pids("admin"))
    # two workers, the slow lane's (half the cores, at least one: stack.sh), the sealer
    expected = 2 + max(1, int(subprocess.check_output(["nproc"])) // 2) + 1
    assert len(before) == expected, before
    with Load("/-/admin/healthz", threads=4) as h:
        time.sleep(0.5)
        os.kill(master, signal.SIGHUP)
        # every worker replaced, and every replaced one gone after its drain
        replaced = wait_until(lambda: not before & set(worker_pids("admin")), 30, 0.2)
        time.sleep(0.5)
    after = set(worker_pids("admin"))
    assert replaced, (before, after)
    assert len(after) == expected, after
    bad = [r for r in h.results if r[1] != 200]
    assert not bad, bad[:5]
    pids = [json.loads(b)["pid"] for _, _, b in h.results]
    assert len(pids) > 100, "too little load to mean anything: %d" % len(pids)
    assert pids[-1] in after
    # the requests were served by the old workers, then by the new ones
    assert set(pids) & before and set(pids) & after


def test_recycling_under_load_loses_no_request():
    inst = Instance(TB_WORKERS=2, TB_MAX_REQUESTS=40)
    try:
        results, lock, stop = [], threading.Lock(), [False]

        def client():
            while not stop[0]:
                try:
                    out = inst.healthz_pid()
                except Exception as e:
                    out = repr(e)
                with lock:
                    results.append(out)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(3)
        stop[0] = True
        for t in threads:
            t.join()
        bad = [x for x in results if not isinstance(x, int)]
        assert not bad, bad[:5]
        assert len(results) > 200, len(results)
        # a worker takes no new connection after its limit (it still
        # answers the ones it holds: at most one per client)
        assert len(set(results)) >= len(results) // 44
        assert max(results.count(p) for p in set(results)) <= 40 + 4
    finally:
        inst.close()


def test_a_large_response_in_flight_during_sigterm_is_delivered_whole():
    clerk = staff[("intake_clerk", RECEIVING)]
    case_id = create(mortgage_body(unit()), attach_docs=False).json["id"]
    data = PDF + b"%" + os.urandom(6 << 20)  # far more than the socket buffers hold
    a = attach(case_id, "application", data=data)
    assert a.status == 201, a
    inst = Instance(program="intake", TB_DRAIN_SECONDS=5)
    try:
        s = fcgi_connect(inst.sock)
        s.sendall(fcgi_request_bytes(1, fcgi_params(
            "/api/v1/cases/%d/attachments/%d" % (case_id, a.json["id"]),
            HTTP_AUTHORIZATION="Bearer " + clerk.token), keep=False))
        time.sleep(1.0)  # the worker is blocked writing: the client reads nothing yet
        inst.p.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        status, headers, body, _ = fcgi_read_response(s)
        s.close()
        assert status == 200, (status, body[:200])
        assert len(body) == len(data) and body == data
        assert inst.p.wait(timeout=10) == 0
    finally:
        inst.close()


def test_a_log_in_in_flight_during_sigterm_is_answered():
    inst = Instance()
    try:
        raw = json.dumps({"username": "nobody-%d" % os.getpid(), "password": "wrong-password"}).encode()
        s = fcgi_connect(inst.sock)
        inst.healthz_pid(conn=s)  # a kept connection, as nginx holds them
        s.sendall(fcgi_request_bytes(1, fcgi_params("/api/v1/auth/login", method="POST",
                                                     CONTENT_TYPE="application/json",
                                                     CONTENT_LENGTH=str(len(raw))), body=raw, keep=True))
        time.sleep(0.05)  # hashing (a dummy hash for an unknown user: the same cost)
        inst.p.send_signal(signal.SIGTERM)
        status, _, body, _ = fcgi_read_response(s)
        assert status == 401 and json.loads(body)["code"] == "invalid_credentials", (status, body)
        # stopping, the worker answers what comes on its kept connection
        # and then closes it: nginx sends its next request elsewhere (the
        # master forwards the stop; on a loaded machine it may reach the
        # worker a request later: every request is answered until the close)
        closed = False
        for _ in range(20):
            s.settimeout(10)
            assert inst.healthz_pid(conn=s) > 0
            s.settimeout(0.25)
            try:
                closed = s.recv(1) == b""
            except socket.timeout:
                continue
            break
        assert closed
        s.close()
        assert inst.p.wait(timeout=10) == 0
    finally:
        inst.close()
