#!/bin/bash
# make bench, query-result certificates (called by bench.sh on its running
# stack): how many certificates are drawn, signed (PDF signature + SM2) and
# stored per second — each first download of a completed query issues one —
# and the p99 of a fast read, GET /api/v1/auth/me, alone and while
# certificates are being issued (they run on the query service's slow lane;
# the read is admin's: the ratio shows what the signing costs the rest).
# Environment from bench.sh: BENCH_BASE, BENCH_TOKEN, BENCH_STACK;
# BENCH_CERTS (certificates per phase, default 200), BENCH_CERT_CLIENTS
# (concurrent downloads, default 4), BENCH_DURATION, BENCH_RUNS.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DUR=${BENCH_DURATION:-5}
RUNS=${BENCH_RUNS:-3}
N=${BENCH_CERTS:-200}
P=${BENCH_CERT_CLIENTS:-4}
BASE=$BENCH_BASE
CONN="host=$BENCH_STACK/run port=54320 dbname=tongban user=tb_super"
PSQL=(psql -X -q -At -v ON_ERROR_STOP=1 "$CONN")
TMP=$BENCH_STACK/tmp/certs
mkdir -p "$TMP"

# a query clerk of 青秀区 and completed queries of its agency, each with a
# result of three units (holders, mortgages, a seizure) as POST /queries writes it
printf 'Bench-Passw0rd-1\n' | TB_PG_ADMIN="$CONN" "$ROOT/bin/tbctl" user create --username certclerk \
	--name 出证员 --agency 450103 --role query_clerk >/dev/null
QTOKEN=$(curl -fsS -XPOST -H 'Content-Type: application/json' \
	-d '{"username":"certclerk","password":"Bench-Passw0rd-1"}' "$BASE/api/v1/auth/login" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
python3 - "$TMP/result.json" <<'PY'
import json, sys
units = []
for i in range(1, 4):
    units.append({"code": "450103001002GB0990%dF00000001" % i, "location": "南宁市青秀区压测大道%d号" % i,
                  "use": "residential", "area_m2": "96.30", "county": {"code": "450103", "name": "青秀区"},
                  "holders": [{"name": "张三", "id_type": "resident_id", "id_number_masked": "110105********002X",
                               "share": "1/2", "certificate_no": "桂(2024)南宁市不动产权第%07d号" % i},
                              {"name": "李四", "id_type": "resident_id", "id_number_masked": "450103********1234",
                               "share": "1/2", "certificate_no": "桂(2024)南宁市不动产权第%07d号" % i}],
                  "mortgages": [{"rank": 1, "mortgagee": "中国工商银行股份有限公司南宁分行", "amount_fen": 50000000,
                                 "term_from": "2024-01-01", "term_to": "2044-01-01",
                                 "certificate_no": "桂(2024)南宁市不动产证明第%07d号" % i}],
                  "pre_notices": [], "seizures": [{"authority": "南宁市青秀区人民法院", "waiting": False}],
                  "objections": [],
                  "facts": {"exists": True, "co_owned": True, "mortgaged": True, "pre_noticed": False,
                            "objected": False, "seized": True}})
json.dump({"as_at": "2026-11-28T10:00:00+08:00", "visibility": "full", "units": units, "queried_by": []},
          open(sys.argv[1], "w"), ensure_ascii=False)
PY
"${PSQL[@]}" -v n=$((2 * N)) -v result="$(cat "$TMP/result.json")" <<'SQL' >"$TMP/ids"
INSERT INTO reg.unit (code, county_code, location, use, area_m2)
  SELECT '450103001002GB0990' || i || 'F00000001', '450103', '南宁市青秀区压测大道' || i || '号', 'residential', 96.3
  FROM generate_series(1, 3) i ON CONFLICT DO NOTHING;
WITH u AS (SELECT id FROM iam.user WHERE username = 'certclerk'),
ev AS (
  INSERT INTO qry.evidence (content_type, size, sha256, data, uploaded_by, agency_code, uploaded_at)
  SELECT 'application/pdf', 4, repeat('a', 64), '\x25504446', u.id, '450103', now()
  FROM u, generate_series(1, :n) RETURNING id, uploaded_by)
INSERT INTO qry.query (serial, agency_code, created_by, created_at, requester_kind, requester_name,
  requester_id_type, requester_id_masked, requester_id_index, purpose, evidence_id, conditions, cond_kind,
  cond_value, as_at, divisions, state, result)
SELECT 'CX-450103-2026-' || lpad((9000000 + ev.id)::text, 7, '0'), '450103', ev.uploaded_by, now(), 'holder',
  '张三', 'resident_id', '110105********002X', repeat('b', 64), '办理公积金贷款', ev.id,
  '{"unit_code": "450103001002GB09901F00000001"}', 'unit_code', '450103001002GB09901F00000001', now(),
  '{450103}', 'completed', :'result'::jsonb
FROM ev RETURNING id;
SQL
head -n "$N" "$TMP/ids" >"$TMP/ids.a"
tail -n "$N" "$TMP/ids" >"$TMP/ids.b"

# issue every certificate of a list with P concurrent clients; prints non-200 answers
issue() {
	xargs -P "$P" -I{} curl -sS -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $QTOKEN" \
		"$BASE/api/v1/queries/{}/certificate.pdf" <"$1" | grep -vc '^200$' || true
}

t0=$(date +%s%N)
bad=$(issue "$TMP/ids.a")
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
read -r size < <("${PSQL[@]}" -c "SELECT round(avg(octet_length(pdf)) / 1024.0, 1) FROM qry.certificate")
t1=$(date +%s%N)
for _ in $(seq 20); do curl -fsS -o /dev/null -H "Authorization: Bearer $QTOKEN" \
	"$BASE/api/v1/queries/$(head -1 "$TMP/ids.a")/certificate.pdf"; done
again_ms=$(( ($(date +%s%N) - t1) / 20000000 ))

p99() { # one wrk run on auth/me -> "p99_ms requests"
	wrk -t1 -c16 -d"${DUR}s" --latency -H "Authorization: Bearer $BENCH_TOKEN" "$BASE/api/v1/auth/me" 2>/dev/null |
		awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		     /^ +99%/ { p99 = ms($2) } /requests in/ { n = $1 } END { printf "%.2f %d\n", p99, n }'
}
median() { local i; for i in $(seq "$RUNS"); do p99; done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'; }
read -r alone_p99 alone_n < <(median)
# the second list is issued in the background while auth/me is measured
issue "$TMP/ids.b" >"$TMP/bad.b" &
bg=$!
sleep 0.3
read -r busy_p99 busy_n < <(p99)
busy_issued=$("${PSQL[@]}" -c "SELECT count(*) - $N FROM qry.certificate")
kill "$bg" 2>/dev/null || true
wait "$bg" 2>/dev/null || true

echo
echo "query-result certificates (3 units each, avg ${size} KB; $P concurrent downloads, slow lane):"
printf '  issued (drawn, PDF-signed, SM2-signed, stored): %d in %d ms = %.1f per second, %s not 200\n' \
	"$N" "$ms" "$(echo "$N * 1000 / $ms" | bc -l)" "$bad"
printf '  a stored certificate downloaded again: %d ms\n' "$again_ms"
printf '  GET /api/v1/auth/me p99: %s ms alone, %s ms while certificates are issued (%s issued meanwhile): ratio %.2f\n' \
	"$alone_p99" "$busy_p99" "$busy_issued" "$(echo "$busy_p99 / $alone_p99" | bc -l)"
