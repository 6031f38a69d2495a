"""Helpers for API tests: HTTP through nginx, SQL through psql, the stack
script, and a raw FastCGI client for protocol tests. Standard library only."""
import http.client
import json
import os
import socket
import struct
import subprocess
import threading
import time

ROOT = os.environ["TB_ROOT"]
STACK = os.environ["TB_STACK_DIR"]
PORT = int(os.environ["TB_PORT"])
PGBIN = sorted(
    [os.path.join("/usr/lib/postgresql", v, "bin") for v in os.listdir("/usr/lib/postgresql")]
)[-1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


def request(method, path, body=None, headers=None, json_body=None, timeout=30):
    """One request on a fresh connection to the stack's nginx."""
    h = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        h.setdefault("Content-Type", "application/json")
    if isinstance(body, str):
        body = body.encode()
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        if body:
            c.send(body)
        r = c.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def get(path, **kw):
    return request("GET", path, **kw)


def post(path, json_body=None, **kw):
    return request("POST", path, json_body=json_body, **kw)


def psql_conninfo(db="tongban", user="tb_super"):
    return "host=%s/run port=54320 dbname=%s user=%s" % (STACK, db, user)


def sql(query, db="tongban", user="tb_super", check=True):
    """Rows of a query as lists of strings (psql -At)."""
    p = subprocess.run(
        [os.path.join(PGBIN, "psql"), "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
         psql_conninfo(db, user), "-c", query],
        capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("SQL failed: %s\n%s" % (query, p.stderr))
    if not check:
        return p
    return [line.split("\t") for line in p.stdout.splitlines() if line != ""]


def stack(cmd):
    subprocess.run([os.path.join(ROOT, "scripts/stack.sh"), cmd, STACK], check=True,
                   capture_output=True)


def service_pid(svc):
    with open(os.path.join(STACK, "run", svc + ".pid")) as f:
        return int(f.read().strip())


def worker_pids(svc):
    p = subprocess.run(["pgrep", "-P", str(service_pid(svc))], capture_output=True, text=True)
    return sorted(int(x) for x in p.stdout.split())


def wait_until(pred, timeout=10.0, step=0.05):
    end = time.time() + timeout
    while time.time() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def assert_problem(r, status, code):
    assert r.status == status, "expected %d, got %r" % (status, r)
    ct = r.header("Content-Type") or ""
    assert ct.startswith("application/problem+json"), "content type %r for %r" % (ct, r)
    b = r.json
    assert b["status"] == status and b["code"] == code, "expected code %s, got %r" % (code, b)
    assert b["type"] == "urn:tongban:problem:" + code
    assert b.get("detail"), b
    return b


# ---- raw FastCGI, for protocol tests against a worker socket ----------------

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT, STDERR, DATA, GET_VALUES, GET_VALUES_RESULT, UNKNOWN = range(1, 12)


def fcgi_record(rtype, rid, content=b""):
    return struct.pack(">BBHHBB", 1, rtype, rid, len(content), 0, 0) + content


def fcgi_nv(name, value):
    def ln(n):
        return struct.pack("B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return ln(len(name)) + ln(len(value)) + name + value


def fcgi_request_bytes(rid, params, body=b"", keep=True, role=1):
    out = fcgi_record(BEGIN, rid, struct.pack(">HB5x", role, 1 if keep else 0))
    p = b"".join(fcgi_nv(k, v) for k, v in params.items())
    for i in range(0, len(p), 65535):
        out += fcgi_record(PARAMS, rid, p[i:i + 65535])
    out += fcgi_record(PARAMS, rid)
    if body:
        out += fcgi_record(STDIN, rid, body)
    out += fcgi_record(STDIN, rid)
    return out


def fcgi_read_record(s):
    hdr = recv_exact(s, 8)
    if hdr is None:
        return None
    _, rtype, rid, clen, pad, _ = struct.unpack(">BBHHBB", hdr)
    content = recv_exact(s, clen) if clen else b""
    if pad:
        recv_exact(s, pad)
    return rtype, rid, content


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def fcgi_connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def fcgi_read_response(s, rid=1):
    """Read one response: (status, headers dict, body, protocol_status)."""
    out = b""
    while True:
        rec = fcgi_read_record(s)
        if rec is None:
            raise AssertionError("connection closed mid-response")
        rtype, r_id, content = rec
        assert r_id == rid, (r_id, rid)
        if rtype == STDOUT:
            out += content
        elif rtype == END:
            proto = content[4]
            break
    head, _, body = out.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode().split("\r\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip()] = v.strip()
    status = int(headers.get("Status", "200").split()[0]) if headers else 0
    return status, headers, body, proto


def fcgi_params(path, method="GET", remote="127.0.0.1", **extra):
    p = {"REQUEST_METHOD": method, "DOCUMENT_URI": path, "QUERY_STRING": "",
         "REMOTE_ADDR": remote, "REQUEST_ID": "test-%d" % os.getpid()}
    p.update(extra)
    return p


class Load:
    """Threads sending GET path through nginx over kept-alive connections,
    as fast as they can, until stopped; every answer is kept as (time,
    status, body), a failed request as status -1."""

    def __init__(self, path, threads=8):
        self.path, self.stop, self.lock, self.results = path, False, threading.Lock(), []
        self.threads = [threading.Thread(target=self.run) for _ in range(threads)]

    def run(self):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        while not self.stop:
            try:
                c.request("GET", self.path)
                r = c.getresponse()
                out = (time.time(), r.status, r.read())
            except Exception as e:  # a failed request is a result too
                c.close()
                c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                out = (time.time(), -1, repr(e).encode())
            with self.lock:
                self.results.append(out)
        c.close()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *a):
        self.stop = True
        for t in self.threads:
            t.join()
