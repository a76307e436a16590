/*
 * The fragmented MP4 muxer (ISO/IEC 14496-12), fed samples, producing
 * bytes.  A file is ftyp and moov (no samples: mvex says fragments
 * follow), then moof + mdat pairs of about a second each, then, when the
 * file ends cleanly, an mfra random-access index.  Every fragment is whole
 * on its own, so a file cut anywhere plays up to its last whole fragment;
 * the durations moov leaves 0 are patched in at the end (mp4mux_patches).
 *
 * Timestamps come in as FLV milliseconds.  Video keeps them (at 90 kHz);
 * audio counts AAC frames at the sample rate, so it never drifts, and
 * re-anchors on the timestamps only across a real gap.  A timestamp that
 * goes backwards or leaps far ahead is a discontinuity: the timeline
 * carries on from where it was.
 */
#include <stdlib.h>
#include <string.h>

#include "nyon.h"
#include "mp4.h"

#define MP4_SAMPLES_MAX 4096 /* per track per fragment */
#define MP4_PENDING_MAX (32 * 1024 * 1024) /* sample bytes per fragment */
#define MP4_KEY_MIN_MS 250 /* a keyframe sooner than this: no new fragment */
#define MP4_AUDIO_ALONE_MS 3000 /* audio waits this long for video */
#define MP4_JUMP_MS 10000 /* a leap larger than this is a discontinuity */
#define MP4_RESYNC_MS 100 /* audio this far off its count re-anchors */
#define MP4_MAC_EPOCH 2082844800LL /* 1904-01-01 to 1970-01-01, seconds */

struct mp4_sample {
	uint64_t dts; /* in the track's timescale */
	int32_t cts;
	uint32_t duration;
	uint32_t size;
	int sync;
};

struct mp4_trk {
	struct mp4_track t;
	uint32_t id;
	uint32_t timescale;
	struct mp4_sample *s; /* waiting for the next fragment */
	size_t n, cap;
	struct mp4buf data; /* their bytes */
	uint64_t next_dts; /* audio: the frame count's time */
	uint64_t end; /* end of the last sample written out */
	uint32_t last_dur; /* the newest known sample duration */
	int64_t last_ms; /* FLV time of the newest sample, -1 before */
	int64_t shift_ms; /* added to FLV times after discontinuities */
	uint64_t tkhd_off, mdhd_off; /* duration fields in the file */
};

struct mp4mux {
	struct mp4_trk trk[2];
	int ntrk;
	int video; /* index of the video track, or -1 */
	time_t created;
	int64_t base_ms; /* FLV time of the file's first sample, -1 before */
	uint64_t offset; /* bytes written out so far */
	uint32_t seq; /* mfhd sequence number */
	uint64_t mvhd_off, mehd_off;
	struct mp4_frag *frags;
	size_t nfrags, fragcap;
	int finished;
};

/* buffers */

void
mp4buf_reset(struct mp4buf *b)
{
	b->len = 0;
}

void
mp4buf_free(struct mp4buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static uint8_t *
mp4buf_grow(struct mp4buf *b, size_t n)
{
	size_t cap;

	if (b->cap - b->len < n) {
		cap = b->cap ? b->cap : 4096;
		while (cap - b->len < n)
			cap *= 2;
		b->data = xreallocarray(b->data, cap, 1);
		b->cap = cap;
	}
	b->len += n;
	return b->data + b->len - n;
}

static void
put8(struct mp4buf *b, uint32_t v)
{
	*mp4buf_grow(b, 1) = (uint8_t)v;
}

static void
put16(struct mp4buf *b, uint32_t v)
{
	uint8_t *p = mp4buf_grow(b, 2);

	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put24(struct mp4buf *b, uint32_t v)
{
	put8(b, v >> 16);
	put16(b, v & 0xffff);
}

static void
put32(struct mp4buf *b, uint32_t v)
{
	uint8_t *p = mp4buf_grow(b, 4);

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(struct mp4buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

static void
putbytes(struct mp4buf *b, const void *p, size_t n)
{
	if (n > 0)
		memcpy(mp4buf_grow(b, n), p, n);
}

static void
putzero(struct mp4buf *b, size_t n)
{
	memset(mp4buf_grow(b, n), 0, n);
}

/* Opens a box; box_close writes its size. */
static size_t
box_open(struct mp4buf *b, const char *type)
{
	size_t at = b->len;

	put32(b, 0);
	putbytes(b, type, 4);
	return at;
}

static size_t
fullbox_open(struct mp4buf *b, const char *type, int version, uint32_t flags)
{
	size_t at = box_open(b, type);

	put8(b, (uint32_t)version);
	put24(b, flags);
	return at;
}

static void
box_close(struct mp4buf *b, size_t at)
{
	uint32_t n = (uint32_t)(b->len - at);

	b->data[at] = (uint8_t)(n >> 24);
	b->data[at + 1] = (uint8_t)(n >> 16);
	b->data[at + 2] = (uint8_t)(n >> 8);
	b->data[at + 3] = (uint8_t)n;
}

static void
put_matrix(struct mp4buf *b)
{
	static const uint32_t m[9] = {
	    0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
	size_t i;

	for (i = 0; i < 9; i++)
		put32(b, m[i]);
}

/* the init segment */

static void
mp4_esds(struct mp4buf *b, const struct mp4_track *t)
{
	size_t at = fullbox_open(b, "esds", 0, 0);
	size_t dsi = t->config_len;

	/* ES_Descriptor, 4-byte sizes so no length needs two passes */
	put8(b, 0x03);
	put32(b, 0x80808000 | (uint32_t)(3 + 5 + 13 + 5 + dsi + 5 + 1));
	put16(b, 0); /* ES_ID */
	put8(b, 0); /* flags */
	put8(b, 0x04); /* DecoderConfigDescriptor */
	put32(b, 0x80808000 | (uint32_t)(13 + 5 + dsi));
	put8(b, 0x40); /* Audio ISO/IEC 14496-3 */
	put8(b, 0x15); /* AudioStream, upStream 0, reserved 1 */
	put24(b, 0); /* bufferSizeDB */
	put32(b, 0); /* maxBitrate */
	put32(b, 0); /* avgBitrate */
	put8(b, 0x05); /* DecoderSpecificInfo */
	put32(b, 0x80808000 | (uint32_t)dsi);
	putbytes(b, t->config, dsi);
	put8(b, 0x06); /* SLConfigDescriptor */
	put32(b, 0x80808001);
	put8(b, 0x02);
	box_close(b, at);
}

static void
mp4_stsd(struct mp4buf *b, const struct mp4_track *t)
{
	size_t at = fullbox_open(b, "stsd", 0, 0), e, c;
	char fourcc[4];

	put32(b, 1);
	fourcc[0] = (char)(t->fourcc >> 24);
	fourcc[1] = (char)(t->fourcc >> 16);
	fourcc[2] = (char)(t->fourcc >> 8);
	fourcc[3] = (char)t->fourcc;
	e = box_open(b, "avc1");
	memcpy(b->data + e + 4, fourcc, 4);
	putzero(b, 6);
	put16(b, 1); /* data_reference_index */
	if (t->kind == MP4_VIDEO) {
		putzero(b, 16);
		put16(b, t->width);
		put16(b, t->height);
		put32(b, 0x00480000); /* 72 dpi */
		put32(b, 0x00480000);
		put32(b, 0);
		put16(b, 1); /* frame_count */
		putzero(b, 32); /* compressorname */
		put16(b, 0x0018);
		put16(b, 0xffff);
		c = box_open(b,
		    t->fourcc == MP4_FOURCC('h', 'v', 'c', '1') ? "hvcC"
		                                                : "avcC");
		putbytes(b, t->config, t->config_len);
		box_close(b, c);
	} else {
		putzero(b, 8);
		put16(b, t->channels);
		put16(b, 16);
		put32(b, 0);
		put32(b, t->sample_rate > 0xffff ? 0 : t->sample_rate << 16);
		mp4_esds(b, t);
	}
	box_close(b, e);
	box_close(b, at);
}

static void
mp4_trak(struct mp4mux *m, struct mp4_trk *k, struct mp4buf *b)
{
	const struct mp4_track *t = &k->t;
	uint64_t when = (uint64_t)(m->created + MP4_MAC_EPOCH);
	size_t trak, at, mdia, minf, dinf, stbl;
	int video = t->kind == MP4_VIDEO;

	trak = box_open(b, "trak");
	at = fullbox_open(b, "tkhd", 1, 3); /* enabled, in movie */
	put64(b, when);
	put64(b, when);
	put32(b, k->id);
	put32(b, 0);
	k->tkhd_off = m->offset + b->len;
	put64(b, 0); /* duration: patched */
	putzero(b, 8);
	put16(b, 0); /* layer */
	put16(b, 0); /* alternate_group */
	put16(b, video ? 0 : 0x0100); /* volume */
	put16(b, 0);
	put_matrix(b);
	put32(b, video ? (uint32_t)t->width << 16 : 0);
	put32(b, video ? (uint32_t)t->height << 16 : 0);
	box_close(b, at);
	mdia = box_open(b, "mdia");
	at = fullbox_open(b, "mdhd", 1, 0);
	put64(b, when);
	put64(b, when);
	put32(b, k->timescale);
	k->mdhd_off = m->offset + b->len;
	put64(b, 0); /* duration: patched */
	put16(b, 0x55c4); /* "und" */
	put16(b, 0);
	box_close(b, at);
	at = fullbox_open(b, "hdlr", 0, 0);
	put32(b, 0);
	putbytes(b, video ? "vide" : "soun", 4);
	putzero(b, 12);
	putbytes(b, video ? "Video\0" : "Sound\0", 6);
	box_close(b, at);
	minf = box_open(b, "minf");
	if (video) {
		at = fullbox_open(b, "vmhd", 0, 1);
		putzero(b, 8);
	} else {
		at = fullbox_open(b, "smhd", 0, 0);
		putzero(b, 4);
	}
	box_close(b, at);
	dinf = box_open(b, "dinf");
	at = fullbox_open(b, "dref", 0, 0);
	put32(b, 1);
	box_close(b, fullbox_open(b, "url ", 0, 1)); /* in this file */
	box_close(b, at);
	box_close(b, dinf);
	stbl = box_open(b, "stbl");
	mp4_stsd(b, t);
	at = fullbox_open(b, "stts", 0, 0);
	put32(b, 0);
	box_close(b, at);
	at = fullbox_open(b, "stsc", 0, 0);
	put32(b, 0);
	box_close(b, at);
	at = fullbox_open(b, "stsz", 0, 0);
	put32(b, 0);
	put32(b, 0);
	box_close(b, at);
	at = fullbox_open(b, "stco", 0, 0);
	put32(b, 0);
	box_close(b, at);
	box_close(b, stbl);
	box_close(b, minf);
	box_close(b, mdia);
	box_close(b, trak);
}

void
mp4mux_init(struct mp4mux *m, struct mp4buf *b)
{
	uint64_t when = (uint64_t)(m->created + MP4_MAC_EPOCH);
	size_t start = b->len, moov, mvex, at;
	int i;

	at = box_open(b, "ftyp");
	putbytes(b, "isom", 4);
	put32(b, 0x200);
	putbytes(b, "isomiso6iso2mp41", 16);
	if (m->video >= 0)
		putbytes(b, m->trk[m->video].t.codecs, 4);
	box_close(b, at);
	moov = box_open(b, "moov");
	at = fullbox_open(b, "mvhd", 1, 0);
	put64(b, when);
	put64(b, when);
	put32(b, MP4_MOVIE_TIMESCALE);
	m->mvhd_off = m->offset + b->len - start;
	put64(b, 0); /* duration: patched */
	put32(b, 0x00010000); /* rate */
	put16(b, 0x0100); /* volume */
	putzero(b, 10);
	put_matrix(b);
	putzero(b, 24);
	put32(b, (uint32_t)m->ntrk + 1);
	box_close(b, at);
	mvex = box_open(b, "mvex");
	at = fullbox_open(b, "mehd", 1, 0);
	m->mehd_off = m->offset + b->len - start;
	put64(b, 0); /* fragment_duration: patched */
	box_close(b, at);
	for (i = 0; i < m->ntrk; i++) {
		at = fullbox_open(b, "trex", 0, 0);
		put32(b, m->trk[i].id);
		put32(b, 1);
		put32(b, 0);
		put32(b, 0);
		/* video: not sync unless trun says; audio: all sync */
		put32(
		    b, m->trk[i].t.kind == MP4_VIDEO ? 0x01010000 : 0x02000000);
		box_close(b, at);
	}
	box_close(b, mvex);
	for (i = 0; i < m->ntrk; i++) {
		/* mp4_trak records offsets as m->offset + b->len */
		m->offset -= start;
		mp4_trak(m, &m->trk[i], b);
		m->offset += start;
	}
	box_close(b, moov);
	m->offset += b->len - start;
}

/* setup */

struct mp4mux *
mp4mux_new(const struct mp4_track *video, const struct mp4_track *audio,
    time_t created)
{
	struct mp4mux *m = xcalloc(1, sizeof(*m));
	struct mp4_trk *k;

	m->video = -1;
	m->created = created;
	m->base_ms = -1;
	if (video != NULL) {
		k = &m->trk[m->ntrk];
		k->t = *video;
		k->timescale = MP4_VIDEO_TIMESCALE;
		m->video = m->ntrk++;
	}
	if (audio != NULL) {
		k = &m->trk[m->ntrk++];
		k->t = *audio;
		k->timescale = audio->sample_rate;
	}
	for (k = m->trk; k < m->trk + m->ntrk; k++) {
		k->id = (uint32_t)(k - m->trk) + 1;
		k->last_ms = -1;
	}
	return m;
}

void
mp4mux_free(struct mp4mux *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->ntrk; i++) {
		free(m->trk[i].s);
		mp4buf_free(&m->trk[i].data);
	}
	free(m->frags);
	free(m);
}

/* fragments */

static void
mp4_traf(
    struct mp4buf *b, const struct mp4_trk *k, size_t n, size_t *data_off_at)
{
	size_t traf, at, i;
	int video = k->t.kind == MP4_VIDEO;
	uint32_t flags =
	    0x000001 | 0x000100 | 0x000200 | (video ? 0x000400 | 0x000800 : 0);

	traf = box_open(b, "traf");
	at = fullbox_open(b, "tfhd", 0, 0x020000); /* default-base-is-moof */
	put32(b, k->id);
	box_close(b, at);
	at = fullbox_open(b, "tfdt", 1, 0);
	put64(b, k->s[0].dts);
	box_close(b, at);
	at = fullbox_open(b, "trun", 1, flags);
	put32(b, (uint32_t)n);
	*data_off_at = b->len;
	put32(b, 0); /* data_offset: filled in once moof's size is known */
	for (i = 0; i < n; i++) {
		put32(b, k->s[i].duration);
		put32(b, k->s[i].size);
		if (video) {
			put32(b, k->s[i].sync ? 0x02000000 : 0x01010000);
			put32(b, (uint32_t)k->s[i].cts);
		}
	}
	box_close(b, at);
	box_close(b, traf);
}

/* Bytes of samples [0, n) of k. */
static size_t
mp4_trk_bytes(const struct mp4_trk *k, size_t n)
{
	size_t i, sum = 0;

	for (i = 0; i < n; i++)
		sum += k->s[i].size;
	return sum;
}

static void
mp4_trk_consume(struct mp4_trk *k, size_t n)
{
	size_t bytes = mp4_trk_bytes(k, n);

	if (n == 0)
		return;
	k->end = k->s[n - 1].dts + k->s[n - 1].duration;
	memmove(k->s, k->s + n, (k->n - n) * sizeof(*k->s));
	k->n -= n;
	memmove(k->data.data, k->data.data + bytes, k->data.len - bytes);
	k->data.len -= bytes;
}

/*
 * Writes out, as one fragment, the first count[i] samples of each track
 * (their durations known).
 */
static void
mp4_fragment(struct mp4mux *m, const size_t count[2], struct mp4buf *b)
{
	size_t moof, at, doff[2] = {0, 0}, mdat_len = 8, i, start = b->len;
	uint32_t off;
	struct mp4_frag f;
	int any = 0;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < (size_t)m->ntrk; i++) {
		if (count[i] == 0)
			continue;
		any = 1;
		f.has[i] = 1;
		f.time[i] = m->trk[i].s[0].dts;
		if ((int)i == m->video)
			f.sync = m->trk[i].s[0].sync;
		mdat_len += mp4_trk_bytes(&m->trk[i], count[i]);
	}
	if (!any)
		return;
	f.moof_offset = m->offset;
	moof = box_open(b, "moof");
	at = fullbox_open(b, "mfhd", 0, 0);
	put32(b, ++m->seq);
	box_close(b, at);
	for (i = 0; i < (size_t)m->ntrk; i++)
		if (count[i] > 0)
			mp4_traf(b, &m->trk[i], count[i], &doff[i]);
	box_close(b, moof);
	off = (uint32_t)(b->len - moof + 8);
	for (i = 0; i < (size_t)m->ntrk; i++) {
		if (count[i] == 0)
			continue;
		b->data[doff[i]] = (uint8_t)(off >> 24);
		b->data[doff[i] + 1] = (uint8_t)(off >> 16);
		b->data[doff[i] + 2] = (uint8_t)(off >> 8);
		b->data[doff[i] + 3] = (uint8_t)off;
		off += (uint32_t)mp4_trk_bytes(&m->trk[i], count[i]);
	}
	put32(b, (uint32_t)mdat_len);
	putbytes(b, "mdat", 4);
	for (i = 0; i < (size_t)m->ntrk; i++) {
		putbytes(b, m->trk[i].data.data,
		    mp4_trk_bytes(&m->trk[i], count[i]));
		mp4_trk_consume(&m->trk[i], count[i]);
	}
	m->offset += b->len - start;
	if (m->nfrags == m->fragcap) {
		m->fragcap = m->fragcap ? m->fragcap * 2 : 256;
		m->frags =
		    xreallocarray(m->frags, m->fragcap, sizeof(*m->frags));
	}
	m->frags[m->nfrags++] = f;
}

/* Seconds-comparable time of a track position, in ms. */
static uint64_t
mp4_ms(const struct mp4_trk *k, uint64_t t)
{
	return t * 1000 / k->timescale;
}

/*
 * Cuts a fragment of the first `upto` video samples (their durations
 * known) and the audio that starts before until (ms).
 */
static void
mp4_cut(struct mp4mux *m, size_t upto, uint64_t until, struct mp4buf *b)
{
	size_t count[2] = {0, 0}, i, a;

	if (m->video >= 0)
		count[m->video] = upto;
	for (i = 0; i < (size_t)m->ntrk; i++) {
		if ((int)i == m->video)
			continue;
		for (a = 0; a < m->trk[i].n; a++)
			if (mp4_ms(&m->trk[i], m->trk[i].s[a].dts) >= until)
				break;
		count[i] = a;
	}
	mp4_fragment(m, count, b);
}

static struct mp4_sample *
mp4_trk_add(struct mp4_trk *k, const uint8_t *data, size_t len)
{
	struct mp4_sample *s;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->s = xreallocarray(k->s, k->cap, sizeof(*k->s));
	}
	s = &k->s[k->n++];
	memset(s, 0, sizeof(*s));
	s->size = (uint32_t)len;
	putbytes(&k->data, data, len);
	return s;
}

/*
 * FLV time ms on track k as a continuous time from the file's start, in
 * ms: discontinuities are folded away.
 */
static int64_t
mp4_timeline(struct mp4mux *m, struct mp4_trk *k, uint32_t ms)
{
	int64_t t;

	if (m->base_ms < 0)
		m->base_ms = ms;
	t = (int64_t)ms - m->base_ms + k->shift_ms;
	if (k->last_ms >= 0 &&
	    (t < k->last_ms - MP4_JUMP_MS || t > k->last_ms + MP4_JUMP_MS)) {
		/* carry on 1 ms after the previous sample */
		k->shift_ms += k->last_ms + 1 - t;
		t = k->last_ms + 1;
	}
	return t;
}

static size_t
mp4_pending_total(const struct mp4mux *m)
{
	return m->trk[0].data.len + (m->ntrk > 1 ? m->trk[1].data.len : 0);
}

int
mp4mux_video(struct mp4mux *m, uint32_t dts_ms, int32_t cts_ms, int key,
    const uint8_t *data, size_t len, struct mp4buf *b, const char **why)
{
	struct mp4_trk *k;
	struct mp4_sample *s, *prev;
	int64_t t;
	uint64_t dts;

	if (m->video < 0 || m->finished) {
		*why = "no video track";
		return -1;
	}
	k = &m->trk[m->video];
	if (len == 0 || len > MP4_PENDING_MAX) {
		*why = "video frame empty or too large";
		return -1;
	}
	/* a file starts on a keyframe */
	if (k->n == 0 && k->end == 0 && m->nfrags == 0 && !key)
		return 0;
	if (cts_ms < 0 || cts_ms > MP4_JUMP_MS)
		cts_ms = 0;
	t = mp4_timeline(m, k, dts_ms);
	if (t < 0)
		t = 0;
	dts = (uint64_t)t * (MP4_VIDEO_TIMESCALE / 1000);
	if (k->n > 0 || m->nfrags > 0) {
		uint64_t last = k->n > 0 ? k->s[k->n - 1].dts : k->end;

		/* strictly increasing decode times */
		if (dts <= last)
			dts = last + 1;
	}
	if (k->n > 0) {
		prev = &k->s[k->n - 1];
		prev->duration = k->last_dur = (uint32_t)(dts - prev->dts);
		if ((key && mp4_ms(k, dts - k->s[0].dts) >= MP4_KEY_MIN_MS) ||
		    mp4_ms(k, dts - k->s[0].dts) >= MP4_FRAGMENT_MS ||
		    k->n >= MP4_SAMPLES_MAX ||
		    mp4_pending_total(m) + len > MP4_PENDING_MAX)
			mp4_cut(m, k->n, mp4_ms(k, dts), b);
	}
	s = mp4_trk_add(k, data, len);
	s->dts = dts;
	s->cts = cts_ms * (MP4_VIDEO_TIMESCALE / 1000);
	s->sync = key;
	/* until the next one says */
	s->duration = k->last_dur ? k->last_dur : MP4_VIDEO_TIMESCALE / 30;
	k->last_ms = t;
	return 0;
}

int
mp4mux_audio(struct mp4mux *m, uint32_t dts_ms, const uint8_t *data, size_t len,
    struct mp4buf *b, const char **why)
{
	struct mp4_trk *k = NULL;
	struct mp4_sample *s;
	int64_t t, at;
	int i;

	for (i = 0; i < m->ntrk; i++)
		if (m->trk[i].t.kind == MP4_AUDIO)
			k = &m->trk[i];
	if (k == NULL || m->finished) {
		*why = "no audio track";
		return -1;
	}
	if (len == 0 || len > 65536) {
		*why = "audio frame empty or too large";
		return -1;
	}
	/* with video, the file starts at its first keyframe */
	if (m->video >= 0 && m->base_ms < 0)
		return 0;
	t = mp4_timeline(m, k, dts_ms);
	if (t < 0)
		return 0; /* before the file's start */
	at = t * (int64_t)k->timescale / 1000;
	if (k->last_ms < 0 ||
	    at > (int64_t)k->next_dts +
	            MP4_RESYNC_MS * (int64_t)k->timescale / 1000)
		k->next_dts = (uint64_t)at; /* the start, or a gap */
	if (k->n > 0 &&
	    (mp4_ms(k, k->next_dts - k->s[0].dts) >=
	            (m->video < 0 ? MP4_FRAGMENT_MS : MP4_AUDIO_ALONE_MS) ||
	        k->n >= MP4_SAMPLES_MAX ||
	        mp4_pending_total(m) + len > MP4_PENDING_MAX)) {
		if (m->video < 0) {
			size_t count[2] = {0, 0};

			count[k - m->trk] = k->n;
			mp4_fragment(m, count, b);
		} else
			/* the video waits: send what it has, with this audio */
			mp4_cut(m,
			    m->trk[m->video].n > 0 ? m->trk[m->video].n - 1 : 0,
			    UINT64_MAX, b);
	}
	s = mp4_trk_add(k, data, len);
	s->dts = k->next_dts;
	s->duration = MP4_AAC_FRAME;
	s->sync = 1;
	k->next_dts += MP4_AAC_FRAME;
	k->last_ms = t;
	return 0;
}

/* the end */

void
mp4_mfra(struct mp4buf *b, const struct mp4_frag *f, size_t n,
    const uint32_t ids[2], int ntracks, int video_track)
{
	size_t mfra = box_open(b, "mfra"), at, cnt_at, i;
	uint32_t cnt;
	int t;

	for (t = 0; t < ntracks; t++) {
		at = fullbox_open(b, "tfra", 1, 0);
		put32(b, ids[t]);
		put32(b, 0); /* 1-byte traf, trun and sample numbers */
		cnt_at = b->len;
		put32(b, 0);
		cnt = 0;
		for (i = 0; i < n; i++) {
			if (!f[i].has[t] || (t == video_track && !f[i].sync))
				continue;
			put64(b, f[i].time[t]);
			put64(b, f[i].moof_offset);
			/* traf_number: its place among the fragment's trafs */
			put8(b, t == 1 && f[i].has[0] ? 2 : 1);
			put8(b, 1);
			put8(b, 1);
			cnt++;
		}
		b->data[cnt_at] = (uint8_t)(cnt >> 24);
		b->data[cnt_at + 1] = (uint8_t)(cnt >> 16);
		b->data[cnt_at + 2] = (uint8_t)(cnt >> 8);
		b->data[cnt_at + 3] = (uint8_t)cnt;
		box_close(b, at);
	}
	at = fullbox_open(b, "mfro", 0, 0);
	put32(b, (uint32_t)(b->len - mfra + 4));
	box_close(b, at);
	box_close(b, mfra);
}

void
mp4mux_finish(struct mp4mux *m, struct mp4buf *b)
{
	size_t count[2] = {0, 0};
	uint32_t ids[2];
	int i;

	if (m->finished)
		return;
	for (i = 0; i < m->ntrk; i++) {
		count[i] = m->trk[i].n;
		ids[i] = m->trk[i].id;
	}
	mp4_fragment(m, count, b);
	m->finished = 1;
	if (m->nfrags > 0) {
		size_t start = b->len;

		mp4_mfra(b, m->frags, m->nfrags, ids, m->ntrk, m->video);
		m->offset += b->len - start;
	}
}

uint64_t
mp4mux_duration_ms(const struct mp4mux *m)
{
	uint64_t d = 0, e;
	int i;

	for (i = 0; i < m->ntrk; i++)
		if ((e = mp4_ms(&m->trk[i], m->trk[i].end)) > d)
			d = e;
	return d;
}

uint64_t
mp4mux_fragments(const struct mp4mux *m)
{
	return m->nfrags;
}

size_t
mp4mux_pending(const struct mp4mux *m)
{
	return mp4_pending_total(m);
}

static size_t
mp4_patch64(struct mp4_patch *p, uint64_t off, uint64_t v)
{
	int i;

	p->offset = off;
	p->len = 8;
	for (i = 0; i < 8; i++)
		p->bytes[i] = (uint8_t)(v >> (56 - 8 * i));
	return 1;
}

size_t
mp4mux_patches(const struct mp4mux *m, struct mp4_patch *p, size_t max)
{
	uint64_t d = mp4mux_duration_ms(m);
	size_t n = 0;
	int i;

	if (max < 2 + 2 * (size_t)m->ntrk)
		return 0;
	n += mp4_patch64(&p[n], m->mvhd_off, d);
	n += mp4_patch64(&p[n], m->mehd_off, d);
	for (i = 0; i < m->ntrk; i++) {
		n += mp4_patch64(&p[n], m->trk[i].tkhd_off, d);
		n += mp4_patch64(&p[n], m->trk[i].mdhd_off, m->trk[i].end);
	}
	return n;
}
