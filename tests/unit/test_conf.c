/* Unit tests of the service settings: TB_PUBLIC_URL, the address receipts
 * print into their QR codes, is an http(s) origin or the service refuses to
 * start. */
#include <stdlib.h>

#include "check.h"
#include "core/conf.h"

static int load_with_public_url(const char *url, struct conf *c)
{
	setenv("TB_SOCKET", "/tmp/tb-conf-test.sock", 1);
	if (url)
		setenv("TB_PUBLIC_URL", url, 1);
	else
		unsetenv("TB_PUBLIC_URL");
	return conf_load(c);
}

static void test_public_url_is_an_http_origin(void)
{
	struct conf c;
	CHECK(load_with_public_url("http://127.0.0.1:8080", &c) == 0);
	CHECK_STR(c.public_url, "http://127.0.0.1:8080");
	CHECK(load_with_public_url("https://bdc.gxzf.gov.cn", &c) == 0);
	CHECK_STR(c.public_url, "https://bdc.gxzf.gov.cn");
}

static void test_public_url_unset_is_null(void)
{
	struct conf c;
	CHECK(load_with_public_url(NULL, &c) == 0);
	CHECK(c.public_url == NULL);
}

static void test_malformed_public_url_refuses_to_start(void)
{
	static const char *bad[] = { "ftp://x.cn", "http://", "http://x.cn/", "x.cn", "http://x.cn/p?q=1",
				     "http://x.cn/#a", "http://x .cn", "http://x.cn\"", "http://\xe4\xb8\xad.cn" };
	struct conf c;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(load_with_public_url(bad[i], &c) == -1);
}

int main(void)
{
	TEST(test_public_url_is_an_http_origin);
	TEST(test_public_url_unset_is_null);
	TEST(test_malformed_public_url_refuses_to_start);
	return check_done();
}
