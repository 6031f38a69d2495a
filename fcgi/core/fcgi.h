/* The FastCGI wire protocol (responder role), as nginx speaks it: one
 * request at a time per connection, connections kept open between requests
 * when nginx asks (FCGI_KEEP_CONN). Pure functions over byte buffers, so the
 * parser can be fuzzed without sockets. */
#ifndef TB_FCGI_H
#define TB_FCGI_H
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"

enum fcgi_status {
	FCGI_NEED_MORE,	/* no complete request yet */
	FCGI_READY,	/* params and stdin complete: serve it */
	FCGI_PROTO_ERROR /* close the connection */
};

struct fcgi_state {
	uint16_t id;		/* request id in progress, 0 when idle */
	unsigned keep_conn : 1;
	unsigned params_done : 1;
	unsigned body_too_big : 1;
	unsigned params_too_big : 1;
	struct buf params;	/* raw name-value pairs */
	struct buf body;	/* stdin */
	size_t max_params;	/* bytes of params accepted */
	size_t max_body;	/* bytes of stdin kept; beyond, body_too_big */
};

/* Consume complete records from in[0..len). Sets *used to the bytes
 * consumed (always whole records). Replies that the protocol needs without a
 * request (management records, refused requests) are appended to out.
 * Returns FCGI_READY at the end of a request's stdin; the caller serves it,
 * then calls fcgi_state_reset(). */
enum fcgi_status fcgi_consume(struct fcgi_state *st, const unsigned char *in, size_t len,
			      size_t *used, struct buf *out);
void fcgi_state_reset(struct fcgi_state *st);
void fcgi_state_free(struct fcgi_state *st);

/* Decode name-value pairs into kv copies in the arena. -1 on malformed. */
int fcgi_params_decode(const unsigned char *p, size_t n, struct arena *a, struct kv **out,
		       size_t *nout);

/* Append data as FCGI_STDOUT records (split at the 64 KiB record limit). */
int fcgi_frame_stdout(struct buf *out, uint16_t id, const void *data, size_t len);
/* Append the empty FCGI_STDOUT and FCGI_END_REQUEST records. */
int fcgi_frame_end(struct buf *out, uint16_t id);

#endif
