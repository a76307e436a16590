/*
 * RTMP publisher connections: sockets and buffers around the I/O-free
 * engine in rtmp.c.
 *
 * What a connection may cost (ingestd(8), MEMORY): the engine's own limits
 * (commands only until authorised, then what the stream's bitrate needs),
 * one budget over all connections' message buffers (rtmp_memory), replies
 * held for a peer that does not read them (RTMP_CONN_OUT_MAX, then we stop
 * reading it), and time: auth_timeout to be authorised, publish_timeout
 * without data either way.
 *
 * RTMPS (rtmps_listen) is the same connection inside TLS, through
 * libevent's OpenSSL bufferevent: the same engine, limits and
 * authorisation.  The TLS handshake is part of the auth_timeout, and a
 * connection in its handshake takes a pending slot like any other; a
 * client that is not speaking TLS (rtmp:// to the RTMPS port) fails the
 * handshake on its first bytes and is closed at once, with a log line
 * that says so.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ingestd.h"
#include "rtmp.h"

/* Replies a peer may leave unread before we stop reading it. */
#define RTMP_CONN_OUT_MAX (64 * 1024)
/*
 * A stream's largest message: two seconds of its max bitrate (an encoder's
 * VBV buffer, which bounds a keyframe, holds one or two), at least 1 MiB
 * for low bitrates, at most rtmp_max_message.
 */
#define RTMP_CONN_MEDIA_SECONDS 2
#define RTMP_CONN_MEDIA_MIN (1024 * 1024)

struct rtmp_conn {
	struct publisher *pub;
	struct rtmp *rtmp;
	struct bufferevent *bev;
	const char *name; /* "rtmp" or "rtmps", for the log and status */
	int tls; /* RTMPS */
	int tls_up; /* its handshake is done */
	struct event *deadline; /* auth_timeout, until authorised */
	int closing; /* close once the output is flushed */
	int in_feed;
	int dead;
	int paused; /* not reading: the peer leaves our replies unread */
};

/* Every connection's message buffers together: rtmp_memory. */
static struct rtmp_budget rtmp_conn_budget;
/* RTMPS handshakes that failed: plain RTMP, scanners, garbage. */
static uint64_t rtmp_conn_tls_failures;
/* listen_evconn's argument for the RTMPS sockets */
static int rtmp_conn_tls_listener;

static void rtmp_conn_free(struct rtmp_conn *);

static void
rtmp_conn_send(void *arg, const void *buf, size_t len)
{
	struct rtmp_conn *c = arg;

	if (bufferevent_write(c->bev, buf, len) == -1)
		c->dead = 1;
}

static int
rtmp_conn_connect(void *arg, const char *app, const char *tcurl)
{
	struct rtmp_conn *c = arg;
	const char *want = conf_str(ingestd->d.conf, "rtmp_app");
	size_t n = strlen(want);

	/* "live" and "live/" and "live?x=y" all name the app "live" */
	if (strncmp(app, want, n) == 0 &&
	    (app[n] == '\0' || app[n] == '/' || app[n] == '?'))
		return 0;
	log_warnx("%s %s: unknown app '%s' (want '%s')", c->name, c->pub->addr,
	    app, want);
	return -1;
}

/* The largest media message of a stream of this max bitrate (0: unknown). */
static size_t
rtmp_conn_max_media(uint64_t kbps)
{
	size_t max = conf_int(ingestd->d.conf, "rtmp_max_message");
	uint64_t want;

	if (kbps == 0 || kbps > UINT32_MAX)
		return max;
	want = kbps * 1000 / 8 * RTMP_CONN_MEDIA_SECONDS;
	if (want < RTMP_CONN_MEDIA_MIN)
		want = RTMP_CONN_MEDIA_MIN;
	return want < max ? (size_t)want : max;
}

static void
rtmp_conn_authorised(struct publisher *p, const char *name,
    uint64_t bitrate_kbps, const char *why)
{
	struct rtmp_conn *c = p->conn;
	char err[256];

	if (name == NULL) {
		log_warnx("%s %s: publish refused: %s", c->name, p->addr, why);
		rtmp_publish_result(c->rtmp, 0, why);
		c->closing = 1;
		return;
	}
	if ((p->stream = stream_open(
	         name, c->name, p, bitrate_kbps, err, sizeof(err))) == NULL) {
		ingestd->publishes_refused++;
		log_warnx("%s %s: publish refused: %s", c->name, p->addr, err);
		publisher_end_stream(p, err); /* authd's session, if any */
		rtmp_publish_result(c->rtmp, 0, err);
		c->closing = 1;
		return;
	}
	ingestd->publishes_ok++;
	evtimer_del(c->deadline);
	rtmp_set_max_media(c->rtmp, rtmp_conn_max_media(bitrate_kbps));
	rtmp_publish_result(c->rtmp, 1, NULL);
}

static void
rtmp_conn_publish(void *arg, const char *key)
{
	struct rtmp_conn *c = arg;

	publisher_authorise(c->pub, key, rtmp_conn_authorised);
}

static void
rtmp_conn_media(void *arg, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len)
{
	struct rtmp_conn *c = arg;

	if (c->pub->stream != NULL)
		stream_tag(c->pub->stream, type, timestamp, body, len);
}

static void
rtmp_conn_unpublish(void *arg, const char *why)
{
	struct rtmp_conn *c = arg;

	if (why != NULL) {
		log_warnx(
		    "%s %s: publish rejected: %s", c->name, c->pub->addr, why);
		c->closing = 1;
	}
	publisher_end_stream(c->pub, why);
}

static const struct rtmp_cb rtmp_conn_cb = {
    .send = rtmp_conn_send,
    .connect = rtmp_conn_connect,
    .publish = rtmp_conn_publish,
    .media = rtmp_conn_media,
    .unpublish = rtmp_conn_unpublish,
};

/* Called by authd's revocation (or an operator's kick). */
static void
rtmp_conn_kick(struct publisher *p, const char *why)
{
	struct rtmp_conn *c = p->conn;

	log_info("%s %s: stopped: %s", c->name, p->addr, why);
	rtmp_stop(c->rtmp, why);
	publisher_end_stream(p, why);
	c->closing = 1;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
	    !c->in_feed)
		rtmp_conn_free(c);
}

static void
rtmp_conn_destroy(struct publisher *p)
{
	rtmp_conn_free(p->conn);
}

static void
rtmp_conn_free(struct rtmp_conn *c)
{
	event_free(c->deadline);
	bufferevent_free(c->bev);
	rtmp_free(c->rtmp);
	publisher_free(c->pub);
	free(c);
}

static void
rtmp_conn_read(struct bufferevent *bev, void *arg)
{
	struct rtmp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v[8];
	int n, i, r = 0;

	c->in_feed = 1;
	while (r == 0 && !c->closing && evbuffer_get_length(in) > 0) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) >
		    RTMP_CONN_OUT_MAX) {
			/* no more questions until it reads our answers */
			c->paused = 1;
			bufferevent_disable(bev, EV_READ);
			break;
		}
		n = evbuffer_peek(in, -1, NULL, v, nitems(v));
		if (n > (int)nitems(v))
			n = nitems(v);
		for (i = 0; i < n && r == 0; i++) {
			r = rtmp_feed(c->rtmp, v[i].iov_base, v[i].iov_len);
			evbuffer_drain(in, v[i].iov_len);
			if (c->closing)
				break;
		}
	}
	c->in_feed = 0;
	stream_wake();
	if (r == -1) {
		log_warnx("%s %s: %s; closing", c->name, c->pub->addr,
		    rtmp_error(c->rtmp));
		rtmp_conn_free(c);
		return;
	}
	if (c->dead) {
		rtmp_conn_free(c);
		return;
	}
	if (c->closing) {
		bufferevent_disable(bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			rtmp_conn_free(c);
	}
}

/* The output is flushed. */
static void
rtmp_conn_write(struct bufferevent *bev, void *arg)
{
	struct rtmp_conn *c = arg;

	if (c->closing) {
		rtmp_conn_free(c);
		return;
	}
	if (c->paused) {
		c->paused = 0;
		bufferevent_enable(bev, EV_READ);
		/* what was read before the pause; may free c */
		rtmp_conn_read(bev, c);
	}
}

static void
rtmp_conn_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct rtmp_conn *c = arg;

	log_warnx("%s %s: not publishing within %llds (auth_timeout%s); "
	          "closing",
	    c->name, c->pub->addr, conf_int(ingestd->d.conf, "auth_timeout"),
	    c->tls && !c->tls_up ? ", still in the TLS handshake" : "");
	rtmp_conn_free(c);
}

/*
 * Why an RTMPS connection failed: OpenSSL's first reason (libevent queues
 * SSL_get_error's bare code after them), else the socket's error.
 */
static void
rtmp_conn_tls_error(struct rtmp_conn *c, char *buf, size_t len)
{
	unsigned long e, first = 0;
	int reason;

	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		if (first == 0 && ERR_GET_LIB(e) != 0)
			first = e;
	if (first == 0) {
		snprintf(buf, len, "%s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		return;
	}
	ERR_error_string_n(first, buf, len);
	reason = ERR_GET_REASON(first);
	if (c->tls_up)
		return;
	if (reason == SSL_R_HTTP_REQUEST)
		strlcat(buf, " (not TLS: plain HTTP)", len);
	else if (reason == SSL_R_WRONG_VERSION_NUMBER ||
	    reason == SSL_R_UNKNOWN_PROTOCOL)
		strlcat(buf, " (not TLS: a plain rtmp:// client?)", len);
}

static void
rtmp_conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct rtmp_conn *c = arg;
	char why[320];
	SSL *ssl;

	if (what & BEV_EVENT_CONNECTED) {
		/* the TLS handshake is done */
		c->tls_up = 1;
		if ((ssl = bufferevent_openssl_get_ssl(bev)) != NULL)
			log_debug("%s %s: %s, %s", c->name, c->pub->addr,
			    SSL_get_version(ssl), SSL_get_cipher_name(ssl));
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && (what & BEV_EVENT_WRITING))
		log_warnx("%s %s: reads nothing we send for %llds; closing",
		    c->name, c->pub->addr,
		    conf_int(ingestd->d.conf, "publish_timeout"));
	else if (what & BEV_EVENT_TIMEOUT)
		log_warnx("%s %s: no data for %llds; closing", c->name,
		    c->pub->addr, conf_int(ingestd->d.conf, "publish_timeout"));
	else if ((what & BEV_EVENT_ERROR) && c->tls) {
		rtmp_conn_tls_error(c, why, sizeof(why));
		if (!c->tls_up)
			rtmp_conn_tls_failures++;
		log_warnx("%s %s: %s%s; closing", c->name, c->pub->addr,
		    c->tls_up ? "" : "TLS handshake failed: ", why);
	} else if (what & BEV_EVENT_ERROR)
		log_warnx("%s %s: %s; closing", c->name, c->pub->addr,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	else if ((what & BEV_EVENT_EOF) && c->tls && !c->tls_up) {
		/* port probes do this: worth a line, not a warning */
		rtmp_conn_tls_failures++;
		log_info("%s %s: closed during the TLS handshake", c->name,
		    c->pub->addr);
	} else if (what & BEV_EVENT_EOF)
		log_info("%s %s: disconnected", c->name, c->pub->addr);
	rtmp_conn_free(c);
}

static void
rtmp_conn_accept(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct conf *conf = ingestd->d.conf;
	struct rtmp_limits limits = {0};
	struct timeval tv = {0, 0}, auth = {0, 0};
	struct rtmp_conn *c;
	struct publisher *p;
	char why[160], addr[64];
	int one = 1, tls = arg == &rtmp_conn_tls_listener;
	SSL *ssl = NULL;

	/* the session's protocol is RTMP either way: same keys, same rules */
	if ((p = publisher_new("rtmp", sa, why, sizeof(why))) == NULL) {
		log_warnx("%s %s: refused: %s", tls ? "rtmps" : "rtmp",
		    addr_string(sa, addr, sizeof(addr)), why);
		close(fd);
		return;
	}
	if (tls && (ssl = tls_ssl_new()) == NULL) {
		log_warnx("rtmps %s: refused: %s", p->addr,
		    tls_error(why, sizeof(why)));
		publisher_free(p);
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = xcalloc(1, sizeof(*c));
	c->pub = p;
	c->tls = tls;
	c->name = tls ? "rtmps" : "rtmp";
	p->conn = c;
	p->kick = rtmp_conn_kick;
	p->destroy = rtmp_conn_destroy;
	rtmp_conn_budget.limit = conf_int(conf, "rtmp_memory");
	limits.max_message = conf_int(conf, "rtmp_max_message");
	limits.budget = &rtmp_conn_budget;
	c->rtmp = rtmp_new(&rtmp_conn_cb, c, &limits);
	if (tls) {
		/* frees the SSL with it */
		c->bev = bufferevent_openssl_socket_new(ingestd->d.base, fd,
		    ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (c->bev == NULL) {
			log_warnx(
			    "rtmps %s: refused: no TLS connection", p->addr);
			SSL_free(ssl);
			close(fd);
			rtmp_free(c->rtmp);
			publisher_free(p);
			free(c);
			return;
		}
		/* encoders often close without a TLS close_notify */
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else
		c->bev = bufferevent_socket_new(
		    ingestd->d.base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(
	    c->bev, rtmp_conn_read, rtmp_conn_write, rtmp_conn_event, c);
	tv.tv_sec = conf_int(conf, "publish_timeout");
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->deadline = evtimer_new(ingestd->d.base, rtmp_conn_deadline, c);
	auth.tv_sec = conf_int(conf, "auth_timeout");
	evtimer_add(c->deadline, &auth);
	log_debug("%s %s: connected", c->name, p->addr);
}

int
rtmp_conn_listen(void)
{
	int fds[INGEST_LISTEN_MAX], n, m, i;

	n = listen_conf(ingestd->d.conf, "rtmp_listen", fds, nitems(fds));
	m = listen_conf(
	    ingestd->d.conf, "rtmps_listen", fds + n, nitems(fds) - n);
	for (i = 0; i < n + m; i++)
		ingestd->rtmp_listeners[ingestd->nrtmp_listeners++] =
		    listen_evconn(ingestd->d.base, fds[i], rtmp_conn_accept,
		        i < n ? NULL : &rtmp_conn_tls_listener);
	return 0;
}

void
rtmp_conn_status(yajl_gen g)
{
	json_int(g, "rtmp_buffered", (long long)rtmp_conn_budget.used);
	json_int(
	    g, "rtmps_handshake_failures", (long long)rtmp_conn_tls_failures);
}

void
rtmp_conn_close_listeners(void)
{
	int i;

	for (i = 0; i < ingestd->nrtmp_listeners; i++)
		evconnlistener_free(ingestd->rtmp_listeners[i]);
	ingestd->nrtmp_listeners = 0;
}
