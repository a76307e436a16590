/*
 * FLV headers and tag classification.  Bodies come from the network (RTMP
 * publishers, the TS demuxer), so every read is bounded by len.
 */
#include <stdio.h>
#include <string.h>

#include "flv.h"

#define FLV_VIDEO_KEYFRAME 1
#define FLV_VIDEO_COMMAND 5
#define FLV_CODEC_AVC 7
#define FLV_CODEC_HEVC 12 /* the pre-enhanced-RTMP convention some use */
#define FLV_SOUND_MP3 2
#define FLV_SOUND_AAC 10
#define FLV_SOUND_MP3_8K 14
#define FLV_SOUND_EX 9 /* enhanced RTMP ExAudioHeader */
#define FLV_EX_HEADER 0x80

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

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

/* Skips ModEx prefixes: *pkt becomes the packet type they lead to. */
static int
flv_skip_modex(const uint8_t *body, size_t len, size_t *off, int *pkt)
{
	size_t n;

	while (*pkt == FLV_PKT_MODEX) {
		if (len - *off < 1)
			return -1;
		n = (size_t)body[(*off)++] + 1;
		if (n == 256) {
			if (len - *off < 2)
				return -1;
			n = (size_t)be16_read(body + *off) + 1;
			*off += 2;
		}
		/* the data, then ModEx type and the next packet type */
		if (len - *off < n + 1)
			return -1;
		*off += n;
		*pkt = body[(*off)++] & 0x0f;
	}
	return 0;
}

static int
flv_parse_video(
    const uint8_t *body, size_t len, struct flv_media *m, const char **why)
{
	size_t off = 1;
	int codec;

	if (!(body[0] & FLV_EX_HEADER)) {
		m->frametype = body[0] >> 4;
		codec = body[0] & 0x0f;
		m->packet = FLV_PKT_CODED_FRAMES;
		m->payload = 1;
		if (m->frametype == FLV_VIDEO_COMMAND) {
			m->command = 1;
			return 0;
		}
		if (codec != FLV_CODEC_AVC && codec != FLV_CODEC_HEVC)
			return 0;
		m->codec =
		    codec == FLV_CODEC_AVC ? FLV_FOURCC_AVC : FLV_FOURCC_HEVC;
		if (len < 5) {
			*why = "AVC video header cut short";
			return -1;
		}
		if (body[1] > FLV_PKT_SEQUENCE_END) {
			*why = "unknown AVC packet type";
			return -1;
		}
		m->packet = body[1];
		m->payload = 5;
		return 0;
	}
	m->enhanced = 1;
	m->frametype = (body[0] >> 4) & 0x07;
	m->packet = body[0] & 0x0f;
	if (flv_skip_modex(body, len, &off, &m->packet) == -1) {
		*why = "video ModEx data cut short";
		return -1;
	}
	if (m->packet > FLV_PKT_MULTITRACK) {
		*why = "reserved video packet type";
		return -1;
	}
	if (m->packet != FLV_PKT_METADATA &&
	    m->frametype == FLV_VIDEO_COMMAND) {
		/* a command (seek start or end) and no codec at all */
		if (len - off < 1) {
			*why = "video command cut short";
			return -1;
		}
		m->command = 1;
		m->payload = off + 1;
		return 0;
	}
	if (m->packet == FLV_PKT_MULTITRACK) {
		/* multitrack type and the tracks' packet type, then maybe a
		   FourCC: enough to say what it is */
		m->payload = off;
		return 0;
	}
	if (len - off < 4) {
		*why = "video FourCC cut short";
		return -1;
	}
	m->codec = be32_read(body + off);
	off += 4;
	/* these carry a composition time offset in CodedFrames */
	if (m->packet == FLV_PKT_CODED_FRAMES &&
	    (m->codec == FLV_FOURCC_AVC || m->codec == FLV_FOURCC_HEVC ||
	        m->codec == FLV_FOURCC_VVC)) {
		if (len - off < 3) {
			*why = "composition time cut short";
			return -1;
		}
		off += 3;
	}
	m->payload = off;
	return 0;
}

static int
flv_parse_audio(
    const uint8_t *body, size_t len, struct flv_media *m, const char **why)
{
	int format = body[0] >> 4;
	size_t off = 1;

	m->packet = FLV_PKT_CODED_FRAMES;
	m->payload = 1;
	if (format != FLV_SOUND_EX) {
		if (format == FLV_SOUND_MP3 || format == FLV_SOUND_MP3_8K)
			m->codec = FLV_FOURCC_MP3;
		if (format != FLV_SOUND_AAC)
			return 0;
		m->codec = FLV_FOURCC_AAC;
		if (len < 2) {
			*why = "AAC audio header cut short";
			return -1;
		}
		if (body[1] > FLV_PKT_CODED_FRAMES) {
			*why = "unknown AAC packet type";
			return -1;
		}
		m->packet = body[1];
		m->payload = 2;
		return 0;
	}
	m->enhanced = 1;
	m->packet = body[0] & 0x0f;
	if (flv_skip_modex(body, len, &off, &m->packet) == -1) {
		*why = "audio ModEx data cut short";
		return -1;
	}
	switch (m->packet) {
	case FLV_PKT_SEQUENCE_START:
	case FLV_PKT_CODED_FRAMES:
	case FLV_PKT_SEQUENCE_END:
	case FLV_APKT_MULTICHANNEL_CONFIG:
		break;
	case FLV_APKT_MULTITRACK:
		m->payload = off;
		return 0;
	default:
		*why = "reserved audio packet type";
		return -1;
	}
	if (len - off < 4) {
		*why = "audio FourCC cut short";
		return -1;
	}
	m->codec = be32_read(body + off);
	m->payload = off + 4;
	return 0;
}

int
flv_media_parse(uint8_t type, const uint8_t *body, size_t len,
    struct flv_media *m, const char **why)
{
	memset(m, 0, sizeof(*m));
	if (len == 0) {
		*why = "empty";
		return -1;
	}
	if (type == FLV_TAG_VIDEO)
		return flv_parse_video(body, len, m, why);
	if (type == FLV_TAG_AUDIO)
		return flv_parse_audio(body, len, m, why);
	*why = "neither audio nor video";
	return -1;
}

static int
flv_classify_video(const uint8_t *body, size_t len)
{
	struct flv_media m;
	const char *why;
	int flags = FLV_F_VIDEO;

	if (flv_media_parse(FLV_TAG_VIDEO, body, len, &m, &why) == -1 ||
	    m.command)
		return flags;
	if (m.packet == FLV_PKT_SEQUENCE_START ||
	    m.packet == FLV_PKT_MPEG2TS_SEQUENCE_START)
		flags |= FLV_F_SEQHDR;
	else if ((m.packet == FLV_PKT_CODED_FRAMES ||
	             m.packet == FLV_PKT_CODED_FRAMES_X) &&
	    m.frametype == FLV_VIDEO_KEYFRAME)
		flags |= FLV_F_KEYFRAME;
	return flags;
}

static int
flv_classify_audio(const uint8_t *body, size_t len)
{
	struct flv_media m;
	const char *why;
	int flags = FLV_F_AUDIO;

	if (flv_media_parse(FLV_TAG_AUDIO, body, len, &m, &why) == 0 &&
	    m.packet == FLV_PKT_SEQUENCE_START && m.codec != 0 &&
	    (m.enhanced || m.codec == FLV_FOURCC_AAC))
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

const char *
flv_fourcc_string(uint32_t fourcc, char buf[12])
{
	int i, c;

	for (i = 0; i < 4; i++) {
		c = (fourcc >> (24 - 8 * i)) & 0xff;
		if (c < 0x20 || c > 0x7e) {
			snprintf(buf, 12, "0x%08x", fourcc);
			return buf;
		}
		buf[i] = (char)c;
	}
	buf[4] = '\0';
	return buf;
}

/* What enhanced RTMP defines, and so what an enhanced FLV viewer may get. */
static const uint32_t flv_video_codecs[] = {FLV_FOURCC_AVC, FLV_FOURCC_HEVC,
    FLV_FOURCC_AV1, FLV_FOURCC_VP9, FLV_FOURCC_VP8, FLV_FOURCC_VVC};
static const uint32_t flv_audio_codecs[] = {FLV_FOURCC_AAC, FLV_FOURCC_OPUS,
    FLV_FOURCC_MP3, FLV_FOURCC_FLAC, FLV_FOURCC_AC3, FLV_FOURCC_EAC3};

static int
flv_known(uint32_t fourcc, const uint32_t *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == fourcc)
			return 1;
	return 0;
}

/* The structure of an enhanced sequence start's record: 0 or -1. */
static int
flv_config_check(uint32_t codec, const uint8_t *p, size_t len)
{
	struct flv_codec_config cfg;

	switch (codec) {
	case FLV_FOURCC_AVC:
		return flv_avcc_parse(p, len, &cfg);
	case FLV_FOURCC_HEVC:
		return flv_hvcc_parse(p, len, &cfg);
	case FLV_FOURCC_AV1:
		/* av1C: marker and version 1, then three bytes of fields */
		return len >= 4 && p[0] == 0x81 ? 0 : -1;
	case FLV_FOURCC_VP8:
	case FLV_FOURCC_VP9:
		/* vpcC: version and flags, then 8 bytes at least */
		return len >= 12 && p[0] == 1 ? 0 : -1;
	case FLV_FOURCC_OPUS:
		/* empty (mono or stereo) or an RFC 7845 ID header */
		return len == 0 || (len >= 19 && memcmp(p, "OpusHead", 8) == 0)
		    ? 0
		    : -1;
	case FLV_FOURCC_AAC:
		return len >= 2 ? 0 : -1;
	case FLV_FOURCC_FLAC:
		/* "fLaC", then the STREAMINFO block (4 + 34 bytes) */
		return len >= 42 && memcmp(p, "fLaC", 4) == 0 ? 0 : -1;
	}
	return 0;
}

int
flv_media_accept(
    uint8_t type, const uint8_t *body, size_t len, char *why, size_t whylen)
{
	const char *kind = type == FLV_TAG_VIDEO ? "video" : "audio", *err;
	struct flv_media m;
	char cc[12];

	if (flv_media_parse(type, body, len, &m, &err) == -1) {
		/* legacy FLV passes as it always did: players judge it */
		if (len > 0 &&
		    !(type == FLV_TAG_VIDEO ? body[0] & FLV_EX_HEADER
		                            : (body[0] >> 4) == FLV_SOUND_EX))
			return 0;
		snprintf(why, whylen, "malformed %s message: %s", kind, err);
		return -1;
	}
	if (!m.enhanced || m.command)
		return 0;
	if ((type == FLV_TAG_VIDEO && m.packet == FLV_PKT_MULTITRACK) ||
	    (type == FLV_TAG_AUDIO && m.packet == FLV_APKT_MULTITRACK)) {
		snprintf(why, whylen,
		    "multitrack %s is not supported: HTTP-FLV viewers "
		    "cannot choose a track; send one track",
		    kind);
		return -1;
	}
	if (type == FLV_TAG_VIDEO ? !flv_known(m.codec, flv_video_codecs,
	                                nitems(flv_video_codecs))
	                          : !flv_known(m.codec, flv_audio_codecs,
	                                nitems(flv_audio_codecs))) {
		snprintf(why, whylen,
		    "%s codec %s is not one enhanced RTMP defines; "
		    "Nyon cannot pass it on",
		    kind, flv_fourcc_string(m.codec, cc));
		return -1;
	}
	if (m.packet == FLV_PKT_SEQUENCE_START &&
	    flv_config_check(m.codec, body + m.payload, len - m.payload) ==
	        -1) {
		snprintf(why, whylen, "malformed %s sequence start (%s)", kind,
		    flv_fourcc_string(m.codec, cc));
		return -1;
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
	struct flv_media m;
	const char *why;

	if (flv_media_parse(FLV_TAG_VIDEO, body, len, &m, &why) == -1 ||
	    m.command || m.packet != FLV_PKT_SEQUENCE_START)
		return -1;
	/* A legacy header's composition time is zero for a sequence header. */
	if (m.codec == FLV_FOURCC_AVC)
		return flv_avcc_parse(body + m.payload, len - m.payload, cfg);
	if (m.codec == FLV_FOURCC_HEVC)
		return flv_hvcc_parse(body + m.payload, len - m.payload, cfg);
	return -1;
}
