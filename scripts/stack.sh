#!/bin/bash
# Bring a whole Tongban stack up or down in one directory:
#   stack.sh run DIR     start on port 8080 with demo data, stay in the foreground,
#                        stop everything on Ctrl-C (or `stack.sh stop DIR` elsewhere)
#   stack.sh start DIR   start in the background (tests, bench); env below
#   stack.sh stop DIR    stop every process the stack started
#   stack.sh pg-restart|pg-stop|pg-start|redis-stop|redis-start DIR   for fault tests
# Environment for start: TB_PORT (8080), TB_BIN (bin/ of the checkout),
# TB_WORKERS (2 per service), TB_SLOW_WORKERS (the slow lanes of admin,
# intake and query: half the cores, at least one), TB_CERT_KEY, TB_CERT_CHAIN,
# TB_SM2_KEY (certificate signing keys; a local CA's are made under
# keys/cert/ when unset), TB_DEMO (1 = load sql/demo), TB_PG_FAST (1 = no
# fsync: throw-away test stacks only), TB_SVC_ENV (extra VAR=value words for the
# services), TB_RATE_* and TB_BURST_* (log-in, query, applicant rates per client
# address), TB_CONN_PER_ADDR (connections per client address, 256), TB_PAY_*
# (a payment provider; unset: keys/pay/ and the provider simulator).
# Everything lives under DIR: pg/ (cluster), run/ (sockets, pids), log/, tmp/.
# As root, a DIR the service user cannot reach becomes a link to /var/lib/tongban/….
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { sed -n '2,19p' "$0"; exit 2; }
mkdir -p "$DIR"
# the physical path: DIR may be a link to the state kept under /var/lib/tongban
DIR=$(cd "$DIR" && pwd -P)
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
SERVICES="admin intake query public"
PGPORT=54320 # the socket's name only: PostgreSQL listens on no TCP port

if [ "$(id -u)" -eq 0 ]; then
	RUNAS=(setpriv --reuid=tongban --regid=tongban --init-groups --inh-caps=-all --)
else
	RUNAS=()
fi

log() { printf '[stack] %s\n' "$*" >&2; }

pg_env() { echo "host=$DIR/run port=$PGPORT dbname=tongban"; }

psql_super() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$(pg_env) user=tb_super" "$@"; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start_pg() {
	if [ ! -f "$DIR/pg/PG_VERSION" ]; then
		log "initialising PostgreSQL cluster in $DIR/pg"
		"${RUNAS[@]}" "$PGBIN/initdb" -D "$DIR/pg" -U tb_super --auth=trust -E UTF8 \
			--locale=C.UTF-8 >"$DIR/log/initdb.log" 2>&1
		# unix socket only, in a directory only the stack's user can enter
		cat >>"$DIR/pg/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$DIR/run'
unix_socket_permissions = 0700
port = $PGPORT
max_connections = 200
shared_buffers = 128MB
timezone = 'Asia/Shanghai'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
		if [ "${TB_PG_FAST:-0}" = 1 ]; then
			printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >>"$DIR/pg/postgresql.conf"
		fi
	fi
	"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/log/postgresql.log" -w -t 60 start >/dev/null
	if ! "$PGBIN/psql" -X -At "$(pg_env | sed 's/dbname=tongban/dbname=postgres/') user=tb_super" \
		-c "SELECT 1 FROM pg_database WHERE datname='tongban'" | grep -q 1; then
		"$PGBIN/createdb" -h "$DIR/run" -p $PGPORT -U tb_super tongban
	fi
}

stop_pg() {
	if [ -f "$DIR/pg/postmaster.pid" ]; then
		"${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast -w -t 60 stop >/dev/null 2>&1 || true
	fi
}

start_redis() {
	# a cache: no RDB, no AOF; unix socket only
	setsid "${RUNAS[@]}" redis-server --port 0 --unixsocket "$DIR/run/redis.sock" \
		--unixsocketperm 700 --save '' --appendonly no --dir "$DIR/tmp" \
		--pidfile "$DIR/run/redis.pid" --logfile "$DIR/log/redis.log" --daemonize no \
		--maxmemory 256mb --maxmemory-policy allkeys-lru </dev/null >/dev/null 2>&1 &
	echo $! >"$DIR/run/redis.pid"
	for _ in $(seq 50); do [ -S "$DIR/run/redis.sock" ] && return 0; sleep 0.1; done
	log "redis did not start: see $DIR/log/redis.log"; return 1
}

stop_redis() {
	if alive "$DIR/run/redis.pid"; then
		local pid; pid=$(cat "$DIR/run/redis.pid")
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	rm -f "$DIR/run/redis.pid" "$DIR/run/redis.sock"
}

# The data keys (keyring.h): AES-256-GCM keys for secrets at rest and the
# HMAC key of lookup indexes. They live outside the database, readable by
# the stack's user only; made once per stack and kept with it.
make_data_keys() {
	mkdir -p "$DIR/keys"
	chmod 700 "$DIR/keys"
	if [ ! -f "$DIR/keys/data.keys" ]; then
		(umask 077; {
			echo "# Tongban data keys: 'enc <id> <hex>' (the last one seals new values), 'idx <hex>'"
			echo "enc 1 $(openssl rand -hex 32)"
			echo "idx $(openssl rand -hex 32)"
		} >"$DIR/keys/data.keys")
	fi
	if [ ${#RUNAS[@]} -gt 0 ]; then chown -R tongban:tongban "$DIR/keys"; fi
}

# The audit trail's anchors live outside the database (README, "Audit
# trail"): the admin service's sealer signs checkpoints with an Ed25519 key
# made once per stack, readable by the stack's user only.
audit_keys() {
	mkdir -p "$DIR/keys" "$DIR/audit"
	chmod 700 "$DIR/keys" "$DIR/audit"
	if [ ! -f "$DIR/keys/audit.pem" ]; then
		(umask 077 && openssl genpkey -algorithm ed25519 -out "$DIR/keys/audit.pem")
		openssl pkey -in "$DIR/keys/audit.pem" -pubout -out "$DIR/keys/audit.pub.pem"
	fi
	if [ ${#RUNAS[@]} -gt 0 ]; then chown -R tongban:tongban "$DIR/keys" "$DIR/audit"; fi
}

# The query-result certificates' signing keys (README, "Query-result
# certificates"): when TB_CERT_KEY/TB_CERT_CHAIN/TB_SM2_KEY are not set, a
# local CA, a signing certificate it issues (RSA-2048) and an SM2 key, made
# once per stack with the openssl tool under keys/cert/.
cert_keys() {
	local k="$DIR/keys/cert"
	mkdir -p "$k"
	chmod 700 "$DIR/keys" "$k"
	if [ -z "${TB_CERT_KEY:-}" ] && [ ! -f "$k/chain.pem" ]; then
		(umask 077
		 openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 -keyout "$k/ca.key" -out "$k/ca.pem" \
			-subj "/C=CN/O=Tongban local CA/CN=Tongban local CA" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
		 openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$k/sign.key" -out "$k/sign.csr" \
			-subj "/C=CN/O=Tongban/CN=Tongban certificate signing" 2>/dev/null
		 printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n' >"$k/sign.ext"
		 openssl x509 -req -sha256 -days 825 -in "$k/sign.csr" -CA "$k/ca.pem" -CAkey "$k/ca.key" \
			-CAcreateserial -extfile "$k/sign.ext" -out "$k/sign.pem" 2>/dev/null
		 cat "$k/sign.pem" "$k/ca.pem" >"$k/chain.pem"
		 rm -f "$k/sign.csr" "$k/sign.ext")
	fi
	if [ -z "${TB_SM2_KEY:-}" ] && [ ! -f "$k/sm2.pem" ]; then
		(umask 077 && openssl genpkey -algorithm SM2 -out "$k/sm2.pem")
		openssl pkey -in "$k/sm2.pem" -pubout -out "$k/sm2.pub.pem"
	fi
	if [ ${#RUNAS[@]} -gt 0 ]; then chown -R tongban:tongban "$k"; fi
}

# The payment provider (README, "Payment provider (adapter and simulator)").
# With TB_PAY_BASE_URL set the operator's TB_PAY_* reach the services as
# they are (production: the provider's address, the merchant's keys). Without
# it the stack plays the provider itself: keys made once per stack under
# keys/pay/ (the merchant's and the platform's RSA-2048 key pairs, their
# certificate serial numbers, a random 32-byte API v3 key) and the provider
# simulator tests/paysim/paysim.py on a free port, its pid and port under
# run/ like the other services'. PAY_ENV: what intake and public get.
PAY_ENV=""
pay_keys() {
	local k="$DIR/keys/pay"
	mkdir -p "$k"
	chmod 700 "$DIR/keys" "$k"
	if [ ! -f "$k/api.key" ]; then
		(umask 077
		 for who in merchant platform; do
			openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/$who.key" 2>/dev/null
			openssl pkey -in "$k/$who.key" -pubout -out "$k/$who.pub.pem"
			# a certificate serial number as the provider prints them: 40 hex digits
			openssl rand -hex 20 | tr a-f A-F >"$k/$who.serial"
		 done
		 echo 1900000109 >"$k/mchid"
		 echo "wx$(openssl rand -hex 8)" >"$k/appid"
		 # 32 bytes, as the merchant platform's API v3 keys are typed: 32 characters
		 openssl rand -hex 16 | tr -d '\n' >"$k/api.key")
	fi
	if [ ${#RUNAS[@]} -gt 0 ]; then chown -R tongban:tongban "$k"; fi
}

start_paysim() {
	PAY_ENV=""
	[ -z "${TB_PAY_BASE_URL:-}" ] || return 0
	if [ ! -f "$ROOT/tests/paysim/paysim.py" ]; then
		log "no payment simulator in this checkout: online payment is not configured"
		return 0
	fi
	pay_keys
	cp "$ROOT/tests/paysim/paysim.py" "$DIR/bin/paysim.py"
	# the distribution's python3, which has python3-cryptography (deps.sh)
	local py=/usr/bin/python3 k="$DIR/keys/pay"
	[ -x "$py" ] || py=python3
	rm -f "$DIR/run/paysim.port"
	setsid "${RUNAS[@]}" "$py" "$DIR/bin/paysim.py" --keys "$k" --port-file "$DIR/run/paysim.port" \
		</dev/null >>"$DIR/log/paysim.log" 2>&1 &
	echo $! >"$DIR/run/paysim.pid"
	for _ in $(seq 100); do [ -s "$DIR/run/paysim.port" ] && break; sleep 0.05; done
	[ -s "$DIR/run/paysim.port" ] || { log "the payment simulator did not start: see $DIR/log/paysim.log"; return 1; }
	local port; port=$(cat "$DIR/run/paysim.port")
	PAY_ENV="TB_PAY_PROVIDER=wechat TB_PAY_BASE_URL=http://127.0.0.1:$port TB_PAY_MCHID=$(cat "$k/mchid")"
	PAY_ENV="$PAY_ENV TB_PAY_APPID=$(cat "$k/appid") TB_PAY_MERCHANT_KEY=$k/merchant.key"
	PAY_ENV="$PAY_ENV TB_PAY_MERCHANT_SERIAL=$(cat "$k/merchant.serial") TB_PAY_PLATFORM_KEY=$k/platform.pub.pem"
	PAY_ENV="$PAY_ENV TB_PAY_PLATFORM_SERIAL=$(cat "$k/platform.serial") TB_PAY_API_KEY=$k/api.key"
	# the simulator runs beside nginx: it notifies through the stack's own port
	PAY_ENV="$PAY_ENV TB_PAY_NOTIFY_URL=${TB_PAY_NOTIFY_URL:-http://127.0.0.1:${TB_PORT:-8080}/api/v1/payments/notify}"
}

stop_paysim() {
	local pid
	pid=$(cat "$DIR/run/paysim.pid" 2>/dev/null) || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/run/paysim.pid" "$DIR/run/paysim.port"
}

start_services() {
	local bin=$1 workers=$2
	audit_keys
	cert_keys
	for s in $SERVICES; do
		local audit_env=""
		[ "$s" = admin ] && audit_env="TB_AUDIT_KEY=$DIR/keys/audit.pem TB_AUDIT_ANCHOR_DIR=$DIR/audit"
		local cert_env=""
		local pay_env=""
		case $s in intake | public) pay_env=$PAY_ENV ;; esac
		[ "$s" = query ] && cert_env="TB_CERT_KEY=${TB_CERT_KEY:-$DIR/keys/cert/sign.key} TB_CERT_CHAIN=${TB_CERT_CHAIN:-$DIR/keys/cert/chain.pem} TB_SM2_KEY=${TB_SM2_KEY:-$DIR/keys/cert/sm2.pem}"
		# intake takes attachments of up to 20 MiB (as multipart: a little more)
		local body=1048576
		[ "$s" = intake ] && body=22020096
		[ "$s" = query ] && body=11534336 # archive-query evidence, 10 MiB
		# admin: policy documents' PDF attachments (10 MiB) and their JSON
		# (up to 200 000 characters of text); nginx limits each route
		local json_env=""
		[ "$s" = admin ] && body=11534336 && json_env="TB_JSON_MAX=2097152"
		# admin (password hashing) and intake (uploads) have a slow lane:
		# workers of their own on a second socket (README, "Workers and
		# connections"); nginx sends the slow routes there
		# half the cores at most, so that hashing never takes every core
		# from the quick lane (2 cores: one slow worker)
		local slow_workers=$(( $(nproc) / 2 ))
		[ "$slow_workers" -ge 1 ] || slow_workers=1
		local slow_env=""
		# query: certificates are drawn and signed there
		case $s in admin | intake | query)
			slow_env="TB_SLOW_SOCKET=$DIR/run/slow-$s.sock TB_SLOW_WORKERS=${TB_SLOW_WORKERS:-$slow_workers}" ;;
		esac
		# shellcheck disable=SC2086
		setsid "${RUNAS[@]}" env TB_SOCKET="$DIR/run/$s.sock" TB_MAX_BODY=$body \
			TB_PG="$(pg_env) user=tb_$s connect_timeout=2" \
			TB_REDIS="$DIR/run/redis.sock" TB_WORKERS="$workers" TB_DATA_KEYS="$DIR/keys/data.keys" \
			TB_LOG_LEVEL="${TB_LOG_LEVEL:-info}" TB_PUBLIC_URL="${TB_PUBLIC_URL:-http://127.0.0.1:${TB_PORT:-8080}}" \
			ASAN_OPTIONS="${ASAN_OPTIONS:-}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}" \
			$audit_env $cert_env $slow_env $pay_env $json_env ${TB_SVC_ENV:-} "$bin/tongban-$s" </dev/null >>"$DIR/log/$s.log" 2>&1 &
		echo $! >"$DIR/run/$s.pid"
	done
	for s in $SERVICES; do
		for _ in $(seq 100); do [ -S "$DIR/run/$s.sock" ] && break; sleep 0.05; done
		[ -S "$DIR/run/$s.sock" ] || { log "$s did not start: see $DIR/log/$s.log"; return 1; }
		case $s in admin | intake | query)
			for _ in $(seq 100); do [ -S "$DIR/run/slow-$s.sock" ] && break; sleep 0.05; done ;;
		esac
	done
}

stop_services() {
	local pids=()
	local pid
	for s in $SERVICES; do
		# read once: `make stop` and the foreground `make run` may stop together
		pid=$(cat "$DIR/run/$s.pid" 2>/dev/null) || continue
		if kill -0 "$pid" 2>/dev/null; then
			pids+=("$pid")
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done
	# the bench's bare responder: its whole process group
	if alive "$DIR/run/bare.pid"; then kill -TERM -- "-$(cat "$DIR/run/bare.pid")" 2>/dev/null || true; fi
	for p in "${pids[@]}"; do
		for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null || true
	done
	for s in $SERVICES bare; do rm -f "$DIR/run/$s.pid"; done
}

render_nginx() {
	local port=$1 web=$2
	mkdir -p "$DIR/nginx" "$DIR/tmp"
	cp "$ROOT/nginx/fastcgi_params" "$DIR/nginx/fastcgi_params"
	cp "$ROOT/nginx/headers.conf" "$DIR/nginx/headers.conf"
	sed -e "s|@DIR@|$DIR|g" -e "s|@WEB@|$web|g" -e "s|@PORT@|$port|g" \
		-e "s|@NGINX_WORKERS@|${TB_NGINX_WORKERS:-1}|g" \
		-e "s|@LOGIN_RATE@|${TB_RATE_LOGIN:-5r/s}|g" -e "s|@LOGIN_BURST@|${TB_BURST_LOGIN:-40}|g" \
		-e "s|@QUERY_RATE@|${TB_RATE_QUERY:-10r/s}|g" -e "s|@QUERY_BURST@|${TB_BURST_QUERY:-20}|g" \
		-e "s|@APPLICANT_RATE@|${TB_RATE_APPLICANT:-50r/s}|g" -e "s|@APPLICANT_BURST@|${TB_BURST_APPLICANT:-100}|g" \
		-e "s|@CONN_PER_ADDR@|${TB_CONN_PER_ADDR:-256}|g" \
		"$ROOT/nginx/tongban.conf.in" >"$DIR/nginx/nginx.conf"
}

start_nginx() {
	# room for the descriptors worker_rlimit_nofile asks for (up to the hard limit)
	ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
	"${RUNAS[@]}" nginx -q -t -c "$DIR/nginx/nginx.conf" -p "$DIR" -e "$DIR/log/nginx-error.log"
	"${RUNAS[@]}" nginx -c "$DIR/nginx/nginx.conf" -p "$DIR" -e "$DIR/log/nginx-error.log"
}

stop_nginx() {
	if alive "$DIR/run/nginx.pid"; then
		local pid; pid=$(cat "$DIR/run/nginx.pid")
		kill -QUIT "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -TERM "$pid" 2>/dev/null || true
	fi
}

# As root the services run as 'tongban', which must reach DIR. A checkout in
# a closed directory (root's home is 0700) keeps its stack state in
# /var/lib/tongban/<checkout>-<hash of the path> instead, DIR becoming a link
# to it; nothing of the checkout itself is read by the services (binaries
# and pages are copied in, migrations are applied by root).
relocate_if_closed() {
	[ ${#RUNAS[@]} -gt 0 ] || return 0
	"${RUNAS[@]}" test -x "$DIR" && return 0
	local name hash state
	name=$(printf '%s-%s' "$(basename "$(dirname "$DIR")")" "$(basename "$DIR")" | tr -c 'A-Za-z0-9._-' '-' | cut -c1-40)
	hash=$(printf '%s' "$DIR" | sha256sum | cut -c1-8)
	state=/var/lib/tongban/$name-$hash
	# DIR holds only what a stack that could not start leaves behind
	local f
	for f in "$DIR"/* "$DIR"/.[!.]*; do
		[ -e "$f" ] || continue
		case "${f##*/}" in run | log | tmp | bin | web | nginx) ;; *)
			log "the user 'tongban' cannot reach $DIR and it holds ${f##*/}: move it away, then start again"
			return 1 ;;
		esac
	done
	log "the user 'tongban' cannot reach $DIR: the stack's state is kept in $state"
	mkdir -p "$state"
	chmod 755 /var/lib/tongban
	rm -rf "$DIR"
	ln -s "$state" "$DIR"
	DIR=$state
}

do_start() {
	local port=${TB_PORT:-8080} bin=${TB_BIN:-$ROOT/bin} workers=${TB_WORKERS:-2}
	relocate_if_closed || return 1
	mkdir -p "$DIR"/{run,log,tmp,bin}
	chmod 700 "$DIR/run"
	# binaries and pages are copied in so the stack's user never needs to
	# enter the checkout (CI clones it where only root may look)
	rm -f "$DIR"/bin/tongban-* && cp "$bin"/tongban-* "$DIR/bin/"
	[ -x "$ROOT/build/bench/bare-fcgi" ] && cp "$ROOT/build/bench/bare-fcgi" "$DIR/bin/"
	if [ ! -f "$ROOT/build/web/index.html" ]; then log "the portal is not built: run make web"; return 1; fi
	rm -rf "$DIR/web" && cp -r "$ROOT/build/web" "$DIR/web"
	if [ ${#RUNAS[@]} -gt 0 ]; then
		chown -R tongban:tongban "$DIR"
		if ! "${RUNAS[@]}" test -w "$DIR/run"; then
			log "the user 'tongban' cannot write to $DIR/run."
			return 1
		fi
	fi
	make_data_keys
	start_pg
	log "applying migrations"
	TB_PG_ADMIN="$(pg_env) user=tb_super" "$ROOT/bin/tbctl" migrate --dir "$ROOT/sql" | sed 's/^/[stack] /' >&2
	if [ "${TB_DEMO:-0}" = 1 ] && compgen -G "$ROOT/sql/demo/*.sql" >/dev/null; then
		log "loading demo data"
		for f in "$ROOT"/sql/demo/*.sql; do psql_super -f "$f" >/dev/null; done
	fi
	# values still in clear (older rows, demo data) sealed under the current key
	TB_PG_ADMIN="$(pg_env) user=tb_super" TB_DATA_KEYS="$DIR/keys/data.keys" "$ROOT/bin/tbctl" keys rotate \
		| sed 's/^/[stack] /' >&2
	start_redis
	start_paysim
	start_services "$DIR/bin" "$workers"
	render_nginx "$port" "$DIR/web"
	start_nginx
	echo "$port" >"$DIR/run/port"
	for _ in $(seq 100); do
		if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	log "the stack did not become ready; logs are in $DIR/log"
	return 1
}

do_stop() {
	stop_nginx
	stop_services
	stop_paysim
	stop_redis
	stop_pg
	rm -f "$DIR/run/port"
}

case "$cmd" in
start) do_start ;;
stop) do_stop ;;
run)
	if alive "$DIR/run/nginx.pid"; then log "a stack is already running in $DIR (make stop)"; exit 1; fi
	trap 'do_stop; exit 0' INT TERM
	TB_DEMO=1 do_start || { do_stop; exit 1; }
	port=$(cat "$DIR/run/port")
	cat <<MSG

  Tongban is running:  http://localhost:$port/
  readiness:           curl -s localhost:$port/readyz
  logs:                $DIR/log/
MSG
	if [ -s "$DIR/run/paysim.port" ]; then
		echo "  payment simulator:   http://127.0.0.1:$(cat "$DIR/run/paysim.port")/ (opening an order's pay link pays it)"
	fi
	if [ -f "$ROOT/sql/demo/LOGINS.txt" ]; then
		echo "  demo log-ins:"; sed 's/^/    /' "$ROOT/sql/demo/LOGINS.txt"
	fi
	echo "  Ctrl-C (or 'make stop' in another shell) stops everything."
	while alive "$DIR/run/nginx.pid"; do sleep 1; done
	do_stop
	;;
pg-restart) "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast -w -t 60 restart -l "$DIR/log/postgresql.log" >/dev/null ;;
pg-stop) stop_pg ;;
pg-start) "${RUNAS[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/log/postgresql.log" -w -t 60 start >/dev/null ;;
redis-stop) stop_redis ;;
redis-start) start_redis ;;
*) sed -n '2,15p' "$0"; exit 2 ;;
esac
