/*
 * ingestd: publishers in (RTMP, SRT), complete FLV tags out into one
 * shared-memory ring per live stream, and the rings handed to flvd.
 */
#ifndef INGESTD_H
#define INGESTD_H

#include <sys/queue.h>
#include <sys/socket.h>
#include <stdint.h>

#include "avinfo.h"
#include "nyon.h"
#include "ring.h"

struct evconnlistener;
struct bufferevent;
struct event;
struct publisher;

#define INGEST_LISTEN_MAX 16 /* rtmp_listen and rtmps_listen sockets */

struct subscriber;

/* timeline.c: one continuous timeline for viewers, per stream */
enum timeline_track_id { TIMELINE_VIDEO, TIMELINE_AUDIO };
struct timeline_track {
	int started;
	int64_t in; /* the last input, unwrapped past 32 bits */
	uint32_t last_in; /* ... as given */
	int64_t offset; /* output = input + offset */
	int64_t out; /* the last output */
	uint32_t step; /* the track's usual step, ms */
	uint64_t last_ms; /* clock at the last message */
};
struct timeline {
	struct timeline_track t[2];
	uint64_t jumps;
};

/* bitrate.c: the publisher's rate against its stream's max_bitrate */
#define BITRATE_SLOTS 64 /* seconds: the longest window */
struct bitrate_rule {
	unsigned window_s; /* bitrate_window */
	unsigned margin_pct; /* bitrate_margin */
	unsigned grace_s; /* bitrate_grace; 0: warn, never disconnect */
};
struct bitrate {
	struct bitrate_rule rule;
	uint64_t max_kbps; /* 0: no limit */
	uint64_t bytes[BITRATE_SLOTS]; /* per second, a ring */
	uint64_t slot_s; /* the second bytes[slot_s % SLOTS] counts */
	uint64_t start_ms;
	uint64_t kbps; /* over the window, at the last check */
	uint64_t over_since_ms; /* 0: not over */
};
enum bitrate_verdict {
	BITRATE_OK,
	BITRATE_WARN, /* just went over */
	BITRATE_OVER, /* still over, within the grace */
	BITRATE_BACK_UNDER,
	BITRATE_KICK, /* over for the whole grace */
};

/* mediastat.c: a stream's figures from the media itself */
#define MEDIASTAT_FRAMES 256 /* video frames whose times are kept */
struct mediastat_rule {
	unsigned keyframe_interval_s; /* alert_keyframe_interval; 0: none */
	unsigned fps_drop_pct; /* alert_fps_drop; 0: none */
};
enum mediastat_alert { MEDIASTAT_ALERT_KEYFRAME, MEDIASTAT_ALERT_FPS };
struct mediastat {
	struct mediastat_rule rule;
	struct avinfo_video video;
	struct avinfo_audio audio;
	int has_video, has_audio; /* a sequence header was read */
	/* the last frames: their timestamps and when they came */
	uint32_t ts[MEDIASTAT_FRAMES];
	uint64_t arrived[MEDIASTAT_FRAMES];
	unsigned head, nts;
	uint64_t frames, audio_frames, keyframes;
	uint32_t last_ts;
	uint64_t last_frame_ms, started_ms;
	int have_key;
	uint32_t key_ts, key_interval_ms, key_interval_max_ms;
	double fps; /* by the timestamps, the last window */
	double fps_arrived; /* frames received a second, the last window */
	double fps_best; /* the best whole window: what the stream can do */
	/* alerts; alert_changed is set when one comes or goes */
	int alert_keyframe, alert_fps, alert_changed;
	uint32_t alert_keyframe_ms;
	double alert_fps_value;
	int low_ticks, ok_ticks;
};

/* One live stream: a publisher writing into a ring. */
struct stream {
	TAILQ_ENTRY(stream) entry;
	uint64_t id; /* unique while ingestd runs */
	char name[STREAM_NAME_SZ];
	char proto[8]; /* "rtmp" or "srt" */
	struct ring *ring;
	struct publisher *publisher;
	int record; /* authd's record setting: 1, 0, -1 not said */
	int eventfds[8]; /* one per subscriber slot, -1 if none */
	int unwoken; /* written to since the last stream_wake */
	time_t started;
	/* per-second rates for status */
	struct ring_stats last;
	uint64_t last_ms;
	double kbps;
	unsigned alerted; /* media alerts logged: 1 << enum mediastat_alert */
	struct timeline timeline;
	struct bitrate bitrate;
	struct mediastat media;
	char bitrate_warning[160]; /* for status while over; "" if not */
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
	int record, record_set; /* the stream's record setting, from authd */
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

/* timeline.c */
void timeline_init(struct timeline *);
/* The viewers' timestamp for a track's ts; *jumped: the jump smoothed, or 0. */
uint32_t timeline_map(struct timeline *, enum timeline_track_id, uint32_t ts,
    uint64_t now_ms, int64_t *jumped);
/* A script tag's timestamp on the timeline (no state changes). */
uint32_t timeline_script(const struct timeline *, uint32_t ts);

/* mediastat.c */
void mediastat_init(struct mediastat *, const struct mediastat_rule *);
void mediastat_set_rule(struct mediastat *, const struct mediastat_rule *);
/* Each tag as the viewers get it (timestamp on the timeline). */
void mediastat_tag(struct mediastat *, uint8_t type, uint32_t ts,
    const uint8_t *body, size_t len, int flags, uint64_t now_ms);
/* Once a second: the rates and the alerts. */
void mediastat_tick(struct mediastat *, uint64_t now_ms);
/* 1 and the alert's text in buf if it is on, else 0. */
int mediastat_alert_text(
    const struct mediastat *, enum mediastat_alert, char *buf, size_t len);
/* video, audio, fps, fps_received, keyframe_interval, ... into a map */
void mediastat_json(yajl_gen, const struct mediastat *);

/* bitrate.c */
void bitrate_init(struct bitrate *, uint64_t max_kbps,
    const struct bitrate_rule *, uint64_t now_ms);
/* A new rule (SIGHUP) for a running stream: its counts stay. */
void bitrate_set_rule(struct bitrate *, const struct bitrate_rule *);
void bitrate_add(struct bitrate *, uint64_t bytes, uint64_t now_ms);
/* The mean over the last window_s whole seconds. */
uint64_t bitrate_kbps(struct bitrate *, uint64_t now_ms);
/* Once a second: what to do about the rate. */
enum bitrate_verdict bitrate_check(struct bitrate *, uint64_t now_ms);

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
/*
 * The publish is over (the connection may stay for its last words); why,
 * when ingestd ended it, is recorded on the session.
 */
void publisher_end_stream(struct publisher *, const char *why);

/* authc.c: the connection to authd */
void authc_start(void);
void authc_stop(void);
int authc_connected(void);
void authc_publish(struct publisher *, const char *key, publisher_auth_cb);
void authc_unpublish(int64_t session, const char *why);
void authc_cancel(struct publisher *);

/* rtmp_conn.c */
int rtmp_conn_listen(void);
void rtmp_conn_close_listeners(void);
void rtmp_conn_status(yajl_gen);

/* tls.c: RTMPS's TLS context */
struct ssl_st;
/* Loads rtmps_cert and rtmps_key into the context new connections get. */
int tls_load(const struct conf *, char *err, size_t errlen);
int tls_load_files(const char *cert, const char *key, char *err, size_t);
struct ssl_st *tls_ssl_new(void); /* NULL if no context */
const char *tls_error(char *buf, size_t len);
void tls_free(void);

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
