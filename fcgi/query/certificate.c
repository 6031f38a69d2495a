/* GET /api/v1/queries/{id}/certificate.pdf: the query-result certificate
 * (查询结果证明) of a completed query of the caller's agency. Made once, at
 * the first download — drawn (certpdf.c), signed as a PDF signature and
 * with SM2 (core/pdfsign.c) — and stored; every later download returns the
 * stored bytes, so what a verifier hashes is what was handed out. Served
 * on the query service's slow lane (nginx): drawing and signing take tens
 * of milliseconds a quick request should not wait behind.
 *
 * Signing fails closed: without a usable key (TB_CERT_KEY, TB_CERT_CHAIN,
 * TB_SM2_KEY — read at each issue, so a key replaced on disk is used at
 * once) nothing is stored and the answer is 503 signing_unavailable. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/crypto.h"
#include "../core/log.h"
#include "../core/pdfsign.h"
#include "../core/worker.h"
#include "certificate.h"
#include "certpdf.h"
#include "query.h"

#define Q_CQUERY(P, C)                                                                             \
	P(id, I64) P(agency, TEXT)                                                                  \
	C(state, TEXT) C(serial, TEXT) C(requester_kind, TEXT) C(requester_name, TEXT)              \
	C(requester_id_masked, TEXT) C(requester_reference, TEXT) C(purpose, TEXT) C(conditions, TEXT) \
	C(as_at_us, I64) C(result, TEXT) C(clerk, TEXT) C(agency_name, TEXT)
DB_QUERY(cert_query, Q_CQUERY,
	 "SELECT q.state, q.serial, q.requester_kind, q.requester_name, q.requester_id_masked,"
	 " q.requester_reference, q.purpose, q.conditions::text,"
	 " (extract(epoch FROM q.as_at) * 1000000)::bigint, q.result::text, u.display_name, a.name"
	 " FROM qry.query q JOIN iam.user u ON u.id = q.created_by JOIN iam.agency a ON a.code = q.agency_code"
	 " WHERE q.id = $1 AND q.agency_code = $2");

#define Q_CSTORED(P, C) P(query_id, I64) C(serial, TEXT) C(sha256, TEXT) C(pdf, BYTES)
DB_QUERY(cert_stored, Q_CSTORED, "SELECT serial, sha256, pdf FROM qry.certificate WHERE query_id = $1");

#define Q_CINSERT(P, C)                                                                             \
	P(serial, TEXT) P(query_id, I64) P(agency, TEXT) P(issued_by, I64) P(issued_us, I64) P(pdf, BYTES) \
	P(sha256, TEXT) P(code_hash, TEXT) P(sm2, BYTES) P(sm2_pub, TEXT) P(units, TEXT)                  \
	C(serial, TEXT)
/* a concurrent first download may have issued it meanwhile: then nothing
 * is inserted and the one stored is served */
DB_QUERY(cert_insert, Q_CINSERT,
	 "INSERT INTO qry.certificate (serial, query_id, agency_code, issued_by, issued_at, pdf, sha256,"
	 " code_hash, sm2_signature, sm2_public_key, unit_codes, register_mark)"
	 " VALUES ($1, $2, $3, $4, to_timestamp($5::bigint / 1000000.0), $6, $7, $8, $9, $10, $11::text[],"
	 " qry.register_mark($11::text[])) ON CONFLICT DO NOTHING RETURNING serial");

/* Beijing wall time of epoch microseconds, "2026-11-28 11:42:05". */
static const char *beijing(struct req *r, int64_t us)
{
	time_t t = (time_t)(us / 1000000) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	char s[40];
	strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm);
	return arena_printf(r->arena, "%s（北京时间）", s);
}

/* The conditions as stored (already masked) in words. */
static const char *conditions_text(struct req *r, const char *json)
{
	struct json *c;
	if (json == NULL || json_parse(r->arena, (const unsigned char *)json, strlen(json), 8, &c) != JSON_OK ||
	    c->type != JSON_OBJECT)
		return "—";
	const struct json *v;
	if ((v = json_get(c, "unit_code")) && v->type == JSON_STRING)
		return arena_printf(r->arena, "不动产单元号 %s", v->s);
	if ((v = json_get(c, "certificate_no")) && v->type == JSON_STRING)
		return arena_printf(r->arena, "不动产权证书号 %s", v->s);
	if ((v = json_get(c, "holder")) && v->type == JSON_OBJECT) {
		const struct json *n = json_get(v, "name"), *m = json_get(v, "id_number_masked");
		if (m == NULL)
			m = json_get(v, "id_masked");
		return arena_printf(r->arena, "权利人 %s（证件号码 %s）", n && n->type == JSON_STRING ? n->s : "",
				    m && m->type == JSON_STRING ? m->s : "—");
	}
	return "—";
}

/* The result's unit codes as a PostgreSQL array literal ({a,b}); a unit
 * code is letters and digits only, checked here so nothing else can get
 * into the literal. NULL when the result is malformed. */
static const char *unit_codes(struct req *r, const struct json *res)
{
	const struct json *units = json_get(res, "units");
	if (units == NULL || units->type != JSON_ARRAY)
		return NULL;
	struct buf b = { 0 };
	int ok = buf_puts(&b, "{") == 0;
	for (const struct json *u = units->child; ok && u; u = u->next) {
		const struct json *c = u->type == JSON_OBJECT ? json_get(u, "code") : NULL;
		if (c == NULL || c->type != JSON_STRING || c->len == 0 || c->len > 40)
			ok = 0;
		for (size_t i = 0; ok && i < c->len; i++)
			if (!((c->s[i] >= '0' && c->s[i] <= '9') || (c->s[i] >= 'A' && c->s[i] <= 'Z')))
				ok = 0;
		ok = ok && buf_printf(&b, "%s%s", u == units->child ? "" : ",", c->s) == 0;
	}
	ok = ok && buf_puts(&b, "}") == 0;
	const char *s = ok ? arena_strndup(r->arena, (const char *)b.p, b.len) : NULL;
	buf_free(&b);
	return s;
}

static void send_pdf(struct req *r, const char *serial, const char *sha256, const unsigned char *p, size_t n)
{
	resp_header(r, "Content-Disposition", arena_printf(r->arena, "attachment; filename=\"%s.pdf\"", serial));
	resp_header(r, "Cache-Control", "no-store");
	/* header values must outlive the results, cleared before the answer is framed */
	resp_header(r, "X-Content-SHA256", arena_strndup(r->arena, sha256, strlen(sha256)));
	resp_raw(r, 200, "application/pdf", p, n);
}

static void signing_unavailable(struct req *r, const char *why)
{
	log_warn("certificate not issued: %s", why);
	resp_problem(r, 503, "signing_unavailable",
		     "The certificate cannot be signed at the moment; nothing was issued. Retry later.");
}

/* The stored certificate, audited as a download. 1 sent, 0 none, -1 replied. */
static int serve_stored(struct req *r, const struct principal *p, int64_t qid, const char *id)
{
	struct cert_stored_row *c;
	int n = cert_stored_run(r, &(struct cert_stored_in){ .query_id = qid }, &c);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	if (c->pdf.p == NULL) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	if (db_begin(r) != 0 ||
	    auth_audit(r, p, "query.certificate.download", "query", id, "success",
		       json_pairs(r->arena, "serial", c->serial, "sha256", c->sha256)) != 0 ||
	    db_commit(r) != 0)
		return -1;
	send_pdf(r, c->serial, c->sha256, c->pdf.p, c->pdf.len);
	return 1;
}

/* Draw, sign and store the certificate of q. 0 stored (or stored by a
 * concurrent request), -1 replied. */
static int issue(struct req *r, const struct principal *p, int64_t qid, const char *id,
		 const struct cert_query_row *q)
{
	const char *base = r->w->conf.public_url;
	if (base == NULL) {
		resp_problem(r, 503, "public_url_unset",
			     "TB_PUBLIC_URL is not set: the certificate cannot name its verification address.");
		return -1;
	}
	struct json *res;
	const char *codes;
	if (q->result == NULL ||
	    json_parse(r->arena, (const unsigned char *)q->result, strlen(q->result), 16, &res) != JSON_OK ||
	    res->type != JSON_OBJECT || (codes = unit_codes(r, res)) == NULL || strlen(q->serial) < 4) {
		log_error("query %s: malformed stored result", id);
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	/* the verification code: 128 random bits, printed only inside the QR
	 * code's address; only its hash is kept */
	unsigned char rnd[16], h[32];
	char code[33], code_hash[65], sha[65];
	if (crypto_random(rnd, sizeof(rnd)) != 0) {
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		return -1;
	}
	crypto_hex(rnd, sizeof(rnd), code);
	crypto_sha256(code, 32, h);
	crypto_hex(h, sizeof(h), code_hash);
	const char *serial = arena_printf(r->arena, "ZM%s", q->serial + 2); /* CX-… -> ZM-… */
	int64_t now = req_now_us(r);
	struct certpdf_doc d = {
		.serial = serial,
		.agency = q->agency_name,
		.requester_name = q->requester_name,
		.requester_id_masked = q->requester_id_masked,
		.requester_kind = q->requester_kind,
		.reference = q->requester_reference,
		.purpose = q->purpose,
		.conditions = conditions_text(r, q->conditions),
		.as_at = beijing(r, q->as_at_us),
		.issued_at = beijing(r, now),
		.clerk = q->clerk,
		.verify_url = arena_printf(r->arena, "%s/api/v1/public/certificates/%s?code=%s", base, serial, code),
		.result = res,
	};
	struct buf pdf = { 0 };
	unsigned char *sm2 = NULL;
	size_t sm2len = 0;
	char *sm2pub = NULL;
	const char *err;
	int rc = -1;
	if (certpdf_render(&d, &pdf, &err) != 0) {
		log_error("query %s: certificate not drawn: %s", id, err);
		resp_problem(r, 500, "internal", "The server could not complete the request.");
		goto out;
	}
	if (pdfsign(&pdf, conf_str("TB_CERT_KEY", NULL), conf_str("TB_CERT_CHAIN", NULL), (time_t)(now / 1000000),
		    "Tongban query-result certificate", &err) != 0 ||
	    sm2_sign(conf_str("TB_SM2_KEY", NULL), pdf.p, pdf.len, &sm2, &sm2len, &sm2pub, &err) != 0) {
		signing_unavailable(r, err);
		goto out;
	}
	/* the table holds at most 300 KB (a result of some 150 units): say so
	 * rather than let the constraint answer */
	if (pdf.len > 300 * 1024) {
		log_error("query %s: certificate of %zu bytes, over 300 KB", id, pdf.len);
		resp_problem(r, 500, "certificate_too_large",
			     "The certificate of this result would exceed 300 KB; nothing was issued.");
		goto out;
	}
	crypto_sha256(pdf.p, pdf.len, h);
	crypto_hex(h, sizeof(h), sha);
	if (db_begin(r) != 0)
		goto out;
	int n = cert_insert_run(r,
				&(struct cert_insert_in){ .serial = serial,
							  .query_id = qid,
							  .agency = p->agency_code,
							  .issued_by = p->user_id,
							  .issued_us = now,
							  .pdf = { pdf.p, pdf.len },
							  .sha256 = sha,
							  .code_hash = code_hash,
							  .sm2 = { sm2, sm2len },
							  .sm2_pub = sm2pub,
							  .units = codes },
				NULL);
	if (n < 0)
		goto out;
	if (n == 1 && auth_audit(r, p, "query.certificate.issue", "query", id, "success",
				 json_pairs(r->arena, "serial", serial, "sha256", sha)) != 0)
		goto out;
	if (db_commit(r) != 0)
		goto out;
	rc = 0;
out:
	buf_free(&pdf);
	free(sm2);
	free(sm2pub);
	return rc;
}

void h_query_certificate(struct req *r)
{
	const struct principal *p = auth_require(r, "query.create", NULL, 0);
	if (p == NULL)
		return;
	const char *id = req_param(r, "id");
	int64_t qid = strtoll(id, NULL, 10);
	/* another agency's query is not found (no oracle on ids) */
	struct cert_query_row *q;
	int n = cert_query_run(r, &(struct cert_query_in){ .id = qid, .agency = p->agency_code }, &q);
	if (n < 0)
		return;
	if (n != 1) {
		resp_problem(r, 404, "query_not_found", "Your agency has no query with this id.");
		return;
	}
	if (strcmp(q->state, "completed") != 0) {
		resp_problem_with(r, 409, "query_not_completed",
				  "A certificate exists once the query is completed (not pending approval or rejected).",
				  (const char *const[]){ "state", q->state, NULL });
		return;
	}
	int rc = serve_stored(r, p, qid, id);
	if (rc != 0)
		return;
	if (issue(r, p, qid, id, q) != 0)
		return;
	if (serve_stored(r, p, qid, id) == 0)
		resp_problem(r, 500, "internal", "The server could not complete the request.");
}
