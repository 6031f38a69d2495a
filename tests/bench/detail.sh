#!/bin/bash
# make bench, the case detail across many cases: the realistic read — a
# random case per request, so the worker's one-second micro-cache seldom
# answers — beside pgbench running the statements the handler runs for one
# detail, a random case per transaction, with as many connections as wrk.
# Called by bench.sh on its stack (STACK, BASE, TOKEN, CONNS, DUR, RUNS,
# WORKERS in the environment); BENCH_DETAIL_CASES (default 2000).
set -euo pipefail
: "${STACK:?}" "${BASE:?}" "${TOKEN:?}" "${CONNS:?}" "${DUR:?}" "${RUNS:?}" "${WORKERS:?}"
NCASES=${BENCH_DETAIL_CASES:-2000}
PG="host=$STACK/run port=54320 dbname=tongban user=tb_super"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$PG")

# 200 units in four counties, NCASES cases received at 兴宾区's window (the
# bencher's), spread over the states (several pending on each unit: the
# priority conflicts), two sealed parties and one to four events each
# (once: a kept stack, BENCH_KEEP, may be measured again)
[ "$("${PSQL[@]}" -c "SELECT count(*) FROM cases.case WHERE number LIKE 'BENCH-%'")" != 0 ] ||
	"${PSQL[@]}" >/dev/null <<SQL
INSERT INTO reg.unit (code, county_code, location, use, area_m2)
SELECT c || '001003GB' || lpad(n::text, 5, '0') || 'F' || lpad(n::text, 8, '0'), c, '压测路' || n || '号',
       'residential', 60 + n
  FROM unnest(ARRAY['450102', '450103', '450105', '451302']) c, generate_series(1, 50) n;
INSERT INTO cases.case (number, business_type, unit_code, receiving_agency, deciding_agency, receiving_division,
                        deciding_division, state, version, fields, received_at, due_date, fee_total_fen,
                        created_by, created_at, updated_at)
SELECT 'BENCH-' || i, 'mortgage.establish', u.code, '451302', u.county_code, '451302', u.county_code,
       (ARRAY['draft', 'submitted', 'accepted', 'supplement_requested', 'approved', 'registered', 'fees_set',
              'rejected'])[i % 8 + 1], i % 8 + 1,
       jsonb_build_object('mortgagee_name', '中国工商银行股份有限公司南宁分行', 'amount_fen', 50000000 + i,
                          'term_from', '2026-12-01', 'term_to', '2046-11-30', 'mortgage_type', 'ordinary',
                          'debtor', '张三'),
       CASE WHEN i % 8 > 0 THEN now() - make_interval(mins => $NCASES * 2 - i) END,
       CASE WHEN i % 8 > 0 THEN current_date + 20 END, CASE WHEN i % 8 = 6 THEN 8000 + i END,
       (SELECT id FROM iam.user WHERE username = 'bencher'), now() - make_interval(mins => $NCASES * 3 - i), now()
  FROM generate_series(1, $NCASES) i
  JOIN (SELECT code, county_code, row_number() OVER (ORDER BY code) - 1 AS rn FROM reg.unit
         WHERE code LIKE '______001003GB%') u ON u.rn = i % 200;
INSERT INTO cases.party (case_id, seq, role, name, id_type, id_number, id_number_masked, id_number_index, progress_key)
SELECT c.id, s, (ARRAY['right_holder', 'obligor'])[s], (ARRAY['张三', '李四'])[s], 'resident_id',
       'v1.1.' || repeat('A', 64), '110***********002X', md5(c.id || 'i' || s) || md5(c.id || 'j' || s),
       md5(c.id || 'p' || s) || md5(c.id || 'q' || s)
  FROM cases.case c, generate_series(1, 2) s WHERE c.number LIKE 'BENCH-%';
INSERT INTO cases.event (case_id, at, actor_id, agency_code, action, from_state, to_state, comment, details)
SELECT c.id, c.created_at + make_interval(mins => e), c.created_by, '451302',
       (ARRAY['create', 'submit', 'accept', 'approve'])[e], (ARRAY[NULL, 'draft', 'submitted', 'accepted'])[e],
       (ARRAY['draft', 'submitted', 'accepted', 'approved'])[e], CASE WHEN e = 3 THEN '材料齐全' END,
       CASE WHEN e = 1 THEN '{}' ELSE jsonb_build_object('version', e) END
  FROM cases.case c, generate_series(1, 4) e
 WHERE c.number LIKE 'BENCH-%' AND e <= 1 + c.id % 4;
ANALYZE;
SQL
read -r LO HI BUID < <("${PSQL[@]}" -F ' ' <<SQL
SELECT min(id), max(id), (SELECT id FROM iam.user WHERE username = 'bencher') FROM cases.case
 WHERE number LIKE 'BENCH-%' HAVING max(id) - min(id) + 1 = count(*);
SQL
)
[ -n "${BUID:-}" ] || { echo "detail.sh: the bench cases are not numbered in one run" >&2; exit 1; }

cat >"$STACK/detail.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
local n = 0
function setup(thread) n = n + 1; thread:set("seed", n) end
function init(args) math.randomseed(os.time() * 31 + seed) end
function request() return wrk.format("GET", "/api/v1/cases/" .. math.random($LO, $HI)) end
LUA

# The statement GET /api/v1/cases/{id} runs (fcgi/intake/cases.c
# q_case_detail: the case, its parties, timeline, priority conflicts, the
# transitions out of its state, for the bencher, and its fee items), the same
# text: keep the two alike. The session comes from the worker's memory.
cat >"$STACK/detail.sql" <<SQL
\\set id random($LO, $HI)
\\set uid $BUID
SELECT 0 AS kind, 0::bigint AS ord, c.id, c.number, c.business_type, c.unit_code, c.receiving_agency, c.deciding_agency, c.receiving_division, c.deciding_division, c.state, c.version, c.fields::text, (extract(epoch FROM c.received_at) * 1000000)::bigint, c.due_date::text, nullif(c.certificate_no, ''), coalesce(c.fee_total_fen, -1), (extract(epoch FROM c.created_at) * 1000000)::bigint, ra.name, da.name, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::boolean, NULL::text FROM cases.case c JOIN iam.agency ra ON ra.code = c.receiving_agency JOIN iam.agency da ON da.code = c.deciding_agency WHERE c.id = :id UNION ALL SELECT 1, p.seq, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text, p.seq, p.role, p.name, p.id_type, coalesce(p.id_number_masked, p.id_number_legacy, ''), NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::boolean, NULL::text FROM cases.party p WHERE p.case_id = :id UNION ALL SELECT 2, e.id, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, (extract(epoch FROM e.at) * 1000000)::bigint, e.action, nullif(e.from_state, ''), e.to_state, nullif(e.comment, ''), coalesce(u.display_name, ''), coalesce(e.agency_code, ''), e.details::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::boolean, NULL::text FROM cases.event e LEFT JOIN iam.user u ON u.id = e.actor_id WHERE e.case_id = :id UNION ALL SELECT 3, o.received_us, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, o.id, o.number, o.state, o.received_us, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::boolean, NULL::text FROM (SELECT o.id, o.number, o.state, (extract(epoch FROM o.received_at) * 1000000)::bigint AS received_us  FROM cases.case o, cases.case c WHERE c.id = :id AND o.unit_code = c.unit_code AND o.id <> c.id  AND cases.state_pending(o.state)  AND cases.state_pending(c.state)) o UNION ALL SELECT 4, row_number() OVER (ORDER BY t.action), NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, t.action, t.to_state, t.permission, t.side, (t.enabled AND NOT EXISTS (SELECT 1 FROM cases.type_action_off o WHERE o.business_type = c.business_type AND o.action = t.action))::int, coalesce((SELECT s.earlier_action FROM cases.two_person_rule s WHERE s.later_action = t.action  AND (s.business_type IS NULL OR s.business_type = c.business_type) AND EXISTS (SELECT 1 FROM cases.event e  WHERE e.case_id = c.id AND e.action = s.earlier_action AND e.actor_id = :uid) ORDER BY s.id LIMIT 1), ''), NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::boolean, NULL::text FROM cases.case c JOIN cases.transition t ON t.from_state = c.state WHERE c.id = :id UNION ALL SELECT 5, f.seq, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::text, NULL::integer, NULL::text, f.seq, f.code, f.description, f.quantity, f.unit_price_fen, f.amount_fen, f.rule, f.basis, f.waived, f.reason FROM cases.fee_item f WHERE f.case_id = :id ORDER BY kind, ord;
SQL

wrk_detail() { # -> req/s p50_ms p99_ms non2xx
	wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$STACK/detail.lua" "$BASE" 2>/dev/null | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { bad = $NF }
		END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}
# pgbench's fresh connections start cold (each backend loads its catalog
# caches and prepares on first use: 64 of them take seconds here), while the
# workers' are warm: count the transactions of the last DUR seconds only
WARM=${BENCH_DETAIL_WARM:-10}
pgb_detail() { # $1 connections -> tps
	local tps
	tps=$("$PGBIN/pgbench" -n -M prepared -c "$1" -j 2 -T $((WARM + DUR)) -P 1 -f "$STACK/detail.sql" "$PG" 2>&1 |
		awk -v w="$WARM" '$1 == "progress:" && $2 + 0 > w { n++; t += $4 } END { if (n) print t / n }')
	printf '%.0f\n' "${tps:-0}"
}
median() { sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'; }
spread() { sort -n | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%s-%s", lo, hi}'; }

curl -fsS -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/cases/$LO" >/dev/null # warm the statement
API=$(for _ in $(seq "$RUNS"); do wrk_detail; done)
PGC=$(for _ in $(seq "$RUNS"); do pgb_detail "$CONNS"; done)
PGW=$(for _ in $(seq "$RUNS"); do pgb_detail "$WORKERS"; done)
read -r rps p50 p99 bad < <(echo "$API" | median)
tps=$(echo "$PGC" | median)
tpsw=$(echo "$PGW" | median)
printf 'case detail across %s cases: API %s req/s (p50 %s ms, p99 %s ms, non-2xx %s; runs %s), pgbench same statements %s tps (-c%s; runs %s): ratio %.2f\n' \
	"$NCASES" "$rps" "$p50" "$p99" "$bad" "$(echo "$API" | awk '{print $1}' | spread)" "$tps" "$CONNS" \
	"$(echo "$PGC" | spread)" "$(echo "$rps / $tps" | bc -l)"
printf '  (pgbench with the pool'"'"'s %s connections: %s tps, ratio %.2f)\n' "$WORKERS" "$tpsw" "$(echo "$rps / $tpsw" | bc -l)"
