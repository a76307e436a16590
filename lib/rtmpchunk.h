/*
 * RTMP's chunk stream layer, reading, I/O free: what ingestd's server
 * engine and fwdd's client engine share.  Chunk headers gather in a fixed
 * buffer; each message's body is assembled in its chunk stream's buffer
 * or skipped as it arrives, as the engine decides when the message
 * begins.  The engine owns the buffers and sets the chunk size.
 */
#ifndef RTMPCHUNK_H
#define RTMPCHUNK_H

#include <stddef.h>
#include <stdint.h>

#define RTMPCHUNK_HEADER_MAX 18 /* 3 basic + 11 message + 4 extended */
#define RTMPCHUNK_EXT_TIMESTAMP 0xffffff
#define RTMPCHUNK_DEFAULT_SIZE 128
#define RTMPCHUNK_STREAMS_MAX 64

struct rtmpchunk_stream {
	uint32_t csid;
	uint32_t timestamp; /* the message's: deltas added, wrapping */
	uint32_t ts_field; /* the last header's timestamp field */
	int ext; /* ... which was extended */
	uint32_t msg_len;
	uint8_t msg_type;
	uint32_t stream_id;
	uint8_t *buf; /* the engine's */
	size_t cap; /* the engine's */
	uint32_t got; /* bytes of the message so far */
	int inmsg; /* a message is arriving */
	int skip; /* ... and is dropped as it arrives, not assembled */
};

struct rtmpchunk_cb {
	/*
	 * A message begins on cs, its type, length and stream id set: set
	 * cs->skip, or give cs->buf room for cs->msg_len bytes.  -1 fails.
	 */
	int (*begin)(void *arg, struct rtmpchunk_stream *cs);
	/* A whole message that is not skipped.  -1 fails. */
	int (*message)(void *arg, struct rtmpchunk_stream *cs);
	/* The peer broke the chunk layer; why is in words.  Returns -1. */
	int (*fail)(void *arg, const char *why);
};

struct rtmpchunk_reader {
	const struct rtmpchunk_cb *cb;
	void *arg;
	uint32_t chunk_size; /* the peer's: Set Chunk Size */
	size_t max_streams; /* at most RTMPCHUNK_STREAMS_MAX */
	uint8_t hdr[RTMPCHUNK_HEADER_MAX];
	size_t hdrlen;
	struct rtmpchunk_stream *cs; /* whose chunk body is being read */
	uint32_t chunk_left;
	struct rtmpchunk_stream streams[RTMPCHUNK_STREAMS_MAX];
	size_t nstreams;
};

void rtmpchunk_init(struct rtmpchunk_reader *, const struct rtmpchunk_cb *,
    void *arg, size_t max_streams);
/*
 * One step: a chunk header, or what *len holds of a chunk body, taken from
 * *buf, which moves on.  0, or -1 when the peer or the engine failed.
 */
int rtmpchunk_read(struct rtmpchunk_reader *, const uint8_t **buf, size_t *len);
struct rtmpchunk_stream *rtmpchunk_find(struct rtmpchunk_reader *, uint32_t);

#endif
