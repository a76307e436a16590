/*
 * RTMPS handshakes: whatever a client sends to the TLS port, through the
 * context ingestd builds (tls.c, with a throwaway certificate made at
 * start), in two pieces split where the input says.  What decrypts, if
 * anything, goes to an RTMP engine as in rtmp_conn.c.  A handshake that
 * fails must fail with an error tls_error() can say, and leave nothing
 * behind (LeakSanitizer checks).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ingestd.h"
#include "rtmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct ingestd *ingestd;

static void
fuzz_send(void *arg, const void *buf, size_t len)
{
}

/* A self-signed P-256 certificate and its key, in files tls.c can load. */
static void
fuzz_setup(void)
{
	char cert[] = "/tmp/fuzz-tls-cert.XXXXXX";
	char key[] = "/tmp/fuzz-tls-key.XXXXXX";
	char err[512];
	EVP_PKEY *pk;
	X509 *x;
	FILE *f;
	int fd;

	if ((pk = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL)
		abort();
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, pk);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"fuzz", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	if (X509_sign(x, pk, EVP_sha256()) == 0)
		abort();
	if ((fd = mkstemp(cert)) == -1 || (f = fdopen(fd, "w")) == NULL)
		abort();
	PEM_write_X509(f, x);
	fclose(f);
	if ((fd = mkstemp(key)) == -1 || (f = fdopen(fd, "w")) == NULL)
		abort();
	PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	if (tls_load_files(cert, key, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_tls: %s\n", err);
		abort();
	}
	unlink(cert);
	unlink(key);
	X509_free(x);
	EVP_PKEY_free(pk);
}

/* Runs the handshake (and reads) as far as the bytes in rbio go. */
static int
fuzz_pump(SSL *ssl, struct rtmp *r)
{
	uint8_t buf[4096];
	char why[256];
	int n, e;

	for (;;) {
		n = SSL_read(ssl, buf, sizeof(buf));
		if (n > 0) {
			if (rtmp_feed(r, buf, (size_t)n) == -1)
				return -1;
			continue;
		}
		e = SSL_get_error(ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return 0;
		/* a failed handshake: its reason, as ingestd logs it */
		tls_error(why, sizeof(why));
		if (why[0] == '\0')
			abort();
		return -1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct rtmp_cb cb = {.send = fuzz_send};
	static int ready;
	struct rtmp *r;
	BIO *rbio, *wbio;
	SSL *ssl;
	size_t half;

	if (!ready) {
		log_init("fuzz_tls", 1, 0);
		fuzz_setup();
		ready = 1;
	}
	if ((ssl = tls_ssl_new()) == NULL)
		abort();
	rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(rbio, -1);
	SSL_set_bio(ssl, rbio, wbio);
	SSL_set_accept_state(ssl);
	r = rtmp_new(&cb, NULL, NULL);
	half = size > 0 ? data[0] % (size + 1) : 0;
	BIO_write(rbio, data, (int)half);
	if (fuzz_pump(ssl, r) == 0) {
		BIO_write(rbio, data + half, (int)(size - half));
		fuzz_pump(ssl, r);
	}
	rtmp_free(r);
	SSL_free(ssl);
	ERR_clear_error();
	return 0;
}
