#!/bin/bash
# make bench, payment notifications: how many of the provider's signed,
# encrypted notifications the public service verifies (SHA256withRSA,
# AES-256-GCM) and records (pay.settle: order paid, case paid, voucher,
# event, audit row, outbox, inbox note) per second — each a first delivery
# for its own pending order, so every one has the full effect — beside
# pgbench running the same SELECT pay.settle(…) on orders of its own, with
# as many connections as the public pool has workers.
# Called by bench.sh on its stack (STACK, BASE, CONNS, DUR, RUNS, WORKERS in
# the environment); BENCH_PAY_NOTICES (signed notifications per run,
# default 4000: a run that sends more cycles and the repeats are refused as
# replayed nonces, counted in non-2xx).
set -euo pipefail
: "${STACK:?}" "${BASE:?}" "${CONNS:?}" "${DUR:?}" "${RUNS:?}" "${WORKERS:?}"
export ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${BENCH_PAY_NOTICES:-4000}
PG="host=$STACK/run port=54320 dbname=tongban user=tb_super"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$PG")
TMP=$STACK/tmp/pay
mkdir -p "$TMP"
if [ ! -f "$STACK/keys/pay/platform.key" ]; then
	echo "payment notifications: no provider keys in this stack (keys/pay): not measured"
	exit 0
fi

# RUNS sets of N cases in fees_set (8000 fen, one fee item) with a pending
# order each for the API, and as many for pgbench; numbered from 8000000001
# so they never meet the stack's own order numbers
TOTAL=$((2 * RUNS * N))
DAY=$("${PSQL[@]}" -c "SELECT to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD')")
"${PSQL[@]}" >/dev/null <<SQL
INSERT INTO reg.unit (code, county_code, location, use, area_m2)
  VALUES ('450103001004GB00001F00000001', '450103', '压测支付路1号', 'residential', 90) ON CONFLICT DO NOTHING;
INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency, receiving_division,
                        deciding_division, state, version, fields, received_at, due_date, fee_total_fen,
                        created_by, created_at, updated_at)
SELECT 'PAYB-' || i, 'mortgage.establish', '450103001004GB00001F00000001', '451302', '450103', '451302', '450103',
       'fees_set', 8, '{}', now(), current_date + 20, 8000, (SELECT min(id) FROM iam.user), now(), now()
  FROM generate_series(1, $TOTAL) i;
INSERT INTO cases.fee_item (case_id, seq, code, description, quantity, unit_price_fen, amount_fen)
SELECT id, 1, 'reg_residential', '住宅登记费', 1, 8000, 8000 FROM cases.case WHERE number LIKE 'PAYB-%';
INSERT INTO pay.order (case_id, out_trade_no, provider, amount_fen, code_url, created_at, expires_at)
SELECT id, 'TB$DAY' || lpad((8000000000 + substr(number, 6)::bigint)::text, 10, '0'), 'wechat', 8000,
       'http://127.0.0.1/pay/bench', now(), now() + interval '2 hours'
  FROM cases.case WHERE number LIKE 'PAYB-%';
CREATE SCHEMA IF NOT EXISTS bench;
DROP SEQUENCE IF EXISTS bench.pay_seq;
CREATE SEQUENCE bench.pay_seq START $((RUNS * N + 1));
ANALYZE;
SQL

# run k's notifications (orders (k-1)*N+1 .. k*N), signed now: one line each,
# timestamp, nonce, serial, signature and body separated by tabs
sign() { # $1 run
	/usr/bin/python3 - "$STACK" "$DAY" "$(( ($1 - 1) * N + 1 ))" "$N" >"$TMP/notices.$1" <<'PY'
import base64, json, os, secrets, string, sys, time
sys.path.insert(0, os.path.join(os.environ.get("ROOT", "."), "tests", "api"))
import pay_lib
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
stack, day, first, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
c = pay_lib.conf(stack)
key = serialization.load_pem_private_key(open(c["platform_key"], "rb").read(), None)
aes = AESGCM(c["api_key"])
alnum = string.ascii_uppercase + string.digits
now = time.time()
stamp = time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(now + 8 * 3600))
for i in range(first, first + n):
    t = {"appid": c["appid"], "mchid": c["mchid"], "out_trade_no": "TB%s%010d" % (day, 8000000000 + i),
         "transaction_id": "4200009999%s%010d" % (day, i), "trade_type": "NATIVE", "trade_state": "SUCCESS",
         "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "", "success_time": stamp,
         "payer": {"openid": "obench%d" % i},
         "amount": {"total": 8000, "payer_total": 8000, "currency": "CNY", "payer_currency": "CNY"}}
    rn = "".join(secrets.choice(alnum) for _ in range(12))
    ct = aes.encrypt(rn.encode(), json.dumps(t, ensure_ascii=False, separators=(",", ":")).encode(), b"transaction")
    body = json.dumps({"id": "EV-bench-%d" % i, "create_time": stamp, "resource_type": "encrypt-resource",
                       "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
                       "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": base64.b64encode(ct).decode(), "associated_data": "transaction",
                                    "nonce": rn}}, ensure_ascii=False, separators=(",", ":"))
    ts, nonce = str(int(now)), "".join(secrets.choice(alnum) for _ in range(32))
    sig = base64.b64encode(key.sign(("%s\n%s\n%s\n" % (ts, nonce, body)).encode(), padding.PKCS1v15(),
                                    hashes.SHA256())).decode()
    print("\t".join((ts, nonce, c["platform_serial"], sig, body)))
PY
}

# each wrk thread sends its share of the lines, in turn
cat >"$TMP/notify.lua" <<'LUA'
local lines, n, k = {}, 0, 0
local id = 0
function setup(thread) id = id + 1; thread:set("tid", id) end
function init(args)
	local nthreads = tonumber(args[2])
	local i = 0
	for line in io.lines(args[1]) do
		if i % nthreads == tid - 1 then
			local ts, nonce, serial, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
			n = n + 1
			lines[n] = wrk.format("POST", "/api/v1/payments/notify", {
				["Content-Type"] = "application/json", ["Wechatpay-Timestamp"] = ts,
				["Wechatpay-Nonce"] = nonce, ["Wechatpay-Serial"] = serial,
				["Wechatpay-Signature"] = sig,
				["Wechatpay-Signature-Type"] = "WECHATPAY2-SHA256-RSA2048" }, body)
		end
		i = i + 1
	end
end
function request()
	k = k % n + 1
	return lines[k]
end
LUA

wrk_pay() { # $1 run -> req/s p50_ms p99_ms non2xx
	wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$TMP/notify.lua" "$BASE" -- "$TMP/notices.$1" 2 2>/dev/null | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { bad = $NF }
		END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}

# pgbench: the statement the public service runs, on the next order of its own set
cat >"$TMP/settle.sql" <<SQL
SELECT s.outcome FROM (SELECT nextval('bench.pay_seq') AS i) n, LATERAL pay.settle('TB$DAY' || lpad((8000000000 + n.i)::text, 10, '0'), '4200009999$DAY' || lpad(n.i::text, 10, '0'), 8000, now(), 'EV-bench-' || n.i, 'pgb' || n.i, NULL, '127.0.0.1') s;
SQL
pgb_pay() {
	local tps
	tps=$("$PGBIN/pgbench" -n -M prepared -c "$WORKERS" -j "$WORKERS" -T "$DUR" -f "$TMP/settle.sql" "$PG" 2>/dev/null |
		awk '/^tps/ {print $3}')
	printf '%.0f\n' "${tps:-0}"
}
median() { sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'; }

API=$(for k in $(seq "$RUNS"); do sign "$k"; wrk_pay "$k"; done)
PGB=$(for _ in $(seq "$RUNS"); do pgb_pay; done)
read -r rps p50 p99 bad < <(echo "$API" | median)
tps=$(echo "$PGB" | median)
paid=$("${PSQL[@]}" -c "SELECT count(*) FILTER (WHERE state = 'paid'), count(*) FROM cases.case WHERE number LIKE 'PAYB-%'")
printf 'payment notifications (verify + decrypt + pay.settle): API %s req/s (p50 %s ms, p99 %s ms, non-2xx %s), pgbench the same pay.settle %s tps (-c%s): ratio %.2f; cases paid/made %s\n' \
	"$rps" "$p50" "$p99" "$bad" "$tps" "$WORKERS" "$(echo "$rps / $tps" | bc -l)" "${paid/|//}"
