/*
 * Viewers: HTTP connections that asked for /live/NAME.flv.  Each gets the
 * FLV header, the stream's sequence headers and the GOP so far, then every
 * new chunk by reference.  Writes go straight to the socket; the write event
 * is armed only while the kernel's buffer is full.  A viewer whose backlog
 * passes viewer_backlog skips to the next keyframe; one that keeps falling
 * behind is dropped.  Nothing here ever waits for a viewer.
 *
 * Admission: viewers and the connections that are not viewers (yet) are
 * two pools, so that idle connections can never take a viewer's place.  A
 * connection must send its request within viewer_request_timeout; one
 * address may hold max_idle_per_address connections that have not, and
 * max_viewers_per_address viewers.  A connection that finds flvd full is
 * answered 503 at once, before reading anything, and closed.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "flvd.h"
#include "vreport.h"
#include "flv.h"

enum { VIEWER_REQUEST, VIEWER_STREAMING, VIEWER_CLOSING };

#define CLOSING_TIMEOUT 10 /* seconds to flush a last response */
#define RETRY_AFTER "5" /* seconds a refused client is told to wait */
#define SKIPS_MAX 3 /* skips within SKIP_WINDOW before a drop */
#define SKIP_WINDOW_MS 60000
#define STALLED_MAX 5 /* keyframes missed while still behind */
#define VIEWER_SNDBUF (128 * 1024) /* the kernel doubles it */
#define VIEWER_IDLE_GRACE_MS 1000 /* an idle connection is safe this long */
#define VIEWER_EVICT_SCAN 64 /* idle connections looked at per eviction */

/* The answer to a connection refused at accept, formatted once. */
static char viewer_full[512];
static size_t viewer_full_len;

static void viewer_write_ready(evutil_socket_t, short, void *);

/*
 * Refusals come in floods when someone tries to fill flvd: the first of
 * each second is logged, with how many were not.
 */
static void __attribute__((format(printf, 2, 3)))
viewer_log_refusal(const char *addr, const char *fmt, ...)
{
	static uint64_t last_ms;
	static unsigned long quiet;
	char why[256];
	uint64_t now = now_ms();
	va_list ap;

	flvd->refused++;
	if (last_ms != 0 && now - last_ms < 1000) {
		quiet++;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (quiet > 0)
		log_warnx("viewer %s: refused: %s (and %lu more refused in "
		          "the last %.1f s)",
		    addr, why, quiet, (now - last_ms) / 1000.0);
	else
		log_warnx("viewer %s: refused: %s", addr, why);
	last_ms = now;
	quiet = 0;
}

/* It has sent its request (or given up): no longer idle. */
static void
viewer_not_idle(struct viewer *v)
{
	if (!v->idle)
		return;
	v->idle = 0;
	v->peer->idle--;
	flvd->nidle--;
	TAILQ_REMOVE(&flvd->idles, v, idles);
}

/*
 * The pool of connections that are not viewers yet is full: close an idle
 * one that had VIEWER_IDLE_GRACE_MS to send its request and has not, from
 * the address with the most of them among the oldest few, so that many
 * hosts' idle sockets cannot keep a real viewer out.  0 if one went.
 */
static int
viewer_evict_idle(void)
{
	struct viewer *v, *best = NULL;
	uint64_t now = now_ms();
	int seen = 0;

	TAILQ_FOREACH(v, &flvd->idles, idles) {
		if (now - v->started_ms < VIEWER_IDLE_GRACE_MS ||
		    ++seen > VIEWER_EVICT_SCAN)
			break; /* oldest first: the rest are younger */
		if (best == NULL || v->peer->idle > best->peer->idle)
			best = v;
	}
	if (best == NULL)
		return -1;
	flvd->evicted++;
	log_debug("viewer %s: no request after %llu ms; closed to make room",
	    best->addr, (unsigned long long)(now - best->started_ms));
	viewer_free(best);
	return 0;
}

/* Takes a viewer off its stream's list, if it is on one. */
static void
viewer_detach(struct viewer *v)
{
	struct fstream *s = v->stream;

	if (s == NULL)
		return;
	TAILQ_REMOVE(&s->viewers, v, entry);
	vreport_end(v->vs, v->bytes_out);
	v->vs = NULL;
	s->nviewers--;
	flvd->nviewers--;
	v->peer->viewers--;
	v->stream = NULL;
}

void
viewer_free(struct viewer *v)
{
	viewer_detach(v);
	viewer_not_idle(v);
	peers_put(v->peer);
	TAILQ_REMOVE(&flvd->conns, v, all);
	flvd->nconnections--;
	event_free(v->rev);
	event_free(v->wev);
	event_free(v->timer);
	evbuffer_free(v->in);
	evbuffer_free(v->out); /* drops its chunk references */
	writers_remove(v); /* the rings' tables hold the socket open */
	close(v->fd);
	log_debug("viewer %s: gone after %llu bytes", v->addr,
	    (unsigned long long)v->bytes_out);
	free(v);
}

/* After a write (writers.c): counts it, arms the write event if the
 * socket is full, closes on error; -1 if the viewer was freed. */
static int
viewer_written(struct viewer *v)
{
	if (v->werr != 0 && v->werr != EAGAIN && v->werr != EINTR) {
		log_debug("viewer %s: write: %s", v->addr, strerror(v->werr));
		viewer_free(v);
		return -1;
	}
	if (v->wrote > 0) {
		v->bytes_out += v->wrote;
		flvd->bytes_out += v->wrote;
		if (v->stream != NULL)
			v->stream->bytes_out += v->wrote;
	}
	if (evbuffer_get_length(v->out) > 0) {
		if (!event_pending(v->wev, EV_WRITE, NULL))
			event_add(v->wev, NULL);
	} else if (v->state == VIEWER_CLOSING) {
		viewer_free(v);
		return -1;
	}
	return 0;
}

/* Writes what the socket takes; -1 if the viewer was freed. */
static int
viewer_flush(struct viewer *v)
{
	writers_write(v);
	return viewer_written(v);
}

static void
viewer_write_ready(evutil_socket_t fd, short what, void *arg)
{
	viewer_flush(arg);
}

/* Starts the close: whatever is queued is flushed first. */
void
viewer_finish(struct viewer *v)
{
	struct timeval tv = {CLOSING_TIMEOUT, 0};

	v->state = VIEWER_CLOSING;
	shutdown(v->fd, SHUT_RD);
	/* reads now see EOF at once: a gone peer shows as a write error */
	event_del(v->rev);
	evtimer_add(v->timer, &tv);
	viewer_flush(v);
}

void
viewer_respond(struct viewer *v, int status, const char *body)
{
	size_t len = body ? strlen(body) : 0;

	http_respond(v->out,
	    &(struct http_response){.status = status,
	        .cors = 1,
	        .type = len ? "text/plain; charset=utf-8" : "text/plain",
	        .length = (long long)len,
	        /* flvd answers 503 only when full: a client may come back */
	        .extra =
	            status == 503 ? "Retry-After: " RETRY_AFTER "\r\n" : NULL});
	evbuffer_add(v->out, body ? body : "", len);
	viewer_finish(v);
}

/* The head of a stream's answer, to GET or HEAD. */
static void
viewer_stream_head(struct viewer *v)
{
	http_respond(v->out,
	    &(struct http_response){.status = 200,
	        .cors = 1,
	        .type = "video/x-flv",
	        .length = HTTP_ENDLESS,
	        .cache = "no-cache"});
}

static void
viewer_chunk_done(const void *data, size_t len, void *arg)
{
	chunk_unref(arg);
}

void
viewer_add_ref(struct viewer *v, struct chunk *c, uint32_t off, uint32_t len)
{
	chunk_ref(c);
	if (evbuffer_add_reference(
	        v->out, c->data + off, len, viewer_chunk_done, c) == -1)
		chunk_unref(c);
}

/*
 * Appends the stream's sequence headers (metadata, video and audio decoder
 * configuration) to buf and notes their version; have[] says which it had.
 * ingestd keeps them at timestamp 0, the start of a viewer's file; sent
 * again mid-stream, the decoder configurations take the timestamp ts of
 * the keyframe they precede (onMetaData stays at 0, as always).
 */
static void
viewer_seqhdrs(struct viewer *v, struct fstream *s, struct evbuffer *buf,
    int have[3], uint32_t ts)
{
	const enum ring_slot slots[] = {
	    RING_SLOT_META, RING_SLOT_VIDEO, RING_SLOT_AUDIO};
	uint8_t tag[RING_META_MAX];
	size_t len, i;

	v->seq_version = ring_seq_version(s->ring);
	for (i = 0; i < nitems(slots); i++) {
		have[i] =
		    ring_seqhdr(s->ring, slots[i], tag, sizeof(tag), &len) == 0;
		if (!have[i])
			continue;
		if (slots[i] != RING_SLOT_META && len >= FLV_TAG_HEADER_LEN) {
			be24_write(tag + 4, ts & 0xffffff);
			tag[7] = ts >> 24;
		}
		evbuffer_add(buf, tag, len);
	}
}

void
viewer_attach(
    struct viewer *v, struct fstream *s, int start_live, const char *user_agent)
{
	uint8_t hdr[FLV_HEADER_LEN];
	struct evbuffer *seq = evbuffer_new();
	size_t i;
	int have[3];

	viewer_stream_head(v);
	v->stream = s;
	v->state = VIEWER_STREAMING;
	TAILQ_INSERT_TAIL(&s->viewers, v, entry);
	s->nviewers++;
	flvd->nviewers++;
	v->peer->viewers++;
	flvd->viewers_total++;
	s->viewers_total++;
	v->vs = vreport_open(s->name, "flv", v->addr, user_agent);
	writers_add(v);
	viewer_seqhdrs(v, s, seq, have, 0);
	/* until the stream says otherwise, announce both */
	flv_header(
	    hdr, have[2] || !have[1], have[1] || s->has_video || !have[2]);
	evbuffer_add(v->out, hdr, sizeof(hdr));
	evbuffer_add_buffer(v->out, seq);
	evbuffer_free(seq);
	/* a GOP coded with other headers than the ones just sent: wait */
	if (start_live || s->ngop == 0 || s->gop_stale ||
	    s->gop_version != v->seq_version)
		v->waiting = 1;
	else
		for (i = 0; i < s->ngop; i++)
			viewer_add_ref(
			    v, s->gop[i].chunk, s->gop[i].off, s->gop[i].len);
	log_info("viewer %s: watching %s%s (%d viewers)", v->addr, s->name,
	    v->waiting ? " from the next keyframe" : "", s->nviewers);
	viewer_flush(v);
}

static void
viewer_drop(struct viewer *v, const char *why)
{
	log_warnx(
	    "viewer %s: dropped from %s: %s", v->addr, v->stream->name, why);
	flvd->viewers_dropped++;
	v->stream->dropped++;
	viewer_free(v);
}

static void
viewer_reverse(struct viewer **v, size_t n)
{
	struct viewer *t;
	size_t i;

	for (i = 0; i < n / 2; i++) {
		t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

/*
 * A fan-out's writes go out in turn, so the first viewers in it get the
 * tag a few milliseconds before the last at a thousand viewers.  Each
 * fan-out starts at another viewer, so no viewer is always last: the k-th
 * starts at the golden-ratio point k * 0.618... of the way round (a Weyl
 * sequence, spread evenly over any few fan-outs), and v[0..n) is rotated
 * to put it first.
 */
static void
viewer_rotate(struct viewer **v, size_t n, uint64_t k)
{
	size_t r;

	if (n < 2)
		return;
	r = (size_t)(((uint64_t)(uint32_t)(k * 2654435769u) * n) >> 32);
	if (r == 0)
		return;
	viewer_reverse(v, r);
	viewer_reverse(v + r, n - r);
	viewer_reverse(v, n);
}

void
viewer_fanout(struct fstream *s, struct chunk *c,
    const struct ring_tagref *refs, size_t nrefs)
{
	struct viewer *v, *next;
	size_t backlog, sync, n = 0, i;
	uint64_t now;

	/* the first tag a waiting viewer may start at */
	for (sync = 0; sync < nrefs; sync++)
		if (source_sync_point(s, &refs[sync]))
			break;
	TAILQ_FOREACH_SAFE(v, &s->viewers, entry, next) {
		if (v->state != VIEWER_STREAMING)
			continue;
		backlog = evbuffer_get_length(v->out);
		if (v->waiting) {
			if (sync == nrefs)
				continue;
			if (backlog > flvd->backlog / 2) {
				if (++v->stalled >= STALLED_MAX)
					viewer_drop(v, "not reading");
				continue;
			}
			v->waiting = 0;
			v->stalled = 0;
			/*
			 * Headers that came while it waited (it joined before
			 * the first keyframe, or the codec changed) go first.
			 */
			if (v->seq_version != ring_seq_version(s->ring)) {
				int have[3];

				viewer_seqhdrs(
				    v, s, v->out, have, refs[sync].timestamp);
			}
			viewer_add_ref(
			    v, c, refs[sync].off, c->len - refs[sync].off);
		} else if (backlog > flvd->backlog) {
			now = now_ms();
			if (now - v->last_skip_ms > SKIP_WINDOW_MS)
				v->skips = 0;
			v->last_skip_ms = now;
			if (++v->skips > SKIPS_MAX) {
				viewer_drop(v, "keeps falling behind");
				continue;
			}
			log_info("viewer %s: %zu bytes behind on %s; skipping "
			         "to the next keyframe",
			    v->addr, backlog, s->name);
			s->skips++;
			flvd->skips++;
			v->waiting = 1;
			continue;
		} else if (backlog == 0) {
			/* the writer sends it straight, and queues the rest */
			v->direct = c;
		} else
			viewer_add_ref(v, c, 0, c->len);
		if (n == flvd->batchcap) {
			flvd->batchcap =
			    flvd->batchcap ? flvd->batchcap * 2 : 64;
			flvd->batch = xreallocarray(
			    flvd->batch, flvd->batchcap, sizeof(*flvd->batch));
		}
		flvd->batch[n++] = v;
	}
	viewer_rotate(flvd->batch, n, s->fanouts);
	/* every viewer's write at once, over the cores; then the rest */
	writers_run(flvd->batch, n);
	for (i = 0; i < n; i++)
		viewer_written(flvd->batch[i]);
}

void
viewer_resync_all(struct fstream *s)
{
	struct viewer *v;

	TAILQ_FOREACH(v, &s->viewers, entry)
		v->waiting = 1;
}

void
viewer_end_all(struct fstream *s)
{
	struct viewer *v;

	while ((v = TAILQ_FIRST(&s->viewers)) != NULL) {
		viewer_detach(v);
		viewer_finish(v);
	}
}

/* /live/NAME.flv (decoded) → NAME, or NULL */
static const char *
viewer_stream_name(const char *path, char *name, size_t len)
{
	const char *p = path + strlen("/live/");
	size_t n;

	if (strncmp(path, "/live/", 6) != 0)
		return NULL;
	n = strlen(p);
	/* names may hold any character (percent-encoded in the URL) */
	if (n <= 4 || strcmp(p + n - 4, ".flv") != 0 || n - 4 >= len)
		return NULL;
	memcpy(name, p, n - 4);
	name[n - 4] = '\0';
	return name;
}

/* 0 if s may have one more viewer, v; or -1, refused and answered. */
static int
viewer_admit(struct viewer *v, struct fstream *s)
{
	if (flvd->nviewers >= flvd->max_viewers)
		viewer_log_refusal(
		    v->addr, "%d viewers (max_viewers)", flvd->nviewers);
	else if (s->nviewers >= flvd->max_viewers_per_stream)
		viewer_log_refusal(v->addr,
		    "%d viewers of %s (max_viewers_per_stream)", s->nviewers,
		    s->name);
	else if (v->peer->viewers >= flvd->max_viewers_per_address)
		viewer_log_refusal(v->addr,
		    "%d viewers from %s (max_viewers_per_address)",
		    v->peer->viewers, v->peer->name);
	else
		return 0;
	viewer_respond(v, 503, "too many viewers\n");
	return -1;
}

static void
viewer_route(struct viewer *v, const struct http_request *req)
{
	char name[STREAM_NAME_SZ], start[16];
	struct fstream *s;

	if (req->method == HTTP_OPTIONS) {
		http_respond(v->out,
		    &(struct http_response){.status = 204,
		        .cors = 1,
		        .length = 0,
		        .extra = "Access-Control-Max-Age: 86400\r\n"});
		viewer_finish(v);
		return;
	}
	if (req->method == HTTP_OTHER) {
		viewer_respond(v, 405, "method not allowed\n");
		return;
	}
	if (www_route(v, req))
		return;
	if (viewer_stream_name(req->path, name, sizeof(name)) == NULL) {
		viewer_respond(v, 404, "not found\n");
		return;
	}
	if ((s = source_find(name)) == NULL || !s->live) {
		flvd->not_found++;
		log_debug("viewer %s: %s is not live", v->addr, name);
		viewer_respond(v, 404, "stream not live\n");
		return;
	}
	/* HEAD too: a player that asks first would be refused next */
	if (viewer_admit(v, s) == -1)
		return;
	if (req->method == HTTP_HEAD) {
		viewer_stream_head(v);
		viewer_finish(v);
		return;
	}
	evtimer_del(v->timer);
	viewer_attach(v, s,
	    http_query_get(req->query, "start", start, sizeof(start)) == 0 &&
	        strcmp(start, "live") == 0,
	    req->user_agent);
}

static void
viewer_read(evutil_socket_t fd, short what, void *arg)
{
	struct viewer *v = arg;
	struct http_request req;
	const char *why = NULL;
	size_t used;
	char sink[1024];
	ssize_t n;
	int r;

	if (v->state != VIEWER_REQUEST) {
		/* nothing more is expected: watch for the close */
		n = recv(fd, sink, sizeof(sink), 0);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			viewer_free(v);
		return;
	}
	n = evbuffer_read(v->in, fd, HTTP_HEAD_MAX);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		viewer_free(v);
		return;
	}
	r = http_parse((const char *)evbuffer_pullup(v->in, -1),
	    evbuffer_get_length(v->in), &req, &used, &why);
	if (r == 0)
		return;
	viewer_not_idle(v);
	if (r == -1) {
		log_warnx("viewer %s: bad request: %s", v->addr, why);
		viewer_respond(v, strstr(why, "too large") ? 431 : 400, NULL);
		return;
	}
	evbuffer_drain(v->in, evbuffer_get_length(v->in));
	viewer_route(v, &req);
}

static void
viewer_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct viewer *v = arg;

	if (v->idle) {
		flvd->idle_closed++;
		log_debug("viewer %s: no request within %ds", v->addr,
		    flvd->request_timeout);
	}
	viewer_free(v);
}

/*
 * Answers 503 and closes, without reading a request: writing one small
 * answer into an empty socket buffer never blocks, and costs no state.
 */
static void
viewer_refuse(int fd)
{
	char sink[HTTP_HEAD_MAX];

	send(fd, viewer_full, viewer_full_len, MSG_DONTWAIT | MSG_NOSIGNAL);
	shutdown(fd, SHUT_WR);
	/*
	 * A request already received but unread would make close() reset
	 * the connection, and the client could lose the answer before
	 * reading it.  One request head is all a client sends first.
	 */
	recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
	close(fd);
}

/*
 * Whether a whole request head is already waiting on fd.  A crowd that
 * joins at once (a hall reloading the page, the bench's 200 viewers) is
 * accepted before any request is read; those that sent theirs are not
 * idle and need no place in the pools meant for connections that wait.
 */
static int
viewer_has_request(int fd)
{
	static char buf[HTTP_HEAD_MAX];
	ssize_t n;

	if ((n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT)) <= 0)
		return 0;
	return memmem(buf, (size_t)n, "\r\n\r\n", 4) != NULL ||
	    memmem(buf, (size_t)n, "\n\n", 2) != NULL;
}

/* 0 if a connection from p may wait for its request; or -1, refused. */
static int
viewer_accept_ok(int fd, const char *addr, struct peer *p)
{
	int waiting = flvd->nconnections - flvd->nviewers;

	/* its socket, and a file it may be sent, beside the reserve */
	if (FD_RESERVE + flvd->nconnections + waiting + 2 > flvd->nofile)
		viewer_log_refusal(addr,
		    "%d connections use the descriptors RLIMIT_NOFILE (%d) "
		    "allows",
		    flvd->nconnections, flvd->nofile);
	else if ((waiting < flvd->max_requests &&
	             p->idle < flvd->max_idle_per_address) ||
	    viewer_has_request(fd))
		return 0;
	else if (waiting >= flvd->max_requests && viewer_evict_idle() == -1)
		viewer_log_refusal(addr,
		    "%d connections are not viewers yet (max_requests)",
		    waiting);
	else if (p->idle >= flvd->max_idle_per_address)
		viewer_log_refusal(addr,
		    "%d connections from %s have sent no request "
		    "(max_idle_per_address)",
		    p->idle, p->name);
	else
		return 0;
	return -1;
}

static void
viewer_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct timeval tv = {flvd->request_timeout, 0};
	struct viewer *v;
	struct peer *p;
	char addr[64];
	int one = 1, sndbuf = VIEWER_SNDBUF;

	addr_string(sa, addr, sizeof(addr));
	p = peers_get(sa);
	if (viewer_accept_ok(fd, addr, p) == -1) {
		peers_put(p);
		viewer_refuse(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/*
	 * Keep the kernel's share of a slow viewer's backlog small, so that
	 * viewer_backlog (which flvd can skip) is where a lag shows.
	 */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	v = xcalloc(1, sizeof(*v));
	v->fd = fd;
	strlcpy(v->addr, addr, sizeof(v->addr));
	v->peer = p;
	v->idle = 1;
	p->idle++;
	flvd->nidle++;
	TAILQ_INSERT_TAIL(&flvd->idles, v, idles);
	v->in = evbuffer_new();
	v->out = evbuffer_new();
	v->rev =
	    event_new(flvd->d.base, fd, EV_READ | EV_PERSIST, viewer_read, v);
	v->wev = event_new(flvd->d.base, fd, EV_WRITE, viewer_write_ready, v);
	v->timer = evtimer_new(flvd->d.base, viewer_timeout, v);
	v->started_ms = now_ms();
	if (v->in == NULL || v->out == NULL || v->rev == NULL ||
	    v->wev == NULL || v->timer == NULL)
		fatalx("viewer_accept: out of memory");
	TAILQ_INSERT_TAIL(&flvd->conns, v, all);
	flvd->nconnections++;
	event_add(v->rev, NULL);
	evtimer_add(v->timer, &tv);
}

int
viewer_listen(void)
{
	struct evbuffer *b = evbuffer_new();
	static const char body[] = "server full; try again shortly\n";
	int fds[FLVD_LISTEN_MAX], n, i;

	if (b == NULL)
		fatalx("viewer_listen: out of memory");
	http_respond(b,
	    &(struct http_response){.status = 503,
	        .cors = 1,
	        .type = "text/plain; charset=utf-8",
	        .length = sizeof(body) - 1,
	        .extra = "Retry-After: " RETRY_AFTER "\r\n"});
	evbuffer_add(b, body, sizeof(body) - 1);
	if (evbuffer_get_length(b) >= sizeof(viewer_full))
		fatalx("viewer_listen: the 503 answer is too long");
	viewer_full_len = evbuffer_copyout(b, viewer_full, sizeof(viewer_full));
	evbuffer_free(b);

	n = listen_conf(flvd->d.conf, "flv_listen", fds, nitems(fds));
	for (i = 0; i < n; i++)
		flvd->listeners[flvd->nlisteners++] =
		    listen_evconn(flvd->d.base, fds[i], viewer_accept, NULL);
	return 0;
}

void
viewer_close_listeners(void)
{
	struct viewer *v;
	int i;

	for (i = 0; i < flvd->nlisteners; i++)
		evconnlistener_free(flvd->listeners[i]);
	flvd->nlisteners = 0;
	while ((v = TAILQ_FIRST(&flvd->conns)) != NULL)
		viewer_free(v);
}
