/*
 * SRT publisher connections: libsrt sockets around the MPEG-TS demuxer in
 * ts.c, whose FLV tags go to stream_tag() exactly as RTMP's do.
 *
 * Threads.  libsrt runs its own threads and its own epoll, which has no
 * file descriptor libevent could watch.  So one small thread, the pump,
 * blocks in srt_epoll_uwait() on the listeners and connections
 * (edge-triggered) and only says *which* sockets became ready: it appends
 * their ids to a mutex-protected list and rings an eventfd that libevent
 * watches.  Everything else happens on the main thread: srt_accept(),
 * srt_recvmsg() straight into a stack buffer, ts_feed(), stream_tag() and
 * the publisher and stream registry calls, none of which are thread-safe.
 * Media bytes are copied once (libsrt to our buffer), never queued, and no
 * timer is involved: the eventfd wakes the loop as soon as libsrt marks a
 * socket readable, which its delivery thread does when a packet's TSBPD
 * time comes.  Edge-triggered means each socket is reported once per "had
 * nothing, now has data" edge, so the main thread drains a socket until
 * SRT_EASYNCRCV and the pump never spins on a socket the main thread has
 * not read yet.
 *
 * Refusals.  libsrt 1.5 lets a listener give a reject reason only inside
 * srt_listen_callback(), which runs on libsrt's thread and must answer at
 * once, while publisher_authorise() may ask authd and answer later.  So
 * the callback refuses, with an SRT reject code the caller sees before any
 * media flows, whatever it can decide alone: a malformed stream id, a play
 * request (m=request, play:...), another application, a key no one could
 * hold, with auth = none an invalid stream name, and an address over its
 * limits (publisher_admit()).  The rest (authd says no, the stream is
 * already live, and the limits again, for callers that were let in together)
 * is decided on the main thread after srt_accept(); such a caller is closed
 * with a log line and sees its connection end.
 */
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>
#include <srt/srt.h>
#include <srt/access_control.h>

#include "ingestd.h"
#include "ts.h"

/* Messages read from one socket before letting other events run. */
#define SRT_CONN_BURST 256

struct srt_conn {
	TAILQ_ENTRY(srt_conn) entry;
	SRTSOCKET sock;
	struct publisher *pub;
	struct ts_demux *ts; /* once the stream is open */
	uint64_t bytes_in;
};
TAILQ_HEAD(srt_connlist, srt_conn);

static struct {
	/* our UDP sockets, watched until the first datagram starts libsrt */
	int udp[INGEST_LISTEN_MAX];
	struct event *udp_ev[INGEST_LISTEN_MAX];
	int nudp;
	int started; /* srt_startup() done */
	SRTSOCKET listeners[INGEST_LISTEN_MAX];
	int nlisteners;
	int eid; /* libsrt epoll, waited on by the pump only */
	int wakefd; /* eventfd: the pump has put ids in ready */
	struct event *wake_ev;
	pthread_t pump;
	int pump_started;
	atomic_int stop;
	/* written by the pump, taken by the main thread, under lock */
	pthread_mutex_t lock;
	SRTSOCKET *ready;
	size_t nready, readycap;
	/* the main thread's copy being worked through */
	SRTSOCKET *work;
	size_t workcap;
	struct srt_connlist conns;
	/* read by the listen callback on libsrt's thread: set before it runs */
	char app[64];
	int auth_none;
	/* counters for status */
	atomic_ullong refused_handshake;
	uint64_t accepted, ts_errors;
} srt = {.lock = PTHREAD_MUTEX_INITIALIZER, .eid = -1, .wakefd = -1};

static void srt_conn_free(struct srt_conn *, const char *why);

static void
srt_conn_log(void *opaque, int level, const char *file, int line,
    const char *area, const char *message)
{
	size_t len = strlen(message);

	while (len > 0 && (message[len - 1] == '\n' || message[len - 1] == ' '))
		len--;
	if (level <= LOG_ERR)
		log_warnx("libsrt: %.*s", (int)len, message);
	else
		log_debug("libsrt: %.*s", (int)len, message);
}

/* Stream ids come from the network: show them without control bytes. */
static const char *
srt_conn_printable(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len && s[i] != '\0'; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* Tells the main thread that these sockets need attention (any thread). */
static void
srt_conn_notify(const SRTSOCKET *socks, size_t n)
{
	const uint64_t one = 1;
	size_t i, j;

	pthread_mutex_lock(&srt.lock);
	for (i = 0; i < n; i++) {
		for (j = 0; j < srt.nready; j++)
			if (srt.ready[j] == socks[i])
				break;
		if (j < srt.nready)
			continue;
		if (srt.nready == srt.readycap) {
			srt.readycap = srt.readycap ? srt.readycap * 2 : 16;
			srt.ready = xreallocarray(
			    srt.ready, srt.readycap, sizeof(*srt.ready));
		}
		srt.ready[srt.nready++] = socks[i];
	}
	pthread_mutex_unlock(&srt.lock);
	if (write(srt.wakefd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("srt: eventfd");
}

static void *
srt_conn_pump(void *arg)
{
	SRT_EPOLL_EVENT ev[32];
	SRTSOCKET socks[nitems(ev)];
	int n, i;

	while (!atomic_load(&srt.stop)) {
		n = srt_epoll_uwait(srt.eid, ev, nitems(ev), -1);
		if (atomic_load(&srt.stop))
			break;
		if (n < 0)
			fatalx("srt: epoll wait: %s", srt_getlasterror_str());
		if (n > (int)nitems(ev))
			n = nitems(ev);
		for (i = 0; i < n; i++)
			socks[i] = ev[i].fd;
		if (n > 0)
			srt_conn_notify(socks, (size_t)n);
	}
	return NULL;
}

/*
 * libsrt's thread, during the handshake: refuse here what needs no one
 * else's opinion, so the caller gets a reject reason instead of a
 * connection that drops.
 */
static int
srt_conn_listen_cb(void *opaq, SRTSOCKET ns, int hsversion,
    const struct sockaddr *peer, const char *streamid)
{
	char key[SRT_KEY_MAX + 1], addr[64], shown[SRT_STREAMID_MAX + 1];
	char namewhy[128], msg[160];
	char limit[160];
	enum srt_streamid_err e;
	const char *why;
	int code;

	if (streamid == NULL)
		streamid = "";
	e = srt_streamid_parse(streamid, srt.app, key, &why);
	if (e == SRT_STREAMID_OK && srt.auth_none &&
	    stream_name_check(key, namewhy, sizeof(namewhy)) == -1) {
		e = SRT_STREAMID_BAD;
		snprintf(msg, sizeof(msg), "stream name %s", namewhy);
		why = msg;
	}
	if (e == SRT_STREAMID_OK) {
		if (publisher_admit(peer, limit, sizeof(limit)) == 0)
			return 0;
		srt_setrejectreason(ns, SRT_REJX_OVERLOAD);
		atomic_fetch_add(&srt.refused_handshake, 1);
		log_warnx("srt %s: refused: %s (reject %d)",
		    addr_string(peer, addr, sizeof(addr)), limit,
		    SRT_REJX_OVERLOAD);
		return -1;
	}
	code = e == SRT_STREAMID_MODE ? SRT_REJX_BAD_MODE
	    : e == SRT_STREAMID_APP   ? SRT_REJX_NOTFOUND
	                              : SRT_REJX_BAD_REQUEST;
	srt_setrejectreason(ns, code);
	atomic_fetch_add(&srt.refused_handshake, 1);
	log_warnx("srt %s: publish refused: stream id '%s': %s (reject %d)",
	    addr_string(peer, addr, sizeof(addr)),
	    srt_conn_printable(streamid, shown, sizeof(shown)), why, code);
	return -1;
}

static void
srt_conn_tag(void *arg, uint8_t type, uint32_t timestamp, const uint8_t *body,
    size_t len)
{
	struct srt_conn *c = arg;

	if (c->pub->stream != NULL)
		stream_tag(c->pub->stream, type, timestamp, body, len);
}

/*
 * Reads everything libsrt has ready for c; edge-triggered epoll will not
 * report c again until it has been drained.
 */
static void
srt_conn_drain(struct srt_conn *c)
{
	char buf[1500]; /* > SRT_LIVE_MAX_PLSIZE: one live message */
	int n, burst;

	if (c->ts == NULL) {
		/* Waiting for authorisation: keep the data in libsrt, the
		 * demuxer sends sequence headers only once.  Notice a
		 * caller that gave up. */
		if (srt_getsockstate(c->sock) > SRTS_CONNECTED)
			srt_conn_free(c, "disconnected");
		return;
	}
	for (burst = 0; burst < SRT_CONN_BURST; burst++) {
		if ((n = srt_recvmsg(c->sock, buf, sizeof(buf))) <= 0) {
			if (n == SRT_ERROR &&
			    srt_getlasterror(NULL) == SRT_EASYNCRCV)
				return;
			snprintf(buf, sizeof(buf), "disconnected (%s)",
			    n == 0 ? "end of stream" : srt_getlasterror_str());
			srt_conn_free(c, buf);
			return;
		}
		c->bytes_in += (uint64_t)n;
		if (ts_feed(c->ts, (const uint8_t *)buf, (size_t)n) == -1) {
			srt.ts_errors++;
			log_warnx("srt %s: %s; closing", c->pub->addr,
			    ts_error(c->ts));
			srt_conn_free(c, NULL);
			return;
		}
	}
	/* more to read: come back after other events had their turn */
	srt_conn_notify(&c->sock, 1);
}

static void
srt_conn_authorised(struct publisher *p, const char *name,
    uint64_t bitrate_kbps, const char *why)
{
	struct srt_conn *c = p->conn;
	char err[256];

	if (name == NULL) {
		log_warnx("srt %s: publish refused: %s", p->addr, why);
		srt_conn_free(c, NULL);
		return;
	}
	if ((p->stream = stream_open(
	         name, "srt", p, bitrate_kbps, err, sizeof(err))) == NULL) {
		ingestd->publishes_refused++;
		log_warnx("srt %s: publish refused: %s", p->addr, err);
		srt_conn_free(c, NULL);
		return;
	}
	ingestd->publishes_ok++;
	c->ts = ts_new(srt_conn_tag, c);
	/* what arrived while we were asking */
	srt_conn_drain(c);
}

/* Called by authd's revocation (or an operator's kick). */
static void
srt_conn_kick(struct publisher *p, const char *why)
{
	log_info("srt %s: stopped: %s", p->addr, why);
	publisher_end_stream(p, why);
	srt_conn_free(p->conn, NULL);
}

static void
srt_conn_destroy(struct publisher *p)
{
	srt_conn_free(p->conn, NULL);
}

/* Closes the socket and ends the stream, if any (publisher_free). */
static void
srt_conn_free(struct srt_conn *c, const char *why)
{
	struct ts_stats st;

	if (c->ts != NULL) {
		ts_stats(c->ts, &st);
		if (why != NULL)
			log_info(
			    "srt %s: %s after %llu bytes (%llu TS packets, "
			    "%llu continuity errors, %llu dropped)",
			    c->pub->addr, why, (unsigned long long)c->bytes_in,
			    (unsigned long long)st.packets,
			    (unsigned long long)st.cc_errors,
			    (unsigned long long)st.pes_dropped);
		ts_free(c->ts);
	} else if (why != NULL)
		log_info("srt %s: %s", c->pub->addr, why);
	srt_close(c->sock);
	TAILQ_REMOVE(&srt.conns, c, entry);
	publisher_free(c->pub);
	free(c);
}

static void
srt_conn_new(SRTSOCKET s, const struct sockaddr *sa)
{
	char sid[SRT_STREAMID_MAX + 1], key[SRT_KEY_MAX + 1], addr[64];
	char limit[160];
	int len = sizeof(sid) - 1, no = 0;
	int events = SRT_EPOLL_IN | SRT_EPOLL_ERR | SRT_EPOLL_ET;
	struct publisher *p;
	struct srt_conn *c;
	const char *why;

	srt.accepted++;
	if ((p = publisher_new("srt", sa, limit, sizeof(limit))) == NULL) {
		log_warnx("srt %s: refused: %s",
		    addr_string(sa, addr, sizeof(addr)), limit);
		srt_close(s);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->sock = s;
	c->pub = p;
	p->conn = c;
	p->kick = srt_conn_kick;
	p->destroy = srt_conn_destroy;
	TAILQ_INSERT_TAIL(&srt.conns, c, entry);
	if (srt_setsockflag(s, SRTO_RCVSYN, &no, sizeof(no)) == SRT_ERROR ||
	    srt_epoll_add_usock(srt.eid, s, &events) == SRT_ERROR) {
		log_warnx(
		    "srt %s: %s; closing", p->addr, srt_getlasterror_str());
		srt_conn_free(c, NULL);
		return;
	}
	/* the listen callback parsed it already; this cannot disagree */
	if (srt_getsockflag(s, SRTO_STREAMID, sid, &len) == SRT_ERROR)
		len = 0;
	sid[len >= 0 && len < (int)sizeof(sid) ? len : 0] = '\0';
	if (srt_streamid_parse(sid, srt.app, key, &why) != SRT_STREAMID_OK) {
		log_warnx("srt %s: publish refused: %s", p->addr, why);
		srt_conn_free(c, NULL);
		return;
	}
	log_debug("srt %s: connected", p->addr);
	/* may answer at once, and may free c */
	publisher_authorise(p, key, srt_conn_authorised);
}

static void
srt_conn_accept(SRTSOCKET lsn)
{
	struct sockaddr_storage ss;
	SRTSOCKET s;
	int len;

	for (;;) {
		len = sizeof(ss);
		s = srt_accept(lsn, (struct sockaddr *)&ss, &len);
		if (s == SRT_INVALID_SOCK) {
			if (srt_getlasterror(NULL) != SRT_EASYNCRCV)
				log_warnx(
				    "srt accept: %s", srt_getlasterror_str());
			return;
		}
		srt_conn_new(s, (struct sockaddr *)&ss);
	}
}

static struct srt_conn *
srt_conn_find(SRTSOCKET s)
{
	struct srt_conn *c;

	TAILQ_FOREACH(c, &srt.conns, entry)
		if (c->sock == s)
			return c;
	return NULL;
}

/* The main thread's side of the pump: sockets libsrt says are ready. */
static void
srt_conn_wake(evutil_socket_t fd, short what, void *arg)
{
	struct srt_conn *c;
	SRTSOCKET *tmp;
	uint64_t n;
	size_t cap, count, i;
	int j;

	if (read(fd, &n, sizeof(n)) == -1 && errno != EAGAIN)
		log_warn("srt: eventfd");
	pthread_mutex_lock(&srt.lock);
	tmp = srt.work;
	cap = srt.workcap;
	srt.work = srt.ready;
	srt.workcap = srt.readycap;
	count = srt.nready;
	srt.ready = tmp;
	srt.readycap = cap;
	srt.nready = 0;
	pthread_mutex_unlock(&srt.lock);
	for (i = 0; i < count; i++) {
		for (j = 0; j < srt.nlisteners; j++)
			if (srt.listeners[j] == srt.work[i])
				break;
		if (j < srt.nlisteners)
			srt_conn_accept(srt.work[i]);
		else if ((c = srt_conn_find(srt.work[i])) != NULL)
			srt_conn_drain(c);
		/* else closed since: libsrt does not reuse ids soon */
	}
	stream_wake();
}

static int
srt_conn_setopt(
    SRTSOCKET s, SRT_SOCKOPT opt, const char *name, const void *val, int len)
{
	if (srt_setsockflag(s, opt, val, len) == SRT_ERROR) {
		log_warnx("srt: %s: %s", name, srt_getlasterror_str());
		return -1;
	}
	return 0;
}

/*
 * Binds one UDP port for SRT; -1 only for a wildcard IPv6 socket on a box
 * without IPv6.  libsrt shares one UDP socket per port, so the wildcard
 * cannot be two sockets as in listen_bind(): it is one dual-stack IPv6
 * socket, or IPv4 alone.  The socket stays blocking: libsrt's receive
 * thread reads it with a timeout of its own.
 */
static int
srt_conn_udp(int family, const char *host, const char *port)
{
	struct addrinfo hints, *res;
	int fd, e, v6only = *host != '\0';

	if (srt.nudp == INGEST_LISTEN_MAX)
		fatalx("srt_listen: too many addresses");
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((e = getaddrinfo(*host ? host : NULL, port, &hints, &res)) != 0)
		fatalx("srt_listen %s:%s: %s", host, port, gai_strerror(e));
	fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 && family == AF_INET6 && *host == '\0' &&
	    errno == EAFNOSUPPORT) {
		log_info("srt: no IPv6 on this host; IPv4 only");
		freeaddrinfo(res);
		return -1;
	}
	if (fd == -1)
		fatal("srt_listen: socket");
	if (res->ai_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
		fatal("srt_listen: IPV6_V6ONLY");
	if (bind(fd, res->ai_addr, res->ai_addrlen) == -1) {
		if (family == AF_INET6 && *host == '\0' &&
		    errno == EADDRNOTAVAIL) {
			log_info("srt: no IPv6 on this host; IPv4 only");
			close(fd);
			freeaddrinfo(res);
			return -1;
		}
		fatal("srt_listen %s:%s", *host ? host : "*", port);
	}
	freeaddrinfo(res);
	srt.udp[srt.nudp++] = fd;
	return 0;
}

/*
 * An SRT listener on one of our bound UDP sockets.  The socket is libsrt's
 * from srt_bind_acquire() on (srt_close() closes it), and closed here if
 * we fail before that.
 */
static int
srt_conn_adopt(int fd)
{
	struct conf *conf = ingestd->d.conf;
	const char *pass = conf_str(conf, "srt_passphrase");
	int transtype = SRTT_LIVE, latency = conf_int(conf, "srt_latency");
	int idle = conf_int(conf, "srt_peer_idle_timeout"), no = 0;
	int keylen = atoi(conf_str(conf, "srt_pbkeylen"));
	int events = SRT_EPOLL_IN | SRT_EPOLL_ERR | SRT_EPOLL_ET;
	SRTSOCKET s;

	if ((s = srt_create_socket()) == SRT_INVALID_SOCK) {
		log_warnx("srt: %s", srt_getlasterror_str());
		close(fd);
		return -1;
	}
	/* the type first: it resets the options below to its defaults */
	if (srt_conn_setopt(s, SRTO_TRANSTYPE, "transtype", &transtype,
	        sizeof(transtype)) == -1 ||
	    srt_conn_setopt(s, SRTO_RCVSYN, "rcvsyn", &no, sizeof(no)) == -1 ||
	    srt_conn_setopt(s, SRTO_SNDSYN, "sndsyn", &no, sizeof(no)) == -1 ||
	    srt_conn_setopt(s, SRTO_LATENCY, "srt_latency", &latency,
	        sizeof(latency)) == -1 ||
	    srt_conn_setopt(s, SRTO_PEERIDLETIMEO, "srt_peer_idle_timeout",
	        &idle, sizeof(idle)) == -1 ||
	    (*pass != '\0' &&
	        (srt_conn_setopt(s, SRTO_PASSPHRASE, "srt_passphrase", pass,
	             (int)strlen(pass)) == -1 ||
	            srt_conn_setopt(s, SRTO_PBKEYLEN, "srt_pbkeylen", &keylen,
	                sizeof(keylen)) == -1)))
		goto fail;
	if (srt_bind_acquire(s, fd) == SRT_ERROR) {
		log_warnx("srt: bind: %s", srt_getlasterror_str());
		goto fail;
	}
	fd = -1;
	if (srt_listen_callback(s, srt_conn_listen_cb, NULL) == SRT_ERROR ||
	    srt_listen(s, 16) == SRT_ERROR ||
	    srt_epoll_add_usock(srt.eid, s, &events) == SRT_ERROR) {
		log_warnx("srt: listen: %s", srt_getlasterror_str());
		goto fail;
	}
	srt.listeners[srt.nlisteners++] = s;
	return 0;
fail:
	srt_close(s);
	if (fd != -1)
		close(fd);
	return -1;
}

/* Stops watching the UDP sockets; closes them unless libsrt has them. */
static void
srt_conn_unwatch(int close_fds)
{
	int i;

	for (i = 0; i < srt.nudp; i++) {
		if (srt.udp_ev[i] != NULL)
			event_free(srt.udp_ev[i]);
		srt.udp_ev[i] = NULL;
		if (close_fds)
			close(srt.udp[i]);
	}
	srt.nudp = 0;
}

/*
 * The first datagram on any SRT port: load libsrt and hand it our
 * sockets.  The datagram stays queued, so libsrt reads that caller's
 * handshake itself.  If libsrt cannot start, the ports are closed: SRT
 * callers are refused by the kernel and RTMP carries on.
 */
static void
srt_conn_start(evutil_socket_t fd, short what, void *arg)
{
	sigset_t all, old;
	char err[256];
	int i, e;

	if (srt_lib_load(err, sizeof(err)) == -1) {
		log_warnx("srt: cannot load libsrt: %s; SRT is off", err);
		srt_conn_unwatch(1);
		return;
	}
	/* libsrt's threads and the pump leave signals to the main thread */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (srt_startup() == -1) {
		log_warnx(
		    "srt_startup: %s; SRT is off", srt_getlasterror_str());
		srt_conn_unwatch(1);
		goto out;
	}
	srt.started = 1;
	/* libsrt reports a client's mistakes (and an empty non-blocking
	 * accept) as errors: only its critical messages are ours */
	srt_setloglevel(log_getverbose() ? LOG_WARNING : LOG_CRIT);
	srt_setlogflags(SRT_LOGF_DISABLE_TIME | SRT_LOGF_DISABLE_THREADNAME |
	    SRT_LOGF_DISABLE_EOL);
	srt_setloghandler(NULL, srt_conn_log);
	if ((srt.eid = srt_epoll_create()) == -1) {
		log_warnx(
		    "srt_epoll_create: %s; SRT is off", srt_getlasterror_str());
		srt_conn_unwatch(1);
		goto out;
	}
	srt_epoll_set(srt.eid, SRT_EPOLL_ENABLE_EMPTY);
	for (i = 0; i < srt.nudp; i++)
		srt_conn_adopt(srt.udp[i]);
	srt_conn_unwatch(0);
	if ((e = pthread_create(&srt.pump, NULL, srt_conn_pump, NULL)) != 0) {
		errno = e;
		fatal("srt: pthread_create");
	}
	srt.pump_started = 1;
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int
srt_conn_listen(void)
{
	struct listen_addr la[INGEST_LISTEN_MAX];
	char err[256];
	int n, i;

	n = listen_parse(conf_str(ingestd->d.conf, "srt_listen"), la,
	    nitems(la), err, sizeof(err));
	if (n == -1)
		fatalx("srt_listen: %s", err);
	TAILQ_INIT(&srt.conns);
	strlcpy(
	    srt.app, conf_str(ingestd->d.conf, "rtmp_app"), sizeof(srt.app));
	srt.auth_none = strcmp(conf_str(ingestd->d.conf, "auth"), "none") == 0;
	if ((srt.wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("srt: eventfd");
	srt.wake_ev = event_new(ingestd->d.base, srt.wakefd,
	    EV_READ | EV_PERSIST, srt_conn_wake, NULL);
	if (srt.wake_ev == NULL || event_add(srt.wake_ev, NULL) == -1)
		fatalx("srt: event_new");
	for (i = 0; i < n; i++) {
		if (la[i].family == AF_UNSPEC) {
			if (srt_conn_udp(AF_INET6, "", la[i].port) == -1)
				srt_conn_udp(AF_INET, "", la[i].port);
		} else
			srt_conn_udp(la[i].family, la[i].host, la[i].port);
		log_info("srt: listening on %s:%s%s",
		    la[i].host[0] ? la[i].host : "*", la[i].port,
		    *conf_str(ingestd->d.conf, "srt_passphrase")
		        ? " (encrypted)"
		        : "");
	}
	/* one shot each: the first datagram anywhere starts libsrt */
	for (i = 0; i < srt.nudp; i++) {
		srt.udp_ev[i] = event_new(
		    ingestd->d.base, srt.udp[i], EV_READ, srt_conn_start, NULL);
		if (srt.udp_ev[i] == NULL ||
		    event_add(srt.udp_ev[i], NULL) == -1)
			fatalx("srt: event_new");
	}
	return 0;
}

/* At shutdown, after every publisher has been destroyed. */
void
srt_conn_close(void)
{
	struct srt_conn *c;
	int i;

	while ((c = TAILQ_FIRST(&srt.conns)) != NULL)
		srt_conn_free(c, NULL);
	atomic_store(&srt.stop, 1);
	/* uwait notices its epoll is gone and returns: the pump sees stop */
	if (srt.eid != -1)
		srt_epoll_release(srt.eid);
	if (srt.pump_started)
		pthread_join(srt.pump, NULL);
	srt.pump_started = 0;
	srt.eid = -1;
	for (i = 0; i < srt.nlisteners; i++)
		srt_close(srt.listeners[i]);
	srt.nlisteners = 0;
	srt_conn_unwatch(1);
	if (srt.started)
		srt_cleanup();
	srt.started = 0;
	if (srt.wake_ev != NULL)
		event_free(srt.wake_ev);
	srt.wake_ev = NULL;
	if (srt.wakefd != -1)
		close(srt.wakefd);
	srt.wakefd = -1;
	free(srt.ready);
	free(srt.work);
	srt.ready = srt.work = NULL;
	srt.nready = srt.readycap = srt.workcap = 0;
}

void
srt_conn_status(yajl_gen g)
{
	struct srt_conn *c;
	int n = 0;

	TAILQ_FOREACH(c, &srt.conns, entry)
		n++;
	json_key(g, "srt");
	yajl_gen_map_open(g);
	/* libsrt is loaded by the first SRT datagram */
	json_bool(g, "loaded", srt_lib_loaded());
	json_int(g, "listeners", srt.started ? srt.nlisteners : srt.nudp);
	json_int(g, "connections", n);
	json_int(g, "accepted", (long long)srt.accepted);
	json_int(g, "refused_at_handshake",
	    (long long)atomic_load(&srt.refused_handshake));
	json_int(g, "ts_errors", (long long)srt.ts_errors);
	yajl_gen_map_close(g);
}
