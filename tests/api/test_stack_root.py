"""`make run` as root from a checkout in a closed directory (root's home is
0700): the service user cannot enter it, so the stack keeps its state under
/var/lib/tongban and the checkout's var/ links there. Runs only as root (CI
is root)."""
import os
import shutil
import socket
import subprocess
import tempfile
import urllib.request

from lib import ROOT


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_a_stack_starts_as_root_from_a_checkout_in_a_closed_directory():
    if os.geteuid() != 0:
        return  # only root starts services as another user
    home = tempfile.mkdtemp(prefix="tb-closed-")
    os.chmod(home, 0o700)
    co = os.path.join(home, "tongban")
    os.mkdir(co)
    for d in ("scripts", "sql", "web", "nginx", "bin", "build/web"):
        shutil.copytree(os.path.join(ROOT, d), os.path.join(co, d), symlinks=True)
    var = os.path.join(co, "var")
    port = free_port()
    env = dict(os.environ, TB_PORT=str(port), TB_PG_FAST="1", TB_WORKERS="1")
    env.pop("TB_SVC_ENV", None)
    state = None
    try:
        p = subprocess.run([os.path.join(co, "scripts", "stack.sh"), "start", var], env=env,
                           capture_output=True, text=True, timeout=180)
        assert p.returncode == 0, p.stderr[-3000:]
        assert os.path.islink(var), p.stderr[-2000:]
        state = os.path.realpath(var)
        assert state.startswith("/var/lib/tongban/tongban-var-"), state
        st = os.stat(state)
        assert st.st_uid != 0 and st.st_mode & 0o777 in (0o755, 0o775, 0o700)
        with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=10) as r:
            assert r.status == 200 and b'"ok"' in r.read()
        # stop and start again through the link: the same state, no second cluster
        subprocess.run([os.path.join(co, "scripts", "stack.sh"), "stop", var], env=env, check=True,
                       capture_output=True, timeout=120)
        p = subprocess.run([os.path.join(co, "scripts", "stack.sh"), "start", var], env=env,
                           capture_output=True, text=True, timeout=180)
        assert p.returncode == 0, p.stderr[-3000:]
        assert os.path.realpath(var) == state
        with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % port, timeout=10) as r:
            assert r.status == 200
    finally:
        subprocess.run([os.path.join(co, "scripts", "stack.sh"), "stop", var], env=env,
                       capture_output=True, timeout=120)
        if state and state.startswith("/var/lib/tongban/"):
            shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
