/* Responses, decided in full before anything is written: a handler sets
 * status, headers and body; the server frames them afterwards. A handler
 * calls exactly one of resp_json, resp_raw, resp_problem(_with). */
#ifndef TB_RESP_H
#define TB_RESP_H
#include <stddef.h>
#include <yajl/yajl_gen.h>

struct req;

void resp_header(struct req *r, const char *name, const char *value);
yajl_gen resp_gen(struct req *r);	/* start a JSON body */
void resp_json(struct req *r, int status);	/* send the body of resp_gen */
void resp_raw(struct req *r, int status, const char *type, const void *body, size_t len);
/* application/problem+json with a stable code and a message for humans. */
void resp_problem(struct req *r, int status, const char *code, const char *detail);
/* The same with more string members: members is key, value, key, value, …,
 * NULL (a NULL value is null). */
void resp_problem_with(struct req *r, int status, const char *code, const char *detail,
		       const char *const *members);
/* "Not Found" for 404: the reason phrase of a status. */
const char *resp_status_text(int status);

#endif
