/* CSV for spreadsheets (RFC 4180 as Excel and WPS read it): a UTF-8 byte
 * order mark first (without it Excel on Chinese Windows reads the bytes as
 * GBK), CRLF after every record, a field quoted when it holds a comma, a
 * quote, CR or LF (quotes doubled), other fields as they are. Money and
 * ratios are written as people read them: fen as yuan "123.45", basis
 * points as "12.50%". Pure: the caller owns the buffer. */
#ifndef TB_CSV_H
#define TB_CSV_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct csv {
	struct buf *out;
	int fields; /* fields written in the current record */
};

/* Start a document: the BOM. 0 or -1 (out of memory). */
int csv_begin(struct csv *c, struct buf *out) __attribute__((warn_unused_result));
/* One field of n bytes (s may be NULL when n is 0: an empty field). */
int csv_field(struct csv *c, const char *s, size_t n) __attribute__((warn_unused_result));
int csv_str(struct csv *c, const char *s) __attribute__((warn_unused_result)); /* NULL: empty */
int csv_int(struct csv *c, int64_t v) __attribute__((warn_unused_result));
int csv_fen(struct csv *c, int64_t fen) __attribute__((warn_unused_result));
int csv_bp(struct csv *c, int64_t bp) __attribute__((warn_unused_result));
/* End the record: CRLF. */
int csv_end_row(struct csv *c) __attribute__((warn_unused_result));

/* The text forms, into out (at least CSV_NUM_MAX bytes): "-1.05", "12.50%". */
#define CSV_NUM_MAX 32
void csv_fmt_fen(int64_t fen, char *out);
void csv_fmt_bp(int64_t bp, char *out);

#endif
