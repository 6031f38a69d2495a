/* PDF signatures and SM2 (pdfsign.h). The PDF is only appended to: the
 * bytes cairo wrote stay as they are (ISO 32000-1 7.5.6, incremental
 * update), so a viewer sees the original revision plus the signature. */
#include "pdfsign.h"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the DER SignedData: an RSA-2048 signature with a chain of two
 * certificates is about 2.5 KB; 8 KB leaves room for longer chains. */
#define SIG_MAX 8192

/* The last occurrence of needle in p[0..n), or NULL. */
static const char *rfind(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	if (n < k)
		return NULL;
	for (size_t i = n - k + 1; i-- > 0;)
		if (memcmp(p + i, needle, k) == 0)
			return p + i;
	return NULL;
}

/* The first occurrence of needle in p[0..n), or NULL. */
static const char *find(const char *p, size_t n, const char *needle)
{
	return memmem(p, n, needle, strlen(needle));
}

/* The integer after key in dict[0..n) ("/Root 37 0 R" -> 37), -1 if absent. */
static long dict_int(const char *d, size_t n, const char *key)
{
	const char *k = find(d, n, key);
	if (k == NULL)
		return -1;
	k += strlen(key);
	char *e;
	long v = strtol(k, &e, 10);
	if (e == k || v < 0)
		return -1;
	return v;
}

struct xref {
	size_t *off; /* offsets of objects 0..size-1 (0: free) */
	long size;
};

/* The classic cross-reference table at offset x; cairo writes a single
 * section starting at object 0. */
static int read_xref(const char *p, size_t n, size_t x, struct xref *t)
{
	if (x >= n || strncmp(p + x, "xref", 4) != 0)
		return -1;
	const char *s = p + x + 4;
	char *e;
	long first = strtol(s, &e, 10);
	long count = strtol(e, &e, 10);
	if (first != 0 || count <= 0 || count > 100000 || count != t->size)
		return -1;
	while (*e == ' ' || *e == '\r' || *e == '\n')
		e++;
	if ((size_t)(e - p) + (size_t)count * 20 > n)
		return -1;
	t->off = calloc((size_t)count, sizeof(size_t));
	if (t->off == NULL)
		return -1;
	for (long i = 0; i < count; i++) {
		const char *ent = e + i * 20;
		if (ent[17] == 'n')
			t->off[i] = (size_t)strtoul(ent, NULL, 10);
	}
	return 0;
}

/* The dictionary of object num ("<< … >>" between obj and endobj) as a
 * pointer into p and its length, without the closing ">>". */
static int object_dict(const char *p, size_t n, const struct xref *t, long num, const char **d, size_t *len)
{
	if (num <= 0 || num >= t->size || t->off[num] == 0 || t->off[num] >= n)
		return -1;
	const char *o = p + t->off[num];
	size_t rest = n - t->off[num];
	char head[32];
	int hl = snprintf(head, sizeof(head), "%ld 0 obj", num);
	if (rest < (size_t)hl || memcmp(o, head, (size_t)hl) != 0)
		return -1;
	const char *end = find(o, rest, "endobj");
	const char *open = find(o, rest, "<<");
	if (end == NULL || open == NULL || open > end)
		return -1;
	const char *close = rfind(o, (size_t)(end - o), ">>");
	if (close == NULL || close < open)
		return -1;
	/* nothing but the dictionary: no stream follows */
	if (find(close, (size_t)(end - close), "stream"))
		return -1;
	*d = open;
	*len = (size_t)(close - open);
	return 0;
}

static void hexenc(const unsigned char *s, size_t n, char *out)
{
	static const char hx[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[s[i] >> 4];
		out[2 * i + 1] = hx[s[i] & 15];
	}
}

/* The key and the certificates, or -1 with *err. */
static int load_keys(const char *key_path, const char *chain_path, EVP_PKEY **key, X509 **cert,
		     STACK_OF(X509) **chain, const char **err)
{
	*key = NULL;
	*cert = NULL;
	*chain = NULL;
	if (key_path == NULL || *key_path == 0 || chain_path == NULL || *chain_path == 0) {
		*err = "no signing key configured (TB_CERT_KEY, TB_CERT_CHAIN)";
		return -1;
	}
	BIO *b = BIO_new_file(key_path, "r");
	if (b == NULL) {
		*err = "cannot read the signing key";
		return -1;
	}
	*key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	if (*key == NULL) {
		*err = "the signing key is not a PEM private key";
		return -1;
	}
	if (!EVP_PKEY_is_a(*key, "RSA") && !EVP_PKEY_is_a(*key, "EC")) {
		*err = "the signing key is neither RSA nor ECDSA";
		return -1;
	}
	b = BIO_new_file(chain_path, "r");
	if (b == NULL) {
		*err = "cannot read the signing certificate";
		return -1;
	}
	*chain = sk_X509_new_null();
	X509 *x;
	while (*chain && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (*cert == NULL)
			*cert = x;
		else if (!sk_X509_push(*chain, x))
			X509_free(x);
	}
	BIO_free(b);
	ERR_clear_error(); /* the end of the file reads as an error */
	if (*cert == NULL) {
		*err = "no certificate in the signing chain file";
		return -1;
	}
	if (X509_check_private_key(*cert, *key) != 1) {
		ERR_clear_error();
		*err = "the signing key does not match its certificate";
		return -1;
	}
	return 0;
}

/* DER SignedData over the two ranges, detached. */
static unsigned char *cms_der(const unsigned char *a, size_t alen, const unsigned char *b2, size_t blen,
			      EVP_PKEY *key, X509 *cert, STACK_OF(X509) *chain, int *derlen, const char **err)
{
	unsigned char *data = malloc(alen + blen), *der = NULL;
	BIO *in = NULL;
	CMS_ContentInfo *cms = NULL;
	if (data == NULL)
		goto fail;
	memcpy(data, a, alen);
	memcpy(data + alen, b2, blen);
	in = BIO_new_mem_buf(data, (int)(alen + blen));
	unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_NOSMIMECAP;
	cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (in == NULL || cms == NULL || CMS_add1_signer(cms, cert, key, EVP_sha256(), flags) == NULL)
		goto fail;
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (!CMS_add1_cert(cms, sk_X509_value(chain, i)))
			goto fail;
	if (CMS_final(cms, in, NULL, flags) != 1)
		goto fail;
	*derlen = i2d_CMS_ContentInfo(cms, &der);
	if (*derlen <= 0)
		goto fail;
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	free(data);
	return der;
fail:
	ERR_clear_error();
	*err = "CMS signing failed";
	BIO_free(in);
	CMS_ContentInfo_free(cms);
	free(data);
	return NULL;
}

/* A PDF string's contents: printable ASCII only, no parentheses or
 * backslash (the reason is ours, but a text string must stay balanced). */
static void pdf_ascii(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; s && *s && o + 1 < cap; s++)
		if (*s >= 0x20 && *s < 0x7f && *s != '(' && *s != ')' && *s != '\\')
			out[o++] = *s;
	out[o] = 0;
}

int pdfsign(struct buf *pdf, const char *key_path, const char *chain_path, time_t when, const char *reason,
	    const char **err)
{
	EVP_PKEY *key;
	X509 *cert;
	STACK_OF(X509) *chain;
	struct xref t = { 0 };
	struct buf add = { 0 };
	unsigned char *der = NULL;
	int rc = -1;
	size_t orig = pdf->len;
	*err = NULL;
	if (load_keys(key_path, chain_path, &key, &cert, &chain, err) != 0)
		goto out;
	*err = "not a PDF this signer understands";
	const char *p = (const char *)pdf->p;
	size_t n = pdf->len;
	if (n < 64 || memcmp(p, "%PDF-", 5) != 0)
		goto out;
	const char *sx = rfind(p, n, "startxref");
	const char *tr = rfind(p, n, "trailer");
	if (sx == NULL || tr == NULL || tr > sx)
		goto out;
	size_t xoff = (size_t)strtoul(sx + 9, NULL, 10);
	size_t tlen = (size_t)(sx - tr);
	t.size = dict_int(tr, tlen, "/Size");
	long root = dict_int(tr, tlen, "/Root"), info = dict_int(tr, tlen, "/Info");
	if (t.size <= 0 || root <= 0 || read_xref(p, n, xoff, &t) != 0)
		goto out;
	const char *cat, *pg, *pages;
	size_t catlen, pglen, pageslen;
	if (object_dict(p, n, &t, root, &cat, &catlen) != 0 || find(cat, catlen, "/AcroForm"))
		goto out;
	long pages_num = dict_int(cat, catlen, "/Pages");
	if (object_dict(p, n, &t, pages_num, &pages, &pageslen) != 0)
		goto out;
	const char *kids = find(pages, pageslen, "/Kids");
	if (kids == NULL)
		goto out;
	kids = memchr(kids, '[', pageslen - (size_t)(kids - pages));
	if (kids == NULL)
		goto out;
	long page1 = strtol(kids + 1, NULL, 10);
	if (object_dict(p, n, &t, page1, &pg, &pglen) != 0 || find(pg, pglen, "/Annots"))
		goto out;

	/* the update: the signature (S), its field and widget (W), the page
	 * with the widget, the catalog with the form */
	long S = t.size, W = t.size + 1;
	size_t off_S, off_W, off_pg, off_cat, contents_at, br_at;
	struct tm tm;
	gmtime_r(&when, &tm);
	char reason_s[200];
	pdf_ascii(reason, reason_s, sizeof(reason_s));
	int ok = buf_puts(&add, "\n") == 0;
	off_S = orig + add.len;
	ok = ok && buf_printf(&add,
			      "%ld 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached\n"
			      "   /M (D:%04d%02d%02d%02d%02d%02dZ) /Reason (%s)\n   /ByteRange ",
			      S, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
			      reason_s) == 0;
	br_at = orig + add.len;
	ok = ok && buf_puts(&add, "[0 0000000000 0000000000 0000000000]\n   /Contents ") == 0;
	contents_at = orig + add.len;
	ok = ok && buf_puts(&add, "<") == 0 && buf_reserve(&add, 2 * SIG_MAX + 1) == 0;
	if (ok) {
		memset(add.p + add.len, '0', 2 * SIG_MAX);
		add.len += 2 * SIG_MAX;
	}
	ok = ok && buf_puts(&add, ">\n>>\nendobj\n") == 0;
	size_t contents_end = contents_at + 2 * SIG_MAX + 2;
	off_W = orig + add.len;
	ok = ok && buf_printf(&add,
			      "%ld 0 obj\n<< /Type /Annot /Subtype /Widget /FT /Sig /F 132 /Rect [0 0 0 0]\n"
			      "   /T (Signature1) /V %ld 0 R /P %ld 0 R >>\nendobj\n",
			      W, S, page1) == 0;
	off_pg = orig + add.len;
	ok = ok && buf_printf(&add, "%ld 0 obj\n%.*s   /Annots [ %ld 0 R ]\n>>\nendobj\n", page1, (int)pglen, pg,
			      W) == 0;
	off_cat = orig + add.len;
	ok = ok && buf_printf(&add, "%ld 0 obj\n%.*s   /AcroForm << /Fields [ %ld 0 R ] /SigFlags 3 >>\n>>\nendobj\n",
			      root, (int)catlen, cat, W) == 0;
	size_t xref_at = orig + add.len;
	/* one subsection per object (any order of numbers is then valid) */
	struct {
		long num;
		size_t off;
	} ent[] = { { root, off_cat }, { page1, off_pg }, { S, off_S }, { W, off_W } };
	ok = ok && buf_puts(&add, "xref\n") == 0;
	for (size_t i = 0; i < sizeof(ent) / sizeof(ent[0]); i++)
		ok = ok && buf_printf(&add, "%ld 1\n%010zu 00000 n\r\n", ent[i].num, ent[i].off) == 0;
	ok = ok && buf_printf(&add, "trailer\n<< /Size %ld /Root %ld 0 R", W + 1, root) == 0;
	if (info > 0)
		ok = ok && buf_printf(&add, " /Info %ld 0 R", info) == 0;
	ok = ok && buf_printf(&add, " /Prev %zu >>\nstartxref\n%zu\n%%%%EOF\n", xoff, xref_at) == 0;
	if (!ok) {
		*err = "out of memory";
		goto out;
	}
	if (buf_append(pdf, add.p, add.len) != 0) {
		*err = "out of memory";
		goto out;
	}
	/* the byte ranges: everything but the hex string with its brackets */
	size_t total = pdf->len;
	char br[64];
	int bl = snprintf(br, sizeof(br), "[0 %010zu %010zu %010zu]", contents_at, contents_end,
			  total - contents_end);
	if (bl != 36) {
		*err = "document too large to sign";
		goto out;
	}
	memcpy(pdf->p + br_at, br, 36);
	int derlen = 0;
	der = cms_der(pdf->p, contents_at, pdf->p + contents_end, total - contents_end, key, cert, chain, &derlen,
		      err);
	if (der == NULL)
		goto out;
	if (derlen > SIG_MAX) {
		*err = "signature larger than its placeholder";
		goto out;
	}
	hexenc(der, (size_t)derlen, (char *)pdf->p + contents_at + 1);
	*err = NULL;
	rc = 0;
out:
	if (rc != 0)
		pdf->len = orig; /* nothing of a half-made update stays */
	OPENSSL_free(der);
	free(t.off);
	buf_free(&add);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

int sm2_sign(const char *key_path, const unsigned char *p, size_t n, unsigned char **sig, size_t *siglen,
	     char **pub_pem, const char **err)
{
	*sig = NULL;
	*pub_pem = NULL;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *m = NULL;
	EVP_PKEY_CTX *pc = NULL;
	BIO *b = NULL;
	int rc = -1;
	if (key_path == NULL || *key_path == 0) {
		*err = "no SM2 key configured (TB_SM2_KEY)";
		return -1;
	}
	if ((b = BIO_new_file(key_path, "r")) == NULL || (key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL ||
	    !EVP_PKEY_is_a(key, "SM2")) {
		*err = "the SM2 key cannot be read or is not SM2";
		goto out;
	}
	BIO_free(b);
	b = NULL;
	/* EVP_PKEY-SM2(7): the distinguishing id goes on the key context
	 * before the digest starts (Z = SM3(id, curve, public key)) */
	*err = "SM2 signing failed";
	m = EVP_MD_CTX_new();
	pc = EVP_PKEY_CTX_new(key, NULL);
	if (m == NULL || pc == NULL || EVP_PKEY_CTX_set1_id(pc, SM2_DEFAULT_ID, strlen(SM2_DEFAULT_ID)) <= 0)
		goto out;
	EVP_MD_CTX_set_pkey_ctx(m, pc);
	size_t len = 0;
	if (EVP_DigestSignInit(m, NULL, EVP_sm3(), NULL, key) != 1 || EVP_DigestSign(m, NULL, &len, p, n) != 1 ||
	    (*sig = malloc(len)) == NULL || EVP_DigestSign(m, *sig, &len, p, n) != 1)
		goto out;
	*siglen = len;
	BUF_MEM *mem;
	if ((b = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_PUBKEY(b, key) != 1)
		goto out;
	BIO_get_mem_ptr(b, &mem);
	if ((*pub_pem = malloc(mem->length + 1)) == NULL)
		goto out;
	memcpy(*pub_pem, mem->data, mem->length);
	(*pub_pem)[mem->length] = 0;
	*err = NULL;
	rc = 0;
out:
	if (rc != 0) {
		ERR_clear_error();
		free(*sig);
		free(*pub_pem);
		*sig = NULL;
		*pub_pem = NULL;
	}
	BIO_free(b);
	EVP_MD_CTX_free(m);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(key);
	return rc;
}
