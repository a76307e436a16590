/*
 * The live streams, as lib's ring subscriber hands them over: each ring's
 * FLV tags are read as they come, their decoder configurations followed,
 * and, while the stream is to be recorded and the disk has room, its
 * H.264/HEVC and AAC frames muxed into the current file.  A file starts on
 * a keyframe, and a new one when record_split has passed, the codec
 * configuration changed or the reader had to skip ahead.  What cannot be
 * recorded (another codec, a configuration we cannot read) is said once
 * in the log and left out; the rest of the stream is still recorded.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "flv.h"
#include "recd.h"

#define FLV_CODEC_AVC 7
#define FLV_CODEC_HEVC 12
#define FLV_SOUND_AAC 10

static struct rstream *
record_find(const char *name)
{
	struct rstream *s;

	TAILQ_FOREACH(s, &recd->streams, entry)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* What cannot be recorded, once per stream and reason. */
static void
record_skip(struct rstream *s, const char *why)
{
	if (strcmp(s->skip_why, why) == 0)
		return;
	strlcpy(s->skip_why, why, sizeof(s->skip_why));
	log_warnx("stream %s: %s: not recorded", s->name, why);
}

static void
record_end_file(struct rstream *s)
{
	if (s->file == NULL)
		return;
	file_finish(s->file);
	s->file = NULL;
}

static int
record_wanted(const struct rstream *s)
{
	return s->record && !recd->paused;
}

static void
record_open_file(struct rstream *s)
{
	char err[256];

	if ((s->file = file_open(s, err, sizeof(err))) == NULL) {
		log_warnx("stream %s: cannot record: %s", s->name, err);
		s->waiting_key = 1;
		return;
	}
	s->waiting_key = 0;
	s->files++;
}

/* A new configuration: the file (if any) ends; the next one uses it. */
static void
record_config(
    struct rstream *s, enum mp4_kind kind, struct mp4_track *t, int ok)
{
	struct mp4_track *cur = kind == MP4_VIDEO ? &s->video : &s->audio;
	int *has = kind == MP4_VIDEO ? &s->has_video : &s->has_audio;

	if (ok && *has && cur->config_len == t->config_len &&
	    memcmp(cur->config, t->config, t->config_len) == 0)
		return; /* the same one again */
	if (s->file != NULL) {
		log_info("stream %s: new %s configuration: a new file", s->name,
		    kind == MP4_VIDEO ? "video" : "audio");
		record_end_file(s);
		s->waiting_key = 1;
	}
	*has = ok;
	if (ok)
		*cur = *t;
}

static void
record_write(struct rstream *s)
{
	uint64_t before = s->file->size;

	if (s->file->out.len > 0 && file_write(s->file) == -1) {
		/* file_write closed it; a later keyframe tries again */
		s->file = NULL;
		s->waiting_key = 1;
		return;
	}
	s->written += s->file->size - before;
}

static void record_video_frame(
    struct rstream *, uint32_t, int32_t, int, const uint8_t *, size_t);

static void
record_hold_clear(struct rstream *s)
{
	s->holding = 0;
	s->nheld = 0;
	s->holdlen = 0;
}

static void
record_hold(struct rstream *s, uint32_t ts, int32_t cts, int key,
    const uint8_t *data, size_t len)
{
	struct recframe *f;

	if (s->nheld == s->heldcap) {
		s->heldcap = s->heldcap ? s->heldcap * 2 : 64;
		s->held = xreallocarray(s->held, s->heldcap, sizeof(*s->held));
	}
	if (s->holdcap - s->holdlen < len) {
		while (s->holdcap - s->holdlen < len)
			s->holdcap = s->holdcap ? s->holdcap * 2 : 256 * 1024;
		s->hold = xreallocarray(s->hold, s->holdcap, 1);
	}
	f = &s->held[s->nheld++];
	f->ts = ts;
	f->cts = cts;
	f->key = key;
	f->off = s->holdlen;
	f->len = len;
	memcpy(s->hold + s->holdlen, data, len);
	s->holdlen += len;
	s->holding = 1;
}

/* The wait is over (audio came, or did not in time): the held video goes. */
static void
record_unhold(struct rstream *s)
{
	size_t i, n = s->nheld;

	if (!s->holding)
		return;
	s->holding = 0;
	s->hold_done = 1;
	for (i = 0; i < n && i < s->nheld; i++)
		record_video_frame(s, s->held[i].ts, s->held[i].cts,
		    s->held[i].key, s->hold + s->held[i].off, s->held[i].len);
	record_hold_clear(s);
}

/* Whether a file about to start should wait for the audio's configuration. */
static int
record_wait_audio(const struct rstream *s, size_t len)
{
	return !s->hold_done && !s->has_audio &&
	    now_ms() - s->live_ms < RECD_AUDIO_WAIT_MS &&
	    s->holdlen + len <= RECD_HOLD_MAX;
}

static void
record_video_frame(struct rstream *s, uint32_t ts, int32_t cts, int key,
    const uint8_t *data, size_t len)
{
	const char *why;
	uint64_t now = now_ms();
	long long iv = conf_int(recd->d.conf, "thumbnail_interval");

	if (key && iv > 0 &&
	    (now - s->last_thumb_ms >= (uint64_t)iv * 1000 ||
	        (s->file != NULL && s->file->thumb_due)))
		if (thumb_offer(s, data, len,
		        s->file != NULL && s->file->thumb_due ? s->file->path
		                                              : NULL) == 1) {
			s->last_thumb_ms = now;
			if (s->file != NULL)
				s->file->thumb_due = 0;
		}
	if (!record_wanted(s)) {
		record_end_file(s);
		return;
	}
	if (key && s->file != NULL &&
	    now - s->file->started_ms >=
	        (uint64_t)conf_int(recd->d.conf, "record_split") * 1000)
		record_end_file(s);
	if (s->holding) {
		if (record_wait_audio(s, len)) {
			record_hold(s, ts, cts, key, data, len);
			return;
		}
		record_unhold(s);
	}
	if (s->file == NULL) {
		if (!key)
			return;
		if (record_wait_audio(s, len)) {
			record_hold(s, ts, cts, key, data, len);
			return;
		}
		record_open_file(s);
		if (s->file == NULL)
			return;
		/* its own thumbnail from this keyframe, if the thread is free */
		if (thumb_offer(s, data, len, s->file->path) == 1)
			s->file->thumb_due = 0;
	}
	if (mp4mux_video(s->file->mux, ts, cts, key, data, len, &s->file->out,
	        &why) == -1) {
		record_skip(s, why);
		return;
	}
	record_write(s);
}

static void
record_video(struct rstream *s, const uint8_t *body, size_t len, uint32_t ts)
{
	struct mp4_track t;
	const char *why = NULL;
	uint32_t fourcc;
	int32_t cts = 0;
	int pkt, key, codec, hevc, ok;
	size_t hdr;
	char msg[64];

	s->video_seen = 1;
	if (len < 5)
		return;
	if (body[0] & 0x80) {
		/* enhanced RTMP: ExVideoTagHeader, FourCC */
		pkt = body[0] & 0x0f;
		key = ((body[0] >> 4) & 0x07) == 1;
		fourcc = be32_read(body + 1);
		if (fourcc != FLV_FOURCC_AVC && fourcc != FLV_FOURCC_HEVC) {
			snprintf(msg, sizeof(msg), "video codec %c%c%c%c",
			    isprint(body[1]) ? body[1] : '?',
			    isprint(body[2]) ? body[2] : '?',
			    isprint(body[3]) ? body[3] : '?',
			    isprint(body[4]) ? body[4] : '?');
			record_skip(s, msg);
			return;
		}
		hevc = fourcc == FLV_FOURCC_HEVC;
		if (pkt == 0)
			hdr = 5;
		else if (pkt == 1) {
			if (len < 8)
				return;
			cts = (int32_t)(be24_read(body + 5) << 8) >> 8;
			hdr = 8;
			pkt = 1;
		} else if (pkt == 3) {
			hdr = 5;
			pkt = 1;
		} else
			return; /* end of sequence, metadata, ... */
	} else {
		codec = body[0] & 0x0f;
		key = (body[0] >> 4) == 1;
		if (codec != FLV_CODEC_AVC && codec != FLV_CODEC_HEVC) {
			snprintf(msg, sizeof(msg), "FLV video codec %d", codec);
			record_skip(s, msg);
			return;
		}
		hevc = codec == FLV_CODEC_HEVC;
		pkt = body[1];
		cts = (int32_t)(be24_read(body + 2) << 8) >> 8;
		hdr = 5;
		if (pkt != 0 && pkt != 1)
			return;
	}
	if (pkt == 0) {
		memset(&t, 0, sizeof(t));
		ok = (hevc ? codec_hevc : codec_avc)(
		         body + hdr, len - hdr, &t, &why) == 0;
		if (!ok)
			record_skip(s, why);
		record_config(s, MP4_VIDEO, &t, ok);
		return;
	}
	if (!s->has_video || len <= hdr)
		return;
	if (hevc != (s->video.fourcc == MP4_FOURCC('h', 'v', 'c', '1')))
		return; /* frames of another codec than configured */
	record_video_frame(s, ts, cts, key, body + hdr, len - hdr);
}

static void
record_audio(struct rstream *s, const uint8_t *body, size_t len, uint32_t ts)
{
	struct mp4_track t;
	const char *why = NULL;
	char msg[64];
	int ok;

	if (len < 2)
		return;
	if (body[0] >> 4 != FLV_SOUND_AAC) {
		snprintf(msg, sizeof(msg), "FLV audio format %d", body[0] >> 4);
		record_skip(s, msg);
		return;
	}
	if (body[1] == 0) {
		memset(&t, 0, sizeof(t));
		ok = codec_aac(body + 2, len - 2, &t, &why) == 0;
		if (!ok)
			record_skip(s, why);
		record_config(s, MP4_AUDIO, &t, ok);
		return;
	}
	if (body[1] != 1 || !s->has_audio || len <= 2)
		return;
	if (!record_wanted(s)) {
		record_end_file(s);
		return;
	}
	/* the video waited for this: it starts the file now */
	record_unhold(s);
	/* audio alone: no video came at all */
	if (s->file == NULL && !s->has_video && !s->video_seen)
		record_open_file(s);
	if (s->file == NULL || s->file->mux == NULL)
		return;
	if (mp4mux_audio(
	        s->file->mux, ts, body + 2, len - 2, &s->file->out, &why) == -1)
		return; /* a file with video only: audio came later */
	record_write(s);
}

static void
record_tag(struct rstream *s, const uint8_t *tag, const struct ring_tagref *r)
{
	struct flv_tag t;
	const uint8_t *body;

	if (flv_tag_parse(tag, r->len, &t) == -1 ||
	    t.size + FLV_TAG_HEADER_LEN > r->len)
		return;
	body = tag + FLV_TAG_HEADER_LEN;
	s->tags++;
	s->bytes += t.size;
	if (t.type == FLV_TAG_VIDEO)
		record_video(s, body, t.size, t.timestamp);
	else if (t.type == FLV_TAG_AUDIO)
		record_audio(s, body, t.size, t.timestamp);
}

static void
record_drain(struct rstream *s)
{
	struct ring_tagref refs[RECD_REFS_MAX];
	size_t outlen, nrefs, i, need;
	int r, resynced;

	need = ring_max_tag(s->ring);
	if (need < RECD_READ_MAX)
		need = RECD_READ_MAX;
	if (recd->bufcap < need) {
		free(recd->buf);
		recd->buf = xmalloc(need);
		recd->bufcap = need;
	}
	for (;;) {
		r = ringsub_read(s->rs, &s->cursor, recd->buf, recd->bufcap,
		    &outlen, refs, nitems(refs), &nrefs, &resynced);
		if (resynced && s->file != NULL) {
			log_warnx("stream %s: recording fell behind; the file "
			          "ends here, a new one starts at the next "
			          "keyframe",
			    s->name);
			record_end_file(s);
		}
		if (r == -1) {
			log_warn("stream %s: ring read", s->name);
			return;
		}
		if (nrefs == 0)
			return;
		for (i = 0; i < nrefs; i++)
			record_tag(s, recd->buf + refs[i].off, &refs[i]);
	}
}

static void
record_data(struct ringsub_stream *rs, void *state, void *arg)
{
	record_drain(state);
}

static void
record_free(struct rstream *s)
{
	record_unhold(s);
	record_end_file(s);
	free(s->held);
	free(s->hold);
	TAILQ_REMOVE(&recd->streams, s, entry);
	free(s);
}

static void
record_ended(struct ringsub_stream *rs, void *state, void *arg)
{
	struct rstream *s = state;

	record_drain(s);
	log_info("stream %s: ended", s->name);
	record_free(s);
}

/* The configurations a late reader finds in the ring's slots. */
static void
record_slots(struct rstream *s)
{
	uint8_t tag[RING_META_MAX];
	struct ring_tagref r;
	size_t len;

	if (ring_seqhdr(s->ring, RING_SLOT_VIDEO, tag, sizeof(tag), &len) ==
	    0) {
		r.len = (uint32_t)len;
		record_tag(s, tag, &r);
	}
	if (ring_seqhdr(s->ring, RING_SLOT_AUDIO, tag, sizeof(tag), &len) ==
	    0) {
		r.len = (uint32_t)len;
		record_tag(s, tag, &r);
	}
}

static void *
record_live(struct ringsub_stream *rs, void *arg)
{
	const char *name = ringsub_name(rs);
	struct rstream *s;

	if ((s = record_find(name)) != NULL)
		record_free(s);
	s = xcalloc(1, sizeof(*s));
	memcpy(s->name, name, strlen(name) + 1);
	s->rs = rs;
	s->ring = ringsub_ring(rs);
	s->record = ringsub_record(rs);
	if (s->record == -1)
		s->record = conf_bool(recd->d.conf, "record");
	s->waiting_key = 1;
	s->live_ms = now_ms();
	TAILQ_INSERT_TAIL(&recd->streams, s, entry);
	/*
	 * From the ring's start while it has not wrapped, so a recording
	 * misses nothing; later (recd restarted), from the newest keyframe.
	 */
	if (ring_tail(s->ring) < ring_capacity(s->ring) / 2)
		s->cursor.pos = 0;
	else {
		ringsub_cursor_start(rs, &s->cursor, RING_START_KEYFRAME);
		record_slots(s);
	}
	log_info("stream %s: live, %s", s->name,
	    s->record ? "recording" : "not recorded");
	return s;
}

void
record_finish_all(const char *why)
{
	struct rstream *s;

	TAILQ_FOREACH(s, &recd->streams, entry)
		if (s->file != NULL) {
			log_info("stream %s: recording ends: %s", s->name, why);
			record_end_file(s);
		}
}

int
record_set(const char *name, int record)
{
	struct rstream *s;

	if ((s = record_find(name)) == NULL)
		return -1;
	if (s->record == record)
		return 0;
	s->record = record;
	log_info("stream %s: recording turned %s%s", s->name,
	    record ? "on" : "off", record ? ": from its next keyframe" : "");
	if (!record) {
		record_unhold(s);
		record_end_file(s);
	}
	return 0;
}

void
record_tick(void)
{
	struct rstream *s;

	/* audio-only files split here; video ones on a keyframe */
	TAILQ_FOREACH(s, &recd->streams, entry)
		if (s->file != NULL && !s->has_video &&
		    now_ms() - s->file->started_ms >=
		        (uint64_t)conf_int(recd->d.conf, "record_split") * 1000)
			record_end_file(s);
}

void
record_start(void)
{
	static const struct ringsub_cb cb = {
	    .live = record_live,
	    .data = record_data,
	    .ended = record_ended,
	};

	recd->sub =
	    ringsub_new(recd->d.base, recd->d.conf, &recd->d.policy, &cb, NULL);
}

void
record_stop(void)
{
	struct rstream *s;

	ringsub_free(recd->sub);
	recd->sub = NULL;
	while ((s = TAILQ_FIRST(&recd->streams)) != NULL)
		record_free(s);
	free(recd->buf);
	recd->buf = NULL;
	recd->bufcap = 0;
}

void
record_status(yajl_gen g)
{
	struct rstream *s;

	json_bool(g, "subscribed", ringsub_subscribed(recd->sub));
	json_key(g, "streams");
	yajl_gen_array_open(g);
	TAILQ_FOREACH(s, &recd->streams, entry) {
		yajl_gen_map_open(g);
		json_str(g, "name", s->name);
		json_bool(g, "record", s->record);
		json_bool(g, "recording", s->file != NULL);
		if (s->file != NULL && s->file->rec != NULL)
			json_int(
			    g, "recording_id", (long long)s->file->rec->id);
		json_str(g, "video", s->has_video ? s->video.codecs : "");
		json_str(g, "audio", s->has_audio ? s->audio.codecs : "");
		if (s->has_video) {
			json_int(g, "width", s->video.width);
			json_int(g, "height", s->video.height);
		}
		json_str(g, "not_recorded", s->skip_why);
		json_int(g, "tags", (long long)s->tags);
		json_int(g, "laps", (long long)s->cursor.laps);
		/* a recorded stream has one "viewer": its file */
		output_stats_json(g,
		    &(struct output_stats){.kind = "record",
		        .viewers = s->file != NULL,
		        .bytes_out = (long long)s->written,
		        .viewers_total = (long long)s->files});
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}
