#!/bin/bash
# make bench: wrk against the real stack (release build) and two baselines in
# the same run — nginx serving the same bytes statically, and a bare libfcgi
# responder behind the same nginx. Prints req/s, p50/p99 latency, ratios and
# worker RSS. A benchmark, not a test: it asserts nothing about speed.
# Then the portal (tests/bench/portal/portal.mjs, run first on the quiet
# stack): bytes and time to a usable worklist screen, Lighthouse scores.
# BENCH_DURATION (s, default 5), BENCH_RUNS (median of, default 3),
# BENCH_CONNS (default 64), TB_WORKERS (per service, default 2);
# BENCH_PORTAL=0 leaves the portal out, BENCH_PORTAL_RUNS (cold loads, 5),
# BENCH_LH_RUNS (Lighthouse runs per page, 3).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
DUR=${BENCH_DURATION:-5}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_CONNS:-64}
WORKERS=${TB_WORKERS:-2}
STACK=$(mktemp -d /tmp/tongban-bench.XXXXXX)
chmod 755 "$STACK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
cleanup() { scripts/stack.sh stop "$STACK" >/dev/null 2>&1 || true; rm -rf "$STACK"; }
[ -n "${BENCH_KEEP:-}" ] || trap cleanup EXIT

TB_PORT=$PORT TB_WORKERS=$WORKERS TB_NGINX_WORKERS=${TB_NGINX_WORKERS:-2} TB_LOG_LEVEL=warn \
	TB_RATE_LOGIN=1000r/s TB_BURST_LOGIN=1000 TB_RATE_QUERY=1000r/s TB_BURST_QUERY=1000 \
	scripts/stack.sh start "$STACK" 2>/dev/null

# a user and a session for the authenticated endpoint; the log-in cost
printf 'Bench-Passw0rd-1\n' | TB_PG_ADMIN="host=$STACK/run port=54320 dbname=tongban user=tb_super" \
	bin/tbctl user create --username bencher --name 压测 --agency 451302 --role intake_clerk >/dev/null
login() { curl -fsS -XPOST -H 'Content-Type: application/json' \
	-d '{"username":"bencher","password":"Bench-Passw0rd-1"}' "$BASE/api/v1/auth/login"; }
TOKEN=$(login | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
t0=$(date +%s%N)
for _ in $(seq 10); do login >/dev/null; done
LOGIN_MS=$(( ($(date +%s%N) - t0) / 10000000 ))

# cases: a unit in 青秀区 decided there, created at 兴宾区's window
PSQL=(psql -X -q -v ON_ERROR_STOP=1 "host=$STACK/run port=54320 dbname=tongban user=tb_super")
"${PSQL[@]}" -c "INSERT INTO reg.unit VALUES ('450103001002GB00001F00000001', '450103', '压测路1号', 'residential', 90)"
CASE_BODY='{"business_type":"mortgage.establish","unit_code":"450103001002GB00001F00000001","parties":[{"role":"right_holder","name":"张三","id_type":"resident_id","id_number":"11010519491231002X"},{"role":"obligor","name":"李四","id_type":"resident_id","id_number":"11010519491231002X"}],"fields":{"mortgagee_bank":"ICBC","amount_fen":50000000,"term_from":"2026-12-01","term_to":"2046-11-30","mortgage_type":"ordinary","debtor":"张三"}}'
CASE_ID=$(curl -fsS -XPOST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
	-d "$CASE_BODY" "$BASE/api/v1/cases" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
cat >"$STACK/create.lua" <<LUA
wrk.method = "POST"
wrk.body = '$CASE_BODY'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
# the same transaction as SQL, for pgbench: the reads the handler makes, then
# counter, case, parties, event, outbox and audit in one transaction
cat >"$STACK/create.sql" <<'SQL'
SELECT category, action, enabled::int, pilot_only::int, promised_days FROM cases.business_type WHERE code = 'mortgage.establish';
SELECT county_code FROM reg.unit WHERE code = '450103001002GB00001F00000001';
SELECT name FROM ref.bank WHERE code = 'ICBC';
SELECT division_code FROM iam.agency WHERE code = '451302';
BEGIN;
INSERT INTO cases.counter (agency_code, year, kind, last) VALUES ('450103', 2026, 'case', 1) ON CONFLICT (agency_code, year, kind) DO UPDATE SET last = cases.counter.last + 1 RETURNING last;
INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency, receiving_division, deciding_division, state, fields, created_by, created_at, updated_at) VALUES ('PGB-' || pg_current_xact_id(), 'mortgage.establish', '450103001002GB00001F00000001', '451302', '450103', '451302', '450103', 'draft', '{"amount_fen": 50000000}', 1, now(), now());
INSERT INTO cases.party (case_id, seq, role, name, id_type, id_number, id_number_masked, id_number_index, progress_key) VALUES (currval('cases.case_id_seq'), 1, 'right_holder', '张三', 'resident_id', 'v1.1.' || repeat('A', 64), '110***********002X', repeat('a', 64), repeat('b', 64));
INSERT INTO cases.party (case_id, seq, role, name, id_type, id_number, id_number_masked, id_number_index, progress_key) VALUES (currval('cases.case_id_seq'), 2, 'obligor', '李四', 'resident_id', 'v1.1.' || repeat('A', 64), '110***********002X', repeat('a', 64), repeat('b', 64));
INSERT INTO cases.event (case_id, at, actor_id, agency_code, action, to_state) VALUES (currval('cases.case_id_seq'), now(), 1, '451302', 'create', 'draft');
INSERT INTO outbox.message (at, topic, case_id, payload) VALUES (now(), 'case.created', currval('cases.case_id_seq'), '{"state": "draft"}');
INSERT INTO audit.event (at, actor_id, actor_name, agency_code, action, object_type, object_id, outcome, details) VALUES (now(), 1, 'bencher', '451302', 'case.create', 'case', currval('cases.case_id_seq')::text, 'success', '{"state": "draft"}');
COMMIT;
SQL
# the portal on the quiet stack, before the load: the same clerk's worklist
# with a few cases in it (the bench's one and four more)
PORTAL_RC=0
if [ "${BENCH_PORTAL:-1}" != 0 ]; then
	for _ in 1 2 3 4; do
		curl -fsS -XPOST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
			-d "$CASE_BODY" "$BASE/api/v1/cases" >/dev/null
	done
	# the baseline: a static page, no script, no stylesheet
	printf '%s\n' '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' \
		'<meta name="viewport" content="width=device-width, initial-scale=1">' \
		'<meta name="description" content="基准页"><link rel="icon" href="data:,"><title>基准页</title></head>' \
		'<body><h1>广西不动产登记全区通办平台</h1><p>基准页：没有脚本，没有样式表。</p></body></html>' \
		>"$STACK/web/bench-page.html"
	TB_PORT=$PORT BENCH_TOKEN=$TOKEN BENCH_BASELINE=/bench-page.html node tests/bench/portal/portal.mjs \
		>"$STACK/portal.txt" 2>&1 || PORTAL_RC=$?
fi

PGBENCH=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pgbench
pgb() {
	local tps
	# as many connections as the intake pool holds: the database sees the same concurrency
	tps=$("$PGBENCH" -n -c "$WORKERS" -j "$WORKERS" -T "$DUR" -f "$STACK/create.sql" \
		"host=$STACK/run port=54320 dbname=tongban user=tb_super" 2>/dev/null | awk '/^tps/ {print $3}')
	printf '%.0f\n' "${tps:-0}"
}

# the baselines answer exactly the bytes of our trivial endpoint
body=$(curl -fsS "$BASE/-/public/healthz")
printf '%s' "$body" >"$STACK/web/bench.json"
RUNAS=()
[ "$(id -u)" -eq 0 ] && RUNAS=(setpriv --reuid=tongban --regid=tongban --init-groups --)
BARE_SOCKET="$STACK/run/bare.sock" BARE_BODY="$body" BARE_WORKERS=$WORKERS \
	setsid "${RUNAS[@]}" "$STACK/bin/bare-fcgi" </dev/null >/dev/null 2>&1 &
echo $! >"$STACK/run/bare.pid"
for _ in $(seq 50); do [ -S "$STACK/run/bare.sock" ] && break; sleep 0.1; done
for _ in $(seq 50); do curl -fsS "$BASE/-/bare" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$BASE/-/bare" >/dev/null

# one wrk run -> "rps p50_ms p99_ms"; a URL may carry a header after a space
one() {
	local url=${1%% *} hdr=()
	case "$1" in
	*" SCRIPT "*) hdr=(-s "${1##* }") ;;
	*" "*) hdr=(-H "${1#* }") ;;
	esac
	wrk -t2 -c"$CONNS" -d"${DUR}s" --latency "${hdr[@]}" "$url" 2>/dev/null | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { bad = $NF }
		END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}
# median of RUNS runs by req/s
measure() {
	local url=$1 i
	for i in $(seq "$RUNS"); do one "$url"; done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}

declare -A RPS P50 P99 BAD
targets=(
	"static|$BASE/bench.json"
	"bare-libfcgi|$BASE/-/bare"
	"admin /healthz|$BASE/-/admin/healthz"
	"intake /healthz|$BASE/-/intake/healthz"
	"query /healthz|$BASE/-/query/healthz"
	"public /healthz|$BASE/-/public/healthz"
	"division (Redis GET)|$BASE/api/v1/divisions/450000"
	"division list (PG)|$BASE/api/v1/divisions?parent=451300"
	"auth/me (cached session)|$BASE/api/v1/auth/me Authorization: Bearer $TOKEN"
	"case detail|$BASE/api/v1/cases/$CASE_ID Authorization: Bearer $TOKEN"
	"case create (POST)|$BASE/api/v1/cases SCRIPT $STACK/create.lua"
)
for t in "${targets[@]}"; do
	name=${t%%|*}; url=${t#*|}
	read -r r p5 p9 b < <(measure "$url")
	RPS[$name]=$r; P50[$name]=$p5; P99[$name]=$p9; BAD[$name]=$b
done

rss_of() { # count, mean RSS, PSS and private (USS) KiB of the children of a pid
	local kids; kids=$(pgrep -P "$1" || true)
	local n=0 rss=0 pss=0 uss=0
	for k in $kids; do
		n=$((n + 1))
		read -r r p u < <(awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} /^Private_(Clean|Dirty):/ {u+=$2} END {print r, p, u}' /proc/$k/smaps_rollup)
		rss=$((rss + r)); pss=$((pss + p)); uss=$((uss + u))
	done
	[ $n -gt 0 ] || n=1
	echo "$((rss / n)) $((pss / n)) $((uss / n)) $(pgrep -P "$1" | wc -l)"
}

echo
echo "Tongban benchmark — $(date -u +%Y-%m-%d), $(nproc) cores, wrk -t2 -c$CONNS -d${DUR}s, median of $RUNS"
echo "nginx $(nginx -v 2>&1 | sed 's/.*\///'), $WORKERS workers per service, body $(printf '%s' "$body" | wc -c) bytes"
printf '%-24s %10s %9s %9s %9s %9s %6s\n' target req/s p50_ms p99_ms vs_bare vs_static non2xx
for t in "${targets[@]}"; do
	name=${t%%|*}
	printf '%-24s %10s %9s %9s %9.2f %9.2f %6s\n' "$name" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}" \
		"$(echo "${RPS[$name]} / ${RPS[bare-libfcgi]}" | bc -l)" \
		"$(echo "${RPS[$name]} / ${RPS[static]}" | bc -l)" "${BAD[$name]}"
done
echo
echo "log-in (PBKDF2-HMAC-SHA256, 600,000 iterations; deliberately slow): ${LOGIN_MS} ms each, sequential"
PGB=$(for _ in $(seq "$RUNS"); do pgb; done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)')
printf 'case creation: API %s req/s, pgbench running the same SQL transaction %s tps (-c%s): ratio %.2f\n' \
	"${RPS[case create (POST)]}" "$PGB" "$WORKERS" "$(echo "${RPS[case create (POST)]} / $PGB" | bc -l)"
printf 'case detail read: %.2f of the trivial endpoint (intake /healthz)\n' \
	"$(echo "${RPS[case detail]} / ${RPS[intake /healthz]}" | bc -l)"
STACK=$STACK BASE=$BASE TOKEN=$TOKEN CONNS=$CONNS DUR=$DUR RUNS=$RUNS WORKERS=$WORKERS tests/bench/detail.sh
BENCH_BASE=$BASE BENCH_TOKEN=$TOKEN BENCH_CASE=$CASE_ID BENCH_CASE_BODY=$CASE_BODY BENCH_STACK=$STACK tests/bench/mixed.sh
BENCH_BASE=$BASE BENCH_TOKEN=$TOKEN BENCH_STACK=$STACK tests/bench/certs.sh
STACK=$STACK BASE=$BASE CONNS=$CONNS DUR=$DUR RUNS=$RUNS WORKERS=$WORKERS tests/bench/search.sh
STACK=$STACK BASE=$BASE CONNS=$CONNS DUR=$DUR RUNS=$RUNS WORKERS=$WORKERS tests/bench/pay.sh
STACK=$STACK BASE=$BASE WORKERS=$WORKERS tests/bench/stats.sh
echo
read -r brss bpss buss bn < <(rss_of "$(cat "$STACK/run/bare.pid")")
printf '%-16s %7s %9s %9s %9s %9s %9s\n' "per worker" workers "RSS KiB" "PSS KiB" "USS KiB" "RSS/bare" "USS/bare"
printf '%-16s %7s %9s %9s %9s %9s %9s\n' "bare-libfcgi" "$bn" "$brss" "$bpss" "$buss" "1.00" "1.00"
for s in admin intake query public; do
	read -r rss pss uss n < <(rss_of "$(cat "$STACK/run/$s.pid")")
	printf '%-16s %7s %9s %9s %9s %9.2f %9.2f\n' "$s" "$n" "$rss" "$pss" "$uss" \
		"$(echo "$rss / $brss" | bc -l)" "$(echo "$uss / $buss" | bc -l)"
done
if [ "${BENCH_PORTAL:-1}" != 0 ]; then
	echo
	cat "$STACK/portal.txt"
	[ "$PORTAL_RC" -eq 0 ] || { echo "the portal measurement failed (exit $PORTAL_RC)"; exit "$PORTAL_RC"; }
fi
