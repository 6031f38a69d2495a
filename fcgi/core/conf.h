/* Configuration from the environment, read once at start-up. */
#ifndef TB_CONF_H
#define TB_CONF_H
#include <stddef.h>

struct conf {
	const char *socket_path;	/* TB_SOCKET */
	int workers;			/* TB_WORKERS */
	const char *slow_socket_path;	/* TB_SLOW_SOCKET: the slow lane's socket; NULL: none */
	int slow_workers;		/* TB_SLOW_WORKERS: workers on the slow lane */
	int slow_nice;			/* TB_SLOW_NICE: their CPU niceness */
	long max_requests;		/* TB_MAX_REQUESTS: recycle a worker after this many */
	int max_conns;			/* TB_MAX_CONNS: kept connections per worker */
	int drain_seconds;		/* TB_DRAIN_SECONDS: graceful stop deadline */
	const char *pg_conninfo;	/* TB_PG */
	const char *redis;		/* TB_REDIS: unix socket path or host:port */
	int redis_timeout_ms;		/* TB_REDIS_TIMEOUT_MS */
	int db_timeout_ms;		/* TB_DB_STATEMENT_TIMEOUT_MS */
	size_t max_body;		/* TB_MAX_BODY */
	size_t json_max;		/* TB_JSON_MAX */
	unsigned json_depth;		/* TB_JSON_DEPTH */
	const char *log_level;		/* TB_LOG_LEVEL */
	int test_clock;			/* TB_TEST_CLOCK: honour X-Tb-Test-Now (test builds only) */
	const char *data_keys_path;	/* TB_DATA_KEYS: the data key file (keyring.h) */
	const char *public_url;		/* TB_PUBLIC_URL: the portal's address as applicants reach it
				 * (http(s)://host[:port], no trailing slash); NULL unset */
	const struct keyring *keys;	/* loaded from it by server_main; NULL without */
};

/* Fills c from the environment with defaults; -1 with a message on stderr
 * when a value is malformed. */
int conf_load(struct conf *c);
const char *conf_str(const char *name, const char *dflt);
long conf_long(const char *name, long dflt, long min, long max, int *bad);

#endif
