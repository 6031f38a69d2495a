/* WeChat Pay API v3 (stub: the protocol follows in the next commit). */
#include "paygw.h"

static int wx_create(struct paygw *g, struct arena *a, const struct paygw_order *o, char **code_url,
		     const char **err)
{
	(void)g, (void)a, (void)o;
	*code_url = NULL;
	*err = "provider_unreachable";
	return -1;
}

static int wx_close(struct paygw *g, struct arena *a, const char *out_trade_no, const char **err)
{
	(void)g, (void)a, (void)out_trade_no;
	*err = "provider_unreachable";
	return -1;
}

static enum paygw_verdict wx_notify(struct paygw *g, struct arena *a, const char *ts, const char *nonce,
				    const char *serial, const char *signature, const char *body, size_t len,
				    time_t now, struct paygw_notice *out)
{
	(void)g, (void)a, (void)ts, (void)nonce, (void)serial, (void)signature, (void)body, (void)len,
		(void)now, (void)out;
	return PAYGW_BAD_SIGNATURE;
}

int paygw_wechat_make_notice(struct arena *a, void *platform_key, const unsigned char api_key[32],
			     const struct paygw_notice *n, const char *ts, const char *nonce,
			     char **body, char **signature)
{
	(void)a, (void)platform_key, (void)api_key, (void)n, (void)ts, (void)nonce;
	*body = *signature = NULL;
	return -1;
}

const struct paygw_ops paygw_wechat_ops = {
	.name = "wechat",
	.create = wx_create,
	.close = wx_close,
	.notify = wx_notify,
};
