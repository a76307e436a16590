/*
 * MPEG-TS muxer for SRT destinations: FLV tag bodies in, 188-byte TS
 * packets out, with no I/O.  H.264 and HEVC (legacy FLV codec ids 7 and
 * 12, or enhanced RTMP's avc1 and hvc1) become Annex B access units with
 * an access unit delimiter and, on keyframes, the parameter sets of the
 * last sequence header; AAC (legacy or enhanced mp4a) gets ADTS headers
 * from its AudioSpecificConfig.  One program: video on PID 0x100, audio on
 * 0x101, PCR on the video PID (the audio one without video); PAT and PMT
 * before the first packet, on every keyframe, and at least twice a second.
 *
 * Tag bodies come from a publisher through the ring: every length is
 * checked before it is read, a tag that does not parse is dropped with
 * tsmux_error() saying why, and the muxer carries on.
 */
#ifndef TSMUX_H
#define TSMUX_H

#include <stddef.h>
#include <stdint.h>

#define TSMUX_PACKET 188
#define TSMUX_PES_MAX (8 * 1024 * 1024) /* largest access unit */
#define TSMUX_PARAMS_MAX 4096 /* Annex B parameter sets kept */

/* Whole TS packets (len is a multiple of 188), once per tag. */
typedef void (*tsmux_out)(void *arg, const uint8_t *buf, size_t len);

struct tsmux_stats {
	uint64_t packets;
	uint64_t video_frames;
	uint64_t audio_frames;
	uint64_t dropped; /* tags that could not be muxed */
};

struct tsmux;

struct tsmux *tsmux_new(tsmux_out, void *arg);
void tsmux_free(struct tsmux *);
/*
 * One FLV tag body: type 8 audio, 9 video, 18 script (ignored); timestamp
 * in ms (the FLV DTS).  0, or -1 when the tag was dropped (tsmux_error()).
 */
int tsmux_tag(struct tsmux *, uint8_t type, uint32_t timestamp,
    const uint8_t *body, size_t len);
const char *tsmux_error(const struct tsmux *);
void tsmux_stats(const struct tsmux *, struct tsmux_stats *);

#endif
