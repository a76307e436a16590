/*
 * The fragmented MP4 engine recd writes recordings with, and the reader it
 * checks and repairs them with.  No I/O: the muxer is fed samples and
 * appends bytes to a buffer; the reader is handed bytes.  The codec parsers
 * read decoder configurations that came from the network (an RTMP or SRT
 * publisher, through ingestd), so every read is bounded.
 */
#ifndef MP4_H
#define MP4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MP4_FOURCC(a, b, c, d) \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

#define MP4_CONFIG_MAX 4096 /* avcC, hvcC or AudioSpecificConfig, bytes */
#define MP4_FRAGMENT_MS 1000 /* a fragment spans about this much */
#define MP4_VIDEO_TIMESCALE 90000
#define MP4_MOVIE_TIMESCALE 1000
#define MP4_AAC_FRAME 1024 /* samples per AAC frame */

/* A growing byte buffer the engine appends to. */
struct mp4buf {
	uint8_t *data;
	size_t len, cap;
};
void mp4buf_reset(struct mp4buf *);
void mp4buf_free(struct mp4buf *);

enum mp4_kind { MP4_VIDEO, MP4_AUDIO };

/* One track, as codec.c reads it from a decoder configuration. */
struct mp4_track {
	enum mp4_kind kind;
	uint32_t fourcc; /* avc1, hvc1, mp4a */
	uint16_t width, height; /* video */
	uint32_t sample_rate; /* audio: the AAC core rate, the timescale */
	uint8_t channels;
	uint8_t aot; /* audio object type */
	uint8_t nalu_length_size; /* video: 1, 2 or 4 */
	char codecs[40]; /* RFC 6381: "avc1.64001f", "mp4a.40.2" */
	uint8_t config[MP4_CONFIG_MAX];
	size_t config_len;
};

/* codec.c: 0, or -1 and why for a configuration we cannot record. */
int codec_avc(
    const uint8_t *avcc, size_t len, struct mp4_track *, const char **why);
int codec_hevc(
    const uint8_t *hvcc, size_t len, struct mp4_track *, const char **why);
int codec_aac(
    const uint8_t *asc, size_t len, struct mp4_track *, const char **why);
/* Picture size from an SPS NAL unit (with its header): 0 or -1. */
int codec_h264_sps_size(
    const uint8_t *nal, size_t len, uint16_t *w, uint16_t *h);
int codec_hevc_sps_size(
    const uint8_t *nal, size_t len, uint16_t *w, uint16_t *h);

/*
 * mp4.c: the muxer.  mp4mux_init writes ftyp and moov; samples come in
 * decode order per track with FLV's millisecond timestamps; a fragment
 * (moof + mdat) is appended to out about every MP4_FRAGMENT_MS, on a video
 * keyframe when one comes in time.  mp4mux_finish flushes the last
 * fragment and appends the mfra index; the durations left 0 in moov are
 * then patched in place (mp4mux_patches), which makes a finished file
 * seekable and say how long it is.  A file cut short before that is still
 * a sequence of whole fragments a player reads from the start.
 */
struct mp4mux;
struct mp4_patch {
	uint64_t offset; /* in the file */
	uint8_t bytes[8];
	size_t len;
};
#define MP4_PATCH_MAX 8

/* video, audio: NULL when absent (not both); created: for mvhd. */
struct mp4mux *mp4mux_new(const struct mp4_track *video,
    const struct mp4_track *audio, time_t created);
void mp4mux_free(struct mp4mux *);
void mp4mux_init(struct mp4mux *, struct mp4buf *out);
/* key: a sync sample; cts: composition offset, ms.  0, or -1 and why. */
int mp4mux_video(struct mp4mux *, uint32_t dts_ms, int32_t cts_ms, int key,
    const uint8_t *data, size_t len, struct mp4buf *out, const char **why);
int mp4mux_audio(struct mp4mux *, uint32_t dts_ms, const uint8_t *data,
    size_t len, struct mp4buf *out, const char **why);
void mp4mux_finish(struct mp4mux *, struct mp4buf *out);
size_t mp4mux_patches(const struct mp4mux *, struct mp4_patch *, size_t max);

/* Where each fragment starts and what time it starts at, for mfra. */
struct mp4_frag {
	uint64_t moof_offset;
	uint64_t time[2]; /* per track, in its timescale */
	int has[2]; /* the track has samples in it */
	int sync; /* the video track's first sample is a keyframe */
};
/* Appends an mfra box: a tfra per track (ids[i], video_track's only at
 * sync fragments) and mfro. */
void mp4_mfra(struct mp4buf *, const struct mp4_frag *, size_t n,
    const uint32_t ids[2], int ntracks, int video_track);
/* Of what has been written out in fragments so far, ms. */
uint64_t mp4mux_duration_ms(const struct mp4mux *);
uint64_t mp4mux_fragments(const struct mp4mux *);
/* Bytes of samples waiting for the next fragment. */
size_t mp4mux_pending(const struct mp4mux *);

/*
 * mp4scan.c: reading our own files back.  mp4scan_init parses the start of
 * a file (ftyp, moov) for its tracks and durations; mp4scan_moof reads one
 * fragment header for the time it covers.  Both take untrusted bytes.
 */
#define MP4SCAN_TRACKS 2
struct mp4scan_track {
	uint32_t id;
	uint32_t fourcc; /* of its sample entry */
	uint32_t timescale;
	uint16_t width, height;
	char codecs[40];
};
struct mp4scan {
	uint64_t init_len; /* bytes of ftyp + moov */
	uint64_t duration_ms; /* mvhd's; 0 if never finished */
	int64_t created; /* mvhd creation_time, unix seconds */
	int ntracks;
	struct mp4scan_track track[MP4SCAN_TRACKS];
};
/* 0, 1 if more bytes are needed (*need says how many), or -1 and why. */
int mp4scan_init(const uint8_t *buf, size_t len, struct mp4scan *, size_t *need,
    const char **why);
/* A box header at buf: its type and whole size.  0, or -1 if malformed. */
int mp4scan_box(const uint8_t *buf, size_t len, uint32_t *type, uint64_t *size,
    size_t *hdrlen);
/*
 * One moof (the whole box) read into f (moof_offset left to the caller);
 * *end_ms is the latest end of its samples over the tracks.  0 or -1.
 */
int mp4scan_moof(const uint8_t *buf, size_t len, const struct mp4scan *,
    struct mp4_frag *f, uint64_t *end_ms);
/* The offsets moov keeps durations at, for a repair to patch. */
size_t mp4scan_patches(const uint8_t *buf, size_t len, const struct mp4scan *,
    uint64_t duration_ms, struct mp4_patch *, size_t max);

#endif
