/*
 * FLV headers and tag classification.  Bodies come from the network (RTMP
 * publishers, the TS demuxer), so every read is bounded by len.
 */
#include <string.h>

#include "flv.h"

#define FLV_VIDEO_KEYFRAME 1
#define FLV_CODEC_AVC 7
#define FLV_CODEC_HEVC 12 /* the pre-enhanced-RTMP convention some use */
#define FLV_SOUND_AAC 10
#define FLV_SOUND_EX 9 /* enhanced RTMP ExAudioHeader */
#define FLV_EX_HEADER 0x80
#define FLV_PKT_SEQUENCE_START 0
#define FLV_PKT_CODED_FRAMES 1
#define FLV_PKT_CODED_FRAMES_X 3

size_t
flv_header(uint8_t out[FLV_HEADER_LEN], int audio, int video)
{
	out[0] = 'F';
	out[1] = 'L';
	out[2] = 'V';
	out[3] = 1;
	out[4] = (audio ? 0x04 : 0) | (video ? 0x01 : 0);
	be32_write(out + 5, 9);
	be32_write(out + 9, 0);
	return FLV_HEADER_LEN;
}

void
flv_tag_header(uint8_t out[FLV_TAG_HEADER_LEN], uint8_t type, uint32_t size,
    uint32_t timestamp)
{
	out[0] = type;
	be24_write(out + 1, size);
	be24_write(out + 4, timestamp & 0xffffff);
	out[7] = timestamp >> 24;
	be24_write(out + 8, 0);
}

int
flv_tag_parse(const uint8_t *buf, size_t len, struct flv_tag *tag)
{
	if (len < FLV_TAG_HEADER_LEN)
		return -1;
	if (buf[0] & 0xe0) /* reserved bits or the encryption filter */
		return -1;
	tag->type = buf[0] & 0x1f;
	if (tag->type != FLV_TAG_AUDIO && tag->type != FLV_TAG_VIDEO &&
	    tag->type != FLV_TAG_SCRIPT)
		return -1;
	tag->size = be24_read(buf + 1);
	tag->timestamp = be24_read(buf + 4) | (uint32_t)buf[7] << 24;
	if (be24_read(buf + 8) != 0)
		return -1;
	return 0;
}

static int
flv_classify_video(const uint8_t *body, size_t len)
{
	int flags = FLV_F_VIDEO, frametype, codec, pkt;

	if (body[0] & FLV_EX_HEADER) {
		/* Enhanced RTMP: packet type low nibble, FourCC follows. */
		pkt = body[0] & 0x0f;
		frametype = (body[0] >> 4) & 0x07;
		if (len < 5)
			return flags;
		if (pkt == FLV_PKT_SEQUENCE_START)
			flags |= FLV_F_SEQHDR;
		else if ((pkt == FLV_PKT_CODED_FRAMES ||
		             pkt == FLV_PKT_CODED_FRAMES_X) &&
		    frametype == FLV_VIDEO_KEYFRAME)
			flags |= FLV_F_KEYFRAME;
		return flags;
	}
	frametype = body[0] >> 4;
	codec = body[0] & 0x0f;
	if (codec == FLV_CODEC_AVC || codec == FLV_CODEC_HEVC) {
		if (len < 2)
			return flags;
		pkt = body[1];
		if (pkt == 0)
			flags |= FLV_F_SEQHDR;
		else if (pkt == 1 && frametype == FLV_VIDEO_KEYFRAME)
			flags |= FLV_F_KEYFRAME;
		return flags;
	}
	if (frametype == FLV_VIDEO_KEYFRAME)
		flags |= FLV_F_KEYFRAME;
	return flags;
}

static int
flv_classify_audio(const uint8_t *body, size_t len)
{
	int flags = FLV_F_AUDIO, format = body[0] >> 4;

	if (format == FLV_SOUND_AAC && len >= 2 && body[1] == 0)
		flags |= FLV_F_SEQHDR;
	else if (format == FLV_SOUND_EX && len >= 5 &&
	    (body[0] & 0x0f) == FLV_PKT_SEQUENCE_START)
		flags |= FLV_F_SEQHDR;
	return flags;
}

int
flv_classify(uint8_t type, const uint8_t *body, size_t len)
{
	if (len == 0)
		return 0;
	switch (type) {
	case FLV_TAG_VIDEO:
		return flv_classify_video(body, len);
	case FLV_TAG_AUDIO:
		return flv_classify_audio(body, len);
	case FLV_TAG_SCRIPT:
		return FLV_F_SCRIPT;
	}
	return 0;
}

/* Skips count (16-bit length, bytes) NAL units; -1 if they overrun. */
static int
flv_skip_nalus(const uint8_t *buf, size_t len, size_t *off, unsigned count)
{
	size_t n;

	while (count-- > 0) {
		if (len - *off < 2)
			return -1;
		n = be16_read(buf + *off);
		*off += 2;
		if (n == 0 || len - *off < n)
			return -1;
		*off += n;
	}
	return 0;
}

int
flv_avcc_parse(const uint8_t *buf, size_t len, struct flv_codec_config *cfg)
{
	size_t off;
	unsigned nsps, npps;

	if (len < 7 || buf[0] != 1)
		return -1;
	memset(cfg, 0, sizeof(*cfg));
	cfg->fourcc = FLV_FOURCC_AVC;
	cfg->profile = buf[1];
	cfg->compat = buf[2];
	cfg->level = buf[3];
	cfg->nalu_length_size = (buf[4] & 0x03) + 1;
	if (cfg->nalu_length_size == 3)
		return -1;
	nsps = buf[5] & 0x1f;
	if (nsps == 0)
		return -1;
	off = 6;
	if (flv_skip_nalus(buf, len, &off, nsps) == -1)
		return -1;
	if (off >= len)
		return -1;
	npps = buf[off++];
	if (npps == 0)
		return -1;
	if (flv_skip_nalus(buf, len, &off, npps) == -1)
		return -1;
	/* High profiles may append chroma/bit depth fields; not needed here. */
	cfg->nparam_sets = nsps + npps > 255 ? 255 : nsps + npps;
	return 0;
}

int
flv_hvcc_parse(const uint8_t *buf, size_t len, struct flv_codec_config *cfg)
{
	size_t off = 23;
	unsigned narrays, nnalus, total = 0;

	if (len < 23 || buf[0] != 1)
		return -1;
	memset(cfg, 0, sizeof(*cfg));
	cfg->fourcc = FLV_FOURCC_HEVC;
	cfg->profile = buf[1] & 0x1f;
	cfg->level = buf[12];
	cfg->nalu_length_size = (buf[21] & 0x03) + 1;
	if (cfg->nalu_length_size == 3)
		return -1;
	narrays = buf[22];
	while (narrays-- > 0) {
		if (len - off < 3)
			return -1;
		nnalus = be16_read(buf + off + 1);
		off += 3;
		if (flv_skip_nalus(buf, len, &off, nnalus) == -1)
			return -1;
		total += nnalus;
	}
	if (total == 0)
		return -1;
	cfg->nparam_sets = total > 255 ? 255 : total;
	return 0;
}

int
flv_video_config(const uint8_t *body, size_t len, struct flv_codec_config *cfg)
{
	uint32_t fourcc;
	int codec;

	if (len < 5)
		return -1;
	if (body[0] & FLV_EX_HEADER) {
		if ((body[0] & 0x0f) != FLV_PKT_SEQUENCE_START)
			return -1;
		fourcc = be32_read(body + 1);
		if (fourcc == FLV_FOURCC_AVC)
			return flv_avcc_parse(body + 5, len - 5, cfg);
		if (fourcc == FLV_FOURCC_HEVC)
			return flv_hvcc_parse(body + 5, len - 5, cfg);
		return -1;
	}
	codec = body[0] & 0x0f;
	if (body[1] != 0)
		return -1;
	/* Bytes 2..4 are the composition time, zero for a sequence header. */
	if (codec == FLV_CODEC_AVC)
		return flv_avcc_parse(body + 5, len - 5, cfg);
	if (codec == FLV_CODEC_HEVC)
		return flv_hvcc_parse(body + 5, len - 5, cfg);
	return -1;
}
