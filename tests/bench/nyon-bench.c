/*
 * nyon-bench: one RTMP publisher, N HTTP-FLV viewers, and what the server
 * in between adds.  Server-agnostic: it speaks plain RTMP in and HTTP-FLV
 * out, and matches every tag a viewer receives to the moment the publisher
 * wrote it by a hash of the tag body (servers may rewrite timestamps).
 *
 *	nyon-bench --publish rtmp://H:P/APP/KEY --play http://H:Q/PATH.flv
 *	    --input FILE.flv [--viewers N] [--duration S] [--stagger-ms MS]
 *	    [--warmup S] [--pid PID]... [--json]
 *
 * The publisher sends FILE's tags paced by their timestamps, looped with
 * the timestamps carrying on; sequence headers and metadata go out once.
 * Everything runs on one libevent loop; reads are large, bodies are hashed
 * incrementally a word at a time, and nothing is copied per viewer.
 *
 * Latency: a viewer's receive time of a tag (when its last byte was read)
 * minus the publisher's send time (when its last byte went into the
 * kernel), CLOCK_MONOTONIC.  Only tags sent after the viewer connected
 * count, and not during its first 2 s (the fast-start burst).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "nyon.h"
#include "amf0.h"
#include "flv.h"

#define BENCH_READ_SIZE (256 * 1024)
#define BENCH_CHUNK_SIZE 4096
#define BENCH_PIDS_MAX 8
#define BENCH_SETTLE_US 2000000 /* a viewer's first 2 s are not measured */
#define BENCH_GRACE_US \
	1000000 /* tags sent in the last second may be in flight */
#define BENCH_DUP_WINDOW_US 10000000 /* same body twice within: ambiguous */
#define HASH_SLOTS (1u << 20)
#define CSID_MAX 64

/* ---------------------------------------------------------------- hash */

/* A cheap streaming hash over 8-byte words; same result for any split. */
struct bhash {
	uint64_t h;
	uint64_t len;
	uint8_t carry[8];
	unsigned ncarry;
};

#define BH_K1 0x9e3779b97f4a7c15ULL
#define BH_K2 0xc2b2ae3d27d4eb4fULL

static inline uint64_t
bh_rotl(uint64_t x, int r)
{
	return x << r | x >> (64 - r);
}

static inline void
bh_word(struct bhash *b, uint64_t w)
{
	b->h = bh_rotl(b->h ^ (w * BH_K1), 31) * BH_K2;
}

static void
bh_init(struct bhash *b, uint8_t type)
{
	b->h = 0x6a09e667f3bcc908ULL ^ type;
	b->len = 0;
	b->ncarry = 0;
}

static void
bh_update(struct bhash *b, const uint8_t *p, size_t n)
{
	uint64_t w;

	b->len += n;
	if (b->ncarry > 0) {
		while (n > 0 && b->ncarry < 8) {
			b->carry[b->ncarry++] = *p++;
			n--;
		}
		if (b->ncarry < 8)
			return;
		memcpy(&w, b->carry, 8);
		bh_word(b, w);
		b->ncarry = 0;
	}
	while (n >= 8) {
		memcpy(&w, p, 8);
		bh_word(b, w);
		p += 8;
		n -= 8;
	}
	memcpy(b->carry, p, n);
	b->ncarry = (unsigned)n;
}

static uint64_t
bh_final(struct bhash *b)
{
	uint64_t w = 0, h;

	memcpy(&w, b->carry, b->ncarry);
	bh_word(b, w ^ b->len);
	h = b->h;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h ? h : 1;
}

static uint64_t
bh_buf(uint8_t type, const uint8_t *p, size_t n)
{
	struct bhash b;

	bh_init(&b, type);
	bh_update(&b, p, n);
	return bh_final(&b);
}

/* ------------------------------------------------------------- state */

struct intag {
	uint8_t type;
	uint32_t ts;
	uint32_t size;
	const uint8_t *body;
	int once; /* metadata and sequence headers: first loop only */
	int skip; /* end of sequence: never */
	uint64_t hash;
};

struct sent {
	uint64_t hash;
	int64_t send_us; /* 0 until its last byte is written */
	uint8_t dup; /* the same body was sent within BENCH_DUP_WINDOW_US */
};

struct pending {
	uint64_t end; /* byte count after the tag's last byte */
	uint32_t seq;
};

struct chunkstream {
	uint32_t ts, len, got;
	uint8_t type;
	uint8_t *buf;
	size_t cap;
};

enum pub_state { PUB_HS, PUB_CONNECT, PUB_CREATE, PUB_PUBLISH, PUB_LIVE };

struct publisher {
	int fd;
	enum pub_state state;
	struct event *rev, *wev, *timer;
	struct evbuffer *in, *out;
	char host[64], app[128], key[256], tcurl[512];
	int port;
	uint32_t stream_id;
	/* incoming chunk stream */
	uint32_t in_chunk;
	struct chunkstream cs[CSID_MAX];
	uint32_t last_csid;
	/* pacing */
	size_t next; /* index into the input's tags */
	uint32_t loop;
	int64_t t0_us; /* wall time of timestamp 0 */
	uint64_t queued, written; /* bytes */
	struct pending *pend;
	size_t npend, pendhead, pendcap;
	uint64_t media_bytes; /* FLV tag bytes sent (header + body) */
	int64_t live_us;
};

enum v_state {
	V_CONNECTING,
	V_HEAD,
	V_FLVHDR,
	V_TAGHDR,
	V_BODY,
	V_PREV,
	V_DONE,
	V_FAILED
};

struct viewer {
	int id;
	int fd;
	enum v_state state;
	struct event *ev;
	char head[4096];
	size_t headlen;
	uint8_t fixed[16];
	size_t fixedlen;
	uint8_t tagtype;
	uint32_t body_left, body_size;
	uint8_t first[2]; /* first body bytes: frame type, packet type */
	uint64_t lat_sum; /* of this viewer's latency samples, us */
	uint32_t lat_n;
	struct bhash bh;
	int64_t join_us, first_tag_us, first_key_us;
	int64_t connected_us; /* TCP established, request sent */
	uint32_t join_seq; /* the first tag sent after the request */
	uint64_t bytes, bytes_steady;
	uint64_t tags, unmatched, early;
	uint8_t *seen; /* bitmap over seq - join_seq */
	size_t seencap;
	char why[128];
	/* Transfer-Encoding: chunked (SRS sends HTTP-FLV so) */
	int chunked;
	int chunk_state; /* 0 size line, 1 data, 2 the CRLF after data */
	size_t chunk_left;
	char chunk_line[24];
	size_t chunk_linelen;
};

struct sample {
	pid_t pid;
	char name[32];
	uint64_t ticks0, ticks; /* utime + stime */
	int64_t t0_us, t_us;
	uint64_t rss_kb, rss_max_kb, rss_sum_kb, rss_base_kb;
	unsigned nrss;
	int ok;
};

static struct {
	struct event_base *base;
	/* options */
	const char *publish, *play, *input;
	int nviewers, duration, stagger_ms, json, warmup_ms;
	struct sample pids[BENCH_PIDS_MAX];
	int npids;
	/* input */
	uint8_t *file;
	size_t filelen;
	struct intag *tags;
	size_t ntags;
	uint32_t loop_ms;
	uint64_t file_media_bytes;
	/* sent tags */
	struct sent *sent;
	size_t nsent, sentcap;
	uint32_t *slots; /* seq + 1, 0 empty */
	size_t nslots_used;
	/* viewers */
	struct publisher pub;
	struct viewer *v;
	int njoined;
	char play_host[64], play_path[512];
	int play_port;
	struct sockaddr_in play_sa;
	uint32_t *lat;
	size_t nlat, latcap;
	int64_t viewers_start_us, end_us;
	struct event *join_timer, *sample_timer, *end_timer, *sigint;
	struct rusage ru0;
	int64_t ru0_us;
	uint8_t rbuf[BENCH_READ_SIZE];
	int failed;
	const char *fail_why;
} B;

static void pub_pump(void);
static void pub_flush(void);

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "nyon-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static int64_t
mono_us(void)
{
	return (int64_t)now_us();
}

/* ------------------------------------------------------------- input */

static void
input_load(const char *path)
{
	FILE *f;
	struct stat st;
	size_t off, cap = 0, nvideo = 0;
	uint32_t maxts = 0;
	struct flv_tag t;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1)
		die("%s: %s", path, strerror(errno));
	B.filelen = (size_t)st.st_size;
	B.file = xmalloc(B.filelen + 1);
	if (fread(B.file, 1, B.filelen, f) != B.filelen)
		die("%s: short read", path);
	fclose(f);
	if (B.filelen < FLV_HEADER_LEN || memcmp(B.file, "FLV", 3) != 0)
		die("%s: not an FLV file", path);
	off = be32_read(B.file + 5) + 4;
	while (off + FLV_TAG_HEADER_LEN <= B.filelen) {
		const uint8_t *h = B.file + off;
		struct intag *it;

		t.type = h[0] & 0x1f;
		t.size = be24_read(h + 1);
		t.timestamp = be24_read(h + 4) | (uint32_t)h[7] << 24;
		if (off + FLV_TAG_HEADER_LEN + t.size > B.filelen)
			break;
		if (B.ntags == cap) {
			cap = cap ? cap * 2 : 1024;
			B.tags = xreallocarray(B.tags, cap, sizeof(*B.tags));
		}
		it = &B.tags[B.ntags];
		memset(it, 0, sizeof(*it));
		it->type = t.type;
		it->ts = t.timestamp;
		it->size = t.size;
		it->body = h + FLV_TAG_HEADER_LEN;
		off += FLV_TAG_HEADER_LEN + t.size + 4;
		if (t.size == 0 ||
		    (t.type != FLV_TAG_AUDIO && t.type != FLV_TAG_VIDEO &&
		        t.type != FLV_TAG_SCRIPT))
			continue;
		if (t.type == FLV_TAG_SCRIPT ||
		    (flv_classify(t.type, it->body, t.size) & FLV_F_SEQHDR))
			it->once = 1;
		/* AVC end of sequence would make players reset */
		if (t.type == FLV_TAG_VIDEO && t.size >= 2 &&
		    (it->body[0] & 0x0f) == 7 && it->body[1] == 2)
			it->skip = 1;
		it->hash = bh_buf(t.type, it->body, t.size);
		if (t.type == FLV_TAG_VIDEO && !it->once && !it->skip)
			nvideo++;
		if (!it->skip && t.timestamp > maxts)
			maxts = t.timestamp;
		if (!it->once && !it->skip)
			B.file_media_bytes += FLV_TAG_HEADER_LEN + t.size;
		B.ntags++;
	}
	if (B.ntags == 0)
		die("%s: no tags", path);
	/* one frame interval after the last timestamp */
	B.loop_ms = maxts + (nvideo > 1 ? maxts / (uint32_t)(nvideo - 1) : 40);
}

/* -------------------------------------------------------- sent table */

static struct sent *
sent_find(uint64_t hash, uint32_t *seq)
{
	size_t i = hash & (HASH_SLOTS - 1);

	for (;;) {
		uint32_t s = B.slots[i];

		if (s == 0)
			return NULL;
		if (B.sent[s - 1].hash == hash) {
			*seq = s - 1;
			return &B.sent[s - 1];
		}
		i = (i + 1) & (HASH_SLOTS - 1);
	}
}

static uint32_t
sent_add(uint64_t hash)
{
	size_t i = hash & (HASH_SLOTS - 1);
	uint32_t seq;
	int64_t now = mono_us();
	struct sent *s;

	if (B.nsent == B.sentcap) {
		B.sentcap = B.sentcap ? B.sentcap * 2 : 4096;
		B.sent = xreallocarray(B.sent, B.sentcap, sizeof(*B.sent));
	}
	seq = (uint32_t)B.nsent++;
	s = &B.sent[seq];
	s->hash = hash;
	s->send_us = 0;
	s->dup = 0;
	for (;;) {
		uint32_t o = B.slots[i];

		if (o == 0) {
			if (B.nslots_used >= HASH_SLOTS / 4 * 3) {
				/* no room: this tag cannot be matched */
				s->dup = 1;
				return seq;
			}
			B.nslots_used++;
			B.slots[i] = seq + 1;
			return seq;
		}
		if (B.sent[o - 1].hash == hash) {
			/* the same body again (the input loops) */
			if (B.sent[o - 1].send_us == 0 ||
			    now - B.sent[o - 1].send_us < BENCH_DUP_WINDOW_US)
				s->dup = B.sent[o - 1].dup = 1;
			B.slots[i] = seq + 1;
			return seq;
		}
		i = (i + 1) & (HASH_SLOTS - 1);
	}
}

/* ---------------------------------------------------------- publisher */

static void
url_split(const char *url, const char *scheme, char *host, size_t hostlen,
    int *port, char *path, size_t pathlen, int defport)
{
	const char *p, *slash, *colon;
	size_t n;

	n = strlen(scheme);
	if (strncmp(url, scheme, n) != 0)
		die("%s: expected %s...", url, scheme);
	p = url + n;
	if ((slash = strchr(p, '/')) == NULL)
		die("%s: no path", url);
	colon = memchr(p, ':', (size_t)(slash - p));
	n = (size_t)((colon ? colon : slash) - p);
	if (n == 0 || n >= hostlen)
		die("%s: bad host", url);
	memcpy(host, p, n);
	host[n] = '\0';
	*port = colon ? atoi(colon + 1) : defport;
	if (*port <= 0 || *port > 65535)
		die("%s: bad port", url);
	if (strlcpy(path, slash, pathlen) >= pathlen)
		die("%s: path too long", url);
}

static int
tcp_connect(const char *host, int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die("%s: give a numeric IPv4 address", host);
	if ((fd = socket(
	         AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
	    errno != EINPROGRESS)
		return -1;
	return fd;
}

/* One RTMP message, chunked; the body is referenced, not copied. */
static void
pub_message(uint32_t csid, uint8_t type, uint32_t ts, uint32_t stream,
    const uint8_t *body, size_t len, const uint8_t *prefix, size_t plen)
{
	struct publisher *p = &B.pub;
	uint8_t h[16];
	size_t hl, total = plen + len, done = 0, n;
	int ext = ts >= 0xffffff;

	h[0] = (uint8_t)csid; /* fmt 0, csid < 64 */
	be24_write(h + 1, ext ? 0xffffff : ts);
	be24_write(h + 4, (uint32_t)total);
	h[7] = type;
	h[8] = stream & 0xff; /* little endian */
	h[9] = (stream >> 8) & 0xff;
	h[10] = (stream >> 16) & 0xff;
	h[11] = stream >> 24;
	hl = 12;
	if (ext) {
		be32_write(h + 12, ts);
		hl = 16;
	}
	evbuffer_add(p->out, h, hl);
	p->queued += hl;
	while (done < total) {
		if (done > 0) {
			h[0] = 0xc0 | (uint8_t)csid; /* fmt 3 */
			if (ext) {
				be32_write(h + 1, ts);
				evbuffer_add(p->out, h, 5);
				p->queued += 5;
			} else {
				evbuffer_add(p->out, h, 1);
				p->queued += 1;
			}
		}
		n = total - done;
		if (n > BENCH_CHUNK_SIZE)
			n = BENCH_CHUNK_SIZE;
		/* the prefix is small and goes first */
		if (done < plen) {
			size_t a = plen - done < n ? plen - done : n;

			evbuffer_add(p->out, prefix + done, a);
			if (n > a)
				evbuffer_add_reference(
				    p->out, body, n - a, NULL, NULL);
		} else
			evbuffer_add_reference(
			    p->out, body + (done - plen), n, NULL, NULL);
		p->queued += n;
		done += n;
	}
}

static void
pub_command(struct amf0_buf *b, uint32_t stream)
{
	pub_message(3, 20, 0, stream, b->data, b->len, NULL, 0);
	pub_flush();
	/* b->data is referenced until written: commands are tiny, flushed */
}

static void
pub_send_connect(void)
{
	static struct amf0_buf b;
	uint8_t scs[4];

	be32_write(scs, BENCH_CHUNK_SIZE);
	pub_message(2, 1, 0, 0, NULL, 0, scs, 4);
	amf0_buf_reset(&b);
	amf0_put_string(&b, "connect");
	amf0_put_number(&b, 1);
	amf0_put_object(&b);
	amf0_put_key(&b, "app");
	amf0_put_string(&b, B.pub.app);
	amf0_put_key(&b, "type");
	amf0_put_string(&b, "nonprivate");
	amf0_put_key(&b, "flashVer");
	amf0_put_string(&b, "FMLE/3.0 (compatible; nyon-bench)");
	amf0_put_key(&b, "tcUrl");
	amf0_put_string(&b, B.pub.tcurl);
	amf0_put_object_end(&b);
	pub_command(&b, 0);
}

static void
pub_send_create(void)
{
	static struct amf0_buf b;

	amf0_buf_reset(&b);
	amf0_put_string(&b, "createStream");
	amf0_put_number(&b, 2);
	amf0_put_null(&b);
	pub_command(&b, 0);
}

static void
pub_send_publish(void)
{
	static struct amf0_buf b;

	amf0_buf_reset(&b);
	amf0_put_string(&b, "publish");
	amf0_put_number(&b, 3);
	amf0_put_null(&b);
	amf0_put_string(&b, B.pub.key);
	amf0_put_string(&b, "live");
	pub_command(&b, B.pub.stream_id);
}

/* Stamps the tags whose last byte is now in the kernel. */
static void
pub_stamp(void)
{
	struct publisher *p = &B.pub;
	int64_t now = 0;

	while (p->npend > 0) {
		struct pending *e = &p->pend[p->pendhead];

		if (e->end > p->written)
			break;
		if (now == 0)
			now = mono_us();
		B.sent[e->seq].send_us = now;
		p->pendhead = (p->pendhead + 1) % p->pendcap;
		p->npend--;
	}
}

static void
pub_flush(void)
{
	struct publisher *p = &B.pub;
	int n;

	while (evbuffer_get_length(p->out) > 0) {
		n = evbuffer_write(p->out, p->fd);
		if (n > 0) {
			p->written += (uint64_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		die("publisher: write: %s",
		    n == 0 ? "connection closed" : strerror(errno));
	}
	pub_stamp();
	if (evbuffer_get_length(p->out) > 0)
		event_add(p->wev, NULL);
}

static void
pub_pending(uint32_t seq)
{
	struct publisher *p = &B.pub;

	if (p->npend == p->pendcap) {
		size_t ncap = p->pendcap ? p->pendcap * 2 : 1024, i;
		struct pending *np = xreallocarray(NULL, ncap, sizeof(*np));

		for (i = 0; i < p->npend; i++)
			np[i] = p->pend[(p->pendhead + i) % p->pendcap];
		free(p->pend);
		p->pend = np;
		p->pendcap = ncap;
		p->pendhead = 0;
	}
	p->pend[(p->pendhead + p->npend) % p->pendcap] =
	    (struct pending){p->queued, seq};
	p->npend++;
}

static void
pub_send_tag(const struct intag *t, uint32_t ts)
{
	static const uint8_t sdf[16] = {AMF0_STRING, 0, 13, '@', 's', 'e', 't',
	    'D', 'a', 't', 'a', 'F', 'r', 'a', 'm', 'e'};
	uint32_t csid = t->type == FLV_TAG_AUDIO ? 4
	    : t->type == FLV_TAG_VIDEO           ? 6
	                                         : 5;

	if (t->type == FLV_TAG_SCRIPT)
		pub_message(csid, 18, ts, B.pub.stream_id, t->body, t->size,
		    sdf, sizeof(sdf));
	else
		pub_message(csid, t->type, ts, B.pub.stream_id, t->body,
		    t->size, NULL, 0);
	pub_pending(sent_add(t->hash));
	B.pub.media_bytes += FLV_TAG_HEADER_LEN + t->size;
}

/* Sends every tag that is due, then sleeps until the next one. */
static void
pub_pump(void)
{
	struct publisher *p = &B.pub;
	int64_t now = mono_us(), due, wait;
	struct timeval tv;

	for (;;) {
		const struct intag *t;

		if (p->next == B.ntags) {
			p->next = 0;
			p->loop++;
		}
		t = &B.tags[p->next];
		if (t->skip || (t->once && p->loop > 0)) {
			p->next++;
			continue;
		}
		due = p->t0_us + ((int64_t)p->loop * B.loop_ms + t->ts) * 1000;
		if (due > now)
			break;
		pub_send_tag(t, p->loop * B.loop_ms + t->ts);
		p->next++;
	}
	pub_flush();
	wait = due - now;
	tv.tv_sec = wait / 1000000;
	tv.tv_usec = wait % 1000000;
	evtimer_add(p->timer, &tv);
}

static void
pub_timer(evutil_socket_t fd, short what, void *arg)
{
	pub_pump();
}

static void
pub_write_ready(evutil_socket_t fd, short what, void *arg)
{
	pub_flush();
}

/* A complete message from the server. */
static void
pub_server_message(uint8_t type, const uint8_t *b, size_t len)
{
	struct publisher *p = &B.pub;
	struct amf0_value v[5];
	const char *code;
	size_t off = 0, nv = 0, i;
	ssize_t n;

	if (type == 1 && len >= 4) {
		p->in_chunk = be32_read(b) & 0x7fffffff;
		if (p->in_chunk == 0)
			die("publisher: server set chunk size 0");
		return;
	}
	if (type != 20)
		return;
	memset(v, 0, sizeof(v));
	while (nv < nitems(v) && off < len &&
	    (n = amf0_decode(b + off, len - off, &v[nv])) > 0) {
		off += (size_t)n;
		nv++;
	}
	if (nv < 2 || v[0].type != AMF0_STRING)
		goto out;
	if (strcmp(v[0].str, "_error") == 0)
		die("publisher: server refused (%s)",
		    nv > 3 && amf0_get_str(&v[3], "description")
		        ? amf0_get_str(&v[3], "description")
		        : "_error");
	if (strcmp(v[0].str, "_result") == 0 && v[1].num == 1 &&
	    p->state == PUB_CONNECT) {
		p->state = PUB_CREATE;
		pub_send_create();
	} else if (strcmp(v[0].str, "_result") == 0 && v[1].num == 2 &&
	    p->state == PUB_CREATE) {
		p->stream_id =
		    nv > 3 && v[3].type == AMF0_NUMBER ? (uint32_t)v[3].num : 1;
		p->state = PUB_PUBLISH;
		pub_send_publish();
	} else if (strcmp(v[0].str, "onStatus") == 0 && nv > 3) {
		code = amf0_get_str(&v[3], "code");
		if (code == NULL)
			goto out;
		if (strcmp(code, "NetStream.Publish.Start") == 0 &&
		    p->state == PUB_PUBLISH) {
			p->state = PUB_LIVE;
			p->live_us = p->t0_us = mono_us();
			pub_pump();
		} else if (strstr(code, "Publish.") != NULL ||
		    strstr(code, "Unpublish") != NULL)
			die("publisher: %s (%s)", code,
			    amf0_get_str(&v[3], "description")
			        ? amf0_get_str(&v[3], "description")
			        : "");
	}
out:
	for (i = 0; i < nv; i++)
		amf0_free(&v[i]);
}

/* The server's chunk stream: small, so parsed from an evbuffer. */
static void
pub_parse(void)
{
	struct publisher *p = &B.pub;
	struct chunkstream *cs;
	uint8_t h[18];
	size_t avail, need, mh;
	uint32_t csid, n;
	int fmt;

	for (;;) {
		avail = evbuffer_get_length(p->in);
		if (avail < 1)
			return;
		evbuffer_copyout(
		    p->in, h, avail < sizeof(h) ? avail : sizeof(h));
		fmt = h[0] >> 6;
		csid = h[0] & 0x3f;
		if (csid < 2)
			die("publisher: server uses chunk stream ids >= 64");
		mh = fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0;
		need = 1 + mh;
		if (avail < need)
			return;
		cs = &p->cs[csid];
		{
			uint32_t tsf = mh >= 3 ? be24_read(h + 1) : 0;
			int ext = tsf == 0xffffff;

			if (ext)
				need += 4;
			if (avail < need)
				return;
			if (fmt <= 1) {
				cs->len = be24_read(h + 4);
				cs->type = h[7];
			}
			if (cs->got == 0 && fmt < 3)
				cs->ts = ext ? be32_read(h + 1 + mh) : tsf;
		}
		n = cs->len - cs->got;
		if (n > p->in_chunk)
			n = p->in_chunk;
		if (avail < need + n)
			return;
		evbuffer_drain(p->in, need);
		if (cs->cap < cs->len) {
			cs->cap = cs->len;
			cs->buf = realloc(cs->buf, cs->cap ? cs->cap : 1);
		}
		evbuffer_remove(p->in, cs->buf + cs->got, n);
		cs->got += n;
		if (cs->got == cs->len) {
			cs->got = 0;
			pub_server_message(cs->type, cs->buf, cs->len);
		}
	}
}

static void
pub_read(evutil_socket_t fd, short what, void *arg)
{
	struct publisher *p = &B.pub;
	int n;
	uint8_t c2[1536];

	n = evbuffer_read(p->in, fd, 65536);
	if (n == 0)
		die("publisher: the server closed the connection");
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		die("publisher: read: %s", strerror(errno));
	}
	if (p->state == PUB_HS) {
		if (evbuffer_get_length(p->in) < 1 + 1536 + 1536)
			return;
		evbuffer_drain(p->in, 1);
		evbuffer_remove(p->in, c2, sizeof(c2)); /* S1, echoed as C2 */
		evbuffer_drain(p->in, 1536); /* S2 */
		evbuffer_add(p->out, c2, sizeof(c2));
		p->queued += sizeof(c2);
		p->state = PUB_CONNECT;
		pub_send_connect();
	}
	pub_parse();
}

static void
pub_start(void)
{
	struct publisher *p = &B.pub;
	char path[512], *slash;
	uint8_t c01[1 + 1536];
	size_t i;

	url_split(B.publish, "rtmp://", p->host, sizeof(p->host), &p->port,
	    path, sizeof(path), 1935);
	if ((slash = strrchr(path, '/')) == NULL || slash == path ||
	    slash[1] == '\0')
		die("%s: expected rtmp://HOST:PORT/APP/KEY", B.publish);
	*slash = '\0';
	strlcpy(p->key, slash + 1, sizeof(p->key));
	strlcpy(p->app, path + 1, sizeof(p->app));
	snprintf(p->tcurl, sizeof(p->tcurl), "rtmp://%s:%d/%s", p->host,
	    p->port, p->app);
	if ((p->fd = tcp_connect(p->host, p->port)) == -1)
		die("publisher: connect: %s", strerror(errno));
	p->in = evbuffer_new();
	p->out = evbuffer_new();
	p->in_chunk = 128;
	p->rev = event_new(B.base, p->fd, EV_READ | EV_PERSIST, pub_read, NULL);
	p->wev = event_new(B.base, p->fd, EV_WRITE, pub_write_ready, NULL);
	p->timer = evtimer_new(B.base, pub_timer, NULL);
	event_add(p->rev, NULL);
	/* plain handshake: C0, C1 with zero time and version */
	c01[0] = 3;
	memset(c01 + 1, 0, 8);
	for (i = 9; i < sizeof(c01); i++)
		c01[i] = (uint8_t)(i * 131 + 7);
	evbuffer_add(p->out, c01, sizeof(c01));
	p->queued += sizeof(c01);
	p->state = PUB_HS;
	pub_flush(); /* the connect may still be in progress: EAGAIN is fine */
}

/* ------------------------------------------------------------ viewers */

static void
viewer_fail(struct viewer *v, const char *why)
{
	if (v->state == V_FAILED || v->state == V_DONE)
		return;
	snprintf(v->why, sizeof(v->why), "%s", why);
	v->state = V_FAILED;
	event_del(v->ev);
	close(v->fd);
	v->fd = -1;
}

static void
viewer_mark(struct viewer *v, uint32_t seq)
{
	size_t bit = seq - v->join_seq, byte = bit / 8;

	if (byte >= v->seencap) {
		size_t ncap = v->seencap ? v->seencap * 2 : 256;

		while (ncap <= byte)
			ncap *= 2;
		v->seen = realloc(v->seen, ncap);
		if (v->seen == NULL)
			die("out of memory");
		memset(v->seen + v->seencap, 0, ncap - v->seencap);
		v->seencap = ncap;
	}
	v->seen[byte] |= (uint8_t)(1u << (bit & 7));
}

static void
viewer_tag_done(struct viewer *v, int64_t now)
{
	uint64_t h = bh_final(&v->bh);
	struct sent *s;
	uint32_t seq;

	v->tags++;
	if (v->first_tag_us == 0)
		v->first_tag_us = now;
	if (v->first_key_us == 0 && v->tagtype == FLV_TAG_VIDEO &&
	    v->body_size >= 2 && (v->first[0] >> 4 & 7) == 1 &&
	    ((v->first[0] & 0x80)
	            ? (v->first[0] & 0x0f) != 0
	            : (v->first[0] & 0x0f) != 7 || v->first[1] == 1))
		v->first_key_us = now;
	if ((s = sent_find(h, &seq)) == NULL || s->send_us == 0) {
		v->unmatched++;
		return;
	}
	if (seq < v->join_seq) {
		v->early++;
		return;
	}
	viewer_mark(v, seq);
	if (s->dup || now < v->join_us + BENCH_SETTLE_US || now > B.end_us)
		return;
	if (B.nlat == B.latcap) {
		B.latcap = B.latcap ? B.latcap * 2 : 65536;
		B.lat = xreallocarray(B.lat, B.latcap, sizeof(*B.lat));
	}
	B.lat[B.nlat++] = (uint32_t)(now - s->send_us);
	v->lat_sum += (uint64_t)(now - s->send_us);
	v->lat_n++;
}

static int viewer_flv(struct viewer *, const uint8_t *, size_t, int64_t);

/* Takes the body apart from its chunked framing; -1 if it failed. */
static int
viewer_dechunk(struct viewer *v, const uint8_t *p, size_t n, int64_t now)
{
	size_t take;
	char *end;

	while (n > 0) {
		switch (v->chunk_state) {
		case 0:
			if (*p == '\n') {
				v->chunk_line[v->chunk_linelen] = '\0';
				v->chunk_left =
				    strtoul(v->chunk_line, &end, 16);
				if (end == v->chunk_line) {
					viewer_fail(v, "bad chunk size");
					return -1;
				}
				v->chunk_linelen = 0;
				v->chunk_state = v->chunk_left ? 1 : 3;
			} else if (v->chunk_linelen + 1 < sizeof(v->chunk_line))
				v->chunk_line[v->chunk_linelen++] = (char)*p;
			p++;
			n--;
			break;
		case 1:
			take = v->chunk_left < n ? v->chunk_left : n;
			if (viewer_flv(v, p, take, now) == -1)
				return -1;
			v->chunk_left -= take;
			p += take;
			n -= take;
			if (v->chunk_left == 0)
				v->chunk_state = 2;
			break;
		case 2: /* the CRLF: skip to the newline */
			if (*p == '\n')
				v->chunk_state = 0;
			p++;
			n--;
			break;
		default: /* the last chunk */
			return 0;
		}
	}
	return 0;
}

/* Parses what a viewer sent; -1 if it failed. */
static int
viewer_parse(struct viewer *v, const uint8_t *p, size_t n, int64_t now)
{
	size_t take;
	char *end;

	if (v->state != V_HEAD && v->state != V_CONNECTING)
		return v->chunked ? viewer_dechunk(v, p, n, now)
		                  : viewer_flv(v, p, n, now);
	while (n > 0) {
		switch (v->state) {
		case V_HEAD:
			take = sizeof(v->head) - 1 - v->headlen;
			if (take == 0) {
				viewer_fail(v, "response head too large");
				return -1;
			}
			if (take > n)
				take = n;
			memcpy(v->head + v->headlen, p, take);
			v->headlen += take;
			v->head[v->headlen] = '\0';
			if ((end = strstr(v->head, "\r\n\r\n")) == NULL) {
				p += take;
				n -= take;
				break;
			}
			if (strncmp(v->head, "HTTP/1.", 7) != 0 ||
			    strncmp(v->head + 8, " 200", 4) != 0) {
				char why[64];

				snprintf(why, sizeof(why), "%.*s",
				    (int)strcspn(v->head, "\r\n"), v->head);
				viewer_fail(v, why);
				return -1;
			}
			/* the rest of this piece is FLV */
			take -= v->headlen - (size_t)(end + 4 - v->head);
			p += take;
			n -= take;
			v->state = V_FLVHDR;
			v->fixedlen = 0;
			v->chunked =
			    strcasestr(v->head,
			        "\r\nTransfer-Encoding: chunked") != NULL;
			return viewer_parse(v, p, n, now);
		default:
			return -1;
		}
	}
	return 0;
}

/* Parses FLV a viewer received; -1 if it failed. */
static int
viewer_flv(struct viewer *v, const uint8_t *p, size_t n, int64_t now)
{
	size_t take;

	while (n > 0) {
		switch (v->state) {
		case V_FLVHDR:
		case V_TAGHDR:
		case V_PREV: {
			size_t want = v->state == V_FLVHDR ? FLV_HEADER_LEN
			    : v->state == V_TAGHDR         ? FLV_TAG_HEADER_LEN
			                                   : 4;

			take = want - v->fixedlen;
			if (take > n)
				take = n;
			memcpy(v->fixed + v->fixedlen, p, take);
			v->fixedlen += take;
			p += take;
			n -= take;
			if (v->fixedlen < want)
				break;
			v->fixedlen = 0;
			if (v->state == V_FLVHDR) {
				if (memcmp(v->fixed, "FLV", 3) != 0) {
					viewer_fail(v, "not FLV");
					return -1;
				}
				v->state = V_TAGHDR;
			} else if (v->state == V_PREV)
				v->state = V_TAGHDR;
			else {
				v->tagtype = v->fixed[0] & 0x1f;
				v->body_size = v->body_left =
				    be24_read(v->fixed + 1);
				bh_init(&v->bh, v->tagtype);
				v->first[0] = v->first[1] = 0;
				if (v->body_left == 0) {
					viewer_tag_done(v, now);
					v->state = V_PREV;
				} else
					v->state = V_BODY;
			}
			break;
		}
		case V_BODY:
			take = v->body_left < n ? v->body_left : n;
			{
				size_t off = v->body_size - v->body_left, k;

				for (k = off; k < 2 && k < off + take; k++)
					v->first[k] = p[k - off];
			}
			bh_update(&v->bh, p, take);
			v->body_left -= (uint32_t)take;
			p += take;
			n -= take;
			if (v->body_left == 0) {
				viewer_tag_done(v, now);
				v->state = V_PREV;
			}
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static void
viewer_read(evutil_socket_t fd, short what, void *arg)
{
	struct viewer *v = arg;
	ssize_t n;
	int64_t now;

	n = recv(fd, B.rbuf, sizeof(B.rbuf), 0);
	if (n == 0) {
		viewer_fail(v, "closed by the server");
		return;
	}
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			viewer_fail(v, strerror(errno));
		return;
	}
	now = mono_us();
	v->bytes += (uint64_t)n;
	if (now >= v->join_us + BENCH_SETTLE_US && now <= B.end_us)
		v->bytes_steady += (uint64_t)n;
	viewer_parse(v, B.rbuf, (size_t)n, now);
}

static void
viewer_connected(evutil_socket_t fd, short what, void *arg)
{
	struct viewer *v = arg;
	char req[1024];
	int err = 0, len;
	socklen_t el = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err != 0) {
		viewer_fail(v, strerror(err ? err : errno));
		return;
	}
	len = snprintf(req, sizeof(req),
	    "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: nyon-bench\r\n"
	    "Accept: */*\r\n\r\n",
	    B.play_path, B.play_host, B.play_port);
	if (write(fd, req, (size_t)len) != len) {
		viewer_fail(v, "request not sent");
		return;
	}
	v->state = V_HEAD;
	/*
	 * Tags count from here: a connect the kernel delayed (a SYN dropped
	 * on a full listen queue is retried after 1 s) shows in connect_ms
	 * and the times to first tag, not as tags missing.
	 */
	v->connected_us = mono_us();
	v->join_seq = (uint32_t)B.nsent;
	event_free(v->ev);
	v->ev = event_new(B.base, fd, EV_READ | EV_PERSIST, viewer_read, v);
	event_add(v->ev, NULL);
}

static void
viewer_start(struct viewer *v)
{
	v->join_us = mono_us();
	v->join_seq = (uint32_t)B.nsent;
	if ((v->fd = tcp_connect(B.play_host, B.play_port)) == -1) {
		v->state = V_CONNECTING;
		viewer_fail(v, strerror(errno));
		return;
	}
	v->state = V_CONNECTING;
	v->ev = event_new(B.base, v->fd, EV_WRITE, viewer_connected, v);
	event_add(v->ev, NULL);
}

/* ------------------------------------------------------------ sampling */

static int
sample_read(struct sample *s, uint64_t *ticks, uint64_t *rss_kb)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	long rss_pages;
	FILE *f;
	size_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)s->pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (s->name[0] == '\0') {
		char *o = strchr(buf, '(');

		if (o != NULL)
			snprintf(s->name, sizeof(s->name), "%.*s",
			    (int)(p - o - 1), o + 1);
	}
	p += 2; /* field 3, state */
	for (i = 3; i < 14 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL || sscanf(p, "%lu %lu", &ut, &st) != 2)
		return -1;
	/* field 24 is rss in pages */
	for (; i < 24 && p != NULL; i++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL || sscanf(p, "%ld", &rss_pages) != 1)
		return -1;
	*ticks = ut + st;
	*rss_kb =
	    (uint64_t)rss_pages * (uint64_t)(sysconf(_SC_PAGESIZE) / 1024);
	return 0;
}

static void
sample_all(int base)
{
	int64_t now = mono_us();
	uint64_t ticks, rss;
	int i;

	for (i = 0; i < B.npids; i++) {
		struct sample *s = &B.pids[i];

		if (sample_read(s, &ticks, &rss) == -1) {
			s->ok = 0;
			continue;
		}
		if (base) {
			s->ticks0 = s->ticks = ticks;
			s->t0_us = s->t_us = now;
			s->rss_base_kb = rss;
			s->ok = 1;
			continue;
		}
		s->ticks = ticks;
		s->t_us = now;
		s->rss_kb = rss;
		s->rss_sum_kb += rss;
		s->nrss++;
		if (rss > s->rss_max_kb)
			s->rss_max_kb = rss;
	}
}

static void
sample_tick(evutil_socket_t fd, short what, void *arg)
{
	sample_all(0);
}

/* -------------------------------------------------------------- report */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct_u32(const uint32_t *a, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return -1;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return a[i] / 1000.0; /* ms */
}

struct result {
	int viewers, ok_viewers;
	double in_mbps, out_mbps;
	double lat_p50, lat_p90, lat_p99, lat_max;
	double vmean_min, vmean_max; /* the viewers' own mean latencies */
	size_t nlat;
	double ttft_p50, ttft_max, ttfk_p50, ttfk_max, conn_p50, conn_max;
	uint64_t missing_sum, missing_max, unmatched, tags_after_join;
	double bench_cpu;
	double duration_s;
};

static void
report(void)
{
	struct result r;
	struct rusage ru;
	int64_t *ttft = xcalloc((size_t)B.nviewers + 1, sizeof(int64_t));
	int64_t *ttfk = xcalloc((size_t)B.nviewers + 1, sizeof(int64_t));
	int64_t *conn = xcalloc((size_t)B.nviewers + 1, sizeof(int64_t));
	size_t nft = 0, nfk = 0, ncn = 0, cutoff;
	int64_t now = mono_us(), pub_span;
	double cpu_s;
	int i, j;
	const char *firstwhy = NULL;

	memset(&r, 0, sizeof(r));
	r.vmean_min = -1;
	r.vmean_max = -1;
	r.viewers = B.nviewers;
	r.duration_s = B.duration;
	qsort(B.lat, B.nlat, sizeof(*B.lat), cmp_u32);
	r.nlat = B.nlat;
	r.lat_p50 = pct_u32(B.lat, B.nlat, 50);
	r.lat_p90 = pct_u32(B.lat, B.nlat, 90);
	r.lat_p99 = pct_u32(B.lat, B.nlat, 99);
	r.lat_max = B.nlat ? B.lat[B.nlat - 1] / 1000.0 : -1;
	pub_span = B.end_us - B.pub.live_us;
	r.in_mbps =
	    pub_span > 0 ? (double)B.pub.media_bytes * 8 / (double)pub_span : 0;
	/* tags sent up to a second before the end must have arrived */
	for (cutoff = B.nsent; cutoff > 0; cutoff--)
		if (B.sent[cutoff - 1].send_us != 0 &&
		    B.sent[cutoff - 1].send_us <= B.end_us - BENCH_GRACE_US)
			break;
	for (i = 0; i < B.nviewers; i++) {
		struct viewer *v = &B.v[i];
		uint64_t miss = 0;
		int64_t span = B.end_us - (v->join_us + BENCH_SETTLE_US);

		if (v->state == V_FAILED && firstwhy == NULL)
			firstwhy = v->why;
		if (v->join_us == 0)
			continue;
		if (v->state != V_FAILED)
			r.ok_viewers++;
		if (span > 0)
			r.out_mbps +=
			    (double)v->bytes_steady * 8 / (double)span;
		if (v->connected_us)
			conn[ncn++] = v->connected_us - v->join_us;
		if (v->first_tag_us)
			ttft[nft++] = v->first_tag_us - v->join_us;
		if (v->first_key_us)
			ttfk[nfk++] = v->first_key_us - v->join_us;
		if (v->lat_n > 0) {
			double m = (double)v->lat_sum / v->lat_n / 1000.0;

			if (r.vmean_min < 0 || m < r.vmean_min)
				r.vmean_min = m;
			if (m > r.vmean_max)
				r.vmean_max = m;
		}
		for (j = (int)v->join_seq; j < (int)cutoff; j++) {
			size_t bit = (size_t)j - v->join_seq;

			if (B.sent[j].dup)
				continue;
			r.tags_after_join++;
			if (bit / 8 >= v->seencap ||
			    !(v->seen[bit / 8] & (1u << (bit & 7))))
				miss++;
		}
		r.missing_sum += miss;
		if (miss > r.missing_max)
			r.missing_max = miss;
		r.unmatched += v->unmatched;
	}
	qsort(ttft, nft, sizeof(*ttft), cmp_i64);
	qsort(ttfk, nfk, sizeof(*ttfk), cmp_i64);
	r.ttft_p50 = nft ? ttft[(nft - 1) / 2] / 1000.0 : -1;
	r.ttft_max = nft ? ttft[nft - 1] / 1000.0 : -1;
	r.ttfk_p50 = nfk ? ttfk[(nfk - 1) / 2] / 1000.0 : -1;
	r.ttfk_max = nfk ? ttfk[nfk - 1] / 1000.0 : -1;
	qsort(conn, ncn, sizeof(*conn), cmp_i64);
	r.conn_p50 = ncn ? conn[(ncn - 1) / 2] / 1000.0 : -1;
	r.conn_max = ncn ? conn[ncn - 1] / 1000.0 : -1;
	getrusage(RUSAGE_SELF, &ru);
	cpu_s = (double)(ru.ru_utime.tv_sec - B.ru0.ru_utime.tv_sec) +
	    (double)(ru.ru_stime.tv_sec - B.ru0.ru_stime.tv_sec) +
	    (double)(ru.ru_utime.tv_usec - B.ru0.ru_utime.tv_usec) / 1e6 +
	    (double)(ru.ru_stime.tv_usec - B.ru0.ru_stime.tv_usec) / 1e6;
	r.bench_cpu = 100.0 * cpu_s / ((double)(now - B.ru0_us) / 1e6);

	if (B.json) {
		printf("{\"viewers\":%d,\"viewers_ok\":%d,\"duration_s\":%.0f,"
		       "\"input\":\"%s\",\"bitrate_in_mbps\":%.3f,"
		       "\"delivered_mbps\":%.2f,"
		       "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,"
		       "\"p99\":%.3f,\"max\":%.3f,\"samples\":%zu},"
		       "\"viewer_mean_ms\":{\"min\":%.3f,\"max\":%.3f},"
		       "\"connect_ms\":{\"p50\":%.2f,\"max\":%.2f},"
		       "\"first_tag_ms\":{\"p50\":%.2f,\"max\":%.2f},"
		       "\"first_keyframe_ms\":{\"p50\":%.2f,\"max\":%.2f},"
		       "\"missing\":{\"sum\":%llu,\"max\":%llu,"
		       "\"expected\":%llu},\"unmatched\":%llu,"
		       "\"bench_cpu_pct\":%.1f,\"processes\":[",
		    r.viewers, r.ok_viewers, r.duration_s, B.input, r.in_mbps,
		    r.out_mbps, r.lat_p50, r.lat_p90, r.lat_p99, r.lat_max,
		    r.nlat, r.vmean_min, r.vmean_max, r.conn_p50, r.conn_max,
		    r.ttft_p50, r.ttft_max, r.ttfk_p50, r.ttfk_max,
		    (unsigned long long)r.missing_sum,
		    (unsigned long long)r.missing_max,
		    (unsigned long long)r.tags_after_join,
		    (unsigned long long)r.unmatched, r.bench_cpu);
	} else {
		printf(
		    "%-28s %d (%d ok)\n", "viewers", r.viewers, r.ok_viewers);
		if (firstwhy != NULL)
			printf("%-28s %s\n", "first viewer failure", firstwhy);
		printf("%-28s %.2f Mb/s\n", "bitrate in", r.in_mbps);
		printf(
		    "%-28s %.1f Mb/s\n", "delivered (all viewers)", r.out_mbps);
		printf("%-28s p50 %.3f  p90 %.3f  p99 %.3f  max %.3f ms "
		       "(%zu tags)\n",
		    "server-added latency", r.lat_p50, r.lat_p90, r.lat_p99,
		    r.lat_max, r.nlat);
		printf("%-28s min %.3f  max %.3f ms\n",
		    "a viewer's mean latency", r.vmean_min, r.vmean_max);
		printf("%-28s p50 %.1f  max %.1f ms\n", "TCP connect",
		    r.conn_p50, r.conn_max);
		printf("%-28s p50 %.1f  max %.1f ms\n", "time to first tag",
		    r.ttft_p50, r.ttft_max);
		printf("%-28s p50 %.1f  max %.1f ms\n",
		    "time to first keyframe", r.ttfk_p50, r.ttfk_max);
		printf("%-28s sum %llu  max %llu per viewer (of %llu)\n",
		    "tags missing", (unsigned long long)r.missing_sum,
		    (unsigned long long)r.missing_max,
		    (unsigned long long)r.tags_after_join);
		if (r.unmatched)
			printf("%-28s %llu\n", "tags not sent by us",
			    (unsigned long long)r.unmatched);
		printf("%-28s %.1f %% of one core\n", "nyon-bench CPU",
		    r.bench_cpu);
	}
	for (i = 0; i < B.npids; i++) {
		struct sample *s = &B.pids[i];
		double cpu = -1, avg = 0;

		if (s->t_us > s->t0_us)
			cpu = 100.0 * (double)(s->ticks - s->ticks0) /
			    (double)sysconf(_SC_CLK_TCK) /
			    ((double)(s->t_us - s->t0_us) / 1e6);
		if (s->nrss)
			avg = (double)s->rss_sum_kb / s->nrss;
		if (B.json)
			printf("%s{\"pid\":%d,\"name\":\"%s\",\"cpu_pct\":%.1f,"
			       "\"rss_base_kib\":%llu,\"rss_avg_kib\":%.0f,"
			       "\"rss_max_kib\":%llu}",
			    i ? "," : "", (int)s->pid, s->name, cpu,
			    (unsigned long long)s->rss_base_kb, avg,
			    (unsigned long long)s->rss_max_kb);
		else
			printf("%-28s CPU %.1f %%  RSS before %llu KiB, avg "
			       "%.0f KiB, max %llu KiB\n",
			    s->name[0] ? s->name : "?", cpu,
			    (unsigned long long)s->rss_base_kb, avg,
			    (unsigned long long)s->rss_max_kb);
	}
	if (B.json)
		printf("]}\n");
	fflush(stdout);
	free(ttft);
	free(ttfk);
	free(conn);
}

/* ---------------------------------------------------------------- main */

static void
join_tick(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv;

	if (B.njoined == 0) {
		B.viewers_start_us = mono_us();
		sample_all(1);
		getrusage(RUSAGE_SELF, &B.ru0);
		B.ru0_us = mono_us();
		tv.tv_sec = 1;
		tv.tv_usec = 0;
		B.sample_timer =
		    event_new(B.base, -1, EV_PERSIST, sample_tick, NULL);
		event_add(B.sample_timer, &tv);
	}
	if (B.stagger_ms == 0)
		while (B.njoined < B.nviewers)
			viewer_start(&B.v[B.njoined++]);
	else if (B.njoined < B.nviewers)
		viewer_start(&B.v[B.njoined++]);
	if (B.njoined < B.nviewers) {
		tv.tv_sec = B.stagger_ms / 1000;
		tv.tv_usec = (B.stagger_ms % 1000) * 1000;
		evtimer_add(B.join_timer, &tv);
		return;
	}
	/* the last viewer is in: measure for duration from now */
	B.end_us = mono_us() + (int64_t)B.duration * 1000000;
	tv.tv_sec = B.duration;
	tv.tv_usec = 0;
	evtimer_add(B.end_timer, &tv);
}

static void
end_tick(evutil_socket_t fd, short what, void *arg)
{
	sample_all(0);
	event_base_loopbreak(B.base);
}

static void
on_sigint(evutil_socket_t fd, short what, void *arg)
{
	B.end_us = mono_us();
	event_base_loopbreak(B.base);
}

static void
warm_tick(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = {0, 0};

	if (B.pub.state != PUB_LIVE)
		die("publisher: not live after the warm-up (server silent?)");
	evtimer_add(B.join_timer, &tv);
}

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
	    "usage: nyon-bench --publish rtmp://HOST:PORT/APP/KEY "
	    "--play http://HOST:PORT/PATH.flv\n"
	    "\t--input FILE.flv [--viewers N] [--duration S] "
	    "[--stagger-ms MS]\n"
	    "\t[--warmup-ms MS] [--pid PID]... [--json]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"publish", required_argument, NULL, 'P'},
	    {"play", required_argument, NULL, 'p'},
	    {"input", required_argument, NULL, 'i'},
	    {"viewers", required_argument, NULL, 'n'},
	    {"duration", required_argument, NULL, 'd'},
	    {"stagger-ms", required_argument, NULL, 's'},
	    {"warmup-ms", required_argument, NULL, 'w'},
	    {"pid", required_argument, NULL, 'k'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct event_config *cfg;
	struct timeval tv;
	struct rlimit rl;
	int c;

	B.nviewers = 1;
	B.duration = 15;
	B.warmup_ms = 2500;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			B.publish = optarg;
			break;
		case 'p':
			B.play = optarg;
			break;
		case 'i':
			B.input = optarg;
			break;
		case 'n':
			B.nviewers = atoi(optarg);
			break;
		case 'd':
			B.duration = atoi(optarg);
			break;
		case 's':
			B.stagger_ms = atoi(optarg);
			break;
		case 'w':
			B.warmup_ms = atoi(optarg);
			break;
		case 'k':
			if (B.npids == BENCH_PIDS_MAX)
				die("at most %d --pid", BENCH_PIDS_MAX);
			B.pids[B.npids++].pid = atoi(optarg);
			break;
		case 'j':
			B.json = 1;
			break;
		default:
			usage();
		}
	}
	if (B.publish == NULL || B.input == NULL ||
	    (B.play == NULL && B.nviewers > 0) || B.nviewers < 0 ||
	    B.duration < 1 || B.stagger_ms < 0 || B.warmup_ms < 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)B.nviewers + 32) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < (rlim_t)B.nviewers + 32)
			die("ulimit -n is %llu: too low for %d viewers",
			    (unsigned long long)rl.rlim_cur, B.nviewers);
	}
	input_load(B.input);
	B.slots = xcalloc(HASH_SLOTS, sizeof(*B.slots));
	B.v = xcalloc((size_t)B.nviewers + 1, sizeof(*B.v));
	if (B.play != NULL)
		url_split(B.play, "http://", B.play_host, sizeof(B.play_host),
		    &B.play_port, B.play_path, sizeof(B.play_path), 80);
	for (c = 0; c < B.nviewers; c++) {
		B.v[c].id = c;
		B.v[c].fd = -1;
	}
	cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	if ((B.base = event_base_new_with_config(cfg)) == NULL)
		die("event_base_new");
	event_config_free(cfg);
	B.join_timer = evtimer_new(B.base, join_tick, NULL);
	B.end_timer = evtimer_new(B.base, end_tick, NULL);
	B.sigint = evsignal_new(B.base, SIGINT, on_sigint, NULL);
	event_add(B.sigint, NULL);
	pub_start();
	/* viewers join once the stream is live and has a keyframe */
	tv.tv_sec = B.warmup_ms / 1000;
	tv.tv_usec = (B.warmup_ms % 1000) * 1000;
	event_base_once(B.base, -1, EV_TIMEOUT, warm_tick, NULL, &tv);
	event_base_dispatch(B.base);
	report();
	return 0;
}
