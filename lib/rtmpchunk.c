/*
 * RTMP chunk headers and bodies, read (rtmpchunk.h).  A header is taken a
 * byte at a time until its basic, message and extended timestamp parts
 * are all there, so no header is ever read past its end; a body goes
 * straight into its message's buffer, or nowhere.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flv.h"
#include "rtmpchunk.h"

static const size_t rtmpchunk_mh_len[4] = {11, 7, 3, 0};

static int rtmpchunk_fail(struct rtmpchunk_reader *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
rtmpchunk_fail(struct rtmpchunk_reader *rd, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return rd->cb->fail(rd->arg, why);
}

void
rtmpchunk_init(struct rtmpchunk_reader *rd, const struct rtmpchunk_cb *cb,
    void *arg, size_t max_streams)
{
	memset(rd, 0, sizeof(*rd));
	rd->cb = cb;
	rd->arg = arg;
	rd->chunk_size = RTMPCHUNK_DEFAULT_SIZE;
	rd->max_streams = max_streams < RTMPCHUNK_STREAMS_MAX
	    ? max_streams
	    : RTMPCHUNK_STREAMS_MAX;
}

struct rtmpchunk_stream *
rtmpchunk_find(struct rtmpchunk_reader *rd, uint32_t csid)
{
	size_t i;

	for (i = 0; i < rd->nstreams; i++)
		if (rd->streams[i].csid == csid)
			return &rd->streams[i];
	return NULL;
}

static size_t
rtmpchunk_basic_len(uint8_t b0)
{
	switch (b0 & 0x3f) {
	case 0:
		return 2;
	case 1:
		return 3;
	}
	return 1;
}

static uint32_t
rtmpchunk_csid(const uint8_t *h)
{
	switch (rtmpchunk_basic_len(h[0])) {
	case 2:
		return 64 + h[1];
	case 3:
		return 64 + h[1] + h[2] * 256;
	}
	return h[0] & 0x3f;
}

/* Header bytes needed, as far as the bytes so far tell. */
static size_t
rtmpchunk_header_need(struct rtmpchunk_reader *rd)
{
	struct rtmpchunk_stream *cs;
	int fmt = rd->hdr[0] >> 6;
	size_t basic, need;

	basic = rtmpchunk_basic_len(rd->hdr[0]);
	if (rd->hdrlen < basic)
		return basic;
	need = basic + rtmpchunk_mh_len[fmt];
	if (rd->hdrlen < need)
		return need;
	if (fmt < 3)
		return be24_read(rd->hdr + basic) == RTMPCHUNK_EXT_TIMESTAMP
		    ? need + 4
		    : need;
	if ((cs = rtmpchunk_find(rd, rtmpchunk_csid(rd->hdr))) != NULL &&
	    cs->ext)
		need += 4;
	return need;
}

static int
rtmpchunk_begin(struct rtmpchunk_reader *rd, struct rtmpchunk_stream *cs)
{
	cs->got = 0;
	cs->inmsg = 1;
	cs->skip = 0;
	return rd->cb->begin(rd->arg, cs);
}

/*
 * A header is complete.  *pushback is set when a type 3 continuation's
 * "extended timestamp" turned out to be payload (senders disagree on
 * whether it is repeated there).
 */
static int
rtmpchunk_header_done(struct rtmpchunk_reader *rd, int *pushback)
{
	const uint8_t *h = rd->hdr, *p;
	struct rtmpchunk_stream *cs;
	int fmt = h[0] >> 6;
	uint32_t csid = rtmpchunk_csid(h), field;

	*pushback = 0;
	p = h + rtmpchunk_basic_len(h[0]);
	if ((cs = rtmpchunk_find(rd, csid)) == NULL) {
		if (fmt != 0)
			return rtmpchunk_fail(rd,
			    "chunk stream %u starts with a type %d header",
			    csid, fmt);
		if (rd->nstreams == rd->max_streams)
			return rtmpchunk_fail(
			    rd, "more than %zu chunk streams", rd->max_streams);
		cs = &rd->streams[rd->nstreams++];
		memset(cs, 0, sizeof(*cs));
		cs->csid = csid;
	}
	if (fmt == 3 && cs->inmsg) {
		/* a continuation: the timestamp stays the message's */
		if (cs->ext && be32_read(p) != cs->ts_field)
			*pushback = 1;
	} else if (fmt == 3) {
		/* a new message exactly like the last one, delta repeated */
		if (cs->ext)
			cs->ts_field = be32_read(p);
		cs->timestamp += cs->ts_field;
		if (rtmpchunk_begin(rd, cs) == -1)
			return -1;
	} else {
		if (cs->inmsg)
			return rtmpchunk_fail(rd,
			    "chunk stream %u: new message before the last one "
			    "ended",
			    csid);
		field = be24_read(p);
		cs->ext = field == RTMPCHUNK_EXT_TIMESTAMP;
		if (cs->ext)
			field = be32_read(p + rtmpchunk_mh_len[fmt]);
		if (fmt <= 1) {
			cs->msg_len = be24_read(p + 3);
			cs->msg_type = p[6];
		}
		if (fmt == 0) {
			cs->stream_id = (uint32_t)p[7] | (uint32_t)p[8] << 8 |
			    (uint32_t)p[9] << 16 | (uint32_t)p[10] << 24;
			cs->timestamp = field;
		} else
			cs->timestamp += field; /* wraps as RTMP time does */
		cs->ts_field = field;
		if (rtmpchunk_begin(rd, cs) == -1)
			return -1;
	}
	if (cs->msg_len == 0) {
		cs->inmsg = 0;
		return cs->skip ? 0 : rd->cb->message(rd->arg, cs);
	}
	rd->cs = cs;
	rd->chunk_left = cs->msg_len - cs->got;
	if (rd->chunk_left > rd->chunk_size)
		rd->chunk_left = rd->chunk_size;
	return 0;
}

static int
rtmpchunk_read_header(
    struct rtmpchunk_reader *rd, const uint8_t **buf, size_t *len)
{
	const uint8_t *extra;
	uint8_t four[4];
	size_t left;
	int pushback;

	while (*len > 0) {
		rd->hdr[rd->hdrlen++] = *(*buf)++;
		(*len)--;
		if (rd->hdrlen < rtmpchunk_header_need(rd))
			continue;
		if (rtmpchunk_header_done(rd, &pushback) == -1)
			return -1;
		if (!pushback) {
			rd->hdrlen = 0;
			return 0;
		}
		/* body after all; four bytes cannot hold another such header */
		memcpy(four, rd->hdr + rd->hdrlen - 4, 4);
		rd->hdrlen = 0;
		extra = four;
		left = sizeof(four);
		while (left > 0)
			if (rtmpchunk_read(rd, &extra, &left) == -1)
				return -1;
		return 0;
	}
	return 0;
}

static int
rtmpchunk_read_body(
    struct rtmpchunk_reader *rd, const uint8_t **buf, size_t *len)
{
	struct rtmpchunk_stream *cs = rd->cs;
	size_t n = *len;

	if (n > rd->chunk_left)
		n = rd->chunk_left;
	if (!cs->skip)
		memcpy(cs->buf + cs->got, *buf, n);
	cs->got += n;
	rd->chunk_left -= n;
	*buf += n;
	*len -= n;
	if (rd->chunk_left > 0)
		return 0;
	rd->cs = NULL;
	if (cs->got < cs->msg_len)
		return 0;
	cs->inmsg = 0;
	return cs->skip ? 0 : rd->cb->message(rd->arg, cs);
}

int
rtmpchunk_read(struct rtmpchunk_reader *rd, const uint8_t **buf, size_t *len)
{
	if (*len == 0)
		return 0;
	return rd->cs != NULL ? rtmpchunk_read_body(rd, buf, len)
	                      : rtmpchunk_read_header(rd, buf, len);
}
