/*
 * nyon-floor: what the kernel costs for unbatched fan-out on this box, the
 * floor every fan-out result in BENCHMARKS.md is compared with.  One
 * process, one thread: an RTMP publisher comes in (ingestd's I/O-free
 * engine, so the publisher side costs what ingestd's does), and each media
 * message goes out as one FLV tag with ONE send() per viewer socket, built
 * once.  No ring, no HTTP parsing, no buffers per viewer beyond a partial
 * tag's remainder.  A viewer gets a fixed response head, the FLV header
 * and the sequence headers, then every tag from the next one on.
 *
 *	nyon-floor RTMP_PORT HTTP_PORT [uring | sendfile | zc]
 *	nyon-floor -c NYON.CONF HTTP_PORT [uring | sendfile | zc]
 *
 * A port is on 127.0.0.1, or given as ADDRESS:PORT for clients on another
 * machine (tests/bench/serve.sh).
 *
 * With "uring", a tag's sends to every viewer
 * are queued as io_uring SEND operations and submitted in one
 * io_uring_enter: the same work in the kernel, one system call per tag
 * instead of one per viewer (BENCHMARKS.md, fan-out CPU, io_uring).
 * "sendfile" does the same for small tags and chunks; those of 16 KiB and
 * more it writes once to a memfd and sends to each viewer with sendfile(),
 * by page reference: no copy per viewer, a system call per viewer
 * (BENCHMARKS.md, fifth round).  "zc" sends those with io_uring's SEND_ZC
 * instead: no copy and no system call per viewer, a notification each.
 *
 * With -c, the floor takes no publisher itself: it follows ingestd's rings
 * (lib/ringsub, as flvd does, ingestd started on NYON.CONF) and sends what
 * each wakeup reads as one chunk, so it costs what Nyon's split into two
 * processes costs, without flvd's HTTP, viewer and buffer logic.
 *
 * Viewers whose socket is full skip whole tags (counted), so the stream
 * they read stays well formed; latency is then the bench's to judge.
 */
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <liburing.h>

#include "nyon.h"
#include "flv.h"
#include "ring.h"
#include "ringsub.h"
#include "rtmp.h"

#define FLOOR_VIEWERS_MAX 4096
#define FLOOR_SNDBUF (128 * 1024) /* as flvd sets it */
#define FLOOR_TAG_MAX (16 * 1024 * 1024)
#define FLOOR_ZEROCOPY_MIN (16 * 1024) /* smaller chunks: one copy is cheaper */
#define FLOOR_ZBUFS 64 /* zc: buffers the kernel may still be sending from */

/* not in every liburing's headers (Linux 6.2) */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

struct zbuf {
	uint8_t *data;
	size_t cap;
	unsigned refs; /* sends whose notification has not come */
};

struct viewer {
	int fd;
	struct event *ev;
	int streaming; /* the request was read and the head sent */
	uint8_t *rest; /* a partial tag's remainder */
	size_t restlen, restoff;
};

static struct {
	struct event_base *base;
	struct viewer *v[FLOOR_VIEWERS_MAX];
	int nv;
	uint8_t *tag; /* the tag being fanned out */
	size_t tagcap;
	uint8_t *seq[3]; /* metadata, video and audio config tags */
	size_t seqlen[3];
	struct rtmp *rtmp;
	int pubfd;
	struct event *pubev;
	unsigned long long tags, sends, skips, enters;
	int uring;
	struct io_uring ring;
	int sendfile, mfd; /* a memfd the big chunks are appended to */
	int zc;
	struct zbuf zb[FLOOR_ZBUFS];
	unsigned long long zc_notifs, zc_copied;
	off_t foff, punched;
	/* -c: ingestd's rings */
	struct conf *conf;
	struct ctl_policy policy;
	struct ringsub *sub;
	struct ringsub_cursor cursor;
	int following; /* a stream is live and ours */
	uint32_t seqver; /* of the ring's slots in seq[] */
	struct ring_tagref refs[256];
} F;

static const char floor_head[] = "HTTP/1.1 200 OK\r\n"
                                 "Content-Type: video/x-flv\r\n"
                                 "Connection: close\r\n\r\n";

static void
floor_viewer_free(struct viewer *v)
{
	int i;

	for (i = 0; i < F.nv; i++)
		if (F.v[i] == v) {
			F.v[i] = F.v[--F.nv];
			break;
		}
	event_free(v->ev);
	close(v->fd);
	free(v->rest);
	free(v);
}

/* Whole tags only: the remainder of a partial send goes first. */
static int
floor_flush_rest(struct viewer *v)
{
	ssize_t n;

	while (v->restoff < v->restlen) {
		n = send(v->fd, v->rest + v->restoff, v->restlen - v->restoff,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		F.sends++;
		if (n == -1)
			return errno == EAGAIN ? 0 : -1;
		v->restoff += (size_t)n;
	}
	free(v->rest);
	v->rest = NULL;
	v->restlen = v->restoff = 0;
	return 1;
}

/*
 * What a send of buf[0..len) to v did, by any of the modes: n bytes, or
 * -1 and err.  A full socket skips the tag; a partial send keeps the rest
 * for v's write event.  0, or -1 if the viewer is gone.
 */
static int
floor_sent(struct viewer *v, const uint8_t *buf, size_t len, ssize_t n, int err)
{
	if (n < 0) {
		if (err != EAGAIN)
			return -1;
		F.skips++;
		return 0;
	}
	if ((size_t)n < len) {
		v->restlen = len - (size_t)n;
		v->rest = xmalloc(v->restlen);
		memcpy(v->rest, buf + n, v->restlen);
		v->restoff = 0;
		event_add(v->ev, NULL);
	}
	return 0;
}

/* 0 sent or skipped, -1 the viewer is gone. */
static int
floor_send(struct viewer *v, const uint8_t *buf, size_t len)
{
	ssize_t n;
	int r;

	if (v->rest != NULL) {
		if ((r = floor_flush_rest(v)) <= 0) {
			F.skips++;
			return r;
		}
	}
	n = send(v->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	F.sends++;
	return floor_sent(v, buf, len, n, errno);
}

static void
floor_viewer_io(evutil_socket_t fd, short what, void *arg)
{
	struct viewer *v = arg;
	uint8_t hdr[FLV_HEADER_LEN];
	char sink[4096];
	ssize_t n;
	int i;

	if (what & EV_READ) {
		n = recv(fd, sink, sizeof(sink), 0);
		if (n == 0 || (n == -1 && errno != EAGAIN)) {
			floor_viewer_free(v);
			return;
		}
		if (!v->streaming) {
			/* the request itself is not looked at */
			v->streaming = 1;
			flv_header(hdr, 1, 1);
			if (send(fd, floor_head, sizeof(floor_head) - 1,
			        MSG_NOSIGNAL) == -1 ||
			    send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL) == -1) {
				floor_viewer_free(v);
				return;
			}
			for (i = 0; i < 3; i++)
				if (F.seq[i] != NULL)
					send(fd, F.seq[i], F.seqlen[i],
					    MSG_NOSIGNAL);
		}
	}
	if ((what & EV_WRITE) && v->rest != NULL && floor_flush_rest(v) == -1)
		floor_viewer_free(v);
}

static void
floor_accept(evutil_socket_t lfd, short what, void *arg)
{
	int one = 1, sndbuf = FLOOR_SNDBUF, fd;
	struct viewer *v;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	if (F.nv == FLOOR_VIEWERS_MAX) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	v = xcalloc(1, sizeof(*v));
	v->fd = fd;
	/* read events persist; write events only while a remainder waits */
	v->ev = event_new(F.base, fd, EV_READ | EV_PERSIST, floor_viewer_io, v);
	event_add(v->ev, NULL);
	F.v[F.nv++] = v;
}

static void
floor_rtmp_send(void *arg, const void *buf, size_t len)
{
	if (send(F.pubfd, buf, len, MSG_NOSIGNAL) == -1)
		log_warn("publisher send");
}

static void
floor_rtmp_publish(void *arg, const char *name)
{
	rtmp_publish_result(F.rtmp, 1, NULL);
}

/*
 * zc: a chunk of FLOOR_ZEROCOPY_MIN or more goes out by SEND_ZC from a
 * buffer of its own, which the kernel reads in place and gives back with
 * a notification per send: the buffer is reused only once all came.
 */
static void
floor_zc_notif(const struct io_uring_cqe *cqe)
{
	F.zc_notifs++;
	if ((uint32_t)cqe->res & IORING_NOTIF_USAGE_ZC_COPIED)
		F.zc_copied++;
	F.zb[(cqe->user_data >> 32) - 1].refs--;
}

/* A free buffer holding buf, or NULL (all still held by the kernel). */
static struct zbuf *
floor_zbuf(const uint8_t *buf, size_t len)
{
	struct io_uring_cqe *cqe;
	struct zbuf *b;
	size_t i;

	/* between fan-outs the ring holds only notifications */
	while (io_uring_peek_cqe(&F.ring, &cqe) == 0) {
		floor_zc_notif(cqe);
		io_uring_cqe_seen(&F.ring, cqe);
	}
	for (i = 0; i < nitems(F.zb); i++) {
		b = &F.zb[i];
		if (b->refs != 0)
			continue;
		if (b->cap < len) {
			free(b->data);
			b->data = xmalloc(len);
			b->cap = len;
		}
		memcpy(b->data, buf, len);
		return b;
	}
	return NULL;
}

/*
 * One tag to every viewer in one io_uring_enter.  A viewer with a partial
 * tag left goes the plain way (rare); the others get a SEND each (SEND_ZC
 * with zc), which the kernel tries at once, non-blocking, as send() would.
 * A completion's data is the viewer's index in F.v (stable until the
 * gone are freed, at the end) and, with SEND_ZC, its buffer's index + 1.
 */
static void
floor_uring_fanout(const uint8_t *buf, size_t taglen)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct viewer *gone[FLOOR_VIEWERS_MAX], *v;
	struct zbuf *b = NULL;
	uint64_t zb = 0;
	int i, r, queued = 0, done = 0, ngone = 0;

	if (F.zc && taglen >= FLOOR_ZEROCOPY_MIN &&
	    (b = floor_zbuf(buf, taglen)) != NULL) {
		buf = b->data;
		b->refs = 1; /* ours, until every result is in */
		zb = (uint64_t)(b - F.zb + 1) << 32;
	}
	for (i = 0; i < F.nv; i++) {
		v = F.v[i];
		if (!v->streaming)
			continue;
		if (v->rest != NULL) {
			if (floor_send(v, buf, taglen) == -1)
				gone[ngone++] = v;
			continue;
		}
		if ((sqe = io_uring_get_sqe(&F.ring)) == NULL)
			break; /* the ring holds FLOOR_VIEWERS_MAX */
		if (b != NULL)
			io_uring_prep_send_zc(sqe, v->fd, buf, taglen,
			    MSG_DONTWAIT | MSG_NOSIGNAL,
			    IORING_SEND_ZC_REPORT_USAGE);
		else
			io_uring_prep_send(sqe, v->fd, buf, taglen,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		sqe->user_data = zb | (uint64_t)i;
		queued++;
	}
	if (queued == 0)
		goto out;
	F.sends += (unsigned long long)queued;
	F.enters++;
	if (io_uring_submit(&F.ring) < 0)
		fatalx("io_uring_submit");
	while (done < queued) {
		if ((r = io_uring_wait_cqe(&F.ring, &cqe)) == -EINTR)
			continue;
		if (r < 0)
			fatalx("io_uring_wait_cqe: %s", strerror(-r));
		if (cqe->flags & IORING_CQE_F_NOTIF) {
			floor_zc_notif(cqe);
			io_uring_cqe_seen(&F.ring, cqe);
			continue;
		}
		done++;
		if (cqe->flags & IORING_CQE_F_MORE)
			F.zb[(cqe->user_data >> 32) - 1].refs++;
		v = F.v[(uint32_t)cqe->user_data];
		if (floor_sent(v, buf, taglen, cqe->res < 0 ? -1 : cqe->res,
		        -cqe->res) == -1)
			gone[ngone++] = v;
		io_uring_cqe_seen(&F.ring, cqe);
	}
out:
	if (b != NULL)
		b->refs--;
	for (i = 0; i < ngone; i++)
		floor_viewer_free(gone[i]);
}

/*
 * sendfile: the chunk is written once to the memfd, at an offset never
 * written again, and each viewer's socket takes it from there by page
 * reference (no copy per viewer).  Old pages are punched out of the file;
 * the kernel keeps those still referenced by unsent or unread skbs.
 */
static void
floor_sendfile_fanout(const uint8_t *buf, size_t len)
{
	struct viewer *v;
	off_t off;
	ssize_t n;
	size_t done;
	int i;

	for (done = 0; done < len; done += (size_t)n)
		if ((n = pwrite(F.mfd, buf + done, len - done,
		         F.foff + (off_t)done)) <= 0)
			fatal("pwrite");
	for (i = 0; i < F.nv;) {
		v = F.v[i];
		if (!v->streaming) {
			i++;
			continue;
		}
		if (v->rest != NULL) {
			if (floor_send(v, buf, len) == -1)
				floor_viewer_free(v);
			else
				i++;
			continue;
		}
		off = F.foff;
		n = sendfile(v->fd, F.mfd, &off, len);
		F.sends++;
		if (floor_sent(v, buf, len, n, errno) == -1)
			floor_viewer_free(v); /* F.v[i] is another now */
		else
			i++;
	}
	F.foff += (off_t)len;
	if (F.foff - F.punched > 2 * 1024 * 1024) {
		off = (F.foff - 1024 * 1024) & ~(off_t)4095;
		if (fallocate(F.mfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		        F.punched, off - F.punched) == -1)
			fatal("fallocate");
		F.punched = off;
	}
}

/* buf to every streaming viewer: one send, or one SEND each in one enter */
static void
floor_fanout(const uint8_t *buf, size_t len)
{
	int i;

	if (F.sendfile && len >= FLOOR_ZEROCOPY_MIN) {
		floor_sendfile_fanout(buf, len);
		return;
	}
	if (F.uring) {
		floor_uring_fanout(buf, len);
		return;
	}
	for (i = 0; i < F.nv;) {
		if (!F.v[i]->streaming) {
			i++;
			continue;
		}
		if (floor_send(F.v[i], buf, len) == -1)
			floor_viewer_free(F.v[i]); /* F.v[i] is another now */
		else
			i++;
	}
}

static void
floor_rtmp_media(
    void *arg, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
	size_t taglen = FLV_TAG_HEADER_LEN + len + 4;
	int flags, slot = -1;

	if (taglen > FLOOR_TAG_MAX)
		return;
	if (taglen > F.tagcap) {
		F.tagcap = taglen;
		if ((F.tag = realloc(F.tag, F.tagcap)) == NULL)
			fatal("realloc");
	}
	flv_tag_header(F.tag, type, (uint32_t)len, ts);
	memcpy(F.tag + FLV_TAG_HEADER_LEN, body, len);
	be32_write(F.tag + FLV_TAG_HEADER_LEN + len,
	    (uint32_t)(len + FLV_TAG_HEADER_LEN));
	flags = flv_classify(type, body, len);
	if (type == FLV_TAG_SCRIPT)
		slot = 0;
	else if (flags & FLV_F_SEQHDR)
		slot = type == FLV_TAG_VIDEO ? 1 : 2;
	if (slot >= 0) {
		free(F.seq[slot]);
		F.seq[slot] = xmalloc(taglen);
		memcpy(F.seq[slot], F.tag, taglen);
		F.seqlen[slot] = taglen;
	}
	F.tags++;
	floor_fanout(F.tag, taglen);
}

static const struct rtmp_cb floor_rtmp_cb = {
    .send = floor_rtmp_send,
    .publish = floor_rtmp_publish,
    .media = floor_rtmp_media,
};

static void
floor_pub_read(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t buf[256 * 1024];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), 0);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n <= 0 || rtmp_feed(F.rtmp, buf, (size_t)n) == -1) {
		event_free(F.pubev);
		close(fd);
		rtmp_free(F.rtmp);
		F.rtmp = NULL;
		F.pubfd = -1;
	}
}

static void
floor_pub_accept(evutil_socket_t lfd, short what, void *arg)
{
	int fd, one = 1;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1)
		return;
	if (F.rtmp != NULL) {
		close(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	F.pubfd = fd;
	F.rtmp = rtmp_new(&floor_rtmp_cb, NULL, NULL);
	F.pubev =
	    event_new(F.base, fd, EV_READ | EV_PERSIST, floor_pub_read, NULL);
	event_add(F.pubev, NULL);
}

/* -c: the first live stream is the one fanned out */
static void *
floor_ring_live(struct ringsub_stream *rs, void *arg)
{
	if (F.following)
		return NULL;
	F.following = 1;
	F.seqver = ring_seq_version(ringsub_ring(rs)) - 1; /* read them */
	ringsub_cursor_start(rs, &F.cursor, RING_START_LIVE);
	return &F;
}

/*
 * Everything this wakeup finds goes out as one chunk, as flvd sends it; the
 * joining viewers' sequence headers are taken from the ring's slots.
 */
static void
floor_ring_data(struct ringsub_stream *rs, void *state, void *arg)
{
	static const enum ring_slot slots[3] = {
	    RING_SLOT_META, RING_SLOT_VIDEO, RING_SLOT_AUDIO};
	size_t len, nrefs;
	int i, resynced;

	if (F.seqver != ring_seq_version(ringsub_ring(rs))) {
		F.seqver = ring_seq_version(ringsub_ring(rs));
		for (i = 0; i < 3; i++) {
			free(F.seq[i]);
			F.seq[i] = xmalloc(RING_META_MAX);
			if (ring_seqhdr(ringsub_ring(rs), slots[i], F.seq[i],
			        RING_META_MAX, &F.seqlen[i]) == -1) {
				free(F.seq[i]);
				F.seq[i] = NULL;
			}
		}
	}
	/* room for the largest tag this ring takes: ringsub_read never fails */
	if (F.tagcap < ring_max_tag(ringsub_ring(rs))) {
		F.tagcap = ring_max_tag(ringsub_ring(rs));
		if ((F.tag = realloc(F.tag, F.tagcap)) == NULL)
			fatal("realloc");
	}
	for (;;) {
		if (ringsub_read(rs, &F.cursor, F.tag, F.tagcap, &len, F.refs,
		        nitems(F.refs), &nrefs, &resynced) == -1)
			fatal("ringsub_read");
		if (nrefs == 0)
			return;
		F.tags += nrefs;
		floor_fanout(F.tag, len);
	}
}

static void
floor_ring_ended(struct ringsub_stream *rs, void *state, void *arg)
{
	floor_ring_data(rs, state, arg);
	F.following = 0;
}

static const struct ringsub_cb floor_ring_cb = {
    .live = floor_ring_live,
    .data = floor_ring_data,
    .ended = floor_ring_ended,
};

/* PORT on 127.0.0.1, or ADDRESS:PORT (IPv4) */
static int
floor_listen(const char *port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	const char *colon = strrchr(port, ':');
	char addr[INET_ADDRSTRLEN];
	int fd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (colon != NULL) {
		if ((size_t)(colon - port) >= sizeof(addr))
			fatalx("%s: not ADDRESS:PORT", port);
		memcpy(addr, port, (size_t)(colon - port));
		addr[colon - port] = '\0';
		if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
			fatalx("%s: not an IPv4 address", addr);
		port = colon + 1;
	}
	sin.sin_port = htons((uint16_t)atoi(port));
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, SOMAXCONN) == -1)
		fatal("listen on %s", port);
	return fd;
}

static void
floor_stop(evutil_socket_t sig, short what, void *arg)
{
	event_base_loopbreak(F.base);
}

int
main(int argc, char *argv[])
{
	struct event *ev[4];
	char err[256];
	int i, c = 0;

	if (argc > 1 && strcmp(argv[1], "-c") == 0) {
		c = 1;
		argc--, argv++;
	}
	/* every mode sends through the ring, sendfile's small chunks too */
	F.uring = argc == 4;
	F.sendfile = F.uring && strcmp(argv[3], "sendfile") == 0;
	F.zc = F.uring && strcmp(argv[3], "zc") == 0;
	if (argc < 3 || argc > 4 ||
	    (F.uring && !F.sendfile && !F.zc &&
	        strcmp(argv[3], "uring") != 0)) {
		fprintf(stderr,
		    "usage: nyon-floor RTMP_PORT HTTP_PORT [uring | sendfile | zc]\n"
		    "       nyon-floor -c NYON.CONF HTTP_PORT "
		    "[uring | sendfile | zc]\n");
		return 2;
	}
	if (F.sendfile &&
	    (F.mfd = memfd_create("nyon-floor", MFD_CLOEXEC)) == -1)
		fatal("memfd_create");
	if (F.uring) {
		struct io_uring_params p = {.flags = IORING_SETUP_COOP_TASKRUN};

		if (io_uring_queue_init_params(FLOOR_VIEWERS_MAX, &F.ring, &p) <
		    0)
			fatalx("io_uring_queue_init_params");
	}
	log_init("nyon-floor", 1, 0);
	signal(SIGPIPE, SIG_IGN);
	F.base = event_base_new();
	F.pubfd = -1;
	if (c) {
		if ((F.conf = conf_load(argv[1], err, sizeof(err))) == NULL ||
		    ctl_policy_conf(F.conf, &F.policy, err, sizeof(err)) == -1)
			fatalx("%s", err);
		F.sub = ringsub_new(
		    F.base, F.conf, &F.policy, &floor_ring_cb, NULL);
		ev[0] = NULL;
	} else
		ev[0] = event_new(F.base, floor_listen(argv[1]),
		    EV_READ | EV_PERSIST, floor_pub_accept, NULL);
	ev[1] = event_new(F.base, floor_listen(argv[2]), EV_READ | EV_PERSIST,
	    floor_accept, NULL);
	ev[2] = evsignal_new(F.base, SIGTERM, floor_stop, NULL);
	ev[3] = evsignal_new(F.base, SIGINT, floor_stop, NULL);
	for (i = 0; i < 4; i++)
		if (ev[i] != NULL)
			event_add(ev[i], NULL);
	event_base_dispatch(F.base);
	fprintf(stderr,
	    "nyon-floor: %llu tags, %llu sends, %llu skipped, %llu "
	    "io_uring_enter\n",
	    F.tags, F.sends, F.skips, F.enters);
	if (F.zc)
		fprintf(stderr,
		    "nyon-floor: %llu zero-copy notifications, %llu of them "
		    "for sends the kernel copied after all\n",
		    F.zc_notifs, F.zc_copied);
	return 0;
}
