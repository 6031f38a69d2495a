/* QR codes: the SVG writer beside the PNG one (core/qr.c) — well-formed,
 * sized by the code's modules and the quiet zone, the same modules as the
 * PNG, and bounded: text needing more than QR_MAX_MODULES is refused. */
#include <stdlib.h>
#include <string.h>

#include "../../fcgi/core/qr.h"
#include "check.h"

static const char URL[] = "http://127.0.0.1:43210/pay/Q7ZK3M9TXR2WB8N5HJ4F6C1D";

static void test_svg_has_the_codes_size_and_quiet_zone(void)
{
	struct arena a;
	arena_init(&a, 1 << 20);
	int side = qr_side(URL);
	CHECK(side >= 21 + 8 && side <= QR_MAX_SIDE && (side - 8 - 21) % 4 == 0);
	size_t len = 0;
	char *svg = qr_svg(&a, URL, 4, &len);
	CHECK(svg != NULL && strlen(svg) == len);
	char head[200];
	snprintf(head, sizeof(head),
		 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\"",
		 side * 4, side * 4, side, side);
	CHECK(svg && strncmp(svg, head, strlen(head)) == 0);
	CHECK(svg && len > 8 && strcmp(svg + len - 8, "\"/></svg>" + 1) == 0);
	/* the finder pattern's top edge: 7 dark modules from the quiet zone's corner */
	CHECK(svg && strstr(svg, "d=\"M4 4h7v1h-7z") != NULL);
	arena_free(&a);
}

/* one symbol behind both: the PNG is the SVG's side times its scale (the
 * API test compares the two module by module) */
static void test_svg_and_png_agree_in_size(void)
{
	struct arena a;
	arena_init(&a, 1 << 20);
	size_t plen = 0, slen = 0;
	unsigned char *png = qr_png(&a, URL, 3, &plen);
	char *svg = qr_svg(&a, URL, 3, &slen);
	CHECK(png != NULL && svg != NULL);
	int side = qr_side(URL);
	/* IHDR width at byte 16, big-endian */
	CHECK(png && ((png[16] << 24) | (png[17] << 16) | (png[18] << 8) | png[19]) == side * 3);
	arena_free(&a);
}

static void test_text_beyond_the_bound_is_refused(void)
{
	struct arena a;
	arena_init(&a, 1 << 20);
	char big[400];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	size_t len = 0;
	CHECK(qr_side(big) == -1);
	CHECK(qr_svg(&a, big, 4, &len) == NULL);
	CHECK(qr_svg(&a, URL, 0, &len) == NULL);
	CHECK(qr_svg(&a, URL, 65, &len) == NULL);
	arena_free(&a);
}

int main(void)
{
	TEST(test_svg_has_the_codes_size_and_quiet_zone);
	TEST(test_svg_and_png_agree_in_size);
	TEST(test_text_beyond_the_bound_is_refused);
	return check_done();
}
