/*
 * RTMP and RTMPS destinations: the client engine (rtmpc.c) over a libevent
 * bufferevent, plain or OpenSSL.  The bufferevent's output buffer is the
 * destination's queue, bounded by dest_tag().  RTMPS checks the server's
 * certificate against the system's store (or forward_tls_ca) and its
 * name; a destination added with tls_verify off skips that, for a test
 * server with a self-signed certificate.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "fwdd.h"
#include "rtmpc.h"

#define RTMP_LINGER_S 2 /* to send the goodbye before closing */
#define RTMP_READ_MAX (64 * 1024) /* read per callback, then others run */

struct dest_rtmp_conn {
	LIST_ENTRY(dest_rtmp_conn) lingering; /* once d let go */
	struct dest *d; /* NULL once the destination let go */
	struct bufferevent *bev;
	SSL *ssl;
	struct rtmpc *c;
	struct event *linger;
};

/* Connections saying goodbye after their destination went. */
static LIST_HEAD(, dest_rtmp_conn) dest_rtmp_lingering = LIST_HEAD_INITIALIZER(
    dest_rtmp_lingering);

int
dest_rtmp_tls_init(char *err, size_t errlen)
{
	const char *ca = conf_str(fwdd->d.conf, "forward_tls_ca");
	SSL_CTX *ctx;

	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if ((*ca != '\0' ? SSL_CTX_load_verify_locations(ctx, ca, NULL)
	                 : SSL_CTX_set_default_verify_paths(ctx)) != 1) {
		snprintf(err, errlen, "%s: %s",
		    *ca != '\0' ? ca : "the system's certificates",
		    ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return -1;
	}
	fwdd->tls = ctx;
	return 0;
}

void
dest_rtmp_tls_free(void)
{
	SSL_CTX_free(fwdd->tls);
	fwdd->tls = NULL;
}

static void
dest_rtmp_conn_free(struct dest_rtmp_conn *rc)
{
	if (rc->linger != NULL) {
		LIST_REMOVE(rc, lingering);
		event_free(rc->linger);
	}
	if (rc->bev != NULL)
		bufferevent_free(rc->bev); /* frees the SSL too */
	rtmpc_free(rc->c);
	free(rc);
}

static void
dest_rtmp_send(void *arg, const void *buf, size_t len)
{
	struct dest_rtmp_conn *rc = arg;

	bufferevent_write(rc->bev, buf, len);
	if (rc->d != NULL)
		rc->d->bytes_enq += len;
}

static void
dest_rtmp_live(void *arg)
{
	struct dest_rtmp_conn *rc = arg;

	if (rc->d != NULL)
		dest_live(rc->d);
}

/* Why the connection failed, in words, secrets left out. */
static void
dest_rtmp_conn_why(struct dest_rtmp_conn *rc, short what, char *buf, size_t len)
{
	unsigned long e, first = 0;
	int dnserr, sockerr = EVUTIL_SOCKET_ERROR();
	long v;

	if (rc->c != NULL && rtmpc_error(rc->c) != NULL) {
		snprintf(buf, len, "%s", rtmpc_error(rc->c));
		return;
	}
	if ((dnserr = bufferevent_socket_get_dns_error(rc->bev)) != 0) {
		snprintf(buf, len, "%.128s: %s", rc->d->u.host,
		    evutil_gai_strerror(dnserr));
		return;
	}
	if (rc->ssl != NULL) {
		while ((e = bufferevent_get_openssl_error(rc->bev)) != 0)
			if (first == 0)
				first = e;
		v = SSL_get_verify_result(rc->ssl);
		if (v != X509_V_OK && rc->d->tls_verify) {
			snprintf(buf, len, "TLS: certificate: %s",
			    X509_verify_cert_error_string(v));
			return;
		}
		if (first != 0) {
			/* OpenSSL 3 reports a socket's errno as a system error */
			if (ERR_SYSTEM_ERROR(first))
				snprintf(buf, len, "TLS: %s",
				    strerror(ERR_GET_REASON(first)));
			else if (ERR_reason_error_string(first) != NULL)
				snprintf(buf, len, "TLS: %s",
				    ERR_reason_error_string(first));
			else
				snprintf(buf, len,
				    "TLS: handshake failed (%lx)", first);
			return;
		}
	}
	if (what & BEV_EVENT_EOF)
		snprintf(buf, len, "the server closed the connection%s",
		    rc->c != NULL && rtmpc_state(rc->c) != RTMPC_LIVE
		        ? " before accepting the publish"
		        : "");
	else if (sockerr != 0)
		snprintf(
		    buf, len, "%s", evutil_socket_error_to_string(sockerr));
	else
		snprintf(buf, len, "connection failed");
}

static void
dest_rtmp_read(struct bufferevent *bev, void *arg)
{
	struct dest_rtmp_conn *rc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v[8];
	size_t total = 0;
	int i, n;

	if (rc->c == NULL) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	while (evbuffer_get_length(in) > 0 && total < RTMP_READ_MAX) {
		n = evbuffer_peek(in, -1, NULL, v, nitems(v));
		if (n > (int)nitems(v))
			n = nitems(v);
		for (i = 0; i < n; i++) {
			if (rtmpc_feed(rc->c, v[i].iov_base, v[i].iov_len) ==
			    -1) {
				if (rc->d != NULL)
					dest_fail(
					    rc->d, "%s", rtmpc_error(rc->c));
				return;
			}
			total += v[i].iov_len;
			evbuffer_drain(in, v[i].iov_len);
			if (rc->d == NULL)
				return; /* let go of inside a callback */
		}
	}
}

static void
dest_rtmp_event(struct bufferevent *bev, short what, void *arg)
{
	struct dest_rtmp_conn *rc = arg;
	const struct desturl *u;
	struct rtmpc_params p;
	char why[FWDD_ERROR_SZ];
	static const struct rtmpc_cb cb = {dest_rtmp_send, dest_rtmp_live};
	uint8_t v[RING_SEQHDR_MAX];
	size_t len;

	if (rc->d == NULL) {
		/* lingering after goodbye: whatever happens, it is over */
		dest_rtmp_conn_free(rc);
		return;
	}
	if (what & BEV_EVENT_CONNECTED) {
		u = &rc->d->u;
		p.app = u->app;
		p.tcurl = u->tcurl;
		p.name = u->stream;
		/* enhanced RTMP if the stream's video needs it */
		p.enhanced = rc->d->stream->ring != NULL &&
		    ring_seqhdr(rc->d->stream->ring, RING_SLOT_VIDEO, v,
		        sizeof(v), &len) == 0 &&
		    len > 11 && (v[11] & 0x80);
		rc->c = rtmpc_new(&cb, rc, &p);
		dest_connected(rc->d);
		rtmpc_start(rc->c);
		return;
	}
	dest_rtmp_conn_why(rc, what, why, sizeof(why));
	dest_fail(rc->d, "%s", why);
}

/* The goodbye was sent, or the linger is over. */
static void
dest_rtmp_linger_done(evutil_socket_t fd, short what, void *arg)
{
	dest_rtmp_conn_free(arg);
}

static void
dest_rtmp_drained(struct bufferevent *bev, void *arg)
{
	dest_rtmp_conn_free(arg);
}

static void
dest_rtmp_open(struct dest *d)
{
	struct dest_rtmp_conn *rc;
	struct in6_addr a6;
	struct in_addr a4;
	const char *host = d->u.host;
	int ip;

	rc = xcalloc(1, sizeof(*rc));
	rc->d = d;
	d->conn = rc;
	if (d->u.proto == DESTURL_RTMPS) {
		if ((rc->ssl = SSL_new(fwdd->tls)) == NULL) {
			dest_fail(d, "TLS: cannot make a session");
			return;
		}
		ip = inet_pton(AF_INET, host, &a4) == 1 ||
		    inet_pton(AF_INET6, host, &a6) == 1;
		if (!ip)
			SSL_set_tlsext_host_name(rc->ssl, host);
		if (d->tls_verify) {
			SSL_set_verify(rc->ssl, SSL_VERIFY_PEER, NULL);
			if (ip)
				X509_VERIFY_PARAM_set1_ip_asc(
				    SSL_get0_param(rc->ssl), host);
			else
				SSL_set1_host(rc->ssl, host);
		} else
			SSL_set_verify(rc->ssl, SSL_VERIFY_NONE, NULL);
		rc->bev = bufferevent_openssl_socket_new(fwdd->d.base, -1,
		    rc->ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	} else
		rc->bev = bufferevent_socket_new(
		    fwdd->d.base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (rc->bev == NULL) {
		if (rc->ssl != NULL)
			SSL_free(rc->ssl);
		rc->ssl = NULL;
		dest_fail(d, "cannot make a connection");
		return;
	}
	bufferevent_setcb(rc->bev, dest_rtmp_read, NULL, dest_rtmp_event, rc);
	bufferevent_enable(rc->bev, EV_READ | EV_WRITE);
	/* a failure at once may have been told to dest_rtmp_event already */
	if (bufferevent_socket_connect_hostname(rc->bev, fwdd->dns, AF_UNSPEC,
	        host, (int)strtol(d->u.port, NULL, 10)) == -1 &&
	    d->conn == rc)
		dest_fail(d, "%s: cannot connect", host);
}

static void
dest_rtmp_close(struct dest *d, int graceful)
{
	struct dest_rtmp_conn *rc = d->conn;
	struct timeval tv = {RTMP_LINGER_S, 0};

	rc->d = NULL;
	if (!graceful || rc->c == NULL || rtmpc_state(rc->c) != RTMPC_LIVE ||
	    rc->bev == NULL) {
		dest_rtmp_conn_free(rc);
		return;
	}
	/* say goodbye, flush, close: within the linger at most */
	rtmpc_stop(rc->c);
	bufferevent_disable(rc->bev, EV_READ);
	bufferevent_setcb(
	    rc->bev, NULL, dest_rtmp_drained, dest_rtmp_event, rc);
	rc->linger = evtimer_new(fwdd->d.base, dest_rtmp_linger_done, rc);
	evtimer_add(rc->linger, &tv);
	LIST_INSERT_HEAD(&dest_rtmp_lingering, rc, lingering);
}

int
dest_rtmp_lingering_count(void)
{
	struct dest_rtmp_conn *rc;
	int n = 0;

	LIST_FOREACH(rc, &dest_rtmp_lingering, lingering)
		n++;
	return n;
}

void
dest_rtmp_lingering_free(void)
{
	struct dest_rtmp_conn *rc;

	while ((rc = LIST_FIRST(&dest_rtmp_lingering)) != NULL)
		dest_rtmp_conn_free(rc);
}

static int
dest_rtmp_send_tag(
    struct dest *d, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
	struct dest_rtmp_conn *rc = d->conn;

	return rtmpc_media(rc->c, type, ts, body, len);
}

static size_t
dest_rtmp_queued(const struct dest *d)
{
	const struct dest_rtmp_conn *rc = d->conn;

	return rc->bev != NULL
	    ? evbuffer_get_length(bufferevent_get_output(rc->bev))
	    : 0;
}

static void
dest_rtmp_tick(struct dest *d)
{
}

const struct dest_ops dest_rtmp_ops = {
    dest_rtmp_open,
    dest_rtmp_close,
    dest_rtmp_send_tag,
    dest_rtmp_queued,
    dest_rtmp_tick,
};
