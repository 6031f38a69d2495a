#include "qr.h"

#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void)
{
	if (crc_table[1])
		return;
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[n] = c;
	}
}

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* chunk: length, type, data, CRC over type and data */
static size_t chunk(unsigned char *o, const char *type, const unsigned char *data, size_t n)
{
	be32(o, (uint32_t)n);
	memcpy(o + 4, type, 4);
	if (n)
		memcpy(o + 8, data, n);
	be32(o + 8 + n, crc32_of(o + 4, n + 4));
	return n + 12;
}

/* PNG of a 1-bit image (1 = black) given as a callback. */
static unsigned char *png_1bit(struct arena *a, int w, int h, int (*black)(void *, int, int), void *ctx,
			size_t *len)
{
	crc_init();
	size_t stride = (size_t)(w + 7) / 8 + 1; /* filter byte + packed bits */
	size_t raw_len = stride * (size_t)h;
	unsigned char *raw = arena_alloc(a, raw_len);
	if (raw == NULL)
		return NULL;
	for (int y = 0; y < h; y++) {
		unsigned char *row = raw + (size_t)y * stride;
		row[0] = 0;
		for (int x = 0; x < w; x++)
			if (!black(ctx, x, y)) /* greyscale 1 bit: 1 is white */
				row[1 + x / 8] |= (unsigned char)(0x80 >> (x % 8));
	}
	size_t nblocks = raw_len / 65535 + 1;
	size_t z_len = 2 + raw_len + nblocks * 5 + 4;
	unsigned char *z = arena_alloc(a, z_len);
	if (z == NULL)
		return NULL;
	size_t o = 0;
	z[o++] = 0x78;
	z[o++] = 0x01;
	uint32_t s1 = 1, s2 = 0;
	for (size_t off = 0; off < raw_len || off == 0;) {
		size_t n = raw_len - off < 65535 ? raw_len - off : 65535;
		z[o++] = off + n >= raw_len ? 1 : 0;
		z[o++] = (unsigned char)n;
		z[o++] = (unsigned char)(n >> 8);
		z[o++] = (unsigned char)~n;
		z[o++] = (unsigned char)(~n >> 8);
		memcpy(z + o, raw + off, n);
		for (size_t i = 0; i < n; i++) {
			s1 = (s1 + raw[off + i]) % 65521;
			s2 = (s2 + s1) % 65521;
		}
		o += n;
		off += n;
		if (n == 0)
			break;
	}
	be32(z + o, s2 << 16 | s1);
	o += 4;
	unsigned char *png = arena_alloc(a, 8 + 25 + 12 + o + 12);
	if (png == NULL)
		return NULL;
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	memcpy(png, sig, 8);
	unsigned char ihdr[13];
	be32(ihdr, (uint32_t)w);
	be32(ihdr + 4, (uint32_t)h);
	ihdr[8] = 1;  /* bit depth */
	ihdr[9] = 0;  /* greyscale */
	ihdr[10] = 0; /* deflate */
	ihdr[11] = 0; /* adaptive filtering */
	ihdr[12] = 0; /* no interlace */
	size_t p = 8;
	p += chunk(png + p, "IHDR", ihdr, 13);
	p += chunk(png + p, "IDAT", z, o);
	p += chunk(png + p, "IEND", NULL, 0);
	*len = p;
	return png;
}

struct qr_ctx {
	QRcode *q;
	int scale, margin;
};

static int qr_black(void *ctx, int x, int y)
{
	struct qr_ctx *c = ctx;
	int mx = x / c->scale - c->margin, my = y / c->scale - c->margin;
	if (mx < 0 || my < 0 || mx >= c->q->width || my >= c->q->width)
		return 0;
	return c->q->data[my * c->q->width + mx] & 1;
}

unsigned char *qr_png(struct arena *a, const char *text, int scale, size_t *len)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q == NULL)
		return NULL;
	struct qr_ctx c = { q, scale, 4 };
	int side = (q->width + 2 * c.margin) * scale;
	unsigned char *png = png_1bit(a, side, side, qr_black, &c, len);
	QRcode_free(q);
	return png;
}

/* level M, 8-bit mode as qr_png; NULL when too long for the bound */
static QRcode *qr_bounded(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (q && q->width > QR_MAX_MODULES) {
		QRcode_free(q);
		return NULL;
	}
	return q;
}

int qr_side(const char *text)
{
	QRcode *q = qr_bounded(text);
	if (q == NULL)
		return -1;
	int side = q->width + 2 * QR_QUIET;
	QRcode_free(q);
	return side;
}

char *qr_svg(struct arena *a, const char *text, int scale, size_t *len)
{
	if (scale < 1 || scale > 64)
		return NULL;
	QRcode *q = qr_bounded(text);
	if (q == NULL)
		return NULL;
	int w = q->width, side = w + 2 * QR_QUIET;
	/* a run of dark modules is "M<x> <y>h<n>v1h-<n>z": at most 26 bytes,
	 * and a row has at most (w + 1) / 2 runs */
	size_t cap = 400 + (size_t)w * (size_t)((w + 1) / 2) * 26;
	char *out = arena_alloc(a, cap);
	if (out == NULL) {
		QRcode_free(q);
		return NULL;
	}
	size_t o = 0;
	int n = snprintf(out, cap,
			 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%d\""
			 " viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
			 "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
			 side * scale, side * scale, side, side, side, side);
	if (n < 0 || (size_t)n >= cap)
		goto fail;
	o = (size_t)n;
	for (int y = 0; y < w; y++) {
		for (int x = 0; x < w;) {
			if (!(q->data[y * w + x] & 1)) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < w && (q->data[y * w + x + run] & 1))
				run++;
			n = snprintf(out + o, cap - o, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
			if (n < 0 || (size_t)n >= cap - o)
				goto fail;
			o += (size_t)n;
			x += run;
		}
	}
	n = snprintf(out + o, cap - o, "\"/></svg>");
	if (n < 0 || (size_t)n >= cap - o)
		goto fail;
	o += (size_t)n;
	QRcode_free(q);
	*len = o;
	return out;
fail:
	QRcode_free(q);
	return NULL;
}
