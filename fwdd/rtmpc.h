/*
 * RTMP client engine for publishing to another server, with no sockets:
 * the caller starts it, feeds it what the server sends with rtmpc_feed(),
 * and writes what the send callback gives it, in order.  It speaks what
 * YouTube, Twitch, Facebook, SRS, nginx-rtmp and ffmpeg expect of a
 * publisher: the handshake (with the digest Flash Player signs C1 with),
 * Set Chunk Size, connect with app and tcUrl, releaseStream, FCPublish,
 * createStream, publish, then @setDataFrame onMetaData and the media; it
 * answers pings and acknowledges what it reads, and reads the server's
 * _result, _error and onStatus, so a refusal comes back with the server's
 * own code and words ("NetStream.Publish.BadName: ...").
 *
 * Everything from the server is bounded: commands and control messages of
 * at most RTMPC_MAX_MESSAGE bytes are assembled, anything else is skipped
 * as it arrives, and there are at most RTMPC_MAX_CHUNK_STREAMS chunk
 * streams.  Callbacks run inside rtmpc_feed(); they must not free the
 * engine.
 */
#ifndef RTMPC_H
#define RTMPC_H

#include <stddef.h>
#include <stdint.h>

#define RTMPC_MAX_MESSAGE (64 * 1024) /* server messages we assemble */
#define RTMPC_MAX_CHUNK_STREAMS 16
#define RTMPC_CHUNK_SIZE 4096 /* what we send in */
#define RTMPC_HANDSHAKE_SIZE 1536

struct rtmpc_cb {
	/* Bytes for the server, in order; required. */
	void (*send)(void *arg, const void *buf, size_t len);
	/* The server accepted the publish: media may flow. */
	void (*live)(void *arg);
};

struct rtmpc_params {
	const char *app; /* "live2" */
	const char *tcurl; /* "rtmp://a.rtmp.youtube.com/live2" */
	const char *name; /* the publish name: the destination's key */
	/* advertise enhanced RTMP (HEVC, AV1 FourCCs) in connect */
	int enhanced;
};

enum rtmpc_state {
	RTMPC_HANDSHAKE, /* C0 C1 sent, waiting for S0 S1 S2 */
	RTMPC_CONNECTING, /* connect sent */
	RTMPC_CREATING, /* releaseStream, FCPublish, createStream sent */
	RTMPC_PUBLISHING, /* publish sent */
	RTMPC_LIVE, /* NetStream.Publish.Start: media flows */
	RTMPC_STOPPED, /* rtmpc_stop() */
	RTMPC_FAILED, /* rtmpc_error() says why */
};

struct rtmpc;

/* The params' strings are copied. */
struct rtmpc *rtmpc_new(
    const struct rtmpc_cb *, void *arg, const struct rtmpc_params *);
void rtmpc_free(struct rtmpc *);
/* Sends C0 and C1. */
void rtmpc_start(struct rtmpc *);
/* Consumes all of buf: 0, or -1 once failed (rtmpc_error() says why). */
int rtmpc_feed(struct rtmpc *, const uint8_t *buf, size_t len);
/*
 * One FLV tag's body as an RTMP message: type 8 audio, 9 video, 18 script
 * data (an onMetaData body is sent as @setDataFrame).  The timestamp is
 * the caller's.  0, or -1 unless live (nothing is sent).
 */
int rtmpc_media(struct rtmpc *, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len);
/* Ends a publish politely (FCUnpublish, deleteStream); media stops. */
void rtmpc_stop(struct rtmpc *);
enum rtmpc_state rtmpc_state(const struct rtmpc *);
const char *rtmpc_state_name(enum rtmpc_state);
const char *rtmpc_error(const struct rtmpc *);
/* The server's signed S1 was recognised (the digest handshake). */
int rtmpc_digest_handshake(const struct rtmpc *);
uint64_t rtmpc_bytes_in(const struct rtmpc *);

#endif
