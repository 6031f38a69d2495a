/* Policies and regulations (政策法规): the pure rules of their input and
 * output — dates, the body's text, search words, list cursors and the
 * download header — shared by the admin and public services. No I/O. */
#ifndef TB_POLICY_H
#define TB_POLICY_H
#include <stddef.h>
#include <stdint.h>

#define POL_BODY_MAX_CHARS 200000
#define POL_QUERY_MAX_CHARS 100
#define POL_ATTACHMENT_MAX (10u << 20)
#define POL_ATTACHMENTS_PER_DOC 10

/* 1 when s is a calendar date YYYY-MM-DD (years 1900-2999), else 0. */
int pol_date_ok(const char *s);
/* The body's characters (valid UTF-8 assumed) when it is plain text of at
 * most max characters: no control characters but tab, CR and LF, no NUL;
 * -1 otherwise. */
long pol_body_chars(const char *s, size_t n, long max);
/* 1 when a search text has 1 to POL_QUERY_MAX_CHARS characters after
 * trimming spaces (ASCII and the ideographic space U+3000) and no control
 * characters; valid UTF-8 assumed. */
int pol_query_ok(const char *q);
/* A list cursor "<score>-<id>" (decimal, id >= 1): 1 and both set, or 0. */
int pol_cursor_parse(const char *s, int64_t *score, int64_t *id);
/* Content-Disposition for a PDF download: attachment, an ASCII fallback
 * name "policy-<aid>.pdf" and the UTF-8 name percent-encoded (RFC 5987,
 * anything but letters, digits and .-_ encoded, so no quote, semicolon or
 * line break can reach the header). The length written (without the NUL),
 * or 0 when out has too little room. */
size_t pol_disposition(char *out, size_t cap, const char *filename, int64_t aid);

#endif
