/* Signing a finished PDF: an incremental update that adds a signature
 * field (catalog /AcroForm, a widget on page 1, a /Type/Sig dictionary
 * with /ByteRange and /Contents) and fills /Contents with a detached CMS
 * SignedData (SHA-256, the configured RSA or ECDSA key) over the bytes
 * outside it — what PDF viewers and pdfsig check. And an SM2-with-SM3
 * signature over whole bytes (GM/T 0009 user id), published beside the
 * document because OpenSSL 3.0 cannot put SM2 into CMS. Everything fails
 * closed: any error leaves no signature and says why. */
#ifndef TB_PDFSIGN_H
#define TB_PDFSIGN_H
#include <stddef.h>
#include <time.h>

#include "buf.h"

#define SM2_DEFAULT_ID "1234567812345678"

/* Sign pdf (a classic-xref PDF such as cairo writes) in place.
 * key_path: PEM private key; chain_path: PEM certificates, the signer's
 * first, then its issuers. 0, or -1 with *err set (pdf unchanged). */
int pdfsign(struct buf *pdf, const char *key_path, const char *chain_path, time_t when, const char *reason,
	    const char **err);

/* SM2 signature (DER) over p[0..n) with the SM2 key at key_path and the
 * default user id; the public key as PEM. Both malloc()ed: the caller
 * frees them. 0, or -1 with *err set. */
int sm2_sign(const char *key_path, const unsigned char *p, size_t n, unsigned char **sig, size_t *siglen,
	     char **pub_pem, const char **err);

#endif
