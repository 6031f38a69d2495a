"""The prefork supervisor: recycling, graceful stop, immediate stop.
Each test runs its own instance of a service program on a private socket."""
import json
import os
import signal
import subprocess
import tempfile
import time

from lib import (ROOT, STACK, fcgi_connect, fcgi_params, fcgi_read_response,
                 fcgi_request_bytes, wait_until)


class Instance:
    def __init__(self, **env):
        self.dir = tempfile.mkdtemp()
        self.sock = os.path.join(self.dir, "svc.sock")
        e = dict(os.environ, TB_SOCKET=self.sock, TB_WORKERS="1",
                 TB_PG="host=%s/run port=54320 dbname=tongban user=tb_admin" % STACK,
                 TB_REDIS="%s/run/redis.sock" % STACK)
        e.update({k: str(v) for k, v in env.items()})
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.p = subprocess.Popen([os.path.join(ROOT, "build/asan/tongban-admin")], env=e,
                                  stdout=self.log, stderr=self.log)
        assert wait_until(lambda: os.path.exists(self.sock), 10)

    def healthz_pid(self, conn=None):
        s = conn or fcgi_connect(self.sock)
        s.sendall(fcgi_request_bytes(1, fcgi_params("/healthz"), keep=conn is not None))
        status, _, body, _ = fcgi_read_response(s)
        if conn is None:
            s.close()
        assert status == 200
        return json.loads(body)["pid"]

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        self.log.close()


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
