#include "track.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "time.h"

#define CHANNEL "__redis__:invalidate"

void track_init(struct track *t, const char *where, const char *prefix, int timeout_ms,
		void (*on_key)(void *arg, const char *key, size_t len), void *arg)
{
	memset(t, 0, sizeof(*t));
	/* a unix socket only: over TCP an invalidation Redis has sent may
	 * still be on its way when the writer's next round trip completes */
	t->where = where && where[0] == '/' ? where : NULL;
	t->prefix = prefix;
	t->timeout_ms = timeout_ms;
	t->on_key = on_key;
	t->arg = arg;
}

static void lost(struct track *t, const char *what)
{
	if (t->c) {
		log_warn("redis tracking %s: %s; local copies dropped", what,
			 t->c->errstr[0] ? t->c->errstr : "unexpected reply");
		redisFree(t->c);
	}
	t->c = NULL;
	t->retry_at_us = time_mono_us() + 1000000;
	t->on_key(t->arg, NULL, 0);
}

void track_close(struct track *t)
{
	if (t->c)
		redisFree(t->c);
	t->c = NULL;
}

static int is_str(const redisReply *r, const char *s)
{
	return r->type == REDIS_REPLY_STRING && r->len == strlen(s) && memcmp(r->str, s, r->len) == 0;
}

/* One message: 0 an invalidation (delivered), 1 the answer to our PING,
 * -1 something else. */
static int handle(struct track *t, const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2)
		return -1;
	if (r->elements == 2 && is_str(r->element[0], "pong"))
		return 1;
	if (r->elements != 3 || !is_str(r->element[0], "message") || !is_str(r->element[1], CHANNEL))
		return -1;
	const redisReply *k = r->element[2];
	if (k->type == REDIS_REPLY_NIL) { /* FLUSHDB, FLUSHALL */
		t->on_key(t->arg, NULL, 0);
	} else if (k->type == REDIS_REPLY_STRING) {
		t->on_key(t->arg, k->str, (size_t)k->len);
	} else if (k->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < k->elements; i++) {
			if (k->element[i]->type != REDIS_REPLY_STRING)
				return -1;
			t->on_key(t->arg, k->element[i]->str, (size_t)k->element[i]->len);
		}
	} else {
		return -1;
	}
	return 0;
}

/* The messages the reader holds. 1 our PING answered, 0 not (yet), -1 a
 * message not understood or a protocol error. */
static int deliver(struct track *t)
{
	int pong = 0;
	for (;;) {
		void *rep = NULL;
		if (redisReaderGetReply(t->c->reader, &rep) != REDIS_OK)
			return -1;
		if (rep == NULL)
			return pong;
		int h = handle(t, rep);
		freeReplyObject(rep);
		if (h < 0)
			return -1;
		pong |= h;
	}
}

static int connect_tracking(struct track *t)
{
	struct timeval tv = { t->timeout_ms / 1000, (t->timeout_ms % 1000) * 1000 };
	t->c = redisConnectUnixWithTimeout(t->where, tv);
	if (t->c == NULL || t->c->err || redisSetTimeout(t->c, tv) != REDIS_OK) {
		lost(t, "connect");
		return -1;
	}
	redisReply *id = redisCommand(t->c, "CLIENT ID");
	redisReply *on = id && id->type == REDIS_REPLY_INTEGER
				 ? redisCommand(t->c, "CLIENT TRACKING on REDIRECT %lld BCAST PREFIX %s", id->integer,
						t->prefix)
				 : NULL;
	redisReply *sub = on && on->type == REDIS_REPLY_STATUS ? redisCommand(t->c, "SUBSCRIBE " CHANNEL) : NULL;
	int ok = sub && sub->type == REDIS_REPLY_ARRAY && sub->elements == 3 && is_str(sub->element[0], "subscribe");
	if (id)
		freeReplyObject(id);
	if (on)
		freeReplyObject(on);
	if (sub)
		freeReplyObject(sub);
	if (!ok) {
		lost(t, "set-up");
		return -1;
	}
	/* nothing read before this moment is covered */
	t->on_key(t->arg, NULL, 0);
	return 0;
}

int track_sync(struct track *t)
{
	if (t->where == NULL)
		return 0;
	if (t->c == NULL && (time_mono_us() < t->retry_at_us || connect_tracking(t) != 0))
		return 0;
	char buf[8192];
	size_t got = 0;
	for (;;) {
		ssize_t n = recv(t->c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			if (redisReaderFeed(t->c->reader, buf, (size_t)n) != REDIS_OK) {
				lost(t, "read");
				return 0;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		lost(t, n == 0 ? "connection closed" : "read");
		return 0;
	}
	if (got == 0)
		return 1; /* nothing held back (track.h) */
	int pong = deliver(t);
	if (pong != 0) { /* no PING of ours is ever outstanding here */
		lost(t, "message");
		return 0;
	}
	/* Redis may hold more for us: a PING, answered after all of it */
	t->barriers++;
	if (redisAppendCommand(t->c, "PING") != REDIS_OK) {
		lost(t, "barrier");
		return 0;
	}
	for (;;) {
		void *rep = NULL;
		if (redisGetReply(t->c, &rep) != REDIS_OK || rep == NULL) {
			lost(t, "barrier");
			return 0;
		}
		int h = handle(t, rep);
		freeReplyObject(rep);
		if (h < 0) {
			lost(t, "message");
			return 0;
		}
		if (h == 1)
			return 1;
	}
}
