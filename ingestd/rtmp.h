/*
 * RTMP server engine for publishers, with no sockets: the caller feeds the
 * bytes it reads with rtmp_feed(), and the engine answers through the send
 * callback and reports what happens through the others.  It does the
 * handshake (plain and digest), the chunk stream and the AMF0 commands a
 * publisher sends (connect, releaseStream, FCPublish, createStream,
 * publish, FCUnpublish, deleteStream, closeStream).
 *
 * Callbacks run inside rtmp_feed() (or rtmp_publish_result()/rtmp_stop()).
 * They may call rtmp_publish_result() and rtmp_stop(), never rtmp_free().
 */
#ifndef RTMP_H
#define RTMP_H

#include <stddef.h>
#include <stdint.h>

#include "nyon.h"

#define RTMP_MAX_MESSAGE_DEFAULT (16 * 1024 * 1024)
#define RTMP_MAX_CHUNK_SIZE_DEFAULT (16 * 1024 * 1024)
#define RTMP_MAX_CHUNK_STREAMS 64 /* active chunk streams per connection */
#define RTMP_MAX_COMMAND (64 * 1024) /* largest command or control message */
/* Message buffers are sized in these steps; up to 4 steps are kept. */
#define RTMP_BUFFER_STEP 1024
#define RTMP_KEEP_BUFFER (4 * RTMP_BUFFER_STEP)
/* All of a connection's message buffers until its publish is accepted. */
#define RTMP_PENDING_BUFFERS \
	(2 * RTMP_MAX_COMMAND + RTMP_MAX_CHUNK_STREAMS * RTMP_BUFFER_STEP)
#define RTMP_NAME_MAX (STREAM_NAME_SZ - 1) /* longest publish key (or name) */
#define RTMP_WINDOW_ACK_SIZE 2500000 /* what we ask the peer to ack at */
#define RTMP_OUT_CHUNK_SIZE 4096 /* our chunk size after connect */

struct rtmp_cb {
	/* Bytes for the peer, in order; required. */
	void (*send)(void *arg, const void *buf, size_t len);
	/*
	 * connect: 0 accepts; -1 rejects, the engine sends _error and
	 * rtmp_feed() returns -1.  NULL accepts everything.
	 */
	int (*connect)(void *arg, const char *app, const char *tcurl);
	/*
	 * publish, with the stream name stripped of any "?query".  Answer
	 * later (or right away) with rtmp_publish_result().
	 */
	void (*publish)(void *arg, const char *name);
	/*
	 * A complete message after a successful publish: type 8 audio, 9
	 * video, 18 script data.  For @setDataFrame the "@setDataFrame"
	 * string is removed so the body starts with "onMetaData" as in an
	 * FLV file.  Audio and video are legacy FLV or enhanced RTMP that
	 * flv_media_accept() takes.  body stays valid only during the call.
	 */
	void (*media)(void *arg, uint8_t type, uint32_t timestamp,
	    const uint8_t *body, size_t len);
	/*
	 * The publish is over: why is NULL when the publisher stopped
	 * (FCUnpublish, deleteStream, closeStream), or says why the engine
	 * ended it (media Nyon cannot carry, after onStatus
	 * NetStream.Publish.Rejected); the caller should then close once
	 * the reply is flushed.
	 */
	void (*unpublish)(void *arg, const char *why);
};

/*
 * Bytes that the message buffers of several engines may hold together: one
 * struct shared by every connection of a process (engines are not
 * thread-safe, and neither is this).  A connection whose buffer would take
 * used past limit fails instead; the others carry on.
 */
struct rtmp_budget {
	size_t limit; /* 0: no limit */
	size_t used; /* by every engine sharing it */
};

/*
 * What a connection may make the engine hold.  Before its publish is
 * accepted: command and control messages of up to RTMP_MAX_COMMAND bytes,
 * RTMP_PENDING_BUFFERS in all; media and anything else the engine does not
 * read is skipped as it arrives, never assembled.  Once live: media messages
 * up to the publish's own limit (rtmp_set_max_media()), at most two of them
 * in flight.  Buffers over RTMP_KEEP_BUFFER are freed as soon as their
 * message has been handled.  The chunk size costs nothing: chunk bodies go
 * straight into their message's buffer (or nowhere, for a skipped one).
 */
struct rtmp_limits {
	size_t max_message; /* largest message; 0 for the default */
	uint32_t max_chunk_size; /* largest Set Chunk Size; 0 for the default */
	struct rtmp_budget *budget; /* shared with other engines; may be NULL */
};

struct rtmp;

/* limits may be NULL for the defaults. */
struct rtmp *rtmp_new(
    const struct rtmp_cb *, void *arg, const struct rtmp_limits *);
void rtmp_free(struct rtmp *);
/*
 * Consumes all of buf.  Returns 0, or -1 on a protocol error (rtmp_error()
 * says why); the caller then closes the connection.  After -1 every call
 * returns -1.
 */
int rtmp_feed(struct rtmp *, const uint8_t *buf, size_t len);
/*
 * The answer to the publish callback: ok sends StreamBegin and onStatus
 * NetStream.Publish.Start, and media starts flowing; otherwise onStatus
 * error NetStream.Publish.BadName with description why (the caller should
 * then close once the reply is flushed).  Ignored unless a publish is
 * pending.
 */
void rtmp_publish_result(struct rtmp *, int ok, const char *why);
/*
 * The server ends a live publish (key revoked, stream disabled): onStatus
 * NetStream.Unpublish.Success with description why, then StreamEOF.  Media
 * is dropped from then on; the unpublish callback is not called.
 */
void rtmp_stop(struct rtmp *, const char *why);
const char *rtmp_error(const struct rtmp *);
/* Every byte fed so far, handshake included. */
uint64_t rtmp_bytes_in(const struct rtmp *);
/* Whether media is being forwarded (publish accepted and not ended). */
int rtmp_publishing(const struct rtmp *);
/*
 * The largest media message of this publish, for instance what the stream's
 * bitrate needs; never more than max_message.  0 restores max_message.
 * Call it before rtmp_publish_result() accepts.
 */
void rtmp_set_max_media(struct rtmp *, size_t);
/* Bytes of message buffers held now. */
size_t rtmp_buffered(const struct rtmp *);
/*
 * Whether connect announced enhanced RTMP (fourCcList or a FourCC info
 * map); the _result then says what Nyon carries.
 */
int rtmp_enhanced(const struct rtmp *);

#endif
