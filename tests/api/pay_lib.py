"""Helpers for payment tests: the stack's provider simulator
(tests/paysim/paysim.py, started by scripts/stack.sh) and its keys.

    import pay_lib
    r = pay_lib.pay(code_url)                      # pay; the notification is sent
    r = pay_lib.pay(code_url, repeat=20)           # 20 copies at once
    r = pay_lib.pay(code_url, notify=False)        # paid, the platform never hears
    n = pay_lib.craft(out_trade_no, stale=True)    # {url, headers, body}, not sent
    resp = pay_lib.send(n)                         # POST it to the notify URL
    csv = pay_lib.statement("2026-11-28", tamper=["amount:TB…:1"])

The locations come from TB_STACK_DIR (the test harness's stack; pass
stack= for another). Standard library plus python3-cryptography."""
import base64
import http.client
import json
import os
import secrets
import string
import subprocess
import sys
import time
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("TB_ROOT") or os.path.dirname(os.path.dirname(HERE))
SIM = os.path.join(ROOT, "tests", "paysim", "paysim.py")


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

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


def _stack(stack=None):
    s = stack or os.environ.get("TB_STACK_DIR")
    if not s:
        raise RuntimeError("pay_lib: no stack (TB_STACK_DIR)")
    return s


def keys_dir(stack=None):
    return os.path.join(_stack(stack), "keys", "pay")


def _read(path, binary=False):
    with open(path, "rb") as f:
        data = f.read()
    return data if binary else data.decode().strip()


def conf(stack=None):
    """The stack's provider configuration: ids, serials, key paths."""
    k = keys_dir(stack)
    return {
        "mchid": _read(os.path.join(k, "mchid")),
        "appid": _read(os.path.join(k, "appid")),
        "merchant_serial": _read(os.path.join(k, "merchant.serial")),
        "platform_serial": _read(os.path.join(k, "platform.serial")),
        "api_key": _read(os.path.join(k, "api.key"), binary=True).rstrip(b"\r\n"),
        "merchant_key": os.path.join(k, "merchant.key"),
        "merchant_pub": os.path.join(k, "merchant.pub.pem"),
        "platform_key": os.path.join(k, "platform.key"),
        "platform_pub": os.path.join(k, "platform.pub.pem"),
    }


def base(stack=None):
    """The simulator's address, http://127.0.0.1:PORT."""
    return "http://127.0.0.1:%s" % _read(os.path.join(_stack(stack), "run", "paysim.port"))


def _http(method, url, body=None, headers=None, timeout=30):
    u = urllib.parse.urlsplit(url)
    if isinstance(body, str):
        body = body.encode()
    c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
    try:
        target = u.path + ("?" + u.query if u.query else "")
        c.putrequest(method, target, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        if body is not None:
            c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        if body:
            c.send(body)
        r = c.getresponse()
        return Reply(r.status, r.getheaders(), r.read())
    finally:
        c.close()


def _nonce(n=32):
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def _load_private(path):
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def rsa_sign(key_path, msg):
    k = _load_private(key_path)
    return base64.b64encode(k.sign(msg, padding.PKCS1v15(), hashes.SHA256())).decode()


def authorization(method, target, body=b"", stack=None, key=None, serial=None, mchid=None, ts=None,
                  nonce=None, tamper=False):
    """The merchant's Authorization header for a request to the provider."""
    c = conf(stack)
    ts = str(int(time.time()) if ts is None else ts)
    nonce = nonce or _nonce()
    if isinstance(body, str):
        body = body.encode()
    msg = ("%s\n%s\n%s\n%s\n" % (method, target, ts, nonce)).encode() + body + b"\n"
    if tamper:
        msg += b"x"
    sig = rsa_sign(key or c["merchant_key"], msg)
    return ('WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",signature="%s",timestamp="%s",serial_no="%s"'
            % (mchid or c["mchid"], nonce, sig, ts, serial or c["merchant_serial"]))


def signed(method, target, body=b"", stack=None, **auth):
    """A request to the simulator's /v3 API signed as the merchant (auth:
    key=, serial=, mchid=, ts=, nonce=, tamper= to get it wrong)."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body, ensure_ascii=False).encode()
    h = {"Authorization": authorization(method, target, body, stack, **auth), "Accept": "application/json"}
    if body:
        h["Content-Type"] = "application/json"
    return _http(method, base(stack) + target, body or None, h)


def verify_reply(r, stack=None):
    """Does a /v3 reply carry the platform's valid signature?"""
    c = conf(stack)
    with open(c["platform_pub"], "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    ts, nonce, sig = r.header("Wechatpay-Timestamp"), r.header("Wechatpay-Nonce"), r.header("Wechatpay-Signature")
    if not (ts and nonce and sig) or r.header("Wechatpay-Serial") != c["platform_serial"]:
        return False
    try:
        pub.verify(base64.b64decode(sig), ("%s\n%s\n" % (ts, nonce)).encode() + r.body + b"\n",
                   padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


def native(out_trade_no, amount_fen, notify_url, description="不动产登记费", stack=None, **auth):
    """Open a native order at the simulator directly (as the adapter does)."""
    c = conf(stack)
    body = {"appid": c["appid"], "mchid": c["mchid"], "description": description,
            "out_trade_no": out_trade_no, "notify_url": notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"}}
    return signed("POST", "/v3/pay/transactions/native", body, stack, **auth)


def pay(url, repeat=1, notify=True, delay=0, retry=True, same_nonce=False, wait=True, renotify=False):
    """Open a pay URL (code_url) like the customer's phone: the order is paid
    and (unless notify=False) the notification delivered, repeat copies at
    once. Returns {out_trade_no, transaction_id, amount_fen, success_time,
    paid_now, deliveries: [{status, code, …}]} (deliveries of the first
    attempts, unless wait=False or delay)."""
    q = {"format": "json", "repeat": repeat, "delay": delay}
    if not notify:
        q["notify"] = 0
    if not retry:
        q["retry"] = 0
    if same_nonce:
        q["same_nonce"] = 1
    if not wait:
        q["wait"] = 0
    if renotify:
        q["renotify"] = 1
    sep = "&" if "?" in url else "?"
    r = _http("GET", url + sep + urllib.parse.urlencode(q), headers={"Accept": "application/json"})
    if r.status != 200:
        raise AssertionError("pay %s: %r" % (url, r))
    return r.json


def craft(out_trade_no, stack=None, **tamper):
    """A notification for an order, not sent: {url, headers, body}. tamper:
    bad_signature, wrong_serial, stale (True or seconds), ts, tamper_ciphertext,
    amount, trade_no (another out_trade_no inside), transaction_id,
    trade_state, mchid, appid, nonce, reuse_nonce, id, url (needed for an
    order the simulator never saw)."""
    body = dict(tamper, out_trade_no=out_trade_no)
    r = _http("POST", base(stack) + "/-/craft", json.dumps(body).encode(), {"Content-Type": "application/json"})
    if r.status != 200:
        raise AssertionError("craft: %r" % r)
    return r.json


def send(notification, headers=None):
    """POST a notification to its URL from here; the platform's reply."""
    h = dict(notification["headers"])
    h.update(headers or {})
    return _http("POST", notification["url"], notification["body"], h)


def payments(out_trade_no=None, stack=None):
    q = "?out_trade_no=" + urllib.parse.quote(out_trade_no) if out_trade_no else ""
    return json.loads(_http("GET", base(stack) + "/-/payments" + q).body)["payments"]


def statement(date, tamper=(), unnotified=True, stack=None):
    """The trade bill of a day as the merchant fetches it: the signed
    /v3/bill/tradebill, then its download_url. tamper: ["amount:<no>:<fen>",
    "drop:<no>", "add:<no>:<fen>"]. Returns the CSV text."""
    q = [("bill_date", date), ("bill_type", "ALL")] + [("tamper", t) for t in tamper]
    if not unnotified:
        q.append(("unnotified", "0"))
    r = signed("GET", "/v3/bill/tradebill?" + urllib.parse.urlencode(q), stack=stack)
    if r.status != 200:
        raise AssertionError("tradebill: %r" % r)
    url = r.json["download_url"]
    target = url[len(base(stack)):]
    d = signed("GET", target, stack=stack)
    if d.status != 200:
        raise AssertionError("bill download: %r" % d)
    return d.body.decode("utf-8")


def decrypt_resource(resource, stack=None):
    """The transaction inside a notification's resource (tests' check)."""
    c = conf(stack)
    ct = base64.b64decode(resource["ciphertext"])
    plain = AESGCM(c["api_key"]).decrypt(resource["nonce"].encode(), ct,
                                         resource.get("associated_data", "").encode())
    return json.loads(plain)


def start(keys, port_file, log_path=None, retry_scale=0.01):
    """Another simulator over a keys directory (a test of a misconfigured
    provider): (Popen, base). Stop it with p.terminate()."""
    if os.path.exists(port_file):
        os.unlink(port_file)
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    out = open(log_path or os.devnull, "ab")
    p = subprocess.Popen([py, SIM, "--keys", keys, "--port-file", port_file, "--retry-scale", str(retry_scale)],
                         stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    out.close()
    for _ in range(200):
        if os.path.exists(port_file):
            return p, "http://127.0.0.1:%s" % _read(port_file)
        if p.poll() is not None:
            break
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("the simulator did not start")


def wait_deliveries(out_trade_no, pred, timeout=10.0, stack=None):
    """Wait until pred(deliveries of the order) holds (retries run in the
    simulator's background); the deliveries, or None on time-out."""
    end = time.time() + timeout
    while True:
        ps = payments(out_trade_no, stack)
        ds = ps[0]["deliveries"] if ps else []
        if pred(ds):
            return ds
        if time.time() > end:
            return None
        time.sleep(0.05)


_offline = {}


def make_notification(out_trade_no, amount_fen, url, transaction_id=None, stack=None, **tamper):
    """A signed notification made in this process by the simulator's own
    code and keys, without asking it (the bench's thousands of pre-signed
    notifications for pre-made orders): {url, headers, body}. tamper as for
    craft()."""
    import importlib.util
    k = keys_dir(stack)
    sim = _offline.get(k)
    if sim is None:
        spec = importlib.util.spec_from_file_location("paysim", SIM)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sim = _offline[k] = mod.Sim(mod.Keys(k), "", 0)
    c = conf(stack)
    order = {"out_trade_no": out_trade_no, "appid": c["appid"], "mchid": c["mchid"], "amount": amount_fen,
             "state": "SUCCESS", "transaction_id": transaction_id, "success_time": None,
             "openid": "o" + _nonce(27), "notify_url": url, "deliveries": [], "last_nonce": None,
             "notification_id": None}
    return sim.notification(order, **tamper)
