#!/bin/bash
# make bench, registry search at region scale (called by bench.sh on its
# stack, or alone: it then starts a stack of its own). The registry is
# filled with BENCH_SEARCH_UNITS synthetic units (`tbctl seed-scale`, default
# 1,000,000; a kept stack already holding them is not seeded again), then
# BENCH_SEARCH_HOLDERS (default 2,000) more units are imported with holders
# whose ID numbers this script knows (`tbctl registry import`, sealed and
# indexed as every import), one unit each.
#  - warm: POST /api/v1/registry/search by one holder, again and again (a
#    cache hit: session, the worker's in-memory copy checked against the
#    Redis invalidations it has read — no round trip — and its share of a
#    gathered audit row), against the trivial endpoint (query /healthz) in
#    the same run; goal >= 0.70.
#  - cold: a different holder or limit on every request (distinct cache
#    keys: every answer from PostgreSQL), as many connections as workers so
#    the latency is the work and not the queue; goal p99 < 20 ms.
# Environment from bench.sh: STACK, BASE, CONNS, DUR, RUNS, WORKERS.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
UNITS=${BENCH_SEARCH_UNITS:-1000000}
HOLDERS=${BENCH_SEARCH_HOLDERS:-2000}
DUR=${DUR:-${BENCH_DURATION:-5}}
RUNS=${RUNS:-${BENCH_RUNS:-3}}
CONNS=${CONNS:-${BENCH_CONNS:-64}}
WORKERS=${WORKERS:-${TB_WORKERS:-2}}

. tests/bench/own_stack.sh
own_stack search

# the registry at scale (seeded units lie in cadastral zones 900-999)
have=$("${PSQL[@]}" -c "SELECT count(*) FROM reg.unit WHERE substr(code, 7, 1) = '9'")
if [ "$have" -lt "$UNITS" ]; then
	t0=$(date +%s)
	bin/tbctl seed-scale --units $((UNITS - have)) >/dev/null
	echo "search bench: seeded $((UNITS - have)) units in $(( $(date +%s) - t0 )) s"
fi

# the known holders: ID numbers with sequence code 000, which the seeder never
# gives, one unit each in zone 899 of 青秀区
known=$("${PSQL[@]}" -c "SELECT count(*) FROM reg.unit WHERE code LIKE '450103899%'")
if [ "$known" -lt "$HOLDERS" ] || [ ! -f "$TMP/holders.txt" ]; then
	# holders.txt lists them all; the import adds those not there yet
	python3 - "$HOLDERS" "$TMP" "$known" <<'PY'
import datetime, sys
n, tmp, known = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
day0 = datetime.date(1950, 1, 1)
surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
given = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"
with open(tmp + "/holders.csv", "w", encoding="utf-8") as csv, open(tmp + "/holders.txt", "w", encoding="utf-8") as txt:
    csv.write("unit_code,location,use,area_m2,certificate_no,holder_name,holder_id_type,holder_id_number,share\n")
    for i in range(n):
        d17 = "450103" + (day0 + datetime.timedelta(days=i)).strftime("%Y%m%d") + "000"
        idn = d17 + "10X98765432"[sum(int(c) * k for c, k in zip(d17, w)) % 11]
        name = surnames[i % len(surnames)] + given[(i // 20) % len(given)] + given[(i // 480) % len(given)]
        code = "450103899001GB%05dF%08d" % (i, 1)
        if i >= known:
            csv.write("%s,青秀区压测大道%d号,residential,88.50,桂(2025)南宁市不动产权第%07d号,%s,resident_id,%s,1/1\n"
                      % (code, i, 9000000 + i, name, idn))
        txt.write("%s %s\n" % (name, idn))
PY
	if [ "$known" -lt "$HOLDERS" ] && ! bin/tbctl registry import "$TMP/holders.csv" >"$TMP/import.log" 2>&1; then
		cat "$TMP/import.log" >&2
		exit 1
	fi
	"${PSQL[@]}" -c "ANALYZE reg.unit; ANALYZE reg.entry"
fi
[ -f "$TMP/holders.txt" ] || { echo "search bench: $TMP/holders.txt is missing (a kept stack from elsewhere?)" >&2; exit 1; }

# a region-wide searcher
if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM iam.user WHERE username = 'searcher'")" = 0 ]; then
	printf 'Bench-Passw0rd-1\n' | bin/tbctl user create --username searcher --name 查询压测 --agency 451302 \
		--role query_clerk --scope 450000 >/dev/null
fi
STOKEN=$(curl -fsS -XPOST -H 'Content-Type: application/json' \
	-d '{"username":"searcher","password":"Bench-Passw0rd-1"}' "$BASE/api/v1/auth/login" |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

read -r NAME1 ID1 < "$TMP/holders.txt"
cat >"$TMP/warm.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"holder":{"name":"$NAME1","id_type":"resident_id","id_number":"$ID1"}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $STOKEN"
LUA
# cold: holder i with limit l — a key never asked before in this run
cat >"$TMP/cold.lua" <<LUA
local people = {}
for line in io.lines("$TMP/holders.txt") do
	local name, id = line:match("^(%S+) (%S+)$")
	people[#people + 1] = '{"holder":{"name":"' .. name .. '","id_type":"resident_id","id_number":"' .. id .. '"},"limit":'
end
local n = 0
salt = 0
function setup(thread)
	salt = salt + 1
	thread:set("salt", salt)
end
function init(args)
	n = tonumber(salt) * 7919 + math.floor(os.time() % 1000) * 104729
end
request = function()
	n = n + 1
	local body = people[n % #people + 1] .. (math.floor(n / #people) % 100 + 1) .. "}"
	return wrk.format("POST", "/api/v1/registry/search",
		{ ["Content-Type"] = "application/json", ["Authorization"] = "Bearer $STOKEN" }, body)
end
LUA
# one check that both answer what they should
curl -fsS -XPOST -H "Authorization: Bearer $STOKEN" -H 'Content-Type: application/json' \
	-d "$(sed -n 's/^wrk.body = .\(.*\).$/\1/p' "$TMP/warm.lua")" "$BASE/api/v1/registry/search" |
	python3 -c 'import json, sys; b = json.load(sys.stdin); assert len(b["items"]) == 1, b'

# one wrk run -> "rps p50_ms p99_ms non2xx"
one() { # conns url [script]
	local c=$1 url=$2 extra=()
	[ -n "${3:-}" ] && extra=(-s "$3")
	wrk -t2 -c"$c" -d"${DUR}s" --latency "${extra[@]}" "$url" 2>/dev/null | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { bad = $NF }
		END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }'
}
median_p99() { # by p99
	local i
	for i in $(seq "$RUNS"); do one "$@"; done | sort -k3 -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}

# warm the one answer, then measure it and the trivial endpoint alternately
curl -fsS -XPOST -H "Authorization: Bearer $STOKEN" -H 'Content-Type: application/json' \
	-d "$(sed -n 's/^wrk.body = .\(.*\).$/\1/p' "$TMP/warm.lua")" "$BASE/api/v1/registry/search" >/dev/null
# trivial and warm alternately, RUNS pairs: on a busy machine the load
# changes between runs, so each ratio compares neighbours; the median pair
for i in $(seq "$RUNS"); do
	read -r tr tp50 tp99 tbad < <(one "$CONNS" "$BASE/-/query/healthz")
	read -r wr wp50 wp99 wbad < <(one "$CONNS" "$BASE/api/v1/registry/search" "$TMP/warm.lua")
	echo "$(echo "$wr / $tr" | bc -l) $tr $tp50 $tp99 $tbad $wr $wp50 $wp99 $wbad"
done | sort -n >"$TMP/pairs"
read -r RATIO TR TP50 TP99 TBAD WR WP50 WP99 WBAD < <(awk -v n="$RUNS" 'NR == int((n + 1) / 2)' "$TMP/pairs")
RATIOS=$(awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1}' "$TMP/pairs")
read -r CR CP50 CP99 CBAD < <(median_p99 "$WORKERS" "$BASE/api/v1/registry/search" "$TMP/cold.lua")
units=$("${PSQL[@]}" -c "SELECT count(*) FROM reg.unit")
entries=$("${PSQL[@]}" -c "SELECT count(*) FROM reg.entry")
echo
echo "registry search on $units units ($entries entries), wrk -t2 -d${DUR}s, median of $RUNS"
printf '%-34s %10s %9s %9s %6s\n' target req/s p50_ms p99_ms non2xx
printf '%-34s %10s %9s %9s %6s\n' "query /healthz (trivial, -c$CONNS)" "$TR" "$TP50" "$TP99" "$TBAD"
printf '%-34s %10s %9s %9s %6s\n' "search by holder, warm (-c$CONNS)" "$WR" "$WP50" "$WP99" "$WBAD"
printf '%-34s %10s %9s %9s %6s\n' "search by holder, cold (-c$WORKERS)" "$CR" "$CP50" "$CP99" "$CBAD"
printf 'warm search: %.2f of the trivial endpoint (goal >= 0.70; pairs %s); cold search p99 %s ms (goal < 20)\n' \
	"$RATIO" "$RATIOS" "$CP99"
