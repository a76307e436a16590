/*
 * rtc-load: N WebRTC viewers of one stream in one process, for `make
 * bench` (tests/bench/rtc-load.sh).  Each POSTs an offer to rtcd's WHEP
 * endpoint, checks connectivity with STUN as a controlling ICE agent,
 * makes a DTLS client handshake and reads SRTP, all with rtcd's own code
 * (stun.c, dtls.c, srtp.c, rtcp.c); it sends receiver reports and STUN
 * consent checks as a browser would, and NACKs what a gap in the sequence
 * numbers says is missing.  Packets lost are what never came, counted
 * from the sequence numbers (retransmissions that came in time are not
 * lost; duplicates count as received).  Prints one JSON line.
 *
 *	rtc-load HOST PORT NAME VIEWERS SECONDS
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "flv.h"
#include "rtcd.h"

struct rtcd *rtcd; /* rtcd's code refers to it; unused here */

struct track_rx {
	uint32_t ssrc;
	int started;
	uint32_t first, highest; /* extended */
	uint64_t received;
};

struct viewer {
	int i, fd, state; /* 0 ice, 1 dtls, 2 live, 3 failed */
	struct event *ev, *tick;
	struct dtls *dtls;
	struct srtp_pair *srtp;
	char ufrag[64], pwd[64], lufrag[16], lpwd[40], location[256];
	struct track_rx t[2];
	uint64_t posted_us, live_us, bytes, stun_ok, nacked;
	int ticks;
};

static struct event_base *base;
static struct viewer *viewers;
static int nviewers;
static const char *host, *port, *name;

static void
viewer_send(const uint8_t *p, size_t len, void *arg)
{
	struct viewer *v = arg;

	send(v->fd, p, len, MSG_DONTWAIT);
}

/* A blocking HTTP/1.1 request: status, body into out. */
static int
http(const char *method, const char *path, const char *body, char *out,
    size_t cap, char *loc, size_t loclen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	char req[8192];
	size_t len = 0;
	ssize_t n;
	int fd, status = -1;
	char *p, *e;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd == -1 || connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
		freeaddrinfo(res);
		if (fd != -1)
			close(fd);
		return -1;
	}
	freeaddrinfo(res);
	n = snprintf(req, sizeof(req),
	    "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n"
	    "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
	    method, path, host, body ? strlen(body) : 0, body ? body : "");
	if (write(fd, req, (size_t)n) != n) {
		close(fd);
		return -1;
	}
	while (len < cap - 1 && (n = read(fd, out + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fd);
	if (sscanf(out, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	if (loc != NULL && (p = strcasestr(out, "\r\nLocation: ")) != NULL) {
		p += 12;
		e = strstr(p, "\r\n");
		snprintf(loc, loclen, "%.*s", (int)(e ? e - p : 0), p);
	}
	if ((p = strstr(out, "\r\n\r\n")) != NULL)
		memmove(out, p + 4, strlen(p + 4) + 1);
	return status;
}

static void
random_chars(char *out, size_t n)
{
	static const char c[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = c[arc4random_uniform(sizeof(c) - 1)];
	out[n] = '\0';
}

/* A gap: ask for what is missing (at most 16), as a browser would. */
static void
viewer_nack(struct viewer *v, uint32_t ssrc, uint16_t from, int n)
{
	uint8_t buf[256];
	uint16_t seqs[16];
	size_t len;
	int i, k;

	for (i = 0; i < n && i < 16; i++)
		seqs[i] = (uint16_t)(from + i);
	len = rtcp_nack(buf, 128, 0x1000 + v->i, ssrc, seqs, i);
	if ((k = srtp_pair_protect(v->srtp, buf, len, 1)) > 0) {
		send(v->fd, buf, (size_t)k, MSG_DONTWAIT);
		v->nacked += (uint64_t)i;
	}
}

static void
track_rx(struct viewer *v, struct track_rx *t, uint16_t seq)
{
	uint32_t ext;
	int16_t d;

	if (!t->started) {
		t->started = 1;
		t->first = t->highest = seq;
		t->received = 1;
		return;
	}
	d = (int16_t)(seq - (uint16_t)t->highest);
	ext = t->highest + (uint32_t)(int32_t)d;
	if (d > 1)
		viewer_nack(v, t->ssrc, (uint16_t)(t->highest + 1), d - 1);
	if (d > 0)
		t->highest = ext;
	t->received++;
}

static void
viewer_stun(struct viewer *v)
{
	uint8_t out[256], txid[12];
	char user[160];
	size_t n;

	arc4random_buf(txid, sizeof(txid));
	snprintf(user, sizeof(user), "%s:%s", v->ufrag, v->lufrag);
	n = stun_binding_request(
	    out, sizeof(out), txid, user, v->pwd, 0x6e0001ff, 1, 42);
	send(v->fd, out, n, MSG_DONTWAIT);
}

static void
viewer_read(evutil_socket_t fd, short what, void *arg)
{
	struct viewer *v = arg;
	uint8_t buf[RTC_DGRAM_MAX + 64], tx[DTLS_SRTP_KEY], rx[DTLS_SRTP_KEY];
	struct stun_msg m;
	const char *why;
	ssize_t n;
	int k, r;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (buf[0] < 4) {
			if (stun_parse(buf, (size_t)n, &m, &why) == 0 &&
			    m.type == STUN_BINDING_SUCCESS) {
				v->stun_ok++;
				if (v->state == 0) {
					v->state = 1;
					dtls_connect(v->dtls);
				}
			}
		} else if (buf[0] >= 20 && buf[0] <= 63) {
			r = dtls_input(v->dtls, buf, (size_t)n, &why);
			if (r == 1 && dtls_srtp_keys(v->dtls, tx, rx) == 0 &&
			    (v->srtp = srtp_pair_new(tx, rx)) != NULL) {
				v->state = 2;
				v->live_us = now_us();
			} else if (r == -1) {
				fprintf(
				    stderr, "viewer %d: DTLS: %s\n", v->i, why);
				if (v->state != 2)
					v->state = 3;
			}
		} else if (buf[0] >= 128 && buf[0] <= 191 && v->state == 2 &&
		    !rtcp_is(buf, (size_t)n)) {
			if (srtp_pair_unprotect(v->srtp, buf, (size_t)n, 0) < 0)
				continue;
			v->bytes += (size_t)n;
			for (k = 0; k < 2; k++)
				if (!v->t[k].started ||
				    v->t[k].ssrc == be32_read(buf + 8))
					break;
			if (k == 2)
				continue;
			v->t[k].ssrc = be32_read(buf + 8);
			track_rx(v, &v->t[k], be16_read(buf + 2));
		}
	}
}

static void
viewer_tick(evutil_socket_t fd, short what, void *arg)
{
	struct viewer *v = arg;
	uint8_t buf[128];
	struct rtcp_report r;
	struct timeval tv = {0, 200000};
	size_t n;
	int k, len;

	v->ticks++;
	if (v->state == 0)
		viewer_stun(v);
	else if (v->state == 1)
		dtls_timer(v->dtls);
	else if (v->state == 2 && v->ticks % 5 == 0) {
		for (k = 0; k < 2; k++) {
			if (!v->t[k].started)
				continue;
			memset(&r, 0, sizeof(r));
			r.ssrc = v->t[k].ssrc;
			r.highest_seq = v->t[k].highest;
			n = rtcp_receiver_report(buf, 64, 0x1000 + v->i, &r);
			if ((len = srtp_pair_protect(v->srtp, buf, n, 1)) > 0)
				send(v->fd, buf, (size_t)len, MSG_DONTWAIT);
		}
		if (v->ticks % 25 == 0)
			viewer_stun(v); /* consent */
	}
	evtimer_add(v->tick, &tv);
}

static int
viewer_start(struct viewer *v)
{
	char offer[4096], answer[16384], path[512], *p;
	char cip[64] = "", cport[16] = "";
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res;
	struct timeval tv = {0, 1000};
	int status;

	random_chars(v->lufrag, 8);
	random_chars(v->lpwd, 24);
	snprintf(offer, sizeof(offer),
	    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
	    "a=group:BUNDLE 0 1\r\n"
	    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
	    "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
	    "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:0\r\n"
	    "a=recvonly\r\na=rtcp-mux\r\n"
	    "a=rtpmap:96 H264/90000\r\na=rtcp-fb:96 nack\r\n"
	    "a=rtcp-fb:96 nack pli\r\n"
	    "a=fmtp:96 level-asymmetry-allowed=1;packetization-mode=1;"
	    "profile-level-id=42e01f\r\n"
	    "a=rtpmap:97 H264/90000\r\n"
	    "a=fmtp:97 level-asymmetry-allowed=1;packetization-mode=1;"
	    "profile-level-id=64001f\r\n"
	    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
	    "a=mid:1\r\na=recvonly\r\na=rtcp-mux\r\n"
	    "a=rtpmap:111 opus/48000/2\r\n",
	    v->lufrag, v->lpwd, dtls_fingerprint());
	snprintf(path, sizeof(path), "/whep/%s", name);
	v->posted_us = now_us();
	status = http("POST", path, offer, answer, sizeof(answer), v->location,
	    sizeof(v->location));
	if (status != 201) {
		fprintf(
		    stderr, "viewer %d: POST: %d %s\n", v->i, status, answer);
		return -1;
	}
	if ((p = strstr(answer, "a=ice-ufrag:")) != NULL)
		sscanf(p + 12, "%63[^\r\n]", v->ufrag);
	if ((p = strstr(answer, "a=ice-pwd:")) != NULL)
		sscanf(p + 10, "%63[^\r\n]", v->pwd);
	if ((p = strstr(answer, "a=candidate:")) != NULL)
		sscanf(p, "a=candidate:%*s %*s %*s %*s %63s %15s", cip, cport);
	if (cip[0] == '\0' || getaddrinfo(cip, cport, &hints, &res) != 0) {
		fprintf(stderr, "viewer %d: no candidate\n", v->i);
		return -1;
	}
	v->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (connect(v->fd, res->ai_addr, res->ai_addrlen) == -1)
		err(1, "connect");
	freeaddrinfo(res);
	if ((v->dtls = dtls_new(0, viewer_send, v)) == NULL)
		errx(1, "dtls_new");
	v->ev = event_new(base, v->fd, EV_READ | EV_PERSIST, viewer_read, v);
	event_add(v->ev, NULL);
	v->tick = evtimer_new(base, viewer_tick, v);
	evtimer_add(v->tick, &tv);
	return 0;
}

static void
stop(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopbreak(base);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	struct timeval tv = {0, 0};
	char dir[] = "/tmp/rtc-load.XXXXXX", e[256], out[1024];
	uint64_t received = 0, expected = 0, bytes = 0, nacked = 0, *connect_ms;
	int i, k, live = 0, nconn = 0, secs;

	if (argc != 6)
		errx(2, "usage: rtc-load HOST PORT NAME VIEWERS SECONDS");
	host = argv[1];
	port = argv[2];
	name = argv[3];
	nviewers = atoi(argv[4]);
	secs = atoi(argv[5]);
	if (nviewers < 1 || nviewers > 5000 || secs < 1)
		errx(2, "bad VIEWERS or SECONDS");
	log_init("rtc-load", 1, 0);
	if (mkdtemp(dir) == NULL || dtls_init(dir, 1, e, sizeof(e)) == -1)
		errx(1, "dtls: %s", e);
	if (srtp_lib_init() == -1)
		errx(1, "srtp");
	base = event_base_new();
	viewers = xcalloc((size_t)nviewers, sizeof(*viewers));
	connect_ms = xcalloc((size_t)nviewers, sizeof(*connect_ms));
	for (i = 0; i < nviewers; i++) {
		viewers[i].i = i;
		viewers[i].fd = -1;
		if (viewer_start(&viewers[i]) == -1)
			viewers[i].state = 3;
		/* a little of the loop between POSTs, for the handshakes */
		tv.tv_usec = 20000;
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	tv.tv_sec = secs;
	tv.tv_usec = 0;
	event_base_once(base, -1, EV_TIMEOUT, stop, NULL, &tv);
	event_base_dispatch(base);
	for (i = 0; i < nviewers; i++) {
		struct viewer *v = &viewers[i];

		if (v->state != 2)
			fprintf(stderr,
			    "viewer %d: state %d, %llu STUN answers\n", i,
			    v->state, (unsigned long long)v->stun_ok);
		if (v->state == 2) {
			live++;
			connect_ms[nconn++] =
			    (v->live_us - v->posted_us) / 1000;
		}
		bytes += v->bytes;
		nacked += v->nacked;
		for (k = 0; k < 2; k++)
			if (v->t[k].started) {
				received += v->t[k].received;
				expected += v->t[k].highest - v->t[k].first + 1;
			}
		if (v->location[0] != '\0')
			http("DELETE", v->location, NULL, out, sizeof(out),
			    NULL, 0);
	}
	snprintf(out, sizeof(out), "%s/cert.pem", dir);
	unlink(out);
	snprintf(out, sizeof(out), "%s/key.pem", dir);
	unlink(out);
	rmdir(dir);
	qsort(connect_ms, (size_t)nconn, sizeof(*connect_ms), cmp_u64);
	printf("{\"viewers\":%d,\"live\":%d,\"connect_ms_p50\":%llu,"
	       "\"connect_ms_max\":%llu,\"packets\":%llu,\"expected\":%llu,"
	       "\"lost\":%lld,\"nacked\":%llu,\"mbit_per_viewer\":%.2f}\n",
	    nviewers, live,
	    nconn ? (unsigned long long)connect_ms[nconn / 2] : 0,
	    nconn ? (unsigned long long)connect_ms[nconn - 1] : 0,
	    (unsigned long long)received, (unsigned long long)expected,
	    (long long)expected - (long long)received,
	    (unsigned long long)nacked,
	    live ? bytes * 8.0 / 1e6 / secs / live : 0);
	return live == nviewers ? 0 : 1;
}
