#!/bin/bash
# make bench, mixed load (called by bench.sh on its running stack): the p99 of
# two fast reads — GET /api/v1/auth/me (admin) and a case detail (intake) —
# alone, then while two clients log in in a loop (~120 ms of PBKDF2 each, on
# the admin pool's slow lane) and 8 MiB uploads follow one another (on the
# intake pool's slow lane), and the ratio of the two.
#
# Two ways to send the reads, both with wrk -t1 -c16:
# - paced (the goal line, <= 2): each connection waits a random 0 to
#   2 x BENCH_MIXED_INTERVAL_MS (default 10 ms) before each request, at
#   most 1,600 requests a second per read: far below what a pool answers at
#   saturation, so the p99 shows how long a quick request waits for a
#   worker and a core while slow work runs, which is what the slow lane is
#   for;
# - saturating (for information): no pause, so wrk takes every cycle it is
#   given; with wrk, nginx, PostgreSQL and both pools on the same cores, that
#   p99 measures the share of the CPU the reads keep beside the hashing and
#   the uploads (half the CPU, twice the latency), not whether a quick
#   request queues behind a slow one.
# Alone and loaded alternate in BENCH_RUNS rounds (the loaders are started
# and stopped for each), so a change in the machine's other load lands on
# both sides; each p99 is the median over the rounds.
# Environment from bench.sh: BENCH_BASE, BENCH_TOKEN, BENCH_CASE (a case the
# token's clerk can read), BENCH_CASE_BODY (JSON to create the upload's case),
# BENCH_STACK; BENCH_DURATION (s per wrk run, 5), BENCH_RUNS (3),
# BENCH_UPLOAD_MIB (size of each upload, 8), BENCH_MIXED_INTERVAL_MS (10), BENCH_MIXED_LOAD
# (the loaders: "login1 login2 upload").
set -euo pipefail
DUR=${BENCH_DURATION:-5}
RUNS=${BENCH_RUNS:-3}
GAP=${BENCH_MIXED_INTERVAL_MS:-10}
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
# wrk calls delay() before each request: milliseconds to wait
printf 'function delay() return math.random(0, %d) end\n' "$((2 * GAP))" >"$TMP/paced.lua"

# one wrk run -> "p99_ms requests non2xx"; $1 paced|saturating, $2 URL
p99() {
	local script=()
	[ "$1" = paced ] && script=(-s "$TMP/paced.lua")
	wrk -t1 -c16 -d"${DUR}s" --latency "${script[@]}" -H "$AUTH" "$2" 2>/dev/null | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^ +99%/ { p99 = ms($2) }
		/requests in/ { n = $1 }
		/Non-2xx/ { bad = $NF }
		END { printf "%.2f %d %d\n", p99, n, bad }'
}

LOADPIDS=()
stop_load() {
	local p
	for p in "${LOADPIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${LOADPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	LOADPIDS=()
}
trap stop_load EXIT

# the background: each loop adds what it completed to a file of its own
login_loop() {
	local n
	n=$(cat "$TMP/$1" 2>/dev/null || echo 0)
	while :; do
		curl -fsS -o /dev/null -XPOST -H 'Content-Type: application/json' \
			-d '{"username":"bencher","password":"Bench-Passw0rd-1"}' "$BASE/api/v1/auth/login" && n=$((n + 1))
		echo "$n" >"$TMP/$1"
	done
}
upload_loop() {
	local n c
	n=$(cat "$TMP/uploads" 2>/dev/null || echo 0)
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
rm -f "$TMP"/login1 "$TMP"/login2 "$TMP"/uploads "$TMP"/rows
loaded_ms=0
for _ in $(seq "$RUNS"); do
	for mode in paced saturating; do
		for what in me case; do
			url=$ME; [ $what = case ] && url=$CASE
			echo "alone $mode $what $(p99 $mode "$url")" >>"$TMP/rows"
		done
	done
	# BENCH_MIXED_LOAD names the loaders (default both kinds; one kind
	# alone shows which one costs the reads their latency)
	for l in ${BENCH_MIXED_LOAD:-login1 login2 upload}; do
		case $l in
		login*) login_loop "$l" & LOADPIDS+=($!) ;;
		upload) upload_loop & LOADPIDS+=($!) ;;
		esac
	done
	sleep 1
	t0=$(date +%s%N)
	for mode in paced saturating; do
		for what in me case; do
			url=$ME; [ $what = case ] && url=$CASE
			echo "loaded $mode $what $(p99 $mode "$url")" >>"$TMP/rows"
		done
	done
	loaded_ms=$((loaded_ms + ($(date +%s%N) - t0) / 1000000))
	stop_load
done
logins=$(( $(cat "$TMP/login1" 2>/dev/null || echo 0) + $(cat "$TMP/login2" 2>/dev/null || echo 0) ))
uploads=$(cat "$TMP/uploads" 2>/dev/null || echo 0)

# median p99 over the rounds, and the sum of the non-2xx answers
med() { awk -v s="$1 $2 $3" '$1 " " $2 " " $3 == s { print $4 }' "$TMP/rows" | sort -n |
	awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'; }
bad() { awk -v s="$1 $2" '$2 " " $3 == s { b += $6 } END { print b + 0 }' "$TMP/rows"; }
line() { # label mode what
	local a l
	a=$(med alone "$2" "$3"); l=$(med loaded "$2" "$3")
	printf '%-34s %12s %12s %7.2f %6s\n' "$1" "$a" "$l" "$(echo "$l / $a" | bc -l)" "$(bad "$2" "$3")"
}
rates=$(awk '$2 == "paced" { n[$1] += $5 } END { printf "%.0f %.0f", n["alone"], n["loaded"] }' "$TMP/rows")

echo
echo "mixed load (wrk -t1 -c16 -d${DUR}s per read; $RUNS rounds of alone, then loaded; median p99 of the rounds):"
echo "two clients logging in in a loop and ${BENCH_UPLOAD_MIB:-8} MiB uploads one after another —"
echo "$logins log-ins and $uploads uploads in $((loaded_ms / 1000)) s of loaded measurement"
printf '%-34s %12s %12s %7s %6s\n' read p99_alone_ms p99_mixed_ms ratio non2xx
line "auth/me (admin), paced" paced me
line "case detail (intake), paced" paced case
line "auth/me (admin), saturating" saturating me
line "case detail (intake), saturating" saturating case
read -r ra rl <<<"$rates"
printf 'paced: one request per connection every 0-%d ms, %.0f req/s per read alone, %.0f loaded;\n' \
	"$((2 * GAP))" "$(echo "$ra / ($RUNS * 2 * $DUR)" | bc -l)" "$(echo "$rl / ($RUNS * 2 * $DUR)" | bc -l)"
echo "the goal (<= 2) is on the paced lines; the saturating ones measure CPU share (README, Benchmark)"
rm -rf "$TMP"
