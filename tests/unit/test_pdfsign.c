/* core/pdfsign: the incremental-update PDF signature (checked here with
 * OpenSSL's CMS_verify over the byte ranges; the API tests check it with
 * pdfsig) and the SM2 signature, and that both fail closed. Keys are made
 * per run in a temporary directory. */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "core/pdfsign.h"

static char dir[] = "/tmp/tb-pdfsign.XXXXXX";
static char rsa_key[128], rsa_chain[128], ec_key[128], ec_chain[128], sm2_key[128], other_key[128];

static void write_key(const char *path, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

/* a key and a self-signed certificate for it */
static void make_pair(const char *alg, const char *key_path, const char *chain_path)
{
	EVP_PKEY *k = strcmp(alg, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
					      : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_sign(x, k, EVP_sha256());
	write_key(key_path, k);
	FILE *f = fopen(chain_path, "w");
	PEM_write_X509(f, x);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* A one-page PDF with a classic cross-reference table, as cairo writes. */
static void tiny_pdf(struct buf *b, const char *catalog_extra)
{
	size_t off[4];
	b->len = 0;
	CHECK(buf_puts(b, "%PDF-1.5\n") == 0);
	off[1] = b->len;
	CHECK(buf_printf(b, "1 0 obj\n<< /Type /Catalog\n   /Pages 2 0 R%s\n>>\nendobj\n", catalog_extra) == 0);
	off[2] = b->len;
	CHECK(buf_puts(b, "2 0 obj\n<< /Type /Pages\n   /Kids [ 3 0 R ]\n   /Count 1\n>>\nendobj\n") == 0);
	off[3] = b->len;
	CHECK(buf_puts(b, "3 0 obj\n<< /Type /Page % 1\n   /Parent 2 0 R\n   /MediaBox [ 0 0 200 200 ]\n>>\nendobj\n") == 0);
	size_t x = b->len;
	CHECK(buf_puts(b, "xref\n0 4\n0000000000 65535 f \n") == 0);
	for (int i = 1; i < 4; i++)
		CHECK(buf_printf(b, "%010zu 00000 n \n", off[i]) == 0);
	CHECK(buf_printf(b, "trailer\n<< /Size 4\n   /Root 1 0 R\n>>\nstartxref\n%zu\n%%%%EOF\n", x) == 0);
}

/* 1: the CMS in /Contents verifies over the /ByteRange; 0 not; -1 malformed */
static int cms_ok(const struct buf *b)
{
	const char *p = (const char *)b->p;
	const char *br = memmem(p, b->len, "/ByteRange [", 12);
	if (br == NULL)
		return -1;
	size_t a0, a1, b0, b1;
	if (sscanf(br + 12, "%zu %zu %zu %zu", &a0, &a1, &b0, &b1) != 4 || a0 != 0 || b0 + b1 != b->len)
		return -1;
	/* the hex string between the ranges */
	size_t hexlen = b0 - a1 - 2;
	unsigned char *der = malloc(hexlen / 2);
	for (size_t i = 0; i < hexlen / 2; i++) {
		unsigned v;
		sscanf(p + a1 + 1 + 2 * i, "%2x", &v);
		der[i] = (unsigned char)v;
	}
	const unsigned char *q = der;
	CMS_ContentInfo *cms = d2i_CMS_ContentInfo(NULL, &q, (long)(hexlen / 2));
	unsigned char *data = malloc(a1 + b1);
	memcpy(data, p, a1);
	memcpy(data + a1, p + b0, b1);
	BIO *in = BIO_new_mem_buf(data, (int)(a1 + b1));
	int ok = cms && CMS_verify(cms, NULL, NULL, in, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1;
	const EVP_MD *md = NULL;
	if (ok) {
		/* the digest is SHA-256 */
		STACK_OF(CMS_SignerInfo) *si = CMS_get0_SignerInfos(cms);
		X509_ALGOR *dig;
		CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(si, 0), NULL, NULL, &dig, NULL);
		const ASN1_OBJECT *obj;
		X509_ALGOR_get0(&obj, NULL, NULL, dig);
		md = EVP_get_digestbyobj(obj);
		ok = md != NULL && EVP_MD_is_a(md, "SHA256");
	}
	ERR_clear_error();
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	free(data);
	free(der);
	return ok;
}

static void sign_and_verify(const char *key, const char *chain)
{
	struct buf b = { 0 };
	tiny_pdf(&b, "");
	size_t orig = b.len;
	unsigned char *copy = malloc(orig);
	memcpy(copy, b.p, orig);
	const char *err = "unset";
	CHECK(pdfsign(&b, key, chain, 1795000000, "test (reason)", &err) == 0);
	CHECK(err == NULL);
	/* an incremental update: what was there stays, byte for byte */
	CHECK(b.len > orig && memcmp(b.p, copy, orig) == 0);
	CHECK(memmem(b.p, b.len, "/SubFilter /adbe.pkcs7.detached", 31) != NULL);
	CHECK(memmem(b.p, b.len, "/SigFlags 3", 11) != NULL);
	CHECK(memmem(b.p, b.len, "/Prev ", 6) != NULL);
	CHECK(memmem(b.p, b.len, "/M (D:20261118", 14) != NULL);
	CHECK(cms_ok(&b) == 1);
	/* one byte changed in the first range, then in the second */
	b.p[20] ^= 1;
	CHECK(cms_ok(&b) == 0);
	b.p[20] ^= 1;
	b.p[b.len - 3] ^= 1;
	CHECK(cms_ok(&b) == 0);
	buf_free(&b);
	free(copy);
}

static void test_rsa_signature(void)
{
	sign_and_verify(rsa_key, rsa_chain);
}

static void test_ecdsa_signature(void)
{
	sign_and_verify(ec_key, ec_chain);
}

/* each failure leaves the document as it was and says why */
static void test_fails_closed(void)
{
	struct buf b = { 0 };
	const char *err;
	tiny_pdf(&b, "");
	size_t orig = b.len;
	err = NULL;
	CHECK(pdfsign(&b, NULL, rsa_chain, 0, "", &err) == -1 && err != NULL && b.len == orig);
	err = NULL;
	CHECK(pdfsign(&b, "/nonexistent/key.pem", rsa_chain, 0, "", &err) == -1 && err && b.len == orig);
	err = NULL;
	CHECK(pdfsign(&b, other_key, rsa_chain, 0, "", &err) == -1 && err && b.len == orig);
	CHECK(err && strstr(err, "does not match"));
	err = NULL;
	CHECK(pdfsign(&b, sm2_key, rsa_chain, 0, "", &err) == -1 && err && b.len == orig);
	err = NULL;
	CHECK(pdfsign(&b, rsa_key, rsa_key, 0, "", &err) == -1 && err && b.len == orig); /* no certificate */
	/* not a PDF, a broken cross-reference, a form already there */
	struct buf c = { 0 };
	CHECK(buf_puts(&c, "not a pdf at all, but long enough to be looked at by the signer....") == 0);
	err = NULL;
	size_t clen = c.len;
	CHECK(pdfsign(&c, rsa_key, rsa_chain, 0, "", &err) == -1 && err && c.len == clen);
	tiny_pdf(&c, "");
	memcpy(memmem(c.p, c.len, "xref\n0 4", 8), "xref\n0 9", 8);
	clen = c.len;
	CHECK(pdfsign(&c, rsa_key, rsa_chain, 0, "", &err) == -1 && c.len == clen);
	tiny_pdf(&c, "\n   /AcroForm << >>");
	clen = c.len;
	CHECK(pdfsign(&c, rsa_key, rsa_chain, 0, "", &err) == -1 && c.len == clen);
	buf_free(&b);
	buf_free(&c);
}

static int sm2_verify(const char *pub_pem, const unsigned char *p, size_t n, const unsigned char *sig, size_t sl,
		      const char *id)
{
	BIO *bio = BIO_new_mem_buf(pub_pem, -1);
	EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);
	EVP_PKEY_CTX_set1_id(pc, id, strlen(id));
	EVP_MD_CTX_set_pkey_ctx(m, pc);
	int ok = EVP_DigestVerifyInit(m, NULL, EVP_sm3(), NULL, k) == 1 && EVP_DigestVerify(m, sig, sl, p, n) == 1;
	ERR_clear_error();
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(k);
	BIO_free(bio);
	return ok;
}

static void test_sm2(void)
{
	const unsigned char doc[] = "%PDF-1.5 the bytes of a certificate";
	unsigned char *sig;
	size_t sl;
	char *pub;
	const char *err;
	CHECK(sm2_sign(sm2_key, doc, sizeof(doc), &sig, &sl, &pub, &err) == 0);
	CHECK(strncmp(pub, "-----BEGIN PUBLIC KEY-----", 26) == 0);
	CHECK(sm2_verify(pub, doc, sizeof(doc), sig, sl, SM2_DEFAULT_ID) == 1);
	/* another user id, or another byte: not valid */
	CHECK(sm2_verify(pub, doc, sizeof(doc), sig, sl, "1234567812345679") == 0);
	CHECK(sm2_verify(pub, doc, sizeof(doc) - 1, sig, sl, SM2_DEFAULT_ID) == 0);
	free(sig);
	free(pub);
	/* no key, or a key that is not SM2 */
	CHECK(sm2_sign(NULL, doc, sizeof(doc), &sig, &sl, &pub, &err) == -1 && sig == NULL && pub == NULL);
	CHECK(sm2_sign(rsa_key, doc, sizeof(doc), &sig, &sl, &pub, &err) == -1 && sig == NULL && pub == NULL);
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(rsa_key, sizeof(rsa_key), "%s/rsa.key", dir);
	snprintf(rsa_chain, sizeof(rsa_chain), "%s/rsa.pem", dir);
	snprintf(ec_key, sizeof(ec_key), "%s/ec.key", dir);
	snprintf(ec_chain, sizeof(ec_chain), "%s/ec.pem", dir);
	snprintf(sm2_key, sizeof(sm2_key), "%s/sm2.key", dir);
	snprintf(other_key, sizeof(other_key), "%s/other.key", dir);
	make_pair("RSA", rsa_key, rsa_chain);
	make_pair("EC", ec_key, ec_chain);
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
	write_key(sm2_key, k);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	write_key(other_key, k);
	EVP_PKEY_free(k);

	TEST(test_rsa_signature);
	TEST(test_ecdsa_signature);
	TEST(test_fails_closed);
	TEST(test_sm2);

	const char *files[] = { rsa_key, rsa_chain, ec_key, ec_chain, sm2_key, other_key };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(dir);
	return check_done();
}
