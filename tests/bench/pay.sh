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
# default 8000: a run that sends more cycles and the repeats are refused as
# replayed nonces, counted in non-2xx; pgbench settles exactly as many).
set -euo pipefail
: "${STACK:?}" "${BASE:?}" "${CONNS:?}" "${DUR:?}" "${RUNS:?}" "${WORKERS:?}"
export ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${BENCH_PAY_NOTICES:-8000}
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
if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM cases.case WHERE number LIKE 'PAYB-%'")" != 0 ]; then
	echo "payment notifications: this stack was measured already (its orders are paid): not measured again"
	exit 0
fi
"${PSQL[@]}" -1 >/dev/null <<SQL
SET client_min_messages = warning;
INSERT INTO reg.unit (code, county_code, location, use, area_m2)
  VALUES ('450103001004GB00001F00000001', '450103', '压测支付路1号', 'residential', 90) ON CONFLICT DO NOTHING;
INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency, receiving_division,
                        deciding_division, state, version, fields, received_at, due_date, fee_total_fen,
                        created_by, created_at, updated_at)
SELECT 'PAYB-' || i, 'mortgage.establish', '450103001004GB00001F00000001', '451302', '450103', '451302', '450103',
       'fees_set', 8, '{}', now(), current_date + 20, 8000, (SELECT min(id) FROM iam.user), now(), now()
  FROM generate_series(1, $TOTAL) i;
INSERT INTO cases.fee_item (case_id, seq, code, description, quantity, unit_price_fen, amount_fen, rule, basis)
SELECT id, 1, 'reg_residential', '住宅登记费', 1, 8000, 8000, 'reg_residential', '住宅登记费 80 元/件'
  FROM cases.case WHERE number LIKE 'PAYB-%';
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
	/usr/bin/python3 - "$STACK" "$DAY" "$(( ($1 - 1) * N + 1 ))" "$N" "$BASE" >"$TMP/notices.$1" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["ROOT"], "tests", "api"))
import pay_lib
stack, day, first, n, base = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
for i in range(first, first + n):
    m = pay_lib.make_notification("TB%s%010d" % (day, 8000000000 + i), 8000, base + "/api/v1/payments/notify",
                                  transaction_id="4200009999%s%010d" % (day, i), stack=stack)
    h = m["headers"]
    print("\t".join((h["Wechatpay-Timestamp"], h["Wechatpay-Nonce"], h["Wechatpay-Serial"], h["Wechatpay-Signature"],
                     m["body"])))
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
	# a run settles exactly its N orders (a longer one would refuse unknown orders, cheaper)
	tps=$("$PGBIN/pgbench" -n -M prepared -c "$WORKERS" -j "$WORKERS" -t $((N / WORKERS)) -f "$TMP/settle.sql" "$PG" 2>/dev/null |
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
