#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

/* Logger settings are process-wide by nature (stderr is). */
static struct {
	const char *service;
	enum log_level min;
	char request_id[64];
} L = { "tongban", LOG_INFO, "" };

static const char *level_names[] = { "debug", "info", "warn", "error" };

void log_setup(const char *service, enum log_level min)
{
	L.service = service;
	L.min = min;
}

void log_set_request(const char *request_id)
{
	snprintf(L.request_id, sizeof(L.request_id), "%s", request_id ? request_id : "");
}

enum log_level log_level_parse(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, level_names[i]) == 0)
			return (enum log_level)i;
	return LOG_INFO;
}

static void gen_kv(yajl_gen g, const char *k, const char *v)
{
	yajl_gen_string(g, (const unsigned char *)k, strlen(k));
	yajl_gen_string(g, (const unsigned char *)v, strlen(v));
}

void log_write(enum log_level lvl, const char *fmt, ...)
{
	if (lvl < L.min)
		return;
	char msg[1024], ts[40];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03dZ", (int)(tv.tv_usec / 1000));

	yajl_gen g = yajl_gen_alloc(NULL);
	if (g == NULL)
		return;
	/* a message may hold bytes from a peer: never emit invalid UTF-8 */
	yajl_gen_config(g, yajl_gen_validate_utf8, 1);
	yajl_gen_map_open(g);
	gen_kv(g, "ts", ts);
	gen_kv(g, "level", level_names[lvl]);
	gen_kv(g, "service", L.service);
	yajl_gen_string(g, (const unsigned char *)"pid", 3);
	yajl_gen_integer(g, (long long)getpid());
	if (L.request_id[0])
		gen_kv(g, "request_id", L.request_id);
	if (yajl_gen_string(g, (const unsigned char *)"msg", 3) == yajl_gen_status_ok &&
	    yajl_gen_string(g, (const unsigned char *)msg, strlen(msg)) != yajl_gen_status_ok)
		yajl_gen_string(g, (const unsigned char *)"(message not UTF-8)", 19);
	yajl_gen_map_close(g);
	const unsigned char *buf;
	size_t len;
	if (yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok) {
		/* one write per line so lines of several processes do not interleave */
		char line[1400];
		if (len < sizeof(line) - 1) {
			memcpy(line, buf, len);
			line[len] = '\n';
			ssize_t w = write(STDERR_FILENO, line, len + 1);
			(void)w;
		}
	}
	yajl_gen_free(g);
}
