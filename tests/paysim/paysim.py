#!/usr/bin/env python3
"""Payment provider simulator: the provider's side of WeChat Pay API v3 for
the tests and `make run` (README, "Payment provider (adapter and simulator)").

It holds the provider's half of the keys a stack makes under keys/pay/ (the
platform's private key, the merchant's public key, the API v3 key) and plays
the protocol faithfully:

  POST /v3/pay/transactions/native                 verify the merchant's
       Authorization (WECHATPAY2-SHA256-RSA2048) and the order → {code_url}
  POST /v3/pay/transactions/out-trade-no/{no}/close                  → 204
  GET  /v3/pay/transactions/out-trade-no/{no}?mchid=  the transaction
  GET  /v3/bill/tradebill?bill_date=YYYY-MM-DD      → {download_url, …}
  GET  /v3/billdownload/file?token=…                the trade bill (CSV)
  Every /v3 reply is signed with the platform key (Wechatpay-* headers); a
  bad request signature gets 401 {"code": "SIGN_ERROR", "message": …}.

  GET  /pay/<token>   what the QR code encodes: "pays" the order (a 28-digit
       transaction id 4200…) and POSTs the signed, encrypted notification to
       the order's notify_url, retrying on anything but 2xx on WeChat's
       schedule (15 s, 15 s, 30 s, 3 min, …) multiplied by --retry-scale.
       Query: repeat=N (N copies at once), notify=0 (pay, never notify),
       delay=ms, retry=0, same_nonce=1 (byte-identical copies), wait=0,
       renotify=1 (an order already paid: deliver again), format=json.

Control API for the tests (not part of the provider's protocol):
  GET  /             the orders, each unpaid one with its pay link (make run)
  GET  /-/health
  GET  /-/payments[?out_trade_no=]      orders, payments and deliveries
  POST /-/craft {out_trade_no, send?, bad_signature?, wrong_serial?, stale?,
       ts?, tamper_ciphertext?, amount?, trade_no?, transaction_id?,
       trade_state?, mchid?, appid?, nonce?, reuse_nonce?, id?, url?}
       → {url, headers, body} (send: also delivered once → status, reply)
  POST /-/send {url?, headers, body}     deliver a notification as given
  GET  /-/tradebill?bill_date=…&tamper=… the trade bill without signing
Trade bill options: tamper=amount:<out_trade_no>:<fen> (that line's amount),
tamper=drop:<out_trade_no> (leave a payment out), tamper=add:<out_trade_no>:
<fen> (a line for a payment the simulator never took), unnotified=0 (leave
out payments made with notify=0; by default they are in, as the provider
took the money).

Standard library plus python3-cryptography. Binds 127.0.0.1 only.
"""
import argparse
import base64
import datetime
import hashlib
import html
import http.server
import json
import os
import re
import secrets
import signal
import string
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CST = datetime.timezone(datetime.timedelta(hours=8))
MAX_BODY = 65536
SKEW = 300
# WeChat's notification retry schedule in seconds (15s/15s/30s/3m/10m/20m/
# 30m/30m/30m/60m/3h/3h/3h/6h/6h), multiplied by --retry-scale
RETRY = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600]
TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,"
               "交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,"
               "充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
BILL_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def log(msg, **kw):
    kw.update(ts=datetime.datetime.now(CST).isoformat(timespec="milliseconds"), msg=msg)
    sys.stderr.write(json.dumps(kw, ensure_ascii=False) + "\n")
    sys.stderr.flush()


def nonce_str(n=32):
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, CST).isoformat(timespec="seconds")


def parse_rfc3339(s):
    if not isinstance(s, str) or not RFC3339.match(s):
        return None
    try:
        return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def yuan(fen):
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return "%s%d.%02d" % (sign, fen // 100, fen % 100)


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode().strip()


class Keys:
    """The provider's half of a stack's keys/pay/ directory."""

    def __init__(self, d):
        with open(os.path.join(d, "platform.key"), "rb") as f:
            self.platform = serialization.load_pem_private_key(f.read(), None)
        with open(os.path.join(d, "merchant.pub.pem"), "rb") as f:
            self.merchant_pub = serialization.load_pem_public_key(f.read())
        self.platform_serial = read_text(os.path.join(d, "platform.serial"))
        self.merchant_serial = read_text(os.path.join(d, "merchant.serial"))
        with open(os.path.join(d, "api.key"), "rb") as f:
            self.api_key = f.read().rstrip(b"\r\n")
        if len(self.api_key) != 32:
            raise SystemExit("paysim: api.key is not 32 bytes")
        self.mchid = read_text(os.path.join(d, "mchid"))
        self.appid = read_text(os.path.join(d, "appid"))

    def sign(self, msg):
        return base64.b64encode(self.platform.sign(msg, padding.PKCS1v15(), hashes.SHA256())).decode()

    def verify_merchant(self, msg, sig):
        try:
            raw = base64.b64decode(sig, validate=True)
            self.merchant_pub.verify(raw, msg, padding.PKCS1v15(), hashes.SHA256())
            return True
        except (InvalidSignature, ValueError):
            return False


class Refusal(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class Sim:
    def __init__(self, keys, base, retry_scale):
        self.keys = keys
        self.base = base
        self.retry_scale = retry_scale
        self.lock = threading.Lock()
        self.orders = {}   # out_trade_no -> order dict
        self.tokens = {}   # pay token -> out_trade_no
        self.bills = {}    # download token -> bytes
        self.seq = 0

    # ---- the merchant's requests ----

    def check_auth(self, method, target, body, auth):
        """The merchant's Authorization header, as WeChat checks it."""
        scheme = "WECHATPAY2-SHA256-RSA2048 "
        if not auth or not auth.startswith(scheme):
            raise Refusal(401, "SIGN_ERROR", "Authorization 头缺失或认证类型错误")
        fields = dict(re.findall(r'(\w+)="([^"]*)"', auth[len(scheme):]))
        for k in ("mchid", "nonce_str", "signature", "timestamp", "serial_no"):
            if not fields.get(k):
                raise Refusal(401, "SIGN_ERROR", "Authorization 缺少 %s" % k)
        if fields["mchid"] != self.keys.mchid:
            raise Refusal(401, "SIGN_ERROR", "商户号不存在或与证书不匹配")
        if fields["serial_no"] != self.keys.merchant_serial:
            raise Refusal(401, "SIGN_ERROR", "商户证书序列号错误")
        try:
            ts = int(fields["timestamp"])
        except ValueError:
            raise Refusal(401, "SIGN_ERROR", "时间戳格式错误")
        if abs(time.time() - ts) > SKEW:
            raise Refusal(401, "SIGN_ERROR", "请求时间戳已过期")
        msg = ("%s\n%s\n%s\n%s\n" % (method, target, fields["timestamp"], fields["nonce_str"])).encode() \
            + body + b"\n"
        if not self.keys.verify_merchant(msg, fields["signature"]):
            raise Refusal(401, "SIGN_ERROR", "签名错误")
        return fields

    def native(self, body):
        try:
            o = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise Refusal(400, "PARAM_ERROR", "请求体不是合法的 JSON")
        if not isinstance(o, dict):
            raise Refusal(400, "PARAM_ERROR", "请求体不是 JSON 对象")
        for k in ("appid", "mchid", "description", "out_trade_no", "notify_url", "amount"):
            if k not in o:
                raise Refusal(400, "PARAM_ERROR", "缺少参数 %s" % k)
        if o["mchid"] != self.keys.mchid or o["appid"] != self.keys.appid:
            raise Refusal(400, "APPID_MCHID_NOT_MATCH", "appid 和 mch_id 不匹配")
        no, desc, url = o["out_trade_no"], o["description"], o["notify_url"]
        if not isinstance(no, str) or not TRADE_NO.match(no):
            raise Refusal(400, "PARAM_ERROR", "out_trade_no 格式错误")
        if not isinstance(desc, str) or not desc or len(desc.encode()) > 127:
            raise Refusal(400, "PARAM_ERROR", "description 长度错误")
        # WeChat requires https; the simulator also takes http for a local stack
        if not isinstance(url, str) or not re.match(r"^https?://[^\s?#]+$", url) or len(url) > 256:
            raise Refusal(400, "PARAM_ERROR", "notify_url 格式错误")
        amount = o["amount"]
        if not isinstance(amount, dict) or type(amount.get("total")) is not int or amount["total"] < 1:
            raise Refusal(400, "PARAM_ERROR", "amount.total 必须为正整数（分）")
        if amount.get("currency", "CNY") != "CNY":
            raise Refusal(400, "PARAM_ERROR", "currency 仅支持 CNY")
        expire = None
        if "time_expire" in o:
            expire = parse_rfc3339(o["time_expire"])
            if expire is None:
                raise Refusal(400, "PARAM_ERROR", "time_expire 格式错误（RFC 3339）")
        with self.lock:
            old = self.orders.get(no)
            if old is not None:
                if old["state"] == "SUCCESS":
                    raise Refusal(400, "ORDERPAID", "该订单已支付")
                if old["state"] == "CLOSED":
                    raise Refusal(400, "ORDER_CLOSED", "该订单已关闭")
                if old["amount"] != amount["total"] or old["description"] != desc:
                    raise Refusal(400, "OUT_TRADE_NO_USED", "商户订单号重复")
                return {"code_url": old["code_url"]}
            token = secrets.token_urlsafe(18)
            order = {
                "out_trade_no": no, "appid": o["appid"], "mchid": o["mchid"], "description": desc,
                "amount": amount["total"], "notify_url": url, "time_expire": expire,
                "created": time.time(), "state": "NOTPAY", "token": token,
                "code_url": "%s/pay/%s" % (self.base, token), "transaction_id": None,
                "success_time": None, "openid": None, "notify": True, "deliveries": [],
                "last_nonce": None, "notification_id": None,
            }
            self.orders[no] = order
            self.tokens[token] = no
        log("order", out_trade_no=no, amount=amount["total"])
        return {"code_url": order["code_url"]}

    def close(self, no, body):
        try:
            o = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, ValueError):
            raise Refusal(400, "PARAM_ERROR", "请求体不是合法的 JSON")
        if not isinstance(o, dict) or o.get("mchid") != self.keys.mchid:
            raise Refusal(400, "PARAM_ERROR", "mchid 错误")
        with self.lock:
            order = self.orders.get(no)
            if order is None:
                raise Refusal(404, "ORDER_NOT_EXIST", "订单不存在")
            if order["state"] == "SUCCESS":
                raise Refusal(400, "ORDERPAID", "该订单已支付")
            order["state"] = "CLOSED"
        log("close", out_trade_no=no)

    def query(self, no):
        with self.lock:
            order = self.orders.get(no)
            if order is None:
                raise Refusal(404, "ORDER_NOT_EXIST", "订单不存在")
            return self.transaction(order)

    # ---- paying and notifying ----

    def transaction(self, order, **over):
        t = {
            "appid": order["appid"], "mchid": order["mchid"], "out_trade_no": order["out_trade_no"],
            "transaction_id": order["transaction_id"] or "", "trade_type": "NATIVE",
            "trade_state": order["state"],
            "trade_state_desc": {"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭"}[order["state"]],
            "bank_type": "OTHERS", "attach": "",
            "payer": {"openid": order["openid"] or ""},
            "amount": {"total": order["amount"], "payer_total": order["amount"], "currency": "CNY",
                       "payer_currency": "CNY"},
        }
        if order["success_time"]:
            t["success_time"] = rfc3339(order["success_time"])
        for k, v in over.items():
            if k == "amount":
                t["amount"]["total"] = t["amount"]["payer_total"] = v
            else:
                t[k] = v
        return t

    def new_transaction_id(self, when):
        # 28 digits like WeChat's: 4200 00 + 4 + yyyymmdd + 10
        d = datetime.datetime.fromtimestamp(when, CST).strftime("%Y%m%d")
        return "420000%04d%s%010d" % (secrets.randbelow(10000), d, secrets.randbelow(10 ** 10))

    def pay(self, token):
        with self.lock:
            no = self.tokens.get(token)
            if no is None:
                raise Refusal(404, "ORDER_NOT_EXIST", "订单不存在")
            order = self.orders[no]
            if order["state"] == "CLOSED":
                raise Refusal(409, "ORDER_CLOSED", "订单已关闭")
            if order["state"] == "SUCCESS":
                return order, False
            if order["time_expire"] is not None and time.time() > order["time_expire"]:
                raise Refusal(409, "ORDER_EXPIRED", "二维码已过期")
            now = time.time()
            order.update(state="SUCCESS", success_time=now, transaction_id=self.new_transaction_id(now),
                         openid="o" + nonce_str(27))
            order["notification_id"] = "EV-" + nonce_str(20)
        log("paid", out_trade_no=no, transaction_id=order["transaction_id"])
        return order, True

    def notification(self, order, **t):
        """A notification for order as the provider makes it: {url, headers,
        body}; t tampers with it (see the module's doc)."""
        over = {}
        for k in ("amount", "trade_state", "mchid", "appid", "transaction_id"):
            if t.get(k) is not None:
                over[k] = t[k]
        if t.get("trade_no"):
            over["out_trade_no"] = t["trade_no"]
        if not order.get("transaction_id") and "transaction_id" not in over:
            # a notification for an order not paid here: one transaction id
            # and time for all its crafted copies, as for a real payment
            with self.lock:
                if not order.get("craft_tid"):
                    order["craft_tid"] = self.new_transaction_id(time.time())
                    order["craft_time"] = rfc3339(time.time())
            over["transaction_id"] = order["craft_tid"]
            over["success_time"] = order["craft_time"]
        if "trade_state" not in over:
            over["trade_state"] = "SUCCESS"
            over["trade_state_desc"] = "支付成功"
        plain = json.dumps(self.transaction(order, **over), ensure_ascii=False, separators=(",", ":")).encode()
        rnonce = nonce_str(12)
        ct = bytearray(AESGCM(self.keys.api_key).encrypt(rnonce.encode(), plain, b"transaction"))
        if t.get("tamper_ciphertext"):
            ct[len(ct) // 3] ^= 0x01
        now = time.time()
        envelope = {
            "id": t.get("id") or order.get("notification_id") or "EV-" + nonce_str(20),
            "create_time": rfc3339(now),
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                         "ciphertext": base64.b64encode(bytes(ct)).decode(),
                         "associated_data": "transaction", "nonce": rnonce},
        }
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
        if t.get("ts") is not None:
            ts = str(t["ts"])
        elif t.get("stale"):
            ts = str(int(now) - (SKEW + 1 if t["stale"] is True else int(t["stale"])))
        else:
            ts = str(int(now))
        if t.get("nonce"):
            nonce = t["nonce"]
        elif t.get("reuse_nonce") and order.get("last_nonce"):
            nonce = order["last_nonce"]
        else:
            nonce = nonce_str(32)
        msg = ("%s\n%s\n%s\n" % (ts, nonce, body)).encode()
        if t.get("bad_signature"):
            msg = msg + b"tampered"
        sig = self.keys.sign(msg)
        serial = self.keys.platform_serial
        if t.get("wrong_serial"):
            serial = "".join(secrets.choice("0123456789ABCDEF") for _ in range(40))
        with self.lock:
            order["last_nonce"] = nonce
        return {
            "url": t.get("url") or order["notify_url"],
            "headers": {
                "Content-Type": "application/json",
                "Wechatpay-Timestamp": ts,
                "Wechatpay-Nonce": nonce,
                "Wechatpay-Signature": sig,
                "Wechatpay-Serial": serial,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
                "Request-ID": nonce_str(24),
            },
            "body": body,
        }

    def deliver(self, n):
        """One POST of a notification; (status, reply text). 0 when the
        notify URL could not be reached."""
        data = n["body"].encode() if isinstance(n["body"], str) else n["body"]
        req = urllib.request.Request(n["url"], data=data, method="POST", headers=n["headers"])
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return r.status, r.read(MAX_BODY).decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read(MAX_BODY).decode("utf-8", "replace")
        except (OSError, urllib.error.URLError) as e:
            return 0, str(e)

    def record(self, order, copy, attempt, status, reply, nonce):
        d = {"at": rfc3339(time.time()), "copy": copy, "attempt": attempt, "status": status,
             "nonce": nonce}
        try:
            d["code"] = json.loads(reply).get("code") if reply else None
        except (ValueError, AttributeError):
            d["code"] = None
        with self.lock:
            order["deliveries"].append(d)
        log("notify", out_trade_no=order["out_trade_no"], copy=copy, attempt=attempt, status=status,
            code=d["code"])
        return d

    def notify(self, order, repeat=1, delay_ms=0, retry=True, same_nonce=False, wait=True):
        """Send repeat copies at once after delay_ms; each retries on non-2xx.
        Returns the first attempts' results when waiting."""
        first = [None] * repeat
        barrier = threading.Barrier(repeat)
        shared = self.notification(order) if same_nonce else None

        def run(i):
            if delay_ms:
                time.sleep(delay_ms / 1000.0)
            n = shared or self.notification(order)
            try:
                barrier.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass
            status, reply = self.deliver(n)
            first[i] = self.record(order, i, 0, status, reply, n["headers"]["Wechatpay-Nonce"])
            attempt = 0
            while retry and not 200 <= status < 300 and attempt < len(RETRY):
                time.sleep(RETRY[attempt] * self.retry_scale)
                attempt += 1
                # a retry is a new delivery: a fresh timestamp, nonce and signature
                n = self.notification(order)
                status, reply = self.deliver(n)
                self.record(order, i, attempt, status, reply, n["headers"]["Wechatpay-Nonce"])

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(repeat)]
        for th in threads:
            th.start()
        if not wait or delay_ms:
            return []
        end = time.time() + 15
        while time.time() < end and any(f is None for f in first):
            time.sleep(0.01)
        return [f for f in first if f is not None]

    def payments(self, no=None):
        with self.lock:
            out = []
            for o in self.orders.values():
                if no and o["out_trade_no"] != no:
                    continue
                out.append({
                    "out_trade_no": o["out_trade_no"], "state": o["state"], "amount_fen": o["amount"],
                    "description": o["description"], "transaction_id": o["transaction_id"],
                    "success_time": rfc3339(o["success_time"]) if o["success_time"] else None,
                    "notify": o["notify"], "notify_url": o["notify_url"], "code_url": o["code_url"],
                    "time_expire": rfc3339(o["time_expire"]) if o["time_expire"] else None,
                    "deliveries": list(o["deliveries"]),
                })
            return out

    # ---- the trade bill ----

    def tradebill(self, bill_date, tampers, unnotified=True):
        try:
            day = datetime.date.fromisoformat(bill_date)
        except (TypeError, ValueError):
            raise Refusal(400, "PARAM_ERROR", "bill_date 格式错误（YYYY-MM-DD）")
        amounts, drops, adds = {}, set(), []
        for t in tampers:
            parts = t.split(":")
            try:
                if parts[0] == "amount" and len(parts) == 3:
                    amounts[parts[1]] = int(parts[2])
                elif parts[0] == "drop" and len(parts) == 2:
                    drops.add(parts[1])
                elif parts[0] == "add" and len(parts) == 3:
                    adds.append((parts[1], int(parts[2])))
                else:
                    raise ValueError
            except ValueError:
                raise Refusal(400, "PARAM_ERROR", "tamper 格式错误：%s" % t)
        rows = []
        with self.lock:
            for o in self.orders.values():
                if o["state"] != "SUCCESS" or o["out_trade_no"] in drops:
                    continue
                if not unnotified and not o["notify"]:
                    continue
                when = datetime.datetime.fromtimestamp(o["success_time"], CST)
                if when.date() != day:
                    continue
                rows.append((when, o["transaction_id"], o["out_trade_no"], o["openid"],
                             amounts.get(o["out_trade_no"], o["amount"]), o["description"]))
        for no, fen in adds:
            when = datetime.datetime.combine(day, datetime.time(12, 0), CST)
            rows.append((when, self.new_transaction_id(when.timestamp()), no, "o" + nonce_str(27), fen,
                         "不动产登记费"))
        rows.sort()

        def line(fields):
            # WeChat prefixes every field with a backtick so spreadsheets
            # keep long numbers as text
            return ",".join("`" + f for f in fields)

        out = [BILL_HEADER]
        total = fee = 0
        for when, tid, no, openid, fen, desc in rows:
            # the provider's fee, 0.6 %, in 1e-5 yuan (fen × 6): no floating point
            f5 = fen * 6
            total += fen
            fee += f5
            out.append(line([when.strftime("%Y-%m-%d %H:%M:%S"), self.keys.appid, self.keys.mchid, "0", "",
                             tid, no, openid, "NATIVE", "SUCCESS", "OTHERS", "CNY", yuan(fen), "0.00", "0",
                             "0", "0.00", "0.00", "", "", desc.replace(",", "，"), "",
                             "%d.%05d" % (f5 // 100000, f5 % 100000), "0.60%", yuan(fen), "0.00", ""]))
        out.append(BILL_SUMMARY)
        out.append(line([str(len(rows)), yuan(total), "0.00", "0.00",
                         "%d.%05d" % (fee // 100000, fee % 100000), yuan(total), "0.00"]))
        return ("\r\n".join(out) + "\r\n").encode("utf-8")


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "paysim/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    @property
    def sim(self):
        return self.server.sim

    def body(self):
        n = self.headers.get("Content-Length")
        try:
            n = int(n) if n else 0
        except ValueError:
            raise Refusal(400, "PARAM_ERROR", "Content-Length 错误")
        if n < 0 or n > MAX_BODY:
            raise Refusal(413, "PARAM_ERROR", "请求体过大")
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", ctype="application/json", signed=False, extra=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if body or status != 204:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-ID", nonce_str(24))
        if signed:
            # the provider signs its replies: "ts\nnonce\nbody\n" with the platform key
            ts, nonce = str(int(time.time())), nonce_str(32)
            self.send_header("Wechatpay-Timestamp", ts)
            self.send_header("Wechatpay-Nonce", nonce)
            self.send_header("Wechatpay-Serial", self.sim.keys.platform_serial)
            self.send_header("Wechatpay-Signature",
                             self.sim.keys.sign(("%s\n%s\n" % (ts, nonce)).encode() + body + b"\n"))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def wants_json(self, q):
        return q.get("format") == "json" or "application/json" in (self.headers.get("Accept") or "")

    def page(self, status, title, lines):
        body = ("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width\"><title>%s</title>"
                "<body style=\"font-family:sans-serif;text-align:center;padding:2em\"><h1>%s</h1>%s</body></html>"
                % (html.escape(title), html.escape(title),
                   "".join("<p>%s</p>" % html.escape(x) for x in lines)))
        self.reply(status, body, "text/html; charset=utf-8")

    def dispatch(self, method):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        qa = urllib.parse.parse_qs(u.query)
        path = u.path
        try:
            body = self.body()
            if path.startswith("/v3/"):
                return self.v3(method, path, q, qa, body)
            if path.startswith("/pay/") and method == "GET":
                return self.pay(path[5:], q)
            if path.startswith("/-/"):
                return self.control(method, path[3:], q, qa, body)
            if path == "/" and method == "GET":
                return self.index()
            raise Refusal(404, "NOT_FOUND", "无此接口")
        except Refusal as r:
            if path.startswith("/pay/") and not self.wants_json(q):
                return self.page(r.status, r.message, [])
            self.reply(r.status, {"code": r.code, "message": r.message}, signed=path.startswith("/v3/"))
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            # a control request with a wrong type: the provider's own 500
            log("error", path=path, error=repr(e))
            self.reply(500, {"code": "SYSTEM_ERROR", "message": "系统错误"}, signed=path.startswith("/v3/"))

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def v3(self, method, path, q, qa, body):
        self.sim.check_auth(method, self.path, body, self.headers.get("Authorization"))
        m = re.match(r"^/v3/pay/transactions/out-trade-no/([^/]+)(/close)?$", path)
        if method == "POST" and path == "/v3/pay/transactions/native":
            return self.reply(200, self.sim.native(body), signed=True)
        if m and method == "POST" and m.group(2):
            self.sim.close(urllib.parse.unquote(m.group(1)), body)
            return self.reply(204, b"", signed=True)
        if m and method == "GET" and not m.group(2):
            if q.get("mchid") != self.sim.keys.mchid:
                raise Refusal(400, "PARAM_ERROR", "mchid 错误")
            return self.reply(200, self.sim.query(urllib.parse.unquote(m.group(1))), signed=True)
        if method == "GET" and path == "/v3/bill/tradebill":
            csv = self.sim.tradebill(q.get("bill_date"), qa.get("tamper", []), q.get("unnotified", "1") != "0")
            token = secrets.token_urlsafe(18)
            with self.sim.lock:
                self.sim.bills[token] = csv
            return self.reply(200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(csv).hexdigest(),
                                    "download_url": "%s/v3/billdownload/file?token=%s" % (self.sim.base, token)},
                              signed=True)
        if method == "GET" and path == "/v3/billdownload/file":
            with self.sim.lock:
                csv = self.sim.bills.get(q.get("token", ""))
            if csv is None:
                raise Refusal(404, "RESOURCE_NOT_EXISTS", "账单文件不存在")
            # the file itself is not signed (WeChat: check it against hash_value)
            return self.reply(200, csv, "text/csv; charset=utf-8")
        raise Refusal(404, "NOT_FOUND", "无此接口")

    def pay(self, token, q):
        try:
            repeat = int(q.get("repeat", "1"))
            delay = int(q.get("delay", "0"))
        except ValueError:
            raise Refusal(400, "PARAM_ERROR", "repeat 或 delay 不是整数")
        if not 1 <= repeat <= 100 or not 0 <= delay <= 600000:
            raise Refusal(400, "PARAM_ERROR", "repeat 1..100, delay 0..600000")
        order, new = self.sim.pay(token)
        notify = q.get("notify", "1") != "0"
        if new and not notify:
            order["notify"] = False
        results = []
        if (new and notify) or (not new and q.get("renotify") == "1"):
            results = self.sim.notify(order, repeat, delay, q.get("retry", "1") != "0", q.get("same_nonce") == "1",
                                      q.get("wait", "1") != "0")
        if self.wants_json(q):
            return self.reply(200, {
                "out_trade_no": order["out_trade_no"], "transaction_id": order["transaction_id"],
                "amount_fen": order["amount"], "success_time": rfc3339(order["success_time"]),
                "paid_now": new, "deliveries": results})
        self.page(200, "支付成功" if new else "订单已支付",
                  ["商户订单号 " + order["out_trade_no"], "金额 %s 元" % yuan(order["amount"]),
                   "微信支付单号 " + order["transaction_id"]])

    def index(self):
        """For `make run`: the orders the simulator holds, newest first, each
        unpaid one with its pay link (what scanning its QR code opens)."""
        rows = []
        for p in reversed(self.sim.payments()):
            link = ('<a href="%s">支付</a>' % html.escape(p["code_url"])) if p["state"] == "NOTPAY" else ""
            rows.append("<tr><td>%s</td><td>%s 元</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td></tr>" % (
                html.escape(p["out_trade_no"]), yuan(p["amount_fen"]),
                {"NOTPAY": "未支付", "SUCCESS": "已支付", "CLOSED": "已关闭"}[p["state"]],
                html.escape(p["transaction_id"] or ""), len(p["deliveries"]), link))
        body = ("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>支付模拟器</title>"
                "<body style=\"font-family:sans-serif\"><h1>支付模拟器（微信支付 API v3）</h1>"
                "<p>商户号 %s · 仅供演示与测试</p><table border=\"1\" cellpadding=\"4\">"
                "<tr><th>商户订单号</th><th>金额</th><th>状态</th><th>微信支付单号</th><th>通知次数</th><th></th></tr>"
                "%s</table></body></html>" % (html.escape(self.sim.keys.mchid), "".join(rows)))
        self.reply(200, body, "text/html; charset=utf-8")

    def control(self, method, path, q, qa, body):
        if path == "health":
            return self.reply(200, {"ok": True, "mchid": self.sim.keys.mchid, "appid": self.sim.keys.appid})
        if path == "payments" and method == "GET":
            return self.reply(200, {"payments": self.sim.payments(q.get("out_trade_no"))})
        if path == "tradebill" and method == "GET":
            csv = self.sim.tradebill(q.get("bill_date"), qa.get("tamper", []), q.get("unnotified", "1") != "0")
            return self.reply(200, csv, "text/csv; charset=utf-8")
        if method == "POST" and path in ("craft", "send"):
            try:
                o = json.loads(body.decode("utf-8"))
                assert isinstance(o, dict)
            except (UnicodeDecodeError, ValueError, AssertionError):
                raise Refusal(400, "PARAM_ERROR", "请求体不是 JSON 对象")
            if path == "send":
                n = {"url": o.get("url"), "headers": o.get("headers") or {}, "body": o.get("body", "")}
                if not n["url"]:
                    raise Refusal(400, "PARAM_ERROR", "缺少 url")
                status, reply = self.sim.deliver(n)
                return self.reply(200, {"status": status, "reply": reply})
            return self.craft(o)
        raise Refusal(404, "NOT_FOUND", "无此接口")

    def craft(self, o):
        no = o.get("out_trade_no")
        if not isinstance(no, str) or not no:
            raise Refusal(400, "PARAM_ERROR", "缺少 out_trade_no")
        with self.sim.lock:
            order = self.sim.orders.get(no)
        if order is None:
            # an order the simulator never saw (e.g. one made straight in the
            # database): its notification still needs a notify URL
            if not o.get("url"):
                raise Refusal(400, "PARAM_ERROR", "未知订单需要 url")
            order = {"out_trade_no": no, "appid": self.sim.keys.appid, "mchid": self.sim.keys.mchid,
                     "amount": int(o.get("amount") or 1), "state": "SUCCESS", "transaction_id": None,
                     "success_time": None, "openid": "o" + nonce_str(27), "notify_url": o["url"],
                     "deliveries": [], "last_nonce": None, "notification_id": None}
        t = {k: o.get(k) for k in ("bad_signature", "wrong_serial", "stale", "ts", "tamper_ciphertext",
                                   "amount", "trade_no", "transaction_id", "trade_state", "mchid",
                                   "appid", "nonce", "reuse_nonce", "id", "url")}
        n = self.sim.notification(order, **t)
        if o.get("send"):
            status, reply = self.sim.deliver(n)
            self.sim.record(order, -1, 0, status, reply, n["headers"]["Wechatpay-Nonce"])
            return self.reply(200, {"status": status, "reply": reply, "notification": n})
        return self.reply(200, n)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keys", required=True, help="the stack's keys/pay directory")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--pid-file")
    ap.add_argument("--base", help="the address in code_url (default http://127.0.0.1:PORT)")
    ap.add_argument("--retry-scale", type=float, default=0.01,
                    help="multiplies WeChat's retry intervals (0.01: 15 s → 150 ms)")
    a = ap.parse_args()
    keys = Keys(a.keys)
    srv = Server(("127.0.0.1", a.port), Handler)
    port = srv.server_address[1]
    srv.sim = Sim(keys, (a.base or "http://127.0.0.1:%d" % port).rstrip("/"), a.retry_scale)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown, daemon=True).start())
    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    log("listening", port=port, mchid=keys.mchid)
    srv.serve_forever()
    srv.server_close()


if __name__ == "__main__":
    main()
