/*
 * ingestd: publishers in (RTMP, SRT), complete FLV tags out into one
 * shared-memory ring per live stream, and the rings handed to flvd.
 */
#ifndef INGESTD_H
#define INGESTD_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

#include "nyon.h"
#include "ring.h"

struct evconnlistener;
struct bufferevent;
struct event;
struct publisher;

#define INGEST_LISTEN_MAX 8

struct subscriber;

/* One live stream: a publisher writing into a ring. */
struct stream {
	TAILQ_ENTRY(stream) entry;
	uint64_t id; /* unique while ingestd runs */
	char name[STREAM_NAME_SZ];
	char proto[8]; /* "rtmp" or "srt" */
	struct ring *ring;
	struct publisher *publisher;
	int eventfds[8]; /* one per subscriber slot, -1 if none */
	int unwoken; /* written to since the last stream_wake */
	time_t started;
	/* per-second rates for status */
	struct ring_stats last;
	uint64_t last_ms;
	double kbps, fps;
};
TAILQ_HEAD(streamlist, stream);

/* A publisher connection, whatever its protocol. */
struct publisher {
	TAILQ_ENTRY(publisher) entry;
	uint64_t id;
	char proto[8];
	char addr[64]; /* peer, "ip:port" */
	char ip[48];
	char client[24]; /* "rtmp-12": the session's client id */
	uint8_t net[16]; /* the address as limits count it (publisher.c) */
	int pending; /* not yet authorised */
	uint64_t since_ms; /* connected, now_ms() */
	int asking; /* publish asked for, no answer yet */
	char key[STREAM_KEY_SZ]; /* as given, to authorise again */
	int64_t session; /* authd's session, 0 if none */
	int auth_pending;
	void (*auth_done)(struct publisher *, const char *, uint64_t,
	    const char *); /* publisher_authorise's caller */
	struct stream *stream; /* when publishing */
	void *conn; /* protocol's own state */
	/* ends the publish, tells the peer why, closes when flushed */
	void (*kick)(struct publisher *, const char *why);
	/* closes at once (shutdown) */
	void (*destroy)(struct publisher *);
};
TAILQ_HEAD(publisherlist, publisher);

struct ingestd {
	struct daemon d; /* d.conf is the configuration */
	struct streamlist streams;
	struct publisherlist publishers;
	int npublishers, nstreams;
	uint64_t next_id;
	struct evconnlistener *rtmp_listeners[INGEST_LISTEN_MAX];
	int nrtmp_listeners;
	struct subscriber *subscribers[8];
	struct event *stats_timer;
	/* counters for status */
	uint64_t publishes_ok, publishes_refused, bytes_in;
	uint64_t evicted; /* pending connections closed to make room */
};

extern struct ingestd *ingestd;

/* stream.c */
struct stream *stream_find(const char *name);
struct stream *stream_open(const char *name, const char *proto,
    struct publisher *, uint64_t bitrate_kbps, char *err, size_t errlen);
int stream_tag(struct stream *, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len);
void stream_wake(void);
void stream_close(struct stream *);
void stream_status(yajl_gen);
void stream_stats_tick(void);
void stream_subscribe(struct ctl_peer *, struct ctl_msg *, void *);
void stream_unsubscribe(struct ctl_peer *);

/* publisher.c: what RTMP and SRT publishers share */
/* NULL, with why, when a limit refuses a connection from sa. */
struct publisher *publisher_new(
    const char *proto, const struct sockaddr *sa, char *why, size_t whylen);
/* Whether publisher_new() would take sa now (any thread): 0 or -1, why. */
int publisher_admit(const struct sockaddr *sa, char *why, size_t whylen);
void publisher_free(struct publisher *);
/* Asks whether key may publish; calls done with the stream name or NULL. */
typedef void (*publisher_auth_cb)(struct publisher *, const char *stream,
    uint64_t bitrate_kbps, const char *why);
void publisher_authorise(
    struct publisher *, const char *key, publisher_auth_cb done);
/* The publish is over (the connection may stay for its last words). */
void publisher_end_stream(struct publisher *);

/* authc.c: the connection to authd */
void authc_start(void);
void authc_stop(void);
int authc_connected(void);
void authc_publish(struct publisher *, const char *key, publisher_auth_cb);
void authc_unpublish(int64_t session);
void authc_cancel(struct publisher *);

/* rtmp_conn.c */
int rtmp_conn_listen(void);
void rtmp_conn_close_listeners(void);
void rtmp_conn_status(yajl_gen);

/* srt_lib.c: libsrt, opened with dlopen() on first use */
int srt_lib_load(char *err, size_t errlen);
int srt_lib_loaded(void);

/* srt_conn.c */
int srt_conn_listen(void);
void srt_conn_close(void);
void srt_conn_status(yajl_gen);

/* srt_streamid.c: what an SRT caller's stream id asks for; pure */
#define SRT_STREAMID_MAX 512 /* libsrt's limit */
#define SRT_KEY_MAX 100 /* longest key authd issues */
enum srt_streamid_err {
	SRT_STREAMID_OK,
	SRT_STREAMID_BAD, /* malformed, or a key we could never accept */
	SRT_STREAMID_MODE, /* asks to play (or anything but publish) */
	SRT_STREAMID_APP, /* an application other than rtmp_app */
};
enum srt_streamid_err srt_streamid_parse(const char *sid, const char *app,
    char key[SRT_KEY_MAX + 1], const char **why);

#endif
