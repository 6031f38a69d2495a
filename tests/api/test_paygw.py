"""The payment provider adapter (fcgi/core/paygw*.c) and the provider
simulator (tests/paysim/paysim.py): the stack's configuration, the
simulator's protocol as WeChat Pay API v3 plays it, and the C adapter
against the simulator through build/asan/paygw_probe (a small program over
the same code the services link)."""
import base64
import http.server
import json
import os
import subprocess
import threading
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import pay_lib
from lib import ROOT, STACK, service_pid

_seq = [0]


def trade_no():
    # TB<yyyymmdd><10 digits>, unique within this run
    _seq[0] += 1
    return "TB%s%010d" % (time.strftime("%Y%m%d"), (os.getpid() * 1000 + _seq[0]) % 10 ** 10)


def environ(pid):
    with open("/proc/%d/environ" % pid, "rb") as f:
        pairs = [x.split(b"=", 1) for x in f.read().split(b"\0") if b"=" in x]
    return {k.decode(): v.decode() for k, v in pairs}


class Receiver:
    """A stand-in notify URL: records what the provider POSTs and answers
    with the statuses given in turn (then the last one)."""

    def __init__(self, statuses=(204,)):
        self.got, self.statuses = [], list(statuses)
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.got.append(({k.lower(): v for k, v in self.headers.items()}, body))
                st = outer.statuses[min(len(outer.got), len(outer.statuses)) - 1]
                self.send_response(st)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/api/v1/payments/notify" % self.srv.server_address[1]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def platform_verifies(headers, body):
    c = pay_lib.conf()
    with open(c["platform_pub"], "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    msg = ("%s\n%s\n" % (headers["wechatpay-timestamp"], headers["wechatpay-nonce"])).encode() + body + b"\n"
    try:
        pub.verify(base64.b64decode(headers["wechatpay-signature"]), msg, padding.PKCS1v15(), hashes.SHA256())
        return True
    except InvalidSignature:
        return False


# ---- the stack's configuration ----

def test_the_stack_configures_intake_and_public_for_the_simulator():
    base = pay_lib.base()
    k = pay_lib.keys_dir()
    for svc in ("intake", "public"):
        e = environ(service_pid(svc))
        assert e["TB_PAY_PROVIDER"] == "wechat", svc
        assert e["TB_PAY_BASE_URL"] == base, (svc, e["TB_PAY_BASE_URL"])
        assert e["TB_PAY_NOTIFY_URL"].endswith("/api/v1/payments/notify")
        assert e["TB_PAY_MERCHANT_KEY"] == os.path.join(k, "merchant.key")
        assert e["TB_PAY_PLATFORM_KEY"] == os.path.join(k, "platform.pub.pem")
        assert e["TB_PAY_API_KEY"] == os.path.join(k, "api.key")
        c = pay_lib.conf()
        assert (e["TB_PAY_MCHID"], e["TB_PAY_APPID"]) == (c["mchid"], c["appid"])
        assert (e["TB_PAY_MERCHANT_SERIAL"], e["TB_PAY_PLATFORM_SERIAL"]) == (c["merchant_serial"],
                                                                             c["platform_serial"])
    for svc in ("admin", "query"):
        assert "TB_PAY_PROVIDER" not in environ(service_pid(svc)), svc
    # keys: RSA-2048 pairs readable by the stack's user only, a 32-byte API key
    for name in ("merchant.key", "platform.key", "api.key"):
        assert os.stat(os.path.join(k, name)).st_mode & 0o077 == 0, name
    assert len(pay_lib.conf()["api_key"]) == 32
    with open(os.path.join(k, "merchant.key"), "rb") as f:
        assert serialization.load_pem_private_key(f.read(), None).key_size == 2048
    assert os.path.isfile(os.path.join(STACK, "run", "paysim.pid"))


# ---- the simulator's protocol ----

def test_the_simulator_refuses_a_bad_merchant_signature():
    url = "http://127.0.0.1:9/notify"
    no = trade_no()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_path = os.path.join(STACK, "tmp", "other-merchant.pem")
    with open(other_path, "wb") as f:
        f.write(other.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    for auth in ({"tamper": True}, {"key": other_path}, {"serial": "0" * 40}, {"mchid": "1900000001"},
                 {"ts": int(time.time()) - 600}):
        r = pay_lib.native(no, 8000, url, **auth)
        assert r.status == 401 and r.json["code"] == "SIGN_ERROR" and r.json["message"], (auth, r)
        assert pay_lib.verify_reply(r), auth  # refusals are signed by the platform too
    r = pay_lib._http("POST", pay_lib.base() + "/v3/pay/transactions/native", b"{}",
                      {"Content-Type": "application/json"})
    assert r.status == 401 and r.json["code"] == "SIGN_ERROR"
    assert pay_lib.payments(no) == []  # nothing was opened


def test_a_signed_order_gets_a_code_url_in_a_signed_reply():
    no = trade_no()
    r = pay_lib.native(no, 8000, "http://127.0.0.1:9/notify")
    assert r.status == 200, r
    assert r.json["code_url"].startswith(pay_lib.base() + "/pay/")
    assert pay_lib.verify_reply(r)
    # the same order again: the same code_url; a different amount: refused
    assert pay_lib.native(no, 8000, "http://127.0.0.1:9/notify").json == r.json
    r2 = pay_lib.native(no, 8001, "http://127.0.0.1:9/notify")
    assert r2.status == 400 and r2.json["code"] == "OUT_TRADE_NO_USED"
    [p] = pay_lib.payments(no)
    assert p["state"] == "NOTPAY" and p["amount_fen"] == 8000
    # make run's page lists it with its pay link
    page = pay_lib._http("GET", pay_lib.base() + "/")
    assert page.status == 200 and no in page.body.decode() and r.json["code_url"] in page.body.decode()


def test_the_simulator_checks_the_order_body():
    url = "http://127.0.0.1:9/notify"
    for amount, no, code in ((0, trade_no(), "PARAM_ERROR"), (8000, "TB 1", "PARAM_ERROR")):
        r = pay_lib.native(no, amount, url)
        assert r.status == 400 and r.json["code"] == code, r
    c = pay_lib.conf()
    body = {"appid": "wx0000000000000000", "mchid": c["mchid"], "description": "x", "out_trade_no": trade_no(),
            "notify_url": url, "amount": {"total": 1}}
    r = pay_lib.signed("POST", "/v3/pay/transactions/native", body)
    assert r.status == 400 and r.json["code"] == "APPID_MCHID_NOT_MATCH"


def test_paying_notifies_with_a_signed_encrypted_transaction():
    rcv = Receiver()
    try:
        no = trade_no()
        code_url = pay_lib.native(no, 8000, rcv.url).json["code_url"]
        p = pay_lib.pay(code_url)
        assert p["paid_now"] and p["out_trade_no"] == no and p["amount_fen"] == 8000
        assert len(p["transaction_id"]) == 28 and p["transaction_id"].startswith("4200")
        assert [d["status"] for d in p["deliveries"]] == [204]
        [(h, body)] = rcv.got
        assert h["wechatpay-serial"] == pay_lib.conf()["platform_serial"]
        assert abs(int(h["wechatpay-timestamp"]) - time.time()) < 60
        assert platform_verifies(h, body)
        n = json.loads(body)
        assert n["event_type"] == "TRANSACTION.SUCCESS" and n["resource"]["algorithm"] == "AEAD_AES_256_GCM"
        t = pay_lib.decrypt_resource(n["resource"])
        assert (t["out_trade_no"], t["transaction_id"], t["trade_state"], t["amount"]["total"]) == \
            (no, p["transaction_id"], "SUCCESS", 8000)
        assert t["mchid"] == pay_lib.conf()["mchid"] and t["success_time"].endswith("+08:00")
        # paid once: opening the link again pays nothing and sends nothing
        again = pay_lib.pay(code_url)
        assert not again["paid_now"] and again["transaction_id"] == p["transaction_id"]
        time.sleep(0.2)
        assert len(rcv.got) == 1
        # a paid order cannot be closed
        r = pay_lib.signed("POST", "/v3/pay/transactions/out-trade-no/%s/close" % no, {"mchid": pay_lib.conf()["mchid"]})
        assert r.status == 400 and r.json["code"] == "ORDERPAID"
    finally:
        rcv.close()


def test_the_simulator_retries_until_the_platform_says_yes():
    rcv = Receiver([500, 503, 204])
    try:
        no = trade_no()
        p = pay_lib.pay(pay_lib.native(no, 100, rcv.url).json["code_url"])
        assert [d["status"] for d in p["deliveries"]] == [500]
        # WeChat's 15 s, 15 s become 150 ms each
        assert pay_lib.wait_deliveries(no, lambda ds: any(d["status"] == 204 for d in ds), 10)
        ds = pay_lib.payments(no)[0]["deliveries"]
        assert [(d["attempt"], d["status"]) for d in ds] == [(0, 500), (1, 503), (2, 204)]
        # each retry is signed afresh: no nonce twice
        assert len({h["wechatpay-nonce"] for h, _ in rcv.got}) == 3
        assert len({json.loads(b)["id"] for _, b in rcv.got}) == 1  # one notification id
    finally:
        rcv.close()


def test_repeat_sends_copies_at_once_and_notify_0_none():
    rcv = Receiver()
    try:
        no = trade_no()
        p = pay_lib.pay(pay_lib.native(no, 100, rcv.url).json["code_url"], repeat=5)
        assert len(p["deliveries"]) == 5 and len(rcv.got) == 5
        tids = {pay_lib.decrypt_resource(json.loads(b)["resource"])["transaction_id"] for _, b in rcv.got}
        assert tids == {p["transaction_id"]}
        no2 = trade_no()
        p2 = pay_lib.pay(pay_lib.native(no2, 100, rcv.url).json["code_url"], notify=False)
        time.sleep(0.3)
        assert p2["paid_now"] and p2["deliveries"] == [] and len(rcv.got) == 5
        assert pay_lib.payments(no2)[0]["state"] == "SUCCESS"
    finally:
        rcv.close()


def test_crafted_notifications_carry_the_tampering_asked_for():
    no = trade_no()
    pay_lib.native(no, 8000, "http://127.0.0.1:9/notify")
    c = pay_lib.conf()

    def parts(n):
        h = {k.lower(): v for k, v in n["headers"].items()}
        return h, n["body"].encode()

    h, b = parts(pay_lib.craft(no))
    assert platform_verifies(h, b) and h["wechatpay-serial"] == c["platform_serial"]
    assert pay_lib.decrypt_resource(json.loads(b)["resource"])["amount"]["total"] == 8000
    h, b = parts(pay_lib.craft(no, bad_signature=True))
    assert not platform_verifies(h, b)
    h, b = parts(pay_lib.craft(no, wrong_serial=True))
    assert platform_verifies(h, b) and h["wechatpay-serial"] != c["platform_serial"]
    h, b = parts(pay_lib.craft(no, stale=True))
    assert platform_verifies(h, b) and time.time() - int(h["wechatpay-timestamp"]) > 300
    h, b = parts(pay_lib.craft(no, tamper_ciphertext=True))
    assert platform_verifies(h, b)
    r = json.loads(b)["resource"]
    try:
        AESGCM(c["api_key"]).decrypt(r["nonce"].encode(), base64.b64decode(r["ciphertext"]), b"transaction")
        assert False, "tampered ciphertext decrypted"
    except Exception as e:
        assert type(e).__name__ == "InvalidTag"
    h, b = parts(pay_lib.craft(no, amount=1, trade_no="TB000"))
    t = pay_lib.decrypt_resource(json.loads(b)["resource"])
    assert (t["amount"]["total"], t["out_trade_no"]) == (1, "TB000")
    h1, _ = parts(pay_lib.craft(no))
    h2, _ = parts(pay_lib.craft(no, reuse_nonce=True))
    assert h1["wechatpay-nonce"] == h2["wechatpay-nonce"]
    # made in this process from the same code and keys
    n = pay_lib.make_notification(no, 8000, "http://127.0.0.1:9/notify", transaction_id="4200000000202611280000000001")
    h, b = parts(n)
    assert platform_verifies(h, b)
    assert pay_lib.decrypt_resource(json.loads(b)["resource"])["transaction_id"] == "4200000000202611280000000001"
    # crafted copies of one unpaid order share the transaction id
    t1 = pay_lib.decrypt_resource(json.loads(pay_lib.craft(no)["body"])["resource"])
    t2 = pay_lib.decrypt_resource(json.loads(pay_lib.craft(no)["body"])["resource"])
    assert t1["transaction_id"] == t2["transaction_id"]


def test_the_trade_bill_is_in_wechats_format_with_planted_mismatches():
    rcv = Receiver()
    try:
        a, b, cc = trade_no(), trade_no(), trade_no()
        pa = pay_lib.pay(pay_lib.native(a, 8000, rcv.url).json["code_url"])
        pb = pay_lib.pay(pay_lib.native(b, 55000, rcv.url).json["code_url"], notify=False)
        pay_lib.pay(pay_lib.native(cc, 1000, rcv.url).json["code_url"])
        today = pa["success_time"][:10]
        csv = pay_lib.statement(today, tamper=["amount:%s:7999" % a, "drop:%s" % cc, "add:TB000000000001:300"])
        lines = csv.split("\r\n")
        assert lines[-1] == "" and lines[0].startswith("交易时间,公众账号ID,商户号,")
        rows = [x.split(",") for x in lines[1:] if x.startswith("`") and x.count(",") == 26]
        by_no = {r[6][1:]: r for r in rows}
        assert all(f.startswith("`") for r in rows for f in r)
        assert by_no[a][12] == "`79.99" and by_no[a][5] == "`" + pa["transaction_id"]
        assert by_no[b][12] == "`550.00" and by_no[b][5] == "`" + pb["transaction_id"]  # never notified
        assert cc not in by_no and by_no["TB000000000001"][12] == "`3.00"
        i = lines.index("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        summary = lines[i + 1].split(",")
        total = sum(int(r[12][1:].replace(".", "")) for r in rows)
        assert summary[0] == "`%d" % len(rows) and summary[1] == "`%d.%02d" % (total // 100, total % 100)
        # without the unnotified payments
        assert b not in pay_lib.statement(today, unnotified=False)
        r = pay_lib.signed("GET", "/v3/bill/tradebill?bill_date=2026-13-01")
        assert r.status == 400 and r.json["code"] == "PARAM_ERROR"
    finally:
        rcv.close()


# ---- the C adapter against the simulator ----

PROBE = os.path.join(ROOT, "build", "asan", "paygw_probe")


def pay_env(**over):
    """The payment environment the stack gave intake, with changes."""
    e = {k: v for k, v in environ(service_pid("intake")).items() if k.startswith("TB_PAY_")}
    e.update(over)
    e["PATH"] = os.environ.get("PATH", "/usr/bin:/bin")
    e["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0"
    return e


def probe(*args, stdin=b"", **over):
    p = subprocess.run([PROBE] + [str(a) for a in args], input=stdin, capture_output=True,
                       env=pay_env(**over), timeout=30)
    assert b"AddressSanitizer" not in p.stderr and b"runtime error" not in p.stderr, p.stderr[-2000:]
    return p.returncode, p.stdout.decode().strip()


def test_the_adapter_opens_and_closes_orders_at_the_simulator():
    no = trade_no()
    expire = int(time.time()) + 7200
    rc, out = probe("create", no, 8000, expire)
    assert rc == 0 and out.startswith("ok " + pay_lib.base() + "/pay/"), out
    code_url = out[3:]
    [p] = pay_lib.payments(no)
    assert p["amount_fen"] == 8000 and p["description"] == "不动产登记费" and p["state"] == "NOTPAY"
    assert p["time_expire"] == time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(expire + 8 * 3600))
    assert p["notify_url"] == pay_env()["TB_PAY_NOTIFY_URL"]
    # asked again: the same order, the same code_url
    assert probe("create", no, 8000, expire) == (0, out)
    assert probe("close", no) == (0, "ok")
    assert pay_lib.payments(no)[0]["state"] == "CLOSED"
    r = pay_lib._http("GET", code_url + "?format=json")
    assert r.status == 409 and r.json["code"] == "ORDER_CLOSED"
    # a closed order number cannot be opened again
    assert probe("create", no, 8000, expire) == (1, "error provider_refused")


def test_closing_a_paid_order_says_so():
    no = trade_no()
    rc, out = probe("create", no, 100, int(time.time()) + 7200)
    assert rc == 0
    pay_lib.pay(out[3:], notify=False)
    assert probe("close", no) == (1, "error order_paid_at_provider")
    assert probe("create", no, 100, int(time.time()) + 7200) == (1, "error order_paid_at_provider")


def other_simulator(name, replace):
    """A second simulator over a copy of the stack's keys with one file
    replaced by a fresh RSA key (replace: 'platform.key' or 'merchant.pub.pem')."""
    import shutil
    d = os.path.join(STACK, "tmp", name)
    if os.path.exists(d):
        shutil.rmtree(d)
    shutil.copytree(pay_lib.keys_dir(), d)
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(os.path.join(d, replace), "wb") as f:
        if replace.endswith(".key"):
            f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
        else:
            f.write(k.public_key().public_bytes(serialization.Encoding.PEM,
                                                serialization.PublicFormat.SubjectPublicKeyInfo))
    return pay_lib.start(d, os.path.join(d, "port"), os.path.join(STACK, "log", name + ".log"))


def test_the_adapter_refuses_replies_not_signed_by_the_platform_key():
    p, base = other_simulator("paysim-forged-platform", "platform.key")
    try:
        rc, out = probe("create", trade_no(), 100, int(time.time()) + 7200, TB_PAY_BASE_URL=base)
        assert (rc, out) == (1, "error provider_bad_reply")
    finally:
        p.terminate()
        p.wait(10)


def test_a_provider_that_does_not_know_the_merchant_key_refuses():
    p, base = other_simulator("paysim-other-merchant", "merchant.pub.pem")
    try:
        no = trade_no()
        rc, out = probe("create", no, 100, int(time.time()) + 7200, TB_PAY_BASE_URL=base)
        assert (rc, out) == (1, "error provider_refused")
        assert json.loads(pay_lib._http("GET", base + "/-/payments").body)["payments"] == []
    finally:
        p.terminate()
        p.wait(10)


def test_an_unreachable_or_silent_provider_fails_within_the_timeout():
    import socket
    t0 = time.time()
    assert probe("create", trade_no(), 100, int(time.time()) + 7200,
                 TB_PAY_BASE_URL="http://127.0.0.1:1") == (1, "error provider_unreachable")
    # a provider that accepts the connection and never answers
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    try:
        t0 = time.time()
        rc, out = probe("create", trade_no(), 100, int(time.time()) + 7200,
                        TB_PAY_BASE_URL="http://127.0.0.1:%d" % s.getsockname()[1], TB_PAY_TIMEOUT_MS="500")
        assert (rc, out) == (1, "error provider_unreachable") and time.time() - t0 < 5
    finally:
        s.close()


def test_the_adapter_verifies_the_simulators_notifications():
    rcv = Receiver()
    try:
        no = trade_no()
        rc, out = probe("create", no, 8000, int(time.time()) + 7200, TB_PAY_NOTIFY_URL=rcv.url)
        assert rc == 0
        paid = pay_lib.pay(out[3:])
        [(h, body)] = rcv.got

        def verdict(headers, body, *now):
            return probe("notify", headers["wechatpay-timestamp"], headers["wechatpay-nonce"],
                         headers["wechatpay-serial"], headers["wechatpay-signature"], *now, stdin=body)

        rc, out = verdict(h, body)
        f = out.split(" ")
        assert rc == 0 and f[0] == "ok", out
        c = pay_lib.conf()
        assert f[1] == json.loads(body)["id"]
        assert f[2:] == [paid["transaction_id"], no, "SUCCESS", c["mchid"], c["appid"], paid["success_time"], "8000"]
        # the same delivery five minutes and a second later: stale
        assert verdict(h, body, int(h["wechatpay-timestamp"]) + 301) == (1, "stale_timestamp")

        def crafted(**t):
            n = pay_lib.craft(no, **t)
            return verdict({k.lower(): v for k, v in n["headers"].items()}, n["body"].encode())

        assert crafted(bad_signature=True) == (1, "bad_signature")
        assert crafted(wrong_serial=True) == (1, "wrong_serial")
        assert crafted(stale=True) == (1, "stale_timestamp")
        assert crafted(tamper_ciphertext=True) == (1, "decrypt_failed")
        rc, out = crafted(amount=1)
        assert rc == 0 and out.endswith(" 1")  # the amount is the caller's to compare
        rc, out = crafted(trade_no="TB000000000000000000")
        assert rc == 0 and " TB000000000000000000 " in out
    finally:
        rcv.close()
