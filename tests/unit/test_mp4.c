/*
 * recd's MP4 engine: the decoder configurations of real encoders, a muxed
 * stream read back by the scanner (tracks, codecs, fragments on
 * keyframes, durations once patched, the mfra index), timestamps that
 * jump, and configurations that are not what they claim.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nyon.h"
#include "flv.h"
#include "mp4.h"

/* x264 (high profile) and x265 for 640x360 and 320x240 test patterns */
static const uint8_t hvcc_320x240[] = {0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x3c, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8,
    0x00, 0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x18, 0x40, 0x01, 0x0c,
    0x01, 0xff, 0xff, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
    0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0x95, 0x98, 0x09, 0xa1, 0x00, 0x01,
    0x00, 0x2a, 0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90,
    0x00, 0x00, 0x03, 0x00, 0x00, 0x03, 0x00, 0x3c, 0xa0, 0x0a, 0x08, 0x0f,
    0x16, 0x59, 0x59, 0xa4, 0x93, 0x2b, 0xc0, 0x5a, 0x02, 0x00, 0x00, 0x03,
    0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x32, 0x10, 0xa2, 0x00, 0x01, 0x00,
    0x07, 0x44, 0x01, 0xc1, 0x72, 0xb4, 0x62, 0x40};
static const uint8_t avcc_640x360[] = {0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00,
    0x1a, 0x67, 0x64, 0x00, 0x1e, 0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70,
    0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f,
    0x16, 0x2d, 0x96, 0x01, 0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0,
    0xfd, 0xf8, 0xf8, 0x00};
/* AAC-LC, 44.1 kHz, stereo */
static const uint8_t asc_lc[] = {0x12, 0x10};

static void
test_codecs(void **state)
{
	struct mp4_track t;
	const char *why = NULL;

	memset(&t, 0, sizeof(t));
	assert_int_equal(
	    codec_avc(avcc_640x360, sizeof(avcc_640x360), &t, &why), 0);
	assert_int_equal(t.width, 640);
	assert_int_equal(t.height, 360);
	assert_string_equal(t.codecs, "avc1.64001e");
	assert_int_equal(t.nalu_length_size, 4);
	memset(&t, 0, sizeof(t));
	assert_int_equal(
	    codec_hevc(hvcc_320x240, sizeof(hvcc_320x240), &t, &why), 0);
	assert_int_equal(t.width, 320);
	assert_int_equal(t.height, 240);
	assert_memory_equal(t.codecs, "hvc1.1.6.L60.", 13);
	memset(&t, 0, sizeof(t));
	assert_int_equal(codec_aac(asc_lc, sizeof(asc_lc), &t, &why), 0);
	assert_int_equal(t.sample_rate, 44100);
	assert_int_equal(t.channels, 2);
	assert_string_equal(t.codecs, "mp4a.40.2");
}

static void
test_codecs_refused(void **state)
{
	uint8_t bad[sizeof(avcc_640x360)];
	struct mp4_track t;
	const char *why = NULL;
	size_t i;

	/* a record cut before its last parameter set is refused (x264's
	 * last 4 bytes are the optional high-profile fields) */
	for (i = 0; i < sizeof(avcc_640x360) - 4; i++)
		if (codec_avc(avcc_640x360, i, &t, &why) == 0)
			fail_msg("a %zu-byte avcC was taken", i);
	for (i = 0; i < sizeof(hvcc_320x240); i++)
		if (codec_hevc(hvcc_320x240, i, &t, &why) == 0)
			fail_msg("a %zu-byte hvcC was taken", i);
	/* an SPS that says 0x0 macroblocks past its end */
	memcpy(bad, avcc_640x360, sizeof(bad));
	memset(bad + 12, 0xff, 8);
	why = NULL;
	if (codec_avc(bad, sizeof(bad), &t, &why) == -1)
		assert_non_null(why);
	/* AAC: an escape object type, a reserved rate, too short */
	assert_int_equal(
	    codec_aac((const uint8_t *)"\xf8\x00", 2, &t, &why), -1);
	assert_int_equal(
	    codec_aac((const uint8_t *)"\x16\x90", 2, &t, &why), -1);
	assert_int_equal(codec_aac((const uint8_t *)"\x12", 1, &t, &why), -1);
	/* MP3 in an ASC (object type 34): not recordable as AAC */
	assert_int_equal(
	    codec_aac((const uint8_t *)"\xf8\x48\x80", 3, &t, &why), -1);
}

/* A muxed stream: 3 s of 25 fps video, a keyframe a second, and AAC. */
static void
mux(struct mp4buf *b, struct mp4mux **mp, int audio_only)
{
	struct mp4_track v, a;
	const char *why;
	uint8_t frame[300];
	struct mp4mux *m;
	int i;

	memset(&v, 0, sizeof(v));
	memset(&a, 0, sizeof(a));
	assert_int_equal(
	    codec_avc(avcc_640x360, sizeof(avcc_640x360), &v, &why), 0);
	assert_int_equal(codec_aac(asc_lc, sizeof(asc_lc), &a, &why), 0);
	m = mp4mux_new(audio_only ? NULL : &v, &a, 1700000000);
	mp4mux_init(m, b);
	memset(frame, 0xab, sizeof(frame));
	for (i = 0; i < 130; i++) {
		uint32_t ms = 1000 + (uint32_t)(i * 1024 * 1000 / 44100);

		if (!audio_only && i < 75)
			assert_int_equal(
			    mp4mux_video(m, 1000 + i * 40, 80, i % 25 == 0,
			        frame, 100 + i, b, &why),
			    0);
		assert_int_equal(mp4mux_audio(m, ms, frame, 20, b, &why), 0);
	}
	mp4mux_finish(m, b);
	*mp = m;
}

static void
apply(struct mp4buf *b, const struct mp4_patch *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		assert_true(p[i].offset + p[i].len <= b->len);
		memcpy(b->data + p[i].offset, p[i].bytes, p[i].len);
	}
}

static void
test_mux_read_back(void **state)
{
	struct mp4buf b = {0};
	struct mp4_patch p[MP4_PATCH_MAX];
	struct mp4scan sc;
	struct mp4_frag f;
	struct mp4mux *m;
	const char *why;
	uint64_t off, size, end, last = 0;
	uint32_t type;
	size_t need, hl, n, frags = 0, sync = 0;

	mux(&b, &m, 0);
	/* before the patches: a file a crash cut, its duration unknown */
	assert_int_equal(mp4scan_init(b.data, b.len, &sc, &need, &why), 0);
	assert_int_equal(sc.ntracks, 2);
	assert_int_equal(sc.duration_ms, 0);
	assert_string_equal(sc.track[0].codecs, "avc1.64001e");
	assert_string_equal(sc.track[1].codecs, "mp4a.40.2");
	assert_int_equal(sc.track[0].width, 640);
	assert_int_equal(sc.track[0].height, 360);
	assert_int_equal(sc.track[1].timescale, 44100);
	assert_int_equal(sc.created, 1700000000);
	/* too little of it: asks for more */
	assert_int_equal(mp4scan_init(b.data, 40, &sc, &need, &why), 1);
	assert_true(need > 40);
	assert_int_equal(mp4scan_init(b.data, b.len, &sc, &need, &why), 0);
	for (off = sc.init_len; off < b.len; off += size) {
		assert_int_equal(
		    mp4scan_box(b.data + off, b.len - off, &type, &size, &hl),
		    0);
		if (type == MP4_FOURCC('m', 'f', 'r', 'a'))
			break;
		if (type != MP4_FOURCC('m', 'o', 'o', 'f'))
			continue;
		assert_int_equal(
		    mp4scan_moof(b.data + off, b.len - off, &sc, &f, &end), 0);
		frags++;
		sync += f.sync;
		assert_true(end > last);
		last = end;
	}
	/* a fragment per second, each on a keyframe; then the index */
	assert_int_equal(frags, 3);
	assert_int_equal(sync, 3);
	assert_true(last >= 2990 && last <= 3050);
	assert_int_equal(type, MP4_FOURCC('m', 'f', 'r', 'a'));
	assert_int_equal(off + size, b.len);
	/* mfro, the last 16 bytes, says how long mfra is */
	assert_int_equal(be32_read(b.data + b.len - 4), size);
	assert_int_equal(mp4mux_fragments(m), 3);
	n = mp4mux_patches(m, p, nitems(p));
	assert_int_equal(n, 6);
	apply(&b, p, n);
	assert_int_equal(mp4scan_init(b.data, b.len, &sc, &need, &why), 0);
	assert_true(sc.duration_ms >= 2990 && sc.duration_ms <= 3050);
	/* a repair finds the same places to patch */
	assert_int_equal(
	    mp4scan_patches(b.data, b.len, &sc, 1234, p, nitems(p)), 6);
	mp4mux_free(m);
	mp4buf_free(&b);
}

static void
test_audio_only(void **state)
{
	struct mp4buf b = {0};
	struct mp4mux *m;
	struct mp4_patch p[MP4_PATCH_MAX];
	struct mp4scan sc;
	const char *why;
	size_t need;

	mux(&b, &m, 1);
	apply(&b, p, mp4mux_patches(m, p, nitems(p)));
	assert_int_equal(mp4scan_init(b.data, b.len, &sc, &need, &why), 0);
	assert_int_equal(sc.ntracks, 1);
	/* 130 AAC frames of 1024 samples at 44.1 kHz */
	assert_true(sc.duration_ms >= 3015 && sc.duration_ms <= 3020);
	assert_true(mp4mux_fragments(m) >= 3);
	mp4mux_free(m);
	mp4buf_free(&b);
}

static void
test_timestamps_jump(void **state)
{
	struct mp4_track v;
	struct mp4buf b = {0};
	struct mp4mux *m;
	const char *why;
	uint8_t frame[64] = {0};
	uint32_t ts[] = {5000, 5040, 5080, 100, 140, 180, 90000000, 90000040};
	size_t i;

	memset(&v, 0, sizeof(v));
	assert_int_equal(
	    codec_avc(avcc_640x360, sizeof(avcc_640x360), &v, &why), 0);
	m = mp4mux_new(&v, NULL, 0);
	mp4mux_init(m, &b);
	/* before the first keyframe: nothing */
	assert_int_equal(mp4mux_video(m, 4960, 0, 0, frame, 10, &b, &why), 0);
	for (i = 0; i < nitems(ts); i++)
		assert_int_equal(mp4mux_video(m, ts[i], 0, i % 3 == 0, frame,
		                     sizeof(frame), &b, &why),
		    0);
	mp4mux_finish(m, &b);
	/* backwards and far ahead are folded: 8 frames, about 40 ms each */
	assert_true(mp4mux_duration_ms(m) < 1000);
	assert_int_equal(mp4mux_audio(m, 0, frame, 8, &b, &why), -1);
	mp4mux_free(m);
	mp4buf_free(&b);
}

static void
test_scan_garbage(void **state)
{
	uint8_t buf[512];
	struct mp4scan sc;
	struct mp4_frag f;
	const char *why;
	uint64_t end;
	size_t need, i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(mp4scan_init(buf, sizeof(buf), &sc, &need, &why), -1);
	memcpy(buf,
	    "\x00\x00\x00\x10"
	    "ftyp"
	    "isom\x00\x00\x00\x00"
	    "\xff\xff\xff\xff"
	    "moov",
	    24);
	assert_true(mp4scan_init(buf, sizeof(buf), &sc, &need, &why) != 0);
	sc.ntracks = 0;
	assert_int_equal(mp4scan_moof(buf, sizeof(buf), &sc, &f, &end), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codecs),
	    cmocka_unit_test(test_codecs_refused),
	    cmocka_unit_test(test_mux_read_back),
	    cmocka_unit_test(test_audio_only),
	    cmocka_unit_test(test_timestamps_jump),
	    cmocka_unit_test(test_scan_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
