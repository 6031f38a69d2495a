#include "resp.h"

#include <stdio.h>
#include <string.h>

#include "worker.h"

const char *resp_status_text(int s)
{
	switch (s) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

void resp_header(struct req *r, const char *name, const char *value)
{
	if (r->nheaders == REQ_MAX_HEADERS)
		return;
	struct kv *h = &r->headers[r->nheaders++];
	h->k = name;
	h->v = value;
	h->klen = strlen(name);
	h->vlen = strlen(value);
}

yajl_gen resp_gen(struct req *r)
{
	if (r->gen == NULL)
		r->gen = json_gen_new(r->arena);
	return r->gen;
}

void resp_raw(struct req *r, int status, const char *type, const void *body, size_t len)
{
	r->status = status;
	r->resp_type = type;
	r->resp_body = body;
	r->resp_len = len;
	r->responded = 1;
}

void resp_json(struct req *r, int status)
{
	const unsigned char *b;
	size_t len;
	if (r->gen == NULL || yajl_gen_get_buf(r->gen, &b, &len) != yajl_gen_status_ok) {
		/* the handler built an invalid document: that is our bug, not the client's */
		r->gen = NULL;
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return;
	}
	resp_raw(r, status, "application/json", b, len);
}

void resp_problem(struct req *r, int status, const char *code, const char *detail)
{
	resp_problem_with(r, status, code, detail, NULL);
}

void resp_problem_with(struct req *r, int status, const char *code, const char *detail,
		       const char *const *members)
{
	/* a fresh generator: whatever the handler had started is dropped */
	r->gen = json_gen_new(r->arena);
	yajl_gen g = r->gen;
	char type[96];
	snprintf(type, sizeof(type), "urn:tongban:problem:%s", code);
	yajl_gen_map_open(g);
	jg_str(g, "type", type);
	jg_str(g, "title", resp_status_text(status));
	jg_int(g, "status", status);
	jg_str(g, "code", code);
	jg_str(g, "detail", detail);
	if (r->path)
		jg_str(g, "instance", r->path);
	if (r->request_id)
		jg_str(g, "request_id", r->request_id);
	for (size_t i = 0; members && members[i]; i += 2)
		jg_str(g, members[i], members[i + 1]);
	yajl_gen_map_close(g);
	const unsigned char *b;
	size_t len;
	if (yajl_gen_get_buf(g, &b, &len) != yajl_gen_status_ok) {
		b = (const unsigned char *)"{\"status\":500,\"code\":\"internal\"}";
		len = strlen((const char *)b);
		status = 500;
	}
	resp_raw(r, status, "application/problem+json", b, len);
}
