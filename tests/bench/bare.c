/* The ceiling of any FastCGI program: libfcgi's accept loop answering a fixed
 * body, with no parsing, routing, database or cache. Used by `make bench`. */
#include <fcgi_stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
	const char *body = getenv("BARE_BODY");
	if (body == NULL)
		body = "{\"status\":\"ok\"}";
	size_t len = strlen(body);
	while (FCGI_Accept() >= 0) {
		printf("Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		       "Cache-Control: no-store\r\n\r\n", len);
		fwrite(body, 1, len, stdout);
	}
	return 0;
}
