#!/bin/bash
# make bench, mixed load (called by bench.sh on its running stack): the p99 of
# two fast reads — GET /api/v1/auth/me (admin) and a case detail (intake) —
# alone, then while two clients log in in a loop (~120 ms of PBKDF2 each, on
# the admin pool) and large uploads run one after another (on the intake
# pool), and the ratio of the two. A request that waits behind a slow one on
# another connection shows up here as a ratio far above 1; the goal is <= 2.
# wrk -t1 -c16 per read, BENCH_DURATION seconds, median of BENCH_RUNS by p99.
# Environment from bench.sh: BENCH_BASE, BENCH_TOKEN, BENCH_CASE (a case the
# token's clerk can read), BENCH_CASE_BODY (JSON to create the upload's case),
# BENCH_STACK; BENCH_UPLOAD_MIB (size of each upload, default 8).
set -euo pipefail
DUR=${BENCH_DURATION:-5}
RUNS=${BENCH_RUNS:-3}
BASE=$BENCH_BASE
AUTH="Authorization: Bearer $BENCH_TOKEN"
TMP=$BENCH_STACK/tmp/mixed
mkdir -p "$TMP"

# the uploads go to a case of their own, so the case read stays the same
up_case() {
	curl -fsS -XPOST -H "$AUTH" -H 'Content-Type: application/json' -d "$BENCH_CASE_BODY" \
		"$BASE/api/v1/cases" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}
{ printf '%%PDF-1.4\n'; head -c "$(( ${BENCH_UPLOAD_MIB:-8} * 1048576 ))" /dev/zero; printf '\n%%%%EOF\n'; } >"$TMP/upload.pdf"

# one wrk run -> "p99_ms requests non2xx"
p99() {
	wrk -t1 -c16 -d"${DUR}s" --latency -H "$AUTH" "$1" 2>/dev/null | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^ +99%/ { p99 = ms($2) }
		/requests in/ { n = $1 }
		/Non-2xx/ { bad = $NF }
		END { printf "%.2f %d %d\n", p99, n, bad }'
}
median() { # of RUNS runs of p99 URL, by p99
	local i
	for i in $(seq "$RUNS"); do p99 "$1"; done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2)'
}

LOADPIDS=()
stop_load() {
	local p
	for p in "${LOADPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${LOADPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	LOADPIDS=()
}
trap stop_load EXIT

# the background: each loop counts what it completed in a file of its own
login_loop() {
	local n=0
	while :; do
		curl -fsS -o /dev/null -XPOST -H 'Content-Type: application/json' \
			-d '{"username":"bencher","password":"Bench-Passw0rd-1"}' "$BASE/api/v1/auth/login" && n=$((n + 1))
		echo "$n" >"$TMP/$1"
	done
}
upload_loop() {
	local n=0 c
	c=$(up_case)
	while :; do
		# a case holds 400 MiB of attachments: a fresh case every 32 uploads
		if [ $((n % 32)) -eq 31 ]; then c=$(up_case); fi
		curl -fsS -o /dev/null -XPOST -H "$AUTH" -H 'Content-Type: application/pdf' \
			-H 'X-Document-Type: application' -H 'X-Filename: big.pdf' \
			--data-binary "@$TMP/upload.pdf" "$BASE/api/v1/cases/$c/attachments" && n=$((n + 1))
		echo "$n" >"$TMP/uploads"
	done
}

ME="$BASE/api/v1/auth/me"
CASE="$BASE/api/v1/cases/$BENCH_CASE"
read -r me_alone _ me_bad0 < <(median "$ME")
read -r case_alone _ case_bad0 < <(median "$CASE")

rm -f "$TMP"/login1 "$TMP"/login2 "$TMP"/uploads
login_loop login1 & LOADPIDS+=($!)
login_loop login2 & LOADPIDS+=($!)
upload_loop & LOADPIDS+=($!)
sleep 1
t0=$(date +%s%N)
read -r me_mixed _ me_bad1 < <(median "$ME")
read -r case_mixed _ case_bad1 < <(median "$CASE")
secs=$(( ($(date +%s%N) - t0) / 1000000 ))
stop_load
logins=$(( $(cat "$TMP/login1" 2>/dev/null || echo 0) + $(cat "$TMP/login2" 2>/dev/null || echo 0) ))
uploads=$(cat "$TMP/uploads" 2>/dev/null || echo 0)
rm -rf "$TMP"

echo
echo "mixed load (wrk -t1 -c16 -d${DUR}s per read, median of $RUNS by p99): two clients logging in in a loop,"
echo "${BENCH_UPLOAD_MIB:-8} MiB uploads one after another — $logins log-ins and $uploads uploads in $((secs / 1000)) s"
printf '%-24s %12s %12s %7s %6s\n' read p99_alone_ms p99_mixed_ms ratio non2xx
printf '%-24s %12s %12s %7.2f %6s\n' "auth/me (admin)" "$me_alone" "$me_mixed" \
	"$(echo "$me_mixed / $me_alone" | bc -l)" "$((me_bad0 + me_bad1))"
printf '%-24s %12s %12s %7.2f %6s\n' "case detail (intake)" "$case_alone" "$case_mixed" \
	"$(echo "$case_mixed / $case_alone" | bc -l)" "$((case_bad0 + case_bad1))"
