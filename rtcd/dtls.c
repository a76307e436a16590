/*
 * DTLS-SRTP (RFC 5764) over OpenSSL.  One ECDSA P-256 certificate,
 * made once and kept in the state directory, identifies this server in
 * every answer (its SHA-256 fingerprint).  Each session's SSL reads and
 * writes through a BIO of our own that keeps datagram boundaries: a read
 * gives the one datagram being handled, a write goes straight to the
 * session's peer.  So no DTLS record is framed by hand here.  The peer's
 * certificate is self-signed by design; what makes it trusted is that
 * its fingerprint is the one in the offer.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rtcd.h"

#define DTLS_MTU 1200
#define DTLS_CERT_DAYS 3650

struct dtls {
	SSL *ssl;
	dtls_send send;
	void *arg;
	const uint8_t *in; /* the datagram being handled */
	size_t inlen;
	int done;
};

static SSL_CTX *dtls_server_ctx, *dtls_client_ctx;
static BIO_METHOD *dtls_bio_method;
static char dtls_fp[3 * 32 + 1];

static int
dtls_bio_write(BIO *b, const char *buf, int len)
{
	struct dtls *d = BIO_get_data(b);

	if (len > 0)
		d->send((const uint8_t *)buf, (size_t)len, d->arg);
	return len;
}

static int
dtls_bio_read(BIO *b, char *buf, int len)
{
	struct dtls *d = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (d->in == NULL) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = d->inlen < (size_t)len ? d->inlen : (size_t)len;
	memcpy(buf, d->in, n);
	d->in = NULL;
	return (int)n;
}

static long
dtls_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return DTLS_MTU;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 48; /* IPv6 and UDP */
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_PENDING:
		return 0;
	}
	return 0;
}

static int
dtls_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

/* Any certificate: its fingerprint is checked against the offer's. */
static int
dtls_verify(int ok, X509_STORE_CTX *ctx)
{
	return 1;
}

static int
dtls_make_cert(
    const char *certpath, const char *keypath, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name;
	FILE *f = NULL;
	unsigned char serial[8];
	BIGNUM *bn = NULL;
	int fd, rc = -1;

	if ((key = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		goto fail;
	X509_set_version(x, 2);
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	/* a day back, for clocks that are a little wrong */
	X509_gmtime_adj(X509_getm_notBefore(x), -86400);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * DTLS_CERT_DAYS);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(
	    name, "CN", MBSTRING_ASC, (const unsigned char *)"nyon", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_set_pubkey(x, key);
	if (X509_sign(x, key, EVP_sha256()) == 0)
		goto fail;
	if ((fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	         0600)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", keypath, strerror(errno));
		goto out;
	}
	if (PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if ((fd = open(certpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	         0644)) == -1 ||
	    (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", certpath, strerror(errno));
		goto out;
	}
	if (PEM_write_X509(f, x) != 1 || fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	log_info("made a new DTLS certificate: %s", certpath);
	rc = 0;
	goto out;
fail:
	snprintf(err, errlen, "certificate: %s",
	    ERR_reason_error_string(ERR_get_error()));
out:
	if (f != NULL)
		fclose(f);
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(key);
	return rc;
}

static SSL_CTX *
dtls_ctx(int server, const char *certpath, const char *keypath)
{
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(
	         server ? DTLS_server_method() : DTLS_client_method())) == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
	if (SSL_CTX_use_certificate_file(ctx, certpath, SSL_FILETYPE_PEM) !=
	        1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, keypath, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1 ||
	    /* 0 is success here */
	    SSL_CTX_set_tlsext_use_srtp(ctx, "SRTP_AES128_CM_SHA1_80") != 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx,
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, dtls_verify);
	SSL_CTX_set_read_ahead(ctx, 1);
	return ctx;
}

int
dtls_init(const char *dir, int client_too, char *err, size_t errlen)
{
	char certpath[600], keypath[600];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	struct stat st;
	X509 *x;
	FILE *f;

	if (mkdir_p(dir, 0700) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(certpath, sizeof(certpath), "%s/cert.pem", dir);
	snprintf(keypath, sizeof(keypath), "%s/key.pem", dir);
	if (stat(keypath, &st) == -1 || stat(certpath, &st) == -1) {
		unlink(keypath);
		if (dtls_make_cert(certpath, keypath, err, errlen) == -1)
			return -1;
	}
	if ((dtls_server_ctx = dtls_ctx(1, certpath, keypath)) == NULL ||
	    (client_too &&
	        (dtls_client_ctx = dtls_ctx(0, certpath, keypath)) == NULL)) {
		snprintf(err, errlen, "%s: %s", certpath,
		    ERR_reason_error_string(ERR_get_error()));
		return -1;
	}
	if ((f = fopen(certpath, "r")) == NULL ||
	    (x = PEM_read_X509(f, NULL, NULL, NULL)) == NULL) {
		snprintf(err, errlen, "%s: unreadable", certpath);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	X509_digest(x, EVP_sha256(), md, &mdlen);
	X509_free(x);
	{
		size_t n = 0;

		/* "AB:CD:...": the form a=fingerprint takes */
		for (i = 0; i < mdlen && i < 32; i++)
			n += (size_t)snprintf(dtls_fp + n, sizeof(dtls_fp) - n,
			    "%s%02X", i ? ":" : "", md[i]);
	}
	if ((dtls_bio_method = BIO_meth_new(
	         BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "nyon dgram")) ==
	    NULL)
		return -1;
	BIO_meth_set_write(dtls_bio_method, dtls_bio_write);
	BIO_meth_set_read(dtls_bio_method, dtls_bio_read);
	BIO_meth_set_ctrl(dtls_bio_method, dtls_bio_ctrl);
	BIO_meth_set_create(dtls_bio_method, dtls_bio_create);
	return 0;
}

void
dtls_cleanup(void)
{
	SSL_CTX_free(dtls_server_ctx);
	SSL_CTX_free(dtls_client_ctx);
	BIO_meth_free(dtls_bio_method);
	dtls_server_ctx = dtls_client_ctx = NULL;
	dtls_bio_method = NULL;
}

const char *
dtls_fingerprint(void)
{
	return dtls_fp;
}

struct dtls *
dtls_new(int server, dtls_send send, void *arg)
{
	struct dtls *d;
	BIO *b;

	d = xcalloc(1, sizeof(*d));
	d->send = send;
	d->arg = arg;
	if ((d->ssl = SSL_new(server ? dtls_server_ctx : dtls_client_ctx)) ==
	        NULL ||
	    (b = BIO_new(dtls_bio_method)) == NULL) {
		SSL_free(d->ssl);
		free(d);
		return NULL;
	}
	BIO_set_data(b, d);
	SSL_set_bio(d->ssl, b, b);
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(d->ssl, DTLS_MTU);
	DTLS_set_link_mtu(d->ssl, DTLS_MTU);
	if (server)
		SSL_set_accept_state(d->ssl);
	else
		SSL_set_connect_state(d->ssl);
	return d;
}

void
dtls_free(struct dtls *d)
{
	if (d == NULL)
		return;
	SSL_free(d->ssl);
	free(d);
}

void
dtls_connect(struct dtls *d)
{
	SSL_do_handshake(d->ssl);
}

int
dtls_input(struct dtls *d, const uint8_t *p, size_t len, const char **why)
{
	uint8_t buf[RTC_DGRAM_MAX];
	int r, e;

	d->in = p;
	d->inlen = len;
	if (!d->done) {
		r = SSL_do_handshake(d->ssl);
		d->in = NULL;
		if (r == 1) {
			d->done = 1;
			return 1;
		}
		e = SSL_get_error(d->ssl, r);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return 0;
		*why = ERR_reason_error_string(ERR_get_error());
		if (*why == NULL)
			*why = "handshake failed";
		ERR_clear_error();
		return -1;
	}
	/* after the handshake only alerts matter: no data channel here */
	r = SSL_read(d->ssl, buf, sizeof(buf));
	d->in = NULL;
	if (r > 0)
		return 0;
	e = SSL_get_error(d->ssl, r);
	if (e == SSL_ERROR_ZERO_RETURN) {
		*why = "peer closed DTLS";
		return -1;
	}
	if (e == SSL_ERROR_WANT_READ)
		return 0;
	*why = "DTLS error";
	ERR_clear_error();
	return -1;
}

int
dtls_timer(struct dtls *d)
{
	struct timeval tv;

	if (d->done)
		return -1;
	if (DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return -1;
	if (tv.tv_sec == 0 && tv.tv_usec == 0) {
		DTLSv1_handle_timeout(d->ssl);
		if (DTLSv1_get_timeout(d->ssl, &tv) != 1)
			return -1;
	}
	return (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

int
dtls_peer_matches(
    struct dtls *d, const char *alg, const uint8_t *fp, size_t fplen)
{
	const EVP_MD *md;
	unsigned char got[EVP_MAX_MD_SIZE];
	unsigned int n;
	X509 *x;
	int ok;

	if (strcasecmp(alg, "sha-256") == 0)
		md = EVP_sha256();
	else if (strcasecmp(alg, "sha-384") == 0)
		md = EVP_sha384();
	else if (strcasecmp(alg, "sha-512") == 0)
		md = EVP_sha512();
	else if (strcasecmp(alg, "sha-1") == 0)
		md = EVP_sha1();
	else
		return 0;
	if ((x = SSL_get1_peer_certificate(d->ssl)) == NULL)
		return 0;
	ok = X509_digest(x, md, got, &n) == 1 && n == fplen &&
	    CRYPTO_memcmp(got, fp, n) == 0;
	X509_free(x);
	return ok;
}

int
dtls_srtp_keys(
    struct dtls *d, uint8_t tx[DTLS_SRTP_KEY], uint8_t rx[DTLS_SRTP_KEY])
{
	SRTP_PROTECTION_PROFILE *p;
	uint8_t km[60];
	const uint8_t *ck = km, *sk = km + 16, *cs = km + 32, *ss = km + 46;
	int server = SSL_is_server(d->ssl);

	if ((p = SSL_get_selected_srtp_profile(d->ssl)) == NULL ||
	    p->id != SRTP_AES128_CM_SHA1_80)
		return -1;
	if (SSL_export_keying_material(d->ssl, km, sizeof(km),
	        "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1)
		return -1;
	/* client key, server key, client salt, server salt */
	memcpy(tx, server ? sk : ck, 16);
	memcpy(tx + 16, server ? ss : cs, 14);
	memcpy(rx, server ? ck : sk, 16);
	memcpy(rx + 16, server ? cs : ss, 14);
	explicit_bzero(km, sizeof(km));
	return 0;
}

void
dtls_close(struct dtls *d)
{
	if (d != NULL && d->done)
		SSL_shutdown(d->ssl);
}
