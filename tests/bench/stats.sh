#!/bin/bash
# make bench, statistics at region scale (called by bench.sh on its stack, or
# alone: it then starts a stack of its own). The stack is filled with
# BENCH_STATS_CASES past cases (`tbctl seed-history`, default 2,000,000, and
# one archive query per five; a kept stack already holding them is not seeded
# again) and the seeding time printed. Then every report of
# GET /api/v1/stats/{report} (the admin service), as the region's stats
# reader (division 450000), as one city's (南宁市 450100) and as one county's (青秀区 450103), each with
# wrk -c$STATS_CONNS -d${STATS_DUR}s beside the trivial endpoint of the same
# service (admin /healthz) in the same run: p50/p99 per report, goal p99 < 300 ms.
# Environment from bench.sh: STACK, BASE, WORKERS; STATS_CONNS (4), STATS_DUR (10).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CASES=${BENCH_STATS_CASES:-2000000}
CONNS=${STATS_CONNS:-4}
DUR=${STATS_DUR:-10}
WORKERS=${WORKERS:-${TB_WORKERS:-2}}
COUNTY=450103
CITY=450100

. tests/bench/own_stack.sh
own_stack stats

# the history (seed-history's runs are in the audit trail)
have=$("${PSQL[@]}" -c "SELECT coalesce(sum((details->>'cases')::bigint), 0) FROM audit.event
	WHERE action = 'cases.seed_history' AND outcome = 'success'")
if [ "$have" -lt "$CASES" ]; then
	t0=$(date +%s.%N)
	bin/tbctl seed-history $((CASES - have)) >"$TMP/seed.log" 2>&1 || { cat "$TMP/seed.log" >&2; exit 1; }
	echo "stats bench: seeded $((CASES - have)) cases in $(printf '%.0f' "$(echo "$(date +%s.%N) - $t0" | bc -l)") s"
	grep -E '^(seeded|  )' "$TMP/seed.log" | sed 's/^/  /'
fi

# two stats readers with TOTP (admin roles log in with a second factor): the
# region's and the county's; the secret is RFC 6238's test key
reader() { # username agency scope -> token
	if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM iam.user WHERE username = '$1'")" = 0 ]; then
		printf 'Bench-Passw0rd-1\n' | bin/tbctl user create --username "$1" --name 统计压测 --agency "$2" \
			--role jurisdiction_admin --scope "$3" >/dev/null
	fi
	"${PSQL[@]}" -c "UPDATE iam.user SET must_change_password = false, totp_secret = NULL, totp_last_step = 0,
		totp_secret_legacy = decode('3132333435363738393031323334353637383930', 'hex') WHERE username = '$1'"
	python3 - "$BASE" "$1" <<'PY'
import hashlib, hmac, json, struct, sys, time, urllib.request
step = int(time.time() // 30)
mac = hmac.new(b"12345678901234567890", struct.pack(">Q", step), hashlib.sha1).digest()
off = mac[-1] & 15
otp = "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7fffffff) % 10 ** 6)
body = json.dumps({"username": sys.argv[2], "password": "Bench-Passw0rd-1", "otp": otp}).encode()
req = urllib.request.Request(sys.argv[1] + "/api/v1/auth/login", body, {"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
}
RTOKEN=$(reader statsregion 450000 450000)
sleep 1
CTOKEN=$(reader statscounty $COUNTY $COUNTY)
sleep 1
YTOKEN=$(reader statscity $CITY $CITY)

# one wrk run -> "rps p50_ms p99_ms non2xx timeouts" (a request may take up
# to 10 s: wrk's default of 2 s would drop the slow ones from the latencies)
one() { # url [header]
	local extra=()
	[ -n "${2:-}" ] && extra=(-H "$2")
	wrk -t2 -c"$CONNS" -d"${DUR}s" --timeout 10s --latency "${extra[@]}" "$1" 2>/dev/null | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { bad = $NF }
		/Socket errors/ { to = $NF }
		END { printf "%.2f %.2f %.2f %d %d\n", rps, p50, p99, bad, to }'
}

REPORTS=(overview by-month by-type by-agency cross-trend processing overdue fees queries)
cases=$("${PSQL[@]}" -c "SELECT count(*) FROM cases.case")
events=$("${PSQL[@]}" -c "SELECT count(*) FROM cases.event")
echo
echo "statistics on $cases cases ($events events), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), wrk -t2 -c$CONNS -d${DUR}s"
printf '%-30s %8s %9s %9s %6s %8s %6s\n' target req/s p50_ms p99_ms non2xx timeouts goal
read -r r p5 p9 b to < <(one "$BASE/-/admin/healthz")
printf '%-30s %8s %9s %9s %6s %8s %6s\n' "admin /healthz (trivial)" "$r" "$p5" "$p9" "$b" "$to" ""
worst=0
for who in region city county; do
	case $who in
	region) tok=$RTOKEN div=450000 ;;
	city) tok=$YTOKEN div=$CITY ;;
	*) tok=$CTOKEN div=$COUNTY ;;
	esac
	for rep in "${REPORTS[@]}"; do
		url="$BASE/api/v1/stats/$rep?division=$div"
		# the answer once, for the record (status and size)
		code=$(curl -s -o "$TMP/$who-$rep.json" -w '%{http_code}' -H "Authorization: Bearer $tok" "$url")
		read -r r p5 p9 b to < <(one "$url" "Authorization: Bearer $tok")
		# met: every answer 200 in time, p99 under 300 ms
		ok=$(awk -v p="$p9" -v c="$code" -v r="$r" -v b="$b" -v t="$to" \
			'BEGIN { print (c == 200 && r > 0 && b == 0 && t == 0 && p < 300) ? "ok" : "MISS" }')
		[ "$ok" = ok ] || worst=1
		[ "$code" = 200 ] || ok="$ok($code $(sed -n 's/.*"code":"\([a-z_]*\)".*/\1/p' "$TMP/$who-$rep.json"))"
		printf '%-30s %8s %9s %9s %6s %8s %6s\n' "$rep ($who $div)" "$r" "$p5" "$p9" "$b" "$to" "$ok"
	done
	read -r r p5 p9 b to < <(one "$BASE/-/admin/healthz")
	printf '%-30s %8s %9s %9s %6s %8s %6s\n' "admin /healthz (again)" "$r" "$p5" "$p9" "$b" "$to" ""
done
if [ $worst = 0 ]; then
	echo "every report p99 < 300 ms (goal met)"
else
	echo "some report answered other than 200, timed out or had p99 >= 300 ms (MISS above)"
fi
