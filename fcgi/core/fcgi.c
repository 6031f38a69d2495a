#include "fcgi.h"

#include <string.h>

enum {
	T_BEGIN_REQUEST = 1,
	T_ABORT_REQUEST = 2,
	T_END_REQUEST = 3,
	T_PARAMS = 4,
	T_STDIN = 5,
	T_STDOUT = 6,
	T_GET_VALUES = 9,
	T_GET_VALUES_RESULT = 10,
	T_UNKNOWN_TYPE = 11,
};
enum { ROLE_RESPONDER = 1 };
enum { PS_REQUEST_COMPLETE = 0, PS_CANT_MPX_CONN = 1, PS_UNKNOWN_ROLE = 3 };
#define HDR 8
#define MAX_CONTENT 65535u

static int put_header(struct buf *out, uint8_t type, uint16_t id, uint16_t clen, uint8_t pad)
{
	unsigned char h[HDR] = { 1, type, (unsigned char)(id >> 8), (unsigned char)id,
				 (unsigned char)(clen >> 8), (unsigned char)clen, pad, 0 };
	return buf_append(out, h, HDR);
}

static int put_end(struct buf *out, uint16_t id, uint8_t proto_status)
{
	unsigned char body[8] = { 0, 0, 0, 0, proto_status, 0, 0, 0 };
	if (put_header(out, T_END_REQUEST, id, 8, 0) != 0)
		return -1;
	return buf_append(out, body, 8);
}

void fcgi_state_reset(struct fcgi_state *st)
{
	st->id = 0;
	st->keep_conn = 0;
	st->params_done = 0;
	st->body_too_big = 0;
	st->params_too_big = 0;
	st->params.len = 0;
	st->body.len = 0;
	/* an upload's memory is not kept for the next request */
	buf_shrink(&st->body, 1u << 20);
}

void fcgi_state_free(struct fcgi_state *st)
{
	buf_free(&st->params);
	buf_free(&st->body);
}

/* GET_VALUES: we answer FCGI_MPXS_CONNS=0; other names are not reported. */
static int get_values_result(struct buf *out)
{
	static const unsigned char kv[] = { 14, 1, 'F', 'C', 'G', 'I', '_', 'M', 'P', 'X',
					    'S', '_', 'C', 'O', 'N', 'N', 'S', '0' };
	if (put_header(out, T_GET_VALUES_RESULT, 0, sizeof(kv), 0) != 0)
		return -1;
	return buf_append(out, kv, sizeof(kv));
}

enum fcgi_status fcgi_consume(struct fcgi_state *st, const unsigned char *in, size_t len,
			      size_t *used, struct buf *out)
{
	size_t off = 0;
	*used = 0;
	while (len - off >= HDR) {
		const unsigned char *h = in + off;
		if (h[0] != 1)
			return FCGI_PROTO_ERROR;
		uint8_t type = h[1];
		uint16_t id = (uint16_t)(h[2] << 8 | h[3]);
		size_t clen = (size_t)(h[4] << 8 | h[5]);
		size_t total = HDR + clen + h[6];
		if (len - off < total)
			break;
		const unsigned char *c = h + HDR;
		off += total;
		*used = off;

		switch (type) {
		case T_BEGIN_REQUEST: {
			if (id == 0 || clen < 8)
				return FCGI_PROTO_ERROR;
			uint16_t role = (uint16_t)(c[0] << 8 | c[1]);
			if (st->id != 0) {
				if (put_end(out, id, PS_CANT_MPX_CONN) != 0)
					return FCGI_PROTO_ERROR;
				break;
			}
			if (role != ROLE_RESPONDER) {
				if (put_end(out, id, PS_UNKNOWN_ROLE) != 0)
					return FCGI_PROTO_ERROR;
				break;
			}
			fcgi_state_reset(st);
			st->id = id;
			st->keep_conn = (c[2] & 1) != 0;
			break;
		}
		case T_ABORT_REQUEST:
			if (id != 0 && id == st->id) {
				int keep = st->keep_conn;
				fcgi_state_reset(st);
				if (put_end(out, id, PS_REQUEST_COMPLETE) != 0 || !keep)
					return FCGI_PROTO_ERROR;
			}
			break;
		case T_PARAMS:
			if (id == 0 || id != st->id || st->params_done)
				break;
			if (clen == 0) {
				st->params_done = 1;
			} else if (st->params.len + clen > st->max_params) {
				st->params_too_big = 1;
			} else if (buf_append(&st->params, c, clen) != 0) {
				return FCGI_PROTO_ERROR;
			}
			break;
		case T_STDIN:
			if (id == 0 || id != st->id)
				break;
			if (!st->params_done)
				return FCGI_PROTO_ERROR;
			if (clen == 0)
				return FCGI_READY;
			if (st->body.len + clen > st->max_body)
				st->body_too_big = 1;
			else if (buf_append(&st->body, c, clen) != 0)
				return FCGI_PROTO_ERROR;
			break;
		case T_GET_VALUES:
			if (id == 0 && get_values_result(out) != 0)
				return FCGI_PROTO_ERROR;
			break;
		default:
			if (id == 0) {
				unsigned char body[8] = { type, 0, 0, 0, 0, 0, 0, 0 };
				if (put_header(out, T_UNKNOWN_TYPE, 0, 8, 0) != 0 ||
				    buf_append(out, body, 8) != 0)
					return FCGI_PROTO_ERROR;
			}
			/* records of other kinds for a request (DATA) are ignored */
			break;
		}
	}
	return FCGI_NEED_MORE;
}

static int read_len(const unsigned char *p, size_t n, size_t *off, size_t *out)
{
	if (*off >= n)
		return -1;
	if (p[*off] < 0x80) {
		*out = p[*off];
		*off += 1;
		return 0;
	}
	if (n - *off < 4)
		return -1;
	*out = ((size_t)(p[*off] & 0x7f) << 24) | ((size_t)p[*off + 1] << 16) |
	       ((size_t)p[*off + 2] << 8) | p[*off + 3];
	*off += 4;
	return 0;
}

int fcgi_params_decode(const unsigned char *p, size_t n, struct arena *a, struct kv **out,
		       size_t *nout)
{
	size_t off = 0, cap = 0, cnt = 0;
	struct kv *v = NULL;
	while (off < n) {
		size_t kl, vl;
		if (read_len(p, n, &off, &kl) != 0 || read_len(p, n, &off, &vl) != 0)
			return -1;
		if (kl > n - off || vl > n - off - kl)
			return -1;
		if (arena_grow(a, (void **)&v, &cap, cnt, 1, sizeof(*v)) != 0)
			return -1;
		v[cnt].k = arena_strndup(a, (const char *)p + off, kl);
		v[cnt].v = arena_strndup(a, (const char *)p + off + kl, vl);
		if (v[cnt].k == NULL || v[cnt].v == NULL)
			return -1;
		v[cnt].klen = kl;
		v[cnt].vlen = vl;
		cnt++;
		off += kl + vl;
	}
	*out = v;
	*nout = cnt;
	return 0;
}

int fcgi_frame_stdout(struct buf *out, uint16_t id, const void *data, size_t len)
{
	const unsigned char *p = data;
	/* keep records 8-byte aligned in size: 65528 is the largest such */
	const size_t chunk = MAX_CONTENT - 7;
	if (buf_reserve(out, len + (len / chunk + 1) * HDR) != 0)
		return -1;
	while (len > 0) {
		size_t n = len < chunk ? len : chunk;
		if (put_header(out, T_STDOUT, id, (uint16_t)n, 0) != 0 || buf_append(out, p, n) != 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int fcgi_frame_end(struct buf *out, uint16_t id)
{
	if (put_header(out, T_STDOUT, id, 0, 0) != 0)
		return -1;
	return put_end(out, id, PS_REQUEST_COMPLETE);
}
