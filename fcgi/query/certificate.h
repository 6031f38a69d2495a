/* The query-result certificate's download (certificate.c). */
#ifndef TB_CERTIFICATE_H
#define TB_CERTIFICATE_H
#include "../core/req.h"

void h_query_certificate(struct req *r);

#endif
