/* FLV: headers, and classification of bodies shaped like real encoders'. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "flv.h"

/* x264 baseline-ish avcC: profile 66, level 31, one SPS, one PPS. */
static const uint8_t avcc[] = {0x01, 0x42, 0xc0, 0x1f, 0xff, 0xe1, 0x00, 0x0a,
    0x67, 0x42, 0xc0, 0x1f, 0xda, 0x01, 0x40, 0x16, 0xe8, 0x40, 0x01, 0x00,
    0x04, 0x68, 0xce, 0x3c, 0x80};

/* hvcC: Main profile, level 93, VPS/SPS/PPS arrays of one each. */
static const uint8_t hvcc[] = {0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8, 0x00,
    0x00, 0x0f, 0x03, 0xa0, 0x00, 0x01, 0x00, 0x03, 0x40, 0x01, 0x0c, 0xa1,
    0x00, 0x01, 0x00, 0x03, 0x42, 0x01, 0x01, 0xa2, 0x00, 0x01, 0x00, 0x02,
    0x44, 0x01};

static size_t
video_body(uint8_t *out, uint8_t b0, const void *hdr4, const void *rest,
    size_t restlen)
{
	out[0] = b0;
	memcpy(out + 1, hdr4, 4);
	memcpy(out + 5, rest, restlen);
	return 5 + restlen;
}

static void
test_headers(void **state)
{
	static const uint8_t want[] = {
	    'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0};
	uint8_t h[FLV_HEADER_LEN], t[FLV_TAG_HEADER_LEN];
	struct flv_tag tag;

	assert_int_equal(flv_header(h, 1, 1), 13);
	assert_memory_equal(h, want, 13);
	flv_header(h, 0, 1);
	assert_int_equal(h[4], 1);

	flv_tag_header(t, FLV_TAG_VIDEO, 0x123456, 0x89abcdef);
	assert_memory_equal(
	    t, "\x09\x12\x34\x56\xab\xcd\xef\x89\x00\x00\x00", 11);
	assert_int_equal(flv_tag_parse(t, sizeof(t), &tag), 0);
	assert_int_equal(tag.type, 9);
	assert_int_equal(tag.size, 0x123456);
	assert_int_equal(tag.timestamp, 0x89abcdef);
	assert_int_equal(flv_tag_parse(t, 10, &tag), -1);
	t[0] = 7;
	assert_int_equal(flv_tag_parse(t, sizeof(t), &tag), -1);
	t[0] = 0x20 | 8; /* encrypted */
	assert_int_equal(flv_tag_parse(t, sizeof(t), &tag), -1);
	t[0] = 8;
	t[10] = 1; /* stream id */
	assert_int_equal(flv_tag_parse(t, sizeof(t), &tag), -1);
}

static void
test_be(void **state)
{
	uint8_t b[4];

	be16_write(b, 0xbeef);
	assert_int_equal(be16_read(b), 0xbeef);
	be24_write(b, 0xabcdef);
	assert_int_equal(be24_read(b), 0xabcdef);
	be32_write(b, 0xdeadbeef);
	assert_memory_equal(b, "\xde\xad\xbe\xef", 4);
	assert_int_equal(be32_read(b), 0xdeadbeef);
}

static void
test_avc(void **state)
{
	uint8_t body[64];
	struct flv_codec_config cfg;
	size_t n;
	static const uint8_t idr[] = {
	    0x17, 0x01, 0, 0, 0x42, 0, 0, 0, 2, 0x65, 0x88};
	static const uint8_t p[] = {
	    0x27, 0x01, 0, 0, 0x42, 0, 0, 0, 2, 0x41, 0x9a};
	static const uint8_t eos[] = {0x17, 0x02, 0, 0, 0};

	n = video_body(body, 0x17, "\x00\x00\x00\x00", avcc, sizeof(avcc));
	assert_int_equal(flv_classify(9, body, n), FLV_F_VIDEO | FLV_F_SEQHDR);
	assert_int_equal(flv_video_config(body, n, &cfg), 0);
	assert_int_equal(cfg.fourcc, FLV_FOURCC_AVC);
	assert_int_equal(cfg.profile, 66);
	assert_int_equal(cfg.level, 31);
	assert_int_equal(cfg.nalu_length_size, 4);
	assert_int_equal(cfg.nparam_sets, 2);
	/* Every truncation of the record is refused. */
	for (; n > 5; n--)
		assert_int_equal(flv_video_config(body, n - 1, &cfg), -1);
	assert_int_equal(
	    flv_classify(9, idr, sizeof(idr)), FLV_F_VIDEO | FLV_F_KEYFRAME);
	assert_int_equal(flv_classify(9, p, sizeof(p)), FLV_F_VIDEO);
	assert_int_equal(flv_classify(9, eos, sizeof(eos)), FLV_F_VIDEO);
	assert_int_equal(flv_video_config(idr, sizeof(idr), &cfg), -1);
	assert_int_equal(flv_classify(9, idr, 0), 0);
	assert_int_equal(flv_classify(9, idr, 1), FLV_F_VIDEO);
	/* Legacy non-AVC codecs: the frame type alone says keyframe. */
	assert_int_equal(flv_classify(9, (const uint8_t *)"\x12\x00", 2),
	    FLV_F_VIDEO | FLV_F_KEYFRAME);
}

static void
test_aac(void **state)
{
	static const uint8_t asc[] = {0xaf, 0x00, 0x12, 0x10};
	static const uint8_t raw[] = {0xaf, 0x01, 0x21, 0x10, 0x04};
	static const uint8_t mp3[] = {0x2f, 0xff, 0xfb};
	static const uint8_t ex_opus_seq[] = {0x90, 'O', 'p', 'u', 's', 1};

	assert_int_equal(
	    flv_classify(8, asc, sizeof(asc)), FLV_F_AUDIO | FLV_F_SEQHDR);
	assert_int_equal(flv_classify(8, raw, sizeof(raw)), FLV_F_AUDIO);
	assert_int_equal(flv_classify(8, mp3, sizeof(mp3)), FLV_F_AUDIO);
	assert_int_equal(flv_classify(8, asc, 1), FLV_F_AUDIO);
	assert_int_equal(flv_classify(8, ex_opus_seq, sizeof(ex_opus_seq)),
	    FLV_F_AUDIO | FLV_F_SEQHDR);
	assert_int_equal(
	    flv_classify(18, (const uint8_t *)"\x02", 1), FLV_F_SCRIPT);
	assert_int_equal(flv_classify(7, asc, sizeof(asc)), 0);
}

static void
test_enhanced(void **state)
{
	uint8_t body[128];
	struct flv_codec_config cfg;
	size_t n;

	/* hvc1 SequenceStart: ExVideoHeader, keyframe type, packet type 0. */
	n = video_body(body, 0x80 | 0x10 | 0, "hvc1", hvcc, sizeof(hvcc));
	assert_int_equal(flv_classify(9, body, n), FLV_F_VIDEO | FLV_F_SEQHDR);
	assert_int_equal(flv_video_config(body, n, &cfg), 0);
	assert_int_equal(cfg.fourcc, FLV_FOURCC_HEVC);
	assert_int_equal(cfg.profile, 1);
	assert_int_equal(cfg.level, 93);
	assert_int_equal(cfg.nalu_length_size, 4);
	assert_int_equal(cfg.nparam_sets, 3);
	for (; n > 5; n--)
		assert_int_equal(flv_video_config(body, n - 1, &cfg), -1);

	/* hvc1 CodedFrames (with composition time) keyframe and inter frame. */
	n = video_body(body, 0x80 | 0x10 | 1, "hvc1",
	    (const uint8_t *)"\0\0\0\0\0\0\2\x26\x01", 9);
	assert_int_equal(
	    flv_classify(9, body, n), FLV_F_VIDEO | FLV_F_KEYFRAME);
	body[0] = 0x80 | 0x20 | 1;
	assert_int_equal(flv_classify(9, body, n), FLV_F_VIDEO);
	/* CodedFramesX (no composition time) keyframe. */
	body[0] = 0x80 | 0x10 | 3;
	assert_int_equal(
	    flv_classify(9, body, n), FLV_F_VIDEO | FLV_F_KEYFRAME);
	/* SequenceEnd, Metadata: neither. */
	body[0] = 0x80 | 0x10 | 2;
	assert_int_equal(flv_classify(9, body, n), FLV_F_VIDEO);
	body[0] = 0x80 | 0x10 | 4;
	assert_int_equal(flv_classify(9, body, n), FLV_F_VIDEO);

	/* av01: sequence start with an av1C, then a keyframe. */
	n = video_body(body, 0x80 | 0x10 | 0, "av01",
	    (const uint8_t *)"\x81\x04\x0c\x00", 4);
	assert_int_equal(flv_classify(9, body, n), FLV_F_VIDEO | FLV_F_SEQHDR);
	assert_int_equal(flv_video_config(body, n, &cfg), -1);
	n = video_body(
	    body, 0x80 | 0x10 | 1, "av01", (const uint8_t *)"\x12\x00\x0a", 3);
	assert_int_equal(
	    flv_classify(9, body, n), FLV_F_VIDEO | FLV_F_KEYFRAME);
	n = video_body(
	    body, 0x80 | 0x10 | 1, "vp09", (const uint8_t *)"\x82\x49", 2);
	assert_int_equal(
	    flv_classify(9, body, n), FLV_F_VIDEO | FLV_F_KEYFRAME);
	/* A short ExVideoHeader is video and nothing more. */
	assert_int_equal(flv_classify(9, body, 4), FLV_F_VIDEO);
}

/* ModEx prefixes (a nanosecond offset) before the real packet type. */
static void
test_modex(void **state)
{
	uint8_t body[128];
	struct flv_media m;
	const char *why;
	size_t n;

	/* video: key, ModEx; 3 bytes of data; type 0 | CodedFramesX; hvc1 */
	n = 0;
	body[n++] = 0x80 | 0x10 | 7;
	body[n++] = 2; /* 3 bytes */
	body[n++] = 0x00;
	body[n++] = 0x01;
	body[n++] = 0xf4;
	body[n++] = 0x00 << 4 | 3;
	memcpy(body + n, "hvc1", 4);
	n += 4;
	memcpy(body + n, "\0\0\0\2\x26\x01", 6);
	n += 6;
	assert_int_equal(flv_media_parse(9, body, n, &m, &why), 0);
	assert_int_equal(m.packet, FLV_PKT_CODED_FRAMES_X);
	assert_int_equal(m.codec, FLV_FOURCC_HEVC);
	assert_int_equal(m.payload, 10);
	assert_int_equal(
	    flv_classify(9, body, n), FLV_F_VIDEO | FLV_F_KEYFRAME);
	/* cut anywhere inside the prefix or the FourCC: refused, never read
	   past the end */
	for (n = 1; n < 10; n++) {
		assert_int_equal(flv_media_parse(9, body, n, &m, &why), -1);
		assert_int_equal(flv_classify(9, body, n), FLV_F_VIDEO);
	}

	/* A 256-byte ModEx uses the 16-bit size. */
	memset(body, 0, sizeof(body));
	body[0] = 0x80 | 0x10 | 7;
	body[1] = 0xff;
	be16_write(body + 2, 299); /* 300 bytes: more than we have */
	assert_int_equal(flv_media_parse(9, body, sizeof(body), &m, &why), -1);
	be16_write(body + 2, 99); /* 100 bytes */
	body[104] = 0x00 << 4 | 0; /* SequenceStart */
	memcpy(body + 105, "av01", 4);
	memcpy(body + 109, "\x81\x04\x0c\x00", 4);
	assert_int_equal(flv_media_parse(9, body, 113, &m, &why), 0);
	assert_int_equal(m.packet, FLV_PKT_SEQUENCE_START);
	assert_int_equal(m.payload, 109);
	assert_int_equal(
	    flv_classify(9, body, 113), FLV_F_VIDEO | FLV_F_SEQHDR);

	/* audio: ExHeader, ModEx, 1 byte, then SequenceStart of Opus */
	n = 0;
	body[n++] = 0x90 | 7;
	body[n++] = 0;
	body[n++] = 0x55;
	body[n++] = 0x00 << 4 | 0;
	memcpy(body + n, "Opus", 4);
	n += 4;
	assert_int_equal(flv_media_parse(8, body, n, &m, &why), 0);
	assert_int_equal(m.codec, FLV_FOURCC_OPUS);
	assert_int_equal(flv_classify(8, body, n), FLV_F_AUDIO | FLV_F_SEQHDR);
}

/* What ingestd carries and what it refuses, with a reason. */
static void
test_accept(void **state)
{
	static const uint8_t opushead[] = {'O', 'p', 'u', 's', 'H', 'e', 'a',
	    'd', 1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0};
	uint8_t body[128], big[300];
	char why[160];
	size_t n;

	/* legacy codecs pass as before, even what we do not parse */
	assert_int_equal(
	    flv_media_accept(9, (const uint8_t *)"\x12\x00", 2, why, 160), 0);
	assert_int_equal(flv_media_accept(8,
	                     (const uint8_t *)"\xaf\x00\x12\x10", 4, why, 160),
	    0);
	/* hvc1 sequence start, coded frames */
	n = video_body(body, 0x80 | 0x10 | 0, "hvc1", hvcc, sizeof(hvcc));
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), 0);
	/* ... but not with a broken record */
	assert_int_equal(
	    flv_media_accept(9, body, n - 3, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "malformed video sequence start (hvc1)"));
	n = video_body(body, 0x80 | 0x20 | 3, "hvc1", "\0\0\0\2\x02\x01", 6);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), 0);
	/* av01, vp09: sequence starts and frames */
	n = video_body(body, 0x80 | 0x10 | 0, "av01", "\x81\x04\x0c\x00", 4);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), 0);
	n = video_body(body, 0x80 | 0x10 | 0, "av01", "\x01\x04\x0c\x00", 4);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), -1);
	n = video_body(body, 0x80 | 0x10 | 0, "vp09",
	    "\x01\0\0\0\x00\x1f\x80\x02\x02\x02\0\0", 12);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), 0);
	n = video_body(body, 0x80 | 0x10 | 1, "vp09", "\x82\x49", 2);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), 0);
	/* an unknown FourCC */
	n = video_body(body, 0x80 | 0x10 | 1, "xyz1", "\x82\x49", 2);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "video codec xyz1 is not one"));
	n = video_body(body, 0x80 | 0x10 | 1, "\x01\x02\x03\x04", "\0", 1);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "0x01020304"));
	/* multitrack video: one track, same codec */
	n = video_body(body, 0x80 | 0x10 | 6, "\x01hvc", "1\0\0\0\0", 5);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "multitrack video is not supported"));
	/* a reserved packet type */
	n = video_body(body, 0x80 | 0x10 | 9, "hvc1", "\0", 1);
	assert_int_equal(flv_media_accept(9, body, n, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "reserved video packet type"));
	/* command frames carry no codec */
	assert_int_equal(
	    flv_media_accept(9, (const uint8_t *)"\xd1\x00", 2, why, 160), 0);
	assert_int_equal(
	    flv_classify(9, (const uint8_t *)"\xd1\x00", 2), FLV_F_VIDEO);

	/* Opus: an ID header, an empty one; frames */
	body[0] = 0x90 | 0;
	memcpy(body + 1, "Opus", 4);
	memcpy(body + 5, opushead, sizeof(opushead));
	assert_int_equal(
	    flv_media_accept(8, body, 5 + sizeof(opushead), why, 160), 0);
	assert_int_equal(flv_media_accept(8, body, 5, why, 160), 0);
	assert_int_equal(flv_media_accept(8, body, 9, why, 160), -1);
	body[0] = 0x90 | 1;
	assert_int_equal(flv_media_accept(8, body, 9, why, 160), 0);
	/* multitrack audio, unknown audio codec, reserved audio type */
	body[0] = 0x90 | 5;
	assert_int_equal(flv_media_accept(8, body, 9, why, 160), -1);
	assert_non_null(strstr(why, "multitrack audio"));
	body[0] = 0x90 | 1;
	memcpy(body + 1, "abcd", 4);
	assert_int_equal(flv_media_accept(8, body, 9, why, 160), -1);
	assert_non_null(strstr(why, "audio codec abcd"));
	body[0] = 0x90 | 3;
	assert_int_equal(flv_media_accept(8, body, 9, why, 160), -1);
	/* every enhanced audio codec the specification names */
	body[0] = 0x90 | 1;
	memcpy(body + 1, "fLaC", 4);
	assert_int_equal(flv_media_accept(8, body, 9, why, 160), 0);
	memcpy(body + 1, "ec-3", 4);
	assert_int_equal(flv_media_accept(8, body, 9, why, 160), 0);
	memcpy(body + 1, ".mp3", 4);
	assert_int_equal(flv_media_accept(8, body, 9, why, 160), 0);
	/* every prefix of a long valid message is accepted or refused, and
	   never read beyond */
	n = video_body(big, 0x80 | 0x10 | 0, "hvc1", hvcc, sizeof(hvcc));
	while (n-- > 0)
		flv_media_accept(9, big, n, why, sizeof(why));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_be),
	    cmocka_unit_test(test_avc),
	    cmocka_unit_test(test_aac),
	    cmocka_unit_test(test_enhanced),
	    cmocka_unit_test(test_modex),
	    cmocka_unit_test(test_accept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
