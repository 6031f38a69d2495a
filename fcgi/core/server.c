/* Prefork supervisor and worker loop.
 *
 * Design (see README, "Workers and connections"): the master binds the unix
 * socket (and the slow lane's, TB_SLOW_SOCKET) and forks the workers. Each
 * worker multiplexes any number of kept FastCGI connections from nginx with
 * poll() and serves complete requests one at a time, so an idle kept
 * connection never pins a worker. A request on a kept connection does wait
 * for whatever its worker is doing: routes that are slow by design (password
 * hashing, uploads) go to the slow lane, a pool of its own behind its own
 * socket (nginx picks the lane by method and path), so a quick request
 * never waits behind them.
 *
 * A worker is replaced without a gap: SIGHUP rolls the pool one worker at a
 * time, and a worker near its request limit gets a successor that stands by;
 * the old one stops only after its successor accepts. Workers die with the
 * master (PR_SET_PDEATHSIG). */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "fcgi.h"
#include "keyring.h"
#include "micro.h"
#include "log.h"
#include "route.h"

#define READ_CHUNK 65536
#define WRITE_TIMEOUT_MS 30000
#define IDLE_CLOSE_US (300LL * 1000000) /* longer than nginx's upstream keepalive_timeout */

static volatile sig_atomic_t worker_stop;

static void on_stop(int sig)
{
	(void)sig;
	worker_stop = 1;
}

/* ---- built-in routes ---------------------------------------------------- */

static void h_healthz(struct req *r)
{
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_str(g, "status", "ok");
	jg_str(g, "service", r->w->svc->name);
	jg_int(g, "pid", (long long)getpid());
	yajl_gen_map_close(g);
	resp_json(r, 200);
}

static void h_readyz(struct req *r)
{
	int db_ok = db_ping(&r->w->db, r->w->mslot) == 0;
	int cache_ok = cache_ping(&r->w->cache) == 0;
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	/* Redis is a cache: without it the service works, only slower */
	jg_str(g, "status", !db_ok ? "unavailable" : cache_ok ? "ok" : "degraded");
	jg_str(g, "service", r->w->svc->name);
	jg_key(g, "checks");
	yajl_gen_map_open(g);
	jg_str(g, "postgresql", db_ok ? "ok" : "error");
	jg_str(g, "redis", cache_ok ? "ok" : "error");
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	if (!db_ok)
		resp_header(r, "Retry-After", "1");
	resp_json(r, db_ok ? 200 : 503);
}

static void h_metrics(struct req *r)
{
	struct buf b = { 0 };
	if (metrics_render(r->w->metrics, r->w->svc->name, r->w->route_names, &b) != 0) {
		buf_free(&b);
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	char *body = arena_strndup(r->arena, (const char *)b.p, b.len);
	size_t len = b.len;
	buf_free(&b);
	if (body == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	resp_raw(r, 200, "text/plain; version=0.0.4", body, len);
}

static const struct route core_routes[] = {
	{ .methods = M_GET, .pattern = "/healthz", .fn = h_healthz },
	{ .methods = M_GET, .pattern = "/readyz", .fn = h_readyz },
	{ .methods = M_GET, .pattern = "/metrics", .fn = h_metrics, .flags = ROUTE_LOOPBACK },
};
#define NCORE (sizeof(core_routes) / sizeof(core_routes[0]))

/* ---- one request --------------------------------------------------------- */

static enum method method_of(const char *m)
{
	static const struct {
		const char *n;
		enum method m;
	} t[] = { { "GET", M_GET },	{ "HEAD", M_HEAD },	{ "POST", M_POST },
		  { "PUT", M_PUT },	{ "PATCH", M_PATCH },	{ "DELETE", M_DELETE },
		  { "OPTIONS", M_OPTIONS } };
	for (size_t i = 0; m && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(m, t[i].n) == 0)
			return t[i].m;
	return 0;
}

void server_dispatch(struct worker *w, struct req *r)
{
	r->status = 500;
	r->route_index = -1;
	r->method_name = req_fcgi(r, "REQUEST_METHOD");
	r->method = method_of(r->method_name);
	r->path = req_fcgi(r, "DOCUMENT_URI");
	r->query_string = req_fcgi(r, "QUERY_STRING");
	r->request_id = req_fcgi(r, "REQUEST_ID");
	r->remote_addr = req_fcgi(r, "REMOTE_ADDR");
	r->content_type = req_fcgi(r, "CONTENT_TYPE");
	if (r->content_type && r->content_type[0] == '\0')
		r->content_type = NULL;
	log_set_request(r->request_id);

	unsigned allowed = 0;
	int qrc = 0;
	if (r->path == NULL || r->path[0] != '/') {
		resp_problem(r, 400, "bad_request", "The request has no valid path.");
	} else if (r->query_string && r->query_string[0] &&
		   (qrc = req_query_parse(r->arena, r->query_string, &r->query, &r->nquery)) != 0) {
		if (qrc == -2)
			resp_problem(r, 400, "query_too_long", "The query string has too many parameters or bytes.");
		else
			resp_problem(r, 400, "malformed_query",
				     "The query string has a bad percent-encoding or is not UTF-8.");
	} else {
		switch (route_match(r, w->routes, w->nroutes, &allowed)) {
		case ROUTE_NOT_FOUND:
			resp_problem(r, 404, "not_found", "No such resource.");
			break;
		case ROUTE_BAD_METHOD:
			resp_header(r, "Allow", route_allow_header(r->arena, allowed));
			resp_problem(r, 405, "method_not_allowed", "The resource does not accept this method.");
			break;
		case ROUTE_FOUND: {
			const struct route *rt = &w->routes[r->route_index];
			r->route = rt;
			if ((rt->flags & ROUTE_LOOPBACK) && !req_is_loopback(r)) {
				resp_problem(r, 404, "not_found", "No such resource.");
			} else if (r->body_too_big) {
				resp_problem(r, 413, "body_too_large", "The request body is too large.");
			} else if ((rt->perm || (rt->flags & ROUTE_SESSION)) &&
				   auth_require(r, rt->perm, NULL, 0) == NULL) {
				/* refused before the handler: the route's permission */
			} else if (route_query_check(r, rt) != 0) {
				/* 400 invalid_parameter, naming the key */
			} else {
				rt->fn(r);
				if (!r->responded) {
					log_error("handler for %s did not respond", rt->pattern);
					resp_problem(r, 500, "internal", "The server could not complete the request.");
				}
			}
			break;
		}
		}
	}
	db_request_end(r);
}

static int frame_response(struct worker *w, struct req *r, uint16_t id)
{
	struct buf *o = &w->out;
	char head[4096];
	size_t hl = 0;
	int n = snprintf(head, sizeof(head), "Status: %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n",
			 r->status, resp_status_text(r->status), r->resp_type ? r->resp_type : "application/json",
			 r->resp_len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	hl = (size_t)n;
	int has_cc = 0;
	for (size_t i = 0; i < r->nheaders; i++) {
		has_cc |= strcmp(r->headers[i].k, "Cache-Control") == 0;
		n = snprintf(head + hl, sizeof(head) - hl, "%s: %s\r\n", r->headers[i].k, r->headers[i].v);
		if (n < 0 || (size_t)n >= sizeof(head) - hl)
			return -1;
		hl += (size_t)n;
	}
	n = snprintf(head + hl, sizeof(head) - hl, "%s\r\n", has_cc ? "" : "Cache-Control: no-store\r\n");
	if (n < 0 || (size_t)n >= sizeof(head) - hl)
		return -1;
	hl += (size_t)n;
	if (fcgi_frame_stdout(o, id, head, hl) != 0)
		return -1;
	if (r->method != M_HEAD && r->resp_len && fcgi_frame_stdout(o, id, r->resp_body, r->resp_len) != 0)
		return -1;
	return fcgi_frame_end(o, id);
}

/* ---- worker loop --------------------------------------------------------- */

/* Worker to master, as queued realtime signals (none is lost when several
 * workers speak at once; si_pid names the sender). Nothing else in the
 * program uses realtime signals. */
#define SIG_READY (SIGRTMIN)	 /* initialised: accepting, or standing by */
#define SIG_SOON (SIGRTMIN + 1)	 /* near the request limit: start my successor */
#define SIG_LIMIT (SIGRTMIN + 2) /* at the limit: I accept no more connections */
/* Master to worker: SIGTERM stops (drain), SIGUSR1 tells a standing-by
 * successor to start accepting. */

static volatile sig_atomic_t worker_go;

static void on_go(int sig)
{
	(void)sig;
	worker_go = 1;
}

static void tell_master(pid_t master, int sig)
{
	/* after the master died its pid may name another process: only a
	 * living parent is told anything */
	if (getppid() == master)
		kill(master, sig);
}

struct conn {
	int fd;
	struct buf in;
	struct fcgi_state st;
	int64_t last_us;
};

/* Write everything or fail after WRITE_TIMEOUT_MS without progress. A
 * signal (the SIGTERM of a graceful stop) interrupts a wait, never the
 * response: the wait resumes for the time left. */
static int write_all(int fd, const unsigned char *p, size_t n)
{
	int64_t deadline = time_mono_us() + (int64_t)WRITE_TIMEOUT_MS * 1000;
	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			deadline = time_mono_us() + (int64_t)WRITE_TIMEOUT_MS * 1000;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int64_t left = deadline - time_mono_us();
			if (left <= 0)
				return -1;
			struct pollfd pf = { fd, POLLOUT, 0 };
			int pr = poll(&pf, 1, (int)((left + 999) / 1000));
			if (pr < 0 && errno != EINTR)
				return -1;
			continue;
		}
		return -1;
	}
	return 0;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	fcgi_state_free(&c->st);
}

/* Serve the request completed on c. -1 when the connection must close:
 * nginx did not ask to keep it, or this worker is stopping. Closed right
 * after a response, the connection's end is normally seen by nginx before
 * it would reuse it, so its next request goes to a live worker (one that
 * races the close is retried by nginx if idempotent). */
static int serve(struct worker *w, struct conn *c, int stopping)
{
	struct req r;
	memset(&r, 0, sizeof(r));
	r.w = w;
	r.arena = &w->arena;
	r.started_us = time_mono_us();
	r.body = c->st.body.p;
	r.body_len = c->st.body.len;
	r.body_too_big = c->st.body_too_big;
	uint16_t id = c->st.id;
	int keep = c->st.keep_conn;
	if (c->st.params_too_big ||
	    fcgi_params_decode(c->st.params.p, c->st.params.len, r.arena, &r.fcgi, &r.nfcgi) != 0) {
		r.status = 500;
		resp_problem(&r, 400, "headers_too_large", "The request headers are too large.");
	} else {
		server_dispatch(w, &r);
	}
	/* logged before the response leaves, so a client that has its answer
	 * also finds its log line */
	if (r.status >= 500)
		log_warn("%s %s -> %d", r.method_name ? r.method_name : "-", r.path ? r.path : "-", r.status);
	else
		log_debug("%s %s -> %d", r.method_name ? r.method_name : "-", r.path ? r.path : "-", r.status);
	int rc = frame_response(w, &r, id);
	if (rc != 0) {
		w->out.len = 0;
		log_error("could not frame the response");
	} else {
		rc = write_all(c->fd, w->out.p, w->out.len);
	}
	w->out.len = 0;
	buf_shrink(&w->out, 1u << 20);
	metrics_request(w->mslot, w->nroutes, r.route_index, r.status, (uint64_t)(time_mono_us() - r.started_us));
	log_set_request(NULL);
	arena_reset(&w->arena);
	fcgi_state_reset(&c->st);
	return rc == 0 && keep && !stopping ? 0 : -1;
}

/* Read what is available and serve complete requests. -1: close.
 * Reads land in the worker's scratch buffer; only the tail of a record that
 * is not complete yet is kept on the connection, so an idle kept connection
 * costs no buffer at all. */
static int conn_input(struct worker *w, struct conn *c, long *served, int stopping)
{
	const unsigned char *data;
	size_t len;
	ssize_t k;
	if (c->in.len == 0) {
		k = read(c->fd, w->scratch, sizeof(w->scratch));
		data = w->scratch;
	} else {
		if (buf_reserve(&c->in, READ_CHUNK) != 0)
			return -1;
		k = read(c->fd, c->in.p + c->in.len, READ_CHUNK);
		data = c->in.p;
	}
	if (k == 0)
		return -1;
	if (k < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (data != w->scratch)
		c->in.len += (size_t)k;
	len = data == w->scratch ? (size_t)k : c->in.len;
	c->last_us = time_mono_us();
	size_t off = 0;
	for (;;) {
		size_t used = 0;
		enum fcgi_status s = fcgi_consume(&c->st, data + off, len - off, &used, &w->out);
		off += used;
		if (w->out.len) {
			int wr = write_all(c->fd, w->out.p, w->out.len);
			w->out.len = 0;
			if (wr != 0)
				return -1;
		}
		if (s == FCGI_PROTO_ERROR)
			return -1;
		if (s == FCGI_NEED_MORE)
			break;
		++*served;
		if (serve(w, c, stopping) != 0)
			return -1;
	}
	if (data == w->scratch) {
		if (off < len && buf_append(&c->in, data + off, len - off) != 0)
			return -1;
	} else {
		buf_consume(&c->in, off);
		buf_shrink(&c->in, 0);
	}
	return 0;
}

/* The request loop. Stop and go signals are blocked everywhere but in
 * ppoll (waitmask), so they never interrupt a request: a stop is seen
 * between requests, and nothing in flight is cut. */
static int worker_run(struct worker *w, int lfd, pid_t master, const sigset_t *waitmask)
{
	struct conn *conns = calloc((size_t)w->conf.max_conns, sizeof(*conns));
	struct pollfd *pfd = calloc((size_t)w->conf.max_conns + 1, sizeof(*pfd));
	if (conns == NULL || pfd == NULL)
		return 1;
	int nconns = 0, draining = 0, at_limit = 0, soon_told = 0;
	long served = 0;
	/* a tenth before the limit the master starts a successor that stands
	 * by, connected, so it takes over at once when this one stops accepting */
	long soon = w->conf.max_requests - w->conf.max_requests / 10;
	int64_t deadline = 0;
	int want_ms = -1; /* the service's worker_idle: when it wants to be called */
	if (fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK) != 0)
		return 1;

	for (;;) {
		int64_t now = time_mono_us();
		if (!soon_told && soon < w->conf.max_requests && served >= soon) {
			soon_told = 1;
			tell_master(master, SIG_SOON);
		}
		if (!at_limit && served >= w->conf.max_requests) {
			/* no new connection from here (that is what the limit
			 * counts); the kept ones are served as usual until the
			 * successor is accepting and the master says stop */
			at_limit = 1;
			if (lfd >= 0)
				close(lfd);
			lfd = -1;
			log_info("recycling after %ld requests", served);
			tell_master(master, SIG_LIMIT);
		}
		if (!draining && worker_stop) {
			/* stop taking connections; each kept one closes after its
			 * next response, idle ones when nginx closes them (its
			 * upstream keepalive_timeout is shorter than the deadline) */
			draining = 1;
			deadline = now + (int64_t)w->conf.drain_seconds * 1000000;
			if (lfd >= 0)
				close(lfd);
			lfd = -1;
			log_info("stopping");
		}
		if (draining && (nconns == 0 || now >= deadline))
			break;

		nfds_t n = 0;
		if (lfd >= 0 && worker_go && nconns < w->conf.max_conns)
			pfd[n++] = (struct pollfd){ lfd, POLLIN, 0 };
		nfds_t first = n;
		for (int i = 0; i < nconns; i++)
			pfd[n++] = (struct pollfd){ conns[i].fd, POLLIN, 0 };
		struct timespec tmo = { draining ? 0 : 1, draining ? 100 * 1000000 : 0 };
		if (!draining && want_ms >= 0 && want_ms < 1000)
			tmo = (struct timespec){ 0, (long)want_ms * 1000000 };
		int pr = ppoll(pfd, n, &tmo, waitmask);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			goto housekeeping;

		for (nfds_t i = first; i < n; i++) {
			struct conn *c = &conns[i - first];
			if (pfd[i].revents && conn_input(w, c, &served, draining) != 0)
				conn_close(c);
		}
		/* one connection per readiness: the siblings polling the same
		 * socket take the rest of the backlog, so connections spread
		 * over the pool instead of piling on the first worker awake */
		if (first && (pfd[0].revents & POLLIN) && nconns < w->conf.max_conns) {
			int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd >= 0) {
				struct conn *c = &conns[nconns++];
				memset(c, 0, sizeof(*c));
				c->fd = fd;
				c->st.max_params = 64u << 10;
				c->st.max_body = w->conf.max_body;
				c->last_us = time_mono_us();
			}
		}
	housekeeping:
		if (w->svc->worker_idle)
			want_ms = w->svc->worker_idle(w, pr == 0);
		now = time_mono_us();
		for (int i = 0; i < nconns; i++)
			if (conns[i].fd >= 0 && now - conns[i].last_us > IDLE_CLOSE_US)
				conn_close(&conns[i]);
		/* compact closed connections */
		int j = 0;
		for (int i = 0; i < nconns; i++)
			if (conns[i].fd >= 0)
				conns[j++] = conns[i];
		nconns = j;
	}
	for (int i = 0; i < nconns; i++)
		conn_close(&conns[i]);
	if (lfd >= 0)
		close(lfd);
	free(conns);
	free(pfd);
	return 0;
}

static int worker_main(const struct service *svc, const struct conf *conf, struct metrics *m,
		       struct shared_state *shared, const struct route *routes, size_t nroutes,
		       const char *const *names, int slot, int lfd, pid_t master, int standby)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_go;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	worker_go = !standby;
	/* stop and go wait for the request loop's ppoll (worker_run) */
	sigset_t blocked, none;
	sigemptyset(&none);
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGTERM);
	sigaddset(&blocked, SIGINT);
	sigaddset(&blocked, SIGUSR1);
	sigprocmask(SIG_SETMASK, &blocked, NULL);

	struct worker w;
	memset(&w, 0, sizeof(w));
	w.svc = svc;
	w.conf = *conf;
	w.slot = slot;
	w.metrics = m;
	w.mslot = metrics_slot(m, (size_t)slot);
	w.routes = routes;
	w.nroutes = nroutes;
	w.route_names = names;
	w.shared = shared;
	MET_INC(w.mslot->worker_starts);
	arena_init(&w.arena, conf->max_body * 3 + (16u << 20));
	db_init(&w.db, conf->pg_conninfo, svc->name, conf->db_timeout_ms);
	cache_init(&w.cache, conf->redis, conf->redis_timeout_ms, w.mslot);
	if (svc->worker_init && svc->worker_init(&w) != 0) {
		log_error("worker initialisation failed");
		return 1;
	}
	/* connect eagerly so the first request does not pay for it; a failure
	 * here is not fatal: requests get 503 until the database is back */
	(void)db_ensure(&w.db, w.mslot);
	int rc = 0;
	if (lfd < 0) {
		/* the background process: no requests, the service's loop. It
		 * sleeps in sigtimedwait, so a stop that came at any moment,
		 * even during a call, ends the next sleep at once */
		log_info("background process started");
		while (!worker_stop) {
			int ms = svc->background(&w);
			struct timespec ts = { ms > 0 ? ms / 1000 : 0, ms > 0 ? (long)(ms % 1000) * 1000000 : 0 };
			int sig = sigtimedwait(&blocked, NULL, &ts);
			if (sig == SIGTERM || sig == SIGINT)
				worker_stop = 1;
		}
	} else {
		tell_master(master, SIG_READY);
		rc = worker_run(&w, lfd, master, &none);
	}
	if (svc->worker_exit)
		svc->worker_exit(&w);
	db_close(&w.db);
	cache_close(&w.cache);
	auth_worker_free(&w);
	micro_free(&w);
	free(w.app);
	arena_free(&w.arena);
	buf_free(&w.out);
	return rc;
}

/* ---- supervisor ---------------------------------------------------------- */

static int listen_unix(const char *path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "tongban: socket path too long: %s\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(path);
	mode_t old = umask(0117); /* socket 0660: the stack's user and group only */
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || listen(fd, 1024) != 0) {
		fprintf(stderr, "tongban: cannot listen on %s: %s\n", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* One place of the pool: a worker on the main lane or the slow lane, or the
 * background process. cur holds it; next is its successor while one starts
 * (SIGHUP, or cur near its request limit). A successor takes over only once
 * it is ready, so the place is never without an accepting worker longer
 * than a signal takes. */
struct place {
	pid_t cur, next;
	unsigned cur_ready : 1, next_ready : 1, next_standby : 1, at_limit : 1, stop_sent : 1, crashed : 1;
	unsigned gen, next_gen;	/* SIGHUP generation each was started in */
	int64_t born;		/* the last start, for the crash-loop guard */
};

struct pool {
	const struct service *svc;
	const struct conf *conf;
	struct metrics *m;
	struct shared_state *shared;
	const struct route *routes;
	size_t nroutes;
	const char *const *names;
	int lfd, slow_lfd;
	int nworkers;		/* places [0, nworkers) take requests, main lane first */
	int nplaces;		/* then the background process, if any */
	struct place *pl;
	pid_t *old;		/* told to stop, out of their places, draining */
	int nold;
	unsigned gen;
	int alive;
};

static pid_t spawn(struct pool *P, int i, int standby)
{
	pid_t master = getpid(), pid = fork();
	if (pid == 0) {
		/* die with the master (SIGKILL, OOM): nothing may be left
		 * serving a socket no supervisor restarts or recycles; a master
		 * already gone before prctl took effect is seen as a new parent */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != master)
			_exit(0);
		int fd = -1;
		if (i < P->conf->workers) {
			fd = P->lfd;
		} else if (i < P->nworkers) {
			fd = P->slow_lfd;
			/* TB_SLOW_NICE > 0: slow work yields the CPU to the quick
			 * requests of the main lane whenever both want it */
			if (P->conf->slow_nice && setpriority(PRIO_PROCESS, 0, P->conf->slow_nice) != 0)
				log_warn("cannot lower the slow lane's priority: %s", strerror(errno));
		}
		if (P->lfd != fd)
			close(P->lfd);
		if (P->slow_lfd >= 0 && P->slow_lfd != fd)
			close(P->slow_lfd);
		_exit(worker_main(P->svc, P->conf, P->m, P->shared, P->routes, P->nroutes, P->names, i, fd,
				  master, standby));
	}
	if (pid < 0) {
		log_error("fork failed: %s", strerror(errno));
		return 0;
	}
	P->alive++;
	P->pl[i].born = time_mono_us();
	return pid;
}

/* Tell a worker out of its place to stop; it drains and is reaped later. */
static void retire(struct pool *P, pid_t pid)
{
	kill(pid, SIGTERM);
	pid_t *o = realloc(P->old, (size_t)(P->nold + 1) * sizeof(*o));
	if (o == NULL)
		return; /* not tracked: still reaped, and it dies with the master */
	P->old = o;
	P->old[P->nold++] = pid;
}

/* A ready successor takes place i when cur is at its limit, gone, or being
 * replaced (a successor that does not stand by): it accepts first (a
 * standing-by one is told to go), then cur is told to stop. */
static void settle(struct pool *P, int i)
{
	struct place *p = &P->pl[i];
	if (p->next <= 0 || !p->next_ready || (p->next_standby && !p->at_limit && p->cur > 0))
		return;
	if (p->next_standby)
		kill(p->next, SIGUSR1);
	if (p->cur > 0)
		retire(P, p->cur);
	p->cur = p->next;
	p->gen = p->next_gen;
	p->cur_ready = 1;
	p->next = 0;
	p->next_ready = p->next_standby = p->at_limit = p->stop_sent = 0;
}

static void start_next(struct pool *P, int i, int standby)
{
	struct place *p = &P->pl[i];
	p->next = spawn(P, i, standby);
	p->next_ready = 0;
	p->next_standby = standby != 0;
	p->next_gen = P->gen;
}

/* Fill empty places, start successors where needed, roll one worker of
 * an earlier generation (SIGHUP) at a time. */
static void fill(struct pool *P)
{
	int64_t now = time_mono_us();
	int rolling = 0;
	for (int i = 0; i < P->nplaces; i++) {
		struct place *p = &P->pl[i];
		rolling |= p->next > 0 && !p->next_standby;
		/* crash-loop guard: at most one start a second after a crash */
		if (p->crashed && now - p->born < 1000000)
			continue;
		if (p->cur <= 0 && p->next <= 0) {
			p->cur = spawn(P, i, 0);
			p->gen = P->gen;
			p->cur_ready = p->at_limit = p->stop_sent = p->crashed = 0;
		} else if (p->at_limit && p->next <= 0) {
			start_next(P, i, 0);
			p->crashed = 0;
		}
	}
	for (int i = 0; i < P->nplaces; i++) {
		struct place *p = &P->pl[i];
		if (p->cur <= 0 || p->gen == P->gen || p->stop_sent)
			continue;
		if (i >= P->nworkers) {
			/* the background process takes no requests: stopped, then
			 * started again when it has gone (never two at once) */
			kill(p->cur, SIGTERM);
			p->stop_sent = 1;
		} else if (!rolling && p->cur_ready && p->next <= 0 && !p->at_limit) {
			start_next(P, i, 0);
			rolling = 1;
		}
	}
}

static int place_of(const struct pool *P, pid_t pid, int *is_next)
{
	for (int i = 0; i < P->nplaces; i++) {
		if (P->pl[i].cur == pid || P->pl[i].next == pid) {
			*is_next = P->pl[i].next == pid;
			return i;
		}
	}
	return -1;
}

static void on_worker_signal(struct pool *P, int sig, pid_t pid, int stopping)
{
	int is_next = 0, i = place_of(P, pid, &is_next);
	if (i < 0)
		return;
	struct place *p = &P->pl[i];
	if (sig == SIG_READY) {
		if (is_next)
			p->next_ready = 1;
		else
			p->cur_ready = 1;
	} else if (sig == SIG_SOON && !is_next && p->next <= 0 && !stopping) {
		start_next(P, i, 1);
	} else if (sig == SIG_LIMIT && !is_next) {
		p->at_limit = 1;
		if (p->next <= 0 && !stopping)
			start_next(P, i, 0);
	}
	settle(P, i);
}

static void reaped(struct pool *P, pid_t pid, int status)
{
	P->alive--;
	if (WIFSIGNALED(status))
		log_warn("worker %d killed by signal %d", (int)pid, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_warn("worker %d exited with %d", (int)pid, WEXITSTATUS(status));
	for (int k = 0; k < P->nold; k++) {
		if (P->old[k] == pid) {
			P->old[k] = P->old[--P->nold];
			return;
		}
	}
	int is_next = 0, i = place_of(P, pid, &is_next);
	if (i < 0)
		return;
	struct place *p = &P->pl[i];
	if (is_next) {
		p->next = 0;
		p->crashed = 1;
		return;
	}
	p->crashed = !p->stop_sent;
	p->cur = 0;
	p->cur_ready = p->stop_sent = 0;
	settle(P, i);
}

static void signal_all(const struct pool *P, int sig)
{
	for (int i = 0; i < P->nplaces; i++) {
		if (P->pl[i].cur > 0)
			kill(P->pl[i].cur, sig);
		if (P->pl[i].next > 0)
			kill(P->pl[i].next, sig);
	}
	for (int k = 0; k < P->nold; k++)
		kill(P->old[k], sig);
}

int server_main(const struct service *svc)
{
	struct conf conf;
	if (conf_load(&conf) != 0)
		return 2;
	log_setup(svc->name, log_level_parse(conf.log_level));
	signal(SIGPIPE, SIG_IGN);
	if (conf.data_keys_path) {
		/* loaded once before fork; the workers inherit it read-only */
		struct keyring *keys = malloc(sizeof(*keys));
		char err[256];
		if (keys == NULL || keyring_load(keys, conf.data_keys_path, err, sizeof(err)) != 0) {
			log_error("data keys: %s", keys ? err : "out of memory");
			return 2;
		}
		conf.keys = keys;
	}

	size_t nroutes = svc->nroutes + NCORE;
	struct route *routes = calloc(nroutes, sizeof(*routes));
	const char **names = calloc(nroutes, sizeof(*names));
	if (routes == NULL || names == NULL)
		return 1;
	if (svc->nroutes)
		memcpy(routes, svc->routes, svc->nroutes * sizeof(*routes));
	memcpy(routes + svc->nroutes, core_routes, sizeof(core_routes));
	for (size_t i = 0; i < nroutes; i++)
		names[i] = routes[i].pattern;
	if (route_check(routes, nroutes) != 0) {
		log_error("a route pattern is malformed");
		return 2;
	}

	struct pool P;
	memset(&P, 0, sizeof(P));
	P.svc = svc;
	P.conf = &conf;
	P.routes = routes;
	P.nroutes = nroutes;
	P.names = names;
	P.nworkers = conf.workers + (conf.slow_socket_path ? conf.slow_workers : 0);
	P.nplaces = P.nworkers + (svc->background ? 1 : 0);
	struct metrics m;
	if (metrics_init(&m, nroutes, (size_t)P.nplaces) != 0) {
		log_error("cannot map metrics memory");
		return 1;
	}
	P.m = &m;
	P.shared = mmap(NULL, sizeof(*P.shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (P.shared == MAP_FAILED) {
		log_error("cannot map shared memory");
		return 1;
	}
	P.slow_lfd = -1;
	P.lfd = listen_unix(conf.socket_path);
	if (P.lfd < 0)
		return 1;
	if (conf.slow_socket_path && (P.slow_lfd = listen_unix(conf.slow_socket_path)) < 0) {
		close(P.lfd);
		unlink(conf.socket_path);
		return 1;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIG_READY);
	sigaddset(&set, SIG_SOON);
	sigaddset(&set, SIG_LIMIT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	P.pl = calloc((size_t)P.nplaces, sizeof(*P.pl));
	if (P.pl == NULL)
		return 1;
	int stopping = 0, interrupts = 0;
	int64_t kill_at = 0;
	if (conf.slow_socket_path)
		log_info("listening on %s with %d workers, slow lane %s with %d", conf.socket_path, conf.workers,
			 conf.slow_socket_path, conf.slow_workers);
	else
		log_info("listening on %s with %d workers", conf.socket_path, conf.workers);

	for (;;) {
		if (!stopping)
			fill(&P);
		if (stopping && P.alive == 0)
			break;

		siginfo_t si;
		struct timespec tmo = { 0, 250 * 1000000 };
		int sig = sigtimedwait(&set, &si, &tmo);
		if (sig == SIG_READY || sig == SIG_SOON || sig == SIG_LIMIT) {
			on_worker_signal(&P, sig, si.si_pid, stopping);
		} else if (sig == SIGHUP && !stopping) {
			/* rolling restart: fill() replaces one worker at a time,
			 * each successor accepting before its predecessor stops */
			log_info("restarting workers one by one");
			P.gen++;
			for (int i = 0; i < P.nplaces; i++) {
				struct place *p = &P.pl[i];
				if (p->next > 0 && p->next_standby) {
					/* of the old generation: a fresh one comes */
					retire(&P, p->next);
					p->next = 0;
				}
			}
		} else if (sig == SIGINT && ++interrupts >= 2) {
			log_info("second interrupt: killing workers");
			signal_all(&P, SIGKILL);
			stopping = 1;
			kill_at = time_mono_us();
		} else if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
			log_info("graceful stop");
			signal_all(&P, SIGTERM);
			stopping = 1;
			kill_at = time_mono_us() + (int64_t)(conf.drain_seconds + 5) * 1000000;
		}
		pid_t pid;
		int status;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			reaped(&P, pid, status);
		if (stopping && P.alive > 0 && time_mono_us() >= kill_at) {
			signal_all(&P, SIGKILL);
			kill_at = time_mono_us() + 1000000;
		}
	}
	close(P.lfd);
	unlink(conf.socket_path);
	if (P.slow_lfd >= 0) {
		close(P.slow_lfd);
		unlink(conf.slow_socket_path);
	}
	log_info("stopped");
	free(P.pl);
	free(P.old);
	free(routes);
	free(names);
	return 0;
}
