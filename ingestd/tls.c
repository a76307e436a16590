/*
 * RTMPS: the TLS server context of the rtmps_listen sockets.  Loaded from
 * rtmps_cert and rtmps_key once ingestd runs as its own user, so that a key
 * it could read only as root fails at start, not at the first renewal; and
 * loaded again on SIGHUP, when a renewed certificate is put in place.  A
 * reload that fails keeps the context in use.  Connections keep the context
 * they were accepted with (OpenSSL counts its references).
 *
 * What a connection may cost: TLS 1.2 or later, no renegotiation (a
 * handshake per connection, never a second one a client can ask for over
 * and over), no server-side session cache, and buffers given back while a
 * connection is idle (SSL_MODE_RELEASE_BUFFERS).
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "ingestd.h"

static SSL_CTX *tls_ctx;

/* OpenSSL's last error, as text; clears the queue. */
const char *
tls_error(char *buf, size_t len)
{
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last == 0)
		strlcpy(buf, "unknown TLS error", len);
	else
		ERR_error_string_n(last, buf, len);
	return buf;
}

/* "CN=..., expires ..." of the certificate in use, for the log. */
static void
tls_describe(SSL_CTX *ctx, char *buf, size_t len)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	char name[256] = "?", when[64] = "?";
	BIO *b;
	long n;

	if (x == NULL) {
		strlcpy(buf, "no certificate", len);
		return;
	}
	X509_NAME_oneline(X509_get_subject_name(x), name, sizeof(name));
	if ((b = BIO_new(BIO_s_mem())) != NULL) {
		if (ASN1_TIME_print(b, X509_get0_notAfter(x)) == 1 &&
		    (n = BIO_read(b, when, sizeof(when) - 1)) > 0)
			when[n] = '\0';
		BIO_free(b);
	}
	snprintf(buf, len, "%s, valid until %s", name, when);
}

static SSL_CTX *
tls_ctx_new(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	struct stat sb;
	char e[256];

	if (*cert == '\0' || *key == '\0') {
		snprintf(
		    err, errlen, "rtmps_listen needs rtmps_cert and rtmps_key");
		return NULL;
	}
	if (stat(key, &sb) == -1) {
		snprintf(err, errlen, "rtmps_key %s: %s", key, strerror(errno));
		return NULL;
	}
	if (sb.st_mode & S_IROTH) {
		snprintf(err, errlen,
		    "rtmps_key %s is readable by anyone (mode %04o): a private "
		    "key must not be (chmod o-r %s)",
		    key, (unsigned)(sb.st_mode & 07777), key);
		return NULL;
	}
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		snprintf(err, errlen, "TLS: %s", tls_error(e, sizeof(e)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx,
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	        SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		snprintf(err, errlen, "rtmps_cert %s: %s", cert,
		    tls_error(e, sizeof(e)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "rtmps_key %s: %s", key,
		    tls_error(e, sizeof(e)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen,
		    "rtmps_key %s does not match rtmps_cert %s: %s", key, cert,
		    tls_error(e, sizeof(e)));
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int
tls_load_files(const char *cert, const char *key, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	char what[384];

	if ((ctx = tls_ctx_new(cert, key, err, errlen)) == NULL)
		return -1;
	SSL_CTX_free(tls_ctx);
	tls_ctx = ctx;
	tls_describe(ctx, what, sizeof(what));
	log_info("rtmps: certificate %s (%s)", cert, what);
	return 0;
}

int
tls_load(const struct conf *conf, char *err, size_t errlen)
{
	return tls_load_files(conf_str(conf, "rtmps_cert"),
	    conf_str(conf, "rtmps_key"), err, errlen);
}

SSL *
tls_ssl_new(void)
{
	return tls_ctx != NULL ? SSL_new(tls_ctx) : NULL;
}

void
tls_free(void)
{
	SSL_CTX_free(tls_ctx);
	tls_ctx = NULL;
}
