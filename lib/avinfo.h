/*
 * What a stream's decoder configurations say about its picture and sound,
 * for people and for the muxers: codec, profile, level, picture size and
 * the frame rate an H.264 SPS declares; an AAC AudioSpecificConfig's
 * object type, sample rate and channels.  Fed the bytes of FLV sequence
 * headers (legacy or enhanced RTMP) or of parameter sets, which came from
 * a publisher: every length is checked.  No I/O, no allocation.
 */
#ifndef AVINFO_H
#define AVINFO_H

#include <stddef.h>
#include <stdint.h>

#define AVINFO_SPS_MAX 1024 /* an SPS is tens of bytes; more is not one */

struct avinfo_video {
	uint32_t codec; /* FLV_FOURCC_AVC, FLV_FOURCC_HEVC, ...; 0: none */
	uint8_t profile; /* profile_idc, general_profile_idc */
	uint8_t constraints; /* H.264 constraint_set flags (byte 2 of SPS) */
	uint8_t level; /* level_idc (x10), general_level_idc (x30) */
	uint8_t tier; /* HEVC: 1 for the High tier */
	uint8_t chroma; /* chroma_format_idc: 1 is 4:2:0 */
	uint8_t bit_depth; /* luma */
	uint16_t width, height; /* 0 when the SPS was not read */
	/* H.264 VUI timing: frames per second the SPS declares, 0 if none */
	double fps;
};

struct avinfo_audio {
	uint32_t codec; /* FLV_FOURCC_AAC, FLV_FOURCC_MP3, ...; 0: none */
	uint8_t aot; /* AAC audio object type: 2 LC, 5 SBR, 29 PS */
	uint32_t sample_rate; /* Hz, 0 if unknown; AAC: the core's */
	uint32_t ext_sample_rate; /* explicit SBR: the rate heard; else 0 */
	uint8_t channels; /* 0 if unknown */
	uint8_t channel_config; /* AAC: as written, 8 to 15 reserved */
};

/*
 * A NAL unit of type SPS, with its header byte(s): 0, or -1 for one whose
 * picture size cannot be read or is not one an encoder makes (16 to
 * 16384 pixels each way).
 */
int avinfo_h264_sps(const uint8_t *nal, size_t len, struct avinfo_video *);
int avinfo_hevc_sps(const uint8_t *nal, size_t len, struct avinfo_video *);
/*
 * An FLV video tag body that is a sequence header (AVC or HEVC, legacy or
 * enhanced): 0 with v filled from its first SPS that reads.  Other codecs
 * are named (v->codec) and 1 is returned: no size is known.  -1 for a tag
 * that is no sequence header or a malformed record.
 */
int avinfo_video_tag(const uint8_t *body, size_t len, struct avinfo_video *);
/* An AudioSpecificConfig: 0, or -1 without a sample rate. */
int avinfo_aac_config(const uint8_t *asc, size_t len, struct avinfo_audio *);
/* An FLV audio tag body: 0 (AAC config read, or another codec named). */
int avinfo_audio_tag(const uint8_t *body, size_t len, struct avinfo_audio *);

/* "h264", "hevc", "av1", "vp9", "aac", "mp3", "opus", ...; "" for none */
const char *avinfo_codec_name(uint32_t codec);
/* "High", "Main 10", "Constrained Baseline", ...; "" if unknown */
const char *avinfo_profile_name(const struct avinfo_video *);
/* "3.1", "4", "5.1"; "" if unknown */
const char *avinfo_level_string(const struct avinfo_video *, char buf[8]);
/* "LC", "HE-AAC", "HE-AACv2", "Main"; "" if not AAC */
const char *avinfo_aac_profile(const struct avinfo_audio *);

#endif
