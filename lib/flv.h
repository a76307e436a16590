/*
 * FLV: the container both ingestd and flvd speak.  Building and parsing the
 * file and tag headers, telling keyframes and sequence headers apart (legacy
 * and enhanced RTMP codecs), and a structural check of the decoder
 * configuration records.  No I/O, no allocation.  Also the big-endian
 * helpers RTMP and FLV both use.
 */
#ifndef FLV_H
#define FLV_H

#include <stddef.h>
#include <stdint.h>

/* Same values as RING_* in ring.h, so either name works for a record. */
#define FLV_F_KEYFRAME 0x01
#define FLV_F_VIDEO 0x02
#define FLV_F_AUDIO 0x04
#define FLV_F_SCRIPT 0x08
#define FLV_F_SEQHDR 0x10

#define FLV_TAG_AUDIO 8
#define FLV_TAG_VIDEO 9
#define FLV_TAG_SCRIPT 18

#define FLV_HEADER_LEN 13 /* 9-byte file header + PreviousTagSize0 */
#define FLV_TAG_HEADER_LEN 11
#define FLV_TAG_SIZE_MAX 0xffffff /* DataSize is 24 bits */

#define FLV_FOURCC(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define FLV_FOURCC_AVC FLV_FOURCC('a', 'v', 'c', '1')
#define FLV_FOURCC_HEVC FLV_FOURCC('h', 'v', 'c', '1')
#define FLV_FOURCC_AV1 FLV_FOURCC('a', 'v', '0', '1')
#define FLV_FOURCC_VP9 FLV_FOURCC('v', 'p', '0', '9')
#define FLV_FOURCC_VP8 FLV_FOURCC('v', 'p', '0', '8')
#define FLV_FOURCC_VVC FLV_FOURCC('v', 'v', 'c', '1')
#define FLV_FOURCC_AAC FLV_FOURCC('m', 'p', '4', 'a')
#define FLV_FOURCC_OPUS FLV_FOURCC('O', 'p', 'u', 's')
#define FLV_FOURCC_MP3 FLV_FOURCC('.', 'm', 'p', '3')
#define FLV_FOURCC_FLAC FLV_FOURCC('f', 'L', 'a', 'C')
#define FLV_FOURCC_AC3 FLV_FOURCC('a', 'c', '-', '3')
#define FLV_FOURCC_EAC3 FLV_FOURCC('e', 'c', '-', '3')

/*
 * Enhanced RTMP packet types: the low nibble of an ExVideoTagHeader (audio
 * shares 0 to 2 and ModEx).  Legacy AVC and AAC packet types map onto the
 * first three.
 */
#define FLV_PKT_SEQUENCE_START 0
#define FLV_PKT_CODED_FRAMES 1
#define FLV_PKT_SEQUENCE_END 2
#define FLV_PKT_CODED_FRAMES_X 3 /* no composition time */
#define FLV_PKT_METADATA 4 /* AMF colorInfo */
#define FLV_PKT_MPEG2TS_SEQUENCE_START 5
#define FLV_PKT_MULTITRACK 6
#define FLV_PKT_MODEX 7
/* Audio's own: MultichannelConfig and Multitrack. */
#define FLV_APKT_MULTICHANNEL_CONFIG 4
#define FLV_APKT_MULTITRACK 5

static inline uint16_t
be16_read(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
be24_read(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t
be32_read(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
be16_write(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void
be24_write(uint8_t *p, uint32_t v)
{
	p[0] = v >> 16;
	p[1] = v >> 8;
	p[2] = v;
}

static inline void
be32_write(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

struct flv_tag {
	uint8_t type; /* 8 audio, 9 video, 18 script */
	uint32_t size; /* body bytes after the 11-byte header */
	uint32_t timestamp; /* ms, with the extended byte folded in */
};

/* Decoder configuration: what a player needs to know before the first frame. */
struct flv_codec_config {
	uint32_t fourcc; /* FLV_FOURCC_AVC or FLV_FOURCC_HEVC */
	uint8_t profile; /* AVCProfileIndication / general_profile_idc */
	uint8_t compat; /* profile_compatibility (AVC only) */
	uint8_t level; /* AVCLevelIndication / general_level_idc */
	uint8_t nalu_length_size; /* 1, 2 or 4 */
	uint8_t nparam_sets; /* SPS+PPS (AVC) or NAL units in arrays (HEVC) */
};

/*
 * What a media tag body says about itself, header only (legacy FLV or the
 * enhanced RTMP ExVideoTagHeader / ExAudioTagHeader, ModEx prefixes
 * skipped).
 */
struct flv_media {
	/* FourCC, also for legacy AVC, HEVC (id 12), AAC and MP3; else 0 */
	uint32_t codec;
	int enhanced;
	int packet; /* FLV_PKT_*; CODED_FRAMES for legacy codecs without */
	int frametype; /* video: 1 key, 2 inter, 5 command; audio: 0 */
	int command; /* a video command frame: no codec data */
	size_t payload; /* where the codec data starts in the body */
};

/* Writes the FLV file header and PreviousTagSize0; returns FLV_HEADER_LEN. */
size_t flv_header(uint8_t out[FLV_HEADER_LEN], int audio, int video);
/* Writes an 11-byte tag header (stream id 0); size must fit in 24 bits. */
void flv_tag_header(uint8_t out[FLV_TAG_HEADER_LEN], uint8_t type,
    uint32_t size, uint32_t timestamp);
/* 0, or -1 if short, of an unknown type, filtered or with a nonzero stream id. */
int flv_tag_parse(const uint8_t *buf, size_t len, struct flv_tag *);
/* FLV_F_* flags of a tag body; 0 for an empty body or unknown type. */
int flv_classify(uint8_t type, const uint8_t *body, size_t len);
/*
 * Parses an audio (8) or video (9) tag body's header.  0, or -1 with why (a
 * constant string) for a header cut short or one using what the
 * specification reserves.
 */
int flv_media_parse(uint8_t type, const uint8_t *body, size_t len,
    struct flv_media *, const char **why);
/*
 * Whether Nyon carries this audio or video tag: 0, or -1 with why written
 * (for the log and the publisher).  Refused: headers flv_media_parse
 * refuses, FourCCs enhanced RTMP does not define, multitrack messages (an
 * FLV viewer has no way to pick a track) and an enhanced sequence start
 * whose configuration record is malformed.  Legacy FLV passes as it is,
 * even a header flv_media_parse refuses.
 */
int flv_media_accept(
    uint8_t type, const uint8_t *body, size_t len, char *why, size_t whylen);
/* "hvc1", or "0x00000000" for what is not printable; buf of 12 bytes */
const char *flv_fourcc_string(uint32_t fourcc, char buf[12]);
/*
 * Parses an AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord.
 * 0 if well formed, -1 if not.
 */
int flv_avcc_parse(const uint8_t *buf, size_t len, struct flv_codec_config *);
int flv_hvcc_parse(const uint8_t *buf, size_t len, struct flv_codec_config *);
/*
 * Given a video tag body classified FLV_F_SEQHDR with AVC or HEVC inside
 * (legacy codec id 7 / 12, or enhanced avc1 / hvc1), parses its record.
 * -1 for other codecs or a malformed record.
 */
int flv_video_config(
    const uint8_t *body, size_t len, struct flv_codec_config *);

#endif
