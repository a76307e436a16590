/*
 * MPEG-TS demuxer tests.  Real streams come from ffmpeg at run time (the test
 * fails if ffmpeg is missing); edge cases are muxed here byte by byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nyon.h"
#include "ts.h"

/* Collected tags */

struct tag {
	uint8_t type;
	uint32_t ts;
	uint8_t *body;
	size_t len;
};

struct tags {
	struct tag *v;
	size_t n, cap;
};

static void
tags_cb(void *arg, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
	struct tags *t = arg;
	struct tag *g;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		assert_non_null(t->v);
	}
	g = &t->v[t->n++];
	g->type = type;
	g->ts = ts;
	g->len = len;
	g->body = malloc(len ? len : 1);
	assert_non_null(g->body);
	memcpy(g->body, body, len);
}

static void
tags_free(struct tags *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].body);
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static int
tag_is_video_seq(const struct tag *g)
{
	if (g->type != TS_TAG_VIDEO || g->len < 5)
		return 0;
	if (g->body[0] & 0x80)
		return (g->body[0] & 0x0f) == 0;
	return g->body[1] == 0;
}

static int
tag_is_audio_seq(const struct tag *g)
{
	return g->type == TS_TAG_AUDIO && g->len >= 2 && g->body[1] == 0;
}

/* Where the NAL units of a coded video tag start; 0 if not a coded frame. */
static size_t
tag_nal_offset(const struct tag *g)
{
	if (g->type != TS_TAG_VIDEO || tag_is_video_seq(g))
		return 0;
	if (!(g->body[0] & 0x80))
		return 5;
	if ((g->body[0] & 0x0f) == 1)
		return 8;
	if ((g->body[0] & 0x0f) == 3)
		return 5;
	return 0;
}

static int
tag_is_key(const struct tag *g)
{
	return (g->body[0] & 0x70) == 0x10;
}

static int32_t
tag_cts(const struct tag *g)
{
	const uint8_t *p;
	int32_t v;

	if (!(g->body[0] & 0x80))
		p = g->body + 2;
	else if ((g->body[0] & 0x0f) == 1)
		p = g->body + 5;
	else
		return 0;
	v = p[0] << 16 | p[1] << 8 | p[2];
	if (v & 0x800000)
		v -= 0x1000000;
	return v;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* AVCC lengths must cover the body exactly; returns the NAL count. */
static int
avcc_check(const struct tag *g, int hevc, int *types, int maxtypes)
{
	size_t off = tag_nal_offset(g), n;
	int count = 0;

	assert_true(off > 0);
	while (off < g->len) {
		assert_true(g->len - off >= 4);
		n = be32(g->body + off);
		off += 4;
		assert_true(n > 0 && n <= g->len - off);
		if (count < maxtypes)
			types[count] = hevc ? (g->body[off] >> 1) & 0x3f
			                    : g->body[off] & 0x1f;
		count++;
		off += n;
	}
	assert_int_equal(off, g->len);
	return count;
}

/* Running ffmpeg */

static char tmpdir[64];

static void
run(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	if (r != 0)
		fprintf(stderr, "command failed (%d): %s\n", r, cmd);
	assert_int_equal(r, 0);
}

static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*len = n;
	return buf;
}

static void
demux_file(const char *path, struct tags *t, struct ts_stats *st)
{
	struct ts_demux *d = ts_new(tags_cb, t);
	size_t len, off, n;
	uint8_t *buf = slurp(path, &len);

	/* SRT hands over 7 packets at a time. */
	for (off = 0; off < len; off += n) {
		n = len - off < 1316 ? len - off : 1316;
		assert_int_equal(ts_feed(d, buf + off, n), 0);
	}
	ts_stats(d, st);
	ts_free(d);
	free(buf);
}

static void
write_flv(const char *path, const struct tags *t)
{
	static const uint8_t hdr[13] = {'F', 'L', 'V', 1, 5, 0, 0, 0, 9};
	FILE *f = fopen(path, "wb");
	uint8_t th[11], prev[4];
	size_t i;

	assert_non_null(f);
	fwrite(hdr, 1, sizeof(hdr), f);
	for (i = 0; i < t->n; i++) {
		const struct tag *g = &t->v[i];

		th[0] = g->type;
		th[1] = g->len >> 16;
		th[2] = g->len >> 8;
		th[3] = g->len;
		th[4] = g->ts >> 16;
		th[5] = g->ts >> 8;
		th[6] = g->ts;
		th[7] = g->ts >> 24;
		th[8] = th[9] = th[10] = 0;
		fwrite(th, 1, sizeof(th), f);
		fwrite(g->body, 1, g->len, f);
		prev[0] = (11 + g->len) >> 24;
		prev[1] = (11 + g->len) >> 16;
		prev[2] = (11 + g->len) >> 8;
		prev[3] = 11 + g->len;
		fwrite(prev, 1, 4, f);
	}
	assert_int_equal(fclose(f), 0);
}

struct run_summary {
	int video, keys, audio, vseq, aseq;
	uint32_t first_v, last_v, first_a, last_a;
	int64_t first_vpts, max_vpts; /* presentation times */
};

/* Checks every tag for order and framing; returns the counts. */
static void
check_tags(const struct tags *t, int hevc, struct run_summary *s)
{
	int types[64], have_v = 0, have_a = 0, nal, i;
	size_t k;

	memset(s, 0, sizeof(*s));
	for (k = 0; k < t->n; k++) {
		const struct tag *g = &t->v[k];

		if (g->type == TS_TAG_VIDEO) {
			if (tag_is_video_seq(g)) {
				s->vseq++;
				continue;
			}
			assert_true(s->vseq > 0); /* header first */
			if (have_v)
				assert_true(g->ts >= s->last_v);
			else
				s->first_v = g->ts;
			have_v = 1;
			s->last_v = g->ts;
			if (s->video == 0)
				s->first_vpts = g->ts + tag_cts(g);
			if (g->ts + tag_cts(g) > s->max_vpts)
				s->max_vpts = g->ts + tag_cts(g);
			s->video++;
			nal = avcc_check(g, hevc, types, 64);
			if (tag_is_key(g)) {
				s->keys++;
				if (s->video == 1)
					assert_true(tag_is_key(g));
			} else
				assert_true(s->video > 1);
			for (i = 0; i < nal && i < 64; i++) {
				/* parameter sets and AUDs are stripped */
				if (hevc)
					assert_true(
					    types[i] < 32 || types[i] > 35);
				else
					assert_true(types[i] != 7 &&
					    types[i] != 8 && types[i] != 9);
			}
			assert_true(tag_cts(g) >= 0);
		} else {
			assert_int_equal(g->type, TS_TAG_AUDIO);
			assert_int_equal(g->body[0], 0xaf);
			if (tag_is_audio_seq(g)) {
				assert_int_equal(g->len, 4);
				s->aseq++;
				continue;
			}
			assert_true(s->aseq > 0);
			assert_int_equal(g->body[1], 1);
			if (have_a)
				assert_true(g->ts >= s->last_a);
			else
				s->first_a = g->ts;
			have_a = 1;
			s->last_a = g->ts;
			s->audio++;
		}
	}
}

static const struct tag *
first_tag(const struct tags *t, uint8_t type)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].type == type)
			return &t->v[i];
	return NULL;
}

static void
check_av_common(const struct run_summary *s, const struct ts_stats *st)
{
	/* 3 s at 25 fps; the last video PES has no successor to end it. */
	assert_true(s->video >= 74 && s->video <= 75);
	assert_int_equal(s->keys, 3);
	assert_int_equal(s->vseq, 1);
	assert_int_equal(s->aseq, 1);
	/* 3 s of 1024-sample frames at 44.1 kHz, plus encoder priming */
	assert_true(s->audio >= 128 && s->audio <= 132);
	assert_true(s->first_v < 200 && s->first_a < 200);
	/* A/V in step at both ends, in presentation time */
	assert_true(llabs(s->first_vpts - s->first_a) <= 100);
	assert_true(llabs(s->max_vpts - s->last_a) <= 100);
	assert_true(s->last_v >= 2800 && s->last_v <= 3100);
	assert_int_equal(st->cc_errors, 0);
	assert_int_equal(st->video_frames, (uint64_t)s->video);
	assert_int_equal(st->audio_frames, (uint64_t)s->audio);
}

static void
test_ffmpeg_h264_aac(void **state)
{
	char ts[128], flv[128], cmd[512], line[256];
	struct tags t = {0};
	struct ts_stats st;
	struct run_summary s;
	const struct tag *g;
	const uint8_t *rec;
	size_t spslen;
	int vframes = -1, aframes = -1, n;
	FILE *p;

	snprintf(ts, sizeof(ts), "%s/h264.ts", tmpdir);
	snprintf(flv, sizeof(flv), "%s/h264.flv", tmpdir);
	run("ffmpeg -nostdin -hide_banner -loglevel error -y "
	    "-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine "
	    "-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 "
	    "-sc_threshold 0 -c:a aac -t 3 -f mpegts %s",
	    ts);
	demux_file(ts, &t, &st);
	check_tags(&t, 0, &s);
	check_av_common(&s, &st);

	/* The first video tag is the AVC sequence header. */
	g = first_tag(&t, TS_TAG_VIDEO);
	assert_non_null(g);
	assert_true(tag_is_video_seq(g));
	assert_int_equal(g->body[0], 0x17);
	assert_true(g->len > 5 + 11);
	rec = g->body + 5;
	assert_int_equal(rec[0], 1); /* version */
	assert_int_equal(rec[4] & 3, 3); /* 4-byte lengths */
	assert_int_equal(rec[5] & 0x1f, 1); /* one SPS */
	spslen = be16(rec + 6);
	assert_true(8 + spslen + 3 <= g->len - 5);
	assert_int_equal(rec[8] & 0x1f, 7);
	assert_int_equal(rec[1], rec[9]); /* profile matches the SPS */
	assert_int_equal(rec[1], 100); /* x264 yuv420p: High */
	assert_int_equal(rec[8 + spslen], 1); /* one PPS */
	assert_int_equal(rec[8 + spslen + 3] & 0x1f, 8);
	assert_int_equal(8 + spslen + 3 + be16(rec + 8 + spslen + 1) + 4,
	    g->len - 5); /* High: 4 extension bytes */

	g = first_tag(&t, TS_TAG_AUDIO);
	assert_non_null(g);
	assert_true(tag_is_audio_seq(g));
	/* AAC LC, 44.1 kHz (index 4), mono */
	assert_int_equal(g->body[2], 0x12);
	assert_int_equal(g->body[3], 0x08);

	/* A real decoder must read every frame we made. */
	write_flv(flv, &t);
	snprintf(cmd, sizeof(cmd),
	    "ffprobe -v error -count_frames -show_entries "
	    "stream=codec_name,nb_read_frames -of csv=p=0 %s 2>&1",
	    flv);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		if (sscanf(line, "h264,%d", &n) == 1)
			vframes = n;
		else if (sscanf(line, "aac,%d", &n) == 1)
			aframes = n;
		else
			fail_msg("ffprobe: %s", line);
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(vframes, s.video);
	assert_int_equal(aframes, s.audio);
	tags_free(&t);
}

static void
test_ffmpeg_hevc_aac(void **state)
{
	char ts[128];
	struct tags t = {0};
	struct ts_stats st;
	struct run_summary s;
	const struct tag *g;
	const uint8_t *rec, *a;
	size_t off;
	int i;

	if (system("ffmpeg -hide_banner -encoders 2>/dev/null | "
	           "grep -q libx265") != 0) {
		fprintf(stderr, "skipping HEVC: ffmpeg has no libx265\n");
		skip();
	}
	snprintf(ts, sizeof(ts), "%s/hevc.ts", tmpdir);
	run("ffmpeg -nostdin -hide_banner -loglevel error -y "
	    "-f lavfi -i testsrc=size=320x240:rate=25 -f lavfi -i sine "
	    "-c:v libx265 -preset veryfast -pix_fmt yuv420p "
	    "-x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 "
	    "-c:a aac -t 3 -f mpegts %s",
	    ts);
	demux_file(ts, &t, &st);
	check_tags(&t, 1, &s);
	check_av_common(&s, &st);

	g = first_tag(&t, TS_TAG_VIDEO);
	assert_non_null(g);
	assert_int_equal(g->body[0], 0x90); /* key, SequenceStart */
	assert_memory_equal(g->body + 1, "hvc1", 4);
	assert_true(g->len > 5 + 23);
	rec = g->body + 5;
	assert_int_equal(rec[0], 1); /* version */
	assert_int_equal(rec[1] & 0x1f, 1); /* Main profile */
	assert_true(rec[2] & 0x40); /* compatible with Main */
	assert_true(rec[12] > 0); /* level */
	assert_int_equal(rec[16] & 3, 1); /* 4:2:0 */
	assert_int_equal(rec[17] & 7, 0); /* 8 bit */
	assert_int_equal(rec[18] & 7, 0);
	assert_int_equal(rec[21] & 3, 3); /* 4-byte lengths */
	assert_int_equal(rec[22], 3); /* VPS, SPS, PPS */
	off = 23;
	for (i = 0; i < 3; i++) {
		a = rec + off;
		assert_true(off + 5 <= g->len - 5);
		assert_int_equal(a[0] & 0x3f, 32 + i);
		assert_int_equal(be16(a + 1), 1);
		assert_int_equal((a[5] >> 1) & 0x3f, 32 + i);
		off += 5 + be16(a + 3);
	}
	assert_int_equal(off, g->len - 5);
	/* x265 uses B-frames: some frames carry a composition time. */
	for (i = 0; i < (int)t.n; i++)
		if (t.v[i].type == TS_TAG_VIDEO && tag_cts(&t.v[i]) > 0)
			break;
	assert_true(i < (int)t.n);
	tags_free(&t);
}

/* A tiny muxer for hand-made streams */

struct mux {
	uint8_t *buf;
	size_t len, cap;
	uint8_t cc[8192];
};

static uint32_t
mux_crc(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (uint32_t)p[i] << 24;
		for (b = 0; b < 8; b++)
			crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7
			                       : crc << 1;
	}
	return crc;
}

static uint8_t *
mux_room(struct mux *m, size_t n)
{
	if (m->len + n > m->cap) {
		m->cap = (m->len + n) * 2;
		m->buf = realloc(m->buf, m->cap);
		assert_non_null(m->buf);
	}
	m->len += n;
	return m->buf + m->len - n;
}

/* One packet with up to 184 payload bytes; returns bytes used. */
static size_t
mux_packet(
    struct mux *m, uint16_t pid, int pusi, const uint8_t *data, size_t len)
{
	uint8_t *p = mux_room(m, 188);
	size_t n = len < 184 ? len : 184, af;

	p[0] = 0x47;
	p[1] = (pusi ? 0x40 : 0) | pid >> 8;
	p[2] = pid;
	if (n < 184) {
		af = 183 - n;
		p[3] = 0x30 | m->cc[pid];
		p[4] = af;
		if (af > 0) {
			p[5] = 0;
			memset(p + 6, 0xff, af - 1);
		}
		memcpy(p + 5 + af, data, n);
	} else {
		p[3] = 0x10 | m->cc[pid];
		memcpy(p + 4, data, n);
	}
	m->cc[pid] = (m->cc[pid] + 1) & 0x0f;
	return n;
}

static void
mux_section(struct mux *m, uint16_t pid, uint8_t *s, size_t len)
{
	uint8_t pkt[184];
	uint32_t crc;

	s[1] = 0xb0 | (len + 4 - 3) >> 8;
	s[2] = len + 4 - 3;
	crc = mux_crc(s, len);
	s[len] = crc >> 24;
	s[len + 1] = crc >> 16;
	s[len + 2] = crc >> 8;
	s[len + 3] = crc;
	memset(pkt, 0xff, sizeof(pkt));
	pkt[0] = 0;
	memcpy(pkt + 1, s, len + 4);
	mux_packet(m, pid, 1, pkt, sizeof(pkt));
}

static void
mux_pat(struct mux *m, uint16_t pmt_pid)
{
	uint8_t s[64] = {0x00, 0, 0, 0x00, 0x01, 0xc1, 0, 0, 0x00, 0x01};

	s[10] = 0xe0 | pmt_pid >> 8;
	s[11] = pmt_pid;
	mux_section(m, 0, s, 12);
}

/* streams: pairs of (stream_type, pid), n pairs */
static void
mux_pmt(struct mux *m, uint16_t pmt_pid, int version, const int *streams, int n)
{
	uint8_t s[256] = {0x02, 0, 0, 0x00, 0x01};
	size_t len = 12;
	int i;

	s[5] = 0xc1 | version << 1;
	s[8] = 0xe0 | streams[1] >> 8; /* PCR on the first stream */
	s[9] = streams[1];
	s[10] = 0xf0;
	s[11] = 0;
	for (i = 0; i < n; i++) {
		s[len++] = streams[2 * i];
		s[len++] = 0xe0 | streams[2 * i + 1] >> 8;
		s[len++] = streams[2 * i + 1];
		s[len++] = 0xf0;
		s[len++] = 0;
	}
	mux_section(m, pmt_pid, s, len);
}

static void
mux_time(uint8_t *p, int prefix, uint64_t t)
{
	p[0] = prefix << 4 | ((t >> 29) & 0x0e) | 1;
	p[1] = t >> 22;
	p[2] = ((t >> 14) & 0xfe) | 1;
	p[3] = t >> 7;
	p[4] = ((t << 1) & 0xfe) | 1;
}

/* Returns the index of the PES's first packet in m. */
static size_t
mux_pes(struct mux *m, uint16_t pid, int video, uint64_t pts, uint64_t dts,
    const uint8_t *data, size_t len)
{
	size_t first = m->len / 188, hl = pts == dts ? 5 : 10, total, off;
	uint8_t *pes;

	pts &= (1ULL << 33) - 1;
	dts &= (1ULL << 33) - 1;
	total = 9 + hl + len;
	pes = malloc(total);
	assert_non_null(pes);
	pes[0] = pes[1] = 0;
	pes[2] = 1;
	pes[3] = video ? 0xe0 : 0xc0;
	if (video) {
		pes[4] = pes[5] = 0; /* unbounded, as muxers do for video */
	} else {
		pes[4] = (total - 6) >> 8;
		pes[5] = total - 6;
	}
	pes[6] = 0x80;
	pes[7] = hl == 10 ? 0xc0 : 0x80;
	pes[8] = hl;
	mux_time(pes + 9, hl == 10 ? 3 : 2, pts);
	if (hl == 10)
		mux_time(pes + 14, 1, dts);
	memcpy(pes + 9 + hl, data, len);
	for (off = 0; off < total;)
		off += mux_packet(m, pid, off == 0, pes + off, total - off);
	free(pes);
	return first;
}

static void
mux_drop_packet(struct mux *m, size_t index)
{
	memmove(m->buf + index * 188, m->buf + (index + 1) * 188,
	    m->len - (index + 1) * 188);
	m->len -= 188;
}

static const uint8_t sps_a[] = {0x67, 0x42, 0xc0, 0x1e, 0x95, 0xa0, 0x50, 0x7f};
static const uint8_t sps_b[] = {0x67, 0x4d, 0x40, 0x1f, 0x96, 0x54, 0x05, 0x01};
static const uint8_t pps[] = {0x68, 0xce, 0x3c, 0x80};

/*
 * An H.264 access unit whose slice carries the frame index so the test can
 * tell which frames came out.  Keyframes carry SPS/PPS; every frame an AUD
 * and an SEI.
 */
static size_t
make_au(uint8_t *out, int index, int key, const uint8_t *sps, size_t spslen,
    size_t slicelen)
{
	static const uint8_t sc[4] = {0, 0, 0, 1};
	static const uint8_t aud[2] = {0x09, 0xf0};
	static const uint8_t sei[5] = {0x06, 0x05, 0x01, 0x55, 0x80};
	size_t n = 0, i;

#define PUT(p, l) \
	do { \
		memcpy(out + n, sc, 4); \
		memcpy(out + n + 4, p, l); \
		n += 4 + (l); \
	} while (0)
	PUT(aud, sizeof(aud));
	if (key) {
		PUT(sps, spslen);
		PUT(pps, sizeof(pps));
	}
	PUT(sei, sizeof(sei));
#undef PUT
	memcpy(out + n, sc, 4);
	n += 4;
	out[n++] = key ? 0x65 : 0x41;
	out[n++] = 1 + index;
	for (i = 2; i < slicelen; i++)
		out[n++] = 0x55 + (i & 0x1f);
	return n;
}

/* The frame index of a coded H.264 tag made by make_au. */
static int
tag_index(const struct tag *g)
{
	int types[8], n;
	size_t off = 5;

	n = avcc_check(g, 0, types, 8);
	assert_int_equal(n, 2);
	assert_int_equal(types[0], 6); /* SEI kept, AUD gone */
	off += 4 + be32(g->body + off);
	return g->body[off + 4 + 1] - 1;
}

/* An ADTS frame with payload bytes fill: AAC LC, 48 kHz, stereo. */
static size_t
make_adts(uint8_t *out, size_t paylen, uint8_t fill, int crc)
{
	size_t hl = crc ? 9 : 7, flen = hl + paylen;

	out[0] = 0xff;
	out[1] = crc ? 0xf0 : 0xf1;
	out[2] = 1 << 6 | 3 << 2 | 0; /* LC, index 3 (48 kHz) */
	out[3] = 2 << 6 | (flen >> 11);
	out[4] = flen >> 3;
	out[5] = (flen & 7) << 5 | 0x1f;
	out[6] = 0xfc;
	if (crc) {
		out[7] = 0x12;
		out[8] = 0x34;
	}
	memset(out + hl, fill, paylen);
	return flen;
}

#define VPID 0x100
#define APID 0x101
#define PMTPID 0x1000

static const int av_streams[] = {0x1b, VPID, 0x0f, APID};

static void
demux_mem(const uint8_t *buf, size_t len, size_t chunk, struct tags *t,
    struct ts_stats *st)
{
	struct ts_demux *d = ts_new(tags_cb, t);
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		assert_int_equal(ts_feed(d, buf + off, n), 0);
	}
	ts_stats(d, st);
	ts_free(d);
}

/* 100 frames and their audio from a PTS 2 s before the 33-bit wrap. */
static void
test_pts_wrap(void **state)
{
	struct mux m = {0};
	struct tags t = {0};
	struct ts_stats st;
	uint8_t au[2048];
	const uint64_t start = (1ULL << 33) - 2 * 90000;
	uint64_t aclock = start;
	uint32_t prev_v = 0, prev_a = 0;
	int i, nv = 0, na = 0;
	size_t k, n;

	mux_pat(&m, PMTPID);
	mux_pmt(&m, PMTPID, 0, av_streams, 2);
	for (i = 0; i < 101; i++) {
		uint64_t dts = start + (uint64_t)i * 3600;

		n = make_au(au, i, i % 25 == 0, sps_a, sizeof(sps_a), 300);
		mux_pes(&m, VPID, 1, dts + 7200, dts, au, n);
		while (aclock < dts + 3600) {
			n = make_adts(au, 200, 0x11, 0);
			mux_pes(&m, APID, 0, aclock, aclock, au, n);
			aclock += 1920; /* 1024 samples at 48 kHz */
		}
	}
	demux_mem(m.buf, m.len, 1316, &t, &st);
	for (k = 0; k < t.n; k++) {
		const struct tag *g = &t.v[k];

		if (g->type == TS_TAG_VIDEO && !tag_is_video_seq(g)) {
			if (nv == 0)
				assert_true(g->ts <= 1);
			else
				assert_true(g->ts >= prev_v + 39 &&
				    g->ts <= prev_v + 41);
			assert_int_equal(tag_cts(g), 80);
			assert_int_equal(tag_index(g), nv);
			prev_v = g->ts;
			nv++;
		} else if (g->type == TS_TAG_AUDIO && !tag_is_audio_seq(g)) {
			if (na > 0)
				assert_true(g->ts >= prev_a + 19 &&
				    g->ts <= prev_a + 22);
			prev_a = g->ts;
			na++;
		}
	}
	assert_int_equal(nv, 100);
	assert_true(prev_v >= 3950 && prev_v <= 3970);
	assert_true(abs((int)prev_a - (int)prev_v) <= 100);
	tags_free(&t);
	free(m.buf);
}

static void
test_cc_gap(void **state)
{
	struct mux m = {0};
	struct tags t = {0};
	struct ts_stats st;
	uint8_t au[2048];
	size_t k, n, first = 0;
	int i, seen[51] = {0}, idx;

	mux_pat(&m, PMTPID);
	mux_pmt(&m, PMTPID, 0, av_streams, 1);
	for (i = 0; i < 51; i++) {
		n = make_au(au, i, i % 25 == 0, sps_a, sizeof(sps_a), 800);
		k = mux_pes(
		    &m, VPID, 1, 90000 + i * 3600, 90000 + i * 3600, au, n);
		if (i == 10)
			first = k;
	}
	mux_drop_packet(&m, first + 2); /* the middle of frame 10 */
	demux_mem(m.buf, m.len, 1316, &t, &st);
	for (k = 0; k < t.n; k++)
		if (t.v[k].type == TS_TAG_VIDEO && !tag_is_video_seq(&t.v[k])) {
			idx = tag_index(&t.v[k]);
			assert_true(idx >= 0 && idx < 51);
			seen[idx]++;
		}
	for (i = 0; i < 50; i++) {
		/* broken at 10, resumed at the keyframe at 25 */
		if (i >= 10 && i < 25)
			assert_int_equal(seen[i], 0);
		else
			assert_int_equal(seen[i], 1);
	}
	assert_int_equal(st.cc_errors, 1);
	assert_int_equal(st.pes_dropped, 15);
	assert_int_equal(st.video_frames, 35);
	tags_free(&t);
	free(m.buf);
}

static void
test_pmt_version_change(void **state)
{
	static const int v1[] = {0x06, 0x300, 0x1b, 0x200, 0x0f, 0x201};
	struct mux m = {0};
	struct tags t = {0};
	struct ts_stats st;
	uint8_t au[2048];
	size_t k, n;
	int i, seen[40] = {0}, audio = 0, idx;

	mux_pat(&m, PMTPID);
	mux_pmt(&m, PMTPID, 0, av_streams, 1);
	for (i = 0; i < 10; i++) {
		/* muxers repeat the PMT; the same version must change nothing */
		mux_pmt(&m, PMTPID, 0, av_streams, 1);
		n = make_au(au, i, i == 0, sps_a, sizeof(sps_a), 300);
		mux_pes(&m, VPID, 1, i * 3600, i * 3600, au, n);
	}
	mux_pmt(&m, PMTPID, 1, v1, 3);
	for (i = 10; i < 20; i++) {
		n = make_au(au, i, i == 10, sps_a, sizeof(sps_a), 300);
		mux_pes(&m, 0x200, 1, i * 3600, i * 3600, au, n);
		/* the old PID is no longer ours */
		n = make_au(au, 30, 1, sps_a, sizeof(sps_a), 300);
		mux_pes(&m, VPID, 1, i * 3600, i * 3600, au, n);
		n = make_adts(au, 100, 0x22, 0);
		mux_pes(&m, 0x201, 0, i * 3600, i * 3600, au, n);
	}
	demux_mem(m.buf, m.len, 1316, &t, &st);
	for (k = 0; k < t.n; k++) {
		if (t.v[k].type == TS_TAG_AUDIO && !tag_is_audio_seq(&t.v[k])) {
			audio++;
			continue;
		}
		if (t.v[k].type != TS_TAG_VIDEO || tag_is_video_seq(&t.v[k]))
			continue;
		idx = tag_index(&t.v[k]);
		assert_true(idx >= 0 && idx < 40);
		seen[idx]++;
	}
	for (i = 0; i < 19; i++)
		assert_int_equal(seen[i], i == 9 ? 0 : 1);
	assert_int_equal(seen[30], 0);
	assert_int_equal(audio, 10);
	assert_int_equal(st.cc_errors, 0);
	tags_free(&t);
	free(m.buf);
}

static void
test_multi_adts(void **state)
{
	struct mux m = {0};
	struct tags t = {0};
	struct ts_stats st;
	uint8_t pes[2048];
	size_t n = 0, k;
	int frames = 0;
	static const int a_only[] = {0x0f, APID};

	mux_pat(&m, PMTPID);
	mux_pmt(&m, PMTPID, 0, a_only, 1);
	n += make_adts(pes + n, 300, 0x31, 0);
	n += make_adts(pes + n, 250, 0x32, 1); /* with CRC */
	pes[n++] = 0x00; /* junk between frames */
	n += make_adts(pes + n, 10, 0x33, 0);
	mux_pes(&m, APID, 0, 900000, 900000, pes, n);
	n = make_adts(pes, 40, 0x34, 0);
	/* a frame claiming more bytes than the PES holds is dropped */
	n += make_adts(pes + n, 40, 0x35, 0) - 10;
	mux_pes(&m, APID, 0, 900000 + 3 * 1920, 900000 + 3 * 1920, pes, n);
	demux_mem(m.buf, m.len, 1, &t, &st);

	assert_true(t.n >= 1);
	assert_true(tag_is_audio_seq(&t.v[0]));
	assert_int_equal(t.v[0].body[2], 0x11); /* LC, 48 kHz */
	assert_int_equal(t.v[0].body[3], 0x90); /* stereo */
	for (k = 1; k < t.n; k++) {
		const struct tag *g = &t.v[k];
		static const uint32_t want_ts[] = {0, 21, 42, 64};
		static const size_t want_len[] = {300, 250, 10, 40};

		assert_false(tag_is_audio_seq(g));
		assert_true(frames < 4);
		assert_int_equal(g->ts, want_ts[frames]);
		assert_int_equal(g->len, 2 + want_len[frames]);
		assert_int_equal(g->body[2], 0x31 + frames);
		assert_int_equal(g->body[g->len - 1], 0x31 + frames);
		frames++;
	}
	assert_int_equal(frames, 4);
	assert_int_equal(st.audio_frames, 4);
	tags_free(&t);
	free(m.buf);
}

static void
test_sps_change(void **state)
{
	struct mux m = {0};
	struct tags t = {0};
	struct ts_stats st;
	uint8_t au[2048];
	size_t k, n;
	int i, seqs = 0, frames = 0;

	mux_pat(&m, PMTPID);
	mux_pmt(&m, PMTPID, 0, av_streams, 1);
	for (i = 0; i < 51; i++) {
		n = make_au(au, i, i % 10 == 0, i < 30 ? sps_a : sps_b, 8, 100);
		mux_pes(&m, VPID, 1, i * 3600, i * 3600, au, n);
	}
	demux_mem(m.buf, m.len, 7, &t, &st);
	for (k = 0; k < t.n; k++) {
		const struct tag *g = &t.v[k];

		if (tag_is_video_seq(g)) {
			/* before frame 0 and before frame 30 */
			assert_int_equal(frames, seqs == 0 ? 0 : 30);
			assert_int_equal(
			    g->body[5 + 1], seqs == 0 ? 0x42 : 0x4d);
			assert_memory_equal(
			    g->body + 5 + 8, seqs == 0 ? sps_a : sps_b, 8);
			seqs++;
		} else {
			assert_int_equal(tag_index(g), frames);
			assert_int_equal(
			    g->body[0], frames % 10 == 0 ? 0x17 : 0x27);
			frames++;
		}
	}
	assert_int_equal(seqs, 2);
	assert_int_equal(frames, 50);
	tags_free(&t);
	free(m.buf);
}

static uint32_t rng = 2463534242u;

static uint8_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void
test_garbage(void **state)
{
	struct mux m = {0};
	struct tags t = {0};
	struct ts_stats st;
	struct ts_demux *d;
	uint8_t au[2048], junk[40000];
	size_t i, n;

	/* garbage with sync bytes in it, then a real stream, byte by byte */
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = i % 188 == 0 ? 0x47 : rnd();
	for (i = 0; i < 30; i++) {
		if (i % 10 == 0) {
			/* as muxers do, so a reader can join mid-stream */
			mux_pat(&m, PMTPID);
			mux_pmt(&m, PMTPID, 0, av_streams, 1);
		}
		n = make_au(au, i, i % 10 == 0, sps_a, sizeof(sps_a), 500);
		mux_pes(&m, VPID, 1, i * 3600, i * 3600, au, n);
	}
	d = ts_new(tags_cb, &t);
	for (i = 0; i < sizeof(junk); i++)
		assert_int_equal(ts_feed(d, junk + i, 1), 0);
	for (i = 0; i < m.len; i++)
		assert_int_equal(ts_feed(d, m.buf + i, 1), 0);
	ts_stats(d, &st);
	ts_free(d);
	/* the PAT at frame 0 is lost to the junk; the next one is at 10 */
	assert_true(st.video_frames >= 19);

	/* every truncation of the stream, and random flips in it */
	for (i = 1; i < m.len; i += 97) {
		d = ts_new(tags_cb, &t);
		ts_feed(d, m.buf, i);
		ts_free(d);
	}
	for (i = 0; i < 2000; i++)
		m.buf[(rnd() << 8 | rnd()) % m.len] = rnd();
	d = ts_new(tags_cb, &t);
	ts_feed(d, m.buf, m.len);
	ts_free(d);

	/* no sync at all is not MPEG-TS */
	memset(junk, 0, sizeof(junk));
	d = ts_new(tags_cb, &t);
	assert_int_equal(ts_feed(d, junk, sizeof(junk)), 0);
	assert_int_equal(ts_feed(d, junk, sizeof(junk)), -1);
	assert_non_null(strstr(ts_error(d), "sync"));
	assert_int_equal(ts_feed(d, m.buf, 188), -1);
	ts_free(d);
	tags_free(&t);
	free(m.buf);
}

/* A PES over the limit is dropped; the stream recovers at a keyframe. */
static void
test_pes_limit(void **state)
{
	struct mux m = {0};
	struct tags t = {0};
	struct ts_stats st;
	uint8_t *big, au[2048];
	size_t n, k, bigsz = TS_PES_MAX + 1000;
	int i, seen[10] = {0};

	big = malloc(bigsz);
	assert_non_null(big);
	mux_pat(&m, PMTPID);
	mux_pmt(&m, PMTPID, 0, av_streams, 1);
	n = make_au(au, 0, 1, sps_a, sizeof(sps_a), 300);
	mux_pes(&m, VPID, 1, 0, 0, au, n);
	n = make_au(big, 1, 1, sps_a, sizeof(sps_a), bigsz - 100);
	mux_pes(&m, VPID, 1, 3600, 3600, big, n);
	for (i = 2; i < 6; i++) {
		n = make_au(au, i, i == 3, sps_a, sizeof(sps_a), 300);
		mux_pes(&m, VPID, 1, i * 3600, i * 3600, au, n);
	}
	demux_mem(m.buf, m.len, 1316, &t, &st);
	for (k = 0; k < t.n; k++)
		if (!tag_is_video_seq(&t.v[k]))
			seen[tag_index(&t.v[k])]++;
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 0);
	assert_int_equal(seen[2], 0); /* waits for the keyframe */
	assert_int_equal(seen[3], 1);
	assert_int_equal(seen[4], 1);
	assert_int_equal(st.pes_dropped, 2);
	free(big);
	tags_free(&t);
	free(m.buf);
}

static int
setup(void **state)
{
	strlcpy(tmpdir, "/tmp/nyon-test-ts.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	log_init("test_ts", 1, 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ffmpeg_h264_aac),
	    cmocka_unit_test(test_ffmpeg_hevc_aac),
	    cmocka_unit_test(test_pts_wrap),
	    cmocka_unit_test(test_cc_gap),
	    cmocka_unit_test(test_pmt_version_change),
	    cmocka_unit_test(test_multi_adts),
	    cmocka_unit_test(test_sps_change),
	    cmocka_unit_test(test_garbage),
	    cmocka_unit_test(test_pes_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
