/* Query permissions as the query creation reads them. */
#ifndef TB_QPERMS_H
#define TB_QPERMS_H
#include "query.h"

#define QPERM_DEFAULT_QUOTA 200

struct qperm {
	const char *divisions;	 /* PostgreSQL array literal, for storing */
	const char **divs;	 /* the same codes, for lookup_units */
	size_t ndivs;
	int daily_quota;
	int configured;
};
/* The caller's effective permission: 0, or -1 after replying. */
int qperm_effective(struct req *r, const struct principal *p, struct qperm *out);
/* The Beijing day of now as YYYY-MM-DD, in the arena. */
const char *beijing_day_iso(struct req *r, int64_t now_us);

#endif
