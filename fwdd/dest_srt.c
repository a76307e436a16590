/*
 * SRT destinations: a libsrt caller in live mode carrying MPEG-TS from
 * tsmux.c, seven TS packets (1316 bytes) to a datagram, a shorter one for
 * what a tag leaves over, so nothing waits for the next tag.
 *
 * fwdd links libsrt (ingestd opens it with dlopen, to spare an RTMP-only
 * box): fwdd links OpenSSL for RTMPS anyway, which is most of what libsrt
 * would add, and only runs where forwarding is wanted; srt_startup()
 * waits for the first SRT destination, so its threads do too.
 *
 * libsrt's sockets have no descriptor libevent could watch.  Rather than
 * a thread around srt_epoll, the connection is polled on a short timer
 * while it is being made or while our queue is not empty (libsrt's own
 * buffer full), and its state is checked every second.  In live mode
 * libsrt sends at the pace it is given and drops what is too late itself,
 * so the poll rarely runs once the connection is up.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <srt/srt.h>
#include <srt/access_control.h>

#include "fwdd.h"
#include "tsmux.h"

#define SRT_PAYLOAD (7 * TSMUX_PACKET) /* 1316: a live mode datagram */
#define SRT_POLL_MS 20

struct dest_srt_conn {
	struct dest *d;
	SRTSOCKET sock;
	struct evdns_getaddrinfo_request *dns;
	struct tsmux *mux;
	struct evbuffer *queue; /* TS packets libsrt did not take yet */
	struct event *poll;
	int connected;
};

static int dest_srt_started;

static void
dest_srt_log(void *opaque, int level, const char *file, int line,
    const char *area, const char *message)
{
	/* libsrt may quote a stream id: never above debug */
	log_debug("libsrt: %.*s", (int)strcspn(message, "\n"), message);
}

static int
dest_srt_lib_start(void)
{
	if (dest_srt_started)
		return 0;
	if (srt_startup() < 0)
		return -1;
	srt_setloghandler(NULL, dest_srt_log);
	srt_setloglevel(LOG_ERR);
	dest_srt_started = 1;
	return 0;
}

void
dest_srt_cleanup(void)
{
	if (dest_srt_started)
		srt_cleanup();
	dest_srt_started = 0;
}

/* A reject reason in words: libsrt's own, or the server's 1xxx code. */
static void
dest_srt_reject_why(int reason, char *buf, size_t len)
{
	static const struct {
		int code;
		const char *what;
	} codes[] = {
	    {SRT_REJX_BAD_REQUEST, "bad request"},
	    {SRT_REJX_UNAUTHORIZED, "unauthorized"},
	    {SRT_REJX_OVERLOAD, "overloaded"},
	    {SRT_REJX_FORBIDDEN, "forbidden"},
	    {SRT_REJX_NOTFOUND, "not found"},
	    {SRT_REJX_BAD_MODE, "bad mode"},
	    {SRT_REJX_UNACCEPTABLE, "unacceptable"},
	    {SRT_REJX_CONFLICT, "conflict (already publishing)"},
	    {SRT_REJX_ISE, "internal server error"},
	    {SRT_REJX_DOWN, "service down"},
	};
	size_t i;

	if (reason < SRT_REJC_PREDEFINED) {
		snprintf(buf, len, "%s", srt_rejectreason_str(reason));
		return;
	}
	for (i = 0; i < nitems(codes); i++)
		if (codes[i].code == reason) {
			snprintf(buf, len, "rejected by the server: %d %s",
			    reason, codes[i].what);
			return;
		}
	snprintf(buf, len, "rejected by the server: %d", reason);
}

static void
dest_srt_conn_free(struct dest_srt_conn *sc)
{
	struct evdns_getaddrinfo_request *dns = sc->dns;

	sc->d = NULL;
	if (sc->sock != SRT_INVALID_SOCK)
		srt_close(sc->sock);
	sc->sock = SRT_INVALID_SOCK;
	event_free(sc->poll);
	evbuffer_free(sc->queue);
	tsmux_free(sc->mux);
	if (dns != NULL) {
		/* its callback frees sc, now or later */
		evdns_getaddrinfo_cancel(dns);
		return;
	}
	free(sc);
}

static void
dest_srt_poll_later(struct dest_srt_conn *sc)
{
	struct timeval tv = {0, SRT_POLL_MS * 1000};

	if (!evtimer_pending(sc->poll, NULL))
		evtimer_add(sc->poll, &tv);
}

/* Hands what is queued to libsrt, a datagram at a time. */
static int
dest_srt_flush(struct dest_srt_conn *sc)
{
	uint8_t pkt[SRT_PAYLOAD];
	size_t n;
	int e;

	while ((n = evbuffer_get_length(sc->queue)) > 0) {
		if (n > SRT_PAYLOAD)
			n = SRT_PAYLOAD;
		evbuffer_copyout(sc->queue, pkt, n);
		if (srt_sendmsg2(sc->sock, (const char *)pkt, (int)n, NULL) ==
		    SRT_ERROR) {
			if (srt_getlasterror(&e) == SRT_EASYNCSND) {
				dest_srt_poll_later(sc);
				return 0;
			}
			dest_fail(sc->d, "SRT: %s", srt_getlasterror_str());
			return -1;
		}
		evbuffer_drain(sc->queue, n);
	}
	return 0;
}

static void
dest_srt_check(struct dest_srt_conn *sc)
{
	char why[160];
	SRT_SOCKSTATUS st = srt_getsockstate(sc->sock);

	if (!sc->connected) {
		if (st == SRTS_CONNECTED) {
			sc->connected = 1;
			dest_live(sc->d);
			return;
		}
		if (st == SRTS_CONNECTING || st == SRTS_OPENED ||
		    st == SRTS_INIT) {
			dest_srt_poll_later(sc);
			return;
		}
		dest_srt_reject_why(
		    srt_getrejectreason(sc->sock), why, sizeof(why));
		dest_fail(sc->d, "SRT: %s", why);
		return;
	}
	if (st != SRTS_CONNECTED) {
		dest_fail(sc->d, "SRT: connection lost");
		return;
	}
	if (evbuffer_get_length(sc->queue) > 0)
		dest_srt_flush(sc);
}

static void
dest_srt_poll(evutil_socket_t fd, short what, void *arg)
{
	dest_srt_check(arg);
}

static int
dest_srt_setopt(SRTSOCKET s, SRT_SOCKOPT o, const void *v, int len)
{
	return srt_setsockflag(s, o, v, len);
}

static void
dest_srt_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct dest_srt_conn *sc = arg;
	struct dest *d = sc->d;
	const struct desturl *u;
	int no = 0, yes = 1, ms;

	sc->dns = NULL;
	if (d == NULL) {
		/* cancelled: the destination let go first */
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
		free(sc);
		return;
	}
	u = &d->u;
	if (err != 0 || ai == NULL) {
		dest_fail(d, "%s: %s", u->host, evutil_gai_strerror(err));
		return;
	}
	if ((sc->sock = srt_create_socket()) == SRT_INVALID_SOCK) {
		evutil_freeaddrinfo(ai);
		dest_fail(d, "SRT: %s", srt_getlasterror_str());
		return;
	}
	ms = fwdd->timeout * 1000;
	dest_srt_setopt(sc->sock, SRTO_SNDSYN, &no, sizeof(no));
	dest_srt_setopt(sc->sock, SRTO_RCVSYN, &no, sizeof(no));
	dest_srt_setopt(sc->sock, SRTO_SENDER, &yes, sizeof(yes));
	dest_srt_setopt(sc->sock, SRTO_CONNTIMEO, &ms, sizeof(ms));
	if (u->streamid[0] != '\0')
		dest_srt_setopt(sc->sock, SRTO_STREAMID, u->streamid,
		    (int)strlen(u->streamid));
	if (u->passphrase[0] != '\0') {
		dest_srt_setopt(sc->sock, SRTO_PASSPHRASE, u->passphrase,
		    (int)strlen(u->passphrase));
		if (u->pbkeylen != 0)
			dest_srt_setopt(sc->sock, SRTO_PBKEYLEN, &u->pbkeylen,
			    sizeof(u->pbkeylen));
	}
	if (u->latency_ms >= 0)
		dest_srt_setopt(sc->sock, SRTO_LATENCY, &u->latency_ms,
		    sizeof(u->latency_ms));
	if (srt_connect(sc->sock, ai->ai_addr, (int)ai->ai_addrlen) ==
	    SRT_ERROR) {
		evutil_freeaddrinfo(ai);
		dest_fail(d, "SRT: %s", srt_getlasterror_str());
		return;
	}
	evutil_freeaddrinfo(ai);
	dest_connected(d);
	dest_srt_poll_later(sc);
}

static void
dest_srt_mux_out(void *arg, const uint8_t *buf, size_t len)
{
	struct dest_srt_conn *sc = arg;

	evbuffer_add(sc->queue, buf, len);
	if (sc->d != NULL)
		sc->d->bytes_enq += len;
}

static void
dest_srt_open(struct dest *d)
{
	struct evutil_addrinfo hints;
	struct dest_srt_conn *sc;
	struct evdns_getaddrinfo_request *req;

	sc = xcalloc(1, sizeof(*sc));
	sc->d = d;
	sc->sock = SRT_INVALID_SOCK;
	sc->queue = evbuffer_new();
	sc->mux = tsmux_new(dest_srt_mux_out, sc);
	sc->poll = evtimer_new(fwdd->d.base, dest_srt_poll, sc);
	d->conn = sc;
	if (dest_srt_lib_start() == -1) {
		dest_fail(
		    d, "SRT: cannot start libsrt: %s", srt_getlasterror_str());
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	hints.ai_flags = EVUTIL_AI_ADDRCONFIG;
	/* a numeric host answers at once, inside this call */
	req = evdns_getaddrinfo(
	    fwdd->dns, d->u.host, d->u.port, &hints, dest_srt_resolved, sc);
	if (req != NULL && d->conn == sc && sc->sock == SRT_INVALID_SOCK)
		sc->dns = req;
}

static void
dest_srt_close(struct dest *d, int graceful)
{
	struct dest_srt_conn *sc = d->conn;

	/* live mode: what is in flight is late already; no linger */
	dest_srt_conn_free(sc);
}

static int
dest_srt_send(
    struct dest *d, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
	struct dest_srt_conn *sc = d->conn;

	if (!sc->connected)
		return -1;
	if (tsmux_tag(sc->mux, type, ts, body, len) == -1) {
		log_debug("stream %s: %s: %s", d->stream->name, d->masked,
		    tsmux_error(sc->mux));
		return -1;
	}
	return dest_srt_flush(sc);
}

static size_t
dest_srt_queued(const struct dest *d)
{
	const struct dest_srt_conn *sc = d->conn;

	return evbuffer_get_length(sc->queue);
}

static void
dest_srt_tick(struct dest *d)
{
	struct dest_srt_conn *sc = d->conn;

	if (sc->sock != SRT_INVALID_SOCK && sc->connected)
		dest_srt_check(sc);
}

const struct dest_ops dest_srt_ops = {
    dest_srt_open,
    dest_srt_close,
    dest_srt_send,
    dest_srt_queued,
    dest_srt_tick,
};
