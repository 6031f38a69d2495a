/* The payment adapter from the command line, configured from TB_PAY_* like
 * the services: tests/api/test_paygw.py drives it against the provider
 * simulator (the services' own use of it comes with their endpoints).
 *   paygw_probe create <out_trade_no> <amount_fen> <expire_at> [description]
 *       → "ok <code_url>" | "error <code>"
 *   paygw_probe close <out_trade_no>               → "ok" | "error <code>"
 *   paygw_probe notify <ts> <nonce> <serial> <signature> [now]  (body on stdin)
 *       → "<verdict code> <id> <transaction_id> <out_trade_no> <trade_state>
 *          <mchid> <appid> <success_time> <total_fen>" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/paygw.h"

int main(int argc, char **argv)
{
	struct paygw g;
	struct arena a;
	if (argc < 2 || paygw_init(&g) != 0) {
		fprintf(stderr, "usage: TB_PAY_*=… paygw_probe create|close|notify …\n");
		return 2;
	}
	arena_init(&a, 0);
	const char *err = NULL;
	int rc = 0;
	if (strcmp(argv[1], "create") == 0 && argc >= 5) {
		struct paygw_order o = { argv[2], argc > 5 ? argv[5] : "不动产登记费", atoll(argv[3]),
					 (time_t)atoll(argv[4]) };
		char *url;
		if (paygw_create(&g, &a, &o, &url, &err) == 0)
			printf("ok %s\n", url);
		else
			printf("error %s\n", err), rc = 1;
	} else if (strcmp(argv[1], "close") == 0 && argc >= 3) {
		if (paygw_close(&g, &a, argv[2], &err) == 0)
			printf("ok\n");
		else
			printf("error %s\n", err), rc = 1;
	} else if (strcmp(argv[1], "notify") == 0 && argc >= 6) {
		static char body[PAYGW_MAX_BODY + 2];
		size_t len = fread(body, 1, sizeof(body), stdin);
		struct paygw_notice n;
		time_t now = argc > 6 ? (time_t)atoll(argv[6]) : time(NULL);
		enum paygw_verdict v = paygw_notify(&g, &a, argv[2], argv[3], argv[4], argv[5], body, len, now, &n);
		if (v == PAYGW_OK)
			printf("ok %s %s %s %s %s %s %s %lld\n", n.id, n.transaction_id, n.out_trade_no, n.trade_state,
			       n.mchid, n.appid, n.success_time[0] ? n.success_time : "-", (long long)n.total_fen);
		else
			printf("%s\n", paygw_verdict_code(v)), rc = 1;
	} else {
		fprintf(stderr, "usage: paygw_probe create|close|notify …\n");
		rc = 2;
	}
	paygw_free(&g);
	arena_free(&a);
	return rc;
}
