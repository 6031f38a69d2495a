/* Fuzz target: the FastCGI record parser and name-value decoder, fed any
 * bytes in chunks as a socket would deliver them. */
#include <stddef.h>
#include <stdint.h>

#include "core/fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_state st = { .max_params = 4096, .max_body = 4096 };
	struct buf out = { 0 };
	struct arena a;
	arena_init(&a, 1u << 20);
	size_t off = 0;
	while (off < size) {
		size_t used = 0;
		enum fcgi_status s = fcgi_consume(&st, data + off, size - off, &used, &out);
		off += used;
		if (s == FCGI_PROTO_ERROR)
			break;
		if (s == FCGI_READY) {
			struct kv *kv;
			size_t n;
			(void)fcgi_params_decode(st.params.p, st.params.len, &a, &kv, &n);
			fcgi_state_reset(&st);
			arena_reset(&a);
			continue;
		}
		if (used == 0)
			break;
	}
	struct kv *kv;
	size_t n;
	(void)fcgi_params_decode(data, size, &a, &kv, &n);
	(void)fcgi_frame_stdout(&out, 1, data, size);
	fcgi_state_free(&st);
	buf_free(&out);
	arena_free(&a);
	return 0;
}
