/* GET /api/v1/public/certificates/{serial}?code=… — is a query-result
 * certificate genuine? The address is the one its QR code carries. The
 * answer: its SHA-256 (compare with the file in hand), issue time and
 * agency, whether the register of its units has changed since, and the
 * SM2-with-SM3 signature over the PDF with the public key that checks it.
 *
 * An unknown serial and a wrong code get the same 404 from the same one
 * probe (qry.certificate_verify compares the code's hash in the index
 * lookup): no oracle for serials. 128-bit codes make guessing hopeless;
 * nginx rate-limits the route as it does the progress lookup and keeps
 * the code out of its access log. A browser (Accept: text/html, as a phone
 * opening the QR code sends) is redirected to the portal's page /v/, which
 * asks this route itself. */
#include <string.h>

#include "../core/crypto.h"
#include "../core/db.h"
#include "../core/server.h"
#include "../core/worker.h"
#include "public.h"

#define Q_VERIFY(P, C)                                                                              \
	P(serial, TEXT) P(code_hash, TEXT)                                                           \
	C(serial, TEXT) C(sha256, TEXT) C(issued_us, I64) C(agency_code, TEXT) C(agency_name, TEXT)   \
	C(changed_since, BOOL) C(sm2_signature, BYTES) C(sm2_public_key, TEXT)
DB_QUERY(cert_verify, Q_VERIFY,
	 "SELECT serial, sha256, (extract(epoch FROM issued_at) * 1000000)::bigint, agency_code,"
	 " agency_name, changed_since, sm2_signature, sm2_public_key FROM qry.certificate_verify($1, $2)");

static int valid_code(const char *s)
{
	if (strlen(s) != 32)
		return 0;
	for (int i = 0; i < 32; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* ZM-<6 or 8 digits>-<4 digits>-<7 digits> */
static int valid_serial(const char *s)
{
	size_t n = strlen(s);
	if (n != 22 && n != 24)
		return 0;
	if (strncmp(s, "ZM-", 3) != 0)
		return 0;
	size_t a = n == 22 ? 6 : 8;
	for (size_t i = 3; i < n; i++) {
		int dash = i == 3 + a || i == 3 + a + 5;
		if (dash ? s[i] != '-' : !(s[i] >= '0' && s[i] <= '9'))
			return 0;
	}
	return 1;
}

const struct qkey certificate_verify_query[] = {
	QKEY_TEXT("code", 64, NULL, "a verification code"),
	QKEY_END,
};

static void not_genuine(struct req *r)
{
	resp_problem(r, 404, "certificate_not_found",
		     "No certificate with this serial and verification code: it is not genuine, or the "
		     "address was copied wrongly.");
}

void h_certificate_verify(struct req *r)
{
	const char *serial = req_param(r, "serial"), *code = req_query(r, "code");
	/* the same 404 for a malformed pair as for an unknown one */
	if (serial == NULL || code == NULL || !valid_serial(serial) || !valid_code(code)) {
		not_genuine(r);
		return;
	}
	const char *accept = req_header(r, "HTTP_ACCEPT");
	if (accept && strstr(accept, "text/html") && r->w->conf.public_url) {
		/* the portal's page asks this route with Accept: application/json;
		 * the pair travels in the fragment, which no server ever logs */
		resp_header(r, "Location",
			    arena_printf(r->arena, "%s/v/#%s.%s", r->w->conf.public_url, serial, code));
		resp_raw(r, 303, "text/plain; charset=utf-8", "", 0);
		return;
	}
	unsigned char h[32];
	char hash[65];
	crypto_sha256(code, 32, h);
	crypto_hex(h, sizeof(h), hash);
	struct cert_verify_row *c;
	int n = cert_verify_run(r, &(struct cert_verify_in){ .serial = serial, .code_hash = hash }, &c);
	if (n < 0)
		return;
	if (n != 1) {
		not_genuine(r);
		return;
	}
	yajl_gen g = resp_gen(r);
	yajl_gen_map_open(g);
	jg_bool(g, "genuine", 1);
	jg_str(g, "serial", c->serial);
	jg_str(g, "sha256", c->sha256);
	jg_str(g, "issued_at", time_rfc3339(r->arena, c->issued_us));
	jg_code_name(g, "issuing_agency", c->agency_code, c->agency_name);
	jg_bool(g, "changed_since", c->changed_since);
	jg_key(g, "sm2");
	yajl_gen_map_open(g);
	jg_str(g, "algorithm", "SM2-with-SM3");
	jg_str(g, "signature", crypto_b64_encode(r->arena, c->sm2_signature.p, c->sm2_signature.len, 0));
	jg_str(g, "user_id", "1234567812345678");
	jg_str(g, "public_key", c->sm2_public_key);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
	resp_header(r, "Cache-Control", "no-store");
	resp_json(r, 200);
}
