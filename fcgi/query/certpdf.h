/* The query-result certificate (查询结果证明) as PDF pages, drawn with
 * cairo: CJK text through FreeType with the font embedded as a subset,
 * the QR code drawn as vector modules, a watermark and page numbers on
 * every page. Signing is separate (core/pdfsign.h): this only draws. */
#ifndef TB_CERTPDF_H
#define TB_CERTPDF_H
#include "../core/buf.h"
#include "../core/json.h"

struct certpdf_doc {
	const char *serial, *agency;
	const char *requester_name, *requester_id_masked, *requester_kind, *reference;
	const char *purpose, *conditions, *as_at, *issued_at, *clerk;
	const char *verify_url;	/* encoded in the QR code and printed */
	const struct json *result; /* qry.query.result: {"visibility", "units", "queried_by"} */
};

/* The PDF into out (malloc-backed; the caller frees it). 0, or -1 with
 * *err saying why (no CJK font, cairo failure, malformed result). */
int certpdf_render(const struct certpdf_doc *d, struct buf *out, const char **err);

#endif
