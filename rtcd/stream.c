/*
 * The live streams, as lib's ring subscriber hands them over.  A stream
 * with no WebRTC viewers is only followed (its codecs, whether it has
 * B-frames); with viewers, each tag read from the ring is cut into RTP
 * packets at once, into the stream's packet history, and every viewer
 * is sent them (session_pump).  The first viewer moves the cursor back
 * to the newest keyframe, so the history holds the GOP a new viewer may
 * start with.  AAC is transcoded to Opus here, once per stream, only
 * while there are viewers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "flv.h"
#include "rtcd.h"

#define READ_MAX (1024 * 1024)
#define REFS_MAX 256
#define FLV_CODEC_AVC 7
#define FLV_CODEC_HEVC 12
#define FLV_SOUND_AAC 10
#define FLV_SOUND_EX 9
#define VIDEO_PT 96 /* placeholders: each viewer's own are patched in */
#define AUDIO_PT 111

static uint64_t
stream_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct rstream *
stream_find(const char *name)
{
	struct rstream *s;

	TAILQ_FOREACH(s, &rtcd->streams, entry)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* packet history ------------------------------------------------------- */

struct pkt *
track_get(struct track *t, uint64_t i)
{
	if (t->hist == NULL || i >= t->head || t->head - i > t->cap)
		return NULL;
	return &t->hist[i & (t->cap - 1)];
}

int64_t
track_index(struct track *t, uint16_t seq)
{
	uint16_t last, d;

	if (t->head == 0)
		return -1;
	last = (uint16_t)(t->seq0 + t->head - 1);
	d = (uint16_t)(last - seq);
	if (d >= t->cap || d >= t->head)
		return -1;
	return (int64_t)(t->head - 1 - d);
}

static void
track_alloc(struct track *t, size_t cap)
{
	if (t->hist != NULL)
		return;
	t->cap = cap;
	t->hist = xcalloc(cap, sizeof(*t->hist));
	t->has_key = 0;
}

static void
track_release(struct track *t)
{
	free(t->hist);
	t->hist = NULL;
	t->has_key = 0;
}

static void
track_push(struct track *t, const uint8_t *payload, size_t len, int marker,
    uint32_t ts, int flags)
{
	struct pkt *p;

	/* room for what a viewer's copy adds: an extension, RTX's OSN */
	if (t->hist == NULL || len + RTP_HEADER + RTP_EXTRA_MAX > RTC_MTU)
		return;
	p = &t->hist[t->head & (t->cap - 1)];
	p->seq = (uint16_t)(t->seq0 + t->head);
	p->ts = ts;
	p->flags = (uint8_t)flags;
	p->len = (uint16_t)(RTP_HEADER + len);
	p->arrived_us = now_us();
	rtp_header(p->data, t->pt, marker, p->seq, ts, t->ssrc);
	memcpy(p->data + RTP_HEADER, payload, len);
	if (flags & PKT_KEY) {
		t->last_key = t->head;
		t->has_key = 1;
	}
	t->head++;
	t->packets++;
	t->octets += len;
}

uint32_t
stream_rtp_now(const struct rstream *s, const struct track *t)
{
	int64_t ms = (int64_t)stream_wall_ms() - s->clock_offset_ms;

	return t->ts_base + (uint32_t)((uint64_t)ms * t->clock / 1000);
}

/* codecs ----------------------------------------------------------------- */

static void
stream_avcc(struct rstream *s, const uint8_t *p, size_t len)
{
	size_t off = 6, n;
	int nsps, npps;

	s->spslen = s->ppslen = 0;
	if (len < 7 || p[0] != 1)
		return;
	s->lensize = (p[4] & 3) + 1;
	s->plid = (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	nsps = p[5] & 0x1f;
	if (nsps < 1)
		return;
	if (len - off < 2 || (n = be16_read(p + off)) > len - off - 2 ||
	    n > sizeof(s->sps) || n == 0)
		return;
	memcpy(s->sps, p + off + 2, n);
	s->spslen = n;
	off += 2 + n;
	while (--nsps > 0) {
		if (len - off < 2 || be16_read(p + off) > len - off - 2)
			return;
		off += 2 + be16_read(p + off);
	}
	if (len - off < 1 || (npps = p[off] & 0x1f) < 1)
		return;
	off++;
	if (len - off < 2 || (n = be16_read(p + off)) > len - off - 2 ||
	    n > sizeof(s->pps) || n == 0)
		return;
	memcpy(s->pps, p + off + 2, n);
	s->ppslen = n;
}

/* Reads the video tag body's codec; the AVCC frame and its cts. */
static enum stream_video
stream_video_body(const uint8_t *b, size_t len, int *seqhdr,
    const uint8_t **data, size_t *dlen, int32_t *cts)
{
	uint32_t fourcc;
	int pkt;

	*seqhdr = 0;
	*data = NULL;
	*dlen = 0;
	*cts = 0;
	if (len < 1)
		return VIDEO_NONE;
	if (b[0] & 0x80) {
		if (len < 5)
			return VIDEO_NONE;
		pkt = b[0] & 0x0f;
		fourcc = be32_read(b + 1);
		if (fourcc == FLV_FOURCC_HEVC)
			return VIDEO_HEVC;
		if (fourcc != FLV_FOURCC_AVC)
			return VIDEO_OTHER;
		if (pkt == 0) {
			*seqhdr = 1;
			*data = b + 5;
			*dlen = len - 5;
		} else if (pkt == 1 && len >= 8) {
			*cts = (int32_t)(be24_read(b + 5) << 8) >> 8;
			*data = b + 8;
			*dlen = len - 8;
		} else if (pkt == 3) {
			*data = b + 5;
			*dlen = len - 5;
		}
		return VIDEO_H264;
	}
	if ((b[0] & 0x0f) == FLV_CODEC_HEVC)
		return VIDEO_HEVC;
	if ((b[0] & 0x0f) != FLV_CODEC_AVC)
		return VIDEO_OTHER;
	if (len < 5)
		return VIDEO_H264;
	*cts = (int32_t)(be24_read(b + 2) << 8) >> 8;
	if (b[1] == 0)
		*seqhdr = 1;
	if (b[1] == 0 || b[1] == 1) {
		*data = b + 5;
		*dlen = len - 5;
	}
	return VIDEO_H264;
}

static enum stream_audio
stream_audio_body(const uint8_t *b, size_t len, int *seqhdr,
    const uint8_t **data, size_t *dlen)
{
	*seqhdr = 0;
	*data = NULL;
	*dlen = 0;
	if (len < 2)
		return AUDIO_NONE;
	if (b[0] >> 4 == FLV_SOUND_AAC) {
		*seqhdr = b[1] == 0;
		*data = b + 2;
		*dlen = len - 2;
		return AUDIO_AAC;
	}
	if (b[0] >> 4 == FLV_SOUND_EX && len >= 5) {
		if (be32_read(b + 1) != FLV_FOURCC('O', 'p', 'u', 's'))
			return AUDIO_OTHER;
		*seqhdr = (b[0] & 0x0f) == 0;
		if ((b[0] & 0x0f) <= 1) {
			*data = b + 5;
			*dlen = len - 5;
		}
		return AUDIO_OPUS;
	}
	return AUDIO_OTHER;
}

/* The sequence headers from the ring's slots: what a stream carries. */
static void
stream_read_config(struct rstream *s)
{
	uint8_t buf[RING_SEQHDR_MAX];
	const uint8_t *data;
	size_t len, dlen;
	int seq;
	int32_t cts;

	s->seq_version = ring_seq_version(s->ring);
	if (ring_seqhdr(s->ring, RING_SLOT_VIDEO, buf, sizeof(buf), &len) ==
	        0 &&
	    len > FLV_TAG_HEADER_LEN + 4) {
		s->vcodec = stream_video_body(buf + FLV_TAG_HEADER_LEN,
		    len - FLV_TAG_HEADER_LEN - 4, &seq, &data, &dlen, &cts);
		if (s->vcodec == VIDEO_H264 && seq)
			stream_avcc(s, data, dlen);
	}
	if (ring_seqhdr(s->ring, RING_SLOT_AUDIO, buf, sizeof(buf), &len) ==
	        0 &&
	    len > FLV_TAG_HEADER_LEN + 4) {
		s->acodec = stream_audio_body(buf + FLV_TAG_HEADER_LEN,
		    len - FLV_TAG_HEADER_LEN - 4, &seq, &data, &dlen);
		if (s->acodec == AUDIO_AAC && seq && dlen <= sizeof(s->asc)) {
			memcpy(s->asc, data, dlen);
			s->asclen = dlen;
		}
		if (s->acodec == AUDIO_OPUS && seq && dlen >= 10)
			s->opus_channels = data[9];
	}
}

const char *
stream_unplayable(const struct rstream *s, int *status)
{
	*status = 422;
	if (s->vcodec == VIDEO_HEVC)
		return "the stream is HEVC (H.265); WebRTC playback here is "
		       "H.264 only: publish H.264, or watch over HTTP-FLV";
	if (s->vcodec == VIDEO_OTHER)
		return "the stream's video codec cannot be sent over WebRTC "
		       "here (H.264 only); watch over HTTP-FLV";
	if (s->bframes)
		return "the stream has B-frames, which WebRTC cannot play "
		       "in order; turn them off in the encoder (x264: -bf 0, "
		       "OBS: B-frames 0) or watch over HTTP-FLV";
	if (s->vcodec == VIDEO_H264 && (s->spslen == 0 || s->ppslen == 0)) {
		*status = 503;
		return "the stream has not sent its H.264 parameter sets yet";
	}
	if (s->vcodec == VIDEO_NONE && s->acodec == AUDIO_NONE) {
		*status = 503;
		return "the stream has not sent its codecs yet";
	}
	return NULL;
}

/* sending --------------------------------------------------------------- */

struct emit_ctx {
	struct rstream *s;
	uint32_t ts;
	int key;
};

static void
stream_emit_video(
    const uint8_t *p, size_t len, int marker, int start, void *arg)
{
	struct emit_ctx *e = arg;
	int flags = 0;

	if (start)
		flags |= PKT_FRAME | (e->key ? PKT_KEY : 0);
	if (e->key)
		flags |= PKT_INKEY;
	track_push(&e->s->video, p, len, marker, e->ts, flags);
}

static void
stream_pump_all(struct rstream *s)
{
	struct session *sess, *next;

	TAILQ_FOREACH_SAFE(sess, &s->sessions, entry, next)
		if (sess->state == SESS_LIVE)
			session_pump(sess);
}

static void
stream_video_frame(
    struct rstream *s, const uint8_t *data, size_t dlen, int64_t pts, int key)
{
	struct rtp_h264 f;
	struct emit_ctx e;
	int has_ps = 0, i, t;

	if (s->video.hist == NULL || s->lensize == 0)
		return;
	if (rtp_h264_split(data, dlen, s->lensize, &f) == -1) {
		log_warnx(
		    "stream %s: a malformed H.264 frame; skipped", s->name);
		return;
	}
	if (f.nnal == 0)
		return;
	for (i = 0; i < f.nnal; i++) {
		t = f.nal[i][0] & 0x1f;
		if (t == 7 || t == 8)
			has_ps = 1;
		if (t == 5)
			key = 1;
	}
	e.s = s;
	e.ts = s->video.ts_base + (uint32_t)((uint64_t)pts * 90);
	e.key = key;
	/* SPS and PPS before every IDR, unless the frame carries them */
	rtp_h264_packetize(&f, key && !has_ps ? s->sps : NULL, s->spslen,
	    key && !has_ps ? s->pps : NULL, s->ppslen, RTC_MTU - RTP_EXTRA_MAX,
	    stream_emit_video, &e);
}

/* An audio packet is due: into the history, and to the viewers. */
static void
stream_audio_due(const uint8_t *p, size_t len, uint32_t ts, void *arg)
{
	struct rstream *s = arg;

	track_push(&s->audio, p, len, 0, ts, PKT_FRAME);
	stream_pump_all(s);
}

/* An Opus packet whose first sample is pts48 (48 kHz units) on the FLV clock. */
static void
stream_audio_packet(
    struct rstream *s, const uint8_t *p, size_t len, uint64_t pts48)
{
	uint32_t ts = s->audio.ts_base + (uint32_t)pts48;

	/* the cached GOP read again for a first viewer is no live audio */
	if (s->pace != NULL && !s->replaying)
		pace_push(s->pace, p, len, ts, (int64_t)(pts48 * 1000 / 48));
	else
		track_push(&s->audio, p, len, 0, ts, PKT_FRAME);
}

static void
stream_opus_out(const uint8_t *p, size_t len, uint64_t pts48, void *arg)
{
	stream_audio_packet(arg, p, len, pts48);
}

static void
stream_tag(struct rstream *s, const uint8_t *tag, const struct ring_tagref *r)
{
	const uint8_t *body = tag + FLV_TAG_HEADER_LEN, *data;
	size_t blen, dlen;
	int seq;
	int32_t cts;
	int64_t pts, off;

	if (r->len < FLV_TAG_HEADER_LEN + 4)
		return;
	blen = r->len - FLV_TAG_HEADER_LEN - 4;
	s->tags++;
	off = (int64_t)stream_wall_ms() - (int64_t)r->timestamp;
	if (off < s->clock_offset_ms)
		s->clock_offset_ms = off;
	if (r->flags & RING_VIDEO) {
		s->vcodec =
		    stream_video_body(body, blen, &seq, &data, &dlen, &cts);
		if (s->vcodec != VIDEO_H264 || data == NULL)
			return;
		if (seq) {
			stream_avcc(s, data, dlen);
			return;
		}
		pts = (int64_t)r->timestamp + cts;
		/* presentation order differs from decoding order */
		if (s->video_frames > 0 && pts < s->last_pts && !s->bframes) {
			struct session *sess;

			s->bframes = 1;
			log_warnx("stream %s: B-frames; WebRTC viewers are "
			          "refused",
			    s->name);
			while ((sess = TAILQ_FIRST(&s->sessions)) != NULL)
				session_end(sess, "the stream has B-frames");
		}
		s->last_pts = pts;
		s->video_frames++;
		if (s->nsessions > 0 && !s->bframes) {
			stream_video_frame(
			    s, data, dlen, pts, r->flags & RING_KEYFRAME);
			stream_pump_all(s);
		}
	} else if (r->flags & RING_AUDIO) {
		s->acodec = stream_audio_body(body, blen, &seq, &data, &dlen);
		if (data == NULL || seq || s->nsessions == 0)
			return;
		if (s->acodec == AUDIO_AAC && s->tc != NULL)
			audio_tc_feed(s->tc, data, dlen, r->timestamp);
		else if (s->acodec == AUDIO_OPUS && dlen > 0 &&
		    s->audio.hist != NULL)
			stream_audio_packet(
			    s, data, dlen, (uint64_t)r->timestamp * 48);
	}
}

static void
stream_drain(struct rstream *s)
{
	struct ring_tagref refs[REFS_MAX];
	size_t outlen, nrefs, i;
	int r, resynced;

	if (ring_seq_version(s->ring) != s->seq_version)
		stream_read_config(s);
	for (;;) {
		r = ringsub_read(s->rs, &s->cursor, s->buf, s->bufcap, &outlen,
		    refs, nitems(refs), &nrefs, &resynced);
		if (resynced) {
			struct session *sess;

			/* the data jumped: video waits for its keyframe */
			TAILQ_FOREACH(sess, &s->sessions, entry)
				sess->waiting_key = 1;
			s->video_frames = 0;
		}
		if (r == -1) {
			log_warn("stream %s: ring read", s->name);
			return;
		}
		if (nrefs == 0)
			break;
		for (i = 0; i < nrefs; i++)
			stream_tag(s, s->buf + refs[i].off, &refs[i]);
	}
	stream_pump_all(s);
}

static void
stream_data(struct ringsub_stream *rs, void *state, void *arg)
{
	stream_drain(state);
}

static void
stream_free(struct rstream *s)
{
	struct session *sess;

	while ((sess = TAILQ_FIRST(&s->sessions)) != NULL)
		session_end(sess, "the stream ended");
	TAILQ_REMOVE(&rtcd->streams, s, entry);
	audio_tc_free(s->tc);
	pace_free(s->pace);
	track_release(&s->video);
	track_release(&s->audio);
	free(s->buf);
	free(s);
}

static void
stream_ended(struct ringsub_stream *rs, void *state, void *arg)
{
	struct rstream *s = state;

	stream_drain(s);
	log_info("stream %s: publisher left; %d WebRTC viewers end", s->name,
	    s->nsessions);
	stream_free(s);
}

static void *
stream_live(struct ringsub_stream *rs, void *arg)
{
	const char *name = ringsub_name(rs);
	struct rstream *s;

	if ((s = stream_find(name)) != NULL)
		stream_free(s);
	s = xcalloc(1, sizeof(*s));
	memcpy(s->name, name, strlen(name) + 1);
	TAILQ_INIT(&s->sessions);
	s->rs = rs;
	s->ring = ringsub_ring(rs);
	s->bufcap =
	    ring_max_tag(s->ring) > READ_MAX ? ring_max_tag(s->ring) : READ_MAX;
	s->buf = xmalloc(s->bufcap);
	s->clock_offset_ms = INT64_MAX;
	s->video.kind = SDP_VIDEO;
	s->video.clock = 90000;
	s->video.pt = VIDEO_PT;
	s->audio.kind = SDP_AUDIO;
	s->audio.clock = 48000;
	s->audio.pt = AUDIO_PT;
	arc4random_buf(&s->video.ssrc, sizeof(s->video.ssrc));
	do
		arc4random_buf(&s->video.rtx_ssrc, sizeof(s->video.rtx_ssrc));
	while (s->video.rtx_ssrc == 0 || s->video.rtx_ssrc == s->video.ssrc);
	arc4random_buf(&s->audio.ssrc, sizeof(s->audio.ssrc));
	arc4random_buf(&s->video.ts_base, sizeof(s->video.ts_base));
	arc4random_buf(&s->audio.ts_base, sizeof(s->audio.ts_base));
	s->video.seq0 = (uint16_t)arc4random();
	s->audio.seq0 = (uint16_t)arc4random();
	stream_read_config(s);
	ringsub_cursor_start(rs, &s->cursor, RING_START_KEYFRAME);
	TAILQ_INSERT_TAIL(&rtcd->streams, s, entry);
	log_info("stream %s: live", s->name);
	return s;
}

static void
stream_audio_start(struct rstream *s)
{
	char err[256];

	if (s->acodec != AUDIO_AAC || s->tc != NULL ||
	    strcmp(conf_str(rtcd->d.conf, "rtc_audio"), "opus") != 0)
		return;
	if ((s->tc = audio_tc_new(s->asc, s->asclen, stream_opus_out, s, err,
	         sizeof(err))) == NULL)
		log_warnx("stream %s: no audio for WebRTC: %s", s->name, err);
	else
		log_info("stream %s: transcoding AAC to Opus", s->name);
}

void
stream_attach(struct rstream *s, struct session *sess)
{
	size_t cap = 1024;

	TAILQ_INSERT_TAIL(&s->sessions, sess, entry);
	if (s->nsessions++ > 0)
		return;
	/* room for a GOP: about what the ring holds, in packets */
	while (cap < ring_capacity(s->ring) / 1000 && cap < 16384)
		cap *= 2;
	track_alloc(&s->video, cap);
	track_alloc(&s->audio, 1024);
	s->pace = pace_new(rtcd->d.base, stream_audio_due, s);
	stream_audio_start(s);
	/* the cached GOP into the history, for this first viewer */
	ringsub_cursor_start(s->rs, &s->cursor, RING_START_KEYFRAME);
	s->video_frames = 0;
	s->replaying = 1;
	stream_drain(s);
	s->replaying = 0;
}

void
stream_detach(struct rstream *s, struct session *sess)
{
	TAILQ_REMOVE(&s->sessions, sess, entry);
	if (--s->nsessions > 0)
		return;
	if (s->tc != NULL) {
		rtcd->transcode_us += audio_tc_cpu_us(s->tc);
		log_info("stream %s: no WebRTC viewers; transcoding stops "
		         "(%.2f s of CPU)",
		    s->name, audio_tc_cpu_us(s->tc) / 1e6);
		audio_tc_free(s->tc);
		s->tc = NULL;
	}
	pace_free(s->pace);
	s->pace = NULL;
	track_release(&s->video);
	track_release(&s->audio);
}

void
stream_start(void)
{
	static const struct ringsub_cb cb = {
	    .live = stream_live,
	    .data = stream_data,
	    .ended = stream_ended,
	};

	rtcd->sub =
	    ringsub_new(rtcd->d.base, rtcd->d.conf, &rtcd->d.policy, &cb, NULL);
}

void
stream_stop(void)
{
	struct rstream *s;

	ringsub_free(rtcd->sub);
	rtcd->sub = NULL;
	while ((s = TAILQ_FIRST(&rtcd->streams)) != NULL)
		stream_free(s);
}

static const char *
stream_vname(enum stream_video v)
{
	return v == VIDEO_H264 ? "h264"
	    : v == VIDEO_HEVC  ? "hevc"
	    : v == VIDEO_OTHER ? "other"
	                       : "none";
}

static const char *
stream_aname(enum stream_audio a)
{
	return a == AUDIO_AAC  ? "aac"
	    : a == AUDIO_OPUS  ? "opus"
	    : a == AUDIO_OTHER ? "other"
	                       : "none";
}

void
stream_status(yajl_gen g)
{
	struct rstream *s;
	struct session *sess;

	json_bool(g, "subscribed", ringsub_subscribed(rtcd->sub));
	json_key(g, "streams");
	yajl_gen_array_open(g);
	TAILQ_FOREACH(s, &rtcd->streams, entry) {
		yajl_gen_map_open(g);
		json_str(g, "name", s->name);
		json_str(g, "video", stream_vname(s->vcodec));
		json_str(g, "audio", stream_aname(s->acodec));
		json_bool(g, "bframes", s->bframes);
		json_bool(g, "transcoding", s->tc != NULL);
		json_int(g, "transcode_cpu_ms",
		    s->tc ? (long long)(audio_tc_cpu_us(s->tc) / 1000) : 0);
		/* what pacing the audio costs, and the stalls it let by */
		json_double(
		    g, "audio_hold_ms", s->pace ? pace_held_ms(s->pace) : 0);
		json_int(g, "audio_stalls",
		    s->pace ? (long long)pace_stalls(s->pace) : 0);
		json_int(g, "viewers", s->nsessions);
		json_int(g, "laps", (long long)s->cursor.laps);
		/* it never drops a viewer for lagging: it skips it ahead */
		output_stats_json(g,
		    &(struct output_stats){.kind = "webrtc",
		        .viewers = s->nsessions,
		        .bytes_out = (long long)s->bytes_out,
		        .viewers_total = (long long)s->viewers_total,
		        .skipped = (long long)s->skips});
		json_key(g, "sessions");
		yajl_gen_array_open(g);
		TAILQ_FOREACH(sess, &s->sessions, entry)
			session_status(g, sess);
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}
