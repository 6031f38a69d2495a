/* QR codes as PNG images (libqrencode for the symbol; the PNG is written
 * here: 1-bit greyscale, stored deflate blocks — a QR code is small). */
#ifndef TB_QR_H
#define TB_QR_H
#include <stddef.h>

#include "arena.h"

/* PNG bytes in the arena, or NULL. scale: pixels per module. */
unsigned char *qr_png(struct arena *a, const char *text, int scale, size_t *len);

#endif
