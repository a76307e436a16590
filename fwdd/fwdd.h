/*
 * fwdd: pushes live streams to other servers (YouTube, Twitch, a second
 * Nyon, an SRS or nginx-rtmp cluster) over RTMP, RTMPS and SRT.  It reads
 * the rings through lib's ring subscriber, asks authd for each live
 * stream's destinations, and keeps one connection per destination, each
 * with its own bounded queue, so that a slow or failing one harms nothing
 * else.
 */
#ifndef FWDD_H
#define FWDD_H

#include <sys/queue.h>
#include <stdint.h>

#include "nyon.h"
#include "ring.h"
#include "ringsub.h"

struct event;
struct evdns_base;
struct ssl_ctx_st;

#define FWDD_READ_MAX (1024 * 1024) /* most bytes read from a ring at once */
#define FWDD_REFS_MAX 256
#define FWDD_RETRY_MIN_MS 1000 /* first reconnection delay */
#define FWDD_STEADY_S 30 /* live this long: the failures are forgotten */
#define FWDD_FAILING 3 /* failures in a row shown as failing */
#define FWDD_ERROR_SZ 256

enum dest_state {
	DEST_CONNECTING, /* DNS, TCP, TLS, SRT handshake */
	DEST_HANDSHAKE, /* RTMP handshake and commands */
	DEST_LIVE, /* accepted: media flows */
	DEST_RETRYING, /* waiting to connect again */
};

struct dest;
struct fstream;

/* A transport: RTMP(S) over a bufferevent, or SRT. */
struct dest_ops {
	/* Starts connecting; dest_connected(), dest_live() or dest_fail(). */
	void (*open)(struct dest *);
	/* Frees the connection; graceful: say goodbye first if live. */
	void (*close)(struct dest *, int graceful);
	/* One FLV tag body, already timed for this destination. */
	int (*send)(struct dest *, uint8_t type, uint32_t ts,
	    const uint8_t *body, size_t len);
	/* Bytes waiting to leave: the destination's queue. */
	size_t (*queued)(const struct dest *);
	/* Once a second: notice a broken connection. */
	void (*tick)(struct dest *);
};

struct dest {
	TAILQ_ENTRY(dest) entry; /* in its stream */
	struct fstream *stream;
	int64_t id; /* authd's */
	char *url; /* whole: a secret, never logged */
	char masked[DESTURL_SZ]; /* what may be shown */
	struct desturl u; /* parsed url: secrets inside */
	int tls_verify;
	const struct dest_ops *ops;
	void *conn; /* the transport's */
	enum dest_state state;
	struct event *timer; /* connect timeout, or the next attempt */
	uint64_t state_ms; /* now_ms() when the state began */
	int closing_by_us; /* a failure we caused: not the server's */

	/* this session's media */
	int started; /* headers sent, timeline set */
	int need_sync; /* dropping until a keyframe */
	int resend_headers; /* at that keyframe (a new ring) */
	uint32_t seq_version; /* of the ring's headers last sent */
	int64_t base; /* stream time of the session's first tag */
	uint32_t last_ts[3]; /* per track: never backwards */

	/* counters */
	uint64_t bytes_enq; /* given to the transport, every session */
	uint64_t bytes_out; /* of those, gone to the socket */
	uint64_t bytes_session;
	uint64_t tags_dropped, skips; /* keyframe skips of a slow one */
	uint64_t reconnects, sessions;
	int failures; /* in a row */
	char last_error[FWDD_ERROR_SZ];
	/* rates and stalls, from the tick */
	uint64_t rate_bytes, rate_ms;
	double kbps;
	uint64_t progress_bytes, progress_ms;
};
TAILQ_HEAD(destlist, dest);

struct fstream {
	TAILQ_ENTRY(fstream) entry;
	char name[STREAM_NAME_SZ];
	struct ringsub_stream *rs; /* while live */
	struct ring *ring;
	struct ringsub_cursor cursor;
	int live;
	int has_video;
	/* one timeline through republishes within the grace period */
	int64_t ts_offset;
	int64_t last_ts;
	int64_t last_video_ts; /* -1: none yet */
	int frame_ms; /* between the last two video frames */
	int probation; /* republished: the offset is set by its first tag */
	struct event *grace;
	struct event *ask; /* ask authd again */
	struct destlist dests;
	int ndests;
	uint64_t tags_read;
};
TAILQ_HEAD(fstreamlist, fstream);

struct fwdd {
	struct daemon d;
	struct fstreamlist streams;
	struct ringsub *sub;
	struct evdns_base *dns;
	struct ssl_ctx_st *tls;
	struct event *tick;
	uint8_t *buf; /* a ring read's tags */
	size_t bufcap;
	/* from the config */
	size_t backlog;
	int timeout;
	int retry_max;
	/* counters */
	uint64_t sessions, failures, bytes_out;
};

extern struct fwdd *fwdd;

/* source.c: the live streams, from the rings */
void source_start(void);
void source_stop(void);
struct fstream *source_find(const char *name);
/* authd's answer: the destinations the stream must have now. */
void source_set_dests(struct fstream *, yajl_val list);
/* Where a destination may start: a keyframe, or any audio frame of a
 * stream without video. */
int source_sync_point(const struct fstream *, const struct ring_tagref *);
void source_status(yajl_gen);

/* authc.c: the connection to authd */
void authc_start(void);
void authc_stop(void);
void authc_ask(struct fstream *);
void authc_forget(struct fstream *);

/*
 * backoff.c: the delay before a failing destination's next attempt, in
 * ms: doubling from FWDD_RETRY_MIN_MS with the failures in a row, at most
 * max_ms, with jitter (the upper half of that).
 */
uint64_t backoff_delay_ms(int failures, uint64_t max_ms);

/* dest.c: one destination's life */
struct dest *dest_new(
    struct fstream *, int64_t id, const char *url, int tls_verify);
/* Stops (graceful: the server is told) and frees. */
void dest_free(struct dest *, int graceful);
void dest_start(struct dest *);
void dest_connected(struct dest *); /* RTMP: the socket is up */
void dest_live(struct dest *); /* accepted: media may flow */
void dest_fail(struct dest *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* One tag of the stream, on the stream's timeline. */
void dest_tag(
    struct dest *, const struct ring_tagref *, const uint8_t *tag, int64_t ts);
/* The publisher is back: wait for a keyframe, send the headers again. */
void dest_republished(struct dest *);
void dest_tick(struct dest *, uint64_t now);
void dest_status(yajl_gen, const struct dest *);
const char *dest_state_name(const struct dest *);
/* Replaces the destination's secrets in s (from a server) by ****. */
void dest_redact(const struct dest *, char *s, size_t len);

/* dest_rtmp.c, dest_srt.c: the transports */
extern const struct dest_ops dest_rtmp_ops;
extern const struct dest_ops dest_srt_ops;
int dest_rtmp_tls_init(char *err, size_t errlen);
void dest_rtmp_tls_free(void);
/* Goodbyes still being sent; at exit, those left are closed. */
int dest_rtmp_lingering_count(void);
void dest_rtmp_lingering_free(void);
void dest_srt_cleanup(void);

#endif
