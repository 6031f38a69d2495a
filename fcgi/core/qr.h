/* QR codes as PNG images (libqrencode for the symbol; the PNG is written
 * here: 1-bit greyscale, stored deflate blocks — a QR code is small). */
#ifndef TB_QR_H
#define TB_QR_H
#include <stddef.h>

#include "arena.h"

/* PNG bytes in the arena, or NULL. scale: pixels per module. */
unsigned char *qr_png(struct arena *a, const char *text, int scale, size_t *len);

/* Codes are bounded: text that needs more modules than this (version 10,
 * 57 modules; some 200 bytes of URL at level M) is refused, so a picture
 * never grows past QR_MAX_SIDE * scale pixels. */
#define QR_MAX_MODULES 57
#define QR_QUIET 4
#define QR_MAX_SIDE (QR_MAX_MODULES + 2 * QR_QUIET)
/* The side in modules, quiet zone included, of text's code (level M), or
 * -1 when it cannot be encoded within the bound. */
int qr_side(const char *text);
/* The same code as SVG markup (NUL-terminated, in the arena; *len without
 * the NUL), or NULL: viewBox in modules, width and height side * scale
 * pixels, one path of the dark modules over a white square. */
char *qr_svg(struct arena *a, const char *text, int scale, size_t *len);

#endif
