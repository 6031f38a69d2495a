# Sourced by the bench scripts that also run alone (search.sh, stats.sh):
# without STACK from bench.sh, a stack of their own (kept with BENCH_KEEP);
# then PG, PSQL, TB_PG_ADMIN, TB_DATA_KEYS and TMP=$STACK/tmp/$1.
# own_stack NAME
own_stack() {
	if [ -z "${STACK:-}" ]; then
		STACK=$(mktemp -d "/tmp/tongban-bench-$1.XXXXXX")
		chmod 755 "$STACK"
		PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		BASE="http://127.0.0.1:$PORT"
		cleanup() { scripts/stack.sh stop "$STACK" >/dev/null 2>&1 || true; rm -rf "$STACK"; }
		[ -n "${BENCH_KEEP:-}" ] || trap cleanup EXIT
		TB_PORT=$PORT TB_WORKERS=$WORKERS TB_NGINX_WORKERS=${TB_NGINX_WORKERS:-2} TB_LOG_LEVEL=warn \
			TB_RATE_LOGIN=1000r/s TB_BURST_LOGIN=1000 scripts/stack.sh start "$STACK" 2>/dev/null
	fi
	: "${BASE:?}"
	PG="host=$STACK/run port=54320 dbname=tongban user=tb_super"
	PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
	PSQL=("$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$PG")
	export TB_PG_ADMIN=$PG TB_DATA_KEYS=$STACK/keys/data.keys
	TMP=$STACK/tmp/$1
	mkdir -p "$TMP"
}
