/* The ceiling of any FastCGI program: libfcgi's accept loop answering a fixed
 * body (BARE_BODY) with no parsing, routing, database or cache; BARE_WORKERS
 * processes share one unix socket (BARE_SOCKET). Used by `make bench`. */
#include <fcgiapp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	const char *sock = getenv("BARE_SOCKET");
	const char *body = getenv("BARE_BODY");
	int workers = getenv("BARE_WORKERS") ? atoi(getenv("BARE_WORKERS")) : 2;
	if (sock == NULL || body == NULL || FCGX_Init() != 0)
		return 2;
	int fd = FCGX_OpenSocket(sock, 1024);
	if (fd < 0)
		return 1;
	for (int i = 0; i < workers; i++) {
		if (fork() == 0) {
			FCGX_Request req;
			FCGX_InitRequest(&req, fd, 0);
			size_t len = strlen(body);
			while (FCGX_Accept_r(&req) >= 0) {
				FCGX_FPrintF(req.out, "Status: 200 OK\r\nContent-Type: application/json\r\n"
						      "Content-Length: %d\r\nCache-Control: no-store\r\n\r\n", (int)len);
				FCGX_PutStr(body, (int)len, req.out);
				FCGX_Finish_r(&req);
			}
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
