/*
 * flvd: HTTP-FLV fan-out.  Subscribes to ingestd for the live streams'
 * rings, copies each new span once per stream into a refcounted chunk and
 * hands that chunk by reference to every viewer of the stream.
 */
#ifndef FLVD_H
#define FLVD_H

#include <sys/queue.h>
#include <sys/time.h>
#include <sys/tree.h>
#include <stdint.h>

#include "nyon.h"
#include "ring.h"
#include "ringsub.h"

struct evbuffer;
struct event;
struct evconnlistener;

#define FLVD_LISTEN_MAX 8
#define HTTP_HEAD_MAX 8192 /* request line and headers, bytes */
/* descriptors kept for all but the viewers' connections: listeners, control
 * sockets, the streams' eventfds, the log */
#define FD_RESERVE 64

/* http.c: the request, parsed from the bytes a client sent */
enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OPTIONS, HTTP_OTHER };
struct http_request {
	enum http_method method;
	char path[1024]; /* decoded, without the query */
	char query[512]; /* raw, without '?' */
	char host[256]; /* the Host header if it is a host[:port], else "" */
	char user_agent[257]; /* printable ASCII, cut (vreport_clean_ua) */
	int minor; /* HTTP/1.x */
};
/* 1 complete (*used bytes), 0 need more, -1 bad request (why says). */
int http_parse(const char *buf, size_t len, struct http_request *, size_t *used,
    const char **why);
/* A query parameter's decoded value into out; 0, or -1 if absent. */
int http_query_get(const char *query, const char *name, char *out, size_t len);
const char *http_reason(int status);
/* A response head; fields left 0 or NULL are not sent (but Content-Length: 0
 * is: a stream says HTTP_ENDLESS).  Connection: close ends every head. */
#define HTTP_ENDLESS (-1LL)
struct http_response {
	int status;
	int cors; /* the CORS headers: every answer but a file's */
	const char *type; /* Content-Type */
	long long length; /* Content-Length, or HTTP_ENDLESS */
	const char *cache; /* Cache-Control */
	const char *extra; /* more header lines, each ending in CRLF */
};
void http_respond(struct evbuffer *, const struct http_response *);

/* A chunk: one copy of a span of a stream's ring, shared by reference. */
struct chunk {
	int refs;
	uint32_t len;
	uint8_t data[];
};
struct gop_ref {
	struct chunk *chunk;
	uint32_t off, len;
};

struct viewer;
TAILQ_HEAD(viewerlist, viewer);

/* The connections from one address (IPv6: one /64), for its limits. */
struct peer {
	RB_ENTRY(peer) entry;
	struct peer_key key;
	char name[64]; /* the key as text, for the log */
	int conns; /* all of them: the entry lives while one does */
	int idle; /* not sent a whole request yet */
	int viewers;
};

struct fstream {
	TAILQ_ENTRY(fstream) entry;
	char name[STREAM_NAME_SZ];
	struct ringsub_stream *rs; /* while live */
	struct ring *ring; /* rs's ring, while live */
	struct ringsub_cursor cursor;
	int live; /* a publisher is writing */
	int has_video;
	struct viewerlist viewers;
	int nviewers;
	/* tags since the newest keyframe: a new viewer starts here */
	struct gop_ref *gop;
	size_t ngop, gopcap;
	/*
	 * The sequence headers' version the cached GOP decodes with; stale
	 * once new headers came after its keyframe (a new resolution): a
	 * new viewer then waits for the next keyframe instead.
	 */
	uint32_t gop_version;
	int gop_stale;
	/* republish: offset added to the new ring's timestamps */
	int64_t ts_offset;
	uint32_t last_ts; /* newest timestamp handed out */
	int probation; /* republished: codec not yet compared */
	uint8_t *old_config[2]; /* video, audio seqhdr bodies before */
	size_t old_config_len[2];
	struct event *grace;
	struct event *coalesce; /* flv_coalesce_ms: the held fan-out's end */
	uint64_t bytes_out, tags_read, fanouts;
	/* since it came: viewers joined, skipped ahead, dropped as slow */
	uint64_t viewers_total, skips, dropped;
};
TAILQ_HEAD(fstreamlist, fstream);

struct viewer {
	TAILQ_ENTRY(viewer) entry; /* in its stream */
	TAILQ_ENTRY(viewer) all; /* every connection */
	TAILQ_ENTRY(viewer) idles; /* while idle, oldest first */
	struct fstream *stream;
	int fd;
	char addr[64];
	struct peer *peer; /* its address's counts */
	int idle; /* counted in peer->idle and flvd->nidle */
	struct evbuffer *in, *out;
	struct event *rev, *wev, *timer;
	int state; /* VIEWER_* in viewer.c */
	int waiting; /* for a keyframe: skip until then */
	uint32_t seq_version; /* of the sequence headers it was sent */
	int skips, stalled;
	uint64_t last_skip_ms;
	uint64_t bytes_out;
	uint64_t started_ms;
	int wrote, werr; /* the last write's bytes and errno (writers.c) */
	struct chunk *direct; /* a fan-out's chunk, if nothing is queued */
	int fixed; /* its socket is in the io_uring tables (writers.c) */
	struct vsess *vs; /* its viewer session, while it watches */
};

struct flvd {
	struct daemon d; /* d.conf is the configuration */
	struct fstreamlist streams;
	struct viewerlist conns;
	struct viewerlist idles; /* connections with no request yet */
	int nviewers, nconnections;
	int nidle; /* connections that have not sent a whole request */
	struct evconnlistener *listeners[FLVD_LISTEN_MAX];
	int nlisteners;
	struct ringsub *sub; /* the live streams, from ingestd */
	/* limits, from the config */
	size_t backlog; /* viewer_backlog */
	int request_timeout; /* viewer_request_timeout */
	int max_requests, max_idle_per_address, max_viewers_per_address;
	int max_viewers, max_viewers_per_stream;
	struct timeval coalesce; /* flv_coalesce_ms; 0: none */
	int nofile; /* descriptors flvd may open (RLIMIT_NOFILE) */
	struct viewer **batch; /* viewers one fan-out writes to */
	size_t batchcap;
	/* counters */
	uint64_t viewers_total, viewers_dropped, not_found, refused;
	uint64_t skips; /* viewers skipped to a keyframe for lagging */
	uint64_t idle_closed; /* no request in time */
	uint64_t evicted; /* idle ones closed to make room */
	uint64_t bytes_out;
};

extern struct flvd *flvd;

/* source.c */
void source_start(void);
void source_stop(void);
struct fstream *source_find(const char *name);
void source_status(yajl_gen);
void chunk_ref(struct chunk *);
void chunk_unref(struct chunk *);
int source_sync_point(const struct fstream *, const struct ring_tagref *);

/* peers.c */
/* The entry of sa's address, with one more connection counted. */
struct peer *peers_get(const struct sockaddr *sa);
/* One connection fewer; frees the entry with the last. */
void peers_put(struct peer *);

/* writers.c */
void writers_start(int nthreads, int uring, int spread_us);
void writers_stop(void);
void writers_write(struct viewer *);
void writers_run(struct viewer **, size_t);
/* A streaming viewer's socket into the io_uring tables, and out of them
 * before it is closed. */
void writers_add(struct viewer *);
void writers_remove(struct viewer *);

/* viewer.c */
int viewer_listen(void);
void viewer_close_listeners(void);
/* Starts a new viewer on s: header, sequence headers, the GOP so far. */
void viewer_attach(
    struct viewer *, struct fstream *, int start_live, const char *user_agent);
/* Hands a fresh chunk (refs[] describe its tags) to every viewer of s. */
void viewer_fanout(struct fstream *, struct chunk *,
    const struct ring_tagref *refs, size_t nrefs);
/* The stream ended for good: flush and close its viewers. */
void viewer_end_all(struct fstream *);
/* Lapped or discontinuous: every viewer waits for the next keyframe. */
void viewer_resync_all(struct fstream *);
void viewer_free(struct viewer *);
void viewer_add_ref(
    struct viewer *, struct chunk *, uint32_t off, uint32_t len);
/* A short plain-text response (body may be NULL), then the close. */
void viewer_respond(struct viewer *, int status, const char *body);
/* Flushes what is queued, then closes. */
void viewer_finish(struct viewer *);

/* www.c */
/* Serves /watch/NAME, /vendor/FILE and /favicon.ico from www_dir, and
 * /thumb/NAME.jpg (recd's live thumbnail); 1 if it answered the request,
 * 0 if the path is not one of these. */
int www_route(struct viewer *, const struct http_request *);

#endif
