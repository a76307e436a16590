/*
 * The TS muxer (fwdd/tsmux.c).  Real tags come from ffmpeg at run time: an
 * FLV file (H.264 with B-frames, AAC) and, for HEVC, ffmpeg's MPEG-TS read
 * back by ingestd's demuxer.  What the muxer makes is read back by the
 * same demuxer (ingestd/ts.c) and must give the frames, timestamps and
 * composition times that went in; ffmpeg must decode it without a word.
 * Edge cases are made by hand.
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
#include "amf0.h"
#include "flv.h"
#include "ts.h"
#include "tsmux.h"

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

static char tmpdir[64];

static void
tags_add(void *arg, uint8_t type, uint32_t ts, const uint8_t *body, size_t len)
{
	struct tags *t = arg;
	struct tag *g;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	g = &t->v[t->n++];
	g->type = type;
	g->ts = ts;
	g->len = len;
	g->body = xmalloc(len ? len : 1);
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

static void
out_cb(void *arg, const uint8_t *buf, size_t len)
{
	struct amf0_buf *b = arg;

	assert_int_equal(len % TSMUX_PACKET, 0);
	assert_true(len > 0);
	amf0_put_raw(b, buf, len);
}

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
	buf = xmalloc(n);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*len = n;
	return buf;
}

static void
spit(const char *path, const uint8_t *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The tags of an FLV file. */
static void
flv_read(const char *path, struct tags *t)
{
	struct flv_tag tag;
	size_t len, off;
	uint8_t *buf = slurp(path, &len);

	assert_memory_equal(buf, "FLV", 3);
	for (off = 13; off + FLV_TAG_HEADER_LEN <= len;) {
		assert_int_equal(flv_tag_parse(buf + off, len - off, &tag), 0);
		assert_true(off + FLV_TAG_HEADER_LEN + tag.size + 4 <= len);
		tags_add(t, tag.type, tag.timestamp,
		    buf + off + FLV_TAG_HEADER_LEN, tag.size);
		off += FLV_TAG_HEADER_LEN + tag.size + 4;
	}
	free(buf);
}

/* Every packet: 188 bytes, sync byte, continuity per PID without a gap. */
static void
check_packets(const uint8_t *ts, size_t len)
{
	int cc[0x2000];
	size_t off;
	unsigned pid;

	memset(cc, -1, sizeof(cc));
	assert_int_equal(len % TSMUX_PACKET, 0);
	for (off = 0; off < len; off += TSMUX_PACKET) {
		assert_int_equal(ts[off], 0x47);
		pid = (ts[off + 1] & 0x1f) << 8 | ts[off + 2];
		assert_true(ts[off + 3] & 0x10); /* every packet has payload */
		if (cc[pid] != -1)
			assert_int_equal(
			    ts[off + 3] & 0x0f, (cc[pid] + 1) & 0x0f);
		cc[pid] = ts[off + 3] & 0x0f;
		if (ts[off + 3] & 0x20) /* adaptation field fits */
			assert_true(ts[off + 4] <= 183);
	}
}

static void
mux_tags(const struct tags *in, struct amf0_buf *ts, int *errors)
{
	struct tsmux *m = tsmux_new(out_cb, ts);
	size_t i;

	*errors = 0;
	for (i = 0; i < in->n; i++)
		if (tsmux_tag(m, in->v[i].type, in->v[i].ts, in->v[i].body,
		        in->v[i].len) == -1) {
			fprintf(stderr, "tag %zu: %s\n", i, tsmux_error(m));
			(*errors)++;
		}
	tsmux_free(m);
}

static void
demux(const uint8_t *buf, size_t len, struct tags *out)
{
	struct ts_demux *d = ts_new(tags_add, out);

	assert_int_equal(ts_feed(d, buf, len), 0);
	ts_free(d);
}

static int
is_seqhdr(const struct tag *g)
{
	return flv_classify(g->type, g->body, g->len) & FLV_F_SEQHDR;
}

/* The coded video tags' NAL units, as (length, bytes) without AUDs. */
static void
nal_units(const struct tag *g, struct amf0_buf *out)
{
	size_t off, n, start;
	int hevc, t;

	if (g->body[0] & 0x80) {
		hevc = memcmp(g->body + 1, "hvc1", 4) == 0;
		start = (g->body[0] & 0x0f) == 1 ? 8 : 5;
	} else {
		hevc = (g->body[0] & 0x0f) == 12;
		start = 5;
	}
	for (off = start; off + 4 <= g->len; off += n) {
		n = be32_read(g->body + off);
		off += 4;
		assert_true(n <= g->len - off);
		t = hevc ? (g->body[off] >> 1) & 0x3f : g->body[off] & 0x1f;
		if (hevc ? t == 35 || (t >= 32 && t <= 34)
		         : t == 9 || t == 7 || t == 8)
			continue; /* delimiters and parameter sets move */
		amf0_put_raw(out, g->body + off - 4, n + 4);
	}
}

static int32_t
cts_of(const struct tag *g)
{
	const uint8_t *p;

	if (!(g->body[0] & 0x80))
		p = g->body + 2;
	else if ((g->body[0] & 0x0f) == 1)
		p = g->body + 5;
	else
		return 0;
	return (int32_t)(be24_read(p) << 8) >> 8;
}

/*
 * What came back matches what went in: every coded frame with its NAL
 * units, timestamp (the demuxer starts its clock near 0) and composition
 * time; every AAC frame's bytes.
 */
static void
check_same(
    const struct tags *in, const struct tags *back, int *nvideo, int *naudio)
{
	const struct tag *a, *b;
	size_t i = 0, j = 0;
	int64_t shift = INT64_MIN;
	struct amf0_buf na = {0}, nb = {0};

	*nvideo = *naudio = 0;
	for (;;) {
		while (i < in->n &&
		    (in->v[i].type == FLV_TAG_SCRIPT || is_seqhdr(&in->v[i])))
			i++;
		while (j < back->n && is_seqhdr(&back->v[j]))
			j++;
		if (i == in->n || j == back->n)
			break;
		/* the demuxer may order audio and video otherwise: by kind */
		a = &in->v[i];
		b = &back->v[j];
		if (a->type != b->type) {
			size_t k;

			for (k = j; k < back->n; k++)
				if (back->v[k].type == a->type &&
				    !is_seqhdr(&back->v[k]))
					break;
			if (k == back->n) {
				/* the demuxer holds the last video frame */
				i++;
				continue;
			}
			b = &back->v[k];
			/* swap it into place */
			{
				struct tag t = back->v[k];

				memmove(&back->v[j + 1], &back->v[j],
				    (k - j) * sizeof(t));
				back->v[j] = t;
				b = &back->v[j];
			}
		}
		if (shift == INT64_MIN)
			shift = (int64_t)b->ts - a->ts;
		assert_int_equal((int64_t)b->ts - a->ts, shift);
		if (a->type == FLV_TAG_VIDEO) {
			na.len = nb.len = 0;
			nal_units(a, &na);
			nal_units(b, &nb);
			assert_int_equal(na.len, nb.len);
			assert_memory_equal(na.data, nb.data, na.len);
			assert_int_equal(cts_of(a), cts_of(b));
			assert_int_equal((a->body[0] & 0x70) == 0x10,
			    (b->body[0] & 0x70) == 0x10);
			(*nvideo)++;
		} else {
			assert_int_equal(a->len, b->len);
			assert_memory_equal(
			    a->body + 2, b->body + 2, a->len - 2);
			(*naudio)++;
		}
		i++;
		j++;
	}
	amf0_buf_free(&na);
	amf0_buf_free(&nb);
}

/* ffmpeg decodes path with no message, frames counted by ffprobe. */
static void
check_decodes(const char *path, const char *vcodec, int nvideo, int naudio)
{
	char cmd[512], line[256];
	int v = -1, a = -1, n;
	FILE *p;

	run("ffmpeg -nostdin -hide_banner -v error -i %s -f null - "
	    "> %s/decode.log 2>&1 && ! [ -s %s/decode.log ]",
	    path, tmpdir, tmpdir);
	snprintf(cmd, sizeof(cmd),
	    "ffprobe -v error -count_frames -show_entries "
	    "stream=codec_name,nb_read_frames -of csv=p=0 %s 2>&1",
	    path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p) != NULL) {
		if (line[0] == '\n')
			continue; /* the program's section */
		if (strncmp(line, vcodec, strlen(vcodec)) == 0 &&
		    sscanf(line + strlen(vcodec), ",%d", &n) == 1)
			v = n;
		else if (sscanf(line, "aac,%d", &n) == 1)
			a = n;
		else
			fail_msg("ffprobe: %s", line);
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(v, nvideo);
	assert_int_equal(a, naudio);
}

/* Coded frames in a tag list: video without sequence headers, audio. */
static void
count_frames(const struct tags *t, int *nvideo, int *naudio)
{
	size_t i;

	*nvideo = *naudio = 0;
	for (i = 0; i < t->n; i++) {
		if (is_seqhdr(&t->v[i]) || t->v[i].type == FLV_TAG_SCRIPT)
			continue;
		/* ffmpeg ends an FLV file with an AVC end of sequence */
		if (t->v[i].type == FLV_TAG_VIDEO && t->v[i].len >= 2 &&
		    (t->v[i].body[0] & 0x80 ? (t->v[i].body[0] & 0x0f) == 2
		                            : t->v[i].body[1] == 2))
			continue;
		if (t->v[i].type == FLV_TAG_VIDEO)
			(*nvideo)++;
		else
			(*naudio)++;
	}
}

static void
test_h264_aac(void **state)
{
	char flv[128], out[128];
	struct tags in = {0}, back = {0};
	struct amf0_buf ts = {0};
	int errors, nv, na, inv, ina;

	snprintf(flv, sizeof(flv), "%s/in.flv", tmpdir);
	snprintf(out, sizeof(out), "%s/out.ts", tmpdir);
	/* B-frames: composition times must survive */
	run("ffmpeg -nostdin -hide_banner -loglevel error -y "
	    "-f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine "
	    "-c:v libx264 -preset veryfast -bf 2 -pix_fmt yuv420p -g 25 "
	    "-c:a aac -t 3 -f flv %s",
	    flv);
	flv_read(flv, &in);
	mux_tags(&in, &ts, &errors);
	assert_int_equal(errors, 0);
	check_packets(ts.data, ts.len);
	demux(ts.data, ts.len, &back);
	check_same(&in, &back, &nv, &na);
	count_frames(&in, &inv, &ina);
	/* the demuxer holds a video frame until the next one starts */
	assert_true(nv == inv - 1 && inv >= 70);
	assert_true(na == ina && ina >= 120);
	spit(out, ts.data, ts.len);
	check_decodes(out, "h264", inv, ina);
	tags_free(&in);
	tags_free(&back);
	amf0_buf_free(&ts);
}

/* HEVC as ingestd hands it to the ring: enhanced RTMP hvc1. */
static void
test_hevc_aac(void **state)
{
	char src[128], out[128];
	struct tags in = {0}, back = {0};
	struct amf0_buf ts = {0};
	uint8_t *buf;
	size_t len;
	int errors, nv, na, inv, ina;

	if (system("ffmpeg -hide_banner -encoders 2>/dev/null | "
	           "grep -q libx265") != 0) {
		fprintf(stderr, "skipping HEVC: ffmpeg has no libx265\n");
		skip();
	}
	snprintf(src, sizeof(src), "%s/hevc.ts", tmpdir);
	snprintf(out, sizeof(out), "%s/hevc-out.ts", tmpdir);
	run("ffmpeg -nostdin -hide_banner -loglevel error -y "
	    "-f lavfi -i testsrc2=size=320x240:rate=25 -f lavfi -i sine "
	    "-c:v libx265 -preset veryfast -pix_fmt yuv420p "
	    "-x265-params log-level=error:keyint=25:min-keyint=25:scenecut=0 "
	    "-c:a aac -t 3 -f mpegts %s",
	    src);
	buf = slurp(src, &len);
	demux(buf, len, &in);
	free(buf);
	assert_true(in.n > 0);
	assert_int_equal(in.v[0].body[0] & 0x80, 0x80);
	mux_tags(&in, &ts, &errors);
	assert_int_equal(errors, 0);
	check_packets(ts.data, ts.len);
	demux(ts.data, ts.len, &back);
	check_same(&in, &back, &nv, &na);
	count_frames(&in, &inv, &ina);
	assert_true(nv == inv - 1 && inv >= 70);
	assert_int_equal(na, ina);
	spit(out, ts.data, ts.len);
	check_decodes(out, "hevc", inv, ina);
	tags_free(&in);
	tags_free(&back);
	amf0_buf_free(&ts);
}

/* Tags that cannot be muxed are dropped with the reason; others go on. */
static void
test_refusals(void **state)
{
	/* avcC: version 1, profile 66, 4-byte lengths, one SPS, one PPS */
	static const uint8_t seq[] = {0x17, 0, 0, 0, 0, 1, 66, 0, 30, 0xff,
	    0xe1, 0, 4, 0x67, 66, 0, 30, 1, 0, 2, 0x68, 0xce};
	static const uint8_t frame[] = {
	    0x17, 1, 0, 0, 0, 0, 0, 0, 3, 0x65, 0x88, 0x84};
	static const uint8_t trunc[] = {
	    0x27, 1, 0, 0, 0, 0, 0, 0, 9, 0x41, 0x9a};
	static const uint8_t vp6[] = {0x14, 0, 0, 0, 0, 0};
	static const uint8_t mp3[] = {0x2f, 0xff, 0xfb};
	/* AAC with an explicit 24-bit rate ADTS cannot carry */
	static const uint8_t asc_explicit[] = {0xaf, 0, 0x17, 0x80, 0, 0, 0};
	static const uint8_t aac_raw[] = {0xaf, 1, 0x21, 0x10};
	static const uint8_t av1[] = {0x90, 'a', 'v', '0', '1', 0, 0};
	struct amf0_buf ts = {0};
	struct tsmux_stats st;
	struct tsmux *m = tsmux_new(out_cb, &ts);

	assert_int_equal(tsmux_tag(m, 9, 0, frame, sizeof(frame)), -1);
	assert_non_null(strstr(tsmux_error(m), "before its sequence header"));
	assert_int_equal(tsmux_tag(m, 9, 0, seq, sizeof(seq)), 0);
	assert_int_equal(tsmux_tag(m, 9, 0, frame, sizeof(frame)), 0);
	assert_true(ts.len >= 3 * TSMUX_PACKET); /* PAT, PMT, the frame */
	/* the keyframe carries the SPS and PPS in band */
	assert_non_null(memmem(ts.data, ts.len, "\0\0\0\1\x67\x42\0\x1e", 8));
	assert_non_null(memmem(ts.data, ts.len, "\0\0\0\1\x68\xce", 6));
	assert_int_equal(tsmux_tag(m, 9, 40, trunc, sizeof(trunc)), -1);
	assert_non_null(strstr(tsmux_error(m), "past the end"));
	assert_int_equal(tsmux_tag(m, 9, 40, vp6, sizeof(vp6)), -1);
	assert_non_null(strstr(tsmux_error(m), "codec 4"));
	assert_int_equal(tsmux_tag(m, 9, 40, av1, sizeof(av1)), -1);
	assert_non_null(strstr(tsmux_error(m), "0x61763031"));
	assert_int_equal(tsmux_tag(m, 8, 40, mp3, sizeof(mp3)), -1);
	assert_non_null(strstr(tsmux_error(m), "audio format 2"));
	assert_int_equal(
	    tsmux_tag(m, 8, 40, asc_explicit, sizeof(asc_explicit)), -1);
	assert_int_equal(tsmux_tag(m, 8, 40, aac_raw, sizeof(aac_raw)), -1);
	assert_non_null(strstr(tsmux_error(m), "before its sequence header"));
	/* script data is not an error, and makes no packet */
	ts.len = 0;
	assert_int_equal(
	    tsmux_tag(m, 18, 40, (const uint8_t *)"\2\0\1x", 4), 0);
	assert_int_equal(ts.len, 0);
	tsmux_stats(m, &st);
	assert_int_equal(st.video_frames, 1);
	assert_int_equal(st.dropped, 7);
	tsmux_free(m);
	amf0_buf_free(&ts);
}

/* Audio only: the clock rides on the audio PID, PSI twice a second. */
static void
test_audio_only(void **state)
{
	static const uint8_t asc[] = {0xaf, 0, 0x12, 0x10}; /* LC 44.1k st */
	uint8_t frame[300];
	struct amf0_buf ts = {0}, back_b = {0};
	struct tags back = {0};
	struct tsmux *m = tsmux_new(out_cb, &ts);
	size_t i, pat = 0, off;

	frame[0] = 0xaf;
	frame[1] = 1;
	for (i = 2; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	assert_int_equal(tsmux_tag(m, 8, 0, asc, sizeof(asc)), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(
		    tsmux_tag(m, 8, (uint32_t)(i * 23), frame, sizeof(frame)),
		    0);
	check_packets(ts.data, ts.len);
	for (off = 0; off < ts.len; off += TSMUX_PACKET)
		if ((ts.data[off + 1] & 0x1f) == 0 && ts.data[off + 2] == 0)
			pat++;
	/* 2.3 s of audio: PSI at the start and every 500 ms */
	assert_true(pat >= 5 && pat <= 6);
	demux(ts.data, ts.len, &back);
	assert_int_equal(back.n, 101); /* the config, then 100 frames */
	assert_int_equal(back.v[50].len, sizeof(frame));
	assert_memory_equal(back.v[50].body + 2, frame + 2, sizeof(frame) - 2);
	tags_free(&back);
	amf0_buf_free(&back_b);
	amf0_buf_free(&ts);
	tsmux_free(m);
}

static int
setup(void **state)
{
	strlcpy(tmpdir, "/tmp/nyon-test-tsmux.XXXXXX", sizeof(tmpdir));
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	log_init("test_tsmux", 1, 0);
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
	    cmocka_unit_test(test_h264_aac),
	    cmocka_unit_test(test_hevc_aac),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_audio_only),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
