/*
 * A stream's figures from the media itself: codec, profile, level and
 * picture size from the sequence headers (lib/avinfo.c), the frame rate
 * from the video's own timestamps (so network jitter does not show as a
 * frame rate change, and a 30 fps camera reads 30.0), the rate frames
 * arrive at, and the keyframe interval.  And two alerts: a keyframe
 * interval over alert_keyframe_interval (a new viewer waits that long for
 * a picture) and a frame rate that dropped alert_fps_drop percent under
 * what the stream declared or showed (an encoder or a link that cannot
 * keep up).  Pure: fed tags and the clock, unit-tested without a peer.
 */
#include <stdio.h>
#include <string.h>

#include "ingestd.h"
#include "flv.h"

#define MEDIASTAT_WINDOW_MS 5000 /* frame rates are over this much */
#define MEDIASTAT_STALL_MS 2000 /* no frame this long: the rate is 0 */
#define MEDIASTAT_ALERT_TICKS 3 /* seconds a rate must stay to (un)alert */

void
mediastat_init(struct mediastat *m, const struct mediastat_rule *rule)
{
	memset(m, 0, sizeof(*m));
	m->rule = *rule;
}

void
mediastat_set_rule(struct mediastat *m, const struct mediastat_rule *rule)
{
	m->rule = *rule;
}

static void
mediastat_frame(struct mediastat *m, uint32_t ts, int key, uint64_t now)
{
	uint32_t gap;

	m->frames++;
	m->ts[m->head] = ts;
	m->arrived[m->head] = now;
	m->head = (m->head + 1) % MEDIASTAT_FRAMES;
	if (m->nts < MEDIASTAT_FRAMES)
		m->nts++;
	m->last_ts = ts;
	m->last_frame_ms = now;
	if (!key)
		return;
	m->keyframes++;
	if (m->have_key) {
		gap = ts - m->key_ts;
		/* a timeline jump backwards is no interval */
		if (gap < 0x80000000u) {
			m->key_interval_ms = gap;
			if (gap > m->key_interval_max_ms)
				m->key_interval_max_ms = gap;
		}
	}
	m->have_key = 1;
	m->key_ts = ts;
}

void
mediastat_tag(struct mediastat *m, uint8_t type, uint32_t ts,
    const uint8_t *body, size_t len, int flags, uint64_t now)
{
	struct avinfo_video v;
	struct avinfo_audio a;
	if (type == FLV_TAG_VIDEO) {
		if (flags & FLV_F_SEQHDR) {
			if (avinfo_video_tag(body, len, &v) >= 0) {
				m->video = v;
				m->has_video = 1;
			}
			return;
		}
		if (!m->has_video && m->video.codec == 0) {
			/* frames before (or without) a header: the codec */
			struct flv_media fm;
			const char *why;

			if (flv_media_parse(type, body, len, &fm, &why) == 0 &&
			    fm.codec != 0)
				m->video.codec = fm.codec;
		}
		mediastat_frame(m, ts, (flags & FLV_F_KEYFRAME) != 0, now);
	} else if (type == FLV_TAG_AUDIO) {
		m->audio_frames++;
		if ((flags & FLV_F_SEQHDR) ||
		    (!m->has_audio && m->audio.codec == 0)) {
			if (avinfo_audio_tag(body, len, &a) == 0 &&
			    a.codec != 0) {
				/* a config says more than frames: keep it */
				if ((flags & FLV_F_SEQHDR) ||
				    m->audio.codec == 0)
					m->audio = a;
				if (flags & FLV_F_SEQHDR)
					m->has_audio = 1;
			}
		}
	}
}

/* Frames a second by the timestamps of the last window's frames. */
static double
mediastat_fps_ts(const struct mediastat *m)
{
	uint32_t newest, oldest = 0;
	unsigned i, idx, n = 0;

	if (m->nts < 2)
		return 0;
	newest = m->ts[(m->head + MEDIASTAT_FRAMES - 1) % MEDIASTAT_FRAMES];
	for (i = 0; i < m->nts; i++) {
		idx = (m->head + MEDIASTAT_FRAMES - 1 - i) % MEDIASTAT_FRAMES;
		if (newest - m->ts[idx] > MEDIASTAT_WINDOW_MS)
			break;
		oldest = m->ts[idx];
		n++;
	}
	if (n < 2 || newest == oldest)
		return 0;
	return (double)(n - 1) * 1000.0 / (double)(newest - oldest);
}

/* Frames that arrived in the last window, a second. */
static double
mediastat_fps_arrived(const struct mediastat *m, uint64_t now)
{
	unsigned i, idx, n = 0;
	uint64_t since, first = 0;

	for (i = 0; i < m->nts; i++) {
		idx = (m->head + MEDIASTAT_FRAMES - 1 - i) % MEDIASTAT_FRAMES;
		if (now - m->arrived[idx] > MEDIASTAT_WINDOW_MS)
			break;
		first = m->arrived[idx];
		n++;
	}
	if (n == 0)
		return 0;
	/* a stream younger than the window: over what it has had */
	since = m->started_ms != 0 && now - m->started_ms < MEDIASTAT_WINDOW_MS
	    ? now - m->started_ms
	    : MEDIASTAT_WINDOW_MS;
	if (n == MEDIASTAT_FRAMES && now - first < since)
		since = now - first; /* more frames than we keep */
	return since > 0 ? n * 1000.0 / (double)since : 0;
}

/* The frame rate the stream is held to: declared, else the best seen. */
static double
mediastat_nominal(const struct mediastat *m)
{
	return m->video.fps > 0 ? m->video.fps : m->fps_best;
}

static void
mediastat_alert_keyframe(struct mediastat *m, uint64_t now)
{
	uint32_t limit = m->rule.keyframe_interval_s * 1000, waited;

	if (limit == 0 || !m->have_key) {
		m->alert_keyframe = 0;
		return;
	}
	/* waiting for the next one already counts */
	waited = m->last_ts - m->key_ts;
	if (waited >= 0x80000000u)
		waited = 0;
	if (m->key_interval_ms > limit || waited > limit) {
		if (!m->alert_keyframe)
			m->alert_changed = 1;
		m->alert_keyframe = 1;
		m->alert_keyframe_ms =
		    m->key_interval_ms > waited ? m->key_interval_ms : waited;
	} else if (m->alert_keyframe && m->key_interval_ms <= limit) {
		m->alert_keyframe = 0;
		m->alert_changed = 1;
	}
}

static void
mediastat_alert_fps(struct mediastat *m, uint64_t now)
{
	double nominal = mediastat_nominal(m), now_fps;
	unsigned pct = m->rule.fps_drop_pct;

	now_fps = m->fps < m->fps_arrived ? m->fps : m->fps_arrived;
	/* judged after a window of frames, and never for audio-only */
	if (pct == 0 || nominal <= 0 || m->frames == 0 ||
	    now - m->started_ms < 2 * MEDIASTAT_WINDOW_MS) {
		m->low_ticks = m->ok_ticks = 0;
		return;
	}
	if (now_fps < nominal * (100 - pct) / 100.0) {
		m->ok_ticks = 0;
		if (++m->low_ticks >= MEDIASTAT_ALERT_TICKS && !m->alert_fps) {
			m->alert_fps = 1;
			m->alert_changed = 1;
		}
		if (m->alert_fps)
			m->alert_fps_value = now_fps;
	} else {
		m->low_ticks = 0;
		/* back within half the drop allowed */
		if (m->alert_fps &&
		    now_fps >= nominal * (100 - pct / 2.0) / 100.0 &&
		    ++m->ok_ticks >= MEDIASTAT_ALERT_TICKS) {
			m->alert_fps = 0;
			m->alert_changed = 1;
		}
	}
}

void
mediastat_tick(struct mediastat *m, uint64_t now)
{
	if (m->started_ms == 0)
		m->started_ms = now;
	if (m->nts > 0 && now - m->last_frame_ms > MEDIASTAT_STALL_MS)
		m->fps = 0;
	else
		m->fps = mediastat_fps_ts(m);
	m->fps_arrived = mediastat_fps_arrived(m, now);
	/* the best rate a whole window showed, once one has passed */
	if (now - m->started_ms >= MEDIASTAT_WINDOW_MS && m->fps > m->fps_best)
		m->fps_best = m->fps;
	mediastat_alert_keyframe(m, now);
	mediastat_alert_fps(m, now);
}

int
mediastat_alert_text(const struct mediastat *m, enum mediastat_alert which,
    char *buf, size_t len)
{
	switch (which) {
	case MEDIASTAT_ALERT_KEYFRAME:
		if (!m->alert_keyframe)
			return 0;
		snprintf(buf, len,
		    "keyframe interval %.1f s, over %u s: new viewers wait that "
		    "long for a picture (set the encoder's keyframe interval "
		    "to 1 or 2 s)",
		    m->alert_keyframe_ms / 1000.0, m->rule.keyframe_interval_s);
		return 1;
	case MEDIASTAT_ALERT_FPS:
		if (!m->alert_fps)
			return 0;
		snprintf(buf, len,
		    "frame rate dropped to %.1f fps from %.0f (the encoder or "
		    "the link cannot keep up)",
		    m->alert_fps_value, mediastat_nominal(m));
		return 1;
	}
	return 0;
}

void
mediastat_json(yajl_gen g, const struct mediastat *m)
{
	char level[8];

	json_key(g, "video");
	if (m->video.codec == 0)
		yajl_gen_null(g);
	else {
		yajl_gen_map_open(g);
		json_str(g, "codec", avinfo_codec_name(m->video.codec));
		json_str(g, "profile", avinfo_profile_name(&m->video));
		json_str(g, "level", avinfo_level_string(&m->video, level));
		if (m->video.width > 0) {
			json_int(g, "width", m->video.width);
			json_int(g, "height", m->video.height);
			json_int(g, "bit_depth", m->video.bit_depth);
		} else {
			json_null(g, "width");
			json_null(g, "height");
		}
		if (m->video.fps > 0)
			json_double(g, "fps_declared",
			    (long long)(m->video.fps * 100 + 0.5) / 100.0);
		else
			json_null(g, "fps_declared");
		yajl_gen_map_close(g);
	}
	json_key(g, "audio");
	if (m->audio.codec == 0)
		yajl_gen_null(g);
	else {
		yajl_gen_map_open(g);
		json_str(g, "codec", avinfo_codec_name(m->audio.codec));
		json_str(g, "profile", avinfo_aac_profile(&m->audio));
		json_int(g, "sample_rate",
		    m->audio.ext_sample_rate ? m->audio.ext_sample_rate
		                             : m->audio.sample_rate);
		json_int(g, "channels", m->audio.channels);
		yajl_gen_map_close(g);
	}
	json_double(g, "fps", (long long)(m->fps * 10 + 0.5) / 10.0);
	json_double(
	    g, "fps_received", (long long)(m->fps_arrived * 10 + 0.5) / 10.0);
	if (m->keyframes >= 2)
		json_double(
		    g, "keyframe_interval", m->key_interval_ms / 1000.0);
	else
		json_null(g, "keyframe_interval");
	json_double(
	    g, "keyframe_interval_max", m->key_interval_max_ms / 1000.0);
	json_int(g, "video_frames", (long long)m->frames);
	json_int(g, "audio_frames", (long long)m->audio_frames);
	/* width and height again at the top: what most callers want */
	if (m->video.width > 0) {
		json_int(g, "width", m->video.width);
		json_int(g, "height", m->video.height);
	} else {
		json_null(g, "width");
		json_null(g, "height");
	}
}
