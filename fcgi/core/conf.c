#include "conf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *conf_str(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

long conf_long(const char *name, long dflt, long min, long max, int *bad)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return dflt;
	char *end;
	errno = 0;
	long x = strtol(v, &end, 10);
	if (errno || *end || x < min || x > max) {
		fprintf(stderr, "tongban: %s=%s is not a number in [%ld, %ld]\n", name, v, min, max);
		*bad = 1;
		return dflt;
	}
	return x;
}

static int public_url_ok(const char *u)
{
	size_t n = strlen(u), skip;
	if (strncmp(u, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(u, "http://", 7) == 0)
		skip = 7;
	else
		return 0;
	if (n <= skip || n > 200 || u[n - 1] == '/')
		return 0;
	for (size_t i = skip; i < n; i++)
		if (u[i] <= 0x20 || u[i] >= 0x7f || u[i] == '#' || u[i] == '?' || u[i] == '"' || u[i] == '\\')
			return 0;
	return 1;
}

int conf_load(struct conf *c)
{
	int bad = 0;
	memset(c, 0, sizeof(*c));
	c->socket_path = conf_str("TB_SOCKET", NULL);
	c->workers = (int)conf_long("TB_WORKERS", 2, 1, 256, &bad);
	c->slow_socket_path = conf_str("TB_SLOW_SOCKET", NULL);
	c->slow_workers = (int)conf_long("TB_SLOW_WORKERS", 2, 1, 256, &bad);
	c->slow_nice = (int)conf_long("TB_SLOW_NICE", 0, 0, 19, &bad);
	c->max_requests = conf_long("TB_MAX_REQUESTS", 1000000, 1, 1L << 40, &bad);
	c->max_conns = (int)conf_long("TB_MAX_CONNS", 512, 1, 65536, &bad);
	c->drain_seconds = (int)conf_long("TB_DRAIN_SECONDS", 10, 0, 3600, &bad);
	c->pg_conninfo = conf_str("TB_PG", "");
	c->redis = conf_str("TB_REDIS", NULL);
	c->redis_timeout_ms = (int)conf_long("TB_REDIS_TIMEOUT_MS", 100, 1, 60000, &bad);
	c->db_timeout_ms = (int)conf_long("TB_DB_STATEMENT_TIMEOUT_MS", 5000, 0, 3600000, &bad);
	c->max_body = (size_t)conf_long("TB_MAX_BODY", 1L << 20, 0, 1L << 30, &bad);
	c->json_max = (size_t)conf_long("TB_JSON_MAX", 64L << 10, 16, 1L << 26, &bad);
	c->json_depth = (unsigned)conf_long("TB_JSON_DEPTH", 16, 1, 128, &bad);
	c->log_level = conf_str("TB_LOG_LEVEL", "info");
#ifdef TB_TEST_HOOKS
	/* test builds only (make build-asan): release binaries have no clock to set */
	c->test_clock = (int)conf_long("TB_TEST_CLOCK", 0, 0, 1, &bad);
#endif
	c->data_keys_path = conf_str("TB_DATA_KEYS", NULL);
	c->keys = NULL;
	/* printed into receipts and their QR codes: an absolute http(s) origin
	 * of printable ASCII, so a URL made from it is one a phone opens */
	c->public_url = conf_str("TB_PUBLIC_URL", NULL);
	if (c->public_url && !public_url_ok(c->public_url)) {
		fprintf(stderr, "tongban: TB_PUBLIC_URL=%s is not an http(s) address without a trailing slash\n",
			c->public_url);
		bad = 1;
	}
	if (c->socket_path == NULL) {
		fprintf(stderr, "tongban: TB_SOCKET is not set\n");
		bad = 1;
	}
	return bad ? -1 : 0;
}
