#ifndef TB_PUBLIC_H
#define TB_PUBLIC_H
#include "../core/req.h"

void h_division_get(struct req *r);
void h_division_list(struct req *r);
void h_division_resolve(struct req *r);
void h_progress(struct req *r);
void h_bank_list(struct req *r);
/* the query keys of GET /api/v1/divisions (divisions.c) */
extern const struct qkey division_list_query[];

/* certificate verification (certificates.c) */
void h_certificate_verify(struct req *r);
extern const struct qkey certificate_verify_query[];

#endif
