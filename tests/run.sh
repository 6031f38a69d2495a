#!/bin/bash
# make test: unit tests, fuzz replays, then the API tests against a fresh,
# isolated stack (temp dir, free port, sanitizer-built workers), and one
# summary line. Exit non-zero on any failure or sanitizer report.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
passed=0
failed=0

tally() { # reads "RESULT p f" lines from a stage's output
	local line p f
	line=$(grep -E '^RESULT [0-9]+ [0-9]+$' "$1" | tail -1)
	if [ -z "$line" ]; then
		echo "stage $2 did not report a result"; failed=$((failed + 1)); return
	fi
	read -r _ p f <<<"$line"
	passed=$((passed + p)); failed=$((failed + f))
}

out=$(mktemp)
echo "== unit tests"
make --no-print-directory unit 2>&1 | tee "$out"
tally "$out" unit

echo "== fuzz target replays"
if make --no-print-directory fuzz-replay >"$out" 2>&1; then
	passed=$((passed + 1)); echo "ok   fuzz replays"
else
	failed=$((failed + 1)); cat "$out"; echo "FAIL fuzz replays"
fi

STACK=$(mktemp -d /tmp/tongban-test.XXXXXX)
chmod 755 "$STACK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { scripts/stack.sh stop "$STACK" >/dev/null 2>&1; }
trap cleanup EXIT

echo "== stack in $STACK on port $PORT (ASan+UBSan workers)"
export ASAN_OPTIONS="log_path=$STACK/log/asan:detect_leaks=0:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$STACK/log/ubsan:print_stacktrace=1:halt_on_error=1"
if TB_PORT=$PORT TB_BIN="$ROOT/build/asan" TB_PG_FAST=1 TB_WORKERS=2 TB_LOG_LEVEL=debug \
	TB_SVC_ENV=TB_TEST_CLOCK=1 \
	scripts/stack.sh start "$STACK"; then
	# arguments pick modules: test_x (API) and e2e:test_y (browser)
	api_args=() e2e_args=()
	for a in "$@"; do case $a in e2e:*) e2e_args+=("${a#e2e:}") ;; *) api_args+=("$a") ;; esac; done
	if [ $# -eq 0 ] || [ ${#api_args[@]} -gt 0 ]; then
		echo "== API tests"
		TB_ROOT="$ROOT" TB_STACK_DIR="$STACK" TB_PORT="$PORT" /usr/bin/python3 tests/api/run.py "${api_args[@]}" 2>&1 | tee "$out"
		tally "$out" api
	fi
	if [ $# -eq 0 ] || [ ${#e2e_args[@]} -gt 0 ]; then
		echo "== browser tests (Playwright, chromium)"
		TB_ROOT="$ROOT" TB_STACK_DIR="$STACK" TB_PORT="$PORT" node tests/e2e/run.mjs "${e2e_args[@]}" 2>&1 | tee "$out"
		tally "$out" e2e
	fi
else
	echo "FAIL the test stack did not start"; failed=$((failed + 1))
	tail -n 20 "$STACK"/log/*.log
fi
cleanup

reports=$(ls "$STACK"/log/asan.* "$STACK"/log/ubsan.* 2>/dev/null)
if [ -n "$reports" ] || grep -lE 'runtime error:|AddressSanitizer|LeakSanitizer' "$STACK"/log/*.log >/dev/null 2>&1; then
	echo "FAIL sanitizer reports:"
	for f in $reports; do echo "--- $f"; head -n 40 "$f"; done
	grep -hE -A20 'runtime error:|AddressSanitizer' "$STACK"/log/*.log | head -n 60
	failed=$((failed + 1))
else
	passed=$((passed + 1)); echo "ok   no sanitizer reports"
fi
rm -f "$out"
[ "$failed" -eq 0 ] && rm -rf "$STACK" || echo "(stack logs kept in $STACK/log)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
